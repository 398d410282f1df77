# The README's two commands are `make demo` and `make test`.
.PHONY: setup build demo test bench install

setup:
	bash .ci/setup.sh

build: setup
	swift build

demo:
	bash .ci/walkthrough.sh

test: setup
	swift build
	swift test

bench: setup
	bash Benchmarks/run.sh

PREFIX ?= /usr/local
install: setup
	swift build -c release
	install -m 0755 "$$(swift build -c release --show-bin-path)/lineage" "$(PREFIX)/bin/lineage"

#!/bin/sh
# A lineage command hook: blocks committing files whose path matches any of the given shell
# patterns — keys, credentials, notebooks' checkpoints.
#
#   - command: { run: Hooks/examples/forbid-paths.sh, args: ["*.pem", "*.key", "*/.ipynb_checkpoints/*"] }
#
# Input and environment: see max-file-size.sh.
set -eu
if [ $# -eq 0 ]; then
  echo "forbid-paths: give one or more patterns as args, e.g. [\"*.pem\", \"*.key\"]" >&2
  exit 2
fi
found=$(grep -o '"path":"[^"]*"' | sed 's/^"path":"\(.*\)"$/\1/' | while read -r path; do
  for pattern in "$@"; do
    # shellcheck disable=SC2254
    case "$path" in $pattern) echo "  $path (matches $pattern)"; break ;; esac
  done
done)
if [ -n "$found" ]; then
  echo "forbid-paths: these files must not be committed:"
  echo "$found"
  exit 1
fi

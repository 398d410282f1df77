#!/usr/bin/env bash
# Installs what lineage needs to build and test, only when it is missing.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
need=()
pkg-config --exists libgit2 2>/dev/null || need+=(libgit2-dev)
pkg-config --exists zlib 2>/dev/null || need+=(zlib1g-dev)
pkg-config --exists libcurl 2>/dev/null || need+=(libcurl4-openssl-dev)   # the S3 client's HTTP layer
[ -f /usr/include/bzlib.h ] || need+=(libbz2-dev)                       # .bz2 tables (validators)
pkg-config --exists liblzma 2>/dev/null || need+=(liblzma-dev)         # .xz tables (validators)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)                        # remote tests start their own sshd
[ -f /usr/include/sqlite3.h ] || need+=(libsqlite3-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v git >/dev/null || need+=(git)
command -v setpriv >/dev/null || need+=(util-linux)
# ssh-keygen checks signatures; ssh-agent and ssh-add are started by the signing tests (keys held by an agent)
{ command -v ssh-keygen && command -v ssh-agent && command -v ssh-add; } >/dev/null || need+=(openssh-client)
command -v script >/dev/null || need+=(bsdutils)                      # runs lineage on a pty (passphrase prompt test)
command -v dot >/dev/null || need+=(graphviz)                     # checks our DOT output (not a runtime dependency)
python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)          # installs the interop packages below; run --env-capture pip is tested
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || need+=(chromium)   # renders the HTML report in a test
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
py_need=()
python3 -c 'import jsonschema, referencing' 2>/dev/null || py_need+=('jsonschema>=4.18')   # validates every --json document against Schemas/ ($refs between files need referencing)
python3 -c 'import cryptography' 2>/dev/null || py_need+=(cryptography)
python3 -c 'import in_toto_attestation' 2>/dev/null || py_need+=(in-toto-attestation)
python3 -c 'import prov' 2>/dev/null || py_need+=(prov)
python3 -c 'import openlineage.client' 2>/dev/null || py_need+=(openlineage-python)
python3 -c 'import frictionless' 2>/dev/null || py_need+=(frictionless)      # differential oracle for the schema validator
command -v moto_server >/dev/null || py_need+=('moto[server]')                # S3 server the remote tests start on loopback
python3 -c 'import boto3' 2>/dev/null || py_need+=(boto3)                     # cross-checks our S3 client and SigV4 signer
command -v dvc >/dev/null || py_need+=(dvc)                                   # differential oracle for `lineage repro` (PipelineDVCTests)
if [ ${#py_need[@]} -gt 0 ]; then
  echo "setup: installing Python packages for interop tests: ${py_need[*]}"
  python3 -m pip install -q "${py_need[@]}" 2>/dev/null || python3 -m pip install -q --break-system-packages "${py_need[@]}"
fi
# Optional: the Croissant test also loads our output with mlcroissant when it is there (a heavy install).
if ! python3 -c 'import mlcroissant' 2>/dev/null; then
  python3 -m pip install -q mlcroissant 2>/dev/null || python3 -m pip install -q --break-system-packages mlcroissant 2>/dev/null \
    || echo "setup: mlcroissant could not be installed; the datasheet test checks Croissant's required properties itself"
fi
command -v swift >/dev/null || { echo "setup: the Swift toolchain (6.x) is required and not on PATH" >&2; exit 1; }

#!/bin/sh
# A lineage command hook: blocks the commit when a staged artifact is larger than a limit.
#
#   - command: { run: Hooks/examples/max-file-size.sh, args: ["100MB"], timeout: 60 }
#
# lineage passes the staged artifacts as canonical JSON on stdin (keys sorted, one line), e.g.
#   {"artifacts":[{"file":"/abs/path","kind":"dataset","mediaType":"text/csv","path":"data/x.csv",
#                  "sha256":"sha256:…","size":1234,"status":"new"}],"hook":"pre-commit","root":"/abs"}
# and LINEAGE_HOOK, LINEAGE_ROOT, LINEAGE_DIR, LINEAGE_HEAD, LINEAGE_ARTIFACT_COUNT,
# LINEAGE_CONFIG_DIGEST in the environment. Exit 0 to allow the commit; anything else blocks it
# and what the hook printed is shown.
set -eu
limit=${1:-100MB}
number=$(printf '%s' "$limit" | sed -n 's/^\([0-9][0-9]*\)[A-Za-z]*$/\1/p')
unit=$(printf '%s' "$limit" | sed -n 's/^[0-9][0-9]*\([A-Za-z]*\)$/\1/p')
if [ -z "$number" ]; then
  echo "max-file-size: '$limit' is not a size; write e.g. 100MB, 2GiB or 5000B" >&2
  exit 2
fi
case "$unit" in
  ""|B) factor=1 ;;
  KB|kB) factor=1000 ;;
  MB) factor=1000000 ;;
  GB) factor=1000000000 ;;
  KiB) factor=1024 ;;
  MiB) factor=1048576 ;;
  GiB) factor=1073741824 ;;
  *) echo "max-file-size: unknown unit '$unit' (use B, KB, MB, GB, KiB, MiB, GiB)" >&2; exit 2 ;;
esac
max=$((number * factor))
too_big=$(grep -o '"path":"[^"]*","sha256":"[^"]*","size":[0-9]*' | sed 's/^"path":"\([^"]*\)",.*"size":\([0-9]*\)$/\2 \1/' |
  while read -r size path; do
    if [ "$size" -gt "$max" ]; then echo "  $path: $size bytes"; fi
  done)
if [ -n "$too_big" ]; then
  echo "max-file-size: these artifacts are larger than $limit ($max bytes):"
  echo "$too_big"
  exit 1
fi
echo "max-file-size: ${LINEAGE_ARTIFACT_COUNT:-0} artifact(s) within $limit"

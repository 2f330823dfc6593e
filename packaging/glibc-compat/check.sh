#!/usr/bin/env bash
# Fails naming every dynamic symbol of BINARY bound to a glibc version newer than MAX
# (docs/packaging.md, "glibc 2.28"): such a symbol needs an entry in symbols.txt.
#   usage: check.sh BINARY MAX
set -euo pipefail
binary=$1 max=$2
newer=$(objdump -T "$binary" | awk -f "$(dirname "$0")/versions.awk" | sort -u | while read -r v sym _; do
  if [ "$(printf '%s\n' "$v" "$max" | sort -V | tail -1)" != "$max" ]; then echo "  $sym@GLIBC_$v"; fi
done)
if [ -n "$newer" ]; then
  echo "$binary: bound to glibc versions newer than $max; add these to packaging/glibc-compat/symbols.txt:" >&2
  echo "$newer" >&2
  exit 1
fi

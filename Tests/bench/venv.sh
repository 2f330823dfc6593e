#!/usr/bin/env bash
# Create (idempotently) the Python venv used by `make bench`: the artifact
# generator (Tests/bench/make_big_vectorizer.py), the harness (Tests/bench/run.py)
# and the peers it times (pickletools, picklescan, fickling, modelscan).
# Prints the venv path as the only line on stdout; progress goes to stderr.
#
#   VENV="$(Tests/bench/venv.sh)" && "$VENV/bin/python" Tests/bench/run.py --help
#
# Location: $BRINE_BENCH_VENV if set, else
#   $HOME/.cache/brine/bench-venv-<first 12 hex of sha256(requirements.txt)>
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
req="$here/requirements.txt"
[ -f "$req" ] || { echo "venv.sh: missing $req" >&2; exit 1; }

if command -v sha256sum >/dev/null 2>&1; then
  hash="$(sha256sum "$req" | cut -c1-12)"
else
  hash="$(shasum -a 256 "$req" | cut -c1-12)"
fi
venv="${BRINE_BENCH_VENV:-${HOME}/.cache/brine/bench-venv-${hash}}"
stamp="$venv/.brine-requirements-$hash"
python="${PYTHON:-python3}"

if [ -f "$stamp" ] && [ -x "$venv/bin/python" ]; then
  echo "$venv"
  exit 0
fi

echo "venv.sh: creating $venv" >&2
mkdir -p "$(dirname "$venv")"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv" >&2
fi
echo "venv.sh: installing $req" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
rm -f "$venv"/.brine-requirements-*
touch "$stamp"
echo "venv.sh: ready" >&2
echo "$venv"

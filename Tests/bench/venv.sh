#!/usr/bin/env bash
# The Python venv of `make bench`: the artifact generator, the harness and the peers it
# times (pickletools, picklescan, fickling, modelscan), pinned in Tests/bench/requirements.txt.
# Prints the venv path as the only line on stdout (fixtures/venv.sh does the work).
#
#   VENV="$(Tests/bench/venv.sh)" && "$VENV/bin/python" Tests/bench/run.py --help
#
# Location: $BRINE_BENCH_VENV if set, else ~/.cache/brine/bench-venv-<12 hex of sha256(requirements.txt)>
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BRINE_REQUIREMENTS="$here/requirements.txt" BRINE_VENV_NAME=bench-venv BRINE_VENV="${BRINE_BENCH_VENV:-}" \
  exec bash "$here/../../fixtures/venv.sh"

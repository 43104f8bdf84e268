#!/bin/sh
# Creates the venv of the peers bench/compare.py measures (medmask 0.1.3, crackle-codec, ...):
# medmask 0.1.3 is imported as `medmask`, like this package, so it lives in a venv of its own.
# Usage: bench/setup_bench_venv.sh [VENV]   (default: .venv-peers at the repository root)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${1:-"$root/.venv-peers"}
python=${PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -r "$root/bench/requirements-peers.txt"
"$venv/bin/python" -c "import medmask, crackle, zstandard, nibabel; print('peers venv ready:', '$venv', 'medmask', medmask.__version__)"

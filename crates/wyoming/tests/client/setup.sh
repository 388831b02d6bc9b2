#!/bin/sh
# Creates, once, a virtualenv holding the pinned wyoming library that client.py uses.
# Usage: setup.sh [VENV_DIR]   (default: target/wyoming-venv of the workspace)
# Runs again harmlessly: an existing venv with the right version is kept.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
venv=${1:-"$here/../../../../target/wyoming-venv"}
python=${PYTHON:-python3}
version=1.10.2

if [ -x "$venv/bin/python" ] &&
    "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('wyoming') != '$version')" 2>/dev/null; then
    exit 0
fi

"$python" -m venv --clear "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    --only-binary=:all: --require-hashes -r "$here/requirements.txt"
"$venv/bin/python" -c "import importlib.metadata as m; assert m.version('wyoming') == '$version'"

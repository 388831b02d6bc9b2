#!/usr/bin/env bash
# Reproducible training of the intent classifier: a pinned Python environment under
# target/, then tools/train_intent.py. Writes models/intent/{intent.onnx,manifest.json}.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/train-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -r tools/requirements-train.txt
exec "$venv/bin/python" tools/train_intent.py

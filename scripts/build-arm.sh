#!/usr/bin/env bash
# Builds voxorder for aarch64 Linux boards with Debian's cross toolchain and packs the
# install bundle: dist/voxorder-<version>-aarch64-linux.tar.gz.
#
#   bash scripts/build-arm.sh             setup (--arm), release build, bundle
#   bash scripts/build-arm.sh --no-dist   the binary only
#
# whisper.cpp is built with GGML_NATIVE=OFF for the ARMv8-A baseline (NEON), so one binary
# runs on a Raspberry Pi 4 (Cortex-A72) and 5 (A76). Set GGML_CPU_ARM_ARCH, e.g.
# armv8.2-a+dotprod+fp16, for a build that only targets newer cores.
set -euo pipefail
cd "$(dirname "$0")/.."

dist=1
for arg in "$@"; do
  case "$arg" in
    --no-dist) dist=0 ;;
    *) echo "build-arm: unknown option $arg" >&2; exit 2 ;;
  esac
done

target=aarch64-unknown-linux-gnu
bash scripts/setup.sh --arm

export GGML_NATIVE=OFF
# bindgen (whisper.cpp's bindings) parses the C headers as the target sees them.
export BINDGEN_EXTRA_CLANG_ARGS_aarch64_unknown_linux_gnu="--sysroot=/usr/aarch64-linux-gnu -I/usr/aarch64-linux-gnu/include"
started=$(date +%s)
# The device binary leaves out the reference OMS server (the `hub` feature): a kiosk
# never serves the sync API, so it does not link axum, hyper or the TLS server.
cargo build --locked --release --target "$target" -p voxorder --no-default-features
echo "build-arm: target/$target/release/voxorder built in $(( $(date +%s) - started )) s"

if [ "$dist" -eq 1 ]; then
  bash scripts/dist.sh --target "$target"
fi

#!/usr/bin/env bash
# The whole test suite: formatting, lints, and every test. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
# Examples are tools (clippy checks them above); every other target runs.
cargo test --locked --lib --bins --tests --benches
# The aarch64 build under qemu (VOXORDER_SKIP_ARM=1 leaves it out of a quick local run).
if [ "${VOXORDER_SKIP_ARM:-0}" != 1 ]; then
  bash scripts/test-arm.sh
fi

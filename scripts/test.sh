#!/usr/bin/env bash
# The whole test suite: formatting, lints, and every test. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# setup.sh installed Chromium, chromedriver and axe-core: the screen's browser tests run.
export VOXORDER_BROWSER_TESTS=1
# setup.sh installed PostgreSQL: the hub's PostgreSQL tests run, and fail if it is missing.
export VOXORDER_PG_TESTS=1
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# Examples are tools (clippy checks them above); every other target of every crate runs,
# the tidy rules (crates/tidy) among them.
cargo test --workspace --locked --no-fail-fast --lib --bins --tests --benches
# The device build leaves the hub out: its binary must say so for `voxorder oms`.
cargo clippy -p voxorder --no-default-features --all-targets --locked -- -D warnings
cargo test -p voxorder --no-default-features --locked --test cli
# The aarch64 build under qemu (VOXORDER_SKIP_ARM=1 leaves it out of a quick local run).
if [ "${VOXORDER_SKIP_ARM:-0}" != 1 ]; then
  bash scripts/test-arm.sh
fi

#!/usr/bin/env bash
# The whole test suite: formatting, lints, and every test. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
# Examples are tools (clippy checks them above); every other target runs.
cargo test --locked --lib --bins --tests --benches

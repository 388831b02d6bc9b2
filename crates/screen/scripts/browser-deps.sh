#!/usr/bin/env bash
# What the screen's browser tests and latency bench need, installed only when missing:
# Debian's Chromium and its WebDriver, and the pinned axe-core (package-lock.json) in this
# crate's node_modules. Safe to run again; it changes nothing when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver
fi

want=$(node -p "require('./package-lock.json').packages['node_modules/axe-core'].version")
have=$(node -p "try { require('./node_modules/axe-core/package.json').version } catch (e) { '' }")
if [ "$have" != "$want" ]; then
  npm ci --no-audit --no-fund --ignore-scripts
fi

echo "browser tests ready: $(chromium --version 2>/dev/null | head -n1), axe-core $want"

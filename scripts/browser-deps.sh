#!/usr/bin/env bash
# What the screen's browser tests and latency bench need, installed only when missing:
# Debian's Chromium and its WebDriver, and the pinned axe-core (crates/screen/package-lock.json)
# in crates/screen/node_modules, from npm's cache when it holds it. Safe to run again; it
# changes nothing when all is there. scripts/setup.sh runs it.
set -euo pipefail
cd "$(dirname "$0")/../crates/screen"

# By command, not package: node and npm may come from NodeSource's one nodejs package.
need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "browser-deps: installing ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

want=$(node -p "require('./package-lock.json').packages['node_modules/axe-core'].version")
have=$(node -p "try { require('./node_modules/axe-core/package.json').version } catch (e) { '' }")
if [ "$have" != "$want" ]; then
  npm ci --prefer-offline --no-audit --no-fund --ignore-scripts
fi

echo "browser-deps: $(chromium --version 2>/dev/null | head -n1), axe-core $want"

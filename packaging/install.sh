#!/usr/bin/env bash
# Installs this voxorder bundle on a Debian-based aarch64 board (Raspberry Pi OS 12 and
# the like): the binary and models in /opt/voxorder, the configuration in /etc/voxorder,
# the state in /var/lib/voxorder, and a systemd service running as the unprivileged
# `voxorder` user. Run as root from the unpacked bundle. Idempotent; an existing
# configuration is kept.
set -euo pipefail
cd "$(dirname "$0")"
[ "$(id -u)" -eq 0 ] || { echo "install: run as root (sudo bash install.sh)" >&2; exit 1; }
[ "$(uname -m)" = aarch64 ] || echo "install: warning: this bundle is for aarch64, this is $(uname -m)" >&2

# Runtime libraries the binary links: ALSA and espeak-ng (phonemes for the voice).
if command -v apt-get >/dev/null; then
  missing=()
  for p in libasound2 libespeak-ng1 espeak-ng-data; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
fi

id voxorder >/dev/null 2>&1 \
  || useradd --system --home-dir /var/lib/voxorder --shell /usr/sbin/nologin voxorder
install -d -m 0755 /opt/voxorder /etc/voxorder
install -d -m 0750 -o voxorder -g voxorder /var/lib/voxorder
install -m 0755 voxorder /opt/voxorder/voxorder
rm -rf /opt/voxorder/models.new
cp -r models /opt/voxorder/models.new
rm -rf /opt/voxorder/models
mv /opt/voxorder/models.new /opt/voxorder/models
[ -f /etc/voxorder/voxorder.toml ] || install -m 0644 config/voxorder.toml /etc/voxorder/voxorder.toml
install -m 0644 voxorder.service /etc/systemd/system/voxorder.service

# Every model present and unaltered before the service starts.
VOXORDER_MODELS=/opt/voxorder/models /opt/voxorder/voxorder models status

if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --now voxorder.service
  echo "install: voxorder is running (journalctl -u voxorder -f)"
else
  echo "install: installed; start it with: systemctl enable --now voxorder"
fi

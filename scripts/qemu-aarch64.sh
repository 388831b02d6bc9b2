#!/usr/bin/env bash
# Runs an aarch64 binary under qemu-user (cargo's runner for that target, and used by
# scripts/test-arm.sh). Debian 12's qemu-user passes the host's x86 /proc/cpuinfo through,
# and ONNX Runtime crashes parsing it; qemu's -L prefix serves an ARM cpuinfo instead
# (every other path falls through to the host). The arm64 libraries come from Debian
# multiarch, which the loader finds without -L /usr/aarch64-linux-gnu (mixing the two
# glibc builds hangs espeak-ng).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)/target/qemu-root"
if [ ! -f "$root/proc/cpuinfo" ]; then
  mkdir -p "$root/proc"
  cat > "$root/proc/cpuinfo.tmp" <<'CPU'
processor	: 0
BogoMIPS	: 108.00
Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp
CPU implementer	: 0x41
CPU architecture: 8
CPU variant	: 0x4
CPU part	: 0xd0b
CPU revision	: 1

processor	: 1
BogoMIPS	: 108.00
Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp
CPU implementer	: 0x41
CPU architecture: 8
CPU variant	: 0x4
CPU part	: 0xd0b
CPU revision	: 1
CPU
  mv "$root/proc/cpuinfo.tmp" "$root/proc/cpuinfo"
fi
exec qemu-aarch64 -L "$root" "$@"

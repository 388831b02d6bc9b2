#!/usr/bin/env bash
# Packs the install bundle from a built release binary:
#   dist/voxorder-<version>-<arch>-linux/    binary, models, ONNX Runtime, default config,
#                                            systemd unit, install.sh
#   dist/voxorder-<version>-<arch>-linux.tar.gz and a .json with the sizes
#
#   bash scripts/dist.sh [--target aarch64-unknown-linux-gnu]
#
# scripts/build-arm.sh builds the binary and calls this. The bundle's own binary checks
# the bundle (`models status`, under qemu for another architecture) before it is packed.
set -euo pipefail
cd "$(dirname "$0")/.."

target=aarch64-unknown-linux-gnu
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target="$2"; shift 2 ;;
    *) echo "dist: unknown option $1" >&2; exit 2 ;;
  esac
done
arch="${target%%-*}"
bin="target/$target/release/voxorder"
[ -x "$bin" ] || { echo "dist: $bin is missing: run bash scripts/build-arm.sh" >&2; exit 1; }

runner=()
ort="models/lib/libonnxruntime.so.1.31.1"
if [ "$arch" != "$(uname -m)" ]; then
  [ "$arch" = aarch64 ] || { echo "dist: cannot run a $arch binary here" >&2; exit 1; }
  runner=(scripts/qemu-aarch64.sh)
  ort="models/$arch/lib/libonnxruntime.so.1.31.1"
fi
[ -f "$ort" ] || { echo "dist: $ort is missing: run bash scripts/setup.sh --arm" >&2; exit 1; }

# The Whisper model ships converted (the device needs no CTranslate2 files); converting
# is deterministic, and the manifest's sha256 checks the result.
if [ ! -f models/whisper/ggml-tiny.en.bin ]; then
  "${runner[@]}" "$bin" models prepare
fi
want=$(sed -n '/^\[\[derived\]\]/,$ s/^sha256 = "\(.*\)"/\1/p' models/manifest.toml | head -n 1)
have=$(sha256sum models/whisper/ggml-tiny.en.bin | cut -d' ' -f1)
[ "$want" = "$have" ] || { echo "dist: models/whisper/ggml-tiny.en.bin does not match the manifest; delete it and run again" >&2; exit 1; }

# The intent model's sentence encoder, built by the setup step (models/manifest.toml).
python3 tools/convert_minilm.py --verify-only \
  || { echo "dist: models/encoder/minilm-l6.int8.onnx is missing or wrong; run bash scripts/setup.sh" >&2; exit 1; }

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
name="voxorder-$version-$arch-linux"
out="dist/$name"
rm -rf "$out" "$out.tar.gz"
mkdir -p "$out/models/whisper" "$out/models/lib" "$out/models/encoder" "$out/config"
cp "$bin" "$out/voxorder"
cp models/manifest.toml "$out/models/"
cp -r models/intent models/piper models/vad models/wake "$out/models/"
cp models/whisper/ggml-tiny.en.bin "$out/models/whisper/"
cp models/encoder/minilm-l6.int8.onnx models/encoder/tokenizer.json "$out/models/encoder/"
cp "$ort" "$out/models/lib/"
cp crates/config/assets/default.toml "$out/config/voxorder.toml"
cp packaging/voxorder.service packaging/install.sh "$out/"
cat > "$out/README.txt" <<TXT
voxorder $version for $arch Linux

Install on the board (Debian 12 based, e.g. Raspberry Pi OS), as root:
    tar xzf $name.tar.gz && cd $name && sudo bash install.sh

It installs /opt/voxorder (binary and models), /etc/voxorder/voxorder.toml (edit it: store
name, speech.mode kiosk or speaker, audio devices, [sync] oms_url and token_file), and the
voxorder systemd service, which runs \`voxorder run\` as the unprivileged voxorder user and
restarts it on failure. State (the order store and its outbox) is in /var/lib/voxorder.
Logs: journalctl -u voxorder -f. Try it by hand: /opt/voxorder/voxorder chat
TXT

# The bundle as the device will see it: every model present and unaltered.
VOXORDER_MODELS="$out/models" "${runner[@]}" "$out/voxorder" models status >/dev/null \
  || { VOXORDER_MODELS="$out/models" "${runner[@]}" "$out/voxorder" models status; exit 1; }

tar -C dist -czf "$out.tar.gz" "$name"
binary=$(stat -c %s "$out/voxorder")
bundle=$(du -sb "$out" | cut -f1)
packed=$(stat -c %s "$out.tar.gz")
cat > "$out.json" <<JSON
{"target": "$target", "version": "$version", "binary_bytes": $binary, "bundle_bytes": $bundle, "tar_gz_bytes": $packed}
JSON
echo "dist: $out.tar.gz"
echo "dist: binary $((binary / 1000000)) MB, bundle $((bundle / 1000000)) MB, packed $((packed / 1000000)) MB"

#!/usr/bin/env bash
# The aarch64 build under emulation. Builds the aarch64 release binary with the Debian
# cross toolchain (scripts/build-arm.sh) and runs it under qemu-aarch64 on the parts that
# need no sound card, each checked against the native x86 build's answers:
#
#   1. `voxorder nlu` on every third line of the held-out set (315 of 945 utterances; the
#      sentence encoder costs about a second a line under emulation): the ONNX intent
#      model and its int8 sentence encoder on the aarch64 ONNX Runtime; accuracy ≥ 0.95
#      and the same intent as native for ≥ 99% of lines.
#   2. `voxorder chat`: two scripted calls on the embedded demo store (status with
#      verification; a cancellation written with its outbox command): bundled SQLite,
#      the dialog and the store; the transcript must equal the native one word for word.
#   3. `voxorder say`: Piper on ONNX Runtime and espeak-ng phonemes (arm64 library); the
#      native recogniser must hear the sentence in the aarch64 voice.
#   4. `voxorder transcribe`: whisper.cpp built for ARMv8 (NEON, GGML_NATIVE=OFF) on a
#      recorded clip; it must hear the request (a difference in wording from the native
#      transcript, from other floating-point paths, is reported, not failed).
#
# The unit, conversation and sync tests check logic that does not depend on the CPU and
# run natively (scripts/test.sh); under qemu they would take most of CI's time budget for
# little more than the above already proves: the aarch64 native libraries, the ABI and
# the floating point of every model on ARM. Timings (qemu vs native, for comparison only)
# go to target/arm-report.json.
set -euo pipefail
cd "$(dirname "$0")/.."

target=aarch64-unknown-linux-gnu
bash scripts/build-arm.sh --no-dist
# The native side is built from this tree every time (a no-op after scripts/test.sh): a
# release binary left from an older tree would compare the ARM build with old code.
cargo build --locked -p voxorder
native=target/debug/voxorder

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now=2026-03-10T10:00:00
arm() {
  VOXORDER_HOME="$work/arm-home" VOXORDER_ORT_LIB="$PWD/models/aarch64/lib/libonnxruntime.so.1.31.1" \
    scripts/qemu-aarch64.sh "target/$target/release/voxorder" --now "$now" "$@"
}
host() {
  VOXORDER_HOME="$work/host-home" "$native" --now "$now" "$@"
}
seconds() { python3 -c 'import sys,time; print(f"{time.time():.3f}")'; }
fail() { echo "test-arm: FAILED: $*" >&2; exit 1; }

echo "test-arm: $(arm --version) under qemu-aarch64, against $native"

# 1. NLU on the held-out set.
awk 'NR % 3 == 1' assets/nlu/heldout/intents.tsv > "$work/heldout.tsv"
cut -f2 "$work/heldout.tsv" > "$work/utterances.txt"
t0=$(seconds); arm nlu < "$work/utterances.txt" > "$work/nlu-arm.jsonl"; t1=$(seconds)
host nlu < "$work/utterances.txt" > "$work/nlu-host.jsonl"; t2=$(seconds)
python3 - "$work" "$t0" "$t1" "$t2" <<'PY' || fail "nlu"
import json, sys
work, t0, t1, t2 = sys.argv[1], *map(float, sys.argv[2:])
gold = [l.split("\t")[0] for l in open(f"{work}/heldout.tsv", encoding="utf-8")]
arm = [json.loads(l)["intent"] for l in open(f"{work}/nlu-arm.jsonl")]
host = [json.loads(l)["intent"] for l in open(f"{work}/nlu-host.jsonl")]
assert len(arm) == len(gold) == len(host), (len(arm), len(gold), len(host))
acc = sum(a == g for a, g in zip(arm, gold)) / len(gold)
same = sum(a == h for a, h in zip(arm, host)) / len(gold)
print(f"test-arm: nlu held-out accuracy {acc:.4f} on aarch64, {same:.4f} same as native "
      f"({t1 - t0:.1f} s under qemu, {t2 - t1:.1f} s native)")
json.dump({"nlu_lines": len(gold), "nlu_accuracy": acc, "nlu_same_as_native": same,
           "nlu_qemu_s": t1 - t0, "nlu_native_s": t2 - t1}, open(f"{work}/nlu.json", "w"))
sys.exit(0 if acc >= 0.95 and same >= 0.99 else 1)
PY

# 2. Text calls on the demo store, compared word for word.
number=$(host orders list --email ada.park@example.com --json \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["order_number"])')
spaced=$(echo "$number" | sed 's/./& /g')
for who in arm host; do
  printf '%s\n' "hi where's my order" "$spaced" "seven eight seven oh one" "no that's all thanks" \
    | "$who" chat > "$work/call1-$who.txt"
  printf '%s\n' "pause my coffee subscription" "yes" "bye" \
    | "$who" chat --customer ada.park@example.com > "$work/call2-$who.txt"
  "$who" report --json > "$work/report-$who.json"
done
for f in call1 call2; do
  diff -u "$work/$f-host.txt" "$work/$f-arm.txt" || fail "chat transcript $f differs"
done
grep -q "agent: " "$work/call1-arm.txt" || fail "chat gave no replies"
python3 - "$work" <<'PY' || fail "report"
import json, sys
a = json.load(open(f"{sys.argv[1]}/report-arm.json"))
h = json.load(open(f"{sys.argv[1]}/report-host.json"))
assert a["conversations"] == h["conversations"] == 2, (a, h)
PY
echo "test-arm: chat transcripts identical to native ($(grep -c 'agent: ' "$work/call1-arm.txt") + $(grep -c 'agent: ' "$work/call2-arm.txt") replies)"

# 3. The aarch64 voice, heard by the native recogniser.
sentence="Your order ships Monday."
t0=$(seconds); arm say "$sentence" -o "$work/say-arm.wav" > /dev/null; t1=$(seconds)
heard=$(host transcribe "$work/say-arm.wav")
echo "test-arm: aarch64 voice, heard natively: $heard ($(python3 -c "print(f'{$t1 - $t0:.1f}')") s under qemu)"
for w in order monday; do
  echo "$heard" | tr 'A-Z' 'a-z' | grep -q "$w" || fail "say: '$w' not heard in '$heard'"
done

# 4. whisper.cpp on aarch64.
t0=$(seconds); arm_text=$(arm transcribe tests/data/asr/order.wav); t1=$(seconds)
host_text=$(host transcribe tests/data/asr/order.wav); t2=$(seconds)
norm() { echo "$1" | tr 'A-Z' 'a-z' | tr -cd 'a-z0-9 \n' | xargs; }
echo "test-arm: transcribe on aarch64: '$arm_text'; native: '$host_text'"
[ "$(norm "$arm_text")" = "$(norm "$host_text")" ] \
  || echo "test-arm: note: the aarch64 and native transcripts differ in wording"
echo "$arm_text" | tr 'A-Z' 'a-z' | grep -q order || fail "transcribe: 'order' not heard"

python3 - "$work" "$t0" "$t1" "$t2" "$native" <<'PY'
import json, os, sys
work, t0, t1, t2, native = sys.argv[1], *map(float, sys.argv[2:5]), sys.argv[5]
report = json.load(open(f"{work}/nlu.json"))
report.update({"transcribe_qemu_s": t1 - t0, "transcribe_native_s": t2 - t1,
               "native_binary": native,
               "aarch64_binary_bytes": os.path.getsize("target/aarch64-unknown-linux-gnu/release/voxorder")})
json.dump(report, open("target/arm-report.json", "w"), indent=2)
print(f"test-arm: transcribe {t1 - t0:.1f} s under qemu, {t2 - t1:.1f} s native")
PY
echo "test-arm: ok (figures in target/arm-report.json)"

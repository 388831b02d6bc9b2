#!/usr/bin/env bash
# The main job: set up, build, and run the demo on the embedded default store.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --locked -p voxorder
vox=target/release/voxorder

echo
echo "== The demo store (created on first use) =="
"$vox" store info
echo
echo "== Orders of the Park household, looked up by their home phone =="
"$vox" orders list --phone "512-555-0199"
echo
first=$("$vox" orders list --email ada.park@example.com --json \
  | sed -n 's/.*"order_number": "\([0-9]*\)".*/\1/p' | head -n 1)
echo "== Ada Park's newest order =="
"$vox" orders show "$first"
echo
echo
echo "== What callers say, understood =="
printf '%s\n' \
  "hi um where's my parcel it's order $(echo "$first" | sed 's/./& /g')" \
  "i need to send back the hoodie it doesn't fit can i get store credit" \
  "can you move my delivery to friday afternoon" \
  "order two bags of coffee beans every two weeks" \
  "what's the weather like" \
  | "$vox" nlu
echo
echo "== A conversation (one caller line in, one agent line out) =="
call=("hi, where's my order?" "$(echo "$first" | sed 's/./& /g')" "seven eight seven oh one" \
  "no that's all, thanks")
printf 'caller: %s\n' "${call[@]}"
printf '%s\n' "${call[@]}" | "$vox" chat
echo
echo "== A smart speaker in the Park household =="
printf '%s\n' "pause my coffee subscription" "no, actually, leave it" "bye" \
  | "$vox" chat --customer ada.park@example.com
echo
echo "== A spoken call: caller turns as WAV files, through recognition, dialog and voice =="
call="$(mktemp -d)"
"$vox" say "Hi, where's my order?" -o "$call/01.wav" >/dev/null
"$vox" say "$(echo "$first" | sed 's/./& /g')." -o "$call/02.wav" >/dev/null
"$vox" say "7 8 7 0 1." -o "$call/03.wav" >/dev/null
"$vox" say "No, that's all. Thanks." -o "$call/04.wav" >/dev/null
"$vox" simulate --in "$call"
echo
echo "== What callers wanted (this demo's conversations) =="
"$vox" report
echo
echo "Talk to it: $vox chat        (add --customer ada.park@example.com for a household speaker)"
echo "Try: $vox orders list --email mei.chen@example.com"
echo "     $vox nlu \"I'd like to talk to a real person\""

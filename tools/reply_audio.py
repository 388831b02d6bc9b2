"""Seconds of the device's voice for every reply of the conversation suite.

The conversation test estimates length from characters; digits read one by one and
pauses make that estimate low, so this speaks each reply with `voxorder say` and reads
the WAV's duration. Usage:

    VOXORDER_REPLY_DUMP=/tmp/replies.tsv \
        cargo test -p voxorder-agent --test conversations every -- --nocapture
    python3 tools/reply_audio.py /tmp/replies.tsv target/release/voxorder [--json out.json]

Prints p50, p95, the share over eight seconds and the longest ten replies.
"""

import argparse
import concurrent.futures as cf
import json
import os
import subprocess
import tempfile
import wave


def seconds(binary: str, text: str, tmp: str, i: int) -> float:
    out = os.path.join(tmp, f"{i}.wav")
    subprocess.run([binary, "say", "--out", out, text], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with wave.open(out) as w:
        return w.getnframes() / w.getframerate()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("binary")
    ap.add_argument("--json")
    ap.add_argument("--tsv", help="every reply with its seconds, longest first")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    rows = []
    with open(a.dump, encoding="utf-8") as f:
        for line in f:
            n, name, text = line.rstrip("\n").split("\t", 2)
            rows.append((name, text))
    # The same words spoken twice last the same: speak each distinct reply once.
    distinct = sorted({t for _, t in rows})
    with tempfile.TemporaryDirectory() as tmp, cf.ThreadPoolExecutor(a.jobs) as pool:
        durations = dict(zip(distinct, pool.map(
            lambda it: seconds(a.binary, it[1], tmp, it[0]), enumerate(distinct))))
    secs = sorted((durations[t], name, t) for name, t in rows)
    at = lambda q: secs[round((len(secs) - 1) * q)][0]
    over = sum(1 for s, _, _ in secs if s > 8.0)
    print(f"{len(secs)} replies: p50 {at(0.5):.1f} s, p95 {at(0.95):.1f} s, "
          f"over 8 s: {over} ({over / len(secs):.1%})")
    print("longest ten:")
    for s, name, t in secs[::-1][:10]:
        print(f"  {s:5.1f} s  {name}: {t[:100]}")
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({"replies": len(secs), "p50_s": at(0.5), "p95_s": at(0.95),
                       "over_8_s": over,
                       "longest": [{"s": s, "script": n, "reply": t} for s, n, t in secs[::-1][:10]]},
                      f, indent=1)
    if a.tsv:
        with open(a.tsv, "w", encoding="utf-8") as f:
            for s, n, t in secs[::-1]:
                f.write(f"{s:.2f}\t{n}\t{t}\n")


if __name__ == "__main__":
    main()

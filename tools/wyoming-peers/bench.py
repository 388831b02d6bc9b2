#!/usr/bin/env python3
"""voxorder's Wyoming server against its peers, in one run on one machine.

Starts `voxorder wyoming`, wyoming-faster-whisper (tiny.en from the product's models
directory, its other settings at their defaults) and wyoming-piper (the product's
en_US-joe-medium voice files), waits for each to answer `describe`, then as Home
Assistant would:

- sends each clip (16 kHz mono 16-bit, in 10 ms chunks) for transcription, and times
  from `audio-stop` to `transcript`;
- sends each sentence for synthesis, and times from `synthesize` to the first
  `audio-chunk`;

and prints JSON: p50/p95 of both per server, the transcripts, and each server's
resident memory (VmRSS now and VmHWM, its peak) after the run. Nothing is downloaded:
faster-whisper reads the CTranslate2 model the product converts its own from, with a
tokenizer built from that model's vocabulary, and wyoming-piper the voice files in
models/piper.

Usage (from the repository root, after `pip install -r tools/wyoming-peers/requirements.txt`
in a virtualenv whose python runs this script):
  python tools/wyoming-peers/bench.py --voxorder target/release/voxorder [--rounds 5]
"""

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.info import Describe, Info
from wyoming.tts import Synthesize

SENTENCES = [
    "Your order is on its way.",
    "It should arrive on Thursday between nine and five.",
    "I have placed the order for three bags of coffee beans.",
    "Is there anything else I can help you with?",
]
STEP = 120.0  # longest wait for one event


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def to_16k(path: Path) -> bytes:
    """A 16-bit mono clip at 16 kHz (linear interpolation), as Home Assistant sends."""
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1, path
        rate = w.getframerate()
        pcm = w.readframes(w.getnframes())
    samples = struct.unpack("<%dh" % (len(pcm) // 2), pcm)
    if rate == 16000:
        return pcm
    n = int(len(samples) * 16000 / rate)
    out = []
    for i in range(n):
        x = i * rate / 16000
        j = int(x)
        a = samples[min(j, len(samples) - 1)]
        b = samples[min(j + 1, len(samples) - 1)]
        out.append(int(a + (b - a) * (x - j)))
    return struct.pack("<%dh" % len(out), *out)


def percentiles(values: List[float]) -> Dict[str, float]:
    values = sorted(values)
    if not values:
        return {}

    def pct(p: float) -> float:
        k = (len(values) - 1) * p
        lo, hi = int(k), min(int(k) + 1, len(values) - 1)
        return round(values[lo] + (values[hi] - values[lo]) * (k - lo), 1)

    return {"p50_ms": pct(0.5), "p95_ms": pct(0.95), "n": len(values)}


def memory(pid: int) -> Dict[str, int]:
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key.lower() + "_mb"] = round(int(value.split()[0]) / 1024)
    return fields


async def wait_ready(port: int, proc: subprocess.Popen, limit: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if proc.poll() is not None:
            raise RuntimeError(f"server on {port} exited with {proc.returncode}")
        try:
            async with AsyncTcpClient("127.0.0.1", port) as client:
                await client.write_event(Describe().event())
                while True:
                    event = await asyncio.wait_for(client.read_event(), timeout=10)
                    if event is None:
                        break
                    if Info.is_type(event.type):
                        return time.monotonic() - started
        except (OSError, asyncio.TimeoutError):
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError(f"server on {port} not ready in {limit} s")


async def transcribe(port: int, pcm: bytes) -> Tuple[float, str]:
    async with AsyncTcpClient("127.0.0.1", port) as client:
        await client.write_event(Transcribe(language="en").event())
        await client.write_event(AudioStart(rate=16000, width=2, channels=1).event())
        for i in range(0, len(pcm), 320):
            await client.write_event(
                AudioChunk(rate=16000, width=2, channels=1, audio=pcm[i : i + 320]).event()
            )
        await client.write_event(AudioStop().event())
        stopped = time.monotonic()
        while True:
            event = await asyncio.wait_for(client.read_event(), timeout=STEP)
            if event is None:
                raise RuntimeError("closed before the transcript")
            if Error.is_type(event.type):
                raise RuntimeError(Error.from_event(event).text)
            if Transcript.is_type(event.type):
                return (time.monotonic() - stopped) * 1000, Transcript.from_event(event).text


async def first_audio(port: int, text: str) -> Tuple[float, float]:
    async with AsyncTcpClient("127.0.0.1", port) as client:
        sent = time.monotonic()
        await client.write_event(Synthesize(text=text).event())
        first = None
        while True:
            event = await asyncio.wait_for(client.read_event(), timeout=STEP)
            if event is None:
                raise RuntimeError("closed before audio-stop")
            if Error.is_type(event.type):
                raise RuntimeError(Error.from_event(event).text)
            if first is None and AudioChunk.is_type(event.type):
                first = (time.monotonic() - sent) * 1000
            if AudioStop.is_type(event.type):
                return first or 0.0, (time.monotonic() - sent) * 1000


def whisper_dir(models: Path, work: Path) -> Path:
    """The product's CTranslate2 tiny.en with a tokenizer.json made from its own
    vocabulary (byte-level BPE ids; decoding needs no merges), so faster-whisper has
    nothing to fetch from a hub."""
    src = models / "whisper" / "ct2-tiny.en"
    dst = work / "faster-whisper-tiny.en"
    dst.mkdir()
    for f in src.iterdir():
        os.symlink(f.resolve(), dst / f.name)
    vocab = [line.rstrip("\n") for line in open(src / "vocabulary.txt", encoding="utf-8")]
    special = [i for i, t in enumerate(vocab) if t.startswith("<|") and t.endswith("|>")]
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": i, "content": vocab[i], "single_word": False, "lstrip": False,
             "rstrip": False, "normalized": False, "special": True}
            for i in special
        ],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                  "vocab": {t: i for i, t in enumerate(vocab)}, "merges": []},
    }
    with open(dst / "tokenizer.json", "w", encoding="utf-8") as f:
        json.dump(tokenizer, f)
    return dst


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voxorder", required=True, help="the voxorder binary")
    parser.add_argument("--config", help="a voxorder configuration file (e.g. other speech.asr.threads)")
    parser.add_argument("--models", default="models", help="the product's models directory")
    parser.add_argument("--clips", nargs="*", default=sorted(str(p) for p in Path("tests/data/asr").glob("*.wav")))
    parser.add_argument("--rounds", type=int, default=5, help="times each clip and sentence is sent")
    args = parser.parse_args()
    models = Path(args.models).resolve()
    work = Path(tempfile.mkdtemp(prefix="wyoming-peers-"))
    ports = {"voxorder": free_port(), "faster-whisper": free_port(), "piper": free_port()}
    env = dict(os.environ, VOXORDER_HOME=str(work / "home"), HF_HUB_OFFLINE="1")
    procs: Dict[str, subprocess.Popen] = {}
    log = open(work / "servers.log", "w")
    (work / "fw-data").mkdir()
    (work / "piper-dl").mkdir()
    try:
        procs["voxorder"] = subprocess.Popen(
            [args.voxorder, *(["--config", args.config] if args.config else []),
             "wyoming", "--listen", f"127.0.0.1:{ports['voxorder']}"],
            env=env, stdout=subprocess.DEVNULL, stderr=log,
        )
        procs["faster-whisper"] = subprocess.Popen(
            [sys.executable, "-m", "wyoming_faster_whisper",
             "--uri", f"tcp://127.0.0.1:{ports['faster-whisper']}",
             "--model", str(whisper_dir(models, work)),
             "--data-dir", str(work / "fw-data"), "--language", "en", "--local-files-only"],
            env=env, stdout=log, stderr=log,
        )
        procs["piper"] = subprocess.Popen(
            [sys.executable, "-m", "wyoming_piper",
             "--uri", f"tcp://127.0.0.1:{ports['piper']}",
             "--voice", "en_US-joe-medium",
             "--data-dir", str(models / "piper"), "--download-dir", str(work / "piper-dl"),
             "--local-files-only"],
            env=env, stdout=log, stderr=log,
        )
        ready = {name: round(await wait_ready(ports[name], procs[name], 300), 1) for name in procs}

        clips = [(Path(c).name, to_16k(Path(c))) for c in args.clips]
        asr: Dict[str, List[float]] = {"voxorder": [], "faster-whisper": []}
        texts: Dict[str, Dict[str, str]] = {"voxorder": {}, "faster-whisper": {}}
        for _ in range(args.rounds):
            for name, pcm in clips:
                for server in asr:  # interleaved, so both see the same machine load
                    ms, text = await transcribe(ports[server], pcm)
                    asr[server].append(ms)
                    texts[server][name] = text.strip()
        tts: Dict[str, List[float]] = {"voxorder": [], "piper": []}
        for _ in range(args.rounds):
            for sentence in SENTENCES:
                for server in tts:
                    first, _done = await first_audio(ports[server], sentence)
                    tts[server].append(first)
        mem = {name: memory(proc.pid) for name, proc in procs.items()}
        result = {
            "machine": {"cpus": os.cpu_count(), "load_1m": round(os.getloadavg()[0], 2)},
            "rounds": args.rounds,
            "voxorder_config": args.config,
            "clips": [c for c, _ in clips],
            "ready_s": ready,
            "transcript_after_audio_stop": {s: percentiles(v) for s, v in asr.items()},
            "transcripts": texts,
            "first_audio_after_synthesize": {s: percentiles(v) for s, v in tts.items()},
            "memory": mem,
            "memory_peers_together_mb": sum(mem[p]["vmrss_mb"] for p in ("faster-whisper", "piper")),
        }
        print(json.dumps(result, indent=2))
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())

#!/usr/bin/env python3
"""Drives `voxorder wyoming` with the wyoming library Home Assistant uses, one check per
call, and prints what it saw as one JSON object on stdout (tests/wyoming.rs asserts on it).

Usage:
  client.py PORT describe
  client.py PORT transcribe WAV [RATE CHANNELS WIDTH]   (converted before sending)
  client.py PORT synthesize TEXT [streamed]             (then sent back for recognition)
  client.py PORT handle CONVERSATION SATELLITE TEXT...  (one connection per turn, as HA)
  client.py PORT two-clients
  client.py PORT bad-inputs
"""

import asyncio
import json
import math
import socket
import struct
import sys
import time
import wave
from typing import List, Optional, Tuple

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe, Info
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
)

HOST = "127.0.0.1"
PORT = 0
STEP = 60.0  # longest wait for one event: recognition on a loaded machine takes seconds


async def read(client: AsyncTcpClient) -> Optional[Event]:
    return await asyncio.wait_for(client.read_event(), timeout=STEP)


def convert(pcm: bytes, rate: int, to_rate: int, channels: int, width: int) -> bytes:
    """16-bit mono PCM at `rate` as `width`-byte, `channels`-channel PCM at `to_rate`
    (linear interpolation: enough for a recogniser that resamples again)."""
    samples = struct.unpack("<%dh" % (len(pcm) // 2), pcm)
    n = int(len(samples) * to_rate / rate)
    out = bytearray()
    for i in range(n):
        x = i * rate / to_rate
        j = int(x)
        a = samples[min(j, len(samples) - 1)]
        b = samples[min(j + 1, len(samples) - 1)]
        v = (a + (b - a) * (x - j)) / 32768.0
        if width == 1:
            frame = bytes([max(0, min(255, int(v * 127 + 128)))])
        elif width == 2:
            frame = struct.pack("<h", int(v * 32767))
        elif width == 3:
            frame = struct.pack("<i", int(v * 8388607))[:3]
        else:
            frame = struct.pack("<i", int(v * 2147483647))
        out += frame * channels
    return bytes(out)


async def transcribe_pcm(pcm: bytes, rate: int, width: int, channels: int) -> dict:
    """As Home Assistant's STT: transcribe, audio-start, 10 ms chunks, audio-stop."""
    async with AsyncTcpClient(HOST, PORT) as client:
        await client.write_event(Transcribe(language="en").event())
        await client.write_event(AudioStart(rate=rate, width=width, channels=channels).event())
        step = rate // 100 * width * channels
        for i in range(0, len(pcm), step):
            chunk = AudioChunk(rate=rate, width=width, channels=channels, audio=pcm[i : i + step])
            await client.write_event(chunk.event())
        await client.write_event(AudioStop().event())
        stopped = time.monotonic()
        while True:
            event = await read(client)
            if event is None:
                return {"error": "closed"}
            if Error.is_type(event.type):
                return {"error": Error.from_event(event).code}
            if Transcript.is_type(event.type):
                return {
                    "text": Transcript.from_event(event).text,
                    "latency_ms": (time.monotonic() - stopped) * 1000,
                }


def read_wav(path: str) -> Tuple[bytes, int]:
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1, "16-bit mono clips"
        return w.readframes(w.getnframes()), w.getframerate()


async def describe() -> dict:
    async with AsyncTcpClient(HOST, PORT) as client:
        await client.write_event(Describe().event())
        while True:
            event = await read(client)
            if event is None:
                return {"error": "closed"}
            if Info.is_type(event.type):
                # What Home Assistant does with it: a missing field raises here.
                info = Info.from_event(event)
                return {
                    "asr": [m.name for p in info.asr for m in p.models if m.installed],
                    "asr_languages": [l for p in info.asr for m in p.models for l in m.languages],
                    "tts": [v.name for p in info.tts for v in p.voices if v.installed],
                    "tts_streaming": [p.supports_synthesize_streaming for p in info.tts],
                    "handle": [m.name for p in info.handle for m in p.models],
                    "wake": [m.name for p in info.wake for m in p.models],
                    "satellite": info.satellite is not None,
                }


async def transcribe(path: str, rate: Optional[int], channels: int, width: int) -> dict:
    pcm, clip_rate = read_wav(path)
    if rate is None:
        return await transcribe_pcm(pcm, clip_rate, 2, 1)
    return await transcribe_pcm(convert(pcm, clip_rate, rate, channels, width), rate, width, channels)


async def synthesize(text: str, streamed: bool) -> dict:
    """As Home Assistant's TTS; the audio is then recognised by the same server."""
    async with AsyncTcpClient(HOST, PORT) as client:
        sent = time.monotonic()
        if streamed:
            await client.write_event(SynthesizeStart().event())
            for word in text.split(" "):
                await client.write_event(SynthesizeChunk(text=word + " ").event())
            await client.write_event(Synthesize(text=text).event())
            await client.write_event(SynthesizeStop().event())
        else:
            await client.write_event(Synthesize(text=text).event())
        starts, stops, chunks, first_audio = 0, 0, 0, None
        audio = bytearray()
        fmt = None
        while True:
            event = await read(client)
            if event is None:
                return {"error": "closed"}
            if Error.is_type(event.type):
                return {"error": Error.from_event(event).code}
            if AudioStart.is_type(event.type):
                starts += 1
                start = AudioStart.from_event(event)
                fmt = fmt or (start.rate, start.width, start.channels)
            elif AudioChunk.is_type(event.type):
                chunk = AudioChunk.from_event(event)
                if first_audio is None:
                    first_audio = (time.monotonic() - sent) * 1000
                chunks += 1
                audio += chunk.audio
            elif AudioStop.is_type(event.type):
                stops += 1
                if not streamed:
                    break
            elif SynthesizeStopped.is_type(event.type):
                break
        done = (time.monotonic() - sent) * 1000
    rate, width, channels = fmt
    heard = await transcribe_pcm(bytes(audio), rate, width, channels)
    return {
        "starts": starts,
        "stops": stops,
        "chunks": chunks,
        "rate": rate,
        "width": width,
        "channels": channels,
        "seconds": len(audio) / (rate * width * channels),
        "first_audio_ms": first_audio,
        "done_ms": done,
        "heard": heard.get("text"),
    }


async def turn(conversation: str, satellite: Optional[str], text: str) -> dict:
    """As Home Assistant's conversation agent: a new connection, one transcript."""
    context = {"conversation_id": conversation}
    if satellite:
        # "satellite|device": a satellite id and the id of the device it runs on.
        sat, _, device = satellite.partition("|")
        if sat:
            context["satellite_id"] = sat
        if device:
            context["device_id"] = device
    async with AsyncTcpClient(HOST, PORT) as client:
        await client.write_event(Transcript(text=text, language="en", context=context).event())
        while True:
            event = await read(client)
            if event is None:
                return {"error": "closed"}
            if Error.is_type(event.type):
                return {"error": Error.from_event(event).code}
            if Handled.is_type(event.type):
                return {"handled": True, "text": Handled.from_event(event).text}
            if NotHandled.is_type(event.type):
                return {"handled": False, "text": NotHandled.from_event(event).text}


async def handle(conversation: str, satellite: str, texts: List[str]) -> dict:
    return {"turns": [await turn(conversation, satellite or None, t) for t in texts]}


async def two_clients() -> dict:
    """Two conversations at once, their turns interleaved: each keeps its own state."""
    a = ["where is my order", "1000000000011", "78701"]
    b = ["what is your return policy", "I want to cancel my order", "1000000000011"]
    out = {"a": [], "b": []}
    for ta, tb in zip(a, b):
        ra, rb = await asyncio.gather(turn("conv-a", None, ta), turn("conv-b", None, tb))
        out["a"].append(ra)
        out["b"].append(rb)
    return out


def raw(data: bytes, wait: float = 5.0) -> dict:
    """Sends bytes on a plain socket; returns the events answered and whether the
    server closed the connection."""
    with socket.create_connection((HOST, PORT), timeout=wait) as s:
        s.sendall(data)
        got = b""
        closed = False
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                piece = s.recv(65536)
            except socket.timeout:
                break
            if not piece:
                closed = True
                break
            got += piece
            # After a first answer, wait briefly for more or for the close.
            s.settimeout(1.0)
    events = []
    for line in got.split(b"\n"):
        try:
            events.append(json.loads(line))
        except ValueError:
            pass
    headers = [e for e in events if isinstance(e, dict) and "type" in e]
    # An error's code is in its data block, which follows its header line.
    codes = [e.get("code") for e in events if isinstance(e, dict) and "code" in e]
    return {"types": [h["type"] for h in headers], "codes": codes, "closed": closed}


async def still_serving() -> bool:
    return "asr" in await describe()


async def bad_inputs() -> dict:
    out = {}
    out["malformed_header"] = raw(b"{not json\n")
    out["oversized_payload"] = raw(
        json.dumps({"type": "audio-chunk", "payload_length": 64 * 1024 * 1024}).encode() + b"\n"
    )
    out["oversized_header"] = raw(b'{"type": "' + b"x" * (200 * 1024) + b'"}\n')
    out["unknown_event"] = raw(
        b'{"type": "teleport", "data": {"to": "mars"}}\n{"type": "describe"}\n'
    )
    # Mid-stream: an utterance begun, then the client vanishes without audio-stop.
    with socket.create_connection((HOST, PORT), timeout=5) as s:
        s.sendall(b'{"type": "transcribe"}\n')
        s.sendall(b'{"type": "audio-start", "data": {"rate": 16000, "width": 2, "channels": 1}}\n')
        chunk = b"\x00\x01" * 800
        header = json.dumps(
            {"type": "audio-chunk", "data": {"rate": 16000, "width": 2, "channels": 1}, "payload_length": len(chunk)}
        ).encode()
        s.sendall(header + b"\n" + chunk)
    # A synthesis whose listener goes away after the first event.
    with socket.create_connection((HOST, PORT), timeout=5) as s:
        s.sendall(b'{"type": "synthesize", "data": {"text": "This is a long reply. It has three sentences. Nobody hears it."}}\n')
        s.recv(10)
    out["after_disconnects"] = await still_serving()
    # A slow client: a header started and never finished is cut off by the idle timeout.
    started = time.monotonic()
    with socket.create_connection((HOST, PORT), timeout=30) as s:
        s.sendall(b'{"type": "desc')
        got = b""
        while True:
            piece = s.recv(65536)
            if not piece:
                break
            got += piece
    out["slow_client"] = {
        "closed_after_s": time.monotonic() - started,
        "answer": got.decode("utf-8", "replace"),
    }
    out["serving_at_end"] = await still_serving()
    return out


async def main() -> None:
    global PORT
    PORT = int(sys.argv[1])
    cmd, rest = sys.argv[2], sys.argv[3:]
    if cmd == "describe":
        result = await describe()
    elif cmd == "transcribe":
        rate = int(rest[1]) if len(rest) > 1 else None
        channels = int(rest[2]) if len(rest) > 2 else 1
        width = int(rest[3]) if len(rest) > 3 else 2
        result = await transcribe(rest[0], rate, channels, width)
    elif cmd == "synthesize":
        result = await synthesize(rest[0], len(rest) > 1 and rest[1] == "streamed")
    elif cmd == "handle":
        result = await handle(rest[0], rest[1], rest[2:])
    elif cmd == "two-clients":
        result = await two_clients()
    elif cmd == "bad-inputs":
        result = await bad_inputs()
    else:
        raise SystemExit(__doc__)
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())

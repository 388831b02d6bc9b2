#!/usr/bin/env python3
"""Drives a Wyoming server serving voxorder's fake services (examples/fake_server.rs)
with the wyoming library, the way Home Assistant 2026.11 calls each service, then sends
it the bad input a server must survive.

Usage: client.py HOST PORT

Prints one line per check and ends with "N passed, N failed"; exits 1 if any failed.
The expected answers follow from the fakes: recognition answers "heard MS ms, peak P",
the voice says each word as 100 ms of tone (22050 Hz by default) pausing between words,
the agent numbers the turns of each conversation, and a wake word fires on the first
sample at or above 10000.
"""

import asyncio
import io
import math
import sys
import time
import traceback
import wave
from typing import List, Optional, Tuple

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop, wav_to_chunks
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event, async_read_event, async_write_event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe, Info
from wyoming.ping import Ping, Pong
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
    SynthesizeVoice,
)
from wyoming.wake import Detect, Detection, NotDetected

HOST = "127.0.0.1"
PORT = 0
STEP = 10.0  # longest wait for any single event, in seconds
WORD_DELAY = 0.1  # the example's pause after each spoken word
WORD_BYTES = 2205 * 2  # 100 ms at 22050 Hz, 16-bit mono


class ServerError(Exception):
    def __init__(self, error: Error) -> None:
        super().__init__(f"{error.code}: {error.text}")
        self.code = error.code


async def read(client: AsyncTcpClient) -> Event:
    event = await asyncio.wait_for(client.read_event(), timeout=STEP)
    if event is None:
        raise ConnectionError("the server closed the connection")
    if Error.is_type(event.type):
        raise ServerError(Error.from_event(event))
    return event


def make_wav(samples: List[int], rate: int = 16000) -> io.BytesIO:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setframerate(rate)
        wav.setsampwidth(2)
        wav.setnchannels(1)
        wav.writeframes(b"".join(int(s).to_bytes(2, "little", signed=True) for s in samples))
    buffer.seek(0)
    return buffer


def tone(seconds: float, amplitude: int, rate: int = 16000) -> List[int]:
    return [round(amplitude * math.sin(2 * math.pi * 440 * n / rate)) for n in range(int(seconds * rate))]


def pcm(samples: List[int]) -> bytes:
    return b"".join(int(s).to_bytes(2, "little", signed=True) for s in samples)


# ---------------------------------------------------------------------------- describe


async def describe() -> Tuple[Info, Event]:
    """As Home Assistant's load_wyoming_info: read until an info event arrives."""
    async with AsyncTcpClient(HOST, PORT) as client:
        await client.write_event(Describe().event())
        while True:
            event = await read(client)
            if Info.is_type(event.type):
                return Info.from_event(event), event


async def check_describe() -> None:
    info, event = await describe()
    for key in ("asr", "tts", "handle", "intent", "wake", "mic", "snd"):
        assert isinstance(event.data.get(key), list), f"{key} missing"
    assert info.satellite is None, "a satellite would switch every service off"
    asr = info.asr[0]
    assert asr.name == "fake-asr" and asr.installed
    assert asr.attribution.name and asr.attribution.url
    assert asr.requires_external_vad is True
    assert [m.languages for m in asr.models if m.installed] == [["en", "fr"]]
    tts = next(p for p in info.tts if p.installed)
    assert {v.name for v in tts.voices if v.installed} == {"fake-low", "fake-medium"}
    assert tts.supports_synthesize_streaming is True
    medium = next(v for v in tts.voices if v.name == "fake-medium")
    assert [s.name for s in medium.speakers] == ["alto", "bass"], medium.speakers
    handle = next(p for p in info.handle if p.installed)
    assert handle.name == "fake-agent" and handle.models[0].languages == ["en"]
    wake = next(p for p in info.wake if p.installed)
    assert [m.name for m in wake.models] == ["okay_nabu", "hey_jarvis"]
    assert wake.models[0].phrase == "Okay Nabu"
    assert info.intent == [] and info.mic == [] and info.snd == []


# ---------------------------------------------------------------------------- asr


async def transcribe_like_ha(samples: List[int], language: Optional[str] = "en") -> str:
    """Home Assistant's STT: transcribe, audio-start, then 10 ms chunks uploaded while
    the answer is read; a transcript ends it."""
    async with AsyncTcpClient(HOST, PORT) as client:
        await client.write_event(Transcribe(language=language).event())
        await client.write_event(AudioStart(rate=16000, width=2, channels=1).event())

        async def upload() -> None:
            audio = pcm(samples)
            for i in range(0, len(audio), 320):
                chunk = AudioChunk(rate=16000, width=2, channels=1, audio=audio[i : i + 320])
                await client.write_event(chunk.event())
                await asyncio.sleep(0)
            await client.write_event(AudioStop().event())

        uploading = asyncio.create_task(upload())
        try:
            while True:
                event = await read(client)
                if Transcript.is_type(event.type):
                    await uploading
                    return Transcript.from_event(event).text
        finally:
            uploading.cancel()


async def check_transcribe_like_home_assistant() -> None:
    samples = tone(1.5, 12000)
    peak = max(abs(s) for s in samples)
    text = await transcribe_like_ha(samples)
    assert text == f"heard 1500 ms, peak {peak}", text


async def check_transcribe_a_wav_file() -> None:
    wav_file = wave.open(make_wav(tone(0.75, 3000)), "rb")
    async with AsyncTcpClient(HOST, PORT) as client:
        await client.write_event(Transcribe(language="fr").event())
        for event in wav_to_chunks(wav_file, samples_per_chunk=1024, start_event=True, stop_event=True):
            await client.write_event(event.event())
        event = await read(client)
        transcript = Transcript.from_event(event)
        assert transcript.text == "heard 750 ms, peak 3000", transcript
        assert transcript.language == "fr", transcript


async def check_transcribe_nothing_is_empty_text() -> None:
    async with AsyncTcpClient(HOST, PORT) as client:
        await client.write_event(Transcribe(language="en").event())
        await client.write_event(AudioStop().event())
        assert Transcript.from_event(await read(client)).text == ""


# ---------------------------------------------------------------------------- tts


async def synthesize_like_ha(text: str, voice: Optional[str] = None):
    """Home Assistant's non-streaming TTS: synthesize, then read until audio-stop.
    Returns (format, audio, events seen, seconds to the first chunk, seconds from the
    first chunk to the last)."""
    async with AsyncTcpClient(HOST, PORT) as client:
        syn_voice = SynthesizeVoice(name=voice) if voice else None
        started = time.monotonic()
        await client.write_event(Synthesize(text=text, voice=syn_voice).event())
        audio = b""
        fmt = None
        types = []
        first = last = None
        while True:
            event = await read(client)
            types.append(event.type)
            if AudioChunk.is_type(event.type):
                chunk = AudioChunk.from_event(event)
                now = time.monotonic()
                first = first if first is not None else now
                last = now
                if fmt is None:
                    fmt = (chunk.rate, chunk.width, chunk.channels)
                assert (chunk.rate, chunk.width, chunk.channels) == fmt, "format changed"
                audio += chunk.audio
            elif AudioStop.is_type(event.type):
                return fmt, audio, types, (first or started) - started, (last or started) - (first or started)


async def check_synthesize_streams_one_envelope() -> None:
    text = "Hello there. How are you today?"
    words = len(text.split())
    fmt, audio, types, to_first, spread = await synthesize_like_ha(text)
    assert fmt == (22050, 2, 1), fmt
    assert types[0] == "audio-start" and types.count("audio-start") == 1, types
    assert types.count("audio-stop") == 1, types
    assert len(audio) == words * WORD_BYTES, len(audio)
    # The voice pauses after each word, so the last word exists only (words - 1) pauses
    # after the first: the first chunk must have left well before that.
    assert to_first < (words - 1) * WORD_DELAY / 2, f"first audio after {to_first:.3f} s"
    assert spread >= (words - 2) * WORD_DELAY, f"all audio within {spread:.3f} s"


async def check_synthesize_picks_the_named_voice_or_refuses() -> None:
    fmt, audio, _, _, _ = await synthesize_like_ha("Hi", voice="fake-low")
    assert fmt == (16000, 2, 1) and len(audio) == 1600 * 2, (fmt, len(audio))
    try:
        await synthesize_like_ha("Hi", voice="nobody")
    except ServerError as error:
        assert error.code == "unknown-voice", error
    else:
        raise AssertionError("an unknown voice was accepted")


async def check_synthesize_streaming_like_ha() -> None:
    """Home Assistant's streaming TTS (used whenever it is advertised): a writer task
    sends start, chunks, the full text again and stop; the reader takes the format from
    the first audio-start and ends at synthesize-stopped."""
    async with AsyncTcpClient(HOST, PORT) as client:
        first_audio = asyncio.Event()

        async def write() -> None:
            await client.write_event(SynthesizeStart().event())
            await client.write_event(SynthesizeChunk(text="Hello there. How").event())
            # The first sentence is spoken before the rest of the text exists.
            await asyncio.wait_for(first_audio.wait(), timeout=STEP)
            await client.write_event(SynthesizeChunk(text=" are you?").event())
            await client.write_event(Synthesize(text="Hello there. How are you?").event())
            await client.write_event(SynthesizeStop().event())

        writing = asyncio.create_task(write())
        starts: List[AudioStart] = []
        audio = b""
        try:
            while True:
                event = await read(client)
                if AudioStart.is_type(event.type):
                    starts.append(AudioStart.from_event(event))
                elif AudioChunk.is_type(event.type):
                    first_audio.set()
                    audio += AudioChunk.from_event(event).audio
                elif SynthesizeStopped.is_type(event.type):
                    break
            await writing
        finally:
            writing.cancel()
        assert len(starts) == 2, f"{len(starts)} sentence groups"
        assert len({(s.rate, s.width, s.channels) for s in starts}) == 1
        # Five words once: the compatibility synthesize was not spoken again.
        assert len(audio) == 5 * WORD_BYTES, len(audio)


# ---------------------------------------------------------------------------- handle


async def handle_like_ha(text: str, conversation_id: Optional[str], language: Optional[str] = "en"):
    """Home Assistant's conversation agent: a new connection per turn, one transcript
    with the ids in its context, then read until handled or not-handled."""
    context = {"conversation_id": conversation_id} if conversation_id else None
    if context is not None:
        context["satellite_id"] = "assist_satellite.kitchen"
    async with AsyncTcpClient(HOST, PORT) as client:
        await client.write_event(Transcript(text=text, language=language, context=context).event())
        while True:
            event = await read(client)
            if Handled.is_type(event.type):
                return True, Handled.from_event(event)
            if NotHandled.is_type(event.type):
                return False, NotHandled.from_event(event)


async def check_three_turn_conversation() -> None:
    for n, text in enumerate(["where is my order", "it is 1234", "thanks"], start=1):
        handled, reply = await handle_like_ha(text, "conv-py-1")
        assert handled, reply
        assert reply.text == f'Turn {n}: you said "{text}".', reply.text
        assert reply.context["conversation_id"] == "conv-py-1", reply.context
    handled, reply = await handle_like_ha("hello", "conv-py-2")
    assert handled and reply.text.startswith("Turn 1:"), reply
    # Home Assistant 2025.4 sent no language.
    handled, reply = await handle_like_ha("hello", "conv-py-2", language=None)
    assert handled and reply.text.startswith("Turn 2:"), reply
    handled, reply = await handle_like_ha("gibberish", "conv-py-2")
    assert not handled and reply.text == "Sorry, I did not understand.", reply


# ---------------------------------------------------------------------------- wake


def quiet_then_loud(quiet_ms: int, loud_ms: int = 200, after_ms: int = 500) -> List[int]:
    return [0] * (quiet_ms * 16) + [20000] * (loud_ms * 16) + [0] * (after_ms * 16)


async def wake_like_ha(samples: List[int], name: Optional[str]) -> Optional[Detection]:
    """Home Assistant's wake word session: detect, audio-start, 10 ms chunks with
    timestamps while reading; a matching detection ends it and it hangs up, never
    sending audio-stop."""
    async with AsyncTcpClient(HOST, PORT) as client:
        await client.write_event(Detect(names=[name] if name else None).event())
        await client.write_event(AudioStart(rate=16000, width=2, channels=1).event())

        async def stream() -> None:
            audio = pcm(samples)
            for n, i in enumerate(range(0, len(audio), 320)):
                chunk = AudioChunk(rate=16000, width=2, channels=1, audio=audio[i : i + 320], timestamp=n * 10)
                await client.write_event(chunk.event())
                await asyncio.sleep(0)

        streaming = asyncio.create_task(stream())
        try:
            while True:
                event = await read(client)
                if Detection.is_type(event.type):
                    detection = Detection.from_event(event)
                    if name is None or detection.name == name:
                        return detection
        finally:
            streaming.cancel()


async def check_wake_like_home_assistant() -> None:
    detection = await wake_like_ha(quiet_then_loud(500), "okay_nabu")
    assert detection.name == "okay_nabu" and detection.timestamp == 500, detection
    detection = await wake_like_ha(quiet_then_loud(300), "hey_jarvis")
    assert detection.name == "hey_jarvis" and detection.timestamp == 300, detection
    detection = await wake_like_ha(quiet_then_loud(100), None)
    assert detection.name == "okay_nabu", detection


async def check_wake_not_detected_and_satellite_restart() -> None:
    async with AsyncTcpClient(HOST, PORT) as client:
        await client.write_event(Detect(names=["okay_nabu"]).event())
        for event in wav_to_chunks(wave.open(make_wav([50] * 16000), "rb"), 160, start_event=True, stop_event=True):
            await client.write_event(event.event())
        assert NotDetected.is_type((await read(client)).type)
        # A satellite reuses its connection: detect and audio-start again, no audio-stop.
        for quiet_ms in (400, 250):
            await client.write_event(Detect(names=["okay_nabu"]).event())
            await client.write_event(AudioStart(rate=16000, width=2, channels=1).event())
            for event in wav_to_chunks(wave.open(make_wav(quiet_then_loud(quiet_ms)), "rb"), 160):
                await client.write_event(event.event())
            detection = Detection.from_event(await read(client))
            assert detection.timestamp == quiet_ms, detection


# ---------------------------------------------------------------------------- concurrency


async def check_several_clients_at_once() -> None:
    results = await asyncio.gather(
        transcribe_like_ha(tone(1.0, 3000)),
        transcribe_like_ha(tone(2.0, 9000)),
        wake_like_ha(quiet_then_loud(700), "okay_nabu"),
        handle_like_ha("at the same time", "conv-py-3"),
        synthesize_like_ha("one two three"),
        describe(),
    )
    assert results[0] == "heard 1000 ms, peak 3000", results[0]
    assert results[1] == "heard 2000 ms, peak 9000", results[1]
    assert results[2].timestamp == 700, results[2]
    assert results[3][1].text == 'Turn 1: you said "at the same time".', results[3]
    assert len(results[4][1]) == 3 * WORD_BYTES


# ---------------------------------------------------------------------------- bad input


async def raw_exchange(payload: bytes, then: Optional[List[Event]] = None) -> List[Optional[Event]]:
    """Sends raw bytes (and then events), and returns what the server answers until it
    closes or goes quiet."""
    reader, writer = await asyncio.open_connection(HOST, PORT)
    try:
        writer.write(payload)
        for event in then or []:
            await async_write_event(event, writer)
        await writer.drain()
        answers: List[Optional[Event]] = []
        while True:
            try:
                event = await asyncio.wait_for(async_read_event(reader), timeout=1.0)
            except asyncio.TimeoutError:
                return answers
            except ConnectionError:
                answers.append(None)
                return answers
            answers.append(event)
            if event is None:
                return answers
    finally:
        writer.close()


def codes(answers: List[Optional[Event]]) -> List[Optional[str]]:
    return [
        (Error.from_event(a).code if Error.is_type(a.type) else a.type) if a is not None else None
        for a in answers
    ]


async def check_bad_framing_is_answered_then_closed() -> None:
    cases = [
        (b"this is not json\n", "malformed-header"),
        (b'{"type": "transcript", "data_length": 2000000}\n', "data-too-large"),
        (b'{"type": "audio-chunk", "data_length": 2, "payload_length": 2000000}\n{}', "payload-too-large"),
        (b'{"type": "describe", "pad": "' + b"x" * 70000, "header-too-long"),
        (b'{"type": "transcript", "data_length": 3}\n[1]', "malformed-data"),
    ]
    for payload, code in cases:
        answers = await raw_exchange(payload)
        assert codes(answers) == [code, None], (code, codes(answers))


async def check_unknown_and_invalid_events_keep_the_connection() -> None:
    answers = await raw_exchange(
        b"",
        [
            Event(type="frobnicate", data={"a": 1}, payload=b"xyz"),
            Event(type="select-program", data={"name": "fake-asr"}),
            Event(type="audio-start", data={"width": 2, "channels": 1}),
            Ping(text="still here").event(),
        ],
    )
    assert codes(answers) == ["invalid-data", "pong"], codes(answers)
    assert Pong.from_event(answers[1]).text == "still here"


async def check_audio_before_audio_start_is_reported_once() -> None:
    chunk = AudioChunk(rate=16000, width=2, channels=1, audio=b"\x00\x01" * 160).event()
    answers = await raw_exchange(b"", [Transcribe().event(), chunk, chunk, chunk, Describe().event()])
    assert codes(answers) == ["audio-before-start", "info"], codes(answers)


async def check_clients_hanging_up_mid_stream() -> None:
    for opening in (
        [Transcribe(language="en").event(), AudioStart(rate=16000, width=2, channels=1).event()],
        [Detect(names=["okay_nabu"]).event(), AudioStart(rate=16000, width=2, channels=1).event()],
    ):
        reader, writer = await asyncio.open_connection(HOST, PORT)
        for event in opening:
            await async_write_event(event, writer)
        for _ in range(50):
            await async_write_event(AudioChunk(rate=16000, width=2, channels=1, audio=b"\x00\x00" * 160).event(), writer)
        # Half an event, then gone.
        writer.write(b'{"type": "audio-chunk", "data_length": 61, "payload_length": 320}\n{"rate"')
        await writer.drain()
        writer.transport.abort()
    # Mid-speech: take the first audio and hang up.
    async with AsyncTcpClient(HOST, PORT) as client:
        await client.write_event(Synthesize(text="word " * 100).event())
        assert AudioStart.is_type((await read(client)).type)
    # The server is unharmed and still answers.
    info, _ = await describe()
    assert info.asr and info.tts
    assert await transcribe_like_ha([100] * 1600) == "heard 100 ms, peak 100"


CHECKS = [
    check_describe,
    check_transcribe_like_home_assistant,
    check_transcribe_a_wav_file,
    check_transcribe_nothing_is_empty_text,
    check_synthesize_streams_one_envelope,
    check_synthesize_picks_the_named_voice_or_refuses,
    check_synthesize_streaming_like_ha,
    check_three_turn_conversation,
    check_wake_like_home_assistant,
    check_wake_not_detected_and_satellite_restart,
    check_several_clients_at_once,
    check_bad_framing_is_answered_then_closed,
    check_unknown_and_invalid_events_keep_the_connection,
    check_audio_before_audio_start_is_reported_once,
    check_clients_hanging_up_mid_stream,
]


async def main() -> int:
    passed = failed = 0
    for check in CHECKS:
        name = check.__name__[len("check_") :]
        try:
            await asyncio.wait_for(check(), timeout=60)
        except Exception:  # noqa: BLE001 - every failure is reported, then the next check runs
            failed += 1
            print(f"FAIL {name}\n{traceback.format_exc()}", flush=True)
        else:
            passed += 1
            print(f"ok   {name}", flush=True)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    HOST, PORT = sys.argv[1], int(sys.argv[2])
    sys.exit(asyncio.run(main()))

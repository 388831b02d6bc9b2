//! The speech stages of the device, each behind a small trait with a real
//! implementation and a fake: sound in and out (`audio`), voice activity and
//! endpointing (`vad`), the wake word (`wake`), recognition (`asr`: whisper.cpp, Vosk
//! behind the `vosk` feature) and the voice (`tts`: Piper with espeak-ng phonemes).
//!
//! Architecture invariant: the only crate that touches sound devices (cpal) or links
//! whisper.cpp and espeak-ng. The audio callback only converts and pushes into a ring
//! buffer: no allocation, lock or model call runs on the audio thread.

pub mod asr;
pub mod audio;
pub mod tts;
pub mod vad;
pub mod wake;

//! Speech synthesis: one `Synthesizer` trait with the Piper voice (ONNX, phonemes from
//! espeak-ng) and a tone-based fake for tests.

use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TtsError {
    #[error("voice {path}: {reason}")]
    Voice {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error("phonemizer: {0}")]
    Phonemes(String),
    #[error("synthesis failed: {0}")]
    Synthesis(String),
}

/// How fast to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pace {
    #[default]
    Normal,
    /// "Say that again": slower, for a repeat.
    Slow,
}

/// What one synthesis produced, for logs and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SynthesisStats {
    pub audio_seconds: f64,
    pub synth_seconds: f64,
    /// Time from the call to the first chunk handed to the sink.
    pub first_audio_seconds: f64,
    pub sentences: usize,
    pub cached: bool,
}

/// Turns text into mono audio at `sample_rate()`, handing it over sentence by sentence so
/// playback can start before the whole reply is synthesised.
pub trait Synthesizer: Send {
    fn sample_rate(&self) -> u32;
    /// Synthesises `text`, calling `sink` with each chunk of samples in order. When `sink`
    /// returns false (the caller barged in), synthesis stops early.
    fn synthesize(
        &mut self,
        text: &str,
        pace: Pace,
        sink: &mut dyn FnMut(&[f32]) -> bool,
    ) -> Result<SynthesisStats, TtsError>;
}

//! Speech recognition on the device: one `Recognizer` trait with the whisper.cpp backend
//! (default), an optional Vosk backend, and a scripted fake for tests.

use thiserror::Error;

/// What the dialog expects the caller to say next; recognisers use it to bias decoding.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Expect {
    /// Free speech.
    #[default]
    Anything,
    /// A number read digit by digit (order number, zip, phone): between `min` and `max`
    /// digits.
    Digits { min: usize, max: usize },
    /// An answer to a yes/no question (free speech still allowed, "yes"/"no" favoured).
    YesNo,
    /// One of a few known phrases (product names, time slots), free speech still allowed.
    Phrases(Vec<String>),
}

/// A recogniser's answer for one utterance.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Transcript {
    pub text: String,
    /// Probability the audio held no speech at all (0 when the backend cannot tell).
    pub no_speech_prob: f32,
    /// Mean token log-probability (0 when the backend cannot tell).
    pub avg_logprob: f32,
    pub audio_seconds: f64,
    pub decode_seconds: f64,
}

impl Transcript {
    /// Decode time over audio time.
    pub fn real_time_factor(&self) -> f64 {
        if self.audio_seconds <= 0.0 {
            return 0.0;
        }
        self.decode_seconds / self.audio_seconds
    }
}

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AsrError {
    #[error("speech model {path}: {reason}")]
    Model {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error("speech recognition failed: {0}")]
    Decode(String),
    #[error("{0}")]
    Unavailable(String),
}

/// Turns 16 kHz mono audio into text.
pub trait Recognizer: Send {
    /// A short name for logs and benchmark output ("whisper tiny.en", "vosk").
    fn name(&self) -> &str;
    /// Transcribes one utterance of 16 kHz mono samples.
    fn transcribe(&mut self, audio: &[f32], expect: &Expect) -> Result<Transcript, AsrError>;
}

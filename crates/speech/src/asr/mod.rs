//! Speech recognition on the device: one `Recognizer` trait with the whisper.cpp backend
//! (default), an optional Vosk backend, and a scripted fake for tests.
//!
//! - `convert.rs`: the CTranslate2 → whisper.cpp model conversion, the ggml file check,
//!   and [`ensure_whisper_model`] (what `voxorder models prepare` runs).
//! - `whisper.rs`: [`WhisperRecognizer`]; `vosk.rs` (feature `vosk`): `VoskRecognizer`;
//!   `fake.rs`: [`ScriptedRecognizer`].
//! - [`recognizer_from_config`] picks the engine `speech.asr.engine` names.
//!
//! Audio in is 16 kHz mono `f32`. Empty audio gives empty text; silence and noise should
//! too (the recognisers discard what they judge invented).

use std::path::Path;

use thiserror::Error;

use voxorder_config::{AsrEngine, SpeechConfig};

pub mod convert;
pub mod fake;
#[cfg(feature = "vosk")]
pub mod vosk;
pub mod whisper;

pub use convert::{convert_ct2_to_ggml, ensure_whisper_model, ConvertError, ConvertStats};
pub use fake::ScriptedRecognizer;
pub use whisper::{Biasing, WhisperRecognizer};

/// `count` random 13-digit numbers, the same for the same `seed` on every platform:
/// stand-ins for a store's other orders when known-number recognition is measured.
pub fn random_order_numbers(count: usize, seed: u64) -> Vec<String> {
    let mut state = seed | 1;
    (0..count)
        .map(|_| {
            (0..13)
                .map(|_| {
                    // xorshift64.
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    char::from(b'0' + (state % 10) as u8)
                })
                .collect()
        })
        .collect()
}

/// What the dialog expects the caller to say next; recognisers use it to bias decoding.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Expect {
    /// Free speech.
    #[default]
    Anything,
    /// A number read digit by digit (order number, zip, phone): between `min` and `max`
    /// digits.
    Digits { min: usize, max: usize },
    /// A number of one of these digit counts (`(min, max)` each), or free speech: a turn
    /// that asks for a zip or phone or an email. Decoded freely; a reading that is a
    /// number of none of the counts is decoded again held to the nearest.
    NumberOrFree(Vec<(usize, usize)>),
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
    /// whisper.cpp failed to decode the audio.
    #[error("speech recognition failed: whisper.cpp: {0}")]
    Whisper(#[source] whisper_rs::WhisperError),
    /// whisper.cpp decoded a segment it cannot give back as text.
    #[error("speech recognition failed: whisper.cpp returned no text ({0})")]
    WhisperText(#[source] whisper_rs::WhisperError),
    #[error("speech recognition failed: Vosk could not create a recogniser")]
    VoskRecognizer,
    #[error("speech recognition failed: Vosk: {detail}")]
    VoskWaveform { detail: String },
    #[error("speech recognition failed: Vosk returned alternatives")]
    VoskAlternatives,
    /// A scripted recogniser's failure (tests).
    #[error("speech recognition failed: {message}")]
    Scripted { message: String },
    /// Vosk is configured without a model. Caller: set `speech.asr.vosk_model_dir`.
    #[error(
        "speech.asr.engine is \"vosk\" but speech.asr.vosk_model_dir is empty; \
         set it to a Vosk model directory"
    )]
    VoskModelUnset,
    /// Vosk is configured in a build without it. Caller: rebuild with the feature.
    #[error(
        "speech.asr.engine is \"vosk\" but this build has no Vosk support; \
         rebuild with `cargo build --features vosk`"
    )]
    VoskNotBuilt,
    #[error(transparent)]
    Convert(#[from] ConvertError),
    /// The model is not the file its manifest names. Caller: give up; the message says
    /// how to restore it.
    #[error(transparent)]
    Integrity(#[from] voxorder_runtime::models::IntegrityError),
}

impl AsrError {
    /// The integrity failure behind this error, if that is what it is.
    pub fn integrity(&self) -> Option<&voxorder_runtime::models::IntegrityError> {
        match self {
            AsrError::Integrity(e) | AsrError::Convert(ConvertError::Integrity(e)) => Some(e),
            _ => None,
        }
    }
}

/// Turns 16 kHz mono audio into text.
pub trait Recognizer: Send {
    /// A short name for logs and benchmark output ("whisper tiny.en", "vosk").
    fn name(&self) -> &str;
    /// Transcribes one utterance of 16 kHz mono samples.
    fn transcribe(&mut self, audio: &[f32], expect: &Expect) -> Result<Transcript, AsrError>;
    /// The short answers of the locale (yes, no, help, operator, …), a closed set a
    /// recogniser may match at a yes/no turn before decoding freely. A recogniser that
    /// cannot score a closed set ignores it.
    fn set_short_answers(&mut self, _phrases: &[String]) {}
    /// Numbers the device knows (the store's order numbers). At a digit turn whose
    /// expected length fits some of them, a reading that is one of them wins over a
    /// better-scored unknown one when the decoder is about as sure of it. Whether the
    /// number exists is still for verification to decide: the transcript is only what
    /// was most likely said. An empty list turns this off; a recogniser that cannot
    /// constrain decoding ignores it.
    fn set_known_numbers(&mut self, _numbers: &[String]) {}
}

/// The recogniser the configuration names, its model found under `models_dir` (the
/// Whisper model is converted from its CTranslate2 files on first use).
pub fn recognizer_from_config(
    cfg: &SpeechConfig,
    models_dir: &Path,
) -> Result<Box<dyn Recognizer>, AsrError> {
    match cfg.asr.engine {
        AsrEngine::Whisper => {
            let model = ensure_whisper_model(models_dir, &cfg.asr)?;
            Ok(Box::new(WhisperRecognizer::new(&model, &cfg.asr)?))
        }
        AsrEngine::Vosk => vosk_from_config(cfg, models_dir),
    }
}

#[cfg(feature = "vosk")]
fn vosk_from_config(
    cfg: &SpeechConfig,
    models_dir: &Path,
) -> Result<Box<dyn Recognizer>, AsrError> {
    if cfg.asr.vosk_model_dir.is_empty() {
        return Err(AsrError::VoskModelUnset);
    }
    let dir = models_dir.join(&cfg.asr.vosk_model_dir);
    Ok(Box::new(vosk::VoskRecognizer::new(&dir)?))
}

#[cfg(not(feature = "vosk"))]
fn vosk_from_config(_: &SpeechConfig, _: &Path) -> Result<Box<dyn Recognizer>, AsrError> {
    Err(AsrError::VoskNotBuilt)
}

#[cfg(test)]
mod tests;

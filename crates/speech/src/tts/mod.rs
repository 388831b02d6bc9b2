//! Speech synthesis: one `Synthesizer` trait with the Piper voice (ONNX, phonemes from
//! espeak-ng) and a tone-based fake for tests.
//!
//! `synthesizer_from_config` builds what `[speech.tts]` asks for: the Piper voice, wrapped
//! in the prompt cache when `cache_prompts` is on.

pub mod cache;
pub mod espeak;
pub mod fake;
pub mod piper;

use std::path::Path;

use thiserror::Error;

use voxorder_config::SpeechConfig;

pub use cache::CachedSynthesizer;
pub use fake::ToneSynthesizer;
pub use piper::{PiperOptions, PiperVoice};

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TtsError {
    #[error("voice {path}: {reason}")]
    Voice {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error("phonemizer: {0}")]
    Phonemes(#[from] espeak::PhonemesError),
    /// ONNX Runtime failed to run the voice (should not happen with a valid voice).
    #[error("synthesis failed: {0}")]
    Synthesis(#[source] ort::Error),
    /// The voice model has no output of the name its config gives.
    #[error("synthesis failed: model gave no output {name:?}")]
    NoOutput { name: String },
    #[error("ONNX Runtime {path}: {reason}")]
    Runtime {
        path: std::path::PathBuf,
        reason: String,
    },
    /// The voice or ONNX Runtime's library is not the file its manifest names.
    #[error(transparent)]
    Integrity(#[from] voxorder_runtime::models::IntegrityError),
}

/// How fast to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
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
    /// Chunks handed to the sink (sentences, or parts of a long sentence).
    pub sentences: usize,
    pub cached: bool,
}

/// Synthesises `text` chunk by chunk (`piper::split_chunks`) with `render`, which gives
/// a chunk's samples (empty: nothing to voice, skipped). Adds `sentence_silence` samples
/// after a sentence that is not the last, hands each chunk to `sink` until it returns
/// false, and times the first audio: the part every voice shares.
pub(crate) fn synthesize_chunks(
    text: &str,
    sample_rate: u32,
    sentence_silence: usize,
    render: &mut dyn FnMut(&str) -> Result<Vec<f32>, TtsError>,
    sink: &mut dyn FnMut(&[f32]) -> bool,
) -> Result<SynthesisStats, TtsError> {
    let start = std::time::Instant::now();
    let mut stats = SynthesisStats::default();
    let chunks = piper::split_chunks(text);
    let mut samples_out = 0usize;
    let last = chunks.len().saturating_sub(1);
    for (i, chunk) in chunks.iter().enumerate() {
        let mut audio = render(&chunk.text)?;
        if audio.is_empty() {
            continue;
        }
        if chunk.ends_sentence && i < last {
            audio.resize(audio.len() + sentence_silence, 0.0);
        }
        if stats.sentences == 0 {
            stats.first_audio_seconds = start.elapsed().as_secs_f64();
        }
        stats.sentences += 1;
        samples_out += audio.len();
        if !sink(&audio) {
            tracing::debug!(
                chunk = i,
                of = chunks.len(),
                "synthesis stopped by the sink"
            );
            break;
        }
    }
    stats.audio_seconds = samples_out as f64 / f64::from(sample_rate.max(1));
    stats.synth_seconds = start.elapsed().as_secs_f64();
    Ok(stats)
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

    /// Synthesises fixed prompts ahead of use where the synthesiser keeps audio (the
    /// prompt cache); returns how many are ready. Others do nothing.
    fn prewarm(&mut self, prompts: &[&str]) -> Result<usize, TtsError> {
        let _ = prompts;
        Ok(0)
    }
}

impl<S: Synthesizer + ?Sized> Synthesizer for Box<S> {
    fn sample_rate(&self) -> u32 {
        (**self).sample_rate()
    }

    fn synthesize(
        &mut self,
        text: &str,
        pace: Pace,
        sink: &mut dyn FnMut(&[f32]) -> bool,
    ) -> Result<SynthesisStats, TtsError> {
        (**self).synthesize(text, pace, sink)
    }

    fn prewarm(&mut self, prompts: &[&str]) -> Result<usize, TtsError> {
        (**self).prewarm(prompts)
    }
}

impl SynthesisStats {
    /// Synthesis time over audio time.
    pub fn real_time_factor(&self) -> f64 {
        if self.audio_seconds <= 0.0 {
            return 0.0;
        }
        self.synth_seconds / self.audio_seconds
    }
}

/// The process's ONNX Runtime environment (shared with every other model), with its
/// failure as a `TtsError`.
fn ort_environment(ort_lib: &Path) -> Result<ort::environment::Environment, TtsError> {
    voxorder_runtime::onnx::ort_environment(ort_lib).map_err(|e| match e {
        voxorder_runtime::onnx::OrtError::Integrity(e) => TtsError::Integrity(e),
        e => TtsError::Runtime {
            path: ort_lib.to_path_buf(),
            reason: e.to_string(),
        },
    })
}

/// Memory the prompt cache may use when `cache_prompts` is on: about three minutes of
/// 22 kHz audio.
pub const PROMPT_CACHE_BYTES: usize = 16 * 1024 * 1024;

/// The synthesiser `[speech.tts]` describes: the Piper voice at `models_dir/voice`, in the
/// prompt cache when `cache_prompts` is set.
pub fn synthesizer_from_config(
    cfg: &SpeechConfig,
    models_dir: &Path,
    ort_lib: &Path,
) -> Result<Box<dyn Synthesizer>, TtsError> {
    let voice = PiperVoice::load(
        &models_dir.join(&cfg.tts.voice),
        ort_lib,
        PiperOptions::from_config(&cfg.tts),
    )?;
    if cfg.tts.cache_prompts {
        Ok(Box::new(CachedSynthesizer::new(voice, PROMPT_CACHE_BYTES)))
    } else {
        Ok(Box::new(voice))
    }
}

//! Wake-word detection for smart-speaker mode (openWakeWord models on ONNX Runtime).
//!
//! The pipeline follows openWakeWord 0.5.1's streaming code (`utils.AudioFeatures`,
//! `model.Model.predict`) step for step, because its heads were trained on exactly those
//! features:
//! 1. audio arrives in 80 ms chunks (1280 samples at 16 kHz), scaled to the int16 range;
//! 2. the mel model runs on the chunk plus the 480 samples before it (8 new frames of 32
//!    bins), and its output is mapped by `x / 10 + 2`;
//! 3. the embedding model runs on the last 76 mel frames → one 96-value embedding per
//!    chunk;
//! 4. the head scores the last 16 embeddings (≈1.3 s).
//!
//! Like openWakeWord, the buffers start as if 4 s of faint noise had been heard (mel
//! buffer of ones, embeddings of low-level noise) and the first 5 scores after a start or
//! reset are forced to 0 while real audio fills the window.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::value::Tensor;
use thiserror::Error;

use crate::audio::mix::Pcg32;
use voxorder_config::WakeConfig;

/// Samples per step (80 ms at 16 kHz).
pub const CHUNK: usize = 1280;
/// Earlier samples the mel model sees with each chunk (3 hops of 160).
const MEL_CONTEXT: usize = 480;
const MEL_BINS: usize = 32;
const EMBED_WINDOW: usize = 76;
const EMBED_DIM: usize = 96;
const WARMUP_SCORES: usize = 5;
/// The three models of the wake-word pipeline, for errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WakeStage {
    Mel,
    Embedding,
    Head,
}

impl std::fmt::Display for WakeStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WakeStage::Mel => "mel model",
            WakeStage::Embedding => "embedding model",
            WakeStage::Head => "wake-word head",
        })
    }
}

/// Scores kept for `score_history` (about 8 s).
const HISTORY: usize = 100;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum WakeError {
    #[error("wake-word model {path}: {reason}")]
    Model { path: PathBuf, reason: String },
    /// ONNX Runtime failed to run one of the three models (should not happen with valid
    /// models).
    #[error("wake-word detection failed: {stage}: {source}")]
    Inference {
        stage: WakeStage,
        source: ort::Error,
    },
    /// A model's output does not have the size the pipeline needs.
    #[error("wake-word detection failed: {stage} returned {got} values, expected {expected}")]
    Output {
        stage: WakeStage,
        got: usize,
        expected: usize,
    },
    /// The mel model's output is not whole frames.
    #[error(
        "wake-word detection failed: mel model returned {got} values, not a multiple of {MEL_BINS}"
    )]
    MelFrames { got: usize },
    /// A model or ONNX Runtime's library is not the file its manifest names.
    #[error(transparent)]
    Integrity(#[from] voxorder_runtime::models::IntegrityError),
}

/// The openWakeWord feature pipeline and one wake-word head.
pub struct WakeWordDetector {
    mel: Session,
    embedding: Session,
    head: Session,
    head_path: PathBuf,
    /// Embeddings the head reads at once (16 for the shipped models).
    window: usize,
    threshold: f32,
    raw: VecDeque<f32>,
    pending: Vec<f32>,
    mels: VecDeque<[f32; MEL_BINS]>,
    features: VecDeque<[f32; EMBED_DIM]>,
    initial_features: Vec<[f32; EMBED_DIM]>,
    scored: usize,
    history: VecDeque<f32>,
}

impl std::fmt::Debug for WakeWordDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WakeWordDetector")
            .field("head", &self.head_path)
            .field("threshold", &self.threshold)
            .finish_non_exhaustive()
    }
}

fn load_session(path: &Path, env: &ort::environment::Environment) -> Result<Session, WakeError> {
    let bad = |reason: String| WakeError::Model {
        path: path.to_path_buf(),
        reason,
    };
    if !path.is_file() {
        return Err(bad(
            "file not found (run `voxorder setup` / scripts/setup.sh)".into(),
        ));
    }
    voxorder_runtime::models::verify(path)?;
    Session::builder(env)
        .map_err(|e| bad(e.to_string()))?
        .with_intra_threads(1)
        .map_err(|e| bad(e.to_string()))?
        .commit_from_file(path)
        .map_err(|e| bad(e.to_string()))
}

/// The input shape of a single-input model, checked against `want` (-1 = any).
fn check_input(session: &Session, path: &Path, want: &[i64]) -> Result<Vec<i64>, WakeError> {
    let bad = |reason: String| WakeError::Model {
        path: path.to_path_buf(),
        reason,
    };
    let [input] = session.inputs() else {
        return Err(bad(format!(
            "expected one input, found {}",
            session.inputs().len()
        )));
    };
    let shape: Vec<i64> = input
        .dtype()
        .tensor_shape()
        .map(|s| s.to_vec())
        .ok_or_else(|| bad("input is not a tensor".into()))?;
    let fits = shape.len() == want.len()
        && shape
            .iter()
            .zip(want)
            .all(|(&have, &w)| w == -1 || have == -1 || have == w);
    if !fits {
        return Err(bad(format!("input shape {shape:?}, expected {want:?}")));
    }
    Ok(shape)
}

impl WakeWordDetector {
    /// Loads the head at `head_model`, with `melspectrogram.onnx` and
    /// `embedding_model.onnx` from the same directory.
    pub fn load(
        head_model: &Path,
        ort_lib: &Path,
        threshold: f32,
    ) -> Result<WakeWordDetector, WakeError> {
        let dir = head_model.parent().unwrap_or(Path::new("."));
        let env = voxorder_runtime::onnx::ort_environment(ort_lib).map_err(|e| match e {
            voxorder_runtime::onnx::OrtError::Integrity(e) => WakeError::Integrity(e),
            e => WakeError::Model {
                path: head_model.to_path_buf(),
                reason: format!("ONNX Runtime: {e}"),
            },
        })?;
        let mel_path = dir.join("melspectrogram.onnx");
        let emb_path = dir.join("embedding_model.onnx");
        let mel = load_session(&mel_path, &env)?;
        check_input(&mel, &mel_path, &[-1, -1])?;
        let embedding = load_session(&emb_path, &env)?;
        check_input(
            &embedding,
            &emb_path,
            &[-1, EMBED_WINDOW as i64, MEL_BINS as i64, 1],
        )?;
        let head = load_session(head_model, &env)?;
        let shape = check_input(&head, head_model, &[1, -1, EMBED_DIM as i64])?;
        let window = usize::try_from(shape[1]).unwrap_or(16).max(1);
        let mut det = WakeWordDetector {
            mel,
            embedding,
            head,
            head_path: head_model.to_path_buf(),
            window,
            threshold,
            raw: VecDeque::with_capacity(CHUNK + MEL_CONTEXT),
            pending: Vec::with_capacity(CHUNK),
            mels: VecDeque::with_capacity(EMBED_WINDOW + 16),
            features: VecDeque::with_capacity(window + 1),
            initial_features: Vec::new(),
            scored: 0,
            history: VecDeque::with_capacity(HISTORY),
        };
        det.initial_features = det.noise_features()?;
        det.reset();
        Ok(det)
    }

    /// The detector `cfg` names, its model path relative to `models_dir`.
    pub fn from_config(
        cfg: &WakeConfig,
        models_dir: &Path,
        ort_lib: &Path,
    ) -> Result<WakeWordDetector, WakeError> {
        WakeWordDetector::load(&models_dir.join(&cfg.model), ort_lib, cfg.threshold)
    }

    /// The wake word's name (the head model's file stem, e.g. `hey_jarvis_v0.1`).
    pub fn name(&self) -> String {
        self.head_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    /// Feeds 16 kHz mono audio of any length. Returns the highest score of the 80 ms steps
    /// completed by this call when it reached the threshold, else `None`.
    pub fn push(&mut self, samples_16k: &[f32]) -> Result<Option<f32>, WakeError> {
        let mut best: Option<f32> = None;
        let mut rest = samples_16k;
        while !rest.is_empty() {
            let take = (CHUNK - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() == CHUNK {
                let chunk = std::mem::take(&mut self.pending);
                let score = self.step(&chunk);
                self.pending = chunk;
                self.pending.clear();
                let score = score?;
                if score >= self.threshold && best.is_none_or(|b| score > b) {
                    best = Some(score);
                }
            }
        }
        Ok(best)
    }

    /// The scores of the last steps, oldest first (one per 80 ms).
    pub fn score_history(&self) -> impl ExactSizeIterator<Item = f32> + '_ {
        self.history.iter().copied()
    }

    /// The highest score since the last reset.
    pub fn max_score(&self) -> f32 {
        self.history.iter().copied().fold(0.0, f32::max)
    }

    /// Back to the just-loaded state (call after a detection, so one utterance of the
    /// wake word fires once).
    pub fn reset(&mut self) {
        self.raw.clear();
        self.pending.clear();
        self.mels.clear();
        self.mels
            .extend(std::iter::repeat_n([1.0; MEL_BINS], EMBED_WINDOW));
        self.features.clear();
        let n = self.initial_features.len().min(self.window);
        self.features.extend(
            self.initial_features[self.initial_features.len() - n..]
                .iter()
                .copied(),
        );
        self.scored = 0;
        self.history.clear();
    }

    fn step(&mut self, chunk: &[f32]) -> Result<f32, WakeError> {
        // openWakeWord feeds int16 sample values as floats.
        self.raw.extend(
            chunk
                .iter()
                .map(|&s| (s.clamp(-1.0, 1.0) * 32767.0).trunc()),
        );
        while self.raw.len() > CHUNK + MEL_CONTEXT {
            self.raw.pop_front();
        }
        let audio: Vec<f32> = self.raw.iter().copied().collect();
        for frame in self.run_mel(audio)? {
            self.mels.push_back(frame);
        }
        while self.mels.len() > EMBED_WINDOW {
            self.mels.pop_front();
        }
        let window: Vec<[f32; MEL_BINS]> = self.mels.iter().copied().collect();
        let emb = self.run_embedding(&window)?;
        self.features.push_back(emb);
        while self.features.len() > self.window {
            self.features.pop_front();
        }
        let mut score = if self.features.len() == self.window {
            self.run_head()?
        } else {
            0.0
        };
        if self.scored < WARMUP_SCORES {
            score = 0.0;
        }
        self.scored += 1;
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(score);
        Ok(score)
    }

    /// Mel frames (already mapped by `x / 10 + 2`) of int16-scaled audio.
    fn run_mel(&mut self, audio: Vec<f32>) -> Result<Vec<[f32; MEL_BINS]>, WakeError> {
        let err = |source| WakeError::Inference {
            stage: WakeStage::Mel,
            source,
        };
        let n = audio.len() as i64;
        let input = Tensor::from_array((vec![1i64, n], audio)).map_err(err)?;
        let outputs = self.mel.run(ort::inputs![input]).map_err(err)?;
        let (_, data) = outputs[0].try_extract_tensor::<f32>().map_err(err)?;
        if data.len() % MEL_BINS != 0 {
            return Err(WakeError::MelFrames { got: data.len() });
        }
        Ok(data
            .chunks_exact(MEL_BINS)
            .map(|c| {
                let mut f = [0.0; MEL_BINS];
                for (o, &v) in f.iter_mut().zip(c) {
                    *o = v / 10.0 + 2.0;
                }
                f
            })
            .collect())
    }

    fn run_embedding(&mut self, window: &[[f32; MEL_BINS]]) -> Result<[f32; EMBED_DIM], WakeError> {
        let err = |source| WakeError::Inference {
            stage: WakeStage::Embedding,
            source,
        };
        let data: Vec<f32> = window.iter().flatten().copied().collect();
        let input = Tensor::from_array((vec![1i64, EMBED_WINDOW as i64, MEL_BINS as i64, 1], data))
            .map_err(err)?;
        let outputs = self.embedding.run(ort::inputs![input]).map_err(err)?;
        let (_, out) = outputs[0].try_extract_tensor::<f32>().map_err(err)?;
        let mut e = [0.0; EMBED_DIM];
        if out.len() != EMBED_DIM {
            return Err(WakeError::Output {
                stage: WakeStage::Embedding,
                got: out.len(),
                expected: EMBED_DIM,
            });
        }
        e.copy_from_slice(out);
        Ok(e)
    }

    fn run_head(&mut self) -> Result<f32, WakeError> {
        let err = |source| WakeError::Inference {
            stage: WakeStage::Head,
            source,
        };
        let data: Vec<f32> = self.features.iter().flatten().copied().collect();
        let input = Tensor::from_array((vec![1i64, self.window as i64, EMBED_DIM as i64], data))
            .map_err(err)?;
        let outputs = self.head.run(ort::inputs![input]).map_err(err)?;
        let (_, out) = outputs[0].try_extract_tensor::<f32>().map_err(err)?;
        let s = out.first().copied().ok_or(WakeError::Output {
            stage: WakeStage::Head,
            got: 0,
            expected: 1,
        })?;
        Ok(if s.is_finite() {
            s.clamp(0.0, 1.0)
        } else {
            0.0
        })
    }

    /// Embeddings of 4 s of faint noise (int16 values in ±1000, as openWakeWord seeds its
    /// buffer), the last `window` of them.
    fn noise_features(&mut self) -> Result<Vec<[f32; EMBED_DIM]>, WakeError> {
        let mut rng = Pcg32::new(0x0a11_ce5e_ed00_0001);
        let audio: Vec<f32> = (0..16_000 * 4)
            .map(|_| (rng.next_u32() % 2001) as f32 - 1000.0)
            .collect();
        let mels = self.run_mel(audio)?;
        let starts: Vec<usize> = (0..mels.len())
            .step_by(8)
            .filter(|&i| i + EMBED_WINDOW <= mels.len())
            .collect();
        let keep = &starts[starts.len().saturating_sub(self.window)..];
        keep.iter()
            .map(|&i| self.run_embedding(&mels[i..i + EMBED_WINDOW]))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::testutil::{espeak, models_dir, silence};

    fn detector() -> WakeWordDetector {
        let m = models_dir();
        WakeWordDetector::from_config(
            &WakeConfig::default(),
            &m,
            &voxorder_runtime::paths::ort_lib(&m),
        )
        .expect("wake models load")
    }

    /// Max score over `x` with a second of silence either side (as openWakeWord's
    /// `predict_clip` pads).
    fn max_score(det: &mut WakeWordDetector, x: &[f32]) -> f32 {
        det.reset();
        let mut audio = silence(1.0);
        audio.extend_from_slice(x);
        audio.extend(silence(1.0));
        // Odd push sizes exercise the chunk buffering.
        for part in audio.chunks(1000) {
            det.push(part).expect("push");
        }
        det.max_score()
    }

    #[test]
    fn hey_jarvis_outscores_other_speech_and_silence() {
        let mut det = detector();
        let mut best_wake = 0.0f32;
        let mut report = Vec::new();
        for (voice, speed) in [
            ("en-us", 150),
            ("en-us", 120),
            ("en", 140),
            ("en-us+m3", 130),
            ("en-gb", 130),
        ] {
            let s = max_score(&mut det, &espeak("hey jarvis", voice, speed).samples);
            report.push(format!("{voice}@{speed}: {s:.3}"));
            best_wake = best_wake.max(s);
        }
        let mut best_other = 0.0f32;
        for text in [
            "where is my order",
            "I want to cancel my order",
            "hey there",
        ] {
            let s = max_score(&mut det, &espeak(text, "en-us", 150).samples);
            report.push(format!("{text:?}: {s:.3}"));
            best_other = best_other.max(s);
        }
        let quiet = max_score(&mut det, &silence(3.0));
        println!("wake scores: {} silence: {quiet:.3}", report.join(", "));
        assert!(best_wake > best_other, "{report:?}");
        assert!(best_wake > quiet, "{report:?} silence {quiet}");
        assert!(quiet < 0.1, "silence scored {quiet}");

        // Through `push`, the phrase fires at the configured threshold.
        det.reset();
        let mut audio = silence(1.0);
        audio.extend(espeak("hey jarvis", "en-us", 150).samples);
        audio.extend(silence(1.0));
        let fired: Vec<f32> = audio
            .chunks(CHUNK)
            .filter_map(|c| det.push(c).expect("push"))
            .collect();
        assert!(
            !fired.is_empty() && fired.iter().all(|&s| s >= det.threshold()),
            "{fired:?}"
        );
    }

    #[test]
    fn push_reports_only_scores_over_threshold_and_reset_clears_history() {
        let mut det = detector();
        assert_eq!(det.push(&silence(2.0)).expect("push"), None);
        assert_eq!(det.score_history().len(), 25);
        // The first five steps after a reset are forced to zero, as in openWakeWord.
        assert!(det.score_history().take(WARMUP_SCORES).all(|s| s == 0.0));
        det.push(&[0.0; 100]).expect("push");
        assert_eq!(det.score_history().len(), 25);
        det.reset();
        assert_eq!(det.score_history().len(), 0);
        assert_eq!(det.name(), "hey_jarvis_v0.1");
    }

    #[test]
    fn missing_or_wrong_models_are_typed_errors() {
        let m = models_dir();
        let lib = voxorder_runtime::paths::ort_lib(&m);
        let err =
            WakeWordDetector::load(&m.join("wake/nope.onnx"), &lib, 0.5).expect_err("missing");
        assert!(matches!(err, WakeError::Model { .. }), "{err}");
        // The embedding model is not a head: wrong input shape.
        let err = WakeWordDetector::load(&m.join("wake/embedding_model.onnx"), &lib, 0.5)
            .expect_err("not a head");
        assert!(err.to_string().contains("input shape"), "{err}");
        let dir = tempfile::tempdir().expect("tempdir");
        let bytes = std::fs::read(m.join("wake/hey_jarvis_v0.1.onnx")).expect("read");
        for f in ["melspectrogram.onnx", "embedding_model.onnx"] {
            std::fs::copy(m.join("wake").join(f), dir.path().join(f)).expect("copy");
        }
        let cut = dir.path().join("cut.onnx");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
        let err = WakeWordDetector::load(&cut, &lib, 0.5).expect_err("cut");
        assert!(matches!(err, WakeError::Model { .. }), "{err}");
    }
}

//! The intent classifier: an ONNX model run with ONNX Runtime (`ort`, loaded dynamically),
//! plus the manifest that versions it and ties it to its training data.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::features::{FeatureSpec, FEATURES_VERSION};
use super::intent::Intent;
use voxorder_runtime::models::{IntegrityError, INTENT_HINT};
use voxorder_runtime::onnx::{ort_environment, OrtError};

/// The model layout this build reads (`model_version` in the manifest).
pub const MODEL_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClassifierError {
    /// Caller: run the setup step (`bash scripts/setup.sh`) or point `--models` at a
    /// directory that has the model.
    #[error("intent model missing: {path} ({reason})")]
    Missing { path: PathBuf, reason: String },
    /// The manifest or model is from an incompatible build, or damaged. Caller: give up.
    #[error("intent model {path} is unusable: {reason}")]
    Invalid { path: PathBuf, reason: String },
    /// ONNX Runtime could not be loaded, or its library failed its check. Caller: see
    /// [`OrtError`].
    #[error(transparent)]
    Runtime(#[from] OrtError),
    /// ONNX Runtime failed to run the model (should not happen with a valid model).
    #[error("intent inference failed: {0}")]
    Inference(#[source] ort::Error),
    /// An earlier inference panicked while it held the session.
    #[error("intent inference failed: the session lock is poisoned")]
    SessionPoisoned,
    /// The model's output does not match its manifest's labels.
    #[error("intent inference failed: model gave {scores} scores for {labels} labels")]
    ScoreCount { scores: usize, labels: usize },
    /// The model is not the file its manifest names. Caller:
    /// give up; the message says how to restore it.
    #[error(transparent)]
    Integrity(#[from] IntegrityError),
}

/// `models/intent/manifest.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub model_version: u32,
    pub model_file: String,
    pub model_sha256: String,
    pub labels: Vec<String>,
    pub features: FeatureSpec,
    pub temperature: f32,
    pub training: TrainingInfo,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TrainingInfo {
    pub data_sha256: String,
    pub utterances: usize,
    pub cv_accuracy: f64,
}

impl Manifest {
    pub fn load(dir: &Path) -> Result<Manifest, ClassifierError> {
        let path = dir.join("manifest.json");
        let text = std::fs::read_to_string(&path).map_err(|e| ClassifierError::Missing {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let m: Manifest = serde_json::from_str(&text).map_err(|e| ClassifierError::Invalid {
            path: path.clone(),
            reason: format!("manifest: {e}"),
        })?;
        let invalid = |reason: String| ClassifierError::Invalid {
            path: path.clone(),
            reason,
        };
        if m.model_version != MODEL_VERSION {
            return Err(invalid(format!(
                "model version {} (this build reads {MODEL_VERSION})",
                m.model_version
            )));
        }
        if m.features.version != FEATURES_VERSION {
            return Err(invalid(format!(
                "feature version {} (this build computes {FEATURES_VERSION})",
                m.features.version
            )));
        }
        let mut intents = Vec::with_capacity(m.labels.len());
        for l in &m.labels {
            intents.push(
                l.parse::<Intent>()
                    .map_err(|e| invalid(format!("label: {e}")))?,
            );
        }
        if !intents.contains(&Intent::Fallback) {
            return Err(invalid("no Fallback label".into()));
        }
        if !(m.temperature.is_finite() && m.temperature > 0.0) {
            return Err(invalid(format!("temperature {}", m.temperature)));
        }
        Ok(m)
    }
}

/// Hashes training data the way the training tool does, to tie a model to its data.
pub fn training_data_sha256(train_dir: &Path) -> std::io::Result<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(train_dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    let mut h = Sha256::new();
    for f in files {
        let intent = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        for line in std::fs::read_to_string(&f)?.lines() {
            let line = line.trim();
            if !line.is_empty() {
                h.update(format!("{intent}\t{line}\n").as_bytes());
            }
        }
    }
    Ok(hex(&h.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Scores of every intent for one utterance, best first; they sum to 1.
pub type Scores = Vec<(Intent, f32)>;

/// Something that scores intents. `Send + Sync` so one instance serves every stage.
pub trait IntentClassifier: Send + Sync {
    fn classify(&self, text: &str) -> Result<Scores, ClassifierError>;
}

/// The ONNX intent classifier.
pub struct OnnxIntentClassifier {
    session: Mutex<ort::session::Session>,
    labels: Vec<Intent>,
    spec: FeatureSpec,
    /// Figures from loading, for benchmarks and `--verbose` output.
    pub load_ms: f64,
    pub model_bytes: u64,
}

impl std::fmt::Debug for OnnxIntentClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxIntentClassifier")
            .field("labels", &self.labels.len())
            .finish()
    }
}

impl OnnxIntentClassifier {
    /// Loads the model in `dir` (manifest + ONNX file), checking version and checksum.
    pub fn load(dir: &Path, ort_lib: &Path) -> Result<OnnxIntentClassifier, ClassifierError> {
        let start = Instant::now();
        let manifest = Manifest::load(dir)?;
        let model_path = dir.join(&manifest.model_file);
        let bytes = std::fs::read(&model_path).map_err(|e| ClassifierError::Missing {
            path: model_path.clone(),
            reason: e.to_string(),
        })?;
        // Checked in memory, on the very bytes the session is built from.
        let digest = hex(&Sha256::digest(&bytes));
        if !digest.eq_ignore_ascii_case(&manifest.model_sha256) {
            return Err(IntegrityError::Mismatch {
                path: model_path,
                actual: digest,
                expected: manifest.model_sha256,
                manifest: dir.join("manifest.json"),
                hint: INTENT_HINT,
            }
            .into());
        }
        let env = ort_environment(ort_lib)?;
        let invalid = |reason: String| ClassifierError::Invalid {
            path: model_path.clone(),
            reason,
        };
        let session = ort::session::Session::builder(&env)
            .map_err(|e| invalid(e.to_string()))?
            .with_intra_threads(1)
            .map_err(|e| invalid(e.to_string()))?
            .commit_from_memory(&bytes)
            .map_err(|e| invalid(e.to_string()))?;
        let labels = manifest
            .labels
            .iter()
            .map(|l| l.parse().expect("labels were checked by Manifest::load"))
            .collect();
        Ok(OnnxIntentClassifier {
            session: Mutex::new(session),
            labels,
            spec: manifest.features,
            load_ms: start.elapsed().as_secs_f64() * 1e3,
            model_bytes: bytes.len() as u64,
        })
    }
}

impl IntentClassifier for OnnxIntentClassifier {
    fn classify(&self, text: &str) -> Result<Scores, ClassifierError> {
        let f = self.spec.featurize(text);
        if f.is_empty() {
            // Nothing a model could read (silence, punctuation, emoji): certainly Fallback.
            let mut s: Scores = self
                .labels
                .iter()
                .map(|&i| (i, if i == Intent::Fallback { 1.0 } else { 0.0 }))
                .collect();
            s.sort_by(|a, b| b.1.total_cmp(&a.1));
            return Ok(s);
        }
        let n = f.indices.len() as i64;
        let err = ClassifierError::Inference;
        let indices = ort::value::Tensor::from_array((vec![n], f.indices)).map_err(err)?;
        let values = ort::value::Tensor::from_array((vec![n], f.values)).map_err(err)?;
        let mut session = self
            .session
            .lock()
            .map_err(|_| ClassifierError::SessionPoisoned)?;
        let outputs = session
            .run(ort::inputs!["indices" => indices, "values" => values])
            .map_err(err)?;
        let (_, probs) = outputs["probabilities"]
            .try_extract_tensor::<f32>()
            .map_err(err)?;
        if probs.len() != self.labels.len() {
            return Err(ClassifierError::ScoreCount {
                scores: probs.len(),
                labels: self.labels.len(),
            });
        }
        let mut scores: Scores = self
            .labels
            .iter()
            .copied()
            .zip(probs.iter().copied())
            .collect();
        scores.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(scores)
    }
}

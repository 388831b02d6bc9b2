//! The intent classifier: the n-gram features and the sentence encoder's embedding fed to
//! an ONNX head run with ONNX Runtime (`ort`, loaded dynamically), plus the manifest that
//! versions the model, pins the sum of every file and ties it to its training data.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use std::collections::BTreeMap;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::encoder::{SentenceEncoder, WordPiece};
use super::features::{FeatureSpec, Features, FEATURES_VERSION};
use super::intent::Intent;
use super::reject::ORDER_CHANGING;
use voxorder_runtime::models::{IntegrityError, INTENT_HINT};
use voxorder_runtime::onnx::{ort_environment, OrtError};

/// The model layout this build reads (`model_version` in the manifest).
pub const MODEL_VERSION: u32 = 2;

/// The sha256 of the `models/intent/manifest.json` this build was made with. The
/// manifest holds the sums of the model files, so a manifest edited to fit a replaced
/// model must not be believed: it is checked against this before anything else.
/// A retrained model changes it (the test `the_pinned_manifest_is_the_committed_one`
/// names the new value).
pub const MANIFEST_SHA256: &str =
    "8df635fbccd423b067028e32a00f682fcd99c920d08e293bdbdf579ffef2a8f0";

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
    /// A model file or the manifest is not the one this build expects. Caller:
    /// give up; the message says how to restore it.
    #[error(transparent)]
    Integrity(#[from] IntegrityError),
}

/// `models/intent/manifest.json`: the files of the model with their sha256, the labels,
/// the n-gram features, the encoder and the operating point chosen with the model.
/// Fields kept only for the record (temperatures, dev figures, versions) are not read.
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub model_version: u32,
    pub labels: Vec<String>,
    /// The labels the model treats as order-changing; must be [`ORDER_CHANGING`].
    pub order_changing: Vec<String>,
    pub features: FeatureSpec,
    /// The head: n-gram features and the embedding in, calibrated probabilities out.
    pub head: String,
    pub encoder: EncoderSpec,
    pub rule: RuleSpec,
    /// Every file of the model (path relative to the model directory) and its sha256.
    pub files: BTreeMap<String, String>,
    pub training: TrainingInfo,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EncoderSpec {
    /// The ONNX graph the product runs (the int8 copy).
    pub model: String,
    pub tokenizer: String,
    /// Token ids per utterance, `[CLS]` and `[SEP]` included.
    pub max_tokens: usize,
    /// Size of the embedding.
    pub dim: usize,
}

/// The operating point chosen on the training data; the configuration's defaults.
#[derive(Debug, Clone, Deserialize)]
pub struct RuleSpec {
    pub r_change: Option<f32>,
    pub t_change: f32,
    pub t_other: f32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TrainingInfo {
    pub data_sha256: String,
    pub utterances: usize,
}

impl Manifest {
    /// Reads and checks the manifest in `dir`; its bytes must hash to `pinned`.
    pub fn load_pinned(dir: &Path, pinned: &str) -> Result<Manifest, ClassifierError> {
        let path = dir.join("manifest.json");
        let bytes = std::fs::read(&path).map_err(|e| ClassifierError::Missing {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let digest = hex(&Sha256::digest(&bytes));
        if !digest.eq_ignore_ascii_case(pinned) {
            return Err(IntegrityError::Mismatch {
                path,
                actual: digest,
                expected: pinned.to_string(),
                manifest: PathBuf::from("this build of voxorder"),
                hint: INTENT_HINT,
            }
            .into());
        }
        Manifest::parse(&path, &bytes)
    }

    /// Reads and checks the manifest in `dir` without pinning it (tools that inspect a
    /// freshly trained model; the product loads through [`OnnxIntentClassifier::load`]).
    pub fn load(dir: &Path) -> Result<Manifest, ClassifierError> {
        let path = dir.join("manifest.json");
        let bytes = std::fs::read(&path).map_err(|e| ClassifierError::Missing {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        Manifest::parse(&path, &bytes)
    }

    fn parse(path: &Path, bytes: &[u8]) -> Result<Manifest, ClassifierError> {
        let m: Manifest = serde_json::from_slice(bytes).map_err(|e| ClassifierError::Invalid {
            path: path.to_path_buf(),
            reason: format!("manifest: {e}"),
        })?;
        let invalid = |reason: String| ClassifierError::Invalid {
            path: path.to_path_buf(),
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
        let parse = |labels: &[String]| -> Result<Vec<Intent>, ClassifierError> {
            labels
                .iter()
                .map(|l| {
                    l.parse::<Intent>()
                        .map_err(|e| invalid(format!("label: {e}")))
                })
                .collect()
        };
        let intents = parse(&m.labels)?;
        for needed in [Intent::Fallback, Intent::OutOfScope] {
            if !intents.contains(&needed) {
                return Err(invalid(format!("no {needed} label")));
            }
        }
        let mut changing = parse(&m.order_changing)?;
        changing.sort();
        let mut ours = ORDER_CHANGING.to_vec();
        ours.sort();
        if changing != ours {
            return Err(invalid(format!(
                "order-changing intents {:?} differ from this build's {ours:?}",
                m.order_changing
            )));
        }
        for file in [&m.head, &m.encoder.model, &m.encoder.tokenizer] {
            if !m.files.contains_key(file) {
                return Err(invalid(format!("{file} has no sha256 in files")));
            }
        }
        Ok(m)
    }

    /// Reads one file of the model and checks it against its sum, in memory: the
    /// bytes checked are the bytes loaded.
    fn read_checked(&self, dir: &Path, file: &str) -> Result<Vec<u8>, ClassifierError> {
        let path = dir.join(file);
        let bytes = std::fs::read(&path).map_err(|e| ClassifierError::Missing {
            path: path.clone(),
            reason: format!("{e}; run `bash scripts/setup.sh` to build it"),
        })?;
        let expected = self.files.get(file).cloned().unwrap_or_default();
        let digest = hex(&Sha256::digest(&bytes));
        if !digest.eq_ignore_ascii_case(&expected) {
            return Err(IntegrityError::Mismatch {
                path,
                actual: digest,
                expected,
                manifest: dir.join("manifest.json"),
                hint: INTENT_HINT,
            }
            .into());
        }
        Ok(bytes)
    }
}

/// Hashes training data the way the training tool does, to tie a model to its data:
/// `<Intent>.txt` files (one utterance a line) and `*.tsv` files (`Intent<TAB>utterance`
/// lines, the paraphrases), in file-name order, each line as `intent<TAB>utterance`.
pub fn training_data_sha256(train_dir: &Path) -> std::io::Result<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(train_dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt" || x == "tsv"))
        .collect();
    files.sort();
    let mut h = Sha256::new();
    for f in files {
        let stem = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tsv = f.extension().is_some_and(|x| x == "tsv");
        for line in std::fs::read_to_string(&f)?.lines() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let (intent, text) = match line.split_once('\t') {
                Some((label, text)) if tsv => (label.trim(), text.trim()),
                _ => (stem.as_str(), line),
            };
            h.update(format!("{intent}\t{text}\n").as_bytes());
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

/// The ONNX intent classifier: the n-gram features and the sentence encoder's embedding,
/// combined by the head into calibrated probabilities.
pub struct OnnxIntentClassifier {
    head: Mutex<ort::session::Session>,
    encoder: SentenceEncoder,
    labels: Vec<Intent>,
    spec: FeatureSpec,
    rule: RuleSpec,
    /// Figures from loading, for benchmarks and `--verbose` output.
    pub load_ms: f64,
    pub model_bytes: u64,
}

impl std::fmt::Debug for OnnxIntentClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxIntentClassifier")
            .field("labels", &self.labels.len())
            .field("encoder", &self.encoder)
            .finish()
    }
}

impl OnnxIntentClassifier {
    /// Loads the model in `dir`: the manifest (checked against [`MANIFEST_SHA256`]), then
    /// every file it names, each checked against its sum.
    pub fn load(dir: &Path, ort_lib: &Path) -> Result<OnnxIntentClassifier, ClassifierError> {
        OnnxIntentClassifier::load_pinned(dir, ort_lib, MANIFEST_SHA256)
    }

    /// [`OnnxIntentClassifier::load`] with the manifest's expected sum given (a model
    /// other than the one this build ships: tests, a model being trained).
    pub fn load_pinned(
        dir: &Path,
        ort_lib: &Path,
        manifest_sha256: &str,
    ) -> Result<OnnxIntentClassifier, ClassifierError> {
        let start = Instant::now();
        let manifest = Manifest::load_pinned(dir, manifest_sha256)?;
        // Every file first, so a damaged one is named before any is loaded.
        let head = manifest.read_checked(dir, &manifest.head)?;
        let encoder = manifest.read_checked(dir, &manifest.encoder.model)?;
        let tokenizer_path = dir.join(&manifest.encoder.tokenizer);
        let tokenizer = manifest.read_checked(dir, &manifest.encoder.tokenizer)?;
        let tokenizer = String::from_utf8(tokenizer).map_err(|e| ClassifierError::Invalid {
            path: tokenizer_path.clone(),
            reason: e.to_string(),
        })?;
        let tokenizer =
            WordPiece::from_json(&tokenizer_path, &tokenizer, manifest.encoder.max_tokens)?;
        let env = ort_environment(ort_lib)?;
        let encoder_path = dir.join(&manifest.encoder.model);
        let model_bytes = (head.len() + encoder.len()) as u64;
        let encoder = SentenceEncoder::new(
            session(&env, &encoder, &encoder_path)?,
            tokenizer,
            manifest.encoder.dim,
            encoder_path,
        );
        let head = session(&env, &head, &dir.join(&manifest.head))?;
        let labels = manifest
            .labels
            .iter()
            .map(|l| l.parse().expect("labels were checked by Manifest::load"))
            .collect();
        Ok(OnnxIntentClassifier {
            head: Mutex::new(head),
            encoder,
            labels,
            spec: manifest.features,
            rule: manifest.rule,
            load_ms: start.elapsed().as_secs_f64() * 1e3,
            model_bytes,
        })
    }

    /// The encoder, for checks and benchmarks.
    pub fn encoder(&self) -> &SentenceEncoder {
        &self.encoder
    }

    /// The operating point the model was shipped with (the configuration's defaults).
    pub fn rule(&self) -> &RuleSpec {
        &self.rule
    }

    /// The probabilities of every label, in the manifest's order, from the n-gram
    /// features and an embedding.
    fn head(&self, f: Features, embedding: Vec<f32>) -> Result<Vec<f32>, ClassifierError> {
        let n = f.indices.len() as i64;
        let dim = embedding.len() as i64;
        let err = ClassifierError::Inference;
        let indices = ort::value::Tensor::from_array((vec![n], f.indices)).map_err(err)?;
        let values = ort::value::Tensor::from_array((vec![n], f.values)).map_err(err)?;
        let embedding = ort::value::Tensor::from_array((vec![1, dim], embedding)).map_err(err)?;
        let mut session = self
            .head
            .lock()
            .map_err(|_| ClassifierError::SessionPoisoned)?;
        let outputs = session
            .run(ort::inputs![
                "indices" => indices,
                "values" => values,
                "embedding" => embedding
            ])
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
        Ok(probs.to_vec())
    }
}

/// One session on the process's ONNX Runtime, on one intra-op thread: an utterance is
/// small, and the other core belongs to recognition.
fn session(
    env: &ort::environment::Environment,
    bytes: &[u8],
    path: &Path,
) -> Result<ort::session::Session, ClassifierError> {
    let invalid = |e: &dyn std::fmt::Display| ClassifierError::Invalid {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    ort::session::Session::builder(env)
        .map_err(|e| invalid(&e))?
        .with_intra_threads(1)
        .map_err(|e| invalid(&e))?
        .with_inter_threads(1)
        .map_err(|e| invalid(&e))?
        .commit_from_memory(bytes)
        .map_err(|e| invalid(&e))
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
        let embedding = self.encoder.embed(text)?;
        let probs = self.head(f, embedding)?;
        let mut scores: Scores = self.labels.iter().copied().zip(probs).collect();
        scores.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(scores)
    }
}

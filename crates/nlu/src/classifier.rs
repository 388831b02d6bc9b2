//! The intent classifier: a linear head over hashed n-grams and, when the manifest names
//! one, the sentence encoder's embedding (`encoder.rs`), run with ONNX Runtime (`ort`,
//! loaded dynamically); the manifest that versions it, ties it to its training data and
//! its encoder, and carries the operating point chosen with it ([`Decision`]).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::encoder::{EncoderSpec, SentenceEncoder};
use super::features::{FeatureSpec, FEATURES_VERSION};
use super::intent::Intent;
use voxorder_domain::vocab::{CancelReason, ReturnReason};
use voxorder_runtime::models::{IntegrityError, INTENT_HINT};
use voxorder_runtime::onnx::{ort_environment, OrtError};

/// The model layout this build writes and reads (`model_version` in the manifest).
/// Version 2 added the sentence encoder and the operating point; a version 1 model (the
/// n-gram head alone, no `encoder`, no `decision`) still loads as it always did.
pub const MODEL_VERSION: u32 = 2;

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
    /// The sentence encoder whose embedding the head also reads (input `embedding`).
    #[serde(default)]
    pub encoder: Option<EncoderSpec>,
    #[serde(default)]
    pub decision: Decision,
    /// Why an item goes back, read from the sentence embedding when no phrase says it.
    #[serde(default)]
    pub reasons: Option<ReasonHead>,
    /// Why an order is cancelled, the same way, from `cancel_reasons.tsv`.
    #[serde(default)]
    pub cancel_reasons: Option<ReasonHead>,
    pub training: TrainingInfo,
}

/// A linear head over the sentence embedding that tells why an item is returned (or,
/// as the cancel head, why an order is cancelled): what a phrase table misses ("the
/// kettle packed in after ten days", "it's a bit steep for what it is"). Trained by
/// `tools/train_intent.py` from `assets/nlu/train/return_reasons.tsv` and
/// `cancel_reasons.tsv`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonHead {
    /// `none` (no reason said) and the [`ReturnReason`] (or [`CancelReason`]) values, in
    /// snake case.
    pub labels: Vec<String>,
    /// One row of embedding weights per label.
    pub weights: Vec<Vec<f32>>,
    pub bias: Vec<f32>,
    /// The probability a reason needs to be taken.
    pub min_confidence: f32,
    /// The sha256 of the training file, as [`reason_data_sha256`] computes it.
    pub data_sha256: String,
}

impl ReasonHead {
    /// The most likely reason and its probability; None when "none" is likelier or the
    /// reason is below the head's bar.
    pub fn reason(&self, embedding: &[f32]) -> Option<(ReturnReason, f32)> {
        self.reason_at(embedding, self.min_confidence)
    }

    /// The return head's reason at a bar of the caller's.
    pub fn reason_at(&self, embedding: &[f32], bar: f32) -> Option<(ReturnReason, f32)> {
        let (label, p) = self.label_at(embedding, bar)?;
        Some((parse_reason(label)?, p))
    }

    /// Like [`ReasonHead::reason`], for the cancel head.
    pub fn cancel_reason(&self, embedding: &[f32]) -> Option<(CancelReason, f32)> {
        self.cancel_reason_at(embedding, self.min_confidence)
    }

    /// The cancel head's reason at a bar of the caller's.
    pub fn cancel_reason_at(&self, embedding: &[f32], bar: f32) -> Option<(CancelReason, f32)> {
        let (label, p) = self.label_at(embedding, bar)?;
        Some((parse_cancel_reason(label)?, p))
    }

    /// The most likely label other than `none`, at or above the bar.
    fn label_at(&self, embedding: &[f32], bar: f32) -> Option<(&str, f32)> {
        let (best, p) = self
            .probabilities(embedding)
            .into_iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(&b.1))?;
        let label = self.labels[best].as_str();
        (label != "none" && p >= bar).then_some((label, p))
    }

    /// The probability the head leaves to `none`.
    fn none_share(&self, embedding: &[f32]) -> f32 {
        let probabilities = self.probabilities(embedding);
        self.labels
            .iter()
            .position(|l| l == "none")
            .map_or(0.0, |i| probabilities[i])
    }

    /// Each label's probability for the embedding (a softmax of the head's logits).
    fn probabilities(&self, embedding: &[f32]) -> Vec<f32> {
        let logits: Vec<f32> = self
            .weights
            .iter()
            .zip(&self.bias)
            .map(|(w, b)| w.iter().zip(embedding).map(|(w, e)| w * e).sum::<f32>() + b)
            .collect();
        let top = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exp: Vec<f32> = logits.iter().map(|l| (l - top).exp()).collect();
        let total: f32 = exp.iter().sum();
        exp.into_iter().map(|e| e / total).collect()
    }

    fn check(&self, dim: usize, known: KnownLabel) -> Result<(), String> {
        if self.labels.is_empty()
            || self.weights.len() != self.labels.len()
            || self.bias.len() != self.labels.len()
        {
            return Err("reasons: labels, weights and bias differ in length".into());
        }
        if let Some(row) = self.weights.iter().find(|r| r.len() != dim) {
            return Err(format!("reasons: a weight row of {} for {dim}", row.len()));
        }
        for l in &self.labels {
            if l != "none" && !known(l) {
                return Err(format!("reasons: unknown label {l:?}"));
            }
        }
        let finite = self
            .weights
            .iter()
            .flatten()
            .chain(&self.bias)
            .all(|x| x.is_finite());
        if !finite || !(0.0..=1.0).contains(&self.min_confidence) {
            return Err("reasons: weights or bar out of range".into());
        }
        Ok(())
    }
}

fn parse_reason(label: &str) -> Option<ReturnReason> {
    serde_json::from_value(serde_json::Value::String(label.to_string())).ok()
}

/// Whether a reason head's label names a reason the build knows.
type KnownLabel = fn(&str) -> bool;

fn parse_cancel_reason(label: &str) -> Option<CancelReason> {
    serde_json::from_value(serde_json::Value::String(label.to_string())).ok()
}

/// Hashes the return-reason training file the way the training tool does.
pub fn reason_data_sha256(file: &Path) -> std::io::Result<String> {
    let mut h = Sha256::new();
    for line in std::fs::read_to_string(file)?.lines() {
        let line = line.trim();
        if !line.is_empty() {
            h.update(format!("{line}\n").as_bytes());
        }
    }
    Ok(hex(&h.finalize()))
}

/// The operating point chosen with the model on out-of-fold training data: when an
/// intent is not trusted even though it scored best.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// An order-changing intent ([`changes_orders`]) needs at least this
    /// confidence; below it the utterance is not understood. A question needs only the
    /// configured threshold: a wrong change costs more than a wrong answer.
    pub order_change_min: f32,
    /// An order-changing intent is not trusted either while `Fallback` keeps more than
    /// this probability: a request of another business said in order words ("cancel my
    /// dentist") scores high for the order intent *and* keeps a share for `Fallback`,
    /// where a request for this shop leaves `Fallback` next to nothing. 1 (the default,
    /// and what a model without it gets) never refuses.
    #[serde(default = "no_fallback_limit")]
    pub order_change_max_fallback: f32,
}

fn no_fallback_limit() -> f32 {
    1.0
}

impl Default for Decision {
    fn default() -> Decision {
        Decision {
            order_change_min: 0.0,
            order_change_max_fallback: no_fallback_limit(),
        }
    }
}

impl Decision {
    /// Whether `best`, scored `confidence` with `fallback` left to `Fallback`, is acted
    /// on, given the configured `threshold` every intent needs.
    pub fn trusts(&self, best: Intent, confidence: f32, fallback: f32, threshold: f32) -> bool {
        if !changes_orders(best) {
            return confidence >= threshold;
        }
        confidence >= threshold.max(self.order_change_min)
            && fallback <= self.order_change_max_fallback
    }
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
        if !(1..=MODEL_VERSION).contains(&m.model_version) {
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
        if !(0.0..=1.0).contains(&m.decision.order_change_min) {
            return Err(invalid(format!(
                "order_change_min {}",
                m.decision.order_change_min
            )));
        }
        if !(0.0..=1.0).contains(&m.decision.order_change_max_fallback) {
            return Err(invalid(format!(
                "order_change_max_fallback {}",
                m.decision.order_change_max_fallback
            )));
        }
        let heads: [(&Option<ReasonHead>, KnownLabel); 2] = [
            (&m.reasons, |l| parse_reason(l).is_some()),
            (&m.cancel_reasons, |l| parse_cancel_reason(l).is_some()),
        ];
        for (head, known) in heads {
            let Some(head) = head else { continue };
            let Some(encoder) = &m.encoder else {
                return Err(invalid("reasons without a sentence encoder".into()));
            };
            head.check(encoder.dim, known).map_err(invalid)?;
        }
        Ok(m)
    }
}

/// Whether acting on the intent changes an order, a subscription or a purchase, or
/// starts a replacement or refund (a problem reported), the requests that need more
/// evidence than a question ([`Decision::order_change_min`]).
pub fn changes_orders(intent: Intent) -> bool {
    use Intent::*;
    matches!(
        intent,
        CancelOrder
            | ReturnItem
            | ExchangeItem
            | ReportProblem
            | RescheduleDelivery
            | ChangeAddress
            | ConfirmOrder
            | PlaceOrder
            | Reorder
            | ManageSubscription
    )
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

/// An ONNX Runtime session of a verified model file's bytes, on one intra-op thread:
/// understanding runs beside the recogniser and the voice, and must not take their cores.
///
/// Every graph optimisation is asked for by name rather than left to the library's
/// default: the sentence encoder is written as plain ONNX ops and counts on ONNX Runtime
/// fusing each `DynamicQuantizeLinear` + `MatMulInteger` + `Cast` + `Mul` + bias into one
/// `DynamicQuantizeMatMul` (`MatMulIntegerToFloat` where query, key and value share their
/// quantised input) and the attention scale into `FusedMatMul`, a tenth of its time.
pub(crate) fn one_thread_session(
    ort_lib: &Path,
    path: &Path,
    bytes: &[u8],
) -> Result<ort::session::Session, ClassifierError> {
    let env = ort_environment(ort_lib)?;
    let invalid = |reason: String| ClassifierError::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    ort::session::Session::builder(&env)
        .map_err(|e| invalid(e.to_string()))?
        .with_optimization_level(ort::session::builder::GraphOptimizationLevel::All)
        .map_err(|e| invalid(e.to_string()))?
        .with_intra_threads(1)
        .map_err(|e| invalid(e.to_string()))?
        .commit_from_memory(bytes)
        .map_err(|e| invalid(e.to_string()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Scores of every intent for one utterance, best first; they sum to 1.
pub type Scores = Vec<(Intent, f32)>;

/// Something that scores intents. `Send + Sync` so one instance serves every stage.
pub trait IntentClassifier: Send + Sync {
    fn classify(&self, text: &str) -> Result<Scores, ClassifierError>;

    /// The scores, and the return reason the sentence states as far as the model can
    /// tell without a phrase for it (none: the model cannot tell reasons).
    fn classify_with_reason(&self, text: &str) -> Result<Classified, ClassifierError> {
        Ok(Classified {
            scores: self.classify(text)?,
            ..Classified::default()
        })
    }

    /// The operating point that goes with the scores (none: every intent needs only the
    /// configured threshold).
    fn decision(&self) -> Decision {
        Decision::default()
    }
}

/// What [`IntentClassifier::classify_with_reason`] found.
#[derive(Debug, Clone, Default)]
pub struct Classified {
    pub scores: Scores,
    pub reason: Option<(ReturnReason, f32)>,
    /// Why an order is cancelled, as far as the model can tell.
    pub cancel_reason: Option<(CancelReason, f32)>,
    /// The cancel head's likeliest reason at the lower bar [`UNSURE_CANCEL_BAR`], for a
    /// sentence long enough to hold one.
    pub cancel_reason_unsure: Option<(CancelReason, f32)>,
    /// The return head's likeliest reason at the lower bar [`UNSURE_RETURN_BAR`], for a
    /// return told as a story ("the photos showed a wooden handle and it's plastic").
    pub reason_unsure: Option<(ReturnReason, f32)>,
}

/// The cancel head's bar for a sentence that gives more than the request itself: "none"
/// lines are short ("just cancel it"), so a long one is likelier to hold a reason.
pub const UNSURE_CANCEL_BAR: f32 = 0.4;

/// The return head's bar for a return told with a story of its own: the head spreads
/// its probability over reasons on a story no phrase names, and its first choice there
/// is right far more often than it is a reason nobody gave.
pub const UNSURE_RETURN_BAR: f32 = 0.45;

/// The most the return head may leave to `none` for its unsure reason to be taken: a
/// request said with its order and zip ("send back the backpack from my other order,
/// the headphones one is …") can lean to a reason as much as to none.
pub const UNSURE_RETURN_NONE_MAX: f32 = 0.3;

/// The ONNX intent classifier.
pub struct OnnxIntentClassifier {
    session: Mutex<ort::session::Session>,
    encoder: Option<SentenceEncoder>,
    labels: Vec<Intent>,
    spec: FeatureSpec,
    decision: Decision,
    reasons: Option<ReasonHead>,
    cancel_reasons: Option<ReasonHead>,
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
    /// Loads the model in `dir` (manifest + ONNX file), checking version and checksum,
    /// and the sentence encoder it names (below `dir`'s parent, the models directory).
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
        let session = one_thread_session(ort_lib, &model_path, &bytes)?;
        let encoder = match &manifest.encoder {
            Some(spec) => {
                let models = dir.parent().unwrap_or(Path::new("."));
                Some(SentenceEncoder::load(models, spec, ort_lib)?)
            }
            None => None,
        };
        let labels = manifest
            .labels
            .iter()
            .map(|l| l.parse().expect("labels were checked by Manifest::load"))
            .collect();
        Ok(OnnxIntentClassifier {
            session: Mutex::new(session),
            labels,
            spec: manifest.features,
            decision: manifest.decision,
            reasons: manifest.reasons,
            cancel_reasons: manifest.cancel_reasons,
            load_ms: start.elapsed().as_secs_f64() * 1e3,
            model_bytes: bytes.len() as u64 + encoder.as_ref().map_or(0, |e| e.model_bytes),
            encoder,
        })
    }

    /// The sentence encoder the head reads, if the model has one.
    pub fn encoder(&self) -> Option<&SentenceEncoder> {
        self.encoder.as_ref()
    }
}

impl IntentClassifier for OnnxIntentClassifier {
    fn classify(&self, text: &str) -> Result<Scores, ClassifierError> {
        Ok(self.classify_with_reason(text)?.scores)
    }

    fn classify_with_reason(&self, text: &str) -> Result<Classified, ClassifierError> {
        let f = self.spec.featurize(text);
        if f.is_empty() {
            // Nothing a model could read (silence, punctuation, emoji): certainly Fallback.
            let mut s: Scores = self
                .labels
                .iter()
                .map(|&i| (i, if i == Intent::Fallback { 1.0 } else { 0.0 }))
                .collect();
            s.sort_by(|a, b| b.1.total_cmp(&a.1));
            return Ok(Classified {
                scores: s,
                ..Classified::default()
            });
        }
        let n = f.indices.len() as i64;
        let err = ClassifierError::Inference;
        let embedding = match &self.encoder {
            Some(encoder) => Some(encoder.embed(text)?),
            None => None,
        };
        let indices = ort::value::Tensor::from_array((vec![n], f.indices)).map_err(err)?;
        let values = ort::value::Tensor::from_array((vec![n], f.values)).map_err(err)?;
        let mut session = self
            .session
            .lock()
            .map_err(|_| ClassifierError::SessionPoisoned)?;
        let (reason, reason_unsure) = match (&self.reasons, &embedding) {
            (Some(head), Some(e)) => (
                head.reason(e),
                head.reason_at(e, UNSURE_RETURN_BAR.min(head.min_confidence))
                    .filter(|_| head.none_share(e) <= UNSURE_RETURN_NONE_MAX),
            ),
            _ => (None, None),
        };
        let (cancel_reason, cancel_reason_unsure) = match (&self.cancel_reasons, &embedding) {
            (Some(head), Some(e)) => (
                head.cancel_reason(e),
                head.cancel_reason_at(e, UNSURE_CANCEL_BAR.min(head.min_confidence)),
            ),
            _ => (None, None),
        };
        let outputs = match embedding {
            Some(e) => {
                let dim = e.len() as i64;
                let e = ort::value::Tensor::from_array((vec![dim], e)).map_err(err)?;
                session
                    .run(ort::inputs!["indices" => indices, "values" => values, "embedding" => e])
            }
            None => session.run(ort::inputs!["indices" => indices, "values" => values]),
        }
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
        Ok(Classified {
            scores,
            reason,
            cancel_reason,
            cancel_reason_unsure,
            reason_unsure,
        })
    }

    fn decision(&self) -> Decision {
        self.decision.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three labels over a two-dimensional embedding: the first axis says "damaged",
    /// the second "changed my mind", neither says nothing.
    fn head() -> ReasonHead {
        ReasonHead {
            labels: vec!["changed_mind".into(), "damaged".into(), "none".into()],
            weights: vec![vec![0.0, 4.0], vec![4.0, 0.0], vec![0.0, 0.0]],
            bias: vec![0.0, 0.0, 1.0],
            min_confidence: 0.6,
            data_sha256: String::new(),
        }
    }

    #[test]
    fn a_reason_is_taken_only_when_it_beats_none_and_the_bar() {
        let head = head();
        let (reason, p) = head.reason(&[2.0, 0.0]).expect("damaged");
        assert_eq!(reason, ReturnReason::Damaged);
        assert!(p > 0.9, "{p}");
        assert_eq!(
            head.reason(&[0.0, 2.0]).map(|r| r.0),
            Some(ReturnReason::ChangedMind)
        );
        // Nothing said: "none" wins.
        assert_eq!(head.reason(&[0.0, 0.0]), None);
        // Torn between two reasons: below the bar.
        assert_eq!(head.reason(&[0.5, 0.5]), None);
    }

    #[test]
    fn a_head_that_does_not_fit_the_encoder_or_names_no_reason_is_refused() {
        let returns = |l: &str| parse_reason(l).is_some();
        assert!(head().check(2, returns).is_ok());
        assert!(head().check(3, returns).is_err());
        let mut unknown = head();
        unknown.labels[0] = "bored".into();
        assert!(unknown.check(2, returns).is_err());
        let mut short = head();
        short.bias.pop();
        assert!(short.check(2, returns).is_err());
        let mut wild = head();
        wild.weights[0][0] = f32::NAN;
        assert!(wild.check(2, returns).is_err());
        // A return reason the cancel head does not know ("damaged") is refused there.
        assert!(head()
            .check(2, |l| parse_cancel_reason(l).is_some())
            .is_err());
    }

    #[test]
    fn the_cancel_head_reads_cancel_reasons() {
        let head = ReasonHead {
            labels: vec!["found_cheaper".into(), "none".into()],
            weights: vec![vec![4.0, 0.0], vec![0.0, 0.0]],
            bias: vec![0.0, 0.0],
            min_confidence: 0.6,
            data_sha256: String::new(),
        };
        assert_eq!(
            head.cancel_reason(&[1.0, 0.0]).map(|(r, _)| r),
            Some(CancelReason::FoundCheaper)
        );
        assert_eq!(head.cancel_reason(&[0.0, 0.0]), None);
        // The return reading of a cancel label is nothing.
        assert_eq!(head.reason(&[1.0, 0.0]), None);
    }
}

//! The shipped intent model run end to end (tokeniser, int8 encoder, n-gram features,
//! head, decision rule) against the figures its training recipe recorded in
//! `models/intent/checks.json`; its manifest pinned by the build; a replaced file or an
//! edited manifest refused. Needs ONNX Runtime in models/lib and the encoder built by
//! `bash scripts/setup.sh`.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use voxorder_nlu::classifier::{
    ClassifierError, IntentClassifier, Manifest, OnnxIntentClassifier, MANIFEST_SHA256,
};
use voxorder_nlu::features::FeatureSpec;
use voxorder_nlu::reject::RejectRule;
use voxorder_nlu::Intent;

/// The checks were computed by ONNX Runtime in Python on the same graphs; the same
/// runtime in Rust agrees far closer than this.
const TOLERANCE: f32 = 1e-4;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn lib() -> PathBuf {
    let lib = voxorder_runtime::paths::ort_lib(&root().join("models"));
    assert!(
        lib.exists(),
        "{} is missing: run `bash scripts/setup.sh` (it fetches ONNX Runtime)",
        lib.display()
    );
    lib
}

fn model_dir() -> PathBuf {
    root().join("models/intent")
}

#[derive(Deserialize)]
struct Check {
    text: String,
    decision: String,
    top3: Vec<(String, f32)>,
    ngram_nonzero: usize,
    token_ids: Vec<i64>,
    embedding_first4: Vec<f32>,
}

#[test]
fn the_pinned_manifest_is_the_committed_one() {
    let bytes = std::fs::read(model_dir().join("manifest.json")).expect("manifest");
    let digest: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        digest, MANIFEST_SHA256,
        "models/intent/manifest.json changed: set classifier::MANIFEST_SHA256 to its new sum"
    );
}

#[test]
fn the_pipeline_matches_the_recipes_checks() {
    let text = std::fs::read_to_string(model_dir().join("checks.json")).expect("checks.json");
    let checks: Vec<Check> = serde_json::from_str(&text).expect("checks parse");
    assert_eq!(checks.len(), 10);
    let manifest = Manifest::load(&model_dir()).expect("manifest");
    let classifier = OnnxIntentClassifier::load(&model_dir(), &lib()).expect("model loads");
    let rule = RejectRule {
        change_max_reject: manifest.rule.r_change.unwrap_or(1.0),
        change_min_confidence: manifest.rule.t_change,
        min_confidence: manifest.rule.t_other,
    };
    let spec: FeatureSpec = manifest.features.clone();
    for c in &checks {
        let t = &c.text;
        let ids = classifier.encoder().tokenizer().encode(t);
        assert_eq!(ids, c.token_ids, "{t}: token ids");
        assert_eq!(
            spec.featurize(t).indices.len(),
            c.ngram_nonzero,
            "{t}: features"
        );
        let e = classifier.encoder().embed(t).expect("embedding");
        let norm: f32 = e.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-3, "{t}: embedding norm {norm}");
        for (got, want) in e.iter().zip(&c.embedding_first4) {
            assert!(
                (got - want).abs() < TOLERANCE,
                "{t}: embedding {got} vs {want}"
            );
        }
        let scores = classifier.classify(t).expect("scores");
        let sum: f32 = scores.iter().map(|s| s.1).sum();
        assert!((sum - 1.0).abs() < 1e-3, "{t}: probabilities sum to {sum}");
        for ((label, p), (want_label, want_p)) in scores.iter().zip(&c.top3) {
            assert_eq!(label.as_str(), want_label, "{t}: ranking");
            // The recorded figures are rounded to 5 decimals.
            assert!(
                (p - want_p).abs() < TOLERANCE + 5e-6,
                "{t}: p({label}) {p} vs {want_p}"
            );
        }
        assert_eq!(rule.decide(&scores).as_str(), c.decision, "{t}: decision");
    }
}

#[test]
fn the_configuration_defaults_are_the_models_operating_point() {
    let rule = Manifest::load(&model_dir()).expect("manifest").rule;
    let nlu = voxorder_config::Config::default().nlu;
    assert_eq!(rule.r_change, Some(nlu.order_change_max_reject));
    assert_eq!(rule.t_change, nlu.order_change_confidence);
    assert_eq!(rule.t_other, nlu.confidence_threshold);
}

#[test]
fn an_out_of_scope_request_is_not_taken_for_an_order_change() {
    let classifier = OnnxIntentClassifier::load(&model_dir(), &lib()).expect("model loads");
    let nlu = voxorder_config::Config::default().nlu;
    let rule = RejectRule {
        change_max_reject: nlu.order_change_max_reject,
        change_min_confidence: nlu.order_change_confidence,
        min_confidence: nlu.confidence_threshold,
    };
    for text in ["cancel my gym membership", "track my flight to madrid"] {
        let scores = classifier.classify(text).expect("scores");
        assert_eq!(rule.decide(&scores), Intent::OutOfScope, "{text}");
    }
}

/// A copy of the model in a temporary directory, to damage.
fn copy_model(dir: &Path) {
    let src = model_dir();
    std::fs::create_dir_all(dir.join("encoder")).expect("mkdir");
    for f in [
        "manifest.json",
        "intent_head.onnx",
        "encoder/minilm-l6.int8.onnx",
        "encoder/tokenizer.json",
    ] {
        std::fs::copy(src.join(f), dir.join(f)).expect("copy");
    }
}

#[test]
fn a_replaced_encoder_is_refused_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_model(dir.path());
    let tok = dir.path().join("encoder/tokenizer.json");
    let mut bytes = std::fs::read(&tok).expect("read");
    bytes.extend_from_slice(b" ");
    std::fs::write(&tok, bytes).expect("write");
    let err = OnnxIntentClassifier::load(dir.path(), &lib()).expect_err("refused");
    let msg = err.to_string();
    assert!(matches!(err, ClassifierError::Integrity(_)), "{msg}");
    assert!(msg.contains("encoder/tokenizer.json"), "{msg}");
}

#[test]
fn a_manifest_edited_to_fit_a_replaced_file_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_model(dir.path());
    let head = dir.path().join("intent_head.onnx");
    let mut bytes = std::fs::read(&head).expect("read");
    bytes.push(0);
    std::fs::write(&head, &bytes).expect("write");
    let sum: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let path = dir.path().join("manifest.json");
    let manifest = std::fs::read_to_string(&path).expect("manifest");
    let old = Manifest::load(dir.path()).expect("manifest").files["intent_head.onnx"].clone();
    std::fs::write(&path, manifest.replace(&old, &sum)).expect("write");
    let err = OnnxIntentClassifier::load(dir.path(), &lib()).expect_err("refused");
    let msg = err.to_string();
    assert!(msg.contains("manifest.json"), "{msg}");
    assert!(msg.contains("this build of voxorder"), "{msg}");
}

//! The committed intent model against its training data and the held-out sets (this and
//! the `nlu_heldout` bench are the held-out sets' evaluators), and a damaged model
//! refused. Needs ONNX Runtime in models/lib (fetched by `bash scripts/setup.sh`).

use std::path::PathBuf;

use voxorder_domain::clock::parse_now;
use voxorder_nlu::classifier::{
    changes_orders, reason_data_sha256, training_data_sha256, Manifest, OnnxIntentClassifier,
};
use voxorder_nlu::entities::ProductMatcher;
use voxorder_nlu::eval::{read_intents_tsv, score_entities, score_intents, score_out_of_scope};
use voxorder_nlu::{Intent, Nlu};
use voxorder_store::demo::{catalog, Rng, DEMO_SEED};

/// Guards on the held-out sets: the figures measured when the model was committed, less
/// a small margin. The aims (97% accuracy, 0.96 macro-F1, 95% entity exact match) are
/// tracked by `cargo bench -p voxorder-nlu --bench nlu_heldout`.
const MIN_INTENT_ACCURACY: f64 = 0.965;
const MIN_MACRO_F1: f64 = 0.965;
const MIN_ENTITY_EXACT: f64 = 0.90;
/// Requests the shop does not serve (`out_of_scope.txt`): most are not understood, and
/// almost none is taken for a change to an order.
const MIN_OUT_OF_SCOPE_RECALL: f64 = 0.94;
const MAX_OUT_OF_SCOPE_AS_CHANGE: f64 = 0.02;
/// `near_misses.tsv`, measured when the model was committed, less a small margin. The
/// in-scope side grew by the hardest boundaries (a purchase told as a need, a delivery
/// moved by naming the thing, a parcel someone else sent): 0.9515 when measured.
const MIN_NEAR_MISS_IN_SCOPE_ACCURACY: f64 = 0.94;
const MIN_NEAR_MISS_RECALL: f64 = 0.90;
const MAX_NEAR_MISS_AS_CHANGE: f64 = 0.06;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn classifier() -> OnnxIntentClassifier {
    let models = root().join("models");
    let lib = voxorder_runtime::paths::ort_lib(&models);
    assert!(
        lib.exists(),
        "{} is missing: run `bash scripts/setup.sh` (it fetches ONNX Runtime)",
        lib.display()
    );
    OnnxIntentClassifier::load(&models.join("intent"), &lib).expect("intent model loads")
}

fn nlu() -> Nlu {
    Nlu::new(
        Box::new(classifier()),
        &catalog(&mut Rng::new(DEMO_SEED)),
        voxorder_config::Config::default().nlu.confidence_threshold,
    )
}

#[test]
fn committed_model_was_trained_on_the_committed_data() {
    let manifest = Manifest::load(&root().join("models/intent")).expect("manifest");
    let data = training_data_sha256(&root().join("assets/nlu/train")).expect("training data");
    assert_eq!(
        manifest.training.data_sha256, data,
        "assets/nlu/train changed since models/intent was trained: run tools/train_intent.sh"
    );
    let reasons = manifest
        .reasons
        .as_ref()
        .expect("the model tells return reasons");
    let data = reason_data_sha256(&root().join("assets/nlu/train/return_reasons.tsv"))
        .expect("return reason data");
    assert_eq!(
        reasons.data_sha256, data,
        "assets/nlu/train/return_reasons.tsv changed since models/intent was trained: run tools/train_intent.sh"
    );
    let cancels = manifest
        .cancel_reasons
        .as_ref()
        .expect("the model tells cancel reasons");
    let data = reason_data_sha256(&root().join("assets/nlu/train/cancel_reasons.tsv"))
        .expect("cancel reason data");
    assert_eq!(
        cancels.data_sha256, data,
        "assets/nlu/train/cancel_reasons.tsv changed since models/intent was trained: run tools/train_intent.sh"
    );
    // Loading verifies the model file's own checksum.
    classifier();
}

#[test]
fn heldout_intents_meet_the_bar() {
    let now = parse_now("2026-03-10T10:00:00").unwrap();
    let data = read_intents_tsv(&root().join("assets/nlu/heldout/intents.tsv")).unwrap();
    assert!(
        data.len() >= 21 * 40,
        "held-out set shrank to {}",
        data.len()
    );
    let report = score_intents(&nlu(), &data, now).unwrap();
    eprintln!(
        "intents.tsv: {} utterances, accuracy {:.4}, macro-F1 {:.4}",
        report.utterances, report.accuracy, report.macro_f1
    );
    assert!(
        report.accuracy >= MIN_INTENT_ACCURACY,
        "held-out accuracy {:.4} < {MIN_INTENT_ACCURACY}",
        report.accuracy
    );
    assert!(
        report.macro_f1 >= MIN_MACRO_F1,
        "held-out macro-F1 {:.4} < {MIN_MACRO_F1}",
        report.macro_f1
    );
}

#[test]
fn out_of_scope_requests_are_not_taken_for_orders() {
    let now = parse_now("2026-03-10T10:00:00").unwrap();
    let report = score_out_of_scope(
        &nlu(),
        &root().join("assets/nlu/heldout/out_of_scope.txt"),
        now,
    )
    .unwrap();
    assert!(
        report.utterances >= 100,
        "set shrank to {}",
        report.utterances
    );
    eprintln!(
        "out_of_scope.txt: {} utterances, recall {:.4}, taken for an order change {:.4}",
        report.utterances, report.recall, report.as_order_change
    );
    assert!(
        report.recall >= MIN_OUT_OF_SCOPE_RECALL,
        "out-of-scope recall {:.3} < {MIN_OUT_OF_SCOPE_RECALL}: {:?}",
        report.recall,
        report.misses
    );
    assert!(
        report.as_order_change <= MAX_OUT_OF_SCOPE_AS_CHANGE,
        "{:.3} of out-of-scope requests taken for an order change: {:?}",
        report.as_order_change,
        report.misses
    );
}

/// `near_misses.tsv`: other businesses' requests said in order words, and in-scope
/// requests in everyday registers, scored on both sides at once so a gain on one is
/// seen with its cost on the other.
#[test]
fn near_misses_are_told_from_orders() {
    let now = parse_now("2026-03-10T10:00:00").unwrap();
    let data = read_intents_tsv(&root().join("assets/nlu/heldout/near_misses.tsv")).unwrap();
    let (outside, inside): (Vec<_>, Vec<_>) =
        data.into_iter().partition(|l| l.intent == Intent::Fallback);
    assert!(
        outside.len() >= 150 && inside.len() >= 150,
        "set shrank to {} + {}",
        outside.len(),
        inside.len()
    );
    let nlu = nlu();
    let report = score_intents(&nlu, &inside, now).unwrap();
    let mut changes = Vec::new();
    let mut recalled = 0usize;
    for l in &outside {
        let i = nlu.understand(&l.text, now, None).unwrap();
        if i.intent == Intent::Fallback {
            recalled += 1;
        } else if changes_orders(i.intent) {
            changes.push((i.intent, i.confidence, l.text.as_str()));
        }
    }
    let recall = recalled as f64 / outside.len() as f64;
    let as_change = changes.len() as f64 / outside.len() as f64;
    eprintln!(
        "near_misses.tsv: in-scope {} accuracy {:.4}; out-of-scope {} recall {:.4}, \
         taken for an order change {:.4}",
        inside.len(),
        report.accuracy,
        outside.len(),
        recall,
        as_change
    );
    assert!(
        report.accuracy >= MIN_NEAR_MISS_IN_SCOPE_ACCURACY,
        "in-scope accuracy {:.4} < {MIN_NEAR_MISS_IN_SCOPE_ACCURACY}: {:?}",
        report.accuracy,
        report.misses
    );
    assert!(
        recall >= MIN_NEAR_MISS_RECALL,
        "near-miss recall {recall:.4} < {MIN_NEAR_MISS_RECALL}"
    );
    assert!(
        as_change <= MAX_NEAR_MISS_AS_CHANGE,
        "{as_change:.4} of near misses taken for an order change: {changes:?}"
    );
}

#[test]
fn heldout_entities_meet_the_bar() {
    let now = parse_now("2026-03-10T10:00:00").unwrap();
    let products = ProductMatcher::new(&catalog(&mut Rng::new(DEMO_SEED)));
    let report = score_entities(
        &root().join("assets/nlu/heldout/entities.jsonl"),
        &products,
        now,
    )
    .unwrap();
    let labelled: usize = report.per_entity.values().map(|s| s.labelled).sum();
    let exact: usize = report.per_entity.values().map(|s| s.exact).sum();
    let rate = exact as f64 / labelled as f64;
    for (name, s) in &report.per_entity {
        eprintln!(
            "entities.jsonl {name}: {}/{} exact ({:.3}), {} spurious",
            s.exact, s.labelled, s.exact_rate, s.spurious
        );
    }
    assert!(
        rate >= MIN_ENTITY_EXACT,
        "entity exact match {rate:.4} < {MIN_ENTITY_EXACT}"
    );
}

#[test]
fn a_damaged_model_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let src = root().join("models/intent");
    for f in ["manifest.json", "intent.onnx"] {
        std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
    }
    let model = dir.path().join("intent.onnx");
    let bytes = std::fs::read(&model).unwrap();
    std::fs::write(&model, &bytes[..bytes.len() / 2]).unwrap();
    let lib = voxorder_runtime::paths::ort_lib(&root().join("models"));
    let err = OnnxIntentClassifier::load(dir.path(), &lib).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("damaged or was replaced"), "{msg}");
    assert!(msg.contains("intent.onnx"), "{msg}");
}

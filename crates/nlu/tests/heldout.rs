//! The committed intent model against its training data, the held-out sets and the blind
//! sets (this and the `nlu_heldout` bench are their evaluators). Needs ONNX Runtime in
//! models/lib and the encoder, both made by `bash scripts/setup.sh`.

use std::path::PathBuf;

use voxorder_domain::clock::parse_now;
use voxorder_nlu::classifier::{training_data_sha256, Manifest, OnnxIntentClassifier};
use voxorder_nlu::entities::ProductMatcher;
use voxorder_nlu::eval::{read_intents_tsv, score_entities, score_intents, score_out_of_scope};
use voxorder_nlu::reject::RejectRule;
use voxorder_nlu::Nlu;
use voxorder_store::demo::{catalog, Rng, DEMO_SEED};

/// Guards on the held-out sets: the figures measured when the model was committed, less
/// a small margin. The aims (97% accuracy, 0.96 macro-F1, 95% entity exact match) are
/// tracked by `cargo bench -p voxorder-nlu --bench nlu_heldout`.
const MIN_INTENT_ACCURACY: f64 = 0.975;
const MIN_MACRO_F1: f64 = 0.975;
const MIN_ENTITY_EXACT: f64 = 0.90;

/// Guards on the blind sets (`heldout/blind/`: 563 requests over every intent, 471
/// out-of-scope requests and 345 entity sentences by a writer who never saw the training
/// data), a little under the figures measured when the model was committed.
const MIN_BLIND_INTENT_ACCURACY: f64 = 0.96;
const MIN_BLIND_OOS_RECALL: f64 = 0.95;
const MAX_BLIND_OOS_AS_ORDER_CHANGE: f64 = 0.02;
/// Per entity type on the blind entity set; a type not listed must reach the aim, 0.95.
/// The listed ones are below it today (spelled-out e-mails, reason synonyms, phone
/// numbers read in groups): their bars hold the measured figure less a little, so a
/// regression fails while the aim stays open.
const MIN_BLIND_ENTITY_EXACT: &[(&str, f64)] = &[
    ("cancel_reason", 0.62),
    ("date", 0.92),
    ("email", 0.86),
    ("order_number", 0.90),
    ("phone_number", 0.77),
    ("quantity", 0.86),
    ("refund_method", 0.79),
    ("return_reason", 0.51),
    ("time_slot", 0.87),
];

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
        RejectRule {
            min_confidence: voxorder_config::Config::default().nlu.confidence_threshold,
            change_min_confidence: voxorder_config::Config::default()
                .nlu
                .order_change_confidence,
            change_max_reject: voxorder_config::Config::default()
                .nlu
                .order_change_max_reject,
        },
    )
}

#[test]
fn committed_model_was_trained_on_the_committed_data() {
    let manifest = Manifest::load(&root().join("models/intent")).expect("manifest");
    let data = training_data_sha256(&root().join("assets/nlu/train")).expect("training data");
    assert_eq!(
        manifest.training.data_sha256, data,
        "assets/nlu/train changed since models/intent was trained: retrain with tools/nlu/ (see the README)"
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
    assert!(
        rate >= MIN_ENTITY_EXACT,
        "entity exact match {rate:.4} < {MIN_ENTITY_EXACT}"
    );
}

fn now() -> chrono::NaiveDateTime {
    parse_now("2026-03-10T10:00:00").expect("the evaluation clock")
}

#[test]
fn blind_intents_meet_the_bar() {
    let data = read_intents_tsv(&root().join("assets/nlu/heldout/blind/intents.tsv")).unwrap();
    assert!(data.len() >= 400, "blind set shrank to {}", data.len());
    let report = score_intents(&nlu(), &data, now()).unwrap();
    eprintln!(
        "blind intents: accuracy {:.4}, macro-F1 {:.4} ({} utterances)",
        report.accuracy, report.macro_f1, report.utterances
    );
    assert!(
        report.accuracy >= MIN_BLIND_INTENT_ACCURACY,
        "blind intent accuracy {:.4} < {MIN_BLIND_INTENT_ACCURACY}; misses: {:#?}",
        report.accuracy,
        report.misses
    );
}

#[test]
fn blind_out_of_scope_requests_are_set_aside() {
    let data = read_intents_tsv(&root().join("assets/nlu/heldout/blind/out_of_scope.tsv")).unwrap();
    assert!(data.len() >= 400, "blind set shrank to {}", data.len());
    let report = score_out_of_scope(&nlu(), &data, now()).unwrap();
    eprintln!(
        "blind out-of-scope: recall {:.4}, taken as an order change {} ({:.4})",
        report.recall, report.as_order_change, report.as_order_change_rate
    );
    assert!(
        report.recall >= MIN_BLIND_OOS_RECALL,
        "out-of-scope recall {:.4} < {MIN_BLIND_OOS_RECALL}; misses: {:#?}",
        report.recall,
        report.misses
    );
    assert!(
        report.as_order_change_rate <= MAX_BLIND_OOS_AS_ORDER_CHANGE,
        "{:.4} of out-of-scope requests taken as an order change; misses: {:#?}",
        report.as_order_change_rate,
        report.misses
    );
}

#[test]
fn blind_entities_meet_the_bar_per_type() {
    let products = ProductMatcher::new(&catalog(&mut Rng::new(DEMO_SEED)));
    let report = score_entities(
        &root().join("assets/nlu/heldout/blind/entities.jsonl"),
        &products,
        now(),
    )
    .unwrap();
    for (name, s) in &report.per_entity {
        eprintln!(
            "blind entity {name}: {}/{} exact ({:.3}), {} spurious",
            s.exact, s.labelled, s.exact_rate, s.spurious
        );
    }
    for (name, s) in &report.per_entity {
        if s.labelled == 0 {
            continue;
        }
        let bar = MIN_BLIND_ENTITY_EXACT
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0.95, |&(_, b)| b);
        assert!(
            s.exact_rate >= bar,
            "blind {name} exact {:.3} < {bar}",
            s.exact_rate
        );
    }
}

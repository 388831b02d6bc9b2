//! The committed intent model against its data and the held-out sets, and `voxorder nlu`
//! on bad input. Needs ONNX Runtime in models/lib (fetched by `bash scripts/setup.sh`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use voxorder::clock::parse_now;
use voxorder::demo::{catalog, Rng, DEMO_SEED};
use voxorder::nlu::classifier::{training_data_sha256, Manifest, OnnxIntentClassifier};
use voxorder::nlu::entities::ProductMatcher;
use voxorder::nlu::eval::{read_intents_tsv, score_entities, score_intents};
use voxorder::nlu::Nlu;

/// Guards on the held-out sets: the figures measured when the model was committed, less
/// a small margin. The aims (97% accuracy, 0.96 macro-F1, 95% entity exact match) are
/// tracked by `cargo bench --bench nlu_heldout`.
const MIN_INTENT_ACCURACY: f64 = 0.955;
const MIN_MACRO_F1: f64 = 0.955;
const MIN_ENTITY_EXACT: f64 = 0.90;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn classifier() -> OnnxIntentClassifier {
    let models = root().join("models");
    let lib = voxorder::paths::ort_lib(&models);
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
        voxorder::config::Config::default().nlu.confidence_threshold,
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

fn voxorder(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_voxorder"));
    c.env("VOXORDER_HOME", home)
        .env("VOXORDER_MODELS", root().join("models"))
        .env_remove("VOXORDER_DB")
        .env_remove("VOXORDER_CONFIG")
        .env("VOXORDER_NOW", "2026-03-10T10:00:00");
    c
}

#[test]
fn nlu_cli_answers_every_line_with_json_even_for_garbage() {
    let home = tempfile::tempdir().unwrap();
    let mut input: Vec<u8> = Vec::new();
    let lines: Vec<Vec<u8>> = vec![
        b"where is my order 1234 56789 1234".to_vec(),
        b"".to_vec(),
        b"   \t  ".to_vec(),
        "🙂🙂🙂 🚚".as_bytes().to_vec(),
        b"'; DROP TABLE orders; --".to_vec(),
        b"$(rm -rf /) && cat /etc/passwd".to_vec(),
        vec![0xff, 0xfe, b'h', b'i', 0xc3],
        "refund ".repeat(15_000).into_bytes(),
    ];
    for l in &lines {
        input.extend_from_slice(l);
        input.push(b'\n');
    }
    let mut child = voxorder(home.path())
        .arg("nlu")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(answers.len(), lines.len());
    assert_eq!(answers[0]["intent"], "GetOrderStatus");
    assert_eq!(answers[0]["entities"]["order_number"], "1234567891234");
    for a in &answers[1..4] {
        assert_eq!(a["intent"], "Fallback", "{a}");
        assert_eq!(a["entities"], serde_json::json!({}), "{a}");
    }
    for a in &answers {
        let c = a["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c), "{a}");
        assert!(a["alternatives"].as_array().is_some_and(|v| !v.is_empty()));
    }
}

#[test]
fn nlu_cli_single_utterance_and_empty_catalog() {
    let home = tempfile::tempdir().unwrap();
    // A store imported from orders alone has no catalog: no product entity, no failure.
    let db = home.path().join("bare.db");
    let st = voxorder(home.path())
        .args(["--db", db.to_str().unwrap(), "import"])
        .arg(root().join("tests/data/orders_valid.json"))
        .output()
        .unwrap();
    assert!(st.status.success());
    let out = voxorder(home.path())
        .args([
            "--db",
            db.to_str().unwrap(),
            "nlu",
            "--json",
            "i'd like two bags of coffee beans delivered tomorrow morning",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["intent"], "PlaceOrder");
    assert_eq!(v["entities"]["date"], "2026-03-11");
    assert_eq!(v["entities"]["time_slot"], "morning");
    assert!(v["entities"].get("product").is_none(), "{v}");
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
    let lib = voxorder::paths::ort_lib(&root().join("models"));
    let err = OnnxIntentClassifier::load(dir.path(), &lib).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("damaged or was replaced"), "{msg}");
    assert!(msg.contains("intent.onnx"), "{msg}");
}

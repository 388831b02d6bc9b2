//! The sentence encoder against its reference (`tests/data/nlu/encoder_fixture.json`,
//! written by `tools/convert_minilm.py --fixture`): the Rust WordPiece gives the
//! tokenizers library's ids, and the shipped graph run from Rust gives the embedding
//! onnxruntime gave in Python, close to the float64 forward pass of the weights. Needs
//! the encoder and ONNX Runtime in models/ (`bash scripts/setup.sh`).

use std::path::PathBuf;

use serde::Deserialize;
use voxorder_nlu::classifier::Manifest;
use voxorder_nlu::encoder::{SentenceEncoder, WordPiece};

#[derive(Deserialize)]
struct Fixture {
    model_sha256: String,
    sentences: Vec<Sentence>,
}

#[derive(Deserialize)]
struct Sentence {
    text: String,
    ids: Vec<i64>,
    reference: Vec<f32>,
    int8: Vec<f32>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture() -> Fixture {
    let text = std::fs::read_to_string(root().join("tests/data/nlu/encoder_fixture.json"))
        .expect("fixture");
    serde_json::from_str(&text).expect("fixture parses")
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

fn encoder() -> SentenceEncoder {
    let models = root().join("models");
    let manifest = Manifest::load(&models.join("intent")).expect("intent manifest");
    let spec = manifest
        .encoder
        .expect("the intent model reads the sentence encoder");
    let lib = voxorder_runtime::paths::ort_lib(&models);
    SentenceEncoder::load(&models, &spec, &lib).expect("encoder loads (bash scripts/setup.sh)")
}

#[test]
fn wordpiece_gives_the_reference_tokenisers_ids() {
    let path = root().join("models/encoder/tokenizer.json");
    let text = std::fs::read_to_string(&path).expect("tokenizer.json (bash scripts/setup.sh)");
    let tokenizer = WordPiece::from_json(&path, &text, 128).expect("tokenizer");
    let f = fixture();
    assert!(f.sentences.len() >= 8);
    for s in &f.sentences {
        assert_eq!(tokenizer.encode(&s.text), s.ids, "{:?}", s.text);
    }
}

#[test]
fn the_shipped_graph_gives_the_reference_embedding() {
    let f = fixture();
    let encoder = encoder();
    let mut to_reference = Vec::new();
    for s in &f.sentences {
        let e = encoder.embed(&s.text).expect("embedding");
        assert_eq!(e.len(), 384);
        let norm: f32 = e.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "not normalised: {norm}");
        // The same graph on the same runtime: Rust tokenisation and plumbing add nothing.
        let same = cosine(&e, &s.int8);
        assert!(same > 0.9999, "{:?}: cosine to onnxruntime {same}", s.text);
        to_reference.push(cosine(&e, &s.reference));
    }
    // The int8 projections cost a little (the float graph is at 1.00000, checked by
    // `tools/convert_minilm.py --check`); more would mean a broken graph.
    let min = to_reference.iter().copied().fold(f32::MAX, f32::min);
    let mean = to_reference.iter().sum::<f32>() / to_reference.len() as f32;
    assert!(min > 0.97, "min cosine to the float64 reference {min}");
    assert!(mean > 0.985, "mean cosine to the float64 reference {mean}");
    let model = std::fs::read(root().join("models/encoder/minilm-l6.int8.onnx")).expect("model");
    let digest = sha256_hex(&model);
    assert_eq!(digest, f.model_sha256, "the fixture is of another encoder");
}

#[test]
fn a_replaced_encoder_is_refused_by_name() {
    let models = root().join("models");
    let manifest = Manifest::load(&models.join("intent")).expect("intent manifest");
    let mut spec = manifest.encoder.expect("encoder");
    spec.model_sha256 = "0".repeat(64);
    let lib = voxorder_runtime::paths::ort_lib(&models);
    let err = SentenceEncoder::load(&models, &spec, &lib).expect_err("refused");
    let msg = err.to_string();
    assert!(msg.contains("minilm-l6.int8.onnx"), "{msg}");
    assert!(msg.contains("damaged or was replaced"), "{msg}");
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

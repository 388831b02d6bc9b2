//! `voxorder nlu` through the binary: an answer for every input line, even garbage, and
//! one utterance with and without a catalog. Needs ONNX Runtime in models/lib (fetched by
//! `bash scripts/setup.sh`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
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

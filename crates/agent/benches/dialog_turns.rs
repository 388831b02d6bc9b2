//! Text turn latency: one caller line through NLU, the dialog engine and the SQLite store
//! (changes, outbox, locks and the audit trail written), on the conversation fixture
//! store. Replays a status call and a cancellation again and again and prints p50/p99
//! per turn. This is the text part of the spoken turn latency.
//!
//! Prints a JSON report and writes it to `target/bench/dialog_turns.json`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use voxorder_agent::{Agent, StartOptions};
use voxorder_config::Config;
use voxorder_dialog::Catalog;
use voxorder_domain::clock::{parse_now, Clock};
use voxorder_domain::import::read_order_file;
use voxorder_nlu::classifier::OnnxIntentClassifier;
use voxorder_nlu::knowledge::KnowledgeBase;
use voxorder_nlu::Nlu;
use voxorder_store::demo::{catalog, Rng, DEMO_SEED};
use voxorder_store::documents::default_documents;
use voxorder_store::{OpenMode, Store};

const CALLS: [&[&str]; 2] = [
    &[
        "hi where is my order",
        "1000000000028",
        "zero two one three nine",
        "no thanks",
        "that's all bye",
    ],
    &[
        "I want to cancel order 1000000000011",
        "78701",
        "I found it cheaper somewhere else",
        "yes please",
        "no that's everything",
    ],
];

fn main() -> anyhow::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bench = std::env::args().any(|a| a == "--bench");
    let rounds = if bench { 200 } else { 3 };
    let now = parse_now("2026-03-10T10:00:00").map_err(anyhow::Error::msg)?;
    let dir = tempfile::tempdir()?;
    let models = root.join("models");
    let classifier = OnnxIntentClassifier::load(
        &models.join("intent"),
        &voxorder_runtime::paths::ort_lib(&models),
    )?;
    let catalog_products = catalog(&mut Rng::new(DEMO_SEED));
    let nlu = Nlu::new(
        Box::new(classifier),
        &catalog_products,
        Config::default().nlu.confidence_threshold,
    );
    let locale = Arc::new(Catalog::load("en-US")?);
    let config = Arc::new(Config::default());
    let mut micros = Vec::new();
    for round in 0..rounds {
        for (i, call) in CALLS.iter().enumerate() {
            // A fresh store per cancellation call, so every call does the same work.
            let path = dir.path().join(format!("r{round}-{i}.db"));
            let mut store = Store::open(&path, OpenMode::CreateIfMissing)?;
            store.upsert_products(&catalog_products, now)?;
            store.upsert_documents(&default_documents(), now)?;
            store.upsert_orders(
                &read_order_file(&root.join("tests/data/conversations/orders.json"))?,
                now,
            )?;
            let knowledge = KnowledgeBase::new(&store.documents()?);
            let (mut agent, _) = Agent::start(
                &mut store,
                &nlu,
                &knowledge,
                config.clone(),
                locale.clone(),
                Clock::fixed(now),
                StartOptions {
                    channel: "chat",
                    ..StartOptions::default()
                },
            )?;
            for line in call.iter() {
                let t = Instant::now();
                let turn = agent.say(line)?;
                micros.push(t.elapsed().as_secs_f64() * 1e6);
                anyhow::ensure!(!turn.reply.is_empty(), "empty reply to {line:?}");
            }
            agent.finish()?;
        }
    }
    micros.sort_by(f64::total_cmp);
    let pct = |p: f64| micros[((micros.len() - 1) as f64 * p).round() as usize];
    let report = serde_json::json!({
        "benchmark": "dialog_turns",
        "turns": micros.len(),
        "turn_latency_us": {"p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99), "max": micros.last().copied().unwrap_or(0.0)},
    });
    let text = serde_json::to_string_pretty(&report)?;
    println!("{text}");
    if bench {
        let out = root.join("target/bench");
        std::fs::create_dir_all(&out)?;
        std::fs::write(out.join("dialog_turns.json"), &text)?;
    }
    eprintln!(
        "turn latency p50 {:.0} us, p95 {:.0} us, p99 {:.0} us over {} turns",
        pct(0.5),
        pct(0.95),
        pct(0.99),
        micros.len()
    );
    Ok(())
}

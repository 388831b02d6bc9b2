//! The NLU on its held-out sets: intent accuracy, macro-F1, per-intent precision and
//! recall, confusion matrix, entity exact match per type, latency per utterance
//! (classifier + entities, one thread) as p50/p99, model load time and size.
//! Prints a JSON report and writes it to `target/bench/nlu_heldout.json`.

use std::path::Path;
use std::time::Instant;

use voxorder_domain::clock::parse_now;
use voxorder_nlu::classifier::OnnxIntentClassifier;
use voxorder_nlu::entities::ProductMatcher;
use voxorder_nlu::eval::{read_intents_tsv, score_entities, score_intents};
use voxorder_nlu::Nlu;
use voxorder_runtime::paths;
use voxorder_store::demo::{catalog, Rng, DEMO_SEED};

fn main() -> anyhow::Result<()> {
    let root = &Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let heldout = root.join("assets/nlu/heldout");
    let now = parse_now("2026-03-10T10:00:00").map_err(anyhow::Error::msg)?;
    let models = root.join("models");
    let products = catalog(&mut Rng::new(DEMO_SEED));

    let t = Instant::now();
    let classifier = OnnxIntentClassifier::load(&models.join("intent"), &paths::ort_lib(&models))?;
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    let model_bytes = classifier.model_bytes;
    let threshold = voxorder_config::Config::default().nlu.confidence_threshold;
    let nlu = Nlu::new(Box::new(classifier), &products, threshold);

    let data = read_intents_tsv(&heldout.join("intents.tsv"))?;
    let intents = score_intents(&nlu, &data, now)?;
    let entities = score_entities(
        &heldout.join("entities.jsonl"),
        &ProductMatcher::new(&products),
        now,
    )?;

    // Latency: every held-out utterance, three passes, after a warm-up pass.
    for d in &data {
        nlu.understand(&d.text, now, None)?;
    }
    let mut micros = Vec::with_capacity(data.len() * 3);
    for _ in 0..3 {
        for d in &data {
            let t = Instant::now();
            nlu.understand(&d.text, now, None)?;
            micros.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    micros.sort_by(f64::total_cmp);
    let pct = |p: f64| micros[((micros.len() - 1) as f64 * p).round() as usize];

    let report = serde_json::json!({
        "bench": "nlu_heldout",
        "intent_accuracy": intents.accuracy,
        "intent_macro_f1": intents.macro_f1,
        "utterances": intents.utterances,
        "per_intent": intents.per_intent,
        "confusion": intents.confusion,
        "intent_misses": intents.misses,
        "entity_exact": entities.per_entity,
        "entity_all_exact_rate": entities.all_exact_rate,
        "entity_misses": entities.misses,
        "latency_us": {"p50": pct(0.5), "p99": pct(0.99), "max": micros.last().copied().unwrap_or(0.0), "samples": micros.len()},
        "model_load_ms": load_ms,
        "model_bytes": model_bytes,
    });
    let text = serde_json::to_string_pretty(&report)?;
    println!("{text}");
    // Under `cargo test` (no `--bench`) this is a check that the benchmark runs; only a
    // real benchmark run, in an optimised build, records its figures.
    if std::env::args().any(|a| a == "--bench") {
        let out = root.join("target/bench");
        std::fs::create_dir_all(&out)?;
        std::fs::write(out.join("nlu_heldout.json"), &text)?;
    }
    eprintln!(
        "intent accuracy {:.4}, macro-F1 {:.4}; latency p50 {:.0} us, p99 {:.0} us; load {:.0} ms",
        intents.accuracy,
        intents.macro_f1,
        pct(0.5),
        pct(0.99),
        load_ms
    );
    for (name, s) in &entities.per_entity {
        eprintln!(
            "entity {name:<15} exact {:>3}/{:<3} {:.3}  spurious {}",
            s.exact, s.labelled, s.exact_rate, s.spurious
        );
    }
    Ok(())
}

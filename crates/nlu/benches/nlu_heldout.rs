//! The NLU on its held-out and blind sets: intent accuracy, macro-F1, per-intent
//! precision and recall, confusion matrix, out-of-scope recall and how many out-of-scope
//! requests were taken as an order change, entity exact match per type; latency per
//! utterance as p50/p99 of the sentence encoder alone, of the classifier (features,
//! encoder, head) and of the whole understanding (classifier + entities), on one
//! intra-op thread; model load time, size and the memory loading it added.
//! Prints a JSON report and writes it to `target/bench/nlu_heldout.json`.

use std::path::Path;
use std::time::Instant;

use voxorder_domain::clock::parse_now;
use voxorder_nlu::classifier::{IntentClassifier, OnnxIntentClassifier};
use voxorder_nlu::entities::ProductMatcher;
use voxorder_nlu::eval::{read_intents_tsv, score_entities, score_intents, score_out_of_scope};
use voxorder_nlu::reject::RejectRule;
use voxorder_nlu::Nlu;
use voxorder_runtime::paths;
use voxorder_store::demo::{catalog, Rng, DEMO_SEED};

fn main() -> anyhow::Result<()> {
    let root = &Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let heldout = root.join("assets/nlu/heldout");
    let now = parse_now("2026-03-10T10:00:00").map_err(anyhow::Error::msg)?;
    let models = root.join("models");
    let products = catalog(&mut Rng::new(DEMO_SEED));

    // ONNX Runtime itself is loaded first, so the memory figure is the model's alone.
    voxorder_runtime::onnx::ort_environment(&paths::ort_lib(&models))?;
    let rss_before = rss_kib();
    let t = Instant::now();
    let classifier = OnnxIntentClassifier::load(&models.join("intent"), &paths::ort_lib(&models))?;
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    let model_bytes = classifier.model_bytes;
    let c = voxorder_config::Config::default().nlu;
    let rule = RejectRule {
        min_confidence: c.confidence_threshold,
        change_min_confidence: c.order_change_confidence,
        change_max_reject: c.order_change_max_reject,
    };
    let nlu = Nlu::new(Box::new(classifier), &products, rule);

    let data = read_intents_tsv(&heldout.join("intents.tsv"))?;
    let intents = score_intents(&nlu, &data, now)?;
    let entities = score_entities(
        &heldout.join("entities.jsonl"),
        &ProductMatcher::new(&products),
        now,
    )?;

    let blind = heldout.join("blind");
    let blind_data = read_intents_tsv(&blind.join("intents.tsv"))?;
    let blind_intents = score_intents(&nlu, &blind_data, now)?;
    let blind_oos = score_out_of_scope(
        &nlu,
        &read_intents_tsv(&blind.join("out_of_scope.tsv"))?,
        now,
    )?;
    let blind_entities = score_entities(
        &blind.join("entities.jsonl"),
        &ProductMatcher::new(&products),
        now,
    )?;
    let rss_added_kib = rss_kib().saturating_sub(rss_before);
    // A second copy to time its stages alone (the first is inside `nlu`).
    let nlu_classifier =
        OnnxIntentClassifier::load(&models.join("intent"), &paths::ort_lib(&models))?;

    // Latency: every held-out utterance, three passes, after a warm-up pass.
    let time = |f: &dyn Fn(&str) -> anyhow::Result<()>| -> anyhow::Result<Percentiles> {
        for d in &data {
            f(&d.text)?;
        }
        let mut micros = Vec::with_capacity(data.len() * 3);
        for _ in 0..3 {
            for d in &data {
                let t = Instant::now();
                f(&d.text)?;
                micros.push(t.elapsed().as_secs_f64() * 1e6);
            }
        }
        Ok(Percentiles::of(micros))
    };
    let encoder = time(&|t| {
        nlu_classifier.encoder().embed(t)?;
        Ok(())
    })?;
    let classifier_us = time(&|t| {
        nlu_classifier.classify(t)?;
        Ok(())
    })?;
    let whole = time(&|t| {
        nlu.understand(t, now, None)?;
        Ok(())
    })?;
    let pct = |p: f64| whole.at(p);

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
        "blind": {
            "intent_accuracy": blind_intents.accuracy,
            "intent_macro_f1": blind_intents.macro_f1,
            "utterances": blind_intents.utterances,
            "intent_misses": blind_intents.misses,
            "out_of_scope": blind_oos,
            "entity_exact": blind_entities.per_entity,
            "entity_misses": blind_entities.misses,
        },
        "latency_us": whole.json(),
        "encoder_latency_us": encoder.json(),
        "classifier_latency_us": classifier_us.json(),
        "model_load_ms": load_ms,
        "model_bytes": model_bytes,
        "rss_added_kib": rss_added_kib,
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
    eprintln!(
        "blind: intent accuracy {:.4}; out-of-scope recall {:.4}, {} ({:.4}) taken as an order change",
        blind_intents.accuracy, blind_oos.recall, blind_oos.as_order_change, blind_oos.as_order_change_rate
    );
    eprintln!(
        "encoder p50 {:.0} us p99 {:.0} us; classifier p50 {:.0} us p99 {:.0} us; model {} bytes, {} KiB resident",
        encoder.at(0.5), encoder.at(0.99), classifier_us.at(0.5), classifier_us.at(0.99), model_bytes, rss_added_kib
    );
    for (name, s) in &entities.per_entity {
        eprintln!(
            "entity {name:<15} exact {:>3}/{:<3} {:.3}  spurious {}",
            s.exact, s.labelled, s.exact_rate, s.spurious
        );
    }
    Ok(())
}

/// Latencies in microseconds, sorted.
struct Percentiles(Vec<f64>);

impl Percentiles {
    fn of(mut micros: Vec<f64>) -> Percentiles {
        micros.sort_by(f64::total_cmp);
        Percentiles(micros)
    }

    fn at(&self, p: f64) -> f64 {
        self.0[((self.0.len() - 1) as f64 * p).round() as usize]
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "p50": self.at(0.5),
            "p99": self.at(0.99),
            "max": self.0.last().copied().unwrap_or(0.0),
            "samples": self.0.len(),
        })
    }
}

/// Resident memory of this process (Linux), in KiB; 0 where it cannot be read.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

//! The NLU on its held-out sets: intent accuracy, macro-F1, per-intent precision and
//! recall, confusion matrix, entity exact match per type, out-of-scope recall and the
//! share taken for an order change, latency per utterance (the whole of understanding,
//! and the sentence encoder alone, one thread) as p50/p99, the encoder's cost fixed and
//! per token, model load time, size and the resident memory loading it added.
//! Prints a JSON report and writes it to `target/bench/nlu_heldout.json`.

use std::path::Path;
use std::time::Instant;

use voxorder_domain::clock::parse_now;
use voxorder_nlu::classifier::OnnxIntentClassifier;
use voxorder_nlu::entities::ProductMatcher;
use voxorder_nlu::eval::{read_intents_tsv, score_entities, score_intents, score_out_of_scope};
use voxorder_nlu::Nlu;
use voxorder_runtime::paths;
use voxorder_store::demo::{catalog, Rng, DEMO_SEED};

fn main() -> anyhow::Result<()> {
    let root = &Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let heldout = root.join("assets/nlu/heldout");
    let now = parse_now("2026-03-10T10:00:00").map_err(anyhow::Error::msg)?;
    let models = root.join("models");
    let products = catalog(&mut Rng::new(DEMO_SEED));

    // ONNX Runtime itself first, so the resident memory measured below is the model's.
    voxorder_runtime::onnx::ort_environment(&paths::ort_lib(&models))?;
    let rss_before = rss_kib();
    let t = Instant::now();
    let classifier = OnnxIntentClassifier::load(&models.join("intent"), &paths::ort_lib(&models))?;
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    let model_bytes = classifier.model_bytes;
    let data = read_intents_tsv(&heldout.join("intents.tsv"))?;
    // The encoder alone, on every held-out utterance, three passes after a warm-up pass,
    // with each utterance's token count: its time grows with the tokens, so the p99 is
    // that of the longest utterances, and the fit below says what a token costs.
    let mut encoder_us = Vec::new();
    let mut encoder_tokens = Vec::new();
    if let Some(encoder) = classifier.encoder() {
        for d in &data {
            encoder.embed(&d.text)?;
        }
        for _ in 0..3 {
            for d in &data {
                let t = Instant::now();
                encoder.embed(&d.text)?;
                encoder_us.push(t.elapsed().as_secs_f64() * 1e6);
                encoder_tokens.push(encoder.tokenizer().encode(&d.text).len() as f64);
            }
        }
    }
    let (fixed_us, per_token_us) = least_squares(&encoder_tokens, &encoder_us);
    let rss_added_kib = rss_kib().saturating_sub(rss_before);
    let threshold = voxorder_config::Config::default().nlu.confidence_threshold;
    let nlu = Nlu::new(Box::new(classifier), &products, threshold);

    let intents = score_intents(&nlu, &data, now)?;
    let out_of_scope = score_out_of_scope(&nlu, &heldout.join("out_of_scope.txt"), now)?;
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
    let pct = |v: &mut Vec<f64>, p: f64| {
        v.sort_by(f64::total_cmp);
        v.get(((v.len().max(1) - 1) as f64 * p).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    let (p50, p99) = (pct(&mut micros, 0.5), pct(&mut micros, 0.99));
    let (enc50, enc99) = (pct(&mut encoder_us, 0.5), pct(&mut encoder_us, 0.99));
    let (tok50, tok99) = (
        pct(&mut encoder_tokens, 0.5),
        pct(&mut encoder_tokens, 0.99),
    );

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
        "out_of_scope": out_of_scope,
        "latency_us": {"p50": p50, "p99": p99, "max": micros.last().copied().unwrap_or(0.0), "samples": micros.len()},
        "encoder_latency_us": {"p50": enc50, "p99": enc99, "samples": encoder_us.len(),
            "fixed": fixed_us, "per_token": per_token_us},
        "encoder_tokens": {"p50": tok50, "p99": tok99},
        "model_load_ms": load_ms,
        "model_bytes": model_bytes,
        "model_rss_added_kib": rss_added_kib,
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
        "intent accuracy {:.4}, macro-F1 {:.4}; out-of-scope recall {:.3}, taken as an order change {:.3}",
        intents.accuracy, intents.macro_f1, out_of_scope.recall, out_of_scope.as_order_change
    );
    eprintln!(
        "latency p50 {p50:.0} us, p99 {p99:.0} us (encoder alone p50 {enc50:.0} us, p99 {enc99:.0} us); \
         load {load_ms:.0} ms, {:.1} MB on disk, {:.1} MB resident added",
        model_bytes as f64 / 1e6,
        rss_added_kib as f64 / 1024.0
    );
    eprintln!(
        "encoder: {fixed_us:.0} us + {per_token_us:.0} us a token (least squares); \
         tokens p50 {tok50:.0}, p99 {tok99:.0}"
    );
    for (name, s) in &entities.per_entity {
        eprintln!(
            "entity {name:<15} exact {:>3}/{:<3} {:.3}  spurious {}",
            s.exact, s.labelled, s.exact_rate, s.spurious
        );
    }
    Ok(())
}

/// The line `y = a + b x` nearest the points in least squares, as `(a, b)`.
fn least_squares(x: &[f64], y: &[f64]) -> (f64, f64) {
    let n = x.len().max(1) as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = x.iter().map(|x| (x - mx) * (x - mx)).sum();
    let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (my - b * mx, b)
}

/// Resident memory of this process (`VmRSS`), in KiB; 0 where /proc is not there.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

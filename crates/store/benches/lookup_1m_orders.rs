//! Fills a store with 1,000,000 orders (the demo generator at scale), then measures
//! look-up by order number and by phone: p50/p99 latency, import time, size on disk.
//! Prints one JSON object and writes it to `target/bench/lookup_1m_orders.json`.
//!
//! `VOXORDER_BENCH_ORDERS` changes the store size (e.g. 10000 for a quick run); under
//! `cargo test` it runs on 2,000 orders as a smoke test.

use std::time::Instant;

use chrono::NaiveDate;
use voxorder_store::demo::{generate, Rng};
use voxorder_store::{OpenMode, Store};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn summarise(mut micros: Vec<f64>) -> serde_json::Value {
    micros.sort_by(f64::total_cmp);
    serde_json::json!({
        "samples": micros.len(),
        "p50_us": percentile(&micros, 0.50),
        "p99_us": percentile(&micros, 0.99),
        "max_us": micros.last().copied().unwrap_or(0.0),
    })
}

fn main() {
    // `cargo test --all-targets` runs this without `--bench`: a small smoke run then
    // proves the benchmark works without spending minutes on it.
    let full = std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::var("VOXORDER_BENCH_ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 1_000_000 } else { 2_000 });
    let anchor = NaiveDate::from_ymd_opt(2026, 3, 10).expect("valid date");
    let now = anchor.and_hms_opt(10, 0, 0).expect("valid time");

    let t = Instant::now();
    let data = generate(anchor, n, 42);
    let generate_s = t.elapsed().as_secs_f64();

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.db");
    let mut store = Store::open(&path, OpenMode::CreateIfMissing).expect("open store");
    let t = Instant::now();
    let summary = store.upsert_orders(&data.orders, now).expect("import");
    let import_s = t.elapsed().as_secs_f64();
    assert_eq!(summary.inserted, n);
    store.checkpoint().expect("checkpoint");
    let size = store.size_on_disk();
    drop(store);

    // Look-ups on a freshly opened store, as a device would after a restart.
    let store = Store::open(&path, OpenMode::Existing).expect("reopen");
    let mut rng = Rng::new(7);
    let samples = 20_000.min(n * 2);
    let mut by_number = Vec::with_capacity(samples);
    let mut by_phone = Vec::with_capacity(samples);
    let mut found_phone_orders = 0usize;
    for _ in 0..samples {
        let o = rng.pick(&data.orders);
        let t = Instant::now();
        let got = store.order(&o.order_number).expect("lookup");
        by_number.push(t.elapsed().as_secs_f64() * 1e6);
        assert!(got.is_some());

        let phone = o
            .customer
            .phone
            .as_deref()
            .expect("generated orders have phones");
        let t = Instant::now();
        let list = store.orders_by_phone(phone).expect("lookup");
        by_phone.push(t.elapsed().as_secs_f64() * 1e6);
        found_phone_orders += list.len();
    }
    let miss = Instant::now();
    assert!(store.order("0000000000000").expect("lookup").is_none());
    let miss_us = miss.elapsed().as_secs_f64() * 1e6;

    let report = serde_json::json!({
        "bench": "lookup_1m_orders",
        "orders": n,
        "generate_s": generate_s,
        "import_s": import_s,
        "import_orders_per_s": n as f64 / import_s,
        "size_on_disk_bytes": size,
        "size_on_disk_mb": size as f64 / 1e6,
        "lookup_by_order_number": summarise(by_number),
        "lookup_by_phone": summarise(by_phone),
        "mean_orders_per_phone": found_phone_orders as f64 / samples as f64,
        "lookup_missing_order_us": miss_us,
        "machine": format!("{} cores, {}", std::thread::available_parallelism().map_or(0, |n| n.get()), std::env::consts::ARCH),
    });
    let text = serde_json::to_string_pretty(&report).expect("json");
    println!("{text}");
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    if full && std::fs::create_dir_all(&out).is_ok() {
        let _ = std::fs::write(out.join("lookup_1m_orders.json"), text);
    }
}

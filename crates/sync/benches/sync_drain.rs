//! Sync throughput on loopback against the reference OMS (in-process server, real
//! HTTP): draining 10,000 queued commands after a reconnect, and pulling 100,000
//! orders into an empty device store. Prints one JSON object.
//!
//! `cargo bench -p voxorder-sync --bench sync_drain` (sizes: SYNC_BENCH_COMMANDS, SYNC_BENCH_ORDERS).

use std::time::{Duration, Instant};

use serde_json::json;

use voxorder_config::{PolicyConfig, SyncConfig, TimeSlot};
use voxorder_domain::change::Change;
use voxorder_domain::clock::Clock;
use voxorder_domain::order::{Order, OrderRecord};
use voxorder_hub::db::{OmsDb, Seed};
use voxorder_hub::{bind, Devices, Limits, ServeOptions};
use voxorder_store::{OpenMode, Store};
use voxorder_sync::{HttpOmsClient, HttpSettings, SyncReport, Syncer};

const TOKEN: &str = "bench-token-0123456789abcdef";
/// Every order's shop and the kiosk's scope, so the feed goes through the scope filter.
const STORE: &str = "bench-store";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn orders(n: usize) -> Vec<Order> {
    (0..n)
        .map(|i| {
            let rec: OrderRecord = serde_json::from_value(json!({
                "order_number": format!("{}", 7_000_000_000_000u64 + i as u64),
                "status": "processing", "order_date": "2026-03-01", "store": STORE,
                "customer": {"name": format!("Customer {i}"),
                             "email": format!("c{}@example.com", i % 20_000),
                             "phone": format!("512555{:04}", i % 10_000), "billing_zip": "78701"},
                "items": [{"sku": "TEE-NAVY-M", "name": "Classic Tee - Navy, Size M", "qty": 2,
                           "price": 29.99, "category": "apparel"},
                          {"sku": "MUG-1", "name": "Mug", "qty": 1, "price": 12.5}],
                "subtotal": 72.48, "total": 72.48,
                "payment": {"method": "card", "brand": "Visa", "last4": "4242"},
                "shipping_address": {"line1": "1 Main St", "city": "Austin", "state": "TX",
                                     "zip": "78701"},
                "carrier": "UPS", "tracking_number": "1Z999AA10123456784",
                "estimated_delivery": "2026-03-08"
            }))
            .expect("record");
            rec.validate().expect("valid")
        })
        .collect()
}

fn main() {
    // `cargo test --benches` runs this without `--bench`: a small smoke run then.
    let full = std::env::args().any(|a| a == "--bench");
    let commands = env_usize("SYNC_BENCH_COMMANDS", if full { 10_000 } else { 200 });
    let pulled = env_usize("SYNC_BENCH_ORDERS", if full { 100_000 } else { 2_000 });
    let dir = tempfile::tempdir().expect("tempdir");
    let now = chrono::Local::now().naive_local();
    let oms_db = dir.path().join("oms.db");

    // Seed both sides (not measured).
    let all = orders(pulled.max(commands));
    OmsDb::open(&oms_db)
        .and_then(|mut db| {
            db.import(&Seed {
                orders: all.clone(),
                ..Seed::default()
            })
        })
        .expect("seed oms");
    let drain_db = dir.path().join("drain.db");
    let mut device = Store::open(&drain_db, OpenMode::CreateIfMissing).expect("device");
    device
        .upsert_orders(&all[..commands], now)
        .expect("device orders");
    let changes: Vec<Change> = all[..commands]
        .iter()
        .map(|o| Change::RescheduleDelivery {
            order_number: o.order_number.clone(),
            date: now.date() + chrono::Duration::days(5),
            slot: Some(TimeSlot::Morning),
        })
        .collect();
    device.apply_changes(&changes, now).expect("queue");
    drop(device);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let result = rt.block_on(async {
        let bound = bind(ServeOptions {
            listen: "127.0.0.1:0".parse().expect("addr"),
            database: voxorder_hub::Database::Sqlite(oms_db.clone()),
            pool_size: 1,
            devices: Devices::from_entries([(
                "bench",
                TOKEN,
                format!("store:{STORE}").parse().expect("scope"),
            )]),
            tls: None,
            limits: Limits::default(),
            policy: PolicyConfig::default(),
            clock: Clock::fixed(now),
        })
        .await
        .expect("bind");
        let url = format!("http://{}", bound.addr);
        tokio::spawn(bound.run());
        let client = || {
            HttpOmsClient::new(&HttpSettings {
                base_url: url.clone(),
                token: TOKEN.into(),
                connect_timeout: Duration::from_secs(2),
                request_timeout: Duration::from_secs(60),
                max_response_bytes: 64 << 20,
                ca_pem: None,
            })
            .expect("client")
        };
        let cfg = SyncConfig::default();

        let syncer =
            Syncer::open(client(), &drain_db, cfg.clone(), Clock::system()).expect("syncer");
        let mut drain = SyncReport::default();
        let t = Instant::now();
        syncer.push(true, &mut drain).await.expect("drain");
        let drain_s = t.elapsed().as_secs_f64();
        assert_eq!(drain.applied as usize, commands);

        let pull_db = dir.path().join("pull.db");
        drop(Store::open(&pull_db, OpenMode::CreateIfMissing).expect("empty device"));
        let syncer =
            Syncer::open(client(), &pull_db, cfg.clone(), Clock::system()).expect("syncer");
        let mut pull = SyncReport::default();
        let t = Instant::now();
        syncer.pull(&mut pull).await.expect("pull");
        let pull_s = t.elapsed().as_secs_f64();
        assert_eq!(pull.orders_pulled as usize, pulled.max(commands));
        json!({
            "bench": "sync_drain",
            "drain_commands": commands,
            "drain_batch_size": cfg.push_batch_size,
            "drain_seconds": (drain_s * 1000.0).round() / 1000.0,
            "drain_commands_per_second": (commands as f64 / drain_s).round(),
            "pull_orders": pull.orders_pulled,
            "pull_page_size": cfg.pull_page_size,
            "pull_pages": pull.pages,
            "pull_seconds": (pull_s * 1000.0).round() / 1000.0,
            "pull_orders_per_second": (pull.orders_pulled as f64 / pull_s).round(),
        })
    });
    println!("{result}");
}

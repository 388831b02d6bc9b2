//! The PostgreSQL engine against a real, throwaway cluster (`voxorder-pgtemp`):
//! migrations, the feed's order when several hub processes write at once, idempotency
//! across processes, the device registry and scope. Each "process" is a pool of its own
//! (`PgHub::connect`), as two `oms serve` processes would hold. With
//! `VOXORDER_PG_TESTS=1` a machine without PostgreSQL fails these tests.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use voxorder_config::PolicyConfig;
use voxorder_domain::change::Change;
use voxorder_domain::order::{Order, OrderRecord};
use voxorder_domain::vocab::CancelReason;
use voxorder_domain::wire::{CommandIn, CommandOutcome};
use voxorder_hub::db::{BatchOutcome, OmsDbError, OrderRead, Revocation, Seed, TokenLookup};
use voxorder_hub::devices::token_hash;
use voxorder_hub::pg::{migrate, PgHub, PgTarget};
use voxorder_hub::{Database, RegistryError, Scope};

fn now() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 3, 10)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("time")
}

fn order(number: &str, store: &str, email: &str) -> Order {
    serde_json::from_value::<OrderRecord>(json!({
        "order_number": number, "status": "processing", "order_date": "2026-03-01",
        "store": store, "customer": {"name": "Ada Park", "email": email},
        "items": [{"sku": "TEE", "name": "Tee", "qty": 1, "price": 10.0}],
        "subtotal": 10.0, "total": 10.0, "payment": {"method": "card"}
    }))
    .expect("record")
    .validate()
    .expect("valid")
}

fn cancel(key: &str, number: &str, reason: CancelReason) -> CommandIn {
    let change = Change::CancelOrder {
        order_number: number.into(),
        reason,
    };
    CommandIn {
        idempotency_key: key.into(),
        kind: change.kind().into(),
        order_number: Some(number.into()),
        base_version: None,
        payload: serde_json::value::to_raw_value(&change).expect("json"),
        created_at: "2026-03-10T09:00:00".into(),
    }
}

fn scope(text: &str) -> Scope {
    text.parse().expect("scope")
}

/// A migrated database on a new cluster, or `None` (printed) when PostgreSQL is absent.
fn database(test: &str) -> Option<(voxorder_pgtemp::Cluster, PgTarget)> {
    let cluster = voxorder_pgtemp::for_tests(test)?;
    let url = cluster.fresh_database().expect("createdb");
    let target = PgTarget::parse(&url).expect("url");
    migrate(&target).expect("migrate");
    Some((cluster, target))
}

#[test]
fn migrations_are_versioned_and_a_hub_refuses_a_database_not_migrated() {
    let Some(cluster) = voxorder_pgtemp::for_tests("migrations") else {
        return;
    };
    let target = PgTarget::parse(&cluster.fresh_database().expect("createdb")).expect("url");
    match PgHub::connect(&target, 2) {
        Err(e @ OmsDbError::SchemaBehind { found: 0, .. }) => {
            assert!(e.is_misconfigured());
            assert!(e.to_string().contains("oms migrate"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    let db = Database::Postgres(Box::new(target.clone()));
    let first = db.migrate().expect("migrate");
    assert_eq!((first.engine, first.from, first.to), ("postgres", 0, 1));
    let again = db.migrate().expect("migrate again");
    assert_eq!((again.from, again.to), (1, 1));
    let hub = PgHub::connect(&target, 2).expect("migrated");
    // Its statements are planned once per connection.
    assert_eq!(
        hub.setting("plan_cache_mode").expect("setting"),
        "force_generic_plan"
    );
    // A password in the URL is never shown.
    let secret = PgTarget::parse(&format!(
        "postgres://postgres:hunter2-secret@127.0.0.1:{}/x",
        cluster.port()
    ))
    .expect("url");
    assert!(!format!("{secret} {secret:?}").contains("hunter2"));
}

/// Four writers in four "processes" add orders one transaction at a time while a
/// reader follows the feed with a small page: the reader's cursor never passes a row
/// that commits later, so it sees every order once, in increasing sequence.
#[test]
fn the_feed_has_no_gap_that_fills_later_when_several_processes_commit_at_once() {
    let Some((_cluster, target)) = database("feed order") else {
        return;
    };
    const WRITERS: usize = 4;
    const EACH: usize = 150;
    let done = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let target = target.clone();
            std::thread::spawn(move || {
                let hub = PgHub::connect(&target, 2).expect("pool");
                for i in 0..EACH {
                    let number = format!("{}", 8_000_000_000_000u64 + (w * EACH + i) as u64);
                    hub.import(&Seed {
                        orders: vec![order(&number, &format!("s{w}"), "x@example.com")],
                        ..Seed::default()
                    })
                    .expect("import");
                }
            })
        })
        .collect();
    let reader = {
        let target = target.clone();
        let done = done.clone();
        std::thread::spawn(move || {
            let hub = PgHub::connect(&target, 1).expect("pool");
            let everything = Scope::everything();
            let mut cursor = 0i64;
            let mut seen: Vec<(i64, String)> = Vec::new();
            let mut pages = 0;
            loop {
                let finished = done.load(Ordering::SeqCst);
                let page = hub.changes(cursor, 7, &everything).expect("changes");
                pages += 1;
                for row in &page.rows {
                    assert!(row.seq > cursor, "row {} at or before the cursor", row.seq);
                    seen.push((row.seq, row.id.clone()));
                }
                cursor = page.next_seq;
                if finished && !page.has_more {
                    return (seen, pages);
                }
            }
        })
    };
    for w in writers {
        w.join().expect("writer");
    }
    done.store(true, Ordering::SeqCst);
    let (seen, pages) = reader.join().expect("reader");
    println!("feed order: {} rows in {pages} pages", seen.len());
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "out of order");
    let ids: HashSet<&str> = seen.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(seen.len(), WRITERS * EACH, "a row was missed or seen twice");
    assert_eq!(ids.len(), WRITERS * EACH);
}

/// The same key sent by one device to two hub processes at once is applied once; the
/// key with another body is a conflict, whichever process sees it.
#[test]
fn a_key_is_applied_once_across_processes_and_another_body_under_it_is_refused() {
    let Some((_cluster, target)) = database("idempotency") else {
        return;
    };
    let seed = PgHub::connect(&target, 1).expect("pool");
    seed.import(&Seed {
        orders: (0..20)
            .map(|i| {
                order(
                    &format!("{}", 9_000_000_000_000u64 + i),
                    "austin-1",
                    "a@example.com",
                )
            })
            .collect(),
        ..Seed::default()
    })
    .expect("seed");
    let kiosk = scope("store:austin-1");
    let policy = PolicyConfig::default();
    // Eight threads over two pools send the same twenty commands concurrently.
    let hubs = [
        Arc::new(PgHub::connect(&target, 4).expect("hub a")),
        Arc::new(PgHub::connect(&target, 4).expect("hub b")),
    ];
    let batch = || -> Vec<CommandIn> {
        (0..20)
            .map(|i| {
                cancel(
                    &format!("k{i}"),
                    &format!("{}", 9_000_000_000_000u64 + i),
                    CancelReason::ChangedMind,
                )
            })
            .collect()
    };
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let hub = hubs[t % 2].clone();
            let (kiosk, policy, batch) = (kiosk.clone(), policy.clone(), batch());
            std::thread::spawn(move || {
                match hub
                    .apply_batch("kiosk-1", &kiosk, &batch, &policy, now())
                    .expect("apply")
                {
                    BatchOutcome::Applied(results) => results,
                    other => panic!("{other:?}"),
                }
            })
        })
        .collect();
    let mut outcomes: BTreeMap<String, Vec<CommandOutcome>> = BTreeMap::new();
    for t in threads {
        for r in t.join().expect("thread") {
            outcomes
                .entry(r.idempotency_key)
                .or_default()
                .push(r.outcome);
        }
    }
    for (key, seen) in &outcomes {
        let applied = seen
            .iter()
            .filter(|o| **o == CommandOutcome::Applied)
            .count();
        assert_eq!(applied, 1, "{key}: {seen:?}");
        assert_eq!(seen.len(), 8);
    }
    let stats = seed.stats().expect("stats");
    assert_eq!(
        (stats.commands_applied, stats.duplicates_answered),
        (20, 140)
    );
    // Each order's version moved once.
    for i in 0..20u64 {
        let body = seed
            .order_json(&format!("{}", 9_000_000_000_000u64 + i))
            .expect("read")
            .expect("order");
        let rec: OrderRecord = serde_json::from_str(&body).expect("json");
        assert_eq!((rec.status.as_str(), rec.version), ("cancelled", Some(1)));
    }
    // Another body under a used key: refused whole, by the other process too.
    let other = cancel("k3", "9000000000003", CancelReason::FoundCheaper);
    for hub in &hubs {
        match hub
            .apply_batch(
                "kiosk-1",
                &kiosk,
                std::slice::from_ref(&other),
                &policy,
                now(),
            )
            .expect("apply")
        {
            BatchOutcome::KeyReused(keys) => assert_eq!(keys, ["k3"]),
            other => panic!("{other:?}"),
        }
    }
}

/// Enrolment, scope and revocation in the database: what one process enrols or revokes
/// holds in the other at its next look-up.
#[test]
fn the_registry_and_scopes_live_in_the_database_and_revocation_is_immediate() {
    let Some((cluster, target)) = database("registry") else {
        return;
    };
    let a = PgHub::connect(&target, 2).expect("hub a");
    let b = PgHub::connect(&target, 2).expect("hub b");
    a.import(&Seed {
        orders: vec![
            order("7100000000011", "austin-1", "bo@example.com"),
            order("7200000000018", "dallas-2", "ada@example.com"),
        ],
        ..Seed::default()
    })
    .expect("seed");
    let kiosk = token_hash("kiosk-token-0123456789");
    assert_eq!(a.active_devices().expect("count"), 0);
    a.enroll_device("kiosk-1", &kiosk, &scope("store:austin-1"), now())
        .expect("enrol");
    let device = match b.device_for_token(&kiosk).expect("lookup") {
        TokenLookup::Active(d) => d,
        other => panic!("{other:?}"),
    };
    assert_eq!(device.id, "kiosk-1");
    assert_eq!(
        b.order_in_scope("7200000000018", &device.scope)
            .expect("read"),
        OrderRead::OutOfScope
    );
    assert!(matches!(
        b.order_in_scope("7100000000011", &device.scope)
            .expect("read"),
        OrderRead::Found(_)
    ));
    let feed = b.changes(0, 100, &device.scope).expect("feed");
    let ids: Vec<&str> = feed.rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["7100000000011"]);
    let speaker = scope("customer:ada@example.com");
    let page = b.order_page("", 100, &speaker).expect("page");
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].order_number, "7200000000018");
    // A command about another store's order is refused whole.
    match b
        .apply_batch(
            "kiosk-1",
            &device.scope,
            &[cancel("x", "7200000000018", CancelReason::ChangedMind)],
            &PolicyConfig::default(),
            now(),
        )
        .expect("apply")
    {
        BatchOutcome::OutOfScope(keys) => assert_eq!(keys, ["x"]),
        other => panic!("{other:?}"),
    }

    assert!(matches!(
        b.enroll_device(
            "kiosk-1",
            &token_hash("other-0123456789abcdef"),
            &scope("store:a"),
            now()
        ),
        Err(RegistryError::IdTaken { revoked: false, .. })
    ));
    assert!(matches!(
        b.enroll_device("kiosk-2", &kiosk, &scope("store:a"), now()),
        Err(RegistryError::TokenTaken)
    ));
    assert_eq!(
        b.revoke_device("kiosk-1", now()).expect("revoke"),
        Revocation::Revoked {
            at: "2026-03-10T10:00:00Z".into()
        }
    );
    assert_eq!(
        a.device_for_token(&kiosk).expect("lookup"),
        TokenLookup::Revoked
    );
    assert!(matches!(
        a.revoke_device("kiosk-1", now()),
        Ok(Revocation::AlreadyRevoked { .. })
    ));
    assert!(matches!(
        a.revoke_device("kiosk-404", now()),
        Err(RegistryError::Unknown { .. })
    ));
    let listed = a.devices().expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].scope, "store:austin-1");
    assert!(listed[0].revoked_at.is_some());
    assert_eq!(a.active_devices().expect("count"), 0);
    // A stopped database is an error to retry, never a device let in.
    drop(cluster);
    std::thread::sleep(Duration::from_millis(100));
    assert!(a.device_for_token(&kiosk).is_err());
}

//! Device ⇄ OMS sync under faults, over real HTTP on loopback: the reference server as
//! a `voxorder oms serve` process, the device as `voxorder sync` processes or an
//! in-process `Syncer`, and a fault-injecting TCP proxy where a fault needs control.
//!
//! Every scenario that talks to a hub runs on both of its engines: the SQLite file, and
//! PostgreSQL in a throwaway cluster (`voxorder-pgtemp`; the `_on_postgres` tests, which
//! with `VOXORDER_PG_TESTS=1` fail on a machine without it). On PostgreSQL two hub
//! processes also share the database, and one is killed mid-upload.
//!
//! After each fault: every change the device made is known to the OMS exactly once
//! (applied or rejected as the device recorded it; versions count each applied change
//! once), none is lost, and device and OMS hold the same orders. Every test is bounded
//! by deadlines and kills its processes on drop; each prints its counts.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use voxorder_config::{SyncConfig, TimeSlot};
use voxorder_domain::change::Change;
use voxorder_domain::clock::Clock;
use voxorder_domain::order::{Order, OrderRecord};
use voxorder_domain::vocab::CancelReason;
use voxorder_hub::db::Seed;
use voxorder_hub::{Database, HubStore};
use voxorder_store::{OpenMode, Store};
use voxorder_sync::{HttpOmsClient, HttpSettings, OmsClient, SyncError, SyncReport, Syncer};

mod common;
use common::Proc;

const TOKEN: &str = "device-token-0123456789abcdef";
/// The shop every order of a run belongs to, and the kiosk's scope.
const STORE: &str = "austin-1";
/// Orders in a fault run; each gets a reschedule, every fourth also a cancel: 1,000
/// changes. Every eighth order ships on the OMS before the device uploads, so its
/// cancel is rejected and rolled back.
const ORDERS: usize = 800;
const DEADLINE: Duration = Duration::from_secs(45);

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_voxorder")
}

fn order_number(i: usize) -> String {
    format!("{}", 5_000_000_000_000u64 + i as u64)
}

fn record(i: usize, status: &str) -> serde_json::Value {
    json!({
        "order_number": order_number(i), "status": status, "order_date": "2026-03-01",
        "store": STORE, "customer": {"name": format!("Customer {i}"), "email": format!("c{i}@example.com"),
                     "billing_zip": "78701"},
        "items": [{"sku": "TEE-NAVY-M", "name": "Classic Tee", "qty": 2, "price": 29.99}],
        "subtotal": 59.98, "total": 59.98, "payment": {"method": "card", "last4": "4242"},
        "shipping_address": {"line1": "1 Main St", "city": "Austin", "zip": "78701"}
    })
}

fn orders(n: usize, shipped: impl Fn(usize) -> bool) -> Vec<Order> {
    (0..n)
        .map(|i| {
            let status = if shipped(i) { "shipped" } else { "processing" };
            serde_json::from_value::<OrderRecord>(record(i, status))
                .expect("record")
                .validate()
                .expect("valid")
        })
        .collect()
}

fn ships_meanwhile(i: usize) -> bool {
    i.is_multiple_of(8)
}

/// A device store and an OMS store holding the same orders, with the device's changes
/// queued, and the OMS having shipped some orders since.
struct Env {
    _dir: tempfile::TempDir,
    /// The hub's store as `--database` names it: a SQLite path or a PostgreSQL URL.
    database: String,
    dev_db: PathBuf,
    tokens: PathBuf,
    config: PathBuf,
    orders: usize,
    /// Declared last: the cluster stops after everything else is dropped.
    _cluster: Option<voxorder_pgtemp::Cluster>,
}

/// Which engine the hub stores its data in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    Sqlite,
    Postgres,
}

impl Env {
    fn oms(&self) -> Box<dyn HubStore> {
        Database::parse(&self.database)
            .and_then(|db| db.open(2))
            .expect("oms store")
    }
}

fn now() -> chrono::NaiveDateTime {
    chrono::Local::now().naive_local()
}

/// Runs `f` on a thread of its own: PostgreSQL's blocking client cannot run on a thread
/// that drives a Tokio runtime, as the async scenarios' threads do.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().expect("setup or check thread"))
}

/// A device and a hub with `n` orders on `engine`; `None` (said why) when PostgreSQL
/// cannot run here and is not required.
fn setup(engine: Engine, n: usize) -> Option<Env> {
    off_runtime(|| setup_here(engine, n))
}

fn setup_here(engine: Engine, n: usize) -> Option<Env> {
    let dir = tempfile::tempdir().expect("tempdir");
    let (database, cluster) = match engine {
        Engine::Sqlite => (dir.path().join("oms.db").display().to_string(), None),
        Engine::Postgres => {
            let cluster = voxorder_pgtemp::for_tests("sync faults")?;
            let url = cluster.fresh_database().expect("createdb");
            Database::parse(&url)
                .and_then(|db| db.migrate())
                .expect("migrate");
            (url, Some(cluster))
        }
    };
    let dev_db = dir.path().join("device.db");
    let tokens = dir.path().join("tokens");
    std::fs::write(&tokens, format!("kiosk-1 {TOKEN} store:{STORE}\n")).expect("tokens");
    let config = dir.path().join("device.toml");
    std::fs::write(
        &config,
        "[sync]\npush_batch_size = 25\npull_page_size = 200\nrequest_timeout_ms = 2000\n\
         connect_timeout_ms = 500\nbackoff_base_ms = 10\nbackoff_max_seconds = 1\n\
         max_attempts = 1000\ninterval_seconds = 1\n",
    )
    .expect("config");

    let mut device = Store::open(&dev_db, OpenMode::CreateIfMissing).expect("device store");
    device
        .upsert_orders(&orders(n, |_| false), now())
        .expect("device import");
    let mut changes = Vec::new();
    for i in 0..n {
        changes.push(Change::RescheduleDelivery {
            order_number: order_number(i),
            // Within the OMS's reschedule window by its own clock.
            date: now().date() + chrono::Duration::days(5),
            slot: Some(TimeSlot::Afternoon),
        });
        if i.is_multiple_of(4) {
            changes.push(Change::CancelOrder {
                order_number: order_number(i),
                reason: CancelReason::FoundCheaper,
            });
        }
    }
    device.apply_changes(&changes, now()).expect("changes");
    drop(device);

    let oms = Database::parse(&database)
        .and_then(|db| db.open(2))
        .expect("oms store");
    oms.import(&Seed {
        orders: orders(n, |_| false),
        ..Seed::default()
    })
    .expect("oms import");
    // Meanwhile the warehouse ships some of them: a new version in the feed.
    oms.import(&Seed {
        orders: orders(n, ships_meanwhile)
            .into_iter()
            .enumerate()
            .filter(|(i, _)| ships_meanwhile(*i))
            .map(|(_, o)| o)
            .collect(),
        ..Seed::default()
    })
    .expect("ship");
    drop(oms);
    Some(Env {
        _dir: dir,
        database,
        dev_db,
        tokens,
        config,
        orders: n,
        _cluster: cluster,
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port()
}

/// Starts `voxorder oms serve` and waits for its `listening on URL` line.
fn start_server(env: &Env, port: u16) -> (Proc, String) {
    start_server_with(env, port, &[])
}

/// [`start_server`] with more options (`--tls-cert` …).
fn start_server_with(env: &Env, port: u16, extra: &[&std::ffi::OsStr]) -> (Proc, String) {
    let mut args: Vec<&std::ffi::OsStr> = vec!["--tokens".as_ref(), env.tokens.as_os_str()];
    args.extend_from_slice(extra);
    common::serve_oms_on(bin(), &env.database, port, &args)
}

fn sync_cmd(env: &Env, url: &str) -> Command {
    let mut c = Command::new(bin());
    c.args(["sync", "--oms", url, "--oms-token", TOKEN, "--db"])
        .arg(&env.dev_db)
        .arg("--config")
        .arg(&env.config)
        .env_remove("VOXORDER_NOW")
        .stderr(Stdio::null());
    c
}

/// `voxorder sync --once`; its JSON report and whether it succeeded.
fn sync_once(env: &Env, url: &str) -> (bool, serde_json::Value) {
    let out = sync_cmd(env, url)
        .arg("--once")
        .output()
        .expect("run sync --once");
    let report = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.success(), report)
}

/// `sync --once` until it succeeds with nothing pending.
fn drain(env: &Env, url: &str) {
    let start = Instant::now();
    loop {
        let (ok, _) = sync_once(env, url);
        if ok && device_pending(env) == 0 {
            return;
        }
        assert!(start.elapsed() < DEADLINE, "sync did not drain in time");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn device_pending(env: &Env) -> u64 {
    Store::open(&env.dev_db, OpenMode::Existing)
        .and_then(|s| s.pending_outbox_count())
        .expect("pending")
}

#[derive(Debug, Default)]
struct Counts {
    sent: usize,
    applied: usize,
    rejected: usize,
    duplicates: u64,
    lost: usize,
}

/// Checks the end state and prints the counts.
fn verify(env: &Env, name: &str) -> Counts {
    off_runtime(|| verify_here(env, name))
}

fn verify_here(env: &Env, name: &str) -> Counts {
    let device = Store::open(&env.dev_db, OpenMode::Existing).expect("device store");
    let oms = env.oms();
    let outbox = device.outbox().expect("outbox");
    let mut c = Counts {
        sent: outbox.len(),
        duplicates: oms.stats().expect("stats").duplicates_answered,
        ..Counts::default()
    };
    let mut applied_per_order = std::collections::HashMap::<String, i64>::new();
    for e in &outbox {
        let server = oms
            .command_outcome("kiosk-1", &e.idempotency_key)
            .expect("outcome");
        match server.as_deref() {
            None => c.lost += 1,
            Some(s) => assert_eq!(s, e.state, "{name}: {} {}", e.kind, e.idempotency_key),
        }
        match e.state.as_str() {
            "applied" => {
                c.applied += 1;
                *applied_per_order
                    .entry(e.order_number.clone().expect("order"))
                    .or_default() += 1;
            }
            "rejected" => c.rejected += 1,
            other => panic!("{name}: command {} left {other}", e.idempotency_key),
        }
    }
    println!(
        "{name}: sent {} applied {} duplicates {} rejected {} lost {}",
        c.sent, c.applied, c.duplicates, c.rejected, c.lost
    );
    assert_eq!(c.lost, 0, "{name}: commands lost");
    assert_eq!(c.sent, env.orders + env.orders.div_ceil(4));
    assert_eq!(
        c.rejected,
        env.orders.div_ceil(8),
        "{name}: the shipped orders' cancels"
    );
    for i in 0..env.orders {
        let n = order_number(i);
        let body = oms.order_json(&n).expect("read").expect("order on the OMS");
        let mut central = serde_json::from_str::<OrderRecord>(&body)
            .expect("json")
            .validate()
            .expect("valid");
        assert_eq!(central.store.as_deref(), Some(STORE));
        // Each applied change bumped the version exactly once (shipping bumped it too).
        let base = i64::from(ships_meanwhile(i));
        assert_eq!(
            central.version,
            base + applied_per_order.get(&n).copied().unwrap_or(0),
            "{name}: order {n} applied more or less than once"
        );
        let local = device
            .order(&n)
            .expect("read")
            .expect("order on the device");
        // The device does not keep the order's shop; everything else must match.
        central.store = None;
        assert_eq!(local, central, "{name}: order {n} differs");
    }
    c
}

fn settings(url: &str, timeout_ms: u64) -> HttpSettings {
    HttpSettings {
        base_url: url.to_string(),
        token: TOKEN.into(),
        connect_timeout: Duration::from_millis(500),
        request_timeout: Duration::from_millis(timeout_ms),
        max_response_bytes: 64 << 20,
        ca_pem: None,
    }
}

fn sync_config() -> SyncConfig {
    SyncConfig {
        push_batch_size: 25,
        pull_page_size: 200,
        backoff_base_ms: 10,
        backoff_max_seconds: 1,
        max_attempts: 1000,
        ..SyncConfig::default()
    }
}

/// Rounds of an in-process syncer until nothing is pending and a round succeeds;
/// returns the errors seen on the way.
async fn rounds_until_drained<C: OmsClient>(syncer: &Syncer<C>, env: &Env) -> Vec<String> {
    let start = Instant::now();
    let mut errors = Vec::new();
    loop {
        let r: SyncReport = syncer.round(false).await;
        match r.error {
            Some(e) => errors.push(e),
            None if device_pending(env) == 0 => return errors,
            None => {}
        }
        assert!(
            start.elapsed() < DEADLINE,
            "not drained in time: {errors:?}"
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

// ---------------------------------------------------------------------------------------
// A fault-injecting TCP proxy: each new connection takes the next fault from a list
// (then passes through). Faulty connections serve one request and close.

#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Answer with this status without asking the OMS.
    Status(u16),
    /// Wait this long, then pass through (the device times out first).
    Slow(Duration),
    /// Forward the request, wait for the OMS's answer, then close without passing it.
    DropAnswer,
}

async fn read_request(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return Some(buf);
            }
        }
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn start_proxy(upstream: SocketAddr, faults: Vec<Fault>) -> (String, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy bind");
    let addr = listener.local_addr().expect("proxy addr");
    let queue = Arc::new(Mutex::new(faults.into_iter()));
    let injected = Arc::new(Mutex::new(0usize));
    let counter = injected.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            let fault = queue.lock().expect("queue").next();
            if fault.is_some() {
                *counter.lock().expect("counter") += 1;
            }
            tokio::spawn(async move {
                match fault {
                    None => {
                        if let Ok(mut up) = TcpStream::connect(upstream).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut up).await;
                        }
                    }
                    Some(Fault::Status(code)) => {
                        if read_request(&mut client).await.is_some() {
                            let resp = format!(
                                "HTTP/1.1 {code} Fault\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                            );
                            let _ = client.write_all(resp.as_bytes()).await;
                        }
                    }
                    Some(Fault::Slow(d)) => {
                        tokio::time::sleep(d).await;
                        if let Ok(mut up) = TcpStream::connect(upstream).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut up).await;
                        }
                    }
                    Some(Fault::DropAnswer) => {
                        let Some(req) = read_request(&mut client).await else {
                            return;
                        };
                        if let Ok(mut up) = TcpStream::connect(upstream).await {
                            let _ = up.write_all(&req).await;
                            let mut first = [0u8; 1];
                            // The OMS answers after its commit: the batch is applied.
                            let _ = up.read(&mut first).await;
                        }
                        drop(client);
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), injected)
}

fn server_addr(url: &str) -> SocketAddr {
    url.trim_start_matches("http://").parse().expect("addr")
}

async fn proxy_run(
    engine: Engine,
    name: &str,
    faults: Vec<Fault>,
    timeout_ms: u64,
) -> Option<Counts> {
    let env = setup(engine, ORDERS)?;
    let (_server, url) = start_server(&env, 0);
    let (proxy, injected) = start_proxy(server_addr(&url), faults).await;
    let client = HttpOmsClient::new(&settings(&proxy, timeout_ms)).expect("client");
    let syncer = Syncer::open(client, &env.dev_db, sync_config(), Clock::system()).expect("syncer");
    let errors = rounds_until_drained(&syncer, &env).await;
    let injected = *injected.lock().expect("counter");
    println!(
        "{name}: {injected} faults injected, {} failed rounds",
        errors.len()
    );
    assert!(!errors.is_empty(), "{name}: no fault reached the device");
    drop(syncer);
    Some(verify(&env, name))
}

async fn bursts_of_500_and_503_are_retried_until_everything_lands_once_on(engine: Engine) {
    let mut faults = vec![Fault::Status(503); 4];
    faults.extend([Fault::Status(500); 4]);
    proxy_run(engine, "500/503 bursts", faults, 2000).await;
}

async fn slow_answers_past_the_timeout_are_retried_and_answered_as_duplicates_on(engine: Engine) {
    proxy_run(
        engine,
        "slow responses",
        vec![Fault::Slow(Duration::from_millis(900)); 3],
        300,
    )
    .await;
}

async fn a_connection_dropped_after_the_oms_applied_a_batch_yields_duplicates_not_doubles_on(
    engine: Engine,
) {
    let Some(c) = proxy_run(engine, "dropped answers", vec![Fault::DropAnswer; 4], 2000).await
    else {
        return;
    };
    assert!(
        c.duplicates > 0,
        "the retried batches must be answered as duplicates"
    );
}

fn server_down_at_start_then_up_on(engine: Engine) {
    let Some(env) = setup(engine, ORDERS) else {
        return;
    };
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let (ok, report) = sync_once(&env, &url);
    assert!(!ok, "sync against nothing must fail");
    assert!(
        report["error"]
            .as_str()
            .unwrap_or("")
            .contains("unreachable"),
        "{report}"
    );
    let status = Store::open(&env.dev_db, OpenMode::Existing)
        .and_then(|s| s.sync_status(now()))
        .expect("status");
    // An outage is nobody's fault: nothing is lost, nothing moves towards dead letters.
    assert_eq!(status.pending as usize, ORDERS + ORDERS / 4);
    assert_eq!(status.dead_lettered, 0);
    assert!(status.last_error.is_some());

    let (_server, url) = start_server(&env, port);
    drain(&env, &url);
    verify(&env, "server down at start");
}

fn server_killed_and_restarted_mid_batch_on(engine: Engine) {
    let Some(env) = setup(engine, ORDERS) else {
        return;
    };
    let port = free_port();
    let (mut server, url) = start_server(&env, port);
    let mut device = Proc(sync_cmd(&env, &url).arg("--once").spawn().expect("device"));
    // Kill the OMS while the device is uploading.
    let start = Instant::now();
    while device_pending(&env) > (ORDERS as u64) && start.elapsed() < DEADLINE {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill();
    let _ = device.0.wait();
    let left = device_pending(&env);
    println!("server killed with {left} commands still pending on the device");
    let (_server, url) = start_server(&env, port);
    drain(&env, &url);
    verify(&env, "server killed mid-batch");
}

fn device_killed_with_sigkill_at_random_points_then_restarted_on(engine: Engine) {
    let Some(env) = setup(engine, ORDERS) else {
        return;
    };
    let (_server, url) = start_server(&env, 0);
    let mut rng = fastrand::Rng::with_seed(7);
    let total = device_pending(&env);
    for round in 0..5 {
        // The background loop, as a device runs it; Child::kill is SIGKILL.
        let mut device = Proc(sync_cmd(&env, &url).spawn().expect("device"));
        std::thread::sleep(Duration::from_millis(rng.u64(30..400)));
        device.kill();
        println!(
            "kill {round}: {} of {total} still pending",
            device_pending(&env)
        );
    }
    drain(&env, &url);
    verify(&env, "device SIGKILLed");
}

async fn duplicate_and_reordered_deliveries_apply_once_on(engine: Engine) {
    let Some(env) = setup(engine, ORDERS) else {
        return;
    };
    let (_server, url) = start_server(&env, 0);
    let client = HttpOmsClient::new(&settings(&url, 5000)).expect("client");
    let store = Store::open(&env.dev_db, OpenMode::Existing).expect("store");
    let all = store
        .pending_commands(10_000, None, Duration::ZERO)
        .expect("pending");
    drop(store);
    // Split by order, so each order's own commands keep their order; deliver the second
    // half before the first, then everything again, in batches the device never makes.
    let (even, odd): (Vec<_>, Vec<_>) = all.iter().cloned().partition(|c| {
        c.order_number
            .as_deref()
            .is_some_and(|n| n.ends_with(['0', '2', '4', '6', '8']))
    });
    for part in [&odd, &even, &all] {
        for batch in part.chunks(200) {
            client.push(batch).await.expect("push");
        }
    }
    // The device never read those answers: its own sync sends everything again.
    let syncer = Syncer::open(client, &env.dev_db, sync_config(), Clock::system()).expect("syncer");
    let errors = rounds_until_drained(&syncer, &env).await;
    assert!(errors.is_empty(), "{errors:?}");
    drop(syncer);
    let c = verify(&env, "duplicate and reordered deliveries");
    assert_eq!(
        c.duplicates as usize,
        2 * c.sent,
        "every resend (applied or rejected before) answered from the table"
    );
}

async fn clock_skew_between_device_and_oms_does_not_stall_or_double_on(engine: Engine) {
    let Some(env) = setup(engine, ORDERS) else {
        return;
    };
    let (_server, url) = start_server(&env, 0);
    // The device's clock ran three days ahead when an upload failed: the retry times it
    // wrote lie far in the future once the clock is right again.
    let mut store = Store::open(&env.dev_db, OpenMode::Existing).expect("store");
    let ids: Vec<i64> = store
        .pending_commands(10_000, None, Duration::ZERO)
        .expect("pending")
        .iter()
        .map(|c| c.id)
        .collect();
    let ahead = now() + chrono::Duration::days(3);
    store
        .record_push_failure(&ids, "OMS error 503", ahead, 1000, &|_| {
            Duration::from_secs(60)
        })
        .expect("failure");
    drop(store);
    let client = HttpOmsClient::new(&settings(&url, 5000)).expect("client");
    let syncer = Syncer::open(client, &env.dev_db, sync_config(), Clock::system()).expect("syncer");
    let report = syncer.round(false).await;
    assert_eq!(report.error, None);
    assert_eq!(
        report.sent as usize,
        ids.len(),
        "skewed retry times must count as due"
    );
    drop(syncer);
    // A device whose clock is years off (`--now`) still converges: the OMS never
    // compares clocks.
    let out = sync_cmd(&env, &url)
        .arg("--once")
        .env("VOXORDER_NOW", "2001-01-01T00:00:00")
        .output()
        .expect("sync");
    assert!(out.status.success());
    verify(&env, "clock skew");
}

// ---------------------------------------------------------------------------------------
// Bad input from the server: a canned answer to every request.

/// A canned answer: bytes, then `times` copies of `chunk` written one by one.
struct Answer {
    head: Vec<u8>,
    chunk: Vec<u8>,
    times: usize,
}

async fn canned_server(answer: fn() -> Answer) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                if read_request(&mut s).await.is_none() {
                    return;
                }
                let a = answer();
                if s.write_all(&a.head).await.is_err() {
                    return;
                }
                for _ in 0..a.times {
                    if s.write_all(&a.chunk).await.is_err() {
                        return;
                    }
                }
                let _ = s.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

fn raw(bytes: &[u8]) -> Answer {
    Answer {
        head: bytes.to_vec(),
        chunk: Vec::new(),
        times: 0,
    }
}

fn ok_json(body: &str) -> Answer {
    raw(format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_answers_are_clear_errors_and_leave_the_outbox_and_cache_intact() {
    // The device against canned answers: no hub, so one engine is enough.
    let env = setup(Engine::Sqlite, 40).expect("setup");
    let pending = device_pending(&env);
    type Check = fn(&SyncError) -> bool;
    type Case = (&'static str, fn() -> Answer, Check);
    let cases: Vec<Case> = vec![
        (
            "malformed JSON",
            || ok_json("{this is not json"),
            |e| matches!(e, SyncError::BadResponse { .. }),
        ),
        (
            "truncated JSON",
            || raw(b"HTTP/1.1 200 OK\r\ncontent-length: 400\r\n\r\n{\"schema_version\": 1, \"chan"),
            |e| {
                matches!(
                    e,
                    SyncError::Transport { .. } | SyncError::BadResponse { .. }
                )
            },
        ),
        (
            "unknown schema version",
            || ok_json(r#"{"schema_version": 7, "changes": [], "results": []}"#),
            |e| matches!(e, SyncError::UnknownSchema { found: 7, .. }),
        ),
        (
            "1 GB announced",
            || raw(b"HTTP/1.1 200 OK\r\ncontent-length: 1073741824\r\n\r\n{"),
            |e| matches!(e, SyncError::TooLarge { .. }),
        ),
        (
            "1 GB streamed",
            || {
                let mut chunk = b"100000\r\n".to_vec();
                chunk.extend(std::iter::repeat_n(b' ', 1 << 20));
                chunk.extend_from_slice(b"\r\n");
                Answer {
                    head: b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec(),
                    chunk,
                    times: 1024,
                }
            },
            |e| matches!(e, SyncError::TooLarge { .. }),
        ),
        (
            "redirect to another host",
            || {
                raw(b"HTTP/1.1 302 Found\r\nlocation: http://elsewhere.example:9/v1/changes\r\ncontent-length: 0\r\n\r\n")
            },
            |e| matches!(e, SyncError::Redirect { .. }),
        ),
        (
            "expired token",
            || raw(b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n"),
            |e| matches!(e, SyncError::Unauthorized { .. }),
        ),
    ];
    for (name, answer, expected) in cases {
        let url = canned_server(answer).await;
        let client = HttpOmsClient::new(&settings(&url, 10_000)).expect("client");
        let syncer =
            Syncer::open(client, &env.dev_db, sync_config(), Clock::system()).expect("syncer");
        let mut report = SyncReport::default();
        let pushed = syncer.push(true, &mut report).await.expect_err(name);
        let pulled = syncer.pull(&mut report).await.expect_err(name);
        println!("{name}: push: {pushed}; pull: {pulled}");
        assert!(expected(&pushed), "{name}: push gave {pushed:?}");
        assert!(expected(&pulled), "{name}: pull gave {pulled:?}");
        drop(syncer);
        let store = Store::open(&env.dev_db, OpenMode::Existing).expect("store");
        let status = store.sync_status(now()).expect("status");
        assert_eq!(
            status.pending, pending,
            "{name}: the outbox must stay intact"
        );
        assert_eq!(status.dead_lettered, 0);
        assert!(status.last_error.is_some());
        assert!(
            store.order(&order_number(3)).expect("read").is_some(),
            "{name}: cache"
        );
    }
}

fn unknown_or_missing_tokens_get_401_and_nothing_else_on(engine: Engine) {
    let Some(env) = setup(engine, 4) else {
        return;
    };
    let (_server, url) = start_server(&env, 0);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let http = reqwest::Client::new();
        for auth in [None, Some("Bearer nope-nope-nope-nope"), Some("Basic abc")] {
            let mut req = http.get(format!("{url}/v1/stats"));
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            let resp = req.send().await.expect("send");
            assert_eq!(resp.status(), 401);
            assert!(resp.bytes().await.expect("body").is_empty());
        }
        let ok = http
            .get(format!("{url}/v1/orders/{}", order_number(2)))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("send");
        assert_eq!(ok.status(), 200);
        // A body over the limit (16 MB by default) is refused with 413; the writer may
        // be cut off, so the answer is read while it writes.
        let mut s = TcpStream::connect(server_addr(&url))
            .await
            .expect("connect");
        let (mut rd, mut wr) = s.split();
        let head = format!(
            "POST /v1/commands HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {TOKEN}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n",
            17 << 20
        );
        let write = async {
            let _ = wr.write_all(head.as_bytes()).await;
            let chunk = vec![b' '; 1 << 20];
            for _ in 0..17 {
                if wr.write_all(&chunk).await.is_err() {
                    break;
                }
            }
        };
        let read = async {
            let mut buf = vec![0u8; 64];
            let n = rd.read(&mut buf).await.unwrap_or(0);
            String::from_utf8_lossy(&buf[..n]).to_string()
        };
        let (_, answer) =
            tokio::time::timeout(Duration::from_secs(20), async { tokio::join!(write, read) })
                .await
                .expect("answer in time");
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    });
}

/// The OMS over TLS with a certificate from a private CA: a device that trusts the CA
/// (`sync.ca_file`) syncs; one that does not refuses the connection with a clear error
/// and keeps its outbox and cache.
fn tls_with_a_private_ca_is_trusted_only_when_configured_on(engine: Engine) {
    let Some(env) = setup(engine, 6) else {
        return;
    };
    let dir = env.dev_db.parent().expect("dir").to_path_buf();
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "voxorder test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("ca cert");
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .expect("params")
        .signed_by(&key, &ca)
        .expect("cert");
    let (cert_file, key_file, ca_file) =
        (dir.join("oms.pem"), dir.join("oms.key"), dir.join("ca.pem"));
    std::fs::write(&cert_file, cert.pem()).expect("cert");
    std::fs::write(&key_file, key.serialize_pem()).expect("key");
    std::fs::write(&ca_file, ca.pem()).expect("ca");

    let (_server, url) = start_server_with(
        &env,
        0,
        &[
            "--tls-cert".as_ref(),
            cert_file.as_os_str(),
            "--tls-key".as_ref(),
            key_file.as_os_str(),
        ],
    );
    assert!(url.starts_with("https://"), "{url}");
    // The certificate names localhost, not the address.
    let url = url.replace("127.0.0.1", "localhost");
    let before = device_pending(&env);
    assert!(before > 0);

    let (ok, report) = sync_once(&env, &url);
    assert!(
        !ok,
        "a certificate from an unknown CA was accepted: {report}"
    );
    eprintln!("untrusted: {}", report["error"]);
    let error = report["error"].as_str().unwrap_or_default().to_lowercase();
    assert!(
        error.contains("certificate") || error.contains("tls") || error.contains("connect"),
        "{report}"
    );
    assert_eq!(device_pending(&env), before, "outbox changed");

    let trusting = dir.join("trusting.toml");
    let base = std::fs::read_to_string(&env.config).expect("config");
    std::fs::write(
        &trusting,
        base.replace("[sync]\n", &format!("[sync]\nca_file = {:?}\n", ca_file)),
    )
    .expect("config");
    let out = Command::new(bin())
        .args([
            "sync",
            "--once",
            "--oms",
            &url,
            "--oms-token",
            TOKEN,
            "--db",
        ])
        .arg(&env.dev_db)
        .arg("--config")
        .arg(&trusting)
        .env_remove("VOXORDER_NOW")
        .output()
        .expect("sync");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert!(out.status.success(), "{report}");
    let counts = verify(&env, "tls");
    eprintln!("tls: {counts:?}");
}

/// Two hub processes on one PostgreSQL database behind no balancer: the device uploads
/// through one, which is killed mid-batch, and finishes through the other. Nothing the
/// first committed is applied twice, nothing it was sent is lost.
fn two_hubs_one_killed_mid_batch_the_other_finishes_on(engine: Engine) {
    let Some(env) = setup(engine, ORDERS) else {
        return;
    };
    let (mut first, first_url) = start_server(&env, 0);
    let (_second, second_url) = start_server(&env, 0);
    let mut device = Proc(
        sync_cmd(&env, &first_url)
            .arg("--once")
            .spawn()
            .expect("device"),
    );
    let start = Instant::now();
    while device_pending(&env) > (ORDERS as u64) && start.elapsed() < DEADLINE {
        std::thread::sleep(Duration::from_millis(5));
    }
    first.kill();
    let _ = device.0.wait();
    println!(
        "first hub killed with {} commands still pending",
        device_pending(&env)
    );
    drain(&env, &second_url);
    verify(&env, "two hubs, one killed");
}

/// Each scenario above, as a test on each engine: `NAME` on SQLite, `NAME_on_postgres`.
macro_rules! on_both_engines {
    ($($name:ident, $pg:ident: $body:ident;)*) => {$(
        #[test]
        fn $name() {
            $body(Engine::Sqlite);
        }

        #[test]
        fn $pg() {
            $body(Engine::Postgres);
        }
    )*};
}

/// [`on_both_engines`] for the scenarios that run in a Tokio runtime.
macro_rules! on_both_engines_async {
    ($($name:ident, $pg:ident: $body:ident;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            $body(Engine::Sqlite).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $pg() {
            $body(Engine::Postgres).await;
        }
    )*};
}

on_both_engines! {
    server_down_at_start_then_up, server_down_at_start_then_up_on_postgres:
        server_down_at_start_then_up_on;
    server_killed_and_restarted_mid_batch, server_killed_and_restarted_mid_batch_on_postgres:
        server_killed_and_restarted_mid_batch_on;
    device_killed_with_sigkill_at_random_points_then_restarted,
    device_killed_with_sigkill_at_random_points_then_restarted_on_postgres:
        device_killed_with_sigkill_at_random_points_then_restarted_on;
    unknown_or_missing_tokens_get_401_and_nothing_else,
    unknown_or_missing_tokens_get_401_and_nothing_else_on_postgres:
        unknown_or_missing_tokens_get_401_and_nothing_else_on;
    tls_with_a_private_ca_is_trusted_only_when_configured,
    tls_with_a_private_ca_is_trusted_only_when_configured_on_postgres:
        tls_with_a_private_ca_is_trusted_only_when_configured_on;
}

on_both_engines_async! {
    bursts_of_500_and_503_are_retried_until_everything_lands_once,
    bursts_of_500_and_503_are_retried_until_everything_lands_once_on_postgres:
        bursts_of_500_and_503_are_retried_until_everything_lands_once_on;
    slow_answers_past_the_timeout_are_retried_and_answered_as_duplicates,
    slow_answers_past_the_timeout_are_retried_and_answered_as_duplicates_on_postgres:
        slow_answers_past_the_timeout_are_retried_and_answered_as_duplicates_on;
    a_connection_dropped_after_the_oms_applied_a_batch_yields_duplicates_not_doubles,
    a_connection_dropped_after_the_oms_applied_a_batch_yields_duplicates_not_doubles_on_postgres:
        a_connection_dropped_after_the_oms_applied_a_batch_yields_duplicates_not_doubles_on;
    duplicate_and_reordered_deliveries_apply_once,
    duplicate_and_reordered_deliveries_apply_once_on_postgres:
        duplicate_and_reordered_deliveries_apply_once_on;
    clock_skew_between_device_and_oms_does_not_stall_or_double,
    clock_skew_between_device_and_oms_does_not_stall_or_double_on_postgres:
        clock_skew_between_device_and_oms_does_not_stall_or_double_on;
}

#[test]
fn two_hubs_on_postgres_one_killed_mid_batch_the_other_finishes() {
    two_hubs_one_killed_mid_batch_the_other_finishes_on(Engine::Postgres);
}

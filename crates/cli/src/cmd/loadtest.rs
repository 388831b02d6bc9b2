//! `voxorder oms loadtest`: a fleet simulator on loopback. It seeds the hub's store with
//! a store and a few orders per simulated device, enrols every device with a token of
//! its own, starts several `voxorder oms serve` processes on that store, and runs each
//! device as a task over the real device client (`voxorder_sync::HttpOmsClient`):
//! pulling the feed every few seconds and pushing reschedule commands at a given rate,
//! each with an idempotency key; a failed pull or push is retried soon on the other hub. One hub
//! can be killed mid-run. At the end it checks in the store that every command issued
//! was applied exactly once (none missing; each order's version moved once per command)
//! and prints the figures as JSON. Bounded and self-stopping: the run lasts
//! `--duration-secs`, then in-flight commands get `--grace-secs` to land.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use serde_json::json;

use voxorder_config::TimeSlot;
use voxorder_domain::change::Change;
use voxorder_domain::order::{Order, OrderRecord};
use voxorder_hub::db::Seed;
use voxorder_hub::{Database, HubStore};
use voxorder_store::PendingCommand;
use voxorder_sync::{HttpOmsClient, HttpSettings, OmsClient, SyncError};

/// How to run the fleet (`voxorder oms loadtest --help`).
#[derive(Debug, Clone, clap::Args)]
pub struct LoadtestArgs {
    /// Simulated devices.
    #[arg(long, default_value_t = 100)]
    pub devices: usize,
    /// How long the devices run.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub duration_secs: u64,
    /// Hub processes sharing the store; devices are spread over them.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=16))]
    pub hubs: u32,
    /// Kill (SIGKILL) the first hub this many seconds into the run.
    #[arg(long, value_name = "SECONDS")]
    pub kill_one_at: Option<u64>,
    /// Each device pulls the feed this often.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub pull_every_secs: u64,
    /// Every device's first pull at the same instant, as when a fleet comes back after a
    /// network or hub outage, instead of spread over the first pull interval as devices
    /// switched on over time pull.
    #[arg(long)]
    pub burst: bool,
    /// Commands each device pushes per minute, on average (Poisson arrivals).
    #[arg(long, default_value_t = 1.0)]
    pub commands_per_minute: f64,
    /// Orders seeded per device (in its own store).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub orders_per_device: u32,
    /// Connections to PostgreSQL per hub process.
    #[arg(long, default_value_t = voxorder_hub::pg::DEFAULT_POOL_SIZE)]
    pub pool_size: u32,
    /// After the run, how long commands still being retried may take to land.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub grace_secs: u64,
    /// Width of the report's time windows (latency per window of the run).
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub window_secs: u64,
    /// Write each hub's log to DIR/hub-N.log, with the hub's wait gauges (pool,
    /// blocking threads, feed lock) every 5 s; without it the hubs log nothing.
    #[arg(long, value_name = "DIR")]
    pub hub_logs: Option<PathBuf>,
    /// Also write the JSON report to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// One device of the fleet as the simulator knows it.
struct Sim {
    id: String,
    token: String,
    orders: Vec<String>,
}

/// Latencies in microseconds and counts of one kind of request.
#[derive(Default)]
struct Kind {
    ok_micros: Vec<u32>,
    /// When each answered request was sent, in milliseconds from the start (parallel to
    /// `ok_micros`), so that the tail can be placed in time.
    ok_at_ms: Vec<u32>,
    errors: u64,
    /// Failed requests by what went wrong, and when (milliseconds from the start).
    failed: Vec<(u32, &'static str)>,
}

impl Kind {
    fn ok(&mut self, sent: Instant, started: Instant) {
        self.ok_micros.push(micros(sent));
        self.ok_at_ms.push(millis_since(started, sent));
    }

    fn failed(&mut self, e: &SyncError, sent: Instant, started: Instant) {
        self.errors += 1;
        self.failed
            .push((millis_since(started, sent), error_class(e)));
    }

    fn extend(&mut self, other: Kind) {
        self.ok_micros.extend(other.ok_micros);
        self.ok_at_ms.extend(other.ok_at_ms);
        self.errors += other.errors;
        self.failed.extend(other.failed);
    }
}

/// A failed request's class, as the report counts it.
fn error_class(e: &SyncError) -> &'static str {
    match e {
        SyncError::Timeout { .. } => "timeout",
        SyncError::Busy { .. } => "busy",
        SyncError::Server { .. } => "server",
        SyncError::Unreachable { .. } => "unreachable",
        SyncError::Transport { .. } => "transport",
        _ => "other",
    }
}

fn millis_since(started: Instant, at: Instant) -> u32 {
    u32::try_from(at.saturating_duration_since(started).as_millis()).unwrap_or(u32::MAX)
}

/// What the devices report to the run.
#[derive(Default)]
struct Tally {
    pulls: Kind,
    pushes: Kind,
    /// Every command issued: device, idempotency key, order, and whether a hub's
    /// answer reached the device.
    issued_keys: Vec<(String, String, String, bool)>,
    /// Per device first moved off the killed hub: seconds from the kill to its first
    /// success on another hub.
    moved_after: Vec<f64>,
    /// Devices whose last pull reached the end of the feed.
    at_feed_end: u64,
}

/// A hub process, killed on drop.
struct Hub {
    child: Child,
    url: String,
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_hub(database: &str, pool_size: u32, devices: usize, log: Option<PathBuf>) -> Result<Hub> {
    let exe = std::env::current_exe().context("the voxorder binary")?;
    let mut command = Command::new(exe);
    match log {
        Some(path) => {
            let file = std::fs::File::create(&path)
                .with_context(|| format!("hub log {}", path.display()))?;
            command
                .env("VOXORDER_LOG", "warn,voxorder_hub::gauge=info")
                .stderr(file);
        }
        None => {
            command.stderr(Stdio::null());
        }
    }
    let mut child = command
        .args([
            "oms",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            database,
        ])
        .args(["--pool-size", &pool_size.to_string()])
        // Every device connects from 127.0.0.1, as behind a load balancer; each keeps
        // one connection, idle between pulls for less than the header timeout.
        .args(["--max-connections-per-peer", "0"])
        .args(["--max-connections", &(devices + 64).to_string()])
        .args(["--header-timeout-secs", "15"])
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .context("start a hub")?;
    let stdout = child.stdout.take().context("hub stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .context("hub output")?;
    let url = match line.trim().strip_prefix("listening on ") {
        Some(url) => url.to_string(),
        None => {
            let _ = child.kill();
            bail!("the hub did not start: {line:?}");
        }
    };
    Ok(Hub { child, url })
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

fn kind_json(k: &mut Kind, secs: f64, window_secs: u64) -> serde_json::Value {
    let windows = windows(k, window_secs);
    let mut errors_by: std::collections::BTreeMap<&str, u64> = Default::default();
    for (_, class) in &k.failed {
        *errors_by.entry(class).or_default() += 1;
    }
    k.ok_micros.sort_unstable();
    json!({
        "ok": k.ok_micros.len(),
        "per_s": (k.ok_micros.len() as f64 / secs * 10.0).round() / 10.0,
        "p50_ms": percentile(&k.ok_micros, 0.50),
        "p99_ms": percentile(&k.ok_micros, 0.99),
        "max_ms": percentile(&k.ok_micros, 1.0),
        "errors": k.errors,
        "errors_by": errors_by,
        "windows": windows,
    })
}

/// The requests sent in each `window_secs` of the run: how many were answered, their
/// p50/p99/max, and how many failed. A tail that sits in one window (the start, a
/// checkpoint) reads differently from one spread over the run.
fn windows(k: &Kind, window_secs: u64) -> Vec<serde_json::Value> {
    let width = u32::try_from(window_secs.max(1) * 1000).unwrap_or(u32::MAX);
    let mut by: std::collections::BTreeMap<u32, (Vec<u32>, u64)> = Default::default();
    for (at, us) in k.ok_at_ms.iter().zip(&k.ok_micros) {
        by.entry(at / width).or_default().0.push(*us);
    }
    for (at, _) in &k.failed {
        by.entry(at / width).or_default().1 += 1;
    }
    by.into_iter()
        .map(|(w, (mut lat, errors))| {
            lat.sort_unstable();
            json!({
                "from_s": u64::from(w) * window_secs,
                "ok": lat.len(),
                "p50_ms": percentile(&lat, 0.50),
                "p99_ms": percentile(&lat, 0.99),
                "max_ms": percentile(&lat, 1.0),
                "errors": errors,
            })
        })
        .collect()
}

/// The order a simulated store holds.
fn seed_order(number: &str, store: &str) -> Result<Order> {
    let rec: OrderRecord = serde_json::from_value(json!({
        "order_number": number, "status": "processing", "order_date": "2026-03-01",
        "store": store, "customer": {"name": "Load Test", "email": format!("{store}@example.com"),
                     "billing_zip": "78701"},
        "items": [{"sku": "TEE-NAVY-M", "name": "Classic Tee", "qty": 1, "price": 29.99}],
        "subtotal": 29.99, "total": 29.99, "payment": {"method": "card", "last4": "4242"},
        "shipping_address": {"line1": "1 Main St", "city": "Austin", "zip": "78701"}
    }))?;
    Ok(rec.validate()?)
}

/// The `n`th command on an order: a reschedule that always differs from the one before
/// (the slot cycles), so each one applied moves the order's version by one.
fn reschedule(order: &str, n: i64) -> Change {
    let today = chrono::Local::now().date_naive();
    Change::RescheduleDelivery {
        order_number: order.to_string(),
        date: today + chrono::Duration::days(3 + n % 4),
        slot: [TimeSlot::Morning, TimeSlot::Afternoon, TimeSlot::Evening]
            .get((n % 3) as usize)
            .copied(),
    }
}

/// `voxorder oms loadtest`.
/// `database_arg` is the store as the operator gave it (with any password): the hubs
/// are started with it, and it is never printed.
pub fn run(
    db: &Database,
    database_arg: &str,
    args: &LoadtestArgs,
    out: &mut impl Write,
) -> Result<()> {
    if args.devices == 0 || args.duration_secs == 0 {
        bail!("--devices and --duration-secs must be at least 1");
    }
    let database = db.to_string();
    eprintln!("loadtest: preparing {} devices on {database}", args.devices);
    db.migrate()?;
    let store = db.open(4)?;
    let run_id = chrono::Utc::now().format("%H%M%S").to_string();
    let sims = prepare(store.as_ref(), &run_id, args)?;
    let baseline: i64 = {
        let body = store
            .order_json(&sims[0].orders[0])?
            .context("a seeded order")?;
        serde_json::from_str::<OrderRecord>(&body)?
            .version
            .unwrap_or(0)
    };
    let mut hubs = Vec::new();
    if let Some(dir) = &args.hub_logs {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    }
    for i in 0..args.hubs {
        let log = args
            .hub_logs
            .as_ref()
            .map(|d| d.join(format!("hub-{i}.log")));
        hubs.push(start_hub(database_arg, args.pool_size, args.devices, log)?);
    }
    let urls: Vec<String> = hubs.iter().map(|h| h.url.clone()).collect();
    eprintln!("loadtest: hubs at {}", urls.join(", "));

    // Each device's HTTP clients (one per hub), made before the clock starts.
    let made = Instant::now();
    let mut fleet = Vec::with_capacity(sims.len());
    for sim in sims {
        let clients = urls
            .iter()
            .map(|url| {
                HttpOmsClient::new(&HttpSettings {
                    base_url: url.clone(),
                    token: sim.token.clone(),
                    connect_timeout: Duration::from_secs(2),
                    request_timeout: Duration::from_secs(10),
                    max_response_bytes: 64 << 20,
                    ca_pem: None,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        fleet.push((sim, clients));
    }
    eprintln!(
        "loadtest: {} device clients made in {:.1} s",
        fleet.len() * urls.len(),
        made.elapsed().as_secs_f64()
    );
    let tally = Arc::new(Mutex::new(Tally::default()));
    let hubs = Arc::new(Mutex::new(hubs));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("loadtest")
        .enable_all()
        .build()?;
    let killed_at = Arc::new(Mutex::new(None::<Instant>));
    let issued = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    rt.block_on(async {
        if let Some(at) = args.kill_one_at {
            let (hubs, killed_at) = (hubs.clone(), killed_at.clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(at)).await;
                let mut hubs = hubs
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if let Some(first) = hubs.first_mut() {
                    let _ = first.child.kill();
                    let _ = first.child.wait();
                }
                *killed_at
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
                eprintln!("loadtest: hub 0 killed at {at} s");
            });
        }
        let mut tasks = Vec::with_capacity(fleet.len());
        for (i, (sim, clients)) in fleet.into_iter().enumerate() {
            tasks.push(tokio::spawn(device(
                i,
                sim,
                clients,
                args.clone(),
                tally.clone(),
                killed_at.clone(),
                issued.clone(),
                started,
            )));
        }
        for t in tasks {
            let _ = t.await;
        }
    });
    let elapsed = args.duration_secs as f64;
    drop(hubs);
    eprintln!("loadtest: checking exactly-once in the store");

    let mut tally = std::mem::take(
        &mut *tally
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    // Exactly once: each command acknowledged is stored as applied under its key, and
    // each order's version moved once per command stored as applied (acknowledged or
    // not: an answer lost to a timeout is not a command lost).
    let (mut lost, mut applied, mut applied_unacked, mut unacked) = (0u64, 0u64, 0u64, 0u64);
    let mut applied_per_order: HashMap<&str, i64> = HashMap::new();
    for (device, key, order, acked) in &tally.issued_keys {
        let stored = store.command_outcome(device, key)?;
        let is_applied = stored.as_deref() == Some("applied");
        if is_applied {
            applied += 1;
            *applied_per_order.entry(order.as_str()).or_default() += 1;
        }
        match (acked, is_applied) {
            (true, false) => lost += 1,
            (false, true) => applied_unacked += 1,
            _ => {}
        }
        unacked += u64::from(!acked);
    }
    let (mut duplicated, mut short) = (0u64, 0u64);
    for (order, n) in &applied_per_order {
        let body = store.order_json(order)?.context("order")?;
        let version = serde_json::from_str::<OrderRecord>(&body)?
            .version
            .unwrap_or(0);
        let moved = version - baseline;
        if moved > *n {
            duplicated += u64::try_from(moved - n).unwrap_or(0);
        } else if moved < *n {
            short += u64::try_from(n - moved).unwrap_or(0);
        }
    }
    let stats = store.stats()?;
    let moved = &mut tally.moved_after;
    moved.sort_by(f64::total_cmp);
    let report = json!({
        "command": std::env::args().collect::<Vec<_>>().join(" ")
            .replace(database_arg, &database),
        "machine": machine(),
        "database": database,
        "devices": args.devices,
        "hubs": args.hubs,
        "duration_s": args.duration_secs,
        "pull_every_s": args.pull_every_secs,
        "burst": args.burst,
        "commands_per_device_per_min": args.commands_per_minute,
        "pool_size_per_hub": args.pool_size,
        "pulls": kind_json(&mut tally.pulls, elapsed, args.window_secs),
        "commands": kind_json(&mut tally.pushes, elapsed, args.window_secs),
        "exactly_once": {
            "issued": issued.load(Ordering::Relaxed),
            "acknowledged": tally.issued_keys.len() as u64 - unacked,
            "applied_in_store": applied,
            "applied_answer_lost": applied_unacked,
            "unacknowledged_at_end": unacked,
            "lost": lost + short,
            "duplicated": duplicated,
            "hub_duplicates_answered": stats.duplicates_answered,
            "hub_rejected": stats.commands_rejected,
        },
        "kill": args.kill_one_at.map(|at| json!({
            "at_s": at,
            "devices_moved": moved.len(),
            "moved_p50_s": moved.get(moved.len() / 2).copied().unwrap_or(0.0),
            "all_moved_after_s": moved.last().copied().unwrap_or(0.0),
        })),
        "converged": {
            "devices_at_feed_end": tally.at_feed_end,
            "of": args.devices,
        },
    });
    let text = serde_json::to_string_pretty(&report)?;
    writeln!(out, "{text}")?;
    if let Some(path) = &args.out {
        std::fs::write(path, format!("{text}\n")).with_context(|| path.display().to_string())?;
    }
    if lost + short + duplicated > 0 {
        bail!("exactly-once failed: {lost} lost, {short} short, {duplicated} duplicated");
    }
    Ok(())
}

/// Seeds a store and its orders per device and enrols each device with a new token.
fn prepare(store: &dyn HubStore, run_id: &str, args: &LoadtestArgs) -> Result<Vec<Sim>> {
    let mut sims = Vec::with_capacity(args.devices);
    let mut orders = Vec::new();
    for i in 0..args.devices {
        let shop = format!("lt{run_id}-s{i}");
        let mut numbers = Vec::new();
        for k in 0..args.orders_per_device {
            // 13 digits: the run, the device, the order.
            let number = format!(
                "9{:06}{:06}",
                run_id.parse::<u64>().unwrap_or(0) % 1_000_000,
                i * 100 + k as usize
            );
            orders.push(seed_order(&number, &shop)?);
            numbers.push(number);
        }
        let token = voxorder_hub::devices::new_token()?;
        let id = format!("lt{run_id}-d{i}");
        store.enroll_device(
            &id,
            &token.hash(),
            &format!("store:{shop}").parse()?,
            chrono::Utc::now().naive_utc(),
        )?;
        sims.push(Sim {
            id,
            token: token.reveal().to_string(),
            orders: numbers,
        });
        if orders.len() >= 2000 {
            store.import(&Seed {
                orders: std::mem::take(&mut orders),
                ..Seed::default()
            })?;
        }
    }
    store.import(&Seed {
        orders,
        ..Seed::default()
    })?;
    Ok(sims)
}

fn machine() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_default();
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| (kb / 1024.0 / 1024.0 * 10.0).round() / 10.0);
    json!({
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu": cpu,
        "mem_gib": mem_gib,
    })
}

/// One simulated device until the end of the run (and its grace for commands).
#[allow(clippy::too_many_arguments)]
async fn device(
    index: usize,
    sim: Sim,
    clients: Vec<HttpOmsClient>,
    args: LoadtestArgs,
    tally: Arc<Mutex<Tally>>,
    killed_at: Arc<Mutex<Option<Instant>>>,
    issued: Arc<AtomicU64>,
    started: Instant,
) {
    let mut rng = fastrand::Rng::with_seed(index as u64);
    let mut hub = index % clients.len();
    let first_hub = hub;
    let end = started + Duration::from_secs(args.duration_secs);
    let grace_end = end + Duration::from_secs(args.grace_secs);
    let pull_every = Duration::from_secs(args.pull_every_secs.max(1));
    let mut next_pull = if args.burst {
        started
    } else {
        started + pull_every.mul_f64(rng.f64())
    };
    let mean_gap = 60.0 / args.commands_per_minute.max(0.001);
    let mut next_command = started + Duration::from_secs_f64(-mean_gap * (1.0 - rng.f64()).ln());
    let mut cursor = String::new();
    let mut counter: i64 = 0;
    // Commands issued per order: each one's slot differs from the one before.
    let mut per_order: HashMap<String, i64> = HashMap::new();
    let mut issued_keys = Vec::new();
    let mut moved = false;
    let mut pulls = Kind::default();
    let mut pushes = Kind::default();
    // Marks the first success on another hub after the kill.
    let note_success = |on: usize, moved: &mut bool| {
        if *moved || on == first_hub {
            return None;
        }
        let kill = *killed_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        kill.map(|k| {
            *moved = true;
            Instant::now().saturating_duration_since(k).as_secs_f64()
        })
    };
    let mut moved_after = None;
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        let wake = next_pull.min(next_command).min(end);
        tokio::time::sleep_until(wake.into()).await;
        if Instant::now() >= end {
            break;
        }
        if next_pull <= Instant::now() {
            let mut pull_attempt = 0u32;
            loop {
                let t = Instant::now();
                match clients[hub].pull(&cursor, 1000).await {
                    Ok(page) => {
                        pulls.ok(t, started);
                        if let Some(s) = note_success(hub, &mut moved) {
                            moved_after = Some(s);
                        }
                        cursor = page.next_cursor;
                        if !page.has_more {
                            break;
                        }
                    }
                    // As a device's sync retries: on the other hub, backing off, within
                    // the run.
                    Err(e) => {
                        pulls.failed(&e, t, started);
                        hub = (hub + 1) % clients.len();
                        if Instant::now() >= end {
                            break;
                        }
                        tokio::time::sleep(backoff(pull_attempt, &mut rng)).await;
                        pull_attempt += 1;
                    }
                }
            }
            // As the device's sync loop: the next round an interval after this one
            // ended, so a fleet that pulled at once (--burst) spreads out by how long
            // each was served, where a fixed timetable would keep it in step forever.
            next_pull = Instant::now() + pull_every;
        }
        if next_command <= Instant::now() {
            next_command += Duration::from_secs_f64(-mean_gap * (1.0 - rng.f64()).ln());
            let order = sim.orders[rng.usize(..sim.orders.len())].clone();
            let n = per_order.entry(order.clone()).or_default();
            let change = reschedule(&order, *n);
            *n += 1;
            let cmd = PendingCommand {
                id: counter,
                idempotency_key: format!("{}.{counter}", sim.id),
                kind: change.kind().to_string(),
                order_number: Some(order.clone()),
                base_version: None,
                payload: serde_json::to_string(&change).unwrap_or_default(),
                created_at: chrono::Local::now().naive_local(),
                attempts: 0,
            };
            counter += 1;
            issued.fetch_add(1, Ordering::Relaxed);
            // At least once, on whichever hub answers, until the grace period ends, with
            // exponential backoff and jitter as the device's sync retries.
            let mut done = false;
            let mut attempt = 0u32;
            while Instant::now() < grace_end {
                let t = Instant::now();
                match clients[hub].push(std::slice::from_ref(&cmd)).await {
                    Ok(settled) if settled.len() == 1 => {
                        pushes.ok(t, started);
                        if let Some(s) = note_success(hub, &mut moved) {
                            moved_after = Some(s);
                        }
                        done = true;
                        break;
                    }
                    other => {
                        let e = other.err().unwrap_or_else(|| SyncError::BadResponse {
                            url: String::new(),
                            detail: "not one result for one command".into(),
                        });
                        pushes.failed(&e, t, started);
                        hub = (hub + 1) % clients.len();
                        tokio::time::sleep(backoff(attempt, &mut rng)).await;
                        attempt += 1;
                    }
                }
            }
            issued_keys.push((sim.id.clone(), cmd.idempotency_key, order, done));
        }
    }
    // Converged: one last pull reaches the end of the feed.
    let mut at_end = false;
    for _ in 0..clients.len() * 3 {
        match clients[hub].pull(&cursor, 10_000).await {
            Ok(page) => {
                cursor = page.next_cursor;
                if !page.has_more {
                    at_end = true;
                    break;
                }
            }
            Err(_) => hub = (hub + 1) % clients.len(),
        }
    }
    let mut t = tally
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    t.pulls.extend(pulls);
    t.pushes.extend(pushes);
    t.at_feed_end += u64::from(at_end);
    if let Some(s) = moved_after {
        t.moved_after.push(s);
    }
    t.issued_keys.extend(issued_keys);
}

/// How long to wait before retry `attempt` (0 first): 200 ms doubling to 5 s, with half
/// of it random, so a fleet that lost a hub does not retry in step.
fn backoff(attempt: u32, rng: &mut fastrand::Rng) -> Duration {
    let full = (200u64 << attempt.min(5)).min(5_000);
    Duration::from_millis(full / 2 + rng.u64(..=full / 2))
}

fn micros(since: Instant) -> u32 {
    u32::try_from(since.elapsed().as_micros()).unwrap_or(u32::MAX)
}

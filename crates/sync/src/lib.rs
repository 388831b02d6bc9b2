//! The device's uplink to the central OMS: push the outbox (in order per order,
//! at-least-once, each command under its idempotency key), pull the change feed by
//! cursor, reconcile what the OMS refused, retry with exponential backoff and jitter,
//! dead-letter a command after `sync.max_attempts` tries. The only crate that opens
//! connections from the device.
//!
//! Every state change is a store transaction (the store's `sync.rs`), so the process
//! may be killed at any point: at worst a command the OMS already applied is sent again, and
//! the OMS answers it as a duplicate.

pub mod client;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use serde::Serialize;

pub use client::{HttpOmsClient, HttpSettings, OmsClient, PullPage};
use voxorder_config::{Config, SyncConfig};
use voxorder_domain::clock::Clock;
use voxorder_domain::pii::Redacted;
use voxorder_store::{OpenMode, PullSummary, SettleSummary, Store, StoreError};

/// Environment variable holding the device's bearer token.
pub const TOKEN_ENV: &str = "VOXORDER_OMS_TOKEN";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// No OMS URL. Caller: give `--oms` or set `sync.oms_url`.
    #[error("sync is not configured: no OMS URL: give --oms or set sync.oms_url")]
    NoUrl,
    /// The OMS URL is not an http(s) URL with a host. Caller: fix it.
    #[error("sync is not configured: {url:?} is not an http(s) URL")]
    BadUrl { url: String },
    /// No bearer token anywhere. Caller: give one.
    #[error("sync is not configured: no OMS token: give --oms-token, set {TOKEN_ENV} or sync.token_file")]
    NoToken,
    /// `sync.token_file` cannot be read (or is over its cap). Caller: fix the file.
    #[error("sync is not configured: token file {path}: {source}")]
    TokenFile {
        path: String,
        source: std::io::Error,
    },
    /// `sync.ca_file` cannot be read (or is over its cap). Caller: fix the file.
    #[error("sync is not configured: sync.ca_file {path}: {source}")]
    CaFile {
        path: String,
        source: voxorder_domain::files::CappedReadError,
    },
    /// The CA file holds no certificate the HTTP client accepts. Caller: fix the file.
    #[error("sync is not configured: CA certificate: {0}")]
    CaCertificate(#[source] reqwest::Error),
    /// The HTTP client cannot be built with these settings (no TLS backend).
    #[error("sync is not configured: HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
    /// The sync's runtime or thread cannot be started (out of threads or memory).
    /// Caller: give up; sync is a convenience for the conversation commands.
    #[error("cannot start the sync {what}: {source}")]
    Start {
        what: &'static str,
        source: std::io::Error,
    },
    /// The task that runs store work for sync panicked or was cancelled.
    #[error("store task failed: {0}")]
    StoreTask(#[source] tokio::task::JoinError),
    /// Nothing listens, or the network is down. Caller: retry later (an outage).
    #[error("OMS unreachable at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    /// No complete answer in time. Caller: retry later.
    #[error("OMS timed out at {url}")]
    Timeout { url: String },
    /// The connection broke mid-request. Caller: retry; the OMS may have applied it.
    #[error("connection to {url} failed: {detail}")]
    Transport { url: String, detail: String },
    /// 401, or a 403 naming no command: the token is missing, unknown, expired or not
    /// allowed there. Caller: renew the token or fix its scope.
    #[error("OMS refused this device's token at {url} (missing, unknown, expired or not allowed)")]
    Unauthorized { url: String },
    /// 403 or 409 naming commands of the batch (outside the device's scope, or a key the
    /// OMS holds for another command); nothing of the batch was applied. Caller: set
    /// those commands aside ([`SyncError::command_refusal`]) and send the rest.
    #[error("OMS refused {} command(s) at {url} ({status}): {message}", keys.len())]
    CommandsRefused {
        url: String,
        status: u16,
        message: String,
        keys: Vec<String>,
    },
    /// 5xx or 429. Caller: retry later.
    #[error("OMS error {status} at {url}")]
    Server { url: String, status: u16 },
    /// 503 with `Retry-After`: the OMS is at its connection cap, for this device or for
    /// all. Nobody's command's fault. Caller: come back after `retry_after`.
    #[error("OMS at {url} is busy; retry after {} s", retry_after.as_secs())]
    Busy { url: String, retry_after: Duration },
    /// The hub gives this device another scope than the one the store was synced with:
    /// the store's feed position and orders belong to the old scope. Caller: sync the
    /// new scope into a new store (`--db`), or keep the old token.
    #[error(
        "this store was synced for scope {old}, but the OMS now gives this device scope \
         {new}: sync the new scope into a new store (--db new.db)"
    )]
    ScopeChanged { old: String, new: String },
    /// Another 4xx: the OMS refused the request itself.
    #[error("OMS refused the request at {url} ({status}): {message}")]
    Refused {
        url: String,
        status: u16,
        message: String,
    },
    /// The answer exceeds `sync.max_response_mb`; nothing of it was used.
    #[error("OMS answer from {url} is larger than {limit} bytes; refused")]
    TooLarge { url: String, limit: u64 },
    /// A redirect to another host or scheme (the token would leak), or a bare 3xx.
    #[error("OMS at {url} redirected: {detail}")]
    Redirect { url: String, detail: String },
    /// Malformed, truncated or inconsistent JSON.
    #[error("bad answer from {url}: {detail}")]
    BadResponse { url: String, detail: String },
    /// The OMS speaks an API version this build does not.
    #[error(
        "OMS at {url} speaks schema version {found}; this device understands {}",
        voxorder_domain::wire::SCHEMA_VERSION
    )]
    UnknownSchema { url: String, found: u32 },
    /// An outbox row whose payload is not JSON (damaged store).
    #[error("outbox command {id} cannot be sent: {detail}")]
    BadCommand { id: i64, detail: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    fn from_reqwest(url: &str, e: &reqwest::Error) -> SyncError {
        let mut detail = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            detail.push_str(": ");
            detail.push_str(&s.to_string());
            src = s.source();
        }
        let url = url.to_string();
        if e.is_redirect() {
            SyncError::Redirect { url, detail }
        } else if e.is_timeout() {
            SyncError::Timeout { url }
        } else if e.is_connect() {
            SyncError::Unreachable { url, detail }
        } else {
            SyncError::Transport { url, detail }
        }
    }

    /// Why one command named by [`SyncError::CommandsRefused`] was set aside, as `sync
    /// status` shows it.
    pub fn command_refusal(status: u16, message: &str) -> String {
        match status {
            403 => "refused by the OMS (403): the order is outside this device's scope".into(),
            409 => "refused by the OMS (409): its idempotency key was used before for a \
                    different command"
                .into(),
            _ => format!("refused by the OMS ({status}): {message}"),
        }
    }

    /// Whether a failed upload counts as an attempt of its commands. An outage, a bad
    /// token or a misconfigured server is nobody's command's fault: those never move a
    /// command towards the dead letters.
    pub fn counts_attempt(&self) -> bool {
        matches!(
            self,
            SyncError::Timeout { .. }
                | SyncError::Transport { .. }
                | SyncError::Server { .. }
                | SyncError::Refused { .. }
                | SyncError::BadResponse { .. }
        )
    }
}

/// The delay before retry `attempt` (1-based): `base · 2^(attempt-1)`, capped at `max`,
/// then "equal jitter" (half fixed, half random) so devices that lost the OMS together
/// do not come back together.
pub fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let d = exp.min(max);
    let half = d / 2;
    half + half.mul_f64(fastrand::f64())
}

/// The time the syncer writes into the store: the device's clock, advancing in real
/// time even when `--now` fixed it (retries must come due).
#[derive(Debug, Clone, Copy)]
pub struct SyncClock {
    clock: Clock,
    started: Instant,
}

impl SyncClock {
    pub fn new(clock: Clock) -> SyncClock {
        SyncClock {
            clock,
            started: Instant::now(),
        }
    }

    pub fn now(&self) -> NaiveDateTime {
        let now = self.clock.now();
        if self.clock.is_fixed() {
            now + chrono::Duration::from_std(self.started.elapsed()).unwrap_or_default()
        } else {
            now
        }
    }
}

/// What one push or pull did, for `voxorder sync --once` and logs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub sent: u64,
    pub batches: u64,
    pub applied: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub orders_refreshed: u64,
    pub orders_removed: u64,
    /// Commands whose upload failed and will be retried.
    pub retrying: u64,
    /// Commands dead-lettered in this run.
    pub dead_lettered: u64,
    pub pages: u64,
    pub orders_pulled: u64,
    pub orders_deferred: u64,
    pub products_pulled: u64,
    pub documents_pulled: u64,
    pub policies_pulled: u64,
    pub announcements: u64,
    pub invalid_entities: u64,
    /// The error that ended the run, if one did.
    pub error: Option<String>,
    /// The OMS asked to be left alone this long (a 503 with `Retry-After`).
    pub retry_after_seconds: Option<u64>,
}

impl SyncReport {
    fn add_settle(&mut self, s: &SettleSummary) {
        self.applied += s.applied;
        self.duplicates += s.duplicates;
        self.rejected += s.rejected;
        self.orders_refreshed += s.orders_refreshed;
        self.orders_removed += s.orders_removed;
    }

    fn add_pull(&mut self, s: &PullSummary) {
        self.orders_pulled += s.orders_written + s.orders_unchanged;
        self.orders_deferred += s.orders_deferred;
        self.products_pulled += s.products;
        self.documents_pulled += s.documents;
        self.policies_pulled += s.policies;
        self.announcements += s.announcements;
    }
}

/// Pushes and pulls for one device store.
pub struct Syncer<C: OmsClient> {
    client: C,
    store: Arc<Mutex<Store>>,
    cfg: SyncConfig,
    clock: SyncClock,
    /// Whether the OMS's answer to "who am I" is recorded (once per syncer).
    identity_known: std::sync::atomic::AtomicBool,
}

impl<C: OmsClient> Syncer<C> {
    /// A syncer with its own connection to the store at `db` (the agent keeps its own;
    /// SQLite's locking and WAL keep them apart).
    pub fn open(client: C, db: &Path, cfg: SyncConfig, clock: Clock) -> Result<Self, SyncError> {
        let store = Store::open(db, OpenMode::Existing)?;
        Ok(Syncer::new(client, store, cfg, clock))
    }

    pub fn new(client: C, store: Store, cfg: SyncConfig, clock: Clock) -> Self {
        Syncer {
            client,
            store: Arc::new(Mutex::new(store)),
            cfg,
            clock: SyncClock::new(clock),
            identity_known: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Runs store work on a blocking thread.
    async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, SyncError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let mut s = store
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut s)
        })
        .await
        .map_err(SyncError::StoreTask)?
        .map_err(SyncError::from)
    }

    fn horizon(&self) -> Duration {
        Duration::from_secs(u64::from(self.cfg.backoff_max_seconds))
    }

    fn delay_fn(&self) -> impl Fn(u32) -> Duration + Send + 'static {
        let base = Duration::from_millis(u64::from(self.cfg.backoff_base_ms));
        let max = self.horizon();
        move |attempt| backoff(attempt, base, max)
    }

    /// Uploads pending commands batch by batch until none is due. `force` sends every
    /// pending command now, backoff or not (an operator's `sync --once`).
    pub async fn push(&self, force: bool, report: &mut SyncReport) -> Result<(), SyncError> {
        let batch_size = self.cfg.push_batch_size as usize;
        loop {
            let now = self.clock.now();
            let horizon = self.horizon();
            let batch = self
                .with_store(move |s| {
                    s.pending_commands(batch_size, (!force).then_some(now), horizon)
                })
                .await?;
            if batch.is_empty() {
                return Ok(());
            }
            report.sent += batch.len() as u64;
            report.batches += 1;
            match self.client.push(&batch).await {
                Ok(settlements) => {
                    let answered: std::collections::HashSet<&str> = settlements
                        .iter()
                        .map(|s| s.idempotency_key.as_str())
                        .collect();
                    let missing: Vec<i64> = batch
                        .iter()
                        .filter(|c| !answered.contains(c.idempotency_key.as_str()))
                        .map(|c| c.id)
                        .collect();
                    let announce = self.cfg.announce_updates;
                    let now = self.clock.now();
                    let sum = self
                        .with_store(move |s| s.settle_outbox(&settlements, announce, now))
                        .await?;
                    report.add_settle(&sum);
                    tracing::info!(
                        sent = batch.len(),
                        applied = sum.applied,
                        duplicates = sum.duplicates,
                        rejected = sum.rejected,
                        "outbox batch settled"
                    );
                    if !missing.is_empty() {
                        let err = SyncError::BadResponse {
                            url: "/v1/commands".into(),
                            detail: format!("{} commands left unanswered", missing.len()),
                        };
                        self.fail(&missing, &err, report).await?;
                        return Err(err);
                    }
                }
                Err(SyncError::CommandsRefused {
                    url,
                    status,
                    message,
                    keys,
                }) if batch.iter().any(|c| keys.contains(&c.idempotency_key)) => {
                    // Sending them again would be refused again, and would hold the
                    // rest of the outbox back with them: they are set aside, the rest
                    // goes in the next batch.
                    let ids: Vec<i64> = batch
                        .iter()
                        .filter(|c| keys.contains(&c.idempotency_key))
                        .map(|c| c.id)
                        .collect();
                    let reason = SyncError::command_refusal(status, &message);
                    let now = self.clock.now();
                    let why = reason.clone();
                    let dead = self
                        .with_store(move |s| s.dead_letter_commands(&ids, &why, now))
                        .await?;
                    report.dead_lettered += dead;
                    tracing::error!(%url, status, dead, %reason, "commands refused by the OMS dead-lettered");
                }
                Err(err) => {
                    let ids: Vec<i64> = batch.iter().map(|c| c.id).collect();
                    self.fail(&ids, &err, report).await?;
                    return Err(err);
                }
            }
        }
    }

    /// Records a failed upload: attempts and backoff where the error counts, the error
    /// itself in any case.
    async fn fail(
        &self,
        ids: &[i64],
        err: &SyncError,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        tracing::warn!(error = %Redacted(&err), commands = ids.len(), "upload failed; the outbox keeps them");
        let msg = err.to_string();
        let now = self.clock.now();
        if err.counts_attempt() {
            let ids = ids.to_vec();
            let max = self.cfg.max_attempts;
            let delay = self.delay_fn();
            let (retrying, dead) = self
                .with_store(move |s| s.record_push_failure(&ids, &msg, now, max, &delay))
                .await?;
            report.retrying += retrying;
            report.dead_lettered += dead;
            if dead > 0 {
                tracing::error!(dead, error = %Redacted(&err), "commands dead-lettered after max attempts");
            }
        } else {
            self.with_store(move |s| s.note_sync_error(&msg, now))
                .await?;
        }
        Ok(())
    }

    /// Downloads the change feed from the stored cursor to its end.
    pub async fn pull(&self, report: &mut SyncReport) -> Result<(), SyncError> {
        let limit = self.cfg.pull_page_size;
        loop {
            let cursor = self
                .with_store(|s| s.sync_cursor())
                .await?
                .unwrap_or_default();
            let page = match self.client.pull(&cursor, limit).await {
                Ok(p) => p,
                Err(err) => {
                    tracing::warn!(error = %Redacted(&err), "pull failed; answering from the cache");
                    let msg = err.to_string();
                    let now = self.clock.now();
                    self.with_store(move |s| s.note_sync_error(&msg, now))
                        .await?;
                    return Err(err);
                }
            };
            report.pages += 1;
            report.invalid_entities += page.invalid;
            let announce = self.cfg.announce_updates;
            let now = self.clock.now();
            let has_more = page.has_more;
            let sum = self
                .with_store(move |s| {
                    let sum = s.apply_pulled(&page.pulled, &page.next_cursor, announce, now)?;
                    if !page.has_more {
                        s.note_pull_complete(now)?;
                    }
                    Ok(sum)
                })
                .await?;
            report.add_pull(&sum);
            if !has_more {
                return Ok(());
            }
        }
    }

    /// One round: push, then pull (so the feed brings back what was just applied).
    /// The error that ended it is in the report; the outbox keeps what was not sent.
    pub async fn round(&self, force: bool) -> SyncReport {
        let mut report = SyncReport::default();
        let result = match self.same_scope().await {
            Ok(()) => match self.push(force, &mut report).await {
                Ok(()) => self.pull(&mut report).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        if result.is_ok() {
            self.learn_identity().await;
        }
        if let Err(e) = result {
            if let SyncError::Busy { retry_after, .. } = &e {
                report.retry_after_seconds = Some(retry_after.as_secs());
            }
            report.error = Some(e.to_string());
        }
        report
    }

    /// Once per syncer, before anything is sent: a store synced for one scope is never
    /// fed from another (a kiosk given another store's token would keep its old feed
    /// position and pull nothing of the new store). An OMS that cannot say who the
    /// device is, or a store never synced, passes.
    async fn same_scope(&self) -> Result<(), SyncError> {
        if self
            .identity_known
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            return Ok(());
        }
        let Some(old) = self.with_store(|s| s.hub_identity()).await? else {
            return Ok(());
        };
        match self.client.device().await {
            Ok(info) if !old.scope.is_empty() && info.scope != old.scope => {
                Err(SyncError::ScopeChanged {
                    old: old.scope,
                    new: info.scope,
                })
            }
            _ => Ok(()),
        }
    }

    /// Once per syncer, after a round that reached the OMS: asks it who this device is
    /// and records the answer with the OMS's address, for `sync status`. An OMS that
    /// cannot say (an older one) changes nothing; sync goes on without it.
    async fn learn_identity(&self) {
        if self
            .identity_known
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            return;
        }
        match self.client.device().await {
            Ok(info) => {
                let url = self.client.endpoint();
                let recorded = self
                    .with_store(move |s| s.record_hub(&url, &info.device_id, &info.scope))
                    .await;
                match recorded {
                    Ok(()) => self
                        .identity_known
                        .store(true, std::sync::atomic::Ordering::Relaxed),
                    Err(e) => {
                        tracing::warn!(error = %Redacted(&e), "cannot record the hub's identity")
                    }
                }
            }
            Err(e) => {
                tracing::debug!(error = %Redacted(&e), "the OMS did not say who this device is")
            }
        }
    }

    /// Rounds every `sync.interval_seconds` until `stop` fires; after a failure the
    /// next round comes after a growing, jittered delay instead.
    pub async fn run(&self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let interval = Duration::from_secs(u64::from(self.cfg.interval_seconds));
        let base = Duration::from_millis(u64::from(self.cfg.backoff_base_ms));
        let mut failures = 0u32;
        loop {
            let report = self.round(false).await;
            let wait = match &report.error {
                None => {
                    failures = 0;
                    // Commands may still be waiting for their backoff: come back for them.
                    let pending = self
                        .with_store(|s| s.pending_outbox_count())
                        .await
                        .unwrap_or(0);
                    if pending > 0 {
                        interval.min(base.max(Duration::from_millis(200)))
                    } else {
                        interval
                    }
                }
                Some(e) => {
                    failures = failures.saturating_add(1);
                    let asked = Duration::from_secs(report.retry_after_seconds.unwrap_or(0));
                    let d = backoff(failures, base, self.horizon()).max(asked.min(self.horizon()));
                    tracing::info!(error = %Redacted(&e), retry_in_ms = d.as_millis() as u64, "sync round failed");
                    d
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
        }
    }
}

/// The bearer token: given explicitly, else from `sync.token_file`, else from
/// `VOXORDER_OMS_TOKEN`.
pub fn resolve_token(cfg: &SyncConfig, explicit: Option<String>) -> Result<String, SyncError> {
    if let Some(t) = explicit.filter(|t| !t.trim().is_empty()) {
        return Ok(t);
    }
    if !cfg.token_file.is_empty() {
        let path = Path::new(&cfg.token_file);
        return voxorder_domain::files::read_text_capped(
            path,
            voxorder_domain::files::SECRETS_FILE_LIMIT,
        )
        .map(|t| t.trim().to_string())
        .map_err(|source| SyncError::TokenFile {
            path: cfg.token_file.clone(),
            source,
        });
    }
    std::env::var(TOKEN_ENV)
        .ok()
        .filter(|t| !t.trim().is_empty())
        .ok_or(SyncError::NoToken)
}

/// The HTTP client for `cfg`, at `url` (overriding `sync.oms_url` when given).
pub fn http_client(
    cfg: &SyncConfig,
    url: Option<&str>,
    token: String,
) -> Result<HttpOmsClient, SyncError> {
    let base_url = url.unwrap_or(&cfg.oms_url).to_string();
    if base_url.is_empty() {
        return Err(SyncError::NoUrl);
    }
    let ca_pem = match cfg.ca_file.trim() {
        "" => None,
        path => Some(
            voxorder_domain::files::read_capped(
                Path::new(path),
                voxorder_domain::files::SECRETS_FILE_LIMIT,
            )
            .map_err(|source| SyncError::CaFile {
                path: path.to_string(),
                source,
            })?,
        ),
    };
    HttpOmsClient::new(&HttpSettings {
        base_url,
        token,
        connect_timeout: Duration::from_millis(u64::from(cfg.connect_timeout_ms)),
        request_timeout: Duration::from_millis(u64::from(cfg.request_timeout_ms)),
        max_response_bytes: u64::from(cfg.max_response_mb) << 20,
        ca_pem,
    })
}

/// A runtime for sync work on the caller's thread.
fn runtime() -> Result<tokio::runtime::Runtime, SyncError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("voxorder-sync")
        .enable_all()
        .build()
        .map_err(|source| SyncError::Start {
            what: "runtime",
            source,
        })
}

/// `voxorder sync --once`: one push (every pending command, backoff or not) and one
/// pull, blocking. The report carries the error that ended it, if any.
pub fn run_once(
    config: &Config,
    db: &Path,
    clock: Clock,
    url: Option<&str>,
    token: Option<String>,
) -> Result<SyncReport, SyncError> {
    let token = resolve_token(&config.sync, token)?;
    let client = http_client(&config.sync, url, token)?;
    let syncer = Syncer::open(client, db, config.sync.clone(), clock)?;
    Ok(runtime()?.block_on(syncer.round(true)))
}

/// `voxorder sync` without `--once`: the background loop in the foreground, until the
/// process is stopped.
pub fn run_forever(
    config: &Config,
    db: &Path,
    clock: Clock,
    url: Option<&str>,
    token: Option<String>,
) -> Result<(), SyncError> {
    let token = resolve_token(&config.sync, token)?;
    let client = http_client(&config.sync, url, token)?;
    let syncer = Syncer::open(client, db, config.sync.clone(), clock)?;
    let (_tx, rx) = tokio::sync::watch::channel(false);
    runtime()?.block_on(syncer.run(rx));
    Ok(())
}

/// The sync loop running beside `chat` or `run`; stops when dropped.
pub struct SyncHandle {
    stop: tokio::sync::watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SyncHandle {
    /// Stops the loop and waits for the round in flight to end.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                tracing::error!("sync thread panicked");
            }
        }
    }
}

impl Drop for SyncHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Starts the background sync for the store at `db` on its own thread, when
/// `sync.oms_url` is set (`Ok(None)` otherwise). The token comes from
/// `sync.token_file` or `VOXORDER_OMS_TOKEN`.
pub fn spawn_background(
    config: &Config,
    db: &Path,
    clock: Clock,
) -> Result<Option<SyncHandle>, SyncError> {
    if config.sync.oms_url.is_empty() {
        return Ok(None);
    }
    let token = resolve_token(&config.sync, None)?;
    let client = http_client(&config.sync, None, token)?;
    let syncer = Syncer::open(client, db, config.sync.clone(), clock)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| SyncError::Start {
            what: "runtime",
            source,
        })?;
    let (tx, rx) = tokio::sync::watch::channel(false);
    let db: PathBuf = db.to_path_buf();
    let thread = std::thread::Builder::new()
        .name("voxorder-sync".into())
        .spawn(move || {
            tracing::info!(store = %db.display(), "background sync started");
            rt.block_on(syncer.run(rx));
        })
        .map_err(|source| SyncError::Start {
            what: "thread",
            source,
        })?;
    Ok(Some(SyncHandle {
        stop: tx,
        thread: Some(thread),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_with_jitter_in_the_upper_half() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(2);
        for attempt in 1..30 {
            let full = (base * 2u32.pow((attempt - 1).min(20))).min(max);
            let d = backoff(attempt, base, max);
            assert!(
                d >= full / 2 && d <= full,
                "attempt {attempt}: {d:?} vs {full:?}"
            );
        }
    }
}

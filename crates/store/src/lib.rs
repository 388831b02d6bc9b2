//! The local order cache on SQLite: the only device crate that runs SQL. Also the demo
//! store generator (`demo`) and the default policy documents (`documents`) every new
//! store starts with.
//!
//! Owns the database file (opening, recognising, migrating, refusing what it cannot
//! trust), and the typed reads and writes every other stage goes through. The schema is
//! a list of numbered migrations in `migrations/`; `PRAGMA user_version` records how far
//! a file has come and `PRAGMA application_id` marks the file as a voxorder store.

mod catalog;
mod changes;
mod conversations;
mod customers;
pub mod demo;
pub mod documents;
mod orders;
mod refusals;
mod sync;
mod verification;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};

pub use catalog::{Household, NewSubscription};
pub use changes::{AppliedChange, OutboxEntry};
pub use conversations::{IntentVolume, Report};
pub use orders::ImportSummary;
pub use sync::{
    DeadLetter, HubIdentity, Outcome, PendingCommand, PullSummary, Pulled, SettleSummary,
    Settlement, SyncStatus,
};
pub use voxorder_domain::records::{
    CustomerRow, Document, NoticeKind, NoticeScope, OrderSummary, Product, PurchasedItem,
    ReturnRecord, Subscription, SubscriptionStatus, SyncNotice,
};
pub use voxorder_domain::verification::{
    decide_check, decide_covering_check, IdentityVerdict, LockKey, LockPolicy, VerificationLock,
};

/// `PRAGMA application_id` of a voxorder store ("VOXR").
pub const APPLICATION_ID: i32 = 0x564F_5852;

/// Migrations in order; index + 1 is the schema version they produce.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_sync.sql"),
    include_str!("migrations/0003_subscription_ref.sql"),
    include_str!("migrations/0004_return_refusals.sql"),
];

/// The schema version this build reads and writes.
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// The page cache of an open store, as SQLite's negative "KiB" form: enough for the hot
/// index pages of a million-order store, small enough for a 1 GB device.
const CACHE_KIB: i64 = -16_384;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No file where a store was expected. Caller: import data first or fix `--db`.
    #[error("no store at {path}: create one with `voxorder import FILE.json --db {path}` or omit --db for the demo store")]
    Missing { path: PathBuf },
    /// The file exists but is not SQLite at all. Caller: give up; never overwrite it.
    #[error("{path} is not a SQLite database (left untouched)")]
    NotADatabase { path: PathBuf },
    /// A SQLite file, but another application's. Caller: give up.
    #[error("{path} is a SQLite database but not a voxorder store (left untouched)")]
    Foreign { path: PathBuf },
    /// The file is damaged. Caller: restore a backup or re-sync; nothing is repaired here.
    #[error("{path} is corrupted ({detail}); restore it from a backup or remove it to re-sync (left untouched)")]
    Corrupt { path: PathBuf, detail: String },
    /// Written by a newer voxorder. Caller: upgrade the binary.
    #[error("{path} has schema version {found}, newer than this build supports ({supported}); upgrade voxorder")]
    NewerSchema {
        path: PathBuf,
        found: i32,
        supported: i32,
    },
    /// Another process holds a write lock past the busy timeout. Caller: retry later.
    #[error("{path} is busy (locked by another process); try again")]
    Busy { path: PathBuf },
    /// The store cannot be written (it was opened read-only, or the file or its directory
    /// is write-protected). Caller: nothing was written; tell the user the change was not
    /// made, and fix the disk or the permissions.
    #[error("{path} cannot be written ({reason}); nothing was changed")]
    ReadOnly { path: PathBuf, reason: String },
    #[error("cannot access {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Sql {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// A stored value no longer parses (written by hand, or by a buggy build).
    #[error("{path}: stored {what} is invalid: {detail}")]
    BadRow {
        path: PathBuf,
        what: String,
        detail: String,
    },
    /// A change or a call names an order, subscription, product, customer or conversation
    /// the store does not hold (`what` says which). Caller: tell the user, or re-sync if
    /// it should exist; nothing was written.
    #[error("no {what} {id} in the store")]
    NotFound { what: &'static str, id: String },
    /// Something with this identity already exists (an order number, a return number, a
    /// conversation id). Caller: take a fresh one (`new_order_number`, `new_return_id`).
    #[error("{what} {id} already exists")]
    AlreadyExists { what: &'static str, id: String },
    /// Cancelling an order that is already cancelled. Caller: tell the user it is.
    #[error("order {order_number} is already cancelled")]
    AlreadyCancelled { order_number: String },
    /// A change (`kind`, the outbox tag) to an order that is cancelled.
    #[error("order {order_number} is cancelled; {kind} refused")]
    OrderCancelled {
        order_number: String,
        kind: &'static str,
    },
    /// A change to a subscription that is cancelled.
    #[error("subscription {id} is cancelled; {kind} refused")]
    SubscriptionCancelled { id: i64, kind: &'static str },
    /// The order is not in the status the change applies to (confirming an order that
    /// is not waiting for confirmation).
    #[error("order {order_number} is {status}; {kind} needs {expected}")]
    WrongStatus {
        order_number: String,
        status: voxorder_domain::order::OrderStatus,
        kind: &'static str,
        expected: voxorder_domain::order::OrderStatus,
    },
    /// A return names a line the order does not have.
    #[error("order {order_number} has no line {line_no}")]
    NoSuchLine { order_number: String, line_no: u32 },
    /// A return asks for more of a line than was bought and not yet returned.
    #[error("order {order_number} line {line_no}: {requested} to return but only {returnable} returnable")]
    ReturnExceedsLine {
        order_number: String,
        line_no: u32,
        requested: u32,
        returnable: u32,
    },
    /// A new order wants more of a product than the cache holds in stock.
    #[error("{sku}: {requested} wanted but {available} in stock")]
    OutOfStock {
        sku: String,
        requested: u32,
        available: i64,
    },
    /// A change or an argument is malformed (`what`: the change kind or the argument).
    /// Caller: a bug upstream or bad input; nothing was written.
    #[error("invalid {what}: {detail}")]
    Invalid { what: &'static str, detail: String },
}

/// Whether opening may create a new store, or fall back to reading only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// The file must already be a voxorder store.
    Existing,
    /// Create and initialise the store if the file does not exist.
    CreateIfMissing,
    /// An existing store, opened read-only when it cannot be written (a full disk, a
    /// read-only filesystem, no write permission), for a conversation that can still
    /// answer look-ups: see [`Store::read_only`].
    ExistingOrReadOnly,
}

/// Tables a conversation writes besides its changes: the conversation and its audit
/// trail, verification failures (and `meta`, where the secret keying them is made on
/// first use), the notices it tells and the returns it refuses. A read-only store keeps them in
/// memory for the process (a `TEMP` table shadows the stored one); `true`: the stored
/// rows are copied in first, so a lock set before still holds and a notice told before
/// is not told again.
const SESSION_TABLES: &[(&str, bool)] = &[
    ("conversations", false),
    ("conversation_events", false),
    ("verification_locks", true),
    ("meta", true),
    ("sync_notices", true),
    ("return_refusals", true),
];

/// An open voxorder store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    rebuild_indexes_from: usize,
    /// Why the store is open read-only, when it is.
    read_only: Option<String>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (and if allowed, creates) the store at `path`, migrating an older schema.
    /// A new store is made by [`Store::create_with`], so it appears whole or not at all.
    pub fn open(path: &Path, mode: OpenMode) -> Result<Store, StoreError> {
        if mode == OpenMode::ExistingOrReadOnly {
            return Store::open_or_read_only(path);
        }
        let path = path.to_path_buf();
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => {
                return Err(StoreError::Io {
                    path,
                    source: std::io::Error::other("is a directory"),
                })
            }
            Ok(m) if m.len() == 0 => {
                // SQLite would silently treat an empty file as a new database; an empty
                // file where a store was named is more likely an accident (or what an
                // older build left when it was killed while creating one).
                return match mode {
                    OpenMode::CreateIfMissing => Store::create_with(&path, |_| Ok(())),
                    _ => Err(StoreError::NotADatabase { path }),
                };
            }
            Ok(_) => check_magic(&path)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return match mode {
                    OpenMode::CreateIfMissing => Store::create_with(&path, |_| Ok(())),
                    _ => Err(StoreError::Missing { path }),
                };
            }
            Err(source) => return Err(StoreError::Io { path, source }),
        }

        let conn = Connection::open(&path).map_err(|e| classify(&path, e))?;
        let mut store = Store::new(conn, path);
        store.init(mode)?;
        Ok(store)
    }

    /// Creates a store at `path` and has `fill` write its first contents, all in a side
    /// file beside it that is moved into place only once it is complete. A process killed
    /// while creating (or a full disk) leaves no store at `path` — never the 0-byte or
    /// half-made file that later commands would call corrupt — and its side file is
    /// removed by the next creation. When another process creates the store meanwhile,
    /// theirs is kept and opened, and ours is dropped. An empty file at `path` is replaced.
    pub fn create_with(
        path: &Path,
        fill: impl FnOnce(&mut Store) -> Result<(), StoreError>,
    ) -> Result<Store, StoreError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Io { path, source }
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        remove_stale_side_files(path);
        let side = side_file(path);
        let made = (|| {
            let conn = Connection::open(&side).map_err(|e| classify(&side, e))?;
            let mut store = Store::new(conn, side.clone());
            store.init(OpenMode::CreateIfMissing)?;
            fill(&mut store)?;
            // Everything into the main file: closing then removes the WAL, and the one
            // file that is moved is the whole store.
            store.checkpoint()
        })();
        if let Err(e) = made {
            remove_with_journal(&side);
            return Err(e);
        }
        let empty_there = std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == 0);
        let published = if empty_there {
            std::fs::rename(&side, path)
        } else {
            // A hard link publishes without replacing: if another process created the
            // store meanwhile, the link fails and theirs stays.
            match std::fs::hard_link(&side, path) {
                Ok(()) => std::fs::remove_file(&side),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    remove_with_journal(&side);
                    Ok(())
                }
                // A filesystem without hard links (FAT on an SD card).
                Err(_) => std::fs::rename(&side, path),
            }
        };
        if let Err(e) = published {
            remove_with_journal(&side);
            return Err(io(path)(e));
        }
        Store::open(path, OpenMode::Existing)
    }

    fn new(conn: Connection, path: PathBuf) -> Store {
        Store {
            conn,
            path,
            rebuild_indexes_from: orders::REBUILD_INDEXES_ORDERS,
            read_only: None,
        }
    }

    /// Why the store is open read-only (a full disk, a write-protected file or
    /// filesystem), or `None` when it can be written. A read-only store answers every
    /// look-up; a change fails with [`StoreError::ReadOnly`] and writes nothing; what a
    /// conversation records about itself (the audit trail, verification failures, the
    /// notices it told) is kept in memory until the process ends and never stored.
    pub fn read_only(&self) -> Option<&str> {
        self.read_only.as_deref()
    }

    /// [`OpenMode::ExistingOrReadOnly`]: the store for writing if it can be written to,
    /// else for reading.
    fn open_or_read_only(path: &Path) -> Result<Store, StoreError> {
        let reason = match Store::open(path, OpenMode::Existing) {
            Ok(mut store) => match store.probe_write() {
                Ok(()) => return Ok(store),
                Err(reason) => reason,
            },
            Err(e) => match cannot_write(&e) {
                Some(reason) => reason,
                None => return Err(e),
            },
        };
        tracing::debug!(store = %path.display(), %reason, "store opened read-only");
        Store::open_read_only(path, reason)
    }

    /// Whether a write gets through: the file can be opened for writing (SQLite quietly
    /// opens a write-protected file read-only) and a commit reaches the disk (a full one
    /// fails it). The write is the store's own application id, written over itself.
    fn probe_write(&mut self) -> Result<(), String> {
        if self.conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            return Err("the file is write-protected".into());
        }
        let probe = |conn: &mut Connection| -> Result<(), rusqlite::Error> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)?;
            tx.commit()
        };
        match probe(&mut self.conn).map_err(|e| classify(&self.path, e)) {
            Ok(()) => Ok(()),
            // Another process writing is no reason to stop writing.
            Err(StoreError::Busy { .. }) => Ok(()),
            Err(e) => Err(cannot_write(&e).unwrap_or_else(|| e.to_string())),
        }
    }

    /// Opens the store for reading only: as SQLite's read-only mode, else (when not even
    /// its shared-memory file can be created, as in a read-only directory) as an
    /// immutable file, which SQLite reads without any lock or side file.
    fn open_read_only(path: &Path, reason: String) -> Result<Store, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut last = None;
        for how in ["mode=ro", "immutable=1"] {
            let uri = format!("file:{}?{how}", uri_path(path));
            let conn = match Connection::open_with_flags(&uri, flags) {
                Ok(conn) => conn,
                Err(e) => {
                    last = Some(classify(path, e));
                    continue;
                }
            };
            let mut store = Store::new(conn, path.to_path_buf());
            store.read_only = Some(reason.clone());
            match store.init(OpenMode::ExistingOrReadOnly) {
                Ok(()) => return Ok(store),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or(StoreError::ReadOnly {
            path: path.to_path_buf(),
            reason,
        }))
    }

    /// Shadows the [`SESSION_TABLES`] with `TEMP` tables of the same definition, which
    /// SQLite finds first for an unqualified name, so a conversation's own records go to
    /// memory while every other write still meets the read-only file and fails.
    fn shadow_session_tables(&self) -> Result<(), StoreError> {
        for (table, copy) in SESSION_TABLES {
            let sql: String = self
                .conn
                .query_row(
                    "SELECT sql FROM main.sqlite_master WHERE type = 'table' AND name = ?1",
                    [table],
                    |r| r.get(0),
                )
                .map_err(|e| self.err(e))?;
            let temp = sql.replacen("CREATE TABLE", "CREATE TEMP TABLE", 1);
            self.conn.execute_batch(&temp).map_err(|e| self.err(e))?;
            if *copy {
                self.conn
                    .execute_batch(&format!(
                        "INSERT INTO temp.{table} SELECT * FROM main.{table}"
                    ))
                    .map_err(|e| self.err(e))?;
            }
        }
        Ok(())
    }

    /// An in-memory store, for tests and benchmarks of the pure logic.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| classify(&path, e))?;
        let mut store = Store::new(conn, path);
        store.init(OpenMode::CreateIfMissing)?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn init(&mut self, mode: OpenMode) -> Result<(), StoreError> {
        self.conn
            .busy_timeout(Duration::from_secs(5))
            .map_err(|e| self.err(e))?;
        self.conn
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| self.err(e))?;
        self.conn
            .pragma_update(None, "cache_size", CACHE_KIB)
            .map_err(|e| self.err(e))?;

        let app_id: i32 = self
            .conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let version: i32 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let objects: i64 = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;

        let fresh = app_id == 0 && version == 0 && objects == 0;
        if fresh && mode == OpenMode::Existing {
            return Err(StoreError::Missing {
                path: self.path.clone(),
            });
        }
        if !fresh && app_id != APPLICATION_ID {
            return Err(StoreError::Foreign {
                path: self.path.clone(),
            });
        }
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: self.path.clone(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }

        if let Some(reason) = &self.read_only {
            if version < SCHEMA_VERSION {
                return Err(StoreError::ReadOnly {
                    path: self.path.clone(),
                    reason: format!(
                        "{reason}; it has schema version {version} and must be migrated to \
                         {SCHEMA_VERSION} before this build can read it"
                    ),
                });
            }
            // The session tables live in memory: on a full disk a temporary file fails.
            self.conn
                .pragma_update(None, "temp_store", "MEMORY")
                .map_err(|e| self.err(e))?;
            return self.shadow_session_tables();
        }

        if self.path.as_os_str() != ":memory:" {
            let mode: String = self
                .conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
                .map_err(|e| self.err(e))?;
            if !mode.eq_ignore_ascii_case("wal") {
                tracing::warn!(journal_mode = %mode, "store is not in WAL mode");
            }
            // WAL with NORMAL sync is durable across process crashes; a power cut can
            // lose the last transactions, which the outbox's at-least-once upload tolerates.
            self.conn
                .pragma_update(None, "synchronous", "NORMAL")
                .map_err(|e| self.err(e))?;
        }

        self.migrate(version)
    }

    fn migrate(&mut self, from: i32) -> Result<(), StoreError> {
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(from.max(0) as usize) {
            let target = i as i32 + 1;
            let tx = self
                .conn
                .transaction()
                .map_err(|e| classify(&self.path, e))?;
            tx.execute_batch(sql).map_err(|e| classify(&self.path, e))?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(|e| classify(&self.path, e))?;
            tx.pragma_update(None, "user_version", target)
                .map_err(|e| classify(&self.path, e))?;
            tx.commit().map_err(|e| classify(&self.path, e))?;
            tracing::info!(schema_version = target, "store migrated");
        }
        Ok(())
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i32, StoreError> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Runs SQLite's full integrity check; `Ok(())` when the file is sound.
    pub fn check_integrity(&self) -> Result<(), StoreError> {
        let result: String = self
            .conn
            .query_row("PRAGMA integrity_check(1)", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if result == "ok" {
            Ok(())
        } else {
            Err(StoreError::Corrupt {
                path: self.path.clone(),
                detail: result,
            })
        }
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Size of the database file and its WAL on disk, in bytes.
    pub fn size_on_disk(&self) -> u64 {
        let mut total = 0;
        for suffix in ["", "-wal"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            total += std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        }
        total
    }

    /// Moves the WAL into the main file (for size figures and backups).
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .map_err(|e| self.err(e))
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        classify(&self.path, e)
    }

    fn bad_row(&self, what: &str, detail: impl Into<String>) -> StoreError {
        StoreError::BadRow {
            path: self.path.clone(),
            what: what.to_string(),
            detail: detail.into(),
        }
    }
}

/// The side file a new store at `path` is made in: `shop.db.partial-<pid>-<n>`, unique to
/// the process and the creation, so two processes creating the same store at once do not
/// write into one file.
fn side_file(path: &Path) -> PathBuf {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!("{SIDE_MARK}{}-{n}", std::process::id()));
    path.with_file_name(name)
}

/// What follows a store's file name in the name of its side files.
const SIDE_MARK: &str = ".partial-";

/// Removes the side files of `path` left by creations whose process is gone (killed while
/// creating). A side file of a live process is another creation in progress and is left.
fn remove_stale_side_files(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    // Whether a process is alive is read from /proc; without it nothing is removed.
    if !Path::new("/proc/self").exists() {
        return;
    }
    let prefix = format!("{}{SIDE_MARK}", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(&prefix) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid {
            if !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// Removes a database file and its WAL and shared-memory files.
fn remove_with_journal(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

fn check_magic(path: &Path) -> Result<(), StoreError> {
    let mut head = [0u8; 16];
    let mut f = std::fs::File::open(path).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    match f.read_exact(&mut head) {
        Ok(()) if &head == SQLITE_MAGIC => Ok(()),
        Ok(()) => Err(StoreError::NotADatabase {
            path: path.to_path_buf(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(StoreError::NotADatabase {
            path: path.to_path_buf(),
        }),
        Err(source) => Err(StoreError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Maps SQLite's error codes onto what a caller can act on.
fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
    let path = path.to_path_buf();
    match &e {
        rusqlite::Error::SqliteFailure(f, msg) => match f.code {
            ErrorCode::DatabaseCorrupt => StoreError::Corrupt {
                path,
                detail: msg.clone().unwrap_or_else(|| "malformed database".into()),
            },
            ErrorCode::NotADatabase => StoreError::NotADatabase { path },
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Busy { path },
            ErrorCode::ReadOnly => StoreError::ReadOnly {
                path,
                reason: msg.clone().unwrap_or_else(|| "it is read-only".into()),
            },
            _ => StoreError::Sql { path, source: e },
        },
        _ => StoreError::Sql { path, source: e },
    }
}

/// Why an error means the store cannot be written (rather than that it is damaged,
/// foreign or busy), in words for the operator; `None` for any other error.
fn cannot_write(e: &StoreError) -> Option<String> {
    use std::io::ErrorKind;
    match e {
        StoreError::ReadOnly { reason, .. } => Some(reason.clone()),
        StoreError::Io { source, .. }
            if matches!(
                source.kind(),
                ErrorKind::PermissionDenied
                    | ErrorKind::ReadOnlyFilesystem
                    | ErrorKind::StorageFull
            ) =>
        {
            Some(source.to_string())
        }
        StoreError::Sql {
            source: rusqlite::Error::SqliteFailure(f, msg),
            ..
        } if matches!(
            f.code,
            ErrorCode::CannotOpen
                | ErrorCode::DiskFull
                | ErrorCode::PermissionDenied
                | ErrorCode::SystemIoFailure
        ) =>
        {
            Some(msg.clone().unwrap_or_else(|| f.to_string()))
        }
        _ => None,
    }
}

/// A path as the file part of an SQLite URI: `%`, `?` and `#` escaped.
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' | '?' | '#' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_store_is_marked_and_at_the_latest_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/store.db");
        let store = Store::open(&path, OpenMode::CreateIfMissing).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        drop(store);
        // Reopening an existing store does not need create.
        let store = Store::open(&path, OpenMode::Existing).unwrap();
        store.check_integrity().unwrap();
    }

    fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Killing the process while it created a store left a 0-byte file that later
    /// commands called corrupt. The store is made beside its place and appears whole.
    #[test]
    fn a_new_store_appears_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        let store = Store::create_with(&path, |s| {
            assert!(!path.exists(), "the store is visible before it is complete");
            s.set_meta("filled", "yes")
        })
        .unwrap();
        assert_eq!(store.meta("filled").unwrap().as_deref(), Some("yes"));
        assert_eq!(store.path(), path);
        drop(store);
        assert_eq!(files_in(dir.path()), vec!["shop.db"]);
        Store::open(&path, OpenMode::Existing)
            .unwrap()
            .check_integrity()
            .unwrap();
    }

    #[test]
    fn an_interrupted_creation_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        let err = Store::create_with(&path, |_| {
            Err(StoreError::Invalid {
                what: "test",
                detail: "stopped half way".into(),
            })
        })
        .unwrap_err();
        assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
        assert!(
            files_in(dir.path()).is_empty(),
            "{:?}",
            files_in(dir.path())
        );
        // What a killed process leaves (its pid is gone) goes with the next creation;
        // a creation in progress in a live process is left alone.
        let dead = format!("shop.db{SIDE_MARK}{}-0", u32::MAX);
        let live = format!("shop.db{SIDE_MARK}{}-99", std::process::id());
        for f in [dead.clone(), format!("{dead}-wal"), live.clone()] {
            std::fs::write(dir.path().join(f), b"half").unwrap();
        }
        drop(Store::open(&path, OpenMode::CreateIfMissing).unwrap());
        assert_eq!(files_in(dir.path()), vec!["shop.db".to_string(), live]);
    }

    #[test]
    fn a_store_another_process_created_meanwhile_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        let store = Store::create_with(&path, |s| {
            let theirs = Store::open(&path, OpenMode::CreateIfMissing)?;
            theirs.set_meta("made_by", "them")?;
            s.set_meta("made_by", "us")
        })
        .unwrap();
        assert_eq!(store.meta("made_by").unwrap().as_deref(), Some("them"));
        drop(store);
        assert_eq!(files_in(dir.path()), vec!["shop.db"]);
    }

    #[test]
    fn an_empty_file_is_refused_for_reading_and_replaced_for_creating() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        std::fs::write(&path, b"").unwrap();
        let err = Store::open(&path, OpenMode::Existing).unwrap_err();
        assert!(matches!(err, StoreError::NotADatabase { .. }), "{err}");
        let store = Store::open(&path, OpenMode::CreateIfMissing).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    }

    /// What a conversation needs from a store that cannot be written: every read, its own
    /// records in memory (with the locks already stored), and a clean refusal of changes.
    #[test]
    fn a_read_only_store_reads_keeps_session_records_in_memory_and_refuses_changes() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 3, 10)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .unwrap();
        let key = || LockKey::Phone("5125550199".into());
        let policy = LockPolicy {
            max_attempts: 2,
            lock_minutes: 30,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        drop(
            Store::create_with(&path, |s| {
                s.set_meta("k", "v")?;
                s.check_identity(&key(), &[], false, now, policy).map(drop)
            })
            .unwrap(),
        );
        let before = std::fs::read(&path).unwrap();

        let mut ro = Store::open_read_only(&path, "the disk is full".into()).unwrap();
        assert_eq!(ro.read_only(), Some("the disk is full"));
        assert_eq!(ro.meta("k").unwrap().as_deref(), Some("v"));
        assert_eq!(ro.verification_lock(&key()).unwrap().unwrap().failures, 1);
        let verdict = ro.check_identity(&key(), &[], false, now, policy).unwrap();
        assert_eq!(
            verdict,
            IdentityVerdict::Failed { locked: true },
            "in memory"
        );
        // A failure that cannot reach the disk locks at once: another process reading
        // the same file would start from the stored count again.
        let other = || LockKey::Order("1234567891234".into());
        let generous = LockPolicy {
            max_attempts: 5,
            lock_minutes: 30,
        };
        assert_eq!(
            ro.check_identity(&other(), &[], false, now, generous)
                .unwrap(),
            IdentityVerdict::Failed { locked: true }
        );
        assert!(matches!(
            ro.check_identity(&other(), &[], true, now, generous)
                .unwrap(),
            IdentityVerdict::Locked
        ));
        ro.start_conversation("c1", "chat", now).unwrap();
        ro.record_conversation_event("c1", now, "turn", None, None, &serde_json::json!({}))
            .unwrap();
        // A change is refused and writes nothing.
        let err = ro
            .upsert_documents(&documents::default_documents(), now)
            .unwrap_err();
        assert!(matches!(err, StoreError::ReadOnly { .. }), "{err}");
        drop(ro);

        assert_eq!(std::fs::read(&path).unwrap(), before);
        let rw = Store::open(&path, OpenMode::Existing).unwrap();
        assert_eq!(rw.read_only(), None);
        assert_eq!(rw.verification_lock(&key()).unwrap().unwrap().failures, 1);
    }

    #[test]
    fn a_writable_store_is_opened_for_writing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        drop(Store::open(&path, OpenMode::CreateIfMissing).unwrap());
        let store = Store::open(&path, OpenMode::ExistingOrReadOnly).unwrap();
        assert_eq!(store.read_only(), None);
        store.set_meta("k", "v").unwrap();
        // A store that is not there is not made up.
        let err = Store::open(&dir.path().join("no.db"), OpenMode::ExistingOrReadOnly);
        assert!(matches!(err, Err(StoreError::Missing { .. })));
    }

    #[test]
    fn missing_store_is_not_created_when_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope.db");
        let err = Store::open(&path, OpenMode::Existing).unwrap_err();
        assert!(matches!(err, StoreError::Missing { .. }), "{err}");
        assert!(!path.exists());
    }

    #[test]
    fn a_text_file_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.db");
        std::fs::write(&path, "just some notes\n").unwrap();
        for mode in [OpenMode::Existing, OpenMode::CreateIfMissing] {
            let err = Store::open(&path, mode).unwrap_err();
            assert!(matches!(err, StoreError::NotADatabase { .. }), "{err}");
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "just some notes\n");
    }

    #[test]
    fn another_applications_sqlite_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        let c = Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
        drop(c);
        let err = Store::open(&path, OpenMode::CreateIfMissing).unwrap_err();
        assert!(matches!(err, StoreError::Foreign { .. }), "{err}");
    }

    #[test]
    fn a_newer_schema_is_refused_without_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        drop(Store::open(&path, OpenMode::CreateIfMissing).unwrap());
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(c);
        let err = Store::open(&path, OpenMode::Existing).unwrap_err();
        match err {
            StoreError::NewerSchema {
                found, supported, ..
            } => {
                assert_eq!(found, SCHEMA_VERSION + 1);
                assert_eq!(supported, SCHEMA_VERSION);
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn meta_values_upsert() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(store.meta("k").unwrap(), None);
        store.set_meta("k", "1").unwrap();
        store.set_meta("k", "2").unwrap();
        assert_eq!(store.meta("k").unwrap().as_deref(), Some("2"));
    }
}

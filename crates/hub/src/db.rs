//! The reference OMS's own SQLite store: every entity (orders, products, documents,
//! policies) as its current JSON with a global sequence number that orders the change
//! feed, the idempotency table of device commands (keyed by device and key, with a hash
//! of each command's body) with the exact result of each, and the returns the OMS has
//! accepted. Every read and command is judged against the
//! device's [`Scope`]: orders carry their store and customer email in columns so the
//! feed and the order list are filtered in SQL.
//!
//! The registry of devices and the hashes of their tokens lives here too (`registry`).
//!
//! This is the server's store, not the device's: the device-side rule "only `store`
//! runs SQL" is kept by the device; the server keeps its SQL here.

mod registry;
pub(crate) use registry::utc_text;
pub use registry::{DeviceRecord, Revocation, TokenLookup};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDateTime;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};

use super::batch::{self, CommandRow, ScopeKeys, StoredCommand, Tx};
use super::scope::Scope;
use voxorder_config::PolicyConfig;
use voxorder_domain::order::{Order, OrderRecord};
use voxorder_domain::records::{Document, Product};
use voxorder_domain::wire::{CommandIn, CommandResult, Stats};

/// `PRAGMA application_id` of a reference OMS store ("VOXO").
pub const APPLICATION_ID: i32 = 0x564F_584F;
/// The schema this build writes; older stores are migrated on open.
const SCHEMA_VERSION: i32 = 6;

/// The first schema. Later versions are reached through [`MIGRATIONS`], by new stores and
/// old ones alike, so there is one path to each version.
const SCHEMA_V1: &str = "
CREATE TABLE entities (
    kind  TEXT NOT NULL,             -- order | product | document | policy
    id    TEXT NOT NULL,
    seq   INTEGER NOT NULL,          -- bumps on every change; orders the feed
    body  TEXT NOT NULL,             -- the entity's current JSON
    PRIMARY KEY (kind, id)
) STRICT;
CREATE UNIQUE INDEX entities_seq ON entities(seq);
-- Every device command ever received, keyed by its idempotency key, with its result.
CREATE TABLE commands (
    idempotency_key  TEXT PRIMARY KEY,
    device_id        TEXT NOT NULL,
    kind             TEXT NOT NULL,
    order_number     TEXT,
    base_version     INTEGER,
    outcome          TEXT NOT NULL,  -- applied | rejected
    reason           TEXT,
    detail           TEXT,
    version_after    INTEGER,
    payload          TEXT NOT NULL,
    received_at      TEXT NOT NULL
) STRICT;
CREATE TABLE returns (
    id            TEXT PRIMARY KEY,
    order_number  TEXT NOT NULL,
    body          TEXT NOT NULL
) STRICT;
CREATE INDEX returns_order ON returns(order_number);
CREATE TABLE counters (
    name   TEXT PRIMARY KEY,
    value  INTEGER NOT NULL
) STRICT;
";

/// Migration `i` takes a store from version `i + 1` to `i + 2`, in one transaction.
type Migration = fn(&Transaction<'_>) -> rusqlite::Result<()>;
const MIGRATIONS: &[Migration] = &[
    scope_columns,
    commands_per_device,
    returns_per_order,
    subscriptions,
    device_registry,
];

/// Version 2: an order's store and customer email as columns, which scope reads filter
/// on (`IN_SCOPE`).
fn scope_columns(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "ALTER TABLE entities ADD COLUMN store TEXT;      -- orders: the shop
         ALTER TABLE entities ADD COLUMN customer TEXT;   -- orders: the customer's email
         UPDATE entities SET store = json_extract(body, '$.store'),
                customer = json_extract(body, '$.customer.email')
          WHERE kind = 'order';",
    )
}

/// Version 3: commands keyed by device and idempotency key, each with the hash of its
/// body, so one device's key never answers for another's and a key reused for a
/// different command is caught.
fn commands_per_device(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE commands_v3 (
            device_id        TEXT NOT NULL,
            idempotency_key  TEXT NOT NULL,
            body_hash        TEXT NOT NULL,  -- command_hash: what the key stands for
            kind             TEXT NOT NULL,
            order_number     TEXT,
            base_version     INTEGER,
            outcome          TEXT NOT NULL,  -- applied | rejected
            reason           TEXT,
            detail           TEXT,
            version_after    INTEGER,
            payload          TEXT NOT NULL,
            received_at      TEXT NOT NULL,
            PRIMARY KEY (device_id, idempotency_key)
        ) STRICT;",
    )?;
    // Key → hash of every command received so far (keys were unique across devices).
    let hashes: Vec<(String, String)> = tx
        .prepare("SELECT idempotency_key, kind, order_number, base_version, payload FROM commands")?
        .query_map([], |r| {
            let payload: String = r.get(4)?;
            let payload: serde_json::Value = serde_json::from_str(&payload).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    4,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?;
            let order_number: Option<String> = r.get(2)?;
            let hash = command_hash(
                &r.get::<_, String>(1)?,
                order_number.as_deref(),
                r.get(3)?,
                &payload,
            );
            Ok((r.get(0)?, hash))
        })?
        .collect::<rusqlite::Result<_>>()?;
    tx.execute(
        "INSERT INTO commands_v3 SELECT device_id, idempotency_key, '', kind, order_number,
            base_version, outcome, reason, detail, version_after, payload, received_at
         FROM commands",
        [],
    )?;
    let mut set = tx.prepare("UPDATE commands_v3 SET body_hash = ?2 WHERE idempotency_key = ?1")?;
    for (key, hash) in hashes {
        set.execute([key, hash])?;
    }
    drop(set);
    tx.execute_batch("DROP TABLE commands; ALTER TABLE commands_v3 RENAME TO commands;")
}

/// Version 4: a return is known by its order and its number, not its number alone.
/// Devices number returns per order (the order's last four digits and a sequence), so
/// two devices' returns of two orders ending alike had the same number and the second
/// was refused; keyed by order, each order's numbers are its own.
fn returns_per_order(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE returns_v4 (
            order_number  TEXT NOT NULL,
            id            TEXT NOT NULL,
            body          TEXT NOT NULL,
            PRIMARY KEY (order_number, id)
        ) STRICT;
        INSERT INTO returns_v4 (order_number, id, body)
            SELECT order_number, id, body FROM returns;
        DROP TABLE returns;
        ALTER TABLE returns_v4 RENAME TO returns;",
    )
}

/// Version 5: the subscriptions the OMS has accepted, by the reference the device that
/// made one gave it, with the customer's email it belongs to (what scope is judged on).
fn subscriptions(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE subscriptions (
            ref       TEXT PRIMARY KEY,
            customer  TEXT NOT NULL,       -- the customer's email, lower-case
            body      TEXT NOT NULL        -- rules::Subscription as JSON
        ) STRICT;
        CREATE INDEX subscriptions_customer ON subscriptions(customer);",
    )
}

/// Version 6: the devices the OMS lets in, each with the SHA-256 of its token (never the
/// token) and its scope as [`Scope`] text. A revoked device keeps its row, so its id and
/// its token's hash cannot be given to another device by mistake.
fn device_registry(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE devices (
            id          TEXT PRIMARY KEY,
            token_hash  BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
            scope       TEXT NOT NULL,       -- Scope's canonical text
            created_at  TEXT NOT NULL,       -- UTC, ISO 8601
            revoked_at  TEXT                 -- UTC; NULL while the device is active
        ) STRICT;",
    )
}

/// What an idempotency key stands for: the SHA-256 (hex) of the command's kind, order,
/// base version and payload, with the payload's object keys in sorted order so that
/// the same command written with its fields in another order is still the same. The
/// device's `created_at` is informative and left out.
pub fn command_hash(
    kind: &str,
    order_number: Option<&str>,
    base_version: Option<i64>,
    payload: &serde_json::Value,
) -> String {
    let mut text = String::new();
    canonical_json(
        &serde_json::json!([kind, order_number, base_version, payload]),
        &mut text,
    );
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// JSON text with every object's keys sorted, whatever order the map keeps them in.
fn canonical_json(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::from(k.as_str()).to_string());
                out.push(':');
                canonical_json(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// [`Scope::covers_keys`] in SQL, over an order row's `store` and `customer`, with the
/// scope as `:everything`, `:stores` and `:customers` ([`scope_params`]).
const IN_SCOPE: &str = "(:everything OR store IN (SELECT value FROM json_each(:stores))
      OR customer IN (SELECT value FROM json_each(:customers)))";

/// A scope as the parameters of [`IN_SCOPE`]: whether it covers everything, and its
/// stores and customers as JSON arrays.
fn scope_params(scope: &Scope) -> (bool, String, String) {
    let list = |items: Vec<&str>| serde_json::to_string(&items).expect("strings serialise");
    (
        scope.is_everything(),
        list(scope.stores().collect()),
        list(scope.customers().collect()),
    )
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OmsDbError {
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
    /// A SQLite file that is not a reference OMS store. Caller: give up; left untouched.
    #[error("{path} is not a reference OMS store (left untouched)")]
    Foreign { path: PathBuf },
    /// A store written by a newer build. Caller: give up; left untouched.
    #[error("{path} has OMS schema version {found}; this build knows up to {SCHEMA_VERSION}")]
    NewerSchema { path: PathBuf, found: i32 },
    /// A stored entity no longer parses (edited by hand, or a buggy build).
    #[error("{path}: stored {what} is invalid: {detail}")]
    BadRow {
        path: PathBuf,
        what: String,
        detail: String,
    },
    /// A `postgres://` address that does not parse. Caller: fix it.
    #[error("the PostgreSQL address does not parse: {detail}")]
    BadTarget { detail: String },
    /// PostgreSQL failed a statement or a connection (`target` never shows a password).
    #[error("{target}: {source}")]
    Postgres {
        target: String,
        source: postgres::Error,
    },
    /// No connection to PostgreSQL within the pool's timeout. Caller: retry later.
    #[error("{target}: no connection: {detail}")]
    Pool { target: String, detail: String },
    /// A PostgreSQL database written by a newer build. Caller: give up; left untouched.
    #[error(
        "{target} has hub schema version {found}; this build knows up to {}",
        crate::pg::SCHEMA_VERSION
    )]
    NewerSchemaAt { target: String, found: i32 },
    /// A PostgreSQL database not migrated to this build's schema. Caller: run
    /// `voxorder oms migrate --database URL`, once, before starting the hubs.
    #[error(
        "{target} has hub schema version {found}, this build needs {want}: run \
         `voxorder oms migrate --database URL` first"
    )]
    SchemaBehind {
        target: String,
        found: i32,
        want: i32,
    },
    /// A row of a PostgreSQL database that no longer parses.
    #[error("{target}: stored {what} is invalid: {detail}")]
    BadRowAt {
        target: String,
        what: String,
        detail: String,
    },
}

impl OmsDbError {
    /// Another process holds the store past the busy timeout, or no connection to
    /// PostgreSQL came in time. Caller: retry later.
    pub fn is_busy(&self) -> bool {
        matches!(self, OmsDbError::Pool { .. })
            || matches!(
                self.sqlite_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            )
    }

    /// The store is not usable as it is: not SQLite, another application's, newer,
    /// corrupted, or holding rows that no longer parse. Caller: give up; restore it.
    pub fn is_damaged(&self) -> bool {
        matches!(
            self,
            OmsDbError::Foreign { .. }
                | OmsDbError::NewerSchema { .. }
                | OmsDbError::BadRow { .. }
                | OmsDbError::NewerSchemaAt { .. }
                | OmsDbError::BadRowAt { .. }
        ) || matches!(
            self.sqlite_code(),
            Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
        )
    }

    /// The store's address or schema is not usable as configured: a `postgres://`
    /// address that does not parse, or a database not migrated yet. Caller: fix the
    /// configuration (`oms migrate`).
    pub fn is_misconfigured(&self) -> bool {
        matches!(
            self,
            OmsDbError::BadTarget { .. } | OmsDbError::SchemaBehind { .. }
        )
    }

    fn sqlite_code(&self) -> Option<rusqlite::ErrorCode> {
        match self {
            OmsDbError::Sql { source, .. } => source.sqlite_error_code(),
            _ => None,
        }
    }
}

/// What a seed import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SeedSummary {
    pub orders_new: u64,
    pub orders_updated: u64,
    pub orders_unchanged: u64,
    pub products: u64,
    pub documents: u64,
    pub policies: u64,
}

/// Data to load into the OMS (`voxorder oms import`).
#[derive(Debug, Clone, Default)]
pub struct Seed {
    pub orders: Vec<Order>,
    pub products: Vec<Product>,
    pub documents: Vec<Document>,
    pub policies: BTreeMap<String, serde_json::Value>,
}

/// One row of the change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRow {
    pub kind: String,
    pub id: String,
    pub seq: i64,
    pub body: String,
}

/// One page of the feed as a device sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPage {
    pub rows: Vec<FeedRow>,
    pub has_more: bool,
    /// Where the next page starts: past the last row, or, on the last page, past
    /// everything the OMS held when it was read, so entities outside the scope are not
    /// scanned again.
    pub next_seq: i64,
}

/// One order as a device asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderRead {
    /// The order's JSON.
    Found(String),
    /// The OMS holds it, outside the device's scope.
    OutOfScope,
    Missing,
}

/// What became of a batch of commands.
#[derive(Debug)]
pub enum BatchOutcome {
    /// One result per command, in the order sent.
    Applied(Vec<CommandResult>),
    /// These commands concern orders outside the device's scope; nothing was applied.
    OutOfScope(Vec<String>),
    /// These keys were used by this device before (or earlier in the batch) for a
    /// different command; nothing was applied.
    KeyReused(Vec<String>),
}

pub struct OmsDb {
    conn: Connection,
    path: PathBuf,
    /// The schema version the file had when opened (0: new), before migrations.
    opened_at: i32,
}

impl std::fmt::Debug for OmsDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OmsDb").field("path", &self.path).finish()
    }
}

impl OmsDb {
    /// Opens or creates the store at `path`.
    pub fn open(path: &Path) -> Result<OmsDb, OmsDbError> {
        let path = path.to_path_buf();
        let sql = |e| OmsDbError::Sql {
            path: path.clone(),
            source: e,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| sql(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
        }
        let mut conn = Connection::open(&path).map_err(sql)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(sql)?;
        let app_id: i32 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(sql)?;
        let objects: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(sql)?;
        if app_id != APPLICATION_ID && !(app_id == 0 && objects == 0) {
            return Err(OmsDbError::Foreign { path });
        }
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))
            .map_err(sql)?;
        // The answer to a device is sent after the commit; FULL makes "applied" survive
        // a power cut as well as a crash.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sql)?;
        let opened_at = if objects == 0 {
            0
        } else {
            conn.pragma_query_value(None, "user_version", |r| r.get(0))
                .map_err(sql)?
        };
        if objects == 0 {
            conn.execute_batch(SCHEMA_V1).map_err(sql)?;
            conn.pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(sql)?;
            conn.pragma_update(None, "user_version", 1).map_err(sql)?;
        }
        let version: i32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(sql)?;
        if version > SCHEMA_VERSION {
            return Err(OmsDbError::NewerSchema {
                path,
                found: version,
            });
        }
        for (i, migrate) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(version - 1).unwrap_or(0))
        {
            let tx = conn.transaction().map_err(sql)?;
            migrate(&tx).map_err(sql)?;
            tx.pragma_update(None, "user_version", i as i32 + 2)
                .map_err(sql)?;
            tx.commit().map_err(sql)?;
        }
        Ok(OmsDb {
            conn,
            path,
            opened_at,
        })
    }

    /// `oms migrate` on a SQLite file: opens (so migrates) it and says from which schema
    /// version to which (0: a new file).
    pub fn migrate_file(path: &Path) -> Result<(i32, i32), OmsDbError> {
        let db = OmsDb::open(path)?;
        Ok((db.opened_at, SCHEMA_VERSION))
    }

    fn sql(&self, e: rusqlite::Error) -> OmsDbError {
        OmsDbError::Sql {
            path: self.path.clone(),
            source: e,
        }
    }

    fn bad(&self, what: impl Into<String>, detail: impl Into<String>) -> OmsDbError {
        OmsDbError::BadRow {
            path: self.path.clone(),
            what: what.into(),
            detail: detail.into(),
        }
    }

    /// Loads seed data in one transaction; a changed order gets a new version and
    /// appears in the feed again (this is how tests ship an order "meanwhile").
    pub fn import(&mut self, seed: &Seed) -> Result<SeedSummary, OmsDbError> {
        let path = self.path.clone();
        let sql = |e| OmsDbError::Sql {
            path: path.clone(),
            source: e,
        };
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql)?;
        let mut w = SqliteTx::new(&tx, &path)?;
        let sum = batch::import(&mut w, seed)?;
        tx.commit().map_err(sql)?;
        Ok(sum)
    }

    /// Entities changed after `after_seq` that `scope` may see (orders in it; products,
    /// documents and policies, which every device needs), oldest change first; at most
    /// `limit`.
    pub fn changes(
        &self,
        after_seq: i64,
        limit: usize,
        scope: &Scope,
    ) -> Result<FeedPage, OmsDbError> {
        // One read transaction: the rows and the end of the feed are the same snapshot.
        let tx = self.conn.unchecked_transaction().map_err(|e| self.sql(e))?;
        let high: i64 = tx
            .query_row("SELECT coalesce(max(seq), 0) FROM entities", [], |r| {
                r.get(0)
            })
            .map_err(|e| self.sql(e))?;
        let (everything, stores, customers) = scope_params(scope);
        let mut stmt = tx
            .prepare_cached(&format!(
                "SELECT kind, id, seq, body FROM entities
                 WHERE seq > :after AND seq <= :high AND (kind <> 'order' OR {IN_SCOPE})
                 ORDER BY seq LIMIT :limit"
            ))
            .map_err(|e| self.sql(e))?;
        let mut rows: Vec<FeedRow> = stmt
            .query_map(
                rusqlite::named_params! {
                    ":after": after_seq, ":high": high, ":limit": limit as i64 + 1,
                    ":everything": everything, ":stores": stores, ":customers": customers,
                },
                |r| {
                    Ok(FeedRow {
                        kind: r.get(0)?,
                        id: r.get(1)?,
                        seq: r.get(2)?,
                        body: r.get(3)?,
                    })
                },
            )
            .and_then(Iterator::collect)
            .map_err(|e| self.sql(e))?;
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        let next_seq = match rows.last() {
            Some(last) if has_more => last.seq,
            _ => high.max(after_seq),
        };
        Ok(FeedPage {
            rows,
            has_more,
            next_seq,
        })
    }

    /// The order's JSON as the OMS holds it (for operators and tests: no scope).
    pub fn order_json(&self, order_number: &str) -> Result<Option<String>, OmsDbError> {
        self.conn
            .prepare_cached("SELECT body FROM entities WHERE kind = 'order' AND id = ?1")
            .and_then(|mut s| s.query_row([order_number], |r| r.get(0)).optional())
            .map_err(|e| self.sql(e))
    }

    /// The order's JSON, if `scope` covers it.
    pub fn order_in_scope(
        &self,
        order_number: &str,
        scope: &Scope,
    ) -> Result<OrderRead, OmsDbError> {
        let row: Option<(String, Option<String>, Option<String>)> = self
            .conn
            .prepare_cached(
                "SELECT body, store, customer FROM entities WHERE kind = 'order' AND id = ?1",
            )
            .and_then(|mut s| {
                s.query_row([order_number], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()
            })
            .map_err(|e| self.sql(e))?;
        Ok(match row {
            None => OrderRead::Missing,
            Some((body, store, customer)) => {
                if scope.covers_keys(store.as_deref(), customer.as_deref()) {
                    OrderRead::Found(body)
                } else {
                    OrderRead::OutOfScope
                }
            }
        })
    }

    /// Orders `scope` covers, by number after `after`, at most `limit`.
    pub fn order_page(
        &self,
        after: &str,
        limit: usize,
        scope: &Scope,
    ) -> Result<Vec<OrderRecord>, OmsDbError> {
        let (everything, stores, customers) = scope_params(scope);
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT id, body FROM entities WHERE kind = 'order' AND id > :after
                   AND {IN_SCOPE}
                 ORDER BY id LIMIT :limit"
            ))
            .map_err(|e| self.sql(e))?;
        let rows: Vec<(String, String)> = stmt
            .query_map(
                rusqlite::named_params! {
                    ":after": after, ":limit": limit as i64,
                    ":everything": everything, ":stores": stores, ":customers": customers,
                },
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .and_then(Iterator::collect)
            .map_err(|e| self.sql(e))?;
        rows.into_iter()
            .map(|(id, body)| {
                serde_json::from_str(&body)
                    .map_err(|e| self.bad(format!("order {id}"), e.to_string()))
            })
            .collect()
    }

    /// Counts for `GET /v1/stats`.
    pub fn stats(&self) -> Result<Stats, OmsDbError> {
        let n = |sql: &str| -> Result<u64, OmsDbError> {
            self.conn
                .query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|v| u64::try_from(v).unwrap_or(0))
                .map_err(|e| self.sql(e))
        };
        Ok(Stats {
            orders: n("SELECT count(*) FROM entities WHERE kind = 'order'")?,
            commands_applied: n("SELECT count(*) FROM commands WHERE outcome = 'applied'")?,
            commands_rejected: n("SELECT count(*) FROM commands WHERE outcome = 'rejected'")?,
            duplicates_answered: n(
                "SELECT coalesce((SELECT value FROM counters WHERE name = 'duplicates'), 0)",
            )?,
        })
    }

    /// The stored outcome of a device's command (`applied` | `rejected`), if it was
    /// received.
    pub fn command_outcome(
        &self,
        device_id: &str,
        key: &str,
    ) -> Result<Option<String>, OmsDbError> {
        self.conn
            .prepare_cached(
                "SELECT outcome FROM commands WHERE device_id = ?1 AND idempotency_key = ?2",
            )
            .and_then(|mut s| s.query_row([device_id, key], |r| r.get(0)).optional())
            .map_err(|e| self.sql(e))
    }

    /// Applies a batch of device commands in one immediate transaction
    /// ([`batch::apply_batch`]): one result per command, or the whole batch refused.
    pub fn apply_batch(
        &mut self,
        device_id: &str,
        scope: &Scope,
        commands: &[CommandIn],
        policy: &PolicyConfig,
        now: NaiveDateTime,
    ) -> Result<BatchOutcome, OmsDbError> {
        let path = self.path.clone();
        let sql = |e| OmsDbError::Sql {
            path: path.clone(),
            source: e,
        };
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql)?;
        let mut w = SqliteTx::new(&tx, &path)?;
        let outcome = batch::apply_batch(&mut w, device_id, scope, commands, policy, now)?;
        // A refused batch wrote nothing; dropping the transaction rolls it back.
        if let BatchOutcome::Applied(_) = outcome {
            tx.commit().map_err(sql)?;
        }
        Ok(outcome)
    }
}

/// One immediate SQLite transaction as the engine-independent code sees it, handing out
/// feed sequence numbers above the highest stored.
struct SqliteTx<'a> {
    tx: &'a Transaction<'a>,
    path: &'a Path,
    next_seq: i64,
}

impl<'a> SqliteTx<'a> {
    fn new(tx: &'a Transaction<'a>, path: &'a Path) -> Result<SqliteTx<'a>, OmsDbError> {
        let max: i64 = tx
            .query_row("SELECT coalesce(max(seq), 0) FROM entities", [], |r| {
                r.get(0)
            })
            .map_err(|e| OmsDbError::Sql {
                path: path.to_path_buf(),
                source: e,
            })?;
        Ok(SqliteTx {
            tx,
            path,
            next_seq: max + 1,
        })
    }

    fn sql(&self, e: rusqlite::Error) -> OmsDbError {
        OmsDbError::Sql {
            path: self.path.to_path_buf(),
            source: e,
        }
    }
}

impl Tx for SqliteTx<'_> {
    fn get(&mut self, kind: &str, id: &str) -> Result<Option<String>, OmsDbError> {
        self.tx
            .prepare_cached("SELECT body FROM entities WHERE kind = ?1 AND id = ?2")
            .and_then(|mut s| s.query_row([kind, id], |r| r.get(0)).optional())
            .map_err(|e| self.sql(e))
    }

    fn put_entity(
        &mut self,
        kind: &str,
        id: &str,
        body: &str,
        (store, customer): &ScopeKeys,
    ) -> Result<(), OmsDbError> {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.tx
            .prepare_cached(
                "INSERT INTO entities (kind, id, seq, body, store, customer)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(kind, id) DO UPDATE SET seq = excluded.seq, body = excluded.body,
                    store = excluded.store, customer = excluded.customer",
            )
            .and_then(|mut s| s.execute(params![kind, id, seq, body, store, customer]))
            .map(drop)
            .map_err(|e| self.sql(e))
    }

    fn scope_keys(&mut self, order_number: &str) -> Result<Option<ScopeKeys>, OmsDbError> {
        self.tx
            .prepare_cached("SELECT store, customer FROM entities WHERE kind = 'order' AND id = ?1")
            .and_then(|mut s| {
                s.query_row([order_number], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(|e| self.sql(e))
    }

    fn customer_has_order_in(&mut self, email: &str, scope: &Scope) -> Result<bool, OmsDbError> {
        let (everything, stores, customers) = scope_params(scope);
        self.tx
            .prepare_cached(&format!(
                "SELECT 1 FROM entities WHERE kind = 'order' AND customer = :email
                   AND {IN_SCOPE} LIMIT 1"
            ))
            .and_then(|mut s| {
                s.exists(rusqlite::named_params! {
                    ":email": email, ":everything": everything, ":stores": stores,
                    ":customers": customers,
                })
            })
            .map_err(|e| self.sql(e))
    }

    fn subscription_body(&mut self, reference: &str) -> Result<Option<String>, OmsDbError> {
        self.tx
            .prepare_cached("SELECT body FROM subscriptions WHERE ref = ?1")
            .and_then(|mut s| s.query_row([reference], |r| r.get(0)).optional())
            .map_err(|e| self.sql(e))
    }

    fn put_subscription(
        &mut self,
        reference: &str,
        customer: &str,
        body: &str,
    ) -> Result<(), OmsDbError> {
        self.tx
            .prepare_cached(
                "INSERT INTO subscriptions (ref, customer, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT(ref) DO UPDATE SET body = excluded.body",
            )
            .and_then(|mut s| s.execute(params![reference, customer, body]))
            .map(drop)
            .map_err(|e| self.sql(e))
    }

    fn return_exists(&mut self, order_number: &str, id: &str) -> Result<bool, OmsDbError> {
        self.tx
            .prepare_cached("SELECT 1 FROM returns WHERE order_number = ?1 AND id = ?2")
            .and_then(|mut s| s.exists([order_number, id]))
            .map_err(|e| self.sql(e))
    }

    fn return_bodies(&mut self, order_number: &str) -> Result<Vec<String>, OmsDbError> {
        self.tx
            .prepare_cached("SELECT body FROM returns WHERE order_number = ?1")
            .and_then(|mut s| s.query_map([order_number], |row| row.get(0))?.collect())
            .map_err(|e| self.sql(e))
    }

    fn insert_return(
        &mut self,
        order_number: &str,
        id: &str,
        body: &str,
    ) -> Result<(), OmsDbError> {
        self.tx
            .prepare_cached("INSERT INTO returns (order_number, id, body) VALUES (?1, ?2, ?3)")
            .and_then(|mut s| s.execute(params![order_number, id, body]))
            .map(drop)
            .map_err(|e| self.sql(e))
    }

    fn stored_hash(&mut self, device_id: &str, key: &str) -> Result<Option<String>, OmsDbError> {
        self.tx
            .prepare_cached(
                "SELECT body_hash FROM commands WHERE device_id = ?1 AND idempotency_key = ?2",
            )
            .and_then(|mut s| s.query_row([device_id, key], |r| r.get(0)).optional())
            .map_err(|e| self.sql(e))
    }

    fn stored_command(
        &mut self,
        device_id: &str,
        key: &str,
    ) -> Result<Option<StoredCommand>, OmsDbError> {
        self.tx
            .prepare_cached(
                "SELECT outcome, reason, detail, order_number FROM commands
                 WHERE device_id = ?1 AND idempotency_key = ?2",
            )
            .and_then(|mut s| {
                s.query_row([device_id, key], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()
            })
            .map_err(|e| self.sql(e))
    }

    fn insert_command(&mut self, c: &CommandRow<'_>) -> Result<(), OmsDbError> {
        self.tx
            .prepare_cached(
                "INSERT INTO commands (idempotency_key, device_id, kind, order_number,
                    base_version, outcome, reason, detail, version_after, payload, received_at,
                    body_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    c.key,
                    c.device_id,
                    c.kind,
                    c.order_number,
                    c.base_version,
                    c.outcome,
                    c.reason,
                    c.detail,
                    c.version_after,
                    c.payload,
                    c.received_at,
                    c.body_hash,
                ])
            })
            .map(drop)
            .map_err(|e| self.sql(e))
    }

    fn add_duplicates(&mut self, n: i64) -> Result<(), OmsDbError> {
        self.tx
            .execute(
                "INSERT INTO counters (name, value) VALUES ('duplicates', ?1)
                 ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
                [n],
            )
            .map(drop)
            .map_err(|e| self.sql(e))
    }

    fn bad(&self, what: String, detail: String) -> OmsDbError {
        OmsDbError::BadRow {
            path: self.path.to_path_buf(),
            what,
            detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::to_json;
    use serde_json::json;
    use voxorder_domain::change::Change;
    use voxorder_domain::wire::CommandOutcome;

    fn order(number: &str, store: Option<&str>, email: &str) -> Order {
        let rec: OrderRecord = serde_json::from_value(json!({
            "order_number": number, "status": "processing", "order_date": "2026-03-01",
            "store": store, "customer": {"name": "Ada Park", "email": email},
            "items": [{"sku": "TEE", "name": "Tee", "qty": 1, "price": 10.0}],
            "subtotal": 10.0, "total": 10.0, "payment": {"method": "card"}
        }))
        .expect("record");
        rec.validate().expect("valid")
    }

    fn now() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 3, 10)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .expect("time")
    }

    /// Two kiosks' stores, a household's customer, and one order of nobody's.
    fn seeded() -> (tempfile::TempDir, OmsDb) {
        let dir = tempfile::tempdir().unwrap();
        let mut db = OmsDb::open(&dir.path().join("oms.db")).unwrap();
        db.import(&Seed {
            orders: vec![
                order("1001", Some("austin-1"), "bo@example.com"),
                order("1002", Some("dallas-2"), "ada@example.com"),
                order("1003", Some("dallas-2"), "cy@example.com"),
                order("1004", None, "di@example.com"),
            ],
            products: vec![Product {
                sku: "TEE".into(),
                name: "Tee".into(),
                category: "apparel".into(),
                family: "tee".into(),
                size: None,
                color: None,
                price_cents: 1000,
                stock: 10,
                final_sale: false,
                personalised: false,
                active: true,
                aliases: Vec::new(),
            }],
            ..Seed::default()
        })
        .unwrap();
        (dir, db)
    }

    fn scope(text: &str) -> Scope {
        text.parse().unwrap()
    }

    fn numbers(db: &OmsDb, s: &Scope) -> Vec<String> {
        db.order_page("", 100, s)
            .unwrap()
            .into_iter()
            .map(|o| o.order_number)
            .collect()
    }

    fn command(key: &str, change: &Change) -> CommandIn {
        CommandIn {
            idempotency_key: key.into(),
            kind: change.kind().into(),
            order_number: change.order_number().map(str::to_string),
            base_version: None,
            payload: serde_json::value::to_raw_value(change).unwrap(),
            created_at: "2026-03-10T09:00:00".into(),
        }
    }

    fn cancel(number: &str) -> Change {
        Change::CancelOrder {
            order_number: number.into(),
            reason: voxorder_domain::vocab::CancelReason::ChangedMind,
        }
    }

    #[test]
    fn the_sql_filter_and_the_scope_rule_agree() {
        let (_dir, db) = seeded();
        for text in [
            "*",
            "store:austin-1",
            "store:dallas-2",
            "customer:ada@example.com",
            "store:austin-1,customer:ada@example.com",
            "store:nowhere",
        ] {
            let s = scope(text);
            let by_rule: Vec<String> = db
                .order_page("", 100, &Scope::everything())
                .unwrap()
                .into_iter()
                .map(|r| r.validate().unwrap())
                .filter(|o| s.covers(o))
                .map(|o| o.order_number)
                .collect();
            assert_eq!(numbers(&db, &s), by_rule, "{text}");
        }
        assert_eq!(numbers(&db, &scope("store:dallas-2")), ["1002", "1003"]);
        assert_eq!(numbers(&db, &scope("customer:ada@example.com")), ["1002"]);
        assert_eq!(numbers(&db, &Scope::everything()).len(), 4);
    }

    #[test]
    fn the_feed_holds_the_scope_and_the_catalog_and_its_cursor_passes_the_rest() {
        let (_dir, db) = seeded();
        let kiosk = scope("store:austin-1");
        let page = db.changes(0, 100, &kiosk).unwrap();
        let ids: Vec<&str> = page.rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["1001", "TEE"]);
        assert!(!page.has_more);
        // The cursor ends past every entity, seen or not: nothing is scanned again.
        assert_eq!(page.next_seq, 5);
        assert!(db
            .changes(page.next_seq, 100, &kiosk)
            .unwrap()
            .rows
            .is_empty());
        // Paged: the cursor stops at the last row given.
        let first = db.changes(0, 1, &Scope::everything()).unwrap();
        assert!(first.has_more);
        assert_eq!(first.next_seq, first.rows[0].seq);

        assert_eq!(
            db.order_in_scope("1002", &kiosk).unwrap(),
            OrderRead::OutOfScope
        );
        assert!(matches!(
            db.order_in_scope("1001", &kiosk).unwrap(),
            OrderRead::Found(_)
        ));
        assert_eq!(
            db.order_in_scope("9999", &kiosk).unwrap(),
            OrderRead::Missing
        );
    }

    #[test]
    fn a_batch_touching_another_scope_is_refused_whole_and_writes_nothing() {
        let (_dir, mut db) = seeded();
        let kiosk = scope("store:austin-1");
        let policy = PolicyConfig::default();
        let batch = [
            command("k-own", &cancel("1001")),
            command("k-other", &cancel("1002")),
            command("k-missing", &cancel("9999")),
        ];
        match db
            .apply_batch("kiosk-1", &kiosk, &batch, &policy, now())
            .unwrap()
        {
            BatchOutcome::OutOfScope(keys) => assert_eq!(keys, ["k-other"]),
            other => panic!("{other:?}"),
        }
        assert_eq!(db.command_outcome("kiosk-1", "k-own").unwrap(), None);
        let own: OrderRecord =
            serde_json::from_str(&db.order_json("1001").unwrap().unwrap()).unwrap();
        assert_eq!(own.status, "processing");

        // Without it, the rest goes through; an order the OMS does not hold is refused
        // as before.
        let rest = [
            command("k-own", &cancel("1001")),
            command("k-missing", &cancel("9999")),
        ];
        let BatchOutcome::Applied(results) = db
            .apply_batch("kiosk-1", &kiosk, &rest, &policy, now())
            .unwrap()
        else {
            panic!("refused")
        };
        assert_eq!(results[0].outcome, CommandOutcome::Applied);
        assert_eq!(results[1].reason.as_deref(), Some("order_not_found"));
    }

    #[test]
    fn a_kiosk_order_is_its_store_and_may_not_land_in_another() {
        let (_dir, mut db) = seeded();
        let policy = PolicyConfig::default();
        let place = |number: &str, store: Option<&str>| {
            let mut rec = OrderRecord::from(&order(number, store, "new@example.com"));
            rec.version = None;
            // Under the free-shipping threshold: standard shipping is charged.
            rec.shipping_cost = 5.99;
            rec.total = 15.99;
            Change::PlaceOrder {
                order: Box::new(rec),
            }
        };
        let kiosk = scope("store:austin-1");
        // Placed, then cancelled in the same batch: the cancel is judged on the new order.
        let batch = [
            command("p1", &place("2001", None)),
            command("c1", &cancel("2001")),
        ];
        let BatchOutcome::Applied(results) = db
            .apply_batch("kiosk-1", &kiosk, &batch, &policy, now())
            .unwrap()
        else {
            panic!("refused")
        };
        assert_eq!(results[0].outcome, CommandOutcome::Applied);
        assert_eq!(results[1].outcome, CommandOutcome::Applied);
        assert_eq!(
            results[0].order.as_ref().unwrap().store.as_deref(),
            Some("austin-1")
        );
        assert_eq!(numbers(&db, &kiosk), ["1001", "2001"]);

        for (key, change) in [
            ("p2", place("2002", Some("dallas-2"))),
            // An existing number of another store is not this kiosk's to learn about.
            ("p3", place("1002", Some("austin-1"))),
        ] {
            assert!(
                matches!(
                    db.apply_batch("kiosk-1", &kiosk, &[command(key, &change)], &policy, now())
                        .unwrap(),
                    BatchOutcome::OutOfScope(_)
                ),
                "{key}"
            );
        }
    }

    fn applied(outcome: BatchOutcome) -> Vec<CommandResult> {
        match outcome {
            BatchOutcome::Applied(results) => results,
            other => panic!("refused: {other:?}"),
        }
    }

    #[test]
    fn a_refused_command_keeps_its_answer_but_not_its_body() {
        let (_dir, mut db) = seeded();
        let policy = PolicyConfig::default();
        let austin = scope("store:austin-1");
        let bad = Change::RescheduleDelivery {
            order_number: "1001".into(),
            date: chrono::NaiveDate::from_ymd_opt(1999, 1, 1).unwrap(),
            slot: Some(voxorder_config::TimeSlot::Morning),
        };
        let first = applied(
            db.apply_batch("kiosk-1", &austin, &[command("r", &bad)], &policy, now())
                .unwrap(),
        );
        assert_eq!(first[0].outcome, CommandOutcome::Rejected);
        let stored: String = db
            .conn
            .query_row(
                "SELECT payload FROM commands WHERE idempotency_key = 'r'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(stored, "null");
        // A retry with the same body gets the same answer; another body under the key is
        // still told apart by its hash.
        let again = applied(
            db.apply_batch("kiosk-1", &austin, &[command("r", &bad)], &policy, now())
                .unwrap(),
        );
        assert_eq!(again[0].outcome, first[0].outcome);
        assert_eq!(again[0].reason, first[0].reason);
        match db
            .apply_batch(
                "kiosk-1",
                &austin,
                &[command("r", &cancel("1001"))],
                &policy,
                now(),
            )
            .unwrap()
        {
            BatchOutcome::KeyReused(keys) => assert_eq!(keys, ["r"]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_key_is_a_duplicate_only_from_the_same_device_with_the_same_body() {
        let (_dir, mut db) = seeded();
        let policy = PolicyConfig::default();
        let austin = scope("store:austin-1");
        let first = applied(
            db.apply_batch(
                "kiosk-1",
                &austin,
                &[command("k", &cancel("1001"))],
                &policy,
                now(),
            )
            .unwrap(),
        );
        assert_eq!(first[0].outcome, CommandOutcome::Applied);

        // The same command again, its payload's fields in another order: a duplicate.
        let mut again = command("k", &cancel("1001"));
        again.payload = serde_json::value::RawValue::from_string(
            r#"{"reason": "changed_mind", "order_number": "1001", "kind": "cancel_order"}"#.into(),
        )
        .unwrap();
        let dup = applied(
            db.apply_batch("kiosk-1", &austin, &[again], &policy, now())
                .unwrap(),
        );
        assert_eq!(dup[0].outcome, CommandOutcome::Duplicate);

        // The same key for another command, alone or after a good one: 409, nothing done.
        let other = Change::RescheduleDelivery {
            order_number: "1001".into(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 3, 20).unwrap(),
            slot: Some(voxorder_config::TimeSlot::Morning),
        };
        let batch = [command("fresh", &cancel("1001")), command("k", &other)];
        match db
            .apply_batch("kiosk-1", &austin, &batch, &policy, now())
            .unwrap()
        {
            BatchOutcome::KeyReused(keys) => assert_eq!(keys, ["k"]),
            other => panic!("{other:?}"),
        }
        assert_eq!(db.command_outcome("kiosk-1", "fresh").unwrap(), None);
        // Twice in one batch with two bodies is the same mistake.
        let twice = [command("t", &cancel("1001")), command("t", &other)];
        assert!(matches!(
            db.apply_batch("kiosk-1", &austin, &twice, &policy, now())
                .unwrap(),
            BatchOutcome::KeyReused(_)
        ));

        // Another device's use of the key is its own command, judged on its own: the
        // first device's answer (and its order) is never shown to it.
        let dallas = scope("store:dallas-2");
        let theirs = applied(
            db.apply_batch(
                "kiosk-2",
                &dallas,
                &[command("k", &cancel("1003"))],
                &policy,
                now(),
            )
            .unwrap(),
        );
        assert_eq!(theirs[0].outcome, CommandOutcome::Applied);
        assert_eq!(theirs[0].order.as_ref().unwrap().order_number, "1003");
        assert_eq!(
            db.command_outcome("kiosk-2", "k").unwrap().as_deref(),
            Some("applied")
        );
        let stats = db.stats().unwrap();
        assert_eq!((stats.commands_applied, stats.duplicates_answered), (2, 1));
    }

    #[test]
    fn a_version_1_store_is_migrated_with_its_orders_scope() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("oms.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA_V1).unwrap();
            conn.pragma_update(None, "application_id", APPLICATION_ID)
                .unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            let o = order("1001", Some("austin-1"), "bo@example.com");
            conn.execute(
                "INSERT INTO entities (kind, id, seq, body) VALUES ('order', '1001', 1, ?1)",
                [to_json(&OrderRecord::from(&o))],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO returns (id, order_number, body) VALUES ('10010001', '1001', '{}')",
                [],
            )
            .unwrap();
            let old = command("k-old", &cancel("1001"));
            conn.execute(
                "INSERT INTO commands (idempotency_key, device_id, kind, order_number,
                    outcome, payload, received_at)
                 VALUES ('k-old', 'kiosk-1', 'cancel_order', '1001', 'applied', ?1, 'then')",
                [old.payload.get()],
            )
            .unwrap();
        }
        let mut db = OmsDb::open(&path).unwrap();
        // A command received before the migration is still answered as a duplicate.
        let again = applied(
            db.apply_batch(
                "kiosk-1",
                &scope("store:austin-1"),
                &[command("k-old", &cancel("1001"))],
                &PolicyConfig::default(),
                now(),
            )
            .unwrap(),
        );
        assert_eq!(again[0].outcome, CommandOutcome::Duplicate);
        assert_eq!(numbers(&db, &scope("store:austin-1")), ["1001"]);
        assert_eq!(numbers(&db, &scope("customer:bo@example.com")), ["1001"]);
        assert!(numbers(&db, &scope("store:dallas-2")).is_empty());
        // Returns are kept, now by order and number.
        let kept: (String, String) = db
            .conn
            .query_row("SELECT order_number, id FROM returns", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(kept, ("1001".to_string(), "10010001".to_string()));
        drop(db);
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(conn);
        assert!(matches!(
            OmsDb::open(&path),
            Err(OmsDbError::NewerSchema { .. })
        ));
    }
}

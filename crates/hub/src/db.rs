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
pub use registry::{DeviceRecord, Revocation, TokenLookup};

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDateTime;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};

use super::rules::{
    apply_to_order, judge_new_order, judge_new_subscription, judge_return,
    judge_subscription_change, Reject, Subscription, SubscriptionState,
};
use super::scope::{Admission, Scope};
use voxorder_config::PolicyConfig;
use voxorder_domain::change::{return_id_belongs, Change, ReturnRequest, SubscriptionAction};
use voxorder_domain::order::{format_datetime, Order, OrderRecord};
use voxorder_domain::records::{Document, Product};
use voxorder_domain::wire::{
    CommandIn, CommandOutcome, CommandResult, Stats, KIND_DOCUMENT, KIND_ORDER, KIND_POLICY,
    KIND_PRODUCT,
};

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
}

impl OmsDbError {
    /// Another process holds the store past the busy timeout. Caller: retry later.
    pub fn is_busy(&self) -> bool {
        matches!(
            self.sqlite_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }

    /// The store is not usable as it is: not SQLite, another application's, newer,
    /// corrupted, or holding rows that no longer parse. Caller: give up; restore it.
    pub fn is_damaged(&self) -> bool {
        matches!(
            self,
            OmsDbError::Foreign { .. } | OmsDbError::NewerSchema { .. } | OmsDbError::BadRow { .. }
        ) || matches!(
            self.sqlite_code(),
            Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
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
        Ok(OmsDb { conn, path })
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
        let tx = self.conn.transaction().map_err(|e| OmsDbError::Sql {
            path: path.clone(),
            source: e,
        })?;
        let mut w = Writer::new(&tx, &path)?;
        let mut sum = SeedSummary::default();
        for order in &seed.orders {
            match w.order(&order.order_number)? {
                None => {
                    w.put_order(order)?;
                    sum.orders_new += 1;
                }
                Some(old) => {
                    let mut new = order.clone();
                    new.version = old.version;
                    if old == new {
                        sum.orders_unchanged += 1;
                        continue;
                    }
                    new.version = (old.version + 1).max(order.version);
                    w.put_order(&new)?;
                    sum.orders_updated += 1;
                }
            }
        }
        for p in &seed.products {
            w.put(KIND_PRODUCT, &p.sku, &to_json(p))?;
            sum.products += 1;
        }
        for d in &seed.documents {
            w.put(KIND_DOCUMENT, &d.id, &to_json(d))?;
            sum.documents += 1;
        }
        for (key, value) in &seed.policies {
            w.put(KIND_POLICY, key, &value.to_string())?;
            sum.policies += 1;
        }
        tx.commit()
            .map_err(|e| OmsDbError::Sql { path, source: e })?;
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

    /// Applies a batch of device commands in one transaction, in the order given, and
    /// returns one result per command. A key this device sent before with the same body
    /// is answered from the idempotency table and changes nothing; another device's
    /// keys are never looked at. A batch with any command about an order outside
    /// `scope`, or reusing a key for a different body, is refused whole before anything
    /// is written.
    pub fn apply_batch(
        &mut self,
        device_id: &str,
        scope: &Scope,
        commands: &[CommandIn],
        policy: &PolicyConfig,
        now: NaiveDateTime,
    ) -> Result<BatchOutcome, OmsDbError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| OmsDbError::Sql {
                path: path.clone(),
                source: e,
            })?;
        let mut w = Writer::new(&tx, &path)?;
        let Admitted {
            changes,
            hashes,
            outside,
            reused,
        } = w.admit(device_id, commands, scope)?;
        // Dropping the transaction rolls it back; nothing was written anyway.
        if !outside.is_empty() {
            return Ok(BatchOutcome::OutOfScope(outside));
        }
        if !reused.is_empty() {
            return Ok(BatchOutcome::KeyReused(reused));
        }
        let now_s = format_datetime(now);
        let mut results = Vec::with_capacity(commands.len());
        let mut duplicates = 0i64;
        for ((cmd, change), hash) in commands.iter().zip(changes).zip(hashes) {
            let stored: Option<StoredCommand> = tx
                .prepare_cached(
                    "SELECT outcome, reason, detail, order_number FROM commands
                     WHERE device_id = ?1 AND idempotency_key = ?2",
                )
                .and_then(|mut s| {
                    s.query_row([device_id, &cmd.idempotency_key], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                    })
                    .optional()
                })
                .map_err(|e| w.sql(e))?;
            if let Some((outcome, reason, detail, order_number)) = stored {
                duplicates += 1;
                let order = match &order_number {
                    Some(n) => w.order(n)?.map(|o| OrderRecord::from(&o)),
                    None => None,
                };
                results.push(CommandResult {
                    idempotency_key: cmd.idempotency_key.clone(),
                    outcome: if outcome == "applied" {
                        CommandOutcome::Duplicate
                    } else {
                        CommandOutcome::Rejected
                    },
                    reason,
                    detail,
                    order,
                });
                continue;
            }
            let order_number = concerned_order(&change, cmd);
            let verdict = match change {
                Ok(c) => w.apply(&c, policy, now),
                Err(r) => Ok(Err(r)),
            }?;
            let (outcome, reason, detail) = match &verdict {
                Ok(()) => (CommandOutcome::Applied, None, None),
                Err(r) => (
                    CommandOutcome::Rejected,
                    Some(r.reason.to_string()),
                    Some(r.detail.clone()),
                ),
            };
            let order = match &order_number {
                Some(n) => w.order(n)?,
                None => None,
            };
            tx.prepare_cached(
                "INSERT INTO commands (idempotency_key, device_id, kind, order_number,
                    base_version, outcome, reason, detail, version_after, payload, received_at,
                    body_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    cmd.idempotency_key,
                    device_id,
                    cmd.kind,
                    order_number,
                    cmd.base_version,
                    if outcome == CommandOutcome::Applied {
                        "applied"
                    } else {
                        "rejected"
                    },
                    reason,
                    detail,
                    order.as_ref().map(|o| o.version),
                    // A refused command changed nothing: its outcome and body hash answer
                    // a retry, and keeping its body would let one device token fill the
                    // hub's disk with refusals.
                    if outcome == CommandOutcome::Applied {
                        cmd.payload.get()
                    } else {
                        "null"
                    },
                    now_s,
                    hash,
                ])
            })
            .map_err(|e| w.sql(e))?;
            results.push(CommandResult {
                idempotency_key: cmd.idempotency_key.clone(),
                outcome,
                reason,
                detail,
                order: order.as_ref().map(OrderRecord::from),
            });
        }
        if duplicates > 0 {
            tx.execute(
                "INSERT INTO counters (name, value) VALUES ('duplicates', ?1)
                 ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
                [duplicates],
            )
            .map_err(|e| w.sql(e))?;
        }
        tx.commit()
            .map_err(|e| OmsDbError::Sql { path, source: e })?;
        Ok(BatchOutcome::Applied(results))
    }
}

/// A received command's outcome, reason, detail and order number.
type StoredCommand = (String, Option<String>, Option<String>, Option<String>);

/// A command's change, or why it cannot be one: a payload that does not parse, names
/// another kind, or carries a field the domain's validation refuses.
fn parse_command(cmd: &CommandIn) -> Result<Change, Reject> {
    serde_json::from_str(cmd.payload.get())
        .map_err(|e| Reject::new("invalid_command", format!("payload: {e}")))
        .and_then(|c: Change| {
            if c.kind() == cmd.kind {
                Ok(c)
            } else {
                Err(Reject::new(
                    "invalid_command",
                    format!("kind {:?} but the payload is {}", cmd.kind, c.kind()),
                ))
            }
        })
        .and_then(|c| match c.check() {
            Ok(()) => Ok(c),
            Err(e) => Err(Reject::new("invalid_command", e.to_string())),
        })
}

/// The order a command is about (and its answer shows): the change's, else the one the
/// command names.
fn concerned_order(change: &Result<Change, Reject>, cmd: &CommandIn) -> Option<String> {
    change
        .as_ref()
        .ok()
        .and_then(|c| c.order_number().map(str::to_string))
        .or_else(|| cmd.order_number.clone())
}

/// An order's store and customer email: what scope is judged on.
type ScopeKeys = (Option<String>, Option<String>);

/// A batch judged before anything is applied.
struct Admitted {
    /// One per command, in order.
    changes: Vec<Result<Change, Reject>>,
    /// One per command: its [`command_hash`].
    hashes: Vec<String>,
    /// Keys of the commands about orders outside the device's scope.
    outside: Vec<String>,
    /// Keys this device used before for a different command.
    reused: Vec<String>,
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("entities always serialise")
}

/// Writes inside one transaction, handing out feed sequence numbers.
struct Writer<'a> {
    tx: &'a Transaction<'a>,
    path: &'a Path,
    next_seq: i64,
}

impl<'a> Writer<'a> {
    fn new(tx: &'a Transaction<'a>, path: &'a Path) -> Result<Writer<'a>, OmsDbError> {
        let max: i64 = tx
            .query_row("SELECT coalesce(max(seq), 0) FROM entities", [], |r| {
                r.get(0)
            })
            .map_err(|e| OmsDbError::Sql {
                path: path.to_path_buf(),
                source: e,
            })?;
        Ok(Writer {
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

    fn bad(&self, what: String, detail: String) -> OmsDbError {
        OmsDbError::BadRow {
            path: self.path.to_path_buf(),
            what,
            detail,
        }
    }

    /// Writes a product, document or policy.
    fn put(&mut self, kind: &str, id: &str, body: &str) -> Result<(), OmsDbError> {
        self.put_entity(kind, id, body, &(None, None))
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

    /// The store and customer of an order the OMS holds.
    fn scope_keys(&self, order_number: &str) -> Result<Option<ScopeKeys>, OmsDbError> {
        self.tx
            .prepare_cached("SELECT store, customer FROM entities WHERE kind = 'order' AND id = ?1")
            .and_then(|mut s| {
                s.query_row([order_number], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(|e| self.sql(e))
    }

    /// Parses a batch and judges it: the changes to apply; the keys of the commands
    /// about orders outside `scope` (the order as the OMS holds it now, or a new order as
    /// placed, counting orders placed earlier in the batch); and the keys the device
    /// already used for another body. A new order that names no store is given the
    /// device's only store ([`Scope::admit_new`]).
    fn admit(
        &self,
        device_id: &str,
        commands: &[CommandIn],
        scope: &Scope,
    ) -> Result<Admitted, OmsDbError> {
        let mut changes = Vec::with_capacity(commands.len());
        let mut hashes = Vec::with_capacity(commands.len());
        let mut outside = Vec::new();
        let mut reused = Vec::new();
        let mut placed: HashMap<String, ScopeKeys> = HashMap::new();
        let mut in_batch: HashMap<&str, String> = HashMap::new();
        // Subscriptions made earlier in the batch: reference → customer.
        let mut subscribed: HashMap<String, String> = HashMap::new();
        for cmd in commands {
            // The handler bounds a payload's depth far below the parser's limit; should one
            // still not parse, the command is refused below like any malformed payload.
            let payload: serde_json::Value =
                serde_json::from_str(cmd.payload.get()).unwrap_or(serde_json::Value::Null);
            let hash = command_hash(
                &cmd.kind,
                cmd.order_number.as_deref(),
                cmd.base_version,
                &payload,
            );
            let earlier = match self.stored_hash(device_id, &cmd.idempotency_key)? {
                Some(stored) => Some(stored),
                None => in_batch.get(cmd.idempotency_key.as_str()).cloned(),
            };
            if earlier.is_some_and(|h| h != hash) {
                reused.push(cmd.idempotency_key.clone());
            }
            in_batch
                .entry(cmd.idempotency_key.as_str())
                .or_insert_with(|| hash.clone());
            hashes.push(hash);
            let mut change = parse_command(cmd);
            let held = match concerned_order(&change, cmd) {
                Some(n) => match placed.get(&n) {
                    Some(keys) => Some(keys.clone()),
                    None => self.scope_keys(&n)?,
                },
                None => None,
            };
            let allowed = match (&mut change, held) {
                (_, Some((store, customer))) => {
                    scope.covers_keys(store.as_deref(), customer.as_deref())
                }
                (
                    Ok(Change::CreateSubscription {
                        customer_email: Some(email),
                        subscription_ref,
                        ..
                    }),
                    None,
                ) => {
                    let email = email.to_lowercase();
                    if let Some(r) = subscription_ref {
                        subscribed.insert(r.clone(), email.clone());
                    }
                    self.customer_in_scope(&email, scope)?
                }
                (
                    Ok(Change::UpdateSubscription {
                        subscription_ref: Some(r),
                        ..
                    }),
                    None,
                ) => match subscribed.get(r.as_str()) {
                    Some(email) => self.customer_in_scope(email, scope)?,
                    None => match self.subscription(r)? {
                        Some(sub) => self.customer_in_scope(&sub.customer_email, scope)?,
                        // Refused as unknown below.
                        None => true,
                    },
                },
                (Ok(Change::PlaceOrder { order }), None) => match order.validate() {
                    // Refused as invalid below; it shows nothing of anyone's.
                    Err(_) => true,
                    Ok(new) => match scope.admit_new(&new) {
                        Admission::Refused => false,
                        admission => {
                            let store = match admission {
                                Admission::InStore(store) => {
                                    order.store = Some(store.clone());
                                    Some(store)
                                }
                                _ => new.store.clone(),
                            };
                            placed.insert(new.order_number, (store, new.customer.email));
                            true
                        }
                    },
                },
                // No order, or one the OMS does not hold: nobody's data to see.
                _ => true,
            };
            if !allowed {
                outside.push(cmd.idempotency_key.clone());
            }
            changes.push(change);
        }
        Ok(Admitted {
            changes,
            hashes,
            outside,
            reused,
        })
    }

    /// Whether a customer (by email) is the device's: one of the customers it serves,
    /// or a customer with an order in its scope (a kiosk's shoppers).
    fn customer_in_scope(&self, email: &str, scope: &Scope) -> Result<bool, OmsDbError> {
        if scope.covers_keys(None, Some(email)) {
            return Ok(true);
        }
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

    /// A subscription the OMS holds, by its reference.
    fn subscription(&self, reference: &str) -> Result<Option<Subscription>, OmsDbError> {
        let body: Option<String> = self
            .tx
            .prepare_cached("SELECT body FROM subscriptions WHERE ref = ?1")
            .and_then(|mut s| s.query_row([reference], |r| r.get(0)).optional())
            .map_err(|e| self.sql(e))?;
        body.map(|b| {
            serde_json::from_str(&b)
                .map_err(|e| self.bad(format!("subscription {reference}"), e.to_string()))
        })
        .transpose()
    }

    fn put_subscription(&self, reference: &str, sub: &Subscription) -> Result<(), OmsDbError> {
        self.tx
            .prepare_cached(
                "INSERT INTO subscriptions (ref, customer, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT(ref) DO UPDATE SET body = excluded.body",
            )
            .and_then(|mut s| s.execute(params![reference, sub.customer_email, to_json(sub)]))
            .map(drop)
            .map_err(|e| self.sql(e))
    }

    /// A new subscription, judged by [`judge_new_subscription`].
    fn create_subscription(
        &mut self,
        change: &Change,
        policy: &PolicyConfig,
        now: NaiveDateTime,
    ) -> Result<Result<(), Reject>, OmsDbError> {
        let Change::CreateSubscription {
            customer_email,
            subscription_ref,
            sku,
            qty,
            frequency_days,
            next_date,
            ..
        } = change
        else {
            return Ok(Err(Reject::new(
                "invalid_command",
                "not a new subscription",
            )));
        };
        let (Some(email), Some(reference)) = (customer_email, subscription_ref) else {
            return Ok(Err(Reject::new(
                "invalid_command",
                "a subscription needs its reference and the customer's email",
            )));
        };
        if self.subscription(reference)?.is_some() {
            return Ok(Err(Reject::new(
                "subscription_exists",
                format!("subscription {reference} already exists"),
            )));
        }
        let products = self.products([sku.as_str()])?;
        let sub = Subscription {
            customer_email: email.to_lowercase(),
            sku: sku.clone(),
            qty: *qty,
            frequency_days: *frequency_days,
            next_date: Some(*next_date),
            status: SubscriptionState::Active,
        };
        if let Err(reject) = judge_new_subscription(&sub, &products, &policy.orders, now) {
            return Ok(Err(reject));
        }
        self.put_subscription(reference, &sub)?;
        Ok(Ok(()))
    }

    /// A change to a subscription the OMS holds, judged by [`judge_subscription_change`].
    fn update_subscription(
        &mut self,
        reference: Option<&str>,
        action: &SubscriptionAction,
        policy: &PolicyConfig,
        now: NaiveDateTime,
    ) -> Result<Result<(), Reject>, OmsDbError> {
        let unknown = || {
            Ok(Err(Reject::new(
                "subscription_not_found",
                "the OMS holds no such subscription",
            )))
        };
        let Some(reference) = reference else {
            return unknown();
        };
        let Some(mut sub) = self.subscription(reference)? else {
            return unknown();
        };
        if let Err(reject) = judge_subscription_change(&mut sub, action, &policy.orders, now) {
            return Ok(Err(reject));
        }
        self.put_subscription(reference, &sub)?;
        Ok(Ok(()))
    }

    /// The body hash of a command this device sent before under `key`.
    fn stored_hash(&self, device_id: &str, key: &str) -> Result<Option<String>, OmsDbError> {
        self.tx
            .prepare_cached(
                "SELECT body_hash FROM commands WHERE device_id = ?1 AND idempotency_key = ?2",
            )
            .and_then(|mut s| s.query_row([device_id, key], |r| r.get(0)).optional())
            .map_err(|e| self.sql(e))
    }

    fn get(&self, kind: &str, id: &str) -> Result<Option<String>, OmsDbError> {
        self.tx
            .prepare_cached("SELECT body FROM entities WHERE kind = ?1 AND id = ?2")
            .and_then(|mut s| s.query_row([kind, id], |r| r.get(0)).optional())
            .map_err(|e| self.sql(e))
    }

    fn order(&self, order_number: &str) -> Result<Option<Order>, OmsDbError> {
        let Some(body) = self.get(KIND_ORDER, order_number)? else {
            return Ok(None);
        };
        let what = || format!("order {order_number}");
        let rec: OrderRecord =
            serde_json::from_str(&body).map_err(|e| self.bad(what(), e.to_string()))?;
        rec.validate()
            .map(Some)
            .map_err(|e| self.bad(what(), e.to_string()))
    }

    fn put_order(&mut self, order: &Order) -> Result<(), OmsDbError> {
        self.put_entity(
            KIND_ORDER,
            &order.order_number,
            &to_json(&OrderRecord::from(order)),
            &(order.store.clone(), order.customer.email.clone()),
        )
    }

    /// Applies one command: `Ok(Err(reject))` is a business refusal, `Err` a store
    /// failure (the whole batch is rolled back and the device retries).
    fn apply(
        &mut self,
        change: &Change,
        policy: &PolicyConfig,
        now: NaiveDateTime,
    ) -> Result<Result<(), Reject>, OmsDbError> {
        match change {
            Change::CreateReturn(r) => self.create_return(r, policy, now),
            Change::PlaceOrder { order } => self.place_order(order, policy, now),
            Change::CreateSubscription { .. } => self.create_subscription(change, policy, now),
            Change::UpdateSubscription {
                subscription_ref,
                action,
                ..
            } => self.update_subscription(subscription_ref.as_deref(), action, policy, now),
            // Messages and hand-offs never fail for want of the order.
            Change::Notify { .. } | Change::HandOff { .. } => Ok(Ok(())),
            _ => {
                let number = change.order_number().unwrap_or_default().to_string();
                let Some(mut order) = self.order(&number)? else {
                    return Ok(Err(Reject::new(
                        "order_not_found",
                        format!("no order {number}"),
                    )));
                };
                match apply_to_order(&mut order, change, &policy.orders, now) {
                    Ok(true) => {
                        order.version += 1;
                        self.put_order(&order)?;
                        Ok(Ok(()))
                    }
                    Ok(false) => Ok(Ok(())),
                    Err(r) => Ok(Err(r)),
                }
            }
        }
    }

    /// The catalog's products of these SKUs (the ones it holds).
    fn products<'s>(
        &self,
        skus: impl IntoIterator<Item = &'s str>,
    ) -> Result<BTreeMap<String, Product>, OmsDbError> {
        let mut products = BTreeMap::new();
        for sku in skus {
            if products.contains_key(sku) {
                continue;
            }
            if let Some(body) = self.get(KIND_PRODUCT, sku)? {
                let p: Product = serde_json::from_str(&body)
                    .map_err(|e| self.bad(format!("product {sku}"), e.to_string()))?;
                products.insert(sku.to_string(), p);
            }
        }
        Ok(products)
    }

    fn create_return(
        &mut self,
        r: &ReturnRequest,
        policy: &PolicyConfig,
        now: NaiveDateTime,
    ) -> Result<Result<(), Reject>, OmsDbError> {
        let Some(mut order) = self.order(&r.order_number)? else {
            return Ok(Err(Reject::new(
                "order_not_found",
                format!("no order {}", r.order_number),
            )));
        };
        if !return_id_belongs(&r.order_number, &r.return_id) {
            return Ok(Err(Reject::new(
                "return_id_mismatch",
                format!(
                    "return {} is not a return number of order {}",
                    r.return_id, r.order_number
                ),
            )));
        }
        let exists: bool = self
            .tx
            .prepare_cached("SELECT 1 FROM returns WHERE order_number = ?1 AND id = ?2")
            .and_then(|mut s| s.exists([&r.order_number, &r.return_id]))
            .map_err(|e| self.sql(e))?;
        if exists {
            return Ok(Err(Reject::new(
                "return_exists",
                format!("return {} already exists", r.return_id),
            )));
        }
        let earlier: Vec<String> = self
            .tx
            .prepare_cached("SELECT body FROM returns WHERE order_number = ?1")
            .and_then(|mut s| s.query_map([&r.order_number], |row| row.get(0))?.collect())
            .map_err(|e| self.sql(e))?;
        let mut returned: BTreeMap<u32, u32> = BTreeMap::new();
        for body in &earlier {
            let prev: ReturnRequest = serde_json::from_str(body)
                .map_err(|e| self.bad(format!("a return of {}", r.order_number), e.to_string()))?;
            for l in prev.lines {
                *returned.entry(l.line_no).or_default() += l.qty;
            }
        }
        let products = self.products(r.lines.iter().filter_map(|l| l.exchange_sku.as_deref()))?;
        if let Err(reject) = judge_return(&order, r, &returned, &products, policy, now) {
            return Ok(Err(reject));
        }
        self.tx
            .prepare_cached("INSERT INTO returns (order_number, id, body) VALUES (?2, ?1, ?3)")
            .and_then(|mut s| s.execute(params![r.return_id, r.order_number, to_json(r)]))
            .map_err(|e| self.sql(e))?;
        order.version += 1;
        self.put_order(&order)?;
        Ok(Ok(()))
    }

    fn place_order(
        &mut self,
        rec: &OrderRecord,
        policy: &PolicyConfig,
        now: NaiveDateTime,
    ) -> Result<Result<(), Reject>, OmsDbError> {
        let order = match rec.validate() {
            Ok(o) => o,
            Err(e) => return Ok(Err(Reject::new("invalid_command", e.to_string()))),
        };
        if self.get(KIND_ORDER, &order.order_number)?.is_some() {
            return Ok(Err(Reject::new(
                "order_exists",
                format!("order {} already exists", order.order_number),
            )));
        }
        let mut products = self.products(order.items.iter().map(|i| i.sku.as_str()))?;
        let order = match judge_new_order(order, &products, policy, now) {
            Ok(o) => o,
            Err(reject) => return Ok(Err(reject)),
        };
        // One SKU on two lines takes its stock once, for both.
        let mut wanted: BTreeMap<&str, i64> = BTreeMap::new();
        for item in &order.items {
            *wanted.entry(item.sku.as_str()).or_default() += i64::from(item.qty);
        }
        for (sku, qty) in &wanted {
            let p = products
                .get_mut(*sku)
                .expect("judge_new_order refuses an order with an unknown SKU");
            if p.stock < *qty {
                return Ok(Err(Reject::new(
                    "out_of_stock",
                    format!("{sku}: {qty} wanted but {} in stock", p.stock),
                )));
            }
            p.stock -= qty;
        }
        for p in products.values() {
            self.put(KIND_PRODUCT, &p.sku, &to_json(p))?;
        }
        self.put_order(&order)?;
        Ok(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

//! The reference OMS's own SQLite store: every entity (orders, products, documents,
//! policies) as its current JSON with a global sequence number that orders the change
//! feed, the idempotency table of device commands with the exact result of each, and
//! the returns the OMS has accepted.
//!
//! This is the server's store, not the device's: the device-side rule "only `store`
//! runs SQL" is kept by the device; the server keeps its SQL here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDateTime;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::rules::{apply_to_order, Reject};
use super::wire::{
    CommandIn, CommandOutcome, CommandResult, Stats, KIND_DOCUMENT, KIND_ORDER, KIND_POLICY,
    KIND_PRODUCT,
};
use crate::change::{Change, ReturnRequest};
use crate::config::OrderPolicy;
use crate::order::{format_datetime, Order, OrderRecord, OrderStatus};
use crate::store::{Document, Product};

/// `PRAGMA application_id` of a reference OMS store ("VOXO").
pub const APPLICATION_ID: i32 = 0x564F_584F;
const SCHEMA_VERSION: i32 = 1;

const SCHEMA: &str = "
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
    /// A stored entity no longer parses (edited by hand, or a buggy build).
    #[error("{path}: stored {what} is invalid: {detail}")]
    BadRow {
        path: PathBuf,
        what: String,
        detail: String,
    },
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
        let conn = Connection::open(&path).map_err(sql)?;
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
            conn.execute_batch(SCHEMA).map_err(sql)?;
            conn.pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(sql)?;
            conn.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(sql)?;
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
            let mut rec = OrderRecord::from(order);
            match w.order(&order.order_number)? {
                None => {
                    w.put(KIND_ORDER, &order.order_number, &to_json(&rec))?;
                    sum.orders_new += 1;
                }
                Some(old) => {
                    rec.version = Some(old.version);
                    if OrderRecord::from(&old) == rec {
                        sum.orders_unchanged += 1;
                        continue;
                    }
                    rec.version = Some((old.version + 1).max(order.version));
                    w.put(KIND_ORDER, &order.order_number, &to_json(&rec))?;
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

    /// Entities changed after `after_seq`, oldest change first; at most `limit`, and
    /// whether more follow.
    pub fn changes(
        &self,
        after_seq: i64,
        limit: usize,
    ) -> Result<(Vec<FeedRow>, bool), OmsDbError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT kind, id, seq, body FROM entities WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )
            .map_err(|e| self.sql(e))?;
        let mut rows: Vec<FeedRow> = stmt
            .query_map(params![after_seq, limit as i64 + 1], |r| {
                Ok(FeedRow {
                    kind: r.get(0)?,
                    id: r.get(1)?,
                    seq: r.get(2)?,
                    body: r.get(3)?,
                })
            })
            .and_then(Iterator::collect)
            .map_err(|e| self.sql(e))?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        Ok((rows, more))
    }

    /// The order's JSON as the OMS holds it.
    pub fn order_json(&self, order_number: &str) -> Result<Option<String>, OmsDbError> {
        self.conn
            .prepare_cached("SELECT body FROM entities WHERE kind = 'order' AND id = ?1")
            .and_then(|mut s| s.query_row([order_number], |r| r.get(0)).optional())
            .map_err(|e| self.sql(e))
    }

    /// Orders by number after `after`, at most `limit`.
    pub fn order_page(&self, after: &str, limit: usize) -> Result<Vec<OrderRecord>, OmsDbError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, body FROM entities WHERE kind = 'order' AND id > ?1 ORDER BY id
                 LIMIT ?2",
            )
            .map_err(|e| self.sql(e))?;
        let rows: Vec<(String, String)> = stmt
            .query_map(params![after, limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))
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

    /// The stored outcome of a command (`applied` | `rejected`), if it was received.
    pub fn command_outcome(&self, key: &str) -> Result<Option<String>, OmsDbError> {
        self.conn
            .prepare_cached("SELECT outcome FROM commands WHERE idempotency_key = ?1")
            .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
            .map_err(|e| self.sql(e))
    }

    /// Applies a batch of device commands in one transaction, in the order given, and
    /// returns one result per command. A key seen before is answered from the
    /// idempotency table and changes nothing.
    pub fn apply_batch(
        &mut self,
        device_id: &str,
        commands: &[CommandIn],
        policy: &OrderPolicy,
        now: NaiveDateTime,
    ) -> Result<Vec<CommandResult>, OmsDbError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| OmsDbError::Sql {
                path: path.clone(),
                source: e,
            })?;
        let mut w = Writer::new(&tx, &path)?;
        let now_s = format_datetime(now);
        let mut results = Vec::with_capacity(commands.len());
        let mut duplicates = 0i64;
        for cmd in commands {
            let stored: Option<StoredCommand> = tx
                .prepare_cached(
                    "SELECT outcome, reason, detail, order_number FROM commands
                     WHERE idempotency_key = ?1",
                )
                .and_then(|mut s| {
                    s.query_row([&cmd.idempotency_key], |r| {
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
            let change: Result<Change, Reject> = serde_json::from_str(cmd.payload.get())
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
                });
            let order_number = change
                .as_ref()
                .ok()
                .and_then(|c| c.order_number().map(str::to_string))
                .or_else(|| cmd.order_number.clone());
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
                    base_version, outcome, reason, detail, version_after, payload, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
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
                    cmd.payload.get(),
                    now_s,
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
        Ok(results)
    }
}

/// A received command's outcome, reason, detail and order number.
type StoredCommand = (String, Option<String>, Option<String>, Option<String>);

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

    fn put(&mut self, kind: &str, id: &str, body: &str) -> Result<(), OmsDbError> {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.tx
            .prepare_cached(
                "INSERT INTO entities (kind, id, seq, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(kind, id) DO UPDATE SET seq = excluded.seq, body = excluded.body",
            )
            .and_then(|mut s| s.execute(params![kind, id, seq, body]))
            .map(drop)
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
        self.put(
            KIND_ORDER,
            &order.order_number,
            &to_json(&OrderRecord::from(order)),
        )
    }

    /// Applies one command: `Ok(Err(reject))` is a business refusal, `Err` a store
    /// failure (the whole batch is rolled back and the device retries).
    fn apply(
        &mut self,
        change: &Change,
        policy: &OrderPolicy,
        now: NaiveDateTime,
    ) -> Result<Result<(), Reject>, OmsDbError> {
        match change {
            Change::CreateReturn(r) => self.create_return(r),
            Change::PlaceOrder { order } => self.place_order(order),
            // The reference OMS keeps no subscription ledger of its own: it records
            // the command (in `commands`) for fulfilment to act on.
            Change::CreateSubscription { .. } | Change::UpdateSubscription { .. } => Ok(Ok(())),
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
                match apply_to_order(&mut order, change, policy, now) {
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

    fn create_return(&mut self, r: &ReturnRequest) -> Result<Result<(), Reject>, OmsDbError> {
        let Some(mut order) = self.order(&r.order_number)? else {
            return Ok(Err(Reject::new(
                "order_not_found",
                format!("no order {}", r.order_number),
            )));
        };
        if order.status == OrderStatus::Cancelled {
            return Ok(Err(Reject::new(
                "order_cancelled",
                format!("order {} is cancelled; a return refused", r.order_number),
            )));
        }
        let exists: bool = self
            .tx
            .prepare_cached("SELECT 1 FROM returns WHERE id = ?1")
            .and_then(|mut s| s.exists([&r.return_id]))
            .map_err(|e| self.sql(e))?;
        if exists {
            return Ok(Err(Reject::new(
                "return_exists",
                format!("return {} already exists", r.return_id),
            )));
        }
        if r.lines.is_empty() {
            return Ok(Err(Reject::new(
                "invalid_command",
                "a return without lines",
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
        for line in &r.lines {
            let Some(item) = order.items.get((line.line_no as usize).wrapping_sub(1)) else {
                return Ok(Err(Reject::new(
                    "no_such_line",
                    format!("order {} has no line {}", r.order_number, line.line_no),
                )));
            };
            let left = item
                .qty
                .saturating_sub(returned.get(&line.line_no).copied().unwrap_or(0));
            if line.qty == 0 || line.qty > left {
                return Ok(Err(Reject::new(
                    "return_exceeds_line",
                    format!(
                        "order {} line {}: {} to return but {left} returnable",
                        r.order_number, line.line_no, line.qty
                    ),
                )));
            }
        }
        self.tx
            .prepare_cached("INSERT INTO returns (id, order_number, body) VALUES (?1, ?2, ?3)")
            .and_then(|mut s| s.execute(params![r.return_id, r.order_number, to_json(r)]))
            .map_err(|e| self.sql(e))?;
        order.version += 1;
        self.put_order(&order)?;
        Ok(Ok(()))
    }

    fn place_order(&mut self, rec: &OrderRecord) -> Result<Result<(), Reject>, OmsDbError> {
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
        // One SKU on two lines takes its stock once, for both.
        let mut wanted: BTreeMap<&str, i64> = BTreeMap::new();
        for item in &order.items {
            *wanted.entry(item.sku.as_str()).or_default() += i64::from(item.qty);
        }
        let mut products = Vec::with_capacity(wanted.len());
        for (sku, qty) in wanted {
            let Some(body) = self.get(KIND_PRODUCT, sku)? else {
                return Ok(Err(Reject::new(
                    "unknown_product",
                    format!("no product {sku}"),
                )));
            };
            let mut p: Product = serde_json::from_str(&body)
                .map_err(|e| self.bad(format!("product {sku}"), e.to_string()))?;
            if !p.active {
                return Ok(Err(Reject::new(
                    "product_inactive",
                    format!("{sku} is no longer sold"),
                )));
            }
            if p.stock < qty {
                return Ok(Err(Reject::new(
                    "out_of_stock",
                    format!("{sku}: {qty} wanted but {} in stock", p.stock),
                )));
            }
            p.stock -= qty;
            products.push(p);
        }
        for p in &products {
            self.put(KIND_PRODUCT, &p.sku, &to_json(p))?;
        }
        self.put_order(&order)?;
        Ok(Ok(()))
    }
}

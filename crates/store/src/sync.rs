//! Sync bookkeeping on the device: which outbox commands are due for upload, what the
//! OMS answered (applied, duplicate, rejected and rolled back), retries and dead
//! letters, the change-feed cursor written in the same transaction as the pulled data,
//! and the notices the customer must hear because of sync.
//!
//! The network side is the `voxorder-sync` crate; everything here is one SQLite transaction per
//! step, so a process killed at any point leaves either the old state or the new one.

use std::time::Duration;

use chrono::NaiveDateTime;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::catalog::{upsert_document_row, upsert_product_row};
use super::changes::OutboxRow;
use super::orders::upsert_one;
use super::{classify, Document, Product, Store, StoreError};
use super::{NoticeKind, NoticeScope, SyncNotice};
use voxorder_domain::order::{format_datetime, parse_datetime, Order, OrderStatus};

/// `sync_state` keys.
const CURSOR: &str = "cursor";
const LAST_PULL: &str = "last_pull_at";
const LAST_PUSH: &str = "last_push_at";
const LAST_SUCCESS: &str = "last_success_at";
const LAST_ERROR: &str = "last_error";
const LAST_ERROR_AT: &str = "last_error_at";

/// One outbox command waiting for upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCommand {
    pub id: i64,
    pub idempotency_key: String,
    pub kind: String,
    pub order_number: Option<String>,
    pub base_version: Option<i64>,
    /// The `Change` as stored (JSON text), uploaded as is.
    pub payload: String,
    pub created_at: NaiveDateTime,
    pub attempts: u32,
}

/// What the OMS did with one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// Applied earlier (an upload whose answer was lost); nothing was applied again.
    Duplicate,
    /// Refused: `reason` is a code (`not_cancellable`, …), `detail` a sentence.
    Rejected {
        reason: String,
        detail: String,
    },
}

/// The OMS's answer to one command, with the order as the OMS holds it now.
#[derive(Debug, Clone, PartialEq)]
pub struct Settlement {
    pub idempotency_key: String,
    pub outcome: Outcome,
    /// `None`: the command names no order, or the OMS has no such order.
    pub order: Option<Order>,
}

/// What settling a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SettleSummary {
    pub applied: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// Answers for keys that were not pending (already settled, or unknown).
    pub ignored: u64,
    /// Orders rewritten with the OMS's version once their last command settled.
    pub orders_refreshed: u64,
    /// Orders placed on the device that the OMS refused, removed from the cache.
    pub orders_removed: u64,
}

/// Changes downloaded from the OMS (one page of the feed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pulled {
    pub orders: Vec<Order>,
    pub products: Vec<Product>,
    pub documents: Vec<Document>,
    /// Policy key and its JSON value.
    pub policies: Vec<(String, serde_json::Value)>,
}

/// What writing a page of pulled changes did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PullSummary {
    pub orders_written: u64,
    pub orders_unchanged: u64,
    /// Orders with commands still pending: the device's version is kept until they
    /// settle, when the OMS's answer brings the order back.
    pub orders_deferred: u64,
    pub products: u64,
    pub documents: u64,
    pub policies: u64,
    /// Delivery news queued for a speaker to announce.
    pub announcements: u64,
}

/// The sync state for `voxorder sync status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub pending: u64,
    pub dead_lettered: u64,
    pub applied: u64,
    pub rejected: u64,
    pub oldest_pending_at: Option<String>,
    pub last_success_at: Option<String>,
    pub last_pull_at: Option<String>,
    pub last_push_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    pub cursor: Option<String>,
    /// Seconds since the last complete pull (how fresh the cache is); `None`: never.
    pub data_age_seconds: Option<i64>,
    /// The reasons of the most recent dead letters (newest first, at most 10).
    pub dead_letters: Vec<DeadLetter>,
    /// The hub this device last synced with, as it answered `GET /v1/device`: its
    /// address, the device's id there, and the scope it serves the device.
    pub hub: Option<HubIdentity>,
}

/// Which hub a device belongs to, and as what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HubIdentity {
    pub url: String,
    pub device_id: String,
    pub scope: String,
}

/// The `meta` key of [`HubIdentity`], as JSON.
const HUB_META_KEY: &str = "sync_hub";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadLetter {
    /// The outbox id (`sync requeue --id`).
    pub id: i64,
    pub idempotency_key: String,
    pub kind: String,
    pub order_number: Option<String>,
    pub attempts: u32,
    pub last_error: Option<String>,
}

/// The `due` condition of an outbox row `t`: never tried, its retry time has come, or
/// its retry time lies further ahead than any backoff could put it (the clock was set
/// back since it was written; waiting for it would stall the queue).
fn due(t: &str) -> String {
    format!(
        "(?1 IS NULL OR {t}.next_attempt_at IS NULL OR {t}.next_attempt_at <= ?1
          OR {t}.next_attempt_at > ?2)"
    )
}

fn get_state(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT value FROM sync_state WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()
}

fn set_state(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_state (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])
    .map(drop)
}

fn has_pending(conn: &Connection, order_number: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT 1 FROM outbox WHERE order_number = ?1 AND state = 'pending' LIMIT 1",
    )?
    .exists([order_number])
}

/// Writes the OMS's version of an order; queues an announcement when the order of a
/// household moved into a delivery state. Returns whether the row changed.
fn write_truth(
    conn: &Connection,
    order: &Order,
    announce: bool,
    now: &str,
) -> rusqlite::Result<(bool, bool)> {
    let before: Option<String> = conn
        .prepare_cached("SELECT status FROM orders WHERE order_number = ?1")?
        .query_row([&order.order_number], |r| r.get(0))
        .optional()?;
    let changed = !matches!(
        upsert_one(conn, order, now)?,
        super::orders::Upserted::Unchanged
    );
    let news = matches!(
        order.status,
        OrderStatus::Shipped | OrderStatus::OutForDelivery | OrderStatus::Delivered
    );
    let moved = before.is_some_and(|b| b != order.status.as_str());
    if !(announce && changed && news && moved) {
        return Ok((changed, false));
    }
    let household: Option<(i64, Option<i64>)> = conn
        .prepare_cached(
            "SELECT c.id, c.household_id FROM orders o JOIN customers c ON c.id = o.customer_id
             WHERE o.order_number = ?1",
        )?
        .query_row([&order.order_number], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((customer_id, Some(_))) = household else {
        return Ok((changed, false));
    };
    conn.prepare_cached(
        "INSERT INTO sync_notices (kind, order_number, customer_id, status, announce, created_at)
         VALUES (?1, ?2, ?3, ?4, 1, ?5)",
    )?
    .execute(params![
        NoticeKind::StatusUpdate.as_str(),
        order.order_number,
        customer_id,
        order.status.as_str(),
        now
    ])?;
    Ok((changed, true))
}

impl Store {
    /// Pending commands in upload order (by outbox id), at most `limit`.
    ///
    /// With `now`, only commands due for a try are returned, and a command waits while
    /// an earlier pending command of the same order waits: the OMS sees each order's
    /// commands in the order they were made. `horizon` is the furthest a backoff can
    /// reach; a retry time beyond `now + horizon` counts as due (clock set back).
    /// Without `now` (an operator's `sync --once`) every pending command is returned.
    pub fn pending_commands(
        &self,
        limit: usize,
        now: Option<NaiveDateTime>,
        horizon: Duration,
    ) -> Result<Vec<PendingCommand>, StoreError> {
        let now_s = now.map(format_datetime);
        let far = now
            .map(|n| format_datetime(n + chrono::Duration::from_std(horizon).unwrap_or_default()));
        let sql = format!(
            "SELECT o.id, o.idempotency_key, o.kind, o.order_number, o.base_version, o.payload,
                    o.created_at, o.attempts
             FROM outbox o
             WHERE o.state = 'pending' AND {due_o}
               AND (o.order_number IS NULL OR NOT EXISTS (
                    SELECT 1 FROM outbox p
                    WHERE p.order_number = o.order_number AND p.state = 'pending'
                      AND p.id < o.id AND NOT {due_p}))
             ORDER BY o.id LIMIT ?3",
            due_o = due("o"),
            due_p = due("p"),
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(
                params![now_s, far, i64::try_from(limit).unwrap_or(i64::MAX)],
                OutboxRow::read,
            )
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let row = row.map_err(|e| self.err(e))?;
            out.push(PendingCommand {
                created_at: parse_datetime(&row.created_at)
                    .map_err(|d| self.bad_row(&format!("outbox command {}", row.id), d))?,
                id: row.id,
                idempotency_key: row.idempotency_key,
                kind: row.kind,
                order_number: row.order_number,
                base_version: row.base_version,
                payload: row.payload,
                attempts: row.attempts,
            });
        }
        Ok(out)
    }

    /// An upload of these commands failed (the OMS unreachable, an error status, an
    /// answer that could not be read): each gets one more attempt counted and its next
    /// try at `now + delay(attempts)`; at `max_attempts` it is dead-lettered with the
    /// error kept. Returns (still pending, dead-lettered now).
    pub fn record_push_failure(
        &mut self,
        ids: &[i64],
        error: &str,
        now: NaiveDateTime,
        max_attempts: u32,
        delay: &dyn Fn(u32) -> Duration,
    ) -> Result<(u64, u64), StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| classify(&path, e))?;
        let now_s = format_datetime(now);
        let (mut retrying, mut dead) = (0, 0);
        for id in ids {
            let attempts: Option<u32> = tx
                .prepare_cached("SELECT attempts FROM outbox WHERE id = ?1 AND state = 'pending'")
                .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
                .map_err(|e| classify(&path, e))?;
            let Some(attempts) = attempts.map(|a| a.saturating_add(1)) else {
                continue;
            };
            if attempts >= max_attempts {
                tx.prepare_cached(
                    "UPDATE outbox SET state = 'dead', attempts = ?2, last_error = ?3,
                        settled_at = ?4, next_attempt_at = NULL WHERE id = ?1",
                )
                .and_then(|mut s| s.execute(params![id, attempts, error, now_s]))
                .map_err(|e| classify(&path, e))?;
                dead += 1;
            } else {
                let next = now + chrono::Duration::from_std(delay(attempts)).unwrap_or_default();
                tx.prepare_cached(
                    "UPDATE outbox SET attempts = ?2, last_error = ?3, next_attempt_at = ?4
                     WHERE id = ?1",
                )
                .and_then(|mut s| s.execute(params![id, attempts, error, format_datetime(next)]))
                .map_err(|e| classify(&path, e))?;
                retrying += 1;
            }
        }
        set_state(&tx, LAST_ERROR, error).map_err(|e| classify(&path, e))?;
        set_state(&tx, LAST_ERROR_AT, &now_s).map_err(|e| classify(&path, e))?;
        tx.commit().map_err(|e| classify(&path, e))?;
        Ok((retrying, dead))
    }

    /// The OMS refused these commands by name (outside the device's scope, or a key it
    /// holds for another command): sending them again cannot help, so each is
    /// dead-lettered at once with `reason`, its attempt counted. Its local change stays,
    /// as for any dead letter. Returns how many were dead-lettered.
    pub fn dead_letter_commands(
        &mut self,
        ids: &[i64],
        reason: &str,
        now: NaiveDateTime,
    ) -> Result<u64, StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| classify(&path, e))?;
        let now_s = format_datetime(now);
        let mut dead = 0;
        for id in ids {
            dead += tx
                .prepare_cached(
                    "UPDATE outbox SET state = 'dead', attempts = attempts + 1,
                        last_error = ?2, settled_at = ?3, next_attempt_at = NULL
                     WHERE id = ?1 AND state = 'pending'",
                )
                .and_then(|mut s| s.execute(params![id, reason, now_s]))
                .map_err(|e| classify(&path, e))? as u64;
        }
        set_state(&tx, LAST_ERROR, reason).map_err(|e| classify(&path, e))?;
        set_state(&tx, LAST_ERROR_AT, &now_s).map_err(|e| classify(&path, e))?;
        tx.commit().map_err(|e| classify(&path, e))?;
        Ok(dead)
    }

    /// Puts dead-lettered commands (all, or those with these outbox ids) back in the
    /// queue, due now with their attempts reset, once an operator has fixed what kept
    /// failing. Each keeps its idempotency key, so a command the OMS did apply after all
    /// is answered as a duplicate, never applied twice. Returns how many were requeued.
    pub fn requeue_dead_letters(
        &self,
        ids: Option<&[i64]>,
        now: NaiveDateTime,
    ) -> Result<u64, StoreError> {
        let now_s = format_datetime(now);
        let sql = "UPDATE outbox SET state = 'pending', attempts = 0, settled_at = NULL,
                       next_attempt_at = ?1
                   WHERE state = 'dead' AND (?2 IS NULL OR id = ?2)";
        let mut n = 0;
        match ids {
            None => {
                n += self
                    .conn
                    .execute(sql, params![now_s, Option::<i64>::None])
                    .map_err(|e| self.err(e))? as u64;
            }
            Some(ids) => {
                for id in ids {
                    n += self
                        .conn
                        .execute(sql, params![now_s, Some(*id)])
                        .map_err(|e| self.err(e))? as u64;
                }
            }
        }
        Ok(n)
    }

    /// Records the OMS's answers in one transaction: applied and duplicate commands are
    /// settled; a rejected command is settled as rejected, its local change rolled back
    /// to the OMS's version of the order (a refused new order is removed, a refused
    /// return is marked rejected) and a notice queued for the customer. Once an order has
    /// no pending command left, the OMS's version replaces the device's.
    pub fn settle_outbox(
        &mut self,
        settlements: &[Settlement],
        announce: bool,
        now: NaiveDateTime,
    ) -> Result<SettleSummary, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| classify(&path, e))?;
        let now_s = format_datetime(now);
        let sql = |e| classify(&path, e);
        let mut sum = SettleSummary::default();
        for s in settlements {
            let row: Option<(i64, String, Option<String>, String)> = tx
                .prepare_cached(
                    "SELECT id, kind, order_number, payload FROM outbox
                     WHERE idempotency_key = ?1 AND state = 'pending'",
                )
                .and_then(|mut st| {
                    st.query_row([&s.idempotency_key], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                    })
                    .optional()
                })
                .map_err(sql)?;
            let Some((id, kind, order_number, payload)) = row else {
                sum.ignored += 1;
                continue;
            };
            match &s.outcome {
                Outcome::Applied | Outcome::Duplicate => {
                    tx.prepare_cached(
                        "UPDATE outbox SET state = 'applied', settled_at = ?2, last_error = NULL,
                            next_attempt_at = NULL WHERE id = ?1",
                    )
                    .and_then(|mut st| st.execute(params![id, now_s]))
                    .map_err(sql)?;
                    if s.outcome == Outcome::Applied {
                        sum.applied += 1;
                    } else {
                        sum.duplicates += 1;
                    }
                    if let Some(order) = &s.order {
                        if !has_pending(&tx, &order.order_number).map_err(sql)?
                            && write_truth(&tx, order, announce, &now_s).map_err(sql)?.0
                        {
                            sum.orders_refreshed += 1;
                        }
                    }
                }
                Outcome::Rejected { reason, detail } => {
                    sum.rejected += 1;
                    tx.prepare_cached(
                        "UPDATE outbox SET state = 'rejected', settled_at = ?2, last_error = ?3,
                            next_attempt_at = NULL WHERE id = ?1",
                    )
                    .and_then(|mut st| {
                        st.execute(params![id, now_s, format!("{reason}: {detail}")])
                    })
                    .map_err(sql)?;
                    let customer_id: Option<i64> = match &order_number {
                        Some(n) => tx
                            .prepare_cached(
                                "SELECT customer_id FROM orders WHERE order_number = ?1",
                            )
                            .and_then(|mut st| st.query_row([n], |r| r.get(0)).optional())
                            .map_err(sql)?,
                        None => None,
                    };
                    if kind == "create_return" {
                        let return_id = serde_json::from_str::<serde_json::Value>(&payload)
                            .ok()
                            .and_then(|v| v["return_id"].as_str().map(str::to_string));
                        if let Some(rid) = return_id {
                            tx.execute(
                                "UPDATE returns SET status = 'rejected', updated_at = ?2
                                 WHERE id = ?1",
                                params![rid, now_s],
                            )
                            .map_err(sql)?;
                        }
                    }
                    match (&s.order, &order_number) {
                        // The rollback: the OMS's order is the truth, whatever the device
                        // changed locally.
                        (Some(order), _)
                            if write_truth(&tx, order, announce, &now_s).map_err(sql)?.0 =>
                        {
                            sum.orders_refreshed += 1;
                        }
                        (Some(_), _) => {}
                        (None, Some(n)) if kind == "place_order" => {
                            tx.execute(
                                "DELETE FROM return_items WHERE return_id IN
                                    (SELECT id FROM returns WHERE order_number = ?1)",
                                [n],
                            )
                            .map_err(sql)?;
                            tx.execute("DELETE FROM returns WHERE order_number = ?1", [n])
                                .map_err(sql)?;
                            sum.orders_removed +=
                                tx.execute("DELETE FROM orders WHERE order_number = ?1", [n])
                                    .map_err(sql)? as u64;
                        }
                        _ => {}
                    }
                    let status: Option<&str> = s.order.as_ref().map(|o| o.status.as_str());
                    tx.prepare_cached(
                        "INSERT INTO sync_notices (kind, order_number, customer_id, status,
                            command_kind, reason, detail, idempotency_key, announce, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9)
                         ON CONFLICT(idempotency_key) DO NOTHING",
                    )
                    .and_then(|mut st| {
                        st.execute(params![
                            NoticeKind::Rejected.as_str(),
                            order_number,
                            customer_id,
                            status,
                            kind,
                            reason,
                            detail,
                            s.idempotency_key,
                            now_s
                        ])
                    })
                    .map_err(sql)?;
                }
            }
        }
        set_state(&tx, LAST_PUSH, &now_s).map_err(sql)?;
        set_state(&tx, LAST_SUCCESS, &now_s).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(sum)
    }

    /// Writes one page of pulled changes and the cursor after it, in one transaction:
    /// the cursor never runs ahead of the data. An order with commands still pending
    /// keeps the device's version (see [`PullSummary::orders_deferred`]).
    pub fn apply_pulled(
        &mut self,
        pulled: &Pulled,
        next_cursor: &str,
        announce: bool,
        now: NaiveDateTime,
    ) -> Result<PullSummary, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| classify(&path, e))?;
        let sql = |e| classify(&path, e);
        let now_s = format_datetime(now);
        let mut sum = PullSummary::default();
        for order in &pulled.orders {
            if has_pending(&tx, &order.order_number).map_err(sql)? {
                sum.orders_deferred += 1;
                continue;
            }
            let (changed, announced) = write_truth(&tx, order, announce, &now_s).map_err(sql)?;
            if changed {
                sum.orders_written += 1;
            } else {
                sum.orders_unchanged += 1;
            }
            sum.announcements += u64::from(announced);
        }
        for p in &pulled.products {
            upsert_product_row(&tx, p, &now_s).map_err(sql)?;
            sum.products += 1;
        }
        for d in &pulled.documents {
            upsert_document_row(&tx, d, &now_s).map_err(sql)?;
            sum.documents += 1;
        }
        for (key, value) in &pulled.policies {
            tx.prepare_cached(
                "INSERT INTO policies (key, value, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value,
                    updated_at = excluded.updated_at",
            )
            .and_then(|mut st| st.execute(params![key, value.to_string(), now_s]))
            .map_err(sql)?;
            sum.policies += 1;
        }
        set_state(&tx, CURSOR, next_cursor).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(sum)
    }

    /// The change-feed cursor (`None`: nothing pulled yet).
    pub fn sync_cursor(&self) -> Result<Option<String>, StoreError> {
        get_state(&self.conn, CURSOR).map_err(|e| self.err(e))
    }

    /// A pull reached the end of the feed: the cache is as fresh as the OMS.
    pub fn note_pull_complete(&self, now: NaiveDateTime) -> Result<(), StoreError> {
        let now_s = format_datetime(now);
        set_state(&self.conn, LAST_PULL, &now_s)
            .and_then(|()| set_state(&self.conn, LAST_SUCCESS, &now_s))
            .map_err(|e| self.err(e))
    }

    /// When the cache was last brought level with the OMS (`None`: it never was, as on a
    /// device that does not sync). A stored time that does not parse counts as never.
    pub fn orders_as_of(&self) -> Result<Option<NaiveDateTime>, StoreError> {
        let last = get_state(&self.conn, LAST_PULL).map_err(|e| self.err(e))?;
        Ok(last.as_deref().and_then(|s| parse_datetime(s).ok()))
    }

    /// Keeps the last sync error (for `sync status`) without touching any command.
    pub fn note_sync_error(&self, error: &str, now: NaiveDateTime) -> Result<(), StoreError> {
        set_state(&self.conn, LAST_ERROR, error)
            .and_then(|()| set_state(&self.conn, LAST_ERROR_AT, &format_datetime(now)))
            .map_err(|e| self.err(e))
    }

    /// Counts, times and the cursor, as of `now`.
    /// Records which hub the device synced with and what the hub said it is.
    pub fn record_hub(&self, url: &str, device_id: &str, scope: &str) -> Result<(), StoreError> {
        let hub = serde_json::json!({"url": url, "device_id": device_id, "scope": scope});
        self.set_meta(HUB_META_KEY, &hub.to_string())
    }

    /// The hub and scope this store was last synced with, if any.
    pub fn hub_identity(&self) -> Result<Option<HubIdentity>, StoreError> {
        let Some(text) = self.meta(HUB_META_KEY)? else {
            return Ok(None);
        };
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| self.bad_row("hub identity", e.to_string()))?;
        let field = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        Ok(Some(HubIdentity {
            url: field("url"),
            device_id: field("device_id"),
            scope: field("scope"),
        }))
    }

    pub fn sync_status(&self, now: NaiveDateTime) -> Result<SyncStatus, StoreError> {
        let count = |state: &str| -> Result<u64, StoreError> {
            self.conn
                .prepare_cached("SELECT count(*) FROM outbox WHERE state = ?1")
                .and_then(|mut s| s.query_row([state], |r| r.get::<_, i64>(0)))
                .map(|n| u64::try_from(n).unwrap_or(0))
                .map_err(|e| self.err(e))
        };
        let state = |key: &str| get_state(&self.conn, key).map_err(|e| self.err(e));
        let oldest: Option<String> = self
            .conn
            .query_row(
                "SELECT min(created_at) FROM outbox WHERE state = 'pending'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        let last_pull = state(LAST_PULL)?;
        let data_age_seconds = last_pull
            .as_deref()
            .and_then(|s| parse_datetime(s).ok())
            .map(|t| (now - t).num_seconds());
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT idempotency_key, kind, order_number, attempts, last_error, id
                 FROM outbox WHERE state = 'dead' ORDER BY id DESC LIMIT 10",
            )
            .map_err(|e| self.err(e))?;
        let dead_letters = stmt
            .query_map([], |r| {
                Ok(DeadLetter {
                    id: r.get(5)?,
                    idempotency_key: r.get(0)?,
                    kind: r.get(1)?,
                    order_number: r.get(2)?,
                    attempts: r.get(3)?,
                    last_error: r.get(4)?,
                })
            })
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        Ok(SyncStatus {
            pending: count("pending")?,
            dead_lettered: count("dead")?,
            applied: count("applied")?,
            rejected: count("rejected")?,
            oldest_pending_at: oldest,
            last_success_at: state(LAST_SUCCESS)?,
            last_pull_at: last_pull,
            last_push_at: state(LAST_PUSH)?,
            last_error: state(LAST_ERROR)?,
            last_error_at: state(LAST_ERROR_AT)?,
            cursor: state(CURSOR)?,
            data_age_seconds,
            dead_letters,
            hub: self.hub_identity()?,
        })
    }

    /// Notices not yet said to the customer, oldest first.
    pub fn pending_notices(&self, scope: NoticeScope<'_>) -> Result<Vec<SyncNotice>, StoreError> {
        let (filter, value): (&str, rusqlite::types::Value) = match scope {
            NoticeScope::Order(n) => ("order_number = ?1", n.to_string().into()),
            NoticeScope::Customer(id) => ("customer_id = ?1", id.into()),
            NoticeScope::Announcements => ("announce = ?1", 1i64.into()),
        };
        let sql = format!(
            "SELECT id, kind, order_number, customer_id, status, command_kind, reason, detail,
                    announce, created_at
             FROM sync_notices WHERE delivered_at IS NULL AND {filter} ORDER BY id"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([value], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, bool>(8)?,
                    r.get::<_, String>(9)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (
                id,
                kind,
                order_number,
                customer_id,
                status,
                command_kind,
                reason,
                detail,
                announce,
                created,
            ) = row.map_err(|e| self.err(e))?;
            let what = format!("sync notice {id}");
            out.push(SyncNotice {
                id,
                kind: match kind.as_str() {
                    "rejected" => NoticeKind::Rejected,
                    "status_update" => NoticeKind::StatusUpdate,
                    other => return Err(self.bad_row(&what, format!("unknown kind {other:?}"))),
                },
                order_number,
                customer_id,
                status: status.map(|s| s.parse()).transpose().map_err(
                    |e: voxorder_domain::order::UnknownStatus| self.bad_row(&what, e.to_string()),
                )?,
                command_kind,
                reason,
                detail,
                announce,
                created_at: parse_datetime(&created).map_err(|d| self.bad_row(&what, d))?,
            });
        }
        Ok(out)
    }

    /// The customer has been told; returns false if the notice was already delivered
    /// or does not exist.
    pub fn mark_notice_delivered(&self, id: i64, now: NaiveDateTime) -> Result<bool, StoreError> {
        self.conn
            .execute(
                "UPDATE sync_notices SET delivered_at = ?2 WHERE id = ?1 AND delivered_at IS NULL",
                params![id, format_datetime(now)],
            )
            .map(|n| n == 1)
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use voxorder_config::TimeSlot;
    use voxorder_domain::change::Change;
    use voxorder_domain::order::OrderRecord;
    use voxorder_domain::vocab::CancelReason;

    fn at(h: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 3, 10)
            .and_then(|d| d.and_hms_opt(h, 0, 0))
            .expect("time")
    }

    fn order(number: &str, status: &str, email: &str) -> Order {
        let rec: OrderRecord = serde_json::from_value(serde_json::json!({
            "order_number": number, "status": status, "order_date": "2026-03-01",
            "customer": {"name": "Ada Park", "email": email},
            "items": [{"sku": "TEE", "name": "Tee", "qty": 1, "price": 10.0}],
            "subtotal": 10.0, "total": 10.0, "payment": {"method": "card"}
        }))
        .expect("record");
        rec.validate().expect("valid")
    }

    fn store_with(orders: &[Order]) -> Store {
        let mut s = Store::open_in_memory().expect("store");
        s.upsert_orders(orders, at(8)).expect("import");
        s
    }

    fn cancel(n: &str) -> Change {
        Change::CancelOrder {
            order_number: n.into(),
            reason: CancelReason::ChangedMind,
        }
    }

    #[test]
    fn a_rejected_cancel_is_rolled_back_to_the_oms_order_and_the_customer_is_told() {
        let mut s = store_with(&[order("1111", "processing", "a@example.com")]);
        let applied = s.apply_changes(&[cancel("1111")], at(9)).unwrap();
        assert_eq!(
            s.order("1111").unwrap().unwrap().status,
            OrderStatus::Cancelled
        );

        let mut truth = order("1111", "shipped", "a@example.com");
        truth.version = 3;
        let sum = s
            .settle_outbox(
                &[Settlement {
                    idempotency_key: applied[0].idempotency_key.clone(),
                    outcome: Outcome::Rejected {
                        reason: "not_cancellable".into(),
                        detail: "order 1111 is shipped".into(),
                    },
                    order: Some(truth.clone()),
                }],
                true,
                at(10),
            )
            .unwrap();
        assert_eq!((sum.rejected, sum.orders_refreshed), (1, 1));
        assert_eq!(s.order("1111").unwrap().unwrap(), truth);
        assert_eq!(s.outbox().unwrap()[0].state, "rejected");

        let notices = s.pending_notices(NoticeScope::Order("1111")).unwrap();
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].kind, NoticeKind::Rejected);
        assert_eq!(notices[0].reason.as_deref(), Some("not_cancellable"));
        assert_eq!(notices[0].status, Some(OrderStatus::Shipped));
        let customer = notices[0].customer_id.unwrap();
        assert_eq!(
            s.pending_notices(NoticeScope::Customer(customer))
                .unwrap()
                .len(),
            1
        );
        assert!(s.mark_notice_delivered(notices[0].id, at(11)).unwrap());
        assert!(!s.mark_notice_delivered(notices[0].id, at(11)).unwrap());
        assert!(s
            .pending_notices(NoticeScope::Order("1111"))
            .unwrap()
            .is_empty());

        // The same answer again (a retried response) changes nothing.
        let again = s
            .settle_outbox(
                &[Settlement {
                    idempotency_key: applied[0].idempotency_key.clone(),
                    outcome: Outcome::Applied,
                    order: None,
                }],
                true,
                at(12),
            )
            .unwrap();
        assert_eq!(again.ignored, 1);
        assert_eq!(s.outbox().unwrap()[0].state, "rejected");
    }

    #[test]
    fn pulled_orders_wait_for_pending_commands_and_household_news_is_announced() {
        let mut s = store_with(&[
            order("2222", "processing", "b@example.com"),
            order("3333", "processing", "c@example.com"),
        ]);
        s.create_household("Park", &["c@example.com".to_string()])
            .unwrap();
        let applied = s
            .apply_changes(
                &[Change::RescheduleDelivery {
                    order_number: "2222".into(),
                    date: chrono::NaiveDate::from_ymd_opt(2026, 3, 20).unwrap(),
                    slot: Some(TimeSlot::Morning),
                }],
                at(9),
            )
            .unwrap();
        let mut shipped = order("3333", "shipped", "c@example.com");
        shipped.version = 1;
        let pulled = Pulled {
            orders: vec![
                order("2222", "processing", "b@example.com"),
                shipped.clone(),
            ],
            ..Pulled::default()
        };
        let sum = s.apply_pulled(&pulled, "c1.7", true, at(10)).unwrap();
        assert_eq!(
            (sum.orders_deferred, sum.orders_written, sum.announcements),
            (1, 1, 1)
        );
        // The device's reschedule is still what it shows.
        assert_eq!(s.order("2222").unwrap().unwrap().version, 1);
        assert_eq!(s.order("3333").unwrap().unwrap(), shipped);
        assert_eq!(s.sync_cursor().unwrap().as_deref(), Some("c1.7"));
        let news = s.pending_notices(NoticeScope::Announcements).unwrap();
        assert_eq!(news.len(), 1);
        assert_eq!(news[0].kind, NoticeKind::StatusUpdate);
        assert_eq!(news[0].order_number.as_deref(), Some("3333"));

        // Applied: the OMS's order replaces the device's once nothing is pending.
        let mut truth = order("2222", "processing", "b@example.com");
        truth.version = 1;
        truth.estimated_delivery = chrono::NaiveDate::from_ymd_opt(2026, 3, 20);
        let sum = s
            .settle_outbox(
                &[Settlement {
                    idempotency_key: applied[0].idempotency_key.clone(),
                    outcome: Outcome::Applied,
                    order: Some(truth.clone()),
                }],
                true,
                at(11),
            )
            .unwrap();
        assert_eq!((sum.applied, sum.orders_refreshed), (1, 1));
        assert_eq!(s.order("2222").unwrap().unwrap(), truth);
        assert_eq!(s.sync_status(at(11)).unwrap().pending, 0);
    }

    #[test]
    fn failures_back_off_then_dead_letter_and_order_is_kept_per_order() {
        let mut s = store_with(&[
            order("4444", "processing", "d@example.com"),
            order("5555", "processing", "e@example.com"),
        ]);
        let a = s.apply_changes(&[cancel("4444")], at(9)).unwrap();
        s.apply_changes(&[cancel("5555")], at(9)).unwrap();
        let delay = |_: u32| Duration::from_secs(60);
        let horizon = Duration::from_secs(300);
        s.record_push_failure(&[a[0].outbox_id], "OMS error 503", at(10), 3, &delay)
            .unwrap();
        // 4444 waits for its retry; 5555 is due.
        let due = s.pending_commands(10, Some(at(10)), horizon).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].order_number.as_deref(), Some("5555"));
        // Every pending command when forced; a retry time far past the horizon (the
        // clock was set back) counts as due.
        assert_eq!(s.pending_commands(10, None, horizon).unwrap().len(), 2);
        let earlier = at(10) - chrono::Duration::days(2);
        assert_eq!(
            s.pending_commands(10, Some(earlier), horizon)
                .unwrap()
                .len(),
            2
        );

        s.record_push_failure(&[a[0].outbox_id], "OMS error 503", at(11), 3, &delay)
            .unwrap();
        let (_, dead) = s
            .record_push_failure(&[a[0].outbox_id], "OMS error 500", at(12), 3, &delay)
            .unwrap();
        assert_eq!(dead, 1);
        let status = s.sync_status(at(12)).unwrap();
        assert_eq!((status.pending, status.dead_lettered), (1, 1));
        assert_eq!(
            status.dead_letters[0].last_error.as_deref(),
            Some("OMS error 500")
        );
        assert_eq!(status.dead_letters[0].attempts, 3);

        // An operator requeues it: due at once, attempts counted afresh, same key.
        let key = a[0].idempotency_key.clone();
        assert_eq!(status.dead_letters[0].id, a[0].outbox_id);
        assert_eq!(s.requeue_dead_letters(Some(&[999]), at(13)).unwrap(), 0);
        assert_eq!(s.requeue_dead_letters(None, at(13)).unwrap(), 1);
        assert_eq!(s.requeue_dead_letters(None, at(13)).unwrap(), 0);
        let status = s.sync_status(at(13)).unwrap();
        assert_eq!((status.pending, status.dead_lettered), (2, 0));
        let due = s.pending_commands(10, Some(at(13)), horizon).unwrap();
        let back = due
            .iter()
            .find(|c| c.order_number.as_deref() == Some("4444"))
            .expect("requeued command is due");
        assert_eq!(back.idempotency_key, key);
    }

    #[test]
    fn commands_the_oms_refuses_by_name_are_dead_lettered_at_once() {
        let mut s = store_with(&[
            order("6666", "processing", "f@example.com"),
            order("7777", "processing", "g@example.com"),
        ]);
        let a = s.apply_changes(&[cancel("6666")], at(9)).unwrap();
        s.apply_changes(&[cancel("7777")], at(9)).unwrap();
        let reason = "outside this device's scope (403)";
        assert_eq!(
            s.dead_letter_commands(&[a[0].outbox_id, 999], reason, at(10))
                .unwrap(),
            1
        );
        // Only once: a settled command stays as it is.
        assert_eq!(
            s.dead_letter_commands(&[a[0].outbox_id], reason, at(11))
                .unwrap(),
            0
        );
        let status = s.sync_status(at(11)).unwrap();
        assert_eq!((status.pending, status.dead_lettered), (1, 1));
        assert_eq!(status.dead_letters[0].last_error.as_deref(), Some(reason));
        assert_eq!(status.dead_letters[0].attempts, 1);
        assert_eq!(status.last_error.as_deref(), Some(reason));
        let due = s
            .pending_commands(10, Some(at(11)), Duration::ZERO)
            .unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].order_number.as_deref(), Some("7777"));
    }

    #[test]
    fn the_orders_are_as_of_the_last_complete_pull() {
        let s = Store::open_in_memory().expect("store");
        assert_eq!(s.orders_as_of().unwrap(), None);
        s.note_pull_complete(at(9)).unwrap();
        s.note_sync_error("OMS unreachable", at(11)).unwrap();
        assert_eq!(s.orders_as_of().unwrap(), Some(at(9)));
        s.note_pull_complete(at(12)).unwrap();
        assert_eq!(s.orders_as_of().unwrap(), Some(at(12)));
    }
}

//! Changes made on the device: applied to the local cache and written to the outbox in
//! one transaction, so a change is never visible locally without the command that tells
//! the OMS about it, nor the other way round. Also the identifiers a change needs (new
//! order and return numbers) and the returns it creates.
//!
//! The store checks what would make the cache inconsistent (unknown orders, products or
//! subscriptions, changes to cancelled orders, returning more than was bought, selling
//! stock it does not have). Business policy (which statuses may be cancelled, return
//! windows) is the dialog's, from the configuration.

use chrono::NaiveDateTime;
use rusqlite::{params, Connection, OptionalExtension, ToSql};
use serde::Serialize;

use super::orders::{upsert_one, LOCAL_RECORD_HASH};
use super::ReturnRecord;
use super::{classify, Store, StoreError, SubscriptionStatus};
use voxorder_domain::change::{Change, ReturnRequest, SubscriptionAction};
use voxorder_domain::order::{format_datetime, parse_date, parse_datetime, OrderStatus};

/// One change as written to the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedChange {
    pub outbox_id: i64,
    pub idempotency_key: String,
    pub kind: &'static str,
    pub order_number: Option<String>,
}

/// One outbox row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxEntry {
    pub id: i64,
    /// A UUID v4; the OMS applies each key once.
    pub idempotency_key: String,
    /// The `Change` tag (`cancel_order`, …).
    pub kind: String,
    pub order_number: Option<String>,
    /// The order's version before the change (for the OMS to detect conflicts).
    pub base_version: Option<i64>,
    /// The `Change`, serialised.
    pub payload: serde_json::Value,
    pub created_at: NaiveDateTime,
    /// `pending` | `applied` | `rejected` | `dead`.
    pub state: String,
    pub attempts: u32,
}

/// The meta key of the next local order sequence number.
const ORDER_SEQ_KEY: &str = "next_local_order_seq";
/// Order numbers made on the device: this prefix and an 11-digit sequence, 13 digits
/// in all like the OMS's. Numbers already in the store are skipped.
const LOCAL_ORDER_PREFIX: &str = "99";
const LOCAL_ORDER_SEQ_DIGITS: usize = 11;

/// The snake_case tag serde gives a unit enum variant (reasons, slots, methods), which is
/// also what the outbox payload holds.
fn tag<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value).expect("a unit variant always serialises") {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

/// What an order row says before a change.
struct OrderState {
    status: OrderStatus,
    version: i64,
    total_cents: i64,
}

/// Applies changes inside an open transaction; the caller commits or drops it.
struct Apply<'a> {
    tx: &'a Connection,
    path: &'a std::path::Path,
    now: String,
}

impl Apply<'_> {
    fn sql(&self, e: rusqlite::Error) -> StoreError {
        classify(self.path, e)
    }

    fn order_state(&self, order_number: &str) -> Result<Option<OrderState>, StoreError> {
        let row: Option<(String, i64, i64)> = self
            .tx
            .prepare_cached(
                "SELECT status, version, total_cents FROM orders WHERE order_number = ?1",
            )
            .map_err(|e| self.sql(e))?
            .query_row([order_number], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()
            .map_err(|e| self.sql(e))?;
        row.map(|(status, version, total_cents)| {
            Ok(OrderState {
                status: status
                    .parse()
                    .map_err(
                        |e: voxorder_domain::order::UnknownStatus| StoreError::BadRow {
                            path: self.path.to_path_buf(),
                            what: format!("order {order_number}"),
                            detail: e.to_string(),
                        },
                    )?,
                version,
                total_cents,
            })
        })
        .transpose()
    }

    fn require_order(&self, order_number: &str) -> Result<OrderState, StoreError> {
        self.order_state(order_number)?
            .ok_or_else(|| StoreError::NotFound {
                what: "order",
                id: order_number.to_string(),
            })
    }

    /// The order, which must exist and not be cancelled.
    fn live_order(&self, order_number: &str, kind: &'static str) -> Result<OrderState, StoreError> {
        let state = self.require_order(order_number)?;
        if state.status == OrderStatus::Cancelled {
            return Err(StoreError::OrderCancelled {
                order_number: order_number.to_string(),
                kind,
            });
        }
        Ok(state)
    }

    /// Writes `set` (SQL assignments; `?2`… bound to `values`) on the order, bumps its
    /// version and marks the row as changed locally (see `LOCAL_RECORD_HASH`).
    fn update_order(
        &self,
        order_number: &str,
        set: &str,
        values: &[&dyn ToSql],
    ) -> Result<(), StoreError> {
        let n = values.len();
        let sql = format!(
            "UPDATE orders SET {set}{comma} version = version + 1, updated_at = ?{a},
                record_hash = ?{b} WHERE order_number = ?1",
            comma = if set.is_empty() { "" } else { "," },
            a = n + 2,
            b = n + 3,
        );
        let mut all: Vec<&dyn ToSql> = Vec::with_capacity(n + 3);
        all.push(&order_number);
        all.extend_from_slice(values);
        all.push(&self.now);
        all.push(&LOCAL_RECORD_HASH);
        self.tx
            .prepare_cached(&sql)
            .map_err(|e| self.sql(e))?
            .execute(all.as_slice())
            .map_err(|e| self.sql(e))?;
        Ok(())
    }

    /// Applies one change locally; returns the base version for its outbox row.
    fn apply(&self, change: &Change) -> Result<Option<i64>, StoreError> {
        let kind = change.kind();
        match change {
            Change::CancelOrder { order_number, .. } => {
                let state = self.require_order(order_number)?;
                if state.status == OrderStatus::Cancelled {
                    return Err(StoreError::AlreadyCancelled {
                        order_number: order_number.clone(),
                    });
                }
                self.update_order(
                    order_number,
                    "status = ?2, cancelled_at = ?3",
                    &[&OrderStatus::Cancelled.as_str(), &self.now],
                )?;
                Ok(Some(state.version))
            }
            Change::ChangeAddress {
                order_number,
                address,
            } => {
                let state = self.live_order(order_number, kind)?;
                let a = address
                    .validate("address")
                    .map_err(|e| StoreError::Invalid {
                        what: kind,
                        detail: e.to_string(),
                    })?;
                self.update_order(
                    order_number,
                    "ship_line1 = ?2, ship_line2 = ?3, ship_city = ?4, ship_state = ?5,
                     ship_zip = ?6, ship_country = ?7",
                    &[&a.line1, &a.line2, &a.city, &a.state, &a.zip, &a.country],
                )?;
                Ok(Some(state.version))
            }
            Change::RescheduleDelivery {
                order_number,
                date,
                slot,
            } => {
                let state = self.live_order(order_number, kind)?;
                // No slot: any time of the day suits, and none is kept from before.
                let slot: Option<String> = slot.as_ref().map(tag);
                self.update_order(
                    order_number,
                    "estimated_delivery = ?2, delivery_slot = ?3",
                    &[&date.to_string(), &slot],
                )?;
                Ok(Some(state.version))
            }
            Change::ConfirmOrder { order_number } => {
                let state = self.live_order(order_number, kind)?;
                if state.status != OrderStatus::PendingConfirmation {
                    return Err(StoreError::WrongStatus {
                        order_number: order_number.clone(),
                        status: state.status,
                        kind,
                        expected: OrderStatus::PendingConfirmation,
                    });
                }
                self.update_order(
                    order_number,
                    "status = ?2",
                    &[&OrderStatus::Processing.as_str()],
                )?;
                Ok(Some(state.version))
            }
            Change::CreateReturn(request) => self.create_return(request, kind),
            Change::PlaceOrder { order } => {
                let o = order.validate().map_err(|e| StoreError::Invalid {
                    what: kind,
                    detail: e.to_string(),
                })?;
                if self.order_state(&o.order_number)?.is_some() {
                    return Err(StoreError::AlreadyExists {
                        what: "order",
                        id: o.order_number,
                    });
                }
                for item in &o.items {
                    self.take_stock(&item.sku, item.qty, kind)?;
                }
                // The import path: the same columns, items and customer link (by email).
                upsert_one(self.tx, &o, &self.now).map_err(|e| self.sql(e))?;
                self.tx
                    .execute(
                        "UPDATE orders SET record_hash = ?2 WHERE order_number = ?1",
                        params![o.order_number, LOCAL_RECORD_HASH],
                    )
                    .map_err(|e| self.sql(e))?;
                self.advance_order_seq(&o.order_number)?;
                Ok(None)
            }
            Change::CreateSubscription {
                customer_id,
                subscription_ref,
                sku,
                qty,
                frequency_days,
                next_date,
                ..
            } => {
                let customer: Option<i64> = self
                    .tx
                    .query_row(
                        "SELECT id FROM customers WHERE id = ?1",
                        [customer_id],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(|e| self.sql(e))?;
                if customer.is_none() {
                    return Err(StoreError::NotFound {
                        what: "customer",
                        id: customer_id.to_string(),
                    });
                }
                self.require_active_product(sku, kind)?;
                positive(kind, "qty", *qty)?;
                positive(kind, "frequency_days", *frequency_days)?;
                self.tx
                    .execute(
                        "INSERT INTO subscriptions (customer_id, sku, qty, frequency_days,
                            next_date, status, created_at, updated_at, ref)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
                        params![
                            customer_id,
                            sku,
                            qty,
                            frequency_days,
                            next_date.to_string(),
                            SubscriptionStatus::Active.as_str(),
                            self.now,
                            subscription_ref
                        ],
                    )
                    .map_err(|e| self.sql(e))?;
                Ok(None)
            }
            Change::UpdateSubscription {
                subscription_id,
                action,
                ..
            } => {
                self.update_subscription(*subscription_id, action, kind)?;
                Ok(None)
            }
            Change::OpenInvestigation { order_number, .. }
            | Change::ScheduleCallback { order_number, .. } => {
                Ok(Some(self.require_order(order_number)?.version))
            }
            // A message or a hand-off never fails for want of the order in the cache (a
            // hand-off is how the agent gives up gracefully); the version is recorded
            // when the order is known.
            Change::Notify { order_number, .. } | Change::HandOff { order_number, .. } => {
                match order_number {
                    Some(n) => Ok(self.order_state(n)?.map(|s| s.version)),
                    None => Ok(None),
                }
            }
        }
    }

    fn create_return(
        &self,
        r: &ReturnRequest,
        kind: &'static str,
    ) -> Result<Option<i64>, StoreError> {
        let state = self.live_order(&r.order_number, kind)?;
        let invalid = |detail: String| StoreError::Invalid { what: kind, detail };
        if r.return_id.trim().is_empty() {
            return Err(invalid("the return number is empty".into()));
        }
        if r.lines.is_empty() {
            return Err(invalid("a return needs at least one line".into()));
        }
        let exists: Option<i64> = self
            .tx
            .query_row(
                "SELECT 1 FROM returns WHERE id = ?1",
                [&r.return_id],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        if exists.is_some() {
            return Err(StoreError::AlreadyExists {
                what: "return",
                id: r.return_id.clone(),
            });
        }
        for (i, line) in r.lines.iter().enumerate() {
            if r.lines[..i].iter().any(|l| l.line_no == line.line_no) {
                return Err(invalid(format!("line {} is listed twice", line.line_no)));
            }
            positive(kind, "qty", line.qty)?;
            let bought: Option<u32> = self
                .tx
                .prepare_cached(
                    "SELECT qty FROM order_items WHERE order_number = ?1 AND line_no = ?2",
                )
                .map_err(|e| self.sql(e))?
                .query_row(params![r.order_number, line.line_no], |row| row.get(0))
                .optional()
                .map_err(|e| self.sql(e))?;
            let Some(bought) = bought else {
                return Err(StoreError::NoSuchLine {
                    order_number: r.order_number.clone(),
                    line_no: line.line_no,
                });
            };
            // A rejected return gives its quantity back.
            let returned: u32 = self
                .tx
                .prepare_cached(
                    "SELECT coalesce(sum(ri.qty), 0) FROM return_items ri
                     JOIN returns rt ON rt.id = ri.return_id
                     WHERE rt.order_number = ?1 AND ri.line_no = ?2 AND rt.status != 'rejected'",
                )
                .map_err(|e| self.sql(e))?
                .query_row(params![r.order_number, line.line_no], |row| row.get(0))
                .map_err(|e| self.sql(e))?;
            let returnable = bought.saturating_sub(returned);
            if line.qty > returnable {
                return Err(StoreError::ReturnExceedsLine {
                    order_number: r.order_number.clone(),
                    line_no: line.line_no,
                    requested: line.qty,
                    returnable,
                });
            }
            if let Some(sku) = &line.exchange_sku {
                self.require_active_product(sku, kind)?;
            }
        }
        if let Some(cents) = r.refund_cents {
            if !(0..=state.total_cents).contains(&cents) {
                return Err(invalid(format!(
                    "refund of {cents} cents outside 0..={} (the order total)",
                    state.total_cents
                )));
            }
        }
        let status = match (r.ship_back, r.pickup) {
            (true, None) => "label_sent",
            (true, Some(_)) => "pickup_scheduled",
            (false, None) => "requested",
            (false, Some(_)) => {
                return Err(invalid(
                    "a pickup for a return that does not ship back".into(),
                ))
            }
        };
        self.tx
            .execute(
                "INSERT INTO returns (id, order_number, created_at, status, reason, resolution,
                    refund_method, refund_cents, refunded_at, pickup_date, pickup_slot,
                    updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, ?9, ?10, ?3)",
                params![
                    r.return_id,
                    r.order_number,
                    self.now,
                    status,
                    tag(&r.reason),
                    r.resolution.as_str(),
                    r.refund_method.as_ref().map(tag),
                    r.refund_cents,
                    r.pickup.map(|p| p.date.to_string()),
                    r.pickup.map(|p| tag(&p.slot)),
                ],
            )
            .map_err(|e| self.sql(e))?;
        for line in &r.lines {
            self.tx
                .execute(
                    "INSERT INTO return_items (return_id, line_no, qty, exchange_sku)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![r.return_id, line.line_no, line.qty, line.exchange_sku],
                )
                .map_err(|e| self.sql(e))?;
        }
        // A return changes what can still be returned from the order, and the OMS bumps
        // its version for it; bumping here keeps the next command's base version in step.
        self.update_order(&r.order_number, "", &[])?;
        Ok(Some(state.version))
    }

    fn update_subscription(
        &self,
        id: i64,
        action: &SubscriptionAction,
        kind: &'static str,
    ) -> Result<(), StoreError> {
        let status: Option<String> = self
            .tx
            .query_row(
                "SELECT status FROM subscriptions WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        let Some(status) = status else {
            return Err(StoreError::NotFound {
                what: "subscription",
                id: id.to_string(),
            });
        };
        if status == SubscriptionStatus::Cancelled.as_str() {
            return Err(StoreError::SubscriptionCancelled { id, kind });
        }
        // `?2` and `?3` are the action's values.
        let run = |set: &str, a: &dyn ToSql, b: &dyn ToSql| -> Result<(), StoreError> {
            self.tx
                .execute(
                    &format!("UPDATE subscriptions SET {set}, updated_at = ?4 WHERE id = ?1"),
                    params![id, a, b, self.now],
                )
                .map(drop)
                .map_err(|e| self.sql(e))
        };
        let none = rusqlite::types::Null;
        match action {
            SubscriptionAction::Pause => {
                run("status = ?2", &SubscriptionStatus::Paused.as_str(), &none)
            }
            SubscriptionAction::Resume { next_date } => run(
                "status = ?2, next_date = ?3",
                &SubscriptionStatus::Active.as_str(),
                &next_date.to_string(),
            ),
            SubscriptionAction::SkipNext { next_date } => {
                run("next_date = ?2", &next_date.to_string(), &none)
            }
            SubscriptionAction::ChangeFrequency {
                frequency_days,
                next_date,
            } => {
                positive(kind, "frequency_days", *frequency_days)?;
                run(
                    "frequency_days = ?2, next_date = ?3",
                    frequency_days,
                    &next_date.to_string(),
                )
            }
            SubscriptionAction::ChangeQuantity { qty } => {
                positive(kind, "qty", *qty)?;
                run("qty = ?2", qty, &none)
            }
            SubscriptionAction::Cancel => run(
                "status = ?2",
                &SubscriptionStatus::Cancelled.as_str(),
                &none,
            ),
        }
    }

    fn require_active_product(&self, sku: &str, kind: &'static str) -> Result<(), StoreError> {
        let active: Option<bool> = self
            .tx
            .prepare_cached("SELECT active FROM products WHERE sku = ?1")
            .map_err(|e| self.sql(e))?
            .query_row([sku], |r| r.get(0))
            .optional()
            .map_err(|e| self.sql(e))?;
        match active {
            None => Err(StoreError::NotFound {
                what: "product",
                id: sku.to_string(),
            }),
            Some(false) => Err(StoreError::Invalid {
                what: kind,
                detail: format!("product {sku} is no longer sold"),
            }),
            Some(true) => Ok(()),
        }
    }

    /// Takes `qty` of `sku` out of stock; refuses to go below zero.
    fn take_stock(&self, sku: &str, qty: u32, kind: &'static str) -> Result<(), StoreError> {
        self.require_active_product(sku, kind)?;
        let taken = self
            .tx
            .prepare_cached(
                "UPDATE products SET stock = stock - ?2, updated_at = ?3
                 WHERE sku = ?1 AND stock >= ?2",
            )
            .map_err(|e| self.sql(e))?
            .execute(params![sku, qty, self.now])
            .map_err(|e| self.sql(e))?;
        if taken == 0 {
            let available: i64 = self
                .tx
                .query_row("SELECT stock FROM products WHERE sku = ?1", [sku], |r| {
                    r.get(0)
                })
                .map_err(|e| self.sql(e))?;
            return Err(StoreError::OutOfStock {
                sku: sku.to_string(),
                requested: qty,
                available,
            });
        }
        Ok(())
    }

    /// After placing a device-made number, the next `new_order_number` starts past it.
    fn advance_order_seq(&self, order_number: &str) -> Result<(), StoreError> {
        let Some(seq) = local_order_seq(order_number) else {
            return Ok(());
        };
        let current = read_order_seq(self.tx).map_err(|e| self.sql(e))?;
        if seq >= current {
            self.tx
                .execute(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    params![ORDER_SEQ_KEY, (seq + 1).to_string()],
                )
                .map_err(|e| self.sql(e))?;
        }
        Ok(())
    }

    /// The change as the OMS must get it: a subscription named by what the OMS and
    /// the device share (its reference, made here for a new one, and the customer's
    /// email), not by the device's own row numbers.
    fn for_the_oms(&self, change: &Change) -> Result<Change, StoreError> {
        let mut change = change.clone();
        match &mut change {
            Change::CreateSubscription {
                customer_id,
                customer_email,
                subscription_ref,
                ..
            } => {
                if customer_email.is_none() {
                    *customer_email = self
                        .tx
                        .query_row(
                            "SELECT email FROM customers WHERE id = ?1",
                            [*customer_id],
                            |r| r.get(0),
                        )
                        .optional()
                        .map_err(|e| self.sql(e))?
                        .flatten();
                }
                if subscription_ref.is_none() {
                    *subscription_ref = Some(uuid::Uuid::new_v4().to_string());
                }
            }
            Change::UpdateSubscription {
                subscription_id,
                subscription_ref,
                ..
            } if subscription_ref.is_none() => {
                *subscription_ref = self
                    .tx
                    .query_row(
                        "SELECT ref FROM subscriptions WHERE id = ?1",
                        [*subscription_id],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(|e| self.sql(e))?
                    .flatten();
            }
            _ => {}
        }
        Ok(change)
    }

    fn write_outbox(
        &self,
        change: &Change,
        base_version: Option<i64>,
    ) -> Result<AppliedChange, StoreError> {
        let key = uuid::Uuid::new_v4().to_string();
        let payload = serde_json::to_string(change).map_err(|e| StoreError::Invalid {
            what: change.kind(),
            detail: format!("cannot serialise: {e}"),
        })?;
        let order_number = change.order_number().map(str::to_string);
        self.tx
            .prepare_cached(
                "INSERT INTO outbox (idempotency_key, kind, order_number, base_version, payload,
                    created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(|e| self.sql(e))?
            .execute(params![
                key,
                change.kind(),
                order_number,
                base_version,
                payload,
                self.now
            ])
            .map_err(|e| self.sql(e))?;
        Ok(AppliedChange {
            outbox_id: self.tx.last_insert_rowid(),
            idempotency_key: key,
            kind: change.kind(),
            order_number,
        })
    }
}

fn positive(kind: &'static str, field: &str, value: u32) -> Result<(), StoreError> {
    if value == 0 {
        return Err(StoreError::Invalid {
            what: kind,
            detail: format!("{field} must be at least 1"),
        });
    }
    Ok(())
}

/// The sequence number of a device-made order number, if it is one.
fn local_order_seq(order_number: &str) -> Option<u64> {
    let seq = order_number.strip_prefix(LOCAL_ORDER_PREFIX)?;
    if seq.len() == LOCAL_ORDER_SEQ_DIGITS && seq.bytes().all(|b| b.is_ascii_digit()) {
        seq.parse().ok()
    } else {
        None
    }
}

fn read_order_seq(conn: &Connection) -> rusqlite::Result<u64> {
    let value: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [ORDER_SEQ_KEY],
            |r| r.get(0),
        )
        .optional()?;
    Ok(value.and_then(|v| v.parse().ok()).unwrap_or(1).max(1))
}

impl Store {
    /// Applies the changes to the local cache and writes one outbox command per change
    /// (UUID v4 idempotency key, the order's version before the change as base_version,
    /// the Change serialised as payload) in ONE transaction: all or nothing.
    ///
    /// Changes apply in order, so a later change sees the earlier ones (a return after
    /// an address change has the bumped version as its base). On any error nothing is
    /// written and the error names the change's problem.
    pub fn apply_changes(
        &mut self,
        changes: &[Change],
        now: NaiveDateTime,
    ) -> Result<Vec<AppliedChange>, StoreError> {
        let path = self.path.clone();
        // Immediate: the checks read the rows the writes depend on, under the write lock.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| classify(&path, e))?;
        let apply = Apply {
            tx: &tx,
            path: &path,
            now: format_datetime(now),
        };
        let mut applied = Vec::with_capacity(changes.len());
        for change in changes {
            let change = apply.for_the_oms(change)?;
            let base_version = apply.apply(&change)?;
            applied.push(apply.write_outbox(&change, base_version)?);
        }
        // Dropping `tx` on an error above rolls everything back.
        tx.commit().map_err(|e| classify(&path, e))?;
        Ok(applied)
    }

    /// Every outbox row, by id.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, idempotency_key, kind, order_number, base_version, payload,
                    created_at, attempts, state FROM outbox ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((OutboxRow::read(r)?, r.get::<_, String>(8)?)))
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (row, state) = row.map_err(|e| self.err(e))?;
            let what = format!("outbox command {}", row.id);
            out.push(OutboxEntry {
                id: row.id,
                idempotency_key: row.idempotency_key,
                kind: row.kind,
                order_number: row.order_number,
                base_version: row.base_version,
                payload: serde_json::from_str(&row.payload)
                    .map_err(|e| self.bad_row(&what, e.to_string()))?,
                created_at: parse_datetime(&row.created_at).map_err(|d| self.bad_row(&what, d))?,
                state,
                attempts: row.attempts,
            });
        }
        Ok(out)
    }

    /// Commands not yet accepted or refused by the OMS.
    pub fn pending_outbox_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM outbox WHERE state = 'pending'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The returns of an order, oldest first, with their lines.
    pub fn returns_of(&self, order_number: &str) -> Result<Vec<ReturnRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, order_number, created_at, status, reason, resolution, refund_method,
                    refund_cents, refunded_at, pickup_date, pickup_slot
                 FROM returns WHERE order_number = ?1 ORDER BY created_at, id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([order_number], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<i64>>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                    r.get::<_, Option<String>>(10)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (
                id,
                order_number,
                created,
                status,
                reason,
                resolution,
                method,
                cents,
                refunded,
                pickup,
                slot,
            ) = row.map_err(|e| self.err(e))?;
            let what = format!("return {id}");
            let bad = |d: String| self.bad_row(&what, d);
            out.push(ReturnRecord {
                lines: self.return_lines(&id)?,
                created_at: parse_datetime(&created).map_err(bad)?,
                refunded_at: refunded
                    .map(|d| parse_datetime(&d))
                    .transpose()
                    .map_err(bad)?,
                pickup_date: pickup.map(|d| parse_date(&d)).transpose().map_err(bad)?,
                id,
                order_number,
                status,
                reason,
                resolution,
                refund_method: method,
                refund_cents: cents,
                pickup_slot: slot,
            });
        }
        Ok(out)
    }

    fn return_lines(&self, return_id: &str) -> Result<Vec<(u32, u32, Option<String>)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT line_no, qty, exchange_sku FROM return_items WHERE return_id = ?1
                 ORDER BY line_no",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([return_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// A fresh 13-digit order number not used by any order: `99` and an 11-digit
    /// sequence kept in `meta`, so the same store contents always give the same number.
    /// Placing an order with it (`apply_changes`) advances the sequence; numbers already
    /// in the store (imported ones included) are skipped. Two calls without placing an
    /// order in between return the same number.
    pub fn new_order_number(&self) -> Result<String, StoreError> {
        let mut seq = read_order_seq(&self.conn).map_err(|e| self.err(e))?;
        let limit = 10u64.pow(LOCAL_ORDER_SEQ_DIGITS as u32);
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM orders WHERE order_number = ?1")
            .map_err(|e| self.err(e))?;
        while seq < limit {
            let candidate = format!(
                "{LOCAL_ORDER_PREFIX}{seq:0width$}",
                width = LOCAL_ORDER_SEQ_DIGITS
            );
            if !stmt.exists([&candidate]).map_err(|e| self.err(e))? {
                return Ok(candidate);
            }
            seq += 1;
        }
        Err(StoreError::Invalid {
            what: "order number",
            detail: "the device's order number range is used up".into(),
        })
    }

    /// A fresh 8-digit return number, unique among returns: the order number's last four
    /// digits, then the order's return count plus one (skipping numbers taken), so a
    /// caller can tell which order a return is for and tests see the same numbers.
    pub fn new_return_id(&self, order_number: &str) -> Result<String, StoreError> {
        let count: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM returns WHERE order_number = ?1",
                [order_number],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM returns WHERE id = ?1")
            .map_err(|e| self.err(e))?;
        let start = u64::try_from(count).unwrap_or(0);
        for k in 0..10_000u64 {
            let seq = (start + k) % 9_999 + 1; // 0001..=9999
            let candidate = voxorder_domain::change::return_id_for(
                order_number,
                u32::try_from(seq).expect("at most 9999"),
            );
            if !stmt.exists([&candidate]).map_err(|e| self.err(e))? {
                return Ok(candidate);
            }
        }
        Err(StoreError::Invalid {
            what: "return number",
            detail: format!("every return number for order {order_number} is taken"),
        })
    }
}

/// The columns every outbox read needs, as stored: the first eight of a query selecting
/// `id, idempotency_key, kind, order_number, base_version, payload, created_at, attempts`.
pub(super) struct OutboxRow {
    pub id: i64,
    pub idempotency_key: String,
    pub kind: String,
    pub order_number: Option<String>,
    pub base_version: Option<i64>,
    pub payload: String,
    pub created_at: String,
    pub attempts: u32,
}

impl OutboxRow {
    pub(super) fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
        Ok(OutboxRow {
            id: r.get(0)?,
            idempotency_key: r.get(1)?,
            kind: r.get(2)?,
            order_number: r.get(3)?,
            base_version: r.get(4)?,
            payload: r.get(5)?,
            created_at: r.get(6)?,
            attempts: r.get(7)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::types::Value as SqlValue;
    use serde_json::json;

    use super::*;
    use crate::demo::{generate, load_into, DEMO_SEED};
    use crate::{ImportSummary, Product};
    use chrono::NaiveDate;
    use voxorder_config::{RefundMethod, TimeSlot};
    use voxorder_domain::change::{
        Channel, HandOffReason, InvestigationReason, Notice, Pickup, Resolution, ReturnLine,
    };
    use voxorder_domain::order::{AddressRecord, OrderRecord};
    use voxorder_domain::vocab::{CancelReason, ReturnReason};

    const PROCESSING: &str = "1234567891234"; // TEE-NAVY-M x2, 59.98
    const SHIPPED: &str = "5550001112223"; // HP-WL-BLK x1, CBL-USBC-1M x2, 117.99
    const PENDING: &str = "9876543210"; // COF-BEAN-1KG x3, cash on delivery

    fn at(day: u32, hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, day)
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
    }

    fn records() -> Vec<OrderRecord> {
        serde_json::from_str(include_str!("../../../tests/data/orders_valid.json")).unwrap()
    }

    fn product(sku: &str, stock: i64, active: bool) -> Product {
        Product {
            sku: sku.into(),
            name: format!("{sku} product"),
            category: "apparel".into(),
            family: sku.split('-').take(2).collect::<Vec<_>>().join("-"),
            size: None,
            color: None,
            price_cents: 2999,
            stock,
            final_sale: false,
            personalised: false,
            active,
            aliases: Vec::new(),
        }
    }

    /// The three fixture orders, a small catalog and a subscription of Ada's.
    fn fixture() -> Store {
        let mut store = Store::open_in_memory().unwrap();
        store
            .upsert_products(
                &[
                    product("TEE-NAVY-M", 5, true),
                    product("TEE-NAVY-L", 1, true),
                    product("COF-BEAN-1KG", 10, true),
                    product("TEE-OLD-S", 9, false),
                ],
                at(1, 8),
            )
            .unwrap();
        let orders: Vec<_> = records().iter().map(|r| r.validate().unwrap()).collect();
        store.upsert_orders(&orders, at(1, 9)).unwrap();
        let ada = store
            .customer_id_by_email("ada@example.com")
            .unwrap()
            .unwrap();
        store
            .insert_subscription(
                &crate::NewSubscription {
                    customer_id: ada,
                    sku: "COF-BEAN-1KG".into(),
                    qty: 1,
                    frequency_days: 14,
                    next_date: NaiveDate::from_ymd_opt(2026, 3, 15),
                    status: SubscriptionStatus::Active,
                },
                at(1, 9),
            )
            .unwrap();
        store
    }

    /// Every row of a table, every column, as SQLite holds them.
    fn dump(store: &Store, table: &str) -> Vec<Vec<SqlValue>> {
        let mut stmt = store
            .conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2"))
            .unwrap();
        let n = stmt.column_count();
        stmt.query_map([], |r| (0..n).map(|i| r.get::<_, SqlValue>(i)).collect())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    const TABLES: [&str; 9] = [
        "orders",
        "order_items",
        "customers",
        "products",
        "returns",
        "return_items",
        "subscriptions",
        "outbox",
        "meta",
    ];

    fn dump_all(store: &Store) -> Vec<Vec<Vec<SqlValue>>> {
        TABLES.iter().map(|t| dump(store, t)).collect()
    }

    /// (status, version, updated_at, record_hash) of an order row.
    fn order_row(store: &Store, number: &str) -> (String, i64, String, String) {
        store
            .conn
            .query_row(
                "SELECT status, version, updated_at, record_hash FROM orders
                 WHERE order_number = ?1",
                [number],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap()
    }

    fn column(store: &Store, number: &str, col: &str) -> Option<String> {
        store
            .conn
            .query_row(
                &format!("SELECT {col} FROM orders WHERE order_number = ?1"),
                [number],
                |r| r.get(0),
            )
            .unwrap()
    }

    fn stock(store: &Store, sku: &str) -> i64 {
        store.product(sku).unwrap().unwrap().stock
    }

    /// Applies one change and checks its outbox row against it.
    fn apply_one(store: &mut Store, change: Change, base_version: Option<i64>) -> OutboxEntry {
        let now = at(10, 10);
        let before = store.outbox().unwrap().len();
        let applied = store
            .apply_changes(std::slice::from_ref(&change), now)
            .unwrap();
        assert_eq!(applied.len(), 1);
        let a = &applied[0];
        assert_eq!(a.kind, change.kind());
        assert_eq!(a.order_number.as_deref(), change.order_number());
        let outbox = store.outbox().unwrap();
        assert_eq!(outbox.len(), before + 1);
        let entry = outbox.last().unwrap().clone();
        assert_eq!(entry.id, a.outbox_id);
        assert_eq!(entry.idempotency_key, a.idempotency_key);
        let key = uuid::Uuid::parse_str(&entry.idempotency_key).unwrap();
        assert_eq!(key.get_version_num(), 4);
        assert_eq!(entry.kind, change.kind());
        assert_eq!(entry.order_number.as_deref(), change.order_number());
        assert_eq!(entry.base_version, base_version, "{}", change.kind());
        // The store names a subscription for the OMS (its reference, the customer's
        // email); the rest is the change as it was made.
        let made = serde_json::to_value(&change).unwrap();
        let mut payload = entry.payload.clone();
        if let Some(fields) = payload.as_object_mut() {
            for filled in ["customer_email", "subscription_ref"] {
                if made.get(filled).is_none() {
                    fields.remove(filled);
                }
            }
        }
        assert_eq!(payload, made);
        let back: Change = serde_json::from_value(payload).unwrap();
        assert_eq!(back, change);
        assert_eq!(entry.created_at, now);
        assert_eq!((entry.state.as_str(), entry.attempts), ("pending", 0));
        entry
    }

    #[test]
    fn cancel_sets_status_and_time_bumps_the_version_and_writes_the_command() {
        let mut store = fixture();
        assert_eq!(order_row(&store, PROCESSING).1, 0);
        apply_one(
            &mut store,
            Change::CancelOrder {
                order_number: PROCESSING.into(),
                reason: CancelReason::FoundCheaper,
            },
            Some(0),
        );
        let order = store.order(PROCESSING).unwrap().unwrap();
        assert_eq!(order.status, OrderStatus::Cancelled);
        assert_eq!(order.cancelled_at, Some(at(10, 10)));
        assert_eq!(order.version, 1);
        let (_, _, updated_at, hash) = order_row(&store, PROCESSING);
        assert_eq!(updated_at, "2026-03-10T10:00:00");
        assert_eq!(hash, LOCAL_RECORD_HASH);
        assert_eq!(store.pending_outbox_count().unwrap(), 1);
        // Other orders are untouched.
        assert_eq!(order_row(&store, SHIPPED).1, 0);

        let err = store
            .apply_changes(
                &[Change::CancelOrder {
                    order_number: PROCESSING.into(),
                    reason: CancelReason::Other,
                }],
                at(10, 11),
            )
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::AlreadyCancelled { order_number } if order_number == PROCESSING),
            "{err}"
        );
        let err = store
            .apply_changes(
                &[Change::RescheduleDelivery {
                    order_number: PROCESSING.into(),
                    date: NaiveDate::from_ymd_opt(2026, 3, 20).unwrap(),
                    slot: Some(TimeSlot::Morning),
                }],
                at(10, 11),
            )
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::OrderCancelled {
                    kind: "reschedule_delivery",
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(store.outbox().unwrap().len(), 1);
    }

    #[test]
    fn address_change_writes_the_shipping_columns() {
        let mut store = fixture();
        let address = AddressRecord {
            line1: " 9 Elm St ".into(),
            line2: Some("Apt 4".into()),
            city: "Round Rock".into(),
            state: Some("TX".into()),
            zip: "78664-1234".into(),
            country: "us".into(),
        };
        apply_one(
            &mut store,
            Change::ChangeAddress {
                order_number: PROCESSING.into(),
                address,
            },
            Some(0),
        );
        let a = store
            .order(PROCESSING)
            .unwrap()
            .unwrap()
            .shipping_address
            .unwrap();
        assert_eq!(
            (a.line1.as_str(), a.line2.as_deref(), a.city.as_str()),
            ("9 Elm St", Some("Apt 4"), "Round Rock")
        );
        assert_eq!((a.zip.as_str(), a.country.as_str()), ("78664", "US"));
        assert_eq!(order_row(&store, PROCESSING).1, 1);

        let bad = Change::ChangeAddress {
            order_number: PROCESSING.into(),
            address: AddressRecord {
                line1: "1 Oak St".into(),
                line2: None,
                city: "Austin".into(),
                state: None,
                zip: "787".into(),
                country: "US".into(),
            },
        };
        let err = store.apply_changes(&[bad], at(10, 11)).unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid { what: "change_address", detail } if detail.contains("address.zip")),
            "{err}"
        );
    }

    #[test]
    fn reschedule_sets_the_estimate_and_the_slot() {
        let mut store = fixture();
        apply_one(
            &mut store,
            Change::RescheduleDelivery {
                order_number: SHIPPED.into(),
                date: NaiveDate::from_ymd_opt(2026, 3, 14).unwrap(),
                slot: Some(TimeSlot::Evening),
            },
            Some(0),
        );
        let order = store.order(SHIPPED).unwrap().unwrap();
        assert_eq!(
            order.estimated_delivery,
            NaiveDate::from_ymd_opt(2026, 3, 14)
        );
        assert_eq!(
            column(&store, SHIPPED, "delivery_slot").as_deref(),
            Some("evening")
        );
        assert_eq!(order.version, 1);
        // Any time of the day: the slot booked before is not kept, and the command
        // carries none.
        let entry = apply_one(
            &mut store,
            Change::RescheduleDelivery {
                order_number: SHIPPED.into(),
                date: NaiveDate::from_ymd_opt(2026, 3, 15).unwrap(),
                slot: None,
            },
            Some(1),
        );
        assert_eq!(column(&store, SHIPPED, "delivery_slot"), None);
        let body = entry.payload.to_string();
        assert!(!body.contains("slot"), "{body}");
    }

    #[test]
    fn confirming_moves_a_pending_order_to_processing_only() {
        let mut store = fixture();
        apply_one(
            &mut store,
            Change::ConfirmOrder {
                order_number: PENDING.into(),
            },
            Some(0),
        );
        assert_eq!(order_row(&store, PENDING).0, "processing");
        let err = store
            .apply_changes(
                &[Change::ConfirmOrder {
                    order_number: PENDING.into(),
                }],
                at(10, 11),
            )
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::WrongStatus {
                    status: OrderStatus::Processing,
                    expected: OrderStatus::PendingConfirmation,
                    ..
                }
            ),
            "{err}"
        );
    }

    fn return_request(id: &str, order: &str, lines: &[(u32, u32)]) -> ReturnRequest {
        ReturnRequest {
            return_id: id.into(),
            order_number: order.into(),
            lines: lines
                .iter()
                .map(|&(line_no, qty)| ReturnLine {
                    line_no,
                    qty,
                    exchange_sku: None,
                })
                .collect(),
            reason: ReturnReason::SizeIssue,
            resolution: Resolution::Refund,
            refund_method: Some(RefundMethod::StoreCredit),
            refund_cents: Some(950),
            ship_back: true,
            pickup: None,
        }
    }

    #[test]
    fn returns_are_stored_with_their_lines_status_and_refund() {
        let mut store = fixture();
        let id = store.new_return_id(SHIPPED).unwrap();
        assert_eq!(id, "22230001");
        apply_one(
            &mut store,
            Change::CreateReturn(return_request(&id, SHIPPED, &[(2, 1)])),
            Some(0),
        );
        assert_eq!(order_row(&store, SHIPPED).1, 1);
        let returns = store.returns_of(SHIPPED).unwrap();
        assert_eq!(
            returns,
            vec![ReturnRecord {
                id: id.clone(),
                order_number: SHIPPED.into(),
                created_at: at(10, 10),
                status: "label_sent".into(),
                reason: "size_issue".into(),
                resolution: "refund".into(),
                refund_method: Some("store_credit".into()),
                refund_cents: Some(950),
                refunded_at: None,
                pickup_date: None,
                pickup_slot: None,
                lines: vec![(2, 1, None)],
            }]
        );

        // A courier pickup, and an exchange for another variant.
        let next = store.new_return_id(SHIPPED).unwrap();
        assert_eq!(next, "22230002");
        let mut pickup = return_request(&next, SHIPPED, &[(1, 1)]);
        pickup.pickup = Some(Pickup {
            date: NaiveDate::from_ymd_opt(2026, 3, 12).unwrap(),
            slot: TimeSlot::Morning,
        });
        pickup.resolution = Resolution::Exchange;
        pickup.lines[0].exchange_sku = Some("TEE-NAVY-L".into());
        pickup.refund_method = None;
        pickup.refund_cents = None;
        apply_one(&mut store, Change::CreateReturn(pickup), Some(1));
        let r = &store.returns_of(SHIPPED).unwrap()[1];
        assert_eq!(r.status, "pickup_scheduled");
        assert_eq!(r.pickup_date, NaiveDate::from_ymd_opt(2026, 3, 12));
        assert_eq!(r.pickup_slot.as_deref(), Some("morning"));
        assert_eq!(r.resolution, "exchange");
        assert_eq!(r.lines, vec![(1, 1, Some("TEE-NAVY-L".to_string()))]);

        // A damaged item that does not come back.
        let mut damaged = return_request("12340001", PROCESSING, &[(1, 2)]);
        damaged.ship_back = false;
        damaged.reason = ReturnReason::Damaged;
        apply_one(&mut store, Change::CreateReturn(damaged), Some(0));
        assert_eq!(store.returns_of(PROCESSING).unwrap()[0].status, "requested");
        assert!(store.returns_of(PENDING).unwrap().is_empty());
    }

    #[test]
    fn returns_are_refused_beyond_what_was_bought_and_not_yet_returned() {
        let mut store = fixture();
        // Line 2 has 2 cables; return one, then a second, then none is left.
        apply_one(
            &mut store,
            Change::CreateReturn(return_request("22230001", SHIPPED, &[(2, 1)])),
            Some(0),
        );
        let refuse = |store: &mut Store, r: ReturnRequest| {
            let before = dump_all(store);
            let err = store
                .apply_changes(&[Change::CreateReturn(r)], at(10, 12))
                .unwrap_err();
            assert_eq!(dump_all(store), before, "{err}");
            err
        };
        let err = refuse(&mut store, return_request("22230002", SHIPPED, &[(2, 2)]));
        assert!(
            matches!(
                err,
                StoreError::ReturnExceedsLine {
                    line_no: 2,
                    requested: 2,
                    returnable: 1,
                    ..
                }
            ),
            "{err}"
        );
        let err = refuse(&mut store, return_request("22230002", SHIPPED, &[(3, 1)]));
        assert!(
            matches!(err, StoreError::NoSuchLine { line_no: 3, .. }),
            "{err}"
        );
        let err = refuse(&mut store, return_request("22230001", SHIPPED, &[(1, 1)]));
        assert!(
            matches!(err, StoreError::AlreadyExists { what: "return", .. }),
            "{err}"
        );
        let err = refuse(&mut store, return_request("x", SHIPPED, &[(1, 1), (1, 1)]));
        assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
        let mut unknown_variant = return_request("x", SHIPPED, &[(1, 1)]);
        unknown_variant.lines[0].exchange_sku = Some("NOPE".into());
        let err = refuse(&mut store, unknown_variant);
        assert!(
            matches!(&err, StoreError::NotFound { what: "product", id } if id == "NOPE"),
            "{err}"
        );
        let mut too_much = return_request("x", SHIPPED, &[(1, 1)]);
        too_much.refund_cents = Some(1_000_000);
        assert!(matches!(
            refuse(&mut store, too_much),
            StoreError::Invalid { .. }
        ));
        let err = refuse(&mut store, return_request("x", "0000000000", &[(1, 1)]));
        assert!(
            matches!(err, StoreError::NotFound { what: "order", .. }),
            "{err}"
        );

        // A rejected return gives its quantity back.
        store
            .conn
            .execute("UPDATE returns SET status = 'rejected'", [])
            .unwrap();
        apply_one(
            &mut store,
            Change::CreateReturn(return_request("22230002", SHIPPED, &[(2, 2)])),
            Some(1),
        );
    }

    fn new_order(number: &str, lines: &[(&str, i64)]) -> OrderRecord {
        let mut rec = records()[0].clone();
        rec.order_number = number.into();
        rec.status = "processing".into();
        rec.order_date = "2026-03-10".into();
        rec.tracking_number = None;
        rec.carrier = None;
        rec.items = lines
            .iter()
            .map(|&(sku, qty)| voxorder_domain::order::ItemRecord {
                sku: sku.into(),
                name: format!("{sku} product"),
                qty,
                price: 29.99,
                category: "apparel".into(),
                final_sale: false,
                personalised: false,
            })
            .collect();
        rec
    }

    #[test]
    fn placing_an_order_inserts_it_links_the_customer_and_takes_stock() {
        let mut store = fixture();
        let ada = store.customer_by_email("ada@example.com").unwrap().unwrap();
        let number = store.new_order_number().unwrap();
        assert_eq!(number, "9900000000001");
        let rec = new_order(&number, &[("TEE-NAVY-M", 2), ("COF-BEAN-1KG", 1)]);
        apply_one(
            &mut store,
            Change::PlaceOrder {
                order: Box::new(rec.clone()),
            },
            None,
        );
        assert_eq!(store.order(&number).unwrap(), Some(rec.validate().unwrap()));
        assert_eq!(order_row(&store, &number).3, LOCAL_RECORD_HASH);
        let orders = store.orders_of_customer(ada.id).unwrap();
        assert_eq!(orders.len(), 3);
        assert!(orders.iter().any(|o| o.order_number == number));
        assert_eq!(stock(&store, "TEE-NAVY-M"), 3);
        assert_eq!(stock(&store, "COF-BEAN-1KG"), 9);
        // The sequence moved past the number just used.
        assert_eq!(store.new_order_number().unwrap(), "9900000000002");

        let refuse = |store: &mut Store, rec: OrderRecord| {
            let before = dump_all(store);
            let err = store
                .apply_changes(
                    &[Change::PlaceOrder {
                        order: Box::new(rec),
                    }],
                    at(10, 12),
                )
                .unwrap_err();
            assert_eq!(dump_all(store), before, "{err}");
            err
        };
        // The same SKU twice: the second line would take stock below zero.
        let err = refuse(
            &mut store,
            new_order("9900000000002", &[("TEE-NAVY-M", 2), ("TEE-NAVY-M", 2)]),
        );
        assert!(
            matches!(&err, StoreError::OutOfStock { sku, requested: 2, available: 1 } if sku == "TEE-NAVY-M"),
            "{err}"
        );
        let err = refuse(&mut store, new_order(&number, &[("TEE-NAVY-L", 1)]));
        assert!(
            matches!(err, StoreError::AlreadyExists { what: "order", .. }),
            "{err}"
        );
        let err = refuse(&mut store, new_order("9900000000002", &[("NOPE", 1)]));
        assert!(
            matches!(
                err,
                StoreError::NotFound {
                    what: "product",
                    ..
                }
            ),
            "{err}"
        );
        let err = refuse(&mut store, new_order("9900000000002", &[("TEE-OLD-S", 1)]));
        assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
        let mut invalid = new_order("9900000000002", &[("TEE-NAVY-L", 1)]);
        invalid.customer.email = Some("not an email".into());
        let err = refuse(&mut store, invalid);
        assert!(
            matches!(&err, StoreError::Invalid { what: "place_order", detail } if detail.contains("customer.email")),
            "{err}"
        );
    }

    #[test]
    fn new_order_numbers_are_fresh_deterministic_and_skip_imported_ones() {
        let mut store = fixture();
        let first = store.new_order_number().unwrap();
        assert_eq!(first.len(), 13);
        assert!(first.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(store.new_order_number().unwrap(), first);
        // An imported order that happens to hold the next numbers is skipped.
        let imported: Vec<_> = ["9900000000001", "9900000000002"]
            .iter()
            .map(|n| new_order(n, &[("TEE-NAVY-M", 1)]).validate().unwrap())
            .collect();
        store.upsert_orders(&imported, at(10, 9)).unwrap();
        let fresh = store.new_order_number().unwrap();
        assert_eq!(fresh, "9900000000003");
        // Numbers placed in one run are all different and none is reused.
        let mut seen = std::collections::HashSet::new();
        for _ in 0..5 {
            let n = store.new_order_number().unwrap();
            assert!(store.order(&n).unwrap().is_none());
            assert!(seen.insert(n.clone()));
            store
                .apply_changes(
                    &[Change::PlaceOrder {
                        order: Box::new(new_order(&n, &[("COF-BEAN-1KG", 1)])),
                    }],
                    at(10, 10),
                )
                .unwrap();
        }
        assert_eq!(store.new_order_number().unwrap(), "9900000000008");
    }

    #[test]
    fn subscriptions_are_created_and_changed() {
        let mut store = fixture();
        let ada = store
            .customer_id_by_email("ada@example.com")
            .unwrap()
            .unwrap();
        let date = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        apply_one(
            &mut store,
            Change::CreateSubscription {
                customer_id: ada,
                customer_email: None,
                subscription_ref: None,
                sku: "TEE-NAVY-M".into(),
                qty: 2,
                frequency_days: 30,
                next_date: date(20),
            },
            None,
        );
        let subs = store.subscriptions_of(ada).unwrap();
        assert_eq!(subs.len(), 2);
        let id = subs[1].id;
        let sub = |store: &Store| store.subscription(id).unwrap().unwrap();
        assert_eq!(
            (
                sub(&store).sku.as_str(),
                sub(&store).qty,
                sub(&store).frequency_days
            ),
            ("TEE-NAVY-M", 2, 30)
        );
        assert_eq!(sub(&store).next_date, Some(date(20)));
        assert_eq!(sub(&store).status, SubscriptionStatus::Active);
        // The OMS hears of it by the customer's email and a reference made here, which
        // later changes of the subscription carry too.
        let created = store.outbox().unwrap().last().unwrap().payload.clone();
        assert_eq!(created["customer_email"], "ada@example.com");
        let reference = created["subscription_ref"].as_str().unwrap().to_string();
        assert_eq!(reference.len(), 36, "{reference}");

        let update = |store: &mut Store, action| {
            apply_one(
                store,
                Change::UpdateSubscription {
                    subscription_id: id,
                    subscription_ref: None,
                    action,
                },
                None,
            );
        };
        update(&mut store, SubscriptionAction::Pause);
        assert_eq!(sub(&store).status, SubscriptionStatus::Paused);
        let paused = store.outbox().unwrap().last().unwrap().payload.clone();
        assert_eq!(
            paused["subscription_ref"].as_str(),
            Some(reference.as_str())
        );
        update(
            &mut store,
            SubscriptionAction::Resume {
                next_date: date(22),
            },
        );
        assert_eq!(sub(&store).status, SubscriptionStatus::Active);
        assert_eq!(sub(&store).next_date, Some(date(22)));
        update(
            &mut store,
            SubscriptionAction::SkipNext {
                next_date: date(28),
            },
        );
        assert_eq!(sub(&store).next_date, Some(date(28)));
        update(
            &mut store,
            SubscriptionAction::ChangeFrequency {
                frequency_days: 14,
                next_date: date(25),
            },
        );
        assert_eq!(
            (sub(&store).frequency_days, sub(&store).next_date),
            (14, Some(date(25)))
        );
        update(&mut store, SubscriptionAction::ChangeQuantity { qty: 3 });
        assert_eq!(sub(&store).qty, 3);
        update(&mut store, SubscriptionAction::Cancel);
        assert_eq!(sub(&store).status, SubscriptionStatus::Cancelled);
        assert_eq!(store.outbox().unwrap().len(), 7);

        let refuse = |store: &mut Store, change: Change| {
            let before = dump_all(store);
            let err = store.apply_changes(&[change], at(10, 12)).unwrap_err();
            assert_eq!(dump_all(store), before, "{err}");
            err
        };
        let err = refuse(
            &mut store,
            Change::UpdateSubscription {
                subscription_id: id,
                subscription_ref: None,
                action: SubscriptionAction::Pause,
            },
        );
        assert!(
            matches!(err, StoreError::SubscriptionCancelled { .. }),
            "{err}"
        );
        let err = refuse(
            &mut store,
            Change::UpdateSubscription {
                subscription_id: 999,
                subscription_ref: None,
                action: SubscriptionAction::Pause,
            },
        );
        assert!(
            matches!(&err, StoreError::NotFound { what: "subscription", id } if id == "999"),
            "{err}"
        );
        let first = store.subscriptions_of(ada).unwrap()[0].id;
        let err = refuse(
            &mut store,
            Change::UpdateSubscription {
                subscription_id: first,
                subscription_ref: None,
                action: SubscriptionAction::ChangeQuantity { qty: 0 },
            },
        );
        assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
        let err = refuse(
            &mut store,
            Change::CreateSubscription {
                customer_id: 999,
                customer_email: None,
                subscription_ref: None,
                sku: "TEE-NAVY-M".into(),
                qty: 1,
                frequency_days: 30,
                next_date: date(20),
            },
        );
        assert!(
            matches!(
                err,
                StoreError::NotFound {
                    what: "customer",
                    ..
                }
            ),
            "{err}"
        );
        let err = refuse(
            &mut store,
            Change::CreateSubscription {
                customer_id: ada,
                customer_email: None,
                subscription_ref: None,
                sku: "NOPE".into(),
                qty: 1,
                frequency_days: 30,
                next_date: date(20),
            },
        );
        assert!(
            matches!(
                err,
                StoreError::NotFound {
                    what: "product",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn notices_investigations_and_hand_offs_only_write_the_outbox() {
        let mut store = fixture();
        let before: Vec<_> = ["orders", "returns", "subscriptions", "products"]
            .iter()
            .map(|t| dump(&store, t))
            .collect();
        apply_one(
            &mut store,
            Change::Notify {
                channel: Channel::Sms,
                template: Notice::TrackingLink,
                order_number: Some(SHIPPED.into()),
                reference: Some("1Z999".into()),
            },
            Some(0),
        );
        apply_one(
            &mut store,
            Change::OpenInvestigation {
                order_number: SHIPPED.into(),
                reason: InvestigationReason::NotReceived,
            },
            Some(0),
        );
        apply_one(
            &mut store,
            Change::HandOff {
                reason: HandOffReason::Complaint,
                order_number: None,
                summary: "unhappy with the delay".into(),
            },
            None,
        );
        // A hand-off about an order the cache does not hold still goes out.
        apply_one(
            &mut store,
            Change::HandOff {
                reason: HandOffReason::Exception,
                order_number: Some("1111111111".into()),
                summary: "order not in the cache".into(),
            },
            None,
        );
        let after: Vec<_> = ["orders", "returns", "subscriptions", "products"]
            .iter()
            .map(|t| dump(&store, t))
            .collect();
        assert_eq!(after, before);
        assert_eq!(store.pending_outbox_count().unwrap(), 4);
        let err = store
            .apply_changes(
                &[Change::OpenInvestigation {
                    order_number: "1111111111".into(),
                    reason: InvestigationReason::MissingItem,
                }],
                at(10, 12),
            )
            .unwrap_err();
        assert!(
            matches!(err, StoreError::NotFound { what: "order", .. }),
            "{err}"
        );
    }

    #[test]
    fn a_failing_batch_writes_nothing() {
        let mut store = fixture();
        let before = dump_all(&store);
        let batch = [
            Change::CancelOrder {
                order_number: PROCESSING.into(),
                reason: CancelReason::ChangedMind,
            },
            Change::Notify {
                channel: Channel::Email,
                template: Notice::CancellationConfirmation,
                order_number: Some(PROCESSING.into()),
                reference: None,
            },
            Change::ConfirmOrder {
                order_number: PENDING.into(),
            },
            Change::PlaceOrder {
                order: Box::new(new_order("9900000000001", &[("TEE-NAVY-M", 1)])),
            },
            Change::CreateReturn(return_request("22230001", SHIPPED, &[(2, 1)])),
            Change::UpdateSubscription {
                subscription_id: 1,
                subscription_ref: None,
                action: SubscriptionAction::Pause,
            },
            // The last change fails: only 1 large tee in stock.
            Change::PlaceOrder {
                order: Box::new(new_order("9900000000002", &[("TEE-NAVY-L", 2)])),
            },
        ];
        let err = store.apply_changes(&batch, at(10, 10)).unwrap_err();
        assert!(matches!(err, StoreError::OutOfStock { .. }), "{err}");
        assert_eq!(dump_all(&store), before);
        assert_eq!(store.pending_outbox_count().unwrap(), 0);

        // Without the failing change the batch applies, in order, as one.
        let applied = store
            .apply_changes(&batch[..batch.len() - 1], at(10, 10))
            .unwrap();
        assert_eq!(applied.len(), 6);
        let ids: Vec<i64> = applied.iter().map(|a| a.outbox_id).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        let keys: std::collections::HashSet<_> =
            applied.iter().map(|a| &a.idempotency_key).collect();
        assert_eq!(keys.len(), 6);
        let outbox = store.outbox().unwrap();
        // The notice follows the cancel and sees the bumped version.
        assert_eq!(outbox[0].base_version, Some(0));
        assert_eq!(outbox[1].base_version, Some(1));
        assert_eq!(outbox[1].payload["template"], "cancellation_confirmation");
    }

    #[test]
    fn an_import_keeps_orders_whose_device_changes_are_not_yet_sent() {
        let mut store = fixture();
        let original: Vec<_> = records().iter().map(|r| r.validate().unwrap()).collect();
        assert_eq!(
            store.upsert_orders(&original, at(10, 9)).unwrap(),
            ImportSummary {
                unchanged: 3,
                ..ImportSummary::default()
            }
        );
        let applied = store
            .apply_changes(
                &[Change::CancelOrder {
                    order_number: PROCESSING.into(),
                    reason: CancelReason::ChangedMind,
                }],
                at(10, 10),
            )
            .unwrap();
        // The file was written before the cancellation: importing it again must not put
        // the order back to processing while its command is still on its way (a caller
        // could then cancel it a second time).
        let again = store.upsert_orders(&original, at(10, 11)).unwrap();
        assert_eq!(
            again,
            ImportSummary {
                unchanged: 2,
                kept_pending: 1,
                ..ImportSummary::default()
            }
        );
        assert_eq!(
            store.order(PROCESSING).unwrap().unwrap().status,
            OrderStatus::Cancelled
        );
        assert_eq!(store.pending_outbox_count().unwrap(), 1);

        // The OMS applied it and sent its version back: an import of the old file is
        // now older than what the store holds, and is kept out too.
        let mut central = store.order(PROCESSING).unwrap().unwrap();
        central.version = 1;
        store
            .settle_outbox(
                &[crate::Settlement {
                    idempotency_key: applied[0].idempotency_key.clone(),
                    outcome: crate::Outcome::Applied,
                    order: Some(central),
                }],
                false,
                at(10, 12),
            )
            .unwrap();
        let stale = store.upsert_orders(&original, at(10, 13)).unwrap();
        assert_eq!((stale.kept_newer, stale.unchanged), (1, 2));
        assert_eq!(
            store.order(PROCESSING).unwrap().unwrap().status,
            OrderStatus::Cancelled
        );

        // A newer record from the OMS is written as usual.
        let mut newer = original.clone();
        let i = newer
            .iter()
            .position(|o| o.order_number == PROCESSING)
            .unwrap();
        newer[i].version = 2;
        newer[i].status = OrderStatus::Cancelled;
        let written = store.upsert_orders(&newer, at(10, 14)).unwrap();
        assert_eq!((written.updated, written.unchanged), (1, 2));
        // And importing the same file twice changes nothing the second time.
        assert_eq!(
            store.upsert_orders(&newer, at(10, 15)).unwrap().unchanged,
            3
        );
    }

    #[test]
    fn demo_orders_take_changes_like_imported_ones() {
        let anchor = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let now = anchor.and_hms_opt(10, 0, 0).unwrap();
        let data = generate(anchor, 300, DEMO_SEED);
        let mut store = Store::open_in_memory().unwrap();
        load_into(&mut store, &data, now).unwrap();
        let processing = data
            .orders
            .iter()
            .find(|o| o.status == OrderStatus::Processing)
            .unwrap();
        let delivered = data
            .orders
            .iter()
            .find(|o| o.status == OrderStatus::Delivered && o.items[0].qty >= 1)
            .unwrap();
        let in_stock = data.products.iter().find(|p| p.stock >= 2).unwrap();
        let number = store.new_order_number().unwrap();
        let mut rec = OrderRecord::from(processing);
        rec.order_number = number.clone();
        rec.items.truncate(1);
        rec.items[0].sku = in_stock.sku.clone();
        rec.items[0].qty = 2;
        let applied = store
            .apply_changes(
                &[
                    Change::CancelOrder {
                        order_number: processing.order_number.clone(),
                        reason: CancelReason::DeliveryTooSlow,
                    },
                    Change::CreateReturn(ReturnRequest {
                        return_id: store.new_return_id(&delivered.order_number).unwrap(),
                        order_number: delivered.order_number.clone(),
                        lines: vec![ReturnLine {
                            line_no: 1,
                            qty: 1,
                            exchange_sku: None,
                        }],
                        reason: ReturnReason::ChangedMind,
                        resolution: Resolution::Refund,
                        refund_method: Some(RefundMethod::OriginalPayment),
                        refund_cents: Some(delivered.items[0].price.cents()),
                        ship_back: true,
                        pickup: None,
                    }),
                    Change::PlaceOrder {
                        order: Box::new(rec),
                    },
                ],
                now,
            )
            .unwrap();
        assert_eq!(applied.len(), 3);
        let outbox = store.outbox().unwrap();
        // Demo orders come at version 1 from the OMS.
        assert_eq!(outbox[0].base_version, Some(1));
        assert_eq!(outbox[1].base_version, Some(1));
        assert_eq!(outbox[2].base_version, None);
        assert_eq!(
            store
                .order(&processing.order_number)
                .unwrap()
                .unwrap()
                .version,
            2
        );
        assert_eq!(store.returns_of(&delivered.order_number).unwrap().len(), 1);
        assert_eq!(stock(&store, &in_stock.sku), in_stock.stock - 2);
        assert_eq!(
            outbox[0].payload,
            json!({"kind": "cancel_order",
            "order_number": processing.order_number, "reason": "delivery_too_slow"})
        );
    }

    #[test]
    fn return_numbers_are_eight_digits_and_unique() {
        let mut store = fixture();
        assert_eq!(store.new_return_id(PENDING).unwrap(), "32100001");
        assert_eq!(store.new_return_id("12").unwrap(), "00120001");
        // A number taken by another order's return is skipped.
        apply_one(
            &mut store,
            Change::CreateReturn(return_request("22230001", PROCESSING, &[(1, 1)])),
            Some(0),
        );
        assert_eq!(store.new_return_id(SHIPPED).unwrap(), "22230002");
        assert_eq!(store.new_return_id(PROCESSING).unwrap(), "12340002");
    }
}

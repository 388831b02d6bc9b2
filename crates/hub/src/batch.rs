//! What the hub does with data, whatever engine holds it: loading a seed and applying a
//! batch of device commands (scope and idempotency checks first, then each command
//! judged by `rules`), written once over [`Tx`], the few reads and writes an engine's
//! transaction offers. The SQLite engine (`db`) and the PostgreSQL engine (`pg`) each
//! implement [`Tx`]; neither holds a business rule.
//!
//! Architecture invariant: a [`Tx`] is one transaction that no other writer of the
//! store interleaves with (SQLite's immediate transaction; PostgreSQL's feed lock), and
//! it hands out feed sequence numbers above every one committed before it.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;

use super::db::{command_hash, BatchOutcome, OmsDbError, Seed, SeedSummary};
use super::rules::{
    apply_to_order, judge_new_order, judge_new_subscription, judge_return,
    judge_subscription_change, Reject, Subscription, SubscriptionState,
};
use super::scope::{Admission, Scope};
use voxorder_config::PolicyConfig;
use voxorder_domain::change::{return_id_belongs, Change, ReturnRequest, SubscriptionAction};
use voxorder_domain::order::{format_datetime, Order, OrderRecord};
use voxorder_domain::records::Product;
use voxorder_domain::wire::{
    CommandIn, CommandOutcome, CommandResult, KIND_DOCUMENT, KIND_ORDER, KIND_POLICY, KIND_PRODUCT,
};

/// An order's store and customer email: what scope is judged on.
pub(crate) type ScopeKeys = (Option<String>, Option<String>);

/// A received command's outcome, reason, detail and order number.
pub(crate) type StoredCommand = (String, Option<String>, Option<String>, Option<String>);

/// One row of the idempotency table.
pub(crate) struct CommandRow<'a> {
    pub device_id: &'a str,
    pub key: &'a str,
    pub body_hash: &'a str,
    pub kind: &'a str,
    pub order_number: Option<&'a str>,
    pub base_version: Option<i64>,
    /// `applied` | `rejected`.
    pub outcome: &'static str,
    pub reason: Option<&'a str>,
    pub detail: Option<&'a str>,
    pub version_after: Option<i64>,
    /// The command's body when applied; `null` when refused.
    pub payload: &'a str,
    pub received_at: &'a str,
}

/// The reads and writes of one write transaction of an engine.
pub(crate) trait Tx {
    /// An entity's JSON.
    fn get(&mut self, kind: &str, id: &str) -> Result<Option<String>, OmsDbError>;
    /// Inserts or replaces an entity under the next feed sequence number.
    fn put_entity(
        &mut self,
        kind: &str,
        id: &str,
        body: &str,
        keys: &ScopeKeys,
    ) -> Result<(), OmsDbError>;
    /// The store and customer of an order the OMS holds.
    fn scope_keys(&mut self, order_number: &str) -> Result<Option<ScopeKeys>, OmsDbError>;
    /// Whether an order of this customer (by email) is in `scope`.
    fn customer_has_order_in(&mut self, email: &str, scope: &Scope) -> Result<bool, OmsDbError>;
    fn subscription_body(&mut self, reference: &str) -> Result<Option<String>, OmsDbError>;
    fn put_subscription(
        &mut self,
        reference: &str,
        customer: &str,
        body: &str,
    ) -> Result<(), OmsDbError>;
    fn return_exists(&mut self, order_number: &str, id: &str) -> Result<bool, OmsDbError>;
    fn return_bodies(&mut self, order_number: &str) -> Result<Vec<String>, OmsDbError>;
    fn insert_return(&mut self, order_number: &str, id: &str, body: &str)
        -> Result<(), OmsDbError>;
    /// The body hash of a command this device sent before under `key`.
    fn stored_hash(&mut self, device_id: &str, key: &str) -> Result<Option<String>, OmsDbError>;
    fn stored_command(
        &mut self,
        device_id: &str,
        key: &str,
    ) -> Result<Option<StoredCommand>, OmsDbError>;
    fn insert_command(&mut self, row: &CommandRow<'_>) -> Result<(), OmsDbError>;
    /// Adds to the count of duplicates answered.
    fn add_duplicates(&mut self, n: i64) -> Result<(), OmsDbError>;
    /// A stored row that no longer parses.
    fn bad(&self, what: String, detail: String) -> OmsDbError;
}

/// Loads seed data; a changed order gets a new version and appears in the feed again.
pub(crate) fn import(tx: &mut impl Tx, seed: &Seed) -> Result<SeedSummary, OmsDbError> {
    let mut w = Writer { tx };
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
    Ok(sum)
}

/// Applies a batch of device commands, in the order given, and returns one result per
/// command. A key this device sent before with the same body is answered from the
/// idempotency table and changes nothing; another device's keys are never looked at. A
/// batch with any command about an order outside `scope`, or reusing a key for a
/// different body, is refused whole before anything is written (the caller rolls back).
pub(crate) fn apply_batch(
    tx: &mut impl Tx,
    device_id: &str,
    scope: &Scope,
    commands: &[CommandIn],
    policy: &PolicyConfig,
    now: NaiveDateTime,
) -> Result<BatchOutcome, OmsDbError> {
    let mut w = Writer { tx };
    let Admitted {
        changes,
        hashes,
        outside,
        reused,
    } = w.admit(device_id, commands, scope)?;
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
        if let Some((outcome, reason, detail, order_number)) =
            w.tx.stored_command(device_id, &cmd.idempotency_key)?
        {
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
        let applied = outcome == CommandOutcome::Applied;
        w.tx.insert_command(&CommandRow {
            device_id,
            key: &cmd.idempotency_key,
            body_hash: &hash,
            kind: &cmd.kind,
            order_number: order_number.as_deref(),
            base_version: cmd.base_version,
            outcome: if applied { "applied" } else { "rejected" },
            reason: reason.as_deref(),
            detail: detail.as_deref(),
            version_after: order.as_ref().map(|o| o.version),
            // A refused command changed nothing: its outcome and body hash answer a
            // retry, and keeping its body would let one device token fill the hub's
            // disk with refusals.
            payload: if applied { cmd.payload.get() } else { "null" },
            received_at: &now_s,
        })?;
        results.push(CommandResult {
            idempotency_key: cmd.idempotency_key.clone(),
            outcome,
            reason,
            detail,
            order: order.as_ref().map(OrderRecord::from),
        });
    }
    if duplicates > 0 {
        w.tx.add_duplicates(duplicates)?;
    }
    Ok(BatchOutcome::Applied(results))
}

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

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("entities always serialise")
}

/// The business side of one transaction.
struct Writer<'t, T: Tx> {
    tx: &'t mut T,
}

impl<T: Tx> Writer<'_, T> {
    /// Writes a product, document or policy.
    fn put(&mut self, kind: &str, id: &str, body: &str) -> Result<(), OmsDbError> {
        self.tx.put_entity(kind, id, body, &(None, None))
    }

    /// Parses a batch and judges it: the changes to apply; the keys of the commands
    /// about orders outside `scope` (the order as the OMS holds it now, or a new order as
    /// placed, counting orders placed earlier in the batch); and the keys the device
    /// already used for another body. A new order that names no store is given the
    /// device's only store ([`Scope::admit_new`]).
    fn admit(
        &mut self,
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
            let earlier = match self.tx.stored_hash(device_id, &cmd.idempotency_key)? {
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
                    None => self.tx.scope_keys(&n)?,
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
    fn customer_in_scope(&mut self, email: &str, scope: &Scope) -> Result<bool, OmsDbError> {
        if scope.covers_keys(None, Some(email)) {
            return Ok(true);
        }
        self.tx.customer_has_order_in(email, scope)
    }

    /// A subscription the OMS holds, by its reference.
    fn subscription(&mut self, reference: &str) -> Result<Option<Subscription>, OmsDbError> {
        let Some(body) = self.tx.subscription_body(reference)? else {
            return Ok(None);
        };
        serde_json::from_str(&body).map(Some).map_err(|e| {
            self.tx
                .bad(format!("subscription {reference}"), e.to_string())
        })
    }

    fn put_subscription(&mut self, reference: &str, sub: &Subscription) -> Result<(), OmsDbError> {
        self.tx
            .put_subscription(reference, &sub.customer_email, &to_json(sub))
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

    fn order(&mut self, order_number: &str) -> Result<Option<Order>, OmsDbError> {
        let Some(body) = self.tx.get(KIND_ORDER, order_number)? else {
            return Ok(None);
        };
        let what = || format!("order {order_number}");
        let rec: OrderRecord =
            serde_json::from_str(&body).map_err(|e| self.tx.bad(what(), e.to_string()))?;
        rec.validate()
            .map(Some)
            .map_err(|e| self.tx.bad(what(), e.to_string()))
    }

    fn put_order(&mut self, order: &Order) -> Result<(), OmsDbError> {
        self.tx.put_entity(
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
        &mut self,
        skus: impl IntoIterator<Item = &'s str>,
    ) -> Result<BTreeMap<String, Product>, OmsDbError> {
        let mut products = BTreeMap::new();
        for sku in skus {
            if products.contains_key(sku) {
                continue;
            }
            if let Some(body) = self.tx.get(KIND_PRODUCT, sku)? {
                let p: Product = serde_json::from_str(&body)
                    .map_err(|e| self.tx.bad(format!("product {sku}"), e.to_string()))?;
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
        if self.tx.return_exists(&r.order_number, &r.return_id)? {
            return Ok(Err(Reject::new(
                "return_exists",
                format!("return {} already exists", r.return_id),
            )));
        }
        let earlier = self.tx.return_bodies(&r.order_number)?;
        let mut returned: BTreeMap<u32, u32> = BTreeMap::new();
        for body in &earlier {
            let prev: ReturnRequest = serde_json::from_str(body).map_err(|e| {
                self.tx
                    .bad(format!("a return of {}", r.order_number), e.to_string())
            })?;
            for l in prev.lines {
                *returned.entry(l.line_no).or_default() += l.qty;
            }
        }
        let products = self.products(r.lines.iter().filter_map(|l| l.exchange_sku.as_deref()))?;
        if let Err(reject) = judge_return(&order, r, &returned, &products, policy, now) {
            return Ok(Err(reject));
        }
        self.tx
            .insert_return(&r.order_number, &r.return_id, &to_json(r))?;
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
        if self.tx.get(KIND_ORDER, &order.order_number)?.is_some() {
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

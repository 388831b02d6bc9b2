//! Orders in the store: upsert from validated records, and the look-ups the agent needs
//! (by order number, by phone, by email).

use chrono::NaiveDateTime;
use rusqlite::{params, Connection, OptionalExtension, Row, ToSql, Transaction};
use serde::Serialize;

use super::OrderSummary;
use super::{classify, Store, StoreError};
use voxorder_domain::order::{
    format_datetime, parse_date, parse_datetime, Address, Customer, Money, Order, OrderItem,
    OrderRecord, OrderStatus, Payment, TrackingEvent,
};

/// What an import did, counted per order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Orders left as they are because changes made on this device are still waiting to
    /// reach the OMS: the file cannot know them, and writing it would undo them.
    pub kept_pending: usize,
    /// Orders left as they are because the store holds a newer OMS version than the
    /// file's (an older export imported again).
    pub kept_newer: usize,
}

/// A 64-bit FNV-1a hash of an order's canonical JSON, so re-importing the same data is
/// recognised as unchanged without reading the stored order back.
fn record_hash(order: &Order) -> String {
    let json = serde_json::to_vec(&OrderRecord::from(order)).expect("an order always serialises");
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in json {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The `record_hash` of an order changed on the device (by `apply_changes`).
///
/// `record_hash` says "this row is exactly that imported record", which is what lets an
/// import skip a record it has already written. After a local change the row is no
/// longer any record the OMS sent, so keeping the old hash would make a later import of
/// the old record look unchanged: it would be skipped, and if the OMS rejected the change
/// (or has not applied it yet and sends the order as it was) the cache would keep showing
/// a change that never happened centrally. Recomputing the hash from the changed row
/// would also be wrong: the hash stands for what the OMS said. So a local change stores
/// a marker no FNV hash can equal (those are 16 hex digits), and the next import of that
/// order is always written: the OMS's record is the truth, and reconciling it with
/// commands still in the outbox is `sync`'s job.
pub(super) const LOCAL_RECORD_HASH: &str = "local";

/// Imports at least this large get a bigger page cache while they run.
const BULK_IMPORT_ORDERS: usize = 10_000;
/// The page cache during a bulk import, as SQLite's negative "KiB" form.
const BULK_CACHE_KIB: i64 = -262_144;
/// Imports at least this large rebuild the secondary indexes instead of updating them.
pub(super) const REBUILD_INDEXES_ORDERS: usize = 50_000;
/// Memory-mapped reads during a bulk import: a cache miss becomes a page fault instead
/// of a read call and a copy.
const BULK_MMAP_BYTES: i64 = 1 << 30;

const SELECT_ORDER: &str = "SELECT order_number, status, order_date, customer_name, email, phone,
        billing_zip, subtotal_cents, shipping_cents, total_cents, currency, payment_method,
        payment_brand, payment_last4, ship_line1, ship_line2, ship_city, ship_state, ship_zip,
        ship_country, shipping_method, carrier, tracking_number, shipped_at,
        estimated_delivery, delivered_at, cancelled_at, internal_notes, version
    FROM orders";

impl Store {
    /// Inserts or replaces every order in one transaction: all of them land, or none.
    pub fn upsert_orders(
        &mut self,
        orders: &[Order],
        now: NaiveDateTime,
    ) -> Result<ImportSummary, StoreError> {
        let path = self.path.clone();
        // Index inserts for random order numbers touch pages all over the file; with
        // SQLite's default 2 MB page cache a large import thrashes. Raise it for the
        // duration of a bulk import only (devices have little memory to spare).
        let bulk = orders.len() >= BULK_IMPORT_ORDERS;
        if bulk {
            for (pragma, value) in [
                ("cache_size", BULK_CACHE_KIB),
                ("mmap_size", BULK_MMAP_BYTES),
            ] {
                self.conn
                    .pragma_update(None, pragma, value)
                    .map_err(|e| classify(&path, e))?;
            }
        }
        // In order-number order, the orders table, its key and the item and tracking
        // rows (keyed by order number) grow at their ends instead of at random pages.
        let mut sorted: Vec<&Order> = orders.iter().collect();
        sorted.sort_unstable_by(|a, b| a.order_number.cmp(&b.order_number));
        let result = self.upsert_in_one_transaction(&sorted, now);
        if bulk {
            for (pragma, value) in [("cache_size", super::CACHE_KIB), ("mmap_size", 0)] {
                self.conn
                    .pragma_update(None, pragma, value)
                    .map_err(|e| classify(&path, e))?;
            }
        }
        result
    }

    fn upsert_in_one_transaction(
        &mut self,
        orders: &[&Order],
        now: NaiveDateTime,
    ) -> Result<ImportSummary, StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| classify(&path, e))?;
        // Keeping secondary indexes (phone, email, customer, SKU) current row by row
        // costs a random page per row; a large import drops them and rebuilds each by one
        // sort at the end, inside the same transaction, so readers and a failed import
        // still see them intact.
        let rebuilt = if orders.len() >= self.rebuild_indexes_from {
            drop_secondary_indexes(&tx).map_err(|e| classify(&path, e))?
        } else {
            Vec::new()
        };
        let mut summary = ImportSummary::default();
        let now_s = format_datetime(now);
        for order in orders {
            match import_one(&tx, order, &now_s).map_err(|e| classify(&path, e))? {
                Imported::Written(Upserted::Inserted) => summary.inserted += 1,
                Imported::Written(Upserted::Updated) => summary.updated += 1,
                Imported::Written(Upserted::Unchanged) => summary.unchanged += 1,
                Imported::KeptPending => summary.kept_pending += 1,
                Imported::KeptNewer => summary.kept_newer += 1,
            }
        }
        for sql in &rebuilt {
            tx.execute_batch(sql).map_err(|e| classify(&path, e))?;
        }
        tx.commit().map_err(|e| classify(&path, e))?;
        Ok(summary)
    }

    /// From how many orders an import rebuilds indexes instead of updating them (the
    /// default suits devices; tests lower it to exercise the bulk path).
    pub fn set_rebuild_indexes_from(&mut self, orders: usize) {
        self.rebuild_indexes_from = orders;
    }

    /// The order with this number, items and tracking events included.
    pub fn order(&self, order_number: &str) -> Result<Option<Order>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_ORDER} WHERE order_number = ?1"))
            .map_err(|e| self.err(e))?;
        let raw = stmt
            .query_row([order_number], RawOrder::from_row)
            .optional()
            .map_err(|e| self.err(e))?;
        let Some(raw) = raw else { return Ok(None) };
        let items = self.items_of(order_number)?;
        let events = self.tracking_events_of(order_number)?;
        raw.into_order(items, events)
            .map(Some)
            .map_err(|d| self.bad_row(&format!("order {order_number}"), d))
    }

    /// Every order number in the store, in order: what the recogniser may prefer over a
    /// reading one digit away. Only the numbers, never whose they are.
    pub fn order_numbers(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT order_number FROM orders ORDER BY order_number")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Orders whose checkout phone matches (digits only), newest first.
    pub fn orders_by_phone(&self, phone_digits: &str) -> Result<Vec<OrderSummary>, StoreError> {
        self.summaries("phone = ?1", &phone_digits)
    }

    /// Orders whose checkout email matches (case-insensitive), newest first.
    pub fn orders_by_email(&self, email: &str) -> Result<Vec<OrderSummary>, StoreError> {
        self.summaries("email = ?1", &email.trim().to_lowercase())
    }

    /// Number of orders per status.
    pub fn order_counts(&self) -> Result<Vec<(OrderStatus, u64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT status, count(*) FROM orders GROUP BY status ORDER BY status")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (s, n) = row.map_err(|e| self.err(e))?;
            let st = s
                .parse()
                .map_err(|e: voxorder_domain::order::UnknownStatus| {
                    self.bad_row("order status", e.to_string())
                })?;
            out.push((st, n.max(0) as u64));
        }
        Ok(out)
    }

    /// Summaries of the orders matching `predicate` (on `orders o`, one parameter),
    /// newest first.
    pub(super) fn summaries(
        &self,
        predicate: &str,
        value: &dyn ToSql,
    ) -> Result<Vec<OrderSummary>, StoreError> {
        let sql = format!(
            "SELECT o.order_number, o.status, o.order_date, o.total_cents,
                    (SELECT count(*) FROM order_items i WHERE i.order_number = o.order_number),
                    (SELECT name FROM order_items i WHERE i.order_number = o.order_number ORDER BY line_no LIMIT 1),
                    (SELECT qty FROM order_items i WHERE i.order_number = o.order_number ORDER BY line_no LIMIT 1),
                    (SELECT name FROM order_items i WHERE i.order_number = o.order_number ORDER BY line_no LIMIT 1 OFFSET 1),
                    (SELECT qty FROM order_items i WHERE i.order_number = o.order_number ORDER BY line_no LIMIT 1 OFFSET 1)
             FROM orders o WHERE o.{predicate}
             ORDER BY o.order_date DESC, o.order_number DESC LIMIT 100"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([value], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<i64>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<i64>>(8)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (num, status, date, total, count, first, first_qty, second, second_qty) =
                row.map_err(|e| self.err(e))?;
            let what = format!("order {num}");
            out.push(OrderSummary {
                status: status
                    .parse()
                    .map_err(|e: voxorder_domain::order::UnknownStatus| {
                        self.bad_row(&what, e.to_string())
                    })?,
                order_date: parse_date(&date).map_err(|d| self.bad_row(&what, d))?,
                total: Money(total),
                item_count: u32::try_from(count).unwrap_or(u32::MAX),
                first_item: first.unwrap_or_default(),
                first_qty: first_qty.and_then(|q| u32::try_from(q).ok()).unwrap_or(1),
                second_item: second.map(|name| {
                    let qty = second_qty.and_then(|q| u32::try_from(q).ok()).unwrap_or(1);
                    (name, qty)
                }),
                order_number: num,
            });
        }
        Ok(out)
    }

    fn items_of(&self, order_number: &str) -> Result<Vec<OrderItem>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT sku, name, qty, price_cents, category, final_sale, personalised
                 FROM order_items WHERE order_number = ?1 ORDER BY line_no",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([order_number], |r| {
                Ok(OrderItem {
                    sku: r.get(0)?,
                    name: r.get(1)?,
                    qty: r.get(2)?,
                    price: Money(r.get(3)?),
                    category: r.get(4)?,
                    final_sale: r.get(5)?,
                    personalised: r.get(6)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    fn tracking_events_of(&self, order_number: &str) -> Result<Vec<TrackingEvent>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT at, status, location, description FROM tracking_events
                 WHERE order_number = ?1 ORDER BY at, id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([order_number], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (at, status, location, description) = row.map_err(|e| self.err(e))?;
            out.push(TrackingEvent {
                at: parse_datetime(&at)
                    .map_err(|d| self.bad_row(&format!("tracking event of {order_number}"), d))?,
                status,
                location,
                description,
            });
        }
        Ok(out)
    }
}

/// Drops the explicit indexes of the order tables and returns their definitions, read
/// from the schema itself so the rebuild is exactly what the migrations created.
/// `customers` keeps its indexes: the import looks customers up by them.
fn drop_secondary_indexes(tx: &Transaction<'_>) -> rusqlite::Result<Vec<String>> {
    let defs: Vec<(String, String)> = tx
        .prepare(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
               AND tbl_name IN ('orders', 'order_items', 'tracking_events')",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (name, _) in &defs {
        tx.execute_batch(&format!("DROP INDEX \"{name}\""))?;
    }
    Ok(defs.into_iter().map(|(_, sql)| sql).collect())
}

pub(super) enum Upserted {
    Inserted,
    Updated,
    Unchanged,
}

/// What an import did with one record.
enum Imported {
    Written(Upserted),
    KeptPending,
    KeptNewer,
}

/// One record of an import file. An order with device changes still in the outbox keeps
/// the device's version, as a pulled page does (`sync.rs`): the file was written
/// before those changes, so writing it would put a cancelled order back to processing
/// while its cancellation is still on its way, and the caller could cancel it again. An
/// order the OMS has since moved to a newer version than the file's is kept too, so
/// importing an old export again changes nothing.
fn import_one(tx: &Connection, o: &Order, now: &str) -> rusqlite::Result<Imported> {
    let pending = tx
        .prepare_cached(
            "SELECT 1 FROM outbox WHERE order_number = ?1 AND state = 'pending' LIMIT 1",
        )?
        .exists([&o.order_number])?;
    if pending {
        return Ok(Imported::KeptPending);
    }
    let stored_version: Option<i64> = tx
        .prepare_cached("SELECT version FROM orders WHERE order_number = ?1")?
        .query_row([&o.order_number], |r| r.get(0))
        .optional()?;
    if stored_version.is_some_and(|v| v > o.version) {
        return Ok(Imported::KeptNewer);
    }
    upsert_one(tx, o, now).map(Imported::Written)
}

pub(super) fn upsert_one(tx: &Connection, o: &Order, now: &str) -> rusqlite::Result<Upserted> {
    let hash = record_hash(o);
    let existing: Option<String> = tx
        .prepare_cached("SELECT record_hash FROM orders WHERE order_number = ?1")?
        .query_row([&o.order_number], |r| r.get(0))
        .optional()?;
    if existing.as_deref() == Some(hash.as_str()) {
        return Ok(Upserted::Unchanged);
    }
    let customer_id = upsert_customer(tx, &o.customer)?;
    let addr = o.shipping_address.as_ref();
    let opt_dt = |d: Option<NaiveDateTime>| d.map(format_datetime);
    tx.prepare_cached(
        "INSERT INTO orders (order_number, status, order_date, customer_id, customer_name,
            email, phone, billing_zip, subtotal_cents, shipping_cents, total_cents, currency,
            payment_method, payment_brand, payment_last4, ship_line1, ship_line2, ship_city,
            ship_state, ship_zip, ship_country, shipping_method, carrier, tracking_number,
            shipped_at, estimated_delivery, delivered_at, cancelled_at, internal_notes,
            version, updated_at, record_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
            ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32)
         ON CONFLICT(order_number) DO UPDATE SET
            status = excluded.status, order_date = excluded.order_date,
            customer_id = excluded.customer_id, customer_name = excluded.customer_name,
            email = excluded.email, phone = excluded.phone, billing_zip = excluded.billing_zip,
            subtotal_cents = excluded.subtotal_cents, shipping_cents = excluded.shipping_cents,
            total_cents = excluded.total_cents, currency = excluded.currency,
            payment_method = excluded.payment_method, payment_brand = excluded.payment_brand,
            payment_last4 = excluded.payment_last4, ship_line1 = excluded.ship_line1,
            ship_line2 = excluded.ship_line2, ship_city = excluded.ship_city,
            ship_state = excluded.ship_state, ship_zip = excluded.ship_zip,
            ship_country = excluded.ship_country, shipping_method = excluded.shipping_method,
            carrier = excluded.carrier, tracking_number = excluded.tracking_number,
            shipped_at = excluded.shipped_at, estimated_delivery = excluded.estimated_delivery,
            delivered_at = excluded.delivered_at, cancelled_at = excluded.cancelled_at,
            internal_notes = excluded.internal_notes, version = excluded.version,
            updated_at = excluded.updated_at, record_hash = excluded.record_hash",
    )?
    .execute(params![
        o.order_number,
        o.status.as_str(),
        o.order_date.to_string(),
        customer_id,
        o.customer.name,
        o.customer.email,
        o.customer.phone,
        o.customer.billing_zip,
        o.subtotal.cents(),
        o.shipping_cost.cents(),
        o.total.cents(),
        o.currency,
        o.payment.method.as_str(),
        o.payment.brand,
        o.payment.last4,
        addr.map(|a| &a.line1),
        addr.and_then(|a| a.line2.as_ref()),
        addr.map(|a| &a.city),
        addr.and_then(|a| a.state.as_ref()),
        addr.map(|a| &a.zip),
        addr.map(|a| &a.country),
        o.shipping_method.as_str(),
        o.carrier,
        o.tracking_number,
        opt_dt(o.shipped_at),
        o.estimated_delivery.map(|d| d.to_string()),
        opt_dt(o.delivered_at),
        opt_dt(o.cancelled_at),
        o.internal_notes,
        o.version,
        now,
        hash,
    ])?;

    if existing.is_some() {
        tx.prepare_cached("DELETE FROM order_items WHERE order_number = ?1")?
            .execute([&o.order_number])?;
        tx.prepare_cached("DELETE FROM tracking_events WHERE order_number = ?1")?
            .execute([&o.order_number])?;
    }
    let mut ins_item = tx.prepare_cached(
        "INSERT INTO order_items (order_number, line_no, sku, name, qty, price_cents, category,
            final_sale, personalised) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for (line, it) in o.items.iter().enumerate() {
        ins_item.execute(params![
            o.order_number,
            line as i64 + 1,
            it.sku,
            it.name,
            it.qty,
            it.price.cents(),
            it.category,
            it.final_sale,
            it.personalised,
        ])?;
    }
    let mut ins_ev = tx.prepare_cached(
        "INSERT INTO tracking_events (order_number, at, status, location, description)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for ev in &o.tracking_events {
        ins_ev.execute(params![
            o.order_number,
            format_datetime(ev.at),
            ev.status,
            ev.location,
            ev.description,
        ])?;
    }
    Ok(if existing.is_some() {
        Upserted::Updated
    } else {
        Upserted::Inserted
    })
}

/// Finds the customer by email (or, without one, by phone and name) and refreshes their
/// current details; creates them when new.
fn upsert_customer(tx: &Connection, c: &Customer) -> rusqlite::Result<i64> {
    let found: Option<i64> = match &c.email {
        Some(email) => tx
            .prepare_cached("SELECT id FROM customers WHERE email = ?1")?
            .query_row([email], |r| r.get(0))
            .optional()?,
        None => tx
            .prepare_cached(
                "SELECT id FROM customers WHERE email IS NULL AND phone = ?1 AND name = ?2",
            )?
            .query_row(params![c.phone, c.name], |r| r.get(0))
            .optional()?,
    };
    match found {
        Some(id) => {
            // Most orders of a returning customer repeat their details; skipping the
            // no-op update keeps bulk imports from rewriting the same row again and again.
            tx.prepare_cached(
                "UPDATE customers SET name = ?2, phone = coalesce(?3, phone),
                    billing_zip = coalesce(?4, billing_zip)
                 WHERE id = ?1 AND (name IS NOT ?2
                    OR (?3 IS NOT NULL AND phone IS NOT ?3)
                    OR (?4 IS NOT NULL AND billing_zip IS NOT ?4))",
            )?
            .execute(params![id, c.name, c.phone, c.billing_zip])?;
            Ok(id)
        }
        None => {
            tx.prepare_cached(
                "INSERT INTO customers (name, email, phone, billing_zip) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![c.name, c.email, c.phone, c.billing_zip])?;
            Ok(tx.last_insert_rowid())
        }
    }
}

/// An orders row as stored, before its text columns are parsed back into types.
struct RawOrder {
    cols: Vec<Option<String>>,
    money: [i64; 3],
    version: i64,
}

impl RawOrder {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<RawOrder> {
        // Text columns in SELECT_ORDER order, skipping the three money columns (7, 8, 9)
        // and the version (28).
        let mut cols = Vec::with_capacity(25);
        for i in (0..7).chain(10..28) {
            cols.push(r.get::<_, Option<String>>(i)?);
        }
        Ok(RawOrder {
            cols,
            money: [r.get(7)?, r.get(8)?, r.get(9)?],
            version: r.get(28)?,
        })
    }

    fn into_order(
        self,
        items: Vec<OrderItem>,
        tracking_events: Vec<TrackingEvent>,
    ) -> Result<Order, String> {
        let mut c = self.cols.into_iter();
        let mut next = || c.next().flatten();
        let order_number = next().ok_or("no order number")?;
        let status: OrderStatus = next()
            .ok_or("no status")?
            .parse()
            .map_err(|e: voxorder_domain::order::UnknownStatus| e.to_string())?;
        let order_date = parse_date(&next().ok_or("no order date")?)?;
        let name = next().ok_or("no customer name")?;
        let email = next();
        let phone = next();
        let billing_zip = next();
        let currency = next().ok_or("no currency")?;
        let method = next().ok_or("no payment method")?.parse()?;
        let brand = next();
        let last4 = next();
        let (line1, line2, city, state, zip, country) =
            (next(), next(), next(), next(), next(), next());
        let shipping_method = next().ok_or("no shipping method")?.parse()?;
        let carrier = next();
        let tracking_number = next();
        let opt_dt = |s: Option<String>| s.map(|s| parse_datetime(&s)).transpose();
        let shipped_at = opt_dt(next())?;
        let estimated_delivery = next().map(|s| parse_date(&s)).transpose()?;
        let delivered_at = opt_dt(next())?;
        let cancelled_at = opt_dt(next())?;
        let internal_notes = next();
        let shipping_address = match (line1, city, zip, country) {
            (Some(line1), Some(city), Some(zip), Some(country)) => Some(Address {
                line1,
                line2,
                city,
                state,
                zip,
                country,
            }),
            _ => None,
        };
        Ok(Order {
            order_number,
            status,
            order_date,
            customer: Customer {
                name,
                email,
                phone,
                billing_zip,
            },
            items,
            subtotal: Money(self.money[0]),
            shipping_cost: Money(self.money[1]),
            total: Money(self.money[2]),
            currency,
            payment: Payment {
                method,
                brand,
                last4,
            },
            shipping_address,
            shipping_method,
            carrier,
            tracking_number,
            shipped_at,
            estimated_delivery,
            delivered_at,
            cancelled_at,
            tracking_events,
            internal_notes,
            version: self.version,
            // The OMS decides which devices see an order by its shop; a device has no
            // use for it, so the cache does not keep it.
            store: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::generate;
    use chrono::NaiveDate;

    fn index_names(store: &Store) -> Vec<String> {
        let mut stmt = store
            .conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn bulk_import_rebuilds_every_index_and_finds_the_same_orders() {
        let anchor = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let now = anchor.and_hms_opt(10, 0, 0).unwrap();
        let data = generate(anchor, 300, 9);

        let mut row_by_row = Store::open_in_memory().unwrap();
        let before = index_names(&row_by_row);
        row_by_row.upsert_orders(&data.orders, now).unwrap();

        let mut bulk = Store::open_in_memory().unwrap();
        bulk.set_rebuild_indexes_from(1);
        let s = bulk.upsert_orders(&data.orders, now).unwrap();
        assert_eq!(s.inserted, 300);
        assert_eq!(index_names(&bulk), before);

        for o in data.orders.iter().step_by(7) {
            assert_eq!(bulk.order(&o.order_number).unwrap().as_ref(), Some(o));
            let phone = o.customer.phone.as_deref().unwrap();
            assert_eq!(
                bulk.orders_by_phone(phone).unwrap(),
                row_by_row.orders_by_phone(phone).unwrap()
            );
        }
        // Re-import through the bulk path: nothing changes.
        let again = bulk.upsert_orders(&data.orders, now).unwrap();
        assert_eq!(again.unchanged, 300);
    }

    #[test]
    fn order_numbers_lists_each_stored_number_once_in_order() {
        let anchor = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let now = anchor.and_hms_opt(10, 0, 0).unwrap();
        let data = generate(anchor, 40, 3);
        let mut store = Store::open_in_memory().unwrap();
        assert!(store.order_numbers().unwrap().is_empty());
        store.upsert_orders(&data.orders, now).unwrap();
        let mut expected: Vec<String> =
            data.orders.iter().map(|o| o.order_number.clone()).collect();
        expected.sort();
        assert_eq!(store.order_numbers().unwrap(), expected);
    }
}

//! The store's reference data: product catalog with stock and price, households and
//! their subscriptions, and the policy and FAQ documents the agent answers from.

use chrono::{NaiveDate, NaiveDateTime};
use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use super::{classify, Store, StoreError};
use super::{Document, Product, Subscription, SubscriptionStatus};
use voxorder_domain::order::{format_datetime, parse_date};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Household {
    pub id: i64,
    pub name: String,
    pub customer_ids: Vec<i64>,
}

/// A subscription to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubscription {
    pub customer_id: i64,
    pub sku: String,
    pub qty: u32,
    pub frequency_days: u32,
    pub next_date: Option<NaiveDate>,
    pub status: SubscriptionStatus,
}

fn product_from_row(r: &Row<'_>) -> rusqlite::Result<(Product, String)> {
    Ok((
        Product {
            sku: r.get(0)?,
            name: r.get(1)?,
            category: r.get(2)?,
            family: r.get(3)?,
            size: r.get(4)?,
            color: r.get(5)?,
            price_cents: r.get(6)?,
            stock: r.get(7)?,
            final_sale: r.get(8)?,
            personalised: r.get(9)?,
            active: r.get(10)?,
            aliases: Vec::new(),
        },
        r.get(11)?,
    ))
}

const SELECT_SUBSCRIPTION: &str =
    "SELECT id, customer_id, sku, qty, frequency_days, next_date, status FROM subscriptions";

/// A subscriptions row before its text columns are parsed.
type RawSubscription = (i64, i64, String, u32, u32, Option<String>, String);

fn raw_subscription(r: &Row<'_>) -> rusqlite::Result<RawSubscription> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

/// Writes one product row (the import and the sync pull share it).
pub(super) fn upsert_product_row(
    conn: &rusqlite::Connection,
    p: &Product,
    now: &str,
) -> rusqlite::Result<()> {
    let aliases = serde_json::to_string(&p.aliases).expect("strings serialise");
    conn.prepare_cached(
        "INSERT INTO products (sku, name, category, family, size, color, price_cents,
            stock, final_sale, personalised, active, aliases, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT(sku) DO UPDATE SET name = excluded.name,
            category = excluded.category, family = excluded.family,
            size = excluded.size, color = excluded.color,
            price_cents = excluded.price_cents, stock = excluded.stock,
            final_sale = excluded.final_sale, personalised = excluded.personalised,
            active = excluded.active, aliases = excluded.aliases,
            updated_at = excluded.updated_at",
    )?
    .execute(params![
        p.sku,
        p.name,
        p.category,
        p.family,
        p.size,
        p.color,
        p.price_cents,
        p.stock,
        p.final_sale,
        p.personalised,
        p.active,
        aliases,
        now,
    ])
    .map(drop)
}

/// Writes one policy or FAQ document.
pub(super) fn upsert_document_row(
    conn: &rusqlite::Connection,
    d: &Document,
    now: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO documents (id, kind, title, body, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, title = excluded.title,
            body = excluded.body, updated_at = excluded.updated_at",
    )?
    .execute(params![d.id, d.kind, d.title, d.body, now])
    .map(drop)
}

const SELECT_PRODUCT: &str = "SELECT sku, name, category, family, size, color, price_cents,
    stock, final_sale, personalised, active, aliases FROM products";

impl Store {
    /// Inserts or replaces products, all in one transaction.
    pub fn upsert_products(
        &mut self,
        products: &[Product],
        now: NaiveDateTime,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| classify(&path, e))?;
        {
            let now_s = format_datetime(now);
            for p in products {
                upsert_product_row(&tx, p, &now_s).map_err(|e| classify(&path, e))?;
            }
        }
        tx.commit().map_err(|e| classify(&path, e))
    }

    pub fn product(&self, sku: &str) -> Result<Option<Product>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_PRODUCT} WHERE sku = ?1"))
            .map_err(|e| self.err(e))?;
        let row = stmt
            .query_row([sku], product_from_row)
            .optional()
            .map_err(|e| self.err(e))?;
        row.map(|r| self.with_aliases(r)).transpose()
    }

    /// Every active product, by SKU.
    pub fn products(&self) -> Result<Vec<Product>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_PRODUCT} WHERE active = 1 ORDER BY sku"))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], product_from_row)
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(self.with_aliases(row.map_err(|e| self.err(e))?)?);
        }
        Ok(out)
    }

    fn with_aliases(&self, (mut p, aliases): (Product, String)) -> Result<Product, StoreError> {
        p.aliases = serde_json::from_str(&aliases)
            .map_err(|e| self.bad_row(&format!("aliases of {}", p.sku), e.to_string()))?;
        Ok(p)
    }

    /// Creates a household and attaches the customers with these emails to it.
    pub fn create_household(&mut self, name: &str, emails: &[String]) -> Result<i64, StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| classify(&path, e))?;
        tx.execute("INSERT INTO households (name) VALUES (?1)", [name])
            .map_err(|e| classify(&path, e))?;
        let id = tx.last_insert_rowid();
        for email in emails {
            tx.execute(
                "UPDATE customers SET household_id = ?1 WHERE email = ?2",
                params![id, email],
            )
            .map_err(|e| classify(&path, e))?;
        }
        tx.commit().map_err(|e| classify(&path, e))?;
        Ok(id)
    }

    pub fn households(&self) -> Result<Vec<Household>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT h.id, h.name, c.id FROM households h
                 LEFT JOIN customers c ON c.household_id = h.id ORDER BY h.id, c.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out: Vec<Household> = Vec::new();
        for row in rows {
            let (id, name, customer) = row.map_err(|e| self.err(e))?;
            if out.last().map(|h| h.id) != Some(id) {
                out.push(Household {
                    id,
                    name,
                    customer_ids: Vec::new(),
                });
            }
            if let (Some(c), Some(h)) = (customer, out.last_mut()) {
                h.customer_ids.push(c);
            }
        }
        Ok(out)
    }

    pub fn customer_id_by_email(&self, email: &str) -> Result<Option<i64>, StoreError> {
        self.conn
            .query_row(
                "SELECT id FROM customers WHERE email = ?1",
                [email.trim().to_lowercase()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Adds a subscription and returns its id.
    pub fn insert_subscription(
        &self,
        sub: &NewSubscription,
        now: NaiveDateTime,
    ) -> Result<i64, StoreError> {
        let now_s = format_datetime(now);
        self.conn
            .execute(
                "INSERT INTO subscriptions (customer_id, sku, qty, frequency_days, next_date,
                    status, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                params![
                    sub.customer_id,
                    sub.sku,
                    sub.qty,
                    sub.frequency_days,
                    sub.next_date.map(|d| d.to_string()),
                    sub.status.as_str(),
                    now_s
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn subscriptions_of(&self, customer_id: i64) -> Result<Vec<Subscription>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "{SELECT_SUBSCRIPTION} WHERE customer_id = ?1 ORDER BY id"
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([customer_id], raw_subscription)
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(self.subscription_from_raw(row.map_err(|e| self.err(e))?)?);
        }
        Ok(out)
    }

    /// The subscription with this id, whatever its status.
    pub fn subscription(&self, id: i64) -> Result<Option<Subscription>, StoreError> {
        let raw = self
            .conn
            .prepare_cached(&format!("{SELECT_SUBSCRIPTION} WHERE id = ?1"))
            .map_err(|e| self.err(e))?
            .query_row([id], raw_subscription)
            .optional()
            .map_err(|e| self.err(e))?;
        raw.map(|r| self.subscription_from_raw(r)).transpose()
    }

    fn subscription_from_raw(&self, raw: RawSubscription) -> Result<Subscription, StoreError> {
        let (id, customer_id, sku, qty, frequency_days, next, status) = raw;
        let what = format!("subscription {id}");
        Ok(Subscription {
            id,
            customer_id,
            sku,
            qty,
            frequency_days,
            next_date: next
                .map(|d| parse_date(&d))
                .transpose()
                .map_err(|d| self.bad_row(&what, d))?,
            status: SubscriptionStatus::parse(&status)
                .ok_or_else(|| self.bad_row(&what, format!("status {status:?}")))?,
        })
    }

    /// The active variants (sizes, colours) of a product family, by SKU; empty for an
    /// unknown family.
    pub fn family_variants(&self, family: &str) -> Result<Vec<Product>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "{SELECT_PRODUCT} WHERE family = ?1 AND active = 1 ORDER BY sku"
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([family], product_from_row)
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(self.with_aliases(row.map_err(|e| self.err(e))?)?);
        }
        Ok(out)
    }

    /// Inserts or replaces policy and FAQ documents.
    pub fn upsert_documents(
        &mut self,
        docs: &[Document],
        now: NaiveDateTime,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| classify(&path, e))?;
        let now_s = format_datetime(now);
        for d in docs {
            upsert_document_row(&tx, d, &now_s).map_err(|e| classify(&path, e))?;
        }
        tx.commit().map_err(|e| classify(&path, e))
    }

    pub fn documents(&self) -> Result<Vec<Document>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, kind, title, body FROM documents ORDER BY id")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Document {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    title: r.get(2)?,
                    body: r.get(3)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}

//! Customers as the store knows them now (not the snapshot an order keeps), their orders,
//! and what they buy again and again (the "reorder my usual" answers).

use rusqlite::{OptionalExtension, Row};

use super::{CustomerRow, PurchasedItem};
use super::{OrderSummary, Store, StoreError};
use voxorder_domain::order::parse_date;

const SELECT_CUSTOMER: &str =
    "SELECT id, name, email, phone, billing_zip, household_id FROM customers";

fn customer_from_row(r: &Row<'_>) -> rusqlite::Result<CustomerRow> {
    Ok(CustomerRow {
        id: r.get(0)?,
        name: r.get(1)?,
        email: r.get(2)?,
        phone: r.get(3)?,
        billing_zip: r.get(4)?,
        household_id: r.get(5)?,
    })
}

impl Store {
    pub fn customer(&self, id: i64) -> Result<Option<CustomerRow>, StoreError> {
        self.conn
            .prepare_cached(&format!("{SELECT_CUSTOMER} WHERE id = ?1"))
            .map_err(|e| self.err(e))?
            .query_row([id], customer_from_row)
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The customer with this email (compared trimmed and lower-case, as stored).
    pub fn customer_by_email(&self, email: &str) -> Result<Option<CustomerRow>, StoreError> {
        self.conn
            .prepare_cached(&format!("{SELECT_CUSTOMER} WHERE email = ?1"))
            .map_err(|e| self.err(e))?
            .query_row([email.trim().to_lowercase()], customer_from_row)
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The customers of this customer's household, this one among them; the customer
    /// alone when in no household.
    pub fn household_member_ids(&self, customer_id: i64) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT m.id FROM customers c JOIN customers m ON m.household_id = c.household_id
                 WHERE c.id = ?1 AND c.household_id IS NOT NULL ORDER BY m.id",
            )
            .map_err(|e| self.err(e))?;
        let ids = stmt
            .query_map([customer_id], |r| r.get::<_, i64>(0))
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<i64>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(if ids.is_empty() {
            vec![customer_id]
        } else {
            ids
        })
    }

    /// The customer's orders, newest first (at most 100, like every order list).
    pub fn orders_of_customer(&self, customer_id: i64) -> Result<Vec<OrderSummary>, StoreError> {
        self.summaries("customer_id = ?1", &customer_id)
    }

    /// What a customer buys, most often bought first (ties: most recently bought first,
    /// then by SKU). Cancelled and returned orders are not purchases they would repeat,
    /// so they do not count; a SKU on two lines of one order counts once, quantities
    /// summed.
    pub fn purchase_history(&self, customer_id: i64) -> Result<Vec<PurchasedItem>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "WITH bought AS (
                    SELECT i.sku, min(i.name) AS name, sum(i.qty) AS qty, o.order_date,
                           o.order_number
                    FROM orders o JOIN order_items i ON i.order_number = o.order_number
                    WHERE o.customer_id = ?1 AND o.status NOT IN ('cancelled', 'returned')
                    GROUP BY o.order_number, i.sku
                 ), ranked AS (
                    SELECT sku, name, qty, order_date,
                           count(*) OVER (PARTITION BY sku) AS times,
                           row_number() OVER (PARTITION BY sku
                               ORDER BY order_date DESC, order_number DESC) AS recency
                    FROM bought
                 )
                 SELECT sku, name, times, qty, order_date FROM ranked WHERE recency = 1
                 ORDER BY times DESC, order_date DESC, sku",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([customer_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (sku, name, times, qty, date) = row.map_err(|e| self.err(e))?;
            let last_ordered = parse_date(&date)
                .map_err(|d| self.bad_row(&format!("order date of {sku} purchases"), d))?;
            out.push(PurchasedItem {
                sku,
                name,
                times_ordered: u32::try_from(times).unwrap_or(u32::MAX),
                last_qty: u32::try_from(qty).unwrap_or(u32::MAX),
                last_ordered,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::demo::{generate, load_into, DEMO_SEED};
    use voxorder_domain::order::{OrderRecord, OrderStatus};

    fn now() -> chrono::NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, 10)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
    }

    fn order(number: &str, date: &str, status: &str, items: &[(&str, i64)]) -> OrderRecord {
        let items: Vec<serde_json::Value> = items
            .iter()
            .map(|(sku, qty)| {
                serde_json::json!({"sku": sku, "name": format!("{sku} item"), "qty": qty,
                    "price": 1.0, "category": "grocery"})
            })
            .collect();
        serde_json::from_value(serde_json::json!({
            "order_number": number, "status": status, "order_date": date,
            "customer": {"name": "Lee Moss", "email": "Lee@Example.com", "phone": "5125550100",
                         "billing_zip": "78701"},
            "items": items, "subtotal": 1.0, "total": 1.0,
            "payment": {"method": "card"}
        }))
        .unwrap()
    }

    fn store_with(records: &[OrderRecord]) -> Store {
        let mut store = Store::open_in_memory().unwrap();
        let orders: Vec<_> = records.iter().map(|r| r.validate().unwrap()).collect();
        store.upsert_orders(&orders, now()).unwrap();
        store
    }

    #[test]
    fn a_household_s_members_are_found_from_any_of_them() {
        let mut partner = order("1000000000009", "2026-02-01", "delivered", &[("A", 1)]);
        partner.customer.email = Some("sam@example.com".into());
        partner.customer.phone = Some("5125550111".into());
        let mut store = store_with(&[
            order("1000000000001", "2026-01-05", "delivered", &[("A", 1)]),
            partner,
        ]);
        let lee = store
            .customer_by_email("lee@example.com")
            .unwrap()
            .unwrap()
            .id;
        let sam = store
            .customer_by_email("sam@example.com")
            .unwrap()
            .unwrap()
            .id;
        // In no household, a customer is alone.
        assert_eq!(store.household_member_ids(lee).unwrap(), vec![lee]);
        store
            .create_household(
                "Moss household",
                &["lee@example.com".into(), "sam@example.com".into()],
            )
            .unwrap();
        let mut both = vec![lee, sam];
        both.sort_unstable();
        assert_eq!(store.household_member_ids(lee).unwrap(), both);
        assert_eq!(store.household_member_ids(sam).unwrap(), both);
    }

    #[test]
    fn purchase_history_puts_the_most_bought_first_and_breaks_ties_by_recency() {
        let store = store_with(&[
            order(
                "1000000000001",
                "2026-01-05",
                "delivered",
                &[("COFFEE", 1), ("TEA", 2)],
            ),
            order("1000000000002", "2026-02-05", "delivered", &[("COFFEE", 2)]),
            order(
                "1000000000003",
                "2026-02-20",
                "delivered",
                &[("MILK", 1), ("COFFEE", 3)],
            ),
            order("1000000000004", "2026-03-01", "processing", &[("SUGAR", 4)]),
            // Same SKU twice in one order: one purchase, quantities summed.
            order(
                "1000000000005",
                "2026-01-10",
                "delivered",
                &[("TEA", 1), ("TEA", 1)],
            ),
            // Cancelled and returned orders are not purchases.
            order(
                "1000000000006",
                "2026-03-05",
                "cancelled",
                &[("SUGAR", 1), ("JAM", 1)],
            ),
            order("1000000000007", "2026-03-06", "returned", &[("JAM", 1)]),
        ]);
        let customer = store
            .customer_by_email(" LEE@example.com ")
            .unwrap()
            .unwrap();
        assert_eq!(customer.name, "Lee Moss");
        assert_eq!(store.customer(customer.id).unwrap(), Some(customer.clone()));
        assert_eq!(store.customer(customer.id + 100).unwrap(), None);

        let history = store.purchase_history(customer.id).unwrap();
        let got: Vec<(&str, u32, u32, String)> = history
            .iter()
            .map(|p| {
                (
                    p.sku.as_str(),
                    p.times_ordered,
                    p.last_qty,
                    p.last_ordered.to_string(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("COFFEE", 3, 3, "2026-02-20".to_string()),
                ("TEA", 2, 2, "2026-01-10".to_string()),
                ("SUGAR", 1, 4, "2026-03-01".to_string()),
                ("MILK", 1, 1, "2026-02-20".to_string()),
            ]
        );
        assert_eq!(history[0].name, "COFFEE item");
        assert!(store
            .purchase_history(customer.id + 100)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn orders_of_a_customer_are_newest_first() {
        let store = store_with(&[
            order("1000000000001", "2026-01-05", "delivered", &[("A", 1)]),
            order(
                "1000000000003",
                "2026-03-01",
                "processing",
                &[("B", 2), ("C", 1)],
            ),
            order("1000000000002", "2026-02-05", "cancelled", &[("C", 1)]),
        ]);
        let id = store
            .customer_by_email("lee@example.com")
            .unwrap()
            .unwrap()
            .id;
        let orders = store.orders_of_customer(id).unwrap();
        let numbers: Vec<&str> = orders.iter().map(|o| o.order_number.as_str()).collect();
        assert_eq!(numbers, ["1000000000003", "1000000000002", "1000000000001"]);
        assert_eq!(orders[0].status, OrderStatus::Processing);
        // Two lines, three units: a list says "two of B and one more item".
        assert_eq!((orders[0].item_count, orders[0].first_qty), (2, 2));
        assert!(store.orders_of_customer(id + 1).unwrap().is_empty());
    }

    #[test]
    fn a_demo_customer_reorders_their_usual() {
        let anchor = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let mut store = Store::open_in_memory().unwrap();
        load_into(&mut store, &generate(anchor, 300, DEMO_SEED), now()).unwrap();
        let ada = store
            .customer_by_email("ada.park@example.com")
            .unwrap()
            .unwrap();
        assert!(ada.household_id.is_some());
        let history = store.purchase_history(ada.id).unwrap();
        // Ada's usual (coffee beans and a filter pitcher) tops her history.
        let top: Vec<&str> = history.iter().take(2).map(|p| p.sku.as_str()).collect();
        assert!(top.contains(&"COF-BEAN-1KG"), "{history:?}");
        assert!(history[0].times_ordered >= 3, "{history:?}");
        for pair in history.windows(2) {
            assert!(
                (pair[0].times_ordered, pair[0].last_ordered)
                    >= (pair[1].times_ordered, pair[1].last_ordered),
                "{pair:?}"
            );
        }
    }
}

//! What one device may see and change on the OMS: its scope, and the rules that judge
//! an order against it. A kiosk serves one or more retail stores (the orders whose
//! `store` is one of them); a household's speaker serves the customers of that household
//! (the orders placed under their email); an operator's tool may be given everything.
//!
//! These rules are the only place scope is decided: the store (`db`) filters the feed and
//! the order list with [`Scope::covers_keys`]'s SQL twin and checks commands with
//! [`Scope::covers`] and [`Scope::admit_new`]; handlers only pass the device's scope on.
//! A scope is written as text (`*`, or `store:ID` and `customer:EMAIL` entries) so the
//! tokens file today and a device table later hold the same value.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use voxorder_domain::order::{is_plausible_email, validate_store_id, Order};

/// The orders a device may see and change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    everything: bool,
    stores: BTreeSet<String>,
    /// Lower-case emails, as orders keep them.
    customers: BTreeSet<String>,
}

/// A scope text that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeError {
    /// Nothing given: a device without a scope must not silently get everything.
    #[error("no scope: give `*` for every order, or `store:ID` and `customer:EMAIL` entries")]
    Empty,
    /// `*` next to other entries: one of them is a mistake.
    #[error("`*` already covers every order; it cannot be combined with {entry:?}")]
    EverythingAndMore { entry: String },
    #[error("{entry:?}: {reason}")]
    BadEntry { entry: String, reason: String },
}

/// Where a new order placed by a device goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// In the device's scope as it is.
    AsIs,
    /// It names no store, and the device serves exactly one: the order is that store's.
    InStore(String),
    /// Outside the device's scope.
    Refused,
}

impl Scope {
    /// Every order: for an operator's tool, never a default.
    pub fn everything() -> Scope {
        Scope {
            everything: true,
            stores: BTreeSet::new(),
            customers: BTreeSet::new(),
        }
    }

    pub fn is_everything(&self) -> bool {
        self.everything
    }

    pub fn stores(&self) -> impl Iterator<Item = &str> {
        self.stores.iter().map(String::as_str)
    }

    pub fn customers(&self) -> impl Iterator<Item = &str> {
        self.customers.iter().map(String::as_str)
    }

    /// Whether an order with this store and customer email is in the scope. The store
    /// keeps the same rule in SQL (`db::IN_SCOPE`); a test holds the two together.
    pub fn covers_keys(&self, store: Option<&str>, email: Option<&str>) -> bool {
        self.everything
            || store.is_some_and(|s| self.stores.contains(s))
            || email.is_some_and(|e| self.customers.contains(e))
    }

    /// Whether the device may see and change this order.
    pub fn covers(&self, order: &Order) -> bool {
        self.covers_keys(order.store.as_deref(), order.customer.email.as_deref())
    }

    /// Whether the device may place this new order. A kiosk's order that names no store
    /// is its store's when it serves only one; otherwise it must name one it serves, or
    /// be for a customer it serves.
    pub fn admit_new(&self, order: &Order) -> Admission {
        if self.covers(order) {
            return Admission::AsIs;
        }
        match (&order.store, self.stores.len()) {
            (None, 1) => self
                .stores
                .first()
                .map_or(Admission::Refused, |s| Admission::InStore(s.clone())),
            _ => Admission::Refused,
        }
    }
}

impl FromStr for Scope {
    type Err = ScopeError;

    /// Entries separated by commas or whitespace: `*`, `store:ID`, `customer:EMAIL`.
    fn from_str(text: &str) -> Result<Scope, ScopeError> {
        let mut scope = Scope {
            everything: false,
            stores: BTreeSet::new(),
            customers: BTreeSet::new(),
        };
        let entries: Vec<&str> = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty())
            .collect();
        if entries.is_empty() {
            return Err(ScopeError::Empty);
        }
        let bad = |entry: &str, reason: String| ScopeError::BadEntry {
            entry: entry.to_string(),
            reason,
        };
        for entry in &entries {
            if *entry == "*" {
                scope.everything = true;
            } else if let Some(id) = entry.strip_prefix("store:") {
                validate_store_id(id).map_err(|r| bad(entry, format!("store id {r}")))?;
                scope.stores.insert(id.to_string());
            } else if let Some(email) = entry.strip_prefix("customer:") {
                let email = email.to_lowercase();
                if !is_plausible_email(&email) {
                    return Err(bad(entry, "not an email address".into()));
                }
                scope.customers.insert(email);
            } else {
                return Err(bad(
                    entry,
                    "expected `*`, `store:ID` or `customer:EMAIL`".into(),
                ));
            }
        }
        if scope.everything && entries.len() > 1 {
            let entry = entries.iter().find(|e| **e != "*").unwrap_or(&"*");
            return Err(ScopeError::EverythingAndMore {
                entry: (*entry).to_string(),
            });
        }
        Ok(scope)
    }
}

impl fmt::Display for Scope {
    /// The canonical text: `*`, or the stores then the customers, comma-separated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.everything {
            return f.write_str("*");
        }
        let entries: Vec<String> = self
            .stores
            .iter()
            .map(|s| format!("store:{s}"))
            .chain(self.customers.iter().map(|c| format!("customer:{c}")))
            .collect();
        f.write_str(&entries.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use voxorder_domain::order::OrderRecord;

    fn order(store: Option<&str>, email: &str) -> Order {
        let rec: OrderRecord = serde_json::from_value(serde_json::json!({
            "order_number": "1234567891234", "status": "processing",
            "order_date": "2026-03-01", "store": store,
            "customer": {"name": "Ada Park", "email": email},
            "items": [{"sku": "TEE", "name": "Tee", "qty": 1, "price": 10.0}],
            "subtotal": 10.0, "total": 10.0, "payment": {"method": "card"}
        }))
        .expect("record");
        rec.validate().expect("valid")
    }

    #[test]
    fn a_scope_is_read_from_text_and_written_back_the_same() {
        let s: Scope = "store:austin-1, customer:Ada@Example.com store:dallas-2"
            .parse()
            .unwrap();
        assert_eq!(
            s.to_string(),
            "store:austin-1,store:dallas-2,customer:ada@example.com"
        );
        assert_eq!(s.to_string().parse::<Scope>().unwrap(), s);
        assert_eq!("*".parse::<Scope>().unwrap(), Scope::everything());
        assert_eq!("".parse::<Scope>(), Err(ScopeError::Empty));
        assert_eq!(" , ".parse::<Scope>(), Err(ScopeError::Empty));
        for bad in [
            "austin-1",
            "store:",
            "store:a b/c",
            "customer:nobody",
            "*,store:a",
        ] {
            assert!(bad.parse::<Scope>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_kiosk_sees_its_stores_and_a_speaker_its_customers() {
        let kiosk: Scope = "store:austin-1".parse().unwrap();
        let speaker: Scope = "customer:ada@example.com".parse().unwrap();
        let austin = order(Some("austin-1"), "bo@example.com");
        let adas = order(Some("dallas-2"), "ada@example.com");
        let unassigned = order(None, "cy@example.com");
        assert!(kiosk.covers(&austin) && !kiosk.covers(&adas) && !kiosk.covers(&unassigned));
        assert!(!speaker.covers(&austin) && speaker.covers(&adas));
        assert!([austin, adas, unassigned]
            .iter()
            .all(|o| Scope::everything().covers(o)));
    }

    #[test]
    fn a_new_order_goes_to_the_only_store_or_must_be_in_scope() {
        let kiosk: Scope = "store:austin-1".parse().unwrap();
        let two: Scope = "store:austin-1,store:dallas-2".parse().unwrap();
        let speaker: Scope = "customer:ada@example.com".parse().unwrap();
        let walk_in = order(None, "cy@example.com");
        assert_eq!(
            kiosk.admit_new(&walk_in),
            Admission::InStore("austin-1".into())
        );
        assert_eq!(two.admit_new(&walk_in), Admission::Refused);
        assert_eq!(
            two.admit_new(&order(Some("dallas-2"), "cy@example.com")),
            Admission::AsIs
        );
        assert_eq!(
            kiosk.admit_new(&order(Some("dallas-2"), "cy@example.com")),
            Admission::Refused
        );
        assert_eq!(
            speaker.admit_new(&order(None, "ada@example.com")),
            Admission::AsIs
        );
        assert_eq!(speaker.admit_new(&walk_in), Admission::Refused);
    }
}

//! Returns refused by voice, by order, kept past the conversation: a story changed to
//! the one that pays ("it's faulty" after "I changed my mind" was refused) is judged by
//! a person whether it comes in the same call or the next one.

use chrono::NaiveDateTime;
use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};
use voxorder_domain::order::{format_datetime, parse_datetime};

impl Store {
    /// Records that a return on this order was refused at `now` (the latest refusal is
    /// kept).
    pub fn record_return_refusal(
        &self,
        order_number: &str,
        now: NaiveDateTime,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO return_refusals (order_number, refused_at) VALUES (?1, ?2)
                 ON CONFLICT(order_number) DO UPDATE SET refused_at = excluded.refused_at",
                params![order_number, format_datetime(now)],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// When a return on this order was last refused, if ever.
    pub fn return_refused_at(
        &self,
        order_number: &str,
    ) -> Result<Option<NaiveDateTime>, StoreError> {
        let at: Option<String> = self
            .conn
            .prepare_cached("SELECT refused_at FROM return_refusals WHERE order_number = ?1")
            .and_then(|mut st| st.query_row([order_number], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))?;
        at.map(|a| parse_datetime(&a).map_err(|d| self.bad_row("return refusal", d)))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::OpenMode;

    #[test]
    fn a_refusal_outlives_the_store_being_closed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let at = |h| {
            NaiveDate::from_ymd_opt(2026, 3, 10)
                .unwrap()
                .and_hms_opt(h, 0, 0)
                .unwrap()
        };
        let store = Store::open(&path, OpenMode::CreateIfMissing).unwrap();
        assert_eq!(store.return_refused_at("1000000000066").unwrap(), None);
        store.record_return_refusal("1000000000066", at(9)).unwrap();
        store
            .record_return_refusal("1000000000066", at(10))
            .unwrap();
        drop(store);
        let store = Store::open(&path, OpenMode::Existing).unwrap();
        assert_eq!(
            store.return_refused_at("1000000000066").unwrap(),
            Some(at(10))
        );
        assert_eq!(store.return_refused_at("1000000000042").unwrap(), None);
    }
}

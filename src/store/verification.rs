//! Failed identity checks and the locks they set, persisted so a lock outlives the
//! conversation, the session and the process (DESIGN.md, security rules).
//!
//! A lock is keyed by an opaque string the dialog builds (for the order-number look-up,
//! the order number). Schema 1 names the key column `order_number`; it holds whatever key
//! the dialog uses. Keys are stored as given, so they must never carry contact details
//! in clear (key a phone look-up by a hash or mask, not by the number).

use chrono::{Duration, NaiveDateTime};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde::Serialize;

use super::{classify, Store, StoreError};
use crate::order::{format_datetime, parse_datetime};

/// The failed checks recorded under one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VerificationLock {
    /// Failures since the last successful check.
    pub failures: u32,
    /// Look-ups under this key are refused until then (when set and still ahead).
    pub locked_until: Option<NaiveDateTime>,
}

impl VerificationLock {
    /// Whether look-ups are refused at `now`.
    pub fn is_locked(&self, now: NaiveDateTime) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }
}

impl Store {
    /// The recorded failures and lock for `key`, as stored; compare `locked_until` with
    /// the time (or call [`VerificationLock::is_locked`]) to know whether it still holds.
    pub fn verification_lock(&self, key: &str) -> Result<Option<VerificationLock>, StoreError> {
        let row: Option<(u32, Option<String>)> = self
            .conn
            .prepare_cached(
                "SELECT failures, locked_until FROM verification_locks WHERE order_number = ?1",
            )
            .map_err(|e| self.err(e))?
            .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(|e| self.err(e))?;
        row.map(|(failures, until)| {
            Ok(VerificationLock {
                failures,
                locked_until: until
                    .map(|u| parse_datetime(&u))
                    .transpose()
                    .map_err(|d| self.bad_row("verification lock", d))?,
            })
        })
        .transpose()
    }

    /// Adds a failure; when failures reach `max_attempts` (at least 1), locks until
    /// `now + lock_minutes`. Returns the new state.
    ///
    /// Failures are forgotten only by a successful check
    /// ([`Store::clear_verification_failures`]), never by time: once a lock has expired
    /// the caller gets one more try, and a failed one locks again at once. This is the
    /// stricter reading, and the one the dialog relies on when it predicts a lock from
    /// the stored count before recording a failure (a count that silently reset with time
    /// would make it announce a lock the store did not set). A failure while locked (a
    /// second device) extends the lock from `now`.
    pub fn record_verification_failure(
        &mut self,
        key: &str,
        now: NaiveDateTime,
        max_attempts: u32,
        lock_minutes: u32,
    ) -> Result<VerificationLock, StoreError> {
        let path = self.path.clone();
        let sql = |e| classify(&path, e);
        // Immediate: read, decide and write under one write lock, so two devices failing
        // at once both count.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        let row: Option<(u32, Option<String>)> = tx
            .query_row(
                "SELECT failures, locked_until FROM verification_locks WHERE order_number = ?1",
                [key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(sql)?;
        let (previous, until) = row.unwrap_or_default();
        let failures = previous.saturating_add(1);
        let locked_until = if failures >= max_attempts.max(1) {
            Some(now + Duration::minutes(i64::from(lock_minutes)))
        } else {
            // Below the threshold (possible only when the configured attempts grew) a
            // lock already set stays as it is.
            until
                .map(|u| parse_datetime(&u))
                .transpose()
                .map_err(|d| StoreError::BadRow {
                    path: path.clone(),
                    what: "verification lock".into(),
                    detail: d,
                })?
        };
        tx.execute(
            "INSERT INTO verification_locks (order_number, failures, locked_until, updated_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(order_number) DO UPDATE SET failures = excluded.failures,
                locked_until = excluded.locked_until, updated_at = excluded.updated_at",
            params![
                key,
                failures,
                locked_until.map(format_datetime),
                format_datetime(now)
            ],
        )
        .map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(VerificationLock {
            failures,
            locked_until,
        })
    }

    /// Forgets the failures under `key` (after a successful check).
    pub fn clear_verification_failures(&mut self, key: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM verification_locks WHERE order_number = ?1",
                [key],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::store::OpenMode;

    fn at(h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, 10)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    #[test]
    fn locks_after_max_attempts_and_unlocks_when_the_lock_expires() {
        let mut store = Store::open_in_memory().unwrap();
        let key = "order:1234567891234";
        assert_eq!(store.verification_lock(key).unwrap(), None);

        let first = store
            .record_verification_failure(key, at(10, 0), 2, 30)
            .unwrap();
        assert_eq!(
            first,
            VerificationLock {
                failures: 1,
                locked_until: None
            }
        );
        assert!(!first.is_locked(at(10, 0)));
        assert_eq!(store.verification_lock(key).unwrap(), Some(first));

        let second = store
            .record_verification_failure(key, at(10, 5), 2, 30)
            .unwrap();
        assert_eq!(second.failures, 2);
        assert_eq!(second.locked_until, Some(at(10, 35)));
        assert_eq!(store.verification_lock(key).unwrap(), Some(second));
        assert!(second.is_locked(at(10, 5)));
        assert!(second.is_locked(at(10, 34)));
        // Expired at lock time + lock_minutes.
        assert!(!second.is_locked(at(10, 35)));
        // Other keys are not affected.
        assert_eq!(
            store.verification_lock("order:5550001112223").unwrap(),
            None
        );

        // After expiry one more failure locks again at once (only success forgets).
        let after = store
            .record_verification_failure(key, at(11, 0), 2, 30)
            .unwrap();
        assert_eq!(after.failures, 3);
        assert_eq!(after.locked_until, Some(at(11, 30)));

        // A successful check forgets everything; counting starts over.
        store.clear_verification_failures(key).unwrap();
        assert_eq!(store.verification_lock(key).unwrap(), None);
        let fresh = store
            .record_verification_failure(key, at(12, 0), 2, 30)
            .unwrap();
        assert_eq!((fresh.failures, fresh.locked_until), (1, None));
    }

    #[test]
    fn failures_while_locked_extend_the_lock() {
        let mut store = Store::open_in_memory().unwrap();
        let k = "phone:0a1b2c3d";
        store
            .record_verification_failure(k, at(9, 0), 3, 10)
            .unwrap();
        store
            .record_verification_failure(k, at(9, 1), 3, 10)
            .unwrap();
        let locked = store
            .record_verification_failure(k, at(9, 2), 3, 10)
            .unwrap();
        assert_eq!(locked.locked_until, Some(at(9, 12)));
        let extended = store
            .record_verification_failure(k, at(9, 8), 3, 10)
            .unwrap();
        assert_eq!(extended.failures, 4);
        assert_eq!(extended.locked_until, Some(at(9, 18)));
        // More attempts allowed by a new configuration: the lock set stays.
        let raised = store
            .record_verification_failure(k, at(9, 9), 9, 10)
            .unwrap();
        assert_eq!(raised.failures, 5);
        assert_eq!(raised.locked_until, Some(at(9, 18)));
        // max_attempts 0 is treated as 1: the first failure locks.
        let strict = store
            .record_verification_failure("z", at(9, 0), 0, 5)
            .unwrap();
        assert_eq!(strict.locked_until, Some(at(9, 5)));
    }

    #[test]
    fn a_lock_survives_reopening_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let mut store = Store::open(&path, OpenMode::CreateIfMissing).unwrap();
        store
            .record_verification_failure("k", at(10, 0), 1, 30)
            .unwrap();
        drop(store);
        let store = Store::open(&path, OpenMode::Existing).unwrap();
        let lock = store.verification_lock("k").unwrap().unwrap();
        assert!(lock.is_locked(at(10, 29)));
    }
}

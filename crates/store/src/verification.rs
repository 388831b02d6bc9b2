//! Identity checks and the locks they set, persisted so a lock outlives the
//! conversation, the session and the process (ARCHITECTURE.md, invariants; decision
//! record 0006).
//!
//! A check is decided here, in one immediate transaction: whether the key is locked now,
//! and the failure it adds, are read and written together, so conversations running at
//! the same time (on one device or several sharing the file) cannot each get their own
//! guesses, and a conversation that started before a lock cannot verify after it.
//!
//! Keys never carry contact details in clear: an order number is stored as it is, a
//! phone number or an account email by an HMAC-SHA-256 under a secret of this store
//! (created with the first check), so a copy of the file does not give the numbers back
//! by trying every phone number against an unsalted hash.

use chrono::NaiveDateTime;
use hmac::{Hmac, Mac};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use sha2::Sha256;

use super::{classify, Store, StoreError};
use super::{decide_covering_check, IdentityVerdict, LockKey, LockPolicy, VerificationLock};
use voxorder_domain::order::{format_datetime, parse_datetime};

/// Attempts per key and process when the store is read-only and a failure cannot be
/// recorded on disk.
pub const READ_ONLY_MAX_ATTEMPTS: u32 = 1;

/// The `meta` key of the store's secret for keying contact details.
const SECRET_META_KEY: &str = "verification_key_secret";

impl Store {
    /// The recorded failures and lock for `key`, as stored; compare `locked_until` with
    /// the time (or call [`VerificationLock::is_locked`]) to know whether it still holds.
    pub fn verification_lock(&self, key: &LockKey) -> Result<Option<VerificationLock>, StoreError> {
        let Some(stored) = stored_key(&self.conn, key, false).map_err(|e| self.err(e))? else {
            // No secret yet: no contact-keyed check was ever recorded.
            return Ok(None);
        };
        read_lock(&self.conn, &stored).map_err(|e| match e {
            ReadError::Sql(e) => self.err(e),
            ReadError::Date(d) => self.bad_row("verification lock", d),
        })
    }

    /// Decides one identity check atomically: the lock is read, the verdict taken
    /// ([`decide_check`]) and the new state written in one immediate transaction.
    ///
    /// A read-only store keeps the failures it counts in memory only, where a second
    /// process cannot see them: there one failed check locks the key at once
    /// ([`READ_ONLY_MAX_ATTEMPTS`]), so no process ever gets more guesses than the
    /// policy allows, whatever the number of processes.
    ///
    /// `covered`: the keys of the same customer the check also answers for (see
    /// [`decide_covering_check`]); read and written in the same transaction.
    pub fn check_identity(
        &self,
        key: &LockKey,
        covered: &[LockKey],
        matched: bool,
        now: NaiveDateTime,
        policy: LockPolicy,
    ) -> Result<IdentityVerdict, StoreError> {
        let policy = if self.read_only.is_some() {
            LockPolicy {
                max_attempts: policy.max_attempts.min(READ_ONLY_MAX_ATTEMPTS),
                ..policy
            }
        } else {
            policy
        };
        let path = self.path.clone();
        let sql = |e| classify(&path, e);
        // Immediate: read, decide and write under one write lock.
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(sql)?;
        let read = |k: &LockKey| -> Result<(String, Option<VerificationLock>), StoreError> {
            let stored = stored_key(&tx, k, true)
                .map_err(sql)?
                .expect("a secret is created when missing");
            let lock = read_lock(&tx, &stored).map_err(|e| match e {
                ReadError::Sql(e) => classify(&path, e),
                ReadError::Date(d) => StoreError::BadRow {
                    path: path.clone(),
                    what: "verification lock".into(),
                    detail: d,
                },
            })?;
            Ok((stored, lock))
        };
        let (stored, before) = read(key)?;
        let mut covered_keys = Vec::with_capacity(covered.len());
        let mut covered_before = Vec::with_capacity(covered.len());
        for k in covered {
            let (s, l) = read(k)?;
            covered_keys.push(s);
            covered_before.push(l);
        }
        let (verdict, after, covered_after) =
            decide_covering_check(before, &covered_before, matched, now, policy);
        write_lock(&tx, &stored, before, after, now).map_err(sql)?;
        for ((k, b), a) in covered_keys.iter().zip(covered_before).zip(covered_after) {
            write_lock(&tx, k, b, a, now).map_err(sql)?;
        }
        tx.commit().map_err(sql)?;
        Ok(verdict)
    }
}

/// Records the state after a check under one stored key; a key whose state is
/// unchanged is not written (its `updated_at` says when it last changed).
fn write_lock(
    conn: &Connection,
    stored: &str,
    before: Option<VerificationLock>,
    after: Option<VerificationLock>,
    now: NaiveDateTime,
) -> rusqlite::Result<()> {
    if before == after {
        return Ok(());
    }
    match after {
        None => conn
            .execute(
                "DELETE FROM verification_locks WHERE order_number = ?1",
                [stored],
            )
            .map(drop),
        Some(lock) => conn
            .execute(
                "INSERT INTO verification_locks (order_number, failures, locked_until, updated_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(order_number) DO UPDATE SET failures = excluded.failures,
                    locked_until = excluded.locked_until, updated_at = excluded.updated_at",
                params![
                    stored,
                    lock.failures,
                    lock.locked_until.map(format_datetime),
                    format_datetime(now)
                ],
            )
            .map(drop),
    }
}

enum ReadError {
    Sql(rusqlite::Error),
    Date(String),
}

fn read_lock(conn: &Connection, stored: &str) -> Result<Option<VerificationLock>, ReadError> {
    // Schema 1 names the key column `order_number`; it holds every kind of key.
    let row: Option<(u32, Option<String>)> = conn
        .prepare_cached(
            "SELECT failures, locked_until FROM verification_locks WHERE order_number = ?1",
        )
        .and_then(|mut st| {
            st.query_row([stored], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(ReadError::Sql)?;
    row.map(|(failures, until)| {
        Ok(VerificationLock {
            failures,
            locked_until: until
                .map(|u| parse_datetime(&u))
                .transpose()
                .map_err(ReadError::Date)?,
        })
    })
    .transpose()
}

/// The key as stored. Contact details need the store's secret: `create` makes one when
/// missing (inside the caller's write transaction); otherwise a missing secret is `None`.
fn stored_key(conn: &Connection, key: &LockKey, create: bool) -> rusqlite::Result<Option<String>> {
    let (kind, value) = match key {
        LockKey::Order(n) => return Ok(Some(format!("order:{n}"))),
        LockKey::ForAnother(n) => return Ok(Some(format!("for_another:{n}"))),
        LockKey::Phone(p) => ("phone", phone_digits(p)),
        LockKey::Account(e) => ("account", e.trim().to_lowercase()),
    };
    let Some(secret) = secret(conn, create)? else {
        return Ok(None);
    };
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(kind.as_bytes());
    mac.update(b":");
    mac.update(value.as_bytes());
    let tag = mac.finalize().into_bytes();
    let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    Ok(Some(format!("{kind}:{hex}")))
}

/// The last ten digits: "+1 512-555-0199" and "5125550199" are one phone.
fn phone_digits(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(10)..].to_string()
}

fn secret(conn: &Connection, create: bool) -> rusqlite::Result<Option<String>> {
    let read = |conn: &Connection| -> rusqlite::Result<Option<String>> {
        conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([SECRET_META_KEY], |r| r.get(0))
            .optional()
    };
    if let Some(s) = read(conn)? {
        return Ok(Some(s));
    }
    if !create {
        return Ok(None);
    }
    // 244 random bits from the system's generator (two UUID v4s).
    let fresh = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    conn.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
        [SECRET_META_KEY, &fresh],
    )?;
    read(conn)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::OpenMode;

    fn at(h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, 10)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    const TWO_TRIES: LockPolicy = LockPolicy {
        max_attempts: 2,
        lock_minutes: 30,
    };

    fn order() -> LockKey {
        LockKey::Order("1234567891234".into())
    }

    #[test]
    fn locks_after_max_attempts_and_unlocks_when_the_lock_expires() {
        let store = Store::open_in_memory().unwrap();
        let key = order();
        assert_eq!(store.verification_lock(&key).unwrap(), None);

        let first = store.check_identity(&key, &[], false, at(10, 0), TWO_TRIES);
        assert_eq!(first.unwrap(), IdentityVerdict::Failed { locked: false });
        let lock = store.verification_lock(&key).unwrap().unwrap();
        assert_eq!((lock.failures, lock.locked_until), (1, None));

        let second = store.check_identity(&key, &[], false, at(10, 5), TWO_TRIES);
        assert_eq!(second.unwrap(), IdentityVerdict::Failed { locked: true });
        let lock = store.verification_lock(&key).unwrap().unwrap();
        assert_eq!(lock.locked_until, Some(at(10, 35)));
        assert!(lock.is_locked(at(10, 34)));
        assert!(!lock.is_locked(at(10, 35)));
        // Other keys are not affected.
        let other = LockKey::Order("5550001112223".into());
        assert_eq!(store.verification_lock(&other).unwrap(), None);

        // During the lock even the right factor is refused, and does not extend it.
        let right = store.check_identity(&key, &[], true, at(10, 20), TWO_TRIES);
        assert_eq!(right.unwrap(), IdentityVerdict::Locked);
        assert_eq!(
            store.verification_lock(&key).unwrap().unwrap().locked_until,
            Some(at(10, 35))
        );
        // A wrong one during the lock counts and extends it from now.
        let wrong = store.check_identity(&key, &[], false, at(10, 30), TWO_TRIES);
        assert_eq!(wrong.unwrap(), IdentityVerdict::Locked);
        let lock = store.verification_lock(&key).unwrap().unwrap();
        assert_eq!((lock.failures, lock.locked_until), (3, Some(at(11, 0))));

        // After expiry one more failure locks again at once (only success forgets).
        let after = store.check_identity(&key, &[], false, at(11, 0), TWO_TRIES);
        assert_eq!(after.unwrap(), IdentityVerdict::Failed { locked: true });

        // A successful check after the lock forgets everything; counting starts over.
        let ok = store.check_identity(&key, &[], true, at(12, 0), TWO_TRIES);
        assert_eq!(ok.unwrap(), IdentityVerdict::Verified);
        assert_eq!(store.verification_lock(&key).unwrap(), None);
        let fresh = store.check_identity(&key, &[], false, at(12, 1), TWO_TRIES);
        assert_eq!(fresh.unwrap(), IdentityVerdict::Failed { locked: false });
    }

    #[test]
    fn more_attempts_allowed_later_keep_a_lock_already_set_and_zero_means_one() {
        let store = Store::open_in_memory().unwrap();
        let key = LockKey::Phone("5125550199".into());
        let three = LockPolicy {
            max_attempts: 3,
            lock_minutes: 10,
        };
        for m in 0..3 {
            store
                .check_identity(&key, &[], false, at(9, m), three)
                .unwrap();
        }
        let locked = store.verification_lock(&key).unwrap().unwrap();
        assert_eq!(locked.locked_until, Some(at(9, 12)));
        let raised = LockPolicy {
            max_attempts: 9,
            lock_minutes: 10,
        };
        // Past the lock: counted below the new threshold, the old lock time stays.
        let v = store
            .check_identity(&key, &[], false, at(9, 20), raised)
            .unwrap();
        assert_eq!(v, IdentityVerdict::Failed { locked: false });
        let lock = store.verification_lock(&key).unwrap().unwrap();
        assert_eq!((lock.failures, lock.locked_until), (4, Some(at(9, 12))));
        let strict = LockPolicy {
            max_attempts: 0,
            lock_minutes: 5,
        };
        let v = store
            .check_identity(&LockKey::Order("9".into()), &[], false, at(9, 0), strict)
            .unwrap();
        assert_eq!(v, IdentityVerdict::Failed { locked: true });
    }

    #[test]
    fn a_lock_survives_reopening_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let store = Store::open(&path, OpenMode::CreateIfMissing).unwrap();
        let key = LockKey::Phone("512-555-0199".into());
        let one = LockPolicy {
            max_attempts: 1,
            lock_minutes: 30,
        };
        store
            .check_identity(&key, &[], false, at(10, 0), one)
            .unwrap();
        drop(store);
        let store = Store::open(&path, OpenMode::Existing).unwrap();
        // The same phone written another way is the same key.
        let lock = store
            .verification_lock(&LockKey::Phone("+1 (512) 555 0199".into()))
            .unwrap()
            .unwrap();
        assert!(lock.is_locked(at(10, 29)));
    }

    #[test]
    fn contact_keys_are_keyed_by_the_store_secret_not_stored_in_clear() {
        let dir = tempfile::tempdir().unwrap();
        let one = LockPolicy {
            max_attempts: 5,
            lock_minutes: 30,
        };
        let mut stored = Vec::new();
        for name in ["a.db", "b.db"] {
            let store = Store::open(&dir.path().join(name), OpenMode::CreateIfMissing).unwrap();
            // Nothing is created by a read.
            let phone = LockKey::Phone("5125550199".into());
            assert_eq!(store.verification_lock(&phone).unwrap(), None);
            assert_eq!(store.meta(SECRET_META_KEY).unwrap(), None);
            store
                .check_identity(&phone, &[], false, at(10, 0), one)
                .unwrap();
            let account = LockKey::Account("Ada.Park@Example.com".into());
            store
                .check_identity(&account, &[], false, at(10, 0), one)
                .unwrap();
            let keys: Vec<String> = store
                .conn
                .prepare("SELECT order_number FROM verification_locks ORDER BY 1")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            for k in &keys {
                assert!(!k.contains("5550199") && !k.contains("park"), "{k}");
                // A full HMAC-SHA-256, not a 64-bit prefix.
                assert_eq!(k.split(':').nth(1).unwrap().len(), 64, "{k}");
            }
            stored.push(keys);
        }
        // Two stores have two secrets: the same phone is a different key in each.
        assert_ne!(stored[0], stored[1]);
    }

    #[test]
    fn checks_from_parallel_connections_never_exceed_the_attempts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        drop(Store::open(&path, OpenMode::CreateIfMissing).unwrap());
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(12));
        let verdicts: Vec<IdentityVerdict> = (0..12)
            .map(|_| {
                let path = path.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let store = Store::open(&path, OpenMode::Existing).unwrap();
                    barrier.wait();
                    store
                        .check_identity(&order(), &[], false, at(10, 0), TWO_TRIES)
                        .unwrap()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        let failed = verdicts
            .iter()
            .filter(|v| matches!(v, IdentityVerdict::Failed { .. }))
            .count();
        assert_eq!(failed, 2, "{verdicts:?}");
        let store = Store::open(&path, OpenMode::Existing).unwrap();
        assert_eq!(
            store.verification_lock(&order()).unwrap().unwrap().failures,
            12
        );
        assert_eq!(
            store
                .check_identity(&order(), &[], true, at(10, 1), TWO_TRIES)
                .unwrap(),
            IdentityVerdict::Locked
        );
    }

    #[test]
    fn a_check_covers_the_keys_of_the_same_customer() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store.db"), OpenMode::CreateIfMissing).unwrap();
        let phone = LockKey::Phone("5125550199".into());
        let first = LockKey::Order("1000000000011".into());
        let second = LockKey::Order("1000000000042".into());
        // Two wrong zips on one order lock it and the phone behind it.
        for m in [0, 1] {
            store
                .check_identity(
                    &first,
                    std::slice::from_ref(&phone),
                    false,
                    at(10, m),
                    TWO_TRIES,
                )
                .unwrap();
        }
        assert!(store
            .verification_lock(&phone)
            .unwrap()
            .unwrap()
            .is_locked(at(10, 2)));
        // The phone, or another order on it, gets no fresh tries, even with the right
        // factor, and nothing new is unlocked by trying.
        let by_phone = [first.clone(), second.clone()];
        assert_eq!(
            store
                .check_identity(&phone, &by_phone, true, at(10, 3), TWO_TRIES)
                .unwrap(),
            IdentityVerdict::Locked
        );
        assert_eq!(
            store
                .check_identity(
                    &second,
                    std::slice::from_ref(&phone),
                    true,
                    at(10, 4),
                    TWO_TRIES
                )
                .unwrap(),
            IdentityVerdict::Locked
        );
        // Once the locks run out, the right factor verifies and forgets only its own key.
        let later = at(11, 0);
        assert_eq!(
            store
                .check_identity(&phone, &by_phone, true, later, TWO_TRIES)
                .unwrap(),
            IdentityVerdict::Verified
        );
        assert_eq!(store.verification_lock(&phone).unwrap(), None);
        assert_eq!(
            store.verification_lock(&first).unwrap().unwrap().failures,
            2
        );
        // A wrong factor on the phone counts against each of its orders.
        store
            .check_identity(&phone, &by_phone, false, later, TWO_TRIES)
            .unwrap();
        assert_eq!(
            store.verification_lock(&second).unwrap().unwrap().failures,
            1
        );
        assert!(store
            .verification_lock(&first)
            .unwrap()
            .unwrap()
            .is_locked(later));
    }
}

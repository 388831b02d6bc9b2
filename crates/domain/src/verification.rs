//! Identity checks as rules: the key a check is about, the failures recorded under it,
//! the lock policy, and [`decide_check`], the one decision every check goes through.
//! The store runs it inside its transaction; tests of the dialog run it over a map.

use chrono::{Duration, NaiveDateTime};
use serde::Serialize;

/// What an identity check is about: the identifier the caller gave first.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LockKey {
    /// An order number (one order).
    Order(String),
    /// The phone number the orders were placed with (every order on it).
    Phone(String),
    /// An account's email (buying for a household).
    Account(String),
    /// An order a change was refused for, asked by someone acting for its customer: a
    /// mark, never a lock, that a zip alone no longer proves the order.
    ForAnother(String),
}

impl LockKey {
    /// The kind of identifier, safe to log and to report.
    pub fn kind(&self) -> &'static str {
        match self {
            LockKey::Order(_) => "order",
            LockKey::Phone(_) => "phone",
            LockKey::Account(_) => "account",
            LockKey::ForAnother(_) => "for_another",
        }
    }
}

impl Serialize for LockKey {
    // The order number is not a contact detail; the others are reported by kind only.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            LockKey::Order(n) => s.serialize_str(&format!("order:{n}")),
            LockKey::ForAnother(n) => s.serialize_str(&format!("for_another:{n}")),
            other => s.serialize_str(other.kind()),
        }
    }
}

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

/// How many failures lock a key, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockPolicy {
    pub max_attempts: u32,
    pub lock_minutes: u32,
}

/// What one identity check came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityVerdict {
    /// The factor matched and the key was not locked: earlier failures are forgotten.
    Verified,
    /// The factor did not match; `locked` when this failure locked the key.
    Failed { locked: bool },
    /// The key was locked when the check came in: refused whatever was said (a wrong
    /// factor still counts and extends the lock).
    Locked,
}

/// One check against the state recorded before it: the verdict and the state to record
/// (`None`: forget the key). The store runs this inside its transaction; tests of the
/// dialog run it over a map, so both follow the same rules.
///
/// Failures are forgotten only by a successful check, never by time: once a lock has
/// expired the caller gets one more try, and a failed one locks again at once. A failure
/// while locked (another conversation) extends the lock from `now`.
pub fn decide_check(
    before: Option<VerificationLock>,
    matched: bool,
    now: NaiveDateTime,
    policy: LockPolicy,
) -> (IdentityVerdict, Option<VerificationLock>) {
    let was_locked = before.is_some_and(|l| l.is_locked(now));
    if matched && !was_locked {
        return (IdentityVerdict::Verified, None);
    }
    if matched {
        // The right factor during a lock: refused, and the lock is not extended for it.
        return (IdentityVerdict::Locked, before);
    }
    let previous = before.unwrap_or(VerificationLock {
        failures: 0,
        locked_until: None,
    });
    let failures = previous.failures.saturating_add(1);
    let locked_until = if failures >= policy.max_attempts.max(1) {
        Some(now + Duration::minutes(i64::from(policy.lock_minutes)))
    } else {
        // Below the threshold (possible only when the configured attempts grew) a lock
        // already set stays as it is.
        previous.locked_until
    };
    let after = VerificationLock {
        failures,
        locked_until,
    };
    let verdict = if was_locked {
        IdentityVerdict::Locked
    } else {
        IdentityVerdict::Failed {
            locked: after.is_locked(now),
        }
    };
    (verdict, Some(after))
}

/// One check under `key` that also covers the keys of the same customer (`covered`: the
/// orders behind a phone, the phone behind an order or an account), against the state
/// recorded before it for each: the verdict and the state to record for the key, then
/// for each covered key in order.
///
/// A lock on any of them refuses the check, and a failure counts under every one, so a
/// caller who has used up the tries on one order cannot start again on the phone, the
/// account or another order of the same customer. A success forgets the failures under
/// `key` only: proving a phone says nothing of guesses made at an order number.
pub fn decide_covering_check(
    before: Option<VerificationLock>,
    covered: &[Option<VerificationLock>],
    matched: bool,
    now: NaiveDateTime,
    policy: LockPolicy,
) -> (
    IdentityVerdict,
    Option<VerificationLock>,
    Vec<Option<VerificationLock>>,
) {
    let covered_locked = covered.iter().flatten().any(|l| l.is_locked(now));
    if !covered_locked {
        let (verdict, after) = decide_check(before, matched, now, policy);
        if matched {
            return (verdict, after, covered.to_vec());
        }
        let covered_after: Vec<_> = covered
            .iter()
            .map(|c| decide_check(*c, false, now, policy).1)
            .collect();
        let verdict = match verdict {
            IdentityVerdict::Failed { locked } => IdentityVerdict::Failed {
                locked: locked || covered_after.iter().flatten().any(|l| l.is_locked(now)),
            },
            other => other,
        };
        return (verdict, after, covered_after);
    }
    if matched {
        return (IdentityVerdict::Locked, before, covered.to_vec());
    }
    // Locked through a covered key: the failure still counts everywhere.
    let after = decide_check(before, false, now, policy).1;
    let covered_after = covered
        .iter()
        .map(|c| decide_check(*c, false, now, policy).1)
        .collect();
    (IdentityVerdict::Locked, after, covered_after)
}

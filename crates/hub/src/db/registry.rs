//! The device registry's SQL: enrolling a device with its token's hash and its scope,
//! revoking it, listing the registry for an operator, and the look-up of a token's hash
//! that authenticates every request.

use chrono::NaiveDateTime;
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::{OmsDb, OmsDbError};
use crate::devices::{validate_device_id, Device, RegistryError, TokenHash};
use crate::scope::Scope;

/// One device of the registry as an operator sees it: never its token or its hash.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceRecord {
    pub id: String,
    /// [`Scope`]'s canonical text.
    pub scope: String,
    /// UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub created_at: String,
    /// UTC; `None` while the device is active.
    pub revoked_at: Option<String>,
}

/// What the registry says about a token's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenLookup {
    Active(Device),
    /// The token was a device's, and that device is revoked.
    Revoked,
    /// No device of the registry has this token.
    Unknown,
}

/// What revoking a device did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    Revoked {
        at: String,
    },
    /// It was revoked before (at that time); nothing changed.
    AlreadyRevoked {
        at: String,
    },
}

/// Registry times are UTC with a `Z`: processes on machines in other zones share them.
pub(crate) fn utc_text(at: NaiveDateTime) -> String {
    format!("{}Z", voxorder_domain::order::format_datetime(at))
}

impl OmsDb {
    /// Adds a device with the hash of its token and its scope, `now` being UTC. An id is
    /// never reused, revoked or not, so that every log line naming it names one device.
    pub fn enroll_device(
        &mut self,
        id: &str,
        hash: &TokenHash,
        scope: &Scope,
        now: NaiveDateTime,
    ) -> Result<DeviceRecord, RegistryError> {
        validate_device_id(id)?;
        let path = self.path.clone();
        let sql = |source| OmsDbError::Sql {
            path: path.clone(),
            source,
        };
        // Immediate: the checks and the insert see one registry, whatever another
        // process enrols meanwhile.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        let taken: Option<Option<String>> = tx
            .query_row("SELECT revoked_at FROM devices WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sql)?;
        if let Some(revoked_at) = taken {
            return Err(RegistryError::IdTaken {
                id: id.to_string(),
                revoked: revoked_at.is_some(),
            });
        }
        let hash_used: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM devices WHERE token_hash = ?1)",
                [&hash[..]],
                |r| r.get(0),
            )
            .map_err(sql)?;
        if hash_used {
            return Err(RegistryError::TokenTaken);
        }
        let record = DeviceRecord {
            id: id.to_string(),
            scope: scope.to_string(),
            created_at: utc_text(now),
            revoked_at: None,
        };
        tx.execute(
            "INSERT INTO devices (id, token_hash, scope, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![record.id, &hash[..], record.scope, record.created_at],
        )
        .map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(record)
    }

    /// Revokes a device from `now` (UTC) on; revoking it again changes nothing.
    pub fn revoke_device(
        &mut self,
        id: &str,
        now: NaiveDateTime,
    ) -> Result<Revocation, RegistryError> {
        let at = utc_text(now);
        let changed = self
            .conn
            .execute(
                "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, at],
            )
            .map_err(|e| self.sql(e))?;
        if changed == 1 {
            return Ok(Revocation::Revoked { at });
        }
        let before: Option<Option<String>> = self
            .conn
            .query_row("SELECT revoked_at FROM devices WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.sql(e))?;
        match before.flatten() {
            Some(at) => Ok(Revocation::AlreadyRevoked { at }),
            None => Err(RegistryError::Unknown { id: id.to_string() }),
        }
    }

    /// Every device of the registry, revoked ones too, by id.
    pub fn devices(&self) -> Result<Vec<DeviceRecord>, OmsDbError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, scope, created_at, revoked_at FROM devices ORDER BY id")
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(DeviceRecord {
                    id: r.get(0)?,
                    scope: r.get(1)?,
                    created_at: r.get(2)?,
                    revoked_at: r.get(3)?,
                })
            })
            .and_then(Iterator::collect)
            .map_err(|e| self.sql(e));
        rows
    }

    /// How many devices could connect now.
    pub fn active_devices(&self) -> Result<u64, OmsDbError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM devices WHERE revoked_at IS NULL",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.sql(e))
    }

    /// The device whose token has this hash, as the registry holds it now. One look-up
    /// of the unique index per request, on a statement prepared once per connection.
    pub fn device_for_token(&self, hash: &TokenHash) -> Result<TokenLookup, OmsDbError> {
        let row: Option<(String, String, bool)> = self
            .conn
            .prepare_cached(
                "SELECT id, scope, revoked_at IS NOT NULL FROM devices WHERE token_hash = ?1",
            )
            .and_then(|mut stmt| {
                stmt.query_row([&hash[..]], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()
            })
            .map_err(|e| self.sql(e))?;
        match row {
            None => Ok(TokenLookup::Unknown),
            Some((_, _, true)) => Ok(TokenLookup::Revoked),
            Some((id, scope, false)) => match scope.parse::<Scope>() {
                Ok(scope) => Ok(TokenLookup::Active(Device { id, scope })),
                // The scope text may name customers: the error quotes none of it.
                Err(_) => Err(self.bad(format!("scope of device {id}"), "does not parse")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::token_hash;

    fn now() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 3, 10)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .expect("time")
    }

    fn scope(text: &str) -> Scope {
        text.parse().expect("scope")
    }

    #[test]
    fn a_device_is_enrolled_listed_and_revoked_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = OmsDb::open(&dir.path().join("oms.db")).unwrap();
        assert_eq!(db.active_devices().unwrap(), 0);
        let kiosk = token_hash("kiosk-token-0123456789");
        db.enroll_device("kiosk-1", &kiosk, &scope("store:austin-1"), now())
            .unwrap();
        db.enroll_device(
            "speaker-1",
            &token_hash("speaker-token-0123456789"),
            &scope("customer:Ada@Example.com"),
            now(),
        )
        .unwrap();
        assert_eq!(db.active_devices().unwrap(), 2);
        assert_eq!(
            db.device_for_token(&kiosk).unwrap(),
            TokenLookup::Active(Device {
                id: "kiosk-1".into(),
                scope: scope("store:austin-1")
            })
        );
        assert_eq!(
            db.device_for_token(&token_hash("nobody's-token-0123456789"))
                .unwrap(),
            TokenLookup::Unknown
        );

        let later = now() + chrono::Duration::hours(1);
        assert_eq!(
            db.revoke_device("kiosk-1", later).unwrap(),
            Revocation::Revoked {
                at: "2026-03-10T11:00:00Z".into()
            }
        );
        assert_eq!(db.device_for_token(&kiosk).unwrap(), TokenLookup::Revoked);
        // Again: the first revocation's time stands.
        assert_eq!(
            db.revoke_device("kiosk-1", later + chrono::Duration::hours(1))
                .unwrap(),
            Revocation::AlreadyRevoked {
                at: "2026-03-10T11:00:00Z".into()
            }
        );
        assert!(matches!(
            db.revoke_device("kiosk-9", later),
            Err(RegistryError::Unknown { .. })
        ));
        assert_eq!(db.active_devices().unwrap(), 1);

        assert_eq!(
            db.devices().unwrap(),
            [
                DeviceRecord {
                    id: "kiosk-1".into(),
                    scope: "store:austin-1".into(),
                    created_at: "2026-03-10T10:00:00Z".into(),
                    revoked_at: Some("2026-03-10T11:00:00Z".into()),
                },
                DeviceRecord {
                    id: "speaker-1".into(),
                    scope: "customer:ada@example.com".into(),
                    created_at: "2026-03-10T10:00:00Z".into(),
                    revoked_at: None,
                },
            ]
        );
    }

    #[test]
    fn an_id_or_a_token_is_never_given_to_a_second_device() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = OmsDb::open(&dir.path().join("oms.db")).unwrap();
        let hash = token_hash("kiosk-token-0123456789");
        db.enroll_device("kiosk-1", &hash, &scope("store:a"), now())
            .unwrap();
        let other = token_hash("other-token-0123456789");
        assert!(matches!(
            db.enroll_device("kiosk-1", &other, &scope("store:a"), now()),
            Err(RegistryError::IdTaken { revoked: false, .. })
        ));
        db.revoke_device("kiosk-1", now()).unwrap();
        assert!(matches!(
            db.enroll_device("kiosk-1", &other, &scope("store:a"), now()),
            Err(RegistryError::IdTaken { revoked: true, .. })
        ));
        // A revoked device's token stays spent.
        assert!(matches!(
            db.enroll_device("kiosk-2", &hash, &scope("store:a"), now()),
            Err(RegistryError::TokenTaken)
        ));
        for bad in ["", "kiosk 1", "ada@example.com", &"k".repeat(65)] {
            assert!(
                matches!(
                    db.enroll_device(bad, &other, &scope("store:a"), now()),
                    Err(RegistryError::BadId { .. })
                ),
                "{bad:?}"
            );
        }
        assert_eq!(db.devices().unwrap().len(), 1);
    }

    #[test]
    fn a_stored_scope_that_does_not_parse_is_an_error_not_a_device() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = OmsDb::open(&dir.path().join("oms.db")).unwrap();
        let hash = token_hash("kiosk-token-0123456789");
        db.enroll_device("kiosk-1", &hash, &scope("store:a"), now())
            .unwrap();
        db.conn
            .execute("UPDATE devices SET scope = 'customer:nobody'", [])
            .unwrap();
        let err = db.device_for_token(&hash).unwrap_err();
        assert!(err.is_damaged(), "{err}");
        assert!(!err.to_string().contains("nobody"), "{err}");
    }
}

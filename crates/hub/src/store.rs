//! Which engine holds the hub's data, behind one trait: [`HubStore`], what the HTTP
//! API and the `oms` commands ask of a store, with two implementations, the embedded
//! SQLite file (`db`, the default for one shop) and PostgreSQL (`pg`, for a fleet
//! served by several hub processes). [`Database`] names one of them, as `--database`
//! gives it: a `postgres://` URL, or a file path.

use std::path::PathBuf;
use std::sync::Mutex;

use chrono::NaiveDateTime;

use super::db::{
    BatchOutcome, DeviceRecord, FeedPage, OmsDb, OmsDbError, OrderRead, Revocation, Seed,
    SeedSummary, TokenLookup,
};
use super::devices::{RegistryError, TokenHash};
use super::pg::{PgHub, PgTarget};
use super::scope::Scope;
use voxorder_config::PolicyConfig;
use voxorder_domain::order::OrderRecord;
use voxorder_domain::wire::{CommandIn, Stats};

/// Where the hub's data is.
#[derive(Debug, Clone)]
pub enum Database {
    /// One SQLite file, the embedded default (`--db PATH`).
    Sqlite(PathBuf),
    /// A PostgreSQL database several hub processes share.
    Postgres(Box<PgTarget>),
}

impl Database {
    /// A `postgres://` or `postgresql://` URL names PostgreSQL; anything else is the
    /// path of a SQLite file.
    pub fn parse(text: &str) -> Result<Database, OmsDbError> {
        let lower = text.trim_start().to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Ok(Database::Postgres(Box::new(PgTarget::parse(text.trim())?)))
        } else {
            Ok(Database::Sqlite(PathBuf::from(text)))
        }
    }

    /// Opens the store for serving and commands. SQLite migrates its file on open;
    /// PostgreSQL must be at this build's schema (`oms migrate`) and gets a pool of at
    /// most `pool_size` connections.
    pub fn open(&self, pool_size: u32) -> Result<Box<dyn HubStore>, OmsDbError> {
        match self {
            Database::Sqlite(path) => Ok(Box::new(SqliteHub::open(path)?)),
            Database::Postgres(target) => Ok(Box::new(PgHub::connect(target, pool_size)?)),
        }
    }

    /// `oms migrate`: brings the store's schema to this build's.
    pub fn migrate(&self) -> Result<Migration, OmsDbError> {
        match self {
            Database::Sqlite(path) => {
                let (from, to) = OmsDb::migrate_file(path)?;
                Ok(Migration {
                    engine: "sqlite",
                    from,
                    to,
                })
            }
            Database::Postgres(target) => {
                let m = super::pg::migrate(target)?;
                Ok(Migration {
                    engine: "postgres",
                    from: m.from,
                    to: m.to,
                })
            }
        }
    }
}

impl std::fmt::Display for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "{}", path.display()),
            Database::Postgres(target) => write!(f, "{target}"),
        }
    }
}

/// What `oms migrate` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Migration {
    pub engine: &'static str,
    pub from: i32,
    pub to: i32,
}

/// What the hub asks of its store. Every method is one transaction (or one snapshot),
/// safe to call from several threads; the SQLite engine serialises them, the PostgreSQL
/// engine runs them on its pool.
pub trait HubStore: Send + Sync + std::fmt::Debug {
    /// Entities changed after `after_seq` that `scope` may see, oldest change first.
    fn changes(&self, after_seq: i64, limit: usize, scope: &Scope) -> Result<FeedPage, OmsDbError>;
    fn order_in_scope(&self, order_number: &str, scope: &Scope) -> Result<OrderRead, OmsDbError>;
    fn order_page(
        &self,
        after: &str,
        limit: usize,
        scope: &Scope,
    ) -> Result<Vec<OrderRecord>, OmsDbError>;
    fn stats(&self) -> Result<Stats, OmsDbError>;
    fn apply_batch(
        &self,
        device_id: &str,
        scope: &Scope,
        commands: &[CommandIn],
        policy: &PolicyConfig,
        now: NaiveDateTime,
    ) -> Result<BatchOutcome, OmsDbError>;
    fn import(&self, seed: &Seed) -> Result<SeedSummary, OmsDbError>;
    /// The order's JSON, whatever its scope (operators and tests).
    fn order_json(&self, order_number: &str) -> Result<Option<String>, OmsDbError>;
    fn command_outcome(&self, device_id: &str, key: &str) -> Result<Option<String>, OmsDbError>;
    /// The registry's answer for a token's hash, as it is now.
    fn device_for_token(&self, hash: &TokenHash) -> Result<TokenLookup, OmsDbError>;
    fn enroll_device(
        &self,
        id: &str,
        hash: &TokenHash,
        scope: &Scope,
        now: NaiveDateTime,
    ) -> Result<DeviceRecord, RegistryError>;
    fn revoke_device(&self, id: &str, now: NaiveDateTime) -> Result<Revocation, RegistryError>;
    fn devices(&self) -> Result<Vec<DeviceRecord>, OmsDbError>;
    fn active_devices(&self) -> Result<u64, OmsDbError>;
    /// How many reads and how many writes the store can work on at once (its pools'
    /// sizes): the HTTP layer lets no more than these onto threads, and queues the rest.
    fn lanes(&self) -> Lanes;
}

/// Reads and writes a store works on at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lanes {
    pub reads: usize,
    pub writes: usize,
}

/// The SQLite engine shared by a process's threads: one connection for the handlers'
/// work and one for the token look-up of every request, which in WAL mode does not wait
/// for the handlers' writes.
#[derive(Debug)]
pub struct SqliteHub {
    db: Mutex<OmsDb>,
    registry: Mutex<OmsDb>,
}

impl SqliteHub {
    pub fn open(path: &std::path::Path) -> Result<SqliteHub, OmsDbError> {
        Ok(SqliteHub {
            db: Mutex::new(OmsDb::open(path)?),
            registry: Mutex::new(OmsDb::open(path)?),
        })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, OmsDb> {
        self.db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn registry(&self) -> std::sync::MutexGuard<'_, OmsDb> {
        self.registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl HubStore for SqliteHub {
    fn changes(&self, after_seq: i64, limit: usize, scope: &Scope) -> Result<FeedPage, OmsDbError> {
        self.db().changes(after_seq, limit, scope)
    }

    fn order_in_scope(&self, order_number: &str, scope: &Scope) -> Result<OrderRead, OmsDbError> {
        self.db().order_in_scope(order_number, scope)
    }

    fn order_page(
        &self,
        after: &str,
        limit: usize,
        scope: &Scope,
    ) -> Result<Vec<OrderRecord>, OmsDbError> {
        self.db().order_page(after, limit, scope)
    }

    fn stats(&self) -> Result<Stats, OmsDbError> {
        self.db().stats()
    }

    fn apply_batch(
        &self,
        device_id: &str,
        scope: &Scope,
        commands: &[CommandIn],
        policy: &PolicyConfig,
        now: NaiveDateTime,
    ) -> Result<BatchOutcome, OmsDbError> {
        self.db()
            .apply_batch(device_id, scope, commands, policy, now)
    }

    fn import(&self, seed: &Seed) -> Result<SeedSummary, OmsDbError> {
        self.db().import(seed)
    }

    fn order_json(&self, order_number: &str) -> Result<Option<String>, OmsDbError> {
        self.db().order_json(order_number)
    }

    fn command_outcome(&self, device_id: &str, key: &str) -> Result<Option<String>, OmsDbError> {
        self.db().command_outcome(device_id, key)
    }

    fn device_for_token(&self, hash: &TokenHash) -> Result<TokenLookup, OmsDbError> {
        self.registry().device_for_token(hash)
    }

    fn enroll_device(
        &self,
        id: &str,
        hash: &TokenHash,
        scope: &Scope,
        now: NaiveDateTime,
    ) -> Result<DeviceRecord, RegistryError> {
        self.registry().enroll_device(id, hash, scope, now)
    }

    fn revoke_device(&self, id: &str, now: NaiveDateTime) -> Result<Revocation, RegistryError> {
        self.registry().revoke_device(id, now)
    }

    fn devices(&self) -> Result<Vec<DeviceRecord>, OmsDbError> {
        self.registry().devices()
    }

    fn active_devices(&self) -> Result<u64, OmsDbError> {
        self.registry().active_devices()
    }

    /// One connection for the registry and one for the rest, each behind its mutex: a
    /// third thread would only wait on one of them.
    fn lanes(&self) -> Lanes {
        Lanes {
            reads: 2,
            writes: 1,
        }
    }
}

impl HubStore for PgHub {
    fn changes(&self, after_seq: i64, limit: usize, scope: &Scope) -> Result<FeedPage, OmsDbError> {
        PgHub::changes(self, after_seq, limit, scope)
    }

    fn order_in_scope(&self, order_number: &str, scope: &Scope) -> Result<OrderRead, OmsDbError> {
        PgHub::order_in_scope(self, order_number, scope)
    }

    fn order_page(
        &self,
        after: &str,
        limit: usize,
        scope: &Scope,
    ) -> Result<Vec<OrderRecord>, OmsDbError> {
        PgHub::order_page(self, after, limit, scope)
    }

    fn stats(&self) -> Result<Stats, OmsDbError> {
        PgHub::stats(self)
    }

    fn apply_batch(
        &self,
        device_id: &str,
        scope: &Scope,
        commands: &[CommandIn],
        policy: &PolicyConfig,
        now: NaiveDateTime,
    ) -> Result<BatchOutcome, OmsDbError> {
        PgHub::apply_batch(self, device_id, scope, commands, policy, now)
    }

    fn import(&self, seed: &Seed) -> Result<SeedSummary, OmsDbError> {
        PgHub::import(self, seed)
    }

    fn order_json(&self, order_number: &str) -> Result<Option<String>, OmsDbError> {
        PgHub::order_json(self, order_number)
    }

    fn command_outcome(&self, device_id: &str, key: &str) -> Result<Option<String>, OmsDbError> {
        PgHub::command_outcome(self, device_id, key)
    }

    fn device_for_token(&self, hash: &TokenHash) -> Result<TokenLookup, OmsDbError> {
        PgHub::device_for_token(self, hash)
    }

    fn enroll_device(
        &self,
        id: &str,
        hash: &TokenHash,
        scope: &Scope,
        now: NaiveDateTime,
    ) -> Result<DeviceRecord, RegistryError> {
        PgHub::enroll_device(self, id, hash, scope, now)
    }

    fn revoke_device(&self, id: &str, now: NaiveDateTime) -> Result<Revocation, RegistryError> {
        PgHub::revoke_device(self, id, now)
    }

    fn devices(&self) -> Result<Vec<DeviceRecord>, OmsDbError> {
        PgHub::devices(self)
    }

    fn active_devices(&self) -> Result<u64, OmsDbError> {
        PgHub::active_devices(self)
    }

    fn lanes(&self) -> Lanes {
        PgHub::lanes(self)
    }
}

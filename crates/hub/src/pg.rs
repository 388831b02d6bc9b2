//! The hub's PostgreSQL engine, for a fleet: the same data as the SQLite store (`db`)
//! in one database that several hub processes share, through a pool of connections per
//! process. Versioned migrations (`pg/NNNN_*.sql`, run by `voxorder oms migrate`), the
//! feed, the idempotency table, the device registry and scopes all live in the
//! database, so no process holds state another one needs.
//!
//! The feed stays gap-free and ordered across processes by one rule: every transaction
//! that writes entities takes the transaction-level advisory lock [`FEED_LOCK`] as its
//! first statement and holds it to its commit, and hands out `max(seq) + 1` onwards.
//! Writers are thus serialised from their first read to their commit, so sequence
//! numbers become visible in the order they were given: a reader whose snapshot shows
//! sequence number `n` shows every number below it that will ever exist, and a cursor
//! never passes a row that commits later. The same lock makes "check the idempotency
//! key, judge, write" one step across processes; the primary key of `commands` backs it.
//! Readers (the feed, order reads, the token look-up of every request) take no lock.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use postgres::{Client, NoTls, Row, Statement, Transaction};

use super::batch::{self, CommandRow, ScopeKeys, StoredCommand, Tx};
use super::db::{
    BatchOutcome, DeviceRecord, FeedPage, FeedRow, OmsDbError, OrderRead, Revocation, Seed,
    SeedSummary, TokenLookup,
};
use super::devices::{validate_device_id, Device, RegistryError, TokenHash};
use super::gauge;
use super::scope::Scope;
use voxorder_config::PolicyConfig;
use voxorder_domain::order::OrderRecord;
use voxorder_domain::wire::{CommandIn, Stats};

/// The schema this build writes and reads.
pub const SCHEMA_VERSION: i32 = 1;

/// The migrations, in order: version, name, SQL. Each runs in its own transaction.
const MIGRATIONS: &[(i32, &str, &str)] = &[(1, "schema", include_str!("pg/0001_schema.sql"))];

/// The advisory lock every writer of entities holds from its first statement to its
/// commit ("VOXO" and 1).
pub const FEED_LOCK: i64 = 0x564F_584F_0001;
/// The advisory lock enrolment holds, so two enrolments of one id or token cannot both
/// pass their checks.
const REGISTRY_LOCK: i64 = 0x564F_584F_0002;
/// The session advisory lock `oms migrate` holds, so two migrators do not race.
const MIGRATE_LOCK: i64 = 0x564F_584F_0003;

/// The session setting every hub connection starts with.
const GENERIC_PLANS: &str = "-c plan_cache_mode=force_generic_plan";

/// Default connections per hub process.
pub const DEFAULT_POOL_SIZE: u32 = 8;
/// How long a request waits for a connection of the pool before it is answered 503.
const POOL_TIMEOUT: Duration = Duration::from_secs(5);

/// Where a PostgreSQL database is: its connection settings, and how to name it in
/// messages (never with its password).
#[derive(Clone)]
pub struct PgTarget {
    config: postgres::Config,
    shown: String,
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl std::fmt::Display for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl PgTarget {
    /// Parses a `postgres://user:password@host:port/dbname` URL (or libpq's
    /// `key=value` form).
    pub fn parse(text: &str) -> Result<PgTarget, OmsDbError> {
        let mut config: postgres::Config = text.parse().map_err(|e: postgres::Error| {
            OmsDbError::BadTarget {
                // The URL may hold a password: the error quotes none of it.
                detail: e.to_string(),
            }
        })?;
        if config.get_application_name().is_none() {
            config.application_name("voxorder-hub");
        }
        config.connect_timeout(POOL_TIMEOUT);
        // The hub's statements are a fixed set of index look-ups, prepared once per
        // connection: a generic plan serves every call, where PostgreSQL's default kept
        // re-planning the feed query for each pull (4x its execution time). An operator's
        // own `options` in the URL come first and may set it otherwise.
        let options = match config.get_options() {
            Some(own) if own.contains("plan_cache_mode") => own.to_string(),
            Some(own) => format!("{own} {GENERIC_PLANS}"),
            None => GENERIC_PLANS.to_string(),
        };
        config.options(&options);
        let host = match config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(h)) => h.clone(),
            Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
            None => "localhost".to_string(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let shown = format!(
            "postgres://{}@{host}:{port}/{}",
            config.get_user().unwrap_or(""),
            config
                .get_dbname()
                .or(config.get_user())
                .unwrap_or("postgres"),
        );
        Ok(PgTarget { config, shown })
    }

    /// One connection, outside any pool (migrations).
    fn connect(&self) -> Result<Client, OmsDbError> {
        self.config.connect(NoTls).map_err(|e| self.err(e))
    }

    fn err(&self, source: postgres::Error) -> OmsDbError {
        OmsDbError::Postgres {
            target: self.shown.clone(),
            source,
        }
    }
}

/// What `oms migrate` did: the schema version before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Migrated {
    pub from: i32,
    pub to: i32,
}

/// Brings the database's schema to [`SCHEMA_VERSION`], one migration per transaction,
/// under a session lock so that concurrent migrators take turns. A database written by
/// a newer build is refused and left untouched.
pub fn migrate(target: &PgTarget) -> Result<Migrated, OmsDbError> {
    let mut client = target.connect()?;
    let e = |source| target.err(source);
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATE_LOCK])
        .map_err(e)?;
    let result = (|| {
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS voxorder_migrations (
                    version     integer PRIMARY KEY,
                    name        text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now()
                )",
            )
            .map_err(e)?;
        let from = version(&mut client).map_err(e)?;
        if from > SCHEMA_VERSION {
            return Err(OmsDbError::NewerSchemaAt {
                target: target.shown.clone(),
                found: from,
            });
        }
        for (v, name, sql) in MIGRATIONS.iter().filter(|(v, ..)| *v > from) {
            let mut tx = client.transaction().map_err(e)?;
            tx.batch_execute(sql).map_err(e)?;
            tx.execute(
                "INSERT INTO voxorder_migrations (version, name) VALUES ($1, $2)",
                &[v, name],
            )
            .map_err(e)?;
            tx.commit().map_err(e)?;
            tracing::info!(version = v, name, "hub schema migrated");
        }
        Ok(Migrated {
            from,
            to: SCHEMA_VERSION.max(from),
        })
    })();
    let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATE_LOCK]);
    result
}

/// The schema version the database holds (0: none).
fn version(client: &mut impl postgres::GenericClient) -> Result<i32, postgres::Error> {
    let exists: bool = client
        .query_one("SELECT to_regclass('voxorder_migrations') IS NOT NULL", &[])?
        .try_get(0)?;
    if !exists {
        return Ok(0);
    }
    client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM voxorder_migrations",
            &[],
        )?
        .try_get(0)
}

/// A scope as parameters: whether it covers everything, its stores, its customers.
fn scope_params(scope: &Scope) -> (bool, Vec<&str>, Vec<&str>) {
    (
        scope.is_everything(),
        scope.stores().collect(),
        scope.customers().collect(),
    )
}

/// One pooled connection and the statements it has prepared: the hub's statements are a
/// fixed set, so each is parsed and planned once per connection, not once per request.
pub struct PgConn {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

impl PgConn {
    /// `sql` prepared on this connection (once).
    fn cached(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        let st = self.client.prepare(sql)?;
        self.statements.insert(sql, st.clone());
        Ok(st)
    }
}

impl std::ops::Deref for PgConn {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl std::ops::DerefMut for PgConn {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

/// Makes and checks the pool's connections.
struct Manager {
    config: postgres::Config,
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        Ok(PgConn {
            client: self.config.connect(NoTls)?,
            statements: HashMap::new(),
        })
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(drop)
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.client.is_closed()
    }
}

type Pool = r2d2::Pool<Manager>;

/// One page of the feed in one statement (one snapshot): the high-water mark, and the
/// catalog and the orders of each part of the scope ($3 everything, $4 stores, $5
/// customers), merged; at most $2 rows after $1. The left join keeps the high-water mark
/// when the page is empty.
///
/// Each store and each customer of the scope is read on its own, by equality on the
/// first column of its index (`entities_store_seq`, `entities_customer_seq`), so a pull
/// reads the rows it returns and no others. With `store = ANY($4)` instead, the generic
/// plan walked `entities_seq` from the cursor to the top, filtering out every other
/// store's changes: a device's first pull read the whole table (20 ms at 10,000 orders)
/// and every later one all the fleet's changes since its last (5 ms at 5,000 devices),
/// which kept PostgreSQL's cores busy with rows nobody asked for.
const FEED_SQL: &str = "
WITH high AS (SELECT coalesce(max(seq), 0) AS h FROM entities)
SELECT high.h, e.kind, e.id, e.seq, e.body FROM high LEFT JOIN LATERAL (
  SELECT * FROM (
    (SELECT kind, id, seq, body FROM entities
      WHERE kind <> 'order' AND seq > $1 AND seq <= high.h ORDER BY seq LIMIT $2)
    UNION ALL
    (SELECT kind, id, seq, body FROM entities
      WHERE $3 AND kind = 'order' AND seq > $1 AND seq <= high.h ORDER BY seq LIMIT $2)
    UNION ALL
    (SELECT o.kind, o.id, o.seq, o.body FROM unnest($4::text[]) AS s(store)
      CROSS JOIN LATERAL (SELECT kind, id, seq, body FROM entities
        WHERE NOT $3 AND kind = 'order' AND store = s.store
          AND seq > $1 AND seq <= high.h ORDER BY seq LIMIT $2) o)
    UNION ALL
    (SELECT o.kind, o.id, o.seq, o.body FROM unnest($5::text[]) AS c(customer)
      CROSS JOIN LATERAL (SELECT kind, id, seq, body FROM entities
        WHERE NOT $3 AND kind = 'order' AND customer = c.customer
          AND (store IS NULL OR NOT store = ANY($4))
          AND seq > $1 AND seq <= high.h ORDER BY seq LIMIT $2) o)
  ) parts ORDER BY seq LIMIT $2
) e ON true
ORDER BY e.seq";

/// [`Scope::covers_keys`] in SQL over an order row, with the scope as $2 (everything),
/// $3 (stores), $4 (customers).
const ORDER_PAGE_SQL: &str = "SELECT id, body FROM entities
 WHERE kind = 'order' AND id > $1 AND ($2 OR store = ANY($3) OR customer = ANY($4))
 ORDER BY id LIMIT $5";

/// Whether an order of customer $1 is in the scope $2, $3, $4 (as [`ORDER_PAGE_SQL`]).
const CUSTOMER_IN_SCOPE_SQL: &str = "SELECT 1 FROM entities
 WHERE kind = 'order' AND customer = $1 AND ($2 OR store = ANY($3) OR customer = ANY($4))
 LIMIT 1";

const TOKEN_SQL: &str =
    "SELECT id, scope, revoked_at IS NOT NULL FROM devices WHERE token_hash = $1";

/// Connections per hub process for writes (commands, imports, the registry). Writes of
/// the whole fleet take turns under the feed lock, so more would only wait inside the
/// database, each holding a connection the reads need.
pub const WRITE_POOL_SIZE: u32 = 2;

/// The hub's store on PostgreSQL: two pools of connections to one database, one for
/// reads (the feed, orders, the token look-up of every request) and a small one for
/// writes, so that reads never queue behind writers waiting for the feed lock.
pub struct PgHub {
    /// Both always `Some` until dropped.
    pool: Option<Pool>,
    write_pool: Option<Pool>,
    target: PgTarget,
}

impl Drop for PgHub {
    /// Closing a connection blocks on the client's own runtime, which panics on a thread
    /// that drives Tokio (a server dropped with its runtime): the pool is closed on a
    /// thread of its own.
    fn drop(&mut self) {
        let pools = (self.pool.take(), self.write_pool.take());
        {
            let closing = std::thread::Builder::new()
                .name("pg-close".into())
                .spawn(move || drop(pools));
            if let Ok(handle) = closing {
                let _ = handle.join();
            }
        }
    }
}

impl std::fmt::Debug for PgHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgHub")
            .field("target", &self.target)
            .field("pool", &self.pool.as_ref().map(|p| p.state().connections))
            .field(
                "write_pool",
                &self.write_pool.as_ref().map(|p| p.state().connections),
            )
            .finish()
    }
}

impl PgHub {
    /// Connects a read pool of at most `pool_size` connections and a write pool of
    /// [`WRITE_POOL_SIZE`], and checks that the schema is this build's ([`migrate`]
    /// brings it there).
    pub fn connect(target: &PgTarget, pool_size: u32) -> Result<PgHub, OmsDbError> {
        let pool = |size: u32| {
            r2d2::Pool::builder()
                .max_size(size.max(1))
                .min_idle(Some(1))
                .connection_timeout(POOL_TIMEOUT)
                // No round trip to test a connection before each use: a broken one fails
                // its statement (the device retries) and is dropped when it comes back.
                .test_on_check_out(false)
                .build(Manager {
                    config: target.config.clone(),
                })
                .map_err(|e| OmsDbError::Pool {
                    target: target.shown.clone(),
                    detail: e.to_string(),
                })
        };
        let hub = PgHub {
            pool: Some(pool(pool_size)?),
            write_pool: Some(pool(WRITE_POOL_SIZE)?),
            target: target.clone(),
        };
        let found = version(&mut hub.conn()?.client).map_err(|e| hub.err(e))?;
        if found > SCHEMA_VERSION {
            return Err(OmsDbError::NewerSchemaAt {
                target: target.shown.clone(),
                found,
            });
        }
        if found < SCHEMA_VERSION {
            return Err(OmsDbError::SchemaBehind {
                target: target.shown.clone(),
                found,
                want: SCHEMA_VERSION,
            });
        }
        Ok(hub)
    }

    pub fn target(&self) -> &PgTarget {
        &self.target
    }

    /// The pools' sizes: as many reads and writes as can hold a connection at once.
    pub fn lanes(&self) -> super::store::Lanes {
        let size = |pool: &Option<Pool>| pool.as_ref().map_or(1, |p| p.max_size() as usize);
        super::store::Lanes {
            reads: size(&self.pool),
            writes: size(&self.write_pool),
        }
    }

    /// A server setting as the hub's read connections see it (operators and tests).
    pub fn setting(&self, name: &str) -> Result<String, OmsDbError> {
        self.conn()?
            .query_one("SELECT current_setting($1)", &[&name])
            .and_then(|r| r.try_get(0))
            .map_err(|e| self.err(e))
    }

    /// A connection for reads.
    fn conn(&self) -> Result<r2d2::PooledConnection<Manager>, OmsDbError> {
        self.get(&self.pool, &gauge::READ_POOL)
    }

    /// A connection for a write transaction.
    fn write_conn(&self) -> Result<r2d2::PooledConnection<Manager>, OmsDbError> {
        self.get(&self.write_pool, &gauge::WRITE_POOL)
    }

    fn get(
        &self,
        pool: &Option<Pool>,
        wait: &gauge::Wait,
    ) -> Result<r2d2::PooledConnection<Manager>, OmsDbError> {
        let pool = pool.as_ref().expect("the pools live as long as the hub");
        let asked = Instant::now();
        let got = pool.get();
        match &got {
            Ok(_) => wait.record(asked.elapsed()),
            Err(_) => wait.fail(),
        }
        got.map_err(|e| OmsDbError::Pool {
            target: self.target.shown.clone(),
            detail: e.to_string(),
        })
    }

    fn err(&self, source: postgres::Error) -> OmsDbError {
        self.target.err(source)
    }

    /// Runs `f` in one write transaction holding the feed lock, committing when it
    /// returns `Ok((value, true))`.
    fn write<T>(
        &self,
        f: impl FnOnce(&mut PgTx<'_, '_>) -> Result<(T, bool), OmsDbError>,
    ) -> Result<T, OmsDbError> {
        let mut conn = self.write_conn()?;
        let lock = conn
            .cached("SELECT pg_advisory_xact_lock($1)")
            .map_err(|e| self.err(e))?;
        let max = conn
            .cached("SELECT coalesce(max(seq), 0) FROM entities")
            .map_err(|e| self.err(e))?;
        let PgConn { client, statements } = &mut *conn;
        let mut tx = client.transaction().map_err(|e| self.err(e))?;
        let asked = Instant::now();
        tx.execute(&lock, &[&FEED_LOCK]).map_err(|e| self.err(e))?;
        let locked = Instant::now();
        gauge::FEED_LOCK.record(locked - asked);
        let high: i64 = tx
            .query_one(&max, &[])
            .and_then(|r| r.try_get(0))
            .map_err(|e| self.err(e))?;
        let mut w = PgTx {
            tx: &mut tx,
            statements,
            target: &self.target,
            next_seq: high + 1,
        };
        let (value, commit) = f(&mut w)?;
        if commit {
            tx.commit().map_err(|e| self.err(e))?;
        }
        gauge::FEED_LOCK_HELD.record(locked.elapsed());
        Ok(value)
    }

    /// Loads seed data in one transaction.
    pub fn import(&self, seed: &Seed) -> Result<SeedSummary, OmsDbError> {
        self.write(|w| Ok((batch::import(w, seed)?, true)))
    }

    /// Applies a batch of device commands in one transaction ([`batch::apply_batch`]).
    pub fn apply_batch(
        &self,
        device_id: &str,
        scope: &Scope,
        commands: &[CommandIn],
        policy: &PolicyConfig,
        now: NaiveDateTime,
    ) -> Result<BatchOutcome, OmsDbError> {
        self.write(|w| {
            let outcome = batch::apply_batch(w, device_id, scope, commands, policy, now)?;
            let commit = matches!(outcome, BatchOutcome::Applied(_));
            Ok((outcome, commit))
        })
    }

    /// One page of the feed for `scope`, read in one statement (one snapshot): the
    /// catalog, and the orders of each part of the scope, each from its own index in
    /// feed order, merged.
    pub fn changes(
        &self,
        after_seq: i64,
        limit: usize,
        scope: &Scope,
    ) -> Result<FeedPage, OmsDbError> {
        let (everything, stores, customers) = scope_params(scope);
        let n = limit as i64 + 1;
        let mut conn = self.conn()?;
        let st = conn.cached(FEED_SQL).map_err(|e| self.err(e))?;
        let rows = conn
            .query(&st, &[&after_seq, &n, &everything, &stores, &customers])
            .map_err(|e| self.err(e))?;
        let mut high = 0;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            high = r.try_get(0).map_err(|e| self.err(e))?;
            let seq: Option<i64> = r.try_get(3).map_err(|e| self.err(e))?;
            if let Some(seq) = seq {
                out.push(FeedRow {
                    kind: r.try_get(1).map_err(|e| self.err(e))?,
                    id: r.try_get(2).map_err(|e| self.err(e))?,
                    seq,
                    body: r.try_get(4).map_err(|e| self.err(e))?,
                });
            }
        }
        let has_more = out.len() > limit;
        out.truncate(limit);
        let next_seq = match out.last() {
            Some(last) if has_more => last.seq,
            _ => high.max(after_seq),
        };
        Ok(FeedPage {
            rows: out,
            has_more,
            next_seq,
        })
    }

    /// The order's JSON as the OMS holds it (for operators and tests: no scope).
    pub fn order_json(&self, order_number: &str) -> Result<Option<String>, OmsDbError> {
        self.conn()?
            .query_opt(
                "SELECT body FROM entities WHERE kind = 'order' AND id = $1",
                &[&order_number],
            )
            .and_then(|r| r.map(|r| r.try_get(0)).transpose())
            .map_err(|e| self.err(e))
    }

    /// The order's JSON, if `scope` covers it.
    pub fn order_in_scope(
        &self,
        order_number: &str,
        scope: &Scope,
    ) -> Result<OrderRead, OmsDbError> {
        let mut conn = self.conn()?;
        let st = conn
            .cached("SELECT body, store, customer FROM entities WHERE kind = 'order' AND id = $1")
            .map_err(|e| self.err(e))?;
        let row = conn
            .query_opt(&st, &[&order_number])
            .map_err(|e| self.err(e))?;
        let Some(row) = row else {
            return Ok(OrderRead::Missing);
        };
        let get =
            |i| -> Result<Option<String>, OmsDbError> { row.try_get(i).map_err(|e| self.err(e)) };
        let (body, store, customer) = (get(0)?, get(1)?, get(2)?);
        Ok(
            if scope.covers_keys(store.as_deref(), customer.as_deref()) {
                OrderRead::Found(body.unwrap_or_default())
            } else {
                OrderRead::OutOfScope
            },
        )
    }

    /// Orders `scope` covers, by number after `after`, at most `limit`.
    pub fn order_page(
        &self,
        after: &str,
        limit: usize,
        scope: &Scope,
    ) -> Result<Vec<OrderRecord>, OmsDbError> {
        let (everything, stores, customers) = scope_params(scope);
        let mut conn = self.conn()?;
        let st = conn.cached(ORDER_PAGE_SQL).map_err(|e| self.err(e))?;
        let rows = conn
            .query(
                &st,
                &[&after, &everything, &stores, &customers, &(limit as i64)],
            )
            .map_err(|e| self.err(e))?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get(0).map_err(|e| self.err(e))?;
                let body: String = r.try_get(1).map_err(|e| self.err(e))?;
                serde_json::from_str(&body).map_err(|e| OmsDbError::BadRowAt {
                    target: self.target.shown.clone(),
                    what: format!("order {id}"),
                    detail: e.to_string(),
                })
            })
            .collect()
    }

    /// Counts for `GET /v1/stats`.
    pub fn stats(&self) -> Result<Stats, OmsDbError> {
        let row = self
            .conn()?
            .query_one(
                "SELECT (SELECT count(*) FROM entities WHERE kind = 'order'),
                        (SELECT count(*) FROM commands WHERE outcome = 'applied'),
                        (SELECT count(*) FROM commands WHERE outcome = 'rejected'),
                        coalesce((SELECT value FROM counters WHERE name = 'duplicates'), 0)",
                &[],
            )
            .map_err(|e| self.err(e))?;
        let n = |i| -> Result<u64, OmsDbError> {
            row.try_get::<_, i64>(i)
                .map(|v| u64::try_from(v).unwrap_or(0))
                .map_err(|e| self.err(e))
        };
        Ok(Stats {
            orders: n(0)?,
            commands_applied: n(1)?,
            commands_rejected: n(2)?,
            duplicates_answered: n(3)?,
        })
    }

    /// The stored outcome of a device's command (`applied` | `rejected`), if received.
    pub fn command_outcome(
        &self,
        device_id: &str,
        key: &str,
    ) -> Result<Option<String>, OmsDbError> {
        self.conn()?
            .query_opt(
                "SELECT outcome FROM commands WHERE device_id = $1 AND idempotency_key = $2",
                &[&device_id, &key],
            )
            .and_then(|r| r.map(|r| r.try_get(0)).transpose())
            .map_err(|e| self.err(e))
    }

    /// Adds a device with the hash of its token and its scope, `now` being UTC; an id
    /// or a token is never given to a second device.
    pub fn enroll_device(
        &self,
        id: &str,
        hash: &TokenHash,
        scope: &Scope,
        now: NaiveDateTime,
    ) -> Result<DeviceRecord, RegistryError> {
        validate_device_id(id)?;
        let mut conn = self.write_conn()?;
        let e = |source| self.err(source);
        let mut tx = conn.transaction().map_err(e)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&REGISTRY_LOCK])
            .map_err(e)?;
        let taken = tx
            .query_opt("SELECT revoked_at FROM devices WHERE id = $1", &[&id])
            .map_err(e)?;
        if let Some(row) = taken {
            let revoked: Option<String> = row.try_get(0).map_err(e)?;
            return Err(RegistryError::IdTaken {
                id: id.to_string(),
                revoked: revoked.is_some(),
            });
        }
        let hash_used = tx
            .query_opt("SELECT 1 FROM devices WHERE token_hash = $1", &[&&hash[..]])
            .map_err(e)?
            .is_some();
        if hash_used {
            return Err(RegistryError::TokenTaken);
        }
        let record = DeviceRecord {
            id: id.to_string(),
            scope: scope.to_string(),
            created_at: super::db::utc_text(now),
            revoked_at: None,
        };
        tx.execute(
            "INSERT INTO devices (id, token_hash, scope, created_at) VALUES ($1, $2, $3, $4)",
            &[&record.id, &&hash[..], &record.scope, &record.created_at],
        )
        .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(record)
    }

    /// Revokes a device from `now` (UTC) on; revoking it again changes nothing.
    pub fn revoke_device(&self, id: &str, now: NaiveDateTime) -> Result<Revocation, RegistryError> {
        let at = super::db::utc_text(now);
        let mut conn = self.write_conn()?;
        let e = |source| self.err(source);
        let changed = conn
            .execute(
                "UPDATE devices SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[&id, &at],
            )
            .map_err(e)?;
        if changed == 1 {
            return Ok(Revocation::Revoked { at });
        }
        let before: Option<String> = conn
            .query_opt("SELECT revoked_at FROM devices WHERE id = $1", &[&id])
            .map_err(e)?
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(e)?
            .flatten();
        match before {
            Some(at) => Ok(Revocation::AlreadyRevoked { at }),
            None => Err(RegistryError::Unknown { id: id.to_string() }),
        }
    }

    /// Every device of the registry, revoked ones too, by id.
    pub fn devices(&self) -> Result<Vec<DeviceRecord>, OmsDbError> {
        let rows = self
            .conn()?
            .query(
                "SELECT id, scope, created_at, revoked_at FROM devices ORDER BY id",
                &[],
            )
            .map_err(|e| self.err(e))?;
        rows.iter()
            .map(|r| {
                Ok(DeviceRecord {
                    id: r.try_get(0)?,
                    scope: r.try_get(1)?,
                    created_at: r.try_get(2)?,
                    revoked_at: r.try_get(3)?,
                })
            })
            .collect::<Result<_, postgres::Error>>()
            .map_err(|e| self.err(e))
    }

    /// How many devices could connect now.
    pub fn active_devices(&self) -> Result<u64, OmsDbError> {
        self.conn()?
            .query_one("SELECT count(*) FROM devices WHERE revoked_at IS NULL", &[])
            .and_then(|r| r.try_get::<_, i64>(0))
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(|e| self.err(e))
    }

    /// The device whose token has this hash, as the registry holds it now: one look-up
    /// of the unique index per request, so a revocation by any process holds from the
    /// next request on.
    pub fn device_for_token(&self, hash: &TokenHash) -> Result<TokenLookup, OmsDbError> {
        let mut conn = self.conn()?;
        let st = conn.cached(TOKEN_SQL).map_err(|e| self.err(e))?;
        let row = conn
            .query_opt(&st, &[&&hash[..]])
            .map_err(|e| self.err(e))?;
        let Some(row) = row else {
            return Ok(TokenLookup::Unknown);
        };
        let (id, scope, revoked): (String, String, bool) =
            (|| Ok::<_, postgres::Error>((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))()
                .map_err(|e| self.err(e))?;
        if revoked {
            return Ok(TokenLookup::Revoked);
        }
        match scope.parse::<Scope>() {
            Ok(scope) => Ok(TokenLookup::Active(Device { id, scope })),
            // The scope text may name customers: the error quotes none of it.
            Err(_) => Err(OmsDbError::BadRowAt {
                target: self.target.shown.clone(),
                what: format!("scope of device {id}"),
                detail: "does not parse".into(),
            }),
        }
    }
}

/// One write transaction holding the feed lock, as the engine-independent code sees it.
struct PgTx<'t, 'c> {
    tx: &'t mut Transaction<'c>,
    /// The connection's prepared statements.
    statements: &'t mut HashMap<&'static str, Statement>,
    target: &'t PgTarget,
    next_seq: i64,
}

type Params<'p> = &'p [&'p (dyn postgres::types::ToSql + Sync)];

impl PgTx<'_, '_> {
    fn err(&self, source: postgres::Error) -> OmsDbError {
        self.target.err(source)
    }

    /// `sql` prepared on the connection (once).
    fn stmt(&mut self, sql: &'static str) -> Result<Statement, OmsDbError> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        let st = self.tx.prepare(sql).map_err(|e| self.err(e))?;
        self.statements.insert(sql, st.clone());
        Ok(st)
    }

    fn row(&mut self, sql: &'static str, params: Params<'_>) -> Result<Option<Row>, OmsDbError> {
        let st = self.stmt(sql)?;
        self.tx.query_opt(&st, params).map_err(|e| self.err(e))
    }

    fn rows(&mut self, sql: &'static str, params: Params<'_>) -> Result<Vec<Row>, OmsDbError> {
        let st = self.stmt(sql)?;
        self.tx.query(&st, params).map_err(|e| self.err(e))
    }

    fn opt_text(
        &mut self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<Option<String>, OmsDbError> {
        let row = self.row(sql, params)?;
        row.map(|r| r.try_get(0))
            .transpose()
            .map_err(|e| self.err(e))
    }

    fn exec(&mut self, sql: &'static str, params: Params<'_>) -> Result<(), OmsDbError> {
        let st = self.stmt(sql)?;
        self.tx
            .execute(&st, params)
            .map(drop)
            .map_err(|e| self.err(e))
    }
}

impl Tx for PgTx<'_, '_> {
    fn get(&mut self, kind: &str, id: &str) -> Result<Option<String>, OmsDbError> {
        self.opt_text(
            "SELECT body FROM entities WHERE kind = $1 AND id = $2",
            &[&kind, &id],
        )
    }

    fn put_entity(
        &mut self,
        kind: &str,
        id: &str,
        body: &str,
        (store, customer): &ScopeKeys,
    ) -> Result<(), OmsDbError> {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.exec(
            "INSERT INTO entities (kind, id, seq, body, store, customer)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, body = excluded.body,
                store = excluded.store, customer = excluded.customer",
            &[&kind, &id, &seq, &body, store, customer],
        )
    }

    fn scope_keys(&mut self, order_number: &str) -> Result<Option<ScopeKeys>, OmsDbError> {
        let row = self.row(
            "SELECT store, customer FROM entities WHERE kind = 'order' AND id = $1",
            &[&order_number],
        )?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .transpose()
            .map_err(|e| self.err(e))
    }

    fn customer_has_order_in(&mut self, email: &str, scope: &Scope) -> Result<bool, OmsDbError> {
        let (everything, stores, customers) = scope_params(scope);
        self.row(
            CUSTOMER_IN_SCOPE_SQL,
            &[&email, &everything, &stores, &customers],
        )
        .map(|r| r.is_some())
    }

    fn subscription_body(&mut self, reference: &str) -> Result<Option<String>, OmsDbError> {
        self.opt_text(
            "SELECT body FROM subscriptions WHERE ref = $1",
            &[&reference],
        )
    }

    fn put_subscription(
        &mut self,
        reference: &str,
        customer: &str,
        body: &str,
    ) -> Result<(), OmsDbError> {
        self.exec(
            "INSERT INTO subscriptions (ref, customer, body) VALUES ($1, $2, $3)
             ON CONFLICT (ref) DO UPDATE SET body = excluded.body",
            &[&reference, &customer, &body],
        )
    }

    fn return_exists(&mut self, order_number: &str, id: &str) -> Result<bool, OmsDbError> {
        self.row(
            "SELECT 1 FROM returns WHERE order_number = $1 AND id = $2",
            &[&order_number, &id],
        )
        .map(|r| r.is_some())
    }

    fn return_bodies(&mut self, order_number: &str) -> Result<Vec<String>, OmsDbError> {
        let rows = self.rows(
            "SELECT body FROM returns WHERE order_number = $1",
            &[&order_number],
        )?;
        rows.iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))
    }

    fn insert_return(
        &mut self,
        order_number: &str,
        id: &str,
        body: &str,
    ) -> Result<(), OmsDbError> {
        self.exec(
            "INSERT INTO returns (order_number, id, body) VALUES ($1, $2, $3)",
            &[&order_number, &id, &body],
        )
    }

    fn stored_hash(&mut self, device_id: &str, key: &str) -> Result<Option<String>, OmsDbError> {
        self.opt_text(
            "SELECT body_hash FROM commands WHERE device_id = $1 AND idempotency_key = $2",
            &[&device_id, &key],
        )
    }

    fn stored_command(
        &mut self,
        device_id: &str,
        key: &str,
    ) -> Result<Option<StoredCommand>, OmsDbError> {
        let row = self.row(
            "SELECT outcome, reason, detail, order_number FROM commands
             WHERE device_id = $1 AND idempotency_key = $2",
            &[&device_id, &key],
        )?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
            .transpose()
            .map_err(|e| self.err(e))
    }

    fn insert_command(&mut self, c: &CommandRow<'_>) -> Result<(), OmsDbError> {
        self.exec(
            "INSERT INTO commands (device_id, idempotency_key, body_hash, kind, order_number,
                base_version, outcome, reason, detail, version_after, payload, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &[
                &c.device_id,
                &c.key,
                &c.body_hash,
                &c.kind,
                &c.order_number,
                &c.base_version,
                &c.outcome,
                &c.reason,
                &c.detail,
                &c.version_after,
                &c.payload,
                &c.received_at,
            ],
        )
    }

    fn add_duplicates(&mut self, n: i64) -> Result<(), OmsDbError> {
        self.exec(
            "INSERT INTO counters (name, value) VALUES ('duplicates', $1)
             ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value",
            &[&n],
        )
    }

    fn bad(&self, what: String, detail: String) -> OmsDbError {
        OmsDbError::BadRowAt {
            target: self.target.shown.clone(),
            what,
            detail,
        }
    }
}

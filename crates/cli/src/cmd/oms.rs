//! `voxorder oms serve|import|migrate|devices|loadtest`: the reference central OMS, its
//! store's schema, the registry of the devices it lets in, and the fleet simulator, when
//! this build has the hub (the `hub` feature, on by default). A device build leaves it
//! out, and says so.

use std::io::Write;

use anyhow::Result;

use voxorder_config::Config;

use super::Context;

/// This binary was built without the hub, so `voxorder oms …` cannot run here.
#[derive(Debug, thiserror::Error)]
#[error(
    "this build of voxorder has no hub (the reference OMS server): it was built without \
     the `hub` feature, as device builds are; run `voxorder oms` from a default build"
)]
pub struct NoHub;

#[cfg(feature = "hub")]
pub use hub::OmsCommand;

#[cfg(feature = "hub")]
mod hub {
    use std::path::PathBuf;

    use clap::{Args, Subcommand};

    #[derive(Debug, Args)]
    pub struct OmsCommand {
        /// The hub's store: a PostgreSQL URL (`postgres://user@host:port/db`), which
        /// several hub processes can share, or a SQLite file. Without it, `--db`'s file.
        #[arg(
            long,
            global = true,
            env = "VOXORDER_OMS_DATABASE",
            value_name = "URL|PATH"
        )]
        pub database: Option<String>,
        #[command(subcommand)]
        pub command: OmsSub,
    }

    #[derive(Debug, Subcommand)]
    pub enum OmsSub {
        /// Serve the sync API (docs/oms-api.yaml); prints `listening on URL` when ready.
        Serve {
            #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
            listen: std::net::SocketAddr,
            /// `device_id token scope` per line; the scope is `*` (everything) or
            /// `store:ID` / `customer:EMAIL` entries (docs/sync.md). Devices enrolled
            /// with `oms devices add` are let in with or without it.
            #[arg(long, value_name = "FILE")]
            tokens: Option<PathBuf>,
            /// PEM certificate chain; with --tls-key, serve HTTPS.
            #[arg(long, requires = "tls_key", value_name = "FILE")]
            tls_cert: Option<PathBuf>,
            #[arg(long, requires = "tls_cert", value_name = "FILE")]
            tls_key: Option<PathBuf>,
            #[command(flatten)]
            limits: OmsLimitArgs,
            /// Most connections to PostgreSQL this process holds (not used with SQLite).
            #[arg(long, default_value_t = voxorder_hub::pg::DEFAULT_POOL_SIZE,
                  value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
            pool_size: u32,
        },
        /// Load orders (an array), or {orders, products, documents, policies}, into the OMS.
        Import { file: PathBuf },
        /// Bring the store's schema to this build's (PostgreSQL: run once before the
        /// hubs start; a SQLite file is also migrated when opened). Prints
        /// {"engine", "from", "to"}.
        Migrate,
        /// Simulate a fleet on loopback: enrol N devices, start hub processes on the
        /// store, run the devices (pulls and commands), check exactly-once, print JSON
        /// (docs/fleet.md, "Load").
        Loadtest(super::super::loadtest::LoadtestArgs),
        /// Enrol, revoke and list the devices the OMS lets in (docs/fleet.md).
        #[command(subcommand)]
        Devices(DevicesCommand),
    }

    #[derive(Debug, Subcommand)]
    pub enum DevicesCommand {
        /// Enrol a device; prints its new token once (only its hash is stored).
        Add {
            /// Letters, digits, '-', '_' and '.'; never reused, even once revoked.
            id: String,
            /// `*` (every order) or `store:ID` / `customer:EMAIL` entries.
            #[arg(long)]
            scope: String,
            /// Register a token made elsewhere by its hash (`sha256sum`) instead.
            #[arg(long, value_name = "sha256:HEX")]
            token_hash: Option<String>,
        },
        /// Refuse the device's token from now on, on every server using this store.
        Revoke { id: String },
        /// Every enrolled device: id, scope, when enrolled and revoked.
        List {
            #[arg(long)]
            json: bool,
        },
    }

    /// What one client may hold of the OMS (docs/sync.md, "Limits").
    #[derive(Debug, Args)]
    pub struct OmsLimitArgs {
        /// Largest request body accepted.
        #[arg(long, default_value_t = voxorder_hub::DEFAULT_MAX_BODY >> 20, value_name = "MB")]
        pub max_body_mb: usize,
        /// A request's head (and a TLS handshake) must arrive within this; an idle
        /// connection is closed after it.
        #[arg(long, default_value_t = voxorder_hub::limits::DEFAULT_HEADER_TIMEOUT.as_secs(),
              value_parser = clap::value_parser!(u64).range(1..), value_name = "SECONDS")]
        pub header_timeout_secs: u64,
        /// A request's body must arrive within this after its head (408 otherwise), and an
        /// answer the client stops reading for this long is dropped.
        #[arg(long, default_value_t = voxorder_hub::limits::DEFAULT_BODY_TIMEOUT.as_secs(),
              value_parser = clap::value_parser!(u64).range(1..), value_name = "SECONDS")]
        pub body_timeout_secs: u64,
        /// Connections served at once; more are answered 503 with Retry-After.
        #[arg(long, default_value_t = voxorder_hub::limits::DEFAULT_MAX_CONNECTIONS,
              value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..), value_name = "N")]
        pub max_connections: usize,
        /// Connections one device may hold; more are answered 503 with Retry-After.
        #[arg(long, default_value_t = voxorder_hub::limits::DEFAULT_MAX_CONNECTIONS_PER_DEVICE,
              value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..), value_name = "N")]
        pub max_connections_per_device: usize,
        /// Connections one peer address may hold, before any token is read; more are
        /// closed at once. 0: no per-peer cap (behind a load balancer, whose address
        /// every connection has; the balancer must then limit clients itself).
        #[arg(long, default_value_t = voxorder_hub::limits::DEFAULT_MAX_CONNECTIONS_PER_PEER,
              value_name = "N")]
        pub max_connections_per_peer: usize,
        /// The Retry-After of those 503 answers.
        #[arg(long, default_value_t = voxorder_hub::limits::DEFAULT_RETRY_AFTER.as_secs(),
              value_parser = clap::value_parser!(u64).range(1..), value_name = "SECONDS")]
        pub retry_after_secs: u64,
    }

    impl OmsLimitArgs {
        pub(super) fn limits(&self) -> voxorder_hub::Limits {
            voxorder_hub::Limits {
                max_body_bytes: self.max_body_mb << 20,
                header_timeout: std::time::Duration::from_secs(self.header_timeout_secs),
                body_timeout: std::time::Duration::from_secs(self.body_timeout_secs),
                max_connections: self.max_connections,
                max_connections_per_device: self.max_connections_per_device,
                max_connections_per_peer: self.max_connections_per_peer,
                retry_after: std::time::Duration::from_secs(self.retry_after_secs),
            }
        }
    }
}

/// A device build accepts whatever follows `oms`, so that every use gets the one
/// answer: there is no hub here.
#[cfg(not(feature = "hub"))]
#[derive(Debug, clap::Args)]
pub struct OmsCommand {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    args: Vec<std::ffi::OsString>,
}

#[cfg(feature = "hub")]
pub fn run(
    ctx: &Context,
    config: &Config,
    command: OmsCommand,
    out: &mut impl Write,
) -> Result<()> {
    use anyhow::Context as _;
    use hub::OmsSub;
    let command_database = command.database.clone();
    let db = match (&command.database, &ctx.db) {
        (Some(text), _) => voxorder_hub::Database::parse(text)?,
        (None, Some(path)) => voxorder_hub::Database::Sqlite(path.clone()),
        (None, None) => {
            None.context("--database URL (PostgreSQL) or --db PATH (SQLite) names the OMS store")?
        }
    };
    let db = &db;
    match command.command {
        OmsSub::Serve {
            listen,
            tokens,
            tls_cert,
            tls_key,
            limits,
            pool_size,
        } => voxorder_hub::serve_blocking(voxorder_hub::ServeOptions {
            listen,
            database: db.clone(),
            pool_size,
            devices: match tokens {
                Some(path) => voxorder_hub::Devices::read_file(&path)?,
                None => voxorder_hub::Devices::default(),
            },
            tls: tls_cert.zip(tls_key),
            limits: limits.limits(),
            policy: config.policy.clone(),
            clock: ctx.clock,
        })?,
        OmsSub::Import { file } => {
            let s = voxorder_hub::import_file(db, &file)?;
            serde_json::to_writer(&mut *out, &s)?;
            writeln!(out)?;
        }
        OmsSub::Migrate => {
            let m = db.migrate()?;
            serde_json::to_writer(&mut *out, &m)?;
            writeln!(out)?;
        }
        OmsSub::Devices(command) => devices(db, command, out)?,
        OmsSub::Loadtest(args) => {
            let raw = command_database.unwrap_or_else(|| db.to_string());
            super::loadtest::run(db, &raw, &args, out)?;
        }
    }
    Ok(())
}

/// `oms devices …`. Registry times are UTC whatever `--now` says: they record when an
/// operator acted, not a moment of the business rules.
#[cfg(feature = "hub")]
fn devices(
    db: &voxorder_hub::Database,
    command: hub::DevicesCommand,
    out: &mut impl Write,
) -> Result<()> {
    use hub::DevicesCommand;
    let now = chrono::Utc::now().naive_utc();
    match command {
        DevicesCommand::Add {
            id,
            scope,
            token_hash,
        } => {
            let (record, token) =
                voxorder_hub::add_device(db, &id, &scope, token_hash.as_deref(), now)?;
            writeln!(out, "enrolled {} with scope {}", record.id, record.scope)?;
            match token {
                Some(token) => {
                    writeln!(out, "token: {}", token.reveal())?;
                    writeln!(
                        out,
                        "this token is not shown again: only its hash is stored; give it to \
                         the device now"
                    )?;
                }
                None => writeln!(out, "its token is the one whose hash was given")?,
            }
        }
        DevicesCommand::Revoke { id } => match voxorder_hub::revoke_device(db, &id, now)? {
            voxorder_hub::db::Revocation::Revoked { at } => {
                writeln!(out, "revoked {id} at {at}")?;
            }
            voxorder_hub::db::Revocation::AlreadyRevoked { at } => {
                writeln!(out, "{id} was already revoked at {at}")?;
            }
        },
        DevicesCommand::List { json } => {
            let devices = voxorder_hub::list_devices(db)?;
            if json {
                serde_json::to_writer(&mut *out, &devices)?;
                writeln!(out)?;
            } else {
                let width = devices.iter().map(|d| d.id.len()).max().unwrap_or(0).max(2);
                writeln!(
                    out,
                    "{:width$}  {:20}  {:20}  scope",
                    "id", "created", "revoked"
                )?;
                for d in &devices {
                    writeln!(
                        out,
                        "{:width$}  {:20}  {:20}  {}",
                        d.id,
                        d.created_at,
                        d.revoked_at.as_deref().unwrap_or("-"),
                        d.scope
                    )?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(not(feature = "hub"))]
pub fn run(
    _ctx: &Context,
    _config: &Config,
    _command: OmsCommand,
    _out: &mut impl Write,
) -> Result<()> {
    Err(NoHub.into())
}

//! The reference central OMS (`voxorder oms serve`): the other end of device sync, for
//! demos, tests and fleets. Its store behind one trait (`store`): the embedded SQLite
//! file (`db`) or PostgreSQL shared by several hub processes (`pg`), with what both
//! engines do with data written once (`batch`); the business rules
//! it applies to device commands (`rules`), the devices it lets in (`devices`, enrolled
//! in the store or listed in a tokens file) and what each may see and change (`scope`)
//! and the HTTP API (`http`); the API's bodies are the domain's `wire`, shared with the
//! device's client.
//!
//! Architecture invariant: nothing on the device depends on this crate; the binary links
//! it only with its `hub` feature. The OMS decides. A device command is applied once per device
//! and idempotency key, checked against the central order as it is now, and answered with
//! that order so the device can converge. A device sees and changes only the orders in
//! its scope.

mod batch;
pub mod db;
pub mod devices;
pub mod gauge;
pub mod http;
pub mod limits;
pub mod pg;
pub mod rules;
pub mod scope;
pub mod store;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::value::RawValue;

use chrono::NaiveDateTime;
use db::{DeviceRecord, OmsDbError, Revocation, Seed};
pub use devices::{Device, Devices, RegistryError, Token, MIN_TOKEN_LEN};
pub use limits::{Limits, DEFAULT_MAX_BODY};
pub use scope::Scope;
pub use store::{Database, HubStore};
use voxorder_config::PolicyConfig;
use voxorder_domain::clock::Clock;
use voxorder_domain::import::ImportError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OmsError {
    #[error(transparent)]
    Db(#[from] OmsDbError),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A line of the tokens file is not `device_id token scope`.
    #[error("{path} line {line}: {reason}")]
    Tokens {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// The certificate file cannot be read or holds no PEM certificate. Caller: fix it.
    #[error("TLS: certificate {path}: {source}")]
    TlsCertificate {
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    #[error("TLS: no certificate in {path}")]
    TlsNoCertificate { path: PathBuf },
    /// The key file cannot be read or holds no private key. Caller: fix it.
    #[error("TLS: private key {path}: {source}")]
    TlsKey {
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    /// rustls refuses the pair (a key that does not match the certificate, say).
    #[error("TLS: {0}")]
    TlsConfig(#[source] rustls::Error),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Seed(#[from] ImportError),
    /// A seed file whose products, documents or policies do not parse.
    #[error("{path}: `{field}`: {reason}")]
    SeedField {
        path: PathBuf,
        field: &'static str,
        reason: String,
    },
    #[error("server stopped: {0}")]
    Serve(std::io::Error),
    /// Neither a tokens file nor an active device in the store. Caller: enrol a device.
    #[error(
        "no device could connect: no tokens file was given and {db} holds no active \
         device; enrol one with `voxorder oms devices add ID --scope SCOPE` on that store \
         (`--db PATH` or `--database URL`)"
    )]
    NoDevices { db: String },
    /// One id in the tokens file and in the store's registry: two devices, or one with
    /// two scopes and tokens. Caller: rename one, or drop the line.
    #[error(
        "device {id} is both in the tokens file and enrolled in the store; a device is in one"
    )]
    DeviceInBoth { id: String },
}

/// Reads a seed file: an array of orders (the import format), or an object with
/// `orders`, `products`, `documents` and `policies`.
pub fn read_seed(path: &Path) -> Result<Seed, OmsError> {
    let text =
        voxorder_domain::files::read_text_capped(path, voxorder_domain::import::MAX_IMPORT_BYTES)
            .map_err(|source| OmsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if text.trim_start().starts_with('[') {
        return Ok(Seed {
            orders: voxorder_domain::import::parse_orders(&text, path)?,
            ..Seed::default()
        });
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Object<'a> {
        #[serde(borrow, default)]
        orders: Option<&'a RawValue>,
        #[serde(default)]
        products: Vec<voxorder_domain::records::Product>,
        #[serde(default)]
        documents: Vec<voxorder_domain::records::Document>,
        #[serde(default)]
        policies: std::collections::BTreeMap<String, serde_json::Value>,
    }
    let obj: Object<'_> = serde_json::from_str(&text).map_err(|e| OmsError::SeedField {
        path: path.to_path_buf(),
        field: "(file)",
        reason: e.to_string(),
    })?;
    Ok(Seed {
        orders: match obj.orders {
            Some(raw) => voxorder_domain::import::parse_orders(raw.get(), path)?,
            None => Vec::new(),
        },
        products: obj.products,
        documents: obj.documents,
        policies: obj.policies,
    })
}

/// How to run the server.
#[derive(Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    /// The hub's store: a SQLite file, or a PostgreSQL database shared by several hubs.
    pub database: Database,
    /// Most connections to PostgreSQL this process holds (unused with SQLite).
    pub pool_size: u32,
    /// The tokens file's devices, besides those enrolled in the store; may be empty.
    pub devices: Devices,
    /// PEM certificate chain and private key; both or neither.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub limits: Limits,
    /// The business rules device commands are judged by.
    pub policy: PolicyConfig,
    /// "Now" for those rules: the system clock, or `--now`.
    pub clock: Clock,
}

impl std::fmt::Debug for ServeOptions {
    // The registry shows only how many tokens it holds.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("listen", &self.listen)
            .field("database", &self.database)
            .field("pool_size", &self.pool_size)
            .field("devices", &self.devices)
            .field("tls", &self.tls)
            .field("limits", &self.limits)
            .finish()
    }
}

/// Builds the rustls acceptor (ring provider) from PEM files.
pub fn tls_acceptor(cert: &Path, key: &Path) -> Result<tokio_rustls::TlsAcceptor, OmsError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(Iterator::collect)
        .map_err(|source| OmsError::TlsCertificate {
            path: cert.to_path_buf(),
            source,
        })?;
    if certs.is_empty() {
        return Err(OmsError::TlsNoCertificate {
            path: cert.to_path_buf(),
        });
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|source| OmsError::TlsKey {
        path: key.to_path_buf(),
        source,
    })?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(OmsError::TlsConfig)?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(OmsError::TlsConfig)?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// A bound, ready server: its address, and the future that serves it.
pub struct Bound {
    pub addr: SocketAddr,
    pub scheme: &'static str,
    listener: tokio::net::TcpListener,
    router: axum::Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
}

impl Bound {
    /// Serves until the process ends (or the task is dropped).
    pub async fn run(self) -> Result<(), OmsError> {
        http::serve(self.listener, self.router, self.tls, self.limits)
            .await
            .map_err(OmsError::Serve)
    }
}

/// Opens the store and binds the port (inside a Tokio runtime); serving starts with
/// [`Bound::run`], so a caller can print the address first.
pub async fn bind(opts: ServeOptions) -> Result<Bound, OmsError> {
    let tls = match &opts.tls {
        Some((cert, key)) => Some(tls_acceptor(cert, key)?),
        None => None,
    };
    // Opening a store blocks (PostgreSQL's client runs its own runtime): off the
    // async threads, like every other piece of store work.
    let (database, devices, pool_size) =
        (opts.database.clone(), opts.devices.clone(), opts.pool_size);
    let store = tokio::task::spawn_blocking(move || -> Result<_, OmsError> {
        let store = database.open(pool_size)?;
        check_devices(store.as_ref(), &devices, &database)?;
        Ok(store)
    })
    .await
    .map_err(|e| OmsError::Serve(std::io::Error::other(e)))??;
    let app = Arc::new(http::App::new(
        store,
        opts.devices,
        opts.policy,
        opts.clock,
        opts.limits,
    ));
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|source| OmsError::Bind {
            addr: opts.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| OmsError::Bind {
        addr: opts.listen,
        source,
    })?;
    Ok(Bound {
        addr,
        scheme: if tls.is_some() { "https" } else { "http" },
        listener,
        router: http::router(app),
        tls,
        limits: opts.limits,
    })
}

/// Refuses a server no device could connect to, and an id both registries name.
fn check_devices(registry: &dyn HubStore, file: &Devices, db: &Database) -> Result<(), OmsError> {
    if file.is_empty() && registry.active_devices()? == 0 {
        return Err(OmsError::NoDevices { db: db.to_string() });
    }
    let file_ids = file.ids();
    if let Some(record) = registry
        .devices()?
        .into_iter()
        .find(|r| file_ids.contains(r.id.as_str()))
    {
        return Err(OmsError::DeviceInBoth { id: record.id });
    }
    Ok(())
}

/// `voxorder oms devices add`: enrols device `id` with `scope` in the store `db`,
/// `now` being UTC. With `token_hash` (`sha256:HEX`) the device's token was made
/// elsewhere; without, a new one is made and returned, to be shown once: only its hash
/// is stored.
pub fn add_device(
    db: &Database,
    id: &str,
    scope: &str,
    token_hash: Option<&str>,
    now: NaiveDateTime,
) -> Result<(DeviceRecord, Option<Token>), RegistryError> {
    // Everything given is checked before the store is opened (and perhaps created).
    devices::validate_device_id(id)?;
    let scope: Scope = scope.parse()?;
    let (hash, token) = match token_hash {
        Some(text) => (
            devices::parse_token_hash(text).map_err(RegistryError::BadTokenHash)?,
            None,
        ),
        None => {
            let token = devices::new_token()?;
            (token.hash(), Some(token))
        }
    };
    let record = db.open(1)?.enroll_device(id, &hash, &scope, now)?;
    tracing::info!(device = %record.id, "device enrolled");
    Ok((record, token))
}

/// `voxorder oms devices revoke`: from `now` (UTC) on, device `id`'s token is refused,
/// by every server on the store from its next request on.
pub fn revoke_device(
    db: &Database,
    id: &str,
    now: NaiveDateTime,
) -> Result<Revocation, RegistryError> {
    let revocation = db.open(1)?.revoke_device(id, now)?;
    if let Revocation::Revoked { .. } = revocation {
        tracing::info!(device = %id, "device revoked");
    }
    Ok(revocation)
}

/// `voxorder oms devices list`: every enrolled device, revoked ones too.
pub fn list_devices(db: &Database) -> Result<Vec<DeviceRecord>, RegistryError> {
    Ok(db.open(1)?.devices()?)
}

/// `voxorder oms serve`: binds, prints `listening on URL` on stdout (tests read the
/// port from it), and serves until the process is stopped.
pub fn serve_blocking(opts: ServeOptions) -> Result<(), OmsError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .thread_name("oms")
        .enable_all()
        .build()
        .map_err(OmsError::Serve)?;
    rt.block_on(async {
        let bound = bind(opts).await?;
        {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "listening on {}://{}", bound.scheme, bound.addr);
            let _ = out.flush();
        }
        tracing::info!(addr = %bound.addr, "oms serving");
        gauge::spawn_reporter(std::time::Duration::from_secs(5));
        bound.run().await
    })
}

/// `voxorder oms import`: loads a seed file into the OMS store `db`.
pub fn import_file(db: &Database, file: &Path) -> Result<db::SeedSummary, OmsError> {
    let seed = read_seed(file)?;
    Ok(db.open(1)?.import(&seed)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        assert_eq!(http::decode_cursor(&http::encode_cursor(42)), Some(42));
        assert_eq!(http::decode_cursor(""), Some(0));
        assert_eq!(http::decode_cursor("42"), None);
        assert_eq!(http::decode_cursor("c1.-3"), None);
    }
}

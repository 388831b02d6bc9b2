//! A throwaway PostgreSQL cluster for the hub's tests and load runs: `initdb` and
//! `pg_ctl` from the machine's PostgreSQL (on `PATH`, else Debian's
//! `/usr/lib/postgresql/*/bin`), a data directory and a unix socket directory in a
//! temporary directory, a free TCP port on 127.0.0.1, trust authentication for the
//! `postgres` user on loopback only, and the server stopped and its files removed on
//! drop. Nothing is left running or written outside the temporary directory.
//!
//! PostgreSQL refuses to run as root: when this process is root, `initdb` and `pg_ctl`
//! run as the `postgres` system user (which Debian's `postgresql` package creates)
//! through `runuser`, with the temporary directory handed to that user.
//!
//! Tests ask through [`for_tests`]: with `VOXORDER_PG_TESTS=1` (as `scripts/test.sh`
//! sets) a missing PostgreSQL fails the test; without it the test says why it skips.

use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// The environment variable that makes a missing PostgreSQL a failure.
pub const REQUIRE_ENV: &str = "VOXORDER_PG_TESTS";

/// Why no cluster could be started.
#[derive(Debug)]
pub struct Unavailable(pub String);

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unavailable {}

/// A running cluster; stopped (immediately) and deleted on drop.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    run_as_postgres: bool,
}

impl fmt::Debug for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cluster")
            .field("dir", &self.dir.path())
            .field("port", &self.port)
            .finish()
    }
}

/// A cluster for a test: `Some` when PostgreSQL runs here; `None`, with the reason
/// printed, when it does not and [`REQUIRE_ENV`] is not `1`.
///
/// # Panics
/// When [`REQUIRE_ENV`] is `1` and no cluster can be started: a test run that promises
/// PostgreSQL must not pass by skipping.
pub fn for_tests(test: &str) -> Option<Cluster> {
    match Cluster::start() {
        Ok(c) => Some(c),
        Err(why) if std::env::var(REQUIRE_ENV).as_deref() == Ok("1") => {
            panic!("{test}: {REQUIRE_ENV}=1 but PostgreSQL cannot run here: {why}")
        }
        Err(why) => {
            println!("{test}: skipped on PostgreSQL: {why} (set {REQUIRE_ENV}=1 to require it)");
            None
        }
    }
}

/// The directory holding `initdb` and `pg_ctl`.
pub fn find_bin_dir() -> Result<PathBuf, Unavailable> {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let initdb = dir.join("initdb");
            if initdb.is_file() {
                // Debian links /usr/bin/initdb-like wrappers; the real directory holds
                // pg_ctl and postgres beside it.
                let real = std::fs::canonicalize(&initdb).unwrap_or(initdb);
                if let Some(parent) = real.parent() {
                    if parent.join("pg_ctl").is_file() {
                        return Ok(parent.to_path_buf());
                    }
                }
            }
        }
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).ok_or_else(|| {
        Unavailable(
            "no initdb on PATH or under /usr/lib/postgresql/*/bin (install Debian's \
             `postgresql` package)"
                .into(),
        )
    })
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn free_port() -> Result<u16, Unavailable> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Unavailable(format!("no free port: {e}")))
}

impl Cluster {
    /// `initdb` and start a new cluster; fails with the reason when PostgreSQL is not
    /// installed or does not start.
    pub fn start() -> Result<Cluster, Unavailable> {
        let bin = find_bin_dir()?;
        let run_as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("voxorder-pg.")
            .tempdir()
            .map_err(|e| Unavailable(format!("temporary directory: {e}")))?;
        std::fs::create_dir(dir.path().join("sock"))
            .map_err(|e| Unavailable(format!("socket directory: {e}")))?;
        if run_as_postgres {
            let out = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path())
                .output()
                .map_err(|e| Unavailable(format!("chown: {e}")))?;
            if !out.status.success() {
                return Err(Unavailable(format!(
                    "running as root needs the `postgres` user to own the cluster: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
        }
        let mut cluster = Cluster {
            dir,
            bin,
            port: 0,
            run_as_postgres,
        };
        let data = cluster.data_dir();
        cluster.run(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "-A".as_ref(),
                "trust".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-sync".as_ref(),
                "--no-instructions".as_ref(),
            ],
        )?;
        // A port taken between the probe and the start is tried again.
        let mut last = None;
        for _ in 0..3 {
            cluster.port = free_port()?;
            match cluster.pg_ctl_start() {
                Ok(()) => return Ok(cluster),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| Unavailable("the server did not start".into())))
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The unix socket directory (`host=` of a libpq connection).
    pub fn socket_dir(&self) -> PathBuf {
        self.dir.path().join("sock")
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `db` on this cluster, as the `postgres` superuser over TCP.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates database `name` and returns its URL.
    pub fn create_database(&self, name: &str) -> Result<String, Unavailable> {
        let port = self.port.to_string();
        self.run(
            "createdb",
            &[
                "-h".as_ref(),
                "127.0.0.1".as_ref(),
                "-p".as_ref(),
                port.as_ref(),
                "-U".as_ref(),
                "postgres".as_ref(),
                name.as_ref(),
            ],
        )?;
        Ok(self.url(name))
    }

    /// A new database with a name no other call in this process gave.
    pub fn fresh_database(&self) -> Result<String, Unavailable> {
        static NEXT: AtomicU32 = AtomicU32::new(1);
        self.create_database(&format!("t{}", NEXT.fetch_add(1, Ordering::Relaxed)))
    }

    fn pg_ctl_start(&self) -> Result<(), Unavailable> {
        let data = self.data_dir();
        let log = self.dir.path().join("server.log");
        // Loopback and the private socket directory only; fsync off: a test cluster
        // that dies is thrown away, never recovered.
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            self.port,
            self.socket_dir().display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-w".as_ref(),
                "-t".as_ref(),
                "30".as_ref(),
                "-o".as_ref(),
                options.as_ref(),
                "start".as_ref(),
            ],
        )
        .map_err(|e| {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            Unavailable(format!("{e}; server log: {}", log.trim()))
        })
    }

    /// Runs one of PostgreSQL's programs, as `postgres` when this process is root.
    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> Result<(), Unavailable> {
        let out = self.command(program, args).output().map_err(|e| {
            Unavailable(format!(
                "cannot run {}: {e}",
                self.bin.join(program).display()
            ))
        })?;
        check(program, &out)
    }

    fn command(&self, program: &str, args: &[&std::ffi::OsStr]) -> Command {
        let exe = self.bin.join(program);
        let mut c = if self.run_as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        c.args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .env("LC_ALL", "C");
        c
    }

    /// The data directory, for a caller that wants to look (logs, settings).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

fn check(program: &str, out: &Output) -> Result<(), Unavailable> {
    if out.status.success() {
        return Ok(());
    }
    Err(Unavailable(format!(
        "{program} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    )))
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data_dir();
        let _ = self
            .command(
                "pg_ctl",
                &[
                    "-D".as_ref(),
                    data.as_os_str(),
                    "-m".as_ref(),
                    "immediate".as_ref(),
                    "-w".as_ref(),
                    "stop".as_ref(),
                ],
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_starts_answers_on_its_port_and_is_gone_after_drop() {
        let Some(cluster) = for_tests("pgtemp") else {
            return;
        };
        let port = cluster.port();
        let url = cluster.create_database("probe").expect("createdb");
        assert_eq!(url, format!("postgres://postgres@127.0.0.1:{port}/probe"));
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        let dir = cluster.path().to_path_buf();
        drop(cluster);
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
        assert!(!dir.exists());
    }
}

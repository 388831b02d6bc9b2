//! Helpers shared by the integration tests that run the reference OMS as a process.

// Each test binary compiles this module and uses only some of its helpers.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A child process killed and reaped on drop.
pub struct Proc(pub Child);

impl Proc {
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts `voxorder oms serve` on `port` (0: any free one) over `db` with the `tokens`
/// file and `extra` options (`--tls-cert` …), and waits for its `listening on URL` line.
pub fn serve_oms(
    bin: &str,
    db: &Path,
    tokens: &Path,
    port: u16,
    extra: &[&OsStr],
) -> (Proc, String) {
    let mut args: Vec<&OsStr> = vec!["--tokens".as_ref(), tokens.as_os_str()];
    args.extend_from_slice(extra);
    serve_oms_with(bin, db, port, &args)
}

/// [`serve_oms`] with only `args`: without `--tokens`, the devices enrolled in `db`.
pub fn serve_oms_with(bin: &str, db: &Path, port: u16, args: &[&OsStr]) -> (Proc, String) {
    let mut all: Vec<&OsStr> = vec!["--db".as_ref(), db.as_os_str()];
    all.extend_from_slice(args);
    spawn_oms(bin, port, &all)
}

/// `voxorder oms serve` on the store `database` names (`--database`: a SQLite path or a
/// PostgreSQL URL) with `args`.
pub fn serve_oms_on(bin: &str, database: &str, port: u16, args: &[&OsStr]) -> (Proc, String) {
    let mut all: Vec<&OsStr> = vec!["--database".as_ref(), database.as_ref()];
    all.extend_from_slice(args);
    spawn_oms(bin, port, &all)
}

fn spawn_oms(bin: &str, port: u16, args: &[&OsStr]) -> (Proc, String) {
    let mut child = Command::new(bin)
        .args(["oms", "serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn server");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("server did not start");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected server output {line:?}"))
        .to_string();
    (Proc(child), url)
}

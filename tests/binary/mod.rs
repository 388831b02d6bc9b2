//! Runs the `voxorder` binary the way the end-to-end tests need it: a private data
//! directory per test and none of the caller's settings.

use std::path::PathBuf;
use std::process::{Command, Output};

pub struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs voxorder with a private data directory and none of the caller's settings.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_voxorder"))
            .args(args)
            .env("VOXORDER_HOME", self.path("home"))
            .env_remove("VOXORDER_DB")
            .env_remove("VOXORDER_CONFIG")
            .env_remove("VOXORDER_NOW")
            .env_remove("VOXORDER_LOG")
            .output()
            .expect("voxorder runs")
    }

    pub fn run_ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "voxorder {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }
}

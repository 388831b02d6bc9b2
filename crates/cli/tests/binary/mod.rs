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

    /// voxorder with a private data directory and none of the caller's settings.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_via(&[], args)
    }

    /// [`Env::command`] started through `wrapper` (a program and its arguments, such as
    /// `setpriv` dropping privileges), which is given voxorder's path and `args`.
    pub fn command_via(&self, wrapper: &[&str], args: &[&str]) -> Command {
        let bin = env!("CARGO_BIN_EXE_voxorder");
        let mut cmd = match wrapper {
            [] => Command::new(bin),
            [program, rest @ ..] => {
                let mut cmd = Command::new(program);
                cmd.args(rest).arg(bin);
                cmd
            }
        };
        cmd.args(args)
            .env("VOXORDER_HOME", self.path("home"))
            .env_remove("VOXORDER_DB")
            .env_remove("VOXORDER_CONFIG")
            .env_remove("VOXORDER_NOW")
            .env_remove("VOXORDER_LOG");
        cmd
    }

    /// Runs voxorder with a private data directory and none of the caller's settings.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("voxorder runs")
    }

    /// Runs `cmd` with `input` on its stdin, written from another thread so a long input
    /// cannot block on a full stdout pipe.
    #[allow(dead_code)] // not every test binary feeds stdin
    pub fn run_with_input(mut cmd: Command, input: &[u8]) -> Output {
        use std::io::Write as _;
        use std::process::Stdio;
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("voxorder runs");
        let mut stdin = child.stdin.take().expect("stdin");
        let input = input.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let out = child.wait_with_output().expect("voxorder finishes");
        writer.join().expect("writer thread");
        out
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

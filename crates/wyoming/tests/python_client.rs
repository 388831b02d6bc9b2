//! The real client: the pinned Python `wyoming` library (the one Home Assistant 2026.11
//! uses) drives the example server as Home Assistant does, then sends it bad input.
//! Skipped, saying so, only where there is no python3 at all.

#[path = "../examples/fake_server.rs"]
#[allow(dead_code)]
mod fake_server;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::process::Command;
use tokio::sync::oneshot;

/// Creating the virtualenv downloads the library the first time.
const SETUP_TIME: Duration = Duration::from_secs(300);
const CLIENT_TIME: Duration = Duration::from_secs(180);

async fn run(command: &mut Command, limit: Duration, what: &str) -> Output {
    let output = tokio::time::timeout(limit, command.kill_on_drop(true).output())
        .await
        .unwrap_or_else(|_| panic!("{what} took longer than {limit:?}"))
        .unwrap_or_else(|e| panic!("{what} could not start: {e}"));
    println!("{what}: {}", output.status);
    print!("{}", String::from_utf8_lossy(&output.stdout));
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    output
}

fn venv_dir() -> PathBuf {
    // target/tmp → target/wyoming-venv, wherever the target directory is.
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("wyoming-venv")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_library_drives_the_example_server_as_home_assistant_does() {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    if std::process::Command::new(&python)
        .arg("--version")
        .output()
        .is_err()
    {
        println!("SKIPPED: {python} is not installed, so the Python client cannot run");
        return;
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/client");
    let venv = venv_dir();
    let setup = run(
        Command::new("sh").arg(here.join("setup.sh")).arg(&venv),
        SETUP_TIME,
        "setup.sh",
    )
    .await;
    assert!(
        setup.status.success(),
        "setting up the client's venv failed"
    );

    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let port = listener.local_addr().expect("address").port();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(fake_server::run(listener, async {
        let _ = stopped.await;
    }));

    let client = run(
        Command::new(venv.join("bin/python"))
            .arg(here.join("client.py"))
            .arg("127.0.0.1")
            .arg(port.to_string()),
        CLIENT_TIME,
        "client.py",
    )
    .await;

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops")
        .expect("joins")
        .expect("served cleanly");
    let stdout = String::from_utf8_lossy(&client.stdout);
    assert!(client.status.success(), "the Python client found failures");
    assert!(stdout.contains(" passed, 0 failed"), "no summary line");
    assert!(!stdout.contains("FAIL"));
}

//! Serves the fake services over Wyoming, to try a client against without models:
//!
//! ```text
//! cargo run --example fake_server -- [ADDR]      (default 127.0.0.1:10700)
//! ```
//!
//! It prints `listening on ADDR` once ready (ADDR may end in `:0` for any free port) and
//! stops on Ctrl-C. Set `WYOMING_LOG=debug` to see each connection. The Python client
//! test runs [`run`] from this file, so what it checks is what this example serves.

use std::future::Future;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use voxorder_wyoming::fake::{FakeAsr, FakeConversation, FakeTts, FakeWake};
use voxorder_wyoming::{Server, ServerConfig, ServerError, Services};

/// The pause of the fake voice after each word, so a client can see speech arrive while
/// it is still being made.
pub const WORD_DELAY: Duration = Duration::from_millis(100);

pub fn services() -> Services {
    Services::default()
        .with_asr(Arc::new(FakeAsr::new()))
        .with_tts(Arc::new(FakeTts::with_chunk_delay(WORD_DELAY)))
        .with_conversation(Arc::new(FakeConversation::new()))
        .with_wake(Arc::new(FakeWake::new()))
}

/// Serves the fakes with the default limits on `listener` until `shutdown`.
pub async fn run(
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServerError> {
    Server::from_listener(listener, ServerConfig::default(), services())?
        .serve(shutdown)
        .await
}

#[tokio::main]
async fn main() -> ExitCode {
    let level = match std::env::var("WYOMING_LOG").as_deref() {
        Ok("trace") => tracing::Level::TRACE,
        Ok("debug") => tracing::Level::DEBUG,
        _ => tracing::Level::INFO,
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .init();
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:10700".into());
    let listener = match TcpListener::bind(&addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on {addr}: {error}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(bound) => {
            println!("listening on {bound}");
            let _ = std::io::stdout().flush();
        }
        Err(error) => {
            eprintln!("cannot read the listening address: {error}");
            return ExitCode::FAILURE;
        }
    }
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match run(listener, ctrl_c).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

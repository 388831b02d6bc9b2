//! The screen's configuration: where it listens, the token that guards it off loopback,
//! when it clears itself, and the limits that keep a misbehaving client from tying up a
//! small device. Defaults are documented on each field and in the crate's README; the CLI
//! embeds this struct in its own TOML as the `[screen]` table.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How the screen serves and what it keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScreenConfig {
    /// Where to listen. Default `127.0.0.1:8090`. Any address that is not loopback needs a
    /// `token`.
    pub listen: SocketAddr,
    /// The shared secret a client must show (a bearer header, or `?token=` on the page's
    /// URL once, kept as a cookie). At least 16 characters of `A-Z a-z 0-9 - _ . ~`.
    /// Default none, allowed only on loopback.
    pub token: Option<String>,
    /// Seconds without an event after which the screen clears itself. Default 120.
    pub idle_clear_secs: u64,
    /// How many lines of the conversation the screen keeps. Default 40.
    pub transcript_lines: usize,
    /// Longest text kept for one line or label, in characters. Default 600.
    pub max_text_chars: usize,
    /// Most choices offered at once. Default 6.
    pub max_choices: usize,
    /// Limits on clients.
    pub limits: Limits,
}

impl Default for ScreenConfig {
    fn default() -> Self {
        ScreenConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 8090)),
            token: None,
            idle_clear_secs: 120,
            transcript_lines: 40,
            max_text_chars: 600,
            max_choices: 6,
            limits: Limits::default(),
        }
    }
}

impl ScreenConfig {
    /// The idle timeout as a duration.
    pub fn idle_clear(&self) -> Duration {
        Duration::from_secs(self.idle_clear_secs)
    }
}

/// Limits on what clients may ask of the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Open connections at once; more are answered 503 and closed. Default 32.
    pub max_connections: usize,
    /// Live event streams at once (pages showing the screen). Default 4.
    pub max_streams: usize,
    /// Largest request line and headers, in bytes; more is answered 431. Default 8192.
    pub max_head_bytes: usize,
    /// Largest request body, in bytes; more is answered 413. Default 4096.
    pub max_body_bytes: usize,
    /// Time a client has to send a whole request, in milliseconds; then 408. Default 5000.
    pub request_timeout_ms: u64,
    /// Time a write to a client may block, in milliseconds; then the connection is
    /// dropped. Default 5000.
    pub write_timeout_ms: u64,
    /// Seconds between keep-alive comments on an idle event stream, which is also how
    /// soon a vanished page's stream is noticed. Default 15.
    pub keepalive_secs: u64,
    /// Inputs waiting for the conversation to take them; more are answered 503.
    /// Default 64.
    pub input_queue: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 32,
            max_streams: 4,
            max_head_bytes: 8192,
            max_body_bytes: 4096,
            request_timeout_ms: 5000,
            write_timeout_ms: 5000,
            keepalive_secs: 15,
            input_queue: 64,
        }
    }
}

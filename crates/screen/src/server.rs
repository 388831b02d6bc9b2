//! The screen's server: a few named threads over `std::net`. One accepts connections
//! (bounded in number), one per connection reads a single request under size and time
//! limits, one per open page writes the state as server-sent events, and one clears the
//! screen when the conversation goes idle. [`Screen`] is the handle the conversation
//! publishes through; [`Inputs`] is where the person's taps come back.

use std::io::{self, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::assets;
use crate::config::ScreenConfig;
use crate::event::{ScreenEvent, ScreenInput};
use crate::http::{self, Request, Status};
use crate::state::{EventError, ScreenState, Snapshot, MAX_DIGITS};

/// The cookie that carries the token after the page was opened with `?token=`.
const COOKIE: &str = "voxorder_screen";
/// Shortest token accepted.
const MIN_TOKEN_CHARS: usize = 16;
/// Connections over the limit answered 503 at once; beyond that they are just closed.
const BUSY_RESPONDERS: usize = 4;
/// How often an idle event stream checks that its page is still there.
const GONE_CHECK: Duration = Duration::from_millis(500);

/// Why the screen could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// Another address than loopback without a token: anyone on the network could read
    /// the conversation. Set a token, or listen on 127.0.0.1.
    #[error(
        "the screen would listen on {addr}, which is not a loopback address: \
         set a screen token to allow that, or listen on 127.0.0.1"
    )]
    TokenRequired {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// The token is too short or holds characters a URL or cookie would mangle.
    #[error(
        "the screen token must be at least {MIN_TOKEN_CHARS} characters of \
         A-Z a-z 0-9 - _ . ~"
    )]
    WeakToken,
    /// A limit of zero would refuse every client.
    #[error("the screen limit {name} must be above zero")]
    ZeroLimit {
        /// The limit's name in the configuration.
        name: &'static str,
    },
    /// The address is taken or not this machine's. Pick another port or address.
    #[error("the screen cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system said.
        source: io::Error,
    },
    /// The system would not start a thread.
    #[error("the screen cannot start its {thread} thread: {source}")]
    Thread {
        /// Which thread.
        thread: &'static str,
        /// What the system said.
        source: io::Error,
    },
}

/// A running screen. Publishing is cheap and never blocks on a client; dropping the
/// handle stops the server.
#[derive(Debug)]
pub struct Screen {
    publisher: Publisher,
    addr: SocketAddr,
    accept: Option<JoinHandle<()>>,
    idle: Option<JoinHandle<()>>,
}

/// A clonable handle that publishes events to the screen from any thread.
#[derive(Debug, Clone)]
pub struct Publisher {
    shared: Arc<Shared>,
}

/// What the person did on the screen, in the order it happened.
#[derive(Debug)]
pub struct Inputs {
    rx: Receiver<ScreenInput>,
}

#[derive(Debug)]
struct Shared {
    config: ScreenConfig,
    state: Mutex<Live>,
    changed: Condvar,
    connections: AtomicUsize,
    streams: AtomicUsize,
    refusing: AtomicUsize,
    inputs: SyncSender<ScreenInput>,
    local_addr: SocketAddr,
}

#[derive(Debug)]
struct Live {
    state: ScreenState,
    json: Arc<str>,
    last_event: Instant,
    stopping: bool,
}

impl Screen {
    /// Starts serving; returns the handle to publish through and the person's inputs.
    pub fn start(config: ScreenConfig) -> Result<(Screen, Inputs), StartError> {
        check(&config)?;
        let listener = TcpListener::bind(config.listen).map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
        let (tx, rx) = mpsc::sync_channel(config.limits.input_queue);
        let state = ScreenState::new(&config);
        let json = to_json(state.snapshot());
        let shared = Arc::new(Shared {
            config,
            state: Mutex::new(Live {
                state,
                json,
                last_event: Instant::now(),
                stopping: false,
            }),
            changed: Condvar::new(),
            connections: AtomicUsize::new(0),
            streams: AtomicUsize::new(0),
            refusing: AtomicUsize::new(0),
            inputs: tx,
            local_addr: addr,
        });
        let accept = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name("screen-accept".into())
                .spawn(move || accept_loop(&shared, &listener))
                .map_err(|source| StartError::Thread {
                    thread: "screen-accept",
                    source,
                })?
        };
        let idle = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name("screen-idle".into())
                .spawn(move || idle_loop(&shared))
                .map_err(|source| StartError::Thread {
                    thread: "screen-idle",
                    source,
                })?
        };
        tracing::info!(%addr, token = shared.config.token.is_some(), "screen serving");
        let screen = Screen {
            publisher: Publisher { shared },
            addr,
            accept: Some(accept),
            idle: Some(idle),
        };
        Ok((screen, Inputs { rx }))
    }

    /// The address it listens on (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The page's address to open in the kiosk's browser, with the token when one is set
    /// (the page keeps it as a cookie and drops it from the address bar).
    pub fn url(&self) -> String {
        let host = match self.addr.ip() {
            ip if ip.is_unspecified() => IpAddr::from([127, 0, 0, 1]),
            ip => ip,
        };
        let base = format!("http://{}/", SocketAddr::new(host, self.addr.port()));
        match &self.publisher.shared.config.token {
            Some(token) => format!("{base}?token={token}"),
            None => base,
        }
    }

    /// Shows an event; see [`Publisher::publish`].
    pub fn publish(&self, event: ScreenEvent) -> Result<(), EventError> {
        self.publisher.publish(event)
    }

    /// A handle to publish from another thread.
    pub fn publisher(&self) -> Publisher {
        self.publisher.clone()
    }

    /// What the screen shows now.
    pub fn snapshot(&self) -> Snapshot {
        self.publisher.snapshot()
    }

    /// Stops serving: open pages lose their stream, the threads end.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        {
            let mut live = self.publisher.shared.lock();
            live.stopping = true;
        }
        self.publisher.shared.changed.notify_all();
        // The accept thread sleeps in accept(): a connection of our own wakes it.
        let wake = match self.addr.ip() {
            ip if ip.is_unspecified() => {
                SocketAddr::new(IpAddr::from([127, 0, 0, 1]), self.addr.port())
            }
            _ => self.addr,
        };
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        for handle in [self.accept.take(), self.idle.take()].into_iter().flatten() {
            let _ = handle.join();
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        if self.accept.is_some() {
            self.stop();
        }
    }
}

impl Publisher {
    /// Applies an event and sends the new state to every open page. A refused event
    /// (an unverified order card, bad choices) changes nothing and says why.
    pub fn publish(&self, event: ScreenEvent) -> Result<(), EventError> {
        let mut live = self.shared.lock();
        live.state.apply(event, now_ms())?;
        live.json = to_json(live.state.snapshot());
        live.last_event = Instant::now();
        drop(live);
        self.shared.changed.notify_all();
        Ok(())
    }

    /// What the screen shows now.
    pub fn snapshot(&self) -> Snapshot {
        self.shared.lock().state.snapshot().clone()
    }
}

impl Inputs {
    /// Waits for the next input; `None` once the screen has stopped.
    pub fn recv(&self) -> Option<ScreenInput> {
        self.rx.recv().ok()
    }

    /// Waits at most `timeout`; `None` when nothing came or the screen stopped.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<ScreenInput> {
        self.rx.recv_timeout(timeout).ok()
    }

    /// The next input if one is waiting.
    pub fn try_recv(&self) -> Option<ScreenInput> {
        self.rx.try_recv().ok()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Live> {
        // A panic while holding the lock leaves a state that is still whole (every change
        // is applied before it is published), so the screen keeps serving it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn authorized(&self, request: &Request) -> bool {
        let Some(token) = &self.config.token else {
            return true;
        };
        let bearer = request
            .header("authorization")
            .and_then(|v| v.strip_prefix("Bearer "));
        [bearer, request.cookie(COOKIE)]
            .into_iter()
            .flatten()
            .any(|shown| same_secret(shown, token))
    }

    /// Without a token the screen trusts loopback, so it answers only requests addressed
    /// to loopback: a web page elsewhere that renames itself to 127.0.0.1 (DNS
    /// rebinding) gets nothing.
    fn host_allowed(&self, request: &Request) -> bool {
        if self.config.token.is_some() {
            return true;
        }
        request
            .header("host")
            .is_some_and(|host| names_loopback(host, self.local_addr))
    }

    /// A POST must come from this page: JSON (so a cross-site form cannot send it without
    /// a preflight this server never grants) and, when the browser says, this origin.
    fn post_allowed(&self, request: &Request) -> Result<(), Status> {
        let json = request
            .header("content-type")
            .is_some_and(|v| v.split(';').next() == Some("application/json"));
        if !json {
            return Err(Status::UnsupportedMediaType);
        }
        if let (Some(origin), Some(host)) = (request.header("origin"), request.header("host")) {
            if origin != format!("http://{host}") {
                return Err(Status::Forbidden);
            }
        }
        Ok(())
    }
}

fn check(config: &ScreenConfig) -> Result<(), StartError> {
    match &config.token {
        None if !config.listen.ip().is_loopback() => {
            return Err(StartError::TokenRequired {
                addr: config.listen,
            })
        }
        Some(token)
            if token.chars().count() < MIN_TOKEN_CHARS
                || !token
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.~".contains(c)) =>
        {
            return Err(StartError::WeakToken)
        }
        _ => {}
    }
    let limits = &config.limits;
    for (name, value) in [
        ("max_connections", limits.max_connections as u64),
        ("max_streams", limits.max_streams as u64),
        ("max_head_bytes", limits.max_head_bytes as u64),
        ("request_timeout_ms", limits.request_timeout_ms),
        ("write_timeout_ms", limits.write_timeout_ms),
        ("keepalive_secs", limits.keepalive_secs),
        ("input_queue", limits.input_queue as u64),
        ("idle_clear_secs", config.idle_clear_secs),
    ] {
        if value == 0 {
            return Err(StartError::ZeroLimit { name });
        }
    }
    Ok(())
}

/// Whether a `Host` header names this server by a loopback name: `localhost`, the usual
/// loopback addresses or the one it is bound to, with its port.
fn names_loopback(host: &str, bound: SocketAddr) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !name.ends_with(':') => (name, port),
        _ => return false,
    };
    let bound_name = match bound.ip() {
        IpAddr::V6(ip) => format!("[{ip}]"),
        IpAddr::V4(ip) => ip.to_string(),
    };
    let loopback_name = matches!(name, "localhost" | "127.0.0.1" | "[::1]") || name == bound_name;
    loopback_name && port == bound.port().to_string()
}

/// Compares without stopping at the first difference, so timing tells nothing.
fn same_secret(shown: &str, secret: &str) -> bool {
    let (a, b) = (shown.as_bytes(), secret.as_bytes());
    let mut diff = u8::from(a.len() != b.len());
    for (i, byte) in b.iter().enumerate() {
        diff |= byte ^ a.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

fn to_json(snapshot: &Snapshot) -> Arc<str> {
    serde_json::to_string(snapshot)
        .expect("a snapshot holds only strings, numbers and enums")
        .into()
}

/// Decrements a counter when a connection or stream ends, however it ends.
struct Slot<'a>(&'a AtomicUsize);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Takes a slot when fewer than `max` are taken.
fn take_slot(counter: &AtomicUsize, max: usize) -> Option<Slot<'_>> {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
            (n < max).then_some(n + 1)
        })
        .ok()
        .map(|_| Slot(counter))
}

fn accept_loop(shared: &Arc<Shared>, listener: &TcpListener) {
    for stream in listener.incoming() {
        if shared.lock().stopping {
            break;
        }
        let stream = match stream {
            Ok(stream) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "screen accept failed");
                // Out of descriptors: give the open ones a moment to close.
                thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        let write_timeout = Duration::from_millis(shared.config.limits.write_timeout_ms);
        let _ = stream.set_write_timeout(Some(write_timeout));
        let _ = stream.set_nodelay(true);
        if take_slot(&shared.connections, shared.config.limits.max_connections)
            .map(std::mem::forget)
            .is_none()
        {
            refuse_busy(shared, stream);
            continue;
        }
        let conn_shared = Arc::clone(shared);
        let spawned = thread::Builder::new()
            .name("screen-conn".into())
            .spawn(move || {
                let _slot = Slot(&conn_shared.connections);
                serve(&conn_shared, stream);
            });
        if let Err(e) = spawned {
            // The closure, and the slot it would have released, never ran.
            shared.connections.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!(error = %e, "screen cannot start a connection thread");
        }
    }
}

/// Answers 503 to a connection over the limit, from a thread of its own so the accept
/// loop never waits on that client; past `BUSY_RESPONDERS` such threads the connection is
/// just closed.
fn refuse_busy(shared: &Arc<Shared>, mut stream: TcpStream) {
    tracing::warn!("screen busy: connection refused");
    let Some(slot) = take_slot(&shared.refusing, BUSY_RESPONDERS) else {
        return;
    };
    std::mem::forget(slot);
    let busy_shared = Arc::clone(shared);
    let spawned = thread::Builder::new()
        .name("screen-busy".into())
        .spawn(move || {
            let _slot = Slot(&busy_shared.refusing);
            let _ = http::respond_text(&mut stream, Status::ServiceUnavailable, "busy\n");
            http::linger_close(&mut stream);
        });
    if spawned.is_err() {
        shared.refusing.fetch_sub(1, Ordering::SeqCst);
    }
}

fn idle_loop(shared: &Shared) {
    let idle = shared.config.idle_clear();
    let tick = (idle / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
    let mut live = shared.lock();
    while !live.stopping {
        live = shared
            .changed
            .wait_timeout(live, tick)
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .0;
        if live.state.is_active() && live.last_event.elapsed() >= idle {
            live.state.clear_idle(now_ms());
            live.json = to_json(live.state.snapshot());
            tracing::debug!("screen cleared after the idle timeout");
            shared.changed.notify_all();
        }
    }
}

fn serve(shared: &Shared, mut stream: TcpStream) {
    let limits = &shared.config.limits;
    let request = match http::read_request(
        &mut stream,
        limits.max_head_bytes,
        limits.max_body_bytes,
        Duration::from_millis(limits.request_timeout_ms),
    ) {
        Ok(request) => request,
        Err(e) => {
            tracing::debug!(error = %e, "screen request refused");
            if let Some(status) = e.status() {
                let _ = http::respond_text(&mut stream, status, &format!("{e}\n"));
                http::linger_close(&mut stream);
            }
            return;
        }
    };
    // The query string may hold the token: only the path is logged.
    tracing::debug!(method = %request.method, path = %request.path, "screen request");
    if let Err(e) = route(shared, &mut stream, &request) {
        tracing::debug!(error = %e, path = %request.path, "screen client went away");
    }
    let _ = stream.shutdown(Shutdown::Both);
}

fn route(shared: &Shared, stream: &mut TcpStream, request: &Request) -> io::Result<()> {
    if !shared.host_allowed(request) {
        return http::respond_text(stream, Status::MisdirectedRequest, "unknown host\n");
    }
    let method = request.method.as_str();
    if method == "GET" && request.path == "/" {
        if let Some(token) = &shared.config.token {
            if let Some(shown) = request.query_param("token") {
                if same_secret(shown, token) {
                    // Keep the token in a cookie and out of the address bar and history.
                    let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
                    return http::respond(
                        stream,
                        Status::SeeOther,
                        "text/plain; charset=utf-8",
                        &[("Location", "/"), ("Set-Cookie", &cookie)],
                        b"",
                    );
                }
            }
        }
    }
    if !shared.authorized(request) {
        return http::respond(
            stream,
            Status::Unauthorized,
            "text/plain; charset=utf-8",
            &[("WWW-Authenticate", "Bearer")],
            b"This screen needs its address with the token.\n",
        );
    }
    match (method, request.path.as_str()) {
        ("GET", "/events") => events(shared, stream),
        ("GET", "/state") => {
            let json = Arc::clone(&shared.lock().json);
            http::respond(stream, Status::Ok, "application/json", &[], json.as_bytes())
        }
        ("POST", "/input") => input(shared, stream, request),
        ("GET", path) => match assets::find(path) {
            Some(asset) => http::respond(stream, Status::Ok, asset.content_type, &[], asset.body),
            None => http::respond_text(stream, Status::NotFound, "not found\n"),
        },
        (_, "/input") => method_not_allowed(stream, "POST"),
        (_, path) if path == "/events" || path == "/state" || assets::find(path).is_some() => {
            method_not_allowed(stream, "GET")
        }
        _ => http::respond_text(stream, Status::NotFound, "not found\n"),
    }
}

fn method_not_allowed(stream: &mut TcpStream, allow: &str) -> io::Result<()> {
    http::respond(
        stream,
        Status::MethodNotAllowed,
        "text/plain; charset=utf-8",
        &[("Allow", allow)],
        b"method not allowed\n",
    )
}

fn input(shared: &Shared, stream: &mut TcpStream, request: &Request) -> io::Result<()> {
    if let Err(status) = shared.post_allowed(request) {
        return http::respond_text(stream, status, "refused\n");
    }
    let input: ScreenInput = match serde_json::from_slice(&request.body) {
        Ok(input) => input,
        Err(e) => {
            return http::respond_text(stream, Status::BadRequest, &format!("bad input: {e}\n"))
        }
    };
    match &input {
        ScreenInput::Keypad { digits } => {
            let valid = !digits.is_empty()
                && digits.len() <= MAX_DIGITS
                && digits.bytes().all(|b| b.is_ascii_digit());
            if !valid {
                return http::respond_text(
                    stream,
                    Status::BadRequest,
                    &format!("keypad input is 1 to {MAX_DIGITS} digits\n"),
                );
            }
        }
        ScreenInput::Choice { value } => {
            // A stale page must not answer a question that is no longer asked.
            if !shared.lock().state.offers(value) {
                return http::respond_text(stream, Status::Conflict, "not an offered choice\n");
            }
        }
        ScreenInput::StartTalking | ScreenInput::StopSpeaking => {}
    }
    match shared.inputs.try_send(input) {
        Ok(()) => http::respond(stream, Status::NoContent, "", &[], b""),
        Err(TrySendError::Full(_)) => {
            http::respond_text(stream, Status::ServiceUnavailable, "input queue full\n")
        }
        Err(TrySendError::Disconnected(_)) => {
            http::respond_text(stream, Status::ServiceUnavailable, "nobody is listening\n")
        }
    }
}

fn events(shared: &Shared, stream: &mut TcpStream) -> io::Result<()> {
    let Some(_slot) = take_slot(&shared.streams, shared.config.limits.max_streams) else {
        return http::respond_text(stream, Status::ServiceUnavailable, "too many screens\n");
    };
    http::start_event_stream(stream)?;
    let keepalive = Duration::from_secs(shared.config.limits.keepalive_secs);
    // Zero is never a snapshot's seq once sent, so the first pass sends the current state:
    // a page that joins late sees what the others see.
    let mut sent_seq = None;
    loop {
        let (json, seq) = {
            let mut live = shared.lock();
            let started = Instant::now();
            while !live.stopping
                && sent_seq == Some(live.state.snapshot().seq)
                && started.elapsed() < keepalive
            {
                // Wake now and then to notice a page that went away: its slot is wanted
                // by the page that replaced it.
                let left = keepalive.saturating_sub(started.elapsed()).min(GONE_CHECK);
                live = shared
                    .changed
                    .wait_timeout(live, left)
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .0;
                if client_gone(stream) {
                    return Ok(());
                }
            }
            if live.stopping {
                return Ok(());
            }
            (Arc::clone(&live.json), live.state.snapshot().seq)
        };
        if sent_seq == Some(seq) {
            stream.write_all(b": keep-alive\n\n")?;
        } else {
            let mut frame = String::with_capacity(json.len() + 32);
            frame.push_str("event: state\ndata: ");
            frame.push_str(&json);
            frame.push_str("\n\n");
            stream.write_all(frame.as_bytes())?;
            sent_seq = Some(seq);
        }
        stream.flush()?;
    }
}

/// Whether the page closed its end; a page sends nothing on an event stream, so readable
/// bytes or an end of stream both mean the exchange is over.
fn client_gone(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return true;
    }
    let mut probe = [0u8; 1];
    let gone = match stream.peek(&mut probe) {
        Ok(_) => true,
        Err(e) => e.kind() != io::ErrorKind::WouldBlock,
    };
    stream.set_nonblocking(false).is_err() || gone
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abcdefghijklmnop", "abcdefghijklmnop"));
        assert!(!same_secret("abcdefghijklmno", "abcdefghijklmnop"));
        assert!(!same_secret("abcdefghijklmnopq", "abcdefghijklmnop"));
        assert!(!same_secret("", "abcdefghijklmnop"));
    }

    #[test]
    fn loopback_names_with_the_right_port_only() {
        let bound: SocketAddr = "127.0.0.2:8090".parse().expect("address");
        for host in [
            "127.0.0.2:8090",
            "localhost:8090",
            "127.0.0.1:8090",
            "[::1]:8090",
        ] {
            assert!(names_loopback(host, bound), "{host}");
        }
        for host in [
            "127.0.0.2:8091",
            "rebound.example:8090",
            "127.0.0.2",
            "::1:8090",
            "",
        ] {
            assert!(!names_loopback(host, bound), "{host}");
        }
        let v6: SocketAddr = "[::1]:8090".parse().expect("address");
        assert!(names_loopback("[::1]:8090", v6));
    }

    #[test]
    fn slots_stop_at_the_limit_and_come_back() {
        let counter = AtomicUsize::new(0);
        let a = take_slot(&counter, 2);
        let b = take_slot(&counter, 2);
        assert!(a.is_some() && b.is_some());
        assert!(take_slot(&counter, 2).is_none());
        drop(a);
        assert!(take_slot(&counter, 2).is_some());
    }
}

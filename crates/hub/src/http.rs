//! The reference OMS's HTTP API (v1, `docs/oms-api.yaml`): bearer-token
//! authentication per device (the store's registry, read per request, and the tokens
//! file), the change feed, command upload, order reads and stats,
//! each within the device's scope; served over plain HTTP or TLS (rustls with ring)
//! within the [`Limits`] on size, time and connections.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::db::{BatchOutcome, OrderRead, TokenLookup};
use super::devices::{token_hash, Device, Devices, TokenHash};
use super::limits::{
    ConnectionOwner, DeviceConnections, Limits, PeerConnections, PeerSlot, WriteStall,
};
use super::store::HubStore;
use voxorder_config::PolicyConfig;
use voxorder_domain::clock::Clock;
use voxorder_domain::wire::{
    json_depth, validate_idempotency_key, ChangeItem, ChangePage, CommandIn, DeviceInfo, ErrorBody,
    OrderList, PushRequest, PushResponse, MAX_COMMAND_BYTES, MAX_COMMAND_DEPTH, SCHEMA_VERSION,
};

/// Most commands in one upload. A batch is judged in one transaction under the feed lock
/// every hub shares, so its size bounds how long one device can hold up the fleet's
/// writes (about 2 to 3 ms a command).
pub const MAX_BATCH: usize = 200;
/// Most entities in one page of the feed or of the order list.
pub const MAX_PAGE: usize = 10_000;

/// What every handler shares.
pub struct App {
    /// The hub's store, the device registry included, read on every request.
    pub store: Box<dyn HubStore>,
    /// The tokens file's devices.
    pub devices: Devices,
    pub policy: PolicyConfig,
    /// The OMS's "now", which date windows are judged by (fixed by `--now` in tests).
    pub clock: Clock,
    pub limits: Limits,
    pub connections: Arc<DeviceConnections>,
    /// Places for store work, one per connection of the store's pools.
    reads: Arc<Semaphore>,
    writes: Arc<Semaphore>,
}

impl App {
    pub fn new(
        store: Box<dyn HubStore>,
        devices: Devices,
        policy: PolicyConfig,
        clock: Clock,
        limits: Limits,
    ) -> App {
        let lanes = store.lanes();
        App {
            reads: Arc::new(Semaphore::new(lanes.reads.max(1))),
            writes: Arc::new(Semaphore::new(lanes.writes.max(1))),
            store,
            devices,
            policy,
            clock,
            connections: DeviceConnections::new(limits.max_connections_per_device),
            limits,
        }
    }
}

/// When the request's body must have arrived.
#[derive(Debug, Clone, Copy)]
struct BodyDeadline(tokio::time::Instant);

/// The routes, with authentication, the per-device connection cap and the body limits.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/v1/changes", get(changes))
        .route("/v1/commands", post(commands))
        .route("/v1/orders", get(orders))
        .route("/v1/orders/{order_number}", get(order))
        .route("/v1/stats", get(stats))
        .route("/v1/device", get(device_info))
        .layer(DefaultBodyLimit::max(app.limits.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(app.clone(), auth))
        .layer(axum::middleware::from_fn(contain_panics))
        .with_state(app)
}

/// Runs the request in a task of its own, so that a panic in a handler (a bug) is a 500
/// for that request and the server goes on. Under the release profile's `panic =
/// "abort"` this cannot help: there the bounds on what a request may hold are what keep
/// handlers from panicking.
async fn contain_panics(req: Request, next: Next) -> Response {
    match tokio::spawn(next.run(req)).await {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(panicked = e.is_panic(), "a request handler failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the request could not be handled",
            )
        }
    }
}

async fn auth(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let device = match token {
        Some(token) => match authenticate(&app, token_hash(token)).await {
            Ok(device) => device,
            Err(response) => return response,
        },
        None => None,
    };
    match device {
        Some(device) => {
            // Served by `serve`, the connection carries its owner; otherwise the place
            // is held for this request alone.
            let owner = req
                .extensions()
                .get::<ConnectionOwner>()
                .cloned()
                .unwrap_or_default();
            {
                let mut slot = owner
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if slot.as_ref().is_none_or(|s| s.device() != device.id) {
                    *slot = None;
                    match app.connections.take(&device.id) {
                        Some(place) => *slot = Some(place),
                        None => {
                            tracing::debug!(device = %device.id, "device over its connection cap");
                            return busy(
                                app.limits.retry_after,
                                "this device holds as many connections as it may",
                            );
                        }
                    }
                }
            }
            let deadline = tokio::time::Instant::now() + app.limits.body_timeout;
            req.extensions_mut().insert(BodyDeadline(deadline));
            req.extensions_mut().insert(device);
            let response = next.run(req).await;
            drop(owner);
            response
        }
        None => {
            // Nothing else: no hint whether the token was missing, unknown or expired.
            let mut r = StatusCode::UNAUTHORIZED.into_response();
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            r
        }
    }
}

/// The device a token's hash belongs to, in the store's registry as it is now, else in
/// the tokens file.
///
/// The registry is read on every request rather than cached: one look-up of a unique
/// index on a prepared statement costs microseconds, and nothing can then serve a token
/// revoked a moment ago, by this process or another one on the same store, with no
/// invalidation to get wrong. A hash the registry knows is decided there alone: a
/// revoked device is refused even if the tokens file holds its token too.
async fn authenticate(app: &Arc<App>, hash: TokenHash) -> Result<Option<Arc<Device>>, Response> {
    let place = take_place(&app.reads, app.limits.retry_after).await?;
    let shared = app.clone();
    let found = tokio::task::spawn_blocking(move || {
        let _place = place;
        shared.store.device_for_token(&hash)
    })
    .await;
    match found {
        Ok(Ok(TokenLookup::Active(device))) => Ok(Some(Arc::new(device))),
        Ok(Ok(TokenLookup::Revoked)) => Ok(None),
        Ok(Ok(TokenLookup::Unknown)) => Ok(app.devices.authenticate_hash(&hash)),
        // Not a 401: the device's token may be good, and it should retry, not give up.
        Ok(Err(e)) => Err(internal(e)),
        Err(e) => {
            tracing::error!(panicked = e.is_panic(), "device look-up failed");
            Err(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the request could not be handled",
            ))
        }
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        Json(ErrorBody {
            error: message.into(),
            idempotency_keys: Vec::new(),
        }),
    )
        .into_response()
}

/// 503 for a client over a cap: come back after `retry_after`, on a new connection.
fn busy(retry_after: Duration, message: &str) -> Response {
    let mut r = error(StatusCode::SERVICE_UNAVAILABLE, message);
    let h = r.headers_mut();
    h.insert(
        header::RETRY_AFTER,
        HeaderValue::from(retry_after.as_secs().max(1)),
    );
    h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// 403 for a read outside the device's scope.
fn out_of_scope(what: impl std::fmt::Display) -> Response {
    error(
        StatusCode::FORBIDDEN,
        format!("{what} is outside this device's scope"),
    )
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %voxorder_domain::pii::Redacted(&e), "oms store failed");
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "the order store failed; retry later",
    )
}

/// How long a request may queue for a place to do store work before it is answered
/// 503 with `Retry-After` instead. Past it the client has likely given up (a device
/// waits 10 s for an answer), and work done for a client that left only delays the
/// requests queued behind it: under a burst that is how a hub stays seconds behind long
/// after the burst has passed.
pub const QUEUE_DEADLINE: Duration = Duration::from_secs(2);

/// A place for store work in `lane`, waited for in arrival order (Tokio's semaphore is
/// fair) for at most [`QUEUE_DEADLINE`]. Store work runs on blocking threads, each
/// holding a pooled connection: letting more requests onto threads than the pool has
/// connections only makes them wait for one there, in no particular order, hundreds of
/// threads contending for the cores the connections' holders need.
async fn take_place(
    lane: &Arc<Semaphore>,
    retry_after: Duration,
) -> Result<OwnedSemaphorePermit, Response> {
    let asked = tokio::time::Instant::now();
    match tokio::time::timeout(QUEUE_DEADLINE, lane.clone().acquire_owned()).await {
        Ok(Ok(place)) => {
            super::gauge::STORE_QUEUE.record(asked.elapsed());
            Ok(place)
        }
        // Timed out (the semaphore is never closed).
        _ => {
            super::gauge::STORE_QUEUE.fail();
            tracing::debug!("store work queued past its deadline; answering 503");
            Err(busy(retry_after, "the OMS is busy; retry later"))
        }
    }
}

/// Which of the store's pools a request's work needs.
#[derive(Debug, Clone, Copy)]
enum Lane {
    Read,
    Write,
}

/// Runs store work off the async threads, once a place in its lane is free.
async fn with_db<T: Send + 'static>(
    app: &Arc<App>,
    lane: Lane,
    f: impl FnOnce(&dyn HubStore, &App) -> Result<T, super::db::OmsDbError> + Send + 'static,
) -> Result<T, Response> {
    let places = match lane {
        Lane::Read => &app.reads,
        Lane::Write => &app.writes,
    };
    let place = take_place(places, app.limits.retry_after).await?;
    let app = app.clone();
    match tokio::task::spawn_blocking(move || {
        let _place = place;
        f(app.store.as_ref(), &app)
    })
    .await
    {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(internal(e)),
        Err(e) => {
            tracing::error!(panicked = e.is_panic(), "order store work failed");
            Err(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the request could not be handled",
            ))
        }
    }
}

/// Cursors are `c1.<sequence>`: opaque to devices, versioned so the form can change.
pub fn encode_cursor(seq: i64) -> String {
    format!("c1.{seq}")
}

pub fn decode_cursor(cursor: &str) -> Option<i64> {
    if cursor.is_empty() {
        return Some(0);
    }
    cursor
        .strip_prefix("c1.")
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|n| *n >= 0)
}

#[derive(Debug, Deserialize)]
struct ChangesQuery {
    #[serde(default)]
    cursor: String,
    #[serde(default = "default_limit")]
    limit: usize,
}

fn default_limit() -> usize {
    1000
}

async fn changes(
    State(app): State<Arc<App>>,
    Extension(device): Extension<Arc<Device>>,
    Query(q): Query<ChangesQuery>,
) -> Response {
    let Some(after) = decode_cursor(&q.cursor) else {
        return error(
            StatusCode::BAD_REQUEST,
            format!("unknown cursor {:?}", q.cursor),
        );
    };
    let limit = q.limit.clamp(1, MAX_PAGE);
    let page = match with_db(&app, Lane::Read, move |db, _| {
        db.changes(after, limit, &device.scope)
    })
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut changes = Vec::with_capacity(page.rows.len());
    for row in page.rows {
        match RawValue::from_string(row.body) {
            Ok(data) => changes.push(ChangeItem {
                kind: row.kind,
                id: row.id,
                data,
            }),
            Err(e) => return internal(format!("entity {} {}: {e}", row.kind, row.id)),
        }
    }
    Json(ChangePage {
        schema_version: SCHEMA_VERSION,
        changes,
        next_cursor: encode_cursor(page.next_seq),
        has_more: page.has_more,
        server_time: voxorder_domain::order::format_datetime(chrono::Utc::now().naive_utc()),
    })
    .into_response()
}

async fn commands(
    State(app): State<Arc<App>>,
    Extension(device): Extension<Arc<Device>>,
    Extension(BodyDeadline(deadline)): Extension<BodyDeadline>,
    req: Request,
) -> Response {
    // A body trickled in byte by byte would hold the connection for as long as the
    // client liked: it must arrive whole by the deadline.
    let body = match tokio::time::timeout_at(deadline, Bytes::from_request(req, &())).await {
        Ok(Ok(body)) => body,
        Ok(Err(rejection)) => return rejection.into_response(),
        Err(_) => {
            tracing::debug!(device = %device.id, "request body too slow; connection closed");
            let mut r = error(
                StatusCode::REQUEST_TIMEOUT,
                "the request body did not arrive in time",
            );
            r.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return r;
        }
    };
    // The batch's own object, its list and each command add three levels to a payload's.
    let depth = json_depth(&body);
    if depth > MAX_COMMAND_DEPTH + 3 {
        return error(
            StatusCode::BAD_REQUEST,
            format!(
                "the batch nests {depth} levels deep; a command's payload may nest at most \
                 {MAX_COMMAND_DEPTH}"
            ),
        );
    }
    let req: PushRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("not a command batch: {e}")),
    };
    if req.commands.len() > MAX_BATCH {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{} commands; at most {MAX_BATCH} per request",
                req.commands.len()
            ),
        );
    }
    if let Some(response) = refuse_malformed(&req) {
        return response;
    }
    let now = app.clock.now();
    let n = req.commands.len();
    let id = device.id.clone();
    let outcome = match with_db(&app, Lane::Write, move |db, app| {
        db.apply_batch(&device.id, &device.scope, &req.commands, &app.policy, now)
    })
    .await
    {
        Ok(r) => r,
        Err(r) => return r,
    };
    let results = match outcome {
        BatchOutcome::Applied(results) => results,
        BatchOutcome::OutOfScope(keys) => {
            tracing::warn!(device = %id, commands = keys.len(), "batch outside the device's scope refused");
            return (
                StatusCode::FORBIDDEN,
                Json(ErrorBody {
                    error: format!(
                        "{} command(s) concern orders outside this device's scope; nothing \
                         was applied",
                        keys.len()
                    ),
                    idempotency_keys: keys,
                }),
            )
                .into_response();
        }
        BatchOutcome::KeyReused(keys) => {
            tracing::warn!(device = %id, commands = keys.len(), "idempotency keys reused for other commands");
            return (
                StatusCode::CONFLICT,
                Json(ErrorBody {
                    error: format!(
                        "{} idempotency key(s) were used by this device for a different \
                         command; nothing was applied",
                        keys.len()
                    ),
                    idempotency_keys: keys,
                }),
            )
                .into_response();
        }
    };
    tracing::info!(device = %id, commands = n, "batch applied");
    Json(PushResponse {
        schema_version: SCHEMA_VERSION,
        results,
    })
    .into_response()
}

/// 400 for a batch with a command no device would send: a key that is not a short
/// printable identifier, or a payload over the size bound. Nothing is applied.
fn refuse_malformed(req: &PushRequest) -> Option<Response> {
    let bad_keys: Vec<&CommandIn> = req
        .commands
        .iter()
        .filter(|c| validate_idempotency_key(&c.idempotency_key).is_err())
        .collect();
    if let Some(first) = bad_keys.first() {
        let why = validate_idempotency_key(&first.idempotency_key).err()?;
        return Some(error(
            StatusCode::BAD_REQUEST,
            format!(
                "{} command(s) with a bad idempotency key (a {} command's key {why}); \
                 nothing was applied",
                bad_keys.len(),
                first.kind
            ),
        ));
    }
    let big: Vec<String> = req
        .commands
        .iter()
        .filter(|c| c.payload.get().len() > MAX_COMMAND_BYTES)
        .map(|c| c.idempotency_key.clone())
        .collect();
    if !big.is_empty() {
        return Some(
            (
                StatusCode::BAD_REQUEST,
                Json(ErrorBody {
                    error: format!(
                        "{} command(s) over {MAX_COMMAND_BYTES} bytes; nothing was applied",
                        big.len()
                    ),
                    idempotency_keys: big,
                }),
            )
                .into_response(),
        );
    }
    None
}

async fn order(
    State(app): State<Arc<App>>,
    Extension(device): Extension<Arc<Device>>,
    Path(number): Path<String>,
) -> Response {
    let n = number.clone();
    match with_db(&app, Lane::Read, move |db, _| {
        db.order_in_scope(&n, &device.scope)
    })
    .await
    {
        Ok(OrderRead::Found(body)) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        // Another device's order is answered as one that does not exist: a device
        // must not learn which order numbers the OMS holds outside its scope.
        Ok(OrderRead::OutOfScope | OrderRead::Missing) => {
            error(StatusCode::NOT_FOUND, format!("no order {number}"))
        }
        Err(r) => r,
    }
}

#[derive(Debug, Deserialize)]
struct OrdersQuery {
    #[serde(default)]
    after: String,
    #[serde(default = "default_limit")]
    limit: usize,
}

async fn orders(
    State(app): State<Arc<App>>,
    Extension(device): Extension<Arc<Device>>,
    Query(q): Query<OrdersQuery>,
) -> Response {
    let limit = q.limit.clamp(1, MAX_PAGE);
    match with_db(&app, Lane::Read, move |db, _| {
        db.order_page(&q.after, limit, &device.scope)
    })
    .await
    {
        Ok(orders) => {
            let next_after = (orders.len() == limit)
                .then(|| orders.last().map(|o| o.order_number.clone()))
                .flatten();
            Json(OrderList { orders, next_after }).into_response()
        }
        Err(r) => r,
    }
}

/// The device's own id and scope: what a device shows as the hub it belongs to.
async fn device_info(Extension(device): Extension<Arc<Device>>) -> Response {
    Json(DeviceInfo {
        schema_version: SCHEMA_VERSION,
        device_id: device.id.clone(),
        scope: device.scope.to_string(),
    })
    .into_response()
}

/// Counts over every device's orders and commands: for operators (scope `*`) only.
async fn stats(State(app): State<Arc<App>>, Extension(device): Extension<Arc<Device>>) -> Response {
    if !device.scope.is_everything() {
        return out_of_scope("the whole OMS's statistics");
    }
    match with_db(&app, Lane::Read, |db, _| db.stats()).await {
        Ok(s) => Json(s).into_response(),
        Err(r) => r,
    }
}

/// A connection's byte stream, plain or TLS.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// The connection's stream once TLS, if any, is set up within `timeout`.
async fn open(
    tcp: TcpStream,
    tls: Option<tokio_rustls::TlsAcceptor>,
    timeout: Duration,
) -> Option<Box<dyn Stream>> {
    let Some(acceptor) = tls else {
        return Some(Box::new(tcp));
    };
    match tokio::time::timeout(timeout, acceptor.accept(tcp)).await {
        Ok(Ok(stream)) => Some(Box::new(stream)),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::debug!("TLS handshake timed out");
            None
        }
    }
}

/// HTTP/1 with the head of each request due within the header timeout (an idle
/// keep-alive connection is closed after it too).
fn http1(limits: &Limits) -> hyper::server::conn::http1::Builder {
    let mut b = hyper::server::conn::http1::Builder::new();
    b.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    b
}

/// Serves `router` on `listener` until the process ends, over TLS when `tls` is given,
/// within `limits`. Each connection is its own task; a slow or broken client affects
/// only itself, and a flood of them gets 503s, not the server's file descriptors.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
) -> std::io::Result<()> {
    let served = Arc::new(Semaphore::new(limits.max_connections));
    // Connections over the cap are told to come back, as many again at most; past that
    // they are closed at once, so open files stay bounded whatever clients do.
    let turned_away = Arc::new(Semaphore::new(limits.max_connections));
    let peers = PeerConnections::new(limits.max_connections_per_peer);
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // Before anything is read: one address cannot take every place of the total cap
        // with connections that never authenticate. Past its cap it is closed at once,
        // which costs the server nothing.
        let Some(peer_slot) = peers.take(peer.ip()) else {
            tracing::debug!("peer over its connection cap; connection closed");
            continue;
        };
        let _ = tcp.set_nodelay(true);
        if let Ok(permit) = served.clone().try_acquire_owned() {
            tokio::spawn(serve_connection(
                tcp,
                router.clone(),
                tls.clone(),
                limits,
                (permit, peer_slot),
            ));
        } else if let Ok(permit) = turned_away.clone().try_acquire_owned() {
            tracing::debug!("connection cap reached; answering 503");
            tokio::spawn(turn_away(tcp, tls.clone(), limits, (permit, peer_slot)));
        } else {
            tracing::debug!("connection cap reached twice over; connection closed");
        }
    }
}

async fn serve_connection(
    tcp: TcpStream,
    router: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
    _places: (OwnedSemaphorePermit, Option<PeerSlot>),
) {
    let Some(stream) = open(tcp, tls, limits.header_timeout).await else {
        return;
    };
    let io = TokioIo::new(WriteStall::new(stream, limits.body_timeout));
    // Every request of the connection sees who the connection counts for.
    let owner = ConnectionOwner::default();
    let inner = TowerToHyperService::new(router);
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(owner.clone());
        hyper::service::Service::call(&inner, req)
    });
    if let Err(e) = http1(&limits).serve_connection(io, svc).await {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

/// Answers every request of a connection over the cap with 503 and closes it.
async fn turn_away(
    tcp: TcpStream,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
    _places: (OwnedSemaphorePermit, Option<PeerSlot>),
) {
    let Some(stream) = open(tcp, tls, limits.header_timeout).await else {
        return;
    };
    let io = TokioIo::new(WriteStall::new(stream, limits.body_timeout));
    let svc = hyper::service::service_fn(move |_req| async move {
        Ok::<_, Infallible>(busy(
            limits.retry_after,
            "the OMS is serving as many connections as it can",
        ))
    });
    if let Err(e) = http1(&limits).serve_connection(io, svc).await {
        tracing::debug!(error = %e, "turned-away connection ended with an error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn store_work_queued_past_the_deadline_is_told_to_come_back() {
        let lane = Arc::new(Semaphore::new(1));
        let held = lane.clone().acquire_owned().await.expect("a place");
        let asked = tokio::time::Instant::now();
        let refused = take_place(&lane, Duration::from_secs(3))
            .await
            .expect_err("no place within the deadline");
        assert!(asked.elapsed() >= QUEUE_DEADLINE);
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            refused.headers().get(header::RETRY_AFTER),
            Some(&HeaderValue::from(3u64))
        );
        drop(held);
        assert!(take_place(&lane, Duration::from_secs(3)).await.is_ok());
    }

    #[tokio::test]
    async fn places_go_to_store_work_in_the_order_it_asked() {
        let lane = Arc::new(Semaphore::new(1));
        let held = lane.clone().acquire_owned().await.expect("a place");
        let served = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for n in 0..4 {
            let (lane, served) = (lane.clone(), served.clone());
            waiting.push(tokio::spawn(async move {
                let place = take_place(&lane, Duration::from_secs(1)).await;
                assert!(place.is_ok(), "waiter {n} got a place");
                served.lock().expect("served").push(n);
            }));
            // Each asks only once the one before it is queued.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(held);
        for w in waiting {
            w.await.expect("waiter");
        }
        assert_eq!(*served.lock().expect("served"), vec![0, 1, 2, 3]);
    }
}

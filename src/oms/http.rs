//! The reference OMS's HTTP API (v1, `docs/oms-api.yaml`): bearer-token
//! authentication per device, request size limits, the change feed, command upload,
//! order reads and stats, each within the device's scope; served over plain HTTP or TLS
//! (rustls with ring).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::net::TcpListener;

use super::db::{BatchOutcome, OmsDb, OrderRead};
use super::devices::{Device, Devices};
use super::wire::{
    ChangeItem, ChangePage, ErrorBody, OrderList, PushRequest, PushResponse, SCHEMA_VERSION,
};
use crate::config::OrderPolicy;

/// Most commands in one upload.
pub const MAX_BATCH: usize = 5_000;
/// Most entities in one page of the feed or of the order list.
pub const MAX_PAGE: usize = 10_000;

/// What every handler shares.
pub struct App {
    pub db: Mutex<OmsDb>,
    pub devices: Devices,
    pub policy: OrderPolicy,
}

/// The routes, with authentication and the body limit.
pub fn router(app: Arc<App>, max_body_bytes: usize) -> Router {
    Router::new()
        .route("/v1/changes", get(changes))
        .route("/v1/commands", post(commands))
        .route("/v1/orders", get(orders))
        .route("/v1/orders/{order_number}", get(order))
        .route("/v1/stats", get(stats))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(app.clone(), auth))
        .with_state(app)
}

async fn auth(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match token.and_then(|t| app.devices.authenticate(t)) {
        Some(device) => {
            req.extensions_mut().insert(device);
            next.run(req).await
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

/// 403 for a read outside the device's scope.
fn out_of_scope(what: impl std::fmt::Display) -> Response {
    error(
        StatusCode::FORBIDDEN,
        format!("{what} is outside this device's scope"),
    )
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "oms store failed");
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "the order store failed; retry later",
    )
}

/// Runs store work off the async threads.
async fn with_db<T: Send + 'static>(
    app: &Arc<App>,
    f: impl FnOnce(&mut OmsDb, &App) -> Result<T, super::db::OmsDbError> + Send + 'static,
) -> Result<T, Response> {
    let app = app.clone();
    match tokio::task::spawn_blocking(move || {
        let mut db = app
            .db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut db, &app)
    })
    .await
    {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(internal(e)),
        Err(e) => Err(internal(e)),
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
    let page = match with_db(&app, move |db, _| db.changes(after, limit, &device.scope)).await {
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
        server_time: crate::order::format_datetime(chrono::Utc::now().naive_utc()),
    })
    .into_response()
}

async fn commands(
    State(app): State<Arc<App>>,
    Extension(device): Extension<Arc<Device>>,
    body: Bytes,
) -> Response {
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
    if let Some(c) = req
        .commands
        .iter()
        .find(|c| c.idempotency_key.trim().is_empty())
    {
        return error(
            StatusCode::BAD_REQUEST,
            format!("a {} command without an idempotency key", c.kind),
        );
    }
    let now = chrono::Utc::now().naive_utc();
    let n = req.commands.len();
    let id = device.id.clone();
    let outcome = match with_db(&app, move |db, app| {
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

async fn order(
    State(app): State<Arc<App>>,
    Extension(device): Extension<Arc<Device>>,
    Path(number): Path<String>,
) -> Response {
    let n = number.clone();
    match with_db(&app, move |db, _| db.order_in_scope(&n, &device.scope)).await {
        Ok(OrderRead::Found(body)) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        Ok(OrderRead::OutOfScope) => out_of_scope(format_args!("order {number}")),
        Ok(OrderRead::Missing) => error(StatusCode::NOT_FOUND, format!("no order {number}")),
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
    match with_db(&app, move |db, _| {
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

/// Counts over every device's orders and commands: for operators (scope `*`) only.
async fn stats(State(app): State<Arc<App>>, Extension(device): Extension<Arc<Device>>) -> Response {
    if !device.scope.is_everything() {
        return out_of_scope("the whole OMS's statistics");
    }
    match with_db(&app, |db, _| db.stats()).await {
        Ok(s) => Json(s).into_response(),
        Err(r) => r,
    }
}

/// Serves `router` on `listener` until the process ends, over TLS when `tls` is given.
/// Each connection is its own task; a slow or broken client affects only itself.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> std::io::Result<()> {
    loop {
        let (tcp, _peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let svc = TowerToHyperService::new(router.clone());
        let tls = tls.clone();
        tokio::spawn(async move {
            let builder = {
                let mut b = hyper::server::conn::http1::Builder::new();
                b.timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(10));
                b
            };
            let result = match tls {
                Some(acceptor) => {
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await
                    {
                        Ok(Ok(stream)) => builder.serve_connection(TokioIo::new(stream), svc).await,
                        Ok(Err(e)) => {
                            tracing::debug!(error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!("TLS handshake timed out");
                            return;
                        }
                    }
                }
                None => builder.serve_connection(TokioIo::new(tcp), svc).await,
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
}

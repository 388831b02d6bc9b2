//! Talking to an OMS: the [`OmsClient`] trait the syncer drives (so other order systems
//! can get adapters), and [`HttpOmsClient`] for the reference API (`docs/oms-api.yaml`)
//! over reqwest with rustls: timeouts, a response size cap enforced while reading, no
//! redirect to another host or scheme, and every answer checked before it is used.

use std::future::Future;
use std::time::Duration;

use serde_json::value::RawValue;

use super::SyncError;
use voxorder_domain::order::OrderRecord;
use voxorder_domain::pii::{Kind, Masked};
use voxorder_domain::wire::{
    ChangePage, CommandIn, CommandOutcome, DeviceInfo, PushRequest, PushResponse, KIND_DOCUMENT,
    KIND_ORDER, KIND_POLICY, KIND_PRODUCT, SCHEMA_VERSION,
};
use voxorder_store::{Document, Outcome, PendingCommand, Product, Pulled, Settlement};

/// One page of the OMS's change feed, already validated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PullPage {
    pub pulled: Pulled,
    pub next_cursor: String,
    pub has_more: bool,
    /// Entities that did not validate (logged and skipped; the feed moves on).
    pub invalid: u64,
}

/// An order management system as the device's syncer sees it.
pub trait OmsClient: Send + Sync + 'static {
    /// Changes after `cursor` (empty: from the beginning), at most `limit`.
    fn pull(
        &self,
        cursor: &str,
        limit: u32,
    ) -> impl Future<Output = Result<PullPage, SyncError>> + Send;

    /// Uploads commands in order; one settlement per command the OMS answered.
    fn push(
        &self,
        commands: &[PendingCommand],
    ) -> impl Future<Output = Result<Vec<Settlement>, SyncError>> + Send;

    /// Who the OMS takes this device to be, and its scope.
    fn device(&self) -> impl Future<Output = Result<DeviceInfo, SyncError>> + Send;

    /// Where the OMS is, for people (`sync status`).
    fn endpoint(&self) -> String;
}

/// Settings of the HTTP client.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub base_url: String,
    pub token: String,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub max_response_bytes: u64,
    /// Extra trusted root certificate (PEM), e.g. for a private OMS.
    pub ca_pem: Option<Vec<u8>>,
}

/// The reference OMS API over HTTP(S).
#[derive(Debug, Clone)]
pub struct HttpOmsClient {
    http: reqwest::Client,
    base: reqwest::Url,
    token: String,
    max_bytes: u64,
}

impl HttpOmsClient {
    pub fn new(s: &HttpSettings) -> Result<HttpOmsClient, SyncError> {
        let base = reqwest::Url::parse(s.base_url.trim_end_matches('/'))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| SyncError::BadUrl {
                url: s.base_url.clone(),
            })?;
        if s.token.trim().is_empty() {
            return Err(SyncError::NoToken);
        }
        let (scheme, host, port) = (
            base.scheme().to_string(),
            base.host_str().map(str::to_string),
            base.port_or_known_default(),
        );
        // A redirect may move within the OMS, never to another host or down to http:
        // the bearer token must not leave for somewhere else.
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            let u = attempt.url();
            if attempt.previous().len() >= 5 {
                attempt.error("too many redirects")
            } else if u.scheme() == scheme
                && u.host_str() == host.as_deref()
                && u.port_or_known_default() == port
            {
                attempt.follow()
            } else {
                let to = format!("{}://{}", u.scheme(), u.host_str().unwrap_or("?"));
                attempt.error(format!("redirect to another host ({to}) refused"))
            }
        });
        let mut builder = reqwest::Client::builder()
            .redirect(policy)
            .connect_timeout(s.connect_timeout)
            .timeout(s.request_timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("voxorder/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = &s.ca_pem {
            let cert = reqwest::Certificate::from_pem(pem).map_err(SyncError::CaCertificate)?;
            builder = builder.add_root_certificate(cert);
        }
        let http = builder.build().map_err(SyncError::HttpClient)?;
        Ok(HttpOmsClient {
            http,
            base,
            token: s.token.trim().to_string(),
            max_bytes: s.max_response_bytes,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.as_str().trim_end_matches('/'))
    }

    /// Sends the request and reads the whole answer, refusing more than the cap.
    async fn send(&self, req: reqwest::RequestBuilder, url: &str) -> Result<Vec<u8>, SyncError> {
        let mut resp = req
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| SyncError::from_reqwest(url, &e))?;
        let status = resp.status();
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(SyncError::Unauthorized {
                url: url.to_string(),
            });
        }
        if status.is_redirection() {
            return Err(SyncError::Redirect {
                url: url.to_string(),
                detail: format!("{status} without a usable location"),
            });
        }
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        if let Some(len) = resp.content_length() {
            if len > self.max_bytes {
                return Err(SyncError::TooLarge {
                    url: url.to_string(),
                    limit: self.max_bytes,
                });
            }
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| SyncError::from_reqwest(url, &e))?
        {
            if (body.len() + chunk.len()) as u64 > self.max_bytes {
                return Err(SyncError::TooLarge {
                    url: url.to_string(),
                    limit: self.max_bytes,
                });
            }
            body.extend_from_slice(&chunk);
        }
        if status == reqwest::StatusCode::FORBIDDEN || status == reqwest::StatusCode::CONFLICT {
            // A refusal that names commands is theirs; a 403 that names none is the
            // token's (from anything in front of the OMS too).
            if let Some(b) = serde_json::from_slice::<voxorder_domain::wire::ErrorBody>(&body)
                .ok()
                .filter(|b| !b.idempotency_keys.is_empty())
            {
                return Err(SyncError::CommandsRefused {
                    url: url.to_string(),
                    status: status.as_u16(),
                    message: b.error,
                    keys: b.idempotency_keys,
                });
            }
            if status == reqwest::StatusCode::FORBIDDEN {
                return Err(SyncError::Unauthorized {
                    url: url.to_string(),
                });
            }
        }
        if let (reqwest::StatusCode::SERVICE_UNAVAILABLE, Some(retry_after)) = (status, retry_after)
        {
            return Err(SyncError::Busy {
                url: url.to_string(),
                retry_after,
            });
        }
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(SyncError::Server {
                url: url.to_string(),
                status: status.as_u16(),
            });
        }
        if !status.is_success() {
            let message = serde_json::from_slice::<voxorder_domain::wire::ErrorBody>(&body)
                .map(|b| b.error)
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).chars().take(200).collect());
            return Err(SyncError::Refused {
                url: url.to_string(),
                status: status.as_u16(),
                message,
            });
        }
        Ok(body)
    }
}

fn bad(url: &str, detail: impl Into<String>) -> SyncError {
    SyncError::BadResponse {
        url: url.to_string(),
        detail: detail.into(),
    }
}

/// Checks the `schema_version` before the rest of the body is trusted.
fn check_schema(url: &str, body: &[u8]) -> Result<(), SyncError> {
    #[derive(serde::Deserialize)]
    struct Head {
        schema_version: u32,
    }
    match serde_json::from_slice::<Head>(body) {
        Ok(h) if h.schema_version == SCHEMA_VERSION => Ok(()),
        Ok(h) => Err(SyncError::UnknownSchema {
            url: url.to_string(),
            found: h.schema_version,
        }),
        Err(e) => Err(bad(url, describe_json_error(&e))),
    }
}

fn describe_json_error(e: &serde_json::Error) -> String {
    if e.is_eof() {
        format!("the answer is cut short ({e})")
    } else {
        format!("the answer is not the expected JSON ({e})")
    }
}

impl OmsClient for HttpOmsClient {
    async fn pull(&self, cursor: &str, limit: u32) -> Result<PullPage, SyncError> {
        let url = self.url("/v1/changes");
        let req = self
            .http
            .get(&url)
            .query(&[("cursor", cursor), ("limit", &limit.to_string())]);
        let body = self.send(req, &url).await?;
        check_schema(&url, &body)?;
        let page: ChangePage =
            serde_json::from_slice(&body).map_err(|e| bad(&url, describe_json_error(&e)))?;
        if page.has_more && page.next_cursor == cursor {
            return Err(bad(
                &url,
                "the feed says there is more but its cursor did not move",
            ));
        }
        let mut out = PullPage {
            next_cursor: page.next_cursor,
            has_more: page.has_more,
            ..PullPage::default()
        };
        for item in page.changes {
            if let Err(reason) = decode_item(&item.kind, &item.id, &item.data, &mut out.pulled) {
                tracing::warn!(
                    kind = %item.kind,
                    id = %Masked(Kind::OrderNumber, &item.id),
                    reason = %Masked(Kind::Text, &reason),
                    "OMS entity skipped"
                );
                out.invalid += 1;
            }
        }
        Ok(out)
    }

    async fn device(&self) -> Result<DeviceInfo, SyncError> {
        let url = self.url("/v1/device");
        let body = self.send(self.http.get(&url), &url).await?;
        check_schema(&url, &body)?;
        serde_json::from_slice(&body).map_err(|e| bad(&url, describe_json_error(&e)))
    }

    fn endpoint(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_string()
    }

    async fn push(&self, commands: &[PendingCommand]) -> Result<Vec<Settlement>, SyncError> {
        let url = self.url("/v1/commands");
        let mut wire = Vec::with_capacity(commands.len());
        for c in commands {
            wire.push(CommandIn {
                idempotency_key: c.idempotency_key.clone(),
                kind: c.kind.clone(),
                order_number: c.order_number.clone(),
                base_version: c.base_version,
                payload: RawValue::from_string(c.payload.clone()).map_err(|e| {
                    SyncError::BadCommand {
                        id: c.id,
                        detail: e.to_string(),
                    }
                })?,
                created_at: voxorder_domain::order::format_datetime(c.created_at),
            });
        }
        let body = serde_json::to_vec(&PushRequest { commands: wire })
            .map_err(|e| bad(&url, format!("cannot encode the batch: {e}")))?;
        let req = self
            .http
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        let answer = self.send(req, &url).await?;
        check_schema(&url, &answer)?;
        let resp: PushResponse =
            serde_json::from_slice(&answer).map_err(|e| bad(&url, describe_json_error(&e)))?;
        let mut out = Vec::with_capacity(resp.results.len());
        for r in resp.results {
            let order = match r.order {
                Some(rec) => Some(rec.validate().map_err(|e| {
                    bad(
                        &url,
                        format!("order in the answer for {}: {e}", r.idempotency_key),
                    )
                })?),
                None => None,
            };
            let outcome = match r.outcome {
                CommandOutcome::Applied => Outcome::Applied,
                CommandOutcome::Duplicate => Outcome::Duplicate,
                CommandOutcome::Rejected => Outcome::Rejected {
                    reason: r.reason.unwrap_or_else(|| "rejected".into()),
                    detail: r.detail.unwrap_or_default(),
                },
            };
            out.push(Settlement {
                idempotency_key: r.idempotency_key,
                outcome,
                order,
            });
        }
        Ok(out)
    }
}

/// Adds one feed entity to the page; an error says why it was skipped.
fn decode_item(kind: &str, id: &str, data: &RawValue, pulled: &mut Pulled) -> Result<(), String> {
    match kind {
        KIND_ORDER => {
            let rec: OrderRecord = serde_json::from_str(data.get()).map_err(|e| e.to_string())?;
            pulled
                .orders
                .push(rec.validate().map_err(|e| e.to_string())?);
        }
        KIND_PRODUCT => {
            let p: Product = serde_json::from_str(data.get()).map_err(|e| e.to_string())?;
            pulled.products.push(p);
        }
        KIND_DOCUMENT => {
            let d: Document = serde_json::from_str(data.get()).map_err(|e| e.to_string())?;
            pulled.documents.push(d);
        }
        KIND_POLICY => {
            // The id is the policy key; the value is any JSON.
            let v: serde_json::Value =
                serde_json::from_str(data.get()).map_err(|e| e.to_string())?;
            pulled.policies.push((id.to_string(), v));
        }
        // A newer OMS may send kinds this device does not know: not an error.
        other => tracing::debug!(kind = other, "unknown entity kind ignored"),
    }
    Ok(())
}

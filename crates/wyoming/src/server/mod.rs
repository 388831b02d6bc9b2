//! The TCP server: accepting connections under a cap, one task per connection with its
//! own state ([`connection`]), the configured limits, and graceful shutdown.

mod connection;
mod info;
mod sentences;

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

use crate::protocol::{write_event, Error as ErrorEvent, EventData, Info, Limits};
use crate::service::{Asr, Conversation, Tts, Wake};

/// How long a refused client gets to read why.
const REFUSAL_TIME: Duration = Duration::from_secs(1);

/// Limits and timeouts. Every field must be above zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Header, data and payload sizes a client may send.
    pub limits: Limits,
    /// Connections open at once; one more is answered `busy` and closed.
    pub max_connections: usize,
    /// Longest wait for the next event from a client (or for it to take our next event)
    /// before the connection is closed.
    pub idle_timeout: Duration,
    /// Longest time from the event that opens a request (`transcribe`, `audio-start` for
    /// recognition, `synthesize`, `synthesize-start`, a conversation `transcript`) to its
    /// answer, upload and service work included. Wake word streams are open-ended and
    /// have no such bound.
    pub request_timeout: Duration,
    /// Most audio one recognition request may carry, counted at the format the client
    /// declared.
    pub max_asr_audio: Duration,
    /// Samples per `audio-chunk` the server sends while speaking.
    pub tts_samples_per_chunk: usize,
    /// Advertise and serve streamed synthesis (`synthesize-start`/`-chunk`/`-stop`);
    /// Home Assistant then always streams, and hears each sentence as soon as it is done.
    pub tts_streaming: bool,
    /// How long a shutdown lets requests under way finish before cutting them off.
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            max_connections: 16,
            idle_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            max_asr_audio: Duration::from_secs(30),
            tts_samples_per_chunk: 1024,
            tts_streaming: true,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

impl ServerConfig {
    fn validate(&self) -> Result<(), ServerError> {
        let zero = [
            ("limits.max_header_bytes", self.limits.max_header_bytes == 0),
            ("limits.max_data_bytes", self.limits.max_data_bytes == 0),
            (
                "limits.max_payload_bytes",
                self.limits.max_payload_bytes == 0,
            ),
            ("max_connections", self.max_connections == 0),
            ("idle_timeout", self.idle_timeout.is_zero()),
            ("request_timeout", self.request_timeout.is_zero()),
            ("max_asr_audio", self.max_asr_audio.is_zero()),
            ("tts_samples_per_chunk", self.tts_samples_per_chunk == 0),
            ("shutdown_grace", self.shutdown_grace.is_zero()),
        ];
        match zero.iter().find(|(_, is_zero)| *is_zero) {
            Some((field, _)) => Err(ServerError::InvalidConfig { field }),
            None => Ok(()),
        }
    }
}

/// The services one server offers; at least one must be present.
#[derive(Clone, Default)]
pub struct Services {
    pub asr: Option<Arc<dyn Asr>>,
    pub tts: Option<Arc<dyn Tts>>,
    pub conversation: Option<Arc<dyn Conversation>>,
    pub wake: Option<Arc<dyn Wake>>,
}

impl fmt::Debug for Services {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Services")
            .field("asr", &self.asr.is_some())
            .field("tts", &self.tts.is_some())
            .field("conversation", &self.conversation.is_some())
            .field("wake", &self.wake.is_some())
            .finish()
    }
}

impl Services {
    pub fn with_asr(mut self, asr: Arc<dyn Asr>) -> Self {
        self.asr = Some(asr);
        self
    }

    pub fn with_tts(mut self, tts: Arc<dyn Tts>) -> Self {
        self.tts = Some(tts);
        self
    }

    pub fn with_conversation(mut self, conversation: Arc<dyn Conversation>) -> Self {
        self.conversation = Some(conversation);
        self
    }

    pub fn with_wake(mut self, wake: Arc<dyn Wake>) -> Self {
        self.wake = Some(wake);
        self
    }

    fn is_empty(&self) -> bool {
        self.asr.is_none()
            && self.tts.is_none()
            && self.conversation.is_none()
            && self.wake.is_none()
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    #[error("invalid server configuration: {field} must be above zero")]
    InvalidConfig { field: &'static str },
    #[error("no service to offer: give at least one of asr, tts, conversation or wake")]
    NoServices,
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: io::Error,
    },
    #[error("cannot read the listening address: {source}")]
    LocalAddr {
        #[source]
        source: io::Error,
    },
}

/// What every connection shares.
struct Shared {
    config: ServerConfig,
    services: Services,
}

/// How many connections are open right now.
#[derive(Debug, Clone, Default)]
pub struct ConnectionGauge(Arc<AtomicUsize>);

impl ConnectionGauge {
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    fn enter(&self) -> GaugeGuard {
        self.0.fetch_add(1, Ordering::SeqCst);
        GaugeGuard(self.clone())
    }
}

struct GaugeGuard(ConnectionGauge);

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0 .0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A bound Wyoming server; [`Server::serve`] runs it.
pub struct Server {
    listener: TcpListener,
    shared: Arc<Shared>,
    gauge: ConnectionGauge,
}

impl Server {
    pub async fn bind(
        addr: impl ToSocketAddrs + fmt::Display,
        config: ServerConfig,
        services: Services,
    ) -> Result<Self, ServerError> {
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| ServerError::Bind {
                addr: addr.to_string(),
                source,
            })?;
        Self::from_listener(listener, config, services)
    }

    pub fn from_listener(
        listener: TcpListener,
        config: ServerConfig,
        services: Services,
    ) -> Result<Self, ServerError> {
        config.validate()?;
        if services.is_empty() {
            return Err(ServerError::NoServices);
        }
        Ok(Self {
            listener,
            shared: Arc::new(Shared { config, services }),
            gauge: ConnectionGauge::default(),
        })
    }

    pub fn local_addr(&self) -> Result<SocketAddr, ServerError> {
        self.listener
            .local_addr()
            .map_err(|source| ServerError::LocalAddr { source })
    }

    /// The `info` this server answers to `describe`.
    pub fn info(&self) -> Info {
        info::build(&self.shared.services, &self.shared.config)
    }

    pub fn connections(&self) -> ConnectionGauge {
        self.gauge.clone()
    }

    /// Serves until `shutdown` completes, then stops accepting, closes idle connections
    /// at once and gives requests under way [`ServerConfig::shutdown_grace`] to finish.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> Result<(), ServerError> {
        let Self {
            listener,
            shared,
            gauge,
        } = self;
        let permits = Arc::new(Semaphore::new(shared.config.max_connections));
        // Turning clients away takes a moment each; a flood of them is dropped unanswered.
        let refusals = Arc::new(Semaphore::new(shared.config.max_connections));
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        tokio::pin!(shutdown);
        if let Ok(addr) = listener.local_addr() {
            info!(%addr, "wyoming server listening");
        }
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => {
                    let (stream, peer) = match accepted {
                        Ok(accepted) => accepted,
                        Err(error) => {
                            // Out of descriptors and the like pass; a hot loop would not help.
                            warn!(%error, "accepting a connection failed");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            continue;
                        }
                    };
                    match Arc::clone(&permits).try_acquire_owned() {
                        Ok(permit) => {
                            let shared = Arc::clone(&shared);
                            let stop = stop_rx.clone();
                            let guard = gauge.enter();
                            tasks.spawn(async move {
                                connection::run(stream, peer, shared, stop).await;
                                drop((permit, guard));
                            });
                        }
                        Err(_) => match Arc::clone(&refusals).try_acquire_owned() {
                            Ok(permit) => {
                                tasks.spawn(async move {
                                    refuse(stream, peer).await;
                                    drop(permit);
                                });
                            }
                            Err(_) => debug!(%peer, "dropped: too many connections"),
                        },
                    }
                }
                Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                    if let Err(error) = joined {
                        warn!(%error, "a connection task failed");
                    }
                }
            }
        }
        drop(listener);
        let _ = stop_tx.send(true);
        let open = tasks.len();
        if open > 0 {
            debug!(open, "waiting for connections to finish");
        }
        let drained = tokio::time::timeout(shared.config.shutdown_grace, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            warn!(
                left = tasks.len(),
                "connections still busy after the shutdown grace; cutting them off"
            );
            tasks.shutdown().await;
        }
        info!("wyoming server stopped");
        Ok(())
    }
}

/// Tells a client over the connection cap why it is turned away, then waits briefly for
/// it to hang up: closing with its request still unread would reset the connection and
/// could destroy the answer before the client reads it.
async fn refuse(mut stream: TcpStream, peer: SocketAddr) {
    warn!(%peer, "connection refused: too many connections");
    let busy = ErrorEvent {
        text: "too many connections; try again later".into(),
        code: Some("busy".into()),
    };
    let _ = tokio::time::timeout(REFUSAL_TIME, async {
        write_event(&mut stream, &busy.to_event()).await.ok()?;
        stream.shutdown().await.ok()?;
        let mut sink = [0u8; 1024];
        while stream.read(&mut sink).await.ok()? > 0 {}
        Some(())
    })
    .await;
}

//! Helpers for the server tests: a server on 127.0.0.1 with the fakes, and a raw client
//! speaking the protocol through the crate's own reader and writer. Every wait is bounded.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use voxorder_wyoming::fake::{FakeAsr, FakeConversation, FakeTts, FakeWake};
use voxorder_wyoming::protocol::{
    write_event, AudioChunk, AudioFormat, Error, Event, EventData, EventReader, Limits,
};
use voxorder_wyoming::{ConnectionGauge, Server, ServerConfig, ServerError, Services};

/// Longest any single step of a test may wait.
pub const STEP: Duration = Duration::from_secs(5);

pub const HA_FORMAT: AudioFormat = AudioFormat::new(16000, 2, 1);

pub fn pcm(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// 10 ms chunks, as Home Assistant sends them.
pub fn chunks(audio: &[u8]) -> Vec<AudioChunk> {
    audio
        .chunks(320)
        .map(|part| AudioChunk {
            format: HA_FORMAT,
            timestamp: None,
            audio: part.to_vec(),
        })
        .collect()
}

/// Short timeouts so the tests that wait for them stay fast.
pub fn quick_config() -> ServerConfig {
    ServerConfig {
        idle_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(3),
        shutdown_grace: Duration::from_secs(2),
        ..ServerConfig::default()
    }
}

pub struct Fakes {
    pub asr: Arc<FakeAsr>,
    pub tts: Arc<FakeTts>,
    pub agent: Arc<FakeConversation>,
    pub wake: Arc<FakeWake>,
}

impl Fakes {
    pub fn new() -> Self {
        Self::with(FakeAsr::new(), FakeTts::new())
    }

    pub fn with(asr: FakeAsr, tts: FakeTts) -> Self {
        Self {
            asr: Arc::new(asr),
            tts: Arc::new(tts),
            agent: Arc::new(FakeConversation::new()),
            wake: Arc::new(FakeWake::new()),
        }
    }

    pub fn services(&self) -> Services {
        Services::default()
            .with_asr(self.asr.clone())
            .with_tts(self.tts.clone())
            .with_conversation(self.agent.clone())
            .with_wake(self.wake.clone())
    }
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub connections: ConnectionGauge,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ServerError>>,
}

impl TestServer {
    pub async fn start(config: ServerConfig, services: Services) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let server = Server::from_listener(listener, config, services).expect("valid");
        let addr = server.local_addr().expect("address");
        let connections = server.connections();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            connections,
            stop: Some(stop),
            task,
        }
    }

    pub async fn client(&self) -> Client {
        Client::connect(self.addr).await
    }

    /// Waits until exactly `n` connections are open.
    pub async fn wait_connections(&self, n: usize) {
        let until = Instant::now() + STEP;
        while self.connections.get() != n {
            assert!(
                Instant::now() < until,
                "{} connections open, expected {n}",
                self.connections.get()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops the server and returns how long it took to stop.
    pub async fn stop(mut self) -> Duration {
        let started = Instant::now();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(STEP, &mut self.task)
            .await
            .expect("stops in time")
            .expect("joins")
            .expect("serves cleanly");
        started.elapsed()
    }
}

pub struct Client {
    reader: EventReader<BufReader<OwnedReadHalf>>,
    writer: OwnedWriteHalf,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connects");
        stream.set_nodelay(true).expect("nodelay");
        let (read, write) = stream.into_split();
        Self {
            reader: EventReader::new(BufReader::new(read), Limits::default()),
            writer: write,
        }
    }

    pub async fn send<T: EventData>(&mut self, data: &T) {
        self.send_event(&data.to_event()).await;
    }

    pub async fn send_event(&mut self, event: &Event) {
        write_event(&mut self.writer, event).await.expect("writes");
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.expect("writes");
    }

    /// The next event, or `None` once the server has closed the connection.
    pub async fn recv(&mut self) -> Option<Event> {
        match tokio::time::timeout(STEP, self.reader.read_event()).await {
            Ok(Ok(event)) => event,
            // A reset after the server closed with our bytes unread is a close too.
            Ok(Err(_)) => None,
            Err(_) => panic!("no event from the server within {STEP:?}"),
        }
    }

    pub async fn expect<T: EventData>(&mut self) -> T {
        let event = self.recv().await.expect("an event, not a close");
        if Error::is_type(&event.event_type) {
            let error = Error::from_event(&event).expect("error data");
            panic!("expected {}, got error {error:?}", T::TYPE);
        }
        T::from_event(&event).unwrap_or_else(|e| panic!("expected {}: {e}", T::TYPE))
    }

    pub async fn expect_error(&mut self, code: &str) -> Error {
        let event = self.recv().await.expect("an error event, not a close");
        let error = Error::from_event(&event)
            .unwrap_or_else(|_| panic!("expected error {code}, got {event:?}"));
        assert_eq!(error.code.as_deref(), Some(code), "{error:?}");
        error
    }

    pub async fn expect_closed(&mut self) {
        if let Some(event) = self.recv().await {
            panic!("expected the connection to close, got {event:?}");
        }
    }

    /// Shows the connection is still served: a describe is answered with info.
    pub async fn expect_alive(&mut self) {
        self.send_event(&Event::new("describe")).await;
        let event = self.recv().await.expect("info, not a close");
        assert_eq!(event.event_type, "info", "{event:?}");
    }
}

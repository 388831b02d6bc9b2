//! How much of the OMS one client may hold, and for how long: the request size, the time
//! a request may take to arrive, the connections open in all and per device, and how
//! long an answer may wait for a client that stopped reading. A client over a limit is
//! answered (413, 408, 503 with `Retry-After`) or dropped, never waited for; the rest
//! of the server keeps answering.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Default largest request body (a batch of commands).
pub const DEFAULT_MAX_BODY: usize = 16 << 20;
/// Default time for a request's head (and a TLS handshake) to arrive; an idle
/// keep-alive connection is closed after it too. Short, because a connection that has
/// not said who it is holds a place of the total cap until then.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// Default time for a request's body to arrive once its head has.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(20);
/// Default number of connections served at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// Default number of connections one device may hold.
pub const DEFAULT_MAX_CONNECTIONS_PER_DEVICE: usize = 4;
/// Default number of connections one peer address may hold, counted from the moment
/// it connects, before any token is read: a device syncs over one connection at a time,
/// so this leaves room for a shop's devices behind one NAT address, while one address
/// alone can no longer fill the total cap. 0 turns the cap off (behind a load balancer,
/// where every connection comes from the balancer's address).
pub const DEFAULT_MAX_CONNECTIONS_PER_PEER: usize = 32;
/// Default `Retry-After` of a 503 for a client over a cap.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(5);

/// The limits `oms serve` enforces (`--max-body-mb`, `--header-timeout-secs`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub header_timeout: Duration,
    /// Also how long an answer may stall on a client that does not read it.
    pub body_timeout: Duration,
    pub max_connections: usize,
    pub max_connections_per_device: usize,
    /// Connections one peer IP address may hold at once; 0: no per-peer cap.
    pub max_connections_per_peer: usize,
    pub retry_after: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: DEFAULT_MAX_BODY,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_device: DEFAULT_MAX_CONNECTIONS_PER_DEVICE,
            max_connections_per_peer: DEFAULT_MAX_CONNECTIONS_PER_PEER,
            retry_after: DEFAULT_RETRY_AFTER,
        }
    }
}

/// Open connections per peer IP address, counted from accept, before anything is read:
/// the only thing known of a client that has not authenticated.
#[derive(Debug)]
pub struct PeerConnections {
    cap: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One connection counted for a peer; dropping it gives the place back.
#[derive(Debug)]
pub struct PeerSlot {
    owner: Arc<PeerConnections>,
    peer: IpAddr,
}

impl PeerConnections {
    /// `cap` 0: every peer may hold any number (the total cap still holds).
    pub fn new(cap: usize) -> Arc<PeerConnections> {
        Arc::new(PeerConnections {
            cap,
            open: Mutex::new(HashMap::new()),
        })
    }

    fn open(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A place for one more connection from `peer`, if it holds fewer than the cap
    /// (`Some(None)` when there is no cap to count against).
    pub fn take(self: &Arc<Self>, peer: IpAddr) -> Option<Option<PeerSlot>> {
        if self.cap == 0 {
            return Some(None);
        }
        let mut open = self.open();
        let n = open.entry(peer).or_default();
        if *n >= self.cap {
            return None;
        }
        *n += 1;
        Some(Some(PeerSlot {
            owner: self.clone(),
            peer,
        }))
    }

    /// How many connections `peer` holds.
    pub fn count(&self, peer: IpAddr) -> usize {
        self.open().get(&peer).copied().unwrap_or(0)
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let mut open = self.owner.open();
        if let Some(n) = open.get_mut(&self.peer) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.peer);
            }
        }
    }
}

/// Open connections per device. A connection counts for a device from its first
/// request with that device's token until it closes, so a device cannot hold more than
/// its share however slowly it sends.
#[derive(Debug)]
pub struct DeviceConnections {
    cap: usize,
    open: Mutex<HashMap<String, usize>>,
}

/// One connection counted for a device; dropping it gives the place back.
#[derive(Debug)]
pub struct DeviceSlot {
    owner: Arc<DeviceConnections>,
    device: String,
}

impl DeviceConnections {
    pub fn new(cap: usize) -> Arc<DeviceConnections> {
        Arc::new(DeviceConnections {
            cap,
            open: Mutex::new(HashMap::new()),
        })
    }

    fn open(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A place for one more connection of `device`, if it has fewer than the cap.
    pub fn take(self: &Arc<Self>, device: &str) -> Option<DeviceSlot> {
        let mut open = self.open();
        let n = open.entry(device.to_string()).or_default();
        if *n >= self.cap {
            return None;
        }
        *n += 1;
        Some(DeviceSlot {
            owner: self.clone(),
            device: device.to_string(),
        })
    }

    /// How many connections `device` holds.
    pub fn count(&self, device: &str) -> usize {
        self.open().get(device).copied().unwrap_or(0)
    }
}

impl DeviceSlot {
    pub fn device(&self) -> &str {
        &self.device
    }
}

impl Drop for DeviceSlot {
    fn drop(&mut self) {
        let mut open = self.owner.open();
        if let Some(n) = open.get_mut(&self.device) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.device);
            }
        }
    }
}

/// The device a connection counts for, shared by the connection and its requests.
pub type ConnectionOwner = Arc<Mutex<Option<DeviceSlot>>>;

/// A connection whose writes must make progress: an answer the client stops reading
/// for `limit` fails the connection instead of holding it, and its places, forever.
#[derive(Debug)]
pub struct WriteStall<S> {
    inner: S,
    limit: Duration,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> WriteStall<S> {
    pub fn new(inner: S, limit: Duration) -> WriteStall<S> {
        WriteStall {
            inner,
            limit,
            timer: None,
        }
    }

    /// The inner stream could not take more: waits for it, up to the limit.
    fn stalled<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let limit = self.limit;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.timer = None;
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client stopped reading its answer",
                )))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn progressed<T>(&mut self, r: io::Result<T>) -> Poll<io::Result<T>> {
        self.timer = None;
        Poll::Ready(r)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteStall<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteStall<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(r) => this.progressed(r),
            Poll::Pending => this.stalled(cx),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(r) => this.progressed(r),
            Poll::Pending => this.stalled(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Ready(r) => this.progressed(r),
            Poll::Pending => this.stalled(cx),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_shutdown(cx) {
            Poll::Ready(r) => this.progressed(r),
            Poll::Pending => this.stalled(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn a_device_holds_at_most_its_cap_and_a_closed_connection_frees_a_place() {
        let conns = DeviceConnections::new(2);
        let a = conns.take("kiosk-1").unwrap();
        let _b = conns.take("kiosk-1").unwrap();
        assert!(conns.take("kiosk-1").is_none());
        let _other = conns
            .take("kiosk-2")
            .expect("another device has its own places");
        drop(a);
        assert_eq!(conns.count("kiosk-1"), 1);
        assert!(conns.take("kiosk-1").is_some());
    }

    #[test]
    fn a_peer_holds_at_most_its_cap_and_a_cap_of_zero_is_none() {
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        let peers = PeerConnections::new(2);
        let first = peers.take(a).unwrap();
        let _second = peers.take(a).unwrap();
        assert!(peers.take(a).is_none());
        assert!(peers.take(b).is_some(), "another peer has its own places");
        drop(first);
        assert_eq!(peers.count(a), 1);
        let off = PeerConnections::new(0);
        assert!((0..1000).all(|_| matches!(off.take(a), Some(None))));
    }

    #[tokio::test]
    async fn an_answer_nobody_reads_fails_after_the_limit() {
        let (_client, server) = tokio::io::duplex(64);
        let mut out = WriteStall::new(server, Duration::from_millis(100));
        let start = std::time::Instant::now();
        let err = out.write_all(&[b'x'; 4096]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_reader_that_keeps_up_is_never_cut_off() {
        // 1 KB through a 64-byte pipe read every 20 ms takes well over the limit in all.
        let (mut reader, writer) = tokio::io::duplex(64);
        let mut writer = WriteStall::new(writer, Duration::from_millis(100));
        let read = tokio::spawn(async move {
            let mut got = 0;
            let mut buf = [0u8; 64];
            loop {
                tokio::time::sleep(Duration::from_millis(20)).await;
                match reader.read(&mut buf).await {
                    Ok(0) | Err(_) => return got,
                    Ok(n) => got += n,
                }
            }
        });
        let start = std::time::Instant::now();
        writer
            .write_all(&[b'y'; 1024])
            .await
            .expect("a steady reader");
        writer.shutdown().await.expect("shutdown");
        drop(writer);
        assert_eq!(read.await.unwrap(), 1024);
        assert!(start.elapsed() > Duration::from_millis(100));
    }
}

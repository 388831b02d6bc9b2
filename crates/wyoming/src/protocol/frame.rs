//! The wire framing: an event is one JSON header line, then an optional JSON data block,
//! then an optional binary payload, with nothing in between or after. Owns [`Event`], the
//! bounded, cancel-safe [`EventReader`], [`write_event`] and [`ProtocolError`].

use std::fmt;
use std::io;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

/// The protocol version written in every header. The Python library writes its package
/// version there and every reader ignores it; this is the release whose behaviour this
/// crate follows (the one Home Assistant 2026.11 pins).
pub const PROTOCOL_VERSION: &str = "1.10.2";

/// One event as it travels: its type, its data object and its payload (empty when none).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Event {
    pub event_type: String,
    pub data: Map<String, Value>,
    pub payload: Vec<u8>,
}

impl Event {
    pub fn new(event_type: impl Into<String>) -> Self {
        Self {
            event_type: event_type.into(),
            ..Self::default()
        }
    }

    pub fn with_data(event_type: impl Into<String>, data: Map<String, Value>) -> Self {
        Self {
            event_type: event_type.into(),
            data,
            payload: Vec::new(),
        }
    }

    pub fn with_payload(mut self, payload: Vec<u8>) -> Self {
        self.payload = payload;
        self
    }

    /// The exact bytes of this event, as the Python writer lays them out: the data always
    /// goes in the data block (never inline in the header, where a reader's line limit
    /// could cut it), `data_length` counts UTF-8 bytes, and an empty data object or payload
    /// leaves its length out of the header.
    pub fn encode(&self) -> Vec<u8> {
        let data = if self.data.is_empty() {
            Vec::new()
        } else {
            serde_json::to_vec(&self.data).expect("a JSON object always serialises")
        };
        let header = OutHeader {
            event_type: &self.event_type,
            version: PROTOCOL_VERSION,
            data_length: (!data.is_empty()).then_some(data.len()),
            payload_length: (!self.payload.is_empty()).then_some(self.payload.len()),
        };
        let mut bytes = serde_json::to_vec(&header).expect("a header always serialises");
        bytes.reserve(1 + data.len() + self.payload.len());
        bytes.push(b'\n');
        bytes.extend_from_slice(&data);
        bytes.extend_from_slice(&self.payload);
        bytes
    }
}

#[derive(Serialize)]
struct OutHeader<'a> {
    #[serde(rename = "type")]
    event_type: &'a str,
    version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload_length: Option<usize>,
}

/// Hard limits on what a peer may make the reader hold. Every length is checked against
/// its limit before anything is buffered for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest header line, newline included. Python's asyncio reader gives up at 64 KiB.
    pub max_header_bytes: usize,
    /// Largest data block (`data_length`).
    pub max_data_bytes: usize,
    /// Largest payload (`payload_length`), e.g. one audio chunk.
    pub max_payload_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_header_bytes: 64 * 1024,
            max_data_bytes: 1024 * 1024,
            max_payload_bytes: 1024 * 1024,
        }
    }
}

/// Which part of an event a truncated stream stopped in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventPart {
    Header,
    Data,
    Payload,
}

impl fmt::Display for EventPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Header => "header",
            Self::Data => "data block",
            Self::Payload => "payload",
        })
    }
}

/// What can go wrong reading, writing or decoding events. After any read error the byte
/// stream is out of step with the event boundaries, so the only safe move is to close it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    #[error("the stream ended inside an event's {part}")]
    Truncated { part: EventPart },
    #[error("header line longer than the limit of {limit} bytes")]
    HeaderTooLong { limit: usize },
    #[error("header is not a JSON object with a string \"type\": {source}")]
    MalformedHeader {
        #[source]
        source: serde_json::Error,
    },
    #[error("the data block of {event_type:?} is {length} bytes, over the limit of {limit}")]
    DataTooLarge {
        event_type: String,
        length: u64,
        limit: usize,
    },
    #[error("the payload of {event_type:?} is {length} bytes, over the limit of {limit}")]
    PayloadTooLarge {
        event_type: String,
        length: u64,
        limit: usize,
    },
    #[error("the data block of {event_type:?} is not a JSON object: {source}")]
    MalformedData {
        event_type: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("expected a {expected:?} event, got {found:?}")]
    UnexpectedType {
        expected: &'static str,
        found: String,
    },
    #[error("the data of {event_type:?} does not fit its schema: {source}")]
    InvalidData {
        event_type: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("I/O error while {action}: {source}")]
    Io {
        action: &'static str,
        #[source]
        source: io::Error,
    },
}

impl ProtocolError {
    /// The `code` sent in an `error` event for this failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Truncated { .. } => "truncated-event",
            Self::HeaderTooLong { .. } => "header-too-long",
            Self::MalformedHeader { .. } => "malformed-header",
            Self::DataTooLarge { .. } => "data-too-large",
            Self::PayloadTooLarge { .. } => "payload-too-large",
            Self::MalformedData { .. } => "malformed-data",
            Self::UnexpectedType { .. } | Self::InvalidData { .. } => "invalid-data",
            Self::Io { .. } => "io",
        }
    }
}

#[derive(Deserialize)]
struct InHeader {
    #[serde(rename = "type")]
    event_type: String,
    #[serde(default)]
    data: Option<Map<String, Value>>,
    // Signed, as Python only reads a block when the length is above zero.
    #[serde(default)]
    data_length: Option<i64>,
    #[serde(default)]
    payload_length: Option<i64>,
}

/// An event whose header has been read and whose data and payload are still arriving.
struct Pending {
    event_type: String,
    inline: Map<String, Value>,
    data_length: usize,
    data: Vec<u8>,
    payload_length: usize,
    payload: Vec<u8>,
}

enum HeaderStep {
    More,
    End,
    Done(Pending),
}

/// Reads events from a buffered byte stream within [`Limits`].
///
/// [`EventReader::read_event`] is cancel-safe: every byte taken from the stream is kept in
/// the reader, so a `select!` may drop the future and call it again without losing data.
pub struct EventReader<R> {
    inner: R,
    limits: Limits,
    line: Vec<u8>,
    pending: Option<Pending>,
}

impl<R: AsyncBufRead + Unpin> EventReader<R> {
    pub fn new(inner: R, limits: Limits) -> Self {
        Self {
            inner,
            limits,
            line: Vec::new(),
            pending: None,
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The underlying stream, e.g. to drain it before closing. Reading from it while an
    /// event is half read puts the reader out of step.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The next event, or `None` when the stream ends cleanly between two events.
    pub async fn read_event(&mut self) -> Result<Option<Event>, ProtocolError> {
        loop {
            let Some(pending) = self.pending.as_mut() else {
                match self.read_header_step().await? {
                    HeaderStep::More => {}
                    HeaderStep::End => return Ok(None),
                    HeaderStep::Done(pending) => self.pending = Some(pending),
                }
                continue;
            };
            if pending.data.len() < pending.data_length {
                let want = pending.data_length - pending.data.len();
                take_into(&mut self.inner, &mut pending.data, want, EventPart::Data).await?;
                continue;
            }
            if pending.payload.len() < pending.payload_length {
                let want = pending.payload_length - pending.payload.len();
                take_into(
                    &mut self.inner,
                    &mut pending.payload,
                    want,
                    EventPart::Payload,
                )
                .await?;
                continue;
            }
            let pending = self.pending.take().expect("checked above");
            return finish(pending).map(Some);
        }
    }

    /// Moves header bytes from the stream into `self.line`, up to and including its
    /// newline, and parses the line once it is complete.
    async fn read_header_step(&mut self) -> Result<HeaderStep, ProtocolError> {
        let limit = self.limits.max_header_bytes;
        let available = self
            .inner
            .fill_buf()
            .await
            .map_err(|source| ProtocolError::Io {
                action: "reading a header",
                source,
            })?;
        if available.is_empty() {
            if self.line.is_empty() {
                return Ok(HeaderStep::End);
            }
            self.line.clear();
            return Err(ProtocolError::Truncated {
                part: EventPart::Header,
            });
        }
        match available.iter().position(|&b| b == b'\n') {
            Some(end) => {
                if self.line.len() + end + 1 > limit {
                    return Err(ProtocolError::HeaderTooLong { limit });
                }
                self.line.extend_from_slice(&available[..end]);
                self.inner.consume(end + 1);
                let line = std::mem::take(&mut self.line);
                self.parse_header(&line).map(HeaderStep::Done)
            }
            None => {
                let n = available.len();
                // The newline is still to come, so a line already at the limit is over it.
                if self.line.len() + n >= limit {
                    return Err(ProtocolError::HeaderTooLong { limit });
                }
                self.line.extend_from_slice(available);
                self.inner.consume(n);
                Ok(HeaderStep::More)
            }
        }
    }

    fn parse_header(&self, line: &[u8]) -> Result<Pending, ProtocolError> {
        let header: InHeader = serde_json::from_slice(line)
            .map_err(|source| ProtocolError::MalformedHeader { source })?;
        let data_length = checked_length(header.data_length);
        if data_length > self.limits.max_data_bytes as u64 {
            return Err(ProtocolError::DataTooLarge {
                event_type: header.event_type,
                length: data_length,
                limit: self.limits.max_data_bytes,
            });
        }
        let payload_length = checked_length(header.payload_length);
        if payload_length > self.limits.max_payload_bytes as u64 {
            return Err(ProtocolError::PayloadTooLarge {
                event_type: header.event_type,
                length: payload_length,
                limit: self.limits.max_payload_bytes,
            });
        }
        Ok(Pending {
            event_type: header.event_type,
            inline: header.data.unwrap_or_default(),
            // Both fit: they were just compared with limits held in a usize.
            data_length: data_length as usize,
            data: Vec::new(),
            payload_length: payload_length as usize,
            payload: Vec::new(),
        })
    }

    /// Resolves when the peer has closed the stream (or it failed) and no unread byte is
    /// waiting; never resolves while bytes wait, since they may be the next request. Used
    /// to notice a client that hangs up while its request is being worked on.
    pub async fn closed(&mut self) {
        match self.inner.fill_buf().await {
            Ok(available) if !available.is_empty() => std::future::pending::<()>().await,
            _ => {}
        }
    }
}

fn checked_length(length: Option<i64>) -> u64 {
    length.map_or(0, |n| n.max(0).unsigned_abs())
}

async fn take_into<R: AsyncBufRead + Unpin>(
    inner: &mut R,
    into: &mut Vec<u8>,
    want: usize,
    part: EventPart,
) -> Result<(), ProtocolError> {
    let available = inner.fill_buf().await.map_err(|source| ProtocolError::Io {
        action: "reading an event body",
        source,
    })?;
    if available.is_empty() {
        return Err(ProtocolError::Truncated { part });
    }
    let n = available.len().min(want);
    into.extend_from_slice(&available[..n]);
    inner.consume(n);
    Ok(())
}

fn finish(pending: Pending) -> Result<Event, ProtocolError> {
    let Pending {
        event_type,
        mut inline,
        data,
        payload,
        ..
    } = pending;
    if !data.is_empty() {
        let block: Map<String, Value> = match serde_json::from_slice(&data) {
            Ok(block) => block,
            Err(source) => return Err(ProtocolError::MalformedData { event_type, source }),
        };
        // Python merges with dict.update: the block wins over inline data.
        inline.extend(block);
    }
    Ok(Event {
        event_type,
        data: inline,
        payload,
    })
}

/// Writes one event and flushes it: audio is latency-bound, so nothing waits in a buffer.
pub async fn write_event<W: AsyncWrite + Unpin + ?Sized>(
    writer: &mut W,
    event: &Event,
) -> Result<(), ProtocolError> {
    let bytes = event.encode();
    writer
        .write_all(&bytes)
        .await
        .map_err(|source| ProtocolError::Io {
            action: "writing an event",
            source,
        })?;
    writer.flush().await.map_err(|source| ProtocolError::Io {
        action: "flushing an event",
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;
    use tokio::io::{AsyncWriteExt, BufReader};

    fn limits() -> Limits {
        Limits::default()
    }

    async fn read_all(bytes: &[u8], limits: Limits) -> Vec<Result<Option<Event>, String>> {
        let mut reader = EventReader::new(BufReader::new(bytes), limits);
        let mut out = Vec::new();
        loop {
            match reader.read_event().await {
                Ok(Some(event)) => out.push(Ok(Some(event))),
                Ok(None) => {
                    out.push(Ok(None));
                    return out;
                }
                Err(e) => {
                    out.push(Err(e.code().to_string()));
                    return out;
                }
            }
        }
    }

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    #[tokio::test]
    async fn reads_the_python_library_bytes() {
        // Byte for byte what wyoming 1.10.2 writes (its separators, its version field).
        let wire: &[u8] = b"{\"type\": \"describe\", \"version\": \"1.10.2\"}\n\
{\"type\": \"audio-chunk\", \"version\": \"1.10.2\", \"data_length\": 61, \"payload_length\": 4}\n\
{\"rate\": 16000, \"width\": 2, \"channels\": 1, \"timestamp\": null}\x01\x00\x02\x00\
{\"type\": \"transcript\", \"version\": \"1.10.2\", \"data_length\": 18}\n{\"text\": \"h\xc3\xa9llo\"}\
{\"type\": \"handled\", \"version\": \"1.10.2\"}\n";
        let events: Vec<Event> = read_all(wire, limits())
            .await
            .into_iter()
            .map_while(|r| r.expect("reads"))
            .collect();
        assert_eq!(events.len(), 4);
        assert_eq!(events[0], Event::new("describe"));
        assert_eq!(events[1].event_type, "audio-chunk");
        assert_eq!(events[1].data["rate"], json!(16000));
        assert_eq!(events[1].data["timestamp"], Value::Null);
        assert_eq!(events[1].payload, vec![1, 0, 2, 0]);
        assert_eq!(events[2].data["text"], json!("héllo"));
        assert_eq!(events[3], Event::new("handled"));
    }

    #[tokio::test]
    async fn writes_lengths_in_bytes_and_nothing_between_events() {
        let event = Event::with_data("transcript", object(json!({"text": "héllo"})))
            .with_payload(vec![9, 9]);
        let bytes = event.encode();
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with(
            "{\"type\":\"transcript\",\"version\":\"1.10.2\",\"data_length\":17,\"payload_length\":2}\n{\"text\":\"héllo\"}"
        ));
        assert!(bytes.ends_with(&[9, 9]));
        // Empty data and payload leave their lengths out.
        assert_eq!(
            Event::new("handled").encode(),
            b"{\"type\":\"handled\",\"version\":\"1.10.2\"}\n"
        );
    }

    #[tokio::test]
    async fn round_trips_many_events_through_a_pipe() {
        let events = vec![
            Event::new("describe"),
            Event::with_data("detect", object(json!({"names": null}))),
            Event::with_data("audio-chunk", object(json!({"rate": 16000})))
                .with_payload((0..=255).collect()),
            Event::with_data("transcript", object(json!({"text": "ü 日本"}))),
        ];
        let (mut tx, rx) = tokio::io::duplex(64);
        let sent = events.clone();
        let writer = tokio::spawn(async move {
            for event in &sent {
                write_event(&mut tx, event).await.expect("writes");
            }
        });
        let mut reader = EventReader::new(BufReader::new(rx), limits());
        for expected in &events {
            assert_eq!(
                reader.read_event().await.expect("reads").as_ref(),
                Some(expected)
            );
        }
        writer.await.expect("writer ran");
        assert_eq!(reader.read_event().await.expect("clean end"), None);
    }

    #[tokio::test]
    async fn merges_inline_data_under_the_block_and_tolerates_crlf() {
        let wire = b"{\"type\":\"transcript\",\"data\":{\"text\":\"inline\",\"language\":\"en\"},\"data_length\":14}\r\n{\"text\":\"blk\"}\
{\"type\":\"audio-stop\"}\n";
        let out = read_all(wire, limits()).await;
        let first = out[0].as_ref().expect("reads").as_ref().expect("event");
        assert_eq!(first.data["text"], json!("blk"));
        assert_eq!(first.data["language"], json!("en"));
        let second = out[1].as_ref().expect("reads").as_ref().expect("event");
        assert_eq!(second, &Event::new("audio-stop"));
        assert_eq!(out[2], Ok(None));
    }

    #[tokio::test]
    async fn header_limit_is_enforced_with_and_without_a_newline() {
        let exact = b"{\"type\":\"x\",\"version\":\"1.2.3\", \"a\":1}\n";
        assert_eq!(exact.len(), 38);
        let small = Limits {
            max_header_bytes: 38,
            ..limits()
        };
        assert!(matches!(read_all(exact, small).await[0], Ok(Some(_))));
        let long = b"{\"type\":\"x\",\"version\":\"1.2.34\", \"a\":1}\n";
        assert_eq!(
            read_all(long, small).await[0],
            Err("header-too-long".into())
        );
        // A line that never ends is refused once it reaches the limit, not buffered on.
        let endless = vec![b' '; 10_000];
        assert_eq!(
            read_all(&endless, small).await[0],
            Err("header-too-long".into())
        );
    }

    #[tokio::test]
    async fn lengths_over_the_limits_are_refused_before_reading_them() {
        let small = Limits {
            max_header_bytes: 1024,
            max_data_bytes: 10,
            max_payload_bytes: 4,
        };
        let big_data = b"{\"type\":\"t\",\"data_length\":11}\n";
        assert_eq!(
            read_all(big_data, small).await[0],
            Err("data-too-large".into())
        );
        let big_payload = b"{\"type\":\"t\",\"payload_length\":5}\n";
        assert_eq!(
            read_all(big_payload, small).await[0],
            Err("payload-too-large".into())
        );
        let huge = b"{\"type\":\"t\",\"payload_length\":18446744073709551615}\n";
        assert_eq!(
            read_all(huge, small).await[0],
            Err("malformed-header".into())
        );
        let at_limit = b"{\"type\":\"t\",\"data_length\":2,\"payload_length\":4}\n{}abcd";
        let out = read_all(at_limit, small).await;
        assert_eq!(
            out[0]
                .as_ref()
                .expect("reads")
                .as_ref()
                .expect("event")
                .payload,
            b"abcd"
        );
        // Python only reads a block for a length above zero.
        let negative = b"{\"type\":\"t\",\"data_length\":-5}\n";
        assert!(matches!(read_all(negative, small).await[0], Ok(Some(_))));
    }

    #[tokio::test]
    async fn malformed_input_gives_typed_errors() {
        for (wire, code) in [
            (&b"not json\n"[..], "malformed-header"),
            (b"\n", "malformed-header"),
            (b"[1,2]\n", "malformed-header"),
            (b"{\"type\":5}\n", "malformed-header"),
            (b"{\"data\":{}}\n", "malformed-header"),
            (b"{\"type\":\"t\",\"data\":[1]}\n", "malformed-header"),
            (b"{\"type\":\"t\",\"data_length\":3}\n[1]", "malformed-data"),
            (
                b"{\"type\":\"t\",\"data_length\":5}\n{\"a\"",
                "truncated-event",
            ),
            (
                b"{\"type\":\"t\",\"payload_length\":5}\nab",
                "truncated-event",
            ),
            (b"{\"type\":\"t\"", "truncated-event"),
        ] {
            let out = read_all(wire, limits()).await;
            assert_eq!(
                out[0],
                Err(code.into()),
                "{:?}",
                String::from_utf8_lossy(wire)
            );
        }
    }

    #[tokio::test]
    async fn reading_survives_being_cancelled_at_any_point() {
        let events = vec![
            Event::with_data("audio-chunk", object(json!({"rate": 16000, "width": 2})))
                .with_payload(vec![7; 300]),
            Event::with_data("transcript", object(json!({"text": "again"}))),
        ];
        let bytes: Vec<u8> = events.iter().flat_map(Event::encode).collect();
        let (mut tx, rx) = tokio::io::duplex(8);
        let writer = tokio::spawn(async move {
            for byte in bytes {
                tx.write_all(&[byte]).await.expect("writes");
                tokio::task::yield_now().await;
            }
        });
        let mut reader = EventReader::new(BufReader::with_capacity(3, rx), limits());
        let mut got = Vec::new();
        let mut cancelled = 0;
        while got.len() < events.len() {
            match tokio::time::timeout(Duration::from_micros(50), reader.read_event()).await {
                Ok(result) => got.push(result.expect("reads").expect("an event")),
                Err(_) => cancelled += 1,
            }
        }
        writer.await.expect("writer ran");
        assert_eq!(got, events);
        assert!(cancelled > 0, "the test never cancelled a read");
    }

    #[tokio::test]
    async fn closed_resolves_only_at_the_end_with_nothing_unread() {
        let (tx, rx) = tokio::io::duplex(64);
        let mut reader = EventReader::new(BufReader::new(rx), limits());
        let waiting = tokio::time::timeout(Duration::from_millis(20), reader.closed()).await;
        assert!(waiting.is_err(), "an open, quiet stream is not closed");
        drop(tx);
        tokio::time::timeout(Duration::from_secs(1), reader.closed())
            .await
            .expect("a hung-up stream is closed");

        let mut pending = EventReader::new(BufReader::new(&b"{\"type\":\"x\"}\n"[..]), limits());
        let unread = tokio::time::timeout(Duration::from_millis(20), pending.closed()).await;
        assert!(unread.is_err(), "unread bytes are not a hang-up");
    }
}

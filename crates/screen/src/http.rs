//! Just enough HTTP/1.1 for one page on loopback: reading one request under a size and
//! time budget, and writing one response with the security headers every answer carries.
//! Every connection serves a single request and is closed (`Connection: close`), except an
//! event stream, which stays open; that keeps the parser free of pipelining and chunked
//! bodies, neither of which the page needs.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The page loads only its own files and talks only to its own server. No inline script
/// or style, no frames, no forms posted elsewhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

const MAX_HEADERS: usize = 64;

/// One parsed request.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first header of that name (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A query parameter's raw value.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }

    /// A cookie's value.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "cookie")
            .flat_map(|(_, v)| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }
}

/// Why a request could not be read; each maps to the status sent back.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("request head over the limit")]
    HeadTooLarge,
    #[error("request body over the limit")]
    BodyTooLarge,
    #[error("request not complete in time")]
    Timeout,
    #[error("malformed request: {0}")]
    Malformed(&'static str),
    #[error("unsupported request: {0}")]
    Unsupported(&'static str),
    #[error("client closed the connection")]
    Closed,
    #[error("reading the request: {0}")]
    Io(#[from] io::Error),
}

impl ReadError {
    /// The status to answer with, or none when nobody is left to answer.
    pub fn status(&self) -> Option<Status> {
        match self {
            ReadError::HeadTooLarge => Some(Status::HeaderTooLarge),
            ReadError::BodyTooLarge => Some(Status::PayloadTooLarge),
            ReadError::Timeout => Some(Status::RequestTimeout),
            ReadError::Malformed(_) => Some(Status::BadRequest),
            ReadError::Unsupported(_) => Some(Status::NotImplemented),
            ReadError::Closed | ReadError::Io(_) => None,
        }
    }
}

/// The statuses the server answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    NoContent,
    SeeOther,
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    RequestTimeout,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    MisdirectedRequest,
    HeaderTooLarge,
    NotImplemented,
    ServiceUnavailable,
}

impl Status {
    pub fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::NoContent => 204,
            Status::SeeOther => 303,
            Status::BadRequest => 400,
            Status::Unauthorized => 401,
            Status::Forbidden => 403,
            Status::NotFound => 404,
            Status::MethodNotAllowed => 405,
            Status::RequestTimeout => 408,
            Status::Conflict => 409,
            Status::PayloadTooLarge => 413,
            Status::UnsupportedMediaType => 415,
            Status::MisdirectedRequest => 421,
            Status::HeaderTooLarge => 431,
            Status::NotImplemented => 501,
            Status::ServiceUnavailable => 503,
        }
    }

    fn reason(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::NoContent => "No Content",
            Status::SeeOther => "See Other",
            Status::BadRequest => "Bad Request",
            Status::Unauthorized => "Unauthorized",
            Status::Forbidden => "Forbidden",
            Status::NotFound => "Not Found",
            Status::MethodNotAllowed => "Method Not Allowed",
            Status::RequestTimeout => "Request Timeout",
            Status::Conflict => "Conflict",
            Status::PayloadTooLarge => "Payload Too Large",
            Status::UnsupportedMediaType => "Unsupported Media Type",
            Status::MisdirectedRequest => "Misdirected Request",
            Status::HeaderTooLarge => "Request Header Fields Too Large",
            Status::NotImplemented => "Not Implemented",
            Status::ServiceUnavailable => "Service Unavailable",
        }
    }
}

/// Reads one request: head within `max_head` bytes, body within `max_body`, all of it
/// before `timeout` has passed (a client trickling bytes cannot hold a connection).
pub fn read_request(
    stream: &mut TcpStream,
    max_head: usize,
    max_body: usize,
    timeout: Duration,
) -> Result<Request, ReadError> {
    let deadline = Instant::now() + timeout;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let head_end = loop {
        if let Some(pos) = find(&buf, b"\r\n\r\n") {
            break pos;
        }
        if buf.len() >= max_head {
            return Err(ReadError::HeadTooLarge);
        }
        let n = read_before(stream, &mut chunk, deadline)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    if head_end + 4 > max_head {
        return Err(ReadError::HeadTooLarge);
    }
    let head = std::str::from_utf8(&buf[..head_end])
        .map_err(|_| ReadError::Malformed("head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (method, target, version) = match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v)) if parts.next().is_none() => (m, t, v),
        _ => return Err(ReadError::Malformed("request line")),
    };
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(ReadError::Unsupported("HTTP version"));
    }
    let mut headers = Vec::new();
    for line in lines {
        if headers.len() == MAX_HEADERS {
            return Err(ReadError::HeadTooLarge);
        }
        let (name, value) = line
            .split_once(':')
            .ok_or(ReadError::Malformed("header line"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut request = Request {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body: Vec::new(),
    };
    if request.header("transfer-encoding").is_some() {
        return Err(ReadError::Unsupported("transfer-encoding"));
    }
    let length = match request.header("content-length") {
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| ReadError::Malformed("content-length"))?,
        None => 0,
    };
    if length > max_body {
        return Err(ReadError::BodyTooLarge);
    }
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = read_before(stream, &mut chunk, deadline)?;
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    request.body = body;
    Ok(request)
}

fn read_before(
    stream: &mut TcpStream,
    chunk: &mut [u8],
    deadline: Instant,
) -> Result<usize, ReadError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(ReadError::Timeout);
    }
    stream.set_read_timeout(Some(left))?;
    match stream.read(chunk) {
        Ok(0) => Err(ReadError::Closed),
        Ok(n) => Ok(n),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            Err(ReadError::Timeout)
        }
        Err(e) => Err(e.into()),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The headers every answer carries.
fn common_headers(status: Status) -> String {
    format!(
        "HTTP/1.1 {} {}\r\n\
         Content-Security-Policy: {CONTENT_SECURITY_POLICY}\r\n\
         X-Content-Type-Options: nosniff\r\n\
         Referrer-Policy: no-referrer\r\n\
         X-Frame-Options: DENY\r\n\
         Cross-Origin-Opener-Policy: same-origin\r\n\
         Cross-Origin-Resource-Policy: same-origin\r\n\
         Cache-Control: no-store\r\n",
        status.code(),
        status.reason()
    )
}

/// Writes a whole response and closes the exchange.
pub fn respond(
    stream: &mut TcpStream,
    status: Status,
    content_type: &str,
    extra_headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<()> {
    let mut head = common_headers(status);
    for (name, value) in extra_headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || status != Status::NoContent {
        head.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

/// A short plain-text answer, for errors.
pub fn respond_text(stream: &mut TcpStream, status: Status, text: &str) -> io::Result<()> {
    respond(
        stream,
        status,
        "text/plain; charset=utf-8",
        &[],
        text.as_bytes(),
    )
}

/// Closes after an early answer without losing it: the client may still be sending a
/// request the server did not read, and closing a socket with unread bytes resets the
/// connection, which can destroy the answer before the client reads it. So the server
/// stops writing, then reads and drops what comes for a short, bounded while.
pub fn linger_close(stream: &mut TcpStream) {
    const LINGER: Duration = Duration::from_millis(300);
    const MAX_DRAIN: usize = 64 * 1024;
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let deadline = Instant::now() + LINGER;
    let mut drained = 0;
    let mut chunk = [0u8; 4096];
    while drained < MAX_DRAIN {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

/// The head of an event stream; events follow as they happen.
pub fn start_event_stream(stream: &mut TcpStream) -> io::Result<()> {
    let mut head = common_headers(Status::Ok);
    head.push_str("Content-Type: text/event-stream\r\nConnection: keep-alive\r\n\r\n");
    // A lost stream is reopened by the browser after a second, not the default three.
    head.push_str("retry: 1000\n\n");
    stream.write_all(head.as_bytes())?;
    stream.flush()
}

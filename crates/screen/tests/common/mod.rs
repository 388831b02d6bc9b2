//! What the screen's integration tests share: a server on a free loopback port, a
//! raw HTTP/1.1 client with timeouts (so a test can send what a browser never would), and
//! a reader for the event stream.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use voxorder_screen::{Inputs, Screen, ScreenConfig};

/// Every socket operation in the tests gives up after this long.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// A screen on 127.0.0.1 with a port the system picks.
pub fn start(mut config: ScreenConfig) -> (Screen, Inputs) {
    config.listen = "127.0.0.1:0".parse().expect("a socket address");
    Screen::start(config).expect("the screen starts on loopback")
}

/// One answer, as read off the wire.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect");
    stream.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    stream.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
    stream
}

/// Reads one whole response (the server closes after each).
pub fn read_response(stream: &mut TcpStream) -> Response {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the response");
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = std::str::from_utf8(&raw[..split]).expect("an ASCII head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Response {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// Sends `raw` as it is and reads the answer.
pub fn exchange(addr: SocketAddr, raw: &[u8]) -> Response {
    let mut stream = connect(addr);
    stream.write_all(raw).expect("send the request");
    read_response(&mut stream)
}

/// A GET with the right Host and extra header lines.
pub fn get(addr: SocketAddr, target: &str, extra: &[&str]) -> Response {
    let mut raw = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\n");
    for line in extra {
        raw.push_str(line);
        raw.push_str("\r\n");
    }
    raw.push_str("\r\n");
    exchange(addr, raw.as_bytes())
}

/// A POST of JSON to /input, as the page sends it.
pub fn post_input(addr: SocketAddr, body: &str, extra: &[&str]) -> Response {
    let mut raw = format!(
        "POST /input HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Origin: http://{addr}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for line in extra {
        raw.push_str(line);
        raw.push_str("\r\n");
    }
    raw.push_str("\r\n");
    raw.push_str(body);
    exchange(addr, raw.as_bytes())
}

/// An open `/events` stream.
pub struct Events {
    reader: BufReader<TcpStream>,
    pub status: u16,
}

impl Events {
    pub fn open(addr: SocketAddr, extra: &[&str]) -> Events {
        let mut stream = connect(addr);
        let mut raw = format!("GET /events HTTP/1.1\r\nHost: {addr}\r\n");
        for line in extra {
            raw.push_str(line);
            raw.push_str("\r\n");
        }
        raw.push_str("\r\n");
        stream.write_all(raw.as_bytes()).expect("send");
        let mut reader = BufReader::new(stream);
        let mut status_line = String::new();
        reader.read_line(&mut status_line).expect("a status line");
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .expect("a status");
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).expect("a header") == 0 || line == "\r\n" {
                break;
            }
        }
        Events { reader, status }
    }

    /// The next `state` event, or `None` when the stream ends or `timeout` passes.
    pub fn next_state(&mut self, timeout: Duration) -> Option<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        let mut event = String::new();
        let mut data = String::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            self.reader.get_ref().set_read_timeout(Some(left)).ok()?;
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if event == "state" {
                    return Some(serde_json::from_str(&data).expect("a JSON state"));
                }
                event.clear();
                data.clear();
            } else if let Some(v) = line.strip_prefix("event: ") {
                event = v.to_string();
            } else if let Some(v) = line.strip_prefix("data: ") {
                data.push_str(v);
            }
        }
    }

    /// States until one satisfies `pred`; panics after `timeout`.
    pub fn until(
        &mut self,
        timeout: Duration,
        mut pred: impl FnMut(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let state = self
                .next_state(left)
                .expect("the awaited state came in time");
            if pred(&state) {
                return state;
            }
        }
    }
}

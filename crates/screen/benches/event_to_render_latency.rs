//! The screen's own latency, end to end: from an event published to the server until the
//! frame that shows it in real headless Chromium, over EVENTS events, measured by the
//! page against the timestamp the server stamps on each state (`posted_at_ms`) with
//! `performance.now()` after the next paint (`render_latency_ms`; the two-frame wait makes
//! it one to two frames longer than `dom_update_latency_ms`, taken as soon as the page's
//! DOM holds the change). Also the weight of every file of the page as
//! served. Prints one JSON object.
//!
//! `VOXORDER_BROWSER_TESTS=1 cargo bench --bench event_to_render_latency`
//! (`scripts/browser-deps.sh` installs Chromium and chromedriver).

#[path = "../tests/browser_support/mod.rs"]
mod browser_support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use browser_support::{enabled, Browser};
use serde_json::{json, Value};
use voxorder_screen::{Phase, Screen, ScreenConfig, ScreenEvent, ASSETS};

/// Events measured (after WARMUP more that are not); `cargo test --benches` (no
/// `--bench`) runs SMOKE_EVENTS only, to check the bench still works.
const EVENTS: usize = 200;
const SMOKE_EVENTS: usize = 20;
const WARMUP: usize = 10;
/// The gap between events: longer than a frame, so each event is rendered on its own, as
/// in a conversation where events come a few per second at most.
const GAP: Duration = Duration::from_millis(40);

fn served_bytes(addr: SocketAddr, path: &str) -> usize {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head")
        + 4;
    raw.len() - head_end
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// p50, p95, max and mean of the page's last `events` figures in `window.voxScreen[list]`.
async fn summary(browser: &Browser, list: &str, events: usize) -> Value {
    let measured = browser
        .js(&format!("return window.voxScreen.{list}.slice(-{events});"))
        .await;
    let mut ms: Vec<f64> = serde_json::from_value(measured).expect("numbers");
    assert_eq!(ms.len(), events, "every event was rendered once");
    ms.sort_by(f64::total_cmp);
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    json!({
        "p50": round(percentile(&ms, 50.0)),
        "p95": round(percentile(&ms, 95.0)),
        "max": round(ms[ms.len() - 1]),
        "mean": round(mean),
    })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if !enabled("event_to_render_latency") {
        return;
    }
    let events = if std::env::args().any(|a| a == "--bench") {
        EVENTS
    } else {
        SMOKE_EVENTS
    };
    let config = ScreenConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        ..ScreenConfig::default()
    };
    let (screen, _inputs) = Screen::start(config).expect("the screen starts");
    let addr = screen.local_addr();
    let browser = Browser::launch(1024, 900).await;
    browser.client.goto(&screen.url()).await.expect("the page");
    browser
        .wait_for("the first state", "return window.voxScreen.seq >= 0;")
        .await;
    screen
        .publish(ScreenEvent::ConversationStarted)
        .expect("published");
    let phases = [Phase::Listening, Phase::Thinking, Phase::Speaking];
    for k in 0..WARMUP + events {
        let event = if k % 2 == 0 {
            ScreenEvent::AgentSays {
                text: format!("Sentence {k} of the agent, as long as a short reply usually is."),
            }
        } else {
            ScreenEvent::Phase {
                phase: phases[k % phases.len()],
            }
        };
        screen.publish(event).expect("published");
        tokio::time::sleep(GAP).await;
    }
    let last = screen.snapshot().seq;
    browser
        .wait_for(
            "the last event on screen",
            &format!("return window.voxScreen.seq >= {last};"),
        )
        .await;
    let painted = summary(&browser, "latencies", events).await;
    let in_dom = summary(&browser, "domLatencies", events).await;
    let mut weights = serde_json::Map::new();
    let mut total = 0;
    for asset in ASSETS {
        let bytes = served_bytes(addr, asset.path);
        total += bytes;
        weights.insert(asset.path.to_string(), json!(bytes));
    }
    weights.insert("total".into(), json!(total));
    let report = json!({
        "workload": "screen_event_to_render",
        "browser": "headless chromium via chromedriver",
        "events": events,
        "gap_ms": GAP.as_millis() as u64,
        "render_latency_ms": painted,
        "dom_update_latency_ms": in_dom,
        "page_bytes": weights,
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&report).expect("a report")
    );
    browser.close().await;
}

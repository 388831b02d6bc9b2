//! Real headless Chromium for the browser tests and the latency bench: Debian's
//! chromedriver on a free loopback port, a fresh profile per browser, and the functions the
//! tests share (waiting for the page, reading its state, running axe-core in it).
//! `scripts/browser-deps.sh` installs Chromium, chromedriver and the pinned axe-core.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use tokio::process::{Child, Command};

/// The variable that turns the browser tests on; without it they say so and pass.
pub const ENABLE: &str = "VOXORDER_BROWSER_TESTS";

/// How long any wait for the page may last.
pub const WAIT: Duration = Duration::from_secs(15);

/// Whether the browser tests should run; prints why not when they should not.
pub fn enabled(test: &str) -> bool {
    let on = std::env::var(ENABLE).is_ok_and(|v| v == "1");
    if !on {
        println!(
            "{test}: skipped; set {ENABLE}=1 to run it (scripts/browser-deps.sh installs \
             Chromium, chromedriver and axe-core)"
        );
    }
    on
}

/// One headless Chromium behind its own chromedriver.
pub struct Browser {
    pub client: Client,
    driver: Child,
    group: u32,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Chromium outlives a killed chromedriver: end the whole group, by its id.
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.group)])
            .stderr(Stdio::null())
            .status();
    }
}

impl Browser {
    /// Starts chromedriver and a browser with a window of `width` × `height` CSS pixels.
    pub async fn launch(width: u32, height: u32) -> Browser {
        Browser::launch_with(width, height, &[]).await
    }

    /// The same, with more Chromium switches.
    pub async fn launch_with(width: u32, height: u32, extra: &[&str]) -> Browser {
        let port = free_port();
        // A group of its own, which the browser it starts joins: a test that fails before
        // closing the browser still ends every process it started (see Drop).
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver runs (scripts/browser-deps.sh installs it)");
        let group = driver.id().expect("chromedriver is running");
        let url = format!("http://127.0.0.1:{port}");
        wait_until_listening(port).await;
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-crash-reporter",
            "--disable-breakpad",
            "--force-device-scale-factor=1",
            "--hide-scrollbars",
        ]
        .into_iter()
        .chain(extra.iter().copied())
        .map(String::from)
        .collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.push(format!("--window-size={width},{height}"));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": chromium_binary(), "args": args }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await
            .expect("chromedriver opens a browser");
        Browser {
            client,
            driver,
            group,
            _profile: profile,
        }
    }

    /// Closes the browser and stops the driver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
        let _ = self.driver.wait().await;
    }

    /// Runs `script` (a function body; `return` gives the value).
    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Waits until `script` returns true.
    pub async fn wait_for(&self, what: &str, script: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            if self.js(script).await == Value::Bool(true) {
                return;
            }
            assert!(Instant::now() < deadline, "waited too long for {what}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Whether the element with that id is shown.
    pub async fn visible(&self, id: &str) -> bool {
        self.js(&format!(
            "const e = document.getElementById('{id}'); return !!e && !e.closest('[hidden]');"
        ))
        .await
            == Value::Bool(true)
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.js("return document.body.innerText;")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Which element has the focus, as `#id`, `key:N` for a keypad key or
    /// `choice:VALUE` for a choice.
    pub async fn focused(&self) -> String {
        self.js("const a = document.activeElement;
             if (!a || a === document.body) return 'body';
             if (a.dataset.key) return 'key:' + a.dataset.key;
             if (a.dataset.value) return 'choice:' + a.dataset.value;
             return '#' + a.id;")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Presses keys on whatever has the focus, as a keyboard would.
    pub async fn keys(&self, keys: &str) {
        self.client
            .active_element()
            .await
            .expect("a focused element")
            .send_keys(keys)
            .await
            .expect("keys sent");
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Saves a PNG of the window.
    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::write(path, png).expect("the screenshot is written");
    }

    /// Runs axe-core in the page; returns its violations as `(impact, rule, nodes)`.
    pub async fn axe(&self) -> Vec<(String, String, usize)> {
        let source = std::fs::read_to_string(axe_path())
            .expect("axe-core installed (scripts/browser-deps.sh)");
        self.js(&format!("{source}\nreturn typeof window.axe;"))
            .await;
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then((r) => done(r.violations.map((v) => [v.impact, v.id, v.nodes.length])))
                   .catch((e) => done(String(e)));",
                vec![],
            )
            .await
            .expect("axe ran");
        serde_json::from_value(result.clone())
            .unwrap_or_else(|_| panic!("axe failed in the page: {result}"))
    }
}

fn chromium_binary() -> &'static str {
    ["/usr/bin/chromium", "/usr/lib/chromium/chromium"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or("/usr/bin/chromium")
}

/// axe-core as pinned in crates/screen/package-lock.json.
pub fn axe_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../screen/node_modules/axe-core/axe.min.js")
}

/// Where the screenshots of the main states go: the repository's `docs/screen/`.
pub fn docs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screen")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

async fn wait_until_listening(port: u16) {
    let deadline = Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

//! What sync learns reaches the customer, through the binary over real HTTP: a cancel
//! taken on the device while the warehouse shipped the order is refused by the OMS,
//! rolled back, and told to the caller once they are verified (once only); a household's
//! speaker announces its delivery news between conversations.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use chrono::NaiveDate;
use serde_json::{json, Value};

use voxorder_domain::change::Change;
use voxorder_domain::order::{Order, OrderRecord, OrderStatus};
use voxorder_domain::vocab::CancelReason;
use voxorder_hub::db::{OmsDb, Seed};
use voxorder_store::{OpenMode, Store};

mod common;
use common::Proc;

const TOKEN: &str = "speaker-token-0123456789abcdef";
const NOW: &str = "2026-03-10T10:00:00";
/// Ada's order she cancels on the device; the warehouse ships it before the upload.
const CANCELLED: &str = "6000000000011";
/// Ada's other order, which simply ships: delivery news for her household's speaker.
const SHIPPING: &str = "6000000000029";

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_voxorder")
}

fn order(number: &str, status: &str, item: &str) -> Order {
    let rec: OrderRecord = serde_json::from_value(json!({
        "order_number": number, "status": status, "order_date": "2026-03-06",
        "customer": {"name": "Ada Park", "email": "ada@example.com", "phone": "5125550199",
                     "billing_zip": "78701"},
        "items": [{"sku": "TEE-NAVY-M", "name": item, "qty": 1, "price": 29.99}],
        "subtotal": 29.99, "total": 29.99, "payment": {"method": "card", "last4": "4242"},
        "shipping_address": {"line1": "1 Main St", "city": "Austin", "zip": "78701"}
    }))
    .expect("record");
    rec.validate().expect("valid")
}

/// Both of Ada's orders in one state.
fn adas_orders(status: &str) -> Vec<Order> {
    vec![
        order(CANCELLED, status, "Classic Tee"),
        order(SHIPPING, status, "Rain Jacket"),
    ]
}

struct Env {
    dir: tempfile::TempDir,
    device: PathBuf,
    _server: Proc,
    url: String,
}

impl Env {
    /// A device holding Ada's two orders with her cancel queued, an OMS on which both
    /// have shipped since, and one sync between them.
    fn synced() -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        let device = dir.path().join("device.db");
        let oms_db = dir.path().join("oms.db");
        let tokens = dir.path().join("tokens");
        // The household's speaker serves Ada: her orders, and nobody else's.
        std::fs::write(
            &tokens,
            format!("speaker-1 {TOKEN} customer:ada@example.com\n"),
        )
        .expect("tokens");
        let now = NaiveDate::from_ymd_opt(2026, 3, 10)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("time");

        let mut store = Store::open(&device, OpenMode::CreateIfMissing).expect("device");
        store
            .upsert_orders(&adas_orders("processing"), now)
            .expect("orders");
        store
            .create_household("Park household", &["ada@example.com".to_string()])
            .expect("household");
        store
            .apply_changes(
                &[Change::CancelOrder {
                    order_number: CANCELLED.into(),
                    reason: CancelReason::ChangedMind,
                }],
                now,
            )
            .expect("cancel");
        drop(store);

        let mut oms = OmsDb::open(&oms_db).expect("oms");
        for status in ["processing", "shipped"] {
            oms.import(&Seed {
                orders: adas_orders(status),
                ..Seed::default()
            })
            .expect("seed");
        }
        drop(oms);

        let (server, url) = common::serve_oms(bin(), &oms_db, &tokens, 0, &[]);
        let env = Env {
            dir,
            device,
            _server: server,
            url,
        };
        let out = env.voxorder(
            &["sync", "--once", "--oms", &env.url, "--oms-token", TOKEN],
            "",
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        env
    }

    fn voxorder(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(bin())
            .arg("--db")
            .arg(&self.device)
            .args(["--now", NOW])
            .args(args)
            .env("VOXORDER_HOME", self.dir.path().join("home"))
            .env_remove("VOXORDER_CONFIG")
            .env_remove("VOXORDER_OMS_TOKEN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("voxorder runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("output")
    }

    /// A text call: one JSON object per turn.
    fn chat(&self, lines: &[&str]) -> Vec<Value> {
        let out = self.voxorder(&["chat", "--json"], &(lines.join("\n") + "\n"));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("turn json"))
            .collect()
    }

    fn status(&self, number: &str) -> OrderStatus {
        let store = Store::open(&self.device, OpenMode::Existing).expect("store");
        store.order(number).expect("read").expect("order").status
    }
}

fn spaced(number: &str) -> String {
    number
        .chars()
        .map(String::from)
        .collect::<Vec<_>>()
        .join(" ")
}

fn told(turns: &[Value]) -> Vec<&Value> {
    turns
        .iter()
        .filter(|t| {
            t["actions"]
                .as_array()
                .is_some_and(|a| a.iter().any(|a| a["kind"] == "notice_told"))
        })
        .collect()
}

#[test]
fn a_refused_cancel_is_rolled_back_and_told_to_the_verified_caller_once() {
    let env = Env::synced();
    // The OMS's truth replaced the device's cancel.
    assert_eq!(env.status(CANCELLED), OrderStatus::Shipped);

    let number = spaced(CANCELLED);
    let call = [
        "where is my order",
        &number,
        "7 8 7 0 1",
        "no that's all thanks",
    ];
    let turns = env.chat(&call);
    let told_turns = told(&turns);
    assert_eq!(told_turns.len(), 1, "{turns:#?}");
    let reply = told_turns[0]["reply"].as_str().expect("reply");
    eprintln!("agent: {reply}");
    assert!(reply.contains("couldn't be cancelled"), "{reply}");
    assert!(reply.contains("already shipped"), "{reply}");
    assert!(reply.contains("return it"), "{reply}");
    // Nothing is told before the caller is verified.
    for t in &turns[..2] {
        let r = t["reply"].as_str().expect("reply");
        assert!(!r.contains("couldn't"), "told before verification: {r}");
    }

    // Nothing failed for good: an operator's requeue finds no dead letter.
    let out = env.voxorder(&["sync", "requeue"], "");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "requeued 0 command(s)"
    );

    // The next call about the same order hears the status, not the news again.
    let again = env.chat(&call);
    assert!(told(&again).is_empty(), "{again:#?}");
    assert!(again
        .iter()
        .all(|t| !t["reply"].as_str().unwrap_or_default().contains("couldn't")));
}

#[test]
fn a_household_speaker_announces_delivery_news_between_conversations() {
    let env = Env::synced();
    // A second sync finds nothing new: news is queued once.
    let out = env.voxorder(
        &["sync", "--once", "--oms", &env.url, "--oms-token", TOKEN],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let config = env.dir.path().join("speaker.toml");
    std::fs::write(&config, "[speech]\nmode = \"speaker\"\n").expect("config");
    let mic = env.dir.path().join("quiet-room.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&mic, spec).expect("wav");
    for _ in 0..16_000 {
        w.write_sample(0i16).expect("sample");
    }
    w.finalize().expect("wav");
    let spoken = env.dir.path().join("spoken.wav");
    let run = |out: &PathBuf| {
        env.voxorder(
            &[
                "--config",
                &config.to_string_lossy(),
                "run",
                "--input",
                &mic.to_string_lossy(),
                "--output",
                &out.to_string_lossy(),
                "--customer",
                "ada@example.com",
            ],
            "",
        )
    };
    let out = run(&spoken);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("0 conversation(s), 1 announcement(s)"),
        "{stdout}"
    );
    let heard = env.voxorder(&["transcribe", &spoken.to_string_lossy(), "--json"], "");
    assert!(heard.status.success());
    let text: Value = serde_json::from_slice(&heard.stdout).expect("json");
    let text = text["text"].as_str().expect("text").to_lowercase();
    eprintln!("the speaker said: {text}");
    assert!(text.contains("update"), "{text}");
    // The product's name is the recogniser's weakest word here: with the machine busy it
    // decodes on fewer threads and "rain jacket" can come out as one odd word. The news
    // of that order's shipping is what must be heard.
    assert!(
        text.contains("jacket") || text.contains("your order of"),
        "{text}"
    );
    assert!(text.contains("shipped"), "{text}");

    // Said once: the speaker stays quiet the next time it waits.
    let quiet = run(&env.dir.path().join("quiet.wav"));
    let stdout = String::from_utf8_lossy(&quiet.stdout);
    assert!(stdout.contains("0 announcement(s)"), "{stdout}");
}

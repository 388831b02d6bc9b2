//! What a device may see and do on the reference OMS, over real HTTP on loopback: the
//! server as a `voxorder oms serve` process with a tokens file of kiosks (by store), a
//! household speaker (by customer) and an operator (`*`), or with devices enrolled by
//! `voxorder oms devices`; requests as devices send them.
//! Every server is killed on drop and every request bounded in time.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};

use voxorder_domain::change::Change;
use voxorder_domain::order::{Order, OrderRecord};
use voxorder_domain::vocab::CancelReason;
use voxorder_hub::db::{OmsDb, Seed};
use voxorder_store::{OpenMode, Store};

mod common;
use common::Proc;

const KIOSK_A: &str = "kiosk-a-token-0123456789";
const KIOSK_B: &str = "kiosk-b-token-0123456789";
const SPEAKER: &str = "speaker-token-0123456789";
const OPS: &str = "operator-token-0123456789";

/// Austin's orders (kiosk A), Dallas's (kiosk B), and Ada's order at Dallas (the
/// household speaker serves Ada).
const AUSTIN_1: &str = "7100000000011";
const AUSTIN_2: &str = "7100000000029";
const DALLAS_1: &str = "7200000000018";
const ADAS: &str = "7200000000026";

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_voxorder")
}

fn order(number: &str, store: &str, email: &str) -> Order {
    let rec: OrderRecord = serde_json::from_value(json!({
        "order_number": number, "status": "processing", "order_date": "2026-03-06",
        "store": store,
        "customer": {"name": "Someone", "email": email, "phone": "5125550199",
                     "billing_zip": "78701"},
        "items": [{"sku": "TEE-NAVY-M", "name": "Classic Tee", "qty": 1, "price": 29.99}],
        "subtotal": 29.99, "total": 29.99, "payment": {"method": "card", "last4": "4242"},
        "shipping_address": {"line1": "1 Main St", "city": "Austin", "zip": "78701"}
    }))
    .expect("record");
    rec.validate().expect("valid")
}

/// A seeded OMS serving the four devices.
struct Oms {
    _dir: tempfile::TempDir,
    db: PathBuf,
    _server: Proc,
    url: String,
    http: reqwest::Client,
}

impl Oms {
    fn start() -> Oms {
        Oms::start_with(&[])
    }

    fn start_with(extra: &[&str]) -> Oms {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("oms.db");
        seed(&db);
        let tokens = dir.path().join("tokens");
        std::fs::write(
            &tokens,
            format!(
                "kiosk-a {KIOSK_A} store:austin-1\nkiosk-b {KIOSK_B} store:dallas-2\n\
                 speaker-ada {SPEAKER} customer:ada@example.com\nops {OPS} *\n"
            ),
        )
        .expect("tokens");
        let extra: Vec<&std::ffi::OsStr> = extra.iter().map(|a| a.as_ref()).collect();
        let (server, url) = common::serve_oms(bin(), &db, &tokens, 0, &extra);
        Oms {
            _dir: dir,
            db,
            _server: server,
            url,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client"),
        }
    }

    async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.url))
            .bearer_auth(token)
            .send()
            .await
            .expect("send");
        answer(resp).await
    }

    async fn push(&self, token: &str, commands: &[Value]) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}/v1/commands", self.url))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(json!({ "commands": commands }).to_string())
            .send()
            .await
            .expect("send");
        answer(resp).await
    }

    /// The order's status as the OMS holds it.
    fn status_of(&self, number: &str) -> String {
        let body = OmsDb::open(&self.db)
            .and_then(|db| db.order_json(number))
            .expect("read")
            .expect("order");
        serde_json::from_str::<Value>(&body).expect("json")["status"]
            .as_str()
            .expect("status")
            .to_string()
    }
}

/// The four orders, in the OMS store at `db`.
fn seed(db: &std::path::Path) {
    OmsDb::open(db)
        .and_then(|mut oms| {
            oms.import(&Seed {
                orders: vec![
                    order(AUSTIN_1, "austin-1", "bo@example.com"),
                    order(AUSTIN_2, "austin-1", "cy@example.com"),
                    order(DALLAS_1, "dallas-2", "di@example.com"),
                    order(ADAS, "dallas-2", "ada@example.com"),
                ],
                ..Seed::default()
            })
        })
        .expect("seed");
}

/// The status and the JSON body (null when there is none).
async fn answer(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let body = resp.bytes().await.expect("body");
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn cancel(key: &str, number: &str) -> Value {
    cancel_for(key, number, CancelReason::ChangedMind)
}

fn cancel_for(key: &str, number: &str, reason: CancelReason) -> Value {
    let change = Change::CancelOrder {
        order_number: number.into(),
        reason,
    };
    json!({
        "idempotency_key": key, "kind": "cancel_order", "order_number": number,
        "payload": change, "created_at": "2026-03-10T09:00:00"
    })
}

fn order_numbers(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .filter(|o| o.get("order_number").is_some() || o["kind"] == "order")
        .map(|o| {
            o.get("order_number")
                .or_else(|| o.get("id"))
                .and_then(Value::as_str)
                .expect("number")
                .to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_b_cannot_read_list_pull_or_change_device_a_orders() {
    let oms = Oms::start();

    // Read: another store's order is answered exactly as one that does not exist (its
    // existence is not the device's to learn); its own is served.
    let (status, body) = oms.get(KIOSK_B, &format!("/v1/orders/{AUSTIN_1}")).await;
    let (missing_status, missing) = oms.get(KIOSK_B, "/v1/orders/7100000000999").await;
    assert_eq!((status, missing_status), (404, 404), "{body}");
    assert_eq!(
        body.to_string().replace(AUSTIN_1, "N"),
        missing.to_string().replace("7100000000999", "N")
    );
    assert!(!body.to_string().contains("bo@example.com"), "{body}");
    assert_eq!(
        oms.get(KIOSK_B, &format!("/v1/orders/{DALLAS_1}")).await.0,
        200
    );

    // List and pull: only the device's own orders, however many it asks for.
    let (status, list) = oms.get(KIOSK_B, "/v1/orders?limit=10000").await;
    assert_eq!(status, 200);
    assert_eq!(order_numbers(&list["orders"]), [DALLAS_1, ADAS]);
    let (_, feed) = oms.get(KIOSK_B, "/v1/changes?limit=10000").await;
    assert_eq!(order_numbers(&feed["changes"]), [DALLAS_1, ADAS]);
    let (_, feed) = oms.get(KIOSK_A, "/v1/changes").await;
    assert_eq!(order_numbers(&feed["changes"]), [AUSTIN_1, AUSTIN_2]);
    let (_, feed) = oms.get(SPEAKER, "/v1/changes").await;
    assert_eq!(order_numbers(&feed["changes"]), [ADAS]);
    let (_, all) = oms.get(OPS, "/v1/orders").await;
    assert_eq!(order_numbers(&all["orders"]).len(), 4);

    // Change: a batch with one command on another store's order is refused whole,
    // naming it, and nothing of it is applied.
    let (status, body) = oms
        .push(
            KIOSK_B,
            &[cancel("b-own", DALLAS_1), cancel("b-theirs", AUSTIN_1)],
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["idempotency_keys"], json!(["b-theirs"]));
    assert_eq!(oms.status_of(AUSTIN_1), "processing");
    assert_eq!(oms.status_of(DALLAS_1), "processing");
    // The speaker may not touch the Dallas order that is not Ada's either.
    let (status, _) = oms.push(SPEAKER, &[cancel("s-1", DALLAS_1)]).await;
    assert_eq!(status, 403);

    // The whole OMS's counts are the operator's only.
    assert_eq!(oms.get(KIOSK_A, "/v1/stats").await.0, 403);
    let (status, stats) = oms.get(OPS, "/v1/stats").await;
    assert_eq!(status, 200);
    assert_eq!(stats["commands_applied"], 0);

    let (status, body) = oms.push(KIOSK_B, &[cancel("b-own", DALLAS_1)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["outcome"], "applied");
    assert_eq!(oms.status_of(DALLAS_1), "cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_stands_for_one_command_of_one_device() {
    let oms = Oms::start();
    let (status, body) = oms.push(KIOSK_A, &[cancel("k-1", AUSTIN_1)]).await;
    assert_eq!(
        (status, body["results"][0]["outcome"].clone()),
        (200, json!("applied"))
    );

    // The same command again (an answer lost on the way): a duplicate, as always.
    let (status, body) = oms.push(KIOSK_A, &[cancel("k-1", AUSTIN_1)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["outcome"], "duplicate");
    assert_eq!(body["results"][0]["order"]["order_number"], AUSTIN_1);

    // The key again for another command: 409 naming it, and nothing of the batch done.
    let (status, body) = oms
        .push(
            KIOSK_A,
            &[
                cancel("k-2", AUSTIN_2),
                cancel_for("k-1", AUSTIN_1, CancelReason::FoundCheaper),
            ],
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["idempotency_keys"], json!(["k-1"]));
    assert_eq!(oms.status_of(AUSTIN_2), "processing");

    // Another device using the key learns nothing of the first device's command: with
    // its own command it gets its own answer; with a copy of the first device's it is
    // refused for scope, not answered "duplicate" with that order.
    let (status, body) = oms.push(KIOSK_B, &[cancel("k-1", DALLAS_1)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["outcome"], "applied");
    assert_eq!(body["results"][0]["order"]["order_number"], DALLAS_1);
    let (status, body) = oms.push(KIOSK_B, &[cancel("k-1", AUSTIN_1)]).await;
    assert_eq!(status, 403, "{body}");
    let text = body.to_string();
    assert!(
        !text.contains("duplicate") && !text.contains("bo@example.com"),
        "{text}"
    );
    let (_, stats) = oms.get(OPS, "/v1/stats").await;
    assert_eq!(
        (
            stats["commands_applied"].clone(),
            stats["duplicates_answered"].clone()
        ),
        (json!(2), json!(1))
    );
}

/// A kiosk whose outbox holds a change to another store's order (it once served it):
/// the OMS refuses the batch naming that command, and the device sets it aside as a
/// dead letter with the reason in `sync status` and delivers the rest.
/// A device store holding these orders with a cancel queued for each, run through the
/// binary.
struct Kiosk {
    dir: tempfile::TempDir,
    db: PathBuf,
}

impl Kiosk {
    fn with_cancels(orders: &[Order]) -> Kiosk {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("device.db");
        let mut store = Store::open(&db, OpenMode::CreateIfMissing).expect("store");
        let now = chrono::NaiveDate::from_ymd_opt(2026, 3, 10)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("time");
        store.upsert_orders(orders, now).expect("orders");
        let cancels: Vec<Change> = orders
            .iter()
            .map(|o| Change::CancelOrder {
                order_number: o.order_number.clone(),
                reason: CancelReason::ChangedMind,
            })
            .collect();
        store.apply_changes(&cancels, now).expect("changes");
        Kiosk { dir, db }
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(bin())
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .env("VOXORDER_HOME", self.dir.path().join("home"))
            .env_remove("VOXORDER_CONFIG")
            .env_remove("VOXORDER_NOW")
            .env_remove("VOXORDER_OMS_TOKEN")
            .output()
            .expect("voxorder runs")
    }

    /// `sync --once` with kiosk A's token: whether it succeeded, and its report.
    fn sync_once(&self, oms: &Oms, extra: &[&str]) -> (bool, Value) {
        let mut args = vec!["sync", "--once", "--oms", &oms.url, "--oms-token", KIOSK_A];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        (
            out.status.success(),
            serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        )
    }

    fn status(&self) -> Value {
        let out = self.run(&["sync", "status", "--json"]);
        serde_json::from_slice(&out.stdout).expect("status json")
    }
}

#[test]
fn a_device_sets_aside_what_the_oms_refuses_for_scope_and_delivers_the_rest() {
    let oms = Oms::start();
    let kiosk = Kiosk::with_cancels(&[
        order(AUSTIN_1, "austin-1", "bo@example.com"),
        order(DALLAS_1, "dallas-2", "di@example.com"),
        order(AUSTIN_2, "austin-1", "cy@example.com"),
    ]);
    let (ok, report) = kiosk.sync_once(&oms, &[]);
    assert!(ok, "{report}");
    assert_eq!(
        (report["applied"].clone(), report["dead_lettered"].clone()),
        (json!(2), json!(1)),
        "{report}"
    );
    assert_eq!(oms.status_of(AUSTIN_1), "cancelled");
    assert_eq!(oms.status_of(AUSTIN_2), "cancelled");
    assert_eq!(oms.status_of(DALLAS_1), "processing");

    let status = kiosk.status();
    assert_eq!(
        (status["pending"].clone(), status["dead_lettered"].clone()),
        (json!(0), json!(1))
    );
    let dead = &status["dead_letters"][0];
    assert_eq!(dead["order_number"], DALLAS_1);
    assert!(
        dead["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("outside this device's scope"),
        "{status}"
    );

    // Nothing is sent again: the dead letter waits for an operator.
    let (ok, report) = kiosk.sync_once(&oms, &[]);
    assert!(ok, "{report}");
    assert_eq!(report["sent"], 0, "{report}");
}

// ---------------------------------------------------------------------------------------
// Slow clients, over raw TCP to control every byte.

/// Sends a request head (and the start of its body); the stream stays open.
async fn send_head(addr: &str, head: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(head.as_bytes()).await.expect("write head");
    s
}

/// Everything the server sends until it closes the connection, within `within`.
async fn answer_until_closed(
    rd: &mut (impl tokio::io::AsyncRead + Unpin),
    within: Duration,
) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    match tokio::time::timeout(within, rd.read_to_end(&mut got)).await {
        Ok(_) => Some(String::from_utf8_lossy(&got).to_lowercase()),
        Err(_) => None,
    }
}

fn get_head(token: &str, path: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nhost: oms\r\nauthorization: Bearer {token}\r\n\
         connection: close\r\n\r\n"
    )
}

/// The head of a batch upload announcing a 1,000-byte body, and its first byte.
fn trickled_upload_head(token: &str) -> String {
    format!(
        "POST /v1/commands HTTP/1.1\r\nhost: oms\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: 1000\r\n\r\n{{"
    )
}

/// Writes one byte every 200 ms until the server stops taking them.
fn trickle(mut wr: tokio::net::tcp::OwnedWriteHalf) -> tokio::task::JoinHandle<()> {
    use tokio::io::AsyncWriteExt;
    tokio::spawn(async move {
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if wr.write_all(b" ").await.is_err() {
                return;
            }
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_and_capped_while_others_are_answered() {
    let oms = Oms::start_with(&[
        "--header-timeout-secs",
        "1",
        "--body-timeout-secs",
        "1",
        "--max-connections",
        "8",
        "--max-connections-per-device",
        "2",
        "--retry-after-secs",
        "3",
    ]);
    let addr = oms.url.trim_start_matches("http://").to_string();

    // Kiosk A trickles two uploads, a byte every 200 ms: its whole cap.
    let started = std::time::Instant::now();
    let mut slow = Vec::new();
    for _ in 0..2 {
        let (rd, wr) = send_head(&addr, &trickled_upload_head(KIOSK_A))
            .await
            .into_split();
        slow.push((rd, trickle(wr)));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;

    // A third connection of kiosk A is told to come back, at once.
    let (mut rd, _wr) = send_head(&addr, &trickled_upload_head(KIOSK_A))
        .await
        .into_split();
    let third = answer_until_closed(&mut rd, Duration::from_secs(2))
        .await
        .expect("a device over its cap is answered, not left waiting");
    assert!(third.starts_with("http/1.1 503"), "{third}");
    assert!(third.contains("retry-after: 3"), "{third}");

    // Meanwhile kiosk B is served as usual, while A's slow uploads are still open.
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let (mut rd, _wr) = send_head(&addr, &get_head(KIOSK_B, "/v1/changes"))
            .await
            .into_split();
        let answer = answer_until_closed(&mut rd, Duration::from_secs(2))
            .await
            .expect("answered");
        assert!(answer.starts_with("http/1.1 200"), "{answer}");
        assert!(answer.contains(DALLAS_1), "{answer}");
        assert!(
            t.elapsed() < Duration::from_millis(900),
            "{:?}",
            t.elapsed()
        );
    }
    let (rd, _) = &mut slow[0];
    assert_eq!(
        answer_until_closed(rd, Duration::from_millis(10)).await,
        None,
        "the slow upload was still open while B was served"
    );

    // The slow uploads are cut off a second after their heads, trickle or not: 408,
    // and the connection closed.
    for (mut rd, writer) in slow {
        let answer = answer_until_closed(&mut rd, Duration::from_secs(5))
            .await
            .expect("a slow upload is cut off");
        assert!(answer.starts_with("http/1.1 408"), "{answer}");
        writer.abort();
    }
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "{took:?}"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A's places are free again.
    let (mut rd, _wr) = send_head(&addr, &get_head(KIOSK_A, "/v1/orders"))
        .await
        .into_split();
    let answer = answer_until_closed(&mut rd, Duration::from_secs(2)).await;
    assert!(answer.is_some_and(|a| a.starts_with("http/1.1 200")));
    tokio::time::sleep(Duration::from_millis(100)).await;

    // Connections that never send a thing fill the server's cap: the next request is
    // answered 503, and the idle ones are closed after the header timeout.
    let mut idle = Vec::new();
    for _ in 0..8 {
        idle.push(
            tokio::net::TcpStream::connect(&addr)
                .await
                .expect("connect"),
        );
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (mut rd, _wr) = send_head(&addr, &get_head(KIOSK_B, "/v1/changes"))
        .await
        .into_split();
    let over = answer_until_closed(&mut rd, Duration::from_secs(2))
        .await
        .expect("a connection over the cap is answered, not left waiting");
    assert!(over.starts_with("http/1.1 503"), "{over}");
    assert!(over.contains("retry-after: 3"), "{over}");
    for mut s in idle {
        assert!(
            answer_until_closed(&mut s, Duration::from_secs(5))
                .await
                .is_some(),
            "an idle connection is closed"
        );
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (mut rd, _wr) = send_head(&addr, &get_head(KIOSK_B, "/v1/changes"))
        .await
        .into_split();
    let answer = answer_until_closed(&mut rd, Duration::from_secs(2)).await;
    assert!(answer.is_some_and(|a| a.starts_with("http/1.1 200")));
}

/// A device turned away by a busy OMS (503 with `Retry-After`) loses nothing for it:
/// with a single attempt allowed, a counted attempt would dead-letter its command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_oms_costs_the_device_no_attempt() {
    let oms = Oms::start_with(&[
        "--max-connections-per-device",
        "1",
        "--body-timeout-secs",
        "2",
        "--retry-after-secs",
        "7",
    ]);
    let addr = oms.url.trim_start_matches("http://").to_string();
    let kiosk = Kiosk::with_cancels(&[order(AUSTIN_1, "austin-1", "bo@example.com")]);
    let config = kiosk.dir.path().join("device.toml");
    std::fs::write(&config, "[sync]\nmax_attempts = 1\n").expect("config");
    let config = config.to_string_lossy().into_owned();

    // Another connection of the same device holds its only place.
    let (mut rd, wr) = send_head(&addr, &trickled_upload_head(KIOSK_A))
        .await
        .into_split();
    let writer = trickle(wr);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (ok, report) =
        tokio::task::block_in_place(|| kiosk.sync_once(&oms, &["--config", &config]));
    assert!(!ok, "{report}");
    assert_eq!(report["retry_after_seconds"], 7, "{report}");
    let status = kiosk.status();
    assert_eq!(
        (status["pending"].clone(), status["dead_lettered"].clone()),
        (json!(1), json!(0)),
        "{status}"
    );
    assert!(
        status["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("busy"),
        "{status}"
    );

    // Once the place is free, the command goes through.
    assert!(answer_until_closed(&mut rd, Duration::from_secs(5))
        .await
        .is_some());
    writer.abort();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (ok, report) =
        tokio::task::block_in_place(|| kiosk.sync_once(&oms, &["--config", &config]));
    assert!(ok, "{report}");
    assert_eq!(report["applied"], 1, "{report}");
    assert_eq!(oms.status_of(AUSTIN_1), "cancelled");
}

/// Enrolment: a new kiosk given only the hub's address and its token builds its store
/// from the first sync, says so, and then shows which hub and scope it belongs to.
#[test]
fn a_new_kiosk_builds_its_store_from_the_first_sync_and_knows_its_hub() {
    let oms = Oms::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let kiosk = Kiosk {
        db: dir.path().join("shop").join("new.db"),
        dir,
    };
    assert!(!kiosk.db.exists());
    let args = ["sync", "--once", "--oms", &oms.url, "--oms-token", KIOSK_A];
    let out = kiosk.run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("created an empty one"), "{said}");
    // Its scope came with the first pull, and nothing else did.
    let show = |number: &str| kiosk.run(&["orders", "show", number]).status.code();
    assert_eq!(show(AUSTIN_1), Some(0));
    assert_eq!(show(AUSTIN_2), Some(0));
    assert_eq!(show(DALLAS_1), Some(66));
    let status = kiosk.status();
    assert_eq!(status["hub"]["device_id"], "kiosk-a", "{status}");
    assert_eq!(status["hub"]["scope"], "store:austin-1", "{status}");
    assert_eq!(status["hub"]["url"], oms.url.as_str(), "{status}");
    // A second sync finds the store and says nothing of creating one.
    let again = kiosk.run(&args);
    assert!(again.status.success());
    assert!(!String::from_utf8_lossy(&again.stderr).contains("created"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_asks_the_hub_who_it_is() {
    let oms = Oms::start();
    let (status, body) = oms.get(SPEAKER, "/v1/device").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"schema_version": 1, "device_id": "speaker-ada",
               "scope": "customer:ada@example.com"})
    );
    assert_eq!(oms.get("not-a-token-0123456789", "/v1/device").await.0, 401);
}

/// Enrols a device with `oms devices add`; its token as printed, and what was printed.
fn enrol(
    home: &std::path::Path,
    db: &std::path::Path,
    id: &str,
    scope: &str,
) -> (String, String, String) {
    let (code, out, err) = oms_command(home, db, &["devices", "add", id, "--scope", scope]);
    assert_eq!(code, 0, "{err}");
    let token = out
        .lines()
        .find_map(|l| l.strip_prefix("token: "))
        .unwrap_or_else(|| panic!("no token in {out:?}"))
        .to_string();
    (token, out, err)
}

/// `voxorder --db DB oms ARGS…` in a private data directory: status, stdout, stderr.
fn oms_command(
    home: &std::path::Path,
    db: &std::path::Path,
    args: &[&str],
) -> (i32, String, String) {
    let out = std::process::Command::new(bin())
        .arg("--db")
        .arg(db)
        .arg("oms")
        .args(args)
        .env("VOXORDER_HOME", home)
        .env_remove("VOXORDER_CONFIG")
        .env_remove("VOXORDER_NOW")
        .env_remove("VOXORDER_LOG")
        .output()
        .expect("voxorder runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The status of `GET path` with `token`, over a connection of its own.
fn get_status(url: &str, token: &str, path: &str) -> u16 {
    use std::io::{Read, Write};
    let addr = url.strip_prefix("http://").expect("plain http");
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s.write_all(get_head(token, path).as_bytes())
        .expect("write");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read");
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"))
}

/// A device enrolled with `oms devices add` syncs with a server started without a tokens
/// file, until `oms devices revoke`, run by another process, cuts it off at once.
#[test]
fn an_enrolled_device_syncs_until_another_process_revokes_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let db = dir.path().join("oms.db");
    seed(&db);

    // No tokens file and nobody enrolled: no device could connect, so it does not start.
    let mut empty = std::process::Command::new(bin())
        .args(["--db"])
        .arg(&db)
        .args(["oms", "serve", "--listen", "127.0.0.1:0"])
        .env("VOXORDER_HOME", &home)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = std::time::Instant::now();
    let code = loop {
        if let Some(status) = empty.try_wait().expect("wait") {
            break status.code();
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = empty.kill();
            panic!("a server no device could reach started");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut said = String::new();
    std::io::Read::read_to_string(&mut empty.stderr.take().expect("stderr"), &mut said)
        .expect("stderr");
    assert_eq!(code, Some(78), "{said}");
    assert!(said.contains("no device could connect"), "{said}");

    let (token, out, err) = enrol(&home, &db, "kiosk-new", "store:austin-1");
    assert!(token.len() >= 32, "{token}");
    assert!(out.contains("not shown again"), "{out}");
    assert!(!err.contains(&token), "{err}");

    // The list shows the device, never its token or hash.
    let (code, list, _) = oms_command(&home, &db, &["devices", "list", "--json"]);
    assert_eq!(code, 0);
    let list: Value = serde_json::from_str(&list).expect("json");
    assert_eq!(list[0]["id"], "kiosk-new", "{list}");
    assert_eq!(list[0]["scope"], "store:austin-1", "{list}");
    assert_eq!(list[0]["revoked_at"], Value::Null, "{list}");
    let hash: String = voxorder_hub::devices::token_hash(&token)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let (_, table, _) = oms_command(&home, &db, &["devices", "list"]);
    for shown in [list.to_string(), table] {
        assert!(!shown.contains(&token) && !shown.contains(&hash), "{shown}");
    }

    let (_server, url) = common::serve_oms_with(bin(), &db, 0, &[]);
    let kiosk = Kiosk {
        db: dir.path().join("kiosk.db"),
        dir,
    };
    let sync = ["sync", "--once", "--oms", &url, "--oms-token", &token];
    let out = kiosk.run(&sync);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        kiosk.run(&["orders", "show", AUSTIN_1]).status.code(),
        Some(0)
    );
    assert_eq!(
        kiosk.run(&["orders", "show", DALLAS_1]).status.code(),
        Some(66)
    );
    assert_eq!(get_status(&url, &token, "/v1/device"), 200);

    // Another store's token on this store: its feed position and orders are austin-1's,
    // so it is refused with what to do, and nothing of the store changes.
    let (other, _, _) = enrol(&home, &db, "kiosk-other", "store:dallas-2");
    let moved = kiosk.run(&["sync", "--once", "--oms", &url, "--oms-token", &other]);
    let said = String::from_utf8_lossy(&moved.stderr).to_string()
        + &String::from_utf8_lossy(&moved.stdout);
    assert!(!moved.status.success(), "{said}");
    assert!(said.contains("synced for scope store:austin-1"), "{said}");
    assert!(said.contains("new store"), "{said}");
    assert_eq!(
        kiosk.run(&["orders", "show", AUSTIN_1]).status.code(),
        Some(0)
    );

    // Revoked by another process while the server runs: its very next request is refused.
    let (code, out, err) = oms_command(&home, &db, &["devices", "revoke", "kiosk-new"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("revoked kiosk-new"), "{out}");
    assert_eq!(get_status(&url, &token, "/v1/device"), 401);
    assert!(!kiosk.run(&sync).status.success());
    // Again: nothing to do; an unknown device is an error.
    assert_eq!(
        oms_command(&home, &db, &["devices", "revoke", "kiosk-new"]).0,
        0
    );
    let (code, _, err) = oms_command(&home, &db, &["devices", "revoke", "kiosk-404"]);
    assert_eq!(code, 66, "{err}");
    assert!(err.contains("no device kiosk-404"), "{err}");
    let (_, list, _) = oms_command(&home, &db, &["devices", "list", "--json"]);
    let list: Value = serde_json::from_str(&list).expect("json");
    assert!(list[0]["revoked_at"].is_string(), "{list}");
}

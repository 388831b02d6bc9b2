//! What a device token cannot do to the hub, over real HTTP on loopback: the server runs
//! in-process on a free port of 127.0.0.1 with a tokens file's worth of devices (and those
//! a test enrols in its store while it runs), and each
//! request is plain HTTP/1.1 written by hand, so a test can send what no client library
//! would. Every request is bounded in time.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::{json, Value};

use voxorder_domain::order::OrderRecord;
use voxorder_hub::db::Seed;
use voxorder_hub::{Database, Devices, Limits, ServeOptions};

const KIOSK: &str = "kiosk-token-0123456789";
const OTHER_KIOSK: &str = "other-kiosk-token-0123456789";
const OPS: &str = "operator-token-0123456789";
const SPEAKER: &str = "speaker-token-0123456789";
const AUSTIN_1: &str = "7100000000011";
const DALLAS_1: &str = "7200000000018";
/// Delivered to an Austin customer on 2026-03-08: returnable.
const AUSTIN_DELIVERED: &str = "7100000000037";
/// Delivered at Dallas; its number ends like Austin's.
const DALLAS_DELIVERED: &str = "7200000000037";

fn now() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 3, 10)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("time")
}

fn tee() -> voxorder_domain::records::Product {
    serde_json::from_value(json!({
        "sku": "TEE-NAVY-M", "name": "Classic Tee", "category": "apparel",
        "family": "tee", "price_cents": 2999, "stock": 100, "final_sale": false,
        "personalised": false, "active": true, "aliases": []
    }))
    .expect("product")
}

fn order(number: &str, store: &str, status: &str) -> voxorder_domain::order::Order {
    order_record(number, store, status)
        .validate()
        .expect("valid")
}

fn order_record(number: &str, store: &str, status: &str) -> OrderRecord {
    let mut rec: OrderRecord = serde_json::from_value(json!({
        "order_number": number, "status": status, "order_date": "2026-03-06",
        "store": store,
        "customer": {"name": "Someone", "email": "bo@example.com", "phone": "5125550199",
                     "billing_zip": "78701"},
        "items": [{"sku": "TEE-NAVY-M", "name": "Classic Tee", "qty": 2, "price": 29.99}],
        "subtotal": 59.98, "total": 59.98, "payment": {"method": "card", "last4": "4242"},
        "shipping_address": {"line1": "1 Main St", "city": "Austin", "state": "TX",
                             "zip": "78701"}
    }))
    .expect("record");
    if status == "delivered" {
        rec.shipped_at = Some("2026-03-07T09:00:00".into());
        rec.delivered_at = Some("2026-03-08T15:00:00".into());
    }
    rec
}

/// Which engine the hub under test stores its data in.
#[derive(Debug, Clone, Copy)]
enum Engine {
    Sqlite,
    Postgres,
}

/// A hub serving two kiosks and an operator, seeded with an order of each kiosk's store.
pub struct Hub {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    /// Its store, for the tests that enrol and revoke devices while it runs.
    pub database: Database,
    runtime: tokio::runtime::Runtime,
    /// Declared last: the cluster stops once the server is gone.
    _cluster: Option<voxorder_pgtemp::Cluster>,
}

impl Hub {
    pub fn start(limits: Limits) -> Hub {
        Hub::start_on(Engine::Sqlite, limits).expect("a SQLite hub always starts")
    }

    /// A hub on `engine`; `None` (said why) when PostgreSQL cannot run here and is not
    /// required.
    fn start_on(engine: Engine, limits: Limits) -> Option<Hub> {
        let dir = tempfile::tempdir().expect("tempdir");
        let (database, cluster) = match engine {
            Engine::Sqlite => (Database::Sqlite(dir.path().join("oms.db")), None),
            Engine::Postgres => {
                let cluster = voxorder_pgtemp::for_tests("hardening")?;
                let url = cluster.fresh_database().expect("createdb");
                let db = Database::parse(&url).expect("url");
                db.migrate().expect("migrate");
                (db, Some(cluster))
            }
        };
        database
            .open(2)
            .and_then(|oms| {
                oms.import(&Seed {
                    orders: vec![
                        order(AUSTIN_1, "austin-1", "processing"),
                        order(DALLAS_1, "dallas-2", "processing"),
                        order(AUSTIN_DELIVERED, "austin-1", "delivered"),
                        order(DALLAS_DELIVERED, "dallas-2", "delivered"),
                    ],
                    products: vec![tee()],
                    ..Seed::default()
                })
            })
            .expect("seed");
        let devices = Devices::from_entries([
            ("kiosk-1", KIOSK, "store:austin-1".parse().expect("scope")),
            (
                "kiosk-2",
                OTHER_KIOSK,
                "store:dallas-2".parse().expect("scope"),
            ),
            ("ops", OPS, voxorder_hub::Scope::everything()),
            (
                "speaker-1",
                SPEAKER,
                "customer:ada@example.com".parse().expect("scope"),
            ),
        ]);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let bound = runtime
            .block_on(voxorder_hub::bind(ServeOptions {
                listen: "127.0.0.1:0".parse().expect("addr"),
                database: database.clone(),
                pool_size: 4,
                devices,
                tls: None,
                limits,
                policy: Default::default(),
                clock: voxorder_domain::clock::Clock::fixed(now()),
            }))
            .expect("bind");
        let addr = bound.addr;
        runtime.spawn(bound.run());
        Some(Hub {
            addr,
            dir,
            database,
            runtime,
            _cluster: cluster,
        })
    }

    /// A connection from `source` (another loopback address is another peer).
    pub fn connect_from(&self, source: &str) -> std::io::Result<TcpStream> {
        let addr = self.addr;
        let source: SocketAddr = format!("{source}:0").parse().expect("source");
        let tcp = self.runtime.block_on(async move {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.bind(source)?;
            tokio::time::timeout(Duration::from_secs(5), socket.connect(addr))
                .await
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))?
        })?;
        let tcp = tcp.into_std()?;
        tcp.set_nonblocking(false)?;
        Ok(tcp)
    }

    /// One request on a connection of its own: the status and the body.
    pub fn request(&self, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
        let s = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5)).expect("connect");
        Self::request_on(s, method, path, token, body)
    }

    /// One request on `s`, which it then closes.
    pub fn request_on(
        mut s: TcpStream,
        method: &str,
        path: &str,
        token: &str,
        body: &str,
    ) -> (u16, String) {
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        s.set_write_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).expect("write head");
        s.write_all(body.as_bytes()).expect("write body");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("read answer");
        let status = answer
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("no status in {answer:?}"));
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    /// `POST /v1/commands` with one command per `(key, payload)`.
    pub fn push(&self, token: &str, commands: &[(String, Value)]) -> (u16, Value) {
        let batch = json!({
            "commands": commands.iter().map(|(key, payload)| json!({
                "idempotency_key": key,
                "kind": payload["kind"],
                "order_number": payload.get("order_number"),
                "payload": payload,
                "created_at": "2026-03-10T09:00:00",
            })).collect::<Vec<_>>()
        });
        self.push_raw(token, &batch.to_string())
    }

    pub fn push_raw(&self, token: &str, body: &str) -> (u16, Value) {
        let (status, body) = self.request("POST", "/v1/commands", token, body);
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    pub fn alive(&self) -> bool {
        self.request("GET", "/v1/stats", OPS, "").0 == 200
    }
}

fn a_payload_nested_past_the_bound_is_a_400_and_the_hub_goes_on_on(engine: Engine) {
    let Some(hub) = Hub::start_on(engine, Limits::default()) else {
        return;
    };
    // Deep inside a field the hub does not even read.
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let body = format!(
        r#"{{"commands": [{{"idempotency_key": "k-deep", "kind": "hand_off",
            "payload": {{"kind": "hand_off", "reason": "requested", "summary": "x",
                        "extra": {deep}}},
            "created_at": "2026-03-10T09:00:00"}}]}}"#
    );
    let (status, answer) = hub.push_raw(KIOSK, &body);
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"].as_str().unwrap_or("").contains("nest"),
        "{answer}"
    );
    assert!(hub.alive(), "the hub must keep serving");
    // Just under the bound is an ordinary (refused as malformed, not crashed) command.
    let shallow = format!("{}1{}", "[".repeat(20), "]".repeat(20));
    let (status, answer) = hub.push(
        KIOSK,
        &[(
            "k-ok".into(),
            json!({"kind": "hand_off", "reason": "requested", "summary": "x",
                   "extra": serde_json::from_str::<Value>(&shallow).expect("json")}),
        )],
    );
    assert_eq!(status, 200, "{answer}");
    assert!(hub.alive());
}

fn a_huge_or_strange_idempotency_key_is_a_400_and_stores_nothing_on(engine: Engine) {
    let Some(hub) = Hub::start_on(engine, Limits::default()) else {
        return;
    };
    let cancel = json!({"kind": "cancel_order", "order_number": AUSTIN_1,
                        "reason": "changed_mind"});
    for key in ["k".repeat(100_000), "k\u{0}ey".into(), "a key".into()] {
        let (status, answer) = hub.push(KIOSK, &[(key.clone(), cancel.clone())]);
        assert_eq!(status, 400, "{answer}");
        assert!(
            answer["error"]
                .as_str()
                .unwrap_or("")
                .contains("idempotency key"),
            "{answer}"
        );
    }
    let (_, stats) = hub.request("GET", "/v1/stats", OPS, "");
    let stats: Value = serde_json::from_str(&stats).expect("stats");
    assert_eq!(stats["commands_applied"], 0);
    assert_eq!(stats["commands_rejected"], 0);
}

/// The reason a one-command batch was rejected with (the batch itself is a 200).
fn rejected(hub: &Hub, key: &str, payload: Value) -> String {
    let (status, answer) = hub.push(KIOSK, &[(key.into(), payload)]);
    assert_eq!(status, 200, "{answer}");
    let result = &answer["results"][0];
    assert_eq!(result["outcome"], "rejected", "{key} was taken: {answer}");
    result["reason"].as_str().unwrap_or_default().to_string()
}

fn place(rec: &OrderRecord) -> Value {
    json!({"kind": "place_order", "order": rec})
}

fn a_new_order_is_priced_and_started_by_the_hub_not_the_device_on(engine: Engine) {
    let Some(hub) = Hub::start_on(engine, Limits::default()) else {
        return;
    };
    let good = || {
        let mut rec = order_record("7100000000045", "austin-1", "processing");
        rec.shipping_cost = 0.0;
        rec.estimated_delivery = Some("2026-03-17".into());
        rec
    };
    // A penny for two tees, already delivered.
    let mut penny = good();
    penny.status = "delivered".into();
    penny.delivered_at = Some("2026-03-10T09:00:00".into());
    penny.items[0].price = 0.01;
    penny.subtotal = 0.02;
    penny.total = 0.02;
    assert_eq!(rejected(&hub, "p-1", place(&penny)), "wrong_status");
    penny.status = "processing".into();
    penny.delivered_at = None;
    assert_eq!(rejected(&hub, "p-2", place(&penny)), "price_mismatch");
    // Right line prices, a total that does not add up.
    let mut total = good();
    total.total = 1.0;
    assert_eq!(rejected(&hub, "p-3", place(&total)), "price_mismatch");
    // Shipping left out of an order under the free threshold.
    let mut one = good();
    one.items[0].qty = 1;
    one.subtotal = 29.99;
    one.total = 29.99;
    assert_eq!(rejected(&hub, "p-4", place(&one)), "price_mismatch");
    let mut many = good();
    many.items[0].qty = 1000;
    many.subtotal = 29_990.0;
    many.total = 29_990.0;
    assert_eq!(rejected(&hub, "p-5", place(&many)), "quantity_out_of_range");
    let mut unknown = good();
    unknown.items[0].sku = "GOLD-BAR".into();
    assert_eq!(rejected(&hub, "p-6", place(&unknown)), "unknown_product");
    let mut nul = good();
    nul.customer.email = Some("bo\u{0}@example.com".into());
    assert_eq!(rejected(&hub, "p-7", place(&nul)), "invalid_command");

    let (status, answer) = hub.push(KIOSK, &[("p-ok".into(), place(&good()))]);
    assert_eq!(status, 200);
    assert_eq!(answer["results"][0]["outcome"], "applied", "{answer}");
}

fn a_return_is_judged_on_the_order_and_the_refund_on_its_lines_on(engine: Engine) {
    let Some(hub) = Hub::start_on(engine, Limits::default()) else {
        return;
    };
    let ret = |id: &str, number: &str, refund: i64, method: &str, ship_back: bool| {
        json!({"kind": "create_return", "return_id": id, "order_number": number,
               "lines": [{"line_no": 1, "qty": 1}], "reason": "changed_mind",
               "resolution": "refund", "refund_method": method, "refund_cents": refund,
               "ship_back": ship_back})
    };
    // A million by bank transfer, nothing sent back.
    assert_eq!(
        rejected(
            &hub,
            "r-1",
            ret(
                "00370001",
                AUSTIN_DELIVERED,
                100_000_000,
                "bank_transfer",
                false
            )
        ),
        "ship_back_required"
    );
    assert_eq!(
        rejected(
            &hub,
            "r-2",
            ret(
                "00370001",
                AUSTIN_DELIVERED,
                100_000_000,
                "bank_transfer",
                true
            )
        ),
        "refund_exceeds_lines"
    );
    // On an order that never shipped.
    assert_eq!(
        rejected(
            &hub,
            "r-3",
            ret("00110001", AUSTIN_1, 99_999_999, "original_payment", true)
        ),
        "not_returnable"
    );
    let mut two = ret("00370001", AUSTIN_DELIVERED, 5998, "original_payment", true);
    two["lines"][0]["qty"] = json!(3);
    assert_eq!(rejected(&hub, "r-4", two), "return_exceeds_line");
    // What the line is worth, by a method the policy offers: taken.
    let (_, answer) = hub.push(
        KIOSK,
        &[(
            "r-ok".into(),
            ret("00370001", AUSTIN_DELIVERED, 2999, "store_credit", true),
        )],
    );
    assert_eq!(answer["results"][0]["outcome"], "applied", "{answer}");
}

fn dates_addresses_and_text_are_bounded_on(engine: Engine) {
    let Some(hub) = Hub::start_on(engine, Limits::default()) else {
        return;
    };
    for (key, date) in [
        ("d-1", "1999-01-01"),
        ("d-2", "2099-01-01"),
        ("d-3", "2026-03-09"),
    ] {
        assert_eq!(
            rejected(
                &hub,
                key,
                json!({"kind": "reschedule_delivery", "order_number": AUSTIN_1,
                       "date": date, "slot": "morning"})
            ),
            "date_out_of_window",
            "{date}"
        );
    }
    let address = |line1: &str, state: &str, zip: &str, country: &str| {
        json!({"kind": "change_address", "order_number": AUSTIN_1,
               "address": {"line1": line1, "city": "Austin", "state": state, "zip": zip,
                           "country": country}})
    };
    for (key, payload) in [
        ("a-1", address(&"x".repeat(1_000), "TX", "78701", "US")),
        ("a-2", address("1 Main St", "Texas Republic", "78701", "US")),
        ("a-3", address("1 Main St", "TX", "7870", "US")),
        ("a-4", address("1 Main St", "ON", "ABCDEF", "CA")),
        (
            "a-5",
            address("1 Main St", "TX", "78701", "United States of Somewhere"),
        ),
        ("a-6", address("1 Main\u{1b}[2J St", "TX", "78701", "US")),
    ] {
        assert_eq!(rejected(&hub, key, payload), "invalid_command", "{key}");
    }
    // A 100 KB line does not even make a command.
    let (status, _) = hub.push(
        KIOSK,
        &[(
            "a-big".into(),
            address(&"x".repeat(100_000), "TX", "78701", "US"),
        )],
    );
    assert_eq!(status, 400);
    let summary = "y".repeat(10_000);
    assert_eq!(
        rejected(
            &hub,
            "h-1",
            json!({"kind": "hand_off", "reason": "requested", "summary": summary})
        ),
        "invalid_command"
    );
    let (_, answer) = hub.push(
        KIOSK,
        &[
            ("a-ok".into(), address("2 Oak Ave", "tx", "78702", "us")),
            (
                "d-ok".into(),
                json!({"kind": "reschedule_delivery", "order_number": AUSTIN_1,
                       "date": "2026-03-20", "slot": "evening"}),
            ),
        ],
    );
    assert_eq!(answer["results"][0]["outcome"], "applied", "{answer}");
    assert_eq!(answer["results"][1]["outcome"], "applied", "{answer}");
}

fn return_numbers_are_per_order_so_two_devices_never_collide_on(engine: Engine) {
    let Some(hub) = Hub::start_on(engine, Limits::default()) else {
        return;
    };
    let ret = |id: &str, number: &str| {
        json!({"kind": "create_return", "return_id": id, "order_number": number,
               "lines": [{"line_no": 1, "qty": 1}], "reason": "size_issue",
               "resolution": "exchange", "ship_back": true})
    };
    // Each kiosk numbers its first return of an order ending in 0037 the same way.
    for (token, number) in [(KIOSK, AUSTIN_DELIVERED), (OTHER_KIOSK, DALLAS_DELIVERED)] {
        let (status, answer) = hub.push(token, &[("ret-1".into(), ret("00370001", number))]);
        assert_eq!(status, 200, "{answer}");
        assert_eq!(
            answer["results"][0]["outcome"], "applied",
            "{number}: {answer}"
        );
    }
    // A number that is not the order's is refused, whoever's order it names.
    assert_eq!(
        rejected(&hub, "ret-2", ret("00110001", AUSTIN_DELIVERED)),
        "return_id_mismatch"
    );
    // The same number twice on one order is still one return.
    assert_eq!(
        rejected(&hub, "ret-3", ret("00370001", AUSTIN_DELIVERED)),
        "return_exists"
    );
}

#[test]
fn a_flood_of_idle_connections_from_one_peer_does_not_lock_out_another() {
    let hub = Hub::start(Limits {
        max_connections: 16,
        max_connections_per_peer: 4,
        header_timeout: Duration::from_secs(30),
        ..Limits::default()
    });
    // Three times the total cap of connections that never send a byte, from one address.
    let idle: Vec<TcpStream> = (0..48)
        .filter_map(|_| hub.connect_from("127.0.0.1").ok())
        .collect();
    assert!(!idle.is_empty());
    std::thread::sleep(Duration::from_millis(200));
    // A device at another address is served at once, several times over.
    for _ in 0..3 {
        let s = hub
            .connect_from("127.0.0.2")
            .expect("connect from the second peer");
        let (status, body) = Hub::request_on(s, "GET", "/v1/stats", OPS, "");
        assert_eq!(status, 200, "{body}");
    }
    drop(idle);
}

fn subscriptions_are_named_by_reference_scoped_by_customer_and_bounded_on(engine: Engine) {
    let Some(hub) = Hub::start_on(engine, Limits::default()) else {
        return;
    };
    let create = |reference: &str, email: &str, sku: &str, qty: u32, every: u32| {
        json!({"kind": "create_subscription", "customer_id": 7, "customer_email": email,
               "subscription_ref": reference, "sku": sku, "qty": qty,
               "frequency_days": every, "next_date": "2026-03-20"})
    };
    let pause = |reference: Option<&str>, id: i64| {
        let mut c = json!({"kind": "update_subscription", "subscription_id": id,
                           "action": {"action": "pause"}});
        if let Some(r) = reference {
            c["subscription_ref"] = r.into();
        }
        c
    };
    const BOS: &str = "3f1c9a52-8b1e-4c7a-9d1e-2f6a0b3c4d5e";
    // Bo has orders at the kiosk's store: the kiosk may subscribe Bo.
    let (_, answer) = hub.push(
        KIOSK,
        &[(
            "s-ok".into(),
            create(BOS, "Bo@Example.com", "TEE-NAVY-M", 2, 30),
        )],
    );
    assert_eq!(answer["results"][0]["outcome"], "applied", "{answer}");
    // A customer the kiosk has never served is not its to subscribe.
    let (status, _) = hub.push(
        KIOSK,
        &[(
            "s-1".into(),
            create("ref-2", "nobody@example.com", "TEE-NAVY-M", 1, 30),
        )],
    );
    assert_eq!(status, 403);
    for (key, payload, reason) in [
        (
            "s-2",
            create("ref-3", "bo@example.com", "TEE-NAVY-M", 1_000_000, 1),
            "quantity_out_of_range",
        ),
        (
            "s-3",
            create("ref-4", "bo@example.com", "GOLD-BAR", 1, 30),
            "unknown_product",
        ),
        (
            "s-4",
            create("ref-5", "bo@example.com", "TEE-NAVY-M", 1, 0),
            "frequency_out_of_range",
        ),
        (
            "s-5",
            create(BOS, "bo@example.com", "TEE-NAVY-M", 1, 30),
            "subscription_exists",
        ),
    ] {
        assert_eq!(rejected(&hub, key, payload), reason, "{key}");
    }
    // Ada's speaker cannot touch Bo's subscription, nor reach one by a device's number.
    let (status, _) = hub.push(SPEAKER, &[("p-1".into(), pause(Some(BOS), 1))]);
    assert_eq!(status, 403);
    let (_, answer) = hub.push(SPEAKER, &[("p-2".into(), pause(None, 1))]);
    assert_eq!(
        answer["results"][0]["reason"], "subscription_not_found",
        "{answer}"
    );
    // The kiosk that serves Bo may, until it is cancelled.
    let (_, answer) = hub.push(KIOSK, &[("p-3".into(), pause(Some(BOS), 1))]);
    assert_eq!(answer["results"][0]["outcome"], "applied", "{answer}");
    let cancel = json!({"kind": "update_subscription", "subscription_id": 1,
                        "subscription_ref": BOS, "action": {"action": "cancel"}});
    let (_, answer) = hub.push(KIOSK, &[("p-4".into(), cancel)]);
    assert_eq!(answer["results"][0]["outcome"], "applied", "{answer}");
    assert_eq!(
        rejected(&hub, "p-5", pause(Some(BOS), 1)),
        "subscription_cancelled"
    );
}

/// One request on `s` that keeps the connection open, and its status.
fn keep_alive_request(s: &mut TcpStream, path: &str, token: &str) -> u16 {
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let head = format!("GET {path} HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer {token}\r\n\r\n");
    s.write_all(head.as_bytes()).expect("write head");
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    while !answer.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).expect("read head");
        answer.push(byte[0]);
    }
    let head = String::from_utf8(answer).expect("head");
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().expect("length"))
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    s.read_exact(&mut body).expect("read body");
    head.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"))
}

fn an_enrolled_device_is_let_in_within_its_scope_and_refused_once_revoked_on(engine: Engine) {
    let Some(hub) = Hub::start_on(engine, Limits::default()) else {
        return;
    };
    let db = hub.database.clone();
    // Enrolled while the server runs, from a connection of its own, as the
    // `oms devices` commands of another process would.
    let (record, token) =
        voxorder_hub::add_device(&db, "kiosk-9", "store:austin-1", None, now()).expect("add");
    assert_eq!(record.scope, "store:austin-1");
    let token = token.expect("a new token");
    let token = token.reveal();

    let (status, body) = hub.request("GET", "/v1/device", token, "");
    assert_eq!(status, 200, "{body}");
    let info: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        (info["device_id"].as_str(), info["scope"].as_str()),
        (Some("kiosk-9"), Some("store:austin-1"))
    );
    // The scope the store holds is the one enforced.
    assert_eq!(
        hub.request("GET", &format!("/v1/orders/{AUSTIN_1}"), token, "")
            .0,
        200
    );
    assert_eq!(
        hub.request("GET", &format!("/v1/orders/{DALLAS_1}"), token, "")
            .0,
        404
    );
    let cancel = json!({"kind": "cancel_order", "order_number": DALLAS_1,
                        "reason": "changed_mind"});
    assert_eq!(hub.push(token, &[("k-far".into(), cancel)]).0, 403);
    assert_eq!(hub.request("GET", "/v1/stats", token, "").0, 403);

    // A connection kept open across the revocation: its very next request is refused.
    let mut kept = TcpStream::connect_timeout(&hub.addr, Duration::from_secs(5)).expect("connect");
    assert_eq!(keep_alive_request(&mut kept, "/v1/device", token), 200);
    voxorder_hub::revoke_device(&db, "kiosk-9", now()).expect("revoke");
    assert_eq!(keep_alive_request(&mut kept, "/v1/device", token), 401);
    assert_eq!(hub.request("GET", "/v1/device", token, "").0, 401);
    // Revoking again changes nothing; an unknown id is an error.
    assert!(matches!(
        voxorder_hub::revoke_device(&db, "kiosk-9", now()),
        Ok(voxorder_hub::db::Revocation::AlreadyRevoked { .. })
    ));
    assert!(matches!(
        voxorder_hub::revoke_device(&db, "kiosk-404", now()),
        Err(voxorder_hub::RegistryError::Unknown { .. })
    ));
    // The tokens file's devices are untouched.
    assert!(hub.alive());
}

fn a_device_enrolled_by_its_token_hash_is_let_in_with_that_token_on(engine: Engine) {
    let Some(hub) = Hub::start_on(engine, Limits::default()) else {
        return;
    };
    let db = hub.database.clone();
    let token = "made-elsewhere-token-0123456789";
    let hex: String = voxorder_hub::devices::token_hash(token)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let (_, shown) = voxorder_hub::add_device(
        &db,
        "speaker-9",
        "customer:ada@example.com",
        Some(&format!("sha256:{hex}")),
        now(),
    )
    .expect("add");
    assert!(shown.is_none(), "no token to show: it was made elsewhere");
    let (status, body) = hub.request("GET", "/v1/device", token, "");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("speaker-9"), "{body}");
    // The hash itself is not a token.
    assert_eq!(
        hub.request("GET", "/v1/device", &format!("sha256:{hex}"), "")
            .0,
        401
    );
    // Nor is a token any other device already has.
    assert!(matches!(
        voxorder_hub::add_device(
            &db,
            "speaker-10",
            "*",
            Some(&format!("sha256:{hex}")),
            now()
        ),
        Err(voxorder_hub::RegistryError::TokenTaken)
    ));
}

#[test]
fn a_hub_no_device_could_reach_or_with_a_device_twice_does_not_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Database::Sqlite(dir.path().join("oms.db"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let bind = |devices: Devices| {
        runtime.block_on(voxorder_hub::bind(ServeOptions {
            listen: "127.0.0.1:0".parse().expect("addr"),
            database: db.clone(),
            pool_size: 1,
            devices,
            tls: None,
            limits: Limits::default(),
            policy: Default::default(),
            clock: voxorder_domain::clock::Clock::fixed(now()),
        }))
    };
    assert!(matches!(
        bind(Devices::default()),
        Err(voxorder_hub::OmsError::NoDevices { .. })
    ));
    voxorder_hub::add_device(&db, "kiosk-1", "store:austin-1", None, now()).expect("add");
    assert!(bind(Devices::default()).is_ok());
    // A revoked device counts for nothing.
    voxorder_hub::revoke_device(&db, "kiosk-1", now()).expect("revoke");
    assert!(matches!(
        bind(Devices::default()),
        Err(voxorder_hub::OmsError::NoDevices { .. })
    ));
    let file =
        Devices::from_entries([("kiosk-1", KIOSK, "store:austin-1".parse().expect("scope"))]);
    assert!(matches!(
        bind(file),
        Err(voxorder_hub::OmsError::DeviceInBoth { ref id }) if id == "kiosk-1"
    ));
}

/// Each rule above, as a test on each engine: `NAME` on SQLite, `NAME_on_postgres` on a
/// throwaway PostgreSQL cluster.
macro_rules! on_both_engines {
    ($($name:ident, $pg:ident: $body:ident;)*) => {$(
        #[test]
        fn $name() {
            $body(Engine::Sqlite);
        }

        #[test]
        fn $pg() {
            $body(Engine::Postgres);
        }
    )*};
}

on_both_engines! {
    a_payload_nested_past_the_bound_is_a_400_and_the_hub_goes_on,
    a_payload_nested_past_the_bound_is_a_400_and_the_hub_goes_on_on_postgres:
        a_payload_nested_past_the_bound_is_a_400_and_the_hub_goes_on_on;
    a_huge_or_strange_idempotency_key_is_a_400_and_stores_nothing,
    a_huge_or_strange_idempotency_key_is_a_400_and_stores_nothing_on_postgres:
        a_huge_or_strange_idempotency_key_is_a_400_and_stores_nothing_on;
    a_new_order_is_priced_and_started_by_the_hub_not_the_device,
    a_new_order_is_priced_and_started_by_the_hub_not_the_device_on_postgres:
        a_new_order_is_priced_and_started_by_the_hub_not_the_device_on;
    a_return_is_judged_on_the_order_and_the_refund_on_its_lines,
    a_return_is_judged_on_the_order_and_the_refund_on_its_lines_on_postgres:
        a_return_is_judged_on_the_order_and_the_refund_on_its_lines_on;
    dates_addresses_and_text_are_bounded,
    dates_addresses_and_text_are_bounded_on_postgres:
        dates_addresses_and_text_are_bounded_on;
    return_numbers_are_per_order_so_two_devices_never_collide,
    return_numbers_are_per_order_so_two_devices_never_collide_on_postgres:
        return_numbers_are_per_order_so_two_devices_never_collide_on;
    subscriptions_are_named_by_reference_scoped_by_customer_and_bounded,
    subscriptions_are_named_by_reference_scoped_by_customer_and_bounded_on_postgres:
        subscriptions_are_named_by_reference_scoped_by_customer_and_bounded_on;
    an_enrolled_device_is_let_in_within_its_scope_and_refused_once_revoked,
    an_enrolled_device_is_let_in_within_its_scope_and_refused_once_revoked_on_postgres:
        an_enrolled_device_is_let_in_within_its_scope_and_refused_once_revoked_on;
    a_device_enrolled_by_its_token_hash_is_let_in_with_that_token,
    a_device_enrolled_by_its_token_hash_is_let_in_with_that_token_on_postgres:
        a_device_enrolled_by_its_token_hash_is_let_in_with_that_token_on;
}

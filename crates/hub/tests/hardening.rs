//! What a device token cannot do to the hub, over real HTTP on loopback: the server runs
//! in-process on a free port of 127.0.0.1 with a tokens file's worth of devices, and each
//! request is plain HTTP/1.1 written by hand, so a test can send what no client library
//! would. Every request is bounded in time.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::{json, Value};

use voxorder_domain::order::OrderRecord;
use voxorder_hub::db::{OmsDb, Seed};
use voxorder_hub::{Devices, Limits, ServeOptions};

const KIOSK: &str = "kiosk-token-0123456789";
const OTHER_KIOSK: &str = "other-kiosk-token-0123456789";
const OPS: &str = "operator-token-0123456789";
const AUSTIN_1: &str = "7100000000011";
const DALLAS_1: &str = "7200000000018";

fn order(number: &str, store: &str, status: &str) -> voxorder_domain::order::Order {
    let rec: OrderRecord = serde_json::from_value(json!({
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
    rec.validate().expect("valid")
}

/// A hub serving two kiosks and an operator, seeded with an order of each kiosk's store.
pub struct Hub {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

impl Hub {
    pub fn start(limits: Limits) -> Hub {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("oms.db");
        OmsDb::open(&db)
            .and_then(|mut oms| {
                oms.import(&Seed {
                    orders: vec![
                        order(AUSTIN_1, "austin-1", "processing"),
                        order(DALLAS_1, "dallas-2", "processing"),
                    ],
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
        ]);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let bound = runtime
            .block_on(voxorder_hub::bind(ServeOptions {
                listen: "127.0.0.1:0".parse().expect("addr"),
                db,
                devices,
                tls: None,
                limits,
                policy: Default::default(),
            }))
            .expect("bind");
        let addr = bound.addr;
        runtime.spawn(bound.run());
        Hub {
            addr,
            dir,
            _runtime: runtime,
        }
    }

    /// One request on a connection of its own: the status and the body.
    pub fn request(&self, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
        let mut s =
            TcpStream::connect_timeout(&self.addr, Duration::from_secs(5)).expect("connect");
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

#[test]
fn a_payload_nested_past_the_bound_is_a_400_and_the_hub_goes_on() {
    let hub = Hub::start(Limits::default());
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
                   "extra": serde_json::from_str::<Value>(&shallow).unwrap()}),
        )],
    );
    assert_eq!(status, 200, "{answer}");
    assert!(hub.alive());
}

#[test]
fn a_huge_or_strange_idempotency_key_is_a_400_and_stores_nothing() {
    let hub = Hub::start(Limits::default());
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

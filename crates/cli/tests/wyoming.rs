//! `voxorder wyoming` with the real models, driven by the pinned Python `wyoming` library
//! (the one Home Assistant uses, `tests/wyoming/client.py`) as Home Assistant drives it:
//! describe, recognition of a clip in several formats, a synthesis heard back by the
//! product's own recogniser, a household reorder over three turns checked in the store,
//! two clients at once, and bad input. Each test starts its own server on a free port
//! of 127.0.0.1, and every wait is bounded. Skipped, saying so, only where there is no
//! python3 at all.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

mod binary;
use binary::Env;

use voxorder_domain::clock::parse_now;
use voxorder_domain::import::read_order_file;
use voxorder_store::demo::{catalog, Rng, DEMO_SEED};
use voxorder_store::documents::default_documents;
use voxorder_store::{NewSubscription, OpenMode, Store, SubscriptionStatus};

const NOW: &str = "2026-03-10T10:00:00";
/// Loading the recogniser, voice, wake word and intent model on a busy machine.
const START_TIME: Duration = Duration::from_secs(120);
/// Creating the virtualenv downloads the library the first time.
const SETUP_TIME: Duration = Duration::from_secs(300);
const CLIENT_TIME: Duration = Duration::from_secs(180);
const KITCHEN: &str = "assist_satellite.kitchen";
const ADA: &str = "ada.park@example.com";

/// A running `voxorder wyoming`, killed and reaped on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The pinned client library's virtualenv (`scripts/setup.sh` makes it; made here too
/// when a test runs first), or `None` without python3.
fn python() -> Option<&'static Path> {
    static VENV: OnceLock<Option<PathBuf>> = OnceLock::new();
    VENV.get_or_init(|| {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        if Command::new(&python).arg("--version").output().is_err() {
            println!("SKIPPED: {python} is not installed, so the Python client cannot run");
            return None;
        }
        // target/tmp → target/wyoming-venv, wherever the target directory is.
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .expect("the target directory")
            .join("wyoming-venv");
        let setup = repo().join("crates/wyoming/tests/client/setup.sh");
        let (status, out) = run_bounded(
            Command::new("sh").arg(setup).arg(&venv),
            SETUP_TIME,
            "setup.sh",
        );
        assert!(status, "setting up the client's venv failed: {out}");
        Some(venv.join("bin/python"))
    })
    .as_deref()
}

/// Runs `cmd` for at most `limit`, killing it then; its success and stdout.
fn run_bounded(cmd: &mut Command, limit: Duration, what: &str) -> (bool, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what} could not start: {e}"));
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} took longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (out, err) = (out.join().expect("stdout"), err.join().expect("stderr"));
    eprint!("{err}");
    (status.success(), out)
}

/// Starts the server over `db` with `config` (TOML text) on a free port and waits for
/// its `listening on` line.
fn serve(env: &Env, db: &str, config: &str) -> Server {
    let path = env.path("voxorder.toml");
    std::fs::write(&path, config).expect("config");
    let log = std::fs::File::create(env.path("server.log")).expect("log");
    let mut child = env
        .command(&[
            "--db",
            db,
            "--now",
            NOW,
            "--config",
            &path.to_string_lossy(),
            "wyoming",
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("voxorder wyoming starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let mut server = Server { child, port: 0 };
    let line = rx.recv_timeout(START_TIME).unwrap_or_else(|_| {
        let log = std::fs::read_to_string(env.path("server.log")).unwrap_or_default();
        panic!("the server did not start: {log}")
    });
    let addr = line
        .trim()
        .strip_prefix("wyoming: listening on ")
        .unwrap_or_else(|| {
            let log = std::fs::read_to_string(env.path("server.log")).unwrap_or_default();
            panic!("unexpected server output {line:?}: {log}")
        });
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    server.port = addr
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    server
}

/// The conversation fixture store, as the agent's conversation tests make it: the demo
/// catalog, the default documents, the fixture orders and Ada Park's coffee
/// subscription (her usual).
fn store(env: &Env) -> String {
    let path = env.path("store.db");
    let now = parse_now(NOW).expect("time");
    let mut store = Store::open(&path, OpenMode::CreateIfMissing).expect("store");
    store
        .upsert_products(&catalog(&mut Rng::new(DEMO_SEED)), now)
        .expect("catalog");
    store
        .upsert_documents(&default_documents(), now)
        .expect("documents");
    let orders = read_order_file(&repo().join("tests/data/conversations/orders.json"))
        .expect("fixture orders");
    store.upsert_orders(&orders, now).expect("import");
    let ada = store
        .customer_id_by_email(ADA)
        .expect("lookup")
        .expect("Ada is a customer");
    store
        .insert_subscription(
            &NewSubscription {
                customer_id: ada,
                sku: "COF-BEAN-1KG".into(),
                qty: 1,
                frequency_days: 14,
                next_date: Some(now.date() + chrono::Duration::days(5)),
                status: SubscriptionStatus::Active,
            },
            now,
        )
        .expect("subscription");
    path.to_string_lossy().into_owned()
}

/// One call of `client.py`: what it printed, as JSON.
fn client(python: &Path, server: &Server, args: &[&str]) -> serde_json::Value {
    let script = repo().join("crates/cli/tests/wyoming/client.py");
    let (ok, out) = run_bounded(
        Command::new(python)
            .arg(script)
            .arg(server.port.to_string())
            .args(args),
        CLIENT_TIME,
        "client.py",
    );
    assert!(ok, "client.py {args:?} failed: {out}");
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

fn words(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn describe_lists_the_four_services_as_home_assistant_reads_them() {
    let Some(python) = python() else { return };
    let env = Env::new();
    let server = serve(&env, &store(&env), "");
    let info = client(python, &server, &["describe"]);
    assert_eq!(info["asr"].as_array().map(Vec::len), Some(1), "{info}");
    assert_eq!(info["asr_languages"], serde_json::json!(["en"]), "{info}");
    assert_eq!(
        info["tts"],
        serde_json::json!(["en_US-joe-medium"]),
        "{info}"
    );
    assert_eq!(info["tts_streaming"], serde_json::json!([true]), "{info}");
    assert_eq!(
        info["handle"],
        serde_json::json!(["voxorder-orders"]),
        "{info}"
    );
    assert_eq!(
        info["wake"],
        serde_json::json!(["hey_jarvis_v0.1"]),
        "{info}"
    );
    // A satellite in `info` would hide every other service from Home Assistant.
    assert_eq!(info["satellite"], false, "{info}");
}

#[test]
fn a_clip_is_transcribed_in_any_rate_width_and_channel_count() {
    let Some(python) = python() else { return };
    let env = Env::new();
    let server = serve(&env, &store(&env), "");
    let clip = repo().join("tests/data/asr/order.wav");
    let clip = clip.to_string_lossy();
    // As Home Assistant sends it (16 kHz mono 16-bit; the clip is 22050 Hz), and formats
    // the recogniser never sees without conversion.
    for format in [
        &["16000", "1", "2"][..],
        &["44100", "2", "4"],
        &["48000", "2", "3"],
        &["8000", "1", "1"],
    ] {
        let mut args = vec!["transcribe", &*clip];
        args.extend_from_slice(format);
        let heard = client(python, &server, &args);
        let text = words(heard["text"].as_str().unwrap_or_default());
        // 8-bit audio at 8 kHz is telephone quality: the order number must survive.
        let expected = if format.last() == Some(&"1") {
            "my order 1 2 3 4"
        } else {
            "where is my order"
        };
        assert!(text.contains(expected), "{format:?}: {heard}");
    }
}

#[test]
fn synthesised_speech_streams_and_is_heard_back_by_the_recogniser() {
    let Some(python) = python() else { return };
    let env = Env::new();
    let server = serve(&env, &store(&env), "");
    let text = "Your order is on its way. It should arrive on Thursday.";
    for mode in ["plain", "streamed"] {
        let said = client(python, &server, &["synthesize", text, mode]);
        // One audio envelope per sentence streamed, one for a plain request.
        let envelopes = if mode == "plain" { 1 } else { 2 };
        assert_eq!(said["starts"], envelopes, "{mode}: {said}");
        assert_eq!(said["stops"], envelopes, "{mode}: {said}");
        assert_eq!(said["rate"], 22_050, "{said}");
        assert_eq!(said["width"], 2, "{said}");
        assert!(said["seconds"].as_f64().expect("seconds") > 1.5, "{said}");
        assert!(said["chunks"].as_u64().expect("chunks") > 4, "{said}");
        // Sent chunk by chunk: the first audio leaves before the last is made.
        let first = said["first_audio_ms"].as_f64().expect("first audio");
        let done = said["done_ms"].as_f64().expect("done");
        assert!(first < done, "{said}");
        let heard = words(said["heard"].as_str().unwrap_or_default());
        for w in ["order", "way", "arrive", "thursday"] {
            assert!(heard.contains(w), "{mode}: {w:?} missing from {heard:?}");
        }
    }
}

#[test]
fn a_household_speaker_reorders_over_three_turns_into_the_store_and_outbox() {
    let Some(python) = python() else { return };
    let env = Env::new();
    let db = store(&env);
    let config = format!("[wyoming.households]\n\"{KITCHEN}\" = \"{ADA}\"\n");
    let server = serve(&env, &db, &config);
    let before = Store::open(Path::new(&db), OpenMode::Existing)
        .expect("store")
        .outbox()
        .expect("outbox")
        .len();
    let result = client(
        python,
        &server,
        &[
            "handle",
            "01JC-kitchen-1",
            KITCHEN,
            "hey, reorder the coffee beans I usually get",
            "actually make it three bags this time",
            "yep, place it",
        ],
    );
    let turns = result["turns"].as_array().expect("turns");
    assert_eq!(turns.len(), 3, "{result}");
    assert!(turns.iter().all(|t| t["handled"] == true), "{result}");
    let first = turns[0]["text"].as_str().expect("text").to_lowercase();
    assert!(first.contains("coffee"), "{first}");
    let last = turns[2]["text"].as_str().expect("text").to_lowercase();
    assert!(last.contains("order is placed"), "{last}");

    let store = Store::open(Path::new(&db), OpenMode::Existing).expect("store");
    let outbox = store.outbox().expect("outbox");
    let placed: Vec<_> = outbox[before..]
        .iter()
        .filter(|e| e.kind == "place_order")
        .collect();
    assert_eq!(placed.len(), 1, "{outbox:?}");
    let number = placed[0].order_number.as_deref().expect("an order number");
    let order = store.order(number).expect("query").expect("the new order");
    assert_eq!(
        order.customer.email.as_deref(),
        Some("ada.park@example.com")
    );
    let beans: Vec<_> = order
        .items
        .iter()
        .filter(|i| i.sku == "COF-BEAN-1KG")
        .collect();
    assert_eq!(beans.len(), 1, "{:?}", order.items);
    assert_eq!(beans[0].qty, 3, "{:?}", order.items);
    // Three connections, one conversation.
    let report: serde_json::Value =
        serde_json::from_str(&env.run_ok(&["--db", &db, "report", "--json"])).expect("JSON");
    assert_eq!(report["conversations"], 1, "{report}");
}

#[test]
fn an_unlinked_satellite_is_not_given_a_household() {
    let Some(python) = python() else { return };
    let env = Env::new();
    let db = store(&env);
    // The kitchen's device is linked too; the hall satellite runs on it but is not, and a
    // satellite id, when sent, is what counts.
    let config = format!(
        "[wyoming.households]\n\"{KITCHEN}\" = \"{ADA}\"\n\"kitchen-device-1\" = \"{ADA}\"\n"
    );
    let server = serve(&env, &db, &config);
    let result = client(
        python,
        &server,
        &[
            "handle",
            "01JC-hall-1",
            "assist_satellite.hall|kitchen-device-1",
            "hey, reorder the coffee beans I usually get",
        ],
    );
    // Without the link the agent cannot know whose usual order it is.
    let reply = result["turns"][0]["text"]
        .as_str()
        .expect("text")
        .to_lowercase();
    assert!(!reply.contains("coffee"), "{reply}");
}

#[test]
fn two_clients_at_once_keep_separate_conversations() {
    let Some(python) = python() else { return };
    let env = Env::new();
    let server = serve(&env, &store(&env), "");
    let result = client(python, &server, &["two-clients"]);
    let a: Vec<String> = result["a"]
        .as_array()
        .expect("a")
        .iter()
        .map(|t| t["text"].as_str().unwrap_or_default().to_lowercase())
        .collect();
    let b: Vec<String> = result["b"]
        .as_array()
        .expect("b")
        .iter()
        .map(|t| t["text"].as_str().unwrap_or_default().to_lowercase())
        .collect();
    assert_eq!((a.len(), b.len()), (3, 3), "{result}");
    // A gave its order number and then its zip in its own conversation: verified, the
    // status is told. B, asking to cancel between A's turns, gives the same order's
    // number and is asked to verify it in its own conversation: A's check is not B's.
    assert!(a[1].contains("zip") || a[1].contains("verify"), "{a:?}");
    assert!(
        a[2].contains("order") && !a[2].contains("zip code"),
        "{a:?}"
    );
    assert!(b[0].contains("return"), "{b:?}");
    assert!(b[2].contains("zip") || b[2].contains("verify"), "{b:?}");
}

#[test]
fn bad_input_gets_an_error_or_a_close_and_the_server_keeps_serving() {
    let Some(python) = python() else { return };
    let env = Env::new();
    let config = "[wyoming]\nidle_timeout_seconds = 2\nmax_payload_kb = 64\n";
    let server = serve(&env, &store(&env), config);
    let result = client(python, &server, &["bad-inputs"]);
    let check = |case: &str, code: &str| {
        let r = &result[case];
        assert!(
            r["types"]
                .as_array()
                .expect("types")
                .contains(&"error".into()),
            "{case}: {r}"
        );
        assert!(
            r["codes"].as_array().expect("codes").contains(&code.into()),
            "{case}: {r}"
        );
        assert_eq!(r["closed"], true, "{case}: {r}");
    };
    check("malformed_header", "malformed-header");
    check("oversized_payload", "payload-too-large");
    check("oversized_header", "header-too-long");
    // An unknown event is ignored; the describe after it is answered on the same line.
    let unknown = &result["unknown_event"];
    assert_eq!(unknown["types"], serde_json::json!(["info"]), "{unknown}");
    assert_eq!(result["after_disconnects"], true, "{result}");
    let slow = &result["slow_client"];
    let after = slow["closed_after_s"].as_f64().expect("seconds");
    assert!((1.5..10.0).contains(&after), "{slow}");
    assert!(
        slow["answer"]
            .as_str()
            .expect("answer")
            .contains("idle-timeout"),
        "{slow}"
    );
    assert_eq!(result["serving_at_end"], true, "{result}");
}

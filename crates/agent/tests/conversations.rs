//! Whole conversations through the real NLU model, dialog engine and SQLite store, from
//! the data files in `tests/data/conversations/*.toml`. Each file is a script of user
//! turns with what the reply must (and must not) say and which changes each turn makes,
//! then the state the store and its outbox must be in afterwards.
//!
//! Every conversation gets a fresh store: the demo catalog, the default documents, the
//! fixture orders of `orders.json`, and Ada Park's coffee subscription.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use voxorder_agent::{Agent, StartOptions};
use voxorder_config::Config;
use voxorder_dialog::Catalog;
use voxorder_domain::clock::{parse_now, Clock};
use voxorder_domain::import::read_order_file;
use voxorder_nlu::classifier::OnnxIntentClassifier;
use voxorder_nlu::knowledge::KnowledgeBase;
use voxorder_nlu::Nlu;
use voxorder_store::demo::{catalog, Rng, DEMO_SEED};
use voxorder_store::documents::default_documents;
use voxorder_store::{LockKey, NewSubscription, OpenMode, Store, SubscriptionStatus};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn data() -> PathBuf {
    root().join("tests/data/conversations")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Script {
    description: String,
    now: String,
    #[serde(default)]
    customer: Option<String>,
    #[serde(default)]
    confirm: Option<String>,
    /// The agent's opening words (outbound calls) must contain these.
    #[serde(default)]
    opening_says: Vec<String>,
    /// …and must not contain these.
    #[serde(default)]
    opening_not_says: Vec<String>,
    turn: Vec<TurnSpec>,
    #[serde(default)]
    expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TurnSpec {
    user: String,
    #[serde(default)]
    intent: Option<String>,
    #[serde(default)]
    says: Vec<String>,
    #[serde(default)]
    not_says: Vec<String>,
    /// Kinds of the changes applied in this turn, in order; absent: not checked.
    #[serde(default)]
    changes: Option<Vec<String>>,
    #[serde(default)]
    end: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// order number → expected columns (status, estimated_delivery, city, zip, line1, version).
    #[serde(default)]
    orders: BTreeMap<String, BTreeMap<String, String>>,
    /// Kinds of every outbox command, in order.
    #[serde(default)]
    outbox: Option<Vec<String>>,
    /// Fields every outbox payload of a kind must have (kind → field → value); a field
    /// inside an object is named by its path ("order.shipping_method").
    #[serde(default)]
    payload: BTreeMap<String, BTreeMap<String, toml::Value>>,
    /// order number → returns: each a map of reason/resolution/status/refund_method.
    #[serde(default)]
    returns: BTreeMap<String, Vec<BTreeMap<String, String>>>,
    /// lock key → failures (and locked = true/false).
    #[serde(default)]
    locks: BTreeMap<String, BTreeMap<String, toml::Value>>,
    /// sku → status / frequency_days / qty of Ada's subscriptions.
    #[serde(default)]
    subscriptions: BTreeMap<String, BTreeMap<String, toml::Value>>,
    #[serde(default)]
    outcome: Option<String>,
    /// The SKUs of every order placed in the conversation, in the order placed.
    #[serde(default)]
    new_orders: Option<Vec<String>>,
    /// Every line of every order placed, as "SKU xN", in the order placed.
    #[serde(default)]
    new_order_lines: Option<Vec<String>>,
    /// How every order placed is paid: "cod", or a card as "Visa 4242".
    #[serde(default)]
    new_order_payment: Option<String>,
}

fn nlu(store: &Store) -> Nlu {
    let models = root().join("models");
    let lib = voxorder_runtime::paths::ort_lib(&models);
    assert!(
        lib.exists(),
        "{} is missing: run `bash scripts/setup.sh`",
        lib.display()
    );
    let classifier =
        OnnxIntentClassifier::load(&models.join("intent"), &lib).expect("intent model loads");
    Nlu::new(
        Box::new(classifier),
        &store.products().expect("products"),
        Config::default().nlu.confidence_threshold,
    )
}

const ADA: &str = "ada.park@example.com";

fn fixture_store(dir: &Path, now: chrono::NaiveDateTime) -> Store {
    let mut store = Store::open(&dir.join("store.db"), OpenMode::CreateIfMissing).expect("store");
    store
        .upsert_products(&catalog(&mut Rng::new(DEMO_SEED)), now)
        .expect("catalog");
    store
        .upsert_documents(&default_documents(), now)
        .expect("documents");
    let orders = read_order_file(&data().join("orders.json")).expect("fixture orders");
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
    store
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

fn toml_str(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn json_str(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Runs one script; returns the problems found (empty when it passes). Every reply the
/// agent speaks is added to `spoken`.
fn run_script(path: &Path, spoken: &mut Vec<String>) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("readable script");
    let script: Script =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let now = parse_now(&script.now).expect("valid now");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = fixture_store(dir.path(), now);
    let nlu = nlu(&store);
    let knowledge = KnowledgeBase::new(&store.documents().expect("documents"));
    let catalog = Arc::new(Catalog::load("en-US").expect("catalog"));
    let mut problems = Vec::new();
    let mut transcript = Vec::new();
    {
        let (mut agent, opening) = Agent::start(
            &mut store,
            &nlu,
            &knowledge,
            Arc::new(Config::default()),
            catalog,
            Clock::fixed(now),
            StartOptions {
                channel: "chat",
                customer_email: script.customer.clone(),
                confirm_order: script.confirm.clone(),
            },
        )
        .expect("conversation starts");
        transcript.push(format!("agent: {}", opening.reply));
        spoken.push(opening.reply.clone());
        for want in &script.opening_says {
            if !lower(&opening.reply).contains(&lower(want)) {
                problems.push(format!("opening: missing {want:?}"));
            }
        }
        for banned in &script.opening_not_says {
            if lower(&opening.reply).contains(&lower(banned)) {
                problems.push(format!("opening: says {banned:?}"));
            }
        }
        for (i, spec) in script.turn.iter().enumerate() {
            let turn = match spec.user.strip_prefix("/keypad ") {
                Some(d) => agent.keypad(d),
                None => agent.say(&spec.user),
            }
            .expect("turn runs");
            transcript.push(format!("user: {}", spec.user));
            spoken.push(turn.reply.clone());
            transcript.push(format!(
                "agent: {}   [{} {:.2}]",
                turn.reply,
                turn.intent.map_or("-", |i| i.as_str()),
                turn.confidence.unwrap_or(0.0)
            ));
            let at = format!("turn {} ({:?})", i + 1, spec.user);
            if turn.reply.contains('{') || turn.reply.trim().is_empty() {
                problems.push(format!("{at}: malformed reply {:?}", turn.reply));
            }
            if let Some(want) = &spec.intent {
                let got = turn.intent.map_or("-", |i| i.as_str());
                if got != want {
                    problems.push(format!("{at}: intent {got}, expected {want}"));
                }
            }
            for want in &spec.says {
                if !lower(&turn.reply).contains(&lower(want)) {
                    problems.push(format!("{at}: reply lacks {want:?}"));
                }
            }
            for bad in &spec.not_says {
                if lower(&turn.reply).contains(&lower(bad)) {
                    problems.push(format!("{at}: reply must not say {bad:?}"));
                }
            }
            if let Some(want) = &spec.changes {
                let got: Vec<String> = turn
                    .actions
                    .iter()
                    .filter(|a| a.change.is_some())
                    .map(|a| a.kind.clone())
                    .collect();
                if &got != want {
                    problems.push(format!("{at}: changes {got:?}, expected {want:?}"));
                }
            }
            if let Some(end) = spec.end {
                if turn.end != end {
                    problems.push(format!("{at}: end {}, expected {end}", turn.end));
                }
            }
        }
        agent.finish().expect("conversation finishes");
    }
    check_store(&store, &script.expect, now, &mut problems);
    if !problems.is_empty() {
        problems.insert(0, script.description.clone());
        problems.push(format!("transcript:\n    {}", transcript.join("\n    ")));
    }
    problems
}

fn check_store(
    store: &Store,
    expect: &Expect,
    now: chrono::NaiveDateTime,
    problems: &mut Vec<String>,
) {
    for (number, fields) in &expect.orders {
        let order = store.order(number).expect("read").expect("order exists");
        for (field, want) in fields {
            let got = match field.as_str() {
                "status" => order.status.as_str().to_string(),
                "estimated_delivery" => order
                    .estimated_delivery
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                "city" => order
                    .shipping_address
                    .as_ref()
                    .map(|a| a.city.clone())
                    .unwrap_or_default(),
                "zip" => order
                    .shipping_address
                    .as_ref()
                    .map(|a| a.zip.clone())
                    .unwrap_or_default(),
                "line1" => order
                    .shipping_address
                    .as_ref()
                    .map(|a| a.line1.clone())
                    .unwrap_or_default(),
                "version" => order.version.to_string(),
                other => panic!("unknown order field {other}"),
            };
            if &got != want {
                problems.push(format!(
                    "order {number}: {field} is {got:?}, expected {want:?}"
                ));
            }
        }
    }
    let outbox = store.outbox().expect("outbox");
    if let Some(want) = &expect.outbox {
        let got: Vec<String> = outbox.iter().map(|o| o.kind.clone()).collect();
        if &got != want {
            problems.push(format!("outbox {got:?}, expected {want:?}"));
        }
        let keys: std::collections::HashSet<&String> =
            outbox.iter().map(|o| &o.idempotency_key).collect();
        if keys.len() != outbox.len() {
            problems.push("outbox idempotency keys are not unique".into());
        }
    }
    for (kind, fields) in &expect.payload {
        let rows: Vec<_> = outbox.iter().filter(|o| &o.kind == kind).collect();
        if rows.is_empty() {
            problems.push(format!("no {kind} in the outbox"));
        }
        for row in rows {
            for (field, want) in fields {
                let got = field
                    .split('.')
                    // "lines.0.qty": a number indexes an array.
                    .try_fold(&row.payload, |v, key| {
                        v.get(key)
                            .or_else(|| key.parse::<usize>().ok().and_then(|i| v.get(i)))
                    })
                    .map(json_str)
                    .unwrap_or_default();
                if got != toml_str(want) {
                    problems.push(format!(
                        "{kind}.{field} is {got:?}, expected {:?}",
                        toml_str(want)
                    ));
                }
            }
        }
    }
    for (number, want) in &expect.returns {
        let got = store.returns_of(number).expect("returns");
        if got.len() != want.len() {
            problems.push(format!(
                "order {number}: {} returns, expected {}",
                got.len(),
                want.len()
            ));
            continue;
        }
        for (r, w) in got.iter().zip(want) {
            for (field, value) in w {
                let actual = match field.as_str() {
                    "reason" => r.reason.clone(),
                    "resolution" => r.resolution.clone(),
                    "status" => r.status.clone(),
                    "refund_method" => r.refund_method.clone().unwrap_or_default(),
                    "refund_cents" => r.refund_cents.map(|c| c.to_string()).unwrap_or_default(),
                    "pickup_slot" => r.pickup_slot.clone().unwrap_or_default(),
                    other => panic!("unknown return field {other}"),
                };
                if &actual != value {
                    problems.push(format!(
                        "order {number} return: {field} is {actual:?}, expected {value:?}"
                    ));
                }
            }
        }
    }
    for (key, want) in &expect.locks {
        let lock_key = match key.split_once(':') {
            Some(("order", n)) => LockKey::Order(n.to_string()),
            Some(("phone", p)) => LockKey::Phone(p.to_string()),
            _ => panic!("lock {key}: expected order:NUMBER or phone:NUMBER"),
        };
        let lock = store.verification_lock(&lock_key).expect("lock read");
        let failures = lock.as_ref().map_or(0, |l| l.failures);
        let locked = lock.as_ref().is_some_and(|l| l.is_locked(now));
        if let Some(f) = want.get("failures") {
            if failures.to_string() != toml_str(f) {
                problems.push(format!(
                    "lock {key}: {failures} failures, expected {}",
                    toml_str(f)
                ));
            }
        }
        if let Some(l) = want.get("locked") {
            if locked.to_string() != toml_str(l) {
                problems.push(format!(
                    "lock {key}: locked {locked}, expected {}",
                    toml_str(l)
                ));
            }
        }
    }
    if !expect.subscriptions.is_empty() {
        let ada = store
            .customer_id_by_email(ADA)
            .expect("lookup")
            .expect("Ada");
        let subs = store.subscriptions_of(ada).expect("subscriptions");
        for (sku, want) in &expect.subscriptions {
            let Some(sub) = subs.iter().find(|s| &s.sku == sku) else {
                problems.push(format!("no subscription to {sku}"));
                continue;
            };
            for (field, value) in want {
                let got = match field.as_str() {
                    "status" => sub.status.as_str().to_string(),
                    "frequency_days" => sub.frequency_days.to_string(),
                    "qty" => sub.qty.to_string(),
                    "next_date" => sub.next_date.map(|d| d.to_string()).unwrap_or_default(),
                    other => panic!("unknown subscription field {other}"),
                };
                if got != toml_str(value) {
                    problems.push(format!(
                        "subscription {sku}: {field} is {got:?}, expected {:?}",
                        toml_str(value)
                    ));
                }
            }
        }
    }
    if let Some(want) = &expect.new_orders {
        let placed: Vec<_> = outbox.iter().filter(|o| o.kind == "place_order").collect();
        if placed.is_empty() {
            problems.push("no order was placed".into());
        } else {
            let mut skus: Vec<String> = Vec::new();
            for row in placed {
                let number = row.order_number.clone().unwrap_or_default();
                let order = store
                    .order(&number)
                    .expect("read")
                    .expect("placed order is stored");
                skus.extend(order.items.iter().map(|i| i.sku.clone()));
            }
            if &skus != want {
                problems.push(format!("placed orders have {skus:?}, expected {want:?}"));
            }
        }
    }
    if expect.new_order_lines.is_some() || expect.new_order_payment.is_some() {
        let mut lines: Vec<String> = Vec::new();
        let mut payments: Vec<String> = Vec::new();
        for row in outbox.iter().filter(|o| o.kind == "place_order") {
            let number = row.order_number.clone().unwrap_or_default();
            let order = store
                .order(&number)
                .expect("read")
                .expect("placed order is stored");
            lines.extend(order.items.iter().map(|i| format!("{} x{}", i.sku, i.qty)));
            let p = &order.payment;
            payments.push(match (&p.brand, &p.last4) {
                (Some(b), Some(l)) => format!("{b} {l}"),
                _ => "cod".to_string(),
            });
        }
        if let Some(want) = &expect.new_order_lines {
            if &lines != want {
                problems.push(format!("placed lines are {lines:?}, expected {want:?}"));
            }
        }
        if let Some(want) = &expect.new_order_payment {
            if payments.is_empty() || payments.iter().any(|p| p != want) {
                problems.push(format!(
                    "placed orders are paid {payments:?}, expected {want}"
                ));
            }
        }
    }
    if let Some(want) = &expect.outcome {
        let report = store.report(None).expect("report");
        let got = if report.escalated > 0 {
            "escalated"
        } else if report.contained > 0 {
            "contained"
        } else {
            "abandoned"
        };
        if got != want {
            problems.push(format!("outcome {got}, expected {want}"));
        }
    }
}

#[test]
fn every_conversation_script_passes() {
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(data())
        .expect("conversation folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    scripts.sort();
    assert!(
        scripts.len() >= 20,
        "only {} conversation scripts",
        scripts.len()
    );
    let only = std::env::var("VOXORDER_CONVERSATION").ok();
    let mut failed = Vec::new();
    let mut spoken: Vec<(String, String)> = Vec::new();
    for path in &scripts {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        if only.as_ref().is_some_and(|o| !name.contains(o.as_str())) {
            continue;
        }
        let mut replies = Vec::new();
        let problems = run_script(path, &mut replies);
        spoken.extend(replies.into_iter().map(|r| (name.clone(), r)));
        if problems.is_empty() {
            println!("ok    {name}");
        } else {
            println!("FAIL  {name}\n  {}", problems.join("\n  "));
            failed.push(name);
        }
    }
    print_reply_lengths(&spoken);
    assert!(failed.is_empty(), "failing conversations: {failed:?}");
}

/// Speaking rate used to estimate a reply's length in audio: about fifteen characters a
/// second, the pace of the default voice.
const CHARS_PER_SECOND: f64 = 15.0;

/// How long the agent's replies are to the ear, over every script: characters and
/// estimated seconds (p50, p95, longest ten). A measurement to read with
/// `--nocapture`, not a bar: wording is judged by people, not by this number.
fn print_reply_lengths(spoken: &[(String, String)]) {
    let mut lengths: Vec<(usize, &str, &str)> = spoken
        .iter()
        .filter(|(_, r)| !r.is_empty())
        .map(|(name, r)| (r.chars().count(), name.as_str(), r.as_str()))
        .collect();
    if lengths.is_empty() {
        return;
    }
    lengths.sort_by_key(|(n, _, _)| *n);
    // Every reply with its length, for reading the wording as a whole.
    if let Ok(path) = std::env::var("VOXORDER_REPLY_DUMP") {
        let text: String = lengths
            .iter()
            .map(|(n, name, reply)| format!("{n}\t{name}\t{reply}\n"))
            .collect();
        std::fs::write(&path, text).expect("write the reply dump");
    }
    let at = |q: f64| lengths[((lengths.len() - 1) as f64 * q).round() as usize].0;
    let secs = |n: usize| n as f64 / CHARS_PER_SECOND;
    let (p50, p95) = (at(0.5), at(0.95));
    println!(
        "reply length over {} replies: p50 {p50} chars ({:.1} s), p95 {p95} chars ({:.1} s), \
         over 8 s: {}",
        lengths.len(),
        secs(p50),
        secs(p95),
        lengths.iter().filter(|(n, _, _)| secs(*n) > 8.0).count()
    );
    println!("longest ten:");
    for (n, name, reply) in lengths.iter().rev().take(10) {
        let start: String = reply.chars().take(90).collect();
        println!("  {:5.1} s  {n:4} chars  {name}: {start}…", secs(*n));
    }
}

/// Conversations running at once against one store (several chat processes or devices
/// sharing the file) get the configured number of guesses between them, not each; and a
/// conversation that heard the order number before the lock cannot verify after it.
#[test]
fn parallel_conversations_share_one_lock() {
    const CALLERS: usize = 12;
    let now = parse_now("2026-03-10T10:00:00").expect("valid now");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = fixture_store(dir.path(), now);
    let nlu = nlu(&store);
    let knowledge = KnowledgeBase::new(&store.documents().expect("documents"));
    drop(store);
    let catalog = Arc::new(Catalog::load("en-US").expect("catalog"));
    let config = Arc::new(Config::default());
    assert_eq!(config.policy.verification.max_attempts, 2);
    let path = dir.path().join("store.db");
    // Every caller has heard "to verify…" before anyone guesses; then all guess at once.
    let guessed = std::sync::Barrier::new(CALLERS + 1);
    let late_guess = std::sync::Barrier::new(2);
    let replies: Vec<String> = std::thread::scope(|s| {
        let wrong: Vec<_> = (0..CALLERS)
            .map(|_| {
                s.spawn(|| {
                    let mut store = Store::open(&path, OpenMode::Existing).expect("store");
                    let (mut agent, _) = Agent::start(
                        &mut store,
                        &nlu,
                        &knowledge,
                        config.clone(),
                        catalog.clone(),
                        Clock::fixed(now),
                        StartOptions::default(),
                    )
                    .expect("starts");
                    agent.say("where is my order").expect("turn");
                    let asked = agent.say("1000000000011").expect("turn");
                    assert!(asked.reply.contains("verify"), "{}", asked.reply);
                    guessed.wait();
                    agent
                        .say("my email is guess@example.com")
                        .expect("turn")
                        .reply
                })
            })
            .collect();
        // This caller heard the number before the lock and has the right zip.
        let right = s.spawn(|| {
            let mut store = Store::open(&path, OpenMode::Existing).expect("store");
            let (mut agent, _) = Agent::start(
                &mut store,
                &nlu,
                &knowledge,
                config.clone(),
                catalog.clone(),
                Clock::fixed(now),
                StartOptions::default(),
            )
            .expect("starts");
            agent.say("where is my order").expect("turn");
            agent.say("1000000000011").expect("turn");
            guessed.wait();
            late_guess.wait();
            agent.say("78701").expect("turn").reply
        });
        let mut replies: Vec<String> = wrong
            .into_iter()
            .map(|h| h.join().expect("caller"))
            .collect();
        late_guess.wait();
        replies.push(right.join().expect("caller"));
        replies
    });
    let retry = replies[..CALLERS]
        .iter()
        .filter(|r| r.contains("phone number on the order instead"))
        .count();
    assert_eq!(retry, 1, "guesses allowed: {replies:#?}");
    let late = &replies[CALLERS];
    assert!(
        !late.contains("Thanks. ") && !late.contains("Thank you. ") && !late.contains("matches"),
        "verified after the lock: {late}"
    );
    assert!(
        late.contains("paused") || late.contains("won't do"),
        "{late}"
    );
    let store = Store::open(&path, OpenMode::Existing).expect("store");
    let lock = store
        .verification_lock(&LockKey::Order("1000000000011".into()))
        .expect("lock read")
        .expect("failures recorded");
    assert!(lock.is_locked(now));
    assert_eq!(lock.failures as usize, CALLERS, "every wrong guess counted");
}

/// Calls one after another on one fixture store, as callers ringing back would make.
struct Calls {
    _dir: tempfile::TempDir,
    store: Store,
    nlu: Nlu,
    knowledge: KnowledgeBase,
    catalog: Arc<Catalog>,
    config: Arc<Config>,
    now: chrono::NaiveDateTime,
}

impl Calls {
    fn new() -> Self {
        let now = parse_now("2026-03-10T10:00:00").expect("valid now");
        let dir = tempfile::tempdir().expect("tempdir");
        let store = fixture_store(dir.path(), now);
        let nlu = nlu(&store);
        let knowledge = KnowledgeBase::new(&store.documents().expect("documents"));
        Calls {
            _dir: dir,
            store,
            nlu,
            knowledge,
            catalog: Arc::new(Catalog::load("en-US").expect("catalog")),
            config: Arc::new(Config::default()),
            now,
        }
    }

    /// One call of these turns; the agent's replies.
    fn call(&mut self, turns: &[&str]) -> Vec<String> {
        let (mut agent, _) = Agent::start(
            &mut self.store,
            &self.nlu,
            &self.knowledge,
            self.config.clone(),
            self.catalog.clone(),
            Clock::fixed(self.now),
            StartOptions::default(),
        )
        .expect("starts");
        turns
            .iter()
            .map(|t| agent.say(t).expect("turn").reply)
            .collect()
    }
}

/// One wrong zip, then a new call with the zip the city gives away: hanging up buys no
/// fresh guess; the zip proves nothing until the email or phone does.
#[test]
fn a_new_call_after_a_wrong_zip_gets_no_fresh_zip_guess() {
    let mut calls = Calls::new();
    let first = calls.call(&["where is order 1000000000028", "02138", "bye"]);
    assert!(first[1].contains("couldn't verify"), "{first:#?}");
    let second = calls.call(&["status of order 1000000000028 please, zip 02139"]);
    for secret in ["Headphones", "shipped", "UPS", "matches"] {
        assert!(
            !second[0].contains(secret),
            "disclosed {secret}: {second:#?}"
        );
    }
    assert!(second[0].contains("zip code won't do"), "{second:#?}");
    let third = calls.call(&["status of order 1000000000028", "omar.haddad@example.net"]);
    assert!(third[1].contains("shipped"), "{third:#?}");
}

/// Round 37: refused a cancellation "for my roommate", the same caller rang back as the
/// order's owner with the zip the city gives away, and it was cancelled. The order now
/// carries the mark of a change asked for someone else: the zip will not do for it, the
/// owner's email will, and nothing is cancelled on the zip.
#[test]
fn a_change_refused_for_someone_else_needs_more_than_a_zip_next_call() {
    let mut calls = Calls::new();
    let first = calls.call(&[
        "I need to cancel order 1000000000011, it's for my roommate, he asked me to",
        "bye",
    ]);
    assert!(first[0].contains("person who placed it"), "{first:#?}");
    let second = calls.call(&["cancel my order 1000000000011", "78701", "yes"]);
    let said = second.join(" ");
    assert!(said.contains("zip code won't do"), "{second:#?}");
    assert!(!said.contains("is cancelled"), "{second:#?}");
    assert!(calls.store.outbox().expect("outbox").is_empty());
    let third = calls.call(&["where is order 1000000000011", "ada.park@example.com"]);
    assert!(third[1].contains("hasn't shipped"), "{third:#?}");
}

/// Round 46: a neighbour who truthfully said he called for Ruth was refused, twice, and
/// Ruth was then locked out of her own order "as details didn't match". A change refused
/// for someone else marks the order (the zip alone no longer proves it) but never locks
/// it: its owner still hears it with the email or phone, told why the zip won't do.
#[test]
fn refusals_for_someone_else_never_lock_the_owner_out() {
    let mut calls = Calls::new();
    for who in ["my roommate", "my neighbour Ada"] {
        let refused = calls.call(&[
            &format!("I need to cancel order 1000000000011, zip 78701, it's for {who}"),
            "bye",
        ]);
        assert!(
            refused.join(" ").contains("person who placed it"),
            "{refused:#?}"
        );
    }
    let owner = calls.call(&["where is my order 1000000000011", "78701"]);
    let said = owner.join(" ");
    assert!(!said.contains("paused"), "{owner:#?}");
    assert!(said.contains("asked about for someone else"), "{owner:#?}");
    assert!(!said.contains("didn't match"), "{owner:#?}");
    let proved = calls.call(&["where is my order 1000000000011", "ada.park@example.com"]);
    assert!(proved.join(" ").contains("hasn't shipped"), "{proved:#?}");
    assert!(calls.store.outbox().expect("outbox").is_empty());
}

/// Round 40: an "assistant" refused a redirect for her boss called straight back as the
/// boss, with the order's phone, and the parcel was redirected. A parcel someone failed
/// to prove, or asked about for another, in an earlier call is sent elsewhere only by the
/// team; a question about it is still answered once the phone matches.
#[test]
fn a_redirect_after_an_earlier_call_for_someone_else_goes_to_the_team() {
    let mut calls = Calls::new();
    let first = calls.call(&[
        "please send order 1000000000011 to 500 Congress Avenue, Austin TX 78701, it's for my roommate, he asked me to",
        "bye",
    ]);
    assert!(first[0].contains("person who placed it"), "{first:#?}");
    let second = calls.call(&[
        "Hello, Ada here. I need the delivery address on order 1000000000011 changed to 500 Congress Avenue, Austin TX 78701. My phone is 512 555 0199.",
        "yes",
    ]);
    let said = second.join(" ");
    assert!(said.contains("our team"), "{second:#?}");
    assert!(!said.contains("will now go to"), "{second:#?}");
    let outbox = calls.store.outbox().expect("outbox");
    assert!(
        !outbox.iter().any(|e| e.kind == "change_address"),
        "{outbox:#?}"
    );
    let third = calls.call(&["where is order 1000000000011, phone 512 555 0199"]);
    assert!(third[0].contains("hasn't shipped"), "{third:#?}");
}

/// A caller who used up the tries on one order starts a new call with the phone the
/// order was placed with, then another order on that phone: both are refused, even with
/// the right email or zip, and neither call discloses anything.
#[test]
fn a_new_call_gets_no_fresh_tries_on_the_same_customer() {
    let mut calls = Calls::new();
    let first = calls.call(&[
        "where is order 1000000000011",
        "90210",
        "the phone is five one two five five five zero one zero zero",
    ]);
    assert!(
        first[2].contains("access to that order is paused"),
        "{first:#?}"
    );
    let by_phone = calls.call(&[
        "I don't have my order number, can you find my orders by phone",
        "five one two five five five zero one nine nine",
        "my email is ada.park@example.com",
    ]);
    let by_other = calls.call(&["where is order 1000000000042", "78701"]);
    for reply in by_phone.iter().chain(&by_other) {
        for secret in ["Classic Tee", "Headphones", "delivered", "matches"] {
            assert!(!reply.contains(secret), "disclosed {secret}: {reply}");
        }
    }
    let locked = |replies: &[String]| replies.iter().any(|r| r.contains("paused"));
    assert!(locked(&by_phone), "{by_phone:#?}");
    assert!(locked(&by_other), "{by_other:#?}");
    // A customer of another phone is not touched.
    let omar = calls.call(&["where is order 1000000000028", "02139"]);
    assert!(!locked(&omar), "{omar:#?}");
}

/// A final-sale return refused for the reason first given, then a new call that opens
/// with a fault on the same order: the team is offered, nothing is refunded or replaced
/// by voice. Another order of the same caller is put right as usual.
#[test]
fn a_refusal_holds_in_the_next_call() {
    let mut calls = Calls::new();
    let first = calls.call(&[
        "I'd like to send back a cardigan, it just doesn't suit me",
        "1000000000066",
        "78701",
    ]);
    assert!(first[2].contains("final sale"), "{first:#?}");
    let second = calls.call(&[
        "hi, my cardigan arrived damaged, there's a hole in it",
        "1000000000066",
        "78701",
    ]);
    let said = second.join(" ");
    assert!(said.contains("pass you to them"), "{second:#?}");
    for wrong in ["replacement", "refund you"] {
        assert!(!said.contains(wrong), "{wrong}: {second:#?}");
    }
    let outbox = calls.store.outbox().expect("outbox");
    assert!(outbox.is_empty(), "{outbox:?}");
    assert!(calls
        .store
        .returns_of("1000000000066")
        .expect("returns")
        .is_empty());
}

/// Round 32: a missing item refunded in one call and claimed missing again in the next
/// was moved to the order's other lines and refunded with nothing to send back. The
/// second claim hears the item is already refunded, and nothing more is refunded. (Proved
/// by the order's email: on a zip alone a missing item goes to the team at once.)
#[test]
fn an_item_refunded_once_is_not_refunded_again_as_another() {
    let mut calls = Calls::new();
    let first = calls.call(&[
        "the headphones were missing from order 1000000000042, email ada.park@example.com, I want a refund please",
        "yes go ahead",
    ]);
    assert!(first[1].contains("refunded"), "{first:#?}");
    let refunds = |calls: &Calls| {
        calls
            .store
            .returns_of("1000000000042")
            .expect("returns")
            .len()
    };
    assert_eq!(refunds(&calls), 1, "{first:#?}");
    let second = calls.call(&[
        "hi, the headphones were missing from order 1000000000042, email ada.park@example.com, I want a refund to my card",
        "yes go ahead",
    ]);
    let said = second.join(" ");
    assert!(
        said.contains("already has a return or refund"),
        "{second:#?}"
    );
    assert!(second[0].contains("our team"), "{second:#?}");
    for wrong in ["classic tee", "gift card", "Which item"] {
        assert!(!said.contains(wrong), "{wrong}: {second:#?}");
    }
    assert_eq!(refunds(&calls), 1, "{second:#?}");
}

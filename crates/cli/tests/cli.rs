//! End-to-end tests of the `voxorder` binary: what an operator sees, exit codes, and that
//! bad input never changes what is already stored.

use std::path::{Path, PathBuf};
use std::process::Output;

mod binary;
use binary::Env;

fn data(name: &str) -> String {
    format!("{}/../../tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn file_bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).expect("file exists")
}

/// A store with the three valid fixture orders.
fn seeded(env: &Env) -> String {
    let db = env.path("store.db").to_string_lossy().into_owned();
    env.run_ok(&["--db", &db, "import", &data("orders_valid.json")]);
    db
}

#[test]
fn import_then_show_round_trips_the_design_format() {
    let env = Env::new();
    let db = seeded(&env);
    let shown = env.run_ok(&["--db", &db, "orders", "show", "1234567891234", "--json"]);
    let shown: serde_json::Value = serde_json::from_str(&shown).unwrap();
    let input: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(data("orders_valid.json")).unwrap()).unwrap();
    for key in [
        "order_number",
        "status",
        "order_date",
        "customer",
        "items",
        "subtotal",
        "shipping_cost",
        "total",
        "currency",
        "payment",
        "shipping_address",
        "shipping_method",
        "carrier",
        "tracking_number",
        "estimated_delivery",
    ] {
        assert_eq!(shown[key], input[0][key], "field {key}");
    }
    // Spaces and dashes in a spoken-style order number are tolerated on the CLI.
    let text = env.run_ok(&["--db", &db, "orders", "show", "1234 56789 1234"]);
    assert!(text.contains("Classic Tee - Navy, Size M"), "{text}");
    assert!(text.contains("Visa ending 4242"), "{text}");
}

#[test]
fn reimport_is_idempotent_and_changes_are_updates() {
    let env = Env::new();
    let db = seeded(&env);
    let again = env.run_ok(&["--db", &db, "import", &data("orders_valid.json")]);
    assert!(again.contains("0 new, 0 updated, 3 unchanged"), "{again}");

    let text = std::fs::read_to_string(data("orders_valid.json"))
        .unwrap()
        .replacen("\"status\": \"processing\"", "\"status\": \"shipped\"", 1);
    let changed = env.path("changed.json");
    std::fs::write(&changed, text).unwrap();
    let out = env.run_ok(&["--db", &db, "import", changed.to_str().unwrap()]);
    assert!(out.contains("0 new, 1 updated, 2 unchanged"), "{out}");
    let shown = env.run_ok(&["--db", &db, "orders", "show", "1234567891234", "--json"]);
    assert!(shown.contains("\"status\": \"shipped\""));
}

/// The fixture orders with a `store` on the first one (`store` as given).
#[cfg(feature = "hub")]
fn fixture_with_store(env: &Env, store: &str) -> String {
    let text = std::fs::read_to_string(data("orders_valid.json")).expect("fixture");
    let marked = text.replacen(
        "\"order_number\": \"1234567891234\",",
        &format!("\"order_number\": \"1234567891234\", \"store\": {store:?},"),
        1,
    );
    assert_ne!(text, marked, "the fixture changed shape");
    let path = env.path(&format!("with-store-{}.json", store.len()));
    std::fs::write(&path, marked).expect("write the file");
    path.to_string_lossy().into_owned()
}

#[cfg(feature = "hub")]
#[test]
fn orders_naming_their_store_import_on_the_device_and_the_oms() {
    let env = Env::new();
    let file = fixture_with_store(&env, "austin-1");
    let db = env.path("store.db").to_string_lossy().into_owned();
    let out = env.run_ok(&["--db", &db, "import", &file]);
    assert!(out.contains("3 new"), "{out}");
    let shown = env.run_ok(&["--db", &db, "orders", "show", "1234567891234"]);
    assert!(shown.contains("Classic Tee"), "{shown}");

    let oms = env.path("oms.db");
    env.run_ok(&["--db", oms.to_str().unwrap(), "oms", "import", &file]);
    let body = voxorder_hub::db::OmsDb::open(&oms)
        .unwrap()
        .order_json("1234567891234")
        .unwrap()
        .expect("order on the OMS");
    let central: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(central["store"], "austin-1");

    let bad = fixture_with_store(&env, "austin 1");
    let out = env.run(&["--db", &db, "import", &bad]);
    assert_eq!(out.status.code(), Some(65));
    assert!(stderr(&out).contains("field `store`"), "{}", stderr(&out));
}

#[test]
fn list_by_phone_and_email_finds_every_order_of_that_customer() {
    let env = Env::new();
    let db = seeded(&env);
    let by_phone = env.run_ok(&["--db", &db, "orders", "list", "--phone", "(512) 555-0199"]);
    assert_eq!(by_phone.lines().count(), 2, "{by_phone}");
    let by_email = env.run_ok(&[
        "--db",
        &db,
        "orders",
        "list",
        "--email",
        "ADA@example.com",
        "--json",
    ]);
    let list: Vec<serde_json::Value> = serde_json::from_str(&by_email).unwrap();
    let numbers: Vec<_> = list.iter().map(|o| o["order_number"].clone()).collect();
    // Newest first.
    assert_eq!(numbers, vec!["5550001112223", "1234567891234"]);
    let none = env.run_ok(&["--db", &db, "orders", "list", "--phone", "2025550100"]);
    assert_eq!(none.trim(), "no orders");
}

#[test]
fn each_bad_file_is_refused_by_name_and_nothing_changes() {
    let env = Env::new();
    let db = seeded(&env);
    let before = env.run_ok(&["--db", &db, "orders", "list", "--phone", "5125550199"]);
    let cases = [
        ("orders_wrong_type.json", "field `items[0].qty`"),
        (
            "orders_unknown_status.json",
            "unknown order status \"shipt\"",
        ),
        ("orders_letters_in_number.json", "digits only"),
        ("not_json.json", "is not valid JSON"),
        ("truncated.json", "ends too early"),
    ];
    for (file, expected) in cases {
        let out = env.run(&["--db", &db, "import", &data(file)]);
        assert_eq!(out.status.code(), Some(65), "{file}");
        let err = stderr(&out);
        assert!(err.contains(file), "{file}: {err}");
        assert!(err.contains(expected), "{file}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }
    // The records that were valid in those files were not half-applied: the third valid
    // fixture order still has its original status everywhere.
    let after = env.run_ok(&["--db", &db, "orders", "list", "--phone", "5125550199"]);
    assert_eq!(before, after);
}

/// An import error printed a bad email in clear.
#[test]
fn import_errors_do_not_print_contact_details() {
    let env = Env::new();
    let file = env.path("bad.json");
    let text = std::fs::read_to_string(data("orders_valid.json"))
        .unwrap()
        .replacen("\"ada@example.com\"", "\"ada.park(at)example.com\"", 1);
    std::fs::write(&file, text).unwrap();
    let db = env.path("shop.db");
    let out = env.run(&[
        "--db",
        db.to_str().unwrap(),
        "import",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(65));
    let err = stderr(&out);
    assert!(
        err.contains("record 0") && err.contains("customer.email"),
        "{err}"
    );
    assert!(err.contains("is not an email address"), "{err}");
    assert!(
        !err.contains("ada.park") && !err.contains("example"),
        "{err}"
    );
}

#[test]
fn a_bad_file_never_creates_a_store() {
    let env = Env::new();
    let db = env.path("new.db");
    let out = env.run(&[
        "--db",
        db.to_str().unwrap(),
        "import",
        &data("orders_wrong_type.json"),
    ]);
    assert_eq!(out.status.code(), Some(65));
    assert!(!db.exists());
    let missing = env.run(&["--db", db.to_str().unwrap(), "import", "/no/such/file.json"]);
    assert_eq!(missing.status.code(), Some(66));
    assert!(stderr(&missing).contains("/no/such/file.json"));
}

#[test]
fn a_missing_store_is_reported_not_created() {
    let env = Env::new();
    let db = env.path("absent.db");
    let out = env.run(&["--db", db.to_str().unwrap(), "orders", "show", "123456"]);
    assert_eq!(out.status.code(), Some(66));
    assert!(stderr(&out).contains("no store at"), "{}", stderr(&out));
    assert!(!db.exists());
}

#[test]
fn a_file_that_is_not_a_database_is_left_untouched() {
    let env = Env::new();
    let db = env.path("notes.db");
    std::fs::write(&db, "these are my notes, not a database\n").unwrap();
    for args in [
        vec!["orders", "show", "123456"],
        vec!["import", &data("orders_valid.json")],
    ] {
        let mut all = vec!["--db", db.to_str().unwrap()];
        all.extend(args.iter().copied());
        let out = env.run(&all);
        assert_eq!(out.status.code(), Some(65));
        assert!(stderr(&out).contains("is not a SQLite database"));
    }
    assert_eq!(
        std::fs::read_to_string(&db).unwrap(),
        "these are my notes, not a database\n"
    );
}

#[test]
fn a_corrupted_store_is_reported_and_not_repaired() {
    let env = Env::new();
    let db = seeded(&env);
    let path = PathBuf::from(&db);
    // Keep the header page (so it still looks like SQLite) and scramble the rest.
    let mut bytes = file_bytes(&path);
    assert!(bytes.len() > 8192, "store is {} bytes", bytes.len());
    for (i, b) in bytes.iter_mut().enumerate().skip(4096) {
        *b = (i * 31 % 251) as u8;
    }
    std::fs::write(&path, &bytes).unwrap();
    let out = env.run(&["--db", &db, "orders", "show", "1234567891234"]);
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(stderr(&out).contains("corrupted"), "{}", stderr(&out));
    assert_eq!(file_bytes(&path), bytes, "the file was modified");

    let out = env.run(&["--db", &db, "import", &data("orders_valid.json")]);
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(file_bytes(&path), bytes, "the file was modified by import");
}

#[test]
fn a_truncated_store_is_reported() {
    let env = Env::new();
    let db = seeded(&env);
    let path = PathBuf::from(&db);
    let bytes = file_bytes(&path);
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    let out = env.run(&["--db", &db, "store", "check"]);
    assert_ne!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(err.contains(&db), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn a_store_from_a_newer_schema_is_refused() {
    let env = Env::new();
    let db = seeded(&env);
    // Bump user_version (header offset 60, big-endian) as a newer build would.
    let path = PathBuf::from(&db);
    let mut bytes = file_bytes(&path);
    bytes[60..64].copy_from_slice(&99u32.to_be_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let out = env.run(&["--db", &db, "orders", "show", "1234567891234"]);
    assert_eq!(out.status.code(), Some(65));
    assert!(
        stderr(&out).contains("schema version 99, newer than this build supports"),
        "{}",
        stderr(&out)
    );
    assert_eq!(file_bytes(&path), bytes);
}

#[test]
fn invalid_config_names_the_key_and_stops() {
    let env = Env::new();
    let cfg = env.path("voxorder.toml");
    std::fs::write(&cfg, "[policy.returns]\nwindow_days = 0\n").unwrap();
    let out = env.run(&["--config", cfg.to_str().unwrap(), "config", "show"]);
    assert_eq!(out.status.code(), Some(78));
    let err = stderr(&out);
    assert!(err.contains("policy.returns.window_days"), "{err}");
    assert!(err.contains("must be 1 to 365"), "{err}");

    std::fs::write(&cfg, "[policy.verification]\nlock_minutes = 4294967295\n").unwrap();
    let out = env.run(&["--config", cfg.to_str().unwrap(), "config", "show"]);
    assert_eq!(out.status.code(), Some(78));
    let err = stderr(&out);
    assert!(err.contains("policy.verification.lock_minutes"), "{err}");
    assert!(err.contains("must be 1 to 43200"), "{err}");

    std::fs::write(&cfg, "[policy.returns]\nwindow_days = 45\n").unwrap();
    let shown = env.run_ok(&["--config", cfg.to_str().unwrap(), "config", "show"]);
    assert!(shown.contains("window_days = 45"), "{shown}");
}

/// `--config /dev/zero` read 3.9 GB in 20 s. Files read whole from a path a user gives
/// are read up to a cap, and refused past it with the cap named.
#[test]
fn endless_or_huge_input_files_are_refused_at_a_cap() {
    let env = Env::new();
    let started = std::time::Instant::now();
    let out = env.run(&["--config", "/dev/zero", "config", "show"]);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("/dev/zero") && err.contains("larger than 1 MiB"),
        "{err}"
    );

    let db = env.path("shop.db");
    let out = env.run(&["--db", db.to_str().unwrap(), "import", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("larger than 256 MiB"), "{err}");
    assert!(!db.exists(), "a refused file created a store");

    // The hub's tokens file (in a build with the hub) and a device's token file are
    // capped too.
    if cfg!(feature = "hub") {
        let oms = env.path("oms.db");
        let out = env.run(&[
            "oms",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tokens",
            "/dev/zero",
            "--db",
            oms.to_str().unwrap(),
        ]);
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("larger than 4 MiB"),
            "{}",
            stderr(&out)
        );
    }
    let config = env.path("device.toml");
    std::fs::write(&config, "[sync]\ntoken_file = \"/dev/zero\"\n").unwrap();
    let out = env.run(&[
        "--config",
        config.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "sync",
        "--once",
        "--oms",
        "http://127.0.0.1:9",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("larger than 4 MiB"),
        "{}",
        stderr(&out)
    );
    assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
}

#[test]
fn the_demo_store_is_created_on_first_use_around_now() {
    let env = Env::new();
    let info = env.run_ok(&["--now", "2026-03-10T10:00:00", "store", "info", "--json"]);
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["orders"], 1000);
    assert_eq!(info["products"], 202);
    assert_eq!(info["demo_anchor"], "2026-03-10");
    assert!(env.path("home/demo.db").exists());
    // The named demo household is there, with an order placed "today".
    let list = env.run_ok(&[
        "orders",
        "list",
        "--email",
        "ada.park@example.com",
        "--json",
    ]);
    let list: Vec<serde_json::Value> = serde_json::from_str(&list).unwrap();
    assert_eq!(list[0]["order_date"], "2026-03-10");
    assert_eq!(list[0]["status"], "processing");
}

#[test]
fn bad_order_number_on_the_command_line_is_a_clear_error() {
    let env = Env::new();
    let db = seeded(&env);
    let out = env.run(&["--db", &db, "orders", "show", "12AB"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("digits only"));
    let out = env.run(&["--db", &db, "orders", "show", "1111111111"]);
    assert_eq!(out.status.code(), Some(66));
    assert!(stderr(&out).contains("no order 1111111111"));
}

/// Runs `voxorder chat` on a fixture store with the given stdin.
fn chat(env: &Env, db: &str, args: &[&str], input: &[u8]) -> Output {
    let mut cmd = env.command(&["--db", db, "--now", "2026-03-10T10:00:00", "chat"]);
    cmd.args(args);
    Env::run_with_input(cmd, input)
}

fn conversation_store(env: &Env) -> String {
    let db = env.path("chat.db").to_string_lossy().into_owned();
    env.run_ok(&["--db", &db, "import", &data("conversations/orders.json")]);
    db
}

#[test]
fn chat_answers_every_piped_line_and_cancels_with_an_outbox_command() {
    let env = Env::new();
    let db = conversation_store(&env);
    let input =
        b"I want to cancel my order\n1000000000011\n78701\nI found it cheaper\nyes\nno thanks\n";
    let out = chat(&env, &db, &[], input);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{text}");
    assert!(lines.iter().all(|l| l.starts_with("agent: ")), "{text}");
    assert!(lines[4].contains("cancelled"), "{text}");
    assert!(lines[5].contains("Have a great day"), "{text}");
    let shown = env.run_ok(&["--db", &db, "orders", "show", "1000000000011", "--json"]);
    assert!(shown.contains("\"status\": \"cancelled\""), "{shown}");
    let report = env.run_ok(&["--db", &db, "report", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&report).expect("report is JSON");
    assert_eq!(report["cancellations"], 1);
    assert_eq!(report["cancellation_reasons"][0][0], "found_cheaper");
    assert_eq!(report["contained"], 1);
    let human = env.run_ok(&["--db", &db, "report"]);
    assert!(human.contains("CancelOrder"), "{human}");
}

/// Whether this process writes where permissions forbid it (root, CAP_DAC_OVERRIDE).
fn ignores_permissions(read_only_dir: &Path) -> bool {
    let probe = read_only_dir.join(".probe");
    let wrote = std::fs::write(&probe, b"").is_ok();
    let _ = std::fs::remove_file(&probe);
    wrote
}

/// At 100% disk the chat could not start at all. A store that cannot be written (here a
/// write-protected file in a write-protected directory: the stand-in for a full or
/// read-only filesystem that needs no mount) is opened read-only: look-ups are answered,
/// a change fails cleanly, and one line says changes are unavailable.
#[test]
fn a_store_that_cannot_be_written_still_answers_look_ups() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let dir = env.path("data");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("shop.db");
    let db_arg = db.to_str().unwrap();
    env.run_ok(&["--db", db_arg, "import", &data("conversations/orders.json")]);
    let before = file_bytes(&db);
    let mode = |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));
    mode(&db, 0o444).unwrap();
    mode(&dir, 0o555).unwrap();
    // Permissions bind only an unprivileged user: as root, the chat runs as nobody, and
    // the test's directory must let nobody in.
    let wrapper: &[&str] = if ignores_permissions(&dir) {
        mode(&env.path(""), 0o755).unwrap();
        &[
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ]
    } else {
        &[]
    };
    let input =
        b"I want to cancel my order\n1000000000011\n78701\nI found it cheaper\nyes\nno thanks\n";
    let cmd = env.command_via(
        wrapper,
        &["--db", db_arg, "--now", "2026-03-10T10:00:00", "chat"],
    );
    let out = Env::run_with_input(cmd, input);
    // The phone path keys its check by a secret the store makes on first use: on a store
    // that cannot be written it is made for the process, and the caller is verified.
    let by_phone = env.command_via(
        wrapper,
        &["--db", db_arg, "--now", "2026-03-10T10:00:00", "chat"],
    );
    let by_phone = Env::run_with_input(
        by_phone,
        b"where is my order\nI don't have the order number\n5125550199\nada.park@example.com\n",
    );
    mode(&dir, 0o755).unwrap();
    mode(&db, 0o644).unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{text}");
    assert!(
        lines[2].contains(": Thanks. ") || lines[2].contains(": Thank you. "),
        "{text}"
    );
    assert!(lines[3].contains("seventy-five ninety-eight"), "{text}");
    assert!(lines[4].contains("couldn't save that change"), "{text}");
    let phone_text = String::from_utf8(by_phone.stdout).expect("utf-8");
    assert!(
        phone_text.contains("Thanks. ") || phone_text.contains("Thank you. "),
        "{phone_text}"
    );
    let warnings: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("changes are unavailable"))
        .collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(warnings[0].contains("shop.db cannot be written"), "{err}");
    assert_eq!(file_bytes(&db), before, "the store was written");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "files beside the store"
    );
}

#[test]
fn reimporting_after_a_cancellation_keeps_it_and_cancels_nothing_twice() {
    let env = Env::new();
    let db = conversation_store(&env);
    let file = data("conversations/orders.json");
    let cancel =
        b"I want to cancel my order\n1000000000011\n78701\nI found it cheaper\nyes\nno thanks\n";
    let out = chat(&env, &db, &[], cancel);
    assert!(out.status.success(), "{}", stderr(&out));
    // The file predates the cancellation, whose command is still in the outbox.
    let again = env.run_ok(&["--db", &db, "import", &file]);
    assert!(again.contains("0 updated"), "{again}");
    assert!(again.contains("1 kept (changes made here"), "{again}");
    let shown = env.run_ok(&["--db", &db, "orders", "show", "1000000000011", "--json"]);
    assert!(shown.contains("\"status\": \"cancelled\""), "{shown}");
    let pending = |env: &Env| -> serde_json::Value {
        let status = env.run_ok(&["--db", &db, "sync", "status", "--json"]);
        serde_json::from_str::<serde_json::Value>(&status).expect("JSON")["pending"].clone()
    };
    let before = pending(&env);
    // A second caller cannot cancel it again: no new command in the outbox.
    let out = chat(&env, &db, &["--json"], cancel);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(!text.contains("\"cancel_order\""), "{text}");
    assert_eq!(pending(&env), before);
}

#[test]
fn a_phone_number_said_twice_verifies_nothing_and_cancels_nothing() {
    let env = Env::new();
    let db = conversation_store(&env);
    let input = b"I want to cancel my order\nI don't have the order number\n5125550199\n5125550199\nthe first one\nI changed my mind\nyes\n";
    let out = chat(&env, &db, &["--json"], input);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(!text.contains("\"verified\""), "{text}");
    assert!(!text.contains("\"cancel_order\""), "{text}");
    // Nothing about the orders on that phone was said.
    assert!(!text.to_lowercase().contains("classic tee"), "{text}");
    let shown = env.run_ok(&["--db", &db, "orders", "show", "1000000000011", "--json"]);
    assert!(shown.contains("\"status\": \"processing\""), "{shown}");
}

#[test]
fn chat_json_reports_intent_entities_and_actions() {
    let env = Env::new();
    let db = conversation_store(&env);
    let out = chat(
        &env,
        &db,
        &["--json"],
        b"where is order 1000000000028\n02139\nyes please\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let turns: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(turns.len(), 3);
    for t in &turns {
        for key in [
            "user",
            "reply",
            "intent",
            "confidence",
            "entities",
            "actions",
        ] {
            assert!(t.get(key).is_some(), "{key} missing in {t}");
        }
    }
    assert_eq!(turns[0]["intent"], "GetOrderStatus");
    assert_eq!(turns[0]["entities"]["order_number"], "1000000000028");
    assert_eq!(turns[1]["entities"]["zip_code"], "02139");
    assert_eq!(turns[2]["actions"][0]["kind"], "notify");
    assert_eq!(
        turns[2]["actions"][0]["change"]["template"],
        "tracking_link"
    );
}

#[test]
fn chat_survives_bad_lines_and_writes_nothing() {
    let env = Env::new();
    let db = conversation_store(&env);
    let before = env.run_ok(&["--db", &db, "orders", "show", "1000000000011", "--json"]);
    let mut input = Vec::new();
    input.extend_from_slice(b"\n");
    input.extend_from_slice(b"asdf qwer zxcv\n");
    input.extend_from_slice(&b"cancel ".repeat(1500));
    input.extend_from_slice(b"\n");
    input.extend_from_slice(b"\xff\xfe not utf-8 \xc3\x28\n");
    input.extend_from_slice(b"'; DROP TABLE orders; --\n");
    input.extend_from_slice(b"/keypad 12\n");
    let out = chat(&env, &db, &[], &input);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(text.lines().count(), 6, "{text}");
    assert!(text.lines().all(|l| l.len() > "agent: ".len()), "{text}");
    let after = env.run_ok(&["--db", &db, "orders", "show", "1000000000011", "--json"]);
    assert_eq!(before, after);
}

#[test]
fn outbound_confirmation_call_speaks_first() {
    let env = Env::new();
    let db = conversation_store(&env);
    let out = chat(
        &env,
        &db,
        &["--confirm", "1000000000080"],
        b"yes speaking\nyes I confirm\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    // Who answered is asked before anything about the order is said.
    assert!(lines[0].contains("speaking with"), "{text}");
    assert!(!lines[0].contains("cash on delivery"), "{text}");
    assert!(lines[1].contains("cash on delivery"), "{text}");
    assert!(lines[2].contains("confirmed"), "{text}");
}

/// A device build has no hub: whatever follows `oms`, it says so and exits 69
/// ("unavailable").
#[cfg(not(feature = "hub"))]
#[test]
fn a_build_without_the_hub_says_so_for_every_oms_command() {
    let env = Env::new();
    let commands: [&[&str]; 3] = [
        &[
            "oms",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tokens",
            "tokens.txt",
        ],
        &["--db", "oms.db", "oms", "import", "orders.json"],
        &["oms"],
    ];
    for args in commands {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(69), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("has no hub"), "{}", stderr(&out));
    }
}

/// Holds an exclusive SQLite lock on `db` (through Python's sqlite3, as another
/// process would) until dropped.
struct LockedByAnother(std::process::Child);

impl LockedByAnother {
    fn hold(db: &Path) -> LockedByAnother {
        use std::io::BufRead;
        let mut child = std::process::Command::new("python3")
            .args([
                "-c",
                "import sqlite3, sys, time\n\
                 c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
                 c.execute('BEGIN EXCLUSIVE')\n\
                 print('locked', flush=True)\n\
                 time.sleep(60)",
            ])
            .arg(db)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("lock line");
        assert_eq!(line.trim(), "locked");
        LockedByAnother(child)
    }
}

impl Drop for LockedByAnother {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The valid fixture with its first order's status changed: importing it must write.
fn changed_fixture(env: &Env) -> String {
    let mut orders: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(data("orders_valid.json")).expect("fixture"))
            .expect("fixture parses");
    orders[0]["status"] = "cancelled".into();
    let path = env.path("changed.json");
    std::fs::write(&path, serde_json::to_string(&orders).expect("json")).expect("write");
    path.to_string_lossy().into_owned()
}

#[test]
fn a_store_locked_by_another_process_exits_75() {
    let env = Env::new();
    let db = seeded(&env);
    let changed = changed_fixture(&env);
    let _lock = LockedByAnother::hold(Path::new(&db));
    let out = env.run(&["--db", &db, "import", &changed]);
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
}

#[cfg(feature = "hub")]
#[test]
fn the_hub_s_files_exit_with_their_own_codes() {
    let env = Env::new();
    let oms = env.path("oms.db");
    let oms_s = oms.to_string_lossy().into_owned();
    let tokens = env.path("tokens");
    std::fs::write(&tokens, "kiosk-1 0123456789abcdef0123 store:austin-1\n").expect("tokens");
    let serve = |tokens: &Path| {
        env.run(&[
            "--db",
            &oms_s,
            "oms",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tokens",
            tokens.to_str().expect("path"),
        ])
    };
    // A tokens file that is not one is configuration; one that is not there, input.
    let bad = env.path("bad-tokens");
    std::fs::write(&bad, "kiosk-1 short\n").expect("bad tokens");
    let out = serve(&bad);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    let out = serve(&env.path("no-such-tokens"));
    assert_eq!(out.status.code(), Some(66), "{}", stderr(&out));

    // The hub's store, locked by another process, then damaged.
    env.run_ok(&["--db", &oms_s, "oms", "import", &data("orders_valid.json")]);
    {
        let changed = changed_fixture(&env);
        let _lock = LockedByAnother::hold(&oms);
        let out = env.run(&["--db", &oms_s, "oms", "import", &changed]);
        assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    }
    let garbage = env.path("garbage.db");
    std::fs::write(&garbage, vec![0x5a; 8192]).expect("garbage");
    let out = env.run(&[
        "--db",
        garbage.to_str().expect("path"),
        "oms",
        "import",
        &data("orders_valid.json"),
    ]);
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
}

/// A household's speaker, asked about one member's order by name, offers only that
/// member's orders (the demo store's Park household: Ada, linked, and Jonah).
#[test]
fn a_household_member_named_narrows_the_orders_offered() {
    let env = Env::new();
    // One call to the Park household's speaker: what it printed.
    let speaker = |extra: &[&str], input: &[u8]| -> String {
        let mut cmd = env.command(&[
            "--now",
            "2026-03-10T10:00:00",
            "chat",
            "--customer",
            "ada.park@example.com",
        ]);
        cmd.args(extra);
        let out = Env::run_with_input(cmd, input);
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let everyone = speaker(&[], b"where is my order\n");
    let turns: Vec<serde_json::Value> = speaker(&["--json"], b"where's the order jonah placed\n")
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let reply = turns[0]["reply"].as_str().expect("reply").to_string();
    // The household's list starts with Ada's order placed today; Jonah's does not.
    assert!(everyone.contains("from today"), "{everyone}");
    assert!(!reply.contains("from today"), "{reply}");
    assert!(reply.contains("Which one"), "{reply}");
    // What that member usually buys, not the first tea of the catalog.
    let tea = speaker(&[], b"reorder the tea jonah usually gets\n");
    assert!(tea.contains("English breakfast tea"), "{tea}");
    // "And what about mine?" after Jonah's order: the speaker's own orders, Ada's red
    // tee placed today among them, and none of Jonah's hoodies.
    let mine = speaker(
        &["--json"],
        b"where's the order jonah placed\nthe hoodies\nno\nand what about mine\n",
    );
    let replies: Vec<String> = mine
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|t| t["reply"].as_str().map(str::to_string))
        .collect();
    let last = replies.last().expect("a reply");
    assert!(last.contains("red classic tee"), "{mine}");
    assert!(!last.contains("hoodies"), "{mine}");
}

/// On a household speaker, another member's order awaiting confirmation is called that
/// member's, in the status and in the confirmation, and the speaker owner's own is "your".
#[test]
fn another_members_order_is_called_theirs_on_a_household_speaker() {
    let env = Env::new();
    let speaker = |owner: &str, input: &[u8]| -> String {
        let cmd = env.command(&["--now", "2026-03-10T10:00:00", "chat", "--customer", owner]);
        let out = Env::run_with_input(cmd, input);
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let omar = speaker(
        "omar.haddad@example.com",
        b"what's happening with aisha's speaker order\nyes\n",
    );
    assert!(
        omar.contains("Aisha's cash on delivery order for"),
        "{omar}"
    );
    assert!(omar.contains("Aisha's order is confirmed"), "{omar}");
    assert!(!omar.contains("Your cash on delivery"), "{omar}");
    assert!(!omar.contains("your order is confirmed"), "{omar}");
    let aisha = speaker(
        "aisha.haddad@example.com",
        b"what's happening with my speaker order\n",
    );
    // Omar confirmed it for her: her own order, now being prepared.
    assert!(
        aisha.contains("Your order of the red Bluetooth speaker"),
        "{aisha}"
    );
}

/// The replies of one text call on a fresh demo store, one per line of `input`.
fn demo_replies(input: &[u8]) -> Vec<String> {
    let env = Env::new();
    let cmd = env.command(&["--now", "2026-03-10T10:00:00", "chat", "--json"]);
    let out = Env::run_with_input(cmd, input);
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|t| t["reply"].as_str().map(str::to_string))
        .collect()
}

/// A caller found by phone picks an order by what is in it: an older order, not read
/// out, holding the same item does not make "the rain jacket one" ambiguous (the demo
/// store's Bello customer has rain jackets in two orders, one of them among the three
/// newest).
#[test]
fn an_item_named_picks_among_the_orders_read_out() {
    let replies = demo_replies(
        b"where's my order\nI don't have the number\n8045550114\njamal.bello236@example.org\nthe rain jacket one\n",
    );
    assert!(replies[3].contains("rain jackets from"), "{replies:?}");
    let last = replies.last().expect("a reply");
    assert!(last.contains("rain jackets"), "{replies:?}");
    assert!(!last.contains("Sorry"), "{replies:?}");
}

/// "When will they be back?" after a product was said to be out of stock is answered
/// plainly (the device knows no restock date), not taken for a pick among the caller's
/// orders.
#[test]
fn a_restock_question_after_out_of_stock_is_answered() {
    let replies = demo_replies(
        b"have you got the dishwasher tablets in stock?\nany idea when you'll have them in stock again\n",
    );
    assert!(replies[0].contains("out of stock"), "{replies:?}");
    assert!(replies[1].contains("back in stock"), "{replies:?}");
    assert!(!replies[1].contains("orders"), "{replies:?}");
}

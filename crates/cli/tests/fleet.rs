//! The fleet simulator (`voxorder oms loadtest`) as a process, small and short: two hub
//! processes on one store, a handful of devices, the first hub killed mid-run. What it
//! reports is checked, not its speed: every command acknowledged once in the store,
//! none lost or doubled, every device moved off the killed hub and at the end of the
//! feed. On the SQLite file and on PostgreSQL (a throwaway cluster; with
//! `VOXORDER_PG_TESTS=1` a machine without it fails the second test).

use std::process::Command;

use serde_json::Value;

fn loadtest(database: &str) -> Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_file = dir.path().join("load.json");
    let out = Command::new(env!("CARGO_BIN_EXE_voxorder"))
        .args(["oms", "loadtest", "--database", database])
        .args(["--devices", "6", "--duration-secs", "6", "--hubs", "2"])
        .args(["--pull-every-secs", "1", "--commands-per-minute", "60"])
        .args(["--kill-one-at", "3", "--grace-secs", "10"])
        .arg("--out")
        .arg(&out_file)
        .env_remove("VOXORDER_NOW")
        .output()
        .expect("run loadtest");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&out_file).expect("--out file"))
            .expect("JSON file");
    assert_eq!(report, written);
    println!("{report}");
    report
}

fn check(report: &Value) {
    let once = &report["exactly_once"];
    let issued = once["issued"].as_u64().expect("issued");
    assert!(issued >= 6, "{report}");
    assert_eq!(once["acknowledged"].as_u64(), Some(issued), "{report}");
    assert_eq!(once["applied_in_store"].as_u64(), Some(issued), "{report}");
    assert_eq!(once["applied_answer_lost"].as_u64(), Some(0), "{report}");
    assert_eq!(once["lost"].as_u64(), Some(0), "{report}");
    assert_eq!(once["duplicated"].as_u64(), Some(0), "{report}");
    assert_eq!(report["commands"]["ok"].as_u64(), Some(issued), "{report}");
    assert!(
        report["pulls"]["ok"].as_u64().expect("pulls") >= 6 * 4,
        "{report}"
    );
    // Devices 0, 2 and 4 started on the first hub; each moved to the second.
    assert_eq!(
        report["kill"]["devices_moved"].as_u64(),
        Some(3),
        "{report}"
    );
    assert_eq!(report["converged"]["devices_at_feed_end"].as_u64(), Some(6));
    // The command line is reported, and no password with it.
    assert!(report["command"]
        .as_str()
        .expect("command")
        .contains("--devices 6"));
}

#[test]
fn a_small_fleet_on_sqlite_lands_every_command_once_through_a_hub_kill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("oms.db");
    check(&loadtest(db.to_str().expect("utf-8 path")));
}

#[test]
fn a_small_fleet_on_postgres_lands_every_command_once_through_a_hub_kill() {
    let Some(cluster) = voxorder_pgtemp::for_tests("fleet") else {
        return;
    };
    let url = cluster.fresh_database().expect("createdb");
    let secret = url.replace("postgres@", "postgres:not-the-password@");
    let report = loadtest(&secret);
    check(&report);
    assert!(!report.to_string().contains("not-the-password"), "{report}");
}

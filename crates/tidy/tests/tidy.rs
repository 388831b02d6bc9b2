//! The tidy rules over this workspace: `cargo test --workspace` fails on any violation
//! and lists them all.

#[test]
fn the_workspace_keeps_the_tidy_rules() {
    let root = voxorder_tidy::workspace_root();
    let problems = voxorder_tidy::check(&root).expect("the workspace can be read");
    let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(list.is_empty(), "tidy:\n{}", list.join("\n"));
}

#[test]
fn the_walk_reads_the_workspace() {
    // The rules are only as good as the files they see: the manifests of the crates
    // and this very file must be among them.
    let root = voxorder_tidy::workspace_root();
    assert!(root.join("crates/tidy/tests/tidy.rs").is_file());
    let problems = voxorder_tidy::check(&root).expect("the workspace can be read");
    assert!(problems.iter().all(|p| !p.path.starts_with("target/")));
}

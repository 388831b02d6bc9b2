//! Project rules checked over the source tree, in the style of rust-analyzer's
//! `xtask tidy`: the crate graph keeps the architecture only if no crate quietly grows a
//! dependency it must not have, so each rule here reads manifests or sources and names
//! the file and line that breaks it.
//!
//! - Dependencies (`[dependencies]` of each crate, and the use in its `src/`): rusqlite
//!   only in the store and the hub, the PostgreSQL client and its pool only in the hub,
//!   reqwest only in sync, axum and hyper only in the hub,
//!   cpal and whisper.cpp only in speech; the hub only in the binary; the dialog on the
//!   domain and the configuration alone; the domain on no other crate of ours. Tests and
//!   benches may use more through `[dev-dependencies]` (an HTTP client to probe the
//!   hub, the demo store as test data).
//! - Held-out data (`assets/nlu/heldout/`, the spoken test set's texts
//!   `tests/data/spoken/texts.jsonl`, and any `blind` set) is read only by its
//!   evaluators and the tools that render it.
//! - A doc (`*.md`, `//!`, `///`) that cites a file of the repository cites one that
//!   exists.
//! - `#[ignore]` says why.
//! - A goal module of the dialog (`crates/dialog/src/goals/`) imports no other goal
//!   module: what goals share lives below them, and moving between goals goes through
//!   the engine's routing.
//!
//! Each rule is a pure function of a path and a text, so its unit test feeds it a
//! violation.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

/// One broken rule, where it is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Relative to the workspace root.
    pub path: String,
    /// 1-based; 0 when the rule is about the whole file.
    pub line: usize,
    pub rule: &'static str,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: [{}] {}", self.path, self.rule, self.message)
        } else {
            write!(
                f,
                "{}:{}: [{}] {}",
                self.path, self.line, self.rule, self.message
            )
        }
    }
}

/// A dependency only some crates may have, by its name in `Cargo.toml` and in code.
struct Restricted {
    package: &'static str,
    path_prefix: &'static str,
    allowed: &'static [&'static str],
    why: &'static str,
}

const RESTRICTED: &[Restricted] = &[
    Restricted {
        package: "rusqlite",
        path_prefix: "rusqlite::",
        allowed: &["voxorder-store", "voxorder-hub"],
        why: "only the store (and the hub's own store) runs SQL",
    },
    Restricted {
        package: "postgres",
        path_prefix: "postgres::",
        allowed: &["voxorder-hub"],
        why: "only the hub's PostgreSQL engine talks to PostgreSQL",
    },
    Restricted {
        package: "reqwest",
        path_prefix: "reqwest::",
        allowed: &["voxorder-sync"],
        why: "only sync opens connections from the device",
    },
    Restricted {
        package: "axum",
        path_prefix: "axum::",
        allowed: &["voxorder-hub"],
        why: "only the hub serves HTTP",
    },
    Restricted {
        package: "hyper",
        path_prefix: "hyper::",
        allowed: &["voxorder-hub"],
        why: "only the hub serves HTTP",
    },
    Restricted {
        package: "hyper-util",
        path_prefix: "hyper_util::",
        allowed: &["voxorder-hub"],
        why: "only the hub serves HTTP",
    },
    Restricted {
        package: "tokio-rustls",
        path_prefix: "tokio_rustls::",
        allowed: &["voxorder-hub"],
        why: "only the hub terminates TLS",
    },
    Restricted {
        package: "cpal",
        path_prefix: "cpal::",
        allowed: &["voxorder-speech"],
        why: "only speech touches sound devices",
    },
    Restricted {
        package: "whisper-rs",
        path_prefix: "whisper_rs::",
        allowed: &["voxorder-speech"],
        why: "only speech links whisper.cpp",
    },
    Restricted {
        package: "vosk",
        path_prefix: "vosk::",
        allowed: &["voxorder-speech"],
        why: "only speech links a recogniser",
    },
    Restricted {
        package: "voxorder-hub",
        path_prefix: "voxorder_hub::",
        allowed: &["voxorder"],
        why: "nothing on the device depends on the hub; the binary links it as a feature",
    },
];

/// What the dialog may depend on: the domain, the configuration and libraries that do
/// no I/O.
const DIALOG_DEPENDENCIES: &[&str] = &[
    "voxorder-domain",
    "voxorder-config",
    "chrono",
    "serde",
    "serde_json",
    "thiserror",
    "toml",
    "tracing",
];

/// The files that read the held-out sets: the evaluators and their tests.
const HELDOUT_READERS: &[&str] = &[
    "crates/nlu/src/eval.rs",
    "crates/nlu/tests/heldout.rs",
    "crates/nlu/benches/nlu_heldout.rs",
    "crates/voice/src/eval.rs",
    "scripts/test-arm.sh",
    "tools/spoken_set/make_spoken_set.py",
    "tools/spoken_set/write_texts.py",
];

/// Extensions of files a doc may cite as part of the repository.
const CITED_EXTENSIONS: &[&str] = &[
    "md", "rs", "toml", "sh", "py", "yaml", "yml", "sql", "tsv", "jsonl",
];

/// Folders never read: build output, the bundle, version control, npm's installs (at any
/// depth: the screen's pinned axe-core lives in `crates/screen/node_modules`). (The
/// fetched models are symlinks or hold no text the rules read; their names still count
/// as files.)
const SKIPPED_DIRS: &[&str] = &["target", ".git", "dist", "node_modules"];

/// Files whose text the rules read.
const TEXT_EXTENSIONS: &[&str] = &["md", "rs", "toml", "sh", "py", "yaml", "yml"];

/// The workspace this crate belongs to.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// Every rule over the workspace at `root`.
pub fn check(root: &Path) -> std::io::Result<Vec<Problem>> {
    let mut files = Vec::new();
    walk(root, root, &mut files)?;
    let known: BTreeSet<String> = files.iter().cloned().collect();
    let mut problems = Vec::new();
    for rel in &files {
        let ext = rel.rsplit_once('.').map_or("", |(_, e)| e);
        if !TEXT_EXTENSIONS.contains(&ext) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(root.join(rel)) else {
            continue; // not UTF-8
        };
        let crate_name = crate_of(root, rel);
        if rel.starts_with("crates/") && rel.ends_with("/Cargo.toml") {
            if let Some(name) = &crate_name {
                problems.extend(manifest_problems(name, rel, &text));
            }
        }
        if let Some(name) = crate_name.as_ref().filter(|n| *n != "voxorder-tidy") {
            // The tidy crate names the restricted crates as data.
            if rel.contains("/src/") && rel.ends_with(".rs") {
                problems.extend(source_problems(name, rel, &text));
            }
        }
        problems.extend(heldout_problems(rel, &text));
        problems.extend(ignore_problems(rel, &text));
        problems.extend(goal_import_problems(rel, &text));
        problems.extend(doc_reference_problems(rel, &text, &|cited: &str| {
            cites_existing(&known, rel, cited)
        }));
    }
    Ok(problems)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if kind.is_symlink() {
            continue;
        }
        if kind.is_dir() {
            let top = dir == root;
            if (top && SKIPPED_DIRS.contains(&name.as_str()))
                || name == ".git"
                || name == "node_modules"
            {
                continue;
            }
            walk(root, &path, out)?;
        } else if kind.is_file() {
            if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    Ok(())
}

/// The package name of the crate holding `rel` (`crates/<dir>/...`).
fn crate_of(root: &Path, rel: &str) -> Option<String> {
    let dir = rel.strip_prefix("crates/")?.split('/').next()?;
    let manifest =
        std::fs::read_to_string(root.join("crates").join(dir).join("Cargo.toml")).ok()?;
    let value: toml::Table = manifest.parse().ok()?;
    value
        .get("package")?
        .get("name")?
        .as_str()
        .map(String::from)
}

/// The names of the normal dependencies a manifest declares (not dev or build ones).
fn normal_dependencies(manifest: &toml::Table) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    if let Some(deps) = manifest.get("dependencies").and_then(|d| d.as_table()) {
        names.extend(deps.keys().cloned());
    }
    if let Some(targets) = manifest.get("target").and_then(|t| t.as_table()) {
        for target in targets.values() {
            if let Some(deps) = target.get("dependencies").and_then(|d| d.as_table()) {
                names.extend(deps.keys().cloned());
            }
        }
    }
    names
}

/// The dependency rules over one crate's `Cargo.toml`.
pub fn manifest_problems(crate_name: &str, rel: &str, text: &str) -> Vec<Problem> {
    let problem = |message: String| Problem {
        path: rel.to_string(),
        line: 0,
        rule: "dependencies",
        message,
    };
    let manifest: toml::Table = match text.parse() {
        Ok(m) => m,
        Err(e) => return vec![problem(format!("not a readable manifest: {e}"))],
    };
    let deps = normal_dependencies(&manifest);
    let mut problems = Vec::new();
    for dep in &deps {
        for r in RESTRICTED {
            if dep == r.package && !r.allowed.contains(&crate_name) {
                problems.push(problem(format!(
                    "{crate_name} depends on {dep}: {} ({})",
                    r.why,
                    r.allowed.join(", ")
                )));
            }
        }
        if crate_name == "voxorder-dialog" && !DIALOG_DEPENDENCIES.contains(&dep.as_str()) {
            problems.push(problem(format!(
                "voxorder-dialog depends on {dep}: the dialog depends on the domain and the \
                 configuration only (and on libraries that do no I/O)"
            )));
        }
        if crate_name == "voxorder-domain" && dep.starts_with("voxorder-") {
            problems.push(problem(format!(
                "voxorder-domain depends on {dep}: the domain is the bottom of the graph"
            )));
        }
    }
    problems
}

/// Lines of Rust that are code, numbered from 1 (comment lines left out).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
}

/// The dependency rules over one source file of a crate.
pub fn source_problems(crate_name: &str, rel: &str, text: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (n, line) in code_lines(text) {
        for r in RESTRICTED {
            if r.allowed.contains(&crate_name) || !uses_path(line, r.path_prefix) {
                continue;
            }
            problems.push(Problem {
                path: rel.to_string(),
                line: n,
                rule: "dependencies",
                message: format!(
                    "{crate_name} uses {}: {}",
                    r.path_prefix.trim_end_matches("::"),
                    r.why
                ),
            });
        }
    }
    problems
}

/// Whether `line` names a path starting with `prefix` (not as the tail of another name:
/// `my_rusqlite::` is not `rusqlite::`).
fn uses_path(line: &str, prefix: &str) -> bool {
    line.match_indices(prefix).any(|(i, _)| {
        !line[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// The held-out rule: only the evaluators name the held-out sets (or a blind set).
pub fn heldout_problems(rel: &str, text: &str) -> Vec<Problem> {
    let comment = match rel.rsplit('.').next() {
        Some("rs") => "//",
        Some("py") | Some("sh") => "#",
        _ => return Vec::new(),
    };
    if HELDOUT_READERS.contains(&rel) || rel.starts_with("crates/tidy/") {
        return Vec::new();
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with(comment))
        .filter(|(_, l)| {
            l.contains("nlu/heldout") || l.contains("spoken/texts") || names_blind_set(l)
        })
        .map(|(i, _)| Problem {
            path: rel.to_string(),
            line: i + 1,
            rule: "held-out",
            message: format!(
                "reads held-out data; only its evaluators may ({})",
                HELDOUT_READERS.join(", ")
            ),
        })
        .collect()
}

/// A path segment that is a blind set: `blind`, `blind_set`, `blind-2`.
fn names_blind_set(line: &str) -> bool {
    line.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '/'))
        .filter(|word| word.contains('/'))
        .flat_map(|path| path.split('/'))
        .any(|segment| segment.starts_with("blind"))
}

/// Where the dialog's goal modules live.
const DIALOG_GOALS: &str = "crates/dialog/src/goals/";

/// The goal-module rule: a goal module of the dialog names no other goal module.
pub fn goal_import_problems(rel: &str, text: &str) -> Vec<Problem> {
    let Some(own) = rel
        .strip_prefix(DIALOG_GOALS)
        .and_then(|f| f.strip_suffix(".rs"))
        .filter(|f| *f != "mod")
    else {
        return Vec::new();
    };
    code_lines(text)
        .filter(|(_, line)| {
            uses_path(line, "goals::")
                || line.match_indices("super::").any(|(i, _)| {
                    let rest = &line[i + "super::".len()..];
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    rest[name.len()..].starts_with("::") && name != own
                })
        })
        .map(|(n, _)| Problem {
            path: rel.to_string(),
            line: n,
            rule: "goal-imports",
            message: "a dialog goal module imports another goal module; put what they \
                      share below the goals (speak, request, session) or go through the \
                      engine's routing"
                .to_string(),
        })
        .collect()
}

/// `#[ignore]` must give its reason: `#[ignore = "why"]`.
pub fn ignore_problems(rel: &str, text: &str) -> Vec<Problem> {
    if !rel.ends_with(".rs") {
        return Vec::new();
    }
    code_lines(text)
        .filter(|(_, l)| l.trim() == "#[ignore]")
        .map(|(n, _)| Problem {
            path: rel.to_string(),
            line: n,
            rule: "ignore",
            message: "#[ignore] without a reason: write #[ignore = \"why\"] (and how to run it)"
                .into(),
        })
        .collect()
}

/// Files a doc cites that the repository does not hold. Markdown files are read whole;
/// Rust files only in their `//!` and `///` comments. A citation is a path in backticks,
/// a link target, or a bare Markdown file name.
pub fn doc_reference_problems(
    rel: &str,
    text: &str,
    exists: &dyn Fn(&str) -> bool,
) -> Vec<Problem> {
    let is_md = rel.ends_with(".md");
    if !is_md && !rel.ends_with(".rs") {
        return Vec::new();
    }
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let doc = line.trim_start();
        let doc = if is_md {
            line
        } else if let Some(rest) = doc.strip_prefix("//!").or_else(|| doc.strip_prefix("///")) {
            rest
        } else {
            continue;
        };
        for cited in citations(doc) {
            if !exists(&cited) {
                problems.push(Problem {
                    path: rel.to_string(),
                    line: i + 1,
                    rule: "doc-reference",
                    message: format!("cites {cited}, which is not in the repository"),
                });
            }
        }
    }
    problems
}

/// The repository paths a line of documentation cites.
fn citations(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    // `code spans`
    for (i, span) in line.split('`').enumerate() {
        if i % 2 == 1 {
            found.extend(cited_path(span));
        }
    }
    // [text](target)
    for part in line.split("](").skip(1) {
        if let Some(target) = part.split(')').next() {
            found.extend(cited_path(target));
        }
    }
    // Bare NAME.md outside code spans.
    for (i, outside) in line.split('`').enumerate() {
        if i % 2 == 0 {
            for word in outside.split(|c: char| c.is_whitespace() || "()[],;\"'".contains(c)) {
                let word = word.trim_end_matches(['.', ':', '!', '?']);
                if word.ends_with(".md") && !word.contains("](") {
                    found.extend(cited_path(word));
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// `s` as a repository path, if it looks like one: relative, no placeholders or globs,
/// with an extension of the files a repository holds.
fn cited_path(s: &str) -> Option<String> {
    let s = s.trim();
    let s = s.split('#').next()?.trim_end_matches('/');
    if s.is_empty()
        || s.starts_with('/')
        || s.starts_with('~')
        || s.starts_with("http")
        || s.contains(['<', '>', '*', '{', '}', ' ', '$', '='])
        || s.contains("NNNN")
    {
        return None;
    }
    let ext = s.rsplit_once('.')?.1;
    if !CITED_EXTENSIONS.contains(&ext) {
        return None;
    }
    let valid = s.chars().all(|c| c.is_alphanumeric() || "_-./".contains(c));
    valid.then(|| s.to_string())
}

/// Whether `cited`, from the file `rel`, names a file of the repository: from the root,
/// from the citing file's folder (with `..`), or as the tail of a path (`tts/espeak.rs`
/// in a crate's docs).
fn cites_existing(known: &BTreeSet<String>, rel: &str, cited: &str) -> bool {
    if known.contains(cited) {
        return true;
    }
    let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
    if let Some(joined) = normalise(&format!("{dir}/{cited}")) {
        if known.contains(&joined) {
            return true;
        }
    }
    if cited.starts_with("..") {
        return false;
    }
    let tail = format!("/{cited}");
    known.iter().any(|k| k.ends_with(&tail))
}

/// `a/b/../c` → `a/c`; `None` when it climbs out of the root.
fn normalise(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "[package]\nname = \"x\"\n\n[dependencies]\n";

    #[test]
    fn rusqlite_outside_the_store_is_refused_in_a_manifest() {
        let m = format!("{MANIFEST}rusqlite = {{ workspace = true }}\n");
        let p = manifest_problems("voxorder-nlu", "crates/nlu/Cargo.toml", &m);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].message.contains("runs SQL"), "{}", p[0]);
        assert!(manifest_problems("voxorder-store", "crates/store/Cargo.toml", &m).is_empty());
        assert!(manifest_problems("voxorder-hub", "crates/hub/Cargo.toml", &m).is_empty());
    }

    #[test]
    fn the_postgresql_client_outside_the_hub_is_refused() {
        let m = format!("{MANIFEST}postgres = {{ workspace = true }}\n");
        let p = manifest_problems("voxorder-store", "crates/store/Cargo.toml", &m);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].message.contains("PostgreSQL"), "{}", p[0]);
        assert!(manifest_problems("voxorder-hub", "crates/hub/Cargo.toml", &m).is_empty());
        let code = "let c = postgres::Client::connect(url, NoTls);\n";
        assert_eq!(
            source_problems("voxorder-sync", "crates/sync/src/x.rs", code).len(),
            1
        );
        // A URL in a string is not the client.
        let url = "let u = \"postgres://hub@db/fleet\";\n";
        assert!(source_problems("voxorder-sync", "crates/sync/src/x.rs", url).is_empty());
    }

    #[test]
    fn dev_dependencies_are_not_the_graph() {
        let m = "[package]\nname = \"x\"\n\n[dev-dependencies]\nrusqlite = \"0.37\"\n";
        assert!(manifest_problems("voxorder-nlu", "crates/nlu/Cargo.toml", m).is_empty());
    }

    #[test]
    fn target_specific_dependencies_count() {
        let m =
            "[package]\nname = \"x\"\n\n[target.'cfg(unix)'.dependencies]\nreqwest = \"0.12\"\n";
        let p = manifest_problems("voxorder-agent", "crates/agent/Cargo.toml", m);
        assert_eq!(p.len(), 1, "{p:?}");
    }

    #[test]
    fn reqwest_outside_sync_is_refused_in_a_manifest_and_in_code() {
        let m = format!("{MANIFEST}reqwest = \"0.12\"\n");
        assert_eq!(manifest_problems("voxorder-voice", "v", &m).len(), 1);
        assert!(manifest_problems("voxorder-sync", "s", &m).is_empty());
        let code = "fn f() {\n    let c = reqwest::Client::new();\n}\n";
        let p = source_problems("voxorder-agent", "crates/agent/src/lib.rs", code);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].line, 2);
        assert!(source_problems("voxorder-sync", "crates/sync/src/lib.rs", code).is_empty());
    }

    #[test]
    fn axum_and_hyper_outside_the_hub_are_refused() {
        let m = format!("{MANIFEST}axum = \"0.8\"\nhyper = \"1\"\n");
        assert_eq!(manifest_problems("voxorder-sync", "s", &m).len(), 2);
        assert!(manifest_problems("voxorder-hub", "h", &m).is_empty());
        let code = "use axum::Router;\nuse hyper::server::conn;\n";
        assert_eq!(
            source_problems("voxorder", "crates/cli/src/main.rs", code).len(),
            2
        );
        assert!(source_problems("voxorder-hub", "crates/hub/src/http.rs", code).is_empty());
    }

    #[test]
    fn rusqlite_in_code_is_refused_but_not_in_comments_or_other_names() {
        let code = "// rusqlite::Connection is the store's\nlet x = my_rusqlite::y();\nlet c = rusqlite::Connection::open_in_memory();\n";
        let p = source_problems("voxorder-agent", "crates/agent/src/lib.rs", code);
        assert_eq!(p.iter().map(|p| p.line).collect::<Vec<_>>(), vec![3]);
    }

    #[test]
    fn the_hub_is_linked_only_by_the_binary() {
        let m = format!("{MANIFEST}voxorder-hub = {{ workspace = true }}\n");
        assert_eq!(manifest_problems("voxorder-sync", "s", &m).len(), 1);
        assert!(manifest_problems("voxorder", "c", &m).is_empty());
    }

    #[test]
    fn a_goal_module_importing_another_is_named() {
        let rel = "crates/dialog/src/goals/returns.rs";
        for bad in [
            "use crate::goals::orders::status;",
            "    super::orders::status(e, facts);",
            "use super::commerce::every;",
        ] {
            let p = goal_import_problems(rel, bad);
            assert_eq!(p.len(), 1, "{bad}");
            assert_eq!(p[0].rule, "goal-imports");
        }
        for fine in [
            "use crate::speak::{card_words, load};",
            "// see super::orders::status",
            "use super::*;",
            "    use super::returns::helper;",
        ] {
            assert!(goal_import_problems(rel, fine).is_empty(), "{fine}");
        }
        // Only the goal modules are held to it.
        assert!(
            goal_import_problems("crates/dialog/src/routing.rs", "use crate::goals::orders;")
                .is_empty()
        );
        assert!(
            goal_import_problems("crates/dialog/src/goals/mod.rs", "pub(crate) mod orders;")
                .is_empty()
        );
    }

    #[test]
    fn the_dialog_depends_on_domain_and_config_only() {
        let m = format!(
            "{MANIFEST}voxorder-domain = {{ workspace = true }}\nvoxorder-config = {{ workspace = true }}\nvoxorder-nlu = {{ workspace = true }}\ntokio = \"1\"\n"
        );
        let p = manifest_problems("voxorder-dialog", "crates/dialog/Cargo.toml", &m);
        let named: Vec<&str> = p
            .iter()
            .map(|p| p.message.split_whitespace().nth(3).unwrap_or(""))
            .collect();
        assert_eq!(named, vec!["tokio:", "voxorder-nlu:"], "{p:?}");
    }

    #[test]
    fn the_domain_depends_on_no_crate_of_ours() {
        let m = format!("{MANIFEST}voxorder-config = {{ workspace = true }}\n");
        assert_eq!(manifest_problems("voxorder-domain", "d", &m).len(), 1);
    }

    #[test]
    fn heldout_data_read_outside_its_evaluators_is_refused() {
        let code = "let t = std::fs::read(\"assets/nlu/heldout/intents.tsv\");\n";
        let p = heldout_problems("tools/x.rs", code);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(heldout_problems("crates/nlu/src/eval.rs", code).is_empty());
        let py =
            "open('assets/nlu/heldout/intents.tsv')\n# assets/nlu/heldout/ is never read here\n";
        assert_eq!(heldout_problems("tools/train_intent.py", py).len(), 1);
        let spoken = "open('tests/data/spoken/texts.jsonl')\n";
        assert_eq!(heldout_problems("tools/train_intent.py", spoken).len(), 1);
        assert!(heldout_problems("tools/spoken_set/make_spoken_set.py", spoken).is_empty());
        let blind = "cp -r tests/data/blind_set/ /tmp\n";
        assert_eq!(heldout_problems("scripts/x.sh", blind).len(), 1);
        assert!(heldout_problems("scripts/x.sh", "echo a blind spot\n").is_empty());
    }

    #[test]
    fn ignore_without_a_reason_is_refused() {
        let code = "#[test]\n#[ignore]\nfn slow() {}\n#[test]\n#[ignore = \"needs espeak-ng\"]\nfn fine() {}\n";
        let p = ignore_problems("crates/x/src/lib.rs", code);
        assert_eq!(p.iter().map(|p| p.line).collect::<Vec<_>>(), vec![2]);
    }

    #[test]
    fn a_doc_citing_a_missing_file_is_refused() {
        let known: BTreeSet<String> = [
            "README.md",
            "docs/sync.md",
            "crates/speech/src/tts/espeak.rs",
            "crates/cli/src/main.rs",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let known = &known;
        let exists = |rel: &'static str| move |c: &str| cites_existing(known, rel, c);
        let rs = "//! See `tts/espeak.rs` and `MODELS.md` (\"Speech\").\n/// As in DESIGN.md.\n// DESIGN.md in a plain comment is not a doc.\nfn f() {}\n";
        let p = doc_reference_problems(
            "crates/speech/src/lib.rs",
            rs,
            &exists("crates/speech/src/lib.rs"),
        );
        let cited: Vec<(usize, &str)> = p
            .iter()
            .map(|p| (p.line, p.message.split_whitespace().nth(1).unwrap_or("")))
            .collect();
        assert_eq!(cited, vec![(1, "MODELS.md,"), (2, "DESIGN.md,")], "{p:?}");
        let md = "Read [the protocol](docs/sync.md), `../../README.md` and `docs/gone.md`;\nnot `/etc/voxorder/voxorder.toml`, `reply_NN.wav` or `<name>.md`.\n";
        let p = doc_reference_problems("crates/cli/NOTES.md", md, &exists("crates/cli/NOTES.md"));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].message.contains("docs/gone.md"));
    }
}

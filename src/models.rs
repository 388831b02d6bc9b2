//! The model files on disk: what `models/manifest.toml` says must be there, whether each
//! file is present with the right checksum, and preparing the files the device derives
//! itself (the whisper.cpp model converted from the CTranslate2 one).
//!
//! Fetching from the package registries is done by the setup step
//! (`tools/fetch_models.py`, run by `scripts/setup.sh`); this module checks and prepares.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// The fix to name when a fetched file is missing or wrong.
pub const FETCH_HINT: &str = "run `bash scripts/setup.sh` (fetches models from PyPI)";

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ModelsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
}

#[derive(Debug, Deserialize)]
struct Manifest {
    #[serde(default)]
    file: Vec<FileEntry>,
    #[serde(default)]
    derived: Vec<DerivedEntry>,
}

#[derive(Debug, Deserialize)]
struct FileEntry {
    dest: String,
    package: String,
    /// Only some builds use it (libvosk, for the `vosk` feature).
    #[serde(default)]
    optional: bool,
    platforms: BTreeMap<String, Platform>,
}

#[derive(Debug, Deserialize)]
struct Platform {
    sha256: String,
}

#[derive(Debug, Deserialize)]
struct DerivedEntry {
    dest: String,
    from: String,
    sha256: String,
}

/// One file the manifest names, as found on disk.
#[derive(Debug, Clone, Serialize)]
pub struct FileStatus {
    pub path: String,
    /// The registry package it comes from, or how it is made.
    pub source: String,
    pub bytes: Option<u64>,
    /// Made on the device from fetched files rather than fetched itself.
    #[serde(skip)]
    pub derived: bool,
    /// present | missing | checksum-mismatch | not-for-this-platform | not-needed, and
    /// for a file the device derives itself, to-be-converted (made on first use or by
    /// `models prepare`).
    pub state: &'static str,
}

/// The state of a derived file that is absent: not an error, it is made from fetched ones.
pub const TO_BE_CONVERTED: &str = "to-be-converted";

/// The state of an absent file this installation does without: optional, or the source
/// of a derived file that is already in place.
pub const NOT_NEEDED: &str = "not-needed";

/// The fix to name when a derived file is wrong.
pub const PREPARE_HINT: &str = "delete it and run `voxorder models prepare`";

impl FileStatus {
    /// Whether the file is usable as it is, or will be made from fetched files on first use.
    pub fn ok(&self) -> bool {
        matches!(self.state, "present" | TO_BE_CONVERTED | NOT_NEEDED)
    }

    /// The command that fixes a file that is not [`FileStatus::ok`].
    pub fn hint(&self) -> &'static str {
        if self.derived {
            PREPARE_HINT
        } else {
            FETCH_HINT
        }
    }
}

/// Checks every file of the manifest in `models_dir` for this machine's architecture.
pub fn status(models_dir: &Path) -> Result<Vec<FileStatus>, ModelsError> {
    let path = models_dir.join("manifest.toml");
    let text = std::fs::read_to_string(&path).map_err(|source| ModelsError::Read {
        path: path.clone(),
        source,
    })?;
    let manifest: Manifest = toml::from_str(&text).map_err(|e| ModelsError::Manifest {
        path: path.clone(),
        reason: e.message().to_string(),
    })?;
    let arch = std::env::consts::ARCH;
    let mut derived = Vec::new();
    for d in &manifest.derived {
        let mut status = check(models_dir, &d.dest, &d.from, &d.sha256)?;
        status.derived = true;
        if status.state == "missing" {
            status.state = TO_BE_CONVERTED;
        }
        derived.push(status);
    }
    // A source of a derived file is not needed once that file is in place (an install
    // bundle ships the converted Whisper model, not the CTranslate2 one).
    let made_from = |dest: &str| {
        manifest.derived.iter().zip(&derived).any(|(d, s)| {
            let source = d.from.split_whitespace().next().unwrap_or_default();
            !source.is_empty() && dest.starts_with(source) && s.state == "present"
        })
    };
    let mut out = Vec::new();
    for f in &manifest.file {
        let plat = f.platforms.get(arch).or_else(|| f.platforms.get("any"));
        let Some(plat) = plat else {
            out.push(FileStatus {
                path: f.dest.clone(),
                source: f.package.clone(),
                bytes: None,
                derived: false,
                state: "not-for-this-platform",
            });
            continue;
        };
        let mut status = check(models_dir, &f.dest, &f.package, &plat.sha256)?;
        if status.state == "missing" && (f.optional || made_from(&f.dest)) {
            status.state = NOT_NEEDED;
        }
        out.push(status);
    }
    out.extend(derived);
    Ok(out)
}

/// The sha256 the manifest records for a derived file, if any.
pub fn derived_sha256(models_dir: &Path, dest: &str) -> Option<String> {
    let text = std::fs::read_to_string(models_dir.join("manifest.toml")).ok()?;
    let manifest: Manifest = toml::from_str(&text).ok()?;
    manifest
        .derived
        .into_iter()
        .find(|d| d.dest == dest)
        .map(|d| d.sha256)
}

fn check(dir: &Path, dest: &str, source: &str, sha: &str) -> Result<FileStatus, ModelsError> {
    let path = dir.join(dest);
    let (bytes, state) = match std::fs::metadata(&path) {
        Err(_) => (None, "missing"),
        Ok(m) => {
            let actual = sha256_file(&path)?;
            let state = if actual.eq_ignore_ascii_case(sha) {
                "present"
            } else {
                "checksum-mismatch"
            };
            (Some(m.len()), state)
        }
    };
    Ok(FileStatus {
        path: dest.to_string(),
        source: source.to_string(),
        bytes,
        derived: false,
        state,
    })
}

/// Hex sha256 of a file, read in blocks.
pub fn sha256_file(path: &Path) -> Result<String, ModelsError> {
    let read = |source| ModelsError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(read)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(read)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// sha256 of "hello", the content every fixture file is checked against.
    const HELLO: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    /// A `[[file]]` entry of a test manifest, expected to hold "hello".
    fn file_entry(dest: &str, optional: bool) -> String {
        let optional = if optional { "optional = true\n" } else { "" };
        format!(
            "[[file]]\ndest = \"{dest}\"\npackage = \"p==1\"\nmember = \"x\"\n{optional}\
             [file.platforms.any]\nwheel_sha256 = \"0\"\nsha256 = \"{HELLO}\"\n\n"
        )
    }

    /// A `[[derived]]` entry made from `from`, expected to hold "hello".
    fn derived_entry(dest: &str, from: &str) -> String {
        format!("[[derived]]\ndest = \"{dest}\"\nfrom = \"{from}\"\nsha256 = \"{HELLO}\"\n")
    }

    #[test]
    fn status_reports_missing_present_and_corrupt_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("good.bin"), b"hello").expect("write");
        std::fs::write(dir.path().join("bad.bin"), b"tampered").expect("write");
        let manifest = [
            file_entry("good.bin", false),
            file_entry("bad.bin", false),
            file_entry("gone.bin", false),
            derived_entry("made.bin", "good.bin"),
        ]
        .concat();
        std::fs::write(dir.path().join("manifest.toml"), manifest).expect("write");
        let s = status(dir.path()).expect("status");
        let states: Vec<_> = s.iter().map(|f| (f.path.as_str(), f.state)).collect();
        assert_eq!(
            states,
            vec![
                ("good.bin", "present"),
                ("bad.bin", "checksum-mismatch"),
                ("gone.bin", "missing"),
                ("made.bin", TO_BE_CONVERTED),
            ]
        );
        let ok: Vec<_> = s.iter().map(FileStatus::ok).collect();
        assert_eq!(ok, vec![true, false, false, true]);
        assert_eq!(s[1].hint(), FETCH_HINT);
        std::fs::write(dir.path().join("made.bin"), b"cut").expect("write");
        let s = status(dir.path()).expect("status");
        assert_eq!(s[3].state, "checksum-mismatch");
        assert_eq!(s[3].hint(), PREPARE_HINT);
        assert_eq!(
            derived_sha256(dir.path(), "made.bin").as_deref(),
            Some(HELLO)
        );
    }

    /// An install bundle: the converted model without its source, and no optional library.
    #[test]
    fn a_bundle_without_sources_or_optional_files_is_complete() {
        let dir = tempfile::tempdir().expect("tempdir");
        let manifest = [
            file_entry("src/model.bin", false),
            file_entry("lib/extra.so", true),
            derived_entry("made.bin", "src/ (converter)"),
        ]
        .concat();
        std::fs::write(dir.path().join("manifest.toml"), manifest).expect("write");
        // Neither source nor result: the source is what is missing.
        let s = status(dir.path()).expect("status");
        assert_eq!(s[0].state, "missing");
        assert_eq!(s[1].state, NOT_NEEDED);
        std::fs::write(dir.path().join("made.bin"), b"hello").expect("write");
        let s = status(dir.path()).expect("status");
        let states: Vec<_> = s.iter().map(|f| f.state).collect();
        assert_eq!(states, vec![NOT_NEEDED, NOT_NEEDED, "present"]);
        assert!(s.iter().all(FileStatus::ok));
    }

    #[test]
    fn a_broken_manifest_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("manifest.toml"), "[[file]]\ndest = 3\n").expect("write");
        let err = status(dir.path()).expect_err("must fail");
        assert!(err.to_string().contains("manifest.toml"), "{err}");
    }
}

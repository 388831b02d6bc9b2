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

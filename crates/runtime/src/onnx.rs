//! The process's one ONNX Runtime environment. ONNX Runtime is loaded at run time from
//! the library the setup step fetched (`ort`'s load-dynamic), checked against its
//! manifest first, and allows a single environment per process: the intent model, the
//! Piper voice, Silero and the wake word all share this one.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::models::IntegrityError;

/// ONNX Runtime could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OrtError {
    /// The library is missing or would not load. Caller: install it (the setup step
    /// fetches it) or point `VOXORDER_ORT_LIB` at it.
    #[error("cannot load ONNX Runtime from {path}: {reason}; run `bash scripts/setup.sh` or set VOXORDER_ORT_LIB")]
    Load { path: PathBuf, reason: String },
    /// The library is not the file its manifest names. Caller: give up; the message says
    /// how to restore it.
    #[error(transparent)]
    Integrity(#[from] IntegrityError),
}

/// The variable that keeps ONNX Runtime from recording and sending usage events.
pub const TELEMETRY_OFF: (&str, &str) = ("ORT_DISABLE_TELEMETRY", "1");

/// Loads ONNX Runtime from `lib` and returns the process's one environment (ONNX Runtime
/// allows a single environment per process; every model shares it).
pub fn ort_environment(lib: &Path) -> Result<ort::environment::Environment, OrtError> {
    static ENVIRONMENT: Mutex<Option<ort::environment::Environment>> = Mutex::new(None);
    let runtime = |reason: String| OrtError::Load {
        path: lib.to_path_buf(),
        reason,
    };
    let mut slot = ENVIRONMENT
        .lock()
        .map_err(|_| runtime("environment lock poisoned".into()))?;
    if let Some(env) = slot.as_ref() {
        return Ok(env.clone());
    }
    if !lib.exists() {
        return Err(runtime("file not found".into()));
    }
    // A damaged library is not refused by the loader: it dies of SIGBUS in the middle.
    crate::models::verify(lib)?;
    // ONNX Runtime 1.29 and later collect usage events on Linux, keep them in
    // ~/.cache/Microsoft/DeveloperTools and upload them to Microsoft, with a device id.
    // The variable must be set before the library creates its environment: it logs
    // the process start there, before `with_telemetry(false)` can apply. Nothing else
    // in the process reads it, and no ONNX Runtime thread exists yet.
    std::env::set_var(TELEMETRY_OFF.0, TELEMETRY_OFF.1);
    let env = ort::init_from(lib)
        .map_err(|e| runtime(e.to_string()))?
        .with_name("voxorder")
        .with_telemetry(false)
        .build()
        .map_err(|e| runtime(e.to_string()))?;
    *slot = Some(env.clone());
    Ok(env)
}

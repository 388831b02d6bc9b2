//! What every model-running crate shares on a device: where voxorder keeps its files
//! (`paths`), the model files against their manifests and the sha256 check each passes
//! before it is loaded (`models`), the process's one ONNX Runtime environment
//! (`onnx`), and how the heap gives large buffers back (`memory`).
//!
//! Architecture invariant: no model or native library a manifest names is mapped or
//! loaded before `models::verify` passed, and only `onnx::ort_environment` creates the
//! ONNX Runtime environment.

pub mod memory;
pub mod models;
pub mod onnx;
pub mod paths;

//! voxorder: an offline voice agent for retail orders.
//!
//! The library holds every stage; `main.rs` only parses the command line and wires them.
//! See `ARCHITECTURE.md` for the codemap and the invariants between modules.

pub use voxorder_agent as agent;
pub use voxorder_config as config;
pub use voxorder_dialog as dialog;
pub use voxorder_domain::{change, clock, files, import, order, pii, speech_text};
pub use voxorder_hub as oms;
pub use voxorder_nlu as nlu;
pub use voxorder_nlu::knowledge;
pub use voxorder_runtime::{models, paths};
pub use voxorder_speech::{asr, audio, tts, vad, wake};
pub use voxorder_store as store;
pub use voxorder_store::{demo, documents};
pub use voxorder_sync as sync;
pub use voxorder_voice as voice;

pub mod chat;

//! voxorder: an offline voice agent for retail orders.
//!
//! The library holds every stage; `main.rs` only parses the command line and wires them.
//! See `ARCHITECTURE.md` for the codemap and the invariants between modules.

pub mod agent;
pub mod asr;
pub mod audio;
pub mod change;
pub mod chat;
pub mod clock;
pub mod config;
pub mod demo;
pub mod dialog;
pub mod documents;
pub mod files;
pub mod import;
pub mod knowledge;
pub mod models;
pub mod nlu;
pub mod oms;
pub mod order;
pub mod paths;
pub mod pii;
pub mod speech_text;
pub mod store;
pub mod sync;
pub mod tts;
pub mod vad;
pub mod voice;
pub mod wake;

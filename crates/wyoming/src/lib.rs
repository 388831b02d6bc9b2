//! A Wyoming protocol server offering speech recognition (asr), speech synthesis (tts),
//! a conversation agent (handle) and wake word detection (wake) to Home Assistant and its
//! voice satellites.
//!
//! The crate knows nothing of the recogniser, voice, agent or wake word behind it: each is
//! a trait in [`service`], and [`server::Server`] runs whichever are given over TCP.
//! [`protocol`] is the wire format alone; [`fake`] holds deterministic services for tests
//! and demonstrations.

pub mod fake;
pub mod protocol;
pub mod server;
pub mod service;

pub use server::{ConnectionGauge, Server, ServerConfig, ServerError, Services};
pub use service::{
    Asr, AsrInfo, AudioSink, Cancellation, Conversation, ConversationInfo, Described,
    LanguageModel, Reply, ServiceError, SinkClosed, SynthesisRequest, Tts, TtsInfo, Turn,
    Utterance, Voice, Wake, WakeDetector, WakeHit, WakeInfo, WakeStream, WakeWord,
};

//! A Wyoming protocol server offering speech recognition (asr), speech synthesis (tts),
//! a conversation agent (handle) and wake word detection (wake) to Home Assistant and its
//! voice satellites.
//!
//! [`protocol`] is the wire format alone: framing within hard limits and the typed data
//! of every event the server reads or writes.

pub mod protocol;

//! The services behind the server, as object-safe `Send + Sync` traits: [`Asr`],
//! [`Tts`], [`Conversation`] and [`Wake`], with what each describes of itself for `info`
//! and the one error type they return.
//!
//! Every method except `describe` may be slow and is synchronous: the server calls it on a
//! blocking thread, never on the async runtime. `describe` is called on every `describe`
//! request (Home Assistant polls every 30 s), so it must be cheap and must not block.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub use crate::protocol::{Attribution, AudioFormat, Context};

/// The name, description, version and attribution of a program, model, voice or wake
/// word, as `info` shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub name: String,
    pub description: Option<String>,
    pub version: Option<String>,
    pub attribution: Attribution,
}

/// A recognition model or an agent model, and the languages it serves. For an agent an
/// empty list means every language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageModel {
    pub about: Described,
    pub languages: Vec<String>,
}

/// A voice, its languages (Home Assistant groups voices by them) and its speakers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voice {
    pub about: Described,
    pub languages: Vec<String>,
    pub speakers: Vec<String>,
}

/// A wake word model: `about.name` is the id clients ask for and detections carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WakeWord {
    pub about: Described,
    pub languages: Vec<String>,
    pub phrase: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsrInfo {
    pub program: Described,
    pub models: Vec<LanguageModel>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TtsInfo {
    pub program: Described,
    pub voices: Vec<Voice>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationInfo {
    pub program: Described,
    pub models: Vec<LanguageModel>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WakeInfo {
    pub program: Described,
    pub wake_words: Vec<WakeWord>,
}

/// Set by the server when nobody waits for a request's answer any more (the client hung
/// up, or the request ran out of time). Long work may poll it and stop early.
#[derive(Debug, Clone, Default)]
pub struct Cancellation(Arc<AtomicBool>);

impl Cancellation {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// What a service can report. The `Display` text is sent to the client in an `error`
/// event, so it must not carry personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    #[error("audio of {} Hz, {} bytes per sample, {} channels is not supported", .format.rate, .format.width, .format.channels)]
    UnsupportedFormat { format: AudioFormat },
    #[error("language {language:?} is not supported")]
    UnsupportedLanguage { language: String },
    #[error("there is no model named {name:?}")]
    UnknownModel { name: String },
    #[error("there is no voice named {name:?}")]
    UnknownVoice { name: String },
    #[error("none of the wake words {names:?} is available")]
    UnknownWakeWord { names: Vec<String> },
    #[error("the request was cancelled")]
    Cancelled,
    #[error("{message}")]
    Failed { message: String },
}

impl ServiceError {
    pub fn failed(message: impl Into<String>) -> Self {
        Self::Failed {
            message: message.into(),
        }
    }

    /// The `code` sent in an `error` event for this failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnsupportedFormat { .. } => "unsupported-format",
            Self::UnsupportedLanguage { .. } => "unsupported-language",
            Self::UnknownModel { .. } => "unknown-model",
            Self::UnknownVoice { .. } => "unknown-voice",
            Self::UnknownWakeWord { .. } => "unknown-wake-word",
            Self::Cancelled => "cancelled",
            Self::Failed { .. } => "service-failed",
        }
    }
}

// ---------------------------------------------------------------------------- asr

/// One utterance, exactly as the client sent it: raw interleaved little-endian PCM in
/// `format` (converting it to what the recogniser needs is the service's job).
#[derive(Debug, Clone, PartialEq)]
pub struct Utterance {
    pub format: AudioFormat,
    pub audio: Vec<u8>,
    pub language: Option<String>,
    /// The model the client named, if any.
    pub model: Option<String>,
    /// Names, then terms, the client asks recognition to favour.
    pub names: Vec<String>,
    pub terms: Vec<String>,
    pub context: Option<Context>,
}

/// Speech recognition: the collected audio of one utterance in, its text out.
pub trait Asr: Send + Sync {
    fn describe(&self) -> AsrInfo;

    /// The transcript of `utterance` (the server trims it; empty means nothing heard).
    fn transcribe(
        &self,
        utterance: &Utterance,
        cancel: &Cancellation,
    ) -> Result<String, ServiceError>;
}

// ---------------------------------------------------------------------------- tts

/// Text to speak. `voice` and `speaker` follow the Python precedence: when `voice` is set,
/// `language` is not (a client's language is only a fallback for an unnamed voice);
/// neither set means the service's default voice, which is what Home Assistant asks for
/// unless a user picked a voice.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthesisRequest {
    pub text: String,
    pub voice: Option<String>,
    pub speaker: Option<String>,
    pub language: Option<String>,
    pub context: Option<Context>,
}

/// The client went away or the request ran out of time: stop producing audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("nobody is listening to this audio any more")]
pub struct SinkClosed;

/// Where a voice puts its audio, piece by piece, as soon as each piece exists. Every
/// piece of one request must have the same format.
pub trait AudioSink: Send {
    fn write(&mut self, format: AudioFormat, pcm: Vec<u8>) -> Result<(), SinkClosed>;
}

/// Collecting audio in memory, for tests and offline use.
impl AudioSink for Vec<(AudioFormat, Vec<u8>)> {
    fn write(&mut self, format: AudioFormat, pcm: Vec<u8>) -> Result<(), SinkClosed> {
        self.push((format, pcm));
        Ok(())
    }
}

/// Speech synthesis, streamed: the server sends each piece on as it is written.
pub trait Tts: Send + Sync {
    fn describe(&self) -> TtsInfo;

    /// Speaks `request.text` into `sink`. A [`SinkClosed`] from the sink means stop now;
    /// return [`ServiceError::Cancelled`] then.
    fn synthesize(
        &self,
        request: &SynthesisRequest,
        sink: &mut dyn AudioSink,
    ) -> Result<(), ServiceError>;
}

// ---------------------------------------------------------------------------- handle

/// One user turn for the conversation agent. The ids come from the request's context
/// (Home Assistant sends `conversation_id`, and `device_id`/`satellite_id` when known);
/// the server keeps nothing between turns, so an agent with memory keys it by
/// `conversation_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub text: String,
    pub language: Option<String>,
    pub conversation_id: Option<String>,
    pub device_id: Option<String>,
    pub satellite_id: Option<String>,
    /// The whole context as received, ids included.
    pub context: Context,
}

/// The agent's answer: `Handled` is a success; `NotHandled` is spoken as a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Handled(String),
    NotHandled(String),
}

/// The conversation agent. A turn runs to its end even when the client hangs up meanwhile
/// (it may have changed an order); only its answer is then dropped.
pub trait Conversation: Send + Sync {
    fn describe(&self) -> ConversationInfo;

    fn handle(&self, turn: &Turn) -> Result<Reply, ServiceError>;
}

// ---------------------------------------------------------------------------- wake

/// One wake word stream: which wake words to listen for (`None`: the default ones) and
/// the format of the audio that will follow.
#[derive(Debug, Clone, PartialEq)]
pub struct WakeStream {
    pub names: Option<Vec<String>>,
    pub format: AudioFormat,
    pub context: Option<Context>,
}

/// A wake word heard, by its model name, at `timestamp_ms` milliseconds into the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WakeHit {
    pub name: String,
    pub timestamp_ms: u64,
}

/// Wake word detection: one detector per audio stream.
pub trait Wake: Send + Sync {
    fn describe(&self) -> WakeInfo;

    /// A fresh detector for `stream` (created on a blocking thread: it may load a model).
    fn detector(&self, stream: &WakeStream) -> Result<Box<dyn WakeDetector>, ServiceError>;
}

/// Listens to one stream. It is fed every piece of audio in order on one blocking thread,
/// and keeps listening after a hit (suppressing repeats is its own business).
pub trait WakeDetector: Send {
    fn process(&mut self, audio: &[u8]) -> Result<Vec<WakeHit>, ServiceError>;
}

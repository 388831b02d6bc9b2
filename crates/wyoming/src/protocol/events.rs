//! Typed data of the events this server reads and writes (audio, asr, tts, handle, wake,
//! error, ping), with the field names and null/absent rules of the Python library: every
//! optional field may be absent or `null`, unknown fields are ignored.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::frame::{Event, ProtocolError};

/// A JSON object carried along by a request (Home Assistant puts `conversation_id`,
/// `device_id` and `satellite_id` here).
pub type Context = Map<String, Value>;

/// The data of one event type, convertible to and from an [`Event`].
pub trait EventData: Sized {
    const TYPE: &'static str;

    fn to_event(&self) -> Event;

    /// Decodes `event`, which must be of type [`Self::TYPE`].
    fn from_event(event: &Event) -> Result<Self, ProtocolError>;

    fn is_type(event_type: &str) -> bool {
        event_type == Self::TYPE
    }
}

fn to_map<T: Serialize>(value: &T) -> Map<String, Value> {
    match serde_json::to_value(value).expect("event data always serialises") {
        Value::Object(map) => map,
        other => unreachable!("event data serialised to a non-object: {other}"),
    }
}

fn from_map<T: DeserializeOwned>(
    expected: &'static str,
    event: &Event,
) -> Result<T, ProtocolError> {
    if event.event_type != expected {
        return Err(ProtocolError::UnexpectedType {
            expected,
            found: event.event_type.clone(),
        });
    }
    serde_json::from_value(Value::Object(event.data.clone())).map_err(|source| {
        ProtocolError::InvalidData {
            event_type: event.event_type.clone(),
            source,
        }
    })
}

macro_rules! event_data {
    ($($ty:ty => $name:literal),* $(,)?) => {$(
        impl EventData for $ty {
            const TYPE: &'static str = $name;

            fn to_event(&self) -> Event {
                Event::with_data($name, to_map(self))
            }

            fn from_event(event: &Event) -> Result<Self, ProtocolError> {
                from_map($name, event)
            }
        }
    )*};
}

event_data! {
    AudioStart => "audio-start",
    AudioStop => "audio-stop",
    Transcribe => "transcribe",
    Transcript => "transcript",
    Synthesize => "synthesize",
    SynthesizeStart => "synthesize-start",
    SynthesizeChunk => "synthesize-chunk",
    SynthesizeStop => "synthesize-stop",
    SynthesizeStopped => "synthesize-stopped",
    Handled => "handled",
    NotHandled => "not-handled",
    Detect => "detect",
    Detection => "detection",
    NotDetected => "not-detected",
    Error => "error",
    Ping => "ping",
    Pong => "pong",
}

// ---------------------------------------------------------------------------- audio

/// Raw PCM layout: samples per second, bytes per sample, interleaved channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioFormat {
    pub rate: u32,
    pub width: u16,
    pub channels: u16,
}

impl AudioFormat {
    pub const fn new(rate: u32, width: u16, channels: u16) -> Self {
        Self {
            rate,
            width,
            channels,
        }
    }

    /// Bytes in one frame (one sample of every channel).
    pub fn frame_bytes(&self) -> usize {
        usize::from(self.width) * usize::from(self.channels)
    }

    pub fn bytes_per_second(&self) -> u64 {
        u64::from(self.rate) * self.frame_bytes() as u64
    }

    /// Milliseconds of audio in `bytes` bytes of this format.
    pub fn millis(&self, bytes: u64) -> u64 {
        bytes
            .saturating_mul(1000)
            .checked_div(self.bytes_per_second())
            .unwrap_or(0)
    }
}

/// Opens an audio stream. `timestamp` is in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioStart {
    #[serde(flatten)]
    pub format: AudioFormat,
    #[serde(default)]
    pub timestamp: Option<u64>,
}

/// A piece of audio: its format travels with every chunk, the PCM is the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioChunk {
    pub format: AudioFormat,
    pub timestamp: Option<u64>,
    pub audio: Vec<u8>,
}

impl EventData for AudioChunk {
    const TYPE: &'static str = "audio-chunk";

    fn to_event(&self) -> Event {
        let head = AudioStart {
            format: self.format,
            timestamp: self.timestamp,
        };
        Event::with_data(Self::TYPE, to_map(&head)).with_payload(self.audio.clone())
    }

    fn from_event(event: &Event) -> Result<Self, ProtocolError> {
        if event.event_type != Self::TYPE {
            return Err(ProtocolError::UnexpectedType {
                expected: Self::TYPE,
                found: event.event_type.clone(),
            });
        }
        let head: AudioStart =
            serde_json::from_value(Value::Object(event.data.clone())).map_err(|source| {
                ProtocolError::InvalidData {
                    event_type: event.event_type.clone(),
                    source,
                }
            })?;
        Ok(Self {
            format: head.format,
            timestamp: head.timestamp,
            audio: event.payload.clone(),
        })
    }
}

/// Ends an audio stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioStop {
    #[serde(default)]
    pub timestamp: Option<u64>,
}

// ---------------------------------------------------------------------------- asr

/// Asks for a transcription of the audio stream that follows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transcribe {
    /// Model name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vad_sensitivity: Option<String>,
    /// Names to bias recognition towards (they win over terms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript_names: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript_terms: Option<Vec<String>>,
}

/// Text: the recogniser's answer (server to client), or a conversation turn for the
/// handle service (client to server).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
}

// ---------------------------------------------------------------------------- tts

/// The voice a synthesis asks for. Python's precedence: `name` wins (with `speaker`),
/// otherwise `language`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SynthesizeVoice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Synthesize {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<SynthesizeVoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
}

/// Opens a streamed synthesis: text follows in `synthesize-chunk`s.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SynthesizeStart {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<SynthesizeVoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SynthesizeChunk {
    pub text: String,
}

/// The client's end of a streamed synthesis.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SynthesizeStop {}

/// The server's end of a streamed synthesis: all audio has been sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SynthesizeStopped {}

// ---------------------------------------------------------------------------- handle

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Handled {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NotHandled {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
}

// ---------------------------------------------------------------------------- wake

/// Asks for wake word detection in the audio stream that follows. `names: null` means the
/// default wake word(s); the Python writer always writes the field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Detect {
    #[serde(default)]
    pub names: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
}

/// A wake word was heard; `timestamp` is in milliseconds of the audio stream.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub timestamp: Option<u64>,
    #[serde(default)]
    pub speaker: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NotDetected {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
}

// ---------------------------------------------------------------------------- misc

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Error {
    pub text: String,
    #[serde(default)]
    pub code: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ping {
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pong {
    #[serde(default)]
    pub text: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(event_type: &str, data: Value) -> Event {
        match data {
            Value::Object(map) => Event::with_data(event_type, map),
            other => panic!("not an object: {other}"),
        }
    }

    fn round_trip<T: EventData + PartialEq + std::fmt::Debug>(value: T) {
        let back = T::from_event(&value.to_event()).expect("decodes");
        assert_eq!(back, value);
    }

    #[test]
    fn every_event_round_trips() {
        let context = json!({"conversation_id": "c1"}).as_object().cloned();
        let format = AudioFormat::new(16000, 2, 1);
        round_trip(AudioStart {
            format,
            timestamp: Some(0),
        });
        round_trip(AudioChunk {
            format,
            timestamp: None,
            audio: vec![1, 2, 3, 4],
        });
        round_trip(AudioStop { timestamp: Some(9) });
        round_trip(Transcribe {
            language: Some("en".into()),
            transcript_names: Some(vec!["Ada".into()]),
            ..Transcribe::default()
        });
        round_trip(Transcript {
            text: "héllo".into(),
            language: Some("en".into()),
            context: context.clone(),
        });
        round_trip(Synthesize {
            text: "Hi.".into(),
            voice: Some(SynthesizeVoice {
                name: Some("v".into()),
                speaker: Some("s".into()),
                language: None,
            }),
            ..Synthesize::default()
        });
        round_trip(SynthesizeStart::default());
        round_trip(SynthesizeChunk { text: "a".into() });
        round_trip(SynthesizeStop {});
        round_trip(SynthesizeStopped {});
        round_trip(Handled {
            text: Some("ok".into()),
            context: context.clone(),
        });
        round_trip(NotHandled::default());
        round_trip(Detect {
            names: Some(vec!["okay_nabu".into()]),
            context: None,
        });
        round_trip(Detection {
            name: Some("okay_nabu".into()),
            timestamp: Some(120),
            ..Detection::default()
        });
        round_trip(NotDetected { context });
        round_trip(Error {
            text: "bad".into(),
            code: Some("x".into()),
        });
        round_trip(Ping { text: None });
        round_trip(Pong {
            text: Some("p".into()),
        });
    }

    #[test]
    fn nulls_and_unknown_fields_are_tolerated() {
        let chunk = event(
            "audio-chunk",
            json!({"rate": 16000, "width": 2, "channels": 1, "timestamp": null, "extra": [1]}),
        );
        let chunk = AudioChunk::from_event(&chunk).expect("decodes");
        assert_eq!(chunk.timestamp, None);
        assert!(chunk.audio.is_empty(), "an absent payload is empty audio");
        let detect = Detect::from_event(&event("detect", json!({"names": null}))).expect("ok");
        assert_eq!(detect.names, None);
        let transcribe = Transcribe::from_event(&event(
            "transcribe",
            json!({"language": null, "name": null, "context": null, "future": true}),
        ))
        .expect("decodes");
        assert_eq!(transcribe, Transcribe::default());
        let synth = Synthesize::from_event(&event(
            "synthesize",
            json!({"text": "x", "voice": {"name": "v", "speaker": null}}),
        ))
        .expect("decodes");
        assert_eq!(synth.voice.and_then(|v| v.name).as_deref(), Some("v"));
        assert_eq!(
            Handled::from_event(&Event::new("handled")).expect("empty data"),
            Handled::default()
        );
    }

    #[test]
    fn writes_the_fields_python_writes() {
        // Python writes these as explicit nulls; readers of either side expect the keys.
        let detect = Detect::default().to_event();
        assert_eq!(detect.data.get("names"), Some(&Value::Null));
        let detection = Detection::default().to_event();
        assert!(detection.data.contains_key("timestamp"));
        // And leaves these out when unset.
        let transcript = Transcript {
            text: String::new(),
            ..Transcript::default()
        }
        .to_event();
        assert_eq!(Value::Object(transcript.data), json!({"text": ""}));
        assert!(Handled::default().to_event().data.is_empty());
    }

    #[test]
    fn missing_required_fields_and_wrong_types_are_errors() {
        let no_rate = event("audio-start", json!({"width": 2, "channels": 1}));
        assert!(matches!(
            AudioStart::from_event(&no_rate),
            Err(ProtocolError::InvalidData { .. })
        ));
        let no_text = event("transcript", json!({"language": "en"}));
        assert!(matches!(
            Transcript::from_event(&no_text),
            Err(ProtocolError::InvalidData { .. })
        ));
        assert!(matches!(
            Transcript::from_event(&Event::new("handled")),
            Err(ProtocolError::UnexpectedType { .. })
        ));
    }

    #[test]
    fn format_arithmetic() {
        let format = AudioFormat::new(16000, 2, 1);
        assert_eq!(format.frame_bytes(), 2);
        assert_eq!(format.bytes_per_second(), 32000);
        assert_eq!(format.millis(320), 10);
        assert_eq!(AudioFormat::new(0, 2, 1).millis(320), 0);
    }
}

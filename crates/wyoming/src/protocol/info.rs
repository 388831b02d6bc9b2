//! The `describe` request and the `info` answer: programs, their models, voices and wake
//! words, with the fields Python's `Info.from_event` requires (a missing one makes Home
//! Assistant's setup fail) and never a `satellite` (its presence turns every service off).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::events::EventData;
use super::frame::{Event, ProtocolError};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Describe {}

/// Who made an artifact and where it comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    pub name: String,
    pub url: String,
}

/// The fields every program, model, voice and wake word shares. Python writes
/// `description` and `version` as explicit nulls, so they are always written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    pub name: String,
    pub attribution: Attribution,
    pub installed: bool,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AsrModel {
    #[serde(flatten)]
    pub artifact: Artifact,
    pub languages: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AsrProgram {
    #[serde(flatten)]
    pub artifact: Artifact,
    pub models: Vec<AsrModel>,
    #[serde(default)]
    pub supports_transcript_streaming: bool,
    /// True when the client must end the utterance (send `audio-stop`) itself.
    #[serde(default = "yes")]
    pub requires_external_vad: bool,
    #[serde(default = "yes")]
    pub prefers_auto_gain_enabled: bool,
    #[serde(default = "yes")]
    pub prefers_noise_reduction_enabled: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TtsVoiceSpeaker {
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TtsVoice {
    #[serde(flatten)]
    pub artifact: Artifact,
    pub languages: Vec<String>,
    #[serde(default)]
    pub speakers: Option<Vec<TtsVoiceSpeaker>>,
}

/// A TTS program lists `voices` (not `models`, whatever the protocol README says).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TtsProgram {
    #[serde(flatten)]
    pub artifact: Artifact,
    pub voices: Vec<TtsVoice>,
    #[serde(default)]
    pub supports_synthesize_streaming: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandleModel {
    #[serde(flatten)]
    pub artifact: Artifact,
    /// Empty means every language to Home Assistant.
    pub languages: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandleProgram {
    #[serde(flatten)]
    pub artifact: Artifact,
    pub models: Vec<HandleModel>,
    #[serde(default)]
    pub supports_handled_streaming: bool,
    #[serde(default)]
    pub supports_home_control: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WakeModel {
    #[serde(flatten)]
    pub artifact: Artifact,
    pub languages: Vec<String>,
    #[serde(default)]
    pub phrase: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WakeProgram {
    #[serde(flatten)]
    pub artifact: Artifact,
    pub models: Vec<WakeModel>,
}

/// The answer to `describe`. All seven lists are always written, empty ones as `[]`;
/// `intent`, `mic` and `snd` are domains this server does not offer, kept as raw JSON
/// when read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Info {
    #[serde(default)]
    pub asr: Vec<AsrProgram>,
    #[serde(default)]
    pub tts: Vec<TtsProgram>,
    #[serde(default)]
    pub handle: Vec<HandleProgram>,
    #[serde(default)]
    pub intent: Vec<Value>,
    #[serde(default)]
    pub wake: Vec<WakeProgram>,
    #[serde(default)]
    pub mic: Vec<Value>,
    #[serde(default)]
    pub snd: Vec<Value>,
}

impl EventData for Describe {
    const TYPE: &'static str = "describe";

    fn to_event(&self) -> Event {
        Event::new(Self::TYPE)
    }

    fn from_event(event: &Event) -> Result<Self, ProtocolError> {
        if event.event_type != Self::TYPE {
            return Err(ProtocolError::UnexpectedType {
                expected: Self::TYPE,
                found: event.event_type.clone(),
            });
        }
        Ok(Self {})
    }
}

impl EventData for Info {
    const TYPE: &'static str = "info";

    fn to_event(&self) -> Event {
        match serde_json::to_value(self).expect("info always serialises") {
            Value::Object(map) => Event::with_data(Self::TYPE, map),
            other => unreachable!("info serialised to a non-object: {other}"),
        }
    }

    fn from_event(event: &Event) -> Result<Self, ProtocolError> {
        if event.event_type != Self::TYPE {
            return Err(ProtocolError::UnexpectedType {
                expected: Self::TYPE,
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn artifact(name: &str) -> Artifact {
        Artifact {
            name: name.into(),
            attribution: Attribution {
                name: "a".into(),
                url: "https://example.invalid".into(),
            },
            installed: true,
            description: None,
            version: None,
        }
    }

    #[test]
    fn writes_every_list_and_the_required_fields() {
        let info = Info {
            tts: vec![TtsProgram {
                artifact: artifact("tts"),
                voices: vec![TtsVoice {
                    artifact: artifact("v"),
                    languages: vec!["en_US".into()],
                    speakers: None,
                }],
                supports_synthesize_streaming: true,
            }],
            ..Info::default()
        };
        let data = Value::Object(info.to_event().data);
        for list in ["asr", "tts", "handle", "intent", "wake", "mic", "snd"] {
            assert!(data[list].is_array(), "{list} is written");
        }
        assert!(data.get("satellite").is_none());
        let voice = &data["tts"][0]["voices"][0];
        assert_eq!(voice["name"], json!("v"));
        assert_eq!(voice["installed"], json!(true));
        assert_eq!(voice["description"], Value::Null);
        assert_eq!(
            voice["attribution"]["url"],
            json!("https://example.invalid")
        );
        assert_eq!(data["tts"][0]["supports_synthesize_streaming"], json!(true));
        assert_eq!(
            Info::from_event(&info.to_event()).expect("reads back"),
            info
        );
    }

    #[test]
    fn reads_python_info_with_defaults_and_unknown_fields() {
        let data = json!({
            "asr": [{"name": "fw", "attribution": {"name": "x", "url": "u"}, "installed": true,
                     "models": [{"name": "auto", "attribution": {"name": "x", "url": "u"},
                                 "installed": true, "languages": ["en"], "new": 1}]}],
            "satellite": {"name": "s"}
        });
        let event = Event::with_data("info", data.as_object().cloned().expect("object"));
        let info = Info::from_event(&event).expect("decodes");
        assert!(info.asr[0].requires_external_vad);
        assert!(!info.asr[0].supports_transcript_streaming);
        assert_eq!(info.asr[0].models[0].artifact.description, None);
        assert!(info.tts.is_empty());
    }
}

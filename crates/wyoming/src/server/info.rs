//! The `info` answer, built from what each service describes of itself: everything listed
//! is installed, and the flags say what this server does (it waits for the client's
//! `audio-stop`, streams synthesis when configured to, and controls no home).

use crate::protocol::{
    Artifact, AsrModel, AsrProgram, HandleModel, HandleProgram, Info, TtsProgram, TtsVoice,
    TtsVoiceSpeaker, WakeModel, WakeProgram,
};
use crate::service::Described;

use super::{ServerConfig, Services};

fn installed(about: Described) -> Artifact {
    Artifact {
        name: about.name,
        attribution: about.attribution,
        installed: true,
        description: about.description,
        version: about.version,
    }
}

pub(crate) fn build(services: &Services, config: &ServerConfig) -> Info {
    let asr = services.asr.iter().map(|asr| {
        let described = asr.describe();
        AsrProgram {
            artifact: installed(described.program),
            models: described
                .models
                .into_iter()
                .map(|m| AsrModel {
                    artifact: installed(m.about),
                    languages: m.languages,
                })
                .collect(),
            supports_transcript_streaming: false,
            // The recogniser gets whole utterances, so the client must end each one.
            requires_external_vad: true,
            prefers_auto_gain_enabled: true,
            prefers_noise_reduction_enabled: true,
        }
    });
    let tts = services.tts.iter().map(|tts| {
        let described = tts.describe();
        TtsProgram {
            artifact: installed(described.program),
            voices: described
                .voices
                .into_iter()
                .map(|v| TtsVoice {
                    artifact: installed(v.about),
                    languages: v.languages,
                    speakers: (!v.speakers.is_empty()).then(|| {
                        v.speakers
                            .into_iter()
                            .map(|name| TtsVoiceSpeaker { name })
                            .collect()
                    }),
                })
                .collect(),
            supports_synthesize_streaming: config.tts_streaming,
        }
    });
    let handle = services.conversation.iter().map(|agent| {
        let described = agent.describe();
        HandleProgram {
            artifact: installed(described.program),
            models: described
                .models
                .into_iter()
                .map(|m| HandleModel {
                    artifact: installed(m.about),
                    languages: m.languages,
                })
                .collect(),
            supports_handled_streaming: false,
            supports_home_control: false,
        }
    });
    let wake = services.wake.iter().map(|wake| {
        let described = wake.describe();
        WakeProgram {
            artifact: installed(described.program),
            models: described
                .wake_words
                .into_iter()
                .map(|w| WakeModel {
                    artifact: installed(w.about),
                    languages: w.languages,
                    phrase: w.phrase,
                })
                .collect(),
        }
    });
    Info {
        asr: asr.collect(),
        tts: tts.collect(),
        handle: handle.collect(),
        wake: wake.collect(),
        ..Info::default()
    }
}

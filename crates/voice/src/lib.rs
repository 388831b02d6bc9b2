//! The spoken conversation: joins the audio, VAD, recogniser, agent and voice stages into
//! one turn (`respond`), and on top of it the live device loop (`live`), the WAV-driven
//! harness (`simulate`), the speech benchmark (`bench`) and the spoken test set (`eval`).
//!
//! Every stage is a trait object, so the same code runs on the real models and on fakes.

pub mod bench;
pub mod eval;
pub mod live;
pub mod simulate;

use std::path::Path;
use std::time::Instant;

use serde::Serialize;
use thiserror::Error;

use voxorder_agent::{Agent, AgentError, Turn};
use voxorder_config::{Config, SpeechConfig};
use voxorder_dialog::locale::Catalog;
use voxorder_dialog::AnswerShape;
use voxorder_speech::asr::{AsrError, Expect, Recognizer, Transcript};
use voxorder_speech::audio::AudioError;
use voxorder_speech::tts::{Pace, SynthesisStats, Synthesizer, TtsError};
use voxorder_speech::vad::{VadError, VoiceActivity};
use voxorder_store::Store;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum VoiceError {
    #[error(transparent)]
    Audio(#[from] AudioError),
    #[error(transparent)]
    Vad(#[from] VadError),
    #[error(transparent)]
    Asr(#[from] AsrError),
    #[error(transparent)]
    Tts(#[from] TtsError),
    #[error(transparent)]
    Wake(#[from] voxorder_speech::wake::WakeError),
    #[error(transparent)]
    Agent(#[from] AgentError),
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// The spoken test set's caller voice (the espeak-ng program) cannot run.
    #[error("cannot run espeak-ng ({source}); install it with `apt-get install espeak-ng`")]
    EspeakMissing { source: std::io::Error },
    #[error("espeak-ng failed: {stderr}")]
    EspeakFailed { stderr: String },
    /// The spoken test set is not rendered. Caller: run `scripts/setup.sh --voices` or
    /// point `SPOKEN_CACHE` at a rendered set.
    #[error(
        "no spoken test set at {} ({source}); render it with `bash scripts/setup.sh --voices` \
         or set SPOKEN_CACHE to a rendered set",
        path.display()
    )]
    SpokenSetMissing {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: not a spoken-set clip ({source})", path.display())]
    SpokenSetLine {
        path: std::path::PathBuf,
        line: usize,
        source: serde_json::Error,
    },
    /// A `simulate` folder without caller turns. Caller: give a folder of WAV files.
    #[error("{} holds no .wav files (one file per caller turn, played in name order)", dir.display())]
    NoTurns { dir: std::path::PathBuf },
    /// Speaker mode without a wake-word model. Caller: set `speech.wake.model`.
    #[error("speaker mode needs the wake-word model (speech.wake.model)")]
    NoWakeWord,
    /// The bench plays a call of a demo household, which this store does not hold.
    #[error("the bench plays a call of {email}, who is not in this store (run it on the demo store: no --db)")]
    BenchCallerMissing { email: &'static str },
    /// Understanding a transcript failed (the spoken test set).
    #[error(transparent)]
    Understanding(#[from] voxorder_nlu::classifier::ClassifierError),
    /// The store could not answer the bench's look-ups.
    #[error(transparent)]
    Store(#[from] voxorder_store::StoreError),
    /// A report could not be written as JSON.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

impl VoiceError {
    /// The integrity failure behind this error, if a model or library was refused.
    pub fn integrity(&self) -> Option<&voxorder_runtime::models::IntegrityError> {
        use voxorder_nlu::classifier::ClassifierError;
        match self {
            VoiceError::Asr(e) => e.integrity(),
            VoiceError::Tts(TtsError::Integrity(e))
            | VoiceError::Vad(VadError::Integrity(e))
            | VoiceError::Wake(voxorder_speech::wake::WakeError::Integrity(e))
            | VoiceError::Agent(AgentError::Classifier(
                ClassifierError::Integrity(e)
                | ClassifierError::Runtime(voxorder_runtime::onnx::OrtError::Integrity(e)),
            )) => Some(e),
            _ => None,
        }
    }
}

/// The loaded speech stages, with how long each took to load.
pub struct Stages {
    pub vad: Box<dyn VoiceActivity>,
    pub asr: Box<dyn Recognizer>,
    pub tts: Box<dyn Synthesizer>,
    pub load: LoadTimes,
}

impl std::fmt::Debug for Stages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stages")
            .field("asr", &self.asr.name())
            .field("load", &self.load)
            .finish()
    }
}

/// Seconds spent loading each stage.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct LoadTimes {
    pub vad_seconds: f64,
    pub asr_seconds: f64,
    pub tts_seconds: f64,
}

/// The locale's short answers (yes, no and the menu words), the closed set a
/// recogniser matches first at a yes/no turn.
pub fn short_answers(catalog: &Catalog) -> Vec<String> {
    catalog.phrases.list("short_answers")
}

/// [`short_answers`] of a locale's embedded catalog; none for a locale without one
/// (configuration validation refuses such a locale before any speech stage loads).
pub fn short_answers_of_locale(locale: &str) -> Vec<String> {
    Catalog::load(locale)
        .map(|c| short_answers(&c))
        .unwrap_or_default()
}

impl Stages {
    /// Loads the configured VAD, recogniser and voice from the models directory; the
    /// recogniser learns the locale's short answers.
    pub fn load(
        cfg: &SpeechConfig,
        models_dir: &Path,
        ort_lib: &Path,
        catalog: &Catalog,
    ) -> Result<Stages, VoiceError> {
        let t = Instant::now();
        let vad = voxorder_speech::vad::vad_from_config(&cfg.vad, models_dir, ort_lib)?;
        let vad_seconds = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut asr = voxorder_speech::asr::recognizer_from_config(cfg, models_dir)?;
        asr.set_short_answers(&short_answers(catalog));
        let asr_seconds = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let tts = voxorder_speech::tts::synthesizer_from_config(cfg, models_dir, ort_lib)?;
        let tts_seconds = t.elapsed().as_secs_f64();
        Ok(Stages {
            vad,
            asr,
            tts,
            load: LoadTimes {
                vad_seconds,
                asr_seconds,
                tts_seconds,
            },
        })
    }
}

impl Stages {
    /// Gives the recogniser the store's order numbers, so a reading one digit from a
    /// known number gives way to it on an order-number turn (decision 0011). Called when
    /// a conversation opens: sync may have changed the store since the last one. The
    /// number of numbers is returned; the numbers themselves are never logged.
    pub fn know_orders(&mut self, store: &Store) -> Result<usize, VoiceError> {
        let numbers = store.order_numbers()?;
        self.asr.set_known_numbers(&numbers);
        Ok(numbers.len())
    }
}

/// Digits in a zip and in a phone number (with or without the country code).
const ZIP: (usize, usize) = (5, 5);
const PHONE: (usize, usize) = (10, 11);

/// The fewest and most digits of this store's order numbers.
fn order_number_digits(config: &Config) -> (usize, usize) {
    let lens = &config.policy.verification.order_number_digits;
    (
        lens.iter().copied().min().unwrap_or(6),
        lens.iter().copied().max().unwrap_or(20),
    )
}

/// What the recogniser should listen for, from the agent's last question.
pub fn expect_for(agent: &Agent<'_>, products: &[String]) -> Expect {
    expect_for_shape(agent.answer_shape(), agent.config(), products)
}

fn expect_for_shape(shape: AnswerShape, config: &Config, products: &[String]) -> Expect {
    match shape {
        AnswerShape::Free => Expect::Anything,
        AnswerShape::OrderNumber => {
            let (min, max) = order_number_digits(config);
            Expect::Digits { min, max }
        }
        AnswerShape::Zip => Expect::Digits {
            min: ZIP.0,
            max: ZIP.1,
        },
        AnswerShape::Phone => Expect::Digits {
            min: PHONE.0,
            max: PHONE.1,
        },
        // The order number is a shape too: "no, it's 7132…" corrects the one read back.
        AnswerShape::Factor => Expect::NumberOrFree(vec![ZIP, PHONE, order_number_digits(config)]),
        AnswerShape::YesNo => Expect::YesNo,
        AnswerShape::Product if !products.is_empty() => Expect::Phrases(products.to_vec()),
        AnswerShape::Product => Expect::Anything,
    }
}

/// Time spent in each stage of one turn, in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct TurnTimings {
    /// Length of the caller's speech given to the recogniser.
    pub speech_seconds: f64,
    pub asr_ms: f64,
    pub asr_rtf: f64,
    /// Understanding, dialog and the store's writes.
    pub agent_ms: f64,
    pub tts_first_audio_ms: f64,
    pub tts_ms: f64,
    pub tts_rtf: f64,
    /// The reply's audio came from the prompt cache.
    pub tts_cached: bool,
    pub reply_seconds: f64,
    /// From the end of the caller's speech to the first sample of the reply.
    pub latency_ms: f64,
}

/// One spoken exchange through the real stages.
#[derive(Debug, Clone)]
pub struct SpokenTurn {
    /// None when nothing was said (a silence).
    pub transcript: Option<Transcript>,
    pub turn: Turn,
    pub timings: TurnTimings,
}

/// What was heard in one turn.
#[derive(Debug, Clone, Copy)]
pub enum Heard<'a> {
    /// Speech, 16 kHz mono.
    Speech(&'a [f32]),
    /// Nothing was said before the timeout.
    Silence,
}

/// Runs one turn: recognise, let the agent answer, and speak the answer into `sink`
/// sentence by sentence (a `false` from the sink stops the voice: barge-in).
///
/// Speech the recogniser cannot make out becomes a "not caught" turn, so the agent asks
/// again instead of treating noise as a silence.
pub fn respond(
    agent: &mut Agent<'_>,
    asr: &mut dyn Recognizer,
    tts: &mut dyn Synthesizer,
    heard: Heard<'_>,
    expect: &Expect,
    sink: &mut dyn FnMut(&[f32]) -> bool,
) -> Result<SpokenTurn, VoiceError> {
    respond_with(agent, asr, tts, heard, expect, &mut |_, _| {}, sink)
}

/// [`respond`], telling `answered` the turn (with the agent after it) before the reply
/// is spoken, so a screen shows the words as the voice starts.
pub fn respond_with(
    agent: &mut Agent<'_>,
    asr: &mut dyn Recognizer,
    tts: &mut dyn Synthesizer,
    heard: Heard<'_>,
    expect: &Expect,
    answered: &mut dyn FnMut(&Agent<'_>, &Turn),
    sink: &mut dyn FnMut(&[f32]) -> bool,
) -> Result<SpokenTurn, VoiceError> {
    let mut timings = TurnTimings::default();
    let (transcript, turn) = match heard {
        Heard::Silence => {
            let t = Instant::now();
            let turn = agent.silence()?;
            timings.agent_ms = ms(t);
            (None, turn)
        }
        Heard::Speech(audio) => {
            timings.speech_seconds =
                audio.len() as f64 / f64::from(voxorder_speech::audio::ASR_RATE);
            let t = Instant::now();
            let transcript = asr.transcribe(audio, expect)?;
            timings.asr_ms = ms(t);
            timings.asr_rtf = transcript.real_time_factor();
            let t = Instant::now();
            let turn = if transcript.text.trim().is_empty() {
                agent.unclear()?
            } else {
                agent.say(&transcript.text)?
            };
            timings.agent_ms = ms(t);
            (Some(transcript), turn)
        }
    };
    answered(agent, &turn);
    let stats = speak(tts, &turn.reply, pace_of(&turn), sink)?;
    timings.tts_first_audio_ms = stats.first_audio_seconds * 1000.0;
    timings.tts_ms = stats.synth_seconds * 1000.0;
    timings.reply_seconds = stats.audio_seconds;
    timings.tts_cached = stats.cached;
    timings.tts_rtf = if stats.audio_seconds > 0.0 {
        stats.synth_seconds / stats.audio_seconds
    } else {
        0.0
    };
    timings.latency_ms = timings.asr_ms + timings.agent_ms + timings.tts_first_audio_ms;
    Ok(SpokenTurn {
        transcript,
        turn,
        timings,
    })
}

/// The pace a reply is spoken at: slower when the caller asked to hear it again.
pub fn pace_of(turn: &Turn) -> Pace {
    if turn.slow {
        Pace::Slow
    } else {
        Pace::Normal
    }
}

/// Speaks `text` into `sink` (nothing for an empty reply).
pub fn speak(
    tts: &mut dyn Synthesizer,
    text: &str,
    pace: Pace,
    sink: &mut dyn FnMut(&[f32]) -> bool,
) -> Result<SynthesisStats, VoiceError> {
    if text.trim().is_empty() {
        return Ok(SynthesisStats::default());
    }
    Ok(tts.synthesize(text, pace, sink)?)
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// Percentile (0–100) of unsorted values, nearest rank; 0 for none.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

/// Peak resident memory of this process in MB (Linux `VmHWM`); None elsewhere.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_factor_turn_takes_a_zip_a_phone_or_the_order_number_and_words() {
        let config = Config::default();
        let order = order_number_digits(&config);
        assert_eq!(
            expect_for_shape(AnswerShape::Factor, &config, &[]),
            Expect::NumberOrFree(vec![(5, 5), (10, 11), order])
        );
        assert_eq!(
            expect_for_shape(AnswerShape::Zip, &config, &[]),
            Expect::Digits { min: 5, max: 5 }
        );
        let lens = &config.policy.verification.order_number_digits;
        assert_eq!(order.0, lens.iter().copied().min().unwrap_or(6));
        assert_eq!(
            expect_for_shape(AnswerShape::Free, &config, &["mug".into()]),
            Expect::Anything
        );
    }
}

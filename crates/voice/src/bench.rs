//! `voxorder bench`: speed and memory of the spoken pipeline on a scripted conversation,
//! written as JSON. Cold start to ready, per-stage costs (VAD per frame, wake word per
//! chunk, recogniser latency and real-time factor, voice real-time factor and time to
//! first audio), turn latency from the end of the caller's speech to the first sample of
//! the reply, and peak resident memory. Optionally the spoken test set (`eval`).

use std::path::Path;
use std::time::Instant;

use chrono::NaiveDateTime;
use serde::Serialize;

use voxorder_agent::{Agent, AgentAssets, StartOptions};
use voxorder_config::{VadConfig, VadEngine};
use voxorder_domain::clock::Clock;
use voxorder_domain::speech_text;
use voxorder_speech::wake::WakeWordDetector;
use voxorder_store::Store;

use super::eval::{self, EvalOptions, EvalReport};
use super::{expect_for, percentile, respond, Heard, Stages, VoiceError};

/// A distribution of measurements.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Dist {
    pub p50: f64,
    pub p95: f64,
    pub max: f64,
    pub mean: f64,
    pub n: usize,
}

impl Dist {
    pub fn of(values: &[f64]) -> Dist {
        let n = values.len();
        Dist {
            p50: percentile(values, 50.0),
            p95: percentile(values, 95.0),
            max: values.iter().copied().fold(0.0, f64::max),
            mean: if n == 0 {
                0.0
            } else {
                values.iter().sum::<f64>() / n as f64
            },
            n,
        }
    }
}

/// Where the figures were measured.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub arch: &'static str,
    pub cpus: usize,
    pub cpu_model: String,
}

impl Machine {
    pub fn this() -> Machine {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name") || l.starts_with("Model"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_default();
        Machine {
            arch: std::env::consts::ARCH,
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            cpu_model,
        }
    }
}

/// Milliseconds from process start to each stage being ready.
#[derive(Debug, Clone, Serialize)]
pub struct ColdStart {
    pub store_and_nlu_ms: f64,
    pub vad_ms: f64,
    pub asr_ms: f64,
    pub tts_ms: f64,
    pub wake_ms: f64,
    /// Everything loaded and the first prompt synthesised: ready to talk.
    pub ready_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AsrFigures {
    pub name: String,
    pub latency_ms: Dist,
    pub real_time_factor: Dist,
    /// Turns whose transcript matched the script word for word (digits as words).
    pub exact_transcripts: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TtsFigures {
    /// Every reply, cached fixed prompts included.
    pub first_audio_ms: Dist,
    /// Replies synthesised on the spot (not from the prompt cache).
    pub first_audio_ms_synthesised: Dist,
    pub real_time_factor: Dist,
}

#[derive(Debug, Clone, Serialize)]
pub struct FrameCosts {
    pub silero_vad_us_per_32ms_frame: f64,
    pub webrtc_vad_us_per_30ms_frame: f64,
    pub wake_word_us_per_80ms_chunk: f64,
}

/// Everything `voxorder bench` prints.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub machine: Machine,
    pub cold_start: ColdStart,
    pub turns: usize,
    /// End of the caller's speech to the first sample of the reply (recognition,
    /// understanding, dialog and store, first sentence of the voice). The endpointer's
    /// silence window (`speech.vad.end_silence_ms`) comes before this in a live call.
    pub turn_latency_ms: Dist,
    pub endpoint_silence_ms: u32,
    pub asr: AsrFigures,
    pub tts: TtsFigures,
    pub frames: FrameCosts,
    pub peak_rss_mb: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<EvalReport>,
}

/// What the bench needs besides its own stages.
pub struct BenchInputs<'a> {
    pub store: &'a mut Store,
    pub assets: &'a AgentAssets,
    pub now: NaiveDateTime,
    /// The order the scripted caller asks about and its billing zip.
    pub order_number: String,
    pub zip: String,
    /// A household account for the speaker part of the script.
    pub customer_email: String,
    pub started: Instant,
    pub store_and_nlu_ms: f64,
}

/// The scripted caller's voice (espeak-ng) and speaking rate.
const CALLER_VOICE: &str = "en-us";
const CALLER_WPM: u32 = 160;

/// The scripted caller: a status call with verification, then a household's speaker.
pub fn script(order_number: &str, zip: &str) -> Vec<Vec<String>> {
    let spell = |s: &str| speech_text::digits_grouped(s);
    vec![
        vec![
            "Hi, where's my order?".into(),
            format!("It's {}.", spell(order_number)),
            spell(zip),
            "No, that's all. Thanks.".into(),
        ],
        vec![
            "Pause my coffee subscription.".into(),
            "No, actually, leave it.".into(),
            "Goodbye.".into(),
        ],
    ]
}

/// Runs the scripted conversation `rounds` times through the real stages.
pub fn run(
    inputs: BenchInputs<'_>,
    models_dir: &Path,
    ort_lib: &Path,
    rounds: usize,
    accuracy: Option<&EvalOptions>,
) -> Result<BenchReport, VoiceError> {
    let config = inputs.assets.config.clone();
    let speech = &config.speech;
    let mut stages = Stages::load(speech, models_dir, ort_lib, &inputs.assets.catalog)?;
    // As a device does when a conversation opens: the caller's order is a known one.
    stages.know_orders(inputs.store)?;
    let t = Instant::now();
    let mut wake = WakeWordDetector::from_config(&speech.wake, models_dir, ort_lib)?;
    let wake_ms = t.elapsed().as_secs_f64() * 1000.0;
    let products = &inputs.assets.product_names;
    // The first synthesis warms the voice; a device does it while starting.
    super::speak(
        stages.tts.as_mut(),
        "Hello.",
        voxorder_speech::tts::Pace::Normal,
        &mut |_| true,
    )?;
    let cold_start = ColdStart {
        store_and_nlu_ms: inputs.store_and_nlu_ms,
        vad_ms: stages.load.vad_seconds * 1000.0,
        asr_ms: stages.load.asr_seconds * 1000.0,
        tts_ms: stages.load.tts_seconds * 1000.0,
        wake_ms,
        ready_ms: inputs.started.elapsed().as_secs_f64() * 1000.0,
    };

    let conversations = script(&inputs.order_number, &inputs.zip);
    // The caller's turns, spoken once by an espeak-ng voice and reused every round. Not
    // the device's own voice: Piper samples its prosody on every rendering, so the
    // caller's audio (and with it what is heard and answered) would change from run to
    // run and the figures of two runs could not be compared.
    let mut spoken: Vec<Vec<Vec<f32>>> = Vec::new();
    for conversation in &conversations {
        let mut clips = Vec::new();
        for text in conversation {
            clips.push(eval::espeak_clip(text, CALLER_VOICE, CALLER_WPM)?);
        }
        spoken.push(clips);
    }

    let mut latency = Vec::new();
    let mut asr_ms = Vec::new();
    let mut asr_rtf = Vec::new();
    let mut tts_first = Vec::new();
    let mut tts_first_synth = Vec::new();
    let mut tts_rtf = Vec::new();
    let mut exact = 0usize;
    let mut turns = 0usize;
    let clock = Clock::fixed(inputs.now);
    for _ in 0..rounds.max(1) {
        for (c, conversation) in conversations.iter().enumerate() {
            let customer_email = (c == 1).then(|| inputs.customer_email.clone());
            let (mut agent, _opening) = Agent::open(
                inputs.store,
                inputs.assets,
                clock,
                StartOptions {
                    channel: "voice",
                    customer_email,
                    confirm_order: None,
                },
            )?;
            for (text, audio) in conversation.iter().zip(&spoken[c]) {
                if agent.ended() {
                    break;
                }
                let expect = expect_for(&agent, products);
                let turn = respond(
                    &mut agent,
                    stages.asr.as_mut(),
                    stages.tts.as_mut(),
                    Heard::Speech(audio),
                    &expect,
                    &mut |_| true,
                )?;
                turns += 1;
                latency.push(turn.timings.latency_ms);
                asr_ms.push(turn.timings.asr_ms);
                asr_rtf.push(turn.timings.asr_rtf);
                if turn.timings.reply_seconds > 0.0 {
                    tts_first.push(turn.timings.tts_first_audio_ms);
                    if !turn.timings.tts_cached {
                        tts_first_synth.push(turn.timings.tts_first_audio_ms);
                    }
                    tts_rtf.push(turn.timings.tts_rtf);
                }
                let heard = turn.transcript.map(|t| t.text).unwrap_or_default();
                if eval::words(&heard) == eval::words(text) {
                    exact += 1;
                } else {
                    tracing::info!(
                        said_words = eval::words(text).len(),
                        heard_words = eval::words(&heard).len(),
                        "transcript differs"
                    );
                }
            }
            agent.finish()?;
        }
    }

    let frames = frame_costs(
        &mut stages,
        &mut wake,
        &spoken,
        &speech.vad,
        models_dir,
        ort_lib,
    )?;
    let accuracy = match accuracy {
        Some(options) => Some(eval::evaluate(
            stages.asr.as_mut(),
            &inputs.assets.nlu,
            inputs.now,
            options,
            &mut |done, total| {
                if done % 100 == 0 || done == total {
                    eprintln!("bench: spoken test set {done}/{total}");
                }
            },
        )?),
        None => None,
    };
    Ok(BenchReport {
        machine: Machine::this(),
        cold_start,
        turns,
        turn_latency_ms: Dist::of(&latency),
        endpoint_silence_ms: speech.vad.end_silence_ms,
        asr: AsrFigures {
            name: stages.asr.name().to_string(),
            latency_ms: Dist::of(&asr_ms),
            real_time_factor: Dist::of(&asr_rtf),
            exact_transcripts: if turns == 0 {
                0.0
            } else {
                exact as f64 / turns as f64
            },
        },
        tts: TtsFigures {
            first_audio_ms: Dist::of(&tts_first),
            first_audio_ms_synthesised: Dist::of(&tts_first_synth),
            real_time_factor: Dist::of(&tts_rtf),
        },
        frames,
        peak_rss_mb: super::peak_rss_mb(),
        accuracy,
    })
}

/// Per-frame cost of both VADs and the wake word over the script's audio.
fn frame_costs(
    stages: &mut Stages,
    wake: &mut WakeWordDetector,
    spoken: &[Vec<Vec<f32>>],
    vad_cfg: &VadConfig,
    models_dir: &Path,
    ort_lib: &Path,
) -> Result<FrameCosts, VoiceError> {
    let audio: Vec<f32> = spoken.iter().flatten().flatten().copied().collect();
    let per_frame = |vad: &mut dyn voxorder_speech::vad::VoiceActivity| -> Result<f64, VoiceError> {
        let n = vad.frame_samples();
        vad.reset();
        let t = Instant::now();
        let mut frames = 0usize;
        for frame in audio.chunks_exact(n) {
            vad.speech_probability(frame)?;
            frames += 1;
        }
        Ok(t.elapsed().as_secs_f64() * 1e6 / frames.max(1) as f64)
    };
    let mut silero_cfg = vad_cfg.clone();
    silero_cfg.engine = VadEngine::Silero;
    let mut webrtc_cfg = vad_cfg.clone();
    webrtc_cfg.engine = VadEngine::Webrtc;
    let silero = match vad_cfg.engine {
        VadEngine::Silero => per_frame(stages.vad.as_mut())?,
        VadEngine::Webrtc => per_frame(
            voxorder_speech::vad::vad_from_config(&silero_cfg, models_dir, ort_lib)?.as_mut(),
        )?,
    };
    let webrtc = per_frame(
        voxorder_speech::vad::vad_from_config(&webrtc_cfg, models_dir, ort_lib)?.as_mut(),
    )?;
    wake.reset();
    let t = Instant::now();
    let mut chunks = 0usize;
    for chunk in audio.chunks_exact(1280) {
        wake.push(chunk)?;
        chunks += 1;
    }
    let wake_us = t.elapsed().as_secs_f64() * 1e6 / chunks.max(1) as f64;
    Ok(FrameCosts {
        silero_vad_us_per_32ms_frame: silero,
        webrtc_vad_us_per_30ms_frame: webrtc,
        wake_word_us_per_80ms_chunk: wake_us,
    })
}

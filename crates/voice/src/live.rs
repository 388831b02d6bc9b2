//! `voxorder run`: the live device loop. Listens on the microphone, finds the caller's
//! turns with the VAD endpointer, answers through the agent and speaks the reply, with
//! barge-in (speech while the agent talks stops its voice). In speaker mode a
//! conversation starts with the wake word; in kiosk mode when someone speaks.
//!
//! Without echo cancellation the device hears its own voice; while it plays, speech must
//! be clearly louder and longer to count as a barge-in (see `BargeIn`).
//!
//! A [`Surface`] (the kiosk screen) is told each conversation, phase and turn, and is
//! asked between microphone frames what was done on it: digits and picked answers are
//! turns like speech, "stop speaking" stops the voice, "start talking" replaces the wake
//! word.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use voxorder_agent::{
    mark_announced, pending_announcement, Agent, AgentAssets, StartOptions, Turn,
};
use voxorder_config::DeviceMode;
use voxorder_domain::clock::Clock;
use voxorder_speech::asr::Expect;
use voxorder_speech::audio::device::{AudioInput, AudioOutput};
use voxorder_speech::vad::endpoint::{EndpointEvent, Endpointer};
use voxorder_speech::wake::WakeWordDetector;
use voxorder_store::Store;

use super::{expect_for, respond_with, speak, Heard, Stages, VoiceError};

/// Everything a conversation needs besides the speech stages.
pub struct Resources<'a> {
    pub store: &'a mut Store,
    pub assets: &'a AgentAssets,
    pub clock: Clock,
}

/// Options of the live loop.
#[derive(Debug, Clone, Default)]
pub struct LiveOptions {
    /// The linked household account (speaker mode), by email.
    pub customer_email: Option<String>,
    /// Stop after this many conversations (None: until stopped).
    pub max_conversations: Option<u32>,
}

/// What the device is doing, for a surface's indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LivePhase {
    /// Waiting for the wake word, or between conversations.
    Idle,
    Listening,
    /// Recognising and answering what was heard.
    Thinking,
    Speaking,
}

/// Something done on a surface, for the live loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SurfaceInput {
    /// Digits typed on a keypad: the agent's keypad path.
    Keypad(String),
    /// Words picked on the surface, taken as if said.
    Say(String),
    /// Open the microphone (a speaker: as if the wake word was heard).
    StartTalking,
    /// Stop the agent's voice now.
    StopSpeaking,
}

/// A second view of the live conversation, such as the kiosk screen.
pub trait Surface {
    /// A conversation opened with these words.
    fn opened(&mut self, agent: &Agent<'_>, opening: &Turn);
    /// The device's phase changed.
    fn phase(&mut self, phase: LivePhase);
    /// One turn was answered (`keypad`: typed on the surface's keypad).
    fn turn(&mut self, agent: &Agent<'_>, turn: &Turn, keypad: bool);
    /// The conversation is over.
    fn ended(&mut self);
    /// What was done on the surface since the last call, if anything; never blocks.
    fn poll(&mut self) -> Option<SurfaceInput>;
}

/// No surface: the device has a microphone and a speaker only.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSurface;

impl Surface for NoSurface {
    fn opened(&mut self, _: &Agent<'_>, _: &Turn) {}
    fn phase(&mut self, _: LivePhase) {}
    fn turn(&mut self, _: &Agent<'_>, _: &Turn, _: bool) {}
    fn ended(&mut self) {}
    fn poll(&mut self) -> Option<SurfaceInput> {
        None
    }
}

/// Samples the wake-word detector takes at a time (80 ms at 16 kHz).
const WAKE_CHUNK: usize = 1280;

/// How often an idle speaker looks for news to announce, in wake-word chunks (5 s):
/// sync runs in the background, so news arrives between conversations.
const ANNOUNCE_CHECK_CHUNKS: u32 = 62;

/// What the live loop did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveSummary {
    pub conversations: u32,
    /// News said by an idle speaker.
    pub announcements: u32,
}

/// While the agent is speaking its own voice reaches the microphone; a barge-in needs a
/// higher speech probability, held for longer, than a turn in silence.
#[derive(Debug, Clone, Copy)]
struct BargeIn {
    threshold: f32,
    frames_needed: u32,
}

/// Runs conversations until `stop` is set, the input ends, or `max_conversations` is
/// reached. A speaker linked to a household announces its news while it waits for the
/// wake word; a kiosk never speaks about anyone's orders unasked.
#[allow(clippy::too_many_arguments)]
pub fn run(
    res: &mut Resources<'_>,
    stages: &mut Stages,
    input: &mut dyn AudioInput,
    output: &mut dyn AudioOutput,
    mut wake: Option<&mut WakeWordDetector>,
    options: &LiveOptions,
    surface: &mut dyn Surface,
    stop: &AtomicBool,
) -> Result<LiveSummary, VoiceError> {
    let speech = res.assets.config.speech.clone();
    let frame = stages.vad.frame_samples();
    let frame_ms = frame as f64 * 1000.0 / f64::from(voxorder_speech::audio::ASR_RATE);
    let barge_in = BargeIn {
        threshold: (speech.vad.threshold + 0.3).min(0.9),
        frames_needed: ((300.0 / frame_ms).ceil() as u32).max(2),
    };
    let mut conversations = 0;
    let mut announcements = 0;
    let summary = |conversations, announcements| LiveSummary {
        conversations,
        announcements,
    };
    let mut buf = Vec::with_capacity(frame.max(WAKE_CHUNK));
    while !stop.load(Ordering::Relaxed) {
        if options
            .max_conversations
            .is_some_and(|max| conversations >= max)
        {
            break;
        }
        // Wait for someone: the wake word on a speaker; on a kiosk, the conversation
        // starts with the first turn itself.
        if speech.mode == DeviceMode::Speaker {
            let Some(detector) = wake.as_deref_mut() else {
                return Err(VoiceError::NoWakeWord);
            };
            detector.reset();
            surface.phase(LivePhase::Idle);
            let mut woke = false;
            let mut chunks = 0u32;
            while !stop.load(Ordering::Relaxed) {
                if let Some(SurfaceInput::StartTalking) = surface.poll() {
                    tracing::info!("start talking on the screen");
                    woke = true;
                    break;
                }
                if chunks.is_multiple_of(ANNOUNCE_CHECK_CHUNKS) {
                    if let Some(email) = &options.customer_email {
                        if announce(res, stages, output, email)? {
                            announcements += 1;
                            detector.reset();
                        }
                    }
                }
                chunks = chunks.wrapping_add(1);
                if !input.read_frame(&mut buf, WAKE_CHUNK)? {
                    return Ok(summary(conversations, announcements));
                }
                if let Some(score) = detector.push(&buf)? {
                    tracing::info!(score, "wake word");
                    woke = true;
                    break;
                }
            }
            if !woke {
                break;
            }
        }
        conversations += 1;
        stages.know_orders(res.store)?;
        let (mut agent, opening) = Agent::open(
            res.store,
            res.assets,
            res.clock,
            StartOptions {
                channel: "voice",
                customer_email: options.customer_email.clone(),
                confirm_order: None,
            },
        )?;
        let mut endpointer = Endpointer::new(&speech.vad);
        stages.vad.reset();
        surface.opened(&agent, &opening);
        if speech.mode == DeviceMode::Speaker {
            surface.phase(LivePhase::Speaking);
            play(stages, output, &opening.reply, super::pace_of(&opening))?;
        }
        loop {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let heard = listen(
                stages,
                &mut endpointer,
                input,
                output,
                barge_in,
                speech.mode == DeviceMode::Kiosk && agent_is_new(&agent),
                surface,
            )?;
            let heard = match heard {
                Listened::Ended => {
                    agent.finish()?;
                    surface.ended();
                    return Ok(summary(conversations, announcements));
                }
                Listened::Typed(typed) => {
                    // Typed on the surface: the agent's answer, spoken like any other.
                    surface.phase(LivePhase::Thinking);
                    output.stop();
                    let (turn, keypad) = match typed {
                        SurfaceInput::Keypad(digits) => (agent.keypad(&digits)?, true),
                        SurfaceInput::Say(words) => (agent.say(&words)?, false),
                        _ => continue,
                    };
                    surface.turn(&agent, &turn, keypad);
                    surface.phase(LivePhase::Speaking);
                    play(stages, output, &turn.reply, super::pace_of(&turn))?;
                    if turn.end {
                        output.drain()?;
                        break;
                    }
                    continue;
                }
                Listened::Speech(audio, ended_at) => Some((audio, ended_at)),
                Listened::Timeout => None,
            };
            surface.phase(LivePhase::Thinking);
            let expect = match &heard {
                Some(_) => expect_for(&agent, &res.assets.product_names),
                None => Expect::Anything,
            };
            let rate = stages.tts.sample_rate();
            let mut first_sample: Option<Instant> = None;
            let mut play_error = None;
            let mut sink = |chunk: &[f32]| {
                first_sample.get_or_insert_with(Instant::now);
                match output.play(chunk, rate) {
                    Ok(()) => true,
                    Err(e) => {
                        play_error = Some(e);
                        false
                    }
                }
            };
            let heard_now = match &heard {
                Some((audio, _)) => Heard::Speech(audio),
                None => Heard::Silence,
            };
            let spoken = respond_with(
                &mut agent,
                stages.asr.as_mut(),
                stages.tts.as_mut(),
                heard_now,
                &expect,
                &mut |agent, turn| {
                    surface.turn(agent, turn, false);
                    surface.phase(LivePhase::Speaking);
                },
                &mut sink,
            )?;
            if let Some(e) = play_error {
                return Err(e.into());
            }
            if !output.is_playing() {
                surface.phase(LivePhase::Listening);
            }
            if let (Some((_, ended_at)), Some(first)) = (&heard, first_sample) {
                tracing::info!(
                    latency_ms = first.duration_since(*ended_at).as_secs_f64() * 1000.0,
                    asr_ms = spoken.timings.asr_ms,
                    agent_ms = spoken.timings.agent_ms,
                    intent = ?spoken.turn.intent,
                    "turn"
                );
            }
            if spoken.turn.end {
                output.drain()?;
                break;
            }
        }
        agent.finish()?;
        surface.ended();
    }
    Ok(summary(conversations, announcements))
}

/// Says the linked household's pending news, if there is any; true when something was
/// said. The notices are marked once the words have been played.
fn announce(
    res: &mut Resources<'_>,
    stages: &mut Stages,
    output: &mut dyn AudioOutput,
    customer_email: &str,
) -> Result<bool, VoiceError> {
    let Some(news) = pending_announcement(
        res.store,
        &res.assets.catalog,
        &res.assets.config,
        customer_email,
    )?
    else {
        return Ok(false);
    };
    if !news.text.is_empty() {
        tracing::info!(notices = news.notices.len(), "announcing news");
        play(
            stages,
            output,
            &news.text,
            voxorder_speech::tts::Pace::Normal,
        )?;
        output.drain()?;
    }
    mark_announced(res.store, &news, res.clock.now())?;
    Ok(!news.text.is_empty())
}

fn agent_is_new(agent: &Agent<'_>) -> bool {
    agent.turns() == 0
}

fn play(
    stages: &mut Stages,
    output: &mut dyn AudioOutput,
    text: &str,
    pace: voxorder_speech::tts::Pace,
) -> Result<(), VoiceError> {
    let mut play_error = None;
    let rate = stages.tts.sample_rate();
    speak(
        stages.tts.as_mut(),
        text,
        pace,
        &mut |chunk| match output.play(chunk, rate) {
            Ok(()) => true,
            Err(e) => {
                play_error = Some(e);
                false
            }
        },
    )?;
    match play_error {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

enum Listened {
    /// The caller's speech (16 kHz) and when its end was detected.
    Speech(Vec<f32>, Instant),
    Timeout,
    /// Something typed or picked on the surface.
    Typed(SurfaceInput),
    /// The input stream ended.
    Ended,
}

/// Reads frames until the endpointer closes a turn. While the agent's voice plays, a
/// frame counts toward a barge-in only above the barge-in threshold; once enough of them
/// come in a row, playback stops and the turn goes on as ordinary speech.
fn listen(
    stages: &mut Stages,
    endpointer: &mut Endpointer,
    input: &mut dyn AudioInput,
    output: &mut dyn AudioOutput,
    barge_in: BargeIn,
    wait_forever: bool,
    surface: &mut dyn Surface,
) -> Result<Listened, VoiceError> {
    let frame = stages.vad.frame_samples();
    let mut buf = Vec::with_capacity(frame);
    let mut loud_frames = 0u32;
    let mut was_playing = output.is_playing();
    if !was_playing {
        surface.phase(LivePhase::Listening);
    }
    endpointer.reset();
    loop {
        match surface.poll() {
            Some(SurfaceInput::StopSpeaking) => output.stop(),
            Some(typed @ (SurfaceInput::Keypad(_) | SurfaceInput::Say(_))) => {
                return Ok(Listened::Typed(typed));
            }
            // The microphone is already open.
            Some(SurfaceInput::StartTalking) | None => {}
        }
        let playing = output.is_playing();
        if was_playing && !playing {
            surface.phase(LivePhase::Listening);
        }
        was_playing = playing;
        if !input.read_frame(&mut buf, frame)? {
            return Ok(Listened::Ended);
        }
        let mut prob = stages.vad.speech_probability(&buf)?;
        if output.is_playing() {
            if prob >= barge_in.threshold {
                loud_frames += 1;
            } else {
                loud_frames = 0;
            }
            if loud_frames >= barge_in.frames_needed {
                tracing::info!("barge-in: stopping playback");
                output.stop();
            } else {
                // The agent's own voice: not a turn yet.
                prob = 0.0;
            }
        }
        match endpointer.push(&buf, prob) {
            EndpointEvent::SpeechEnd { audio, .. } => {
                return Ok(Listened::Speech(audio, Instant::now()));
            }
            EndpointEvent::NoInputTimeout if !wait_forever && !output.is_playing() => {
                return Ok(Listened::Timeout);
            }
            _ => {}
        }
    }
}

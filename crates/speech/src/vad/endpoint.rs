//! The endpointer: turns per-frame speech probabilities into turn events — speech
//! started (also the barge-in signal), an utterance ended (with its audio), or nobody
//! spoke in time — and the offline segmenter built on it.
//!
//! Thresholds have hysteresis (as Silero's own iterator does): a frame at or above
//! `threshold` is voiced, one below `threshold - 0.15` is silent, and frames in between
//! keep the current state. Speech starts only after `min_speech_ms` of voiced frames with
//! no silent frame in between, so clicks and coughs are not turns. Times count in samples
//! at 16 kHz from the last `reset`.

use std::collections::VecDeque;

use super::{VadError, VoiceActivity};
use crate::audio::ASR_RATE;
use voxorder_config::VadConfig;

/// How far below `threshold` a frame must score to count as silence.
const HYSTERESIS: f32 = 0.15;
/// Silence kept after the last speech frame of an utterance, at most.
const TRAILING_MS: u32 = 200;

/// What one frame changed.
#[derive(Debug, Clone, PartialEq)]
pub enum EndpointEvent {
    None,
    /// Speech has gone on for `min_speech_ms`: a turn is under way (stop playback here
    /// when barge-in is on).
    SpeechStart,
    /// The utterance is over: `end_silence_ms` of silence, or `max_utterance_seconds`
    /// reached (`cut`). `audio` runs from `start_s` to `end_s` (seconds since reset),
    /// with the pre-roll before the detected start and up to 200 ms after the last
    /// speech frame.
    SpeechEnd {
        audio: Vec<f32>,
        cut: bool,
        start_s: f64,
        end_s: f64,
    },
    /// `no_input_timeout_seconds` passed without speech (since reset or the last
    /// utterance). Repeats every timeout period while the silence lasts.
    NoInputTimeout,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    Candidate,
    Speech,
}

/// The endpointing state machine; see the module documentation.
#[derive(Debug, Clone)]
pub struct Endpointer {
    threshold: f32,
    silent_below: f32,
    min_speech: u64,
    end_silence: u64,
    max_utterance: u64,
    pre_roll: usize,
    timeout: u64,
    trailing: u64,
    state: State,
    pre: VecDeque<f32>,
    audio: Vec<f32>,
    /// Absolute sample index of `audio[0]`.
    audio_start: u64,
    /// Where the voiced run began.
    speech_start: u64,
    voiced: u64,
    /// End of the last frame that was not silent.
    last_active_end: u64,
    silence: u64,
    pos: u64,
    quiet_since: u64,
}

fn ms_to_samples(ms: u64) -> u64 {
    ms * u64::from(ASR_RATE) / 1000
}

impl Endpointer {
    pub fn new(cfg: &VadConfig) -> Endpointer {
        let threshold = cfg.threshold.clamp(0.0, 1.0);
        Endpointer {
            threshold,
            silent_below: (threshold - HYSTERESIS).max(0.0),
            min_speech: ms_to_samples(u64::from(cfg.min_speech_ms)),
            end_silence: ms_to_samples(u64::from(cfg.end_silence_ms)),
            max_utterance: ms_to_samples(u64::from(cfg.max_utterance_seconds) * 1000).max(1),
            pre_roll: ms_to_samples(u64::from(cfg.pre_roll_ms)) as usize,
            timeout: ms_to_samples(u64::from(cfg.no_input_timeout_seconds) * 1000),
            trailing: ms_to_samples(u64::from(cfg.end_silence_ms.min(TRAILING_MS))),
            state: State::Idle,
            pre: VecDeque::new(),
            audio: Vec::new(),
            audio_start: 0,
            speech_start: 0,
            voiced: 0,
            last_active_end: 0,
            silence: 0,
            pos: 0,
            quiet_since: 0,
        }
    }

    /// Turns off the no-input timeout (offline segmentation).
    pub fn without_timeout(mut self) -> Endpointer {
        self.timeout = 0;
        self
    }

    /// True from `SpeechStart` until `SpeechEnd`.
    pub fn in_speech(&self) -> bool {
        self.state == State::Speech
    }

    /// Seconds of audio pushed since reset.
    pub fn position_s(&self) -> f64 {
        self.pos as f64 / f64::from(ASR_RATE)
    }

    /// Starts over: a new turn, timers and buffers cleared.
    pub fn reset(&mut self) {
        self.state = State::Idle;
        self.pre.clear();
        self.audio.clear();
        self.pos = 0;
        self.quiet_since = 0;
        self.voiced = 0;
        self.silence = 0;
    }

    /// One frame of 16 kHz audio and the detector's speech probability for it.
    pub fn push(&mut self, frame: &[f32], prob: f32) -> EndpointEvent {
        let prob = if prob.is_nan() { 0.0 } else { prob };
        let before = self.pos;
        self.pos += frame.len() as u64;
        let voiced = prob >= self.threshold;
        let silent = prob < self.silent_below;
        match self.state {
            State::Idle => {
                if voiced {
                    self.audio.clear();
                    self.audio.extend(self.pre.drain(..));
                    self.audio_start = before - self.audio.len() as u64;
                    self.audio.extend_from_slice(frame);
                    self.speech_start = before;
                    self.voiced = frame.len() as u64;
                    self.last_active_end = self.pos;
                    self.state = State::Candidate;
                    return self.maybe_start();
                }
                self.remember(frame);
                self.check_timeout()
            }
            State::Candidate => {
                self.audio.extend_from_slice(frame);
                if silent || self.pos - self.speech_start >= self.max_utterance {
                    // Too short to be a turn: it becomes pre-roll again.
                    let audio = std::mem::take(&mut self.audio);
                    self.remember(&audio);
                    self.audio = audio;
                    self.audio.clear();
                    self.state = State::Idle;
                    return self.check_timeout();
                }
                if voiced {
                    self.voiced += frame.len() as u64;
                    self.last_active_end = self.pos;
                }
                self.maybe_start()
            }
            State::Speech => {
                self.audio.extend_from_slice(frame);
                if silent {
                    self.silence += frame.len() as u64;
                } else {
                    self.silence = 0;
                    self.last_active_end = self.pos;
                }
                if self.pos - self.speech_start >= self.max_utterance {
                    return self.end(true);
                }
                if self.silence >= self.end_silence {
                    return self.end(false);
                }
                EndpointEvent::None
            }
        }
    }

    /// Ends the stream: an utterance in progress is returned as ended.
    pub fn finish(&mut self) -> Option<EndpointEvent> {
        let ev = match self.state {
            State::Speech => Some(self.end(false)),
            _ => None,
        };
        self.state = State::Idle;
        self.audio.clear();
        ev
    }

    fn maybe_start(&mut self) -> EndpointEvent {
        if self.voiced >= self.min_speech {
            self.state = State::Speech;
            self.silence = 0;
            EndpointEvent::SpeechStart
        } else {
            EndpointEvent::None
        }
    }

    fn end(&mut self, cut: bool) -> EndpointEvent {
        let end = if cut {
            self.pos
        } else {
            (self.last_active_end + self.trailing).min(self.pos)
        };
        let keep = (end - self.audio_start) as usize;
        let mut audio = std::mem::take(&mut self.audio);
        let rest = audio.split_off(keep.min(audio.len()));
        self.pre.clear();
        self.remember(&rest);
        self.state = State::Idle;
        self.quiet_since = self.pos;
        self.voiced = 0;
        self.silence = 0;
        let rate = f64::from(ASR_RATE);
        EndpointEvent::SpeechEnd {
            audio,
            cut,
            start_s: self.audio_start as f64 / rate,
            end_s: end as f64 / rate,
        }
    }

    /// Keeps the last `pre_roll` samples heard outside an utterance.
    fn remember(&mut self, samples: &[f32]) {
        if self.pre_roll == 0 {
            return;
        }
        let take = samples.len().min(self.pre_roll);
        self.pre.extend(&samples[samples.len() - take..]);
        while self.pre.len() > self.pre_roll {
            self.pre.pop_front();
        }
    }

    fn check_timeout(&mut self) -> EndpointEvent {
        if self.timeout > 0 && self.pos - self.quiet_since >= self.timeout {
            self.quiet_since = self.pos;
            return EndpointEvent::NoInputTimeout;
        }
        EndpointEvent::None
    }
}

/// One utterance found in a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub start_s: f64,
    pub end_s: f64,
    pub audio: Vec<f32>,
    /// Cut at `max_utterance_seconds`.
    pub cut: bool,
}

/// Splits 16 kHz audio into utterances with `vad` and the endpointing settings of `cfg`
/// (no timeout). The last partial frame is zero-padded.
pub fn segment_clip(
    vad: &mut dyn VoiceActivity,
    clip_16k: &[f32],
    cfg: &VadConfig,
) -> Result<Vec<Segment>, VadError> {
    vad.reset();
    let n = vad.frame_samples();
    if n == 0 {
        return Err(VadError::EmptyFrames);
    }
    let mut ep = Endpointer::new(cfg).without_timeout();
    let mut segments = Vec::new();
    let mut padded = vec![0.0f32; n];
    let mut collect = |ev: EndpointEvent| {
        if let EndpointEvent::SpeechEnd {
            audio,
            cut,
            start_s,
            end_s,
        } = ev
        {
            segments.push(Segment {
                start_s,
                end_s,
                audio,
                cut,
            });
        }
    };
    for frame in clip_16k.chunks(n) {
        let frame = if frame.len() == n {
            frame
        } else {
            padded[..frame.len()].copy_from_slice(frame);
            padded[frame.len()..].iter_mut().for_each(|v| *v = 0.0);
            &padded[..]
        };
        let p = vad.speech_probability(frame)?;
        collect(ep.push(frame, p));
    }
    if let Some(ev) = ep.finish() {
        collect(ev);
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::mix::white_noise;
    use crate::audio::testutil::{espeak, models_dir, silence};
    use crate::vad::silero::SileroVad;
    use crate::vad::webrtc::WebRtcVad;

    fn silero() -> SileroVad {
        let m = models_dir();
        SileroVad::load(
            &m.join("vad/silero_vad.onnx"),
            &voxorder_runtime::paths::ort_lib(&m),
        )
        .expect("silero")
    }

    fn cfg() -> VadConfig {
        VadConfig::default()
    }

    /// Where espeak's speech really is: first and last sample above a small level.
    fn speech_span(x: &[f32]) -> (f64, f64) {
        let first = x.iter().position(|v| v.abs() > 0.01).expect("some speech");
        let last = x.iter().rposition(|v| v.abs() > 0.01).expect("some speech");
        (first as f64 / 16_000.0, last as f64 / 16_000.0)
    }

    #[test]
    fn one_phrase_in_silence_is_one_segment_covering_it() {
        let speech = espeak("I would like to return the blue kettle", "en-us", 160);
        let mut x = silence(1.0);
        x.extend_from_slice(&speech.samples);
        x.extend(silence(1.5));
        let (s0, s1) = speech_span(&x);
        for vad in [
            &mut silero() as &mut dyn VoiceActivity,
            &mut WebRtcVad::new(2),
        ] {
            let segs = segment_clip(vad, &x, &cfg()).expect("segment");
            assert_eq!(
                segs.len(),
                1,
                "{:?}",
                segs.iter()
                    .map(|s| (s.start_s, s.end_s))
                    .collect::<Vec<_>>()
            );
            let seg = &segs[0];
            assert!(
                seg.start_s <= s0 && seg.end_s >= s1 - 0.05,
                "segment {}–{} speech {s0}–{s1}",
                seg.start_s,
                seg.end_s
            );
            assert!(seg.start_s > s0 - 0.5 && seg.end_s < s1 + 0.5);
            assert!(!seg.cut);
            let want = ((seg.end_s - seg.start_s) * 16_000.0).round() as usize;
            assert_eq!(seg.audio.len(), want);
        }
    }

    #[test]
    fn two_phrases_a_second_and_a_half_apart_are_two_segments() {
        let mut x = silence(0.5);
        x.extend(espeak("where is my order", "en-us", 160).samples);
        x.extend(silence(1.5));
        x.extend(espeak("the number is four seven two", "en-us", 160).samples);
        x.extend(silence(1.0));
        let segs = segment_clip(&mut silero(), &x, &cfg()).expect("segment");
        assert_eq!(segs.len(), 2);
        assert!(segs[0].end_s < segs[1].start_s);
    }

    #[test]
    fn silence_gives_no_segment_and_a_timeout_on_time() {
        let mut vad = silero();
        let x = silence(10.0);
        assert!(segment_clip(&mut vad, &x, &cfg())
            .expect("segment")
            .is_empty());
        let mut c = cfg();
        c.no_input_timeout_seconds = 3;
        let mut ep = Endpointer::new(&c);
        vad.reset();
        let mut timeouts = Vec::new();
        for frame in x.chunks_exact(512) {
            let p = vad.speech_probability(frame).expect("run");
            match ep.push(frame, p) {
                EndpointEvent::NoInputTimeout => timeouts.push(ep.position_s()),
                EndpointEvent::None => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(timeouts.len(), 3, "{timeouts:?}");
        assert!((timeouts[0] - 3.0).abs() < 0.04, "{timeouts:?}");
    }

    #[test]
    fn low_white_noise_is_not_speech_for_silero() {
        let x = white_noise(16_000 * 5, 0.01, 42);
        let segs = segment_clip(&mut silero(), &x, &cfg()).expect("segment");
        assert!(segs.is_empty(), "{} segments", segs.len());
    }

    #[test]
    fn speech_longer_than_the_limit_is_cut() {
        let mut x = silence(0.5);
        x.extend(
            espeak(
                "I ordered a kettle, two mugs and a teapot last Tuesday, and none of them have arrived yet, so I would like to know where they are",
                "en-us",
                150,
            )
            .samples,
        );
        x.extend(silence(1.0));
        let mut c = cfg();
        c.max_utterance_seconds = 2;
        let segs = segment_clip(&mut silero(), &x, &c).expect("segment");
        assert!(segs.len() >= 2, "{} segments", segs.len());
        assert!(segs[0].cut);
        let speech_len = segs[0].end_s - segs[0].start_s;
        // Two seconds from the detected start plus the pre-roll.
        assert!(speech_len <= 2.0 + 0.3 + 0.04, "{speech_len}");
    }

    #[test]
    fn short_bursts_are_ignored_and_hysteresis_holds_speech() {
        let c = cfg();
        let mut ep = Endpointer::new(&c).without_timeout();
        let frame = [0.1f32; 512];
        // 64 ms of voiced frames, under min_speech_ms (150), then silence.
        for _ in 0..2 {
            assert_eq!(ep.push(&frame, 0.9), EndpointEvent::None);
        }
        for _ in 0..40 {
            assert_eq!(ep.push(&frame, 0.0), EndpointEvent::None);
        }
        // Five voiced frames start speech; 0.4 (between 0.35 and 0.5) keeps it going.
        let mut events = Vec::new();
        for _ in 0..5 {
            events.push(ep.push(&frame, 0.9));
        }
        assert_eq!(events.last(), Some(&EndpointEvent::SpeechStart));
        for _ in 0..100 {
            assert_eq!(ep.push(&frame, 0.4), EndpointEvent::None);
        }
        assert!(ep.in_speech());
        let mut ended = None;
        for _ in 0..30 {
            if let ev @ EndpointEvent::SpeechEnd { .. } = ep.push(&frame, 0.0) {
                ended = Some(ev);
                break;
            }
        }
        match ended {
            Some(EndpointEvent::SpeechEnd { audio, cut, .. }) => {
                assert!(!cut);
                // Pre-roll (300 ms) + 105 frames + 200 ms trailing.
                assert_eq!(audio.len(), 4800 + 105 * 512 + 3200);
            }
            other => panic!("no end: {other:?}"),
        }
    }
}

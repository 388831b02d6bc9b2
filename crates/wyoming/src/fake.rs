//! Deterministic services for tests and demonstrations: each answer is computed from its
//! input (audio length and loudness, words, turn numbers), so a client can check it, and
//! each fake counts what it did so a test can see work stop when a client leaves.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::service::{
    Asr, AsrInfo, Attribution, AudioFormat, AudioSink, Cancellation, Conversation,
    ConversationInfo, Described, LanguageModel, Reply, ServiceError, SynthesisRequest, Tts,
    TtsInfo, Turn, Utterance, Voice, Wake, WakeDetector, WakeHit, WakeInfo, WakeStream, WakeWord,
};

fn about(name: &str, description: &str) -> Described {
    Described {
        name: name.into(),
        description: Some(description.into()),
        version: Some(env!("CARGO_PKG_VERSION").into()),
        attribution: Attribution {
            name: "voxorder".into(),
            url: "https://example.invalid/voxorder".into(),
        },
    }
}

/// Waits `total` in small steps, giving up as soon as `cancel` is set.
fn wait(total: Duration, cancel: &Cancellation) -> Result<(), ServiceError> {
    let until = Instant::now() + total;
    while Instant::now() < until {
        if cancel.is_cancelled() {
            return Err(ServiceError::Cancelled);
        }
        std::thread::sleep(Duration::from_millis(5).min(until - Instant::now()));
    }
    Ok(())
}

/// The largest absolute sample value in `audio`: unsigned 8-bit, or signed 16/24/32-bit.
pub fn peak(audio: &[u8], width: u16) -> u32 {
    let width = usize::from(width.max(1));
    audio
        .chunks_exact(width)
        .map(|s| match width {
            1 => u32::from(s[0].abs_diff(128)),
            2 => i16::from_le_bytes([s[0], s[1]]).unsigned_abs().into(),
            3 => (i32::from_le_bytes([0, s[0], s[1], s[2]]) >> 8).unsigned_abs(),
            _ => i32::from_le_bytes([s[0], s[1], s[2], s[3]]).unsigned_abs(),
        })
        .max()
        .unwrap_or(0)
}

/// Recognition that "hears" the length and loudness of the audio:
/// `heard 1500 ms, peak 12000`. English and French only.
#[derive(Debug, Default)]
pub struct FakeAsr {
    delay: Duration,
    calls: AtomicUsize,
    cancelled: AtomicUsize,
}

impl FakeAsr {
    pub const LANGUAGES: [&'static str; 2] = ["en", "fr"];

    pub fn new() -> Self {
        Self::default()
    }

    /// Takes `delay` per utterance, as a slow recogniser would (cancellable).
    pub fn with_delay(delay: Duration) -> Self {
        Self {
            delay,
            ..Self::default()
        }
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Transcriptions that stopped because the server cancelled them.
    pub fn cancelled(&self) -> usize {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// The text this fake gives for `audio` in `format`.
    pub fn text_for(format: AudioFormat, audio: &[u8]) -> String {
        format!(
            "heard {} ms, peak {}",
            format.millis(audio.len() as u64),
            peak(audio, format.width)
        )
    }
}

impl Asr for FakeAsr {
    fn describe(&self) -> AsrInfo {
        AsrInfo {
            program: about(
                "fake-asr",
                "Speech recognition that reports length and loudness",
            ),
            models: vec![LanguageModel {
                about: about("fake-asr-model", "Length and loudness"),
                languages: Self::LANGUAGES.iter().map(|l| l.to_string()).collect(),
            }],
        }
    }

    fn transcribe(
        &self,
        utterance: &Utterance,
        cancel: &Cancellation,
    ) -> Result<String, ServiceError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(language) = &utterance.language {
            if !Self::LANGUAGES.contains(&language.as_str()) {
                return Err(ServiceError::UnsupportedLanguage {
                    language: language.clone(),
                });
            }
        }
        if let Err(e) = wait(self.delay, cancel) {
            self.cancelled.fetch_add(1, Ordering::SeqCst);
            return Err(e);
        }
        Ok(format!(
            " {} ",
            Self::text_for(utterance.format, &utterance.audio)
        ))
    }
}

/// A voice that says each word as 100 ms of a constant tone whose level is the word's
/// length × 1000, pausing `chunk_delay` after each word as a slow voice would.
#[derive(Debug, Default)]
pub struct FakeTts {
    chunk_delay: Duration,
    written: AtomicUsize,
    refused: AtomicUsize,
}

impl FakeTts {
    pub const DEFAULT_VOICE: &'static str = "fake-medium";

    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_chunk_delay(chunk_delay: Duration) -> Self {
        Self {
            chunk_delay,
            ..Self::default()
        }
    }

    /// Word chunks handed to a sink so far, over every request.
    pub fn chunks_written(&self) -> usize {
        self.written.load(Ordering::SeqCst)
    }

    /// Requests that stopped because the sink was closed.
    pub fn stopped_early(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }

    /// (name, rate, languages, speakers) of each voice.
    fn voices() -> [(
        &'static str,
        u32,
        &'static [&'static str],
        &'static [&'static str],
    ); 2] {
        [
            ("fake-low", 16000, &["en_US"], &[]),
            ("fake-medium", 22050, &["en_US", "fr_FR"], &["alto", "bass"]),
        ]
    }

    /// The format a voice speaks in, chosen as the server's precedence says: by name,
    /// else by language, else the default voice.
    pub fn format_for(request: &SynthesisRequest) -> Result<AudioFormat, ServiceError> {
        let voices = Self::voices();
        let chosen = match (&request.voice, &request.language) {
            (Some(name), _) => voices
                .iter()
                .find(|v| v.0 == name)
                .ok_or_else(|| ServiceError::UnknownVoice { name: name.clone() })?,
            (None, Some(language)) => voices
                .iter()
                .find(|v| v.2.iter().any(|l| l.eq_ignore_ascii_case(language)))
                .ok_or_else(|| ServiceError::UnsupportedLanguage {
                    language: language.clone(),
                })?,
            (None, None) => voices
                .iter()
                .find(|v| v.0 == Self::DEFAULT_VOICE)
                .expect("the default voice is listed"),
        };
        Ok(AudioFormat::new(chosen.1, 2, 1))
    }

    /// The PCM this fake produces for one word.
    pub fn word_audio(format: AudioFormat, word: &str) -> Vec<u8> {
        let level = i16::try_from(word.chars().count().min(30) * 1000).unwrap_or(i16::MAX);
        let samples = (format.rate / 10) as usize;
        level.to_le_bytes().repeat(samples)
    }
}

impl Tts for FakeTts {
    fn describe(&self) -> TtsInfo {
        TtsInfo {
            program: about("fake-tts", "A voice of tones, one per word"),
            voices: Self::voices()
                .iter()
                .map(|(name, rate, languages, speakers)| Voice {
                    about: about(name, &format!("Tones at {rate} Hz")),
                    languages: languages.iter().map(|l| l.to_string()).collect(),
                    speakers: speakers.iter().map(|s| s.to_string()).collect(),
                })
                .collect(),
        }
    }

    fn synthesize(
        &self,
        request: &SynthesisRequest,
        sink: &mut dyn AudioSink,
    ) -> Result<(), ServiceError> {
        let format = Self::format_for(request)?;
        for word in request.text.split_whitespace() {
            if sink.write(format, Self::word_audio(format, word)).is_err() {
                self.refused.fetch_add(1, Ordering::SeqCst);
                return Err(ServiceError::Cancelled);
            }
            self.written.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(self.chunk_delay);
        }
        Ok(())
    }
}

/// An agent that numbers the turns of each conversation: `Turn 2: you said "…".`, and
/// does not handle anything containing "gibberish".
#[derive(Debug, Default)]
pub struct FakeConversation {
    turns: Mutex<HashMap<String, u32>>,
}

impl FakeConversation {
    /// More conversations than this and the oldest memory is dropped wholesale.
    const MAX_CONVERSATIONS: usize = 1000;

    pub fn new() -> Self {
        Self::default()
    }
}

impl Conversation for FakeConversation {
    fn describe(&self) -> ConversationInfo {
        ConversationInfo {
            program: about("fake-agent", "An agent that counts turns"),
            models: vec![LanguageModel {
                about: about("fake-agent-model", "Turn counter"),
                languages: vec!["en".into()],
            }],
        }
    }

    fn handle(&self, turn: &Turn) -> Result<Reply, ServiceError> {
        if turn.text.to_lowercase().contains("gibberish") {
            return Ok(Reply::NotHandled("Sorry, I did not understand.".into()));
        }
        let number = match &turn.conversation_id {
            Some(id) => {
                let mut turns = self
                    .turns
                    .lock()
                    .map_err(|_| ServiceError::failed("the turn table is poisoned"))?;
                if turns.len() >= Self::MAX_CONVERSATIONS && !turns.contains_key(id) {
                    turns.clear();
                }
                let n = turns.entry(id.clone()).or_insert(0);
                *n += 1;
                *n
            }
            None => 1,
        };
        Ok(Reply::Handled(format!(
            "Turn {number}: you said \"{}\".",
            turn.text
        )))
    }
}

/// Wake words that fire on any sample at or above a level, then stay quiet for a
/// refractory period, as real detectors do. Only 16-bit audio.
#[derive(Debug)]
pub struct FakeWake {
    level: u32,
    refractory: Duration,
    live: Arc<AtomicUsize>,
}

impl Default for FakeWake {
    fn default() -> Self {
        Self {
            level: 10_000,
            refractory: Duration::from_secs(2),
            live: Arc::default(),
        }
    }
}

impl FakeWake {
    pub const WAKE_WORDS: [(&'static str, &'static str); 2] =
        [("okay_nabu", "Okay Nabu"), ("hey_jarvis", "Hey Jarvis")];

    pub fn new() -> Self {
        Self::default()
    }

    /// Detectors that exist right now (zero once every stream has ended).
    pub fn live_detectors(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }
}

impl Wake for FakeWake {
    fn describe(&self) -> WakeInfo {
        WakeInfo {
            program: about("fake-wake", "Wake words that fire on loud audio"),
            wake_words: Self::WAKE_WORDS
                .iter()
                .map(|(name, phrase)| WakeWord {
                    about: about(name, phrase),
                    languages: vec!["en".into()],
                    phrase: Some(phrase.to_string()),
                })
                .collect(),
        }
    }

    fn detector(&self, stream: &WakeStream) -> Result<Box<dyn WakeDetector>, ServiceError> {
        if stream.format.width != 2 {
            return Err(ServiceError::UnsupportedFormat {
                format: stream.format,
            });
        }
        let known = |n: &str| Self::WAKE_WORDS.iter().any(|(name, _)| *name == n);
        let name = match &stream.names {
            None => Self::WAKE_WORDS[0].0.to_string(),
            Some(names) => names.iter().find(|n| known(n)).cloned().ok_or_else(|| {
                ServiceError::UnknownWakeWord {
                    names: names.clone(),
                }
            })?,
        };
        self.live.fetch_add(1, Ordering::SeqCst);
        let frames_per_ms = f64::from(stream.format.rate) / 1000.0;
        Ok(Box::new(FakeDetector {
            name,
            format: stream.format,
            level: self.level,
            refractory_frames: (self.refractory.as_secs_f64() * f64::from(stream.format.rate))
                as u64,
            frames_per_ms,
            position: 0,
            last_hit: None,
            live: Arc::clone(&self.live),
        }))
    }
}

struct FakeDetector {
    name: String,
    format: AudioFormat,
    level: u32,
    refractory_frames: u64,
    frames_per_ms: f64,
    /// Frames seen so far.
    position: u64,
    last_hit: Option<u64>,
    live: Arc<AtomicUsize>,
}

impl WakeDetector for FakeDetector {
    fn process(&mut self, audio: &[u8]) -> Result<Vec<WakeHit>, ServiceError> {
        let mut hits = Vec::new();
        for frame in audio.chunks_exact(self.format.frame_bytes()) {
            let loud = peak(&frame[..2], 2) >= self.level;
            let rested = self
                .last_hit
                .is_none_or(|at| self.position - at >= self.refractory_frames);
            if loud && rested {
                self.last_hit = Some(self.position);
                hits.push(WakeHit {
                    name: self.name.clone(),
                    timestamp_ms: (self.position as f64 / self.frames_per_ms) as u64,
                });
            }
            self.position += 1;
        }
        Ok(hits)
    }
}

impl Drop for FakeDetector {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcm(samples: &[i16]) -> Vec<u8> {
        samples.iter().flat_map(|s| s.to_le_bytes()).collect()
    }

    #[test]
    fn peak_reads_every_width() {
        assert_eq!(peak(&pcm(&[3, -12000, 50]), 2), 12000);
        assert_eq!(peak(&[128, 0, 200], 1), 128);
        assert_eq!(peak(&[0, 0, 0x80], 3), 0x80_0000);
        assert_eq!(peak(&(-7i32).to_le_bytes(), 4), 7);
        assert_eq!(peak(&[], 2), 0);
    }

    #[test]
    fn asr_reports_length_and_loudness_and_refuses_other_languages() {
        let asr = FakeAsr::new();
        let utterance = Utterance {
            format: AudioFormat::new(16000, 2, 1),
            audio: pcm(&[0, 900, -300].repeat(16000)),
            language: Some("en".into()),
            model: None,
            names: vec![],
            terms: vec![],
            context: None,
        };
        let text = asr
            .transcribe(&utterance, &Cancellation::new())
            .expect("ok");
        assert_eq!(text.trim(), "heard 3000 ms, peak 900");
        let german = Utterance {
            language: Some("de".into()),
            ..utterance
        };
        assert!(matches!(
            asr.transcribe(&german, &Cancellation::new()),
            Err(ServiceError::UnsupportedLanguage { .. })
        ));
    }

    #[test]
    fn a_cancelled_slow_asr_stops() {
        let asr = FakeAsr::with_delay(Duration::from_secs(30));
        let cancel = Cancellation::new();
        cancel.cancel();
        let utterance = Utterance {
            format: AudioFormat::new(16000, 2, 1),
            audio: vec![],
            language: None,
            model: None,
            names: vec![],
            terms: vec![],
            context: None,
        };
        assert_eq!(
            asr.transcribe(&utterance, &cancel),
            Err(ServiceError::Cancelled)
        );
        assert_eq!(asr.cancelled(), 1);
    }

    #[test]
    fn tts_picks_voices_by_name_then_language_then_default() {
        let request = |voice: Option<&str>, language: Option<&str>| SynthesisRequest {
            text: "Hello big world".into(),
            voice: voice.map(String::from),
            speaker: None,
            language: language.map(String::from),
            context: None,
        };
        let rate = |r| FakeTts::format_for(&r).map(|f| f.rate);
        assert_eq!(rate(request(Some("fake-low"), None)), Ok(16000));
        assert_eq!(rate(request(None, Some("fr_fr"))), Ok(22050));
        assert_eq!(rate(request(None, None)), Ok(22050));
        assert!(rate(request(Some("nope"), None)).is_err());

        let mut sink: Vec<(AudioFormat, Vec<u8>)> = Vec::new();
        FakeTts::new()
            .synthesize(&request(Some("fake-low"), None), &mut sink)
            .expect("speaks");
        assert_eq!(sink.len(), 3);
        assert_eq!(sink[1].1.len(), 1600 * 2);
        assert_eq!(peak(&sink[1].1, 2), 3000);
    }

    #[test]
    fn conversation_counts_turns_per_id() {
        let agent = FakeConversation::new();
        let turn = |id: Option<&str>, text: &str| Turn {
            text: text.into(),
            language: None,
            conversation_id: id.map(String::from),
            device_id: None,
            satellite_id: None,
            context: Default::default(),
        };
        let say = |t| agent.handle(&t).expect("answers");
        assert_eq!(
            say(turn(Some("a"), "hi")),
            Reply::Handled("Turn 1: you said \"hi\".".into())
        );
        assert!(
            matches!(say(turn(Some("a"), "again")), Reply::Handled(t) if t.starts_with("Turn 2"))
        );
        assert!(
            matches!(say(turn(Some("b"), "other")), Reply::Handled(t) if t.starts_with("Turn 1"))
        );
        assert!(matches!(say(turn(None, "x")), Reply::Handled(t) if t.starts_with("Turn 1")));
        assert!(matches!(
            say(turn(Some("a"), "pure gibberish")),
            Reply::NotHandled(_)
        ));
    }

    #[test]
    fn wake_fires_once_per_refractory_period_and_counts_detectors() {
        let wake = FakeWake::new();
        let stream = WakeStream {
            names: Some(vec!["hey_jarvis".into()]),
            format: AudioFormat::new(16000, 2, 1),
            context: None,
        };
        let mut detector = wake.detector(&stream).expect("known word");
        assert_eq!(wake.live_detectors(), 1);
        let quiet = pcm(&[0; 8000]);
        let loud = pcm(&[20000; 160]);
        assert!(detector.process(&quiet).expect("ok").is_empty());
        let hits = detector.process(&loud).expect("ok");
        assert_eq!(
            hits,
            vec![WakeHit {
                name: "hey_jarvis".into(),
                timestamp_ms: 500
            }]
        );
        assert!(
            detector.process(&loud).expect("ok").is_empty(),
            "refractory"
        );
        detector.process(&pcm(&[0; 32000])).expect("ok");
        assert_eq!(detector.process(&loud).expect("ok").len(), 1, "fires again");
        drop(detector);
        assert_eq!(wake.live_detectors(), 0);
        let unknown = WakeStream {
            names: Some(vec!["alexa".into()]),
            ..stream
        };
        assert!(matches!(
            wake.detector(&unknown),
            Err(ServiceError::UnknownWakeWord { .. })
        ));
    }
}

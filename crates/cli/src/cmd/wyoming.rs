//! `voxorder wyoming`: the device's recogniser, voice, agent and wake word served to
//! Home Assistant over the Wyoming protocol. This module owns the adapters from the
//! speech stages and the agent to `voxorder-wyoming`'s service traits, and the table of
//! conversations in progress (one agent per Home Assistant conversation id, each on its
//! own thread with its own store connection, linked to the household its satellite is
//! configured for).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;

use voxorder_agent::{Agent, AgentAssets, StartOptions};
use voxorder_config::{Config, SpeechConfig, VadConfig, WyomingConfig};
use voxorder_domain::clock::Clock;
use voxorder_domain::pii::mask_email;
use voxorder_runtime::paths;
use voxorder_speech::asr::{Expect, Recognizer};
use voxorder_speech::audio::resample::{resample, StreamResampler};
use voxorder_speech::audio::ASR_RATE;
use voxorder_speech::tts::{Pace, Synthesizer};
use voxorder_speech::vad::{endpoint::segment_clip, VoiceActivity};
use voxorder_speech::wake::WakeWordDetector;
use voxorder_store::{OpenMode, Store};
use voxorder_wyoming::protocol::{Attribution, AudioFormat, Limits};
use voxorder_wyoming::{
    Asr, AsrInfo, AudioSink, Cancellation, Conversation, ConversationInfo, Described,
    LanguageModel, Reply, Server, ServerConfig, ServiceError, Services, SynthesisRequest, Tts,
    TtsInfo, Turn, Utterance, Voice, Wake, WakeDetector, WakeHit, WakeInfo, WakeStream, WakeWord,
};

use super::{background_sync, load_nlu, Context};

/// The language every service here speaks (the one prompt catalog and the English
/// recogniser and voice).
const LANGUAGE: &str = "en";

#[derive(Debug, Args)]
pub struct WyomingArgs {
    /// Address and port to listen on (default: `[wyoming] listen`); port 0 takes any
    /// free port.
    #[arg(long, value_name = "HOST:PORT")]
    pub listen: Option<SocketAddr>,
}

/// `voxorder wyoming`: loads every stage, prints the address it listens on, and serves
/// until interrupted.
pub fn command(
    ctx: &Context,
    config: Config,
    args: WyomingArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let wy = config.wyoming.clone();
    let listen = match args.listen {
        Some(addr) => addr,
        // Validated with the configuration.
        None => wy
            .listen
            .parse()
            .with_context(|| format!("wyoming.listen {:?}", wy.listen))?,
    };
    let models = paths::models_dir();
    let ort_lib = paths::ort_lib(&models);
    let store = ctx.open_store(OpenMode::ExistingOrReadOnly)?;
    let nlu = load_nlu(&config, &store)?;
    let _sync = background_sync(&config, &store, ctx.clock);

    let asr = SpeechAsr::load(&config.speech, &models, &ort_lib)?;
    let tts = PiperTts::load(&config.speech, &models, &ort_lib)?;
    let wake = if wy.wake {
        Some(Arc::new(OpenWakeWord::load(&config.speech, &models, &ort_lib)?) as Arc<dyn Wake>)
    } else {
        None
    };
    let agents = Conversations::new(
        store.path().to_path_buf(),
        Arc::new(AgentAssets::new(config, &store, nlu)?),
        ctx.clock,
        &wy,
    );
    drop(store);
    let services = Services {
        asr: Some(Arc::new(asr)),
        tts: Some(Arc::new(tts)),
        conversation: Some(Arc::new(agents)),
        wake,
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the network runtime")?;
    runtime.block_on(async {
        let server = Server::bind(listen, server_config(&wy), services).await?;
        let bound = server.local_addr()?;
        writeln!(out, "wyoming: listening on {bound}")?;
        out.flush()?;
        server
            .serve(async {
                // Without a signal handler there is no clean stop; serving goes on.
                if tokio::signal::ctrl_c().await.is_err() {
                    std::future::pending::<()>().await;
                }
            })
            .await?;
        Ok::<(), anyhow::Error>(())
    })
}

/// The server's limits from `[wyoming]`.
pub fn server_config(wy: &WyomingConfig) -> ServerConfig {
    let secs = |s: u32| Duration::from_secs(u64::from(s));
    let payload = wy.max_payload_kb as usize * 1024;
    ServerConfig {
        limits: Limits {
            max_data_bytes: payload,
            max_payload_bytes: payload,
            ..Limits::default()
        },
        max_connections: wy.max_connections as usize,
        idle_timeout: secs(wy.idle_timeout_seconds),
        request_timeout: secs(wy.request_timeout_seconds),
        max_asr_audio: secs(wy.max_audio_seconds),
        tts_samples_per_chunk: wy.tts_samples_per_chunk as usize,
        tts_streaming: wy.tts_streaming,
        ..ServerConfig::default()
    }
}

/// Who made each thing `info` lists: voxorder's own programs (it publishes no web
/// address, and Home Assistant only shows the name), and the models' projects.
const VOXORDER: (&str, &str) = ("voxorder", "");
const WHISPER: (&str, &str) = ("whisper.cpp", "https://github.com/ggml-org/whisper.cpp");
const PIPER: (&str, &str) = ("Piper", "https://github.com/rhasspy/piper");
const OPENWAKEWORD: (&str, &str) = ("openWakeWord", "https://github.com/dscripka/openWakeWord");

fn about(name: &str, description: &str, (by, url): (&str, &str)) -> Described {
    Described {
        name: name.to_string(),
        description: Some(description.to_string()),
        version: Some(env!("CARGO_PKG_VERSION").to_string()),
        attribution: Attribution {
            name: by.into(),
            url: url.into(),
        },
    }
}

fn failed(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::failed(e.to_string())
}

/// A lock whose holder panicked still guards a usable model: the next request runs.
fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Interleaved little-endian PCM of any width and channel count, as mono samples in
/// [-1, 1] (channels averaged; 8-bit is unsigned, wider is signed, as in WAV).
pub fn pcm_to_mono(format: AudioFormat, pcm: &[u8]) -> Vec<f32> {
    let width = usize::from(format.width.max(1));
    let channels = usize::from(format.channels.max(1));
    let sample = |b: &[u8]| -> f32 {
        match b.len() {
            1 => (f32::from(b[0]) - 128.0) / 128.0,
            2 => f32::from(i16::from_le_bytes([b[0], b[1]])) / 32_768.0,
            3 => (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0,
            _ => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32 / 2_147_483_648.0,
        }
    };
    pcm.chunks_exact(width * channels)
        .map(|frame| frame.chunks_exact(width).map(sample).sum::<f32>() / channels as f32)
        .collect()
}

/// Mono samples as 16-bit little-endian PCM.
pub fn mono_to_pcm16(samples: &[f32]) -> Vec<u8> {
    samples
        .iter()
        .flat_map(|s| ((s.clamp(-1.0, 1.0) * 32_767.0).round() as i16).to_le_bytes())
        .collect()
}

// ---------------------------------------------------------------------------- asr

/// The recogniser behind the same VAD and endpointing as `transcribe` and `run`: the
/// utterance is converted to 16 kHz mono, cut into speech segments, and each segment
/// recognised. One utterance at a time (two cores do not gain from more).
struct SpeechAsr {
    stages: Mutex<(Box<dyn VoiceActivity>, Box<dyn Recognizer>)>,
    vad: VadConfig,
    model: String,
}

impl SpeechAsr {
    fn load(cfg: &SpeechConfig, models: &Path, ort_lib: &Path) -> anyhow::Result<Self> {
        let vad = voxorder_speech::vad::vad_from_config(&cfg.vad, models, ort_lib)?;
        let asr = voxorder_speech::asr::recognizer_from_config(cfg, models)?;
        Ok(Self {
            model: asr.name().to_string(),
            stages: Mutex::new((vad, asr)),
            vad: cfg.vad.clone(),
        })
    }
}

impl Asr for SpeechAsr {
    fn describe(&self) -> AsrInfo {
        AsrInfo {
            program: about("voxorder-asr", "voxorder speech recognition", VOXORDER),
            models: vec![LanguageModel {
                about: about(
                    &self.model,
                    "Whisper, with voice activity detection",
                    WHISPER,
                ),
                languages: vec![LANGUAGE.into()],
            }],
        }
    }

    fn transcribe(
        &self,
        utterance: &Utterance,
        cancel: &Cancellation,
    ) -> Result<String, ServiceError> {
        if let Some(language) = utterance.language.as_deref() {
            if !language.to_ascii_lowercase().starts_with(LANGUAGE) {
                return Err(ServiceError::UnsupportedLanguage {
                    language: language.to_string(),
                });
            }
        }
        let mono = pcm_to_mono(utterance.format, &utterance.audio);
        let audio = resample(&mono, utterance.format.rate, ASR_RATE).map_err(failed)?;
        let mut stages = lock(&self.stages);
        let (vad, asr) = &mut *stages;
        let segments = segment_clip(vad.as_mut(), &audio, &self.vad).map_err(failed)?;
        let mut words = Vec::new();
        for segment in segments {
            if cancel.is_cancelled() {
                return Err(ServiceError::Cancelled);
            }
            let transcript = asr
                .transcribe(&segment.audio, &Expect::Anything)
                .map_err(failed)?;
            if !transcript.text.trim().is_empty() {
                words.push(transcript.text.trim().to_string());
            }
        }
        Ok(words.join(" "))
    }
}

// ---------------------------------------------------------------------------- tts

/// The Piper voice; each chunk it synthesises (a sentence, or the first clause) is sent
/// on as soon as it exists.
struct PiperTts {
    voice: Mutex<Box<dyn Synthesizer>>,
    name: String,
    rate: u32,
}

impl PiperTts {
    fn load(cfg: &SpeechConfig, models: &Path, ort_lib: &Path) -> anyhow::Result<Self> {
        let voice = voxorder_speech::tts::synthesizer_from_config(cfg, models, ort_lib)?;
        let name = Path::new(&cfg.tts.voice)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| cfg.tts.voice.clone());
        Ok(Self {
            rate: voice.sample_rate(),
            voice: Mutex::new(voice),
            name,
        })
    }
}

impl Tts for PiperTts {
    fn describe(&self) -> TtsInfo {
        TtsInfo {
            program: about("voxorder-tts", "voxorder voice", VOXORDER),
            voices: vec![Voice {
                about: about(&self.name, "Piper voice", PIPER),
                languages: vec![LANGUAGE.into()],
                speakers: Vec::new(),
            }],
        }
    }

    fn synthesize(
        &self,
        request: &SynthesisRequest,
        sink: &mut dyn AudioSink,
    ) -> Result<(), ServiceError> {
        if let Some(voice) = request.voice.as_deref() {
            if voice != self.name {
                return Err(ServiceError::UnknownVoice {
                    name: voice.to_string(),
                });
            }
        }
        let format = AudioFormat::new(self.rate, 2, 1);
        let mut closed = false;
        lock(&self.voice)
            .synthesize(&request.text, Pace::Normal, &mut |samples| {
                closed = sink.write(format, mono_to_pcm16(samples)).is_err();
                !closed
            })
            .map_err(failed)?;
        if closed {
            return Err(ServiceError::Cancelled);
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------- wake

/// openWakeWord with `[speech.wake]`'s model: one detector per stream, loaded when the
/// stream starts (each keeps its own audio history).
struct OpenWakeWord {
    head: PathBuf,
    ort_lib: PathBuf,
    threshold: f32,
    name: String,
}

impl OpenWakeWord {
    fn load(cfg: &SpeechConfig, models: &Path, ort_lib: &Path) -> anyhow::Result<Self> {
        // Loaded once here so a missing or refused model stops the start, not a client.
        let probe = WakeWordDetector::from_config(&cfg.wake, models, ort_lib)?;
        Ok(Self {
            head: models.join(&cfg.wake.model),
            ort_lib: ort_lib.to_path_buf(),
            threshold: cfg.wake.threshold,
            name: probe.name(),
        })
    }
}

impl Wake for OpenWakeWord {
    fn describe(&self) -> WakeInfo {
        WakeInfo {
            program: about("voxorder-wake", "voxorder wake word", VOXORDER),
            wake_words: vec![WakeWord {
                about: about(&self.name, "openWakeWord model", OPENWAKEWORD),
                languages: vec![LANGUAGE.into()],
                phrase: Some(phrase(&self.name)),
            }],
        }
    }

    fn detector(&self, stream: &WakeStream) -> Result<Box<dyn WakeDetector>, ServiceError> {
        if let Some(names) = &stream.names {
            if !names.is_empty() && !names.contains(&self.name) {
                return Err(ServiceError::UnknownWakeWord {
                    names: names.clone(),
                });
            }
        }
        let detector =
            WakeWordDetector::load(&self.head, &self.ort_lib, self.threshold).map_err(failed)?;
        let resampler = StreamResampler::new(stream.format.rate, ASR_RATE).map_err(failed)?;
        Ok(Box::new(WakeListener {
            detector,
            resampler,
            format: stream.format,
            name: self.name.clone(),
            heard: 0,
            buf: Vec::new(),
        }))
    }
}

/// The words of a model name: `hey_jarvis_v0.1` is "hey jarvis".
fn phrase(model: &str) -> String {
    model
        .split('_')
        .take_while(|w| !(w.starts_with('v') && w[1..].starts_with(|c: char| c.is_ascii_digit())))
        .collect::<Vec<_>>()
        .join(" ")
}

struct WakeListener {
    detector: WakeWordDetector,
    resampler: StreamResampler,
    format: AudioFormat,
    name: String,
    /// 16 kHz samples fed so far, for detection timestamps.
    heard: u64,
    buf: Vec<f32>,
}

impl WakeDetector for WakeListener {
    fn process(&mut self, audio: &[u8]) -> Result<Vec<WakeHit>, ServiceError> {
        let mono = pcm_to_mono(self.format, audio);
        self.buf.clear();
        self.resampler.process(&mono, &mut self.buf);
        self.heard += self.buf.len() as u64;
        let hit = self.detector.push(&self.buf).map_err(failed)?;
        Ok(match hit {
            Some(_) => {
                // A fresh history: the same words do not fire again on the next frames.
                self.detector.reset();
                vec![WakeHit {
                    name: self.name.clone(),
                    timestamp_ms: self.heard * 1000 / u64::from(ASR_RATE),
                }]
            }
            None => Vec::new(),
        })
    }
}

// ---------------------------------------------------------------------------- handle

/// A turn handed to a conversation's thread, and where its answer goes.
struct Job {
    text: String,
    reply: mpsc::Sender<Result<Reply, ServiceError>>,
}

struct Running {
    jobs: mpsc::Sender<Job>,
    last_turn: Instant,
}

/// The agent as a Wyoming conversation: Home Assistant sends each turn on a new
/// connection with its conversation id, so each conversation lives on a thread of its
/// own (an agent borrows its store for its whole life) until it ends, idles out or is
/// the least recently used one past `max_conversations`.
struct Conversations {
    store: PathBuf,
    assets: Arc<AgentAssets>,
    clock: Clock,
    households: BTreeMap<String, String>,
    idle: Duration,
    max: usize,
    running: Mutex<HashMap<String, Running>>,
    anonymous: std::sync::atomic::AtomicU64,
}

impl Conversations {
    fn new(store: PathBuf, assets: Arc<AgentAssets>, clock: Clock, wy: &WyomingConfig) -> Self {
        Self {
            store,
            assets,
            clock,
            households: wy.households.clone(),
            idle: Duration::from_secs(u64::from(wy.conversation_idle_minutes) * 60),
            max: wy.max_conversations as usize,
            running: Mutex::new(HashMap::new()),
            anonymous: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The household the turn's satellite speaks for: by its satellite id, or by its
    /// device id only when no satellite id is sent, so an unlisted satellite is never a
    /// household because of the device it runs on.
    fn household(&self, turn: &Turn) -> Option<String> {
        let id = turn.satellite_id.as_deref().or(turn.device_id.as_deref())?;
        self.households.get(id).cloned()
    }

    /// Starts a conversation's thread; it ends when the agent does, when its sender is
    /// dropped, or after `idle` without a turn.
    fn spawn(&self, customer: Option<String>) -> Result<mpsc::Sender<Job>, ServiceError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let (path, assets, clock, idle) = (
            self.store.clone(),
            Arc::clone(&self.assets),
            self.clock,
            self.idle,
        );
        std::thread::Builder::new()
            .name("wyoming-conversation".into())
            .spawn(move || converse(&path, &assets, clock, idle, customer, &rx))
            .map_err(failed)?;
        Ok(tx)
    }

    /// The thread for `key`, started if there is none; the least recently used one is
    /// ended when the table is full.
    fn sender(&self, key: &str, turn: &Turn) -> Result<mpsc::Sender<Job>, ServiceError> {
        let mut running = lock(&self.running);
        running.retain(|_, r| r.last_turn.elapsed() < self.idle);
        if let Some(r) = running.get_mut(key) {
            r.last_turn = Instant::now();
            return Ok(r.jobs.clone());
        }
        if running.len() >= self.max {
            if let Some(oldest) = running
                .iter()
                .min_by_key(|(_, r)| r.last_turn)
                .map(|(k, _)| k.clone())
            {
                running.remove(&oldest);
            }
        }
        let customer = self.household(turn);
        if let Some(email) = &customer {
            tracing::info!(customer = %mask_email(email), "conversation for a linked household");
        }
        let jobs = self.spawn(customer)?;
        running.insert(
            key.to_string(),
            Running {
                jobs: jobs.clone(),
                last_turn: Instant::now(),
            },
        );
        Ok(jobs)
    }

    fn forget(&self, key: &str) {
        lock(&self.running).remove(key);
    }
}

/// One conversation's thread: its own store connection and agent, one turn per job.
fn converse(
    path: &Path,
    assets: &AgentAssets,
    clock: Clock,
    idle: Duration,
    customer: Option<String>,
    jobs: &mpsc::Receiver<Job>,
) {
    let Ok(first) = jobs.recv() else { return };
    let mut store = match Store::open(path, OpenMode::ExistingOrReadOnly) {
        Ok(store) => store,
        Err(e) => {
            let _ = first.reply.send(Err(failed(e)));
            return;
        }
    };
    // Home Assistant has already woken the speaker and heard the request: the opening
    // greeting is not said, the first turn is answered.
    let options = StartOptions {
        channel: "wyoming",
        customer_email: customer,
        confirm_order: None,
    };
    let mut agent = match Agent::open(&mut store, assets, clock, options) {
        Ok((agent, _opening)) => agent,
        Err(e) => {
            let _ = first.reply.send(Err(failed(e)));
            return;
        }
    };
    let mut job = first;
    loop {
        let answer = agent.say(&job.text).map_err(failed);
        let end = matches!(&answer, Ok(turn) if turn.end) || answer.is_err();
        let _ = job
            .reply
            .send(answer.map(|turn| Reply::Handled(turn.reply)));
        if end {
            return;
        }
        job = match jobs.recv_timeout(idle) {
            Ok(job) => job,
            Err(_) => return,
        };
    }
}

impl Conversation for Conversations {
    fn describe(&self) -> ConversationInfo {
        ConversationInfo {
            program: about("voxorder-agent", "voxorder order agent", VOXORDER),
            models: vec![LanguageModel {
                about: about("voxorder-orders", "Orders, returns, deliveries", VOXORDER),
                languages: vec![LANGUAGE.into()],
            }],
        }
    }

    fn handle(&self, turn: &Turn) -> Result<Reply, ServiceError> {
        // Without an id each turn is a conversation of its own.
        let key = conversation_key(turn).unwrap_or_else(|| {
            let n = self
                .anonymous
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            format!("anonymous-{n}")
        });
        // A conversation that ended or idled out between the look-up and the send drops
        // the job unanswered; a fresh one then takes the turn.
        for _ in 0..2 {
            let jobs = self.sender(&key, turn)?;
            let (tx, rx) = mpsc::channel();
            let job = Job {
                text: turn.text.clone(),
                reply: tx,
            };
            if jobs.send(job).is_err() {
                self.forget(&key);
                continue;
            }
            match rx.recv() {
                Ok(answer) => {
                    if answer.is_err() {
                        self.forget(&key);
                    }
                    return answer;
                }
                Err(_) => self.forget(&key),
            }
        }
        Err(ServiceError::failed(
            "the conversation could not be started",
        ))
    }
}

/// The conversation a turn belongs to: its id, on the satellite (or device) that speaks
/// it. A conversation verified on one satellite is not continued from another, or from a
/// client that names none, by sending the same conversation id.
fn conversation_key(turn: &Turn) -> Option<String> {
    let id = turn.conversation_id.as_deref()?;
    let speaker = turn
        .satellite_id
        .as_deref()
        .or(turn.device_id.as_deref())
        .unwrap_or("");
    Some(format!("{speaker}\u{1f}{id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(conversation: Option<&str>, satellite: Option<&str>, device: Option<&str>) -> Turn {
        Turn {
            text: "where is my order".into(),
            language: None,
            conversation_id: conversation.map(str::to_string),
            device_id: device.map(str::to_string),
            satellite_id: satellite.map(str::to_string),
            context: Default::default(),
        }
    }

    #[test]
    fn a_conversation_is_continued_only_from_the_satellite_that_speaks_it() {
        let kitchen = conversation_key(&turn(Some("c1"), Some("kitchen"), None));
        assert_eq!(
            kitchen,
            conversation_key(&turn(Some("c1"), Some("kitchen"), None))
        );
        assert_ne!(
            kitchen,
            conversation_key(&turn(Some("c1"), Some("hall"), None))
        );
        assert_ne!(kitchen, conversation_key(&turn(Some("c1"), None, None)));
        assert_ne!(
            kitchen,
            conversation_key(&turn(Some("c1"), None, Some("kitchen-dev")))
        );
        assert_eq!(conversation_key(&turn(None, Some("kitchen"), None)), None);
    }

    #[test]
    fn every_width_and_channel_count_becomes_the_same_mono_samples() {
        // Half scale positive, then half scale negative, in each width.
        let cases: [(u16, Vec<u8>); 4] = [
            (1, vec![192, 64]),
            (
                2,
                [16_384i16, -16_384]
                    .iter()
                    .flat_map(|s| s.to_le_bytes())
                    .collect(),
            ),
            (3, vec![0x00, 0x00, 0x40, 0x00, 0x00, 0xC0]),
            (
                4,
                [1i32 << 30, -(1i32 << 30)]
                    .iter()
                    .flat_map(|s| s.to_le_bytes())
                    .collect(),
            ),
        ];
        for (width, pcm) in cases {
            let mono = pcm_to_mono(AudioFormat::new(16_000, width, 1), &pcm);
            assert_eq!(mono.len(), 2, "width {width}");
            assert!((mono[0] - 0.5).abs() < 0.01, "width {width}: {mono:?}");
            assert!((mono[1] + 0.5).abs() < 0.01, "width {width}: {mono:?}");
        }
        // Stereo: the channels are averaged; a trailing partial frame is dropped.
        let stereo: Vec<u8> = [16_384i16, 0, -32_768, -32_768]
            .iter()
            .flat_map(|s| s.to_le_bytes())
            .chain([1u8])
            .collect();
        let mono = pcm_to_mono(AudioFormat::new(44_100, 2, 2), &stereo);
        assert_eq!(mono, vec![0.25, -1.0]);
    }

    #[test]
    fn samples_round_trip_through_16_bit_pcm() {
        let samples = [0.0, 0.5, -0.5, 1.0, -1.0, 2.0];
        let pcm = mono_to_pcm16(&samples);
        assert_eq!(pcm.len(), 12);
        let back = pcm_to_mono(AudioFormat::new(22_050, 2, 1), &pcm);
        for (a, b) in samples.iter().zip(&back) {
            assert!(
                (a.clamp(-1.0, 1.0) - b).abs() < 1e-3,
                "{samples:?} -> {back:?}"
            );
        }
    }

    #[test]
    fn a_wake_model_name_reads_as_its_phrase() {
        assert_eq!(phrase("hey_jarvis_v0.1"), "hey jarvis");
        assert_eq!(phrase("alexa_v0.1"), "alexa");
        assert_eq!(phrase("very_good"), "very good");
    }

    #[test]
    fn the_configured_limits_reach_the_server() {
        let wy = WyomingConfig {
            max_payload_kb: 64,
            idle_timeout_seconds: 2,
            ..WyomingConfig::default()
        };
        let config = server_config(&wy);
        assert_eq!(config.limits.max_payload_bytes, 64 * 1024);
        assert_eq!(config.idle_timeout, Duration::from_secs(2));
        assert_eq!(config.max_connections, 16);
        assert!(config.tts_streaming);
    }
}

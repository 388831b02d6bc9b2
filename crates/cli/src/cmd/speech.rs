//! The speech subcommands: `transcribe`, `say`, `simulate`, `run` (and its device
//! list) and `bench`. Each takes what the binary already opened (the store, the agent's
//! assets) and writes its output to `out`.

// These pass the voice's error up to `main` whole, where its cause picks the exit code;
// they run once per process, so the error's size costs nothing.
#![allow(clippy::result_large_err)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use serde::Serialize;

use voxorder_agent::{Agent, AgentAssets, StartOptions};
use voxorder_config::{Config, DeviceMode};
use voxorder_domain::clock::Clock;
use voxorder_runtime::paths;
use voxorder_speech::asr::Expect;
use voxorder_speech::audio::device::{
    list_devices, AudioInput, AudioOutput, ClipInput, MicStream, RecordingOutput, Speaker, Tail,
};
use voxorder_speech::audio::{wav, Clip, ASR_RATE};
use voxorder_speech::tts::Pace;
use voxorder_speech::wake::WakeWordDetector;
use voxorder_store::{demo, OpenMode, Store};

use voxorder_voice::{live, simulate, Stages, VoiceError};

use super::chat::CallArgs;
use super::{background_sync, load_nlu, Context};

/// The longest file `transcribe` reads (longer audio is refused before it is loaded).
pub const MAX_TRANSCRIBE_SECONDS: f64 = 600.0;

fn write_err(e: std::io::Error) -> VoiceError {
    VoiceError::Io {
        path: PathBuf::from("<stdout>"),
        source: e,
    }
}

fn json_line(out: &mut dyn Write, value: &impl Serialize) -> Result<(), VoiceError> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out).map_err(write_err)
}

/// What the caller is expected to say, for `transcribe --expect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExpectArg {
    Free,
    Digits,
    YesNo,
}

#[derive(Debug, Serialize)]
struct SegmentJson {
    start_s: f64,
    end_s: f64,
    text: String,
    no_speech_prob: f32,
    decode_ms: f64,
}

#[derive(Debug, Serialize)]
struct TranscribeJson {
    text: String,
    recognizer: String,
    audio_seconds: f64,
    speech_seconds: f64,
    segments: Vec<SegmentJson>,
    load_ms: f64,
    decode_ms: f64,
    real_time_factor: f64,
}

/// `voxorder transcribe FILE.wav`: the speech in the file, segment by segment.
pub fn transcribe(
    config: &Config,
    models_dir: &Path,
    ort_lib: &Path,
    file: &Path,
    expect: ExpectArg,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), VoiceError> {
    let clip = wav::read_wav(file, MAX_TRANSCRIBE_SECONDS)?;
    let t = Instant::now();
    let mut vad = voxorder_speech::vad::vad_from_config(&config.speech.vad, models_dir, ort_lib)?;
    let mut asr = voxorder_speech::asr::recognizer_from_config(&config.speech, models_dir)?;
    asr.set_short_answers(&voxorder_voice::short_answers_of_locale(
        &config.store.locale,
    ));
    let load_ms = t.elapsed().as_secs_f64() * 1000.0;
    let audio =
        voxorder_speech::audio::resample::resample(&clip.samples, clip.sample_rate, ASR_RATE)?;
    let segments =
        voxorder_speech::vad::endpoint::segment_clip(vad.as_mut(), &audio, &config.speech.vad)?;
    let expect = match expect {
        ExpectArg::Free => Expect::Anything,
        ExpectArg::Digits => Expect::Digits { min: 1, max: 20 },
        ExpectArg::YesNo => Expect::YesNo,
    };
    let mut result = TranscribeJson {
        text: String::new(),
        recognizer: asr.name().to_string(),
        audio_seconds: clip.seconds(),
        speech_seconds: 0.0,
        segments: Vec::new(),
        load_ms,
        decode_ms: 0.0,
        real_time_factor: 0.0,
    };
    for seg in &segments {
        let t = Instant::now();
        let tr = asr.transcribe(&seg.audio, &expect)?;
        let decode_ms = t.elapsed().as_secs_f64() * 1000.0;
        result.decode_ms += decode_ms;
        result.speech_seconds += seg.audio.len() as f64 / f64::from(ASR_RATE);
        result.segments.push(SegmentJson {
            start_s: seg.start_s,
            end_s: seg.end_s,
            text: tr.text,
            no_speech_prob: tr.no_speech_prob,
            decode_ms,
        });
    }
    result.text = result
        .segments
        .iter()
        .map(|s| s.text.as_str())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if result.speech_seconds > 0.0 {
        result.real_time_factor = result.decode_ms / 1000.0 / result.speech_seconds;
    }
    if json {
        return json_line(out, &result);
    }
    if result.segments.is_empty() {
        eprintln!("transcribe: no speech found in {}", file.display());
    }
    writeln!(out, "{}", result.text).map_err(write_err)
}

#[derive(Debug, Serialize)]
struct SayJson {
    out: PathBuf,
    sample_rate: u32,
    audio_seconds: f64,
    load_ms: f64,
    first_audio_ms: f64,
    synth_ms: f64,
    real_time_factor: f64,
    sentences: usize,
}

/// `voxorder say TEXT -o out.wav`: the device's voice into a WAV file.
#[allow(clippy::too_many_arguments)]
pub fn say(
    config: &Config,
    models_dir: &Path,
    ort_lib: &Path,
    text: &str,
    out_path: &Path,
    slow: bool,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), VoiceError> {
    let t = Instant::now();
    let mut tts =
        voxorder_speech::tts::synthesizer_from_config(&config.speech, models_dir, ort_lib)?;
    let load_ms = t.elapsed().as_secs_f64() * 1000.0;
    let mut samples = Vec::new();
    let pace = if slow { Pace::Slow } else { Pace::Normal };
    let stats = tts.synthesize(text, pace, &mut |c| {
        samples.extend_from_slice(c);
        true
    })?;
    let rate = tts.sample_rate();
    wav::write_wav(out_path, &Clip::new(samples, rate))?;
    let result = SayJson {
        out: out_path.to_path_buf(),
        sample_rate: rate,
        audio_seconds: stats.audio_seconds,
        load_ms,
        first_audio_ms: stats.first_audio_seconds * 1000.0,
        synth_ms: stats.synth_seconds * 1000.0,
        real_time_factor: if stats.audio_seconds > 0.0 {
            stats.synth_seconds / stats.audio_seconds
        } else {
            0.0
        },
        sentences: stats.sentences,
    };
    if json {
        return json_line(out, &result);
    }
    writeln!(
        out,
        "wrote {}: {:.1} s of audio, first audio after {:.0} ms, real-time factor {:.3}",
        out_path.display(),
        result.audio_seconds,
        result.first_audio_ms,
        result.real_time_factor
    )
    .map_err(write_err)
}

/// Options shared by `simulate` and `run`.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    pub customer: Option<String>,
    pub confirm: Option<String>,
}

/// `voxorder simulate --in DIR`: one spoken conversation from WAV files.
#[allow(clippy::too_many_arguments)]
pub fn simulate(
    store: &mut Store,
    assets: &AgentAssets,
    clock: Clock,
    models_dir: &Path,
    ort_lib: &Path,
    input: &Path,
    out_dir: Option<&Path>,
    options: &CallOptions,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), VoiceError> {
    let files = simulate::turn_files(input)?;
    let out_dir = out_dir.map_or_else(|| input.join("replies"), Path::to_path_buf);
    let config = &assets.config;
    let mut stages = Stages::load(&config.speech, models_dir, ort_lib, &assets.catalog)?;
    stages.know_orders(store)?;
    let vad_cfg = config.speech.vad.clone();
    let (mut agent, opening) = Agent::open(
        store,
        assets,
        clock,
        StartOptions {
            channel: "simulate",
            customer_email: options.customer.clone(),
            confirm_order: options.confirm.clone(),
        },
    )?;
    let log = simulate::simulate(
        &mut agent,
        &opening,
        &mut stages,
        &vad_cfg,
        &assets.product_names,
        &files,
        &out_dir,
    )?;
    if json {
        return json_line(out, &log);
    }
    let w = |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(write_err);
    w(out, format!("agent: {}", log.opening))?;
    for t in &log.turns {
        let heard = match t.heard {
            "speech" => format!("caller ({}): {}", t.input, t.transcript),
            other => format!("caller ({}): [{other}]", t.input),
        };
        w(out, heard)?;
        w(
            out,
            format!(
                "agent: {}   [{:.0} ms: asr {:.0}, agent {:.0}, voice {:.0}]",
                t.reply,
                t.timings.latency_ms,
                t.timings.asr_ms,
                t.timings.agent_ms,
                t.timings.tts_first_audio_ms
            ),
        )?;
    }
    w(
        out,
        format!(
            "{} turns, outcome {}, turn latency p50 {:.0} ms, p95 {:.0} ms; replies and log.json in {}",
            log.summary.turns,
            log.summary.outcome,
            log.summary.latency_ms_p50,
            log.summary.latency_ms_p95,
            out_dir.display()
        ),
    )
}

/// Where `run` listens and speaks.
#[derive(Debug, Clone, Default)]
pub struct RunIo {
    /// A WAV file played as the microphone instead of the sound card.
    pub input: Option<PathBuf>,
    /// Write what the device says to this WAV file instead of the speaker.
    pub output: Option<PathBuf>,
    pub max_conversations: Option<u32>,
}

/// `voxorder run --list-devices`.
pub fn print_devices(out: &mut dyn Write) -> Result<(), VoiceError> {
    let devices = list_devices()?;
    if devices.is_empty() {
        return writeln!(out, "no audio devices found").map_err(write_err);
    }
    for d in devices {
        writeln!(out, "{d:?}").map_err(write_err)?;
    }
    Ok(())
}

/// `voxorder run`: the live device loop until interrupted.
#[allow(clippy::too_many_arguments)]
pub fn run(
    store: &mut Store,
    assets: &AgentAssets,
    clock: Clock,
    models_dir: &Path,
    ort_lib: &Path,
    io: &RunIo,
    options: &CallOptions,
    surface: &mut dyn live::Surface,
    stop: &AtomicBool,
    out: &mut dyn Write,
) -> Result<(), VoiceError> {
    let config = &assets.config;
    let t = Instant::now();
    // Open the devices first: without a sound card there is no point loading models.
    let mut input: Box<dyn AudioInput> = match &io.input {
        Some(path) => Box::new(
            ClipInput::new(&wav::read_wav(path, MAX_TRANSCRIBE_SECONDS)?)?.with_tail(
                Tail::Silence(std::time::Duration::from_secs(
                    u64::from(config.speech.vad.no_input_timeout_seconds) * 3,
                )),
            ),
        ),
        None => Box::new(MicStream::open(&config.speech.audio.input_device)?),
    };
    let mut recording = None;
    let mut output: Box<dyn AudioOutput> = match &io.output {
        Some(_) => {
            let rec = RecordingOutput::new(22_050);
            recording = Some(rec.handle());
            Box::new(rec)
        }
        None => Box::new(Speaker::open(&config.speech.audio.output_device)?),
    };
    let mut stages = Stages::load(&config.speech, models_dir, ort_lib, &assets.catalog)?;
    let mut wake = match config.speech.mode {
        DeviceMode::Speaker => Some(WakeWordDetector::from_config(
            &config.speech.wake,
            models_dir,
            ort_lib,
        )?),
        DeviceMode::Kiosk => None,
    };
    let mode = config.speech.mode;
    writeln!(
        out,
        "ready in {:.1} s ({mode:?} mode{}); Ctrl-C stops",
        t.elapsed().as_secs_f64(),
        wake.as_ref()
            .map(|w| format!(", wake word {}", w.name()))
            .unwrap_or_default()
    )
    .map_err(write_err)?;
    let mut res = live::Resources {
        store,
        assets,
        clock,
    };
    let summary = live::run(
        &mut res,
        &mut stages,
        input.as_mut(),
        output.as_mut(),
        wake.as_mut(),
        &live::LiveOptions {
            customer_email: options.customer.clone(),
            max_conversations: io.max_conversations,
        },
        surface,
        stop,
    )?;
    if let (Some(path), Some(handle)) = (&io.output, recording) {
        let rec = handle.snapshot();
        wav::write_wav(path, &Clip::new(rec.samples, 22_050))?;
    }
    writeln!(
        out,
        "{} conversation(s), {} announcement(s)",
        summary.conversations, summary.announcements
    )
    .map_err(write_err)
}

/// The household the bench's scripted caller belongs to (in the demo store).
pub const BENCH_CUSTOMER: &str = "ada.park@example.com";

/// `voxorder bench`: figures as JSON on `out` (and in `out_file`).
#[allow(clippy::too_many_arguments)]
pub fn bench(
    store: &mut Store,
    assets: &AgentAssets,
    now: chrono::NaiveDateTime,
    models_dir: &Path,
    ort_lib: &Path,
    rounds: usize,
    accuracy: Option<voxorder_voice::eval::EvalOptions>,
    started: Instant,
    store_and_nlu_ms: f64,
    out_file: Option<&Path>,
    out: &mut dyn Write,
) -> Result<(), VoiceError> {
    let missing = || VoiceError::BenchCallerMissing {
        email: BENCH_CUSTOMER,
    };
    let customer = store
        .customer_by_email(BENCH_CUSTOMER)?
        .ok_or_else(missing)?;
    let orders = store.orders_of_customer(customer.id)?;
    let (order_number, zip) = orders
        .iter()
        .filter_map(|o| store.order(&o.order_number).ok().flatten())
        .find_map(|o| {
            o.customer
                .billing_zip
                .clone()
                .map(|z| (o.order_number.clone(), z))
        })
        .ok_or_else(missing)?;
    let report = voxorder_voice::bench::run(
        voxorder_voice::bench::BenchInputs {
            store,
            assets,
            now,
            order_number,
            zip,
            customer_email: BENCH_CUSTOMER.to_string(),
            started,
            store_and_nlu_ms,
        },
        models_dir,
        ort_lib,
        rounds,
        accuracy.as_ref(),
    )?;
    if let Some(path) = out_file {
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, text + "\n").map_err(|source| VoiceError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    }
    json_line(out, &report)
}

/// `voxorder transcribe`: loads the stages from the models directory.
pub fn transcribe_command(
    config: &Config,
    file: &Path,
    expect: ExpectArg,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let models = paths::models_dir();
    transcribe(
        config,
        &models,
        &paths::ort_lib(&models),
        file,
        expect,
        json,
        out,
    )?;
    Ok(())
}

/// `voxorder say`: loads the voice from the models directory.
pub fn say_command(
    config: &Config,
    text: &str,
    path: &Path,
    slow: bool,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let models = paths::models_dir();
    say(
        config,
        &models,
        &paths::ort_lib(&models),
        text,
        path,
        slow,
        json,
        out,
    )?;
    Ok(())
}

/// `voxorder simulate`: the store (read-only when it cannot be written) and the agent's
/// assets, then the spoken call.
pub fn simulate_command(
    ctx: &Context,
    config: Config,
    input: Option<&Path>,
    out_dir: Option<&Path>,
    call: CallArgs,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let CallArgs { customer, confirm } = call;
    let mut store = ctx.open_store(OpenMode::ExistingOrReadOnly)?;
    let nlu = load_nlu(&config, &store)?;
    let assets = AgentAssets::new(config, &store, nlu)?;
    let models = paths::models_dir();
    let Some(input) = input else {
        let out_dir = out_dir.map_or_else(
            || std::env::temp_dir().join(format!("voxorder-simulate-{}", std::process::id())),
            Path::to_path_buf,
        );
        simulate_interactive(
            &mut store,
            &assets,
            ctx.clock,
            &models,
            &CallOptions { customer, confirm },
            &out_dir,
            out,
        )?;
        return Ok(());
    };
    simulate(
        &mut store,
        &assets,
        ctx.clock,
        &models,
        &paths::ort_lib(&models),
        input,
        out_dir,
        &CallOptions { customer, confirm },
        json,
        out,
    )?;
    Ok(())
}

/// `voxorder simulate --interactive`: one WAV path per stdin line, one JSON line per turn.
fn simulate_interactive(
    store: &mut Store,
    assets: &AgentAssets,
    clock: Clock,
    models_dir: &Path,
    options: &CallOptions,
    out_dir: &Path,
    out: &mut dyn Write,
) -> Result<(), VoiceError> {
    let config = &assets.config;
    let ort_lib = paths::ort_lib(models_dir);
    let mut stages = Stages::load(&config.speech, models_dir, &ort_lib, &assets.catalog)?;
    stages.know_orders(store)?;
    let vad_cfg = config.speech.vad.clone();
    let (mut agent, opening) = Agent::open(
        store,
        assets,
        clock,
        StartOptions {
            channel: "simulate",
            customer_email: options.customer.clone(),
            confirm_order: options.confirm.clone(),
        },
    )?;
    let stdin = std::io::stdin();
    simulate::interactive(
        &mut agent,
        &opening,
        &mut stages,
        &vad_cfg,
        &assets.product_names,
        out_dir,
        &mut stdin.lock(),
        out,
    )
}

/// `voxorder run`: the store, the agent's assets and background sync, then the live loop.
pub fn run_command(
    ctx: &Context,
    config: Config,
    io: RunIo,
    customer: Option<String>,
    screen: &super::chat::ScreenArgs,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut store = ctx.open_store(OpenMode::ExistingOrReadOnly)?;
    let nlu = load_nlu(&config, &store)?;
    let _sync = background_sync(&config, &store, ctx.clock);
    let mut shown = match &screen.screen {
        Some(_) => {
            let (server, inputs) = super::screen::start(&config.screen, screen.requested())?;
            let glue = super::screen::Glue::new(server.publisher(), &config);
            Some((server, super::screen::LiveScreen::new(glue, inputs)))
        }
        None => None,
    };
    let assets = AgentAssets::new(config, &store, nlu)?;
    let models = paths::models_dir();
    let stop = AtomicBool::new(false);
    let mut no_surface = live::NoSurface;
    run(
        &mut store,
        &assets,
        ctx.clock,
        &models,
        &paths::ort_lib(&models),
        &io,
        &CallOptions {
            customer,
            confirm: None,
        },
        match shown.as_mut() {
            Some((_, surface)) => surface,
            None => &mut no_surface,
        },
        &stop,
        out,
    )?;
    Ok(())
}

/// `voxorder bench`: a fresh demo store in the data directory, so the bench neither needs
/// nor changes the caller's.
pub fn bench_command(
    ctx: &Context,
    config: Config,
    rounds: usize,
    accuracy: Option<voxorder_voice::eval::EvalOptions>,
    out_file: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let db = paths::data_dir().join("bench.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let mut store = demo::open_or_create(&db, ctx.clock.now())?;
    let nlu = load_nlu(&config, &store)?;
    let assets = AgentAssets::new(config, &store, nlu)?;
    let store_and_nlu_ms = started.elapsed().as_secs_f64() * 1000.0;
    let models = paths::models_dir();
    bench(
        &mut store,
        &assets,
        ctx.clock.now(),
        &models,
        &paths::ort_lib(&models),
        rounds,
        accuracy,
        started,
        store_and_nlu_ms,
        out_file,
        out,
    )?;
    Ok(())
}

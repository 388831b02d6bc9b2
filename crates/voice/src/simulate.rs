//! `voxorder simulate`: a whole spoken conversation from a folder of WAV files (one per
//! caller turn, in name order) through the real stages, writing the agent's replies as
//! WAV files and a JSON log with what was heard, understood and done, and per-stage
//! timings. `--interactive` plays one turn per WAV path read from stdin and answers
//! each with a JSON line, so a test caller can listen to the question and answer it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use voxorder_agent::{Action, Agent};
use voxorder_config::VadConfig;
use voxorder_speech::asr::Expect;
use voxorder_speech::audio::{wav, Clip, ASR_RATE};
use voxorder_speech::vad::VoiceActivity;

use super::{expect_for, percentile, respond, speak, Heard, Stages, TurnTimings, VoiceError};

/// The longest caller-turn file read; longer files are refused, not loaded.
pub const MAX_TURN_FILE_SECONDS: f64 = 120.0;

/// One caller turn in the log.
#[derive(Debug, Clone, Serialize)]
pub struct TurnLog {
    pub input: String,
    /// speech | silence | unreadable
    pub heard: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_error: Option<String>,
    pub transcript: String,
    pub no_speech_prob: f32,
    pub intent: Option<String>,
    pub confidence: Option<f32>,
    pub reply: String,
    pub reply_wav: String,
    pub actions: Vec<Action>,
    pub end: bool,
    pub vad_ms: f64,
    pub timings: TurnTimings,
}

/// Figures over the whole conversation.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub turns: usize,
    pub latency_ms_p50: f64,
    pub latency_ms_p95: f64,
    pub asr_ms_p50: f64,
    pub tts_first_audio_ms_p50: f64,
    pub outcome: String,
}

/// The whole log `simulate` writes.
#[derive(Debug, Clone, Serialize)]
pub struct SimulationLog {
    pub opening: String,
    pub opening_wav: String,
    pub turns: Vec<TurnLog>,
    pub summary: Summary,
}

/// The caller-turn WAV files in `dir`, in name order.
pub fn turn_files(dir: &Path) -> Result<Vec<PathBuf>, VoiceError> {
    let io = |source| VoiceError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x.eq_ignore_ascii_case("wav")))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(VoiceError::NoTurns {
            dir: dir.to_path_buf(),
        });
    }
    Ok(files)
}

/// The caller's speech in a turn file: from the start of the first voiced segment to the
/// end of the last, at 16 kHz, cut at the configured maximum utterance length. None when
/// the file holds no speech.
pub fn speech_in(
    vad: &mut dyn VoiceActivity,
    clip: &Clip,
    cfg: &VadConfig,
) -> Result<Option<Vec<f32>>, VoiceError> {
    let audio =
        voxorder_speech::audio::resample::resample(&clip.samples, clip.sample_rate, ASR_RATE)?;
    let segments = voxorder_speech::vad::endpoint::segment_clip(vad, &audio, cfg)?;
    let (Some(first), Some(last)) = (segments.first(), segments.last()) else {
        return Ok(None);
    };
    let rate = f64::from(ASR_RATE);
    let start = ((first.start_s * rate) as usize).min(audio.len());
    let max_len = (f64::from(cfg.max_utterance_seconds) * rate) as usize;
    let end = ((last.end_s * rate) as usize)
        .min(audio.len())
        .min(start + max_len);
    Ok(Some(audio[start..end].to_vec()))
}

/// One caller turn from a WAV file through the real stages (VAD, the recogniser biased
/// by what the dialog just asked, the agent, the voice); the reply is written to
/// `out_dir/reply_NN.wav` with NN = `index`.
pub fn play_turn(
    agent: &mut Agent<'_>,
    stages: &mut Stages,
    vad_cfg: &VadConfig,
    products: &[String],
    file: &Path,
    out_dir: &Path,
    index: usize,
) -> Result<TurnLog, VoiceError> {
    let rate = stages.tts.sample_rate();
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let t = Instant::now();
    let (speech, input_error) = match wav::read_wav(file, MAX_TURN_FILE_SECONDS) {
        Ok(clip) => (speech_in(stages.vad.as_mut(), &clip, vad_cfg)?, None),
        Err(e) => {
            tracing::warn!(file = %file.display(), error = %e, "turn file unreadable");
            (None, Some(e.to_string()))
        }
    };
    let vad_ms = t.elapsed().as_secs_f64() * 1000.0;
    let expect = expect_for(agent, products);
    let mut audio = Vec::new();
    let mut sink = |chunk: &[f32]| {
        audio.extend_from_slice(chunk);
        true
    };
    let spoken = match (&speech, &input_error) {
        // An unreadable file is something said that could not be made out.
        (_, Some(_)) => {
            let t = Instant::now();
            let turn = agent.unclear()?;
            let agent_ms = t.elapsed().as_secs_f64() * 1000.0;
            let stats = speak(
                stages.tts.as_mut(),
                &turn.reply,
                super::pace_of(&turn),
                &mut sink,
            )?;
            super::SpokenTurn {
                transcript: None,
                turn,
                timings: TurnTimings {
                    agent_ms,
                    tts_first_audio_ms: stats.first_audio_seconds * 1000.0,
                    tts_ms: stats.synth_seconds * 1000.0,
                    reply_seconds: stats.audio_seconds,
                    latency_ms: agent_ms + stats.first_audio_seconds * 1000.0,
                    ..TurnTimings::default()
                },
            }
        }
        (Some(s), None) => respond(
            agent,
            stages.asr.as_mut(),
            stages.tts.as_mut(),
            Heard::Speech(s),
            &expect,
            &mut sink,
        )?,
        (None, None) => respond(
            agent,
            stages.asr.as_mut(),
            stages.tts.as_mut(),
            Heard::Silence,
            &Expect::Anything,
            &mut sink,
        )?,
    };
    let reply_wav = format!("reply_{index:02}.wav");
    wav::write_wav(&out_dir.join(&reply_wav), &Clip::new(audio, rate))?;
    Ok(TurnLog {
        input: name,
        heard: match (&speech, &input_error) {
            (_, Some(_)) => "unreadable",
            (Some(_), None) => "speech",
            (None, None) => "silence",
        },
        input_error,
        transcript: spoken
            .transcript
            .as_ref()
            .map(|t| t.text.clone())
            .unwrap_or_default(),
        no_speech_prob: spoken.transcript.as_ref().map_or(0.0, |t| t.no_speech_prob),
        intent: spoken.turn.intent.map(|i| i.to_string()),
        confidence: spoken.turn.confidence,
        reply: spoken.turn.reply.clone(),
        reply_wav,
        actions: spoken.turn.actions.clone(),
        end: spoken.turn.end,
        vad_ms,
        timings: spoken.timings,
    })
}

/// The opening words spoken into `out_dir/reply_00.wav`; returns that file's name.
fn speak_opening(
    opening: &voxorder_agent::Turn,
    stages: &mut Stages,
    out_dir: &Path,
) -> Result<String, VoiceError> {
    std::fs::create_dir_all(out_dir).map_err(|source| VoiceError::Io {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let rate = stages.tts.sample_rate();
    let mut audio = Vec::new();
    speak(
        stages.tts.as_mut(),
        &opening.reply,
        super::pace_of(opening),
        &mut |chunk| {
            audio.extend_from_slice(chunk);
            true
        },
    )?;
    let opening_wav = "reply_00.wav".to_string();
    wav::write_wav(&out_dir.join(&opening_wav), &Clip::new(audio, rate))?;
    Ok(opening_wav)
}

/// The opening line of `simulate --interactive`.
#[derive(Debug, Clone, Serialize)]
pub struct OpeningLog {
    pub reply: String,
    pub reply_wav: String,
    pub end: bool,
}

/// `simulate --interactive`: reads one WAV path per line of `input`, plays it as the
/// caller's turn and prints one JSON object per line to `output` (first the opening),
/// until the input ends or the conversation does. Reply WAVs are absolute paths.
#[allow(clippy::too_many_arguments)]
pub fn interactive(
    agent: &mut Agent<'_>,
    opening: &voxorder_agent::Turn,
    stages: &mut Stages,
    vad_cfg: &VadConfig,
    products: &[String],
    out_dir: &Path,
    input: &mut dyn std::io::BufRead,
    output: &mut dyn std::io::Write,
) -> Result<(), VoiceError> {
    let stdio = |source| VoiceError::Io {
        path: PathBuf::from("-"),
        source,
    };
    let opening_wav = speak_opening(opening, stages, out_dir)?;
    let mut line = serde_json::to_string(&OpeningLog {
        reply: opening.reply.clone(),
        reply_wav: out_dir.join(opening_wav).display().to_string(),
        end: opening.end,
    })?;
    line.push('\n');
    output.write_all(line.as_bytes()).map_err(stdio)?;
    output.flush().map_err(stdio)?;
    let mut index = 0;
    let mut request = String::new();
    while !agent.ended() {
        request.clear();
        if input.read_line(&mut request).map_err(stdio)? == 0 {
            break;
        }
        let path = request.trim();
        if path.is_empty() {
            continue;
        }
        index += 1;
        let mut turn = play_turn(
            agent,
            stages,
            vad_cfg,
            products,
            Path::new(path),
            out_dir,
            index,
        )?;
        turn.input = path.to_string();
        turn.reply_wav = out_dir.join(&turn.reply_wav).display().to_string();
        let mut line = serde_json::to_string(&turn)?;
        line.push('\n');
        output.write_all(line.as_bytes()).map_err(stdio)?;
        output.flush().map_err(stdio)?;
    }
    agent.finish()?;
    Ok(())
}

/// Plays the conversation and writes `reply_NN.wav` files and `log.json` into `out_dir`.
pub fn simulate(
    agent: &mut Agent<'_>,
    opening: &voxorder_agent::Turn,
    stages: &mut Stages,
    vad_cfg: &VadConfig,
    products: &[String],
    turn_files: &[PathBuf],
    out_dir: &Path,
) -> Result<SimulationLog, VoiceError> {
    let opening_wav = speak_opening(opening, stages, out_dir)?;

    let mut turns = Vec::new();
    for (i, file) in turn_files.iter().enumerate() {
        if agent.ended() {
            tracing::warn!(file = %file.display(), "the conversation ended before this turn");
            break;
        }
        turns.push(play_turn(
            agent,
            stages,
            vad_cfg,
            products,
            file,
            out_dir,
            i + 1,
        )?);
    }
    let outcome = agent.finish()?;
    let spoken: Vec<&TurnLog> = turns.iter().filter(|t| t.heard == "speech").collect();
    let latencies: Vec<f64> = spoken.iter().map(|t| t.timings.latency_ms).collect();
    let summary = Summary {
        turns: turns.len(),
        latency_ms_p50: percentile(&latencies, 50.0),
        latency_ms_p95: percentile(&latencies, 95.0),
        asr_ms_p50: percentile(
            &spoken.iter().map(|t| t.timings.asr_ms).collect::<Vec<_>>(),
            50.0,
        ),
        tts_first_audio_ms_p50: percentile(
            &turns
                .iter()
                .map(|t| t.timings.tts_first_audio_ms)
                .collect::<Vec<_>>(),
            50.0,
        ),
        outcome: format!("{outcome:?}").to_lowercase(),
    };
    let log = SimulationLog {
        opening: opening.reply.clone(),
        opening_wav,
        turns,
        summary,
    };
    let path = out_dir.join("log.json");
    let text = serde_json::to_string_pretty(&log)?;
    std::fs::write(&path, text + "\n").map_err(|source| VoiceError::Io { path, source })?;
    Ok(log)
}

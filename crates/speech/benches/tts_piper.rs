//! The Piper voice on this machine: model load time, time to first audio and real-time
//! factor for a short (6 words) and a long (40 words, 3 sentences) reply, with ONNX
//! Runtime intra-op threads 1 and 2 (2 with and without spinning), and the prompt cache's
//! first audio on a hit. The configurations take turns run by run, so a machine whose
//! load changes during the benchmark affects them alike.
//! Prints a JSON report and writes it to `target/bench/tts_piper.json`, with the long
//! reply as `target/bench/tts_piper_long.wav` for listening or recognition checks.

use std::path::Path;
use std::time::Instant;

use voxorder_config::TtsConfig;
use voxorder_runtime::paths;
use voxorder_speech::tts::{CachedSynthesizer, Pace, PiperOptions, PiperVoice, Synthesizer};

const SHORT: &str = "Sure, your order has shipped today.";
const LONG: &str = "Your order number four five one two was shipped on Monday and should arrive \
by Thursday afternoon. You can track it with the link we sent to your email address. \
Is there anything else I can help you with today?";
const RUNS: usize = 7;
const CONFIGS: [(usize, bool); 3] = [(1, false), (2, false), (2, true)];

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[derive(Default)]
struct Figures {
    first_ms: Vec<f64>,
    synth_ms: Vec<f64>,
    rtf: Vec<f64>,
    audio_seconds: f64,
}

fn main() -> anyhow::Result<()> {
    let root = &Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let models = root.join("models");
    let model = models.join(TtsConfig::default().voice);
    let ort_lib = paths::ort_lib(&models);
    let record = std::env::args().any(|a| a == "--bench");
    let runs = if record { RUNS } else { 1 };

    let mut voices = Vec::new();
    for (threads, spinning) in CONFIGS {
        let options = PiperOptions {
            intra_threads: threads,
            intra_spinning: spinning,
            ..PiperOptions::default()
        };
        let t = Instant::now();
        let mut voice = PiperVoice::load(&model, &ort_lib, options)?;
        let load_ms = t.elapsed().as_secs_f64() * 1e3;
        voice.synthesize("Warm up.", Pace::Normal, &mut |_| true)?;
        voices.push((voice, load_ms));
    }
    let texts = [("short", SHORT), ("long", LONG)];
    let mut figures: Vec<Vec<Figures>> = CONFIGS
        .iter()
        .map(|_| texts.iter().map(|_| Figures::default()).collect())
        .collect();
    let mut long_audio = Vec::new();
    for _ in 0..runs {
        for (c, (voice, _)) in voices.iter_mut().enumerate() {
            for (t, (name, text)) in texts.iter().enumerate() {
                let mut samples = Vec::new();
                let stats = voice.synthesize(text, Pace::Normal, &mut |chunk| {
                    samples.extend_from_slice(chunk);
                    true
                })?;
                let f = &mut figures[c][t];
                f.first_ms.push(stats.first_audio_seconds * 1e3);
                f.synth_ms.push(stats.synth_seconds * 1e3);
                f.rtf.push(stats.real_time_factor());
                f.audio_seconds = stats.audio_seconds;
                if *name == "long" {
                    long_audio = samples;
                }
            }
        }
    }

    let mut report_runs = Vec::new();
    for (c, (threads, spinning)) in CONFIGS.iter().enumerate() {
        let label = format!("threads {threads}{}", if *spinning { " spin" } else { "" });
        let load_ms = voices[c].1;
        let mut per_text = serde_json::Map::new();
        for (t, (name, text)) in texts.iter().enumerate() {
            let f = &figures[c][t];
            let (first, synth, rtf) = (
                median(f.first_ms.clone()),
                median(f.synth_ms.clone()),
                median(f.rtf.clone()),
            );
            eprintln!(
                "{label:<15} {name:<5}: first audio {first:>4.0} ms, total {synth:>5.0} ms, audio {:.2} s, RTF {rtf:.3}",
                f.audio_seconds
            );
            per_text.insert(
                (*name).into(),
                serde_json::json!({
                    "words": text.split_whitespace().count(),
                    "audio_seconds": f.audio_seconds,
                    "first_audio_ms_median": first,
                    "first_audio_ms_min": f.first_ms.iter().copied().fold(f64::INFINITY, f64::min),
                    "synth_ms_median": synth,
                    "rtf_median": rtf,
                    "runs": f.first_ms.len(),
                }),
            );
        }
        eprintln!("{label:<15} load {load_ms:.0} ms");
        report_runs.push(serde_json::json!({
            "intra_threads": threads,
            "intra_spinning": spinning,
            "load_ms": load_ms,
            "texts": per_text,
        }));
    }
    drop(voices);

    // The prompt cache: second request of the same prompt.
    let voice = PiperVoice::load(&model, &ort_lib, PiperOptions::default())?;
    let sample_rate = voice.sample_rate();
    let mut cached = CachedSynthesizer::new(voice, 16 << 20);
    let miss = cached.synthesize(SHORT, Pace::Normal, &mut |_| true)?;
    let hit = cached.synthesize(SHORT, Pace::Normal, &mut |_| true)?;
    eprintln!(
        "cache: miss first audio {:.1} ms, hit first audio {:.3} ms",
        miss.first_audio_seconds * 1e3,
        hit.first_audio_seconds * 1e3
    );

    let report = serde_json::json!({
        "bench": "tts_piper",
        "model": model.display().to_string(),
        "configs": report_runs,
        "cache": {
            "miss_first_audio_ms": miss.first_audio_seconds * 1e3,
            "hit_first_audio_ms": hit.first_audio_seconds * 1e3,
        },
    });
    let text = serde_json::to_string_pretty(&report)?;
    println!("{text}");
    // Under `cargo test` (no `--bench`) this is a check that the benchmark runs; only a
    // real benchmark run, in an optimised build, records its figures.
    if record {
        let out = root.join("target/bench");
        std::fs::create_dir_all(&out)?;
        std::fs::write(out.join("tts_piper.json"), &text)?;
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut wav = hound::WavWriter::create(out.join("tts_piper_long.wav"), spec)?;
        for s in &long_audio {
            wav.write_sample((s.clamp(-1.0, 1.0) * 32767.0) as i16)?;
        }
        wav.finalize()?;
    }
    Ok(())
}

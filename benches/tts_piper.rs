//! The Piper voice on this machine: model load time, time to first audio and real-time
//! factor for a short (6 words) and a long (41 words, 3 sentences) reply, with ONNX
//! Runtime intra-op threads 1 and 2 (2 with and without spinning), and the prompt cache's first audio on a hit.
//! Prints a JSON report and writes it to `target/bench/tts_piper.json`, with the long
//! reply as `target/bench/tts_piper_long.wav` for listening or recognition checks.

use std::path::Path;
use std::time::Instant;

use voxorder::config::TtsConfig;
use voxorder::paths;
use voxorder::tts::{CachedSynthesizer, Pace, PiperOptions, PiperVoice, Synthesizer};

const SHORT: &str = "Sure, your order has shipped today.";
const LONG: &str = "Your order number four five one two was shipped on Monday and should arrive \
by Thursday afternoon. You can track it with the link we sent to your email address. \
Is there anything else I can help you with today?";
const RUNS: usize = 5;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let models = root.join("models");
    let model = models.join(TtsConfig::default().voice);
    let ort_lib = paths::ort_lib(&models);
    let record = std::env::args().any(|a| a == "--bench");
    let mut runs = Vec::new();
    let mut long_audio = Vec::new();
    for (threads, spinning) in [(1usize, false), (2, false), (2, true)] {
        let options = PiperOptions {
            intra_threads: threads,
            intra_spinning: spinning,
            ..PiperOptions::default()
        };
        let label = format!("threads {threads}{}", if spinning { " spin" } else { "" });
        let t = Instant::now();
        let mut voice = PiperVoice::load(&model, &ort_lib, options)?;
        let load_ms = t.elapsed().as_secs_f64() * 1e3;
        voice.synthesize("Warm up.", Pace::Normal, &mut |_| true)?;
        let mut per_text = serde_json::Map::new();
        for (name, text) in [("short", SHORT), ("long", LONG)] {
            let (mut first, mut total, mut rtf, mut audio) = (vec![], vec![], vec![], 0.0);
            for _ in 0..RUNS {
                let mut samples = Vec::new();
                let stats = voice.synthesize(text, Pace::Normal, &mut |c| {
                    samples.extend_from_slice(c);
                    true
                })?;
                first.push(stats.first_audio_seconds * 1e3);
                total.push(stats.synth_seconds * 1e3);
                rtf.push(stats.real_time_factor());
                audio = stats.audio_seconds;
                if name == "long" {
                    long_audio = samples;
                }
            }
            eprintln!(
                "{label:<15} {name:<5}: first audio {:>4.0} ms, total {:>5.0} ms, audio {audio:.2} s, RTF {:.3}",
                median(first.clone()),
                median(total.clone()),
                median(rtf.clone())
            );
            per_text.insert(
                name.into(),
                serde_json::json!({
                    "words": text.split_whitespace().count(),
                    "audio_seconds": audio,
                    "first_audio_ms_median": median(first),
                    "synth_ms_median": median(total),
                    "rtf_median": median(rtf),
                    "runs": RUNS,
                }),
            );
        }
        eprintln!("threads {threads} load {load_ms:.0} ms");
        runs.push(
            serde_json::json!({"intra_threads": threads, "load_ms": load_ms, "texts": per_text}),
        );
    }

    // The prompt cache: second request of the same prompt.
    let voice = PiperVoice::load(&model, &ort_lib, PiperOptions::default())?;
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
        "runs": runs,
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
            sample_rate: cached.sample_rate(),
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

//! Per-frame costs of the speech front end on this machine: resampler throughput, Silero
//! and WebRTC VAD per frame, the wake-word pipeline per 80 ms step. Prints figures; run
//! with `cargo bench -p voxorder-speech --bench speech_frontend_costs` (needs the fetched models).

use std::time::Instant;

use voxorder_speech::audio::mix::{babble_noise, white_noise};
use voxorder_speech::audio::resample::resample;
use voxorder_speech::vad::silero::SileroVad;
use voxorder_speech::vad::webrtc::WebRtcVad;
use voxorder_speech::vad::VoiceActivity;
use voxorder_speech::wake::WakeWordDetector;

fn per_item_us(n: usize, f: impl FnMut(usize)) -> f64 {
    let mut f = f;
    let start = Instant::now();
    for i in 0..n {
        f(i);
    }
    start.elapsed().as_secs_f64() * 1e6 / n as f64
}

fn main() -> anyhow::Result<()> {
    // Cargo runs a bench from its crate's folder: the workspace's models, unless
    // VOXORDER_MODELS names others.
    let models = match std::env::var_os(voxorder_runtime::paths::MODELS_ENV) {
        Some(dir) if !dir.is_empty() => std::path::PathBuf::from(dir),
        _ => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models"),
    };
    let lib = voxorder_runtime::paths::ort_lib(&models);

    for (from, to) in [
        (48_000, 16_000),
        (44_100, 16_000),
        (22_050, 16_000),
        (22_050, 48_000),
    ] {
        let x = white_noise(from as usize * 10, 0.1, 1);
        let start = Instant::now();
        let y = resample(&x, from, to)?;
        let secs = start.elapsed().as_secs_f64();
        println!(
            "resample {from}->{to}: 10 s of audio in {:.1} ms ({:.0}x real time, {} out)",
            secs * 1e3,
            10.0 / secs,
            y.len()
        );
    }

    // Speech-like input, so the models take their usual paths.
    let audio = babble_noise(16_000 * 20, 16_000, 3, 0.1, 7);

    let mut silero = SileroVad::load(&models.join("vad/silero_vad.onnx"), &lib)?;
    let frames: Vec<&[f32]> = audio.chunks_exact(512).collect();
    for f in frames.iter().take(20) {
        silero.speech_probability(f)?;
    }
    let us = per_item_us(frames.len(), |i| {
        silero.speech_probability(frames[i]).expect("silero runs");
    });
    println!(
        "silero VAD: {us:.1} µs per 512-sample (32 ms) frame, {} frames",
        frames.len()
    );

    let mut webrtc = WebRtcVad::new(2);
    let frames: Vec<&[f32]> = audio.chunks_exact(480).collect();
    let us = per_item_us(frames.len(), |i| {
        webrtc.speech_probability(frames[i]).expect("webrtc runs");
    });
    println!(
        "webrtc VAD: {us:.2} µs per 480-sample (30 ms) frame, {} frames",
        frames.len()
    );

    let start = Instant::now();
    let mut wake = WakeWordDetector::load(&models.join("wake/hey_jarvis_v0.1.onnx"), &lib, 0.5)?;
    println!(
        "wake word: load {:.0} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    let chunks: Vec<&[f32]> = audio.chunks_exact(1280).collect();
    let us = per_item_us(chunks.len(), |i| {
        wake.push(chunks[i]).expect("wake runs");
    });
    println!(
        "wake word: {:.2} ms per 1280-sample (80 ms) step, {} steps ({:.1}% of one core in real time)",
        us / 1e3,
        chunks.len(),
        us / 80_000.0 * 100.0
    );

    match voxorder_speech::audio::device::MicStream::open("") {
        Ok(mic) => println!(
            "default input device: {} at {} Hz",
            mic.device_name(),
            mic.device_rate()
        ),
        Err(e) => println!("default input device: {e}"),
    }
    match voxorder_speech::audio::device::Speaker::open("") {
        Ok(sp) => println!("default output device: {}", sp.device_name()),
        Err(e) => println!("default output device: {e}"),
    }
    Ok(())
}

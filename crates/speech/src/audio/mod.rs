//! Audio in and out: WAV files, sample-rate conversion and the sound devices. Only this
//! module touches devices; everything downstream sees mono `f32` samples in [-1, 1].
//!
//! - `wav`: reading any common PCM/float WAV into a mono [`Clip`], writing mono 16-bit.
//! - `resample`: band-limited (Kaiser-windowed sinc, polyphase) rate conversion, batch and
//!   streaming.
//! - `mix`: noise generators and mixing at a target SNR for the spoken test set.
//! - `device`: cpal capture and playback behind the [`device::AudioInput`] and
//!   [`device::AudioOutput`] traits, with fakes for tests and simulation.

use std::path::PathBuf;

use thiserror::Error;

pub mod device;
pub mod mix;
pub mod resample;
pub mod wav;

/// The rate the recogniser, VAD and wake word run at.
pub const ASR_RATE: u32 = 16_000;

/// Mono audio at a known sample rate, samples in [-1, 1].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Clip {
    pub samples: Vec<f32>,
    pub sample_rate: u32,
}

impl Clip {
    pub fn new(samples: Vec<f32>, sample_rate: u32) -> Clip {
        Clip {
            samples,
            sample_rate,
        }
    }

    /// Length in seconds.
    pub fn seconds(&self) -> f64 {
        if self.sample_rate == 0 {
            return 0.0;
        }
        self.samples.len() as f64 / f64::from(self.sample_rate)
    }

    /// The same audio at `rate` (a copy when the rate already matches).
    pub fn resampled(&self, rate: u32) -> Result<Clip, AudioError> {
        let samples = resample::resample(&self.samples, self.sample_rate, rate)?;
        Ok(Clip::new(samples, rate))
    }
}

/// Which way a device carries sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Input,
    Output,
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Direction::Input => "input",
            Direction::Output => "output",
        })
    }
}

/// Everything that can go wrong reading, converting or playing audio. File variants name
/// the file; the caller should report them and skip the file. Device variants mean the
/// sound hardware is missing or went away: retrying rarely helps without operator action.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AudioError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: the file is empty")]
    Empty { path: PathBuf },
    #[error("{path}: not a WAV file ({reason})")]
    NotWav { path: PathBuf, reason: String },
    #[error(
        "{path}: truncated: the header declares {declared_frames} sample frames but only \
         {available_frames} are in the file"
    )]
    Truncated {
        path: PathBuf,
        declared_frames: u64,
        available_frames: u64,
    },
    #[error("{path}: the WAV header declares zero channels")]
    ZeroChannels { path: PathBuf },
    #[error("{path}: the WAV header declares a sample rate of 0")]
    ZeroRate { path: PathBuf },
    #[error("{path}: {seconds:.1} s of audio is longer than the {max_seconds:.1} s allowed")]
    TooLong {
        path: PathBuf,
        seconds: f64,
        max_seconds: f64,
    },
    #[error("{path}: unsupported WAV format ({reason})")]
    Unsupported { path: PathBuf, reason: String },
    #[error("writing {path}: {reason}")]
    Write { path: PathBuf, reason: String },
    #[error("invalid sample rate {rate} Hz ({reason})")]
    InvalidRate { rate: u32, reason: &'static str },
    #[error("no {direction} audio device{}: {reason}", display_name(name))]
    NoDevice {
        direction: Direction,
        /// The requested name; empty for the system default.
        name: String,
        reason: String,
    },
    #[error("{direction} audio device {name:?}: {reason}")]
    Device {
        direction: Direction,
        name: String,
        reason: String,
    },
    #[error("{direction} audio stream failed: {reason}")]
    Stream {
        direction: Direction,
        reason: String,
    },
}

fn display_name(name: &str) -> String {
    if name.is_empty() {
        " (system default)".into()
    } else {
        format!(" named {name:?}")
    }
}

/// Helpers shared by the speech stages' tests: espeak-ng speech and the fetched models.
#[cfg(test)]
pub(crate) mod testutil {
    use std::path::PathBuf;

    use super::{Clip, ASR_RATE};

    /// The worktree's `models/` (fetched by `scripts/setup.sh`).
    pub(crate) fn models_dir() -> PathBuf {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models");
        let lib = voxorder_runtime::paths::ort_lib(&dir);
        assert!(
            lib.exists(),
            "{} is missing: run `bash scripts/setup.sh` (it fetches ONNX Runtime and the speech models)",
            lib.display()
        );
        dir
    }

    /// `text` spoken by espeak-ng (`voice`, `speed` words per minute), at 16 kHz.
    pub(crate) fn espeak(text: &str, voice: &str, speed: u32) -> Clip {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("say.wav");
        let status = std::process::Command::new("espeak-ng")
            .args(["-v", voice, "-s", &speed.to_string(), "-w"])
            .arg(&path)
            .arg(text)
            .status()
            .expect("espeak-ng runs (apt install espeak-ng)");
        assert!(status.success(), "espeak-ng failed for {text:?}");
        let clip = super::wav::read_wav(&path, 60.0).expect("espeak-ng wrote a WAV");
        clip.resampled(ASR_RATE).expect("resample")
    }

    /// `seconds` of silence at 16 kHz.
    pub(crate) fn silence(seconds: f64) -> Vec<f32> {
        vec![0.0; (seconds * f64::from(ASR_RATE)) as usize]
    }
}

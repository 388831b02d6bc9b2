//! Audio in and out: WAV files, sample-rate conversion and the sound devices. Only this
//! module touches devices; everything downstream sees mono `f32` samples in [-1, 1].

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
}

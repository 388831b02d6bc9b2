//! Noise for the spoken test set: deterministic generators (white, pink, babble-like)
//! from a seed, and mixing speech with noise at an exact signal-to-noise ratio.
//!
//! Everything here is reproducible from the seed alone (a small PCG generator, no
//! external crate), so a test set regenerated on another machine is bit-identical.

/// PCG-XSH-RR 64/32: small, fast and statistically sound enough for test noise.
#[derive(Debug, Clone)]
pub struct Pcg32 {
    state: u64,
    inc: u64,
}

impl Pcg32 {
    pub fn new(seed: u64) -> Pcg32 {
        let mut rng = Pcg32 {
            state: 0,
            inc: (seed << 1) | 1,
        };
        rng.next_u32();
        rng.state = rng.state.wrapping_add(seed ^ 0x853c_49e6_748f_ea9b);
        rng.next_u32();
        rng
    }

    pub fn next_u32(&mut self) -> u32 {
        let old = self.state;
        self.state = old
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(self.inc);
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        let rot = (old >> 59) as u32;
        xorshifted.rotate_right(rot)
    }

    /// Uniform in [0, 1).
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u32() >> 8) as f32 / (1u32 << 24) as f32
    }

    /// Uniform in [-1, 1).
    pub fn next_signed(&mut self) -> f32 {
        self.next_f32() * 2.0 - 1.0
    }

    /// Standard normal (Box–Muller).
    pub fn next_gaussian(&mut self) -> f32 {
        let u1 = (self.next_f32() as f64).max(1e-12);
        let u2 = self.next_f32() as f64;
        ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
    }
}

/// Mean power (mean square) of a signal.
pub fn power(x: &[f32]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64
}

/// Root mean square of a signal.
pub fn rms(x: &[f32]) -> f64 {
    power(x).sqrt()
}

/// Scales `x` in place to the given RMS (silence stays silence).
pub fn normalize_rms(x: &mut [f32], target: f32) {
    let r = rms(x);
    if r > 0.0 {
        let g = (f64::from(target) / r) as f32;
        x.iter_mut().for_each(|v| *v *= g);
    }
}

/// Speech plus noise scaled so that `10·log10(P(speech) / P(noise)) = snr_db`, powers
/// measured over the whole of `speech`. The noise is looped when shorter than the speech
/// and cut when longer. Nothing is clipped (clipping would change the ratio): keep the
/// inputs' levels modest. When either input is silent no ratio exists and the speech is
/// returned unchanged.
pub fn add_noise_at_snr(speech: &[f32], noise: &[f32], snr_db: f32) -> Vec<f32> {
    if speech.is_empty() || noise.is_empty() {
        return speech.to_vec();
    }
    let looped: Vec<f32> = noise.iter().copied().cycle().take(speech.len()).collect();
    let ps = power(speech);
    let pn = power(&looped);
    if ps == 0.0 || pn == 0.0 || !snr_db.is_finite() {
        return speech.to_vec();
    }
    let gain = (ps / (pn * 10f64.powf(f64::from(snr_db) / 10.0))).sqrt();
    speech
        .iter()
        .zip(&looped)
        .map(|(&s, &n)| (f64::from(s) + f64::from(n) * gain) as f32)
        .collect()
}

/// Gaussian white noise at the given RMS.
pub fn white_noise(len: usize, rms_level: f32, seed: u64) -> Vec<f32> {
    let mut rng = Pcg32::new(seed);
    let mut x: Vec<f32> = (0..len).map(|_| rng.next_gaussian()).collect();
    normalize_rms(&mut x, rms_level);
    x
}

/// Pink (1/f) noise at the given RMS (Paul Kellet's refined filter over white noise).
pub fn pink_noise(len: usize, rms_level: f32, seed: u64) -> Vec<f32> {
    let mut rng = Pcg32::new(seed);
    let mut b = [0.0f32; 7];
    let mut x: Vec<f32> = (0..len)
        .map(|_| {
            let w = rng.next_gaussian();
            b[0] = 0.99886 * b[0] + w * 0.055_517_9;
            b[1] = 0.99332 * b[1] + w * 0.075_075_9;
            b[2] = 0.96900 * b[2] + w * 0.153_852;
            b[3] = 0.86650 * b[3] + w * 0.310_485_6;
            b[4] = 0.55000 * b[4] + w * 0.532_952_2;
            b[5] = -0.7616 * b[5] - w * 0.016_898;
            let out = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w * 0.5362;
            b[6] = w * 0.115_926;
            out
        })
        .collect();
    normalize_rms(&mut x, rms_level);
    x
}

/// Babble-like noise: `talkers` synthetic voices summed, each a glottal pulse train with a
/// wandering pitch, shaped by two formant resonators that jump to new vowels every
/// syllable, under a ~4 Hz syllable envelope with pauses. Speech-shaped and modulated like
/// a crowded shop, yet never intelligible.
pub fn babble_noise(len: usize, rate: u32, talkers: usize, rms_level: f32, seed: u64) -> Vec<f32> {
    let mut out = vec![0.0f32; len];
    if rate == 0 {
        return out;
    }
    let fs = rate as f32;
    let mut rng = Pcg32::new(seed);
    // Formant pairs (F1, F2) of a few vowels.
    const VOWELS: [(f32, f32); 6] = [
        (730.0, 1090.0),
        (270.0, 2290.0),
        (530.0, 1840.0),
        (570.0, 840.0),
        (300.0, 870.0),
        (660.0, 1720.0),
    ];
    for _ in 0..talkers.max(1) {
        let base_pitch = 90.0 + rng.next_f32() * 150.0;
        let mut phase = rng.next_f32();
        let mut f1 = Resonator::new(500.0, 80.0, fs);
        let mut f2 = Resonator::new(1500.0, 120.0, fs);
        let mut syllable_left = 0usize;
        let mut syllable_len = 1usize;
        let mut voiced = true;
        let mut pitch = base_pitch;
        for o in out.iter_mut() {
            if syllable_left == 0 {
                syllable_len = ((0.12 + rng.next_f32() * 0.18) * fs) as usize + 1;
                syllable_left = syllable_len;
                voiced = rng.next_f32() > 0.2;
                let (a, b) = VOWELS[(rng.next_u32() as usize) % VOWELS.len()];
                f1 = Resonator::new(a * (0.9 + 0.2 * rng.next_f32()), 80.0, fs);
                f2 = Resonator::new(b * (0.9 + 0.2 * rng.next_f32()), 120.0, fs);
                pitch = base_pitch * (0.85 + 0.3 * rng.next_f32());
            }
            syllable_left -= 1;
            phase += pitch / fs;
            let mut excitation = 0.02 * rng.next_signed();
            if phase >= 1.0 {
                phase -= 1.0;
                excitation += 1.0;
            }
            let progress = 1.0 - syllable_left as f32 / syllable_len as f32;
            let envelope = if voiced {
                (std::f32::consts::PI * progress).sin()
            } else {
                0.0
            };
            let s = f1.step(excitation) + 0.6 * f2.step(excitation);
            *o += s * envelope;
        }
    }
    normalize_rms(&mut out, rms_level);
    out
}

/// Two-pole resonator (a formant).
#[derive(Debug, Clone, Copy)]
struct Resonator {
    a1: f32,
    a2: f32,
    gain: f32,
    y1: f32,
    y2: f32,
}

impl Resonator {
    fn new(freq: f32, bandwidth: f32, fs: f32) -> Resonator {
        let r = (-std::f32::consts::PI * bandwidth / fs).exp();
        let theta = 2.0 * std::f32::consts::PI * freq.min(fs * 0.45) / fs;
        Resonator {
            a1: 2.0 * r * theta.cos(),
            a2: -r * r,
            gain: 1.0 - r,
            y1: 0.0,
            y2: 0.0,
        }
    }

    fn step(&mut self, x: f32) -> f32 {
        let y = self.gain * x + self.a1 * self.y1 + self.a2 * self.y2;
        self.y2 = self.y1;
        self.y1 = y;
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured_snr(speech: &[f32], mixed: &[f32]) -> f64 {
        let noise: Vec<f32> = mixed.iter().zip(speech).map(|(m, s)| m - s).collect();
        10.0 * (power(speech) / power(&noise)).log10()
    }

    fn speechlike(len: usize) -> Vec<f32> {
        (0..len)
            .map(|i| {
                let t = i as f32 / 16_000.0;
                0.3 * (2.0 * std::f32::consts::PI * 220.0 * t).sin()
                    * (2.0 * std::f32::consts::PI * 3.0 * t).sin().abs()
            })
            .collect()
    }

    #[test]
    fn mixing_hits_the_target_snr() {
        let speech = speechlike(32_000);
        let noises = [
            white_noise(16_000, 0.1, 1),
            pink_noise(40_000, 0.2, 2),
            babble_noise(24_000, 16_000, 5, 0.05, 3),
        ];
        for noise in &noises {
            for snr in [-5.0f32, 0.0, 5.0, 10.0, 20.0] {
                let mixed = add_noise_at_snr(&speech, noise, snr);
                assert_eq!(mixed.len(), speech.len());
                let got = measured_snr(&speech, &mixed);
                assert!((got - f64::from(snr)).abs() < 0.1, "target {snr} got {got}");
            }
        }
    }

    #[test]
    fn silent_inputs_leave_speech_unchanged() {
        let speech = speechlike(1000);
        assert_eq!(add_noise_at_snr(&speech, &[0.0; 10], 5.0), speech);
        assert_eq!(add_noise_at_snr(&speech, &[], 5.0), speech);
        assert_eq!(add_noise_at_snr(&[0.0; 4], &[0.5; 4], 5.0), vec![0.0; 4]);
    }

    #[test]
    fn generators_are_deterministic_and_at_level() {
        assert_eq!(white_noise(1000, 0.1, 7), white_noise(1000, 0.1, 7));
        assert_ne!(white_noise(1000, 0.1, 7), white_noise(1000, 0.1, 8));
        assert_eq!(
            babble_noise(5000, 16_000, 4, 0.1, 9),
            babble_noise(5000, 16_000, 4, 0.1, 9)
        );
        for x in [
            white_noise(8000, 0.1, 1),
            pink_noise(8000, 0.1, 1),
            babble_noise(8000, 16_000, 4, 0.1, 1),
        ] {
            assert!((rms(&x) - 0.1).abs() < 1e-4);
        }
    }

    #[test]
    fn pink_noise_has_more_low_than_high_energy() {
        let x = pink_noise(64_000, 0.1, 5);
        // First difference emphasises highs; a moving average keeps lows.
        let diff: Vec<f32> = x.windows(2).map(|w| w[1] - w[0]).collect();
        let white = white_noise(64_000, 0.1, 5);
        let wdiff: Vec<f32> = white.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(
            rms(&diff) < 0.5 * rms(&wdiff),
            "pink {} white {}",
            rms(&diff),
            rms(&wdiff)
        );
    }
}

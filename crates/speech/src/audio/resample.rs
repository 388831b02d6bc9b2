//! Sample-rate conversion: a polyphase, Kaiser-windowed sinc interpolator (32 zero
//! crossings per side, about 80 dB stop band) between any two rates, in one batch call or
//! streamed chunk by chunk with the filter history carried across chunks.
//!
//! The ratio is reduced to `up / down`; when `up` is small enough every output phase gets
//! its own exact coefficient row, otherwise rows are interpolated from a fine table. The
//! kernel is centred on each output instant, so output sample `n` lines up with input time
//! `n * in_rate / out_rate` (no delay to compensate), and the cut-off sits at 90% of the
//! lower Nyquist frequency so nothing above it folds back when downsampling.

use super::AudioError;

/// Zero crossings of the sinc kept on each side of the centre.
const ZERO_CROSSINGS: f64 = 32.0;
/// Kaiser β for about 80 dB of stop-band attenuation.
const KAISER_BETA: f64 = 8.0;
/// Cut-off as a fraction of the lower of the two Nyquist frequencies.
const ROLLOFF: f64 = 0.9;
/// Above this many phases, rows come from a table of this size with interpolation.
const MAX_EXACT_PHASES: u64 = 1024;

/// Converts a whole buffer from `from` Hz to `to` Hz. Output length is
/// `ceil(len * to / from)`; equal rates return a copy.
pub fn resample(input: &[f32], from: u32, to: u32) -> Result<Vec<f32>, AudioError> {
    if from == to {
        check_rate(from)?;
        return Ok(input.to_vec());
    }
    let mut r = StreamResampler::new(from, to)?;
    let mut out = Vec::with_capacity(r.output_len_for(input.len() as u64) as usize + 1);
    r.process(input, &mut out);
    r.flush(&mut out);
    Ok(out)
}

fn check_rate(rate: u32) -> Result<(), AudioError> {
    if rate == 0 {
        return Err(AudioError::InvalidRate {
            rate,
            reason: "a sample rate must be above 0",
        });
    }
    Ok(())
}

/// A resampler fed in chunks of any size (live capture, synthesis). Output equals what
/// [`resample`] gives for the concatenated input, once [`StreamResampler::flush`] is
/// called at the end.
#[derive(Debug, Clone)]
pub struct StreamResampler {
    from: u32,
    to: u32,
    up: u64,
    down: u64,
    /// Taps on each side of the centre, in input samples.
    half: usize,
    /// `phases + 1` rows of `2 * half` coefficients (row `phases` = fraction 1.0).
    table: Vec<f32>,
    phases: u64,
    /// Input history; `history[0]` is absolute input sample `base`.
    history: Vec<f32>,
    base: i64,
    /// Next output's position: input sample `pos_int` plus `pos_frac / up`.
    pos_int: i64,
    pos_frac: u64,
    /// Input samples pushed so far (without the padding added by `flush`).
    consumed: u64,
    produced: u64,
    scratch: Vec<f32>,
}

impl StreamResampler {
    pub fn new(from: u32, to: u32) -> Result<StreamResampler, AudioError> {
        check_rate(from)?;
        check_rate(to)?;
        let g = gcd(u64::from(from), u64::from(to));
        let up = u64::from(to) / g;
        let down = u64::from(from) / g;
        // Downsampling stretches the kernel so its cut-off follows the output's Nyquist.
        let scale = (up as f64 / down as f64).min(1.0) * ROLLOFF;
        let half = (ZERO_CROSSINGS / scale).ceil() as usize;
        let phases = up.min(MAX_EXACT_PHASES);
        let width = 2 * half;
        let mut table = vec![0.0f32; (phases as usize + 1) * width];
        for (p, row) in table.chunks_exact_mut(width).enumerate() {
            let frac = p as f64 / phases as f64;
            let mut sum = 0.0f64;
            let mut tmp = vec![0.0f64; width];
            for (j, t) in tmp.iter_mut().enumerate() {
                // Tap j multiplies input sample (centre - half + 1 + j).
                let tau = frac + half as f64 - 1.0 - j as f64;
                *t = kernel(tau, scale, half as f64);
                sum += *t;
            }
            // Unit DC gain in every phase, so a constant stays exactly constant.
            for (c, t) in row.iter_mut().zip(&tmp) {
                *c = (t / sum) as f32;
            }
        }
        Ok(StreamResampler {
            from,
            to,
            up,
            down,
            half,
            table,
            phases,
            history: vec![0.0; half],
            base: -(half as i64),
            pos_int: 0,
            pos_frac: 0,
            consumed: 0,
            produced: 0,
            scratch: vec![0.0; width],
        })
    }

    pub fn input_rate(&self) -> u32 {
        self.from
    }

    pub fn output_rate(&self) -> u32 {
        self.to
    }

    /// Output samples a stream of `input_len` samples yields in total.
    pub fn output_len_for(&self, input_len: u64) -> u64 {
        (input_len * self.up).div_ceil(self.down)
    }

    /// Input samples the filter looks ahead: the latency of streamed output.
    pub fn latency_input_samples(&self) -> usize {
        self.half
    }

    /// Feeds `input`, appending every output sample that is now fully determined.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        if self.up == self.down {
            out.extend_from_slice(input);
            self.consumed += input.len() as u64;
            self.produced += input.len() as u64;
            return;
        }
        self.history.extend_from_slice(input);
        self.consumed += input.len() as u64;
        self.run(out, self.output_len_for(self.consumed));
    }

    /// Ends the stream: pads with silence so the last outputs are computed, appends them,
    /// and makes the resampler ready for a new stream.
    pub fn flush(&mut self, out: &mut Vec<f32>) {
        if self.up != self.down {
            let zeros = vec![0.0f32; self.half + 1];
            self.history.extend_from_slice(&zeros);
            self.run(out, self.output_len_for(self.consumed));
        }
        self.reset();
    }

    /// Forgets the stream (barge-in, new utterance) without producing its tail.
    pub fn reset(&mut self) {
        self.history.clear();
        self.history.resize(self.half, 0.0);
        self.base = -(self.half as i64);
        self.pos_int = 0;
        self.pos_frac = 0;
        self.consumed = 0;
        self.produced = 0;
    }

    fn run(&mut self, out: &mut Vec<f32>, limit: u64) {
        let width = 2 * self.half;
        let end = self.base + self.history.len() as i64;
        while self.produced < limit {
            let first = self.pos_int - self.half as i64 + 1;
            if first + width as i64 > end {
                break;
            }
            let start = (first - self.base) as usize;
            let (row, weight) = self.row();
            let window = &self.history[start..start + width];
            out.push(dot(&self.table, &mut self.scratch, window, row, weight));
            self.produced += 1;
            self.pos_frac += self.down;
            self.pos_int += (self.pos_frac / self.up) as i64;
            self.pos_frac %= self.up;
        }
        // Drop history no future output can reach.
        let keep_from = (self.pos_int - self.half as i64 + 1 - self.base).max(0) as usize;
        let keep_from = keep_from.min(self.history.len());
        if keep_from > 0 {
            self.history.drain(..keep_from);
            self.base += keep_from as i64;
        }
    }

    /// Coefficient row for the current phase and the weight towards the next row.
    fn row(&self) -> (usize, f32) {
        if self.phases == self.up {
            (self.pos_frac as usize, 0.0)
        } else {
            let x = self.pos_frac as f64 * self.phases as f64 / self.up as f64;
            (x.floor() as usize, (x - x.floor()) as f32)
        }
    }
}

fn dot(table: &[f32], scratch: &mut [f32], window: &[f32], row: usize, weight: f32) -> f32 {
    let width = window.len();
    let a = &table[row * width..(row + 1) * width];
    if weight == 0.0 {
        return window.iter().zip(a).map(|(x, c)| x * c).sum();
    }
    let b = &table[(row + 1) * width..(row + 2) * width];
    for ((s, ca), cb) in scratch.iter_mut().zip(a).zip(b) {
        *s = ca + (cb - ca) * weight;
    }
    window.iter().zip(scratch.iter()).map(|(x, c)| x * c).sum()
}

/// Windowed sinc at `tau` input samples from the centre.
fn kernel(tau: f64, scale: f64, half: f64) -> f64 {
    let x = tau / half;
    if x.abs() >= 1.0 {
        return 0.0;
    }
    let arg = std::f64::consts::PI * tau * scale;
    let sinc = if arg.abs() < 1e-12 {
        1.0
    } else {
        arg.sin() / arg
    };
    scale * sinc * bessel_i0(KAISER_BETA * (1.0 - x * x).sqrt()) / bessel_i0(KAISER_BETA)
}

/// Modified Bessel function of the first kind, order 0 (power series).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let q = x * x / 4.0;
    for k in 1..64 {
        term *= q / (k * k) as f64;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, rate: u32, seconds: f64, amp: f32) -> Vec<f32> {
        let n = (seconds * f64::from(rate)) as usize;
        (0..n)
            .map(|i| {
                amp * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin() as f32
            })
            .collect()
    }

    /// RMS over the middle half, away from the edges.
    fn mid_rms(x: &[f32]) -> f64 {
        let m = &x[x.len() / 4..3 * x.len() / 4];
        (m.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / m.len() as f64).sqrt()
    }

    fn mid_frequency(x: &[f32], rate: u32) -> f64 {
        let m = &x[x.len() / 4..3 * x.len() / 4];
        let crossings = m
            .windows(2)
            .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
            .count();
        crossings as f64 / 2.0 / (m.len() as f64 / f64::from(rate))
    }

    #[test]
    fn one_khz_survives_48k_to_16k() {
        let x = tone(1000.0, 48_000, 1.0, 0.5);
        let y = resample(&x, 48_000, 16_000).expect("resample");
        assert_eq!(y.len(), 16_000);
        let f = mid_frequency(&y, 16_000);
        assert!((f - 1000.0).abs() < 5.0, "frequency {f}");
        let want = 0.5 / 2f64.sqrt();
        assert!(
            (mid_rms(&y) - want).abs() / want < 0.01,
            "rms {}",
            mid_rms(&y)
        );
    }

    #[test]
    fn tones_above_the_new_nyquist_are_removed() {
        let x = tone(10_000.0, 48_000, 1.0, 0.5);
        let y = resample(&x, 48_000, 16_000).expect("resample");
        let atten_db = 20.0 * (mid_rms(&y) / (0.5 / 2f64.sqrt())).log10();
        assert!(atten_db < -60.0, "10 kHz only {atten_db:.1} dB down");
        let x = tone(9_000.0, 44_100, 1.0, 0.5);
        let y = resample(&x, 44_100, 16_000).expect("resample");
        let atten_db = 20.0 * (mid_rms(&y) / (0.5 / 2f64.sqrt())).log10();
        assert!(
            atten_db < -60.0,
            "9 kHz from 44.1k only {atten_db:.1} dB down"
        );
    }

    #[test]
    fn common_ratios_keep_length_and_level() {
        for (from, to) in [
            (8_000, 16_000),
            (22_050, 16_000),
            (44_100, 16_000),
            (22_050, 48_000),
            (16_000, 44_100),
            (48_000, 47_999),
        ] {
            let x = tone(440.0, from, 0.5, 0.3);
            let y = resample(&x, from, to).expect("resample");
            let want_len = (x.len() as u64 * u64::from(to)).div_ceil(u64::from(from)) as usize;
            assert_eq!(y.len(), want_len, "{from}->{to}");
            let f = mid_frequency(&y, to);
            assert!((f - 440.0).abs() < 5.0, "{from}->{to}: {f} Hz");
            let r = mid_rms(&y) / mid_rms(&x);
            assert!((r - 1.0).abs() < 0.01, "{from}->{to}: level ratio {r}");
        }
    }

    #[test]
    fn equal_rates_are_identity_and_zero_rate_is_an_error() {
        let x = tone(300.0, 16_000, 0.1, 0.2);
        assert_eq!(resample(&x, 16_000, 16_000).expect("same"), x);
        assert!(matches!(
            resample(&x, 0, 16_000),
            Err(AudioError::InvalidRate { .. })
        ));
        assert!(StreamResampler::new(16_000, 0).is_err());
        assert!(resample(&[], 48_000, 16_000).expect("empty").is_empty());
    }

    #[test]
    fn streaming_in_odd_chunks_equals_batch() {
        let x = tone(700.0, 44_100, 0.3, 0.4);
        let batch = resample(&x, 44_100, 16_000).expect("batch");
        let mut r = StreamResampler::new(44_100, 16_000).expect("new");
        let mut out = Vec::new();
        for chunk in x.chunks(333) {
            r.process(chunk, &mut out);
        }
        r.flush(&mut out);
        assert_eq!(out.len(), batch.len());
        for (a, b) in out.iter().zip(&batch) {
            assert!((a - b).abs() < 1e-6);
        }
        // After flush the resampler starts a fresh stream.
        let mut again = Vec::new();
        r.process(&x, &mut again);
        r.flush(&mut again);
        assert_eq!(again, out);
    }
}

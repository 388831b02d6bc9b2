//! A deterministic stand-in for a voice: one short tone per word, chunked like the Piper
//! voice, so pipeline tests run without models.

use super::{Pace, SynthesisStats, Synthesizer, TtsError};

/// One tone per word; the pitch depends only on the word.
#[derive(Debug, Clone, PartialEq)]
pub struct ToneSynthesizer {
    pub sample_rate: u32,
    pub word_ms: u32,
    pub gap_ms: u32,
    pub sentence_silence_ms: u32,
    /// Duration factor at `Pace::Slow`.
    pub slow_factor: f32,
    pub amplitude: f32,
}

impl Default for ToneSynthesizer {
    fn default() -> Self {
        ToneSynthesizer {
            sample_rate: 16_000,
            word_ms: 120,
            gap_ms: 40,
            sentence_silence_ms: 200,
            slow_factor: 1.3,
            amplitude: 0.3,
        }
    }
}

/// A stable frequency between 200 and 800 Hz for `word` (FNV-1a, not std's randomised
/// hasher, so audio is the same in every run).
fn word_frequency(word: &str) -> f32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in word.to_lowercase().bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    200.0 + (h % 600) as f32
}

impl ToneSynthesizer {
    fn samples(&self, ms: u32, pace: Pace) -> usize {
        let factor = match pace {
            Pace::Normal => 1.0,
            Pace::Slow => self.slow_factor,
        };
        (self.sample_rate as f64 * ms as f64 / 1000.0 * factor as f64).round() as usize
    }

    fn chunk_audio(&self, text: &str, pace: Pace) -> Vec<f32> {
        let word_len = self.samples(self.word_ms, pace);
        let gap = self.samples(self.gap_ms, pace);
        let mut audio = Vec::new();
        let words = text
            .split_whitespace()
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
            .filter(|w| !w.is_empty());
        for (i, word) in words.enumerate() {
            if i > 0 {
                audio.resize(audio.len() + gap, 0.0);
            }
            let step = std::f32::consts::TAU * word_frequency(word) / self.sample_rate as f32;
            audio.extend((0..word_len).map(|n| {
                // A short fade at both ends avoids clicks.
                let edge = (n.min(word_len - 1 - n) as f32 / 80.0).min(1.0);
                self.amplitude * edge * (step * n as f32).sin()
            }));
        }
        audio
    }
}

impl Synthesizer for ToneSynthesizer {
    fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    fn synthesize(
        &mut self,
        text: &str,
        pace: Pace,
        sink: &mut dyn FnMut(&[f32]) -> bool,
    ) -> Result<SynthesisStats, TtsError> {
        let silence = self.samples(self.sentence_silence_ms, Pace::Normal);
        let voice = &*self;
        super::synthesize_chunks(
            text,
            self.sample_rate,
            silence,
            &mut |chunk| Ok(voice.chunk_audio(chunk, pace)),
            sink,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, pace: Pace) -> (Vec<Vec<f32>>, SynthesisStats) {
        let mut chunks = Vec::new();
        let stats = ToneSynthesizer::default()
            .synthesize(text, pace, &mut |c| {
                chunks.push(c.to_vec());
                true
            })
            .expect("synthesize");
        (chunks, stats)
    }

    #[test]
    fn one_tone_per_word_and_a_chunk_per_sentence() {
        let (chunks, stats) = run("Hello there. How are you?", Pace::Normal);
        assert_eq!(chunks.len(), 2);
        assert_eq!(stats.sentences, 2);
        let tone = ToneSynthesizer::default();
        let word = 16_000 * 120 / 1000;
        let gap = 16_000 * 40 / 1000;
        let pause = 16_000 * 200 / 1000;
        assert_eq!(chunks[0].len(), 2 * word + gap + pause);
        assert_eq!(chunks[1].len(), 3 * word + 2 * gap);
        assert!(chunks.iter().flatten().all(|s| s.abs() <= tone.amplitude));
    }

    #[test]
    fn deterministic_and_slower_at_slow_pace() {
        let (a, _) = run("Your order ships today.", Pace::Normal);
        let (b, _) = run("Your order ships today.", Pace::Normal);
        assert_eq!(a, b);
        let (slow, _) = run("Your order ships today.", Pace::Slow);
        assert!(slow.concat().len() > a.concat().len());
        assert_ne!(word_frequency("order"), word_frequency("ships"));
    }

    #[test]
    fn nothing_for_empty_or_unpronounceable_text() {
        assert!(run("", Pace::Normal).0.is_empty());
        assert!(run(" ... \u{1F600} ", Pace::Normal).0.is_empty());
    }
}

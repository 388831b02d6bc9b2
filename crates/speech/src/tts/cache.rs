//! The prompt cache: audio of replies already spoken, kept in memory by text and pace so a
//! repeated fixed prompt ("Sorry, I didn't catch that.", the greeting) plays at once.
//! Bounded in bytes; the least recently used entry goes first, prewarmed prompts last.

use std::collections::HashMap;
use std::time::Instant;

use super::{Pace, SynthesisStats, Synthesizer, TtsError};

/// Replies longer than this are not kept: they carry order details and rarely repeat.
const MAX_CACHED_CHARS: usize = 300;

#[derive(Debug)]
struct Entry {
    chunks: Vec<Vec<f32>>,
    bytes: usize,
    last_used: u64,
    /// Put there by `prewarm`: evicted only when no other entry is left.
    pinned: bool,
    audio_seconds: f64,
}

/// Wraps a synthesiser with the prompt cache.
#[derive(Debug)]
pub struct CachedSynthesizer<S: Synthesizer> {
    inner: S,
    entries: HashMap<(String, Pace), Entry>,
    max_bytes: usize,
    bytes: usize,
    clock: u64,
    hits: u64,
    misses: u64,
}

/// Counters for logs and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    pub entries: usize,
    pub bytes: usize,
    pub hits: u64,
    pub misses: u64,
}

/// The cache key: the text as spoken (runs of whitespace do not change the audio).
fn key(text: &str, pace: Pace) -> (String, Pace) {
    (text.split_whitespace().collect::<Vec<_>>().join(" "), pace)
}

impl<S: Synthesizer> CachedSynthesizer<S> {
    /// A cache holding at most `max_bytes` of samples.
    pub fn new(inner: S, max_bytes: usize) -> CachedSynthesizer<S> {
        CachedSynthesizer {
            inner,
            entries: HashMap::new(),
            max_bytes,
            bytes: 0,
            clock: 0,
            hits: 0,
            misses: 0,
        }
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            entries: self.entries.len(),
            bytes: self.bytes,
            hits: self.hits,
            misses: self.misses,
        }
    }

    /// Synthesises `prompts` at normal pace ahead of use and keeps them in preference to
    /// other replies. Returns how many are now cached.
    pub fn prewarm(&mut self, prompts: &[&str]) -> Result<usize, TtsError> {
        let mut cached = 0;
        for prompt in prompts {
            let k = key(prompt, Pace::Normal);
            if !self.entries.contains_key(&k) {
                let mut chunks = Vec::new();
                let stats = self.inner.synthesize(prompt, Pace::Normal, &mut |c| {
                    chunks.push(c.to_vec());
                    true
                })?;
                self.insert(k.clone(), chunks, stats.audio_seconds);
            }
            if let Some(entry) = self.entries.get_mut(&k) {
                entry.pinned = true;
                cached += 1;
            }
        }
        Ok(cached)
    }

    fn insert(&mut self, k: (String, Pace), chunks: Vec<Vec<f32>>, audio_seconds: f64) {
        if k.0.is_empty() || k.0.chars().count() > MAX_CACHED_CHARS {
            return;
        }
        let bytes: usize = chunks.iter().map(|c| size_of_val(c.as_slice())).sum();
        if bytes > self.max_bytes {
            return;
        }
        while self.bytes + bytes > self.max_bytes {
            let victim = self
                .entries
                .iter()
                .min_by_key(|(_, e)| (e.pinned, e.last_used))
                .map(|(k, _)| k.clone());
            let Some(victim) = victim else { break };
            if let Some(old) = self.entries.remove(&victim) {
                self.bytes -= old.bytes;
            }
        }
        self.clock += 1;
        self.bytes += bytes;
        let entry = Entry {
            chunks,
            bytes,
            last_used: self.clock,
            pinned: false,
            audio_seconds,
        };
        if let Some(old) = self.entries.insert(k, entry) {
            self.bytes -= old.bytes;
        }
    }
}

impl<S: Synthesizer> Synthesizer for CachedSynthesizer<S> {
    fn sample_rate(&self) -> u32 {
        self.inner.sample_rate()
    }

    fn synthesize(
        &mut self,
        text: &str,
        pace: Pace,
        sink: &mut dyn FnMut(&[f32]) -> bool,
    ) -> Result<SynthesisStats, TtsError> {
        let start = Instant::now();
        let k = key(text, pace);
        self.clock += 1;
        if let Some(entry) = self.entries.get_mut(&k) {
            entry.last_used = self.clock;
            self.hits += 1;
            let mut stats = SynthesisStats {
                cached: true,
                audio_seconds: entry.audio_seconds,
                ..SynthesisStats::default()
            };
            for chunk in &entry.chunks {
                if stats.sentences == 0 {
                    stats.first_audio_seconds = start.elapsed().as_secs_f64();
                }
                stats.sentences += 1;
                if !sink(chunk) {
                    break;
                }
            }
            stats.synth_seconds = start.elapsed().as_secs_f64();
            return Ok(stats);
        }
        self.misses += 1;
        let mut chunks = Vec::new();
        let mut complete = true;
        let stats = self.inner.synthesize(text, pace, &mut |c| {
            chunks.push(c.to_vec());
            complete = sink(c);
            complete
        })?;
        // Audio cut short by a barge-in is not the whole prompt.
        if complete {
            self.insert(k, chunks, stats.audio_seconds);
        }
        Ok(stats)
    }

    fn prewarm(&mut self, prompts: &[&str]) -> Result<usize, TtsError> {
        CachedSynthesizer::prewarm(self, prompts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tts::ToneSynthesizer;

    fn collect(s: &mut impl Synthesizer, text: &str, pace: Pace) -> (Vec<f32>, SynthesisStats) {
        let mut out = Vec::new();
        let stats = s
            .synthesize(text, pace, &mut |c| {
                out.extend_from_slice(c);
                true
            })
            .expect("synthesize");
        (out, stats)
    }

    #[test]
    fn a_repeated_prompt_is_served_from_the_cache() {
        let mut s = CachedSynthesizer::new(ToneSynthesizer::default(), 1 << 20);
        let (first, stats) = collect(&mut s, "Sorry, I didn't catch that.", Pace::Normal);
        assert!(!stats.cached);
        assert!(!first.is_empty());
        let (second, stats) = collect(&mut s, "Sorry,  I didn't catch that.", Pace::Normal);
        assert!(stats.cached);
        assert_eq!(first, second);
        assert_eq!(s.stats().hits, 1);
        // Pace is part of the key.
        let (slow, stats) = collect(&mut s, "Sorry, I didn't catch that.", Pace::Slow);
        assert!(!stats.cached);
        assert!(slow.len() > first.len());
    }

    #[test]
    fn least_recently_used_entries_are_evicted_within_the_budget() {
        let tone = ToneSynthesizer::default();
        let mut probe = Vec::new();
        let mut t = tone.clone();
        t.synthesize("one two three", Pace::Normal, &mut |c| {
            probe.extend_from_slice(c);
            true
        })
        .expect("probe");
        let entry_bytes = probe.len() * 4;
        // Room for two entries of this size.
        let mut s = CachedSynthesizer::new(tone, entry_bytes * 2 + entry_bytes / 2);
        collect(&mut s, "one two three", Pace::Normal);
        collect(&mut s, "four five six", Pace::Normal);
        collect(&mut s, "one two three", Pace::Normal); // refresh
        collect(&mut s, "seven eight nine", Pace::Normal); // evicts "four five six"
        assert!(s.stats().bytes <= entry_bytes * 2 + entry_bytes / 2);
        assert_eq!(s.stats().entries, 2);
        assert!(collect(&mut s, "one two three", Pace::Normal).1.cached);
        assert!(!collect(&mut s, "four five six", Pace::Normal).1.cached);
    }

    #[test]
    fn prewarmed_prompts_outlive_other_replies() {
        let mut s = CachedSynthesizer::new(ToneSynthesizer::default(), 200_000);
        assert_eq!(
            s.prewarm(&["Hello there.", "Goodbye."]).expect("prewarm"),
            2
        );
        for i in 0..20 {
            collect(
                &mut s,
                &format!("order number {i} is on its way"),
                Pace::Normal,
            );
        }
        assert!(s.stats().bytes <= 200_000);
        let (_, stats) = collect(&mut s, "Hello there.", Pace::Normal);
        assert!(stats.cached);
        assert!(collect(&mut s, "Goodbye.", Pace::Normal).1.cached);
    }

    #[test]
    fn prewarm_reaches_the_cache_through_a_boxed_synthesizer() {
        let mut boxed: Box<dyn Synthesizer> =
            Box::new(CachedSynthesizer::new(ToneSynthesizer::default(), 1 << 20));
        assert_eq!(boxed.prewarm(&["Welcome back."]).expect("prewarm"), 1);
        assert!(collect(&mut boxed, "Welcome back.", Pace::Normal).1.cached);
        let mut plain: Box<dyn Synthesizer> = Box::new(ToneSynthesizer::default());
        assert_eq!(plain.prewarm(&["Welcome back."]).expect("prewarm"), 0);
    }

    #[test]
    fn audio_cut_short_is_not_cached() {
        let mut s = CachedSynthesizer::new(ToneSynthesizer::default(), 1 << 20);
        s.synthesize("One. Two. Three.", Pace::Normal, &mut |_| false)
            .expect("synthesize");
        assert_eq!(s.stats().entries, 0);
        let (_, stats) = collect(&mut s, "One. Two. Three.", Pace::Normal);
        assert!(!stats.cached);
        let mut calls = 0;
        let stats = s
            .synthesize("One. Two. Three.", Pace::Normal, &mut |_| {
                calls += 1;
                calls < 2
            })
            .expect("cached");
        assert!(stats.cached);
        assert_eq!(calls, 2, "a hit stops when the sink says so");
    }

    #[test]
    fn empty_text_is_not_cached() {
        let mut s = CachedSynthesizer::new(ToneSynthesizer::default(), 1 << 20);
        let (audio, _) = collect(&mut s, "   ", Pace::Normal);
        assert!(audio.is_empty());
        assert_eq!(s.stats().entries, 0);
    }
}

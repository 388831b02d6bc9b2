//! The spoken test set: held-out texts (`tests/data/spoken/texts.jsonl`: intents, 13-digit
//! order numbers alone and named inside a request, zips, phones, short answers) rendered
//! by human-like voices (flite, festival, Kokoro) plus recorded human clips, by
//! `tools/spoken_set/` into a cache
//! directory whose manifest (`$SPOKEN_CACHE/manifest.jsonl`) this module reads. Each
//! clip is heard clean and with white noise and babble (other clips of the set mixed
//! at equal level) at fixed signal-to-noise ratios, with the recogniser biased the way
//! the dialog biases it for that kind of answer, then understood. Figures per voice source and condition, each
//! with its 95% confidence interval.
//!
//! The texts never reach training (the tidy held-out rule); the audio is never
//! committed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use voxorder_nlu::entities::EntityKind;
use voxorder_nlu::{Intent, Nlu};
use voxorder_speech::asr::{Expect, Recognizer};
use voxorder_speech::audio::{mix, resample, ASR_RATE};

use super::{percentile, VoiceError};

/// The spoken set's directory: `$SPOKEN_CACHE`, else `~/.cache/voxorder/spoken` (where
/// `scripts/setup.sh --voices` renders it).
pub fn default_set_dir() -> PathBuf {
    match std::env::var_os("SPOKEN_CACHE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => dirs::cache_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("voxorder/spoken"),
    }
}

/// One clip of the manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct SetClip {
    pub id: String,
    pub voice: String,
    pub path: PathBuf,
    pub kind: String,
    /// What was said; none for a recorded clip without a known transcript.
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub intent: Option<String>,
    #[serde(default)]
    pub expect: Option<String>,
    #[serde(default)]
    pub digits: Option<String>,
}

impl SetClip {
    /// The voice's family: flite, festival, kokoro, or real (recorded people).
    pub fn source(&self) -> &str {
        self.voice.split('-').next().unwrap_or(&self.voice)
    }

    /// What the dialog would expect when this answer is given, for the recogniser and
    /// the NLU.
    fn expect(&self) -> (Expect, Option<EntityKind>) {
        let n = self.digits.as_ref().map_or(0, String::len);
        match self.kind.as_str() {
            "order_number" => (
                Expect::Digits { min: n, max: n },
                Some(EntityKind::OrderNumber),
            ),
            "zip" => (Expect::Digits { min: 5, max: 5 }, Some(EntityKind::ZipCode)),
            "phone" => (
                Expect::Digits { min: 10, max: 11 },
                Some(EntityKind::PhoneNumber),
            ),
            "short" => (Expect::YesNo, None),
            _ => (Expect::Anything, None),
        }
    }
}

/// Reads the manifest of a rendered set (`<dir>/manifest.jsonl`).
pub fn load_manifest(dir: &Path) -> Result<Vec<SetClip>, VoiceError> {
    let path = dir.join("manifest.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|source| VoiceError::SpokenSetMissing {
        path: path.clone(),
        source,
    })?;
    let mut clips = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let clip: SetClip =
            serde_json::from_str(line).map_err(|source| VoiceError::SpokenSetLine {
                path: path.clone(),
                line: i + 1,
                source,
            })?;
        clips.push(clip);
    }
    Ok(clips)
}

/// Background noise mixed into a clip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Noise {
    White,
    /// Four other clips of the set (other texts, other voices) at equal level.
    Babble,
}

/// What is heard and how much of the set.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    pub set_dir: PathBuf,
    /// Signal-to-noise ratios in dB, each with every noise kind; the clean clip always.
    pub snrs: Vec<f32>,
    pub noises: Vec<Noise>,
    /// Take one clip in `every` (chosen by a hash of voice and id, so stable).
    pub every: usize,
    /// Only these kinds of item (all when empty).
    pub kinds: Vec<String>,
    /// Only these voice sources (all when empty).
    pub sources: Vec<String>,
    pub seed: u64,
    /// When above 0, the recogniser knows the set's order numbers and this many other
    /// 13-digit numbers, as a device whose store holds the caller's order among others
    /// (decision 0011); 0 measures the recogniser with no known numbers.
    pub known_orders: usize,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            set_dir: default_set_dir(),
            snrs: vec![20.0, 10.0, 5.0],
            noises: vec![Noise::White, Noise::Babble],
            every: 8,
            kinds: Vec::new(),
            sources: Vec::new(),
            seed: 7,
            known_orders: 0,
        }
    }
}

/// A share with its 95% (Wilson) confidence interval.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Rate {
    pub right: usize,
    pub items: usize,
    pub rate: f64,
    pub ci95: [f64; 2],
}

impl Rate {
    fn of(right: usize, items: usize) -> Rate {
        let (lo, hi) = wilson(right, items);
        Rate {
            right,
            items,
            rate: ratio(right, items),
            ci95: [lo, hi],
        }
    }
}

/// Wilson score interval at 95%: sound for small counts and rates near 0 or 1.
pub fn wilson(right: usize, items: usize) -> (f64, f64) {
    if items == 0 {
        return (0.0, 1.0);
    }
    let z = 1.959_964f64;
    let n = items as f64;
    let p = right as f64 / n;
    let centre = p + z * z / (2.0 * n);
    let spread = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    let denom = 1.0 + z * z / n;
    (
        ((centre - spread) / denom).max(0.0),
        ((centre + spread) / denom).min(1.0),
    )
}

/// Figures for one group of clips under one condition.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub clips: usize,
    pub word_error_rate: f64,
    /// Intent items (in scope and out of scope) understood as their intent.
    pub intent: Rate,
    /// 13-digit order numbers heard exactly.
    pub order_number: Rate,
    /// Order numbers said inside a request ("where's order …"), heard with nothing
    /// expected, understood exactly.
    pub named_number: Rate,
    /// Zips and phones heard exactly.
    pub zip_phone: Rate,
    /// Short answers at a yes/no or menu turn understood as their intent.
    pub short_answer: Rate,
    pub asr_ms_p50: f64,
    pub asr_ms_p95: f64,
}

/// One listening condition: all clips, and each voice source.
#[derive(Debug, Clone, Serialize)]
pub struct ConditionReport {
    /// "clean", "white 10 dB", "babble 5 dB".
    pub condition: String,
    pub all: Figures,
    pub by_source: BTreeMap<String, Figures>,
}

/// The whole evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub recognizer: String,
    pub set_dir: String,
    pub clips: usize,
    pub every: usize,
    pub sources: Vec<String>,
    pub conditions: Vec<ConditionReport>,
    /// Some misses of the clean and the noisiest conditions, to read.
    pub sample_misses: Vec<Miss>,
}

/// A clip whose intent or digits came out wrong.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub condition: String,
    pub voice: String,
    pub id: String,
    pub said: String,
    pub heard: String,
    pub expected: String,
    pub got: String,
}

fn picked(clip: &SetClip, options: &EvalOptions) -> bool {
    if !options.kinds.is_empty() && !options.kinds.contains(&clip.kind) {
        return false;
    }
    if !options.sources.is_empty() && !options.sources.iter().any(|s| s == clip.source()) {
        return false;
    }
    options.every <= 1
        || fnv(&format!("{}/{}", clip.voice, clip.id)).is_multiple_of(options.every as u64)
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn read_clip(clip: &SetClip, dir: &Path) -> Result<Vec<f32>, VoiceError> {
    let path = if clip.path.is_absolute() {
        clip.path.clone()
    } else {
        dir.join(&clip.path)
    };
    let wav = voxorder_speech::audio::wav::read_wav(&path, 60.0)?;
    Ok(resample::resample(&wav.samples, wav.sample_rate, ASR_RATE)?)
}

/// Power of the speech in a clip: 20 ms frames within 35 dB of the loudest, so the
/// silence around the words does not lower it (the renderer's own definition).
fn speech_power(audio: &[f32]) -> f64 {
    let frames: Vec<f64> = audio
        .chunks(ASR_RATE as usize / 50)
        .map(|f| f.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / f.len() as f64)
        .collect();
    let loudest = frames.iter().copied().fold(0.0, f64::max);
    let floor = loudest * 10f64.powf(-3.5);
    let kept: Vec<f64> = frames
        .into_iter()
        .filter(|&p| p >= floor && p > 0.0)
        .collect();
    if kept.is_empty() {
        0.0
    } else {
        kept.iter().sum::<f64>() / kept.len() as f64
    }
}

/// `speech` with `noise` (looped) at `snr_db` over the speech frames; scaled down as a
/// whole if the mixture would clip.
fn mix_at_snr(speech: &[f32], noise: &[f32], snr_db: f32) -> Vec<f32> {
    let ps = speech_power(speech);
    let looped: Vec<f32> = noise.iter().copied().cycle().take(speech.len()).collect();
    let pn = looped
        .iter()
        .map(|&s| f64::from(s) * f64::from(s))
        .sum::<f64>()
        / looped.len().max(1) as f64;
    if ps == 0.0 || pn == 0.0 {
        return speech.to_vec();
    }
    let gain = (ps / (pn * 10f64.powf(f64::from(snr_db) / 10.0))).sqrt();
    let mut out: Vec<f32> = speech
        .iter()
        .zip(&looped)
        .map(|(&s, &n)| (f64::from(s) + f64::from(n) * gain) as f32)
        .collect();
    let peak = out.iter().fold(0f32, |m, &s| m.max(s.abs()));
    if peak > 0.99 {
        out.iter_mut().for_each(|s| *s *= 0.99 / peak);
    }
    out
}

/// Babble for clip `i`: four other texts in other voices, each at equal speech level,
/// from a seeded choice over the set.
fn babble(
    set: &[SetClip],
    i: usize,
    len: usize,
    seed: u64,
    dir: &Path,
) -> Result<Vec<f32>, VoiceError> {
    let me = &set[i];
    let mut out = vec![0f32; len];
    let mut state = seed ^ fnv(&format!("{}/{}", me.voice, me.id));
    let mut talkers = 0;
    let mut tries = 0;
    while talkers < 4 && tries < 64 {
        tries += 1;
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let other = &set[(state >> 33) as usize % set.len()];
        if other.id == me.id || other.voice == me.voice || other.source() == "real" {
            continue;
        }
        let audio = read_clip(other, dir)?;
        let level = speech_power(&audio).sqrt();
        if level == 0.0 {
            continue;
        }
        let start = (state >> 17) as usize % audio.len().max(1);
        for (k, o) in out.iter_mut().enumerate() {
            *o += (f64::from(audio[(start + k) % audio.len()]) / level * 0.1) as f32;
        }
        talkers += 1;
    }
    Ok(out)
}

/// The set's order numbers and `others` random 13-digit numbers (fixed by `seed`).
fn known_numbers(set: &[SetClip], others: usize, seed: u64) -> Vec<String> {
    let mut known: Vec<String> = set
        .iter()
        .filter(|c| c.kind == "order_number")
        .filter_map(|c| c.digits.clone())
        .collect();
    known.extend(voxorder_speech::asr::random_order_numbers(others, seed));
    known
}

/// Runs the rendered spoken set through the recogniser and the NLU.
pub fn evaluate(
    asr: &mut dyn Recognizer,
    nlu: &Nlu,
    now: NaiveDateTime,
    options: &EvalOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<EvalReport, VoiceError> {
    let set = load_manifest(&options.set_dir)?;
    let chosen: Vec<usize> = (0..set.len())
        .filter(|&i| picked(&set[i], options))
        .collect();
    if options.known_orders > 0 {
        asr.set_known_numbers(&known_numbers(&set, options.known_orders, options.seed));
    }
    let mut conditions: Vec<(String, Option<(Noise, f32)>)> = vec![("clean".into(), None)];
    for &snr in &options.snrs {
        for &noise in &options.noises {
            let kind = match noise {
                Noise::White => "white",
                Noise::Babble => "babble",
            };
            conditions.push((format!("{kind} {snr} dB"), Some((noise, snr))));
        }
    }
    let total = chosen.len() * conditions.len();
    let mut tallies: Vec<BTreeMap<String, Tally>> = vec![BTreeMap::new(); conditions.len()];
    let mut misses = Vec::new();
    let mut done = 0;
    for &i in &chosen {
        let clip = &set[i];
        let clean = read_clip(clip, &options.set_dir)?;
        let (expect, nlu_expect) = clip.expect();
        for (c, (label, condition)) in conditions.iter().enumerate() {
            let seed = options.seed ^ fnv(&format!("{}/{}/{label}", clip.voice, clip.id));
            let audio = match condition {
                None => clean.clone(),
                Some((Noise::White, snr)) => {
                    mix_at_snr(&clean, &mix::white_noise(clean.len(), 0.1, seed), *snr)
                }
                Some((Noise::Babble, snr)) => {
                    let noise = babble(&set, i, clean.len(), seed, &options.set_dir)?;
                    mix_at_snr(&clean, &noise, *snr)
                }
            };
            let t = std::time::Instant::now();
            let transcript = asr.transcribe(&audio, &expect)?;
            let asr_ms = t.elapsed().as_secs_f64() * 1000.0;
            let understood = nlu.understand(&transcript.text, now, nlu_expect)?;
            let reference = clip.text.as_deref().map(words).unwrap_or_default();
            let errors = if reference.is_empty() {
                0
            } else {
                edit_distance(&reference, &words(&transcript.text))
            };
            let per_source = tallies[c].entry(clip.source().to_string()).or_default();
            per_source.clips += 1;
            per_source.asr_ms.push(asr_ms);
            per_source.errors += errors;
            per_source.reference_words += reference.len();
            let (expected, got, right) = match clip.kind.as_str() {
                "order_number" | "opening" | "zip" | "phone" => {
                    let entities = &understood.entities;
                    let got = match clip.kind.as_str() {
                        "order_number" | "opening" => entities.order_number.clone(),
                        "zip" => entities.zip_code.clone(),
                        _ => entities.phone_number.clone(),
                    }
                    .unwrap_or_default();
                    let got: String = got.chars().filter(char::is_ascii_digit).collect();
                    let expected = clip.digits.clone().unwrap_or_default();
                    // A phone read with the country code is the same phone.
                    let right = got == expected || got.strip_prefix('1') == Some(&expected);
                    (expected, got, Some(right))
                }
                "intent" | "short" => {
                    let expected = clip.intent.clone().unwrap_or_default();
                    let right = expected.parse::<Intent>().ok() == Some(understood.intent);
                    (expected, understood.intent.to_string(), Some(right))
                }
                _ => (String::new(), String::new(), None),
            };
            if let Some(right) = right {
                let t = tallies[c].entry(clip.source().to_string()).or_default();
                let counts = match clip.kind.as_str() {
                    "order_number" => &mut t.order_number,
                    "opening" => &mut t.named_number,
                    "zip" | "phone" => &mut t.zip_phone,
                    "short" => &mut t.short_answer,
                    _ => &mut t.intent,
                };
                counts.0 += usize::from(right);
                counts.1 += 1;
                let noisiest = c == conditions.len() - 1;
                if !right && misses.len() < 120 && (c == 0 || noisiest) {
                    misses.push(Miss {
                        condition: label.clone(),
                        voice: clip.voice.clone(),
                        id: clip.id.clone(),
                        said: clip.text.clone().unwrap_or_default(),
                        heard: transcript.text.clone(),
                        expected,
                        got,
                    });
                }
            }
            done += 1;
            progress(done, total);
        }
    }
    let mut sources: Vec<String> = chosen
        .iter()
        .map(|&i| set[i].source().to_string())
        .collect();
    sources.sort();
    sources.dedup();
    let conditions = conditions
        .iter()
        .zip(&tallies)
        .map(|((label, _), by)| {
            let mut all = Tally::default();
            for t in by.values() {
                all.absorb(t);
            }
            ConditionReport {
                condition: label.clone(),
                all: all.figures(),
                by_source: by.iter().map(|(s, t)| (s.clone(), t.figures())).collect(),
            }
        })
        .collect();
    Ok(EvalReport {
        recognizer: asr.name().to_string(),
        set_dir: options.set_dir.display().to_string(),
        clips: chosen.len(),
        every: options.every,
        sources,
        conditions,
        sample_misses: misses,
    })
}

#[derive(Debug, Clone, Default)]
struct Tally {
    clips: usize,
    errors: usize,
    reference_words: usize,
    /// (right, items)
    intent: (usize, usize),
    order_number: (usize, usize),
    named_number: (usize, usize),
    zip_phone: (usize, usize),
    short_answer: (usize, usize),
    asr_ms: Vec<f64>,
}

impl Tally {
    fn absorb(&mut self, other: &Tally) {
        self.clips += other.clips;
        self.errors += other.errors;
        self.reference_words += other.reference_words;
        for (a, b) in [
            (&mut self.intent, other.intent),
            (&mut self.order_number, other.order_number),
            (&mut self.named_number, other.named_number),
            (&mut self.zip_phone, other.zip_phone),
            (&mut self.short_answer, other.short_answer),
        ] {
            a.0 += b.0;
            a.1 += b.1;
        }
        self.asr_ms.extend_from_slice(&other.asr_ms);
    }

    fn figures(&self) -> Figures {
        let rate = |(r, n): (usize, usize)| Rate::of(r, n);
        Figures {
            clips: self.clips,
            word_error_rate: ratio(self.errors, self.reference_words),
            intent: rate(self.intent),
            order_number: rate(self.order_number),
            named_number: rate(self.named_number),
            zip_phone: rate(self.zip_phone),
            short_answer: rate(self.short_answer),
            asr_ms_p50: percentile(&self.asr_ms, 50.0),
            asr_ms_p95: percentile(&self.asr_ms, 95.0),
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Speaks `text` with an espeak-ng voice (the `espeak-ng` program), at 16 kHz: the
/// bench's scripted caller, which needs no rendered set.
pub fn espeak_clip(text: &str, voice: &str, wpm: u32) -> Result<Vec<f32>, VoiceError> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("voxorder-eval-{}-{n}.wav", std::process::id()));
    let out = Command::new("espeak-ng")
        .args(["-v", voice, "-s", &wpm.to_string(), "-w"])
        .arg(&path)
        .args(["--", text])
        .output()
        .map_err(|source| VoiceError::EspeakMissing { source })?;
    if !out.status.success() {
        return Err(VoiceError::EspeakFailed {
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    let clip = voxorder_speech::audio::wav::read_wav(&path, 60.0);
    let _ = std::fs::remove_file(&path);
    let clip = clip?;
    Ok(resample::resample(
        &clip.samples,
        clip.sample_rate,
        ASR_RATE,
    )?)
}

const DIGIT_WORDS: [&str; 10] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
];

/// Words for scoring: lower case, punctuation dropped, digits spelled one by one and
/// "oh" read as zero, so "order 4 0 7" and "order four oh seven" score the same.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in text
        .to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
    {
        let w = raw.trim_matches('\'');
        if w.is_empty() {
            continue;
        }
        if w.chars().all(|c| c.is_ascii_digit()) {
            out.extend(
                w.chars()
                    .filter_map(|c| c.to_digit(10))
                    .map(|d| DIGIT_WORDS[d as usize].to_string()),
            );
        } else if w == "oh" || w == "o" {
            out.push("zero".into());
        } else if matches!(w, "um" | "uh" | "er" | "hmm" | "mm") {
            // Fillers: recognisers rightly drop them.
        } else {
            out.push(w.to_string());
        }
    }
    out
}

/// Word-level Levenshtein distance (substitutions, insertions, deletions).
pub fn edit_distance(a: &[String], b: &[String]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, x) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(x != y);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        words(s)
    }

    #[test]
    fn known_numbers_are_the_sets_own_and_stable_decoys() {
        let clip = |kind: &str, digits: &str| SetClip {
            id: digits.into(),
            voice: "flite-slt".into(),
            path: PathBuf::from("a.wav"),
            kind: kind.into(),
            text: None,
            intent: None,
            expect: None,
            digits: Some(digits.into()),
        };
        let set = vec![clip("order_number", "1234567890123"), clip("zip", "78701")];
        let known = known_numbers(&set, 50, 7);
        assert_eq!(known.len(), 51);
        assert_eq!(known[0], "1234567890123");
        assert!(!known.contains(&"78701".to_string()), "zips are not orders");
        assert!(known[1..]
            .iter()
            .all(|n| n.len() == 13 && n.bytes().all(|b| b.is_ascii_digit())));
        assert_eq!(known, known_numbers(&set, 50, 7));
        assert_ne!(known[1..], known_numbers(&set, 50, 8)[1..]);
    }

    #[test]
    fn digits_and_number_words_score_alike() {
        assert_eq!(w("Order 4 0 7, please."), w("order four oh seven please"));
        assert_eq!(w("um it's 78701"), w("it's seven eight seven zero one"));
    }

    #[test]
    fn edit_distance_counts_each_kind_of_error() {
        assert_eq!(
            edit_distance(&w("where is my order"), &w("where is my order")),
            0
        );
        assert_eq!(
            edit_distance(&w("where is my order"), &w("where is order")),
            1
        );
        assert_eq!(
            edit_distance(&w("where is my order"), &w("wear is my border")),
            2
        );
        assert_eq!(edit_distance(&w("a b"), &w("")), 2);
    }

    #[test]
    fn wilson_intervals_hold_the_rate_and_stay_in_bounds() {
        let (lo, hi) = wilson(12, 12);
        assert!(lo > 0.7 && lo < 0.8 && hi == 1.0, "{lo} {hi}");
        let (lo, hi) = wilson(50, 100);
        assert!(
            (lo - 0.404).abs() < 0.01 && (hi - 0.596).abs() < 0.01,
            "{lo} {hi}"
        );
        assert_eq!(wilson(0, 0), (0.0, 1.0));
    }

    #[test]
    fn noise_is_mixed_at_the_ratio_over_the_speech_frames() {
        // Half a second of silence, then a tone: the silence does not count.
        let mut speech = vec![0f32; 8_000];
        speech.extend((0..16_000).map(|i| (i as f32 * 0.05).sin() * 0.3));
        let noise = mix::white_noise(speech.len(), 0.1, 3);
        let mixed = mix_at_snr(&speech, &noise, 10.0);
        let added: Vec<f32> = mixed.iter().zip(&speech).map(|(m, s)| m - s).collect();
        let pn = added.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / added.len() as f64;
        let snr = 10.0 * (speech_power(&speech) / pn).log10();
        assert!((snr - 10.0).abs() < 0.1, "{snr}");
    }

    #[test]
    fn the_manifest_is_read_and_clips_are_picked_stably() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("manifest.jsonl"),
            concat!(
                r#"{"id":"ord-001","voice":"flite-slt","path":"a.wav","duration":1.0,"kind":"order_number","text":"four oh","digits":"40"}"#,
                "\n",
                r#"{"id":"short-001","voice":"kokoro-jm_kumo","path":"b.wav","kind":"short","text":"Yes.","intent":"Affirm","expect":"yes-no"}"#,
                "\n"
            ),
        )
        .expect("write");
        let set = load_manifest(dir.path()).expect("manifest");
        assert_eq!(set.len(), 2);
        assert_eq!(set[0].source(), "flite");
        assert_eq!(set[0].expect().0, Expect::Digits { min: 2, max: 2 });
        assert_eq!(set[1].expect().0, Expect::YesNo);
        let all = EvalOptions {
            every: 1,
            ..EvalOptions::default()
        };
        assert!(set.iter().all(|c| picked(c, &all)));
        let kokoro = EvalOptions {
            sources: vec!["kokoro".into()],
            ..all
        };
        assert!(!picked(&set[0], &kokoro) && picked(&set[1], &kokoro));
        assert!(load_manifest(&dir.path().join("absent")).is_err());
    }
}

//! The spoken test set: held-out utterances (every intent, and order numbers read in
//! many ways) spoken by several voices — espeak-ng voices at two speeds and the Piper
//! voice — mixed with noise at fixed signal-to-noise ratios, then recognised and
//! understood. Reports word error rate, order-number exact match and end-to-end intent
//! accuracy per condition.
//!
//! The utterances come from `assets/nlu/heldout/`, which the intent model never trains
//! on; the clips are generated at run time, so nothing large is committed.

use std::collections::BTreeMap;
use std::process::Command;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use voxorder_nlu::entities::EntityKind;
use voxorder_nlu::{Intent, Nlu};
use voxorder_speech::asr::{Expect, Recognizer};
use voxorder_speech::audio::{mix, resample, ASR_RATE};
use voxorder_speech::tts::{Pace, Synthesizer};

use super::{percentile, VoiceError};

const HELDOUT_INTENTS: &str = include_str!("../../../assets/nlu/heldout/intents.tsv");
const HELDOUT_ENTITIES: &str = include_str!("../../../assets/nlu/heldout/entities.jsonl");

/// A voice that reads the test utterances.
#[derive(Debug, Clone, PartialEq)]
pub enum TestVoice {
    /// espeak-ng voice name and words per minute.
    Espeak { voice: String, wpm: u32 },
    /// The device's own Piper voice.
    Piper,
}

impl TestVoice {
    pub fn label(&self) -> String {
        match self {
            TestVoice::Espeak { voice, wpm } => format!("espeak:{voice}@{wpm}"),
            TestVoice::Piper => "piper".into(),
        }
    }
}

/// The voices used by default: four espeak-ng voices (male and female, US and British
/// English, two speeds) and Piper.
pub fn default_voices() -> Vec<TestVoice> {
    let e = |v: &str, wpm| TestVoice::Espeak {
        voice: v.into(),
        wpm,
    };
    vec![
        TestVoice::Piper,
        e("en-us", 165),
        e("en-us+f3", 150),
        e("en-gb", 175),
        e("en-us+m3", 140),
    ]
}

/// What the test set holds and how it is heard.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// Utterances per intent (spread evenly over the held-out list).
    pub per_intent: usize,
    /// Order-number utterances.
    pub order_numbers: usize,
    /// Signal-to-noise ratios in dB; None is the clean clip.
    pub conditions: Vec<Option<f32>>,
    pub voices: Vec<TestVoice>,
    pub seed: u64,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            per_intent: 4,
            order_numbers: 30,
            conditions: vec![None, Some(20.0), Some(10.0), Some(5.0)],
            voices: default_voices(),
            seed: 7,
        }
    }
}

/// One test utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct TestItem {
    pub text: String,
    /// The intent, for intent items.
    pub intent: Option<Intent>,
    /// The order number, for order-number items.
    pub order_number: Option<String>,
}

#[derive(Deserialize)]
struct EntityLine {
    text: String,
    entities: BTreeMap<String, serde_json::Value>,
}

/// The items: `per_intent` utterances of every intent and `order_numbers` order-number
/// utterances, picked evenly from the held-out files.
pub fn test_items(per_intent: usize, order_numbers: usize) -> Vec<TestItem> {
    let mut by_intent: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for line in HELDOUT_INTENTS.lines() {
        if let Some((intent, text)) = line.split_once('\t') {
            by_intent.entry(intent.to_string()).or_default().push(text);
        }
    }
    let mut items = Vec::new();
    for (intent, texts) in &by_intent {
        let Ok(intent) = intent.parse::<Intent>() else {
            continue;
        };
        for text in spread(texts, per_intent) {
            items.push(TestItem {
                text: text.to_string(),
                intent: Some(intent),
                order_number: None,
            });
        }
    }
    let numbers: Vec<(String, String)> = HELDOUT_ENTITIES
        .lines()
        .filter_map(|l| serde_json::from_str::<EntityLine>(l).ok())
        .filter_map(|e| {
            let n = e.entities.get("order_number")?.as_str()?.to_string();
            Some((e.text, n))
        })
        .collect();
    for (text, number) in spread(&numbers, order_numbers) {
        items.push(TestItem {
            text: text.clone(),
            intent: None,
            order_number: Some(number.clone()),
        });
    }
    items
}

fn spread<T>(items: &[T], n: usize) -> Vec<&T> {
    if items.is_empty() || n == 0 {
        return Vec::new();
    }
    let n = n.min(items.len());
    (0..n).map(|i| &items[i * items.len() / n]).collect()
}

/// The text as a caller reads it aloud. The held-out lines are written as a transcriber
/// would type them ("order 7730 21845 9902"), but nobody reads an order number as
/// "seven thousand seven hundred thirty": a run of five or more digits, or of three or
/// more beside another run (a number said in groups), is read digit by digit with a
/// pause between groups. Pairs ("19 27 38") and lone short numbers ("size 10", "250
/// grams") stay as written.
pub fn as_read_aloud(text: &str) -> String {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let digits = |t: Option<&&str>| t.is_some_and(|t| t.chars().all(|c| c.is_ascii_digit()));
    let spelled = |i: usize| {
        let t = tokens[i];
        digits(Some(&t))
            && (t.len() >= 5
                || (t.len() >= 3
                    && (digits(tokens.get(i + 1)) || (i > 0 && digits(tokens.get(i - 1))))))
    };
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    for (i, token) in tokens.iter().enumerate() {
        if spelled(i) {
            let mut read = token
                .chars()
                .map(String::from)
                .collect::<Vec<_>>()
                .join(" ");
            if digits(tokens.get(i + 1)) {
                read.push(',');
            }
            out.push(read);
        } else {
            out.push((*token).to_string());
        }
    }
    out.join(" ")
}

/// Speaks `text` with an espeak-ng voice (the `espeak-ng` program), at 16 kHz.
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

/// Speaks `text` with the device's voice, at 16 kHz.
pub fn synth_clip(tts: &mut dyn Synthesizer, text: &str) -> Result<Vec<f32>, VoiceError> {
    let mut samples = Vec::new();
    tts.synthesize(text, Pace::Normal, &mut |c| {
        samples.extend_from_slice(c);
        true
    })?;
    Ok(resample::resample(&samples, tts.sample_rate(), ASR_RATE)?)
}

/// Figures for one listening condition.
#[derive(Debug, Clone, Serialize)]
pub struct ConditionReport {
    /// "clean" or e.g. "20 dB".
    pub condition: String,
    pub clips: usize,
    pub word_error_rate: f64,
    pub intent_items: usize,
    pub intent_accuracy: f64,
    pub order_number_items: usize,
    pub order_number_exact: f64,
    pub asr_ms_p50: f64,
    pub asr_ms_p95: f64,
}

/// The whole evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub recognizer: String,
    pub voices: Vec<String>,
    pub items: usize,
    pub conditions: Vec<ConditionReport>,
    /// A few misses of the noisiest condition, to read.
    pub sample_misses: Vec<Miss>,
}

/// A clip whose intent or order number came out wrong.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub condition: String,
    pub voice: String,
    pub said: String,
    pub heard: String,
    pub expected: String,
    pub got: String,
}

/// Generates the spoken test set and runs it through the recogniser and the NLU.
pub fn evaluate(
    asr: &mut dyn Recognizer,
    tts: &mut dyn Synthesizer,
    nlu: &Nlu,
    now: NaiveDateTime,
    options: &EvalOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<EvalReport, VoiceError> {
    let items = test_items(options.per_intent, options.order_numbers);
    let total = items.len() * options.conditions.len();
    let mut done = 0;
    let mut stats: Vec<Tally> = options
        .conditions
        .iter()
        .map(|_| Tally::default())
        .collect();
    let mut misses = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let voice = &options.voices[i % options.voices.len()];
        let spoken = as_read_aloud(&item.text);
        let clean = match voice {
            TestVoice::Espeak { voice, wpm } => espeak_clip(&spoken, voice, *wpm)?,
            TestVoice::Piper => synth_clip(tts, &spoken)?,
        };
        for (c, condition) in options.conditions.iter().enumerate() {
            let seed = options.seed ^ ((i as u64) << 8) ^ c as u64;
            let audio = match condition {
                None => clean.clone(),
                Some(snr) => {
                    let noise = match i % 3 {
                        0 => mix::white_noise(clean.len(), 0.1, seed),
                        1 => mix::pink_noise(clean.len(), 0.1, seed),
                        _ => mix::babble_noise(clean.len(), ASR_RATE, 6, 0.1, seed),
                    };
                    mix::add_noise_at_snr(&clean, &noise, *snr)
                }
            };
            // An order number is said when the agent asked for it, so the recogniser is
            // biased the way the live dialog biases it: to the length of the store's
            // order numbers (`policy.verification.order_number_digits`), here the
            // length of the number the item holds.
            let (expect, nlu_expect) = match &item.order_number {
                Some(number) => (
                    Expect::Digits {
                        min: number.len(),
                        max: number.len(),
                    },
                    Some(EntityKind::OrderNumber),
                ),
                None => (Expect::Anything, None),
            };
            let t = std::time::Instant::now();
            let transcript = asr.transcribe(&audio, &expect)?;
            let asr_ms = t.elapsed().as_secs_f64() * 1000.0;
            let understood = nlu.understand(&transcript.text, now, nlu_expect)?;
            let tally = &mut stats[c];
            tally.asr_ms.push(asr_ms);
            let reference = words(&item.text);
            tally.errors += edit_distance(&reference, &words(&transcript.text));
            tally.reference_words += reference.len();
            tally.clips += 1;
            let label = condition_label(*condition);
            let mut miss = |expected: String, got: String| {
                if misses.len() < 40 && condition == options.conditions.last().unwrap_or(&None) {
                    misses.push(Miss {
                        condition: label.clone(),
                        voice: voice.label(),
                        said: item.text.clone(),
                        heard: transcript.text.clone(),
                        expected,
                        got,
                    });
                }
            };
            if let Some(intent) = item.intent {
                tally.intent_items += 1;
                if understood.intent == intent {
                    tally.intent_right += 1;
                } else {
                    miss(intent.to_string(), understood.intent.to_string());
                }
            }
            if let Some(number) = &item.order_number {
                tally.number_items += 1;
                let got = understood.entities.order_number.clone().unwrap_or_default();
                if &got == number {
                    tally.number_right += 1;
                } else {
                    miss(number.clone(), got);
                }
            }
            done += 1;
            progress(done, total);
        }
    }
    let conditions = options
        .conditions
        .iter()
        .zip(&stats)
        .map(|(c, t)| ConditionReport {
            condition: condition_label(*c),
            clips: t.clips,
            word_error_rate: ratio(t.errors, t.reference_words),
            intent_items: t.intent_items,
            intent_accuracy: ratio(t.intent_right, t.intent_items),
            order_number_items: t.number_items,
            order_number_exact: ratio(t.number_right, t.number_items),
            asr_ms_p50: percentile(&t.asr_ms, 50.0),
            asr_ms_p95: percentile(&t.asr_ms, 95.0),
        })
        .collect();
    Ok(EvalReport {
        recognizer: asr.name().to_string(),
        voices: options.voices.iter().map(TestVoice::label).collect(),
        items: items.len(),
        conditions,
        sample_misses: misses,
    })
}

#[derive(Default)]
struct Tally {
    clips: usize,
    errors: usize,
    reference_words: usize,
    intent_items: usize,
    intent_right: usize,
    number_items: usize,
    number_right: usize,
    asr_ms: Vec<f64>,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn condition_label(c: Option<f32>) -> String {
    match c {
        None => "clean".into(),
        Some(db) => format!("{db} dB"),
    }
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
            edit_distance(&w("where is my order"), &w("where is my new order")),
            1
        );
        assert_eq!(
            edit_distance(&w("where is my order"), &w("wear is my border")),
            2
        );
        assert_eq!(edit_distance(&w("a b"), &w("")), 2);
    }

    #[test]
    fn order_numbers_are_read_aloud_digit_by_digit() {
        assert_eq!(
            as_read_aloud("order number 7730 21845 9902 please"),
            "order number 7 7 3 0, 2 1 8 4 5, 9 9 0 2 please"
        );
        assert_eq!(
            as_read_aloud("the order is 19 27 38 46 50 112"),
            "the order is 19 27 38 46 50 1 1 2"
        );
        assert_eq!(as_read_aloud("two shirts, size 10"), "two shirts, size 10");
        assert_eq!(as_read_aloud("250 grams by 2026"), "250 grams by 2026");
        assert_eq!(as_read_aloud("zip 78701"), "zip 7 8 7 0 1");
        // What is scored is what was meant, whichever way it was read.
        let line = "cancel order 5501 38827 1046 now";
        assert_eq!(words(&as_read_aloud(line)), words(line));
    }

    #[test]
    fn test_items_cover_every_intent_and_order_numbers() {
        let items = test_items(2, 5);
        let intents: std::collections::BTreeSet<_> =
            items.iter().filter_map(|i| i.intent).collect();
        // OutOfScope has no held-out lines: its blind set is the NLU evaluator's.
        let spoken: Vec<_> = Intent::ALL
            .iter()
            .filter(|&&i| i != Intent::OutOfScope)
            .collect();
        assert_eq!(intents.len(), spoken.len(), "every intent has spoken items");
        let numbers: Vec<_> = items
            .iter()
            .filter_map(|i| i.order_number.clone())
            .collect();
        assert_eq!(numbers.len(), 5);
        assert!(numbers
            .iter()
            .all(|n| n.chars().all(|c| c.is_ascii_digit())));
    }
}

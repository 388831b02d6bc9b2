//! Text → sparse feature vector for the intent classifier: hashed word unigrams, word
//! bigrams and character n-grams, weighted per group and L2-normalised.
//!
//! This is the single implementation of the features: the training tool calls it
//! (`examples/nlu_features.rs`) instead of re-implementing it, so training and inference
//! can never drift apart. Its parameters travel in the model manifest.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Version of the feature algorithm; a model trained with another version is refused.
pub const FEATURES_VERSION: u32 = 1;

/// Only the first tokens of an utterance count: bounds the cost of pathological input
/// (100 KB of text) without changing anything a caller would really say.
pub const MAX_TOKENS: usize = 128;

/// Parameters of the featuriser, stored in the model manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSpec {
    pub version: u32,
    /// Size of the hashed feature space.
    pub dim: u32,
    pub char_ngram_min: usize,
    pub char_ngram_max: usize,
    pub word_weight: f32,
    pub bigram_weight: f32,
    pub char_weight: f32,
}

impl Default for FeatureSpec {
    fn default() -> Self {
        FeatureSpec {
            version: FEATURES_VERSION,
            dim: 1 << 16,
            char_ngram_min: 3,
            char_ngram_max: 5,
            word_weight: 1.0,
            bigram_weight: 1.0,
            char_weight: 0.5,
        }
    }
}

/// A sparse feature vector: (index, value) sorted by index, L2 norm 1 (or empty).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    pub indices: Vec<i64>,
    pub values: Vec<f32>,
}

impl Features {
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }
}

/// Splits recogniser text into tokens: lower case, letters and digits; apostrophes are
/// dropped inside words ("don't" → "dont") and digit runs become a length class, so
/// "order 1234567891234" and "order 9876543210123" look alike to the classifier.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        if cur.is_empty() {
            return;
        }
        let tok = std::mem::take(cur);
        if tok.chars().all(|c| c.is_ascii_digit()) {
            out.push(digit_class(tok.len()).to_string());
        } else {
            out.push(tok);
        }
    };
    for ch in text.chars() {
        if out.len() >= MAX_TOKENS {
            break;
        }
        if ch.is_alphanumeric() {
            cur.extend(ch.to_lowercase());
        } else if ch == '\'' || ch == '\u{2019}' {
            // Joined: "don't" and "dont" are the same word to a recogniser.
        } else {
            flush(&mut cur, &mut out);
        }
    }
    flush(&mut cur, &mut out);
    out.truncate(MAX_TOKENS);
    out
}

fn digit_class(len: usize) -> &'static str {
    match len {
        1 => "#d1",
        2 => "#d2",
        3 | 4 => "#d4",
        5 => "#d5",
        6..=9 => "#d9",
        10..=12 => "#d10",
        _ => "#d13",
    }
}

/// 32-bit FNV-1a: simple, stable across platforms and versions.
fn fnv1a(parts: &[&str]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for part in parts {
        for b in part.bytes() {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
    }
    h
}

impl FeatureSpec {
    /// The feature vector of an utterance.
    pub fn featurize(&self, text: &str) -> Features {
        let toks = tokens(text);
        let dim = self.dim.max(1);
        let mut acc: HashMap<u32, (f32, f32)> = HashMap::new();
        let mut add = |parts: &[&str], weight: f32| {
            let idx = fnv1a(parts) % dim;
            // (count, group weight): the weight of the first group seen wins on a
            // collision, which is rare and harmless.
            let e = acc.entry(idx).or_insert((0.0, weight));
            e.0 += 1.0;
        };
        let mut prev = "<s>";
        for tok in &toks {
            add(&["w:", tok], self.word_weight);
            add(&["b:", prev, "_", tok], self.bigram_weight);
            prev = tok;
            if !tok.starts_with('#') {
                let padded: Vec<char> = format!("<{tok}>").chars().collect();
                for n in self.char_ngram_min..=self.char_ngram_max {
                    for w in padded.windows(n) {
                        let gram: String = w.iter().collect();
                        add(&["c:", &gram], self.char_weight);
                    }
                }
            }
        }
        if !toks.is_empty() {
            add(&["b:", prev, "_", "</s>"], self.bigram_weight);
        }

        let mut pairs: Vec<(u32, f32)> = acc
            .into_iter()
            .map(|(i, (count, w))| (i, w * (1.0 + count.ln())))
            .collect();
        pairs.sort_unstable_by_key(|p| p.0);
        let norm = pairs.iter().map(|p| p.1 * p.1).sum::<f32>().sqrt();
        if norm == 0.0 {
            return Features::default();
        }
        Features {
            indices: pairs.iter().map(|p| i64::from(p.0)).collect(),
            values: pairs.iter().map(|p| p.1 / norm).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_fold_case_apostrophes_and_digit_runs() {
        assert_eq!(
            tokens("Where's my ORDER 1234567891234, please?"),
            vec!["wheres", "my", "order", "#d13", "please"]
        );
        assert_eq!(tokens("zip 78701"), vec!["zip", "#d5"]);
        assert!(tokens("  ... !!! ").is_empty());
    }

    #[test]
    fn features_are_unit_length_sorted_and_deterministic() {
        let spec = FeatureSpec::default();
        let a = spec.featurize("cancel my order please");
        let b = spec.featurize("cancel my order please");
        assert_eq!(a, b);
        let norm: f32 = a.values.iter().map(|v| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        assert!(a.indices.windows(2).all(|w| w[0] < w[1]));
        assert!(a.indices.iter().all(|&i| i >= 0 && i < i64::from(spec.dim)));
    }

    #[test]
    fn pathological_input_is_bounded() {
        let spec = FeatureSpec::default();
        assert!(spec.featurize("").is_empty());
        assert!(spec.featurize("🙂🙂🙂 ;;; --").is_empty());
        let huge = "refund ".repeat(20_000);
        let f = spec.featurize(&huge);
        assert!(!f.is_empty());
        assert!(f.indices.len() < 64);
    }

    #[test]
    fn fnv_matches_the_reference_values() {
        // Published FNV-1a 32 test vectors.
        assert_eq!(fnv1a(&[""]), 0x811c_9dc5);
        assert_eq!(fnv1a(&["a"]), 0xe40c_292c);
        assert_eq!(fnv1a(&["foo", "bar"]), fnv1a(&["foobar"]));
        assert_eq!(fnv1a(&["foobar"]), 0xbf9c_f968);
    }
}

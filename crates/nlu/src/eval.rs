//! Scoring the NLU against labelled data: intent accuracy, macro-F1, per-intent
//! precision and recall, the confusion matrix, per-entity exact match, and how requests
//! the product does not serve are answered (out-of-scope recall, and how many were taken
//! for an order change).
//!
//! The held-out sets in `assets/nlu/heldout/` are read only here; training never sees them.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDateTime;
use serde::Serialize;

use super::entities::{extract, EntityContext, ProductMatcher};
use super::intent::Intent;
use super::Nlu;
use crate::classifier::{changes_orders, ClassifierError};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {reason}")]
    Format {
        path: String,
        line: usize,
        reason: String,
    },
    #[error(transparent)]
    Classifier(#[from] ClassifierError),
}

/// One labelled utterance.
#[derive(Debug, Clone)]
pub struct LabelledIntent {
    pub intent: Intent,
    pub text: String,
}

/// Reads `intent<TAB>utterance` lines.
pub fn read_intents_tsv(path: &Path) -> Result<Vec<LabelledIntent>, EvalError> {
    let p = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: p.clone(),
        source,
    })?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (label, utt) = line.split_once('\t').ok_or_else(|| EvalError::Format {
            path: p.clone(),
            line: n + 1,
            reason: "expected intent<TAB>utterance".into(),
        })?;
        out.push(LabelledIntent {
            intent: label.trim().parse().map_err(|e| EvalError::Format {
                path: p.clone(),
                line: n + 1,
                reason: format!("{e}"),
            })?,
            text: utt.trim().to_string(),
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize)]
pub struct IntentScore {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct IntentReport {
    pub utterances: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub per_intent: BTreeMap<String, IntentScore>,
    /// confusion[expected][predicted] = count, zero cells left out.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    /// Every miss, for reading: (expected, predicted, confidence, text).
    pub misses: Vec<(String, String, f32, String)>,
}

/// Scores intent predictions (after the confidence threshold) against labels.
pub fn score_intents(
    nlu: &Nlu,
    data: &[LabelledIntent],
    now: NaiveDateTime,
) -> Result<IntentReport, EvalError> {
    let mut confusion: BTreeMap<Intent, BTreeMap<Intent, usize>> = BTreeMap::new();
    let mut misses = Vec::new();
    let mut correct = 0usize;
    for item in data {
        let i = nlu.understand(&item.text, now, None)?;
        *confusion
            .entry(item.intent)
            .or_default()
            .entry(i.intent)
            .or_default() += 1;
        if i.intent == item.intent {
            correct += 1;
        } else {
            misses.push((
                item.intent.to_string(),
                i.intent.to_string(),
                i.confidence,
                item.text.clone(),
            ));
        }
    }
    let mut per_intent = BTreeMap::new();
    let mut f1_sum = 0.0;
    for &intent in Intent::ALL {
        let tp = confusion
            .get(&intent)
            .and_then(|r| r.get(&intent))
            .copied()
            .unwrap_or(0) as f64;
        let support: usize = confusion.get(&intent).map_or(0, |r| r.values().sum());
        let predicted: usize = confusion
            .values()
            .map(|r| r.get(&intent).copied().unwrap_or(0))
            .sum();
        let precision = if predicted > 0 {
            tp / predicted as f64
        } else {
            0.0
        };
        let recall = if support > 0 {
            tp / support as f64
        } else {
            0.0
        };
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        if support > 0 {
            f1_sum += f1;
            per_intent.insert(
                intent.to_string(),
                IntentScore {
                    precision,
                    recall,
                    f1,
                    support,
                },
            );
        }
    }
    let n = data.len().max(1) as f64;
    Ok(IntentReport {
        utterances: data.len(),
        accuracy: correct as f64 / n,
        macro_f1: f1_sum / per_intent.len().max(1) as f64,
        per_intent,
        confusion: confusion
            .into_iter()
            .map(|(k, row)| {
                (
                    k.to_string(),
                    row.into_iter().map(|(p, c)| (p.to_string(), c)).collect(),
                )
            })
            .collect(),
        misses,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct OutOfScopeReport {
    pub utterances: usize,
    /// Share answered as not understood (`Fallback`), as they should be.
    pub recall: f64,
    /// Share taken for a request that changes an order ([`changes_orders`]): the costly
    /// mistake.
    pub as_order_change: f64,
    /// Every request not answered `Fallback`: (intent taken, confidence, text).
    pub misses: Vec<(String, f32, String)>,
}

/// Scores requests outside what the product does, one per line of `path`.
pub fn score_out_of_scope(
    nlu: &Nlu,
    path: &Path,
    now: NaiveDateTime,
) -> Result<OutOfScopeReport, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let mut n = 0usize;
    let (mut fallback, mut changes) = (0usize, 0usize);
    let mut misses = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        n += 1;
        let i = nlu.understand(line, now, None)?;
        if i.intent == Intent::Fallback {
            fallback += 1;
            continue;
        }
        if changes_orders(i.intent) {
            changes += 1;
        }
        misses.push((i.intent.to_string(), i.confidence, line.to_string()));
    }
    let share = |k: usize| k as f64 / n.max(1) as f64;
    Ok(OutOfScopeReport {
        utterances: n,
        recall: share(fallback),
        as_order_change: share(changes),
        misses,
    })
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct EntityScore {
    /// Utterances labelled with this entity.
    pub labelled: usize,
    /// Of those, how many were extracted with exactly the labelled value.
    pub exact: usize,
    pub exact_rate: f64,
    /// Extracted where the label has none (a false alarm).
    pub spurious: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct EntityReport {
    pub utterances: usize,
    pub per_entity: BTreeMap<String, EntityScore>,
    /// Utterances where every labelled entity matched and nothing else was found.
    pub all_exact_rate: f64,
    /// Every mismatch: (text, expected, got).
    pub misses: Vec<(String, serde_json::Value, serde_json::Value)>,
}

/// Scores entity extraction against `{"text", "entities"}` JSON lines.
pub fn score_entities(
    path: &Path,
    products: &ProductMatcher,
    now: NaiveDateTime,
) -> Result<EntityReport, EvalError> {
    let p = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: p.clone(),
        source,
    })?;
    let ctx = EntityContext {
        now,
        products: Some(products),
        expect: None,

        buying: false,
    };
    let mut per_entity: BTreeMap<String, EntityScore> = BTreeMap::new();
    let mut all_exact = 0usize;
    let mut n = 0usize;
    let mut misses = Vec::new();
    for (ln, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row: serde_json::Value = serde_json::from_str(line).map_err(|e| EvalError::Format {
            path: p.clone(),
            line: ln + 1,
            reason: e.to_string(),
        })?;
        let utt = row["text"].as_str().unwrap_or_default();
        let expected = row["entities"].as_object().cloned().unwrap_or_default();
        let got = serde_json::to_value(extract(utt, &ctx)).unwrap_or_default();
        let got = got.as_object().cloned().unwrap_or_default();
        n += 1;
        for (name, value) in &expected {
            let s = per_entity.entry(name.clone()).or_default();
            s.labelled += 1;
            if got.get(name) == Some(value) {
                s.exact += 1;
            }
        }
        for name in got.keys() {
            if !expected.contains_key(name) {
                per_entity.entry(name.clone()).or_default().spurious += 1;
            }
        }
        if expected == got {
            all_exact += 1;
        } else {
            misses.push((
                utt.to_string(),
                serde_json::Value::Object(expected),
                serde_json::Value::Object(got),
            ));
        }
    }
    for s in per_entity.values_mut() {
        s.exact_rate = if s.labelled > 0 {
            s.exact as f64 / s.labelled as f64
        } else {
            0.0
        };
    }
    Ok(EntityReport {
        utterances: n,
        per_entity,
        all_exact_rate: all_exact as f64 / n.max(1) as f64,
        misses,
    })
}

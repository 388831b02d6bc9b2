//! Synonym tables: data files under `assets/nlu/entities/` mapping phrases to an entity
//! value, embedded in the binary and parsed once.
//!
//! Matching is a single scan of the words: phrases are indexed by their first word, so
//! each word costs one hash look-up plus the few phrases starting with it.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::text::tokenize;
use super::{CancelReason, EntityDataError, RefundMethod, ReturnReason, TimeSlot};

/// How many words a `*` in a phrase may stand for.
const WILDCARD_MAX: usize = 3;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile<T> {
    entry: Vec<Entry<T>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry<T> {
    value: T,
    phrases: Vec<String>,
}

/// A phrase found in the words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PhraseMatch<T> {
    pub start: usize,
    pub end: usize,
    pub value: T,
}

impl<T> PhraseMatch<T> {
    pub fn len(&self) -> usize {
        self.end - self.start
    }
}

/// One synonym table.
#[derive(Debug)]
pub(crate) struct PhraseTable<T> {
    phrases: Vec<(Vec<String>, T)>,
    by_first: HashMap<String, Vec<usize>>,
}

impl<T: Copy + DeserializeOwned> PhraseTable<T> {
    /// Parses a table file; `name` only labels errors.
    pub fn from_toml(name: &'static str, src: &str) -> Result<Self, EntityDataError> {
        let file: TableFile<T> = toml::from_str(src).map_err(|e| EntityDataError::Table {
            table: name,
            message: e.to_string(),
        })?;
        let mut phrases = Vec::new();
        let mut by_first: HashMap<String, Vec<usize>> = HashMap::new();
        for entry in file.entry {
            for p in entry.phrases {
                // "*" would be stripped by the tokeniser as punctuation: keep it whole.
                let words: Vec<String> = p
                    .split_whitespace()
                    .flat_map(|w| {
                        if w == "*" {
                            vec![w.to_string()]
                        } else {
                            tokenize(w)
                        }
                    })
                    .collect();
                match words.first() {
                    Some(first) if first != "*" => {
                        by_first
                            .entry(first.clone())
                            .or_default()
                            .push(phrases.len());
                        phrases.push((words, entry.value));
                    }
                    _ => {
                        return Err(EntityDataError::Table {
                            table: name,
                            message: format!("phrase {p:?} is empty or starts with *"),
                        })
                    }
                }
            }
        }
        Ok(PhraseTable { phrases, by_first })
    }

    /// Every occurrence of every phrase, longest first at each start position.
    pub fn find_all(&self, words: &[String]) -> Vec<PhraseMatch<T>> {
        let mut out = Vec::new();
        for (i, w) in words.iter().enumerate() {
            let Some(ids) = self.by_first.get(w) else {
                continue;
            };
            let mut here: Vec<PhraseMatch<T>> = ids
                .iter()
                .filter_map(|&id| {
                    let (phrase, value) = &self.phrases[id];
                    match_at(phrase, words, i).map(|end| PhraseMatch {
                        start: i,
                        end,
                        value: *value,
                    })
                })
                .collect();
            here.sort_by_key(|m| std::cmp::Reverse(m.len()));
            out.extend(here);
        }
        out
    }
}

/// Where `phrase` ends if it matches at `words[i..]`; `*` skips 0..=3 words.
fn match_at(phrase: &[String], words: &[String], i: usize) -> Option<usize> {
    let Some((head, rest)) = phrase.split_first() else {
        return Some(i);
    };
    if head == "*" {
        return (0..=WILDCARD_MAX).find_map(|skip| {
            let j = i + skip;
            (j <= words.len())
                .then(|| match_at(rest, words, j))
                .flatten()
        });
    }
    if words.get(i) == Some(head) {
        match_at(rest, words, i + 1)
    } else {
        None
    }
}

/// Keeps, among overlapping matches, the longest (the earliest on ties): "takes too long"
/// beats "too long", "in the morning" beats "morning". Matches of equal span all stay,
/// so a phrase found in two tables can fill both.
pub(crate) fn longest_non_overlapping<M: Copy>(
    mut all: Vec<(usize, usize, M)>,
) -> Vec<(usize, usize, M)> {
    all.sort_by_key(|&(s, e, _)| (std::cmp::Reverse(e - s), s));
    // Which kept span owns each word: phrases are short, so checking the words of each
    // candidate keeps this linear in the number of matches.
    let len = all.iter().map(|m| m.1).max().unwrap_or(0);
    let mut owner: Vec<Option<(usize, usize)>> = vec![None; len];
    let mut kept: Vec<(usize, usize, M)> = Vec::new();
    for m in all {
        let free = owner[m.0..m.1]
            .iter()
            .all(|o| o.is_none_or(|span| span == (m.0, m.1)));
        if free {
            for o in &mut owner[m.0..m.1] {
                *o = Some((m.0, m.1));
            }
            kept.push(m);
        }
    }
    kept.sort_by_key(|&(s, _, _)| s);
    kept
}

/// What a phrase of `elsewhere.toml` names: the business of another, not this shop's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Elsewhere {
    /// Another shop, a service, a membership, a bank, a trip or a meal.
    Business,
    /// Something rented, hired or borrowed.
    Rental,
    /// Goods no shop like this one sells (live animals, alcohol, medicine, vehicles…).
    NotSold,
    /// Another shop or chain named by its name.
    Retailer,
    /// A maker of goods, which is another business only when named as a shop.
    Maker,
}

/// What a phrase of `goods.toml` names: a kind of thing a shop like this one sells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Goods {
    Clothing,
    Footwear,
    Electronics,
    Home,
    Kitchen,
    Household,
    Grocery,
    Pet,
}

/// Every table the extractor uses.
#[derive(Debug)]
pub(crate) struct Tables {
    pub return_reasons: PhraseTable<ReturnReason>,
    pub cancel_reasons: PhraseTable<CancelReason>,
    pub refund_methods: PhraseTable<RefundMethod>,
    pub time_slots: PhraseTable<TimeSlot>,
    pub frequencies: PhraseTable<u32>,
    pub elsewhere: PhraseTable<Elsewhere>,
    pub goods: PhraseTable<Goods>,
}

impl Tables {
    pub fn load() -> Result<Tables, EntityDataError> {
        Ok(Tables {
            return_reasons: PhraseTable::from_toml(
                "return_reasons",
                include_str!("../../../../assets/nlu/entities/return_reasons.toml"),
            )?,
            cancel_reasons: PhraseTable::from_toml(
                "cancel_reasons",
                include_str!("../../../../assets/nlu/entities/cancel_reasons.toml"),
            )?,
            refund_methods: PhraseTable::from_toml(
                "refund_methods",
                include_str!("../../../../assets/nlu/entities/refund_methods.toml"),
            )?,
            time_slots: PhraseTable::from_toml(
                "time_slots",
                include_str!("../../../../assets/nlu/entities/time_slots.toml"),
            )?,
            frequencies: PhraseTable::from_toml(
                "frequencies",
                include_str!("../../../../assets/nlu/entities/frequencies.toml"),
            )?,
            elsewhere: PhraseTable::from_toml(
                "elsewhere",
                include_str!("../../../../assets/nlu/entities/elsewhere.toml"),
            )?,
            goods: PhraseTable::from_toml(
                "goods",
                include_str!("../../../../assets/nlu/entities/goods.toml"),
            )?,
        })
    }
}

/// The embedded tables, parsed on first use. They ship inside the binary and a unit
/// test parses them, so failing here is a build defect, not a runtime condition.
pub(crate) fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| Tables::load().expect("embedded entity tables parse (tested)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_tables_parse() {
        let t = Tables::load().expect("tables parse");
        assert!(t.return_reasons.phrases.len() > 50);
        assert!(t.frequencies.phrases.len() > 10);
        assert!(t.elsewhere.phrases.len() > 100);
    }

    #[test]
    fn bad_tables_are_typed_errors() {
        let err = PhraseTable::<u32>::from_toml("x", "[[entry]]\nvalue = \"seven\"\nphrases = []");
        assert!(matches!(
            err,
            Err(EntityDataError::Table { table: "x", .. })
        ));
        let err = PhraseTable::<u32>::from_toml("x", "[[entry]]\nvalue = 7\nphrases = [\"* a\"]");
        assert!(err.is_err());
    }

    #[test]
    fn wildcards_and_longest_first() {
        let t = PhraseTable::<u32>::from_toml(
            "t",
            "[[entry]]\nvalue = 1\nphrases = [\"too long\"]\n[[entry]]\nvalue = 2\nphrases = [\"not * what i ordered\", \"takes too long\"]",
        )
        .expect("parses");
        let words = tokenize("it's not really what i ordered and it takes too long");
        let found: Vec<(usize, usize, u32)> = t
            .find_all(&words)
            .iter()
            .map(|m| (m.start, m.end, m.value))
            .collect();
        let kept = longest_non_overlapping(found);
        assert_eq!(kept.iter().map(|k| k.2).collect::<Vec<_>>(), [2, 2]);
    }
}

//! The phrase lists and the ordinal table understanding reads words with
//! (`assets/nlu/reading.toml`), embedded in the binary and parsed once.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::entities::EntityDataError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    lists: BTreeMap<String, Vec<String>>,
    tables: Tables,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Tables {
    ordinals: BTreeMap<String, String>,
}

/// Phrase lists by name, and the ordinal words with their positions.
#[derive(Debug)]
pub(crate) struct Lists {
    lists: HashMap<String, Vec<Vec<String>>>,
    pub ordinals: BTreeMap<String, i32>,
}

impl Lists {
    pub fn parse(src: &str) -> Result<Lists, EntityDataError> {
        let invalid = |message: String| EntityDataError::Table {
            table: "reading",
            message,
        };
        let file: File = toml::from_str(src).map_err(|e| invalid(e.to_string()))?;
        let mut ordinals = BTreeMap::new();
        for (word, position) in file.tables.ordinals {
            let n: i32 = position
                .parse()
                .map_err(|_| invalid(format!("ordinal {word:?}: {position:?} is not a number")))?;
            ordinals.insert(word, n);
        }
        Ok(Lists {
            lists: file
                .lists
                .into_iter()
                .map(|(name, phrases)| (name, phrases.iter().map(|p| words(p)).collect()))
                .collect(),
            ordinals,
        })
    }

    /// Whether the words contain any phrase of the list.
    pub fn any(&self, list: &str, words: &[String]) -> bool {
        let Some(phrases) = self.lists.get(list) else {
            return false;
        };
        (0..words.len()).any(|i| {
            phrases
                .iter()
                .any(|p| !p.is_empty() && words[i..].starts_with(p))
        })
    }

    /// Whether one word is (a one-word phrase of) the list.
    pub fn is(&self, list: &str, word: &str) -> bool {
        self.any(list, &[word.to_string()])
    }

    /// The length in words of the longest phrase of the list at `words[i..]`.
    pub fn len_at(&self, list: &str, words: &[String], i: usize) -> Option<usize> {
        let rest = words.get(i..)?;
        self.lists
            .get(list)?
            .iter()
            .filter(|p| !p.is_empty() && rest.starts_with(p))
            .map(Vec::len)
            .max()
    }

    /// The words with every phrase of the list taken out, longest phrase first.
    pub fn without(&self, list: &str, words: &[String]) -> Vec<String> {
        let mut out = Vec::with_capacity(words.len());
        let mut i = 0;
        while i < words.len() {
            match self.len_at(list, words, i) {
                Some(n) => i += n,
                None => {
                    out.push(words[i].clone());
                    i += 1;
                }
            }
        }
        out
    }
}

/// The lower-case words of a text: letters, digits and inner apostrophes.
pub fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The embedded lists, parsed on first use. They ship inside the binary and a unit test
/// parses them, so failing here is a build defect, not a runtime condition.
pub(crate) fn lists() -> &'static Lists {
    static LISTS: OnceLock<Lists> = OnceLock::new();
    LISTS.get_or_init(|| {
        Lists::parse(include_str!("../../../../assets/nlu/reading.toml"))
            .expect("embedded reading lists parse (tested)")
    })
}

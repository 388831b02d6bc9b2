//! The phrase lists and the ordinal table understanding reads words with
//! (`assets/nlu/reading.toml`), embedded in the binary and parsed once.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;
use voxorder_domain::phrases::PhraseLists;

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
    lists: PhraseLists,
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
            lists: file.lists.into_iter().collect(),
            ordinals,
        })
    }

    /// Whether the words contain any phrase of the list.
    pub fn any(&self, list: &str, words: &[String]) -> bool {
        self.lists.any(list, words)
    }

    /// Whether one word is (a one-word phrase of) the list.
    pub fn is(&self, list: &str, word: &str) -> bool {
        self.lists.is(list, word)
    }

    /// The length in words of the longest phrase of the list at `words[i..]`.
    pub fn len_at(&self, list: &str, words: &[String], i: usize) -> Option<usize> {
        self.lists.len_at(list, words, i)
    }

    /// The words with every phrase of the list taken out, longest phrase first.
    pub fn without(&self, list: &str, words: &[String]) -> Vec<String> {
        self.lists.without(list, words)
    }
}

/// The lower-case words of a text: letters, digits and inner apostrophes.
pub use voxorder_domain::phrases::words;

/// The embedded lists, parsed on first use. They ship inside the binary and a unit test
/// parses them, so failing here is a build defect, not a runtime condition.
pub(crate) fn lists() -> &'static Lists {
    static LISTS: OnceLock<Lists> = OnceLock::new();
    LISTS.get_or_init(|| {
        Lists::parse(include_str!("../../../../assets/nlu/reading.toml"))
            .expect("embedded reading lists parse (tested)")
    })
}

//! Phrase lists matched on whole lower-case words: the one matcher behind what
//! understanding reads (cues, address parts) and what the dialog listens for about its own
//! questions.

use std::collections::HashMap;

/// Named lists of phrases, each phrase kept as its words.
#[derive(Debug, Clone, Default)]
pub struct PhraseLists {
    lists: HashMap<String, Vec<Vec<String>>>,
}

impl FromIterator<(String, Vec<String>)> for PhraseLists {
    /// Lists by name, each phrase as written (split into words here).
    fn from_iter<I: IntoIterator<Item = (String, Vec<String>)>>(lists: I) -> Self {
        PhraseLists {
            lists: lists
                .into_iter()
                .map(|(name, phrases)| (name, phrases.iter().map(|p| words(p)).collect()))
                .collect(),
        }
    }
}

impl PhraseLists {
    /// Whether the words contain any phrase of the list.
    pub fn any(&self, list: &str, words: &[String]) -> bool {
        self.find(list, words).is_some()
    }

    /// Position of the first phrase of the list found in the words.
    pub fn find(&self, list: &str, words: &[String]) -> Option<usize> {
        let phrases = self.lists.get(list)?;
        (0..words.len()).find(|&i| {
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

    /// The words with the phrases of each list taken out in turn ("no thanks dear" less
    /// declines, thanks and courtesy leaves nothing).
    pub fn without_each(&self, lists: &[&str], words: &[String]) -> Vec<String> {
        lists
            .iter()
            .fold(words.to_vec(), |rest, list| self.without(list, &rest))
    }

    /// The phrases of a list, words joined by spaces (empty when there is no such list).
    pub fn list(&self, list: &str) -> Vec<String> {
        self.lists
            .get(list)
            .map(|phrases| phrases.iter().map(|p| p.join(" ")).collect())
            .unwrap_or_default()
    }
}

/// The lower-case words of a text: letters, digits and inner apostrophes ("didn't").
/// A contraction typed or transcribed without its apostrophe ("dont", "wasnt", "im")
/// is written with it, as the phrase lists write it; curly apostrophes are straight.
pub fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .replace(['\u{2019}', '\u{2018}', '`'], "'")
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .map(|w| {
            BARE_CONTRACTIONS
                .iter()
                .find(|(bare, _)| *bare == w)
                .map_or_else(|| w.to_string(), |(_, with)| (*with).to_string())
        })
        .collect()
}

/// Contractions as written without the apostrophe, each with it. Only forms that are no
/// other English word ("ill", "were", "its" and "id" are left alone).
pub const BARE_CONTRACTIONS: &[(&str, &str)] = &[
    ("dont", "don't"),
    ("doesnt", "doesn't"),
    ("didnt", "didn't"),
    ("isnt", "isn't"),
    ("wasnt", "wasn't"),
    ("werent", "weren't"),
    ("arent", "aren't"),
    ("cant", "can't"),
    ("couldnt", "couldn't"),
    ("wouldnt", "wouldn't"),
    ("shouldnt", "shouldn't"),
    ("havent", "haven't"),
    ("hasnt", "hasn't"),
    ("hadnt", "hadn't"),
    ("wont", "won't"),
    ("im", "i'm"),
    ("ive", "i've"),
    ("thats", "that's"),
    ("whats", "what's"),
    ("theres", "there's"),
    ("youre", "you're"),
    ("theyre", "they're"),
    ("weve", "we've"),
    ("theyve", "they've"),
    ("youve", "you've"),
];

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn contractions_are_written_one_way() {
        assert_eq!(words("I dont need it"), ["i", "don't", "need", "it"]);
        assert_eq!(words("it wasn’t there"), ["it", "wasn't", "there"]);
        assert_eq!(words("its ill"), ["its", "ill"]);
    }
}

//! The locale catalog: every sentence the agent says (`prompts.toml`, by key, with
//! variants and a more prescriptive re-prompt) and the phrases it listens for beyond the
//! NLU's intents and entities (`phrases.toml`). Both are data under
//! `crates/dialog/assets/locales/<locale>/`, embedded in the binary, so wording changes need no code.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use voxorder_domain::phrases::PhraseLists;

/// Locales with a complete catalog.
const CATALOGS: &[(&str, &str, &str)] = &[(
    "en-US",
    include_str!("../assets/locales/en-US/prompts.toml"),
    include_str!("../assets/locales/en-US/phrases.toml"),
)];

/// A catalog is missing or broken. Caller: stop at start with the message; nothing to
/// retry (a unit test loads every embedded catalog, so a release never carries a broken one).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocaleError {
    #[error("no prompt catalog for locale {locale:?} (available: {available})")]
    Unknown { locale: String, available: String },
    #[error("locale {locale} {file}: {message}")]
    Invalid {
        locale: String,
        file: &'static str,
        message: String,
    },
}

/// One prompt: the ways of saying it, and the more explicit ways used after a miss.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prompt {
    pub say: Vec<String>,
    #[serde(default)]
    pub reprompt: Vec<String>,
    /// The question again in a few words, asked after an aside answered in the middle
    /// of it ("Shall I text you a prepaid label, or send a courier?"); without one, the
    /// question is said as first asked.
    #[serde(default)]
    pub short: Vec<String>,
}

/// Phrase lists, by name, and word tables. Matching is on whole words of the lower-cased
/// utterance, by the matcher understanding uses too.
#[derive(Debug, Clone, Default)]
pub struct Phrases {
    lists: PhraseLists,
    words: HashMap<String, BTreeMap<String, String>>,
}

impl Phrases {
    /// Whether the words contain any phrase of the list.
    pub fn any(&self, list: &str, words: &[String]) -> bool {
        self.lists.any(list, words)
    }

    /// Position of the first phrase of the list found in the words.
    pub fn find(&self, list: &str, words: &[String]) -> Option<usize> {
        self.lists.find(list, words)
    }

    /// The length in words of the longest phrase of the list at `words[i..]`.
    pub fn len_at(&self, list: &str, words: &[String], i: usize) -> Option<usize> {
        self.lists.len_at(list, words, i)
    }

    /// The words with every phrase of the list taken out.
    pub fn without(&self, list: &str, words: &[String]) -> Vec<String> {
        self.lists.without(list, words)
    }

    /// The words with the phrases of each list taken out in turn.
    pub fn without_each(&self, lists: &[&str], words: &[String]) -> Vec<String> {
        self.lists.without_each(lists, words)
    }

    /// The phrases of a list, words joined by spaces (empty when there is no such list).
    pub fn list(&self, list: &str) -> Vec<String> {
        self.lists.list(list)
    }

    /// A word table (e.g. spoken size → catalog size).
    pub fn table(&self, name: &str) -> Option<&BTreeMap<String, String>> {
        self.words.get(name)
    }
}

/// Lower-case words of an utterance, apostrophes kept inside words ("didn't").
pub use voxorder_domain::phrases::words;

/// Everything the dialog says and listens for in one language.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub locale: String,
    prompts: HashMap<String, Prompt>,
    pub phrases: Phrases,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PhrasesFile {
    #[serde(default)]
    lists: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    tables: BTreeMap<String, BTreeMap<String, String>>,
}

impl Catalog {
    /// The embedded catalog of a locale.
    pub fn load(locale: &str) -> Result<Catalog, LocaleError> {
        let (_, prompts, phrases) = CATALOGS
            .iter()
            .find(|(l, _, _)| l.eq_ignore_ascii_case(locale))
            .ok_or_else(|| {
                let known: Vec<&str> = CATALOGS.iter().map(|(l, _, _)| *l).collect();
                LocaleError::Unknown {
                    locale: locale.to_string(),
                    available: known.join(", "),
                }
            })?;
        Catalog::parse(locale, prompts, phrases)
    }

    /// Parses a catalog from its two files' text.
    pub fn parse(locale: &str, prompts: &str, phrases: &str) -> Result<Catalog, LocaleError> {
        let invalid = |file: &'static str, message: String| LocaleError::Invalid {
            locale: locale.to_string(),
            file,
            message,
        };
        let prompts: HashMap<String, Prompt> =
            toml::from_str(prompts).map_err(|e| invalid("prompts.toml", e.to_string()))?;
        if let Some((key, _)) = prompts.iter().find(|(_, p)| p.say.is_empty()) {
            return Err(invalid("prompts.toml", format!("{key}: `say` is empty")));
        }
        let file: PhrasesFile =
            toml::from_str(phrases).map_err(|e| invalid("phrases.toml", e.to_string()))?;
        let lists = file.lists.into_iter().collect();
        Ok(Catalog {
            locale: locale.to_string(),
            prompts,
            phrases: Phrases {
                lists,
                words: file.tables.into_iter().collect(),
            },
        })
    }

    /// Whether the catalog has a prompt under this key.
    pub fn has(&self, key: &str) -> bool {
        self.prompts.contains_key(key)
    }

    /// The text of a prompt: variant `n` (wrapping) of `say`, or of `reprompt` when
    /// `reprompt` is set and the prompt has one; `{name}` placeholders filled from `args`.
    /// An unknown key gives an empty string (a unit test checks every key the code uses).
    pub fn render(&self, key: &str, n: usize, reprompt: bool, args: &[(&str, String)]) -> String {
        let Some(prompt) = self.prompts.get(key) else {
            tracing::error!(key, "prompt missing from the catalog");
            return String::new();
        };
        let variants = if reprompt && !prompt.reprompt.is_empty() {
            &prompt.reprompt
        } else {
            &prompt.say
        };
        fill(&variants[n % variants.len()], args)
    }

    /// The short form of a prompt, `{name}` placeholders filled, when it has one.
    pub fn render_short(&self, key: &str, args: &[(&str, String)]) -> Option<String> {
        let short = &self.prompts.get(key)?.short;
        short.first().map(|t| fill(t, args))
    }
}

/// Replaces `{name}` with the argument of that name; unknown names are left out.
fn fill(template: &str, args: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match args.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => tracing::error!(placeholder = name, "prompt argument missing"),
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    // A left-out optional part can leave doubled or dangling spaces.
    let mut tidy = String::with_capacity(out.len());
    for w in out.split_whitespace() {
        if !tidy.is_empty() && !w.starts_with([',', '.', '?', '!']) {
            tidy.push(' ');
        }
        tidy.push_str(w);
    }
    tidy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_catalog_loads() {
        for (locale, _, _) in CATALOGS {
            let c = Catalog::load(locale).expect("catalog parses");
            assert!(c.has("greeting"));
        }
        assert!(matches!(
            Catalog::load("xx-XX"),
            Err(LocaleError::Unknown { .. })
        ));
    }

    #[test]
    fn placeholders_are_filled_and_missing_ones_leave_no_braces() {
        let args = [("name", "Ada".to_string())];
        assert_eq!(fill("Hello {name}, bye.", &args), "Hello Ada, bye.");
        assert_eq!(fill("Hello {who} there.", &args), "Hello there.");
        assert_eq!(fill("Open {brace", &args), "Open {brace");
    }

    #[test]
    fn a_short_form_is_filled_and_its_absence_is_none() {
        let c = Catalog::parse(
            "en-US",
            "a = { say = [\"So that's {x}. Shall I?\"], short = [\"Shall I, {x}?\"] }\nb = { say = [\"hi\"] }",
            "",
        )
        .expect("parses");
        let args = [("x", "it".to_string())];
        assert_eq!(c.render_short("a", &args).as_deref(), Some("Shall I, it?"));
        assert_eq!(c.render_short("b", &args), None);
    }

    #[test]
    fn phrases_match_whole_words() {
        let c = Catalog::load("en-US").expect("catalog parses");
        assert!(c
            .phrases
            .any("not_received", &words("It never arrived at all")));
        assert!(!c.phrases.any("not_received", &words("it arrived fine")));
    }

    #[test]
    fn phrases_are_taken_out_longest_first() {
        let c = Catalog::parse(
            "en-US",
            "greeting = { say = [\"hi\"] }",
            "[lists]\nx = [\"same\", \"same city\", \"thanks\"]",
        )
        .expect("parses");
        assert_eq!(
            c.phrases.without("x", &words("Austin same city thanks")),
            ["austin"]
        );
        assert_eq!(c.phrases.len_at("x", &words("same city"), 0), Some(2));
        assert_eq!(c.phrases.len_at("x", &words("same city"), 1), None);
        assert_eq!(c.phrases.len_at("x", &words("same"), 5), None);
    }

    /// Every prompt key the dialog code names exists in every catalog, and every variant
    /// of a prompt uses only placeholders the code can fill for it.
    #[test]
    fn every_prompt_the_code_uses_is_in_the_catalog() {
        let sources = [
            include_str!("lib.rs"),
            include_str!("routing.rs"),
            include_str!("questions.rs"),
            include_str!("speak.rs"),
            include_str!("request.rs"),
            include_str!("identity.rs"),
            include_str!("goals/orders.rs"),
            include_str!("goals/returns.rs"),
            include_str!("goals/commerce.rs"),
            include_str!("notices.rs"),
        ];
        let mut used = Vec::new();
        for src in sources {
            for (i, _) in src.match_indices("p!(\"") {
                let rest = &src[i + 4..];
                if let Some(end) = rest.find('"') {
                    used.push(rest[..end].to_string());
                }
            }
        }
        assert!(used.len() > 50, "found only {} prompt uses", used.len());
        for (locale, _, _) in CATALOGS {
            let c = Catalog::load(locale).expect("catalog parses");
            let missing: Vec<&String> = used.iter().filter(|k| !c.has(k)).collect();
            assert!(missing.is_empty(), "{locale}: missing prompts {missing:?}");
        }
    }
}

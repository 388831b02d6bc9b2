//! Text analysis, the same for documents and questions: lower case, number words as
//! digits, light English stemming, stop words dropped, and the words and phrases of the
//! concept table (`assets/policies/en-US/synonyms.toml`) folded into one concept term.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::{QueryTerm, MAX_QUESTION_WORDS, WEAK_WEIGHT};

/// The concept table, embedded; a unit test keeps it parseable.
pub(super) const SYNONYMS: &str = include_str!("../../../../assets/policies/en-US/synonyms.toml");

/// Words that carry no meaning for retrieval: function words, hesitations, politeness,
/// and verbs every question uses ("find", "get"). Concept phrases are matched before they
/// are dropped, so "cash on delivery" and "how long" keep their small words.
pub(super) const STOP_WORDS: &str = "\
    a about actually after again ago ah all already also am an and any anything anyway \
    approximately around average generally normally roughly typically usually \
    anywhere are as at basically be because been being bit but by can could did do does \
    doing done each else er erm everything find fine for found from general get give go going got \
    had happen \
    has have he hello help her here hey hi him his hmm how i if in into is it its just \
    kind know let like ll may me mean meant might mm much must my need no not now of off offer ok \
    okay on once one or our out over overall own please policy question really right rule say see \
    she \
    should so some something somewhere still stuff sure tell than thank thanks that the \
    their them then there these they thing this those through to too uh uhm um umm up us very \
    want \
    was way we well were what when where which while who why will with wonder wondering \
    work would ye yeah yes yet you your yours";

/// Words the stemmer leaves alone: a suffix rule would merge them with another word.
pub(super) const STEM_EXCEPTIONS: &str = "\
    customs news series always perhaps across plus express morning evening nothing \
    something anything everything during bring thing string spring";

/// Irregular forms the suffix rules cannot reach, with the stem of their base form.
pub(super) const IRREGULAR: &[(&str, &str)] = &[
    ("used", "use"),
    ("using", "use"),
    ("paid", "pay"),
    ("bought", "buy"),
    ("sent", "send"),
    ("made", "make"),
    ("gave", "give"),
    ("came", "come"),
    ("took", "take"),
    ("taken", "take"),
    ("went", "go"),
    ("gone", "go"),
    ("goes", "go"),
    ("sold", "sell"),
    ("kept", "keep"),
    ("wore", "wear"),
    ("worn", "wear"),
];

/// Contraction endings spelled out before tokenising ("can't" → "can not").
pub(super) const CONTRACTIONS: &[(&str, &str)] = &[
    ("can't", "can not"),
    ("cannot", "can not"),
    ("won't", "will not"),
    ("shan't", "shall not"),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConceptFile {
    pub(super) group: Vec<ConceptGroup>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConceptGroup {
    pub(super) concept: String,
    #[serde(default)]
    pub(super) weak: bool,
    /// Talk around a question ("quick question", "you guys"): matched, so its words
    /// are not read as other concepts, then dropped.
    #[serde(default)]
    pub(super) ignore: bool,
    pub(super) terms: Vec<String>,
}

/// A stemmed phrase of the concept table and the concept terms it stands for.
#[derive(Debug)]
pub(super) struct Phrase {
    pub(super) words: Vec<String>,
    pub(super) concepts: Vec<String>,
}

/// Turns text into index terms; documents and questions go through the same steps.
#[derive(Debug)]
pub(super) struct Analyzer {
    /// Stop words, as written and as stemmed.
    pub(super) stop: HashSet<String>,
    /// Concept phrases by first word.
    pub(super) phrases: HashMap<String, Vec<Phrase>>,
    pub(super) weak: HashSet<String>,
}

impl Analyzer {
    /// The analyser with the embedded concept table. The table is checked by a unit test;
    /// were it ever unreadable, retrieval would go on without concepts rather than fail.
    pub(super) fn embedded() -> Analyzer {
        let file: ConceptFile =
            toml::from_str(SYNONYMS).unwrap_or(ConceptFile { group: Vec::new() });
        Analyzer::with_groups(file.group)
    }

    pub(super) fn with_groups(groups: Vec<ConceptGroup>) -> Analyzer {
        let mut analyzer = Analyzer {
            stop: STOP_WORDS
                .split_whitespace()
                .flat_map(|w| [w.to_string(), stem(w)])
                .collect(),
            phrases: HashMap::new(),
            weak: HashSet::new(),
        };
        let mut by_phrase: HashMap<Vec<String>, Vec<String>> = HashMap::new();
        for group in groups {
            let concept = format!("~{}", group.concept);
            if group.weak {
                analyzer.weak.insert(concept.clone());
            }
            for term in &group.terms {
                let words = words(term);
                if words.is_empty() {
                    continue;
                }
                let concepts = by_phrase.entry(words).or_default();
                if !group.ignore && !concepts.contains(&concept) {
                    concepts.push(concept.clone());
                }
            }
        }
        for (words, concepts) in by_phrase {
            analyzer
                .phrases
                .entry(words[0].clone())
                .or_default()
                .push(Phrase { words, concepts });
        }
        analyzer
    }

    /// Index terms of `text`, in order, with repeats. Where concept phrases overlap the
    /// longest wins ("paid cash on delivery" is "paid" + "cash on delivery", not
    /// "paid cash" + "on delivery"), then the leftmost.
    pub(super) fn terms(&self, text: &str) -> Vec<String> {
        let words = words(text);
        // Every phrase occurrence: (start, length, concepts).
        let mut found: Vec<(usize, usize, &Vec<String>)> = Vec::new();
        for i in 0..words.len() {
            if let Some(list) = self.phrases.get(&words[i]) {
                for phrase in list {
                    if words[i..].starts_with(&phrase.words) {
                        found.push((i, phrase.words.len(), &phrase.concepts));
                    }
                }
            }
        }
        found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut taken = vec![false; words.len()];
        let mut at: Vec<Option<&Vec<String>>> = vec![None; words.len()];
        for (start, len, concepts) in found {
            if taken[start..start + len].iter().any(|&t| t) {
                continue;
            }
            taken[start..start + len].iter_mut().for_each(|t| *t = true);
            at[start] = Some(concepts);
        }
        let mut out = Vec::new();
        for (i, word) in words.iter().enumerate() {
            match at[i] {
                Some(concepts) => out.extend(concepts.iter().cloned()),
                None if !taken[i] && !self.stop.contains(word.as_str()) => out.push(word.clone()),
                None => {}
            }
        }
        out
    }

    /// The distinct terms of a question with their weights.
    pub(super) fn query(&self, question: &str) -> Vec<QueryTerm> {
        let bounded: String = question
            .split_whitespace()
            .take(MAX_QUESTION_WORDS)
            .collect::<Vec<_>>()
            .join(" ");
        let mut seen = HashSet::new();
        self.terms(&bounded)
            .into_iter()
            .filter(|t| seen.insert(t.clone()))
            .map(|term| {
                let weak = self.weak.contains(&term)
                    || term.chars().all(|c| c.is_ascii_digit() || c == '.');
                QueryTerm {
                    weight: if weak { WEAK_WEIGHT } else { 1.0 },
                    weak,
                    term,
                }
            })
            .collect()
    }
}

/// Lower-cased, contraction-expanded, stemmed words, with number words as digits.
pub(super) fn words(text: &str) -> Vec<String> {
    let mut lowered = text
        .to_lowercase()
        .replace(['\u{2019}', '\u{2018}', '`'], "'");
    for (from, to) in CONTRACTIONS {
        lowered = lowered.replace(from, to);
    }
    let lowered = lowered.replace("n't", " not");
    let mut raw: Vec<String> = Vec::new();
    let chars: Vec<char> = lowered.chars().collect();
    let mut current = String::new();
    let mut pending_dollar = false;
    for (i, &c) in chars.iter().enumerate() {
        let decimal_point = c == '.'
            && i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if c.is_alphanumeric() || c == '\'' || decimal_point {
            current.push(c);
        } else {
            flush(&mut current, &mut pending_dollar, &mut raw);
            // "$5.99" reads as "5.99 dollars": a written price meets "how much".
            pending_dollar = c == '$' && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        }
    }
    flush(&mut current, &mut pending_dollar, &mut raw);
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    let mut pending_tens: Option<u32> = None;
    for token in raw {
        // "it's", "we're", "i'd": the part before the apostrophe is the word.
        let word = token.split('\'').next().unwrap_or("").to_string();
        if word.is_empty() {
            continue;
        }
        if let Some(n) = number_word(&word) {
            match pending_tens.take() {
                Some(tens) if n < 10 => {
                    out.pop();
                    out.push((tens + n).to_string());
                }
                _ => {
                    out.push(n.to_string());
                    if n >= 20 && n % 10 == 0 && n < 100 {
                        pending_tens = Some(n);
                    }
                }
            }
            continue;
        }
        pending_tens = None;
        out.push(stem(&word));
    }
    out
}

/// Ends the word being read, adding "dollars" after an amount written with `$`.
pub(super) fn flush(current: &mut String, pending_dollar: &mut bool, raw: &mut Vec<String>) {
    if current.is_empty() {
        return;
    }
    raw.push(std::mem::take(current));
    if std::mem::take(pending_dollar) {
        raw.push("dollars".to_string());
    }
}

/// The value of a spoken number word up to ninety.
pub(super) fn number_word(w: &str) -> Option<u32> {
    use voxorder_domain::speech_text::{SMALL, TENS};
    if w == "one" {
        // "one" is mostly "a new one", "this one": not a quantity worth matching.
        return None;
    }
    if let Some(n) = SMALL.iter().position(|&x| x == w) {
        return u32::try_from(n).ok();
    }
    TENS.iter()
        .position(|&x| !x.is_empty() && x == w)
        .and_then(|n| u32::try_from(n).ok())
        .map(|n| n * 10)
}

/// Light English stemming: plural `s`, `-ing`, `-ed` and a final `e`, so that "charge",
/// "charges", "charged" and "charging" are one term.
pub(super) fn stem(word: &str) -> String {
    if let Some((_, base)) = IRREGULAR.iter().find(|(form, _)| *form == word) {
        return (*base).to_string();
    }
    if word.chars().count() <= 3
        || !word.chars().all(|c| c.is_ascii_alphabetic())
        || STEM_EXCEPTIONS.split_whitespace().any(|w| w == word)
    {
        return word.to_string();
    }
    let mut w = word.to_string();
    if let Some(base) = w.strip_suffix("ies").filter(|b| b.len() >= 2) {
        w = format!("{base}y");
    } else if w.ends_with("sses") {
        w.truncate(w.len() - 2);
    } else if w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") {
        w.truncate(w.len() - 1);
    }
    let mut stripped = false;
    for suffix in ["ing", "ed"] {
        if w.len() > suffix.len() + 2 && w.ends_with(suffix) {
            w.truncate(w.len() - suffix.len());
            stripped = true;
            break;
        }
    }
    if stripped {
        let b = w.as_bytes();
        let n = b.len();
        // "shipped" → "ship", "cancelled" → "cancel", but "called" → "call".
        let keep = b"aeiosz".contains(&b[n - 1]) || (b[n - 1] == b'l' && n < 6);
        if n >= 2 && b[n - 1] == b[n - 2] && !keep {
            w.truncate(n - 1);
        }
    }
    if w.len() > 4 && w.ends_with('e') {
        w.truncate(w.len() - 1);
    }
    w
}

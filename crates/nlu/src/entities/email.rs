//! Email addresses, literal ("john.smith@example.com") or spoken ("jane underscore doe
//! at gmail dot com", "a b c at yahoo dot co dot uk"), normalised to lower case.
//!
//! Emails are found on the raw whitespace-separated chunks, before tokenisation,
//! because tokenising would split "john.smith" and lose the dots. The chunks an email
//! used are then replaced by one placeholder word so no other extractor reads them.

use std::ops::Range;

use voxorder_domain::speech_text as st;

use super::phonetic::{distance_within, key};
use super::text::{push_chunk, MAX_CHUNKS, MAX_CHUNK_BYTES, OPAQUE};

/// One ASCII letter said alone ("j", "o").
fn one_letter(c: &str) -> bool {
    c.len() == 1 && c.bytes().all(|b| b.is_ascii_alphabetic())
}

/// One ASCII letter or digit said alone.
fn one_char(c: &str) -> bool {
    c.len() == 1 && c.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Spoken separators inside the local part.
fn separator(w: &str) -> Option<char> {
    match w {
        "dot" | "period" | "point" => Some('.'),
        "underscore" => Some('_'),
        "dash" | "hyphen" | "minus" => Some('-'),
        // "sam plus shoes at gmail": a tag after the name, for sorting mail.
        "plus" => Some('+'),
        _ => None,
    }
}

/// Endings a spoken "point" leads to in a domain ("btinternet point com"). Elsewhere
/// "point" is the sentence's ("at that point", "meet at the point").
const POINT_ENDINGS: &[&str] = &[
    "com", "net", "org", "co", "uk", "io", "edu", "gov", "us", "ca", "au", "ie", "de", "fr", "nl",
    "info", "biz", "sch", "ac", "nz", "eu",
];

/// Words that end a local part when met walking back from "at": they belong to the
/// sentence ("my email is", "send it to", "the order's under"), not to the address.
const LOCAL_STOP: &[&str] = &[
    "is", "was", "email", "e", "mail", "address", "to", "the", "my", "under", "with", "for", "on",
    "and", "of", "me", "us", "it", "them", "him", "her", "you", "be", "its", "it's", "at", "from",
    "by", "as", "use", "try", "i", "a",
];

/// Words that never start a spoken domain: an "at" before them is a sentence's.
const DOMAIN_STOP: &[&str] = &[
    "is", "was", "address", "to", "the", "my", "under", "with", "for", "on", "and", "of", "me",
    "us", "it", "them", "him", "her", "you", "be", "its", "it's", "at", "from", "by", "as", "use",
    "try", "i", "least", "home", "work", "night", "noon", "all", "once", "first", "last", "about",
    "around",
];

/// The words of `text` (see [`super::text::tokenize`]) with each email replaced by the
/// placeholder, and the emails found, in order. Reads at most [`MAX_CHUNKS`] chunks.
pub(crate) fn split_emails(text: &str) -> (Vec<String>, Vec<String>) {
    let chunks: Vec<String> = text
        .split_whitespace()
        .take(MAX_CHUNKS)
        .map(|c| {
            if c.len() > MAX_CHUNK_BYTES {
                return OPAQUE.to_string();
            }
            c.to_lowercase()
                .trim_matches(|ch: char| {
                    matches!(
                        ch,
                        ',' | ';' | ':' | '!' | '?' | '"' | '(' | ')' | '<' | '>'
                    )
                })
                .to_string()
        })
        .collect();
    let chunks = domain_said_again(spelling_aids_removed(chunks));
    // Remarks are taken out only where an address is then found: elsewhere "the
    // number" or "then" are the sentence's.
    let remarked = words_said_as_one(address_remarks_removed(spelled_again_removed(
        chunks.clone(),
    )));
    let chunks = words_said_as_one(chunks);
    let (chunks, found) = match find_emails(&remarked) {
        found if !found.is_empty() => (remarked, found),
        _ => {
            let found = find_emails(&chunks);
            (chunks, found)
        }
    };
    let mut words = Vec::with_capacity(chunks.len() + 8);
    let mut emails = Vec::new();
    let mut next = found.iter().peekable();
    let mut i = 0;
    while i < chunks.len() {
        if let Some((range, email)) = next.peek() {
            if range.start == i {
                words.push(OPAQUE.to_string());
                emails.push(email.clone());
                i = range.end;
                next.next();
                continue;
            }
        }
        if chunks[i] == OPAQUE {
            words.push(OPAQUE.to_string());
        } else {
            push_chunk(&chunks[i], &mut words);
        }
        i += 1;
    }
    (words, emails)
}

/// Letters spelled with an aid keep only the letter: "s as in sam", "t for tom", "p like
/// peter" (the word must start with the letter, so "a for me" stays), and "capital j" or
/// "lower case k" (an address has no case). "Small" and "big" are not read so: "it came
/// up small i think" is a sentence.
fn spelling_aids_removed(chunks: Vec<String>) -> Vec<String> {
    let chunks = letters_written_plainly(chunks);
    let letter = one_letter;
    let mut out: Vec<String> = Vec::with_capacity(chunks.len());
    let mut i = 0;
    while i < chunks.len() {
        let c = chunks[i].as_str();
        // "gmail dotcom", "at sign", "at symbol": the words of the address, said whole.
        if c == "dotcom" {
            out.extend(["dot".to_string(), "com".to_string()]);
            i += 1;
            continue;
        }
        if matches!(c, "sign" | "symbol") && out.last().is_some_and(|w| w == "at") {
            i += 1;
            continue;
        }
        // "jo under score lee at": the recogniser split the separator's name.
        if c == "under"
            && chunks.get(i + 1).is_some_and(|n| n == "score")
            && chunks[i + 2..].iter().take(REMARK_REACH).any(|n| n == "at")
        {
            out.push("underscore".to_string());
            i += 2;
            continue;
        }
        // "t o m full stop h at": the British name of the dot, inside an address only
        // (an "at" follows), so a sentence's "came to a full stop" keeps its words.
        if c == "full"
            && chunks.get(i + 1).is_some_and(|n| n == "stop")
            && chunks[i + 2..].iter().take(REMARK_REACH).any(|n| n == "at")
            && out
                .last()
                .is_some_and(|p| !LOCAL_STOP.contains(&p.as_str()) && p.chars().all(is_local_char))
            && chunks.get(i + 2).is_some_and(|n| {
                n != "at" && !LOCAL_STOP.contains(&n.as_str()) && n.chars().all(is_local_char)
            })
        {
            out.push("dot".to_string());
            i += 2;
            continue;
        }
        // "at acme logistics all one word dot com", "at sue's crafts no apostrophe dot
        // com": remarks on a domain's words before its dot go (its words are joined).
        let remarks = domain_remarks(&chunks[i..]);
        if remarks > 0
            && chunks
                .get(i + remarks)
                .is_some_and(|n| n == "dot" || n == "point")
            && in_a_domain(&out)
        {
            i += remarks;
            continue;
        }
        // "at i cloud", "at hot mail": a service's name the recogniser split.
        if out.last().is_some_and(|w| w == "at") {
            if let Some(n) = chunks.get(i + 1) {
                if let Some((_, _, whole)) = SPLIT_SERVICES
                    .iter()
                    .find(|(a, b, _)| *a == c && *b == n.as_str())
                {
                    out.push(whole.to_string());
                    i += 2;
                    continue;
                }
            }
        }
        // "capital j", "upper case j", "lowercase j".
        let case_words = match (c, chunks.get(i + 1).map(String::as_str)) {
            ("upper" | "lower", Some("case")) => 2,
            ("capital" | "uppercase" | "lowercase", _) => 1,
            _ => 0,
        };
        if case_words > 0 && chunks.get(i + case_words).is_some_and(|n| letter(n)) {
            // "capital p priya": the letter is the name's first, said before it.
            let initial = &chunks[i + case_words];
            let names_it = chunks
                .get(i + case_words + 1)
                .is_some_and(|w| w.len() > 1 && w.starts_with(initial.as_str()) && !letter(w));
            i += case_words + usize::from(names_it);
            continue;
        }
        out.push(chunks[i].clone());
        if letter(c) {
            let aid = match chunks.get(i + 1).map(String::as_str) {
                Some("as") if chunks.get(i + 2).is_some_and(|n| n == "in") => 2,
                Some("for" | "like") => 1,
                _ => 0,
            };
            let starts_with_letter = aid > 0
                && chunks
                    .get(i + 1 + aid)
                    .is_some_and(|w| w.len() > 1 && w.starts_with(c));
            if starts_with_letter {
                // "dot n, n for november": the letter said, then said again with its
                // aid, is one letter.
                let said_twice =
                    out.len() >= 3 && out[out.len() - 2] == c && !letter(&out[out.len() - 3]);
                if said_twice {
                    out.pop();
                }
                i += 2 + aid;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// "john smith all one word at": the few words before the remark are one. Run after
/// the remarks inside an address are gone, so "lena then park all one word" joins
/// only the name.
fn words_said_as_one(chunks: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(chunks.len());
    let mut i = 0;
    while i < chunks.len() {
        let joined = one_word_marker(&chunks[i..]);
        if joined > 0 && chunks.get(i + joined).is_some_and(|n| n == "at") {
            let mut start = out.len();
            while start > 0
                && out.len() - start < 4
                && !LOCAL_STOP.contains(&out[start - 1].as_str())
                && out[start - 1].chars().all(is_local_char)
            {
                start -= 1;
            }
            if out.len() - start >= 2 {
                // "happy hippo seven all one word": a digit said as a word among the
                // words is the digit.
                let word: String = out
                    .drain(start..)
                    .map(|w| {
                        spelled_unit(&w)
                            .filter(|u| u.len() == 1 && u.as_bytes()[0].is_ascii_digit())
                            .unwrap_or(w)
                    })
                    .collect();
                out.push(word);
            }
            i += joined;
            continue;
        }
        out.push(chunks[i].clone());
        i += 1;
    }
    out
}

/// Words that take back a domain's words to say them again ("no not", "sorry i mean").
const DOMAIN_TAKE_BACK: &[&str] = &[
    "no", "not", "sorry", "i", "mean", "wait", "actually", "oops", "rather",
];

/// "at sam's bikes no not sam's sams bikes dot com": a domain's words taken back
/// and said again before its dot are the last said, as many as were first said (words
/// before those repeat the one taken back). Remarks on them before the dot go too.
fn domain_said_again(chunks: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(chunks.len());
    let mut i = 0;
    while i < chunks.len() {
        out.push(chunks[i].clone());
        i += 1;
        if out.last().is_none_or(|w| w != "at") {
            continue;
        }
        let name_word = |c: &str| {
            !DOMAIN_STOP.contains(&c)
                && !DOMAIN_TAKE_BACK.contains(&c)
                && !matches!(c, "dot" | "point" | "period")
                && separator(c).is_none()
                && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '\'')
                && !c.is_empty()
        };
        let first = chunks[i..].iter().take_while(|c| name_word(c)).count();
        let back = chunks[i + first..]
            .iter()
            .take_while(|c| DOMAIN_TAKE_BACK.contains(&c.as_str()))
            .count();
        let again_from = i + first + back;
        let again = chunks[again_from..]
            .iter()
            .take_while(|c| name_word(c))
            .count();
        let remarks = domain_remarks(&chunks[again_from + again..]);
        let dot = again_from + again + remarks;
        let said_again = (1..=3).contains(&first)
            && chunks[i + first..again_from]
                .iter()
                .any(|c| TAKE_BACK.contains(&c.as_str()) || c == "not")
            && (first..=first + 2).contains(&again)
            && chunks.get(dot).is_some_and(|c| c == "dot");
        if said_again {
            out.extend_from_slice(&chunks[again_from + again - first..again_from + again]);
            i = dot;
        }
    }
    out
}

/// Mail services the recogniser writes as two words, said right after "at".
const SPLIT_SERVICES: &[(&str, &str, &str)] = &[
    ("i", "cloud", "icloud"),
    ("eye", "cloud", "icloud"),
    ("hot", "mail", "hotmail"),
    ("out", "look", "outlook"),
    ("g", "mail", "gmail"),
    ("gee", "mail", "gmail"),
    ("google", "mail", "googlemail"),
    ("proton", "mail", "protonmail"),
];

/// How many chunks at the start of `rest` remark on a domain's words: that they are one
/// ("all one word", "no spaces") or have no apostrophe ("no apostrophe", "without the
/// apostrophe"), one remark after another.
fn domain_remarks(rest: &[String]) -> usize {
    let mut n = 0;
    loop {
        let w = |i: usize| rest.get(n + i).map(String::as_str);
        let apostrophe = |i: usize| matches!(w(i), Some("apostrophe" | "apostrophes"));
        let step = match (w(0), w(1)) {
            _ if one_word_marker(&rest[n..]) > 0 => one_word_marker(&rest[n..]),
            (Some("no"), _) if apostrophe(1) => 2,
            (Some("with"), Some("no")) if apostrophe(2) => 3,
            (Some("without"), _) if apostrophe(1) => 2,
            (Some("without"), Some("an" | "the" | "any")) if apostrophe(2) => 3,
            _ => 0,
        };
        if step == 0 {
            return n;
        }
        n += step;
    }
}

/// Whether the words read so far end inside a domain's first label: an "at", then a few
/// words of a name.
fn in_a_domain(out: &[String]) -> bool {
    let Some(back) = out
        .iter()
        .rev()
        .take(MAX_LABEL_WORDS + 1)
        .position(|w| w == "at")
    else {
        return false;
    };
    back >= 1
        && out[out.len() - back..].iter().all(|w| {
            !DOMAIN_STOP.contains(&w.as_str())
                && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '\'')
        })
}

/// How far before its "at" a remark inside an address may stand.
const REMARK_REACH: usize = 16;

/// Remarks callers make inside an address they spell, which are no part of it: "then"
/// between its parts ("sarah then oconnor"), "the year" or "the number" before digits
/// ("b o b b y then the year 1 9 7 5", "the number two"), a letter named after a word
/// ("smyth with a y"), a word spelled out again right after it ("oconnor o c o n n o r"), and "one" said of the
/// address itself ("it's my work one, j dot henderson").
fn address_remarks_removed(chunks: Vec<String>) -> Vec<String> {
    let single = one_char;
    let digitish = |c: &str| spelled_unit(c).is_some_and(|u| u.bytes().all(|b| b.is_ascii_digit()));
    let mut out: Vec<String> = Vec::with_capacity(chunks.len());
    let mut i = 0;
    while i < chunks.len() {
        let c = chunks[i].as_str();
        let at = |k: usize| chunks.get(k).map(String::as_str);
        let at_follows = chunks[i + 1..].iter().take(REMARK_REACH).any(|n| n == "at");
        let after_word = out.last().is_some_and(|p| {
            (single(p) || !LOCAL_STOP.contains(&p.as_str())) && p.chars().all(is_local_char)
        });
        if !at_follows {
            out.push(chunks[i].clone());
            i += 1;
            continue;
        }
        if c == "then" && after_word {
            // "jon then smith then 99 at": words joined by "then" right before the
            // "at" are one word, as the caller builds it part by part.
            let name = |w: &str| {
                w.len() >= 2
                    && w.bytes().all(|b| b.is_ascii_alphabetic())
                    && !LOCAL_STOP.contains(&w)
                    && spelled_unit(w).is_none()
                    && teen_or_tens(w).is_none()
                    && separator(w).is_none()
                    && repeat(w).is_none()
            };
            let to_at = chunks[i + 1..].iter().position(|n| n == "at").unwrap_or(0);
            let straight_to_at = chunks[i + 1..i + 1 + to_at]
                .iter()
                .all(|n| !LOCAL_STOP.contains(&n.as_str()) && n.chars().all(is_local_char));
            let next_is_name = at(i + 1).is_some_and(name) && at(i + 1) != Some("then");
            if straight_to_at && next_is_name && out.last().is_some_and(|p| name(p)) {
                let joined = format!("{}{}", out.pop().unwrap_or_default(), chunks[i + 1]);
                out.push(joined);
                i += 2;
                continue;
            }
            i += 1;
            continue;
        }
        if c == "the"
            && matches!(at(i + 1), Some("year" | "number" | "numbers" | "digits"))
            && at(i + 2).is_some_and(digitish)
        {
            i += 2;
            continue;
        }
        if matches!(c, "number" | "year") && after_word && at(i + 1).is_some_and(digitish) {
            i += 1;
            continue;
        }
        // "smyth with a y", "not with an e", "that's double g on the end", "with a p h":
        // what the spelling has or lacks, said after it.
        let remark = letter_remark(&chunks, i, &out);
        if remark > 0 && after_word && at(i + remark).is_none_or(|n| !single(n) || n == "at") {
            i += remark;
            continue;
        }
        // "g r a n t no wait there's no t g r a n": a letter said to be left out is
        // no letter of the address.
        let left_out = match (c, at(i + 1), at(i + 2), at(i + 3)) {
            ("there's" | "theres", Some("no"), Some(l), _) if one_letter(l) => 3,
            ("there", Some("is"), Some("no"), Some(l)) if one_letter(l) => 4,
            ("without", Some("the" | "an" | "a"), Some(l), _) if one_letter(l) => 3,
            _ => 0,
        };
        if left_out > 0 && at(i + left_out).is_some_and(one_letter) {
            i += left_out;
            continue;
        }
        // "b e t t on the end at": where in the spelling a remark's letter stands.
        if matches!(c, "on" | "at")
            && after_word
            && at(i + 1) == Some("the")
            && matches!(at(i + 2), Some("end" | "start" | "front" | "beginning"))
        {
            i += 3;
            continue;
        }
        if c == "one"
            && out
                .last()
                .is_some_and(|p| ADDRESS_KINDS.contains(&p.as_str()))
        {
            i += 1;
            continue;
        }
        // "s m i t h, smith": the word said after its letters is no more of it.
        let spelled_before = out
            .iter()
            .rev()
            .take_while(|p| single(p))
            .collect::<Vec<_>>();
        if spelled_before.len() >= 3 && c.len() == spelled_before.len() {
            let letters: String = spelled_before.iter().rev().map(|p| p.as_str()).collect();
            if letters == c {
                i += 1;
                continue;
            }
        }
        // A word spelled again: the letters after it make the word once more.
        let run = chunks[i..].iter().take_while(|n| single(n)).count();
        if run >= 3
            && out
                .last()
                .is_some_and(|p| p.len() == run && chunks[i..i + run].concat() == *p)
        {
            i += run;
            continue;
        }
        // "r o s a r o s a": letters spelled twice over, to be sure, are said once.
        let half = run / 2;
        let starts_run = !out.last().is_some_and(|p| single(p));
        if starts_run
            && half >= 3
            && run % 2 == 0
            && chunks[i..i + half] == chunks[i + half..i + run]
        {
            out.extend_from_slice(&chunks[i..i + half]);
            i += run;
            continue;
        }
        // "otto, o t t o, same both ways": a remark on how a word is spelled.
        let said_of_spelling = AFTER_A_SPELLING
            .iter()
            .find(|r| chunks[i..].starts_with(&r.iter().map(|w| w.to_string()).collect::<Vec<_>>()))
            .map_or(0, |r| r.len());
        if said_of_spelling > 0 && after_word {
            i += said_of_spelling;
            continue;
        }
        out.push(chunks[i].clone());
        i += 1;
    }
    out
}

/// Remarks on how a word of an address is spelled, said after it or its spelling.
const AFTER_A_SPELLING: &[&[&str]] = &[
    &["same", "backwards"],
    &["the", "same", "backwards"],
    &["same", "both", "ways"],
    &["same", "forwards", "and", "backwards"],
    &["like", "it", "sounds"],
    &["as", "it", "sounds"],
    &["just", "like", "it", "sounds"],
    &["the", "usual", "way"],
    &["the", "normal", "way"],
    &["spelled", "normally"],
    &["spelt", "normally"],
];

/// How many chunks from `chunks[i]` remark on the letters just spelled: "with a y",
/// "not with an e", "without an h", "with two l's", "that's double g on the end", "with a
/// p h" (two letters only where the spelling has them). 0 when none.
fn letter_remark(chunks: &[String], i: usize, before: &[String]) -> usize {
    let w = |k: usize| chunks.get(k).map(String::as_str);
    let mut k = i;
    let that = match (w(k), w(k + 1)) {
        (Some("that's" | "thats"), _) => 1,
        (Some("that"), Some("is")) => 2,
        _ => 0,
    };
    k += that;
    // "not an f": what a word lacks, said without "with".
    let not = w(k) == Some("not") && matches!(w(k + 1), Some("with" | "a" | "an"));
    k += usize::from(not);
    let with = not || matches!(w(k), Some("with" | "without"));
    k += usize::from(matches!(w(k), Some("with" | "without")));
    let counted = match w(k) {
        Some("a" | "an" | "one" | "no") => with,
        Some("two" | "double" | "three" | "triple") => with || that > 0,
        _ => false,
    };
    if !counted {
        return 0;
    }
    k += 1;
    // "l's", "ls": a letter said in the plural.
    let plural = |c: &str| {
        let bare = c.strip_suffix("'s").or_else(|| c.strip_suffix('s'));
        bare.is_some_and(one_letter)
    };
    match w(k) {
        // "with a ph": a pair of letters said as one sound.
        Some("ph" | "th" | "ck" | "sh" | "ch" | "gh") => k += 1,
        Some(l) if one_letter(l) => {
            k += 1;
            // "with a p h at": a second letter only where the spelling has the pair.
            if let Some(l2) = w(k).filter(|l2| one_letter(l2)) {
                let spelled: String = before
                    .iter()
                    .rev()
                    .take_while(|p| one_char(p))
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                if w(k + 1) == Some("at") && spelled.contains(&format!("{l}{l2}")) {
                    k += 1;
                }
            }
        }
        Some(p) if p.len() >= 2 && plural(p) => k += 1,
        _ => return 0,
    }
    if matches!(w(k), Some("on" | "at"))
        && w(k + 1) == Some("the")
        && matches!(w(k + 2), Some("end" | "start" | "front" | "beginning"))
    {
        k += 3;
    }
    k - i
}

/// Words callers put between a word of an address and its spelling: "bell, b e double
/// l", "o'connor, that's o c o n n o r", "o'neill but there's no apostrophe so o n e i
/// double l", "kevin dot o brien no gap o b r i e n".
const SPELLING_REMARKS: &[&str] = &[
    "that's",
    "thats",
    "that",
    "is",
    "it's",
    "its",
    "spelled",
    "spelt",
    "spelling",
    "no",
    "gap",
    "space",
    "apostrophe",
    "but",
    "there's",
    "theres",
    "so",
    "as",
    "in",
    "with",
    "a",
    "an",
    "like",
    "i",
    "mean",
    "just",
];

/// How many remark words may stand between a word and its spelling.
const MAX_SPELLING_REMARKS: usize = 6;

/// A word of an address spelled out again after it (with "double l" in the spelling and
/// remarks between) is said once: the spelling, the remarks, and a second saying of the
/// word before the remarks ("smyth, that's smyth with a y, s m y t h") go. Two words the
/// spelling joins ("o brien", "o b r i e n") are one; an apostrophe the spelling leaves
/// out ("o'connor") is no part of the address. "No apostrophe" and "no gap" after a
/// spelling go too. Only where an address's "at" follows.
fn spelled_again_removed(chunks: Vec<String>) -> Vec<String> {
    let at_within = |from: usize| {
        chunks[from..]
            .iter()
            .take(REMARK_REACH)
            .any(|n| n == "at" || n == "@")
            // "at sue's crafts no apostrophe s u e s c r a f t s dot com": a domain's
            // words spelled again before its dot.
            || (chunks[from.saturating_sub(MAX_LABEL_WORDS + MAX_SPELLING_REMARKS)..from]
                .iter()
                .any(|n| n == "at")
                && chunks[from..]
                    .iter()
                    .take(MAX_SPELLED_LABEL + 1)
                    .any(|n| n == "dot"))
    };
    let plain = |w: &str| -> String { w.chars().filter(|&c| c != '\'' && c != '-').collect() };
    let mut out: Vec<String> = Vec::with_capacity(chunks.len());
    let mut i = 0;
    while i < chunks.len() {
        if !at_within(i) {
            out.push(chunks[i].clone());
            i += 1;
            continue;
        }
        // "mc donald no space between the mc and donald": the two words are one.
        if let Some((len, first, second)) = no_space_between(&chunks[i..]) {
            let n = out.len();
            if n >= 2 && out[n - 2] == first && out[n - 1] == second {
                let joined = format!("{first}{second}");
                out.truncate(n - 2);
                out.push(joined);
            }
            i += len;
            continue;
        }
        if chunks[i] == "no"
            && matches!(
                chunks.get(i + 1).map(String::as_str),
                Some("apostrophe" | "apostrophes" | "gap" | "gaps")
            )
            && out.last().is_some_and(|p| p.chars().all(is_local_char))
        {
            i += 2;
            continue;
        }
        // The letters spelled from here, "double l" as two.
        let mut letters = String::new();
        let mut j = i;
        while j < chunks.len() {
            if one_letter(&chunks[j]) {
                letters.push_str(&chunks[j]);
                j += 1;
            } else if let (Some(n), Some(l)) = (repeat(&chunks[j]), chunks.get(j + 1)) {
                if !one_letter(l) {
                    break;
                }
                for _ in 0..n {
                    letters.push_str(l);
                }
                j += 2;
            } else {
                break;
            }
        }
        if letters.len() >= 2 {
            // Back over the remarks to the word spelled.
            let mut p = out.len();
            let mut skipped = 0;
            while p > 0 && skipped < MAX_SPELLING_REMARKS {
                let w = out[p - 1].as_str();
                if SPELLING_REMARKS.contains(&w) {
                    p -= 1;
                    skipped += 1;
                } else if let Some(n) = letter_named_before(&out[..p]) {
                    // "with a y", "with a ph not an f": letters named after the word.
                    p -= n;
                    skipped += n;
                } else {
                    break;
                }
            }
            let word = p.checked_sub(1).map(|x| plain(&out[x]));
            let two = (p >= 2).then(|| format!("{}{}", plain(&out[p - 2]), plain(&out[p - 1])));
            let found = if word.as_deref() == Some(letters.as_str())
                && letters.len() >= 2
                && out[p - 1].chars().count() > 1
            {
                Some(p - 1)
            } else if two.as_deref() == Some(letters.as_str())
                // Two letters are spelled already ("p h i a with a p h"), not a word.
                && (out[p - 2].chars().count() > 1 || out[p - 1].chars().count() > 1)
            {
                Some(p - 2)
            } else {
                None
            };
            if let Some(start) = found {
                out.truncate(start);
                // "smyth that's smyth": the word said before the remarks too.
                let mut q = out.len();
                let mut between = 0;
                while q > 0
                    && between < MAX_SPELLING_REMARKS
                    && SPELLING_REMARKS.contains(&out[q - 1].as_str())
                {
                    q -= 1;
                    between += 1;
                }
                if between > 0 && q > 0 && plain(&out[q - 1]) == letters {
                    out.truncate(q - 1);
                }
                out.push(letters);
                i = j;
                continue;
            }
        }
        out.push(chunks[i].clone());
        i += 1;
    }
    out
}

/// How many words at the end of `said` name a letter the word before has or lacks:
/// "with a y", "with a ph", "not an f", "not with an e", "without an h", "with two
/// l's". `None` when they do not.
fn letter_named_before(said: &[String]) -> Option<usize> {
    let n = said.len();
    let w = |back: usize| n.checked_sub(back).map(|x| said[x].as_str());
    let named = w(1).is_some_and(|l| {
        let bare = l.strip_suffix("'s").unwrap_or(l);
        one_letter(bare)
            || (bare.len() == 2 && matches!(bare, "ph" | "th" | "ck" | "sh" | "ch" | "gh"))
    });
    if !named {
        return None;
    }
    let counted = match w(2)? {
        "a" | "an" | "one" | "no" => true,
        "two" | "double" => w(1).is_some_and(|l| l.ends_with("'s")),
        _ => false,
    };
    if !counted || !matches!(w(3)?, "with" | "without" | "not") {
        return None;
    }
    Some(if w(3) == Some("with") && w(4) == Some("not") {
        4
    } else {
        3
    })
}

/// "no space between the o and connor": the remark's length and the two words it
/// joins.
fn no_space_between(rest: &[String]) -> Option<(usize, &str, &str)> {
    let w = |k: usize| rest.get(k).map(String::as_str);
    if !(w(0) == Some("no")
        && matches!(w(1), Some("space" | "spaces" | "gap" | "gaps"))
        && w(2) == Some("between"))
    {
        return None;
    }
    let article = |c: Option<&str>| matches!(c, Some("the" | "a" | "an"));
    let mut k = 3 + usize::from(article(w(3)));
    let first = w(k)?;
    k += 1;
    if w(k) != Some("and") {
        return None;
    }
    k += 1;
    k += usize::from(article(w(k)));
    let second = w(k)?;
    Some((k + 1, first, second))
}

/// Words for which of a caller's addresses is meant ("my work one").
const ADDRESS_KINDS: &[&str] = &[
    "work", "personal", "home", "old", "new", "other", "main", "business", "usual", "school",
    "private",
];

/// The names of letters as callers say them when spelling ("zed", "dee", "aitch"), each
/// with its letter. Names that are common words ("be", "see", "you", "are", "why") are
/// left out: they are read as letters nowhere.
const LETTER_NAMES: &[(&str, &str)] = &[
    ("ay", "a"),
    ("bee", "b"),
    ("cee", "c"),
    ("dee", "d"),
    ("ee", "e"),
    ("eff", "f"),
    ("gee", "g"),
    ("aitch", "h"),
    ("haitch", "h"),
    ("jay", "j"),
    ("kay", "k"),
    ("el", "l"),
    ("ell", "l"),
    ("em", "m"),
    ("en", "n"),
    ("pee", "p"),
    ("cue", "q"),
    ("ar", "r"),
    ("ess", "s"),
    ("tee", "t"),
    ("vee", "v"),
    ("ex", "x"),
    ("wye", "y"),
    ("zed", "z"),
    ("zee", "z"),
];

/// Spelling written the way a recogniser writes it, made plain letters: "m-a-r-i-a" (one
/// chunk of single characters joined by hyphens) is "maria"; "j." in a run of spelled
/// letters is "j"; and a letter's name ("zed x y", "dee ee vee") is its letter, where it
/// stands in a run of two or more spelled letters that runs into the address ("at", a
/// "dot" or another separator), so "jay" alone stays a name and "the em dash" a word.
fn letters_written_plainly(chunks: Vec<String>) -> Vec<String> {
    let single = one_char;
    let mut out: Vec<String> = chunks
        .into_iter()
        .map(|c| {
            let bare = c.trim_end_matches('.');
            let parts: Vec<&str> = bare.split('-').collect();
            if parts.len() >= 2 && parts.iter().all(|p| single(p)) {
                return parts.concat();
            }
            c
        })
        .collect();
    let dotted = |c: &str| c.len() == 2 && c.ends_with('.') && single(&c[..1]);
    for i in 0..out.len() {
        let spelled_beside = |j: Option<usize>| {
            j.and_then(|j| out.get(j))
                .is_some_and(|n| single(n) || dotted(n))
        };
        if dotted(&out[i]) && (spelled_beside(i.checked_sub(1)) || spelled_beside(Some(i + 1))) {
            out[i].truncate(1);
        }
    }
    let name = |c: &str| LETTER_NAMES.iter().find(|(n, _)| *n == c).map(|(_, l)| *l);
    let out = letters_named_aloud(out, |c| single(c) || name(c).is_some());
    // A run of spelled letters goes on through digits and repeats said with it ("zed a
    // c k seventy seven at", "kay e double l y at").
    let spelled = |c: &str| {
        single(c)
            || name(c).is_some()
            || c == "oh"
            || repeat(c).is_some()
            || spelled_unit(c).is_some()
    };
    let mut out = out;
    let mut i = 0;
    while i < out.len() {
        if !spelled(&out[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < out.len() && spelled(&out[i]) {
            i += 1;
        }
        let into_address = out
            .get(i)
            .is_some_and(|n| n == "at" || n == "@" || n == "dot" || separator(n).is_some());
        let names = out[start..i].iter().any(|c| name(c).is_some());
        // "fatima underscore zed at": a letter's name alone after a separator is the
        // letter, as in a run.
        let after_separator = start >= 1 && separator(&out[start - 1]).is_some();
        if (i - start >= 2 || after_separator) && into_address && names {
            for c in &mut out[start..i] {
                if let Some(l) = name(c) {
                    *c = l.to_string();
                }
            }
            // "el oh el": "oh" between two letters is the letter, not a zero.
            for x in start + 1..i.saturating_sub(1) {
                let letter = one_letter;
                if out[x] == "oh" && letter(&out[x - 1]) && letter(&out[x + 1]) {
                    out[x] = "o".to_string();
                }
            }
        }
    }
    oh_as_a_letter(&mut out);
    thousands_written(out)
}

/// "oh l l i e", "oh dot brien": an "oh" that starts spelled letters, or stands alone as
/// an initial before a "dot" and a name, is the letter o. Among digits, or after one, it
/// stays a zero ("five oh two").
fn oh_as_a_letter(out: &mut [String]) {
    let digit = |c: &str| spelled_unit(c).is_some_and(|d| d.chars().all(|ch| ch.is_ascii_digit()));
    for x in 0..out.len() {
        if out[x] != "oh" {
            continue;
        }
        let prev = x.checked_sub(1).map(|p| out[p].as_str());
        if prev.is_some_and(|p| digit(p) || one_letter(p)) {
            continue;
        }
        let next = out.get(x + 1).map(String::as_str);
        let after = out.get(x + 2).map(String::as_str);
        let starts_letters = next.is_some_and(one_letter) && after.is_some_and(one_letter);
        let initial = next == Some("dot")
            && after.is_some_and(|a| a.chars().count() > 1 && a.chars().all(char::is_alphabetic));
        if starts_letters || initial {
            out[x] = "o".to_string();
        }
    }
}

/// How callers name a letter when spelling, made the letter: "double u" is "w" (not two
/// u's) where spelling goes on around it; "the letter em" is "em"; and "then" between
/// two spelled letters ("em then a r k o") is dropped.
fn letters_named_aloud(chunks: Vec<String>, spelled: impl Fn(&str) -> bool) -> Vec<String> {
    let address_word = |c: &str| c == "at" || c == "@" || c == "dot" || separator(c).is_some();
    let mut out: Vec<String> = Vec::with_capacity(chunks.len());
    let mut i = 0;
    while i < chunks.len() {
        let c = chunks[i].as_str();
        let next = chunks.get(i + 1).map(String::as_str);
        let after = chunks.get(i + 2).map(String::as_str);
        let before_spelled = out.last().is_some_and(|p| spelled(p));
        // "double u brown at aol": before an address's "at", "double u" is always the
        // letter; no caller spells two u's so.
        let in_local_part = chunks[i + 1..]
            .iter()
            .take(REMARK_REACH)
            .any(|n| n == "at" || n == "@");
        if c == "double"
            && matches!(next, Some("u" | "you"))
            && (before_spelled
                || in_local_part
                || after.is_some_and(|a| spelled(a) || address_word(a)))
        {
            out.push("w".to_string());
            i += 2;
            continue;
        }
        if c == "the" && next == Some("letter") && after.is_some_and(&spelled) {
            i += 1;
            continue;
        }
        if c == "letter" && next.is_some_and(&spelled) {
            i += 1;
            continue;
        }
        if c == "then" && before_spelled && next.is_some_and(&spelled) {
            i += 1;
            continue;
        }
        out.push(chunks[i].clone());
        i += 1;
    }
    out
}

/// "mark two thousand at", "two thousand and five at": a year said in words just before
/// the address is its digits ("2000", "2005"), as "nineteen ninety" already reads.
fn thousands_written(mut chunks: Vec<String>) -> Vec<String> {
    let unit = |c: &str| (1..10).find(|&n| st::SMALL[n] == c);
    let mut i = 0;
    while i + 1 < chunks.len() {
        let Some(thousands) = unit(&chunks[i]).filter(|_| chunks[i + 1] == "thousand") else {
            i += 1;
            continue;
        };
        let mut end = i + 2;
        if chunks.get(end).is_some_and(|c| c == "and") {
            end += 1;
        }
        let mut rest = 0;
        if let Some(n) = chunks
            .get(end)
            .and_then(|c| teen_or_tens(c).or(unit(c).map(|u| u as u32)))
        {
            rest = n;
            end += 1;
            if n >= 20 {
                if let Some(u) = chunks.get(end).and_then(|c| unit(c)) {
                    rest += u as u32;
                    end += 1;
                }
            }
        } else if chunks[i + 2..end].iter().any(|c| c == "and") {
            end -= 1;
        }
        let into_address = chunks
            .get(end)
            .is_some_and(|n| n == "at" || n == "@" || separator(n).is_some());
        if into_address {
            let year = thousands as u32 * 1000 + rest;
            chunks.splice(i..end, [year.to_string()]);
        }
        i += 1;
    }
    chunks
}

/// How many chunks at the start of `rest` say "the words before are one word": "all one
/// word", "one word", "no spaces", "all together".
fn one_word_marker(rest: &[String]) -> usize {
    let w = |i: usize| rest.get(i).map(String::as_str);
    match (w(0), w(1), w(2)) {
        (Some("all"), Some("one"), Some("word")) => 3,
        (Some("one"), Some("word"), _) => 2,
        (Some("no"), Some("spaces" | "space"), _) => 2,
        (Some("all"), Some("together"), _) => 2,
        (Some("altogether"), _, _) => 1,
        _ => 0,
    }
}

/// Mail services callers name without their ending ("at gmail"): theirs is ".com".
const DOT_COM_SERVICES: &[&str] = &[
    "gmail",
    "googlemail",
    "hotmail",
    "outlook",
    "yahoo",
    "icloud",
    "aol",
    "protonmail",
];

/// Mail services whose names a recogniser mishears as words that sound like them
/// ("gee male", "hot mall", "yah who"); short names ("aol", "msn") sound like too much else.
const HEARD_SERVICES: &[&str] = &[
    "gmail",
    "googlemail",
    "hotmail",
    "outlook",
    "yahoo",
    "icloud",
    "protonmail",
    "btinternet",
];

/// The mail service a domain's first label sounds like and nearly spells from the same
/// first letter ("gmale", "hotmale", "yawho"), when it is not one already.
fn misheard_service(label: &str) -> Option<&'static str> {
    if label.len() < 4 || HEARD_SERVICES.contains(&label) {
        return None;
    }
    let heard = key(label);
    HEARD_SERVICES
        .iter()
        .find(|s| {
            // "k mail" is a letter said, not "gmail" misheard.
            s.as_bytes()[0] == label.as_bytes()[0]
                && key(s) == heard
                && distance_within(label, s, 2).is_some()
        })
        .copied()
}

/// Words of [`DOMAIN_STOP`] that are a place or a time in a sentence ("at home", "at
/// work") but start a domain when more of its name and a "dot" follow ("at work mail dot
/// net").
const DOMAIN_STOP_PLACES: &[&str] = &[
    "home", "work", "night", "noon", "all", "once", "first", "last", "about", "around", "least",
];

/// Whether `chunks[j]`, a word of [`DOMAIN_STOP`], starts a domain here: Apple's "me dot
/// com", or a place word with more of the name before the "dot".
fn stop_word_starts_domain(chunks: &[String], j: usize) -> bool {
    let w = |i: usize| chunks.get(i).map(String::as_str);
    match w(j) {
        Some("me") => w(j + 1) == Some("dot") && w(j + 2) == Some("com"),
        Some(place) if DOMAIN_STOP_PLACES.contains(&place) => {
            w(j + 1).is_some_and(|n| n != "dot" && n != "at" && !DOMAIN_STOP.contains(&n))
                && w(j + 2) == Some("dot")
        }
        _ => false,
    }
}

/// Every email in `chunks`, as (chunks it spans, normalised address), non-overlapping.
fn find_emails(chunks: &[String]) -> Vec<(Range<usize>, String)> {
    let mut out: Vec<(Range<usize>, String)> = Vec::new();
    let mut i = 0;
    while i < chunks.len() {
        let found = if chunks[i].contains('@') && chunks[i] != "@" {
            literal(&chunks[i]).map(|e| (i..i + 1, e))
        } else if chunks[i] == "at" || chunks[i] == "@" {
            // "a n n a at the rate gmail dot com": "at the rate" is how many callers
            // say the @ sign.
            let rate = chunks.get(i + 1).is_some_and(|c| c == "the")
                && chunks.get(i + 2).is_some_and(|c| c == "rate");
            let domain = if rate { i + 3 } else { i + 1 };
            match domain_after_not(chunks, i) {
                Some(d) => spoken(chunks, i, d),
                None => spoken(chunks, i, domain).or_else(|| local_said_after(chunks, i, domain)),
            }
        } else {
            None
        };
        if let Some(fixed) = domain_corrected(chunks, i, out.last()) {
            i = fixed.0.end;
            *out.last_mut().expect("a corrected email has one before it") = fixed;
            continue;
        }
        match found {
            Some((range, email)) if out.last().is_none_or(|(r, _)| r.end <= range.start) => {
                let (range, email) = spelled_after(chunks, range, email);
                let (range, email) = said_as_one_word(chunks, range, email);
                // "ann smyth at mail dot com, but smyth with a y, s m y t h e":
                // the address is read as if the line ended with it, then the word
                // spelled again is put right.
                let (range, email) = match word_respelled_after(chunks, range.end) {
                    Some((end, word, letters)) => {
                        let (range, email) = two_words_alone(&chunks[..range.end], range, email);
                        (range.start..end, word_put_right(&email, &word, &letters))
                    }
                    None => two_words_alone(chunks, range, email),
                };
                let (range, email) = respelled_after(chunks, range, email);
                let (range, email) = local_restated_after(chunks, range, email);
                let (range, email) = letter_meant_after(chunks, range, email);
                i = range.end;
                out.push((range, email));
            }
            _ => i += 1,
        }
    }
    out
}

/// Words that may open a correction said after an address ("no sorry", "but", "i
/// mean it's").
const CORRECTION_OPENERS: &[&str] = &[
    "no", "sorry", "mean", "actually", "wait", "oops", "rather", "but", "i", "it's", "its", "it",
    "is", "that's", "thats", "should", "be", "um", "uh", "oh", "so",
];

/// The end of a line, before the polite words that may close it.
fn line_end(chunks: &[String], from: usize) -> usize {
    let mut end = chunks.len();
    while end > from && POLITE.contains(&chunks[end - 1].as_str()) {
        end -= 1;
    }
    end
}

/// "but smyth with a y s m y t h e" after an address: a word of it said again and
/// spelled to the end of the line (with "double g" and remarks on its letters), as
/// (where it ends, the word, its letters). The letters must be close to the word: the
/// same first letter, at most two more or fewer.
fn word_respelled_after(chunks: &[String], from: usize) -> Option<(usize, String, String)> {
    let end = line_end(chunks, from);
    let mut x = from;
    while x < end && CORRECTION_OPENERS.contains(&chunks[x].as_str()) {
        x += 1;
    }
    let opened = chunks[from..x]
        .iter()
        .any(|c| c == "but" || TAKE_BACK.contains(&c.as_str()));
    let word = chunks
        .get(x)
        .filter(|w| opened && w.len() >= 2 && w.bytes().all(|b| b.is_ascii_alphabetic()))?;
    x += 1;
    let plural = |c: &str| c.strip_suffix("'s").is_some_and(one_letter);
    while x < end
        && (matches!(
            chunks[x].as_str(),
            "with"
                | "two"
                | "double"
                | "that's"
                | "it's"
                | "is"
                | "spelled"
                | "spelt"
                | "so"
                | "like"
        ) || plural(&chunks[x])
            || (matches!(chunks[x].as_str(), "a" | "an") && chunks[x - 1] == "with"))
    {
        x += 1;
    }
    // "with a y": the letter named is a remark, not the spelling's first.
    if x >= 2 && matches!(chunks[x - 1].as_str(), "a" | "an") && chunks[x - 2] == "with" {
        x += usize::from(chunks.get(x).is_some_and(|c| one_letter(c)));
    }
    let mut letters = String::new();
    while x < end {
        if one_letter(&chunks[x]) {
            letters.push_str(&chunks[x]);
            x += 1;
        } else if let (Some(n), Some(l)) = (repeat(&chunks[x]), chunks.get(x + 1)) {
            if !one_letter(l) {
                return None;
            }
            letters.push_str(&l.repeat(n));
            x += 2;
        } else {
            return None;
        }
    }
    let close = letters.len() >= 3
        && letters != *word
        && letters.chars().next() == word.chars().next()
        && letters.len().abs_diff(word.len()) <= 2;
    close.then(|| (end, word.clone(), letters))
}

/// `email` with the last saying of `word` in its local part made `letters`.
fn word_put_right(email: &str, word: &str, letters: &str) -> String {
    let Some((local, domain)) = email.split_once('@') else {
        return email.to_string();
    };
    match local.rfind(word) {
        Some(x) => format!(
            "{}{letters}{}@{domain}",
            &local[..x],
            &local[x + word.len()..]
        ),
        None => email.to_string(),
    }
}

/// "rita dot k at gmail dot com, no sorry, rita dot c": the local part said again
/// after taking the address back, to the end of the line, is the one meant, when it
/// starts as the first did.
fn local_restated_after(
    chunks: &[String],
    range: Range<usize>,
    email: String,
) -> (Range<usize>, String) {
    let unchanged = (range.clone(), email.clone());
    let Some((local, domain)) = email.split_once('@') else {
        return unchanged;
    };
    let end = line_end(chunks, range.end);
    let mut x = range.end;
    while x < end && CORRECTION_OPENERS.contains(&chunks[x].as_str()) {
        x += 1;
    }
    let took_back = chunks[range.end..x]
        .iter()
        .any(|c| TAKE_BACK.contains(&c.as_str()));
    if !took_back || x >= end || end - x > 8 || chunks[x..end].iter().any(|c| c == "at") {
        return unchanged;
    }
    let mut said: Vec<String> = chunks[x..end].to_vec();
    let at = said.len();
    said.extend(["at", "example", "dot", "com"].map(String::from));
    let Some((span, again)) = spoken(&said, at, at + 1) else {
        return unchanged;
    };
    let Some((new_local, _)) = again.split_once('@') else {
        return unchanged;
    };
    let first = |l: &str| {
        l.split(['.', '_', '-', '+'])
            .next()
            .unwrap_or("")
            .to_string()
    };
    let same_start = first(new_local) == first(local) && new_local.len() > first(local).len();
    if span.start != 0 || new_local == local {
        return unchanged;
    }
    if same_start {
        return (range.start..end, format!("{new_local}@{domain}"));
    }
    // "mike dot b at gmail dot com, sorry, d as in david": a letter alone said again
    // is the local part's last letter, where that part is one letter.
    let cut = local.rfind(['.', '_', '-', '+']).map_or(0, |x| x + 1);
    if one_letter(new_local) && cut > 0 && one_letter(&local[cut..]) {
        return (
            range.start..end,
            format!("{}{new_local}@{domain}", &local[..cut]),
        );
    }
    unchanged
}

/// "at the rate yahoo dot com, and before that it's priya dot s": an address said
/// domain first, its local part after, named as what goes before the "at".
fn local_said_after(chunks: &[String], at: usize, domain: usize) -> Option<(Range<usize>, String)> {
    let end = line_end(chunks, at);
    let w = |x: usize| chunks.get(x).map(String::as_str);
    // "before that", "before the at", "before the at sign", "in front of that".
    let (said, after) = (domain..end.min(domain + 12)).find_map(|x| {
        let len = match (w(x), w(x + 1), w(x + 2), w(x + 3)) {
            (Some("before"), Some("that" | "it"), _, _) => 2,
            (Some("before"), Some("the"), Some("at"), Some("sign" | "symbol")) => 4,
            (Some("before"), Some("the"), Some("at" | "rate"), _) => 3,
            (Some("in"), Some("front"), Some("of"), Some("that" | "it")) => 4,
            _ => 0,
        };
        (len > 0).then_some((x, x + len))
    })?;
    // The domain must be said whole ("gmail dot com") or after "at the rate": "i was at
    // yahoo before that" is a sentence.
    let whole = chunks[domain..said]
        .iter()
        .any(|c| c == "dot" || c.contains('.'))
        || domain == at + 3;
    if !whole {
        return None;
    }
    let mut from = after;
    while from < end && matches!(chunks[from].as_str(), "it's" | "its" | "it" | "is" | "goes") {
        from += 1;
    }
    if from >= end || end - from > 12 || chunks[from..end].iter().any(|c| c == "at") {
        return None;
    }
    // The address as it would be said in order: the local part, then the "at" and
    // the domain, with the words between the domain and the remark left out.
    let mut order: Vec<String> = chunks[from..end].to_vec();
    let local_len = order.len();
    order.extend_from_slice(&chunks[at..said]);
    let (span, email) = spoken(&order, local_len, local_len + domain - at)?;
    let between = &order[span.end..];
    // "raj kumar": two plain words alone are the local part, as before an "at".
    let (span, email) = two_words_alone(&order[..span.end], span, email);
    let filler = |c: &str| matches!(c, "and" | "then" | "so" | "um" | "uh" | "but");
    (span.start == 0 && between.iter().all(|c| filler(c))).then_some((at..end, email))
}

/// "at not gmail sorry icloud dot com": where the domain starts after an "at" whose
/// first word is named as not meant, and the words taking it back.
fn domain_after_not(chunks: &[String], at: usize) -> Option<usize> {
    if chunks.get(at + 1).is_none_or(|c| c != "not") {
        return None;
    }
    let named = chunks.get(at + 2)?;
    if DOMAIN_STOP.contains(&named.as_str()) || !named.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let mut d = at + 3;
    while chunks.get(d).is_some_and(|c| {
        TAKE_BACK.contains(&c.as_str()) || matches!(c.as_str(), "i" | "but" | "it's" | "its" | "it")
    }) {
        d += 1;
    }
    Some(d)
}

/// Words between an address taken back and its local part spelled again ("no wait,
/// two t's, so m a t t").
const RESPELL_REMARKS: &[&str] = &[
    "it's", "its", "it", "is", "that's", "thats", "so", "i", "mean", "with", "a", "an", "two",
    "three", "double", "triple", "there's", "should", "be", "spelled", "spelt", "like", "ok",
    "okay", "oh", "then", "the", "on", "end", "one", "not", "no", "um", "uh", "let", "me", "spell",
    "again",
];

/// "b o at hotmail dot com, no wait, two b's, so b o b": letters spelled at the end of
/// the line after taking the address back are its local part (its last part, after a
/// separator) when they are close to it: the same first letter, at most two letters
/// more or fewer.
fn respelled_after(
    chunks: &[String],
    range: Range<usize>,
    email: String,
) -> (Range<usize>, String) {
    let unchanged = (range.clone(), email.clone());
    let Some((local, domain)) = email.split_once('@') else {
        return unchanged;
    };
    let mut end = chunks.len();
    while end > range.end && POLITE.contains(&chunks[end - 1].as_str()) {
        end -= 1;
    }
    // The run of letters ending the line, walking back ("double b" as two).
    let mut start = end;
    let mut letters: Vec<String> = Vec::new();
    while start > range.end && one_letter(&chunks[start - 1]) {
        start -= 1;
        let l = chunks[start].clone();
        let times = (start > range.end)
            .then(|| repeat(&chunks[start - 1]))
            .flatten()
            .unwrap_or(1);
        if times > 1 {
            start -= 1;
        }
        for _ in 0..times {
            letters.push(l.clone());
        }
    }
    letters.reverse();
    let spelled = letters.concat();
    let plural = |c: &str| c.strip_suffix("'s").is_some_and(one_letter);
    let between = &chunks[range.end..start];
    if spelled.len() < 2
        || between.len() > 12
        || !between.iter().any(|c| TAKE_BACK.contains(&c.as_str()))
        || !between.iter().all(|c| {
            TAKE_BACK.contains(&c.as_str())
                || RESPELL_REMARKS.contains(&c.as_str())
                || plural(c)
                || one_letter(c)
        })
    {
        return unchanged;
    }
    let cut = local.rfind(['.', '_', '-']).map_or(0, |x| x + 1);
    let last = &local[cut..];
    let close = last.len() >= 2
        && spelled != last
        && spelled.chars().next() == last.chars().next()
        && spelled.len().abs_diff(last.len()) <= 2;
    if !close {
        return unchanged;
    }
    (
        range.start..end,
        format!("{}{spelled}@{domain}", &local[..cut]),
    )
}

/// "kay dot lane at aol dot com, the letter k, not k a y": a part of the local part
/// that is a letter's name, said after the address to be the letter alone, is it.
fn letter_meant_after(
    chunks: &[String],
    range: Range<usize>,
    email: String,
) -> (Range<usize>, String) {
    let after = &chunks[range.end..chunks.len().min(range.end + 12)];
    let name_of = |l: &str| LETTER_NAMES.iter().find(|(_, x)| *x == l).map(|(n, _)| *n);
    // "the letter j" is "j" by now; "just j" or "j, not jay" say the same.
    let Some(x) = (0..after.len()).find(|&x| {
        let l = after[x].as_str();
        one_letter(l)
            && name_of(l).is_some()
            && (x >= 1 && matches!(after[x - 1].as_str(), "letter" | "just")
                || (after.get(x + 1).is_some_and(|n| n == "not")
                    && name_of(l).is_some_and(|n| {
                        after.get(x + 2).is_some_and(|w| w == n)
                            || after[x + 2..].concat().starts_with(n)
                    })))
    }) else {
        return (range, email);
    };
    let letter = after[x].as_str();
    let Some((local, domain)) = email.split_once('@') else {
        return (range, email);
    };
    let named = |part: &str| LETTER_NAMES.iter().any(|(n, l)| *n == part && *l == letter);
    let mut parts: Vec<String> = Vec::new();
    let mut rest = local;
    let mut changed = false;
    // The local part's words and the separators between them.
    while !rest.is_empty() {
        let cut = rest.find(['.', '_', '-', '+']).unwrap_or(rest.len());
        let (word, tail) = rest.split_at(cut);
        if named(word) && !changed {
            parts.push(letter.to_string());
            changed = true;
        } else {
            parts.push(word.to_string());
        }
        if let Some(sep) = tail.chars().next() {
            parts.push(sep.to_string());
            rest = &tail[1..];
        } else {
            rest = tail;
        }
    }
    if !changed {
        return (range, email);
    }
    // "not j a y": what the letter is not, spelled after it.
    let mut end = range.end + x + 1;
    if chunks.get(end).is_some_and(|c| c == "not") {
        end += 1;
        while chunks.get(end).is_some_and(|c| one_letter(c)) {
            end += 1;
        }
    }
    (range.start..end, format!("{}@{domain}", parts.concat()))
}

/// "chen wei at qq dot com, c h e n w e i": letters spelled right after an address
/// that end with its local part give the whole of it (the words before "at" were more
/// than one).
fn spelled_after(chunks: &[String], range: Range<usize>, email: String) -> (Range<usize>, String) {
    let run = chunks[range.end..]
        .iter()
        .take_while(|c| one_char(c))
        .count();
    let spelled = chunks[range.end..range.end + run].concat();
    match email.split_once('@') {
        Some((local, domain))
            if run >= 3 && spelled.len() > local.len() && spelled.ends_with(local) =>
        {
            // The words the letters spell again are the address's too.
            let mut start = range.start;
            let mut covered = local.to_string();
            while start > 0 {
                let wider = format!("{}{covered}", chunks[start - 1]);
                if !spelled.ends_with(&wider) {
                    break;
                }
                covered = wider;
                start -= 1;
            }
            (start..range.end + run, format!("{spelled}@{domain}"))
        }
        _ => (range, email),
    }
}

/// "jess dash and dash tom": a word between two separators is the address's, even one
/// that is elsewhere the sentence's.
fn between_separators(chunks: &[String], k: usize) -> bool {
    k >= 1
        && separator(&chunks[k - 1]).is_some()
        && chunks[k].bytes().all(|b| b.is_ascii_alphabetic())
        && !chunks[k].is_empty()
}

/// Remarks after an address that its words are one: "all one word", "no spaces".
const SAID_AS_ONE: &[&[&str]] = &[
    &["all", "one", "word"],
    &["one", "word"],
    &["all", "together"],
    &["no", "spaces"],
    &["no", "space"],
    &["no", "gap"],
    &["no", "dots"],
    &["no", "dot"],
];

/// Words before an address's local part that are the sentence's even when the caller
/// says its words are one.
const BEFORE_AN_ADDRESS: &[&str] = &[
    "is", "was", "it's", "its", "email", "e", "mail", "address", "my", "me", "to", "under", "use",
    "try", "at", "and", "or", "i", "it", "for", "on", "with", "send", "yes", "yeah", "so", "um",
    "uh", "er", "ok", "okay", "hi", "hello",
];

/// Most words that "all one word" joins into a local part.
const MAX_JOINED_WORDS: usize = 4;

/// "dan the man ninety nine at yahoo dot com, all one word": the words before the local
/// part found are part of it when the caller says the address is one word.
fn said_as_one_word(
    chunks: &[String],
    range: Range<usize>,
    email: String,
) -> (Range<usize>, String) {
    let after = &chunks[range.end..(range.end + 4).min(chunks.len())];
    let remark = SAID_AS_ONE.iter().any(|r| {
        after
            .windows(r.len())
            .any(|w| w.iter().zip(r.iter()).all(|(a, b)| a == b))
    });
    let Some((local, domain)) = email.split_once('@') else {
        return (range, email);
    };
    if !remark {
        return (range, email);
    }
    let mut start = range.start;
    while start > 0
        && range.start - start < MAX_JOINED_WORDS
        && chunks[start - 1].bytes().all(|b| b.is_ascii_alphabetic())
        && !chunks[start - 1].is_empty()
        && !BEFORE_AN_ADDRESS.contains(&chunks[start - 1].as_str())
    {
        start -= 1;
    }
    if start == range.start {
        return (range, email);
    }
    let words = chunks[start..range.start].concat();
    (start..range.end, format!("{words}{local}@{domain}"))
}

/// Words that may open a line that is otherwise only an address ("it's", "put down",
/// "send it to").
const LEAD_IN: &[&str] = &[
    "put", "down", "write", "note", "take", "that's", "thats", "that", "sure", "right", "well",
    "please", "email's", "name", "the", "should", "be", "can", "you", "reach", "as", "oh", "yep",
    "hey", "now", "just", "copy", "mine", "here",
];

/// Words after an address that leave the line only the address.
const POLITE: &[&str] = &["please", "thanks", "thank", "you", "cheers", "ta"];

/// Words that are never the first of two plain words making a local part.
const NOT_A_NAME: &[&str] = &[
    "thanks", "please", "hey", "yes", "yeah", "no", "ok", "okay", "sure", "right", "well", "so",
    "now", "just", "oh", "email", "mail", "address", "name", "send", "put", "write", "down",
    "copy", "reach", "contact", "forward", "reply", "then", "also", "sorry", "wait", "mean",
    "actually", "here", "there", "this", "that", "hello", "hi", "again", "still", "only",
];

/// "frank miller at gmail dot com" said alone (or after "it's", "put down"): two plain
/// words before "at" are the local part when the line says nothing else, as callers
/// whose address is their name say it. In a sentence the first word may be its own.
fn two_words_alone(
    chunks: &[String],
    range: Range<usize>,
    email: String,
) -> (Range<usize>, String) {
    let s = range.start;
    let Some((local, domain)) = email.split_once('@') else {
        return (range, email);
    };
    let plain = |w: &str| w.len() >= 2 && w.bytes().all(|b| b.is_ascii_alphabetic());
    let name = |w: &str| {
        plain(w)
            && !LOCAL_STOP.contains(&w)
            && !BEFORE_AN_ADDRESS.contains(&w)
            && !NOT_A_NAME.contains(&w)
            && !TAKE_BACK.contains(&w)
            && !ADDRESS_KINDS.contains(&w)
            && spelled_unit(w).is_none()
            && teen_or_tens(w).is_none()
    };
    let alone = s >= 1
        && chunks[s] == local
        && name(local)
        && name(&chunks[s - 1])
        && chunks[range.end..]
            .iter()
            .all(|w| POLITE.contains(&w.as_str()))
        && chunks[..s - 1]
            .iter()
            .all(|w| LEAD_IN.contains(&w.as_str()) || BEFORE_AN_ADDRESS.contains(&w.as_str()));
    if !alone {
        return (range, email);
    }
    (
        s - 1..range.end,
        format!("{}{local}@{domain}", chunks[s - 1]),
    )
}

/// Words that take back what was just said ("no sorry", "i mean", "actually").
const TAKE_BACK: &[&str] = &["no", "sorry", "mean", "actually", "wait", "oops", "rather"];

/// "c h r i s at gmail, no sorry, at outlook dot com": an "at" right after an email and
/// a word taking it back gives that email a new domain; the whole span is the email. The
/// new domain may be said without its "at" ("at hotmail no gmail dot com").
fn domain_corrected(
    chunks: &[String],
    at: usize,
    last: Option<&(Range<usize>, String)>,
) -> Option<(Range<usize>, String)> {
    let (range, email) = last?;
    if at < range.end || at - range.end > 4 {
        return None;
    }
    // "at hotmail, no, gmail dot com": the new domain may come without its "at".
    let with_at = chunks[at] == "at";
    // "at outlook dot com, no wait, dot co dot uk": a new ending for the same name.
    let ending = chunks[at] == "dot" && at > range.end;
    let domain_word = |c: &str| {
        !DOMAIN_STOP.contains(&c)
            && !TAKE_BACK.contains(&c)
            && c.chars().all(|ch| ch.is_ascii_alphanumeric())
    };
    if !with_at && !ending && (at == range.end || !domain_word(&chunks[at])) {
        return None;
    }
    let between = &chunks[range.end..at];
    let filler = |c: &str| {
        TAKE_BACK.contains(&c)
            || matches!(
                c,
                "i" | "it's" | "its" | "make" | "that" | "oh" | "um" | "uh"
            )
    };
    if !between.iter().any(|c| TAKE_BACK.contains(&c.as_str()))
        || !between.iter().all(|c| filler(c))
    {
        return None;
    }
    let (local, domain) = email.rsplit_once('@')?;
    let mut said = vec![local.to_string()];
    if !with_at {
        said.push("at".to_string());
    }
    if ending {
        said.push(domain.split('.').next()?.to_string());
    }
    let added = said.len();
    said.extend_from_slice(&chunks[at..]);
    let (span, fixed) = spoken(&said, 1, 2)?;
    (span.start == 0).then(|| (range.start..at + span.end - added, fixed))
}

/// "john.smith@example.com." → "john.smith@example.com".
fn literal(chunk: &str) -> Option<String> {
    let chunk = chunk.trim_end_matches('.');
    let (local, domain) = chunk.rsplit_once('@')?;
    let local = local.trim_start_matches(|c: char| !c.is_alphanumeric());
    if local.is_empty() || !local.chars().all(is_local_char) {
        return None;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    valid_domain(&labels).then(|| format!("{local}@{domain}"))
}

fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+')
}

fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !s.starts_with('-')
}

/// At least two labels and an alphabetic top-level domain of 2 to 6 letters.
fn valid_domain(labels: &[&str]) -> bool {
    labels.len() >= 2
        && labels.iter().all(|l| is_label(l))
        && labels.last().is_some_and(|t| {
            (2..=6).contains(&t.len()) && t.chars().all(|c| c.is_ascii_alphabetic())
        })
}

/// One spelled character of a local part: a letter or digit said alone, a run of
/// digits, or a digit said as a word ("j o h n five", "r j three two one").
fn spelled_unit(c: &str) -> Option<String> {
    let digit = match c {
        "zero" | "oh" => "0",
        "one" => "1",
        "two" => "2",
        "three" => "3",
        "four" => "4",
        "five" => "5",
        "six" => "6",
        "seven" => "7",
        "eight" => "8",
        "nine" => "9",
        _ => "",
    };
    if !digit.is_empty() {
        return Some(digit.to_string());
    }
    if let Some(n) = teen_or_tens(c) {
        return Some(n.to_string());
    }
    let single = c.chars().count() == 1 && c.chars().all(|ch| ch.is_ascii_alphanumeric());
    (single || (!c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))).then(|| c.to_string())
}

/// "ten" to "nineteen", and "twenty" to "ninety" (joined to a digit after it when
/// walking back: "seventy four" is 74).
fn teen_or_tens(c: &str) -> Option<u32> {
    if let Some(n) = (10..20).find(|&n| st::SMALL[n] == c) {
        return Some(n as u32);
    }
    (2..10).find(|&t| st::TENS[t] == c).map(|t| t as u32 * 10)
}

/// How many times "double" and "triple" repeat the spelled character after them.
fn repeat(c: &str) -> Option<usize> {
    match c {
        "double" => Some(2),
        "triple" => Some(3),
        _ => None,
    }
}

/// "seventy four" walking back: the digit just taken ("4") and the tens word before it
/// ("seventy") are one number, 74, not "704".
fn tens_joined(chunks: &[String], parts: &mut [String], k: &mut usize) {
    let Some(last) = parts.last_mut() else { return };
    let unit = last.len() == 1 && last.bytes().all(|b| (b'1'..=b'9').contains(&b));
    let tens = (*k >= 1)
        .then(|| teen_or_tens(&chunks[*k - 1]))
        .flatten()
        .filter(|n| *n >= 20);
    if let (true, Some(t)) = (unit, tens) {
        *last = (t / 10).to_string() + last;
        *k -= 1;
    }
}

/// Most words a label said in parts may have before its "dot" ("tidy homes l t d dot
/// co dot uk").
const MAX_LABEL_WORDS: usize = 5;

/// Words of [`DOMAIN_STOP`] that may stand inside a company's name in a label said in
/// parts ("maple and oak dot org", "fix it plumbing dot com"), never first.
const INSIDE_A_NAME: &[&str] = &[
    "and", "it", "of", "the", "my", "for", "on", "me", "by", "home", "work",
];

/// A spoken email around the "at" at `chunks[at]`, its domain from `chunks[domain]`.
/// Most characters of a domain label spelled one by one ("z a c h dot io").
const MAX_SPELLED_LABEL: usize = 16;

fn spoken(chunks: &[String], at: usize, domain: usize) -> Option<(Range<usize>, String)> {
    // Domain: label ("dot" label)+, where a chunk may itself hold dots ("gmail.com").
    // A label the recogniser split ("g mail", "b t internet", "a o l") is the chunks up
    // to the next "dot", joined; the last label is one word or a few spelled letters
    // ("u k"), so the words after the address stay out of it.
    let mut labels: Vec<String> = Vec::new();
    let mut j = domain;
    // "point" is a dot only before a known ending, so "at bob point" stays words.
    let is_dot_at = |x: usize| match chunks[x].as_str() {
        "dot" | "." | "period" => true,
        "point" => chunks
            .get(x + 1)
            .is_some_and(|n| POINT_ENDINGS.contains(&n.trim_end_matches('.'))),
        _ => false,
    };
    loop {
        // A label spelled letter by letter ("z a c h dot io") may be longer than the
        // few words a split label has.
        let spelled_run = chunks[j.min(chunks.len())..]
            .iter()
            .take(MAX_SPELLED_LABEL + 1)
            .take_while(|c| spelled_unit(c).is_some())
            .count();
        let dot_at = (j..(j + MAX_LABEL_WORDS + 1)
            .max(j + spelled_run + 1)
            .min(chunks.len()))
            .find(|&x| is_dot_at(x));
        let group: Vec<&str> = match dot_at {
            Some(d)
                if d > j
                    && (d - j >= 2 && chunks[j..d].iter().all(|c| one_char(c))
                        // A name said in words is the first label: after a dot, words
                        // are the sentence's ("dot com not ben dot p").
                        || (labels.is_empty() || d - j == 1)
                        && chunks[j..d].iter().enumerate().all(|(x, c)| {
                            c != "at"
                                && c != "not"
                                && !TAKE_BACK.contains(&c.as_str())
                                && (!DOMAIN_STOP.contains(&c.as_str())
                                    || (x > 0 && INSIDE_A_NAME.contains(&c.as_str()))
                                    || stop_word_starts_domain(chunks, j + x))
                        })) =>
            {
                chunks[j..d].iter().map(String::as_str).collect()
            }
            _ => {
                // The last label: a word, or letters spelled one by one.
                let mut g = vec![chunks.get(j)?.as_str()];
                let single = one_letter;
                if single(g[0]) {
                    while g.len() < 3 && chunks.get(j + g.len()).is_some_and(|c| single(c)) {
                        g.push(chunks[j + g.len()].as_str());
                    }
                }
                g
            }
        };
        // "k nine dogs": a number word beside a spelled letter is a digit of the label,
        // and so is each of digits said one by one ("one six three dot com").
        let digit_word = |c: &str| {
            spelled_unit(c).is_some_and(|u| u.len() == 1 && u.as_bytes()[0].is_ascii_digit())
        };
        let spelled_group = group.iter().any(|c| one_letter(c))
            || (group.len() >= 2 && group.iter().all(|c| digit_word(c)));
        let letter_name = |c: &str| LETTER_NAMES.iter().find(|(n, _)| *n == c).map(|(_, l)| *l);
        let joined: String = group
            .iter()
            .map(|c| match *c {
                // "gee mail": a letter's name in a label said in parts is the letter.
                name if group.len() >= 2 && letter_name(name).is_some() => {
                    letter_name(name).unwrap_or(name).to_string()
                }
                "dash" | "hyphen" => "-".to_string(),
                other if spelled_group && !one_char(other) => match spelled_unit(other) {
                    Some(digit) if other.bytes().all(|b| b.is_ascii_alphabetic()) => digit,
                    _ => other.to_string(),
                },
                other => other.to_string(),
            })
            .collect();
        // "sue's crafts": an address has no apostrophe.
        let joined = joined.replace('\'', "");
        // "dot come", "dot calm": the ending "com" as recognisers write it, after a dot.
        let joined = match joined.as_str() {
            "come" | "calm" | "comb" | "con" if !labels.is_empty() => "com".to_string(),
            _ => joined,
        };
        let chunk = joined.trim_end_matches('.');
        let parts: Vec<&str> = chunk.split('.').collect();
        if !parts.iter().all(|p| is_label(p)) || parts.len() > 4 {
            break;
        }
        labels.extend(parts.iter().map(|p| p.to_string()));
        j += group.len();
        // "dot co uk": the last dot left unsaid.
        if labels.last().is_some_and(|l| l == "co") && chunks.get(j).is_some_and(|c| c == "uk") {
            labels.push("uk".to_string());
            j += 1;
            break;
        }
        let more = j < chunks.len()
            && is_dot_at(j)
            && chunks
                .get(j + 1)
                .is_some_and(|c| is_label(c.trim_end_matches('.')));
        if !more || labels.len() >= 6 {
            break;
        }
        j += 1;
    }
    // "at gee male", "at yah who": a service's name misheard as words that sound like it.
    if let Some(service) = labels.first().and_then(|l| misheard_service(l)) {
        labels[0] = service.to_string();
    }
    // "at gmail", said without its ending, when nothing else follows as a label.
    if labels.len() == 1 && DOT_COM_SERVICES.contains(&labels[0].as_str()) {
        labels.push("com".to_string());
    }
    // A trailing "dot" that led nowhere is not part of the domain.
    let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    if !valid_domain(&label_refs)
        || (DOMAIN_STOP.contains(&chunks[domain].as_str())
            && !stop_word_starts_domain(chunks, domain))
    {
        return None;
    }
    let end = j;
    // "on friday at jane dot doe at gmail dot com": the first "at" is not the address's.
    if chunks.get(end).is_some_and(|c| c == "at") {
        return None;
    }

    // Local part, walking back from "at".
    let mut parts: Vec<String> = Vec::new();
    let mut k = at;
    let local_word =
        |c: &str| !LOCAL_STOP.contains(&c) && !c.is_empty() && c.chars().all(is_local_char);
    let core = chunks.get(at.checked_sub(1)?)?;
    // A spelled letter that is also a sentence word ("s t e v e at") ends a local part
    // when the chunk before it is spelled too (or doubles it: "double e at").
    let spelled_letter_core = matches!(core.as_str(), "a" | "e" | "i")
        && at >= 2
        && (spelled_unit(&chunks[at - 2]).is_some()
            || repeat(&chunks[at - 2]).is_some()
            || separator(&chunks[at - 2]).is_some());
    if !(local_word(core) || spelled_letter_core) || separator(core).is_some() {
        return None;
    }
    // A digit said as a word counts as spelled only beside other spelled characters
    // ("j o h n five at"), so "jane nine at" keeps the word before it too.
    let core_unit = spelled_unit(core);
    parts.push(core_unit.clone().unwrap_or_else(|| core.clone()));
    k -= 1;
    tens_joined(chunks, &mut parts, &mut k);
    // "jo 42 at ...": digits alone are rarely a whole local part; take the word before.
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if digits(&parts[0])
        && k >= 1
        && local_word(&chunks[k - 1])
        && spelled_unit(&chunks[k - 1]).is_none()
        && repeat(&chunks[k - 1]).is_none()
        && separator(&chunks[k - 1]).is_none()
    {
        parts.push(chunks[k - 1].clone());
        k -= 1;
    }
    // "mike h at ...": a name and the initial after it are one local part, as "j smith"
    // is the other way round.
    let letter = one_letter;
    let name_before = |k: usize| {
        k >= 1
            && local_word(&chunks[k - 1])
            && chunks[k - 1].len() > 1
            && chunks[k - 1].bytes().all(|b| b.is_ascii_alphabetic())
            && spelled_unit(&chunks[k - 1]).is_none()
            && repeat(&chunks[k - 1]).is_none()
            && separator(&chunks[k - 1]).is_none()
            && !NOT_A_NAME.contains(&chunks[k - 1].as_str())
            && !TAKE_BACK.contains(&chunks[k - 1].as_str())
    };
    if letter(&parts[0]) && name_before(k) {
        parts.push(chunks[k - 1].clone());
        k -= 1;
    }
    // Bounded so a pathological run of letters cannot make this quadratic.
    while parts.len() < 64 {
        // Before a separator, a spelled letter counts even when it is also a word of the
        // sentence ("m i k e dot r o s s").
        let single_letter = one_char;
        // "x underscore underscore y": a separator said twice is two.
        if k >= 2 && separator(&chunks[k - 1]).is_some() && separator(&chunks[k - 2]).is_some() {
            let sep = separator(&chunks[k - 1]).expect("checked just above");
            parts.push(sep.to_string());
            k -= 1;
            continue;
        }
        // "the dot green dot door": "the" may open a local part of dotted words.
        let the_opens = chunks[k.saturating_sub(2)] == "the" && parts.iter().any(|p| p == ".");
        if k >= 2
            && separator(&chunks[k - 1]).is_some()
            && (local_word(&chunks[k - 2])
                || single_letter(&chunks[k - 2])
                || between_separators(chunks, k - 2)
                || the_opens)
        {
            let sep = separator(&chunks[k - 1]).expect("checked just above");
            parts.push(sep.to_string());
            parts.push(chunks[k - 2].clone());
            k -= 2;
            continue;
        }
        // "b e double l a": the character just taken, said twice.
        let last_single = parts.last().is_some_and(|p| p.chars().count() == 1);
        if let Some(n) = (k >= 1 && last_single)
            .then(|| repeat(&chunks[k - 1]))
            .flatten()
        {
            let mut last = parts.last().cloned().unwrap_or_default();
            // "double o seven", "one double o": an o said among digits is a zero.
            let digit = |p: Option<&str>| p.is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
            let beside_digits = digit(parts.len().checked_sub(2).map(|x| parts[x].as_str()))
                || digit(
                    (k >= 2)
                        .then(|| spelled_unit(&chunks[k - 2]))
                        .flatten()
                        .as_deref(),
                );
            if last == "o" && beside_digits {
                last = "0".to_string();
                *parts.last_mut().expect("a part was just taken") = last.clone();
            }
            for _ in 1..n {
                parts.push(last.clone());
            }
            k -= 1;
            continue;
        }
        // Spelled letters and digits ("a b c at ...", "j smith at ...", "r j three two
        // one at ..."); "a" is a letter rather than the article when the next chunk is
        // spelled too, and so are "e" and "i".
        let unit = if k >= 1 {
            spelled_unit(&chunks[k - 1])
        } else {
            None
        };
        let last_spelled = parts.last().is_some_and(|p| spelled_unit(p).is_some());
        let letter_a = k >= 1 && matches!(chunks[k - 1].as_str(), "a" | "e" | "i") && last_spelled;
        if let Some(unit) = unit {
            if local_word(&chunks[k - 1]) || letter_a {
                parts.push(unit);
                k -= 1;
                tens_joined(chunks, &mut parts, &mut k);
                continue;
            }
        }
        // "rahul underscore kumar one nine nine two at": digits spelled one by one
        // follow a word of the address, as "jo 42" does.
        // "mandy nine nine x at": so do spelled characters that start with digits.
        let all_digits = parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
            || (parts.iter().all(|p| p.chars().count() == 1)
                && parts
                    .last()
                    .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit())));
        if all_digits
            && k >= 1
            && local_word(&chunks[k - 1])
            && separator(&chunks[k - 1]).is_none()
            && repeat(&chunks[k - 1]).is_none()
        {
            parts.push(chunks[k - 1].clone());
            k -= 1;
            continue;
        }
        // "leo k two at", "nina double e at": a few characters spelled after a name
        // follow it, as one initial does.
        let chars: usize = parts.iter().map(String::len).sum();
        if chars <= 3
            && parts.iter().any(|p| letter(p))
            && parts.iter().all(|p| spelled_unit(p).is_some())
            && name_before(k)
        {
            parts.push(chunks[k - 1].clone());
            k -= 1;
            continue;
        }
        break;
    }
    parts.reverse();
    // "carl dot s at outlook, no sorry, f for freddie, carl dot f at outlook": the letter
    // said right after taking the first back is the one the restated address ends with,
    // not its first (the words after "no sorry" are also read alone, from the letter).
    let restated_letter = parts.len() >= 2
        && parts[0].len() == 1
        && parts[0].bytes().all(|b| b.is_ascii_alphabetic())
        && parts[1].len() > 1
        && parts.last().is_some_and(|l| l.ends_with(parts[0].as_str()))
        && (k == 0 || TAKE_BACK.contains(&chunks[k - 1].as_str()));
    if restated_letter {
        parts.remove(0);
        k += 1;
    }
    let local: String = parts.concat();
    if local.starts_with(['.', '-', '_', '+']) || local.len() > 64 {
        return None;
    }
    Some((k..end, format!("{local}@{}", labels.join("."))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(s: &str) -> Option<String> {
        split_emails(s).1.into_iter().next()
    }

    /// "oh" starting spelled letters, or an initial before "dot", is the letter o; among
    /// digits it stays a zero.
    #[test]
    fn oh_is_a_letter_where_letters_follow() {
        assert_eq!(
            email("oh l l i e dot b at gmail dot com"),
            Some("ollie.b@gmail.com".into())
        );
        assert_eq!(
            email("it's under oh dot brien at eircom dot net"),
            Some("o.brien@eircom.net".into())
        );
        assert_eq!(
            email("j five oh two at gmail dot com"),
            Some("j502@gmail.com".into())
        );
    }

    #[test]
    fn literal_emails() {
        assert_eq!(
            email("my email is john.smith@example.com"),
            Some("john.smith@example.com".into())
        );
        assert_eq!(
            email("send it to Tom.B@Outlook.com."),
            Some("tom.b@outlook.com".into())
        );
        assert_eq!(
            email("write to a_b-c+x@mail.example.org, thanks"),
            Some("a_b-c+x@mail.example.org".into())
        );
        assert_eq!(email("@ handle"), None);
        assert_eq!(email("me@localhost"), None);
        assert_eq!(email("x@y.c0m"), None);
    }

    /// A word spelled again after remarks, letters named alone, company names said in
    /// words, and the letter of a correction said before the address again.
    #[test]
    fn spellings_remarks_and_names_in_words() {
        for (said, want) in [
            (
                "tom dot bell b e double l at outlook dot com",
                "tom.bell@outlook.com",
            ),
            (
                "b dot o'connor that's o c o n n o r at proton dot me",
                "b.oconnor@proton.me",
            ),
            (
                "p dot o'neill but there's no apostrophe so o n e i double l at gmail dot com",
                "p.oneill@gmail.com",
            ),
            (
                "kevin dot o brien no gap o b r i e n at yahoo dot com",
                "kevin.obrien@yahoo.com",
            ),
            (
                "lorna underscore smyth that's smyth with a y s m y t h at b t internet dot com",
                "lorna_smyth@btinternet.com",
            ),
            (
                "laura with a u l a u r a dot b at outlook dot com",
                "laura.b@outlook.com",
            ),
            (
                "fatima underscore zed at yahoo dot com",
                "fatima_z@yahoo.com",
            ),
            ("double u brown at aol dot com", "wbrown@aol.com"),
            ("uh sunita dot k at gee mail dot com", "sunita.k@gmail.com"),
            (
                "mandy nine nine x at yahoo dot co dot uk",
                "mandy99x@yahoo.co.uk",
            ),
            ("info at maple and oak dot org", "info@mapleandoak.org"),
            (
                "tim at fix it plumbing dot com all one word",
                "tim@fixitplumbing.com",
            ),
            (
                "hello at tidy homes l t d dot co dot uk",
                "hello@tidyhomesltd.co.uk",
            ),
            (
                "ruth r u t h dot e at bt internet dot com",
                "ruth.e@btinternet.com",
            ),
            (
                "carl dot s at outlook no sorry f for freddie carl dot f at outlook dot com",
                "carl.f@outlook.com",
            ),
        ] {
            assert_eq!(
                split_emails(said).1.last().cloned(),
                Some(want.to_string()),
                "{said}"
            );
        }
        // A sentence's words stay the sentence's.
        assert_eq!(email("i'll be at home and then at work dot"), None);
        assert_eq!(email("we were at the shop and it was shut"), None);
    }

    #[test]
    fn spoken_emails() {
        assert_eq!(
            email("jane underscore doe at gmail dot com"),
            Some("jane_doe@gmail.com".into())
        );
        assert_eq!(
            email("my email is sam dot cole at gmail dot com i want"),
            Some("sam.cole@gmail.com".into())
        );
        assert_eq!(
            email("a b c at yahoo dot co dot uk"),
            Some("abc@yahoo.co.uk".into())
        );
        assert_eq!(
            email("my email is a b c at yahoo dot co dot uk"),
            Some("abc@yahoo.co.uk".into())
        );
        assert_eq!(
            email("send the label to j smith at hotmail dot co dot uk"),
            Some("jsmith@hotmail.co.uk".into())
        );
        assert_eq!(
            email("the order's under dan underscore p at yahoo dot co dot uk"),
            Some("dan_p@yahoo.co.uk".into())
        );
        assert_eq!(
            email("delivery for ben at example dot com move it"),
            Some("ben@example.com".into())
        );
        assert_eq!(email("mary dash jo at my dash site dot com"), None);
        // Domains the recogniser split into words or letters, and other endings.
        assert_eq!(
            email("it's tom at g mail dot com"),
            Some("tom@gmail.com".into())
        );
        assert_eq!(
            email("a n n a at b t internet dot com please"),
            Some("anna@btinternet.com".into())
        );
        assert_eq!(email("sam at a o l dot com"), Some("sam@aol.com".into()));
        // A domain spelled letter by letter however long, digits said as words in it.
        assert_eq!(
            email("z a c h at z a c h dot io"),
            Some("zach@zach.io".into())
        );
        assert_eq!(
            email("bob at c h i p s h o p dot com"),
            Some("bob@chipshop.com".into())
        );
        assert_eq!(
            email("k nine at k nine dogs dot com"),
            Some("k9@k9dogs.com".into())
        );
        assert_eq!(
            email("kate at mail dot ru thanks"),
            Some("kate@mail.ru".into())
        );
        assert_eq!(
            email("lee at shop dot c o dot u k"),
            Some("lee@shop.co.uk".into())
        );
        assert_eq!(
            email("j o h n five at g mail dot com"),
            Some("john5@gmail.com".into())
        );
        assert_eq!(email("it's bob at gmail.com"), Some("bob@gmail.com".into()));
        assert_eq!(
            email("Lucy Dot Green AT Gmail Dot Com"),
            Some("lucy.green@gmail.com".into())
        );
        assert_eq!(
            email("jo 42 at gmail dot com"),
            Some("jo42@gmail.com".into())
        );
    }

    #[test]
    fn spelled_emails_with_digit_words_and_repeats() {
        assert_eq!(
            email("my email is k a t e seven at gmail dot com"),
            Some("kate7@gmail.com".into())
        );
        assert_eq!(
            email("it's m i k e dot r o s s four two at outlook dot com"),
            Some("mike.ross42@outlook.com".into())
        );
        assert_eq!(
            email("t o double d triple three at fastmail dot com"),
            Some("todd333@fastmail.com".into())
        );
        assert_eq!(
            email("jane nine at gmail dot com"),
            Some("jane9@gmail.com".into())
        );
        assert_eq!(
            email("l i n a double e at gmail dot com"),
            Some("linaee@gmail.com".into())
        );
        assert_eq!(
            email("a n n e double l e nine at web dot de"),
            Some("annelle9@web.de".into())
        );
        assert_eq!(
            email("the email is omar underscore ali two zero zero one at gmail dot com"),
            Some("omar_ali2001@gmail.com".into())
        );
        assert_eq!(
            email("j o underscore k underscore one at gmx dot net"),
            Some("jo_k_1@gmx.net".into())
        );
        assert_eq!(
            email("it's b e n at the rate yahoo dot com"),
            Some("ben@yahoo.com".into())
        );
    }

    #[test]
    fn spelling_aids_and_two_digit_number_words() {
        assert_eq!(
            email("it's anna seventy four at yahoo dot com"),
            Some("anna74@yahoo.com".into())
        );
        assert_eq!(
            email("capital j smith eighty four at aol dot com"),
            Some("jsmith84@aol.com".into())
        );
        assert_eq!(
            email("s as in sam t as in tom e v e at gmail dot com"),
            Some("steve@gmail.com".into())
        );
        assert_eq!(
            email("b for bravo o b nineteen eighty at gmx dot net"),
            Some("bob1980@gmx.net".into())
        );
        assert_eq!(
            email("upper case k i m twelve at outlook dot com"),
            Some("kim12@outlook.com".into())
        );
        assert_eq!(
            email("d like david a n at mail dot com"),
            Some("dan@mail.com".into())
        );
        // The aid must name the letter: "a for me" is a sentence.
        let (words, _) = split_emails("get a for me");
        assert_eq!(words, ["get", "a", "for", "me"]);
        assert_eq!(
            email("john smith all one word at gmail dot com"),
            Some("johnsmith@gmail.com".into())
        );
        assert_eq!(
            email("it's jsmith at gmail"),
            Some("jsmith@gmail.com".into())
        );
        assert_eq!(
            email("maria underscore lopez at hotmail please"),
            Some("maria_lopez@hotmail.com".into())
        );
        assert_eq!(
            email("anna at sign gmail dot com"),
            Some("anna@gmail.com".into())
        );
        assert_eq!(
            email("sam dot jones at gmail dotcom"),
            Some("sam.jones@gmail.com".into())
        );
        assert_eq!(
            email("jenny at gmail period com"),
            Some("jenny@gmail.com".into())
        );
        // A place said after "at" is not a mail service.
        assert_eq!(email("i'll be home at five"), None);
    }

    #[test]
    fn spelling_as_recognisers_write_it_and_letter_names() {
        assert_eq!(
            email("m-a-r-i-a underscore l-o-p-e-z at hotmail dot com"),
            Some("maria_lopez@hotmail.com".into())
        );
        assert_eq!(
            email("It's K. A. T. E. 99 at yahoo.com"),
            Some("kate99@yahoo.com".into())
        );
        assert_eq!(
            email("email: zed x y at icloud dot com"),
            Some("zxy@icloud.com".into())
        );
        assert_eq!(
            email("dee ee vee at gmail dot com"),
            Some("dev@gmail.com".into())
        );
        assert_eq!(
            email("my email is el oh el at gmail dot com"),
            Some("lol@gmail.com".into())
        );
        // A name alone is a name, and "oh" among digits stays a zero.
        assert_eq!(
            email("it's jay at gmail dot com"),
            Some("jay@gmail.com".into())
        );
        assert_eq!(
            email("k a t e oh seven at gmail dot com"),
            Some("kate07@gmail.com".into())
        );
        let (words, _) = split_emails("the em dash is fine");
        assert_eq!(words, ["the", "em", "dash", "is", "fine"]);
    }

    #[test]
    fn initials_years_and_domains_of_place_words() {
        assert_eq!(email("mike h at me dot com"), Some("mikeh@me.com".into()));
        assert_eq!(
            email("it's mark two thousand at hotmail dot com"),
            Some("mark2000@hotmail.com".into())
        );
        assert_eq!(
            email("a l e x two thousand and five at yahoo dot com"),
            Some("alex2005@yahoo.com".into())
        );
        assert_eq!(
            email("it is c h r i s dot w at work mail dot net"),
            Some("chris.w@workmail.net".into())
        );
        assert_eq!(email("I'll be at work all day tomorrow"), None);
        assert_eq!(email("look at me dot"), None);
        assert_eq!(email("we met at noon dot"), None);
    }

    #[test]
    fn letters_named_as_callers_spell_them() {
        for (said, want) in [
            (
                "zed a c k seventy seven at outlook dot com",
                "zack77@outlook.com",
            ),
            ("kay e double l y at icloud dot com", "kelly@icloud.com"),
            (
                "double u e n d y dot l at gmail dot com",
                "wendy.l@gmail.com",
            ),
            (
                "it's the letter em then a r k o at mail dot com",
                "marko@mail.com",
            ),
            ("b o double b at gmail dot com", "bobb@gmail.com"),
        ] {
            assert_eq!(email(said).as_deref(), Some(want), "{said}");
        }
    }

    /// Remarks inside a spelled address, a word spelled again, "one" said of the
    /// address, and a word between two dashes.
    #[test]
    fn remarks_inside_an_address_are_no_part_of_it() {
        assert_eq!(
            email("it's k a t i e then the year 2 0 0 1 at outlook dot com").as_deref(),
            Some("katie2001@outlook.com")
        );
        assert_eq!(
            email("m i l o, the number seven, at proton dot me").as_deref(),
            Some("milo7@proton.me")
        );
        assert_eq!(
            email("it's thomson with a p then 44 at gmail dot com").as_deref(),
            Some("thomson44@gmail.com")
        );
        assert_eq!(
            email("the surname is nakamura, n a k a m u r a, at yahoo dot com").as_deref(),
            Some("nakamura@yahoo.com")
        );
        assert_eq!(
            email("use my old one, p dot nash at mail dot com").as_deref(),
            Some("p.nash@mail.com")
        );
        assert_eq!(
            email("sam dash or dash alex at fastmail dot com").as_deref(),
            Some("sam-or-alex@fastmail.com")
        );
    }

    /// A letter named with its case before the name it starts, or a word said again
    /// after its letters, is said once.
    #[test]
    fn an_initial_or_a_word_said_twice_is_one() {
        assert_eq!(
            email("capital r rosa dot lin at mail dot com").as_deref(),
            Some("rosa.lin@mail.com")
        );
        assert_eq!(
            email("it's k e l l y, kelly, at fastmail dot com").as_deref(),
            Some("kelly@fastmail.com")
        );
    }

    /// Letters spelled after an address, or "all one word", make its words one.
    #[test]
    fn words_of_an_address_said_as_one() {
        assert_eq!(
            email("lucky cat four all one word at gmail dot com").as_deref(),
            Some("luckycat4@gmail.com")
        );
        assert_eq!(
            email("it's li na at hey dot com, l i n a").as_deref(),
            Some("lina@hey.com")
        );
        assert_eq!(
            email("my email is big red bus at gmail dot com, all one word").as_deref(),
            Some("bigredbus@gmail.com")
        );
        assert_eq!(
            email("my email is red at gmail dot com").as_deref(),
            Some("red@gmail.com")
        );
    }

    #[test]
    fn a_domain_taken_back_is_replaced() {
        assert_eq!(
            email("it's c h r i s at gmail no sorry at outlook dot com").as_deref(),
            Some("chris@outlook.com")
        );
        assert_eq!(
            email("jane at gmail dot com no sorry i mean at yahoo dot co dot uk").as_deref(),
            Some("jane@yahoo.co.uk")
        );
        // A sentence after the address is not a correction of it.
        assert_eq!(
            email("jane at gmail dot com sorry i'll be in at work").as_deref(),
            Some("jane@gmail.com")
        );
    }

    /// An o among digits is a zero, the dot may be a full stop, and a domain taken
    /// back may be said again without its "at".
    #[test]
    fn zeros_full_stops_and_domains_said_again() {
        for (said, want) in [
            (
                "it's m i l e s double o four at gmail dot com",
                "miles004@gmail.com",
            ),
            ("t r e v one double o at aol dot com", "trev100@aol.com"),
            ("h double o k at mail dot com", "hook@mail.com"),
            ("p a m full stop g at web dot de", "pam.g@web.de"),
            ("r u t h at yahoo sorry outlook dot com", "ruth@outlook.com"),
            (
                "d a n at icloud dot com no i mean hotmail",
                "dan@hotmail.com",
            ),
        ] {
            assert_eq!(email(said).as_deref(), Some(want), "{said}");
        }
        let (words, _) = split_emails("it came to a full stop at the depot");
        assert_eq!(words[4..6], ["full", "stop"]);
        assert_eq!(
            email("gus at gmail dot com no thanks").as_deref(),
            Some("gus@gmail.com")
        );
    }

    #[test]
    fn at_without_an_address_is_not_an_email() {
        assert_eq!(email("deliver at 6 please"), None);
        assert_eq!(email("look at the dot com bubble"), None);
        assert_eq!(email("email me at gmail dot com"), None);
        assert_eq!(email("at"), None);
        assert_eq!(email("x at"), None);
        assert_eq!(email("x at y dot"), None);
        assert_eq!(email("dot at gmail dot com"), None);
    }

    /// Separators the recogniser wrote as two words or callers name otherwise: "under
    /// score", "minus", "point" before a known ending, and one said twice.
    #[test]
    fn separators_said_otherwise() {
        for (said, want) in [
            (
                "rachel under score green at gmail dot com",
                "rachel_green@gmail.com",
            ),
            ("my email is k under score p at aol dot com", "k_p@aol.com"),
            ("it's kim minus lee at yahoo dot com", "kim-lee@yahoo.com"),
            (
                "pete point ross at btinternet point com",
                "pete.ross@btinternet.com",
            ),
            ("omar period k at web period de", "omar.k@web.de"),
            (
                "x underscore underscore y at gmail dot com",
                "x__y@gmail.com",
            ),
            ("ali dot dot b at mail dot com", "ali..b@mail.com"),
        ] {
            assert_eq!(email(said).as_deref(), Some(want), "{said}");
        }
        assert_eq!(email("meet me at the point"), None);
        assert_eq!(email("at that point it broke"), None);
        assert_eq!(email("i was under score pressure at work"), None);
    }

    /// A domain said in words: remarks that they are one word or have no apostrophe,
    /// apostrophes, a service's name split in two, digits said one by one, and its
    /// words spelled again before the dot.
    #[test]
    fn domains_said_in_words() {
        for (said, want) in [
            (
                "it's jo at pine tree farms all one word dot com",
                "jo@pinetreefarms.com",
            ),
            (
                "send it to ken at kens tools no spaces dot net",
                "ken@kenstools.net",
            ),
            ("mia at mia's flowers dot com", "mia@miasflowers.com"),
            (
                "it's rob at rob's motors no apostrophe all one word dot co dot uk",
                "rob@robsmotors.co.uk",
            ),
            ("lily dot w at i cloud dot com", "lily.w@icloud.com"),
            ("it's dan at hot mail dot co dot uk", "dan@hotmail.co.uk"),
            ("li at one two six dot com", "li@126.com"),
            (
                "ava at ava's cakes no apostrophe a v a s c a k e s dot com",
                "ava@avascakes.com",
            ),
            (
                "its m a r k dot t at gmail dot com not mark dot p",
                "mark.t@gmail.com",
            ),
            (
                "write to me at pat at pats pets all one word dot org",
                "pat@patspets.org",
            ),
        ] {
            assert_eq!(email(said).as_deref(), Some(want), "{said}");
        }
        for said in [
            "we were at sams bakery all day",
            "i'm at home",
            "look at the time",
            "i'll be at the office at nine",
            "it's at one two three main street",
        ] {
            assert_eq!(email(said), None, "{said}");
        }
    }

    /// Two plain words before "at" on a line that is only the address are its local
    /// part; in a sentence, or with more said after, the last word alone is.
    #[test]
    fn two_words_alone_are_the_local_part() {
        for (said, want) in [
            ("frank miller at gmail dot com", "frankmiller@gmail.com"),
            (
                "put down greta lind at outlook dot com",
                "gretalind@outlook.com",
            ),
            ("it's nora quinn at yahoo.com thanks", "noraquinn@yahoo.com"),
            (
                "send it to omar farid at hotmail dot com",
                "omarfarid@hotmail.com",
            ),
            // Not alone: the sentence goes on, or the word before is no name.
            (
                "the parcel for bella at gmail dot com arrived",
                "bella@gmail.com",
            ),
            ("thanks tom at gmail dot com", "tom@gmail.com"),
            ("my email is red at gmail dot com", "red@gmail.com"),
            ("i want a refund paul at aol dot com", "paul@aol.com"),
            ("it's jane nine at gmail dot com", "jane9@gmail.com"),
        ] {
            assert_eq!(email(said).as_deref(), Some(want), "{said}");
        }
    }

    /// Remarks on the letters spelled, a letter said to be left out, and two words
    /// said to have no space between them.
    #[test]
    fn remarks_on_the_spelling_are_no_part_of_it() {
        for (said, want) in [
            ("a n n not with an e at gmail dot com", "ann@gmail.com"),
            ("b r i a n not with a y at gmail dot com", "brian@gmail.com"),
            (
                "p h i l l i p with two l's at yahoo dot com",
                "phillip@yahoo.com",
            ),
            (
                "s o p h i a with a p h at yahoo dot com",
                "sophia@yahoo.com",
            ),
            (
                "b e t t that's double t on the end at aol dot com",
                "bett@aol.com",
            ),
            ("j o n without an h at mail dot com", "jon@mail.com"),
            (
                "it's g r a n t no wait there's no t g r a n at mail dot com",
                "gran@mail.com",
            ),
            (
                "sean dot mc donald no space between the mc and donald at gmail dot com",
                "sean.mcdonald@gmail.com",
            ),
            (
                "it's van dyke no gap between the van and dyke at aol dot com",
                "vandyke@aol.com",
            ),
        ] {
            assert_eq!(email(said).as_deref(), Some(want), "{said}");
        }
    }

    /// Taken back after the address: a new ending, a service named as not meant, and
    /// the local part spelled again at the end of the line.
    #[test]
    fn corrections_after_the_address() {
        for (said, want) in [
            (
                "it's n e d at g mail dot com no wait it's dot co dot uk",
                "ned@gmail.co.uk",
            ),
            (
                "k i m dot l at outlook dot com sorry dot co dot uk not dot com",
                "kim.l@outlook.co.uk",
            ),
            (
                "it's ray at not yahoo sorry outlook dot com",
                "ray@outlook.com",
            ),
            ("abe at not hotmail but gmail dot com", "abe@gmail.com"),
            (
                "it's b o at hotmail dot com no wait two b's so b o b",
                "bob@hotmail.com",
            ),
            (
                "sue dot k e l at aol dot com sorry i mean k e l l y",
                "sue.kelly@aol.com",
            ),
            // Letters that are not the address's again stay out of it.
            (
                "b o at hotmail dot com no wait the order is a b c",
                "bo@hotmail.com",
            ),
        ] {
            assert_eq!(email(said).as_deref(), Some(want), "{said}");
        }
        assert_eq!(email("i'm at not my best today"), None);
    }

    /// A mail service's name heard as words that sound like it is the service; a
    /// domain of its own that only looks a little like one stays as said.
    #[test]
    fn services_misheard_as_sound_alikes() {
        for (said, want) in [
            ("it's rosa at gee male dot com", "rosa@gmail.com"),
            ("ben dot k at hot male dot co dot uk", "ben.k@hotmail.co.uk"),
            ("it's lou at yah who dot com", "lou@yahoo.com"),
            ("omar at hot mall dot com", "omar@hotmail.com"),
            ("it's ida at pmail dot com", "ida@pmail.com"),
            ("it's ida at mail dot com", "ida@mail.com"),
        ] {
            assert_eq!(email(said).as_deref(), Some(want), "{said}");
        }
        assert_eq!(email("i'm at home"), None);
        assert_eq!(email("look at the time"), None);
        assert_eq!(email("at the rate of two a week"), None);
        assert_eq!(email("i was at yahoo before that it's fine"), None);
    }

    /// A tag said after "plus" is part of the local part, as mail services let it be.
    #[test]
    fn plus_tags_stay_in_the_local_part() {
        for (said, want) in [
            (
                "rob plus receipts at gmail dot com",
                "rob+receipts@gmail.com",
            ),
            (
                "it's a dot lin plus shop at outlook dot com",
                "a.lin+shop@outlook.com",
            ),
            ("t o m plus two at fastmail dot com", "tom+2@fastmail.com"),
        ] {
            assert_eq!(email(said).as_deref(), Some(want), "{said}");
        }
        assert_eq!(email("it was forty plus postage at the till"), None);
    }

    /// A few characters spelled after a name are the name's; "just" before a letter
    /// is no name.
    #[test]
    fn a_name_and_the_few_characters_after_it() {
        for (said, want) in [
            ("it's leo k two at gmail dot com", "leok2@gmail.com"),
            ("it's nina double e at yahoo dot com", "ninaee@yahoo.com"),
            ("send it to omar j at mail dot com", "omarj@mail.com"),
            ("it's just k at kmail dot com", "k@kmail.com"),
            ("it's only r two at web dot de", "r2@web.de"),
            ("thanks r j at gmail dot com", "rj@gmail.com"),
            ("k a t e at gmail dot com", "kate@gmail.com"),
        ] {
            assert_eq!(email(said).as_deref(), Some(want), "{said}");
        }
    }

    /// "All one word" joins the words of the address, not the remarks between them.
    #[test]
    fn one_word_joins_after_the_remarks_go() {
        for (said, want) in [
            (
                "it's tom t o m then baker all one word at aol dot com",
                "tombaker@aol.com",
            ),
            (
                "lena then park all one word at mail dot com",
                "lenapark@mail.com",
            ),
            (
                "big red bus all one word at gmail dot com",
                "bigredbus@gmail.com",
            ),
        ] {
            assert_eq!(email(said).as_deref(), Some(want), "{said}");
        }
    }

    /// Letters named between a word and its spelling ("with a ph not an f") are
    /// remarks, however many.
    #[test]
    fn letters_named_before_a_spelling() {
        for (said, want) in [
            (
                "it's stefan with an f not a ph s t e f a n at gmail dot com",
                "stefan@gmail.com",
            ),
            (
                "carly with a c not with a k c a r l y at aol dot com",
                "carly@aol.com",
            ),
            (
                "ellis with two l's e l l i s at mail dot com",
                "ellis@mail.com",
            ),
            (
                "gail with an i g a i l dot t at yahoo dot com",
                "gail.t@yahoo.com",
            ),
        ] {
            assert_eq!(email(said).as_deref(), Some(want), "{said}");
        }
    }

    /// Letters spelled twice over, a remark on how a word is spelled, "the" opening a
    /// dotted name, and a letter's name said to be the letter alone.
    #[test]
    fn spellings_confirmed_in_passing() {
        for (said, want) in [
            ("it's m a r t a m a r t a at aol dot com", "marta@aol.com"),
            (
                "it's otto o t t o same both ways dot b at web dot de",
                "otto.b@web.de",
            ),
            (
                "cleo like it sounds dot ray at mail dot com",
                "cleo.ray@mail.com",
            ),
            (
                "it's the dot green dot door at gmail dot com",
                "the.green.door@gmail.com",
            ),
            (
                "kay dot lane at aol dot com that's the letter k not k a y",
                "k.lane@aol.com",
            ),
            ("em dot li at aol dot com m not em", "m.li@aol.com"),
            (
                "it's dee dot smith at mail dot com just the letter d",
                "d.smith@mail.com",
            ),
        ] {
            assert_eq!(email(said).as_deref(), Some(want), "{said}");
        }
        // "The" alone before an address is the sentence's; letters said once stay.
        assert_eq!(
            email("it's the green at gmail dot com").as_deref(),
            Some("green@gmail.com")
        );
        assert_eq!(
            email("a n n a at mail dot com").as_deref(),
            Some("anna@mail.com")
        );
        assert_eq!(
            email("b o b o at mail dot com").as_deref(),
            Some("bobo@mail.com")
        );
    }

    /// After the address, a word of it spelled again or its local part said again
    /// puts it right.
    #[test]
    fn a_local_part_put_right_after_the_address() {
        for (said, want) in [
            (
                "it's rita dot k at gmail dot com no sorry rita dot c",
                "rita.c@gmail.com",
            ),
            (
                "leon underscore b at aol dot com sorry i mean leon underscore p p for peter",
                "leon_p@aol.com",
            ),
            (
                "ann smyth at mail dot com but smyth with a y s m y t h e",
                "annsmythe@mail.com",
            ),
            (
                "it's max dot fisher at yahoo dot com no fisher is f i s c h e r",
                "max.fischer@yahoo.com",
            ),
        ] {
            assert_eq!(email(said).as_deref(), Some(want), "{said}");
        }
        // What follows is no restatement of the address.
        for (said, want) in [
            (
                "ben dot k at gmail dot com no sorry the order is late",
                "ben.k@gmail.com",
            ),
            ("ben dot k at gmail dot com no thanks", "ben.k@gmail.com"),
            (
                "ben dot k at gmail dot com sorry i mean lee dot k",
                "ben.k@gmail.com",
            ),
        ] {
            assert_eq!(email(said).as_deref(), Some(want), "{said}");
        }
    }

    /// A domain's words taken back and said again before the dot are the ones meant.
    #[test]
    fn a_domain_said_again_before_its_dot() {
        for (said, want) in [
            (
                "it's sam at sam's bikes no not sam's sams bikes dot com",
                "sam@samsbikes.com",
            ),
            (
                "jo at green leaf sorry green leaves dot co dot uk",
                "jo@greenleaves.co.uk",
            ),
            (
                "kim at blue sky no i mean blu sky no spaces dot net",
                "kim@blusky.net",
            ),
            ("it's al at hotmail no gmail dot com", "al@gmail.com"),
        ] {
            assert_eq!(email(said).as_deref(), Some(want), "{said}");
        }
        assert_eq!(email("i was at home no not really dot"), None);
    }

    /// An address said domain first, its local part after and named as what goes
    /// before the "at".
    #[test]
    fn a_local_part_said_after_its_domain() {
        for (said, want) in [
            (
                "it's at the rate yahoo dot com and before that it's priya dot s",
                "priya.s@yahoo.com",
            ),
            (
                "at outlook dot com and before the at sign is leo one two",
                "leo12@outlook.com",
            ),
        ] {
            assert_eq!(email(said).as_deref(), Some(want), "{said}");
        }
        assert_eq!(email("i'll be at home and before that it's work"), None);
        assert_eq!(email("at the rate of two a week"), None);
        assert_eq!(email("i was at yahoo before that it's fine"), None);
    }

    /// Letters a word lacks said after it, a service split as it sounds, and the last
    /// dot of "co uk" left unsaid.
    #[test]
    fn remarks_and_endings_said_loosely() {
        for (said, want) in [
            (
                "it's rafe with an f not a ph at mail dot com",
                "rafe@mail.com",
            ),
            ("it's cal not a k at aol dot com", "cal@aol.com"),
            ("sue at eye cloud dot com", "sue@icloud.com"),
            ("it's ned at hot mail dot co uk", "ned@hotmail.co.uk"),
            (
                "at gmail dot com and before that it's ravi shah",
                "ravishah@gmail.com",
            ),
        ] {
            assert_eq!(email(said).as_deref(), Some(want), "{said}");
        }
        assert_eq!(email("i'm not a k pop fan at all"), None);
    }

    /// Parts joined by "then", a last initial said again after taking it back, and
    /// ".com" written as the word it sounds like.
    #[test]
    fn parts_initials_and_endings_said_again() {
        for (said, want) in [
            (
                "it's rae then khan then 12 at gmail dot com",
                "raekhan12@gmail.com",
            ),
            (
                "it's ian dot p at aol dot com sorry it's t as in tango",
                "ian.t@aol.com",
            ),
            ("it's ola at gmail dot come", "ola@gmail.com"),
        ] {
            assert_eq!(email(said).as_deref(), Some(want), "{said}");
        }
        // A "then" of the sentence before the address joins nothing.
        let (words, emails) = split_emails("i sent shoes then boots and it's ola at gmail dot com");
        assert_eq!(emails, ["ola@gmail.com"]);
        assert!(words.iter().any(|w| w == "boots"), "{words:?}");
        assert_eq!(
            email("it's ian dot p at aol dot com sorry i'm in a rush"),
            Some("ian.p@aol.com".into())
        );
        assert_eq!(email("we can come at five"), None);
    }

    #[test]
    fn emails_become_one_placeholder_word() {
        let (words, emails) = split_emails("order 123 for bob dot lee at example dot com please");
        assert_eq!(words, ["order", "123", "for", OPAQUE, "please"]);
        assert_eq!(emails, ["bob.lee@example.com"]);
    }
}

//! Self-corrections: "seven eight seven one oh, no wait, seven eight seven oh one".
//! What follows the last correction replaces what was said before it.

use voxorder_domain::speech_text::{digit_word, is_number_word};

/// Words a speaker uses to take back what they just said. A bare "no" counts only
/// between commas or after a hesitation ("sixteen, no, eighteen"; "six, er no, nine"):
/// elsewhere it is part of what is said ("no dots", "no that's not a joke"). "Hang on"
/// alone is a pause in the middle of a number, not a correction.
const CORRECTIONS: &[&str] = &[
    "no wait",
    "sorry i mean",
    "i mean",
    "i meant",
    "make that",
    "make it",
    "correction",
    "no sorry",
    "sorry no",
    "no hang on",
    ", no,",
    "er no",
    "uh no",
    "um no",
    "actually",
    "or rather",
    "scratch that",
    "i skipped one",
    "i missed one",
    "missed a digit",
    "skipped a digit",
    "missed a number",
    "meant to be",
    "should have been",
    ", sorry,",
    ", nah,",
    "nah make it",
    "let me start again",
    "start again",
    "from the top",
];

/// The text after the last self-correction, if there is one with something after it.
pub fn after_correction(text: &str) -> Option<&str> {
    if !text.is_ascii() {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let end = CORRECTIONS
        .iter()
        .filter_map(|c| rfind_words(&lower, c).map(|i| i + c.len()))
        .chain(restart(text))
        .chain(no_between_numbers(&lower))
        .chain(no_then_said_again(&lower))
        .chain(a_number_taken_back_at_the_end(&lower))
        .max()
        .or_else(|| after_echo(text))?;
    let tail = text[end..].trim_start_matches([',', ' ', '.', '-']);
    (!tail.trim().is_empty()).then_some(tail)
}

/// The last place a phrase stands as whole words ("make it", not "to make items").
fn rfind_words(lower: &str, phrase: &str) -> Option<usize> {
    let bytes = lower.as_bytes();
    let edge = |i: usize| bytes.get(i).is_none_or(|b| !b.is_ascii_alphanumeric());
    lower.rmatch_indices(phrase).map(|(i, _)| i).find(|&i| {
        let starts = i == 0 || edge(i - 1) || !phrase.as_bytes()[0].is_ascii_alphanumeric();
        starts && edge(i + phrase.len())
    })
}

/// Where a restart begins: after a trailing-off ("…") the caller says again the words
/// they had just begun with ("nine oh four... nine oh four two two seven…"). Only a
/// repeat counts: a pause inside one number ("five one two... three four") goes on.
fn restart(text: &str) -> Option<usize> {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect()
    };
    let lower = text.to_ascii_lowercase();
    PAUSES
        .iter()
        .flat_map(|p| lower.match_indices(p).map(|(i, m)| (i, i + m.len())))
        .filter(|&(i, end)| {
            let before = words(&text[..i]);
            let after = words(&text[end..]);
            let run = &before[before.len().saturating_sub(RESTART_LOOKBACK)..];
            after.len() >= 2 && run.windows(2).any(|w| w == &after[..2])
        })
        .map(|(_, end)| end)
        .max()
}

/// Where the rest begins after a bare "no" between two numbers, as a recogniser prints
/// it without commas ("one two six six ah no one two seven", "three no four packs"):
/// the number after it replaces the one before.
fn no_between_numbers(lower: &str) -> Option<usize> {
    let numeric = |w: &str| {
        is_number_word(w)
            || matches!(w, "double" | "triple")
            || (!w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()))
    };
    let words = words_at(lower);
    words
        .iter()
        .enumerate()
        .filter(|&(k, &(_, w))| {
            let before = words[..k]
                .iter()
                .rev()
                .map(|&(_, w)| w)
                .find(|w| !HESITATIONS.contains(w));
            w == "no"
                && before.is_some_and(numeric)
                && words.get(k + 1).is_some_and(|&(_, next)| numeric(next))
        })
        .map(|(_, &(at, w))| at + w.len())
        .max()
}

/// "Six tins of the salmon cat food sorry eight", "two of the HDMI cables. No, three.":
/// a number said after "sorry" or "no" at the very end, once a number was said before,
/// replaces it.
fn a_number_taken_back_at_the_end(lower: &str) -> Option<usize> {
    let numeric =
        |w: &str| is_number_word(w) || (!w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()));
    let words = words_at(lower);
    let last = words.len().checked_sub(1)?;
    let at = (1..last).rev().find(|&k| {
        matches!(words[k].1, "sorry" | "no" | "nah" | "oops")
            && numeric(words[k + 1].1)
            && words[k + 2..]
                .iter()
                .all(|&(_, w)| matches!(w, "please" | "thanks" | "actually" | "then"))
    })?;
    words[..at]
        .iter()
        .any(|&(_, w)| numeric(w) && w != "one")
        .then(|| words[at].0 + words[at].1.len())
}

/// The last unit of time said ("days", "weeks", "months"), in the plural.
pub fn last_time_unit(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    words_at(&lower).iter().rev().find_map(|&(_, w)| match w {
        "day" | "days" => Some("days"),
        "week" | "weeks" => Some("weeks"),
        "month" | "months" => Some("months"),
        _ => None,
    })
}

/// "Every month no every three weeks", "on friday no on saturday": a bare "no" followed by
/// the words that began what it takes back says that part again, corrected.
fn no_then_said_again(lower: &str) -> Option<usize> {
    let words = words_at(lower);
    (1..words.len().saturating_sub(2))
        .filter(|&k| {
            let again = words[k + 1].1;
            words[k].1 == "no"
                && again != "no"
                && words[k.saturating_sub(3)..k]
                    .iter()
                    .any(|&(_, w)| w == again && !HESITATIONS.contains(&w))
        })
        .map(|k| words[k].0 + 2)
        .max()
}

/// The words of `lower`, each with where it starts.
fn words_at(lower: &str) -> Vec<(usize, &str)> {
    lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .zip(word_starts(lower))
        .filter(|(w, _)| !w.is_empty())
        .map(|(w, at)| (at, w))
        .collect()
}

/// The start of every piece `split` makes of `lower` on non-alphanumeric characters.
fn word_starts(lower: &str) -> impl Iterator<Item = usize> + '_ {
    std::iter::once(0).chain(
        lower
            .char_indices()
            .filter(|&(_, c)| !c.is_ascii_alphanumeric())
            .map(|(i, c)| i + c.len_utf8()),
    )
}

/// Sounds a caller makes before taking a number back ("six six ah no").
const HESITATIONS: &[&str] = &["ah", "er", "erm", "uh", "um", "hmm"];

/// A trailing-off, or a hesitation between commas, after which a caller may start
/// again ("two seven six, ah, two seven six oh one").
const PAUSES: &[&str] = &[
    "...", ", ah,", ", er,", ", erm,", ", um,", ", uh,", ", hmm,",
];

/// How many words before a trailing-off a restart may repeat from.
const RESTART_LOOKBACK: usize = 4;

/// Most words of a first sentence that only echoes what was said to the caller, as a
/// question ("Wait, the fifteenth?").
const MAX_ECHO_WORDS: usize = 4;

/// Where the rest begins after a short first question that echoes what the caller
/// heard ("Wait, the fifteenth? I need it by Tuesday the eighth"): what they say next is
/// what they want, as after a correction.
fn after_echo(text: &str) -> Option<usize> {
    let at = text.find('?')?;
    let words = text[..at].split_whitespace().count();
    (words <= MAX_ECHO_WORDS && !text[at + 1..].trim().is_empty()).then_some(at + 1)
}

/// Words that take back a request the caller never made ("no, I don't want to change
/// the address").
const DENIALS: &[&str] = &[
    "don't want to",
    "do not want to",
    "didn't ask",
    "did not ask",
    "never asked",
    "not asking",
    "not what i asked",
    "not what i said",
];

/// What follows a sentence that takes back a request ("What? No, I don't want to change
/// the address. I want to cancel the order."): the request the caller does make, when
/// something follows. None when no sentence takes one back, or nothing follows it.
pub fn after_denied_request(text: &str) -> Option<&str> {
    let lower = text.to_ascii_lowercase();
    if !text.is_ascii() || !DENIALS.iter().any(|d| lower.contains(d)) {
        return None;
    }
    let mut start = 0;
    let mut after = None;
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '?' | '!' | ';') {
            let sentence = &lower[start..i];
            if DENIALS.iter().any(|d| sentence.contains(d)) {
                after = Some(i + 1);
            }
            start = i + 1;
        }
    }
    let tail = text[after?..].trim();
    (tail.split_whitespace().count() >= 2).then_some(tail)
}

/// Words that take back what was just asked, in the same breath.
const RETRACTIONS: &[&str] = &[
    "actually wait",
    "actually no",
    "no wait",
    "wait no",
    "on second thought",
    "on second thoughts",
    "scratch that",
    "forget what i said",
];

/// "No, I don't want it any more, cancel it. Actually wait, keep it, yes I confirm": the
/// request is what follows the last words that take back what came before them (at
/// least two words of it).
pub fn after_retraction(text: &str) -> Option<&str> {
    if !text.is_ascii() {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let at = RETRACTIONS
        .iter()
        .filter_map(|r| {
            lower.rmatch_indices(r).find_map(|(i, m)| {
                let starts_word = i == 0 || !lower.as_bytes()[i - 1].is_ascii_alphanumeric();
                let end = i + m.len();
                let ends_word = lower
                    .as_bytes()
                    .get(end)
                    .is_none_or(|b| !b.is_ascii_alphanumeric());
                (starts_word && ends_word).then_some(end)
            })
        })
        .max()?;
    let tail = text[at..]
        .trim_start_matches([',', '.', ' ', '!', ';', ':', '-'])
        .trim();
    // "No wait, don't cancel, just pause it till after Christmas": the clause that
    // takes the first request back is no request either; what follows it is.
    let lower_tail = tail.to_ascii_lowercase();
    let taken_back = ["don't ", "do not ", "dont ", "not "]
        .iter()
        .any(|p| lower_tail.starts_with(p));
    // Only when another request follows ("just pause it", "instead move it"): "don't
    // cancel it, I'll keep it" keeps the order, which the whole says.
    let tail = match tail.find(',').filter(|_| taken_back) {
        Some(comma) => {
            let after = tail[comma + 1..].trim();
            // The text is ASCII (checked above), so both cases index alike.
            let lower_after = lower_tail[comma + 1..].trim();
            let another = ["just ", "instead ", "but "]
                .iter()
                .any(|p| lower_after.starts_with(p));
            if another && after.split_whitespace().count() >= 2 {
                after
            } else {
                tail
            }
        }
        None => tail,
    };
    (tail.split_whitespace().count() >= 2 && !rescopes_only(tail)).then_some(tail)
}

/// "Cancel the order, no wait, the whole order, not just the socks", "send these jeans back,
/// no wait, both pairs": what follows says again how much the request covers, and the
/// request is still the one said before it.
fn rescopes_only(tail: &str) -> bool {
    let lower = tail.to_ascii_lowercase();
    let mut words = lower
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty());
    // "Just the socks", "only one": how much; "just pause it": another request.
    matches!(
        (words.next(), words.next()),
        (Some("both" | "all" | "whole"), _)
            | (
                Some("just" | "only"),
                None | Some(
                    "the"
                        | "one"
                        | "that"
                        | "this"
                        | "those"
                        | "these"
                        | "a"
                        | "an"
                        | "my"
                        | "half"
                        | "two"
                        | "three"
                        | "some"
                )
            )
            | (Some("the" | "my"), Some("whole" | "entire" | "lot"))
            | (Some("not"), Some("just" | "only"))
    )
}

/// Phrases that start a second request, and how many of their words go before it
/// ("and can you …": the request starts at "can").
const SECOND_REQUEST: &[(&str, usize)] = &[
    ("and while i have you", 5),
    ("and while you're at it", 5),
    ("and another thing", 3),
    ("and i'd also like", 1),
    ("and i would also like", 1),
    ("and i also need", 1),
    ("and i also want", 1),
    ("and can you also", 1),
    ("and could you also", 1),
    ("and can you", 1),
    ("and could you", 1),
    ("and also", 2),
    ("also can you", 1),
    ("also could you", 1),
    ("oh and", 2),
    ("and what about", 1),
    // "…, and has my beanie order arrived?": a question about another thing of the
    // caller's, asked after the first request.
    ("and has my", 1),
    ("and have my", 1),
    ("and did my", 1),
    ("and is my", 1),
    ("and are my", 1),
    ("and where is my", 1),
    ("and where's my", 1),
    ("and when will my", 1),
    ("and when is my", 1),
    ("and when does my", 1),
    // "Where are my desk lamps, and has the candle shipped?": another item's own
    // question.
    ("and has the", 1),
    ("and have the", 1),
    ("and did the", 1),
    ("and where is the", 1),
    ("and where's the", 1),
    ("and when will the", 1),
    ("and how about", 1),
    ("and can i also", 1),
    ("and could i also", 1),
    ("and can i", 1),
    ("and could i", 1),
    ("and may i", 1),
    // "Restart the cat litter, and make the dog food every six weeks": a second change
    // of a subscription or delivery; cut only when it asks for something of its own.
    ("and make", 1),
    ("and actually make", 2),
    ("and actually change", 2),
    // "Send it to my work address, and have it come on Monday": the day is a request
    // of its own.
    ("and have it", 1),
    ("and have them", 1),
    // "Cancel it, and then order me the same tee in a large": a purchase of its own
    // after a change ("cancel it and then refund me" stays one request).
    ("and then order", 2),
    ("and then buy", 2),
    ("and then get me", 2),
    ("and then send me", 2),
    ("and then place", 2),
    ("and order me", 1),
    ("and order the", 1),
    // "Restart the cat litter, and order one more bag of dog food": a purchase of its
    // own, whose count is not the subscription's.
    ("and order one", 1),
    ("and order a", 1),
    ("and order an", 1),
    ("and order some", 1),
    ("and order another", 1),
    ("and order two", 1),
    ("and order three", 1),
    ("and get me", 1),
    ("and order a", 1),
    ("and order another", 1),
    ("and buy me", 1),
    ("and change", 1),
    ("and skip", 1),
    ("and pause", 1),
    ("and move", 1),
    // "What's your return window, and do you ship to Canada?": a second question of its
    // own; cut only when it asks for something the first does not.
    ("and do you", 1),
    ("and does", 1),
    ("and is there", 1),
    ("and are there", 1),
    ("and how long", 1),
    ("and how much", 1),
    ("and do i", 1),
    ("and will i", 1),
    ("and would i", 1),
    ("and who", 1),
    ("and how do i", 1),
    ("and what is", 1),
    ("and what's", 1),
    ("and what are", 1),
];

/// The utterance cut before a second request said in the same breath: ("it's 40 Elm
/// Road", "can you also tell me when it arrives"). Only a clear joining phrase cuts:
/// "cancel it and refund me" is one request. None when there is none, or nothing
/// before or after it.
pub fn second_request(text: &str) -> Option<(&str, &str)> {
    if !text.is_ascii() {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    // A phrase counts as whole words: "and also" is not in "band also".
    let word_edge = |i: usize| i >= bytes.len() || !bytes[i].is_ascii_alphanumeric();
    let mut found: Vec<(usize, usize)> = SECOND_REQUEST
        .iter()
        .filter_map(|&(phrase, skip)| {
            let at = lower
                .match_indices(phrase)
                .map(|(i, _)| i)
                .find(|&i| (i == 0 || word_edge(i - 1)) && word_edge(i + phrase.len()))?;
            let skipped: usize = phrase.split(' ').take(skip).map(|w| w.len() + 1).sum();
            Some((at, at + skipped))
        })
        .collect();
    found.sort_unstable();
    let (start, mut tail) = *found.first()?;
    // Phrases that overlap run on: "oh and while I have you, …" starts after both.
    for &(at, end) in &found[1..] {
        if at < tail {
            tail = tail.max(end);
        }
    }
    let head = text[..start].trim_end_matches([',', ' ', '.', ';', '-']);
    let tail = text[tail.min(text.len())..].trim_start_matches([',', ' ', '.', '-']);
    let has_words = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).count() >= 2;
    (has_words(head) && has_words(tail)).then_some((head, tail))
}

/// The first sentence of several and the rest ("No, forget that one.", "Cancel my
/// headphones order"); None for one sentence.
pub fn after_first_sentence(text: &str) -> Option<(&str, &str)> {
    let sentence_end = text
        .char_indices()
        .find(|&(i, c)| {
            matches!(c, '.' | '!' | '?' | ';')
                && text[i + c.len_utf8()..].starts_with(char::is_whitespace)
        })
        .map(|(i, _)| i);
    // "Actually no, cancel that one": in a single sentence, a refusal alone before a
    // comma is a sentence of its own, as if a full stop were written.
    let end = sentence_end.or_else(|| refusal_before_comma(text))?;
    let head = text[..end].trim();
    let tail = text[end + 1..].trim();
    let has_words = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).count() >= 2;
    (has_words(head) && has_words(tail)).then_some((head, tail))
}

/// Words that keep things as they are ("leave it as it is").
const KEEPS: &[&str] = &[
    "leave it",
    "keep it",
    "forget it",
    "forget that",
    "never mind",
    "nevermind",
    "as it is",
    "as they are",
];

/// Words that may open a refusal said alone ("actually no", "oh no no").
const REFUSAL_WORDS: &[&str] = &[
    "no", "nope", "nah", "actually", "oh", "wait", "sorry", "um", "uh", "well", "hmm", "er",
];

/// Where the first comma is, when everything before it is a refusal ("actually no,
/// cancel that one").
fn refusal_before_comma(text: &str) -> Option<usize> {
    let at = text.find(',')?;
    let words: Vec<String> = text[..at]
        .split_whitespace()
        .map(|w| w.to_ascii_lowercase())
        .collect();
    let refuses = words
        .iter()
        .any(|w| matches!(w.as_str(), "no" | "nope" | "nah"));
    let only = words.iter().all(|w| REFUSAL_WORDS.contains(&w.as_str()));
    // "No wait, I don't want to change it, leave it as it is": what follows refuses
    // too, and the whole is one refusal.
    let rest = text[at..].to_ascii_lowercase();
    let refuses_on = DENIALS.iter().chain(KEEPS).any(|d| rest.contains(d));
    (refuses && only && !refuses_on).then_some(at)
}

/// Which digit of a number said before a correction names again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigitAt {
    First,
    Last,
}

/// Phrases that name one digit of the number just said, and where it is.
const DIGIT_NAMED: &[(&str, DigitAt)] = &[
    ("last digit is", DigitAt::Last),
    ("last digit's", DigitAt::Last),
    ("last digit should be", DigitAt::Last),
    ("last number is", DigitAt::Last),
    ("last one is", DigitAt::Last),
    ("last one's", DigitAt::Last),
    ("last two are", DigitAt::Last),
    ("last two digits are", DigitAt::Last),
    ("last two should be", DigitAt::Last),
    ("last three are", DigitAt::Last),
    ("last three digits are", DigitAt::Last),
    ("first two are", DigitAt::First),
    ("first two digits are", DigitAt::First),
    ("last number's", DigitAt::Last),
    ("ends in", DigitAt::Last),
    ("ends with", DigitAt::Last),
    ("end in", DigitAt::Last),
    ("end with", DigitAt::Last),
    ("first digit is", DigitAt::First),
    ("first digit's", DigitAt::First),
    ("first digit should be", DigitAt::First),
    ("first number is", DigitAt::First),
    ("first number's", DigitAt::First),
    ("first one is", DigitAt::First),
    ("first one's", DigitAt::First),
    ("starts with", DigitAt::First),
];

/// "…289, no wait, the last digit is an 8, not a 9", "sorry, it ends in four three": a
/// correction of the first or last digits of the number said before it, as (which end,
/// the digits). The digits said straight after the phrase count, at most four ("an 8, not
/// a 9" is 8). None when no such phrase is followed by a digit.
pub fn digit_corrected(text: &str) -> Option<(DigitAt, String)> {
    let lower = text.to_ascii_lowercase();
    let (at, end, which) = DIGIT_NAMED
        .iter()
        .filter_map(|&(p, which)| lower.find(p).map(|i| (i, i + p.len(), which)))
        .min_by_key(|&(i, _, _)| i)?;
    // Something must come before: the number being corrected.
    let a_digit = |w: &str| w.bytes().any(|b| b.is_ascii_digit()) || digit_word(w).is_some();
    if !lower[..at]
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(a_digit)
    {
        return None;
    }
    let mut digits = String::new();
    for word in lower[end..]
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if word.bytes().all(|b| b.is_ascii_digit()) {
            digits.push_str(word);
        } else if let Some(d) = digit_word(word) {
            digits.push(char::from(b'0' + d));
        } else if !(digits.is_empty() && matches!(word, "a" | "an")) {
            break;
        }
    }
    (!digits.is_empty() && digits.len() <= MAX_DIGITS_NAMED).then_some((which, digits))
}

/// Most digits a correction of one end of a number names ("it ends in 4 3 2 1").
const MAX_DIGITS_NAMED: usize = 4;

//! Reading an utterance into its structured parts, after the classifier and the entity
//! extractor: self-corrections applied to the entities (`corrections`), a spoken
//! address or city (`address`), positions in a list (`ordinal`), and typed cues and bare
//! numbers (`cues`). The phrase lists are data, `assets/nlu/reading.toml`.
//!
//! What the dialog just asked (its expectation) decides how leniently an answer is
//! read: a street line is taken without its street type only when a street was asked
//! for, and a city on its own only when a city was.

mod address;
mod corrections;
mod cues;
mod lists;
mod ordinal;

pub use address::street_line;
pub use corrections::{
    after_correction, after_denied_request, after_first_sentence, after_retraction,
    digit_corrected, last_time_unit, second_request, DigitAt,
};
pub use lists::words;

use voxorder_domain::interpretation::{Cue, Interpretation, SpokenAddress};
use voxorder_domain::vocab::{Entities, EntityKind, Intent, ScoredIntent};

/// What the classifier and the extractor made of one utterance, to be read into an
/// [`Interpretation`].
#[derive(Debug, Clone)]
pub struct Heard {
    pub text: String,
    pub intent: Intent,
    pub confidence: f32,
    /// With any self-correction already applied (see [`Entities::overlay`]).
    pub entities: Entities,
    pub alternatives: Vec<ScoredIntent>,
}

/// Whether the words take back the request in progress ("forget that one"): the
/// withdraw cue [`read`] would find, without understanding the rest.
pub fn withdraws(text: &str) -> bool {
    cues::cues(lists::lists(), &words(text)).contains(&Cue::Withdraw)
}

/// The text with markup taken out: a script or style element whole, any other tag
/// (`<speak>`, `</prosody>`, `<br/>`) as a space, and stray angle brackets and braces.
/// Text without markup is returned as it is.
pub fn without_markup(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(['<', '>', '{', '}']) {
        return std::borrow::Cow::Borrowed(text);
    }
    // ASCII lower case keeps every byte where it was, so both index alike.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let rest = &lower[i..];
        // A script or style element goes with its content, to its closing tag (or the end).
        let element = ["<script", "<style"]
            .iter()
            .find(|open| rest.starts_with(**open))
            .map(|open| format!("</{}", &open[1..]));
        if let Some(close) = element {
            let end = rest
                .find(&close)
                .and_then(|at| rest[at..].find('>').map(|gt| at + gt + 1))
                .unwrap_or(rest.len());
            out.push(' ');
            i += end;
            continue;
        }
        let c = text[i..].chars().next().unwrap_or(' ');
        let tag = c == '<'
            && rest[1..]
                .chars()
                .next()
                .is_some_and(|n| n.is_ascii_alphabetic() || n == '/' || n == '!');
        if tag {
            let end = rest.find('>').map_or(rest.len(), |gt| gt + 1);
            out.push(' ');
            i += end;
            continue;
        }
        out.push(if matches!(c, '<' | '>' | '{' | '}') {
            ' '
        } else {
            c
        });
        i += c.len_utf8();
    }
    std::borrow::Cow::Owned(out)
}

/// What follows the words that open an utterance only to acknowledge ("yes I know, I
/// want to order another one"): the caller's own request, when at least
/// [`MIN_AFTER_ACKNOWLEDGEMENT`] words follow. None when nothing acknowledges first.
pub fn after_acknowledgement(text: &str) -> Option<&str> {
    let lists = lists::lists();
    let (spans, words) = words_with_spans(text);
    let mut i = 0;
    while let Some(len) = lists.len_at("acknowledgement", &words, i) {
        i += len;
    }
    if i == 0 || words.len() - i < MIN_AFTER_ACKNOWLEDGEMENT {
        return None;
    }
    let tail = text[spans[i - 1].end..].trim_start_matches(|c: char| !c.is_alphanumeric());
    (!tail.is_empty()).then_some(tail)
}

/// Each whitespace-separated word of `text` with where it stands in the text (to cut
/// the text at a word), and the words as the lists match them: lower case, letters,
/// digits and apostrophes only.
fn words_with_spans(text: &str) -> (Vec<std::ops::Range<usize>>, Vec<String>) {
    text.split_whitespace()
        .map(|raw| {
            let start = raw.as_ptr() as usize - text.as_ptr() as usize;
            let word = raw
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .collect::<String>()
                .to_lowercase();
            (start..start + raw.len(), word)
        })
        .unzip()
}

/// The request after a story that leads to it with "so" ("we're away all January, so
/// please pause the dog food"), when at least [`MIN_AFTER_ACKNOWLEDGEMENT`] words follow.
/// "So" must open a clause: after a comma or a full stop, or at a "so please / so can
/// you" that asks.
pub fn request_after_so(text: &str) -> Option<&str> {
    if !text.is_ascii() {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let opened = [", so ", ". so ", "; so "]
        .iter()
        .filter_map(|m| lower.rfind(m).map(|i| i + m.len()));
    // "… so please pause it": the request starts at "please".
    let asking = [" so please ", " so can you ", " so could you "]
        .iter()
        .filter_map(|m| lower.rfind(m).map(|i| i + " so ".len()));
    let at = opened.chain(asking).max()?;
    let tail = text[at..].trim_start_matches(|c: char| !c.is_alphanumeric());
    (tail.split_whitespace().count() >= MIN_AFTER_ACKNOWLEDGEMENT).then_some(tail)
}

/// The request said before a clause that only says how the caller will prove who they
/// are ("can you check on my order, I don't have the number but my phone is 617…"),
/// when at least [`MIN_AFTER_ACKNOWLEDGEMENT`] words come before it: such a clause says
/// nothing of what is wanted and can blur it.
pub fn before_identity_clause(text: &str) -> Option<&str> {
    let lists = lists::lists();
    let (spans, words) = words_with_spans(text);
    let at = (MIN_AFTER_ACKNOWLEDGEMENT..words.len())
        .find(|&i| lists.len_at("identity_clause", &words, i).is_some())?;
    // "…, but my phone is": the joining word goes with the clause.
    let at = if matches!(words[at - 1].as_str(), "but" | "and" | "so") {
        at - 1
    } else {
        at
    };
    let head = text[..spans[at].start].trim_end_matches(|c: char| !c.is_alphanumeric());
    (head.split_whitespace().count() >= MIN_AFTER_ACKNOWLEDGEMENT).then_some(head)
}

/// Fewest words a story must have for its opening to be read alone.
const STORY_WORDS: usize = 12;
/// How many words open a story.
const OPENING_WORDS: usize = 7;

/// The opening words of a long sentence ("i want to return the dress my daughter
/// picked for prom she's decided…"), where a request said first is likeliest.
pub fn opening_of_a_story(text: &str) -> Option<&str> {
    let (spans, _) = words_with_spans(text);
    if spans.len() < STORY_WORDS {
        return None;
    }
    let end = spans[OPENING_WORDS - 1].end;
    Some(text[..end].trim_end_matches(|c: char| !c.is_alphanumeric()))
}

/// Whether the words set a subscription aside to ask whether an order went out or came
/// ("no, not the subscription, the order she placed, has it come?").
pub fn asks_order_not_subscription(text: &str) -> bool {
    let lists = lists::lists();
    let words = words(text);
    lists.any("not_the_subscription", &words) && lists.any("progress_words", &words)
}

/// Fewest words after an acknowledgement that make a request of their own.
const MIN_AFTER_ACKNOWLEDGEMENT: usize = 4;

/// Whether the words speak of something already ordered that has not come ("the bed
/// sheets I ordered still haven't come"): a question about an order, never a new one.
pub fn ordered_and_not_come(text: &str) -> bool {
    let lists = lists::lists();
    let words = words(text);
    lists.any("ordered_before", &words) && lists.any("not_come", &words)
}

/// Whether the words say a parcel has not come, or was marked delivered and is not
/// there ("it says delivered but it's not here"): a lost parcel, which no return reason
/// explains.
pub fn parcel_not_here(text: &str) -> bool {
    let lists = lists::lists();
    let words = words(text);
    lists.any("not_come", &words) || lists.any("parcel_not_here", &words)
}

/// Whether the words ask where an order is going and ask no change of it ("what address
/// is it going to?"): a question about the order, never an address change.
pub fn asks_where_it_goes(text: &str) -> bool {
    let lists = lists::lists();
    let words = words(text);
    lists.any("where_it_goes", &words)
        && !lists.any("address_change_words", &words)
        && !text.bytes().any(|b| b.is_ascii_digit())
}

/// Whether the words ask for a buy made once ("let me stock up on green tea, fifteen
/// boxes", "one-time order of twenty") and speak of no subscription's schedule: a new
/// order, never a change to a subscription that brings the same product.
pub fn buys_once(text: &str) -> bool {
    let lists = lists::lists();
    let words = words(text);
    let schedule_said =
        lists.any("subscription_words", &words) && !lists.any("schedule_denied", &words);
    lists.any("one_off", &words) && !schedule_said
}

/// Whether the words ask what may be returned of a kind of thing, or on a condition
/// ("can I return sale items?", "can he return them without the receipt?") and name no
/// order of the caller's: a question of the returns policy, never a return.
pub fn asks_what_may_be_returned(text: &str) -> bool {
    let lists = lists::lists();
    let words = words(text);
    lists.any("may_return_asked", &words)
        && (lists.any("kind_of_goods", &words) || lists.any("return_condition", &words))
        && names_no_own_order(text, &words)
}

/// Whether the words name no order of the caller's: no "my order", and no number.
fn names_no_own_order(text: &str, words: &[String]) -> bool {
    !lists::lists().any("own_order_said", words) && !text.bytes().any(|b| b.is_ascii_digit())
}

/// Whether the words ask what sending something back costs ("do I have to pay the
/// postage?", "is return shipping free?"), of no order of the caller's named.
pub fn asks_what_return_costs(text: &str) -> bool {
    let lists = lists::lists();
    let words = words(text);
    lists.any("return_cost_asked", &words) && names_no_own_order(text, &words)
}

/// Words said around an order number, a zip or a phone that ask for nothing ("yeah it's
/// … and the zip's …").
const AROUND_IDENTIFIERS: &[&str] = &[
    "yeah", "yes", "yep", "it's", "its", "it", "is", "and", "the", "my", "zip", "zip's", "zipcode",
    "code", "postcode", "order", "order's", "number", "number's", "billing", "email", "phone",
    "hi", "hello", "sure", "ok", "okay", "here", "um", "uh", "so", "that's", "oh", "right",
    "there", "you", "go", "of", "on", "with", "account", "for",
];

/// Whether the words give only an order number and the details that prove it, asking
/// nothing ("Yeah it's 3841177902892 and the zip's 95814").
pub fn only_identifiers(text: &str) -> bool {
    let mut digits = false;
    for raw in text.split_whitespace() {
        let w = raw
            .trim_matches(|c: char| !(c.is_alphanumeric() || c == '\''))
            .to_lowercase();
        if w.is_empty() {
            continue;
        }
        if w.chars().all(|c| c.is_ascii_digit() || c == '-') {
            digits = true;
            continue;
        }
        if !AROUND_IDENTIFIERS.contains(&w.as_str()) {
            return false;
        }
    }
    digits
}

/// Reads the structured parts of an utterance into its interpretation. `expect`: what
/// the dialog just asked for, if anything.
pub fn read(heard: Heard, expect: Option<EntityKind>) -> Interpretation {
    let lists = lists::lists();
    let words = words(&heard.text);
    let zip = heard.entities.zip_code.as_deref();
    let said = address::corrected(lists, &heard.text);
    // A zip written in the words left out ("…02139. New address is …") is not the new
    // address's zip.
    let zip = zip.filter(|z| {
        address::digits_of(&said).contains(z) || !address::digits_of(&heard.text).contains(z)
    });
    let address = match expect {
        Some(EntityKind::Street) => address::address(lists, &said, zip, false).or_else(|| {
            street_line(&said).map(|street| SpokenAddress {
                street,
                city: None,
                zip: None,
                state: None,
            })
        }),
        _ => address::address(lists, &said, zip, true),
    };
    let city = if expect == Some(EntityKind::City) {
        address::city(lists, &said)
    } else if address.is_none() {
        address::city_with_state_and_zip(lists, &said)
    } else {
        None
    };
    let city_state = city.as_ref().and_then(|_| address::state_said(&said));
    Interpretation {
        ordinals: ordinal::ordinals(lists, &words),
        bare_number: cues::bare_number(&words),
        cues: cues::cues(lists, &words),
        words,
        address,
        city,
        city_state,
        text: heard.text,
        intent: heard.intent,
        confidence: heard.confidence,
        entities: heard.entities,
        alternatives: heard.alternatives,
        then: None,
    }
}

#[cfg(test)]
mod tests;

//! Typed cues: what a caller's words signal beyond the intent and the entities (a yes
//! or a no, a goodbye, a period, an order state named …), and whether the words are a
//! number said on its own.

use voxorder_domain::interpretation::{Cue, Period};
use voxorder_domain::order::OrderStatus;
use voxorder_domain::speech_text::digit_word;

use super::lists::Lists;

/// Period lists and the period each names.
pub(super) const PERIODS: [(&str, Period); 4] = [
    ("period_last_week", Period::LastWeek),
    ("period_this_week", Period::ThisWeek),
    ("period_last_month", Period::LastMonth),
    ("period_this_month", Period::ThisMonth),
];

/// Lists whose phrases anywhere in the words give the cue.
const ANYWHERE: [(&str, Cue); 16] = [
    ("no", Cue::Negated),
    ("card_number", Cue::CardNumber),
    ("complaint", Cue::Complaint),
    ("withdraw", Cue::Withdraw),
    ("goodbye", Cue::Goodbye),
    ("pickup", Cue::Pickup),
    ("label", Cue::Label),
    ("other_order", Cue::OtherOrder),
    ("same_order", Cue::SameOrder),
    ("last_order", Cue::LastOrder),
    ("no_number", Cue::NoNumber),
    ("same_city", Cue::Unchanged),
    ("not_them", Cue::NotThem),
    ("call_back", Cue::CallBack),
    ("other_payment", Cue::OtherPayment),
    ("any_time", Cue::AnyTime),
];

/// Order states named in a description, by list.
const STATES: [(&str, OrderStatus); 7] = [
    ("state_pending", OrderStatus::PendingConfirmation),
    ("state_processing", OrderStatus::Processing),
    ("state_out_for_delivery", OrderStatus::OutForDelivery),
    ("state_delayed", OrderStatus::Delayed),
    ("state_delivered", OrderStatus::Delivered),
    ("state_cancelled", OrderStatus::Cancelled),
    ("state_returned", OrderStatus::Returned),
];

/// Every cue the words carry.
pub fn cues(lists: &Lists, words: &[String]) -> Vec<Cue> {
    let mut found = Vec::new();
    // "Oh sorry, yes, cancel it": the interjections before a yes are not the answer.
    // ("Oh no. What about a medium?" is dismay, not a no: only a first word says no.)
    const INTERJECTIONS: &[&str] = &["oh", "ah", "um", "uh", "er", "erm", "hmm", "sorry", "oops"];
    let answer = words.iter().find(|w| !INTERJECTIONS.contains(&w.as_str()));
    if answer.is_some_and(|w| lists.is("yes", w)) {
        found.push(Cue::Yes);
    } else if words.first().is_some_and(|w| lists.is("no", w)) {
        found.push(Cue::No);
    }
    found.extend(
        ANYWHERE
            .iter()
            .filter(|(list, _)| lists.any(list, words))
            .filter(|&&(_, cue)| cue != Cue::Goodbye || takes_leave(lists, words))
            .map(|&(_, cue)| cue),
    );
    // The first period named, as a caller says one.
    if let Some(&(_, period)) = PERIODS.iter().find(|(list, _)| lists.any(list, words)) {
        found.push(Cue::Period(period));
    }
    let states: Vec<Cue> = STATES
        .iter()
        .filter(|&&(list, status)| match status {
            OrderStatus::Delivered | OrderStatus::OutForDelivery => described(lists, list, words),
            _ => lists.any(list, words),
        })
        .map(|&(_, status)| Cue::Status(status))
        .collect();
    // "Not shipped yet" names processing; "shipped" alone names a shipped order.
    if states.is_empty() && described(lists, "state_shipped", words) {
        found.push(Cue::Status(OrderStatus::Shipped));
    }
    found.extend(states);
    if found.contains(&Cue::OtherOrder) && only_names_another_order(lists, words) {
        found.push(Cue::OnlyOtherOrder);
    }
    found
}

/// Whether the words name another order and ask nothing else of it ("what about my other
/// order", "and the other one, 1000…042?"): its number may be said with it.
fn only_names_another_order(lists: &Lists, words: &[String]) -> bool {
    let is_digit = |w: &String| w.bytes().all(|b| b.is_ascii_digit()) || digit_word(w).is_some();
    words.iter().all(|w| {
        is_digit(w) || matches!(w.as_str(), "double" | "triple") || lists.is("other_order_only", w)
    })
}

/// Whether a goodbye phrase takes leave: "that's all I'm asking", "that's all I want" go
/// on to say what the caller wants, and are no goodbye.
fn takes_leave(lists: &Lists, words: &[String]) -> bool {
    (0..words.len()).any(|i| {
        let Some(len) = lists.len_at("goodbye", words, i) else {
            return false;
        };
        let all = words[i..i + len].last().is_some_and(|w| w == "all");
        let goes_on = words.get(i + len).is_some_and(|w| {
            matches!(
                w.as_str(),
                "i" | "we" | "you" | "i'm" | "i've" | "i'd" | "it" | "that" | "the" | "he" | "she"
            )
        });
        !(all && goes_on)
    })
}

/// Words just before a state that make it the question, not a description ("did it
/// get delivered?", "has it shipped", "if the order he placed got delivered").
const ASKED_BEFORE: [&str; 9] = [
    "got", "get", "gets", "been", "has", "have", "did", "if", "whether",
];

/// Whether a phrase of the list describes an order somewhere in the words ("the one
/// that was delivered"), rather than being asked about ("has it been delivered?").
fn described(lists: &Lists, list: &str, words: &[String]) -> bool {
    (0..words.len()).any(|i| {
        lists.len_at(list, words, i).is_some()
            && !words[i.saturating_sub(2)..i]
                .iter()
                .any(|w| ASKED_BEFORE.contains(&w.as_str()))
    })
}

/// The words are a number and nothing else that asks for anything ("it's one oh oh
/// oh …", "yeah the number is 1 2 3 …").
pub fn bare_number(words: &[String]) -> bool {
    const FILLERS: [&str; 22] = [
        "it's", "its", "it", "is", "my", "the", "order", "number", "yeah", "yes", "so", "and",
        "ok", "okay", "that's", "thats", "sure", "here", "double", "triple", "uh", "um",
    ];
    let is_digit = |w: &String| w.bytes().all(|b| b.is_ascii_digit()) || digit_word(w).is_some();
    words.iter().any(is_digit)
        && words
            .iter()
            .all(|w| is_digit(w) || FILLERS.contains(&w.as_str()))
}

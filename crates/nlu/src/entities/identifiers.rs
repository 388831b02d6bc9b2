//! Order numbers, zip codes and phone numbers: deciding what a digit run is.
//!
//! The three share one source (a [`DigitRun`]) and differ only in cue words, length and
//! what the dialog asked for, so they are decided together, in this order:
//! 1. "order"/"order number"/"reference" right before the run → order number (4–20
//!    digits; four and five only with this cue, because a bare five-digit run is a zip
//!    and four digits alone are a year, a time or the end of a number). A short number
//!    heard is one the dialog can say it does not know, not a question asked again.
//! 2. a zip cue ("zip", "postcode", "postal code") in the words before → zip (5 digits,
//!    or the first five of a zip+4);
//!    a phone cue ("phone", "mobile", "cell", "call", not "phone charger") → phone.
//! 3. the dialog's `expect`.
//! 4. length alone: 5 → zip, 10 (or 11 starting with 1) → phone, 6–20 → order number.
//!
//! A run right after "not" ("it's 94107 not 94170") loses to another run of the same kind.

use super::numbers::{digit_runs, DigitRun};
use super::EntityKind;

/// The identifiers found, each already normalised.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Identifiers {
    pub order_number: Option<String>,
    pub zip_code: Option<String>,
    pub phone_number: Option<String>,
}

/// How far back (in words) a zip or phone cue still applies to a run.
const CUE_WINDOW: usize = 10;

/// Words allowed between "order" and its number: "order number is", "order no".
const ORDER_GLUE: &[&str] = &[
    // "the order number, let me read it out, five two …".
    "let",
    "me",
    "read",
    "out",
    "here",
    "goes",
    "number",
    "numbers",
    "no",
    "num",
    "is",
    "it",
    "was",
    "id",
    "the",
    "ref",
    "reference",
    "code",
    "nr",
];

fn is_order_word(w: &str) -> bool {
    matches!(
        w,
        "order" | "orders" | "odor" | "odour" | "reference" | "ref" | "confirmation" | "purchase"
    )
}

fn is_zip_word(words: &[String], k: usize) -> bool {
    match words[k].as_str() {
        "zip" | "zipcode" | "postcode" | "postcodes" | "zipcodes" => true,
        "postal" | "post" => words.get(k + 1).is_some_and(|n| n == "code"),
        _ => false,
    }
}

fn is_phone_word(words: &[String], k: usize) -> bool {
    let object = words.get(k + 1).is_some_and(|n| {
        matches!(
            n.as_str(),
            "charger"
                | "chargers"
                | "case"
                | "cases"
                | "cable"
                | "stand"
                | "holder"
                | "mount"
                | "screen"
        )
    });
    // "Reading it off my phone", "it's saved in my phone": the phone the number is read
    // from, not the number said.
    let device = k >= 2
        && matches!(words[k - 1].as_str(), "my" | "the")
        && matches!(words[k - 2].as_str(), "off" | "from" | "in");
    // "The text has a number …", "a call from you": the message, not the phone.
    let message = matches!(words[k].as_str(), "text" | "call" | "ring")
        && k >= 1
        && matches!(
            words[k - 1].as_str(),
            "the" | "a" | "your" | "that" | "this" | "last"
        );
    // "My contact number is …": the phone; "contact me" says nothing of a number.
    let contact = words[k] == "contact"
        && words
            .get(k + 1)
            .is_some_and(|n| matches!(n.as_str(), "number" | "no" | "details" | "is"));
    contact
        || !object
            && !device
            && !message
            && matches!(
                words[k].as_str(),
                "phone"
                    | "mobile"
                    | "cell"
                    | "cellphone"
                    | "telephone"
                    | "tel"
                    | "call"
                    | "landline"
                    | "whatsapp"
                    | "text"
                    | "ring"
            )
}

/// Words that count things: a number word right before one is a quantity, not the
/// last digit of an identifier ("... three four two bags of coffee").
pub(crate) fn is_count_noun(w: &str) -> bool {
    matches!(
        w,
        "of" | "bag"
            | "bags"
            | "box"
            | "boxes"
            | "pack"
            | "packs"
            | "packet"
            | "packets"
            | "bottle"
            | "bottles"
            | "can"
            | "cans"
            | "case"
            | "cases"
            | "roll"
            | "rolls"
            | "pair"
            | "pairs"
            | "piece"
            | "pieces"
            | "unit"
            | "units"
            | "item"
            | "items"
            | "tin"
            | "tins"
            | "jar"
            | "jars"
            | "tub"
            | "tubs"
            | "carton"
            | "cartons"
            | "more"
            | "x"
            | "times"
            | "pcs"
            | "lots"
            | "sets"
            | "set"
            | "dozen"
    )
}

/// "Can you", "can i", "can it come", "can the money go": the verb that starts a
/// question, not a can of something ("... nine zero can you deliver it in the
/// afternoon"; a can of something is "a can of", "cans").
fn asks_something(words: &[String], at: usize) -> bool {
    words[at] == "can"
        && words.get(at + 1).is_some_and(|w| {
            matches!(
                w.as_str(),
                "you"
                    | "i"
                    | "we"
                    | "u"
                    | "someone"
                    | "somebody"
                    | "it"
                    | "they"
                    | "he"
                    | "she"
                    | "the"
                    | "my"
                    | "this"
                    | "that"
                    | "these"
                    | "those"
                    | "your"
            )
        })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Order,
    Zip,
    Phone,
}

/// Decides every digit run in `words` and marks the words of identifier-like runs as
/// taken, so they are not read again as quantities.
pub(crate) fn extract(
    words: &[String],
    taken: &mut [bool],
    expect: Option<EntityKind>,
) -> Identifiers {
    let mut runs = digit_runs(words, taken);
    join_groups_said_in_turn(words, &mut runs);
    join_area_code_said_after(words, &mut runs);
    join_start_said_after_end(words, &mut runs);
    apply_self_corrections(words, &mut runs);
    join_phone_split_by_an_aside(words, &mut runs);
    take_a_repeat_once(words, &mut runs);
    give_back_trailing_counts(words, &mut runs);
    give_back_a_count_before_a_price(words, &mut runs);
    let mut chosen: Vec<(Kind, String, bool)> = Vec::new();
    let mut prev_end = 0;
    for run in &runs {
        let negated = run.start > 0 && words[run.start - 1] == "not";
        // Asked for an order number, "1000000000028 02139" gives it first; what follows
        // is read as any number would be (here a zip).
        let order_given = chosen.iter().any(|(k, _, _)| *k == Kind::Order);
        let expect_here = match expect {
            Some(EntityKind::OrderNumber) if order_given => None,
            other => other,
        };
        if let Some((kind, value)) = classify(words, run, prev_end, expect_here) {
            chosen.push((kind, value, negated));
        }
        // Spelled groups are never a count; long runs are identifiers whatever they were.
        if run.items >= 2 || run.digits.len() >= 5 {
            for t in &mut taken[run.start..run.end] {
                *t = true;
            }
        }
        prev_end = run.end;
    }
    let pick = |kind: Kind| -> Option<String> {
        let of_kind = || chosen.iter().filter(move |(k, _, _)| *k == kind);
        of_kind()
            .find(|(_, _, negated)| !negated)
            .or_else(|| of_kind().next())
            .map(|(_, v, _)| v.clone())
    };
    Identifiers {
        order_number: pick(Kind::Order),
        zip_code: pick(Kind::Zip),
        phone_number: pick(Kind::Phone),
    }
}

/// Words that take back what was just said ("… oh one two four, no sorry, oh one two
/// three"); at least one of them must stand between two runs for the second to correct
/// the first.
fn is_correction_word(w: &str) -> bool {
    matches!(
        w,
        "no" | "sorry" | "wait" | "mean" | "meant" | "actually" | "oops" | "correction" | "rather"
    )
}

/// Words that may stand beside a correction word without making the gap a new sentence.
fn is_correction_glue(w: &str) -> bool {
    matches!(
        w,
        "i" | "it's"
            | "its"
            | "it"
            | "is"
            | "that"
            | "scratch"
            | "make"
            | "let"
            | "me"
            | "say"
            | "again"
            | "sorry"
            | "oh"
            | "er"
            | "uh"
            | "um"
            | "the"
            | "last"
            | "bit"
            | "should"
            | "be"
            | "was"
    )
}

/// Groups said one after another with "then" between ("area code three one two, then
/// five five five ...", "it starts 88, then 12345") are one number.
fn join_groups_said_in_turn(words: &[String], runs: &mut Vec<DigitRun>) {
    let mut i = 0;
    while i + 1 < runs.len() {
        let gap = &words[runs[i].end..runs[i + 1].start];
        let in_turn = gap.iter().any(|w| w == "then" || w == "followed")
            && gap.iter().all(|w| {
                matches!(
                    w.as_str(),
                    "then" | "and" | "followed" | "by" | "it's" | "its" | "it" | "is" | "comes"
                )
            });
        // A whole number already said ("order 1234567891234, then 78701") is not a group.
        let fits =
            runs[i].digits.len() < 10 && runs[i].digits.len() + runs[i + 1].digits.len() <= 13;
        if !in_turn || !fits {
            i += 1;
            continue;
        }
        let next = runs.remove(i + 1);
        runs[i].append(next);
    }
}

/// "555 0199, and the area code is 512": a seven-digit number with its area code said
/// after it is the ten-digit phone, area code first.
fn join_area_code_said_after(words: &[String], runs: &mut Vec<DigitRun>) {
    let mut i = 0;
    while i + 1 < runs.len() {
        let gap = &words[runs[i].end..runs[i + 1].start];
        let area_code = gap.len() <= 8
            && gap
                .windows(2)
                .any(|pair| pair[0] == "area" && pair[1] == "code");
        // "… oh one seven seven, oh, and the area code …": that last "oh" is no zero.
        let interjection =
            runs[i].digits.len() == 8 && runs[i].last_is_word && words[runs[i].last_item.0] == "oh";
        if area_code && interjection && runs[i + 1].digits.len() == 3 {
            runs[i].digits.pop();
        }
        if !(area_code && runs[i].digits.len() == 7 && runs[i + 1].digits.len() == 3) {
            i += 1;
            continue;
        }
        let local = runs.remove(i);
        runs[i].append_said_before(local);
        i += 1;
    }
}

/// "The last four are 0199 and it starts 512 555": an end said before its start, each
/// named by where it sits, is one number, start first.
fn join_start_said_after_end(words: &[String], runs: &mut Vec<DigitRun>) {
    // "The last four are …": the count of the group may itself be a run.
    let named = |run: &DigitRun, from: usize, names: &[&str]| {
        words[run.start.saturating_sub(4).max(from)..run.start]
            .iter()
            .any(|w| names.contains(&w.as_str()))
    };
    let mut i = 0;
    while i + 1 < runs.len() {
        let end_first = named(&runs[i], 0, &["last", "ends", "ending", "end"])
            && named(
                &runs[i + 1],
                runs[i].end,
                &["starts", "start", "begins", "first"],
            );
        let length = runs[i].digits.len() + runs[i + 1].digits.len();
        if !(end_first && (length == 10 || length == 13)) {
            i += 1;
            continue;
        }
        let tail = runs.remove(i);
        runs[i].append_said_before(tail);
        i += 1;
    }
}

/// "Nine one nine five five five, hang on, zero one four seven", "three eight five,
/// that's Utah, five five five ...": two groups that are no number alone, a few other
/// words between, making ten digits together, are one phone number.
fn join_phone_split_by_an_aside(words: &[String], runs: &mut Vec<DigitRun>) {
    let mut i = 0;
    while i + 1 < runs.len() {
        let (a, b) = (&runs[i], &runs[i + 1]);
        let gap = &words[a.end..b.start];
        let aside = (1..=3).contains(&gap.len())
            && !gap.iter().any(|w| {
                is_order_word(w)
                    || is_other_id_word(w)
                    || is_count_noun(w)
                    || is_correction_word(w)
                    || w == "zip"
                    || w == "not"
                    || w == "or"
            })
            && !gap.windows(2).any(|p| p[0] == "post" && p[1] == "code");
        let partial = |n: usize| !matches!(n, 5 | 9..=20) && n >= 3;
        let joins = aside
            && partial(a.digits.len())
            && partial(b.digits.len())
            && a.digits.len() + b.digits.len() == 10;
        if !joins {
            i += 1;
            continue;
        }
        let next = runs.remove(i + 1);
        runs[i].append(next);
        i += 1;
    }
}

/// "It's 43215. Four three two one five.": a zip, a phone or an order number said twice
/// in a row is said once, not one number of twice the length (a ten-digit phone whose
/// halves match stays a phone when a phone is named before it).
fn take_a_repeat_once(words: &[String], runs: &mut [DigitRun]) {
    for run in runs.iter_mut() {
        let n = run.digits.len();
        let half = n / 2;
        if n % 2 != 0 || !matches!(half, 5 | 10 | 13) || run.digits[..half] != run.digits[half..] {
            continue;
        }
        let window = run.start.saturating_sub(CUE_WINDOW)..run.start;
        if half == 5 && window.clone().any(|k| is_phone_word(words, k)) {
            continue;
        }
        run.digits.truncate(half);
    }
}

/// A run that corrects the one before it replaces it: a shorter run replaces only as many
/// of the last digits as it has (people repeat the group they got wrong), a longer or
/// equal one the whole run.
fn apply_self_corrections(words: &[String], runs: &mut Vec<DigitRun>) {
    let mut i = 0;
    while i + 1 < runs.len() {
        let gap = &words[runs[i].end..runs[i + 1].start];
        let corrects = gap.iter().any(|w| is_correction_word(w))
            && gap
                .iter()
                .all(|w| is_correction_word(w) || is_correction_glue(w));
        if !corrects {
            i += 1;
            continue;
        }
        let fix = runs.remove(i + 1);
        let run = &mut runs[i];
        let kept = run.digits.len().saturating_sub(fix.digits.len());
        run.digits.truncate(kept);
        run.append(fix);
    }
}

/// "... nine one two three four two bags": the final "two" counts bags.
fn give_back_trailing_counts(words: &[String], runs: &mut [DigitRun]) {
    for run in runs.iter_mut() {
        let (item_start, digits_before) = run.last_item;
        let counts_next =
            words.get(run.end).is_some_and(|w| is_count_noun(w)) && !asks_something(words, run.end);
        if run.last_is_word && run.items >= 2 && digits_before >= 6 && counts_next {
            run.digits.truncate(digits_before);
            run.end = item_start;
            run.items -= 1;
        }
    }
}

/// "Two 200 dollar gift cards", "three fifty dollar vouchers": a small count said just
/// before a price is how many, not the first digits of one number with the price.
fn give_back_a_count_before_a_price(words: &[String], runs: &mut [DigitRun]) {
    /// A count has at most this many digits ("twelve 20 dollar cards").
    const COUNT_MAX_DIGITS: usize = 2;
    for run in runs.iter_mut() {
        let (item_start, digits_before) = run.last_item;
        let priced = words
            .get(run.end)
            .is_some_and(|w| MONEY_WORDS.contains(&w.as_str()));
        if run.items == 2 && digits_before <= COUNT_MAX_DIGITS && item_start > run.start && priced {
            run.digits = run.digits.split_off(digits_before);
            run.start = item_start;
            run.items = 1;
        }
    }
}

/// Words that make the number before them a price.
const MONEY_WORDS: &[&str] = &[
    "dollar", "dollars", "bucks", "buck", "pound", "pounds", "euro", "euros",
];

fn classify(
    words: &[String],
    run: &DigitRun,
    prev_end: usize,
    expect: Option<EntityKind>,
) -> Option<(Kind, String)> {
    let n = run.digits.len();
    let d = &run.digits;
    // "The zip code on my order is wrong, it's 19103": the order is where the zip is,
    // not what the digits are.
    let window = run.start.saturating_sub(CUE_WINDOW).max(prev_end)..run.start;
    let zip_of_the_order = window.clone().any(|k| {
        is_zip_word(words, k)
            && (k + 1..run.start).any(|j| {
                words[j] == "order"
                    && j >= 2
                    && matches!(words[j - 1].as_str(), "my" | "the" | "this" | "that")
                    && matches!(words[j - 2].as_str(), "on" | "for" | "of" | "in")
            })
    });
    if zip_of_the_order && (n == 5 || n == 9) {
        return Some((Kind::Zip, d[..5].to_string()));
    }
    if has_order_cue(words, run.start, prev_end)
        && ((5..=20).contains(&n) || n == 4 && names_an_order(words, run.start, prev_end))
        && !phone_of_the_order(words, run.start, prev_end)
    {
        return Some((Kind::Order, d.clone()));
    }
    if (6..=20).contains(&n)
        && (order_number_said_before(words, run.start, prev_end)
            || status_of(words, run.start, prev_end))
    {
        return Some((Kind::Order, d.clone()));
    }
    let zip_cue = window.clone().any(|k| is_zip_word(words, k));
    let phone_cue = window.clone().any(|k| is_phone_word(words, k));
    if let Some((at, w)) = nearest_id_word(words, run.start, prev_end) {
        // "the phone number on the account is …" names the phone, not the account.
        // So does "the number on the account is …": an account's own number would be
        // its "account number".
        let described = (window.start..at).any(|k| {
            is_zip_word(words, k)
                || is_phone_word(words, k)
                || (w == "account"
                    && words[k] == "number"
                    && words.get(k + 1).is_some_and(|n| n == "on"))
        });
        if is_other_id_word(w) && !described {
            return None;
        }
    }
    if zip_cue && (n == 5 || n == 9) {
        return Some((Kind::Zip, d[..5].to_string()));
    }
    if phone_cue {
        if let Some(p) = phone(d, true) {
            return Some((Kind::Phone, p));
        }
    }
    match expect {
        Some(EntityKind::ZipCode) if n == 5 || n == 9 => {
            return Some((Kind::Zip, d[..5].to_string()))
        }
        Some(EntityKind::PhoneNumber) => {
            if let Some(p) = phone(d, true) {
                return Some((Kind::Phone, p));
            }
        }
        Some(EntityKind::OrderNumber) if (5..=20).contains(&n) => {
            return Some((Kind::Order, d.clone()))
        }
        _ => {}
    }
    // An address asked for: a number not named an order's is a house or flat number.
    let address = matches!(expect, Some(EntityKind::Street | EntityKind::City));
    match n {
        5 => Some((Kind::Zip, d.clone())),
        _ if address && n < 10 => None,
        _ => {
            if let Some(p) = phone(d, false) {
                Some((Kind::Phone, p))
            } else if (6..=20).contains(&n) {
                Some((Kind::Order, d.clone()))
            } else {
                None
            }
        }
    }
}

/// A phone number's digits: ten for a US number ("1" country code dropped). With a cue,
/// other lengths from 7 to 15 are kept as said (a UK "07700 900123").
fn phone(d: &str, cued: bool) -> Option<String> {
    match d.len() {
        10 => Some(d.to_string()),
        11 if d.starts_with('1') => Some(d[1..].to_string()),
        7..=15 if cued => Some(d.to_string()),
        _ => None,
    }
}

/// Numbers that are none of ours: a return authorisation, a tracking number.
fn is_other_id_word(w: &str) -> bool {
    matches!(
        w,
        "rma" | "authorization" | "authorisation" | "tracking" | "invoice" | "account" | "card"
    )
}

/// "The phone number on the order is …", "the mobile for my order, it's …": the order
/// word says whose phone the number is, not that it is an order number.
fn phone_of_the_order(words: &[String], start: usize, prev_end: usize) -> bool {
    let Some((mut k, _)) = nearest_id_word(words, start, prev_end) else {
        return false;
    };
    while k > prev_end
        && matches!(
            words[k - 1].as_str(),
            "the" | "my" | "this" | "that" | "our"
        )
    {
        k -= 1;
    }
    if k == prev_end
        || !matches!(
            words[k - 1].as_str(),
            "on" | "for" | "of" | "with" | "under" | "to"
        )
    {
        return false;
    }
    k -= 1;
    while k > prev_end && matches!(words[k - 1].as_str(), "number" | "numbers" | "no") {
        k -= 1;
    }
    k > prev_end && is_phone_word(words, k - 1)
}

/// "The order number, it's on the email, hang on, 2 0 2 6 …": the order number named
/// earlier in the sentence, with no other number named since, is the number said.
fn order_number_said_before(words: &[String], start: usize, prev_end: usize) -> bool {
    let Some(k) = (prev_end..start).rev().find(|&k| {
        is_order_word(&words[k])
            && words
                .get(k + 1)
                .is_some_and(|n| matches!(n.as_str(), "number" | "no" | "num" | "id"))
    }) else {
        return false;
    };
    !(k + 2..start).any(|j| {
        is_zip_word(words, j)
            || is_phone_word(words, j)
            || is_other_id_word(&words[j])
            || is_order_word(&words[j])
    })
}

/// "What's the status of 6120458839": the number whose status is asked is an order's.
fn status_of(words: &[String], start: usize, prev_end: usize) -> bool {
    start >= prev_end + 2
        && matches!(words[start - 1].as_str(), "of" | "for" | "on")
        && words[start - 2] == "status"
}

/// "order 123456", "order number is 123456", "odor number 12 34 56".
fn has_order_cue(words: &[String], start: usize, prev_end: usize) -> bool {
    nearest_id_word(words, start, prev_end).is_some_and(|(_, w)| is_order_word(w))
}

/// "My order 5039", "order number 5039", "deliver order 9912": the order word names an
/// order. Not "order 1000 plates" or "I'd like to order 2000": there it is the verb and
/// the number a count.
fn names_an_order(words: &[String], start: usize, prev_end: usize) -> bool {
    let Some((k, w)) = nearest_id_word(words, start, prev_end) else {
        return false;
    };
    if w != "order" || start > k + 1 {
        return true;
    }
    let before = k.checked_sub(1).map(|b| words[b].as_str());
    let verb_lead = matches!(
        before,
        None | Some(
            "to" | "i"
                | "we"
                | "please"
                | "and"
                | "also"
                | "can"
                | "could"
                | "will"
                | "would"
                | "wanna"
                | "gonna"
                | "just"
                | "you"
                | "then"
                | "should"
                | "might"
                | "me"
        )
    );
    let count_follows = words
        .get(start..)
        .into_iter()
        .flatten()
        .find(|w| !w.bytes().all(|b| b.is_ascii_digit()))
        .is_some_and(|w| !matches!(w.as_str(), "is" | "please" | "hasn't" | "has" | "was"));
    !(verb_lead && count_follows)
}

/// The word naming the number that starts at `start` ("order" in "order number is
/// 123"), looking back over a few glue words.
fn nearest_id_word(words: &[String], start: usize, prev_end: usize) -> Option<(usize, &str)> {
    let mut k = start;
    while k > prev_end {
        k -= 1;
        let w = words[k].as_str();
        if is_order_word(w) || is_other_id_word(w) {
            return Some((k, w));
        }
        if !ORDER_GLUE.contains(&w) || start - k > 7 {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::text::tokenize;

    fn ids_with(s: &str, expect: Option<EntityKind>) -> Identifiers {
        let w = tokenize(s);
        let mut taken = vec![false; w.len()];
        extract(&w, &mut taken, expect)
    }

    fn ids(s: &str) -> Identifiers {
        ids_with(s, None)
    }

    fn order(s: &str) -> Option<String> {
        ids(s).order_number
    }

    #[test]
    fn order_numbers() {
        // Four digits are an order's only when the order word names one.
        assert_eq!(order("where's my order 4 8 1 7").as_deref(), Some("4817"));
        assert_eq!(
            order("the order number is eight two oh six").as_deref(),
            Some("8206")
        );
        assert_eq!(
            order("push order double three one seven back a day").as_deref(),
            Some("3317")
        );
        assert_eq!(order("order 1500 paper cups").as_deref(), None);
        assert_eq!(
            order("the order number let me read it out 4 4 1 9 0 2 7 7 3 1").as_deref(),
            Some("4419027731")
        );
        assert_eq!(order("i'd like to order 3000 labels").as_deref(), None);
        assert_eq!(order("my order from 2024").as_deref(), None);
        assert_eq!(
            order("one two three four five six seven eight nine one two three four").as_deref(),
            Some("1234567891234")
        );
        assert_eq!(
            order("my order is 1234 56789 1234").as_deref(),
            Some("1234567891234")
        );
        assert_eq!(order("order 12 34 56").as_deref(), Some("123456"));
        assert_eq!(
            order("cancel order double five two oh nine").as_deref(),
            Some("55209")
        );
        assert_eq!(
            order("order number two seven two eight eight").as_deref(),
            Some("27288")
        );
        assert_eq!(
            order("request cancellation for order 92 31 557").as_deref(),
            Some("9231557")
        );
        assert_eq!(
            order("it's um one two three four five six seven").as_deref(),
            Some("1234567")
        );
        assert_eq!(
            order("order twelve thirty four fifty six").as_deref(),
            Some("123456")
        );
        assert_eq!(
            order("the order's number is triple two four five six").as_deref(),
            Some("222456")
        );
        // The order number named earlier, with an aside before the digits.
        assert_eq!(
            order("the order number it's on the email hang on 2 0 2 6 0 3 1 1 7 4").as_deref(),
            Some("2026031174")
        );
        assert_eq!(
            order("what's the status of 6120458839").as_deref(),
            Some("6120458839")
        );
        // The phone it is read from is not the number's kind.
        assert_eq!(
            order("reading it off my phone it's 3 3 0 9 1 8 4 4 2 7 5").as_deref(),
            Some("33091844275")
        );
        let both = ids("my order number is 1234567891234 and my phone is 5125550199");
        assert_eq!(both.phone_number.as_deref(), Some("5125550199"));
        assert_eq!(
            ids("the order number is on my email and my phone is 5125550199").phone_number,
            Some("5125550199".to_string())
        );
        assert_eq!(order("cancel order ending in 4 5 6"), None);
        assert_eq!(order("cancel my order"), None);
    }

    #[test]
    fn groups_said_in_turn_are_one_number() {
        assert_eq!(
            order("it starts with 88 then 12345 then 678910").as_deref(),
            Some("8812345678910")
        );
        assert_eq!(
            ids("area code three one two then five five five oh one four six")
                .phone_number
                .as_deref(),
            Some("3125550146")
        );
        // A whole number said first is not a group of the next.
        let both = ids("order 1234567891234 then 78701");
        assert_eq!(both.order_number.as_deref(), Some("1234567891234"));
        assert_eq!(both.zip_code.as_deref(), Some("78701"));
    }

    #[test]
    fn quantities_after_an_order_number_are_given_back() {
        let w = tokenize("order one two three four five six seven eight two bags of coffee");
        let mut taken = vec![false; w.len()];
        let got = extract(&w, &mut taken, None);
        assert_eq!(got.order_number.as_deref(), Some("12345678"));
        let two = w.iter().position(|x| x == "bags").expect("word") - 1;
        assert!(!taken[two]);
        // A question that starts with "can" counts nothing.
        let asked = ids("order number four three eight one two nine zero can you deliver it");
        assert_eq!(asked.order_number.as_deref(), Some("4381290"));
        let come = ids("for order nine double eight seven four two oh six one can it come friday");
        assert_eq!(come.order_number.as_deref(), Some("988742061"));
        let money =
            ids("for order fifty fifty twelve nineteen oh eight can the money go to my bank");
        assert_eq!(money.order_number.as_deref(), Some("5050121908"));
        let five_cans = ids("order one two three four five six seven eight five cans of soup");
        assert_eq!(five_cans.order_number.as_deref(), Some("12345678"));
    }

    #[test]
    fn zip_codes() {
        assert_eq!(ids("my zip is 78701").zip_code.as_deref(), Some("78701"));
        assert_eq!(
            ids("zip code should be three oh three oh one")
                .zip_code
                .as_deref(),
            Some("30301")
        );
        assert_eq!(
            ids("postal code nine oh two one oh").zip_code.as_deref(),
            Some("90210")
        );
        assert_eq!(
            ids("seven eight seven oh one").zip_code.as_deref(),
            Some("78701")
        );
        assert_eq!(ids("zip 78701 1234").zip_code.as_deref(), Some("78701"));
        assert_eq!(
            ids("the postcode for this order is out of date, it's three oh three one two")
                .zip_code
                .as_deref(),
            Some("30312")
        );
        let s = "the zip code on my order is wrong it's nine four one oh seven not nine four one seven oh";
        assert_eq!(ids(s).zip_code.as_deref(), Some("94107"));
        let s = "not nine four one seven oh it's nine four one oh seven";
        assert_eq!(ids(s).zip_code.as_deref(), Some("94107"));
    }

    #[test]
    fn phone_numbers() {
        assert_eq!(
            ids("my number is 512 555 0199").phone_number.as_deref(),
            Some("5125550199")
        );
        assert_eq!(
            ids("call me on one five one two five five five oh one nine nine")
                .phone_number
                .as_deref(),
            Some("5125550199")
        );
        assert_eq!(
            ids(
                "cancel the order under phone number oh seven seven oh oh nine oh oh one two three"
            )
            .phone_number
            .as_deref(),
            Some("07700900123")
        );
        assert_eq!(
            ids("mobile 555 0199").phone_number.as_deref(),
            Some("5550199")
        );
        assert_eq!(
            ids("5125550199").phone_number.as_deref(),
            Some("5125550199")
        );
        assert_eq!(
            ids("the phone number on the account is six one seven five five five oh one two three")
                .phone_number
                .as_deref(),
            Some("6175550123")
        );
        assert_eq!(
            ids("the number on my account is 2 0 6 5 5 5 0 1 1 1")
                .phone_number
                .as_deref(),
            Some("2065550111")
        );
        let phone = |s: &str| ids(s).phone_number;
        let want = Some("5125550199".to_string());
        assert_eq!(phone("it's 555 0199 and the area code is 512"), want);
        assert_eq!(
            phone("five five five oh one nine nine oh and area code five one two"),
            want
        );
        assert_eq!(phone("the last four are 0199 and it starts 512 555"), want);
        assert_eq!(
            phone("five one two five five five hang on oh one nine nine"),
            want
        );
        assert_eq!(
            phone("it's five one two, that's Texas, five five five oh one nine nine"),
            want
        );
        assert_eq!(
            phone("area code five one two then it's five five five oh one nine nine"),
            want
        );
        let on_the_order =
            ids("the phone number on the order is five one two five five five oh one nine nine");
        assert_eq!(on_the_order.phone_number, want);
        assert_eq!(on_the_order.order_number, None);
        // The text message a number is read from is no phone cue; texting is.
        let message = ids("the text has a number... 2829731447294");
        assert_eq!(message.order_number.as_deref(), Some("2829731447294"));
        assert_eq!(message.phone_number, None);
        assert_eq!(phone("text me at 5125550199"), want);
        let uk = Some("02079460018".to_string());
        assert_eq!(
            phone("contact number oh two oh seven nine four six double oh one eight"),
            uk
        );
        assert_eq!(
            phone("whatsapp me on oh seven nine double oh nine double oh triple seven"),
            Some("07900900777".to_string())
        );
        // An order number said after a phone that broke is still the order's.
        let broke = ids("my phone died so my order number is 1000000000011");
        assert_eq!(broke.order_number.as_deref(), Some("1000000000011"));
        // Said twice, once typed and once spelled: once.
        let twice = ids("it's 43215. four three two one five.");
        assert_eq!(twice.zip_code.as_deref(), Some("43215"));
        assert_eq!(twice.phone_number, None);
        assert_eq!(
            phone("my phone is 55555 55555").as_deref(),
            Some("5555555555")
        );
        // Two identifiers with a word between stay two.
        let two = ids("order 1234567891234 and 78701");
        assert_eq!(two.order_number.as_deref(), Some("1234567891234"));
        assert_eq!(two.zip_code.as_deref(), Some("78701"));
        let got = ids("cancel the phone charger order 123456789");
        assert_eq!(got.phone_number, None);
        assert_eq!(got.order_number.as_deref(), Some("123456789"));
    }

    #[test]
    fn a_run_that_corrects_the_last_one_replaces_its_tail_or_all_of_it() {
        let said = "six one seven, five five five, oh one two four, no sorry, oh one two three";
        assert_eq!(ids(said).phone_number.as_deref(), Some("6175550123"));
        let said = "order 1000 00000 0024 no wait I mean 1000 00000 0042";
        assert_eq!(ids(said).order_number.as_deref(), Some("1000000000042"));
        let said = "my zip is seven eight seven one oh, sorry, seven oh one";
        assert_eq!(ids(said).zip_code.as_deref(), Some("78701"));
        // A new sentence between two numbers is not a correction.
        let got = ids("zip 78701, no and the order number is 1000 00000 0042");
        assert_eq!(got.zip_code.as_deref(), Some("78701"));
        assert_eq!(got.order_number.as_deref(), Some("1000000000042"));
        // "not" keeps its own meaning: the run after it is the one taken back.
        assert_eq!(
            ids("it's 94107 not 94170").zip_code.as_deref(),
            Some("94107")
        );
    }

    #[test]
    fn expectation_biases_bare_answers() {
        // Asked for a street, a house and flat number run together is no order number;
        // a whole one still is.
        let street = Some(EntityKind::Street);
        assert_eq!(
            ids_with("it's 281 218 willow street", street).order_number,
            None
        );
        assert_eq!(
            ids_with("1234567891234", street).order_number.as_deref(),
            Some("1234567891234")
        );
        let s = "seven eight seven oh one";
        assert_eq!(
            ids_with(s, Some(EntityKind::ZipCode)).zip_code.as_deref(),
            Some("78701")
        );
        assert_eq!(
            ids_with(s, Some(EntityKind::OrderNumber))
                .order_number
                .as_deref(),
            Some("78701")
        );
        let s = "1234567890";
        assert_eq!(
            ids_with(s, Some(EntityKind::OrderNumber))
                .order_number
                .as_deref(),
            Some("1234567890")
        );
        assert_eq!(ids(s).phone_number.as_deref(), Some("1234567890"));
        assert_eq!(
            ids_with(
                "five five five oh one nine nine",
                Some(EntityKind::PhoneNumber)
            )
            .phone_number
            .as_deref(),
            Some("5550199")
        );
    }

    #[test]
    fn several_identifiers_in_one_utterance() {
        let got = ids("order 1234567891234 and my zip is 78701 phone 512 555 0199");
        assert_eq!(got.order_number.as_deref(), Some("1234567891234"));
        assert_eq!(got.zip_code.as_deref(), Some("78701"));
        assert_eq!(got.phone_number.as_deref(), Some("5125550199"));
    }

    #[test]
    fn short_or_absurd_runs_are_nothing() {
        assert_eq!(ids("two bags"), Identifiers::default());
        assert_eq!(ids("one two three"), Identifiers::default());
        assert_eq!(ids(&"1".repeat(40)), Identifiers::default());
        assert_eq!(
            ids("rma number 88123 status please"),
            Identifiers::default()
        );
        assert_eq!(
            ids("my tracking number is 1234567890"),
            Identifiers::default()
        );
    }
}

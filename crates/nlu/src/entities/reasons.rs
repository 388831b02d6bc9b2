//! Return reasons, cancel reasons and refund methods, read from the synonym tables.
//!
//! A phrase may mean a return reason, a cancel reason or both ("changed my mind"). The
//! words around decide which is filled:
//! - the utterance talks about cancelling ("cancel", "cancellation", the mis-heard
//!   "cancer") and not about returning → cancel_reason, from the cancel table;
//! - it talks about returning ("return", "refund", "send it back") and not cancelling →
//!   return_reason, from the return table;
//! - in either case, when only the other table has the phrase, the phrase's own table
//!   fills its own entity ("cancel it, it arrived broken" → return_reason damaged);
//! - no cue (or both): every table that has the phrase fills its entity.
//!
//! A phrase right after "not" ("it's not broken") is ignored.

use super::phrases::{longest_non_overlapping, Tables};
use super::{CancelReason, RefundMethod, ReturnReason};

#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Reasons {
    pub return_reason: Option<ReturnReason>,
    pub cancel_reason: Option<CancelReason>,
    pub refund_method: Option<RefundMethod>,
    /// Words of the refund phrase ("on a gift card"), which name no product.
    pub refund_span: Option<(usize, usize)>,
    /// A return reason phrase is said after a negation ("not damaged", "no damage",
    /// "never broke"): the sentence's meaning must not supply one the words refuse.
    pub denied: bool,
}

#[derive(Debug, Clone, Copy)]
enum Reason {
    Return(ReturnReason),
    Cancel(CancelReason),
}

/// "Cancel", "cancellation", "cancelled", and the recogniser's "cancer".
pub(crate) fn is_cancel_cue(w: &str) -> bool {
    w.starts_with("cancel") || w == "cancer" || w == "cancelation"
}

/// Occasions a thing was bought for, which get called off: "the trip got cancelled".
const OCCASIONS: &[&str] = &[
    "trip",
    "holiday",
    "vacation",
    "party",
    "wedding",
    "event",
    "concert",
    "flight",
    "match",
    "game",
    "show",
    "festival",
    "plans",
    "plan",
    "course",
    "class",
    "lesson",
    "lessons",
    "camp",
    "christening",
    "celebration",
    "gig",
    "race",
    "tournament",
    "conference",
    "meeting",
    "appointment",
    "play",
    "visit",
    "weekend",
    "barbecue",
    "bbq",
    "reunion",
    "shoot",
];

/// "The trip got cancelled", "the concert it was for was cancelled": the cancelling word
/// at `i` is of an occasion, said as why the goods are unwanted, not a request to cancel
/// the order.
fn called_off(words: &[String], i: usize) -> bool {
    matches!(words[i].as_str(), "cancelled" | "canceled")
        && i > 0
        && matches!(
            words[i - 1].as_str(),
            "got" | "was" | "were" | "been" | "is" | "are" | "being" | "all"
        )
        && words[i.saturating_sub(6)..i]
            .iter()
            .any(|w| OCCASIONS.contains(&w.as_str()))
}

/// "Refund", "refunded", and the recogniser's "re fund".
fn is_refund_word(words: &[String], i: usize) -> bool {
    words[i].starts_with("refund")
        || (words[i] == "re" && words.get(i + 1).is_some_and(|n| n == "fund"))
}

/// Whether the words talk of sending something back ("return it", "send them back"), a
/// refund alone aside.
pub(crate) fn sends_back(words: &[String]) -> bool {
    (0..words.len()).any(|i| is_return_cue(words, i) && !is_refund_word(words, i))
}

fn is_return_cue(words: &[String], i: usize) -> bool {
    let w = words[i].as_str();
    if w.starts_with("return") || w.starts_with("refund") || w == "rma" {
        return true;
    }
    if w == "re" && words.get(i + 1).is_some_and(|n| n == "fund") {
        return true;
    }
    // "it's going back", "they go back today".
    if matches!(w, "going" | "goes" | "go") && words.get(i + 1).is_some_and(|n| n == "back") {
        return true;
    }
    // "send it back", "sending them back", "take it back".
    matches!(
        w,
        "send" | "sending" | "sent" | "ship" | "take" | "taking" | "post" | "posting" | "bring"
    ) && words.iter().skip(i + 1).take(4).any(|n| n == "back")
}

/// "I don't want store credit", "don't bother with the card", "instead of my card", "not
/// to the card": a way of refunding the caller turns down, within the few words before it.
fn refused_way(words: &[String], start: usize) -> bool {
    let from = start.saturating_sub(4);
    let wanting = words[from..start].windows(2).any(|p| {
        p[0] == "not" && matches!(p[1].as_str(), "want" | "bother" | "need" | "like" | "fancy")
    });
    // "Not the card", "instead of my card", "rather than to the card", "no store
    // credit": the refusing word right before the way, with only "the", "my", "to" and
    // the like between.
    let mut k = start;
    while k > 0
        && matches!(
            words[k - 1].as_str(),
            "the" | "my" | "a" | "your" | "to" | "on" | "into" | "onto" | "back"
        )
    {
        k -= 1;
    }
    let right_before = |w: &str| k > 0 && words[k - 1] == w;
    let pair_before = |a: &str, b: &str| k > 1 && words[k - 2] == a && words[k - 1] == b;
    wanting
        || right_before("not")
        || right_before("no")
        || right_before("without")
        || pair_before("instead", "of")
        || pair_before("rather", "than")
}

/// Words after "original" that make it the item's, not the payment's ("the original
/// packaging", "original box").
const ORIGINAL_OF_THE_ITEM: [&str; 10] = [
    "packaging",
    "package",
    "packing",
    "box",
    "boxes",
    "bag",
    "wrapping",
    "tags",
    "condition",
    "receipt",
];
/// What the buyer stopped doing with a thing, not what the thing stopped doing: "we
/// stopped using it" is no fault in it.
const STOPPED_BY_THE_BUYER: &[&str] = &[
    "using",
    "wearing",
    "needing",
    "wanting",
    "selling",
    "shipping",
    "sending",
    "taking",
    "ordering",
    "buying",
    "paying",
    "waiting",
    "eating",
    "drinking",
    "liking",
    "caring",
    "bothering",
    "being",
    "delivering",
    "stocking",
    "carrying",
    "offering",
    "answering",
    "replying",
    "responding",
    "trying",
    "getting",
    "receiving",
    "feeding",
    "playing",
];

/// "The printer stopped printing", "the fan quit spinning": a thing that stopped doing
/// its job in use, however its job is named. The tables name the common ones; this
/// reads the rest. Not after "not" or "never".
fn stopped_doing_its_job(words: &[String]) -> bool {
    words.windows(2).enumerate().any(|(i, pair)| {
        let denied = i > 0 && matches!(words[i - 1].as_str(), "not" | "never");
        matches!(pair[0].as_str(), "stopped" | "stops" | "quit" | "quits")
            && pair[1].len() > 5
            && pair[1].ends_with("ing")
            && !STOPPED_BY_THE_BUYER.contains(&pair[1].as_str())
            && !denied
    })
}

/// Words that say a thing broke while it was being used, not on its way: "after two
/// washes", "on its first trip", "it's already got a hole".
const IN_USE: &[&str] = &[
    "wash", "washes", "washing", "washed", "washer", "dryer", "laundry", "wear", "wears",
    "wearing", "worn", "wore", "uses", "using", "already", "trip", "outing", "walk", "walks",
    "run", "runs", "ride", "rides",
];

/// Where a thing is made to hold: a seam or stitching that gives way is a fault in the
/// making ("ripped along the seam"), not harm on the way.
const MADE: &[&str] = &["seam", "seams", "stitching", "stitches", "stitch"];

/// Spans of time a thing was used for before it broke ("after a week").
const TIME_OF_USE: &[&str] = &[
    "day",
    "days",
    "week",
    "weeks",
    "fortnight",
    "month",
    "months",
    "year",
    "time",
    "times",
];

/// Words that place damage on the way: "it arrived cracked", "the box was soaked".
const ON_THE_WAY: &[&str] = &[
    "arrived",
    "arrives",
    "came",
    "delivered",
    "delivery",
    "box",
    "packaging",
    "parcel",
    "package",
    "courier",
    "driver",
    "transit",
    "post",
    "opened",
    "opening",
    "unboxed",
    "unboxing",
    "unpacked",
    "unpacking",
    "doorstep",
];

/// Words after "first" that make it the first use ("the first windy day", "on its first
/// outing", "first time out").
const FIRST_USE: &[&str] = &[
    "day", "time", "use", "wear", "wash", "go", "outing", "trip", "walk", "run", "ride", "week",
];

/// "Snapped when I was walking", "split while we were hiking", "cracked while heating
/// soup": a clause of what the buyer was doing when it gave way, or its first use.
fn said_in_use(words: &[String]) -> bool {
    let doing = |w: &str| w.len() > 4 && w.ends_with("ing") && !ON_THE_WAY.contains(&w);
    words.iter().enumerate().any(|(i, w)| {
        let after = |k: usize| words.get(i + k).map(String::as_str);
        match w.as_str() {
            "when" | "while" => {
                // "while heating soup", "when i was walking", "while we were out walking".
                after(1).is_some_and(doing)
                    || (matches!(after(1), Some("i" | "we" | "he" | "she" | "they" | "you"))
                        && matches!(after(2), Some("was" | "were"))
                        && (3..=4).any(|k| after(k).is_some_and(doing)))
            }
            "first" => (1..=3).any(|k| after(k).is_some_and(|n| FIRST_USE.contains(&n))),
            _ => false,
        }
    })
}

/// "The print cracked and peeled after two washes", "the zip split on its first trip":
/// damage a thing took in use is a fault in it, not damage on the way, unless the words
/// also place it on the way.
fn broke_in_use(words: &[String]) -> bool {
    // "The second time I used it", "used them twice".
    let used = words.windows(2).any(|p| {
        p[0] == "used" && matches!(p[1].as_str(), "it" | "them" | "once" | "twice" | "for")
    });
    let in_use = used
        || said_in_use(words)
        || words
            .iter()
            .any(|w| IN_USE.contains(&w.as_str()) || MADE.contains(&w.as_str()))
        || words.iter().enumerate().any(|(i, w)| {
            w == "after"
                && words[i + 1..]
                    .iter()
                    .take(3)
                    .any(|n| TIME_OF_USE.contains(&n.as_str()))
        });
    in_use && !words.iter().any(|w| ON_THE_WAY.contains(&w.as_str()))
}

/// Words that end a clause's naming of a thing: "i ordered the blue ones *and* …", "what
/// came is a single *so* …", or begin something other than the thing ("on monday", "last
/// week", "to my house").
const CLAUSE_ENDS: &[&str] = &[
    "but",
    "and",
    "yet",
    "though",
    "although",
    "whereas",
    "while",
    "so",
    "because",
    "instead",
    "then",
    "not",
    "you",
    "they",
    "i",
    "we",
    "he",
    "she",
    "it",
    "these",
    "those",
    "this",
    "that",
    "what",
    "which",
    "who",
    "is",
    "are",
    "was",
    "were",
    "has",
    "have",
    "had",
    "will",
    "would",
    "can",
    "could",
    "did",
    "does",
    "do",
    "on",
    "from",
    "last",
    "yesterday",
    "today",
    "ago",
    "online",
    "at",
    "by",
    "via",
    "through",
    "when",
    "if",
    "please",
    "kindly",
    "to",
    "with",
    "after",
    "before",
    "back",
    "here",
    "there",
    "home",
    "yet",
    "ages",
    "weeks",
    "week",
    "days",
    "day",
    "month",
    "months",
    "earlier",
    "already",
    "just",
    "only",
    "came",
    "come",
    "arrived",
    "turned",
    "got",
    "received",
    "sent",
    "delivered",
];

/// Words around a thing that do not tell one thing from another: "the", "a pair of",
/// "the one for", "in colour".
const NOT_THE_THING: &[&str] = &[
    "a", "an", "the", "some", "one", "ones", "pair", "pairs", "of", "in", "my", "our", "your",
    "me", "us", "colour", "color", "coloured", "colored", "version", "model", "kind", "type",
    "variety", "for", "actually", "really", "item", "thing", "product",
];

/// What is sent or got that is no goods: "you sent me an email", "I ordered a kettle and got
/// a text", "got charged twice". Said after what came, these make no wrong item.
const NOT_GOODS: &[&str] = &[
    "email",
    "emails",
    "mail",
    "e",
    "text",
    "texts",
    "message",
    "messages",
    "sms",
    "link",
    "links",
    "code",
    "codes",
    "refund",
    "reply",
    "response",
    "answer",
    "confirmation",
    "notification",
    "notifications",
    "notice",
    "invoice",
    "receipt",
    "bill",
    "charge",
    "charged",
    "tracking",
    "update",
    "updates",
    "voucher",
    "coupon",
    "letter",
    "call",
    "calls",
    "nothing",
    "no",
    "question",
    "questions",
    "delivery",
    "date",
    "order",
    "orders",
    "parcel",
    "package",
    "time",
    "slot",
    "estimate",
    "alert",
    "survey",
    "password",
    "account",
    "reminder",
    "warning",
    "apology",
    "explanation",
    "told",
    "asked",
    "offered",
    "sent",
    "lost",
    "delayed",
    "stuck",
    "cancelled",
    "canceled",
    "refunded",
    "shipped",
    "delivered",
    "dispatched",
    "returned",
    "it",
    "them",
    "nowhere",
    "anything",
    "everything",
    "number",
    "reference",
    "discount",
    "offer",
];

/// Words a wrong item's phrase ends on before naming what came: "you sent me …", "ordered
/// a kettle and got …", "received a different …".
const CAME_WORDS: &[&str] = &[
    "sent",
    "got",
    "received",
    "delivered",
    "brought",
    "gave",
    "me",
    "us",
    "different",
];

/// Whether what follows `end` names something other than goods ("… an email about it").
fn names_no_goods_after(words: &[String], end: usize) -> bool {
    let mut k = end;
    while k < words.len()
        && matches!(
            words[k].as_str(),
            "me" | "us" | "a" | "an" | "the" | "my" | "our" | "some" | "another" | "two" | "second"
        )
    {
        k += 1;
    }
    words
        .get(k)
        .is_some_and(|w| NOT_GOODS.contains(&w.as_str()))
}

/// "The speaker you sent me turned up bashed in", "those plates they sent are chipped":
/// "you sent me" said right after the thing names which thing, not that it is the wrong
/// one. The phrase at `start..end` is only the sending (it names no thing itself), the
/// thing before it is led by a determiner, and no thing follows it.
fn names_the_thing_sent(words: &[String], start: usize, end: usize) -> bool {
    let sender = matches!(words[start].as_str(), "you" | "they");
    let only_sending = words[start + 1..end]
        .iter()
        .all(|w| matches!(w.as_str(), "sent" | "me" | "us" | "have" | "had"));
    let thing_before = start >= 2
        && !CLAUSE_ENDS.contains(&words[start - 1].as_str())
        && words[start.saturating_sub(4)..start - 1].iter().any(|w| {
            matches!(
                w.as_str(),
                "the" | "that" | "this" | "those" | "these" | "my" | "our"
            )
        });
    let thing_after = words.get(end).is_some_and(|w| {
        matches!(
            w.as_str(),
            "a" | "an" | "the" | "some" | "another" | "two" | "one" | "me" | "us"
        )
    });
    sender && only_sending && thing_before && !thing_after
}

/// "You sent", "they've packed", "you guys shipped": the shop is said to have sent what
/// came.
fn shop_sent(words: &[String]) -> bool {
    words.iter().enumerate().any(|(i, w)| {
        let sender = matches!(w.as_str(), "you" | "they" | "guys" | "warehouse");
        let mut k = i + 1;
        if words.get(k).is_some_and(|n| n == "have" || n == "had") {
            k += 1;
        }
        sender
            && words.get(k).is_some_and(|n| {
                matches!(
                    n.as_str(),
                    "sent"
                        | "packed"
                        | "shipped"
                        | "delivered"
                        | "dispatched"
                        | "posted"
                        | "gave"
                        | "given"
                )
            })
    })
}

/// "I'm getting a different brand", "we'd rather go for another model": another thing
/// the buyer means to have instead is their decision, not a wrong item sent. The phrase
/// at `start` names the other thing ("different brand").
fn buyer_chooses_another(words: &[String], start: usize) -> bool {
    let mut k = start;
    while k > 0 && matches!(words[k - 1].as_str(), "a" | "the" | "for" | "with" | "to") {
        k -= 1;
    }
    k > 0
        && matches!(
            words[k - 1].as_str(),
            "getting"
                | "get"
                | "buying"
                | "buy"
                | "bought"
                | "prefer"
                | "preferred"
                | "want"
                | "wanted"
                | "going"
                | "go"
                | "went"
                | "switching"
                | "switch"
                | "choose"
                | "chose"
                | "try"
                | "trying"
                | "rather"
                | "picking"
                | "pick"
                | "found"
        )
}

/// Colours, and sizes said as words: what tells one variant of a thing from another.
const COLOURS: &[&str] = &[
    "black",
    "white",
    "red",
    "blue",
    "green",
    "yellow",
    "pink",
    "purple",
    "orange",
    "brown",
    "grey",
    "gray",
    "navy",
    "beige",
    "cream",
    "silver",
    "gold",
    "teal",
    "khaki",
    "burgundy",
    "maroon",
    "ivory",
    "tan",
    "charcoal",
    "turquoise",
    "lilac",
    "mint",
    "olive",
    "coral",
];
const SIZE_WORDS: &[&str] = &[
    "xs", "xxs", "small", "medium", "large", "xl", "xxl", "xxxl", "single", "double", "king",
    "queen", "petite", "tall", "regular",
];

fn is_number_word(w: &str) -> bool {
    super::text::is_digits(w)
        || matches!(w, "hundred" | "thousand")
        || super::numbers::unit_word(w).is_some()
        || super::numbers::teen_word(w).is_some()
        || super::numbers::tens_word(w).is_some()
}

/// Units a listing states a measure in: "28 centimetres", "50 litres", "15 inch".
const UNITS: &[&str] = &[
    "cm",
    "centimetres",
    "centimeters",
    "centimetre",
    "centimeter",
    "mm",
    "millimetres",
    "millimeters",
    "m",
    "metre",
    "metres",
    "meter",
    "meters",
    "inch",
    "inches",
    "foot",
    "feet",
    "ft",
    "l",
    "litre",
    "litres",
    "liter",
    "liters",
    "ml",
    "cl",
    "kg",
    "kilo",
    "kilos",
    "kilogram",
    "kilograms",
    "g",
    "gram",
    "grams",
    "lb",
    "lbs",
    "oz",
    "ounce",
    "ounces",
    "watt",
    "watts",
    "w",
    "mah",
    "milliamp",
    "milliamps",
    "amp",
    "amps",
    "volt",
    "volts",
    "hz",
    "mb",
    "megapixel",
    "megapixels",
    "gb",
    "tb",
    "gallon",
    "gallons",
    "pint",
    "pints",
    "tog",
    "seater",
];

/// The words naming a thing from `from` on, up to where its clause ends, without the
/// words that tell no thing from another: "the size 8 sandals" → size 8 sandals. A count
/// alone ("two", "3") names no thing; a number of a size or a measure does.
fn thing_named(words: &[String], from: usize) -> Vec<&str> {
    let mut out = Vec::new();
    // The word before was a number kept as a size: "a thirty two" goes on as one.
    let mut sized = false;
    for k in from..words.len().min(from + 7) {
        let w = words[k].as_str();
        if CLAUSE_ENDS.contains(&w) {
            break;
        }
        if NOT_THE_THING.contains(&w) {
            continue;
        }
        // "Size 8", "a 40", "the 38": a size; "28 centimetres": a measure; "I ordered
        // thirty four" with nothing after it: a size, for no thing is counted.
        let measured = k > 0 && matches!(words[k - 1].as_str(), "size" | "a" | "an" | "the")
            || words
                .get(k + 1)
                .is_some_and(|n| UNITS.contains(&n.as_str()))
            || sized
            || bare_number(words, from, k);
        if is_number_word(w) && !measured {
            continue;
        }
        sized = is_number_word(w);
        out.push(w);
    }
    out
}

/// Whether the number said at `k`, first of the thing named from `from`, stands alone
/// up to where its clause ends: "I ordered thirty four, it says so" names a size.
fn bare_number(words: &[String], from: usize, k: usize) -> bool {
    let led = (from..k).all(|j| NOT_THE_THING.contains(&words[j].as_str()));
    let mut e = k;
    while e < words.len() && is_number_word(&words[e]) {
        e += 1;
    }
    led && e > k && (e == words.len() || CLAUSE_ENDS.contains(&words[e].as_str()))
}

/// "Nines", "tens", "sixes": sizes said in the plural ("they're nines and I ordered
/// tens").
fn plural_size(w: &str) -> bool {
    let one = w.strip_suffix("es").filter(|s| s.ends_with('x'));
    one.or_else(|| w.strip_suffix('s'))
        .is_some_and(|s| !s.is_empty() && is_number_word(s))
}

/// What was ordered: the words after "ordered" ("I'd ordered the oat milk"), "asked for",
/// "paid for", "chose" or "selected", with where they start. "It in red" names the red.
fn things_ordered(words: &[String]) -> Vec<(usize, Vec<&str>)> {
    let mut out = Vec::new();
    for i in 0..words.len() {
        let from = match words[i].as_str() {
            "ordered" | "chose" | "selected" => i + 1,
            "asked" | "paid" if words.get(i + 1).is_some_and(|n| n == "for") => i + 2,
            _ => continue,
        };
        if i > 0 && matches!(words[i - 1].as_str(), "not" | "never" | "you") {
            continue;
        }
        let from = match words.get(from).map(String::as_str) {
            Some("it" | "them") if words.get(from + 1).is_some_and(|n| n == "in") => from + 2,
            // "Ordered for my mum", "ordered on monday": no thing named.
            Some("for" | "in") => continue,
            _ => from,
        };
        let thing = thing_named(words, from);
        if !thing.is_empty() {
            out.push((i, thing));
        }
    }
    out
}

/// What came, with where it is said and whether only a variant is comparable: "you sent
/// the sparkling water", "I have received blue", "what came is a single", "the food you
/// sent is the puppy one" name a thing; "these are size 6", "it came in green" name only a
/// variant of it.
fn things_come(words: &[String]) -> Vec<(usize, Vec<&str>, bool)> {
    let copula = |w: &str| matches!(w, "is" | "are" | "was" | "were");
    let mut out = Vec::new();
    for j in 0..words.len() {
        let before = j.checked_sub(1).map(|b| words[b].as_str());
        let next = |k: usize| words.get(k).map(String::as_str);
        let (from, variant_only) = match words[j].as_str() {
            "received" | "got" if before != Some("you") => (j + 1, false),
            "sent" | "delivered" | "shipped" | "brought"
                if matches!(
                    before,
                    Some("you" | "they" | "have" | "been" | "was" | "were" | "guys")
                ) =>
            {
                let mut k = j + 1;
                if matches!(next(k), Some("me" | "us")) {
                    k += 1;
                }
                // "The dog food you sent is the puppy one".
                if next(k).is_some_and(copula) {
                    k += 1;
                }
                (k, false)
            }
            "came" | "come" | "arrived"
                if matches!(
                    before,
                    Some("what" | "which" | "that" | "it" | "they" | "one" | "ordered")
                ) =>
            {
                match next(j + 1) {
                    Some(w) if copula(w) => (j + 2, false),
                    Some("in") => (j + 2, true),
                    _ => continue,
                }
            }
            // "These are size 6", "the jeans are a thirty two".
            w if copula(w)
                && (matches!(
                    before,
                    Some("these" | "this" | "they" | "it" | "those" | "that")
                ) || (j >= 2
                    && matches!(words[j - 2].as_str(), "the" | "these" | "those" | "my")
                    && before.is_some_and(|b| !CLAUSE_ENDS.contains(&b)))) =>
            {
                (j + 1, true)
            }
            _ => continue,
        };
        // "Got them today", "received it": no thing named; "got an email": no goods.
        if names_no_goods_after(words, from) {
            continue;
        }
        let thing = thing_named(words, from);
        if !thing.is_empty() {
            out.push((j, thing, variant_only));
        }
    }
    out
}

/// The variants a thing is named by: its colours, and its sizes (a size word, the
/// number after "size", a measure).
fn variants<'a>(thing: &[&'a str]) -> (Vec<&'a str>, Vec<&'a str>) {
    let colours = thing
        .iter()
        .copied()
        .filter(|w| COLOURS.contains(w))
        .collect();
    let sizes = thing
        .iter()
        .copied()
        .filter(|w| SIZE_WORDS.contains(w) || is_number_word(w) || plural_size(w))
        .collect();
    (colours, sizes)
}

/// "I ordered the black ones but got white", "you sent the sparkling and I ordered still",
/// "ordered the size 8 and these are size 6": a thing ordered set against another that
/// came is a wrong item, however the two are joined. What came must be goods (not "an
/// email"), and differ from what was ordered; said only as "it is …", it must differ in
/// the colour or size both sides name.
fn ordered_one_came_another(words: &[String]) -> bool {
    let ordered = things_ordered(words);
    let come = things_come(words);
    ordered.iter().any(|(o, wanted)| {
        come.iter().any(|(c, got, variant_only)| {
            if o == c {
                return false;
            }
            if *variant_only {
                let (wc, ws) = variants(wanted);
                let (gc, gs) = variants(got);
                let differs = |w: &[&str], g: &[&str]| {
                    !w.is_empty() && !g.is_empty() && g.iter().any(|x| !w.contains(x))
                };
                differs(&wc, &gc) || differs(&ws, &gs)
            } else {
                got.iter().any(|x| !wanted.contains(x))
            }
        })
    })
}

/// Words that say what a listing, label or the buyer was told: "the listing says", "meant
/// to be", "listed as", "supposed to fit".
const STATED: &[&str] = &[
    "says",
    "said",
    "say",
    "listed",
    "listing",
    "advertised",
    "advert",
    "described",
    "description",
    "claims",
    "claimed",
    "meant",
    "supposed",
    "labelled",
    "labeled",
    "label",
    "stated",
    "states",
    "rated",
    "sold",
    "shows",
    "showed",
    "pictured",
    "website",
    "page",
    "catalogue",
    "catalog",
    "brochure",
];

/// Words that set what came against a stated measure: "holds far less", "it's tiny",
/// "24 at most", "I measured it", "nowhere near".
const FALLS_SHORT: &[&str] = &[
    "less",
    "smaller",
    "bigger",
    "larger",
    "shorter",
    "longer",
    "lighter",
    "heavier",
    "thinner",
    "thicker",
    "narrower",
    "wider",
    "shallower",
    "deeper",
    "tiny",
    "huge",
    "barely",
    "most",
    "nowhere",
    "anywhere",
    "half",
    "measured",
    "measure",
    "measures",
    "measuring",
    "closer",
    "nearer",
    "short",
];

/// A number said of a measure ("it's 24"), not "one" (a thing) nor an identifier.
fn another_number(w: &str) -> bool {
    (super::text::is_digits(w) && w.len() <= 4) || (is_number_word(w) && w != "one")
}

/// "It's meant to be 28 centimetres and it's 24", "holds less than the 50 litres the
/// listing says": a measure the listing stated, set against what came, is the right item
/// not as described. The measure is a number with its unit, said within a few words of
/// what stated it; what came is another number or a word of falling short.
fn stated_measure_not_met(words: &[String]) -> bool {
    (0..words.len().saturating_sub(1)).any(|k| {
        let is_measure = is_number_word(&words[k]) && UNITS.contains(&words[k + 1].as_str());
        if !is_measure {
            return false;
        }
        let near = &words[k.saturating_sub(7)..(k + 8).min(words.len())];
        let stated = near.iter().any(|w| STATED.contains(&w.as_str()));
        let short = words.iter().enumerate().any(|(i, w)| {
            if i == k || i == k + 1 {
                return false;
            }
            let numbered = |b: usize| {
                i.checked_sub(b)
                    .is_some_and(|p| matches!(words[p].as_str(), "order" | "number" | "ref"))
            };
            // "About a litre" against the "2 litres" stated.
            FALLS_SHORT.contains(&w.as_str())
                || (UNITS.contains(&w.as_str()) && i != k + 1)
                || (another_number(w) && w != &words[k] && !numbered(1) && !numbered(2))
        });
        stated && short
    })
}

/// Words that say what the listing or the label claimed of the thing, whatever follows:
/// "listed as blackout", "advertised with a lid", "described as solid wood".
const CLAIMED: &[&str] = &[
    "listed",
    "advertised",
    "described",
    "marketed",
    "billed",
    "labelled",
    "labeled",
    "sold",
    "branded",
];

/// What said it, before "says": "the product page says", "the label said".
const SAYERS: &[&str] = &[
    "listing",
    "description",
    "page",
    "website",
    "site",
    "advert",
    "ad",
    "label",
    "tag",
    "box",
    "packaging",
    "it",
    "photo",
    "photos",
    "picture",
    "pictures",
];

/// Words that turn a claim into one the thing does not meet: "is only shower
/// resistant", "it's not steel", "there's no lid", "clearly made for a small dog".
const BELIES: &[&str] = &[
    "only", "not", "no", "but", "actually", "clearly", "nowhere", "barely", "instead", "really",
    "never", "hardly", "just", "none", "nothing", "without",
];

/// Words right after a claim that make it one of the order, not of the thing: "listed as
/// delivered", "supposed to be here by monday", "said it would arrive".
const OF_THE_ORDER: &[&str] = &[
    "delivered",
    "delivery",
    "dispatched",
    "dispatch",
    "shipped",
    "shipping",
    "postage",
    "here",
    "arriving",
    "arrive",
    "come",
    "coming",
    "today",
    "tomorrow",
    "day",
    "days",
    "week",
    "out",
    "stock",
    "available",
    "free",
    "on",
    "back",
    "refunded",
    "cancelled",
    "processing",
    // What it was for, not what it is: "it was meant to be a present".
    "gift",
    "present",
    "surprise",
    "birthday",
    "christmas",
];

/// "Supposed to be here by monday but", "listed as delivered but": a phrase of a claim at
/// `start..end` whose claim is of the order, not of the thing.
fn claims_of_the_order(words: &[String], start: usize, end: usize) -> bool {
    (start..end).any(|c| {
        let claim = matches!(
            words[c].as_str(),
            "supposed" | "meant" | "listed" | "said" | "says"
        );
        // "Said it would come today", "supposed to be here", "meant to be a present".
        let claimed = words[c + 1..]
            .iter()
            .filter(|w| !matches!(w.as_str(), "to" | "be" | "as" | "it" | "was" | "is" | "a"))
            .take(3);
        claim && claimed.clone().any(|w| OF_THE_ORDER.contains(&w.as_str()))
    })
}

/// "The curtains were listed as blackout and the light comes through", "the page says
/// waterproof and it's only shower resistant", "it was meant to be steel but it's
/// coated": a claim of the listing or label, then the thing not meeting it, is the right
/// item not as described. A claim of the order ("listed as delivered", "supposed to be
/// here") is none.
fn claim_not_met(words: &[String]) -> bool {
    words.iter().enumerate().any(|(i, w)| {
        let after = &words[i + 1..];
        let of_the_order = |from: usize| {
            after
                .iter()
                .skip(from)
                .take(3)
                .any(|n| OF_THE_ORDER.contains(&n.as_str()))
        };
        let belied = |from: usize| {
            after
                .iter()
                .skip(from + 1)
                .any(|n| BELIES.contains(&n.as_str()))
        };
        let w = w.as_str();
        // "Listed as", "advertised with": a claim of the thing itself.
        if CLAIMED.contains(&w) && after.first().is_some_and(|n| n == "as" || n == "with") {
            return !of_the_order(1) && after.len() > 2;
        }
        // "The page says", "it said", "the label claimed": then something it is not.
        let said = matches!(
            w,
            "says" | "said" | "claims" | "claimed" | "states" | "stated"
        ) && i > 0
            && SAYERS.contains(&words[i - 1].as_str());
        // "Supposed to be steel", "meant to be waterproof".
        let meant = matches!(w, "supposed" | "meant")
            && after.len() > 2
            && after[0] == "to"
            && after[1] == "be";
        (said && !of_the_order(0) && belied(1)) || (meant && !of_the_order(2) && belied(3))
    })
}

/// "The hoodie is tiny", "the slippers are enormous": a thing said to be far too big or
/// small, with no listing named, does not fit.
const FAR_OFF_IN_SIZE: &[&str] = &[
    "tiny",
    "enormous",
    "huge",
    "massive",
    "gigantic",
    "giant",
    "minuscule",
    "miniature",
    "ginormous",
];

/// Parts of the body a thing is got over or into: "couldn't get her arms in".
const BODY: &[&str] = &[
    "arm",
    "arms",
    "hand",
    "hands",
    "head",
    "foot",
    "feet",
    "leg",
    "legs",
    "toes",
    "heel",
    "heels",
    "shoulders",
    "hips",
    "thighs",
    "calves",
    "wrist",
    "wrists",
    "finger",
    "fingers",
    "thumb",
    "neck",
    "waist",
    "bum",
    "belly",
    "tummy",
    "chest",
];

/// "Couldn't get her arms in", "can't get my feet into them", "the coat is tiny on him":
/// the thing does not go on its wearer.
fn does_not_go_on(words: &[String]) -> bool {
    let body = words.iter().enumerate().any(|(i, w)| {
        w == "get"
            && matches!(
                words.get(i + 1).map(String::as_str),
                Some("my" | "her" | "his" | "their" | "your" | "our" | "the")
            )
            && words.get(i + 2).is_some_and(|p| BODY.contains(&p.as_str()))
            && words.get(i + 3).is_some_and(|n| {
                matches!(
                    n.as_str(),
                    "in" | "into" | "through" | "over" | "past" | "round" | "around" | "on"
                )
            })
    });
    // "The hoodie is tiny", "they're enormous on me": a far-off size said of the thing.
    // "The jumper's massive" is read "the jumper massive".
    let not_the_goods = |w: &str| matches!(w, "box" | "parcel" | "package" | "what" | "which");
    let far_off = words.windows(2).enumerate().any(|(i, p)| {
        let copula = matches!(p[0].as_str(), "is" | "are" | "was" | "were")
            && i > 0
            && !not_the_goods(&words[i - 1]);
        let named = i > 0
            && matches!(
                words[i - 1].as_str(),
                "the" | "my" | "this" | "these" | "those"
            )
            && !NOT_THE_THING.contains(&p[0].as_str())
            && !not_the_goods(&p[0]);
        (copula || named) && FAR_OFF_IN_SIZE.contains(&p[1].as_str())
    });
    body || far_off
}

/// Why an item goes back, for a reason worded as a cancellation's: what the buyer decided
/// (a better price, a delivery too late to be of use) is a change of mind.
fn as_return_reason(reason: CancelReason) -> ReturnReason {
    match reason {
        CancelReason::WrongItem => ReturnReason::WrongItem,
        CancelReason::ChangedMind
        | CancelReason::FoundCheaper
        | CancelReason::DeliveryTooSlow
        | CancelReason::Other => ReturnReason::ChangedMind,
    }
}

/// The first reason said that is more than `unwanted`, else the first said.
fn most_telling<T: Copy + PartialEq>(said: &[T], unwanted: T) -> Option<T> {
    said.iter()
        .copied()
        .find(|&v| v != unwanted)
        .or_else(|| said.first().copied())
}

/// Reads the three table-driven entities from `words`.
pub(crate) fn extract(words: &[String], tables: &Tables) -> Reasons {
    let cancel_cue = (0..words.len()).any(|i| is_cancel_cue(&words[i]) && !called_off(words, i));
    // "Cancel it and refund me to my card": the money of a cancelled order comes back
    // too, so a refund said with a cancellation sends nothing back.
    let return_cue = (0..words.len())
        .any(|i| is_return_cue(words, i) && !(cancel_cue && is_refund_word(words, i)));
    // "Not damaged", "nothing's broken", "nothing is broken", "it wasn't faulty". A "not"
    // after "can", "could" or "will" says the goods cannot be used, not that the reason is
    // denied: "I can't get my foot in", "it won't close".
    let negated = |start: usize| {
        let before = |k: usize| start.checked_sub(k).map(|i| words[i].as_str());
        let unable = before(1) == Some("not")
            && matches!(before(2), Some("can" | "could" | "will" | "would"));
        !unable
            && matches!(
                before(1),
                Some(
                    "not"
                        | "nothing"
                        | "nothing's"
                        | "nothings"
                        | "isn't"
                        | "wasn't"
                        | "aren't"
                        | "weren't"
                )
            )
            || (matches!(before(1), Some("is" | "was" | "that's" | "thats"))
                && matches!(before(2), Some("nothing" | "nothing's")))
    };

    // Each table keeps its own longest phrases: a longer phrase of the return table
    // ("decided i do not need it") must not hide the cancel table's reading of the same
    // words when the caller is cancelling.
    // "You sent me an email", "ordered a kettle and got a text": what came is no goods,
    // so no wrong item.
    // "They sent nines and I ordered tens, they're both the wrong size": a wrong size the
    // shop sent, or set against what was ordered, is the wrong item, not a fit.
    let ordering = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "ordered" | "clicked" | "chose" | "picked" | "selected" | "asked"
        )
    });
    let sent_another = (shop_sent(words) && ordering) || ordered_one_came_another(words);
    let returns: Vec<(usize, usize, Reason)> = tables
        .return_reasons
        .find_all(words)
        .into_iter()
        .map(|mut m| {
            if m.value == ReturnReason::WrongItem
                && words[m.start] == "different"
                && buyer_chooses_another(words, m.start)
            {
                m.value = ReturnReason::ChangedMind;
            }
            let wrong_size = words[m.start..m.end]
                .windows(2)
                .any(|p| p[0] == "wrong" && p[1] == "size");
            let own_choice = m.start > 0 && words[m.start - 1] == "i"
                || words[m.start..m.end].iter().any(|w| w == "i");
            if m.value == ReturnReason::SizeIssue && wrong_size && !own_choice && sent_another {
                m.value = ReturnReason::WrongItem;
            }
            m
        })
        .filter(|m| {
            let came = m.end > 0 && CAME_WORDS.contains(&words[m.end - 1].as_str());
            let no_goods = came && names_no_goods_after(words, m.end);
            // "The lamp you sent me arrived cracked": "you sent me" names the lamp.
            let names_the_thing = names_the_thing_sent(words, m.start, m.end);
            // "Supposed to be here by monday but": a claim of the order.
            let of_the_order = m.value == ReturnReason::NotAsDescribed
                && claims_of_the_order(words, m.start, m.end);
            let wrong = m.value == ReturnReason::WrongItem;
            !(wrong && (no_goods || names_the_thing)) && !of_the_order
        })
        .map(|m| (m.start, m.end, Reason::Return(m.value)))
        .collect();
    let cancels: Vec<(usize, usize, Reason)> = tables
        .cancel_reasons
        .find_all(words)
        .into_iter()
        .map(|m| (m.start, m.end, Reason::Cancel(m.value)))
        .collect();
    let denied = returns.iter().any(|&(start, _, _)| {
        negated(start) || (start > 0 && matches!(words[start - 1].as_str(), "no" | "never"))
    });
    let mut kept: Vec<(usize, usize, Reason)> = longest_non_overlapping(returns);
    kept.extend(longest_non_overlapping(cancels));
    kept.sort_by_key(|&(s, _, _)| s);
    // Each table's reasons in the order said, those denied left out.
    let (mut returns_said, mut cancels_said) = (Vec::new(), Vec::new());
    for (_, _, reason) in kept.into_iter().filter(|&(s, _, _)| !negated(s)) {
        match reason {
            Reason::Return(v) => returns_said.push(v),
            Reason::Cancel(v) => cancels_said.push(v),
        }
    }
    // "I got it as a present and it's the wrong size": whatever is wrong with the goods
    // says more than that they are unwanted, wherever it is said.
    let first_return = most_telling(&returns_said, ReturnReason::ChangedMind)
        .or_else(|| stopped_doing_its_job(words).then_some(ReturnReason::QualityIssue))
        .or_else(|| stated_measure_not_met(words).then_some(ReturnReason::NotAsDescribed))
        .or_else(|| claim_not_met(words).then_some(ReturnReason::NotAsDescribed))
        .or_else(|| ordered_one_came_another(words).then_some(ReturnReason::WrongItem))
        .or_else(|| does_not_go_on(words).then_some(ReturnReason::SizeIssue))
        .map(|r| match r {
            ReturnReason::Damaged if broke_in_use(words) => ReturnReason::QualityIssue,
            r => r,
        });
    // "I don't want it if it can't get here before the party": why it is unwanted says
    // more than that it is, as for returns.
    let first_cancel = most_telling(&cancels_said, CancelReason::ChangedMind);
    let (return_reason, cancel_reason) = match (cancel_cue, return_cue) {
        (true, false) if first_cancel.is_some() => (None, first_cancel),
        (false, true) if first_return.is_some() => (first_return, None),
        // "I found the same speaker cheaper, so I want to return this one": a reason only
        // the cancel table words is, said of a return, the return's reason.
        (false, true) => (first_cancel.map(as_return_reason), None),
        _ => (first_return, first_cancel),
    };

    let refunds: Vec<(usize, usize, RefundMethod)> = tables
        .refund_methods
        .find_all(words)
        .into_iter()
        .map(|m| (m.start, m.end, m.value))
        .collect();
    // "In the original packaging", "the original box": the item's, not a payment.
    let of_the_item = |s: usize, e: usize| {
        e == s + 1
            && words[s] == "original"
            && words
                .get(e)
                .is_some_and(|w| ORIGINAL_OF_THE_ITEM.contains(&w.as_str()))
    };
    // "My card's been cancelled, so transfer it to my bank": a card said to be gone is
    // where the money cannot go.
    let gone = |e: usize| {
        words[e..(e + 4).min(words.len())].iter().any(|w| {
            matches!(
                w.as_str(),
                "cancelled" | "canceled" | "expired" | "closed" | "lost" | "stolen" | "blocked"
            )
        })
    };
    let refund = longest_non_overlapping(refunds)
        .into_iter()
        .find(|&(s, e, m)| {
            let card_gone = m == RefundMethod::OriginalPayment && gone(e);
            !(negated(s) || refused_way(words, s) || of_the_item(s, e) || card_gone)
        });

    Reasons {
        return_reason,
        cancel_reason,
        refund_method: refund.map(|r| r.2),
        refund_span: refund.map(|r| (r.0, r.1)),
        denied,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::phrases::tables;
    use crate::entities::text::tokenize;

    fn reasons(s: &str) -> Reasons {
        extract(&tokenize(s), tables())
    }

    fn ret(s: &str) -> Option<ReturnReason> {
        reasons(s).return_reason
    }

    fn can(s: &str) -> Option<CancelReason> {
        reasons(s).cancel_reason
    }

    /// "Can't", "couldn't" and "won't" before a reason say the goods cannot be used; a
    /// plain "not" still denies it.
    #[test]
    fn what_cannot_be_done_is_a_reason_and_not_a_denial() {
        use ReturnReason::*;
        assert_eq!(
            ret("they're cut really small, i can't get my foot in, i want to return them"),
            Some(SizeIssue)
        );
        assert_eq!(
            ret("i couldn't get them over my hips so i'm sending them back"),
            Some(SizeIssue)
        );
        assert_eq!(ret("it's not broken i just want to return it"), None);
    }

    /// Why a cancelled order is unwanted says more than that it is.
    #[test]
    fn why_it_is_unwanted_says_more_than_unwanted() {
        use CancelReason::*;
        assert_eq!(
            can("if it can't get here before the party i don't want it, cancel it"),
            Some(DeliveryTooSlow)
        );
        assert_eq!(
            can("i don't want it any more, the shop round the corner has it half price on offer, cancel"),
            Some(FoundCheaper)
        );
        assert_eq!(
            can("i don't want it any more, cancel it"),
            Some(ChangedMind)
        );
    }

    #[test]
    fn what_is_wrong_says_more_than_unwanted() {
        use ReturnReason::*;
        assert_eq!(
            ret("my aunt got me a vase as a present but it arrived cracked"),
            Some(Damaged)
        );
        assert_eq!(
            ret("i got a jacket as a gift and it is far too small"),
            Some(SizeIssue)
        );
        assert_eq!(
            ret("i got a jacket as a gift, i do not need it"),
            Some(ChangedMind)
        );
    }

    #[test]
    fn return_reasons() {
        use ReturnReason::*;
        assert_eq!(
            ret("they gave me the small kettle instead of the big one"),
            Some(WrongItem)
        );
        assert_eq!(
            ret("it's a different version from the one i bought"),
            Some(WrongItem)
        );
        assert_eq!(
            ret("the fan stopped spinning after a week"),
            Some(QualityIssue)
        );
        assert_eq!(
            ret("the hem split the first time i wore it"),
            Some(QualityIssue)
        );
        assert_eq!(
            ret("the shelf is nowhere near the measurements"),
            Some(NotAsDescribed)
        );
        assert_eq!(
            ret("it doesn't match the size chart at all"),
            Some(NotAsDescribed)
        );
        assert_eq!(
            ret("i already had one so it's going back"),
            Some(ChangedMind)
        );
        assert_eq!(
            ret("returning it, the website said solid oak on the listing but it's veneer"),
            Some(NotAsDescribed)
        );
        assert_eq!(
            ret("returning it, my sister bought the same thing"),
            Some(ChangedMind)
        );
        assert_eq!(
            ret("the jacket doesn't fit i want to return it"),
            Some(SizeIssue)
        );
        assert_eq!(ret("it does not fit"), Some(SizeIssue));
        assert_eq!(ret("the remote wasn't in the box"), Some(MissingItem));
        assert_eq!(ret("two of the screws are missing"), Some(MissingItem));
        assert_eq!(
            ret("the rug is darker than the photos"),
            Some(NotAsDescribed)
        );
        assert_eq!(
            ret("the blazer's a bit tight under the arms"),
            Some(SizeIssue)
        );
        assert_eq!(ret("the blender broke within two days"), Some(QualityIssue));
        assert_eq!(ret("the lamp came without its shade"), Some(MissingItem));
        assert_eq!(
            ret("the throw is a different pattern from the listing"),
            Some(NotAsDescribed)
        );
        assert_eq!(
            ret("honestly I like the other one better"),
            Some(ChangedMind)
        );
        assert_eq!(ret("I dont like it"), Some(ChangedMind));
        assert_eq!(
            ret("the trainers are too small i'd like to return them"),
            Some(SizeIssue)
        );
        assert_eq!(
            ret("i ordered it by mistake and want to return it"),
            Some(ChangedMind)
        );
        assert_eq!(ret("return it i don't want it"), Some(ChangedMind));
        assert_eq!(ret("it arrived smashed i want a refund"), Some(Damaged));
        assert_eq!(ret("the mug is broken"), Some(Damaged));
        assert_eq!(
            ret("my headphones stopped working i want to return them"),
            Some(QualityIssue)
        );
        assert_eq!(ret("poor quality sending it back"), Some(QualityIssue));
        assert_eq!(
            ret("it's not what the picture showed"),
            Some(NotAsDescribed)
        );
        assert_eq!(
            ret("it looks nothing like the photo i'm sending it back"),
            Some(NotAsDescribed)
        );
        assert_eq!(ret("you sent me the wrong item"), Some(WrongItem));
        assert_eq!(ret("this is not what i ordered"), Some(WrongItem));
        assert_eq!(
            ret("it's not broken i just changed my mind return it"),
            Some(ChangedMind)
        );
        assert_eq!(ret("i want to return it"), None);
        assert_eq!(ret("the jumper's too baggy"), Some(SizeIssue));
        assert_eq!(ret("she doesn't like them"), Some(ChangedMind));
        let r = reasons("i don't want to talk to a robot");
        assert_eq!((r.return_reason, r.cancel_reason), (None, None));
        assert_eq!(ret("you broke up there what did you say"), None);
    }

    /// A thing that stopped doing its job is a fault in use, whatever the job; what the
    /// buyer stopped doing is not.
    #[test]
    fn a_thing_that_stopped_doing_its_job_is_a_quality_issue() {
        for s in [
            "the scale stopped weighing properly after a fortnight",
            "my toaster quit toasting on one side",
            "the doorbell stops ringing when it gets cold",
        ] {
            assert_eq!(ret(s), Some(ReturnReason::QualityIssue), "{s}");
        }
        assert_eq!(ret("we stopped using it so i want to send it back"), None);
        // Broken in use, not on the way.
        for s in [
            "the mug cracked after a week of using it",
            "the print has cracked and peeled after two washes",
            "the suitcase zip split open on its first trip",
        ] {
            assert_eq!(ret(s), Some(ReturnReason::QualityIssue), "{s}");
        }
        for s in [
            "the mug arrived cracked",
            "the box was soaked and the frame is split",
        ] {
            assert_eq!(ret(s), Some(ReturnReason::Damaged), "{s}");
        }
        assert_eq!(ret("it never stopped beeping"), None);
        assert_eq!(ret("i want to return the kettle"), None);
    }

    /// Stories of returns the tables read: worn through, gone off, smaller than the
    /// photos, not what was expected in the box, and will not go on.
    #[test]
    fn return_reasons_told_as_stories() {
        use ReturnReason::*;
        for (s, want) in [
            (
                "the socks have holes in the heels after two washes",
                QualityIssue,
            ),
            ("the clock never worked from the day it came", QualityIssue),
            (
                "we went off the pattern after a week of it on the bed",
                ChangedMind,
            ),
            ("the lamp really doesn't go with the hallway", ChangedMind),
            ("i got three of them but only needed one", ChangedMind),
            (
                "the pans are far lighter than they look in the pictures",
                NotAsDescribed,
            ),
            (
                "the vase looked enormous in the advert but it's tiny",
                NotAsDescribed,
            ),
            (
                "i was expecting a kettle and got a set of towels",
                WrongItem,
            ),
            (
                "you sent the grey and my order clearly says navy",
                WrongItem,
            ),
            ("i can't get the boots over my calves", SizeIssue),
            (
                "that is my usual size and the coat still swamps me",
                SizeIssue,
            ),
            ("the shirt hangs on me like a sack", SizeIssue),
            (
                "the earbuds only work in one ear after a week",
                QualityIssue,
            ),
            (
                "the torch barely lasts ten minutes on a charge",
                QualityIssue,
            ),
            ("the parcel had someone else's jumper in it", WrongItem),
            ("the bangle won't go over my knuckle", SizeIssue),
            ("the iron trips the fuse whenever it heats up", QualityIssue),
            ("they sent two left boots", WrongItem),
            (
                "it was sold as a pair and only one came out of the bag",
                NotAsDescribed,
            ),
            ("the bookcase won't fit in my flat after all", ChangedMind),
            ("my brother had already ordered one for us", ChangedMind),
        ] {
            assert_eq!(ret(s), Some(want), "{s}");
        }
        // A size of something else is no size of the thing sent back, and a question
        // before buying is no reason.
        assert_eq!(ret("the dog is drowning in fur this spring"), None);
        assert_eq!(ret("will the desk fit under the stairs"), None);
        assert_eq!(ret("do you have two left in the large"), None);
        assert_eq!(ret("friday clashes with my sister's wedding"), None);
        assert_eq!(ret("i only want one tin of polish each month"), None);
        assert_eq!(ret("my old wellies have holes so i need new ones"), None);
        let r = reasons("can i return a coat i bought on clearance");
        assert_eq!((r.return_reason, r.cancel_reason), (None, None));
    }

    /// A thing ordered set against another that came is a wrong item, however the two
    /// are joined; what came must be goods, and differ from what was ordered.
    #[test]
    fn one_thing_ordered_and_another_come_is_a_wrong_item() {
        for s in [
            "i ordered the black trainers but i got white ones",
            "i'd ordered oat milk but i've received soya milk in the box",
            "you delivered the decaf coffee and i ordered the regular blend",
            "i ordered a double duvet and what came is a single",
            "my wife ordered the size 8 sandals and these are size 6",
            "the shampoo you sent is for dry hair and we ordered the one for oily hair",
            "it came in grey but i ordered navy",
            "these are a 38 and i ordered a 40",
            // A phrase of its own naming the order is no message about it.
            "it's the wrong item order 4420 needs collecting",
        ] {
            assert_eq!(ret(s), Some(ReturnReason::WrongItem), "{s}");
        }
        for s in [
            "i ordered a lamp last week where is it",
            "you sent me an email about my order",
            "i ordered a kettle and got an email saying it shipped",
            "i ordered a sofa on monday and received it today",
            "i ordered the blue one and it is lovely",
            "i ordered the lamp in blue and it is blue",
            "you sent me a tracking link that does not work",
            "i ordered two lamps and only got one",
            "we ordered for the party and got a message saying it is late",
            "i got a question about the lamp i ordered",
        ] {
            assert_eq!(ret(s), None, "{s}");
        }
    }

    /// A measure the listing stated, or its pictures, set against what came: the right
    /// item not as described. A stated figure alone, or of another matter, is none.
    #[test]
    fn a_stated_measure_not_met_is_not_as_described() {
        for s in [
            "the rucksack is meant to be 40 litres and it barely fits my lunch",
            "the tv is advertised as 55 inch but i measured it at 50",
            "the jug only takes about a litre even though the page says 2 litres",
            "the mirror is supposed to be 60 centimetres across and it's more like 45",
            "the table looked much bigger in the brochure",
            "the photos show a deep navy and the one that came is nearly purple",
            "the cushion is what i ordered but it's half the size it looked in the catalogue",
        ] {
            assert_eq!(ret(s), Some(ReturnReason::NotAsDescribed), "{s}");
        }
        for s in [
            "it was supposed to be here on tuesday",
            "the listing says it ships in 2 days",
            "the listing says 2 kg, is that with the box",
            "it says 50 litres, is that the big one",
        ] {
            assert_eq!(ret(s), None, "{s}");
        }
    }

    /// The need gone (no use ahead, the same given by someone, not the wearer's, the
    /// occasion called off) is a change of mind; an occasion called off is no request
    /// to cancel.
    #[test]
    fn the_need_gone_is_a_change_of_mind() {
        for s in [
            "my cousin gave us the same blender for our wedding",
            "the concert it was for got cancelled so i don't need the dress",
            "it's just not my kind of thing",
            "the holiday fell through so the suitcase can go back",
            "we are not going to use it after all",
            "we won't be using them now",
            "my mum says it's just not her",
        ] {
            assert_eq!(ret(s), Some(ReturnReason::ChangedMind), "{s}");
        }
        assert_eq!(ret("we won't be using your shop again"), None);
        assert_eq!(ret("the parcel fell through the letterbox"), None);
        let r = reasons("cancel the order please, i don't need it now");
        assert_eq!(r.return_reason, None);
    }

    /// A seam or stitching that gives way, or harm in the wash or in use, is a fault in
    /// the making; harm the words place on the way stays damage.
    #[test]
    fn wear_in_use_is_a_quality_issue() {
        for s in [
            "the jeans ripped at the seam when i bent down",
            "the leggings tore at the knee on my first run",
            "the handle ripped off the bag the second time i used it",
            "the towel got torn in the dryer",
            "the curtain ripped along the stitching",
        ] {
            assert_eq!(ret(s), Some(ReturnReason::QualityIssue), "{s}");
        }
        for s in [
            "the box was ripped and the vase is cracked",
            "the cushion arrived ripped at the seam",
        ] {
            assert_eq!(ret(s), Some(ReturnReason::Damaged), "{s}");
        }
    }

    /// A mark on arrival said with words of its size or kind between ("a deep dent"), and
    /// "the thing you sent me" said only to name the thing: damage, not a wrong item.
    #[test]
    fn a_mark_on_the_thing_sent_is_damage() {
        for s in [
            "the kettle came with a deep dent in the lid",
            "the rug turned up with a huge grease stain on it",
            "the mirror you sent me arrived with the frame bashed in",
            "the bowls they sent me showed up with a long hairline crack",
            "the laptop you sent us has a nasty scratch across the lid",
        ] {
            assert_eq!(ret(s), Some(ReturnReason::Damaged), "{s}");
        }
        // What the shop sent, set against what was ordered, stays a wrong item.
        for s in [
            "i ordered a lamp and you sent me a vase",
            "the lamp you sent me is a desk lamp but i ordered a floor lamp",
            "you sent me the wrong item",
        ] {
            assert_eq!(ret(s), Some(ReturnReason::WrongItem), "{s}");
        }
    }

    /// What the buyer was doing when it gave way, or its first use, places the harm in
    /// use; unpacking it places it on the way.
    #[test]
    fn harm_while_in_use_is_a_quality_issue() {
        for s in [
            "the strap on the bag snapped while i was carrying the shopping",
            "the kite frame cracked on its first breezy day out",
            "the handle snapped while stirring the soup",
            "the fan heater motor burned out after one evening",
            "the drill gave out halfway through the first job",
        ] {
            assert_eq!(ret(s), Some(ReturnReason::QualityIssue), "{s}");
        }
        for s in [
            "the glass was cracked when i was unpacking it",
            "the first time i opened the box the plate was smashed",
        ] {
            assert_eq!(ret(s), Some(ReturnReason::Damaged), "{s}");
        }
    }

    /// Another size or colour the shop packed, or two of a pair that differ, is the wrong
    /// item; a size the caller chose, or a fit, stays a size.
    #[test]
    fn another_size_the_shop_sent_is_a_wrong_item() {
        for s in [
            "you've packed the wrong colour",
            "they sent the two boots in different sizes",
            "they're the wrong size, i ordered eights and you sent sixes",
            "the warehouse shipped the wrong model",
        ] {
            assert_eq!(ret(s), Some(ReturnReason::WrongItem), "{s}");
        }
        for s in [
            "it's the wrong size",
            "i ordered the wrong size",
            "you sent them quickly but they're the wrong size for me",
        ] {
            assert_eq!(ret(s), Some(ReturnReason::SizeIssue), "{s}");
        }
    }

    /// A claim of the listing or label ("listed as", "the page says", "meant to be")
    /// the thing does not meet is the right item not as described; a claim of the order
    /// is none.
    #[test]
    fn a_claim_the_thing_does_not_meet_is_not_as_described() {
        for s in [
            "the blind was listed as blackout but the sun still gets through",
            "the tent was advertised with a porch and it doesn't have one",
            "the label says pure wool and it's clearly mostly acrylic",
            "the boots are meant to be leather and they're actually plastic",
            "the charger said five thousand milliamp and mine says two thousand",
            "the product page claims it's dishwasher safe but the pattern has come off",
        ] {
            assert_eq!(ret(s), Some(ReturnReason::NotAsDescribed), "{s}");
        }
        for s in [
            "the order was listed as delivered but nothing came",
            "it was supposed to be here on monday but it's not",
            "the website says free delivery but i was charged",
            "the box said fragile",
            "the listing said two day delivery but it took a week",
            "the website said it would come today but it didn't",
        ] {
            assert_eq!(ret(s), None, "{s}");
        }
        // What it was for is no claim of the thing.
        assert_eq!(
            ret("it was meant to be a present but she already has one"),
            Some(ReturnReason::ChangedMind)
        );
        // Another thing in the box than the box names is the wrong item.
        assert_eq!(
            ret("the box says frying pan but there's a saucepan inside"),
            Some(ReturnReason::WrongItem)
        );
    }

    /// A thing that will not go on its wearer, or is said to be far too big or small,
    /// does not fit.
    #[test]
    fn a_thing_that_will_not_go_on_is_a_size_issue() {
        for s in [
            "the gloves are tiny i can't get my hands in",
            "my son couldn't get his feet into the wellies",
            "the dressing gown is enormous, it drags on the floor",
            "the jumper's massive, it comes down to her knees",
            "the coat is gigantic on him",
        ] {
            assert_eq!(ret(s), Some(ReturnReason::SizeIssue), "{s}");
        }
        for s in [
            "the parcel was huge for one little candle",
            "get my order to me by friday",
        ] {
            assert_eq!(ret(s), None, "{s}");
        }
    }

    /// What the buyer decided, said of the thing by name ("don't love the print",
    /// "won't need the heater now"), or another thing they would rather have, is a
    /// change of mind, not a wrong item.
    #[test]
    fn the_buyer_deciding_against_the_thing_is_a_change_of_mind() {
        for s in [
            "it's well made but i don't love the print up close",
            "they look fine but i don't like how they sit with my jeans",
            "we're moving house so we won't need the heater anymore",
            "i'd rather go for a different brand so it's going back",
            "i'm buying a different model from another shop",
        ] {
            assert_eq!(ret(s), Some(ReturnReason::ChangedMind), "{s}");
        }
        for s in [
            "you sent a different brand from the one i ordered",
            "it's a different model to my order",
        ] {
            assert_eq!(ret(s), Some(ReturnReason::WrongItem), "{s}");
        }
    }

    #[test]
    fn a_denied_reason_is_seen() {
        let denied = |s: &str| extract(&tokenize(s), tables()).denied;
        assert!(denied("well it's not damaged ok then"));
        assert!(denied("no, nothing's broken, they just rub my heel"));
        assert!(denied("nothing is broken, i just don't like them"));
        assert!(!denied("it arrived damaged"));
    }

    #[test]
    fn cancel_reasons() {
        use CancelReason::*;
        assert_eq!(can("cancel it please, it's personal"), Some(Other));
        assert_eq!(can("cancel, none of the above applies"), Some(Other));
        assert_eq!(can("cancel it i've gone off it"), Some(ChangedMind));
        assert_eq!(can("cancel it, we won't bother now"), Some(ChangedMind));
        assert_eq!(can("cancel it, there's been a bereavement"), Some(Other));
        assert_eq!(
            can("cancel it i found it cheaper elsewhere"),
            Some(FoundCheaper)
        );
        assert_eq!(
            can("cancel my order it takes too long"),
            Some(DeliveryTooSlow)
        );
        assert_eq!(
            can("my flatmate bought it on my card without telling me, cancel it"),
            Some(Other)
        );
        assert_eq!(
            can("it's still processing after a fortnight, cancel it"),
            Some(DeliveryTooSlow)
        );
        assert_eq!(can("we're emigrating next month so cancel"), Some(Other));
        assert_eq!(
            can("four weeks to deliver? cancel it"),
            Some(DeliveryTooSlow)
        );
        assert_eq!(
            can("the shop down the road has it for less"),
            Some(FoundCheaper)
        );
        assert_eq!(
            can("please cancel it's taking too long to arrive"),
            Some(DeliveryTooSlow)
        );
        assert_eq!(can("cancel the order i changed my mind"), Some(ChangedMind));
        assert_eq!(can("cancel i ordered the wrong size"), Some(WrongItem));
        assert_eq!(can("cancel it for personal reasons"), Some(Other));
        assert_eq!(can("i want to cancel my order"), None);
        // Said another way than the table's first phrases.
        assert_eq!(
            can("cancel it, the wedding it was for isn't happening any more"),
            Some(ChangedMind)
        );
        assert_eq!(
            can("cancel, the shop near me has the same blender on offer"),
            Some(FoundCheaper)
        );
        assert_eq!(
            can("cancel it, i need it for friday and you're saying next tuesday"),
            Some(DeliveryTooSlow)
        );
        assert_eq!(
            can("cancel please, i ordered the decaf and we only drink regular"),
            Some(WrongItem)
        );
        // A longer phrase of the return table does not hide the cancel table's reading.
        assert_eq!(
            can("cancel it i decided i do not need it"),
            Some(ChangedMind)
        );
        assert_eq!(
            can("cancel i made a mistake with the size"),
            Some(WrongItem)
        );
        assert_eq!(can("cancel i ordered two by mistake"), Some(ChangedMind));
        assert_eq!(
            can("cancel it it's a duplicate i ordered them twice"),
            Some(ChangedMind)
        );
        assert_eq!(
            can("cancel it we bought more chargers than we needed"),
            Some(ChangedMind)
        );
        assert_eq!(
            can("cancel it i got it for less down the road"),
            Some(FoundCheaper)
        );
        // The caller's slip, said with what they meant, is the wrong item.
        assert_eq!(
            can("cancel it, i tapped the decaf by accident i wanted the regular"),
            Some(WrongItem)
        );
        assert_eq!(
            can("please cancel i actually wanted the bigger pack"),
            Some(WrongItem)
        );
        assert_eq!(
            can("cancel it, the charger isn't compatible with my laptop"),
            Some(WrongItem)
        );
        assert_eq!(
            can("cancel, the market has the same pans at half price"),
            Some(FoundCheaper)
        );
    }

    #[test]
    fn slowness_said_any_way_is_a_slow_delivery() {
        for s in [
            "uh i dunno the delivery's just taking way too long",
            "cancel it, it's taking so long",
            "cancel, shipping takes forever with you",
            "i want to cancel because it's taking ages",
            "cancel it the delivery is so slow",
            "please cancel it's been delayed twice",
            "cancel it i've been waiting way too long",
            "cancel my order it still hasn't shipped",
            "cancel it, it won't be here in time for the party",
            "cancel it, it's going to be late",
            "cancel it, it's taking a long time",
        ] {
            assert_eq!(can(s), Some(CancelReason::DeliveryTooSlow), "{s}");
        }
        // Lengths of things stay sizes.
        assert_eq!(
            ret("return it, the legs are too long"),
            Some(ReturnReason::SizeIssue)
        );
    }

    #[test]
    fn cues_pick_the_table() {
        let r = reasons("cancel my order i changed my mind");
        assert_eq!(
            (r.return_reason, r.cancel_reason),
            (None, Some(CancelReason::ChangedMind))
        );
        let r = reasons("i want to return it i changed my mind");
        assert_eq!(
            (r.return_reason, r.cancel_reason),
            (Some(ReturnReason::ChangedMind), None)
        );
        // A refund asked with a cancellation is the cancellation's money.
        let r = reasons("cancel it and refund me, i found it cheaper at the market");
        assert_eq!(
            (r.return_reason, r.cancel_reason),
            (None, Some(CancelReason::FoundCheaper))
        );
        let r = reasons("i changed my mind");
        assert_eq!(
            (r.return_reason, r.cancel_reason),
            (
                Some(ReturnReason::ChangedMind),
                Some(CancelReason::ChangedMind)
            )
        );
        // Only the return table knows "broken": it fills return_reason even when cancelling.
        let r = reasons("cancel it it arrived broken");
        assert_eq!(
            (r.return_reason, r.cancel_reason),
            (Some(ReturnReason::Damaged), None)
        );
        // Only the cancel table words a better price: said of a return, the buyer's
        // decision is a change of mind.
        let r = reasons("i found the same speaker cheaper so i want to return this one");
        assert_eq!(
            (r.return_reason, r.cancel_reason),
            (Some(ReturnReason::ChangedMind), None)
        );
        let r = reasons("it took so long we bought one in town so it's going back");
        assert_eq!(
            (r.return_reason, r.cancel_reason),
            (Some(ReturnReason::ChangedMind), None)
        );
        // "too long" alone is a size; "takes too long" is a delay.
        let r = reasons("the sleeves are too long");
        assert_eq!(
            (r.return_reason, r.cancel_reason),
            (Some(ReturnReason::SizeIssue), None)
        );
    }

    #[test]
    fn a_card_said_to_be_gone_is_not_where_the_money_goes() {
        let r = reasons("my card's been cancelled so can you transfer it to my bank");
        assert_eq!(r.refund_method, Some(RefundMethod::BankTransfer));
        let r = reasons("the card expired so i want it paid into my bank");
        assert_eq!(r.refund_method, Some(RefundMethod::BankTransfer));
        let r = reasons("put it back on my card please");
        assert_eq!(r.refund_method, Some(RefundMethod::OriginalPayment));
    }

    #[test]
    fn refund_methods() {
        use RefundMethod::*;
        let rm = |s: &str| reasons(s).refund_method;
        assert_eq!(rm("keep it as credit for next time"), Some(StoreCredit));
        assert_eq!(rm("put it on an e gift card"), Some(StoreCredit));
        assert_eq!(
            rm("i'd take credit to spend in the store"),
            Some(StoreCredit)
        );
        assert_eq!(rm("use my bank details for it"), Some(BankTransfer));
        assert_eq!(rm("put it back to my card please"), Some(OriginalPayment));
        assert_eq!(
            rm("refund it to the original payment method"),
            Some(OriginalPayment)
        );
        assert_eq!(rm("i'd like store credit"), Some(StoreCredit));
        assert_eq!(rm("as gift card balance"), Some(StoreCredit));
        assert_eq!(rm("can you do a bank transfer"), Some(BankTransfer));
        assert_eq!(rm("refund to my bank account please"), Some(BankTransfer));
        assert_eq!(
            rm("Don't bother with the card, store credit is easier."),
            Some(StoreCredit)
        );
        assert_eq!(
            rm("i dont want store credit just put it in my bank account"),
            Some(BankTransfer)
        );
        assert_eq!(
            rm("store credit instead of my card please"),
            Some(StoreCredit)
        );
        assert_eq!(rm("can't i just have store credit"), Some(StoreCredit));
        assert_eq!(
            rm("No, not the card, straight to my bank account."),
            Some(BankTransfer)
        );
        assert_eq!(
            rm("wrong flavour, chocolate instead of vanilla, refund to my bank"),
            Some(BankTransfer)
        );
        assert_eq!(
            rm("it's really not my thing, refund to the card it was paid on"),
            Some(OriginalPayment)
        );
        assert_eq!(rm("i want to buy a gift card"), None);
        assert_eq!(rm("do they need to be in the original packaging?"), None);
        assert_eq!(rm("the original please"), Some(OriginalPayment));
        for s in [
            "back on my mastercard is fine",
            "put it on the visa",
            "back to my master card",
            "refund my amex please",
            "to my paypal",
            "just put it back on the card",
            "the same way i paid with apple pay",
            "to the original",
        ] {
            assert_eq!(rm(s), Some(OriginalPayment), "{s}");
        }
        assert_eq!(rm("as a gift card"), Some(StoreCredit));
        assert_eq!(rm("a gift card please"), None);
        assert_eq!(rm("not store credit"), None);
    }
}

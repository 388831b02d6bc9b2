//! Quantities: how many of a product ("two bags of coffee", "a dozen", "half a dozen
//! pods", "a couple of t shirts", "a hoodie").
//!
//! A number is a quantity only when it counts something, because most numbers in a
//! transcript are not ("that one", "size ten", "a 50 dollar gift card", "after 6", order
//! digits). It counts when it is followed by
//! - a count noun ("bags", "boxes", "of"), or
//! - the product the matcher found, within three words ("two black t shirts"), or
//! - a plural noun within two words ("four led light bulbs"), not a unit of time or money;
//!
//! or when a buying verb or "quantity" stands right before it ("i'll take two", "make
//! it three", "quantity five", "can i have three", "i'll go for two"), or "another" stands
//! before it or "more" after it ("another two", "three more"), or it opens a short request
//! ("two please"), or when the dialog asked for a quantity. "a"/"an" count as one only in
//! front of the product or a count noun; the idioms ("a couple", "a pair", "half a
//! dozen", "just the one") also count on their own. "A few" is no number: the dialog asks
//! how many. Words already read as identifiers, dates, times or frequencies are never
//! quantities.

use super::numbers::parse_cardinal;
use super::text::{is_digits, words_at};
use super::EntityKind;

/// Largest believable quantity in one order line.
const MAX_QUANTITY: u64 = 10_000;

/// Nouns that count ("three bags", "a box of"). Singular ones count after "a" only
/// when "of" follows ("a bag of"): "a bad line can you ..." counts nothing.
const COUNT_NOUNS: &[&str] = &[
    "of", "bag", "bags", "box", "boxes", "pack", "packs", "packet", "packets", "bottle", "bottles",
    "cans", "cases", "roll", "rolls", "pair", "pairs", "piece", "pieces", "unit", "units", "item",
    "items", "tin", "tins", "jar", "jars", "tub", "tubs", "carton", "cartons", "loaf", "loaves",
    "sets", "bundle", "bundles", "sack", "sacks", "tube", "tubes", "pcs", "copies", "kilo",
    "kilos", "pound",
];

/// Singular nouns that, after a number above one, name a pack size ("the 4 pack").
const PACK_SIZES: &[&str] = &["pack", "piece", "roll", "pc", "count", "ct"];

/// Plural words that measure time, money or size, or count things that are not
/// products ("two parcels", "two cards" to split a payment).
const NOT_COUNTED: &[&str] = &[
    "days",
    "weeks",
    "months",
    "years",
    "hours",
    "minutes",
    "seconds",
    "times",
    "uses",
    "wears",
    "washes",
    "goes",
    "tries",
    "nights",
    "dollars",
    "pounds",
    "euros",
    "quid",
    "bucks",
    "cents",
    "pence",
    "percent",
    "kilos",
    "grams",
    "litres",
    "liters",
    "meters",
    "metres",
    "inches",
    "feet",
    "miles",
    "yards",
    "ounces",
    "lbs",
    "kgs",
    "weekends",
    "mornings",
    "evenings",
    "afternoons",
    "nights",
    "thanks",
    "yes",
    "is",
    "was",
    "has",
    "does",
    "goes",
    "its",
    "this",
    "us",
    "please",
    "as",
    "plus",
    "less",
    "unless",
    "whereas",
    "always",
    "perhaps",
    "guys",
    "sorts",
    "kinds",
    "ways",
    "cheers",
    "regards",
    "apologies",
    "numbers",
    "parcels",
    "packages",
    "orders",
    "deliveries",
    "emails",
    "cards",
    "people",
    "options",
    "questions",
    "calls",
    "attempts",
    "digits",
    "letters",
    "sizes",
    "colours",
    "colors",
    "angeles",
    "states",
];

/// Words right after a number that make it a measurement or a label, not a count.
const MEASURES: &[&str] = &[
    "dollar", "dollars", "pound", "pounds", "lb", "lbs", "kg", "kgs", "g", "gram", "grams", "ml",
    "l", "litre", "liter", "litres", "liters", "oz", "ounce", "ounces", "percent", "inch",
    "inches", "cm", "mm", "m", "w", "watt", "watts", "gb", "mah", "am", "pm", "oclock", "euro",
    "euros", "quid", "bucks", "cents", "pence", "days", "day", "weeks", "week", "months", "month",
    "years", "year", "hours", "hour", "minutes", "minute", "times", "uses", "wears", "washes",
    "night", "nights", "star", "stars", "degrees", "k", "mile", "miles", "o", "z",
];

/// Words of an address: a number before them is a house number.
const STREET_WORDS: &[&str] = &[
    "street",
    "st",
    "road",
    "rd",
    "avenue",
    "ave",
    "boulevard",
    "blvd",
    "drive",
    "dr",
    "lane",
    "ln",
    "way",
    "court",
    "ct",
    "place",
    "pl",
    "terrace",
    "close",
    "crescent",
    "highway",
    "parkway",
    "square",
    "suite",
    "apartment",
    "apt",
    "floor",
];

/// Words right before a number that make it a label ("size ten", "aisle 4").
const LABELS: &[&str] = &[
    "size",
    "sized",
    "number",
    "aisle",
    "version",
    "model",
    "plan",
    "step",
    "room",
    "apartment",
    "apt",
    "suite",
    "unit",
    "floor",
    "gate",
    "platform",
    "page",
    "option",
    "line",
    "item",
    "level",
    "ending",
    "last",
    "address",
    "age",
    "ages",
    "uk",
    "us",
    "eu",
];

/// Verbs that, right before a bare number, make it a count ("i'll take two").
const BUYING: &[&str] = &[
    "take",
    "buy",
    "bought",
    "want",
    "need",
    "get",
    "order",
    "ordered",
    "send",
    "sending",
    "return",
    "returning",
    "returned",
    "quantity",
    "qty",
    "make",
    "add",
    "grab",
    "purchase",
    "purchased",
    "receive",
    "received",
    "got",
    "only",
    "just",
    "give",
    "put",
    "do",
    "increase",
    "decrease",
    "reduce",
    "change",
    "bump",
    "down",
];

/// Words before "have" that make it a request ("can i have", "i'll have").
const ASKING: &[&str] = &["will", "would", "can", "could", "may", "let"];

/// Words after "more" that say it is not more of a product ("one more thing").
const NOT_MORE_OF: &[&str] = &[
    "time", "thing", "things", "question", "go", "try", "chance", "minute", "second", "day",
    "week", "month", "year", "hour", "attempt", "moment", "step", "order", "orders", "to",
];

/// Words that may open a short request before its number ("yeah two please").
const OPENERS: &[&str] = &[
    "yeah", "yes", "ok", "okay", "right", "erm", "um", "uh", "just", "so", "oh", "well",
];

/// Words that may follow a bare counted number ("i'll take two please").
const AFTER_COUNT: &[&str] = &[
    "please",
    "of",
    "more",
    "thanks",
    "thank",
    "and",
    "then",
    "for",
    "now",
    "instead",
    "i",
    "we",
    "but",
    "so",
    "because",
    "total",
    "altogether",
    "in",
    "this",
    "that",
    "those",
    "these",
    "them",
    "it",
    "today",
    "tomorrow",
    "actually",
    "not",
    "cheers",
    "ok",
    "okay",
];

/// Words that stop the look-ahead from a number to its product ("a refund for the
/// headphones": "a" does not count the headphones).
const BLOCKERS: &[&str] = &[
    "for", "the", "to", "with", "from", "on", "in", "my", "your", "and", "or", "but", "at", "is",
    "are", "was", "it", "i", "you", "that", "this", "not", "by", "than", "if", "when", "then",
    "please", "can", "could", "would", "will",
];

fn is_count_noun(w: &str) -> bool {
    COUNT_NOUNS.contains(&w)
}

fn ends_a_count(w: Option<&str>) -> bool {
    w.is_none_or(|w| AFTER_COUNT.contains(&w))
}

/// What kind of words a quantity phrase is: it decides what else must be said for the
/// phrase to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Said {
    /// "a"/"an": counts only in front of what it counts.
    Article,
    /// "a couple", "half a dozen", "just the one": a count even with nothing after it.
    Idiom,
    /// "two", "24", "a hundred".
    Number,
    /// "a few": an amount, not a number; never a quantity (the dialog asks how many).
    Vague,
}

/// A quantity phrase at `words[i..]`: the value, words used, and what kind it is.
fn quantity_phrase(words: &[String], i: usize) -> Option<(u64, usize, Said)> {
    for (phrase, n, said) in [
        ("half a dozen", 6, Said::Idiom),
        ("a half dozen", 6, Said::Idiom),
        ("a dozen", 12, Said::Idiom),
        ("a couple of", 2, Said::Idiom),
        ("couple of", 2, Said::Idiom),
        ("a couple", 2, Said::Idiom),
        ("quite a few", 0, Said::Vague),
        ("a few", 0, Said::Vague),
        ("a pair of", 2, Said::Idiom),
        ("pair of", 2, Said::Idiom),
        ("a pair", 2, Said::Idiom),
        ("just the one", 1, Said::Idiom),
        ("only the one", 1, Said::Idiom),
        ("just the 1", 1, Said::Idiom),
        ("a single", 1, Said::Idiom),
        ("another dozen", 12, Said::Idiom),
    ] {
        if words_at(words, i, phrase) {
            return Some((n, phrase.split(' ').count(), said));
        }
    }
    // "Return both", "both of them", "both pairs": two, counted like a number.
    if words[i] == "both" {
        return Some((2, 1, Said::Number));
    }
    let a_number = words
        .get(i + 1)
        .is_some_and(|n| n == "hundred" || n == "thousand");
    if (words[i] == "a" || words[i] == "an") && !a_number {
        return Some((1, 1, Said::Article));
    }
    let (n, used) = parse_cardinal(words, i)?;
    if words.get(i + used).is_some_and(|w| w == "dozen") {
        return Some((n.checked_mul(12)?, used + 1, Said::Number));
    }
    Some((n, used, Said::Number))
}

/// The first quantity in `words`. `product` is the span (in words) of the product the
/// matcher found, if any.
pub(crate) fn extract_quantity(
    words: &[String],
    taken: &[bool],
    product: Option<(usize, usize)>,
    expect: Option<EntityKind>,
) -> Option<u32> {
    // "I ordered three tees, can I return two of them?": a count of some of what was
    // named is the count the request is about.
    if let Some(n) = partitive_count(words, taken) {
        return Some(n);
    }
    let mut i = 0;
    while i < words.len() {
        if taken[i] {
            i += 1;
            continue;
        }
        let Some((n, used, said)) = quantity_phrase(words, i) else {
            i += 1;
            continue;
        };
        let end = i + used;
        if said == Said::Vague || taken[i..end].iter().any(|&t| t) || n == 0 || n > MAX_QUANTITY {
            i = end;
            continue;
        }
        if counts(words, (i, end), n, said, product, expect) {
            // "From three tubs to two": the number it becomes.
            if let Some(to) = changed_to(words, i, end) {
                return u32::try_from(to).ok();
            }
            // "I bought three as gifts but want to send two back": the count already
            // had is not the count the request is about.
            if after_one_of(words, i, OWNED) {
                if let Some(acted) = acted_on_count(words, taken, end, n) {
                    return u32::try_from(acted).ok();
                }
            }
            return u32::try_from(n).ok();
        }
        i = end;
    }
    None
}

/// Verbs after which a count is what the caller already has ("i bought three").
const OWNED: &[&str] = &["bought", "ordered", "got", "purchased", "received", "had"];

/// Verbs after which a count is what a request acts on ("send two back", "return two").
const ACTING: &[&str] = &[
    "return",
    "returning",
    "send",
    "sending",
    "cancel",
    "cancelling",
    "canceling",
    "exchange",
    "swap",
    "refund",
];

/// Whether one of `verbs` stands right before `words[at]` ("bought three", "bought all
/// three", "send back two").
fn after_one_of(words: &[String], at: usize, verbs: &[&str]) -> bool {
    let mut k = at;
    while k > 0 && matches!(words[k - 1].as_str(), "all" | "back" | "just" | "only") {
        k -= 1;
    }
    k > 0 && verbs.contains(&words[k - 1].as_str())
}

/// A count after `from`, said right after a verb that acts on some of what was had,
/// and no more than the `had` count.
fn acted_on_count(words: &[String], taken: &[bool], from: usize, had: u64) -> Option<u64> {
    (from..words.len()).find_map(|j| {
        if taken[j] || !after_one_of(words, j, ACTING) {
            return None;
        }
        let (n, used, said) = quantity_phrase(words, j)?;
        let next = words.get(j + used).map(String::as_str);
        let ends = ends_a_count(next) || next == Some("back");
        (said != Said::Vague && said != Said::Article && ends && n > 0 && n <= had).then_some(n)
    })
}

/// "Two of them", "one of those": a number said of part of what was named.
fn partitive_count(words: &[String], taken: &[bool]) -> Option<u32> {
    (0..words.len()).find_map(|i| {
        if taken[i] {
            return None;
        }
        let (n, used, said) = quantity_phrase(words, i)?;
        let end = i + used;
        let of_them = words.get(end).is_some_and(|w| w == "of")
            && words
                .get(end + 1)
                .is_some_and(|w| matches!(w.as_str(), "them" | "those" | "these"));
        (of_them && said == Said::Number && n > 0 && n <= MAX_QUANTITY)
            .then(|| u32::try_from(n).ok())
            .flatten()
    })
}

/// After "from N …", the number a following "to" names ("from three tubs to two").
fn changed_to(words: &[String], start: usize, end: usize) -> Option<u64> {
    if start == 0 || words[start - 1] != "from" {
        return None;
    }
    let to = (end..words.len().min(end + 3)).find(|&k| words[k] == "to")?;
    let (n, _) = parse_cardinal(words, to + 1)?;
    (n > 0 && n <= MAX_QUANTITY).then_some(n)
}

fn counts(
    words: &[String],
    (start, end): (usize, usize),
    n: u64,
    said: Said,
    product: Option<(usize, usize)>,
    expect: Option<EntityKind>,
) -> bool {
    let article = said == Said::Article;
    let next = words.get(end).map(String::as_str);
    let prev = start.checked_sub(1).map(|k| words[k].as_str());
    if next.is_some_and(|w| MEASURES.contains(&w)) || prev.is_some_and(|w| LABELS.contains(&w)) {
        return false;
    }
    if n >= 2 && next.is_some_and(|w| PACK_SIZES.contains(&w)) {
        return false;
    }
    // "The smaller 6 kilo bag": a weight said of the bag it comes in is its size.
    let weighs_the_pack = next
        .is_some_and(|w| matches!(w, "kilo" | "kilos" | "kilogram" | "kilograms" | "pound"))
        && words.get(end + 1).is_some_and(|w| {
            matches!(
                w.as_str(),
                "bag"
                    | "bags"
                    | "pack"
                    | "packs"
                    | "box"
                    | "tub"
                    | "sack"
                    | "tin"
                    | "jar"
                    | "bottle"
                    | "size"
                    | "one"
                    | "ones"
            )
        });
    if weighs_the_pack {
        return false;
    }
    // "Three more", "another two": more of something being bought, unless "more" goes
    // on to name what is not a product ("one more time", "two more days").
    if next == Some("more") && !article {
        let after = words.get(end + 1).map(String::as_str);
        return !after.is_some_and(|w| {
            !AFTER_COUNT.contains(&w)
                && (MEASURES.contains(&w) || NOT_COUNTED.contains(&w) || NOT_MORE_OF.contains(&w))
        });
    }
    if prev == Some("another") && !article {
        return true;
    }
    // "Just the one kettle": the idiom is a count whatever it is of.
    if said == Said::Idiom && matches!(words[start].as_str(), "just" | "only") {
        return true;
    }
    // "A pair of the grey ones": an idiom ending in "of" names what it counts next.
    if said == Said::Idiom && (ends_a_count(next) || words[end - 1] == "of") {
        return true;
    }
    // A number that opens a short request ("two please", "um five thanks") answers
    // "how many?" even when the question was not tracked.
    let opens = words[..start].iter().all(|w| OPENERS.contains(&w.as_str()));
    if said == Said::Number
        && opens
        && words.len() <= end + 2
        && next.is_some_and(|w| AFTER_COUNT.contains(&w))
    {
        return true;
    }
    // A product or count noun shortly after, with only describing words between.
    let one = words[start] == "one" || words[start] == "1";
    // "One of my subscriptions", "one of our orders": a pick among the caller's own
    // things, not a count of them.
    let owned_after_of = words.get(end).is_some_and(|w| w == "of")
        && words
            .get(end + 1)
            .is_some_and(|w| matches!(w.as_str(), "my" | "our" | "your"));
    if one && owned_after_of {
        return false;
    }
    for (k, w) in words.iter().enumerate().skip(end).take(4) {
        let w = w.as_str();
        let at_product = product.is_some_and(|(s, e)| s <= k && k < e);
        // "of" counts only right after the number ("two of them", not "32 waist
        // instead of 30").
        let of_follows = words.get(k + 1).is_some_and(|n| n == "of");
        let counted = if article {
            is_count_noun(w) && w != "of" && of_follows
        } else {
            is_count_noun(w) && (k == end || w != "of")
        };
        if at_product || counted {
            return true;
        }
        // "Two floor lamps": a street word naming the kind of a plural product after it
        // is no address.
        if STREET_WORDS.contains(&w) && !words.get(k + 1).is_some_and(|n| looks_plural(n)) {
            return false;
        }
        if BLOCKERS.contains(&w) {
            break;
        }
        // A plural within three words counts for a real number ("one" never takes a
        // plural: "a bigger one cheers").
        if !article && !one && looks_plural(w) {
            return true;
        }
    }
    // "Can I order a single pillowcase": "a single" counts one as "a" does.
    if article || words_at(words, start, "a single") {
        return buys_one(words, start, end);
    }
    // "I want one toaster, the red one": "one" counts as "a" does.
    if one && buys_one(words, start, end) {
        return true;
    }
    if expect == Some(EntityKind::Quantity) {
        return true;
    }
    let cue_before = {
        let mut k = start;
        // Skip "me", "it" in "give me two", "make it three".
        while k > 0
            && matches!(
                words[k - 1].as_str(),
                "me" | "it" | "us" | "to" | "of" | "is" | "like" | "all" | "for" | "back"
            )
        {
            k -= 1;
        }
        let before = |back: usize| k.checked_sub(back).map(|j| words[j].as_str());
        match before(1) {
            Some(w) if BUYING.contains(&w) => true,
            // "I'd like nineteen", "we'd like 6" (contractions are expanded).
            Some("would") => k < start && words[k] == "like",
            // "can i have three", "i'll have two", not "i have two".
            Some("have") => {
                before(2).is_some_and(|w| ASKING.contains(&w))
                    || before(3).is_some_and(|w| ASKING.contains(&w))
            }
            // "i'll go for two" ("for" is skipped above).
            Some("go" | "going" | "opt") => words[k] == "for",
            _ => false,
        }
    };
    cue_before && ends_a_count(next) && !is_digits_label(words, start)
}

/// Verbs of getting after which "a"/"an" counts one of what is named, whatever it is
/// ("can i get a toaster", "i'm after a new hoover"): the catalog may not know it.
const GETTING: &[&str] = &[
    "take", "buy", "want", "need", "get", "order", "grab", "like", "after", "fancy",
];

/// Words after "a"/"an" that name no product: "i want a refund", "i need a word with".
const NOT_A_PRODUCT: &[&str] = &[
    "refund",
    "return",
    "replacement",
    "exchange",
    "label",
    "word",
    "call",
    "callback",
    "question",
    "minute",
    "second",
    "moment",
    "look",
    "person",
    "human",
    "agent",
    "manager",
    "supervisor",
    "receipt",
    "copy",
    "update",
    "discount",
    "code",
    "voucher",
    "credit",
    "quote",
    "number",
    "tracking",
    "reference",
    "chance",
    "favour",
    "favor",
    "hand",
    "problem",
    "complaint",
    "way",
    "bit",
    "lot",
    "size",
    "colour",
    "color",
    "address",
    "day",
    "date",
    "time",
    "slot",
    "delivery",
    "reply",
    "answer",
    "break",
    "change",
    "cancellation",
    "confirmation",
    "email",
    "text",
    "link",
    "password",
    "account",
    "reminder",
    "pickup",
    "courier",
    "collection",
    "repair",
    "fix",
    "response",
    "solution",
    "explanation",
    "apology",
    "status",
    "photo",
    "picture",
    "rest",
    "job",
    "pause",
    "skip",
    "recap",
    "summary",
    "list",
    "few",
    "couple",
    "dozen",
    "pair",
];

/// Words that describe before the noun: "a new kettle", "a different one".
const DESCRIBING: &[&str] = &[
    "new",
    "different",
    "other",
    "bigger",
    "smaller",
    "big",
    "small",
    "little",
    "nice",
    "cheap",
    "good",
    "large",
    "spare",
    "second",
];

/// "Can I get a toaster", "an air fryer please": one of a thing asked for, named after
/// a verb of getting or opening a short request, when the thing is no service or detail.
fn buys_one(words: &[String], start: usize, end: usize) -> bool {
    let mut k = start;
    while k > 0 && matches!(words[k - 1].as_str(), "me" | "us" | "myself" | "just") {
        k -= 1;
    }
    let after_getting = k > 0 && GETTING.contains(&words[k - 1].as_str());
    // "One kettle please, the stainless steel": the request ends at "please", whatever
    // describes it after.
    let short = words.len() <= end + 4
        || words[end..words.len().min(end + 4)]
            .iter()
            .any(|w| matches!(w.as_str(), "please" | "thanks" | "cheers"));
    let opens = words[..start].iter().all(|w| OPENERS.contains(&w.as_str())) && short;
    if !(after_getting || opens) {
        return false;
    }
    let noun = words[end..]
        .iter()
        .map(String::as_str)
        .find(|w| !DESCRIBING.contains(w));
    noun.is_some_and(|w| {
        !NOT_A_PRODUCT.contains(&w)
            && !BLOCKERS.contains(&w)
            && !NOT_COUNTED.contains(&w)
            && !MEASURES.contains(&w)
            && !w.bytes().all(|b| b.is_ascii_digit())
    })
}

/// A plain digit string right after "order" is a (short) order number, not a count,
/// unless "order" is the verb ("i'd like to order 6", "i'll order 24").
fn is_digits_label(words: &[String], start: usize) -> bool {
    let verb = start >= 2
        && matches!(
            words[start - 2].as_str(),
            "to" | "i" | "we" | "will" | "please" | "can" | "could"
        );
    is_digits(&words[start]) && start > 0 && words[start - 1] == "order" && !verb
}

fn looks_plural(w: &str) -> bool {
    w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") && !NOT_COUNTED.contains(&w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::text::tokenize;

    fn qty_with(s: &str, product: Option<&str>, expect: Option<EntityKind>) -> Option<u32> {
        let w = tokenize(s);
        let span = product.and_then(|p| {
            let p = tokenize(p);
            (0..w.len())
                .find(|&i| w[i..].starts_with(&p))
                .map(|i| (i, i + p.len()))
        });
        extract_quantity(&w, &vec![false; w.len()], span, expect)
    }

    fn qty(s: &str) -> Option<u32> {
        qty_with(s, None, None)
    }

    #[test]
    fn the_count_acted_on_wins_over_the_count_had() {
        let said = "i bought three of the wool beanies as gifts but i want to send two back";
        assert_eq!(qty_with(said, Some("wool beanies"), None), Some(2));
        assert_eq!(qty("we ordered 4 mugs, please cancel one"), Some(1));
        assert_eq!(
            qty("i got five candles and want to return all five"),
            Some(5)
        );
        // Nothing acted on: the count had stands; a larger "acted" count is no part.
        assert_eq!(qty("i bought three candles"), Some(3));
        assert_eq!(qty("i bought two candles and want to return six"), Some(2));
    }

    #[test]
    fn counts_said_with_other_verbs_both_all_and_a_change() {
        assert_eq!(qty("pop me down for four"), Some(4));
        assert_eq!(qty("give me eleven"), Some(11));
        assert_eq!(qty("we'd like thirty"), Some(30));
        assert_eq!(qty("let's do 5 then"), Some(5));
        assert_eq!(qty("bump it up to six"), None, "'up' is no verb of its own");
        assert_eq!(qty("bump it to six"), Some(6));
        assert_eq!(qty("i'll order 12"), Some(12));
        assert_eq!(qty("where is order 12"), None, "a short order number");
        assert_eq!(qty("send back both"), Some(2));
        assert_eq!(qty("both of the mugs"), Some(2));
        assert_eq!(qty("i'm sending back all four"), Some(4));
        assert_eq!(qty("go from five bottles to three"), Some(3));
        assert_eq!(qty("i'll go for two"), Some(2));
    }

    /// One of a thing the catalog may not know, asked for with a verb of getting; never
    /// a service or a detail ("a refund", "a word with someone", "a different size").
    #[test]
    fn an_article_after_getting_counts_one() {
        assert_eq!(qty("could i buy a waffle maker"), Some(1));
        assert_eq!(qty("i'm after a new ironing board"), Some(1));
        assert_eq!(qty("a slow cooker please"), Some(1));
        assert_eq!(qty("i want a refund on the mug"), None);
        assert_eq!(qty("i need a replacement sent out"), None);
        assert_eq!(qty("i'd like a word with your manager"), None);
        assert_eq!(qty("i want a different colour"), None);
        assert_eq!(qty("can i get a few of those"), None);
        assert_eq!(qty("i want one toaster the red one"), Some(1));
        assert_eq!(qty("one kettle please the stainless steel"), Some(1));
        assert_eq!(qty("i want one refund not two"), None);
        assert_eq!(qty("i want the blue one"), None);
    }

    #[test]
    fn counted_with_count_nouns_and_plurals() {
        assert_eq!(qty("can i get two bags of coffee beans"), Some(2));
        assert_eq!(qty("i want 24 cans of cat food"), Some(24));
        assert_eq!(qty("get me twelve cans of wet dog food"), Some(12));
        assert_eq!(qty("can i order 3 packs of paper towels"), Some(3));
        assert_eq!(qty("i need four led light bulbs"), Some(4));
        assert_eq!(qty("order ten water filters"), Some(10));
        assert_eq!(
            qty("i need two phone chargers one for me and one for my wife"),
            Some(2)
        );
        assert_eq!(qty("a hundred and fifty bags"), Some(150));
        assert_eq!(qty("two thousand units"), Some(2000));
        assert_eq!(qty("three boxes"), Some(3));
    }

    #[test]
    fn one_of_the_caller_s_own_things_is_a_pick() {
        assert_eq!(qty("i'd like to change one of my subscriptions"), None);
        assert_eq!(qty("one of our orders never came"), None);
        assert_eq!(qty("two of my orders are late"), Some(2));
        assert_eq!(qty("can i get one of the large tees"), Some(1));
    }

    #[test]
    fn idioms() {
        assert_eq!(qty("i need a couple of t shirts in medium"), Some(2));
        assert_eq!(qty("a few bags"), None);
        assert_eq!(qty("could i get a single bath towel"), Some(1));
        assert_eq!(qty("and another dozen tins of the tuna"), Some(12));
        assert_eq!(qty("we'd like three floor cushions please"), Some(3));
        assert_eq!(qty("send it to the third floor please"), None);
        assert_eq!(qty("i'd like a dozen rolls of toilet paper"), Some(12));
        assert_eq!(qty("get me half a dozen coffee pods"), Some(6));
        assert_eq!(qty("a pair of trainers size nine"), Some(2));
        assert_eq!(qty("two dozen eggs"), Some(24));
        assert_eq!(qty("i ordered a dozen and only need six"), Some(12));
        assert_eq!(qty("only the one toaster please"), Some(1));
    }

    #[test]
    fn articles_count_only_the_product() {
        assert_eq!(
            qty_with("buy a hoodie in large", Some("hoodie"), None),
            Some(1)
        );
        assert_eq!(
            qty_with("can i order a phone charger", Some("phone charger"), None),
            Some(1)
        );
        assert_eq!(
            qty_with("i need a new air filter", Some("air filter"), None),
            Some(1)
        );
        assert_eq!(
            qty_with("order me a 50 dollar gift card", Some("gift card"), None),
            Some(1)
        );
        assert_eq!(
            qty_with("a twenty pound bag of dog food", Some("dog food"), None),
            Some(1)
        );
        assert_eq!(
            qty_with(
                "i want a refund for the headphones",
                Some("headphones"),
                None
            ),
            None
        );
        assert_eq!(qty("i want a refund"), None);
        assert_eq!(
            qty_with("two black t shirts", Some("t shirts"), None),
            Some(2)
        );
    }

    #[test]
    fn bare_numbers_with_a_buying_verb() {
        assert_eq!(qty("yes i'll take two"), Some(2));
        assert_eq!(qty("make it three please"), Some(3));
        // The count acted on, not the count bought.
        assert_eq!(
            qty("i accidentally bought two i want to return one"),
            Some(1)
        );
        assert_eq!(qty("change the quantity to five"), Some(5));
    }

    #[test]
    fn numbers_that_do_not_count() {
        for s in [
            "that one",
            "i want that one",
            "the one you just mentioned",
            "i need nappies size four",
            "a 50 dollar gift card",
            "it's been three weeks",
            "it took ten days",
            "the handle came loose after about three uses",
            "holes under the arms after a couple of wears",
            "it shrank after two washes",
            "deliver at 6 pm",
            "cancel order 12",
            "one more time please",
            "it's a bad line can you say that again",
            "can i swap the 4 pack for the 6 pack",
            "the new address is 2250 sunset boulevard los angeles",
            "i'm staying with a friend can the parcel go to hers",
            "can i split payment between two cards",
            "i want to exchange an item",
            "hello",
            "",
            "a",
            "oh",
        ] {
            assert_eq!(qty(s), None, "{s}");
        }
    }

    #[test]
    fn expectation_takes_a_bare_number() {
        assert_eq!(qty_with("three", None, Some(EntityKind::Quantity)), Some(3));
        assert_eq!(
            qty_with("a couple", None, Some(EntityKind::Quantity)),
            Some(2)
        );
        assert_eq!(qty_with("three", None, None), None);
    }

    #[test]
    fn taken_words_are_skipped() {
        let w = tokenize("two bags");
        assert_eq!(extract_quantity(&w, &[true, false], None, None), None);
    }
}

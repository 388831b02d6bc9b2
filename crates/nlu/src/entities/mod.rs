//! Entity extraction: from one transcript to the typed values the dialog needs (order
//! number, email, zip, phone, date, time slot, quantity, product, reasons, refund
//! method, subscription frequency), named and normalised as `voxorder nlu --json`
//! prints them.
//!
//! The transcript is tokenised once ([`text`]); each extractor then scans the words,
//! and marks the words it used as *taken* so that later ones do not read them again.
//! The order matters and is fixed: emails (taken before tokenising, since "john.smith"
//! must keep its dot), dates, time slots, frequencies, identifiers (order / zip /
//! phone), the table-driven reasons and refund method (phrases, never digits; a refund
//! phrase's "gift card" is then kept from the product matcher), products, quantities.
//!
//! Architecture invariant: extraction is a pure function of the text and the context;
//! it does no I/O and never panics, whatever the input. Phrase tables are data in
//! `assets/nlu/entities/`, embedded in the binary.

mod dates;
mod email;
mod identifiers;
mod numbers;
mod phonetic;
mod phrases;
mod products;
mod quantity;
pub(crate) mod reasons;
mod schedule;
mod text;

use chrono::NaiveDateTime;

pub use products::{ProductMatch, ProductMatcher};
pub use voxorder_domain::vocab::{
    CancelReason, Entities, EntityKind, ProductWanted, RefundMethod, ReturnReason, TimeSlot,
};

/// What extraction needs besides the text.
#[derive(Debug, Clone, Copy)]
pub struct EntityContext<'a> {
    /// Relative dates ("tomorrow", "next friday") are resolved against this.
    pub now: NaiveDateTime,
    /// The catalog to match products against; without it no product is extracted.
    pub products: Option<&'a ProductMatcher>,
    /// What the dialog just asked for, if anything; biases bare answers
    /// (e.g. a bare "seven eight seven oh one" is a zip_code when expect == Some(EntityKind::ZipCode)).
    pub expect: Option<EntityKind>,
    /// The request buys ("a keyboard and a power bank"): each product named apart is
    /// read with its own count, the first as `product`. Elsewhere the best-named
    /// product is the one the request is about.
    pub buying: bool,
}

impl<'a> EntityContext<'a> {
    /// A context with no catalog and no expectation.
    pub fn new(now: NaiveDateTime) -> EntityContext<'a> {
        EntityContext {
            now,
            products: None,
            expect: None,
            buying: false,
        }
    }
}

/// A broken embedded data table. Caller: nothing to retry; the build is defective (a
/// unit test parses every table, so a release never carries one).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EntityDataError {
    #[error("entity table {table}: {message}")]
    Table {
        table: &'static str,
        message: String,
    },
}

/// The words a return's reason is told in: the transcript without the part that says
/// where the refund goes ("…and get the money back on the card I paid with", "as store
/// credit"). Read whole, a sentence's meaning leans to the refund's words, which say
/// nothing of why the item goes back. None when no refund way is said, or nothing else
/// is left.
pub fn reason_story(text: &str) -> Option<String> {
    let tables = phrases::tables();
    let refund_span = |part: &str| {
        let (words, _) = email::split_emails(part);
        let span = reasons::extract(&words, tables).refund_span;
        span.map(|span| (words, span))
    };
    refund_span(text)?;
    let mut kept: Vec<String> = Vec::new();
    for clause in text.split_inclusive(['.', ',', ';', '?', '!']) {
        let Some((words, (start, end))) = refund_span(clause) else {
            kept.push(clause.trim().to_string());
            continue;
        };
        let parts = split_at_joins(clause);
        if parts.len() > 1 {
            kept.extend(
                parts
                    .into_iter()
                    .filter(|part| refund_span(part).is_none())
                    .map(str::to_string),
            );
            continue;
        }
        // One clause, no join: the way and the word that leads into it ("as store
        // credit", "by bank transfer") go; the rest stays.
        let lead = (start.saturating_sub(2)..start)
            .rev()
            .find(|&i| LEADS_TO_A_WAY.contains(&words[i].as_str()))
            .unwrap_or(start);
        kept.extend(words[..lead].iter().chain(&words[end..]).cloned());
    }
    let story = kept.join(" ");
    let story = story.trim();
    // "Store credit please": what is left tells nothing.
    let tells = story.split_whitespace().count() >= MIN_STORY_WORDS;
    (tells && story != text.trim()).then(|| story.to_string())
}

/// The fewest words left once the refund way is out for them to tell a reason.
const MIN_STORY_WORDS: usize = 3;

/// Words that lead into a refund way said inside a clause: "as store credit", "by bank
/// transfer", "to my card".
const LEADS_TO_A_WAY: &[&str] = &[
    "as", "by", "to", "into", "onto", "on", "in", "for", "with", "via", "through", "a",
];

/// A clause cut where "and", "but", "so" or "because" join two of its parts.
fn split_at_joins(clause: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut from = 0;
    let lower = clause.to_ascii_lowercase();
    let mut at = 0;
    while let Some(found) = lower[at..].find(' ') {
        let space = at + found;
        let next = &lower[space + 1..];
        let word = next.split(' ').next().unwrap_or("");
        if matches!(word, "and" | "but" | "so" | "because" | "cause") {
            let part = clause[from..space].trim();
            if !part.is_empty() {
                parts.push(part);
            }
            from = space + 1 + word.len();
        }
        at = space + 1;
    }
    let last = clause[from..].trim();
    if !last.is_empty() {
        parts.push(last);
    }
    parts
}

/// Whether the transcript names another business's service or something no shop like
/// this one sells (`assets/nlu/entities/elsewhere.toml`): "my gym membership", "the
/// scooter I hired", "a bottle of whisky".
/// A place something is sent to ("send it to my gym's front desk") is only where this
/// shop's parcel goes, and a parcel named is this shop's ("my parcel's due the day of my
/// doctor's appointment"): neither counts.
pub fn names_elsewhere(text: &str) -> bool {
    let words = words_outside_emails(text);
    if words.iter().any(|w| PARCEL_WORDS.contains(&w.as_str())) {
        return false;
    }
    phrases::tables()
        .elsewhere
        .find_all(&words)
        .iter()
        .any(|m| {
            !sent_to(&words[..m.start])
                && match m.value {
                    phrases::Elsewhere::Retailer => another_shop_meant(&words, m.start),
                    phrases::Elsewhere::Maker => {
                        another_shop_meant(&words, m.start)
                            && named_as_a_shop(&words, m.start, m.end)
                    }
                    _ => true,
                }
        })
}

/// Whether the transcript names a kind of thing a shop like this one sells
/// (`assets/nlu/entities/goods.toml`): "a laptop", "a big box of nappies", "a
/// scratching post for the cat".
pub fn names_goods(text: &str) -> bool {
    let words = words_outside_emails(text);
    !phrases::tables().goods.find_all(&words).is_empty()
}

/// Whether the transcript names another shop by its name (a chain, or a maker named as
/// a shop): "exchange the jeans I got from primark", "return the hoodie to adidas
/// online", "reschedule my asda delivery to Saturday". A price compared with one
/// ("zara has it for less") is this shop's business, and does not count.
pub fn names_another_shop(text: &str) -> bool {
    let words = words_outside_emails(text);
    phrases::tables()
        .elsewhere
        .find_all(&words)
        .iter()
        .any(|m| match m.value {
            phrases::Elsewhere::Retailer => another_shop_meant(&words, m.start),
            phrases::Elsewhere::Maker => {
                another_shop_meant(&words, m.start) && named_as_a_shop(&words, m.start, m.end)
            }
            _ => false,
        })
}

/// The words of the transcript with each email one opaque word: "zara.baker@…" names
/// no shop.
fn words_outside_emails(text: &str) -> Vec<String> {
    email::split_emails(text).0
}

/// Whether the transcript talks of sending something back ("return it", "send them
/// back"); a refund alone sends nothing.
pub fn sends_back(text: &str) -> bool {
    reasons::sends_back(&text::tokenize(text))
}

/// The words of the transcript outside any email it says, or `None` when it says none:
/// the letters of "m a r k at gmail dot com" give no reason for a cancellation.
pub fn words_without_emails(text: &str) -> Option<Vec<String>> {
    let (words, emails) = email::split_emails(text);
    (!emails.is_empty()).then(|| words.into_iter().filter(|w| w != text::OPAQUE).collect())
}

/// Whether a shop named at `at` is the business the request is about: not when a
/// price is compared with it ("cheaper at zara") nor when it is named only to be set
/// aside ("not the amazon one, the one from you").
fn another_shop_meant(words: &[String], at: usize) -> bool {
    let set_aside = words[at.saturating_sub(2)..at]
        .iter()
        .any(|w| matches!(w.as_str(), "not" | "never" | "nothing"));
    !set_aside && !words.iter().any(|w| COMPARES.contains(&w.as_str()))
}

/// Words of a price compared with another shop's.
const COMPARES: &[&str] = &[
    "cheaper", "less", "price", "prices", "deal", "offer", "match",
];

/// A maker named as the shop something came from or goes to: after "at", "from", "to",
/// "in" or "with" (a determiner between), or before "store", "online" and the like.
fn named_as_a_shop(words: &[String], start: usize, end: usize) -> bool {
    let mut k = start;
    if k > 0 && matches!(words[k - 1].as_str(), "the" | "my" | "an" | "a") {
        k -= 1;
    }
    let by_preposition = k > 0
        && matches!(
            words[k - 1].as_str(),
            "at" | "from" | "to" | "in" | "with" | "on"
        );
    let as_a_shop = words.get(end).is_some_and(|w| {
        matches!(
            w.as_str(),
            "store" | "stores" | "shop" | "outlet" | "online" | "website" | "app" | "order"
        )
    });
    by_preposition || as_a_shop
}

/// Whether the words before a phrase end in "to", with at most a determiner between
/// ("send it to my gym"): the phrase is where something goes. "I'd like to order a
/// new car" or "I want to get a tattoo" name what is wanted.
fn sent_to(before: &[String]) -> bool {
    // "A subscription to the wine club", "signed up to my channel": what is joined, not
    // where a parcel goes.
    const JOINED: &[&str] = &[
        "subscription",
        "subscriptions",
        "subscribe",
        "subscribed",
        "membership",
        "member",
        "up",
        "joined",
    ];
    let mut back = before.iter().rev();
    let to = match back.next().map(String::as_str) {
        Some("to") => true,
        Some(w) if DETERMINERS.contains(&w) => back.next().is_some_and(|w| w == "to"),
        _ => false,
    };
    to && !back.next().is_some_and(|w| JOINED.contains(&w.as_str()))
}

/// Words that stand before what they name: "send it to the gym", "move my dentist".
const DETERMINERS: &[&str] = &["the", "my", "our", "his", "her", "their", "a", "an"];

/// Whether another business's service is itself what the request acts on: "reschedule
/// the movers to next week", "move my dentist to Friday", "cancel the plumber". Unlike a
/// story around a delivery ("I've a dentist appointment, can it come Friday"), the day
/// said then belongs to that business.
pub fn acts_on_elsewhere(text: &str) -> bool {
    const ACTS: &[&str] = &[
        "reschedule",
        "rebook",
        "move",
        "postpone",
        "cancel",
        "change",
        "push",
        "book",
        "rearrange",
        "delay",
    ];
    let words = words_outside_emails(text);
    phrases::tables()
        .elsewhere
        .find_all(&words)
        .iter()
        .filter(|m| {
            !matches!(
                m.value,
                phrases::Elsewhere::Retailer | phrases::Elsewhere::Maker
            )
        })
        .any(|m| {
            let mut k = m.start;
            if k > 0 && DETERMINERS.contains(&words[k - 1].as_str()) {
                k -= 1;
            }
            k > 0 && ACTS.contains(&words[k - 1].as_str())
        })
}

/// Whether the transcript names another business by its name, in the place an order's
/// business goes: "the Getir order", "my Morrisons delivery", "reorder my usual from
/// Domino's", "change my address at Lloyds", "I need to tell HMRC". A name is a word
/// written with a capital inside a sentence (as a recogniser writes proper names); a
/// carrier, a day, a month, a size, "Mum" and the like are no other business, and a
/// name said as someone's ("Jonah's order") is a household member's, not a business's.
pub fn names_another_business(text: &str) -> bool {
    let tokens: Vec<(String, bool)> = text
        .split_whitespace()
        .scan(true, |starts, raw| {
            let at_start = *starts;
            *starts = raw.ends_with(['.', '!', '?', ':']);
            let word: String = raw
                .trim_matches(|c: char| !c.is_alphanumeric() && c != '\'' && c != '&' && c != '-')
                .to_string();
            Some((word, at_start))
        })
        .filter(|(w, _)| !w.is_empty())
        .collect();
    let lower: Vec<String> = tokens.iter().map(|(w, _)| w.to_lowercase()).collect();
    let is_name = |k: usize| {
        let (word, at_start) = &tokens[k];
        let bare = word.strip_suffix("'s").unwrap_or(word);
        let first = bare.chars().next();
        // "XL", "UK 6", "USB": sizes and kinds of goods, not names.
        let short_code = bare.len() <= 3
            && bare
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        let excluded = *at_start
            || short_code
            || bare.starts_with("I'")
            || NOT_A_BUSINESS.contains(&bare.to_lowercase().as_str());
        !excluded && first.is_some_and(char::is_uppercase) && bare.chars().count() >= 2
    };
    (0..tokens.len()).any(|k| {
        if !is_name(k) {
            return false;
        }
        let possessive = tokens[k].0.ends_with("'s");
        let word = |at: Option<usize>| at.and_then(|i| lower.get(i)).map(String::as_str);
        // "the Coles online order", "the Nike outlet store": one word of the kind of
        // business may stand between the name and its noun.
        let noun_at = |i: usize| word(Some(i)).is_some_and(|a| BUSINESS_NOUNS.contains(&a));
        let order_noun_after = !possessive
            && (noun_at(k + 1)
                || (word(Some(k + 1)).is_some_and(|m| BUSINESS_KINDS.contains(&m))
                    && noun_at(k + 2)));
        // "at Lloyds", "at the Apple store", "from the Nike outlet".
        let preposition = |w: Option<&str>| {
            w.is_some_and(|b| matches!(b, "from" | "at" | "with" | "tell" | "telling" | "told"))
        };
        let by_preposition = preposition(word(k.checked_sub(1)))
            || (word(k.checked_sub(1)) == Some("the") && preposition(word(k.checked_sub(2))));
        order_noun_after || by_preposition
    })
}

/// Capitalised words that name no other business: carriers of this shop's parcels,
/// days, months, holidays, family and the shop's own words.
const NOT_A_BUSINESS: &[&str] = &[
    "ups",
    "fedex",
    "usps",
    "dhl",
    "royal",
    "mail",
    "evri",
    "hermes",
    "parcelforce",
    "ontrac",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "christmas",
    "easter",
    "thanksgiving",
    "halloween",
    "mum",
    "mom",
    "dad",
    "mummy",
    "mommy",
    "daddy",
    "nan",
    "nana",
    "gran",
    "granny",
    "grandma",
    "grandpa",
    "grandad",
    "auntie",
    "aunt",
    "uncle",
    "sis",
    "bro",
    "sir",
    "madam",
    "ok",
    "okay",
    "hi",
    "hello",
    "thanks",
    "please",
    "sorry",
    "yes",
    "no",
    "visa",
    "mastercard",
    "amex",
    "paypal",
    "harbor",
    "lane",
    "goods",
    "order",
    "oh",
    "um",
    "uh",
    "mr",
    "mrs",
    "ms",
    "dr",
];

/// Nouns after a business's name that make it the one dealt with: "the Getir order".
const BUSINESS_NOUNS: &[&str] = &[
    "order",
    "orders",
    "delivery",
    "deliveries",
    "account",
    "subscription",
    "booking",
    "appointment",
    "membership",
    "contract",
    "plan",
    "slot",
    "bill",
    "policy",
    "shop",
    "shopping",
    "takeaway",
    "box",
    "reservation",
    "card",
    "loan",
    "mortgage",
    "app",
    "store",
    "stores",
    "outlet",
];

/// Words for the kind of a business, between its name and the thing dealt with: "the
/// Coles online order".
const BUSINESS_KINDS: &[&str] = &["online", "outlet", "grocery", "food", "home", "pharmacy"];

/// Words for this shop's parcel.
const PARCEL_WORDS: &[&str] = &["parcel", "parcels", "package", "packages", "shipment"];

/// The email meant of those said: the first, unless the words between take it back or
/// name the last as the new one ("tom at gmail dot com, sorry, tom one at gmail dot
/// com"; "the old one was …, the new one is …").
fn email_meant(words: &[String], emails: Vec<String>) -> Option<String> {
    let at: Vec<usize> = (0..words.len())
        .filter(|&k| words[k] == text::OPAQUE)
        .collect();
    let replaced = match (at.first(), at.last()) {
        (Some(&first), Some(&last)) if emails.len() >= 2 && last > first => words[first..last]
            .iter()
            .any(|w| TAKES_BACK_AN_EMAIL.contains(&w.as_str())),
        _ => false,
    };
    if replaced {
        emails.into_iter().last()
    } else {
        emails.into_iter().next()
    }
}

/// Words between two emails that make the last the one meant.
const TAKES_BACK_AN_EMAIL: &[&str] = &[
    "sorry",
    "no",
    "actually",
    "mean",
    "meant",
    "wait",
    "rather",
    "new",
    "now",
    "correction",
    "instead",
    "oops",
];

/// Extracts every entity from one transcript.
pub fn extract(text: &str, ctx: &EntityContext<'_>) -> Entities {
    read(text, ctx).0
}

/// Every entity of one transcript, and whether it denies a return reason ("it's not
/// damaged", "there's no damage"): the sentence's meaning must then not supply one the
/// words refuse.
pub fn read(text: &str, ctx: &EntityContext<'_>) -> (Entities, bool) {
    let tables = phrases::tables();
    let (words, emails) = email::split_emails(text);
    let mut taken: Vec<bool> = words.iter().map(|w| w == text::OPAQUE).collect();

    let date = dates::extract_date(&words, &mut taken, ctx.now, ctx.expect);
    let time_slot = schedule::extract_time_slot(&words, &mut taken, tables);
    let frequency_days = schedule::extract_frequency(&words, &mut taken, tables);
    let ids = identifiers::extract(&words, &mut taken, ctx.expect);
    let reasons = reasons::extract(&words, tables);
    let mut reserved = vec![false; words.len()];
    if let Some((s, e)) = reasons.refund_span {
        reserved[s..e].iter_mut().for_each(|r| *r = true);
    }
    let product = ctx
        .products
        .and_then(|m| m.find_in_words(&words, &reserved));
    let mut quantity =
        quantity::extract_quantity(&words, &taken, product.as_ref().map(|p| p.span), ctx.expect);
    let mut product = product.map(|p| p.found.sku);
    let mut more_products = Vec::new();
    if let Some(m) = ctx.products.filter(|_| ctx.buying) {
        let named = products_named_apart(m, &words, &taken, &reserved, ctx.expect);
        if named.len() > 1 {
            // Each product with the count said next to it: "two cables and a charger"
            // is not two chargers.
            let mut named = named.into_iter();
            if let Some(first) = named.next() {
                product = Some(first.sku);
                quantity = first.quantity;
            }
            more_products = named.collect();
        }
    }

    let entities = Entities {
        order_number: ids.order_number,
        email: email_meant(&words, emails),
        zip_code: ids.zip_code,
        phone_number: ids.phone_number,
        date,
        time_slot,
        quantity,
        product,
        return_reason: reasons.return_reason,
        cancel_reason: reasons.cancel_reason,
        refund_method: reasons.refund_method,
        frequency_days,
        more_products,
    };
    (entities, reasons.denied)
}

/// Words that join the products of one request ("a keyboard and a power bank").
const PRODUCT_JOINS: [&str; 4] = ["and", "plus", "also", "with"];
/// At most this many products are read from one part of a request.
const MAX_PRODUCTS_PER_PART: usize = 3;
/// Words that make a part of the request no product wanted ("… not the black one").
const NOT_WANTED: [&str; 4] = ["not", "without", "instead", "no"];

/// The products of different kinds named in parts of the utterance joined by "and",
/// "plus" or "also", each with the count said in its part; one part naming none, or
/// two naming the same kind, is one product with its description.
fn products_named_apart(
    m: &ProductMatcher,
    words: &[String],
    taken: &[bool],
    reserved: &[bool],
    expect: Option<EntityKind>,
) -> Vec<ProductWanted> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, w) in words.iter().enumerate() {
        if PRODUCT_JOINS.contains(&w.as_str()) {
            parts.push((start, i));
            start = i + 1;
        }
    }
    parts.push((start, words.len()));
    if parts.len() < 2 {
        return Vec::new();
    }
    let mut found: Vec<(usize, usize, ProductWanted)> = Vec::new();
    for (s, e) in parts {
        let part = &words[s..e];
        if part.iter().any(|w| NOT_WANTED.contains(&w.as_str())) {
            continue;
        }
        // "A bag of cat litter, a cast iron skillet": a comma joins products too, so a
        // part may name several, each found with the words of those before set aside.
        let mut blocked = reserved[s..e].to_vec();
        let before = found.len();
        for _ in 0..MAX_PRODUCTS_PER_PART {
            let Some(located) = m.find_in_words(part, &blocked) else {
                break;
            };
            let (from, to) = located.span;
            blocked[from..to].iter_mut().for_each(|b| *b = true);
            if counts_a_pack(part, from, to) {
                continue;
            }
            if found[before..].iter().any(|(f, _, _)| *f == located.family) {
                // The same kind again in one part: a word of it heard twice.
                continue;
            }
            if found[..before].iter().any(|(f, _, _)| *f == located.family) {
                // Two parts naming one kind describe one product.
                return Vec::new();
            }
            let quantity = quantity::extract_quantity(part, &taken[s..e], Some((from, to)), expect);
            found.push((
                located.family,
                s + from,
                ProductWanted {
                    exact: located.found.candidates.len() <= 1,
                    sku: located.found.sku,
                    quantity,
                },
            ));
        }
    }
    found.sort_by_key(|(_, at, _)| *at);
    found.into_iter().map(|(_, _, p)| p).collect()
}

/// Words that name how a product is packed, and are also what some products are
/// called ("bag" is a backpack's name too).
const PACK_WORDS: &[&str] = &[
    "bag", "bags", "box", "boxes", "pack", "packs", "pod", "pods",
];

/// "The hundred bag boxes", "a 20 pack": a pack word counted by the number before it is
/// the size of the product named with it, not another product.
fn counts_a_pack(part: &[String], from: usize, to: usize) -> bool {
    let counted = from > 0
        && (part[from - 1].bytes().all(|b| b.is_ascii_digit())
            || numbers::parse_cardinal(part, from - 1).is_some()
            || part[from - 1] == "hundred");
    to == from + 1 && PACK_WORDS.contains(&part[from].as_str()) && counted
}

#[cfg(test)]
mod tests;

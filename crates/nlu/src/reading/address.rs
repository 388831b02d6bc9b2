//! Spoken addresses: a street line ("twenty two hundred Lake Shore Drive, apartment
//! four b") written back in written form, with the city and zip said after it, and a
//! city named on its own ("it's round rock" → "Round Rock").

use voxorder_domain::interpretation::SpokenAddress;
use voxorder_domain::speech_text as st;

use super::lists::{words, Lists};

/// A street line written back from speech, if it has a house number and a name.
/// The house number has one to six digits; a longer run (an order number, a phone) makes
/// the words something other than a street line.
pub fn street_line(text: &str) -> Option<String> {
    let line = st::street_line_from_speech(text);
    let digits = |t: &str| t.chars().filter(char::is_ascii_digit).count();
    let has_number = line
        .split_whitespace()
        .any(|t| t.starts_with(|c: char| c.is_ascii_digit()) && (1..=6).contains(&digits(t)));
    let long_number = line.split_whitespace().any(|t| digits(t) > 6);
    let has_name = line.chars().filter(|c| c.is_alphabetic()).count() >= 3;
    (has_number && !long_number && has_name && line.len() <= 120).then_some(line)
}

/// Most words in a street's name between its house number and its type ("1600
/// Martin Luther King Jr Boulevard").
const MAX_STREET_NAME_WORDS: usize = 5;

/// Words that take back the part of an address just said ("apartment 3, sorry, 5").
const ADDRESS_CORRECTIONS: &[&str] = &[
    "sorry i mean",
    "no sorry",
    "sorry no",
    "no wait",
    "i mean",
    "make that",
    "or rather",
    "correction",
    "actually",
    "sorry",
];

/// Words said just before a correction that belong to it.
const HESITATIONS: &[&str] = &[
    "no", "oh", "um", "uh", "er", "actually", "sorry", "wait", "oops",
];

/// An address as the caller meant it: each self-correction replaces the part before it
/// that has the shape of what follows it. An apartment replaces the last apartment, a
/// bare number the last number ("apartment 3, sorry, 5"), a whole street (number and
/// street type) everything before it, and a name the last clause ("Austin, sorry,
/// Round Rock"). A correction said first ("no sorry, it's 27 Kings Road") takes back
/// nothing of the address.
pub fn corrected(lists: &Lists, text: &str) -> String {
    let mut raws: Vec<&str> = text.split_whitespace().collect();
    // "…order 1241803805391, Chloe Hughes, 02139. The new address is 9 Harbor Way":
    // the address is what follows the last phrase that introduces it.
    let keys: Vec<String> = raws.iter().map(|r| address_key(r)).collect();
    let intro = (0..keys.len())
        .filter_map(|i| lists.len_at("address_intro", &keys, i).map(|n| i + n))
        .filter(|&end| end < keys.len())
        .max();
    if let Some(end) = intro {
        raws.drain(..end);
    }
    // "It's 281 not 218. 281 Willow Street": the number after "not" is taken back, and
    // the number said again is said once.
    let mut i = 0;
    while i + 2 < raws.len() {
        let (a, not, b) = (
            address_key(raws[i]),
            address_key(raws[i + 1]),
            address_key(raws[i + 2]),
        );
        let number = |k: &str| !k.is_empty() && k.chars().all(|c| c.is_ascii_digit());
        if number(&a) && not == "not" && number(&b) {
            raws.drain(i + 1..i + 3);
            if raws.get(i + 1).is_some_and(|r| address_key(r) == a) {
                raws.remove(i);
            }
            continue;
        }
        i += 1;
    }
    loop {
        let keys: Vec<String> = raws.iter().map(|r| address_key(r)).collect();
        let Some((mut at, mut len)) = last_correction(&keys) else {
            break;
        };
        // "actually, make that", "oh sorry": the hesitation goes with the correction.
        while at > 0 && HESITATIONS.contains(&keys[at - 1].as_str()) {
            at -= 1;
            len += 1;
        }
        let before = &raws[..at];
        let after: Vec<&str> = raws[at + len..].to_vec();
        let after_keys = &keys[at + len..];
        let keep = if before.iter().all(|r| address_key(r).is_empty()) || after.is_empty() {
            0
        } else {
            kept_before(lists, before, after_keys)
        };
        // What is kept keeps its pauses: "40 Elm Road," still ends the street.
        let mut joined: Vec<&str> = before[..keep].to_vec();
        joined.extend(after);
        if joined.len() == raws.len() {
            break;
        }
        raws = joined;
    }
    raws.join(" ")
}

fn address_key(raw: &str) -> String {
    raw.trim_matches(|c: char| !(c.is_alphanumeric() || c == '#' || c == '\''))
        .to_lowercase()
}

/// The last correction phrase in the words, as (index, length in words): the one that
/// ends last, and of those the longest ("no sorry", not its "sorry").
fn last_correction(keys: &[String]) -> Option<(usize, usize)> {
    (0..keys.len())
        .flat_map(|i| {
            ADDRESS_CORRECTIONS.iter().filter_map(move |phrase| {
                let parts: Vec<&str> = phrase.split(' ').collect();
                let fits = keys.len() >= i + parts.len()
                    && parts.iter().enumerate().all(|(k, p)| keys[i + k] == *p);
                fits.then_some((i, parts.len()))
            })
        })
        .max_by_key(|&(i, len)| (i + len, len))
}

/// How many words of `before` the correction keeps, given the words that replace part
/// of them.
fn kept_before(lists: &Lists, before: &[&str], after: &[String]) -> usize {
    let numeric =
        |key: &str| key.chars().any(|c| c.is_ascii_digit()) || lists.is("number_words", key);
    let keys: Vec<String> = before.iter().map(|r| address_key(r)).collect();
    let Some(first) = after
        .iter()
        .find(|k| !k.is_empty() && !lists.is("filler", k))
    else {
        return before.len();
    };
    if lists.is("address_units", first) {
        // "apartment 3, sorry, apartment 5": from the last apartment said.
        return keys
            .iter()
            .rposition(|k| lists.is("address_units", k))
            .unwrap_or(before.len());
    }
    if numeric(first) {
        let whole_street = after.iter().any(|k| lists.is("street_types", k));
        if whole_street {
            return 0;
        }
        // "apartment 3, sorry, 5": from the last number said.
        return keys
            .iter()
            .rposition(|k| numeric(k))
            .unwrap_or(before.len());
    }
    // "40 Elm Road, Austin, sorry, Round Rock": from the start of the last clause; a
    // name said alone ("Austin, sorry, Round Rock") goes whole, and a street is kept.
    let clause = before[..before.len().saturating_sub(1)]
        .iter()
        .rposition(|r| r.ends_with([',', ';', '.']));
    match clause {
        Some(i) => i + 1,
        None if keys.iter().any(|k| numeric(k)) => before.len(),
        None => 0,
    }
}

/// A whole address said at once, cut into the street (with any apartment) and what
/// follows it (city, state, zip).
struct AddressParts {
    /// What was said before the street: a zip there is the billing zip, not the new one.
    before: String,
    street: String,
    rest: String,
}

/// One word of an address as said, with its lower-case key and whether a pause (a
/// comma or full stop) follows it.
struct AddressWord<'a> {
    raw: &'a str,
    key: String,
    pause: bool,
}

/// Cuts "2200 Lake Shore Drive, Apt 4, Austin, Texas 78705" after the street (and its
/// apartment or unit). The street ends at its street-type word ("Drive", "Street");
/// without one, at the first pause. `strict`: only a street-type word counts (for a
/// request that may not hold an address at all). None when no street is found.
fn split_address(lists: &Lists, text: &str, strict: bool) -> Option<AddressParts> {
    let numeric =
        |key: &str| key.chars().any(|c| c.is_ascii_digit()) || lists.is("number_words", key);
    let words: Vec<AddressWord<'_>> = text
        .split_whitespace()
        .filter_map(|raw| {
            let key = raw
                .trim_matches(|c: char| !(c.is_alphanumeric() || c == '#' || c == '\''))
                .to_lowercase();
            (!key.is_empty()).then(|| AddressWord {
                raw,
                key,
                pause: raw.ends_with([',', '.', ';']),
            })
        })
        .collect();
    // A house number has at most six digits: an order number or a phone said before the
    // address ("order 1241803805391, the new address is 9 Harbor Way") is not one.
    let house_number = |key: &str| {
        let digits = key.chars().filter(char::is_ascii_digit).count();
        numeric(key) && digits <= 6
    };
    let mut number = words.iter().position(|w| house_number(&w.key))?;
    // "Apartment 5, 300 Congress Avenue": the unit said first, then the house number.
    let mut unit_first: Option<(usize, usize)> = None;
    if number >= 1 && lists.is("address_units", &words[number - 1].key) {
        let later = (number + 1..words.len().min(number + 4)).find(|&i| {
            house_number(&words[i].key)
                && words[i - 1].pause
                && words
                    .get(i + 1)
                    .is_some_and(|w| w.key.chars().all(char::is_alphabetic))
        });
        if let Some(later) = later {
            unit_first = Some((number - 1, later));
            number = later;
        }
    }
    let mut suffix = (number + 1..words.len()).find(|&i| lists.is("street_types", &words[i].key));
    // "No, it's twelve forty. 1240 Harrison Boulevard": the number said again just before
    // the street is its house number; what was said before the pause is not the street.
    if let (Some(k), None) = (suffix, unit_first) {
        let restart = (number..k)
            .rev()
            .find(|&i| words[i].pause)
            .and_then(|p| (p + 1..k).find(|&i| house_number(&words[i].key)));
        if let Some(later) = restart {
            number = later;
            suffix = (number + 1..words.len()).find(|&i| lists.is("street_types", &words[i].key));
        }
    }
    // "Five thousand dollars has been approved 12 Main Street": a street's name is a few
    // words long, so a number far before the street type is not its house number; the
    // last one before the name is.
    if let (Some(k), None) = (suffix, unit_first) {
        if k - number > MAX_STREET_NAME_WORDS {
            let nearer = (number + 1..k).rev().find(|&i| {
                house_number(&words[i].key)
                    && words
                        .get(i + 1)
                        .is_some_and(|w| w.key.chars().all(char::is_alphabetic))
            });
            if let Some(later) = nearer {
                number = later;
            }
        }
    }
    // A zip said later in the words: an address follows the number even without a
    // street type ("to 500 Broadway, New York 10012").
    // The word after the number names the street, not what is counted ("2 of those").
    const NOT_A_STREET: &[&str] = &[
        "of", "item", "items", "x", "times", "more", "pack", "packs", "bags", "and", "or", "to",
        "for", "please", "is", "digits", "days", "weeks", "dollars", "in", "at", "by",
    ];
    let names_a_street = words.get(number + 1).is_some_and(|w| {
        w.key.chars().all(char::is_alphabetic) && !NOT_A_STREET.contains(&w.key.as_str())
    });
    let zip_after = names_a_street
        && (number + 2..words.len().min(number + 10)).any(|i| {
            let k = &words[i].key;
            k.len() == 5 && k.chars().all(|c| c.is_ascii_digit())
        });
    let paused = (number..words.len()).find(|&i| words[i].pause);
    // "800 Nicollet Mall apartment 12B": without a street type, the street runs to the
    // unit said after it.
    let unit_at = (number + 2..words.len().min(number + 6))
        .find(|&i| lists.is("address_units", &words[i].key));
    let mut end = match suffix {
        Some(k) => k + 1,
        None if strict && !zip_after => return None,
        // Without a type, a unit or a pause, the street is taken as one word
        // ("Broadway"): the read-back lets the caller put it right.
        None if strict => unit_at.or(paused.map(|p| p + 1)).unwrap_or(number + 2),
        // "Apartment 5, 300 Congress" said alone: the street runs to the end.
        None => unit_at
            .or(paused.map(|p| p + 1))
            .or(unit_first.map(|_| words.len()))?,
    };
    // "Drive North", then "apartment 4 b" / "unit number 12".
    if suffix.is_some()
        && !words[end - 1].pause
        && words
            .get(end)
            .is_some_and(|w| lists.is("directions", &w.key))
    {
        end += 1;
    }
    // "…, fifth floor", "3rd floor": the floor said before its unit word is the street
    // line's too, never the city.
    let ordinal = |w: &AddressWord<'_>| {
        lists.ordinals.contains_key(w.key.as_str())
            || (w.key.len() > 2
                && w.key.starts_with(|c: char| c.is_ascii_digit())
                && ["st", "nd", "rd", "th"].iter().any(|s| w.key.ends_with(s)))
    };
    if words.get(end).is_some_and(ordinal)
        && words
            .get(end + 1)
            .is_some_and(|w| lists.is("address_units", &w.key))
    {
        end += 2;
    } else if words
        .get(end)
        .is_some_and(|w| lists.is("address_units", &w.key))
    {
        end += 1;
        if words
            .get(end)
            .is_some_and(|w| matches!(w.key.as_str(), "number" | "no" | "#"))
        {
            end += 1;
        }
        let mut taken = 0;
        while taken < 3
            && !words[end - 1].pause
            && words
                .get(end)
                .is_some_and(|w| numeric(&w.key) || w.key.chars().count() == 1)
        {
            end += 1;
            taken += 1;
        }
    }
    let end = end.min(words.len());
    let join = |ws: &[AddressWord<'_>]| ws.iter().map(|w| w.raw).collect::<Vec<_>>().join(" ");
    if let Some((unit, house)) = unit_first {
        let street_words = join(&words[house..end]);
        // "Just apartment 14. 88 Pearl Street apartment 14": the unit said again with
        // the street is the one kept, never written twice.
        if words[house..end]
            .iter()
            .any(|w| lists.is("address_units", &w.key))
        {
            return Some(AddressParts {
                before: join(&words[..unit]),
                street: street_words,
                rest: join(&words[end..]),
            });
        }
        // Written the usual way round: the street, then the unit.
        let unit_words = join(&words[unit..house]);
        return Some(AddressParts {
            before: join(&words[..unit]),
            street: format!(
                "{} {}",
                street_words.trim_end_matches([',', '.', ';']),
                unit_words.trim_end_matches([',', '.', ';'])
            ),
            rest: join(&words[end..]),
        });
    }
    // The street starts at its number ("no sorry, it's 27 Kings Road"), or at the flat
    // or unit said just before it ("flat 3, 27 Kings Road").
    let start = match number.checked_sub(1) {
        Some(u) if lists.is("address_units", &words[u].key) => u,
        _ => number,
    };
    Some(AddressParts {
        before: join(&words[..start]),
        street: join(&words[start..end]),
        rest: join(&words[end..]),
    })
}

/// A street and whatever else of the address was said with it: the city (said before
/// the zip) and the zip (`zip`, the zip entity heard, unless it was the house number).
/// `strict`: only a street named with its type ("Drive", "Street") counts, for an
/// utterance that may hold no address at all.
pub fn address(
    lists: &Lists,
    text: &str,
    zip: Option<&str>,
    strict: bool,
) -> Option<SpokenAddress> {
    let mut parts = split_address(lists, text, strict)?;
    // "24 Brattle Street, not 22": what follows a "not" is taken back, never a city.
    if let Some(cut) = parts.rest.split_whitespace().position(|w| {
        matches!(
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
                .as_str(),
            "not" | "instead"
        )
    }) {
        parts.rest = parts
            .rest
            .split_whitespace()
            .take(cut)
            .collect::<Vec<_>>()
            .join(" ");
    }
    let street = street_line(&parts.street)?;
    let city = city_before_zip(lists, &parts.rest);
    let state = state_said(&parts.rest);
    // The zip of the new address is said after its street; one said only before it
    // ("Chloe Hughes, 02139. New address is …") proved who the caller is.
    // A zip written after the street is the new one, whichever zip the entities took.
    let written = parts.rest.split_whitespace().find_map(|w| {
        let w = w.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        let plain = w.len() == 5 && w.chars().all(|c| c.is_ascii_digit());
        plain.then(|| w.to_string())
    });
    let zip = written.or_else(|| {
        zip.filter(|z| !street.replace(' ', "").contains(z))
            .filter(|z| !digits_of(&parts.before).contains(z) || digits_of(&parts.rest).contains(z))
            .map(str::to_string)
    });
    Some(SpokenAddress {
        street,
        city,
        zip,
        state,
    })
}

/// The digits of a text, run together ("02139. New" → "02139"), to find a zip in it.
pub(super) fn digits_of(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// The state named after a city and before any zip ("Columbus Ohio 43215" → "OH").
pub fn state_said(text: &str) -> Option<String> {
    let before_zip: Vec<&str> = text
        .split_whitespace()
        .take_while(|w| !w.chars().any(|c| c.is_ascii_digit()))
        .collect();
    // A city named like its state ("New York") names no state of its own.
    voxorder_domain::us_states::trailing(&before_zip)
        .filter(|&(_, words)| words < before_zip.len())
        .map(|(code, _)| code.to_string())
}

/// "Cambridge, Massachusetts 02139" said where no city was asked (at an address's
/// read-back): a city, only in that shape (a state and a zip after it), so a yes or a
/// no with a zip names no city.
pub fn city_with_state_and_zip(lists: &Lists, text: &str) -> Option<String> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let last = tokens
        .last()?
        .trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let zip_last = last.len() == 5 && last.chars().all(|c| c.is_ascii_digit());
    (zip_last && tokens.len() <= 7 && state_said(text).is_some())
        .then(|| city_before_zip(lists, text))
        .flatten()
}

/// The city in what follows a street: the words before the zip, without a state or
/// country.
fn city_before_zip(lists: &Lists, rest: &str) -> Option<String> {
    let mut kept = Vec::new();
    for raw in rest.split_whitespace() {
        let key = words(raw);
        if key.join(" ").chars().any(|c| c.is_ascii_digit()) || lists.any("number_words", &key) {
            break;
        }
        if lists.any("countries", &key) {
            continue;
        }
        kept.push(raw);
    }
    city(lists, &kept.join(" "))
}

/// Marks of typed code ("'); DROP …;--", "<b>", "1=1"), which no spoken place name has.
fn reads_as_code(text: &str) -> bool {
    [
        "--", "');", "';", "\");", "<", ">", "=", "{", "}", "/*", "`",
    ]
    .iter()
    .any(|mark| text.contains(mark))
}

/// A city name from a short answer ("it's round rock" → "Round Rock"). Only the first
/// clause names it: what follows a comma is a remark ("austin, same city"); remarks
/// said without a pause ("austin same as before thanks") and a trailing state name
/// ("austin texas") are left out too.
pub fn city(lists: &Lists, text: &str) -> Option<String> {
    if text.chars().count() > 60 || reads_as_code(text) {
        return None;
    }
    let first_clause = text
        .split([',', '.', ';', '!', '?'])
        .map(words)
        .map(|w| lists.without("city_remarks", &w))
        .find(|w| w.iter().any(|x| !lists.is("filler", x)))?;
    let mut kept: Vec<&String> = first_clause
        .iter()
        .filter(|w| !lists.is("filler", w))
        .filter(|w| {
            w.chars()
                .all(|c| c.is_alphabetic() || c == '\'' || c == '-')
        })
        .collect();
    // "austin texas": the state is not part of the city (a city named like its state,
    // "new york", stays).
    if let Some(k) = (1..kept.len()).find(|&k| {
        let tail: Vec<String> = kept[k..].iter().map(|w| (*w).clone()).collect();
        lists.len_at("us_states", &tail, 0) == Some(tail.len())
            || lists.len_at("us_state_codes", &tail, 0) == Some(tail.len())
    }) {
        kept.truncate(k);
    }
    // "Delete From Orders": words of a database query, not a place ("Table Rock" and
    // "Union" have one such word, not two).
    let query_words = kept.iter().filter(|w| lists.is("query_words", w)).count();
    if kept.is_empty() || kept.len() > 4 || query_words >= 2 {
        return None;
    }
    let city: Vec<String> = kept
        .iter()
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        })
        .collect();
    Some(city.join(" "))
}

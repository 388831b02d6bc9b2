//! Spoken addresses: a street line ("twenty two hundred Lake Shore Drive, apartment
//! four b") written back in written form, with the city and zip said after it, and a
//! city named on its own ("it's round rock" → "Round Rock").

use voxorder_domain::interpretation::SpokenAddress;
use voxorder_domain::speech_text as st;

use super::lists::{words, Lists};

/// A street line written back from speech, if it has a house number and a name.
pub fn street_line(text: &str) -> Option<String> {
    let line = st::street_line_from_speech(text);
    let has_number = line.chars().any(|c| c.is_ascii_digit());
    let has_name = line.chars().filter(|c| c.is_alphabetic()).count() >= 3;
    (has_number && has_name && line.len() <= 120).then_some(line)
}

/// A whole address said at once, cut into the street (with any apartment) and what
/// follows it (city, state, zip).
struct AddressParts {
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
    let number = words.iter().position(|w| numeric(&w.key))?;
    let suffix = (number + 1..words.len()).find(|&i| lists.is("street_types", &words[i].key));
    let mut end = match suffix {
        Some(k) => k + 1,
        None if strict => return None,
        None => (number..words.len()).find(|&i| words[i].pause)? + 1,
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
    if words
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
    // The street starts at its number ("no sorry, it's 27 Kings Road"), or at the flat
    // or unit said just before it ("flat 3, 27 Kings Road").
    let start = match number.checked_sub(1) {
        Some(u) if lists.is("address_units", &words[u].key) => u,
        _ => number,
    };
    let join = |ws: &[AddressWord<'_>]| ws.iter().map(|w| w.raw).collect::<Vec<_>>().join(" ");
    Some(AddressParts {
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
    let parts = split_address(lists, text, strict)?;
    let street = street_line(&parts.street)?;
    let city = city_before_zip(lists, &parts.rest);
    let zip = zip
        .filter(|z| !street.replace(' ', "").contains(z))
        .map(str::to_string);
    Some(SpokenAddress { street, city, zip })
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

/// A city name from a short answer ("it's round rock" → "Round Rock"). Only the first
/// clause names it: what follows a comma is a remark ("austin, same city"); remarks
/// said without a pause ("austin same as before thanks") and a trailing state name
/// ("austin texas") are left out too.
pub fn city(lists: &Lists, text: &str) -> Option<String> {
    if text.chars().count() > 60 {
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
    if kept.is_empty() || kept.len() > 4 {
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

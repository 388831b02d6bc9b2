//! Time slots ("in the morning", "after lunch", "at 9 am", "after 6") and subscription
//! frequencies ("every two weeks", "fortnightly", "every 10 days") — both from their
//! synonym tables plus the numeric forms the tables cannot list.
//!
//! As with dates, a slot or frequency being replaced ("instead of weekly", "from
//! monthly to ...", "not in the morning") loses to another one said in the same breath.

use super::dates::is_target;
use super::numbers::{parse_cardinal, teen_word, tens_word, unit_word};
use super::phrases::{longest_non_overlapping, Tables};
use super::text::{is_digits, words_at};
use super::TimeSlot;

/// Longest frequency accepted, in days: beyond two years it is not a subscription.
const MAX_FREQUENCY_DAYS: u64 = 730;

/// True when the match starting at `start` is the thing being replaced or refused;
/// only words after the previous match (ending at `prev_end`) are looked at.
fn replaced(words: &[String], start: usize, prev_end: usize) -> bool {
    let before = start.saturating_sub(3).max(prev_end)..start;
    before
        .clone()
        .any(|k| matches!(words[k].as_str(), "not" | "from" | "than" | "no"))
        || before
            .clone()
            .any(|k| words[k] == "instead" && words.get(k + 1).is_some_and(|w| w == "of"))
}

/// True when the words just after a match find fault with it ("every week is too
/// much", "weekly's too often", "mornings are too early").
fn found_wanting(words: &[String], end: usize) -> bool {
    let after = &words[end..(end + 4).min(words.len())];
    let too = after.windows(2).any(|w| {
        w[0] == "too"
            && matches!(
                w[1].as_str(),
                "much" | "often" | "frequent" | "many" | "soon" | "early" | "late" | "long" | "far"
            )
    });
    // "Mornings are no good", "afternoons don't work for me", "evenings are out".
    let refused = after.windows(2).any(|w| {
        matches!(
            (w[0].as_str(), w[1].as_str()),
            ("no", "good" | "use")
                | (
                    "not",
                    "good" | "great" | "ideal" | "possible" | "work" | "working"
                )
                | ("are" | "is", "out" | "impossible" | "bad")
                | ("won't" | "wont", "work")
                | ("never", "work")
        )
    });
    too || refused
}

/// Picks the first match that is not replaced, else the first; marks it taken.
fn choose<T: Copy>(
    words: &[String],
    taken: &mut [bool],
    found: Vec<(usize, usize, T)>,
) -> Option<T> {
    let found: Vec<_> = longest_non_overlapping(found)
        .into_iter()
        .filter(|&(s, e, _)| !taken[s..e].iter().any(|&t| t))
        .collect();
    // As for dates: replaced -2, asked for ("to the afternoon", "morning instead") +1;
    // the best score wins, the earliest on ties.
    let mut prev_end = 0;
    let mut best: Option<(i32, T)> = None;
    for &(s, e, v) in &found {
        let mut score = 0;
        if replaced(words, s, prev_end) || found_wanting(words, e) {
            score -= 2;
        }
        if is_target(words, s, e) {
            score += 1;
        }
        // "Booked for the morning but can they come after lunch": the one after "but".
        if prev_end > 0 && prev_end <= s && words[prev_end..s].iter().any(|w| w == "but") {
            score += 1;
        }
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, v));
        }
        prev_end = e;
    }
    let (_, best) = best?;
    for &(s, e, _) in &found {
        for t in &mut taken[s..e] {
            *t = true;
        }
    }
    Some(best)
}

/// The frequency in days, if one is said.
pub(crate) fn extract_frequency(
    words: &[String],
    taken: &mut [bool],
    tables: &Tables,
) -> Option<u32> {
    let mut found: Vec<(usize, usize, u32)> = tables
        .frequencies
        .find_all(words)
        .into_iter()
        .map(|m| (m.start, m.end, m.value))
        .collect();
    for i in 0..words.len() {
        if words[i] == "every" {
            if let Some((days, end)) = every_n_units(words, i + 1) {
                found.push((i, end, days));
            }
        }
    }
    choose(words, taken, found)
}

/// "two weeks", "10 days", "three months", "6 weeks" after "every".
fn every_n_units(words: &[String], i: usize) -> Option<(u32, usize)> {
    let (n, used) = if words_at(words, i, "couple of") {
        (2, 2)
    } else {
        parse_cardinal(words, i)?
    };
    let unit = words.get(i + used)?;
    let per = match unit.as_str() {
        "day" | "days" => 1,
        "week" | "weeks" => 7,
        "fortnight" | "fortnights" => 14,
        "month" | "months" => 30,
        "year" | "years" => 365,
        _ => return None,
    };
    let days = n
        .checked_mul(per)
        .filter(|&d| (1..=MAX_FREQUENCY_DAYS).contains(&d))?;
    Some((u32::try_from(days).ok()?, i + used + 1))
}

/// The time slot, if one is said.
pub(crate) fn extract_time_slot(
    words: &[String],
    taken: &mut [bool],
    tables: &Tables,
) -> Option<TimeSlot> {
    let mut found: Vec<(usize, usize, TimeSlot)> = tables
        .time_slots
        .find_all(words)
        .into_iter()
        // "good morning" greets; it does not ask for a morning slot.
        .filter(|m| !(m.start > 0 && words[m.start - 1] == "good"))
        .filter(|m| !happened_at(words, m.start))
        .map(|m| (m.start, m.end, m.value))
        .collect();
    for i in 0..words.len() {
        if let Some((slot, end)) = clock_time(words, i).filter(|_| !happened_at(words, i)) {
            found.push((i, end, slot));
        }
    }
    choose(words, taken, found)
}

/// Whether the time at `start` is when something already happened ("the microwave went
/// bang this morning", "I ordered it this morning", "the driver turned up at eight"),
/// not a time asked for.
fn happened_at(words: &[String], start: usize) -> bool {
    const HAPPENED: &[&str] = &[
        "ordered", "arrived", "came", "went", "broke", "happened", "turned", "showed", "bought",
        "rang", "dropped", "tried", "knocked",
    ];
    words[start.saturating_sub(3)..start]
        .iter()
        .any(|w| HAPPENED.contains(&w.as_str()))
}

/// Whether the words after a number make it a count or part of a longer number, not
/// an hour: "at 5 1 2 …" starts a phone number, "after two weeks" and "after 3 washes"
/// count something. Minutes ("at 2 30", "at two thirty") keep it an hour.
fn counts_something(words: &[String], end: usize) -> bool {
    const UNITS: &[&str] = &[
        "day", "days", "week", "weeks", "month", "months", "year", "years", "hour", "hours",
        "minute", "minutes", "time", "times", "use", "uses", "wash", "washes", "wear", "wears",
        "item", "items", "of", "percent", "dollars", "bucks", "pounds", "euros", "cents",
    ];
    let numeric = |w: &str| {
        (!w.is_empty() && w.chars().all(|c| c.is_ascii_digit()))
            || unit_word(w).is_some()
            || teen_word(w).is_some()
            || tens_word(w).is_some()
            || w == "oh"
    };
    let Some(next) = words.get(end).map(String::as_str) else {
        return false;
    };
    if UNITS.contains(&next) {
        return true;
    }
    if !numeric(next) {
        return false;
    }
    // A single digit, or a number followed by yet another, is a digit string.
    let single_digit = next.len() == 1 || unit_word(next).is_some() || next == "oh";
    single_digit || words.get(end + 1).is_some_and(|w| numeric(w))
}

/// "9 am", "3 p m", "6pm", "at 10:30 am", "after 6", "at 2".
fn clock_time(words: &[String], i: usize) -> Option<(TimeSlot, usize)> {
    let w = words[i].as_str();
    let (hour, used) = if let Some((h, m)) = w.split_once(':') {
        if !is_digits(h) || !is_digits(m) {
            return None;
        }
        (h.parse::<u64>().ok()?, 1)
    } else {
        // Only a bare number word or digits; "a hundred" is not an hour.
        if w == "a" {
            return None;
        }
        parse_cardinal(words, i)?
    };
    if !(1..=12).contains(&hour) {
        return None;
    }
    let mut end = i + used;
    // "at 8 tonight": the words after the number say the part of the day.
    if words
        .get(end)
        .is_some_and(|n| matches!(n.as_str(), "tonight" | "in" | "this" | "at"))
    {
        return None;
    }
    if words.get(end).is_some_and(|n| n == "oclock") {
        end += 1;
    }
    let suffix = |s: &str| words_at(words, end, s);
    let meridiem = if suffix("am") || suffix("a m") {
        Some(false)
    } else if suffix("pm") || suffix("p m") {
        Some(true)
    } else {
        None
    };
    if let Some(pm) = meridiem {
        end += if suffix("am") || suffix("pm") { 1 } else { 2 };
        let slot = match (pm, hour) {
            (false, 12) => return None,
            (false, _) => TimeSlot::Morning,
            (true, 12) | (true, 1..=4) => TimeSlot::Afternoon,
            (true, _) => TimeSlot::Evening,
        };
        return Some((slot, end));
    }
    // Without am/pm only a leading preposition makes a number an hour, and only when
    // the number stands alone: "at 5 1 2 …" starts a phone number, "after two weeks"
    // and "after 3 washes" count something else.
    if counts_something(words, end) {
        return None;
    }
    let prev = i.checked_sub(1).map(|k| words[k].as_str());
    let slot = match (prev, hour) {
        (Some("after"), 5..=9) => TimeSlot::Evening,
        (Some("after"), 12 | 1..=3) => TimeSlot::Afternoon,
        (Some("at" | "around" | "about"), 8..=11) => TimeSlot::Morning,
        (Some("at" | "around" | "about"), 12 | 1..=4) => TimeSlot::Afternoon,
        (Some("at" | "around" | "about"), 5..=9) => TimeSlot::Evening,
        // "Between 8 and 12", "from 9 till 1": the window starts when the hour does.
        (Some("between" | "from"), 7..=11) => TimeSlot::Morning,
        (Some("between" | "from"), 12 | 1..=3) => TimeSlot::Afternoon,
        (Some("between" | "from"), 5..=8) => TimeSlot::Evening,
        (Some("before" | "by"), 9..=12) => TimeSlot::Morning,
        _ => return None,
    };
    Some((slot, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::phrases::tables;
    use crate::entities::text::tokenize;
    use TimeSlot::*;

    fn slot(s: &str) -> Option<TimeSlot> {
        let w = tokenize(s);
        extract_time_slot(&w, &mut vec![false; w.len()], tables())
    }

    fn freq(s: &str) -> Option<u32> {
        let w = tokenize(s);
        extract_frequency(&w, &mut vec![false; w.len()], tables())
    }

    #[test]
    fn time_slots_from_words() {
        assert_eq!(slot("can you come in the morning instead"), Some(Morning));
        assert_eq!(slot("can you deliver before noon"), Some(Morning));
        assert_eq!(slot("deliver after lunch"), Some(Afternoon));
        assert_eq!(slot("change my slot to the afternoon"), Some(Afternoon));
        assert_eq!(slot("can it come after work"), Some(Evening));
        assert_eq!(slot("can you deliver it tonight instead"), Some(Evening));
        assert_eq!(slot("reschedule for wednesday morning"), Some(Morning));
        assert_eq!(slot("switch me to an evening slot"), Some(Evening));
        assert_eq!(slot("good morning i'd like to place an order"), None);
        // When something happened is no slot asked for.
        assert_eq!(
            slot("i need a new microwave the old one went bang this morning"),
            None
        );
        assert_eq!(slot("cancel what i ordered this morning"), None);
        // "Delivered" looks forward as often as back.
        assert_eq!(
            slot("i'd like two bags of coffee beans delivered tomorrow morning"),
            Some(Morning)
        );
        assert_eq!(
            slot("can it be delivered in the afternoon"),
            Some(Afternoon)
        );
        assert_eq!(
            slot("the driver turned up at eight, can he come back tomorrow in the afternoon"),
            Some(Afternoon)
        );
        assert_eq!(
            slot("the delivery's booked for the morning but can they come after lunch"),
            Some(Afternoon)
        );
        assert_eq!(slot("not in the morning, the afternoon"), Some(Afternoon));
        assert_eq!(
            slot("mornings are no good, i'll be out, afternoon is best"),
            Some(Afternoon)
        );
        assert_eq!(
            slot("evenings don't work for me, morning then"),
            Some(Morning)
        );
        assert_eq!(slot("the morning is good for me"), Some(Morning));
        assert_eq!(
            slot("coming at 8 tonight can you make it tomorrow morning instead"),
            Some(Morning)
        );
        assert_eq!(slot("coming at 8 tonight"), Some(Evening));
        assert_eq!(slot("Friday, in the am if you can"), Some(Morning));
        assert_eq!(slot("can the van come before ten"), Some(Morning));
        assert_eq!(slot("Thursday arvo suits me"), Some(Afternoon));
        assert_eq!(slot("any time between 9 and 12 is fine"), Some(Morning));
        assert_eq!(slot("from 6 till 9 please"), Some(Evening));
    }

    #[test]
    fn time_slots_from_clock_times() {
        assert_eq!(slot("at 9 am"), Some(Morning));
        assert_eq!(slot("around 10 a m"), Some(Morning));
        assert_eq!(slot("3pm works"), Some(Afternoon));
        assert_eq!(slot("at 7 p m"), Some(Evening));
        assert_eq!(slot("can you deliver it after 6"), Some(Evening));
        assert_eq!(slot("after six"), Some(Evening));
        assert_eq!(slot("at two"), Some(Afternoon));
        assert_eq!(slot("at 10:30 am"), Some(Morning));
        assert_eq!(slot("i want 6"), None);
        assert_eq!(slot("at 45"), None);
        assert_eq!(slot("12 am"), None);
        // Minutes keep an hour; a digit string or a count does not make one.
        assert_eq!(slot("at 2 30"), Some(Afternoon));
        assert_eq!(slot("call me at 5 1 2 5 5 5 0 1 9 9"), None);
        assert_eq!(slot("reach me at five one two five five five"), None);
        assert_eq!(slot("it broke after two weeks"), None);
        assert_eq!(slot("it shrank after 3 washes"), None);
    }

    #[test]
    fn frequencies() {
        assert_eq!(freq("every two weeks"), Some(14));
        assert_eq!(freq("deliver it fortnightly"), Some(14));
        assert_eq!(freq("every other week please"), Some(14));
        assert_eq!(freq("switch my subscription to weekly"), Some(7));
        assert_eq!(freq("set up a monthly subscription"), Some(30));
        assert_eq!(freq("change my subscription to every month"), Some(30));
        assert_eq!(freq("change frequency to every 10 days"), Some(10));
        assert_eq!(
            freq("monthly is too long between, can we do every three weeks"),
            Some(21)
        );
        assert_eq!(
            slot("mornings are too early for me, evening please"),
            Some(Evening)
        );
        assert_eq!(freq("every two months"), Some(60));
        assert_eq!(freq("every day"), Some(1));
        assert_eq!(freq("every 90 days"), Some(90));
        assert_eq!(freq("every six weeks"), Some(42));
        assert_eq!(freq("every three months"), Some(90));
        assert_eq!(freq("every week"), Some(7));
        assert_eq!(freq("every couple of weeks"), Some(14));
        assert_eq!(freq("every 45 days"), Some(45));
        assert_eq!(freq("make it every other week instead of weekly"), Some(14));
        assert_eq!(
            freq("i want my coffee every week instead of every two weeks"),
            Some(7)
        );
        assert_eq!(
            freq("can i change my subscription from monthly to every two months"),
            Some(60)
        );
        assert_eq!(freq("hold my subscription for two weeks"), None);
        assert_eq!(freq("every 5000 days"), None);
        assert_eq!(freq("every"), None);
    }
}

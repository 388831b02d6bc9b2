//! Dates, absolute or relative to `now`, following the labelling guide
//! (`assets/nlu/GUIDE.md`, "Entities"):
//! - "today", "tomorrow", "the day after tomorrow";
//! - a weekday, bare or with "this"/"on"/"next"/"coming": the first such day strictly
//!   after today; "friday next week" / "next week friday": that weekday in the calendar
//!   week (Monday–Sunday) after this one; "a week from friday", "friday week", "friday
//!   after next": seven days after the first friday;
//! - "next week": Monday of next week; "next month": its first day; "the weekend":
//!   the coming Saturday;
//! - "in three days", "in two weeks", "in a month", "three days from now";
//! - "march 20th", "march twentieth", "20th of march", "20 march", "3/20" (US
//!   month/day), "2026-03-20": a month and day already past this year mean next year,
//!   unless said of what already happened ("ordered on march 5th": this year's);
//! - "the 20th" (also "on 20th"): this month, or next month when the day has passed.
//!
//! When several dates are said, one that is negated or replaced ("not today",
//! "instead of friday", "i won't be home on the 13th", "from monday to ...") loses to
//! one that is not, and one marked as the new date ("to saturday", "till the 20th",
//! "next week instead") wins over one merely mentioned.

use chrono::{Datelike, Days, Months, NaiveDate, NaiveDateTime, Weekday};

use super::numbers::{ordinal_word, parse_cardinal, teen_word, tens_word, unit_word};
use super::text::{digit_ordinal_value, is_digits, words_at};
use super::EntityKind;

#[derive(Debug, Clone, Copy)]
struct Candidate {
    start: usize,
    end: usize,
    date: NaiveDate,
    shape: Shape,
}

/// What a candidate was said as, so that "wednesday the eighteenth" can be read as one
/// date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A weekday alone or with "this"/"on"/"next" ("wednesday", "on friday").
    Weekday(Weekday),
    /// A day of the month with no month ("the eighteenth").
    DayOfMonth(u32),
    /// A day with its month ("march 18th", "3/18").
    MonthDay,
    /// A holiday by name ("the new year"): said as a time around the date wanted more
    /// often than as the date itself ("away till after new year, hold it until the 12th").
    Holiday,
    Other,
}

/// Words that, shortly before a date, mean it is the date being given up.
const NEGATING_BEFORE: &[&str] = &["not", "from", "than", "except", "cancel", "skip"];
/// Words that, right after a date, reject it ("tomorrow doesn't work", "friday's no good").
const NEGATING_AFTER: &[&str] = &["not", "no", "bad", "impossible"];
/// Words that say a date is ruled out when they govern it ("i'm not home on monday",
/// "never on a friday"); unlike "from" or "skip", a date they govern is not wanted at all.
const NEGATORS: &[&str] = &["not", "never", "nobody", "noone", "nowhere"];
/// Words that end the reach of a negation before a date ("not sure, maybe friday").
const NEGATION_BREAKS: &[&str] = &[
    "but", "maybe", "perhaps", "sure", "so", "then", "instead", "how", "what", "rather", "prefer",
    "better", "could", "can", "please", "and", "or", "if", "before", "after", "until", "till",
    "til", "than", "later", "earlier",
];
/// Words after a "no"/"not" that make it harmless ("friday is not a problem", "friday
/// please, no rush", "april 1st, no joke").
const HARMLESS_AFTER_NEGATION: &[&str] = &[
    "problem", "worries", "issue", "bother", "rush", "hurry", "pressure", "joke", "kidding", "lie",
    "doubt", "stress",
];
/// Whether one of the `reach` words after the negation at `k` makes it harmless ("no
/// rush", "not a problem").
fn harmless_after(words: &[String], k: usize, reach: usize) -> bool {
    (k + 1..(k + 1 + reach).min(words.len()))
        .any(|j| HARMLESS_AFTER_NEGATION.contains(&words[j].as_str()))
}

/// Words that, shortly before a date, correct an earlier one ("no wait, make that
/// thursday", "i mean friday", "actually the 20th").
const CORRECTING_BEFORE: &[&str] = &[
    "make that",
    "make it",
    "i mean",
    "i meant",
    "actually",
    "rather",
    "wait",
    "sorry",
    "scratch that",
    "correction",
];

/// Finds the date meant in `words` and marks the words it used as taken.
pub(crate) fn extract_date(
    words: &[String],
    taken: &mut [bool],
    now: NaiveDateTime,
    expect: Option<EntityKind>,
) -> Option<NaiveDate> {
    let today = now.date();
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if taken[i] || !could_start_date(&words[i]) {
            i += 1;
            continue;
        }
        let expecting = expect == Some(EntityKind::Date);
        let other = |found: Option<(NaiveDate, usize)>| found.map(|(d, e)| (d, e, Shape::Other));
        let found = other(relative_day(words, i, today))
            .or_else(|| weekday_phrase(words, i, today))
            .or_else(|| other(week_month_phrase(words, i, today)))
            .or_else(|| other(offset_phrase(words, i, today)))
            .or_else(|| month_first(words, i, today).map(|(d, e)| (d, e, Shape::MonthDay)))
            .or_else(|| part_of_month(words, i, today).map(|(d, e)| (d, e, Shape::MonthDay)))
            .or_else(|| day_first(words, i, today, expecting))
            .or_else(|| numeric(words, i, today).map(|(d, e)| (d, e, Shape::MonthDay)))
            .or_else(|| holiday(words, i, today).map(|(d, e)| (d, e, Shape::Holiday)));
        match found {
            Some((date, end, shape)) if end > i && !taken[i..end].iter().any(|&t| t) => {
                candidates.push(Candidate {
                    start: i,
                    end,
                    date,
                    shape,
                });
                i = end;
            }
            _ => i += 1,
        }
    }
    let candidates = merge_weekday_and_day(words, candidates, today);
    // "Tomorrow evening and not today": a "not" just before another date is that
    // date's, not a rejection of the one before it.
    let starts: Vec<usize> = candidates.iter().map(|c| c.start).collect();
    let of_the_next = |k: usize| of_a_later_date(&starts, k);
    let rejected = |c: &Candidate, prev_end: usize| -> bool {
        let before = c.start.saturating_sub(5).max(prev_end)..c.start;
        let negated_before = before
            .clone()
            .any(|k| NEGATING_BEFORE.contains(&words[k].as_str()))
            || before
                .clone()
                .any(|k| words[k] == "instead" && words.get(k + 1).is_some_and(|w| w == "of"));
        let after = c.end..(c.end + 3).min(words.len());
        let negated_after = after.clone().any(|k| {
            NEGATING_AFTER.contains(&words[k].as_str())
                && !words_at(words, k, "not later")
                && !harmless_after(words, k, 2)
                && !of_the_next(k)
        });
        negated_before || negated_after
    };
    // A date that is given up scores -2; one marked as the new date ("to monday",
    // "till the 20th", "saturday instead", "no wait, make that thursday") +1. The best
    // score wins, the earliest on ties.
    let mut scored: Vec<(i32, bool, Candidate, usize)> = Vec::new();
    let mut prev_end = 0;
    for (n, c) in candidates.iter().enumerate() {
        let mut score = 0;
        let given_up = if rejected(c, prev_end) || ruled_out(words, c, prev_end, &starts) {
            true
        } else if candidates.len() > 1 {
            let next_start = candidates.get(n + 1).map_or(words.len(), |d| d.start);
            away_or_current(words, c, next_start)
        } else {
            false
        };
        if given_up {
            score -= 2;
        }
        if is_target(words, c.start, c.end) || corrects(words, c.start, prev_end) {
            score += 1;
        }
        // "Could it be thursday next week?", "could you deliver it on the 16th": the day
        // asked for outweighs the days told as the story around it ("booked for this
        // friday", "redone until the weekend").
        if asked_for(words, c.start, prev_end) {
            score += 2;
        }
        // A holiday beside a date said by the calendar is the time around it.
        if c.shape == Shape::Holiday && candidates.len() > 1 {
            score -= 1;
        }
        scored.push((score, given_up, *c, prev_end));
        prev_end = c.end;
    }
    // "Can you do Friday? Oh wait, Friday I'm at my mum's": a day given up anywhere is
    // given up wherever it was said.
    let mut best: Option<(i32, Candidate, usize)> = None;
    for &(score, _, c, prev) in &scored {
        let given_up_later = scored
            .iter()
            .any(|&(_, gave_up, d, _)| gave_up && d.date == c.date && d.start != c.start);
        let score = if given_up_later { score.min(-2) } else { score };
        if best.is_none_or(|(b, _, _)| score > b) {
            best = Some((score, c, prev));
        }
    }
    // The other dates were read as dates too: they must not become quantities.
    // A part of the day inside one ("tonight", "Wednesday morning, that's the 18th")
    // is still the time slot's.
    for c in &candidates {
        for k in c.start..c.end {
            let slot = matches!(
                words[k].as_str(),
                "tonight" | "morning" | "afternoon" | "evening"
            );
            taken[k] |= !slot;
        }
    }
    let (score, best, best_prev_end) = best?;
    // Every date said is ruled out ("i'm not home on monday"): none is the date wanted.
    if score < 0 && ruled_out(words, &best, best_prev_end, &starts) {
        return None;
    }
    // "After the 20th", "away until the 20th, can it come after that": the day after.
    let after_before = (1..=2).any(|back| {
        best.start >= back
            && words[best.start - back] == "after"
            && words[best.start - back + 1..best.start]
                .iter()
                .all(|w| w == "the")
    });
    let after_that = words[best.end..]
        .windows(2)
        .any(|w| w[0] == "after" && matches!(w[1].as_str(), "that" | "then" | "it"));
    // "The Tuesday after that, the 17th": the day said after "after that" is the answer
    // itself, not a day to go past.
    if after_that {
        let said_after = candidates
            .iter()
            .find(|c| c.start >= best.end && !matches!(c.shape, Shape::Other));
        if let Some(c) = said_after {
            return Some(c.date);
        }
    }
    if after_before || after_that {
        return best.date.succ_opt();
    }
    // "I ordered it on the fifth of March": a month and day that has passed, said of
    // something that already happened, is this year's, not next year's.
    // "It arrived on Monday", "I sent it back on the 5th": a weekday or a day of the
    // month said of what already happened is the last one, not the next.
    if best.date > today && said_of_the_past(words, &best) {
        if let Some(past) = the_last_such_day(words, &best, today) {
            return Some(past);
        }
    }
    Some(best.date)
}

/// The last date on or before `today` said as the candidate was: its weekday a week
/// back at a time; its day of the month a month back at a time (keeping a weekday said
/// with it); a month named, a year back.
fn the_last_such_day(words: &[String], c: &Candidate, today: NaiveDate) -> Option<NaiveDate> {
    let span = &words[c.start..c.end];
    let month_said = span.iter().any(|w| month_word(w).is_some());
    let weekday_said = span.iter().find_map(|w| weekday_word(w));
    match c.shape {
        Shape::Weekday(_) => {
            let mut d = c.date;
            while d > today {
                d = d.checked_sub_days(Days::new(7))?;
            }
            Some(d)
        }
        Shape::DayOfMonth(_) | Shape::MonthDay if !month_said => (1..=12)
            .filter_map(|k| c.date.checked_sub_months(Months::new(k)))
            .find(|d| {
                *d <= today
                    && d.day() == c.date.day()
                    && weekday_said.is_none_or(|w| d.weekday() == w)
            }),
        Shape::MonthDay => (1..=4)
            .find_map(|k| c.date.with_year(c.date.year() - k))
            .filter(|d| *d <= today),
        _ => None,
    }
}

/// Verbs of what has already happened to an order, before a date in the same clause.
const PAST_EVENTS: &[&str] = &[
    "ordered",
    "bought",
    "placed",
    "purchased",
    "received",
    "arrived",
    "paid",
    "got",
    "came",
    "returned",
    "sent",
    "posted",
    "delivered",
    "dropped",
    "shipped",
];

/// Whether the date is said of something that already happened ("ordered on …",
/// "bought it march 5th"), and no year was given with it.
fn said_of_the_past(words: &[String], c: &Candidate) -> bool {
    let year_said = words[c.start..c.end]
        .iter()
        .any(|w| w.len() == 4 && is_digits(w));
    let before = c.start.saturating_sub(6)..c.start;
    // "I need it delivered Saturday", "can it be sent on the 19th": a wish, not a past.
    let wished = |k: usize| {
        words[k.saturating_sub(3)..k].iter().any(|w| {
            matches!(
                w.as_str(),
                "need"
                    | "needs"
                    | "want"
                    | "wants"
                    | "like"
                    | "get"
                    | "be"
                    | "can"
                    | "could"
                    | "will"
                    | "please"
                    | "to"
                    | "should"
                    | "would"
                    | "have"
            )
        })
    };
    // "Delivered", "sent", "shipped" are as often what is wanted ("three boxes of cereal
    // delivered saturday morning") as what happened: they tell of the past only after a
    // word that makes them so ("it was delivered", "they sent it", "already posted").
    let told_as_past = |k: usize| {
        if !PARTICIPLES.contains(&words[k].as_str()) {
            return true;
        }
        // "The parcel delivered on monday was empty": told as past after the date.
        let past_after = words[c.end..(c.end + 2).min(words.len())]
            .iter()
            .any(|w| matches!(w.as_str(), "was" | "were" | "wasn't" | "weren't"));
        past_after
            || k.checked_sub(1).is_some_and(|b| {
                matches!(
                    words[b].as_str(),
                    "was"
                        | "were"
                        | "got"
                        | "been"
                        | "has"
                        | "had"
                        | "have"
                        | "they"
                        | "you"
                        | "we"
                        | "i"
                        | "he"
                        | "she"
                        | "it's"
                        | "already"
                        | "finally"
                        | "just"
                )
            })
    };
    !year_said
        && before
            .into_iter()
            .any(|k| PAST_EVENTS.contains(&words[k].as_str()) && !wished(k) && told_as_past(k))
}

/// Past forms that are also the participle of a wish ("I want it delivered Friday").
const PARTICIPLES: &[&str] = &["delivered", "sent", "shipped", "posted", "dropped"];

/// Whether a negation governs the date: a negator shortly before it with nothing that
/// ends its reach in between ("i am not gonna be home on monday", but not "not sure,
/// maybe monday"), or a rejection right after it ("monday does not work").
fn ruled_out(words: &[String], c: &Candidate, prev_end: usize, starts: &[usize]) -> bool {
    let harmless = |k: usize| harmless_after(words, k, 3);
    let before = c.start.saturating_sub(6).max(prev_end)..c.start;
    let governed_before = before.clone().rev().find_map(|k| {
        let w = words[k].as_str();
        if NEGATION_BREAKS.contains(&w) {
            Some(false)
        } else if NEGATORS.contains(&w) {
            Some(!harmless(k))
        } else {
            None
        }
    });
    let after = c.end..(c.end + 3).min(words.len());
    let governed_after = after.clone().any(|k| {
        NEGATING_AFTER.contains(&words[k].as_str())
            && !words_at(words, k, "not later")
            && !harmless(k)
            && !of_a_later_date(starts, k)
    });
    governed_before == Some(true) || governed_after
}

/// Words shortly after a date that say the caller is away then ("friday I'm at my
/// mum's", "the 13th, we'll be away that weekend"), as the words are read (contractions
/// spelt out).
const AWAY_AFTER: &[&str] = &[
    "i am at",
    "i am away",
    "we are away",
    "be away",
    "i am out",
    "we are out",
    "i am busy",
    "i am working",
    "be working",
    "not be home",
    "not be in",
    "not be there",
    "not around",
    "on holiday",
    "on vacation",
    "out of town",
];
/// Words shortly before a date that say the caller is away then ("we'll be away that
/// weekend"). Not "I'm at" ("I'm at home on Friday") nor "I'm working", often said
/// of the date before ("Thursday I'm working, Friday's better").
const AWAY_BEFORE: &[&str] = &[
    "away",
    "out of town",
    "on holiday",
    "on vacation",
    "not be home",
    "not around",
    // "I leave on the nineteenth, so Friday the eighteenth": the day of leaving is the
    // first day away.
    "leave on",
    "leaving on",
    "fly on",
    "flying on",
    "fly out on",
];
/// Words shortly before a date that say it is the day the order is due now ("it's due
/// on the thirteenth but …"), not the day wanted.
const CURRENT_BEFORE: &[&str] = &[
    "due",
    "supposed to",
    "scheduled",
    "currently",
    "meant to",
    "booked",
    "set for",
];
/// Words shortly before a date that ask for it ("could it be thursday?", "how about
/// the 20th", "can you deliver it on monday").
const ASKED_BEFORE: &[&str] = &[
    "could it be",
    "can it be",
    "could it come",
    "can it come",
    "could you do",
    "can you do",
    "could we do",
    "can we do",
    "how about",
    "what about",
    "deliver it on",
    "deliver them on",
    "deliver on",
];
/// How far before a date the words that ask for it reach (past the object of "deliver
/// the dishwasher on").
const ASKED_REACH: usize = 4;
/// How far after a date the words that say the caller is away reach.
const AWAY_REACH: usize = 6;

/// Whether the date is one the caller will be away for, or the day it is due now,
/// said beside another date ("Friday? Oh wait, Friday I'm at my mum's. Saturday").
fn away_or_current(words: &[String], c: &Candidate, next_start: usize) -> bool {
    let after = c.end..(c.end + AWAY_REACH).min(next_start).min(words.len());
    let away = after
        .clone()
        .any(|k| AWAY_AFTER.iter().any(|p| words_at(words, k, p)));
    let before = c.start.saturating_sub(3)..c.start;
    let current = before
        .clone()
        .any(|k| CURRENT_BEFORE.iter().any(|p| words_at(words, k, p)));
    let away_before = before
        .clone()
        .any(|k| AWAY_BEFORE.iter().any(|p| words_at(words, k, p)));
    away || current || away_before
}

/// Whether the negation at `k` stands just before another date said (`starts`: where
/// each begins): "tomorrow and not today" rules out today, not tomorrow.
fn of_a_later_date(starts: &[usize], k: usize) -> bool {
    starts.iter().any(|&s| s > k && s <= k + 2)
}

/// Whether words that ask for the date come shortly before it: "could it be", "how
/// about", or "deliver" with its object and "on" ("deliver the dishwasher on the 16th").
fn asked_for(words: &[String], start: usize, prev_end: usize) -> bool {
    let from = start.saturating_sub(ASKED_REACH).max(prev_end);
    let asked = (from..start).any(|k| ASKED_BEFORE.iter().any(|p| words_at(words, k, p)));
    let delivered_on =
        start > 0 && words[start - 1] == "on" && (from..start - 1).any(|k| words[k] == "deliver");
    asked || delivered_on
}

/// Whether a correction cue comes shortly before the date ("no wait, make that ...").
fn corrects(words: &[String], start: usize, prev_end: usize) -> bool {
    let from = start.saturating_sub(4).max(prev_end);
    (from..start).any(|k| CORRECTING_BEFORE.iter().any(|cue| words_at(words, k, cue)))
}

/// Most words between a weekday and the day of the month that name the same day.
const MAX_JOINING_WORDS: usize = 3;

/// Joins a weekday said next to a day of the month ("wednesday the eighteenth",
/// "the 18th, a wednesday", "thursday march 19th") into one date. The day of the month
/// decides; when the weekday does not fall on it this month, the next month where it
/// does is taken, and failing that the day of the month stands.
fn merge_weekday_and_day(
    words: &[String],
    candidates: Vec<Candidate>,
    today: NaiveDate,
) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::with_capacity(candidates.len());
    for c in candidates {
        if let Some(prev) = out.last_mut() {
            // "Wednesday the 18th", "Wednesday morning, that's the eighteenth": a few
            // words that only join the two, or name the part of the day.
            let adjacent = prev.end <= c.start
                && c.start - prev.end <= MAX_JOINING_WORDS
                && words[prev.end..c.start].iter().all(|w| {
                    matches!(
                        w.as_str(),
                        "a" | "on"
                            | "that"
                            | "that's"
                            | "thats"
                            | "s"
                            | "is"
                            | "it"
                            | "it's"
                            | "which"
                            | "which's"
                            | "will"
                            | "be"
                            | "morning"
                            | "afternoon"
                            | "evening"
                    )
                });
            let pair = match (prev.shape, c.shape) {
                (Shape::Weekday(w), Shape::DayOfMonth(d))
                | (Shape::DayOfMonth(d), Shape::Weekday(w)) => {
                    let dated = if prev.shape == Shape::Weekday(w) {
                        c.date
                    } else {
                        prev.date
                    };
                    Some(weekday_consistent(dated, w, d, today))
                }
                (Shape::Weekday(_), Shape::MonthDay) => Some(c.date),
                (Shape::MonthDay, Shape::Weekday(_)) => Some(prev.date),
                _ => None,
            };
            // "No, the Wednesday after, the sixteenth": a weekday and a day of the month
            // that fall together name one day, said apart by a word of sequence.
            let same_day = match (prev.shape, pair) {
                (Shape::Weekday(w), Some(date)) => date.weekday() == w,
                _ => false,
            };
            let apart_by_sequence = prev.end <= c.start
                && c.start - prev.end <= MAX_JOINING_WORDS
                && words[prev.end..c.start]
                    .iter()
                    .all(|w| matches!(w.as_str(), "after" | "following" | "next" | "then" | "so"));
            let adjacent = adjacent || (same_day && apart_by_sequence);
            if let (true, Some(date)) = (adjacent, pair) {
                prev.end = c.end;
                prev.date = date;
                prev.shape = Shape::MonthDay;
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// `dated` (day `day` of this or next month) or, when `weekday` does not fall on it, the
/// next month's day `day` if that one does.
fn weekday_consistent(dated: NaiveDate, weekday: Weekday, day: u32, today: NaiveDate) -> NaiveDate {
    if dated.weekday() == weekday {
        return dated;
    }
    resolve_day(dated.max(today), day, true)
        .filter(|d| d.weekday() == weekday && *d > dated)
        .unwrap_or(dated)
}

/// A cheap filter: only these words can begin a date phrase, so the readers below run
/// on a few words of an utterance rather than all of them.
fn could_start_date(w: &str) -> bool {
    w.as_bytes().first().is_some_and(u8::is_ascii_digit)
        || matches!(
            w,
            "the"
                | "day"
                | "today"
                | "tonight"
                | "tomorrow"
                | "tomorow"
                | "tommorow"
                | "tommorrow"
                | "tmrw"
                | "tmr"
                | "yesterday"
                | "this"
                | "next"
                | "on"
                | "coming"
                | "upcoming"
                | "last"
                | "past"
                | "a"
                | "an"
                | "week"
                | "in"
                | "weekend"
                | "couple"
                | "start"
                | "beginning"
                | "end"
                | "middle"
                | "mid"
                | "early"
                | "late"
                | "new"
                | "christmas"
                | "xmas"
                | "boxing"
                | "halloween"
                | "valentine's"
                | "valentines"
                | "thanksgiving"
        )
        || weekday_word(w).is_some()
        || month_word(w).is_some()
        || ordinal_word(w).is_some()
        || unit_word(w).is_some()
        || teen_word(w).is_some()
        || tens_word(w).is_some()
}

/// Words that mark the date or slot being asked for rather than the one given up.
pub(crate) fn is_target(words: &[String], start: usize, end: usize) -> bool {
    let before = start.saturating_sub(2)..start;
    before
        .clone()
        .any(|k| matches!(words[k].as_str(), "to" | "till" | "until" | "til" | "into"))
        || words.get(end).is_some_and(|w| w == "instead")
}

fn add_days(d: NaiveDate, n: i64) -> Option<NaiveDate> {
    if n >= 0 {
        d.checked_add_days(Days::new(n.unsigned_abs()))
    } else {
        d.checked_sub_days(Days::new(n.unsigned_abs()))
    }
}

/// "today", "tomorrow", "the day after tomorrow", "yesterday".
fn relative_day(words: &[String], i: usize, today: NaiveDate) -> Option<(NaiveDate, usize)> {
    let skip_the = usize::from(words[i] == "the");
    let j = i + skip_the;
    if words_at(words, j, "day after tomorrow") {
        return Some((add_days(today, 2)?, j + 3));
    }
    if words_at(words, j, "day before yesterday") {
        return Some((add_days(today, -2)?, j + 3));
    }
    // British: "a week tomorrow", "tomorrow week", "a week today" are that day a week on.
    for (phrase, days) in [
        ("a week tomorrow", 8),
        ("a week today", 7),
        ("tomorrow week", 8),
        ("today week", 7),
    ] {
        if words_at(words, i, phrase) {
            return Some((add_days(today, days)?, i + phrase.split(' ').count()));
        }
    }
    let offset = match words[i].as_str() {
        "today" | "tonight" => 0,
        "tomorrow" | "tomorow" | "tommorow" | "tommorrow" | "tmrw" | "tmr" => 1,
        "yesterday" => -1,
        _ => return None,
    };
    Some((add_days(today, offset)?, i + 1))
}

fn weekday_word(w: &str) -> Option<Weekday> {
    Some(match w {
        "monday" | "mon" => Weekday::Mon,
        "tuesday" | "tue" | "tues" | "tuesdy" => Weekday::Tue,
        "wednesday" | "wed" | "weds" | "wensday" => Weekday::Wed,
        "thursday" | "thu" | "thur" | "thurs" => Weekday::Thu,
        "friday" | "fri" => Weekday::Fri,
        "saturday" => Weekday::Sat,
        "sunday" => Weekday::Sun,
        _ => return None,
    })
}

/// The first `day` strictly after `today`.
fn next_weekday(today: NaiveDate, day: Weekday) -> Option<NaiveDate> {
    let ahead =
        (7 + day.num_days_from_monday() as i64 - today.weekday().num_days_from_monday() as i64) % 7;
    add_days(today, if ahead == 0 { 7 } else { ahead })
}

/// The last `day` strictly before `today`.
fn last_weekday(today: NaiveDate, day: Weekday) -> Option<NaiveDate> {
    let back =
        (7 + today.weekday().num_days_from_monday() as i64 - day.num_days_from_monday() as i64) % 7;
    add_days(today, -(if back == 0 { 7 } else { back }))
}

/// Monday of the calendar week after the one holding `today`.
fn next_monday(today: NaiveDate) -> Option<NaiveDate> {
    add_days(today, 7 - i64::from(today.weekday().num_days_from_monday()))
}

/// A weekday with what qualifies it: "next friday", "friday next week", "next week on
/// friday", "a week from friday", "last monday". Starts at the first word of the phrase.
fn weekday_phrase(
    words: &[String],
    i: usize,
    today: NaiveDate,
) -> Option<(NaiveDate, usize, Shape)> {
    // Prefix forms: find the weekday after them.
    let (mode, j) = if words_at(words, i, "next week on") {
        (Mode::NextWeek, i + 3)
    } else if words_at(words, i, "next week") {
        (Mode::NextWeek, i + 2)
    } else if words_at(words, i, "a week from") || words_at(words, i, "a week on") {
        (Mode::WeekAfter, i + 3)
    } else if words_at(words, i, "week from") {
        (Mode::WeekAfter, i + 2)
    } else if words_at(words, i, "this coming") {
        (Mode::Next, i + 2)
    } else {
        match words[i].as_str() {
            "this" | "next" | "on" | "coming" | "upcoming" => (Mode::Next, i + 1),
            "last" | "past" => (Mode::Last, i + 1),
            _ => (Mode::Next, i),
        }
    };
    let day = weekday_word(words.get(j)?)?;
    let mut end = j + 1;
    let mut mode = mode;
    // British: "monday just gone", "friday gone" are the last ones.
    if mode == Mode::Next && j == i {
        for suffix in ["just gone", "gone", "just past"] {
            if words_at(words, end, suffix) {
                end += suffix.split(' ').count();
                mode = Mode::Last;
                break;
            }
        }
    }
    if mode == Mode::Next {
        for (suffix, m) in [
            ("of next week", Mode::NextWeek),
            ("next week", Mode::NextWeek),
            ("the following week", Mode::NextWeek),
            ("after next", Mode::WeekAfter),
            ("week", Mode::WeekAfter),
        ] {
            if words_at(words, end, suffix) {
                end += suffix.split(' ').count();
                mode = m;
                break;
            }
        }
    }
    let date = match mode {
        Mode::Next => next_weekday(today, day)?,
        Mode::Last => last_weekday(today, day)?,
        Mode::WeekAfter => add_days(next_weekday(today, day)?, 7)?,
        Mode::NextWeek => add_days(next_monday(today)?, i64::from(day.num_days_from_monday()))?,
    };
    let shape = if mode == Mode::Next {
        Shape::Weekday(day)
    } else {
        Shape::Other
    };
    Some((date, end, shape))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Next,
    Last,
    WeekAfter,
    NextWeek,
}

/// "next week", "the week after next", "next month", "this weekend", "next weekend".
fn week_month_phrase(words: &[String], i: usize, today: NaiveDate) -> Option<(NaiveDate, usize)> {
    let saturday = next_weekday(today, Weekday::Sat)?;
    for (phrase, date) in [
        ("the week after next", add_days(next_monday(today)?, 7)),
        ("week after next", add_days(next_monday(today)?, 7)),
        ("next week", next_monday(today)),
        ("next weekend", add_days(next_monday(today)?, 5)),
        ("this weekend", Some(saturday)),
        ("the weekend", Some(saturday)),
        ("weekend", Some(saturday)),
        ("next month", first_of_next_month(today)),
    ] {
        if words_at(words, i, phrase) {
            return Some((date?, i + phrase.split(' ').count()));
        }
    }
    None
}

fn first_of_next_month(today: NaiveDate) -> Option<NaiveDate> {
    today.with_day(1)?.checked_add_months(Months::new(1))
}

/// Largest offset read from "in N days"; keeps dates within a sane distance of now.
const MAX_OFFSET_DAYS: u64 = 366;

/// "in three days", "in a week", "in a couple of weeks", "two weeks from now".
fn offset_phrase(words: &[String], i: usize, today: NaiveDate) -> Option<(NaiveDate, usize)> {
    let (amount_at, needs_from) = if words[i] == "in" {
        (i + 1, false)
    } else {
        (i, true)
    };
    let (n, used) = amount(words, amount_at)?;
    let unit_at = amount_at + used;
    let unit = words.get(unit_at)?.as_str();
    let mut end = unit_at + 1;
    if needs_from {
        if words_at(words, end, "from now") || words_at(words, end, "from today") {
            end += 2;
        } else if words_at(words, end, "today") {
            // "a fortnight today", "a week today": British for that long from today.
            end += 1;
        } else if words_at(words, end, "time") {
            end += 1;
        } else {
            return None;
        }
    } else if words_at(words, end, "time") {
        end += 1;
    }
    let date = match unit {
        "day" | "days" => {
            (n <= MAX_OFFSET_DAYS).then(|| today.checked_add_days(Days::new(n)))??
        }
        "week" | "weeks" => (n <= 52).then(|| today.checked_add_days(Days::new(n * 7)))??,
        "fortnight" | "fortnights" => {
            (n <= 26).then(|| today.checked_add_days(Days::new(n * 14)))??
        }
        "month" | "months" => {
            (n <= 12).then(|| today.checked_add_months(Months::new(n as u32)))??
        }
        _ => return None,
    };
    Some((date, end))
}

/// "three", "a", "a couple of", "a few": how many units.
fn amount(words: &[String], i: usize) -> Option<(u64, usize)> {
    for (phrase, n) in [
        ("a couple of", 2),
        ("couple of", 2),
        ("a couple", 2),
        ("a few", 3),
        ("a", 1),
        ("an", 1),
    ] {
        if words_at(words, i, phrase) {
            return Some((n, phrase.split(' ').count()));
        }
    }
    parse_cardinal(words, i).filter(|&(n, _)| n > 0)
}

fn month_word(w: &str) -> Option<u32> {
    Some(match w {
        "january" | "jan" => 1,
        "february" | "feb" | "febuary" => 2,
        "march" => 3,
        "april" | "apr" => 4,
        "may" => 5,
        "june" | "jun" => 6,
        "july" | "jul" => 7,
        "august" | "aug" => 8,
        "september" | "sept" | "sep" => 9,
        "october" | "oct" => 10,
        "november" | "nov" => 11,
        "december" | "dec" => 12,
        _ => return None,
    })
}

/// A day of the month at `words[j..]`: "20th", "twentieth", "twenty first", "20",
/// "twenty one". Returns (day, words used, spoken as an ordinal word).
fn day_of_month(words: &[String], j: usize) -> Option<(u32, usize, bool)> {
    let w = words.get(j)?.as_str();
    if let Some(d) = digit_ordinal_value(w) {
        return (1..=31).contains(&d).then_some((d, 1, false));
    }
    if let Some(d) = ordinal_word(w) {
        return Some((d, 1, true));
    }
    if let Some(t) = tens_word(w) {
        let next = words.get(j + 1).map(String::as_str).unwrap_or("");
        if let Some(u) = ordinal_word(next).filter(|&u| u < 10) {
            let d = t as u32 + u;
            return (d <= 31).then_some((d, 2, true));
        }
        if let Some(u) = unit_word(next) {
            let d = (t + u) as u32;
            return (d <= 31).then_some((d, 2, false));
        }
        return (t <= 30).then_some((t as u32, 1, false));
    }
    if let Some(v) = teen_word(w).or_else(|| unit_word(w)) {
        return Some((v as u32, 1, false));
    }
    if is_digits(w) && w.len() <= 2 {
        let d: u32 = w.parse().ok()?;
        return (1..=31).contains(&d).then_some((d, 1, false));
    }
    None
}

/// A four-digit year near `today`, if one follows at `words[j]`.
fn year_at(words: &[String], j: usize, today: NaiveDate) -> Option<i32> {
    let w = words.get(j)?;
    if w.len() != 4 || !is_digits(w) {
        return None;
    }
    let y: i32 = w.parse().ok()?;
    ((today.year() - 1)..=(today.year() + 2))
        .contains(&y)
        .then_some(y)
}

/// `month`/`day` in `year` if given, else this year, or next year when already past.
fn resolve_month_day(
    today: NaiveDate,
    month: u32,
    day: u32,
    year: Option<i32>,
) -> Option<NaiveDate> {
    if let Some(y) = year {
        return NaiveDate::from_ymd_opt(y, month, day);
    }
    let this_year = NaiveDate::from_ymd_opt(today.year(), month, day);
    match this_year {
        Some(d) if d >= today => Some(d),
        // Past (or 29 february in a common year): the next year that has it.
        _ => (1..=4).find_map(|k| NaiveDate::from_ymd_opt(today.year() + k, month, day)),
    }
}

/// "the 20th": this month, or the next month that has that day once it has passed.
fn resolve_day(today: NaiveDate, day: u32, next_month: bool) -> Option<NaiveDate> {
    let first = today.with_day(1)?;
    let start = u32::from(next_month);
    (start..start + 12).find_map(|k| {
        let month = first.checked_add_months(Months::new(k))?;
        let d = month.with_day(day)?;
        (d >= today).then_some(d)
    })
}

/// A holiday said by its name, on its next date: "the new year", "new year's eve",
/// "christmas", "boxing day", "halloween", "valentine's day", "thanksgiving" (the fourth
/// Thursday of November).
fn holiday(words: &[String], i: usize, today: NaiveDate) -> Option<(NaiveDate, usize)> {
    let j = i + usize::from(words[i] == "the");
    let w = |k: usize| words.get(j + k).map(String::as_str);
    let (month, day, used) = match (w(0), w(1), w(2)) {
        (Some("new"), Some("year's" | "years" | "year"), Some("eve")) => (12, 31, 3),
        (Some("new"), Some("year's" | "years" | "year"), Some("day")) => (1, 1, 3),
        (Some("new"), Some("year's" | "years" | "year"), _) => (1, 1, 2),
        (Some("christmas" | "xmas"), Some("eve"), _) => (12, 24, 2),
        (Some("christmas" | "xmas"), Some("day"), _) => (12, 25, 2),
        (Some("christmas" | "xmas"), _, _) => (12, 25, 1),
        (Some("boxing"), Some("day"), _) => (12, 26, 2),
        (Some("halloween"), _, _) => (10, 31, 1),
        (Some("valentine's" | "valentines"), Some("day"), _) => (2, 14, 2),
        (Some("valentine's" | "valentines"), _, _) => (2, 14, 1),
        (Some("thanksgiving"), _, _) => {
            let on = |year: i32| NaiveDate::from_weekday_of_month_opt(year, 11, Weekday::Thu, 4);
            let date = on(today.year())
                .filter(|d| *d >= today)
                .or_else(|| on(today.year() + 1))?;
            return Some((date, j + 1));
        }
        _ => return None,
    };
    Some((resolve_month_day(today, month, day, None)?, j + used))
}

/// "march 20th", "march the twentieth", "march 20 2026".
fn month_first(words: &[String], i: usize, today: NaiveDate) -> Option<(NaiveDate, usize)> {
    let month = month_word(&words[i])?;
    let mut j = i + 1;
    if words.get(j).is_some_and(|w| w == "the") {
        j += 1;
    }
    let (day, used, _) = day_of_month(words, j)?;
    let mut end = j + used;
    let year = year_at(words, end, today);
    if year.is_some() {
        end += 1;
    }
    Some((resolve_month_day(today, month, day, year)?, end))
}

/// A month without a day: "until April" (its first day), "the start of April", "early
/// May", "mid April" (the fifteenth), "the end of March", "the end of next month". A month
/// alone needs a word before it that makes it a time ("until", "in", "by", …), so "may"
/// and "march" as verbs are not read as months.
fn part_of_month(words: &[String], i: usize, today: NaiveDate) -> Option<(NaiveDate, usize)> {
    let mut j = i + usize::from(words[i] == "the");
    let part = match words.get(j).map(String::as_str) {
        Some("start" | "beginning" | "early") => Some(1),
        Some("middle" | "mid") => Some(15),
        Some("end" | "late") => Some(0),
        _ => None,
    };
    if part.is_some() {
        j += 1;
        if words.get(j).is_some_and(|w| w == "of") {
            j += 1;
        }
    } else if j != i
        || !i
            .checked_sub(1)
            .and_then(|k| words.get(k))
            .is_some_and(|w| MONTH_LEADS.contains(&w.as_str()))
    {
        return None;
    }
    let (first, end) = if words_at(words, j, "next month") {
        (first_of_next_month(today)?, j + 2)
    } else if words_at(words, j, "this month") || words_at(words, j, "the month") {
        (today.with_day(1)?, j + 2)
    } else {
        let month = month_word(words.get(j)?)?;
        let first = resolve_month_day(today, month, 1, None)?;
        // "Until March" in March is this March's end, not next year's.
        let first = if month == today.month() {
            today.with_day(1)?
        } else {
            first
        };
        (first, j + 1)
    };
    let date = match part.unwrap_or(1) {
        0 => first.checked_add_months(Months::new(1))?.pred_opt()?,
        day => first.with_day(day)?,
    };
    Some((date, end))
}

/// Words before a month said alone that make it a time.
const MONTH_LEADS: &[&str] = &[
    "until", "till", "til", "in", "by", "from", "for", "before", "after", "through", "into",
];

/// Words after which "the first".."the third" are dates, not ranks ("the second order").
const DATE_PREPOSITIONS: &[&str] = &[
    "on", "by", "until", "till", "til", "for", "from", "before", "after", "to", "since", "around",
];

/// Words after an ordinal that make it a rank, not a day.
const RANKED_NOUNS: &[&str] = &[
    "one", "ones", "order", "orders", "item", "items", "time", "times", "line", "option", "choice",
    "product", "thing", "person", "caller", "place", "wash", "washes", "wear", "wears", "use",
    "uses", "try", "go", "attempt", "week", "weeks", "day", "days", "month", "months", "box",
    "parcel", "package", "delivery", "charge", "night",
];

/// "20th of march", "the 20th of march", "20 march", "the 20th", "on the twentieth".
fn day_first(
    words: &[String],
    i: usize,
    today: NaiveDate,
    expecting: bool,
) -> Option<(NaiveDate, usize, Shape)> {
    let has_the = words[i] == "the";
    let j = i + usize::from(has_the);
    let (day, used, word_ordinal) = day_of_month(words, j)?;
    let ordinal = word_ordinal || digit_ordinal_value(&words[j]).is_some();
    let mut end = j + used;
    let of = usize::from(words.get(end).is_some_and(|w| w == "of"));
    if let Some(month) = words.get(end + of).and_then(|w| month_word(w)) {
        end += of + 1;
        let year = year_at(words, end, today);
        if year.is_some() {
            end += 1;
        }
        return Some((
            resolve_month_day(today, month, day, year)?,
            end,
            Shape::MonthDay,
        ));
    }
    if !ordinal {
        return None;
    }
    // "wednesday the eighteenth", "the eighteenth, a wednesday": a weekday beside it
    // works as a preposition does.
    let weekday_after =
        (end..(end + 2).min(words.len())).any(|k| weekday_word(&words[k]).is_some());
    let after_preposition = i > 0
        && (DATE_PREPOSITIONS.contains(&words[i - 1].as_str())
            || weekday_word(&words[i - 1]).is_some())
        || weekday_after;
    // "The twenty third" is a day: nobody ranks eleven or more things aloud.
    let high_day = has_the && day >= 11;
    // Unless a noun follows, whatever the day: "the twelfth item", "after the first
    // wash", "the second week".
    let ranks_a_noun = words
        .get(end)
        .is_some_and(|w| RANKED_NOUNS.contains(&w.as_str()));
    let accepted = !ranks_a_noun
        && if word_ordinal {
            (has_the && after_preposition) || expecting || high_day
        } else {
            has_the || after_preposition || expecting
        };
    if !accepted {
        return None;
    }
    let mut next_month = false;
    for (suffix, next) in [
        ("of the month", false),
        ("of this month", false),
        ("of next month", true),
        ("next month", true),
    ] {
        if words_at(words, end, suffix) {
            end += suffix.split(' ').count();
            next_month = next;
            break;
        }
    }
    let shape = if next_month {
        Shape::Other
    } else {
        Shape::DayOfMonth(day)
    };
    Some((resolve_day(today, day, next_month)?, end, shape))
}

/// "3/20", "3/20/2026", "20/3" (day first when the first part cannot be a month),
/// "2026-03-20".
fn numeric(words: &[String], i: usize, today: NaiveDate) -> Option<(NaiveDate, usize)> {
    let w = words[i].as_str();
    if let [y, m, d] = w.split('-').collect::<Vec<_>>()[..] {
        let date = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)?;
        let sane = (today.year() - 1)..=(today.year() + 2);
        return sane.contains(&date.year()).then_some((date, i + 1));
    }
    let parts: Vec<u32> = w
        .split('/')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let (a, b, year) = match parts[..] {
        [a, b] => (a, b, None),
        [a, b, y] => {
            let y = if y < 100 { 2000 + y } else { y };
            (
                a,
                b,
                Some(i32::try_from(y).ok()?)
                    .filter(|y| ((today.year() - 1)..=(today.year() + 2)).contains(y)),
            )
        }
        _ => return None,
    };
    let (month, day) = if a > 12 { (b, a) } else { (a, b) };
    if parts.len() == 3 && year.is_none() {
        return None;
    }
    Some((resolve_month_day(today, month, day, year)?, i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::text::tokenize;
    use proptest::prelude::*;

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, 10)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .expect("valid")
    }

    fn date_with(s: &str, expect: Option<EntityKind>) -> Option<String> {
        let w = tokenize(s);
        let mut taken = vec![false; w.len()];
        extract_date(&w, &mut taken, now(), expect).map(|d| d.to_string())
    }

    fn date(s: &str) -> Option<String> {
        date_with(s, None)
    }

    /// British ways of counting from today: "a week tomorrow", "tomorrow week", "monday
    /// just gone" (now is Tuesday 10 March).
    #[test]
    fn a_week_tomorrow_and_a_day_just_gone() {
        assert_eq!(date("bring it a week tomorrow"), Some("2026-03-18".into()));
        assert_eq!(date("can it come tomorrow week"), Some("2026-03-18".into()));
        assert_eq!(date("a week today if you can"), Some("2026-03-17".into()));
        assert_eq!(
            date("monday just gone the box came crushed"),
            Some("2026-03-09".into())
        );
        assert_eq!(date("bring it tomorrow"), Some("2026-03-11".into()));
    }

    /// The day asked for ("could it be…", "how about…", "deliver it on…") wins over the
    /// days of the story around it, and a "not" before a later date is that date's.
    #[test]
    fn a_weekday_and_its_day_said_apart_are_one_day() {
        // 2026-03-10 is a Tuesday: the Wednesday after is the 11th, the one after the 18th.
        assert_eq!(
            date("no, the wednesday after, the eighteenth").as_deref(),
            Some("2026-03-18")
        );
        assert_eq!(
            date("no, the wednesday after").as_deref(),
            Some("2026-03-11")
        );
    }

    #[test]
    fn a_day_asked_for_beats_the_days_told_around_it() {
        // Now is Tuesday 2026-03-10.
        assert_eq!(
            date("my sofa is booked for this saturday but the painters are in, could it be monday week instead").as_deref(),
            Some("2026-03-23")
        );
        assert_eq!(
            date("we're away until friday so how about the 17th").as_deref(),
            Some("2026-03-17")
        );
        assert_eq!(
            date("right. i leave on the nineteenth. so the eighteenth then").as_deref(),
            Some("2026-03-18")
        );
        assert_eq!(
            date("the floor's being sanded till the weekend, can you deliver the wardrobe on the 18th").as_deref(),
            Some("2026-03-18")
        );
        assert_eq!(
            date("bring it thursday morning and not wednesday").as_deref(),
            Some("2026-03-12")
        );
    }

    #[test]
    fn a_date_the_caller_is_away_or_the_one_due_loses_to_the_one_wanted() {
        for (s, want) in [
            (
                "Can you do Friday? Oh wait, no, Friday I'm at my mum's. Saturday please.",
                "2026-03-14",
            ),
            (
                "it's due on the thirteenth but we'll be away that weekend. can it come wednesday the eighteenth",
                "2026-03-18",
            ),
            ("thursday I'm working, friday is better", "2026-03-13"),
            ("we're away on friday, could it come monday", "2026-03-16"),
            // One date alone keeps its day, whatever is said around it.
            ("it's due friday but I'm not sure I'll be in", "2026-03-13"),
        ] {
            assert_eq!(date(s).as_deref(), Some(want), "{s}");
        }
    }

    #[test]
    fn a_month_without_a_day_is_its_start_middle_or_end() {
        for (s, want) in [
            ("pause it until april", "2026-04-01"),
            ("until the start of april", "2026-04-01"),
            ("till the beginning of next month", "2026-04-01"),
            ("can it come in mid april", "2026-04-15"),
            ("until the end of march", "2026-03-31"),
            ("by the end of the month", "2026-03-31"),
            ("i ordered it in february", "2026-02-01"),
        ] {
            assert_eq!(date(s).as_deref(), Some(want), "{s}");
        }
        // A month word that is a verb, or a month with nothing making it a time.
        for s in ["you may cancel it", "march on", "april is nice"] {
            assert_eq!(date(s), None, "{s}");
        }
    }

    #[test]
    fn a_passed_day_said_of_what_happened_is_this_years() {
        for s in [
            "i ordered it on the fifth of march",
            "something i bought march 5th",
            "the order i placed on 3/5",
        ] {
            assert_eq!(date(s).as_deref(), Some("2026-03-05"), "{s}");
        }
        // Without such a verb, or with a year, a passed day is still the next one.
        assert_eq!(date("deliver it march 5th").as_deref(), Some("2027-03-05"));
        assert_eq!(
            date("i ordered it on march 5th 2027").as_deref(),
            Some("2027-03-05")
        );
    }

    #[test]
    fn the_guide_examples() {
        assert_eq!(date("today").as_deref(), Some("2026-03-10"));
        assert_eq!(date("tomorrow").as_deref(), Some("2026-03-11"));
        assert_eq!(
            date("the day after tomorrow").as_deref(),
            Some("2026-03-12")
        );
        for s in [
            "friday",
            "this friday",
            "on friday",
            "next friday",
            "can we do friday instead",
        ] {
            assert_eq!(date(s).as_deref(), Some("2026-03-13"), "{s}");
        }
        for s in [
            "friday next week",
            "a week from friday",
            "next week on friday",
            "friday week",
        ] {
            assert_eq!(date(s).as_deref(), Some("2026-03-20"), "{s}");
        }
        assert_eq!(date("in three days").as_deref(), Some("2026-03-13"));
        assert_eq!(date("next week").as_deref(), Some("2026-03-16"));
        for s in [
            "march 20th",
            "march twentieth",
            "the 20th",
            "20th of march",
            "3/20",
            "the twentieth of march",
            "march the 20th",
        ] {
            assert_eq!(date(s).as_deref(), Some("2026-03-20"), "{s}");
        }
    }

    #[test]
    fn weekdays_relative_to_a_tuesday() {
        assert_eq!(date("tuesday").as_deref(), Some("2026-03-17"));
        assert_eq!(date("wednesday").as_deref(), Some("2026-03-11"));
        assert_eq!(date("monday").as_deref(), Some("2026-03-16"));
        assert_eq!(date("sunday").as_deref(), Some("2026-03-15"));
        assert_eq!(date("monday next week").as_deref(), Some("2026-03-16"));
        assert_eq!(date("tuesday next week").as_deref(), Some("2026-03-17"));
        assert_eq!(date("friday after next").as_deref(), Some("2026-03-20"));
        assert_eq!(date("last friday").as_deref(), Some("2026-03-06"));
        assert_eq!(
            date("reschedule for wednesday morning").as_deref(),
            Some("2026-03-11")
        );
        assert_eq!(date("this coming saturday").as_deref(), Some("2026-03-14"));
    }

    /// "Delivered" is a wish as often as a past: only words around it make it past.
    #[test]
    fn delivered_is_past_only_when_told_so() {
        assert_eq!(
            date("two bags of dog food delivered friday please").as_deref(),
            Some("2026-03-13")
        );
        assert_eq!(
            date("could i have the desk shipped on the 28th").as_deref(),
            Some("2026-03-28")
        );
        assert_eq!(
            date("it got delivered on friday").as_deref(),
            Some("2026-03-06")
        );
        assert_eq!(
            date("the box delivered on sunday was crushed").as_deref(),
            Some("2026-03-08")
        );
    }

    #[test]
    fn relative_spans() {
        assert_eq!(date("in a week").as_deref(), Some("2026-03-17"));
        assert_eq!(date("in 2 weeks").as_deref(), Some("2026-03-24"));
        assert_eq!(date("in a couple of days").as_deref(), Some("2026-03-12"));
        assert_eq!(date("in a few days").as_deref(), Some("2026-03-13"));
        assert_eq!(date("ten days from now").as_deref(), Some("2026-03-20"));
        assert_eq!(date("in a month").as_deref(), Some("2026-04-10"));
        assert_eq!(date("in a fortnight").as_deref(), Some("2026-03-24"));
        assert_eq!(date("a week today suits me").as_deref(), Some("2026-03-17"));
        assert_eq!(
            date("next Tuesday afternoon, which is the 24th").as_deref(),
            Some("2026-03-24")
        );
        assert_eq!(date("can it come tonight").as_deref(), Some("2026-03-10"));
        assert_eq!(
            date("I'd like it delivered on the 20th").as_deref(),
            Some("2026-03-20")
        );
        // Said of what already happened: the last such day.
        assert_eq!(
            date("it came on thursday, broken").as_deref(),
            Some("2026-03-05")
        );
        assert_eq!(
            date("I posted it back on the 20th").as_deref(),
            Some("2026-02-20")
        );
        assert_eq!(
            date("it got here on saturday the 28th").as_deref(),
            Some("2026-02-28")
        );
        assert_eq!(
            date("I sent it back on february the 27th").as_deref(),
            Some("2026-02-27")
        );
        assert_eq!(
            date("it was delivered on friday the 6th").as_deref(),
            Some("2026-03-06")
        );
        assert_eq!(date("the week after next").as_deref(), Some("2026-03-23"));
        assert_eq!(date("next month").as_deref(), Some("2026-04-01"));
        assert_eq!(
            date("move it to the weekend").as_deref(),
            Some("2026-03-14")
        );
        assert_eq!(date("next weekend").as_deref(), Some("2026-03-21"));
        assert_eq!(date("yesterday").as_deref(), Some("2026-03-09"));
        assert_eq!(date("in 5000 days"), None);
    }

    #[test]
    fn absolute_dates() {
        assert_eq!(date("march 16th please").as_deref(), Some("2026-03-16"));
        assert_eq!(
            date("change delivery to march eighteenth").as_deref(),
            Some("2026-03-18")
        );
        assert_eq!(
            date("the twenty first of march").as_deref(),
            Some("2026-03-21")
        );
        assert_eq!(date("on march twenty one").as_deref(), Some("2026-03-21"));
        assert_eq!(date("20 march").as_deref(), Some("2026-03-20"));
        assert_eq!(date("april 1st").as_deref(), Some("2026-04-01"));
        assert_eq!(date("until the 1st of may").as_deref(), Some("2026-05-01"));
        assert_eq!(date("march 1st").as_deref(), Some("2027-03-01"));
        assert_eq!(date("january 5").as_deref(), Some("2027-01-05"));
        assert_eq!(date("march 10th").as_deref(), Some("2026-03-10"));
        assert_eq!(date("december 25 2026").as_deref(), Some("2026-12-25"));
        assert_eq!(date("12/25").as_deref(), Some("2026-12-25"));
        assert_eq!(date("1/2").as_deref(), Some("2027-01-02"));
        assert_eq!(date("20/3").as_deref(), Some("2026-03-20"));
        assert_eq!(date("3/20/2026").as_deref(), Some("2026-03-20"));
        assert_eq!(date("2026-04-02").as_deref(), Some("2026-04-02"));
        assert_eq!(date("2/30"), None);
        assert_eq!(date("13/13"), None);
        assert_eq!(date("february 29th").as_deref(), Some("2028-02-29"));
    }

    #[test]
    fn holidays_by_name() {
        assert_eq!(
            date("pause it until the new year").as_deref(),
            Some("2027-01-01")
        );
        assert_eq!(
            date("can it come on christmas eve").as_deref(),
            Some("2026-12-24")
        );
        assert_eq!(
            date("hold it till after boxing day").as_deref(),
            Some("2026-12-27")
        );
        assert_eq!(
            date("before halloween please").as_deref(),
            Some("2026-10-31")
        );
        assert_eq!(date("by thanksgiving").as_deref(), Some("2026-11-26"));
        assert_eq!(
            date("we're travelling over christmas so bring it on january the fifth").as_deref(),
            Some("2027-01-05")
        );
        assert_eq!(date("send it to my new address"), None);
    }

    #[test]
    fn bare_days_of_the_month() {
        assert_eq!(
            date("can i have it on the 14th instead").as_deref(),
            Some("2026-03-14")
        );
        assert_eq!(date("the 5th").as_deref(), Some("2026-04-05"));
        assert_eq!(date("the 10th").as_deref(), Some("2026-03-10"));
        assert_eq!(date("the 31st").as_deref(), Some("2026-03-31"));
        assert_eq!(date("till the 20th").as_deref(), Some("2026-03-20"));
        assert_eq!(date("on the first").as_deref(), Some("2026-04-01"));
        assert_eq!(
            date("the 15th of next month").as_deref(),
            Some("2026-04-15")
        );
        assert_eq!(date("cancel the second order"), None);
        assert_eq!(date("the third one"), None);
        assert_eq!(
            date_with("twentieth", Some(EntityKind::Date)).as_deref(),
            Some("2026-03-20")
        );
        assert_eq!(date("twentieth"), None);
    }

    #[test]
    fn negated_dates_lose() {
        assert_eq!(
            date("don't deliver it tomorrow deliver it thursday").as_deref(),
            Some("2026-03-12")
        );
        assert_eq!(
            date("not today please can you come back tomorrow").as_deref(),
            Some("2026-03-11")
        );
        assert_eq!(
            date("i won't be home on the 13th please deliver on the 16th").as_deref(),
            Some("2026-03-16")
        );
        assert_eq!(
            date("can you deliver tomorrow instead of today").as_deref(),
            Some("2026-03-11")
        );
        assert_eq!(
            date("wednesday's no good can you deliver thursday").as_deref(),
            Some("2026-03-12")
        );
        assert_eq!(
            date("move it from friday to monday").as_deref(),
            Some("2026-03-16")
        );
        // Alone, a ruled-out date is no date at all: the caller has not said the new one.
        assert_eq!(date("i won't be in tomorrow"), None);
        assert_eq!(
            date("i'm on holiday next week can you hold it till the 20th").as_deref(),
            Some("2026-03-20")
        );
        assert_eq!(
            date("my sofa is being delivered on wednesday can we move it to saturday").as_deref(),
            Some("2026-03-14")
        );
        assert_eq!(
            date("i booked it for friday can you do next week instead").as_deref(),
            Some("2026-03-16")
        );
    }

    #[test]
    fn a_ruled_out_date_alone_is_not_the_date_wanted() {
        for s in [
            "hi i'm not gonna be home on monday when my order's supposed to come can i change the day",
            "i won't be around on friday",
            "i can't be there tomorrow",
            "nobody will be home on the 16th",
            "i'm never in on saturdays",
            "monday doesn't work for me",
            "tomorrow is no good",
            "i will not be home next week on thursday",
        ] {
            assert_eq!(date(s), None, "{s}");
        }
        // A negation that does not govern the date leaves it standing.
        for (s, want) in [
            ("i'm not sure maybe friday", "2026-03-13"),
            ("not a problem, friday then", "2026-03-13"),
            ("friday is not a problem", "2026-03-13"),
            ("no later than friday please", "2026-03-13"),
            ("can you not come before friday", "2026-03-13"),
            ("i'm not home until friday", "2026-03-13"),
            ("skip the delivery on friday", "2026-03-13"),
            ("no, friday", "2026-03-13"),
            ("friday please, no rush", "2026-03-13"),
            ("april 1st please no joke", "2026-04-01"),
        ] {
            assert_eq!(date(s).as_deref(), Some(want), "{s}");
        }
    }

    #[test]
    fn a_correction_replaces_the_date_said_before_it() {
        let expect = Some(EntityKind::Date);
        for (s, want) in [
            (
                "wednesday the eighteenth, no wait, make that thursday the nineteenth",
                "2026-03-19",
            ),
            ("friday, i mean saturday", "2026-03-14"),
            ("the 20th, actually the 21st", "2026-03-21"),
            ("tuesday sorry wednesday", "2026-03-11"),
            ("monday or rather tuesday", "2026-03-17"),
            (
                "march 20th, no wait, scratch that, march 23rd",
                "2026-03-23",
            ),
        ] {
            assert_eq!(date_with(s, expect).as_deref(), Some(want), "{s}");
            assert_eq!(date(s).as_deref(), Some(want), "{s}");
        }
    }

    #[test]
    fn a_weekday_with_a_day_of_the_month_is_that_day_of_the_month() {
        // Tuesday 2026-03-10: the 18th is a Wednesday, the 13th a Friday.
        for s in [
            "wednesday the eighteenth",
            "wednesday the 18th",
            "on wednesday the eighteenth",
            "the eighteenth, a wednesday",
            "the 18th on wednesday",
            "wednesday march 18th",
            "wednesday, march the eighteenth",
            "wednesday 3/18",
            "can you move it to wednesday the eighteenth",
        ] {
            assert_eq!(date(s).as_deref(), Some("2026-03-18"), "{s}");
        }
        assert_eq!(date("friday the 13th").as_deref(), Some("2026-03-13"));
        assert_eq!(
            date("thursday the twenty sixth").as_deref(),
            Some("2026-03-26")
        );
        assert_eq!(date("the twenty third").as_deref(), Some("2026-03-23"));
        assert_eq!(
            date("then the tuesday after that, the 17th").as_deref(),
            Some("2026-03-17")
        );
        assert_eq!(
            date("can it come the thirtieth").as_deref(),
            Some("2026-03-30")
        );
        assert_eq!(date("the second one"), None);
        assert_eq!(date("the twelfth item"), None);
        assert_eq!(
            date("thursday the twenty sixth").as_deref(),
            Some("2026-03-26")
        );
        // The 1st has passed this month; Wednesday the 1st is in April 2026.
        assert_eq!(date("wednesday the first").as_deref(), Some("2026-04-01"));
        // A weekday that does not fall on the day: the next month where it does...
        assert_eq!(date("monday the 13th").as_deref(), Some("2026-04-13"));
        // ...and failing that, the day of the month stands (March 20th is a Friday,
        // April 20th a Monday).
        assert_eq!(date("tuesday the 20th").as_deref(), Some("2026-03-20"));
        assert_eq!(date("monday the 20th").as_deref(), Some("2026-04-20"));
        // Apart, they stay two dates.
        assert_eq!(
            date("move it from wednesday to the 20th").as_deref(),
            Some("2026-03-20")
        );
    }

    #[test]
    fn no_date() {
        for s in [
            "",
            "hello",
            "may i return it",
            "march",
            "in a bit",
            "the 45th",
            "order 1234",
            "i need three days",
        ] {
            assert_eq!(date(s), None, "{s}");
        }
    }

    proptest! {
        #[test]
        fn dates_stay_near_now(s in "[a-z0-9/ -]{0,60}") {
            let w = tokenize(&s);
            let mut taken = vec![false; w.len()];
            if let Some(d) = extract_date(&w, &mut taken, now(), Some(EntityKind::Date)) {
                let today = now().date();
                // Explicit years are accepted from last year to two years ahead.
                prop_assert!(d >= today - chrono::Duration::days(366 * 2));
                prop_assert!(d <= today + chrono::Duration::days(366 * 3));
            }
        }

        #[test]
        fn spoken_month_days_resolve(m in 1u32..=12, d in 1u32..=28) {
            const MONTHS: [&str; 12] = ["january", "february", "march", "april", "may", "june",
                "july", "august", "september", "october", "november", "december"];
            let got = date(&format!("{} {d}th", MONTHS[(m - 1) as usize]));
            let got = got.and_then(|g| NaiveDate::parse_from_str(&g, "%Y-%m-%d").ok());
            prop_assert!(got.is_some());
            let got = got.expect("checked");
            prop_assert_eq!((got.month(), got.day()), (m, d));
            prop_assert!(got >= now().date());
        }
    }
}

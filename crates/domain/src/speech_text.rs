//! Text ⇄ speech normalisation for en-US: how the agent *says* identifiers, numbers,
//! dates, prices, cards, times and lists, and how a transcribed street line is *written*.
//!
//! Everything the agent says passes through here before the synthesiser, and the same
//! string is shown in the text chat, so the output is plain readable text: numbers the
//! synthesiser would misread ("$29.99", "13-digit order numbers") are spelt the way a
//! person says them, while short numerals it reads well ("2 PM") stay numerals.
//!
//! Pure functions of their arguments: no I/O, no clock (callers pass "today"), no locale
//! lookup, and no panics on any input. Card output never carries more than four digits.

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike, Weekday};

// ---------------------------------------------------------------------------------------
// Identifiers read aloud
// ---------------------------------------------------------------------------------------

/// "zero".."nine" and the spoken zeros "oh", "o", "nought".
pub fn digit_word(w: &str) -> Option<u8> {
    Some(match w {
        "zero" | "oh" | "o" | "nought" | "nil" => 0,
        "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        _ => return None,
    })
}

/// Words a recogniser writes for a spoken digit ("two" as "to", "four" as "for"), with the
/// digit word each stands for. Inside a number they are that digit; elsewhere the words
/// they look like.
pub const DIGIT_HOMOPHONES: [(&str, &str); 6] = [
    ("won", "one"),
    ("to", "two"),
    ("too", "two"),
    ("for", "four"),
    ("ate", "eight"),
    ("fore", "four"),
];

/// Reads an identifier digit by digit in groups: `"1234567891234"` →
/// `"1 2 3 4, 5 6 7 8 9, 1 2 3 4"`.
///
/// Thirteen characters group 4-5-4 (order numbers), ten group 3-3-4 (US phones), five or
/// fewer stay one group, and any other length is split into groups of four ending in
/// threes, so no group is longer than four or shorter than three. Punctuation and spaces
/// are ignored; letters are kept (upper-cased) so a mistyped identifier is read back as
/// given rather than silently shortened.
pub fn digits_grouped(digits: &str) -> String {
    let chars = identifier_chars(digits);
    let sizes = digit_group_sizes(chars.len());
    spaced_groups(&chars, &sizes)
}

/// Reads a tracking or return number character by character in groups of four:
/// `"1Z999AA10123456784"` → `"1 Z 9 9, 9 A A 1, 0 1 2 3, 4 5 6 7, 8 4"`. Letters are
/// upper-cased, other characters ignored; a trailing single character joins the group
/// before it.
pub fn characters_grouped(id: &str) -> String {
    let chars = identifier_chars(id);
    let n = chars.len();
    let mut sizes = vec![4; n / 4];
    match (n % 4, sizes.last_mut()) {
        (0, _) => {}
        (1, Some(last)) => *last += 1,
        (rest, _) => sizes.push(rest),
    }
    spaced_groups(&chars, &sizes)
}

/// Says a card by brand and last four digits: `("Visa", "4242")` →
/// `"Visa ending in 4 2 4 2"`.
///
/// Only the last four digits of `last4` are ever spoken, and digits inside `brand` are
/// dropped, so a full card number passed by mistake cannot leak into speech or the chat.
pub fn card(brand: &str, last4: &str) -> String {
    let brand: String = brand.chars().filter(|c| !c.is_ascii_digit()).collect();
    let brand = collapse_whitespace(&brand);
    let digits: Vec<char> = last4.chars().filter(char::is_ascii_digit).collect();
    let tail = &digits[digits.len().saturating_sub(4)..];
    let spoken = spaced(tail);
    match (brand.is_empty(), spoken.is_empty()) {
        (true, true) => "card".to_string(),
        (true, false) => format!("card ending in {spoken}"),
        (false, true) => brand,
        (false, false) => format!("{brand} ending in {spoken}"),
    }
}

/// Says a city and ZIP code: `("Austin", "78701")` → `"Austin, 7 8 7 0 1"`. A ZIP+4
/// (`"78701-1234"`) is read as two groups.
pub fn city_zip(city: &str, zip: &str) -> String {
    let chars = identifier_chars(zip);
    let zip = if chars.len() == 9 && chars.iter().all(char::is_ascii_digit) {
        spaced_groups(&chars, &[5, 4])
    } else {
        spaced(&chars)
    };
    let city = collapse_whitespace(city);
    match (city.is_empty(), zip.is_empty()) {
        (_, true) => city,
        (true, false) => zip,
        (false, false) => format!("{city}, {zip}"),
    }
}

/// The ASCII letters and digits of `s`, letters upper-cased.
pub fn identifier_chars(s: &str) -> Vec<char> {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Group sizes for [`digits_grouped`]: each between three and five, summing to `n`.
fn digit_group_sizes(n: usize) -> Vec<usize> {
    match n {
        0 => Vec::new(),
        1..=5 => vec![n],
        10 => vec![3, 3, 4],
        13 => vec![4, 5, 4],
        _ => {
            // Fours, then one, two or three threes to absorb the remainder: n ≥ 6 here,
            // so there are always enough fours to give up.
            let (fours, threes) = match n % 4 {
                0 => (n / 4, 0),
                3 => (n / 4, 1),
                2 => (n / 4 - 1, 2),
                _ => (n / 4 - 2, 3),
            };
            let mut sizes = vec![4; fours];
            sizes.extend(std::iter::repeat_n(3, threes));
            sizes
        }
    }
}

/// `chars` split into groups of `sizes`, characters joined by spaces, groups by ", ".
/// Characters beyond the sum of `sizes` form one last group.
fn spaced_groups(chars: &[char], sizes: &[usize]) -> String {
    let mut groups = Vec::with_capacity(sizes.len() + 1);
    let mut rest = chars;
    for &size in sizes {
        let (head, tail) = rest.split_at(size.min(rest.len()));
        if !head.is_empty() {
            groups.push(spaced(head));
        }
        rest = tail;
    }
    if !rest.is_empty() {
        groups.push(spaced(rest));
    }
    groups.join(", ")
}

/// `['4', '2']` → `"4 2"`.
fn spaced(chars: &[char]) -> String {
    let mut out = String::with_capacity(chars.len() * 2);
    for (i, c) in chars.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push(*c);
    }
    out
}

// ---------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------

/// Number words below twenty, by value (also read by `knowledge` to match numbers).
pub const SMALL: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];

/// Tens words by value of the tens digit (empty below twenty).
pub const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

const SCALES: [(u64, &str); 6] = [
    (1_000_000_000_000_000_000, "quintillion"),
    (1_000_000_000_000_000, "quadrillion"),
    (1_000_000_000_000, "trillion"),
    (1_000_000_000, "billion"),
    (1_000_000, "million"),
    (1_000, "thousand"),
];

/// A cardinal in words, American style (no "and", hyphenated tens): 29 →
/// `"twenty-nine"`, 112 → `"one hundred twelve"`, 2026 → `"two thousand twenty-six"`.
/// Covers the whole `u64` range.
pub fn number_words(n: u64) -> String {
    if n == 0 {
        return SMALL[0].to_string();
    }
    let mut parts = Vec::new();
    let mut rest = n;
    for (scale, name) in SCALES {
        if rest >= scale {
            parts.push(format!("{} {name}", below_thousand(rest / scale)));
            rest %= scale;
        }
    }
    if rest > 0 {
        parts.push(below_thousand(rest));
    }
    parts.join(" ")
}

/// An ordinal in words: 1 → `"first"`, 8 → `"eighth"`, 21 → `"twenty-first"`,
/// 100 → `"one hundredth"`.
pub fn ordinal_words(n: u32) -> String {
    let cardinal = number_words(u64::from(n));
    let split = cardinal.rfind([' ', '-']).map_or(0, |i| i + 1);
    let (head, last) = cardinal.split_at(split);
    let last = match last {
        "one" => "first".to_string(),
        "two" => "second".to_string(),
        "three" => "third".to_string(),
        "five" => "fifth".to_string(),
        "eight" => "eighth".to_string(),
        "nine" => "ninth".to_string(),
        "twelve" => "twelfth".to_string(),
        w => match w.strip_suffix('y') {
            Some(stem) => format!("{stem}ieth"),
            None => format!("{w}th"),
        },
    };
    format!("{head}{last}")
}

/// `n` (1..=999) in words.
fn below_thousand(n: u64) -> String {
    let hundreds = n / 100;
    let rest = below_hundred(n % 100);
    match (hundreds, rest.is_empty()) {
        (0, _) => rest,
        (h, true) => format!("{} hundred", below_hundred(h)),
        (h, false) => format!("{} hundred {rest}", below_hundred(h)),
    }
}

/// `n` (0..=99) in words; empty for zero.
fn below_hundred(n: u64) -> String {
    let n = (n % 100) as usize;
    match n {
        0 => String::new(),
        1..=19 => SMALL[n].to_string(),
        _ if n.is_multiple_of(10) => TENS[n / 10].to_string(),
        _ => format!("{}-{}", TENS[n / 10], SMALL[n % 10]),
    }
}

/// A count with its noun, the number in words: `(1, "bag", "bags")` → `"one bag"`,
/// `(2, "bag", "bags")` → `"two bags"`.
pub fn count_noun(n: u64, singular: &str, plural: &str) -> String {
    let noun = if n == 1 { singular } else { plural };
    format!("{} {noun}", number_words(n))
}

/// How long ago, as people round it: under an hour and a half in minutes ("forty
/// minutes"), under two days in hours ("five hours"), then in days ("three days").
pub fn elapsed_words(minutes: i64) -> String {
    let minutes = u64::try_from(minutes).unwrap_or(0);
    match minutes {
        0..=89 => count_noun(minutes.max(1), "minute", "minutes"),
        90..=2849 => count_noun((minutes + 30) / 60, "hour", "hours"),
        _ => count_noun((minutes + 720) / 1440, "day", "days"),
    }
}

// ---------------------------------------------------------------------------------------
// Money
// ---------------------------------------------------------------------------------------

/// A price as people say it: 2999 → `"twenty-nine ninety-nine"`, 1205 →
/// `"twelve oh five"`, 5000 → `"fifty dollars"`, 99 → `"ninety-nine cents"`, 12050 →
/// `"one hundred twenty fifty"`, 10001 → `"one hundred dollars and one cent"`, 0 →
/// `"zero dollars"`. Negative amounts start with `"minus "`.
///
/// The short "twelve oh five" form is used below one hundred dollars, where it is
/// unambiguous; up to a thousand it keeps "hundred" ("one hundred twenty fifty", never
/// "one twenty fifty") and needs two-digit cents and dollars not ending in 00 to 09;
/// otherwise the units are said.
pub fn price_cents(cents: i64) -> String {
    let sign = if cents < 0 { "minus " } else { "" };
    let abs = cents.unsigned_abs();
    let (dollars, cents) = (abs / 100, abs % 100);
    let body = match (dollars, cents) {
        (0, 0) => "zero dollars".to_string(),
        (0, c) => count_noun(c, "cent", "cents"),
        (d, 0) => count_noun(d, "dollar", "dollars"),
        (d @ 1..=99, c @ 1..=9) => format!("{} oh {}", number_words(d), number_words(c)),
        (d @ 1..=99, c) => format!("{} {}", number_words(d), number_words(c)),
        // "One nineteen ninety-seven" is how a till reads $119.97; "and … cents" doubles
        // its length. With cents under ten the short form would be heard as dollars.
        // "Three hundred one ninety-nine" or "three hundred ninety-nine" would be heard as
        // other amounts: dollars ending in 00 to 09 keep the long form.
        (d @ 100..=999, c @ 10..=99) if d % 100 >= 10 => {
            format!("{} {}", number_words(d), number_words(c))
        }
        (d, c) => format!(
            "{} and {}",
            count_noun(d, "dollar", "dollars"),
            count_noun(c, "cent", "cents")
        ),
    };
    format!("{sign}{body}")
}

// ---------------------------------------------------------------------------------------
// Dates and times
// ---------------------------------------------------------------------------------------

/// Beyond this many days from today a date in another year says its year.
const YEAR_HORIZON_DAYS: i64 = 90;

/// A date as said in conversation: `"Saturday, March eighth"`. The year is added only
/// when it differs from today's and the date is more than 90 days away, so "Friday,
/// January second" said in late December needs no year:
/// `"Monday, January fifth, twenty twenty-seven"`.
pub fn date(d: NaiveDate, today: NaiveDate) -> String {
    let base = format!(
        "{}, {} {}",
        weekday_name(d.weekday()),
        month_name(d.month()),
        ordinal_words(d.day())
    );
    let distance = d.signed_duration_since(today).num_days().abs();
    if d.year() != today.year() && distance > YEAR_HORIZON_DAYS {
        format!("{base}, {}", year_words(d.year()))
    } else {
        base
    }
}

/// Like [`date`], but says `"today"`, `"tomorrow"` or `"yesterday"` when it is one, the
/// weekday alone for a day of the past week (`"shipped Sunday"`: the last one), and
/// leaves out the month people leave out for a day of this month: `"Tuesday the
/// seventeenth"`. A day ahead keeps its date: "which Saturday?" is the first question a
/// bare weekday ahead gets, and "shipped Friday, arriving Friday" says two days alike.
pub fn relative_date(d: NaiveDate, today: NaiveDate) -> String {
    match d.signed_duration_since(today).num_days() {
        0 => "today".to_string(),
        1 => "tomorrow".to_string(),
        -1 => "yesterday".to_string(),
        -6..=-2 => weekday_name(d.weekday()).to_string(),
        _ if d.year() == today.year() && d.month() == today.month() => format!(
            "{} the {}",
            weekday_name(d.weekday()),
            ordinal_words(d.day())
        ),
        _ => date(d, today),
    }
}

/// A date without its weekday, for lists: `"March seventh"`, or `"today"`,
/// `"yesterday"`, `"tomorrow"`; the year as in [`date`].
pub fn short_date(d: NaiveDate, today: NaiveDate) -> String {
    if (-1..=1).contains(&d.signed_duration_since(today).num_days()) {
        return relative_date(d, today);
    }
    let base = format!("{} {}", month_name(d.month()), ordinal_words(d.day()));
    let distance = d.signed_duration_since(today).num_days().abs();
    if d.year() != today.year() && distance > YEAR_HORIZON_DAYS {
        format!("{base}, {}", year_words(d.year()))
    } else {
        base
    }
}

/// A moment said the way a person rounds it for a deadline, without a clock time:
/// `"this evening"`, `"tomorrow morning"`, `"Thursday, March twelfth, in the afternoon"`.
pub fn day_and_part(at: chrono::NaiveDateTime, today: NaiveDate) -> String {
    let part = match at.time().hour() {
        0..=11 => "morning",
        12..=16 => "afternoon",
        _ => "evening",
    };
    match at.date().signed_duration_since(today).num_days() {
        0 => format!("this {part}"),
        1 => format!("tomorrow {part}"),
        _ => format!("{}, in the {part}", date(at.date(), today)),
    }
}

/// A year as people say it: 2026 → `"twenty twenty-six"`, 2005 → `"two thousand
/// five"`, 1999 → `"nineteen ninety-nine"`, 1905 → `"nineteen oh five"`, 1900 →
/// `"nineteen hundred"`.
pub fn year_words(year: i32) -> String {
    let y = year.unsigned_abs();
    let words = if (1000..=9999).contains(&y) && y % 1000 >= 10 {
        let (high, low) = (u64::from(y / 100), u64::from(y % 100));
        match low {
            0 => format!("{} hundred", number_words(high)),
            1..=9 => format!("{} oh {}", number_words(high), number_words(low)),
            _ => format!("{} {}", number_words(high), number_words(low)),
        }
    } else {
        number_words(u64::from(y))
    };
    if year < 0 {
        format!("{words} BC")
    } else {
        words
    }
}

/// A clock time the way a synthesiser reads it well: `"2 PM"`, `"10:30 AM"`, `"noon"`,
/// `"midnight"`. Seconds are ignored.
pub fn time_of_day(t: NaiveTime) -> String {
    let (h, m) = (t.hour(), t.minute());
    match (h, m) {
        (0, 0) => "midnight".to_string(),
        (12, 0) => "noon".to_string(),
        _ => {
            let suffix = if h < 12 { "AM" } else { "PM" };
            let h12 = match h % 12 {
                0 => 12,
                h => h,
            };
            if m == 0 {
                format!("{h12} {suffix}")
            } else {
                format!("{h12}:{m:02} {suffix}")
            }
        }
    }
}

/// The English name of a day of the week ("Sunday").
pub fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// A month's number from its name in any case ("april" → 4).
pub fn month_number(name: &str) -> Option<u32> {
    (1..=12).find(|&m| month_name(m).eq_ignore_ascii_case(name))
}

fn month_name(m: u32) -> &'static str {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    MONTHS
        .get(m.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("")
}

// ---------------------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------------------

/// Joins items for speech: `"a"`, `"a and b"`, `"a, b and c"`. Blank items are skipped.
pub fn list_and<S: AsRef<str>>(items: &[S]) -> String {
    list_with(items, "and")
}

/// Like [`list_and`] with "or": `"a, b or c"`.
pub fn list_or<S: AsRef<str>>(items: &[S]) -> String {
    list_with(items, "or")
}

fn list_with<S: AsRef<str>>(items: &[S], conjunction: &str) -> String {
    let items: Vec<&str> = items
        .iter()
        .map(|s| s.as_ref().trim())
        .filter(|s| !s.is_empty())
        .collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_string(),
        Some((last, init)) => format!("{} {conjunction} {last}", init.join(", ")),
    }
}

// ---------------------------------------------------------------------------------------
// Street lines: speech → writing
// ---------------------------------------------------------------------------------------

/// Openings people put before an address; dropped from the start of a street line,
/// repeatedly ("um, my address is …"). Longer phrases come first.
const ADDRESS_FILLERS: &[&str] = &[
    "the new address is",
    "my new address is",
    "the address is",
    "my address is",
    "new address is",
    "address is",
    "i live at",
    "it's at",
    "it is at",
    "it's",
    "it is",
    "its",
    "that's",
    "that is",
    "uh",
    "uhh",
    "um",
    "umm",
    "uhm",
    "er",
    "erm",
    "ah",
    "hmm",
    "oh",
    "okay",
    "ok",
    "so",
];

/// Words after which a spoken number is a unit, box or route number ("apartment three"
/// → "Apartment 3", "highway seventy one" → "Highway 71").
const DESIGNATORS: &[&str] = &[
    "apartment",
    "apt",
    "unit",
    "suite",
    "ste",
    "floor",
    "fl",
    "room",
    "rm",
    "building",
    "bldg",
    "box",
    "lot",
    "space",
    "highway",
    "hwy",
    "route",
    "rte",
    "road",
    "rd",
    "interstate",
];

/// Short words written in capitals in a street line.
const CAPITALS: &[&str] = &["ne", "nw", "se", "sw", "po", "us"];

/// Turns a transcribed street line into its written form: `"four five six elm street"`
/// → `"456 Elm Street"`, `"twelve hundred oak avenue apartment three"` →
/// `"1200 Oak Avenue Apartment 3"`, `"one twenty three main st"` → `"123 Main St"`.
///
/// Leading openers ("uh", "it's", "my address is") are dropped; the leading number may
/// be spoken digit by digit ("oh" inside it is zero), in pairs, as a cardinal or as
/// numerals; a number after a unit word ("apartment", "suite", "box", "highway") becomes
/// digits too; everything else is title-cased, with punctuation around words dropped
/// (postal style). Any input gives some output; empty input gives an empty string.
pub fn street_line_from_speech(text: &str) -> String {
    let words = street_tokens(text);
    let keys: Vec<&str> = words.iter().map(|w| w.key.as_str()).collect();
    let mut i = skip_fillers(&keys);
    let mut out: Vec<String> = Vec::new();
    if let Some((digits, next)) = number_run(&keys, i, false) {
        // "Send the newest one to 12 Fake Road": a number said before "to" or "at" and
        // another number counts or points; the house number is the second.
        let (digits, next) = match keys.get(next) {
            Some(&"to" | &"at") => number_run(&keys, next + 1, false).unwrap_or((digits, next)),
            _ => (digits, next),
        };
        out.push(digits);
        i = next;
    }
    while let Some(word) = words.get(i) {
        out.push(title_case(&word.text));
        i += 1;
        if !DESIGNATORS.contains(&word.key.as_str()) {
            continue;
        }
        // "apartment number four" → "Apartment 4".
        let after_number_word = match keys.get(i) {
            Some(&"number" | &"no" | &"#") => i + 1,
            _ => i,
        };
        if let Some((mut digits, next)) = number_run(&keys, after_number_word, true) {
            i = next;
            // "apartment three b" → "Apartment 3B".
            if let Some(letter) = words.get(i).filter(|w| is_single_letter(&w.key)) {
                digits.push_str(&letter.key.to_uppercase());
                i += 1;
            }
            out.push(digits);
        }
    }
    out.join(" ")
}

/// One word of a street line: as transcribed (outer punctuation trimmed) and as a
/// lower-case key for matching.
struct StreetWord {
    text: String,
    key: String,
}

/// Splits a transcript into words, trimming punctuation around each (keeping `#`) and
/// splitting hyphenated number words ("twenty-three" → "twenty", "three").
fn street_tokens(text: &str) -> Vec<StreetWord> {
    let text = text.replace(['\u{2019}', '\u{2018}'], "'");
    let mut out = Vec::new();
    for chunk in text.split_whitespace() {
        let trimmed = chunk.trim_matches(|c: char| !(c.is_alphanumeric() || c == '#'));
        if trimmed.is_empty() {
            continue;
        }
        let key = trimmed.to_lowercase();
        let parts: Vec<&str> = key.split('-').filter(|p| !p.is_empty()).collect();
        if key.contains('-') && !parts.is_empty() && parts.iter().all(|p| is_number_word(p)) {
            out.extend(parts.into_iter().map(|p| StreetWord {
                text: p.to_string(),
                key: p.to_string(),
            }));
        } else {
            out.push(StreetWord {
                text: trimmed.to_string(),
                key,
            });
        }
    }
    out
}

/// Index of the first word after any leading fillers.
fn skip_fillers(keys: &[&str]) -> usize {
    let mut i = 0;
    'again: loop {
        for filler in ADDRESS_FILLERS {
            let n = filler.split(' ').count();
            let rest = keys.get(i..).unwrap_or_default();
            if rest.len() >= n && filler.split(' ').zip(rest).all(|(f, k)| f == *k) {
                i += n;
                continue 'again;
            }
        }
        return i;
    }
}

/// A run of spoken or written numbers starting at `i`, read as the concatenation of its
/// groups: "four five six" → 456, "one twenty three" → 123, "twelve hundred" → 1200,
/// "4 5 6" → 456, "one oh one" → 101. A spoken zero may open the run only when
/// `leading_zero` (a unit number may be "oh four"; a house number may not, and a leading
/// "oh" is a hesitation). Returns the digits and the index after the run.
fn number_run(keys: &[&str], i: usize, leading_zero: bool) -> Option<(String, usize)> {
    let mut digits = String::new();
    let mut j = i;
    while let Some(&key) = keys.get(j) {
        if !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()) {
            digits.push_str(key);
            j += 1;
        } else if zero_word(key) && (leading_zero || !digits.is_empty()) {
            digits.push('0');
            j += 1;
        } else if let Some((value, next)) = spoken_cardinal(keys, j) {
            digits.push_str(&value.to_string());
            j = next;
        } else {
            break;
        }
    }
    (!digits.is_empty()).then_some((digits, j))
}

/// The amounts said in words or digits, each with the index of the word after it: "a
/// five hundred dollar gift card" gives 500 and the index of "dollar"; "$500" (written
/// "500") gives 500 too. Up to the thousands.
pub fn amounts_said(words: &[String]) -> Vec<(u64, usize)> {
    let keys: Vec<&str> = words.iter().map(String::as_str).collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < keys.len() {
        if let Ok(n) = keys[i].replace(',', "").parse::<u64>() {
            found.push((n, i + 1));
            i += 1;
        } else if let Some((n, next)) = spoken_cardinal(&keys, i) {
            found.push((n, next));
            i = next.max(i + 1);
        } else {
            i += 1;
        }
    }
    found
}

/// A cardinal up to the thousands: "twelve", "twenty one hundred", "one thousand two
/// hundred and five". Never starts with a zero word.
fn spoken_cardinal(keys: &[&str], i: usize) -> Option<(u64, usize)> {
    let (mut value, mut j) = spoken_hundreds(keys, i)?;
    if keys.get(j) == Some(&"thousand") {
        value *= 1000;
        j += 1;
        let k = if keys.get(j) == Some(&"and") {
            j + 1
        } else {
            j
        };
        if let Some((rest, next)) = spoken_hundreds(keys, k) {
            value += rest;
            j = next;
        }
    }
    Some((value, j))
}

/// "seven", "forty two", "twelve hundred", "three hundred and twelve", "a hundred".
fn spoken_hundreds(keys: &[&str], i: usize) -> Option<(u64, usize)> {
    let scale_follows = matches!(keys.get(i + 1), Some(&"hundred" | &"thousand"));
    let (mut value, mut j) = if keys.get(i) == Some(&"a") && scale_follows {
        (1, i + 1)
    } else {
        spoken_below_hundred(keys, i)?
    };
    if keys.get(j) == Some(&"hundred") {
        value *= 100;
        j += 1;
        let k = if keys.get(j) == Some(&"and") {
            j + 1
        } else {
            j
        };
        if let Some((rest, next)) = spoken_below_hundred(keys, k) {
            value += rest;
            j = next;
        }
    }
    Some((value, j))
}

/// "seven", "seventeen", "seventy", "seventy seven".
fn spoken_below_hundred(keys: &[&str], i: usize) -> Option<(u64, usize)> {
    let key = *keys.get(i)?;
    if let Some(tens) = tens_value(key) {
        return Some(match keys.get(i + 1).and_then(|k| small_value(k)) {
            Some(unit @ 1..=9) => (tens + unit, i + 2),
            _ => (tens, i + 1),
        });
    }
    small_value(key)
        .filter(|&v| v > 0)
        .map(|value| (value, i + 1))
}

/// "one".."nineteen" (and "zero").
fn small_value(w: &str) -> Option<u64> {
    SMALL.iter().position(|s| *s == w).map(|p| p as u64)
}

/// "twenty".."ninety".
fn tens_value(w: &str) -> Option<u64> {
    match w {
        "" => None,
        "fourty" => Some(40),
        _ => TENS.iter().position(|t| *t == w).map(|p| p as u64 * 10),
    }
}

fn zero_word(w: &str) -> bool {
    matches!(w, "zero" | "oh" | "o")
}

/// A word that says a number or part of one: "zero" to "ninety", "oh", "hundred".
pub fn is_number_word(w: &str) -> bool {
    small_value(w).is_some()
        || tens_value(w).is_some()
        || zero_word(w)
        || matches!(w, "hundred" | "thousand")
}

fn is_single_letter(w: &str) -> bool {
    let mut chars = w.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if c.is_ascii_alphabetic())
}

/// "elm" → "Elm", "o'brien" → "O'Brien", "wilkes-barre" → "Wilkes-Barre", "nw" → "NW",
/// "12b" → "12B", "5th" stays "5th".
fn title_case(word: &str) -> String {
    let lower = word.to_lowercase();
    if CAPITALS.contains(&lower.as_str()) {
        return lower.to_uppercase();
    }
    if lower.chars().any(|c| c.is_ascii_digit()) {
        let is_ordinal = ["st", "nd", "rd", "th"].iter().any(|s| {
            lower
                .strip_suffix(s)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        });
        return if is_ordinal {
            lower
        } else {
            lower.to_uppercase()
        };
    }
    let mut out = String::with_capacity(lower.len());
    let mut segment_len = 0usize;
    let mut capitalise = true;
    for c in lower.chars() {
        if capitalise && c.is_alphabetic() {
            out.extend(c.to_uppercase());
            capitalise = false;
        } else {
            out.push(c);
        }
        match c {
            '-' => {
                capitalise = true;
                segment_len = 0;
            }
            // "o'brien", "d'angelo": a one-letter prefix before an apostrophe.
            '\'' => {
                capitalise = segment_len == 1;
                segment_len = 0;
            }
            _ => segment_len += 1,
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Documents read aloud
// ---------------------------------------------------------------------------------------

/// Markdown reduced to plain sentences for reading aloud: headings, bullets, quotes,
/// rules, code fences, emphasis and link targets are dropped, whitespace collapsed, and
/// dollar amounts said as prices (`"$5.99"` → `"five ninety-nine"`, `"$50"` → `"fifty
/// dollars"`). Other numbers stay as written ("2 PM", "5 to 7"). A heading or bullet
/// item without closing punctuation gets a period so the synthesiser pauses after it.
pub fn plain(text: &str) -> String {
    let mut sentences = Vec::new();
    for line in text.lines() {
        let mut line = line.trim();
        if is_rule_or_fence(line) {
            continue;
        }
        while let Some(rest) = line.strip_prefix('>') {
            line = rest.trim_start();
        }
        let (body, structural) = strip_block_marker(line);
        let mut body = say_dollar_amounts(&strip_inline_markdown(body));
        let trimmed_len = body.trim_end().len();
        body.truncate(trimmed_len);
        if body.trim().is_empty() {
            continue;
        }
        if structural && !body.ends_with(['.', '!', '?', ':', ';', ',']) {
            body.push('.');
        }
        sentences.push(body);
    }
    collapse_whitespace(&sentences.join(" "))
}

/// A thematic break (`---`, `***`, `___`), a setext underline (`===`) or a code fence.
fn is_rule_or_fence(line: &str) -> bool {
    if line.starts_with("```") || line.starts_with("~~~") {
        return true;
    }
    let marks: Vec<char> = line.chars().filter(|c| !c.is_whitespace()).collect();
    marks.len() >= 3
        && marks
            .first()
            .is_some_and(|&m| matches!(m, '-' | '*' | '_' | '=') && marks.iter().all(|&c| c == m))
}

/// Strips a heading (`## `) or bullet (`- `, `* `, `+ `, `• `) marker; the flag says one
/// was there.
fn strip_block_marker(line: &str) -> (&str, bool) {
    let hashes = line.chars().take_while(|&c| c == '#').count();
    if (1..=6).contains(&hashes) {
        let rest = &line[hashes..];
        if rest.is_empty() || rest.starts_with(char::is_whitespace) {
            return (rest.trim_start(), true);
        }
    }
    for bullet in ["- ", "* ", "+ ", "• "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            return (rest.trim_start(), true);
        }
    }
    (line, false)
}

/// Drops emphasis markers, inline-code backticks and link/image targets:
/// `"**Free** [returns](/r)"` → `"Free returns"`. An underscore inside a word stays.
fn strip_inline_markdown(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '!' if chars.get(i + 1) == Some(&'[') && link_end(&chars, i + 1).is_some() => {
                i += 1;
            }
            '[' => match link_end(&chars, i) {
                Some((text_end, end)) => {
                    let text: String = chars[i + 1..text_end].iter().collect();
                    out.push_str(&strip_inline_markdown(&text));
                    i = end;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            },
            '*' | '`' => i += 1,
            '~' if chars.get(i + 1) == Some(&'~') => i += 2,
            '_' => {
                let word = |j: Option<usize>| {
                    j.and_then(|j| chars.get(j))
                        .is_some_and(|c| c.is_alphanumeric())
                };
                // Emphasis marks touch a word on one side only; "order_id" keeps its own.
                if word(i.checked_sub(1)) && word(Some(i + 1)) {
                    out.push(c);
                }
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// For `[text](target)` opening at `open`: the index of `]` and the index after `)`.
fn link_end(chars: &[char], open: usize) -> Option<(usize, usize)> {
    let close = open + 1 + chars.get(open + 1..)?.iter().position(|&c| c == ']')?;
    if chars.get(close + 1) != Some(&'(') {
        return None;
    }
    let paren = close + 2 + chars.get(close + 2..)?.iter().position(|&c| c == ')')?;
    Some((close, paren + 1))
}

/// `"$5.99"` → `"five ninety-nine"`, `"$1,250"` → `"one thousand two hundred fifty
/// dollars"`. Anything that is not clearly an amount (`"$5k"`, `"$"`) stays as written.
fn say_dollar_amounts(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '$' {
            if let Some((cents, end)) = dollar_amount(&chars, i + 1) {
                out.push_str(&price_cents(cents));
                i = end;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Parses `1,250.5` style digits from `start`: the amount in cents and the index after.
fn dollar_amount(chars: &[char], start: usize) -> Option<(i64, usize)> {
    let digit = |j: usize| chars.get(j).and_then(|c| c.to_digit(10));
    let mut dollars: i64 = 0;
    let mut j = start;
    digit(j)?;
    loop {
        if let Some(d) = digit(j) {
            dollars = dollars.checked_mul(10)?.checked_add(i64::from(d))?;
            j += 1;
        } else if chars.get(j) == Some(&',') && (1..=3).all(|k| digit(j + k).is_some()) {
            // A thousands separator is followed by exactly three digits.
            if digit(j + 4).is_some() {
                break;
            }
            j += 1;
        } else {
            break;
        }
    }
    let mut cents: i64 = 0;
    if chars.get(j) == Some(&'.') {
        match (digit(j + 1), digit(j + 2), digit(j + 3)) {
            (Some(a), Some(b), None) => {
                cents = i64::from(a * 10 + b);
                j += 3;
            }
            (Some(a), None, _) => {
                cents = i64::from(a * 10);
                j += 2;
            }
            // "$5.999" is not a price.
            (Some(_), Some(_), Some(_)) => return None,
            // "$12." ends a sentence.
            (None, _, _) => {}
        }
    }
    if chars.get(j).is_some_and(|c| c.is_alphanumeric()) {
        return None;
    }
    Some((dollars.checked_mul(100)?.checked_add(cents)?, j))
}

fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn deadlines_are_said_by_part_of_the_day() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let at = |day, h| {
            NaiveDate::from_ymd_opt(2026, 3, day)
                .unwrap()
                .and_hms_opt(h, 39, 0)
                .unwrap()
        };
        assert_eq!(day_and_part(at(10, 18), today), "this evening");
        assert_eq!(day_and_part(at(11, 9), today), "tomorrow morning");
        assert_eq!(
            day_and_part(at(12, 14), today),
            "Thursday, March twelfth, in the afternoon"
        );
    }

    #[test]
    fn short_dates_leave_the_weekday_out() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert_eq!(short_date(d(3, 7), today), "March seventh");
        assert_eq!(short_date(d(3, 9), today), "yesterday");
        assert_eq!(
            short_date(NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(), today),
            "June first, twenty twenty-five"
        );
    }

    use super::*;
    use proptest::prelude::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("valid test time")
    }

    #[test]
    fn digits_group_by_length() {
        assert_eq!(
            digits_grouped("1234567891234"),
            "1 2 3 4, 5 6 7 8 9, 1 2 3 4"
        );
        assert_eq!(digits_grouped("(512) 555-0199"), "5 1 2, 5 5 5, 0 1 9 9");
        assert_eq!(digits_grouped("78701"), "7 8 7 0 1");
        assert_eq!(digits_grouped("42"), "4 2");
        assert_eq!(digits_grouped(""), "");
        assert_eq!(digits_grouped("--"), "");
        assert_eq!(digits_grouped("123456"), "1 2 3, 4 5 6");
        assert_eq!(digits_grouped("1234567"), "1 2 3 4, 5 6 7");
        assert_eq!(digits_grouped("12345678"), "1 2 3 4, 5 6 7 8");
        assert_eq!(digits_grouped("123456789"), "1 2 3, 4 5 6, 7 8 9");
        assert_eq!(digits_grouped("12345678901"), "1 2 3 4, 5 6 7 8, 9 0 1");
        assert_eq!(
            digits_grouped("12345678901234"),
            "1 2 3 4, 5 6 7 8, 9 0 1, 2 3 4"
        );
        assert_eq!(digits_grouped("12a4"), "1 2 A 4");
    }

    #[test]
    fn characters_group_by_four() {
        assert_eq!(
            characters_grouped("1Z999AA10123456784"),
            "1 Z 9 9, 9 A A 1, 0 1 2 3, 4 5 6 7, 8 4"
        );
        assert_eq!(characters_grouped("rma-12345"), "R M A 1, 2 3 4 5");
        assert_eq!(characters_grouped("RMA123456"), "R M A 1, 2 3 4 5 6");
        assert_eq!(characters_grouped("RMA1"), "R M A 1");
        assert_eq!(characters_grouped("ab12c"), "A B 1 2 C");
        assert_eq!(characters_grouped("x"), "X");
        assert_eq!(characters_grouped(""), "");
        assert_eq!(characters_grouped("ab cd ef"), "A B C D, E F");
    }

    #[test]
    fn cardinals() {
        let cases: &[(u64, &str)] = &[
            (0, "zero"),
            (7, "seven"),
            (13, "thirteen"),
            (20, "twenty"),
            (29, "twenty-nine"),
            (100, "one hundred"),
            (112, "one hundred twelve"),
            (1000, "one thousand"),
            (1200, "one thousand two hundred"),
            (2026, "two thousand twenty-six"),
            (40_010, "forty thousand ten"),
            (1_000_001, "one million one"),
            (3_500_000_000, "three billion five hundred million"),
            (
                u64::MAX,
                "eighteen quintillion four hundred forty-six quadrillion seven hundred \
                 forty-four trillion seventy-three billion seven hundred nine million five \
                 hundred fifty-one thousand six hundred fifteen",
            ),
        ];
        for &(n, words) in cases {
            assert_eq!(number_words(n), words, "{n}");
        }
    }

    #[test]
    fn ordinals() {
        let cases: &[(u32, &str)] = &[
            (0, "zeroth"),
            (1, "first"),
            (2, "second"),
            (3, "third"),
            (4, "fourth"),
            (5, "fifth"),
            (8, "eighth"),
            (9, "ninth"),
            (11, "eleventh"),
            (12, "twelfth"),
            (20, "twentieth"),
            (21, "twenty-first"),
            (22, "twenty-second"),
            (30, "thirtieth"),
            (31, "thirty-first"),
            (100, "one hundredth"),
            (103, "one hundred third"),
            (1000, "one thousandth"),
        ];
        for &(n, words) in cases {
            assert_eq!(ordinal_words(n), words, "{n}");
        }
    }

    #[test]
    fn counts() {
        assert_eq!(count_noun(1, "bag", "bags"), "one bag");
        assert_eq!(count_noun(2, "bag", "bags"), "two bags");
        assert_eq!(count_noun(0, "item", "items"), "zero items");
        assert_eq!(count_noun(21, "box", "boxes"), "twenty-one boxes");
    }

    #[test]
    fn prices() {
        let cases: &[(i64, &str)] = &[
            (2999, "twenty-nine ninety-nine"),
            (5000, "fifty dollars"),
            (100, "one dollar"),
            (99, "ninety-nine cents"),
            (1, "one cent"),
            (1205, "twelve oh five"),
            (0, "zero dollars"),
            (12050, "one hundred twenty fifty"),
            (11997, "one hundred nineteen ninety-seven"),
            (30199, "three hundred one dollars and ninety-nine cents"),
            (30099, "three hundred dollars and ninety-nine cents"),
            (100_050, "one thousand dollars and fifty cents"),
            (10001, "one hundred dollars and one cent"),
            (10000, "one hundred dollars"),
            (9999, "ninety-nine ninety-nine"),
            (-599, "minus five ninety-nine"),
            (-50, "minus fifty cents"),
            (
                123_456_700,
                "one million two hundred thirty-four thousand five hundred sixty-seven dollars",
            ),
        ];
        for &(cents, words) in cases {
            assert_eq!(price_cents(cents), words, "{cents}");
        }
        assert!(price_cents(i64::MIN).starts_with("minus ninety-two quadrillion"));
    }

    #[test]
    fn years() {
        assert_eq!(year_words(2026), "twenty twenty-six");
        assert_eq!(year_words(2010), "twenty ten");
        assert_eq!(year_words(2005), "two thousand five");
        assert_eq!(year_words(2000), "two thousand");
        assert_eq!(year_words(1999), "nineteen ninety-nine");
        assert_eq!(year_words(1905), "nineteen oh five");
        assert_eq!(year_words(1900), "nineteen hundred");
        assert_eq!(year_words(2100), "twenty-one hundred");
        assert_eq!(year_words(476), "four hundred seventy-six");
        assert_eq!(year_words(-44), "forty-four BC");
    }

    #[test]
    fn dates_say_the_year_only_when_it_helps() {
        let today = ymd(2026, 3, 2);
        assert_eq!(date(ymd(2026, 3, 7), today), "Saturday, March seventh");
        assert_eq!(date(ymd(2026, 3, 8), today), "Sunday, March eighth");
        assert_eq!(
            date(ymd(2027, 1, 4), today),
            "Monday, January fourth, twenty twenty-seven"
        );
        assert_eq!(
            date(ymd(2025, 3, 2), today),
            "Sunday, March second, twenty twenty-five"
        );
        // Across New Year but close: no year.
        let late_december = ymd(2026, 12, 28);
        assert_eq!(
            date(ymd(2027, 1, 2), late_december),
            "Saturday, January second"
        );
        // Same year, far away: no year.
        assert_eq!(
            date(ymd(2026, 12, 31), today),
            "Thursday, December thirty-first"
        );
    }

    #[test]
    fn relative_dates() {
        let today = ymd(2026, 12, 31);
        assert_eq!(relative_date(today, today), "today");
        assert_eq!(relative_date(ymd(2027, 1, 1), today), "tomorrow");
        assert_eq!(relative_date(ymd(2026, 12, 30), today), "yesterday");
        assert_eq!(
            relative_date(ymd(2026, 12, 17), today),
            "Thursday the seventeenth"
        );
        // In the past week, the weekday alone; ahead, its date too.
        assert_eq!(
            relative_date(ymd(2027, 1, 2), today),
            "Saturday, January second"
        );
        assert_eq!(relative_date(ymd(2026, 12, 26), today), "Saturday");
        assert_eq!(
            relative_date(ymd(2027, 1, 7), today),
            "Thursday, January seventh"
        );
    }

    #[test]
    fn times() {
        assert_eq!(time_of_day(hm(14, 0)), "2 PM");
        assert_eq!(time_of_day(hm(10, 30)), "10:30 AM");
        assert_eq!(time_of_day(hm(9, 5)), "9:05 AM");
        assert_eq!(time_of_day(hm(12, 0)), "noon");
        assert_eq!(time_of_day(hm(0, 0)), "midnight");
        assert_eq!(time_of_day(hm(12, 15)), "12:15 PM");
        assert_eq!(time_of_day(hm(0, 45)), "12:45 AM");
        assert_eq!(time_of_day(hm(23, 59)), "11:59 PM");
    }

    #[test]
    fn cards_never_say_more_than_four_digits() {
        assert_eq!(card("Visa", "4242"), "Visa ending in 4 2 4 2");
        assert_eq!(
            card("Mastercard", "5555 4444 3333 1234"),
            "Mastercard ending in 1 2 3 4"
        );
        assert_eq!(
            card("Visa 4111111111111111", "1111"),
            "Visa ending in 1 1 1 1"
        );
        assert_eq!(
            card("  American   Express ", "1005"),
            "American Express ending in 1 0 0 5"
        );
        assert_eq!(card("", "42"), "card ending in 4 2");
        assert_eq!(card("Visa", ""), "Visa");
        assert_eq!(card("", ""), "card");
    }

    #[test]
    fn city_and_zip() {
        assert_eq!(city_zip("Austin", "78701"), "Austin, 7 8 7 0 1");
        assert_eq!(
            city_zip("Austin", "78701-1234"),
            "Austin, 7 8 7 0 1, 1 2 3 4"
        );
        assert_eq!(city_zip(" Round  Rock ", ""), "Round Rock");
        assert_eq!(city_zip("", "78701"), "7 8 7 0 1");
    }

    #[test]
    fn lists() {
        let none: [&str; 0] = [];
        assert_eq!(list_and(&none), "");
        assert_eq!(list_and(&["a"]), "a");
        assert_eq!(list_and(&["a", "b"]), "a and b");
        assert_eq!(list_and(&["a", "b", "c"]), "a, b and c");
        assert_eq!(list_or(&["a", "b", "c"]), "a, b or c");
        assert_eq!(list_and(&["a", " ", "c"]), "a and c");
        let owned = vec!["mug".to_string(), "kettle".to_string()];
        assert_eq!(list_or(&owned), "mug or kettle");
    }

    #[test]
    fn street_lines() {
        let cases = [
            ("four five six elm street", "456 Elm Street"),
            (
                "twelve hundred oak avenue apartment three",
                "1200 Oak Avenue Apartment 3",
            ),
            ("one twenty three main st", "123 Main St"),
            ("4 5 6 elm street", "456 Elm Street"),
            ("one oh one pine road", "101 Pine Road"),
            ("uh it's 77 sunset blvd", "77 Sunset Blvd"),
            ("Um, my address is 12 Main Street.", "12 Main Street"),
            ("the new address is forty two wallaby way", "42 Wallaby Way"),
            ("it is twelve thirty four maple drive", "1234 Maple Drive"),
            (
                "one thousand two hundred and five park place",
                "1205 Park Place",
            ),
            ("nineteen oh five ranch road", "1905 Ranch Road"),
            ("one to 12 Fake Road", "12 Fake Road"),
            ("one at 5 Pine St", "5 Pine St"),
            ("twenty-three cedar lane", "23 Cedar Lane"),
            ("nine nine nine highway seventy one", "999 Highway 71"),
            (
                "five six seven first ave unit number four",
                "567 First Ave Unit 4",
            ),
            (
                "two hundred congress ave suite oh four",
                "200 Congress Ave Suite 04",
            ),
            (
                "eighty eight o'brien court apartment three b",
                "88 O'Brien Court Apartment 3B",
            ),
            ("po box twelve", "PO Box 12"),
            ("12b baker street", "12B Baker Street"),
            ("300 w 5th st", "300 W 5th St"),
            ("ELM STREET", "Elm Street"),
            ("a hundred main street", "100 Main Street"),
            ("", ""),
            ("  ", ""),
            ("um uh", ""),
            ("...", ""),
        ];
        for (spoken, written) in cases {
            assert_eq!(street_line_from_speech(spoken), written, "{spoken:?}");
        }
    }

    #[test]
    fn plain_reads_markdown_aloud() {
        let doc = "# Returns\n\nItems can be returned **within 30 days**.\n\n\
                   - Refunds take 5 to 7 business days\n* Pickup from 2 PM\n\n---\n\
                   Return shipping is $5.99, or _free_ over $50. See [the policy](https://x/y).";
        assert_eq!(
            plain(doc),
            "Returns. Items can be returned within 30 days. Refunds take 5 to 7 business \
             days. Pickup from 2 PM. Return shipping is five ninety-nine, or free over \
             fifty dollars. See the policy."
        );
    }

    #[test]
    fn plain_amounts_and_edges() {
        assert_eq!(
            plain("$1,250.00 total"),
            "one thousand two hundred fifty dollars total"
        );
        assert_eq!(plain("only $0.99!"), "only ninety-nine cents!");
        assert_eq!(plain("$5.5 each"), "five fifty each");
        assert_eq!(plain("$5.999"), "$5.999");
        assert_eq!(plain("about $5k"), "about $5k");
        assert_eq!(plain("a $ sign"), "a $ sign");
        assert_eq!(plain("costs $12."), "costs twelve dollars.");
        assert_eq!(plain("order_number field"), "order_number field");
        assert_eq!(plain("## Hours:\n> Open 9 to 5"), "Hours: Open 9 to 5");
        assert_eq!(plain("```\ncode\n```"), "code");
        assert_eq!(plain("![logo](a.png) Acme"), "logo Acme");
        assert_eq!(plain("  lots \t of\n\n  space "), "lots of space");
        assert_eq!(
            plain("$99999999999999999999999"),
            "$99999999999999999999999"
        );
        assert_eq!(plain(""), "");
    }

    /// Reads a spoken number back; the inverse of `number_words` below ten thousand,
    /// through the street-line parser.
    fn read_back(n: u64) -> String {
        street_line_from_speech(&format!("{} main street", number_words(n)))
    }

    proptest! {
        #[test]
        fn grouping_keeps_every_character(s in "\\PC{0,40}") {
            let expected: String = identifier_chars(&s).into_iter().collect();
            for (out, max) in [(digits_grouped(&s), 5), (characters_grouped(&s), 5)] {
                let groups: Vec<&str> = out.split(", ").filter(|g| !g.is_empty()).collect();
                let rejoined: String = groups.iter().flat_map(|g| g.split(' ')).collect();
                prop_assert_eq!(&rejoined, &expected);
                for g in &groups {
                    let len = g.split(' ').count();
                    prop_assert!(len <= max, "{out:?}");
                    prop_assert!(len >= 2 || groups.len() == 1, "{out:?}");
                }
            }
        }

        #[test]
        fn spoken_numbers_read_back(n in 1u64..10_000) {
            prop_assert_eq!(read_back(n), format!("{n} Main Street"));
        }

        #[test]
        fn numbers_are_words_only(n in any::<u64>(), cents in any::<i64>(), o in any::<u32>()) {
            for s in [number_words(n), price_cents(cents), ordinal_words(o)] {
                prop_assert!(!s.is_empty());
                prop_assert!(s.chars().all(|c| c.is_ascii_lowercase() || c == ' ' || c == '-'), "{s:?}");
                prop_assert!(!s.contains("  ") && !s.starts_with(' ') && !s.ends_with(' '), "{s:?}");
            }
        }

        #[test]
        fn cards_leak_at_most_four_digits(brand in "\\PC{0,30}", digits in "\\PC{0,30}") {
            let spoken = card(&brand, &digits);
            prop_assert!(spoken.chars().filter(char::is_ascii_digit).count() <= 4);
        }

        #[test]
        fn free_text_never_panics(s in "\\PC{0,200}") {
            let street = street_line_from_speech(&s);
            prop_assert!(!street.starts_with(' ') && !street.ends_with(' '));
            let spoken = plain(&s);
            prop_assert_eq!(collapse_whitespace(&spoken), spoken);
            let _ = city_zip(&s, &s);
            let _ = list_or(&[s.clone(), s]);
        }

        #[test]
        fn word_salad_never_panics(words in proptest::collection::vec(prop_oneof![
            Just("one"), Just("oh"), Just("twenty"), Just("hundred"), Just("thousand"),
            Just("a"), Just("and"), Just("apartment"), Just("number"), Just("b"),
            Just("uh"), Just("it's"), Just("99999999999999999999"), Just("-"),
            Just("twenty-one"), Just("$"), Just("$5.99"), Just("**"), Just("["), Just("]("),
            Just(")"), Just("#"), Just("_"), Just("\n"), Just("- "),
        ], 0..40)) {
            let text = words.concat();
            let _ = street_line_from_speech(&words.join(" "));
            let _ = street_line_from_speech(&text);
            let _ = plain(&words.join(" "));
            let _ = plain(&text);
        }

        #[test]
        fn dates_never_panic(a in -100_000i32..100_000, b in -100_000i32..100_000) {
            let base = ymd(2000, 1, 1);
            let d = base + chrono::Duration::days(i64::from(a));
            let today = base + chrono::Duration::days(i64::from(b));
            let said = date(d, today);
            let far = (d - today).num_days().abs() > YEAR_HORIZON_DAYS;
            let has_year = said.matches(", ").count() == 2;
            prop_assert_eq!(has_year, far && d.year() != today.year(), "{}", said);
            prop_assert!(!relative_date(d, today).is_empty());
        }
    }

    #[test]
    fn elapsed_time_is_rounded_as_people_say_it() {
        assert_eq!(elapsed_words(0), "one minute");
        assert_eq!(elapsed_words(45), "forty-five minutes");
        assert_eq!(elapsed_words(100), "two hours");
        assert_eq!(elapsed_words(185), "three hours");
        assert_eq!(elapsed_words(60 * 47), "forty-seven hours");
        assert_eq!(elapsed_words(60 * 24 * 3 + 5), "three days");
        assert_eq!(elapsed_words(-5), "one minute");
    }
}

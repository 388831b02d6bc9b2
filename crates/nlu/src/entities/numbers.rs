//! Numbers as a recogniser prints them: number words, digits and mixtures.
//!
//! Two readings exist and both are needed. A *cardinal* ("twenty four", "a hundred and
//! fifty", "1200") is a quantity or a day. A *digit run* ("one two three", "oh seven",
//! "double five", "twelve thirty four", "1234 56789 1234") spells an identifier digit by
//! digit or group by group, and is read as the concatenation of its groups.

use super::text::is_digits;

pub(crate) use voxorder_domain::speech_text::digit_word;
use voxorder_domain::speech_text::DIGIT_HOMOPHONES;

/// "one".."nine" (no zero: "oh" is not a quantity).
pub(crate) fn unit_word(w: &str) -> Option<u64> {
    match digit_word(w) {
        Some(d) if d > 0 => Some(u64::from(d)),
        _ => None,
    }
}

/// "ten".."nineteen".
pub(crate) fn teen_word(w: &str) -> Option<u64> {
    Some(match w {
        "ten" => 10,
        "eleven" => 11,
        "twelve" => 12,
        "thirteen" => 13,
        "fourteen" => 14,
        "fifteen" => 15,
        "sixteen" => 16,
        "seventeen" => 17,
        "eighteen" => 18,
        "nineteen" => 19,
        _ => return None,
    })
}

/// "twenty".."ninety".
pub(crate) fn tens_word(w: &str) -> Option<u64> {
    Some(match w {
        "twenty" => 20,
        "thirty" => 30,
        "forty" | "fourty" => 40,
        "fifty" => 50,
        "sixty" => 60,
        "seventy" => 70,
        "eighty" => 80,
        "ninety" => 90,
        _ => return None,
    })
}

/// Ordinal words as a day of the month ("first" → 1, "twentieth" → 20); the tens part
/// of "twenty first" is handled by the caller.
pub(crate) fn ordinal_word(w: &str) -> Option<u32> {
    Some(match w {
        "first" => 1,
        "second" => 2,
        "third" => 3,
        "fourth" => 4,
        "fifth" => 5,
        "sixth" => 6,
        "seventh" => 7,
        "eighth" => 8,
        "ninth" => 9,
        "tenth" => 10,
        "eleventh" => 11,
        "twelfth" => 12,
        "thirteenth" => 13,
        "fourteenth" => 14,
        "fifteenth" => 15,
        "sixteenth" => 16,
        "seventeenth" => 17,
        "eighteenth" => 18,
        "nineteenth" => 19,
        "twentieth" => 20,
        "thirtieth" => 30,
        _ => return None,
    })
}

/// Largest value a cardinal may take; beyond it the words are not a count we accept.
const CARDINAL_MAX: u64 = 1_000_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    None,
    A,
    Unit,
    Teen,
    Tens,
    Hundred,
    Thousand,
    And,
}

/// Reads a cardinal at `words[i..]`: digits ("24"), words up to the thousands
/// ("two thousand four hundred and twelve"), "a hundred". Returns the value and how
/// many words it used. Stops where the grammar stops, so "one two three" reads 1.
pub(crate) fn parse_cardinal(words: &[String], i: usize) -> Option<(u64, usize)> {
    let first = words.get(i)?;
    if is_digits(first) {
        // Long digit strings are identifiers, not counts.
        if first.len() > 7 {
            return None;
        }
        return first.parse().ok().map(|v| (v, 1));
    }
    let (mut total, mut cur) = (0u64, 0u64);
    let mut last = Last::None;
    let mut j = i;
    while let Some(w) = words.get(j) {
        let w = w.as_str();
        let next_is_number = words.get(j + 1).is_some_and(|n| {
            unit_word(n).is_some() || teen_word(n).is_some() || tens_word(n).is_some()
        });
        let starts_fresh = matches!(
            last,
            Last::None | Last::Hundred | Last::Thousand | Last::And
        );
        if let Some(v) = unit_word(w).filter(|_| starts_fresh || last == Last::Tens) {
            cur += v;
            last = Last::Unit;
        } else if let Some(v) = teen_word(w).filter(|_| starts_fresh) {
            cur += v;
            last = Last::Teen;
        } else if let Some(v) = tens_word(w).filter(|_| starts_fresh) {
            cur += v;
            last = Last::Tens;
        } else if w == "hundred"
            && matches!(last, Last::A | Last::Unit | Last::Teen)
            && !cur.is_multiple_of(100)
        {
            cur = (cur - cur % 100) + (cur % 100) * 100;
            last = Last::Hundred;
        } else if w == "thousand"
            && matches!(
                last,
                Last::A | Last::Unit | Last::Teen | Last::Tens | Last::Hundred
            )
        {
            total += cur.max(1) * 1000;
            cur = 0;
            last = Last::Thousand;
        } else if w == "and" && matches!(last, Last::Hundred | Last::Thousand) && next_is_number {
            last = Last::And;
        } else if w == "a"
            && last == Last::None
            && words
                .get(j + 1)
                .is_some_and(|n| n == "hundred" || n == "thousand")
        {
            cur = 1;
            last = Last::A;
        } else {
            break;
        }
        j += 1;
        if total + cur > CARDINAL_MAX {
            return None;
        }
    }
    if matches!(last, Last::None | Last::A | Last::And) {
        return None;
    }
    Some((total + cur, j - i))
}

/// A stretch of words spelling digits: an identifier candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DigitRun {
    /// First word of the run.
    pub start: usize,
    /// One past the last word.
    pub end: usize,
    pub digits: String,
    /// Groups it was spoken in ("12 34 56" has 3; "one two three" has 3; "1234" has 1).
    pub items: usize,
    /// Where the last group starts, with the digits before it, so a trailing quantity
    /// ("... three four two bags") can be given back.
    pub last_item: (usize, usize),
    /// The last group was a single spoken number word ("two"), which may be a count.
    pub last_is_word: bool,
}

impl DigitRun {
    /// The run said after this one, joined on: its digits follow these.
    pub(crate) fn append(&mut self, next: DigitRun) {
        let at = self.digits.len();
        self.digits.push_str(&next.digits);
        self.end = next.end;
        self.items += next.items;
        self.last_item = (next.last_item.0, next.last_item.1 + at);
        self.last_is_word = next.last_is_word;
    }

    /// A run said before this one that belongs after it ("555 0199, and the area code is
    /// 512"): its digits follow these, and the number spans both from where it was said.
    pub(crate) fn append_said_before(&mut self, earlier: DigitRun) {
        let (start, end) = (earlier.start, self.end);
        self.append(earlier);
        (self.start, self.end) = (start, end);
    }
}

/// One group at `words[j..]`: its digits and the words it used.
fn digit_item(words: &[String], j: usize) -> Option<(String, usize)> {
    let w = words.get(j)?.as_str();
    if is_digits(w) {
        return Some((w.to_string(), 1));
    }
    if let Some(times) = match w {
        "double" => Some(2),
        "triple" | "treble" => Some(3),
        _ => None,
    } {
        let next = words.get(j + 1)?;
        // A recogniser writes "triple two four eight" as "triple 248": the repeat
        // applies to the first digit of the group.
        let (d, rest) = match digit_word(next) {
            Some(d) => (char::from(b'0' + d), ""),
            None if is_digits(next) => (next.chars().next()?, &next[1..]),
            None => return None,
        };
        let mut digits: String = std::iter::repeat_n(d, times).collect();
        digits.push_str(rest);
        return Some((digits, 2));
    }
    // "one thousand", "two thousand and five", "twelve thousand three hundred": a group
    // said as a whole number with a thousands word is its value written out, so "one
    // thousand, zero zero zero" is 1000 then 000.
    if unit_word(w)
        .or_else(|| teen_word(w))
        .or_else(|| tens_word(w))
        .is_some()
    {
        if let Some((v, used)) = parse_cardinal(words, j) {
            if words[j..j + used].iter().any(|n| n == "thousand") {
                return Some((v.to_string(), used));
            }
        }
    }
    if let Some(v) = teen_word(w).or_else(|| unit_word(w)) {
        // "five hundred", "five hundred and twelve": three digits.
        if words.get(j + 1).is_some_and(|n| n == "hundred") {
            let mut used = 2;
            if words.get(j + 2).is_some_and(|n| n == "and") {
                used = 3;
            }
            if let Some((rest, n)) = below_hundred(words, j + used) {
                return Some((format!("{}", v * 100 + rest), used + n));
            }
            return Some((format!("{}", v * 100), 2));
        }
        return Some((v.to_string(), 1));
    }
    if let Some(d) = digit_word(w) {
        return Some((char::from(b'0' + d).to_string(), 1));
    }
    if let Some((v, n)) = below_hundred(words, j) {
        return Some((v.to_string(), n));
    }
    None
}

/// "twenty", "twenty four", "seventeen", "six": a value below one hundred.
fn below_hundred(words: &[String], j: usize) -> Option<(u64, usize)> {
    let w = words.get(j)?;
    if let Some(t) = tens_word(w) {
        if let Some(u) = words.get(j + 1).and_then(|n| unit_word(n)) {
            return Some((t + u, 2));
        }
        return Some((t, 1));
    }
    teen_word(w).or_else(|| unit_word(w)).map(|v| (v, 1))
}

/// Words after which "one" is a pronoun ("the same one", "that one", "the blue one"),
/// not a digit.
fn makes_one_a_pronoun(w: &str) -> bool {
    matches!(
        w,
        "same"
            | "this"
            | "that"
            | "the"
            | "other"
            | "another"
            | "which"
            | "each"
            | "every"
            | "new"
            | "old"
            | "last"
            | "next"
            | "first"
            | "right"
            | "wrong"
            | "any"
            | "no"
            | "either"
            | "neither"
            | "only"
            | "little"
            | "big"
            | "small"
            | "large"
            | "good"
            | "better"
            | "a"
    )
}

/// True for the words that only mean zero inside a run ("oh", "o"): alone they are an
/// interjection or a letter.
fn is_weak_zero(w: &str) -> bool {
    matches!(w, "oh" | "o")
}

/// The digits of an order number.
const ORDER_NUMBER_DIGITS: usize = 13;

/// Every maximal digit run in `words`, skipping words already `taken` by another
/// extractor (a run never crosses a taken word).
pub(crate) fn digit_runs(words: &[String], taken: &[bool]) -> Vec<DigitRun> {
    let mut runs = Vec::new();
    let mut j = 0;
    while j < words.len() {
        if taken.get(j).copied().unwrap_or(true) {
            j += 1;
            continue;
        }
        if words[j] == "one" && j > 0 && makes_one_a_pronoun(&words[j - 1]) {
            j += 1;
            continue;
        }
        // A digit homophone ("to", "for") is a digit only where reading it so makes an
        // order number's thirteen digits: "3 to 813 90571 301", "order to 444780077661".
        // Anywhere else it is the word it looks like ("2 to 3 days", "order for 2").
        let read = match read_run(words, taken, j, true) {
            Some(r) if r.homophones > 0 && r.run.digits.len() != ORDER_NUMBER_DIGITS => {
                read_run(words, taken, j, false)
            }
            other => other,
        };
        let Some(read) = read else {
            j += 1;
            continue;
        };
        j = read.run.end;
        if read.strong && !(read.scaled && read.run.items == 1) {
            runs.push(read.run);
        }
    }
    runs
}

/// One run read from `words[start..]`, with what decides whether it is kept.
struct RunRead {
    run: DigitRun,
    /// Some group is more than a weak zero ("oh" alone is an interjection).
    strong: bool,
    /// The run opened with a "thousand" group: alone, that is a count ("ten thousand
    /// points"), not an identifier.
    scaled: bool,
    /// Digit homophones read as digits.
    homophones: usize,
}

/// The digit run at `words[start..]`, or None when no group starts there. With
/// `homophones`, a digit homophone between two groups, or between an order word and a
/// group, is read as its digit.
fn read_run(words: &[String], taken: &[bool], start: usize, homophones: bool) -> Option<RunRead> {
    let free = |k: usize| !taken.get(k).copied().unwrap_or(true);
    let homophone_digit = |k: usize| -> Option<char> {
        let said = words.get(k)?;
        let (_, word) = DIGIT_HOMOPHONES.iter().find(|(w, _)| w == said)?;
        digit_word(word).map(|d| char::from(b'0' + d))
    };
    let homophone_at = |k: usize| -> Option<(String, usize)> {
        // "double to 381": a repeat of the digit a homophone stands for.
        let times = match words[k].as_str() {
            "double" => 2,
            "triple" | "treble" => 3,
            _ => 1,
        };
        let at = if times > 1 { k + 1 } else { k };
        let digit = homophone_digit(at).filter(|_| free(at))?;
        let next_is_a_group = free(at + 1) && digit_item(words, at + 1).is_some();
        let last = at + 1 == words.len() || !free(at + 1);
        (next_is_a_group || (times > 1 && last))
            .then(|| (std::iter::repeat_n(digit, times).collect(), at + 1 - k))
    };
    let opens_after_an_order_word =
        start > 0 && matches!(words[start - 1].as_str(), "order" | "number" | "is");
    let mut j = start;
    let mut digits = String::new();
    let mut items = 0;
    let mut strong = false;
    let mut scaled = false;
    let mut used_homophones = 0;
    let mut last_item = (start, 0);
    let mut last_is_word = false;
    // A typed block of ten digits or more is a whole identifier: "9336855689446 83702"
    // is an order number and a zip, not one eighteen-digit number.
    let whole = |w: &str| is_digits(w) && w.len() >= 10;
    let mut last_whole = false;
    while j < words.len() && free(j) {
        let item = match digit_item(words, j) {
            Some(item) => Some((item, false)),
            None if homophones && (items > 0 || opens_after_an_order_word) => {
                homophone_at(j).map(|item| (item, true))
            }
            None => None,
        };
        let Some(((d, used), is_homophone)) = item else {
            break;
        };
        if (j..j + used).any(|k| !free(k)) {
            break;
        }
        let this_whole = used == 1 && whole(&words[j]);
        // "303 5072990601": the recogniser wrote an order number's first group apart
        // from the rest, and together they are exactly an order number's thirteen
        // digits, which no phone or zip before a phone makes.
        let completes_an_order_number = this_whole
            && !last_whole
            && digits.len() < 10
            && digits.len() + words[j].len() == ORDER_NUMBER_DIGITS;
        // "83466431971. Double 3": the recogniser ended a sentence inside the number,
        // and the last group said after the block makes exactly thirteen digits.
        let ends_an_order_number = last_whole
            && items == 1
            && !this_whole
            && digits.len() > 10
            && digits.len() + d.len() == ORDER_NUMBER_DIGITS;
        if items > 0
            && (last_whole || this_whole)
            && !completes_an_order_number
            && !ends_an_order_number
        {
            break;
        }
        last_whole = this_whole;
        strong |= !is_weak_zero(&words[j]);
        scaled |= items == 0 && words[j..j + used].iter().any(|n| n == "thousand");
        used_homophones += usize::from(is_homophone);
        last_item = (j, digits.len());
        last_is_word = used == 1 && !is_digits(&words[j]) && !is_homophone;
        digits.push_str(&d);
        items += 1;
        j += used;
    }
    if items == 0 {
        return None;
    }
    Some(RunRead {
        run: DigitRun {
            start,
            end: j,
            digits,
            items,
            last_item,
            last_is_word,
        },
        strong,
        scaled,
        homophones: used_homophones,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::text::tokenize;
    use proptest::prelude::*;

    fn card(s: &str) -> Option<(u64, usize)> {
        parse_cardinal(&tokenize(s), 0)
    }

    fn runs(s: &str) -> Vec<String> {
        let w = tokenize(s);
        digit_runs(&w, &vec![false; w.len()])
            .into_iter()
            .map(|r| r.digits)
            .collect()
    }

    #[test]
    fn a_digit_homophone_is_a_digit_only_where_it_makes_an_order_number() {
        assert_eq!(runs("order number 3 to 813-90571 301"), ["3281390571301"]);
        assert_eq!(runs("it's order to 444780077661"), ["2444780077661"]);
        assert_eq!(
            runs("the number is 5624, 059, 1 double to 381"),
            ["5624059122381"]
        );
        assert_eq!(runs("I paid double for this"), Vec::<String>::new());
        assert_eq!(
            runs("it's order 9381, double 6 to, double 3o, 736"),
            ["9381662330736"]
        );
        // Anywhere else the word is the word it looks like.
        assert_eq!(runs("2 to 3 days"), ["2", "3"]);
        assert_eq!(runs("order for 2 please"), ["2"]);
        assert_eq!(runs("10 to 12 of them"), ["10", "12"]);
        assert_eq!(
            runs("order 1234567890123 for 2 of them"),
            ["1234567890123", "2"]
        );
    }

    #[test]
    fn a_group_said_after_a_sentence_break_ends_an_order_number() {
        assert_eq!(
            runs("order number 83466431971. Double 3"),
            ["8346643197133"]
        );
        assert_eq!(runs("944365029631. 0"), ["9443650296310"]);
        // A phone's ten digits and a count stay apart.
        assert_eq!(runs("5125550199 3"), ["5125550199", "3"]);
        assert_eq!(runs("1234567890123 4"), ["1234567890123", "4"]);
    }

    #[test]
    fn a_typed_block_of_ten_digits_or_more_stands_alone() {
        assert_eq!(runs("9336855689446 83702"), ["9336855689446", "83702"]);
        assert_eq!(runs("78701 5125550199"), ["78701", "5125550199"]);
        assert_eq!(runs("1000 00000 0028"), ["1000000000028"]);
        assert_eq!(runs("one two 34"), ["1234"]);
        // A first group written apart that makes an order number with the block.
        assert_eq!(runs("it's 303 5072990601"), ["3035072990601"]);
        assert_eq!(runs("2 5125550199"), ["2", "5125550199"]);
        assert_eq!(runs("5125550199 303"), ["5125550199", "303"]);
    }

    #[test]
    fn cardinals() {
        assert_eq!(card("seven"), Some((7, 1)));
        assert_eq!(card("twenty four cans"), Some((24, 2)));
        assert_eq!(card("a hundred"), Some((100, 2)));
        assert_eq!(card("one hundred and fifty"), Some((150, 4)));
        assert_eq!(
            card("two thousand four hundred and twelve"),
            Some((2412, 6))
        );
        assert_eq!(card("fifteen hundred"), Some((1500, 2)));
        assert_eq!(card("three thousand"), Some((3000, 2)));
        assert_eq!(card("a thousand"), Some((1000, 2)));
        assert_eq!(card("one two three"), Some((1, 1)));
        assert_eq!(card("24"), Some((24, 1)));
        assert_eq!(card("twelve thirty"), Some((12, 1)));
        assert_eq!(card("a"), None);
        assert_eq!(card("and"), None);
        assert_eq!(card("oh"), None);
        assert_eq!(card("hundred"), None);
        assert_eq!(card("12345678"), None);
    }

    #[test]
    fn spoken_digit_runs() {
        assert_eq!(
            runs("one two three four five six seven eight nine one two three four"),
            ["1234567891234"]
        );
        assert_eq!(runs("1234 56789 1234"), ["1234567891234"]);
        assert_eq!(runs("order 12 34 56"), ["123456"]);
        assert_eq!(runs("double five two oh nine"), ["55209"]);
        assert_eq!(runs("triple two"), ["222"]);
        assert_eq!(runs("twelve thirty four"), ["1234"]);
        assert_eq!(runs("nine four one oh seven"), ["94107"]);
        assert_eq!(runs("it's um one two three"), ["123"]);
        assert_eq!(runs("five hundred and twelve"), ["512"]);
        assert_eq!(runs("ninety two thirty one"), ["9231"]);
        assert_eq!(runs("double 5 seven"), ["557"]);
        assert_eq!(runs("triple 24891630572"), ["2224891630572"]);
        assert_eq!(runs("double 25"), ["225"]);
    }

    #[test]
    fn groups_said_with_thousands_are_written_out() {
        assert_eq!(
            runs("one thousand, zero zero zero, zero zero zero, zero one one"),
            ["1000000000011"]
        );
        assert_eq!(
            runs("one thousand zero zero zero zero zero zero zero one one"),
            ["1000000000011"]
        );
        assert_eq!(runs("two thousand and five, one two"), ["200512"]);
        assert_eq!(
            runs("twelve thousand three hundred and four 56"),
            ["1230456"]
        );
        assert_eq!(runs("4 one thousand"), ["41000"]);
        assert_eq!(runs("nineteen thousand eighty four, oh oh"), ["1908400"]);
        assert_eq!(runs("one thousand oh oh one"), ["1000001"]);
        assert_eq!(runs("twelve thirty-four fifty-six"), ["123456"]);
        assert_eq!(runs("seven eight seven oh one"), ["78701"]);
        // A thousands group alone is a count.
        assert_eq!(runs("ten thousand"), Vec::<String>::new());
        assert_eq!(runs("two thousand and twelve"), Vec::<String>::new());
    }

    #[test]
    fn one_after_a_determiner_is_a_pronoun() {
        assert_eq!(runs("same one, zero two one three nine"), ["02139"]);
        assert_eq!(runs("that one, seven eight seven oh one"), ["78701"]);
        assert_eq!(runs("the other one is 1234567891234"), ["1234567891234"]);
        assert_eq!(runs("which one"), Vec::<String>::new());
        // Inside a run, and at its start, "one" stays a digit.
        assert_eq!(runs("one zero zero zero one"), ["10001"]);
        assert_eq!(runs("it is one two three"), ["123"]);
        assert_eq!(runs("zip one oh one two three"), ["10123"]);
    }

    #[test]
    fn runs_break_on_words_and_ignore_lone_oh() {
        assert_eq!(runs("one two and three four"), ["12", "34"]);
        assert_eq!(runs("oh i see"), Vec::<String>::new());
        assert_eq!(runs("oh oh"), Vec::<String>::new());
        assert_eq!(runs("double trouble"), Vec::<String>::new());
        assert_eq!(runs(""), Vec::<String>::new());
    }

    #[test]
    fn taken_words_split_runs() {
        let w = tokenize("one two three four");
        let taken = [false, false, true, false];
        let r: Vec<String> = digit_runs(&w, &taken)
            .into_iter()
            .map(|r| r.digits)
            .collect();
        assert_eq!(r, ["12", "4"]);
    }

    const NAMES: [&str; 10] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];

    proptest! {
        #[test]
        fn digits_spoken_one_by_one_round_trip(digits in "[0-9]{1,24}", oh in any::<bool>()) {
            let spoken: Vec<&str> = digits
                .bytes()
                .enumerate()
                .map(|(i, b)| match b - b'0' {
                    // A lone leading "oh" is an interjection, so only later zeros use it.
                    0 if oh && i > 0 => "oh",
                    d => NAMES[usize::from(d)],
                })
                .collect();
            let got = runs(&spoken.join(" "));
            prop_assert_eq!(got, vec![digits]);
        }

        #[test]
        fn digit_groups_round_trip(groups in proptest::collection::vec("[0-9]{1,5}", 1..6)) {
            let got = runs(&groups.join(" "));
            prop_assert_eq!(got, vec![groups.concat()]);
        }

        #[test]
        fn cardinal_words_round_trip(n in 1u64..10_000) {
            let got = card(&spell(n));
            prop_assert_eq!(got.map(|(v, _)| v), Some(n));
        }
    }

    /// Spells `n` the way people say counts, with the British "and" before the last two
    /// digits ("one thousand two hundred and twelve"), from the agent's own spelling.
    fn spell(n: u64) -> String {
        let words = voxorder_domain::speech_text::number_words(n).replace('-', " ");
        if n < 100 || n.is_multiple_of(100) {
            return words;
        }
        let tail = voxorder_domain::speech_text::number_words(n % 100).replace('-', " ");
        let head = words.strip_suffix(&tail).unwrap_or(&words).trim_end();
        format!("{head} and {tail}")
    }
}

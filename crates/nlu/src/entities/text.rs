//! Tokenisation shared by every entity extractor: the transcript is lower-cased, split
//! once into words, contractions expanded and hesitation fillers dropped, so each
//! extractor scans the same `&[String]` instead of re-parsing the text.
//!
//! A few shapes stay whole because splitting them would lose their meaning: numeric
//! dates (`3/20`, `2026-03-20`), clock times (`10:30`) and ordinals (`20th`).

/// Stands in for a chunk no extractor may read: an email already taken (so digits inside
/// it never join a neighbouring digit run) or an oversized chunk. The tokeniser never
/// produces `<` itself.
pub(crate) const OPAQUE: &str = "<opaque>";

/// Only the first this-many whitespace-separated chunks of a transcript are read. A
/// minute of speech is under 200 words; the bound keeps the cost of absurd input (100 KB
/// of text) small and flat instead of merely linear.
pub(crate) const MAX_CHUNKS: usize = 400;

/// Longer chunks are not words, numbers or emails (an email is at most 254 bytes).
pub(crate) const MAX_CHUNK_BYTES: usize = 254;

/// Hesitations a recogniser prints between digits and words; they carry no meaning.
const FILLERS: &[&str] = &[
    "um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "ahh", "hmm", "mm", "mmm", "eh",
];

/// Contractions whose expansion the extractors rely on ("doesn't fit", "won't be home").
const CONTRACTIONS: &[(&str, &str)] = &[
    ("can't", "can not"),
    ("cannot", "can not"),
    ("won't", "will not"),
    ("shan't", "shall not"),
    ("ain't", "is not"),
    ("it's", "it is"),
    ("that's", "that is"),
    ("what's", "what is"),
    ("there's", "there is"),
    ("here's", "here is"),
    ("where's", "where is"),
    ("who's", "who is"),
    ("he's", "he is"),
    ("she's", "she is"),
    ("let's", "let us"),
    ("i'm", "i am"),
];

/// Splits `text` (already lower-cased by the caller or not) into normalised words.
pub(crate) fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in text.split_whitespace() {
        push_chunk(&chunk.to_lowercase(), &mut out);
    }
    out
}

/// Tokenises one whitespace-separated chunk, appending its words to `out`.
pub(crate) fn push_chunk(chunk: &str, out: &mut Vec<String>) {
    let chunk = chunk.replace(['\u{2019}', '\u{2018}', '`'], "'");
    let trimmed = chunk.trim_matches(|c: char| !c.is_alphanumeric());
    if trimmed.is_empty() {
        return;
    }
    // "$50" is said "fifty dollars": the sign is a word, which tells a price from a count
    // ("two $50 gift cards").
    let priced = chunk
        .trim_start_matches(|c: char| !c.is_alphanumeric() && c != '$')
        .strip_prefix('$')
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
    if priced {
        push_chunk(trimmed, out);
        out.push("dollars".to_string());
        return;
    }
    if is_kept_whole(trimmed) {
        out.push(trimmed.to_string());
        return;
    }
    if let Some(identifier) = identifier_with_points(trimmed) {
        out.push(identifier);
        return;
    }
    let without_thousands = strip_digit_commas(trimmed);
    for piece in without_thousands.split(|c: char| !(c.is_alphanumeric() || c == '\'')) {
        let piece = piece.trim_matches('\'');
        if !piece.is_empty() {
            push_piece(piece, out);
        }
    }
}

/// `3/20`, `3/20/2026`, `2026-03-20`, `10:30`: shapes the date and time readers parse.
fn is_kept_whole(s: &str) -> bool {
    let parts = |sep: char| -> Vec<&str> { s.split(sep).collect() };
    let all_digits = |p: &[&str]| {
        p.iter()
            .all(|x| !x.is_empty() && x.len() <= 4 && x.bytes().all(|b| b.is_ascii_digit()))
    };
    let slash = parts('/');
    if (slash.len() == 2 || slash.len() == 3) && all_digits(&slash) {
        return true;
    }
    let dash = parts('-');
    // "2047-5518-339" is an order number read out in groups, not a date.
    if dash.len() == 3
        && all_digits(&dash)
        && dash[0].len() == 4
        && dash[1].len() <= 2
        && dash[2].len() <= 2
    {
        return true;
    }
    let colon = parts(':');
    colon.len() == 2 && all_digits(&colon) && colon[1].len() == 2
}

/// "105.5903638692", "2111-835607621": an order number or a phone written by the
/// recogniser with a point or a dash between its groups, as if it were a decimal. A
/// decimal or a price never has ten digits; an identifier has ten to thirteen. None for
/// anything else.
fn identifier_with_points(s: &str) -> Option<String> {
    let groups: Vec<&str> = s.split(['.', '-']).collect();
    let digits: String = groups.concat();
    let shaped = groups.len() >= 2
        && groups
            .iter()
            .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
        && (10..=13).contains(&digits.len());
    shaped.then_some(digits)
}

/// "1,000" → "1000": a comma between digits groups thousands, it does not split numbers.
fn strip_digit_commas(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        let between_digits = c == ','
            && i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if !between_digits {
            out.push(c);
        }
    }
    out
}

/// One alphanumeric piece: expands contractions, splits "6pm" into "6 pm" (but keeps
/// "20th"), drops fillers and possessive "'s".
fn push_piece(piece: &str, out: &mut Vec<String>) {
    // "dont", "wasnt": a contraction without its apostrophe is read as with it.
    if let Some((_, with)) = voxorder_domain::phrases::BARE_CONTRACTIONS
        .iter()
        .find(|(bare, _)| *bare == piece)
    {
        return push_piece(with, out);
    }
    if let Some((_, expansion)) = CONTRACTIONS.iter().find(|(c, _)| *c == piece) {
        out.extend(expansion.split(' ').map(str::to_string));
        return;
    }
    if piece.contains('\'') {
        if let Some(base) = piece.strip_suffix("n't") {
            out.push(base.to_string());
            out.push("not".to_string());
            return;
        }
        for (suffix, word) in [
            ("'ll", "will"),
            ("'re", "are"),
            ("'ve", "have"),
            ("'d", "would"),
        ] {
            if let Some(base) = piece.strip_suffix(suffix) {
                push_piece(base, out);
                out.push(word.to_string());
                return;
            }
        }
        // Possessive ("wednesday's", "order's"): the owner is the word that matters.
        let base = piece.strip_suffix("'s").unwrap_or(piece);
        let joined: String = base.chars().filter(|&c| c != '\'').collect();
        if !joined.is_empty() {
            push_piece(&joined, out);
        }
        return;
    }
    if FILLERS.contains(&piece) {
        return;
    }
    split_digits_letters(piece, out);
}

/// "6pm" → "6" "pm", "2xl" → "2" "xl", "1kg" → "1" "kg"; "20th", "1st" stay whole.
fn split_digits_letters(piece: &str, out: &mut Vec<String>) {
    if is_digit_ordinal(piece) {
        out.push(piece.to_string());
        return;
    }
    let mut current = String::new();
    let mut current_is_digit = None;
    for c in piece.chars() {
        let d = c.is_ascii_digit();
        if current_is_digit.is_some_and(|cd| cd != d) {
            out.push(std::mem::take(&mut current));
        }
        current.push(c);
        current_is_digit = Some(d);
    }
    if !current.is_empty() {
        out.push(current);
    }
}

/// "1st", "22nd", "3rd", "20th".
pub(crate) fn is_digit_ordinal(w: &str) -> bool {
    digit_ordinal_value(w).is_some()
}

/// The value of a digit ordinal ("20th" → 20).
pub(crate) fn digit_ordinal_value(w: &str) -> Option<u32> {
    let split = w.find(|c: char| !c.is_ascii_digit())?;
    let (num, suffix) = w.split_at(split);
    if num.is_empty() || num.len() > 3 || !matches!(suffix, "st" | "nd" | "rd" | "th") {
        return None;
    }
    num.parse().ok()
}

/// True when `w` is non-empty and all ASCII digits.
pub(crate) fn is_digits(w: &str) -> bool {
    !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit())
}

/// Whether the words `phrase` (space separated) occur at `words[i..]`.
pub(crate) fn words_at(words: &[String], i: usize, phrase: &str) -> bool {
    let mut j = i;
    for p in phrase.split(' ') {
        match words.get(j) {
            Some(w) if w == p => j += 1,
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Vec<String> {
        tokenize(s)
    }

    #[test]
    fn lower_cases_and_strips_punctuation() {
        assert_eq!(t("Hello, World!"), ["hello", "world"]);
        assert_eq!(t("  "), Vec::<String>::new());
        assert_eq!(t("t-shirt"), ["t", "shirt"]);
    }

    #[test]
    fn expands_contractions_and_drops_fillers() {
        assert_eq!(t("it doesn't fit"), ["it", "does", "not", "fit"]);
        assert_eq!(t("I won't be home"), ["i", "will", "not", "be", "home"]);
        assert_eq!(t("it wasnt there"), ["it", "was", "not", "there"]);
        assert_eq!(t("im away"), ["i", "am", "away"]);
        assert_eq!(t("it's um one uh two"), ["it", "is", "one", "two"]);
        assert_eq!(t("i'll take it"), ["i", "will", "take", "it"]);
        assert_eq!(t("wednesday's no good"), ["wednesday", "no", "good"]);
        assert_eq!(t("can\u{2019}t"), ["can", "not"]);
    }

    #[test]
    fn keeps_dates_times_and_ordinals_whole() {
        assert_eq!(t("on 3/20 please"), ["on", "3/20", "please"]);
        assert_eq!(t("2026-03-20"), ["2026-03-20"]);
        assert_eq!(t("at 10:30."), ["at", "10:30"]);
        assert_eq!(t("the 20th"), ["the", "20th"]);
        assert_eq!(t("6pm"), ["6", "pm"]);
        assert_eq!(t("2xl"), ["2", "xl"]);
        assert_eq!(t("1,000 bags"), ["1000", "bags"]);
        // Identifiers written with dashes or points are one number; decimals are not.
        assert_eq!(t("512-555-0199"), ["5125550199"]);
        assert_eq!(t("2047-5518-339"), ["20475518339"]);
        assert_eq!(t("it is 105.5903638692"), ["it", "is", "1055903638692"]);
        assert_eq!(t("19.99"), ["19", "99"]);
        assert_eq!(t("555-0199"), ["555", "0199"]);
    }

    #[test]
    fn odd_input_is_harmless() {
        assert_eq!(t("'; drop table orders; --"), ["drop", "table", "orders"]);
        assert_eq!(t("\u{1F600}\u{1F600} ok"), ["ok"]);
        assert_eq!(t("'''"), Vec::<String>::new());
        assert_eq!(t("$(rm -rf /)"), ["rm", "rf"]);
    }

    #[test]
    fn digit_ordinals() {
        assert_eq!(digit_ordinal_value("20th"), Some(20));
        assert_eq!(digit_ordinal_value("1st"), Some(1));
        assert_eq!(digit_ordinal_value("th"), None);
        assert_eq!(digit_ordinal_value("20x"), None);
    }
}

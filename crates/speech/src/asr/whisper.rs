//! The whisper.cpp recogniser (through whisper-rs): one model loaded once, greedy
//! decoding sized to the utterance, biasing from what the dialog expects, and the guards
//! against text whisper invents on silence or noise.
//!
//! Biasing. whisper-rs 0.16's `FullParams::set_grammar` hands whisper.cpp a pointer to the
//! element array where whisper.cpp reads an array of *rule pointers*
//! (`const whisper_grammar_element **`), so any grammar set through it makes whisper.cpp
//! dereference element bytes as addresses. It cannot be used. A logits filter does the
//! same and can count, which a grammar cannot (`use_grammar`):
//! - digits: until the first digit, a fixed penalty on words other than lead-ins ("um",
//!   "yeah", "it's"; the caller may say "my order number is …"); from the first digit
//!   on, every token that is not digits, a number word ("four", "seventeen", "seventy",
//!   "hundred", "double") or a separator is impossible, no digit past the expected
//!   count, and no end of text before it; decoded with beam search. "double" and
//!   "triple" get a logit bonus wherever the count has room for them
//!   ([`REPEAT_BONUS`]): held to digits, tiny.en wrote a spoken "five double six" as
//!   "5.06" or "5 2 6", and numbers said with a repeat were most of its digit misses.
//!   Number words count as the digits they write ("seventy four" two, "twenty twenty"
//!   four). Afterwards digit homophones ("to", "for", "ate") are read as digits and
//!   spoken groups are written as digits ("seventy four eighty three" → "7483"). When
//!   the device knows numbers of the expected length (the store's order numbers) and
//!   the one heard is not among them, a second decoding may only write known ones, and
//!   wins when the decoder is about as sure of it (`KNOWN_NUMBER_MARGIN`).
//! - a number or words (the identity question: a zip, a phone or an email): decoded
//!   freely; a reading that is a number is written as the digits a listener hears, and
//!   one of no expected length is mended (a block said again, an "oh" heard as "of")
//!   or decoded again held to digits. A count the clip is too short to say is a loop,
//!   not a longer number (`MAX_DIGITS_PER_SECOND`).
//! - free speech that names an order number ("where's my order? order number 983 702")
//!   with too few digits: decoded again with the words before the number forced as
//!   heard and the number held to the store's length, words free again once it is
//!   whole; kept when the decoder is sure enough of it (`NAMED_NUMBER_MIN_LOGPROB`).
//! - short answers (yes/no turns): decoded freely first (with a bonus for yes/no words
//!   on the first token); when that gives a few words that are not one of the locale's
//!   short answers, a second decoding may only follow the tokens of those answers, and
//!   its best is taken when the decoder's own mean log-probability for it clears
//!   [`CLOSED_SET_MIN_LOGPROB`] and is close to the free text's.
//!   The closed set replaces only free text spelled like the answer ("yet" for "yes"),
//!   never words of the caller's own that the set lacks ("not quite", "come again").
//! - phrases: an initial prompt only.
//!
//! Threads. whisper.cpp's workers spin-wait for each other: a decoding uses no more
//! threads than the cores other runnable processes leave free (`/proc/loadavg`).
//!
//! Loops. tiny.en repeats itself on short clips ("operators operators …"): a word
//! repeated more times in a row than any answer holds is cut to one.
//!
//! Noise. There is no noise-suppression front end: RNNoise (`nnnoiseless` 0.5, 16 → 48 →
//! 16 kHz, its delay trimmed) before tiny.en, measured clip by clip on the spoken set's
//! 13-digit order numbers with the store's numbers known (61 clips per condition), took
//! 10 dB white noise from 43 to 30 exact (4 fixed, 17 broken) and 5 dB from 24 to 17,
//! for +2 clean and +1 in 10 dB babble: tiny.en hears the raw noise better than RNNoise's
//! output.
//!
//! Long audio. whisper sees at most 30 s at once; longer audio is transcribed in
//! consecutive 30 s windows whose texts are joined. A word cut at a window edge may be
//! lost; the endpointer keeps utterances far shorter (`speech.vad.max_utterance_seconds`).

// whisper-rs exposes its logits filter and its log hook only as raw C callbacks; the
// unsafe code is those callbacks and their pointer conversions below.
#![allow(unsafe_code)]

use std::collections::BTreeSet;
use std::ffi::{c_char, c_int, c_uint, c_void, CStr};
use std::ops::{Bound, RangeInclusive};
use std::path::Path;
use std::sync::Once;
use std::time::Instant;

use whisper_rs::{
    FullParams, GGMLLogLevel, SamplingStrategy, WhisperContext, WhisperContextParameters,
    WhisperState, WhisperSysContext, WhisperSysState, WhisperTokenData,
};

use super::convert::validate_ggml;
use super::{AsrError, Expect, Recognizer, Transcript};
use voxorder_config::AsrConfig;
use voxorder_domain::speech_text::DIGIT_HOMOPHONES;

const SAMPLE_RATE: usize = 16_000;
/// whisper's window.
const WINDOW_SAMPLES: usize = 30 * SAMPLE_RATE;
/// whisper transcribes clips under a second poorly (and refuses under 100 ms); shorter
/// audio is padded with silence to this length.
const MIN_SAMPLES: usize = SAMPLE_RATE * 6 / 5;
/// Encoder frames per second of audio.
const FRAMES_PER_SECOND: f64 = 50.0;
/// Extra encoder frames (20 ms each) beyond the audio. A first measurement chose +64; on the
/// espeak-ng clips of `asr::tests::measure` +192 got 6/8 short sentences and yes/no
/// answers exactly against 5/8 for +64 (the 1.2 s "where is my order" came out as "where
/// it's my order" with +64, right with +192 and with the full window), digits equal
/// (6/8), at still a fraction of the full window's cost.
pub(crate) const AUDIO_CTX_MARGIN: i32 = 192;
/// Logit penalty on text tokens that do not fit an expected number.
const DIGIT_PENALTY: f32 = 2.0;
/// Logit bonus for yes/no words as the first word of an answer.
const YES_NO_BONUS: f32 = 3.0;
const DIGIT_WORDS: [&str; 12] = [
    "zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "o",
];
/// Number words said in groups ("seventeen", "seventy four eighty three"): allowed inside
/// a number and written as digits afterwards ([`digits_for_number_words`]).
const TEEN_WORDS: &[&str] = voxorder_domain::speech_text::SMALL.split_at(10).1;
const TENS_WORDS: &[&str] = voxorder_domain::speech_text::TENS.split_at(2).1;
/// Words tiny.en writes for a spoken digit in free decoding that the digit filter does not
/// allow: read as the digit inside a number only ("8 at 5" is 885; "at gmail" stays).
const READ_HOMOPHONES: [(&str, &str); 3] = [("at", "eight"), ("free", "three"), ("tree", "three")];
/// "double 5", "triple 0": allowed inside a number, counted as the digits they add.
const DIGIT_REPEATS: [(&str, u8); 2] = [("double", 1), ("triple", 2)];
/// Logit bonus for "double" and "triple" on a digit turn, wherever the count leaves room
/// for them. Under the hard digit filter tiny.en writes a spoken "double six" as "06",
/// ".06" or "2 6" far more often than as "double 6": without the bonus 35 of 36 clean
/// misses on the spoken set's order numbers, zips and phones (127 clips, every 8th, 11
/// voices) were numbers said with a repeat. With +3 the set went from 91 to 104 exact
/// clean and from 57 to 72 at 10 dB white noise (fixed 20 and 23, broken 7 and 8 clip by
/// clip; +5 gave 106 and 71); decoding time unchanged (`asr::tests::measure_spoken_digits`
/// with `MEASURE_REPEAT_BONUS=0,3,5`).
pub(crate) const REPEAT_BONUS: f32 = 3.0;
/// Words a caller says before a number ("um", "yeah, it's …", "sure"): spared the penalty
/// on words before the first digit, which otherwise pushes tiny.en to write them as digits
/// ("Um, five two …" as "1, 5, 2 …", "Yeah, zero six …" as "At 0.06").
const LEAD_IN_WORDS: [&str; 14] = [
    "um", "uh", "umm", "yeah", "yes", "okay", "ok", "sure", "so", "well", "it", "it's", "'s",
    "that's",
];
/// An order number's digits while the device knows none of the store's numbers.
const ORDER_NUMBER_DIGITS: usize = 13;
/// Fewest digits heard after words naming an order number for the number to be decoded
/// again held to its length: "order 5 hoodies" is a count, not a number cut short.
const NAMED_NUMBER_MIN_HEARD: usize = 5;
/// Least mean log-probability of a named number held to digits (the words before it
/// included) for it to replace the free reading. On the spoken set's 40 requests naming
/// their number (seven flite and festival voices, clean and white noise at 10 dB), every
/// held reading under -0.32 was a wrong number (18 of 18), and every right one was above
/// it: below it the caller is asked for the number again rather than hearing a wrong one.
const NAMED_NUMBER_MIN_LOGPROB: f32 = -0.32;
/// Most tokens of words forced before a named number held to digits.
const NAMED_NUMBER_PREFIX_TOKENS: usize = 96;
/// Words that name the order number just before it: "order", "order number is".
const ORDER_NAMING: [&str; 3] = ["order", "number", "order's"];
/// Words between the naming word and the number ("order number is", "order, it's").
const ORDER_NAMING_GLUE: [&str; 7] = ["number", "is", "it's", "its", "was", "no", "num"];
/// Beam width on digit turns and for closed-set answers: greedy decoding commits to the
/// first token and cannot recover a digit it skipped.
const CONSTRAINED_BEAM: c_int = 5;
/// Mean log-probability a closed-set answer needs to be taken over free decoding.
pub const CLOSED_SET_MIN_LOGPROB: f32 = -0.9;
/// The most times one word may follow itself in free speech ("no no no" is said; the
/// same word five times is tiny.en looping).
const MAX_WORD_RUN: usize = 3;
const YES_NO_WORDS: [&str; 12] = [
    "yes", "no", "yeah", "nope", "yep", "nah", "correct", "right", "sure", "okay", "ok", "wrong",
];
/// Whole transcripts whisper produces from silence or noise (compared after
/// normalisation, lower case, without punctuation).
const HALLUCINATIONS: [&str; 10] = [
    "thank you",
    "thanks",
    "thanks for watching",
    "thank you for watching",
    "thank you so much for watching",
    "thanks for listening",
    "please subscribe",
    "you",
    "subtitles by the amaraorg community",
    "bye",
];
/// A known hallucination is kept only when whisper is this sure there was speech (a real
/// "thank you" at the end of a call).
const HALLUCINATION_MAX_NO_SPEECH: f32 = 0.1;

/// How the recogniser biases decoding; both on by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Biasing {
    /// An initial prompt in the expected style.
    pub prompts: bool,
    /// Logit penalties and bonuses for expected shapes (`speech.asr.use_grammar`).
    pub token_bias: bool,
}

/// What a text token is worth inside a spoken number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumberPart {
    /// A word, or anything else that is no part of a number.
    Word,
    /// Only punctuation or space: "-" joins "seventy-four", others separate groups.
    Separator { hyphen: bool },
    /// A token holding this many ASCII digits ("74" → 2; "5th" too, though it is not
    /// allowed inside a number).
    Numeral(u8),
    /// "four", "oh", "zero": one digit, or the second digit of a tens word before it.
    Unit,
    /// "ten" … "nineteen": two digits.
    Teen,
    /// "twenty" … "ninety": two digits, with or without a unit after it.
    Tens,
    /// "hundred": two more digits after the one before it, filled by what follows.
    Hundred,
    /// "double", "triple": the digits it adds to the next one.
    Repeat(u8),
}

/// Digits of a spoken number, counted token by token as [`digits_for_number_words`]
/// writes them: "seventy four" is two digits, "five hundred twelve" three, "twenty
/// twenty" four.
#[derive(Debug, Clone, Copy, Default)]
struct NumberCount {
    digits: usize,
    after_tens: bool,
    after_hundred: bool,
}

impl NumberCount {
    fn of(parts: impl Iterator<Item = NumberPart>) -> NumberCount {
        let mut count = NumberCount::default();
        for part in parts {
            count.push(part);
        }
        count
    }

    /// Digits `part` would add after what was counted.
    fn adds(&self, part: NumberPart) -> usize {
        let filling = self.after_hundred;
        match part {
            NumberPart::Word | NumberPart::Separator { .. } => 0,
            NumberPart::Numeral(n) => usize::from(n),
            NumberPart::Unit if self.after_tens || filling => 0,
            NumberPart::Unit => 1,
            NumberPart::Teen | NumberPart::Tens if filling => 0,
            NumberPart::Teen | NumberPart::Tens | NumberPart::Hundred => 2,
            NumberPart::Repeat(n) => usize::from(n),
        }
    }

    fn push(&mut self, part: NumberPart) {
        self.digits += self.adds(part);
        match part {
            NumberPart::Separator { hyphen: true } => {}
            NumberPart::Tens => {
                self.after_tens = true;
                self.after_hundred = false;
            }
            NumberPart::Hundred => {
                self.after_tens = false;
                self.after_hundred = true;
            }
            _ => {
                self.after_tens = false;
                self.after_hundred = false;
            }
        }
    }
}

/// Which text tokens count as what, computed once from the vocabulary.
struct TokenClasses {
    n_vocab: usize,
    /// First non-text token (`<|endoftext|>`).
    eot: usize,
    /// The first timestamp token (`<|0.00|>`); each one after it is 20 ms later.
    timestamp_begin: usize,
    /// Tokens allowed once a number is under way: digits, number words, separators.
    digit_like: Vec<bool>,
    part: Vec<NumberPart>,
    /// Tokens that are only punctuation or space, which do not end a run of digits.
    separator: Vec<bool>,
    /// Digit homophones ("to", "for"): one digit each, but only inside a number.
    homophone: Vec<bool>,
    /// Words said before a number ("um", "yeah"), spared the penalty on words.
    lead_in: Vec<bool>,
    /// Tokens that are ASCII digits only, with their digits (for known numbers).
    numerals: Vec<(usize, String)>,
    yes_no: Vec<usize>,
}

impl TokenClasses {
    fn new(ctx: &WhisperContext) -> TokenClasses {
        let n_vocab = usize::try_from(ctx.n_vocab()).unwrap_or(0);
        let eot = usize::try_from(ctx.token_eot()).unwrap_or(0).min(n_vocab);
        let timestamp_begin = usize::try_from(ctx.token_beg())
            .unwrap_or(n_vocab)
            .clamp(eot, n_vocab);
        let texts: Vec<String> = (0..eot)
            .map(|id| {
                ctx.token_to_bytes(id as i32)
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default()
            })
            .collect();
        TokenClasses::from_texts(n_vocab, eot, timestamp_begin, &texts)
    }

    /// The classes of a vocabulary whose text tokens are `texts` (ids `0..eot`).
    fn from_texts(
        n_vocab: usize,
        eot: usize,
        timestamp_begin: usize,
        texts: &[String],
    ) -> TokenClasses {
        let mut classes = TokenClasses {
            n_vocab,
            eot,
            timestamp_begin,
            digit_like: vec![false; eot],
            part: vec![NumberPart::Word; eot],
            separator: vec![false; eot],
            homophone: vec![false; eot],
            lead_in: vec![false; eot],
            numerals: Vec::new(),
            yes_no: Vec::new(),
        };
        for (id, text) in texts.iter().enumerate().take(eot) {
            let word = text.trim_start_matches(' ');
            let lower = word.to_ascii_lowercase();
            let bare = lower.trim_matches(|c: char| c.is_ascii_punctuation());
            if YES_NO_WORDS.contains(&lower.as_str()) {
                classes.yes_no.push(id);
            }
            let separator = word.chars().all(|c| c.is_ascii_punctuation() || c == ' ');
            let n_digits = word.bytes().filter(u8::is_ascii_digit).count();
            let part = if separator {
                NumberPart::Separator {
                    hyphen: word == "-",
                }
            } else if n_digits > 0 {
                NumberPart::Numeral(u8::try_from(n_digits).unwrap_or(u8::MAX))
            } else if DIGIT_WORDS.contains(&bare) {
                NumberPart::Unit
            } else if TEEN_WORDS.contains(&bare) {
                NumberPart::Teen
            } else if TENS_WORDS.contains(&bare) {
                NumberPart::Tens
            } else if bare == "hundred" {
                NumberPart::Hundred
            } else if let Some((_, extra)) = DIGIT_REPEATS.iter().find(|(w, _)| *w == bare) {
                // Without these the hard filter makes "double five six" come out as
                // "0056": the beam has to spell the repeat some other way.
                NumberPart::Repeat(*extra)
            } else {
                NumberPart::Word
            };
            let pure_digits = !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit());
            if pure_digits {
                classes.numerals.push((id, word.to_string()));
            }
            classes.part[id] = part;
            classes.separator[id] = separator;
            classes.digit_like[id] = pure_digits
                || matches!(word, "" | "-" | "," | "." | "?")
                || matches!(
                    part,
                    NumberPart::Unit
                        | NumberPart::Teen
                        | NumberPart::Tens
                        | NumberPart::Hundred
                        | NumberPart::Repeat(_)
                );
            classes.homophone[id] = DIGIT_HOMOPHONES.iter().any(|(w, _)| *w == bare);
            classes.lead_in[id] =
                LEAD_IN_WORDS.contains(&lower.trim_end_matches(',')) && !word.is_empty();
        }
        classes
    }

    /// What one token is worth once a number is under way (homophones are digits then).
    fn part_in_number(&self, id: usize) -> NumberPart {
        if self.homophone.get(id).copied().unwrap_or(false) {
            NumberPart::Unit
        } else {
            self.part.get(id).copied().unwrap_or(NumberPart::Word)
        }
    }

    /// The digits a numeral token writes ("74"), none for any other token.
    fn numeral(&self, id: usize) -> Option<&str> {
        self.numerals
            .binary_search_by_key(&id, |(i, _)| *i)
            .ok()
            .map(|i| self.numerals[i].1.as_str())
    }

    /// Whether a token begins a number: it writes a digit or is a number word.
    fn writes_digits(&self, id: usize) -> bool {
        !matches!(
            self.part.get(id),
            None | Some(NumberPart::Word | NumberPart::Separator { .. })
        )
    }
}

/// The closed set of short answers as token sequences: every phrase as whisper would
/// write it at the start of a transcript (" Yes", " yes"), punctuation apart.
#[derive(Debug, Clone, Default)]
struct ClosedSet {
    phrases: Vec<(String, Vec<c_int>)>,
}

/// Encoder frames for a window of `seconds`, within the model's `model_ctx`.
fn window_frames(seconds: u32, model_ctx: i32) -> i32 {
    let frames = (f64::from(seconds) * FRAMES_PER_SECOND) as i64;
    frames.min(i64::from(model_ctx)) as i32
}

/// whisper keeps at most half its text context (448 tokens) for a prompt.
const PROMPT_TOKENS: usize = 200;
/// A short answer longer than this is not scored as one (and would not be said as one).
const CLOSED_PHRASE_TOKENS: usize = 16;

/// whisper's tokens for `text`, or `None` when there are more than `limit`.
///
/// whisper.cpp reports a buffer too small for the text as minus the count it needs, and
/// whisper-rs 0.16 takes any result but -1 as the vector's length: a long text gave a
/// vector claiming billions of tokens. Room for one token per byte of text (a token is
/// at least one byte) means the buffer is never too small.
fn tokens_within(
    ctx: &WhisperContext,
    text: &str,
    limit: usize,
) -> Result<Option<Vec<c_int>>, whisper_rs::WhisperError> {
    let tokens = ctx.tokenize(text, text.len().max(1))?;
    Ok((tokens.len() <= limit).then_some(tokens))
}

/// The prompt for `phrases`, as many whole phrases as fit in `limit` tokens, in order: a
/// store's catalogue can be far longer than whisper's prompt.
fn prompt_within(
    ctx: &WhisperContext,
    phrases: &[String],
    limit: usize,
) -> Result<Vec<c_int>, whisper_rs::WhisperError> {
    let mut text = String::new();
    let mut best = Vec::new();
    for phrase in phrases {
        let candidate = if text.is_empty() {
            format!(" {phrase}")
        } else {
            format!("{text}, {phrase}")
        };
        match tokens_within(ctx, &format!("{candidate}."), limit)? {
            Some(tokens) => {
                best = tokens;
                text = candidate;
            }
            None => break,
        }
    }
    Ok(best)
}

impl ClosedSet {
    fn new(ctx: &WhisperContext, phrases: &[String]) -> ClosedSet {
        let mut out: Vec<(String, Vec<c_int>)> = Vec::new();
        for phrase in phrases {
            let phrase = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
            if phrase.is_empty() {
                continue;
            }
            let mut capital = phrase.clone();
            if let Some(first) = capital.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            for written in [capital, phrase.to_lowercase()] {
                match tokens_within(ctx, &format!(" {written}"), CLOSED_PHRASE_TOKENS) {
                    Ok(Some(tokens))
                        if !tokens.is_empty() && !out.iter().any(|(_, t)| *t == tokens) =>
                    {
                        out.push((phrase.to_lowercase(), tokens));
                    }
                    _ => {}
                }
            }
        }
        ClosedSet { phrases: out }
    }

    /// Whether `text` is one of the phrases, case and punctuation aside.
    fn holds(&self, text: &str) -> bool {
        let key = |s: &str| {
            s.chars()
                .filter(|c| c.is_alphanumeric() || c.is_whitespace() || *c == '\'')
                .collect::<String>()
                .to_lowercase()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        let text = key(text);
        self.phrases.iter().any(|(p, _)| key(p) == text)
    }
}

/// What the logits filter applies during one `whisper_full` call.
struct LogitBias<'a> {
    classes: &'a TokenClasses,
    digits: bool,
    /// The most digits one run of digits may hold (the expected number's length): once a
    /// run reaches it, more digits are strongly discouraged, which stops whisper's habit
    /// of repeating "0 0 0" past the end of a number.
    max_digit_run: Option<usize>,
    /// The fewest digits the expected number has: once a number is under way, ending
    /// the text before it is complete is discouraged (whisper tends to stop after the
    /// first group of a long number).
    min_digits: Option<usize>,
    /// From the first digit on, only digits, digit words and separators may follow, and
    /// the counts above are hard limits.
    hard_digits: bool,
    yes_no: bool,
    /// Decoding may only follow these token sequences.
    closed: Option<&'a ClosedSet>,
    /// Decoding may only write one of these numbers (digits only), after any words.
    known: Option<&'a BTreeSet<String>>,
    /// Decoding first writes these text tokens, then the rules above apply to what
    /// follows them alone.
    forced_prefix: &'a [c_int],
    /// Added to "double" and "triple" on a digit turn ([`REPEAT_BONUS`]).
    repeat_bonus: f32,
}

/// Logit penalty on ending the text while an expected number is incomplete.
const EARLY_END_PENALTY: f32 = 5.0;

/// Logit penalty on digits beyond the expected length of a number.
const EXTRA_DIGIT_PENALTY: f32 = 12.0;

/// whisper.cpp's logits filter: runs before each token is chosen, after whisper's own
/// suppressions, with the logits of every vocabulary entry.
unsafe extern "C" fn apply_logit_bias(
    _ctx: *mut WhisperSysContext,
    _state: *mut WhisperSysState,
    tokens: *const WhisperTokenData,
    n_tokens: c_int,
    logits: *mut f32,
    user_data: *mut c_void,
) {
    if logits.is_null() || user_data.is_null() {
        return;
    }
    // SAFETY: `user_data` is the `LogitBias` that `decode_window` borrows for exactly the
    // duration of the `whisper_full` call that invokes this filter.
    let bias = unsafe { &*(user_data as *const LogitBias<'_>) };
    // SAFETY: whisper.cpp passes its decoder's logits buffer of `n_vocab` floats (it
    // asserts that size before calling filters); nothing else touches it during the call.
    let logits = unsafe { std::slice::from_raw_parts_mut(logits, bias.classes.n_vocab) };
    let (text, special) = logits.split_at_mut(bias.classes.eot);
    if bias.digits {
        let classes = bias.classes;
        for (id, l) in text.iter_mut().enumerate() {
            if !classes.digit_like[id] && !classes.homophone[id] && !classes.lead_in[id] {
                *l -= DIGIT_PENALTY;
            }
        }
    }
    // The sequence so far may start with a timestamp token; the bonus is for the first word.
    let first_word = match usize::try_from(n_tokens) {
        Ok(0) | Err(_) => true,
        _ if tokens.is_null() => true,
        Ok(n) => {
            // SAFETY: whisper.cpp passes its current token sequence, `n_tokens` long.
            let so_far = unsafe { std::slice::from_raw_parts(tokens, n) };
            so_far
                .iter()
                .all(|t| t.id < 0 || t.id as usize >= bias.classes.eot)
        }
    };
    let so_far: &[WhisperTokenData] = match usize::try_from(n_tokens) {
        Ok(n) if n > 0 && !tokens.is_null() => {
            // SAFETY: whisper.cpp passes its current token sequence, `n_tokens` long.
            unsafe { std::slice::from_raw_parts(tokens, n) }
        }
        _ => &[],
    };
    let all_text_ids = || {
        so_far
            .iter()
            .filter_map(|t| usize::try_from(t.id).ok())
            .filter(|&id| id < bias.classes.eot)
    };
    let written = all_text_ids().count();
    if let Some(&next) = bias.forced_prefix.get(written) {
        // The words before the number, as the free decoding heard them.
        for (id, l) in text.iter_mut().enumerate() {
            if c_int::try_from(id).ok() != Some(next) {
                *l = f32::NEG_INFINITY;
            }
        }
        special.fill(f32::NEG_INFINITY);
        return;
    }
    let text_ids = || all_text_ids().skip(bias.forced_prefix.len());
    if let Some(closed) = bias.closed {
        restrict_to_closed_set(closed, bias.classes, text_ids(), text, special);
        return;
    }
    if let Some(known) = bias.known {
        restrict_to_known(known, bias.classes, text_ids(), text, special);
        return;
    }
    if let Some(max) = bias.max_digit_run {
        let classes = bias.classes;
        // A number is under way once a token with a digit or a number word came out.
        let started = text_ids().any(|id| classes.writes_digits(id));
        let ids: Vec<usize> = text_ids().collect();
        // The run of number tokens that ends the sequence so far.
        let run_start = ids
            .iter()
            .rposition(|&id| classes.part_in_number(id) == NumberPart::Word)
            .map_or(0, |i| i + 1);
        let run = NumberCount::of(
            ids[run_start..]
                .iter()
                .map(|&id| classes.part_in_number(id)),
        );
        let hard = bias.hard_digits && started;
        let room = max.saturating_sub(run.digits);
        if !bias.forced_prefix.is_empty() && hard && room == 0 {
            // A number named inside a request is whole: the rest of the sentence is
            // words again ("… for me?", "…, I'd like to change the address").
            for (id, l) in text.iter_mut().enumerate() {
                if classes.writes_digits(id) {
                    *l = f32::NEG_INFINITY;
                }
            }
            return;
        }
        for (id, l) in text.iter_mut().enumerate() {
            let d = if started {
                run.adds(classes.part_in_number(id))
            } else {
                NumberCount::default().adds(classes.part[id])
            };
            if d > room {
                *l = if hard {
                    f32::NEG_INFINITY
                } else {
                    *l - EXTRA_DIGIT_PENALTY
                };
            } else if hard
                && !classes.separator[id]
                && !classes.digit_like[id]
                && !classes.homophone[id]
            {
                *l = f32::NEG_INFINITY;
            } else if bias.hard_digits && matches!(classes.part[id], NumberPart::Repeat(_)) {
                *l += bias.repeat_bonus;
            }
        }
        let total = if started {
            NumberCount::of(ids.iter().map(|&id| classes.part_in_number(id))).digits
        } else {
            0
        };
        if let Some(min) = bias.min_digits {
            if total > 0 && total < min {
                // whisper.cpp also ends the text at any timestamp at or past the end of
                // the audio, and tiny.en picks one far past it, as a whole, more often
                // than <|endoftext|> ("7 13 27 <|25.78|>" on a 4.6 s clip of a 13-digit
                // number): every timestamp pays the same penalty.
                let timestamps = classes.timestamp_begin - classes.eot;
                let end = |l: &mut f32| {
                    *l = if hard {
                        f32::NEG_INFINITY
                    } else {
                        *l - EARLY_END_PENALTY
                    }
                };
                if let Some(l) = special.first_mut() {
                    end(l);
                }
                special[timestamps..].iter_mut().for_each(end);
            }
        }
    }
    if bias.yes_no && first_word {
        for &id in &bias.classes.yes_no {
            if let Some(l) = text.get_mut(id) {
                *l += YES_NO_BONUS;
            }
        }
    }
}

/// Leaves only the tokens that continue a phrase of the closed set: the next token of
/// every phrase the text so far begins, and the end of text (or punctuation) once the
/// text is a whole phrase. Punctuation tokens are not part of the match.
fn restrict_to_closed_set(
    closed: &ClosedSet,
    classes: &TokenClasses,
    so_far: impl Iterator<Item = usize>,
    text: &mut [f32],
    special: &mut [f32],
) {
    let said: Vec<c_int> = so_far
        .filter(|&id| !classes.separator[id])
        .filter_map(|id| c_int::try_from(id).ok())
        .collect();
    let mut allowed = vec![false; text.len()];
    let mut complete = false;
    for (_, tokens) in &closed.phrases {
        if tokens.len() < said.len() || tokens[..said.len()] != said[..] {
            continue;
        }
        match tokens.get(said.len()) {
            Some(&next) => {
                if let Some(a) = usize::try_from(next).ok().and_then(|n| allowed.get_mut(n)) {
                    *a = true;
                }
            }
            None => complete = true,
        }
    }
    for (id, l) in text.iter_mut().enumerate() {
        let ok = allowed[id] || (complete && classes.separator[id] && !said.is_empty());
        if !ok {
            *l = f32::NEG_INFINITY;
        }
    }
    let timestamps = classes.timestamp_begin - classes.eot;
    special[timestamps..]
        .iter_mut()
        .for_each(|l| *l = f32::NEG_INFINITY);
    if !complete {
        if let Some(l) = special.first_mut() {
            *l = f32::NEG_INFINITY;
        }
    }
}

/// Leaves only the tokens that keep the number written so far on the way to one of
/// `known`: any words before it, then numerals that extend a known number's prefix and
/// separators, and the end of text once the number is a whole known one. Number words
/// and timestamps are never allowed: whisper writes a number it is sure of as numerals.
fn restrict_to_known(
    known: &BTreeSet<String>,
    classes: &TokenClasses,
    so_far: impl Iterator<Item = usize>,
    text: &mut [f32],
    special: &mut [f32],
) {
    let mut prefix = String::new();
    for id in so_far {
        if let Some(d) = classes.numeral(id) {
            prefix.push_str(d);
        }
    }
    let started = !prefix.is_empty();
    let mut allowed = vec![false; text.len()];
    for (id, a) in allowed.iter_mut().enumerate() {
        *a = match classes.part[id] {
            NumberPart::Word => !started,
            NumberPart::Separator { .. } => true,
            _ => false,
        };
    }
    let mut candidate = prefix.clone();
    for (id, digits) in &classes.numerals {
        candidate.truncate(prefix.len());
        candidate.push_str(digits);
        let leads_on = known
            .range::<str, _>((Bound::Included(candidate.as_str()), Bound::Unbounded))
            .next()
            .is_some_and(|k| k.starts_with(candidate.as_str()));
        if let Some(a) = allowed.get_mut(*id) {
            *a = leads_on;
        }
    }
    for (l, ok) in text.iter_mut().zip(&allowed) {
        if !ok {
            *l = f32::NEG_INFINITY;
        }
    }
    let timestamps = classes.timestamp_begin - classes.eot;
    special[timestamps..]
        .iter_mut()
        .for_each(|l| *l = f32::NEG_INFINITY);
    if !known.contains(&prefix) {
        if let Some(l) = special.first_mut() {
            *l = f32::NEG_INFINITY;
        }
    }
}

/// What one decoding may write besides what the expectation biases.
#[derive(Clone, Copy)]
enum Only<'a> {
    Free,
    /// One of the locale's short answers.
    ShortAnswers,
    /// One of these numbers.
    Known(&'a BTreeSet<String>),
    /// These words as heard, then the number held to digits.
    NumberAfter(&'a [c_int]),
}

/// Speech to text with whisper.cpp.
pub struct WhisperRecognizer {
    name: String,
    ctx: WhisperContext,
    state: WhisperState,
    classes: TokenClasses,
    threads: i32,
    no_speech_threshold: f32,
    biasing: Biasing,
    size_audio_ctx: bool,
    /// Encoder frames an expected number is decoded over, at least, when `size_audio_ctx`
    /// is on (`speech.asr.number_window_seconds`); 0 sizes it to the speech as well.
    number_window: i32,
    /// A number turn decoded since the state was made: its buffers grew for the number's
    /// long window and the beam, and are let go at the end of the turn.
    state_grown: bool,
    model_audio_ctx: i32,
    pub(crate) audio_ctx_margin: i32,
    /// [`REPEAT_BONUS`]; a field so the measurement can compare values in one run.
    pub(crate) repeat_bonus: f32,
    closed_set: ClosedSet,
    /// Numbers the device knows (the store's order numbers), digits only.
    known_numbers: BTreeSet<String>,
    /// The fewest and most digits of an order number: those of the known numbers.
    order_digits: (usize, usize),
    adaptive_threads: bool,
    /// The last known-number decoding, for the measurement: the number heard and its
    /// mean log-probability, the known number written and its own.
    #[cfg(test)]
    pub(crate) last_known: Option<(String, f32, String, f32)>,
    /// The last named number held to digits, for the measurement: the free reading's
    /// mean log-probability and the held one's.
    #[cfg(test)]
    pub(crate) last_held: Option<(f32, f32)>,
}

/// Sends whisper.cpp's and ggml's log lines to `tracing` (whisper.cpp hands ggml the same
/// callback). Installed once per process, before the first model is loaded.
fn install_log_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        // SAFETY: `forward_log` has the C signature whisper.cpp calls, reads its text only
        // as the NUL-terminated string whisper.cpp passes, and never unwinds into C.
        unsafe { whisper_rs::set_log_callback(Some(forward_log), std::ptr::null_mut()) }
    });
}

unsafe extern "C" fn forward_log(level: c_uint, text: *const c_char, _user_data: *mut c_void) {
    if text.is_null() {
        return;
    }
    // SAFETY: whisper.cpp passes a NUL-terminated string that lives for this call.
    let line = unsafe { CStr::from_ptr(text) }.to_string_lossy();
    // A panic must not unwind into whisper.cpp; a log line lost to one is of no matter.
    let _ = std::panic::catch_unwind(|| forward_line(GGMLLogLevel::from(level), line.trim()));
}

/// One line of whisper.cpp's log at its level. The decoder's trace lines spell the
/// tokens of the prompt and of what is being decoded, which is what the caller said a
/// few characters at a time: a phone number split over tokens cannot be recognised and
/// masked, so those lines are not logged at all. whisper.cpp's other lines (model
/// loading, buffer sizes, decoder scores, timings) carry no text.
fn forward_line(level: GGMLLogLevel, line: &str) {
    if line.is_empty() || spells_tokens(line) {
        return;
    }
    match level {
        GGMLLogLevel::Error => tracing::error!(target: "whisper_cpp", "{line}"),
        GGMLLogLevel::Warn => tracing::warn!(target: "whisper_cpp", "{line}"),
        GGMLLogLevel::Info => tracing::info!(target: "whisper_cpp", "{line}"),
        GGMLLogLevel::Debug => tracing::debug!(target: "whisper_cpp", "{line}"),
        _ => tracing::trace!(target: "whisper_cpp", "{line}"),
    }
}

/// whisper.cpp's debug lines that print token text: `prompt[i] = …`, the per-token
/// decoder trace (`… token = 5323, … '500'`) and beam-search candidates.
fn spells_tokens(line: &str) -> bool {
    line.contains("prompt[") || line.contains(" token = ")
}

impl WhisperRecognizer {
    /// Loads a whisper.cpp model file (checked first; see
    /// [`validate_ggml`](super::convert::validate_ggml)).
    pub fn new(model: &Path, cfg: &AsrConfig) -> Result<WhisperRecognizer, AsrError> {
        install_log_hook();
        // whisper.cpp loads a model with damaged weights and then transcribes nonsense.
        voxorder_runtime::models::verify(model)?;
        let summary = validate_ggml(model)?;
        let model_err = |reason: String| AsrError::Model {
            path: model.to_path_buf(),
            reason,
        };
        let path = model
            .to_str()
            .ok_or_else(|| model_err("the path is not UTF-8".into()))?;
        let started = Instant::now();
        let ctx = WhisperContext::new_with_params(path, WhisperContextParameters::default())
            .map_err(|e| model_err(format!("whisper.cpp could not load it ({e})")))?;
        let state = ctx
            .create_state()
            .map_err(|e| model_err(format!("whisper.cpp could not start ({e})")))?;
        let classes = TokenClasses::new(&ctx);
        if classes.eot == 0 || classes.n_vocab <= classes.eot {
            return Err(model_err("the vocabulary has no special tokens".into()));
        }
        let stem = model
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("model");
        let name = format!("whisper {}", stem.strip_prefix("ggml-").unwrap_or(stem));
        tracing::info!(
            model = %model.display(),
            seconds = started.elapsed().as_secs_f64(),
            "speech recogniser loaded"
        );
        Ok(WhisperRecognizer {
            name,
            ctx,
            state,
            classes,
            threads: i32::try_from(cfg.threads.max(1)).unwrap_or(1),
            no_speech_threshold: cfg.no_speech_threshold,
            biasing: Biasing {
                prompts: true,
                token_bias: cfg.use_grammar,
            },
            size_audio_ctx: true,
            number_window: window_frames(cfg.number_window_seconds, summary.hparams.n_audio_ctx),
            state_grown: false,
            model_audio_ctx: summary.hparams.n_audio_ctx,
            audio_ctx_margin: AUDIO_CTX_MARGIN,
            repeat_bonus: REPEAT_BONUS,
            closed_set: ClosedSet::default(),
            known_numbers: BTreeSet::new(),
            order_digits: (ORDER_NUMBER_DIGITS, ORDER_NUMBER_DIGITS),
            adaptive_threads: true,
            #[cfg(test)]
            last_known: None,
            #[cfg(test)]
            last_held: None,
        })
    }

    /// The worker threads for the next decoding: the configured count, less one for each
    /// other process that wants a core right now. whisper.cpp's workers spin-wait for each
    /// other, so a worker that shares its core with a busy process stalls all of them
    /// (an utterance took seconds instead of a tenth of one).
    fn threads_now(&self) -> c_int {
        if !self.adaptive_threads || self.threads <= 1 {
            return self.threads;
        }
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let running = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|l| runnable_now(&l));
        match running {
            Some(running) => threads_for_load(self.threads, cpus, running),
            None => self.threads,
        }
    }

    /// Whether the thread count follows the machine's load (on by default).
    pub fn set_adaptive_threads(&mut self, on: bool) {
        self.adaptive_threads = on;
    }

    /// The most worker threads a decoding uses (`speech.asr.threads`).
    pub fn set_threads(&mut self, threads: u32) {
        self.threads = c_int::try_from(threads.max(1)).unwrap_or(1);
    }

    /// Changes how decoding is biased (for measurements; configuration sets the default).
    pub fn set_biasing(&mut self, biasing: Biasing) {
        self.biasing = biasing;
    }

    /// Encode only as many frames as the audio needs (on by default; 5–10× faster on
    /// short clips). Off runs the full 30 s window, for comparison.
    pub fn set_size_audio_ctx(&mut self, on: bool) {
        self.size_audio_ctx = on;
    }

    /// How many seconds an expected number is decoded over, at least (0: sized to the
    /// speech, as free speech is; 30: whisper's whole window). A window sized to a short
    /// clip costs numbers most. On the spoken calls of `a_noisy_flite_caller` at 10 dB
    /// (the number and the zip in one try): 6 of 10 sized, 9 of 10 over 20 s and over the
    /// whole 30 s. The encoder's memory grows with the square of the window: the device
    /// peaked at 381 MB with 20 s and 431 MB with 30 s (`voxorder bench`).
    pub fn set_number_window_seconds(&mut self, seconds: u32) {
        self.number_window = window_frames(seconds, self.model_audio_ctx);
    }

    pub(crate) fn prompt_tokens(&self, expect: &Expect) -> Vec<c_int> {
        if !self.biasing.prompts {
            return Vec::new();
        }
        let prompt: &[String] = match expect {
            // Prompts for digits ("Order number 4 7 2 9 1 5.") and yes/no ("Yes. No.")
            // made tiny.en repeat the pattern ("Yes. Yes. Yes. ...") on espeak clips;
            // the logit bias alone did better, so only phrases are prompted.
            Expect::Anything | Expect::Digits { .. } | Expect::NumberOrFree(_) | Expect::YesNo => {
                return Vec::new()
            }
            Expect::Phrases(phrases) => phrases,
        };
        let list: Vec<String> = prompt
            .iter()
            .map(|p| p.replace('\0', " ").trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
        match prompt_within(&self.ctx, &list, PROMPT_TOKENS) {
            Ok(tokens) => tokens,
            Err(e) => {
                tracing::warn!(error = %e, "could not tokenize the recogniser prompt");
                Vec::new()
            }
        }
    }

    /// One ≤ 30 s window → (text, no-speech probability, log-probability sum, tokens).
    fn decode_window(
        &mut self,
        audio: &[f32],
        expect: &Expect,
        prompt: &[c_int],
        only: Only<'_>,
    ) -> Result<(String, f32, f64, usize), AsrError> {
        let mut padded;
        let audio = if audio.len() < MIN_SAMPLES {
            padded = audio.to_vec();
            padded.resize(MIN_SAMPLES, 0.0);
            &padded[..]
        } else {
            audio
        };
        let seconds = audio.len() as f64 / SAMPLE_RATE as f64;
        let known = match only {
            Only::Known(set) if !set.is_empty() => Some(set),
            _ => None,
        };
        let forced_prefix = match only {
            Only::NumberAfter(words) => words,
            _ => &[],
        };
        let digits =
            self.biasing.token_bias && matches!(expect, Expect::Digits { .. }) && known.is_none();
        let closed = matches!(only, Only::ShortAnswers) && !self.closed_set.phrases.is_empty();
        let strategy = if digits || closed || known.is_some() {
            SamplingStrategy::BeamSearch {
                beam_size: CONSTRAINED_BEAM,
                patience: -1.0,
            }
        } else {
            SamplingStrategy::Greedy { best_of: 1 }
        };
        let mut params = FullParams::new(strategy);
        params.set_n_threads(self.threads_now());
        params.set_language(Some("en"));
        params.set_translate(false);
        params.set_no_context(true);
        // Timestamp mode: whisper.cpp reads the no-speech probability at the last prompt
        // token, which is only meaningful when that is <|startoftranscript|> (with
        // <|notimestamps|> appended it is ~0 even on silence). Timestamps are not read.
        // A closed-set answer is judged by its log-probability alone, and timestamps
        // would compete with the end of the phrase.
        params.set_no_timestamps(closed || known.is_some() || !forced_prefix.is_empty());
        params.set_single_segment(true);
        params.set_print_special(false);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_timestamps(false);
        params.set_suppress_blank(true);
        params.set_suppress_nst(true);
        params.set_temperature(0.0);
        // No temperature fallback: one pass, bounded time, same text for the same audio.
        params.set_temperature_inc(0.0);
        // whisper.cpp drops a segment it judges silent and its no-speech probability with
        // it; keep both and gate below, so callers see the probability.
        params.set_no_speech_thold(1.0);
        // Runaway repetition on noise is bounded by what a person can say in the window.
        params.set_max_tokens((seconds * 8.0).ceil() as c_int + 16);
        let number_turn = digits || known.is_some();
        self.state_grown |= number_turn;
        if self.size_audio_ctx {
            let sized = (seconds * FRAMES_PER_SECOND).ceil() as i32 + self.audio_ctx_margin;
            let ctx = if number_turn {
                sized.max(self.number_window)
            } else {
                sized
            };
            params.set_audio_ctx(ctx.min(self.model_audio_ctx));
        }
        if !prompt.is_empty() {
            params.set_tokens(prompt);
        }
        let bias = LogitBias {
            classes: &self.classes,
            digits,
            max_digit_run: match expect {
                Expect::Digits { max, .. } if digits => Some(*max),
                _ => None,
            },
            min_digits: match expect {
                Expect::Digits { min, .. } if digits => Some(*min),
                _ => None,
            },
            hard_digits: digits,
            yes_no: self.biasing.token_bias && matches!(expect, Expect::YesNo),
            closed: closed.then_some(&self.closed_set),
            known,
            forced_prefix,
            repeat_bonus: self.repeat_bonus,
        };
        if bias.digits || bias.yes_no || bias.closed.is_some() || bias.known.is_some() {
            // SAFETY: the callback matches whisper.cpp's logits filter signature, and
            // `bias` outlives the `full` call below, the only one using these params.
            unsafe {
                params.set_filter_logits_callback(Some(apply_logit_bias));
                params.set_filter_logits_callback_user_data(
                    &bias as *const LogitBias<'_> as *mut c_void,
                );
            }
        }
        self.state.full(params, audio).map_err(AsrError::Whisper)?;
        let eot = self.classes.eot as i32;
        let mut text = String::new();
        let mut no_speech = 0f32;
        let (mut logprob_sum, mut n_tokens) = (0f64, 0usize);
        for segment in self.state.as_iter() {
            no_speech = no_speech.max(segment.no_speech_probability());
            text.push_str(&segment.to_str_lossy().map_err(AsrError::WhisperText)?);
            for i in 0..segment.n_tokens() {
                if let Some(token) = segment.get_token(i) {
                    let data = token.token_data();
                    // A closed-set answer's score includes ending there: "no" said at
                    // the start of a longer sentence is unlikely to be followed by the
                    // end of text.
                    if data.id < eot || (closed && data.id == eot) {
                        logprob_sum += f64::from(data.plog);
                        n_tokens += 1;
                    }
                }
            }
        }
        Ok((text, no_speech, logprob_sum, n_tokens))
    }

    /// One turn's decodings: free, held to what the dialog expects, and the known
    /// numbers near what was heard.
    fn transcribe_turn(&mut self, audio: &[f32], expect: &Expect) -> Result<Transcript, AsrError> {
        let started = Instant::now();
        let audio_seconds = audio.len() as f64 / SAMPLE_RATE as f64;
        if audio.is_empty() {
            return Ok(Transcript::default());
        }
        // whisper.cpp has no defence against NaN or wild samples.
        let clean: Vec<f32> = audio
            .iter()
            .map(|&s| {
                if s.is_finite() {
                    s.clamp(-1.0, 1.0)
                } else {
                    0.0
                }
            })
            .collect();
        let mut best = match expect {
            Expect::NumberOrFree(_) => self.decode_all(&clean, &Expect::Anything)?,
            _ => self.decode_all(&clean, expect)?,
        };
        if let Expect::NumberOrFree(shapes) = expect {
            if let Some(held) = self.number_held_to_shape(&clean, &best, shapes, audio_seconds)? {
                best = held;
            }
        }
        if matches!(expect, Expect::Anything)
            && self.biasing.token_bias
            && audio.len() <= WINDOW_SAMPLES
        {
            if let Some(held) = self.named_number_held(&clean, &best)? {
                best = held;
            }
        }
        if matches!(expect, Expect::YesNo)
            && self.biasing.token_bias
            && audio_seconds <= CLOSED_SET_MAX_SECONDS
            && !self.closed_set.holds(&best.text)
            && best.text.split_whitespace().count() <= CLOSED_SET_MAX_WORDS
        {
            // Free decoding heard a few words that are not an answer the turn expects
            // ("yet", "Helper"): the closed set decides when the decoder is about as
            // sure of one of its phrases as of the free text.
            if let Some(answer) = self.closed_set_answer(&clean)? {
                if answer.avg_logprob >= best.avg_logprob - CLOSED_SET_MARGIN
                    && may_stand_for(&best.text, &answer.text)
                {
                    best = answer;
                }
            }
        }
        if matches!(expect, Expect::Anything)
            && audio_seconds <= SHORT_CLIP_SECONDS
            && is_a_fragment(&best.text)
        {
            // With nothing expected (a bare transcription), a short clip heard as a lone
            // letter ("S" for "yes", "K" for "okay") is a short answer the free decoder
            // cut off: the closed set decides when it is about as sure of one.
            if let Some(answer) = self.closed_set_answer(&clean)? {
                if answer.avg_logprob >= best.avg_logprob - CLOSED_SET_MARGIN {
                    best = answer;
                }
            }
        }
        // Other readings of the number, beside the one kept, that a known number may be
        // near.
        let mut also_heard: Vec<String> = Vec::new();
        if let Expect::Digits { min, max } = expect {
            // The digit bias rescues a number whisper would garble, but it also pushes
            // past words said around it ("my order number is …"), sometimes to an empty
            // or cut-off text. When the biased text holds no number of the expected
            // length, decode without the bias too and keep the one that comes closer.
            let miss = |t: &Transcript| digit_length_miss(&t.text, *min, *max);
            if miss(&best) > 0 || pads_a_digit(&best.text) {
                let plain = self.decode_all(&clean, &Expect::Anything)?;
                // Lengths only: what a caller said never reaches a log, masked or not
                // (masking finds digits and emails, not names or cities).
                tracing::debug!(
                    biased_chars = best.text.chars().count(),
                    plain_chars = plain.text.chars().count(),
                    "digits: second decoding"
                );
                let plain_digits = digits_of(&number_as_digits(&plain.text));
                if miss(&plain) < miss(&best) && !plain.text.is_empty() {
                    best = plain;
                } else if !plain_digits.is_empty() {
                    // The free reading, of whatever length, is another reading a known
                    // number may be near: the held one may be the filter filling the
                    // count with one digit ("2000000000000").
                    also_heard.push(plain_digits);
                }
            }
        }
        if let Expect::Digits { min, max } = expect {
            best.text = number_as_digits(&best.text);
            if self.biasing.token_bias && audio.len() <= WINDOW_SAMPLES {
                if let Some(known) =
                    self.known_number_answer(&clean, &best, &also_heard, *min, *max)?
                {
                    best = known;
                }
            }
        }
        best.audio_seconds = audio_seconds;
        best.decode_seconds = started.elapsed().as_secs_f64();
        Ok(best)
    }

    /// Lets go of what a number turn grew: whisper's buffers for the number's long window
    /// and the beam's caches stay resident once touched (86 MB over the whole 30 s window
    /// and 22 MB for the beam on tiny.en), and would otherwise sit beside the voice's
    /// working memory when it speaks the reply. A new state costs about 20 ms, on number
    /// turns only.
    fn release_working_memory(&mut self) -> Result<(), AsrError> {
        self.state = self.ctx.create_state().map_err(AsrError::Whisper)?;
        self.state_grown = false;
        Ok(())
    }
}

impl Recognizer for WhisperRecognizer {
    fn name(&self) -> &str {
        &self.name
    }

    fn transcribe(&mut self, audio: &[f32], expect: &Expect) -> Result<Transcript, AsrError> {
        let heard = self.transcribe_turn(audio, expect);
        if self.state_grown {
            self.release_working_memory()?;
        }
        heard
    }

    fn set_short_answers(&mut self, phrases: &[String]) {
        self.closed_set = ClosedSet::new(&self.ctx, phrases);
    }

    fn set_known_numbers(&mut self, numbers: &[String]) {
        self.known_numbers = numbers
            .iter()
            .map(|n| n.chars().filter(char::is_ascii_digit).collect::<String>())
            .filter(|n| !n.is_empty())
            .collect();
        let lengths = self.known_numbers.iter().map(String::len);
        self.order_digits = match (lengths.clone().min(), lengths.max()) {
            (Some(min), Some(max)) => (min, max),
            _ => (ORDER_NUMBER_DIGITS, ORDER_NUMBER_DIGITS),
        };
    }
}

impl WhisperRecognizer {
    /// A request that names its order number in the same breath ("where's my order?
    /// order number 983 702"), heard with fewer digits than an order number has: decoded
    /// again with the words before the number as heard and the number held to its
    /// length (tiny.en ends a free reading after the first groups of a long number, and
    /// drops repeated digits); once the number is whole, words may follow again. None
    /// when the text names no such number, or the held reading has no whole number or
    /// is unsure of it ([`NAMED_NUMBER_MIN_LOGPROB`]).
    fn named_number_held(
        &mut self,
        clean: &[f32],
        free: &Transcript,
    ) -> Result<Option<Transcript>, AsrError> {
        let (min, max) = self.order_digits;
        let Some(named) = named_order_number(&free.text) else {
            return Ok(None);
        };
        let heard = digits_of(&number_as_digits(&named.number)).len();
        if heard < NAMED_NUMBER_MIN_HEARD || heard >= min {
            return Ok(None);
        }
        let before = named.before.trim();
        let prefix = if before.is_empty() {
            Vec::new()
        } else {
            let tokens =
                tokens_within(&self.ctx, &format!(" {before}"), NAMED_NUMBER_PREFIX_TOKENS)
                    .map_err(AsrError::Whisper)?;
            let Some(tokens) = tokens else {
                return Ok(None);
            };
            tokens
        };
        let expect = Expect::Digits { min, max };
        let (raw, no_speech, lp, n) =
            self.decode_window(clean, &expect, &[], Only::NumberAfter(&prefix))?;
        let text = normalize(&raw);
        let digits = named_order_number(&text)
            .map(|held| digits_of(&number_as_digits(&held.number)))
            .unwrap_or_default();
        let avg_logprob = mean_logprob(lp, n).unwrap_or(f32::MIN);
        tracing::debug!(
            heard_digits = heard,
            held_digits = digits.len(),
            free_logprob = free.avg_logprob,
            held_logprob = avg_logprob,
            "named order number held to digits"
        );
        #[cfg(test)]
        {
            self.last_held = Some((free.avg_logprob, avg_logprob));
        }
        if !(min..=max).contains(&digits.len()) || avg_logprob < NAMED_NUMBER_MIN_LOGPROB {
            return Ok(None);
        }
        Ok(Some(Transcript {
            text,
            no_speech_prob: free.no_speech_prob.min(no_speech),
            avg_logprob,
            audio_seconds: 0.0,
            decode_seconds: 0.0,
        }))
    }

    /// At a turn that takes a number or words (a zip, a phone or an email): a free
    /// reading that is a number is written as the digits a listener hears ("848 for
    /// double 0" → "848400"), and one of a length none of `shapes` allows ("787 birl 1",
    /// "Sadly, 701" for "7 8 7 0 1") is mended or decoded again held to digits.
    /// Only shapes the clip is long enough to say count: a zip looped into thirteen
    /// digits ("51306 51306 51306") is not an order number. Words (an email, "I don't
    /// know it") are left to the free reading.
    fn number_held_to_shape(
        &mut self,
        clean: &[f32],
        free: &Transcript,
        shapes: &[(usize, usize)],
        seconds: f64,
    ) -> Result<Option<Transcript>, AsrError> {
        let read = number_as_digits(&free.text);
        if !self.biasing.token_bias || !reads_as_a_number(&read) {
            return Ok(None);
        }
        let sayable: Vec<(usize, usize)> = shapes
            .iter()
            .copied()
            .filter(|&(lo, _)| can_say_digits(seconds, lo))
            .collect();
        let fits = |n: usize| sayable.iter().any(|&(lo, hi)| (lo..=hi).contains(&n));
        let count = digits_of(&read).len();
        let reading = |text: String| Transcript {
            text,
            ..free.clone()
        };
        // A block said again ("51306 51306 51306", "61959 61959"): whisper looping on
        // a zip even when the copies add up to a phone's length.
        for &(lo, hi) in &sayable {
            let once = collapse_digit_loop(&read, lo, hi);
            if once != read && fits(digits_of(&once).len()) {
                return Ok(Some(reading(once)));
            }
        }
        if fits(count) {
            return Ok((read != free.text).then(|| reading(read)));
        }
        // "Oh five two …" heard as "of 524 …".
        if let Some(with_zero) = zero_for_a_heard_oh(&read) {
            if fits(count + 1) {
                return Ok(Some(reading(with_zero)));
            }
        }
        // Past every shape the clip can hold, the reading ran on: the shapes are tried
        // in the order of how naturally the clip's length holds them (a loop's own
        // score favours the longer ones). Otherwise the nearest shape is tried.
        let longest = sayable.iter().map(|&(_, hi)| hi).max().unwrap_or(0);
        let mut tries: Vec<(usize, usize)> = sayable.clone();
        if count > longest {
            let off_pace =
                |lo: usize| (lo as f64 / seconds.max(0.1) - USUAL_DIGITS_PER_SECOND).abs();
            tries.sort_by(|a, b| off_pace(a.0).total_cmp(&off_pace(b.0)));
        } else {
            tries.sort_by_key(|&(lo, hi)| digit_length_miss_count(count, lo, hi));
            tries.truncate(1);
        }
        for (min, max) in tries {
            let mut held = self.decode_all(clean, &Expect::Digits { min, max })?;
            held.text = number_as_digits(&held.text);
            // Lengths only: what a caller said never reaches a log.
            tracing::debug!(
                free_digits = count,
                held_digits = digits_of(&held.text).len(),
                "number or words: held to digits"
            );
            if fits(digits_of(&held.text).len()) {
                return Ok(Some(held));
            }
        }
        Ok(None)
    }
}

/// The most digits a caller says in a second. Read digit by digit, the spoken set's
/// voices say at most 3.1 a second (padding included); whisper looping on a short clip
/// writes 5.5 and more ("4, 8, 9, 4, 4. 8, 9, 4, 4. 4, 8, 9, 4" in 2.4 s).
const MAX_DIGITS_PER_SECOND: f64 = 5.0;

/// The usual pace of a number read digit by digit, silence around it included: the
/// spoken set's zips take 1.8 to 4.4 s (median 2.8), its phones 3.2 to 6.4 s (4.7), its
/// order numbers 4.3 to 8.3 s (5.8).
const USUAL_DIGITS_PER_SECOND: f64 = 2.0;

/// Whether `seconds` of audio can hold `digits` digits said one by one.
fn can_say_digits(seconds: f64, digits: usize) -> bool {
    digits as f64 <= seconds * MAX_DIGITS_PER_SECOND
}

/// Words tiny.en writes for a leading "oh" (zero) said before the digits ("It's of
/// 524, 5", "on 9666"); with the zero the number may have the length the turn expects.
const HEARD_OH: [&str; 5] = ["of", "on", "oh", "o", "owe"];

/// The reading with a zero put back for a heard "oh" just before its first numeral.
fn zero_for_a_heard_oh(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let first = words
        .iter()
        .position(|w| w.starts_with(|c: char| c.is_ascii_digit()))?;
    let before = words.get(first.checked_sub(1)?)?;
    let bare = unpunctuated(before).to_ascii_lowercase();
    // "Reach me on 412 …", "call me on …": there "on" is the word itself.
    let after_me = first >= 2
        && matches!(
            unpunctuated(words[first - 2]).to_ascii_lowercase().as_str(),
            "me" | "us"
        );
    if !HEARD_OH.contains(&bare.as_str()) || after_me {
        return None;
    }
    let mut out: Vec<String> = words.iter().map(|w| (*w).to_string()).collect();
    out[first - 1] = format!("0{}", words[first]);
    out.remove(first);
    Some(out.join(" "))
}

/// Words that say which number follows ("billing zip is", "my phone number would be",
/// "you can reach me on"): with the lead-ins, they are not counted among a number's
/// other words.
const NAMING_WORDS: [&str; 24] = [
    "my", "the", "billing", "zip", "code", "postal", "postcode", "phone", "mobile", "cell",
    "number", "is", "its", "would", "be", "of", "you", "can", "reach", "call", "me", "on", "at",
    "try",
];

/// Whether a free reading is a number said with at most a few other words around it
/// (a misheard digit, "sadly") besides lead-ins and the words naming it ("billing zip
/// is", "it's"), not an email or a sentence.
fn reads_as_a_number(text: &str) -> bool {
    let lower = text.to_lowercase();
    let spoken: Vec<&str> = lower
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .collect();
    // An email: "at" before a name ("at gmail"), "dot", "@".
    let at_a_name = spoken
        .windows(2)
        .any(|pair| pair[0] == "at" && pair[1].starts_with(|c: char| c.is_alphabetic()));
    if lower.contains('@') || at_a_name || spoken.iter().any(|w| w.contains("dot")) {
        return false;
    }
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || c == ',' || c == '-')
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .collect();
    let numeric = words.iter().filter(|w| !digits_of(w).is_empty()).count();
    let naming = words
        .iter()
        .filter(|w| LEAD_IN_WORDS.contains(w) || NAMING_WORDS.contains(w))
        .count();
    numeric >= 1 && words.len() - numeric - naming <= 2 && digits_of(&lower).len() >= 3
}

/// How many digits `count` is short of `min` or past `max`.
fn digit_length_miss_count(count: usize, min: usize, max: usize) -> usize {
    if count < min {
        min - count
    } else {
        count.saturating_sub(max)
    }
}

/// How much less sure (mean log-probability) of a known number than of the number heard
/// the decoder may be for the known one to win. One digit of thirteen forced to another
/// costs a few nats on one token, a fraction of one in the mean; a number that is not in
/// the store is many digits from every known one (the space is sparse), which costs more.
const KNOWN_NUMBER_MARGIN: f32 = 0.35;

/// The most digits (changed, dropped or added) a known number may differ by from the
/// number heard and still be taken for it.
const KNOWN_NUMBER_MAX_DISTANCE: usize = 2;

/// The most digits in thirteen (so in proportion for other lengths) a known number may
/// differ by from the number heard when no other known number is as near to it. In
/// noise tiny.en shifts a group ("seventy four eighty three" as "7 3 4 8 3") or drops a
/// digit and pads the end, three to five digits from what was said; the known decoding then writes the right number. On the spoken set's
/// 13-digit numbers among 5,000 others (`asr::tests::measure_spoken_digits`,
/// `MEASURE_KNOWN=1` and `=2`): every right known number was within 5 of the one
/// heard (5 of them at 3 to 5, all at 10 dB), and with the number said left out of the
/// store, the known decoding never wrote one nearer than 7. A store whose numbers sit
/// close together (counted up one by one) has many within 5: there, the near rule alone
/// decides.
const KNOWN_NUMBER_MAX_DISTANCE_ALONE: usize = 5;

/// How much surer (mean log-probability) of a known number further off than
/// [`KNOWN_NUMBER_MAX_DISTANCE`] the decoder must be than of the number heard. On the
/// spoken set (`asr::tests::measure_spoken_digits`, `MEASURE_KNOWN=1` and `=2`), the
/// right known numbers three to five digits off were read 0.15 to 1.2 surer than the
/// number heard, and the wrong ones written where the caller's number was left out of
/// the store mostly less than 0.2 surer.
const KNOWN_NUMBER_FAR_MARGIN: f32 = 0.2;

/// The known numbers near enough to the number heard to be taken for it: those within
/// [`KNOWN_NUMBER_MAX_DISTANCE`], and one within [`KNOWN_NUMBER_MAX_DISTANCE_ALONE`] (in
/// proportion to its length) when no other known number is as near. Only these are
/// decoded against the audio: a decoding through every known number follows the wrong
/// one as soon as its first digits are misheard, and then writes nothing near. Known
/// numbers outside `lengths` are not considered.
fn near_known(
    heard: &str,
    known: &BTreeSet<String>,
    lengths: RangeInclusive<usize>,
) -> BTreeSet<String> {
    // Saturating: the longest length a turn allows comes from the configuration.
    let most_alone = |len: usize| len.saturating_mul(KNOWN_NUMBER_MAX_DISTANCE_ALONE) / 13;
    // No distance past this counts for any length allowed, so a store's numbers are
    // scanned without finishing the distance of the many far ones.
    let limit = KNOWN_NUMBER_MAX_DISTANCE.max(most_alone(*lengths.end()));
    let within: Vec<(usize, &String)> = known
        .iter()
        .filter(|k| lengths.contains(&k.len()))
        .filter_map(|k| digit_distance_within(k, heard, limit).map(|d| (d, k)))
        .collect();
    within
        .iter()
        .filter(|&&(distance, k)| {
            distance <= KNOWN_NUMBER_MAX_DISTANCE
                || (distance <= most_alone(k.len())
                    && within.iter().filter(|(d, _)| *d <= distance).count() == 1)
        })
        .map(|&(_, k)| k.clone())
        .collect()
}

/// Edit distance between two digit strings: digits changed, dropped or added.
pub(crate) fn digit_distance(a: &str, b: &str) -> usize {
    digit_distance_within(a, b, usize::MAX).unwrap_or(usize::MAX)
}

/// [`digit_distance`] when it is at most `limit`; none, found as soon as every path
/// is past it, when it is more.
fn digit_distance_within(a: &str, b: &str, limit: usize) -> Option<usize> {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &x) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &y) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(x != y));
            diagonal = above;
        }
        if row.iter().all(|&d| d > limit) {
            return None;
        }
    }
    Some(row[b.len()]).filter(|&d| d <= limit)
}

/// Runnable tasks on the machine now, from `/proc/loadavg`'s fourth field
/// ("running/total"), this process's own decoding thread included.
fn runnable_now(loadavg: &str) -> Option<usize> {
    let field = loadavg.split_whitespace().nth(3)?;
    field.split_once('/')?.0.parse().ok()
}

/// Worker threads when `running` tasks are runnable (the caller's own among them): no
/// more than the cores the others leave free, at least one.
fn threads_for_load(configured: c_int, cpus: usize, running: usize) -> c_int {
    let others = running.saturating_sub(1);
    let free = c_int::try_from(cpus.saturating_sub(others)).unwrap_or(1);
    configured.min(free).max(1)
}

/// Whether free text may be a mishearing of a closed-set answer: nothing or a lone
/// letter or two was heard, or the two are spelled alike ("yet" for "yes", "Helper" for
/// "help"), and the free text is not the answer negated ("incorrect", "not right"). A
/// caller's own words that the set lacks ("not quite", "come again", "I'm done") are
/// spelled unlike any answer and stay as heard, for understanding to read.
fn may_stand_for(free: &str, answer: &str) -> bool {
    let key = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric() || *c == ' ')
            .collect::<String>()
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (free, answer) = (key(free), key(answer));
    if free.chars().filter(|c| c.is_alphanumeric()).count() <= 2 {
        return true;
    }
    let negated = ["in", "un", "not ", "dis", "non"]
        .iter()
        .any(|neg| free == format!("{neg}{answer}"));
    if negated {
        return false;
    }
    let (a, b): (Vec<char>, Vec<char>) = (free.chars().collect(), answer.chars().collect());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()] * 2 <= a.len().max(b.len())
}

/// Longest clip whose lone-letter transcript is tried against the short answers when
/// nothing was expected.
const SHORT_CLIP_SECONDS: f64 = 1.5;

/// A transcript that is no word at all: one or two letters alone ("S", "Mm"), what the
/// free decoder makes of a clipped "yes" or "okay".
fn is_a_fragment(text: &str) -> bool {
    let letters: String = text.chars().filter(|c| c.is_alphabetic()).collect();
    let words = text.split_whitespace().count();
    words == 1
        && (1..=2).contains(&letters.chars().count())
        && !matches!(letters.to_lowercase().as_str(), "no" | "ok" | "hi" | "i")
}

/// Longest utterance tried against the closed set of short answers: anything longer is a
/// sentence, decoded freely.
const CLOSED_SET_MAX_SECONDS: f64 = 3.0;
/// Free text longer than this is a sentence, never replaced by a closed-set answer.
const CLOSED_SET_MAX_WORDS: usize = 3;
/// How much less sure (mean log-probability) of a closed-set phrase than of the free
/// text the decoder may be for the phrase to win: "Where is my order" forced into the
/// set scored -0.57 as "That's right", so the threshold alone does not do.
const CLOSED_SET_MARGIN: f32 = 0.5;

impl WhisperRecognizer {
    /// The closed-set answer the audio holds, when the decoder is sure enough of it.
    fn closed_set_answer(&mut self, clean: &[f32]) -> Result<Option<Transcript>, AsrError> {
        if self.closed_set.phrases.is_empty() {
            return Ok(None);
        }
        let answer = self.restricted_answer(clean, &Expect::YesNo, Only::ShortAnswers)?;
        let avg = answer.avg_logprob;
        tracing::debug!(
            chars = answer.text.chars().count(),
            avg_logprob = avg,
            kept = avg >= CLOSED_SET_MIN_LOGPROB,
            "closed-set answer"
        );
        if answer.text.is_empty() || avg < CLOSED_SET_MIN_LOGPROB {
            return Ok(None);
        }
        Ok(Some(answer))
    }

    /// The number the audio holds when it is one the device knows and the decoder is
    /// about as sure of it as of the number heard (`heard`, a digit decoding). A known
    /// number may be near `heard` or one of `also_heard`, other readings of the same
    /// audio. None when no number of the expected length is known, or the heard one is
    /// already known.
    pub(crate) fn known_number_answer(
        &mut self,
        clean: &[f32],
        heard: &Transcript,
        also_heard: &[String],
        min: usize,
        max: usize,
    ) -> Result<Option<Transcript>, AsrError> {
        let heard_digits = digits_of(&heard.text);
        if self.known_numbers.contains(&heard_digits) {
            return Ok(None);
        }
        // Only a close call: a known number a digit or two from what was heard, or up to
        // five when no other known number is as near. Any reading is some distance from
        // some known number, and one far from what was heard is another customer's
        // order, not this caller's mishearing.
        let readings: Vec<&str> = std::iter::once(heard_digits.as_str())
            .chain(also_heard.iter().map(String::as_str))
            .collect();
        let near: BTreeSet<String> = readings
            .iter()
            .flat_map(|reading| near_known(reading, &self.known_numbers, min..=max))
            .collect();
        if near.is_empty() {
            return Ok(None);
        }
        let expect = Expect::Digits { min, max };
        let answer = self.restricted_answer(clean, &expect, Only::Known(&near))?;
        let avg = answer.avg_logprob;
        let known = digits_of(&answer.text);
        // A known number further off than the near rule must be read more surely than
        // what was heard, not just about as surely: it would otherwise replace a number
        // heard right that the store does not hold yet, and read that customer's
        // number back.
        let distance = readings
            .iter()
            .map(|reading| digit_distance(&known, reading))
            .min()
            .unwrap_or(usize::MAX);
        let least = if distance <= KNOWN_NUMBER_MAX_DISTANCE {
            heard.avg_logprob - KNOWN_NUMBER_MARGIN
        } else {
            heard.avg_logprob + KNOWN_NUMBER_FAR_MARGIN
        };
        let kept = near.contains(&known) && avg >= least;
        #[cfg(test)]
        {
            self.last_known = Some((
                digits_of(&heard.text),
                heard.avg_logprob,
                known.clone(),
                avg,
            ));
        }
        // Whether a number is known is not logged: the log would tell what the store holds.
        tracing::debug!(
            avg_logprob = avg,
            heard_logprob = heard.avg_logprob,
            "known-number decoding"
        );
        Ok(kept.then_some(answer))
    }

    /// One window decoded with `only`'s restriction: its normalised text and the
    /// decoder's mean log-probability (`f32::MIN` when it wrote nothing, so it never wins
    /// a comparison).
    fn restricted_answer(
        &mut self,
        clean: &[f32],
        expect: &Expect,
        only: Only<'_>,
    ) -> Result<Transcript, AsrError> {
        let (raw, no_speech, lp, n) = self.decode_window(clean, expect, &[], only)?;
        Ok(Transcript {
            text: normalize(&raw),
            no_speech_prob: no_speech,
            avg_logprob: mean_logprob(lp, n).unwrap_or(f32::MIN),
            audio_seconds: 0.0,
            decode_seconds: 0.0,
        })
    }

    /// Every ≤ 30 s window of `clean` decoded with `expect`'s biasing, the kept texts
    /// joined.
    fn decode_all(&mut self, clean: &[f32], expect: &Expect) -> Result<Transcript, AsrError> {
        let prompt = self.prompt_tokens(expect);
        let mut texts = Vec::new();
        let mut no_speech_prob = 1f32;
        let (mut logprob_sum, mut n_tokens) = (0f64, 0usize);
        for window in windows(clean) {
            let (raw, nsp, lp, n) = self.decode_window(window, expect, &prompt, Only::Free)?;
            // The utterance held speech if any window did.
            no_speech_prob = no_speech_prob.min(nsp);
            let avg = mean_logprob(lp, n).unwrap_or(0.0);
            let mut text = accept(&raw, nsp, avg, self.no_speech_threshold);
            text = match expect {
                Expect::Digits { min, max } => collapse_digit_loop(&text, *min, *max),
                _ => cut_word_loops(&text, MAX_WORD_RUN),
            };
            tracing::debug!(
                raw_chars = raw.chars().count(),
                raw_words = raw.split_whitespace().count(),
                no_speech = nsp,
                avg_logprob = avg,
                kept = !text.is_empty(),
                "whisper window"
            );
            if !text.is_empty() {
                texts.push(text);
                logprob_sum += lp;
                n_tokens += n;
            }
        }
        Ok(Transcript {
            text: texts.join(" "),
            no_speech_prob,
            avg_logprob: mean_logprob(logprob_sum, n_tokens).unwrap_or(0.0),
            audio_seconds: 0.0,
            decode_seconds: 0.0,
        })
    }
}

/// The mean log-probability of `n` tokens whose log-probabilities sum to `sum`; none
/// for no token.
fn mean_logprob(sum: f64, n: usize) -> Option<f32> {
    (n > 0).then(|| (sum / n as f64) as f32)
}

/// How far the digits in `text` are from an allowed count: 0 inside `min..=max`. Digits
/// are counted as a listener would: "4", "four", "oh", and "double 5" as two. A number
/// read as a quantity ("1,000,000") counts as missing, however many zeros it has.
fn digit_length_miss(text: &str, min: usize, max: usize) -> usize {
    if text.contains(",000") {
        return max.max(1);
    }
    digit_length_miss_count(digits_of(text).len(), min, max)
}

/// The digits a listener hears in `text`: numerals and number words, in order.
pub(crate) fn digits_of(text: &str) -> String {
    digits_for_number_words(&text.replace(['-', ','], " "))
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// A word said more than `max_run` times in a row is kept once: nobody answers
/// "operators" twenty-seven times, tiny.en does. Case and punctuation do not separate
/// the repeats ("5, 5, 5, 5, 5").
fn cut_word_loops(text: &str, max_run: usize) -> String {
    let key = |w: &str| {
        w.trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out: Vec<&str> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let k = key(words[i]);
        let mut j = i + 1;
        while j < words.len() && !k.is_empty() && key(words[j]) == k {
            j += 1;
        }
        if j - i > max_run {
            out.push(words[i].trim_end_matches(','));
        } else {
            out.extend_from_slice(&words[i..j]);
        }
        i = j;
    }
    normalize(&out.join(" "))
}

/// A free reading's order number and the words before it.
#[derive(Debug, PartialEq, Eq)]
struct NamedNumber {
    /// Everything before the number, naming words included.
    before: String,
    /// The number as heard: digits, number words, repeats and homophones between them.
    number: String,
}

/// The number said just after words naming an order number ("order 983 702", "the
/// order number is 92022001629", "my order, it's nine …"), with what comes before it.
/// None when no naming word is followed by a number.
fn named_order_number(text: &str) -> Option<NamedNumber> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let bare = |w: &str| unpunctuated(w).to_ascii_lowercase();
    let is_number_word = |w: &str| {
        let b = bare(w);
        let numeral = |g: &str| matches!(number_part(g), Some(NumberPart::Numeral(_)));
        // "813-90571", "5.02": numerals the recogniser joined with a dash or a point.
        number_part(&b).is_some_and(|p| p != NumberPart::Hundred)
            || b.split(['-', '.']).all(numeral)
    };
    let is_homophone = |w: &str| DIGIT_HOMOPHONES.iter().any(|(h, _)| *h == bare(w));
    for (k, word) in words.iter().enumerate() {
        if !ORDER_NAMING.contains(&bare(word).as_str()) {
            continue;
        }
        let mut start = k + 1;
        while words
            .get(start)
            .is_some_and(|w| ORDER_NAMING_GLUE.contains(&bare(w).as_str()))
        {
            start += 1;
        }
        if !words.get(start).is_some_and(|w| is_number_word(w)) {
            continue;
        }
        let mut end = start + 1;
        while let Some(w) = words.get(end) {
            let homophone_between =
                is_homophone(w) && words.get(end + 1).is_some_and(|n| is_number_word(n));
            if !(is_number_word(w) || homophone_between) {
                break;
            }
            end += 1;
        }
        // The last word's own punctuation ends the number ("702." "702,").
        let last = words[end - 1];
        let trailing = &last[last
            .trim_end_matches(|c: char| c.is_ascii_punctuation())
            .len()..];
        let mut number = words[start..end].join(" ");
        number.truncate(number.len() - trailing.len());
        return Some(NamedNumber {
            before: words[..start].join(" "),
            number,
        });
    }
    None
}

/// A reading's number as the dialog takes it: homophones inside it read as digit words
/// ("4 0 for 2"), then number words and groups written as digits.
fn number_as_digits(text: &str) -> String {
    digits_for_number_words(&digits_for_homophones(text))
}

/// Digit homophones inside a number read as the digit words they stand for ("4 0 for
/// 2" → "4 0 four 2", "to 0 at 5" → "two 0 eight 5"). Before the number they are the
/// words they look like ("I want to …", "the status for 100…"), unless a digit follows
/// at once and nothing but words naming the number come before: "reach me on to 0 8 …"
/// is a number begun with "two".
fn digits_for_homophones(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let bare = |word: &str| unpunctuated(word).to_ascii_lowercase();
    let is_digit_word = |word: &str| {
        let b = bare(word);
        b.chars().any(|c| c.is_ascii_digit()) || DIGIT_WORDS.contains(&b.as_str())
    };
    let mut started = false;
    words
        .iter()
        .enumerate()
        .map(|(i, word)| {
            let lower = bare(word);
            if is_digit_word(word) {
                started = true;
            }
            let next_is_digit = words.get(i + 1).is_some_and(|w| is_digit_word(w));
            let opens_the_number = next_is_digit
                && words[..i].iter().all(|w| {
                    let b = bare(w);
                    LEAD_IN_WORDS.contains(&b.as_str()) || NAMING_WORDS.contains(&b.as_str())
                });
            let digit = DIGIT_HOMOPHONES
                .iter()
                .map(|(w, d)| (w, d, true))
                .chain(READ_HOMOPHONES.iter().map(|(w, d)| (w, d, false)))
                .find(|(w, _, _)| **w == lower);
            // Reading-only homophones ("at") stand for a digit only between digits.
            let is_a_digit = |in_filter: bool| {
                if started {
                    in_filter || next_is_digit
                } else {
                    in_filter && opens_the_number
                }
            };
            match digit {
                Some((_, digit, in_filter)) if is_a_digit(in_filter) => {
                    started = true;
                    word.replacen(unpunctuated(word), digit, 1)
                }
                _ => word.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A word of a transcript without the punctuation around it ("4," → "4").
fn unpunctuated(word: &str) -> &str {
    word.trim_matches(|c: char| c.is_ascii_punctuation())
}

/// Number words said in groups written as digits: "seventy four eighty three" → "7483",
/// "double five" → "55", "twenty twenty" → "2020", "five hundred twelve" → "512", "oh"
/// → "0" inside a number. A group is a run of numerals and number words up to a comma
/// or other punctuation ("seventy four, eighty three" → "74, 83"); groups of numerals
/// only, and a lone "oh" or "o" (an interjection, a letter), are left as they are.
/// Digits are counted the same way while decoding ([`NumberCount`]).
fn digits_for_number_words(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut group: Vec<(String, NumberPart)> = Vec::new();
    let mut tail = String::new();
    let flush =
        |group: &mut Vec<(String, NumberPart)>, tail: &mut String, out: &mut Vec<String>| {
            if group.is_empty() {
                return;
            }
            let weak = |w: &str| matches!(w.to_ascii_lowercase().as_str(), "oh" | "o");
            let has_word = group
                .iter()
                .any(|(_, p)| !matches!(p, NumberPart::Numeral(_)));
            let has_strong = group.iter().any(|(w, _)| !weak(w));
            if has_word && has_strong {
                out.push(format!("{}{tail}", spell_group(group)));
            } else {
                let words: Vec<&str> = group.iter().map(|(w, _)| w.as_str()).collect();
                out.push(format!("{}{tail}", words.join(" ")));
            }
            group.clear();
            tail.clear();
        };
    for word in text.split_whitespace() {
        // "seventy-four" is two number words; "0-6-0" three numerals.
        let pieces: Vec<&str> = word.split('-').collect();
        fn number_piece(p: &str) -> Option<(&str, NumberPart)> {
            let bare = p.trim_end_matches(|c: char| c.is_ascii_punctuation());
            number_part(bare).map(|part| (bare, part))
        }
        if pieces.iter().all(|p| number_piece(p).is_some()) {
            for piece in &pieces {
                let (bare, part) = number_piece(piece).expect("checked above");
                // "double, 7": a comma written after a repeat does not end the number;
                // the repeat is of the digit that follows.
                let repeat = matches!(part, NumberPart::Repeat(_));
                group.push((bare.to_string(), part));
                let punct = &piece[bare.len()..];
                if !punct.is_empty() && !repeat {
                    tail = punct.to_string();
                    flush(&mut group, &mut tail, &mut out);
                }
            }
        } else {
            flush(&mut group, &mut tail, &mut out);
            out.push(word.to_string());
        }
    }
    flush(&mut group, &mut tail, &mut out);
    out.join(" ")
}

/// A word of a spoken number as written in a transcript (a numeral or a number word).
fn number_part(word: &str) -> Option<NumberPart> {
    let lower = word.to_ascii_lowercase();
    let w = lower.as_str();
    if !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()) {
        return Some(NumberPart::Numeral(
            u8::try_from(w.len()).unwrap_or(u8::MAX),
        ));
    }
    if DIGIT_WORDS.contains(&w) {
        Some(NumberPart::Unit)
    } else if TEEN_WORDS.contains(&w) {
        Some(NumberPart::Teen)
    } else if TENS_WORDS.contains(&w) {
        Some(NumberPart::Tens)
    } else if w == "hundred" {
        Some(NumberPart::Hundred)
    } else {
        // "triples 6": tiny.en sometimes writes the repeat as a plural.
        let w = w.strip_suffix('s').unwrap_or(w);
        DIGIT_REPEATS
            .iter()
            .find(|(r, _)| *r == w)
            .map(|(_, n)| NumberPart::Repeat(*n))
    }
}

/// The digits of one group of numerals and number words.
fn spell_group(group: &[(String, NumberPart)]) -> String {
    let value = |w: &str| -> Option<u8> {
        DIGIT_WORDS
            .iter()
            .position(|d| *d == w)
            .map(|i| match i {
                0 | 1 | 11 => 0,
                i => i as u8 - 1,
            })
            .or_else(|| {
                TEEN_WORDS
                    .iter()
                    .position(|t| *t == w)
                    .map(|i| 10 + i as u8)
            })
            .or_else(|| {
                TENS_WORDS
                    .iter()
                    .position(|t| *t == w)
                    .map(|i| 20 + 10 * i as u8)
            })
    };
    let mut out = String::new();
    let mut tens: Option<u8> = None;
    let mut hundred = false;
    let mut repeat = 1usize;
    let lower: Vec<String> = group.iter().map(|(w, _)| w.to_ascii_lowercase()).collect();
    let flush_tens = |tens: &mut Option<u8>, out: &mut String| {
        if let Some(t) = tens.take() {
            out.push_str(&t.to_string());
        }
    };
    for ((_, part), word) in group.iter().zip(&lower) {
        let v = value(word).unwrap_or(0);
        match part {
            NumberPart::Repeat(extra) => {
                flush_tens(&mut tens, &mut out);
                if hundred {
                    out.push_str("00");
                    hundred = false;
                }
                repeat = usize::from(*extra) + 1;
            }
            NumberPart::Unit => {
                if let Some(t) = tens.take() {
                    out.push_str(&(t + v).to_string());
                } else if hundred {
                    hundred = false;
                    out.push('0');
                    out.push(char::from(b'0' + v));
                } else {
                    for _ in 0..repeat {
                        out.push(char::from(b'0' + v));
                    }
                    repeat = 1;
                }
            }
            NumberPart::Teen => {
                flush_tens(&mut tens, &mut out);
                hundred = false;
                out.push_str(&v.to_string());
            }
            NumberPart::Tens => {
                flush_tens(&mut tens, &mut out);
                hundred = false;
                tens = Some(v);
            }
            NumberPart::Hundred => {
                flush_tens(&mut tens, &mut out);
                hundred = true;
            }
            NumberPart::Numeral(_) => {
                flush_tens(&mut tens, &mut out);
                if hundred {
                    out.push_str("00");
                    hundred = false;
                }
                // "double 5", "triple 248": the repeat is of the first digit.
                let mut chars = word.chars();
                if let Some(first) = chars.next() {
                    for _ in 0..repeat {
                        out.push(first);
                    }
                    out.push_str(chars.as_str());
                }
                repeat = 1;
            }
            NumberPart::Word | NumberPart::Separator { .. } => {}
        }
    }
    flush_tens(&mut tens, &mut out);
    if hundred {
        out.push_str("00");
    }
    out
}

/// Cuts audio longer than whisper's window into ≤ 30 s pieces, each cut at the quietest
/// 20 ms of the window's last 5 s so words are rarely split.
fn windows(audio: &[f32]) -> Vec<&[f32]> {
    const FRAME: usize = SAMPLE_RATE / 50;
    const SEARCH: usize = 5 * SAMPLE_RATE;
    let mut out = Vec::new();
    let mut rest = audio;
    while rest.len() > WINDOW_SAMPLES {
        let from = WINDOW_SAMPLES - SEARCH;
        let cut = rest[from..WINDOW_SAMPLES]
            .chunks_exact(FRAME)
            .enumerate()
            .min_by(|(_, a), (_, b)| {
                let energy = |f: &[f32]| f.iter().map(|s| s * s).sum::<f32>();
                energy(a).total_cmp(&energy(b))
            })
            .map_or(WINDOW_SAMPLES, |(i, _)| from + i * FRAME + FRAME / 2);
        let (head, tail) = rest.split_at(cut);
        out.push(head);
        rest = tail;
    }
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// The fewest times one digit repeated in a row that shows the digit filter filling the
/// count for a number whisper stopped reading ("2,0,0,0,0,0,0,0,0,0,0,0,0"). An order
/// number holding six of one digit in a row is about one in ten thousand.
const PADDED_RUN: usize = 6;

/// Whether a digit reading ends in a run of one digit the filter padded it with.
fn pads_a_digit(text: &str) -> bool {
    let digits = digits_of(text);
    let Some(last) = digits.chars().last() else {
        return false;
    };
    digits.chars().rev().take_while(|&c| c == last).count() >= PADDED_RUN
}

/// whisper sometimes reads a number and then reads it again ("28173 28173",
/// "1, 2, 3, 4, 5, 1, 2, 3, 4, 5"), and with the beam free to fill the allowed length it
/// starts again within it ("1, 2, 3, 4, 5, 1, 2, 3"). When the digits are one block of
/// an allowed length repeated, keep the text up to the end of the first block.
fn collapse_digit_loop(text: &str, min: usize, max: usize) -> String {
    let digits: Vec<(usize, char)> = text
        .char_indices()
        .filter(|(_, c)| c.is_ascii_digit())
        .collect();
    let n = digits.len();
    if max == 0 || n < 2 {
        return text.to_string();
    }
    // Too many digits and a whole block repeated, or (within the length, when the
    // dialog allows a range) a block followed by at least three of its own first
    // digits again: "1, 2, 3, 4, 5, 1, 2, 3".
    let block = (min.max(1)..=max.min(n - 1)).find(|&len| {
        let repeats = digits
            .iter()
            .enumerate()
            .skip(len)
            .all(|(i, (_, c))| *c == digits[i % len].1);
        repeats && ((n > max && n >= 2 * len) || n - len >= 3)
    });
    match block {
        Some(len) => {
            let (at, c) = digits[len - 1];
            normalize(&text[..at + c.len_utf8()])
        }
        None => text.to_string(),
    }
}

/// The text to keep from one window: empty when whisper judged it silent or produced one
/// of its stock inventions; otherwise normalised.
/// Mean token log-probability above which text is kept whatever the no-speech
/// probability says (whisper's own rule: silence is a high no-speech probability *and*
/// unsure text). Clear short answers and digit strings often score 0.6 no-speech.
const CONFIDENT_LOGPROB: f32 = -1.0;

fn accept(raw: &str, no_speech_prob: f32, avg_logprob: f32, threshold: f32) -> String {
    if no_speech_prob > threshold && avg_logprob < CONFIDENT_LOGPROB {
        return String::new();
    }
    let text = normalize(&collapse_repeats(&strip_sound_tags(raw)));
    let key: String = text
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    let key = key.split_whitespace().collect::<Vec<_>>().join(" ");
    if key.is_empty()
        || (HALLUCINATIONS.contains(&key.as_str()) && no_speech_prob > HALLUCINATION_MAX_NO_SPEECH)
    {
        return String::new();
    }
    text
}

/// Undoes whisper's loop on short clips ("Yes. Yes. Yes. Ye"): consecutive identical
/// sentences are kept once, and a trailing fragment of the repeated sentence is dropped.
/// A caller who really says the same sentence twice loses nothing of its meaning.
fn collapse_repeats(text: &str) -> String {
    let mut sentences: Vec<&str> = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '!' | '?') {
            let next = text[i + c.len_utf8()..].chars().next();
            if next.is_none_or(char::is_whitespace) {
                sentences.push(&text[start..i + c.len_utf8()]);
                start = i + c.len_utf8();
            }
        }
    }
    if start < text.len() {
        sentences.push(&text[start..]);
    }
    let key = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric() || *c == ' ')
            .collect::<String>()
            .trim()
            .to_lowercase()
    };
    let mut kept: Vec<&str> = Vec::new();
    let mut repeated = false;
    for s in sentences {
        if kept.last().is_some_and(|last| key(last) == key(s)) {
            repeated = true;
        } else {
            kept.push(s);
        }
    }
    if repeated && kept.len() >= 2 {
        let last = key(kept[kept.len() - 1]);
        if !last.is_empty() && key(kept[kept.len() - 2]).starts_with(&last) {
            kept.pop();
        }
    }
    kept.concat()
}

/// Removes `[BLANK_AUDIO]`, `(music)`, `*coughs*` and the like: never words anyone said.
fn strip_sound_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut closing: Option<char> = None;
    for c in text.chars() {
        match closing {
            Some(end) if c == end => closing = None,
            Some(_) => {}
            None => match c {
                '[' => closing = Some(']'),
                '(' => closing = Some(')'),
                '*' => closing = Some('*'),
                _ => out.push(c),
            },
        }
    }
    out
}

/// Trims, collapses whitespace, and strips punctuation before the first and after the
/// last word (whisper's "- ", "...", quotes), keeping the words themselves intact.
pub fn normalize(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let keep = |c: char| c.is_alphanumeric() || c == '$' || c == '#';
    let start = collapsed.find(keep).unwrap_or(collapsed.len());
    let end = collapsed
        .char_indices()
        .rev()
        .find(|&(_, c)| c.is_alphanumeric() || c == '%')
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(start);
    collapsed
        .get(start..end.max(start))
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vocabulary of 20: text tokens 0–9 are the digits "0"…"8" and a word; 10 is
    /// <|endoftext|>, 11 another special token, 12 onwards timestamps.
    fn toy_classes() -> TokenClasses {
        toy_vocabulary(&["0", "1", "2", "3", "4", "5", "6", "7", "8", " the"])
    }

    fn toy_vocabulary(texts: &[&str]) -> TokenClasses {
        let texts: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
        TokenClasses::from_texts(texts.len() + 10, texts.len(), texts.len() + 2, &texts)
    }

    fn token(id: i32) -> WhisperTokenData {
        WhisperTokenData {
            id,
            tid: 0,
            p: 0.0,
            plog: 0.0,
            pt: 0.0,
            ptsum: 0.0,
            t0: 0,
            t1: 0,
            t_dtw: 0,
            vlen: 0.0,
        }
    }

    /// The bias of a digit turn expecting exactly `count` digits, with no closed or
    /// known set of answers.
    fn digit_turn(
        classes: &TokenClasses,
        count: usize,
        hard: bool,
        repeat_bonus: f32,
    ) -> LogitBias<'_> {
        LogitBias {
            classes,
            digits: true,
            max_digit_run: Some(count),
            min_digits: Some(count),
            hard_digits: hard,
            yes_no: false,
            closed: None,
            known: None,
            forced_prefix: &[],
            repeat_bonus,
        }
    }

    fn filtered(bias: &LogitBias<'_>, so_far: &[WhisperTokenData]) -> Vec<f32> {
        let mut logits = vec![0.0f32; bias.classes.n_vocab];
        // SAFETY: the pointers and lengths are those of live slices, as whisper.cpp passes.
        unsafe {
            apply_logit_bias(
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                so_far.as_ptr(),
                so_far.len() as c_int,
                logits.as_mut_ptr(),
                bias as *const LogitBias<'_> as *mut c_void,
            );
        }
        logits
    }

    #[test]
    fn an_unfinished_number_is_not_ended_by_endoftext_or_a_timestamp() {
        let classes = toy_classes();
        let number = digit_turn(&classes, 4, false, 0.0);
        // Two digits of four: ending the text, by <|endoftext|> or a timestamp, costs.
        let logits = filtered(&number, &[token(12), token(3), token(5)]);
        assert_eq!(logits[10], -EARLY_END_PENALTY);
        assert_eq!(logits[11], 0.0);
        assert!(logits[12..].iter().all(|&l| l == -EARLY_END_PENALTY));
        assert_eq!(logits[9], -DIGIT_PENALTY);
        assert_eq!(logits[4], 0.0);
        // Four of four: ending is free and a fifth digit is discouraged.
        let done = [token(12), token(3), token(5), token(1), token(2)];
        let logits = filtered(&number, &done);
        assert_eq!(logits[10], 0.0);
        assert!(logits[12..].iter().all(|&l| l == 0.0));
        assert_eq!(logits[4], -EXTRA_DIGIT_PENALTY);
    }

    #[test]
    fn the_hard_digit_filter_binds_only_once_a_number_started() {
        // Token 8 is a homophone ("to"): a word before the number, a digit inside it.
        let classes = toy_vocabulary(&["0", "1", "2", "3", "4", "5", "6", "7", " to", " the"]);
        assert!(classes.homophone[8] && !classes.digit_like[8]);
        let number = digit_turn(&classes, 3, true, 0.0);
        // Before any digit, words are only penalised: "my order number is …".
        let logits = filtered(&number, &[token(12)]);
        assert_eq!(logits[9], -DIGIT_PENALTY);
        assert_eq!(logits[10], 0.0, "nothing said yet: ending is allowed");
        // One digit in: words are impossible, the homophone is a digit, ending is not.
        let logits = filtered(&number, &[token(12), token(3)]);
        assert_eq!(logits[9], f32::NEG_INFINITY);
        assert_eq!(logits[8], 0.0);
        assert_eq!(logits[10], f32::NEG_INFINITY);
        assert!(logits[12..].iter().all(|&l| l == f32::NEG_INFINITY));
        // Three of three (the homophone counted): no fourth digit, ending is free.
        let logits = filtered(&number, &[token(12), token(3), token(8), token(1)]);
        assert_eq!(logits[4], f32::NEG_INFINITY);
        assert_eq!(logits[8], f32::NEG_INFINITY);
        assert_eq!(logits[10], 0.0);
    }

    #[test]
    fn a_closed_set_allows_only_the_next_token_of_a_phrase() {
        let classes = toy_classes();
        let closed = ClosedSet {
            phrases: vec![("yes".into(), vec![1]), ("repeat that".into(), vec![2, 3])],
        };
        let bias = LogitBias {
            classes: &classes,
            digits: false,
            max_digit_run: None,
            min_digits: None,
            hard_digits: false,
            yes_no: true,
            closed: Some(&closed),
            known: None,
            forced_prefix: &[],
            repeat_bonus: 0.0,
        };
        let logits = filtered(&bias, &[]);
        let open: Vec<usize> = (0..20).filter(|&i| logits[i] > f32::MIN).collect();
        assert_eq!(
            open,
            vec![1, 2, 11],
            "first tokens (and a non-ending special)"
        );
        let logits = filtered(&bias, &[token(2)]);
        let open: Vec<usize> = (0..20).filter(|&i| logits[i] > f32::MIN).collect();
        assert_eq!(open, vec![3, 11], "half a phrase cannot end");
        let logits = filtered(&bias, &[token(2), token(3)]);
        assert_eq!(logits[10], 0.0, "a whole phrase may end");
        assert!(logits[..10].iter().all(|&l| l == f32::NEG_INFINITY));
    }

    #[test]
    fn a_number_named_as_the_order_is_found_after_the_words_naming_it() {
        let named = |t: &str| named_order_number(t).map(|n| format!("{}|{}", n.before, n.number));
        assert_eq!(
            named("Hi, can you tell me where my order is? Order number 983 702").as_deref(),
            Some("Hi, can you tell me where my order is? Order number|983 702")
        );
        assert_eq!(
            named("Order number 83466431971. Double 3").as_deref(),
            Some("Order number|83466431971. Double 3")
        );
        assert_eq!(
            named("I'm ringing about my order, it's 9436 50296310.").as_deref(),
            Some("I'm ringing about my order, it's|9436 50296310")
        );
        assert_eq!(
            named("Could you look up order 552 to 41 for me?").as_deref(),
            Some("Could you look up order|552 to 41")
        );
        assert_eq!(
            named("Hi, order number 4471 20, I'd like to change the address.").as_deref(),
            Some("Hi, order number|4471 20")
        );
        // A count after "order" is found too; too few digits to be a number cut short
        // ([`NAMED_NUMBER_MIN_HEARD`]).
        assert_eq!(
            named("I'd like to order two hoodies").as_deref(),
            Some("I'd like to order|two")
        );
        assert_eq!(named("Where is my order?"), None);
    }

    #[test]
    fn loops_are_cut_and_homophones_read_as_digits() {
        assert_eq!(cut_word_loops(&["operators"; 27].join(" "), 3), "operators");
        assert_eq!(cut_word_loops("5, 5, 5, 5, 5, 5, 5", 3), "5");
        assert_eq!(cut_word_loops("no no no", 3), "no no no");
        assert_eq!(
            cut_word_loops("I said yes yes yes yes okay", 3),
            "I said yes okay"
        );
        assert_eq!(digits_for_homophones("4 0 for 2 ate"), "4 0 four 2 eight");
        assert_eq!(
            digits_for_homophones("I want to give 5 to"),
            "I want to give 5 two"
        );
    }

    #[test]
    fn digit_counts_read_words_repeats_and_refuse_quantities() {
        let miss = |t: &str| digit_length_miss(t, 13, 13);
        assert_eq!(miss("4 0 7 1 9 3 2 8 5 6 0 1 7"), 0);
        assert_eq!(miss("My order number is 40719 32856 017."), 0);
        assert_eq!(miss("five double five three two one oh oh 8 7 4 6 1"), 0);
        assert_eq!(miss("triple 2 4 8 9 1 6 3 0 5 7 2"), 0);
        assert_eq!(miss("It"), 13);
        assert_eq!(miss("4 0 7"), 10);
        assert_eq!(miss("1 2 3 4 5 6 7 8 9 0 1 2 3 4"), 1);
        assert_eq!(miss("1,000,000,000,000"), 13);
        assert_eq!(digit_length_miss("78701", 5, 5), 0);
    }

    #[test]
    fn repeated_numbers_collapse_only_beyond_the_expected_length() {
        assert_eq!(collapse_digit_loop("28173 28173", 4, 8), "28173");
        assert_eq!(
            collapse_digit_loop("1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2, 3", 3, 8),
            "1, 2, 3, 4, 5"
        );
        // Within the allowed length a repeat may be the real number.
        assert_eq!(collapse_digit_loop("1 2 1 2", 4, 8), "1 2 1 2");
        assert_eq!(
            collapse_digit_loop("1, 2, 3, 4, 5, 1, 2, 3", 3, 8),
            "1, 2, 3, 4, 5"
        );
        // A fixed length (an order number, a zip) is never cut short.
        assert_eq!(collapse_digit_loop("12312", 5, 5), "12312");
        // Too long but not a repeat: left for the dialog to reject.
        assert_eq!(
            collapse_digit_loop("1 2 3 4 5 6 7 8 9", 4, 8),
            "1 2 3 4 5 6 7 8 9"
        );
    }

    #[test]
    fn long_audio_is_cut_in_quiet_places() {
        let mut audio = vec![0.5f32; 70 * SAMPLE_RATE];
        let quiet = 27 * SAMPLE_RATE;
        audio[quiet..quiet + SAMPLE_RATE / 10].fill(0.0);
        let w = windows(&audio);
        assert_eq!(w.len(), 3);
        assert!(w.iter().all(|w| w.len() <= WINDOW_SAMPLES));
        assert!(
            w[0].len() > quiet && w[0].len() < quiet + SAMPLE_RATE / 10,
            "{}",
            w[0].len()
        );
        assert_eq!(w.iter().map(|w| w.len()).sum::<usize>(), audio.len());
        assert_eq!(windows(&[0.1; 100]).len(), 1);
        assert!(windows(&[]).is_empty());
    }

    /// A numeral, number words, a lead-in word, a hyphen and a word, by token id 0–9.
    const NUMBER_WORD_VOCABULARY: [&str; 10] = [
        "7",
        " seventy",
        " four",
        " eighty",
        " seventeen",
        " hundred",
        " double",
        " um",
        "-",
        " the",
    ];

    #[test]
    fn number_words_count_as_the_digits_they_write() {
        // 0–2 numerals, then number words, a lead-in word, a hyphen and a word.
        let classes = toy_vocabulary(&NUMBER_WORD_VOCABULARY);
        let count = |ids: &[usize]| {
            NumberCount::of(ids.iter().map(|&id| classes.part_in_number(id))).digits
        };
        assert_eq!(count(&[1, 2, 3, 2]), 4, "seventy four eighty four");
        assert_eq!(count(&[1, 8, 2]), 2, "seventy-four");
        assert_eq!(count(&[1, 1]), 4, "seventy seventy");
        assert_eq!(count(&[2, 5, 4]), 3, "four hundred seventeen");
        assert_eq!(count(&[2, 5, 1, 2]), 3, "four hundred seventy four");
        assert_eq!(count(&[2, 5]), 3, "four hundred");
        assert_eq!(count(&[6, 2, 0]), 3, "double four 7");
        assert!(classes.lead_in[7] && !classes.lead_in[9]);
        // Every case above is written with as many digits as it was counted.
        for (said, written) in [
            ("seventy four eighty four", "7484"),
            ("seventy-four", "74"),
            ("seventy seventy", "7070"),
            ("four hundred seventeen", "417"),
            ("four hundred seventy four", "474"),
            ("four hundred", "400"),
            ("double four 7", "447"),
        ] {
            assert_eq!(digits_for_number_words(said), written);
        }
    }

    #[test]
    fn digit_distance_counts_changed_dropped_and_added_digits() {
        assert_eq!(digit_distance("1234567890123", "1234567890123"), 0);
        assert_eq!(digit_distance("1234567890123", "1234567800123"), 1);
        assert_eq!(digit_distance("1234567890123", "123456789012"), 1);
        assert_eq!(digit_distance("1234567890123", "12345567890123"), 1);
        assert_eq!(digit_distance("1234567890123", "9876543210987"), 11);
        assert_eq!(digit_distance("", "123"), 3);
        // Within a limit: the distance, or none once it is past the limit.
        assert_eq!(
            digit_distance_within("1234567890123", "1234567800123", 1),
            Some(1)
        );
        assert_eq!(
            digit_distance_within("1234567890123", "9876543210987", 5),
            None
        );
        assert_eq!(digit_distance_within("1234567890123", "123", 5), None);
        assert_eq!(digit_distance_within("12345", "12354", 2), Some(2));
    }

    #[test]
    fn a_number_with_a_few_words_reads_as_a_number_and_an_email_or_sentence_does_not() {
        for number in [
            "787 birl 1",
            "Sadly, 701",
            "7-8-7-0-1.",
            "seven eight seven oh one",
            "it's 555 0100",
            "78701",
            // Words naming the number do not make it a sentence.
            "Billings zip is 5, 5, 4, 1",
            "Is it? It's 2, 3, 4, 5",
            "Zip is to three you four five",
            "my phone number would be 512 555 01",
        ] {
            assert!(reads_as_a_number(number), "{number:?}");
        }
        for words in [
            "ada 99 at example dot com",
            "ada99@example.com",
            "I don't know the zip, sorry",
            "my zip code is not 5 either",
            "I think I sent 3 back last week",
            "yes",
            "12",
        ] {
            assert!(!reads_as_a_number(words), "{words:?}");
        }
        assert_eq!(digit_length_miss_count(3, 5, 5), 2);
        assert_eq!(digit_length_miss_count(13, 10, 11), 2);
        assert_eq!(digit_length_miss_count(10, 10, 11), 0);
    }

    #[test]
    fn a_free_reading_of_a_number_is_written_as_the_digits_heard() {
        for (heard, want) in [
            // "two" heard as "to" just before a digit, "eight" as "at" between digits.
            (
                "You can reach me on to 0 at 5 double 6 double 0 1 0",
                "You can reach me on 2085660010",
            ),
            ("848 for double 0 for 028", "8484004028"),
            ("8. Double-3. Free 688-0761", "8. 33. 36880761"),
            ("My zip code is on 9 triples 6", "My zip code is on 9666"),
            // Before a number, and not before a digit, the words are words.
            ("I want to order 2 mugs", "I want to order 2 mugs"),
            (
                "the status for 1000000000028",
                "the status for 1000000000028",
            ),
            ("it's for 5 5 0", "it's 4550"),
            ("ada 8 at gmail dot com", "ada 8 at gmail dot com"),
            ("call me at 555 0100", "call me at 555 0100"),
        ] {
            assert_eq!(number_as_digits(heard), want, "{heard:?}");
        }
        assert!(reads_as_a_number("You can reach me on 2085660010"));
        assert!(reads_as_a_number("call me at 555 0100"));
        assert!(!reads_as_a_number("ada 8 at gmail dot com"));
        assert!(!reads_as_a_number("ada 88 at example"));
        assert_eq!(
            zero_for_a_heard_oh("My zip code is on 9666").as_deref(),
            Some("My zip code is 09666")
        );
        assert_eq!(
            zero_for_a_heard_oh("It's of 524, 5").as_deref(),
            Some("It's 0524, 5")
        );
        assert_eq!(zero_for_a_heard_oh("It's 524, 5"), None);
        assert_eq!(zero_for_a_heard_oh("call me at 555"), None);
        assert_eq!(zero_for_a_heard_oh("You can reach me on 412555111"), None);
    }

    #[test]
    fn a_clip_too_short_for_a_count_cannot_hold_it() {
        // A zip looped into thirteen digits in 2.4 s; a real order number in 4.3 s.
        assert!(!can_say_digits(2.36, 13));
        assert!(can_say_digits(2.36, 5));
        assert!(can_say_digits(4.3, 13));
    }

    #[test]
    fn a_number_word_cannot_overrun_the_expected_length() {
        let classes = toy_vocabulary(&NUMBER_WORD_VOCABULARY);
        let number = digit_turn(&classes, 4, true, 0.0);
        // Before the number, a lead-in word is not penalised, another word is.
        let logits = filtered(&number, &[]);
        assert_eq!(logits[7], 0.0);
        assert_eq!(logits[9], -DIGIT_PENALTY);
        // "seventy four" is two digits: a tens word (two more) fits, ending does not.
        let logits = filtered(&number, &[token(1), token(2)]);
        assert_eq!(logits[3], 0.0);
        assert_eq!(logits[10], f32::NEG_INFINITY);
        assert_eq!(logits[9], f32::NEG_INFINITY, "no word inside a number");
        // "seventy": a unit completes it without a digit more.
        let logits = filtered(&number, &[token(1), token(2), token(1)]);
        assert_eq!(logits[2], 0.0, "seventy four seventy four");
        assert_eq!(logits[0], f32::NEG_INFINITY, "a fifth digit");
        // "seventy four eighty": only a unit may follow, then the end.
        let logits = filtered(&number, &[token(1), token(2), token(3)]);
        assert_eq!(logits[2], 0.0);
        assert_eq!(
            logits[4],
            f32::NEG_INFINITY,
            "seventeen would make six digits"
        );
        assert_eq!(logits[10], 0.0, "seventy four eighty is four digits");
    }

    #[test]
    fn double_and_triple_get_the_bonus_only_where_the_count_has_room() {
        let classes = toy_vocabulary(&NUMBER_WORD_VOCABULARY);
        let mut bias = digit_turn(&classes, 4, true, 3.0);
        // Before the number and inside it, "double" gets the bonus; other tokens do not.
        assert_eq!(filtered(&bias, &[])[6], 3.0);
        let logits = filtered(&bias, &[token(0), token(0)]);
        assert_eq!((logits[6], logits[0], logits[2]), (3.0, 0.0, 0.0));
        // Four digits of four: no room, and the bonus does not reopen it.
        let logits = filtered(&bias, &[token(0), token(0), token(0), token(0)]);
        assert_eq!(logits[6], f32::NEG_INFINITY);
        // Without the hard filter (a soft digit bias) there is no bonus.
        bias.hard_digits = false;
        assert_eq!(filtered(&bias, &[token(0)])[6], 0.0);
    }

    #[test]
    fn spoken_groups_are_written_as_digits() {
        let cases = [
            (
                "Okay, it's seventy four eighty three, 2627, I think",
                "Okay, it's 7483, 2627, I think",
            ),
            ("double five 3", "553"),
            ("twenty twenty", "2020"),
            ("four oh seven", "407"),
            ("Oh, 1 7 3 0 2", "Oh, 1 7 3 0 2"),
            ("5 5 oh 1", "5501"),
            ("nineteen ninety-nine", "1999"),
            ("five hundred twelve, six", "512, 6"),
            ("triple 248", "22248"),
            ("I want to cancel order one", "I want to cancel order 1"),
            ("4 0 7 1 9", "4 0 7 1 9"),
            ("Yeah, O.K.", "Yeah, O.K."),
        ];
        for (heard, written) in cases {
            assert_eq!(digits_for_number_words(heard), written, "{heard}");
        }
        assert_eq!(digits_of("7-4, eighty three, double 5"), "748355");
        assert_eq!(digits_of("Yes, 0, 6, double, 7, 4"), "06774");
    }

    #[test]
    fn a_count_filled_with_one_digit_is_told_from_a_number() {
        assert!(pads_a_digit("2,0,0,0,0,0,0,0,0,0,0,0,0"));
        assert!(pads_a_digit("5.5.5.5.5.5.5.5.5.5.5.5.5"));
        // Five of a digit is still a number someone could say.
        assert!(!pads_a_digit("2880007943171"));
        assert!(!pads_a_digit("7000001234"));
        assert!(!pads_a_digit("12345600000"));
        assert!(!pads_a_digit("no number"));
    }

    #[test]
    fn a_known_number_further_off_is_taken_only_when_alone() {
        let set = |numbers: &[&str]| -> BTreeSet<String> {
            numbers.iter().map(|n| n.to_string()).collect()
        };
        let sparse = set(&["7483262755734", "1027607874317", "5655187181257"]);
        // "Seventy four eighty three …" heard shifted, three digits off.
        assert_eq!(
            near_known("7348326275573", &sparse, 13..=13),
            set(&["7483262755734"])
        );
        // Two off, whatever else is known.
        assert_eq!(
            near_known("7483262755700", &sparse, 13..=13),
            set(&["7483262755734"])
        );
        // Seven off is someone else's number.
        assert!(near_known("7483200000000", &sparse, 13..=13).is_empty());
        // Numbers counted up one by one: many are as near, so only the near rule holds.
        let dense: BTreeSet<String> = (0..200)
            .map(|n| format!("{}", 1_000_000_000_000u64 + n))
            .collect();
        assert!(near_known("1000000099942", &dense, 13..=13).is_empty());
        let close = near_known("1000000000049", &dense, 13..=13);
        assert!(
            close.contains("1000000000042")
                && close
                    .iter()
                    .all(|k| digit_distance(k, "1000000000049") <= 2)
        );
        // Short numbers: in proportion, a zip's length leaves no more than the near rule.
        assert!(near_known("12999", &set(&["12345"]), 5..=5).is_empty());
        // A known number of a length the turn does not take is never near.
        assert!(near_known("7483262755700", &sparse, 5..=10).is_empty());
        // Any length allowed: no overflow, and the near rule still holds.
        assert_eq!(
            near_known("7483262755700", &sparse, 1..=usize::MAX),
            set(&["7483262755734"])
        );
    }

    #[test]
    fn only_known_numbers_can_be_written_in_the_known_number_decoding() {
        // Numerals "1", "12", "3", "34", "5", a comma, a word; then the specials.
        let classes =
            toy_vocabulary(&["1", "12", "3", "34", "5", ",", " it's", " four", "9", "99"]);
        let known: BTreeSet<String> = ["1234", "1239"].map(String::from).into();
        let bias = LogitBias {
            classes: &classes,
            digits: false,
            max_digit_run: None,
            min_digits: None,
            hard_digits: false,
            yes_no: false,
            closed: None,
            known: Some(&known),
            forced_prefix: &[],
            repeat_bonus: 0.0,
        };
        let open = |so_far: &[WhisperTokenData]| -> Vec<usize> {
            let logits = filtered(&bias, so_far);
            (0..20).filter(|&i| logits[i] > f32::MIN).collect()
        };
        // Before the number: words and the numerals that start a known number.
        assert_eq!(open(&[]), vec![0, 1, 5, 6, 11]);
        // "12": "3" and "34" lead on; "9" does not ("129"), nor "99"; no word, no end.
        assert_eq!(open(&[token(1)]), vec![2, 3, 5, 11]);
        // "12 3": "4" is not a token here, "9" ends at 1239; "34" would overrun.
        assert_eq!(open(&[token(1), token(2)]), vec![5, 8, 11]);
        // "12 34" is known: the text may end.
        assert_eq!(open(&[token(1), token(3)]), vec![5, 10, 11]);
        // After a word, still before the number: words stay open, number words never.
        let after_word = open(&[token(6)]);
        assert!(after_word.contains(&6) && !after_word.contains(&7));
    }

    #[test]
    fn threads_follow_the_runnable_tasks_of_the_moment() {
        assert_eq!(runnable_now("0.52 0.58 0.59 1/467 12345"), Some(1));
        assert_eq!(runnable_now("7.43 6.23 4.01 9/612 999"), Some(9));
        assert_eq!(runnable_now("garbage"), None);
        // Alone on two cores: both threads; one busy neighbour: one; crowded: still one.
        assert_eq!(threads_for_load(2, 2, 1), 2);
        assert_eq!(threads_for_load(2, 2, 2), 1);
        assert_eq!(threads_for_load(2, 2, 9), 1);
        assert_eq!(threads_for_load(4, 8, 3), 4);
        assert_eq!(threads_for_load(1, 2, 1), 1);
    }

    #[test]
    fn a_closed_set_answer_replaces_only_text_spelled_like_it() {
        assert!(may_stand_for("Yet.", "yes"));
        assert!(may_stand_for("Helper", "help"));
        assert!(may_stand_for("S", "yes"));
        assert!(may_stand_for("", "no"));
        assert!(may_stand_for("Nape", "nope"));
        assert!(!may_stand_for("Incorrect.", "correct"));
        assert!(!may_stand_for("not right", "right"));
        assert!(!may_stand_for("Not quite.", "that's right"));
        assert!(!may_stand_for("Come again?", "a person"));
        assert!(!may_stand_for("I'm done.", "a person"));
    }

    #[test]
    fn normalize_trims_collapses_and_strips_edge_punctuation() {
        assert_eq!(normalize("  - Where is   my order?  "), "Where is my order");
        assert_eq!(normalize("\"1, 2, 3.\""), "1, 2, 3");
        assert_eq!(normalize("...yes..."), "yes");
        assert_eq!(normalize("It's $40 off, 10%."), "It's $40 off, 10%");
        assert_eq!(normalize(" ... "), "");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn sound_tags_and_stock_phrases_are_dropped() {
        assert_eq!(accept("[BLANK_AUDIO]", 0.0, -0.3, 0.6), "");
        assert_eq!(accept(" (music playing)", 0.0, -0.3, 0.6), "");
        assert_eq!(accept(" *coughs* yes", 0.0, -0.3, 0.6), "yes");
        assert_eq!(accept(" Thanks for watching!", 0.3, -0.3, 0.6), "");
        assert_eq!(accept(" Thank you.", 0.3, -0.3, 0.6), "");
        // The same words said clearly are kept.
        assert_eq!(accept(" Thank you.", 0.01, -0.3, 0.6), "Thank you");
        assert_eq!(accept(" Where is my order?", 0.7, -1.4, 0.6), "");
        // Likely silence but confident text: kept, as whisper itself does.
        assert_eq!(accept(" 7 3 3 9 1 0 2", 0.64, -0.4, 0.6), "7 3 3 9 1 0 2");
        assert_eq!(
            accept(" Where is my order?", 0.2, -0.3, 0.6),
            "Where is my order"
        );
        assert_eq!(accept(" Yes. Yes. Yes. Ye", 0.0, -0.3, 0.6), "Yes");
        assert_eq!(
            accept(
                " I want to cancel my order. I want to cancel my order",
                0.0,
                -0.3,
                0.6
            ),
            "I want to cancel my order"
        );
        assert_eq!(
            accept(" 6 4 9 7. 6 4 9 7. 6 4 9", 0.0, -0.3, 0.6),
            "6 4 9 7"
        );
        assert_eq!(accept(" No. Yes. No.", 0.0, -0.3, 0.6), "No. Yes. No");
        assert_eq!(accept(" 5 5 5 1 2 3 4", 0.0, -0.3, 0.6), "5 5 5 1 2 3 4");
        // An unclosed tag swallows the rest rather than leaking a half tag.
        assert_eq!(accept(" yes [inaudible", 0.0, -0.3, 0.6), "yes");
    }
}

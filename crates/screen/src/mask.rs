//! What the screen never shows in clear. The glue masks personal data before it sends an
//! event, and this module masks it again, so a slip upstream does not put a card number on
//! a shop-floor screen: card numbers keep their last four digits, phone numbers their
//! last two, emails their first letters.

/// The character that stands for a hidden digit or letter.
const HIDDEN: char = '•';

/// `ada.park@example.com` → `a•••@e•••.com`; something that is not an email → `•••`.
pub fn mask_email(email: &str) -> String {
    let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    match email.split_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
            let (host, tld) = domain.rsplit_once('.').unwrap_or((domain, ""));
            let tld = if tld.is_empty() {
                String::new()
            } else {
                format!(
                    ".{}",
                    tld.chars()
                        .filter(|c| c.is_alphanumeric())
                        .collect::<String>()
                )
            };
            format!("{}•••@{}•••{tld}", first(local), first(host))
        }
        _ => "•••".into(),
    }
}

/// The last `keep` digits of `value`, every earlier digit hidden: `5125550199`, 2 →
/// `••••••••99`. Anything but digits is dropped.
pub fn keep_last_digits(value: &str, keep: usize) -> String {
    let digits: Vec<char> = value.chars().filter(char::is_ascii_digit).collect();
    let hidden = digits.len().saturating_sub(keep);
    std::iter::repeat_n(HIDDEN, hidden)
        .chain(digits[hidden..].iter().copied())
        .collect()
}

/// At most the last four digits of a card, whatever was passed.
pub fn card_last4(value: &str) -> String {
    let digits: Vec<char> = value.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(4)..].iter().collect()
}

/// Free text with emails, card numbers and phone numbers in it masked.
///
/// A card number is a run of 13 to 19 digits (spaces or hyphens between groups allowed)
/// that passes the Luhn check; a phone number is a run of 10 or 11 digits. A run that
/// touches a letter (a tracking number such as `1Z999AA10123456784`) is neither.
/// Order numbers (13 digits) failing the Luhn check stay as they are.
pub fn scrub(text: &str) -> String {
    let emails_masked = text
        .split_inclusive(char::is_whitespace)
        .map(scrub_email_word)
        .collect::<String>();
    scrub_spoken_digits(&scrub_card_codes(&scrub_digit_runs(&emails_masked)))
}

/// Digit words a number is spoken with ("five one two …").
const DIGIT_WORDS: &[&str] = &[
    "zero", "oh", "o", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    "double", "triple",
];

/// Words after which digits are a card's security code or expiry.
const CARD_CODE_WORDS: &[&str] = &["cvv", "cvc", "cvv2", "csc", "exp", "expiry", "expires"];

fn bare(word: &str) -> String {
    word.trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}

/// A number spoken as seven or more digit words in a row (a phone, a card) is hidden word
/// by word; an order number said this way is hidden too, which the keypad's dots match.
fn scrub_spoken_digits(text: &str) -> String {
    let words: Vec<&str> = text.split_inclusive(char::is_whitespace).collect();
    let is_digit_word = |w: &str| DIGIT_WORDS.contains(&bare(w).as_str());
    let mut hide = vec![false; words.len()];
    let mut start = 0;
    while start < words.len() {
        if !is_digit_word(words[start]) {
            start += 1;
            continue;
        }
        let end = (start..words.len())
            .find(|&k| !is_digit_word(words[k]))
            .unwrap_or(words.len());
        if end - start >= 7 {
            hide[start..end].iter_mut().for_each(|h| *h = true);
        }
        start = end;
    }
    words
        .iter()
        .zip(hide)
        .map(|(w, hidden)| {
            if hidden {
                w.chars()
                    .map(|c| if c.is_alphanumeric() { HIDDEN } else { c })
                    .collect()
            } else {
                (*w).to_string()
            }
        })
        .collect()
}

/// "cvv 123 exp 12/28": the digits after a card code word are hidden.
fn scrub_card_codes(text: &str) -> String {
    let words: Vec<&str> = text.split_inclusive(char::is_whitespace).collect();
    let mut out = String::with_capacity(text.len());
    let mut after_code = false;
    for w in words {
        if after_code && w.chars().any(|c| c.is_ascii_digit()) {
            out.extend(
                w.chars()
                    .map(|c| if c.is_ascii_digit() { HIDDEN } else { c }),
            );
        } else {
            out.push_str(w);
        }
        after_code = CARD_CODE_WORDS.contains(&bare(w).as_str());
    }
    out
}

fn scrub_email_word(word: &str) -> String {
    let body = word.trim_end_matches(|c: char| c.is_whitespace() || ",;:!?.)".contains(c));
    let tail = &word[body.len()..];
    let body_start = body.trim_start_matches(|c: char| "(\"'<".contains(c));
    let head = &body[..body.len() - body_start.len()];
    let looks_like_email = body_start
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if looks_like_email {
        format!("{head}{}{tail}", mask_email(body_start))
    } else {
        word.to_string()
    }
}

fn scrub_digit_runs(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let starts_run = chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_alphanumeric());
        if !starts_run {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // A run is digits joined by single separators; it ends before a separator that
        // is not followed by a digit.
        let mut end = i;
        let mut j = i;
        while j < chars.len() {
            if chars[j].is_ascii_digit() {
                end = j + 1;
                j += 1;
            } else if " -.".contains(chars[j]) && chars.get(j + 1).is_some_and(char::is_ascii_digit)
            {
                j += 1;
            } else if chars[j] == ')'
                && chars.get(j + 1) == Some(&' ')
                && chars.get(j + 2).is_some_and(char::is_ascii_digit)
            {
                // "(512) 555-0199": the area code's bracket joins the groups.
                j += 2;
            } else {
                break;
            }
        }
        let touches_letter = chars.get(end).is_some_and(|c| c.is_alphabetic());
        let run: String = chars[i..end].iter().collect();
        let digits: String = run.chars().filter(char::is_ascii_digit).collect();
        let n = digits.len();
        if touches_letter {
            out.push_str(&run);
        } else if (13..=19).contains(&n) && luhn_valid(&digits) {
            out.push_str("••••");
            out.push(' ');
            out.push_str(&digits[n - 4..]);
        } else if (10..=11).contains(&n) {
            out.push_str(&keep_last_digits(&digits, 2));
        } else {
            out.push_str(&run);
        }
        i = end;
    }
    out
}

fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(k, b)| {
            let d = u32::from(b - b'0');
            if k % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_keep_first_letters_only() {
        assert_eq!(mask_email("ada.park@example.com"), "a•••@e•••.com");
        assert_eq!(mask_email("nonsense"), "•••");
        assert_eq!(
            scrub("Write to ada.park@example.com, please."),
            "Write to a•••@e•••.com, please."
        );
    }

    #[test]
    fn spoken_numbers_and_card_codes_are_hidden() {
        assert_eq!(
            scrub("it's five one two five five five oh one nine nine ok"),
            "it's •••• ••• ••• •••• •••• •••• •• ••• •••• •••• ok"
        );
        // Fewer than seven digit words are not a number to hide ("one or two").
        assert_eq!(scrub("two or three"), "two or three");
        assert_eq!(
            scrub("cvv 123 exp 12/28 thanks"),
            "cvv ••• exp ••/•• thanks"
        );
    }

    #[test]
    fn card_numbers_keep_last_four() {
        assert_eq!(scrub("card 4242 4242 4242 4242 ok"), "card •••• 4242 ok");
        assert_eq!(scrub("4111-1111-1111-1111."), "•••• 1111.");
        assert_eq!(card_last4("4242424242424242"), "4242");
        assert_eq!(card_last4("42"), "42");
    }

    #[test]
    fn phones_keep_last_two() {
        assert_eq!(scrub("call (512) 555-0199 now"), "call (••••••••99 now");
        assert_eq!(scrub("call 512-555-0199 now"), "call ••••••••99 now");
        assert_eq!(scrub("15125550199"), "•••••••••99");
        assert_eq!(keep_last_digits("(512) 555-0199", 2), "••••••••99");
    }

    #[test]
    fn order_zip_and_tracking_numbers_stay() {
        // 1234567891234 fails the Luhn check: an order number, not a card.
        assert!(!luhn_valid("1234567891234"));
        let text = "Order 1234567891234, zip 78701, tracking 1Z999AA10123456784, on 2026-03-08.";
        assert_eq!(scrub(text), text);
    }
}

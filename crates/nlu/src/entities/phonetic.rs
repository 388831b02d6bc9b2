//! Sound-alike keys and edit distance for matching mis-heard product words ("hoody" →
//! "hoodie", "kibbel" → "kibble").
//!
//! The key is a simplified Metaphone: consonants mapped to sound classes, vowels dropped
//! after the first letter, repeats collapsed. It is deliberately coarse; the edit
//! distance check beside it keeps coarse keys from matching unrelated words.

/// A simplified Metaphone key of an ASCII-lower-case word (other characters ignored).
pub(crate) fn key(word: &str) -> String {
    let w: Vec<u8> = word.bytes().filter(u8::is_ascii_lowercase).collect();
    let mut start = 0;
    // Silent first letters: "knife", "gnaw", "wrap", "psalm".
    if w.len() >= 2
        && matches!(
            (w[0], w[1]),
            (b'k', b'n') | (b'g', b'n') | (b'w', b'r') | (b'p', b's') | (b'p', b'n')
        )
    {
        start = 1;
    }
    let at = |i: usize| w.get(i).copied().unwrap_or(0);
    let is_vowel = |c: u8| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u');
    let mut out: Vec<u8> = Vec::with_capacity(w.len());
    let mut i = start;
    while i < w.len() {
        let c = w[i];
        let next = at(i + 1);
        let code: &[u8] = match c {
            _ if is_vowel(c) => {
                if i == start {
                    b"A"
                } else {
                    b""
                }
            }
            b'b' => b"B",
            b'c' if next == b'h' => {
                i += 1;
                b"X"
            }
            b'c' if matches!(next, b'i' | b'e' | b'y') => b"S",
            b'c' | b'k' | b'q' => b"K",
            b'd' | b't' if next == b'h' => {
                i += 1;
                b"0"
            }
            b'd' | b't' => b"T",
            b'g' if next == b'h' => {
                i += 1;
                b""
            }
            b'g' if matches!(next, b'i' | b'e' | b'y') => b"J",
            b'g' => b"K",
            b'j' => b"J",
            b'p' if next == b'h' => {
                i += 1;
                b"F"
            }
            b'p' => b"P",
            b'f' | b'v' => b"F",
            b's' if next == b'h' => {
                i += 1;
                b"X"
            }
            b's' | b'z' => b"S",
            b'x' => b"KS",
            // A leading "h" before a vowel is heard ("hoodie"); elsewhere it is mostly silent.
            b'h' if i == start && is_vowel(next) => b"H",
            b'h' => b"",
            b'w' | b'y' => {
                if is_vowel(next) {
                    if c == b'w' {
                        b"W"
                    } else {
                        b"Y"
                    }
                } else {
                    b""
                }
            }
            b'l' => b"L",
            b'm' => b"M",
            b'n' => b"N",
            b'r' => b"R",
            _ => b"",
        };
        for &k in code {
            if out.last() != Some(&k) {
                out.push(k);
            }
        }
        i += 1;
    }
    String::from_utf8(out).expect("the key is built from ASCII letters")
}

/// Longest word compared by [`distance_within`]; product words are far shorter, and
/// the fixed bound lets the rows live on the stack.
const MAX_LEN: usize = 32;

/// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), or
/// `None` once it must exceed `max`: callers only care about small distances. Words
/// longer than 32 bytes are never considered close.
pub(crate) fn distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
    let a = a.as_bytes();
    let b = b.as_bytes();
    if a.len().abs_diff(b.len()) > max || a.len() > MAX_LEN || b.len() > MAX_LEN {
        return None;
    }
    let width = b.len() + 1;
    let mut prev2 = [0usize; MAX_LEN + 1];
    let mut prev = [0usize; MAX_LEN + 1];
    for (j, p) in prev.iter_mut().enumerate().take(width) {
        *p = j;
    }
    let mut cur = [0usize; MAX_LEN + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
            row_min = row_min.min(d);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[b.len()]).filter(|&d| d <= max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sound_alikes_share_a_key() {
        assert_eq!(key("hoody"), key("hoodie"));
        assert_eq!(key("kibbel"), key("kibble"));
        assert_eq!(key("nappies"), key("nappys"));
        assert_eq!(key("knife"), key("nife"));
        assert_eq!(key("sox"), key("socks"));
        assert_eq!(key("phone"), key("fone"));
        assert_eq!(key("cheers"), "XRS");
        assert_ne!(key("jacket"), key("packet"));
        assert_eq!(key(""), "");
        assert_eq!(key("123"), "");
    }

    #[test]
    fn distances() {
        assert_eq!(distance_within("kibbel", "kibble", 2), Some(1));
        assert_eq!(distance_within("hoody", "hoodie", 2), Some(2));
        assert_eq!(distance_within("socks", "socks", 0), Some(0));
        assert_eq!(distance_within("cat", "candle", 2), None);
        assert_eq!(distance_within("", "ab", 2), Some(2));
        assert_eq!(distance_within("abcdef", "badcfe", 2), None);
        assert_eq!(distance_within("sneakrs", "sneakers", 1), Some(1));
    }

    proptest! {
        #[test]
        fn distance_is_symmetric_and_zero_on_self(a in "[a-z]{0,10}", b in "[a-z]{0,10}") {
            prop_assert_eq!(distance_within(&a, &a, 0), Some(0));
            prop_assert_eq!(distance_within(&a, &b, 3), distance_within(&b, &a, 3));
        }

        #[test]
        fn keys_never_panic(s in "\\PC{0,20}") {
            let _ = key(&s);
        }
    }
}

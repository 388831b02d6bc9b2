//! How a product's catalog name is said: "Fleece Hoodie - Navy, Size L" is written for a
//! shelf label, and a person says "the navy fleece hoodie, size large". Owns the parsing
//! of a catalog name into colour, noun, size and measure, and the spoken forms (with a
//! count, with an article, with or without the size).
//!
//! Pure functions of their arguments, like [`crate::speech_text`]; any input gives some
//! sensible text and never panics.

use crate::speech_text::{number_words, price_cents};

/// A catalog name taken apart the way it is said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductWords {
    /// The colour or finish said before the noun ("navy").
    pub colour: Option<String>,
    /// The product itself, the last word being the one that takes a plural
    /// ("fleece hoodie").
    pub noun: String,
    /// "size large".
    pub size: Option<String>,
    /// Pack sizes, weights and other measures said after the noun ("one kilogram",
    /// "ten inch").
    pub measure: Option<String>,
}

/// Words of a name that stay capitalised: acronyms and brand-like or proper words.
const PROPER: &[&str] = &[
    "English",
    "French",
    "Italian",
    "Greek",
    "Irish",
    "Scottish",
    "Swiss",
    "Turkish",
    "Indian",
    "Mexican",
    "Thai",
    "Japanese",
    "Chinese",
    "Bluetooth",
    "Merino",
    "Earl",
    "Grey",
    "Christmas",
];

/// Letter sizes as said.
const SIZES: &[(&str, &str)] = &[
    ("XXS", "extra extra small"),
    ("XS", "extra small"),
    ("S", "small"),
    ("M", "medium"),
    ("L", "large"),
    ("XL", "extra large"),
    ("XXL", "double extra large"),
    ("XXXL", "triple extra large"),
    ("2XL", "double extra large"),
    ("3XL", "triple extra large"),
];

/// Units written after a number, as said (singular, plural).
const UNITS: &[(&str, &str, &str)] = &[
    ("in", "inch", "inch"),
    ("kg", "kilogram", "kilograms"),
    ("g", "gram", "grams"),
    ("l", "liter", "liters"),
    ("ml", "milliliter", "milliliters"),
    ("oz", "ounce", "ounces"),
    ("lb", "pound", "pounds"),
    ("w", "watt", "watt"),
    ("mah", "milliamp hour", "milliamp hours"),
    ("cm", "centimeter", "centimeters"),
    ("mm", "millimeter", "millimeters"),
    ("m", "meter", "meters"),
];

impl ProductWords {
    /// Takes a catalog name apart: `"Name - Colour, Size X"`, `"Name 10 in"`,
    /// `"Name - 1KG"`.
    pub fn parse(name: &str) -> ProductWords {
        let (base, variant) = match name.split_once(" - ") {
            Some((b, v)) => (b.trim(), Some(v.trim())),
            None => (name.trim(), None),
        };
        let mut colour = None;
        let mut size = None;
        let mut extra: Vec<String> = Vec::new();
        for part in variant
            .into_iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            if let Some(rest) = strip_prefix_ci(part, "size ") {
                size = Some(size_words(rest.trim()));
            } else if colour.is_none()
                && part
                    .split_whitespace()
                    .all(|w| w.chars().all(|c| c.is_alphabetic()))
            {
                colour = Some(part.to_lowercase());
            } else {
                extra.push(measure_words(part));
            }
        }
        let tokens: Vec<&str> = base.split_whitespace().collect();
        // The measure starts at the first number after the noun's first word ("Skillet
        // 10 in", "Socks 3-Pack"), or at a "Size" inside the name ("Diapers Size 3").
        let cut = (1..tokens.len()).find(|&i| {
            tokens[i].starts_with(|c: char| c.is_ascii_digit())
                || (tokens[i].eq_ignore_ascii_case("size") && i + 1 < tokens.len())
        });
        let (noun_tokens, measure_tokens) = match cut {
            Some(i) => (&tokens[..i], &tokens[i..]),
            None => (&tokens[..], &[][..]),
        };
        let noun = noun_tokens
            .iter()
            .map(|w| spoken_case(w))
            .collect::<Vec<_>>()
            .join(" ");
        let mut measures = Vec::new();
        if !measure_tokens.is_empty() {
            measures.push(measure_words(&measure_tokens.join(" ")));
        }
        measures.extend(extra);
        let measure = (!measures.is_empty()).then(|| measures.join(", "));
        ProductWords {
            colour,
            noun: if noun.is_empty() {
                name.trim().to_string()
            } else {
                noun
            },
            size,
            measure,
        }
    }

    /// The name alone, singular: "navy fleece hoodie, size large". `with_size: false`
    /// leaves the size and measure out, for a list or a sentence that goes on, where
    /// they only lengthen it.
    pub fn singular(&self, with_size: bool) -> String {
        self.render(self.noun.clone(), with_size)
    }

    /// The name with its noun in the plural: "navy fleece hoodies, size large".
    pub fn plural(&self, with_size: bool) -> String {
        self.render(plural_phrase(&self.noun), with_size)
    }

    /// Whether the noun is already plural ("headphones", "coffee beans"), so one of it
    /// takes no "a".
    pub fn is_plural_noun(&self) -> bool {
        let last = self.noun.rsplit(' ').next().unwrap_or("").to_lowercase();
        last.ends_with('s') && !last.ends_with("ss") && last.len() > 3
    }

    fn render(&self, noun: String, with_size: bool) -> String {
        let mut out = match &self.colour {
            Some(c) => format!("{c} {noun}"),
            None => noun,
        };
        if !with_size {
            return out;
        }
        // A value in whole dollars is said before the noun, as people say it: "a fifty
        // dollar gift card", "two fifty dollar gift cards".
        let value = self
            .measure
            .as_deref()
            .and_then(|m| m.strip_suffix(" dollars"))
            .filter(|amount| !amount.contains(','));
        if let Some(amount) = value {
            out = format!("{amount} dollar {out}");
        } else if let Some(m) = &self.measure {
            out.push_str(", ");
            out.push_str(m);
        }
        if let Some(s) = &self.size {
            out.push_str(", size ");
            out.push_str(s);
        }
        out
    }
}

/// "the navy fleece hoodie, size large"; with a count above one "two navy fleece hoodies,
/// size large".
pub fn product_phrase(name: &str, qty: u32, with_size: bool) -> String {
    let words = ProductWords::parse(name);
    if qty > 1 {
        format!(
            "{} {}",
            number_words(u64::from(qty)),
            words.plural(with_size)
        )
    } else {
        format!("the {}", words.singular(with_size))
    }
}

/// Like [`product_phrase`] with "a"/"an" for one: "a soy candle", "an LED desk lamp",
/// for lists of an order's lines.
pub fn product_phrase_indefinite(name: &str, qty: u32, with_size: bool) -> String {
    let words = ProductWords::parse(name);
    if qty > 1 && words.is_plural_noun() {
        counted_sized(name, qty, with_size)
    } else if qty > 1 {
        format!(
            "{} {}",
            number_words(u64::from(qty)),
            words.plural(with_size)
        )
    } else {
        let said = words.singular(with_size);
        if words.is_plural_noun() {
            // "silver wireless headphones", "house blend coffee beans": no "a".
            return said;
        }
        format!("{} {said}", indefinite_article(&said))
    }
}

/// The name alone as said, singular and without an article: "navy fleece hoodie, size
/// large".
pub fn product_name(name: &str) -> String {
    ProductWords::parse(name).singular(true)
}

/// A count of a product as a till would say it: "one navy hoodie", "two navy hoodies",
/// and for a noun that is already plural, the unit it comes in: "one pair of wireless
/// headphones", "three packs of house blend coffee beans, 1 kilogram".
pub fn counted(name: &str, qty: u32) -> String {
    counted_sized(name, qty, true)
}

/// [`counted`], with or without the size and measure ("two packs of house blend coffee
/// beans" in a list of orders).
pub fn counted_sized(name: &str, qty: u32, with_size: bool) -> String {
    let words = ProductWords::parse(name);
    let count = number_words(u64::from(qty));
    if !words.is_plural_noun() {
        return if qty == 1 {
            format!("one {}", words.singular(with_size))
        } else {
            format!("{count} {}", words.plural(with_size))
        };
    }
    let last = words.noun.rsplit(' ').next().unwrap_or("").to_lowercase();
    let paired = [
        "phones", "earbuds", "jeans", "trousers", "shorts", "sneakers", "boots", "socks", "gloves",
        "glasses", "leggings", "slippers", "shoes", "pants",
    ];
    let unit = if paired.iter().any(|p| last.ends_with(p)) {
        "pair"
    } else {
        "pack"
    };
    let unit = if qty == 1 {
        unit.to_string()
    } else {
        format!("{unit}s")
    };
    format!("{count} {unit} of {}", words.singular(with_size))
}

/// The name as said of several, without a count: "black LED desk lamps", for "how
/// many … would you like?".
pub fn product_name_plural(name: &str) -> String {
    ProductWords::parse(name).plural(true)
}

/// What changes from one variant of a product to another, said after "for": "a size
/// large", "the black one", "the black one, size large"; for another product, its whole
/// name ("the soy candle").
pub fn variant_change(from: &str, to: &str) -> String {
    let (a, b) = (ProductWords::parse(from), ProductWords::parse(to));
    // Shoe sizes arrive as a bare number ("Everyday Sneakers - Black, 8"), read as a
    // measure: between two of the same product it is the size that changes.
    let number = |m: &Option<String>| {
        m.as_deref()
            .filter(|m| !m.is_empty() && m.chars().all(|c| c.is_ascii_digit() || c == '.'))
            .map(str::to_string)
    };
    if let (Some(_), Some(to_size)) = (number(&a.measure), number(&b.measure)) {
        if a.noun == b.noun && a.measure != b.measure {
            return match (a.colour == b.colour, &b.colour) {
                (false, Some(colour)) => format!("the {colour} one, size {to_size}"),
                _ => format!("a size {to_size}"),
            };
        }
    }
    if a.noun != b.noun || a.measure != b.measure {
        return format!("the {}", b.singular(true));
    }
    match (a.colour == b.colour, a.size == b.size, &b.colour, &b.size) {
        (true, false, _, Some(size)) => format!("a size {size}"),
        (false, true, Some(colour), _) => format!("the {colour} one"),
        (false, false, Some(colour), Some(size)) => format!("the {colour} one, size {size}"),
        _ => format!("the {}", b.singular(true)),
    }
}

/// The name alone without size or measure: "navy fleece hoodie", for a sentence that
/// goes on after it.
pub fn product_name_brief(name: &str) -> String {
    ProductWords::parse(name).singular(false)
}

/// "a" or "an" before a phrase, by its first sound: "an LED lamp", "a USB-C cable",
/// "an oven mitt", "a unit".
pub fn indefinite_article(phrase: &str) -> &'static str {
    let word = phrase.split_whitespace().next().unwrap_or("");
    let first = word.chars().next().unwrap_or('x');
    let is_acronym = word.len() > 1
        && word
            .chars()
            .filter(|c| c.is_alphabetic())
            .all(|c| c.is_uppercase());
    if is_acronym {
        // Letters whose names start with a vowel sound: "an F", "an M", "an S".
        return if "AEFHILMNORSX".contains(first) {
            "an"
        } else {
            "a"
        };
    }
    if first.is_ascii_digit() {
        // "an eight", "an eleven", "an eighteen", "an eighty".
        return if word.starts_with('8')
            || word.starts_with("11")
            || (word.starts_with("18") && word.len() == 2)
        {
            "an"
        } else {
            "a"
        };
    }
    let lower = word.to_lowercase();
    // "a unit", "a user", "a one-off" sound with a consonant; "an hour", "an honest".
    if lower.starts_with("uni")
        || lower.starts_with("use")
        || lower.starts_with("usb")
        || lower.starts_with("one")
    {
        return "a";
    }
    if lower.starts_with("hour") || lower.starts_with("honest") {
        return "an";
    }
    if "aeiou".contains(first.to_ascii_lowercase()) {
        "an"
    } else {
        "a"
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    s.get(..prefix.len())
        .filter(|head| head.eq_ignore_ascii_case(prefix))
        .and_then(|_| s.get(prefix.len()..))
}

/// The family's own part of a catalog name, before " - " ("Fleece Hoodie" of "Fleece
/// Hoodie - Black, Size L"); the whole name when it names no variant.
pub fn family_part(name: &str) -> &str {
    name.split(" - ").next().unwrap_or(name)
}

/// Where a letter size sits from smallest to largest; other sizes ("32") come after,
/// in the order given.
pub fn size_rank(size: &str) -> usize {
    const ORDER: &[&str] = &["XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL"];
    ORDER
        .iter()
        .position(|s| s.eq_ignore_ascii_case(size))
        .unwrap_or(ORDER.len())
}

/// A size as said: "L" → "large", "1M" → "one meter", "500G" → "five hundred grams";
/// "32" and "10.5" stay as they are.
pub fn size_words(size: &str) -> String {
    if let Some((_, n, &(_, one, many))) = measure(size) {
        return measure_said(n, one, many);
    }
    SIZES
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(size))
        .map(|(_, v)| (*v).to_string())
        .unwrap_or_else(|| size.to_lowercase())
}

/// A word of a catalog name in sentence case: title-case words become lower case, while
/// acronyms ("LED", "USB-C") and proper words ("English") keep their capitals.
fn spoken_case(word: &str) -> String {
    let mut chars = word.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let rest: String = chars.collect();
    let title_case =
        first.is_uppercase() && !rest.is_empty() && !rest.chars().any(|c| c.is_uppercase());
    if title_case && !PROPER.contains(&word) {
        word.to_lowercase()
    } else {
        word.to_string()
    }
}

/// A measure as said: "10 in" → "10 inch", "1KG" → "1 kilogram", "3-Pack" → "3-pack",
/// "$50" → "fifty dollars", "Size 3 Pack of 84" → "size 3, pack of 84".
fn measure_words(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut last_number: Option<f64> = None;
    for raw in text.split_whitespace() {
        // A number fused to its unit ("1KG", "500ml").
        let split = raw
            .find(|c: char| c.is_alphabetic())
            .filter(|&i| i > 0 && raw[..i].chars().all(|c| c.is_ascii_digit() || c == '.'));
        let pieces: Vec<&str> = match split {
            Some(i) => vec![&raw[..i], &raw[i..]],
            None => vec![raw],
        };
        for piece in pieces {
            if let Some(dollars) = piece.strip_prefix('$') {
                let cents = dollars
                    .parse::<f64>()
                    .map(|d| (d * 100.0).round() as i64)
                    .ok();
                out.push(cents.map(price_cents).unwrap_or_else(|| piece.to_string()));
                last_number = None;
                continue;
            }
            if let Ok(n) = piece.parse::<f64>() {
                last_number = Some(n);
                out.push(piece.to_string());
                continue;
            }
            let lower = piece.to_lowercase();
            let unit = last_number
                .and_then(|n| UNITS.iter().find(|(k, _, _)| *k == lower).map(|u| (n, u)));
            match unit {
                Some((n, (_, one, many))) => out.push(
                    if (n - 1.0).abs() < f64::EPSILON {
                        one
                    } else {
                        many
                    }
                    .to_string(),
                ),
                None => {
                    if lower == "size" && !out.is_empty() {
                        if let Some(last) = out.last_mut() {
                            last.push(',');
                        }
                    }
                    if lower == "pack" && last_number.is_some() && out.len() > 1 {
                        if let Some(last) = out.last_mut() {
                            last.push(',');
                        }
                    }
                    out.push(measure_case(piece))
                }
            }
            last_number = None;
        }
    }
    out.join(" ")
}

/// A word of a measure: acronyms keep their capitals ("USB"), every other word is lower
/// case ("Pack" → "pack", "Bags" → "bags").
fn measure_case(word: &str) -> String {
    let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() > 1 && letters.iter().all(|c| c.is_uppercase()) {
        word.to_string()
    } else {
        word.to_lowercase()
    }
}

/// The plural of a phrase: its last word takes the plural ("fleece hoodie" →
/// "fleece hoodies"); a word already plural stays ("coffee beans").
fn plural_phrase(phrase: &str) -> String {
    match phrase.rsplit_once(' ') {
        Some((head, last)) => format!("{head} {}", plural_word(last)),
        None => plural_word(phrase),
    }
}

/// A measure size taken apart, lower case: its digits, their number and the unit's entry
/// in [`UNITS`] ("1M" → "1", 1, meter); None for a size that is no number with a unit.
fn measure(
    size: &str,
) -> Option<(
    String,
    u64,
    &'static (&'static str, &'static str, &'static str),
)> {
    let lower = size.trim().to_lowercase();
    let at = lower.find(|c: char| c.is_alphabetic()).filter(|&i| i > 0)?;
    let (digits, unit) = (lower[..at].trim(), lower[at..].trim());
    let n = digits.parse::<u64>().ok()?;
    let entry = UNITS.iter().find(|(k, _, _)| *k == unit)?;
    Some((digits.to_string(), n, entry))
}

/// A measure as said: the number in words and the unit in full ("one meter").
fn measure_said(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", number_words(n), if n == 1 { one } else { many })
}

/// The ways a measure size is said ("1M" → "one meter", "1 metre", "one m", …),
/// lower case; empty for a size that is no number with a unit ("L", "32").
pub fn measure_forms(size: &str) -> Vec<String> {
    let Some((digits, n, &(unit, one, many))) = measure(size) else {
        return Vec::new();
    };
    let mut units = vec![unit.to_string(), one.to_string(), many.to_string()];
    // British spellings, and the short words people use for a kilogram.
    for u in [one, many] {
        if let Some(stem) = u.strip_suffix("er") {
            units.push(format!("{stem}re"));
        } else if let Some(stem) = u.strip_suffix("ers") {
            units.push(format!("{stem}res"));
        }
    }
    if unit == "kg" {
        units.extend(["kilo".to_string(), "kilos".to_string()]);
    }
    let numbers = [digits.clone(), number_words(n).replace('-', " ")];
    let mut forms: Vec<String> = vec![measure_said(n, one, many)];
    forms.extend(
        numbers
            .iter()
            .flat_map(|n| units.iter().map(move |u| format!("{n} {u}"))),
    );
    forms.push(size.trim().to_lowercase());
    if n == 1 {
        forms.extend(units.iter().skip(1).map(|u| format!("a {u}")));
    }
    forms
}

/// Whether two words name the same noun, one perhaps the other's plural, whatever the
/// case ("Knives" and "knife", "sock" and "Socks").
pub fn same_noun(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
        || a.eq_ignore_ascii_case(&plural_word(b))
        || b.eq_ignore_ascii_case(&plural_word(a))
}

fn plural_word(word: &str) -> String {
    let lower = word.to_lowercase();
    let irregular = [
        ("knife", "knives"),
        ("leaf", "leaves"),
        ("shelf", "shelves"),
        ("loaf", "loaves"),
        ("man", "men"),
        ("foot", "feet"),
        ("tooth", "teeth"),
        ("mouse", "mice"),
    ];
    if let Some((_, p)) = irregular.iter().find(|(s, _)| *s == lower) {
        return (*p).to_string();
    }
    let Some(last) = lower.chars().last() else {
        return String::new();
    };
    if !last.is_alphabetic() || word.chars().all(|c| !c.is_lowercase()) {
        // "USB-C" → "USB-Cs"? People say "USB-C cables"; a code or acronym takes "s".
        return format!("{word}s");
    }
    if lower.ends_with("ss")
        || lower.ends_with("sh")
        || lower.ends_with("ch")
        || lower.ends_with('x')
        || lower.ends_with('z')
    {
        return format!("{word}es");
    }
    if lower.ends_with('s') {
        return word.to_string();
    }
    if lower.ends_with('y')
        && !lower.ends_with("ay")
        && !lower.ends_with("ey")
        && !lower.ends_with("oy")
        && !lower.ends_with("uy")
    {
        return format!("{}ies", &word[..word.len() - 1]);
    }
    format!("{word}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_noun_said_alone_or_in_the_plural_is_the_same_noun() {
        assert!(same_noun("jackets", "Jacket"));
        assert!(same_noun("knives", "knife"));
        assert!(same_noun("boxes", "box"));
        assert!(same_noun("Mug", "mug"));
        assert!(same_noun("sock", "Socks"));
        assert!(!same_noun("mugs", "jug"));
    }

    #[test]
    fn the_family_part_is_the_name_before_its_variant() {
        assert_eq!(
            family_part("Fleece Hoodie - Black, Size L"),
            "Fleece Hoodie"
        );
        assert_eq!(family_part("Gift Card - $50"), "Gift Card");
        assert_eq!(family_part("Soy Candle"), "Soy Candle");
    }

    #[test]
    fn colour_and_size_are_said_as_a_person_says_them() {
        assert_eq!(
            product_phrase("Fleece Hoodie - Navy, Size L", 1, true),
            "the navy fleece hoodie, size large"
        );
        assert_eq!(
            product_phrase("Classic Tee - Navy, Size M", 2, true),
            "two navy classic tees, size medium"
        );
        assert_eq!(
            product_phrase("Classic Tee - Navy, Size M", 2, false),
            "two navy classic tees"
        );
        assert_eq!(
            product_name("Wireless Headphones - Black"),
            "black wireless headphones"
        );
        assert_eq!(
            product_name("Straight Leg Jeans - Blue, Size 32"),
            "blue straight leg jeans, size 32"
        );
    }

    #[test]
    fn measures_are_spoken_after_the_noun() {
        assert_eq!(
            product_name("Cast Iron Skillet 10 in"),
            "cast iron skillet, 10 inch"
        );
        assert_eq!(
            product_name("House Blend Coffee Beans - 1KG"),
            "house blend coffee beans, 1 kilogram"
        );
        assert_eq!(product_name("Gift Card - $50"), "fifty dollar gift card");
        assert_eq!(
            product_phrase("Gift Card - $200", 2, true),
            "two two hundred dollar gift cards"
        );
        assert_eq!(
            product_name("Laundry Detergent 2 L"),
            "laundry detergent, 2 liters"
        );
        assert_eq!(
            product_name("Diapers Size 3 Pack of 84"),
            "diapers, size 3, pack of 84"
        );
        assert_eq!(product_name("Merino Socks 3-Pack"), "Merino socks, 3-pack");
    }

    #[test]
    fn acronyms_and_proper_words_keep_their_capitals() {
        assert_eq!(product_name("LED Desk Lamp"), "LED desk lamp");
        assert_eq!(
            product_name("English Breakfast Tea 80 Bags"),
            "English breakfast tea, 80 bags"
        );
        assert_eq!(product_name("65 W USB-C Charger"), "65 W USB-C charger");
        assert_eq!(product_name("Chef's Knife 8 in"), "chef's knife, 8 inch");
    }

    #[test]
    fn plurals_follow_english_spelling() {
        assert_eq!(product_phrase("Soy Candle", 2, true), "two soy candles");
        assert_eq!(
            product_phrase("Chef's Knife 8 in", 3, true),
            "three chef's knives, 8 inch"
        );
        assert_eq!(product_phrase("Wool Beanie", 2, true), "two wool beanies");
        assert_eq!(product_phrase("Leather Belt", 2, true), "two leather belts");
        assert_eq!(
            product_phrase("Wireless Mouse", 2, true),
            "two wireless mice"
        );
        assert_eq!(
            product_phrase("House Blend Coffee Beans - 1KG", 2, true),
            "two house blend coffee beans, 1 kilogram"
        );
        assert_eq!(
            product_phrase("Cotton Bath Towel", 4, true),
            "four cotton bath towels"
        );
        assert_eq!(
            product_phrase("Percale Sheet Set", 2, true),
            "two percale sheet sets"
        );
        assert_eq!(
            product_phrase("Baby Wipes 6-Pack", 2, true),
            "two baby wipes, 6-pack"
        );
        assert_eq!(product_phrase("Toy Box", 2, true), "two toy boxes");
    }

    #[test]
    fn an_exchange_names_only_what_changes() {
        let navy_m = "Classic Tee - Navy, Size M";
        assert_eq!(
            variant_change(navy_m, "Classic Tee - Navy, Size L"),
            "a size large"
        );
        assert_eq!(
            variant_change(navy_m, "Classic Tee - Black, Size M"),
            "the black one"
        );
        assert_eq!(
            variant_change(navy_m, "Classic Tee - Black, Size S"),
            "the black one, size small"
        );
        assert_eq!(variant_change(navy_m, "Soy Candle"), "the soy candle");
        // Shoe sizes given as a bare number.
        let black_9 = "Everyday Sneakers - Black, 9";
        assert_eq!(
            variant_change(black_9, "Everyday Sneakers - Black, 8"),
            "a size 8"
        );
        assert_eq!(
            variant_change(black_9, "Everyday Sneakers - White, 10.5"),
            "the white one, size 10.5"
        );
    }

    #[test]
    fn articles_follow_the_first_sound() {
        assert_eq!(
            product_phrase_indefinite("Soy Candle", 1, true),
            "a soy candle"
        );
        assert_eq!(
            product_phrase_indefinite("LED Desk Lamp", 1, true),
            "an LED desk lamp"
        );
        assert_eq!(
            product_phrase_indefinite("Insulated Water Bottle", 1, true),
            "an insulated water bottle"
        );
        assert_eq!(
            product_phrase_indefinite("USB-C Cable", 1, true),
            "a USB-C cable"
        );
        assert_eq!(
            product_phrase_indefinite("Extra Virgin Olive Oil 1 L", 1, true),
            "an extra virgin olive oil, 1 liter"
        );
        assert_eq!(
            product_phrase_indefinite("Yoga Mat", 2, true),
            "two yoga mats"
        );
    }

    #[test]
    fn measure_sizes_are_said_and_heard_in_words() {
        assert_eq!(size_words("1M"), "one meter");
        assert_eq!(size_words("2M"), "two meters");
        assert_eq!(size_words("500G"), "five hundred grams");
        assert_eq!(size_words("L"), "large");
        assert_eq!(size_words("32"), "32");
        let kilo = measure_forms("1KG");
        for said in ["one kilogram", "1 kilo", "a kilo", "1kg"] {
            assert!(kilo.iter().any(|f| f == said), "{said}: {kilo:?}");
        }
        assert!(measure_forms("2M").iter().any(|f| f == "two metres"));
        assert!(measure_forms("M").is_empty() && measure_forms("25").is_empty());
    }

    #[test]
    fn several_of_a_plural_noun_are_counted_in_packs_and_pairs() {
        assert_eq!(
            product_phrase_indefinite("House Blend Coffee Beans - 1KG", 2, false),
            "two packs of house blend coffee beans"
        );
        assert_eq!(
            product_phrase_indefinite("Wireless Headphones - Black", 2, false),
            "two pairs of black wireless headphones"
        );
        assert_eq!(
            product_phrase_indefinite("Fleece Hoodie - Navy, Size L", 2, false),
            "two navy fleece hoodies"
        );
    }

    #[test]
    fn odd_names_give_some_text_and_never_panic() {
        for name in [
            "",
            " - ",
            "-",
            "Size",
            "Size M",
            "$",
            "1KG",
            "- Navy",
            "Tee - , ,",
            "é - ü, Size ü",
        ] {
            let _ = product_phrase(name, 2, true);
            let _ = product_phrase_indefinite(name, 1, false);
        }
        assert_eq!(product_name("Tee"), "tee");
    }
}

//! United States states: their postal codes and names, and the state a zip code belongs
//! to (by its first three digits, the USPS sectional centers), so an address said with a
//! new zip and no state is not stored with the old one.

/// Postal code and name of each state, the District of Columbia and Puerto Rico.
const STATES: &[(&str, &str)] = &[
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("PR", "Puerto Rico"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
];

/// Zip code prefixes (first three digits, inclusive ranges) and their state.
const ZIP_PREFIXES: &[(u16, u16, &str)] = &[
    (5, 5, "NY"),
    (6, 9, "PR"),
    (10, 27, "MA"),
    (28, 29, "RI"),
    (30, 38, "NH"),
    (39, 49, "ME"),
    (50, 59, "VT"),
    (60, 69, "CT"),
    (70, 89, "NJ"),
    (100, 149, "NY"),
    (150, 196, "PA"),
    (197, 199, "DE"),
    (200, 200, "DC"),
    (201, 201, "VA"),
    (202, 205, "DC"),
    (206, 219, "MD"),
    (220, 246, "VA"),
    (247, 268, "WV"),
    (270, 289, "NC"),
    (290, 299, "SC"),
    (300, 319, "GA"),
    (320, 349, "FL"),
    (350, 369, "AL"),
    (370, 385, "TN"),
    (386, 397, "MS"),
    (398, 399, "GA"),
    (400, 427, "KY"),
    (430, 459, "OH"),
    (460, 479, "IN"),
    (480, 499, "MI"),
    (500, 528, "IA"),
    (530, 549, "WI"),
    (550, 567, "MN"),
    (569, 569, "DC"),
    (570, 577, "SD"),
    (580, 588, "ND"),
    (590, 599, "MT"),
    (600, 629, "IL"),
    (630, 658, "MO"),
    (660, 679, "KS"),
    (680, 693, "NE"),
    (700, 714, "LA"),
    (716, 729, "AR"),
    (730, 749, "OK"),
    (750, 799, "TX"),
    (800, 816, "CO"),
    (820, 831, "WY"),
    (832, 838, "ID"),
    (840, 847, "UT"),
    (850, 865, "AZ"),
    (870, 884, "NM"),
    (885, 885, "TX"),
    (889, 898, "NV"),
    (900, 961, "CA"),
    (967, 968, "HI"),
    (970, 979, "OR"),
    (980, 994, "WA"),
    (995, 999, "AK"),
];

/// The postal code of a state named or abbreviated ("ohio", "Ohio", "OH" → "OH").
pub fn code(name_or_code: &str) -> Option<&'static str> {
    let wanted = name_or_code.trim();
    STATES
        .iter()
        .find(|(code, name)| code.eq_ignore_ascii_case(wanted) || name.eq_ignore_ascii_case(wanted))
        .map(|(code, _)| *code)
}

/// The name of a state by its postal code ("OH" → "Ohio").
pub fn name(code: &str) -> Option<&'static str> {
    STATES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code.trim()))
        .map(|(_, name)| *name)
}

/// The state a five- or nine-digit zip code belongs to, by its first three digits.
pub fn of_zip(zip: &str) -> Option<&'static str> {
    let digits: String = zip.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 5 && digits.len() != 9 {
        return None;
    }
    let prefix: u16 = digits.get(..3)?.parse().ok()?;
    ZIP_PREFIXES
        .iter()
        .find(|(lo, hi, _)| (*lo..=*hi).contains(&prefix))
        .map(|(_, _, code)| *code)
}

/// The state named at the end of some words as written ("Columbus Ohio" → ("OH", 1
/// word), "Brooklyn New York" → ("NY", 2 words), "Columbus, OH" → ("OH", 1)), longest
/// name first. A postal code counts only in capitals: "in", "me" and "ok" are words.
pub fn trailing(words: &[&str]) -> Option<(&'static str, usize)> {
    let clean = |w: &str| w.trim_matches(|c: char| !c.is_alphanumeric()).to_string();
    (1..=3.min(words.len())).rev().find_map(|n| {
        let tail: Vec<String> = words[words.len() - n..].iter().map(|w| clean(w)).collect();
        let joined = tail.join(" ");
        let by_name = STATES
            .iter()
            .find(|(_, name)| name.eq_ignore_ascii_case(&joined))
            .map(|(code, _)| *code);
        let by_code =
            (n == 1 && joined.len() == 2 && joined.chars().all(|c| c.is_ascii_uppercase()))
                .then(|| code(&joined))
                .flatten();
        by_name.or(by_code).map(|c| (c, n))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zips_belong_to_their_state() {
        assert_eq!(of_zip("43215"), Some("OH"));
        assert_eq!(of_zip("78701"), Some("TX"));
        assert_eq!(of_zip("02139"), Some("MA"));
        assert_eq!(of_zip("97205"), Some("OR"));
        assert_eq!(of_zip("80202"), Some("CO"));
        assert_eq!(of_zip("10001"), Some("NY"));
        assert_eq!(of_zip("90210"), Some("CA"));
        assert_eq!(of_zip("1234"), None);
        assert_eq!(of_zip("00000"), None);
    }

    #[test]
    fn states_by_name_or_code_and_at_the_end_of_words() {
        assert_eq!(code("ohio"), Some("OH"));
        assert_eq!(code("TX"), Some("TX"));
        assert_eq!(name("OH"), Some("Ohio"));
        assert_eq!(trailing(&["columbus", "ohio"]), Some(("OH", 1)));
        assert_eq!(trailing(&["brooklyn", "new", "york"]), Some(("NY", 2)));
        assert_eq!(trailing(&["columbus,", "OH"]), Some(("OH", 1)));
        assert_eq!(trailing(&["austin"]), None);
        assert_eq!(trailing(&["i", "live", "in"]), None);
    }
}

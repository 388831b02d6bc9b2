//! Positions in a list: "the first", "the second one", "number two", "the last".

use voxorder_domain::interpretation::Ordinal;

use super::lists::Lists;

/// Every position said, in order. A number word is a position only when said as one
/// ("two", "number two"); after another word it is a pronoun ("the blue one"). Period
/// words are read first, so "last" in "last week" is no position.
pub fn ordinals(lists: &Lists, words: &[String]) -> Vec<Ordinal> {
    let mut words = words.to_vec();
    for period in super::cues::PERIODS.map(|(list, _)| list) {
        words = lists.without(period, &words);
    }
    let mut found = Vec::new();
    for (k, w) in words.iter().enumerate() {
        let counted =
            !lists.is("cardinal_positions", w) || k == 0 || lists.is("position_cue", &words[k - 1]);
        if !counted {
            continue;
        }
        if let Some(&n) = lists.ordinals.get(w) {
            found.push(Ordinal(n));
        }
    }
    found
}

//! Self-corrections: "seven eight seven one oh, no wait, seven eight seven oh one".
//! What follows the last correction replaces what was said before it.

use voxorder_domain::vocab::Entities;

/// Words a speaker uses to take back what they just said.
const CORRECTIONS: &[&str] = &[
    "no wait",
    "sorry i mean",
    "i mean",
    "make that",
    "correction",
    "no sorry",
    "sorry no",
];

/// The text after the last self-correction, if there is one with something after it.
pub fn after_correction(text: &str) -> Option<&str> {
    if !text.is_ascii() {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let end = CORRECTIONS
        .iter()
        .filter_map(|c| lower.rfind(c).map(|i| i + c.len()))
        .max()?;
    let tail = text[end..].trim_start_matches([',', ' ', '.', '-']);
    (!tail.trim().is_empty()).then_some(tail)
}

/// Entities found after a correction replace the ones found before it.
pub fn overlay(base: &mut Entities, fixed: Entities) {
    macro_rules! take {
        ($($f:ident),+) => { $( if fixed.$f.is_some() { base.$f = fixed.$f; } )+ };
    }
    take!(
        order_number,
        email,
        zip_code,
        phone_number,
        date,
        time_slot,
        quantity,
        product,
        return_reason,
        cancel_reason,
        refund_method,
        frequency_days
    );
}

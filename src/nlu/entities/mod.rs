//! Entity extraction: from one transcript to the typed values the dialog needs (order
//! number, email, zip, phone, date, time slot, quantity, product, reasons, refund
//! method, subscription frequency), named and normalised as in `DESIGN.md`.
//!
//! The transcript is tokenised once ([`text`]); each extractor then scans the words,
//! and marks the words it used as *taken* so that later ones do not read them again.
//! The order matters and is fixed: emails (taken before tokenising, since "john.smith"
//! must keep its dot), dates, time slots, frequencies, identifiers (order / zip /
//! phone), the table-driven reasons and refund method (phrases, never digits; a refund
//! phrase's "gift card" is then kept from the product matcher), products, quantities.
//!
//! Architecture invariant: extraction is a pure function of the text and the context;
//! it does no I/O and never panics, whatever the input. Phrase tables are data in
//! `assets/nlu/entities/`, embedded in the binary.

mod dates;
mod email;
mod identifiers;
mod numbers;
mod phonetic;
mod phrases;
mod products;
mod quantity;
mod reasons;
mod schedule;
mod text;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

pub use crate::config::{RefundMethod, TimeSlot};
pub(crate) use numbers::digit_word;
pub use products::{ProductMatch, ProductMatcher};

/// What extraction needs besides the text.
#[derive(Debug, Clone, Copy)]
pub struct EntityContext<'a> {
    /// Relative dates ("tomorrow", "next friday") are resolved against this.
    pub now: NaiveDateTime,
    /// The catalog to match products against; without it no product is extracted.
    pub products: Option<&'a ProductMatcher>,
    /// What the dialog just asked for, if anything; biases bare answers
    /// (e.g. a bare "seven eight seven oh one" is a zip_code when expect == Some(EntityKind::ZipCode)).
    pub expect: Option<EntityKind>,
}

impl<'a> EntityContext<'a> {
    /// A context with no catalog and no expectation.
    pub fn new(now: NaiveDateTime) -> EntityContext<'a> {
        EntityContext {
            now,
            products: None,
            expect: None,
        }
    }
}

/// The entity names of `DESIGN.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    OrderNumber,
    Email,
    ZipCode,
    PhoneNumber,
    Date,
    TimeSlot,
    Quantity,
    Product,
    ReturnReason,
    CancelReason,
    RefundMethod,
    FrequencyDays,
}

/// Why an item is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnReason {
    Damaged,
    WrongItem,
    NotAsDescribed,
    SizeIssue,
    QualityIssue,
    ChangedMind,
}

/// Why an order is cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    ChangedMind,
    FoundCheaper,
    DeliveryTooSlow,
    WrongItem,
    Other,
}

/// Everything found in one utterance. Serialises as a JSON object holding only the
/// entities present, under the names of `DESIGN.md` (dates as `YYYY-MM-DD`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entities {
    /// Digits only.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub order_number: Option<String>,
    /// Lower case.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub email: Option<String>,
    /// Five digits.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub zip_code: Option<String>,
    /// Digits; ten for a US number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub time_slot: Option<TimeSlot>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub quantity: Option<u32>,
    /// Catalog SKU.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub product: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub return_reason: Option<ReturnReason>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cancel_reason: Option<CancelReason>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub refund_method: Option<RefundMethod>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub frequency_days: Option<u32>,
}

impl Entities {
    /// True when nothing was found.
    pub fn is_empty(&self) -> bool {
        *self == Entities::default()
    }
}

/// A broken embedded data table. Caller: nothing to retry; the build is defective (a
/// unit test parses every table, so a release never carries one).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EntityDataError {
    #[error("entity table {table}: {message}")]
    Table {
        table: &'static str,
        message: String,
    },
}

/// Extracts every entity from one transcript.
pub fn extract(text: &str, ctx: &EntityContext<'_>) -> Entities {
    let tables = phrases::tables();
    let (words, emails) = email::split_emails(text);
    let mut taken: Vec<bool> = words.iter().map(|w| w == text::OPAQUE).collect();

    let date = dates::extract_date(&words, &mut taken, ctx.now, ctx.expect);
    let time_slot = schedule::extract_time_slot(&words, &mut taken, tables);
    let frequency_days = schedule::extract_frequency(&words, &mut taken, tables);
    let ids = identifiers::extract(&words, &mut taken, ctx.expect);
    let reasons = reasons::extract(&words, tables);
    let mut reserved = vec![false; words.len()];
    if let Some((s, e)) = reasons.refund_span {
        reserved[s..e].iter_mut().for_each(|r| *r = true);
    }
    let product = ctx
        .products
        .and_then(|m| m.find_in_words(&words, &reserved));
    let quantity =
        quantity::extract_quantity(&words, &taken, product.as_ref().map(|p| p.span), ctx.expect);

    Entities {
        order_number: ids.order_number,
        email: emails.into_iter().next(),
        zip_code: ids.zip_code,
        phone_number: ids.phone_number,
        date,
        time_slot,
        quantity,
        product: product.map(|p| p.found.sku),
        return_reason: reasons.return_reason,
        cancel_reason: reasons.cancel_reason,
        refund_method: reasons.refund_method,
        frequency_days,
    }
}

#[cfg(test)]
mod tests;

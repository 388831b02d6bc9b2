//! The words the layers share: what a caller wants ([`Intent`], scored and
//! interpreted), the values understanding extracts ([`Entities`], by [`EntityKind`]),
//! and the closed sets of reasons, refund methods, time slots and verification factors
//! that changes, policy and the dialog speak of. Only the enums live here; the phrases
//! that map speech onto them are understanding's (`voxorder-nlu`).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use crate::intent::Intent;
pub use crate::interpretation::Interpretation;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundMethod {
    OriginalPayment,
    StoreCredit,
    BankTransfer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSlot {
    Morning,
    Afternoon,
    Evening,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationFactor {
    BillingZip,
    Email,
    Phone,
}

/// The entity names of the order-support design.
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
    /// A street address (with whatever city and zip are said with it).
    Street,
    /// A city named on its own.
    City,
}

/// Why an item is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnReason {
    Damaged,
    WrongItem,
    /// Paid for and never in the parcel: nothing comes back.
    MissingItem,
    NotAsDescribed,
    SizeIssue,
    QualityIssue,
    ChangedMind,
}

impl ReturnReason {
    /// The reason for a cancellation this return-style reason gives ("I don't need it",
    /// "it's the wrong size"); none when it says nothing of why an order is stopped.
    pub fn as_cancel_reason(self) -> Option<CancelReason> {
        match self {
            ReturnReason::ChangedMind => Some(CancelReason::ChangedMind),
            ReturnReason::WrongItem | ReturnReason::SizeIssue => Some(CancelReason::WrongItem),
            _ => None,
        }
    }
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
/// entities present, under the names of the order-support design (dates as `YYYY-MM-DD`).
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
    /// Further products of other kinds named in the same request ("a keyboard and two
    /// power banks"), in the order said; `product` is the first.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub more_products: Vec<ProductWanted>,
}

/// A product named in a request, with the count said with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductWanted {
    /// Catalog SKU.
    pub sku: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub quantity: Option<u32>,
    /// The words said chose this one variant (its colour and size, or it has no other).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub exact: bool,
}

impl Entities {
    /// True when nothing was found.
    pub fn is_empty(&self) -> bool {
        *self == Entities::default()
    }

    /// What `newer` says replaces what was said before; what it leaves out stays. A
    /// self-correction ("78710, no, 78701") and an answer that adds to the line it
    /// answers ("cancel, order 1000…011") both read so.
    pub fn overlay(&mut self, newer: Entities) {
        macro_rules! take {
            ($($f:ident),+) => { $( if newer.$f.is_some() { self.$f = newer.$f; } )+ };
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
}

/// One intent and its calibrated probability.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScoredIntent {
    pub intent: Intent,
    pub confidence: f32,
}

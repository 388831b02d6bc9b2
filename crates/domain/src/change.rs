//! The changes a device makes to orders, subscriptions and customers' cases: what the
//! dialog decides, what the store applies locally, and what the outbox uploads to the
//! central OMS (one JSON command per change, tagged by `kind`).
//!
//! Architecture invariant: a change carries no contact details (email, phone, street
//! address) except where the change *is* that detail (a new shipping address); the OMS
//! already knows how to reach its customers, so notifications name a template only.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::order::{
    is_plausible_email, validate_order_number, AddressRecord, FieldError, OrderRecord,
    MAX_CODE_LEN, MAX_NOTE_LEN,
};
use crate::vocab::{CancelReason, ReturnReason};
use crate::vocab::{RefundMethod, TimeSlot};

/// One change made on the device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Cancel a whole order that has not shipped.
    CancelOrder {
        order_number: String,
        reason: CancelReason,
    },
    /// Send the order to another address (before it ships).
    ChangeAddress {
        order_number: String,
        address: AddressRecord,
    },
    /// Move the delivery to another day, and time slot: none when any time of that day
    /// suits the customer.
    RescheduleDelivery {
        order_number: String,
        date: NaiveDate,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        slot: Option<TimeSlot>,
    },
    /// The customer confirmed an order waiting for confirmation (cash on delivery).
    ConfirmOrder { order_number: String },
    /// A return, an exchange, or a replacement/refund for a damaged or wrong item.
    CreateReturn(ReturnRequest),
    /// A new order placed by voice (the record is complete, as the OMS wire format).
    PlaceOrder { order: Box<OrderRecord> },
    /// A new subscription for a known customer.
    CreateSubscription {
        /// The device's own number for the customer; it means nothing to the OMS.
        customer_id: i64,
        /// The customer's email, which the OMS knows the customer by; the store fills
        /// it in when it records the change.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        customer_email: Option<String>,
        /// The subscription's id everywhere (a UUID the device makes), since the
        /// device's own numbers collide between devices; filled in by the store.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subscription_ref: Option<String>,
        sku: String,
        qty: u32,
        frequency_days: u32,
        next_date: NaiveDate,
    },
    /// A change to an existing subscription.
    UpdateSubscription {
        /// The device's own number for the subscription.
        subscription_id: i64,
        /// The subscription's id everywhere ([`Change::CreateSubscription`]), filled in
        /// by the store; absent for a subscription the OMS never heard of.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subscription_ref: Option<String>,
        action: SubscriptionAction,
    },
    /// A message to the customer of an order (the OMS holds the contact details).
    Notify {
        channel: Channel,
        template: Notice,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        order_number: Option<String>,
        /// A reference the message quotes (a return number, a tracking number).
        #[serde(skip_serializing_if = "Option::is_none", default)]
        reference: Option<String>,
    },
    /// Ask the carrier and the warehouse to look for a parcel.
    OpenInvestigation {
        order_number: String,
        reason: InvestigationReason,
    },
    /// Call the customer back about an order (a confirmation call that reached the
    /// wrong person or a bad moment). No day or slot: any time suits.
    ScheduleCallback {
        order_number: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        date: Option<NaiveDate>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        slot: Option<TimeSlot>,
    },
    /// Pass the case to a person, with what the agent learnt so far.
    HandOff {
        reason: HandOffReason,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        order_number: Option<String>,
        summary: String,
    },
}

impl Change {
    /// The `kind` tag, as stored in the outbox.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::CancelOrder { .. } => "cancel_order",
            Change::ChangeAddress { .. } => "change_address",
            Change::RescheduleDelivery { .. } => "reschedule_delivery",
            Change::ConfirmOrder { .. } => "confirm_order",
            Change::CreateReturn(_) => "create_return",
            Change::PlaceOrder { .. } => "place_order",
            Change::CreateSubscription { .. } => "create_subscription",
            Change::UpdateSubscription { .. } => "update_subscription",
            Change::Notify { .. } => "notify",
            Change::OpenInvestigation { .. } => "open_investigation",
            Change::ScheduleCallback { .. } => "schedule_callback",
            Change::HandOff { .. } => "hand_off",
        }
    }

    /// The order the change is about, if any.
    pub fn order_number(&self) -> Option<&str> {
        match self {
            Change::CancelOrder { order_number, .. }
            | Change::ChangeAddress { order_number, .. }
            | Change::RescheduleDelivery { order_number, .. }
            | Change::ConfirmOrder { order_number }
            | Change::OpenInvestigation { order_number, .. }
            | Change::ScheduleCallback { order_number, .. } => Some(order_number),
            Change::CreateReturn(r) => Some(&r.order_number),
            Change::PlaceOrder { order } => Some(&order.order_number),
            Change::Notify { order_number, .. } | Change::HandOff { order_number, .. } => {
                order_number.as_deref()
            }
            Change::CreateSubscription { .. } | Change::UpdateSubscription { .. } => None,
        }
    }
}

impl Change {
    /// Checks what a change carries beyond its closed sets (which parsing already
    /// holds): order numbers, identifiers and free text bounded in length and without
    /// control characters, and a new address or order validated whole. Shared by the
    /// device's store and the OMS, so that neither keeps what the other would refuse.
    pub fn check(&self) -> Result<(), FieldError> {
        if let Some(n) = self.order_number() {
            validate_order_number(n).map_err(|r| FieldError {
                field: "order_number".into(),
                reason: r,
            })?;
        }
        match self {
            Change::ChangeAddress { address, .. } => address.validate("address").map(drop),
            Change::PlaceOrder { order } => order.validate().map(drop),
            Change::CreateReturn(r) => {
                code("return_id", &r.return_id)?;
                for (i, l) in r.lines.iter().enumerate() {
                    if let Some(sku) = &l.exchange_sku {
                        code(&format!("lines[{i}].exchange_sku"), sku)?;
                    }
                }
                Ok(())
            }
            Change::CreateSubscription {
                sku,
                customer_email,
                subscription_ref,
                ..
            } => {
                code("sku", sku)?;
                if let Some(r) = subscription_ref {
                    code("subscription_ref", r)?;
                }
                match customer_email {
                    Some(e) if !is_plausible_email(e) => Err(FieldError {
                        field: "customer_email".into(),
                        reason: "is not an email address".into(),
                    }),
                    _ => Ok(()),
                }
            }
            Change::UpdateSubscription {
                subscription_ref: Some(r),
                ..
            } => code("subscription_ref", r),
            Change::Notify {
                reference: Some(reference),
                ..
            } => code("reference", reference),
            Change::HandOff { summary, .. } => text("summary", summary, MAX_NOTE_LEN),
            _ => Ok(()),
        }
    }
}

/// An identifier: 1 to [`MAX_CODE_LEN`] characters, no spaces or control characters.
fn code(field: &str, s: &str) -> Result<(), FieldError> {
    let bad = |reason: String| {
        Err(FieldError {
            field: field.into(),
            reason,
        })
    };
    if s.is_empty() {
        return bad("is empty".into());
    }
    if s.chars().count() > MAX_CODE_LEN {
        return bad(format!("is longer than {MAX_CODE_LEN} characters"));
    }
    if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return bad("holds a space or a control character".into());
    }
    Ok(())
}

/// Free text: at most `max` characters, no control characters.
fn text(field: &str, s: &str, max: usize) -> Result<(), FieldError> {
    if s.chars().count() > max {
        return Err(FieldError {
            field: field.into(),
            reason: format!("is longer than {max} characters"),
        });
    }
    if s.chars().any(char::is_control) {
        return Err(FieldError {
            field: field.into(),
            reason: "holds a control character".into(),
        });
    }
    Ok(())
}

/// What the customer gets for a returned or faulty item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    Refund,
    Replacement,
    Exchange,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Refund => "refund",
            Resolution::Replacement => "replacement",
            Resolution::Exchange => "exchange",
        }
    }
}

/// A return authorisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnRequest {
    /// The return number given to the customer.
    pub return_id: String,
    pub order_number: String,
    pub lines: Vec<ReturnLine>,
    pub reason: ReturnReason,
    pub resolution: Resolution,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub refund_method: Option<RefundMethod>,
    /// The amount to refund, in cents, when the resolution is a refund.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub refund_cents: Option<i64>,
    /// Whether the item must come back (false for damaged or wrong items by policy).
    pub ship_back: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pickup: Option<Pickup>,
}

/// The return number for the `seq`-th return (1 to 9999) of an order: the order
/// number's last four digits, then the sequence in four. Eight digits stay short
/// enough to read back to a caller; they are unique per order, not across orders, so
/// a return is known by its order and its number together.
pub fn return_id_for(order_number: &str, seq: u32) -> String {
    let digits: String = order_number.chars().filter(char::is_ascii_digit).collect();
    let tail = &digits[digits.len().saturating_sub(4)..];
    format!("{tail:0>4}{seq:04}")
}

/// Whether `return_id` is a return number of this order ([`return_id_for`]).
pub fn return_id_belongs(order_number: &str, return_id: &str) -> bool {
    return_id.len() == 8
        && return_id.chars().all(|c| c.is_ascii_digit())
        && &return_id[4..] != "0000"
        && return_id_for(order_number, 0)[..4] == return_id[..4]
}

/// One returned order line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnLine {
    /// 1-based line of the order.
    pub line_no: u32,
    pub qty: u32,
    /// For an exchange: the variant sent instead.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub exchange_sku: Option<String>,
}

/// A courier collection of a return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pickup {
    pub date: NaiveDate,
    pub slot: TimeSlot,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum SubscriptionAction {
    Pause,
    Resume {
        next_date: NaiveDate,
    },
    SkipNext {
        next_date: NaiveDate,
    },
    ChangeFrequency {
        frequency_days: u32,
        next_date: NaiveDate,
    },
    ChangeQuantity {
        qty: u32,
    },
    Cancel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Email,
}

/// The message templates the OMS sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    TrackingLink,
    ReturnLabel,
    ReturnConfirmation,
    CancellationConfirmation,
    AddressChanged,
    DeliveryRescheduled,
    OrderConfirmed,
    OrderPlaced,
    SubscriptionChanged,
    InvestigationOpened,
    /// A secure link to pay an order by card instead of cash on delivery.
    PaymentLink,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvestigationReason {
    NotReceived,
    MissingItem,
}

/// Why a person takes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandOffReason {
    /// The caller asked for a person.
    Requested,
    /// The caller complained.
    Complaint,
    /// The order is later than the policy allows.
    LongDelay,
    /// Delivered but not received, after the waiting period.
    NotReceived,
    /// The agent could not understand the caller after repeated tries.
    NotUnderstood,
    /// An exception only a person may approve (e.g. a return past its window).
    Exception,
    /// The store could not be read or written.
    SystemError,
    /// The customer says they never placed the order.
    Disputed,
    /// A confirmation call reached someone who does not know the customer: the shop
    /// reaches them another way and stops calling that number about the order.
    WrongNumber,
}

impl HandOffReason {
    pub fn as_str(self) -> &'static str {
        match self {
            HandOffReason::Requested => "requested",
            HandOffReason::Complaint => "complaint",
            HandOffReason::LongDelay => "long_delay",
            HandOffReason::NotReceived => "not_received",
            HandOffReason::NotUnderstood => "not_understood",
            HandOffReason::Exception => "exception",
            HandOffReason::SystemError => "system_error",
            HandOffReason::Disputed => "disputed",
            HandOffReason::WrongNumber => "wrong_number",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_serialise_with_their_kind_tag() {
        let c = Change::CancelOrder {
            order_number: "1234567891234".into(),
            reason: CancelReason::FoundCheaper,
        };
        let json = serde_json::to_value(&c).expect("serialises");
        assert_eq!(json["kind"], c.kind());
        assert_eq!(json["reason"], "found_cheaper");
        let back: Change = serde_json::from_value(json).expect("parses");
        assert_eq!(back, c);
        assert_eq!(back.order_number(), Some("1234567891234"));
    }

    #[test]
    fn every_kind_tag_matches_serde() {
        let changes = [
            Change::ConfirmOrder {
                order_number: "1".into(),
            },
            Change::UpdateSubscription {
                subscription_ref: None,
                subscription_id: 3,
                action: SubscriptionAction::Pause,
            },
            Change::Notify {
                channel: Channel::Sms,
                template: Notice::TrackingLink,
                order_number: None,
                reference: None,
            },
            Change::HandOff {
                reason: HandOffReason::Complaint,
                order_number: None,
                summary: "s".into(),
            },
        ];
        for c in changes {
            let json = serde_json::to_value(&c).expect("serialises");
            assert_eq!(json["kind"], c.kind());
        }
    }
}

#[cfg(test)]
mod return_id_tests {
    use super::*;

    #[test]
    fn a_return_number_is_its_order_s_tail_and_a_sequence() {
        assert_eq!(return_id_for("7100000000037", 1), "00370001");
        assert_eq!(return_id_for("123", 12), "01230012");
        assert!(return_id_belongs("7100000000037", "00370001"));
        assert!(return_id_belongs("7200000000037", "00370002"));
        for bad in ["00380001", "00370000", "0037001", "0037000a", "003700011"] {
            assert!(!return_id_belongs("7100000000037", bad), "{bad}");
        }
    }
}

//! The changes a device makes to orders, subscriptions and customers' cases: what the
//! dialog decides, what the store applies locally, and what the outbox uploads to the
//! central OMS (one JSON command per change, tagged by `kind`).
//!
//! Architecture invariant: a change carries no contact details (email, phone, street
//! address) except where the change *is* that detail (a new shipping address); the OMS
//! already knows how to reach its customers, so notifications name a template only.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::order::{AddressRecord, OrderRecord};
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
    /// Move the delivery to another day and time slot.
    RescheduleDelivery {
        order_number: String,
        date: NaiveDate,
        slot: TimeSlot,
    },
    /// The customer confirmed an order waiting for confirmation (cash on delivery).
    ConfirmOrder { order_number: String },
    /// A return, an exchange, or a replacement/refund for a damaged or wrong item.
    CreateReturn(ReturnRequest),
    /// A new order placed by voice (the record is complete, as the OMS wire format).
    PlaceOrder { order: Box<OrderRecord> },
    /// A new subscription for a known customer.
    CreateSubscription {
        customer_id: i64,
        sku: String,
        qty: u32,
        frequency_days: u32,
        next_date: NaiveDate,
    },
    /// A change to an existing subscription.
    UpdateSubscription {
        subscription_id: i64,
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

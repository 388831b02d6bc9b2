//! The records the layers exchange: what the store answers and the dialog reads
//! (products, documents, customers, order lists, returns, subscriptions, the notices
//! sync raises). Plain data; how they are stored is the store's business.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::order::{Money, Order, OrderStatus};

/// A sellable product (one variant: one size, one colour).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub sku: String,
    pub name: String,
    pub category: String,
    /// Variants of the same product share a family (exchanges stay within it).
    pub family: String,
    pub size: Option<String>,
    pub color: Option<String>,
    pub price_cents: i64,
    pub stock: i64,
    pub final_sale: bool,
    pub personalised: bool,
    pub active: bool,
    /// Other names people use for it ("coffee beans", "the house blend").
    pub aliases: Vec<String>,
}

impl Product {
    pub fn price(&self) -> Money {
        Money(self.price_cents)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    Active,
    Paused,
    Cancelled,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::Paused => "paused",
            SubscriptionStatus::Cancelled => "cancelled",
        }
    }

    /// The status a stored name stands for.
    pub fn parse(s: &str) -> Option<SubscriptionStatus> {
        match s {
            "active" => Some(SubscriptionStatus::Active),
            "paused" => Some(SubscriptionStatus::Paused),
            "cancelled" => Some(SubscriptionStatus::Cancelled),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscription {
    pub id: i64,
    pub customer_id: i64,
    pub sku: String,
    pub qty: u32,
    pub frequency_days: u32,
    pub next_date: Option<NaiveDate>,
    pub status: SubscriptionStatus,
}

/// A policy or FAQ document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub id: String,
    /// `policy` or `faq`.
    pub kind: String,
    pub title: String,
    pub body: String,
}

/// The current record of a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerRow {
    pub id: i64,
    pub name: String,
    /// Lower-case.
    pub email: Option<String>,
    /// Digits only.
    pub phone: Option<String>,
    pub billing_zip: Option<String>,
    pub household_id: Option<i64>,
}

/// One product a customer has bought, summed over their orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurchasedItem {
    pub sku: String,
    /// The name on their most recent order line of it.
    pub name: String,
    /// In how many orders it appears.
    pub times_ordered: u32,
    /// How many they took the last time.
    pub last_qty: u32,
    pub last_ordered: NaiveDate,
}

/// One line of an order list: enough to tell orders apart by voice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderSummary {
    pub order_number: String,
    pub status: OrderStatus,
    pub order_date: NaiveDate,
    #[serde(serialize_with = "ser_money")]
    pub total: Money,
    /// Lines of the order (three of one tea is one line).
    pub item_count: u32,
    pub first_item: String,
    /// How many of the first item.
    pub first_qty: u32,
    /// The second line and its count, so an order of two things is said whole ("two
    /// packs of coffee beans and a milk pitcher").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second_item: Option<(String, u32)>,
}

impl From<&Order> for OrderSummary {
    fn from(order: &Order) -> OrderSummary {
        let first = order.items.first();
        OrderSummary {
            order_number: order.order_number.clone(),
            status: order.status,
            order_date: order.order_date,
            total: order.total,
            item_count: u32::try_from(order.items.len()).unwrap_or(u32::MAX),
            first_item: first.map(|i| i.name.clone()).unwrap_or_default(),
            first_qty: first.map_or(1, |i| i.qty),
            second_item: order.items.get(1).map(|i| (i.name.clone(), i.qty)),
        }
    }
}

fn ser_money<S: serde::Serializer>(m: &Money, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(m.to_decimal())
}

/// A return authorisation and its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReturnRecord {
    pub id: String,
    pub order_number: String,
    pub created_at: NaiveDateTime,
    /// `requested` | `label_sent` | `pickup_scheduled` | `in_transit` | `received` |
    /// `refunded` | `rejected`.
    pub status: String,
    pub reason: String,
    /// `refund` | `replacement` | `exchange`.
    pub resolution: String,
    pub refund_method: Option<String>,
    pub refund_cents: Option<i64>,
    pub refunded_at: Option<NaiveDateTime>,
    pub pickup_date: Option<NaiveDate>,
    pub pickup_slot: Option<String>,
    /// (order line number, quantity, exchange SKU).
    pub lines: Vec<(u32, u32, Option<String>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// The OMS refused a change the customer made; the device rolled it back.
    Rejected,
    /// A household's order shipped, is out for delivery or was delivered.
    StatusUpdate,
}

impl NoticeKind {
    /// The name stored for it.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Rejected => "rejected",
            NoticeKind::StatusUpdate => "status_update",
        }
    }
}

/// Something the customer must be told because of sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncNotice {
    pub id: i64,
    pub kind: NoticeKind,
    pub order_number: Option<String>,
    pub customer_id: Option<i64>,
    /// The order's status the notice reports (after a rollback: the OMS's status).
    pub status: Option<OrderStatus>,
    /// Rejected: the change that was refused (`cancel_order`, …).
    pub command_kind: Option<String>,
    /// Rejected: the OMS's reason code.
    pub reason: Option<String>,
    pub detail: Option<String>,
    /// Whether a speaker may say it without being asked.
    pub announce: bool,
    pub created_at: NaiveDateTime,
}

/// Which undelivered notices to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeScope<'a> {
    /// About one order (a caller just verified it).
    Order(&'a str),
    /// About any order of one customer (a household's speaker).
    Customer(i64),
    /// Every notice a speaker may announce unprompted.
    Announcements,
}

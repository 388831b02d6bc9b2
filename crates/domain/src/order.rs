//! The order domain model and its JSON form (the import file and the OMS wire format).
//!
//! Owns what an order *is*: statuses, items, money, and the validation that turns an
//! untrusted JSON record into an [`Order`]. It knows nothing about SQL or dialog.

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

/// The life-cycle state of an order, as the OMS reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    PendingConfirmation,
    Processing,
    Shipped,
    OutForDelivery,
    Delivered,
    Delayed,
    Cancelled,
    Returned,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 8] = [
        OrderStatus::PendingConfirmation,
        OrderStatus::Processing,
        OrderStatus::Shipped,
        OrderStatus::OutForDelivery,
        OrderStatus::Delivered,
        OrderStatus::Delayed,
        OrderStatus::Cancelled,
        OrderStatus::Returned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingConfirmation => "pending_confirmation",
            OrderStatus::Processing => "processing",
            OrderStatus::Shipped => "shipped",
            OrderStatus::OutForDelivery => "out_for_delivery",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Delayed => "delayed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Returned => "returned",
        }
    }

    /// Whether the order is still to come to the customer: not delivered, and neither
    /// cancelled nor returned.
    pub fn is_still_to_come(self) -> bool {
        !matches!(
            self,
            OrderStatus::Delivered | OrderStatus::Cancelled | OrderStatus::Returned
        )
    }

    /// Whether the parcel has left the warehouse (a carrier holds it or held it).
    pub fn has_shipped(self) -> bool {
        matches!(
            self,
            OrderStatus::Shipped
                | OrderStatus::OutForDelivery
                | OrderStatus::Delivered
                | OrderStatus::Delayed
                | OrderStatus::Returned
        )
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The text is not one of the known statuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown order status {0:?} (expected one of {list})", list = OrderStatus::ALL.map(|s| s.as_str()).join(", "))]
pub struct UnknownStatus(pub String);

impl FromStr for OrderStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

/// How the customer pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Card,
    Cod,
}

impl PaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Card => "card",
            PaymentMethod::Cod => "cod",
        }
    }
}

impl FromStr for PaymentMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "card" => Ok(PaymentMethod::Card),
            "cod" => Ok(PaymentMethod::Cod),
            other => Err(format!("unknown payment method {other:?}")),
        }
    }
}

/// Shipping speed chosen at checkout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShippingMethod {
    Standard,
    Express,
    NextDay,
    International,
}

impl ShippingMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            ShippingMethod::Standard => "standard",
            ShippingMethod::Express => "express",
            ShippingMethod::NextDay => "next_day",
            ShippingMethod::International => "international",
        }
    }
}

impl FromStr for ShippingMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "standard" => Ok(ShippingMethod::Standard),
            "express" => Ok(ShippingMethod::Express),
            "next_day" => Ok(ShippingMethod::NextDay),
            "international" => Ok(ShippingMethod::International),
            other => Err(format!("unknown shipping method {other:?}")),
        }
    }
}

/// An amount of money in minor units (cents), so sums never drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(pub i64);

impl Money {
    /// Converts a JSON decimal amount; rejects negatives, NaN and sub-cent precision.
    pub fn from_decimal(value: f64) -> Result<Money, String> {
        if !value.is_finite() {
            return Err("is not a finite number".into());
        }
        if value < 0.0 {
            return Err(format!("is negative ({value})"));
        }
        if value > 100_000_000.0 {
            return Err(format!("is implausibly large ({value})"));
        }
        let cents = (value * 100.0).round();
        if (value * 100.0 - cents).abs() > 1e-6 {
            return Err(format!("has more than two decimals ({value})"));
        }
        Ok(Money(cents as i64))
    }

    pub fn to_decimal(self) -> f64 {
        self.0 as f64 / 100.0
    }

    pub fn cents(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// The person who placed the order, as the order recorded them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub name: String,
    /// Lower-case.
    pub email: Option<String>,
    /// Digits only.
    pub phone: Option<String>,
    pub billing_zip: Option<String>,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItem {
    pub sku: String,
    pub name: String,
    pub qty: u32,
    pub price: Money,
    pub category: String,
    pub final_sale: bool,
    pub personalised: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub method: PaymentMethod,
    pub brand: Option<String>,
    /// Only the last four digits are ever stored.
    pub last4: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub state: Option<String>,
    pub zip: String,
    pub country: String,
}

/// One scan of the parcel by the carrier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingEvent {
    pub at: NaiveDateTime,
    pub status: String,
    pub location: Option<String>,
    pub description: Option<String>,
}

/// A validated order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub order_number: String,
    pub status: OrderStatus,
    pub order_date: NaiveDate,
    pub customer: Customer,
    pub items: Vec<OrderItem>,
    pub subtotal: Money,
    pub shipping_cost: Money,
    pub total: Money,
    pub currency: String,
    pub payment: Payment,
    pub shipping_address: Option<Address>,
    pub shipping_method: ShippingMethod,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub shipped_at: Option<NaiveDateTime>,
    pub estimated_delivery: Option<NaiveDate>,
    pub delivered_at: Option<NaiveDateTime>,
    pub cancelled_at: Option<NaiveDateTime>,
    pub tracking_events: Vec<TrackingEvent>,
    /// Staff notes: stored, never spoken.
    pub internal_notes: Option<String>,
    /// The OMS's version of this order; bumps on every central change.
    pub version: i64,
    /// The shop the order belongs to (a retail store's id), which decides which kiosks
    /// the OMS lets see it. Devices accept it and do not keep it.
    pub store: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Wire format. Kept separate from the domain types so that a file with the wrong shape is
// reported by JSON path, and a file with the right shape but wrong values by field name.

/// An order exactly as it appears in an import file or on the OMS wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderRecord {
    pub order_number: String,
    pub status: String,
    pub order_date: String,
    pub customer: CustomerRecord,
    pub items: Vec<ItemRecord>,
    pub subtotal: f64,
    #[serde(default)]
    pub shipping_cost: f64,
    pub total: f64,
    #[serde(default = "default_currency")]
    pub currency: String,
    pub payment: PaymentRecord,
    #[serde(default)]
    pub shipping_address: Option<AddressRecord>,
    #[serde(default = "default_shipping_method")]
    pub shipping_method: String,
    #[serde(default)]
    pub carrier: Option<String>,
    #[serde(default)]
    pub tracking_number: Option<String>,
    #[serde(default)]
    pub shipped_at: Option<String>,
    #[serde(default)]
    pub estimated_delivery: Option<String>,
    #[serde(default)]
    pub delivered_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tracking_events: Vec<TrackingEventRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
}

fn default_currency() -> String {
    "USD".into()
}

fn default_shipping_method() -> String {
    "standard".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerRecord {
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub billing_zip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemRecord {
    pub sku: String,
    pub name: String,
    pub qty: i64,
    pub price: f64,
    #[serde(default = "default_category")]
    pub category: String,
    #[serde(default)]
    pub final_sale: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub personalised: bool,
}

fn default_category() -> String {
    "general".into()
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentRecord {
    pub method: String,
    #[serde(default)]
    pub brand: Option<String>,
    #[serde(default)]
    pub last4: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddressRecord {
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    pub city: String,
    #[serde(default)]
    pub state: Option<String>,
    pub zip: String,
    #[serde(default = "default_country")]
    pub country: String,
}

fn default_country() -> String {
    "US".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackingEventRecord {
    pub at: String,
    pub status: String,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// One reason a record was refused: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {reason}")]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

fn field_err(field: impl Into<String>, reason: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Longest store id.
pub const MAX_STORE_ID_LEN: usize = 64;

/// Checks a store id: 1 to 64 ASCII letters, digits, `-`, `_` or `.`, so that it can
/// stand in a whitespace- and comma-separated scope list.
pub fn validate_store_id(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("is empty".into());
    }
    if s.len() > MAX_STORE_ID_LEN {
        return Err(format!("is longer than {MAX_STORE_ID_LEN} characters"));
    }
    match s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        Some(c) => Err(format!(
            "{c:?} is not allowed (letters, digits, '-', '_' and '.' only)"
        )),
        None => Ok(()),
    }
}

/// Checks that an order number is 4 to 20 ASCII digits.
pub fn validate_order_number(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("is empty".into());
    }
    if let Some(c) = s.chars().find(|c| !c.is_ascii_digit()) {
        return Err(format!("{s:?} must contain digits only (found {c:?})"));
    }
    if !(4..=20).contains(&s.len()) {
        return Err(format!("{s:?} must have 4 to 20 digits (has {})", s.len()));
    }
    Ok(())
}

/// An order number as a person types or reads it out: the spaces and dashes between
/// digit groups ("1234 56789 1234", "1234-56789-1234") are dropped, and what is left
/// must pass [`validate_order_number`].
pub fn order_number_from_input(s: &str) -> Result<String, String> {
    let digits: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    validate_order_number(&digits)?;
    Ok(digits)
}

/// The fewest digits a phone number to look orders up by may have: a local number
/// without its area code. Fewer cannot tell one caller from another.
pub const MIN_PHONE_DIGITS: usize = 7;

/// The digits of a phone number written with any punctuation ("512-555-0199",
/// "(512) 555 0199"), or `None` when fewer than [`MIN_PHONE_DIGITS`] are left.
pub fn phone_digits(s: &str) -> Option<String> {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= MIN_PHONE_DIGITS).then_some(digits)
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date (expected YYYY-MM-DD)"))
}

/// Parses a wall-clock time without a zone: `YYYY-MM-DDTHH:MM[:SS[.fff]]`,
/// `YYYY-MM-DD HH:MM:SS`, or a bare date (its midnight).
pub fn parse_naive_datetime(s: &str) -> Option<NaiveDateTime> {
    let t = s.trim();
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(dt);
        }
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight is a valid time"))
}

/// Parses a wire timestamp: RFC 3339 (kept as its UTC wall time), or a wall-clock time
/// as [`parse_naive_datetime`] reads it.
pub fn parse_datetime(s: &str) -> Result<NaiveDateTime, String> {
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(dt.naive_utc());
    }
    parse_naive_datetime(s).ok_or_else(|| {
        format!("{s:?} is not a timestamp (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)")
    })
}

/// Formats a timestamp the way the wire format writes it.
pub fn format_datetime(dt: NaiveDateTime) -> String {
    dt.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn digits_only(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn opt_trimmed(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

fn money(field: &str, v: f64) -> Result<Money, FieldError> {
    Money::from_decimal(v).map_err(|r| field_err(field, r))
}

fn opt_datetime(field: &str, v: &Option<String>) -> Result<Option<NaiveDateTime>, FieldError> {
    match opt_trimmed(v) {
        None => Ok(None),
        Some(t) => parse_datetime(&t)
            .map(Some)
            .map_err(|r| field_err(field, r)),
    }
}

/// Longest email address (RFC 5321's path limit).
pub const MAX_EMAIL_LEN: usize = 254;
/// Longest name, street line, city, item name or tracking text.
pub const MAX_TEXT_LEN: usize = 200;
/// Longest short code: a SKU, a category, a state or region, a carrier, a tracking
/// number, a card brand.
pub const MAX_CODE_LEN: usize = 64;
/// Longest staff note.
pub const MAX_NOTE_LEN: usize = 2000;
/// Most lines on one order.
pub const MAX_ORDER_LINES: usize = 200;

/// The US states, the District and the territories, as their two-letter postal codes.
const US_STATES: [&str; 56] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI",
];

/// A text field as it is kept: trimmed, at most `max` characters, with no control
/// characters (a NUL or an escape sequence in a name ends up in logs, labels and
/// spoken replies).
fn bounded(field: &str, s: &str, max: usize) -> Result<String, FieldError> {
    let t = s.trim();
    if t.chars().count() > max {
        return Err(field_err(field, format!("is longer than {max} characters")));
    }
    if t.chars().any(char::is_control) {
        return Err(field_err(field, "holds a control character"));
    }
    Ok(t.to_string())
}

/// [`bounded`], and not empty.
fn bounded_non_empty(field: &str, s: &str, max: usize) -> Result<String, FieldError> {
    let t = bounded(field, s, max)?;
    if t.is_empty() {
        return Err(field_err(field, "is empty"));
    }
    Ok(t)
}

/// [`bounded`] for an optional field; empty is absent.
fn bounded_opt(field: &str, s: &Option<String>, max: usize) -> Result<Option<String>, FieldError> {
    match s {
        None => Ok(None),
        Some(s) => bounded(field, s, max).map(|t| Some(t).filter(|t| !t.is_empty())),
    }
}

/// A light email shape check: one `@`, a dot in the domain, no spaces or control
/// characters, at most [`MAX_EMAIL_LEN`] long.
pub fn is_plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() <= MAX_EMAIL_LEN
        && !s.chars().any(char::is_control)
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !s.chars().any(char::is_whitespace)
}

impl OrderRecord {
    /// Validates every field, returning the first problem found.
    pub fn validate(&self) -> Result<Order, FieldError> {
        validate_order_number(&self.order_number).map_err(|r| field_err("order_number", r))?;
        let status: OrderStatus = self
            .status
            .parse()
            .map_err(|e: UnknownStatus| field_err("status", e.to_string()))?;
        let order_date = parse_date(&self.order_date).map_err(|r| field_err("order_date", r))?;

        let c = &self.customer;
        let name = bounded_non_empty("customer.name", &c.name, MAX_TEXT_LEN)?;
        let email = match opt_trimmed(&c.email) {
            None => None,
            Some(e) => {
                let e = e.to_lowercase();
                if !is_plausible_email(&e) {
                    return Err(field_err(
                        "customer.email",
                        format!("{e:?} is not an email address"),
                    ));
                }
                Some(e)
            }
        };
        let phone = match opt_trimmed(&c.phone) {
            None => None,
            Some(p) => {
                if p.chars()
                    .any(|ch| !(ch.is_ascii_digit() || " -+().".contains(ch)))
                {
                    return Err(field_err(
                        "customer.phone",
                        "may contain only digits, spaces and + - ( ) .",
                    ));
                }
                let d = digits_only(&p);
                if !(7..=15).contains(&d.len()) {
                    return Err(field_err(
                        "customer.phone",
                        format!("must have 7 to 15 digits (has {})", d.len()),
                    ));
                }
                Some(d)
            }
        };
        let billing_zip = match opt_trimmed(&c.billing_zip) {
            None => None,
            Some(z) => Some(validate_zip("customer.billing_zip", &z)?),
        };
        if email.is_none() && phone.is_none() {
            return Err(field_err(
                "customer",
                "needs an email or a phone (one is required to verify the caller)",
            ));
        }

        if self.items.is_empty() {
            return Err(field_err("items", "an order needs at least one item"));
        }
        if self.items.len() > MAX_ORDER_LINES {
            return Err(field_err(
                "items",
                format!("{} lines; at most {MAX_ORDER_LINES}", self.items.len()),
            ));
        }
        let mut items = Vec::with_capacity(self.items.len());
        for (i, it) in self.items.iter().enumerate() {
            let f = |name: &str| format!("items[{i}].{name}");
            let qty = u32::try_from(it.qty)
                .ok()
                .filter(|q| (1..=10_000).contains(q))
                .ok_or_else(|| {
                    field_err(f("qty"), format!("must be 1 to 10000 (is {})", it.qty))
                })?;
            items.push(OrderItem {
                sku: bounded_non_empty(&f("sku"), &it.sku, MAX_CODE_LEN)?,
                name: bounded_non_empty(&f("name"), &it.name, MAX_TEXT_LEN)?,
                qty,
                price: money(&f("price"), it.price)?,
                category: bounded_non_empty(&f("category"), &it.category, MAX_CODE_LEN)?
                    .to_lowercase(),
                final_sale: it.final_sale,
                personalised: it.personalised,
            });
        }

        let currency = self.currency.trim().to_uppercase();
        if currency.len() != 3 || !currency.chars().all(|ch| ch.is_ascii_alphabetic()) {
            return Err(field_err(
                "currency",
                format!("{:?} is not a three-letter currency code", self.currency),
            ));
        }

        let method: PaymentMethod = self.payment.method.trim().parse().map_err(|r: String| {
            field_err("payment.method", format!("{r} (expected card or cod)"))
        })?;
        let last4 = match opt_trimmed(&self.payment.last4) {
            None => None,
            Some(l) if l.len() == 4 && l.chars().all(|ch| ch.is_ascii_digit()) => Some(l),
            Some(_) => {
                return Err(field_err(
                    "payment.last4",
                    "must be exactly the last four digits of the card",
                ))
            }
        };

        let shipping_address = self
            .shipping_address
            .as_ref()
            .map(|a| a.validate("shipping_address"))
            .transpose()?;
        let shipping_method: ShippingMethod =
            self.shipping_method.trim().parse().map_err(|r: String| {
                field_err(
                    "shipping_method",
                    format!("{r} (expected standard, express, next_day or international)"),
                )
            })?;

        let store = opt_trimmed(&self.store);
        if let Some(id) = &store {
            validate_store_id(id).map_err(|r| field_err("store", r))?;
        }
        let estimated_delivery = match opt_trimmed(&self.estimated_delivery) {
            None => None,
            Some(d) => Some(parse_date(&d).map_err(|r| field_err("estimated_delivery", r))?),
        };
        let mut tracking_events = Vec::with_capacity(self.tracking_events.len());
        for (i, ev) in self.tracking_events.iter().enumerate() {
            tracking_events.push(TrackingEvent {
                at: parse_datetime(&ev.at)
                    .map_err(|r| field_err(format!("tracking_events[{i}].at"), r))?,
                status: bounded_non_empty(
                    &format!("tracking_events[{i}].status"),
                    &ev.status,
                    MAX_CODE_LEN,
                )?,
                location: bounded_opt(
                    &format!("tracking_events[{i}].location"),
                    &ev.location,
                    MAX_TEXT_LEN,
                )?,
                description: bounded_opt(
                    &format!("tracking_events[{i}].description"),
                    &ev.description,
                    MAX_TEXT_LEN,
                )?,
            });
        }

        Ok(Order {
            order_number: self.order_number.clone(),
            status,
            order_date,
            customer: Customer {
                name,
                email,
                phone,
                billing_zip,
            },
            items,
            subtotal: money("subtotal", self.subtotal)?,
            shipping_cost: money("shipping_cost", self.shipping_cost)?,
            total: money("total", self.total)?,
            currency,
            payment: Payment {
                method,
                brand: bounded_opt("payment.brand", &self.payment.brand, MAX_CODE_LEN)?,
                last4,
            },
            shipping_address,
            shipping_method,
            carrier: bounded_opt("carrier", &self.carrier, MAX_CODE_LEN)?,
            tracking_number: bounded_opt("tracking_number", &self.tracking_number, MAX_CODE_LEN)?,
            shipped_at: opt_datetime("shipped_at", &self.shipped_at)?,
            estimated_delivery,
            delivered_at: opt_datetime("delivered_at", &self.delivered_at)?,
            cancelled_at: opt_datetime("cancelled_at", &self.cancelled_at)?,
            tracking_events,
            internal_notes: bounded_opt("internal_notes", &self.internal_notes, MAX_NOTE_LEN)?,
            version: self.version.unwrap_or(0),
            store,
        })
    }
}

impl AddressRecord {
    /// Validates an address on its own (a new shipping address given by voice); errors
    /// name fields under `field` (`shipping_address.zip`).
    /// The country is an ISO 3166 two-letter code; a US address has a state's postal
    /// code (when it gives one) and a 5-digit ZIP, a Canadian one a postal code like
    /// `K1A 0B1`, any other a postal code of 2 to 10 letters, digits, spaces and dashes.
    pub fn validate(&self, field: &str) -> Result<Address, FieldError> {
        let f = |name: &str| format!("{field}.{name}");
        let country = self.country.trim().to_uppercase();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(field_err(
                f("country"),
                "is not a two-letter country code (ISO 3166, like US)",
            ));
        }
        let state = bounded_opt(&f("state"), &self.state, MAX_CODE_LEN)?;
        let state = match (country.as_str(), state) {
            ("US", Some(s)) => {
                let code = s.to_uppercase();
                if !US_STATES.contains(&code.as_str()) {
                    return Err(field_err(
                        f("state"),
                        format!("{s:?} is not a US state's two-letter code"),
                    ));
                }
                Some(code)
            }
            (_, s) => s,
        };
        let z = bounded_non_empty(&f("zip"), &self.zip, MAX_CODE_LEN)?;
        let zip = match country.as_str() {
            "US" => validate_zip(&f("zip"), &z)?,
            "CA" => validate_canadian_postal_code(&f("zip"), &z)?,
            _ => {
                let ok = (2..=10).contains(&z.len())
                    && z.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-');
                if !ok {
                    return Err(field_err(f("zip"), "is not a postal code"));
                }
                z.to_uppercase()
            }
        };
        Ok(Address {
            line1: bounded_non_empty(&f("line1"), &self.line1, MAX_TEXT_LEN)?,
            line2: bounded_opt(&f("line2"), &self.line2, MAX_TEXT_LEN)?,
            city: bounded_non_empty(&f("city"), &self.city, MAX_TEXT_LEN)?,
            state,
            zip,
            country,
        })
    }
}

/// `A1A 1A1`, with or without the space.
fn validate_canadian_postal_code(field: &str, z: &str) -> Result<String, FieldError> {
    let compact: String = z
        .chars()
        .filter(|c| *c != ' ')
        .collect::<String>()
        .to_uppercase();
    let shape_ok = compact.len() == 6
        && compact.chars().enumerate().all(|(i, c)| {
            if i % 2 == 0 {
                c.is_ascii_uppercase()
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape_ok {
        return Err(field_err(
            field,
            "is not a Canadian postal code like K1A 0B1",
        ));
    }
    Ok(format!("{} {}", &compact[..3], &compact[3..]))
}

fn validate_zip(field: &str, z: &str) -> Result<String, FieldError> {
    // ZIP+4 is accepted; the five-digit ZIP is what callers say and what is stored.
    let five = z.split('-').next().unwrap_or(z);
    if five.len() == 5 && five.chars().all(|c| c.is_ascii_digit()) {
        Ok(five.to_string())
    } else {
        Err(field_err(field, format!("{z:?} is not a 5-digit ZIP code")))
    }
}

impl From<&Order> for OrderRecord {
    fn from(o: &Order) -> Self {
        let opt_dt = |d: Option<NaiveDateTime>| d.map(format_datetime);
        OrderRecord {
            order_number: o.order_number.clone(),
            status: o.status.as_str().into(),
            order_date: o.order_date.to_string(),
            customer: CustomerRecord {
                name: o.customer.name.clone(),
                email: o.customer.email.clone(),
                phone: o.customer.phone.clone(),
                billing_zip: o.customer.billing_zip.clone(),
            },
            items: o
                .items
                .iter()
                .map(|i| ItemRecord {
                    sku: i.sku.clone(),
                    name: i.name.clone(),
                    qty: i64::from(i.qty),
                    price: i.price.to_decimal(),
                    category: i.category.clone(),
                    final_sale: i.final_sale,
                    personalised: i.personalised,
                })
                .collect(),
            subtotal: o.subtotal.to_decimal(),
            shipping_cost: o.shipping_cost.to_decimal(),
            total: o.total.to_decimal(),
            currency: o.currency.clone(),
            payment: PaymentRecord {
                method: o.payment.method.as_str().into(),
                brand: o.payment.brand.clone(),
                last4: o.payment.last4.clone(),
            },
            shipping_address: o.shipping_address.as_ref().map(|a| AddressRecord {
                line1: a.line1.clone(),
                line2: a.line2.clone(),
                city: a.city.clone(),
                state: a.state.clone(),
                zip: a.zip.clone(),
                country: a.country.clone(),
            }),
            shipping_method: o.shipping_method.as_str().into(),
            carrier: o.carrier.clone(),
            tracking_number: o.tracking_number.clone(),
            shipped_at: opt_dt(o.shipped_at),
            estimated_delivery: o.estimated_delivery.map(|d| d.to_string()),
            delivered_at: opt_dt(o.delivered_at),
            cancelled_at: opt_dt(o.cancelled_at),
            tracking_events: o
                .tracking_events
                .iter()
                .map(|e| TrackingEventRecord {
                    at: format_datetime(e.at),
                    status: e.status.clone(),
                    location: e.location.clone(),
                    description: e.description.clone(),
                })
                .collect(),
            internal_notes: o.internal_notes.clone(),
            version: Some(o.version),
            store: o.store.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample_record() -> OrderRecord {
        serde_json::from_str(include_str!("../../../tests/data/orders_valid.json"))
            .map(|v: Vec<OrderRecord>| v[0].clone())
            .expect("fixture parses")
    }

    #[test]
    fn design_example_validates_and_round_trips() {
        let rec = sample_record();
        let order = rec.validate().expect("valid");
        assert_eq!(order.order_number, "1234567891234");
        assert_eq!(order.status, OrderStatus::Processing);
        assert_eq!(order.items[0].price, Money(2999));
        assert_eq!(order.total, Money(5998));
        let back = OrderRecord::from(&order);
        assert_eq!(back.validate().expect("still valid"), order);
    }

    #[test]
    fn order_number_with_letters_is_refused_naming_the_field() {
        let mut rec = sample_record();
        rec.order_number = "12345A7891234".into();
        let err = rec.validate().unwrap_err();
        assert_eq!(err.field, "order_number");
        assert!(err.reason.contains("digits only"), "{err}");
    }

    #[test]
    fn unknown_status_lists_the_known_ones() {
        let mut rec = sample_record();
        rec.status = "shipt".into();
        let err = rec.validate().unwrap_err();
        assert_eq!(err.field, "status");
        assert!(err.reason.contains("out_for_delivery"), "{err}");
    }

    #[test]
    fn money_rejects_fractions_of_a_cent_and_negatives() {
        assert_eq!(Money::from_decimal(29.99), Ok(Money(2999)));
        assert_eq!(Money::from_decimal(0.1 + 0.2), Ok(Money(30)));
        assert!(Money::from_decimal(1.005).is_err());
        assert!(Money::from_decimal(-1.0).is_err());
        assert!(Money::from_decimal(f64::NAN).is_err());
    }

    #[test]
    fn bad_item_quantity_names_the_item_index() {
        let mut rec = sample_record();
        rec.items[0].qty = 0;
        let err = rec.validate().unwrap_err();
        assert_eq!(err.field, "items[0].qty");
    }

    #[test]
    fn card_number_longer_than_last4_is_refused() {
        let mut rec = sample_record();
        rec.payment.last4 = Some("4242424242424242".into());
        assert_eq!(rec.validate().unwrap_err().field, "payment.last4");
    }

    #[test]
    fn timestamps_accept_dates_datetimes_and_rfc3339() {
        assert_eq!(
            parse_datetime("2026-03-02").unwrap().to_string(),
            "2026-03-02 00:00:00"
        );
        assert_eq!(
            parse_datetime("2026-03-02T14:05:00Z").unwrap().to_string(),
            "2026-03-02 14:05:00"
        );
        assert!(parse_datetime("yesterday").is_err());
    }

    #[test]
    fn a_store_is_optional_checked_and_kept() {
        let mut rec = sample_record();
        assert_eq!(rec.validate().unwrap().store, None);
        rec.store = Some(" austin-1 ".into());
        let o = rec.validate().unwrap();
        assert_eq!(o.store.as_deref(), Some("austin-1"));
        assert_eq!(OrderRecord::from(&o).store.as_deref(), Some("austin-1"));
        for bad in ["austin 1", "a,b", &"x".repeat(65)] {
            rec.store = Some(bad.to_string());
            assert_eq!(rec.validate().unwrap_err().field, "store", "{bad:?}");
        }
    }

    #[test]
    fn contact_details_are_normalised() {
        let mut rec = sample_record();
        rec.customer.email = Some(" Ada@Example.COM ".into());
        rec.customer.phone = Some("(512) 555-0199".into());
        rec.customer.billing_zip = Some("78701-1234".into());
        let o = rec.validate().unwrap();
        assert_eq!(o.customer.email.as_deref(), Some("ada@example.com"));
        assert_eq!(o.customer.phone.as_deref(), Some("5125550199"));
        assert_eq!(o.customer.billing_zip.as_deref(), Some("78701"));
    }

    #[test]
    fn emails_and_text_fields_refuse_control_characters_and_excess() {
        let mut rec = sample_record();
        rec.customer.email = Some("ada\u{0}@example.com".into());
        assert_eq!(rec.validate().unwrap_err().field, "customer.email");
        rec.customer.email = Some(format!("{}@example.com", "a".repeat(250)));
        assert_eq!(rec.validate().unwrap_err().field, "customer.email");
        let mut rec = sample_record();
        rec.customer.name = "Ada\u{1b}[2J".into();
        assert_eq!(rec.validate().unwrap_err().field, "customer.name");
        let mut rec = sample_record();
        rec.items[0].name = "x".repeat(MAX_TEXT_LEN + 1);
        assert_eq!(rec.validate().unwrap_err().field, "items[0].name");
        let mut rec = sample_record();
        rec.internal_notes = Some("n".repeat(MAX_NOTE_LEN + 1));
        assert_eq!(rec.validate().unwrap_err().field, "internal_notes");
    }

    #[test]
    fn an_address_has_a_country_code_and_that_country_s_state_and_postal_code() {
        let address = |state: Option<&str>, zip: &str, country: &str| AddressRecord {
            line1: "1 Main St".into(),
            line2: None,
            city: "Somewhere".into(),
            state: state.map(str::to_string),
            zip: zip.into(),
            country: country.into(),
        };
        let us = address(Some("tx"), "78701-1234", "us")
            .validate("a")
            .unwrap();
        assert_eq!(
            (us.state.as_deref(), us.zip.as_str()),
            (Some("TX"), "78701")
        );
        assert_eq!(us.country, "US");
        let ca = address(Some("ON"), "k1a0b1", "CA").validate("a").unwrap();
        assert_eq!(ca.zip, "K1A 0B1");
        assert!(address(None, "10115", "DE").validate("a").is_ok());
        for (bad, field) in [
            (address(Some("Texas"), "78701", "US"), "a.state"),
            (address(Some("TX"), "787", "US"), "a.zip"),
            (address(Some("ON"), "123456", "CA"), "a.zip"),
            (address(None, "10115", "Germany"), "a.country"),
            (address(None, "10115", "D1"), "a.country"),
            (address(None, "<script>", "DE"), "a.zip"),
        ] {
            assert_eq!(bad.validate("a").unwrap_err().field, field, "{bad:?}");
        }
        let mut long = address(None, "78701", "US");
        long.line1 = "x".repeat(100_000);
        assert_eq!(long.validate("a").unwrap_err().field, "a.line1");
    }
}

#[cfg(test)]
mod input_tests {
    use super::*;

    #[test]
    fn order_numbers_lose_the_spaces_and_dashes_of_their_groups() {
        assert_eq!(
            order_number_from_input("1234 56789 1234").as_deref(),
            Ok("1234567891234")
        );
        assert_eq!(
            order_number_from_input(" 1234-56789-1234\n").as_deref(),
            Ok("1234567891234")
        );
    }

    #[test]
    fn order_numbers_keep_the_digit_rules() {
        assert!(order_number_from_input("12a4 5678")
            .unwrap_err()
            .contains("digits only"));
        assert!(order_number_from_input("1 2 3")
            .unwrap_err()
            .contains("4 to 20"));
        assert_eq!(order_number_from_input(" - ").unwrap_err(), "is empty");
    }

    #[test]
    fn phones_keep_their_digits_and_need_seven() {
        assert_eq!(
            phone_digits("(512) 555-0199").as_deref(),
            Some("5125550199")
        );
        assert_eq!(phone_digits("555-0199").as_deref(), Some("5550199"));
        assert_eq!(phone_digits("555-019"), None);
        assert_eq!(phone_digits("no digits"), None);
    }
}

//! What the dialog may ask of the world: a read-only view of the order cache, the
//! catalog, the verification locks and the policy documents. The engine reads through
//! this trait and never writes; changes leave it as [`crate::change::Change`]s.

use chrono::{NaiveDate, NaiveDateTime};

use crate::order::Order;
use crate::store::{OrderSummary, Product, Subscription};

/// The store could not answer. The dialog apologises and offers a person; the caller of
/// the engine logs the cause.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct FactsError(pub String);

/// Failed identity checks recorded against one key (an order, or a phone number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockState {
    pub failures: u32,
    pub locked_until: Option<NaiveDateTime>,
}

/// A person the store knows, with the factors that verify them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerInfo {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub billing_zip: Option<String>,
}

/// A return on file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnInfo {
    pub id: String,
    pub created_at: NaiveDateTime,
    /// requested | label_sent | pickup_scheduled | in_transit | received | refunded | rejected
    pub status: String,
    pub reason: String,
    /// refund | replacement | exchange
    pub resolution: String,
    pub refund_method: Option<String>,
    pub refund_cents: Option<i64>,
    pub refunded_at: Option<NaiveDateTime>,
    pub pickup_date: Option<NaiveDate>,
    pub lines: Vec<u32>,
}

/// A product a customer buys, most often first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purchase {
    pub sku: String,
    pub times_ordered: u32,
    pub last_qty: u32,
    pub last_ordered: NaiveDate,
}

/// A passage of a policy or FAQ document that answers a question.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyAnswer {
    pub doc_id: String,
    pub text: String,
}

/// Read-only answers the dialog needs. Implemented over the SQLite store by the agent,
/// and in memory by tests.
pub trait Facts {
    fn order(&self, order_number: &str) -> Result<Option<Order>, FactsError>;
    /// Orders whose checkout phone is this number, newest first.
    fn orders_by_phone(&self, phone: &str) -> Result<Vec<OrderSummary>, FactsError>;
    /// A customer's orders, newest first.
    fn orders_of_customer(&self, customer_id: i64) -> Result<Vec<OrderSummary>, FactsError>;
    fn customer(&self, id: i64) -> Result<Option<CustomerInfo>, FactsError>;
    fn customer_by_email(&self, email: &str) -> Result<Option<CustomerInfo>, FactsError>;
    fn lock(&self, key: &str) -> Result<Option<LockState>, FactsError>;
    fn returns_of(&self, order_number: &str) -> Result<Vec<ReturnInfo>, FactsError>;
    fn product(&self, sku: &str) -> Result<Option<Product>, FactsError>;
    /// The active products of one family (sizes and colours of one item).
    fn variants(&self, family: &str) -> Result<Vec<Product>, FactsError>;
    fn purchase_history(&self, customer_id: i64) -> Result<Vec<Purchase>, FactsError>;
    fn subscriptions_of(&self, customer_id: i64) -> Result<Vec<Subscription>, FactsError>;
    fn policy_answer(&self, question: &str) -> Option<PolicyAnswer>;
    /// A number for an order about to be placed.
    fn new_order_number(&self) -> Result<String, FactsError>;
    /// A number for a return about to be created.
    fn new_return_id(&self, order_number: &str) -> Result<String, FactsError>;
}

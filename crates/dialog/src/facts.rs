//! What the dialog may ask of the world: a read-only view of the order cache, the
//! catalog, the verification locks and the policy documents, and the one decision the
//! store must take for it: an identity check. The engine reads through this trait;
//! changes leave it as [`voxorder_domain::change::Change`]s. Identity checks are the exception,
//! because a lock must be checked and a failure counted in one transaction shared by
//! every conversation: a conversation's own memory of the lock is always stale.

use chrono::NaiveDateTime;

use voxorder_domain::order::Order;
use voxorder_domain::records::{
    CustomerRow, NoticeScope, OrderSummary, Product, PurchasedItem, ReturnRecord, Subscription,
    SyncNotice,
};
use voxorder_domain::verification::{IdentityVerdict, LockKey, LockPolicy, VerificationLock};

/// What the dialog asked when the store could not answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FactsQuery {
    Order,
    OrdersByPhone,
    OrdersOfCustomer,
    Customer,
    CustomerByEmail,
    Lock,
    IdentityCheck,
    Returns,
    Product,
    Variants,
    PurchaseHistory,
    Subscriptions,
    Notices,
    NewOrderNumber,
    NewReturnId,
    OrdersAsOf,
    Refusals,
}

impl std::fmt::Display for FactsQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FactsQuery::Order => "order look-up",
            FactsQuery::OrdersByPhone => "orders by phone",
            FactsQuery::OrdersOfCustomer => "orders of a customer",
            FactsQuery::Customer => "customer look-up",
            FactsQuery::CustomerByEmail => "customer by email",
            FactsQuery::Lock => "verification lock",
            FactsQuery::IdentityCheck => "identity check",
            FactsQuery::Returns => "returns of an order",
            FactsQuery::Product => "product look-up",
            FactsQuery::Variants => "product variants",
            FactsQuery::PurchaseHistory => "purchase history",
            FactsQuery::Subscriptions => "subscriptions",
            FactsQuery::Notices => "sync notices",
            FactsQuery::NewOrderNumber => "new order number",
            FactsQuery::NewReturnId => "new return id",
            FactsQuery::OrdersAsOf => "data age",
            FactsQuery::Refusals => "return refusals",
        })
    }
}

/// The store could not answer. The dialog apologises and offers a person whatever the
/// cause; the caller of the engine logs it. `detail` is the store's message with personal
/// data masked, since it becomes log text.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum FactsError {
    /// Another process holds the store past its busy timeout; a later turn may succeed.
    #[error("{query}: the store is busy")]
    Busy { query: FactsQuery },
    /// A stored record cannot be read back (damaged, or written by a newer build).
    #[error("{query}: a stored record is unreadable: {detail}")]
    Unreadable { query: FactsQuery, detail: String },
    /// The store failed to answer (I/O or SQL).
    #[error("{query}: the store failed: {detail}")]
    Failed { query: FactsQuery, detail: String },
}

/// A passage of a policy or FAQ document that answers a question.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyAnswer {
    pub doc_id: String,
    /// The heading of the section the passage is from.
    pub section: String,
    pub text: String,
    /// How well the passage answers the question (higher is better; comparable between
    /// answers to the same question).
    pub score: f32,
    /// The question names the section it is answered from ("how do I close my account").
    pub names_its_section: bool,
}

/// Read-only answers the dialog needs. Implemented over the SQLite store by the agent,
/// and in memory by tests.
pub trait Facts {
    fn order(&self, order_number: &str) -> Result<Option<Order>, FactsError>;
    /// Orders whose checkout phone is this number, newest first.
    fn orders_by_phone(&self, phone: &str) -> Result<Vec<OrderSummary>, FactsError>;
    /// A customer's orders, newest first.
    fn orders_of_customer(&self, customer_id: i64) -> Result<Vec<OrderSummary>, FactsError>;
    fn customer(&self, id: i64) -> Result<Option<CustomerRow>, FactsError>;
    fn customer_by_email(&self, email: &str) -> Result<Option<CustomerRow>, FactsError>;
    fn lock(&self, key: &LockKey) -> Result<Option<VerificationLock>, FactsError>;
    /// Decides one identity check under `key` atomically (see
    /// [`voxorder_domain::verification::decide_covering_check`]): refused while the key
    /// or a `covered` key of the same customer is locked, whatever this conversation saw
    /// earlier; a failure counted under each and the locks set in the same step.
    fn check_identity(
        &self,
        key: &LockKey,
        covered: &[LockKey],
        matched: bool,
        now: NaiveDateTime,
        policy: LockPolicy,
    ) -> Result<IdentityVerdict, FactsError>;
    fn returns_of(&self, order_number: &str) -> Result<Vec<ReturnRecord>, FactsError>;
    /// Records that a return on this order was refused by voice, past this call.
    fn record_return_refusal(
        &self,
        order_number: &str,
        now: NaiveDateTime,
    ) -> Result<(), FactsError>;
    /// Whether a return on this order was refused by voice before, in any call.
    fn return_refused(&self, order_number: &str) -> Result<bool, FactsError>;
    fn product(&self, sku: &str) -> Result<Option<Product>, FactsError>;
    /// The active products of one family (sizes and colours of one item).
    fn variants(&self, family: &str) -> Result<Vec<Product>, FactsError>;
    fn purchase_history(&self, customer_id: i64) -> Result<Vec<PurchasedItem>, FactsError>;
    fn subscriptions_of(&self, customer_id: i64) -> Result<Vec<Subscription>, FactsError>;
    /// The customers of this customer's household, this one among them (alone when in
    /// none): a household's speaker serves all of them.
    fn household_members(&self, customer_id: i64) -> Result<Vec<i64>, FactsError> {
        Ok(vec![customer_id])
    }
    /// The orders of every member of the customer's household, newest first.
    fn household_orders(&self, customer_id: i64) -> Result<Vec<OrderSummary>, FactsError> {
        let mut orders = Vec::new();
        for member in self.household_members(customer_id)? {
            orders.extend(self.orders_of_customer(member)?);
        }
        orders
            .sort_by(|a, b| (b.order_date, &b.order_number).cmp(&(a.order_date, &a.order_number)));
        Ok(orders)
    }
    /// What every member of the customer's household has bought, each product once
    /// (its latest purchase, with the times counted over all of them), latest first: on
    /// a household's speaker "the diapers and wipes" may be another member's.
    fn household_purchase_history(
        &self,
        customer_id: i64,
    ) -> Result<Vec<PurchasedItem>, FactsError> {
        let mut by_sku: Vec<PurchasedItem> = Vec::new();
        for member in self.household_members(customer_id)? {
            for item in self.purchase_history(member)? {
                match by_sku.iter_mut().find(|h| h.sku == item.sku) {
                    Some(h) => {
                        let times = h.times_ordered + item.times_ordered;
                        if item.last_ordered > h.last_ordered {
                            *h = item;
                        }
                        h.times_ordered = times;
                    }
                    None => by_sku.push(item),
                }
            }
        }
        by_sku.sort_by_key(|h| std::cmp::Reverse(h.last_ordered));
        Ok(by_sku)
    }
    /// The subscriptions of every member of the customer's household.
    fn household_subscriptions(&self, customer_id: i64) -> Result<Vec<Subscription>, FactsError> {
        let mut subs = Vec::new();
        for member in self.household_members(customer_id)? {
            subs.extend(self.subscriptions_of(member)?);
        }
        Ok(subs)
    }
    fn policy_answer(&self, question: &str) -> Option<PolicyAnswer>;
    /// The answer to a question from one section of the documents only, when the question
    /// shares a specific term with it.
    fn policy_answer_within(&self, _question: &str, _section: &str) -> Option<PolicyAnswer> {
        None
    }
    /// What sync learned that has not yet been said to the customer, oldest first.
    fn pending_notices(&self, scope: NoticeScope<'_>) -> Result<Vec<SyncNotice>, FactsError>;
    /// A number for an order about to be placed.
    fn new_order_number(&self) -> Result<String, FactsError>;
    /// A number for a return about to be created.
    fn new_return_id(&self, order_number: &str) -> Result<String, FactsError>;
    /// When the order details were last brought level with the central OMS; `None` when
    /// they never were (a device that does not sync holds what was imported).
    fn orders_as_of(&self) -> Result<Option<NaiveDateTime>, FactsError>;
}

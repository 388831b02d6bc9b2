//! The OMS's business rules for a device command: the same policy the device's dialog
//! follows (cancellable and re-addressable statuses, return windows, refund methods,
//! shipping prices, the reschedule window, from the configuration), checked again
//! against the OMS's own data: the central order, which may have moved on (shipped
//! meanwhile) since the device made its change, and the OMS's catalog. A device is
//! semi-trusted: nothing it claims about prices, statuses or amounts is taken on its
//! word.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};

use voxorder_config::{OrderPolicy, PolicyConfig, ReturnPolicy, ShippingPolicy};
use voxorder_domain::change::{Change, Resolution, ReturnRequest};
use voxorder_domain::order::{Money, Order, OrderStatus, PaymentMethod, ShippingMethod};
use voxorder_domain::records::Product;
use voxorder_domain::vocab::{RefundMethod, ReturnReason};

/// Why the OMS refused a command: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub reason: &'static str,
    pub detail: String,
}

impl Reject {
    pub fn new(reason: &'static str, detail: impl Into<String>) -> Reject {
        Reject {
            reason,
            detail: detail.into(),
        }
    }
}

fn status_not_in(
    order: &Order,
    allowed: &[OrderStatus],
    reason: &'static str,
    what: &str,
) -> Reject {
    if order.status == OrderStatus::Cancelled {
        return Reject::new(
            "order_cancelled",
            format!("order {} is cancelled; {what} refused", order.order_number),
        );
    }
    let list: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
    Reject::new(
        reason,
        format!(
            "order {} is {}; {what} needs one of {}",
            order.order_number,
            order.status,
            list.join(", ")
        ),
    )
}

/// Applies a change that concerns one existing order (not returns or new orders, which
/// need more than the order). `Ok(true)`: the order changed and its version must bump.
pub fn apply_to_order(
    order: &mut Order,
    change: &Change,
    policy: &OrderPolicy,
    now: NaiveDateTime,
) -> Result<bool, Reject> {
    match change {
        Change::CancelOrder { .. } => {
            if order.status == OrderStatus::Cancelled {
                return Err(Reject::new(
                    "already_cancelled",
                    format!("order {} is already cancelled", order.order_number),
                ));
            }
            if !policy.cancellable_statuses.contains(&order.status) {
                return Err(status_not_in(
                    order,
                    &policy.cancellable_statuses,
                    "not_cancellable",
                    "cancellation",
                ));
            }
            order.status = OrderStatus::Cancelled;
            order.cancelled_at = Some(now);
            Ok(true)
        }
        Change::ChangeAddress { address, .. } => {
            if !policy.address_change_statuses.contains(&order.status) {
                return Err(status_not_in(
                    order,
                    &policy.address_change_statuses,
                    "address_locked",
                    "an address change",
                ));
            }
            let a = address
                .validate("address")
                .map_err(|e| Reject::new("invalid_command", e.to_string()))?;
            order.shipping_address = Some(a);
            Ok(true)
        }
        Change::RescheduleDelivery { date, .. } => {
            if !policy.reschedule_statuses.contains(&order.status) {
                return Err(status_not_in(
                    order,
                    &policy.reschedule_statuses,
                    "not_reschedulable",
                    "a new delivery date",
                ));
            }
            in_window(*date, policy, now, "delivery date")?;
            order.estimated_delivery = Some(*date);
            Ok(true)
        }
        Change::ConfirmOrder { .. } => {
            if order.status != OrderStatus::PendingConfirmation {
                return Err(status_not_in(
                    order,
                    &[OrderStatus::PendingConfirmation],
                    "wrong_status",
                    "a confirmation",
                ));
            }
            order.status = OrderStatus::Processing;
            Ok(true)
        }
        // Recorded for people and carriers to act on; the order itself is unchanged.
        Change::OpenInvestigation { .. }
        | Change::ScheduleCallback { .. }
        | Change::Notify { .. }
        | Change::HandOff { .. } => Ok(false),
        Change::CreateReturn(_)
        | Change::PlaceOrder { .. }
        | Change::CreateSubscription { .. }
        | Change::UpdateSubscription { .. } => Err(Reject::new(
            "invalid_command",
            format!("{} is not a change to one order", change.kind()),
        )),
    }
}

/// A date a device asks for (a delivery, a pickup): not before today, at most
/// `reschedule_max_days_ahead` days ahead, by the OMS's clock.
pub fn in_window(
    date: NaiveDate,
    policy: &OrderPolicy,
    now: NaiveDateTime,
    what: &str,
) -> Result<(), Reject> {
    let today = now.date();
    let last = today + chrono::Duration::days(i64::from(policy.reschedule_max_days_ahead));
    if date < today || date > last {
        return Err(Reject::new(
            "date_out_of_window",
            format!("{what} {date} is not between {today} and {last}"),
        ));
    }
    Ok(())
}

/// The shipping cost of an order by the policy, as the demo store and the device's
/// dialog price it: standard is free from the threshold up.
pub fn shipping_cents(policy: &ShippingPolicy, method: ShippingMethod, subtotal: i64) -> i64 {
    let cents = |price: f64| Money::from_decimal(price).map_or(0, Money::cents);
    match method {
        ShippingMethod::Standard if subtotal >= cents(policy.free_standard_threshold) => 0,
        ShippingMethod::Standard | ShippingMethod::International => cents(policy.standard_price),
        ShippingMethod::Express => cents(policy.express_price),
        ShippingMethod::NextDay => cents(policy.next_day_price),
    }
}

/// Judges a new order a device placed against the OMS's catalog (`products`, by SKU,
/// every SKU of the order present or the order is refused) and policy: a new order
/// starts unconfirmed or processing with nothing shipped, each line is a product sold
/// now at its catalog price in a bounded quantity, and the subtotal, shipping and total
/// add up to the cent. The line's category and return flags are the catalog's, since
/// returns are judged on them. Returns the order as the OMS will keep it.
pub fn judge_new_order(
    mut order: Order,
    products: &BTreeMap<String, Product>,
    policy: &PolicyConfig,
    now: NaiveDateTime,
) -> Result<Order, Reject> {
    let invalid = |detail: String| Reject::new("invalid_command", detail);
    let start = if order.payment.method == PaymentMethod::Cod {
        OrderStatus::PendingConfirmation
    } else {
        OrderStatus::Processing
    };
    if order.status != start {
        return Err(Reject::new(
            "wrong_status",
            format!(
                "a new {} order starts as {start}, not {}",
                order.payment.method.as_str(),
                order.status
            ),
        ));
    }
    if order.shipped_at.is_some()
        || order.delivered_at.is_some()
        || order.cancelled_at.is_some()
        || order.tracking_number.is_some()
        || order.carrier.is_some()
        || !order.tracking_events.is_empty()
    {
        return Err(invalid(
            "a new order carries no shipment, delivery or cancellation".into(),
        ));
    }
    if let Some(date) = order.estimated_delivery {
        in_window(date, &policy.orders, now, "estimated delivery")?;
    }
    let max_qty = policy.orders.max_voice_quantity;
    let mut subtotal = 0i64;
    for item in &mut order.items {
        let Some(p) = products.get(&item.sku) else {
            return Err(Reject::new(
                "unknown_product",
                format!("no product {}", item.sku),
            ));
        };
        if !p.active {
            return Err(Reject::new(
                "product_inactive",
                format!("{} is no longer sold", item.sku),
            ));
        }
        if item.qty > max_qty {
            return Err(Reject::new(
                "quantity_out_of_range",
                format!("{} x {}: at most {max_qty} per line", item.qty, item.sku),
            ));
        }
        if item.price.cents() != p.price_cents {
            return Err(Reject::new(
                "price_mismatch",
                format!(
                    "{} is priced {} but costs {}",
                    item.sku,
                    item.price,
                    Money(p.price_cents)
                ),
            ));
        }
        item.category = p.category.to_lowercase();
        item.final_sale = p.final_sale;
        item.personalised = p.personalised;
        subtotal += p.price_cents * i64::from(item.qty);
    }
    let shipping = shipping_cents(&policy.shipping, order.shipping_method, subtotal);
    for (what, claimed, owed) in [
        ("subtotal", order.subtotal.cents(), subtotal),
        ("shipping cost", order.shipping_cost.cents(), shipping),
        ("total", order.total.cents(), subtotal + shipping),
    ] {
        if claimed != owed {
            return Err(Reject::new(
                "price_mismatch",
                format!(
                    "the {what} is {} but the catalog and policy make it {}",
                    Money(claimed),
                    Money(owed)
                ),
            ));
        }
    }
    Ok(order)
}

/// The statuses in which an order takes a return: it has reached the customer (a
/// partly returned order stays returnable for its other lines).
pub const RETURNABLE_STATUSES: [OrderStatus; 2] = [OrderStatus::Delivered, OrderStatus::Returned];

/// Judges a return against the order and the policy, given how many of each line were
/// returned before (`returned`, by 1-based line) and the catalog for exchanges: a
/// returnable order, lines and quantities on the order not already returned, each item
/// returnable by policy (window, final sale, personalised, category; a faulty item at
/// any time if the policy says so), no keeping the item unless it is faulty, a refund
/// no larger than the returned lines are worth, by a method the policy allows, and a
/// pickup in the window and a slot the policy offers.
pub fn judge_return(
    order: &Order,
    r: &ReturnRequest,
    returned: &BTreeMap<u32, u32>,
    products: &BTreeMap<String, Product>,
    policy: &PolicyConfig,
    now: NaiveDateTime,
) -> Result<(), Reject> {
    if order.status == OrderStatus::Cancelled {
        return Err(Reject::new(
            "order_cancelled",
            format!(
                "order {} is cancelled; a return refused",
                order.order_number
            ),
        ));
    }
    if !RETURNABLE_STATUSES.contains(&order.status) {
        return Err(status_not_in(
            order,
            &RETURNABLE_STATUSES,
            "not_returnable",
            "a return",
        ));
    }
    if r.lines.is_empty() {
        return Err(Reject::new("invalid_command", "a return without lines"));
    }
    let returns = &policy.returns;
    let faulty = matches!(
        r.reason,
        ReturnReason::Damaged
            | ReturnReason::WrongItem
            | ReturnReason::MissingItem
            | ReturnReason::NotAsDescribed
            | ReturnReason::QualityIssue
    );
    if !r.ship_back && !faulty {
        return Err(Reject::new(
            "ship_back_required",
            format!(
                "a return for {} must send the item back",
                reason_str(r.reason)
            ),
        ));
    }
    let mut worth = 0i64;
    for (i, line) in r.lines.iter().enumerate() {
        if r.lines[..i].iter().any(|l| l.line_no == line.line_no) {
            return Err(Reject::new(
                "invalid_command",
                format!("line {} is listed twice", line.line_no),
            ));
        }
        let Some(item) = order.items.get((line.line_no as usize).wrapping_sub(1)) else {
            return Err(Reject::new(
                "no_such_line",
                format!("order {} has no line {}", order.order_number, line.line_no),
            ));
        };
        let left = item
            .qty
            .saturating_sub(returned.get(&line.line_no).copied().unwrap_or(0));
        if line.qty == 0 || line.qty > left {
            return Err(Reject::new(
                "return_exceeds_line",
                format!(
                    "order {} line {}: {} to return but {left} returnable",
                    order.order_number, line.line_no, line.qty
                ),
            ));
        }
        if !(faulty && returns.damaged_any_time) {
            item_returnable(order, item, returns, now)?;
        }
        if let Some(sku) = &line.exchange_sku {
            if !products.get(sku).is_some_and(|p| p.active) {
                return Err(Reject::new(
                    "unknown_product",
                    format!("no product {sku} to exchange for"),
                ));
            }
        }
        worth += item.price.cents() * i64::from(line.qty);
    }
    match (r.resolution, r.refund_method, r.refund_cents) {
        (Resolution::Refund, Some(method), Some(cents)) => {
            let allowed = returns.refund_methods.contains(&method)
                && !(method == RefundMethod::OriginalPayment
                    && order.payment.method == PaymentMethod::Cod);
            if !allowed {
                return Err(Reject::new(
                    "refund_method_not_allowed",
                    format!("a refund to {method:?} is not offered for this order"),
                ));
            }
            if !(0..=worth).contains(&cents) {
                return Err(Reject::new(
                    "refund_exceeds_lines",
                    format!(
                        "a refund of {} but the returned lines are worth {}",
                        Money(cents),
                        Money(worth)
                    ),
                ));
            }
        }
        (Resolution::Refund, _, _) => {
            return Err(Reject::new(
                "invalid_command",
                "a refund needs a method and an amount",
            ))
        }
        (_, None, None | Some(0)) => {}
        (_, _, _) => {
            return Err(Reject::new(
                "invalid_command",
                format!("a {} carries no refund", r.resolution.as_str()),
            ))
        }
    }
    if let Some(pickup) = &r.pickup {
        in_window(pickup.date, &policy.orders, now, "pickup date")?;
        if !returns.pickup_time_slots.contains(&pickup.slot) {
            return Err(Reject::new(
                "slot_not_offered",
                format!("pickups are not made in the {:?} slot", pickup.slot),
            ));
        }
    }
    Ok(())
}

fn reason_str(r: ReturnReason) -> &'static str {
    match r {
        ReturnReason::Damaged => "damaged",
        ReturnReason::WrongItem => "wrong_item",
        ReturnReason::MissingItem => "missing_item",
        ReturnReason::NotAsDescribed => "not_as_described",
        ReturnReason::SizeIssue => "size_issue",
        ReturnReason::QualityIssue => "quality_issue",
        ReturnReason::ChangedMind => "changed_mind",
    }
}

/// Whether one item may be returned now for a reason other than a fault.
fn item_returnable(
    order: &Order,
    item: &voxorder_domain::order::OrderItem,
    policy: &ReturnPolicy,
    now: NaiveDateTime,
) -> Result<(), Reject> {
    let refuse = |why: &str| {
        Err(Reject::new(
            "not_returnable",
            format!("{} on order {}: {why}", item.sku, order.order_number),
        ))
    };
    if item.final_sale && !policy.final_sale_returnable {
        return refuse("a final sale");
    }
    if item.personalised && !policy.personalised_returnable {
        return refuse("personalised");
    }
    if policy.non_returnable_categories.contains(&item.category) {
        return refuse("its category is not returnable");
    }
    let days = policy.window_for(&item.category);
    let delivered = order.delivered_at.map_or(order.order_date, |t| t.date());
    let deadline = delivered + chrono::Duration::days(i64::from(days));
    if now.date() > deadline {
        return refuse(&format!("the {days}-day return window ended on {deadline}"));
    }
    Ok(())
}

/// A subscription as the OMS keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Subscription {
    /// The customer's email, lower-case: whose it is, and what scope is judged on.
    pub customer_email: String,
    pub sku: String,
    pub qty: u32,
    pub frequency_days: u32,
    pub next_date: Option<NaiveDate>,
    pub status: SubscriptionState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionState {
    Active,
    Paused,
    Cancelled,
}

fn quantity_in_range(qty: u32, policy: &OrderPolicy) -> Result<(), Reject> {
    if qty == 0 || qty > policy.max_voice_quantity {
        return Err(Reject::new(
            "quantity_out_of_range",
            format!("{qty} units; 1 to {}", policy.max_voice_quantity),
        ));
    }
    Ok(())
}

fn frequency_in_range(days: u32, policy: &OrderPolicy) -> Result<(), Reject> {
    let [lo, hi] = policy.subscription_frequency_days;
    if !(lo..=hi).contains(&days) {
        return Err(Reject::new(
            "frequency_out_of_range",
            format!("every {days} days; {lo} to {hi}"),
        ));
    }
    Ok(())
}

/// The next delivery of a subscription: not before today, and no further ahead than
/// the longest interval the policy allows (plus the reschedule window).
fn next_date_in_window(
    date: NaiveDate,
    policy: &OrderPolicy,
    now: NaiveDateTime,
) -> Result<(), Reject> {
    let today = now.date();
    let days = policy.subscription_frequency_days[1] + policy.reschedule_max_days_ahead;
    let last = today + chrono::Duration::days(i64::from(days));
    if date < today || date > last {
        return Err(Reject::new(
            "date_out_of_window",
            format!("next delivery {date} is not between {today} and {last}"),
        ));
    }
    Ok(())
}

/// A new subscription: a product sold now, a quantity and an interval in the policy's
/// ranges, a first delivery in the window.
pub fn judge_new_subscription(
    sub: &Subscription,
    products: &BTreeMap<String, Product>,
    policy: &OrderPolicy,
    now: NaiveDateTime,
) -> Result<(), Reject> {
    match products.get(&sub.sku) {
        None => {
            return Err(Reject::new(
                "unknown_product",
                format!("no product {}", sub.sku),
            ))
        }
        Some(p) if !p.active => {
            return Err(Reject::new(
                "product_inactive",
                format!("{} is no longer sold", sub.sku),
            ))
        }
        Some(_) => {}
    }
    quantity_in_range(sub.qty, policy)?;
    frequency_in_range(sub.frequency_days, policy)?;
    if let Some(date) = sub.next_date {
        next_date_in_window(date, policy, now)?;
    }
    Ok(())
}

/// Applies a change to a subscription the OMS holds, within the same ranges.
pub fn judge_subscription_change(
    sub: &mut Subscription,
    action: &voxorder_domain::change::SubscriptionAction,
    policy: &OrderPolicy,
    now: NaiveDateTime,
) -> Result<(), Reject> {
    use voxorder_domain::change::SubscriptionAction as A;
    if sub.status == SubscriptionState::Cancelled {
        return Err(Reject::new(
            "subscription_cancelled",
            "the subscription is cancelled",
        ));
    }
    match action {
        A::Pause => sub.status = SubscriptionState::Paused,
        A::Resume { next_date } => {
            next_date_in_window(*next_date, policy, now)?;
            sub.status = SubscriptionState::Active;
            sub.next_date = Some(*next_date);
        }
        A::SkipNext { next_date } => {
            next_date_in_window(*next_date, policy, now)?;
            sub.next_date = Some(*next_date);
        }
        A::ChangeFrequency {
            frequency_days,
            next_date,
        } => {
            frequency_in_range(*frequency_days, policy)?;
            next_date_in_window(*next_date, policy, now)?;
            sub.frequency_days = *frequency_days;
            sub.next_date = Some(*next_date);
        }
        A::ChangeQuantity { qty } => {
            quantity_in_range(*qty, policy)?;
            sub.qty = *qty;
        }
        A::Cancel => sub.status = SubscriptionState::Cancelled,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use voxorder_domain::order::OrderRecord;
    use voxorder_domain::vocab::CancelReason;

    fn order(status: &str) -> Order {
        let rec: OrderRecord = serde_json::from_value(serde_json::json!({
            "order_number": "1234567891234", "status": status, "order_date": "2026-03-01",
            "customer": {"name": "Ada Park", "email": "ada@example.com"},
            "items": [{"sku": "TEE", "name": "Tee", "qty": 1, "price": 10.0}],
            "subtotal": 10.0, "total": 10.0, "payment": {"method": "card"}
        }))
        .expect("record");
        rec.validate().expect("valid")
    }

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, 10)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .expect("time")
    }

    #[test]
    fn a_shipped_order_refuses_a_cancel_and_a_processing_one_takes_it() {
        let cancel = Change::CancelOrder {
            order_number: "1234567891234".into(),
            reason: CancelReason::ChangedMind,
        };
        let policy = OrderPolicy::default();
        let mut shipped = order("shipped");
        let err = apply_to_order(&mut shipped, &cancel, &policy, now()).unwrap_err();
        assert_eq!(err.reason, "not_cancellable");
        assert_eq!(shipped.status, OrderStatus::Shipped);

        let mut processing = order("processing");
        assert!(apply_to_order(&mut processing, &cancel, &policy, now()).unwrap());
        assert_eq!(processing.status, OrderStatus::Cancelled);
        let again = apply_to_order(&mut processing, &cancel, &policy, now()).unwrap_err();
        assert_eq!(again.reason, "already_cancelled");
    }

    #[test]
    fn confirmation_needs_a_pending_order() {
        let confirm = Change::ConfirmOrder {
            order_number: "1234567891234".into(),
        };
        let policy = OrderPolicy::default();
        let mut o = order("processing");
        assert_eq!(
            apply_to_order(&mut o, &confirm, &policy, now())
                .unwrap_err()
                .reason,
            "wrong_status"
        );
        let mut p = order("pending_confirmation");
        assert!(apply_to_order(&mut p, &confirm, &policy, now()).unwrap());
        assert_eq!(p.status, OrderStatus::Processing);
    }
}

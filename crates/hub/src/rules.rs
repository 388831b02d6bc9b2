//! The OMS's business rules for a device command on one order: the same policy the
//! device's dialog follows (cancellable and re-addressable statuses from the
//! configuration), checked again against the central order, which may have moved on
//! (shipped meanwhile) since the device made its change.

use chrono::NaiveDateTime;

use voxorder_config::OrderPolicy;
use voxorder_domain::change::Change;
use voxorder_domain::order::{Order, OrderStatus};

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
        chrono::NaiveDate::from_ymd_opt(2026, 3, 10)
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

//! What sync learned that a customer must hear, put into words: a change the OMS refused
//! (the device has rolled it back to the OMS's truth) and, for a household's speaker,
//! delivery news. The engine says them once, to the person they concern: right after the
//! caller is verified, or when a linked speaker greets its household; the live loop
//! announces them on a speaker between conversations.

use crate::locale::Catalog;
use crate::p;
use crate::speak::{items_phrase, state_key};
use voxorder_domain::order::{Order, OrderStatus};
use voxorder_domain::records::{NoticeKind, SyncNotice};
use voxorder_domain::speech_text as st;

/// The sentence that tells one notice, given the order as the device now holds it; None
/// when there is nothing worth saying (news about a state that is not delivery news).
pub fn sentence(catalog: &Catalog, notice: &SyncNotice, order: Option<&Order>) -> Option<String> {
    let render = |key: &str, args: &[(&str, String)]| catalog.render(key, 0, false, args);
    let number = notice
        .order_number
        .as_deref()
        .map(st::digits_grouped)
        .unwrap_or_default();
    match notice.kind {
        NoticeKind::StatusUpdate => {
            // The news is the move the notice records, whatever happened since.
            let key = match notice.status? {
                OrderStatus::Shipped => p!("notice_status_shipped"),
                OrderStatus::OutForDelivery => p!("notice_status_out_for_delivery"),
                OrderStatus::Delivered => p!("notice_status_delivered"),
                _ => return None,
            };
            let items = order.map_or_else(
                || render(p!("notice_your_order"), &[]),
                |o| items_phrase(catalog, o),
            );
            Some(render(key, &[("items", items), ("number", number)]))
        }
        NoticeKind::Rejected => {
            // Why it was refused is the order as it is now.
            let status = order.map(|o| o.status).or(notice.status);
            let kind = notice.command_kind.as_deref().unwrap_or_default();
            let key = match kind {
                "cancel_order" => p!("notice_rejected_cancel_order"),
                "change_address" => p!("notice_rejected_change_address"),
                "reschedule_delivery" => p!("notice_rejected_reschedule_delivery"),
                "confirm_order" => p!("notice_rejected_confirm_order"),
                "create_return" => p!("notice_rejected_create_return"),
                "place_order" => p!("notice_rejected_place_order"),
                "create_subscription" | "update_subscription" => {
                    p!("notice_rejected_subscription")
                }
                _ => p!("notice_rejected_other"),
            };
            let mut reason = reason_words(catalog, notice.reason.as_deref(), status);
            if !reason.is_empty() {
                reason.insert(0, ' ');
            }
            let mut text = render(key, &[("number", number), ("reason", reason)]);
            // A cancel that came too late: a return is what the caller can still do.
            let instead = match status {
                Some(OrderStatus::Shipped | OrderStatus::OutForDelivery | OrderStatus::Delayed) => {
                    Some(p!("notice_return_instead"))
                }
                Some(OrderStatus::Delivered) => Some(p!("notice_return_now")),
                _ => None,
            };
            if let Some(key) = instead.filter(|_| kind == "cancel_order") {
                text.push(' ');
                text.push_str(&render(key, &[]));
            }
            Some(text)
        }
    }
}

/// Delivery news overtaken by other news about the same order: later delivery news
/// ("shipped" when it has since been delivered), or a refused change, whose sentence
/// already says where the order is. Counted as told, not said.
pub fn superseded(notices: &[SyncNotice]) -> Vec<i64> {
    notices
        .iter()
        .enumerate()
        .filter(|(i, n)| {
            n.kind == NoticeKind::StatusUpdate
                && notices.iter().enumerate().any(|(j, other)| {
                    other.order_number == n.order_number
                        && match other.kind {
                            NoticeKind::Rejected => true,
                            NoticeKind::StatusUpdate => j > *i,
                        }
                })
        })
        .map(|(_, n)| n.id)
        .collect()
}

/// Why the OMS said no, as a clause ("because it's already shipped"); empty when the
/// reason is not one a customer can act on.
fn reason_words(catalog: &Catalog, reason: Option<&str>, status: Option<OrderStatus>) -> String {
    let render = |key: &str, args: &[(&str, String)]| catalog.render(key, 0, false, args);
    match reason.unwrap_or_default() {
        "order_cancelled" | "already_cancelled" => render(p!("notice_reason_cancelled"), &[]),
        "not_cancellable" | "address_locked" | "not_reschedulable" | "wrong_status" => match status
        {
            Some(OrderStatus::Cancelled) => render(p!("notice_reason_cancelled"), &[]),
            Some(s) => {
                let state = render(state_key(s), &[]);
                render(p!("notice_reason_status"), &[("state", state)])
            }
            None => String::new(),
        },
        "out_of_stock" => render(p!("notice_reason_out_of_stock"), &[]),
        "product_inactive" => render(p!("notice_reason_product_inactive"), &[]),
        "return_exists" => render(p!("notice_reason_return_exists"), &[]),
        _ => String::new(),
    }
}

/// What a speaker says between conversations about news it holds for its household:
/// an opening and one sentence per notice; None when none of them has words.
pub fn announcement(
    catalog: &Catalog,
    store_name: &str,
    notices: &[(SyncNotice, Option<Order>)],
) -> Option<String> {
    let all: Vec<SyncNotice> = notices.iter().map(|(n, _)| n.clone()).collect();
    let skip = superseded(&all);
    let sentences: Vec<String> = notices
        .iter()
        .filter(|(n, _)| !skip.contains(&n.id))
        .filter_map(|(n, o)| sentence(catalog, n, o.as_ref()))
        .collect();
    if sentences.is_empty() {
        return None;
    }
    let intro = catalog.render(
        p!("announcement_intro"),
        0,
        false,
        &[("store", store_name.to_string())],
    );
    Some(format!("{intro} {}", sentences.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use voxorder_domain::order::OrderRecord;

    fn catalog() -> Catalog {
        Catalog::load("en-US").expect("catalog")
    }

    fn order(status: &str) -> Order {
        let rec: OrderRecord = serde_json::from_value(serde_json::json!({
            "order_number": "1000000000017", "status": status, "order_date": "2026-03-01",
            "customer": {"name": "Ada Park", "email": "ada@example.com"},
            "items": [{"sku": "TEE", "name": "Classic Tee", "qty": 2, "price": 19.0}],
            "subtotal": 38.0, "total": 38.0, "payment": {"method": "card"}
        }))
        .expect("order");
        rec.validate().expect("valid")
    }

    fn notice(kind: NoticeKind, command: Option<&str>, reason: Option<&str>) -> SyncNotice {
        SyncNotice {
            id: 1,
            kind,
            order_number: Some("1000000000017".into()),
            customer_id: Some(7),
            status: Some(OrderStatus::Shipped),
            command_kind: command.map(String::from),
            reason: reason.map(String::from),
            detail: None,
            announce: true,
            created_at: NaiveDate::from_ymd_opt(2026, 3, 2)
                .and_then(|d| d.and_hms_opt(9, 0, 0))
                .expect("time"),
        }
    }

    #[test]
    fn a_refused_cancel_says_why_and_what_the_caller_can_do_instead() {
        let n = notice(
            NoticeKind::Rejected,
            Some("cancel_order"),
            Some("not_cancellable"),
        );
        let text = sentence(&catalog(), &n, Some(&order("shipped"))).expect("words");
        assert!(text.contains("1 0 0 0"), "{text}");
        assert!(
            text.contains("couldn't be cancelled because it's already shipped."),
            "{text}"
        );
        assert!(text.contains("return"), "{text}");
    }

    #[test]
    fn each_refused_change_has_its_own_words() {
        let c = catalog();
        let o = order("shipped");
        let mut seen = std::collections::HashSet::new();
        for kind in [
            "change_address",
            "reschedule_delivery",
            "confirm_order",
            "create_return",
            "place_order",
            "update_subscription",
            "something_new",
        ] {
            let n = notice(NoticeKind::Rejected, Some(kind), Some("invalid_command"));
            let text = sentence(&c, &n, Some(&o)).expect("words");
            assert!(
                !text.contains('{') && !text.contains(" ,"),
                "{kind}: {text}"
            );
            // No reason a customer could act on: no "because".
            assert!(!text.contains("because"), "{kind}: {text}");
            assert!(seen.insert(text.clone()), "{kind} repeats: {text}");
        }
        let sold_out = notice(
            NoticeKind::Rejected,
            Some("place_order"),
            Some("out_of_stock"),
        );
        let text = sentence(&c, &sold_out, None).expect("words");
        assert!(text.contains("sold out"), "{text}");
        let gone = notice(
            NoticeKind::Rejected,
            Some("change_address"),
            Some("order_cancelled"),
        );
        let text = sentence(&c, &gone, None).expect("words");
        assert!(text.contains("was cancelled"), "{text}");
    }

    #[test]
    fn delivery_news_names_the_items_and_other_states_say_nothing() {
        let c = catalog();
        let news = |id, status| SyncNotice {
            id,
            status: Some(status),
            ..notice(NoticeKind::StatusUpdate, None, None)
        };
        let out = news(1, OrderStatus::OutForDelivery);
        let text = sentence(&c, &out, Some(&order("delivered"))).expect("words");
        assert!(text.contains("two classic tees"), "{text}");
        assert!(text.contains("out for delivery"), "{text}");
        let shipped = sentence(&c, &news(2, OrderStatus::Shipped), None).expect("words");
        assert!(shipped.contains("your order has shipped"), "{shipped}");
        assert_eq!(sentence(&c, &news(3, OrderStatus::Processing), None), None);
        // Shipped, then delivered before anyone heard: only the delivery is said.
        let both = [
            (news(4, OrderStatus::Shipped), Some(order("delivered"))),
            (news(5, OrderStatus::Delivered), Some(order("delivered"))),
        ];
        let said = announcement(&c, "Northwind", &both).expect("announcement");
        assert!(
            said.starts_with("Here's an update from Northwind."),
            "{said}"
        );
        assert!(said.contains("has been delivered"), "{said}");
        assert!(!said.contains("shipped"), "{said}");
        assert_eq!(
            announcement(&c, "Northwind", &[(news(6, OrderStatus::Processing), None)]),
            None
        );
        // A refused cancel already says the order shipped.
        let refused = SyncNotice {
            id: 7,
            ..notice(
                NoticeKind::Rejected,
                Some("cancel_order"),
                Some("not_cancellable"),
            )
        };
        assert_eq!(
            superseded(&[news(8, OrderStatus::Shipped), refused]),
            vec![8]
        );
    }
}

//! Requests about one order as it travels: status (every state), tracking, cancelling,
//! rescheduling the delivery, changing the address, and the confirmation of an order
//! waiting for the customer (cash on delivery included, inbound or as an outbound call).

use chrono::{Datelike, NaiveDate};

use crate::facts::Facts;
use crate::identity;
use crate::request::merge_address;
use crate::request::Request;
use crate::speak::{
    add_business_days, card_words, date_ok, item_words, items_phrase, load, refund_days,
    say_return_state, slot_words, state_key,
};
use crate::{p, Answer, Ask, Engine, Goal, NewItem, Said, Task, Withheld, YesNo};
use voxorder_config::TimeSlot;
use voxorder_domain::change::{Change, Channel, HandOffReason, Notice};
use voxorder_domain::interpretation::Cue;
use voxorder_domain::order::{
    Address, AddressRecord, Order, OrderStatus, PaymentMethod, ShippingMethod, TrackingEvent,
};
use voxorder_domain::product_words as pw;
use voxorder_domain::speech_text as st;
use voxorder_domain::us_states;
use voxorder_domain::vocab::CancelReason;
use voxorder_domain::vocab::{Entities, Intent};

fn status_words(e: &Engine, status: OrderStatus) -> String {
    e.text(state_key(status), &[])
}

/// What the caller hears about money for a cancelled order. `just_cancelled`: said as
/// the cancellation is done, when a hold on the card has only just been released and
/// nobody needs to check yet: one short sentence.
fn refund_sentence(e: &Engine, facts: &dyn Facts, order: &Order, just_cancelled: bool) -> String {
    // Weeks after a cancellation the refund is not "on its way": the longest the policy
    // allows has passed, and it is said as sent.
    let max_days = e.config().policy.returns.refund_business_days_max;
    let sent = order
        .cancelled_at
        .is_some_and(|at| add_business_days(at.date(), max_days) < e.today());
    let never_charged =
        e.config().policy.orders.card_charged_at_shipping && order.shipped_at.is_none();
    match order.payment.method {
        PaymentMethod::Cod => e.text(p!("refund_nothing_charged"), &[]),
        PaymentMethod::Card if never_charged && just_cancelled => e.text(
            p!("refund_card_never_charged_brief"),
            &[("card", card_words(e, facts, order))],
        ),
        PaymentMethod::Card if never_charged && sent => e.text(
            p!("refund_card_never_charged_hold_gone"),
            &[("card", card_words(e, facts, order))],
        ),
        PaymentMethod::Card if never_charged => e.text(
            p!("refund_card_never_charged"),
            &[
                ("card", card_words(e, facts, order)),
                ("days", refund_days(e)),
            ],
        ),
        PaymentMethod::Card if sent => e.text(
            p!("refund_to_card_sent"),
            &[
                ("amount", st::price_cents(order.total.cents())),
                ("card", card_words(e, facts, order)),
            ],
        ),
        PaymentMethod::Card => e.text(
            p!("refund_to_card"),
            &[
                ("amount", st::price_cents(order.total.cents())),
                ("card", card_words(e, facts, order)),
                ("days", refund_days(e)),
            ],
        ),
    }
}

/// "Can't you send it faster?", "upgrade it to express": a placed order's shipping
/// speed cannot change, which is said plainly with when it comes, instead of the status
/// read again or a text sent. False for an order that is no longer on its way.
pub(crate) fn speed_fixed(e: &mut Engine, order: &Order) -> bool {
    let on_its_way = order.status.is_still_to_come();
    // A delayed order's answer is its delay (and the team when it is very late), not
    // that it cannot be made faster.
    if !on_its_way || order.status == OrderStatus::Delayed {
        return false;
    }
    let key = match (&order.carrier, order.status) {
        (Some(_), OrderStatus::Shipped | OrderStatus::OutForDelivery | OrderStatus::Delayed) => {
            p!("speed_fixed_shipped")
        }
        _ => p!("speed_fixed"),
    };
    let est = estimate_words(e, order);
    e.say(
        key,
        &[
            ("carrier", order.carrier.clone().unwrap_or_default()),
            ("estimate", est),
        ],
    );
    true
}

pub(crate) fn estimate_words(e: &Engine, order: &Order) -> String {
    match order.estimated_delivery {
        // "Hasn't shipped yet. It should arrive today", at three in the afternoon, cannot
        // be true: an order not yet sent by its day is said to be later than that.
        Some(d) if !order.status.has_shipped() && d <= e.today() => {
            e.text(p!("estimate_passed"), &[("date", e.date_words(d))])
        }
        Some(d) => e.text(p!("estimate"), &[("date", e.date_words(d))]),
        None => String::new(),
    }
}

/// On a device whose cache has not been brought level with the OMS for a while (the
/// network is down), the first order details of a conversation come with their age: a
/// "shipped" said from yesterday's data may be "delivered" by now.
fn say_data_age(e: &mut Engine, facts: &dyn Facts) {
    let stale_after = e.config().sync.stale_after_minutes;
    if stale_after == 0 || e.s.data_age_told {
        return;
    }
    let as_of = match facts.orders_as_of() {
        Ok(Some(t)) => t,
        Ok(None) => return,
        Err(err) => {
            tracing::warn!(error = %err, "cannot read when the orders were last synced");
            return;
        }
    };
    let minutes = (e.now - as_of).num_minutes();
    if minutes < i64::from(stale_after) {
        return;
    }
    e.s.data_age_told = true;
    e.say(p!("data_age"), &[("age", st::elapsed_words(minutes))]);
}

/// Whether the words ask what the order holds or what it cost ("what did I buy", "how
/// much did I pay").
pub(crate) fn asks_order_details(e: &Engine, words: &[String]) -> bool {
    asks_items(e, words) || asks_paid(e, words)
}

/// Words that stand for the order just spoken of, after "what was in" or "how much
/// was": "what was in it", "how much were they", "what's in the parcel".
const THE_ORDER: &[&str] = &[
    "it",
    "that",
    "them",
    "they",
    "those",
    "this",
    "these",
    "there",
    "order",
    "parcel",
    "package",
    "box",
    "delivery",
    "shipment",
    "everything",
];

/// The position of `w` in `words` at or after `from`.
fn word_at(words: &[String], w: &str, from: usize) -> Option<usize> {
    words
        .iter()
        .skip(from)
        .position(|x| x == w)
        .map(|i| i + from)
}

/// Whether the words ask what the order holds: "what did Ada order last week?", "what
/// was in it?", "what's in the parcel?".
fn asks_items(e: &Engine, words: &[String]) -> bool {
    // "What did Ada order last week?": what, did, then a buying word, in that order.
    let what_did_buy = word_at(words, "what", 0)
        .and_then(|i| word_at(words, "did", i + 1))
        .is_some_and(|j| {
            words
                .iter()
                .skip(j + 1)
                .any(|w| matches!(w.as_str(), "order" | "buy" | "get" | "purchase"))
        });
    // "What was in my coffee order?", "and what was in it?": what, then in or on close
    // after it, then the order or a word standing for it.
    let what_in_order = word_at(words, "what", 0).is_some_and(|i| {
        words
            .iter()
            .enumerate()
            .skip(i + 1)
            .take(3)
            .find(|(_, w)| matches!(w.as_str(), "in" | "on"))
            .is_some_and(|(j, _)| {
                word_at(words, "order", j + 1).is_some()
                    || words
                        .iter()
                        .skip(j + 1)
                        .take(2)
                        .any(|w| THE_ORDER.contains(&w.as_str()))
            })
    });
    what_did_buy || what_in_order || e.phrases().any("asks_items", words)
}

/// Whether the words ask what the order cost or how it was paid.
fn asks_paid(e: &Engine, words: &[String]) -> bool {
    e.phrases().any("asks_paid", words) || asks_what_was_paid(words)
}

/// "What I actually paid for them", "how much was that?", "how much did they charge
/// me?": a question word, then a word of paying in the past, or "how much" with the
/// order in the past tense. "How much is it to ship?" and "how much did it cost to
/// send back?" ask a price or a policy, not what this order cost.
fn asks_what_was_paid(words: &[String]) -> bool {
    let how_much = words
        .windows(2)
        .position(|w| w[0] == "how" && w[1] == "much");
    let what = word_at(words, "what", 0);
    let Some(q) = [how_much, what].into_iter().flatten().min() else {
        return false;
    };
    let after = &words[q + 1..];
    let paid_word = after
        .iter()
        .take(6)
        .any(|w| matches!(w.as_str(), "paid" | "charged" | "spent"));
    let of_the_order = how_much.is_some_and(|h| {
        let rest = &words[h + 2..];
        let past = rest
            .first()
            .is_some_and(|w| matches!(w.as_str(), "was" | "were" | "did"));
        let stands_for_it = rest
            .iter()
            .skip(1)
            .take(2)
            .any(|w| THE_ORDER.contains(&w.as_str()));
        past && stands_for_it
    });
    (paid_word || of_the_order) && !price_of_doing(after)
}

/// "To ship", "to send it back": the price of doing something. "Come to" is an order's
/// total, "paid to me" whom it went to.
fn price_of_doing(words: &[String]) -> bool {
    words.iter().enumerate().any(|(i, w)| {
        w == "to"
            && !i
                .checked_sub(1)
                .is_some_and(|p| matches!(words[p].as_str(), "come" | "came"))
            && !words
                .get(i + 1)
                .is_some_and(|n| matches!(n.as_str(), "me" | "you" | "us"))
    })
}

/// Every line of the order as said when the items are asked for ("two navy classic
/// tees, size medium").
fn item_lines(order: &Order) -> Vec<String> {
    order
        .items
        .iter()
        .map(|i| pw::product_phrase_indefinite(&i.name, i.qty, true))
        .collect()
}

/// The lines of an order a caller's words name by any word of the item's name ("the
/// coffee", "the filter"), sizes, colours and pack words aside.
fn lines_mentioned(order: &Order, words: &[String]) -> Vec<usize> {
    const GENERIC: &[&str] = &["pack", "set", "size", "the", "and", "with", "for", "one"];
    order
        .items
        .iter()
        .enumerate()
        .filter(|(_, item)| {
            let named = pw::ProductWords::parse(&item.name);
            let head = item.name.split(" - ").next().unwrap_or(&item.name);
            crate::locale::words(&format!("{} {head}", named.noun))
                .iter()
                .filter(|w| w.len() > 2 && !GENERIC.contains(&w.as_str()))
                .any(|n| words.iter().any(|w| pw::same_noun(w, n)))
        })
        .map(|(i, _)| i)
        .collect()
}

/// "And what did I pay for the coffee beans last time?" with the tee's order in focus:
/// a product heard that the order in focus does not hold, by its catalog entry or any
/// word of its items' names, is another order's question.
fn names_another_orders_item(e: &Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    let Some(sku) = said.entities.product.as_deref() else {
        return false;
    };
    let Some(order) = e
        .order_in_focus()
        .and_then(|n| facts.order(n).ok().flatten())
    else {
        return false;
    };
    !order.items.iter().any(|i| i.sku == sku) && lines_mentioned(&order, &said.words).is_empty()
}

/// Answers what the items of the order in focus cost, one by one, or which size,
/// colour or pack of an item it was. False (nothing said) when no verified order is in
/// focus or no item of it is named (and the order has more than one).
fn items_asked(e: &mut Engine, said: &Said<'_>, price: bool, facts: &dyn Facts) -> bool {
    let Some(number) = e.order_in_focus().map(str::to_string) else {
        return false;
    };
    let Ok(Some(order)) = facts.order(&number) else {
        return false;
    };
    let ph = e.phrases();
    let each = ph.any("each_item", &said.words);
    let mut lines = lines_mentioned(&order, &said.words);
    // "How much did I pay for it?", "and how much was shipping?" with no item named: the
    // order's own total (its details, `say_details`) or shipping charge, not the price
    // of its one item.
    if lines.is_empty() && price && !each {
        if ph.any("asks_order_shipping", &said.words) {
            say_shipping_charge(e, &order);
            return true;
        }
        if ph.any("asks_total_paid", &said.words) {
            say_details_asked(e, facts, &order, &said.words);
            return true;
        }
    }
    if lines.is_empty() && (order.items.len() == 1 || (price && each)) {
        lines = (0..order.items.len()).collect();
    }
    if lines.is_empty() {
        return false;
    }
    if !price {
        let items: Vec<String> = lines
            .iter()
            .map(|&i| pw::product_phrase_indefinite(&order.items[i].name, order.items[i].qty, true))
            .collect();
        e.say(p!("item_variant"), &[("items", st::list_and(&items))]);
        return true;
    }
    let priced: Vec<String> = lines
        .iter()
        .map(|&i| {
            let item = &order.items[i];
            let args = [
                (
                    "item",
                    pw::product_phrase_indefinite(&item.name, item.qty, true),
                ),
                ("price", st::price_cents(item.price.cents())),
            ];
            let key = if item.qty > 1 {
                p!("item_price_each")
            } else {
                p!("item_price")
            };
            e.text(key, &args)
        })
        .collect();
    e.say(p!("item_prices"), &[("lines", st::list_and(&priced))]);
    true
}

/// Every line of the order and what it cost, for a caller who asked: the status
/// sentence names only the first item.
pub(crate) fn say_details(e: &mut Engine, facts: &dyn Facts, order: &Order) {
    let words = e.task_ref().map(|t| t.words.clone()).unwrap_or_default();
    say_details_asked(e, facts, order, &words);
}

/// [`say_details`] for the question in `words`.
fn say_details_asked(e: &mut Engine, facts: &dyn Facts, order: &Order, words: &[String]) {
    let lines = item_lines(order);
    // "What was in my order?" asks the items alone; "what did I order and what did I
    // pay?" or a bare "the details" both, as does an order whose cash is still due at
    // the door.
    let cash_due =
        order.payment.method == PaymentMethod::Cod && order.status != OrderStatus::Delivered;
    let items_only = asks_items(e, words) && !asks_paid(e, words) && !cash_due;
    if items_only {
        e.say(p!("order_items"), &[("items", st::list_and(&lines))]);
    } else {
        let paid = paid_words(e, facts, order);
        e.say(
            p!("order_details"),
            &[
                ("items", st::list_and(&lines)),
                ("total", st::price_cents(order.total.cents())),
                ("paid", paid),
            ],
        );
    }
    // "And the shipping was how much?": the order's own charge, not the price list.
    if e.phrases().any("shipping_charge", words) {
        say_shipping_charge(e, order);
    }
}

/// The order's own shipping charge, or that it shipped free.
fn say_shipping_charge(e: &mut Engine, order: &Order) {
    match order.shipping_cost.cents() {
        0 => e.say(p!("details_shipping_free"), &[]),
        cents => e.say(p!("details_shipping"), &[("cost", st::price_cents(cents))]),
    }
}

/// How the order is paid, as said after its total ("charged to your Visa ending in …").
fn paid_words(e: &Engine, facts: &dyn Facts, order: &Order) -> String {
    match order.payment.method {
        // A card is charged when the order ships: before that nothing is taken yet.
        PaymentMethod::Card if !crate::speak::has_shipped(order) => e.text(
            p!("details_to_charge_card"),
            &[("card", card_words(e, facts, order))],
        ),
        PaymentMethod::Card => e.text(
            p!("details_paid_card"),
            &[("card", card_words(e, facts, order))],
        ),
        // Cash is paid at the door: before delivery nothing is paid yet.
        PaymentMethod::Cod if order.status == OrderStatus::Delivered => {
            e.text(p!("details_paid_cod"), &[])
        }
        PaymentMethod::Cod => e.text(p!("details_due_cod"), &[]),
    }
}

/// Whether the words ask which card paid by its digits ("the last four of the card",
/// "which Amex?"): a card named with its digits asked for.
fn asks_card_digits(e: &Engine, words: &[String]) -> bool {
    let ph = e.phrases();
    ph.any("card_named", words) && ph.any("card_digits_asked", words)
}

/// Order status, for every state.
/// Says when the new item arranged in this call for `order` comes, if one was; false
/// when none was.
fn new_item_arrival(e: &mut Engine, order: &Order) -> bool {
    let Some((_, when)) =
        e.s.new_item_for
            .clone()
            .filter(|(number, _)| *number == order.order_number)
    else {
        return false;
    };
    let shipping = &e.config().policy.shipping;
    let [fastest, slowest] = shipping.standard_business_days;
    match when {
        NewItem::AfterReturn => {
            let args = [
                ("min", st::number_words(u64::from(fastest))),
                ("max", st::number_words(u64::from(slowest))),
            ];
            e.say(p!("new_item_after_return"), &args);
        }
        NewItem::Now => {
            let date = e.date_words(add_business_days(e.today(), slowest));
            e.say(p!("new_item_now"), &[("date", date)]);
        }
    }
    true
}

/// "It's omar@…": the email or phone just given proved the order whose street was
/// withheld; the street is read now.
pub(crate) fn read_withheld(e: &mut Engine, facts: &dyn Facts) -> bool {
    let Some((number, what)) = e.s.withheld.clone() else {
        return false;
    };
    if !identity::private_details_may_be_read(e, &number, facts) {
        return false;
    }
    e.s.withheld = None;
    let Ok(Some(order)) = facts.order(&number) else {
        return false;
    };
    match what {
        Withheld::Street => {
            let Some(to) = order.shipping_address else {
                return false;
            };
            let args = [("line1", street_lines(&to)), ("city", to.city)];
            e.say(p!("details_address"), &args);
        }
        Withheld::CardDigits => {
            let paid = paid_words(e, facts, &order);
            e.say(p!("details_paid"), &[("paid", paid)]);
        }
        Withheld::TrackingNumber => {
            let Some(tracking) = order.tracking_number else {
                return false;
            };
            e.say(
                p!("tracking_number_slow"),
                &[("tracking", st::characters_grouped(&tracking))],
            );
            // The offer waiting is the link's, no longer said with the number withheld.
            if e.ask == Ask::YesNo(YesNo::TrackingLink) {
                e.ask_key = Some((p!("offer_tracking_link"), Vec::new()));
            }
        }
    }
    true
}

/// "What address is it going to?", "and the street address?": the address an order
/// goes to asked about, with no word of changing it.
pub(crate) fn asks_where_it_goes(e: &Engine, words: &[String]) -> bool {
    let ph = e.phrases();
    ph.any("asks_address", words)
        || (ph.any("address_named", words)
            && !ph.any("change_words", words)
            && !ph.any("deliver_elsewhere", words)
            && !words.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "new" | "update" | "different" | "wrong" | "moved" | "incorrect" | "fix"
                )
            }))
}

/// The street as the parcel carries it, the flat or suite with it ("6878 Lakeview Rd,
/// Apt 5"): a caller checking the address asks about that line most.
fn street_lines(to: &Address) -> String {
    match to.line2.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        Some(unit) => format!("{}, {unit}", to.line1),
        None => to.line1.clone(),
    }
}

/// Whether the words of the request name the order's customer, by first name, as
/// someone other than the caller ("a surprise for Leah", "Leah's order"), not as
/// themselves ("this is Leah", "I'm Leah").
fn names_the_customer_as_another(e: &Engine, order: &Order) -> bool {
    let Some(first) = order
        .customer
        .name
        .split_whitespace()
        .next()
        .map(str::to_lowercase)
    else {
        return false;
    };
    let Some(words) = e.task_ref().map(|t| &t.words) else {
        return false;
    };
    // Said of another: "Leah's", or "to Leah", "for Leah"; never a word of an email
    // spelled out ("my email is leah.hughes@…") or the caller's own name ("I'm Leah").
    words.iter().enumerate().any(|(i, w)| {
        let before = i.checked_sub(1).map(|j| words[j].as_str());
        w.strip_suffix("'s") == Some(first.as_str())
            || (w == &first
                && matches!(
                    before,
                    Some(
                        "to" | "for" | "from" | "about" | "visiting" | "helping" | "tell" | "give"
                    )
                ))
    })
}

pub(crate) fn status(e: &mut Engine, facts: &dyn Facts) {
    let Some(order) = load(e, facts) else { return };
    say_data_age(e, facts);
    // "When will the new size come?" just after an exchange or a replacement of this
    // order: the new item's arrival, not the delivery already made.
    if new_item_arrival(e, &order) {
        e.complete();
        return;
    }
    // "Can I upgrade it to express?": how fast it comes is fixed once ordered, and when
    // it comes is said.
    let words = e.task_ref().map(|t| t.words.clone()).unwrap_or_default();
    // "It was supposed to be express" of an express order is no upgrade asked for.
    let upgrade = e.phrases().any("upgrade_speed", &words)
        && order.shipping_method == ShippingMethod::Standard;
    if upgrade && speed_fixed(e, &order) {
        e.complete();
        return;
    }
    // "Order 4151…, can I pay by card instead of cash?": an order still to be paid at
    // the door may be paid by the link instead, offered as on the confirmation call.
    let cash_due = order.payment.method == PaymentMethod::Cod && order.status.is_still_to_come();
    let other_payment = e
        .task_ref()
        .is_some_and(|t| t.cues.contains(&Cue::OtherPayment));
    // Confirmed for cash in this call, it stays cash: no link is sent as well.
    if cash_due && other_payment && e.s.cod_confirmed.contains(&order.order_number) {
        e.say(
            p!("cash_after_confirming"),
            &[("total", st::price_cents(order.total.cents()))],
        );
        e.complete();
        return;
    }
    if cash_due && other_payment && e.s.payment_link_sent.is_none() {
        offer_payment_link(e, &order, &words);
        return;
    }
    let asked_details = e
        .task_ref()
        .is_some_and(|t| asks_order_details(e, &t.words));
    if asked_details {
        say_details(e, facts, &order);
    } else if cash_due && e.phrases().any("asks_amount_due", &words) {
        // "How much cash do I need for order 2179…?": the sum, before the status.
        e.say(
            p!("amount_due_cod"),
            &[("total", st::price_cents(order.total.cents()))],
        );
    }
    // "What address is it going to?": the street only to a caller who proved the order by
    // its email or phone (or a household hearing its own order); a billing zip can be
    // guessed from the city, and someone acting for another hears the city alone.
    if asks_where_it_goes(e, &words) {
        if let Some(to) = &order.shipping_address {
            if identity::private_details_may_be_read(e, &order.order_number, facts) {
                let args = [("line1", street_lines(to)), ("city", to.city.clone())];
                e.say(p!("details_address"), &args);
            } else {
                e.say(p!("details_address_city"), &[("city", to.city.clone())]);
                e.s.withheld = Some((order.order_number.clone(), Withheld::Street));
            }
        }
    }
    // Once the items were listed, or the order was named by them this turn, the status
    // sentence does not list them again.
    let brief = asked_details || e.items_named.as_deref() == Some(order.order_number.as_str());
    let key = |full: &'static str, brief_key: &'static str| if brief { brief_key } else { full };
    let number = st::digits_grouped(&order.order_number);
    let items = items_phrase(&e.catalog, &order);
    let carrier = order
        .carrier
        .clone()
        .unwrap_or_else(|| "the carrier".into());
    // "I'm delivering a surprise to Leah and need her street": the order's customer
    // named as someone else is whom the caller acts for.
    if names_the_customer_as_another(e, &order) {
        e.s.for_someone_else = true;
    }
    match order.status {
        // Whoever acts for the customer hears that it waits; confirming it is theirs.
        OrderStatus::PendingConfirmation if e.acts_for_another(facts) => {
            e.say(
                p!("status_pending_for_another"),
                &[
                    ("total", st::price_cents(order.total.cents())),
                    ("date", e.date_words(order.order_date)),
                ],
            );
            e.complete();
        }
        OrderStatus::PendingConfirmation => {
            let args = [
                ("number", number),
                ("total", st::price_cents(order.total.cents())),
                ("date", e.date_words(order.order_date)),
            ];
            let member = other_members(e, &order, facts);
            let cod = order.payment.method == PaymentMethod::Cod;
            let key = match (cod, member.is_some()) {
                (true, false) => p!("status_pending_cod"),
                (false, false) => p!("status_pending"),
                (true, true) => p!("status_pending_cod_member"),
                (false, true) => p!("status_pending_member"),
            };
            let mut args = args.to_vec();
            args.push(("name", member.unwrap_or_default()));
            e.ask(Ask::YesNo(YesNo::ConfirmPending), key, &args);
        }
        OrderStatus::Processing => {
            let est = estimate_words(e, &order);
            e.say(
                key(p!("status_processing"), p!("status_processing_brief")),
                &[
                    ("items", items),
                    ("date", e.date_words(order.order_date)),
                    ("estimate", est),
                ],
            );
            e.complete();
        }
        OrderStatus::Shipped => {
            let shipped = order
                .shipped_at
                .map(|t| e.date_words(t.date()))
                .unwrap_or_else(|| "recently".into());
            let est = estimate_words(e, &order);
            e.say(
                key(p!("status_shipped"), p!("status_shipped_brief")),
                &[
                    ("items", items),
                    ("carrier", carrier),
                    ("shipped", shipped),
                    ("estimate", est),
                ],
            );
            if order.tracking_number.is_some() {
                e.ask(
                    Ask::YesNo(YesNo::TrackingLink),
                    p!("offer_tracking_link"),
                    &[],
                );
            } else {
                e.complete();
            }
        }
        OrderStatus::OutForDelivery => {
            e.say(
                key(
                    p!("status_out_for_delivery"),
                    p!("status_out_for_delivery_brief"),
                ),
                &[("items", items), ("carrier", carrier)],
            );
            e.complete();
        }
        OrderStatus::Delivered => {
            let (date, time) = match order.delivered_at {
                Some(t) => (e.date_words(t.date()), st::time_of_day(t.time())),
                None => ("recently".into(), String::new()),
            };
            let which = if time.is_empty() {
                key(p!("status_delivered"), p!("status_delivered_brief"))
            } else {
                key(p!("status_delivered_at"), p!("status_delivered_at_brief"))
            };
            e.say(which, &[("items", items), ("date", date), ("time", time)]);
            e.complete();
        }
        OrderStatus::Delayed => {
            let est_words = estimate_words(e, &order);
            e.say(
                key(p!("status_delayed"), p!("status_delayed_brief")),
                &[("items", items), ("estimate", est_words)],
            );
            // Over the limit, the team takes it on, when the caller wants: one who only
            // wanted the date has it and is not cut off.
            if !e.offer_team_when_very_late(&order) {
                e.complete();
            }
        }
        OrderStatus::Cancelled => {
            let when = order
                .cancelled_at
                .map(|t| e.date_words(t.date()))
                .unwrap_or_else(|| "earlier".into());
            let refund = refund_sentence(e, facts, &order, false);
            e.say(
                p!("status_cancelled"),
                &[("date", when), ("refund", refund)],
            );
            e.complete();
        }
        OrderStatus::Returned => {
            e.say(p!("status_returned"), &[("items", items)]);
            say_return_state(e, &order, facts);
            // "How much will the refund be?" of a whole order returned before its return
            // was kept here: what its items came to.
            let unrecorded = facts
                .returns_of(&order.order_number)
                .is_ok_and(|r| r.is_empty());
            if unrecorded && e.phrases().any("asks_refund_amount", &words) {
                let amount = st::price_cents(order.subtotal.cents());
                e.say(p!("refund_amount_items"), &[("amount", amount)]);
            }
            e.complete();
        }
    }
}

/// What a carrier's scan says and where: ("Arrived at a sorting facility", " in
/// Hartford, CT").
fn scan_words(ev: &TrackingEvent) -> (String, String) {
    let what = ev
        .description
        .clone()
        .unwrap_or_else(|| ev.status.replace('_', " "));
    let place = ev
        .location
        .as_deref()
        .map(|l| format!(" in {l}"))
        .unwrap_or_default();
    (what, place)
}

/// "Why is it late?" about the verified order in focus: the carrier's latest scan and
/// the estimate, or that it is not late. False, with nothing said, when no verified order
/// is in focus.
pub(crate) fn why_late(e: &mut Engine, facts: &dyn Facts) -> bool {
    let Some(number) = e.order_in_focus().map(str::to_string) else {
        return false;
    };
    let Ok(Some(order)) = facts.order(&number) else {
        return false;
    };
    let late = order.status == OrderStatus::Delayed
        || (matches!(
            order.status,
            OrderStatus::Processing | OrderStatus::Shipped | OrderStatus::OutForDelivery
        ) && order.estimated_delivery.is_some_and(|d| d < e.today()));
    let estimate = estimate_words(e, &order);
    if !late {
        e.say(p!("not_late"), &[("estimate", estimate)]);
    } else if let Some(ev) = last_scan(e, &order) {
        let (what, place) = scan_words(ev);
        let carrier = order
            .carrier
            .clone()
            .unwrap_or_else(|| "the carrier".into());
        e.say(
            p!("late_reason"),
            &[
                ("carrier", carrier),
                ("what", what),
                ("place", place),
                ("date", e.date_words(ev.at.date())),
                ("estimate", estimate),
            ],
        );
    } else {
        e.say(p!("late_no_reason"), &[("estimate", estimate)]);
    }
    true
}

/// A question about what the verified order in focus holds or cost, asked in the middle
/// of another question: answered from the order. False, saying nothing, when the words
/// ask none or no verified order is in focus.
pub(crate) fn answers_about_the_order(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    if names_another_orders_item(e, said, facts) {
        return false;
    }
    let ph = e.phrases();
    let of_items = ph.any("asks_item_variant", &said.words)
        || ph.any("asks_item_paid", &said.words)
        || ph.any("asks_which_card", &said.words)
        || ph.any("asks_order_shipping", &said.words);
    if of_items && follow_up(e, said, facts) {
        return true;
    }
    if !asks_order_details(e, &said.words) {
        return false;
    }
    let order = e.focus_order(facts);
    match order {
        Some(order) => {
            say_details(e, facts, &order);
            true
        }
        None => false,
    }
}

/// Questions about the verified order just discussed that need no new request: "what
/// time today?", "read me the tracking number again", "why was it cancelled? I didn't
/// cancel it". True when one was answered.
pub(crate) fn follow_up(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    if names_another_orders_item(e, said, facts) {
        return false;
    }
    let ph = e.phrases();
    if ph.any("why_late", &said.words) {
        return why_late(e, facts);
    }
    // A question about the order's items ("how much was each thing?", "is the coffee the
    // one kilo or the half?"), never a change asked with the same words ("return the tee
    // or the candle").
    // A price asked opening with "what was" or "how much" is a question whatever the
    // classifier made of it ("so what was the candle on its own" is no problem report).
    let question =
        !Goal::from_intent(said.intent).is_some_and(|g| !matches!(g, Goal::Status | Goal::Track));
    // "Which card did I pay for them with?" asks the card, whatever "pay for" says.
    let priced = (question || e.opens_with(&said.words, "asks_what_was"))
        && !ph.any("asks_which_card", &said.words)
        && (ph.any("asks_item_paid", &said.words)
            || (ph.any("each_item", &said.words) && ph.any("asks_what_was", &said.words)));
    let variant = question && ph.any("asks_item_variant", &said.words);
    if (priced || variant) && items_asked(e, said, priced, facts) {
        return true;
    }
    // "Which Amex though, what are the last four digits?": the card's last four, read
    // only to a caller who proved the order beyond its zip, never tracking or a goodbye.
    if asks_card_digits(e, &said.words) {
        let order = e.focus_order(facts);
        if let Some(order) = order.filter(|o| o.payment.method == PaymentMethod::Card) {
            if order.payment.last4.is_none()
                || identity::private_details_may_be_read(e, &order.order_number, facts)
            {
                let paid = paid_words(e, facts, &order);
                e.say(p!("details_paid"), &[("paid", paid)]);
            } else {
                e.say(p!("card_digits_withheld"), &[]);
                e.s.withheld = Some((order.order_number.clone(), Withheld::CardDigits));
            }
            return true;
        }
    }
    // "Which card did it go on?", "and the shipping was how much?": from the order,
    // never the price list or a problem report.
    let ph = e.phrases();
    let asks_card = ph.any("asks_which_card", &said.words);
    let asks_shipping = ph.any("asks_order_shipping", &said.words);
    // "How much was that, and which card?": the total and the card together.
    if asks_card && asks_what_was_paid(&said.words) {
        let order = e.focus_order(facts);
        if let Some(order) = order {
            say_details_asked(e, facts, &order, &said.words);
            return true;
        }
    }
    if asks_card || asks_shipping {
        let order = e.focus_order(facts);
        if let Some(order) = order {
            if asks_card {
                let paid = paid_words(e, facts, &order);
                e.say(p!("details_paid"), &[("paid", paid)]);
            }
            if asks_shipping {
                say_shipping_charge(e, &order);
            }
            return true;
        }
    }
    let ph = e.phrases();
    let (asks_time, asks_number, disowns_cancel, asks_another) = (
        ph.any("asks_time_of_day", &said.words),
        ph.any("tracking_number_again", &said.words),
        ph.any("disowns_cancel", &said.words),
        ph.any("send_another", &said.words),
    );
    if !(asks_time || asks_number || disowns_cancel || asks_another) {
        return false;
    }
    let Some(number) = e.order_in_focus().map(str::to_string) else {
        return false;
    };
    let Ok(Some(order)) = facts.order(&number) else {
        return false;
    };
    // "Can't you just send another one?" while a parcel marked delivered may still turn
    // up: not yet, and when it can be.
    if asks_another && order.status == OrderStatus::Delivered {
        let wait =
            chrono::Duration::hours(i64::from(e.config().policy.orders.not_received_wait_hours));
        if let Some(until) = order.delivered_at.map(|d| d + wait).filter(|&u| e.now < u) {
            let not_yet = e.text(
                p!("not_received_not_yet"),
                &[("until", st::day_and_part(until, e.today()))],
            );
            // Asked again after hearing it: a person, rather than the same sentence.
            if e.s.last_reply.contains(&not_yet) {
                e.say(p!("insists_offer_human"), &[]);
                e.offer_human(HandOffReason::Requested);
            } else {
                e.out.push(not_yet);
            }
            return true;
        }
    }
    if asks_another {
        return false;
    }
    if disowns_cancel && order.status == OrderStatus::Cancelled {
        e.say(p!("cancel_reason_unknown"), &[]);
        e.offer_human(HandOffReason::Requested);
        return true;
    }
    if asks_number {
        if let Some(tracking) = &order.tracking_number {
            if identity::private_details_may_be_read(e, &order.order_number, facts) {
                e.say(
                    p!("tracking_number_slow"),
                    &[("tracking", st::characters_grouped(tracking))],
                );
            } else {
                e.s.withheld = Some((order.order_number.clone(), Withheld::TrackingNumber));
                e.say(p!("tracking_number_withheld"), &[]);
            }
            return true;
        }
        return false;
    }
    if asks_time {
        match order.status {
            OrderStatus::OutForDelivery => e.say(p!("no_time_window"), &[]),
            OrderStatus::Delivered => match order.delivered_at {
                Some(t) => e.say(
                    p!("delivered_at_time"),
                    &[
                        ("date", e.date_words(t.date())),
                        ("time", st::time_of_day(t.time())),
                    ],
                ),
                None => return false,
            },
            _ => {
                let estimate = estimate_words(e, &order);
                e.say(p!("no_time_before_day"), &[("estimate", estimate)]);
            }
        }
        return true;
    }
    false
}

/// Tracking: carrier, tracking number character by character, last scan, estimate.
pub(crate) fn track(e: &mut Engine, facts: &dyn Facts) {
    let Some(order) = load(e, facts) else { return };
    say_data_age(e, facts);
    let Some(tracking) = order.tracking_number.clone() else {
        if order.status == OrderStatus::Cancelled {
            status(e, facts);
            return;
        }
        let hours = st::number_words(u64::from(
            e.config().policy.shipping.tracking_email_within_hours,
        ));
        e.say(
            p!("track_not_shipped"),
            &[("state", status_words(e, order.status)), ("hours", hours)],
        );
        e.complete();
        return;
    };
    let carrier = order
        .carrier
        .clone()
        .unwrap_or_else(|| "the carrier".into());
    let scan = last_scan(e, &order).map(|ev| {
        let (what, place) = scan_words(ev);
        e.text(
            p!("track_last_scan"),
            &[
                ("what", what),
                ("place", place),
                ("date", e.date_words(ev.at.date())),
            ],
        )
    });
    let outlook = match order.status {
        OrderStatus::Delivered => order
            .delivered_at
            .map(|t| {
                e.text(
                    p!("track_delivered_on"),
                    &[("date", e.date_words(t.date()))],
                )
            })
            .unwrap_or_default(),
        OrderStatus::OutForDelivery => e.text(p!("track_today"), &[]),
        _ => estimate_words(e, &order),
    };
    // The number is read only when asked for: the link carries it, and read aloud it is
    // the longest part of the answer.
    let asked_number = e
        .task_ref()
        .is_some_and(|t| e.phrases().any("asks_tracking_number", &t.words));
    let withheld =
        asked_number && !identity::private_details_may_be_read(e, &order.order_number, facts);
    let key = if asked_number && !withheld {
        p!("track_info")
    } else {
        p!("track_info_brief")
    };
    e.say(
        key,
        &[
            ("carrier", carrier),
            ("tracking", st::characters_grouped(&tracking)),
            ("scan", scan.unwrap_or_default()),
            ("outlook", outlook),
        ],
    );
    if withheld {
        withhold_tracking_number(e, &order);
        return;
    }
    // "Can you text me the tracking link?": sent, not offered back.
    let link_asked = e
        .task_ref()
        .is_some_and(|t| e.phrases().any("asks_link_sent", &t.words));
    if link_asked {
        send_tracking(e, true);
        return;
    }
    e.ask(
        Ask::YesNo(YesNo::TrackingLink),
        p!("offer_tracking_link"),
        &[],
    );
}

/// A tracking number asked for by a caller who proved the order by its zip alone: the
/// carrier's page shows where the parcel goes, so the number waits for the order's
/// email or phone, and the link is offered by text to the phone on the order.
fn withhold_tracking_number(e: &mut Engine, order: &Order) {
    e.s.withheld = Some((order.order_number.clone(), Withheld::TrackingNumber));
    e.say(p!("tracking_number_withheld"), &[]);
    e.ask(
        Ask::YesNo(YesNo::TrackingLink),
        p!("offer_tracking_link_instead"),
        &[],
    );
}

/// "Whenever", "doesn't matter", "any day is fine": no preference between the choices.
/// A courier pickup of a return or exchange is being arranged.
fn is_pickup(e: &Engine) -> bool {
    e.task_ref().is_some_and(
        |t| matches!(&t.req, Request::Return(a) | Request::Exchange(a) if a.pickup == Some(true)),
    )
}

/// "Any day, whenever suits": the first day a courier can come (tomorrow), and with "any
/// time" the first slot; both are read back before anything is booked.
fn pickup_any_day(e: &mut Engine, said: &Said<'_>) -> Option<NaiveDate> {
    if !is_pickup(e) || !e.no_preference(said) {
        return None;
    }
    if e.phrases().any("any_time", &said.words) && said.entities.time_slot.is_none() {
        *e.task().slot() = Some(TimeSlot::Morning);
    }
    e.today().succ_opt()
}

/// The day meant without a date said: "the first day you can", "whenever" (the first
/// day the delivery can be moved to), or "the same day, just in the evening" (the day
/// it is due).
fn day_meant_without_a_date(e: &Engine, said: &Said<'_>, facts: &dyn Facts) -> Option<NaiveDate> {
    if e.task_ref()?.goal() != Goal::Reschedule {
        return None;
    }
    if e.phrases().any("same_day", &said.words) {
        let order = e.task_ref()?.order.clone()?;
        return facts.order(&order).ok().flatten()?.estimated_delivery;
    }
    if !e.no_preference(said) && !e.phrases().any("soonest", &said.words) {
        return None;
    }
    // "Oh any time is fine, I'm always home" at "what day?": no preference of the time,
    // none said of the day, which is not picked for the caller.
    if e.phrases().any("any_time", &said.words)
        && !e.phrases().any("any_day", &said.words)
        && !e.phrases().any("soonest", &said.words)
    {
        return None;
    }
    // The first day a delivery can be moved to is tomorrow (see `date_ok`), and never
    // before the day it is due: the soonest other day is the one after.
    let tomorrow = e.today() + chrono::Duration::days(1);
    let order = e.task_ref()?.order.clone()?;
    let due = facts.order(&order).ok().flatten()?.estimated_delivery;
    let soonest = due.map_or(tomorrow, |d| (d + chrono::Duration::days(1)).max(tomorrow));
    let max = e.today()
        + chrono::Duration::days(i64::from(
            e.config().policy.orders.reschedule_max_days_ahead,
        ));
    (soonest <= max).then_some(soonest)
}

/// "Text me the link", said of the verified order just discussed: sent at once, without
/// reading the tracking again. False when there is no such order or nothing to track.
pub(crate) fn text_link_asked(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    // "Just text me the label" asks for a return label, which is no tracking link.
    // "Can you send it to a different address?" asks a redirect, not the link.
    if !e.phrases().any("take_up_link", &said.words)
        || e.phrases().any("not_a_take_up", &said.words)
        || e.phrases().any("deliver_elsewhere", &said.words)
        || said.words.iter().any(|w| w.starts_with("address"))
        || said.address.is_some()
        || said.words.iter().any(|w| w == "label" || w == "labels")
        || said.has(Cue::Negated)
        || said.entities.order_number.is_some()
        || said.has(Cue::OtherOrder)
    {
        return false;
    }
    let Some(focus) = e.s.focus.clone().filter(|n| e.s.verified.contains(n)) else {
        return false;
    };
    let tracked = matches!(facts.order(&focus), Ok(Some(o)) if o.tracking_number.is_some());
    if !tracked {
        return false;
    }
    e.change(Change::Notify {
        channel: Channel::Sms,
        template: Notice::TrackingLink,
        order_number: Some(focus),
        reference: None,
    });
    e.say(p!("tracking_link_sent"), &[]);
    e.anything_else();
    true
}

/// The answer to "shall I text you the tracking link?".
pub(crate) fn send_tracking(e: &mut Engine, yes: bool) {
    let switching = e.task_ref().is_none();
    if yes {
        let order_number = e
            .task_ref()
            .and_then(|t| t.order.clone())
            .or_else(|| e.s.focus.clone());
        e.change(Change::Notify {
            channel: Channel::Sms,
            template: Notice::TrackingLink,
            order_number,
            reference: None,
        });
        e.say(p!("tracking_link_sent"), &[]);
    }
    if !switching {
        e.complete();
    }
}

/// Cancelling an order that has not shipped.
pub(crate) fn cancel(e: &mut Engine, facts: &dyn Facts) {
    let Some(order) = load(e, facts) else { return };
    let policy = &e.config().policy;
    if order.status == OrderStatus::Cancelled {
        // Already done: what the caller needs is when, and where the money stands.
        status(e, facts);
        return;
    }
    if !policy.orders.cancellable_statuses.contains(&order.status) {
        // "I never ordered that" of an order already on its way: the team stops it.
        if e.s.order_disputed {
            e.hand_off_saying(HandOffReason::Disputed, p!("disputed_order_team"), &[]);
            return;
        }
        let window = crate::speak::return_window_words(e.config(), &order);
        if order.status == OrderStatus::Delivered {
            e.ask(
                Ask::YesNo(YesNo::StartReturn),
                p!("cancel_delivered"),
                &[("window", window)],
            );
        } else if order.status == OrderStatus::Returned {
            e.say(p!("cancel_returned"), &[]);
            e.complete();
        } else if let Some(why) = crate::speak::never_returnable_line(e, &order, facts) {
            // A personalised mug on its way: neither cancelled nor returned by voice,
            // said so (never a return it cannot have), and the team can look at it.
            e.say(
                p!("cancel_shipped_never_returnable"),
                &[("state", status_words(e, order.status)), ("why", why)],
            );
            if !e.offer_team_when_very_late(&order) {
                e.offer_human(HandOffReason::Exception);
            }
        } else {
            e.say(
                p!("cancel_shipped"),
                &[("state", status_words(e, order.status)), ("window", window)],
            );
            if !e.offer_team_when_very_late(&order) {
                e.complete();
            }
        }
        return;
    }
    // "I ordered tees and a candle … just cancel the whole thing": the whole order,
    // said so, whatever items the story names.
    let said_whole = {
        let words = e.task().words.clone();
        e.phrases().any("whole_order_said", &words)
    };
    if said_whole {
        e.task().cancel().whole_order_agreed = true;
    }
    // "Cancel the candle from my order": an order is cancelled whole, so the caller
    // chooses; it is never widened without a yes.
    if !e.task().cancel().whole_order_agreed {
        // "It had a gift card and some belts, and I don't need the belts": the item the
        // words drop, rather than the first one they name.
        let words = e.task().words.clone();
        if let Some(sku) = item_dropped(e, &words, &order) {
            e.task().heard.product = Some(sku);
        }
        if let Some((item, others, returnable)) = one_item_of_many(e, &order, facts) {
            // A gift card is never taken back: no return is offered for it.
            let key = if returnable {
                p!("cancel_one_item")
            } else {
                p!("cancel_one_item_whole_only")
            };
            e.ask(
                Ask::YesNo(YesNo::CancelWholeOrder),
                key,
                &[("item", item), ("others", others)],
            );
            return;
        }
        // "Cancel one of the jeans, I ordered two by mistake": part of the order's one
        // line is no cancellation of the whole; the caller chooses.
        if let Some((whole, returnable)) = part_of_the_line(e, &order) {
            let key = if returnable {
                p!("cancel_part_of_line")
            } else {
                p!("cancel_part_of_line_whole_only")
            };
            e.ask(
                Ask::YesNo(YesNo::CancelWholeOrder),
                key,
                &[("whole", whole)],
            );
            return;
        }
        // "I'd like to take one thing off my order": no item named, but not the whole
        // order either; what can be done is said before any reason is asked.
        if order.items.len() > 1 && e.phrases().any("some_items", &words) {
            let items = items_phrase(&e.catalog, &order);
            e.ask(
                Ask::YesNo(YesNo::CancelWholeOrder),
                p!("cancel_some_items"),
                &[("items", items)],
            );
            return;
        }
    }
    // "This is ridiculous, just cancel the whole thing": a caller who complained is not
    // asked why as well; the reason stays "other".
    if e.s.complained && e.task().cancel().cancel_reason.is_none() {
        e.task().cancel().cancel_reason = Some(CancelReason::Other);
    }
    // An order the caller never placed is no wrong item of theirs, and is not asked why.
    if e.s.order_disputed {
        e.task().cancel().cancel_reason = Some(CancelReason::Other);
    }
    let task = e.task();
    if task.cancel().cancel_reason.is_none() {
        e.ask(Ask::CancelReason, p!("ask_cancel_reason"), &[]);
        return;
    }
    if !task.confirmed {
        let args = [
            ("number", st::digits_grouped(&order.order_number)),
            ("items", items_phrase(&e.catalog, &order)),
            ("total", st::price_cents(order.total.cents())),
        ];
        e.ask(Ask::YesNo(YesNo::Proceed), p!("confirm_cancel"), &args);
        return;
    }
    let reason = task.cancel().cancel_reason.unwrap_or(CancelReason::Other);
    e.change(Change::CancelOrder {
        order_number: order.order_number.clone(),
        reason,
    });
    e.change(Change::Notify {
        channel: Channel::Email,
        template: Notice::CancellationConfirmation,
        order_number: Some(order.order_number.clone()),
        reference: None,
    });
    let refund = refund_sentence(e, facts, &order, true);
    e.say(p!("cancelled"), &[("refund", refund)]);
    if e.s.order_disputed {
        e.hand_off_saying(HandOffReason::Disputed, p!("disputed_cancelled"), &[]);
        return;
    }
    finish_with_resume(e, Goal::Cancel);
}

/// Ends a request; a confirmation call paused for it has nothing left to confirm after a
/// cancellation.
fn finish_with_resume(e: &mut Engine, goal: Goal) {
    if goal == Goal::Cancel {
        if let Some(task) = e.task.as_mut() {
            task.resume = None;
        }
    }
    e.complete();
}

/// The item the request named when the order holds more than it: the product said (or
/// another size or colour of it) is one line of several. Gives the item as said and the
/// order's other lines ("two navy classic tees"), and whether the item could be returned
/// once it arrives.
fn one_item_of_many(
    e: &Engine,
    order: &Order,
    facts: &dyn Facts,
) -> Option<(String, String, bool)> {
    let sku = e.task_ref()?.heard.product.clone()?;
    if order.items.len() < 2 {
        return None;
    }
    let line = identity::line_of(order, &sku, facts)?;
    let named = order.items.iter().position(|it| it.sku == line)?;
    let others: Vec<String> = order
        .items
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != named)
        .map(|(_, it)| pw::product_phrase_indefinite(&it.name, it.qty, false))
        .collect();
    let item = &order.items[named];
    Some((
        item_words(&e.catalog, &item.name, item.qty),
        st::list_and(&others),
        e.ever_returnable(item),
    ))
}

/// Of an order of one line of several ("two pairs of jeans"), whether the cancellation
/// asks for fewer of them: a count below the line's said with the product, or "one of
/// them", "only one". The whole line in words, and whether it can be returned later.
fn part_of_the_line(e: &Engine, order: &Order) -> Option<(String, bool)> {
    let [item] = order.items.as_slice() else {
        return None;
    };
    if item.qty < 2 {
        return None;
    }
    let task = e.task_ref()?;
    // "Can you take one pair off the order?": with one line, the count said is of it.
    let fewer = task.heard.quantity.is_some_and(|q| q > 0 && q < item.qty);
    let ph = e.phrases();
    let one_of = ph.any("one_of_them", &task.words) || ph.any("just_one", &task.words);
    (fewer || one_of).then(|| {
        (
            item_words(&e.catalog, &item.name, item.qty),
            e.ever_returnable(item),
        )
    })
}

/// "No, not the gift card, it's the belts I don't want" at "shall I cancel it all?": the
/// item the caller means, asked about again. False when the words drop no other item.
pub(crate) fn another_item_dropped(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    let Some(order) = e.focus_order(facts) else {
        return false;
    };
    // "It's the t-shirt I don't want": the product heard, when the words drop one.
    let heard = said
        .entities
        .product
        .clone()
        .filter(|_| e.phrases().any("drop_item", &said.words))
        .and_then(|sku| identity::line_of(&order, &sku, facts));
    let Some(sku) = item_dropped(e, &said.words, &order).or(heard) else {
        return false;
    };
    if e.task_ref().and_then(|t| t.heard.product.as_deref()) == Some(sku.as_str()) {
        return false;
    }
    let task = e.task();
    task.heard.product = Some(sku);
    task.words = said.words.clone();
    e.ask = Ask::Nothing;
    cancel(e, facts);
    true
}

/// "Hmm, wait, don't cancel it all. Can I just take the belt off?" at the read-back of
/// a whole order's cancellation: a request narrower than the change read back is never
/// answered with the wider read-back. An order is cancelled whole, so what can be done
/// is said (the whole order, or a return once it arrives) and the read-back is dropped:
/// a yes after this cancels nothing. True when the words asked for less and it was said.
pub(crate) fn narrower_than_the_read_back(
    e: &mut Engine,
    said: &Said<'_>,
    facts: &dyn Facts,
) -> bool {
    if e.ask != Ask::YesNo(YesNo::Proceed) || e.task_ref().is_none_or(|t| t.goal() != Goal::Cancel)
    {
        return false;
    }
    let Some(order) = e.focus_order(facts) else {
        return false;
    };
    let ph = e.phrases();
    // "Cancel the whole order, not just the belt": the whole order it stays.
    if ph.any("whole_order_said", &said.words) && !ph.any("not_whole_order", &said.words) {
        return false;
    }
    let window = crate::speak::return_window_words(e.config(), &order);
    let item = item_dropped(e, &said.words, &order)
        .and_then(|sku| order.items.iter().find(|it| it.sku == sku));
    if let Some(item) = item {
        let others: Vec<String> = order
            .items
            .iter()
            .filter(|it| it.sku != item.sku)
            .map(|it| pw::product_phrase_indefinite(&it.name, it.qty, false))
            .collect();
        // A gift card is never taken back: no return is offered for it.
        let key = if e.ever_returnable(item) {
            p!("cancel_narrower_kept")
        } else {
            p!("cancel_narrower_kept_whole_only")
        };
        let args = [
            (
                "item",
                crate::speak::item_words_brief(&e.catalog, &item.name, item.qty),
            ),
            ("others", st::list_and(&others)),
            ("window", window),
        ];
        e.say(key, &args);
    } else {
        // "Just one of the jeans", "can I take one thing off?": less than the whole,
        // no single item of several named.
        let one_line = order.items.len() == 1 && order.items[0].qty > 1;
        let part = one_line
            && (ph.any("one_of_them", &said.words)
                || ph.any("just_one", &said.words)
                || said
                    .entities
                    .quantity
                    .is_some_and(|q| q > 0 && q < order.items[0].qty));
        let some = order.items.len() > 1 && ph.any("some_items", &said.words);
        if !(part || some || ph.any("not_whole_order", &said.words)) {
            return false;
        }
        e.say(p!("cancel_narrower_part"), &[("window", window)]);
    }
    // "No, I'll return it when it comes then": the return once it arrives was just
    // told; it is no second request to take up now.
    e.s.later.retain(|later| later.intent != Intent::ReturnItem);
    e.drop_task();
    true
}

/// A yes or no to cancelling the whole order when one item was named.
/// "Can I change it to two sheet sets instead of three?" about an order placed: how many
/// of an item an order holds is fixed once it is placed, which is said plainly with what
/// can be done instead. True when the words asked that and it was said.
pub(crate) fn count_fixed(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    let Some(wanted) = said.entities.quantity else {
        return false;
    };
    if !e.phrases().any("changes_count", &said.words) {
        return false;
    }
    let Some(order) = e.focus_order(facts) else {
        return false;
    };
    let line = match &said.entities.product {
        Some(sku) => identity::line_of(&order, sku, facts)
            .and_then(|sku| order.items.iter().find(|it| it.sku == sku)),
        None if order.items.len() == 1 => order.items.first(),
        None => None,
    };
    let Some(line) = line.filter(|it| it.qty != wanted) else {
        return false;
    };
    let shipped = !matches!(
        order.status,
        OrderStatus::PendingConfirmation | OrderStatus::Processing
    );
    let key = if shipped {
        p!("order_count_fixed_shipped")
    } else {
        p!("order_count_fixed")
    };
    let args = [
        ("had", pw::counted(&line.name, line.qty)),
        ("wanted", st::number_words(u64::from(wanted))),
    ];
    e.say(key, &args);
    true
}

pub(crate) fn decide_whole_order(e: &mut Engine, yes: bool, facts: &dyn Facts) {
    if yes {
        e.task().cancel().whole_order_agreed = true;
        // "Shall I cancel it all?", naming what else the order holds, asked for this
        // yes: no second read-back of the same cancellation.
        e.task().confirmed = true;
        cancel(e, facts);
        return;
    }
    // The window of the item the caller wanted gone ("the pillow", thirty days), not the
    // shortest of the order's (the cable's fifteen).
    let named = e.task_ref().and_then(|t| t.heard.product.clone());
    let order = e
        .task_ref()
        .and_then(|t| t.order.clone())
        .and_then(|n| facts.order(&n).ok().flatten());
    let item = order.as_ref().and_then(|order| {
        let line = identity::line_of(order, named.as_deref()?, facts)?;
        order.items.iter().find(|it| it.sku == line)
    });
    let window = match (item, &order) {
        (Some(item), _) => {
            st::number_words(u64::from(crate::speak::item_window_days(e.config(), item)))
        }
        (None, Some(order)) => crate::speak::return_window_words(e.config(), order),
        (None, None) => st::number_words(u64::from(e.config().policy.returns.window_days)),
    };
    e.say(p!("cancel_one_item_kept"), &[("window", window)]);
    // "No, I'll return it when it comes then": the return once it arrives was just
    // told; it is no second request to take up now.
    e.s.later.retain(|later| later.intent != Intent::ReturnItem);
    // On the call about this order, keeping it goes back to confirming it.
    let order = e.task_ref().and_then(|t| t.order.clone());
    if order.is_some() && order == e.s.called_about {
        let task = e.task();
        task.become_goal(Goal::Confirm);
        task.confirmed = false;
        task.confirmation().read_out = true;
        e.ask(Ask::ConfirmCall, p!("confirm_after_change"), &[]);
        return;
    }
    e.drop_task();
}

/// Whose order it is, when a household speaker's owner asks about another member's:
/// that member's first name. None for their own order, and off a household speaker.
pub(crate) fn other_members(e: &Engine, order: &Order, facts: &dyn Facts) -> Option<String> {
    let customer = e.s.customer?;
    // Only a member's name: an order of someone outside the household, proved by its
    // zip on the household's speaker, never names whose it is.
    if !identity::household_holds(facts, customer, &order.order_number) {
        return None;
    }
    let own = facts.customer(customer).ok().flatten()?;
    let same = match (&own.email, &order.customer.email) {
        (Some(a), Some(b)) => a == b,
        _ => own.name.eq_ignore_ascii_case(&order.customer.name),
    };
    (!same).then(|| crate::speak::first_name(&order.customer.name))
}

/// The item of a several-item order the caller says they no longer want ("I don't want
/// the belt any more", "take the belt off"): the one whose name follows the words that
/// drop it.
/// "No, keep the tee, just cancel the belts" at a whole order's read-back: the request
/// narrows to one item, which is never cancelled alone; true when it did (the caller
/// then hears what can be done), and nothing is cancelled.
pub(crate) fn narrows_cancel(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    if !e.task_ref().is_some_and(|t| t.goal() == Goal::Cancel) {
        return false;
    }
    let singles_out = said
        .words
        .iter()
        .any(|w| matches!(w.as_str(), "just" | "only" | "keep"));
    if !singles_out {
        return false;
    }
    let Some(order) = e.focus_order(facts) else {
        return false;
    };
    let Some(sku) = item_dropped(e, &said.words, &order) else {
        return false;
    };
    let task = e.task();
    task.heard.product = Some(sku);
    task.cancel().whole_order_agreed = false;
    true
}

fn item_dropped(e: &Engine, words: &[String], order: &Order) -> Option<String> {
    if order.items.len() < 2 {
        return None;
    }
    let ph = e.phrases();
    // "Take the belt off": the verb and its particle around the item.
    let take_off = || {
        let at = words.iter().position(|w| w == "take" || w == "leave")?;
        words[at + 1..]
            .iter()
            .take(5)
            .any(|w| w == "off" || w == "out")
            .then_some(at)
    };
    // "Jackets" names the jacket, "knives" the knife: a word said names an item word
    // itself or its plural.
    let items_named = |span: &[String]| -> Vec<&voxorder_domain::order::OrderItem> {
        order
            .items
            .iter()
            .filter(|it| {
                crate::locale::words(&it.name)
                    .iter()
                    .any(|w| w.len() > 2 && span.iter().any(|said| pw::same_noun(said, w)))
            })
            .collect()
    };
    let span = |from: usize| &words[from.min(words.len())..(from + 5).min(words.len())];
    let from = ph
        .find("drop_item", words)
        .map(|at| at + ph.len_at("drop_item", words, at).unwrap_or(1))
        .or_else(|| take_off().map(|at| at + 1));
    if let Some(from) = from {
        if let [one] = items_named(span(from)).as_slice() {
            return Some(one.sku.clone());
        }
    }
    // "Don't cancel it all, can I take the belt off?": the cancel words drop nothing
    // named; the verb and its particle after them do.
    if let Some(at) = take_off() {
        if let [one] = items_named(span(at + 1)).as_slice() {
            return Some(one.sku.clone());
        }
    }
    // "It's the belts I don't want": the item just before the words that drop it.
    if let Some(at) = ph.find("drop_item", words) {
        let before = &words[at.saturating_sub(4)..at];
        if let [one] = items_named(before).as_slice() {
            return Some(one.sku.clone());
        }
    }
    // "Just the t-shirt": the one item said after the words that single it out.
    if let Some(at) = ph.find("just_this_one", words) {
        let from = at + ph.len_at("just_this_one", words, at).unwrap_or(1);
        if let [one] = items_named(span(from)).as_slice() {
            return Some(one.sku.clone());
        }
    }
    // "Keep the yoga mats": every item but those kept, when one is left.
    if let Some(at) = ph.find("keep_these", words) {
        let from = at + ph.len_at("keep_these", words, at).unwrap_or(1);
        let kept = items_named(span(from));
        let rest: Vec<_> = order
            .items
            .iter()
            .filter(|it| !kept.iter().any(|k| k.sku == it.sku))
            .collect();
        if let ([_, ..], [one]) = (kept.as_slice(), rest.as_slice()) {
            return Some(one.sku.clone());
        }
    }
    // "I only want the hoodie": of two items, the other one is dropped.
    let at = ph.find("keep_only", words)?;
    let kept = items_named(span(at + ph.len_at("keep_only", words, at).unwrap_or(1)));
    match (kept.as_slice(), order.items.as_slice()) {
        ([keep], [a, b]) => Some(if a.sku == keep.sku { &b.sku } else { &a.sku }.clone()),
        _ => None,
    }
}

/// "Sunday's fine then", said to the question of a new day after hearing the parcel is
/// due Sunday the thirteenth: a bare weekday, read as the nearest one, a week before the
/// day it is due, is that day.
fn due_weekday_meant(e: &Engine, d: NaiveDate, said: &Said<'_>, facts: &dyn Facts) -> NaiveDate {
    let due = match (e.task_ref().map(Task::goal), e.s.focus.as_ref()) {
        (Some(Goal::Reschedule), Some(focus)) => match facts.order(focus) {
            Ok(Some(order)) => order.estimated_delivery,
            _ => None,
        },
        _ => None,
    };
    let Some(due) = due else { return d };
    let weekday = st::weekday_name(d.weekday()).to_ascii_lowercase();
    let bare_weekday = said
        .words
        .iter()
        .any(|w| w.strip_suffix("'s").unwrap_or(w) == weekday)
        && !said
            .words
            .iter()
            .any(|w| matches!(w.as_str(), "tomorrow" | "today" | "next" | "this"));
    if bare_weekday && d.weekday() == due.weekday() && (due - d).num_days() == 7 {
        due
    } else {
        d
    }
}

/// Moving the delivery to another day and time slot.
pub(crate) fn reschedule(e: &mut Engine, facts: &dyn Facts) {
    let Some(order) = load(e, facts) else { return };
    if !e
        .config()
        .policy
        .orders
        .reschedule_statuses
        .contains(&order.status)
    {
        e.say(
            p!("reschedule_not_possible"),
            &[("state", status_words(e, order.status))],
        );
        e.complete();
        return;
    }
    // "Can it be the same day but in the evening": the day it is due, another slot.
    let same_day = e.task().reschedule().date.is_none()
        && e.task().reschedule().slot.is_some()
        && e.task_ref()
            .is_some_and(|t| e.phrases().any("same_day", &t.words));
    if same_day {
        e.task().reschedule().date = order.estimated_delivery;
    }
    let mut due_said = false;
    if let Some(d) = e.task().reschedule().date {
        if !date_ok(e, d) {
            e.task().reschedule().date = None;
            e.task().confirmed = false;
        } else if let Some(due) = order.estimated_delivery.filter(|&due| d < due) {
            // A parcel cannot be made to arrive sooner by moving its delivery.
            e.say(
                p!("date_before_due"),
                &[("date", e.date_words(d)), ("due", e.date_words(due))],
            );
            e.task().reschedule().date = None;
            e.task().confirmed = false;
            due_said = true;
        }
    }
    // The day it is already due, with no new slot, is the day the caller cannot take
    // ("i'm away monday, can i change the day"): ask for the new one. Asked for as the
    // day wanted ("can it come on Saturday instead?"), it is already that day.
    let wanted = e.task().reschedule().clone();
    if let Some(due) = wanted
        .date
        .filter(|&d| Some(d) == order.estimated_delivery && wanted.slot.is_none())
    {
        let words = e.task().words.clone();
        let cannot_take = e.phrases().any("day_not_possible", &words);
        if !cannot_take && !wanted.any_slot {
            let due = e.date_words(due);
            e.say(p!("already_due_that_day"), &[("date", due)]);
            e.complete();
            return;
        }
        let task = e.task();
        task.reschedule().date = None;
        task.confirmed = false;
    }
    let task = e.task();
    let (date, slot, any_slot, confirmed) = (
        task.reschedule().date,
        task.reschedule().slot,
        task.reschedule().any_slot,
        task.confirmed,
    );
    let Some(date) = date else {
        // Asked again after a day that could not be used: the current day was just said.
        let current = match order.estimated_delivery {
            Some(d) if e.ask != Ask::Date && !due_said => {
                e.text(p!("current_delivery"), &[("date", e.date_words(d))])
            }
            _ => String::new(),
        };
        e.ask(
            Ask::Date,
            p!("ask_reschedule_date"),
            &[("current", current)],
        );
        return;
    };
    if slot.is_none() && !any_slot {
        // The day is said back with the question, so a misheard one shows at once.
        let date = e.date_words(date);
        e.ask(Ask::Slot, p!("ask_slot"), &[("date", date)]);
        return;
    }
    let slot_said = match slot {
        Some(s) => slot_words(e, s),
        None => e.text(p!("slot_any"), &[]),
    };
    if !confirmed {
        let args = [
            ("number", st::digits_grouped(&order.order_number)),
            ("date", e.date_words(date)),
            ("slot", slot_said.clone()),
        ];
        e.ask(Ask::YesNo(YesNo::Proceed), p!("confirm_reschedule"), &args);
        return;
    }
    e.change(Change::RescheduleDelivery {
        order_number: order.order_number.clone(),
        date,
        slot,
    });
    e.change(Change::Notify {
        channel: Channel::Sms,
        template: Notice::DeliveryRescheduled,
        order_number: Some(order.order_number.clone()),
        reference: None,
    });
    e.say(
        p!("rescheduled"),
        &[("date", e.date_words(date)), ("slot", slot_said)],
    );
    e.complete();
}

/// Changing the shipping address before the order ships.
pub(crate) fn change_address(e: &mut Engine, facts: &dyn Facts) {
    let Some(order) = load(e, facts) else { return };
    // Sending a parcel somewhere else takes a fact only its customer knows, and a
    // billing zip is not one: it is shared by a whole neighbourhood and guessed from
    // the city. So the order must be proved by its email or phone (on the shop's own
    // call, the email: the dialled phone proves nothing), whoever asks: a caller who
    // gave the zip, "yes, it's me" on the shop's call, anyone in the room of a
    // household speaker.
    let number = order.order_number.clone();
    let called_about = e.s.called_about.as_ref() == Some(&number);
    let changeable = e
        .config()
        .policy
        .orders
        .address_change_statuses
        .contains(&order.status);
    if changeable && !e.s.proved_strongly.contains(&number) {
        let key = if called_about {
            p!("ask_strong_fact_before_redirect_called")
        } else {
            p!("ask_strong_fact_before_redirect")
        };
        e.s.heard_order = Some(number.clone());
        e.s.heard_factors = None;
        e.s.redirect_needs = Some(number);
        e.ask(Ask::Factor, key, &[]);
        return;
    }
    // A parcel that someone failed to prove, or said they asked about for another, in
    // an earlier call: sending it elsewhere by voice now, even with its phone, is how
    // such a caller tries again as the owner. The team checks it.
    if changeable && e.s.tried_before.contains(&number) {
        e.end_task();
        e.say(p!("redirect_after_earlier_tries"), &[]);
        e.offer_human(HandOffReason::Requested);
        return;
    }
    if !changeable {
        let key = if order.status.has_shipped() && order.tracking_number.is_some() {
            p!("address_shipped")
        } else {
            p!("address_not_possible")
        };
        let carrier = order
            .carrier
            .clone()
            .unwrap_or_else(|| "the carrier".into());
        e.say(
            key,
            &[
                ("state", status_words(e, order.status)),
                ("carrier", carrier),
            ],
        );
        e.complete();
        return;
    }
    let task = e.task();
    if task.address().line1.is_none() {
        e.ask(Ask::Street, p!("ask_street"), &[]);
        return;
    }
    if task.address().city.is_none() {
        e.ask(Ask::City, p!("ask_city"), &[]);
        return;
    }
    if task.address().zip.is_none() {
        e.ask(Ask::Zip, p!("ask_zip"), &[]);
        return;
    }
    let line1 = task.address().line1.clone().unwrap_or_default();
    let city = task.address().city.clone().unwrap_or_default();
    let zip = task.address().zip.clone().unwrap_or_default();
    let old = order.shipping_address.as_ref();
    let state = new_state(task.address().state.as_deref(), &zip, old);
    // The state is read back: a new zip in another state must not keep the old one
    // unheard.
    let city_state = match state.as_deref().and_then(us_states::name) {
        Some(name) => format!("{city}, {name}"),
        None => city.clone(),
    };
    if !task.confirmed {
        let args = [
            ("line1", line1),
            ("city_zip", st::city_zip(&city_state, &zip)),
        ];
        e.ask(Ask::YesNo(YesNo::Proceed), p!("confirm_address"), &args);
        return;
    }
    e.change(Change::ChangeAddress {
        order_number: order.order_number.clone(),
        address: AddressRecord {
            line1,
            line2: None,
            city: city.clone(),
            state,
            zip: zip.clone(),
            country: old.map_or_else(|| "US".to_string(), |a| a.country.clone()),
        },
    });
    e.change(Change::Notify {
        channel: Channel::Email,
        template: Notice::AddressChanged,
        order_number: Some(order.order_number.clone()),
        reference: None,
    });
    e.say(
        p!("address_changed"),
        &[("city_zip", st::city_zip(&city_state, &zip))],
    );
    e.complete();
}

/// The state of a new address: the one said, else the one its zip belongs to, else the
/// old one when the zip is in the same area; never the old state for a zip elsewhere.
fn new_state(said: Option<&str>, zip: &str, old: Option<&Address>) -> Option<String> {
    if let Some(code) = said {
        return Some(code.to_string());
    }
    if let Some(code) = us_states::of_zip(zip) {
        return Some(code.to_string());
    }
    let old = old?;
    let area = |z: &str| z.chars().take(3).collect::<String>();
    (area(&old.zip) == area(zip))
        .then(|| old.state.clone())
        .flatten()
}

/// An order waiting for the customer's confirmation: read it, then confirm, cancel,
/// change the address or the date.
pub(crate) fn confirm(e: &mut Engine, facts: &dyn Facts) {
    // "I'm Aisha's friend, just visiting… yes" to "shall I confirm it now?": a
    // confirmation is a change, made only by the one who placed the order.
    if e.acts_for_another(facts) {
        e.say(p!("change_for_someone_else"), &[]);
        e.end_task();
        e.anything_else();
        return;
    }
    let Some(order) = load(e, facts) else { return };
    if order.status != OrderStatus::PendingConfirmation {
        // Calling out, before whoever answered said who they are: nothing of the order,
        // not even how far along it is.
        let unheard = e
            .task_ref()
            .is_some_and(|t| matches!(&t.req, Request::Confirm(c) if c.outbound && !c.who_checked));
        if unheard {
            e.say(p!("confirm_not_needed_unheard"), &[]);
        } else {
            e.say(
                p!("confirm_not_needed"),
                &[("state", status_words(e, order.status))],
            );
        }
        e.complete();
        return;
    }
    // Its payment link was sent in this call: the order goes ahead once paid by card,
    // and is not confirmed for cash as well.
    if e.s.payment_link_sent.as_deref() == Some(order.order_number.as_str()) {
        e.say(p!("confirm_after_link"), &[]);
        e.complete();
        return;
    }
    let task = e.task();
    // An outbound call says nothing of the order until the customer says it is them.
    if task.confirmation().outbound && !task.confirmation().who_checked {
        let name = e.s.callee.clone().unwrap_or_default();
        e.ask(Ask::ConfirmWho, p!("confirm_who"), &[("name", name)]);
        return;
    }
    let task = e.task();
    if !task.confirmed {
        if task.confirmation().read_out {
            // Back from an address or date change: the order was read already.
            e.ask(Ask::ConfirmCall, p!("confirm_after_change"), &[]);
            return;
        }
        e.task().confirmation().read_out = true;
        let place = delivery_place(&order);
        let payment = match order.payment.method {
            PaymentMethod::Cod => e.text(p!("pay_cod"), &[]),
            PaymentMethod::Card => {
                e.text(p!("pay_card"), &[("card", card_words(e, facts, &order))])
            }
        };
        // The delivery day matters to someone who pays at the door.
        let arrival = order
            .estimated_delivery
            .filter(|d| *d >= e.today())
            .map(|d| e.text(p!("confirm_arrival"), &[("date", e.date_words(d))]))
            .unwrap_or_default();
        let owner = owner_words(e, &order, facts);
        let args = [
            ("number", st::digits_grouped(&order.order_number)),
            ("items", items_phrase(&e.catalog, &order)),
            ("total", st::price_cents(order.total.cents())),
            ("payment", payment),
            ("date", e.date_words(order.order_date)),
            ("place", place),
            ("arrival", arrival),
            ("owner", owner),
        ];
        // A waiting order paid by card is read as paid by card, not as cash at the door.
        let key = match order.payment.method {
            PaymentMethod::Cod => p!("confirm_read"),
            PaymentMethod::Card => p!("confirm_read_card"),
        };
        e.ask(Ask::ConfirmCall, key, &args);
        return;
    }
    e.change(Change::ConfirmOrder {
        order_number: order.order_number.clone(),
    });
    if order.payment.method == PaymentMethod::Cod {
        e.s.cod_confirmed.push(order.order_number.clone());
    }
    e.change(Change::Notify {
        channel: Channel::Sms,
        template: Notice::OrderConfirmed,
        order_number: Some(order.order_number.clone()),
        reference: None,
    });
    // A day just set in this turn was said with it; the order read before it still has
    // the old estimate.
    let moved_now = e.step.changes.iter().any(|c| {
        matches!(c, Change::RescheduleDelivery { order_number, .. } if *order_number == order.order_number)
    });
    let est = if moved_now {
        String::new()
    } else {
        estimate_words(e, &order)
    };
    if e.task().confirmation().read_out {
        e.say(p!("order_confirmed"), &[("estimate", est)]);
    } else {
        // Confirmed at "shall I confirm it now?": where it goes was not said yet, and on
        // a household speaker whose order it is.
        let place = delivery_place(&order);
        let owner = owner_words(e, &order, facts);
        e.say(
            p!("order_confirmed_to"),
            &[("estimate", est), ("place", place), ("owner", owner)],
        );
    }
    e.complete();
}

/// Whose order it is, as a confirmation says it: "your", or the household member's name.
fn owner_words(e: &Engine, order: &Order, facts: &dyn Facts) -> String {
    match other_members(e, order, facts) {
        Some(name) => e.text(p!("owner_member"), &[("name", name)]),
        None => e.text(p!("owner_you"), &[]),
    }
}

/// Where an order goes, as a confirmation says it: the city is enough to recognise
/// one's own order; the zip read digit by digit would add seconds to the longest
/// sentence of the call.
fn delivery_place(order: &Order) -> String {
    order
        .shipping_address
        .as_ref()
        .map(|a| match a.city.trim() {
            "" => st::city_zip(&a.city, &a.zip),
            city => city.to_string(),
        })
        .unwrap_or_default()
}

/// Answers to the questions of these requests.
pub(crate) fn answer(e: &mut Engine, ask: &Ask, said: &Said<'_>, facts: &dyn Facts) -> Answer {
    let ent = &said.entities;
    match ask {
        Ask::CancelReason => {
            // A return-style reason answers too ("it's the wrong size", "don't need it").
            let from_return_reason = ent
                .return_reason
                .map(|r| r.as_cancel_reason().unwrap_or(CancelReason::Other));
            // Asked twice, a reason that fits no category is still the caller's reason:
            // "other", rather than a third question.
            let unclassified = e.s.misses >= 1
                && said.words.len() >= 2
                && !matches!(
                    said.intent,
                    Intent::Affirm
                        | Intent::Deny
                        | Intent::Repeat
                        | Intent::Help
                        | Intent::EndConversation
                        | Intent::SpeakToAgent
                )
                && Goal::from_intent(said.intent).is_none_or(|g| g == Goal::Cancel);
            // "Just cancel it" when asked why: the caller wants it done, not to say why.
            let just_cancel = said.intent == Intent::CancelOrder
                && said.words.len() <= 4
                && said.entities.order_number.is_none();
            let reason = ent.cancel_reason.or(from_return_reason).or_else(|| {
                (e.phrases().any("no_reason", &said.words) || unclassified || just_cancel)
                    .then_some(CancelReason::Other)
            });
            // "Just the red t-shirt, I ordered the wrong size, keep the yoga mats": one
            // item of several named with the reason; the order is never widened to it
            // without a yes, so whether to cancel it whole is asked next.
            // A product named only as part of the reason ("I found the skillet cheaper")
            // singles nothing out.
            let names_one_item = !e.task().cancel().whole_order_agreed
                && e.focus_order(facts)
                    .is_some_and(|order| item_dropped(e, &said.words, &order).is_some());
            if names_one_item {
                e.task().words = said.words.clone();
            }
            match reason {
                Some(r) => {
                    e.task().cancel().cancel_reason = Some(r);
                    Answer::Filled
                }
                None if names_one_item => {
                    e.task().cancel().cancel_reason = Some(CancelReason::Other);
                    Answer::Filled
                }
                None => Answer::Missed,
            }
        }
        Ask::Date => match ent
            .date
            .or_else(|| day_meant_without_a_date(e, said, facts))
            .or_else(|| pickup_any_day(e, said))
        {
            Some(d) => {
                let d = due_weekday_meant(e, d, said, facts);
                *e.task().day() = Some(d);
                if ent.time_slot.is_some() {
                    *e.task().slot() = ent.time_slot;
                }
                // "Any day, any time", "Saturday please, any time of day is fine": the
                // day and no slot.
                let any_time = e.phrases().any("any_time", &said.words);
                if any_time && ent.time_slot.is_none() && e.task().goal() == Goal::Reschedule {
                    e.task().reschedule().any_slot = true;
                }
                Answer::Filled
            }
            // "Any time is fine" before a day is said: the time is settled, the day is
            // still asked.
            None if e.task().goal() == Goal::Reschedule
                && e.phrases().any("any_time", &said.words) =>
            {
                e.task().reschedule().any_slot = true;
                e.ask(Ask::Date, p!("ask_day_any_time"), &[]);
                Answer::Handled
            }
            // "Morning" before a day is said: the part of the day is kept, the day asked.
            None if ent.time_slot.is_some() => {
                *e.task().slot() = ent.time_slot;
                let slot = ent.time_slot.map(|s| slot_words(e, s)).unwrap_or_default();
                e.ask(Ask::Date, p!("ask_day_slot_kept"), &[("slot", slot)]);
                Answer::Handled
            }
            None => Answer::Missed,
        },
        // "No, I said Tuesday the seventeenth" at "which part of Wednesday?": the day is
        // corrected, and the part of the day asked for that day.
        // "No, Saturday, I said Saturday. Any time of day is fine": the day, and no slot.
        Ask::Slot if ent.date.is_some_and(|d| Some(d) != *e.task().day()) => {
            *e.task().day() = ent.date;
            *e.task().slot() = ent.time_slot;
            let any_time = e.phrases().any("any_time", &said.words);
            if any_time && ent.time_slot.is_none() && e.task().goal() == Goal::Reschedule {
                e.task().reschedule().any_slot = true;
            }
            Answer::Filled
        }
        Ask::Slot => match ent.time_slot {
            Some(s) => {
                *e.task().slot() = Some(s);
                Answer::Filled
            }
            // A delivery may come at any time of the day; a courier's pickup needs a slot.
            None if e.task().goal() == Goal::Reschedule
                && (e.no_preference(said) || e.phrases().any("soonest", &said.words)) =>
            {
                e.task().reschedule().any_slot = true;
                Answer::Filled
            }
            // "Any time is fine" for a courier: the first slot, read back before booking.
            None if is_pickup(e) && e.no_preference(said) => {
                *e.task().slot() = Some(TimeSlot::Morning);
                Answer::Filled
            }
            None => Answer::Missed,
        },
        Ask::Street => match &said.address {
            Some(heard) => {
                merge_address(e.task().address(), heard);
                Answer::Filled
            }
            None => Answer::Missed,
        },
        // "24 Brattle Street" at "which city?": the street said again, never a city.
        Ask::City if said.address.is_some() => {
            if let Some(heard) = &said.address {
                merge_address(e.task().address(), heard);
            }
            Answer::Filled
        }
        Ask::City => match said.city.clone().or_else(|| same_city(e, said, facts)) {
            Some(city) => {
                e.task().address().city = Some(city);
                e.task().address().state = said.city_state.clone();
                if let Some(z) = &ent.zip_code {
                    e.task().address().zip = Some(z.clone());
                }
                Answer::Filled
            }
            None => Answer::Missed,
        },
        Ask::Zip => match &ent.zip_code {
            Some(z) => {
                e.task().address().zip = Some(z.clone());
                Answer::Filled
            }
            None => Answer::Missed,
        },
        Ask::ConfirmCall => confirm_call(e, said, facts),
        Ask::ConfirmWho => confirm_who(e, said, facts),
        Ask::CallbackTime => callback_time(e, said),
        _ => Answer::Missed,
    }
}

/// The city on the order, when the caller says it stays the same ("same city").
fn same_city(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> Option<String> {
    if !said.has(Cue::Unchanged) {
        return None;
    }
    let number = e.task_ref()?.order.clone()?;
    facts
        .order(&number)
        .ok()
        .flatten()?
        .shipping_address
        .map(|a| a.city)
        .filter(|c| !c.trim().is_empty())
}

/// Who answered an outbound call: the customer goes on to the order; anyone else hears
/// nothing about it and is offered a call back; a bad moment books one.
fn confirm_who(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> Answer {
    let yes = e.yes_no(said);
    let its_them = yes == Some(true) || e.phrases().any("its_me", &said.words);
    // "No, she's upstairs, hold on, I'll get her": whoever answered fetches the
    // customer; nothing is said of the order, and the question waits for them.
    if !its_them && e.phrases().any("fetches_them", &said.words) {
        let name = e.s.callee.clone().unwrap_or_default();
        e.ask(Ask::ConfirmWho, p!("hold_for_callee"), &[("name", name)]);
        return Answer::Handled;
    }
    // "No, Noah's not in… actually yeah, it's me": whoever said the customer was not
    // there is not believed to be the customer a moment later.
    let changed_story = e.s.someone_else_answered && its_them;
    if changed_story || says_not_them(e, said) || (yes == Some(false) && !said.has(Cue::CallBack)) {
        return not_them(e, said);
    }
    if said.has(Cue::CallBack) {
        return ask_callback(e, said);
    }
    // "Who's asking?": who calls and why, and the question again; nothing of the order.
    // "Just cancel it" or "what did he order?" before saying who they are: the same,
    // whoever asks.
    let acts_on_the_order = Goal::from_intent(said.intent).is_some_and(|g| g.needs_order());
    if !its_them && (e.phrases().any("who_calls", &said.words) || acts_on_the_order) {
        // Asked twice and still not said: as for anyone else, a call back is offered.
        e.task().confirmation().dodged += 1;
        if e.task().confirmation().dodged > 2 {
            let name = e.s.callee.clone().unwrap_or_default();
            e.ask(
                Ask::YesNo(YesNo::CallBack),
                p!("confirm_not_them"),
                &[("name", name)],
            );
            return Answer::Handled;
        }
        let store = e.config().store.name.clone();
        let name = e.s.callee.clone().unwrap_or_default();
        e.ask(
            Ask::ConfirmWho,
            p!("confirm_who_calls"),
            &[("store", store), ("name", name)],
        );
        return Answer::Handled;
    }
    if its_them {
        e.task().confirmation().who_checked = true;
        if let Some(number) = e.s.called_about.clone() {
            if !e.s.verified.contains(&number) {
                e.s.verified.push(number.clone());
            }
            e.s.focus = Some(number);
        }
        // "Yes it's me, but deliver it to my work": the request said with the yes is the
        // answer to the call, taken up at once.
        let request = matches!(
            said.intent,
            Intent::ChangeAddress | Intent::RescheduleDelivery | Intent::CancelOrder
        ) || e.phrases().any("deliver_elsewhere", &said.words);
        if request {
            e.ask = Ask::Nothing;
            return match confirm_call(e, said, facts) {
                Answer::Missed => Answer::Filled,
                handled => handled,
            };
        }
        return Answer::Filled;
    }
    Answer::Missed
}

/// Whether whoever answered the shop's call says they are someone else: "I'm her
/// roommate", "not Vera", "I'm Vera's sister".
pub(crate) fn says_not_them(e: &Engine, said: &Said<'_>) -> bool {
    if said.has(Cue::NotThem) {
        return true;
    }
    let Some(name) = e.s.callee.as_deref().map(str::to_lowercase) else {
        return false;
    };
    // "She's in the shower", "he's at work": the one asked for is not the one here.
    if e.phrases().any("callee_away", &said.words) {
        return true;
    }
    let possessive = format!("{name}'s");
    let relation = |w: Option<&String>| {
        w.is_some_and(|n| e.phrases().any("relation", std::slice::from_ref(n)))
    };
    said.words.iter().enumerate().any(|(i, w)| {
        let next = said.words.get(i + 1);
        // "Not Vera", "Vera's husband", "Vera's my mum", "Noah's not in".
        (w == "not" && next.map(String::as_str) == Some(name.as_str()))
            || (*w == possessive
                && (relation(next)
                    || next.is_some_and(|n| n == "not" || n == "out" || n == "away")
                    || (next.is_some_and(|n| n == "my") && relation(said.words.get(i + 2)))))
    })
}

/// "I'm her roommate, she's out": whoever answered the shop's call says they are not the
/// customer, at the first question or later. Nothing more of the order is said or done;
/// a call back is offered (or booked, when a time was said with it).
pub(crate) fn not_them(e: &mut Engine, said: &Said<'_>) -> Answer {
    answered_by_someone_else(e);
    if let Some(task) = e.task.as_mut() {
        task.become_goal(Goal::Confirm);
        task.told = true;
        task.resume = None;
    }
    let name = e.s.callee.clone().unwrap_or_default();
    // "She's at work, call back tomorrow": the time is booked without being asked. The
    // numbers of an address said with it are no time.
    if names_a_callback_time(said) && said.address.is_none() {
        e.say(p!("confirm_not_them_noted"), &[("name", name)]);
        book_callback(e, said.entities.date, said.entities.time_slot);
        return Answer::Handled;
    }
    e.ask(
        Ask::YesNo(YesNo::CallBack),
        p!("confirm_not_them"),
        &[("name", name)],
    );
    Answer::Handled
}

/// Whoever answered the shop's call is not the customer: the order called about is not
/// theirs to hear about or act on.
pub(crate) fn answered_by_someone_else(e: &mut Engine) {
    e.s.someone_else_answered = true;
    // "I'm his roommate … send it to my work instead": whatever they prove next, they
    // speak for the customer, and change nothing of the order in this call.
    e.s.for_someone_else = true;
    if let Some(number) = e.s.called_about.clone() {
        e.s.verified.retain(|v| *v != number);
        e.s.focus = None;
    }
}

/// Whether the words give a time to call back: a day, a part of the day, or "any time".
pub(crate) fn names_a_callback_time(said: &Said<'_>) -> bool {
    said.entities.date.is_some() || said.entities.time_slot.is_some() || said.has(Cue::AnyTime)
}

/// "Call me back later": the time said is booked, else it is asked.
fn ask_callback(e: &mut Engine, said: &Said<'_>) -> Answer {
    if names_a_callback_time(said) {
        book_callback(e, said.entities.date, said.entities.time_slot);
    } else {
        e.ask(Ask::CallbackTime, p!("ask_callback_time"), &[]);
    }
    Answer::Handled
}

/// The answer to "when shall we call back?".
fn callback_time(e: &mut Engine, said: &Said<'_>) -> Answer {
    let (date, slot) = (said.entities.date, said.entities.time_slot);
    if date.is_some() || slot.is_some() || said.has(Cue::AnyTime) {
        book_callback(e, date, slot);
        return Answer::Handled;
    }
    if e.yes_no(said) == Some(false) {
        decide_callback(e, false);
        return Answer::Handled;
    }
    Answer::Missed
}

/// A yes or no to "shall we call back another time?".
pub(crate) fn decide_callback(e: &mut Engine, yes: bool) {
    if yes {
        e.ask(Ask::CallbackTime, p!("ask_callback_time"), &[]);
        return;
    }
    e.say(p!("callback_declined"), &[]);
    e.end_task();
    e.s.ended = true;
}

/// Books the call back and ends this call. A slot without a day is today's when it is
/// still to come, else tomorrow's.
fn book_callback(e: &mut Engine, date: Option<NaiveDate>, slot: Option<TimeSlot>) {
    let Some(number) = e.s.called_about.clone().or_else(|| e.task().order.clone()) else {
        e.drop_task();
        return;
    };
    let date = date.or_else(|| slot.map(|_| e.today()));
    let when = match (date, slot) {
        (Some(d), Some(s)) => format_when(e, d, Some(s)),
        (Some(d), None) => format_when(e, d, None),
        _ => e.text(p!("callback_any_time"), &[]),
    };
    e.change(Change::ScheduleCallback {
        order_number: number,
        date,
        slot,
    });
    e.say(p!("callback_booked"), &[("when", when)]);
    e.end_task();
    e.s.ended = true;
}

fn format_when(e: &Engine, d: NaiveDate, slot: Option<TimeSlot>) -> String {
    match slot {
        Some(s) => e.text(
            p!("callback_day_slot"),
            &[("date", e.date_words(d)), ("slot", slot_words(e, s))],
        ),
        None => e.date_words(d),
    }
}

/// "Text me that card payment link", "and the card link?": the payment link asked for
/// by name (not refused), after it was offered or with a word that sends it.
pub(crate) fn wants_the_payment_link(e: &Engine, said: &Said<'_>) -> bool {
    let ph = e.phrases();
    ph.any("payment_link_named", &said.words)
        && (e.s.payment_link_offered.is_some() || ph.any("firm_yes", &said.words))
        && !said.has(Cue::Negated)
        && !ph.any("declines", &said.words)
}

/// "And the card link?" once the confirmation call's request is over: the link offered
/// earlier in the call is sent for its order, while that order is still paid in cash.
pub(crate) fn send_offered_link(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    if e.task.is_some() {
        return false;
    }
    // Asked again once sent: it is on its way, not sent twice.
    let named = e.phrases().any("payment_link_named", &said.words) && !said.has(Cue::Negated);
    if e.s.payment_link_sent.is_some() && e.s.payment_link_offered.is_none() && named {
        e.say(p!("payment_link_already_sent"), &[]);
        e.anything_else();
        return true;
    }
    let Some(number) = e.s.payment_link_offered.clone() else {
        return false;
    };
    if !wants_the_payment_link(e, said) {
        return false;
    }
    let cod = matches!(facts.order(&number), Ok(Some(o)) if o.payment.method == PaymentMethod::Cod
        && matches!(o.status, OrderStatus::PendingConfirmation | OrderStatus::Processing));
    if !cod {
        return false;
    }
    let mut task = Task::new(
        Goal::Confirm,
        said.words.clone(),
        Vec::new(),
        Default::default(),
    );
    task.order = Some(number);
    e.task = Some(task);
    send_payment_link(e, true, facts);
    true
}

/// "Can I pay by card instead?" of a cash-on-delivery order: the secure link to pay by
/// card now is offered. "Can I pay by card at the door?" hears first that the order is
/// paid in cash to the courier.
fn offer_payment_link(e: &mut Engine, order: &Order, words: &[String]) {
    e.s.payment_link_offered = Some(order.order_number.clone());
    let key = if e.phrases().any("at_the_door", words) {
        p!("offer_payment_link_door")
    } else {
        p!("offer_payment_link")
    };
    e.ask(Ask::YesNo(YesNo::PaymentLink), key, &[]);
}

/// "Can I pay by card instead?" on a cash-on-delivery confirmation: a secure link by
/// text, never card digits by voice; the order stays unconfirmed until it is paid.
pub(crate) fn send_payment_link(e: &mut Engine, yes: bool, facts: &dyn Facts) {
    let Some(order) = load(e, facts) else { return };
    // An order confirmed for cash in this call is not paid by a link as well.
    if yes && e.s.cod_confirmed.contains(&order.order_number) {
        e.s.payment_link_offered = None;
        e.say(
            p!("cash_after_confirming"),
            &[("total", st::price_cents(order.total.cents()))],
        );
        e.end_task();
        e.anything_else();
        return;
    }
    let on_the_call = e.task_ref().is_some_and(|t| t.goal() == Goal::Confirm);
    if !yes && on_the_call {
        e.ask(Ask::ConfirmCall, p!("confirm_after_change"), &[]);
        return;
    }
    if !yes {
        // Asked on a call of the caller's own: cash on delivery it stays.
        e.s.payment_link_offered = None;
        e.say(p!("payment_stays_cash"), &[]);
        e.end_task();
        e.anything_else();
        return;
    }
    e.change(Change::Notify {
        channel: Channel::Sms,
        template: Notice::PaymentLink,
        order_number: Some(order.order_number.clone()),
        reference: None,
    });
    e.s.payment_link_offered = None;
    e.s.payment_link_sent = Some(order.order_number.clone());
    e.say(p!("payment_link_sent"), &[]);
    e.end_task();
    e.anything_else();
}

/// What a question asked with a confirmation ("yes, I confirm; how much cash do I
/// need?") is answered with: the amount due, the items, or the city and zip the order
/// goes to (never the street). None when no such question was asked.
fn confirm_side_answer(
    e: &Engine,
    said: &Said<'_>,
    order: &Order,
) -> Option<(&'static str, Vec<(&'static str, String)>)> {
    let ph = e.phrases();
    let total = st::price_cents(order.total.cents());
    if ph.any("asks_amount_due", &said.words) || said.has(Cue::OtherPayment) {
        let key = match order.payment.method {
            PaymentMethod::Cod if ph.any("asks_change", &said.words) => p!("exact_change_cod"),
            PaymentMethod::Cod => p!("amount_due_cod"),
            PaymentMethod::Card => p!("amount_due_card"),
        };
        return Some((key, vec![("total", total)]));
    }
    if ph.any("order_read", &said.words) {
        let items = st::list_and(&item_lines(order));
        return Some((
            p!("items_on_order"),
            vec![("items", items), ("total", total)],
        ));
    }
    if ph.any("asks_address", &said.words) {
        let place = order
            .shipping_address
            .as_ref()
            .map(|a| st::city_zip(&a.city, &a.zip))?;
        return Some((p!("going_to_place"), vec![("place", place)]));
    }
    None
}

/// The answer to an order confirmation call.
fn confirm_call(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> Answer {
    let mut intent = said.intent;
    let yes = e.yes_no(said);
    // "Deliver it to my work instead" reads as no request the classifier is sure of.
    if e.phrases().any("deliver_elsewhere", &said.words) && intent != Intent::CancelOrder {
        intent = Intent::ChangeAddress;
    }
    // "I never ordered this": not confirmed, not cancelled on a stranger's word either;
    // a person looks into it.
    if e.phrases().any("never_ordered", &said.words) {
        e.hand_off(HandOffReason::Disputed);
        return Answer::Handled;
    }
    if said.has(Cue::CallBack) && intent != Intent::CancelOrder {
        return ask_callback(e, said);
    }
    // Read once for every answer below; an order gone or unreadable was said so, and the
    // call's request was dropped with it.
    let Some(order) = load(e, facts) else {
        return Answer::Handled;
    };
    // "Confirm it then, and text me that card payment link": the link is what is
    // wanted, and the order goes ahead once it is paid.
    if order.payment.method == PaymentMethod::Cod
        && wants_the_payment_link(e, said)
        && intent != Intent::CancelOrder
    {
        send_payment_link(e, true, facts);
        return Answer::Handled;
    }
    // "Could I make it two of the skillets first?": the count is fixed once ordered.
    if yes.is_none() && count_fixed(e, said, facts) {
        e.ask(Ask::ConfirmCall, p!("confirm_after_change"), &[]);
        return Answer::Handled;
    }
    // "What address do you have?": the city and zip, never the street, and the order is
    // asked about again.
    // "I don't want to change it if it's right, is it Brattle Street?" is the same
    // question: the street is never confirmed or denied to a guess.
    let ph = e.phrases();
    let asks_address = ph.any("asks_address", &said.words) || ph.any("no_change", &said.words);
    // "Yes, I confirm. Will the driver have change?": the confirmation said stands, and
    // the question is answered before it, not asked back as a reason to confirm again.
    // A yes with a change ("yes, I confirm, but could it come on the 19th?") is settled
    // by the change first, below.
    // "I confirm it, does the driver carry change?" read as a question is still the yes.
    let firm = yes.is_none()
        && ph.any("confirm_firm", &said.words)
        && !ph.any("holds_the_yes", &said.words);
    let confirms = (yes == Some(true) || firm)
        && ph.any("confirm_word", &said.words)
        && !matches!(
            intent,
            Intent::CancelOrder | Intent::ChangeAddress | Intent::RescheduleDelivery
        )
        && said.entities.date.is_none()
        && said.entities.time_slot.is_none()
        && !said.has(Cue::Withdraw);
    if confirms {
        if let Some((key, args)) = confirm_side_answer(e, said, &order) {
            e.say(key, &args);
        }
        e.task().confirmed = true;
        return Answer::Filled;
    }
    if asks_address && intent != Intent::CancelOrder {
        let place = order
            .shipping_address
            .as_ref()
            .map(|a| st::city_zip(&a.city, &a.zip))
            .unwrap_or_default();
        e.ask(
            Ask::ConfirmCall,
            p!("confirm_address_on_file"),
            &[("place", place)],
        );
        return Answer::Handled;
    }
    // "How much cash do I need?": the order's total and how it is paid, and the order
    // asked about again; never a policy passage. "Yes, I'll have the cash ready" asks
    // nothing: it is the yes.
    let says_yes_only = e.yes_no(said) == Some(true) && !e.asks_a_question(said.heard);
    if e.phrases().any("asks_amount_due", &said.words)
        && intent != Intent::CancelOrder
        && !says_yes_only
    {
        let key = match order.payment.method {
            // "Does the driver carry change?": the exact amount is best.
            PaymentMethod::Cod if e.phrases().any("asks_change", &said.words) => {
                p!("confirm_exact_change_cod")
            }
            PaymentMethod::Cod => p!("confirm_amount_cod"),
            PaymentMethod::Card => p!("confirm_amount_card"),
        };
        e.ask(
            Ask::ConfirmCall,
            key,
            &[("total", st::price_cents(order.total.cents()))],
        );
        return Answer::Handled;
    }
    // "What's the one more item?", "read me the order again": every item, then the order
    // asked about again.
    if e.phrases().any("order_read", &said.words) && intent != Intent::CancelOrder {
        let lines = item_lines(&order);
        e.ask(
            Ask::ConfirmCall,
            p!("confirm_items"),
            &[
                ("items", st::list_and(&lines)),
                ("total", st::price_cents(order.total.cents())),
            ],
        );
        return Answer::Handled;
    }
    // "Can I pay by card?": asked before anything is confirmed or cancelled.
    let cod = order.payment.method == PaymentMethod::Cod;
    if cod && said.has(Cue::OtherPayment) && intent != Intent::CancelOrder {
        offer_payment_link(e, &order, &said.words);
        return Answer::Handled;
    }
    // "I don't want the belt any more, just the mouse": one item of the order dropped is
    // the choice a one-item cancellation offers, never the whole order without a yes.
    let dropped = item_dropped(e, &said.words, &order);
    // "Actually I changed my mind, I don't want it any more": a reason to cancel, said
    // without the word; the cancellation is still read back before anything is done.
    let cancel_reason_given = said.entities.cancel_reason.is_some() && yes != Some(true);
    // A plain "no" on a call the customer made ("shall I confirm it now?") leaves the
    // order waiting; only on the shop's own confirmation call does it lead to the
    // cancellation read-back.
    let outbound = e.task().confirmation().outbound;
    if said.has(Cue::Withdraw) || (yes == Some(false) && !outbound && intent != Intent::CancelOrder)
    {
        e.say(p!("confirm_left_pending"), &[]);
        e.end_task();
        e.anything_else();
        return Answer::Handled;
    }
    if intent == Intent::CancelOrder
        || dropped.is_some()
        || cancel_reason_given
        || (yes == Some(false) && intent != Intent::ChangeAddress)
    {
        let task = e.task();
        if let Some(sku) = dropped.or_else(|| said.entities.product.clone()) {
            task.heard.product = Some(sku);
        }
        task.become_goal(Goal::Cancel);
        task.confirmed = false;
        task.cancel().cancel_reason = said.entities.cancel_reason;
        e.ask = Ask::Nothing;
        cancel(e, facts);
        return Answer::Handled;
    }
    if matches!(intent, Intent::ChangeAddress | Intent::RescheduleDelivery) {
        let goal = if intent == Intent::ChangeAddress {
            Goal::ChangeAddress
        } else {
            Goal::Reschedule
        };
        let mut paused = e.task.take().expect("a confirmation is in progress");
        // "Yes, I confirm. But could it come Wednesday?": the confirmation said stands once
        // the day is settled, not asked for again. A bare "yes, but ..." is a condition:
        // the order is asked about again after the change.
        paused.confirmed = yes == Some(true) && e.phrases().any("confirm_word", &said.words);
        // Only the day and slot said carry over: the call's other answers are its own.
        let when = Entities {
            date: said.entities.date,
            time_slot: said.entities.time_slot,
            ..Entities::default()
        };
        let mut task = Task::new(goal, said.words.clone(), said.cues.clone(), when);
        task.order = paused.order.clone();
        task.resume = Some(Box::new(paused));
        // "Yes, but deliver it to my work: 1500 Blake Street, Denver": kept through the
        // check, not asked again.
        if let (Goal::ChangeAddress, Some(heard)) = (goal, &said.address) {
            merge_address(task.address(), heard);
        }
        e.task = Some(task);
        e.ask = Ask::Nothing;
        e.advance(facts);
        return Answer::Handled;
    }
    // "Oh right, the jeans. Can I change them to a 36?": a change of size or colour is
    // no yes; it cannot be made before the order ships, and the order is asked about
    // again as it is.
    if intent == Intent::ExchangeItem && said.confidence >= e.config().dialog.switch_confidence {
        e.ask(Ask::ConfirmCall, p!("confirm_no_variant_change"), &[]);
        return Answer::Handled;
    }
    if yes == Some(true) {
        e.task().confirmed = true;
        return Answer::Filled;
    }
    Answer::Missed
}

/// "Hmm, wait. When is it supposed to arrive?" in the middle of a cancellation, a new
/// address or a new day: the arrival of the order in focus, then the pending question
/// again. Nothing is decided by the question, and a "don't cancel yet" with it keeps the
/// request open. False, with nothing said, for anything else (a yes with it goes ahead).
pub(crate) fn tells_arrival_mid_request(
    e: &mut Engine,
    said: &Said<'_>,
    facts: &dyn Facts,
) -> bool {
    let about_the_order = e.task.as_ref().is_some_and(|t| {
        matches!(
            t.goal(),
            Goal::Cancel | Goal::ChangeAddress | Goal::Reschedule
        )
    });
    if !about_the_order
        || matches!(e.ask, Ask::Nothing | Ask::YesNo(YesNo::ConfirmPending))
        || e.yes_no(said) == Some(true)
        || !e.asks_a_question(said)
        || !e.asks_when_it_arrives(&said.words)
    {
        return false;
    }
    let Some(order) = e.focus_order(facts).filter(|o| o.status.is_still_to_come()) else {
        return false;
    };
    let Some(date) = order.estimated_delivery else {
        return false;
    };
    let date = e.date_words(date);
    e.say(p!("purchase_arrives"), &[("date", date)]);
    e.say(p!("back_to_question"), &[]);
    e.say_pending_question(false);
    true
}

/// "If she confirms, when would they arrive?" at "shall I confirm it now?": the day the
/// order should come once confirmed, then the question again; a "no" said with it still
/// leaves the order waiting. False, saying nothing, for other words or no known day.
pub(crate) fn tells_pending_arrival(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    let yes = e.yes_no(said);
    if yes == Some(true) || !e.asks_when_it_arrives(&said.words) {
        return false;
    }
    let Some(date) = e.focus_order(facts).and_then(|o| o.estimated_delivery) else {
        return false;
    };
    let date = e.date_words(date);
    e.say(p!("pending_arrives"), &[("date", date)]);
    if yes == Some(false) {
        e.say(p!("confirm_left_pending"), &[]);
        e.complete();
    } else {
        e.ask(
            Ask::YesNo(YesNo::ConfirmPending),
            p!("confirm_now_again"),
            &[],
        );
    }
    true
}

/// The carrier's latest scan that has happened by now: an event stamped later (a clock
/// ahead of the device's, or a planned step) is not told as news.
fn last_scan<'o>(e: &Engine, order: &'o Order) -> Option<&'o TrackingEvent> {
    order.tracking_events.iter().rev().find(|ev| ev.at <= e.now)
}

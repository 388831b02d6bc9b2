//! Buying by voice for known households: placing an order (product and quantity from
//! the catalog, stock, price and shipping, read-back and explicit confirmation before
//! anything is created), reordering "the usual" or the last order, and subscriptions
//! (create with a frequency, pause, resume, skip the next delivery, change frequency or
//! quantity, cancel).

use chrono::{Datelike, Duration, NaiveDate, Timelike};

use crate::facts::Facts;
use crate::identity;
use crate::request::{CardAsked, Request};
use crate::speak::{
    self, add_business_days, by_size, card_words, distinct, every, spoken_size_and_colour,
};
use crate::{p, Answer, Ask, Engine, Goal, Said, SubAction, Task, YesNo};
use voxorder_domain::change::{Change, Channel, HandOffReason, Notice, SubscriptionAction};
use voxorder_domain::intent::Intent;
use voxorder_domain::interpretation::{Cue, Interpretation};
use voxorder_domain::order::{
    ItemRecord, Money, Order, OrderRecord, Payment, PaymentMethod, ShippingMethod,
};
use voxorder_domain::product_words as pw;
use voxorder_domain::records::{Product, PurchasedItem, Subscription, SubscriptionStatus};
use voxorder_domain::speech_text as st;

/// The caller's account, verified; asks for it when unknown. None while asking.
fn customer(e: &mut Engine, facts: &dyn Facts) -> Option<i64> {
    if let Some(id) = e.s.customer.filter(|&id| id >= 0) {
        return Some(id);
    }
    // "Just reorder the same things then" after the caller proved an order: the account
    // that placed it.
    if let Some(id) = focus_account(e, facts) {
        e.s.customer = Some(id);
        return Some(id);
    }
    if identity::refuses_more_checks(e) {
        return None;
    }
    // A phone said with the request finds the account through its orders.
    if identity::by_phone(e, facts).is_some() {
        return e.s.customer.filter(|&id| id >= 0);
    }
    e.ask(Ask::AccountEmail, p!("ask_account_email"), &[]);
    None
}

/// The account behind the order in focus, when the caller proved that order with a
/// fact only its customer knows (or, with an unproved order in focus, behind the order
/// last proved by its number).
fn focus_account(e: &Engine, facts: &dyn Facts) -> Option<i64> {
    let focus = spending_order(e)?;
    let email = facts.order(focus).ok()??.customer.email?;
    Some(facts.customer_by_email(&email).ok()??.id)
}

/// The order whose account a purchase is charged to: the one in focus, or the last one
/// proved, as long as the caller said its number.
fn spending_order(e: &Engine) -> Option<&String> {
    // An order placed (or cancelled) in this call is in focus after it: the order
    // proved before it by its number still shows whose account this is. One found by a
    // phone or an email, and proved with a second fact, never spends its customer's
    // money.
    let by_number = || {
        e.s.proved
            .iter()
            .rev()
            .find(|n| e.s.said_numbers.contains(n))
    };
    // An order picked from the list an email and a phone found is in focus and proved,
    // but not by its number: it spends nothing either.
    e.s.focus
        .as_ref()
        .filter(|n| e.s.proved.contains(n) && e.s.said_numbers.contains(n))
        .or_else(by_number)
}

/// "Order 1000000000011, zip 78701. Two more tees please": a billing zip is guessed
/// from the city, so a purchase on the saved card waits for the order's email or phone
/// as well. True when the order behind the purchase was proved by one of them (or the
/// household's speaker vouches); false while it is asked.
fn spending_proved(e: &mut Engine) -> bool {
    if e.s.speaker.is_some() {
        return true;
    }
    let Some(number) = spending_order(e).cloned() else {
        return true;
    };
    if e.s.proved_strongly.contains(&number) {
        e.s.spending_needs_strong = false;
        return true;
    }
    e.s.spending_needs_strong = true;
    e.s.heard_order = Some(number);
    e.s.heard_factors = None;
    e.ask(Ask::Factor, p!("ask_strong_fact_before_spending"), &[]);
    false
}

/// Whether a repeat is of the order just discussed ("reorder the same things", "order it
/// again").
fn repeats_the_focus(e: &Engine) -> bool {
    e.s.focus.is_some()
        && e.task_ref()
            .is_some_and(|t| e.phrases().any("same_things", &t.words))
}

fn product(e: &mut Engine, sku: &str, facts: &dyn Facts) -> Option<Product> {
    match facts.product(sku) {
        Ok(Some(p)) if p.active => Some(p),
        Ok(_) => None,
        Err(err) => {
            e.store_trouble(&err);
            None
        }
    }
}

/// The catalog category of gift cards.
const GIFT_CARD_CATEGORY: &str = "gift_card";

/// What a line spends on gift cards, in cents: its whole value when the line is of
/// gift cards, nothing otherwise. The one count the gift-card ceiling adds up, over a
/// cart, the orders of the call and the household's orders of the day.
fn gift_card_cents(category: &str, qty: u32, price_cents: i64) -> i64 {
    if category == GIFT_CARD_CATEGORY {
        i64::from(qty) * price_cents
    } else {
        0
    }
}

fn quantity_ok(e: &mut Engine) -> bool {
    let max = e.config().policy.orders.max_voice_quantity;
    match *e.task().quantity() {
        Some(0) => {
            e.say(p!("quantity_zero"), &[]);
            *e.task().quantity() = None;
            false
        }
        Some(q) if q > max => {
            e.say(
                p!("quantity_too_many"),
                &[("max", st::number_words(u64::from(max)))],
            );
            *e.task().quantity() = None;
            false
        }
        _ => true,
    }
}

fn line_words(name: &str, qty: u32) -> String {
    // A purchase says its count even for one: it is what the caller is agreeing to.
    pw::counted(name, qty)
}

/// The name of a product no longer sold: from the catalog row it keeps, or the
/// customer's own orders.
fn unavailable_name(sku: &str, customer: i64, facts: &dyn Facts) -> Option<String> {
    if let Ok(Some(p)) = facts.product(sku) {
        return Some(p.name);
    }
    facts
        .purchase_history(customer)
        .ok()?
        .into_iter()
        .find(|i| i.sku == sku)
        .map(|i| i.name)
}

/// "Can you send me the same candle again?" where no household speaker vouches for the
/// caller: one of their orders, proved by its number and a fact on it, shows whose
/// saved card and address to use. The number is asked for (or the one said is checked)
/// and the purchase goes on once proved. True when proved now; false while asking, or
/// when this call may prove nothing more, or proved an account only by email or phone
/// (too widely known to spend someone's money on), which is said.
fn order_proved_for(e: &mut Engine, facts: &dyn Facts) -> bool {
    let account_only = e.s.customer.is_some() && e.s.heard_order.is_none();
    if account_only || (e.s.heard_order.is_none() && e.s.focus.is_some()) {
        e.say(p!("order_needs_speaker"), &[]);
        e.complete();
        return false;
    }
    if e.s.heard_order.is_none() {
        if !identity::refuses_more_checks(e) {
            e.s.spending_needs_strong = true;
            e.ask(Ask::OrderNumber, p!("order_needs_number"), &[]);
        }
        return false;
    }
    // "The same again please, order 5270…": the number said with the purchase is asked
    // its email or phone, not a zip that would then be turned down.
    let heard_proved =
        e.s.heard_order
            .as_ref()
            .is_some_and(|n| e.s.proved_strongly.contains(n));
    if !heard_proved {
        e.s.spending_needs_strong = true;
    }
    identity::resolve_order(e, facts) && focus_account(e, facts).is_some()
}

/// "The order is 1000…011, my phone is 512…. I want two more of the navy tees in
/// medium": what the purchase waiting on the check is of, said with the facts that
/// prove the caller, is kept: the count, the product when none was named yet, and the
/// size or colour said of the one named.
pub(crate) fn take_purchase_details(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) {
    if !purchasing(e) || !e.task().purchase().cart.is_empty() {
        return;
    }
    if let Some(q) = said.entities.quantity.filter(|&q| q > 0) {
        if e.task().quantity().is_none() {
            *e.task().quantity() = Some(q);
        }
    }
    let Some(heard) = said.entities.product.clone() else {
        return;
    };
    match e.task().product().clone() {
        None => *e.task().product() = Some(heard),
        // "…of the navy tees in medium": the size and colour said are the variant's
        // answer, as if given to "which size?".
        Some(sku) if identity::same_product(&sku, &heard, facts) => {
            let words = said.words.clone();
            e.task().purchase().variant_words.extend(words);
        }
        Some(_) => {}
    }
}

/// A product's price or stock was told in this turn or the one before it.
pub(crate) fn product_just_answered(e: &Engine) -> bool {
    e.s.product_answered_at
        .is_some_and(|at| e.s.turns.saturating_sub(at) <= 1)
}

/// Placing an order or reordering.
pub(crate) fn purchase(e: &mut Engine, facts: &dyn Facts) {
    // A guest of the household buys nothing on its saved card by its speaker.
    if e.s.guest && e.s.speaker.is_some() {
        e.say(p!("guest_cannot_order"), &[]);
        e.complete();
        return;
    }
    // "Put it on my mom's account": an account is spent on by its holder alone.
    if e.s.anothers_account && e.s.speaker.is_none() {
        e.say(p!("order_on_anothers_account"), &[]);
        e.complete();
        return;
    }
    // "Great, I'd like to order one please" just after hearing the grey yoga mat's
    // price: that product, not "what would you like to order?" once proved.
    if e.task().goal() == Goal::Place
        && product_just_answered(e)
        && e.task().product().is_none()
        && e.task().purchase().cart.is_empty()
    {
        *e.task().product() = e.s.last_product.clone();
    }
    // A purchase is charged to a saved card: it is taken on a household's own speaker,
    // or for the account of an order the caller proved with its number. An email or a
    // phone and a zip are known to too many people to spend someone's money on.
    if e.s.speaker.is_none() && focus_account(e, facts).is_none() && !order_proved_for(e, facts) {
        return;
    }
    if !spending_proved(e) {
        return;
    }
    let Some(cid) = customer(e, facts) else {
        return;
    };
    if e.task().purchase().cart.is_empty()
        && e.task().goal() == Goal::Reorder
        && !fill_reorder(e, cid, facts)
    {
        return;
    }
    loop {
        let settling = e.task().purchase().settling;
        if e.task().purchase().cart.is_empty() || settling {
            let Some(prod) = wanted_product(e, p!("ask_product"), facts) else {
                // A gift card let go past its limit, with other goods in the basket:
                // those go on to their read-back.
                let goes_on = e.ask == Ask::Nothing
                    && e.task_ref().is_some_and(
                        |t| matches!(&t.req, Request::Place(p) if !p.cart.is_empty() && !p.settling),
                    );
                if goes_on {
                    continue;
                }
                return;
            };
            let Some(qty) = *e.task().quantity() else {
                e.ask(
                    Ask::Quantity,
                    p!("ask_quantity"),
                    &[("product", pw::product_name_plural(&prod.name))],
                );
                return;
            };
            let purchase = e.task().purchase();
            purchase.settling = false;
            if !purchase.cart.iter().any(|(s, _)| *s == prod.sku) {
                purchase.cart.push((prod.sku.clone(), qty));
            }
        }
        // The next product named with the first is settled the same way: its size or
        // colour asked when not said, its count as said with it.
        let purchase = e.task().purchase();
        if purchase.more.is_empty() {
            break;
        }
        let next = purchase.more.remove(0);
        purchase.variant_checked = next.exact;
        purchase.variant_words.clear();
        purchase.settling = true;
        let task = e.task();
        *task.product() = Some(next.sku);
        *task.quantity() = next.quantity;
    }
    // The gift card ceiling holds however the cart was filled: "order that again" after
    // a gift card, or another read as a reorder, as much as a gift card asked for.
    if !gift_cards_within_the_ceiling(e, facts) {
        return;
    }
    // Stock, price and the line items.
    let cart = e.task().purchase().cart.clone();
    let mut items = Vec::new();
    for (sku, qty) in &cart {
        let Some(prod) = product(e, sku, facts) else {
            if e.task_ref().is_none() {
                return; // the store could not be read; already said
            }
            // A repeat of an old order skips what the catalog no longer sells, and says
            // which item that is.
            e.task().purchase().cart.retain(|(s, _)| s != sku);
            let name = unavailable_name(sku, cid, facts).map(|n| pw::product_name(&n));
            let all_gone = e.task().purchase().cart.is_empty();
            match (name, all_gone) {
                (Some(item), true) => e.say(p!("named_product_unavailable"), &[("item", item)]),
                (None, true) => e.say(p!("product_unavailable"), &[]),
                (Some(item), false) => e.say(p!("named_some_unavailable"), &[("item", item)]),
                (None, false) => e.say(p!("some_unavailable"), &[]),
            }
            if all_gone {
                e.drop_task();
                return;
            }
            continue;
        };
        // "The coffee and the two belts again": a sold-out item of several is left out,
        // said so, and the rest read back; the whole repeat is not given up for it.
        if prod.stock <= 0 && e.task().purchase().cart.len() > 1 {
            e.task().purchase().cart.retain(|(s, _)| s != sku);
            e.say(
                p!("out_of_stock_left_out"),
                &[("product", pw::product_name(&prod.name))],
            );
            continue;
        }
        if prod.stock < i64::from(*qty) {
            let task = e.task();
            task.purchase().cart.clear();
            *task.product() = Some(prod.sku.clone());
            *task.quantity() = None;
            if prod.stock <= 0 {
                e.say(
                    p!("out_of_stock"),
                    &[("product", pw::product_name(&prod.name))],
                );
                // "When will it be back?" is about this product.
                e.s.last_product = Some(prod.sku.clone());
                e.drop_task();
            } else {
                e.ask(
                    Ask::Quantity,
                    p!("only_n_left"),
                    &[
                        ("product", pw::product_name(&prod.name)),
                        ("n", st::number_words(prod.stock as u64)),
                    ],
                );
            }
            return;
        }
        items.push((prod, *qty));
    }
    // Payment and address come from the order the caller proved to buy on its account
    // ("the same card as yesterday's order" is that order's), or on a household's
    // speaker from the customer's latest order.
    let proved =
        e.s.speaker
            .is_none()
            .then(|| spending_order(e).cloned())
            .flatten();
    let latest = match proved {
        Some(number) => Some(number),
        None => match facts.orders_of_customer(cid) {
            Ok(orders) => orders.first().map(|o| o.order_number.clone()),
            Err(err) => {
                e.store_trouble(&err);
                return;
            }
        },
    };
    let mut template = match latest.map(|n| facts.order(&n)) {
        Some(Ok(Some(o))) if o.shipping_address.is_some() => o,
        Some(Err(err)) => {
            e.store_trouble(&err);
            return;
        }
        _ => {
            e.say(p!("no_saved_details"), &[]);
            e.drop_task();
            return;
        }
    };
    let Some(payment) = payment_for(e, cid, &template, facts) else {
        return;
    };
    template.payment = payment;
    let speed = match e.task().purchase().speed {
        Some(s) => s,
        None => {
            let words = e.task().words.clone();
            checkout_choices(e, &words)
                .0
                .unwrap_or(ShippingMethod::Standard)
        }
    };
    e.task().purchase().speed = Some(speed);
    e.task().purchase().pay = Some(template.payment.method);
    let shipping = &e.config().policy.shipping;
    let subtotal: i64 = items
        .iter()
        .map(|(p, q)| p.price_cents * i64::from(*q))
        .sum();
    let threshold = free_shipping_from(e);
    let cents = |price: f64| Money::from_decimal(price).map_or(0, Money::cents);
    let (ship_cents, days) = match speed {
        ShippingMethod::Express => (
            cents(shipping.express_price),
            shipping.express_business_days[1],
        ),
        // Ordered after the cut-off, next-day delivery leaves the day after.
        ShippingMethod::NextDay if e.now.hour() >= shipping.next_day_cutoff_hour => {
            (cents(shipping.next_day_price), 2)
        }
        ShippingMethod::NextDay => (cents(shipping.next_day_price), 1),
        _ if subtotal >= threshold => (0, shipping.standard_business_days[1]),
        _ => (
            cents(shipping.standard_price),
            shipping.standard_business_days[1],
        ),
    };
    let total = subtotal + ship_cents;
    let estimate = add_business_days(e.today(), days);
    e.task().purchase().arrives = Some(estimate);
    let names: Vec<String> = items.iter().map(|(p, q)| line_words(&p.name, *q)).collect();
    // The city names the saved address well enough in a read-back; its zip read digit by
    // digit would double the sentence.
    let place = template
        .shipping_address
        .as_ref()
        .map(|a| a.city.clone())
        .unwrap_or_default();
    // "Order a gift card and ship it to my friend at 9 Elm Road" in the request itself.
    let words = e.task().words.clone();
    if words_ask_elsewhere(e, &words) {
        e.task().purchase().elsewhere_asked = true;
    }
    if !e.task().confirmed {
        // "Send them to 1 Hacker Way": said plainly where a new order goes, once.
        if e.task().purchase().elsewhere_asked && !e.task().purchase().elsewhere_told {
            e.task().purchase().elsewhere_told = true;
            e.say(p!("order_address_on_file"), &[("place", place.clone())]);
        }
        let amount = [("amount", st::price_cents(ship_cents))];
        // Paid for speed, the caller hears the day it buys: next-day ordered after the
        // cut-off on a Friday comes on Tuesday, not tomorrow.
        let arriving = [
            ("amount", st::price_cents(ship_cents)),
            ("date", e.date_words(estimate)),
        ];
        let shipping_words = match speed {
            ShippingMethod::Express => e.text(p!("shipping_express_cost"), &arriving),
            ShippingMethod::NextDay => e.text(p!("shipping_next_day_cost"), &arriving),
            _ if ship_cents == 0 => e.text(p!("shipping_free"), &[]),
            _ => e.text(p!("shipping_cost"), &amount),
        };
        e.task().purchase().read_card =
            (template.payment.method == PaymentMethod::Card).then(|| template.payment.clone());
        let payment = match template.payment.method {
            PaymentMethod::Cod => e.text(p!("pay_cod"), &[]),
            PaymentMethod::Card => {
                e.text(p!("pay_card"), &[("card", card_words(e, facts, &template))])
            }
        };
        let args = [
            ("items", st::list_and(&names)),
            ("shipping", shipping_words),
            ("total", st::price_cents(total)),
            ("payment", payment),
            ("place", place),
        ];
        e.ask(Ask::YesNo(YesNo::Proceed), p!("confirm_purchase"), &args);
        return;
    }
    let number = match facts.new_order_number() {
        Ok(n) => n,
        Err(err) => {
            e.store_trouble(&err);
            return;
        }
    };
    let mut record = OrderRecord::from(&template);
    record.order_number = number.clone();
    record.status = if template.payment.method == PaymentMethod::Cod {
        "pending_confirmation".into()
    } else {
        "processing".into()
    };
    record.order_date = e.today().to_string();
    record.items = items
        .iter()
        .map(|(p, q)| ItemRecord {
            sku: p.sku.clone(),
            name: p.name.clone(),
            qty: i64::from(*q),
            price: Money(p.price_cents).to_decimal(),
            category: p.category.clone(),
            final_sale: p.final_sale,
            personalised: p.personalised,
        })
        .collect();
    record.subtotal = Money(subtotal).to_decimal();
    record.shipping_cost = Money(ship_cents).to_decimal();
    record.total = Money(total).to_decimal();
    record.shipping_method = speed.as_str().into();
    record.carrier = None;
    record.tracking_number = None;
    record.shipped_at = None;
    record.delivered_at = None;
    record.cancelled_at = None;
    record.tracking_events = Vec::new();
    record.internal_notes = None;
    record.version = None;
    record.estimated_delivery = Some(estimate.to_string());
    e.s.gift_cards_bought_cents += items
        .iter()
        .map(|(p, q)| gift_card_cents(&p.category, *q, p.price_cents))
        .sum::<i64>();
    e.change(Change::PlaceOrder {
        order: Box::new(record),
    });
    e.change(Change::Notify {
        channel: Channel::Email,
        template: Notice::OrderPlaced,
        order_number: Some(number.clone()),
        reference: None,
    });
    e.s.verified.push(number.clone());
    e.s.focus = Some(number.clone());
    e.say(
        p!("order_placed"),
        &[
            ("number", st::digits_grouped(&number)),
            ("date", e.date_words(estimate)),
        ],
    );
    e.complete();
}

/// How an order about to be placed is paid: as the caller chose, else as the order it
/// repeats was paid, else as their latest order. A card is one they paid with before
/// (card details are never taken by voice); cash on delivery only where it is offered.
/// `None` when the store could not be read (already said).
fn payment_for(e: &mut Engine, cid: i64, latest: &Order, facts: &dyn Facts) -> Option<Payment> {
    let mut payment = latest.payment.clone();
    if let Some(number) = e.task().purchase().repeats.clone() {
        match facts.order(&number) {
            Ok(Some(repeated)) => payment = repeated.payment,
            Ok(None) => {}
            Err(err) => {
                e.store_trouble(&err);
                return None;
            }
        }
    }
    if e.task().purchase().pay.is_none() {
        // "… and I'll pay by card": a choice said with the request.
        let words = e.task().words.clone();
        e.task().purchase().pay = checkout_choices(e, &words).1;
        if e.task().purchase().card.is_none() {
            e.task().purchase().card_asked = CardAsked::from_words(e.phrases(), &words);
        }
    }
    // "On my Visa ending 6334": the saved card the caller names, when there is one.
    if let Some(asked) = e.task().purchase().card_asked.take() {
        let digits = identity::private_details_may_be_read(e, &latest.order_number, facts);
        // "The one ending 4642?" where a card's digits are not read: neither confirmed
        // nor denied, and said so.
        if asked.last4.is_some() && !digits {
            e.say(p!("card_digits_not_checked"), &[]);
        }
        match saved_cards(cid, facts) {
            Ok(cards) => match asked.pick(&cards, digits) {
                Some(card) => {
                    payment = card;
                    e.task().purchase().pay = Some(PaymentMethod::Card);
                    e.task().purchase().card = Some(payment.clone());
                    return Some(payment);
                }
                None if asked.brand.is_some() || digits => e.say(p!("card_not_saved"), &[]),
                None => {}
            },
            Err(err) => {
                e.store_trouble(&err);
                return None;
            }
        }
    }
    if let Some(card) = e.task().purchase().card.clone() {
        if e.task().purchase().pay != Some(PaymentMethod::Cod) {
            return Some(card);
        }
    }
    match e.task().purchase().pay {
        Some(PaymentMethod::Card) if payment.method != PaymentMethod::Card => {
            match card_on_file(cid, facts) {
                Ok(Some(card)) => payment = card,
                Ok(None) => {
                    e.say(p!("no_card_on_file"), &[]);
                    e.task().purchase().pay = Some(PaymentMethod::Cod);
                }
                Err(err) => {
                    e.store_trouble(&err);
                    return None;
                }
            }
        }
        Some(PaymentMethod::Cod) if payment.method != PaymentMethod::Cod => {
            let home = latest
                .shipping_address
                .as_ref()
                .is_none_or(|a| a.country.eq_ignore_ascii_case("US"));
            if home {
                payment = Payment {
                    method: PaymentMethod::Cod,
                    brand: None,
                    last4: None,
                };
            } else {
                e.say(p!("no_cod_abroad"), &[]);
                e.task().purchase().pay = Some(PaymentMethod::Card);
            }
        }
        _ => {}
    }
    Some(payment)
}

/// The cards the customer has paid with, most recent first, each once.
fn saved_cards(cid: i64, facts: &dyn Facts) -> Result<Vec<Payment>, crate::facts::FactsError> {
    let mut cards: Vec<Payment> = Vec::new();
    for summary in facts.orders_of_customer(cid)? {
        if let Some(order) = facts.order(&summary.order_number)? {
            let p = order.payment;
            let seen = cards
                .iter()
                .any(|c| c.brand == p.brand && c.last4 == p.last4);
            if p.method == PaymentMethod::Card && !seen {
                cards.push(p);
            }
        }
    }
    Ok(cards)
}

/// The card of the customer's most recent order paid by card.
fn card_on_file(cid: i64, facts: &dyn Facts) -> Result<Option<Payment>, crate::facts::FactsError> {
    Ok(saved_cards(cid, facts)?.into_iter().next())
}

/// A shipping speed and a way to pay named in the words ("with express", "on my Visa",
/// "cash on delivery then"). Of a card and cash both named, the one not set aside
/// ("instead of cash", "not by card") is meant.
fn checkout_choices(
    e: &Engine,
    words: &[String],
) -> (Option<ShippingMethod>, Option<PaymentMethod>) {
    let ph = e.phrases();
    let set_aside = |at: usize| {
        let before = &words[at.saturating_sub(2)..at];
        ph.any("set_aside", before)
    };
    let card = ph.find("pay_card", words);
    let cash = ph.find("pay_cash", words);
    let pay = match (card, cash) {
        (Some(c), Some(k)) if set_aside(c) && !set_aside(k) => Some(PaymentMethod::Cod),
        (Some(_), _) => Some(PaymentMethod::Card),
        (None, Some(_)) => Some(PaymentMethod::Cod),
        (None, None) => None,
    };
    // "American Express" is a card, not a speed.
    let rest = ph.without("pay_card", words);
    let speed = if ph.any("ship_next_day", &rest) {
        Some(ShippingMethod::NextDay)
    } else if ph.any("ship_express", &rest) {
        Some(ShippingMethod::Express)
    } else if ph.any("ship_standard", &rest) {
        Some(ShippingMethod::Standard)
    } else {
        None
    };
    (speed, pay)
}

/// Whether an order is being put together (a new one or a repeat).
pub(crate) fn purchasing(e: &Engine) -> bool {
    e.task_ref()
        .is_some_and(|t| matches!(t.goal(), Goal::Place | Goal::Reorder))
}

/// What the caller bought of the product, or of another size or colour of it.
/// Whether the words say the size or colour of the product `sku` among its family's
/// variants ("the 6 kilo bag", "in navy").
fn names_the_variant(e: &Engine, sku: &str, words: &[String], facts: &dyn Facts) -> bool {
    let Ok(Some(named)) = facts.product(sku) else {
        return false;
    };
    let Ok(variants) = facts.variants(&named.family) else {
        return false;
    };
    let (size, colour) = spoken_size_and_colour(e, words, &variants);
    let same = |said: Option<String>, own: &Option<String>| {
        said.is_some_and(|s| own.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(&s)))
    };
    same(size, &named.size) || same(colour, &named.color)
}

fn bought_before<'a>(
    history: &'a [PurchasedItem],
    sku: &str,
    family: Option<&str>,
    facts: &dyn Facts,
) -> Option<&'a PurchasedItem> {
    history.iter().find(|h| {
        h.sku == sku
            || family.is_some()
                && matches!(facts.product(&h.sku), Ok(Some(p)) if Some(p.family.as_str()) == family)
    })
}

/// The subscription of `subs` to the product, or to another size or colour of it
/// (`family`: the product's, when known).
pub(crate) fn subscription_to<'a>(
    subs: &'a [Subscription],
    sku: &str,
    family: Option<&str>,
    facts: &dyn Facts,
) -> Option<&'a Subscription> {
    subs.iter().find(|s| {
        s.sku == sku
            || family.is_some()
                && matches!(facts.product(&s.sku), Ok(Some(p)) if Some(p.family.as_str()) == family)
    })
}

/// Whether the words ask for an order to go somewhere other than the address on file
/// ("send them to 1 Hacker Way", "not to my house").
pub(crate) fn asks_elsewhere(e: &Engine, said: &Said<'_>) -> bool {
    said.address.is_some() || words_ask_elsewhere(e, &said.words)
}

/// Whether the words ask for a delivery somewhere else ("ship it to my friend at …",
/// "send it to my office").
fn words_ask_elsewhere(e: &Engine, words: &[String]) -> bool {
    e.phrases().any("deliver_elsewhere", words) || e.phrases().any("ship_elsewhere", words)
}

/// Notes a wish for another address said while an order is being put together, so
/// the read-back says where a new order goes.
pub(crate) fn note_elsewhere(e: &mut Engine, said: &Said<'_>) {
    if purchasing(e) && asks_elsewhere(e, said) {
        e.task().purchase().elsewhere_asked = true;
    }
}

/// "Just the one. Can it come next day?" at a question of an order being put together:
/// the shipping speed or way to pay said with the answer is the order's, and the
/// read-back says it.
pub(crate) fn note_checkout_choices(e: &mut Engine, said: &Said<'_>) {
    if !purchasing(e) {
        return;
    }
    let (speed, pay) = checkout_choices(e, &said.words);
    let purchase = e.task().purchase();
    if speed.is_some() {
        purchase.speed = speed;
    }
    if pay.is_some() {
        purchase.pay = pay;
    }
}

/// "Can I pay by card?", "with express, please" at the read-back of an order not yet
/// placed: the choice changes the order, which is read back again before it is placed
/// (its total may have changed). False when the words choose nothing new.
pub(crate) fn takes_checkout_choice(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    if !purchasing(e) {
        return false;
    }
    // "No, I said ship to Menlo Park": where a new order goes is said again, and the
    // order waits; it is never dropped for a change to another order's address.
    if asks_elsewhere(e, said) {
        let purchase = e.task().purchase();
        purchase.elsewhere_asked = true;
        purchase.elsewhere_told = false;
        e.ask = Ask::Nothing;
        e.advance(facts);
        return true;
    }
    // "Make it three bags so we get free shipping": the count changes with any
    // choice said with it.
    let recounted = recount_cart(e, said, facts);
    // "Can you use my Visa ending 6334 instead": a saved card by its brand or digits.
    if let Some(asked) = CardAsked::from_words(e.phrases(), &said.words) {
        // "The Visa is fine, go ahead" when it is on that Visa: a yes.
        let read = e.task().purchase().read_card.clone();
        // "No, just use the Visa then. Place it": the "no" answers the card question.
        let ph = e.phrases();
        let place_it = ph
            .find("place_it", &said.words)
            .is_some_and(|i| !ph.any("set_aside", &said.words[i.saturating_sub(2)..i]));
        let yes = e.yes_no(said) == Some(true) || e.yes_after_but(said) || place_it;
        if yes && read.is_some_and(|card| asked.names(&card)) {
            return false;
        }
        let purchase = e.task().purchase();
        purchase.card_asked = Some(asked);
        purchase.card = None;
        purchase.pay = Some(PaymentMethod::Card);
        e.task().confirmed = false;
        e.ask = Ask::Nothing;
        e.advance(facts);
        return true;
    }
    let (speed, pay) = checkout_choices(e, &said.words);
    let current = e.task().purchase();
    let new_speed = speed.filter(|s| current.speed != Some(*s));
    let new_pay = pay.filter(|m| current.pay != Some(*m));
    if new_speed.is_none() && new_pay.is_none() {
        if recounted {
            e.task().confirmed = false;
            e.ask = Ask::Nothing;
            e.advance(facts);
            return true;
        }
        // "Use the same card please" when it is on that card already: the read-back
        // says so again, and asks again.
        // "No, not cash, on my card" when it is on the card: said again, never placed.
        if (speed.is_some() || pay.is_some()) && (e.yes_no(said).is_none() || said.has(Cue::No)) {
            e.ask = Ask::Nothing;
            e.advance(facts);
            return true;
        }
        return false;
    }
    if new_speed.is_some() {
        current.speed = new_speed;
    }
    if new_pay.is_some() {
        current.pay = new_pay;
    }
    e.task().confirmed = false;
    e.ask = Ask::Nothing;
    e.advance(facts);
    true
}

/// The customer's most recent order holding the product.
fn latest_order_with(cid: i64, sku: &str, facts: &dyn Facts) -> Option<String> {
    let orders = facts.orders_of_customer(cid).ok()?;
    orders.into_iter().find_map(|summary| {
        let order = facts.order(&summary.order_number).ok()??;
        order
            .items
            .iter()
            .any(|i| i.sku == sku)
            .then_some(order.order_number)
    })
}

/// Fills the cart of a reorder: a named product, the last order, or the usual.
fn fill_reorder(e: &mut Engine, cid: i64, facts: &dyn Facts) -> bool {
    // "The tea Jonah usually gets": what that member of the household buys.
    let words = e.task().words.clone();
    let member = identity::member_named(e, &words, facts);
    // The caller's own order repeated is paid as it was; a household member's is not
    // theirs to pay with.
    let own = member.is_none_or(|m| m == cid);
    let cid = member.unwrap_or(cid);
    let history = match facts.purchase_history(cid) {
        Ok(h) => h,
        Err(err) => {
            e.store_trouble(&err);
            return false;
        }
    };
    // "Just reorder the same things then" about the order just discussed.
    if repeats_the_focus(e) {
        let focus = e.s.focus.clone().unwrap_or_default();
        if let Ok(Some(order)) = facts.order(&focus) {
            e.task().purchase().cart = order.items.iter().map(|i| (i.sku.clone(), i.qty)).collect();
            e.task().purchase().repeats = Some(order.order_number);
            return true;
        }
    }
    // "Reorder the socks from order 5726…": that order's socks, in its colour and size,
    // not the socks bought last on another order; with no item named, the whole order.
    let named_order = e.task().heard.order_number.clone().filter(|n| {
        facts
            .orders_of_customer(cid)
            .is_ok_and(|orders| orders.iter().any(|o| &o.order_number == n))
    });
    if let Some(Ok(Some(order))) = named_order.map(|n| facts.order(&n)) {
        let named = e.task().product().clone();
        let lines: Vec<(String, u32)> = match named {
            Some(sku) => identity::line_of(&order, &sku, facts)
                .and_then(|line| order.items.iter().find(|i| i.sku == line))
                .map(|i| (i.sku.clone(), e.task().quantity().unwrap_or(i.qty).max(1)))
                .into_iter()
                .collect(),
            None => order.items.iter().map(|i| (i.sku.clone(), i.qty)).collect(),
        };
        if !lines.is_empty() {
            e.task().purchase().cart = lines;
            if own {
                e.task().purchase().repeats = Some(order.order_number);
            }
            return true;
        }
    }
    let last_order = e.task().cues.contains(&Cue::LastOrder);
    if let Some(sku) = e.task().product().clone() {
        let family = product(e, &sku, facts).map(|p| p.family);
        let bought = bought_before(&history, &sku, family.as_deref(), facts).or_else(|| {
            // A word naming several products ("the tea"): the one they buy.
            history.iter().find(|h| {
                crate::locale::words(&h.name)
                    .iter()
                    .any(|w| w.len() > 2 && words.contains(w))
            })
        });
        // "Reorder the dog food, but the smaller 6 kilo bag this time": a size or colour
        // said that is the named product's and not the one bought before wins.
        let other_variant =
            bought.is_some_and(|h| h.sku != sku && names_the_variant(e, &sku, &words, facts));
        // "Another box of the tea I got", "one more of the belt": one, not the count
        // bought last time.
        let one_more = e.phrases().any("one_more", &words);
        let last_qty = |h: &PurchasedItem| if one_more { 1 } else { h.last_qty };
        let (sku, qty) = match bought {
            Some(h) if !other_variant => {
                (h.sku.clone(), e.task().quantity().unwrap_or(last_qty(h)))
            }
            Some(h) => (sku, e.task().quantity().unwrap_or(last_qty(h))),
            None => (sku, e.task().quantity().unwrap_or(1)),
        };
        if own {
            e.task().purchase().repeats = latest_order_with(cid, &sku, facts);
        }
        let mut cart = vec![(sku, qty.max(1))];
        // "My tea and oats": for each other word naming something they buy, the one of
        // it they bought last joins the order; on a household's speaker, what any of
        // them bought ("the diapers and wipes" Diego ordered).
        let ignored = e.phrases().list("pick_ignore");
        let first_family = facts.product(&cart[0].0).ok().flatten().map(|p| p.family);
        let household = match facts.household_purchase_history(cid) {
            Ok(h) => h,
            Err(err) => {
                e.store_trouble(&err);
                return false;
            }
        };
        let mut recent: Vec<&PurchasedItem> = history.iter().collect();
        recent.sort_by_key(|h| std::cmp::Reverse(h.last_ordered));
        recent.extend(
            household
                .iter()
                .filter(|h| !history.iter().any(|o| o.sku == h.sku)),
        );
        let mut named_too: Vec<(String, u32)> = Vec::new();
        let mut families = vec![first_family];
        // "The dog food": "dog" is a word of the product named, not a second product
        // (the dog treats) to add.
        let first_words = facts
            .product(&cart[0].0)
            .ok()
            .flatten()
            .map(|p| crate::locale::words(&p.name))
            .unwrap_or_default();
        for w in words.iter().filter(|w| {
            w.len() >= 3
                && !w.bytes().all(|b| b.is_ascii_digit())
                && !ignored.contains(w)
                && !first_words.contains(w)
        }) {
            let found = recent.iter().find(|h| {
                let family = facts.product(&h.sku).ok().flatten().map(|p| p.family);
                !families.contains(&family) && crate::locale::words(&h.name).contains(w)
            });
            if let Some(h) = found {
                families.push(facts.product(&h.sku).ok().flatten().map(|p| p.family));
                named_too.push((h.sku.clone(), h.last_qty.max(1)));
            }
        }
        cart.extend(named_too);
        e.task().purchase().cart = cart;
        return true;
    }
    if last_order {
        let latest = match facts.orders_of_customer(cid) {
            Ok(o) => o.first().map(|o| o.order_number.clone()),
            Err(err) => {
                e.store_trouble(&err);
                return false;
            }
        };
        if let Some(Ok(Some(order))) = latest.map(|n| facts.order(&n)) {
            e.task().purchase().cart = order.items.iter().map(|i| (i.sku.clone(), i.qty)).collect();
            if own {
                e.task().purchase().repeats = Some(order.order_number);
            }
            return true;
        }
    }
    match history.first() {
        Some(h) => {
            let qty = e.task().quantity().unwrap_or(h.last_qty).max(1);
            if own {
                e.task().purchase().repeats = latest_order_with(cid, &h.sku, facts);
            }
            e.task().purchase().cart = vec![(h.sku.clone(), qty)];
            true
        }
        None => {
            // Nothing to repeat: ask what to order instead.
            e.task().become_goal(Goal::Place);
            e.ask(Ask::Product, p!("reorder_nothing"), &[]);
            false
        }
    }
}

/// Whether subscription `id` of the caller's household brings the product `sku`, or
/// another size or colour of it.
pub(crate) fn subscription_is_of(e: &Engine, id: i64, sku: &str, facts: &dyn Facts) -> bool {
    let Some(customer) = e.s.customer else {
        return false;
    };
    let Ok(subs) = facts.household_subscriptions(customer) else {
        return false;
    };
    subs.iter()
        .find(|s| s.id == id)
        .is_some_and(|s| identity::same_product(&s.sku, sku, facts))
}

/// The phrase list of each subscription change, in the order they are looked for: the
/// first found names the change.
const SUBSCRIPTION_ACTIONS: [(&str, SubAction); 10] = [
    ("subscription_move", SubAction::MoveDelivery),
    ("subscription_skip", SubAction::Skip),
    ("subscription_resume", SubAction::Resume),
    ("subscription_pause", SubAction::Pause),
    ("subscription_cancel", SubAction::Cancel),
    ("subscription_quantity", SubAction::ChangeQuantity),
    ("subscription_frequency", SubAction::ChangeFrequency),
    ("subscription_list", SubAction::List),
    ("subscription_next", SubAction::NextDelivery),
    ("subscription_create", SubAction::Create),
];

/// The change of the subscription request in hand (`None` inside when not yet said);
/// `None` when the request in hand is not a subscription's.
fn action_in_hand(e: &Engine) -> Option<Option<SubAction>> {
    e.task_ref().and_then(|t| match &t.req {
        Request::Subscription(sub) => Some(sub.sub_action),
        _ => None,
    })
}

/// Whether the words name a change of the subscription in hand other than the one read
/// back ("resume it please" while a new count is read back).
pub(crate) fn names_another_subscription_action(e: &Engine, said: &Said<'_>) -> bool {
    let Some(current) = action_in_hand(e) else {
        return false;
    };
    let ent = &said.entities;
    action_from_words(e, &said.words, ent.frequency_days, ent.quantity)
        .is_some_and(|named| current.is_some_and(|c| c != named))
}

/// "…and cancel my dog food one" while a subscription of the cat litter is changed: the
/// words name a product other than the subscription's in hand.
pub(crate) fn names_another_subscription(
    e: &mut Engine,
    said: &Said<'_>,
    facts: &dyn Facts,
) -> bool {
    let Some(named) = said.entities.product.as_deref() else {
        return false;
    };
    let Some(sub) = e.task_ref().and_then(|t| match &t.req {
        Request::Subscription(sub) => Some(sub.clone()),
        _ => None,
    }) else {
        return false;
    };
    let held = sub
        .product
        .clone()
        .or_else(|| household_subscription(e, sub.subscription?, facts).map(|s| s.sku));
    held.is_some_and(|held| !identity::same_product(named, &held, facts))
}

/// "Don't cancel it, just pause it": at the read-back of a subscription change, another
/// change named in place of the one read back (its keeping words aside) becomes the
/// request, read back anew. False when the words name no other change.
pub(crate) fn switches_subscription_action(
    e: &mut Engine,
    said: &Said<'_>,
    facts: &dyn Facts,
) -> bool {
    let Some(current) = action_in_hand(e) else {
        return false;
    };
    let words = e.phrases().without("keep", &said.words);
    let ent = &said.entities;
    // "No, not skip it, pause it": the change named last is the one wanted.
    let ph = e.phrases();
    let last_named = (0..words.len()).rev().find_map(|i| {
        SUBSCRIPTION_ACTIONS
            .iter()
            .find(|(list, _)| ph.len_at(list, &words, i).is_some())
            .map(|(_, a)| *a)
    });
    let Some(action) =
        last_named.or_else(|| action_from_words(e, &words, ent.frequency_days, ent.quantity))
    else {
        return false;
    };
    let changes = !matches!(
        action,
        SubAction::List | SubAction::NextDelivery | SubAction::Create
    );
    // "…and cancel my dog food one" while the cat litter's resumption is read back: a
    // change of another subscription is a request of its own, done first; the
    // read-back comes back after it, never turned into that change.
    if let Some(named) = said.entities.product.clone() {
        if changes && names_another_subscription(e, said, facts) {
            let mut next = Task::new(
                Goal::Subscription,
                said.words.clone(),
                said.cues.clone(),
                said.entities.clone(),
            );
            next.subscription().sub_action = Some(action);
            next.subscription().product = Some(named);
            let mut paused = e.task.take().expect("a subscription task is read back");
            paused.confirmed = false;
            next.resume = Some(Box::new(paused));
            e.task = Some(next);
            e.ask = Ask::Nothing;
            e.advance(facts);
            return true;
        }
    }
    if Some(action) == current || !changes {
        return false;
    }
    let task = e.task();
    task.confirmed = false;
    // "Can I just pause it instead? For like a month": what the new change says of
    // itself (how long, until when) is heard with it.
    task.words.extend(said.words.iter().cloned());
    task.heard.date = ent.date.or(task.heard.date);
    let sub = task.subscription();
    sub.sub_action = Some(action);
    sub.frequency = ent.frequency_days.or(sub.frequency);
    e.ask = Ask::Nothing;
    e.advance(facts);
    true
}

fn action_from_words(
    e: &Engine,
    words: &[String],
    frequency: Option<u32>,
    quantity: Option<u32>,
) -> Option<SubAction> {
    let ph = e.phrases();
    // "Start the cat litter deliveries again": a resumption said around what resumes.
    let started_again = words.iter().enumerate().any(|(i, w)| {
        matches!(w.as_str(), "start" | "restart" | "starting" | "resume")
            && words
                .iter()
                .skip(i + 1)
                .take(6)
                .any(|n| matches!(n.as_str(), "again" | "back" | "up"))
    });
    // "How often does it come, remind me?" with no new schedule said asks the schedule
    // it has: the next delivery is said, with how often it comes.
    if frequency.is_none() && quantity.is_none() && ph.any("asks_schedule", words) {
        return Some(SubAction::NextDelivery);
    }
    // "Push it back two weeks": a later next delivery, kept as a pause that ends then;
    // said with no span, the next delivery is skipped.
    if ph.any("subscription_delay", words) {
        if delay_said(words).is_some() {
            return Some(SubAction::Pause);
        }
        if !ph.any("subscription_skip", words) {
            return Some(SubAction::Skip);
        }
    }
    let found = SUBSCRIPTION_ACTIONS
        .iter()
        .find(|(list, _)| ph.any(list, words))
        .map(|(_, a)| *a)
        .filter(|a| !(started_again && *a == SubAction::ChangeQuantity))
        .or(started_again.then_some(SubAction::Resume));
    // "Do we have a cat litter subscription?": an article is no count to change to.
    let quantity = quantity.filter(|&q| {
        q != 1
            || words
                .iter()
                .any(|w| matches!(w.as_str(), "one" | "1" | "single" | "once"))
    });
    // With no action word, what was said is what changes: "every week" is the
    // frequency, "two bags each time" the quantity.
    match (found, frequency, quantity) {
        (Some(a), _, _) => Some(a),
        (None, Some(_), _) => Some(SubAction::ChangeFrequency),
        (None, None, Some(_)) => Some(SubAction::ChangeQuantity),
        (None, None, None) => None,
    }
}

/// Whether a no to a subscription's new count says the count is wanted once ("no, not
/// every time, just the once"): a one-off order, not a change to the subscription.
pub(crate) fn count_wanted_once(e: &Engine, said: &Said<'_>) -> bool {
    let changes_count = e.task_ref().is_some_and(|t| {
        matches!(&t.req, Request::Subscription(s) if s.sub_action == Some(SubAction::ChangeQuantity))
    });
    changes_count && e.phrases().any("once_only", &said.words)
}

/// The household's subscription of this id, as the subscription requests list them.
fn household_subscription(e: &Engine, id: i64, facts: &dyn Facts) -> Option<Subscription> {
    let subs = facts.household_subscriptions(e.s.customer?).ok()?;
    subs.into_iter().find(|s| s.id == id)
}

/// The count read back as a subscription's, ordered once instead: the subscription's
/// product in that count, read back as a new order for its own yes.
pub(crate) fn order_once_instead(e: &mut Engine, facts: &dyn Facts) {
    let sub = e.task().subscription().clone();
    let sku = sub
        .product
        .clone()
        .or_else(|| household_subscription(e, sub.subscription?, facts).map(|s| s.sku));
    let qty = sub.quantity;
    e.task().become_goal(Goal::Place);
    let purchase = e.task().purchase();
    purchase.product = sku;
    purchase.quantity = qty;
    purchase.more.clear();
    e.task().confirmed = false;
    e.advance(facts);
}

fn sub_name(e: &mut Engine, sub: &Subscription, facts: &dyn Facts) -> String {
    match facts.product(&sub.sku) {
        Ok(Some(p)) => pw::product_name_brief(&p.name),
        _ => {
            let _ = e;
            sub.sku.clone()
        }
    }
}

/// How many deliveries the words count ("skip the next two deliveries", "skip three
/// shipments"), from two to six; none when no count is said.
fn deliveries_counted(e: &Engine) -> Option<u32> {
    let words = &e.task_ref()?.words;
    let counted = [
        "deliveries",
        "shipments",
        "orders",
        "times",
        "boxes",
        "bags",
        "months",
        "weeks",
    ];
    // The count may stand a word or two before its noun ("two coffee deliveries").
    words.iter().enumerate().find_map(|(i, w)| {
        let noun_follows = words
            .iter()
            .skip(i + 1)
            .take(3)
            .any(|n| counted.contains(&n.as_str()));
        if !noun_follows {
            return None;
        }
        let n = match w.as_str() {
            "two" | "2" | "couple" => 2,
            "three" | "3" => 3,
            "four" | "4" => 4,
            "five" | "5" => 5,
            "six" | "6" => 6,
            _ => return None,
        };
        Some(n)
    })
}

/// Words that bound a pause by its end: "until April", "till the twentieth".
const PAUSE_BOUNDS: &[&str] = &["until", "till", "til", "through", "thru", "after", "from"];

/// Whether an answer bounds a pause: a day or month after "until", or "for two weeks".
pub(crate) fn bounds_a_pause(words: &[String], date: Option<NaiveDate>) -> bool {
    let bound = words.iter().any(|w| PAUSE_BOUNDS.contains(&w.as_str()));
    let month = words
        .windows(2)
        .any(|w| PAUSE_BOUNDS.contains(&w[0].as_str()) && st::month_number(&w[1]).is_some());
    let span = words.windows(3).any(|w| {
        w[0] == "for"
            && matches!(
                w[2].trim_end_matches('s'),
                "day" | "week" | "month" | "fortnight"
            )
    });
    (bound && date.is_some()) || month || span
}

/// When a pause the caller bounded ends: "until April twentieth", "for a month", "for
/// two weeks", "for a couple of months". None for a pause without an end.
fn pause_ends(e: &Engine, next: Option<NaiveDate>) -> Option<NaiveDate> {
    let task = e.task_ref()?;
    let words = &task.words;
    let today = e.today();
    // "Push it back a couple of weeks": the next delivery, that much later.
    if e.phrases().any("subscription_delay", words) {
        if let Some(later) = delay_said(words) {
            return add_span(next.unwrap_or(today).max(today), later);
        }
    }
    if let Some(d) = task.heard.date.filter(|d| *d > today) {
        if words.iter().any(|w| PAUSE_BOUNDS.contains(&w.as_str())) {
            return Some(d);
        }
    }
    // "Until April": the first of that month, the next time it comes.
    if let Some(month) = words
        .windows(2)
        .find(|w| PAUSE_BOUNDS.contains(&w[0].as_str()))
        .and_then(|w| st::month_number(&w[1]))
    {
        let year = if month > today.month() {
            today.year()
        } else {
            today.year() + 1
        };
        return NaiveDate::from_ymd_opt(year, month, 1);
    }
    let at = words.iter().position(|w| w == "for")?;
    add_span(today, span_at(&words[at + 1..])?)
}

/// How much later a delay says ("back a couple of weeks", "by a week", "two weeks
/// later"), as a count and its unit.
fn delay_said(words: &[String]) -> Option<(u32, &str)> {
    words.iter().enumerate().find_map(|(i, w)| {
        if matches!(w.as_str(), "back" | "by" | "for") {
            span_at(&words[i + 1..])
        } else if w == "later" {
            span_at(&words[i.saturating_sub(2)..i])
                .or_else(|| span_at(&words[i.saturating_sub(4)..i]))
        } else {
            None
        }
    })
}

/// A span of time said at the start of `words`: "two weeks", "a couple of months", "a
/// fortnight", as a count and its unit (day, week or month).
fn span_at(words: &[String]) -> Option<(u32, &str)> {
    // "For like a month", "about two weeks": the hedge is no part of the span.
    let rest: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .skip_while(|w| {
            matches!(
                *w,
                "like" | "about" | "around" | "maybe" | "just" | "roughly" | "say" | "um" | "uh"
            )
        })
        .collect();
    let count = |w: &str| -> Option<u32> {
        Some(match w {
            "a" | "an" | "one" => 1,
            "two" | "couple" => 2,
            "three" | "few" => 3,
            "four" => 4,
            "five" => 5,
            "six" => 6,
            "eight" => 8,
            "ten" => 10,
            "twelve" => 12,
            _ => w.parse().ok()?,
        })
    };
    let (n, unit) = match rest.as_slice() {
        ["a" | "one", "fortnight", ..] => (2, "week"),
        ["a", "couple" | "few", "of", unit, ..] | ["a", "couple" | "few", unit, ..] => {
            (count(rest[1])?, *unit)
        }
        [n, unit, ..] => (count(n)?, *unit),
        _ => return None,
    };
    let unit = unit.trim_end_matches('s');
    matches!(unit, "day" | "week" | "month").then_some((n, unit))
}

/// The day a span after `from` ends.
fn add_span(from: NaiveDate, (n, unit): (u32, &str)) -> Option<NaiveDate> {
    match unit {
        "day" => from.checked_add_days(chrono::Days::new(u64::from(n))),
        "week" => from.checked_add_days(chrono::Days::new(7 * u64::from(n))),
        _ => from.checked_add_months(chrono::Months::new(n)),
    }
}

/// "Can you skip that one?" just after a subscription was talked about: a change to
/// that subscription, however the words were classified.
pub(crate) fn changes_the_subscription_just_said(e: &Engine, said: &Said<'_>) -> bool {
    let action = action_from_words(e, &said.words, said.entities.frequency_days, None);
    // "Start it again please" when asked what to do with the subscription: the answer,
    // however much it sounded like "say it again".
    if e.ask == Ask::SubscriptionAction && action.is_some() {
        return true;
    }
    let changes = matches!(
        action,
        Some(
            SubAction::Skip
                | SubAction::Pause
                | SubAction::Resume
                | SubAction::Cancel
                | SubAction::ChangeFrequency
        )
    );
    e.s.last_goal == Some(Goal::Subscription)
        && e.s.last_subscription.is_some()
        && e.task_ref().is_none()
        && said.entities.order_number.is_none()
        && said.entities.product.is_none()
        && e.phrases().any("refers_back", &said.words)
        && changes
}

/// Whether the request points back at what was just talked about ("turn it back on").
fn refers_back(e: &Engine) -> bool {
    e.task_ref()
        .is_some_and(|t| e.phrases().any("refers_back", &t.words))
}

/// Every active or paused subscription: what, how many, how often, and when next.
fn list_subscriptions(e: &mut Engine, subs: &[Subscription], facts: &dyn Facts) {
    // "Do we have a cat litter subscription?": the one asked about is the one "resume
    // it" then means.
    if let Some(sku) = e.task().product().clone() {
        let family = product(e, &sku, facts).map(|p| p.family);
        if let Some(asked) = subscription_to(subs, &sku, family.as_deref(), facts) {
            e.s.last_subscription = Some(asked.id);
        }
    }
    let lines: Vec<String> = subs
        .iter()
        .map(|sub| {
            let args = [
                ("count", st::number_words(u64::from(sub.qty))),
                ("name", sub_name(e, sub, facts)),
                ("every", every(&e.catalog, sub.frequency_days)),
                (
                    "next",
                    sub.next_date.map(|d| e.date_words(d)).unwrap_or_default(),
                ),
            ];
            let key = match (sub.status, sub.next_date) {
                (SubscriptionStatus::Paused, _) => p!("subscription_line_paused"),
                (_, Some(_)) => p!("subscription_line"),
                (_, None) => p!("subscription_line_no_date"),
            };
            e.text(key, &args)
        })
        .collect();
    let key = if lines.len() == 1 {
        p!("subscriptions_one")
    } else {
        p!("subscriptions_many")
    };
    e.say(
        key,
        &[
            ("count", st::number_words(lines.len() as u64)),
            ("list", lines.join("; ")),
        ],
    );
    e.complete();
}

/// The only subscription a resumption (of a paused one) or a pause (of a running one)
/// can apply to, when there is exactly one.
fn only_one_in_state(subs: &[Subscription], action: SubAction) -> Option<i64> {
    let state = match action {
        SubAction::Resume => SubscriptionStatus::Paused,
        SubAction::Pause => SubscriptionStatus::Active,
        _ => return None,
    };
    let mut those = subs.iter().filter(|s| s.status == state);
    match (those.next(), those.next()) {
        (Some(one), None) => Some(one.id),
        _ => None,
    }
}

/// "Can you move the next cat litter delivery to Friday?" on a household that subscribes
/// to cat litter and has no order of it to move: about the subscription, not an order.
pub(crate) fn moves_a_subscription_delivery(
    e: &Engine,
    said: &Said<'_>,
    facts: &dyn Facts,
) -> bool {
    e.phrases().any("subscription_word", &said.words) || subscribed_not_on_its_way(e, said, facts)
}

/// Whether the household subscribes to the product named and no order on its way holds
/// it: "when's my coffee coming" is then about the subscription's next delivery.
pub(crate) fn subscribed_not_on_its_way(e: &Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    let (Some(cid), Some(sku)) = (e.s.customer.filter(|&c| c >= 0), &said.entities.product) else {
        return false;
    };
    let family = facts.product(sku).ok().flatten().map(|p| p.family);
    let subscribed = facts.household_subscriptions(cid).is_ok_and(|mut subs| {
        subs.retain(|s| s.status != SubscriptionStatus::Cancelled);
        subscription_to(&subs, sku, family.as_deref(), facts).is_some()
    });
    let on_an_order = facts.household_orders(cid).is_ok_and(|orders| {
        orders.iter().filter(|o| o.status.is_still_to_come()).any(|o| {
            matches!(facts.order(&o.order_number), Ok(Some(order)) if identity::holds_product(&order, sku, facts))
        })
    });
    // "Did my mum's order go out, the one with the coffee?", "not the subscription":
    // an order of the product the caller speaks of, whatever brings it otherwise.
    let ph = e.phrases();
    let an_order_meant = ph.any("not_the_subscription", &said.words)
        || (speaks_of_an_order(e, &said.words)
            && facts.household_orders(cid).is_ok_and(|orders| {
                orders.iter().any(|o| {
                    matches!(facts.order(&o.order_number), Ok(Some(order)) if identity::holds_product(&order, sku, facts))
                })
            }));
    subscribed && !on_an_order && !an_order_meant
}

/// Whether the words speak of an order someone placed ("her order", "mum's order", "the
/// order she placed", "the one with the …"), not of a product's deliveries ("my coffee
/// order" is the coffee that comes).
fn speaks_of_an_order(e: &Engine, words: &[String]) -> bool {
    let owner_before_order = words.windows(2).any(|w| {
        w[1] == "order"
            && (w[0].ends_with("'s")
                || matches!(
                    w[0].as_str(),
                    "my" | "her" | "his" | "their" | "our" | "the"
                ))
    });
    owner_before_order || e.phrases().any("an_order_placed", words)
}

/// Subscriptions: list, create, pause, resume, skip, change frequency or quantity,
/// cancel.
pub(crate) fn subscription(e: &mut Engine, facts: &dyn Facts) {
    // "I'm Sofia's friend staying over, she said to cancel the diapers": a guest of the
    // household, or anyone acting for someone else, neither hears nor changes its
    // subscriptions.
    if (e.s.guest && e.s.speaker.is_some()) || (e.s.speaker.is_none() && e.acts_for_another(facts))
    {
        e.say(p!("subscription_for_someone_else"), &[]);
        e.complete();
        return;
    }
    let Some(cid) = customer(e, facts) else {
        return;
    };
    if e.task().subscription().sub_action.is_none() {
        let words = e.task().words.clone();
        let (freq, qty) = (e.task().subscription().frequency, *e.task().quantity());
        e.task().subscription().sub_action = action_from_words(e, &words, freq, qty);
    }
    let (subs, cancelled): (Vec<Subscription>, Vec<Subscription>) =
        match facts.household_subscriptions(cid) {
            Ok(s) => s
                .into_iter()
                .partition(|s| s.status != SubscriptionStatus::Cancelled),
            Err(err) => {
                e.store_trouble(&err);
                return;
            }
        };
    // A frequency with a product nobody subscribes to yet is a new subscription.
    if e.task().subscription().sub_action == Some(SubAction::ChangeFrequency) {
        if let Some(sku) = e.task().product().clone() {
            let family = product(e, &sku, facts).map(|p| p.family);
            let exists = subs.iter().any(|s| {
                s.sku == sku || matches!(facts.product(&s.sku), Ok(Some(p)) if Some(&p.family) == family.as_ref())
            });
            if !exists {
                e.task().subscription().sub_action = Some(SubAction::Create);
            }
        }
    }
    let Some(action) = e.task().subscription().sub_action else {
        e.ask(Ask::SubscriptionAction, p!("ask_subscription_action"), &[]);
        return;
    };
    if action == SubAction::Create {
        create_subscription(e, cid, facts);
        return;
    }
    // "Restart the cat litter subscription" when that one was cancelled: it is not
    // missing, it is cancelled, and only the team can bring it back.
    if e.task().subscription().subscription.is_none() {
        if let Some(sku) = e.task().product().clone() {
            let family = product(e, &sku, facts).map(|p| p.family);
            let live = subscription_to(&subs, &sku, family.as_deref(), facts).is_some();
            let gone = subscription_to(&cancelled, &sku, family.as_deref(), facts);
            if let Some(gone) = gone.filter(|_| !live) {
                let name = sub_name(e, gone, facts);
                if action == SubAction::Cancel {
                    e.say(p!("subscription_already_cancelled"), &[("product", name)]);
                    e.complete();
                } else {
                    e.say(p!("subscription_was_cancelled"), &[("product", name)]);
                    e.offer_human(HandOffReason::Requested);
                }
                return;
            }
        }
    }
    if subs.is_empty() {
        e.say(p!("no_subscriptions"), &[]);
        e.complete();
        return;
    }
    // "When's my next delivery?" with several subscriptions and none named: each with
    // its next date.
    let unnamed = e.task().product().is_none() && !refers_back(e);
    if action == SubAction::List || (action == SubAction::NextDelivery && unnamed && subs.len() > 1)
    {
        list_subscriptions(e, &subs, facts);
        return;
    }
    if e.task().subscription().subscription.is_none() {
        let chosen = match e.task().product().clone() {
            Some(sku) => {
                let family = product(e, &sku, facts).map(|p| p.family);
                subscription_to(&subs, &sku, family.as_deref(), facts).map(|s| s.id)
            }
            None if subs.len() == 1 => Some(subs[0].id),
            // "Resume it" with one paused among them, "pause it" with one running: the
            // only one the change can apply to.
            // "Turn it back on": the subscription just talked about.
            None => only_one_in_state(&subs, action).or_else(|| {
                e.s.last_subscription
                    .filter(|id| refers_back(e) && subs.iter().any(|s| s.id == *id))
            }),
        };
        // "Cancel my coffee pods" with no coffee pods among them: said plainly, with what
        // there is, rather than asked which of the others.
        let named = e.task().product().clone();
        if let (None, Some(sku)) = (chosen, named) {
            let wanted = product(e, &sku, facts).map_or_else(String::new, |p| {
                pw::ProductWords::parse(&p.name).plural(false)
            });
            let names: Vec<String> = subs.iter().map(|s| sub_name(e, s, facts)).collect();
            let key = if names.len() == 1 {
                p!("no_such_subscription_one")
            } else {
                p!("no_such_subscription")
            };
            e.say(
                key,
                &[("product", wanted), ("subscriptions", st::list_and(&names))],
            );
            e.complete();
            return;
        }
        match chosen {
            Some(id) => e.task().subscription().subscription = Some(id),
            None => {
                let names: Vec<String> = subs.iter().map(|s| sub_name(e, s, facts)).collect();
                let ids = subs.iter().map(|s| s.id).collect();
                e.ask(
                    Ask::WhichSubscription(ids),
                    p!("ask_which_subscription"),
                    &[("subscriptions", st::list_or(&names))],
                );
                return;
            }
        }
    }
    let id = e.task().subscription().subscription.expect("chosen above");
    e.s.last_subscription = Some(id);
    let Some(sub) = subs.iter().find(|s| s.id == id).cloned() else {
        e.task().subscription().subscription = None;
        e.say(p!("no_subscriptions"), &[]);
        e.complete();
        return;
    };
    let name = sub_name(e, &sub, facts);
    // "I get green tea every month, can I change it to just one box?": the schedule it
    // already has describes it; the count said is the change. The same schedule alone
    // is said to be so, and nothing is written.
    let mut action = action;
    let same_schedule = e.task().subscription().frequency == Some(sub.frequency_days);
    if action == SubAction::ChangeFrequency && same_schedule {
        match *e.task().quantity() {
            Some(qty) if qty != sub.qty => {
                action = SubAction::ChangeQuantity;
                e.task().subscription().sub_action = Some(action);
            }
            _ => {
                let every = every(&e.catalog, sub.frequency_days);
                e.say(
                    p!("subscription_already_every"),
                    &[("product", name), ("every", every)],
                );
                e.complete();
                return;
            }
        }
    }
    if action == SubAction::NextDelivery {
        say_next_delivery(e, &sub, name);
        e.complete();
        return;
    }
    if action == SubAction::MoveDelivery {
        // Nothing is changed that was not asked: the schedule stays, and the ways to
        // get it sooner or later are said.
        e.say(p!("subscription_no_move"), &[("product", name)]);
        e.complete();
        return;
    }
    let base = sub.next_date.unwrap_or(e.today()).max(e.today());
    let freq = Duration::days(i64::from(sub.frequency_days));
    let mut skipped = 1;
    let mut also = None;
    let (update, confirm_key, done_key, extra) = match action {
        SubAction::Pause => {
            if sub.status == SubscriptionStatus::Paused {
                e.say(p!("subscription_already_paused"), &[("product", name)]);
                e.complete();
                return;
            }
            if let Some(until) = pause_ends(e, sub.next_date) {
                // A pause with an end is a later next delivery: nothing to remember to
                // resume, and the OMS sees one change.
                let next = until.max(base);
                (
                    SubscriptionAction::SkipNext { next_date: next },
                    p!("confirm_sub_pause_until"),
                    p!("sub_paused_until"),
                    e.date_words(next),
                )
            } else {
                (
                    SubscriptionAction::Pause,
                    p!("confirm_sub_pause"),
                    p!("sub_paused"),
                    String::new(),
                )
            }
        }
        SubAction::Resume => {
            if sub.status == SubscriptionStatus::Active {
                e.say(p!("subscription_already_active"), &[("product", name)]);
                e.complete();
                return;
            }
            // The delivery it was paused before, if that day is still ahead.
            let next = sub
                .next_date
                .filter(|d| *d > e.today())
                .unwrap_or(e.today() + freq);
            // "Start it again and make it three": the count said with the resumption
            // changes too, in the same read-back.
            let new_qty = (*e.task().quantity()).filter(|&q| q != sub.qty);
            if new_qty.is_some() && !quantity_ok(e) {
                e.ask(Ask::Quantity, p!("ask_quantity"), &[("product", name)]);
                return;
            }
            let (confirm, done) = match new_qty {
                Some(qty) => {
                    also = Some(SubscriptionAction::ChangeQuantity { qty });
                    skipped = qty;
                    (
                        p!("confirm_sub_resume_quantity"),
                        p!("sub_resumed_quantity"),
                    )
                }
                None => (p!("confirm_sub_resume"), p!("sub_resumed")),
            };
            (
                SubscriptionAction::Resume { next_date: next },
                confirm,
                done,
                e.date_words(next),
            )
        }
        SubAction::Skip => {
            // "Skip the next two deliveries": as many as said, never silently one.
            let count = deliveries_counted(e).unwrap_or(1);
            skipped = count;
            let next = base + freq * i32::try_from(count).unwrap_or(1);
            let (confirm, done) = if count > 1 {
                (p!("confirm_sub_skip_many"), p!("sub_skipped_many"))
            } else {
                (p!("confirm_sub_skip"), p!("sub_skipped"))
            };
            (
                SubscriptionAction::SkipNext { next_date: next },
                confirm,
                done,
                e.date_words(next),
            )
        }
        SubAction::ChangeFrequency => {
            let Some(days) = e.task().subscription().frequency else {
                e.ask(Ask::Frequency, p!("ask_frequency"), &[]);
                return;
            };
            (
                SubscriptionAction::ChangeFrequency {
                    frequency_days: days,
                    next_date: sub
                        .next_date
                        .unwrap_or(e.today() + Duration::days(i64::from(days))),
                },
                p!("confirm_sub_frequency"),
                p!("sub_frequency_changed"),
                every(&e.catalog, days),
            )
        }
        SubAction::ChangeQuantity => {
            if !quantity_ok(e) || e.task().quantity().is_none() {
                e.ask(Ask::Quantity, p!("ask_quantity"), &[("product", name)]);
                return;
            }
            let qty = e.task().quantity().expect("checked above");
            (
                SubscriptionAction::ChangeQuantity { qty },
                p!("confirm_sub_quantity"),
                p!("sub_quantity_changed"),
                st::number_words(u64::from(qty)),
            )
        }
        SubAction::Cancel => (
            SubscriptionAction::Cancel,
            p!("confirm_sub_cancel"),
            p!("sub_cancelled"),
            String::new(),
        ),
        SubAction::Create | SubAction::List | SubAction::MoveDelivery | SubAction::NextDelivery => {
            unreachable!("handled above")
        }
    };
    let args = [
        ("product", name),
        ("detail", extra),
        ("count", st::number_words(u64::from(skipped))),
    ];
    if !e.task().confirmed {
        e.ask(Ask::YesNo(YesNo::Proceed), confirm_key, &args);
        return;
    }
    for action in std::iter::once(update).chain(also) {
        e.change(Change::UpdateSubscription {
            subscription_id: sub.id,
            subscription_ref: None,
            action,
        });
    }
    e.change(Change::Notify {
        channel: Channel::Email,
        template: Notice::SubscriptionChanged,
        order_number: None,
        reference: Some(sub.id.to_string()),
    });
    e.say(done_key, &args);
    e.complete();
}

/// The catalog product the request names, with a sensible quantity if one was given;
/// asks for whichever is missing or wrong (None while asking).
/// The variant of `prod` the caller named. A size or colour not said is asked, offering
/// what is in stock, never picked: "a hoodie" is not "a black hoodie, size large".
fn chosen_variant(e: &mut Engine, prod: Product, facts: &dyn Facts) -> Option<Product> {
    // What the household bought before is the variant they mean.
    let bought = e.s.customer.is_some_and(|cid| {
        facts
            .purchase_history(cid)
            .is_ok_and(|h| h.iter().any(|p| p.sku == prod.sku))
    });
    if bought {
        e.task().purchase().variant_checked = true;
        return Some(prod);
    }
    let sold: Vec<Product> = match facts.variants(&prod.family) {
        Ok(v) => v.into_iter().filter(|v| v.active).collect(),
        Err(err) => {
            e.store_trouble(&err);
            return None;
        }
    };
    let variants: Vec<Product> = sold.iter().filter(|v| v.stock > 0).cloned().collect();
    // One variant in stock (or none, which the stock check says): nothing to choose.
    if variants.len() < 2 {
        e.task().purchase().variant_checked = true;
        return Some(prod);
    }
    // Heard against everything sold, so "the hundred-dollar one" is known to be out of
    // stock rather than not heard. An answer to "which size?" wins over the opening
    // words, and those no longer choose what was said to be out of stock.
    let opening = e.task().words.clone();
    let answers = e.task().purchase().variant_words.clone();
    let told = e.task().purchase().out_of_stock.clone();
    let (said_size, said_colour) = spoken_size_and_colour(e, &answers, &sold);
    let (first_size, first_colour) = spoken_size_and_colour(e, &opening, &sold);
    let untold = |x: Option<String>| x.filter(|x| !told.contains(&x.to_lowercase()));
    let size = said_size.or_else(|| untold(first_size));
    let colour = said_colour.or_else(|| untold(first_colour));
    let same = |a: &Option<String>, b: &Option<String>| {
        a.as_deref().map(str::to_lowercase) == b.as_deref().map(str::to_lowercase)
    };
    let fits: Vec<&Product> = variants
        .iter()
        .filter(|v| size.is_none() || same(&v.size, &size))
        .filter(|v| colour.is_none() || same(&v.color, &colour))
        .collect();
    let colours = distinct(fits.iter().copied(), |v| v.color.clone());
    let sizes = by_size(distinct(fits.iter().copied(), |v| v.size.clone()));
    let family_name = pw::product_name(pw::family_part(&prod.name));
    if fits.is_empty() {
        // What was said is not in stock: said plainly, then asked again with what is.
        e.task().purchase().variant_words.clear();
        let said: Vec<String> = size
            .iter()
            .map(|s| match amounts(&prod, std::slice::from_ref(s)) {
                // "The one hundred dollar gift card".
                Some(_) => format!("{} dollar", st::number_words(s.parse().unwrap_or(0))),
                None => pw::size_words(s),
            })
            .chain(colour.iter().map(|c| c.to_lowercase()))
            .collect();
        let purchase = e.task().purchase();
        purchase
            .out_of_stock
            .extend(size.iter().chain(colour.iter()).map(|x| x.to_lowercase()));
        if said.is_empty() {
            e.say(p!("variant_not_in_stock"), &[("product", family_name)]);
        } else {
            e.say(
                p!("variant_out_of_stock"),
                &[("product", family_name), ("what", said.join(" "))],
            );
        }
        return chosen_variant_ask(e, prod, &variants);
    }
    // "A five hundred dollar gift card": more than a voice order may spend on gift
    // cards, said before the amounts sold are offered.
    if size.is_none() && sizes.len() > 1 && (colour.is_some() || colours.len() <= 1) {
        let words = e.task_ref().map(|t| t.words.clone()).unwrap_or_default();
        say_gift_card_limit_if_over(e, &prod, &words, false);
    }
    let options = |list: &[String]| -> String {
        // "Large", "one meter"; a colour, lower case.
        let said: Vec<String> = list.iter().map(|o| pw::size_words(o)).collect();
        speak::few_options(e, &said)
    };
    if colour.is_none() && colours.len() > 1 {
        e.ask(
            Ask::ProductVariant,
            p!("ask_product_colour"),
            &[("product", family_name), ("options", options(&colours))],
        );
        return None;
    }
    if size.is_none() && sizes.len() > 1 {
        let (key, shown) = match amounts(&prod, &sizes) {
            Some(amounts) => (p!("ask_product_amount"), speak::few_options(e, &amounts)),
            None => (p!("ask_product_size"), options(&sizes)),
        };
        e.ask(
            Ask::ProductVariant,
            key,
            &[("product", family_name), ("options", shown)],
        );
        return None;
    }
    let chosen = fits[0].clone();
    let purchase = e.task().purchase();
    purchase.variant_checked = true;
    purchase.product = Some(chosen.sku.clone());
    Some(chosen)
}

/// "A five hundred dollar gift card", "why can't I get five hundred?": an amount above
/// the most a voice order may spend on gift cards is answered with that limit, so the
/// caller hears why and what they can have. `asked`: the amount question is pending, so
/// a bare number is an amount. True when the limit was said.
fn say_gift_card_limit_if_over(
    e: &mut Engine,
    prod: &Product,
    words: &[String],
    asked: bool,
) -> bool {
    if prod.category != GIFT_CARD_CATEGORY {
        return false;
    }
    let max = u64::from(e.config().policy.orders.max_voice_gift_card_value);
    let money = |next: usize| {
        words
            .get(next)
            .is_some_and(|w| e.phrases().list("money_words").contains(w))
    };
    let over = st::amounts_said(words)
        .into_iter()
        .any(|(n, next)| n > max && (asked || money(next)));
    if over {
        let max = st::price_cents(i64::try_from(max).unwrap_or(i64::MAX).saturating_mul(100));
        e.say(p!("gift_card_over_limit"), &[("max", max)]);
    }
    over
}

/// A gift card's "sizes" are amounts, said as such ("twenty-five dollars", not "25").
fn amounts(prod: &Product, sizes: &[String]) -> Option<Vec<String>> {
    if prod.category != "gift_card" {
        return None;
    }
    sizes
        .iter()
        .map(|s| {
            let n: u64 = s.parse().ok()?;
            Some(format!("{} dollars", st::number_words(n)))
        })
        .collect()
}

/// Asks again for the variant, from scratch: the colour when the family comes in
/// several, else the size.
fn chosen_variant_ask(e: &mut Engine, prod: Product, variants: &[Product]) -> Option<Product> {
    let colours = distinct(variants, |v| v.color.clone());
    let family_name = pw::product_name(pw::family_part(&prod.name));
    let sizes = by_size(distinct(variants, |v| v.size.clone()));
    let (key, shown): (&'static str, Vec<String>) = if let Some(amounts) = amounts(&prod, &sizes) {
        (p!("ask_product_amount"), amounts)
    } else if colours.len() > 1 {
        (
            p!("ask_product_colour"),
            colours.iter().map(|c| c.to_lowercase()).collect(),
        )
    } else {
        (
            p!("ask_product_size"),
            sizes.iter().map(|s| pw::size_words(s)).collect(),
        )
    };
    e.ask(
        Ask::ProductVariant,
        key,
        &[
            ("product", family_name),
            ("options", speak::few_options(e, &shown)),
        ],
    );
    None
}

fn wanted_product(e: &mut Engine, ask_key: &'static str, facts: &dyn Facts) -> Option<Product> {
    let Some(sku) = e.task().product().clone() else {
        e.ask(Ask::Product, ask_key, &[]);
        return None;
    };
    let Some(prod) = product(e, &sku, facts) else {
        if e.task_ref().is_some() {
            *e.task().product() = None;
            e.ask(Ask::Product, p!("product_unknown"), &[]);
        }
        return None;
    };
    let prod = if e
        .task_ref()
        .is_some_and(|t| matches!(&t.req, Request::Place(p) if !p.variant_checked))
    {
        chosen_variant(e, prod, facts)?
    } else {
        prod
    };
    let room = if quantity_ok(e) {
        gift_card_room(e, &prod, facts)
    } else {
        GiftCardRoom::AskCount
    };
    match room {
        GiftCardRoom::Fits => Some(prod),
        GiftCardRoom::AskCount => {
            e.ask(
                Ask::Quantity,
                p!("ask_quantity"),
                &[("product", pw::product_name_plural(&prod.name))],
            );
            None
        }
        // Asking how many again would only loop: the gift card is let go, and what
        // else is in the basket goes on to its read-back.
        GiftCardRoom::NoneLeft => {
            // The count was forgotten when the limit was said.
            let purchase = e.task().purchase();
            purchase.settling = false;
            purchase.product = None;
            if purchase.cart.is_empty() {
                e.drop_task();
            }
            None
        }
    }
}

/// Whether a gift card's count fits the voice limit on gift cards.
enum GiftCardRoom {
    /// It fits (or the product is no gift card).
    Fits,
    /// Fewer would fit: said, and the count is asked again.
    AskCount,
    /// Not even one fits: said, with where more can be bought.
    NoneLeft,
}

/// "Twenty of the fifty-dollar gift cards": gift cards pass for cash, so a voice order
/// spends at most the configured value on them, counting those already in the cart.
/// Said when the count would go past it, with how many still fit, or that none does.
fn gift_card_room(e: &mut Engine, prod: &Product, facts: &dyn Facts) -> GiftCardRoom {
    if prod.category != GIFT_CARD_CATEGORY {
        return GiftCardRoom::Fits;
    }
    let Some(qty) = *e.task().quantity() else {
        return GiftCardRoom::Fits;
    };
    let in_cart = cart_gift_card_cents(&e.task().purchase().cart, facts);
    let ceiling = GiftCardCeiling::of(e, facts);
    let room = ceiling.max_cents - ceiling.before - in_cart;
    if i64::from(qty) * prod.price_cents <= room {
        return GiftCardRoom::Fits;
    }
    *e.task().quantity() = None;
    let max = st::price_cents(ceiling.max_cents);
    let fits = u64::try_from(room / prod.price_cents.max(1)).unwrap_or(0);
    if fits == 0 {
        e.say(ceiling.used_up_key(), &[("max", max)]);
        return GiftCardRoom::NoneLeft;
    }
    e.say(
        p!("gift_cards_too_much"),
        &[("max", max), ("fits", st::number_words(fits))],
    );
    GiftCardRoom::AskCount
}

/// Whether the cart's gift cards fit under the ceiling with those bought in this call
/// and, on a household's speaker, today. Past it, the gift cards leave the cart, which
/// is said; `false` when nothing is then left to order (the request is over).
fn gift_cards_within_the_ceiling(e: &mut Engine, facts: &dyn Facts) -> bool {
    let cart = e.task().purchase().cart.clone();
    let in_cart = cart_gift_card_cents(&cart, facts);
    if in_cart == 0 {
        return true;
    }
    let ceiling = GiftCardCeiling::of(e, facts);
    if ceiling.before + in_cart <= ceiling.max_cents {
        return true;
    }
    e.say(
        ceiling.used_up_key(),
        &[("max", st::price_cents(ceiling.max_cents))],
    );
    let rest: Vec<(String, u32)> = cart
        .into_iter()
        .filter(|(sku, q)| cart_gift_card_cents(&[(sku.clone(), *q)], facts) == 0)
        .collect();
    if rest.is_empty() {
        e.complete();
        return false;
    }
    e.task().purchase().cart = rest;
    true
}

/// The gift card value of a cart, in cents.
fn cart_gift_card_cents(cart: &[(String, u32)], facts: &dyn Facts) -> i64 {
    cart.iter()
        .filter_map(|(sku, q)| {
            let p = facts.product(sku).ok().flatten()?;
            Some(gift_card_cents(&p.category, *q, p.price_cents))
        })
        .sum()
}

/// The ceiling on gift cards bought by voice, and what of it is spent before the cart
/// in hand: in this call and, on a household's speaker, today ("another two hundred on
/// a new order" counts what was bought already).
struct GiftCardCeiling {
    max_cents: i64,
    /// The larger of this call's and today's on the speaker.
    before: i64,
    /// Today's on the household's speaker.
    today: i64,
    /// This call's.
    in_call: i64,
}

impl GiftCardCeiling {
    fn of(e: &Engine, facts: &dyn Facts) -> GiftCardCeiling {
        let today = gift_cards_today(e, facts);
        let in_call = e.s.gift_cards_bought_cents;
        GiftCardCeiling {
            max_cents: i64::from(e.config().policy.orders.max_voice_gift_card_value) * 100,
            before: in_call.max(today),
            today,
            in_call,
        }
    }

    /// What is said when nothing more fits: the day's ceiling on a speaker when today's
    /// purchases reached it, else the call's.
    fn used_up_key(&self) -> &'static str {
        if self.before > 0 && self.today >= self.in_call {
            p!("gift_cards_used_up_today")
        } else {
            p!("gift_cards_used_up")
        }
    }
}

/// Gift cards on the household's orders placed today, in cents (none off a speaker).
fn gift_cards_today(e: &Engine, facts: &dyn Facts) -> i64 {
    let Some(customer) = e.s.customer.filter(|_| e.s.speaker.is_some()) else {
        return 0;
    };
    let today = e.today();
    facts
        .household_orders(customer)
        .unwrap_or_default()
        .iter()
        .filter(|o| {
            o.order_date == today && o.status != voxorder_domain::order::OrderStatus::Cancelled
        })
        .filter_map(|o| facts.order(&o.order_number).ok().flatten())
        .flat_map(|o| o.items)
        .map(|i| gift_card_cents(&i.category, i.qty, i.price.cents()))
        .sum()
}

fn create_subscription(e: &mut Engine, cid: i64, facts: &dyn Facts) {
    let Some(prod) = wanted_product(e, p!("ask_subscription_product"), facts) else {
        return;
    };
    let qty = e.task().quantity().unwrap_or(1);
    let Some(days) = e.task().subscription().frequency else {
        e.ask(Ask::Frequency, p!("ask_frequency"), &[]);
        return;
    };
    let first = e.today() + Duration::days(i64::from(days));
    let args = [
        ("items", line_words(&prod.name, qty)),
        ("every", every(&e.catalog, days)),
        ("price", st::price_cents(prod.price_cents * i64::from(qty))),
        ("date", e.date_words(first)),
    ];
    if !e.task().confirmed {
        e.ask(Ask::YesNo(YesNo::Proceed), p!("confirm_sub_create"), &args);
        return;
    }
    e.change(Change::CreateSubscription {
        customer_id: cid,
        customer_email: None,
        subscription_ref: None,
        sku: prod.sku.clone(),
        qty,
        frequency_days: days,
        next_date: first,
    });
    e.change(Change::Notify {
        channel: Channel::Email,
        template: Notice::SubscriptionChanged,
        order_number: None,
        reference: None,
    });
    e.say(p!("sub_created"), &args);
    e.complete();
}

/// Answers to the questions of these requests.
pub(crate) fn answer(e: &mut Engine, ask: &Ask, said: &Said<'_>, facts: &dyn Facts) -> Answer {
    let ent = &said.entities;
    match ask {
        Ask::Product => match &ent.product {
            Some(sku) => {
                let task = e.task();
                *task.product() = Some(sku.clone());
                if ent.quantity.is_some() {
                    *task.quantity() = ent.quantity;
                }
                // "A navy tee in medium and the charcoal socks in large" answering "what
                // would you like?": each product keeps what was said of it, and none is
                // dropped. The first one's words end where the next product begins.
                if let Request::Place(purchase) = &mut task.req {
                    if purchase.more.is_empty() {
                        purchase.more = ent.more_products.clone();
                    }
                    let first: Vec<String> = if ent.more_products.is_empty() {
                        said.words.clone()
                    } else {
                        said.words
                            .iter()
                            .take_while(|w| !matches!(w.as_str(), "and" | "plus"))
                            .cloned()
                            .collect()
                    };
                    purchase.variant_words.extend(first);
                }
                if let (Request::Subscription(sub), Some(days)) =
                    (&mut task.req, ent.frequency_days)
                {
                    sub.frequency = Some(days);
                }
                Answer::Filled
            }
            None => Answer::Missed,
        },
        Ask::ProductVariant => {
            let family = e
                .task()
                .product()
                .clone()
                .and_then(|sku| facts.product(&sku).ok().flatten())
                .map(|p| p.family);
            let variants = family
                .as_ref()
                .and_then(|f| facts.variants(f).ok())
                .unwrap_or_default();
            let (size, colour) = spoken_size_and_colour(e, &said.words, &variants);
            // "No, not a backpack. Green tea. Three boxes of green tea": the product was
            // misheard; the one named now replaces it, with what is said of it.
            let other_kind = said
                .entities
                .product
                .as_ref()
                .and_then(|sku| facts.product(sku).ok().flatten())
                .filter(|p| Some(&p.family) != family.as_ref());
            if let (None, None, Some(other)) = (&size, &colour, other_kind) {
                let purchase = e.task().purchase();
                purchase.product = Some(other.sku);
                purchase.variant_words = said.words.clone();
                purchase.quantity = said.entities.quantity.or(purchase.quantity);
                return Answer::Filled;
            }
            if size.is_none() && colour.is_none() {
                // "No, five hundred", "why can't I get five hundred?": the limit, and
                // the amounts asked again.
                let prod = e
                    .task()
                    .product()
                    .clone()
                    .and_then(|sku| facts.product(&sku).ok().flatten());
                if let Some(prod) = prod {
                    if say_gift_card_limit_if_over(e, &prod, &said.words, true) {
                        e.ask_again();
                        return Answer::Handled;
                    }
                }
                return Answer::Missed;
            }
            // "Two fifties then": the size and how many, in one answer. A number that
            // is the size itself ("ten" for size 10) is not a count.
            let count = said
                .entities
                .quantity
                .filter(|q| size.as_deref() != Some(q.to_string().as_str()));
            let purchase = e.task().purchase();
            purchase.variant_words.extend(said.words.iter().cloned());
            // "Extra large. Actually make it two": a count said with the answer is the
            // count, whatever was heard before.
            if let Some(q) = count {
                purchase.quantity = Some(q);
            }
            Answer::Filled
        }
        // "None. Just the three fifty dollar ones", "forget the two hundred one. Stop." at
        // how many of an item to buy: that item is let go, never a count of it; what
        // else is in the basket goes on to its read-back.
        Ask::Quantity if purchasing(e) && e.phrases().any("item_let_go", &said.words) => {
            let purchase = e.task().purchase();
            purchase.settling = false;
            purchase.product = None;
            purchase.quantity = None;
            purchase.more.clear();
            let left = !purchase.cart.is_empty();
            e.say(p!("item_let_go"), &[]);
            e.ask = Ask::Nothing;
            if left {
                e.advance(facts);
            } else {
                e.drop_task();
            }
            Answer::Handled
        }
        Ask::Quantity => {
            let bare_number = match said.words.as_slice() {
                [w] => w.parse::<u32>().ok(),
                _ => None,
            };
            let none = e.phrases().any("none", &said.words);
            let qty = ent
                .quantity
                .or(bare_number)
                .or(none.then_some(0))
                .or_else(|| {
                    (e.yes_no(said) == Some(true))
                        .then(|| e.task_ref().and_then(Task::current_quantity))
                        .flatten()
                });
            match qty {
                Some(q) => {
                    *e.task().quantity() = Some(q);
                    Answer::Filled
                }
                None => Answer::Missed,
            }
        }
        Ask::Frequency => match ent.frequency_days {
            Some(d) if d > 0 => {
                e.task().subscription().frequency = Some(d);
                Answer::Filled
            }
            _ => Answer::Missed,
        },
        Ask::SubscriptionAction => {
            // "No, not the subscription, I want to order one bag now": a purchase made
            // once, which leaves the subscription as it is.
            if said.intent == Intent::PlaceOrder
                && said.confidence >= e.config().dialog.switch_confidence
            {
                // The product is the subscription's, when the answer names none ("one
                // bag now").
                let sub_sku = e
                    .task()
                    .subscription()
                    .subscription
                    .and_then(|id| household_subscription(e, id, facts))
                    .map(|s| s.sku);
                let product = e.task().product().clone().or(sub_sku);
                let mut heard = said.heard.clone();
                if heard.entities.product.is_none() {
                    heard.entities.product = product;
                }
                let said = Said {
                    heard: &heard,
                    ..*said
                };
                e.end_task();
                e.ask = Ask::Nothing;
                e.start_goal(Goal::Place, &said, facts);
                return Answer::Handled;
            }
            match action_from_words(e, &said.words, ent.frequency_days, ent.quantity) {
                Some(a) => {
                    let task = e.task();
                    task.subscription().sub_action = Some(a);
                    task.subscription().frequency =
                        ent.frequency_days.or(task.subscription().frequency);
                    *task.quantity() = ent.quantity.or(*task.quantity());
                    if ent.product.is_some() {
                        *task.product() = ent.product.clone();
                    }
                    Answer::Filled
                }
                None => Answer::Missed,
            }
        }
        Ask::WhichSubscription(ids) => {
            // The household's subscriptions, read once, in the order they were offered.
            let household =
                e.s.customer
                    .and_then(|cid| facts.household_subscriptions(cid).ok())
                    .unwrap_or_default();
            let subs: Vec<Subscription> = ids
                .iter()
                .filter_map(|id| household.iter().find(|s| s.id == *id).cloned())
                .collect();
            let by_product = ent.product.as_ref().and_then(|sku| {
                let family = facts.product(sku).ok().flatten().map(|p| p.family);
                subs.iter().find(|s| {
                    s.sku == *sku
                        || matches!(facts.product(&s.sku), Ok(Some(p)) if Some(&p.family) == family.as_ref())
                })
            });
            let chosen = by_product
                .map(|s| s.id)
                .or_else(|| said.position(ids.len()).map(|i| ids[i]));
            match chosen {
                Some(id) => {
                    e.task().subscription().subscription = Some(id);
                    Answer::Filled
                }
                None => Answer::Missed,
            }
        }
        _ => Answer::Missed,
    }
}

/// Clothing sizes in the order people list them; other sizes after, as written.
fn size_rank(size: &str) -> (usize, String) {
    (pw::size_rank(size), size.to_string())
}

/// Whether the words ask a product's price or whether it is in stock ("how much is the
/// fleece hoodie?", "do you have it in green?").
pub(crate) fn asks_about_a_product(e: &Engine, said: &Said<'_>) -> bool {
    let ph = e.phrases();
    // "What colours does it come in?", "is the red one in stock?": the product asked
    // about last.
    let named = said.entities.product.is_some()
        || (e.s.last_product.is_some()
            && (ph.any("refers_back", &said.words) || said.words.iter().any(|w| w == "one")));
    named && asks_price_stock_or_variants(e, &said.words)
}

/// Whether the words ask a product's price, stock, or the sizes and colours it comes in.
pub(crate) fn asks_price_stock_or_variants(e: &Engine, words: &[String]) -> bool {
    let ph = e.phrases();
    ph.any("asks_price", words) || ph.any("asks_stock", words) || ph.any("asks_variants", words)
}

/// "What about large?", "and in green?" right after a question about a product: the
/// same product, another size or colour of it.
pub(crate) fn follows_up_on_a_product(e: &Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    if e.s.last_product.is_none() || said.words.len() > 9 || product_said(e, said, facts).is_some()
    {
        return false;
    }
    // "Ok, and in extra large?": an acknowledgement before the question is no part of it.
    let first = said.words.iter().map(String::as_str).find(|w| {
        !matches!(
            *w,
            "ok" | "okay"
                | "right"
                | "alright"
                | "so"
                | "um"
                | "oh"
                | "hmm"
                | "fine"
                | "no"
                | "well"
                | "then"
        )
    });
    let opener = matches!(
        first,
        Some("what" | "how" | "and" | "in" | "or" | "also" | "any" | "do" | "is")
    );
    opener && names_a_variant_of_the_last_product(e, said, facts)
}

/// Whether the words name a size or colour of the product asked about last ("a size
/// 12", "in red").
pub(crate) fn names_a_variant_of_the_last_product(
    e: &Engine,
    said: &Said<'_>,
    facts: &dyn Facts,
) -> bool {
    let Some(family) =
        e.s.last_product
            .as_deref()
            .and_then(|sku| facts.product(sku).ok().flatten())
            .map(|p| p.family)
    else {
        return false;
    };
    let variants = facts.variants(&family).unwrap_or_default();
    let (size, colour) = spoken_size_and_colour(e, &said.words, &variants);
    size.is_some() || colour.is_some()
}

/// The product a question names, unless the word that matched it is a colour or size of
/// the product just discussed: "what about oatmeal large?" after the fleece hoodie is the
/// hoodie in oatmeal, not rolled oats, whose own name ("rolled oats") was not said.
fn product_said(e: &Engine, said: &Said<'_>, facts: &dyn Facts) -> Option<String> {
    let sku = said.entities.product.clone()?;
    let Some(last) = e.s.last_product.as_deref().filter(|l| *l != sku) else {
        return Some(sku);
    };
    let named = facts.product(&sku).ok().flatten().is_some_and(|p| {
        crate::locale::words(&p.name)
            .iter()
            .any(|w| w.len() > 2 && said.words.iter().any(|s| pw::same_noun(s, w)))
    });
    let family = facts.product(last).ok().flatten().map(|p| p.family);
    let variants = family
        .map(|f| facts.variants(&f).unwrap_or_default())
        .unwrap_or_default();
    let (size, colour) = spoken_size_and_colour(e, &said.words, &variants);
    (named || (size.is_none() && colour.is_none())).then_some(sku)
}

/// A product's price and stock, from the catalog: of the size and colour named, else of
/// the product as a whole. Changes nothing. A follow-up ("what about large?") keeps the
/// colour or size of the question before it.
pub(crate) fn product_answer(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) {
    let Some(sku) = product_said(e, said, facts).or_else(|| e.s.last_product.clone()) else {
        return;
    };
    // "How much is the grey yoga mat and do you have it in stock?": the second part is
    // answered without the price just said.
    let answered_just_now =
        product_just_answered(e) && e.s.last_product.as_deref() == Some(sku.as_str());
    e.s.last_product = Some(sku.clone());
    e.s.product_answered_at = Some(e.s.turns);
    let Some(p) = product(e, &sku, facts) else {
        e.say(p!("product_not_sold"), &[]);
        e.anything_else();
        return;
    };
    let variants = match facts.variants(&p.family) {
        Ok(v) if !v.is_empty() => v,
        Ok(_) => vec![p.clone()],
        Err(err) => {
            e.store_trouble(&err);
            return;
        }
    };
    let (mut size, mut colour) = spoken_size_and_colour(e, &said.words, &variants);
    // "What about large?": is that one there too, and at what price.
    let named = product_said(e, said, facts).is_some();
    let follow_up = !named && (size.is_some() || colour.is_some());
    if !named && e.s.last_product_choice != (None, None) {
        let (last_size, last_colour) = e.s.last_product_choice.clone();
        if size.is_some() != colour.is_some() {
            size = size.or(last_size);
            colour = colour.or(last_colour);
        }
    }
    e.s.last_product_choice = (size.clone(), colour.clone());
    let fitting: Vec<&Product> = variants
        .iter()
        .filter(|v| size.is_none() || v.size == size)
        .filter(|v| colour.is_none() || v.color == colour)
        .collect();
    // The product as the caller named it: the family's name, with what they specified.
    let base = pw::product_name(pw::family_part(&p.name));
    // "The earbuds are in stock", "the kettle is".
    let plural = pw::ProductWords::parse(&p.name).is_plural_noun();
    let (is, comes) = if plural {
        ("are", "come")
    } else {
        ("is", "comes")
    };
    if colour.is_none() {
        // "Is the yoga mat available in blue?": a colour no variant has is not the
        // product in general; say so, with the colours there are.
        let mut sold: Vec<String> = variants
            .iter()
            .filter_map(|v| v.color.as_deref().map(str::to_lowercase))
            .collect();
        sold.sort();
        sold.dedup();
        if let Some(unsold) = colour_not_sold(e, &said.words, &p.name, &sold) {
            e.say(
                p!("product_no_such_colour"),
                &[
                    ("name", base),
                    ("colour", unsold),
                    ("colours", st::list_and(&sold)),
                ],
            );
            e.s.completed += 1;
            e.anything_else();
            return;
        }
    }
    let name = match (
        colour.as_deref().map(str::to_lowercase),
        size.as_deref().map(pw::size_words),
    ) {
        (Some(c), Some(s)) => format!("{base} in {c}, size {s}"),
        (Some(c), None) => format!("{base} in {c}"),
        (None, Some(s)) => format!("{base} in size {s}"),
        (None, None) => base,
    };
    let Some(cheapest) = fitting.iter().map(|v| v.price_cents).min() else {
        e.say(p!("product_no_such_variant"), &[("name", name)]);
        e.anything_else();
        return;
    };
    if e.phrases().any("asks_variants", &said.words) {
        // The colours and sizes there are, of what is in stock now.
        let stocked: Vec<&&Product> = fitting.iter().filter(|v| v.stock > 0).collect();
        let mut colours: Vec<String> = stocked.iter().filter_map(|v| v.color.clone()).collect();
        let mut sizes: Vec<String> = stocked.iter().filter_map(|v| v.size.clone()).collect();
        colours.sort();
        colours.dedup();
        sizes.sort_by_key(|s| size_rank(s));
        sizes.dedup();
        let colours: Vec<String> = colours.iter().map(|c| c.to_lowercase()).collect();
        let sizes = speak::size_span(&sizes);
        let key = match (colours.is_empty(), sizes.is_empty()) {
            _ if stocked.is_empty() => p!("product_out_of_stock"),
            (false, false) => p!("product_variants"),
            (false, true) => p!("product_colours"),
            (true, false) => p!("product_sizes"),
            (true, true) => p!("product_in_stock"),
        };
        e.say(
            key,
            &[
                ("name", name),
                ("is", is.to_string()),
                ("comes", comes.to_string()),
                ("price", st::price_cents(cheapest)),
                ("colours", st::list_and(&colours)),
                ("sizes", sizes),
            ],
        );
        e.s.completed += 1;
        e.anything_else();
        return;
    }
    let price = st::price_cents(cheapest);
    let in_stock = fitting.iter().any(|v| v.stock > 0);
    // "What does it cost?" of something out of stock is still answered with its price.
    let asks_price = e.phrases().any("asks_price", &said.words);
    let key = match (
        in_stock,
        follow_up || e.phrases().any("asks_stock", &said.words),
    ) {
        (true, true) if answered_just_now && !named && size.is_none() && colour.is_none() => {
            p!("product_in_stock_too")
        }
        (true, true) => p!("product_in_stock"),
        (false, _) if asks_price => p!("product_out_of_stock_price"),
        (false, _) => p!("product_out_of_stock"),
        (true, false) => p!("product_price"),
    };
    // "Do you have it in medium, and how much is it?": the price said with the stock in
    // this reply is not said again for the second clause.
    if key == p!("product_price") && e.out.iter().any(|line| line.contains(&price)) {
        return;
    }
    let is_it = if plural { "they're" } else { "it's" };
    e.say(
        key,
        &[
            ("name", name),
            ("is", is.to_string()),
            ("price", price),
            ("is_it", is_it.to_string()),
        ],
    );
    e.s.completed += 1;
    e.anything_else();
}

/// A colour the caller named that none of a family's `sold` colours has, nor its
/// name ("blue" of a yoga mat sold in purple, black and teal; not "green" of a "Forest
/// Green" one).
fn colour_not_sold(e: &Engine, words: &[String], name: &str, sold: &[String]) -> Option<String> {
    if sold.is_empty() {
        return None;
    }
    let name = name.to_lowercase();
    let names_it = |text: &str, word: &str| {
        text.split(|c: char| !c.is_alphanumeric())
            .any(|w| w == word)
    };
    let colours = e.phrases().list("colour_words");
    words.iter().map(|w| w.to_lowercase()).find(|w| {
        colours.contains(w) && !names_it(&name, w) && !sold.iter().any(|c| names_it(c, w))
    })
}

/// "And add the rolled oats too" at the read-back of an order about to be placed: the
/// product joins the same order (one delivery, one shipping charge), in the amount
/// said, else as many as the caller last bought, else one; the caller reads it back again.
/// A product with sizes or colours must be named exactly to be added this way.
pub(crate) fn adds_to_cart(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    if !purchasing(e) || !e.phrases().any("add_item", &said.words) {
        return false;
    }
    let Some(sku) = said.entities.product.clone() else {
        return false;
    };
    let Some(cid) = e.s.customer.filter(|&id| id >= 0) else {
        return false;
    };
    // The one they buy, when the word names a family ("the oats").
    let family = facts.product(&sku).ok().flatten().map(|p| p.family);
    let bought = facts
        .purchase_history(cid)
        .ok()
        .and_then(|history| bought_before(&history, &sku, family.as_deref(), facts).cloned());
    let (sku, usual) = match bought {
        Some(h) => (h.sku, h.last_qty),
        None => (sku, 1),
    };
    if !matches!(facts.product(&sku), Ok(Some(p)) if p.active) {
        return false;
    }
    let qty = said.entities.quantity.unwrap_or(usual).max(1);
    let cart = &mut e.task().purchase().cart;
    if cart.iter().any(|(s, _)| *s == sku) {
        return false;
    }
    cart.push((sku, qty));
    true
}

/// "Yes. And then also a two hundred dollar one for my brother" at the read-back of an
/// order about to be placed: the yes places the order read back, and the item asked for
/// after it ("also", "another") is a purchase of its own, taken up after it, never a
/// change to the order read back. "One" there is the product read back, in the size or
/// value said. The words heard whole as a purchase are split into the yes and the rest.
/// True when `heard` is such a yes (then made one).
pub(crate) fn yes_then_another_item(
    e: &Engine,
    heard: &mut Interpretation,
    facts: &dyn Facts,
) -> bool {
    if e.ask != Ask::YesNo(YesNo::Proceed) || !purchasing(e) {
        return false;
    }
    let buys = |i: Intent| matches!(i, Intent::PlaceOrder | Intent::Reorder);
    let ph = e.phrases();
    let read_back = match &e.task_ref().map(|t| &t.req) {
        Some(Request::Place(p)) => p.cart.first().map(|(sku, _)| sku.clone()),
        _ => None,
    };
    // "One" is the product read back; another product is named.
    let named = |then: &mut Interpretation| {
        let refers_back = then
            .words
            .iter()
            .any(|w| matches!(w.as_str(), "one" | "ones"));
        if then.entities.product.is_none() && refers_back {
            // The size or value said of it ("a two hundred dollar one").
            let own = read_back
                .as_deref()
                .and_then(|sku| facts.product(sku).ok().flatten());
            let variants = own
                .as_ref()
                .and_then(|p| facts.variants(&p.family).ok())
                .unwrap_or_default();
            let (size, colour) = spoken_size_and_colour(e, &then.words, &variants);
            let said = variants.iter().find(|v| {
                (size.is_some() || colour.is_some())
                    && (size.is_none() || v.size == size)
                    && (colour.is_none() || v.color == colour)
            });
            then.entities.product = said.map(|v| v.sku.clone()).or_else(|| read_back.clone());
            // "A two hundred dollar one": one of it.
            if then.entities.quantity.is_none() && then.words.iter().any(|w| w == "one") {
                then.entities.quantity = Some(1);
            }
        }
        then.entities.product.is_some()
    };
    if heard.intent == Intent::Affirm {
        let Some(then) = heard.then.as_deref_mut() else {
            return false;
        };
        return buys(then.intent) && ph.any("also_another", &then.words) && named(then);
    }
    if heard.then.is_some() || !heard.has(Cue::Yes) || heard.has(Cue::Negated) {
        return false;
    }
    if !buys(heard.intent) {
        return false;
    }
    // The yes and what joins it to the rest ("yes. and then also …").
    let opening_words = ph.list("yes_then_joiners");
    let opening = heard
        .words
        .iter()
        .take_while(|w| opening_words.contains(w))
        .count();
    let rest = heard.words.get(opening..).unwrap_or_default().to_vec();
    if opening == 0 || rest.is_empty() || !ph.any("also_another", &rest) {
        return false;
    }
    let mut then = heard.clone();
    then.words = rest;
    then.intent = Intent::PlaceOrder;
    if !named(&mut then) {
        return false;
    }
    let mut yes = Interpretation::unclear();
    yes.text = heard.words[..opening].join(" ");
    yes.words = heard.words[..opening].to_vec();
    yes.intent = Intent::Affirm;
    yes.confidence = 1.0;
    yes.cues = vec![Cue::Yes];
    yes.then = Some(Box::new(then));
    *heard = yes;
    true
}

/// "Actually make it three bags of coffee so we get free shipping" at the read-back of a
/// new order: the count said of a line in the cart (or of its only line) replaces that
/// line's count; "two more bags of coffee" adds to it.
/// True when a count changed, so the order is read back again before any yes.
pub(crate) fn recount_cart(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    if !purchasing(e) {
        return false;
    }
    let Some(qty) = said.entities.quantity.filter(|&q| q > 0) else {
        return false;
    };
    let cart = e.task().purchase().cart.clone();
    let mut wanted: Vec<(String, u32)> = Vec::new();
    match said.entities.product.clone() {
        Some(sku) => wanted.push((sku, qty)),
        None if cart.len() == 1 => wanted.push((cart[0].0.clone(), qty)),
        None => return false,
    }
    for more in &said.entities.more_products {
        if let Some(q) = more.quantity.filter(|&q| q > 0) {
            wanted.push((more.sku.clone(), q));
        }
    }
    let adds = e.phrases().any("count_added", &said.words);
    let max = e.config().policy.orders.max_voice_quantity;
    let mut changed = false;
    for (heard, q) in wanted {
        let Some(line) = cart
            .iter()
            .position(|(sku, _)| identity::same_product(sku, &heard, facts))
        else {
            continue;
        };
        let (sku, now) = cart[line].clone();
        let new = if adds { now.saturating_add(q) } else { q };
        if new == now {
            continue;
        }
        changed = true;
        // One line, or too many for a line of a larger order: it goes back through the
        // product-and-count path, so the new count is checked like any other.
        if cart.len() == 1 || new > max {
            through_the_product_again(e, sku, new);
            break;
        }
        e.task().purchase().cart[line].1 = new;
    }
    changed
}

/// "No, make it a large", "make that two $25 gift cards instead" at the read-back of a
/// new order of one item: another size, colour or value of the same product replaces
/// the one read back (never adds to it), and goes through the product's checks again.
/// Words that refuse ("not the large") change nothing here. True when taken.
pub(crate) fn swaps_variant_in_cart(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    if !purchasing(e) {
        return false;
    }
    let cart = e.task().purchase().cart.clone();
    let [(sku, qty)] = &cart[..] else {
        return false;
    };
    let refuses = said
        .words
        .iter()
        .any(|w| matches!(w.as_str(), "not" | "don't" | "dont" | "never" | "without"));
    let Ok(Some(own)) = facts.product(sku) else {
        return false;
    };
    let Ok(variants) = facts.variants(&own.family) else {
        return false;
    };
    let named = said
        .entities
        .product
        .as_deref()
        .filter(|p| *p != sku.as_str())
        .and_then(|p| variants.iter().find(|v| v.sku == p));
    let target = named.cloned().or_else(|| {
        let (size, colour) = spoken_size_and_colour(e, &said.words, &variants);
        if size.is_none() && colour.is_none() {
            return None;
        }
        let size = size.or_else(|| own.size.clone());
        let colour = colour.or_else(|| own.color.clone());
        let same = |a: &Option<String>, b: &Option<String>| match (a, b) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (None, None) => true,
            _ => false,
        };
        variants
            .iter()
            .find(|v| same(&v.size, &size) && same(&v.color, &colour))
            .filter(|v| v.sku != own.sku)
            .cloned()
    });
    let Some(target) = target.filter(|_| !refuses) else {
        return false;
    };
    let qty = said.entities.quantity.filter(|&q| q > 0).unwrap_or(*qty);
    through_the_product_again(e, target.sku, qty);
    true
}

/// The cart is emptied and `sku`, `qty` of it, goes back through the product-and-count
/// path, checked like any other line: its variant is the one read back or chosen, so
/// nothing is left to choose.
fn through_the_product_again(e: &mut Engine, sku: String, qty: u32) {
    let task = e.task();
    task.purchase().cart.clear();
    task.become_goal(Goal::Place);
    task.purchase().variant_checked = true;
    *task.product() = Some(sku);
    *task.quantity() = Some(qty);
}

/// "Oh no, not the belt, just the skillet" at the read-back of an order of several
/// items: the lines said after "just" or "only" are all that is kept, or those said
/// after "not" or "without" are dropped. True when the cart changed and still holds
/// something.
pub(crate) fn trim_cart(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    if !purchasing(e) {
        return false;
    }
    let cart = e.task().purchase().cart.clone();
    if cart.len() < 2 {
        return false;
    }
    let names: Vec<Vec<String>> = cart
        .iter()
        .map(|(sku, _)| {
            facts
                .product(sku)
                .ok()
                .flatten()
                .map(|p| crate::locale::words(&p.name))
                .unwrap_or_default()
        })
        .collect();
    let Some(keep) = speak::lines_kept(&names, &said.words, &["drop", "remove"]) else {
        return false;
    };
    e.task().purchase().cart = keep.into_iter().map(|i| cart[i].clone()).collect();
    true
}

/// The subtotal, in cents, from which standard shipping is free.
fn free_shipping_from(e: &Engine) -> i64 {
    Money::from_decimal(e.config().policy.shipping.free_standard_threshold).map_or(0, Money::cents)
}

/// "How much more do I need for free shipping?" at the read-back of a new order: how
/// far its items are from the free-shipping threshold, then the read-back's question
/// again. False, with nothing said, for anything else (or a yes or no said with it).
pub(crate) fn tells_free_shipping(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    let buying = e
        .task
        .as_ref()
        .is_some_and(|t| matches!(t.goal(), Goal::Place | Goal::Reorder));
    if !buying
        || !e.phrases().any("asks_free_shipping", &said.words)
        || e.yes_no(said).is_some()
        || said.entities.quantity.is_some()
    {
        return false;
    }
    let cart = e.task().purchase().cart.clone();
    let mut subtotal = 0;
    for (sku, qty) in &cart {
        match facts.product(sku) {
            Ok(Some(p)) => subtotal += p.price_cents * i64::from(*qty),
            _ => return false,
        }
    }
    let threshold = free_shipping_from(e);
    let args = [
        ("threshold", st::price_cents(threshold)),
        ("short", st::price_cents((threshold - subtotal).max(0))),
    ];
    if subtotal >= threshold {
        e.say(p!("free_shipping_reached"), &args);
    } else {
        e.say(p!("free_shipping_short"), &args);
    }
    e.ask(Ask::YesNo(YesNo::Proceed), p!("ask_place_order"), &[]);
    true
}

/// "So it'll be here tomorrow?" at a purchase's read-back: the day it would arrive, and
/// the read-back's question again. False, saying nothing, for any other words or when
/// no purchase was read back.
pub(crate) fn tells_arrival(e: &mut Engine, said: &Said<'_>) -> bool {
    let Some(date) = e.task.as_ref().and_then(Task::purchase_arrives) else {
        return false;
    };
    if !e.asks_when_it_arrives(&said.words) || e.yes_no(said).is_some() {
        return false;
    }
    let date = e.date_words(date);
    e.say(p!("purchase_arrives"), &[("date", date)]);
    e.ask(Ask::YesNo(YesNo::Proceed), p!("ask_place_order"), &[]);
    true
}

/// "When's the next one due, before I say yes?" at the read-back of a change to a
/// subscription: its next delivery is said, and the read-back asked again. False, with
/// nothing said, for anything else.
pub(crate) fn tells_next_of_the_subscription(
    e: &mut Engine,
    said: &Said<'_>,
    facts: &dyn Facts,
) -> bool {
    let id = match e.task.as_ref().map(|t| &t.req) {
        Some(Request::Subscription(s)) => s.subscription,
        _ => None,
    };
    let Some(id) = id else {
        return false;
    };
    // "Wait, how often does it come now?": the schedule is said with the next one.
    let asks = (e.phrases().any("subscription_next", &said.words)
        && said
            .words
            .iter()
            .any(|w| matches!(w.as_str(), "when" | "when's" | "whens" | "what")))
        || e.phrases().any("asks_frequency", &said.words);
    if !asks || e.yes_no(said) == Some(false) {
        return false;
    }
    let Some(sub) = household_subscription(e, id, facts) else {
        return false;
    };
    let name = sub_name(e, &sub, facts);
    say_next_delivery(e, &sub, name);
    e.say_pending_question(false);
    true
}

/// When the subscription's next delivery comes (or that it is paused, or not yet set).
fn say_next_delivery(e: &mut Engine, sub: &Subscription, name: String) {
    let key = match (sub.status, sub.next_date) {
        (SubscriptionStatus::Paused, _) => p!("sub_next_paused"),
        (_, Some(_)) => p!("sub_next_delivery"),
        (_, None) => p!("sub_next_unknown"),
    };
    let next = sub.next_date.map(|d| e.date_words(d)).unwrap_or_default();
    let every = every(&e.catalog, sub.frequency_days);
    e.say(key, &[("product", name), ("next", next), ("every", every)]);
}

#[cfg(test)]
mod tests {
    use crate::locale::Catalog;
    use crate::speak::every;

    #[test]
    fn frequencies_are_said_as_people_say_them() {
        let c = Catalog::load("en-US").expect("catalog");
        assert_eq!(every(&c, 7), "every week");
        assert_eq!(every(&c, 14), "every two weeks");
        assert_eq!(every(&c, 30), "every month");
        assert_eq!(every(&c, 60), "every two months");
        assert_eq!(every(&c, 10), "every ten days");
    }
}

//! Requests after delivery: returns (which items, eligibility by window, category and
//! final sale, reason, refund method, label or pickup), exchanges for another size or
//! colour in stock, problems (damaged, defective, wrong or missing items are replaced or
//! refunded right away, nothing sent back; a parcel not received waits out the carrier's
//! grace period, then goes to an investigation), and the state of a return and its refund.

use chrono::Duration;

use crate::facts::Facts;
use crate::identity;
use crate::request::Request;
use crate::speak::{
    by_size, card_words, date_ok, distinct, few_options, item_words, item_words_brief,
    line_asked_of, lines_kept, load, never_returnable_line, never_returnable_why, refund_days,
    say_return_state, size_span, slot_words, spoken_size_and_colour,
};
use crate::{p, Answer, Ask, Engine, Goal, NewItem, Problem, Said, YesNo};
use voxorder_config::RefundMethod;
use voxorder_domain::change::{
    Change, Channel, HandOffReason, InvestigationReason, Notice, Pickup, Resolution, ReturnLine,
    ReturnRequest,
};
use voxorder_domain::interpretation::Cue;
use voxorder_domain::order::{Order, OrderItem, OrderStatus, PaymentMethod};
use voxorder_domain::product_words as pw;
use voxorder_domain::records::Product;
use voxorder_domain::speech_text as st;
use voxorder_domain::vocab::Intent;
use voxorder_domain::vocab::ReturnReason;

/// Why an item cannot go back.
enum Ineligible {
    Window {
        deadline: chrono::NaiveDate,
        days: u32,
    },
    FinalSale,
    Personalised,
    Category,
}

/// "It's the wrong colour" with nothing saying the shop sent it: a mistake of ours (a
/// replacement, nothing to pay) or a colour the caller does not like (an ordinary
/// return, within the policy) are told apart by asking. True while asking.
fn ask_if_sent_wrong(e: &mut Engine, order: &Order) -> bool {
    if e.task().after_sale().sent_wrong_checked {
        return false;
    }
    let words = e.task().words.clone();
    let ph = e.phrases();
    let what = if ph.any("vague_wrong_colour", &words) {
        "colour"
    } else if ph.any("vague_wrong_size", &words) {
        "size"
    } else {
        return false;
    };
    if ph.any("sent_wrong", &words) {
        return false;
    }
    let lines = e.task().after_sale().lines.clone();
    let Some(&(line, _)) = lines.first() else {
        return false;
    };
    let name = pw::product_name_brief(&item(order, line).name);
    e.task().after_sale().sent_wrong_checked = true;
    e.ask(
        Ask::YesNo(YesNo::SentOtherVariant),
        p!("ask_sent_other_variant"),
        &[("what", what.to_string()), ("item", name)],
    );
    true
}

/// The caller's answer to [`ask_if_sent_wrong`]: yes, a mistake of ours; no, the item
/// ordered, not liked in that colour or not fitting in that size.
pub(crate) fn decide_sent_wrong(e: &mut Engine, yes: bool, facts: &dyn Facts) {
    if !yes {
        let words = e.task().words.clone();
        let size = !e.phrases().any("vague_wrong_colour", &words);
        e.task().after_sale().return_reason = Some(if size {
            ReturnReason::SizeIssue
        } else {
            ReturnReason::ChangedMind
        });
    }
    e.advance(facts);
}

fn is_faulty(reason: Option<ReturnReason>) -> bool {
    matches!(
        reason,
        Some(ReturnReason::Damaged | ReturnReason::WrongItem)
    )
}

fn check_item(e: &Engine, order: &Order, item: &OrderItem, faulty: bool) -> Option<Ineligible> {
    let policy = &e.config().policy.returns;
    if faulty && policy.damaged_any_time {
        return None;
    }
    if item.final_sale && !policy.final_sale_returnable {
        return Some(Ineligible::FinalSale);
    }
    if item.personalised && !policy.personalised_returnable {
        return Some(Ineligible::Personalised);
    }
    if policy.non_returnable_categories.contains(&item.category) {
        return Some(Ineligible::Category);
    }
    let days = crate::speak::item_window_days(e.config(), item);
    let delivered = order.delivered_at.map_or(order.order_date, |t| t.date());
    let deadline = delivered + Duration::days(i64::from(days));
    (e.today() > deadline).then_some(Ineligible::Window { deadline, days })
}

/// The order as it stands for a return: each line's quantity less what returns already
/// hold ("three lamps, one refunded" leaves two), with the lines (1-based) that still
/// have any left. A second lamp broken later is still taken care of; what a return
/// already holds is never taken twice.
fn left_to_return(e: &mut Engine, order: &Order, facts: &dyn Facts) -> Option<(Order, Vec<u32>)> {
    let returns = match facts.returns_of(&order.order_number) {
        Ok(rs) => rs,
        Err(err) => {
            e.store_trouble(&err);
            return None;
        }
    };
    let mut left = order.clone();
    for l in returns
        .iter()
        .filter(|r| r.status != "rejected")
        .flat_map(|r| &r.lines)
    {
        if let Some(it) = left.items.get_mut((l.0 as usize).wrapping_sub(1)) {
            it.qty = it.qty.saturating_sub(l.1);
        }
    }
    let open = (1..=left.items.len() as u32)
        .filter(|&l| item(&left, l).qty > 0)
        .collect();
    Some((left, open))
}

fn item(order: &Order, line: u32) -> &OrderItem {
    &order.items[line as usize - 1]
}

fn chosen_items(e: &Engine, order: &Order, lines: &[(u32, u32)]) -> String {
    let names: Vec<String> = lines
        .iter()
        .map(|&(l, q)| item_words_brief(&e.catalog, &item(order, l).name, q))
        .collect();
    st::list_and(&names)
}

fn refund_cents(order: &Order, lines: &[(u32, u32)]) -> i64 {
    lines
        .iter()
        .map(|&(l, q)| item(order, l).price.cents() * i64::from(q))
        .sum()
}

/// Whether the words ask for a refund to a card other than the one that paid: "my
/// other card", "a different card", or a card's last four that are not the order's.
fn names_another_card(e: &Engine, said: &Said<'_>, order: &Order) -> bool {
    if e.phrases().any("another_card", &said.words) {
        return true;
    }
    let card_said = said.words.iter().any(|w| w == "card");
    let paid_with = order.payment.last4.as_deref();
    card_said
        && said.words.iter().any(|w| {
            w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit()) && Some(w.as_str()) != paid_with
        })
}

/// Asks how the refund should come back, naming the ways this order offers.
fn ask_refund_method(e: &mut Engine, facts: &dyn Facts, order: &Order) {
    ask_refund_method_in(e, facts, order, p!("ask_refund_method"));
}

/// "Which one: back to your Visa, as store credit or by bank transfer?": the refund
/// question again, short, after an answer that chose none of the ways.
fn ask_which_refund_method(e: &mut Engine, facts: &dyn Facts, order: &Order) {
    ask_refund_method_in(e, facts, order, p!("ask_refund_method_which"));
}

/// The refund question in the words of `prompt`, with the ways this order offers.
fn ask_refund_method_in(e: &mut Engine, facts: &dyn Facts, order: &Order, prompt: &'static str) {
    let words: Vec<String> = refund_options(e, order)
        .iter()
        .map(|&m| method_words(e, facts, order, m))
        .collect();
    e.ask(
        Ask::RefundMethod,
        prompt,
        &[("options", st::list_or(&words))],
    );
}

/// Refund methods offered for this order, the default first.
fn refund_options(e: &Engine, order: &Order) -> Vec<RefundMethod> {
    let options = e
        .config()
        .policy
        .returns
        .refund_methods
        .iter()
        .copied()
        .filter(|m| {
            !(order.payment.method == PaymentMethod::Cod && *m == RefundMethod::OriginalPayment)
        });
    // A gift returned by the one who received it: the money goes back to whoever paid,
    // the way they paid (as store credit on their account for cash on delivery).
    if e.returns_a_gift_for_another() {
        return options
            .filter(|m| *m != RefundMethod::BankTransfer)
            .take(1)
            .collect();
    }
    options.collect()
}

fn method_words(e: &Engine, facts: &dyn Facts, order: &Order, m: RefundMethod) -> String {
    match m {
        RefundMethod::OriginalPayment if e.returns_a_gift_for_another() => {
            e.text(p!("refund_method_payer"), &[])
        }
        RefundMethod::OriginalPayment => e.text(
            p!("refund_method_original"),
            &[("card", card_words(e, facts, order))],
        ),
        RefundMethod::StoreCredit => e.text(p!("refund_method_credit"), &[]),
        RefundMethod::BankTransfer => e.text(p!("refund_method_bank"), &[]),
    }
}

fn reason_words(e: &Engine, r: ReturnReason) -> String {
    let key = match r {
        ReturnReason::Damaged => p!("reason_damaged"),
        ReturnReason::WrongItem => p!("reason_wrong_item"),
        ReturnReason::MissingItem => p!("reason_missing_item"),
        ReturnReason::NotAsDescribed => p!("reason_not_as_described"),
        ReturnReason::SizeIssue => p!("reason_size_issue"),
        ReturnReason::QualityIssue => p!("reason_quality_issue"),
        ReturnReason::ChangedMind => p!("reason_changed_mind"),
    };
    e.text(key, &[])
}

/// Says why an order that is not delivered cannot have a return or problem yet.
/// Returns true when it said so (the request is then over or redirected).
fn not_returnable_state(e: &mut Engine, order: &Order, facts: &dyn Facts) -> bool {
    let window = crate::speak::return_window_words(e.config(), order);
    match order.status {
        OrderStatus::Delivered => false,
        OrderStatus::PendingConfirmation | OrderStatus::Processing => {
            // "Can I change the size before it ships?": said plainly that an item of an
            // order not yet sent cannot be swapped, and what can be done instead.
            let exchange = e.task_ref().is_some_and(|t| t.goal() == Goal::Exchange);
            if exchange && e.s.exchange_waits_for.as_deref() == Some(&order.order_number) {
                e.say(p!("exchange_after_arrival"), &[]);
                e.complete();
                return true;
            }
            if !exchange && returnable_later(e, order, &window, facts) {
                return true;
            }
            let key = if exchange {
                e.s.exchange_waits_for = Some(order.order_number.clone());
                p!("exchange_not_shipped")
            } else {
                p!("return_not_shipped")
            };
            e.ask(Ask::YesNo(YesNo::StartCancel), key, &[]);
            true
        }
        OrderStatus::Shipped | OrderStatus::OutForDelivery | OrderStatus::Delayed => {
            // "I'll send the mug back when it comes" of a personalised mug: it cannot
            // come back, which is said now, and the team can look at it.
            if let Some(why) = never_returnable_line(e, order, facts) {
                e.say(p!("return_never_later"), &[("why", why)]);
                if !e.offer_team_when_very_late(order) {
                    e.offer_human(HandOffReason::Exception);
                }
                return true;
            }
            e.say(p!("return_not_delivered"), &[("window", window)]);
            if !e.offer_team_when_very_late(order) {
                e.complete();
            }
            true
        }
        OrderStatus::Cancelled => {
            e.say(p!("return_cancelled"), &[]);
            e.complete();
            true
        }
        OrderStatus::Returned => {
            e.say(p!("return_already"), &[]);
            e.complete();
            true
        }
    }
}

/// "If the cardigan doesn't fit, can I send it back?" of an order not yet sent: the
/// item asked of (or the only one) is final sale, so it is said that it cannot be
/// returned and the cancellation is offered while it can still be made; or the return
/// is asked of for later ("if it doesn't fit", "once it arrives"), so the window is the
/// answer and nothing is offered. False, with nothing said, otherwise.
fn returnable_later(e: &mut Engine, order: &Order, window: &str, facts: &dyn Facts) -> bool {
    let named = e.task_ref().and_then(|t| t.heard.product.clone());
    if let Some(line) = line_asked_of(order, named.as_deref(), facts).filter(|it| it.final_sale) {
        let item = pw::product_name_brief(&line.name);
        e.ask(
            Ask::YesNo(YesNo::StartCancel),
            p!("return_final_sale_not_shipped"),
            &[("item", item)],
        );
        return true;
    }
    let words = e.task_ref().map(|t| t.words.clone()).unwrap_or_default();
    if !e.phrases().any("return_later", &words) {
        return false;
    }
    e.say(p!("return_later"), &[("window", window.to_string())]);
    e.complete();
    true
}

/// "And if the skillet doesn't suit, can I send it back later?" asked in the middle of
/// another request (a confirmation call, a read-back) of the order in focus, not yet
/// delivered: whether it may come back, and for how long, is said; nothing starts.
/// False, with nothing said, for anything else.
pub(crate) fn tells_return_later(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    let ph = e.phrases();
    if !ph.any("return_later", &said.words) || !ph.any("return_asked_later", &said.words) {
        return false;
    }
    let Some(order) = e.focus_order(facts) else {
        return false;
    };
    if !order.status.is_still_to_come() {
        return false;
    }
    let named = said.entities.product.as_deref();
    match line_asked_of(&order, named, facts).and_then(|line| never_returnable_why(e, line)) {
        Some(why) => {
            e.say(p!("return_never_later_told"), &[("why", why)]);
        }
        _ => {
            let window = crate::speak::return_window_words(e.config(), &order);
            e.say(p!("return_later"), &[("window", window)]);
        }
    }
    true
}

/// Picks the lines when the order has only one; otherwise asks. True when lines are set.
fn ensure_lines(
    e: &mut Engine,
    order: &Order,
    open: &[u32],
    prompt: &'static str,
    facts: &dyn Facts,
) -> bool {
    if !e.task().after_sale().lines.is_empty() {
        return true;
    }
    let chosen = choose_lines(e, order, open, prompt, facts);
    if chosen {
        let words = e.task().words.clone();
        narrow_to_what_is_wrong(e, order, &words);
    }
    chosen
}

/// "One of the bottles came dented", "only two of the three tees came": a problem (or a
/// return) with some of a line is about that many, never the whole line unasked.
fn narrow_to_what_is_wrong(e: &mut Engine, order: &Order, words: &[String]) -> bool {
    let is_problem = e.task_ref().is_some_and(|t| t.goal() == Goal::Problem);
    let [(line, qty)] = e.task().after_sale().lines.clone()[..] else {
        return false;
    };
    if qty < 2 {
        return false;
    }
    let ordered = item(order, line).qty;
    let ph = e.phrases();
    // "The second lamp is broken too", "send another one back": one, in a return as
    // much as in a problem.
    // "Another oatmeal hoodie is torn": one more of them.
    let another = words.iter().any(|w| w == "another");
    let wrong = if ph.any("just_one", words) || ph.any("one_of_them", words) || another {
        Some(1)
    } else if let Some(n) = count_said_wrong(words) {
        // "The two missing ones", "two of them are cracked".
        Some(n)
    } else if let Some(n) = line_nouns(order, &[line])
        .pop()
        .and_then(|noun| count_said_before(words, &noun))
        .filter(|&n| n < ordered)
    {
        // "I ordered a navy hoodie and got something else" of two navy hoodies: the one.
        Some(n)
    } else if said_in_the_singular(order, line, words) {
        // "My bluetooth speaker stopped working" of three on the order: the one said.
        Some(1)
    } else if !is_problem {
        None
    } else {
        // "Only two came, I paid for three", "I only got one": the count said after
        // "only" is what arrived; the rest is missing.
        words
            .iter()
            .position(|w| w == "only" || w == "just")
            .and_then(|at| {
                words[at + 1..]
                    .iter()
                    .take(3)
                    .skip_while(|w| {
                        matches!(
                            w.as_str(),
                            "got" | "get" | "received" | "had" | "have" | "came" | "arrived"
                        )
                    })
                    .find_map(|w| small_number(w))
            })
            .filter(|&got| got < ordered)
            .map(|got| ordered - got)
    };
    match wrong.filter(|&n| n >= 1 && n < qty) {
        Some(n) => {
            e.task().after_sale().lines = vec![(line, n)];
            true
        }
        None => false,
    }
}

/// Whether the words name the line's thing in the singular only ("my speaker stopped
/// working"), with no plural of it and nothing that speaks of several ("all", "both",
/// "them"). A name that is always plural ("headphones") says nothing of a count.
fn said_in_the_singular(order: &Order, line: u32, words: &[String]) -> bool {
    let Some(noun) = line_nouns(order, &[line]).pop() else {
        return false;
    };
    if noun.len() < 3 || identity::singular(&noun) != noun {
        return false;
    }
    let singular = words.contains(&noun);
    let plural = words
        .iter()
        .any(|w| *w != noun && identity::singular(w) == noun);
    let several = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "all" | "both" | "them" | "they" | "these" | "those" | "each" | "every"
        )
    });
    singular && !plural && !several
}

/// A count said of the items that are wrong: "the two missing ones", "two of them are
/// cracked", "three were broken". None when no count stands with such a word.
fn count_said_wrong(words: &[String]) -> Option<u32> {
    const WRONG: [&str; 8] = [
        "missing", "broken", "damaged", "cracked", "faulty", "smashed", "dented", "torn",
    ];
    let at = words.iter().position(|w| WRONG.contains(&w.as_str()))?;
    words[at.saturating_sub(5)..at]
        .iter()
        .rev()
        .find_map(|w| small_number(w))
}

/// How many of an item the words say just before its noun: "one of the power banks",
/// "two of those candles", "a mug". None when no count is said with it.
fn count_said_before(words: &[String], noun: &str) -> Option<u32> {
    let at = words.iter().position(|w| pw::same_noun(w, noun))?;
    let before = &words[at.saturating_sub(5)..at];
    // Only this item's words: what comes before an "and" is another item's.
    let before = match before
        .iter()
        .rposition(|w| matches!(w.as_str(), "and" | "plus" | "also" | "with"))
    {
        Some(i) => &before[i + 1..],
        None => before,
    };
    // "one of the …", "two of my …".
    if let Some(of) = before.iter().rposition(|w| w == "of") {
        return of.checked_sub(1).and_then(|i| small_number(&before[i]));
    }
    // "two mugs", "a mug", with at most one word of its name between.
    before.iter().rev().take(2).find_map(|w| {
        if w == "a" || w == "an" {
            Some(1)
        } else {
            small_number(w)
        }
    })
}

/// A count from one to twelve, in digits or in words.
fn small_number(w: &str) -> Option<u32> {
    const WORDS: [&str; 12] = [
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve",
    ];
    w.parse::<u32>()
        .ok()
        .filter(|n| (1..=12).contains(n))
        .or_else(|| WORDS.iter().position(|n| *n == w).map(|i| i as u32 + 1))
}

/// The lines the request names (by product, by what they are, or the only one), with how
/// many of each; otherwise asks which. True when lines are set.
fn choose_lines(
    e: &mut Engine,
    order: &Order,
    open: &[u32],
    prompt: &'static str,
    facts: &dyn Facts,
) -> bool {
    // How many, when the caller said no number: a return takes the whole line, an
    // exchange one of it ("swap my sneakers for an 8" with three pairs on the order is
    // one pair, read back as "one of your three"), never all of them unasked.
    let unsaid = if e.task().goal() == Goal::Exchange {
        1
    } else {
        u32::MAX
    };
    if open.is_empty() {
        e.say(p!("return_already"), &[]);
        e.complete();
        return false;
    }
    // "The cat food was missing" again, when the cat food is already in a return: said
    // so, and no other item is ever taken in its place.
    if let Some(line) = named_line_in_a_return(e, order, open, facts) {
        let name = pw::product_name_brief(&item(order, line).name);
        e.say(p!("item_already_returned"), &[("item", name)]);
        e.end_task();
        e.offer_human(HandOffReason::Exception);
        return false;
    }
    // "The mug and the hoodie": every line the request names by what it is.
    let named = lines_named(e, order, open);
    if named.len() > 1 {
        // "The black hoodie and one of the power banks": each line as many as said of it.
        let said = e.task_ref().map(|t| t.words.clone()).unwrap_or_default();
        let nouns = line_nouns(order, &named);
        e.task().after_sale().lines = named
            .iter()
            .zip(&nouns)
            .map(|(&l, noun)| {
                let ordered = item(order, l).qty;
                let qty = count_said_before(&said, noun).filter(|&q| q < ordered);
                (l, qty.unwrap_or(ordered.min(unsaid)).max(1))
            })
            .collect();
        return true;
    }
    // "The cable wasn't in the box, only the dog food": of the items a problem names,
    // the one the words do not set aside as fine.
    if let Some(l) = problem_line_named(e, order, open) {
        let qty = item(order, l).qty;
        e.task().after_sale().lines = vec![(l, qty)];
        return true;
    }
    // The product named in the request, if it (or another size or colour of it) is on
    // the order.
    if let Some(sku) = e.task().after_sale().product.clone() {
        let family = facts.product(&sku).ok().flatten().map(|p| p.family);
        let same = |l: u32| {
            let it = item(order, l);
            it.sku == sku
                || family.is_some()
                    && matches!(facts.product(&it.sku), Ok(Some(p)) if Some(&p.family) == family.as_ref())
        };
        let mut hits: Vec<u32> = open.iter().copied().filter(|&l| same(l)).collect();
        // "Swap the black sneakers" with black and grey ones on the order: the words that
        // only one of them has in its name pick it.
        if hits.len() > 1 {
            let said = e.task_ref().map(|t| t.words.clone()).unwrap_or_default();
            let named = named_alone(order, &hits, &said, &[]);
            if named.len() == 1 {
                hits = named;
            }
        }
        if let [l] = hits.as_slice() {
            let l = *l;
            // "I got two pairs but only need one, can I send one back?": one, whatever
            // other count the sentence holds.
            // "I ordered three but only need one": all but the one kept, unless a count
            // of them is said ("can I return two of them?").
            let words = e.task_ref().map(|t| t.words.clone()).unwrap_or_default();
            let just_one = e.phrases().any("just_one", &words);
            let keep_one = e.phrases().any("keep_one", &words);
            let ordered = item(order, l).qty;
            let said = e.task().after_sale().quantity;
            let said_qty = if just_one {
                Some(1)
            } else if let Some(q) = said.filter(|&q| q < ordered) {
                Some(q)
            } else if keep_one && ordered > 1 {
                Some(ordered - 1)
            } else {
                said
            };
            let qty = said_qty.unwrap_or(unsaid).min(ordered);
            e.task().after_sale().lines = vec![(l, qty.max(1))];
            return true;
        }
    }
    // "My mug arrived smashed" of an order that holds only a hoodie: the thing named is
    // not on it, so its only item is never taken in its place; the items are asked.
    let lacking = e.task().after_sale().product.clone().filter(|sku| {
        let words = e.task_ref().map(|t| t.words.clone()).unwrap_or_default();
        identity::names_what_order_lacks(e, &order.order_number, Some(sku), &words, facts)
    });
    if let Some(sku) = &lacking {
        let name = facts
            .product(sku)
            .ok()
            .flatten()
            .map(|p| pw::product_name_brief(&p.name))
            .unwrap_or_default();
        e.say(p!("item_not_on_the_order"), &[("item", name)]);
    }
    if open.len() == 1 && lacking.is_none() {
        let l = open[0];
        let qty = e
            .task()
            .after_sale()
            .quantity
            .unwrap_or(unsaid)
            .min(item(order, l).qty);
        e.task().after_sale().lines = vec![(l, qty.max(1))];
        return true;
    }
    let brief: Vec<String> = open
        .iter()
        .map(|&l| item_words_brief(&e.catalog, &item(order, l).name, 1))
        .collect();
    // "The red classic tee or the red classic tee": two lines told apart only by their
    // size are named with it.
    let names: Vec<String> = open
        .iter()
        .zip(&brief)
        .map(|(&l, b)| {
            if brief.iter().filter(|x| *x == b).count() > 1 {
                item_words(&e.catalog, &item(order, l).name, 1)
            } else {
                b.clone()
            }
        })
        .collect();
    e.ask(Ask::ReturnItems, prompt, &[("items", st::list_or(&names))]);
    false
}

/// The line the request names by its product or its noun when that line is already in
/// a return and no open line is named: None when an open line is named, or none at all.
fn named_line_in_a_return(
    e: &Engine,
    order: &Order,
    open: &[u32],
    facts: &dyn Facts,
) -> Option<u32> {
    let task = e.task_ref()?;
    let words = &task.words;
    let closed: Vec<u32> = (1..=order.items.len() as u32)
        .filter(|l| !open.contains(l))
        .collect();
    // The product heard decides first ("the headphones ..., refund to my card": the card
    // is no gift card named); the nouns of the items only when no product was heard.
    if let Some(sku) = task.heard.product.as_deref() {
        let holds = |l: &u32| identity::same_product(&item(order, *l).sku, sku, facts);
        // "One more oatmeal hoodie is torn" with every oatmeal one in a return and a
        // black one still open: the words that only one of the kind's lines has decide.
        let kind: Vec<u32> = (1..=order.items.len() as u32).filter(holds).collect();
        if let [l] = named_alone(order, &kind, words, &[])[..] {
            return closed.contains(&l).then_some(l);
        }
        if open.iter().any(holds) {
            return None;
        }
        if let Some(&l) = closed.iter().find(|l| holds(l)) {
            return Some(l);
        }
    }
    let by_noun = |lines: &[u32]| -> Option<u32> {
        let nouns = line_nouns(order, lines);
        lines
            .iter()
            .zip(&nouns)
            .find(|(_, noun)| noun.len() > 2 && words.iter().any(|w| pw::same_noun(w, noun)))
            .map(|(&l, _)| l)
    };
    if by_noun(open).is_some() {
        return None;
    }
    by_noun(&closed)
}

/// The last word of each line's noun, lower case ("cable", "hoodie"): what a caller
/// calls the item.
fn line_nouns(order: &Order, lines: &[u32]) -> Vec<String> {
    lines
        .iter()
        .map(|&l| {
            let noun = pw::ProductWords::parse(&item(order, l).name).noun;
            noun.rsplit(' ').next().unwrap_or("").to_lowercase()
        })
        .collect()
}

/// The one open line a problem's words name by what it is and do not set aside with
/// "only the …" or "just the …" (what did come).
fn problem_line_named(e: &Engine, order: &Order, open: &[u32]) -> Option<u32> {
    let t = e.task_ref().filter(|t| t.goal() == Goal::Problem)?;
    let said = &t.words;
    let nouns = line_nouns(order, open);
    let mentions: Vec<(u32, bool)> = open
        .iter()
        .zip(&nouns)
        .filter(|(_, noun)| noun.len() > 2 && nouns.iter().filter(|n| n == noun).count() == 1)
        .filter_map(|(&l, noun)| {
            let at = said.iter().position(|w| pw::same_noun(w, noun))?;
            // "Just the headphones and the gift card": back through the list to the
            // word that sets it aside, but not past the clause about what is wrong.
            let set_aside = said[at.saturating_sub(8)..at]
                .iter()
                .rev()
                .take_while(|w| {
                    !matches!(
                        w.as_str(),
                        "but"
                            | "was"
                            | "wasn't"
                            | "were"
                            | "weren't"
                            | "is"
                            | "isn't"
                            | "not"
                            | "missing"
                            | "didn't"
                    )
                })
                .any(|w| matches!(w.as_str(), "only" | "just" | "except" | "apart"));
            Some((l, set_aside))
        })
        .collect();
    let kept: Vec<u32> = mentions
        .iter()
        .filter(|(_, a)| !a)
        .map(|(l, _)| *l)
        .collect();
    match kept.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// The open lines a return names together by what they are ("the mug and the hoodie",
/// "the socks and the scarf"): each noun names one line alone, and the nouns are joined
/// by "and" a few words apart, so a list of what did arrive ("there was just the
/// headphones and the gift card") with another request is not read as one.
fn lines_named(e: &Engine, order: &Order, open: &[u32]) -> Vec<u32> {
    if e.task_ref().map(|t| t.goal()) != Some(Goal::Return) {
        return Vec::new();
    }
    let said = e.task_ref().map(|t| t.words.clone()).unwrap_or_default();
    if e.phrases().any("keep", &said) || e.phrases().any("keep_only", &said) {
        return Vec::new();
    }
    let nouns = line_nouns(order, open);
    let names: Vec<Vec<String>> = open
        .iter()
        .map(|&l| crate::locale::words(&item(order, l).name))
        .collect();
    let mut found: Vec<(usize, u32)> = open
        .iter()
        .enumerate()
        .filter(|&(i, _)| nouns[i].len() > 2)
        .filter_map(|(i, &l)| {
            let noun = &nouns[i];
            let sharing: Vec<usize> = (0..open.len())
                .filter(|&j| j != i && nouns[j] == *noun)
                .collect();
            said.iter().enumerate().find_map(|(at, w)| {
                if !pw::same_noun(w, noun) {
                    return None;
                }
                // "The black hoodie" with a black and an oatmeal one on the order: a
                // word of this line's name alone, just before the noun, picks it.
                let before = &said[at.saturating_sub(3)..at];
                let picked = sharing.is_empty()
                    || names[i].iter().any(|n| {
                        n.len() > 2
                            && before.contains(n)
                            && !sharing.iter().any(|&j| names[j].contains(n))
                    });
                picked.then_some((at, l))
            })
        })
        .collect();
    found.sort_unstable();
    // "I bought some jeans and a hoodie, and the jeans don't fit": the list says what
    // was bought, not what goes back.
    let tells_the_purchase = found.first().is_some_and(|&(at, _)| {
        said[at.saturating_sub(4)..at].iter().any(|w| {
            matches!(
                w.as_str(),
                "bought" | "ordered" | "got" | "purchased" | "buy" | "order"
            )
        })
    });
    if tells_the_purchase {
        return Vec::new();
    }
    let between = |pair: &[(usize, u32)]| &said[pair[0].0 + 1..pair[1].0];
    let with_and = |pair: &[(usize, u32)]| {
        let between = between(pair);
        // "… and one of the power banks": a count and the item's other words between.
        between.len() <= 6 && between.iter().any(|w| w == "and")
    };
    // "The tee, the headphones and the gift card": a list whose last two are joined by
    // "and" has only an article or so between the others.
    let listed = found.windows(2).last().is_some_and(with_and)
        && found
            .windows(2)
            .all(|pair| with_and(pair) || between(pair).len() <= 2);
    let joined = found.windows(2).all(with_and) || listed;
    if !joined {
        return Vec::new();
    }
    found.into_iter().map(|(_, l)| l).collect()
}

/// "Refund me, but I'm keeping them" during a return, with no fault said: a refund
/// needs the item back, said plainly once (the return goes on); said again, the team is
/// offered. False, saying nothing, for any other words.
pub(crate) fn refuses_refund_kept(
    e: &mut Engine,
    words: &[String],
    reason: Option<ReturnReason>,
    facts: &dyn Facts,
) -> bool {
    if is_faulty(reason) || names_a_fault(e, words) || !e.phrases().any("keeps_item", words) {
        return false;
    }
    if e.s.keep_refused {
        e.say(p!("refund_needs_return_again"), &[]);
        e.offer_human(HandOffReason::Requested);
        return true;
    }
    e.s.keep_refused = true;
    // A fault claimed after this refusal, in this call or a later one, is a story that
    // changed to the one that pays: the team settles it, never a refund by voice.
    if let Some(number) = e.task_ref().and_then(|t| t.order.clone()) {
        remember_refusal(e, &number, facts);
    }
    e.say(p!("refund_needs_return"), &[]);
    true
}

/// Whether the words name a fault ("it stopped working") and do not deny one.
fn names_a_fault(e: &Engine, words: &[String]) -> bool {
    let ph = e.phrases();
    ph.any("defective", words) && !ph.any("not_defective", words)
}

/// Starting or continuing a return.
pub(crate) fn return_item(e: &mut Engine, facts: &dyn Facts) {
    let Some(order) = load(e, facts) else { return };
    // "I want a refund for the jeans, but I'm not sending them back": said before the
    // questions of the return, which go on.
    if !e.s.keep_refused {
        let words = e.task().words.clone();
        let reason = e.task().after_sale().return_reason;
        if refuses_refund_kept(e, &words, reason, facts) && e.ask != Ask::Nothing {
            return;
        }
    }
    // Set again below while the return is still refused.
    e.task().told = false;
    if not_returnable_state(e, &order, facts) {
        return;
    }
    let Some((order, open)) = left_to_return(e, &order, facts) else {
        return;
    };
    if !ensure_lines(e, &order, &open, p!("ask_return_items"), facts) {
        return;
    }
    let reason = e.task().after_sale().return_reason;
    if reason == Some(ReturnReason::WrongItem) && ask_if_sent_wrong(e, &order) {
        return;
    }
    let fault_words = {
        let words = &e.task_ref().map(|t| t.words.clone()).unwrap_or_default();
        names_a_fault(e, words)
    };
    if fault_words {
        e.task().after_sale().fault = true;
    }
    // "It was never in the box": nothing can be sent back; what is missing is looked
    // into and replaced or refunded, as a missing item reported.
    if reason == Some(ReturnReason::MissingItem) {
        let task = e.task();
        task.become_goal(Goal::Problem);
        task.after_sale().problem = Some(Problem::MissingItem);
        problem(e, facts);
        return;
    }
    if is_faulty(reason) || e.task().after_sale().fault {
        let task = e.task();
        task.become_goal(Goal::Problem);
        task.after_sale().problem = Some(if reason == Some(ReturnReason::WrongItem) {
            Problem::WrongItem
        } else {
            Problem::Damaged
        });
        problem(e, facts);
        return;
    }
    let lines = e.task().after_sale().lines.clone();
    // "The mug and the hoodie": an item policy never takes back is refused on its own,
    // and the others still go back.
    let never: Vec<(u32, Ineligible)> = lines
        .iter()
        .filter_map(|&(l, _)| check_item(e, &order, item(&order, l), false).map(|why| (l, why)))
        .filter(|(_, why)| !matches!(why, Ineligible::Window { .. }))
        .collect();
    if !never.is_empty() && never.len() < lines.len() {
        for (l, why) in &never {
            let key = match why {
                Ineligible::FinalSale => p!("return_final_sale"),
                Ineligible::Personalised => p!("return_personalised"),
                _ => p!("return_category"),
            };
            let name = pw::product_name_brief(&item(&order, *l).name);
            e.say(key, &[("item", name)]);
        }
        e.task()
            .after_sale()
            .lines
            .retain(|(l, _)| !never.iter().any(|(n, _)| n == l));
        let rest = e.task().after_sale().lines.clone();
        e.say(
            p!("return_the_rest"),
            &[("items", chosen_items(e, &order, &rest))],
        );
        return_item(e, facts);
        return;
    }
    let blocked = lines
        .iter()
        .find_map(|&(l, _)| check_item(e, &order, item(&order, l), false).map(|why| (l, why)));
    if let Some((l, why)) = blocked {
        let name = pw::product_name_brief(&item(&order, l).name);
        match why {
            Ineligible::Window { deadline, days } => {
                let args = [
                    ("item", name),
                    ("days", st::number_words(u64::from(days))),
                    ("deadline", e.date_words(deadline)),
                ];
                if reason.is_none() {
                    // A fault is taken care of at any time: find out before refusing.
                    e.task().told = true;
                    e.ask(
                        Ask::ReturnReason,
                        p!("return_window_closed_ask_reason"),
                        &args,
                    );
                } else {
                    e.ask(
                        Ask::YesNo(YesNo::Exception),
                        p!("return_window_closed"),
                        &args,
                    );
                }
            }
            Ineligible::FinalSale | Ineligible::Personalised | Ineligible::Category => {
                let key = match why {
                    Ineligible::FinalSale => p!("return_final_sale"),
                    Ineligible::Personalised => p!("return_personalised"),
                    _ => p!("return_category"),
                };
                if reason.is_none() {
                    // Refused, unless there is a fault: the caller has the answer.
                    e.task().told = true;
                    e.ask(Ask::ReturnReason, key, &[("item", name)]);
                } else {
                    // "It's the wrong size" just after the refusal was said: the refusal
                    // stands, and is not said twice in a row.
                    if e.ask_key.as_ref().is_some_and(|(k, _)| *k == key) {
                        e.say(p!("return_refused_no_fault"), &[]);
                    } else {
                        e.say(key, &[("item", name)]);
                        e.say(p!("return_refused_end"), &[]);
                    }
                    e.s.refused_at = Some(e.s.turns);
                    remember_refusal(e, &order.order_number, facts);
                    e.drop_task();
                }
            }
        }
        return;
    }
    let Some(reason) = reason else {
        e.ask(Ask::ReturnReason, p!("ask_return_reason"), &[]);
        return;
    };
    let options = refund_options(e, &order);
    if e.task()
        .after_sale()
        .refund_method
        .is_some_and(|m| !options.contains(&m))
    {
        e.task().after_sale().refund_method = None;
    }
    // A gift's refund has one way, back to whoever paid: taken, not asked.
    if e.returns_a_gift_for_another() && options.len() == 1 {
        e.task().after_sale().refund_method = options.first().copied();
    }
    if e.task().after_sale().refund_method.is_none() {
        ask_refund_method(e, facts, &order);
        return;
    }
    if e.returns_a_gift_for_another() {
        e.task().after_sale().pickup = Some(false);
    }
    if !pickup_settled(e) {
        return;
    }
    let mut task = e.task_ref().expect("a return is in progress").clone();
    let amount = refund_cents(&order, &task.after_sale().lines);
    let method = task.after_sale().refund_method.expect("checked above");
    // A gift's label goes to whoever placed the order, whose contacts are the order's;
    // no courier is sent to their address for someone else's return.
    let gift = e.returns_a_gift_for_another();
    let how = match task.after_sale().booked_pickup() {
        _ if gift => e.text(p!("how_label_to_payer"), &[]),
        Some(pickup) => pickup_words(e, pickup),
        None => e.text(p!("how_label"), &[]),
    };
    if !task.confirmed {
        let args = [
            ("items", chosen_items(e, &order, &task.after_sale().lines)),
            ("reason", reason_words(e, reason)),
            ("amount", st::price_cents(amount)),
            ("method", method_words(e, facts, &order, method)),
            ("how", how),
        ];
        let key = if task.after_sale().pickup == Some(true) || gift {
            p!("confirm_return")
        } else {
            p!("confirm_return_offer_pickup")
        };
        e.ask(Ask::YesNo(YesNo::Proceed), key, &args);
        return;
    }
    let return_id = match facts.new_return_id(&order.order_number) {
        Ok(id) => id,
        Err(err) => {
            e.store_trouble(&err);
            return;
        }
    };
    let pickup = task.after_sale().booked_pickup();
    e.change(Change::CreateReturn(ReturnRequest {
        return_id: return_id.clone(),
        order_number: order.order_number.clone(),
        lines: task
            .after_sale()
            .lines
            .iter()
            .map(|&(line_no, qty)| ReturnLine {
                line_no,
                qty,
                exchange_sku: None,
            })
            .collect(),
        reason,
        resolution: Resolution::Refund,
        refund_method: Some(method),
        refund_cents: Some(amount),
        ship_back: true,
        pickup,
    }));
    notify_return(e, &order, &return_id, pickup.is_none());
    let policy = &e.config().policy.returns;
    let days = refund_days(e);
    let ship_days = st::number_words(u64::from(policy.ship_back_days));
    let key = if pickup.is_some() {
        p!("return_created_pickup")
    } else {
        p!("return_created_label")
    };
    e.say(
        key,
        &[
            ("id", st::characters_grouped(&return_id)),
            ("ship_days", ship_days),
            ("days", days),
        ],
    );
    e.complete();
}

/// "I can't find the label, could you send it again?" about a verified order whose
/// return waits for its parcel: the label is sent again, by text and email, and said so.
/// False, saying and sending nothing, when the words ask no such thing or no return of
/// the order in focus has a label out.
pub(crate) fn resends_label(e: &mut Engine, words: &[String], facts: &dyn Facts) -> bool {
    let ph = e.phrases();
    let of_a_label = words.iter().any(|w| w.starts_with("label"))
        || matches!(e.s.last_goal, Some(Goal::ReturnStatus | Goal::Return));
    if !ph.any("send_again", words) || !of_a_label {
        return false;
    }
    let Some(order) = e.focus_order(facts) else {
        return false;
    };
    let Ok(returns) = facts.returns_of(&order.order_number) else {
        return false;
    };
    let Some(waiting) = returns.iter().rev().find(|r| r.status == "label_sent") else {
        return false;
    };
    let id = waiting.id.clone();
    notify_return(e, &order, &id, true);
    e.say(p!("label_sent_again"), &[]);
    true
}

fn notify_return(e: &mut Engine, order: &Order, return_id: &str, label: bool) {
    let template = if label {
        Notice::ReturnLabel
    } else {
        Notice::ReturnConfirmation
    };
    for channel in [Channel::Sms, Channel::Email] {
        e.change(Change::Notify {
            channel,
            template,
            order_number: Some(order.order_number.clone()),
            reference: Some(return_id.to_string()),
        });
    }
}

/// "with a courier pickup Thursday the twelfth, in the morning".
fn pickup_words(e: &Engine, pickup: Pickup) -> String {
    e.text(
        p!("how_pickup"),
        &[
            ("date", e.date_words(pickup.date)),
            ("slot", slot_words(e, pickup.slot)),
        ],
    )
}

/// The pickup's date and slot when a courier pickup was asked for. True when settled. A
/// return goes back by prepaid label unless the caller asks for a pickup, which the
/// read-back offers.
fn pickup_settled(e: &mut Engine) -> bool {
    if let Some(d) = e.task().after_sale().date {
        // "I got a delivery on Friday and the jeans don't fit": a past day said with a
        // return tells when it came, not when to collect it; it is dropped unsaid
        // unless a pickup was asked for.
        let pickup_asked = e.task().after_sale().pickup == Some(true);
        if (d <= e.today() && !pickup_asked) || !date_ok(e, d) {
            e.task().after_sale().date = None;
        }
    }
    let task = e.task();
    if task.after_sale().pickup == Some(true) {
        if task.after_sale().date.is_none() {
            e.ask(Ask::Date, p!("ask_pickup_date"), &[]);
            return false;
        }
        if let (Some(date), None) = (task.after_sale().date, task.after_sale().slot) {
            let date = e.date_words(date);
            e.ask(Ask::Slot, p!("ask_slot"), &[("date", date)]);
            return false;
        }
    }
    true
}

/// The variants of an item's family, and the item's own product.
fn family_of(e: &mut Engine, sku: &str, facts: &dyn Facts) -> Option<(Product, Vec<Product>)> {
    let own = match facts.product(sku) {
        Ok(Some(p)) => p,
        Ok(None) => return None,
        Err(err) => {
            e.store_trouble(&err);
            return None;
        }
    };
    match facts.variants(&own.family) {
        Ok(v) => Some((own, v)),
        Err(err) => {
            e.store_trouble(&err);
            None
        }
    }
}

/// The variant the caller asks for: what they name changes, the rest stays as it was.
/// "It's too small, the next size up" names a direction, not a size: the size word of
/// the trouble ("too small") is never the one wanted, and the next size that way is.
/// "A bigger one" alone may mean more than one size up, so it names none (asked).
fn wanted_variant(
    e: &Engine,
    words: &[String],
    own: &Product,
    variants: &[Product],
) -> Option<String> {
    let ph = e.phrases();
    // The words of the fit complained of, without "too" and the size word after it,
    // nor a size word made a comparison ("a more small one" is smaller, not size S).
    let kept: Vec<String> = words
        .iter()
        .enumerate()
        .filter(|(i, w)| {
            let before = i.checked_sub(1).map(|b| words[b].as_str());
            *w != "too" && !matches!(before, Some("too" | "more" | "less"))
        })
        .map(|(_, w)| w.clone())
        .collect();
    let (up, down) = (ph.any("size_up", words), ph.any("size_down", words));
    let (mut spoken_size, spoken_color) = spoken_size_and_colour(e, &kept, variants);
    // "Black, size 30, too small; I want size 32": the size the caller has is said
    // too; the other one said is the one wanted.
    let own_size = own.size.as_deref().map(str::to_lowercase);
    if spoken_size.as_deref().map(str::to_lowercase) == own_size && own_size.is_some() {
        let names_own = |w: &String| {
            spoken_size_and_colour(e, std::slice::from_ref(w), variants)
                .0
                .map(|s| s.to_lowercase())
                == own_size
        };
        let without_own: Vec<String> = kept.iter().filter(|w| !names_own(w)).cloned().collect();
        if let (Some(other), _) = spoken_size_and_colour(e, &without_own, variants) {
            spoken_size = Some(other);
        }
    }
    if spoken_size.is_none() && up != down {
        spoken_size = next_size(own, variants, up);
    }
    if spoken_size.is_none() && spoken_color.is_none() {
        return None;
    }
    let size = spoken_size.or_else(|| own.size.clone());
    let color = spoken_color.or_else(|| own.color.clone());
    variants
        .iter()
        .find(|v| {
            v.size.as_deref().map(str::to_lowercase) == size.as_deref().map(str::to_lowercase)
                && v.color.as_deref().map(str::to_lowercase)
                    == color.as_deref().map(str::to_lowercase)
        })
        .map(|v| v.sku.clone())
        // The item itself is no exchange: what to swap it for is asked.
        .filter(|sku| *sku != own.sku)
}

/// "Both pairs actually", "two of them" at the read-back of an exchange of part of a
/// line: how many of the line are swapped changes, and the exchange is read back
/// again (stock is checked for the new count). Whether it changed.
pub(crate) fn amend_exchange_count(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    let Some(task) = e.task_ref().filter(|t| t.goal() == Goal::Exchange) else {
        return false;
    };
    let (Some(number), Request::Exchange(a)) = (task.order.clone(), &task.req) else {
        return false;
    };
    let &[(line, qty)] = a.lines.as_slice() else {
        return false;
    };
    let Ok(Some(order)) = facts.order(&number) else {
        return false;
    };
    let whole = item(&order, line).qty;
    // "No, all of them" corrects the count; "not both" does not ask for both.
    let ph = e.phrases();
    let all = (0..said.words.len()).any(|i| {
        ph.len_at("all_items", &said.words, i).is_some() && (i == 0 || said.words[i - 1] != "not")
    });
    let wanted = said
        .entities
        .quantity
        .filter(|q| (1..=whole).contains(q))
        .or(all.then_some(whole));
    match wanted {
        Some(n) if n != qty => {
            e.task().after_sale().lines = vec![(line, n)];
            true
        }
        _ => false,
    }
}

/// "No, navy" at "swap your olive tee for the white one?": a size or colour said at the
/// read-back of an exchange replaces the one read back (what was not said is kept from
/// it). Whether it changed.
pub(crate) fn amend_variant(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    let Some(task) = e.task_ref().filter(|t| t.goal() == Goal::Exchange) else {
        return false;
    };
    let (Some(number), Request::Exchange(a)) = (task.order.clone(), &task.req) else {
        return false;
    };
    let (Some(current), Some(&(line, _))) = (a.exchange_sku.clone(), a.lines.first()) else {
        return false;
    };
    let Ok(Some(order)) = facts.order(&number) else {
        return false;
    };
    let sku = item(&order, line).sku.clone();
    let Some((own, variants)) = family_of(e, &sku, facts) else {
        return false;
    };
    let Some(chosen) = variants.iter().find(|v| v.sku == current).cloned() else {
        return false;
    };
    // "No, navy" when navy is what was read back: read back again, never dropped. "Yes,
    // same colour, only size 36" names what was read back with a yes: that is the yes.
    if wanted_variant(e, &said.words, &own, &variants).as_deref() == Some(current.as_str()) {
        return e.yes_no(said) != Some(true);
    }
    match wanted_variant(e, &said.words, &chosen, &variants) {
        Some(wanted) if wanted != sku => {
            e.task().after_sale().exchange_sku = Some(wanted);
            true
        }
        _ => false,
    }
}

/// The family's next size above (`up`) or below the item's own, in stock or not: stock
/// is said when the variant is checked.
fn next_size(own: &Product, variants: &[Product], up: bool) -> Option<String> {
    let own_size = own.size.as_deref()?;
    let sizes = by_size(distinct(variants, |v| v.size.clone()));
    let at = sizes
        .iter()
        .position(|s| s.eq_ignore_ascii_case(own_size))?;
    let next = if up {
        at.checked_add(1)
    } else {
        at.checked_sub(1)
    }?;
    sizes.get(next).cloned()
}

/// An exchange for another size or colour of the same item.
pub(crate) fn exchange(e: &mut Engine, facts: &dyn Facts) {
    let Some(order) = load(e, facts) else { return };
    if not_returnable_state(e, &order, facts) {
        return;
    }
    let Some((order, open)) = left_to_return(e, &order, facts) else {
        return;
    };
    if !ensure_lines(e, &order, &open, p!("ask_exchange_item"), facts) {
        return;
    }
    let (line, qty) = e.task().after_sale().lines[0];
    let it = item(&order, line).clone();
    if let Some(why) = check_item(e, &order, &it, false) {
        match why {
            Ineligible::Window { deadline, days } => {
                let args = [
                    ("item", pw::product_name(&it.name)),
                    ("days", st::number_words(u64::from(days))),
                    ("deadline", e.date_words(deadline)),
                ];
                e.ask(
                    Ask::YesNo(YesNo::Exception),
                    p!("return_window_closed"),
                    &args,
                );
            }
            // Final sale or made to order: said why, so "why not?" is a question of
            // that rule.
            Ineligible::FinalSale | Ineligible::Personalised => {
                let key = if matches!(why, Ineligible::FinalSale) {
                    p!("exchange_final_sale")
                } else {
                    p!("exchange_personalised")
                };
                e.say(key, &[("item", pw::product_name(&it.name))]);
                e.s.refused_at = Some(e.s.turns);
                remember_refusal(e, &order.order_number, facts);
                e.drop_task();
            }
            _ => {
                e.say(
                    p!("exchange_not_possible"),
                    &[("item", pw::product_name(&it.name))],
                );
                e.drop_task();
            }
        }
        return;
    }
    let Some((own, variants)) = family_of(e, &it.sku, facts) else {
        if e.task_ref().is_some() {
            e.say(
                p!("exchange_not_possible"),
                &[("item", pw::product_name(&it.name))],
            );
            e.drop_task();
        }
        return;
    };
    if e.task().after_sale().exchange_sku.is_none() {
        // Only a size or colour said picks the variant: a product match on "my jeans"
        // names the item, not what to swap it for, which is asked.
        let words = e.task().words.clone();
        e.task().after_sale().exchange_sku = wanted_variant(e, &words, &own, &variants);
    }
    let in_stock: Vec<&Product> = variants
        .iter()
        .filter(|v| v.sku != it.sku && v.stock >= i64::from(qty))
        .collect();
    let Some(wanted) = e.task().after_sale().exchange_sku.clone() else {
        if in_stock.is_empty() {
            e.say(
                p!("exchange_nothing_in_stock"),
                &[("item", pw::product_name(&it.name))],
            );
            e.task().become_goal(Goal::Return);
            e.ask(
                Ask::YesNo(YesNo::StartReturn),
                p!("offer_return_instead"),
                &[],
            );
            return;
        }
        let options = variant_options(e, &own, &in_stock);
        e.ask(
            Ask::ExchangeVariant,
            p!("ask_exchange_variant"),
            &[("options", options)],
        );
        return;
    };
    let Some(target) = variants.iter().find(|v| v.sku == wanted).cloned() else {
        e.task().after_sale().exchange_sku = None;
        e.ask(
            Ask::ExchangeVariant,
            p!("ask_exchange_variant"),
            &[("options", variant_options(e, &own, &in_stock))],
        );
        return;
    };
    if target.stock < i64::from(qty) {
        e.task().after_sale().exchange_sku = None;
        e.say(
            p!("exchange_out_of_stock"),
            &[("variant", pw::product_name(&target.name))],
        );
        if in_stock.is_empty() {
            e.task().become_goal(Goal::Return);
            e.ask(
                Ask::YesNo(YesNo::StartReturn),
                p!("offer_return_instead"),
                &[],
            );
        } else {
            e.ask(
                Ask::ExchangeVariant,
                p!("ask_exchange_variant"),
                &[("options", variant_options(e, &own, &in_stock))],
            );
        }
        return;
    }
    // "Can the courier pick the old one up? I don't drive": the day and part of it.
    if !pickup_settled(e) {
        return;
    }
    if !e.task().confirmed {
        // Part of a line is said as such: "one of your three black sneakers".
        let item = if qty < it.qty {
            e.text(
                p!("exchange_part_of_line"),
                &[
                    ("count", st::number_words(u64::from(qty))),
                    (
                        "items",
                        pw::product_phrase_indefinite(
                            &pw::product_name_brief(&it.name),
                            it.qty,
                            false,
                        ),
                    ),
                ],
            )
        } else if it.qty > 1 {
            // The whole line of several: "your three oatmeal fleece hoodies".
            e.text(
                p!("exchange_your_item"),
                &[(
                    "item",
                    pw::product_phrase_indefinite(&pw::product_name_brief(&it.name), it.qty, false),
                )],
            )
        } else {
            e.text(
                p!("exchange_your_item"),
                &[("item", pw::product_name_brief(&it.name))],
            )
        };
        let pickup = e.task().after_sale().booked_pickup();
        let variant = pw::variant_change(&it.name, &target.name);
        match pickup.map(|pickup| pickup_words(e, pickup)) {
            Some(how) => e.ask(
                Ask::YesNo(YesNo::Proceed),
                p!("confirm_exchange_pickup"),
                &[("item", item), ("variant", variant), ("how", how)],
            ),
            None => e.ask(
                Ask::YesNo(YesNo::Proceed),
                p!("confirm_exchange"),
                &[("item", item), ("variant", variant)],
            ),
        }
        return;
    }
    let return_id = match facts.new_return_id(&order.order_number) {
        Ok(id) => id,
        Err(err) => {
            e.store_trouble(&err);
            return;
        }
    };
    let pickup = e.task().after_sale().booked_pickup();
    let reason = e
        .task()
        .after_sale()
        .return_reason
        .unwrap_or(if target.size != own.size {
            ReturnReason::SizeIssue
        } else {
            ReturnReason::ChangedMind
        });
    e.change(Change::CreateReturn(ReturnRequest {
        return_id: return_id.clone(),
        order_number: order.order_number.clone(),
        lines: vec![ReturnLine {
            line_no: line,
            qty,
            exchange_sku: Some(target.sku.clone()),
        }],
        reason,
        resolution: Resolution::Exchange,
        refund_method: None,
        refund_cents: None,
        ship_back: true,
        pickup,
    }));
    notify_return(e, &order, &return_id, pickup.is_none());
    e.s.new_item_for = Some((order.order_number.clone(), NewItem::AfterReturn));
    let ship_days = st::number_words(u64::from(e.config().policy.returns.ship_back_days));
    let key = if pickup.is_some() {
        p!("exchange_created_pickup")
    } else {
        p!("exchange_created")
    };
    e.say(
        key,
        &[
            ("id", st::characters_grouped(&return_id)),
            ("variant", pw::product_name(&target.name)),
            ("ship_days", ship_days),
        ],
    );
    e.complete();
}

/// "size L in Navy, or size M in White": what an exchange can offer, shortest way.
fn variant_options(e: &Engine, own: &Product, in_stock: &[&Product]) -> String {
    let same_color: Vec<String> = in_stock
        .iter()
        .filter(|v| v.color == own.color && v.size.is_some())
        .filter_map(|v| v.size.clone())
        .collect();
    let same_size: Vec<String> = in_stock
        .iter()
        .filter(|v| v.size == own.size && v.color.is_some())
        .filter_map(|v| v.color.clone())
        .collect();
    let mut parts = Vec::new();
    if !same_color.is_empty() {
        parts.push(e.text(p!("variant_sizes"), &[("list", size_span(&same_color))]));
    }
    if !same_size.is_empty() {
        let colours: Vec<String> = same_size.iter().map(|c| c.to_lowercase()).collect();
        parts.push(e.text(p!("variant_colours"), &[("list", few_options(e, &colours))]));
    }
    if parts.is_empty() {
        let names: Vec<String> = in_stock.iter().map(|v| pw::product_name(&v.name)).collect();
        return few_options(e, &names);
    }
    parts.join(", or ")
}

/// "It never arrived, tracking says delivered": the words tell of a whole parcel that
/// never reached the caller, whatever request they were heard as.
pub(crate) fn parcel_never_came(e: &Engine, said: &Said<'_>) -> bool {
    problem_from_words(e, &said.words, said.entities.return_reason) == Some(Problem::NotReceived)
}

/// The words name a problem with an order (damaged, wrong, missing, not received).
pub(crate) fn names_a_problem(e: &Engine, said: &Said<'_>) -> bool {
    problem_from_words(e, &said.words, said.entities.return_reason).is_some()
}

fn problem_from_words(
    e: &Engine,
    words: &[String],
    reason: Option<ReturnReason>,
) -> Option<Problem> {
    let ph = e.phrases();
    let faulty = ph.any("defective", words)
        || matches!(
            reason,
            Some(ReturnReason::Damaged | ReturnReason::QualityIssue)
        );
    if let Some(missing) = missing(e, words, faulty) {
        return Some(missing);
    }
    // "I never got round to returning it" is no parcel that failed to come.
    // "It says delivered but the lamp inside is smashed": the records' word, said with
    // damage, is a parcel that came; only the caller's own "never came" outweighs it.
    let not_received = (0..words.len()).any(|i| {
        ph.len_at("not_received", words, i).is_some()
            && ph.len_at("not_received_idiom", words, i).is_none()
            && !(faulty && SHOWN.contains(&words[i].as_str()))
    });
    // "One item is not received": a part of a parcel that came, not the parcel.
    // (An order named by its number is no parcel said lost.)
    let parcel_named = words
        .iter()
        .any(|w| w != "order" && w != "orders" && ph.any("parcel", std::slice::from_ref(w)));
    let an_item = ph.any("item_words", words) && !parcel_named;
    if not_received && an_item {
        return Some(Problem::MissingItem);
    }
    if not_received || (shown_as_delivered(words) && !faulty) {
        return Some(Problem::NotReceived);
    }
    // "It arrived and the jar is cracked": damage on the way, which the reason heard
    // says, not a fault of the product, though "cracked" can be either.
    let arrived_damaged = reason == Some(ReturnReason::Damaged) && ph.any("arrived_so", words);
    if ph.any("defective", words) && !arrived_damaged {
        return Some(Problem::Defective);
    }
    match reason {
        Some(ReturnReason::Damaged) => Some(Problem::Damaged),
        Some(ReturnReason::WrongItem) => Some(Problem::WrongItem),
        Some(ReturnReason::NotAsDescribed) => Some(Problem::NotAsDescribed),
        Some(ReturnReason::QualityIssue) => Some(Problem::Defective),
        _ => None,
    }
}

/// "It says my coffee was delivered", "the tracking showed it as delivered": a parcel
/// the records call delivered, said as a problem, did not reach the caller.
fn shown_as_delivered(words: &[String]) -> bool {
    words.iter().enumerate().any(|(i, w)| {
        SHOWN.contains(&w.as_str()) && words.iter().skip(i + 1).take(5).any(|n| n == "delivered")
    })
}

/// Words by which the records, not the caller, say a parcel was delivered.
const SHOWN: &[&str] = &[
    "says", "say", "said", "shows", "show", "showed", "marked", "claims", "claimed", "reckons",
];

/// What the words say is missing: an item from a parcel that came ("the t-shirt
/// wasn't in it", "never came in the box", "one of the mugs is missing from the
/// package"), or the whole parcel ("my package is missing"). A person who "wasn't in"
/// ("i wasn't in when they came") is not a missing item, nor is a count said with a
/// fault (`faulty`).
fn missing(e: &Engine, words: &[String], faulty: bool) -> Option<Problem> {
    let ph = e.phrases();
    let first = (0..words.len()).find(|&i| {
        let person_absent = ph.len_at("absent", words, i).is_some()
            && i > 0
            && ph.any("person", std::slice::from_ref(&words[i - 1]));
        ph.len_at("missing_item", words, i).is_some() && !person_absent
    })?;
    // "I ordered three speakers and one of them won't turn on": all came, one is faulty.
    if ph.len_at("missing_count", words, first).is_some() && faulty {
        return None;
    }
    let whole_parcel = words[first.saturating_sub(3)..first]
        .iter()
        .any(|w| ph.any("parcel", std::slice::from_ref(w)));
    if whole_parcel && !ph.any("item_words", words) {
        Some(Problem::NotReceived)
    } else {
        Some(Problem::MissingItem)
    }
}

fn problem_words(e: &Engine, pr: Problem) -> String {
    let key = match pr {
        Problem::Damaged => p!("problem_damaged"),
        Problem::Defective => p!("problem_defective"),
        Problem::WrongItem => p!("problem_wrong_item"),
        Problem::NotAsDescribed => p!("problem_not_as_described"),
        Problem::NotReceived => p!("problem_not_received"),
        Problem::MissingItem => p!("problem_missing_item"),
    };
    e.text(key, &[])
}

/// Damaged, defective, wrong or missing items, and parcels not received.
pub(crate) fn problem(e: &mut Engine, facts: &dyn Facts) {
    let Some(order) = load(e, facts) else { return };
    if e.task().after_sale().problem.is_none() {
        let words = e.task().words.clone();
        let reason = e.task().after_sale().return_reason;
        e.task().after_sale().problem = problem_from_words(e, &words, reason);
    }
    let Some(pr) = e.task().after_sale().problem else {
        e.ask(Ask::ProblemKind, p!("ask_problem_kind"), &[]);
        return;
    };
    match pr {
        Problem::NotReceived => not_received(e, &order, facts),
        Problem::MissingItem if order.status != OrderStatus::Delivered => {
            e.tell_status(facts);
        }
        // "The colour isn't like the photo": nothing is broken, so it comes back to us
        // with a free label before it is refunded or exchanged, as any return.
        Problem::NotAsDescribed => {
            let task = e.task();
            task.become_goal(Goal::Return);
            task.after_sale().return_reason = Some(ReturnReason::NotAsDescribed);
            return_item(e, facts);
        }
        // A missing item is made good like a faulty one: replaced or refunded, nothing
        // to send back (an investigation records the claim for the warehouse).
        _ => faulty_item(e, &order, pr, facts),
    }
}

/// Whether `lines` (line, count) take in every unit of every line the order was
/// placed with.
fn every_item_of(order: &Order, lines: &[(u32, u32)]) -> bool {
    let said: u64 = lines.iter().map(|&(_, q)| u64::from(q)).sum();
    let placed: u64 = order.items.iter().map(|i| u64::from(i.qty)).sum();
    !lines.is_empty() && said == placed
}

fn not_received(e: &mut Engine, order: &Order, facts: &dyn Facts) {
    if order.status != OrderStatus::Delivered {
        // Not marked delivered: what the caller needs is where it is.
        e.tell_status(facts);
        return;
    }
    let wait = Duration::hours(i64::from(e.config().policy.orders.not_received_wait_hours));
    let delivered = order.delivered_at.unwrap_or_else(|| {
        order
            .order_date
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
    });
    let until = delivered + wait;
    if e.now < until {
        let hours = st::number_words(u64::from(e.config().policy.orders.not_received_wait_hours));
        e.say(
            p!("not_received_wait"),
            &[
                ("date", e.full_date_words(delivered.date())),
                ("hours", hours),
                ("until", st::day_and_part(until, e.today())),
            ],
        );
        e.s.wait_told_at = Some(e.s.turns);
        e.complete();
        return;
    }
    let hours = st::number_words(u64::from(e.config().policy.orders.not_received_wait_hours));
    e.say(
        p!("not_received_marked"),
        &[
            ("date", e.full_date_words(delivered.date())),
            ("hours", hours),
        ],
    );
    e.change(Change::OpenInvestigation {
        order_number: order.order_number.clone(),
        reason: InvestigationReason::NotReceived,
    });
    e.change(Change::Notify {
        channel: Channel::Email,
        template: Notice::InvestigationOpened,
        order_number: Some(order.order_number.clone()),
        reference: None,
    });
    e.hand_off(HandOffReason::NotReceived);
}

/// Keeps a refusal for the rest of this call and past it. A store that cannot record it
/// (read-only, full) does not stop the call: the refusal still holds for the rest of it.
/// Whether an order already has two returns or remedies on record, or one that left
/// the goods with the customer (a fault refunded or replaced with nothing sent back).
fn repeat_claims(order_number: &str, facts: &dyn Facts) -> bool {
    let Ok(records) = facts.returns_of(order_number) else {
        return false;
    };
    let standing: Vec<_> = records.iter().filter(|r| r.status != "rejected").collect();
    let kept_goods = standing.iter().any(|r| {
        matches!(
            r.reason.as_str(),
            "damaged" | "missing_item" | "quality_issue"
        ) && matches!(r.resolution.as_str(), "refund" | "replacement")
    });
    standing.len() >= 2 || kept_goods
}

fn remember_refusal(e: &mut Engine, order_number: &str, facts: &dyn Facts) {
    e.s.refused_order = Some(order_number.to_string());
    if let Err(err) = facts.record_return_refusal(order_number, e.now) {
        tracing::warn!(error = %err, "a return refusal was not recorded");
    }
}

/// "No" to a person after a return outside its window was refused: the refusal stands,
/// past this call too.
pub(crate) fn decline_exception(e: &mut Engine, facts: &dyn Facts) {
    if let Some(number) = e.task_ref().and_then(|t| t.order.clone()) {
        remember_refusal(e, &number, facts);
    }
    e.drop_task();
}

/// Whether a return on this order was refused by voice, in this call or an earlier one,
/// or the caller said in this call that nothing was wrong.
fn refused_before(e: &Engine, order_number: &str, facts: &dyn Facts) -> bool {
    e.s.fault_denied
        || e.s.keep_refused
        || e.s.refused_order.as_deref() == Some(order_number)
        || facts.return_refused(order_number).unwrap_or_else(|err| {
            // Unknown: the team, not a refund by voice, settles it.
            tracing::warn!(error = %err, "return refusals could not be read");
            true
        })
}

/// The order's item named closest before the words that say something is missing
/// ("the tee was fine but the headphones weren't there"): its SKU.
fn named_as_missing(e: &Engine, order: &Order, words: &[String]) -> Option<String> {
    let ph = e.phrases();
    let at = (0..words.len()).find(|&i| ph.len_at("missing_item", words, i).is_some())?;
    let before = &words[at.saturating_sub(6)..at];
    let said: Vec<String> = before.iter().map(|w| identity::singular(w)).collect();
    // The item whose name has a word said nearest the missing words.
    order
        .items
        .iter()
        .filter_map(|it| {
            let last = said.iter().rposition(|w| {
                identity::item_name_words_said(&it.name, std::slice::from_ref(w)) > 0
            })?;
            Some((last, it.sku.clone()))
        })
        .max_by_key(|(last, _)| *last)
        .map(|(_, sku)| sku)
}

fn faulty_item(e: &mut Engine, order: &Order, pr: Problem, facts: &dyn Facts) {
    if order.status != OrderStatus::Delivered && order.status != OrderStatus::Returned {
        // A cancelled order's status says it all; "not delivered yet" would be untrue.
        if order.status != OrderStatus::Cancelled {
            e.say(p!("problem_not_delivered"), &[]);
        }
        e.tell_status(facts);
        return;
    }
    // Refused a return for the reason first given, then told it is faulty or the wrong
    // item: a story that changed to the one that pays is not settled by voice, whoever
    // tells it. The team looks at it.
    if refused_before(e, &order.order_number, facts) {
        e.end_task();
        e.say(p!("problem_after_refusal"), &[]);
        e.offer_human(HandOffReason::Exception);
        return;
    }
    // "Only one mat in the box" about a box delivered weeks ago, past the return
    // window: what was or was not in it is for the team to look into, not refunded by
    // voice on the word of the call.
    if pr == Problem::MissingItem && past_window(e, order, &[]) {
        let delivered = order.delivered_at.map_or(order.order_date, |t| t.date());
        e.end_task();
        e.say(
            p!("missing_reported_late"),
            &[("delivered", e.date_words(delivered))],
        );
        e.offer_human(HandOffReason::Exception);
        return;
    }
    // A third claim on one order, or a second kept-goods remedy ("then the candle came
    // damaged too, refund please"): a pattern the team looks at, not paid by voice.
    // One caller, one call, claims on order after order: after one remedy that left the
    // goods with them, the next such claim is the team's too. So is any claim on an
    // order already returned.
    // A wrong item is refunded before it comes back, so it counts as one too; so does a
    // fault ("the base is cracked too"), replaced with nothing sent back as a damage is,
    // and counted among the kept-goods records (`repeat_claims`) as its reason is.
    let kept_goods_claim = matches!(
        pr,
        Problem::Damaged | Problem::MissingItem | Problem::WrongItem | Problem::Defective
    );
    let second_in_call = kept_goods_claim && e.s.kept_goods_remedies > 0;
    if order.status == OrderStatus::Returned
        || second_in_call
        || kept_goods_claim && repeat_claims(&order.order_number, facts)
    {
        e.end_task();
        let key = if second_in_call && order.status != OrderStatus::Returned {
            p!("problem_second_claim_in_call")
        } else {
            p!("problem_repeat_claim")
        };
        e.say(key, &[]);
        e.offer_human(HandOffReason::Exception);
        return;
    }
    let placed = order;
    let Some((left, open)) = left_to_return(e, order, facts) else {
        return;
    };
    let order = &left;
    // "The tee was fine but the headphones just weren't there": the item said just
    // before the words of it missing, not the first item named.
    if pr == Problem::MissingItem && e.task().after_sale().lines.is_empty() {
        let words = e.task().words.clone();
        if let Some(sku) = named_as_missing(e, order, &words) {
            e.task().after_sale().product = Some(sku);
        }
    }
    if !ensure_lines(e, order, &open, p!("ask_problem_item"), facts) {
        return;
    }
    let lines = e.task().after_sale().lines.clone();
    // "Both of them, the whole parcel", said of items missing: nothing of the parcel
    // came, which is a parcel not received (the carrier's scan first, then an
    // investigation), never every item refunded as missing from a parcel that came.
    // "Something was missing from my box": the box came, so a thing missing from it is
    // missing from a parcel that came, whatever the order holds.
    let box_came = e
        .task_ref()
        .is_some_and(|t| e.phrases().any("from_the_parcel", &t.words));
    if pr == Problem::MissingItem && every_item_of(placed, &lines) && !box_came {
        let after = e.task().after_sale();
        after.problem = Some(Problem::NotReceived);
        after.lines.clear();
        not_received(e, placed, facts);
        return;
    }
    // "Refund the gift card, it doesn't work": a card's balance is not something sent
    // back or replaced by voice; the team checks it. Nothing is refunded here.
    if lines
        .iter()
        .any(|&(l, _)| item(order, l).category == "gift_card")
    {
        e.end_task();
        e.say(p!("gift_card_problem"), &[]);
        e.offer_human(HandOffReason::Exception);
        return;
    }
    // "The hoodie's too big and the name on the mug is spelled wrong": two items, and
    // one of them only goes back as a return. Which is faulty is asked, rather than
    // refunding both as faulty with nothing sent back.
    let words = e.task().words.clone();
    if lines.len() > 1
        && !e.task().after_sale().faulty_one_asked
        && e.phrases().any("no_fault_reason", &words)
    {
        let after = e.task().after_sale();
        after.faulty_one_asked = true;
        after.lines.clear();
        let names: Vec<String> = lines
            .iter()
            .map(|&l| chosen_items(e, order, &[l]))
            .collect();
        e.ask(
            Ask::ReturnItems,
            p!("ask_which_is_faulty"),
            &[("items", st::list_or(&names))],
        );
        return;
    }
    let items = chosen_items(e, order, &lines);
    // A replacement is only offered when there is one to send. A product the local
    // catalog does not hold has a stock only the OMS knows: it is offered.
    let out_of_stock = lines.iter().any(|&(l, q)| {
        let it = item(order, l);
        matches!(facts.product(&it.sku), Ok(Some(p)) if p.stock < i64::from(q))
    });
    // "It stopped working and I just want my money back": the way said with the
    // problem is the caller's choice; it is not asked again.
    if e.task().after_sale().resolution.is_none() {
        let method_said = e.task().after_sale().refund_method.is_some();
        let said = resolution_said(e, &words, method_said);
        let after = e.task().after_sale();
        after.resolution = said;
        after.resolution_unconfirmed = said.is_some();
    }
    // A fault told of past the return window is still made good, but the item comes
    // back first (a prepaid label): goods kept are for what was wrong on arrival, not a
    // seam ripped ten weeks on, told on the word of a call.
    // The same holds for a caller who proved the order by its zip alone: a zip is
    // guessed from the city, and money or goods with nothing sent back want the order's
    // email or phone (or a household's own speaker).
    let late = past_window(e, order, &lines);
    // A wrong item is made good at once for a caller who proved the order beyond a zip,
    // whenever it is told; on a zip alone (which anyone holding a receipt may know) it
    // comes back first, as any fault does.
    let comes_back_first = (pr != Problem::WrongItem && late)
        || !identity::proved_beyond_a_zip(e, &order.order_number, facts);
    // Nothing of a missing item can come back first: made good with nothing sent back
    // only on the order's email or phone and within its window; otherwise the team
    // checks it, never a label for goods that never came.
    // So is what the caller threw away ("I threw it away already, it was dangerous"):
    // what has to come back first cannot, so no label is sent for it.
    let missing = pr == Problem::MissingItem;
    if comes_back_first && (missing || e.s.item_gone) {
        // The team hears which items, by name, whatever happens next.
        let names: Vec<String> = lines
            .iter()
            .map(|&(l, q)| format!("{q} x {}", item(order, l).name))
            .collect();
        e.s.report_items = Some(format!("{pr:?}: {}", names.join(", ")));
        // Missing on an order checked by its zip alone: the order's email or phone,
        // given at the offer, lets the report go on (`identity::step_up`).
        if missing && !late {
            let report = e.task_ref().cloned();
            e.s.step_up_for = report.map(|t| (order.order_number.clone(), t));
        }
        e.end_task();
        let key = match (missing, late) {
            (true, true) => p!("missing_item_late"),
            (true, false) => p!("missing_item_unproved"),
            (false, _) => p!("item_gone_team"),
        };
        e.say(key, &[]);
        e.offer_human(HandOffReason::Exception);
        return;
    }
    let why_back_first = if late {
        e.text(p!("back_first_late"), &[])
    } else {
        e.text(p!("back_first_unproved"), &[])
    };
    let Some(resolution) = e.task().after_sale().resolution else {
        // A wrong item goes back by a prepaid label, as the policy says; a damaged or
        // faulty one stays with the caller.
        let key = match (out_of_stock, pr == Problem::WrongItem) {
            _ if comes_back_first => p!("problem_offer_send_back_first"),
            (true, true) => p!("problem_offer_no_stock_wrong_item"),
            (true, false) => p!("problem_offer_no_stock"),
            (false, true) => p!("problem_offer_wrong_item"),
            (false, false) => p!("problem_offer"),
        };
        e.ask(
            Ask::ProblemResolution,
            key,
            &[
                ("items", items),
                ("problem", problem_words(e, pr)),
                ("why", why_back_first),
            ],
        );
        return;
    };
    // "I'd rather wait for a new one": nothing is refunded unasked; a person can hold
    // one back for the caller when stock comes in.
    if resolution == Resolution::Replacement && out_of_stock {
        e.hand_off_saying(
            HandOffReason::Exception,
            p!("replacement_wait"),
            &[("items", items)],
        );
        return;
    }
    let options = refund_options(e, order);
    // The way the caller asked for, when the shop offers it for this order; else the
    // first the policy offers.
    let method = e
        .task()
        .after_sale()
        .refund_method
        .filter(|m| options.contains(m))
        .or_else(|| options.first().copied())
        .unwrap_or(RefundMethod::StoreCredit);
    let amount = refund_cents(order, &lines);
    // "It stopped working, I just want my money back": a choice heard in the telling,
    // never asked as a choice, is read back for a yes before anything is refunded or
    // sent.
    if e.task().after_sale().resolution_unconfirmed && !e.task().confirmed {
        let elsewhere = e.task().after_sale().replacement_elsewhere;
        let key = match (resolution, pr == Problem::WrongItem) {
            (Resolution::Refund, _) if comes_back_first => p!("problem_confirm_refund_on_return"),
            (_, _) if comes_back_first => p!("problem_confirm_replacement_on_return"),
            // The one sent by mistake comes back, whatever is given for it.
            (Resolution::Refund, true) => p!("problem_confirm_refund_wrong_item"),
            (Resolution::Refund, _) => p!("problem_confirm_refund"),
            // Where a replacement goes is where the order went: a new address said for
            // it is not taken, and the caller hears so before saying yes.
            (_, _) if elsewhere => p!("problem_confirm_replacement_order_address"),
            (_, true) => p!("problem_confirm_replacement_wrong_item"),
            _ => p!("problem_confirm_replacement"),
        };
        let city = order
            .shipping_address
            .as_ref()
            .map(|a| a.city.clone())
            .unwrap_or_default();
        let args = [
            ("items", items),
            ("amount", st::price_cents(amount)),
            ("method", method_words(e, facts, order, method)),
            ("city", city),
            ("why", why_back_first),
        ];
        e.ask(Ask::YesNo(YesNo::Proceed), key, &args);
        return;
    }
    let return_id = match facts.new_return_id(&order.order_number) {
        Ok(id) => id,
        Err(err) => {
            e.store_trouble(&err);
            return;
        }
    };
    if pr == Problem::MissingItem {
        e.change(Change::OpenInvestigation {
            order_number: order.order_number.clone(),
            reason: InvestigationReason::MissingItem,
        });
    }
    let reason = match pr {
        Problem::WrongItem => ReturnReason::WrongItem,
        Problem::MissingItem => ReturnReason::MissingItem,
        Problem::NotAsDescribed => ReturnReason::NotAsDescribed,
        Problem::Defective => ReturnReason::QualityIssue,
        _ => ReturnReason::Damaged,
    };
    let refund = resolution == Resolution::Refund;
    let wrong_item = pr == Problem::WrongItem;
    let ship_back = wrong_item || comes_back_first;
    e.change(Change::CreateReturn(ReturnRequest {
        return_id: return_id.clone(),
        order_number: order.order_number.clone(),
        lines: lines
            .iter()
            .map(|&(line_no, qty)| ReturnLine {
                line_no,
                qty,
                exchange_sku: None,
            })
            .collect(),
        reason,
        resolution,
        refund_method: refund.then_some(method),
        refund_cents: refund.then_some(amount),
        ship_back,
        pickup: None,
    }));
    e.s.nothing_to_send_back = !ship_back;
    if !ship_back {
        e.s.kept_goods_remedies += 1;
    }
    if !refund {
        let when = if comes_back_first {
            NewItem::AfterReturn
        } else {
            NewItem::Now
        };
        e.s.new_item_for = Some((order.order_number.clone(), when));
    }
    if ship_back {
        // The label for the one sent by mistake, or for the faulty one to be checked, by
        // text and email.
        notify_return(e, order, &return_id, true);
    } else {
        e.change(Change::Notify {
            channel: Channel::Email,
            template: Notice::ReturnConfirmation,
            order_number: Some(order.order_number.clone()),
            reference: Some(return_id.clone()),
        });
    }
    let policy = &e.config().policy;
    // The days to send it back are the policy's, as for any return.
    let ship_days = st::number_words(u64::from(policy.returns.ship_back_days));
    let id = st::characters_grouped(&return_id);
    if refund {
        let days = refund_days(e);
        let args = [
            ("amount", st::price_cents(amount)),
            ("method", method_words(e, facts, order, method)),
            ("days", days),
            ("id", id),
        ];
        let key = if comes_back_first {
            p!("problem_refund_on_return")
        } else {
            p!("problem_refunded")
        };
        e.say(key, &args);
    } else if comes_back_first {
        e.say(p!("problem_replacement_on_return"), &[("id", id)]);
    } else {
        let days = st::number_words(u64::from(policy.shipping.standard_business_days[1]));
        e.say(p!("problem_replaced"), &[("id", id), ("days", days)]);
    }
    if wrong_item {
        e.say(
            p!("problem_label_for_wrong_item"),
            &[("ship_days", ship_days)],
        );
    } else if comes_back_first {
        e.say(
            p!("problem_label_for_the_check"),
            &[("ship_days", ship_days)],
        );
    }
    e.complete();
}

/// Delivered longer ago than the return window (its order date when no delivery is on
/// record).
/// Whether the items told of are past their return window (each by its category's
/// window: electronics close sooner); with none named, the order by the shop's window.
fn past_window(e: &Engine, order: &Order, lines: &[(u32, u32)]) -> bool {
    let policy = &e.config().policy.returns;
    let delivered = order.delivered_at.map_or(order.order_date, |t| t.date());
    if lines.is_empty() {
        return (e.today() - delivered).num_days() > i64::from(policy.window_days);
    }
    lines.iter().any(|&(l, _)| {
        let days = policy.window_for(&item(order, l).category);
        (e.today() - delivered).num_days() > i64::from(days)
    })
}

/// The state of a return and its refund.
pub(crate) fn return_status(e: &mut Engine, facts: &dyn Facts) {
    let Some(order) = load(e, facts) else { return };
    let returns = match facts.returns_of(&order.order_number) {
        Ok(r) => r,
        Err(err) => {
            e.store_trouble(&err);
            return;
        }
    };
    // A cancelled order's refund, or a return made before returns were kept here, is
    // told as the order's own state: it has no return record to read.
    if returns.is_empty() && matches!(order.status, OrderStatus::Cancelled | OrderStatus::Returned)
    {
        e.tell_status(facts);
        return;
    }
    // "Has the money come out of my account yet?" about an order with no return: the
    // charge, which is taken when the order ships.
    let words = e.task().words.clone();
    if returns.is_empty() && e.phrases().any("asks_charged", &words) {
        let card = order.payment.method == PaymentMethod::Card;
        let key = match (card, crate::speak::has_shipped(&order)) {
            (true, true) => p!("charged_already"),
            (true, false) => p!("charged_not_yet"),
            (false, _) => p!("charged_cod"),
        };
        e.say(key, &[]);
        e.complete();
        return;
    }
    // "Status of 7117…", taken for a return's: with no return to tell and no word of
    // one said, the order's own status is what was asked.
    let of_a_return = words.iter().any(|w| {
        [
            "return",
            "refund",
            "money",
            "credit",
            "exchange",
            "reimburse",
        ]
        .iter()
        .any(|r| w.starts_with(r))
    });
    if returns.is_empty() && !of_a_return {
        e.tell_status(facts);
        return;
    }
    if returns.is_empty() {
        // "Mum wants the refund sent to my card": whoever acts for someone else hears
        // there is no return, and is never offered one they cannot start.
        if e.change_refused_for_another(Goal::Return, facts) {
            e.say(p!("return_status_none"), &[]);
            e.say(p!("change_after_someone_else"), &[]);
            e.complete();
        } else if order.status == OrderStatus::Delivered {
            e.ask(
                Ask::YesNo(YesNo::StartReturn),
                p!("return_status_none_offer"),
                &[],
            );
        } else {
            e.say(p!("return_status_none"), &[]);
            e.complete();
        }
        return;
    }
    // "Not the address! The refund. Change the refund to store credit": how an opened
    // return is refunded is not changed by voice; the team can, and is offered.
    let words = e.task().words.clone();
    let another_way =
        e.task().heard.refund_method.is_some() && e.phrases().any("changes_refund_way", &words);
    if another_way {
        e.end_task();
        e.say(p!("refund_way_fixed"), &[]);
        e.offer_human(HandOffReason::Requested);
        return;
    }
    say_return_state(e, &order, facts);
    // "I haven't had the label, can you send it again?" asked with the status.
    resends_label(e, &words, facts);
    e.complete();
}

/// "Neither, it was the jacket" at "which item?": the item is on another order. Says
/// so, and looks for that order among the caller's verified ones, or asks for its
/// number; the request goes on with the item named. True when handled so.
fn item_on_another_order(
    e: &mut Engine,
    said: &Said<'_>,
    order: &Order,
    facts: &dyn Facts,
) -> bool {
    let named = said.entities.product.clone();
    let on_this_order = named
        .as_deref()
        .is_some_and(|sku| identity::holds_product(order, sku, facts));
    let elsewhere = said.has(Cue::OtherOrder) || e.phrases().any("none_of_these", &said.words);
    if on_this_order || (named.is_none() && !elsewhere) {
        return false;
    }
    match named
        .as_deref()
        .and_then(|sku| facts.product(sku).ok().flatten())
    {
        Some(p) => {
            let item = pw::product_phrase_indefinite(pw::family_part(&p.name), 1, false);
            e.say(p!("item_not_on_order"), &[("item", item)]);
        }
        None => e.say(p!("not_that_order"), &[]),
    }
    let task = e.task();
    task.order = None;
    task.reuse_offered = true;
    task.words.extend(said.words.iter().cloned());
    if !task.cues.contains(&Cue::OtherOrder) {
        task.cues.push(Cue::OtherOrder);
    }
    let after = task.after_sale();
    after.lines.clear();
    after.product = named;
    e.ask = Ask::Nothing;
    // Other verified orders (a household's, a phone's) are searched and offered; with
    // none, the other order's number is asked for.
    let others = e.s.verified.iter().any(|n| *n != order.order_number);
    if others {
        e.advance(facts);
    } else {
        e.ask(Ask::OrderNumber, p!("ask_other_order_number"), &[]);
    }
    true
}

/// Answers to the questions of these requests.
pub(crate) fn answer(e: &mut Engine, ask: &Ask, said: &Said<'_>, facts: &dyn Facts) -> Answer {
    // "Not a refund, an exchange" at any question of a return: the same item is swapped
    // instead, with what the return has collected.
    if e.task_ref().is_some_and(|t| t.goal() == Goal::Return) && asks_an_exchange_instead(e, said) {
        e.task().become_goal(Goal::Exchange);
        // "Could I swap it for a small instead?": the size or colour said with it is
        // the one wanted.
        if let Some(wanted) = variant_said(e, said, facts) {
            e.task().after_sale().exchange_sku = Some(wanted);
        }
        return Answer::Filled;
    }
    // "No, not the dog food, it's the USB cable that's missing" at any later question:
    // the item is corrected and the request goes on with it.
    // Not where a size or colour is asked: "the navy one" there is the new variant.
    if matches!(ask, Ask::ProblemResolution | Ask::ProblemKind)
        && another_item_returned(e, said, facts)
    {
        return Answer::Handled;
    }
    // "I didn't get anything by mistake, the bottle just isn't in the box" at the
    // offer made for a wrong item: a missing item, and the answer is taken for it.
    if matches!(ask, Ask::ProblemResolution | Ask::ProblemKind)
        && e.task_ref().is_some_and(|t| t.goal() == Goal::Problem)
        && e.task().after_sale().problem == Some(Problem::WrongItem)
        && missing(e, &said.words, false) == Some(Problem::MissingItem)
    {
        let after_sale = e.task().after_sale();
        after_sale.problem = Some(Problem::MissingItem);
        after_sale.resolution = None;
        after_sale.return_reason = None;
        e.task().confirmed = false;
    }
    // "Back on the card. Oh, and it's only the jeans, not the hoodie": the return is
    // narrowed, and the answer taken with it.
    let trimmed = !matches!(ask, Ask::ReturnItems) && trim_lines(e, said, facts);
    let corrected = !trimmed
        && !matches!(ask, Ask::ReturnItems | Ask::ExchangeVariant)
        && other_item_named(e, said, facts);
    // "A replacement please, just the one that's dented": fewer of the line, with the
    // answer.
    let narrowed = matches!(ask, Ask::ProblemResolution | Ask::ProblemKind)
        && e.focus_order(facts)
            .is_some_and(|order| narrow_to_what_is_wrong(e, &order, &said.words));
    let answer = answer_for(e, ask, said, facts);
    // "Just the one speaker, the other two are fine": heard, and the choice asked again
    // for that one, not met with "sorry, I didn't get that".
    if narrowed && matches!(answer, Answer::Missed) && *ask == Ask::ProblemResolution {
        let count = e.task().after_sale().lines.first().map_or(1, |&(_, n)| n);
        e.say(
            p!("just_that_many"),
            &[("count", st::number_words(u64::from(count)))],
        );
        e.say_pending_question(true);
        return Answer::Handled;
    }
    if (corrected || trimmed) && matches!(answer, Answer::Missed) {
        return Answer::Filled;
    }
    answer
}

/// Whether the words ask for an exchange in place of the return under way ("not a
/// refund, an exchange", "can I swap it instead?"), not refuse one ("not an exchange").
fn asks_an_exchange_instead(e: &Engine, said: &Said<'_>) -> bool {
    let Some(at) = e.phrases().find("exchange_instead", &said.words) else {
        return false;
    };
    !said.words[at.saturating_sub(2)..at].iter().any(|w| {
        matches!(
            w.as_str(),
            "not" | "no" | "don't" | "dont" | "never" | "without"
        )
    })
}

/// The other size, colour or variant of the item being exchanged that the words name
/// ("a large", "the olive one"), if any.
fn variant_said(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> Option<String> {
    let number = e.task_ref()?.order.clone()?;
    let order = facts.order(&number).ok()??;
    let (line, _) = *e.task().after_sale().lines.first()?;
    let sku = item(&order, line).sku.clone();
    let (own, variants) = family_of(e, &sku, facts)?;
    variant_named(e, said, &sku, &own, &variants)
}

/// Of the variants of the family of `sku` (the item being exchanged), the one the words
/// name by its size or colour, or by the product heard.
fn variant_named(
    e: &Engine,
    said: &Said<'_>,
    sku: &str,
    own: &Product,
    variants: &[Product],
) -> Option<String> {
    // The product heard counts only by a size or colour the caller said of it: "not
    // the sheets, the socks" may be heard as one set of sheets, which names none.
    let (size, colour) = spoken_size_and_colour(e, &said.words, variants);
    let said_of = |spoken: &Option<String>, its: &Option<String>, owns: &Option<String>| {
        let low = |v: &Option<String>| v.as_deref().map(str::to_lowercase);
        spoken.is_some() && low(spoken) == low(its) && low(its) != low(owns)
    };
    let from_product = said
        .entities
        .product
        .as_deref()
        .filter(|s| *s != sku)
        .and_then(|s| variants.iter().find(|v| v.sku == s))
        .filter(|v| said_of(&size, &v.size, &own.size) || said_of(&colour, &v.color, &own.color))
        .map(|v| v.sku.clone());
    wanted_variant(e, &said.words, own, variants).or(from_product)
}

fn answer_for(e: &mut Engine, ask: &Ask, said: &Said<'_>, facts: &dyn Facts) -> Answer {
    let ent = &said.entities;
    match ask {
        Ask::ReturnItems => {
            let Some(order) = e.task_ref().and_then(|t| t.order.clone()) else {
                return Answer::Missed;
            };
            let Ok(Some(order)) = facts.order(&order) else {
                return Answer::Missed;
            };
            let Some((order, open)) = left_to_return(e, &order, facts) else {
                return Answer::Handled;
            };
            let lines = pick_lines(e, said, &order, &open, facts);
            if lines.is_empty() {
                if item_on_another_order(e, said, &order, facts) {
                    return Answer::Handled;
                }
                return Answer::Missed;
            }
            // "Oh not the tee, sorry, it was the headphones": a pick put right, not a
            // wrong item sent.
            let corrects_the_pick = ent.return_reason == Some(ReturnReason::WrongItem)
                && said.words.iter().any(|w| w == "not");
            let task = e.task();
            task.after_sale().lines = lines;
            if task.after_sale().return_reason.is_none() && !corrects_the_pick {
                task.after_sale().return_reason = ent.return_reason;
            }
            // "I ordered three and only got one", answering which item.
            narrow_to_what_is_wrong(e, &order, &said.words);
            Answer::Filled
        }
        Ask::ReturnReason => {
            // "I told you, it never arrived": no return's reason but a lost parcel, which
            // is the problem's to deal with (an investigation, never a label).
            if parcel_never_came(e, said) {
                e.end_task();
                e.ask = Ask::Nothing;
                e.start_goal(Goal::Problem, said, facts);
                return Answer::Handled;
            }
            // Refused already ("final sale, unless it's faulty"), then "so what happens
            // if something arrives broken?": a question about the policy, not a fault.
            let asks_policy = said.intent == Intent::PolicyQuestion
                && said.confidence >= e.config().dialog.switch_confidence;
            if asks_policy && e.task_ref().is_some_and(|t| t.told) {
                e.end_task();
                e.ask = Ask::Nothing;
                e.policy(said, facts);
                return Answer::Handled;
            }
            // Refused, then "oh shame. and my other order?": no fault, another request.
            // The refusal stands; a request queued earlier goes next, else this one.
            let moves_on = said.intent.asks_another_matter()
                && said.confidence >= 0.5
                && ent.return_reason.is_none()
                && !e.phrases().any("defective", &said.words);
            if moves_on && e.task_ref().is_some_and(|t| t.told) {
                e.end_task();
                e.ask = Ask::Nothing;
                if e.s.later.is_empty() {
                    e.route(said, facts);
                } else {
                    e.anything_else();
                }
                return Answer::Handled;
            }
            // "It crackles when it's loud, it's faulty": a defect said in words, whatever
            // reason the words also read as, is the fault the question invited.
            let fault = e.phrases().any("defective", &said.words)
                && !e.phrases().any("not_defective", &said.words);
            let reason = ent
                .return_reason
                .or_else(|| fault.then_some(ReturnReason::Damaged));
            match reason {
                Some(r) => {
                    let after_sale = e.task().after_sale();
                    after_sale.return_reason = Some(r);
                    after_sale.fault |= fault;
                    Answer::Filled
                }
                None => Answer::Missed,
            }
        }
        Ask::RefundMethod => {
            let order = e.task_ref().and_then(|t| t.order.clone());
            let order = order.and_then(|n| facts.order(&n).ok().flatten());
            // "To my other card ending 9999": a refund goes back only to the card that
            // paid, which is said, with the ways there are; never swapped silently.
            if let Some(order) = order.as_ref().filter(|o| names_another_card(e, said, o)) {
                e.say(p!("refund_other_card"), &[]);
                ask_refund_method(e, facts, order);
                return Answer::Handled;
            }
            if let Some(m) = ent.refund_method {
                e.task().after_sale().refund_method = Some(m);
                return Answer::Filled;
            }
            // "Back on my mastercard": the card the order was paid with, by its name.
            let names_the_card = order
                .as_ref()
                .and_then(|o| o.payment.brand.as_deref())
                .is_some_and(|brand| {
                    let brand = crate::locale::words(brand);
                    !brand.is_empty() && said.words.windows(brand.len()).any(|w| w == brand)
                });
            // "Yes" alone to "back to your Visa, store credit or bank transfer?" chooses
            // none of them: which one is asked, briefly. With one way offered, the yes
            // takes it.
            if let Some(order) = order.as_ref().filter(|_| e.bare_yes(said)) {
                if refund_options(e, order).len() > 1 {
                    ask_which_refund_method(e, facts, order);
                    return Answer::Handled;
                }
            }
            // "Whichever is quickest", "no preference": the first offered, back where the
            // money came from.
            if e.yes_no(said) == Some(true)
                || names_the_card
                || e.phrases().any("card", &said.words)
                || e.no_preference(said)
            {
                if let Some(order) = order {
                    let first = refund_options(e, &order).first().copied();
                    e.task().after_sale().refund_method = first;
                    return Answer::Filled;
                }
            }
            Answer::Missed
        }
        Ask::ExchangeVariant => {
            let Some(order) = e.task_ref().and_then(|t| t.order.clone()) else {
                return Answer::Missed;
            };
            let Ok(Some(order)) = facts.order(&order) else {
                return Answer::Missed;
            };
            let (mut line, _) = e.task().after_sale().lines[0];
            // "No, not the sheets, the socks": the item put right, then its size.
            if let Some(other) = item_put_right(said, &order, line) {
                line = other;
                let after = e.task().after_sale();
                after.lines = vec![(other, item(&order, other).qty)];
                after.exchange_sku = None;
            }
            let sku = item(&order, line).sku.clone();
            let Some((own, variants)) = family_of(e, &sku, facts) else {
                return Answer::Handled;
            };
            match variant_named(e, said, &sku, &own, &variants) {
                Some(wanted) => {
                    e.task().after_sale().exchange_sku = Some(wanted);
                    Answer::Filled
                }
                // "No other size, I want my money back": a return of the same item.
                None if e.phrases().any("refund", &said.words)
                    || ent.refund_method.is_some()
                    || said.intent == Intent::ReturnItem =>
                {
                    e.task().become_goal(Goal::Return);
                    if let Some(m) = ent.refund_method {
                        e.task().after_sale().refund_method = Some(m);
                    }
                    Answer::Filled
                }
                None => Answer::Missed,
            }
        }
        Ask::ProblemKind => match problem_from_words(e, &said.words, ent.return_reason) {
            Some(pr) => {
                e.task().after_sale().problem = Some(pr);
                Answer::Filled
            }
            None => Answer::Missed,
        },
        // "Yes" alone to "a replacement or a refund?" chooses neither: the question
        // again, short.
        Ask::ProblemResolution if e.bare_yes(said) => {
            e.say_pending_question_short();
            Answer::Handled
        }
        Ask::ProblemResolution => {
            // "The first one": the choices are offered replacement first, then refund.
            let by_position = || match said.position(2) {
                Some(0) => Some(Resolution::Replacement),
                Some(1) => Some(Resolution::Refund),
                _ => None,
            };
            let res =
                resolution_said(e, &said.words, ent.refund_method.is_some()).or_else(by_position);
            match res {
                Some(r) => {
                    e.task().after_sale().resolution = Some(r);
                    // "A refund for the two missing ones": that many, not the line.
                    let order = e.focus_order(facts);
                    if let (Some(order), Some(n)) = (order, count_said_wrong(&said.words)) {
                        if let [(line, qty)] = e.task().after_sale().lines[..] {
                            if n >= 1 && n <= item(&order, line).qty && n != qty {
                                e.task().after_sale().lines = vec![(line, n)];
                            }
                        }
                    }
                    if r == Resolution::Replacement && said.address.is_some() {
                        let after = e.task().after_sale();
                        after.replacement_elsewhere = true;
                        after.resolution_unconfirmed = true;
                    }
                    // "A refund, as store credit": the way is said with the choice.
                    if let Some(m) = ent.refund_method {
                        e.task().after_sale().refund_method = Some(m);
                    }
                    Answer::Filled
                }
                None => Answer::Missed,
            }
        }
        _ => Answer::Missed,
    }
}

/// "Refund please, I'll throw it away" at "which item is affected?", "refund me" at the
/// reason question of a problem: the money back is how the problem is to be made good,
/// never a new return or a question about one. Taken when the problem has no way chosen
/// yet and the words name no other order; true when taken.
pub(crate) fn refund_chosen_for_the_problem(e: &mut Engine, said: &Said<'_>) -> bool {
    let open = e.task.as_ref().is_some_and(|t| {
        matches!(&t.req, Request::Problem(a) if a.resolution.is_none())
            && said
                .entities
                .order_number
                .as_ref()
                .is_none_or(|n| t.order.as_ref() == Some(n))
    });
    let asked_after = said.intent == Intent::CheckReturnStatus && e.asks_a_question(said.heard);
    if !open
        || asked_after
        || resolution_said(e, &said.words, said.entities.refund_method.is_some())
            != Some(Resolution::Refund)
    {
        return false;
    }
    let after = e.task().after_sale();
    after.resolution = Some(Resolution::Refund);
    after.resolution_unconfirmed = true;
    if let Some(m) = said.entities.refund_method {
        after.refund_method = Some(m);
    }
    true
}

/// The way a problem is made good that the words choose: "a new pair", "just refund me".
/// A replacement refused is none ("no, no replacement"), and with both said nothing is
/// chosen. `method_said`: a refund's way was named ("as store credit").
pub(crate) fn resolution_said(
    e: &Engine,
    words: &[String],
    method_said: bool,
) -> Option<Resolution> {
    let ph = e.phrases();
    let refused = ph.any("no_replacement", words);
    let replacement = !refused && (ph.any("replacement", words) || ph.any("wait_for_stock", words));
    let refund = !ph.any("no_refund", words) && (ph.any("refund", words) || method_said);
    match (replacement, refund) {
        (true, false) => Some(Resolution::Replacement),
        (false, true) => Some(Resolution::Refund),
        _ => None,
    }
}

/// Whether the words name an item of the order other than the one chosen, correcting
/// it: the chosen lines become that item's, and what was decided about the old item
/// (how to resolve it) is asked again.
fn other_item_named(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    let Some((order, line)) = other_line_named(e, said, facts) else {
        return false;
    };
    // "Refund for the keyboard, then swap the tee": an item named after "then" or "also"
    // is for a request of its own, not a correction of the one being dealt with.
    let noun = line_nouns(&order, &[line]).pop().unwrap_or_default();
    let later_request = said.words.iter().enumerate().any(|(at, w)| {
        noun.len() > 2
            && pw::same_noun(w, &noun)
            && said.words[at.saturating_sub(4)..at]
                .iter()
                .any(|b| matches!(b.as_str(), "then" | "also" | "next" | "afterwards"))
    });
    if later_request {
        return false;
    }
    let qty = item(&order, line).qty;
    let after_sale = e.task().after_sale();
    after_sale.lines = vec![(line, qty)];
    after_sale.resolution = None;
    e.task().confirmed = false;
    true
}

/// "Oh, and it's only the jeans, not the hoodie, I'm keeping that" at a question of a
/// return of several items, or "no, NOT the hoodie, just the jeans" at its read-back:
/// the lines the words keep are all that goes back. True when the lines changed.
pub(crate) fn trim_lines(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    if e.task_ref().map(|t| t.goal()) != Some(Goal::Return) {
        return false;
    }
    let lines = e.task().after_sale().lines.clone();
    if lines.len() < 2 {
        return false;
    }
    let Some(order) = e.focus_order(facts) else {
        return false;
    };
    let names: Vec<Vec<String>> = lines
        .iter()
        .map(|(l, _)| crate::locale::words(&item(&order, *l).name))
        .collect();
    // In a return, the item kept is the one not sent back.
    let left_out = ["keeping", "keep", "except", "apart"];
    let Some(keep) = lines_kept(&names, &said.words, &left_out) else {
        return false;
    };
    e.task().after_sale().lines = keep.into_iter().map(|i| lines[i]).collect();
    e.task().confirmed = false;
    true
}

/// The one line of the order in focus, other than those chosen, that the words name.
fn other_line_named(e: &Engine, said: &Said<'_>, facts: &dyn Facts) -> Option<(Order, u32)> {
    let sku = said.entities.product.clone();
    let order = e.focus_order(facts)?;
    let chosen = match e.task_ref() {
        Some(t) if t.goal().after_sales() && t.order.as_ref() == Some(&order.order_number) => {
            match &t.req {
                Request::Return(a) | Request::Exchange(a) | Request::Problem(a) => a.lines.clone(),
                _ => return None,
            }
        }
        _ => return None,
    };
    if chosen.is_empty() {
        return None;
    }
    let family = |s: &str| identity::family_of(s, facts);
    let all: Vec<u32> = (1..=order.items.len() as u32).collect();
    // "Another of the oatmeal hoodies" with the oatmeal line chosen is more of that
    // line: another colour of the same kind is named only when no line is the very
    // product heard.
    let exact = |l: &u32| sku.as_deref() == Some(item(&order, *l).sku.as_str());
    let wanted = if all.iter().any(exact) {
        None
    } else {
        sku.as_deref().and_then(family)
    };
    let nouns = line_nouns(&order, &all);
    // The lines the words name, by the product heard or by what each line is ("the
    // cable"), other than the one chosen.
    let named: Vec<u32> = all
        .iter()
        .zip(&nouns)
        .filter(|&(&l, noun)| {
            let it = item(&order, l);
            let by_product = sku.as_deref() == Some(it.sku.as_str())
                || (wanted.is_some() && family(&it.sku) == wanted);
            // "Back to my card" names a way to pay, not the gift card, whatever was
            // asked when it is said.
            let by_noun = !matches!(e.ask, Ask::RefundMethod)
                && said.entities.refund_method.is_none()
                && noun.len() > 2
                && nouns.iter().filter(|n| *n == noun).count() == 1
                && said.words.iter().any(|w| pw::same_noun(w, noun));
            (by_product || by_noun) && !chosen.iter().any(|(c, _)| *c == l)
        })
        .map(|(&l, _)| l)
        .collect();
    let [line] = named.as_slice() else {
        return None;
    };
    Some((order, *line))
}

/// "And the tee, I just don't like the fit" while a faulty item's remedy is asked:
/// another item of the order, added with a reason that is no fault, is a return of its
/// own, sent back first and taken up after this one. The fault's remedy (nothing to send
/// back) never passes to it, and the question asked stays.
fn another_item_returned(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    let ph = e.phrases();
    let no_fault = matches!(
        said.entities.return_reason,
        Some(ReturnReason::SizeIssue | ReturnReason::ChangedMind)
    );
    let adds = ph.any("adds_another", &said.words);
    if !(no_fault || adds) || ph.any("defective", &said.words) {
        return false;
    }
    if !e.task_ref().is_some_and(|t| t.goal() == Goal::Problem) {
        return false;
    }
    let Some((order, line)) = other_line_named(e, said, facts) else {
        return false;
    };
    let it = item(&order, line);
    let name = item_words_brief(&e.catalog, &it.name, 1);
    // "And the tee swap?" with the tee's exchange already waiting from the first
    // breath: that request comes next; no return of it is added.
    let waiting = e.s.later.iter().any(|w| {
        w.entities
            .product
            .as_deref()
            .is_some_and(|sku| identity::same_product(sku, &it.sku, facts))
    });
    if waiting {
        e.say(p!("other_item_after_this"), &[("item", name)]);
        e.say_pending_question(true);
        return true;
    }
    let mut later = said.heard.clone();
    later.intent = Intent::ReturnItem;
    later.then = None;
    later.entities.order_number = Some(order.order_number.clone());
    later.entities.product = Some(it.sku.clone());
    e.s.later.push_back(later);
    e.say(p!("return_after_this"), &[("item", name)]);
    // The question's short form: its offer was heard a moment ago.
    e.say_pending_question(true);
    true
}

/// The lines among `lines` whose name has a word said that no other of them has ("the
/// black sneakers" beside grey ones, "the oatmeal one"); words in `set_aside` ("not the
/// black") do not count.
fn named_alone(order: &Order, lines: &[u32], said: &[String], set_aside: &[&String]) -> Vec<u32> {
    let names: Vec<Vec<String>> = lines
        .iter()
        .map(|&l| crate::locale::words(&item(order, l).name))
        .collect();
    lines
        .iter()
        .enumerate()
        .filter(|&(i, _)| {
            names[i].iter().any(|w| {
                w.len() > 2
                    && said.contains(w)
                    && !set_aside.contains(&w)
                    && names
                        .iter()
                        .enumerate()
                        .all(|(j, n)| j == i || !n.contains(w))
            })
        })
        .map(|(_, &l)| l)
        .collect()
}

/// The open lines that are the product: those of its SKU, or else those of another size
/// or colour of it.
fn lines_of_product(order: &Order, open: &[u32], sku: &str, facts: &dyn Facts) -> Vec<u32> {
    let exact: Vec<u32> = open
        .iter()
        .copied()
        .filter(|&l| item(order, l).sku == sku)
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    let Some(wanted) = identity::family_of(sku, facts) else {
        return Vec::new();
    };
    open.iter()
        .copied()
        .filter(|&l| identity::family_of(&item(order, l).sku, facts).as_ref() == Some(&wanted))
        .collect()
}

/// "Not the sheets, the socks": the one other line of the order named once what follows
/// "not" is set aside, when the words set aside the line `current`.
fn item_put_right(said: &Said<'_>, order: &Order, current: u32) -> Option<u32> {
    let at = said.words.iter().position(|w| w == "not")?;
    let skip = if said.words.get(at + 1).is_some_and(|w| w == "the") {
        3
    } else {
        2
    };
    let (aside, rest): (Vec<_>, Vec<_>) = said
        .words
        .iter()
        .enumerate()
        .partition(|(i, _)| (at..at + skip).contains(i));
    let singular = |part: Vec<(usize, &String)>| -> Vec<String> {
        part.into_iter()
            .map(|(_, w)| identity::singular(w))
            .collect()
    };
    let (aside, rest) = (singular(aside), singular(rest));
    let name = |l: u32| -> Vec<String> {
        crate::locale::words(&item(order, l).name)
            .iter()
            .map(|w| identity::singular(w))
            .filter(|w| w.len() > 2)
            .collect()
    };
    let own = name(current);
    if !own.iter().any(|w| aside.contains(w)) {
        return None;
    }
    let others: Vec<u32> = (1..=order.items.len() as u32)
        .filter(|&l| l != current)
        .filter(|&l| name(l).iter().any(|w| rest.contains(w) && !own.contains(w)))
        .collect();
    match others[..] {
        [other] => Some(other),
        _ => None,
    }
}

/// Which order lines the caller means: all of them, by position, by product, or by name.
fn pick_lines(
    e: &Engine,
    said: &Said<'_>,
    order: &Order,
    open: &[u32],
    facts: &dyn Facts,
) -> Vec<(u32, u32)> {
    let whole = |l: u32| (l, item(order, l).qty);
    if e.phrases().any("all_items", &said.words) {
        // "The beanies, all three": all of the item named, never every item.
        // The product heard may be another colour of the item ("the beanies" heard as
        // the charcoal one): the line of its family is the one named.
        let by_product: Vec<u32> = said
            .entities
            .product
            .as_ref()
            .map(|sku| lines_of_product(order, open, sku, facts))
            .unwrap_or_default();
        let singular: Vec<String> = said.words.iter().map(|w| identity::singular(w)).collect();
        // A name's own plural ("headphones") is said as it is.
        let forms: Vec<String> = singular.iter().chain(&said.words).cloned().collect();
        let by_name = named_alone(order, open, &forms, &[]);
        // "All of them: the tee, the cardigans and the socks": every item named, whichever
        // one the product heard is.
        if by_name.len() > 1 {
            return by_name.into_iter().map(whole).collect();
        }
        let named = if by_product.is_empty() {
            by_name
        } else {
            by_product
        };
        if let [l] = named[..] {
            return vec![whole(l)];
        }
        return open.iter().map(|&l| whole(l)).collect();
    }
    let qty_for = |l: u32| {
        let q = said
            .entities
            .quantity
            .unwrap_or(u32::MAX)
            .min(item(order, l).qty);
        (l, q.max(1))
    };
    // "Not the tee, it was the jacket": the item said after "not" is the one it isn't.
    let negated: Vec<&String> = said
        .words
        .iter()
        .enumerate()
        .filter(|&(i, _)| {
            (i.saturating_sub(2)..i).any(|k| said.words[k] == "not" || said.words[k] == "never")
        })
        .map(|(_, w)| w)
        .collect();
    let named_only_negated = |l: u32| {
        let name = crate::locale::words(&item(order, l).name);
        let said_words: Vec<&String> = name
            .iter()
            .filter(|w| w.len() > 2 && said.words.contains(w))
            .collect();
        !said_words.is_empty() && said_words.iter().all(|w| negated.contains(w))
    };
    let product = said.entities.product.as_ref().filter(|sku| {
        !open
            .iter()
            .any(|&l| item(order, l).sku == **sku && named_only_negated(l))
    });
    if let Some(sku) = product {
        let lines = lines_of_product(order, open, sku, facts);
        match lines[..] {
            [l, ..] if item(order, l).sku == *sku => return vec![qty_for(l)],
            [l] if !named_only_negated(l) => return vec![qty_for(l)],
            _ => {}
        }
    }
    // "One of the oatmeal ones": a word of one line's name alone (its colour here)
    // picks it before any "one" is read as a position in the list.
    if let [l] = named_alone(order, open, &said.words, &negated)[..] {
        return vec![qty_for(l)];
    }
    if let Some(i) = said.position(open.len()) {
        return vec![qty_for(open[i])];
    }
    // "The double XL one": the line of the size said, when one line has it.
    let products: Vec<(u32, Product)> = open
        .iter()
        .filter_map(|&l| Some((l, facts.product(&item(order, l).sku).ok().flatten()?)))
        .collect();
    let variants: Vec<Product> = products.iter().map(|(_, p)| p.clone()).collect();
    if let (Some(size), _) = spoken_size_and_colour(e, &said.words, &variants) {
        let sized: Vec<u32> = products
            .iter()
            .filter(|(_, p)| p.size.as_deref() == Some(size.as_str()))
            .map(|&(l, _)| l)
            .collect();
        if let [l] = sized[..] {
            return vec![qty_for(l)];
        }
    }
    let scores: Vec<usize> = open
        .iter()
        .map(|&l| {
            crate::locale::words(&item(order, l).name)
                .iter()
                .filter(|w| w.len() > 2 && said.words.contains(w) && !negated.contains(w))
                .count()
        })
        .collect();
    let best = scores.iter().copied().max().unwrap_or(0);
    if best > 0 && scores.iter().filter(|&&s| s == best).count() == 1 {
        let i = scores.iter().position(|&s| s == best).expect("best exists");
        return vec![qty_for(open[i])];
    }
    Vec::new()
}

/// "Can a courier pick it up instead of me posting it?", "do I drop it off somewhere?"
/// while a return or an exchange is being set up, or once one was made in this call:
/// how the item goes back, from what the shop offers (a prepaid label to drop off, a
/// courier pickup where the policy has pickup slots), never the delivery's tracking.
/// True when answered.
pub(crate) fn how_it_goes_back(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    let pickup_asked = said.has(Cue::Pickup);
    let ph = e.phrases();
    let asked = pickup_asked || ph.any("send_back_way", &said.words);
    // "No label, no pickup, I'm keeping them" sends nothing back; "will I have to pay
    // to post it back?" asks the rules of the cost.
    let other_question = ph.any("keeps_item", &said.words)
        || ph.any("asks_rules", &said.words)
        || said.has(Cue::Negated);
    if !asked || other_question || said.keypad || said.entities.order_number.is_some() {
        return false;
    }
    let offered = !e.config().policy.returns.pickup_time_slots.is_empty();
    let goal = e.task_ref().map(|t| t.goal());
    if matches!(goal, Some(Goal::Return | Goal::Exchange)) {
        // The read-back and the pickup's own day take the courier as their answer.
        let own_question = matches!(e.ask, Ask::YesNo(YesNo::Proceed) | Ask::Date | Ask::Slot);
        if own_question || e.ask == Ask::Nothing || e.task().after_sale().pickup == Some(true) {
            return false;
        }
        // A gift's label goes to whoever placed the order: no courier to this address.
        if !offered || e.returns_a_gift_for_another() {
            e.say(p!("pickup_not_offered"), &[]);
        } else if pickup_asked {
            e.task().after_sale().pickup = Some(true);
            e.say(p!("pickup_noted"), &[]);
        } else {
            e.say(p!("send_back_ways"), &[]);
        }
        e.say_pending_question_short();
        return true;
    }
    // Just after a return or an exchange of the order in focus.
    let just_made = e.task.is_none() && e.s.last_goal.is_some_and(|g| g.after_sales());
    let Some(number) = e.s.focus.clone().filter(|_| just_made) else {
        return false;
    };
    let returns = match facts.returns_of(&number) {
        Ok(r) => r,
        Err(err) => {
            e.store_trouble(&err);
            return true;
        }
    };
    let open = returns
        .iter()
        .filter(|r| {
            matches!(
                r.status.as_str(),
                "requested" | "label_sent" | "pickup_scheduled"
            )
        })
        .max_by_key(|r| r.created_at);
    let Some(open) = open else {
        return false;
    };
    e.ask = Ask::Nothing;
    if let Some(date) = open.pickup_date {
        e.say(
            p!("pickup_already_booked"),
            &[("pickup", e.date_words(date))],
        );
        e.anything_else();
    } else if !offered {
        e.say(p!("pickup_not_offered"), &[]);
        e.anything_else();
    } else {
        // A return opened with a label is not switched to a pickup by voice; the team
        // can book one.
        e.say(p!("pickup_after_label"), &[]);
        e.offer_human(HandOffReason::Requested);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::count_said_before;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn a_count_said_with_an_item_is_read_before_its_noun() {
        let said = words("return the black hoodie and one of the power banks");
        assert_eq!(count_said_before(&said, "bank"), Some(1));
        assert_eq!(count_said_before(&said, "hoodie"), None);
        let said = words("send back two of my candles and a mug");
        assert_eq!(count_said_before(&said, "candle"), Some(2));
        assert_eq!(count_said_before(&said, "mug"), Some(1));
        assert_eq!(
            count_said_before(&words("the three tees and the lamp"), "tee"),
            Some(3)
        );
    }
}

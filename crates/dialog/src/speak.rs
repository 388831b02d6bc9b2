//! Speaking: prompts said from the catalog (rotating variants, prescriptive re-prompts),
//! questions asked and remembered for a repeat, news from sync, and the words every goal
//! uses for an order (its items, card, state, slots, dates and refund times).

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use voxorder_config::{Config, ShippingPolicy, TimeSlot};
use voxorder_domain::change::{Change, HandOffReason};
use voxorder_domain::intent::Intent;
use voxorder_domain::interpretation::Cue;
use voxorder_domain::order::{Order, OrderItem, OrderStatus, PaymentMethod, ShippingMethod};
use voxorder_domain::product_words as pw;
use voxorder_domain::records::{NoticeKind, NoticeScope, Product, SyncNotice};
use voxorder_domain::speech_text as st;

use crate::facts::Facts;
use crate::locale::Catalog;
use crate::session::{Ask, Said, YesNo};
use crate::{locale, notices, p, Engine};

impl Engine {
    /// "Any time", "no preference", "whichever", "doesn't matter": the choice is left to
    /// the agent.
    pub(crate) fn no_preference(&self, said: &Said<'_>) -> bool {
        self.phrases().any("no_preference", &said.words) && !said.has(Cue::Negated)
            || self.phrases().any("no_preference_negated", &said.words)
    }

    /// Whether policy takes the item back at all, whenever it is asked: final sale,
    /// personalised items and the categories never taken back are not (unless faulty).
    pub(crate) fn ever_returnable(&self, item: &OrderItem) -> bool {
        let policy = &self.config().policy.returns;
        !(item.final_sale && !policy.final_sale_returnable
            || item.personalised && !policy.personalised_returnable
            || policy.non_returnable_categories.contains(&item.category))
    }

    /// Says a prompt, rotating through its variants on each use.
    pub(crate) fn say(&mut self, key: &'static str, args: &[(&str, String)]) {
        let n = self.uses.entry(key).or_insert(0);
        let text = self.catalog.render(key, *n, false, args);
        *n += 1;
        if !text.is_empty() {
            self.out.push(capitalised(text));
        }
    }

    /// Says the short form of a prompt (a question asked again after an aside), or the
    /// prompt itself when it has none.
    pub(crate) fn say_short(&mut self, key: &'static str, args: &[(&str, String)]) {
        match self.catalog.render_short(key, args) {
            Some(text) if !text.is_empty() => self.out.push(capitalised(text)),
            _ => self.say(key, args),
        }
    }

    /// Says the prescriptive form of a prompt (after a miss).
    pub(crate) fn reprompt(&mut self, key: &'static str, args: &[(&str, String)]) {
        let text = self.catalog.render(key, self.s.misses as usize, true, args);
        if !text.is_empty() {
            self.out.push(capitalised(text));
        }
    }

    /// A prompt's text without saying it (to build a larger sentence).
    pub(crate) fn text(&self, key: &'static str, args: &[(&str, String)]) -> String {
        self.catalog.render(key, 0, false, args)
    }

    pub(crate) fn phrases(&self) -> &locale::Phrases {
        &self.catalog.phrases
    }

    pub(crate) fn today(&self) -> NaiveDate {
        self.now.date()
    }

    pub(crate) fn date_words(&self, d: NaiveDate) -> String {
        st::relative_date(d, self.today())
    }

    /// A date said in full even when it is near ("yesterday, Monday, March ninth"), for
    /// a date the caller may check against their own records.
    pub(crate) fn full_date_words(&self, d: NaiveDate) -> String {
        let near = st::relative_date(d, self.today());
        let full = st::date(d, self.today());
        // "Thursday" (or "Monday the second") and "Thursday, March fifth": the weekday
        // once.
        let weekday = |s: &str| s.split([' ', ',']).next().unwrap_or_default().to_string();
        if full.starts_with(&near) || weekday(&near) == weekday(&full) {
            full
        } else {
            format!("{near}, {full}")
        }
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn change(&mut self, change: Change) {
        self.s.done.push(change.kind().replace('_', " "));
        if !matches!(change, Change::Notify { .. }) {
            self.s.changed_at = Some(self.s.turns);
        }
        self.step.changes.push(change);
    }

    /// Asks a question of the current request.
    pub(crate) fn ask(&mut self, ask: Ask, key: &'static str, args: &[(&str, String)]) {
        self.say(key, args);
        self.ask = ask;
        self.ask_key = Some((
            key,
            args.iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        ));
    }

    pub(crate) fn anything_else(&mut self) {
        if !self.s.later.is_empty() {
            // A request said earlier is still to do: it is the "anything else".
            self.s.take_later = true;
            self.ask = Ask::Nothing;
            return;
        }
        if self.hand_off_put_off() {
            return;
        }
        self.say(p!("anything_else"), &[]);
        self.ask = Ask::YesNo(YesNo::AnythingElse);
        // A question asked before this one must not be asked again in its place.
        self.ask_key = Some((p!("anything_else"), Vec::new()));
    }

    /// Says that the caller is verified, then anything sync learned about the orders or
    /// the account just verified: a change the OMS refused is news they must not miss.
    pub(crate) fn say_verified(&mut self, facts: &dyn Facts, scopes: &[NoticeScope<'_>]) {
        self.say(p!("verified"), &[]);
        self.say_notices(facts, scopes);
    }

    /// Verified with an order number the caller has not heard read back (said together
    /// with the check): the number is said, so a mishearing shows before any detail.
    pub(crate) fn say_verified_order(&mut self, facts: &dyn Facts, number: &str) {
        // The number was checked against its factor: reading its thirteen digits back
        // again would only add seconds; the order is named by what it holds next.
        self.say(p!("verified_order"), &[]);
        self.say_notices(facts, &[NoticeScope::Order(number)]);
    }

    pub(crate) fn say_notices(&mut self, facts: &dyn Facts, scopes: &[NoticeScope<'_>]) {
        for scope in scopes {
            let news = self.notices(facts, *scope, false);
            self.out.extend(news);
        }
    }

    /// The sentences of the notices in `scope` not yet said in this conversation (only
    /// refused changes unless `news` also asks for delivery news); each is recorded in
    /// the step so the caller of the engine can mark it delivered.
    pub(crate) fn notices(
        &mut self,
        facts: &dyn Facts,
        scope: NoticeScope<'_>,
        news: bool,
    ) -> Vec<String> {
        // A store that cannot answer now loses nothing: the notices stay pending.
        let Ok(pending) = facts.pending_notices(scope) else {
            return Vec::new();
        };
        let pending: Vec<SyncNotice> = pending
            .into_iter()
            .filter(|n| !self.s.told.contains(&n.id) && (news || n.kind == NoticeKind::Rejected))
            .collect();
        let overtaken = notices::superseded(&pending);
        let mut said = Vec::new();
        for n in pending {
            if overtaken.contains(&n.id) {
                self.s.told.push(n.id);
                self.step.notices.push(n.id);
                continue;
            }
            let order = n
                .order_number
                .as_deref()
                .and_then(|num| facts.order(num).ok().flatten());
            if let Some(text) = notices::sentence(&self.catalog, &n, order.as_ref()) {
                said.push(capitalised(text));
            }
            self.s.told.push(n.id);
            self.step.notices.push(n.id);
        }
        said
    }
}

/// A sentence starts with a capital, whatever a placeholder put first ("yesterday ...").
pub(crate) fn capitalised(text: String) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) if c.is_lowercase() => c.to_uppercase().chain(chars).collect(),
        _ => text,
    }
}

/// The first name of a full name, to greet by.
pub(crate) fn first_name(name: &str) -> String {
    name.split_whitespace()
        .next()
        .unwrap_or("there")
        .to_string()
}

/// The order of the current request, read fresh; says why when it cannot be read.
pub(crate) fn load(e: &mut Engine, facts: &dyn Facts) -> Option<Order> {
    let number = e.task_ref()?.order.clone()?;
    match facts.order(&number) {
        Ok(Some(o)) => Some(o),
        Ok(None) => {
            e.say(p!("order_gone"), &[]);
            e.drop_task();
            None
        }
        Err(err) => {
            e.store_trouble(&err);
            None
        }
    }
}

/// An order's lines as said, sizes left out: "the soy candle", "two navy classic tees
/// and a soy candle", "two navy classic tees, a soy candle and one more item".
pub(crate) fn items_phrase(c: &Catalog, order: &Order) -> String {
    match order.items.as_slice() {
        [] => c.render(p!("items_yours"), 0, false, &[]),
        [only] => item_words_brief(c, &only.name, only.qty),
        lines => {
            let named: Vec<String> = lines
                .iter()
                .take(2)
                .map(|i| pw::product_phrase_indefinite(&i.name, i.qty, false))
                .collect();
            if lines.len() == 2 {
                st::list_and(&named)
            } else {
                more_items(c, named.join(", "), lines.len() - 1)
            }
        }
    }
}

/// One item as said, with its colour and size: "the navy classic tee, size medium", or
/// "two navy classic tees, size medium" when more than one.
pub(crate) fn item_words(c: &Catalog, name: &str, qty: u32) -> String {
    item_words_sized(c, name, qty, true)
}

/// [`item_words`] without the size, for lists where it only lengthens the sentence.
pub(crate) fn item_words_brief(c: &Catalog, name: &str, qty: u32) -> String {
    item_words_sized(c, name, qty, false)
}

fn item_words_sized(c: &Catalog, name: &str, qty: u32, with_size: bool) -> String {
    let words = pw::ProductWords::parse(name);
    if qty > 1 && words.is_plural_noun() {
        // "Two packs of coffee beans", not "two coffee beans".
        pw::counted_sized(name, qty, with_size)
    } else if qty > 1 {
        c.render(
            p!("item_count"),
            0,
            false,
            &[
                ("count", st::number_words(u64::from(qty))),
                ("name", words.plural(with_size)),
            ],
        )
    } else {
        c.render(
            p!("item_the"),
            0,
            false,
            &[("name", words.singular(with_size))],
        )
    }
}

/// "{items} and one more item" / "{items} and three more items" for a list of `count`
/// of which `items` was said.
pub(crate) fn more_items(c: &Catalog, items: String, count: usize) -> String {
    match count {
        0 | 1 => items,
        2 => c.render(p!("items_and_one_more"), 0, false, &[("items", items)]),
        n => c.render(
            p!("items_and_more"),
            0,
            false,
            &[("items", items), ("count", st::number_words(n as u64 - 1))],
        ),
    }
}

pub(crate) fn slot_words(e: &Engine, slot: TimeSlot) -> String {
    match slot {
        TimeSlot::Morning => e.text(p!("slot_morning"), &[]),
        TimeSlot::Afternoon => e.text(p!("slot_afternoon"), &[]),
        TimeSlot::Evening => e.text(p!("slot_evening"), &[]),
    }
}

/// The prompt that says an order's state as the end of "it's …" ("already shipped").
pub(crate) fn state_key(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::PendingConfirmation => p!("state_pending_confirmation"),
        OrderStatus::Processing => p!("state_processing"),
        OrderStatus::Shipped => p!("state_shipped"),
        OrderStatus::OutForDelivery => p!("state_out_for_delivery"),
        OrderStatus::Delivered => p!("state_delivered"),
        OrderStatus::Delayed => p!("state_delayed"),
        OrderStatus::Cancelled => p!("state_cancelled"),
        OrderStatus::Returned => p!("state_returned"),
    }
}

/// The latest delivery date the shipping method promised at checkout.
pub(crate) fn promised_by(order: &Order, shipping: &ShippingPolicy) -> NaiveDate {
    let days = match order.shipping_method {
        ShippingMethod::Standard => shipping.standard_business_days[1],
        ShippingMethod::Express => shipping.express_business_days[1],
        ShippingMethod::NextDay => 1,
        ShippingMethod::International => shipping.international_business_days[1],
    };
    add_business_days(order.order_date, days)
}

impl Engine {
    /// How many days past its promise a delayed order is, counted to its new estimate.
    fn days_late(&self, order: &Order) -> i64 {
        let late_until = order
            .estimated_delivery
            .unwrap_or(self.today())
            .max(self.today());
        (late_until - promised_by(order, &self.config().policy.shipping)).num_days()
    }

    /// A delayed order past the policy's limit is for the team, whatever was asked of it
    /// ("I just want a refund", "cancel it"): the team is offered, after what was said.
    /// True when offered; nothing is said otherwise.
    pub(crate) fn offer_team_when_very_late(&mut self, order: &Order) -> bool {
        let limit = i64::from(self.config().policy.orders.delay_handoff_days);
        if order.status != OrderStatus::Delayed || self.days_late(order) <= limit {
            return false;
        }
        // "Cancel it and refund me": the team is offered for the refund asked for, not
        // to chase a parcel the caller no longer wants.
        let wants_refund = self
            .task_ref()
            .is_some_and(|t| self.phrases().any("refund", &t.words));
        self.end_task();
        let key = if wants_refund {
            p!("offer_delay_handoff_refund")
        } else {
            p!("offer_delay_handoff")
        };
        self.say(key, &[]);
        self.offer_human(HandOffReason::LongDelay);
        true
    }
}

/// Adds business days (Monday to Friday) to a date.
pub(crate) fn add_business_days(mut d: NaiveDate, days: u32) -> NaiveDate {
    let mut left = days;
    while left > 0 {
        d += Duration::days(1);
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    d
}

/// "five to seven": the business days a refund takes, from the return policy.
pub(crate) fn refund_days(e: &Engine) -> String {
    let policy = &e.config().policy.returns;
    format!(
        "{} to {}",
        st::number_words(u64::from(policy.refund_business_days_min)),
        st::number_words(u64::from(policy.refund_business_days_max))
    )
}

/// "your Visa ending in 4 2 4 2": the card an order was paid with. Its last four are a
/// piece of the customer's card, said only where the street and tracking number may be
/// read (`private_details_may_be_read`: proved beyond a zip, which anyone near the
/// customer can guess; never to a guest or someone acting for another; on the shop's
/// own call not for "yeah, that's me" alone); others hear the brand alone.
pub(crate) fn card_words(e: &Engine, facts: &dyn Facts, order: &Order) -> String {
    let c = &e.catalog;
    let last4 =
        order.payment.last4.as_ref().filter(|_| {
            crate::identity::private_details_may_be_read(e, &order.order_number, facts)
        });
    match (&order.payment.brand, last4) {
        (Some(b), None) => st::card(b, ""),
        (Some(b), Some(l)) => st::card(b, l),
        (None, Some(l)) => st::card(&c.render(p!("card_unbranded"), 0, false, &[]), l),
        _ => c.render(p!("card_original"), 0, false, &[]),
    }
}

/// "every two weeks", "every month".
pub(crate) fn every(c: &Catalog, days: u32) -> String {
    let n = |k: u32| ("count", st::number_words(u64::from(k)));
    match days {
        1 => c.render(p!("every_day"), 0, false, &[]),
        7 => c.render(p!("every_week"), 0, false, &[]),
        30 | 31 => c.render(p!("every_month"), 0, false, &[]),
        d if d % 30 == 0 => c.render(p!("every_months"), 0, false, &[n(d / 30)]),
        d if d % 7 == 0 => c.render(p!("every_weeks"), 0, false, &[n(d / 7)]),
        d => c.render(p!("every_days"), 0, false, &[n(d)]),
    }
}

/// Checks a requested delivery date; says why when it cannot be used.
pub(crate) fn date_ok(e: &mut Engine, date: NaiveDate) -> bool {
    let today = e.today();
    let max = e.config().policy.orders.reschedule_max_days_ahead;
    if date <= today {
        e.say(p!("date_past"), &[("date", e.date_words(date))]);
        false
    } else if date > today + Duration::days(i64::from(max)) {
        e.say(
            p!("date_too_far"),
            &[
                ("date", e.date_words(date)),
                ("days", st::number_words(u64::from(max))),
            ],
        );
        false
    } else {
        true
    }
}

/// Says where the latest return of an order stands, refund included.
pub(crate) fn say_return_state(e: &mut Engine, order: &Order, facts: &dyn Facts) {
    let Ok(returns) = facts.returns_of(&order.order_number) else {
        return;
    };
    let Some(r) = returns.iter().max_by_key(|r| r.created_at) else {
        // Returned before this device kept returns (an imported history): the refund's
        // state is not known here, so the caller hears where refunds go and how long
        // they take, not a guess, and not "I don't see a return".
        if order.status == OrderStatus::Returned {
            match order.payment.method {
                PaymentMethod::Card => e.say(
                    p!("return_state_unrecorded"),
                    &[
                        ("card", card_words(e, facts, order)),
                        ("days", refund_days(e)),
                    ],
                ),
                PaymentMethod::Cod => e.say(p!("return_state_unrecorded_cod"), &[]),
            }
        }
        return;
    };
    let policy = &e.config().policy.returns;
    let method = match r.refund_method.as_deref() {
        Some("store_credit") => e.text(p!("refund_method_credit"), &[]),
        Some("bank_transfer") => e.text(p!("refund_method_bank"), &[]),
        _ => e.text(
            p!("refund_method_original"),
            &[("card", card_words(e, facts, order))],
        ),
    };
    let amount = r.refund_cents.map(st::price_cents).unwrap_or_default();
    let days = refund_days(e);
    let args = [
        ("id", st::characters_grouped(&r.id)),
        ("created", e.date_words(r.created_at.date())),
        ("amount", amount),
        ("method", method),
        ("days", days),
        (
            "refunded",
            r.refunded_at
                .map(|t| e.date_words(t.date()))
                .unwrap_or_default(),
        ),
        (
            "pickup",
            r.pickup_date.map(|d| e.date_words(d)).unwrap_or_default(),
        ),
        (
            "ship_days",
            st::number_words(u64::from(policy.ship_back_days)),
        ),
    ];
    let key = match (r.status.as_str(), r.resolution.as_str()) {
        ("refunded", _) => p!("return_state_refunded"),
        ("received", _) => p!("return_state_received"),
        ("in_transit", _) => p!("return_state_in_transit"),
        ("pickup_scheduled", _) => p!("return_state_pickup"),
        ("label_sent", _) => p!("return_state_label_sent"),
        ("rejected", _) => p!("return_state_rejected"),
        (_, "replacement") => p!("return_state_replacement"),
        _ => p!("return_state_requested"),
    };
    e.say(key, &args);
}

/// The days an order's items can be returned in, said as words: the shortest window of
/// its returnable items ("fifteen" for an order holding a power bank), so no item is
/// promised longer than its own window.
pub(crate) fn return_window_words(config: &Config, order: &Order) -> String {
    let returns = &config.policy.returns;
    let days = order
        .items
        .iter()
        .filter(|i| !returns.non_returnable_categories.contains(&i.category))
        .map(|i| item_window_days(config, i))
        .min()
        .unwrap_or(returns.window_days);
    st::number_words(u64::from(days))
}

/// The days one item can be returned in: its category's window, else the shop's.
pub(crate) fn item_window_days(config: &Config, item: &OrderItem) -> u32 {
    let returns = &config.policy.returns;
    returns
        .category_window_days
        .get(&item.category)
        .copied()
        .unwrap_or(returns.window_days)
}

/// Whether the order has left the warehouse, so a card on it has been charged.
pub(crate) fn has_shipped(order: &Order) -> bool {
    order.shipped_at.is_some() || order.status.has_shipped()
}

/// The size and the colour the words name among a family's variants ("a large", "in
/// white"): sizes as people say them (the catalog's `sizes` table) or as the catalog
/// writes them, colours as the catalog writes them.
pub(crate) fn spoken_size_and_colour(
    e: &Engine,
    words: &[String],
    variants: &[Product],
) -> (Option<String>, Option<String>) {
    let joined = format!(" {} ", words.join(" "));
    let sizes = e.phrases().table("sizes");
    let size: Option<String> = {
        let mut hits: Vec<(&String, &String)> = sizes
            .map(|t| {
                t.iter()
                    .filter(|(k, _)| joined.contains(&format!(" {k} ")))
                    // "A teal yoga mat and a medium tee": a size no variant of this
                    // family has is another product's.
                    .filter(|(_, v)| {
                        variants
                            .iter()
                            .any(|p| p.size.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(v)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        hits.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
        hits.first().map(|(_, v)| (*v).clone()).or_else(|| {
            // "You said 7 to 12, so is 9 in stock? ok then white in size 9": a size
            // named as one ("size 9") over a number said in passing, else the last said.
            variants
                .iter()
                .filter_map(|v| v.size.clone())
                .filter_map(|s| {
                    let said = format!(" {} ", s.to_lowercase());
                    let at = joined.match_indices(&said).map(|(at, _)| at).last()?;
                    let named = joined.match_indices(&said).any(|(at, _)| {
                        joined[..at].ends_with(" size") || joined[..at].ends_with(" a size")
                    });
                    Some((named, at, s))
                })
                .max_by_key(|(named, at, _)| (*named, *at))
                .map(|(_, _, s)| s)
                .or_else(|| {
                    // A measure said in words: "one metre" for "1M", "a kilo" for "1KG".
                    variants.iter().filter_map(|v| v.size.clone()).find(|s| {
                        pw::measure_forms(s)
                            .iter()
                            .any(|f| joined.contains(&format!(" {f} ")))
                    })
                })
                .or_else(|| {
                    // A number size said in words: "a hundred dollar", "two fifties".
                    let mut numbers: Vec<(String, String)> = variants
                        .iter()
                        .filter_map(|v| v.size.clone())
                        .filter_map(|s| {
                            let n: u64 = s.parse().ok()?;
                            Some((st::number_words(n).replace('-', " "), s))
                        })
                        .collect();
                    numbers.sort_by_key(|(w, _)| std::cmp::Reverse(w.len()));
                    numbers
                        .into_iter()
                        .find(|(w, _)| said_as_number(&joined, w))
                        .map(|(_, s)| s)
                })
        })
    };
    let colour: Option<String> = variants
        .iter()
        .filter_map(|v| v.color.clone())
        // "White maybe? or navy. navy.": the colour said last is the one meant, unless
        // set aside ("the white one instead of the navy"); of two ending in the same
        // place ("forest green", "green") the longer.
        .filter_map(|c| {
            let said = format!(" {} ", c.to_lowercase());
            joined
                .match_indices(&said)
                .map(|(at, _)| at)
                .filter(|&at| {
                    let before = joined[..at].trim_end();
                    ![
                        "instead of",
                        "instead of the",
                        "not",
                        "not the",
                        "rather than",
                        "than the",
                    ]
                    .iter()
                    .any(|aside| before.ends_with(&format!(" {aside}")))
                })
                .last()
                .map(|at| (at + said.len(), c.len(), c))
        })
        .max_by_key(|&(end, len, _)| (end, len))
        .map(|(_, _, c)| c)
        .or_else(|| {
            // "Green" for the only green there is ("Forest Green").
            let mut partial: Vec<String> = variants
                .iter()
                .filter_map(|v| v.color.clone())
                .filter(|c| {
                    c.split_whitespace()
                        .last()
                        .is_some_and(|w| joined.contains(&format!(" {} ", w.to_lowercase())))
                })
                .collect();
            partial.sort();
            partial.dedup();
            (partial.len() == 1).then(|| partial.remove(0))
        });
    (size, colour)
}

/// Choices read out as a person lists them: at most three, then "or something else"
/// ("black, navy, olive, or something else").
/// Whether `words` (a number in words, "one hundred") is in `joined` as said: as
/// written, with "a" for "one" ("a hundred"), or in the plural ("two fifties").
fn said_as_number(joined: &str, words: &str) -> bool {
    let plural = match words.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{words}s"),
    };
    let mut forms = vec![words.to_string(), plural];
    if let Some(rest) = words.strip_prefix("one ") {
        forms.push(format!("a {rest}"));
    }
    forms.iter().any(|f| joined.contains(&format!(" {f} ")))
}

pub(crate) fn few_options(e: &Engine, list: &[String]) -> String {
    if list.len() > 3 {
        let more = e.text(p!("or_something_else"), &[]);
        format!("{}, {more}", list[..3].join(", "))
    } else {
        st::list_or(list)
    }
}

/// Sizes as said, smallest first; more than three as a span ("small to extra large").
pub(crate) fn size_span(sizes: &[String]) -> String {
    // Letter sizes by their rank, number sizes by their value ("8 to 11", not "10 to 9").
    let value = |s: &str| s.parse::<f64>().unwrap_or(f64::MAX);
    let mut said: Vec<(usize, f64, String)> = sizes
        .iter()
        .map(|s| (pw::size_rank(s), value(s), pw::size_words(s)))
        .collect();
    said.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    said.dedup_by(|a, b| a.2 == b.2);
    let said: Vec<(usize, String)> = said.into_iter().map(|(r, _, w)| (r, w)).collect();
    match said.as_slice() {
        [first, .., last] if said.len() > 3 => format!("{} to {}", first.1, last.1),
        _ => st::list_and(&said.into_iter().map(|(_, s)| s).collect::<Vec<_>>()),
    }
}

/// Sizes smallest first: letter sizes by rank, number sizes by value ("25, 50 or 200").
pub(crate) fn by_size(mut sizes: Vec<String>) -> Vec<String> {
    let value = |s: &str| s.parse::<f64>().unwrap_or(f64::MAX);
    sizes.sort_by(|a, b| {
        (pw::size_rank(a), value(a))
            .partial_cmp(&(pw::size_rank(b), value(b)))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    sizes
}

/// The values `value` gives for `variants`, each once, in the order first met.
pub(crate) fn distinct<'a>(
    variants: impl IntoIterator<Item = &'a Product>,
    value: impl Fn(&Product) -> Option<String>,
) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for x in variants.into_iter().filter_map(value) {
        if !seen.contains(&x) {
            seen.push(x);
        }
    }
    seen
}

/// The prompt naming a request in "first …, then …" ("the cancellation", "your
/// question"); None for what is no request of its own.
pub(crate) fn request_name(intent: Intent) -> Option<&'static str> {
    use Intent::*;
    Some(match intent {
        GetOrderStatus | TrackPackage => p!("request_status"),
        CancelOrder => p!("request_cancel"),
        ReturnItem => p!("request_return"),
        ExchangeItem => p!("request_exchange"),
        ReportProblem => p!("request_problem"),
        RescheduleDelivery => p!("request_reschedule"),
        ChangeAddress => p!("request_address"),
        PlaceOrder => p!("request_place"),
        Reorder => p!("request_reorder"),
        ManageSubscription => p!("request_subscription"),
        CheckReturnStatus => p!("request_return_status"),
        PolicyQuestion => p!("request_question"),
        _ => return None,
    })
}

/// "Just the skillet", "not the belt", "the jeans only": which of several lines, each
/// given by the words of its name, the words keep. A line is named by a word of its name
/// that no other line shares; those named after "just" or "only" are all that is kept,
/// else those named after "not" or one of `drop_cues` are left out. None when the words
/// keep every line or none.
pub(crate) fn lines_kept(
    names: &[Vec<String>],
    words: &[String],
    drop_cues: &[&str],
) -> Option<Vec<usize>> {
    let own = |i: usize| -> Vec<&String> {
        names[i]
            .iter()
            .filter(|w| {
                w.len() > 2
                    && !names
                        .iter()
                        .enumerate()
                        .any(|(j, n)| j != i && n.iter().any(|o| pw::same_noun(o, w)))
            })
            .collect()
    };
    let before = |at: usize, cues: &[&str]| {
        (at.saturating_sub(3)..at).any(|k| cues.contains(&words[k].as_str()))
    };
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for i in 0..names.len() {
        let own = own(i);
        for (at, w) in words.iter().enumerate() {
            if !own.iter().any(|o| pw::same_noun(o, w)) {
                continue;
            }
            // "Just the skillet", or "the skillet only".
            if before(at, &["just", "only"]) || words.get(at + 1).is_some_and(|n| n == "only") {
                kept.push(i);
            } else if before(at, &["not", "without", "minus", "no"]) || before(at, drop_cues) {
                dropped.push(i);
            }
        }
    }
    let keep: Vec<usize> = if !kept.is_empty() {
        (0..names.len()).filter(|i| kept.contains(i)).collect()
    } else {
        (0..names.len()).filter(|i| !dropped.contains(i)).collect()
    };
    (!keep.is_empty() && keep.len() < names.len()).then_some(keep)
}

/// Why an item can never come back for a change of mind, as said ("the mug was made
/// just for you"): final sale, made to order, or of a category the shop takes no
/// returns of. None when it can, within its window.
pub(crate) fn never_returnable_why(e: &Engine, item: &OrderItem) -> Option<String> {
    let policy = &e.config().policy.returns;
    let key = if item.final_sale && !policy.final_sale_returnable {
        p!("why_final_sale")
    } else if item.personalised && !policy.personalised_returnable {
        p!("why_personalised")
    } else if policy.non_returnable_categories.contains(&item.category) {
        p!("why_not_returnable")
    } else {
        return None;
    };
    Some(e.text(key, &[("item", pw::product_name_brief(&item.name))]))
}

/// Why the line a request on an order still to come is about (the product the request
/// named, or the only item) can never be returned; None when it can or none is known.
pub(crate) fn never_returnable_line(
    e: &Engine,
    order: &Order,
    facts: &dyn Facts,
) -> Option<String> {
    let named = e.task_ref().and_then(|t| t.heard.product.clone());
    line_asked_of(order, named.as_deref(), facts).and_then(|line| never_returnable_why(e, line))
}

/// The line of the order a return is asked of: the product named, or the only item.
pub(crate) fn line_asked_of<'o>(
    order: &'o Order,
    named: Option<&str>,
    facts: &dyn Facts,
) -> Option<&'o OrderItem> {
    match named {
        Some(sku) => crate::identity::line_of(order, sku, facts)
            .and_then(|s| order.items.iter().find(|it| it.sku == s)),
        None if order.items.len() == 1 => order.items.first(),
        None => None,
    }
}

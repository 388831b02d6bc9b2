//! One request in progress: the parts every request has (its order, the words that
//! started it, whether the read-back was confirmed, a request paused behind it) and
//! one variant per goal holding only what that goal collects, so no goal reads or
//! writes another goal's answers.

use chrono::NaiveDate;

use voxorder_config::{RefundMethod, TimeSlot};
use voxorder_domain::change::{Pickup, Resolution};
use voxorder_domain::interpretation::{Cue, SpokenAddress};
use voxorder_domain::order::{Payment, PaymentMethod, ShippingMethod};
use voxorder_domain::vocab::{CancelReason, Entities, Intent, ProductWanted, ReturnReason};

use crate::locale::Phrases;
use crate::p;

/// What the caller wants done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Goal {
    Status,
    Track,
    Cancel,
    Return,
    Exchange,
    Problem,
    Reschedule,
    ChangeAddress,
    Confirm,
    ReturnStatus,
    Place,
    Reorder,
    Subscription,
}

impl Goal {
    pub(crate) fn from_intent(intent: Intent) -> Option<Goal> {
        Some(match intent {
            Intent::GetOrderStatus => Goal::Status,
            Intent::TrackPackage => Goal::Track,
            Intent::CancelOrder => Goal::Cancel,
            Intent::ReturnItem => Goal::Return,
            Intent::ExchangeItem => Goal::Exchange,
            Intent::ReportProblem => Goal::Problem,
            Intent::RescheduleDelivery => Goal::Reschedule,
            Intent::ChangeAddress => Goal::ChangeAddress,
            Intent::ConfirmOrder => Goal::Confirm,
            Intent::CheckReturnStatus => Goal::ReturnStatus,
            Intent::PlaceOrder => Goal::Place,
            Intent::Reorder => Goal::Reorder,
            Intent::ManageSubscription => Goal::Subscription,
            _ => return None,
        })
    }

    /// The intent that asks for the goal.
    pub(crate) fn intent(self) -> Intent {
        match self {
            Goal::Status => Intent::GetOrderStatus,
            Goal::Track => Intent::TrackPackage,
            Goal::Cancel => Intent::CancelOrder,
            Goal::Return => Intent::ReturnItem,
            Goal::Exchange => Intent::ExchangeItem,
            Goal::Problem => Intent::ReportProblem,
            Goal::Reschedule => Intent::RescheduleDelivery,
            Goal::ChangeAddress => Intent::ChangeAddress,
            Goal::Confirm => Intent::ConfirmOrder,
            Goal::ReturnStatus => Intent::CheckReturnStatus,
            Goal::Place => Intent::PlaceOrder,
            Goal::Reorder => Intent::Reorder,
            Goal::Subscription => Intent::ManageSubscription,
        }
    }

    /// Whether the goal is about one existing order (and so needs a verified caller).
    pub(crate) fn needs_order(self) -> bool {
        !matches!(self, Goal::Place | Goal::Reorder | Goal::Subscription)
    }

    /// Whether the goal only says where an order is, changing nothing: a follow-up
    /// question of this kind ("and when will it get here?") is about the order just
    /// discussed. A return's status is not included: callers ask it about other orders.
    pub(crate) fn about_the_order_in_focus(self) -> bool {
        matches!(self, Goal::Status | Goal::Track)
    }

    /// Whether the goal changes an order or pays out on it: only the person who placed
    /// the order may ask it, not someone acting for them.
    pub(crate) fn acts_on_the_order(self) -> bool {
        matches!(
            self,
            Goal::Cancel
                | Goal::ChangeAddress
                | Goal::Reschedule
                | Goal::Return
                | Goal::Exchange
                | Goal::Problem
        )
    }

    /// A request after delivery: a return, an exchange, a problem or a return's state.
    pub(crate) fn after_sales(self) -> bool {
        matches!(
            self,
            Goal::Return | Goal::Exchange | Goal::Problem | Goal::ReturnStatus
        )
    }

    /// How the goal is named in a sentence ("for your {goal} request").
    pub(crate) fn label_key(self) -> &'static str {
        match self {
            Goal::Status => p!("goal_status"),
            Goal::Track => p!("goal_track"),
            Goal::Cancel => p!("goal_cancel"),
            Goal::Return => p!("goal_return"),
            Goal::Exchange => p!("goal_exchange"),
            Goal::Problem => p!("goal_problem"),
            Goal::Reschedule => p!("goal_reschedule"),
            Goal::ChangeAddress => p!("goal_address"),
            Goal::Confirm => p!("goal_confirm"),
            Goal::ReturnStatus => p!("goal_return_status"),
            Goal::Place => p!("goal_place"),
            Goal::Reorder => p!("goal_reorder"),
            Goal::Subscription => p!("goal_subscription"),
        }
    }
}

/// A problem with a delivered order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Problem {
    Damaged,
    Defective,
    WrongItem,
    NotAsDescribed,
    NotReceived,
    MissingItem,
}

/// What a subscription request wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubAction {
    /// "What subscriptions do I have?": read out, nothing changed.
    List,
    Create,
    Pause,
    Resume,
    Skip,
    ChangeFrequency,
    ChangeQuantity,
    Cancel,
    /// "Move the next delivery to Friday": a subscription's deliveries follow its
    /// schedule; what can be done instead is said.
    MoveDelivery,
    /// "When's my next coffee delivery?": the subscription's next date, nothing changed.
    NextDelivery,
}

/// A new shipping address, as collected.
#[derive(Debug, Clone, Default)]
pub(crate) struct AddressDraft {
    pub line1: Option<String>,
    pub city: Option<String>,
    /// The state's postal code, when the caller said it with the city.
    pub state: Option<String>,
    pub zip: Option<String>,
}

/// A cancellation.
#[derive(Debug, Clone, Default)]
pub(crate) struct CancelReq {
    pub cancel_reason: Option<CancelReason>,
    /// The caller named one item of a larger order and agreed to cancel the whole order
    /// (an order is cancelled whole, never an item of it).
    pub whole_order_agreed: bool,
}

/// A return, an exchange or a problem: what goes back (or is replaced), why, and how.
/// The three share it because one becomes another as the caller explains ("it's
/// broken" turns a return into a problem; nothing in stock turns an exchange into a
/// return).
#[derive(Debug, Clone, Default)]
pub(crate) struct AfterSale {
    /// Chosen order lines (1-based) and quantities.
    pub lines: Vec<(u32, u32)>,
    pub return_reason: Option<ReturnReason>,
    pub refund_method: Option<RefundMethod>,
    /// `Some(true)`: courier pickup; `Some(false)`: prepaid label.
    pub pickup: Option<bool>,
    /// The pickup's day and slot.
    pub date: Option<NaiveDate>,
    pub slot: Option<TimeSlot>,
    /// A product named ("the headphones"), to find the line or the variant wanted.
    pub product: Option<String>,
    /// How many of the item named.
    pub quantity: Option<u32>,
    pub exchange_sku: Option<String>,
    pub problem: Option<Problem>,
    pub resolution: Option<Resolution>,
    /// The resolution was heard in the caller's telling, not chosen at the question: it
    /// is read back for a yes before it is done.
    pub resolution_unconfirmed: bool,
    /// Another address was said for a replacement ("send it to my new place, 22 Oak
    /// Street"): a replacement goes only where the order went, and the caller hears so
    /// before anything is sent.
    pub replacement_elsewhere: bool,
    /// The caller said whether a "wrong colour" or "wrong size" was sent by mistake.
    pub sent_wrong_checked: bool,
    /// A defect was said in words ("it stopped working", "the seam came apart"), whatever
    /// reason was read from them: covered at any time, as damage is.
    pub fault: bool,
    /// Several items were named with a reason that is no fault ("the hoodie's too big"),
    /// and which of them is faulty was asked.
    pub faulty_one_asked: bool,
}

impl AfterSale {
    /// The courier pickup asked for, once its day and part of the day are known.
    pub(crate) fn booked_pickup(&self) -> Option<Pickup> {
        match (self.pickup, self.date, self.slot) {
            (Some(true), Some(date), Some(slot)) => Some(Pickup { date, slot }),
            _ => None,
        }
    }
}

/// A new delivery day and slot.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reschedule {
    pub date: Option<NaiveDate>,
    pub slot: Option<TimeSlot>,
    /// Any time of the day suits ("whenever", "doesn't matter"): no slot is booked.
    pub any_slot: bool,
}

/// An order confirmation call.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConfirmReq {
    /// The order was read out to the caller.
    pub read_out: bool,
    /// An outbound call: whoever answered has to say they are the customer before
    /// anything about the order is said.
    pub outbound: bool,
    /// The customer said it is them.
    pub who_checked: bool,
    /// Times whoever answered asked about the order without saying who they are.
    pub dodged: u8,
}

/// Placing an order or repeating one.
#[derive(Debug, Clone, Default)]
pub(crate) struct Purchase {
    pub product: Option<String>,
    pub quantity: Option<u32>,
    /// Items to order: SKU and quantity.
    pub cart: Vec<(String, u32)>,
    /// Words said in answer to which size or colour, with the opening words.
    pub variant_words: Vec<String>,
    /// Sizes and colours the caller was told are out of stock (lower case): the opening
    /// words that named one no longer choose it.
    pub out_of_stock: Vec<String>,
    /// The variant is the one the caller named (no size or colour left unsaid).
    pub variant_checked: bool,
    /// How fast it ships, when the caller chose ("with express, please").
    pub speed: Option<ShippingMethod>,
    /// When the order read back would arrive, for "so it'll be here tomorrow?".
    pub arrives: Option<NaiveDate>,
    /// How it is paid, when the caller chose: cash on delivery or a card used before.
    pub pay: Option<PaymentMethod>,
    /// The order a repeat copies: its payment is the one used again.
    pub repeats: Option<String>,
    /// The caller asked for it to go somewhere else than the address on file.
    pub elsewhere_asked: bool,
    /// They were told where a new order goes.
    pub elsewhere_told: bool,
    /// Further products named with the first ("a keyboard and a power bank"), each
    /// settled (its variant, its count) after the one before joined the cart.
    pub more: Vec<ProductWanted>,
    /// `product` is one of `more`, being settled while the cart holds others.
    pub settling: bool,
    /// A saved card the caller named ("my Visa ending 6334"), not yet looked up.
    pub card_asked: Option<CardAsked>,
    /// The saved card the caller chose by name.
    pub card: Option<Payment>,
    /// The card the order was last read back with.
    pub read_card: Option<Payment>,
}

/// A card as the caller names it: its brand, its last four digits, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CardAsked {
    pub brand: Option<String>,
    pub last4: Option<String>,
}

impl CardAsked {
    /// The brand (by the locale's `card_brands` table) and last four digits said in
    /// the words: four digits said together, or one by one after "ending" or "ends".
    pub(crate) fn from_words(phrases: &Phrases, words: &[String]) -> Option<CardAsked> {
        // "Not the Amex, my Visa": of several brands, the last one not set aside.
        let set_aside = |at: usize| phrases.any("set_aside", &words[at.saturating_sub(2)..at]);
        let brand = phrases.table("card_brands").and_then(|table| {
            (0..words.len()).rev().find_map(|i| {
                let two = words.get(i + 1).map(|w| format!("{} {w}", words[i]));
                two.and_then(|t| table.get(&t))
                    .or_else(|| table.get(&words[i]))
                    .filter(|_| !set_aside(i))
                    .cloned()
            })
        });
        let last4 = words
            .iter()
            .find(|w| w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit()))
            .cloned()
            .or_else(|| {
                let at = words
                    .iter()
                    .position(|w| matches!(w.as_str(), "ending" | "ends" | "ended"))?;
                let digits: String = words[at + 1..]
                    .iter()
                    .skip_while(|w| *w == "in" || *w == "with")
                    .take_while(|w| w.len() == 1 && w.bytes().all(|b| b.is_ascii_digit()))
                    .map(String::as_str)
                    .collect();
                (digits.len() == 4).then_some(digits)
            });
        (brand.is_some() || last4.is_some()).then_some(CardAsked { brand, last4 })
    }

    /// The saved card this names: by brand, and by its digits only where the caller may
    /// hear a card's digits (otherwise a guess of them is neither confirmed nor denied).
    /// Whether this names the card (by its brand, and by its digits when said).
    pub(crate) fn names(&self, card: &Payment) -> bool {
        let brand_fits = self.brand.as_ref().is_none_or(|b| {
            card.brand
                .as_deref()
                .is_some_and(|cb| cb.eq_ignore_ascii_case(b))
        });
        brand_fits
            && self
                .last4
                .as_ref()
                .is_none_or(|l| card.last4.as_ref() == Some(l))
    }

    /// The most recent of several that fit; None when no saved card fits.
    pub(crate) fn pick(&self, cards: &[Payment], digits: bool) -> Option<Payment> {
        let last4 = self.last4.as_ref().filter(|_| digits);
        if self.brand.is_none() && last4.is_none() {
            return None;
        }
        let asked = CardAsked {
            brand: self.brand.clone(),
            last4: last4.cloned(),
        };
        cards.iter().find(|c| asked.names(c)).cloned()
    }
}

/// A subscription started or changed.
#[derive(Debug, Clone, Default)]
pub(crate) struct SubscriptionReq {
    pub sub_action: Option<SubAction>,
    pub subscription: Option<i64>,
    pub product: Option<String>,
    pub quantity: Option<u32>,
    pub frequency: Option<u32>,
}

/// What one goal has collected.
#[derive(Debug, Clone)]
pub(crate) enum Request {
    Status,
    Track,
    ReturnStatus,
    Cancel(CancelReq),
    Return(AfterSale),
    Exchange(AfterSale),
    Problem(AfterSale),
    Reschedule(Reschedule),
    ChangeAddress(AddressDraft),
    Confirm(ConfirmReq),
    Place(Purchase),
    Reorder(Purchase),
    Subscription(SubscriptionReq),
}

impl Request {
    /// A request for `goal` with what the entities already say of it.
    pub(crate) fn new(goal: Goal, ent: &Entities) -> Request {
        let after_sale = || AfterSale {
            return_reason: ent.return_reason,
            refund_method: ent.refund_method,
            date: ent.date,
            slot: ent.time_slot,
            product: ent.product.clone(),
            quantity: ent.quantity,
            ..AfterSale::default()
        };
        let purchase = || Purchase {
            product: ent.product.clone(),
            quantity: ent.quantity,
            ..Purchase::default()
        };
        match goal {
            Goal::Status => Request::Status,
            Goal::Track => Request::Track,
            Goal::ReturnStatus => Request::ReturnStatus,
            Goal::Cancel => Request::Cancel(CancelReq {
                cancel_reason: ent.cancel_reason,
                whole_order_agreed: false,
            }),
            Goal::Return => Request::Return(after_sale()),
            Goal::Exchange => Request::Exchange(after_sale()),
            Goal::Problem => Request::Problem(after_sale()),
            Goal::Reschedule => Request::Reschedule(Reschedule {
                date: ent.date,
                slot: ent.time_slot,
                any_slot: false,
            }),
            // A zip said with the request is the billing zip that proves who the caller
            // is; the new address's zip comes with its street, or is asked.
            Goal::ChangeAddress => Request::ChangeAddress(AddressDraft::default()),
            Goal::Confirm => Request::Confirm(ConfirmReq::default()),
            // A repeat finds each product named in what the caller bought before.
            Goal::Place => Request::Place(Purchase {
                more: ent.more_products.clone(),
                ..purchase()
            }),
            Goal::Reorder => Request::Reorder(purchase()),
            Goal::Subscription => Request::Subscription(SubscriptionReq {
                product: ent.product.clone(),
                quantity: ent.quantity,
                frequency: ent.frequency_days,
                ..SubscriptionReq::default()
            }),
        }
    }

    pub(crate) fn goal(&self) -> Goal {
        match self {
            Request::Status => Goal::Status,
            Request::Track => Goal::Track,
            Request::ReturnStatus => Goal::ReturnStatus,
            Request::Cancel(_) => Goal::Cancel,
            Request::Return(_) => Goal::Return,
            Request::Exchange(_) => Goal::Exchange,
            Request::Problem(_) => Goal::Problem,
            Request::Reschedule(_) => Goal::Reschedule,
            Request::ChangeAddress(_) => Goal::ChangeAddress,
            Request::Confirm(_) => Goal::Confirm,
            Request::Place(_) => Goal::Place,
            Request::Reorder(_) => Goal::Reorder,
            Request::Subscription(_) => Goal::Subscription,
        }
    }
}

/// One request in progress: the parts every goal shares, and the goal's own.
#[derive(Debug, Clone)]
pub(crate) struct Task {
    /// The verified order the request is about.
    pub order: Option<String>,
    /// The caller was asked whether to reuse the order of an earlier request.
    pub reuse_offered: bool,
    /// The caller confirmed the read-back.
    pub confirmed: bool,
    /// The caller has had the answer to the request (e.g. why a return is not possible);
    /// what is still asked only offers more, so leaving now leaves nothing undone.
    pub told: bool,
    /// Words of the utterance that started the request.
    pub words: Vec<String>,
    /// Cues of the utterance that started the request ("my other order").
    pub cues: Vec<Cue>,
    /// Entities of the utterance that started the request, for the request it may
    /// turn into ("it hasn't shipped? then cancel it").
    pub heard: Entities,
    /// A request to go back to when this one is done (a confirmation call paused for an
    /// address change).
    pub resume: Option<Box<Task>>,
    /// The request was started from a reading the classifier was unsure of.
    pub unsure: bool,
    pub req: Request,
}

impl Task {
    pub(crate) fn new(goal: Goal, words: Vec<String>, cues: Vec<Cue>, heard: Entities) -> Task {
        Task {
            order: None,
            reuse_offered: false,
            confirmed: false,
            told: false,
            words,
            cues,
            req: Request::new(goal, &heard),
            heard,
            resume: None,
            unsure: false,
        }
    }

    pub(crate) fn goal(&self) -> Goal {
        self.req.goal()
    }

    /// The request turns into one for `goal`: what the two goals share is kept (a
    /// return, an exchange and a problem share their answers; so do a placed order and
    /// a reorder), the rest starts from what the opening utterance said.
    pub(crate) fn become_goal(&mut self, goal: Goal) {
        let old = std::mem::replace(&mut self.req, Request::Status);
        self.req = match (old, goal) {
            (Request::Return(a) | Request::Exchange(a) | Request::Problem(a), Goal::Return) => {
                Request::Return(a)
            }
            (Request::Return(a) | Request::Exchange(a) | Request::Problem(a), Goal::Exchange) => {
                Request::Exchange(a)
            }
            (Request::Return(a) | Request::Exchange(a) | Request::Problem(a), Goal::Problem) => {
                Request::Problem(a)
            }
            (Request::Place(p) | Request::Reorder(p), Goal::Place) => Request::Place(p),
            (Request::Place(p) | Request::Reorder(p), Goal::Reorder) => Request::Reorder(p),
            (_, goal) => Request::new(goal, &self.heard),
        };
    }

    /// What a return, an exchange or a problem has collected.
    pub(crate) fn after_sale(&mut self) -> &mut AfterSale {
        match &mut self.req {
            Request::Return(a) | Request::Exchange(a) | Request::Problem(a) => a,
            other => unreachable!("not a request after delivery: {other:?}"),
        }
    }

    pub(crate) fn cancel(&mut self) -> &mut CancelReq {
        match &mut self.req {
            Request::Cancel(c) => c,
            other => unreachable!("not a cancellation: {other:?}"),
        }
    }

    pub(crate) fn reschedule(&mut self) -> &mut Reschedule {
        match &mut self.req {
            Request::Reschedule(r) => r,
            other => unreachable!("not a reschedule: {other:?}"),
        }
    }

    pub(crate) fn address(&mut self) -> &mut AddressDraft {
        match &mut self.req {
            Request::ChangeAddress(a) => a,
            other => unreachable!("not an address change: {other:?}"),
        }
    }

    pub(crate) fn confirmation(&mut self) -> &mut ConfirmReq {
        match &mut self.req {
            Request::Confirm(c) => c,
            other => unreachable!("not a confirmation: {other:?}"),
        }
    }

    pub(crate) fn purchase(&mut self) -> &mut Purchase {
        match &mut self.req {
            Request::Place(p) | Request::Reorder(p) => p,
            other => unreachable!("not a purchase: {other:?}"),
        }
    }

    /// When the purchase read back would arrive; None for any other request.
    pub(crate) fn purchase_arrives(&self) -> Option<NaiveDate> {
        match &self.req {
            Request::Place(p) | Request::Reorder(p) => p.arrives,
            _ => None,
        }
    }

    pub(crate) fn subscription(&mut self) -> &mut SubscriptionReq {
        match &mut self.req {
            Request::Subscription(s) => s,
            other => unreachable!("not a subscription request: {other:?}"),
        }
    }

    /// The product a purchase or a subscription is about.
    pub(crate) fn product(&mut self) -> &mut Option<String> {
        match &mut self.req {
            Request::Place(p) | Request::Reorder(p) => &mut p.product,
            Request::Subscription(s) => &mut s.product,
            other => unreachable!("not a purchase or a subscription: {other:?}"),
        }
    }

    /// How many a purchase or a subscription is for.
    pub(crate) fn quantity(&mut self) -> &mut Option<u32> {
        match &mut self.req {
            Request::Place(p) | Request::Reorder(p) => &mut p.quantity,
            Request::Subscription(s) => &mut s.quantity,
            other => unreachable!("not a purchase or a subscription: {other:?}"),
        }
    }

    /// How many a purchase or a subscription is for so far (none for other requests).
    pub(crate) fn current_quantity(&self) -> Option<u32> {
        match &self.req {
            Request::Place(p) | Request::Reorder(p) => p.quantity,
            Request::Subscription(s) => s.quantity,
            _ => None,
        }
    }

    /// The day asked for: a new delivery day, or a return's pickup day.
    pub(crate) fn day(&mut self) -> &mut Option<NaiveDate> {
        match &mut self.req {
            Request::Reschedule(r) => &mut r.date,
            Request::Return(a) | Request::Exchange(a) | Request::Problem(a) => &mut a.date,
            other => unreachable!("no day is asked for {other:?}"),
        }
    }

    /// The time slot asked for, with [`Task::day`].
    pub(crate) fn slot(&mut self) -> &mut Option<TimeSlot> {
        match &mut self.req {
            Request::Reschedule(r) => &mut r.slot,
            Request::Return(a) | Request::Exchange(a) | Request::Problem(a) => &mut a.slot,
            other => unreachable!("no time slot is asked for {other:?}"),
        }
    }
}

/// The street line with its house number put right, from words that correct only the
/// number: "the number's 1240 not 1420", "1240, not 1420", "not 1420, it's 1240", or
/// one new number said where the house number is named (`named`: "the house number is
/// 1240"). None when the words give no other number for it, or more than one.
pub(crate) fn house_number_corrected(words: &[String], line1: &str, named: bool) -> Option<String> {
    let mut parts = line1.splitn(2, ' ');
    let old = parts
        .next()
        .filter(|w| w.chars().all(|c| c.is_ascii_digit()))?;
    let rest = parts.next()?;
    let number = |w: &str| (1..=6).contains(&w.len()) && w.chars().all(|c| c.is_ascii_digit());
    let others: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| number(w) && *w != old)
        .collect();
    let [new] = others.as_slice() else {
        return None;
    };
    let taken_back = words.windows(2).any(|p| p[0] == "not" && p[1] == old);
    (taken_back || named).then(|| format!("{new} {rest}"))
}

/// The street line `old` with the house number of `new`, when `new` is the same street
/// with another number and no other unit ("54 Oak Street" for "45 Oak Street Apartment
/// 3B" gives "54 Oak Street Apartment 3B", as does "54 Oak Street Apartment 3B"); None
/// when it is another street.
pub(crate) fn renumbered(old: &str, new: &str) -> Option<String> {
    const UNITS: [&str; 8] = [
        "apartment",
        "apt",
        "unit",
        "suite",
        "ste",
        "flat",
        "floor",
        "#",
    ];
    let split = |line: &str| {
        let words: Vec<&str> = line.split_whitespace().collect();
        let number = words
            .first()
            .filter(|w| w.chars().any(|c| c.is_ascii_digit()))?;
        let unit_at = words
            .iter()
            .position(|w| UNITS.contains(&w.to_lowercase().trim_end_matches('.')))
            .unwrap_or(words.len());
        let name = words.get(1..unit_at)?.join(" ").to_lowercase();
        let unit = words[unit_at..].join(" ");
        (!name.is_empty()).then(|| (number.to_string(), name, unit))
    };
    let (old_number, old_name, unit) = split(old)?;
    let (new_number, new_name, new_unit) = split(new)?;
    // The same unit said again ("1240 Harrison Boulevard, apartment 3B") is no new one.
    let another_unit = !new_unit.is_empty() && new_unit.to_lowercase() != unit.to_lowercase();
    if old_name != new_name || another_unit || old_number == new_number {
        return None;
    }
    Some(if unit.is_empty() || !new_unit.is_empty() {
        new.trim().to_string()
    } else {
        format!("{} {unit}", new.trim())
    })
}

/// Puts the parts heard over the draft, keeping what was not said.
pub(crate) fn merge_address(draft: &mut AddressDraft, heard: &SpokenAddress) {
    draft.line1 = Some(heard.street.clone());
    // A city said again is a new city: a state said before it went with the old one.
    if heard.city.is_some() {
        draft.city = heard.city.clone();
        draft.state = heard.state.clone();
    } else if heard.state.is_some() {
        draft.state = heard.state.clone();
    }
    if heard.zip.is_some() {
        draft.zip = heard.zip.clone();
    }
}

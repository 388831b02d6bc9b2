//! Who the caller is: an order number plus one factor (billing zip, email, or the phone
//! on the order), or a phone number plus a factor to list the caller's orders, or an
//! account email plus a factor for buying. A wrong number and a wrong factor get the
//! same reply, so nothing tells a caller whether an order exists; failures are recorded
//! per key and lock that key for voice look-ups after the configured attempts; a check
//! covers the keys of the same customer (an order and its phone, a phone and its orders).

use chrono::Datelike;

use crate::facts::Facts;
use crate::goals::commerce;
use crate::speak::{first_name, item_words_brief};
use crate::{p, Answer, Ask, Engine, Goal, IdentityCheck, Said, Task, YesNo};
use voxorder_config::VerificationFactor;
use voxorder_domain::change::HandOffReason;
use voxorder_domain::interpretation::{Cue, Interpretation, Period};
use voxorder_domain::order::{Customer, Order, OrderStatus};
use voxorder_domain::product_words as pw;
use voxorder_domain::records::{CustomerRow, NoticeScope, OrderSummary};
use voxorder_domain::speech_text as st;
use voxorder_domain::verification::{IdentityVerdict, LockKey, LockPolicy};
use voxorder_domain::vocab::Intent;

/// Whether the zip said is where something goes: "to", "new" or "moving" shortly before
/// it ("change the address to zip 30301", "the new zip is 30301").
fn zip_is_a_destination(said: &Said<'_>) -> bool {
    let Some(zip) = said.entities.zip_code.as_deref() else {
        return false;
    };
    let Some(at) = said.words.iter().position(|w| w.contains(zip)) else {
        return false;
    };
    said.words[at.saturating_sub(4)..at]
        .iter()
        .any(|w| matches!(w.as_str(), "to" | "new" | "moving" | "move"))
}

/// Whether the zip said belongs to a place the parcel should go rather than to the
/// account: said inside a street address ("change it to 99 Depot Road, Columbus 43201"),
/// whatever the request, unless the caller calls it the billing address, or named as a
/// destination. Such a zip never counts as the verification answer: an attacker who
/// guesses a city's zip for a "new address" must not prove the order with it.
fn zip_is_not_a_factor(said: &Said<'_>) -> bool {
    let billing = said
        .words
        .iter()
        .any(|w| matches!(w.as_str(), "billing" | "bill" | "billed"));
    (said.address.is_some() && !billing) || zip_is_a_destination(said)
}

/// Copies what the opening utterance of a request already says into the request.
pub(crate) fn take_entities(e: &mut Engine, task: &mut Task, said: &Said<'_>) {
    // (Thirteen digits heard as a phone are already the order number here: see
    // `order_shaped_phones_are_orders`.)
    let ent = &said.entities;
    if let Some(n) = &ent.order_number {
        e.s.heard_order = Some(n.clone());
        e.s.said_numbers.push(n.clone());
        // "Order 1 2 3 …, my zip is 78701": the factor is checked without asking again.
        // A zip said with an address change is the new address, not a factor.
        // "My order 1 2 3 …, zip 55401" with no street is the billing zip.
        // "Change the address to zip 30301" names where it goes.
        let mut factors = Factors::of(ent);
        if zip_is_not_a_factor(said) {
            factors.zip = None;
        }
        // Several zips, emails or phones in the first breath prove nothing: one is
        // asked for.
        if several_zips(said) {
            factors.zip = None;
        }
        if several_emails(said) {
            factors.email = None;
        }
        if several_phones(said) {
            factors.phone = None;
        }
        e.s.heard_factors = (!factors.is_empty()).then_some(factors);
    }
    // "…tell me if it was delivered? Her zip is 78701", the order named a turn before
    // and not yet proved: the zip proves that order.
    let unproved_order =
        e.s.heard_order
            .as_ref()
            .is_some_and(|n| !e.s.verified.contains(n));
    if ent.order_number.is_none() && ent.phone_number.is_none() && unproved_order {
        let mut factors = Factors::of(ent);
        if zip_is_not_a_factor(said) || several_zips(said) {
            factors.zip = None;
        }
        if factors.zip.is_some() {
            e.s.heard_factors = Some(factors);
        }
    }
    if let (Some(email), None, None) = (&ent.email, &ent.order_number, &ent.phone_number) {
        e.s.heard_email = Some(email.clone());
    }
    if let Some(p) = &ent.phone_number {
        e.s.heard_phone = Some(p.clone());
        // "My phone is 617 555 0117 and my zip is 02139": the zip proves it at once.
        if ent.order_number.is_none() {
            let mut factors = Factors::of(ent);
            if several_zips(said) {
                factors.zip = None;
            }
            e.s.heard_factors = Some(factors);
        }
    }
    // "Change the address to 2200 Lake Shore Drive, Austin": the new address is kept.
    if task.goal() == Goal::ChangeAddress {
        if let Some(heard) = &said.address {
            crate::request::merge_address(task.address(), heard);
        }
    }
    // "I want to return it, can someone come and pick it up": the courier is chosen.
    if task.goal() == Goal::Return && said.has(Cue::Pickup) {
        task.after_sale().pickup = Some(true);
    }
}

/// Several email addresses in one answer ("chloe@… or csato@…"): written ones told
/// apart by their text, spoken ones ("… at gmail dot com") by each domain's ending.
fn several_emails(said: &Said<'_>) -> bool {
    /// Endings of a spoken domain, each closing one address.
    const ENDINGS: &[&str] = &["com", "org", "net", "edu", "gov", "io", "co", "uk", "us"];
    let mut written: Vec<String> = said
        .text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '/'))
        .filter(|t| t.contains('@'))
        .map(|t| {
            t.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .collect();
    written.sort_unstable();
    written.dedup();
    let spoken = said
        .words
        .windows(2)
        .filter(|w| w[0] == "dot" && ENDINGS.contains(&w[1].as_str()))
        .count();
    written.len().max(spoken) > 1
}

/// Whether the words hold more than one distinct five-digit number (zips said one after
/// another, however corrected).
fn several_zips(said: &Said<'_>) -> bool {
    let mut zips: Vec<&str> = said
        .words
        .iter()
        .map(String::as_str)
        .filter(|w| w.len() == 5 && w.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    zips.sort_unstable();
    zips.dedup();
    zips.len() > 1
}

/// Several phone numbers in one answer ("412 555 0105 or 0106 or 0107"): runs of digits
/// of a phone's length, told apart by the words between them.
fn several_phones(said: &Said<'_>) -> bool {
    let mut phones: Vec<String> = Vec::new();
    let mut run = String::new();
    for w in said
        .words
        .iter()
        .map(String::as_str)
        .chain(std::iter::once(""))
    {
        let digits = !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit());
        // A whole phone written as one number stands alone, however close the next.
        if digits && w.len() < 10 {
            run.push_str(w);
            continue;
        }
        for number in [
            std::mem::take(&mut run),
            if digits { w.to_string() } else { String::new() },
        ] {
            if number.len() == 10 || (number.len() == 11 && number.starts_with('1')) {
                phones.push(number);
            }
        }
    }
    phones.sort_unstable();
    phones.dedup();
    phones.len() > 1
}

/// Digits of an order number's length that no phone has (not ten or eleven).
/// "Sorry, wrong number, it's 7132 7314 90198": thirteen digits heard as a phone (the
/// words around them sounded like one) are an order number, at any question; no phone
/// is that long. Over every part of the utterance.
pub(crate) fn order_shaped_phones_are_orders(e: &Engine, heard: &mut Interpretation) {
    let mut part = Some(heard);
    while let Some(h) = part {
        let ent = &mut h.entities;
        if ent.order_number.is_none()
            && ent
                .phone_number
                .as_deref()
                .is_some_and(|p| is_order_shaped(e, p))
        {
            ent.order_number = ent.phone_number.take();
        }
        part = h.then.as_deref_mut();
    }
}

fn is_order_shaped(e: &Engine, digits: &str) -> bool {
    !(10..=11).contains(&digits.len())
        && e.config()
            .policy
            .verification
            .order_number_digits
            .contains(&digits.len())
}

/// Whether the order was proved by more than a billing zip (which is guessed from the
/// city): its email or phone given in this call, the account found by its email and
/// phone together, or the household's own order on its speaker.
pub(crate) fn proved_beyond_a_zip(e: &Engine, number: &str, facts: &dyn Facts) -> bool {
    let households = !e.s.guest
        && e.s
            .speaker
            .is_some_and(|household| household_holds(facts, household, number));
    let by_account = e.s.speaker.is_none() && e.s.customer.is_some();
    households || by_account || e.s.proved_strongly.iter().any(|n| n == number)
}

/// Whether the street an order goes to, or its tracking number, may be read out: its
/// email or phone was given in this call (on a household's speaker too, as for a
/// redirect: anyone in the room may be asking), and the caller does not act for
/// someone else.
pub(crate) fn private_details_may_be_read(e: &Engine, number: &str, facts: &dyn Facts) -> bool {
    let proved = if e.s.speaker.is_some() {
        e.s.proved_strongly.iter().any(|n| n == number)
    } else {
        proved_beyond_a_zip(e, number, facts)
    };
    !e.acts_for_another(facts) && proved
}

/// An order number heard, to be checked by the facts said with it (asked for when none
/// was): said by its number, it may later show whose account a purchase is for.
pub(crate) fn hear_order(e: &mut Engine, number: String, factors: Factors) {
    e.s.said_numbers.push(number.clone());
    e.s.heard_order = Some(number);
    e.s.heard_factors = (!factors.is_empty()).then_some(factors);
}

/// What the caller gave first to find what is theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Identifier {
    /// One order, by its number.
    OrderNumber,
    /// Every order placed with a phone number.
    Phone,
    /// An account, by its email (buying for a household).
    AccountEmail,
}

/// Whether `factor` can prove a caller who identified themselves with `identifier`. The
/// one rule every path checks: a factor must be a different fact from the identifier (a
/// phone number said twice proves nothing, as anyone who has the number can say it
/// twice), and one the store's policy accepts. A billing zip proves only an order said by
/// its number: a phone or an email opens every order of an account, and a zip, shared by a
/// whole town and said with a guessed phone, is too easily right to open them.
pub(crate) fn factor_counts(
    identifier: Identifier,
    factor: VerificationFactor,
    accepted: &[VerificationFactor],
) -> bool {
    let same = matches!(
        (identifier, factor),
        (Identifier::Phone, VerificationFactor::Phone)
            | (Identifier::AccountEmail, VerificationFactor::Email)
    );
    let town_wide =
        identifier != Identifier::OrderNumber && factor == VerificationFactor::BillingZip;
    !same && !town_wide && accepted.contains(&factor)
}

/// The verification factors one utterance gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Factors {
    pub zip: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl Factors {
    pub(crate) fn of(ent: &voxorder_domain::vocab::Entities) -> Factors {
        Factors {
            zip: ent.zip_code.clone(),
            email: ent.email.clone(),
            phone: ent.phone_number.clone(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.zip.is_none() && self.email.is_none() && self.phone.is_none()
    }

    /// Only the factors that can prove a caller who gave `identifier` ([`factor_counts`]).
    fn usable(&self, identifier: Identifier, accepted: &[VerificationFactor]) -> Factors {
        let keep = |f: VerificationFactor, v: &Option<String>| {
            v.clone().filter(|_| factor_counts(identifier, f, accepted))
        };
        Factors {
            zip: keep(VerificationFactor::BillingZip, &self.zip),
            email: keep(VerificationFactor::Email, &self.email),
            phone: keep(VerificationFactor::Phone, &self.phone),
        }
    }
}

fn order_key(number: &str) -> LockKey {
    LockKey::Order(number.to_string())
}

/// Makes sure the current request has a verified order; asks for what is missing.
/// Returns true when the request can go on.
pub(crate) fn resolve_order(e: &mut Engine, facts: &dyn Facts) -> bool {
    let goal = e.task().goal();
    // Nothing new is asked to be proved once the call may prove nothing more.
    let unproved = match &e.s.heard_order {
        Some(n) => !e.s.verified.contains(n),
        None => e.s.customer.is_none() && e.s.verified.is_empty(),
    };
    if unproved && refuses_more_checks(e) {
        return false;
    }
    if let Some(heard) = e.s.heard_order.clone() {
        if e.s.verified.contains(&heard) {
            e.s.heard_order = None;
            use_order(e, heard);
            return true;
        }
        if !right_length(e, &heard) {
            e.s.heard_order = None;
            e.ask(Ask::OrderNumber, p!("ask_order_number_again"), &[]);
            return false;
        }
        let covers = match facts.order(&heard) {
            Ok(o) => order_covers(o.as_ref()),
            Err(err) => {
                e.store_trouble(&err);
                return false;
            }
        };
        if locked(e, &order_key(&heard), &covers, facts) {
            e.s.heard_order = None;
            e.s.heard_factors = None;
            return false;
        }
        if let Some(factors) = e.s.heard_factors.take() {
            // Said together with the number: the number was not read back yet.
            match check_factors(e, heard, &factors, false, facts) {
                Some(Answer::Filled) => return true,
                Some(_) => return false,
                None => {}
            }
        }
        let Some(heard) = e.s.heard_order.clone() else {
            return false;
        };
        // A number read back already ("where is order …", then "actually, cancel it")
        // is not read again: only the check is asked.
        if e.s.read_back.as_ref() == Some(&heard) {
            e.ask(Ask::Factor, factor_again_key(e), &[]);
            return false;
        }
        let number = st::digits_grouped(&heard);
        e.s.read_back = Some(heard);
        // For a purchase on the saved card, or once a check failed in this call, a zip
        // will not do: the question says so, rather than asking for one and then
        // refusing it.
        let key = if zip_will_not_do(e) {
            p!("ask_strong_factor")
        } else {
            p!("ask_factor")
        };
        e.ask(Ask::Factor, key, &[("number", number)]);
        return false;
    }
    // "And what about mine?" on a household speaker after another member's order: the
    // speaker's own customer's orders, not the one just discussed.
    let own_said = e
        .task_ref()
        .is_some_and(|t| e.phrases().any("own_orders", &t.words));
    let own: Vec<String> = match e.s.customer {
        Some(customer) if own_said => facts
            .orders_of_customer(customer)
            .map(|o| o.into_iter().map(|o| o.order_number).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let focus =
        e.s.focus
            .clone()
            .filter(|f| !own_said || own.is_empty() || own.contains(f));
    if let Some(focus) = focus {
        // "Where's the one with the belt?" after the socks order: the verified order
        // holding what the caller named, not the one just discussed.
        if let Some(named) = verified_order_named(e, &focus, facts) {
            // A status names its items; any other request says which order it is on.
            if goal != Goal::Status {
                if let Ok(Some(order)) = facts.order(&named) {
                    let args = describe(e, &OrderSummary::from(&order));
                    e.say(p!("using_order"), &args);
                    e.items_named = Some(named.clone());
                }
            }
            use_order(e, named);
            return true;
        }
        if !e.task().reuse_offered {
            e.task().reuse_offered = true;
            // A question about the order just discussed ("and will I get a tracking
            // number?") changes nothing, so it needs no check; a change is checked first.
            // "And my other order?" is not about it at all.
            // "…, and has my beanie order arrived?" after the chargers: a product named
            // that the order in focus does not hold is another order's.
            let elsewhere = e
                .task_ref()
                .is_some_and(|t| t.cues.contains(&Cue::OtherOrder))
                || names_what_focus_lacks(e, &focus, facts);
            // The order a confirmation call is about is what the customer means.
            let called_about = e.s.called_about.as_ref() == Some(&focus);
            // "And the headphones from the same order": the caller named it already.
            let named = e
                .task_ref()
                .is_some_and(|t| t.cues.contains(&Cue::SameOrder));
            // "Actually no, cancel that one" just after an order was told or placed: the
            // words point back at it.
            let just_discussed = e.s.completed_at.is_some_and(|t| t + 1 == e.s.turns);
            let points_back = just_discussed
                && e.task_ref()
                    .is_some_and(|t| e.phrases().any("points_at_that_order", &t.words));
            if (goal.about_the_order_in_focus() || called_about || named || points_back)
                && !elsewhere
            {
                use_order(e, focus);
                return true;
            }
            if elsewhere {
                if let Some(found) = offer_verified(e, Some(&focus), facts) {
                    return found;
                }
                ask_order_number(e);
                return false;
            }
            // The one order this call has verified: named by what it holds, not asked
            // about by its thirteen digits; the caller can still say it is another.
            if e.s.verified.len() == 1 && e.s.verified[0] == focus {
                if let Ok(Some(order)) = facts.order(&focus) {
                    // Just discussed, or named by its items ("return the candle from
                    // it"), the order needs no words on which one it is.
                    let just_discussed = e.just_discussed();
                    let words = e
                        .task_ref()
                        .map(|t| item_words_said(e, &t.words))
                        .unwrap_or_default();
                    if !just_discussed && name_words_said(&order, &words) == 0 {
                        let args = describe(e, &OrderSummary::from(&order));
                        e.say(p!("using_order"), &args);
                        e.items_named = Some(focus.clone());
                    }
                    use_order(e, focus);
                    return true;
                }
            }
            // An order found from the account, not by its number, is named by what it
            // holds: its thirteen digits are not told to a caller who never said them.
            let said = e.s.said_numbers.contains(&focus) || called_about;
            let described = (!said)
                .then(|| facts.order(&focus).ok().flatten())
                .flatten()
                .map(|order| describe(e, &OrderSummary::from(&order)));
            match described {
                Some(args) => {
                    e.ask(
                        Ask::YesNo(YesNo::UseKnownOrder),
                        p!("reuse_described_order"),
                        &args,
                    );
                }
                None => {
                    let goal_words = e.text(goal.label_key(), &[]);
                    e.ask(
                        Ask::YesNo(YesNo::UseKnownOrder),
                        p!("reuse_order"),
                        &[("number", st::digits_grouped(&focus)), ("goal", goal_words)],
                    )
                }
            }
            return false;
        }
    }
    // A guest of the household ("I'm just visiting Sofia") hears none of its orders.
    if let Some(customer) = e.s.customer.filter(|_| !e.s.guest) {
        // A household's speaker serves every member: their orders are the household's.
        match facts.household_orders(customer) {
            Ok(mut orders) => {
                let numbers: Vec<String> = orders.iter().map(|o| o.order_number.clone()).collect();
                e.s.verified.extend(numbers);
                e.s.verified.dedup();
                // "The one Jonah ordered": only that member's orders are offered.
                let words = e.task_ref().map(|t| t.words.clone()).unwrap_or_default();
                if let Some(member) = member_named(e, &words, facts) {
                    let theirs: Vec<String> = facts
                        .orders_of_customer(member)
                        .map(|o| o.into_iter().map(|o| o.order_number).collect())
                        .unwrap_or_default();
                    orders.retain(|o| theirs.contains(&o.order_number));
                } else if !own.is_empty() {
                    orders.retain(|o| own.contains(&o.order_number));
                }
                if offer_orders(e, &orders, goal, facts) {
                    return e.task().order.is_some();
                }
            }
            Err(err) => {
                e.store_trouble(&err);
                return false;
            }
        }
    }
    if let Some(found) = by_phone(e, facts) {
        return found;
    }
    let declined = e.s.focus.clone();
    if let Some(found) = offer_verified(e, declined.as_deref(), facts) {
        return found;
    }
    // "I can't find my order number, my email's …": the account's email finds the
    // orders, as it does when said after the number is asked for.
    if let Some(email) = e.s.heard_email.take() {
        ask_account_factor(e, &email, facts);
        return false;
    }
    ask_order_number(e);
    false
}

/// The phone heard finds the orders placed with it (and, for a request about the
/// account, the account); a second fact said with it proves them at once, or is asked
/// for. `None` when no phone was heard.
pub(crate) fn by_phone(e: &mut Engine, facts: &dyn Facts) -> Option<bool> {
    let phone =
        e.s.heard_phone
            .clone()
            .filter(|p| p.len() >= 10 && p.bytes().all(|b| b.is_ascii_digit()))?;
    let accepted = e.config().policy.verification.factors.clone();
    let given =
        e.s.heard_factors
            .take()
            .map(|f| f.usable(Identifier::Phone, &accepted))
            .filter(|f| !f.is_empty());
    if let Some(given) = given {
        return Some(matches!(
            check_phone(e, phone, &given, facts),
            Answer::Filled
        ));
    }
    e.ask(Ask::PhoneFactor, p!("ask_phone_factor"), &[]);
    Some(false)
}

/// Offers the orders this call has verified already, other than `except`, as a phone
/// check offers them: a caller who proved who they are is not asked to prove it again
/// for their next order. `None` when none of them suits the request.
fn offer_verified(e: &mut Engine, except: Option<&str>, facts: &dyn Facts) -> Option<bool> {
    let mut numbers = e.s.verified.clone();
    numbers.sort();
    numbers.dedup();
    numbers.retain(|n| Some(n.as_str()) != except);
    let mut orders = Vec::new();
    for number in numbers {
        match facts.order(&number) {
            Ok(Some(order)) => orders.push(OrderSummary::from(&order)),
            Ok(None) => {}
            Err(err) => {
                e.store_trouble(&err);
                return Some(false);
            }
        }
    }
    if orders.is_empty() {
        return None;
    }
    orders.sort_by(|a, b| (b.order_date, &b.order_number).cmp(&(a.order_date, &a.order_number)));
    let goal = e.task().goal();
    offer_orders(e, &orders, goal, facts).then(|| e.task().order.is_some())
}

/// "I'm Mei's nanny", then Mei's phone and email on the household's speaker: a guest
/// hears none of the household's orders, whatever details of a member they hold. Said,
/// and the request dropped; true when refused.
fn refuses_household_order_to_guest(e: &mut Engine, number: &str, facts: &dyn Facts) -> bool {
    let Some(household) = e.s.speaker else {
        return false;
    };
    if !e.s.guest || !household_holds(facts, household, number) {
        return false;
    }
    e.say(p!("guest_household_orders"), &[]);
    e.drop_task();
    true
}

/// Checks a factor given for the orders of a phone number: verified, the orders that
/// match are offered; not, the failure counts against the phone.
fn check_phone(e: &mut Engine, phone: String, given: &Factors, facts: &dyn Facts) -> Answer {
    let key = LockKey::Phone(phone.clone());
    let summaries = match facts.orders_by_phone(&phone) {
        Ok(s) => s,
        Err(err) => {
            e.store_trouble(&err);
            return Answer::Handled;
        }
    };
    let covers: Vec<LockKey> = summaries
        .iter()
        .map(|s| order_key(&s.order_number))
        .collect();
    if locked(e, &key, &covers, facts) {
        return Answer::Handled;
    }
    let mut owned = Vec::new();
    for s in summaries {
        match facts.order(&s.order_number) {
            Ok(Some(o)) if factor_matches(given, &o) => owned.push(s),
            Ok(_) => {}
            Err(err) => {
                e.store_trouble(&err);
                return Answer::Handled;
            }
        }
    }
    if !check(e, key, &covers, !owned.is_empty(), Ask::PhoneFactor, facts) {
        return Answer::Handled;
    }
    if owned
        .iter()
        .any(|o| refuses_household_order_to_guest(e, &o.order_number, facts))
    {
        return Answer::Handled;
    }
    e.s.verified
        .extend(owned.iter().map(|o| o.order_number.clone()));
    e.s.proved
        .extend(owned.iter().map(|o| o.order_number.clone()));
    e.s.proved_strongly
        .extend(owned.iter().map(|o| o.order_number.clone()));
    // The factor question is answered: whatever is said next is not asked of it, and the
    // phone is proved, not a phone still to check for the next request.
    e.ask = Ask::Nothing;
    e.s.heard_phone = None;
    let scopes: Vec<NoticeScope<'_>> = owned
        .iter()
        .map(|o| NoticeScope::Order(&o.order_number))
        .collect();
    e.say_verified(facts, &scopes);
    let goal = e.task().goal();
    if !goal.needs_order() {
        return account_of(e, &owned, facts);
    }
    if offer_orders(e, &owned, goal, facts) && e.task().order.is_some() {
        return Answer::Filled;
    }
    if e.task().order.is_none() && e.ask == Ask::Nothing {
        // Nothing relevant on this number for the request.
        e.say(p!("no_relevant_orders"), &[]);
        e.drop_task();
    }
    Answer::Handled
}

/// The order number `heard` with its last digits replaced by those said after "the last
/// (two) digits are" or "it ends in" ("the last digits are 583, not 588"). None when the
/// words correct no ending, name a phone, card or zip, or change nothing.
pub(crate) fn tail_corrected(words: &[String], heard: &str) -> Option<String> {
    if words
        .iter()
        .any(|w| matches!(w.as_str(), "phone" | "card" | "zip" | "postcode"))
    {
        return None;
    }
    let digit = |w: &str| -> Option<String> {
        if !w.is_empty() && w.len() <= 6 && w.bytes().all(|b| b.is_ascii_digit()) {
            return Some(w.to_string());
        }
        st::digit_word(w).map(|d| d.to_string())
    };
    // Where the ending starts: after "last … digit(s) are/is" or "ends in/with".
    let start = words.iter().enumerate().find_map(|(i, w)| {
        let next = words.get(i + 1).map(String::as_str);
        match w.as_str() {
            "ends" | "ending" if matches!(next, Some("in" | "with")) => Some(i + 2),
            "last" => {
                let rest = &words[i + 1..words.len().min(i + 5)];
                let at = rest
                    .iter()
                    .position(|w| matches!(w.as_str(), "digits" | "digit" | "numbers"))?;
                let mut j = i + 1 + at + 1;
                if matches!(
                    words.get(j).map(String::as_str),
                    Some("are" | "is" | "should")
                ) {
                    j += 1;
                }
                if matches!(words.get(j).map(String::as_str), Some("be")) {
                    j += 1;
                }
                Some(j)
            }
            _ => None,
        }
    })?;
    let tail: String = words.iter().skip(start).map_while(|w| digit(w)).collect();
    if tail.is_empty() || tail.len() >= heard.len() || tail.len() > 6 {
        return None;
    }
    let fixed = format!("{}{tail}", &heard[..heard.len() - tail.len()]);
    (fixed != heard).then_some(fixed)
}

/// The account of an email heard is looked up, and a second fact asked to prove it (the
/// same question whether or not the email is known).
fn ask_account_factor(e: &mut Engine, email: &str, facts: &dyn Facts) {
    let id = match facts.customer_by_email(email) {
        Ok(c) => c.map_or(-1, |c| c.id),
        Err(err) => {
            e.store_trouble(&err);
            return;
        }
    };
    e.s.heard_phone = Some(email.to_string());
    e.ask(Ask::AccountFactor(id), p!("ask_account_factor"), &[]);
}

fn ask_order_number(e: &mut Engine) {
    // "Where are my headphones? I don't have the order number": the phone is asked.
    // ("I don't have a car" is not about the number.)
    // "List all my orders" asks for no one order: the account's phone finds them.
    let no_number = e.task_ref().is_some_and(|t| {
        (t.cues.contains(&Cue::NoNumber) && t.words.iter().any(|w| w.starts_with("number")))
            || e.phrases().any("asks_order_list", &t.words)
    });
    // Said once in the call, it stays said: a request made next is not asked for the
    // number again.
    if no_number || e.s.number_unknown {
        e.s.number_unknown = true;
        e.ask(Ask::Phone, p!("ask_phone"), &[]);
        return;
    }
    // "And the other one?" after an order was discussed: its number, not "your" number.
    let another = !e.s.verified.is_empty()
        && e.task_ref()
            .is_some_and(|t| t.cues.contains(&Cue::OtherOrder));
    if another {
        e.ask(Ask::OrderNumber, p!("ask_other_orders_number"), &[]);
        return;
    }
    e.ask(Ask::OrderNumber, p!("ask_order_number"), &[]);
}

fn use_order(e: &mut Engine, number: String) {
    e.s.focus = Some(number.clone());
    e.task().order = Some(number);
}

/// Whether the words only describe one of the orders offered ("the mug", "the hoodie
/// one", "the second, with the hoodie"): a bare product may sound like a problem to the
/// classifier, but nothing is asked of the order picked.
fn only_describes(said: &Said<'_>, numbers: &[String], facts: &dyn Facts) -> bool {
    const PLAIN: &[&str] = &[
        "the", "a", "an", "one", "ones", "that", "this", "my", "please", "yes", "yeah", "ok",
        "okay", "um", "uh", "oh", "it's", "its", "it", "is", "order", "from", "with", "and",
        "just", "first", "second", "third", "last", "latest", "newest", "oldest", "of",
    ];
    let mut names = std::collections::HashSet::new();
    for number in numbers {
        if let Ok(Some(order)) = facts.order(number) {
            for item in &order.items {
                names.extend(voxorder_domain::phrases::words(&item.name));
            }
        }
    }
    said.words.iter().all(|w| {
        PLAIN.contains(&w.as_str())
            || names.contains(w)
            || w.strip_suffix('s').is_some_and(|one| names.contains(one))
    })
}

/// The store's order number lengths as said: "thirteen", "twelve or thirteen".
fn lengths_in_words(lengths: &[usize]) -> String {
    let words: Vec<String> = lengths
        .iter()
        .map(|&n| st::number_words(n as u64))
        .collect();
    st::list_or(&words)
}

/// Whether a heard order number has a length this store uses (any, where it sets none).
fn right_length_for_the_store(e: &Engine, number: &str) -> bool {
    let lengths = &e.config().policy.verification.order_number_digits;
    lengths.is_empty() || lengths.contains(&number.len())
}

/// Whether a heard order number has a length this store uses; says so when not.
fn right_length(e: &mut Engine, number: &str) -> bool {
    if right_length_for_the_store(e, number) {
        return true;
    }
    let lengths = &e.config().policy.verification.order_number_digits;
    let expected = lengths_in_words(lengths);
    e.say(
        p!("order_number_wrong_length"),
        &[
            ("expected", expected),
            ("heard", st::number_words(number.len() as u64)),
        ],
    );
    false
}

/// Whether a key is locked now; says so (the same way for any order) when it is. Said
/// early so a locked caller is not asked for a factor; the check itself asks again.
fn locked(e: &mut Engine, key: &LockKey, covered: &[LockKey], facts: &dyn Facts) -> bool {
    for k in std::iter::once(key).chain(covered) {
        match facts.lock(k) {
            Ok(Some(lock)) if lock.is_locked(e.now) => {
                let minutes = lock
                    .locked_until
                    .map_or(0, |until| (until - e.now).num_minutes() + 1);
                say_locked(e, p!("order_locked"), minutes);
                return true;
            }
            Ok(_) => {}
            Err(err) => {
                e.store_trouble(&err);
                return true;
            }
        }
    }
    false
}

/// A lock said with how long it lasts and the way past it: a person checks who the
/// caller is another way. The real customer, locked out by someone else's guesses, is
/// never left with nothing to do.
fn say_locked(e: &mut Engine, key: &'static str, minutes: i64) {
    e.s.locked_out = true;
    e.task = None;
    e.say(key, &[("minutes", minutes_words(minutes.max(1)))]);
    e.offer_human(HandOffReason::Requested);
}

/// "Five minutes", "about twenty minutes", "the next half hour", "about two hours".
fn minutes_words(minutes: i64) -> String {
    match minutes {
        1 => "the next minute".to_string(),
        2..=5 => format!("the next {} minutes", st::number_words(minutes as u64)),
        6..=25 => format!(
            "about {} minutes",
            st::number_words((minutes as u64).div_ceil(5) * 5)
        ),
        26..=35 => "the next half hour".to_string(),
        36..=89 => "about an hour".to_string(),
        _ => format!(
            "about {} hours",
            st::number_words((minutes as u64 + 30) / 60)
        ),
    }
}

/// The keys of the customer behind an order, a phone or an account that a check under
/// one of them answers for too: the tries used up on one order are not had again on
/// the phone it was placed with, another order on that phone or the account.
fn order_covers(order: Option<&Order>) -> Vec<LockKey> {
    order
        .and_then(|o| o.customer.phone.clone())
        .map(LockKey::Phone)
        .into_iter()
        .collect()
}

/// Has the store decide an identity check under `key` and says what a failure or a lock
/// means. Returns true when the caller is verified. The store, not this conversation,
/// knows whether the key is locked now and how many failures it has.
/// How many failed checks lock a key, and for how long, as configured.
fn lock_policy(e: &Engine) -> LockPolicy {
    let policy = &e.config().policy.verification;
    LockPolicy {
        max_attempts: policy.max_attempts,
        lock_minutes: policy.lock_minutes,
    }
}

fn check(
    e: &mut Engine,
    key: LockKey,
    covered: &[LockKey],
    matched: bool,
    retry: Ask,
    facts: &dyn Facts,
) -> bool {
    let policy = lock_policy(e);
    if refuses_more_checks(e) {
        return false;
    }
    let verdict = match facts.check_identity(&key, covered, matched, e.now, policy) {
        Ok(v) => v,
        Err(err) => {
            e.store_trouble(&err);
            return false;
        }
    };
    let checked_order = match &key {
        LockKey::Order(number) => Some(number.clone()),
        _ => None,
    };
    e.step.checks.push(IdentityCheck { key, verdict });
    let locked_now = match verdict {
        IdentityVerdict::Verified => return true,
        IdentityVerdict::Locked => {
            e.s.heard_order = None;
            e.s.heard_factors = None;
            say_locked(e, p!("order_locked"), i64::from(policy.lock_minutes));
            return false;
        }
        IdentityVerdict::Failed { locked } => locked,
    };
    e.s.failures += 1;
    // The order was proved by its zip, and now its email or phone was guessed wrong: the
    // zip may have been a guess too (a city shares one). Whatever comes next of that
    // order, a cancellation too, waits for its email or phone.
    if let Some(number) = checked_order {
        if !e.s.proved_strongly.contains(&number) {
            e.s.verified.retain(|v| *v != number);
        }
    }
    if locked_now || e.s.failures >= policy.max_attempts {
        e.s.heard_order = None;
        say_locked(e, p!("verification_locked"), i64::from(policy.lock_minutes));
        return false;
    }
    let prompt = match retry {
        Ask::PhoneFactor => p!("verification_failed_phone"),
        Ask::AccountFactor(_) => p!("verification_failed_account"),
        _ if e.s.called_about.is_some() => p!("verification_failed_called"),
        _ => p!("verification_failed"),
    };
    e.ask(retry, prompt, &[]);
    false
}

/// Whether the order is one of the household's (a household's speaker, or the household
/// of a customer known in the call).
pub(crate) fn household_holds(facts: &dyn Facts, household: i64, number: &str) -> bool {
    facts
        .household_orders(household)
        .is_ok_and(|orders| orders.iter().any(|o| o.order_number == number))
}

/// "It's for my roommate, cancel it": a change refused because the caller acts for
/// someone else leaves a mark on the order, so that calling again as its owner does
/// not get the change with a zip guessed from the city; the owner still proves it with
/// the email or phone. The mark is no failed check: telling the truth about whose order
/// it is never locks its owner out.
pub(crate) fn mark_asked_for_another(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) {
    let Some(number) = said
        .entities
        .order_number
        .clone()
        .or_else(|| e.s.focus.clone())
        .or_else(|| e.s.heard_order.clone())
    else {
        return;
    };
    mark_order_for_another(e, &number, facts);
}

/// The mark of [`mark_asked_for_another`] on the order named.
pub(crate) fn mark_order_for_another(e: &mut Engine, number: &str, facts: &dyn Facts) {
    if e.s.marked_for_another.iter().any(|n| n == number) {
        return;
    }
    let policy = lock_policy(e);
    let key = LockKey::ForAnother(number.to_string());
    match facts.check_identity(&key, &[], false, e.now, policy) {
        Ok(_) => e.s.marked_for_another.push(number.to_string()),
        Err(err) => e.store_trouble(&err),
    }
}

/// Whether another call left the mark of [`mark_order_for_another`] on the order.
fn marked_by_another_call(e: &Engine, number: &str, facts: &dyn Facts) -> bool {
    let marks = facts
        .lock(&LockKey::ForAnother(number.to_string()))
        .ok()
        .flatten()
        .map_or(0, |l| l.failures);
    marks > u32::from(e.s.marked_for_another.iter().any(|n| n == number))
}

/// A call that has failed its checks checks nothing more, whatever order or phone it
/// moves on to (guessing order after order is still guessing): said, with a person
/// offered, and true.
pub(crate) fn refuses_more_checks(e: &mut Engine) -> bool {
    if e.s.failures < e.config().policy.verification.max_attempts {
        return false;
    }
    e.say(p!("verification_call_locked"), &[]);
    e.s.heard_order = None;
    e.s.heard_phone = None;
    e.s.heard_factors = None;
    e.task = None;
    e.offer_human(HandOffReason::Requested);
    true
}

/// Checks the factors given against the order number heard: `Filled` when they match
/// (the order is verified and in use), `Handled` when they do not (the failure is
/// recorded and said), `None` when no factor was given. `read_back`: the caller has
/// heard the number read back; otherwise it is said with the confirmation.
fn check_factors(
    e: &mut Engine,
    heard: String,
    given: &Factors,
    read_back: bool,
    facts: &dyn Facts,
) -> Option<Answer> {
    let order = match facts.order(&heard) {
        Ok(o) => o,
        Err(err) => {
            e.store_trouble(&err);
            return Some(Answer::Handled);
        }
    };
    let accepted = &e.config().policy.verification.factors;
    let mut given = given.usable(Identifier::OrderNumber, accepted);
    // On the shop's own call about this order, the phone it dialled is known to whoever
    // answered: it proves nothing, and the caller hears what would.
    if e.s.called_about.as_deref() == Some(heard.as_str())
        && given.phone.take().is_some()
        && given.is_empty()
    {
        e.ask(Ask::Factor, p!("called_phone_proves_nothing"), &[]);
        return Some(Answer::Handled);
    }
    if given.is_empty() {
        return None;
    }
    // A billing zip can be guessed from the city (said on the shop's own call, or known
    // to anyone nearby): once a check has failed in this call, a zip proves nothing more
    // and the email or phone is asked, without counting a failure.
    // The same holds after a failure on this order in an earlier call (hanging up and
    // calling again buys no fresh guess), and for a redirect, which only the email or
    // phone allows.
    let max = e.config().policy.verification.max_attempts;
    let recorded = facts
        .lock(&order_key(&heard))
        .ok()
        .flatten()
        .map_or(0, |l| l.failures);
    // "I'm calling for my mother… can you at least tell me if it was delivered?": the
    // mark this call left on her order asks nothing more of this caller, who changes
    // nothing in this call and may hear how the order stands; one left by another call
    // asks its owner for the email or phone.
    let marked = marked_by_another_call(e, &heard, facts);
    // Failures under the order from other calls (more than this call's own), or their
    // mark: a parcel tried before is sent elsewhere only by the team.
    if (recorded > e.s.failures || marked) && !e.s.tried_before.contains(&heard) {
        e.s.tried_before.push(heard.clone());
    }
    let failed_before = e.s.failures > 0 || recorded > 0 || marked;
    let for_redirect = e.s.redirect_needs.as_deref() == Some(heard.as_str());
    let for_spending = e.s.spending_needs_strong;
    let another_account = another_account_in_the_call(e, order.as_ref(), facts);
    let zip_refused =
        (failed_before && e.s.failures < max) || for_redirect || for_spending || another_account;
    if zip_refused && given.zip.take().is_some() && given.is_empty() {
        e.s.zip_refused = true;
        // A miss a moment ago is the reason to say, whatever the request: a redirect
        // given up for a cancellation is no longer what the zip cannot do.
        let after_miss = check_failed_in_this_call(e);
        let key = match (
            for_redirect && !after_miss,
            for_spending,
            e.s.called_about.is_some(),
        ) {
            (false, false, _) if another_account && !failed_before => {
                p!("zip_not_for_another_account")
            }
            (true, _, true) => p!("zip_not_for_redirect_called"),
            (true, _, false) => p!("zip_not_for_redirect"),
            (false, true, _) => p!("zip_not_for_spending"),
            (false, false, true) => p!("zip_after_failure_called"),
            // Only asked about for someone else before: no details failed to match.
            (false, false, false) if marked && e.s.failures == 0 && recorded == 0 => {
                p!("zip_after_mark")
            }
            (false, false, false) => p!("zip_after_failure"),
        };
        e.ask(Ask::Factor, key, &[]);
        return Some(Answer::Handled);
    }
    let strong = given.email.is_some() || given.phone.is_some();
    // An unknown number is checked like a real one: the same questions and replies.
    let matched = order.as_ref().is_some_and(|o| factor_matches(&given, o));
    let covers = order_covers(order.as_ref());
    if !check(e, order_key(&heard), &covers, matched, Ask::Factor, facts) {
        return Some(Answer::Handled);
    }
    e.s.heard_order = None;
    if refuses_household_order_to_guest(e, &heard, facts) {
        return Some(Answer::Handled);
    }
    e.s.verified.push(heard.clone());
    e.s.proved.push(heard.clone());
    if strong {
        e.s.proved_strongly.push(heard.clone());
        if for_redirect {
            e.s.redirect_needs = None;
        }
        e.s.spending_needs_strong = false;
    }
    if read_back {
        e.say_verified(facts, &[NoticeScope::Order(&heard)]);
    } else {
        e.say_verified_order(facts, &heard);
    }
    use_order(e, heard);
    Some(Answer::Filled)
}

/// Whether the caller proved an order of one customer earlier in this call and now
/// gives a zip for an order that is not that customer's (or no order at all, which is
/// asked the same, so nothing tells whether it exists): a zip shared by a whole city
/// proves nothing of a second person's order. A household's speaker and a linked
/// account keep their own rules.
fn another_account_in_the_call(e: &Engine, order: Option<&Order>, facts: &dyn Facts) -> bool {
    if e.s.speaker.is_some() || e.s.customer.is_some() {
        return false;
    }
    let owners: Vec<Customer> =
        e.s.verified
            .iter()
            .filter_map(|n| facts.order(n).ok().flatten())
            .map(|o| o.customer)
            .collect();
    if owners.is_empty() {
        return false;
    }
    let Some(order) = order else {
        return true;
    };
    let same = |a: &Customer, b: &Customer| {
        let email = a.email.is_some() && a.email == b.email;
        let phone = a
            .phone
            .as_deref()
            .zip(b.phone.as_deref())
            .is_some_and(|(x, y)| same_phone(x, y));
        email || phone
    };
    !owners.iter().any(|c| same(c, &order.customer))
}

/// Every factor given matches the order: one right answer does not make up for a
/// wrong one said with it ("78701, ada@example.com, 555 0100" with a wrong phone fails).
fn factor_matches(given: &Factors, order: &Order) -> bool {
    let c = &order.customer;
    let zip = given
        .zip
        .as_ref()
        .map(|z| c.billing_zip.as_deref() == Some(z.as_str()));
    let email = given.email.as_ref().map(|m| {
        c.email
            .as_deref()
            .is_some_and(|on| on.eq_ignore_ascii_case(m))
    });
    let phone = given
        .phone
        .as_ref()
        .map(|p| c.phone.as_deref().is_some_and(|on| same_phone(on, p)));
    let said = [zip, email, phone];
    said.iter().any(Option::is_some) && said.iter().all(|m| m.unwrap_or(true))
}

/// "My email is omar@…", said after the order was proved by its zip: the email or phone
/// of the order, given now, proves it as strongly as if given first (the street may be
/// read, the parcel sent elsewhere). A wrong one proves nothing more.
pub(crate) fn strengthen(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) {
    let Some(focus) = e.s.focus.clone() else {
        return;
    };
    let given = Factors {
        zip: None,
        ..Factors::of(&said.entities)
    };
    if given.is_empty() || !e.s.verified.contains(&focus) || e.s.proved_strongly.contains(&focus) {
        return;
    }
    if let Ok(Some(order)) = facts.order(&focus) {
        if factor_matches(&given, &order) {
            e.s.proved_strongly.push(focus);
        }
    }
}

/// "Sure, it's 512 555 0199", said when a missing item waits for the order's email or
/// phone (the order was checked by its zip alone): checked as that stronger fact, a
/// wrong one counting as a failed check. On a match the request goes on; otherwise the
/// team takes it, with the order and the item in the summary. True when the line gave
/// such a fact and was taken so.
pub(crate) fn step_up(e: &mut Engine, said: &Said<'_>, facts: &dyn Facts) -> bool {
    let Some((number, report)) = e.s.step_up_for.clone() else {
        return false;
    };
    // Asked for only at the offer of the team; once that is answered, it lapses.
    if e.ask != Ask::YesNo(YesNo::OfferHuman) {
        e.s.step_up_for = None;
        return false;
    }
    let accepted = &e.config().policy.verification.factors;
    let mut given = Factors {
        zip: None,
        ..Factors::of(&said.entities)
    }
    .usable(Identifier::OrderNumber, accepted);
    // On the shop's own call the phone it dialled proves nothing.
    if e.s.called_about.as_deref() == Some(number.as_str()) {
        given.phone = None;
    }
    if given.is_empty() {
        return false;
    }
    e.s.step_up_for = None;
    let order = match facts.order(&number) {
        Ok(o) => o,
        Err(err) => {
            e.store_trouble(&err);
            return true;
        }
    };
    if refuses_more_checks(e) {
        return true;
    }
    let matched = order.as_ref().is_some_and(|o| factor_matches(&given, o));
    let key = order_key(&number);
    let covers = order_covers(order.as_ref());
    let verdict = match facts.check_identity(&key, &covers, matched, e.now, lock_policy(e)) {
        Ok(v) => v,
        Err(err) => {
            e.store_trouble(&err);
            return true;
        }
    };
    e.step.checks.push(IdentityCheck { key, verdict });
    e.ask = Ask::Nothing;
    if verdict == IdentityVerdict::Verified {
        if !e.s.proved_strongly.contains(&number) {
            e.s.proved_strongly.push(number);
        }
        e.say(p!("step_up_matched"), &[]);
        e.task = Some(report);
        e.advance(facts);
        return true;
    }
    if matches!(verdict, IdentityVerdict::Failed { .. }) {
        e.s.failures += 1;
        // The zip may have been a guess too: nothing more of the order by voice.
        e.s.verified.retain(|v| *v != number);
    }
    e.hand_off_saying(HandOffReason::Exception, p!("step_up_failed"), &[]);
    true
}

fn same_phone(a: &str, b: &str) -> bool {
    let tail = |s: &str| -> String {
        let d: String = s.chars().filter(char::is_ascii_digit).collect();
        d[d.len().saturating_sub(10)..].to_string()
    };
    let (a, b) = (tail(a), tail(b));
    a.len() >= 7 && a == b
}

/// Answers to the identity questions.
/// The account behind orders proved by their phone, for a request about the account (a
/// subscription, a new order): the one customer who placed them, or, on a phone a
/// household shares, the member the caller says they are.
fn account_of(e: &mut Engine, owned: &[OrderSummary], facts: &dyn Facts) -> Answer {
    let mut members: Vec<CustomerRow> = Vec::new();
    for summary in owned {
        let email = match facts.order(&summary.order_number) {
            Ok(Some(order)) => order.customer.email,
            Ok(None) => None,
            Err(err) => {
                e.store_trouble(&err);
                return Answer::Handled;
            }
        };
        let Some(email) = email else { continue };
        match facts.customer_by_email(&email) {
            Ok(Some(c)) if !members.iter().any(|m| m.id == c.id) => members.push(c),
            Ok(_) => {}
            Err(err) => {
                e.store_trouble(&err);
                return Answer::Handled;
            }
        }
    }
    match members.as_slice() {
        [] => {
            e.ask(Ask::AccountEmail, p!("ask_account_email"), &[]);
            Answer::Handled
        }
        [only] => {
            e.s.customer = Some(only.id);
            Answer::Filled
        }
        several => {
            let names: Vec<String> = several.iter().map(|c| first_name(&c.name)).collect();
            let ids = several.iter().map(|c| c.id).collect();
            e.ask(
                Ask::WhichMember(ids),
                p!("ask_which_member"),
                &[("names", st::list_or(&names))],
            );
            Answer::Handled
        }
    }
}

pub(crate) fn answer(e: &mut Engine, ask: &Ask, said: &Said<'_>, facts: &dyn Facts) -> Answer {
    let ent = &said.entities;
    // "I haven't ordered anything yet. Do you have the black hoodie in medium?" asked for
    // an order number: there is no order to find. The look-up is dropped, and a product
    // question said with it is answered.
    if matches!(ask, Ask::OrderNumber | Ask::Phone)
        && ent.order_number.is_none()
        && e.phrases().any("no_order_at_all", &said.words)
    {
        e.end_task();
        e.ask = Ask::Nothing;
        if commerce::asks_about_a_product(e, said) {
            commerce::product_answer(e, said, facts);
        } else {
            e.say(p!("no_order_then"), &[]);
        }
        return Answer::Handled;
    }
    // "78701, sorry, 97205, no, 02139": several zips in one answer are several guesses.
    // None of them is checked, nothing is said of them, and one is asked for.
    let factor_question = matches!(ask, Ask::Factor | Ask::PhoneFactor | Ask::AccountFactor(_));
    // So are several phones or emails: only one is ever checked, and which would be a
    // guess.
    if factor_question && several_phones(said) {
        e.ask(ask.clone(), p!("one_phone_please"), &[]);
        return Answer::Handled;
    }
    if factor_question && several_emails(said) {
        e.ask(ask.clone(), p!("one_email_please"), &[]);
        return Answer::Handled;
    }
    if factor_question && several_zips(said) {
        // Where a phone or an email found the orders, no zip proves them at all.
        let key = match ask {
            Ask::PhoneFactor => p!("zip_not_for_account_phone"),
            Ask::AccountFactor(_) => p!("zip_not_for_account_email"),
            // Once a check failed, no zip will do: one is not asked for.
            _ if check_failed_in_this_call(e) => p!("zip_after_failure"),
            _ => p!("one_zip_please"),
        };
        e.ask(ask.clone(), key, &[]);
        return Answer::Handled;
    }
    if factor_question && !factor_given(said) {
        let ph = e.phrases();
        // "I'm staff, just skip the check": the check is never skipped, and the caller
        // is told so plainly rather than that they were not understood.
        if ph.any("skip_check", &said.words) {
            e.say(p!("check_required"), &[]);
            e.ask(ask.clone(), factor_again_key(e), &[]);
            return Answer::Handled;
        }
        // "I don't know the zip": another fact will do; twice, the team can help.
        if ph.any("factor_unknown", &said.words) {
            if std::mem::replace(&mut e.s.factor_unknown, true) {
                e.say(p!("factor_unknown_again"), &[]);
                e.offer_human(HandOffReason::Requested);
            } else if e.s.called_about.is_some() {
                // The shop dialled the phone: the answerer knows it, so it proves nothing.
                e.ask(ask.clone(), p!("factor_unknown_called"), &[]);
            } else {
                e.ask(ask.clone(), p!("factor_unknown"), &[]);
            }
            return Answer::Handled;
        }
    }
    match ask {
        Ask::OrderNumber => {
            // "617 555 0123" at the order number question: ten or eleven digits that no
            // order number of this store has are the phone on the order.
            let lengths = &e.config().policy.verification.order_number_digits;
            let phone_shaped = ent
                .order_number
                .as_ref()
                .filter(|n| (10..=11).contains(&n.len()) && !lengths.contains(&n.len()))
                .filter(|_| ent.phone_number.is_none());
            if let Some(phone) = phone_shaped.cloned() {
                // Said as what it was taken for: a caller who read an order number and
                // was heard short learns why no number is read back. A store that sets
                // no length has none to name.
                let expected = (!lengths.is_empty()).then(|| lengths_in_words(lengths));
                e.s.heard_phone = Some(phone);
                match expected {
                    Some(expected) => e.ask(
                        Ask::PhoneFactor,
                        p!("ask_phone_factor_for_the_number"),
                        &[("expected", expected)],
                    ),
                    None => e.ask(Ask::PhoneFactor, p!("ask_phone_factor"), &[]),
                }
                return Answer::Handled;
            }
            if let Some(n) = &ent.order_number {
                // "Where is order 1055…" at the number asked for a cancellation the
                // classifier was unsure of: the request said now, surely, is the one.
                let instead = Goal::from_intent(said.intent).filter(|g| {
                    e.task_ref().is_some_and(|t| t.unsure && t.goal() != *g)
                        && said.confidence >= e.config().dialog.switch_confidence
                });
                if let Some(goal) = instead {
                    let task = e.task();
                    task.words = said.words.clone();
                    task.cues = said.cues.clone();
                    task.heard = said.entities.clone();
                    task.unsure = false;
                    task.become_goal(goal);
                }
                hear_order(e, n.clone(), Factors::of(ent));
                return Answer::Filled;
            }
            if let Some(phone) = ent.phone_number.as_ref().filter(|p| p.len() >= 10) {
                e.s.heard_phone = Some(phone.clone());
                // "I don't have the order number. Phone 503…, email oscar@…": the email
                // said with it is the second fact, not asked for again.
                if ent.email.is_some() {
                    return answer(e, &Ask::PhoneFactor, said, facts);
                }
                e.ask(Ask::PhoneFactor, p!("ask_phone_factor"), &[]);
                return Answer::Handled;
            }
            // "Idk, my email's ivy.novak@…": the account's email finds the orders, and a
            // second fact proves it, as on the account path.
            if ent.email.is_some() {
                return answer(e, &Ask::AccountEmail, said, facts);
            }
            if said.intent == Intent::Deny || said.has(Cue::NoNumber) {
                e.s.number_unknown = true;
                e.ask(Ask::Phone, p!("ask_phone"), &[]);
                return Answer::Handled;
            }
            // "Where would I find that?", "can't you just look me up?": where it is, and
            // the phone as the other way in.
            if e.phrases().any("where_is_the_number", &said.words) {
                e.ask(Ask::Phone, p!("order_number_where"), &[]);
                return Answer::Handled;
            }
            Answer::Missed
        }
        Ask::Factor => {
            let Some(heard) = e.s.heard_order.clone() else {
                return Answer::Missed;
            };
            // "No sorry, the last two digits are 9 0": the number read back with its end
            // put right, read back again to be checked.
            if let Some(fixed) = tail_corrected(&said.words, &heard) {
                e.s.heard_order = Some(fixed.clone());
                e.s.said_numbers.push(fixed.clone());
                e.s.read_back = Some(fixed.clone());
                let number = st::digits_grouped(&fixed);
                e.ask(Ask::Factor, p!("ask_factor"), &[("number", number)]);
                return Answer::Handled;
            }
            let other_number = ent.order_number.as_ref().filter(|n| **n != heard);
            // "No, that's not right, the order number is 3603 2444": the number read
            // back is taken back, whatever length the new one was heard at. Left to
            // stand, the zip asked next would be checked against an order the caller
            // said was not theirs.
            if let Some(n) = other_number.filter(|n| {
                n.len() != 5 && !right_length_for_the_store(e, n) && corrects_the_number(e, said)
            }) {
                e.s.heard_order = None;
                e.s.read_back = None;
                right_length(e, n);
                e.ask(Ask::OrderNumber, p!("ask_order_number_again"), &[]);
                return Answer::Handled;
            }
            if let Some(n) = other_number.filter(|n| !too_short_for_an_order(e, n)) {
                // A corrected order number replaces the one read back; a factor said
                // with it is checked against the corrected number.
                e.s.heard_order = Some(n.clone());
                let factors = Factors::of(ent);
                e.s.heard_factors = (!factors.is_empty()).then_some(factors);
                return Answer::Filled;
            }
            // "The zip on the order, 53703": five digits said at the zip question, which
            // the word "order" made an order number, are the zip.
            if let Some(n) = other_number.filter(|n| n.len() == 5 && !factor_given(said)) {
                let mut factors = Factors::of(ent);
                factors.zip = Some(n.clone());
                return check_factors(e, heard, &factors, true, facts).unwrap_or(Answer::Missed);
            }
            // "Oh, seven eight seven oh one": an "oh" that opens the answer is a sound
            // of thought, not a zero, when the digits after it make a zip.
            let opens_on_oh = said.words.first().is_some_and(|w| w == "oh");
            if let Some(n) = other_number.filter(|n| {
                opens_on_oh && n.len() == 6 && n.starts_with('0') && !factor_given(said)
            }) {
                let mut factors = Factors::of(ent);
                factors.zip = Some(n[1..].to_string());
                return check_factors(e, heard, &factors, true, facts).unwrap_or(Answer::Missed);
            }
            if let Some(n) = other_number.filter(|_| !factor_given(said)) {
                // Six digits at the zip question: a zip misheard or misspoken, not a new
                // order number. The number read back stands; nothing counts as a failure.
                e.say(
                    p!("zip_wrong_length"),
                    &[("heard", st::number_words(n.len() as u64))],
                );
                e.ask(Ask::Factor, factor_again_key(e), &[]);
                return Answer::Handled;
            }
            // The new address said at "to verify, what's the zip?": its zip is where
            // the parcel goes, not a guess at the billing zip. Kept for later when the
            // request is the address change; asked again either way.
            if zip_is_not_a_factor(said) {
                let changes_address = e
                    .task_ref()
                    .is_some_and(|t| t.goal() == Goal::ChangeAddress);
                if let Some(heard) = said.address.as_ref().filter(|_| changes_address) {
                    crate::request::merge_address(e.task().address(), heard);
                }
                let mut factors = Factors::of(ent);
                factors.zip = None;
                if factors.is_empty() {
                    let number = st::digits_grouped(&heard);
                    // Asked for the email or phone before a redirect, the question
                    // names only those: a zip would not do.
                    let strong = e.s.redirect_needs.as_deref() == Some(heard.as_str());
                    let prompt = match (strong, e.s.called_about.is_some()) {
                        (true, true) => p!("ask_strong_fact_after_address_called"),
                        (true, false) => p!("ask_strong_fact_after_address"),
                        _ if changes_address => p!("ask_factor_after_address"),
                        _ => p!("ask_factor_before_change"),
                    };
                    e.ask(Ask::Factor, prompt, &[("number", number)]);
                    return Answer::Handled;
                }
                return check_factors(e, heard, &factors, true, facts).unwrap_or(Answer::Missed);
            }
            // Asked for the proof a redirect needs, on an order the caller did not just
            // read out (the shop's call, a household's order), "no" turns the redirect
            // down: it says nothing of the number.
            let declines_the_redirect = e.s.redirect_needs.as_deref() == Some(heard.as_str())
                && e.s.read_back.as_deref() != Some(heard.as_str());
            match check_factors(e, heard, &Factors::of(ent), true, facts) {
                Some(answer) => answer,
                None if e.yes_no(said) == Some(false)
                    && Goal::from_intent(said.intent).is_none()
                    && declines_the_redirect =>
                {
                    e.s.redirect_needs = None;
                    e.say(p!("redirect_dropped"), &[]);
                    e.drop_task();
                    // "No, just cancel it" on the shop's call: the request said with the
                    // no answers the call's own question, now.
                    let on_the_call = e.task_ref().is_some_and(|t| t.goal() == Goal::Confirm);
                    if let Some(next) = e.s.later.pop_front().filter(|_| on_the_call) {
                        e.ask = Ask::ConfirmCall;
                        e.hear(&next, facts);
                    }
                    Answer::Handled
                }
                // "No. I want to cancel it" is another request of the same order. "Ok,
                // and the other one" read as a no opens with a yes: it takes back no
                // number, and the question is asked again.
                None if e.yes_no(said) == Some(false)
                    && Goal::from_intent(said.intent).is_none()
                    && !said.has(Cue::Yes) =>
                {
                    // "No, that's not my number": take it again.
                    e.s.heard_order = None;
                    ask_order_number(e);
                    Answer::Handled
                }
                None => Answer::Missed,
            }
        }
        Ask::Phone => match ent.phone_number.as_ref().filter(|p| p.len() >= 10) {
            Some(phone) => {
                e.s.heard_phone = Some(phone.clone());
                if ent.email.is_some() {
                    return answer(e, &Ask::PhoneFactor, said, facts);
                }
                e.ask(Ask::PhoneFactor, p!("ask_phone_factor"), &[]);
                Answer::Handled
            }
            // "Oh, here it is: 1 0 0 0 …": the order number found after all.
            None if ent.order_number.is_some() => answer(e, &Ask::OrderNumber, said, facts),
            // "My email, it's …" where the phone was asked: the email finds the account
            // as well, and a second fact is asked the same way.
            None => match ent.email.clone() {
                Some(email) => {
                    ask_account_factor(e, &email, facts);
                    Answer::Handled
                }
                None => Answer::Missed,
            },
        },
        Ask::PhoneFactor => {
            let Some(phone) = e.s.heard_phone.clone() else {
                return Answer::Missed;
            };
            // "No wait, that was the order number" or a number of an order's length:
            // what was taken for a phone was the order number.
            if let Some(n) = ent
                .order_number
                .clone()
                .filter(|_| ent.phone_number.is_none())
            {
                e.s.heard_phone = None;
                let factors = Factors {
                    phone: None,
                    ..Factors::of(ent)
                };
                hear_order(e, n, factors);
                return Answer::Filled;
            }
            // "My phone, 512 555 0108": another phone than the one heard is a correction
            // of it, asked about the same way (nothing is looked up yet).
            if let Some(other) = ent
                .phone_number
                .as_ref()
                .filter(|p| p.len() >= 10 && **p != phone && ent.email.is_none())
            {
                e.s.heard_phone = Some(other.clone());
                e.ask(Ask::PhoneFactor, p!("ask_phone_factor"), &[]);
                return Answer::Handled;
            }
            if !factor_given(said) {
                return Answer::Missed;
            }
            let accepted = e.config().policy.verification.factors.clone();
            let given = Factors::of(ent).usable(Identifier::Phone, &accepted);
            if given.is_empty() {
                // The phone number again (or another one): it finds the orders, it
                // cannot also prove whose they are. Nor can a zip.
                let key = if ent.zip_code.is_some() {
                    p!("zip_not_for_account_phone")
                } else {
                    p!("factor_not_the_phone")
                };
                e.ask(Ask::PhoneFactor, key, &[]);
                return Answer::Handled;
            }
            check_phone(e, phone, &given, facts)
        }
        // "All of them" at "which one?" for a status: each in turn, newest first.
        Ask::PickOrder(numbers)
            if e.task().goal() == Goal::Status && e.phrases().any("all_items", &said.words) =>
        {
            let chosen = numbers[0].clone();
            e.s.queue = numbers[1..].to_vec();
            use_order(e, chosen);
            Answer::Filled
        }
        // "Is the coffee subscription still coming next week?" at "which order?": the
        // subscription is asked about, not the order that holds coffee.
        Ask::PickOrder(_)
            if said.intent == Intent::ManageSubscription
                && e.phrases().any("subscription_word", &said.words) =>
        {
            e.ask = Ask::Nothing;
            e.task = None;
            e.route(said, facts);
            Answer::Handled
        }
        Ask::PickOrder(numbers) => match pick(e, said, numbers, facts) {
            Some(i) => {
                let chosen = numbers[i].clone();
                // "Send the latest one to 9 Rose Lane, Dallas" at the list of orders
                // found for a status: the change is what is wanted now, of the order
                // picked, not that order's status.
                let change = Goal::from_intent(said.intent).filter(|g| {
                    g.acts_on_the_order()
                        && said.confidence >= e.config().dialog.switch_confidence
                        && !only_describes(said, numbers, facts)
                });
                match change.filter(|_| e.task().goal() == Goal::Status) {
                    Some(goal) => {
                        let task = e.task();
                        task.words = said.words.clone();
                        task.cues = said.cues.clone();
                        task.heard = said.entities.clone();
                        task.become_goal(goal);
                        if let Some(address) = said.address.as_ref() {
                            if goal == Goal::ChangeAddress {
                                crate::request::merge_address(e.task().address(), address);
                            }
                        }
                        e.s.queue.clear();
                    }
                    None if e.task().goal() == Goal::Status => {
                        e.s.queue = numbers.iter().filter(|n| **n != chosen).cloned().collect();
                    }
                    None => {}
                }
                use_order(e, chosen);
                Answer::Filled
            }
            None => Answer::Missed,
        },
        // "Can you use my phone number instead?": the phone on the orders finds them.
        Ask::AccountEmail if ent.email.is_none() && ent.phone_number.is_some() => {
            e.s.heard_phone = ent.phone_number.clone();
            let factors = Factors::of(ent);
            e.s.heard_factors = (!factors.is_empty()).then_some(factors);
            match by_phone(e, facts) {
                Some(true) => Answer::Filled,
                Some(false) => Answer::Handled,
                None => Answer::Missed,
            }
        }
        Ask::AccountEmail => match &ent.email {
            Some(email) => {
                ask_account_factor(e, email, facts);
                Answer::Handled
            }
            None => Answer::Missed,
        },
        Ask::AccountFactor(id) => {
            if !factor_given(said) {
                return Answer::Missed;
            }
            let email = e.s.heard_phone.clone().unwrap_or_default();
            let accepted = e.config().policy.verification.factors.clone();
            let given = Factors::of(ent).usable(Identifier::AccountEmail, &accepted);
            if given.is_empty() {
                // The account's email again: it finds the account, it cannot prove it.
                // Nor can a zip.
                let key = if ent.zip_code.is_some() {
                    p!("zip_not_for_account_email")
                } else {
                    p!("factor_not_the_email")
                };
                e.ask(Ask::AccountFactor(*id), key, &[]);
                return Answer::Handled;
            }
            let key = LockKey::Account(email);
            let customer = match facts.customer(*id) {
                Ok(c) => c,
                Err(err) => {
                    e.store_trouble(&err);
                    return Answer::Handled;
                }
            };
            let covers: Vec<LockKey> = customer
                .as_ref()
                .and_then(|c| c.phone.clone())
                .map(LockKey::Phone)
                .into_iter()
                .collect();
            if locked(e, &key, &covers, facts) {
                return Answer::Handled;
            }
            let matched = customer.as_ref().is_some_and(|c| {
                let zip = given
                    .zip
                    .as_ref()
                    .is_some_and(|z| c.billing_zip.as_deref() == Some(z.as_str()));
                let phone = match (&given.phone, &c.phone) {
                    (Some(a), Some(b)) => same_phone(a, b),
                    _ => false,
                };
                zip || phone
            });
            if !check(e, key, &covers, matched, Ask::AccountFactor(*id), facts) {
                return Answer::Handled;
            }
            e.s.heard_phone = None;
            e.s.customer = Some(*id);
            e.say_verified(facts, &[NoticeScope::Customer(*id)]);
            Answer::Filled
        }
        Ask::WhichMember(ids) => {
            let mut named = Vec::new();
            for id in ids {
                match facts.customer(*id) {
                    Ok(Some(c)) if first_name_said(&c.name, &said.words) => named.push(c.id),
                    Ok(_) => {}
                    Err(err) => {
                        e.store_trouble(&err);
                        return Answer::Handled;
                    }
                }
            }
            match named.as_slice() {
                [id] => {
                    e.s.customer = Some(*id);
                    Answer::Filled
                }
                _ => Answer::Missed,
            }
        }
        _ => Answer::Missed,
    }
}

/// Whether digits heard at the factor question are too short for an order number this
/// store uses, and so are an answer to the question (a zip or phone misheard).
fn too_short_for_an_order(e: &Engine, digits: &str) -> bool {
    let lengths = &e.config().policy.verification.order_number_digits;
    let shortest = lengths.iter().copied().min().unwrap_or(0);
    digits.len() < shortest.min(10) && !lengths.contains(&digits.len())
}

/// Whether a check failed in this call and checks may still go on, which rules out a
/// zip as proof for any order: known from the call alone, so a question asked on it
/// tells nothing of any order. (A zip refused for another customer's order says nothing
/// of the caller's own next one.)
fn check_failed_in_this_call(e: &Engine) -> bool {
    let max = e.config().policy.verification.max_attempts;
    e.s.failures > 0 && e.s.failures < max
}

/// Whether the identity question leaves the zip out: a purchase on the saved card, or a
/// check failed in this call.
fn zip_will_not_do(e: &Engine) -> bool {
    e.s.spending_needs_strong || check_failed_in_this_call(e)
}

/// "What's the zip, or the email or phone?" asked again, without the zip once this call
/// has ruled it out.
fn factor_again_key(e: &Engine) -> &'static str {
    if zip_will_not_do(e) {
        p!("ask_strong_factor_again")
    } else {
        p!("ask_factor_again")
    }
}

/// Whether digits said at the identity question put the order number right rather
/// than answer it: said with a no ("no, it's …", "that's wrong") or naming the order
/// number ("the order number is …"), and not naming a zip, phone or email.
fn corrects_the_number(e: &Engine, said: &Said<'_>) -> bool {
    let ph = e.phrases();
    if factor_given(said) || ph.any("names_a_factor", &said.words) {
        return false;
    }
    e.yes_no(said) == Some(false) || words_correct_the_number(e, &said.words)
}

/// Whether the words deny the number read back or name the order number ("no, it's
/// …", "that's wrong", "the order number is …"), whatever else they hold.
pub(crate) fn words_correct_the_number(e: &Engine, words: &[String]) -> bool {
    let ph = e.phrases();
    ph.any("denies_the_read_back", words)
        || ph.any("names_the_order_number", words)
        || words
            .first()
            .is_some_and(|w| matches!(w.as_str(), "no" | "nope" | "nah"))
}

fn factor_given(said: &Said<'_>) -> bool {
    let ent = &said.entities;
    ent.zip_code.is_some() || ent.email.is_some() || ent.phone_number.is_some()
}

/// Yes/no answers to the identity questions.
/// The answer to "can I use the order number you gave earlier?".
pub(crate) fn decide(e: &mut Engine, yes: bool, facts: &dyn Facts) {
    if yes {
        if let Some(focus) = e.s.focus.clone() {
            use_order(e, focus);
        }
        e.advance(facts);
    } else {
        e.s.focus = None;
        ask_order_number(e);
    }
}

/// Whether an order suits a request (e.g. only delivered orders can be returned).
fn relevant(goal: Goal, status: OrderStatus) -> bool {
    use OrderStatus::*;
    match goal {
        Goal::Status | Goal::Track => !matches!(status, Cancelled | Returned),
        Goal::Cancel | Goal::ChangeAddress => matches!(status, PendingConfirmation | Processing),
        Goal::Confirm => status == PendingConfirmation,
        Goal::Reschedule => matches!(status, PendingConfirmation | Processing | Shipped | Delayed),
        Goal::Return | Goal::Exchange => {
            matches!(status, Delivered | Returned | OutForDelivery | Shipped)
        }
        // "It never came" is a problem with an order running late too.
        Goal::Problem => {
            matches!(
                status,
                Delivered | Returned | OutForDelivery | Shipped | Delayed
            )
        }
        // "Did I get my money back?" is asked of cancelled orders too.
        Goal::ReturnStatus => {
            matches!(
                status,
                Delivered | Returned | OutForDelivery | Shipped | Cancelled
            )
        }
        Goal::Place | Goal::Reorder | Goal::Subscription => true,
    }
}

/// Whether the order holds the product, another colour or size of it, or an item
/// whose name has every word the caller said of it (`named`: "tea").
fn order_holds(facts: &dyn Facts, number: &str, sku: &str, named: &[String]) -> bool {
    facts.order(number).ok().flatten().is_some_and(|order| {
        holds_product(&order, sku, facts)
            || !named.is_empty()
                && order
                    .items
                    .iter()
                    .any(|i| item_name_words_said(&i.name, named) == named.len())
    })
}

/// Offers the caller's orders that suit the request: uses the only one, or lists them.
/// Returns false when none suits (the caller is then asked for an order number).
fn offer_orders(e: &mut Engine, orders: &[OrderSummary], goal: Goal, facts: &dyn Facts) -> bool {
    let max = e.config().dialog.max_listed_orders;
    // "Did Sofia's order get cancelled?": a status asked of a cancelled order looks
    // among cancelled orders too.
    let asks_cancelled = goal == Goal::Status
        && e.task_ref()
            .is_some_and(|t| e.phrases().any("was_cancelled", &t.words));
    let mut fitting: Vec<&OrderSummary> = orders
        .iter()
        .filter(|o| {
            relevant(goal, o.status) || asks_cancelled && o.status == OrderStatus::Cancelled
        })
        .collect();
    if fitting.is_empty() {
        return false;
    }
    // "Cancel my lamp order" with no lamp in the orders that can be cancelled: the
    // order holding one, whose request then says why it cannot be done; with none,
    // the caller hears that no order holds it before any other order is used.
    if let Some(sku) = e.task_ref().and_then(|t| t.heard.product.clone()) {
        // The words said of it ("tea"), for a product named by a word several share.
        let said = e
            .task_ref()
            .map(|t| item_words_said(e, &t.words))
            .unwrap_or_default();
        let named: Vec<String> = facts
            .product(&sku)
            .ok()
            .flatten()
            .map(|p| {
                crate::locale::words(&p.name)
                    .iter()
                    .map(|w| singular(w))
                    .filter(|w| w.len() > 2 && said.contains(w))
                    .collect()
            })
            .unwrap_or_default();
        let holds = |o: &OrderSummary| order_holds(facts, &o.order_number, &sku, &named);
        if !fitting.iter().any(|o| holds(o)) {
            if let Some(o) = orders.iter().find(|o| holds(o)) {
                use_order(e, o.order_number.clone());
                return true;
            }
            if let Ok(Some(p)) = facts.product(&sku) {
                let item = pw::product_name(pw::family_part(&p.name));
                e.say(p!("named_item_not_found"), &[("item", item)]);
            }
        }
    }
    // "The order I cancelled": only cancelled ones, when there are any.
    let said_cancelled = e
        .task_ref()
        .is_some_and(|t| e.phrases().any("was_cancelled", &t.words));
    if said_cancelled && fitting.iter().any(|o| o.status == OrderStatus::Cancelled) {
        fitting.retain(|o| o.status == OrderStatus::Cancelled);
    }
    // "My husband's order, the one that's late": the orders in the state said, when any
    // is; one alone is the order meant.
    let states = e
        .task_ref()
        .map(|t| statuses_in(&t.cues))
        .unwrap_or_default();
    if !states.is_empty() && fitting.iter().any(|o| states.contains(&o.status)) {
        fitting.retain(|o| states.contains(&o.status));
        if fitting.len() == 1 && goal == Goal::Status {
            use_order(e, fitting[0].order_number.clone());
            return true;
        }
    }
    // "Diego's diapers are still not here": an order still to come, when any is; one
    // alone is the order meant.
    let still_waiting = e
        .task_ref()
        .is_some_and(|t| e.phrases().any("still_waiting", &t.words));
    if still_waiting && fitting.iter().any(|o| o.status.is_still_to_come()) {
        fitting.retain(|o| o.status.is_still_to_come());
        if fitting.len() == 1 && goal == Goal::Status {
            use_order(e, fitting[0].order_number.clone());
            return true;
        }
    }
    // "Where's my hoodie order?": the orders whose items the request named, looked for
    // before the list is cut, so a jacket ordered before the newest few is still found.
    if fitting.len() > 1 {
        let words = e
            .task_ref()
            .map(|t| item_words_said(e, &t.words))
            .unwrap_or_default();
        let scores: Vec<usize> = fitting
            .iter()
            .map(|o| {
                facts
                    .order(&o.order_number)
                    .ok()
                    .flatten()
                    .map_or(0, |order| name_words_said(&order, &words))
            })
            .collect();
        if let Some(i) = unique_best(&scores) {
            // A status names the items itself: the order is not introduced first.
            if goal == Goal::Status {
                use_order(e, fitting[i].order_number.clone());
                return true;
            }
            fitting = vec![fitting[i]];
        } else if let Some(best) = scores.iter().copied().max().filter(|&b| b > 0) {
            // Two orders hold a rain jacket: the choice is between those two alone.
            let mut named = scores.iter().map(|&s| s == best);
            fitting.retain(|_| named.next().unwrap_or(false));
        }
    }
    // "The tracking for something I ordered on the fifth of March", "my coffee order
    // from November", "last month's order": the orders of that day, month or period,
    // when any was placed then. A date with another request is when to deliver, not
    // when it was ordered.
    if fitting.len() > 1 {
        let placed_when = e.task_ref().and_then(|t| {
            let window = placed_window(e, &t.words, &t.cues, t.heard.date)?;
            let hits: Vec<bool> = fitting.iter().map(|o| window(o.order_date)).collect();
            hits.contains(&true).then_some(hits)
        });
        if let Some(hits) = placed_when {
            let mut hit = hits.into_iter();
            fitting.retain(|_| hit.next().unwrap_or(false));
        }
    }
    // "What did I order last time?", "where's my latest order?": the newest (orders are
    // listed newest first).
    let newest = e
        .task_ref()
        .is_some_and(|t| e.phrases().any("newest_order", &t.words));
    if newest && fitting.len() > 1 {
        fitting.truncate(1);
    }
    if fitting.len() == 1 {
        let o = fitting[0];
        let args = describe(e, o);
        let key = if goal == Goal::Status {
            p!("using_order_dated")
        } else {
            e.items_named = Some(o.order_number.clone());
            p!("using_order")
        };
        e.say(key, &args);
        use_order(e, o.order_number.clone());
        return true;
    }
    // Recent orders first; only the newest few are read out, and the others can still
    // be picked by what was in them, when or whose they were ("the February one").
    let listed: Vec<String> = fitting
        .iter()
        .take(max)
        .enumerate()
        .map(|(i, o)| {
            let mut args = describe(e, o);
            args.push(("ordinal", st::ordinal_words(i as u32 + 1)));
            e.text(p!("order_list_item"), &args)
        })
        .collect();
    let numbers = fitting.iter().map(|o| o.order_number.clone()).collect();
    let args = |orders: String| {
        [
            ("count", st::number_words(fitting.len() as u64)),
            ("orders", orders),
        ]
    };
    if fitting.len() > listed.len() {
        e.ask(
            Ask::PickOrder(numbers),
            p!("pick_order_newest"),
            &args(st::list_or(&listed)),
        );
    } else {
        e.ask(
            Ask::PickOrder(numbers),
            p!("pick_order"),
            &args(st::list_or(&listed)),
        );
    }
    true
}

fn describe(e: &Engine, o: &OrderSummary) -> Vec<(&'static str, String)> {
    vec![
        ("date", st::short_date(o.order_date, e.today())),
        (
            "item",
            item_words_brief(&e.catalog, &o.first_item, o.first_qty),
        ),
        ("more", more_items(e, o)),
        (
            "last4",
            st::digits_grouped(&o.order_number[o.order_number.len().saturating_sub(4)..]),
        ),
    ]
}

fn more_items(e: &Engine, o: &OrderSummary) -> String {
    match (o.item_count, &o.second_item) {
        (0 | 1, _) => String::new(),
        // Two things are said as two, not "and one more item".
        (2, Some((name, qty))) => {
            format!("and {}", pw::product_phrase_indefinite(name, *qty, false))
        }
        (2, None) => e.text(p!("more_items_one"), &[]),
        (n, _) => e.text(
            p!("more_items_many"),
            &[("count", st::number_words(u64::from(n - 1)))],
        ),
    }
}

/// Which listed order the caller means: by its last digits, what is in it ("the water
/// bottle one"), its state ("the delayed one"), when it was placed ("the one from last
/// week", "March third"), or its position ("the second one"). A description that fits
/// more than one order picks none, so the caller is asked again.
/// The member of the caller's household whose first name the words say ("the one Jonah
/// ordered", "Mia's order"); none when no member or several are named.
pub(crate) fn member_named(e: &Engine, words: &[String], facts: &dyn Facts) -> Option<i64> {
    let customer = e.s.customer?;
    let members = facts.household_members(customer).ok()?;
    let named: Vec<i64> = members
        .into_iter()
        .filter(|&m| {
            facts
                .customer(m)
                .ok()
                .flatten()
                .is_some_and(|row| first_name_said(&row.name, words))
        })
        .collect();
    match named.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// Whether the words say a person's first name, alone or possessive ("jonah's").
fn first_name_said(full_name: &str, words: &[String]) -> bool {
    let Some(first) = full_name.split_whitespace().next() else {
        return false;
    };
    let first = first.to_lowercase();
    first.chars().count() > 1
        && words.iter().any(|w| {
            let w = w.trim_end_matches("'s").trim_end_matches("s'");
            w == first
        })
}

/// Whether the words hold this tracking number, however it was grouped or spaced
/// ("276207980797", "2762 0798 0797", "1Z 999 AA1…"): at least eight characters of it.
fn tracking_said(text: &str, tracking: &str) -> bool {
    let squash = |t: &str| st::identifier_chars(t).into_iter().collect::<String>();
    let tracking = squash(tracking);
    tracking.len() >= 8 && squash(text).contains(&tracking)
}

pub(crate) fn pick(
    e: &Engine,
    said: &Said<'_>,
    numbers: &[String],
    facts: &dyn Facts,
) -> Option<usize> {
    if let Some(n) = &said.entities.order_number {
        if let Some(i) = numbers
            .iter()
            .position(|x| x == n || x.ends_with(n.as_str()))
        {
            return Some(i);
        }
    }
    if let Some(n) = said
        .entities
        .quantity
        .or_else(|| said.words.iter().find_map(|w| w.parse().ok()))
    {
        let digits = n.to_string();
        if digits.len() >= 3 {
            if let Some(i) = numbers.iter().position(|x| x.ends_with(&digits)) {
                return Some(i);
            }
        }
    }
    // Index-aligned with `numbers`: an order that cannot be read fits no description.
    let orders: Vec<Option<Order>> = numbers
        .iter()
        .map(|n| facts.order(n).ok().flatten())
        .collect();
    // "The one with tracking 2762 0798 0797": the carrier's number on the label names
    // its order as well as the order number does.
    if let Some(i) = orders.iter().position(|o| {
        o.as_ref()
            .and_then(|o| o.tracking_number.as_deref())
            .is_some_and(|t| tracking_said(&said.text, t))
    }) {
        return Some(i);
    }
    // A person named ("Jonah's order") outweighs what is in it; the items then choose
    // among that person's orders.
    let by_item: Vec<usize> = orders
        .iter()
        .map(|o| {
            o.as_ref().map_or(0, |o| {
                let person = if first_name_said(&o.customer.name, &said.words) {
                    100
                } else {
                    0
                };
                person + item_score(e, said, o, facts)
            })
        })
        .collect();
    if let Some(i) = unique_best(&by_item) {
        return Some(i);
    }
    // "The rain jacket one" when an older order, not read out, has one too: the order
    // the caller heard described is meant.
    let read_out = by_item.len().min(e.config().dialog.max_listed_orders);
    if read_out < by_item.len() {
        if let Some(i) = unique_best(&by_item[..read_out]) {
            return Some(i);
        }
    }
    let statuses = statuses_named(said);
    if !statuses.is_empty() {
        let fits: Vec<usize> = orders
            .iter()
            .map(|o| usize::from(o.as_ref().is_some_and(|o| statuses.contains(&o.status))))
            .collect();
        if let Some(i) = unique_best(&fits) {
            return Some(i);
        }
    }
    if let Some(i) = by_date(e, said, &orders) {
        return Some(i);
    }
    // "The most recent one", "my last order": the newest, listed first.
    if e.phrases().any("newest_order", &said.words) {
        return Some(0);
    }
    // "Last" in "last week" is not a position (understanding reads it so).
    said.position(numbers.len())
}

/// The position of the only highest score, if it is above zero.
fn unique_best(scores: &[usize]) -> Option<usize> {
    let best = scores.iter().copied().max().filter(|&b| b > 0)?;
    (scores.iter().filter(|&&s| s == best).count() == 1)
        .then(|| scores.iter().position(|&s| s == best))
        .flatten()
}

/// Another verified order the request's words name by an item ("the one with the
/// belt"), when the order in focus holds no such item and exactly one other does.
/// Whether the request names a product (or its family) that no line of `focus` holds.
fn names_what_focus_lacks(e: &Engine, focus: &str, facts: &dyn Facts) -> bool {
    let Some(task) = e.task_ref() else {
        return false;
    };
    // "And my order from last week?" after February's: placed at another time.
    let placed_otherwise =
        placed_window(e, &task.words, &task.cues, task.heard.date).is_some_and(|window| {
            facts
                .order(focus)
                .ok()
                .flatten()
                .is_some_and(|o| !window(o.order_date))
        });
    placed_otherwise
        || names_what_order_lacks(e, focus, task.heard.product.as_deref(), &task.words, facts)
}

/// Whether `words` (with `sku`, the product heard in them) name a product that no line
/// of order `number` holds.
pub(crate) fn names_what_order_lacks(
    e: &Engine,
    number: &str,
    sku: Option<&str>,
    words: &[String],
    facts: &dyn Facts,
) -> bool {
    let Some(sku) = sku else {
        return false;
    };
    let Ok(Some(order)) = facts.order(number) else {
        return false;
    };
    // "Return the candle from it": an item of the order named by its own words is the
    // order's, whichever catalog product the words matched best.
    let words = item_words_said(e, words);
    !holds_product(&order, sku, facts) && name_words_said(&order, &words) == 0
}

/// The family of a catalog product (every size and colour of one item share it), when
/// the catalog has the product.
pub(crate) fn family_of(sku: &str, facts: &dyn Facts) -> Option<String> {
    facts.product(sku).ok().flatten().map(|p| p.family)
}

/// Whether two SKUs are the same product, or sizes or colours of one.
pub(crate) fn same_product(a: &str, b: &str, facts: &dyn Facts) -> bool {
    a == b || family_of(a, facts).is_some_and(|f| family_of(b, facts) == Some(f))
}

/// Whether a line of the order is the product, or another size or colour of it.
pub(crate) fn holds_product(order: &Order, sku: &str, facts: &dyn Facts) -> bool {
    line_of(order, sku, facts).is_some()
}

/// The SKU of the order's line that is the product, or another size or colour of it.
pub(crate) fn line_of(order: &Order, sku: &str, facts: &dyn Facts) -> Option<String> {
    let wanted = family_of(sku, facts);
    order
        .items
        .iter()
        .find(|it| it.sku == sku || (wanted.is_some() && family_of(&it.sku, facts) == wanted))
        .map(|it| it.sku.clone())
}

fn verified_order_named(e: &mut Engine, focus: &str, facts: &dyn Facts) -> Option<String> {
    let words = item_words_said(e, &e.task_ref()?.words);
    let score = |number: &str| match facts.order(number) {
        Ok(Some(order)) => name_words_said(&order, &words),
        _ => 0,
    };
    if score(focus) > 0 {
        return None;
    }
    let mut others: Vec<String> = e.s.verified.clone();
    others.sort();
    others.dedup();
    others.retain(|n| n != focus);
    let scores: Vec<usize> = others.iter().map(|n| score(n)).collect();
    unique_best(&scores).map(|i| others.swap_remove(i))
}

/// How well what was said describes the items of an order: the product heard (exactly,
/// or another size or colour of it), then the words of an item's name said.
fn item_score(e: &Engine, said: &Said<'_>, order: &Order, facts: &dyn Facts) -> usize {
    let family = |sku: &str| family_of(sku, facts);
    let heard = said.entities.product.as_deref();
    let heard_family = heard.and_then(family);
    let said_words = item_words_said(e, &said.words);
    order
        .items
        .iter()
        .map(|it| {
            let product = match heard {
                Some(sku) if sku == it.sku => 10,
                Some(_) if heard_family.is_some() && family(&it.sku) == heard_family => 5,
                _ => 0,
            };
            product + item_name_words_said(&it.name, &said_words)
        })
        .max()
        .unwrap_or(0)
}

/// The words of an utterance that may name an item, singular ("the bottles" → "bottle").
fn item_words_said(e: &Engine, words: &[String]) -> Vec<String> {
    e.phrases()
        .without("pick_ignore", words)
        .iter()
        .map(|w| singular(w))
        .collect()
}

/// How many words of an item's name were said (`said`: from [`item_words_said`]).
pub(crate) fn item_name_words_said(name: &str, said: &[String]) -> usize {
    crate::locale::words(name)
        .iter()
        .map(|w| singular(w))
        .filter(|w| w.len() > 2 && said.contains(w))
        .count()
}

/// The most words of any one item's name said.
fn name_words_said(order: &Order, said: &[String]) -> usize {
    order
        .items
        .iter()
        .map(|it| item_name_words_said(&it.name, said))
        .max()
        .unwrap_or(0)
}

/// "bottles" and "bottle" are the same item word.
pub(crate) fn singular(w: &str) -> String {
    match w.strip_suffix('s') {
        Some(stem) if stem.len() > 2 && !stem.ends_with('s') => stem.to_string(),
        _ => w.to_string(),
    }
}

/// Order states named in a description ("the delayed one", "the one not shipped yet").
fn statuses_named(said: &Said<'_>) -> Vec<OrderStatus> {
    statuses_in(&said.cues)
}

/// The order states among the cues of what was said.
fn statuses_in(cues: &[Cue]) -> Vec<OrderStatus> {
    cues.iter()
        .filter_map(|c| match c {
            Cue::Status(s) => Some(*s),
            _ => None,
        })
        .collect()
}

/// When the words say an order was placed, as a test of its order date: a day ("ordered
/// on the fifth of March"), a month said alone ("my order from November") or a period
/// ("last month's order"). None when they say no such time.
fn placed_window(
    e: &Engine,
    words: &[String],
    cues: &[Cue],
    date: Option<chrono::NaiveDate>,
) -> Option<Box<dyn Fn(chrono::NaiveDate) -> bool>> {
    if let Some(date) = date.filter(|_| e.phrases().any("ordered_on", words)) {
        let (month, day) = (date.month(), date.day());
        return Some(if month_alone(words, date) {
            Box::new(move |d: chrono::NaiveDate| d.month() == month)
        } else {
            Box::new(move |d: chrono::NaiveDate| d.month() == month && d.day() == day)
        });
    }
    let (from, to) = period_bounds(e, cues)?;
    Some(Box::new(move |d| d >= from && d <= to))
}

/// Whether a date read from `words` is a month said without its day: "the February
/// one", "my order from November" read as the first of the month.
fn month_alone(words: &[String], date: chrono::NaiveDate) -> bool {
    date.day() == 1
        && !words
            .iter()
            .any(|w| matches!(w.as_str(), "first" | "1st" | "1"))
}

/// The first and last day of the period said ("last week", "this month"), if any.
fn period_bounds(e: &Engine, cues: &[Cue]) -> Option<(chrono::NaiveDate, chrono::NaiveDate)> {
    let today = e.today();
    let monday = today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let first_of_month = today.with_day(1).unwrap_or(today);
    let period = cues.iter().find_map(|c| match c {
        Cue::Period(p) => Some(*p),
        _ => None,
    })?;
    Some(match period {
        Period::LastWeek => (
            monday - chrono::Duration::days(7),
            monday - chrono::Duration::days(1),
        ),
        Period::ThisWeek => (monday, today),
        Period::LastMonth => {
            let last = first_of_month - chrono::Duration::days(1);
            (last.with_day(1).unwrap_or(last), last)
        }
        Period::ThisMonth => (first_of_month, today),
    })
}

/// An order picked by when it was placed: the date said (callers mean a past date, so a
/// month and day match whatever year the date reader chose, and a day alone matches the
/// day of the month), or a period ("last week", "this month").
fn by_date(e: &Engine, said: &Said<'_>, orders: &[Option<Order>]) -> Option<usize> {
    let dates: Vec<Option<chrono::NaiveDate>> = orders
        .iter()
        .map(|o| o.as_ref().map(|o| o.order_date))
        .collect();
    let fits = |f: &dyn Fn(chrono::NaiveDate) -> bool| -> Option<usize> {
        let hits: Vec<usize> = dates
            .iter()
            .map(|d| usize::from(d.is_some_and(f)))
            .collect();
        unique_best(&hits)
    };
    if let Some(date) = said.entities.date {
        if month_alone(&said.words, date) {
            if let Some(i) = fits(&|d| d.month() == date.month()) {
                return Some(i);
            }
        }
        if let Some(i) = fits(&|d| d == date)
            .or_else(|| fits(&|d| d.month() == date.month() && d.day() == date.day()))
            .or_else(|| fits(&|d| d.day() == date.day()))
        {
            return Some(i);
        }
    }
    let (from, to) = period_bounds(e, &said.cues)?;
    fits(&|d| d >= from && d <= to)
}

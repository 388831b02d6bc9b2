//! The order dialog: a pure state machine over a closed [`Event`] (the start of a call,
//! an utterance and what the NLU made of it, keypad digits, a silence, a failed write)
//! that reads the store through [`Facts`] and answers with a [`Step`]: the text to say,
//! the [`Change`]s to apply (each becomes an outbox command) and the identity checks the
//! store decided.
//!
//! Architecture invariant: the engine does no I/O. It reads only through `Facts`, and
//! its one request that the store records something is an identity check, which must be
//! decided atomically across conversations (`Facts::check_identity`); its wording comes
//! from the locale catalog; its policy from [`Config`]. The same event sequence over the
//! same facts gives the same steps.
//!
//! Layout, top down: this file takes events and keeps the engine; `routing` decides
//! which request an utterance starts or interrupts and how requests end; `questions`
//! fills the question asked from an answer; `identity` verifies callers; `goals/` drives
//! each kind of request (`orders`, `returns`, `commerce`), no goal importing another;
//! below them `speak` (saying prompts, order words), `request` (one variant per goal),
//! `session` (questions asked, the utterance, the conversation's memory), `notices`
//! (what sync learned, in words), `facts` and `locale`.

pub mod facts;
mod goals;
mod identity;
pub mod locale;
pub mod notices;
mod questions;
mod request;
mod routing;
mod session;
mod speak;

use crate::speak::capitalised;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDateTime;
use serde::Serialize;

use voxorder_config::Config;
use voxorder_domain::change::Change;
use voxorder_domain::change::HandOffReason;
use voxorder_domain::interpretation::{Cue, Interpretation};
use voxorder_domain::order::OrderStatus;
use voxorder_domain::verification::{IdentityVerdict, LockKey};
use voxorder_domain::vocab::EntityKind;
use voxorder_domain::vocab::Intent;

pub use facts::{Facts, FactsError, FactsQuery, PolicyAnswer};
pub use locale::{Catalog, LocaleError};
pub(crate) use request::{Goal, Problem, SubAction, Task};
pub use session::AnswerShape;
pub(crate) use session::{Answer, Ask, Said, YesNo};

/// Names a prompt of the locale catalog (a unit test checks each name exists).
macro_rules! p {
    ($key:literal) => {
        $key
    };
}
pub(crate) use p;

/// What happened.
#[derive(Debug, Clone)]
pub enum Event {
    /// The conversation opens. `confirm_order`: an outbound confirmation call about this
    /// order (the device called the number on the order).
    Start { confirm_order: Option<String> },
    /// The caller said something, and what understanding made of it.
    Utterance(Box<Interpretation>),
    /// Digits typed on the keypad (`*` and `#` ignored).
    Keypad(String),
    /// The caller said nothing for the configured time.
    Timeout,
    /// The last step's changes could not be written; nothing was applied.
    ApplyFailed,
}

/// An identity check the store decided during a step (already recorded there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityCheck {
    pub key: LockKey,
    pub verdict: IdentityVerdict,
}

/// The engine's answer to one event.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Step {
    /// What to say.
    pub reply: String,
    /// Say it slower (the caller asked to hear it again).
    pub slow: bool,
    /// Changes to apply, all together, before the reply is spoken.
    pub changes: Vec<Change>,
    /// Identity checks decided by the store in this step, for the record.
    pub checks: Vec<IdentityCheck>,
    /// The conversation is over (goodbye, or handed to a person).
    pub end: bool,
    /// The utterance answered the agent's question (whatever intent it looked like).
    pub answered: bool,
    /// Sync notices said in this step, to mark as delivered.
    pub notices: Vec<i64>,
}

/// How a conversation ended, for the operators' report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Contained,
    Escalated,
    Abandoned,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Contained => "contained",
            Outcome::Escalated => "escalated",
            Outcome::Abandoned => "abandoned",
        }
    }
}

/// Who the device already knows before anyone speaks.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// A smart speaker's linked account: the household's customer.
    pub customer_id: Option<i64>,
}

/// The agent's memory of one conversation.
#[derive(Debug, Default)]
pub(crate) struct Session {
    /// Orders the caller proved they own.
    pub verified: Vec<String>,
    /// A customer known from a verified phone/email path or a linked speaker.
    pub customer: Option<i64>,
    /// The household a linked speaker speaks for, known before anyone spoke.
    pub speaker: Option<i64>,
    /// The order the conversation is about (verified).
    pub focus: Option<String>,
    /// An order number heard but not yet verified.
    pub heard_order: Option<String>,
    /// Order numbers the caller said in this call: only these are read back in full.
    pub said_numbers: Vec<String>,
    /// The order number last read back to the caller for a check.
    pub read_back: Option<String>,
    /// The order an outbound confirmation call is about.
    pub called_about: Option<String>,
    /// Orders proved in this call by a fact only their customer knows (a zip, an email,
    /// the phone on them), not only by answering the shop's call with "yes, it's me".
    pub proved: Vec<String>,
    /// Orders proved by their email or phone, not a billing zip alone: a zip can be
    /// guessed from the city, so only these may be sent somewhere else.
    pub proved_strongly: Vec<String>,
    /// Faults made good in this call with the goods left with the caller (refunded or
    /// replaced, nothing sent back): a second such claim goes to the team.
    pub kept_goods_remedies: u32,
    /// The order a redirect is asked for, while its email or phone is asked: a zip does
    /// not answer that question.
    pub redirect_needs: Option<String>,
    /// A missing item reported on an order checked by its zip alone waits for the
    /// order's email or phone: given at the offer of the team, it is checked, and the
    /// report goes on.
    pub step_up_for: Option<(String, Task)>,
    /// The items of a report the team was offered, by name, for the hand-off's summary.
    pub report_items: Option<String>,
    /// A purchase on a saved card waits for an order proved by its email or phone: a zip
    /// does not answer that question either.
    pub spending_needs_strong: bool,
    /// The caller said they are a guest of the household whose speaker this is ("Ada's
    /// friend, staying over"): the speaker vouches for its members only.
    pub guest: bool,
    /// What of an order was not read for want of its email or phone (the street, the
    /// tracking number): given next, it is read.
    pub withheld: Option<(String, Withheld)>,
    /// Every request heard in this call, in the order first heard: a hand-off's summary
    /// says all that the caller wanted, not only the first.
    pub asked: Vec<Intent>,
    /// The caller's last few lines, with personal data masked, for a hand-off's summary.
    pub last_lines: Vec<String>,
    /// The first name of the customer an outbound call is for.
    pub callee: Option<String>,
    /// A phone number heard on the phone path.
    pub heard_phone: Option<String>,
    /// An account's email said with the first request, before anything was asked.
    pub heard_email: Option<String>,
    /// Verification factors said together with the heard order number, before the agent
    /// asked for one.
    pub heard_factors: Option<identity::Factors>,
    /// Other orders of the caller still to go through, in turn.
    pub queue: Vec<String>,
    /// Identity checks failed in this conversation.
    pub failures: u32,
    /// Voice look-ups were refused in this call for a lock: the team hears so.
    pub locked_out: bool,
    /// A zip was refused as the factor in this call (a check on the order failed, here
    /// or in an earlier call): the email or phone is what is asked now.
    pub zip_refused: bool,
    /// The caller said they do not have the order number: the phone or email on the
    /// order is asked instead, for this request and the next.
    pub number_unknown: bool,
    /// The caller said they do not know the facts that prove who they are.
    pub factor_unknown: bool,
    /// The caller asked for a change on someone else's behalf: no change is made in
    /// this call.
    pub for_someone_else: bool,
    /// The caller named someone else's account, card or order as what pays ("put it on
    /// my mom's account", "her card"): nothing is bought on it in this call.
    pub anothers_account: bool,
    /// Gift cards bought by voice in this call, in cents: the cap on them holds for the
    /// call (and, on a household's speaker, the day), not only for each order.
    pub gift_cards_bought_cents: i64,
    /// The caller said the item was a gift to them ("my aunt sent me a present"): a
    /// return of it may be made for whoever placed the order, with the refund going
    /// back to them, as the returns policy allows.
    pub gift_received: bool,
    /// Orders marked in this call because the caller said they act for someone else:
    /// the mark guards later calls, not this caller's promised read of the order.
    pub marked_for_another: Vec<String>,
    /// Orders with failed checks, or a change refused for someone else, from earlier
    /// calls: found when the order is checked, before a match forgets them.
    pub tried_before: Vec<String>,
    /// The caller was told to stop using an item that smokes, sparks or smells of
    /// burning.
    pub safety_told: bool,
    /// Whoever answered the shop's own call said the customer was not there.
    pub someone_else_answered: bool,
    /// The caller complained once, and was served rather than handed off.
    pub complained: bool,
    /// The caller was told a refund needs the item back ("I'm keeping them").
    pub keep_refused: bool,
    /// The turn of the last policy passage said, and its text.
    pub last_policy: Option<(u32, String)>,
    /// The heading of the section the last policy passage came from.
    pub last_section: Option<String>,
    pub misses: u32,
    pub fallbacks: u32,
    pub timeouts: u32,
    pub turns: u32,
    pub primary: Option<Intent>,
    pub completed: u32,
    /// The turn the last request was completed in: the order it was about is the one
    /// just discussed, and a request said next needs no words on which order it is.
    pub completed_at: Option<u32>,
    /// The turn the last change to an order or subscription was made in, for "so it's
    /// done now, right?" just after.
    pub changed_at: Option<u32>,
    pub escalated: bool,
    pub ended: bool,
    pub last_reply: String,
    /// What was done, for a hand-off summary.
    pub done: Vec<String>,
    /// Why a person was offered, for the hand-off if the caller accepts.
    pub offer_reason: Option<HandOffReason>,
    /// The question still open when a person was offered for answers not understood,
    /// with its prompt: an answer to it said then is taken, not as a yes to the offer.
    pub offered_over: Option<(Ask, Option<AskKey>)>,
    /// The caller said goodbye with a request unfinished.
    pub left_mid_request: bool,
    /// The request finished last, to recognise a "yes, go ahead with it" said after it.
    pub last_goal: Option<Goal>,
    /// Sync notices already said in this conversation.
    pub told: Vec<i64>,
    /// The age of stale order details was said (once a conversation).
    pub data_age_told: bool,
    /// The last four digits of each card already said ("4 2 4 2"); the brand alone names
    /// the card after that.
    pub cards_said: Vec<String>,
    /// The turn at which a clarifying question ("do you want to X or Y?") was asked: a
    /// "neither" to it is not a goodbye.
    pub clarified_at: Option<u32>,
    /// The line a clarifying question was about, with the requests it offered (each
    /// with the words that named it): the answer picks one and keeps the line's details.
    pub clarifying: Option<(Interpretation, Vec<(Intent, String)>)>,
    /// The caller asked about the card in this turn: its last four are said in full.
    pub card_asked: bool,
    /// The product the caller last asked about ("what colours does it come in?").
    pub last_product: Option<String>,
    /// The cash-on-delivery order a payment link was offered for in this call and not
    /// yet sent.
    pub payment_link_offered: Option<String>,
    /// The caller said an order was placed without them ("I never ordered that"): it is
    /// cancelled for no reason of theirs, and the team looks into the account.
    pub order_disputed: bool,
    /// The caller said the item is gone ("I threw it away"): it cannot be sent back.
    pub item_gone: bool,
    /// The order a payment link was sent for in this call: it goes ahead once paid by
    /// card, and is not also confirmed for cash.
    pub payment_link_sent: Option<String>,
    /// Cash-on-delivery orders confirmed in this call: a payment link is not also sent
    /// for them.
    pub cod_confirmed: Vec<String>,
    /// The turn a return was refused by the policy (final sale, personalised).
    pub refused_at: Option<u32>,
    /// The turn a caller missing a parcel marked delivered was asked to wait for it.
    pub wait_told_at: Option<u32>,
    /// The order of that refusal, refused for the reason the caller gave.
    pub refused_order: Option<String>,
    /// The caller said nothing was wrong with what they bought ("there's nothing wrong
    /// with it, I'm keeping it"): a fault claimed after that is the team's to judge.
    pub fault_denied: bool,
    /// The turn a product's price or stock was last answered.
    pub product_answered_at: Option<u32>,
    /// A replacement or refund was just made with nothing to send back: "do I post the
    /// wrong one back?" is answered with that.
    pub nothing_to_send_back: bool,
    /// An exchange on this order, not yet shipped, was told it must wait for delivery:
    /// asked again, the answer is the same, without the cancellation offered again.
    pub exchange_waits_for: Option<String>,
    /// A new item this call arranged to send for an order (an exchange's new size or a
    /// replacement), and whether it waits for the return: "when will it come?" about
    /// that order asks after the new item, not the one already delivered.
    pub new_item_for: Option<(String, NewItem)>,
    /// The last reply said "our team can check" (a refund not seen): "can they check?"
    /// takes that up.
    pub team_check_offered: bool,
    /// The size and colour of that question ("in navy"), kept for "what about large?".
    pub last_product_choice: (Option<String>, Option<String>),
    /// The subscription the last subscription request was about ("turn it back on").
    pub last_subscription: Option<i64>,
    /// Requests said in the same breath as an earlier one, taken up in turn.
    pub later: std::collections::VecDeque<Interpretation>,
    /// The request in progress is done and a later one is waiting: it is taken up at
    /// the end of this step instead of asking "anything else?".
    pub take_later: bool,
    /// The utterance of this step ends on a goodbye ("thanks, bye"), not only thanks.
    pub goodbye_said: bool,
    /// A hand-off for the team to review, waiting for the requests said with the first
    /// one to be done.
    pub handoff_after: Option<DeferredHandOff>,
}

/// When a new item arranged in a call is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NewItem {
    /// An exchange: sent once the item coming back reaches the shop.
    AfterReturn,
    /// A replacement: sent straight away.
    Now,
}

/// What of an order is read only to a caller who proved it by its email or phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Withheld {
    /// The street it goes to.
    Street,
    /// Its tracking number (the carrier's page shows where it goes).
    TrackingNumber,
    /// The last four digits of the card it was paid with.
    CardDigits,
}

/// A prompt asked and its arguments, to ask it again.
pub(crate) type AskKey = (&'static str, Vec<(String, String)>);

/// A hand-off put off until the requests said with the first one are done: why, and
/// what is said then with its arguments, and the order it is about.
pub(crate) type DeferredHandOff = (
    HandOffReason,
    &'static str,
    Vec<(String, String)>,
    Option<String>,
);

/// The dialog engine of one conversation.
pub struct Engine {
    config: Arc<Config>,
    catalog: Arc<Catalog>,
    now: NaiveDateTime,
    s: Session,
    task: Option<Task>,
    ask: Ask,
    /// How often each prompt was used, to rotate its variants.
    uses: HashMap<&'static str, usize>,
    /// The prompt of the last question and its arguments, to ask it again.
    ask_key: Option<AskKey>,
    out: Vec<String>,
    /// The order whose items this turn's reply has already named ("I found your order
    /// from … for the speaker"), so a status after it does not list them again.
    items_named: Option<String>,
    /// The breath opened on an answer ("no, forget it. Just cancel them"): the request
    /// after it follows on, with no "now, your other request" between them.
    later_follows_an_answer: bool,
    /// The turn count when this breath began: its parts are turns of their own.
    breath_started_at: u32,
    step: Step,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("ask", &self.ask)
            .field("turns", &self.s.turns)
            .finish()
    }
}

impl Engine {
    pub fn new(config: Arc<Config>, catalog: Arc<Catalog>, options: SessionOptions) -> Engine {
        let s = Session {
            customer: options.customer_id,
            speaker: options.customer_id,
            ..Session::default()
        };
        Engine {
            config,
            catalog,
            now: NaiveDateTime::default(),
            s,
            task: None,
            ask: Ask::Nothing,
            uses: HashMap::new(),
            ask_key: None,
            out: Vec::new(),
            items_named: None,
            later_follows_an_answer: false,
            breath_started_at: 0,
            step: Step::default(),
        }
    }

    /// Whether the factor asked for now can no longer be a zip: a check failed in this
    /// call, a zip was refused already, or a redirect waits for the email or phone.
    fn zip_will_not_do(&self) -> bool {
        self.s.failures > 0
            || self.s.zip_refused
            || self.s.redirect_needs.is_some()
            || self.s.spending_needs_strong
    }

    /// The entity the agent's last question expects, to bias understanding.
    pub fn expecting(&self) -> Option<EntityKind> {
        // After a failed check a zip proves nothing more: the phone is what is typed
        // (on the shop's own call, where the dialled phone proves nothing either, the
        // email is said).
        if self.ask == Ask::Factor && self.zip_will_not_do() {
            return self
                .s
                .called_about
                .is_none()
                .then_some(EntityKind::PhoneNumber);
        }
        self.ask.expects()
    }

    /// The verified orders the last question asks the caller to pick from, in the order
    /// they were read out ("the first" is the first), for buttons on a screen. Empty
    /// unless the caller is being asked which order.
    pub fn offered_orders(&self) -> &[String] {
        match &self.ask {
            Ask::PickOrder(numbers) => numbers,
            _ => &[],
        }
    }

    /// The verified order the conversation is about now: the current request's, else
    /// the last one discussed. None before the caller is verified for one.
    pub fn order_in_focus(&self) -> Option<&str> {
        let order = self.task.as_ref().and_then(|t| t.order.as_deref());
        order
            .or(self.s.focus.as_deref())
            .filter(|n| self.s.verified.iter().any(|v| v == n))
    }

    /// The shape of answer the last question wants, so a recogniser can be biased.
    pub fn answer_shape(&self) -> AnswerShape {
        match &self.ask {
            Ask::OrderNumber => AnswerShape::OrderNumber,
            Ask::Zip => AnswerShape::Zip,
            Ask::Phone => AnswerShape::Phone,
            Ask::Factor if self.zip_will_not_do() => AnswerShape::Free,
            Ask::Factor => AnswerShape::Factor,
            // Orders found by a phone are proved by their email, said rather than typed;
            // an account found by its email, by its phone.
            Ask::PhoneFactor => AnswerShape::Free,
            Ask::AccountFactor(_) => AnswerShape::Phone,
            Ask::YesNo(_) | Ask::ConfirmWho => AnswerShape::YesNo,
            Ask::Product | Ask::ExchangeVariant | Ask::ProductVariant => AnswerShape::Product,
            _ => AnswerShape::Free,
        }
    }

    /// Whether the conversation is over.
    pub fn ended(&self) -> bool {
        self.s.ended
    }

    /// The intent the conversation was mostly about (its first request).
    pub fn primary_intent(&self) -> Option<Intent> {
        self.s.primary
    }

    /// Turns the caller took.
    /// Whether the last request ended in the breath before this one or earlier in this
    /// one: the order it was about is the one just discussed.
    pub(crate) fn just_discussed(&self) -> bool {
        self.s
            .completed_at
            .is_some_and(|t| t >= self.breath_started_at || t + 1 == self.s.turns)
    }

    pub fn turns(&self) -> u32 {
        self.s.turns
    }

    /// How the conversation ended (or would, if it stopped now).
    pub fn outcome(&self) -> Outcome {
        if self.s.escalated {
            Outcome::Escalated
        } else if self.s.completed > 0 && self.task.is_none() && !self.s.left_mid_request {
            Outcome::Contained
        } else {
            Outcome::Abandoned
        }
    }

    /// Handles one event at time `now`.
    pub fn handle(&mut self, event: Event, now: NaiveDateTime, facts: &dyn Facts) -> Step {
        self.now = now;
        self.out.clear();
        self.items_named = None;
        self.later_follows_an_answer = false;
        self.breath_started_at = self.s.turns;
        self.step = Step::default();
        if self.s.ended {
            self.say(p!("already_ended"), &[]);
            return self.finish_step();
        }
        // "Yes please text it. Thanks, bye!": the words the utterance ends on.
        let mut ends_on_goodbye = false;
        self.s.goodbye_said = false;
        match event {
            Event::Start { confirm_order } => self.start(confirm_order, facts),
            Event::Timeout => self.timeout(),
            Event::ApplyFailed => self.apply_failed(),
            Event::Keypad(digits) => {
                let digits: String = digits.chars().filter(char::is_ascii_digit).collect();
                let mut heard = Interpretation {
                    words: vec![digits.clone()],
                    entities: self.keypad_entities(&digits),
                    text: digits,
                    ..Interpretation::unclear()
                };
                identity::order_shaped_phones_are_orders(self, &mut heard);
                let said = Said {
                    heard: &heard,
                    intent: Intent::Fallback,
                    confidence: 0.0,
                    keypad: true,
                };
                self.utterance(&said, facts);
            }
            Event::Utterance(mut heard) => {
                identity::order_shaped_phones_are_orders(self, &mut heard);
                // Who is speaking, said in any part of the breath, even a preface that
                // is dropped below because it asks for nothing.
                let mut last = &*heard;
                self.note_whose_order(&last.words);
                while let Some(then) = &last.then {
                    last = then;
                    self.note_whose_order(&last.words);
                }
                ends_on_goodbye = ends_with_goodbye(self.phrases(), &last.words);
                self.s.goodbye_said = ends_on_goodbye;
                // "No thanks. Oh, and can you check my other order": at "anything else?"
                // a first part that asks for nothing only prefaces the request after it.
                let closing = matches!(self.ask, Ask::Nothing | Ask::YesNo(YesNo::AnythingElse));
                // "How much are the white sneakers, and do you have a size 12?": a
                // question about a product asks something, however it was classified.
                let asks_about_a_product = heard.entities.product.is_some()
                    && goals::commerce::asks_price_stock_or_variants(self, &heard.words);
                let asks = questions::requests_something(heard.intent, &heard.entities)
                    || asks_about_a_product;
                // "Ok, and what about order 1780…?" at an offer: the acknowledgement takes
                // nothing up; the request after it is what the caller wants.
                let acknowledged_offer = matches!(self.ask, Ask::YesNo(q) if q.is_offer())
                    && self.only_acknowledgement(&heard.words);
                let mut heard = *heard;
                let goal = self.task.as_ref().map(Task::goal);
                // "It's 281 not 218. 281 Willow Street" at an address's question or its
                // read-back: the digits are the address's, not an order number.
                let address_asked = matches!(self.ask, Ask::Street | Ask::City)
                    || (self.ask == Ask::YesNo(YesNo::Proceed)
                        && goal == Some(Goal::ChangeAddress));
                let lengths = &self.config.policy.verification.order_number_digits;
                let not_an_order = heard
                    .entities
                    .order_number
                    .as_ref()
                    .is_some_and(|n| !lengths.is_empty() && !lengths.contains(&n.len()));
                if address_asked && heard.address.is_some() && not_an_order {
                    heard.entities.order_number = None;
                }
                // "What? It's my order. 612 555 0115" asked for the order's email or
                // phone: ten digits there are the phone, not an order number too short.
                let factor_asked = matches!(self.ask, Ask::Factor);
                let phone_like = heard
                    .entities
                    .order_number
                    .as_ref()
                    .is_some_and(|n| n.len() == 10 || (n.len() == 11 && n.starts_with('1')));
                // "No, that's not right, the order number is 1000 0000 59" puts the number
                // read back right, however short it was heard.
                let corrects_number = identity::words_correct_the_number(self, &heard.words);
                if factor_asked
                    && not_an_order
                    && phone_like
                    && !corrects_number
                    && heard.entities.phone_number.is_none()
                {
                    heard.entities.phone_number = heard.entities.order_number.take();
                }
                // "Put the refund on my Visa, 4111 1111 1111 1111": a card's digits are
                // no order number, and are never said back.
                let card_digits = self.phrases().any("card_named", &heard.words)
                    && heard.entities.order_number.as_ref().is_some_and(|n| {
                        (CARD_DIGITS_MIN..=CARD_DIGITS_MAX).contains(&n.len())
                            && !lengths.contains(&n.len())
                    });
                // "It's account 0 4 4 0 0 0 0 3, routing 0 2 1 …": digits said as bank
                // details (or a card's) are never an order number, a phone or a zip.
                if self.phrases().any("asks_bank_details", &heard.words)
                    || self.phrases().any("bank_digits", &heard.words)
                    || card_digits
                {
                    let ent = &mut heard.entities;
                    ent.order_number = None;
                    ent.phone_number = None;
                    ent.zip_code = None;
                }
                // "Yes. And then also a two hundred dollar one" at a purchase's read-back:
                // the yes places the order, and the other item is a purchase after it.
                let another_item = goals::commerce::yes_then_another_item(self, &mut heard, facts);
                // "Ok yes, and can I pay cash when it arrives?" at a read-back: the yes
                // waits for what is said with it about the same request (a question, a
                // change); the read-back comes again before anything is done.
                let yes_with_more = self.ask == Ask::YesNo(YesNo::Proceed)
                    && !another_item
                    && heard.intent == Intent::Affirm
                    && heard.then.as_ref().is_some_and(|then| {
                        then.intent == Intent::PolicyQuestion
                            || (goal.is_some() && Goal::from_intent(then.intent) == goal)
                            // "Yes, and can you also cancel my other order": another
                            // request, done after this one, not a question about it.
                            || (self.asks_a_question(then)
                                && Goal::from_intent(then.intent).is_none())
                    });
                if yes_with_more {
                    if let Some(then) = heard.then.take() {
                        heard = *then;
                    }
                }
                if (closing && !asks) || acknowledged_offer {
                    if let Some(then) = heard.then.take() {
                        if acknowledged_offer {
                            self.s.queue.clear();
                            self.ask = Ask::Nothing;
                        }
                        heard = *then;
                    }
                }
                // "Nope. Ok, the backpack now, it's order 1270…" with a request waiting:
                // the waiting request is the one meant, with what identifies it.
                if let Some(meant) = self.queued_request_meant(&heard, facts) {
                    heard = meant;
                }
                // "No no, I just want the large instead" at "shall I cancel it so you can
                // order the size you want?": the second part says again the request the
                // answer is about; it is no other request to take up after it.
                if heard
                    .then
                    .as_deref()
                    .is_some_and(|then| self.restates_the_request(&heard, then, goal, facts))
                {
                    heard.then = None;
                }
                // "I want to return the dumbbell from order 6552… - oh, do you charge for
                // return shipping by the way?": a question of the rules in a clause of its
                // own after a request is the breath's second request, never dropped.
                if heard.then.is_none() {
                    if let Some(question) = self.question_after_a_request(&heard, facts) {
                        heard.then = Some(Box::new(question));
                    }
                }
                // Queued first, so that finishing the first request takes it up rather
                // than asking "anything else?".
                // ("Yes go ahead, and also cancel my other order": what the yes did is
                // said, and the other request is announced after it.)
                self.later_follows_an_answer = heard.then.is_some()
                    && Goal::from_intent(heard.intent).is_none()
                    && !matches!(heard.intent, Intent::Affirm | Intent::ConfirmOrder);
                let queued = heard.then.take().map(|mut then| {
                    // "Cancel it, and then order me the same tee in a large instead": a
                    // swap of the order being cancelled is a new order.
                    let same_order = then.entities.order_number.is_none()
                        || then.entities.order_number == heard.entities.order_number;
                    if heard.intent == Intent::CancelOrder
                        && then.intent == Intent::ExchangeItem
                        && same_order
                        && !then.cues.contains(&Cue::OtherOrder)
                    {
                        then.intent = Intent::PlaceOrder;
                        then.entities.order_number = None;
                    }
                    let names = (heard.intent, then.intent);
                    // "No, now cancel the other one, the hoodie one" with "cancel my other
                    // order, the one with the hoodie" still waiting from an earlier breath:
                    // the same request said again, not a second one to take up after it.
                    if let Some(i) = self
                        .s
                        .later
                        .iter()
                        .position(|w| said_again(w, &then, facts))
                    {
                        self.s.later.remove(i);
                    }
                    self.s.later.push_back(*then);
                    names
                });
                self.address_for_the_waiting_change(&heard);
                self.hear(&heard, facts);
                self.keep_order_said_with_a_question(&heard);
                if let Some((first, then)) = queued {
                    self.say_first_then(first, then);
                }
            }
        }
        self.resume_if_paused(facts);
        self.take_up_later(facts);
        // What was asked is done and the caller said goodbye with it: the call ends there,
        // without "anything else?" or the offer of another order.
        if ends_on_goodbye
            && !self.s.ended
            && self.s.later.is_empty()
            && matches!(self.ask, Ask::YesNo(YesNo::AnythingElse | YesNo::NextOrder))
        {
            if let Some((key, args)) = self.ask_key.clone() {
                let args: Vec<(&str, String)> =
                    args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
                // Whichever wording of the question was said.
                let asked = |n: usize| capitalised(self.catalog.render(key, n, false, &args));
                if self
                    .out
                    .last()
                    .is_some_and(|l| (0..4).any(|n| *l == asked(n)))
                {
                    self.out.pop();
                }
            }
            self.goodbye();
        }
        self.name_the_owner(facts);
        // "I'm sorry about that; let's sort it out. Sure. What's…": the
        // apology already says yes.
        // Nor is a second apology said after it ("… Thanks. I'm so sorry.").
        if self.out.len() >= 2
            && self.out[0] == self.catalog.render(p!("complaint_sorry"), 0, false, &[])
        {
            if let Some(rest) = self.out[1].strip_prefix("Sure. ") {
                self.out[1] = rest.to_string();
            }
            for line in &mut self.out[1..] {
                for apology in ["I'm so sorry. ", "I'm sorry. ", "I'm sorry about that. "] {
                    if let Some(at) = line.find(apology) {
                        line.replace_range(at..at + apology.len(), "");
                    }
                }
                // "I'm sorry, your order is running late": the sentence stands without
                // its apology, which is capitalised away.
                for apology in ["I'm so sorry, ", "I'm sorry, "] {
                    let starts = |at: usize| at == 0 || line[..at].ends_with(". ");
                    if let Some(at) = line.find(apology).filter(|&at| starts(at)) {
                        let rest = capitalised(line[at + apology.len()..].to_string());
                        line.replace_range(at.., &rest);
                    }
                }
            }
        }
        self.finish_step()
    }

    /// "The Monday's fine then. Just change the address to 200 Main Street, Cambridge"
    /// at the day question, with "…and send it to my work address" waiting from the first
    /// breath: the address said now is the waiting change's, not asked for again.
    fn address_for_the_waiting_change(&mut self, heard: &Interpretation) {
        let Some(address) = heard.address.as_ref() else {
            return;
        };
        if heard.intent == Intent::ChangeAddress && self.task.is_none() {
            return;
        }
        let changing_now = self
            .task
            .as_ref()
            .is_some_and(|t| t.goal() == Goal::ChangeAddress);
        if changing_now {
            return;
        }
        if let Some(waiting) = self
            .s
            .later
            .iter_mut()
            .find(|w| w.intent == Intent::ChangeAddress && w.address.is_none())
        {
            waiting.address = Some(address.clone());
        }
    }

    /// On a household speaker, another member's order is theirs in what is said: "Jonah's
    /// order of two navy fleece hoodies shipped…", not "your order", which tells the
    /// member asking it was theirs.
    fn name_the_owner(&mut self, facts: &dyn Facts) {
        let Some(number) = self.order_in_focus().map(str::to_string) else {
            return;
        };
        if self.s.customer.is_none_or(|id| id < 0) || self.s.called_about.is_some() {
            return;
        }
        let Ok(Some(order)) = facts.order(&number) else {
            return;
        };
        let Some(name) = goals::orders::other_members(self, &order, facts) else {
            return;
        };
        for line in &mut self.out {
            *line = line
                .replace("Your order", &format!("{name}'s order"))
                .replace("your order", &format!("{name}'s order"));
        }
    }

    /// What a refund demand asks of the order in focus: its cancellation before it is
    /// sent, its return after (or when no order is known yet).
    fn refund_request_intent(&self, facts: &dyn Facts) -> Intent {
        let status = self.focus_order(facts).map(|o| o.status);
        match status {
            Some(OrderStatus::PendingConfirmation | OrderStatus::Processing) => Intent::CancelOrder,
            _ => Intent::ReturnItem,
        }
    }

    /// One utterance, as said.
    fn hear(&mut self, heard: &Interpretation, facts: &dyn Facts) {
        // A number read out on its own ("it's one oh oh oh …") says nothing of what the
        // caller wants, whatever the classifier made of it: it is taken like the same
        // digits typed on the keypad.
        let ent = &heard.entities;
        let identifier =
            ent.order_number.is_some() || ent.zip_code.is_some() || ent.phone_number.is_some();
        let ph = self.phrases();
        // "Sorry I mean 1316…490", "no wait, that's 8333…": a number said again to
        // correct it reads as "say that again" to the classifier; it is the number.
        let corrects_a_number = heard.intent == Intent::Repeat && ent.order_number.is_some();
        let (intent, confidence) = if identifier && heard.bare_number || corrects_a_number {
            (Intent::Fallback, 0.0)
        } else if heard.intent == Intent::ConfirmOrder
            && ph.any("cancel_request", &heard.words)
            && !ph.any("keep", &heard.words)
        {
            // "A text asked me to confirm my order, but cancel it": the cancellation is
            // what is asked, however much the words speak of confirming.
            (Intent::CancelOrder, heard.confidence)
        } else if heard.intent == Intent::Fallback
            && heard.cues.contains(&Cue::NoNumber)
            && ent.email.is_some()
            && ent.order_number.is_none()
        {
            // "I forgot my order number, can you tell me? Email is …": a request about
            // the account's orders, found by its email.
            (Intent::GetOrderStatus, 1.0)
        } else if matches!(
            heard.intent,
            Intent::Fallback | Intent::TrackPackage | Intent::GetOrderStatus
        ) && heard.confidence < self.config.dialog.switch_confidence
            && heard.address.is_some()
            && ph.any("send_it_to", &heard.words)
        {
            // "Can you send it to 77 Harbor Rd, Portland ME 04101?": a street said after
            // "send it to" is where the parcel should go, however unsure the classifier.
            (Intent::ChangeAddress, self.config.dialog.switch_confidence)
        } else if let Some(intent) = (heard.intent == Intent::Fallback
            && heard.confidence < self.config.dialog.switch_confidence)
            .then(|| order_verb_first(ph, &heard.words))
            .flatten()
        {
            // "Cancel my mum Ada's order with the red tee": a sentence that opens on
            // what to do to an order asks that, whoever's order it names.
            (intent, self.config.dialog.switch_confidence)
        } else if (heard.intent == Intent::CheckReturnStatus
            || (heard.intent == Intent::Fallback && self.ask != Ask::YesNo(YesNo::OfferHuman)))
            && ph.any("wants_refund", &heard.words)
            && !self.asks_a_question(heard)
        {
            // "I want my money back NOW", "I don't want it chased, I want a refund": a
            // refund asked for, not asked after. For an order not yet sent the way to
            // it is the cancellation; otherwise the return (which says why not before
            // it arrives, and offers the team for a very late one).
            let confidence = heard.confidence.max(self.config.dialog.switch_confidence);
            (self.refund_request_intent(facts), confidence)
        } else if heard.intent == Intent::GetOrderStatus && ph.any("where_now", &heard.words) {
            // "Where is it right now?": the carrier's last scan, not the summary again.
            (Intent::TrackPackage, heard.confidence)
        } else if (heard.intent == Intent::Fallback || heard.cues.contains(&Cue::Withdraw))
            && ends_with_goodbye(ph, &heard.words)
        {
            // "Ok, I'll ask my aunt for her zip and call back. Bye", "…oh wait, that's
            // not mine. Never mind. Bye": whatever the classifier made of the rest (or
            // of a request taken back), the call ends on the last word.
            (Intent::EndConversation, 1.0)
        } else if let Some(intent) = self.asked_again_of_another_order(heard) {
            // "No, just tell me about the other one", "and what about my other order?"
            // after a request: the same request, of another order.
            (intent, self.config.dialog.switch_confidence)
        } else if heard.intent == Intent::EndConversation && ph.any("hold_on", &heard.words) {
            // "Hang on…" asks the agent to wait, never to hang up.
            (Intent::Fallback, 0.0)
        } else {
            (heard.intent, heard.confidence)
        };
        let said = Said {
            heard,
            intent,
            confidence,
            keypad: false,
        };
        // Said after this turn is handled: "nothing's wrong with the jacket, but the
        // bottle is broken" reports the bottle in the same breath.
        let denies_fault = self.phrases().any("denies_fault", &heard.words);
        self.utterance(&said, facts);
        if denies_fault {
            self.s.fault_denied = true;
        }
    }

    /// The request to make again of another order, when the words name another order and
    /// ask nothing else, after a request of this call and at no question of its own
    /// ("which one?", "what colour?" are answered by "the other one").
    fn asked_again_of_another_order(&self, heard: &Interpretation) -> Option<Intent> {
        // An offer made after a request is declined by it ("no, just tell me about the
        // other one" at "shall I pass you to our team?").
        let free = matches!(
            self.ask,
            Ask::Nothing
                | Ask::YesNo(
                    YesNo::AnythingElse
                        | YesNo::OfferHuman
                        | YesNo::TrackingLink
                        | YesNo::StartReturn
                        | YesNo::StartCancel
                )
        );
        let asks_nothing = matches!(
            heard.intent,
            Intent::Deny
                | Intent::Fallback
                | Intent::Affirm
                | Intent::Reorder
                | Intent::PolicyQuestion
                | Intent::Repeat
                | Intent::Help
        );
        if !(free && asks_nothing && heard.cues.contains(&Cue::OnlyOtherOrder)) {
            return None;
        }
        let goal = self.task.as_ref().map(Task::goal).or(self.s.last_goal)?;
        Some(if goal.needs_order() && goal != Goal::Confirm {
            goal.intent()
        } else {
            Intent::GetOrderStatus
        })
    }

    /// Whether an utterance is a question ("can I pay cash when it arrives?", "and how
    /// long does it take"): a question mark, or a question's opening words after any
    /// "and", "but" or "so".
    pub(crate) fn asks_a_question(&self, heard: &Interpretation) -> bool {
        heard.text.trim_end().ends_with('?') || self.opens_with(&heard.words, "question_openers")
    }

    /// Whether the words open with a phrase of the locale's list `phrases` after any
    /// "and", "but" or "so" ("so what was the candle on its own").
    /// The question of the shop's rules a request ends on, in a clause of its own after
    /// the request ("… from order 6552… - oh, do you charge for return shipping?"),
    /// as an utterance of its own; None when there is none, or when the words before it
    /// are too few to be a request ("Hi. Can I return the tee?" is one request).
    fn question_after_a_request(
        &self,
        heard: &Interpretation,
        facts: &dyn Facts,
    ) -> Option<Interpretation> {
        /// Fewer words than this before the question are a greeting, not a request.
        const REQUEST_MIN_WORDS: usize = 5;
        /// Fewer words than this are no question of the rules.
        const QUESTION_MIN_WORDS: usize = 4;
        if !matches!(self.ask, Ask::Nothing | Ask::YesNo(YesNo::AnythingElse))
            || Goal::from_intent(heard.intent).is_none()
        {
            return None;
        }
        let text = heard.text.trim();
        let body = text.trim_end_matches(['?', '.', '!', ' ']);
        let end = body
            .rfind(['.', '!', '?', ';', '\u{2014}', '\u{2013}'])
            .or_else(|| body.rfind(" - "))?;
        let (head, tail) = (&body[..end], text[end + 1..].trim_start_matches(['-', ' ']));
        let words = locale::words(tail);
        let asks = tail.trim_end().ends_with('?') && self.opens_with(&words, "question_openers");
        if !asks
            || words.len() < QUESTION_MIN_WORDS
            || locale::words(head).len() < REQUEST_MIN_WORDS
            || words.iter().any(|w| w.chars().any(|c| c.is_ascii_digit()))
        {
            return None;
        }
        let answer = facts.policy_answer(tail)?;
        if !self.passage_on_topic(&words, &answer) {
            return None;
        }
        Some(Interpretation {
            text: tail.to_string(),
            words,
            intent: Intent::PolicyQuestion,
            confidence: 1.0,
            ..Interpretation::unclear()
        })
    }

    pub(crate) fn opens_with(&self, words: &[String], phrases: &str) -> bool {
        let ph = self.phrases();
        let start = words
            .iter()
            .enumerate()
            .position(|(i, _)| ph.len_at("question_lead", words, i).is_none())
            .unwrap_or(words.len());
        ph.len_at(phrases, words, start).is_some()
    }

    /// "First the cancellation, then your question": said before the first request's
    /// reply when the second one waits for it to finish, so the caller knows it was heard.
    fn say_first_then(&mut self, first: Intent, then: Intent) {
        if self.s.take_later || self.s.ended || self.out.is_empty() {
            return;
        }
        let (Some(first), Some(then)) = (speak::request_name(first), speak::request_name(then))
        else {
            return;
        };
        let name = |key| self.catalog.render(key, 0, false, &[]);
        let args = [("first", name(first)), ("then", name(then))];
        let key = if first == then {
            p!("one_at_a_time")
        } else {
            p!("first_then")
        };
        let line = self.catalog.render(key, 0, false, &args);
        if !line.is_empty() {
            self.out.insert(0, line);
        }
    }

    /// Whether the part after an answer only says again the request the question was
    /// about: the same kind of request, of the order in focus, and of nothing the order
    /// does not hold. The answer itself asks for no request.
    fn restates_the_request(
        &self,
        answer: &Interpretation,
        then: &Interpretation,
        goal: Option<Goal>,
        facts: &dyn Facts,
    ) -> bool {
        let Some(goal) = goal else {
            return false;
        };
        // Anything new said with it ("no sorry, it's 27 Kings Road": the street
        // wanted) is an answer to take, not a request said again.
        let mut told = then.entities.clone();
        told.order_number = None;
        told.product = None;
        if Goal::from_intent(answer.intent).is_some()
            || Goal::from_intent(then.intent) != Some(goal)
            || then.then.is_some()
            || then.cues.contains(&Cue::OtherOrder)
            || then.address.is_some()
            || !told.is_empty()
        {
            return false;
        }
        let focus = self.s.focus.as_deref();
        let same_order = then
            .entities
            .order_number
            .as_deref()
            .is_none_or(|n| focus == Some(n));
        let held = then.entities.product.as_deref().is_none_or(|sku| {
            focus.is_some_and(|f| {
                matches!(facts.order(f), Ok(Some(order)) if identity::holds_product(&order, sku, facts))
            })
        });
        same_order && held
    }

    /// The request waiting its turn, when the utterance takes it up itself: it names
    /// the waiting request's product (or another size or colour of it), or gives an order
    /// number after words that move on ("now", "next"), and is no confident request of
    /// another kind. The order number and facts said come with it; the waiting request
    /// leaves the queue.
    fn queued_request_meant(
        &mut self,
        heard: &Interpretation,
        facts: &dyn Facts,
    ) -> Option<Interpretation> {
        // Only once the first request has nothing left to ask but an offer.
        let done = match self.ask {
            Ask::Nothing => self.task.is_none(),
            Ask::YesNo(q) => q == YesNo::AnythingElse || q.is_offer(),
            _ => false,
        };
        if !done {
            return None;
        }
        let waiting = self.s.later.front()?;
        let goal = Goal::from_intent(waiting.intent)?;
        let own = Goal::from_intent(heard.intent);
        let another_request =
            own.is_some_and(|g| g != goal) && heard.confidence >= QUEUED_TAKE_UP_BELOW;
        if another_request || heard.then.is_some() {
            return None;
        }
        let same_product = match (&waiting.entities.product, &heard.entities.product) {
            (Some(a), Some(b)) => identity::same_product(a, b, facts),
            _ => false,
        };
        let moves_on = heard.entities.order_number.is_some()
            && own.is_none_or(|g| g == goal || heard.confidence < QUEUED_TAKE_UP_BELOW)
            && self.phrases().any("moves_on", &heard.words);
        if !same_product && !moves_on {
            return None;
        }
        let mut meant = self.s.later.pop_front()?;
        // The offer is passed over, as a request said at it always is.
        if self.task.is_some() {
            self.end_task();
        }
        self.ask = Ask::Nothing;
        let (mine, said) = (&mut meant.entities, &heard.entities);
        if said.order_number.is_some() {
            mine.order_number.clone_from(&said.order_number);
        }
        if said.zip_code.is_some() {
            mine.zip_code.clone_from(&said.zip_code);
        }
        if said.email.is_some() {
            mine.email.clone_from(&said.email);
        }
        if said.phone_number.is_some() {
            mine.phone_number.clone_from(&said.phone_number);
        }
        Some(meant)
    }

    /// "Can they leave it with my neighbour? Order 1318…, phone 512…": the order and its
    /// fact said with a question the shop's documents answered are kept for the request
    /// that follows ("ok, text me that tracking link then"), not asked for again.
    fn keep_order_said_with_a_question(&mut self, heard: &Interpretation) {
        let answered_now = self
            .s
            .last_policy
            .as_ref()
            .is_some_and(|(turn, _)| *turn == self.s.turns);
        if !answered_now || self.task.is_some() || self.s.heard_order.is_some() {
            return;
        }
        let Some(number) = heard.entities.order_number.clone() else {
            return;
        };
        if self.s.verified.contains(&number) {
            return;
        }
        identity::hear_order(self, number, identity::Factors::of(&heard.entities));
    }

    /// The next request said in the same breath as one just finished ("… and can you
    /// also check my other order"), taken up without being asked for again.
    fn take_up_later(&mut self, facts: &dyn Facts) {
        while std::mem::take(&mut self.s.take_later) && !self.s.ended {
            let Some(mut next) = self.s.later.pop_front() else {
                break;
            };
            if let Some(then) = next.then.take() {
                self.s.later.push_front(*then);
            }
            // "Where are my tees, and I want to return the headphones from my other
            // order. The tees one is 1011…": the number was said for the first request;
            // the order holding what the second names is found or asked for.
            // Only a proved order is looked into: what an unproved one holds is not told.
            let lacks = next.entities.order_number.as_deref().is_some_and(|number| {
                self.s.verified.iter().any(|v| v == number)
                    && identity::names_what_order_lacks(
                        self,
                        number,
                        next.entities.product.as_deref(),
                        // The product heard alone: the sentence with the number names the
                        // first request's item ("the tees one is …").
                        &[],
                        facts,
                    )
            });
            if lacks {
                // Another proved order in focus that holds it is the one meant.
                let focus = self.s.focus.clone().filter(|f| {
                    self.s.verified.contains(f)
                        && next.entities.product.as_deref().is_some_and(|sku| {
                            !identity::names_what_order_lacks(self, f, Some(sku), &[], facts)
                        })
                });
                next.entities.order_number = focus.clone();
                if focus.is_none() {
                    next.cues.push(Cue::OtherOrder);
                }
            }
            // "Cancel it, and then order me the same tee in a large instead": once the
            // order is cancelled there is nothing of it to swap; the size wanted is a
            // new order.
            let of_the_cancelled = self.s.focus.as_deref().is_some_and(|focus| {
                next.entities
                    .order_number
                    .as_deref()
                    .is_none_or(|n| n == focus)
                    && (self.step.changes.iter().any(|c| {
                        matches!(c, Change::CancelOrder { order_number, .. } if order_number == focus)
                    }) || facts
                        .order(focus)
                        .ok()
                        .flatten()
                        .is_some_and(|o| o.status == OrderStatus::Cancelled))
            });
            // "I want two more packs of the same socks", waiting while that very order
            // was read back and placed: done already, not read back and placed twice.
            let placed_now: Vec<String> = self
                .step
                .changes
                .iter()
                .filter_map(|c| match c {
                    Change::PlaceOrder { order } => Some(order.items.iter().map(|i| i.sku.clone())),
                    _ => None,
                })
                .flatten()
                .collect();
            // "Yes. And also a two hundred dollar one" of the fifties placed: another value
            // of it, asked for as one more, is a purchase of its own.
            let another_of_it = self.phrases().any("also_another", &next.words)
                && next
                    .entities
                    .product
                    .as_ref()
                    .is_some_and(|sku| !placed_now.contains(sku));
            let buys_it_again = matches!(next.intent, Intent::PlaceOrder | Intent::Reorder)
                && !another_of_it
                && !placed_now.is_empty()
                && next.entities.product.as_deref().is_none_or(|sku| {
                    placed_now
                        .iter()
                        .any(|p| identity::same_product(p, sku, facts))
                });
            if buys_it_again {
                continue;
            }
            // "Great, and can you text me the link as well": the yes sent the link; the
            // same link asked after it is already on its way.
            let link_sent_now = self.step.changes.iter().any(|c| {
                matches!(
                    c,
                    Change::Notify {
                        template: voxorder_domain::change::Notice::TrackingLink,
                        ..
                    }
                )
            });
            if link_sent_now
                && next.intent == Intent::TrackPackage
                && self.phrases().any("take_up_link", &next.words)
            {
                continue;
            }
            if next.intent == Intent::ExchangeItem && of_the_cancelled {
                next.intent = Intent::PlaceOrder;
                next.entities.order_number = None;
            }
            // "No. Just tell me when it comes", at the offer of the team for a late order:
            // the day it should come, not the whole status again as another request.
            if next.intent == Intent::GetOrderStatus
                && self.asks_when_it_arrives(&next.words)
                && next
                    .entities
                    .order_number
                    .as_deref()
                    .is_none_or(|n| self.s.focus.as_deref() == Some(n))
            {
                let due = self
                    .focus_order(facts)
                    .filter(|o| o.status.is_still_to_come() && o.estimated_delivery.is_some());
                if let Some(order) = due {
                    let words = goals::orders::estimate_words(self, &order);
                    self.out.push(words);
                    self.anything_else();
                    continue;
                }
            }
            // "Do you price match? And do you ship to Canada?": answers in a row need no
            // "now, your other request" between them; after something done, it helps.
            let answers_only =
                next.intent == Intent::PolicyQuestion && self.step.changes.is_empty();
            let follows_on = std::mem::take(&mut self.later_follows_an_answer);
            if !answers_only && !follows_on {
                self.say(p!("other_request"), &[]);
            }
            self.hear(&next, facts);
            self.resume_if_paused(facts);
        }
        if self.s.ended {
            self.s.later.clear();
        }
    }

    fn finish_step(&mut self) -> Step {
        let mut step = std::mem::take(&mut self.step);
        let acks = self.phrases().list("bare_acks");
        let reply = without_inner_acks(&self.out.join(" "), &acks);
        step.reply = if std::mem::take(&mut self.s.card_asked) {
            reply
        } else {
            name_cards_once(reply, &mut self.s.cards_said)
        };
        if !step.reply.is_empty() && !step.slow {
            self.s.last_reply = step.reply.clone();
            // The words of the offer, as this locale says them inside refund answers.
            let offer = self.text(p!("team_can_check"), &[]);
            self.s.team_check_offered = !offer.is_empty() && step.reply.contains(&offer);
        }
        step.end = self.s.ended;
        step
    }
}

/// How many digits a payment card's number has: never an order number when said with a
/// card.
const CARD_DIGITS_MIN: usize = 14;
const CARD_DIGITS_MAX: usize = 19;

/// Below this confidence, a request of another kind heard while one waits its turn is
/// taken as the caller moving on to the waiting one ("now the beanie, order 8416…" heard
/// as a purchase at 0.56).
const QUEUED_TAKE_UP_BELOW: f32 = 0.8;

/// Drops a bare acknowledgement ("Sure.") that is not the reply's first sentence: "No
/// problem. Now, your other request. Sure. What's your order number?" says one.
fn without_inner_acks(reply: &str, acks: &[String]) -> String {
    let mut out = String::with_capacity(reply.len());
    let mut rest = reply;
    let mut first = true;
    while !rest.is_empty() {
        // A sentence ends at ". ", "? " or "! ", or at the end of the reply.
        let end = rest
            .char_indices()
            .find(|&(i, c)| matches!(c, '.' | '?' | '!') && rest[i + 1..].starts_with(' '))
            .map_or(rest.len(), |(i, _)| i + 1);
        let sentence = &rest[..end];
        rest = rest[end..].trim_start();
        let core = sentence.trim_end_matches(['.', '!']);
        let bare = core.len() < sentence.len() && acks.iter().any(|a| core.eq_ignore_ascii_case(a));
        if first || !bare {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(sentence);
        }
        first = false;
    }
    out
}

/// Drops " ending in 4 2 4 2" from a card said earlier in the conversation, and from a
/// second mention in the same reply: the digits take two seconds to say and were heard.
fn name_cards_once(reply: String, said: &mut Vec<String>) -> String {
    const MARK: &str = " ending in ";
    let mut out = String::with_capacity(reply.len());
    let mut rest = reply.as_str();
    while let Some(at) = rest.find(MARK) {
        let after = &rest[at + MARK.len()..];
        // The spoken last four: four digits with single spaces between them.
        let digits = after.get(..7).filter(|d| {
            d.chars().enumerate().all(|(i, c)| {
                if i % 2 == 0 {
                    c.is_ascii_digit()
                } else {
                    c == ' '
                }
            })
        });
        match digits {
            Some(d) if said.iter().any(|s| s == d) => {
                out.push_str(&rest[..at]);
                rest = &after[7..];
            }
            Some(d) => {
                said.push(d.to_string());
                out.push_str(&rest[..at + MARK.len() + 7]);
                rest = &after[7..];
            }
            None => {
                out.push_str(&rest[..at + MARK.len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;

/// Whether the words end in a goodbye ("…and call back. bye", "…see ya") said after
/// something else: the last words take leave, whatever came before them.
/// Whether a request waiting from an earlier breath is the one said now: the same kind,
/// of the same order (or none named) and the same product (or none named).
fn said_again(waiting: &Interpretation, now: &Interpretation, facts: &dyn Facts) -> bool {
    let (w, n) = (&waiting.entities, &now.entities);
    Goal::from_intent(waiting.intent).is_some()
        && Goal::from_intent(waiting.intent) == Goal::from_intent(now.intent)
        && w.order_number == n.order_number
        && match (&w.product, &n.product) {
            (Some(a), Some(b)) => identity::same_product(a, b, facts),
            _ => true,
        }
}

fn ends_with_goodbye(ph: &locale::Phrases, words: &[String]) -> bool {
    (1..words.len()).any(|i| ph.len_at("goodbye_words", words, i) == Some(words.len() - i))
}

/// The request a sentence opens with when its first word (after "please", "can you")
/// is what to do to an order and an order is named close after it: "cancel my mum Ada's
/// order", "return the order with the red tee". Subscriptions have their own words.
fn order_verb_first(ph: &locale::Phrases, words: &[String]) -> Option<Intent> {
    let mut start = 0;
    while let Some(n) = ph.len_at("request_lead", words, start) {
        start += n;
    }
    let intent = match words.get(start).map(String::as_str) {
        Some("cancel") => Intent::CancelOrder,
        Some("return") => Intent::ReturnItem,
        _ => return None,
    };
    let names_an_order = words
        .iter()
        .skip(start + 1)
        .take(5)
        .any(|w| matches!(w.as_str(), "order" | "orders" | "parcel" | "package"));
    (names_an_order && !ph.any("subscription_word", words)).then_some(intent)
}

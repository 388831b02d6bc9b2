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
//! Layout: this file routes events and keeps the session; `identity` verifies callers;
//! `orders` holds status, tracking, cancel, reschedule, address change and confirmation;
//! `returns` holds returns, exchanges, problems and return status; `commerce` holds
//! placing orders, reorders and subscriptions; `notices` words what sync learned.

mod commerce;
pub mod facts;
mod identity;
pub mod locale;
pub mod notices;
mod orders;
mod returns;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use voxorder_config::{Config, RefundMethod, TimeSlot};
use voxorder_domain::change::{Change, HandOffReason, Resolution};
use voxorder_domain::records::{NoticeKind, NoticeScope, SyncNotice};
use voxorder_domain::speech_text as st;
use voxorder_domain::verification::{IdentityVerdict, LockKey};
use voxorder_domain::vocab::{CancelReason, EntityKind, ReturnReason};
use voxorder_domain::vocab::{Entities, Intent, ScoredIntent};

pub use facts::{Facts, FactsError, FactsQuery, PolicyAnswer};
pub use locale::{Catalog, LocaleError};

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
    /// The caller said something.
    Utterance {
        text: String,
        intent: Intent,
        confidence: f32,
        entities: Entities,
        alternatives: Vec<ScoredIntent>,
    },
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
    fn from_intent(intent: Intent) -> Option<Goal> {
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

    /// Whether the goal is about one existing order (and so needs a verified caller).
    fn needs_order(self) -> bool {
        !matches!(self, Goal::Place | Goal::Reorder | Goal::Subscription)
    }

    /// Whether the goal only says where an order is, changing nothing: a follow-up
    /// question of this kind ("and when will it get here?") is about the order just
    /// discussed. A return's status is not included: callers ask it about other orders.
    fn about_the_order_in_focus(self) -> bool {
        matches!(self, Goal::Status | Goal::Track)
    }

    /// How the goal is named in a sentence ("for your {goal} request").
    fn label_key(self) -> &'static str {
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
    Create,
    Pause,
    Resume,
    Skip,
    ChangeFrequency,
    ChangeQuantity,
    Cancel,
}

/// A new shipping address, as collected.
#[derive(Debug, Clone, Default)]
pub(crate) struct AddressDraft {
    pub line1: Option<String>,
    pub city: Option<String>,
    pub zip: Option<String>,
}

/// One request in progress and what has been collected for it.
#[derive(Debug, Clone)]
pub(crate) struct Task {
    pub goal: Goal,
    /// The verified order the request is about.
    pub order: Option<String>,
    /// The caller was asked whether to reuse the order of an earlier request.
    pub reuse_offered: bool,
    pub cancel_reason: Option<CancelReason>,
    pub return_reason: Option<ReturnReason>,
    /// Chosen order lines (1-based) and quantities.
    pub lines: Vec<(u32, u32)>,
    pub refund_method: Option<RefundMethod>,
    /// `Some(true)`: courier pickup; `Some(false)`: prepaid label.
    pub pickup: Option<bool>,
    pub date: Option<NaiveDate>,
    pub slot: Option<TimeSlot>,
    pub address: AddressDraft,
    pub product: Option<String>,
    pub quantity: Option<u32>,
    /// Items to order: SKU and quantity.
    pub cart: Vec<(String, u32)>,
    pub frequency: Option<u32>,
    pub sub_action: Option<SubAction>,
    pub subscription: Option<i64>,
    pub exchange_sku: Option<String>,
    pub problem: Option<Problem>,
    pub resolution: Option<Resolution>,
    /// The caller confirmed the read-back.
    pub confirmed: bool,
    /// The order was read out to the caller (a confirmation call).
    pub read_out: bool,
    /// The caller has had the answer to the request (e.g. why a return is not possible);
    /// what is still asked only offers more, so leaving now leaves nothing undone.
    pub told: bool,
    /// Words of the utterance that started the request.
    pub words: Vec<String>,
    /// A request to go back to when this one is done (a confirmation call paused for an
    /// address change).
    pub resume: Option<Box<Task>>,
}

impl Task {
    fn new(goal: Goal, words: Vec<String>) -> Task {
        Task {
            goal,
            order: None,
            reuse_offered: false,
            cancel_reason: None,
            return_reason: None,
            lines: Vec::new(),
            refund_method: None,
            pickup: None,
            date: None,
            slot: None,
            address: AddressDraft::default(),
            product: None,
            quantity: None,
            cart: Vec::new(),
            frequency: None,
            sub_action: None,
            subscription: None,
            exchange_sku: None,
            problem: None,
            resolution: None,
            confirmed: false,
            read_out: false,
            told: false,
            words,
            resume: None,
        }
    }
}

/// A yes/no question and what it decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum YesNo {
    /// "Is there anything else I can help you with?"
    AnythingElse,
    /// "Would you like me to connect you with a person?"
    OfferHuman,
    /// Reuse the order of an earlier request.
    UseKnownOrder,
    /// Text the tracking link.
    TrackingLink,
    /// Go on to the caller's next order.
    NextOrder,
    /// The read-back of the current request: go ahead?
    Proceed,
    /// A shipped or delivered order cannot be cancelled: start a return instead?
    StartReturn,
    /// A return asked for an order that has not shipped: cancel it instead?
    StartCancel,
    /// Past the return window: ask a person for an exception?
    Exception,
    /// Offer to confirm a pending order after its status.
    ConfirmPending,
}

/// What the agent just asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ask {
    Nothing,
    YesNo(YesNo),
    OrderNumber,
    Factor,
    Phone,
    PhoneFactor,
    PickOrder(Vec<String>),
    AccountEmail,
    AccountFactor(i64),
    CancelReason,
    ReturnItems,
    ReturnReason,
    RefundMethod,
    Date,
    Slot,
    Street,
    City,
    Zip,
    ExchangeVariant,
    ProblemKind,
    ProblemResolution,
    Product,
    Quantity,
    Frequency,
    SubscriptionAction,
    WhichSubscription(Vec<i64>),
    /// An order confirmation call: confirm, cancel, change the address or the date?
    ConfirmCall,
}

impl Ask {
    /// The entity a bare answer is most likely to be.
    fn expects(&self) -> Option<EntityKind> {
        match self {
            Ask::OrderNumber => Some(EntityKind::OrderNumber),
            Ask::Factor | Ask::Zip | Ask::AccountFactor(_) | Ask::PhoneFactor => {
                Some(EntityKind::ZipCode)
            }
            Ask::Phone => Some(EntityKind::PhoneNumber),
            Ask::AccountEmail => Some(EntityKind::Email),
            Ask::CancelReason => Some(EntityKind::CancelReason),
            Ask::ReturnReason => Some(EntityKind::ReturnReason),
            Ask::RefundMethod => Some(EntityKind::RefundMethod),
            Ask::Date => Some(EntityKind::Date),
            Ask::Slot => Some(EntityKind::TimeSlot),
            Ask::Product | Ask::ExchangeVariant => Some(EntityKind::Product),
            Ask::Quantity => Some(EntityKind::Quantity),
            Ask::Frequency => Some(EntityKind::FrequencyDays),
            _ => None,
        }
    }
}

/// What kind of answer the agent is waiting for. A question that accepts several kinds
/// (the verification factor: zip, email or phone) is `Free`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerShape {
    Free,
    OrderNumber,
    Zip,
    Phone,
    YesNo,
    Product,
}

/// One utterance as the engine sees it.
pub(crate) struct Said<'a> {
    pub text: &'a str,
    pub words: Vec<String>,
    pub intent: Intent,
    pub confidence: f32,
    pub entities: &'a Entities,
    pub alternatives: &'a [ScoredIntent],
    /// Typed on the keypad rather than spoken.
    pub keypad: bool,
}

/// How an answer to the current question went.
pub(crate) enum Answer {
    /// The question is answered; go on with the request.
    Filled,
    /// The reply is already said (e.g. the request ended or moved on).
    Handled,
    /// Not an answer to the question.
    Missed,
}

/// The agent's memory of one conversation.
#[derive(Debug, Default)]
pub(crate) struct Session {
    /// Orders the caller proved they own.
    pub verified: Vec<String>,
    /// A customer known from a verified phone/email path or a linked speaker.
    pub customer: Option<i64>,
    /// The order the conversation is about (verified).
    pub focus: Option<String>,
    /// An order number heard but not yet verified.
    pub heard_order: Option<String>,
    /// The order an outbound confirmation call is about.
    pub called_about: Option<String>,
    /// A phone number heard on the phone path.
    pub heard_phone: Option<String>,
    /// Verification factors said together with the heard order number, before the agent
    /// asked for one.
    pub heard_factors: Option<identity::Factors>,
    /// Other orders of the caller still to go through, in turn.
    pub queue: Vec<String>,
    /// Identity checks failed in this conversation.
    pub failures: u32,
    pub misses: u32,
    pub fallbacks: u32,
    pub timeouts: u32,
    pub turns: u32,
    pub primary: Option<Intent>,
    pub completed: u32,
    pub escalated: bool,
    pub ended: bool,
    pub last_reply: String,
    /// What was done, for a hand-off summary.
    pub done: Vec<String>,
    /// Why a person was offered, for the hand-off if the caller accepts.
    pub offer_reason: Option<HandOffReason>,
    /// The caller said goodbye with a request unfinished.
    pub left_mid_request: bool,
    /// The request finished last, to recognise a "yes, go ahead with it" said after it.
    pub last_goal: Option<Goal>,
    /// Sync notices already said in this conversation.
    pub told: Vec<i64>,
    /// The age of stale order details was said (once a conversation).
    pub data_age_told: bool,
}

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
    ask_key: Option<(&'static str, Vec<(String, String)>)>,
    out: Vec<String>,
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
            step: Step::default(),
        }
    }

    /// The entity the agent's last question expects, to bias understanding.
    pub fn expecting(&self) -> Option<EntityKind> {
        self.ask.expects()
    }

    /// The shape of answer the last question wants, so a recogniser can be biased.
    pub fn answer_shape(&self) -> AnswerShape {
        match &self.ask {
            Ask::OrderNumber => AnswerShape::OrderNumber,
            Ask::Zip => AnswerShape::Zip,
            Ask::Phone => AnswerShape::Phone,
            Ask::YesNo(_) => AnswerShape::YesNo,
            Ask::Product | Ask::ExchangeVariant => AnswerShape::Product,
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
        self.step = Step::default();
        if self.s.ended {
            self.say(p!("already_ended"), &[]);
            return self.finish_step();
        }
        match event {
            Event::Start { confirm_order } => self.start(confirm_order, facts),
            Event::Timeout => self.timeout(),
            Event::ApplyFailed => self.apply_failed(),
            Event::Keypad(digits) => {
                let digits: String = digits.chars().filter(char::is_ascii_digit).collect();
                let entities = self.keypad_entities(&digits);
                let said = Said {
                    text: &digits,
                    words: vec![digits.clone()],
                    intent: Intent::Fallback,
                    confidence: 0.0,
                    entities: &entities,
                    alternatives: &[],
                    keypad: true,
                };
                self.utterance(&said, facts);
            }
            Event::Utterance {
                text,
                intent,
                confidence,
                entities,
                alternatives,
            } => {
                let words = locale::words(&text);
                // A number read out on its own ("it's one oh oh oh …") says nothing of
                // what the caller wants, whatever the classifier made of it: it is taken
                // like the same digits typed on the keypad.
                let identifier = entities.order_number.is_some()
                    || entities.zip_code.is_some()
                    || entities.phone_number.is_some();
                let (intent, confidence) = if identifier && bare_number(&words) {
                    (Intent::Fallback, 0.0)
                } else {
                    (intent, confidence)
                };
                let said = Said {
                    text: &text,
                    words,
                    intent,
                    confidence,
                    entities: &entities,
                    alternatives: &alternatives,
                    keypad: false,
                };
                self.utterance(&said, facts);
            }
        }
        self.resume_if_paused(facts);
        self.finish_step()
    }

    fn finish_step(&mut self) -> Step {
        let mut step = std::mem::take(&mut self.step);
        step.reply = self.out.join(" ");
        if !step.reply.is_empty() && !step.slow {
            self.s.last_reply = step.reply.clone();
        }
        step.end = self.s.ended;
        step
    }

    // ----- speaking -------------------------------------------------------------------

    /// Says a prompt, rotating through its variants on each use.
    pub(crate) fn say(&mut self, key: &'static str, args: &[(&str, String)]) {
        let n = self.uses.entry(key).or_insert(0);
        let text = self.catalog.render(key, *n, false, args);
        *n += 1;
        if !text.is_empty() {
            self.out.push(capitalised(text));
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
        if near == full {
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
        self.step.changes.push(change);
    }

    // ----- events ---------------------------------------------------------------------

    fn start(&mut self, confirm_order: Option<String>, facts: &dyn Facts) {
        if let Some(number) = confirm_order {
            match facts.order(&number) {
                Ok(Some(order)) => {
                    self.s.verified.push(number.clone());
                    self.s.focus = Some(number.clone());
                    self.s.called_about = Some(number.clone());
                    self.s.primary = Some(Intent::ConfirmOrder);
                    let mut task = Task::new(Goal::Confirm, Vec::new());
                    task.order = Some(number);
                    self.task = Some(task);
                    self.say(
                        p!("outbound_greeting"),
                        &[
                            ("store", self.config.store.name.clone()),
                            ("name", first_name(&order.customer.name)),
                        ],
                    );
                    self.advance(facts);
                }
                Ok(None) => {
                    self.say(p!("outbound_unknown"), &[]);
                    self.s.ended = true;
                }
                Err(e) => self.store_trouble(&e),
            }
            return;
        }
        let name = match self.s.customer.map(|id| facts.customer(id)) {
            Some(Ok(Some(c))) => Some(first_name(&c.name)),
            _ => None,
        };
        let store = self.config.store.name.clone();
        match (name, self.s.customer) {
            (Some(name), Some(customer)) => {
                // A household's own speaker: news first, then the question.
                let news = self.notices(facts, NoticeScope::Customer(customer), true);
                if news.is_empty() {
                    self.say(p!("greeting_known"), &[("store", store), ("name", name)]);
                } else {
                    self.say(
                        p!("greeting_known_news"),
                        &[("store", store), ("name", name)],
                    );
                    self.out.extend(news);
                    self.say(p!("how_can_i_help"), &[]);
                }
            }
            _ => self.say(p!("greeting"), &[("store", store)]),
        }
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
        self.say(
            p!("verified_order"),
            &[("number", st::digits_grouped(number))],
        );
        self.say_notices(facts, &[NoticeScope::Order(number)]);
    }

    fn say_notices(&mut self, facts: &dyn Facts, scopes: &[NoticeScope<'_>]) {
        for scope in scopes {
            let news = self.notices(facts, *scope, false);
            self.out.extend(news);
        }
    }

    /// The sentences of the notices in `scope` not yet said in this conversation (only
    /// refused changes unless `news` also asks for delivery news); each is recorded in
    /// the step so the caller of the engine can mark it delivered.
    fn notices(&mut self, facts: &dyn Facts, scope: NoticeScope<'_>, news: bool) -> Vec<String> {
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

    fn timeout(&mut self) {
        self.s.timeouts += 1;
        if self.s.timeouts > self.config.dialog.max_timeouts {
            self.say(p!("timeout_goodbye"), &[]);
            self.s.ended = true;
            return;
        }
        self.say(p!("timeout"), &[]);
        self.ask_again();
    }

    fn apply_failed(&mut self) {
        self.task = None;
        self.say(p!("write_failed"), &[]);
        self.offer_human(HandOffReason::SystemError);
    }

    /// Asks whether the caller wants a person, remembering why.
    pub(crate) fn offer_human(&mut self, reason: HandOffReason) {
        self.s.offer_reason = Some(reason);
        self.ask = Ask::YesNo(YesNo::OfferHuman);
    }

    pub(crate) fn store_trouble(&mut self, e: &FactsError) {
        tracing::error!(error = %e, "store read failed during the dialog");
        self.task = None;
        self.say(p!("store_trouble"), &[]);
        self.offer_human(HandOffReason::SystemError);
    }

    fn keypad_entities(&self, digits: &str) -> Entities {
        let mut e = Entities::default();
        match (&self.ask, digits.len()) {
            (_, 0) => {}
            (Ask::OrderNumber, _) => e.order_number = Some(digits.to_string()),
            (Ask::Phone, _) => e.phone_number = Some(digits.to_string()),
            (Ask::Factor | Ask::PhoneFactor | Ask::AccountFactor(_) | Ask::Zip, 5) => {
                e.zip_code = Some(digits.to_string())
            }
            (Ask::Factor | Ask::PhoneFactor | Ask::AccountFactor(_), _) => {
                e.phone_number = Some(digits.to_string())
            }
            (Ask::Quantity, _) => e.quantity = digits.parse().ok(),
            (_, n) if n >= 6 => e.order_number = Some(digits.to_string()),
            _ => e.quantity = digits.parse().ok(),
        }
        e
    }

    fn utterance(&mut self, said: &Said<'_>, facts: &dyn Facts) {
        self.s.turns += 1;
        self.s.timeouts = 0;
        if said.text.trim().is_empty() {
            self.say(p!("heard_nothing"), &[]);
            self.ask_again();
            return;
        }
        // Requests that take precedence over any question.
        if self.phrases().any("card_number", &said.words) {
            self.refuse_card(facts);
            self.ask_again();
            return;
        }
        if !said.keypad && self.phrases().any("complaint", &said.words) {
            self.note_primary(said.intent);
            self.hand_off(HandOffReason::Complaint);
            return;
        }
        // A clear request for a person is honoured at once when nothing is pending; a
        // pending question gets the first chance, since a short answer ("a replacement
        // please") can look like such a request.
        // An order number read out with an unsure guess at a person ("I think I've got
        // a delivery today, order 1 0 0 …") is about that order.
        let unsure_with_order = said.entities.order_number.is_some()
            && said.confidence < self.config.dialog.switch_confidence;
        if said.intent == Intent::SpeakToAgent && self.ask == Ask::Nothing && !unsure_with_order {
            self.note_primary(said.intent);
            self.hand_off(HandOffReason::Requested);
            return;
        }
        // "Forget it, I'll just wait": the request in progress is withdrawn, whatever
        // was being asked; a goodbye said with it ends the call.
        if self.task.is_some()
            && self.phrases().any("withdraw", &said.words)
            && Goal::from_intent(said.intent).is_none()
        {
            self.withdraw(said);
            return;
        }
        let closing_question = matches!(
            self.ask,
            Ask::Nothing | Ask::YesNo(YesNo::AnythingElse | YesNo::OfferHuman | YesNo::NextOrder)
        );
        match said.intent {
            Intent::Repeat => {
                self.repeat();
                return;
            }
            // "So what about 1 0 0 0 …?" names an order: not a request for the menu.
            Intent::Help if said.entities.order_number.is_none() => {
                self.help();
                return;
            }
            Intent::EndConversation
                if closing_question
                    || self.yes_no(said).is_none()
                    || said.confidence >= self.config.dialog.switch_confidence =>
            {
                self.goodbye();
                return;
            }
            _ => {}
        }

        if self.ask != Ask::Nothing {
            let ask = self.ask.clone();
            match self.answer(&ask, said, facts) {
                Answer::Filled => {
                    self.step.answered = true;
                    self.s.misses = 0;
                    self.s.fallbacks = 0;
                    self.ask = Ask::Nothing;
                    self.advance(facts);
                }
                Answer::Handled => {
                    self.step.answered = true;
                    self.s.misses = 0;
                    self.s.fallbacks = 0;
                }
                Answer::Missed => {
                    if said.intent == Intent::SpeakToAgent
                        && said.confidence >= self.config.dialog.switch_confidence
                    {
                        self.note_primary(said.intent);
                        self.hand_off(HandOffReason::Requested);
                    } else if let Some(goal) = self.switch_goal(said) {
                        self.s.misses = 0;
                        self.start_goal(goal, said, facts);
                    } else if let Some(goal) = self.asked_again(said) {
                        // "Could you read me the tracking number again?" at the link
                        // offer: the answer is given again, with its question.
                        self.s.misses = 0;
                        self.step.answered = true;
                        self.start_goal(goal, said, facts);
                    } else if self.side_question(said, facts) {
                        self.s.misses = 0;
                        self.step.answered = true;
                    } else {
                        self.missed();
                    }
                }
            }
            return;
        }
        self.route(said, facts);
    }

    /// A policy question asked in the middle of a request ("before we go on, how long
    /// does the refund take?"): answered, then the pending question is asked again and
    /// the request goes on. False when it is not one or the documents have no answer.
    fn side_question(&mut self, said: &Said<'_>, facts: &dyn Facts) -> bool {
        let clear = said.intent == Intent::PolicyQuestion
            && said.confidence >= self.config.dialog.switch_confidence;
        let Some(answer) = clear.then(|| facts.policy_answer(said.text)).flatten() else {
            return false;
        };
        self.out.push(st::plain(&answer.text));
        self.say(p!("back_to_question"), &[]);
        self.say_pending_question(false);
        true
    }

    /// A request for something else, clear enough to leave the current question.
    fn switch_goal(&self, said: &Said<'_>) -> Option<Goal> {
        let goal = Goal::from_intent(said.intent)?;
        let current = self.task.as_ref().map(|t| t.goal);
        let clear = said.confidence >= self.config.dialog.switch_confidence;
        (clear && current != Some(goal)).then_some(goal)
    }

    /// The question the current request answered, asked again (what it said about the
    /// order, wanted once more), clear enough to leave the pending question for.
    fn asked_again(&self, said: &Said<'_>) -> Option<Goal> {
        let goal = Goal::from_intent(said.intent)?;
        let current = self.task.as_ref().map(|t| t.goal)?;
        let clear = said.confidence >= self.config.dialog.switch_confidence;
        (clear && goal == current && goal.about_the_order_in_focus()).then_some(goal)
    }

    fn route(&mut self, said: &Said<'_>, facts: &dyn Facts) {
        // A caller who just reads out an order number ("and order 1 2 3 ...") wants to
        // know about it, whatever the classifier made of the bare number.
        let about_an_order = said.entities.order_number.is_some()
            && said.entities.product.is_none()
            && matches!(
                said.intent,
                Intent::PlaceOrder
                    | Intent::Reorder
                    | Intent::Fallback
                    | Intent::Affirm
                    | Intent::Help
                    | Intent::SpeakToAgent
            );
        if about_an_order {
            self.s.fallbacks = 0;
            self.start_goal(Goal::Status, said, facts);
            return;
        }
        // "My coffee says delivered but there's nothing on my porch", unsurely taken for a
        // status question: the problem it names is what the caller wants sorted.
        let unsure_status = matches!(
            said.intent,
            Intent::GetOrderStatus | Intent::TrackPackage | Intent::Fallback
        ) && said.confidence < self.config.dialog.switch_confidence;
        if unsure_status && returns::names_a_problem(self, said) {
            self.s.fallbacks = 0;
            self.start_goal(Goal::Problem, said, facts);
            return;
        }
        if let Some(goal) = Goal::from_intent(said.intent) {
            self.s.fallbacks = 0;
            self.start_goal(goal, said, facts);
            return;
        }
        match said.intent {
            Intent::PolicyQuestion => {
                self.s.fallbacks = 0;
                self.note_primary(Intent::PolicyQuestion);
                self.policy(said, facts);
            }
            Intent::Affirm => {
                self.say(p!("how_can_i_help"), &[]);
            }
            Intent::Deny | Intent::EndConversation => self.goodbye(),
            // Understood, and not ours to serve: saying so beats "say that again", and it
            // is not counted towards offering a person for not understanding.
            Intent::OutOfScope => self.say(p!("out_of_scope"), &[]),
            _ => self.fallback(said),
        }
    }

    pub(crate) fn note_primary(&mut self, intent: Intent) {
        if self.s.primary.is_none() {
            self.s.primary = Some(intent);
        }
    }

    fn start_goal(&mut self, goal: Goal, said: &Said<'_>, facts: &dyn Facts) {
        self.note_primary(said.intent);
        let mut task = Task::new(goal, said.words.clone());
        identity::take_entities(self, &mut task, said);
        // A confirmation call paused for an address or date change comes back after it.
        if let Some(current) = self.task.take() {
            if current.goal == Goal::Confirm
                && matches!(goal, Goal::ChangeAddress | Goal::Reschedule)
            {
                task.order = current.order.clone();
                task.resume = Some(Box::new(current));
            }
        }
        self.task = Some(task);
        self.ask = Ask::Nothing;
        self.advance(facts);
    }

    /// Drives the current request until it asks something or is done.
    pub(crate) fn advance(&mut self, facts: &dyn Facts) {
        let Some(goal) = self.task.as_ref().map(|t| t.goal) else {
            return;
        };
        if goal.needs_order()
            && self.task.as_ref().is_some_and(|t| t.order.is_none())
            && !identity::resolve_order(self, facts)
        {
            return;
        }
        match goal {
            Goal::Status => orders::status(self, facts),
            Goal::Track => orders::track(self, facts),
            Goal::Cancel => orders::cancel(self, facts),
            Goal::Reschedule => orders::reschedule(self, facts),
            Goal::ChangeAddress => orders::change_address(self, facts),
            Goal::Confirm => orders::confirm(self, facts),
            Goal::Return => returns::return_item(self, facts),
            Goal::Exchange => returns::exchange(self, facts),
            Goal::Problem => returns::problem(self, facts),
            Goal::ReturnStatus => returns::return_status(self, facts),
            Goal::Place | Goal::Reorder => commerce::purchase(self, facts),
            Goal::Subscription => commerce::subscription(self, facts),
        }
    }

    pub(crate) fn task(&mut self) -> &mut Task {
        self.task.as_mut().expect("a request is in progress")
    }

    pub(crate) fn task_ref(&self) -> Option<&Task> {
        self.task.as_ref()
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

    /// The current request is done: resume a paused one, or offer more help.
    pub(crate) fn complete(&mut self) {
        self.s.completed += 1;
        self.s.last_goal = self.task.as_ref().map(|t| t.goal);
        let resume = self.task.take().and_then(|t| t.resume);
        self.ask = Ask::Nothing;
        if let Some(paused) = resume {
            self.task = Some(*paused);
            return;
        }
        if let Some(next) = self.s.queue.first().cloned() {
            self.ask = Ask::YesNo(YesNo::NextOrder);
            self.say(
                p!("next_order_offer"),
                &[("count", st::number_words(self.s.queue.len() as u64))],
            );
            let _ = next;
            return;
        }
        self.anything_else();
    }

    /// Ends the current request without doing it (the caller declined, or policy does
    /// not allow it and the caller was told why): handled, nothing left pending.
    pub(crate) fn drop_task(&mut self) {
        self.end_task();
        self.anything_else();
    }

    /// Counts the current request as handled and forgets it, saying nothing.
    pub(crate) fn end_task(&mut self) {
        self.s.completed += 1;
        self.s.last_goal = self.task.take().map(|t| t.goal);
    }

    pub(crate) fn anything_else(&mut self) {
        self.say(p!("anything_else"), &[]);
        self.ask = Ask::YesNo(YesNo::AnythingElse);
    }

    /// Resumes a request paused for another (see [`Task::resume`]) right away.
    pub(crate) fn resume_if_paused(&mut self, facts: &dyn Facts) {
        if self.task.is_some() && self.ask == Ask::Nothing {
            self.advance(facts);
        }
    }

    fn ask_again(&mut self) {
        if self.ask != Ask::Nothing && self.say_pending_question(true) {
            return;
        }
        if matches!(self.ask, Ask::YesNo(YesNo::AnythingElse)) {
            self.say(p!("anything_else"), &[]);
        }
    }

    /// Says the question last asked again, in its prescriptive form after a miss or as
    /// first asked; false when no question was asked.
    fn say_pending_question(&mut self, prescriptive: bool) -> bool {
        let Some((key, args)) = self.ask_key.clone() else {
            return false;
        };
        let args: Vec<(&str, String)> = args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        if prescriptive {
            self.reprompt(key, &args);
        } else {
            self.say(key, &args);
        }
        true
    }

    fn missed(&mut self) {
        self.s.misses += 1;
        if self.s.misses >= self.config.dialog.max_misses {
            self.s.misses = 0;
            self.say(p!("too_many_misses"), &[]);
            self.offer_human(HandOffReason::NotUnderstood);
            return;
        }
        self.say(p!("missed"), &[]);
        self.ask_again();
    }

    fn fallback(&mut self, said: &Said<'_>) {
        self.s.fallbacks += 1;
        if self.s.fallbacks >= self.config.dialog.max_fallbacks {
            self.s.fallbacks = 0;
            self.say(p!("fallback_offer_human"), &[]);
            self.offer_human(HandOffReason::NotUnderstood);
            return;
        }
        // A near miss between two requests is worth a clarifying question.
        let options: Vec<String> = said
            .alternatives
            .iter()
            .filter(|a| a.confidence >= self.config.dialog.clarify_confidence)
            .filter_map(|a| Goal::from_intent(a.intent))
            .take(2)
            .map(|g| self.text(g.label_key(), &[]))
            .collect();
        if options.len() == 2 {
            self.say(p!("clarify"), &[("options", st::list_or(&options))]);
        } else {
            self.say(p!("fallback"), &[]);
        }
    }

    fn repeat(&mut self) {
        let last = self.s.last_reply.clone();
        if last.is_empty() {
            self.say(p!("nothing_to_repeat"), &[]);
        } else {
            self.out.push(last);
            self.step.slow = true;
        }
    }

    fn help(&mut self) {
        if self.ask != Ask::Nothing && !matches!(self.ask, Ask::YesNo(YesNo::AnythingElse)) {
            self.s.misses = self.s.misses.max(1);
            self.ask_again();
            return;
        }
        self.say(p!("help"), &[]);
        self.ask = Ask::Nothing;
    }

    fn goodbye(&mut self) {
        self.say(p!("goodbye"), &[]);
        let offer_pending = matches!(
            self.ask,
            Ask::YesNo(
                YesNo::TrackingLink
                    | YesNo::ConfirmPending
                    | YesNo::StartReturn
                    | YesNo::StartCancel
                    | YesNo::Exception
                    | YesNo::NextOrder
            )
        );
        let told = self.task.as_ref().is_some_and(|t| t.told);
        if self.task.take().is_some() {
            if offer_pending || told {
                // The answer was given; only a follow-up offer was left open.
                self.s.completed += 1;
            } else {
                // The caller left with a request unfinished; it stays undone.
                self.s.left_mid_request = true;
            }
        }
        self.s.ended = true;
    }

    /// The caller takes back the request in progress: nothing is done, and that is an
    /// answer, not an unfinished request.
    fn withdraw(&mut self, said: &Said<'_>) {
        self.step.answered = true;
        self.s.misses = 0;
        self.s.heard_order = None;
        self.s.heard_factors = None;
        self.task = None;
        self.ask = Ask::Nothing;
        self.s.completed += 1;
        if said.intent == Intent::EndConversation || self.phrases().any("goodbye", &said.words) {
            self.goodbye();
            return;
        }
        self.say(p!("not_done"), &[]);
        self.anything_else();
    }

    fn refuse_card(&mut self, facts: &dyn Facts) {
        let card = self
            .s
            .focus
            .as_ref()
            .and_then(|n| facts.order(n).ok().flatten())
            .and_then(|o| {
                let brand = o.payment.brand.clone()?;
                let last4 = o.payment.last4.clone()?;
                Some(st::card(&brand, &last4))
            });
        match card {
            Some(card) => self.say(p!("card_refused_with_last4"), &[("card", card)]),
            None => self.say(p!("card_refused"), &[]),
        }
    }

    fn policy(&mut self, said: &Said<'_>, facts: &dyn Facts) {
        match facts.policy_answer(said.text) {
            Some(answer) => {
                self.out.push(st::plain(&answer.text));
                self.s.completed += 1;
                self.anything_else();
            }
            None => {
                self.say(p!("policy_unknown"), &[]);
                self.offer_human(HandOffReason::Requested);
            }
        }
    }

    /// Passes the caller to a person with a summary of the conversation.
    pub(crate) fn hand_off(&mut self, reason: HandOffReason) {
        let order_number = self
            .task
            .as_ref()
            .and_then(|t| t.order.clone())
            .or_else(|| self.s.focus.clone());
        let summary = self.summary(reason, order_number.as_deref());
        self.change(Change::HandOff {
            reason,
            order_number,
            summary,
        });
        let key = match reason {
            HandOffReason::Complaint => p!("handoff_complaint"),
            HandOffReason::LongDelay => p!("handoff_delay"),
            HandOffReason::NotReceived => p!("handoff_not_received"),
            HandOffReason::Exception => p!("handoff_exception"),
            _ => p!("handoff"),
        };
        self.say(key, &[]);
        self.s.escalated = true;
        self.s.ended = true;
        self.task = None;
        self.ask = Ask::Nothing;
    }

    fn summary(&self, reason: HandOffReason, order: Option<&str>) -> String {
        let mut parts = vec![format!("reason: {}", reason.as_str())];
        if let Some(intent) = self.s.primary {
            parts.push(format!("request: {intent}"));
        }
        if let Some(task) = &self.task {
            parts.push(format!("in progress: {:?}", task.goal));
        }
        if let Some(order) = order {
            let verified = self.s.verified.iter().any(|v| v == order);
            parts.push(format!("order: {order} (verified: {verified})"));
        }
        if !self.s.done.is_empty() {
            parts.push(format!("done: {}", self.s.done.join(", ")));
        }
        parts.push(format!("turns: {}", self.s.turns));
        parts.join("; ")
    }

    /// Answers the current question from what was said.
    fn answer(&mut self, ask: &Ask, said: &Said<'_>, facts: &dyn Facts) -> Answer {
        match ask {
            Ask::Nothing => Answer::Missed,
            Ask::YesNo(q) => self.answer_yes_no(*q, said, facts),
            Ask::OrderNumber
            | Ask::Factor
            | Ask::Phone
            | Ask::PhoneFactor
            | Ask::PickOrder(_)
            | Ask::AccountEmail
            | Ask::AccountFactor(_) => identity::answer(self, ask, said, facts),
            Ask::CancelReason
            | Ask::Date
            | Ask::Slot
            | Ask::Street
            | Ask::City
            | Ask::Zip
            | Ask::ConfirmCall => orders::answer(self, ask, said, facts),
            Ask::ReturnItems
            | Ask::ReturnReason
            | Ask::RefundMethod
            | Ask::ExchangeVariant
            | Ask::ProblemKind
            | Ask::ProblemResolution => returns::answer(self, ask, said, facts),
            Ask::Product
            | Ask::Quantity
            | Ask::Frequency
            | Ask::SubscriptionAction
            | Ask::WhichSubscription(_) => commerce::answer(self, ask, said, facts),
        }
    }

    /// Reads a yes or a no.
    pub(crate) fn yes_no(&self, said: &Said<'_>) -> Option<bool> {
        match said.intent {
            Intent::Affirm | Intent::ConfirmOrder => return Some(true),
            Intent::Deny => return Some(false),
            _ => {}
        }
        let first = said.words.first()?;
        if self.phrases().any("yes", std::slice::from_ref(first)) {
            Some(true)
        } else if self.phrases().any("no", std::slice::from_ref(first)) {
            Some(false)
        } else {
            None
        }
    }

    /// The utterance asks for something besides its yes or no: a request, a policy
    /// question or an order number.
    fn names_a_request(&self, said: &Said<'_>) -> bool {
        Goal::from_intent(said.intent).is_some()
            || said.intent == Intent::PolicyQuestion
            || said.entities.order_number.is_some()
    }

    /// An offer taken up by naming what was offered ("text me the link", "send it over"),
    /// with no yes said.
    fn takes_up(&self, q: YesNo, said: &Said<'_>) -> Option<bool> {
        let list = match q {
            YesNo::TrackingLink => "take_up_link",
            // "Just send me the label" at the read-back of a return that goes by label.
            YesNo::Proceed
                if self
                    .task
                    .as_ref()
                    .is_some_and(|t| t.goal == Goal::Return && t.pickup != Some(true)) =>
            {
                "label"
            }
            _ => return None,
        };
        let ph = self.phrases();
        (ph.any(list, &said.words) && !ph.any("no", &said.words)).then_some(true)
    }

    fn answer_yes_no(&mut self, q: YesNo, said: &Said<'_>, facts: &dyn Facts) -> Answer {
        // "Can somebody at least review it?" when a person was offered is a yes.
        let asks_for_person = matches!(q, YesNo::OfferHuman | YesNo::Exception)
            && said.intent == Intent::SpeakToAgent;
        let yes = self
            .yes_no(said)
            .or_else(|| self.takes_up(q, said))
            .or(asks_for_person.then_some(true));
        match q {
            YesNo::AnythingElse => {
                // "No thanks. Oh, and can you check my other order?": the new request wins.
                let new_request = self.names_a_request(said);
                match yes {
                    _ if self.go_ahead_with_what_was_done(said) => {
                        self.say(p!("already_done"), &[]);
                        self.anything_else();
                        Answer::Handled
                    }
                    _ if new_request => {
                        self.ask = Ask::Nothing;
                        self.route(said, facts);
                        Answer::Handled
                    }
                    Some(false) => {
                        self.goodbye();
                        Answer::Handled
                    }
                    Some(true) => {
                        self.ask = Ask::Nothing;
                        self.say(p!("what_else"), &[]);
                        Answer::Handled
                    }
                    None => {
                        self.ask = Ask::Nothing;
                        self.route(said, facts);
                        Answer::Handled
                    }
                }
            }
            YesNo::OfferHuman => match yes {
                Some(true) => {
                    let reason = self
                        .s
                        .offer_reason
                        .take()
                        .unwrap_or(HandOffReason::Requested);
                    self.hand_off(reason);
                    Answer::Handled
                }
                // "No no, I just want to know where my order is": declined, and the
                // request said with it is taken up at once.
                Some(false) if self.names_a_request(said) => {
                    self.ask = Ask::Nothing;
                    self.task = None;
                    self.route(said, facts);
                    Answer::Handled
                }
                Some(false) => {
                    self.ask = Ask::Nothing;
                    self.task = None;
                    self.say(p!("how_else"), &[]);
                    Answer::Handled
                }
                None => {
                    self.ask = Ask::Nothing;
                    self.route(said, facts);
                    Answer::Handled
                }
            },
            YesNo::NextOrder => match yes {
                Some(true) => {
                    let next = self.s.queue.remove(0);
                    self.s.focus = Some(next.clone());
                    let mut task = Task::new(Goal::Status, Vec::new());
                    task.order = Some(next);
                    self.task = Some(task);
                    Answer::Filled
                }
                Some(false) => {
                    self.s.queue.clear();
                    self.anything_else();
                    Answer::Handled
                }
                None => Answer::Missed,
            },
            YesNo::Proceed if self.amend(said) => {
                // "Oh no, the zip's wrong, it's 78703": the read-back is corrected and
                // said again, nothing is cancelled.
                self.ask = Ask::Nothing;
                self.task().confirmed = false;
                self.advance(facts);
                Answer::Handled
            }
            _ => {
                // "No, but can I reschedule it?": the answer, then the new request. A yes
                // that names the request ("yes, cancel it") is only a yes.
                if let Some(goal) = self.switch_goal(said).filter(|_| yes != Some(true)) {
                    self.ask = Ask::Nothing;
                    self.start_goal(goal, said, facts);
                    return Answer::Handled;
                }
                match yes {
                    Some(answer) => {
                        self.ask = Ask::Nothing;
                        self.decide(q, answer, facts);
                        Answer::Handled
                    }
                    None => Answer::Missed,
                }
            }
        }
    }

    /// "Yes, go ahead with the refund" after the refund was made: a go-ahead for the
    /// request just finished (starting with a yes, naming that request or its follow-up,
    /// and not another order or item), not a new request.
    fn go_ahead_with_what_was_done(&self, said: &Said<'_>) -> bool {
        let (Some(last), Some(goal)) = (self.s.last_goal, Goal::from_intent(said.intent)) else {
            return false;
        };
        let starts_yes = said
            .words
            .first()
            .is_some_and(|w| self.phrases().any("yes", std::slice::from_ref(w)));
        let after_sales = |g: Goal| {
            matches!(
                g,
                Goal::Return | Goal::Exchange | Goal::Problem | Goal::ReturnStatus
            )
        };
        // A question about where an order is may well be about another one: asked.
        let related = !goal.about_the_order_in_focus()
            && (goal == last || (after_sales(goal) && after_sales(last)));
        starts_yes
            && related
            && said.entities.order_number.is_none()
            && said.entities.product.is_none()
            && !self.phrases().any("other_order", &said.words)
    }

    /// A correction said at the read-back of the current request: a new value for
    /// something read back replaces it ("no, make it the evening", "the zip is 78703"),
    /// and a part named as wrong with no new value ("the city's wrong") is asked again.
    /// Returns whether anything changed.
    fn amend(&mut self, said: &Said<'_>) -> bool {
        fn replace<T: PartialEq + Clone>(slot: &mut Option<T>, new: &Option<T>) -> bool {
            match (slot.as_ref(), new) {
                (Some(old), Some(v)) if old != v => {
                    *slot = Some(v.clone());
                    true
                }
                _ => false,
            }
        }
        let ent = said.entities;
        let yes = self.yes_no(said) == Some(true);
        let named = |list: &str| !yes && self.phrases().any(list, &said.words);
        let (zip_named, city_named, street_named, day_named, time_named) = (
            named("field_zip"),
            named("field_city"),
            named("field_street"),
            named("field_day"),
            named("field_time"),
        );
        let (pickup_named, label_named) = (
            self.phrases().any("pickup", &said.words),
            self.phrases().any("label", &said.words),
        );
        let max_quantity = self.config.policy.orders.max_voice_quantity;
        let heard_street = self
            .task
            .as_ref()
            .filter(|t| t.goal == Goal::ChangeAddress)
            .and_then(|_| orders::heard_address(self, said, true));
        let Some(task) = self.task.as_mut() else {
            return false;
        };
        let mut changed = false;
        match task.goal {
            Goal::ChangeAddress => {
                // "No, it's 2210 Lake Shore Drive": a street said again replaces the
                // street (and the city or zip said with it).
                let street_said = heard_street.is_some();
                if let Some(heard) = heard_street {
                    let before = (
                        task.address.line1.clone(),
                        task.address.city.clone(),
                        task.address.zip.clone(),
                    );
                    orders::merge_address(&mut task.address, heard);
                    changed |= before
                        != (
                            task.address.line1.clone(),
                            task.address.city.clone(),
                            task.address.zip.clone(),
                        );
                }
                if !street_said {
                    changed |= replace(&mut task.address.zip, &ent.zip_code);
                }
                for (named, part) in [
                    (zip_named && !changed, &mut task.address.zip),
                    (city_named, &mut task.address.city),
                    (street_named, &mut task.address.line1),
                ] {
                    if named && part.is_some() {
                        *part = None;
                        changed = true;
                    }
                }
            }
            Goal::Reschedule => {
                let new_date = replace(&mut task.date, &ent.date);
                let new_slot = replace(&mut task.slot, &ent.time_slot);
                if day_named && !new_date && ent.date.is_none() {
                    task.date = None;
                }
                if time_named && !new_slot && ent.time_slot.is_none() {
                    task.slot = None;
                }
                changed = new_date || new_slot || task.date.is_none() || task.slot.is_none();
            }
            Goal::Cancel => changed |= replace(&mut task.cancel_reason, &ent.cancel_reason),
            Goal::Return | Goal::Exchange | Goal::Problem => {
                changed |= replace(&mut task.refund_method, &ent.refund_method);
                changed |= replace(&mut task.return_reason, &ent.return_reason);
                if task.goal == Goal::Return {
                    changed |= amend_pickup(task, ent, pickup_named, label_named);
                }
            }
            Goal::Place | Goal::Reorder => changed |= amend_cart(task, ent, max_quantity),
            Goal::Subscription => {
                changed |= replace(&mut task.frequency, &ent.frequency_days);
                if matches!(
                    task.sub_action,
                    Some(SubAction::Create | SubAction::ChangeQuantity)
                ) {
                    changed |= replace(&mut task.quantity, &ent.quantity);
                }
            }
            _ => {}
        }
        changed
    }

    /// Acts on a yes or no to a question of the current request.
    fn decide(&mut self, q: YesNo, yes: bool, facts: &dyn Facts) {
        match q {
            YesNo::UseKnownOrder => identity::decide(self, yes, facts),
            YesNo::TrackingLink => orders::send_tracking(self, yes),
            YesNo::ConfirmPending => {
                if yes {
                    if let Some(task) = self.task.as_mut() {
                        task.goal = Goal::Confirm;
                    }
                    orders::confirm(self, facts);
                } else {
                    self.complete();
                }
            }
            YesNo::StartCancel => {
                if yes {
                    if let Some(task) = self.task.as_mut() {
                        task.goal = Goal::Cancel;
                    }
                    self.advance(facts);
                } else {
                    self.complete();
                }
            }
            YesNo::StartReturn => {
                if yes {
                    if let Some(task) = self.task.as_mut() {
                        task.goal = Goal::Return;
                    }
                    self.advance(facts);
                } else {
                    self.complete();
                }
            }
            YesNo::Exception => {
                if yes {
                    self.hand_off(HandOffReason::Exception);
                } else {
                    self.drop_task();
                }
            }
            YesNo::Proceed => {
                if yes {
                    self.task().confirmed = true;
                    self.advance(facts);
                } else {
                    self.say(p!("not_done"), &[]);
                    self.drop_task();
                }
            }
            YesNo::AnythingElse | YesNo::OfferHuman | YesNo::NextOrder => {}
        }
    }
}

/// "Could a courier pick it up instead, Thursday?" or "actually I'll take the label" at
/// the read-back of a return: the way it goes back changes, with the pickup's date and
/// slot when said.
fn amend_pickup(task: &mut Task, ent: &Entities, pickup_named: bool, label_named: bool) -> bool {
    if task.pickup == Some(true) {
        if label_named && !pickup_named {
            task.pickup = Some(false);
            task.date = None;
            task.slot = None;
            return true;
        }
        let when = (ent.date.or(task.date), ent.time_slot.or(task.slot));
        let changed = when != (task.date, task.slot);
        (task.date, task.slot) = when;
        changed
    } else if pickup_named {
        task.pickup = Some(true);
        task.date = ent.date;
        task.slot = ent.time_slot;
        true
    } else {
        false
    }
}

/// A quantity said at the read-back of an order being placed ("actually make it three
/// bags"): it belongs to this order, not to a subscription of the same product. It
/// changes the line it names, or the only line. A one-line order goes back through the
/// product-and-quantity path, so the new quantity is checked like any other.
fn amend_cart(task: &mut Task, ent: &Entities, max: u32) -> bool {
    let Some(qty) = ent.quantity else {
        return false;
    };
    let line = ent
        .product
        .as_ref()
        .and_then(|sku| task.cart.iter().position(|(s, _)| s == sku))
        .or_else(|| (task.cart.len() == 1).then_some(0));
    let Some(i) = line else {
        return false;
    };
    let (sku, old) = task.cart[i].clone();
    if old == qty {
        return false;
    }
    // Too many for one line of a larger order: it is asked again like a stock shortage,
    // on its own.
    if task.cart.len() == 1 || qty > max {
        task.cart.clear();
        task.product = Some(sku);
        task.goal = Goal::Place;
        task.quantity = Some(qty);
    } else if qty > 0 {
        task.cart[i].1 = qty;
    } else {
        task.cart.remove(i);
    }
    true
}

/// A sentence starts with a capital, whatever a placeholder put first ("yesterday ...").
fn capitalised(text: String) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) if c.is_lowercase() => c.to_uppercase().chain(chars).collect(),
        _ => text,
    }
}

/// The first name of a full name, to greet by.
fn first_name(name: &str) -> String {
    name.split_whitespace()
        .next()
        .unwrap_or("there")
        .to_string()
}

/// The words are a number and nothing else that asks for anything ("it's one oh oh
/// oh …", "yeah the number is 1 2 3 …").
fn bare_number(words: &[String]) -> bool {
    const FILLERS: [&str; 22] = [
        "it's", "its", "it", "is", "my", "the", "order", "number", "yeah", "yes", "so", "and",
        "ok", "okay", "that's", "thats", "sure", "here", "double", "triple", "uh", "um",
    ];
    let is_digit = |w: &String| {
        w.bytes().all(|b| b.is_ascii_digit())
            || voxorder_domain::speech_text::digit_word(w).is_some()
    };
    words.iter().any(is_digit)
        && words
            .iter()
            .all(|w| is_digit(w) || FILLERS.contains(&w.as_str()))
}

#[cfg(test)]
mod tests;

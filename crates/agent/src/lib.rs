//! One conversation, wired end to end: text, keypad digits or a silence → NLU → the
//! dialog engine → the store (the step's changes and their outbox commands in one
//! transaction, verification records, the audit trail) → the reply. `chat` drives it
//! from text; the speech loop drives it from the recogniser.
//!
//! What every front end shares is built once per process as [`AgentAssets`] (the
//! configuration, the locale catalog, the NLU, the knowledge base) and lent to each
//! conversation.
//!
//! Architecture invariant: the agent holds no conversation logic (that is the engine's)
//! and runs no SQL (that is the store's); it orders the calls and keeps the audit trail
//! free of contact details.

mod assets;

pub use assets::{AgentAssets, AssetsError};
pub use voxorder_dialog::AnswerShape;

use std::sync::Arc;

use serde::Serialize;
use uuid::Uuid;

use voxorder_config::Config;
use voxorder_dialog::facts::{Facts, FactsError, FactsQuery, PolicyAnswer};
use voxorder_dialog::{notices, Catalog, Engine, Event, Outcome, SessionOptions, Step};
use voxorder_domain::change::Change;
use voxorder_domain::clock::Clock;
use voxorder_domain::order::Order;
use voxorder_domain::pii::Redacted;
use voxorder_nlu::classifier::ClassifierError;
use voxorder_nlu::knowledge::KnowledgeBase;
use voxorder_nlu::{Entities, Intent, Interpretation, Nlu};
use voxorder_store::{
    CustomerRow, IdentityVerdict, LockKey, LockPolicy, NoticeScope, OrderSummary, Product,
    PurchasedItem, ReturnRecord, Store, StoreError, Subscription, SyncNotice, VerificationLock,
};

/// A conversation could not go on. Caller: report it and stop; the store is consistent
/// (a failed write is rolled back and the caller was told).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    #[error(transparent)]
    Classifier(#[from] ClassifierError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Something the agent did in a turn, as reported by `chat --json`.
#[derive(Debug, Clone, Serialize)]
pub struct Action {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_number: Option<String>,
    /// The outbox command's idempotency key, for changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// The change itself, for changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
}

/// One exchange: what the caller said, what it meant, what the agent said and did.
#[derive(Debug, Clone, Serialize)]
pub struct Turn {
    pub user: String,
    pub reply: String,
    /// None for events that were not speech (the opening, a silence, keypad digits).
    #[serde(serialize_with = "ser_intent")]
    pub intent: Option<Intent>,
    pub confidence: Option<f32>,
    pub entities: Entities,
    pub actions: Vec<Action>,
    /// Say the reply slower (a repeat).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub slow: bool,
    /// The conversation is over.
    pub end: bool,
}

fn ser_intent<S: serde::Serializer>(i: &Option<Intent>, s: S) -> Result<S::Ok, S::Error> {
    match i {
        Some(i) => s.serialize_str(i.as_str()),
        None => s.serialize_none(),
    }
}

/// The read-only view of the store and documents the engine asks through.
struct StoreFacts<'a> {
    store: &'a Store,
    knowledge: &'a KnowledgeBase,
}

/// The engine only logs a read failure (`store_trouble`); the store's message can quote
/// an order number, so it is masked here, where it becomes log text.
fn facts_err(query: FactsQuery) -> impl FnOnce(StoreError) -> FactsError {
    move |e| match e {
        StoreError::Busy { .. } => FactsError::Busy { query },
        StoreError::BadRow { .. } | StoreError::Corrupt { .. } | StoreError::NewerSchema { .. } => {
            FactsError::Unreadable {
                query,
                detail: Redacted(e).to_string(),
            }
        }
        e => FactsError::Failed {
            query,
            detail: Redacted(e).to_string(),
        },
    }
}

impl Facts for StoreFacts<'_> {
    fn order(&self, order_number: &str) -> Result<Option<Order>, FactsError> {
        self.store
            .order(order_number)
            .map_err(facts_err(FactsQuery::Order))
    }
    fn orders_by_phone(&self, phone: &str) -> Result<Vec<OrderSummary>, FactsError> {
        self.store
            .orders_by_phone(phone)
            .map_err(facts_err(FactsQuery::OrdersByPhone))
    }
    fn orders_of_customer(&self, customer_id: i64) -> Result<Vec<OrderSummary>, FactsError> {
        self.store
            .orders_of_customer(customer_id)
            .map_err(facts_err(FactsQuery::OrdersOfCustomer))
    }
    fn customer(&self, id: i64) -> Result<Option<CustomerRow>, FactsError> {
        self.store
            .customer(id)
            .map_err(facts_err(FactsQuery::Customer))
    }
    fn household_members(&self, customer_id: i64) -> Result<Vec<i64>, FactsError> {
        self.store
            .household_member_ids(customer_id)
            .map_err(facts_err(FactsQuery::Customer))
    }
    fn customer_by_email(&self, email: &str) -> Result<Option<CustomerRow>, FactsError> {
        self.store
            .customer_by_email(email)
            .map_err(facts_err(FactsQuery::CustomerByEmail))
    }
    fn lock(&self, key: &LockKey) -> Result<Option<VerificationLock>, FactsError> {
        self.store
            .verification_lock(key)
            .map_err(facts_err(FactsQuery::Lock))
    }
    fn check_identity(
        &self,
        key: &LockKey,
        covered: &[LockKey],
        matched: bool,
        now: chrono::NaiveDateTime,
        policy: LockPolicy,
    ) -> Result<IdentityVerdict, FactsError> {
        self.store
            .check_identity(key, covered, matched, now, policy)
            .map_err(facts_err(FactsQuery::IdentityCheck))
    }
    fn record_return_refusal(
        &self,
        order_number: &str,
        now: chrono::NaiveDateTime,
    ) -> Result<(), FactsError> {
        self.store
            .record_return_refusal(order_number, now)
            .map_err(facts_err(FactsQuery::Refusals))
    }
    fn return_refused(&self, order_number: &str) -> Result<bool, FactsError> {
        self.store
            .return_refused_at(order_number)
            .map(|at| at.is_some())
            .map_err(facts_err(FactsQuery::Refusals))
    }
    fn returns_of(&self, order_number: &str) -> Result<Vec<ReturnRecord>, FactsError> {
        self.store
            .returns_of(order_number)
            .map_err(facts_err(FactsQuery::Returns))
    }
    fn product(&self, sku: &str) -> Result<Option<Product>, FactsError> {
        self.store
            .product(sku)
            .map_err(facts_err(FactsQuery::Product))
    }
    fn variants(&self, family: &str) -> Result<Vec<Product>, FactsError> {
        self.store
            .family_variants(family)
            .map_err(facts_err(FactsQuery::Variants))
    }
    fn purchase_history(&self, customer_id: i64) -> Result<Vec<PurchasedItem>, FactsError> {
        self.store
            .purchase_history(customer_id)
            .map_err(facts_err(FactsQuery::PurchaseHistory))
    }
    fn subscriptions_of(&self, customer_id: i64) -> Result<Vec<Subscription>, FactsError> {
        self.store
            .subscriptions_of(customer_id)
            .map_err(facts_err(FactsQuery::Subscriptions))
    }
    fn policy_answer(&self, question: &str) -> Option<PolicyAnswer> {
        self.knowledge.answer(question).map(policy_answer)
    }
    fn policy_answer_within(&self, question: &str, section: &str) -> Option<PolicyAnswer> {
        self.knowledge
            .answer_within(question, section)
            .map(policy_answer)
    }
    fn pending_notices(&self, scope: NoticeScope<'_>) -> Result<Vec<SyncNotice>, FactsError> {
        self.store
            .pending_notices(scope)
            .map_err(facts_err(FactsQuery::Notices))
    }
    fn new_order_number(&self) -> Result<String, FactsError> {
        self.store
            .new_order_number()
            .map_err(facts_err(FactsQuery::NewOrderNumber))
    }
    fn new_return_id(&self, order_number: &str) -> Result<String, FactsError> {
        self.store
            .new_return_id(order_number)
            .map_err(facts_err(FactsQuery::NewReturnId))
    }
    fn orders_as_of(&self) -> Result<Option<chrono::NaiveDateTime>, FactsError> {
        self.store
            .orders_as_of()
            .map_err(facts_err(FactsQuery::OrdersAsOf))
    }
}

/// News a household's speaker holds for its customer, in words, and the sync notices it
/// covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Announcement {
    /// Empty when none of the notices is worth saying (they are marked all the same).
    pub text: String,
    pub notices: Vec<i64>,
}

/// What a speaker linked to `customer_email` has to announce now, if anything: delivery
/// news and changes the OMS refused, for that customer only.
pub fn pending_announcement(
    store: &Store,
    catalog: &Catalog,
    config: &Config,
    customer_email: &str,
) -> Result<Option<Announcement>, AgentError> {
    let Some(customer) = store.customer_by_email(&customer_email.to_lowercase())? else {
        return Ok(None);
    };
    let mut pending = Vec::new();
    for n in store.pending_notices(NoticeScope::Customer(customer.id))? {
        if !n.announce {
            continue;
        }
        let order = match n.order_number.as_deref() {
            Some(number) => store.order(number)?,
            None => None,
        };
        pending.push((n, order));
    }
    if pending.is_empty() {
        return Ok(None);
    }
    Ok(Some(Announcement {
        text: notices::announcement(catalog, &config.store.name, &pending).unwrap_or_default(),
        notices: pending.iter().map(|(n, _)| n.id).collect(),
    }))
}

/// The announcement was said: no conversation or later announcement repeats it.
pub fn mark_announced(
    store: &Store,
    announcement: &Announcement,
    now: chrono::NaiveDateTime,
) -> Result<(), AgentError> {
    for &id in &announcement.notices {
        store.mark_notice_delivered(id, now)?;
    }
    Ok(())
}

/// How a conversation starts.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// chat | voice | simulate
    pub channel: &'static str,
    /// A linked account (smart speaker), by email.
    pub customer_email: Option<String>,
    /// An outbound confirmation call about this order.
    pub confirm_order: Option<String>,
}

/// One conversation in progress.
pub struct Agent<'s> {
    store: &'s mut Store,
    nlu: &'s Nlu,
    knowledge: &'s KnowledgeBase,
    config: Arc<Config>,
    engine: Engine,
    clock: Clock,
    id: String,
    finished: bool,
}

impl std::fmt::Debug for Agent<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent").field("id", &self.id).finish()
    }
}

impl<'s> Agent<'s> {
    /// Opens a conversation and returns the agent's opening words.
    pub fn start(
        store: &'s mut Store,
        nlu: &'s Nlu,
        knowledge: &'s KnowledgeBase,
        config: Arc<Config>,
        catalog: Arc<Catalog>,
        clock: Clock,
        options: StartOptions,
    ) -> Result<(Agent<'s>, Turn), AgentError> {
        let customer_id = match &options.customer_email {
            Some(email) => store
                .customer_by_email(&email.to_lowercase())?
                .map(|c| c.id),
            None => None,
        };
        let engine = Engine::new(config.clone(), catalog, SessionOptions { customer_id });
        let id = Uuid::new_v4().to_string();
        let channel = if options.channel.is_empty() {
            "chat"
        } else {
            options.channel
        };
        store.start_conversation(&id, channel, clock.now())?;
        let mut agent = Agent {
            store,
            nlu,
            knowledge,
            config,
            engine,
            clock,
            id,
            finished: false,
        };
        let turn = agent.event(
            String::new(),
            Event::Start {
                confirm_order: options.confirm_order,
            },
            None,
        )?;
        Ok((agent, turn))
    }

    /// Opens a conversation with the assets every conversation of the process shares.
    pub fn open(
        store: &'s mut Store,
        assets: &'s AgentAssets,
        clock: Clock,
        options: StartOptions,
    ) -> Result<(Agent<'s>, Turn), AgentError> {
        Agent::start(
            store,
            &assets.nlu,
            &assets.knowledge,
            assets.config.clone(),
            assets.catalog.clone(),
            clock,
            options,
        )
    }

    /// The caller said something.
    pub fn say(&mut self, text: &str) -> Result<Turn, AgentError> {
        let now = self.clock.now();
        if text.trim().is_empty() {
            // Nothing heard: a silence, not an utterance to classify.
            return self.event(String::new(), Event::Timeout, None);
        }
        let heard = self.nlu.understand(text, now, self.engine.expecting())?;
        let meaning = (heard.intent, heard.confidence, heard.entities.clone());
        self.event(
            text.to_string(),
            Event::Utterance(Box::new(heard)),
            Some(meaning),
        )
    }

    /// Digits typed on the keypad.
    pub fn keypad(&mut self, digits: &str) -> Result<Turn, AgentError> {
        self.event(digits.to_string(), Event::Keypad(digits.to_string()), None)
    }

    /// The caller spoke but nothing could be made out (noise, a mumble): asked again, and
    /// counted like any other utterance that was not understood.
    pub fn unclear(&mut self) -> Result<Turn, AgentError> {
        let event = Event::Utterance(Box::new(Interpretation::unclear()));
        self.event(String::new(), event, None)
    }

    /// The caller said nothing for the configured time.
    pub fn silence(&mut self) -> Result<Turn, AgentError> {
        self.event(String::new(), Event::Timeout, None)
    }

    /// Whether the conversation is over.
    pub fn ended(&self) -> bool {
        self.engine.ended()
    }

    /// Turns the caller has taken so far.
    pub fn turns(&self) -> u32 {
        self.engine.turns()
    }

    /// The shape of answer the agent's last question wants.
    pub fn answer_shape(&self) -> AnswerShape {
        self.engine.answer_shape()
    }

    /// The entity the agent's last question expects (a zip for "which zip is the order
    /// billed to?", where the answer shape is free), for a keypad or buttons.
    pub fn expecting(&self) -> Option<voxorder_domain::vocab::EntityKind> {
        self.engine.expecting()
    }

    /// The verified orders the agent just asked the caller to pick from, in the order it
    /// read them out; empty unless it asked which order.
    pub fn offered_orders(&self) -> &[String] {
        self.engine.offered_orders()
    }

    /// The verified order the conversation is about now, for a view of it.
    pub fn order_in_focus(&self) -> Option<&str> {
        self.engine.order_in_focus()
    }

    /// The store this conversation reads and writes, for a view of what it decided (the
    /// kiosk screen's order card).
    pub fn store(&self) -> &Store {
        self.store
    }

    /// The settings this conversation runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    fn event(
        &mut self,
        user: String,
        event: Event,
        meaning: Option<(Intent, f32, Entities)>,
    ) -> Result<Turn, AgentError> {
        let now = self.clock.now();
        let facts = StoreFacts {
            store: self.store,
            knowledge: self.knowledge,
        };
        let mut step = self.engine.handle(event, now, &facts);
        let mut actions = Self::check_actions(&step);
        for &id in &step.notices {
            // Said now: a later conversation must not say it again.
            self.store.mark_notice_delivered(id, now)?;
            actions.push(Action {
                kind: "notice_told".into(),
                order_number: None,
                idempotency_key: None,
                change: None,
            });
        }
        if !step.changes.is_empty() {
            match self.store.apply_changes(&step.changes, now) {
                Ok(applied) => {
                    for (change, a) in step.changes.iter().zip(applied) {
                        actions.push(Action {
                            kind: a.kind.to_string(),
                            order_number: a.order_number,
                            idempotency_key: Some(a.idempotency_key),
                            change: Some(change.clone()),
                        });
                    }
                }
                Err(err) => {
                    tracing::error!(error = %Redacted(&err), "could not apply the conversation's changes");
                    let facts = StoreFacts {
                        store: self.store,
                        knowledge: self.knowledge,
                    };
                    step = self.engine.handle(Event::ApplyFailed, now, &facts);
                    actions.push(Action {
                        kind: "apply_failed".into(),
                        order_number: None,
                        idempotency_key: None,
                        change: None,
                    });
                }
            }
        }
        let (intent, confidence, entities) = match meaning {
            Some((i, c, e)) => (Some(i), Some(c), e),
            None => (None, None, Entities::default()),
        };
        self.audit(intent, confidence, &entities, &actions, step.answered);
        tracing::info!(
            intent = intent.map(|i| i.as_str()),
            confidence,
            actions = actions.len(),
            "turn"
        );
        let turn = Turn {
            user,
            reply: step.reply,
            intent,
            confidence,
            entities,
            actions,
            slow: step.slow,
            end: step.end,
        };
        if turn.end {
            self.finish()?;
        }
        Ok(turn)
    }

    /// The identity checks the store decided in this step, as actions.
    fn check_actions(step: &Step) -> Vec<Action> {
        step.checks
            .iter()
            .map(|c| Action {
                kind: match c.verdict {
                    IdentityVerdict::Verified => "verified",
                    IdentityVerdict::Failed { .. } => "verification_failed",
                    IdentityVerdict::Locked => "verification_refused_locked",
                }
                .into(),
                order_number: match &c.key {
                    LockKey::Order(n) => Some(n.clone()),
                    _ => None,
                },
                idempotency_key: None,
                change: None,
            })
            .collect()
    }

    /// Records the turn without contact details: entity names, never their values.
    fn audit(
        &mut self,
        intent: Option<Intent>,
        confidence: Option<f32>,
        entities: &Entities,
        actions: &[Action],
        answered: bool,
    ) {
        let names: Vec<String> = serde_json::to_value(entities)
            .ok()
            .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect()))
            .unwrap_or_default();
        let detail = serde_json::json!({
            "entities": names,
            "actions": actions.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(),
        });
        // An answer to the agent's question is not a request, whatever the classifier
        // made of a bare "seven eight seven oh one"; only requests count as fallbacks.
        let kind = match (intent, answered) {
            (None, _) => "event",
            (Some(_), true) => "answer",
            (Some(_), false) => "turn",
        };
        if let Err(err) = self.store.record_conversation_event(
            &self.id,
            self.clock.now(),
            kind,
            intent.map(|i| i.as_str()),
            confidence,
            &detail,
        ) {
            // The audit trail is for reports; a caller is never failed over it.
            tracing::warn!(error = %Redacted(&err), "could not record a conversation event");
        }
    }

    /// Records how the conversation ended (also done when the conversation is dropped).
    pub fn finish(&mut self) -> Result<Outcome, AgentError> {
        let outcome = self.engine.outcome();
        if !self.finished {
            self.finished = true;
            self.store.finish_conversation(
                &self.id,
                self.clock.now(),
                self.engine.primary_intent().map(|i| i.as_str()),
                outcome.as_str(),
                self.engine.turns(),
            )?;
        }
        Ok(outcome)
    }
}

impl Drop for Agent<'_> {
    fn drop(&mut self) {
        if !self.finished {
            if let Err(err) = self.finish() {
                tracing::warn!(error = %Redacted(&err), "could not record the end of a conversation");
            }
        }
    }
}

/// A passage of the shop's documents, as the dialog uses it.
fn policy_answer(a: voxorder_nlu::knowledge::Answer) -> PolicyAnswer {
    PolicyAnswer {
        doc_id: a.doc_id,
        section: a.section,
        text: a.text,
        score: a.score,
        names_its_section: a.names_its_section,
    }
}

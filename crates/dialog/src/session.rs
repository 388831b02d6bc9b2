//! The state of one conversation that every part of the dialog reads: the questions the
//! agent asks (`Ask`, `YesNo`) and what they expect, an utterance as the engine sees it
//! (`Said`) and how an answer went.

use voxorder_domain::interpretation::Interpretation;
use voxorder_domain::vocab::{EntityKind, Intent};

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
    /// Whoever answered an outbound call is not the customer: call back another time?
    CallBack,
    /// Text a link to pay a cash-on-delivery order by card?
    PaymentLink,
    /// One item of a larger order cannot be cancelled alone: cancel the whole order?
    CancelWholeOrder,
    /// "It's the wrong colour": is it a different one from the one ordered?
    SentOtherVariant,
}

impl YesNo {
    /// An offer of something extra (a text, a return instead, the next order): an
    /// "ok" said before another request does not take it up.
    pub(crate) fn is_offer(self) -> bool {
        matches!(
            self,
            YesNo::TrackingLink
                | YesNo::NextOrder
                | YesNo::StartReturn
                | YesNo::StartCancel
                | YesNo::ConfirmPending
                | YesNo::PaymentLink
        )
    }
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
    /// Which member of a household sharing the phone is calling.
    WhichMember(Vec<i64>),
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
    /// An outbound call: is this the customer the call is for?
    ConfirmWho,
    /// When to call back.
    CallbackTime,
    /// Which size or colour of the product to order.
    ProductVariant,
}

impl Ask {
    /// The entity a bare answer is most likely to be.
    pub(crate) fn expects(&self) -> Option<EntityKind> {
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
            Ask::Street => Some(EntityKind::Street),
            Ask::City => Some(EntityKind::City),
            Ask::Frequency => Some(EntityKind::FrequencyDays),
            Ask::CallbackTime => Some(EntityKind::Date),
            _ => None,
        }
    }
}

/// What kind of answer the agent is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerShape {
    Free,
    OrderNumber,
    Zip,
    Phone,
    /// A verification factor: a zip, a phone or an email, or the order number corrected.
    Factor,
    YesNo,
    Product,
}

/// One utterance as the engine sees it: the interpretation, with the intent the engine
/// takes it for (a number said on its own asks for nothing, whatever the classifier
/// made of it) and whether it was typed.
pub(crate) struct Said<'a> {
    pub heard: &'a Interpretation,
    pub intent: Intent,
    pub confidence: f32,
    /// Typed on the keypad rather than spoken.
    pub keypad: bool,
}

impl Said<'_> {
    /// "the first", "the second one", "the last": a 0-based position in a list of `len`
    /// (the first position said that is in the list).
    pub(crate) fn position(&self, len: usize) -> Option<usize> {
        self.ordinals.iter().find_map(|o| o.index(len))
    }
}

impl std::ops::Deref for Said<'_> {
    type Target = Interpretation;
    fn deref(&self) -> &Interpretation {
        self.heard
    }
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

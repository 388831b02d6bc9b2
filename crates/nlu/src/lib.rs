//! Understanding: what the caller wants (intent, with a calibrated confidence), the
//! values they said (entities, self-corrections applied) and what else the words say
//! (`reading`: addresses, positions, cues), from recogniser text; and answers to policy questions
//! found in the store's documents (`knowledge`).
//!
//! Architecture invariant: understanding knows no store. It reads the catalog and the
//! documents as records it is handed, and the vocabulary it produces is the domain's.

pub mod classifier;
pub mod encoder;
pub mod entities;
pub mod eval;
pub mod features;
pub mod knowledge;
pub mod reading;

use chrono::NaiveDateTime;

use classifier::{ClassifierError, Decision, IntentClassifier};
use entities::{EntityContext, EntityKind, ProductMatcher};
pub use voxorder_domain::intent;
use voxorder_domain::interpretation::Cue;
use voxorder_domain::records::Product;
pub use voxorder_domain::vocab::{Entities, Interpretation, ScoredIntent};
pub use voxorder_domain::Intent;

/// Text longer than this is cut before understanding: nobody says 4,000 characters in
/// one turn, and the bound keeps a runaway transcript from costing anything.
pub const MAX_TEXT_CHARS: usize = 4_000;

/// A request said after a refusal, in a sentence of its own, has at least this many
/// words, and is understood at least this surely.
const MIN_SECOND_REQUEST_WORDS: usize = 3;
const MIN_SECOND_REQUEST_CONFIDENCE: f32 = 0.7;

/// How many runner-up intents an interpretation keeps for a clarifying question.
const ALTERNATIVES: usize = 3;

/// Most requests taken from one utterance; a longer list is heard as one.
const MAX_REQUESTS: usize = 3;

/// Words beyond the request itself a cancellation or a return must have for a reason
/// head's unsure reason to be taken.
const LONG_ENOUGH_FOR_A_REASON: usize = 4;

/// With an order number said and the classifier leaning to Fallback, the share of the
/// rest an intent of the shop's needs to be taken, and the least score it may have.
const ORDER_NAMED_SHARE: f32 = 0.5;
const ORDER_NAMED_FLOOR: f32 = 0.1;
const ORDER_NAMED_CHANGE_SHARE: f32 = 0.75;

/// How sure the opening words of a long story must be of a request to be taken for the
/// whole.
const OPENING_MIN: f32 = 0.8;

/// With goods of a kind the shop sells named and the classifier leaning to Fallback, the
/// share of the rest a new order needs to be taken, and the least score it may have.
const GOODS_NAMED_SHARE: f32 = 0.75;
const GOODS_NAMED_FLOOR: f32 = 0.25;

/// The words of a cancellation or a return that are not the request itself, its
/// identifiers or its courtesies: what a reason would be said in.
fn reason_words(text: &str) -> usize {
    #[rustfmt::skip]
    const REQUEST: &[&str] = &[
        "i", "i'd", "i'm", "want", "wanted", "would", "like", "need", "to", "cancel", "cancelled",
        "canceled", "cancelling", "canceling", "my", "the", "this", "that", "an", "a", "order",
        "orders", "number", "zip", "code", "is", "it", "its", "it's", "please", "can", "could",
        "you", "think", "just", "hi", "hello", "hey", "um", "uh", "so", "and", "of", "for", "me",
        "thanks", "thank", "purchase", "go", "ahead", "now", "yes", "ok", "okay", "hmm", "hmmm",
        "mm", "mmm", "er", "erm", "ah", "oh", "well", "right",
        // When and what was ordered names the order, not why it is stopped ("the
        // candle I ordered on Thursday").
        "also", "ordered", "bought", "placed", "got", "on", "from", "last", "week", "month",
        "yesterday", "today", "monday", "tuesday", "wednesday", "thursday", "friday",
        "saturday", "sunday", "both", "all", "whole", "item", "items", "thing",
        // A return's own words.
        "return", "returned", "returning", "send", "sending", "back", "refund", "label",
        "them", "they", "these", "those", "get", "money",
    ];
    let counts = |w: &String| {
        !w.is_empty() && !w.bytes().all(|b| b.is_ascii_digit()) && !REQUEST.contains(&w.as_str())
    };
    // An email spelled out is an identifier, however many words it takes; only there
    // are the words read as the tokeniser gives them, so other sentences count as ever.
    if let Some(words) = entities::words_without_emails(text) {
        return words.iter().filter(|w| counts(w)).count();
    }
    text.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
                .to_lowercase()
        })
        .filter(counts)
        .count()
}

/// The likeliest intent with its score, and the score left to `Fallback`.
fn lead_and_fallback(scores: &[(Intent, f32)]) -> ((Intent, f32), f32) {
    let lead = scores.first().copied().unwrap_or((Intent::Fallback, 0.0));
    let fallback = scores
        .iter()
        .find(|(i, _)| *i == Intent::Fallback)
        .map_or(0.0, |&(_, p)| p);
    (lead, fallback)
}

/// The likeliest of the shop's own intents, with its score and its share of what
/// `Fallback` leaves (`fallback` being Fallback's score).
fn shops_own_lead(scores: &[(Intent, f32)], fallback: f32) -> Option<(Intent, f32, f32)> {
    let &(lead, p) = scores.iter().find(|(i, _)| *i != Intent::Fallback)?;
    Some((lead, p, p / (1.0 - fallback).max(f32::EPSILON)))
}

/// Whether the intent acts on or asks about an order, a return or a subscription: what
/// another business's words can look like ([`entities::names_elsewhere`]).
fn about_an_order(intent: Intent) -> bool {
    classifier::changes_orders(intent)
        || matches!(
            intent,
            Intent::GetOrderStatus | Intent::TrackPackage | Intent::CheckReturnStatus
        )
}

/// Whether an interpretation asks for something the agent does: a request about an
/// order or account, or a policy question; not a yes, a no or a courtesy.
fn asks_for_something(heard: &Interpretation) -> bool {
    use Intent::*;
    matches!(
        heard.intent,
        GetOrderStatus
            | TrackPackage
            | CancelOrder
            | ReturnItem
            | ExchangeItem
            | ReportProblem
            | RescheduleDelivery
            | ChangeAddress
            | PlaceOrder
            | Reorder
            | ManageSubscription
            | CheckReturnStatus
            | PolicyQuestion
    )
}

/// Intent classification plus entity extraction, loaded once and shared.
pub struct Nlu {
    classifier: Box<dyn IntentClassifier>,
    decision: Decision,
    products: ProductMatcher,
    threshold: f32,
}

impl std::fmt::Debug for Nlu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nlu")
            .field("threshold", &self.threshold)
            .finish()
    }
}

impl Nlu {
    /// `threshold`: below it the intent is `Fallback` (from configuration); an
    /// order-changing intent also needs the model's own bar ([`Decision`]).
    pub fn new(classifier: Box<dyn IntentClassifier>, catalog: &[Product], threshold: f32) -> Nlu {
        Nlu {
            decision: classifier.decision(),
            classifier,
            products: ProductMatcher::new(catalog),
            threshold,
        }
    }

    /// Understands one utterance. `expect` is what the dialog just asked for, if anything.
    /// A second request said after the first ("… and can you also check my other
    /// order") is understood on its own, as [`Interpretation::then`].
    pub fn understand(
        &self,
        text: &str,
        now: NaiveDateTime,
        expect: Option<EntityKind>,
    ) -> Result<Interpretation, ClassifierError> {
        let text = match text.char_indices().nth(MAX_TEXT_CHARS) {
            Some((cut, _)) => &text[..cut],
            None => text,
        };
        // Typed text may carry markup ("<speak>…</speak>", "<script>…"): nobody says it,
        // and none of it may reach an address, a read-back or the voice.
        let text = reading::without_markup(text);
        self.understand_parts(&text, now, expect, MAX_REQUESTS)
    }

    /// [`Nlu::understand`], splitting off at most `requests - 1` further requests.
    fn understand_parts(
        &self,
        text: &str,
        now: NaiveDateTime,
        expect: Option<EntityKind>,
        requests: usize,
    ) -> Result<Interpretation, ClassifierError> {
        if requests > 1 {
            if let Some((head, tail)) = reading::second_request(text) {
                let mut then = self.understand_parts(tail, now, None, requests - 1)?;
                // "Where's order 1011…, and can you also check my other one, 1042…": another
                // order named with nothing asked of it is the first request again, of it.
                let only_another_order =
                    then.has(Cue::OnlyOtherOrder) && !asks_for_something(&then);
                // "…, and order two more soy candles": a part that opens on buying a
                // product the shop sells is a purchase, however unsure the classifier.
                let buys = matches!(
                    then.words.first().map(String::as_str),
                    Some("order" | "buy" | "get")
                ) && then.entities.product.is_some();
                if buys && then.intent == Intent::Fallback {
                    then.intent = Intent::PlaceOrder;
                }
                if asks_for_something(&then) || only_another_order {
                    let mut first = self.understand_one(head, now, expect)?;
                    if only_another_order && asks_for_something(&first) {
                        then.intent = first.intent;
                        then.confidence = then.confidence.max(first.confidence);
                    }
                    // The same request twice ("where's my order and also when will it
                    // come") is one, unless the second names another order or another
                    // product ("skip my coffee and change the filters to every 90 days").
                    let other_product = matches!(
                        (&first.entities.product, &then.entities.product),
                        (Some(a), Some(b)) if a != b
                    );
                    // Two questions of the shop's policy are two answers.
                    let two_questions = first.intent == Intent::PolicyQuestion
                        && then.intent == Intent::PolicyQuestion;
                    // "Start my cat litter again, and make it every six weeks": a new
                    // schedule said only second is a change of its own.
                    let new_schedule = first.intent == Intent::ManageSubscription
                        && then.entities.frequency_days.is_some()
                        && first.entities.frequency_days.is_none();
                    // "I'd like to return the kettle, and can you do the refund as a
                    // bank transfer": how the return is refunded, asked as a question,
                    // is part of the return.
                    let refund_way_of_it = matches!(
                        first.intent,
                        Intent::ReturnItem | Intent::ReportProblem | Intent::CancelOrder
                    ) && then.intent == Intent::PolicyQuestion
                        && then.entities.refund_method.is_some()
                        && first.entities.refund_method.is_none();
                    // "I want to return the sneakers and have the refund go to my new
                    // card": where the money goes, said as a wish rather than asked, is
                    // part of the return too (the return asks how to refund it).
                    let refund_way_wished = matches!(
                        first.intent,
                        Intent::ReturnItem | Intent::ReportProblem | Intent::CancelOrder
                    ) && first.entities.refund_method.is_none()
                        && says_where_the_money_goes(&then.words);
                    if refund_way_of_it || refund_way_wished {
                        first.entities.refund_method = then.entities.refund_method;
                        return Ok(first);
                    }
                    // "Thanks. And can you deliver it Friday instead?": a thanks with no
                    // goodbye closes nothing when a request follows it.
                    if first.intent == Intent::EndConversation && !first.has(Cue::Goodbye) {
                        return Ok(then);
                    }
                    let same = first.intent == then.intent
                        && !two_questions
                        && !then.has(Cue::OtherOrder)
                        && !other_product
                        && !new_schedule
                        && (then.entities.order_number.is_none()
                            || then.entities.order_number == first.entities.order_number);
                    if !same {
                        // "Where is my order and can I change the address on it, order
                        // 2580…": what identifies the order is said once, for both.
                        // A first part that asks for nothing ("no thanks, and can you
                        // check order …") takes nothing of the second.
                        let shares = asks_for_something(&first);
                        let (mine, theirs) = (&mut first.entities, &then.entities);
                        if shares && mine.order_number.is_none() {
                            mine.order_number.clone_from(&theirs.order_number);
                        }
                        if shares && mine.email.is_none() {
                            mine.email.clone_from(&theirs.email);
                        }
                        if shares && mine.phone_number.is_none() {
                            mine.phone_number.clone_from(&theirs.phone_number);
                        }
                        // "… The sheets one is 8604… and my zip is 27601": the zip
                        // proves the number said for both, unless it is part of an
                        // address the second request gives.
                        if shares && mine.zip_code.is_none() && then.address.is_none() {
                            mine.zip_code.clone_from(&theirs.zip_code);
                        }
                        first.then = Some(Box::new(then));
                        return Ok(first);
                    }
                }
            }
        }
        let whole = self.understand_one(text, now, expect)?;
        // "No, forget that one. Cancel my headphones order": a refusal, then a new
        // request in a sentence of its own, heard as a refusal alone. The refusal answers
        // what was asked; the request is taken up after it, not lost in a "no". ("No. I
        // want to cancel it", heard as the cancellation, stays one request.)
        // A first sentence that takes the request back ("forget that one") is never
        // part of the request after it, however the whole was heard.
        if requests > 1 {
            // The first sentence is understood on its own only when it can refuse: the
            // whole was heard as a refusal, or the sentence takes the request back.
            // "Yes, confirm it. Also my cat litter subscription is paused, can you start
            // it again": a yes in a sentence of its own, then a request heard as the
            // whole. The yes answers what was asked; the request is taken up after it.
            let opens_with_yes = |head: &str| {
                head.split_whitespace().next().is_some_and(|w| {
                    let w: String = w
                        .chars()
                        .filter(|c| c.is_alphanumeric())
                        .collect::<String>()
                        .to_lowercase();
                    matches!(
                        w.as_str(),
                        "yes" | "yeah" | "yep" | "yup" | "sure" | "ok" | "okay" | "confirm"
                    )
                })
            };
            let split = reading::after_first_sentence(text).filter(|(head, _)| {
                matches!(whole.intent, Intent::Deny | Intent::Fallback)
                    || reading::withdraws(head)
                    || (!matches!(whole.intent, Intent::Affirm | Intent::ConfirmOrder)
                        && opens_with_yes(head))
            });
            if let Some((head, tail)) = split {
                let mut first = self.understand_one(head, now, expect)?;
                let refuses = first.intent == Intent::Deny
                    && (matches!(whole.intent, Intent::Deny | Intent::Fallback)
                        || first.cues.contains(&Cue::Withdraw));
                let agrees = opens_with_yes(head)
                    && matches!(first.intent, Intent::Affirm | Intent::ConfirmOrder)
                    && whole.intent != first.intent;
                if (refuses || agrees) && first.entities.is_empty() {
                    let then = self.understand_parts(tail, now, None, requests - 1)?;
                    // Only a request said in full is one: "no, just use the Discover
                    // then. Place it" says nothing new after the no.
                    let full = then.words.len() >= MIN_SECOND_REQUEST_WORDS
                        && then.confidence >= MIN_SECOND_REQUEST_CONFIDENCE;
                    // After a yes, only a request of the account's own (a subscription,
                    // a purchase) is one apart: "yes I confirm, but could it come on the
                    // nineteenth?" or "…does the driver carry change?" is about the
                    // order said yes to, and heard whole.
                    let apart = refuses
                        || matches!(
                            then.intent,
                            Intent::ManageSubscription | Intent::PlaceOrder | Intent::Reorder
                        );
                    if asks_for_something(&then) && full && apart {
                        first.then = Some(Box::new(then));
                        return Ok(first);
                    }
                }
            }
        }
        Ok(whole)
    }

    fn understand_one(
        &self,
        text: &str,
        now: NaiveDateTime,
        expect: Option<EntityKind>,
    ) -> Result<Interpretation, ClassifierError> {
        // "No, I don't want to change the address. I want to cancel it": the request is
        // the one said after the one taken back.
        // "Cancel it. Actually wait, keep it, yes I confirm": what follows the words that
        // take the request back.
        let request = reading::after_retraction(text)
            .or_else(|| reading::after_denied_request(text))
            .unwrap_or(text);
        let classified = self.classifier.classify_with_reason(request)?;
        let scores = classified.scores;
        let ((best, mut confidence), fallback) = lead_and_fallback(&scores);
        let mut intent = if self
            .decision
            .trusts(best, confidence, fallback, self.threshold)
        {
            best
        } else {
            Intent::Fallback
        };
        // "Can you check on my order, I don't have the number but my phone is 617…": the
        // request is the words before the details, when the whole could not be placed.
        // "I want to return the dress my daughter picked for prom, she's decided to wear
        // her sister's instead": a long story after a plain request can blur it; the
        // opening words, understood alone, are the request when they are clearly one.
        if intent == Intent::Fallback && expect.is_none() {
            let part = reading::before_identity_clause(request)
                .map(|head| (head, 0.0))
                .or_else(|| reading::opening_of_a_story(request).map(|o| (o, OPENING_MIN)));
            if let Some((part, least)) = part {
                let told = self.classifier.classify_with_reason(part)?.scores;
                let ((lead, p), left) = lead_and_fallback(&told);
                if lead != Intent::Fallback
                    && p >= least
                    && self.decision.trusts(lead, p, left, self.threshold)
                {
                    intent = lead;
                    confidence = p;
                }
            }
        }
        // "Yeah it's 3841177902892 and the zip's 95814" gives details and asks nothing:
        // no change is read into the word "zip".
        if classifier::changes_orders(intent) && reading::only_identifiers(text) {
            intent = Intent::Fallback;
        }
        // "The sheets I ordered still haven't come" names what was bought; it asks where
        // it is.
        if intent == Intent::PlaceOrder && reading::ordered_and_not_come(text) {
            intent = Intent::GetOrderStatus;
        }
        // "What address is it going to?" asks about the order; it moves nothing.
        if intent == Intent::ChangeAddress && reading::asks_where_it_goes(text) {
            intent = Intent::GetOrderStatus;
        }
        // "Not the subscription, the order she placed: has it come?" asks after an order.
        if intent == Intent::ManageSubscription && reading::asks_order_not_subscription(text) {
            intent = Intent::GetOrderStatus;
        }
        // "Let me stock up on green tea instead, fifteen boxes" buys once, even from
        // a caller whose subscription brings green tea.
        if intent == Intent::ManageSubscription && reading::buys_once(text) {
            intent = Intent::PlaceOrder;
        }
        // "Can I return sale items?" asks the rule for a kind of thing; nothing of the
        // caller's is sent back.
        if matches!(intent, Intent::ReturnItem | Intent::ExchangeItem)
            && (reading::asks_what_may_be_returned(text) || reading::asks_what_return_costs(text))
        {
            intent = Intent::PolicyQuestion;
        }
        let ctx = EntityContext {
            now,
            products: Some(&self.products),
            expect,
            buying: intent == Intent::PlaceOrder,
        };
        let (mut entities, reason_denied) = entities::read(text, &ctx);
        // "My coffee from order 1000000000110 came with the bag split open": an order
        // number said makes the request this shop's, whatever share the classifier left
        // to requests it does not serve; what it is, is read among the shop's own, when
        // one of them clearly leads.
        if intent == Intent::Fallback
            && expect.is_none()
            && entities.order_number.is_some()
            && !reading::only_identifiers(text)
        {
            if let Some((lead, p, share)) = shops_own_lead(&scores, fallback) {
                // A change needs more of it than a question, as everywhere.
                let needed = if classifier::changes_orders(lead) {
                    ORDER_NAMED_CHANGE_SHARE
                } else {
                    ORDER_NAMED_SHARE
                };
                if share >= needed && p >= ORDER_NAMED_FLOOR {
                    intent = lead;
                    confidence = share;
                }
            }
        }
        // "I want to buy a laptop for uni", "send me a big box of nappies": goods of a kind
        // this shop sells, asked for, are a new order even where the classifier, unsure
        // of a thing its training never named, leaves much to requests the shop does not
        // serve. Another business or goods not sold, named as well, still make it theirs
        // (below).
        if intent == Intent::Fallback && expect.is_none() && entities::names_goods(text) {
            if let Some((lead, p, share)) = shops_own_lead(&scores, fallback) {
                if lead == Intent::PlaceOrder
                    && share >= GOODS_NAMED_SHARE
                    && p >= GOODS_NAMED_FLOOR
                {
                    intent = lead;
                    confidence = share;
                }
            }
        }
        if let Some(tail) = reading::after_correction(text) {
            // "Sixteen of the hangers, no, eighteen": a bare number corrects the count.
            let tail_ctx = match (ctx.expect, entities.quantity) {
                (None, Some(_)) => EntityContext {
                    expect: Some(EntityKind::Quantity),
                    ..ctx
                },
                _ => ctx,
            };
            let mut corrected = entities::extract(tail, &tail_ctx);
            // "Every two weeks, no actually make it every three": the unit said before
            // holds for the number said again without it.
            if corrected.frequency_days.is_none() && entities.frequency_days.is_some() {
                let before = &text[..text.len() - tail.len()];
                if let Some(unit) = reading::last_time_unit(before) {
                    let whole = format!("{tail} {unit}");
                    corrected.frequency_days = entities::extract(&whole, &tail_ctx).frequency_days;
                }
            }
            entities.overlay(corrected);
        }
        // "…4289, no wait, the last digit is an 8": that digit of the number said.
        if let Some((at, digits)) = reading::digit_corrected(text) {
            let number = [
                &mut entities.order_number,
                &mut entities.phone_number,
                &mut entities.zip_code,
            ]
            .into_iter()
            .find_map(Option::as_mut);
            if let Some(number) = number.filter(|n| n.len() > digits.len()) {
                let range = match at {
                    reading::DigitAt::Last => number.len() - digits.len()..number.len(),
                    reading::DigitAt::First => 0..digits.len(),
                };
                number.replace_range(range, &digits);
            }
        }
        // An order's words said of another business ("cancel my gym membership", "return
        // the scooter I hired", "buy me some cigarettes") are not this shop's request,
        // unless they name one of its orders or products. Asked something, the caller
        // answers within this shop's request, whatever the words.
        // A delivery moved to a day names the day, whatever it gives as the reason ("I've
        // a hospital appointment, can it come Friday"); a new address names its number.
        let own_details = match intent {
            Intent::RescheduleDelivery => entities.date.is_some() || entities.time_slot.is_some(),
            Intent::ChangeAddress => text.bytes().any(|b| b.is_ascii_digit()),
            _ => false,
        };
        // Read once: what the tables name of another business or shop decides below
        // whether an order's words are this shop's, and is marked on the reading.
        let (named_elsewhere, named_shop) = (
            entities::names_elsewhere(text),
            entities::names_another_shop(text),
        );
        // Another business named by its name is that business's, whatever day it names.
        // Another shop named by name is that shop's, whatever of ours its goods are called.
        if about_an_order(intent)
            && expect.is_none()
            && entities.order_number.is_none()
            && (named_shop
                || (entities.product.is_none()
                    && (((!own_details || entities::acts_on_elsewhere(text)) && named_elsewhere)
                        || entities::names_another_business(text))))
        {
            intent = Intent::Fallback;
        }
        // A reason no phrase names ("the kettle packed in after ten days"), taken from
        // the sentence's meaning where a reason belongs: asked for, or with a return or
        // a problem. Not with an exchange, whose wanted size or colour reads like a
        // wrong item ("exchange them for a large"; the dialog knows a size swap), nor on
        // a sentence the classifier could not place: the dialog would take a reason
        // there ("and what colours does it come in?") for a return nobody asked for.
        // Asked why an order is cancelled, a reason is a cancellation's, whatever the
        // classifier made of "it's a duplicate, I ordered them twice".
        // Asked why, a sentence that is plainly another request ("oh shame. and my other
        // order?") gives no reason: its nearest reason in meaning is a guess the dialog
        // would act on.
        let another_request = intent.asks_another_matter()
            || matches!(
                intent,
                Intent::ConfirmOrder
                    | Intent::SpeakToAgent
                    | Intent::EndConversation
                    | Intent::Repeat
                    | Intent::Help
            );
        let reason_belongs = ((expect == Some(EntityKind::ReturnReason) && !another_request)
            || matches!(intent, Intent::ReturnItem | Intent::ReportProblem))
            && expect != Some(EntityKind::CancelReason);
        // "It says delivered but it's not here": a parcel lost has no reason to read.
        let lost_parcel = intent == Intent::ReportProblem && reading::parcel_not_here(text);
        let says_cancel = text
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| entities::reasons::is_cancel_cue(&w.to_lowercase()));
        // "Cancel it, I clicked the wrong colour": a reason the words gave a cancellation
        // is no return's, however the classifier placed the request.
        let cancellation_reasoned = says_cancel && entities.cancel_reason.is_some();
        // An email spelled out says nothing of why: the reason heads read the rest.
        let without_email = entities::words_without_emails(text).map(|w| w.join(" "));
        if entities.return_reason.is_none()
            && reason_belongs
            && !reason_denied
            && !lost_parcel
            && !cancellation_reasoned
        {
            // A return told as a story ("my daughter says the colour's not really her")
            // holds its reason in the story; the head's first choice is taken there at
            // a lower bar, as for a cancellation.
            // Said with where the refund goes, the reason is read from the rest.
            let story = entities::reason_story(text);
            let (reason, reason_unsure) = match &story {
                Some(story) => {
                    let told = self.classifier.classify_with_reason(story)?;
                    (told.reason, told.reason_unsure)
                }
                None => match &without_email {
                    Some(rest) => {
                        let told = self.classifier.classify_with_reason(rest)?;
                        (told.reason, told.reason_unsure)
                    }
                    None => (classified.reason, classified.reason_unsure),
                },
            };
            let long = reason_words(story.as_deref().unwrap_or(text)) >= LONG_ENOUGH_FOR_A_REASON;
            entities.return_reason = reason
                .or(reason_unsure.filter(|_| long))
                .map(|(reason, _)| reason);
        }
        // The same for why an order is cancelled ("it's a bit steep for what it is"),
        // when asked or said with a cancellation, and no phrase gave a reason of either
        // kind (a return-style reason answers the question too).
        let cancel_belongs =
            expect == Some(EntityKind::CancelReason) || intent == Intent::CancelOrder;
        if entities.cancel_reason.is_none()
            && entities.return_reason.is_none()
            && cancel_belongs
            && !reason_denied
        {
            // A long sentence gives more than the request: the head's unsure reason
            // is likelier right than none ("someone gave me one for my birthday, so
            // I'd like to cancel").
            // "Hmm" says no reason, however the head leans.
            let said = reason_words(text);
            let long = said >= LONG_ENOUGH_FOR_A_REASON;
            let (sure, unsure) = match &without_email {
                Some(rest) => {
                    let told = self.classifier.classify_with_reason(rest)?;
                    (told.cancel_reason, told.cancel_reason_unsure)
                }
                None => (classified.cancel_reason, classified.cancel_reason_unsure),
            };
            entities.cancel_reason = sure
                .filter(|_| said > 0)
                .or(unsure.filter(|_| long))
                .map(|(reason, _)| reason);
        }
        // "We've a funeral on Friday, can the fridge come Monday?": the words of a reason
        // said with another request are no cancellation's reason.
        let cancels = matches!(
            intent,
            Intent::CancelOrder
                | Intent::ManageSubscription
                | Intent::Fallback
                | Intent::Affirm
                | Intent::Deny
        );
        if !cancels && !says_cancel && expect != Some(EntityKind::CancelReason) {
            entities.cancel_reason = None;
        }
        // "Yes I know, I want to order another one": the acknowledgement is no part of
        // the request, and can blur it; what follows, understood alone, is the request
        // when that is clear.
        if intent == Intent::Fallback && expect.is_none() {
            if let Some(tail) = reading::after_acknowledgement(text) {
                let then = self.understand_one(tail, now, expect)?;
                if then.intent != Intent::Fallback {
                    return Ok(then);
                }
            }
            // "We're away for the whole of January, so please pause the dog food": the
            // story before "so" can blur the request after it; what the story says (the
            // month) still counts where the request does not say it again.
            // A story of another business ("I booked a haircut for Thursday, so can it go
            // to Friday") is that business's, whatever the request after it reads as.
            let elsewhere = named_elsewhere || entities::names_another_business(text);
            if let Some(tail) = reading::request_after_so(text).filter(|_| !elsewhere) {
                let mut then = self.understand_one(tail, now, expect)?;
                if then.intent != Intent::Fallback {
                    let mut merged = entities.clone();
                    merged.overlay(then.entities);
                    then.entities = merged;
                    then.text = text.to_string();
                    return Ok(then);
                }
            }
        }
        // "I don't want it any more, stop the order": the same words read by both tables
        // are the cancellation's reason, unless something is also sent back.
        // Asked why something goes back, the answer is the return's whatever it sounds
        // like.
        if intent == Intent::CancelOrder
            && entities.cancel_reason.is_some()
            && expect != Some(EntityKind::ReturnReason)
            && !entities::sends_back(text)
        {
            entities.return_reason = None;
        }
        // "Cancel it, my son doesn't want it any more": a reason read in a return's
        // words is the cancellation's, with the request that names it.
        if intent == Intent::CancelOrder && entities.cancel_reason.is_none() {
            if let Some(reason) = entities.return_reason.and_then(|r| r.as_cancel_reason()) {
                entities.cancel_reason = Some(reason);
                entities.return_reason = None;
            }
        }
        let heard = reading::Heard {
            text: text.to_string(),
            intent,
            confidence,
            entities,
            alternatives: scores
                .iter()
                .take(ALTERNATIVES)
                .map(|&(intent, confidence)| ScoredIntent { intent, confidence })
                .collect(),
        };
        let mut read = reading::read(heard, expect);
        // Named by the tables, not by a capital letter: "ringing from Manchester" is a
        // caller's town.
        if named_elsewhere || named_shop {
            read.cues.push(Cue::Elsewhere);
        }
        Ok(read)
    }
}

/// "Have the refund go to my new card", "put the money back on my Mastercard": where a
/// refund goes, said as a wish (a question such as "how long does the refund take" is
/// asked, and answered, on its own).
fn says_where_the_money_goes(words: &[String]) -> bool {
    const MONEY: &[&str] = &["refund", "money", "refunded"];
    const PLACES: &[&str] = &[
        "card",
        "account",
        "bank",
        "visa",
        "mastercard",
        "amex",
        "paypal",
        "credit",
        "voucher",
    ];
    const ASKS: &[&str] = &[
        "how", "when", "what", "will", "would", "can", "could", "do", "does", "is", "are", "why",
        "where", "which",
    ];
    let opens_a_question = words.first().is_some_and(|w| ASKS.contains(&w.as_str()));
    !opens_a_question
        && words.iter().any(|w| MONEY.contains(&w.as_str()))
        && words.iter().any(|w| PLACES.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use classifier::Scores;
    use voxorder_domain::vocab::{CancelReason, ReturnReason};

    /// When and what was ordered is no reason for stopping it; a story around the
    /// request is.
    #[test]
    fn the_order_named_is_no_reason_given() {
        assert!(
            reason_words("and also I want to cancel the candle I ordered on Thursday")
                < LONG_ENOUGH_FOR_A_REASON
        );
        assert!(
            reason_words("someone gave me one for my birthday, so I'd like to cancel")
                >= LONG_ENOUGH_FOR_A_REASON
        );
        assert_eq!(reason_words("hmm"), 0);
        assert!(
            reason_words("cancel it please, the email on it is t o m underscore b at mail dot com")
                < LONG_ENOUGH_FOR_A_REASON
        );
        assert_eq!(reason_words("um, well"), 0);
    }

    /// A classifier that returns fixed scores: the NLU logic around it is what is tested.
    struct FixedScores(Scores);

    impl IntentClassifier for FixedScores {
        fn classify(&self, _text: &str) -> Result<Scores, ClassifierError> {
            Ok(self.0.clone())
        }
    }

    fn now() -> NaiveDateTime {
        voxorder_domain::clock::parse_now("2026-03-10T10:00:00").unwrap()
    }

    /// Fixed scores and both reason heads' readings.
    struct FixedWithReasons(Scores, ReturnReason, CancelReason);

    impl IntentClassifier for FixedWithReasons {
        fn classify(&self, _text: &str) -> Result<Scores, ClassifierError> {
            Ok(self.0.clone())
        }
        fn classify_with_reason(
            &self,
            text: &str,
        ) -> Result<classifier::Classified, ClassifierError> {
            Ok(classifier::Classified {
                scores: self.classify(text)?,
                reason: Some((self.1, 0.9)),
                cancel_reason: Some((self.2, 0.9)),
                cancel_reason_unsure: None,
                reason_unsure: None,
            })
        }
    }

    #[test]
    fn asked_why_an_order_is_cancelled_a_reason_is_a_cancellations() {
        let nlu = Nlu::new(
            Box::new(FixedWithReasons(
                vec![(Intent::ReportProblem, 0.9), (Intent::Fallback, 0.1)],
                ReturnReason::WrongItem,
                CancelReason::Other,
            )),
            &[],
            0.5,
        );
        let text = "well the thing is we sorted it another way";
        let asked = nlu
            .understand(text, now(), Some(EntityKind::CancelReason))
            .unwrap();
        assert_eq!(asked.entities.return_reason, None);
        assert_eq!(asked.entities.cancel_reason, Some(CancelReason::Other));
        let unasked = nlu.understand(text, now(), None).unwrap();
        assert_eq!(
            unasked.entities.return_reason,
            Some(ReturnReason::WrongItem)
        );
    }

    /// Reason heads that see an email spelled out lean to a reason, as a real head
    /// does on words it cannot place.
    struct LeansOnEmails(Intent);

    impl IntentClassifier for LeansOnEmails {
        fn classify(&self, _text: &str) -> Result<Scores, ClassifierError> {
            Ok(vec![(self.0, 0.9), (Intent::Fallback, 0.1)])
        }
        fn classify_with_reason(
            &self,
            text: &str,
        ) -> Result<classifier::Classified, ClassifierError> {
            let email = text.contains(" dot ");
            Ok(classifier::Classified {
                scores: self.classify(text)?,
                reason: email.then_some((ReturnReason::WrongItem, 0.9)),
                cancel_reason: email.then_some((CancelReason::Other, 0.9)),
                cancel_reason_unsure: None,
                reason_unsure: None,
            })
        }
    }

    /// An email spelled out gives no reason.
    #[test]
    fn an_email_is_no_reason() {
        let cancel = Nlu::new(Box::new(LeansOnEmails(Intent::CancelOrder)), &[], 0.5);
        let i = cancel
            .understand(
                "cancel the order on my account, it's p a t dot king at mail dot com",
                now(),
                None,
            )
            .unwrap();
        assert_eq!(i.entities.email.as_deref(), Some("pat.king@mail.com"));
        assert_eq!(i.entities.cancel_reason, None);
    }

    /// A cancellation's reason is no return's, whatever the request was taken for,
    /// unless something is also sent back or a return's reason was asked for.
    #[test]
    fn reasons_of_a_cancellation_stay_its_own() {
        let cancel = Nlu::new(Box::new(LeansOnEmails(Intent::CancelOrder)), &[], 0.5);
        let i = cancel
            .understand("we no longer need it, stop the order", now(), None)
            .unwrap();
        assert_eq!(i.entities.cancel_reason, Some(CancelReason::ChangedMind));
        assert_eq!(i.entities.return_reason, None);
        let asked = cancel
            .understand(
                "we no longer need it",
                now(),
                Some(EntityKind::ReturnReason),
            )
            .unwrap();
        assert_eq!(
            asked.entities.return_reason,
            Some(ReturnReason::ChangedMind)
        );
        let problem = Nlu::new(
            Box::new(FixedWithReasons(
                vec![(Intent::ReportProblem, 0.9), (Intent::Fallback, 0.1)],
                ReturnReason::Damaged,
                CancelReason::Other,
            )),
            &[],
            0.5,
        );
        let i = problem
            .understand("cancel it, i picked the wrong size", now(), None)
            .unwrap();
        assert_eq!(i.entities.cancel_reason, Some(CancelReason::WrongItem));
        assert_eq!(i.entities.return_reason, None);
    }

    /// A reason's words said with another request are no cancellation's reason, and a
    /// parcel that never came has no reason of a return.
    #[test]
    fn reasons_belong_to_their_own_request() {
        let reschedule = Nlu::new(
            Box::new(FixedScores(vec![
                (Intent::RescheduleDelivery, 0.95),
                (Intent::Fallback, 0.05),
            ])),
            &[],
            0.5,
        );
        let moved = reschedule
            .understand(
                "we've got a funeral on friday can the fridge come monday instead",
                now(),
                None,
            )
            .unwrap();
        assert_eq!(moved.entities.cancel_reason, None);
        assert!(moved.entities.date.is_some());
        let lost = Nlu::new(
            Box::new(FixedWithReasons(
                vec![(Intent::ReportProblem, 0.95), (Intent::Fallback, 0.05)],
                ReturnReason::WrongItem,
                CancelReason::Other,
            )),
            &[],
            0.5,
        );
        for text in [
            "my order says delivered but it's not here",
            "i ordered a raincoat a while back and i don't think i ever got it",
        ] {
            let i = lost.understand(text, now(), None).unwrap();
            assert_eq!(i.entities.return_reason, None, "{text}");
        }
        let broken = lost
            .understand(
                "the kettle that came last week is just not right",
                now(),
                None,
            )
            .unwrap();
        assert_eq!(broken.entities.return_reason, Some(ReturnReason::WrongItem));
    }

    #[test]
    fn below_threshold_is_fallback_with_the_runner_ups_kept() {
        let nlu = Nlu::new(
            Box::new(FixedScores(vec![
                (Intent::ReturnItem, 0.40),
                (Intent::ExchangeItem, 0.35),
                (Intent::ReportProblem, 0.15),
                (Intent::Fallback, 0.10),
            ])),
            &[],
            0.5,
        );
        let i = nlu
            .understand("i want to send it back or swap it", now(), None)
            .unwrap();
        assert_eq!(i.intent, Intent::Fallback);
        assert!((i.confidence - 0.40).abs() < 1e-6);
        let alts: Vec<_> = i.alternatives.iter().map(|a| a.intent).collect();
        assert_eq!(
            alts,
            vec![
                Intent::ReturnItem,
                Intent::ExchangeItem,
                Intent::ReportProblem
            ]
        );
    }

    /// An order number said makes the request the shop's: the lead among its own intents
    /// is taken when it clearly leads the rest; not for details alone, nor without a number.
    #[test]
    fn an_order_named_reads_the_request_among_the_shops_own() {
        let nlu = Nlu::new(
            Box::new(FixedScores(vec![
                (Intent::Fallback, 0.80),
                (Intent::ReportProblem, 0.16),
                (Intent::ManageSubscription, 0.04),
            ])),
            &[],
            0.5,
        );
        let named = nlu
            .understand(
                "my coffee from order 1000000000110 came with the bag split open",
                now(),
                None,
            )
            .unwrap();
        assert_eq!(named.intent, Intent::ReportProblem);
        assert!((named.confidence - 0.8).abs() < 1e-3);
        let unnamed = nlu
            .understand("my coffee came with the bag split open", now(), None)
            .unwrap();
        assert_eq!(unnamed.intent, Intent::Fallback);
        let details = nlu
            .understand("yeah it's 1000000000110 and the zip's 78701", now(), None)
            .unwrap();
        assert_eq!(details.intent, Intent::Fallback);
        let split = Nlu::new(
            Box::new(FixedScores(vec![
                (Intent::Fallback, 0.60),
                (Intent::ReportProblem, 0.18),
                (Intent::GetOrderStatus, 0.16),
                (Intent::ReturnItem, 0.06),
            ])),
            &[],
            0.5,
        );
        let unsure = split
            .understand("order 1000000000110 the bag thing", now(), None)
            .unwrap();
        assert_eq!(unsure.intent, Intent::Fallback);
        // A change leading the rest by little is not read into a number said.
        let weak_change = Nlu::new(
            Box::new(FixedScores(vec![
                (Intent::Fallback, 0.64),
                (Intent::ChangeAddress, 0.21),
                (Intent::GetOrderStatus, 0.15),
            ])),
            &[],
            0.5,
        );
        let status = weak_change
            .understand("hiya, status of 1000000000028 please", now(), None)
            .unwrap();
        assert_eq!(status.intent, Intent::Fallback);
    }

    #[test]
    fn above_threshold_keeps_the_intent_and_extracts_entities() {
        let nlu = Nlu::new(
            Box::new(FixedScores(vec![
                (Intent::GetOrderStatus, 0.9),
                (Intent::Fallback, 0.1),
            ])),
            &[],
            0.5,
        );
        let i = nlu
            .understand("where is order 1234 56789 1234", now(), None)
            .unwrap();
        assert_eq!(i.intent, Intent::GetOrderStatus);
        assert_eq!(i.entities.order_number.as_deref(), Some("1234567891234"));
    }

    #[test]
    fn a_number_said_again_without_its_unit_keeps_the_unit() {
        let nlu = Nlu::new(
            Box::new(FixedScores(vec![
                (Intent::ManageSubscription, 0.9),
                (Intent::Fallback, 0.1),
            ])),
            &[],
            0.5,
        );
        let heard = |s: &str| nlu.understand(s, now(), None).unwrap().entities;
        let three = heard("every two weeks no actually make it every three");
        assert_eq!(three.frequency_days, Some(21));
        let month = heard("every month, no, every three weeks");
        assert_eq!(month.frequency_days, Some(21));
    }

    /// Scores with the model's operating point: order changes need 0.7.
    struct WithBar(Scores);

    impl IntentClassifier for WithBar {
        fn classify(&self, _text: &str) -> Result<Scores, ClassifierError> {
            Ok(self.0.clone())
        }

        fn decision(&self) -> Decision {
            Decision {
                order_change_min: 0.7,
                order_change_max_fallback: 0.2,
            }
        }
    }

    #[test]
    fn an_order_change_needs_the_models_bar_and_a_question_does_not() {
        let scores = |intent| vec![(intent, 0.6), (Intent::Fallback, 0.4)];
        let nlu = Nlu::new(Box::new(WithBar(scores(Intent::ChangeAddress))), &[], 0.45);
        let i = nlu
            .understand("change my address at the dmv", now(), None)
            .unwrap();
        assert_eq!(i.intent, Intent::Fallback);
        assert_eq!(i.alternatives[0].intent, Intent::ChangeAddress);
        let nlu = Nlu::new(Box::new(WithBar(scores(Intent::GetOrderStatus))), &[], 0.45);
        let i = nlu.understand("where is my order", now(), None).unwrap();
        assert_eq!(i.intent, Intent::GetOrderStatus);
        let sure = vec![(Intent::ChangeAddress, 0.9), (Intent::Fallback, 0.1)];
        let nlu = Nlu::new(Box::new(WithBar(sure)), &[], 0.45);
        let i = nlu
            .understand("send it to my new address", now(), None)
            .unwrap();
        assert_eq!(i.intent, Intent::ChangeAddress);
    }

    #[test]
    fn an_order_change_with_a_share_left_to_fallback_is_not_trusted() {
        let split = |intent| {
            vec![
                (intent, 0.72),
                (Intent::Fallback, 0.25),
                (Intent::Help, 0.03),
            ]
        };
        let nlu = Nlu::new(Box::new(WithBar(split(Intent::CancelOrder))), &[], 0.45);
        let i = nlu
            .understand("cancel my dentist appointment", now(), None)
            .unwrap();
        assert_eq!(i.intent, Intent::Fallback);
        assert_eq!(i.alternatives[0].intent, Intent::CancelOrder);
        // A question with the same scores is answered: it changes nothing.
        let nlu = Nlu::new(Box::new(WithBar(split(Intent::PolicyQuestion))), &[], 0.45);
        let i = nlu
            .understand("what's your return window", now(), None)
            .unwrap();
        assert_eq!(i.intent, Intent::PolicyQuestion);
        let clear = vec![
            (Intent::CancelOrder, 0.72),
            (Intent::ReturnItem, 0.25),
            (Intent::Fallback, 0.03),
        ];
        let nlu = Nlu::new(Box::new(WithBar(clear)), &[], 0.45);
        let i = nlu.understand("cancel it", now(), None).unwrap();
        assert_eq!(i.intent, Intent::CancelOrder);
    }

    #[test]
    fn an_order_request_of_another_business_is_not_this_shops() {
        let sure = |intent| FixedScores(vec![(intent, 0.97), (Intent::Fallback, 0.01)]);
        let understood = |intent, text: &str, expect| {
            Nlu::new(Box::new(sure(intent)), &[], 0.45)
                .understand(text, now(), expect)
                .unwrap()
                .intent
        };
        for (intent, text) in [
            (Intent::ReturnItem, "i need to return the scooter i hired"),
            (
                Intent::ManageSubscription,
                "cancel my gym membership please",
            ),
            (Intent::Reorder, "reorder my usual from the butcher"),
            (Intent::PlaceOrder, "buy me a bottle of whisky"),
            (Intent::ReportProblem, "the hotel room was dirty"),
            (Intent::GetOrderStatus, "where's my pizza"),
            (Intent::CancelOrder, "cancel the Getir order"),
            (
                Intent::RescheduleDelivery,
                "reschedule my Ocado delivery to the evening",
            ),
            (
                Intent::ChangeAddress,
                "change my address at Barclays, I've moved",
            ),
            (Intent::Reorder, "reorder my usual from Domino's"),
        ] {
            assert_eq!(understood(intent, text, None), Intent::Fallback, "{text}");
        }
        // This shop's order named, or an answer to what was asked, stays the shop's.
        assert_eq!(
            understood(
                Intent::ReturnItem,
                "return order 1234567891234 i rented it for a wedding",
                None
            ),
            Intent::ReturnItem
        );
        assert_eq!(
            understood(Intent::ChangeAddress, "send it to my hotel instead", None),
            Intent::ChangeAddress
        );
        // A household member's order, a carrier, a month and a size are no business.
        for (intent, text) in [
            (Intent::CancelOrder, "cancel Jonah's order please"),
            (
                Intent::RescheduleDelivery,
                "can my UPS delivery come on Friday instead",
            ),
            (Intent::ExchangeItem, "swap the UK 6 for a UK 7"),
            (Intent::CancelOrder, "cancel the order I placed in March"),
            (Intent::ChangeAddress, "send my order to Mum's house"),
        ] {
            assert_eq!(understood(intent, text, None), intent, "{text}");
        }
        assert_eq!(
            understood(
                Intent::ChangeAddress,
                "change it from my house to my gym's front desk",
                None
            ),
            Intent::ChangeAddress
        );
        assert_eq!(
            understood(
                Intent::RescheduleDelivery,
                "i've a dentist appointment when my parcel's due, can it come another day",
                None
            ),
            Intent::RescheduleDelivery
        );
        assert_eq!(
            understood(
                Intent::CancelOrder,
                "my bank says the money is still held, cancel it",
                None
            ),
            Intent::CancelOrder
        );
        assert_eq!(
            understood(
                Intent::ReturnItem,
                "i borrowed it for a trip",
                Some(EntityKind::ReturnReason)
            ),
            Intent::ReturnItem
        );
        // A question about the shop is not gated.
        assert_eq!(
            understood(
                Intent::PolicyQuestion,
                "do you deliver to a hotel room",
                None
            ),
            Intent::PolicyQuestion
        );
    }

    #[test]
    fn huge_text_is_cut_not_refused() {
        let nlu = Nlu::new(
            Box::new(FixedScores(vec![(Intent::Fallback, 1.0)])),
            &[],
            0.5,
        );
        let text = "é".repeat(100_000);
        let i = nlu.understand(&text, now(), None).unwrap();
        assert_eq!(i.intent, Intent::Fallback);
    }
}

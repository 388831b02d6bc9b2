//! The questions: how an answer fills the question asked (each goal reads its own
//! answers), yes and no (and offers taken up by naming them), corrections said at a
//! read-back, and what a yes or a no decides.

use voxorder_domain::change::HandOffReason;
use voxorder_domain::interpretation::Cue;
use voxorder_domain::speech_text as st;
use voxorder_domain::vocab::{Entities, Intent};

use crate::facts::Facts;
use crate::goals::{commerce, orders, returns};
use crate::identity;
use crate::request::{AddressDraft, AfterSale, Goal, Request, SubAction, Task};
use crate::session::{Answer, Ask, Said, YesNo};
use crate::{p, Engine};

/// "No, I've looked" and longer says more about the parcel than "no, that's all".
const INSISTS_MIN_WORDS: usize = 3;

impl Engine {
    /// Answers the current question from what was said.
    pub(crate) fn answer(&mut self, ask: &Ask, said: &Said<'_>, facts: &dyn Facts) -> Answer {
        match ask {
            Ask::Nothing => Answer::Missed,
            Ask::YesNo(q) => self.answer_yes_no(*q, said, facts),
            Ask::OrderNumber
            | Ask::Factor
            | Ask::Phone
            | Ask::PhoneFactor
            | Ask::PickOrder(_)
            | Ask::AccountEmail
            | Ask::AccountFactor(_)
            | Ask::WhichMember(_) => identity::answer(self, ask, said, facts),
            Ask::CancelReason
            | Ask::Date
            | Ask::Slot
            | Ask::Street
            | Ask::City
            | Ask::Zip
            | Ask::ConfirmCall
            | Ask::ConfirmWho
            | Ask::CallbackTime => orders::answer(self, ask, said, facts),
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
            | Ask::WhichSubscription(_)
            | Ask::ProductVariant => commerce::answer(self, ask, said, facts),
        }
    }

    /// Whether a "no" goes on to say something of its own: a new address, an order
    /// number or a product, or a long sentence after it that takes no leave.
    fn says_more_than_no(&self, said: &Said<'_>) -> bool {
        let ent = &said.entities;
        let details = said.address.is_some()
            || ent.order_number.is_some()
            || ent.phone_number.is_some()
            || ent.email.is_some()
            || ent.product.is_some()
            || ent.date.is_some();
        details && !said.has(Cue::Goodbye)
    }

    /// Whether words said at the offer of a person answer the question the offer was
    /// made over, more than they say yes to it.
    fn answers_what_was_asked_before(&mut self, said: &Said<'_>) -> bool {
        let Some((before, _)) = self.s.offered_over.clone() else {
            return false;
        };
        if self.acknowledges_only(said) || self.phrases().any("ask_person", &said.words) {
            return false;
        }
        let offer = std::mem::replace(&mut self.ask, before);
        let answers = self.answers_the_question(said);
        self.ask = offer;
        answers
    }

    /// Whether the utterance carries what the pending question asks for (a value of the
    /// kind expected), so an unsure intent guess does not override it.
    pub(crate) fn answers_the_question(&self, said: &Said<'_>) -> bool {
        if self.gives_an_identity_fact(said) {
            return true;
        }
        match &self.ask {
            Ask::ProductVariant | Ask::ExchangeVariant => {
                let table = self.phrases().table("sizes");
                table.is_some_and(|t| said.words.iter().any(|w| t.contains_key(w)))
                    || said.words.len() <= 3 && said.entities.is_empty()
            }
            // "The second" picks from a list read out; to the classifier it may sound
            // like "say that again".
            Ask::PickOrder(_) | Ask::ReturnItems | Ask::YesNo(YesNo::NextOrder) => {
                !said.ordinals.is_empty() && said.words.len() <= 4
            }
            // "Send me the right one please. What do I do with the toaster?": a way to
            // put it right, chosen, whatever else is asked with it.
            Ask::ProblemResolution => {
                let ph = self.phrases();
                ph.any("replacement", &said.words) || ph.any("refund", &said.words)
            }
            Ask::Date | Ask::Slot => self.gives_the_day_asked(said),
            // "Back to my card" at the offer of a person, made over "how would you like
            // your refund?": a way of refund named is that question's answer.
            Ask::RefundMethod => self.answers_with_thanks(said),
            // "Is there really nothing you can do?" at the offer of an exception.
            Ask::YesNo(YesNo::Exception) => self.phrases().any("pleads_for_exception", &said.words),
            _ => false,
        }
    }

    /// "The twenty-fourth please" at "what day?": a day or a part of one, where one is
    /// asked, however sure the classifier is that the words ask for a repeat.
    pub(crate) fn gives_the_day_asked(&self, said: &Said<'_>) -> bool {
        matches!(self.ask, Ask::Date | Ask::Slot)
            && (said.entities.date.is_some() || said.entities.time_slot.is_some())
    }

    /// Whether a question about who the caller is, or which order, is answered with such
    /// a fact. "Sorry, 78701" after a wrong zip is the answer, however sure the classifier
    /// is that "sorry" asks for the question again.
    pub(crate) fn gives_an_identity_fact(&self, said: &Said<'_>) -> bool {
        let e = &said.entities;
        let any_fact = e.zip_code.is_some() || e.email.is_some() || e.phone_number.is_some();
        match &self.ask {
            Ask::OrderNumber => e.order_number.is_some(),
            Ask::Factor | Ask::PhoneFactor | Ask::AccountFactor(_) | Ask::Zip => any_fact,
            Ask::Phone => e.phone_number.is_some(),
            Ask::AccountEmail => e.email.is_some(),
            _ => false,
        }
    }

    /// Reads a yes or a no.
    pub(crate) fn yes_no(&self, said: &Said<'_>) -> Option<bool> {
        // "Oh yes, the speaker. Before I say yes, does the driver carry change?": the
        // yes is held back for the question, not given.
        if self.phrases().any("holds_the_yes", &said.words) {
            return None;
        }
        // "Yeah nah, I'll wait": the last of the two words is the answer.
        if self.phrases().any("yes_then_no", &said.words) {
            return Some(false);
        }
        if self.phrases().any("no_then_yes", &said.words) {
            return Some(true);
        }
        // "I do NOT want to cancel, leave it alone" at "cancel your order?" reads as a
        // cancellation to the classifier; for the question it is a no.
        if self.undoing_request() && self.phrases().any("keep", &said.words) {
            return Some(false);
        }
        // "One" at "that's six bags, shall I place the order?": a number, never a yes.
        if !said.words.is_empty()
            && said.words.iter().all(|w| {
                w.bytes().all(|b| b.is_ascii_digit())
                    || self.phrases().any("count_words", std::slice::from_ref(w))
            })
        {
            return None;
        }
        if self.yes_after_but(said) {
            return Some(true);
        }
        match said.intent {
            // "When exactly?", "do I still need to confirm it?": a question, however it
            // was classified, is no yes unless a yes is in it.
            Intent::Affirm | Intent::ConfirmOrder
                if self.asks_a_question(said)
                    && !said.has(Cue::Yes)
                    && !self.phrases().any("firm_yes", &said.words) =>
            {
                return None
            }
            // "No no, it's my order, I want the bigger size" at "shall I cancel it?": the
            // words "my order" lead the classifier to a confirmation; the first word
            // answers.
            // ("No, cancel it. Actually wait, yes I confirm" still confirms.)
            Intent::ConfirmOrder
                if said.has(Cue::No)
                    && !self.phrases().any("firm_yes", &said.words)
                    && !said.words.iter().any(|w| w == "confirm") =>
            {
                return Some(false)
            }
            Intent::Affirm | Intent::ConfirmOrder => return Some(true),
            Intent::Deny => return Some(false),
            _ => {}
        }
        // "Please cancel it" at "shall I text you the tracking link?": a "please" that
        // opens another request asks for that request; it is no yes to the offer.
        if said.words.first().is_some_and(|w| w == "please")
            && matches!(self.ask, Ask::YesNo(q) if q.is_offer())
            && self.switch_goal(said).is_some()
        {
            return None;
        }
        // "Lovely, cheers" at a read-back approves it.
        let approves = matches!(self.ask, Ask::YesNo(YesNo::Proceed))
            && self.phrases().any("approves", &said.words);
        if said.has(Cue::Yes) || (approves && !said.has(Cue::No)) {
            Some(true)
        } else if said.has(Cue::No) || self.phrases().any("declines", &said.words) {
            // "Oh tomorrow's fine, no need, thanks!": declined without a first "no".
            Some(false)
        } else {
            None
        }
    }

    /// "That's not what I asked, but ok, yes go ahead", "oh never mind, the Visa is
    /// fine, go ahead": a complaint, a doubt or a withdrawal, then a plain yes after it
    /// ("but", "never mind", "anyway") with no no of its own: the yes is the answer.
    pub(crate) fn yes_after_but(&self, said: &Said<'_>) -> bool {
        let ph = self.phrases();
        let words = &said.words;
        let Some(end) = (0..words.len())
            .rev()
            .find_map(|i| ph.len_at("second_thoughts", words, i).map(|n| i + n))
        else {
            return false;
        };
        let tail = &words[end..];
        let negated = tail.iter().any(|w| {
            matches!(
                w.as_str(),
                "no" | "not" | "don't" | "dont" | "never" | "nope" | "cancel" | "stop"
            )
        });
        !tail.is_empty() && !negated && ph.any("grudging_yes", tail)
    }

    /// The utterance asks for something besides its yes or no: a request, a policy
    /// question or an order number.
    pub(crate) fn names_a_request(&self, said: &Said<'_>) -> bool {
        requests_something(said.intent, &said.entities)
    }

    /// Whether the only yes in the words is an acknowledgement ("ok", "alright"), not a
    /// "yes", "sure" or "please".
    /// "Yes", "yeah sure, please": a yes with nothing else in it. To a question that
    /// offers a choice ("refund to your card or store credit?") it chooses nothing.
    pub(crate) fn bare_yes(&self, said: &Said<'_>) -> bool {
        self.yes_no(said) == Some(true)
            && said.entities.is_empty()
            && self
                .phrases()
                .without_each(
                    &["firm_yes", "acknowledge", "approves", "courtesy"],
                    &said.words,
                )
                .is_empty()
    }

    pub(crate) fn acknowledges_only(&self, said: &Said<'_>) -> bool {
        let ph = self.phrases();
        ph.any("acknowledge", &said.words) && !ph.any("firm_yes", &said.words)
    }

    /// An offer taken up by naming what was offered ("text me the link", "send it over"),
    /// with no yes said.
    pub(crate) fn takes_up(&self, q: YesNo, said: &Said<'_>) -> Option<bool> {
        // "Is there really nothing you can do?" at "shall I ask our team for an
        // exception?": a plea for one, whatever else the sentence denies.
        if q == YesNo::Exception && self.phrases().any("pleads_for_exception", &said.words) {
            return Some(true);
        }
        let named = match q {
            YesNo::TrackingLink => self.phrases().any("take_up_link", &said.words),
            // "Just send me the label" at the read-back of a return that goes by label;
            // "text it", "by email", "send it to my phone" say the label's way, which
            // only a label has ("can you email it?" is no refusal of a text here).
            YesNo::Proceed
                if self.task.as_ref().is_some_and(
                    |t| matches!(&t.req, Request::Return(a) if a.pickup != Some(true)),
                ) =>
            {
                let ph = self.phrases();
                let rest = ph.without_each(&["label_way"], &said.words);
                let by_label_way = ph.any("label_way", &said.words)
                    && !said.has(Cue::Pickup)
                    && !said.has(Cue::Negated)
                    && !ph.any("not_a_take_up", &rest);
                if by_label_way {
                    return Some(true);
                }
                said.has(Cue::Label)
            }
            // "Fine, place it" at the read-back of an order about to be placed.
            YesNo::Proceed if commerce::purchasing(self) => {
                self.phrases().any("place_it", &said.words)
            }
            _ => return None,
        };
        (named && !said.has(Cue::Negated) && !self.phrases().any("not_a_take_up", &said.words))
            .then_some(true)
    }

    /// "Can you email it instead?", "which phone would that go to?" at the tracking-link
    /// offer: answered, and the offer stands. Never a yes: "can you send it by email"
    /// holds "send it" but refuses the text.
    fn link_question(&mut self, said: &Said<'_>, facts: &dyn Facts) -> bool {
        let ph = self.phrases();
        // "My email is omar@…, so what address is it going to?" gives the email, as a
        // proof; it asks for nothing by email.
        if said.entities.email.is_some() || ph.any("asks_address", &said.words) {
            return false;
        }
        let key = if ph.any("link_by_email", &said.words) {
            p!("link_by_text_only")
        } else if ph.any("which_phone", &said.words) {
            p!("link_which_phone")
        } else {
            return false;
        };
        // The phone's last digits only to a caller who proved the order by its email or
        // phone: to one who gave a guessed zip they are a piece of someone's number.
        let order = self
            .focus_order(facts)
            .filter(|o| identity::private_details_may_be_read(self, &o.order_number, facts));
        let ending = order
            .and_then(|o| o.customer.phone)
            .filter(|p| p.len() >= 4)
            .map(|p| {
                let digits = st::digits_grouped(&p[p.len() - 4..]);
                self.text(p!("phone_ending"), &[("digits", digits)])
            })
            .unwrap_or_default();
        self.ask(Ask::YesNo(YesNo::TrackingLink), key, &[("ending", ending)]);
        true
    }

    pub(crate) fn answer_yes_no(&mut self, q: YesNo, said: &Said<'_>, facts: &dyn Facts) -> Answer {
        // "Can I make it two instead of three first?" at "shall I confirm it?": the count
        // is fixed once ordered, said with what can be done; the question is asked again.
        if q == YesNo::ConfirmPending
            && self.yes_no(said).is_none()
            && orders::count_fixed(self, said, facts)
        {
            self.say_pending_question(false);
            return Answer::Handled;
        }
        // "Hmm no, I'll just pay cash. Yes I confirm" at the payment link's offer: cash
        // it stays, and a confirmation said with it stands.
        let ph = self.phrases();
        if q == YesNo::PaymentLink
            && ph.any("pay_cash", &said.words)
            && !ph.any("payment_link_named", &said.words)
        {
            let confirms = ph.any("confirm_word", &said.words)
                && (said.has(Cue::Yes) || ph.any("confirm_firm", &said.words));
            self.s.payment_link_offered = None;
            if confirms && self.task.is_some() {
                self.ask = Ask::Nothing;
                self.task().confirmed = true;
                return Answer::Filled;
            }
            self.ask(Ask::ConfirmCall, p!("confirm_after_change"), &[]);
            return Answer::Handled;
        }
        // "Tomorrow morning" at "shall we call back another time?" is a yes and its time.
        // "No. Fine, call her back tonight": the no is to this call, the callback asked.
        if q == YesNo::CallBack
            && orders::names_a_callback_time(said)
            && (self.yes_no(said) != Some(false) || said.has(Cue::CallBack))
        {
            return orders::answer(self, &Ask::CallbackTime, said, facts);
        }
        // "What's it about? Is it the jacket he ordered?" from whoever answered for the
        // customer: nothing of the order is told or looked up for them; the call back is
        // asked again.
        if q == YesNo::CallBack
            && self.yes_no(said).is_none()
            && (self.names_a_request(said) || self.asks_a_question(said.heard))
        {
            let name = self.s.callee.clone().unwrap_or_default();
            self.say(p!("only_with_the_customer"), &[("name", name)]);
            self.ask(Ask::YesNo(YesNo::CallBack), p!("ask_call_back"), &[]);
            return Answer::Handled;
        }
        // "Come on, just confirm it for her": the order is gone through with the
        // customer alone, said plainly rather than as a mishearing.
        if q == YesNo::CallBack
            && self.yes_no(said).is_none()
            && (said.intent == Intent::ConfirmOrder
                || self.phrases().any("skip_check", &said.words)
                || said.words.iter().any(|w| w.starts_with("confirm")))
        {
            let name = self.s.callee.clone().unwrap_or_default();
            self.say(p!("only_with_the_customer"), &[("name", name)]);
            self.ask(Ask::YesNo(YesNo::CallBack), p!("ask_call_back"), &[]);
            return Answer::Handled;
        }
        if q == YesNo::TrackingLink && self.link_question(said, facts) {
            return Answer::Handled;
        }
        // "Don't cancel it, she wants that rain jacket. Leave it as it is": keeping words
        // answer no, whatever item they name.
        if q == YesNo::CancelWholeOrder
            && !self.phrases().any("keep", &said.words)
            && orders::another_item_dropped(self, said, facts)
        {
            return Answer::Handled;
        }
        // "Actually wait, no, don't cancel it, I'll keep it" at "anything else?" after a
        // cancellation that could not be done: the no takes the request back, it does
        // not end the call.
        if q == YesNo::AnythingElse
            && self.yes_no(said) == Some(false)
            && self.phrases().any("keep", &said.words)
        {
            self.say(p!("not_done"), &[]);
            self.anything_else();
            return Answer::Handled;
        }
        // "No, that's not it" at the offer or the "anything else?" after an answer about
        // an order: the answer was about the wrong one; the request is asked again of
        // the caller's other orders.
        // "No, not Ada's. Mine": another member's order was not the one meant.
        let not_whose = said
            .words
            .windows(2)
            .any(|w| w[0] == "not" && w[1].ends_with("'s") && w[1].len() > 3);
        if (q.is_offer() || q == YesNo::AnythingElse)
            && self.yes_no(said) != Some(true)
            && (not_whose || self.phrases().any("not_that_order", &said.words))
        {
            let goal = self
                .task
                .as_ref()
                .map(|t| t.goal())
                .or(self.s.last_goal)
                .filter(|g| g.needs_order());
            if let Some(goal) = goal {
                if self.task.is_some() {
                    self.end_task();
                }
                self.ask = Ask::Nothing;
                self.start_goal(goal, said, facts);
                return Answer::Handled;
            }
        }
        // "And one of the oatmeal hoodies too, also doesn't fit" at "anything else?" just
        // after a return: the same request for another item of the order, however unsure
        // the classifier was of so short a sentence.
        if q == YesNo::AnythingElse
            && said.confidence < self.config().dialog.switch_confidence
            && self.phrases().any("adds_another", &said.words)
            && matches!(
                self.s.last_goal,
                Some(Goal::Return | Goal::Exchange | Goal::Problem)
            )
        {
            let on_the_order = said.entities.product.as_deref().is_some_and(|sku| {
                self.focus_order(facts)
                    .is_some_and(|o| identity::holds_product(&o, sku, facts))
            });
            if let (true, Some(goal)) = (on_the_order, self.s.last_goal) {
                self.ask = Ask::Nothing;
                self.start_goal(goal, said, facts);
                return Answer::Handled;
            }
        }
        // "A week? Can't you send it faster?": a complaint or another wish at the offer is
        // no yes, whatever words of sending it holds.
        if q == YesNo::TrackingLink
            && self.phrases().any("not_a_take_up", &said.words)
            && said.intent != Intent::Affirm
            && !said
                .words
                .first()
                .is_some_and(|w| matches!(w.as_str(), "yes" | "yeah" | "yep" | "sure"))
        {
            self.ask = Ask::Nothing;
            self.task = None;
            self.route(said, facts);
            return Answer::Handled;
        }
        // "Can somebody at least review it?" when a person was offered is a yes.
        // So is "it was due last week! yes fine, pass me over", however it was classified.
        let asks_for_person = matches!(q, YesNo::OfferHuman | YesNo::Exception)
            && (said.intent == Intent::SpeakToAgent
                || (self.phrases().any("ask_person", &said.words) && !said.has(Cue::Negated)));
        // "Ok, where is order 1780… going?" at an offer: the new request is the answer,
        // and the "ok" takes nothing up.
        // "No that's ok. When did it ship and where is it now?": declined, and asked.
        // "No. Can I get the shipping charge refunded?": declined, and a question asked.
        // "No, leave it then. What about the hoodie, can I still return that?" at the
        // offer of an exception: declined, and the other item asked about.
        // "No, I wanted to know how much I paid for it" at "shall I read the next one?":
        // declined, and the order's details asked.
        let asks_details = orders::asks_order_details(self, &said.words);
        let declined_with_request = (q.is_offer() || q == YesNo::Exception)
            && (self.names_a_request(said) || asks_details)
            && self.yes_no(said) == Some(false)
            && (Goal::from_intent(said.intent).is_some()
                || asks_details
                || said.intent == Intent::PolicyQuestion
                    && said.confidence >= self.config().dialog.aside_confidence);
        // "Ok, how much is the yoga mat?" at "shall I connect you?" is a new question too.
        let offered = q.is_offer() || matches!(q, YesNo::OfferHuman);
        // "Ok fine, confirm it as it is then" at "shall I confirm it now?" is the yes to
        // it, not a new confirmation to read the order out for again.
        let confirms_the_offer = q == YesNo::ConfirmPending
            && said.intent == Intent::ConfirmOrder
            && said.entities.order_number.is_none();
        let asks_something = !confirms_the_offer
            && (self.names_a_request(said) || commerce::asks_about_a_product(self, said));
        if declined_with_request || (offered && asks_something && self.acknowledges_only(said)) {
            self.s.queue.clear();
            self.ask = Ask::Nothing;
            // The offer was the request's last step: declined, the request is over, and
            // is not told again once the new one is answered.
            if q.is_offer() {
                self.task = None;
            }
            self.route(said, facts);
            return Answer::Handled;
        }
        // "Ok. When exactly?" at "shall I text you the tracking link?": the "ok" takes the
        // status in, and the question is about the order just told, not a take-up.
        if q == YesNo::TrackingLink
            && !asks_something
            && (self.acknowledges_only(said) || self.yes_no(said).is_none())
            && self.asks_a_question(said)
        {
            self.s.queue.clear();
            self.ask = Ask::Nothing;
            let about_it = Said {
                heard: said.heard,
                intent: Intent::GetOrderStatus,
                confidence: 1.0,
                keypad: said.keypad,
            };
            self.route(&about_it, facts);
            return Answer::Handled;
        }
        // "No, just use the Discover then. Place it": what is taken up, named at the
        // read-back, outweighs a no said to what came before.
        let named_go_ahead = (q == YesNo::Proceed && commerce::purchasing(self))
            .then(|| self.phrases().find("place_it", &said.words))
            .flatten()
            .filter(|&at| {
                !said.words[at.saturating_sub(3)..at]
                    .iter()
                    .any(|w| matches!(w.as_str(), "not" | "don't" | "dont" | "never" | "do"))
            })
            .map(|_| true);
        let mut yes = named_go_ahead
            .or_else(|| self.yes_no(said))
            .or_else(|| self.takes_up(q, said))
            .or(asks_for_person.then_some(true));
        // "Cancel it" at "shall I cancel your order…?": the request said again, surely,
        // briefly and with nothing new, is the go-ahead.
        // "It doesn't fit" names only the reason already read back: no go-ahead.
        let reason_only = said.entities.return_reason.is_some() && said.entities.product.is_none();
        if yes.is_none()
            && matches!(q, YesNo::Proceed | YesNo::CancelWholeOrder)
            && !reason_only
            && self.names_the_request_again(said)
        {
            yes = Some(true);
        }
        // "Okay, thanks for checking" at "shall I place the order?", "okay, I understand,
        // thanks anyway" at "shall I connect you?": thanks with only an "okay" take the
        // answer in and leave; they buy nothing and ask for no one. A person offered is
        // declined; a purchase or a change is asked about again.
        // "Oh dear. Alright, thank you for checking" is the same, whatever else the
        // words of the moment leave unsure.
        let thanks_only = yes != Some(false)
            && named_go_ahead.is_none()
            && self.acknowledges_only(said)
            && self.phrases().any("gratitude", &said.words);
        // "Ok thanks" at "shall I confirm it now?", after hearing what was paid, takes
        // the answer in; an order is confirmed only on a yes to it.
        if thanks_only && matches!(q, YesNo::OfferHuman | YesNo::Exception) {
            yes = Some(false);
        } else if thanks_only && matches!(q, YesNo::Proceed | YesNo::ConfirmPending) {
            return Answer::Missed;
        }
        // "Ok and the second one" at "shall I confirm it now?": the "ok" takes the
        // answer in and moves on; a change is made only on a yes to it.
        let moves_on = said
            .words
            .get(1)
            .is_some_and(|w| matches!(w.as_str(), "and" | "but" | "now" | "what" | "so" | "then"));
        if yes == Some(true)
            && named_go_ahead.is_none()
            && moves_on
            && self.acknowledges_only(said)
            && matches!(q, YesNo::Proceed | YesNo::ConfirmPending)
        {
            return Answer::Missed;
        }
        // "Don't cancel it, just pause it for now" at a subscription's read-back: the no
        // is to this change, and the one named instead is read back in its place.
        // ("How often does it come now?" asks; it changes nothing.)
        if q == YesNo::Proceed
            && yes != Some(true)
            && !self.phrases().any("asks_frequency", &said.words)
            && commerce::switches_subscription_action(self, said, facts)
        {
            return Answer::Handled;
        }
        match q {
            YesNo::AnythingElse => {
                // "Well then yes, I'd like to speak to that team you mentioned": the person
                // offered earlier, asked for now, for the reason they were offered.
                if self.phrases().any("ask_person", &said.words) && !said.has(Cue::Negated) {
                    let reason = self.s.offer_reason.unwrap_or(HandOffReason::Requested);
                    self.note_primary(Intent::SpeakToAgent);
                    self.hand_off(reason);
                    return Answer::Handled;
                }
                // "No thanks. Oh, and can you check my other order?": the new request wins.
                let new_request = self.names_a_request(said);
                match yes {
                    _ if self.go_ahead_with_what_was_done(said) => {
                        self.say(p!("already_done"), &[]);
                        self.anything_else();
                        Answer::Handled
                    }
                    // "I can't find it, could you send it again?" just after a return.
                    _ if returns::resends_label(self, &said.words, facts) => {
                        self.anything_else();
                        Answer::Handled
                    }
                    // "Brilliant, could you send us the tracking link": sent, not offered.
                    _ if orders::text_link_asked(self, said, facts) => Answer::Handled,
                    // "Why not? I only got it a week ago" just after a refusal: a question
                    // of the rule, not a goodbye; the team can weigh an exception. "But
                    // it still has the tags on?" is the same question, whatever request
                    // the classifier, unsure, heard in it.
                    Some(false) | None
                        if self.s.refused_at.is_some_and(|t| t + 1 == self.s.turns)
                            && (!new_request
                                || said.confidence < self.config().dialog.switch_confidence)
                            && (self.phrases().any("asks_why", &said.words)
                                || self.phrases().any("objects_to_refusal", &said.words)) =>
                    {
                        self.ask = Ask::Nothing;
                        self.say(p!("why_refused"), &[]);
                        self.offer_human(HandOffReason::Exception);
                        Answer::Handled
                    }
                    // "No, it's not with the neighbours, I checked everywhere" just after
                    // being asked to wait for a parcel marked delivered: the caller is
                    // still on the parcel, not leaving; the team can look into it now.
                    Some(false) | None
                        if self.s.wait_told_at.is_some_and(|t| t + 1 == self.s.turns)
                            && !new_request
                            && said.words.len() > INSISTS_MIN_WORDS
                            && !said.has(Cue::Goodbye)
                            && !self.phrases().any("finished", &said.words) =>
                    {
                        self.ask = Ask::Nothing;
                        self.say(p!("not_received_insists"), &[]);
                        // Not the claim opened after the wait: the team weighs it.
                        self.offer_human(HandOffReason::Exception);
                        Answer::Handled
                    }
                    _ if new_request => {
                        self.ask = Ask::Nothing;
                        self.route(said, facts);
                        Answer::Handled
                    }
                    // An unsure no that asks something ("oh, so it can't come sooner?")
                    // is a question, not a goodbye.
                    Some(false)
                        if said.intent == Intent::Deny
                            && said.confidence < self.config().dialog.switch_confidence
                            && self.asks_a_question(said.heard) =>
                    {
                        self.ask = Ask::Nothing;
                        let unsure = Said {
                            intent: Intent::Fallback,
                            ..*said
                        };
                        self.route(&unsure, facts);
                        Answer::Handled
                    }
                    // "No, I mean I moved. It should go to 1200 East Speedway…": a no that
                    // goes on to say what is wanted is that request, not a goodbye.
                    Some(false) if self.says_more_than_no(said) => {
                        self.ask = Ask::Nothing;
                        self.route(said, facts);
                        Answer::Handled
                    }
                    // "No I don't want to talk to anyone, just refund it": a no to more
                    // talk that asks for the money back is that request.
                    Some(false) if self.phrases().any("wants_refund", &said.words) => {
                        self.ask = Ask::Nothing;
                        let wants = Said {
                            intent: Intent::ReturnItem,
                            ..*said
                        };
                        self.route(&wants, facts);
                        Answer::Handled
                    }
                    Some(false) => {
                        self.goodbye();
                        Answer::Handled
                    }
                    // "Yes please do that" after "to close your account, ask us": the
                    // asking is done, and the team does it.
                    // "Ok, thanks for explaining" only takes the answer in.
                    Some(true)
                        if self.policy_just_said_ask_us() && !self.acknowledges_only(said) =>
                    {
                        self.hand_off_saying(HandOffReason::Requested, p!("handoff_to_do_it"), &[]);
                        Answer::Handled
                    }
                    // "Ok. Can the driver leave it with my neighbour?": the "ok" takes in
                    // the answer; the question after it is what to answer, never a bare
                    // "Sure" that promises nothing.
                    Some(true) if self.acknowledges_only(said) && said.words.len() > 2 => {
                        self.ask = Ask::Nothing;
                        self.route(said, facts);
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
            // "Replacement please" to "shall I connect you?", offered when "replacement
            // or refund?" was not understood: the answer to that question, late.
            YesNo::OfferHuman if self.answers_what_was_asked_before(said) => {
                let (ask, key) = self.s.offered_over.take().expect("checked above");
                self.s.offer_reason = None;
                self.ask = ask.clone();
                self.ask_key = key;
                self.answer(&ask, said, facts)
            }
            // "Refund me" when the team was offered because a refund could not be made
            // by voice: still not by voice, and the team still can.
            YesNo::OfferHuman
                if (yes.is_none() && self.refund_asked_after_a_refusal(said))
                    || self.refund_asked_of_the_teams_offer(said) =>
            {
                self.say(p!("refund_needs_team"), &[]);
                Answer::Handled
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
                // "No, I'll wait, bye": declined, and leaving.
                Some(false) if said.has(Cue::Goodbye) => {
                    self.ask = Ask::Nothing;
                    self.task = None;
                    self.goodbye();
                    Answer::Handled
                }
                // "No, I'll wait. Now the cancellation please": declined, and the request
                // said earlier in the call is taken up next.
                Some(false) if !self.s.later.is_empty() => {
                    self.ask = Ask::Nothing;
                    self.task = None;
                    self.say(p!("declined_ok"), &[]);
                    self.anything_else();
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
            // "And what about mine?" on a household speaker: the speaker's own orders,
            // not the next of another member's.
            YesNo::NextOrder
                if self.s.customer.is_some() && self.phrases().any("own_orders", &said.words) =>
            {
                self.s.queue.clear();
                self.ask = Ask::Nothing;
                self.start_goal(Goal::Status, said, facts);
                Answer::Handled
            }
            // "No, I said I want to cancel that one": a request said with the answer wins,
            // unless it only asks where one of the orders on offer is ("where's the one
            // with the backpack"): that is picking it, below, and the rest stay on offer.
            YesNo::NextOrder
                if self.names_a_request(said)
                    && yes != Some(true)
                    && !(said.intent == Intent::GetOrderStatus
                        && identity::pick(self, said, &self.s.queue, facts).is_some()) =>
            {
                self.s.queue.clear();
                self.ask = Ask::Nothing;
                self.route(said, facts);
                Answer::Handled
            }
            YesNo::NextOrder => {
                // "The one with the backpack": that order, out of turn.
                let queue = self.s.queue.clone();
                let named = yes
                    .is_none()
                    .then(|| identity::pick(self, said, &queue, facts))
                    .flatten();
                let next = match (yes, named) {
                    (None, Some(i)) => Some(i),
                    (Some(true), _) => Some(0),
                    _ => None,
                };
                match (next, yes) {
                    (Some(i), _) => {
                        let next = self.s.queue.remove(i);
                        self.s.focus = Some(next.clone());
                        let mut task =
                            Task::new(Goal::Status, Vec::new(), Vec::new(), Entities::default());
                        task.order = Some(next);
                        self.task = Some(task);
                        Answer::Filled
                    }
                    (None, Some(false)) => {
                        self.s.queue.clear();
                        self.anything_else();
                        Answer::Handled
                    }
                    (None, _) => Answer::Missed,
                }
            }
            YesNo::Proceed if commerce::tells_arrival(self, said) => Answer::Handled,
            YesNo::Proceed if commerce::tells_next_of_the_subscription(self, said, facts) => {
                Answer::Handled
            }
            YesNo::Proceed
                if commerce::trim_cart(self, said, facts)
                    || returns::trim_lines(self, said, facts)
                    || commerce::adds_to_cart(self, said, facts)
                    || commerce::swaps_variant_in_cart(self, said, facts)
                    || commerce::recount_cart(self, said, facts)
                    || orders::narrows_cancel(self, said, facts)
                    || returns::amend_variant(self, said, facts)
                    || returns::amend_exchange_count(self, said, facts)
                    || self.amend(said) =>
            {
                // "Oh no, the zip's wrong, it's 78703": the read-back is corrected and
                // said again, nothing is cancelled.
                self.ask = Ask::Nothing;
                self.task().confirmed = false;
                self.advance(facts);
                Answer::Handled
            }
            _ => {
                // "Refund" at the read-back of a refund: what is held, said again.
                if yes.is_none() && self.restates_what_is_held(said, facts) {
                    self.say_held_already();
                    return Answer::Handled;
                }
                // "No, but can I reschedule it?": the answer, then the new request. A yes
                // that names the request ("yes, cancel it") is only a yes.
                if let Some(goal) = self.switch_goal(said).filter(|_| yes != Some(true)) {
                    self.ask = Ask::Nothing;
                    self.start_goal(goal, said, facts);
                    return Answer::Handled;
                }
                match yes {
                    // "No, not every time, just the once" at a subscription's new count:
                    // the subscription stays, and the count becomes an order of its own.
                    Some(false)
                        if q == YesNo::Proceed && commerce::count_wanted_once(self, said) =>
                    {
                        self.ask = Ask::Nothing;
                        commerce::order_once_instead(self, facts);
                        Answer::Handled
                    }
                    // "No that's fine, thank you, that's all" at an offer: declining
                    // does nothing, and the call ends rather than asking "anything else?".
                    Some(false)
                        if matches!(
                            q,
                            YesNo::TrackingLink
                                | YesNo::NextOrder
                                | YesNo::StartReturn
                                | YesNo::StartCancel
                        ) && self.phrases().any("finished", &said.words)
                            && self.s.queue.is_empty() =>
                    {
                        self.ask = Ask::Nothing;
                        if self.task.is_some() {
                            self.end_task();
                        }
                        self.goodbye();
                        Answer::Handled
                    }
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

    /// A refund asked for in a few words, just after a problem or a return of the order
    /// in focus was passed to the team as one that cannot be settled by voice.
    fn refund_asked_after_a_refusal(&self, said: &Said<'_>) -> bool {
        /// Longer than this, the words say more than "refund me".
        const DEMAND_MAX_WORDS: usize = 6;
        let refused_here = self.s.offer_reason == Some(HandOffReason::Exception)
            && matches!(self.s.last_goal, Some(Goal::Problem | Goal::Return));
        refused_here
            && self.demands_a_refund_of_the_focus(said)
            && said.words.len() <= DEMAND_MAX_WORDS
    }

    /// Whether the words ask for a refund ("refund me", "I want my money back"), not
    /// turn one down, of the order in focus (no other order named).
    fn demands_a_refund_of_the_focus(&self, said: &Said<'_>) -> bool {
        let ph = self.phrases();
        let same_order = said
            .entities
            .order_number
            .as_ref()
            .is_none_or(|n| self.s.focus.as_ref() == Some(n));
        same_order
            && (ph.any("wants_refund", &said.words) || ph.any("refund", &said.words))
            && !ph.any("no_refund", &said.words)
    }

    /// "I don't want it chased, I want a refund" when the team was offered for an order
    /// far past its promise, "fine, they're broken, refund me" when it was offered for a
    /// refund refused by voice: the refund is the team's too, so the offer stands, said
    /// for the refund rather than repeated whole.
    fn refund_asked_of_the_teams_offer(&self, said: &Said<'_>) -> bool {
        matches!(
            self.s.offer_reason,
            Some(HandOffReason::LongDelay | HandOffReason::Exception)
        ) && self.demands_a_refund_of_the_focus(said)
            && !self.asks_a_question(said.heard)
    }

    /// The request being read back, named again in a few words and nothing else ("cancel
    /// it", "yeah return them"): no other order, no negation.
    fn names_the_request_again(&self, said: &Said<'_>) -> bool {
        let Some(task) = self.task.as_ref() else {
            return false;
        };
        let same = Goal::from_intent(said.intent) == Some(task.goal());
        let sure = said.confidence >= self.config().dialog.switch_confidence;
        let other_order = said
            .entities
            .order_number
            .as_ref()
            .is_some_and(|n| task.order.as_ref() != Some(n));
        let negated = said.words.iter().any(|w| {
            matches!(
                w.as_str(),
                "not" | "don't" | "dont" | "never" | "no" | "nope" | "instead" | "or"
            )
        });
        // "Resume it please" while a new count is read back: another change of it.
        let another_change = commerce::names_another_subscription_action(self, said);
        same && sure && !other_order && !negated && !another_change && said.words.len() <= 6
    }

    /// "Yes, go ahead with the refund" after the refund was made: a go-ahead for the
    /// request just finished (starting with a yes, naming that request or its follow-up,
    /// and not another order or item), not a new request.
    pub(crate) fn go_ahead_with_what_was_done(&self, said: &Said<'_>) -> bool {
        let (Some(last), Some(goal)) = (self.s.last_goal, Goal::from_intent(said.intent)) else {
            return false;
        };
        let starts_yes = said.has(Cue::Yes);
        // A question about where an order is may well be about another one: asked. A
        // subscription or a purchase after one is another action ("now turn it back
        // on"), never the one just done.
        let repeatable = matches!(goal, Goal::Subscription | Goal::Place | Goal::Reorder);
        let related = !goal.about_the_order_in_focus()
            && !repeatable
            && (goal == last || (goal.after_sales() && last.after_sales()));
        // "Yes, go ahead with it" is short; a sentence says what it wants.
        let short = said.words.len() <= 8;
        let lately = |at: Option<u32>| at.is_some_and(|at| self.s.turns.saturating_sub(at) <= 2);
        // "Ok well actually it arrived broken" after a return was refused: nothing was
        // done to go ahead with, and a problem told is a request of its own.
        let refused_last = lately(self.s.refused_at);
        // "Yes refund" after hearing a parcel is out for delivery: nothing was done yet.
        let done_lately = lately(self.s.changed_at);
        starts_yes
            && short
            && related
            && done_lately
            && !refused_last
            && !returns::names_a_problem(self, said)
            && said.entities.order_number.is_none()
            && said.entities.product.is_none()
            && !said.has(Cue::OtherOrder)
    }

    /// "Oh wait, the number's 1240 not 1420" at a new address's read-back: a correction
    /// of its house number, however unsurely it was classified.
    pub(crate) fn corrects_the_house_number(&self, said: &Said<'_>) -> bool {
        let Some(task) = self.task.as_ref() else {
            return false;
        };
        let Request::ChangeAddress(address) = &task.req else {
            return false;
        };
        let named = self.phrases().any("field_house_number", &said.words);
        self.ask == Ask::YesNo(YesNo::Proceed)
            && said.address.is_none()
            && address
                .line1
                .as_deref()
                .and_then(|line| crate::request::house_number_corrected(&said.words, line, named))
                .is_some()
    }

    /// A correction said at the read-back of the current request: a new value for
    /// something read back replaces it ("no, make it the evening", "the zip is 78703"),
    /// and a part named as wrong with no new value ("the city's wrong") is asked again.
    /// Returns whether anything changed.
    pub(crate) fn amend(&mut self, said: &Said<'_>) -> bool {
        fn replace<T: PartialEq + Clone>(slot: &mut Option<T>, new: &Option<T>) -> bool {
            match (slot.as_ref(), new) {
                (Some(old), Some(v)) if old != v => {
                    *slot = Some(v.clone());
                    true
                }
                _ => false,
            }
        }
        let ent = &said.entities;
        let yes = self.yes_no(said) == Some(true);
        let named = |list: &str| !yes && self.phrases().any(list, &said.words);
        let (zip_named, city_named, street_named, day_named, time_named) = (
            named("field_zip"),
            named("field_city"),
            named("field_street"),
            named("field_day"),
            named("field_time"),
        );
        let (pickup_named, label_named) = (said.has(Cue::Pickup), said.has(Cue::Label));
        let house_named = self.phrases().any("field_house_number", &said.words);
        let heard_street = self
            .task
            .as_ref()
            .filter(|t| t.goal() == Goal::ChangeAddress)
            .and_then(|_| said.address.clone());
        let (heard_city, heard_city_state) = (said.city.clone(), said.city_state.clone());
        let Some(task) = self.task.as_mut() else {
            return false;
        };
        let mut changed = false;
        match &mut task.req {
            Request::ChangeAddress(address) => {
                // "No, it's 2210 Lake Shore Drive": a street said again replaces the
                // street (and the city or zip said with it).
                let street_said = heard_street.is_some();
                if let Some(heard) = heard_street {
                    let before = (
                        address.line1.clone(),
                        address.city.clone(),
                        address.zip.clone(),
                    );
                    // A street said again is a new address, not a patch on the old one:
                    // what was not said with it is asked again, never kept from before.
                    // The one exception is the same street with another house number
                    // ("no, it's 54 Oak Street, not 45"): a correction of the number,
                    // which keeps the unit, city and zip heard with it.
                    let street_only = heard.city.is_none() && heard.zip.is_none();
                    let renumbered = address
                        .line1
                        .as_deref()
                        .filter(|_| street_only)
                        .and_then(|old| crate::request::renumbered(old, &heard.street));
                    // The street as it now stands, said again to be sure of it ("no,
                    // it's 1240 Harrison Boulevard"): kept whole, and read back again.
                    let said_again = street_only
                        && address
                            .line1
                            .as_deref()
                            .is_some_and(|l| l.eq_ignore_ascii_case(&heard.street));
                    match renumbered {
                        Some(line1) => address.line1 = Some(line1),
                        None if said_again => changed = true,
                        None => {
                            *address = AddressDraft::default();
                            crate::request::merge_address(address, &heard);
                        }
                    }
                    changed |= before
                        != (
                            address.line1.clone(),
                            address.city.clone(),
                            address.zip.clone(),
                        );
                }
                // "Yes, and it's apartment 2": a unit said at the read-back is added to
                // the street line and read back again, never left out of what is stored.
                let mut unit_added = false;
                if !street_said {
                    if let (Some(line), Some(unit)) =
                        (address.line1.as_mut(), unit_said(&said.words))
                    {
                        if !line.to_lowercase().contains(&unit.to_lowercase()) {
                            *line = with_unit(line, &unit);
                            changed = true;
                        }
                        unit_added = true;
                    }
                }
                // "Oh wait, the number's 1240 not 1420": the house number alone, which
                // names the street line without clearing it.
                let mut renumbered_house = false;
                if !street_said {
                    changed |= replace(&mut address.zip, &ent.zip_code);
                    let corrected = address.line1.as_deref().and_then(|line| {
                        crate::request::house_number_corrected(&said.words, line, house_named)
                    });
                    if let Some(line1) = corrected {
                        address.line1 = Some(line1);
                        changed = true;
                        renumbered_house = true;
                    }
                }
                // "Cambridge, Massachusetts 02139" at the read-back: another city
                // replaces the city; the same one said again is read back again.
                if let (false, Some(city)) = (street_said, heard_city) {
                    let same = address
                        .city
                        .as_deref()
                        .is_some_and(|old| old.eq_ignore_ascii_case(&city));
                    if !same {
                        address.city = Some(city);
                        address.state = heard_city_state;
                    }
                    changed = true;
                } else if city_named {
                    address.state = None;
                }
                // "The city's wrong": a part named with no new value is asked again. A
                // street said again ("it's 24 Brattle Street") names the street as it
                // gives it: nothing more to clear.
                for (named, part) in [
                    (zip_named && !changed, &mut address.zip),
                    (city_named && !street_said, &mut address.city),
                    (
                        street_named && !street_said && !renumbered_house && !unit_added,
                        &mut address.line1,
                    ),
                ] {
                    if named && part.is_some() {
                        *part = None;
                        changed = true;
                    }
                }
            }
            Request::Reschedule(when) => {
                let new_date = replace(&mut when.date, &ent.date);
                let mut new_slot = replace(&mut when.slot, &ent.time_slot);
                if when.any_slot && ent.time_slot.is_some() {
                    // "Actually, make it the evening" after "any time".
                    when.slot = ent.time_slot;
                    when.any_slot = false;
                    new_slot = true;
                }
                if day_named && !new_date && ent.date.is_none() {
                    when.date = None;
                }
                if time_named && !new_slot && ent.time_slot.is_none() {
                    when.slot = None;
                    when.any_slot = false;
                }
                changed = new_date
                    || new_slot
                    || when.date.is_none()
                    || (when.slot.is_none() && !when.any_slot);
            }
            Request::Cancel(c) => changed |= replace(&mut c.cancel_reason, &ent.cancel_reason),
            Request::Return(a) => {
                changed |= replace(&mut a.refund_method, &ent.refund_method);
                changed |= replace(&mut a.return_reason, &ent.return_reason);
                changed |= amend_pickup(a, ent, pickup_named, label_named);
                // "No, just one pair, not two": fewer of the one line read back.
                if let (Some(q), [(_, qty)]) = (ent.quantity, a.lines.as_mut_slice()) {
                    if q >= 1 && q < *qty {
                        *qty = q;
                        changed = true;
                    }
                }
            }
            Request::Exchange(a) => {
                changed |= replace(&mut a.return_reason, &ent.return_reason);
                // "Yes, and can the courier pick the old one up?": the read-back again,
                // by pickup.
                changed |= amend_pickup(a, ent, pickup_named, label_named);
            }
            Request::Problem(a) => {
                changed |= replace(&mut a.refund_method, &ent.refund_method);
                changed |= replace(&mut a.return_reason, &ent.return_reason);
            }
            // "Yeah, until next month" at "to confirm, pause it?": the pause gets its end,
            // and the read-back is said again with it.
            Request::Subscription(sub)
                if sub.sub_action == Some(SubAction::Pause)
                    && commerce::bounds_a_pause(&said.words, ent.date) =>
            {
                task.words.extend(said.words.iter().cloned());
                task.heard.date = ent.date.or(task.heard.date);
                changed = true;
            }
            Request::Subscription(sub) => {
                changed |= replace(&mut sub.frequency, &ent.frequency_days);
                if matches!(
                    sub.sub_action,
                    Some(SubAction::Create | SubAction::ChangeQuantity)
                ) {
                    changed |= replace(&mut sub.quantity, &ent.quantity);
                }
            }
            _ => {}
        }
        changed
    }

    /// Acts on a yes or no to a question of the current request.
    pub(crate) fn decide(&mut self, q: YesNo, yes: bool, facts: &dyn Facts) {
        match q {
            YesNo::UseKnownOrder => identity::decide(self, yes, facts),
            YesNo::TrackingLink => orders::send_tracking(self, yes),
            YesNo::ConfirmPending => {
                if yes {
                    if let Some(task) = self.task.as_mut() {
                        task.become_goal(Goal::Confirm);
                        // "Shall I confirm it now?" named the order, its total and its
                        // day: a yes to it is the confirmation, not a cue to read the
                        // order out and ask again.
                        task.confirmed = true;
                    }
                    orders::confirm(self, facts);
                } else {
                    self.say(p!("confirm_left_pending"), &[]);
                    self.complete();
                }
            }
            YesNo::StartCancel => {
                if yes {
                    if let Some(task) = self.task.as_mut() {
                        // Cancelled instead of a size or colour swap: the wrong one was
                        // ordered, which the caller has already said.
                        let swap = task.goal() == Goal::Exchange;
                        task.become_goal(Goal::Cancel);
                        if swap {
                            task.cancel()
                                .cancel_reason
                                .get_or_insert(voxorder_domain::vocab::CancelReason::WrongItem);
                        }
                    }
                    self.advance(facts);
                } else {
                    if self
                        .task
                        .as_ref()
                        .is_some_and(|t| t.goal() == Goal::Exchange)
                    {
                        self.say(p!("exchange_after_arrival"), &[]);
                    }
                    self.complete();
                }
            }
            YesNo::StartReturn => {
                if yes {
                    if let Some(task) = self.task.as_mut() {
                        task.become_goal(Goal::Return);
                    }
                    self.advance(facts);
                } else {
                    self.complete();
                }
            }
            YesNo::CallBack => orders::decide_callback(self, yes),
            YesNo::CancelWholeOrder => orders::decide_whole_order(self, yes, facts),
            YesNo::SentOtherVariant => returns::decide_sent_wrong(self, yes, facts),
            YesNo::PaymentLink => orders::send_payment_link(self, yes, facts),
            YesNo::Exception => {
                if yes {
                    self.hand_off(HandOffReason::Exception);
                } else {
                    returns::decline_exception(self, facts);
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

/// A unit of a building said in words ("apartment 2", "flat 3b", "unit twelve"), as it
/// is written in an address line ("Apartment 2").
fn unit_said(words: &[String]) -> Option<String> {
    // "Apartment 14, not apartment 4": the unit said last, unless it is the one taken
    // back.
    let k = (0..words.len())
        .rev()
        .filter(|&k| is_unit_word(&words[k]))
        .find(|&k| k == 0 || words[k - 1] != "not")?;
    let id = words.get(k + 1)?;
    let id = match voxorder_domain::speech_text::digit_word(id) {
        Some(d) => d.to_string(),
        None if id.chars().all(|c| c.is_ascii_alphanumeric()) && id.len() <= 5 => id.to_uppercase(),
        None => return None,
    };
    let kind = match words[k].as_str() {
        "apt" | "apartment" => "Apartment",
        "unit" => "Unit",
        "flat" => "Flat",
        _ => "Suite",
    };
    Some(format!("{kind} {id}"))
}

/// A word that names a unit of a building ("apartment", "flat").
fn is_unit_word(w: &str) -> bool {
    matches!(w, "apartment" | "apt" | "unit" | "flat" | "suite")
}

/// The street line with this unit: a unit already on the line ("Apartment 4") is
/// replaced by it ("oh sorry, it's apartment 14 not 4"), otherwise it is added.
fn with_unit(line: &str, unit: &str) -> String {
    let mut parts: Vec<&str> = line.split_whitespace().collect();
    let at = parts.iter().position(|w| {
        let w = w.trim_end_matches([',', '.']).to_lowercase();
        w == "#" || is_unit_word(&w)
    });
    match at {
        Some(k) => {
            let end = (k + 2).min(parts.len());
            parts.splice(k..end, [unit]);
            parts.join(" ")
        }
        None => format!("{line} {unit}"),
    }
}

/// Whether an utterance of this intent and these values asks for something besides a
/// yes or a no: a request, a policy question or an order number.
pub(crate) fn requests_something(intent: Intent, entities: &Entities) -> bool {
    Goal::from_intent(intent).is_some()
        || intent == Intent::PolicyQuestion
        || entities.order_number.is_some()
}

/// "Could a courier pick it up instead, Thursday?" or "actually I'll take the label" at
/// the read-back of a return: the way it goes back changes, with the pickup's date and
/// slot when said.
pub(crate) fn amend_pickup(
    task: &mut AfterSale,
    ent: &Entities,
    pickup_named: bool,
    label_named: bool,
) -> bool {
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

//! Routing: the events of a call (start, silence, failed write), which request an
//! utterance starts or interrupts, requests taken in turn, and how a request ends
//! (done, dropped, withdrawn, handed to a person, goodbye).

use voxorder_domain::change::{Change, HandOffReason, Resolution};
use voxorder_domain::interpretation::{Cue, Interpretation};
use voxorder_domain::order::{Order, OrderStatus, PaymentMethod};
use voxorder_domain::product_words as pw;
use voxorder_domain::records::NoticeScope;
use voxorder_domain::speech_text as st;
use voxorder_domain::vocab::{Entities, Intent};

use crate::facts::{Facts, FactsError, PolicyAnswer};
use crate::goals::{commerce, orders, returns};
use crate::identity;
use crate::request::{Goal, Request, SubAction, Task};
use crate::session::{Answer, Ask, Said, YesNo};
use crate::speak::first_name;
use crate::{p, Engine};

/// How many words before a request for a person can negate it ("I don't need to speak
/// to someone").
const NEGATION_REACH: usize = 3;

/// The share of the best passage's score a follow-up's answer from the section just given
/// needs, to be preferred to it.
const FOLLOW_UP_SHARE: f32 = 0.9;

/// The question a return asked before buying is answered with: the return rules in
/// short.
const RETURN_RULES_QUESTION: &str = "what is your return policy";

/// The share a classifier gives a policy question, as its runner-up to "none of these",
/// for the documents to be asked at the opening of a call.
const POLICY_LEANING: f32 = 0.2;

/// Whether the classifier leaned to a policy question among its runners-up.
fn leans_to_policy(said: &Said<'_>) -> bool {
    said.alternatives
        .iter()
        .any(|a| a.intent == Intent::PolicyQuestion && a.confidence >= POLICY_LEANING)
}

impl Engine {
    /// Says where the order of the current request stands (a goal that finds the
    /// order is not ready for it answers with its status).
    pub(crate) fn tell_status(&mut self, facts: &dyn Facts) {
        orders::status(self, facts);
    }

    pub(crate) fn start(&mut self, confirm_order: Option<String>, facts: &dyn Facts) {
        if let Some(number) = confirm_order {
            match facts.order(&number) {
                Ok(Some(order)) => {
                    // Not verified yet: whoever answers has to say they are the customer
                    // before anything of the order is said or done (`confirm_who`).
                    self.s.called_about = Some(number.clone());
                    self.s.primary = Some(Intent::ConfirmOrder);
                    let mut task =
                        Task::new(Goal::Confirm, Vec::new(), Vec::new(), Entities::default());
                    task.order = Some(number);
                    task.confirmation().outbound = true;
                    self.task = Some(task);
                    self.say(
                        p!("outbound_greeting"),
                        &[("store", self.config.store.name.clone())],
                    );
                    self.s.callee = Some(first_name(&order.customer.name));
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

    pub(crate) fn timeout(&mut self) {
        self.s.timeouts += 1;
        if self.s.timeouts > self.config.dialog.max_timeouts {
            self.say(p!("timeout_goodbye"), &[]);
            self.s.ended = true;
            return;
        }
        self.say(p!("timeout"), &[]);
        self.ask_again();
    }

    pub(crate) fn apply_failed(&mut self) {
        self.task = None;
        self.say(p!("write_failed"), &[]);
        self.offer_human(HandOffReason::SystemError);
    }

    /// Asks whether the caller wants a person, remembering why.
    pub(crate) fn offer_human(&mut self, reason: HandOffReason) {
        self.s.offer_reason = Some(reason);
        self.ask = Ask::YesNo(YesNo::OfferHuman);
        // The offer was part of the sentence just said; said again, it stands alone.
        self.ask_key = Some((p!("offer_human_again"), Vec::new()));
    }

    pub(crate) fn store_trouble(&mut self, e: &FactsError) {
        // Store errors quote the values they were asked about.
        tracing::error!(
            error = %voxorder_domain::pii::Redacted(e),
            "store read failed during the dialog"
        );
        self.task = None;
        self.say(p!("store_trouble"), &[]);
        self.offer_human(HandOffReason::SystemError);
    }

    pub(crate) fn keypad_entities(&self, digits: &str) -> Entities {
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

    /// "Do you need my bank details now?", "how will you know my bank account?": bank
    /// details are never taken by voice, and how they are given is said, whatever else
    /// the line says. True when the line asked only that: the pending question is
    /// asked again (or "anything else?") and nothing more is done with it.
    fn bank_details_asked(&mut self, said: &Said<'_>) -> bool {
        if !self.phrases().any("asks_bank_details", &said.words) {
            return false;
        }
        self.say(p!("bank_details_by_link"), &[]);
        let only_that = matches!(
            said.intent,
            Intent::PolicyQuestion | Intent::CheckReturnStatus | Intent::Fallback
        ) && said.entities.is_empty();
        if !only_that {
            return false;
        }
        if self.ask == Ask::Nothing || self.ask == Ask::YesNo(YesNo::AnythingElse) {
            self.anything_else();
        } else {
            self.say_pending_question(false);
        }
        true
    }

    pub(crate) fn utterance(&mut self, said: &Said<'_>, facts: &dyn Facts) {
        self.s.turns += 1;
        self.s.timeouts = 0;
        if !said.text.trim().is_empty() {
            let line: String = voxorder_domain::pii::mask_text(said.text.trim())
                .chars()
                .take(MAX_SUMMARY_LINE)
                .collect();
            self.s.last_lines.push(line);
            let extra = self.s.last_lines.len().saturating_sub(SUMMARY_LINES);
            self.s.last_lines.drain(..extra);
        }
        // "Oh wait, I didn't mean that, can you put it back how it was?" just after a
        // change: a change made is never undone by voice (it may already be with the
        // shop, and undoing is a change of its own); the team can put it back.
        if self.takes_back_the_change_just_made(said) {
            self.not_by_voice(p!("change_not_undone"));
            return;
        }
        // "Put the refund on my new card instead, 4111…": where a card refund goes is
        // never changed by voice, which is said (not the refund's state again), and
        // the team offered for the rest.
        if self.redirects_a_refund_to_another_card(said) {
            self.not_by_voice(p!("refund_card_not_changed"));
            return;
        }
        // "Actually can you make that a bank transfer instead?" once a return was opened
        // in this call, heard as a question of the rules: that return's refund.
        if self.task.is_none()
            && self.s.last_goal.is_some_and(|g| g.after_sales())
            && said.entities.refund_method.is_some()
            && said.address.is_none()
            && self.phrases().any("changes_refund_way", &said.words)
            && Goal::from_intent(said.intent).is_none()
        {
            self.start_goal(Goal::ReturnStatus, said, facts);
            return;
        }
        if !said.keypad && self.phrases().any("item_gone", &said.words) {
            self.s.item_gone = true;
        }
        // "I never ordered that!", "how did someone order on my account?": whatever is
        // done about the order, a person looks into the account afterwards.
        if !said.keypad && self.phrases().any("order_not_placed", &said.words) {
            self.s.order_disputed = true;
        }
        // "Is it safe to keep using a charger that smells of burning?": whatever else is
        // asked, the caller first hears to stop using it, once in the call.
        if !self.s.safety_told && self.phrases().any("safety_hazard", &said.words) {
            self.s.safety_told = true;
            self.say(p!("safety_stop_using"), &[]);
        }
        // "Mastercard's fine. How long does the refund take?" at a question: the answer
        // is taken below, and the question after it is answered first, not dropped.
        self.answer_the_question_after_an_answer(said, facts);
        // "Check the status" to "do you want to check your order status or return an
        // item?": the request chosen, taken up with what the first line said (the phone
        // number, the product), which the short answer does not repeat.
        let first = self.clarified_line(said);
        let chosen;
        let said = match &first {
            Some(first) => {
                chosen = Said {
                    heard: first,
                    intent: first.intent,
                    confidence: first.confidence,
                    keypad: false,
                };
                &chosen
            }
            None => said,
        };
        if said.text.trim().is_empty() {
            self.say(p!("heard_nothing"), &[]);
            self.ask_again();
            return;
        }
        // Who is speaking was noted for every part of the breath when it was heard
        // (`Engine::handle`).
        // "Actually wait, can I just cancel one pair instead of both?" said at the proof
        // or the reason question: part of the order's line is wanted, as if said first.
        let part_wanted = {
            let ph = self.phrases();
            ph.any("one_of_them", &said.words)
                || ph.any("just_one", &said.words)
                || said.entities.quantity.is_some()
                    && said
                        .words
                        .iter()
                        .any(|w| matches!(w.as_str(), "just" | "only" | "instead"))
        };
        if part_wanted {
            if let Some(task) = self.task.as_mut() {
                if task.goal() == Goal::Cancel && !task.cancel().whole_order_agreed {
                    task.words.extend(said.words.iter().cloned());
                    if let Some(q) = said.entities.quantity {
                        task.heard.quantity = Some(q);
                        if task.heard.product.is_none() {
                            task.heard.product.clone_from(&said.entities.product);
                        }
                    }
                }
            }
        }
        // "Wait, don't cancel it all, can I just take the belt off?" at the read-back of
        // the whole order's cancellation: what can be done instead, and no read-back.
        if orders::narrower_than_the_read_back(self, said, facts) {
            self.step.answered = true;
            return;
        }
        if self.speaks_for_another(&said.words) {
            // "I'm her son, she asked me to sort it", said in the middle of a change: the
            // change stops here, whatever question it was at.
            let goal = self.task.as_ref().map(|t| t.goal());
            if goal.is_some_and(|g| self.change_refused_for_another(g, facts)) {
                self.refuse_for_another(p!("change_for_someone_else"), said, facts);
                self.end_task();
                self.anything_else();
                return;
            }
        }
        // "It's 512 555 0199", said when a missing item waits for the email or phone:
        // checked, and the report goes on or goes to the team.
        if identity::step_up(self, said, facts) {
            self.step.answered = true;
            return;
        }
        identity::strengthen(self, said, facts);
        // "omar.haddad@example.net", given after hearing the street or the tracking number
        // needs it: that, and the question that was waiting asked again.
        if orders::read_withheld(self, facts) {
            self.ask_again();
            return;
        }
        if self.bank_details_asked(said) {
            return;
        }
        // "A parcel for a Vera Rossi was delivered to my house by mistake": the finder is
        // no customer of that order; nothing of it is checked or told, and the team
        // arranges its collection.
        if self.s.called_about.is_none()
            && self
                .phrases()
                .any("delivered_to_me_by_mistake", &said.words)
        {
            self.note_primary(said.intent);
            self.task = None;
            self.s.heard_order = None;
            self.hand_off_saying(HandOffReason::Exception, p!("handoff_found_parcel"), &[]);
            return;
        }
        // "I want the next-day shipping charge refunded, it's ten days late": not a price
        // to be told nor a return; the team decides on a shipping refund.
        let open_question = matches!(
            self.ask,
            Ask::Nothing
                | Ask::YesNo(YesNo::AnythingElse | YesNo::OfferHuman | YesNo::TrackingLink)
        );
        if open_question && self.phrases().any("shipping_fee_refund", &said.words) {
            self.note_primary(said.intent);
            self.task = None;
            self.say(p!("shipping_refund_team"), &[]);
            self.offer_human(HandOffReason::Exception);
            return;
        }
        // "There's no Oscar here, you've got the wrong number" on the shop's own call:
        // noted for the team, and the call ends; no call back to a stranger's number.
        let who_asked = matches!(self.ask, Ask::ConfirmWho | Ask::YesNo(YesNo::CallBack));
        if who_asked && self.phrases().any("wrong_number", &said.words) {
            // Whoever answered was never the customer: nothing of the call is verified.
            orders::answered_by_someone_else(self);
            self.hand_off(HandOffReason::WrongNumber);
            return;
        }
        // "Well actually I'm her roommate" after the "yes" that answered who it was: the
        // shop's call is with someone else, whatever was asked since.
        let on_the_call = self.s.called_about.is_some()
            && self
                .s
                .called_about
                .as_ref()
                .is_some_and(|n| self.s.verified.contains(n));
        if on_the_call && self.ask != Ask::ConfirmWho && orders::says_not_them(self, said) {
            self.step.answered = true;
            orders::not_them(self, said);
            return;
        }
        // "Well, it's not damaged, ok then" after a refusal "unless it's damaged": a
        // defect denied is no problem to report, whatever the classifier made of the
        // word "damaged".
        if said.intent == Intent::ReportProblem
            && said.entities.return_reason.is_none()
            && self.phrases().any("not_defective", &said.words)
        {
            self.s.fallbacks = 0;
            self.ask = Ask::Nothing;
            if self.task.is_some() {
                self.end_task();
            }
            self.step.answered = true;
            self.say(p!("how_else"), &[]);
            return;
        }
        // Requests that take precedence over any question.
        if said.has(Cue::CardNumber) {
            self.refuse_card(facts);
            self.ask_again();
            return;
        }
        // "What email address is on the account? Read it to me": an account's email and
        // phone are never read out (saying them is how a caller proves an order), which
        // is said plainly rather than answering something else.
        let ph = self.phrases();
        if ph.any("asks_contact_details", &said.words)
            && !ph.any("asks_what_to_give", &said.words)
            && said.entities.email.is_none()
            && said.entities.phone_number.is_none()
        {
            self.step.answered = true;
            self.say(p!("contact_details_refused"), &[]);
            self.ask_again();
            return;
        }
        // "Can a courier pick it up instead of me posting it?" during a return or just
        // after one: how it goes back, never the delivery's tracking.
        if returns::how_it_goes_back(self, said, facts) {
            self.step.answered = true;
            self.s.fallbacks = 0;
            return;
        }
        // "Why is it late?", "what time today?", "read me the tracking number again", "I
        // didn't cancel it": answered about the order just discussed, at no question or a
        // yes/no one, then the question still pending.
        let offered_person = matches!(self.ask, Ask::YesNo(YesNo::OfferHuman));
        // "Why is it late though?" when the team is offered for a late order: the
        // carrier's latest word, then the offer again, not the same paragraph.
        if offered_person
            && said.entities.order_number.is_none()
            && self.phrases().any("why_late", &said.words)
            && orders::why_late(self, facts)
        {
            self.s.fallbacks = 0;
            self.say_pending_question(true);
            return;
        }
        if matches!(self.ask, Ask::Nothing | Ask::YesNo(_))
            && !offered_person
            && said.entities.order_number.is_none()
        {
            let pending = !matches!(self.ask, Ask::Nothing | Ask::YesNo(YesNo::AnythingElse));
            if orders::follow_up(self, said, facts) {
                self.s.fallbacks = 0;
                if matches!(self.ask, Ask::YesNo(YesNo::OfferHuman)) {
                    return;
                }
                if pending {
                    self.say_pending_question(false);
                } else {
                    self.s.completed += 1;
                    self.anything_else();
                }
                return;
            }
        }
        let open = matches!(self.ask, Ask::Nothing | Ask::YesNo(YesNo::AnythingElse));
        // "Can you track my Amazon package?": another shop's order, said plainly.
        // "It's cheaper on Amazon, do you price match?" asks this shop's policy.
        let our_policy = said.intent == Intent::PolicyQuestion
            && facts
                .policy_answer(&said.text)
                .is_some_and(|a| a.names_its_section);
        // "It's cheaper on Amazon, do you price match?": price matching is this shop's
        // rule about other shops, however the request was classified.
        let price_match = self.phrases().any("price_match", &said.words);
        if open && !said.keypad && price_match && self.phrases().any("other_shops", &said.words) {
            // The story around the question ("I bought a hoodie last week and now…")
            // must not hide the rule: the rule is looked up in the documents' words.
            if let Some(answer) = facts
                .policy_answer(&said.text)
                .or_else(|| facts.policy_answer(PRICE_MATCH_QUESTION))
            {
                self.s.fallbacks = 0;
                self.note_primary(Intent::PolicyQuestion);
                self.say_policy_passage(&answer.text);
                return;
            }
        }
        if open && !said.keypad && !our_policy && self.phrases().any("other_shops", &said.words) {
            let store = self.config.store.name.clone();
            self.say(p!("other_shop"), &[("store", store)]);
            self.s.completed += 1;
            self.anything_else();
            return;
        }
        // "Could you ring me back this evening?" on a call the customer made: no call
        // back is booked from here, and the caller is told what can be done.
        // "I'm calling for my wife, she's in a meeting" explains; only asking to be
        // called back ("ring me back") asks for one.
        if open
            && self.s.called_about.is_none()
            && said.has(Cue::CallBack)
            && self.phrases().any("asks_call_back", &said.words)
        {
            self.say(p!("no_callback_inbound"), &[]);
            self.s.completed += 1;
            self.anything_else();
            return;
        }
        // "Can you email me a receipt?": not something done by voice, said plainly.
        // "Can he return it without the receipt?" asks the returns policy.
        if !said.keypad
            && self.phrases().any("asks_receipt", &said.words)
            && !self.phrases().any("without_receipt", &said.words)
        {
            self.say(p!("receipt_unsupported"), &[]);
            self.s.completed += 1;
            self.anything_else();
            return;
        }
        // "Someone used my card": fraud is for a person, whatever else is pending.
        if !said.keypad && self.phrases().any("card_fraud", &said.words) {
            self.note_primary(said.intent);
            self.hand_off(HandOffReason::Disputed);
            return;
        }
        // "It's ever so late and I'm getting rather fed up": the request said with the
        // complaint is served first, with an apology; a person is for a caller who asks
        // for one, complains to make a complaint, or complains again.
        let complains = !said.keypad && said.has(Cue::Complaint);
        // "That's ridiculous. Fine, forget it": the caller gives the request up; that is
        // what is done, with an apology, not a hand-off nobody asked for.
        let withdraws = said.has(Cue::Withdraw);
        let served_first = complains && !self.s.complained && {
            let ph = self.phrases();
            let serves_it = Goal::from_intent(said.intent).is_some()
                || said.entities.order_number.is_some()
                || ph.any("status_question", &said.words)
                || returns::names_a_problem(self, said)
                || withdraws;
            // "This is ridiculous. The speaker came cracked": however strong the words,
            // a clear request said with them is served first; a person is for a caller
            // who asks for one, or complains with nothing to serve.
            let clear_request = Goal::from_intent(said.intent).is_some()
                && said.confidence >= self.config.dialog.switch_confidence;
            // "…Just cancel the whole thing. 8467…": the anger blurs the request, but an
            // order named with a likeliest request is one to serve (asked which, if
            // unsure), not a hand-off.
            let request_with_order = said.entities.order_number.is_some()
                && said
                    .alternatives
                    .first()
                    .is_some_and(|a| Goal::from_intent(a.intent).is_some() && a.confidence >= 0.5);
            let clear_request = clear_request || request_with_order;
            let wants_person = said.intent == Intent::SpeakToAgent
                || ph.any("ask_person", &said.words)
                || ph.any("makes_a_complaint", &said.words)
                || (ph.any("strong_complaint", &said.words) && !withdraws && !clear_request);
            serves_it && !wants_person
        };
        if served_first {
            self.s.complained = true;
            let key = if withdraws {
                p!("complaint_sorry_given_up")
            } else {
                p!("complaint_sorry")
            };
            self.say(key, &[]);
        } else if complains {
            self.note_primary(said.intent);
            if self.s.heard_order.is_none() {
                self.s.heard_order = said.entities.order_number.clone();
            }
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
        // "Anything else?" is no question a person asked for answers: "agent please"
        // there, heard surely, is the request.
        let nothing_pending = self.ask == Ask::Nothing
            || (self.ask == Ask::YesNo(YesNo::AnythingElse)
                && said.confidence >= self.config.dialog.switch_confidence);
        if said.intent == Intent::SpeakToAgent && nothing_pending && !unsure_with_order {
            self.note_primary(said.intent);
            self.hand_off(HandOffReason::Requested);
            return;
        }
        // "Actually I'm her husband" after a yes to "am I speaking with Ravi?": whoever
        // says so is not the customer, at any point of the call; nothing more is said
        // or done about the order.
        let outbound = self.s.called_about.is_some()
            && self
                .task
                .as_ref()
                .is_some_and(|t| t.goal() == Goal::Confirm);
        if outbound && said.has(Cue::NotThem) && self.ask != Ask::YesNo(YesNo::CallBack) {
            self.answer(&Ask::ConfirmWho, said, facts);
            return;
        }
        // "Can I speak to someone?" in words the classifier took for something else, at
        // any point: honoured, unless it answers "shall I connect you?".
        if !said.keypad && self.asks_for_a_person(said) && self.ask != Ask::YesNo(YesNo::OfferHuman)
        {
            self.note_primary(Intent::SpeakToAgent);
            self.hand_off(HandOffReason::Requested);
            return;
        }
        // "Hang on, let me find it": the question stays, and waiting is no miss.
        let ph = self.phrases();
        if ph.any("hold_on", &said.words)
            && ph
                .without_each(&["hold_on", "courtesy"], &said.words)
                .iter()
                .all(|w| {
                    matches!(
                        w.as_str(),
                        "i" | "i'll" | "i'm" | "just" | "please" | "sorry"
                    )
                })
        {
            self.step.answered = true;
            self.say(p!("hold_on"), &[]);
            return;
        }
        // "No. Bye." at any question: the caller is leaving.
        if said.has(Cue::Goodbye)
            && ph
                .without_each(
                    &["goodbye_words", "decline", "gratitude", "courtesy"],
                    &said.words,
                )
                .is_empty()
            && ph.any("goodbye_words", &said.words)
        {
            self.goodbye();
            return;
        }
        // Changing how an existing order is paid is not done here, whatever the
        // classifier made of it ("change the payment method on my order" is no address
        // change); a confirmation call offers its own way to pay.
        let confirming = self
            .task
            .as_ref()
            .is_some_and(|t| t.goal() == Goal::Confirm);
        // "Can I pay with a different card?" at the read-back of a new order: what it can
        // be paid with is said, and the order waits for the caller.
        let buying = commerce::purchasing(self)
            && matches!(self.ask, Ask::YesNo(YesNo::Proceed))
            && Goal::from_intent(said.intent)
                .is_none_or(|g| matches!(g, Goal::Place | Goal::Reorder));
        if buying && !said.keypad && ph.any("payment_change", &said.words) {
            self.say(p!("purchase_pay_choices"), &[]);
            self.ask(Ask::YesNo(YesNo::Proceed), p!("ask_place_order"), &[]);
            return;
        }
        // "Return the headphones and have the money go onto another card": where a
        // refund goes is the return's question, not how the order was paid.
        let about_a_refund = said.words.iter().any(|w| w == "refund" || w == "refunded")
            || (said.words.iter().any(|w| w == "money")
                && matches!(
                    said.intent,
                    Intent::ReturnItem | Intent::ReportProblem | Intent::CancelOrder
                ));
        if !confirming && !said.keypad && !about_a_refund && ph.any("payment_change", &said.words) {
            self.task = None;
            self.say(p!("payment_change_unsupported"), &[]);
            self.offer_human(HandOffReason::Requested);
            return;
        }
        // "Actually, just cancel it altogether" while a subscription is being changed:
        // the subscription is cancelled instead (read back first), not an order.
        let changing_subscription = self.task.as_ref().is_some_and(|t| {
            t.goal() == Goal::Subscription
                && !matches!(&t.req, Request::Subscription(r)
                    if r.sub_action == Some(SubAction::Cancel))
        });
        // "Yes, cancel it" answers a cancellation's read-back; it changes no action.
        let cancels_a_subscription = changing_subscription
            && self.yes_no(said) != Some(true)
            && said.intent == Intent::CancelOrder
            && said.entities.order_number.is_none()
            && !said.words.iter().any(|w| w == "order");
        // "…and cancel my dog food one" names another subscription: its own request.
        if cancels_a_subscription
            && commerce::names_another_subscription(self, said, facts)
            && commerce::switches_subscription_action(self, said, facts)
        {
            self.step.answered = true;
            return;
        }
        if cancels_a_subscription {
            let task = self.task();
            task.subscription().sub_action = Some(SubAction::Cancel);
            task.confirmed = false;
            self.ask = Ask::Nothing;
            self.step.answered = true;
            self.advance(facts);
            return;
        }
        // "Forget it, I'll just wait": the request in progress is withdrawn, whatever
        // was being asked; a goodbye said with it ends the call.
        // A request said with it ("forget it, cancel my order") is that request; a
        // bare "never mind" is a withdrawal whatever the classifier guessed.
        let no_other_request = Goal::from_intent(said.intent).is_none()
            || said.words.len() <= 3
            || said.confidence < self.config.dialog.switch_confidence;
        // "I don't want to change the address. Stop." while a new one is asked for.
        let keeps_as_is = self
            .task
            .as_ref()
            .is_some_and(|t| matches!(t.goal(), Goal::ChangeAddress | Goal::Reschedule))
            && self.phrases().any("no_change", &said.words);
        let withdraws = said.has(Cue::Withdraw)
            && !(matches!(self.ask, Ask::YesNo(_)) && self.yes_after_but(said));
        if keeps_as_is || (self.task.is_some() && withdraws && no_other_request) {
            self.withdraw(said, facts);
            return;
        }
        // "Forget it, I'll order it on the website" with nothing in progress: the caller
        // is done; no answer is looked up for the words ("forget" is no password).
        if self.task.is_none()
            && matches!(self.ask, Ask::Nothing | Ask::YesNo(YesNo::AnythingElse))
            && said.has(Cue::Withdraw)
            && Goal::from_intent(said.intent).is_none()
            && said.intent != Intent::PolicyQuestion
            && said.entities.order_number.is_none()
        {
            self.goodbye();
            return;
        }
        // "That's not what I asked. Is the return shipping free?" just after a policy
        // answer mid-request: the answer missed, not the request; the question is looked
        // up again and the request goes on.
        let after_policy = self
            .s
            .last_policy
            .as_ref()
            .is_some_and(|(turn, _)| *turn + 1 == self.s.turns);
        if after_policy && self.task.is_some() && self.phrases().any("answer_missed", &said.words) {
            let asked = Said {
                intent: Intent::PolicyQuestion,
                confidence: 1.0,
                ..*said
            };
            if !self.side_question(&asked, facts) {
                self.say(p!("answer_missed"), &[]);
                self.say_pending_question(false);
            }
            return;
        }
        // "And the card link?" after the confirmation call's request: the link offered.
        if orders::send_offered_link(self, said, facts) {
            return;
        }
        // "What? I didn't say cancel. What's the status?": the request in progress was
        // never the caller's; it is dropped, and what they do ask is taken up.
        if self.task.is_some()
            && self.phrases().any("never_asked", &said.words)
            && !self.yes_after_but(said)
        {
            let was = self.task.as_ref().map(|t| t.goal());
            self.task = None;
            self.ask = Ask::Nothing;
            self.s.misses = 0;
            self.say(p!("not_asked_dropped"), &[]);
            let asked = if self.phrases().any("status_question", &said.words) {
                Some(Goal::Status)
            } else {
                Goal::from_intent(said.intent).filter(|g| Some(*g) != was)
            };
            match asked {
                Some(goal) => self.start_goal(goal, said, facts),
                None => self.anything_else(),
            }
            return;
        }
        let closing_question = matches!(
            self.ask,
            Ask::Nothing | Ask::YesNo(YesNo::AnythingElse | YesNo::OfferHuman | YesNo::NextOrder)
        );
        // "Forget it, I'll sort it out when it arrives. Bye" at "anything else?": a
        // goodbye with no new request in it ends the call.
        if closing_question
            && self.task.is_none()
            && said.has(Cue::Goodbye)
            && no_other_request
            && !self.names_something_of_ours(said)
        {
            self.goodbye();
            return;
        }
        // "Thank you", "cheers", "that's all" with nothing left to ask: the call ends.
        if closing_question
            && self.task.is_none()
            && self.only_courtesy(said, "thanks")
            && (self.phrases().any("thanks", &said.words) || said.has(Cue::Goodbye))
        {
            self.goodbye();
            return;
        }
        // "Don't cancel it, I'll keep it" at any step of a cancellation or a return: the
        // request is taken back, not answered. An item or a position named with it ("I'll
        // keep the second one") is part of the answer instead.
        if self.keeps_it(said) {
            self.withdraw(said, facts);
            return;
        }
        // Courtesy in the middle of a request: "thank you dear" while a question is open
        // is neither its answer nor a miss, and "no thanks" declines to go on, except
        // at a reason question, where it declines to give one.
        let open_question =
            !closing_question && !matches!(self.ask, Ask::YesNo(_) | Ask::ConfirmWho);
        if self.task.is_some() && open_question && self.phrases().any("gratitude", &said.words) {
            // "Thanks, that's all": leaving, not politeness before the answer.
            if self.phrases().any("finished", &said.words)
                && self
                    .phrases()
                    .without_each(&["finished", "gratitude", "courtesy"], &said.words)
                    .is_empty()
            {
                self.goodbye();
                return;
            }
            if self.only_courtesy(said, "gratitude") {
                self.step.answered = true;
                self.say(p!("welcome_back_to_question"), &[]);
                self.say_pending_question(false);
                return;
            }
            let ph = self.phrases();
            let declined = ph.any("decline", &said.words)
                && ph
                    .without_each(&["decline", "gratitude", "courtesy"], &said.words)
                    .is_empty();
            if declined && !matches!(self.ask, Ask::CancelReason | Ask::ReturnReason) {
                self.withdraw(said, facts);
                return;
            }
        }
        // "Hi" on its own is a greeting, not a request that was not understood; so is
        // "hello? is this the shop? sorry, I'm not good with these things", which asks
        // for nothing yet.
        let reaching_us = self.phrases().any("is_this_the_shop", &said.words)
            && said.intent == Intent::Fallback
            && !self.names_something_of_ours(said);
        if self.ask == Ask::Nothing
            && self.task.is_none()
            && (reaching_us
                || self.only_courtesy(said, "greeting")
                    && self.phrases().any("greeting", &said.words))
        {
            let store = self.config.store.name.clone();
            self.say(p!("greeting_reply"), &[("store", store)]);
            return;
        }
        // "Skip that one" after a subscription, and "speaking" at "am I speaking with
        // Ravi?" (who answered), are no requests for a repeat.
        // "Ok, can you put it through again then?" after a cancelled order: placed
        // again, not the last answer said again.
        if matches!(
            said.intent,
            Intent::Repeat | Intent::Fallback | Intent::Affirm
        ) && self.s.focus.is_some()
            && self.phrases().any("order_again", &said.words)
        {
            self.s.fallbacks = 0;
            self.ask = Ask::Nothing;
            self.start_goal(Goal::Reorder, said, facts);
            return;
        }
        let says_who = self.ask == Ask::ConfirmWho && self.phrases().any("its_me", &said.words);
        // "Can you text me the tracking link again please": the link asked for again is
        // sent again; said back, "done, I've texted it" would claim what was not done.
        let link_again = said.intent == Intent::Repeat
            && said.confidence < self.config.dialog.switch_confidence
            && self.phrases().any("asks_link_sent", &said.words);
        if link_again {
            self.s.fallbacks = 0;
            self.ask = Ask::Nothing;
            self.start_goal(Goal::Track, said, facts);
            return;
        }
        let not_a_repeat = says_who
            || commerce::changes_the_subscription_just_said(self, said)
            || self.corrects_the_house_number(said);
        match said.intent {
            // An unsure "repeat" that answers the question ("navy please" at which
            // colour) is the answer.
            Intent::Repeat
                if !not_a_repeat
                    && (self.ask == Ask::Nothing
                        || (said.confidence >= self.config.dialog.switch_confidence
                            && !self.gives_an_identity_fact(said)
                            && !self.gives_the_day_asked(said))
                        || !self.answers_the_question(said)) =>
            {
                self.repeat();
                return;
            }
            // "So what about 1 0 0 0 …?" names an order: not a request for the menu.
            // "What subscriptions do I have?" and "what did I buy?" ask about the
            // caller's own things, not for the menu.
            Intent::Help
                if said.entities.order_number.is_none()
                    && !self.answers_the_question(said)
                    && !self.phrases().any("subscription_list", &said.words)
                    && !self.phrases().any("asks_order_list", &said.words)
                    && !orders::asks_order_details(self, &said.words) =>
            {
                if !self.what_now_after_an_answer(said) {
                    self.help();
                }
                return;
            }
            // At an open question ("which one?"), only words of leaving end the call:
            // "all of them please" is an answer, whatever the classifier made of it.
            Intent::EndConversation
                if (closing_question
                    || self.yes_no(said).is_none()
                    || said.confidence >= self.config.dialog.switch_confidence)
                    && (matches!(self.ask, Ask::Nothing | Ask::YesNo(_))
                        || said.has(Cue::Goodbye)
                        // "Stop" alone at a list is no pick: the caller wants out.
                        || self.phrases().len_at("stop_alone", &said.words, 0)
                            == Some(said.words.len())
                        || self.phrases().any("thanks", &said.words))
                    && !self.answers_with_thanks(said)
                    // "Yes please text it. Thanks, bye!" at an offer: the yes is taken
                    // first, however sure the classifier is of the goodbye after it.
                    && !(matches!(self.ask, Ask::YesNo(q) if q != YesNo::AnythingElse)
                        && self.yes_no(said) == Some(true)) =>
            {
                self.goodbye();
                return;
            }
            _ => {}
        }

        // "Actually not this order, change the address on order 7475… to 12 Elm Street":
        // the request moves to the order named, which is checked before anything is done
        // to it, and never goes on with the order the caller just set aside.
        let current = self.task.as_ref().and_then(|t| t.order.clone());
        let other_order = said
            .entities
            .order_number
            .clone()
            .filter(|m| current.as_ref().is_some_and(|n| n != m));
        let identity_question = matches!(
            self.ask,
            Ask::OrderNumber | Ask::Factor | Ask::PickOrder(_) | Ask::YesNo(YesNo::UseKnownOrder)
        );
        if let (Some(number), false) = (other_order, identity_question) {
            self.step.answered = true;
            let task = self.task();
            task.order = None;
            task.reuse_offered = true;
            if let (Request::ChangeAddress(draft), Some(heard)) = (&mut task.req, &said.address) {
                crate::request::merge_address(draft, heard);
            }
            self.s.heard_order = Some(number);
            self.s.heard_factors = None;
            self.ask = Ask::Nothing;
            self.advance(facts);
            return;
        }
        // "…and send them to my office" while a new order is put together.
        commerce::note_elsewhere(self, said);
        // "Can I pay by card?", "yes, with express" at the read-back of an order about to
        // be placed: the order changes and is read back again.
        if self.ask == Ask::YesNo(YesNo::Proceed) {
            // "How much more for free shipping?" asks about shipping, never chooses it.
            if commerce::tells_free_shipping(self, said, facts)
                || commerce::takes_checkout_choice(self, said, facts)
            {
                self.step.answered = true;
                return;
            }
        } else {
            commerce::note_checkout_choices(self, said);
        }
        // "No label, I'm keeping them, just the refund" in the middle of a return.
        let returning = self.task.as_ref().is_some_and(|t| t.goal() == Goal::Return);
        if returning && self.ask != Ask::Nothing {
            let reason = said
                .entities
                .return_reason
                .or_else(|| self.task().after_sale().return_reason);
            if returns::refuses_refund_kept(self, &said.words, reason, facts) {
                self.step.answered = true;
                if self.task.is_some() && !self.s.escalated {
                    self.say_pending_question(false);
                }
                return;
            }
        }
        if orders::tells_arrival_mid_request(self, said, facts) {
            self.step.answered = true;
            return;
        }
        if self.ask == Ask::YesNo(YesNo::ConfirmPending)
            && orders::tells_pending_arrival(self, said, facts)
        {
            self.step.answered = true;
            return;
        }
        // "What's in that order exactly?" at "shall I confirm it now?": the items, then the
        // question again; a confirmation is never asked of an order the caller cannot hear.
        if self.ask == Ask::YesNo(YesNo::ConfirmPending)
            && self.yes_no(said).is_none()
            && (self.phrases().any("order_read", &said.words)
                || orders::asks_order_details(self, &said.words))
        {
            let order = self.focus_order(facts);
            if let Some(order) = order {
                self.step.answered = true;
                orders::say_details(self, facts, &order);
                self.say(p!("confirm_now_again"), &[]);
                return;
            }
        }
        // "And the water bottle?" at "shall I text you the tracking link?": a product the
        // order in focus does not hold leaves the offer for the order that holds it.
        let offer = matches!(self.ask, Ask::YesNo(q) if q.is_offer());
        if let (true, Some(sku)) = (offer, said.entities.product.as_deref()) {
            let lacks = self
                .focus_order(facts)
                .is_some_and(|o| !identity::holds_product(&o, sku, facts));
            if lacks && self.yes_no(said).is_none() {
                self.step.answered = true;
                self.ask = Ask::Nothing;
                self.ask_key = None;
                if self.task.is_some() {
                    self.end_task();
                }
                let goal = Goal::from_intent(said.intent).unwrap_or(Goal::Status);
                self.start_goal(goal, said, facts);
                return;
            }
        }
        // "Is the label free by the way?" at "a label, or a courier?", "how long does
        // that take?" at the refund question: a question of the rules asked in the
        // middle of a request is answered, and the question asked again, short; it
        // neither answers nor chooses anything.
        if self.policy_aside(said, facts) {
            self.step.answered = true;
            self.s.misses = 0;
            self.s.fallbacks = 0;
            return;
        }
        if self.ask != Ask::Nothing {
            let ask = self.ask.clone();
            match self.answer(&ask, said, facts) {
                Answer::Filled => {
                    self.step.answered = true;
                    self.s.misses = 0;
                    self.s.fallbacks = 0;
                    self.ask = Ask::Nothing;
                    if matches!(
                        ask,
                        Ask::OrderNumber | Ask::Factor | Ask::Phone | Ask::PhoneFactor
                    ) {
                        commerce::take_purchase_details(self, said, facts);
                    }
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
                    } else if returns::refund_chosen_for_the_problem(self, said) {
                        self.step.answered = true;
                        self.s.misses = 0;
                        self.say(p!("refund_noted"), &[]);
                        self.advance(facts);
                    } else if self.restates_what_is_held(said, facts) {
                        // Before any switch: a product named alone reads as a new order.
                        self.step.answered = true;
                        self.say_held_already();
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

    /// "A replacement, cheers" at "replacement or refund?": an answer to the open
    /// question with thanks or a goodbye around it is the answer, not the end of the call.
    pub(crate) fn answers_with_thanks(&self, said: &Said<'_>) -> bool {
        use voxorder_domain::vocab::EntityKind as K;
        let e = &said.entities;
        let ph = self.phrases();
        match &self.ask {
            Ask::ProblemResolution => {
                ph.any("replacement", &said.words)
                    || ph.any("refund", &said.words)
                    || ph.any("wait_for_stock", &said.words)
            }
            Ask::RefundMethod => e.refund_method.is_some() || ph.any("card", &said.words),
            // "Lovely, cheers" to "shall I go ahead?": the yes, said with thanks.
            // "Text it please. Cheers, ta-ra" to "a label, or a courier?": the label.
            Ask::YesNo(YesNo::Proceed) => {
                (ph.any("approves", &said.words) && !said.has(Cue::No))
                    || self.takes_up(YesNo::Proceed, said) == Some(true)
            }
            // "Text me the link, thanks, bye" to the offer of the link: taken up.
            Ask::YesNo(q) => self.takes_up(*q, said) == Some(true),
            Ask::PickOrder(_) | Ask::ReturnItems => {
                !said.ordinals.is_empty() || e.product.is_some()
            }
            ask => match ask.expects() {
                Some(K::Date) => e.date.is_some(),
                Some(K::TimeSlot) => e.time_slot.is_some(),
                Some(K::Product) => e.product.is_some(),
                Some(K::Quantity) => e.quantity.is_some(),
                Some(K::ReturnReason) => e.return_reason.is_some(),
                Some(K::CancelReason) => e.cancel_reason.is_some(),
                Some(K::ZipCode | K::Email | K::PhoneNumber | K::OrderNumber) => {
                    self.gives_an_identity_fact(said)
                }
                _ => false,
            },
        }
    }

    /// "Do I pay the courier? How much?" about a verified cash-on-delivery order: what is
    /// due, from the order, never a policy passage about paying. False, saying nothing,
    /// when the words ask no amount or no such order is in focus.
    fn says_the_amount_due(&mut self, said: &Said<'_>, facts: &dyn Facts) -> bool {
        if said.entities.product.is_some() || !self.phrases().any("asks_amount_due", &said.words) {
            return false;
        }
        let due = self
            .focus_order(facts)
            .filter(|o| o.payment.method == PaymentMethod::Cod && o.status.is_still_to_come());
        let Some(order) = due else {
            return false;
        };
        self.s.fallbacks = 0;
        self.say(
            p!("amount_due_cod"),
            &[("total", st::price_cents(order.total.cents()))],
        );
        true
    }

    /// A policy question asked in the middle of a request ("before we go on, how long
    /// does the refund take?"): answered, then the pending question is asked again and
    /// the request goes on. False when it is not one or the documents have no answer.
    pub(crate) fn side_question(&mut self, said: &Said<'_>, facts: &dyn Facts) -> bool {
        // "And is it cash when he delivers it? How much will I need?" mid-request.
        if self.task.is_some() && self.says_the_amount_due(said, facts) {
            self.say(p!("back_to_question"), &[]);
            self.say_pending_question_short();
            return true;
        }
        // "Remind me what's in that order?", "what sizes were the hoodies?" while a day or
        // a yes is asked: answered from the order in focus, then the question again.
        if self.task.is_some()
            && self.asks_a_question(said)
            && orders::answers_about_the_order(self, said, facts)
        {
            self.say(p!("back_to_question"), &[]);
            self.say_pending_question_short();
            return true;
        }
        // "And if the skillet doesn't suit, can I send it back later?" of the order in
        // focus, not yet delivered: the window (or its final sale), then the question.
        if self.task.is_some() && returns::tells_return_later(self, said, facts) {
            self.say(p!("back_to_question"), &[]);
            self.say_pending_question_short();
            return true;
        }
        // Torn only between two questions ("how long does the refund take": the policy,
        // or this return's refund), it is still a question; the documents decide.
        let asked = said
            .alternatives
            .iter()
            .filter(|a| matches!(a.intent, Intent::PolicyQuestion | Intent::CheckReturnStatus))
            .map(|a| a.confidence)
            .sum::<f32>();
        // "There's no cancellation fee or anything, right?": a question the classifier
        // could not place but leaned to a policy one, asked as a question.
        let leaned =
            said.intent == Intent::Fallback && self.asks_a_question(said) && leans_to_policy(said);
        // "There's no charge for stopping it, is there?" at a read-back, unsurely heard
        // as a request: a question with no yes or no in it is asked of the rules.
        let unsure_at_read_back = matches!(self.ask, Ask::YesNo(YesNo::Proceed))
            && said.confidence < self.config.dialog.switch_confidence
            && self.asks_a_question(said)
            && self.yes_no(said).is_none();
        let clear = (said.intent == Intent::PolicyQuestion
            && (said.confidence.max(asked) >= self.config.dialog.aside_confidence
                || self.asks_a_question(said)))
            || leaned
            || unsure_at_read_back;
        // Asked in the middle of a request, the question is about that request ("no
        // charge for stopping it?" while a subscription is cancelled): its topic is
        // asked with it when the words do not name one.
        // (A return's questions name what they are about: "how long does the refund
        // take" is the refund's, not the return window's.)
        let topic = self
            .task
            .as_ref()
            .filter(|t| t.goal() == Goal::Subscription)
            .map(|_| "subscription");
        if !clear {
            return false;
        }
        let with_topic = topic
            .filter(|t| !said.words.iter().any(|w| w.starts_with(t)))
            .and_then(|t| facts.policy_answer(&format!("{} {t}", said.text)));
        let Some(answer) = with_topic.or_else(|| facts.policy_answer(&said.text)) else {
            return false;
        };
        self.s.last_policy = Some((self.s.turns, answer.text.clone()));
        self.s.last_section = Some(answer.section.clone());
        self.push_passage(&answer.text);
        self.say(p!("back_to_question"), &[]);
        self.say_pending_question_short();
        true
    }

    /// A question of the shop's rules asked while a request waits on a question of its
    /// own ("is the label free?", "how long does the refund take?"): answered from the
    /// documents, then the pending question again, short. False, saying nothing, when
    /// the words answer the question, carry a fact of their own, ask for another
    /// request, or name no rule the documents answer.
    fn policy_aside(&mut self, said: &Said<'_>, facts: &dyn Facts) -> bool {
        // An offer closing a request (the tracking link) is no question of the request:
        // a question there is answered as it always was, and the offer not pressed.
        let pending = self.task.is_some()
            && !matches!(
                self.ask,
                Ask::Nothing | Ask::YesNo(YesNo::AnythingElse | YesNo::OfferHuman)
            )
            && !matches!(self.ask, Ask::YesNo(q) if q.is_offer());
        if !pending || said.keypad || !self.asks_a_question(said) {
            return false;
        }
        let ent = &said.entities;
        let fact_said = ent.order_number.is_some()
            || ent.zip_code.is_some()
            || ent.email.is_some()
            || ent.phone_number.is_some()
            || ent.date.is_some()
            || ent.time_slot.is_some()
            || ent.quantity.is_some()
            || said.address.is_some();
        let another_request = Goal::from_intent(said.intent).is_some()
            && said.confidence >= self.config.dialog.switch_confidence;
        // "Is there any charge for the replacement?" at "replacement or refund?" asks
        // about one of the ways, and chooses none; "I'll take the replacement, is that
        // free?" chooses it.
        let ph = self.phrases();
        // "Back to my card is fine. How long does the refund take?" answers, then asks.
        let chooses = ph.any("chooses_option", &said.words)
            || ent.refund_method.is_some()
            || (!ph.any("asks_rules", &said.words)
                && (self.answers_the_question(said) || self.answers_with_thanks(said)));
        if fact_said
            || another_request
            || chooses
            || self.yes_no(said).is_some()
            || !self.phrases().any("asks_rules", &said.words)
        {
            return false;
        }
        // "No charge for stopping it?" at a subscription's read-back asks the
        // subscription rules, as in `side_question`.
        let of_subscription = self
            .task
            .as_ref()
            .is_some_and(|t| t.goal() == Goal::Subscription)
            && !said.words.iter().any(|w| w.starts_with("subscription"));
        let with_topic = of_subscription
            .then(|| facts.policy_answer(&format!("{} subscription", said.text)))
            .flatten();
        // "How long does it take?" names nothing the documents can place: asked of
        // the request waiting, its topic is asked with it.
        let topic = self.task.as_ref().and_then(|t| match t.goal() {
            Goal::Exchange => Some("exchange"),
            Goal::Return => Some("return"),
            Goal::Cancel => Some("cancel"),
            _ => None,
        });
        let of_request = || topic.and_then(|t| facts.policy_answer(&format!("{} {t}", said.text)));
        let answer = with_topic
            .or_else(|| facts.policy_answer(&said.text))
            .or_else(of_request);
        let Some(answer) = answer else {
            return false;
        };
        self.s.last_policy = Some((self.s.turns, answer.text.clone()));
        self.s.last_section = Some(answer.section.clone());
        self.push_passage(&answer.text);
        self.say_pending_question_short();
        true
    }

    /// A request for something else, clear enough to leave the current question.
    pub(crate) fn switch_goal(&self, said: &Said<'_>) -> Option<Goal> {
        let goal = Goal::from_intent(said.intent)?;
        let current = self.task.as_ref().map(|t| t.goal());
        let clear = said.confidence >= self.config.dialog.switch_confidence;
        (clear && current != Some(goal)).then_some(goal)
    }

    /// What the caller says of whose order it is, or who they are to the household,
    /// holds for the rest of the call, whichever part of a breath says it: "Hi, I'm
    /// Ada's cleaner, she asked me to …" is a preface that asks nothing, but it still
    /// says who is speaking.
    pub(crate) fn note_whose_order(&mut self, words: &[String]) {
        // "It's for my neighbour Rosa", said while answering the zip question: what the
        // caller says of whose order it is holds for the rest of the call, whenever said.
        // "This is Ada's friend, I'm staying over": a guest of the household is no
        // member of it, and the speaker vouches for no one else.
        // "I'm Ada's cleaner, she asked me to cancel it": whoever works for or visits a
        // member is no member either.
        // "It's the Haddads' dog walker": the role may come a word after whose it is,
        // and a family's name ends on a bare "s" once its apostrophe is lost.
        let ph = self.phrases();
        let outside = |w: &String| ph.any("outside_household", std::slice::from_ref(w));
        let someones_friend = (0..words.len()).any(|i| {
            let w = &words[i];
            let after_the = i > 0 && words[i - 1] == "the";
            let possessive = w.ends_with("'s")
                || w.ends_with("s'")
                || (after_the && w.len() > 3 && w.ends_with('s'));
            let next = words.get(i + 1);
            let role = next.is_some_and(outside)
                || (next.is_some_and(|n| !ph.any("kin", std::slice::from_ref(n)))
                    && words.get(i + 2).is_some_and(outside));
            possessive && role
        });
        // "It's Ada's friend visiting": a visitor to the household.
        let someones_visitor = words
            .windows(3)
            .any(|w| w[0].ends_with("'s") && w[2] == "visiting");
        // "This is Ada Park's sister, I'm staying over", "it's Ada's brother visiting":
        // whoever says whose family they are is family, wherever they sleep tonight;
        // only those who say whose they are as anything else are guests.
        let says_kin = words.windows(2).any(|w| {
            w[0].ends_with("'s")
                && w[0].len() > 3
                && self.phrases().any("kin", std::slice::from_ref(&w[1]))
        });
        if self.s.speaker.is_some()
            && !says_kin
            && (someones_friend
                || someones_visitor
                || self.someone_elses_not_kin(words)
                || self.phrases().any("household_guest", words))
        {
            self.s.guest = true;
            self.s.for_someone_else = true;
        }
        if self.names_anothers_account(words) {
            self.s.anothers_account = true;
        }
        if self.phrases().any("gift_received", words) {
            self.s.gift_received = true;
            // "I got a belt as a present, the number's on the gift receipt": the one it
            // was given to, so the order is whoever paid for it, not the caller's.
            if !self.phrases().any("gift_bought", words) {
                self.s.for_someone_else = true;
            }
        }
        // "My friend sent me a t-shirt as a gift": given by someone else, so the order is
        // theirs, whoever's zip proves it next.
        if self.given_as_a_gift(words) {
            self.s.gift_received = true;
            self.s.for_someone_else = true;
        }
        if self.speaks_for_another(words) {
            self.s.for_someone_else = true;
        }
    }

    /// "I'm the Haddads' dog walker", "I'm Omar's tutor": a caller who says whose they
    /// are, as anything but family, is no member of the household (whatever the role:
    /// no list of jobs is ever whole).
    fn someone_elses_not_kin(&self, words: &[String]) -> bool {
        let ph = self.phrases();
        (0..words.len()).any(|i| {
            let says_who = matches!(words[i].as_str(), "i'm" | "im")
                || words[i] == "am" && i > 0 && words[i - 1] == "i";
            if !says_who {
                return false;
            }
            let mut j = i + 1;
            let the = words.get(j).is_some_and(|w| w == "the");
            if the {
                j += 1;
            }
            let Some(whose) = words.get(j) else {
                return false;
            };
            // "Ada's", or "the Haddads'" (its apostrophe is lost with the punctuation).
            let possessive =
                whose.ends_with("'s") || the && whose.len() > 3 && whose.ends_with('s');
            let what = words.get(j + 1);
            possessive && what.is_some_and(|w| !ph.any("kin", std::slice::from_ref(w)))
        })
    }

    /// "The charcoal merino socks" or "they don't fit" at "how would you like your
    /// refund?", when the return already holds that item and that reason: the caller
    /// says again what was taken, which is no miss and no new request.
    pub(crate) fn restates_what_is_held(&self, said: &Said<'_>, facts: &dyn Facts) -> bool {
        /// Longer than this, the words say more than the item or reason again.
        const RESTATEMENT_MAX_WORDS: usize = 8;
        let Some(Request::Return(a) | Request::Exchange(a) | Request::Problem(a)) =
            self.task.as_ref().map(|t| &t.req)
        else {
            return false;
        };
        let e = &said.entities;
        if said.words.len() > RESTATEMENT_MAX_WORDS {
            return false;
        }
        // "Refund" at the read-back of a refund for a problem.
        let refund_again = a.resolution == Some(Resolution::Refund)
            && returns::resolution_said(self, &said.words, e.refund_method.is_some())
                == Some(Resolution::Refund);
        if refund_again && e.product.is_none() && e.order_number.is_none() {
            return true;
        }
        if e.product.is_none() && e.return_reason.is_none() {
            return false;
        }
        let item_held = |sku: &str| {
            a.product.as_deref() == Some(sku)
                || self.focus_order(facts).is_some_and(|o| {
                    identity::line_of(&o, sku, facts).is_some_and(|line| {
                        // Lines are counted from one.
                        a.lines.iter().any(|(n, _)| {
                            (*n as usize)
                                .checked_sub(1)
                                .and_then(|i| o.items.get(i))
                                .is_some_and(|it| it.sku == line)
                        })
                    })
                })
        };
        let held = e.product.as_deref().is_none_or(item_held)
            && (e.return_reason.is_none() || e.return_reason == a.return_reason);
        let mut rest = e.clone();
        rest.product = None;
        rest.return_reason = None;
        // The reader takes "changed my mind" as a cancellation's reason as well.
        rest.cancel_reason = None;
        held && rest.is_empty() && !said.has(Cue::No)
    }

    /// What the caller said again is taken in, and the open question asked again as
    /// first put. A read-back is not read again whole: only its question is.
    pub(crate) fn say_held_already(&mut self) {
        if self.ask == Ask::YesNo(YesNo::Proceed) {
            self.say(p!("held_already_go_ahead"), &[]);
            return;
        }
        self.say(p!("held_already"), &[]);
        self.say_pending_question(false);
    }

    /// The question the current request answered, asked again (what it said about the
    /// order, wanted once more), clear enough to leave the pending question for.
    pub(crate) fn asked_again(&self, said: &Said<'_>) -> Option<Goal> {
        let goal = Goal::from_intent(said.intent)?;
        let current = self.task.as_ref().map(|t| t.goal())?;
        let clear = said.confidence >= self.config.dialog.switch_confidence;
        (clear && goal == current && goal.about_the_order_in_focus()).then_some(goal)
    }

    /// "So it'll be here tomorrow?", "when would it actually arrive?": a question of when
    /// something comes, by the locale's phrases or a "when" with a word of arriving soon
    /// after it.
    pub(crate) fn asks_when_it_arrives(&self, words: &[String]) -> bool {
        let ph = self.phrases();
        // "I pay the man when he comes, yes?" asks what is paid, not when.
        if ph.any("asks_amount_due", words) {
            return false;
        }
        ph.any("asks_arrival", words)
            || words.iter().enumerate().any(|(i, w)| {
                w == "when"
                    && words
                        .iter()
                        .skip(i + 1)
                        .take(6)
                        .any(|n| ph.any("arrival_verb", std::slice::from_ref(n)))
            })
    }

    pub(crate) fn route(&mut self, said: &Said<'_>, facts: &dyn Facts) {
        if self.says_the_amount_due(said, facts) {
            self.anything_else();
            return;
        }
        if returns::resends_label(self, &said.words, facts) {
            self.s.fallbacks = 0;
            self.anything_else();
            return;
        }
        // "So I'd have to ask you to restart it?": whether the caller must ask, not the
        // asking. Nothing is changed; the answer is that asking is enough, when they like.
        // The question opens the sentence; "I need to tell you my new address" says it.
        let ph = self.phrases();
        let opening = &said.words[..said.words.len().min(6)];
        if ph.any("must_i", opening) && ph.any("must_i_ask", &said.words) {
            self.s.fallbacks = 0;
            self.say(p!("just_ask_when_ready"), &[]);
            self.anything_else();
            return;
        }
        // "I moved. The vitamins should go to my new place, 1200 East Speedway Boulevard,
        // Tucson, 85719" about the order just discussed: a whole address said is where
        // it should go, however unsure the classifier is of the request.
        let whole_address = said
            .address
            .as_ref()
            .is_some_and(|a| a.city.is_some() || a.zip.is_some());
        if whole_address
            && self.task.is_none()
            && self.s.focus.is_some()
            && matches!(
                said.intent,
                Intent::Fallback | Intent::PolicyQuestion | Intent::Deny
            )
        {
            self.s.fallbacks = 0;
            self.start_goal(Goal::ChangeAddress, said, facts);
            return;
        }
        // "Can I upgrade it to express shipping?" names no new address: it asks how fast
        // the order comes, which its status answers.
        let of_an_order = match said.intent {
            Intent::ChangeAddress | Intent::RescheduleDelivery => true,
            // "Order 1 0 0 0 …, could I upgrade that to express?" asks of that order.
            Intent::PolicyQuestion => said.entities.order_number.is_some(),
            _ => false,
        };
        if of_an_order
            && said.address.is_none()
            && said.entities.date.is_none()
            && self.phrases().any("wants_faster", &said.words)
        {
            self.s.fallbacks = 0;
            self.start_goal(Goal::Status, said, facts);
            return;
        }
        // "Hello, I don't have my order number handy" before saying what they want: the
        // order can be found without it, and what they want is asked.
        if self.task.is_none()
            && self.ask == Ask::Nothing
            && said.has(Cue::NoNumber)
            && matches!(said.intent, Intent::Fallback | Intent::Deny)
            && said.entities.is_empty()
        {
            self.s.fallbacks = 0;
            self.s.number_unknown = true;
            self.say(p!("no_number_first"), &[]);
            return;
        }
        // "Can I have two of the sheet sets instead of three?" about the order just
        // discussed: the count is fixed once ordered, said with what can be done.
        let buying = matches!(
            said.intent,
            Intent::PlaceOrder | Intent::Reorder | Intent::ManageSubscription
        );
        if self.task.is_none() && !buying && orders::count_fixed(self, said, facts) {
            self.s.fallbacks = 0;
            self.anything_else();
            return;
        }
        // "And how long till the new one gets here?" just after an exchange or a
        // replacement: when the new item comes, however unsure the classifier is.
        let new_item_pending =
            self.s.new_item_for.as_ref().map(|(n, _)| n) == self.s.focus.as_ref();
        if new_item_pending
            && self.task.is_none()
            && self.s.focus.is_some()
            && matches!(
                said.intent,
                Intent::Fallback | Intent::PolicyQuestion | Intent::TrackPackage
            )
            && self.asks_when_it_arrives(&said.words)
        {
            self.s.fallbacks = 0;
            self.start_goal(Goal::Status, said, facts);
            return;
        }
        // "Could you bring my parcel a bit later?", unsurely classified: a later delivery.
        if said.intent == Intent::Fallback && self.phrases().any("later_delivery", &said.words) {
            self.s.fallbacks = 0;
            self.start_goal(Goal::Reschedule, said, facts);
            return;
        }
        // "Can you check it for me? The number is 6012 3456 7890" just after how to check
        // a gift card's balance: the gift card's number, not a short order number. The
        // balance is not on the device; the team can check it.
        let after_gift_card_answer = self.s.last_policy.as_ref().is_some_and(|(turn, text)| {
            *turn + 1 == self.s.turns
                && self.phrases().any("gift_card", &crate::locale::words(text))
        });
        let digits = said.text.chars().filter(char::is_ascii_digit).count();
        // An order number is the order's, whatever the last answer named.
        let lengths = &self.config.policy.verification.order_number_digits;
        let an_order_number = said
            .entities
            .order_number
            .as_ref()
            .is_some_and(|n| lengths.contains(&n.len()));
        if after_gift_card_answer && self.task.is_none() && digits >= 8 && !an_order_number {
            self.s.fallbacks = 0;
            self.say(p!("gift_card_balance_team"), &[]);
            self.offer_human(HandOffReason::Requested);
            return;
        }
        // "Has the money actually come out of my account yet?" about the order just
        // discussed: its charge (taken when it ships) or its refund, however the
        // classifier heard the question.
        if self.task.is_none()
            && self.s.focus.is_some()
            && said.entities.order_number.is_none()
            && matches!(
                said.intent,
                Intent::PolicyQuestion | Intent::Fallback | Intent::GetOrderStatus
            )
            && self.phrases().any("asks_charged", &said.words)
        {
            self.s.fallbacks = 0;
            self.start_goal(Goal::ReturnStatus, said, facts);
            return;
        }
        // "I got two bags of coffee but only need one, can I send the rest back? Order
        // 1000…110", unsurely classified: sending something of a named order back is a
        // return.
        if said.intent == Intent::Fallback
            && self.task.is_none()
            && said.entities.order_number.is_some()
            && self.phrases().any("sends_back", &said.words)
        {
            self.s.fallbacks = 0;
            self.start_goal(Goal::Return, said, facts);
            return;
        }
        // A caller who just reads out an order number ("and order 1 2 3 ...") wants to
        // know about it, whatever the classifier made of the bare number; one who says
        // to buy with it ("the same again please, order 5270…", "order one please, I've
        // ordered before, order 4547…") gives the number to prove who they are.
        let buys_with_it = matches!(said.intent, Intent::PlaceOrder | Intent::Reorder)
            && (self.phrases().any("buying_request", &said.words)
                || self.phrases().any("reorder_request", &said.words)
                || commerce::product_just_answered(self));
        let about_an_order = said.entities.order_number.is_some()
            && !buys_with_it
            && said.entities.product.is_none()
            && matches!(
                said.intent,
                Intent::PlaceOrder
                    | Intent::Reorder
                    | Intent::Fallback
                    | Intent::Affirm
                    // "No. Order number 7132…" at the offer of a person: declined, and
                    // the order asked about.
                    | Intent::Deny
                    | Intent::Help
                    | Intent::SpeakToAgent
            );
        // "My neighbour asked me to move his order …", unsurely heard: a change for
        // someone else is refused as it is when heard surely, not answered as a status.
        let ph = self.phrases();
        if about_an_order
            && self.s.customer.is_none()
            && ph.any("for_someone_else", &said.words)
            && ph.any("change_words", &said.words)
        {
            self.s.fallbacks = 0;
            self.note_primary(said.intent);
            self.s.for_someone_else = true;
            self.refuse_for_another(p!("change_for_someone_else"), said, facts);
            self.anything_else();
            return;
        }
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
        // "Can the team check, please?" just after "our team can check": the offer
        // made is taken up, not the refund paragraph said again.
        if self.s.team_check_offered
            && said.entities.order_number.is_none()
            && self.phrases().any("team_check", &said.words)
        {
            self.s.fallbacks = 0;
            self.hand_off(HandOffReason::Requested);
            return;
        }
        // "Do I have to post the wrong one back?" just after a replacement or refund
        // with nothing to send back.
        if self.s.nothing_to_send_back
            && said.entities.order_number.is_none()
            && !said.has(Cue::OtherOrder)
            && self.phrases().any("asks_send_back", &said.words)
        {
            self.s.fallbacks = 0;
            self.say(p!("keep_it"), &[]);
            self.anything_else();
            return;
        }
        // "When will you have them again?" about a product just said to be out of stock,
        // or one named: no restock date is known on the device.
        if self.phrases().any("asks_restock", &said.words)
            && (said.entities.product.is_some() || self.s.last_product.is_some())
        {
            self.s.fallbacks = 0;
            self.note_primary(Intent::PolicyQuestion);
            self.say(p!("no_restock_date"), &[]);
            self.s.completed += 1;
            self.anything_else();
            return;
        }
        // "A week? Can't you send it faster?" about the verified order in focus.
        if said.entities.date.is_none()
            && said.entities.order_number.is_none()
            && !said.has(Cue::OtherOrder)
            && self.phrases().any("wants_faster", &said.words)
        {
            // "And the jeans? They were meant to come next day": a product the order in
            // focus does not hold is about another order, never answered from this one.
            let order = self.focus_order(facts).filter(|o| {
                said.entities
                    .product
                    .as_deref()
                    .is_none_or(|sku| identity::holds_product(o, sku, facts))
            });
            if let Some(order) = order {
                if orders::speed_fixed(self, &order) {
                    self.s.fallbacks = 0;
                    self.note_primary(Intent::PolicyQuestion);
                    self.s.completed += 1;
                    self.anything_else();
                    return;
                }
            }
        }
        // "When's my next coffee delivery?", "is my green tea coming this week?": a
        // product the household subscribes to, on no order on its way, is answered from
        // its subscription rather than from past orders of it.
        let ph = self.phrases();
        let asks_progress = matches!(said.intent, Intent::GetOrderStatus | Intent::TrackPackage)
            || (said.intent == Intent::Fallback
                && (ph.any("status_question", &said.words)
                    || ph.any("subscription_next", &said.words)));
        // "What was in my coffee order from November?", "did last month's coffee
        // come?": an order gone by is asked after, not the next delivery.
        let asks_a_past_order = orders::asks_order_details(self, &said.words)
            || said.cues.iter().any(|c| matches!(c, Cue::Period(_)));
        if asks_progress
            && said.entities.order_number.is_none()
            && !said.has(Cue::OtherOrder)
            && !asks_a_past_order
            && commerce::subscribed_not_on_its_way(self, said, facts)
        {
            self.s.fallbacks = 0;
            self.start_goal(Goal::Subscription, said, facts);
            return;
        }
        // "And when's the next one coming?" just after a subscription was changed: that
        // subscription's next delivery, not the household's past orders.
        // "And when's the next box of wipes coming?" names that subscription's product.
        let its_product = match said.entities.product.as_deref() {
            None => true,
            Some(sku) => self
                .s
                .last_subscription
                .is_some_and(|id| commerce::subscription_is_of(self, id, sku, facts)),
        };
        let next_of_the_subscription = asks_progress
            && self.task.is_none()
            && self.s.last_goal == Some(Goal::Subscription)
            && said.entities.order_number.is_none()
            && its_product
            && ph.any("subscription_next", &said.words);
        if let Some(id) = self
            .s
            .last_subscription
            .filter(|_| next_of_the_subscription)
        {
            let mut task = Task::new(
                Goal::Subscription,
                said.words.clone(),
                said.cues.clone(),
                Entities::default(),
            );
            let sub = task.subscription();
            sub.subscription = Some(id);
            sub.sub_action = Some(SubAction::NextDelivery);
            self.s.fallbacks = 0;
            self.note_primary(Intent::ManageSubscription);
            self.task = Some(task);
            self.advance(facts);
            return;
        }
        // "What's the delivery date?", "when is the delivery?": a question about the
        // delivery, not a request to move it.
        let asks_when = said.intent == Intent::RescheduleDelivery
            && matches!(
                said.words.first().map(String::as_str),
                Some("what" | "when" | "what's" | "whats" | "which")
            )
            && !self.phrases().any("asks_to_change", &said.words)
            && said.entities.date.is_none();
        if asks_when {
            self.s.fallbacks = 0;
            self.start_goal(Goal::Status, said, facts);
            return;
        }
        // "What did I buy?", "how much did I pay?": the caller's own order, however the
        // classifier took it (a question about charges sounds like the payment policy).
        // A change asked with it ("cancel what I bought") is that change; "how much did I
        // pay for my last order" is never a reorder.
        let other_request = Goal::from_intent(said.intent).is_some_and(|g| {
            !matches!(g, Goal::Status | Goal::Track | Goal::Reorder | Goal::Place)
        });
        // "Can you list all my orders?", "what orders do I have?": the caller's orders,
        // found as a status finds them (by the account's phone and email, or the
        // household's speaker), never the menu or a guess between two requests.
        let asks_the_list = self.phrases().any("asks_order_list", &said.words);
        // "How much cash do I need for order 2179…?", "order 4151…, can I pay by card
        // instead of cash?": that order's own sum or payment, not the policy.
        let of_the_order_named = said.entities.order_number.is_some()
            && (self.phrases().any("asks_amount_due", &said.words) || said.has(Cue::OtherPayment));
        // "Can I pay by card at the door instead?" of the cash-on-delivery order just
        // discussed: that order's payment, not the refund policy.
        let of_the_order_in_focus = said.entities.order_number.is_none()
            && said.has(Cue::OtherPayment)
            && self.focus_order(facts).is_some_and(|o| {
                o.payment.method == PaymentMethod::Cod && o.status.is_still_to_come()
            });
        let of_the_order_named = of_the_order_named || of_the_order_in_focus;
        if !other_request
            && (asks_the_list
                || of_the_order_named
                || orders::asks_order_details(self, &said.words))
        {
            self.s.fallbacks = 0;
            self.start_goal(Goal::Status, said, facts);
            return;
        }
        // "Pause my green tea", unsurely classified: a change to a subscription the
        // household has, named by its product, is that subscription's change (the same
        // words about someone else's milk round are not).
        if said.intent == Intent::Fallback
            && self.phrases().any("subscription_change", &said.words)
            && self.subscribes_to_named(said, facts)
        {
            self.s.fallbacks = 0;
            self.start_goal(Goal::Subscription, said, facts);
            return;
        }
        // "Can I add a pair of socks to the order I placed this morning?": a placed order
        // takes no new items, which the documents say with what to do instead; it is not
        // a new order.
        // "Just change the quantity from three to one": the same rule, for fewer items.
        let question = if adds_to_a_placed_order(&said.words) {
            Some(ADD_TO_ORDER_QUESTION)
        } else if self.phrases().any("changes_quantity", &said.words) {
            Some(CHANGE_ITEMS_QUESTION)
        } else {
            None
        };
        if let Some(question) = question.filter(|_| !commerce::purchasing(self)) {
            if let Some(answer) = facts.policy_answer(question) {
                self.s.fallbacks = 0;
                self.note_primary(Intent::PolicyQuestion);
                self.push_passage(&answer.text);
                self.s.completed += 1;
                self.anything_else();
                return;
            }
        }
        // "Can you reorder the diapers, but three packs this time, and next day
        // delivery", unsurely classified or heard as a subscription's new quantity: the
        // word of ordering again with a product is a reorder, unless the subscription
        // is named.
        if matches!(said.intent, Intent::Fallback | Intent::ManageSubscription)
            && said.entities.product.is_some()
            && self.phrases().any("reorder_request", &said.words)
            && !self.phrases().any("subscription_word", &said.words)
            && said.entities.frequency_days.is_none()
        {
            self.s.fallbacks = 0;
            self.start_goal(Goal::Reorder, said, facts);
            return;
        }
        // "And where's the one with the headphones?", unsurely classified: a question
        // of where or when is about an order's progress.
        if said.intent == Intent::Fallback && self.phrases().any("status_question", &said.words) {
            self.s.fallbacks = 0;
            self.start_goal(Goal::Status, said, facts);
            return;
        }
        // "How much is the fleece hoodie?", "do you have it in green?": the catalog
        // answers, unless the caller clearly asks to buy or change something.
        // "Are there any laptops for sale?": nothing in the catalog by that name, so a
        // plain no, not the start of an order.
        if self.asks_if_sold_unknown(said, facts) {
            self.s.fallbacks = 0;
            self.note_primary(Intent::PolicyQuestion);
            self.say(p!("product_not_sold"), &[]);
            self.s.completed += 1;
            self.anything_else();
            return;
        }
        // "I want to know the price of the grey hoodie" scores high for an order; without
        // a word of buying it is a question.
        // "Do you have a size 12 in stock?" just after the price of the sneakers: a size
        // or colour of the product asked about, asked about in turn.
        let ph = self.phrases();
        let asks_of_a_variant = (ph.any("asks_price", &said.words)
            || ph.any("asks_stock", &said.words))
            && said.entities.product.is_none()
            && commerce::names_a_variant_of_the_last_product(self, said, facts);
        // "What about the heather grey t-shirt in large?" just after a product's price or
        // stock: the same question, of another product.
        let what_about_another = self.s.last_product.is_some()
            && said.entities.product.is_some()
            && self.task.is_none()
            && ph.len_at("what_about", &said.words, 0).is_some();
        let product_question =
            commerce::asks_about_a_product(self, said) || asks_of_a_variant || what_about_another;
        // "Ok, and in extra large?" just after a product's stock: the same question of
        // another size, however sure the classifier is of an exchange; a change needs
        // its own words.
        let follows_up_now = self
            .s
            .product_answered_at
            .is_some_and(|t| t + 1 == self.s.turns)
            && commerce::follows_up_on_a_product(self, said, facts)
            && !ph.any("asks_to_buy", &said.words)
            && !ph.any("change_words", &said.words);
        // "Is it in stock?" just after a product's price: of the product, however sure
        // the classifier is that "is it" asks about an order.
        let of_the_product_not_an_order = product_question
            && said.entities.order_number.is_none()
            && matches!(said.intent, Intent::GetOrderStatus | Intent::TrackPackage);
        // "Do you have the green one in a large?" asks the stock of a size: an exchange
        // or any other change of an order needs its own words ("swap", "change").
        let asks_the_change = match said.intent {
            Intent::PlaceOrder => ph.any("asks_to_buy", &said.words),
            _ => ph.any("change_words", &said.words) || ph.any("own_orders", &said.words),
        };
        let clear_change = Goal::from_intent(said.intent).is_some()
            && !follows_up_now
            && !of_the_product_not_an_order
            && said.confidence >= self.config.dialog.switch_confidence
            && (!product_question || asks_the_change);
        if !clear_change
            && (product_question || commerce::follows_up_on_a_product(self, said, facts))
        {
            self.s.fallbacks = 0;
            self.note_primary(Intent::PolicyQuestion);
            commerce::product_answer(self, said, facts);
            return;
        }
        // "Hold it until the twentieth" just after a subscription was talked about: the
        // delivery meant is that subscription's, not an order's.
        let about_the_subscription = said.intent == Intent::RescheduleDelivery
            && self.s.last_goal == Some(Goal::Subscription)
            && self.s.last_subscription.is_some()
            && said.entities.order_number.is_none()
            && !said.has(Cue::OtherOrder)
            && self.phrases().any("refers_back", &said.words)
            && self.phrases().any("subscription_pause", &said.words);
        // "Postpone the next coffee delivery by a week", torn between a subscription and
        // a delivery: a product the household subscribes to, on no order on its way, is
        // its subscription's delivery.
        let torn_for_a_subscription =
            matches!(said.intent, Intent::Fallback | Intent::RescheduleDelivery)
                && said.entities.order_number.is_none()
                && said.alternatives.iter().take(2).any(|a| {
                    a.intent == Intent::ManageSubscription
                        && a.confidence >= self.config.dialog.clarify_confidence
                })
                && commerce::subscribed_not_on_its_way(self, said, facts);
        if about_the_subscription
            || torn_for_a_subscription
            || commerce::changes_the_subscription_just_said(self, said)
        {
            self.s.fallbacks = 0;
            self.start_goal(Goal::Subscription, said, facts);
            return;
        }
        // "Can you text me the tracking link?" about the order just discussed.
        if matches!(
            said.intent,
            Intent::TrackPackage | Intent::Affirm | Intent::Fallback
        ) && orders::text_link_asked(self, said, facts)
        {
            self.s.fallbacks = 0;
            return;
        }
        // "What subscriptions do I have?" reads like a request for the menu.
        if !other_request && self.phrases().any("subscription_list", &said.words) {
            self.s.fallbacks = 0;
            self.start_goal(Goal::Subscription, said, facts);
            return;
        }
        // "Cancel the baby wipes one" just after the subscriptions were read out: the
        // subscription of that product, not an order of it.
        let cancels_a_subscription_just_said = said.intent == Intent::CancelOrder
            && self.task.is_none()
            && self.s.last_goal == Some(Goal::Subscription)
            && said.entities.order_number.is_none()
            && !said.has(Cue::OtherOrder)
            && self.subscribes_to_named(said, facts);
        if cancels_a_subscription_just_said {
            self.s.fallbacks = 0;
            self.start_goal(Goal::Subscription, said, facts);
            return;
        }
        // "Move the next cat litter delivery to Friday" on a cat litter subscription.
        if said.intent == Intent::RescheduleDelivery
            && commerce::moves_a_subscription_delivery(self, said, facts)
        {
            self.s.fallbacks = 0;
            self.start_goal(Goal::Subscription, said, facts);
            return;
        }
        // "Order a fifty dollar gift card and ship it to my friend at 9 Elm Road": a
        // product after a word of buying that opens the sentence is a new order, however
        // the address said with it swayed the classifier; it never moves an order placed.
        // The imperative itself ("order a…", "buy me…") needs no runner-up to say so.
        let imperative = said
            .words
            .first()
            .is_some_and(|w| matches!(w.as_str(), "order" | "buy" | "purchase"));
        let opens_buying = imperative || self.phrases().any("buying_request", &said.words);
        if matches!(
            said.intent,
            Intent::ChangeAddress | Intent::RescheduleDelivery
        ) && said.confidence < self.config.dialog.switch_confidence
            && said.entities.product.is_some()
            && said.entities.order_number.is_none()
            && opens_buying
            && (imperative
                || said
                    .alternatives
                    .iter()
                    .take(2)
                    .any(|a| a.intent == Intent::PlaceOrder))
        {
            self.s.fallbacks = 0;
            self.start_goal(Goal::Place, said, facts);
            return;
        }
        // "Great, order one please. I've ordered before, order 4547…, email …" just after
        // hearing a product's price: an order of that product, however the order number
        // said with it swayed the classifier toward the order's status.
        if matches!(
            said.intent,
            Intent::GetOrderStatus | Intent::TrackPackage | Intent::Fallback
        ) && said.confidence < self.config.dialog.switch_confidence
            && commerce::product_just_answered(self)
            && self.phrases().any("buying_request", &said.words)
        {
            self.s.fallbacks = 0;
            self.start_goal(Goal::Place, said, facts);
            return;
        }
        if let Some(goal) = Goal::from_intent(said.intent) {
            self.s.fallbacks = 0;
            self.start_goal(goal, said, facts);
            return;
        }
        // "Can I order two boxes of the green tea, with express shipping?" reads like a
        // question of shipping; a product named with a word of buying is an order.
        // Unsure between the two, it is the same request.
        let order_or_question = said.intent == Intent::PolicyQuestion
            || (said.intent == Intent::Fallback
                && said.alternatives.first().is_some_and(|a| {
                    matches!(a.intent, Intent::PlaceOrder | Intent::PolicyQuestion)
                }));
        if order_or_question
            && said.entities.product.is_some()
            && self.phrases().any("buying_request", &said.words)
            && !self.phrases().any("asks_price", &said.words)
        {
            self.s.fallbacks = 0;
            self.start_goal(Goal::Place, said, facts);
            return;
        }
        match said.intent {
            Intent::PolicyQuestion => {
                self.s.fallbacks = 0;
                self.note_primary(Intent::PolicyQuestion);
                self.policy(said, facts);
            }
            // "Great, so it's back on now, right?" just after a change: yes, it is done.
            Intent::Affirm
                if self.s.changed_at == Some(self.s.turns.saturating_sub(1))
                    && self.asks_a_question(said) =>
            {
                self.say(p!("yes_done"), &[]);
                self.anything_else();
            }
            Intent::Affirm => {
                self.say(p!("how_can_i_help"), &[]);
            }
            // "Neither" to "do you want to X or Y?" is not the end of the call.
            Intent::Deny if self.s.clarified_at == Some(self.s.turns - 1) => {
                self.say(p!("how_else"), &[]);
            }
            // "No I don't have it, my phone is 614 555 0114": a no that gives a way to
            // find the caller's orders is no goodbye; the orders are looked up by it.
            // "The number is 4521… no wait, that's wrong… 4521…": a no that corrects an
            // order number is about that order.
            Intent::Deny
                if said.entities.phone_number.is_some()
                    || said.entities.email.is_some()
                    || said.entities.order_number.is_some() =>
            {
                self.start_goal(Goal::Status, said, facts);
            }
            Intent::Deny | Intent::EndConversation => self.goodbye(),
            // "Can the driver leave it with my neighbour?" after an answer about an order:
            // a question the classifier did not place, which the shop's documents answer,
            // is answered from them. Opening a call, such a sentence is more likely about
            // something else altogether ("book a courier for my office parcel"), unless it
            // names a section of them whole ("I forgot my password, can you reset it?").
            // Nor when the classifier itself leaned to a policy question ("I live in
            // Montreal, do you deliver to Canada?").
            // "How do I cancel my Netflix?" is that business's question: its words would
            // find the shop's own subscription passage.
            Intent::Fallback if said.words.len() >= 4 && !said.has(Cue::Elsewhere) => {
                let later = self.s.focus.is_some() || self.s.completed > 0 || leans_to_policy(said);
                match self
                    .find_policy(said, facts)
                    .filter(|a| later || a.names_its_section)
                {
                    Some(answer) => {
                        self.s.fallbacks = 0;
                        self.say_policy_answer(&answer);
                    }
                    None => self.fallback_or_the_order(said, facts),
                }
            }
            _ => self.fallback_or_the_order(said, facts),
        }
    }

    /// Nothing else understood, but an order number was said with words of what it
    /// holds ("it's about my tee shirts, the number is 1000…011"): the caller wants to
    /// know about that order, which is looked up as a status. Anything else is a miss.
    fn fallback_or_the_order(&mut self, said: &Said<'_>, facts: &dyn Facts) {
        let about_its_items = said.entities.order_number.is_some()
            && said.entities.product.is_some()
            && self.task.is_none()
            && !self.phrases().any("buying_request", &said.words);
        if about_its_items {
            self.s.fallbacks = 0;
            self.start_goal(Goal::Status, said, facts);
        } else {
            self.fallback(said);
        }
    }

    /// The line a clarifying question of the last turn was about, as the request the
    /// answer chose: the offered request whose intent was heard, else the only one whose
    /// words the answer says ("the status", "return it"), with what the answer adds.
    /// `None` for anything else.
    fn clarified_line(&mut self, said: &Said<'_>) -> Option<Interpretation> {
        let (mut first, offered) = self.s.clarifying.take()?;
        if self.s.clarified_at != Some(self.s.turns - 1) || self.task.is_some() {
            return None;
        }
        let by_intent = offered.iter().find(|(intent, _)| *intent == said.intent);
        let by_position = || said.position(offered.len()).map(|i| &offered[i]);
        // "Status or tracking?" answered with the email the order is under: the caller
        // goes along with the likelier, when every choice only reads an order (a change
        // is never picked for them).
        let by_details = || {
            let e = &said.entities;
            let details = e.order_number.is_some()
                || e.email.is_some()
                || e.phone_number.is_some()
                || e.zip_code.is_some();
            let only_reads = offered.iter().all(|(intent, _)| {
                matches!(
                    intent,
                    Intent::GetOrderStatus
                        | Intent::TrackPackage
                        | Intent::CheckReturnStatus
                        | Intent::PolicyQuestion
                )
            });
            (details && only_reads && said.intent == Intent::Fallback).then(|| &offered[0])
        };
        let chosen = by_intent.or_else(by_position).or_else(|| {
            let naming: Vec<&(Intent, String)> = offered
                .iter()
                .filter(|(_, label)| label_named(label, &said.words, &offered))
                .collect();
            (naming.len() == 1).then(|| naming[0])
        });
        let chosen = chosen.or_else(by_details)?;
        first.intent = chosen.0;
        first.confidence = 1.0;
        first.then = None;
        // "Cancel, order 1000…011": what the answer says is the request's too.
        first.entities.overlay(said.entities.clone());
        Some(first)
    }

    pub(crate) fn note_primary(&mut self, intent: Intent) {
        if self.s.primary.is_none() {
            self.s.primary = Some(intent);
        }
        if !self.s.asked.contains(&intent) {
            self.s.asked.push(intent);
        }
    }

    /// A change refused because the caller acts for someone else: said, and the order
    /// marked for the next call ([`identity::mark_asked_for_another`]).
    fn refuse_for_another(&mut self, key: &'static str, said: &Said<'_>, facts: &dyn Facts) {
        self.say(key, &[]);
        // "Yes cancel it" next is the refused request asked again, never a go-ahead
        // for something done.
        self.s.refused_at = Some(self.s.turns);
        identity::mark_asked_for_another(self, said, facts);
        // "…from order 1000…042": the number said with the refused change is the one
        // the next question is about ("can you at least tell me if it came?").
        if let Some(number) = said.entities.order_number.clone() {
            if !self.s.verified.contains(&number) {
                self.s.heard_order = Some(number);
            }
        }
    }

    /// "It's for my neighbour", "her order", or a relation's possessive with or without
    /// a name ("my wife Amara's rain jacket order", "my dad's parcel").
    pub(crate) fn speaks_for_another(&self, words: &[String]) -> bool {
        let ph = self.phrases();
        if ph.any("for_someone_else", words)
            || self.acts_for_someone(words)
            || self.says_whose_kin(words)
            || self.relation_wants(words)
        {
            return true;
        }
        // Whose order, parcel or account: "at my mum's" is a place, "my dad's name" a
        // name, neither an order of theirs.
        let owned_thing = |after: usize| {
            words.iter().skip(after).take(3).any(|w| {
                matches!(
                    w.as_str(),
                    "order" | "orders" | "parcel" | "package" | "delivery" | "purchase" | "account"
                )
            })
        };
        words.windows(2).enumerate().any(|(i, pair)| {
            let possessive = if pair[1].ends_with("'s") {
                Some(i + 2)
            } else {
                words
                    .get(i + 2)
                    .filter(|name| name.ends_with("'s"))
                    .map(|_| i + 3)
            };
            // "Order 1037… is my wife's": the possessive said of what was named before.
            // "That's my sister's number, mine is …" owns a detail, not the order: the
            // caller corrects the proof they gave.
            let owns_a_detail = words.get(i + 2).is_some_and(|w| {
                matches!(
                    w.as_str(),
                    "number"
                        | "phone"
                        | "mobile"
                        | "cell"
                        | "email"
                        | "e-mail"
                        | "address"
                        | "zip"
                        | "postcode"
                        | "card"
                        | "details"
                )
            });
            let said_of_it = pair[1].ends_with("'s")
                && !owns_a_detail
                && i.checked_sub(1).is_some_and(|b| {
                    matches!(words[b].as_str(), "is" | "it's" | "its" | "was" | "that's")
                });
            pair[0] == "my"
                && self.is_relation(&pair[1])
                && (possessive.is_some_and(owned_thing) || said_of_it)
        })
    }

    /// "I'm Fatima Kapoor's son", "this is Ada's husband": the caller names themselves
    /// by another's name, as their kin, so an order of that person is theirs, not the
    /// caller's. (On a household's speaker a member's kin is family: the household's own
    /// orders stay open to them, [`Engine::acts_for_another`].)
    pub(crate) fn says_whose_kin(&self, words: &[String]) -> bool {
        /// How far the possessive may come after "I'm": "I'm Fatima Kapoor's son".
        const NAME_WORDS: usize = 3;
        let ph = self.phrases();
        (0..words.len()).any(|i| {
            let says_who = matches!(words[i].as_str(), "i'm" | "im")
                || (words[i] == "am" && i > 0 && words[i - 1] == "i")
                || (words[i] == "is" && i > 0 && words[i - 1] == "this");
            says_who
                && (i + 1..(i + 1 + NAME_WORDS).min(words.len())).any(|j| {
                    words[j].ends_with("'s")
                        && words[j].len() > 3
                        && words
                            .get(j + 1)
                            .is_some_and(|w| ph.any("kin", std::slice::from_ref(w)))
                        && words[i + 1..j]
                            .iter()
                            .all(|w| !ph.any("kin", std::slice::from_ref(w)) && w != "a")
                })
        })
    }

    /// "Mum wants the refund sent to my card", "my husband would like it moved": what a
    /// relation wants, asked by the caller for them.
    /// ("My son wants a hoodie" is a purchase, no change of anyone's order.)
    fn relation_wants(&self, words: &[String]) -> bool {
        /// How far after the wanting the change to the order is named.
        const CHANGE_WITHIN: usize = 8;
        words.windows(2).enumerate().any(|(i, w)| {
            let wants = matches!(w[1].as_str(), "wants" | "needs" | "asked" | "asks")
                || (w[1] == "would" && words.get(i + 2).is_some_and(|n| n == "like"));
            // "My son wants": the relation; "I want" or "my order" are not one.
            let changes = || {
                let stems = self.phrases().list("order_change_stems");
                words
                    .iter()
                    .skip(i + 2)
                    .take(CHANGE_WITHIN)
                    .any(|w| stems.iter().any(|c| w.starts_with(c.as_str())))
            };
            wants && self.is_relation(&w[0]) && !w[0].ends_with("'s") && changes()
        })
    }

    /// "I'm doing this for my mum", "I'm the manager doing it for the customer", "just
    /// sorting it for a friend": the caller acts for someone, by the doing, not by what
    /// was bought ("the hoodie I bought for my mum" is the caller's own order).
    fn acts_for_someone(&self, words: &[String]) -> bool {
        const DOING: &[&str] = &[
            "doing",
            "sorting",
            "handling",
            "calling",
            "ringing",
            "phoning",
            "asking",
            "helping",
            "speaking",
            "acting",
            "cancelling",
            "canceling",
            "changing",
            "here",
        ];
        const SOMEONE: &[&str] = &[
            "customer",
            "client",
            "boss",
            "employer",
            "friend",
            "neighbour",
            "neighbor",
            "tenant",
            "patient",
            "resident",
            "colleague",
            "flatmate",
            "roommate",
            "lodger",
        ];
        words.iter().enumerate().any(|(i, w)| {
            let by_doing = i >= 1
                && (DOING.contains(&words[i - 1].as_str())
                    || (i >= 2
                        && matches!(words[i - 1].as_str(), "this" | "it" | "that")
                        && DOING.contains(&words[i - 2].as_str())));
            let whom = words.get(i + 2).is_some_and(|p| {
                let bare = p.strip_suffix("'s").unwrap_or(p);
                SOMEONE.contains(&bare) || self.is_relation(bare)
            });
            w == "for"
                && by_doing
                && matches!(
                    words.get(i + 1).map(String::as_str),
                    Some("my" | "the" | "a" | "our")
                )
                && whom
        })
    }

    /// "My aunt sent me a present", "my friend sent me a t-shirt as a gift": someone
    /// gave the caller the item, so the caller did not buy it. ("It was a gift" alone may
    /// be the buyer's own gift to someone; "I bought it as a gift for my sister" gives
    /// nothing to the caller.)
    fn given_as_a_gift(&self, words: &[String]) -> bool {
        self.phrases().any("given_to_me", words)
            && words
                .iter()
                .any(|w| matches!(w.as_str(), "gift" | "present"))
    }

    /// A relation's word, with or without its possessive ("mum", "wife's").
    fn is_relation(&self, w: &str) -> bool {
        let bare = [w.strip_suffix("'s").unwrap_or(w).to_string()];
        self.phrases().len_at("relations", &bare, 0) == Some(1)
    }

    /// "Put it on my mom's account", "use her card", "her order number is …": someone
    /// else's account named as what pays or proves a purchase. A gift bought for someone
    /// ("a hoodie for my mum") names no account of theirs.
    pub(crate) fn names_anothers_account(&self, words: &[String]) -> bool {
        if self.phrases().any("anothers_account", words) {
            return true;
        }
        words.windows(3).any(|w| {
            w[0] == "my"
                && w[1].ends_with("'s")
                && self.is_relation(&w[1])
                && matches!(
                    w[2].as_str(),
                    "account" | "card" | "order" | "details" | "phone" | "email" | "number"
                )
        })
    }

    /// Whether `goal` changes an order for someone the caller acts for, which is refused:
    /// every change, except the return of a gift the caller received (made for whoever
    /// placed the order, the refund going back to them, as the returns policy allows).
    pub(crate) fn change_refused_for_another(&self, goal: Goal, facts: &dyn Facts) -> bool {
        let gift_return = self.s.gift_received && goal == Goal::Return;
        goal.acts_on_the_order() && !gift_return && self.acts_for_another(facts)
    }

    /// A gift the caller received, returned for whoever placed the order: the refund has
    /// one way, back to whoever paid, and the label goes to the order's own contacts.
    pub(crate) fn returns_a_gift_for_another(&self) -> bool {
        self.s.gift_received && self.s.for_someone_else
    }

    /// The caller said they act for someone else, and that person is not one this device
    /// serves: on a household's own speaker, a member's order is the household's, but
    /// "it's for my neighbour Rosa" about an order of someone outside it is not.
    pub(crate) fn acts_for_another(&self, facts: &dyn Facts) -> bool {
        if !self.s.for_someone_else {
            return false;
        }
        let Some(household) = self.s.speaker else {
            return true;
        };
        if self.s.guest {
            return true;
        }
        let Some(focus) = self.s.focus.as_ref() else {
            return false;
        };
        !identity::household_holds(facts, household, focus)
    }

    pub(crate) fn start_goal(&mut self, goal: Goal, said: &Said<'_>, facts: &dyn Facts) {
        self.note_primary(said.intent);
        if !matches!(goal, Goal::Place | Goal::Reorder) {
            self.s.spending_needs_strong = false;
        }
        // "Not the address! Change the refund to store credit": how a return is refunded,
        // not where a parcel goes.
        // So is "change the refund on my return to a bank transfer" once a return was
        // opened in this call: that return's refund, not a second return.
        let just_returned =
            goal == Goal::Return && self.s.last_goal.is_some_and(|g| g.after_sales());
        let goal = if (matches!(goal, Goal::ChangeAddress | Goal::Status | Goal::Track)
            || just_returned)
            && said.address.is_none()
            && said.entities.refund_method.is_some()
            && self.phrases().any("changes_refund_way", &said.words)
        {
            Goal::ReturnStatus
        } else {
            goal
        };
        // "My order never came, I want my money back": a parcel lost, not a return; and
        // "delivered? well I haven't got it", told the order in hand was delivered, is
        // no question of where it is. ("Still not here, where is it?" before any order
        // is found asks where it is.)
        let delivered_in_focus = || {
            self.s
                .focus
                .as_deref()
                .and_then(|n| facts.order(n).ok().flatten())
                .is_some_and(|o| o.status == OrderStatus::Delivered)
        };
        let lost = match goal {
            Goal::Return => returns::parcel_never_came(self, said),
            Goal::Status | Goal::Track => {
                returns::parcel_never_came(self, said) && delivered_in_focus()
            }
            _ => false,
        };
        let goal = if lost { Goal::Problem } else { goal };
        // "And the street address?" about an order: where it goes, not a change of it.
        let goal = if goal == Goal::ChangeAddress
            && said.address.is_none()
            && orders::asks_where_it_goes(self, &said.words)
        {
            Goal::Status
        } else {
            goal
        };
        // "My neighbour asked me to move his order": a change is made for the person who
        // placed the order, not for someone acting for them (a household's own speaker
        // serves every member).
        let for_someone_else = self.speaks_for_another(&said.words);
        // "I'm calling for my wife, when will it come?": a question is answered once the
        // order is proved, and what the caller said of themselves holds for the rest of
        // the call ("…then send it to my office" is refused).
        if for_someone_else {
            self.s.for_someone_else = true;
        }
        let refused = self.change_refused_for_another(goal, facts);
        if for_someone_else && refused {
            self.refuse_for_another(p!("change_for_someone_else"), said, facts);
            self.anything_else();
            return;
        }
        // "Oh sorry, I misspoke, I AM Ravi": a caller who said they act for someone else
        // changes nothing in this call, whatever they say of themselves next.
        if refused {
            self.refuse_for_another(p!("change_after_someone_else"), said, facts);
            self.anything_else();
            return;
        }
        // "I'm thinking about buying a cardigan, if it doesn't fit can I send it back?":
        // a return asked of something not bought yet is a question of the rules.
        if matches!(goal, Goal::Return | Goal::Exchange)
            && said.entities.order_number.is_none()
            && self.phrases().any("not_bought_yet", &said.words)
        {
            // The caller's own words first ("… from the clearance section": final sale),
            // else the rules in short.
            let answer = facts
                .policy_answer(&said.text)
                .filter(|a| a.doc_id == "returns")
                .or_else(|| facts.policy_answer(RETURN_RULES_QUESTION));
            if let Some(answer) = answer {
                self.s.fallbacks = 0;
                self.note_primary(Intent::PolicyQuestion);
                self.say_policy_passage(&answer.text);
                return;
            }
        }
        // What was said of the last return's item is no longer what the caller is on.
        self.s.nothing_to_send_back = false;
        let mut cues = said.cues.clone();
        // "No, that's not it": the order just discussed is the one not meant.
        if self.phrases().any("not_that_order", &said.words) && !cues.contains(&Cue::OtherOrder) {
            cues.push(Cue::OtherOrder);
        }
        // "I'm Ada's cleaner, she asked me to check what's coming this week": a guest of
        // the household hears none of its orders, so why is said at once, and no detail
        // is asked only to be refused. An order of the guest's own is asked as any other.
        if self.s.guest
            && self.s.speaker.is_some()
            && goal.needs_order()
            && goal != Goal::Confirm
            && said.entities.order_number.is_none()
            && !self.phrases().any("own_order_said", &said.words)
        {
            self.say(p!("guest_asks_household_orders"), &[]);
            self.end_task();
            self.anything_else();
            return;
        }
        let mut task = Task::new(goal, said.words.clone(), cues, said.entities.clone());
        task.unsure = said.confidence < self.config.dialog.switch_confidence;
        identity::take_entities(self, &mut task, said);
        // A confirmation call paused for an address or date change comes back after it.
        if let Some(current) = self.task.take() {
            // So does one paused for a question of the same order ("if the cardigan
            // doesn't fit, can I send it back?"): once answered, the call goes on.
            let about_it = matches!(
                goal,
                Goal::Return | Goal::Exchange | Goal::Problem | Goal::Status | Goal::Track
            ) && task.order.is_none()
                && said.entities.order_number.is_none()
                && !said.has(Cue::OtherOrder);
            if current.goal() == Goal::Confirm
                && (matches!(goal, Goal::ChangeAddress | Goal::Reschedule) || about_it)
            {
                task.order = current.order.clone();
                task.resume = Some(Box::new(current));
            } else if switches_what_to_do(current.goal(), goal)
                && task.order.is_none()
                && self.s.heard_order.is_none()
                && !said.has(Cue::OtherOrder)
            {
                // "Actually, could I swap it instead of a refund?" halfway through a
                // return: the same verified order, not a new check of it.
                task.order = current
                    .order
                    .clone()
                    .filter(|n| self.s.verified.contains(n));
                // "Swap it": the item named at the start is still the one meant.
                if task.heard.product.is_none() {
                    if let Some(sku) = current.heard.product.clone() {
                        task.heard.product = Some(sku.clone());
                        task.after_sale().product = Some(sku);
                    }
                }
            }
        }
        // "Deliver it to my work instead: 1500 Blake Street, Denver 80202": the new
        // address said with the request is kept through the check, not asked again.
        if goal == Goal::ChangeAddress {
            if let Some(heard) = &said.address {
                crate::request::merge_address(task.address(), heard);
            }
        }
        self.task = Some(task);
        self.ask = Ask::Nothing;
        self.advance(facts);
    }

    /// Drives the current request until it asks something or is done.
    pub(crate) fn advance(&mut self, facts: &dyn Facts) {
        let Some(goal) = self.task.as_ref().map(|t| t.goal()) else {
            return;
        };
        if goal.needs_order()
            && self.task.as_ref().is_some_and(|t| t.order.is_none())
            && !identity::resolve_order(self, facts)
        {
            return;
        }
        // "Cancel order 1000…080 for my neighbour" on a household's speaker (whose order
        // it is, is known once it is proved), or "it's my wife's order" said while
        // answering the identity question, or "I'm his son" said after it: a change asked
        // by someone acting for another is refused at whatever step it comes out.
        if self.change_refused_for_another(goal, facts) {
            self.say(p!("change_for_someone_else"), &[]);
            if let Some(number) = self.s.focus.clone() {
                identity::mark_order_for_another(self, &number, facts);
            }
            self.end_task();
            self.anything_else();
            return;
        }
        // "I started a return for the beanies, where's that at?" heard as the order's
        // status: an order with a return, asked about in words of returning, is asked
        // about its return.
        let goal = if goal == Goal::Status && self.asks_after_its_return(facts) {
            self.task().become_goal(Goal::ReturnStatus);
            Goal::ReturnStatus
        } else {
            goal
        };
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

    /// Whether the request speaks of returning ("my return", "sent them back") about an
    /// order that has a return on record.
    fn asks_after_its_return(&self, facts: &dyn Facts) -> bool {
        let Some(task) = self.task.as_ref() else {
            return false;
        };
        let Some(number) = task.order.as_ref() else {
            return false;
        };
        self.phrases().any("speaks_of_return", &task.words)
            && facts.returns_of(number).is_ok_and(|r| !r.is_empty())
    }

    pub(crate) fn task(&mut self) -> &mut Task {
        self.task.as_mut().expect("a request is in progress")
    }

    pub(crate) fn task_ref(&self) -> Option<&Task> {
        self.task.as_ref()
    }

    /// The current request is done: resume a paused one, or offer more help.
    pub(crate) fn complete(&mut self) {
        self.s.completed += 1;
        self.s.completed_at = Some(self.s.turns);
        self.s.last_goal = self.task.as_ref().map(|t| t.goal());
        let resume = self.task.take().and_then(|t| t.resume);
        self.ask = Ask::Nothing;
        if let Some(paused) = resume {
            self.task = Some(*paused);
            return;
        }
        if !self.s.queue.is_empty() {
            // Asked as a question, so that a reprompt repeats this one.
            let key = if self.s.queue.len() == 1 {
                p!("next_order_offer_one")
            } else {
                p!("next_order_offer")
            };
            self.ask(
                Ask::YesNo(YesNo::NextOrder),
                key,
                &[("count", st::number_words(self.s.queue.len() as u64))],
            );
            return;
        }
        self.anything_else();
    }

    /// Ends the current request without doing it (the caller declined, or policy does
    /// not allow it and the caller was told why): handled, nothing left pending.
    pub(crate) fn drop_task(&mut self) {
        // A confirmation call paused for this request goes on.
        let paused = self.task.as_mut().and_then(|t| t.resume.take());
        self.end_task();
        if let Some(paused) = paused {
            self.task = Some(*paused);
            self.ask = Ask::Nothing;
            return;
        }
        self.anything_else();
    }

    /// Counts the current request as handled and forgets it, saying nothing.
    pub(crate) fn end_task(&mut self) {
        self.s.completed += 1;
        // Ended short of done (refused, or handed to an offer) the order was discussed
        // all the same.
        self.s.completed_at = Some(self.s.turns);
        self.s.last_goal = self.task.take().map(|t| t.goal());
    }

    /// Resumes a request paused for another (see [`Task::resume`]) right away.
    pub(crate) fn resume_if_paused(&mut self, facts: &dyn Facts) {
        if self.task.is_some() && self.ask == Ask::Nothing {
            self.advance(facts);
        }
    }

    pub(crate) fn ask_again(&mut self) {
        if self.ask != Ask::Nothing && self.say_pending_question(true) {
            return;
        }
        if matches!(self.ask, Ask::YesNo(YesNo::AnythingElse)) {
            self.say(p!("anything_else"), &[]);
        }
    }

    /// Says the question last asked again, in its prescriptive form after a miss or as
    /// first asked; false when no question was asked.
    /// Asks the pending question again in its short form, after an aside answered in
    /// the middle of it. False when no question is pending.
    pub(crate) fn say_pending_question_short(&mut self) -> bool {
        let Some((key, args)) = self.ask_key.clone() else {
            return false;
        };
        let args: Vec<(&str, String)> = args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        self.say_short(key, &args);
        true
    }

    pub(crate) fn say_pending_question(&mut self, prescriptive: bool) -> bool {
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

    pub(crate) fn missed(&mut self) {
        self.s.misses += 1;
        if self.s.misses >= self.config.dialog.max_misses {
            self.s.misses = 0;
            self.s.offered_over = (self.ask != Ask::Nothing && self.task.is_some())
                .then(|| (self.ask.clone(), self.ask_key.clone()));
            self.say(p!("too_many_misses"), &[]);
            self.offer_human(HandOffReason::NotUnderstood);
            return;
        }
        // "Sorry, I didn't quite get that. Sorry, I couldn't verify…": a question asked
        // again that apologises already needs no apology before it.
        if !self.pending_question_apologises() {
            self.say(p!("missed"), &[]);
        }
        self.ask_again();
    }

    fn pending_question_apologises(&self) -> bool {
        if self.ask == Ask::Nothing {
            return false;
        }
        let Some((key, args)) = &self.ask_key else {
            return false;
        };
        let args: Vec<(&str, String)> = args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        self.catalog
            .render(key, self.s.misses as usize, true, &args)
            .starts_with("Sorry")
    }

    /// The words are phrases of `list` and courtesy words, nothing else.
    /// The caller keeps what the request would undo: "don't cancel it", "I'll keep it",
    /// said at an open question of a cancellation, return, exchange or subscription
    /// change, naming no item or position (those pick what to keep).
    pub(crate) fn keeps_it(&self, said: &Said<'_>) -> bool {
        let undoing = self.undoing_request();
        // A yes/no question ("cancel the whole order?") hears "no, keep it" as its no,
        // with whatever that question says next.
        let yes_no = matches!(self.ask, Ask::YesNo(_) | Ask::ConfirmWho);
        let ph = self.phrases();
        // "I'll keep the second one" answers which item; "I saw the sheets cheaper...
        // never mind, I'll keep it. Don't cancel anything" takes the request back: what
        // follows the keeping words says which.
        let takes_back = (0..said.words.len()).any(|i| {
            ph.len_at("keep", &said.words, i).is_some_and(|n| {
                said.words.get(i + n).is_none_or(|w| {
                    matches!(
                        w.as_str(),
                        "it" | "them" | "anything" | "everything" | "then" | "please" | "thanks"
                    )
                })
            })
        });
        let names_what = said.entities.product.is_some() || !said.ordinals.is_empty();
        undoing && !yes_no && ph.any("keep", &said.words) && (takes_back || !names_what)
    }

    /// What was asked is never done by voice: said so, whatever was in progress is
    /// dropped, and the team is offered (the prompt ends on that offer).
    fn not_by_voice(&mut self, key: &'static str) {
        self.s.fallbacks = 0;
        self.ask = Ask::Nothing;
        self.task = None;
        self.say(key, &[]);
        self.offer_human(HandOffReason::Requested);
    }

    /// Whether a refund is asked to go to a card other than the one that paid ("my old
    /// card is closed, put the refund on my new card"), at no question of a request.
    fn redirects_a_refund_to_another_card(&self, said: &Said<'_>) -> bool {
        let ph = self.phrases();
        let free = matches!(
            self.ask,
            Ask::Nothing | Ask::YesNo(YesNo::AnythingElse | YesNo::OfferHuman)
        );
        free && said.entities.order_number.is_none()
            && ph.any("refund", &said.words)
            && ph.any("refund_card_elsewhere", &said.words)
    }

    /// Whether the caller takes back the change made in the last two turns ("I didn't
    /// mean that, put it back how it was"), at no question of a request of their own.
    fn takes_back_the_change_just_made(&self, said: &Said<'_>) -> bool {
        /// Further back than this, "put it back" is about something else.
        const TURNS_SINCE_CHANGE: u32 = 2;
        let lately = self
            .s
            .changed_at
            .is_some_and(|at| self.s.turns.saturating_sub(at) <= TURNS_SINCE_CHANGE);
        let free = matches!(self.ask, Ask::Nothing | Ask::YesNo(YesNo::AnythingElse));
        lately
            && free
            && said.entities.order_number.is_none()
            && self.phrases().any("takes_back_change", &said.words)
    }

    /// Whether the request in progress would undo something: a cancellation, a return,
    /// an exchange or a subscription change, which keeping words ("leave it alone")
    /// take back.
    pub(crate) fn undoing_request(&self) -> bool {
        self.task.as_ref().is_some_and(|t| {
            matches!(
                t.goal(),
                Goal::Cancel | Goal::Return | Goal::Exchange | Goal::Subscription
            )
        })
    }

    /// Whether the words only acknowledge ("ok", "alright then", "I see").
    pub(crate) fn only_acknowledgement(&self, words: &[String]) -> bool {
        let ph = self.phrases();
        ph.any("acknowledge", words)
            && ph
                .without_each(&["acknowledge", "courtesy"], words)
                .is_empty()
    }

    pub(crate) fn only_courtesy(&self, said: &Said<'_>, list: &str) -> bool {
        let ph = self.phrases();
        let rest = ph.without_each(&[list, "courtesy", "goodbye_words"], &said.words);
        rest.is_empty() && !said.words.is_empty()
    }

    /// A question (asked as one: "will", "can", "how" …) about the shop's deliveries,
    /// orders or refunds.
    fn asks_of_our_service(&self, said: &Said<'_>) -> bool {
        // "Oh lovely, and will the driver …": a question may open after a word or two
        // of its own, at a lead word ("and", "so").
        let ph = self.phrases();
        let opens_at = |i: usize| {
            (i == 0 || ph.len_at("question_lead", &said.words, i - 1).is_some())
                && (ph.len_at("question_openers", &said.words, i).is_some()
                    || ph.len_at("yes_no_openers", &said.words, i).is_some())
        };
        let asked =
            said.text.trim_end().ends_with('?') || (0..said.words.len().min(4)).any(opens_at);
        asked && self.phrases().any("of_our_service", &said.words)
    }

    /// Whether the words name anything of this shop's: an order, a contact detail, a
    /// zip or a product. ("What's the weather today" names only a day.)
    fn names_something_of_ours(&self, said: &Said<'_>) -> bool {
        let e = &said.entities;
        e.order_number.is_some()
            || e.email.is_some()
            || e.phone_number.is_some()
            || e.zip_code.is_some()
            || e.product.is_some()
    }

    /// Whether the words ask for a person, and the asking is not itself negated: "I don't
    /// need to speak to someone" is no request, "that's not acceptable, get me a
    /// manager" is.
    fn asks_for_a_person(&self, said: &Said<'_>) -> bool {
        let Some(at) = self.phrases().find("ask_person", &said.words) else {
            return false;
        };
        let before = &said.words[at.saturating_sub(NEGATION_REACH)..at];
        // "That's not acceptable. Get me a manager": a negation that judges what
        // happened ("not acceptable", "not good enough") does not take back the request.
        !before.iter().enumerate().any(|(k, w)| {
            let judges = before.get(k + 1).is_some_and(|n| {
                matches!(
                    n.as_str(),
                    "acceptable"
                        | "good"
                        | "happy"
                        | "fair"
                        | "ok"
                        | "okay"
                        | "right"
                        | "on"
                        | "helpful"
                        | "funny"
                        | "working"
                        | "great"
                        | "impressed"
                )
            });
            !judges
                && matches!(
                    w.as_str(),
                    "not" | "no" | "don't" | "dont" | "never" | "without" | "won't" | "needn't"
                )
        })
    }

    /// "So what can I do then?" just after a refusal or an answer: what else can be done
    /// is for the team to look at, which is offered; never the menu or "I can't help
    /// with that". True when offered.
    fn what_now_after_an_answer(&mut self, said: &Said<'_>) -> bool {
        let recent = |turn: Option<u32>| turn.is_some_and(|t| t + 2 >= self.s.turns);
        let after_an_answer = recent(self.s.refused_at)
            || recent(self.s.last_policy.as_ref().map(|(t, _)| *t))
            || recent(self.s.completed_at);
        if !after_an_answer || !self.phrases().any("what_now", &said.words) {
            return false;
        }
        self.say(p!("what_now_team"), &[]);
        self.offer_human(HandOffReason::Requested);
        true
    }

    pub(crate) fn fallback(&mut self, said: &Said<'_>) {
        // A clear sentence about nothing this shop does ("tell me a joke", "what time does
        // the pharmacy open") was understood: it is said so each time, and never counts
        // towards "I'm having trouble understanding".
        // A near miss between two requests is worth a clarifying question.
        let offered: Vec<(Intent, String)> = said
            .alternatives
            .iter()
            .filter(|a| a.confidence >= self.config.dialog.clarify_confidence)
            .filter_map(|a| Some((a.intent, Goal::from_intent(a.intent)?)))
            .take(2)
            .map(|(intent, g)| (intent, self.text(g.label_key(), &[])))
            .collect();
        let options: Vec<String> = offered.iter().map(|(_, label)| label.clone()).collect();
        if options.len() < 2 && self.what_now_after_an_answer(said) {
            return;
        }
        let plainly_elsewhere = options.len() < 2
            && said.words.len() >= 4
            && !self.names_something_of_ours(said)
            && said.intent == Intent::Fallback
            && (said.confidence >= self.config.dialog.switch_confidence
                || said.has(Cue::Elsewhere));
        // "Will the driver need me to sign?": a question about the shop's own deliveries
        // or orders that no passage answers is not someone else's business.
        if options.len() < 2 && said.words.len() >= 3 && self.asks_of_our_service(said) {
            self.ask = Ask::Nothing;
            self.ask_key = None;
            self.say(p!("policy_unknown"), &[]);
            self.offer_human(HandOffReason::Requested);
            return;
        }
        if plainly_elsewhere {
            self.ask = Ask::Nothing;
            self.ask_key = None;
            let store = self.config.store.name.clone();
            self.say(p!("out_of_scope"), &[("store", store)]);
            return;
        }
        self.s.fallbacks += 1;
        if self.s.fallbacks >= self.config.dialog.max_fallbacks {
            self.s.fallbacks = 0;
            self.say(p!("fallback_offer_human"), &[]);
            self.offer_human(HandOffReason::NotUnderstood);
            return;
        }
        // Whatever was asked before, the clarifying question is now the one pending.
        self.ask = Ask::Nothing;
        self.ask_key = None;
        if options.len() == 2 {
            self.say(p!("clarify"), &[("options", st::list_or(&options))]);
            self.s.clarified_at = Some(self.s.turns);
            self.s.clarifying = Some((said.heard.clone(), offered));
        } else if said.words.len() >= 4 && !self.names_something_of_ours(said) {
            // A clear sentence about nothing this shop does ("tell me a joke", "what's
            // the weather"): said so, with what it can do, not "I didn't catch that".
            let store = self.config.store.name.clone();
            self.say(p!("out_of_scope"), &[("store", store)]);
        } else {
            self.say(p!("fallback"), &[]);
        }
    }

    pub(crate) fn repeat(&mut self) {
        // After "sorry, I didn't get that …", "repeat" wants the question itself (the
        // order read out), not the apology and its instructions again.
        if self.s.misses > 0 && self.ask != Ask::Nothing && self.say_pending_question(false) {
            self.step.slow = true;
            return;
        }
        let last = self.s.last_reply.clone();
        if last.is_empty() {
            self.say(p!("nothing_to_repeat"), &[]);
        } else {
            self.out.push(last);
            self.step.slow = true;
        }
    }

    pub(crate) fn help(&mut self) {
        if self.ask != Ask::Nothing && !matches!(self.ask, Ask::YesNo(YesNo::AnythingElse)) {
            self.s.misses = self.s.misses.max(1);
            self.ask_again();
            return;
        }
        self.say(p!("help"), &[]);
        self.ask = Ask::Nothing;
    }

    /// Whether the caller's household subscribes to the product said, or another size
    /// or colour of it.
    fn subscribes_to_named(&self, said: &Said<'_>, facts: &dyn Facts) -> bool {
        let (Some(sku), Some(cid)) = (said.entities.product.as_deref(), self.s.customer) else {
            return false;
        };
        let family = facts.product(sku).ok().flatten().map(|p| p.family);
        facts.subscriptions_of(cid).is_ok_and(|subs| {
            commerce::subscription_to(&subs, sku, family.as_deref(), facts).is_some()
        })
    }

    pub(crate) fn goodbye(&mut self) {
        // A hand-off the caller took up, put off for another request: leaving now is
        // leaving to the team, as agreed.
        if self.hand_off_put_off() {
            return;
        }
        // "Thanks" at the tracking link's offer, with the return policy asked in the
        // same breath still to answer: the offer is passed over and the question taken
        // up. Only a goodbye said ends the call before it.
        let closing_offer = matches!(
            self.ask,
            Ask::YesNo(YesNo::TrackingLink | YesNo::NextOrder | YesNo::AnythingElse)
        );
        if closing_offer && !self.s.later.is_empty() && !self.s.goodbye_said {
            if self.task.take().is_some() {
                self.s.completed += 1;
            }
            self.ask = Ask::Nothing;
            self.s.take_later = true;
            return;
        }
        // "That's everything, thanks" with a return read back but not yet booked: the
        // caller must not leave thinking it was done.
        let unfinished_change = self.task.as_ref().is_some_and(|t| {
            !t.told
                && matches!(
                    t.goal(),
                    Goal::Cancel
                        | Goal::Return
                        | Goal::Exchange
                        | Goal::Problem
                        | Goal::Reschedule
                        | Goal::ChangeAddress
                        | Goal::Place
                        | Goal::Reorder
                )
                && matches!(self.ask, Ask::YesNo(YesNo::Proceed))
        });
        // "Okay, thanks, bye" to "can you confirm it?": the order is still waiting.
        let unconfirmed = self.task.as_ref().is_some_and(|t| {
            t.goal() == Goal::Confirm && !t.confirmed && matches!(self.ask, Ask::ConfirmCall)
        });
        if unconfirmed {
            self.say(p!("goodbye_unconfirmed"), &[]);
        }
        if unfinished_change {
            self.say(p!("goodbye_nothing_done"), &[]);
        }
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
    pub(crate) fn withdraw(&mut self, said: &Said<'_>, facts: &dyn Facts) {
        self.step.answered = true;
        self.s.misses = 0;
        self.s.heard_order = None;
        self.s.heard_factors = None;
        // A change asked in the middle of a confirmation call gives way to the call.
        let taken_back = self.task.take();
        let withdrawn = taken_back.as_ref().map(Task::goal);
        let paused = taken_back.and_then(|t| t.resume);
        self.ask = Ask::Nothing;
        self.s.completed += 1;
        if said.intent == Intent::EndConversation || said.has(Cue::Goodbye) {
            self.goodbye();
            return;
        }
        self.say(p!("not_done"), &[]);
        // "I don't want to cancel any more, I want it sent to my office": the request
        // said in its place is taken up at once.
        // "Actually I don't want to cancel, just tell me when it arrives": the order's
        // status, whatever the classifier made of the cancel words.
        let instead = if self.phrases().any("deliver_elsewhere", &said.words) {
            Some(Goal::ChangeAddress)
        } else if self.phrases().any("tell_me_when", &said.words) {
            Some(Goal::Status)
        } else {
            Goal::from_intent(said.intent)
        }
        .filter(|g| Some(*g) != withdrawn);
        match (paused, instead) {
            (Some(paused), _) => self.task = Some(*paused),
            (None, Some(goal)) => self.start_goal(goal, said, facts),
            (None, None) => self.anything_else(),
        }
    }

    /// The verified order in focus as the store holds it now (`None` when there is none
    /// or it cannot be read).
    pub(crate) fn focus_order(&self, facts: &dyn Facts) -> Option<Order> {
        self.order_in_focus()
            .and_then(|n| facts.order(n).ok().flatten())
    }

    pub(crate) fn refuse_card(&mut self, facts: &dyn Facts) {
        // Only a verified order's card is named, by its last four only to whom they may
        // be said (`card_words`).
        let card = self
            .focus_order(facts)
            .filter(|o| o.payment.brand.is_some())
            .map(|o| crate::speak::card_words(self, facts, &o));
        self.s.card_asked = true;
        match card {
            Some(card) => self.say(p!("card_refused_with_last4"), &[("card", card)]),
            None => self.say(p!("card_refused"), &[]),
        }
    }

    /// "Do you sell laptops?", "any printer ink for sale?" about nothing the catalog
    /// has: not about where or how the shop sells ("do you sell internationally?").
    fn asks_if_sold_unknown(&self, said: &Said<'_>, facts: &dyn Facts) -> bool {
        let ph = self.phrases();
        // "Is my order in stock?" is about an order, not the catalog.
        let of_an_order = said
            .words
            .iter()
            .any(|w| matches!(w.as_str(), "my" | "order" | "orders"));
        let of_the_last_product = self.s.last_product.is_some()
            && said.words.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "it" | "them" | "one" | "ones" | "those" | "these"
                )
            });
        // "…and do you have a size 12 in stock?" after a question about the sneakers: a
        // size or colour the product asked about last comes in.
        let a_variant_of_the_last_product = self.s.last_product.is_some()
            && commerce::names_a_variant_of_the_last_product(self, said, facts);
        let about_something_known = of_an_order
            || of_the_last_product
            || a_variant_of_the_last_product
            || said.entities.product.is_some()
            || ph.any("sold_where", &said.words)
            || ph.any("refers_back", &said.words);
        ph.any("asks_if_sold", &said.words) && !about_something_known
    }

    pub(crate) fn policy(&mut self, said: &Said<'_>, facts: &dyn Facts) {
        // "Do you sell laptops?" is about the catalog, whatever policy text shares its
        // words; a product the catalog has was answered before this.
        if self.asks_if_sold_unknown(said, facts) {
            self.say(p!("product_not_sold"), &[]);
            self.s.completed += 1;
            self.anything_else();
            return;
        }
        // "That's about discount codes, I asked about gift cards": the passage just
        // given is not said again word for word; the documents do not say more.
        let last_turn = self.s.turns.saturating_sub(1);
        let repeated = |text: &str| self.s.last_policy.as_ref() == Some(&(last_turn, text.into()));
        let asked_us_before = |text: &str| {
            self.s.last_policy.as_ref().is_some_and(|(_, t)| t == text) && self.asks_us(text)
        };
        match self.find_policy(said, facts) {
            // "I said close my account please" after "to close your account, ask us":
            // asked, so the team does it.
            Some(answer) if asked_us_before(&answer.text) => {
                self.hand_off_saying(HandOffReason::Requested, p!("handoff_to_do_it"), &[]);
            }
            Some(answer) if repeated(&answer.text) => {
                self.say(p!("policy_unknown"), &[]);
                self.offer_human(HandOffReason::Requested);
            }
            Some(answer) => self.say_policy_answer(&answer),
            // "Do you sell iPhones?" about nothing in the catalog: a plain no.
            None if self.phrases().any("asks_stock", &said.words) => {
                self.say(p!("product_not_sold"), &[]);
                self.s.completed += 1;
                self.anything_else();
            }
            None => {
                self.say(p!("policy_unknown"), &[]);
                self.offer_human(HandOffReason::Requested);
            }
        }
    }

    /// The passage of the shop's documents that answers what was said. A question
    /// following on from the passage just given ("and roughly how long would it take to
    /// get here?" after shipping abroad) is asked within that passage's section first.
    fn find_policy(&self, said: &Said<'_>, facts: &dyn Facts) -> Option<PolicyAnswer> {
        let follows_on = self
            .s
            .last_policy
            .as_ref()
            .is_some_and(|(turn, _)| *turn + 1 == self.s.turns)
            && self
                .phrases()
                .len_at("follows_on", &said.words, 0)
                .is_some();
        let plain = facts.policy_answer(&said.text);
        let within = self
            .s
            .last_section
            .as_ref()
            .filter(|_| follows_on)
            .and_then(|section| facts.policy_answer_within(&said.text, section))
            // The topic kept when it answers nearly as well as any passage: "and what
            // happens if nobody's in?" after shipping abroad is about something else.
            .filter(|w| {
                plain
                    .as_ref()
                    .is_none_or(|p| w.score >= FOLLOW_UP_SHARE * p.score)
            });
        within
            .or(plain)
            .filter(|answer| self.passage_on_topic(&said.words, answer))
    }

    /// Whether a passage is about the subjects the question names: "is the gift card sent
    /// by email?" shares "sent" and "email" with the passage on closing an account, but
    /// that passage says nothing of gift cards, so it answers another question; nor does
    /// one on discount codes answer "I asked about gift cards". A question naming no such
    /// subject takes the passage found.
    pub(crate) fn passage_on_topic(&self, words: &[String], answer: &PolicyAnswer) -> bool {
        let ph = self.phrases();
        let passage = crate::locale::words(&format!("{} {}", answer.section, answer.text));
        let generic = ph.list("topic_generic_words");
        (0..words.len()).all(|at| {
            let Some(len) = ph.len_at("policy_topics", words, at) else {
                return true;
            };
            words[at..at + len]
                .iter()
                .filter(|w| !generic.contains(w))
                .any(|w| passage.iter().any(|p| pw::same_noun(p, w)))
        })
    }

    /// [`Engine::say_policy_passage`] for an answer found, remembering its section.
    fn say_policy_answer(&mut self, answer: &PolicyAnswer) {
        self.s.last_section = Some(answer.section.clone());
        self.say_policy_passage(&answer.text);
    }

    /// Says a passage of the shop's documents as the answer to a question, remembered so
    /// that it is not said twice in a row and what it tells the caller to ask is known.
    fn say_policy_passage(&mut self, text: &str) {
        self.push_passage(text);
        self.s.last_policy = Some((self.s.turns, text.to_string()));
        self.s.completed += 1;
        self.anything_else();
    }

    /// An answer to the pending question followed by a question of the shop's rules in a
    /// sentence of its own: the rule is said first (the answer is then taken as usual).
    fn answer_the_question_after_an_answer(&mut self, said: &Said<'_>, facts: &dyn Facts) {
        // A yes or no with a question after it is read as a whole elsewhere ("no thanks,
        // can I pay by card instead?" asks to pay, not a rule).
        let pending = !matches!(self.ask, Ask::Nothing | Ask::YesNo(_));
        if !pending
            || said.keypad
            || said.intent != Intent::PolicyQuestion
            || said.entities.is_empty()
        {
            return;
        }
        let text = said.text.trim();
        let Some(end) = text
            .trim_end_matches(['?', '.', '!', ' '])
            .rfind(['.', '!', '?'])
        else {
            return;
        };
        let last = text[end + 1..].trim();
        let words = crate::locale::words(last);
        let asks = last.ends_with('?') || self.opens_with(&words, "question_openers");
        if words.len() < 3 || !asks {
            return;
        }
        if let Some(answer) = facts.policy_answer(last) {
            self.s.last_policy = Some((self.s.turns, answer.text.clone()));
            self.push_passage(&answer.text);
        }
    }

    /// Says a policy passage, unless this turn's reply already said it in other words
    /// ("we email you a secure link for bank details" twice): most of its content words
    /// said already means the caller would hear the same rule again.
    fn push_passage(&mut self, text: &str) {
        let content = |t: &str| -> Vec<String> {
            crate::locale::words(t)
                .into_iter()
                .filter(|w| w.chars().count() > 3)
                .collect()
        };
        let passage = content(text);
        let said: std::collections::HashSet<String> =
            self.out.iter().flat_map(|line| content(line)).collect();
        let known = passage.iter().filter(|w| said.contains(*w)).count();
        if passage.is_empty() || known * 5 < passage.len() * 3 {
            self.out.push(st::plain(text));
        }
    }

    /// Whether a policy passage tells the caller to ask the shop ("to close your account,
    /// ask us"): asking this agent is asking the team.
    pub(crate) fn asks_us(&self, text: &str) -> bool {
        self.phrases().any("ask_us", &crate::locale::words(text))
    }

    /// The last turn's answer was a policy passage that says to ask the shop.
    pub(crate) fn policy_just_said_ask_us(&self) -> bool {
        self.s
            .last_policy
            .as_ref()
            .is_some_and(|(turn, text)| *turn + 1 == self.s.turns && self.asks_us(text))
    }

    /// Passes the caller to a person with a summary of the conversation.
    pub(crate) fn hand_off(&mut self, reason: HandOffReason) {
        let key = match reason {
            HandOffReason::Complaint => p!("handoff_complaint"),
            HandOffReason::LongDelay => p!("handoff_delay"),
            HandOffReason::NotReceived => p!("handoff_not_received"),
            HandOffReason::Exception => p!("handoff_exception"),
            HandOffReason::Disputed if self.s.called_about.is_some() => p!("handoff_disputed"),
            HandOffReason::Disputed => p!("handoff_fraud"),
            HandOffReason::WrongNumber => p!("handoff_wrong_number"),
            _ => p!("handoff"),
        };
        self.hand_off_saying(reason, key, &[]);
    }

    /// Makes the hand-off put off for the requests said with it, if there is one. True
    /// when the call was handed off.
    pub(crate) fn hand_off_put_off(&mut self) -> bool {
        let Some((reason, key, args, order_number)) = self.s.handoff_after.take() else {
            return false;
        };
        let args: Vec<(&str, String)> = args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        self.hand_off_about(reason, key, &args, order_number);
        true
    }

    /// Hands the call to a person, saying `key` (why, in the words of the request).
    pub(crate) fn hand_off_saying(
        &mut self,
        reason: HandOffReason,
        key: &'static str,
        args: &[(&str, String)],
    ) {
        // A request said in the same breath is done before a hand-off the team reviews
        // later (a long delay, an exception), so it is not lost with the call; one the
        // caller needs now (a complaint, a person asked for) goes at once.
        let reviewed = matches!(
            reason,
            HandOffReason::LongDelay | HandOffReason::Exception | HandOffReason::NotReceived
        );
        let order_number = self
            .task
            .as_ref()
            .and_then(|t| t.order.clone())
            .or_else(|| self.s.focus.clone())
            // The number an angry caller said before any check: the team needs it, and
            // the summary marks it unverified.
            .or_else(|| self.s.heard_order.clone());
        if reviewed && !self.s.later.is_empty() && self.s.handoff_after.is_none() {
            let args = args
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect();
            // The hand-off is about this order, whichever the next request is about.
            self.s.handoff_after = Some((reason, key, args, order_number));
            // The orders still to go through are the team's now.
            self.s.queue.clear();
            self.say(p!("handoff_after_other"), &[]);
            self.task = None;
            self.anything_else();
            return;
        }
        self.hand_off_about(reason, key, args, order_number);
    }

    /// Hands the call to a person about `order_number`, saying `key`.
    fn hand_off_about(
        &mut self,
        reason: HandOffReason,
        key: &'static str,
        args: &[(&str, String)],
        order_number: Option<String>,
    ) {
        let summary = self.summary(reason, order_number.as_deref());
        self.change(Change::HandOff {
            reason,
            order_number,
            summary,
        });
        self.say(key, args);
        self.s.escalated = true;
        self.s.ended = true;
        self.task = None;
        self.ask = Ask::Nothing;
    }

    pub(crate) fn summary(&self, reason: HandOffReason, order: Option<&str>) -> String {
        let mut parts = vec![format!("reason: {}", reason.as_str())];
        if let Some(intent) = self.s.primary {
            parts.push(format!("request: {intent}"));
        }
        let also: Vec<String> = self
            .s
            .asked
            .iter()
            .filter(|i| Some(**i) != self.s.primary)
            .map(|i| i.to_string())
            .collect();
        if !also.is_empty() {
            parts.push(format!("also asked: {}", also.join(", ")));
        }
        if let Some(task) = &self.task {
            parts.push(format!("in progress: {:?}", task.goal()));
        }
        if let Some(order) = order {
            let verified = self.s.verified.iter().any(|v| v == order);
            parts.push(format!("order: {order} (verified: {verified})"));
        }
        if !self.s.done.is_empty() {
            parts.push(format!("done: {}", self.s.done.join(", ")));
        }
        if self.s.failures > 0 || self.s.locked_out {
            let locked = if self.s.locked_out {
                "; voice look-ups locked"
            } else {
                ""
            };
            parts.push(format!(
                "identity: {} failed check(s){locked}",
                self.s.failures
            ));
        }
        if let Some(items) = &self.s.report_items {
            parts.push(format!("report: {items}"));
        }
        if let Some(task) = self.task.as_ref().filter(|_| self.s.report_items.is_none()) {
            if let Request::Return(a) | Request::Exchange(a) | Request::Problem(a) = &task.req {
                if !a.lines.is_empty() {
                    let lines: Vec<String> = a
                        .lines
                        .iter()
                        .map(|(l, q)| format!("{q} of line {l}"))
                        .collect();
                    parts.push(format!("items: {}", lines.join(", ")));
                }
                if let Some(problem) = a.problem {
                    parts.push(format!("problem: {problem:?}"));
                }
            }
        }
        // Requests said in the same breath and not reached: the team takes them up
        // ("then the wipes every four weeks" after a late order handed over).
        let waiting: Vec<String> = self
            .s
            .later
            .iter()
            .map(|h| {
                let words: String = voxorder_domain::pii::mask_text(h.text.trim())
                    .chars()
                    .take(MAX_SUMMARY_LINE)
                    .collect();
                format!("{} \"{words}\"", h.intent)
            })
            .collect();
        if !waiting.is_empty() {
            parts.push(format!("not reached: {}", waiting.join(" / ")));
        }
        parts.push(format!("turns: {}", self.s.turns));
        // What the caller last said, personal data masked: the team reads what they
        // wanted in their own words ("can I get the shipping charge refunded?").
        if !self.s.last_lines.is_empty() {
            let said: Vec<String> = self
                .s
                .last_lines
                .iter()
                .map(|l| format!("\"{l}\""))
                .collect();
            parts.push(format!("caller said: {}", said.join(" / ")));
        }
        parts.join("; ")
    }
}

/// The question of price matching, in the documents' words.
const PRICE_MATCH_QUESTION: &str = "do you match a lower price from another retailer";

/// The question the documents answer about adding to a placed order, asked in their
/// words.
const ADD_TO_ORDER_QUESTION: &str = "can items be added to an order once it has been placed";
/// The same documents' question for fewer items or another quantity.
const CHANGE_ITEMS_QUESTION: &str = "how do i change the items in an order";

/// "Add a pair of socks to the order I placed", "put it on my order from yesterday": a
/// word of adding, then "to" or "on" an order of the caller's.
fn adds_to_a_placed_order(words: &[String]) -> bool {
    let Some(add) = words
        .iter()
        .position(|w| matches!(w.as_str(), "add" | "adding" | "put" | "include" | "throw"))
    else {
        return false;
    };
    words[add + 1..].windows(3).any(|w| {
        matches!(w[0].as_str(), "to" | "on" | "onto" | "into" | "in")
            && matches!(
                w[1].as_str(),
                "my" | "the" | "that" | "this" | "our" | "existing" | "yesterday's" | "today's"
            )
            && (w[2] == "order" || w[2] == "existing")
    })
}

/// How many of the caller's last lines a hand-off's summary quotes.
const SUMMARY_LINES: usize = 3;
/// A quoted line is cut at this many characters.
const MAX_SUMMARY_LINE: usize = 160;

/// A return, an exchange and a problem report are choices of what to do with one item:
/// changing between them mid-request keeps the order.
fn switches_what_to_do(from: Goal, to: Goal) -> bool {
    let after_sale = |g: Goal| matches!(g, Goal::Return | Goal::Exchange | Goal::Problem);
    from != to && after_sale(from) && after_sale(to)
}

/// Whether the words say one of a label's own words (none the other labels share, and
/// none shorter than four letters): "status" names "check your order status", "return"
/// names "return an item".
fn label_named(label: &str, words: &[String], offered: &[(Intent, String)]) -> bool {
    let own = |w: &str| {
        w.len() >= 4
            && offered
                .iter()
                .filter(|(_, other)| other != label)
                .all(|(_, other)| !other.split_whitespace().any(|o| o == w))
    };
    label.split_whitespace().filter(|w| own(w)).any(|w| {
        words
            .iter()
            .any(|said| said.trim_end_matches('s') == w.trim_end_matches('s'))
    })
}

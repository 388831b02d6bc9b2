//! What the screen shows, as one value: events are applied to it one at a time, and every
//! page, however late it joins, receives it whole as a [`Snapshot`]. The rules that keep
//! the screen safe live here: no order card for an unverified caller, personal data
//! masked again, everything cleared when the conversation ends or goes idle.

use serde::Serialize;

use crate::config::ScreenConfig;
use crate::event::{
    CardItem, Choice, DigitsKind, OrderCard, Payment, Phase, ScreenEvent, ShipTo, TimelineStep,
    Tracking,
};
use crate::mask;

/// Longest keypad entry asked for or accepted.
pub const MAX_DIGITS: usize = 32;
/// Longest choice value, in bytes.
const MAX_CHOICE_VALUE: usize = 64;
/// Most items and timeline steps one card holds.
const MAX_CARD_ROWS: usize = 50;

/// Why an event was refused; the screen is left as it was.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventError {
    /// An order card for a caller who has not passed the identity check.
    #[error("refused to show order ending {order_last4}: the caller is not verified")]
    NotVerified {
        /// The last four characters of the order number, for the log.
        order_last4: String,
    },
    /// A keypad request outside 1..=32 digits.
    #[error("a keypad request for {length} digits is outside 1..={MAX_DIGITS}")]
    DigitsLength {
        /// The length asked for.
        length: u8,
    },
    /// Choices that cannot be shown: none, too many, or values empty, long or repeated.
    #[error("choices refused: {reason}")]
    Choices {
        /// What is wrong with them.
        reason: String,
    },
}

/// Who said a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    /// The person at the device.
    Caller,
    /// The agent.
    Agent,
}

/// One line of the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// Increases by one per line within a conversation, so the page knows what is new.
    pub id: u64,
    /// Who said it.
    pub speaker: Speaker,
    /// What was said, masked.
    pub text: String,
}

/// A keypad request as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigitsRequest {
    /// What the digits are.
    pub kind: DigitsKind,
    /// The keypad's label.
    pub label: &'static str,
    /// How many digits are expected.
    pub length: u8,
}

/// Choices as the page shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChoicesOffer {
    /// The question, masked.
    pub prompt: String,
    /// The answers; labels masked.
    pub choices: Vec<Choice>,
}

/// Why the screen was last cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cleared {
    /// The conversation ended.
    Ended,
    /// Nothing happened for the configured idle time.
    Idle,
}

/// Everything the screen shows at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    /// Increases with every change; the page ignores anything older than what it shows.
    pub seq: u64,
    /// Increases with every conversation.
    pub conversation: u64,
    /// Whether a conversation is under way.
    pub active: bool,
    /// The indicator.
    pub phase: Phase,
    /// The latest lines of the conversation, oldest first.
    pub transcript: Vec<Line>,
    /// The keypad, when digits are asked for.
    pub digits: Option<DigitsRequest>,
    /// The buttons, when choices are offered.
    pub choices: Option<ChoicesOffer>,
    /// The verified caller's order.
    pub order: Option<OrderCard>,
    /// Why the screen is blank, when it was cleared.
    pub cleared: Option<Cleared>,
    /// When the change was posted, in milliseconds since the Unix epoch; the page measures
    /// its rendering latency against it.
    pub posted_at_ms: f64,
}

/// The screen's state and the rules for changing it.
#[derive(Debug, Clone)]
pub struct ScreenState {
    snapshot: Snapshot,
    next_line: u64,
    transcript_lines: usize,
    max_text_chars: usize,
    max_choices: usize,
}

impl ScreenState {
    /// A blank screen.
    pub fn new(config: &ScreenConfig) -> Self {
        ScreenState {
            snapshot: Snapshot {
                seq: 0,
                conversation: 0,
                active: false,
                phase: Phase::Idle,
                transcript: Vec::new(),
                digits: None,
                choices: None,
                order: None,
                cleared: None,
                posted_at_ms: 0.0,
            },
            next_line: 0,
            transcript_lines: config.transcript_lines.max(1),
            max_text_chars: config.max_text_chars.max(1),
            max_choices: config.max_choices.max(1),
        }
    }

    /// What the screen shows now.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// Whether anything is shown that an idle timeout should clear.
    pub fn is_active(&self) -> bool {
        self.snapshot.active
    }

    /// Whether `value` is one of the choices offered now.
    pub fn offers(&self, value: &str) -> bool {
        self.snapshot
            .choices
            .as_ref()
            .is_some_and(|offer| offer.choices.iter().any(|c| c.value == value))
    }

    /// Applies one event posted at `posted_at_ms`. A refused event changes nothing.
    pub fn apply(&mut self, event: ScreenEvent, posted_at_ms: f64) -> Result<(), EventError> {
        match event {
            ScreenEvent::ConversationStarted => {
                self.reset(None);
                self.begin();
            }
            ScreenEvent::CallerSaid { text } => {
                self.begin_if_idle();
                self.push_line(Speaker::Caller, &text);
            }
            ScreenEvent::AgentSays { text } => {
                self.begin_if_idle();
                // A new agent turn replaces whatever it asked before.
                self.snapshot.digits = None;
                self.snapshot.choices = None;
                self.push_line(Speaker::Agent, &text);
            }
            ScreenEvent::Phase { phase } => {
                self.snapshot.phase = phase;
            }
            ScreenEvent::AskDigits { kind, length } => {
                if length == 0 || usize::from(length) > MAX_DIGITS {
                    return Err(EventError::DigitsLength { length });
                }
                self.begin_if_idle();
                self.snapshot.choices = None;
                self.snapshot.digits = Some(DigitsRequest {
                    kind,
                    label: kind.label(),
                    length,
                });
            }
            ScreenEvent::OfferChoices { prompt, choices } => {
                let offer = self.checked_choices(&prompt, choices)?;
                self.begin_if_idle();
                self.snapshot.digits = None;
                self.snapshot.choices = Some(offer);
            }
            ScreenEvent::ShowOrder {
                caller_verified,
                order,
            } => {
                if !caller_verified {
                    return Err(EventError::NotVerified {
                        order_last4: mask::card_last4(&order.order_number),
                    });
                }
                self.begin_if_idle();
                self.snapshot.order = Some(self.masked_card(*order));
            }
            ScreenEvent::ConversationEnded => self.reset(Some(Cleared::Ended)),
        }
        self.touch(posted_at_ms);
        Ok(())
    }

    /// Clears the screen after the idle timeout.
    pub fn clear_idle(&mut self, posted_at_ms: f64) {
        self.reset(Some(Cleared::Idle));
        self.touch(posted_at_ms);
    }

    fn touch(&mut self, posted_at_ms: f64) {
        self.snapshot.seq += 1;
        self.snapshot.posted_at_ms = posted_at_ms;
    }

    fn begin(&mut self) {
        self.snapshot.active = true;
        self.snapshot.conversation += 1;
        self.snapshot.cleared = None;
    }

    fn begin_if_idle(&mut self) {
        if !self.snapshot.active {
            self.reset(None);
            self.begin();
        }
    }

    fn reset(&mut self, cleared: Option<Cleared>) {
        let s = &mut self.snapshot;
        s.active = false;
        s.phase = Phase::Idle;
        s.transcript.clear();
        s.digits = None;
        s.choices = None;
        s.order = None;
        s.cleared = cleared;
        self.next_line = 0;
    }

    fn push_line(&mut self, speaker: Speaker, text: &str) {
        let text = self.text(text);
        if text.is_empty() {
            return;
        }
        self.snapshot.transcript.push(Line {
            id: self.next_line,
            speaker,
            text,
        });
        self.next_line += 1;
        let excess = self
            .snapshot
            .transcript
            .len()
            .saturating_sub(self.transcript_lines);
        self.snapshot.transcript.drain(..excess);
    }

    /// Masked, trimmed and cut to the configured length.
    fn text(&self, text: &str) -> String {
        let trimmed: String = text.trim().chars().take(self.max_text_chars).collect();
        mask::scrub(&trimmed)
    }

    fn checked_choices(
        &self,
        prompt: &str,
        choices: Vec<Choice>,
    ) -> Result<ChoicesOffer, EventError> {
        let refuse = |reason: String| Err(EventError::Choices { reason });
        if choices.is_empty() || choices.len() > self.max_choices {
            return refuse(format!(
                "{} choices, expected 1..={}",
                choices.len(),
                self.max_choices
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for choice in &choices {
            if choice.value.is_empty() || choice.value.len() > MAX_CHOICE_VALUE {
                return refuse(format!("a value is empty or over {MAX_CHOICE_VALUE} bytes"));
            }
            if !seen.insert(choice.value.as_str()) {
                return refuse("two choices share a value".into());
            }
        }
        Ok(ChoicesOffer {
            prompt: self.text(prompt),
            choices: choices
                .into_iter()
                .map(|c| Choice {
                    label: self.text(&c.label),
                    value: c.value,
                })
                .collect(),
        })
    }

    fn masked_card(&self, card: OrderCard) -> OrderCard {
        let t = |s: &str| self.text(s);
        let opt = |s: &Option<String>| s.as_deref().map(t).filter(|s| !s.is_empty());
        OrderCard {
            order_number: card
                .order_number
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(MAX_DIGITS)
                .collect(),
            status: t(&card.status),
            items: card
                .items
                .iter()
                .take(MAX_CARD_ROWS)
                .map(|i| CardItem {
                    name: t(&i.name),
                    quantity: i.quantity,
                })
                .collect(),
            timeline: card
                .timeline
                .iter()
                .take(MAX_CARD_ROWS)
                .map(|s| TimelineStep {
                    label: t(&s.label),
                    when: opt(&s.when),
                    done: s.done,
                })
                .collect(),
            delivery_estimate: opt(&card.delivery_estimate),
            just_changed: opt(&card.just_changed),
            tracking: card.tracking.as_ref().map(|tr| Tracking {
                carrier: t(&tr.carrier),
                number: tr
                    .number
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .take(40)
                    .collect(),
            }),
            ship_to: card.ship_to.as_ref().map(|a| ShipTo {
                city: t(&a.city),
                zip: a
                    .zip
                    .chars()
                    .filter(char::is_ascii_digit)
                    .take(10)
                    .collect(),
            }),
            payment: card.payment.as_ref().map(|p| Payment {
                method: t(&p.method),
                last4: p
                    .last4
                    .as_deref()
                    .map(mask::card_last4)
                    .filter(|d| !d.is_empty()),
            }),
            phone: card
                .phone
                .as_deref()
                .map(|p| mask::keep_last_digits(p, 2))
                .filter(|p| !p.is_empty()),
            email: card.email.as_deref().map(mask::mask_email),
            total: opt(&card.total),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> ScreenState {
        ScreenState::new(&ScreenConfig::default())
    }

    fn card() -> OrderCard {
        OrderCard {
            order_number: "1234567891234".into(),
            status: "Shipped".into(),
            items: vec![CardItem {
                name: "Classic Tee - Navy, Size M".into(),
                quantity: 2,
            }],
            payment: Some(Payment {
                method: "Visa".into(),
                last4: Some("4242424242424242".into()),
            }),
            phone: Some("512-555-0199".into()),
            email: Some("ada.park@example.com".into()),
            just_changed: Some("Texts go to 5125550199 and ada@example.com".into()),
            ..OrderCard::default()
        }
    }

    #[test]
    fn an_unverified_card_is_refused_and_nothing_changes() {
        let mut s = state();
        s.apply(ScreenEvent::ConversationStarted, 1.0).unwrap();
        let before = s.snapshot().clone();
        let err = s
            .apply(
                ScreenEvent::ShowOrder {
                    caller_verified: false,
                    order: Box::new(card()),
                },
                2.0,
            )
            .unwrap_err();
        assert_eq!(
            err,
            EventError::NotVerified {
                order_last4: "1234".into()
            }
        );
        assert_eq!(s.snapshot(), &before);
    }

    #[test]
    fn a_verified_card_is_shown_masked() {
        let mut s = state();
        s.apply(
            ScreenEvent::ShowOrder {
                caller_verified: true,
                order: Box::new(card()),
            },
            1.0,
        )
        .unwrap();
        let shown = s.snapshot().order.clone().unwrap();
        assert_eq!(shown.order_number, "1234567891234");
        assert_eq!(shown.payment.unwrap().last4.as_deref(), Some("4242"));
        assert_eq!(shown.phone.as_deref(), Some("••••••••99"));
        assert_eq!(shown.email.as_deref(), Some("a•••@e•••.com"));
        assert_eq!(
            shown.just_changed.as_deref(),
            Some("Texts go to ••••••••99 and a•••@e•••.com")
        );
    }

    #[test]
    fn a_new_agent_turn_replaces_the_keypad_and_choices() {
        let mut s = state();
        s.apply(
            ScreenEvent::AskDigits {
                kind: DigitsKind::Zip,
                length: 5,
            },
            1.0,
        )
        .unwrap();
        assert!(s.snapshot().active);
        assert_eq!(s.snapshot().digits.as_ref().unwrap().length, 5);
        s.apply(
            ScreenEvent::AgentSays {
                text: "Thanks.".into(),
            },
            2.0,
        )
        .unwrap();
        assert_eq!(s.snapshot().digits, None);
        assert_eq!(s.snapshot().seq, 2);
    }

    #[test]
    fn bad_requests_are_refused() {
        let mut s = state();
        assert!(s
            .apply(
                ScreenEvent::AskDigits {
                    kind: DigitsKind::Phone,
                    length: 0
                },
                1.0
            )
            .is_err());
        let dup = vec![
            Choice {
                label: "Yes".into(),
                value: "yes".into(),
            },
            Choice {
                label: "Sure".into(),
                value: "yes".into(),
            },
        ];
        assert!(s
            .apply(
                ScreenEvent::OfferChoices {
                    prompt: "Cancel it?".into(),
                    choices: dup
                },
                1.0
            )
            .is_err());
        assert_eq!(s.snapshot().seq, 0);
    }

    #[test]
    fn the_transcript_keeps_the_latest_lines() {
        let config = ScreenConfig {
            transcript_lines: 3,
            ..ScreenConfig::default()
        };
        let mut s = ScreenState::new(&config);
        for k in 0..5 {
            s.apply(
                ScreenEvent::CallerSaid {
                    text: format!("line {k}"),
                },
                1.0,
            )
            .unwrap();
        }
        let ids: Vec<u64> = s.snapshot().transcript.iter().map(|l| l.id).collect();
        assert_eq!(ids, [2, 3, 4]);
    }

    #[test]
    fn ending_clears_everything() {
        let mut s = state();
        s.apply(
            ScreenEvent::ShowOrder {
                caller_verified: true,
                order: Box::new(card()),
            },
            1.0,
        )
        .unwrap();
        s.apply(ScreenEvent::ConversationEnded, 2.0).unwrap();
        let snap = s.snapshot();
        assert!(!snap.active && snap.order.is_none() && snap.transcript.is_empty());
        assert_eq!(snap.cleared, Some(Cleared::Ended));
    }
}

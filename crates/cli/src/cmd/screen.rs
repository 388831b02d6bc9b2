//! The kiosk screen glued to a conversation (`chat --screen`, `run --screen`): each turn
//! becomes screen events (the caller's words, the agent's reply, the phase, a keypad when
//! the agent asks for digits, yes/no or time slots as buttons, and the order card once the
//! caller is verified), and what is done on the screen comes back as conversation input
//! (keypad digits, a picked choice as the words it stands for).
//!
//! Which orders the caller proved they own is learned from the turns' `verified` actions
//! alone, so no order reaches the screen before the store has decided an identity check.

use std::collections::BTreeSet;

use anyhow::Context as _;

use voxorder_agent::{Agent, Turn};
use voxorder_config::{Config, ScreenSettings};
use voxorder_domain::order::{Order, PaymentMethod};
use voxorder_domain::vocab::{EntityKind, TimeSlot};
use voxorder_screen::{
    CardItem, Choice, DigitsKind, OrderCard, Payment, Phase, Publisher, Screen, ScreenConfig,
    ScreenEvent, ScreenInput, ShipTo, TimelineStep, Tracking,
};
use voxorder_store::Store;
use voxorder_voice::live::{LivePhase, Surface, SurfaceInput};

/// Starts the screen's server: `requested` (from `--screen ADDR`) or `screen.bind`, with
/// the token from `screen.token_file` when there is one.
pub fn start(
    settings: &ScreenSettings,
    requested: Option<&str>,
) -> anyhow::Result<(Screen, voxorder_screen::Inputs)> {
    let listen = settings
        .address(requested)
        .map_err(|reason| anyhow::anyhow!("--screen: {reason}"))?;
    let token = match settings.token_file.trim() {
        "" => None,
        path => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading screen.token_file {path}"))?
                .trim()
                .to_string(),
        ),
    };
    let config = ScreenConfig {
        listen,
        token,
        idle_clear_secs: u64::from(settings.idle_clear_seconds),
        ..ScreenConfig::default()
    };
    let (screen, inputs) = Screen::start(config).context("starting the screen")?;
    eprintln!("screen: {}", screen.url());
    Ok((screen, inputs))
}

/// What the conversation does with something done on the screen: digits go the
/// keypad's way, a picked choice is the words it stands for.
pub fn input(input: ScreenInput) -> SurfaceInput {
    match input {
        ScreenInput::Keypad { digits } => SurfaceInput::Keypad(digits),
        ScreenInput::Choice { value } => SurfaceInput::Say(value),
        ScreenInput::StartTalking => SurfaceInput::StartTalking,
        _ => SurfaceInput::StopSpeaking,
    }
}

/// The screen as the live loop's surface (`run --screen`).
#[derive(Debug)]
pub struct LiveScreen {
    glue: Glue,
    inputs: voxorder_screen::Inputs,
}

impl LiveScreen {
    pub fn new(glue: Glue, inputs: voxorder_screen::Inputs) -> LiveScreen {
        LiveScreen { glue, inputs }
    }
}

impl Surface for LiveScreen {
    fn opened(&mut self, agent: &Agent<'_>, opening: &Turn) {
        self.glue.opened(agent, opening);
    }

    fn phase(&mut self, phase: LivePhase) {
        self.glue.phase(match phase {
            LivePhase::Idle => Phase::Idle,
            LivePhase::Listening => Phase::Listening,
            LivePhase::Thinking => Phase::Thinking,
            LivePhase::Speaking => Phase::Speaking,
        });
    }

    fn turn(&mut self, agent: &Agent<'_>, turn: &Turn, keypad: bool) {
        self.glue.turn(agent.store(), agent, turn, keypad);
    }

    fn ended(&mut self) {
        self.glue.ended();
    }

    fn poll(&mut self) -> Option<SurfaceInput> {
        self.inputs.try_recv().map(input)
    }
}

/// One conversation's view on the screen, and what it has learned so far.
pub struct Glue {
    publisher: Publisher,
    /// Order numbers an identity check verified in this conversation.
    verified: BTreeSet<String>,
    /// The phone the caller gave, for the orders a verified phone unlocks.
    phone: Option<String>,
    /// The order the card shows.
    shown: Option<String>,
    /// The agent's last question asked for a phone number.
    phone_asked: bool,
    /// Longest order number the configuration accepts: the keypad's length.
    order_digits: u8,
}

impl std::fmt::Debug for Glue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Glue")
            .field("verified", &self.verified.len())
            .finish()
    }
}

impl Glue {
    pub fn new(publisher: Publisher, config: &Config) -> Glue {
        let order_digits = config
            .policy
            .verification
            .order_number_digits
            .iter()
            .copied()
            .max()
            .map_or(20, |n| u8::try_from(n).unwrap_or(20));
        Glue {
            publisher,
            verified: BTreeSet::new(),
            phone: None,
            shown: None,
            phone_asked: false,
            order_digits,
        }
    }

    /// A new conversation: the screen forgets the last one and shows the opening.
    pub fn opened(&mut self, agent: &Agent<'_>, opening: &Turn) {
        self.verified.clear();
        self.phone = None;
        self.shown = None;
        self.publish(ScreenEvent::ConversationStarted);
        if !opening.reply.is_empty() {
            self.publish(ScreenEvent::AgentSays {
                text: opening.reply.clone(),
            });
        }
        self.ask(agent, &opening.reply);
    }

    /// The device is now listening, thinking, speaking or idle.
    pub fn phase(&self, phase: Phase) {
        self.publish(ScreenEvent::Phase { phase });
    }

    /// One turn: what the caller said (`keypad`: typed on a keypad, shown as dots), the
    /// reply, then the order card when a verified order is in focus, then the next
    /// question's keypad or buttons.
    pub fn turn(&mut self, store: &Store, agent: &Agent<'_>, turn: &Turn, keypad: bool) {
        let asked_phone = self.phone_asked;
        let heard = if keypad {
            if asked_phone {
                self.phone = Some(turn.user.clone());
            }
            "•".repeat(turn.user.chars().count().min(20))
        } else {
            if let Some(phone) = &turn.entities.phone_number {
                self.phone = Some(phone.clone());
            }
            // A shop screen is public: an email spelled out in words or a street line
            // said or typed is masked here, as in logs, before the page sees it (the page
            // masks digits itself, keeping an order number the caller can check).
            voxorder_domain::pii::mask_contacts(&turn.user)
        };
        if !heard.trim().is_empty() {
            self.publish(ScreenEvent::CallerSaid { text: heard });
        }
        self.publish(ScreenEvent::AgentSays {
            text: turn.reply.clone(),
        });
        self.learn(store, turn);
        if let Some(number) = self.focus(agent, turn) {
            self.show(store, &number, turn);
        }
        if turn.end {
            self.ended();
        } else {
            self.ask(agent, &turn.reply);
        }
    }

    /// The conversation is over: the screen clears itself.
    pub fn ended(&mut self) {
        self.verified.clear();
        self.shown = None;
        self.publish(ScreenEvent::ConversationEnded);
    }

    /// Orders the turn's identity checks verified: the order checked, or every order of
    /// a verified phone.
    fn learn(&mut self, store: &Store, turn: &Turn) {
        for action in turn.actions.iter().filter(|a| a.kind == "verified") {
            match &action.order_number {
                Some(number) => {
                    self.verified.insert(number.clone());
                }
                None => {
                    let Some(phone) = &self.phone else { continue };
                    match store.orders_by_phone(phone) {
                        Ok(orders) => self
                            .verified
                            .extend(orders.into_iter().map(|o| o.order_number)),
                        Err(err) => tracing::warn!(
                            error = %voxorder_domain::pii::Redacted(&err),
                            "screen: could not list a verified phone's orders"
                        ),
                    }
                }
            }
        }
    }

    /// The verified order the turn is about: one it changed or checked, or named, else
    /// the one the agent is on (picked from a list), else the one already shown.
    fn focus(&self, agent: &Agent<'_>, turn: &Turn) -> Option<String> {
        let named = turn
            .actions
            .iter()
            .filter_map(|a| a.order_number.clone())
            .chain(turn.entities.order_number.clone())
            .chain(agent.order_in_focus().map(str::to_string))
            .find(|n| self.verified.contains(n));
        named.or_else(|| self.shown.clone())
    }

    fn show(&mut self, store: &Store, number: &str, turn: &Turn) {
        let order = match store.order(number) {
            Ok(Some(order)) => order,
            Ok(None) => return,
            Err(err) => {
                tracing::warn!(
                    error = %voxorder_domain::pii::Redacted(&err),
                    "screen: could not read the verified order"
                );
                return;
            }
        };
        let just_changed = turn
            .actions
            .iter()
            .filter(|a| a.change.is_some() && a.order_number.as_deref() == Some(number))
            .map(|a| describe_change(&a.kind))
            .next_back();
        let card = order_card(&order, just_changed);
        self.shown = Some(number.to_string());
        self.publish(ScreenEvent::ShowOrder {
            caller_verified: self.verified.contains(number),
            order: Box::new(card),
        });
    }

    /// The keypad or buttons the agent's question wants, if any.
    fn ask(&mut self, agent: &Agent<'_>, prompt: &str) {
        let expecting = agent.expecting();
        self.phone_asked = expecting == Some(EntityKind::PhoneNumber);
        let digits = match expecting {
            Some(EntityKind::OrderNumber) => Some((DigitsKind::OrderNumber, self.order_digits)),
            Some(EntityKind::ZipCode) => Some((DigitsKind::Zip, 5)),
            Some(EntityKind::PhoneNumber) => Some((DigitsKind::Phone, 10)),
            _ => None,
        };
        if let Some((kind, length)) = digits {
            self.publish(ScreenEvent::AskDigits { kind, length });
            return;
        }
        let offered = agent.offered_orders();
        let choices = if !offered.is_empty() {
            match self.order_choices(agent.store(), offered) {
                Some(choices) => choices,
                None => return,
            }
        } else if expecting == Some(EntityKind::TimeSlot) {
            [TimeSlot::Morning, TimeSlot::Afternoon, TimeSlot::Evening]
                .into_iter()
                .map(|slot| match slot {
                    TimeSlot::Morning => choice("Morning", "morning"),
                    TimeSlot::Afternoon => choice("Afternoon", "afternoon"),
                    TimeSlot::Evening => choice("Evening", "evening"),
                })
                .collect()
        } else if agent.answer_shape() == voxorder_agent::AnswerShape::YesNo {
            vec![choice("Yes", "yes"), choice("No", "no")]
        } else {
            return;
        };
        self.publish(ScreenEvent::OfferChoices {
            prompt: prompt.to_string(),
            choices,
        });
    }

    /// One button per order the agent read out, labelled as it described them (first
    /// item, date, last four digits) and answering as a caller would ("the second").
    /// None when any of them is not verified or cannot be read: then no buttons, and
    /// the caller answers by voice.
    fn order_choices(&self, store: &Store, numbers: &[String]) -> Option<Vec<Choice>> {
        numbers
            .iter()
            .enumerate()
            .map(|(i, number)| {
                if !self.verified.contains(number) {
                    return None;
                }
                let order = match store.order(number) {
                    Ok(order) => order?,
                    Err(err) => {
                        tracing::warn!(
                            error = %voxorder_domain::pii::Redacted(&err),
                            "screen: could not read an offered order"
                        );
                        return None;
                    }
                };
                let position = u32::try_from(i + 1).ok()?;
                let value = format!(
                    "the {}",
                    voxorder_domain::speech_text::ordinal_words(position)
                );
                Some(Choice {
                    label: order_choice_label(&order),
                    value,
                })
            })
            .collect()
    }

    fn publish(&self, event: ScreenEvent) {
        // The screen is a second view of a conversation that goes on without it.
        if let Err(err) = self.publisher.publish(event) {
            tracing::warn!(error = %err, "screen: an event was refused");
        }
    }
}

fn choice(label: &str, value: &str) -> Choice {
    Choice {
        label: label.into(),
        value: value.into(),
    }
}

/// An order as a button shows it: "Espresso beans and 2 more · Mar 3 · ending 4821".
fn order_choice_label(order: &Order) -> String {
    let first = order.items.first().map_or("An order", |i| i.name.as_str());
    let more = match order.items.len() {
        0 | 1 => String::new(),
        n => format!(" and {} more", n - 1),
    };
    let number = &order.order_number;
    let last4 = &number[number.len().saturating_sub(4)..];
    format!(
        "{first}{more} · {} · ending {last4}",
        order.order_date.format("%b %-d")
    )
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A change's kind in words for the card ("cancel_order" → "Cancel order").
fn describe_change(kind: &str) -> String {
    capitalised(&kind.replace('_', " "))
}

/// The card of a verified order: what it holds, where it is, when it comes. The address
/// is cut to city and zip, the payment to its last four digits, by the card's types.
pub fn order_card(order: &Order, just_changed: Option<String>) -> OrderCard {
    let status = capitalised(&order.status.as_str().replace('_', " "));
    let mut timeline = vec![TimelineStep {
        label: "Ordered".into(),
        when: Some(order.order_date.format("%b %-d").to_string()),
        done: true,
    }];
    timeline.extend(order.tracking_events.iter().map(|e| TimelineStep {
        label: match &e.location {
            Some(place) => format!("{} — {place}", capitalised(&e.status.replace('_', " "))),
            None => capitalised(&e.status.replace('_', " ")),
        },
        when: Some(e.at.format("%b %-d, %H:%M").to_string()),
        done: true,
    }));
    if order.delivered_at.is_none() && order.cancelled_at.is_none() {
        timeline.push(TimelineStep {
            label: "Delivered".into(),
            when: order
                .estimated_delivery
                .map(|d| format!("expected {}", d.format("%a %b %-d"))),
            done: false,
        });
    }
    OrderCard {
        order_number: order.order_number.clone(),
        status,
        items: order
            .items
            .iter()
            .map(|i| CardItem {
                name: i.name.clone(),
                quantity: i.qty,
            })
            .collect(),
        timeline,
        delivery_estimate: order
            .estimated_delivery
            .map(|d| d.format("%A, %B %-d").to_string()),
        just_changed,
        tracking: match (&order.carrier, &order.tracking_number) {
            (Some(carrier), Some(number)) => Some(Tracking {
                carrier: carrier.clone(),
                number: number.clone(),
            }),
            _ => None,
        },
        ship_to: order.shipping_address.as_ref().map(|a| ShipTo {
            city: a.city.clone(),
            zip: a.zip.clone(),
        }),
        payment: Some(Payment {
            method: match order.payment.method {
                PaymentMethod::Card => order.payment.brand.clone().unwrap_or_else(|| "Card".into()),
                PaymentMethod::Cod => "Cash on delivery".into(),
            },
            last4: order.payment.last4.clone(),
        }),
        phone: order.customer.phone.clone(),
        email: order.customer.email.clone(),
        total: Some(format!("{} {}", order.total, order.currency)),
    }
}

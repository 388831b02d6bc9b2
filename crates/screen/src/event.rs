//! The screen's vocabulary: what the conversation tells the screen ([`ScreenEvent`]) and
//! what the person did on it ([`ScreenInput`]). Both are plain data with a tagged JSON
//! form, so the glue, the scripted demos and the page speak the same words.

use serde::{Deserialize, Serialize};

/// Something that happened in the conversation, for the screen to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ScreenEvent {
    /// A new conversation: whatever the screen showed before is gone.
    ConversationStarted,
    /// What the caller said, as recognised (or typed, in chat).
    CallerSaid {
        /// The text; personal data in it is masked before it is shown.
        text: String,
    },
    /// What the agent says.
    AgentSays {
        /// The text; personal data in it is masked before it is shown.
        text: String,
    },
    /// Whether the device is listening, thinking, speaking or waiting.
    Phase {
        /// The new phase.
        phase: Phase,
    },
    /// The agent asks for digits: the screen offers a keypad.
    AskDigits {
        /// What the digits are.
        kind: DigitsKind,
        /// How many digits are expected.
        length: u8,
    },
    /// The agent offers a short list of answers: the screen shows them as buttons.
    OfferChoices {
        /// The question the choices answer, shown above them.
        prompt: String,
        /// The answers, in the order to show them.
        choices: Vec<Choice>,
    },
    /// The order the verified caller asked about. Refused unless `caller_verified`.
    ShowOrder {
        /// Whether the caller passed the identity check for this order. The screen shows
        /// no order detail otherwise, whatever else the event holds.
        caller_verified: bool,
        /// The order as the card shows it (boxed: it is much larger than the other events).
        order: Box<OrderCard>,
    },
    /// The conversation is over: the screen clears itself.
    ConversationEnded,
}

/// What the device is doing, for the indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Phase {
    /// No conversation, or waiting for the caller to start one.
    #[default]
    Idle,
    /// The microphone is open.
    Listening,
    /// The caller's words are being understood.
    Thinking,
    /// The agent's voice is playing.
    Speaking,
}

/// What digits the agent asks for: sets the keypad's label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DigitsKind {
    /// The order number.
    OrderNumber,
    /// The billing zip code.
    Zip,
    /// The phone number on the order.
    Phone,
}

impl DigitsKind {
    /// The keypad's label, as the page shows it.
    pub fn label(self) -> &'static str {
        match self {
            DigitsKind::OrderNumber => "Order number",
            DigitsKind::Zip => "Billing zip code",
            DigitsKind::Phone => "Phone number",
        }
    }
}

/// One answer the caller may pick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// What the button says.
    pub label: String,
    /// What comes back in [`ScreenInput::Choice`] when it is picked.
    pub value: String,
}

/// An order as the verified caller sees it on the card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderCard {
    /// The order number, shown in full: the caller proved it is theirs.
    pub order_number: String,
    /// The status in words ("Shipped", "Out for delivery").
    pub status: String,
    /// What was ordered.
    pub items: Vec<CardItem>,
    /// The tracking timeline, oldest step first.
    pub timeline: Vec<TimelineStep>,
    /// The delivery estimate in words ("Saturday, March 14").
    pub delivery_estimate: Option<String>,
    /// What this conversation just changed ("Delivery moved to Monday, March 16").
    pub just_changed: Option<String>,
    /// The carrier and its tracking number.
    pub tracking: Option<Tracking>,
    /// Where it goes: city and zip only, by construction.
    pub ship_to: Option<ShipTo>,
    /// How it was paid; only the last four digits of a card are ever kept.
    pub payment: Option<Payment>,
    /// The phone on the order; only its last two digits are shown.
    pub phone: Option<String>,
    /// The email on the order; shown masked.
    pub email: Option<String>,
    /// The total in words or figures ("$59.98").
    pub total: Option<String>,
}

/// One line of the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardItem {
    /// The product's name.
    pub name: String,
    /// How many.
    pub quantity: u32,
}

/// One step of the tracking timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineStep {
    /// The step ("Ordered", "Shipped", "Out for delivery", "Delivered").
    pub label: String,
    /// When it happened or is expected, in words.
    #[serde(default)]
    pub when: Option<String>,
    /// Whether it has happened.
    #[serde(default)]
    pub done: bool,
}

/// The carrier and tracking number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tracking {
    /// The carrier ("UPS").
    pub carrier: String,
    /// The carrier's tracking number.
    pub number: String,
}

/// The delivery address as the card may show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipTo {
    /// The city.
    pub city: String,
    /// The zip code.
    pub zip: String,
}

/// The payment as the card may show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// The method in words ("Visa", "Cash on delivery").
    pub method: String,
    /// The card's last four digits. A longer value is cut to its last four.
    #[serde(default)]
    pub last4: Option<String>,
}

/// What the person did on the screen, for the conversation to act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ScreenInput {
    /// Digits typed on the keypad: the same path as `/keypad` in chat.
    Keypad {
        /// ASCII digits only.
        digits: String,
    },
    /// One of the offered choices was picked.
    Choice {
        /// The [`Choice::value`] of the picked answer.
        value: String,
    },
    /// "Start talking": open the microphone without the wake word.
    StartTalking,
    /// "Stop speaking": silence the agent's voice now.
    StopSpeaking,
}

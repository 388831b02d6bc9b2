//! What one utterance means, as understanding hands it to the dialog: the words, the
//! intent and its runners-up, the entities (with any self-correction already applied),
//! and the structured parts read from the words (an address, a position in a list, a
//! number said on its own, and typed cues such as a yes, a period or an order state).
//!
//! Architecture invariant: this is the one shape an utterance takes between
//! understanding and the dialog; the agent passes it through unchanged.

use serde::Serialize;

use crate::intent::Intent;
use crate::order::OrderStatus;
use crate::vocab::{Entities, ScoredIntent};

/// What one utterance means.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interpretation {
    /// What was said, as recognised (cut to the understanding's length bound).
    pub text: String,
    /// The lower-case words of the text, punctuation dropped.
    pub words: Vec<String>,
    /// `Fallback` when the classifier's best guess is below the confidence threshold.
    pub intent: Intent,
    /// The calibrated probability of the classifier's best guess.
    pub confidence: f32,
    /// The values said; what follows a self-correction ("no wait, …") replaces what
    /// came before it.
    pub entities: Entities,
    /// The best intents, best first, for a clarifying question after a low-confidence
    /// turn ("Do you want to return it or exchange it?").
    pub alternatives: Vec<ScoredIntent>,
    /// A street address said, with the city and zip said with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<SpokenAddress>,
    /// A city named on its own (read only when a city was asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// The state's postal code said with that city ("Columbus, Ohio" → "OH").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city_state: Option<String>,
    /// Positions in a list said ("the second one", "the last"), in the order said.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ordinals: Vec<Ordinal>,
    /// The words are a number and nothing else that asks for anything ("it's one oh
    /// oh oh …"): to be taken like the same digits typed on the keypad.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub bare_number: bool,
    /// What the words signal beyond intents and entities.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cues: Vec<Cue>,
    /// A second request said in the same breath ("… and can you also tell me when it
    /// arrives"), understood on its own, to be taken up once this one is done. The
    /// fields above are then of the first part alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub then: Option<Box<Interpretation>>,
}

impl Interpretation {
    /// An utterance with nothing made of it (noise, a mumble).
    pub fn unclear() -> Interpretation {
        Interpretation {
            text: String::new(),
            words: Vec::new(),
            intent: Intent::Fallback,
            confidence: 0.0,
            entities: Entities::default(),
            alternatives: Vec::new(),
            address: None,
            city: None,
            city_state: None,
            ordinals: Vec::new(),
            bare_number: false,
            cues: Vec::new(),
            then: None,
        }
    }

    /// Whether the words carry the cue.
    pub fn has(&self, cue: Cue) -> bool {
        self.cues.contains(&cue)
    }
}

/// An address as said: the street line written back from speech ("2200 Lake Shore
/// Drive Apt 4"), and the city and zip when said with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpokenAddress {
    pub street: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    /// The state's postal code, when said with the city ("Columbus, Ohio" → "OH").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// A position in a list: 1 is the first, -1 the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ordinal(pub i32);

impl Ordinal {
    /// The 0-based index in a list of `len`, if the position is in it.
    pub fn index(self, len: usize) -> Option<usize> {
        let len = i64::try_from(len).ok()?;
        let n = i64::from(self.0);
        let i = if n < 0 { len + n } else { n - 1 };
        if (0..len).contains(&i) {
            usize::try_from(i).ok()
        } else {
            None
        }
    }
}

/// A period a caller places an order in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    LastWeek,
    ThisWeek,
    LastMonth,
    ThisMonth,
}

/// Something the words signal beyond the intent and the entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "cue", content = "value")]
#[non_exhaustive]
pub enum Cue {
    /// The first word is a yes ("yeah", "sure", "go ahead").
    Yes,
    /// The first word is a no.
    No,
    /// A no or a not anywhere in the words.
    Negated,
    /// Asks about or offers a whole card number, a security code or an expiry date.
    CardNumber,
    /// A complaint or a demand for a manager.
    Complaint,
    /// Takes back what is in progress ("forget it", "never mind").
    Withdraw,
    /// Says goodbye ("bye", "that's all", "cheers").
    Goodbye,
    /// Wants a courier to collect a parcel.
    Pickup,
    /// Will send a parcel back themselves (a label, the post office).
    Label,
    /// Another order than the one discussed.
    OtherOrder,
    /// Names another order and asks nothing else ("and the other one?", "what about my
    /// other order, 1000…042"): the request just made, asked again of that order.
    OnlyOtherOrder,
    /// The order already discussed.
    SameOrder,
    /// The previous order ("same as last time").
    LastOrder,
    /// Does not have or know the number asked for.
    NoNumber,
    /// Something stays as it was ("same city", "unchanged").
    Unchanged,
    /// Whoever answered is not the person asked for ("this is her husband, she's not
    /// in", "wrong number").
    NotThem,
    /// Wants to be called back another time.
    CallBack,
    /// Wants to pay another way than the one on the order ("can I pay by card").
    OtherPayment,
    /// Any time or choice suits ("any time", "no preference", "whenever").
    AnyTime,
    /// Names another business or what no shop like this one serves ("my Netflix
    /// subscription", "Domino's", "my gym membership"): the shop's own documents do not
    /// answer for it.
    Elsewhere,
    /// When an order was placed.
    Period(Period),
    /// An order state named in a description ("the delayed one").
    Status(OrderStatus),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_index_from_either_end_and_only_inside_the_list() {
        assert_eq!(Ordinal(1).index(3), Some(0));
        assert_eq!(Ordinal(3).index(3), Some(2));
        assert_eq!(Ordinal(4).index(3), None);
        assert_eq!(Ordinal(-1).index(3), Some(2));
        assert_eq!(Ordinal(-1).index(0), None);
    }
}

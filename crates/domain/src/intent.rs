//! The closed set of intents the agent understands, with their canonical names.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! intents {
    ($($name:ident),+ $(,)?) => {
        /// What the caller wants, as the design names it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Intent { $($name),+ }

        impl Intent {
            pub const ALL: &'static [Intent] = &[$(Intent::$name),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Intent::$name => stringify!($name)),+ }
            }
        }

        impl FromStr for Intent {
            type Err = UnknownIntent;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $(stringify!($name) => Ok(Intent::$name),)+
                    other => Err(UnknownIntent(other.to_string())),
                }
            }
        }
    };
}

intents!(
    GetOrderStatus,
    TrackPackage,
    CancelOrder,
    ReturnItem,
    ExchangeItem,
    ReportProblem,
    RescheduleDelivery,
    ChangeAddress,
    ConfirmOrder,
    PlaceOrder,
    Reorder,
    ManageSubscription,
    CheckReturnStatus,
    PolicyQuestion,
    SpeakToAgent,
    Affirm,
    Deny,
    Repeat,
    Help,
    EndConversation,
    Fallback,
);

/// A name that is not one of the intents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown intent {0:?}")]
pub struct UnknownIntent(pub String);

impl Intent {
    /// A request about another matter than a return's or a problem's: said where a
    /// reason for one is asked, it is that other request, not the reason.
    pub fn asks_another_matter(self) -> bool {
        matches!(
            self,
            Intent::GetOrderStatus
                | Intent::TrackPackage
                | Intent::CheckReturnStatus
                | Intent::PlaceOrder
                | Intent::Reorder
                | Intent::ManageSubscription
        )
    }
}

impl fmt::Display for Intent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_design() {
        assert_eq!(Intent::ALL.len(), 21);
        for i in Intent::ALL {
            assert_eq!(i.as_str().parse::<Intent>(), Ok(*i));
        }
        assert!("getorderstatus".parse::<Intent>().is_err());
    }
}

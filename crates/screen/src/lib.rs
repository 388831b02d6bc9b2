//! The kiosk screen: one local web page that follows a voxorder conversation as it
//! happens, and sends back what the person did on it.
//!
//! The crate knows nothing of the agent: the conversation describes what happened as
//! [`ScreenEvent`]s, [`state::ScreenState`] turns them into what the page shows (masking
//! personal data again and refusing an order card for an unverified caller), and the
//! person's taps come back as [`ScreenInput`]s.

pub mod config;
pub mod event;
pub mod mask;
pub mod state;

pub use config::{Limits, ScreenConfig};
pub use event::{
    CardItem, Choice, DigitsKind, OrderCard, Payment, Phase, ScreenEvent, ScreenInput, ShipTo,
    TimelineStep, Tracking,
};
pub use state::{EventError, Snapshot};

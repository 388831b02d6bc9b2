//! The kiosk screen: one local web page that follows a voxorder conversation as it
//! happens, and sends back what the person did on it.
//!
//! The crate knows nothing of the agent. The conversation publishes [`ScreenEvent`]s
//! through a [`Screen`]; the page's taps come back as [`ScreenInput`]s from [`Inputs`].
//!
//! ```no_run
//! use voxorder_screen::{Screen, ScreenConfig, ScreenEvent, ScreenInput};
//!
//! let (screen, inputs) = Screen::start(ScreenConfig::default())?;
//! println!("open {}", screen.url());
//! screen.publish(ScreenEvent::ConversationStarted)?;
//! screen.publish(ScreenEvent::AgentSays { text: "What is your order number?".into() })?;
//! if let Some(ScreenInput::Keypad { digits }) = inputs.recv() {
//!     // hand `digits` to the agent as keypad input
//! #   let _ = digits;
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod assets;
pub mod config;
pub mod event;
mod http;
pub mod mask;
pub mod script;
mod server;
pub mod state;

pub use assets::{total_bytes as page_bytes, Asset, ASSETS};
pub use config::{Limits, ScreenConfig};
pub use event::{
    CardItem, Choice, DigitsKind, OrderCard, Payment, Phase, ScreenEvent, ScreenInput, ShipTo,
    TimelineStep, Tracking,
};
pub use http::CONTENT_SECURITY_POLICY;
pub use server::{Inputs, Publisher, Screen, StartError};
pub use state::{EventError, Snapshot};

//! The Wyoming protocol: framing ([`frame`]), the typed data of each event ([`events`])
//! and the `describe`/`info` exchange ([`info`]). Knows nothing of servers or services.

pub mod events;
pub mod frame;
pub mod info;

pub use events::*;
pub use frame::{
    write_event, Event, EventPart, EventReader, Limits, ProtocolError, PROTOCOL_VERSION,
};
pub use info::*;

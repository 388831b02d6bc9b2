//! Understanding: what the caller wants (intent, with a calibrated confidence) and the
//! values they said (entities), from recogniser text.

pub mod classifier;
pub mod entities;
pub mod features;
pub mod intent;

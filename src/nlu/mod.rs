//! Natural-language understanding: turning a recogniser's transcript into an intent and
//! the entities the dialog needs.
pub mod entities;

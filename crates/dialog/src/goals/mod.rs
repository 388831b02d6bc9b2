//! One module per kind of request, each driving its goal from what the request has
//! collected to a change and a reply: `orders` (status, tracking, cancel, reschedule,
//! address change, confirmation calls), `returns` (returns, exchanges, problems, return
//! status), `commerce` (placing orders, reorders, subscriptions).
//!
//! Architecture invariant: a goal module imports no other goal module. What two goals
//! share (order words, dates, read-backs) is in `speak`; what a request holds is in
//! `request`; moving to another goal goes through the engine's routing.

pub(crate) mod commerce;
pub(crate) mod orders;
pub(crate) mod returns;

//! The bottom of voxorder: the vocabulary every other crate speaks and nothing else.
//! Orders and their JSON wire format (`order`), every change a device makes (`change`),
//! the closed sets callers and policy speak of (`vocab`, `intent`), the records the
//! store answers and the dialog reads (`records`), the identity-check rule
//! (`verification`), the sync API's bodies (`wire`), order-file parsing (`import`),
//! "now" (`clock`), text meant to be spoken (`speech_text`) and masking for logs
//! (`pii`).
//!
//! Architecture invariant: no SQL, no model, no network and no device here. The one
//! reading of a file is a path a user named, with a size cap (`files`, used to import
//! orders and by the configuration).

pub mod change;
pub mod clock;
pub mod files;
pub mod import;
pub mod intent;
pub mod interpretation;
pub mod order;
pub mod phrases;
pub mod pii;
pub mod product_words;
pub mod records;
pub mod speech_text;
pub mod us_states;
pub mod verification;
pub mod vocab;
pub mod wire;

pub use intent::Intent;

//! One module per group of subcommands; `main.rs` parses and dispatches.

pub mod speech;

//! Scripted conversations: a list of events with pauses, and points where the script waits
//! for the person to use the screen. The demo plays one so the page can be tried in a
//! browser without the agent, and the tests play the same one against the real server.

use std::time::Duration;

use serde::Deserialize;

use crate::event::{ScreenEvent, ScreenInput};
use crate::server::{Inputs, Publisher};
use crate::state::EventError;

/// A conversation to play.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// What it shows, for people reading the file.
    pub name: String,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One step of a script.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Step {
    /// Publish an event after a pause.
    Event {
        /// The pause before it, in milliseconds (scaled by the player's pace).
        #[serde(default)]
        after_ms: u64,
        /// The event.
        event: ScreenEvent,
    },
    /// Wait for the person.
    Await {
        /// What to wait for; other inputs are recorded and the wait goes on.
        #[serde(rename = "await")]
        wait_for: Awaited,
        /// How long to wait, in milliseconds.
        timeout_ms: u64,
    },
}

/// What a script waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Awaited {
    /// Digits from the keypad; they are shown as what the caller typed.
    Keypad,
    /// A picked choice.
    Choice,
    /// "Start talking".
    StartTalking,
}

/// Why a script stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScriptError {
    /// The file is not a script.
    #[error("not a screen script: {0}")]
    Parse(#[from] serde_json::Error),
    /// The screen refused one of the script's events.
    #[error("step {step}: the screen refused the event: {source}")]
    Refused {
        /// The step's index.
        step: usize,
        /// Why.
        source: EventError,
    },
    /// Nobody used the screen in time.
    #[error("step {step}: nothing came for {wait_for:?} within {timeout_ms} ms")]
    Timeout {
        /// The step's index.
        step: usize,
        /// What was awaited.
        wait_for: Awaited,
        /// The wait.
        timeout_ms: u64,
    },
}

impl Script {
    /// Reads a script from its JSON form.
    pub fn from_json(text: &str) -> Result<Script, ScriptError> {
        Ok(serde_json::from_str(text)?)
    }

    /// Plays the script; pauses are multiplied by `pace` (0 plays without pauses).
    /// Returns every input the person made, in order.
    pub fn play(
        &self,
        screen: &Publisher,
        inputs: &Inputs,
        pace: f64,
    ) -> Result<Vec<ScreenInput>, ScriptError> {
        let mut received = Vec::new();
        for (step, item) in self.steps.iter().enumerate() {
            match item {
                Step::Event { after_ms, event } => {
                    let pause = Duration::from_secs_f64(*after_ms as f64 * pace.max(0.0) / 1000.0);
                    if !pause.is_zero() {
                        std::thread::sleep(pause);
                    }
                    screen
                        .publish(event.clone())
                        .map_err(|source| ScriptError::Refused { step, source })?;
                }
                Step::Await {
                    wait_for,
                    timeout_ms,
                } => {
                    let input = wait(inputs, *wait_for, *timeout_ms, &mut received).ok_or(
                        ScriptError::Timeout {
                            step,
                            wait_for: *wait_for,
                            timeout_ms: *timeout_ms,
                        },
                    )?;
                    if let ScreenInput::Keypad { digits } = &input {
                        screen
                            .publish(ScreenEvent::CallerSaid {
                                text: format!("Typed {digits}"),
                            })
                            .map_err(|source| ScriptError::Refused { step, source })?;
                    }
                    received.push(input);
                }
            }
        }
        Ok(received)
    }
}

fn wait(
    inputs: &Inputs,
    wait_for: Awaited,
    timeout_ms: u64,
    others: &mut Vec<ScreenInput>,
) -> Option<ScreenInput> {
    let deadline = std::time::Instant::now() + Duration::from_millis(timeout_ms);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let input = inputs.recv_timeout(left)?;
        let wanted = matches!(
            (&input, wait_for),
            (ScreenInput::Keypad { .. }, Awaited::Keypad)
                | (ScreenInput::Choice { .. }, Awaited::Choice)
                | (ScreenInput::StartTalking, Awaited::StartTalking)
        );
        if wanted {
            return Some(input);
        }
        others.push(input);
    }
}

/// The demo conversation: the caller asks where an order is, types the order number and
/// the zip on the keypad, sees the order, moves the delivery with a choice, and hangs up.
pub const DEMO: &str = include_str!("../assets/scripts/verified_order.json");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_script_parses() {
        let script = Script::from_json(DEMO).unwrap();
        assert!(script.steps.iter().any(|s| matches!(
            s,
            Step::Await {
                wait_for: Awaited::Keypad,
                ..
            }
        )));
        assert!(script.steps.iter().any(|s| matches!(
            s,
            Step::Event {
                event: ScreenEvent::ShowOrder {
                    caller_verified: true,
                    ..
                },
                ..
            }
        )));
    }
}

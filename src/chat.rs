//! The text front end of the agent: `voxorder chat` (interactive on a terminal, one
//! utterance per line otherwise, text or JSON out) and the operators' report printout.

use std::io::{BufRead, IsTerminal, Write};

use crate::agent::{Agent, AgentAssets, AgentError, StartOptions, Turn};
use crate::clock::Clock;
use crate::store::{Report, Store, StoreError};

/// Longest line read from stdin; the rest of a longer line is dropped (the NLU reads
/// at most a few thousand characters of one turn anyway).
const MAX_LINE_BYTES: usize = 64 * 1024;

/// How `chat` runs.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub json: bool,
    pub customer: Option<String>,
    pub confirm: Option<String>,
}

/// The chat could not run. Caller: report and exit.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChatError {
    #[error(transparent)]
    Agent(#[from] AgentError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("reading or writing the conversation: {0}")]
    Io(#[from] std::io::Error),
    #[error("printing a turn: {0}")]
    Json(#[from] serde_json::Error),
}

/// Runs a conversation over stdin and `out`.
pub fn run(
    store: &mut Store,
    assets: &AgentAssets,
    clock: Clock,
    options: Options,
    out: &mut impl Write,
) -> Result<(), ChatError> {
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal() && !options.json;
    let outbound = options.confirm.is_some();
    let (mut agent, opening) = Agent::open(
        store,
        assets,
        clock,
        StartOptions {
            channel: "chat",
            customer_email: options.customer.clone(),
            confirm_order: options.confirm.clone(),
        },
    )?;
    // Piped input gets exactly one reply per line; the opening is printed only when the
    // agent speaks first (an outbound call) or someone is at the terminal.
    if interactive || outbound {
        print_turn(out, &opening, options.json)?;
    }
    let mut input = stdin.lock();
    let mut line = Vec::new();
    loop {
        if interactive {
            write!(out, "you: ")?;
            out.flush()?;
        }
        line.clear();
        let n =
            std::io::Read::take(&mut input, MAX_LINE_BYTES as u64).read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        if n == MAX_LINE_BYTES && line.last() != Some(&b'\n') {
            // Drop the rest of an over-long line so it is not read as further turns.
            let mut rest = Vec::new();
            input.read_until(b'\n', &mut rest)?;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        let turn = match text.trim().strip_prefix("/keypad") {
            Some(digits) => agent.keypad(digits.trim())?,
            None if text.trim() == "/silence" => agent.silence()?,
            None => agent.say(text)?,
        };
        print_turn(out, &turn, options.json)?;
        if interactive && turn.end {
            break;
        }
    }
    agent.finish()?;
    Ok(())
}

fn print_turn(out: &mut impl Write, turn: &Turn, json: bool) -> Result<(), ChatError> {
    if json {
        serde_json::to_writer(&mut *out, turn)?;
        writeln!(out)?;
    } else {
        writeln!(out, "agent: {}", turn.reply)?;
    }
    out.flush()?;
    Ok(())
}

/// The report as a short table.
pub fn print_report(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    writeln!(out, "conversations  {}", r.conversations)?;
    writeln!(
        out,
        "outcomes       {} contained, {} escalated, {} abandoned (containment {:.1}%)",
        r.contained,
        r.escalated,
        r.abandoned,
        r.containment_rate * 100.0
    )?;
    writeln!(out, "mean turns     {:.1}", r.turns_mean)?;
    writeln!(out, "fallback turns {}", r.fallback_turns)?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<22} {:>6} {:>10} {:>10} {:>10}",
        "intent", "calls", "contained", "escalated", "abandoned"
    )?;
    for v in &r.per_intent {
        writeln!(
            out,
            "{:<22} {:>6} {:>10} {:>10} {:>10}",
            v.intent, v.conversations, v.contained, v.escalated, v.abandoned
        )?;
    }
    let pairs = |title: &str, total: Option<u64>, list: &[(String, u64)]| {
        let mut s = format!("\n{title}");
        if let Some(t) = total {
            s.push_str(&format!(" ({t})"));
        }
        for (k, v) in list {
            s.push_str(&format!("\n  {k:<20} {v}"));
        }
        if list.is_empty() {
            s.push_str("\n  none");
        }
        s
    };
    writeln!(
        out,
        "{}",
        pairs("escalations by reason", None, &r.escalations_by_reason)
    )?;
    writeln!(
        out,
        "{}",
        pairs(
            "cancellations",
            Some(r.cancellations),
            &r.cancellation_reasons
        )
    )?;
    writeln!(
        out,
        "{}",
        pairs("returns", Some(r.returns), &r.return_reasons)
    )?;
    Ok(())
}

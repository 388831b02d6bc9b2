//! The text front end of the agent: `voxorder chat` (interactive on a terminal, one
//! utterance per line otherwise, text or JSON out).

use std::io::{BufRead, IsTerminal, Write};

use clap::Args;

use voxorder_agent::{Agent, AgentAssets, AgentError, StartOptions, Turn};
use voxorder_config::Config;
use voxorder_domain::clock::Clock;
use voxorder_store::{OpenMode, Store, StoreError};

use super::{background_sync, load_nlu, Context};

/// Longest line read from stdin; the rest of a longer line is dropped (the NLU reads
/// at most a few thousand characters of one turn anyway).
const MAX_LINE_BYTES: usize = 64 * 1024;

/// Who a conversation is with, for `chat` and `simulate`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// The account this device is linked to (a household's smart speaker), by email.
    #[arg(long, value_name = "EMAIL")]
    pub customer: Option<String>,
    /// Play an outbound confirmation call about this order (the agent speaks first).
    #[arg(long, value_name = "ORDER")]
    pub confirm: Option<String>,
}

/// `voxorder chat`: the store (read-only when it cannot be written), the agent's assets,
/// background sync when configured, then the conversation.
pub fn command(
    ctx: &Context,
    config: Config,
    json: bool,
    call: CallArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let CallArgs { customer, confirm } = call;
    let mut store = ctx.open_store(OpenMode::ExistingOrReadOnly)?;
    let nlu = load_nlu(&config, &store)?;
    let _sync = background_sync(&config, &store, ctx.clock);
    let assets = AgentAssets::new(config, &store, nlu)?;
    run(
        &mut store,
        &assets,
        ctx.clock,
        Options {
            json,
            customer,
            confirm,
        },
        out,
    )?;
    Ok(())
}

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

//! The text front end of the agent: `voxorder chat` (interactive on a terminal, one
//! utterance per line otherwise, text or JSON out), with the kiosk screen beside it
//! (`--screen`): its keypad and buttons are turns like typed lines.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap::Args;

use voxorder_agent::{Agent, AgentAssets, AgentError, StartOptions, Turn};
use voxorder_config::Config;
use voxorder_domain::clock::Clock;
use voxorder_store::{OpenMode, Store, StoreError};

use super::screen::Glue;
use super::{background_sync, load_nlu, Context};
use voxorder_voice::live::SurfaceInput;

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

/// `--screen [ADDR]`: show the conversation on the kiosk screen's page.
#[derive(Debug, Args)]
pub struct ScreenArgs {
    /// Serve the kiosk screen's page, on ADDR or `screen.bind` (127.0.0.1:8090 by
    /// default); an address off loopback needs `screen.token_file`.
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "")]
    pub screen: Option<String>,
}

impl ScreenArgs {
    /// The address asked for: None for the configured one.
    pub fn requested(&self) -> Option<&str> {
        self.screen.as_deref().filter(|a| !a.is_empty())
    }
}

/// `voxorder chat`: the store (read-only when it cannot be written), the agent's assets,
/// background sync when configured, then the conversation.
pub fn command(
    ctx: &Context,
    config: Config,
    json: bool,
    call: CallArgs,
    screen: ScreenArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let CallArgs { customer, confirm } = call;
    let mut store = ctx.open_store(OpenMode::ExistingOrReadOnly)?;
    let nlu = load_nlu(&config, &store)?;
    let _sync = background_sync(&config, &store, ctx.clock);
    let shown = match &screen.screen {
        Some(_) => Some(super::screen::start(&config.screen, screen.requested())?),
        None => None,
    };
    let glue = shown
        .as_ref()
        .map(|(s, _)| Glue::new(s.publisher(), &config));
    let assets = AgentAssets::new(config, &store, nlu)?;
    let (_screen, inputs) = match shown {
        Some((screen, inputs)) => (Some(screen), Some(inputs)),
        None => (None, None),
    };
    run(
        &mut store,
        &assets,
        ctx.clock,
        Options {
            json,
            customer,
            confirm,
        },
        glue.zip(inputs),
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

/// What the conversation waits on: the next line of stdin, or something done on the
/// screen.
enum Next {
    Line(String),
    Screen(SurfaceInput),
    /// stdin ended.
    End,
}

/// Reads stdin on a thread of its own, so the screen's inputs are taken while a line is
/// awaited.
fn read_lines(tx: mpsc::Sender<Next>) -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut line = Vec::new();
    loop {
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
        let text = text.trim_end_matches(['\n', '\r']).to_string();
        if tx.send(Next::Line(text)).is_err() {
            return Ok(());
        }
    }
    let _ = tx.send(Next::End);
    Ok(())
}

/// Runs a conversation over stdin and `out`, and the screen when there is one.
pub fn run(
    store: &mut Store,
    assets: &AgentAssets,
    clock: Clock,
    options: Options,
    screen: Option<(Glue, voxorder_screen::Inputs)>,
    out: &mut impl Write,
) -> Result<(), ChatError> {
    let interactive = std::io::stdin().is_terminal() && !options.json;
    let outbound = options.confirm.is_some();
    let (mut agent, opening) = Agent::open(store, assets, clock, start_options(&options))?;
    // Piped input gets exactly one reply per line; the opening is printed only when the
    // agent speaks first (an outbound call) or someone is at the terminal.
    if interactive || outbound {
        print_turn(out, &opening, options.json)?;
    }
    let (tx, rx) = mpsc::channel();
    let mut glue = match screen {
        Some((mut glue, inputs)) => {
            glue.opened(&agent, &opening);
            glue.phase(voxorder_screen::Phase::Listening);
            let tx = tx.clone();
            std::thread::Builder::new()
                .name("chat-screen".into())
                .spawn(move || {
                    while let Some(input) = inputs.recv() {
                        if tx.send(Next::Screen(super::screen::input(input))).is_err() {
                            break;
                        }
                    }
                })?;
            Some(glue)
        }
        None => None,
    };
    let mut over = false;
    // At a kiosk, the screen clears itself after its idle time, and the next person must
    // not inherit the verified caller: after as long a silence the conversation ends and
    // a new one opens for whoever speaks next.
    let idle_ends_call = glue
        .as_ref()
        .map(|_| Duration::from_secs(u64::from(assets.config.screen.idle_clear_seconds)))
        .filter(|d| !d.is_zero() && !outbound);
    let mut last_turn = Instant::now();
    let reader = std::thread::Builder::new()
        .name("chat-stdin".into())
        .spawn(move || read_lines(tx))?;
    loop {
        if interactive {
            write!(out, "you: ")?;
            out.flush()?;
        }
        let Ok(next) = rx.recv() else { break };
        if !matches!(next, Next::End)
            && idle_ends_call.is_some_and(|idle| last_turn.elapsed() >= idle)
        {
            agent.finish()?;
            drop(agent);
            // Never an outbound call here: those do not end on idle.
            let (fresh, opening) = Agent::open(store, assets, clock, start_options(&options))?;
            agent = fresh;
            over = false;
            if let Some(glue) = glue.as_mut() {
                glue.opened(&agent, &opening);
                glue.phase(voxorder_screen::Phase::Listening);
            }
            tracing::info!("the screen's idle time passed: a new conversation");
        }
        last_turn = Instant::now();
        let (turn, keypad) = match next {
            Next::End => break,
            Next::Line(text) => match text.trim().strip_prefix("/keypad") {
                Some(digits) => (agent.keypad(digits.trim())?, true),
                None if text.trim() == "/silence" => (agent.silence()?, false),
                None => (agent.say(&text)?, false),
            },
            Next::Screen(SurfaceInput::Keypad(digits)) => (agent.keypad(&digits)?, true),
            Next::Screen(SurfaceInput::Say(words)) => (agent.say(&words)?, false),
            // No microphone and no voice in a typed conversation.
            Next::Screen(SurfaceInput::StartTalking | SurfaceInput::StopSpeaking) => continue,
        };
        print_turn(out, &turn, options.json)?;
        if let Some(glue) = glue.as_mut().filter(|_| !over) {
            glue.turn(agent.store(), &agent, &turn, keypad);
        }
        // Piped input still gets a reply per line after the goodbye; the screen, cleared,
        // shows none of them.
        over |= turn.end;
        if interactive && turn.end {
            break;
        }
    }
    agent.finish()?;
    if let Some(glue) = glue.as_mut().filter(|_| !over) {
        glue.ended();
    }
    drop(rx);
    if reader.is_finished() {
        if let Ok(Err(err)) = reader.join() {
            return Err(err.into());
        }
    }
    Ok(())
}

/// How each conversation of this `chat` starts.
fn start_options(options: &Options) -> StartOptions {
    StartOptions {
        channel: "chat",
        customer_email: options.customer.clone(),
        confirm_order: options.confirm.clone(),
    }
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

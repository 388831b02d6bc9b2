//! The `voxorder` binary: glue only. Parses the command line, loads the configuration,
//! hands each subcommand to its module under `cmd/` and maps errors to exit codes
//! (`exit`, and nowhere else).

mod cmd;
mod exit;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use chrono::NaiveDateTime;
use clap::{Parser, Subcommand};

use voxorder_config::Config;
use voxorder_domain::clock::{parse_now, Clock};
use voxorder_domain::import::ImportError;
use voxorder_domain::vocab::EntityKind;

/// Offline voice agent for retail orders.
#[derive(Debug, Parser)]
#[command(name = "voxorder", version, about, max_term_width = 100)]
struct Cli {
    /// Order store (SQLite file). Without it, the built-in demo store is used (created on
    /// first use in the data directory, movable with VOXORDER_HOME).
    #[arg(long, global = true, env = "VOXORDER_DB", value_name = "PATH")]
    db: Option<PathBuf>,

    /// Configuration file (TOML); every key and its default: `voxorder config default`.
    #[arg(long, global = true, env = "VOXORDER_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,

    /// Fix the clock, e.g. 2026-03-10T10:00:00 (policy windows and relative dates use it).
    #[arg(long, global = true, env = "VOXORDER_NOW", value_parser = parse_now, value_name = "TIME")]
    now: Option<NaiveDateTime>,

    /// More log output on stderr (-v info, -vv debug); VOXORDER_LOG sets a filter.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Load orders from a JSON file (an array of orders) into the store: all or nothing;
    /// re-importing the same file changes nothing.
    Import {
        /// The JSON file.
        file: PathBuf,
    },
    /// Look up orders in the store.
    #[command(subcommand)]
    Orders(cmd::orders::OrdersCommand),
    /// Inspect the store file.
    #[command(subcommand)]
    Store(cmd::store::StoreCommand),
    /// Show the configuration.
    #[command(subcommand)]
    Config(cmd::config::ConfigCommand),
    /// Understand text: intent, calibrated confidence, runner-up intents and entities.
    Nlu {
        /// The utterance. Without it, reads one utterance per line from stdin and prints
        /// one JSON object per line.
        text: Option<String>,
        /// Print JSON (stdin mode always does).
        #[arg(long)]
        json: bool,
        /// What the dialog just asked for, which biases bare answers (e.g. zip_code,
        /// order_number, phone_number, date, quantity).
        #[arg(long, value_parser = parse_entity_kind, value_name = "ENTITY")]
        expect: Option<EntityKind>,
    },
    /// A text conversation with the agent. From a terminal it is interactive; otherwise
    /// it reads one utterance per line and prints each reply on a line starting with
    /// `agent: ` (an empty line is a silence; `/keypad 12345` types digits).
    Chat {
        /// Print one JSON object per turn: user, reply, intent, confidence, entities,
        /// actions.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        call: cmd::chat::CallArgs,
        #[command(flatten)]
        screen: cmd::chat::ScreenArgs,
    },
    /// The reference central OMS: serve its sync API, load data into it, migrate its
    /// store, enrol devices, simulate a fleet (`--database` or `--db` names its store).
    Oms(cmd::oms::OmsCommand),
    /// Sync this device's store with the central OMS: push the outbox, pull changes.
    Sync(cmd::sync::SyncArgs),
    /// Transcribe the speech in a WAV file (any rate; mono or stereo) on the device.
    Transcribe {
        file: PathBuf,
        /// Print JSON with segments and timing figures.
        #[arg(long)]
        json: bool,
        /// What the speech is expected to be (biases the recogniser).
        #[arg(long, value_enum, default_value = "free")]
        expect: cmd::speech::ExpectArg,
    },
    /// Speak text with the device's voice into a WAV file.
    Say {
        text: String,
        /// The WAV file to write.
        #[arg(short, long, value_name = "FILE")]
        out: PathBuf,
        /// Speak slower (as for "say that again").
        #[arg(long)]
        slow: bool,
        /// Print JSON with timing figures.
        #[arg(long)]
        json: bool,
    },
    /// A whole spoken conversation from WAV files (one per caller turn, in name order)
    /// through the real pipeline: reply WAVs and a JSON log with per-stage latencies.
    Simulate {
        /// The folder of caller-turn WAV files.
        #[arg(
            long = "in",
            value_name = "DIR",
            required_unless_present = "interactive"
        )]
        input: Option<PathBuf>,
        /// Read one WAV path per stdin line instead, answering each turn with one JSON
        /// line (heard, reply, actions, reply WAV) as it happens.
        #[arg(long, conflicts_with = "input")]
        interactive: bool,
        /// Where replies and log.json go (default: DIR/replies).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print the log as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        call: cmd::chat::CallArgs,
    },
    /// The live device loop on the microphone and speaker (mode from speech.mode).
    Run {
        /// List the audio devices and exit.
        #[arg(long)]
        list_devices: bool,
        /// The account this device is linked to (a household's smart speaker), by email.
        #[arg(long, value_name = "EMAIL")]
        customer: Option<String>,
        /// Play this WAV file as the microphone (no sound card needed).
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
        /// Write what the device says to this WAV file instead of the speaker.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Stop after this many conversations.
        #[arg(long, value_name = "N")]
        conversations: Option<u32>,
        #[command(flatten)]
        screen: cmd::chat::ScreenArgs,
    },
    /// Speed and memory of the spoken pipeline on a scripted conversation, as JSON;
    /// `--accuracy` adds the spoken test set (intents, order numbers, zips and phones,
    /// short answers, WER; per voice source, clean and in white and babble noise).
    Bench {
        /// Times the scripted conversation is played.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Also run the spoken test set.
        #[arg(long)]
        accuracy: bool,
        /// Spoken test set: the rendered set's directory (default `$SPOKEN_CACHE`, else
        /// ~/.cache/voxorder/spoken; `scripts/setup.sh --voices` renders it).
        #[arg(long, value_name = "DIR")]
        spoken_set: Option<PathBuf>,
        /// Spoken test set: take one clip in N (1: every clip).
        #[arg(long, value_name = "N", default_value_t = 8)]
        every: usize,
        /// Spoken test set: only these kinds (intent, order_number, zip, phone, short, real).
        #[arg(long, value_name = "KIND", value_delimiter = ',')]
        kinds: Vec<String>,
        /// Spoken test set: only these voice sources (flite, festival, kokoro, real).
        #[arg(long, value_name = "SOURCE", value_delimiter = ',')]
        sources: Vec<String>,
        /// Spoken test set: signal-to-noise ratios in dB (each with white and babble).
        #[arg(long, value_name = "DB", value_delimiter = ',', default_values_t = [20.0f32, 10.0, 5.0])]
        snr: Vec<f32>,
        /// Spoken test set: the recogniser knows the set's order numbers and N other
        /// 13-digit numbers, as a device whose store holds the caller's order (0: none).
        #[arg(long, value_name = "N", default_value_t = 0)]
        known_orders: usize,
        /// Also write the JSON to this file.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Serve the recogniser, the voice, the agent and the wake word to Home Assistant and
    /// its voice satellites over the Wyoming protocol (TCP), until interrupted.
    Wyoming(cmd::wyoming::WyomingArgs),
    /// The model files: check them, or prepare the ones made on the device.
    #[command(subcommand)]
    Models(cmd::models::ModelsCommand),
    /// What callers wanted and how it went: volume per intent, containment,
    /// escalations, cancellations and return reasons.
    Report {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Only conversations started at or after this time (e.g. 2026-03-01T00:00:00).
        #[arg(long, value_parser = parse_now, value_name = "TIME")]
        since: Option<NaiveDateTime>,
    },
}

fn parse_entity_kind(s: &str) -> Result<EntityKind, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| format!("{s:?} is not an entity name (e.g. order_number, zip_code, date)"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    if !voxorder_runtime::memory::return_large_buffers() {
        tracing::debug!("the allocator keeps its own threshold for large buffers");
    }
    match run(cli) {
        Ok(()) => ExitCode::from(exit::SUCCESS),
        Err(err) => {
            if let Some(ImportError::Invalid {
                problems, count, ..
            }) = err.downcast_ref()
            {
                for p in problems.iter().skip(1) {
                    eprintln!("  also: {p}");
                }
                if *count > problems.len() {
                    eprintln!("  and {} more", count - problems.len());
                }
            }
            eprintln!("error: {err:#}");
            ExitCode::from(exit::code(&err))
        }
    }
}

fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter =
        EnvFilter::try_from_env("VOXORDER_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

fn run(cli: Cli) -> Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    let ctx = cmd::Context {
        db: cli.db,
        clock: Clock::new(cli.now),
    };
    let out = &mut std::io::stdout().lock();
    match cli.command {
        Command::Import { file } => cmd::import::run(&ctx, &file, out),
        Command::Orders(command) => cmd::orders::run(&ctx, command, out),
        Command::Store(command) => cmd::store::run(&ctx, command, out),
        Command::Config(command) => cmd::config::run(&config, command, out),
        Command::Nlu { text, json, expect } => {
            cmd::nlu::run(&ctx, &config, text.as_deref(), json, expect, out)
        }
        Command::Chat { json, call, screen } => {
            cmd::chat::command(&ctx, config, json, call, screen, out)
        }
        Command::Oms(command) => cmd::oms::run(&ctx, &config, command, out),
        Command::Sync(args) => cmd::sync::run(&ctx, &config, args, out),
        Command::Transcribe { file, json, expect } => {
            cmd::speech::transcribe_command(&config, &file, expect, json, out)
        }
        Command::Say {
            text,
            out: path,
            slow,
            json,
        } => cmd::speech::say_command(&config, &text, &path, slow, json, out),
        Command::Simulate {
            input,
            out: out_dir,
            json,
            call,
            ..
        } => cmd::speech::simulate_command(
            &ctx,
            config,
            input.as_deref(),
            out_dir.as_deref(),
            call,
            json,
            out,
        ),
        Command::Run {
            list_devices: true, ..
        } => Ok(cmd::speech::print_devices(out)?),
        Command::Run {
            customer,
            input,
            output,
            conversations,
            screen,
            ..
        } => cmd::speech::run_command(
            &ctx,
            config,
            cmd::speech::RunIo {
                input,
                output,
                max_conversations: conversations,
            },
            customer,
            &screen,
            out,
        ),
        Command::Bench {
            rounds,
            accuracy,
            spoken_set,
            every,
            kinds,
            sources,
            snr,
            known_orders,
            out: out_file,
        } => cmd::speech::bench_command(
            &ctx,
            config,
            rounds,
            accuracy.then(|| {
                let defaults = voxorder_voice::eval::EvalOptions::default();
                voxorder_voice::eval::EvalOptions {
                    set_dir: spoken_set.unwrap_or(defaults.set_dir.clone()),
                    every,
                    kinds,
                    sources,
                    snrs: snr,
                    known_orders,
                    ..defaults
                }
            }),
            out_file.as_deref(),
            out,
        ),
        Command::Wyoming(args) => cmd::wyoming::command(&ctx, config, args, out),
        Command::Models(command) => cmd::models::run(&config, command, out),
        Command::Report { json, since } => cmd::report::run(&ctx, json, since, out),
    }
}

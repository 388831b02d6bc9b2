//! The `voxorder` binary: parses the command line, loads the configuration, opens the
//! store and hands each subcommand to the library. Errors are mapped to exit codes here
//! and nowhere else.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

mod cmd;

use anyhow::{Context, Result};
use chrono::NaiveDateTime;
use clap::{Args, Parser, Subcommand};

use voxorder::agent::AgentAssets;
use voxorder::clock::{parse_now, Clock};
use voxorder::config::{Config, ConfigError};
use voxorder::import::{read_order_file, ImportError};
use voxorder::nlu::classifier::{ClassifierError, OnnxIntentClassifier};
use voxorder::nlu::entities::EntityKind;
use voxorder::nlu::{Interpretation, Nlu};
use voxorder::order::{Order, OrderRecord};
use voxorder::store::{OpenMode, Store, StoreError};
use voxorder::{chat, demo, documents, paths, voice};
use voxorder_runtime::onnx::OrtError;

/// Offline voice agent for retail orders.
#[derive(Debug, Parser)]
#[command(name = "voxorder", version, about, max_term_width = 100)]
struct Cli {
    /// Order store (SQLite file). Without it, the built-in demo store is used (created on
    /// first use in the data directory, movable with VOXORDER_HOME).
    #[arg(long, global = true, env = "VOXORDER_DB", value_name = "PATH")]
    db: Option<PathBuf>,

    /// Configuration file (TOML); every key and its default: `voxorder config show`.
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
    Orders(OrdersCommand),
    /// Inspect the store file.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Show the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
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
        call: CallArgs,
    },
    /// The reference central OMS: serve its sync API, or load data into it (`--db`
    /// names the OMS's own store).
    #[command(subcommand)]
    Oms(OmsCommand),
    /// Sync this device's store with the central OMS: push the outbox, pull changes.
    Sync(SyncArgs),
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
        #[arg(long = "in", value_name = "DIR")]
        input: PathBuf,
        /// Where replies and log.json go (default: DIR/replies).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print the log as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        call: CallArgs,
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
    },
    /// Speed and memory of the spoken pipeline on a scripted conversation, as JSON;
    /// `--accuracy` adds the spoken test set (WER, order numbers, intents per SNR).
    Bench {
        /// Times the scripted conversation is played.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Also run the spoken test set.
        #[arg(long)]
        accuracy: bool,
        /// Spoken test set: utterances per intent.
        #[arg(long, default_value_t = 4)]
        per_intent: usize,
        /// Spoken test set: order-number utterances.
        #[arg(long, default_value_t = 30)]
        order_numbers: usize,
        /// Also write the JSON to this file.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// The model files: check them, or prepare the ones made on the device.
    #[command(subcommand)]
    Models(ModelsCommand),
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

#[derive(Debug, Subcommand)]
enum OrdersCommand {
    /// Show one order in full.
    Show {
        order_number: String,
        /// Print the order in the import/OMS JSON format.
        #[arg(long)]
        json: bool,
    },
    /// List the orders placed with a phone number or an email address, newest first.
    List(ListArgs),
}

/// Who a conversation is with, for `chat` and `simulate`.
#[derive(Debug, Args)]
struct CallArgs {
    /// The account this device is linked to (a household's smart speaker), by email.
    #[arg(long, value_name = "EMAIL")]
    customer: Option<String>,
    /// Play an outbound confirmation call about this order (the agent speaks first).
    #[arg(long, value_name = "ORDER")]
    confirm: Option<String>,
}

#[derive(Debug, Args)]
struct ListArgs {
    /// Phone number (any punctuation; digits are compared).
    #[arg(long, group = "who", required_unless_present = "email")]
    phone: Option<String>,
    /// Email address (case-insensitive).
    #[arg(long, group = "who")]
    email: Option<String>,
    /// Print one JSON array.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum StoreCommand {
    /// Path, schema version, size and counts of the store.
    Info {
        #[arg(long)]
        json: bool,
    },
    /// Run SQLite's full integrity check on the store.
    Check,
}

#[derive(Debug, Subcommand)]
enum OmsCommand {
    /// Serve the sync API (docs/oms-api.yaml); prints `listening on URL` when ready.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
        listen: std::net::SocketAddr,
        /// `device_id token scope` per line; the scope is `*` (everything) or
        /// `store:ID` / `customer:EMAIL` entries (docs/sync.md).
        #[arg(long, value_name = "FILE")]
        tokens: PathBuf,
        /// PEM certificate chain; with --tls-key, serve HTTPS.
        #[arg(long, requires = "tls_key", value_name = "FILE")]
        tls_cert: Option<PathBuf>,
        #[arg(long, requires = "tls_cert", value_name = "FILE")]
        tls_key: Option<PathBuf>,
        #[command(flatten)]
        limits: OmsLimitArgs,
    },
    /// Load orders (an array), or {orders, products, documents, policies}, into the OMS.
    Import { file: PathBuf },
}

/// What one client may hold of the OMS (docs/sync.md, "Limits").
#[derive(Debug, Args)]
struct OmsLimitArgs {
    /// Largest request body accepted.
    #[arg(long, default_value_t = voxorder::oms::DEFAULT_MAX_BODY >> 20, value_name = "MB")]
    max_body_mb: usize,
    /// A request's head (and a TLS handshake) must arrive within this; an idle
    /// connection is closed after it.
    #[arg(long, default_value_t = voxorder::oms::limits::DEFAULT_HEADER_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..), value_name = "SECONDS")]
    header_timeout_secs: u64,
    /// A request's body must arrive within this after its head (408 otherwise), and an
    /// answer the client stops reading for this long is dropped.
    #[arg(long, default_value_t = voxorder::oms::limits::DEFAULT_BODY_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..), value_name = "SECONDS")]
    body_timeout_secs: u64,
    /// Connections served at once; more are answered 503 with Retry-After.
    #[arg(long, default_value_t = voxorder::oms::limits::DEFAULT_MAX_CONNECTIONS,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..), value_name = "N")]
    max_connections: usize,
    /// Connections one device may hold; more are answered 503 with Retry-After.
    #[arg(long, default_value_t = voxorder::oms::limits::DEFAULT_MAX_CONNECTIONS_PER_DEVICE,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..), value_name = "N")]
    max_connections_per_device: usize,
    /// The Retry-After of those 503 answers.
    #[arg(long, default_value_t = voxorder::oms::limits::DEFAULT_RETRY_AFTER.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..), value_name = "SECONDS")]
    retry_after_secs: u64,
}

impl OmsLimitArgs {
    fn limits(&self) -> voxorder::oms::Limits {
        voxorder::oms::Limits {
            max_body_bytes: self.max_body_mb << 20,
            header_timeout: std::time::Duration::from_secs(self.header_timeout_secs),
            body_timeout: std::time::Duration::from_secs(self.body_timeout_secs),
            max_connections: self.max_connections,
            max_connections_per_device: self.max_connections_per_device,
            retry_after: std::time::Duration::from_secs(self.retry_after_secs),
        }
    }
}

#[derive(Debug, Args)]
struct SyncArgs {
    #[command(subcommand)]
    action: Option<SyncAction>,
    /// One push and one pull, then exit (every pending command is tried now).
    #[arg(long)]
    once: bool,
    /// The OMS base URL (default: sync.oms_url).
    #[arg(long, value_name = "URL")]
    oms: Option<String>,
    /// The device's bearer token.
    #[arg(
        long,
        env = "VOXORDER_OMS_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    oms_token: Option<String>,
}

#[derive(Debug, Subcommand)]
enum SyncAction {
    /// Pending and dead-lettered commands, last success, cursor and data age.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Put dead-lettered commands back in the queue (after fixing what made them fail);
    /// their idempotency keys keep a retry from applying anything twice.
    Requeue {
        /// Only these outbox ids (from `sync status`); default: every dead letter.
        #[arg(long = "id", value_name = "ID")]
        ids: Vec<i64>,
    },
}

#[derive(Debug, Subcommand)]
enum ModelsCommand {
    /// Every file models/manifest.toml names: present, missing or corrupt.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Convert the fetched Whisper model for whisper.cpp (done on first use otherwise).
    Prepare,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration as TOML.
    Show,
    /// Print the documented default configuration file.
    Default,
}

/// Exit codes (sysexits.h where one fits).
mod exit {
    pub const FAILURE: u8 = 1;
    pub const DATA: u8 = 65;
    pub const NO_INPUT: u8 = 66;
    pub const CONFIG: u8 = 78;
    pub const TEMP_FAIL: u8 = 75;
    pub const UNAVAILABLE: u8 = 69;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
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
            ExitCode::from(exit_code(&err))
        }
    }
}

fn exit_code(err: &anyhow::Error) -> u8 {
    if refused_model(err) {
        return exit::DATA;
    }
    if let Some(e) = err.downcast_ref::<StoreError>() {
        return match e {
            StoreError::Missing { .. } => exit::NO_INPUT,
            StoreError::Busy { .. } => exit::TEMP_FAIL,
            StoreError::Io { .. } | StoreError::Sql { .. } | StoreError::ReadOnly { .. } => {
                exit::FAILURE
            }
            _ => exit::DATA,
        };
    }
    if let Some(e) = err.downcast_ref::<ImportError>() {
        return match e {
            ImportError::Read { .. } => exit::NO_INPUT,
            _ => exit::DATA,
        };
    }
    if let Some(e) = err.downcast_ref::<ClassifierError>() {
        return match e {
            ClassifierError::Missing { .. } => exit::NO_INPUT,
            ClassifierError::Runtime(OrtError::Integrity(_)) => exit::DATA,
            ClassifierError::Runtime(_) => exit::UNAVAILABLE,
            _ => exit::DATA,
        };
    }
    if let Some(e) = err.downcast_ref::<voxorder::sync::SyncError>() {
        return if e.counts_attempt() || matches!(e, voxorder::sync::SyncError::Unreachable { .. }) {
            exit::TEMP_FAIL
        } else {
            exit::UNAVAILABLE
        };
    }
    if err.downcast_ref::<ConfigError>().is_some() {
        return exit::CONFIG;
    }
    if err.downcast_ref::<NotFound>().is_some() {
        return exit::NO_INPUT;
    }
    exit::FAILURE
}

/// A model or native library failed its check against the manifest and was not loaded.
fn refused_model(err: &anyhow::Error) -> bool {
    use voxorder::asr::ConvertError;
    use voxorder::models::IntegrityError;
    use voxorder::voice::VoiceError;
    err.downcast_ref::<IntegrityError>().is_some()
        || matches!(
            err.downcast_ref::<ClassifierError>(),
            Some(ClassifierError::Integrity(_) | ClassifierError::Runtime(OrtError::Integrity(_)))
        )
        || matches!(
            err.downcast_ref::<ConvertError>(),
            Some(ConvertError::Integrity(_))
        )
        || err
            .downcast_ref::<VoiceError>()
            .and_then(VoiceError::integrity)
            .is_some()
}

/// A looked-up record does not exist.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct NotFound(String);

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
    let clock = Clock::new(cli.now);
    let out = &mut std::io::stdout().lock();
    match cli.command {
        Command::Chat {
            json,
            call: CallArgs { customer, confirm },
        } => {
            let mut store = open_store(cli.db.as_ref(), &clock, OpenMode::ExistingOrReadOnly)?;
            let nlu = load_nlu(&config, &store)?;
            let _sync = background_sync(&config, &store, clock);
            let assets = AgentAssets::new(config, &store, nlu)?;
            chat::run(
                &mut store,
                &assets,
                clock,
                chat::Options {
                    json,
                    customer,
                    confirm,
                },
                out,
            )?;
        }
        Command::Transcribe { file, json, expect } => {
            let models = paths::models_dir();
            cmd::speech::transcribe(
                &config,
                &models,
                &paths::ort_lib(&models),
                &file,
                expect,
                json,
                out,
            )?;
        }
        Command::Say {
            text,
            out: path,
            slow,
            json,
        } => {
            let models = paths::models_dir();
            cmd::speech::say(
                &config,
                &models,
                &paths::ort_lib(&models),
                &text,
                &path,
                slow,
                json,
                out,
            )?;
        }
        Command::Simulate {
            input,
            out: out_dir,
            json,
            call: CallArgs { customer, confirm },
        } => {
            let mut store = open_store(cli.db.as_ref(), &clock, OpenMode::ExistingOrReadOnly)?;
            let nlu = load_nlu(&config, &store)?;
            let assets = AgentAssets::new(config, &store, nlu)?;
            let models = paths::models_dir();
            cmd::speech::simulate(
                &mut store,
                &assets,
                clock,
                &models,
                &paths::ort_lib(&models),
                &input,
                out_dir.as_deref(),
                &cmd::speech::CallOptions { customer, confirm },
                json,
                out,
            )?;
        }
        Command::Run {
            list_devices: true, ..
        } => cmd::speech::print_devices(out)?,
        Command::Run {
            customer,
            input,
            output,
            conversations,
            ..
        } => {
            let mut store = open_store(cli.db.as_ref(), &clock, OpenMode::ExistingOrReadOnly)?;
            let nlu = load_nlu(&config, &store)?;
            let _sync = background_sync(&config, &store, clock);
            let assets = AgentAssets::new(config, &store, nlu)?;
            let models = paths::models_dir();
            let stop = std::sync::atomic::AtomicBool::new(false);
            cmd::speech::run(
                &mut store,
                &assets,
                clock,
                &models,
                &paths::ort_lib(&models),
                &cmd::speech::RunIo {
                    input,
                    output,
                    max_conversations: conversations,
                },
                &cmd::speech::CallOptions {
                    customer,
                    confirm: None,
                },
                &stop,
                out,
            )?;
        }
        Command::Bench {
            rounds,
            accuracy,
            per_intent,
            order_numbers,
            out: out_file,
        } => {
            let started = std::time::Instant::now();
            // A fresh demo store, so the bench neither needs nor changes the caller's.
            let db = paths::data_dir().join("bench.db");
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
            }
            let mut store = demo::open_or_create(&db, clock.now())?;
            let nlu = load_nlu(&config, &store)?;
            let assets = AgentAssets::new(config, &store, nlu)?;
            let store_and_nlu_ms = started.elapsed().as_secs_f64() * 1000.0;
            let models = paths::models_dir();
            cmd::speech::bench(
                &mut store,
                &assets,
                clock.now(),
                &models,
                &paths::ort_lib(&models),
                rounds,
                accuracy.then(|| voice::eval::EvalOptions {
                    per_intent,
                    order_numbers,
                    ..voice::eval::EvalOptions::default()
                }),
                started,
                store_and_nlu_ms,
                out_file.as_deref(),
                out,
            )?;
        }
        Command::Models(ModelsCommand::Status { json }) => {
            let models = paths::models_dir();
            let files = voxorder::models::status(&models)?;
            if json {
                serde_json::to_writer_pretty(&mut *out, &files)?;
                writeln!(out)?;
            } else {
                writeln!(out, "models in {}", models.display())?;
                for f in &files {
                    let size = f
                        .bytes
                        .map(|b| format!("{:.1} MB", b as f64 / 1e6))
                        .unwrap_or_default();
                    writeln!(out, "  {:<20} {:<44} {size}", f.state, f.path)?;
                }
            }
            if let Some(bad) = files
                .iter()
                .find(|f| !f.ok() && f.state != "not-for-this-platform")
            {
                anyhow::bail!("{} is {}: {}", bad.path, bad.state, bad.hint());
            }
        }
        Command::Models(ModelsCommand::Prepare) => {
            let models = paths::models_dir();
            let path = voxorder::asr::convert::ensure_whisper_model_with_progress(
                &models,
                &config.speech.asr,
                &mut |done, total| {
                    eprint!(
                        "\rconverting the Whisper model: {:>3}%",
                        done * 100 / total.max(1)
                    );
                },
            )?;
            eprintln!();
            writeln!(out, "ready: {}", path.display())?;
        }
        Command::Report { json, since } => {
            let store = open_store(cli.db.as_ref(), &clock, OpenMode::Existing)?;
            let report = store.report(since)?;
            if json {
                serde_json::to_writer_pretty(&mut *out, &report)?;
                writeln!(out)?;
            } else {
                chat::print_report(out, &report)?;
            }
        }
        Command::Config(ConfigCommand::Show) => {
            write!(
                out,
                "{}",
                toml::to_string_pretty(&config).context("printing config")?
            )?;
        }
        Command::Config(ConfigCommand::Default) => {
            write!(out, "{}", voxorder::config::DEFAULT_TOML)?;
        }
        Command::Import { file } => {
            // Validate the whole file before the store is opened, so a bad file never
            // creates or touches a store.
            let orders = read_order_file(&file)?;
            let mut store = open_store(cli.db.as_ref(), &clock, OpenMode::CreateIfMissing)?;
            if store.documents()?.is_empty() {
                store.upsert_documents(&documents::default_documents(), clock.now())?;
            }
            let s = store.upsert_orders(&orders, clock.now())?;
            tracing::info!(
                inserted = s.inserted,
                updated = s.updated,
                unchanged = s.unchanged,
                kept_pending = s.kept_pending,
                kept_newer = s.kept_newer,
                "import done"
            );
            write!(
                out,
                "imported {} orders from {} into {}: {} new, {} updated, {} unchanged",
                orders.len(),
                file.display(),
                store.path().display(),
                s.inserted,
                s.updated,
                s.unchanged
            )?;
            if s.kept_pending > 0 {
                write!(
                    out,
                    ", {} kept (changes made here are still waiting to be sent)",
                    s.kept_pending
                )?;
            }
            if s.kept_newer > 0 {
                write!(
                    out,
                    ", {} kept (the store has a newer version from the OMS)",
                    s.kept_newer
                )?;
            }
            writeln!(out)?;
        }
        Command::Orders(OrdersCommand::Show { order_number, json }) => {
            let digits = voxorder::order::order_number_from_input(&order_number)
                .map_err(|r| anyhow::anyhow!("order number {r}"))?;
            let store = open_store(cli.db.as_ref(), &clock, OpenMode::Existing)?;
            let order = store.order(&digits)?.ok_or_else(|| {
                NotFound(format!("no order {digits} in {}", store.path().display()))
            })?;
            if json {
                serde_json::to_writer_pretty(&mut *out, &OrderRecord::from(&order))?;
                writeln!(out)?;
            } else {
                print_order(out, &order)?;
            }
        }
        Command::Orders(OrdersCommand::List(args)) => {
            let store = open_store(cli.db.as_ref(), &clock, OpenMode::Existing)?;
            let list = match (&args.phone, &args.email) {
                (Some(phone), _) => {
                    let digits = voxorder::order::phone_digits(phone)
                        .with_context(|| format!("phone number {phone:?} has too few digits"))?;
                    store.orders_by_phone(&digits)?
                }
                (None, Some(email)) => store.orders_by_email(email)?,
                (None, None) => unreachable!("clap requires --phone or --email"),
            };
            if args.json {
                serde_json::to_writer_pretty(&mut *out, &list)?;
                writeln!(out)?;
            } else if list.is_empty() {
                writeln!(out, "no orders")?;
            } else {
                for o in &list {
                    let more = if o.item_count > 1 {
                        format!(" (+{} more)", o.item_count - 1)
                    } else {
                        String::new()
                    };
                    writeln!(
                        out,
                        "{}  {}  {:<20}  ${:>9}  {}{more}",
                        o.order_number,
                        o.order_date,
                        o.status,
                        o.total.to_string(),
                        o.first_item
                    )?;
                }
            }
        }
        Command::Store(StoreCommand::Info { json }) => {
            let store = open_store(cli.db.as_ref(), &clock, OpenMode::Existing)?;
            let counts = store.order_counts()?;
            let total: u64 = counts.iter().map(|(_, n)| n).sum();
            let info = serde_json::json!({
                "path": store.path(),
                "schema_version": store.schema_version()?,
                "size_bytes": store.size_on_disk(),
                "orders": total,
                "orders_by_status": counts.iter().map(|(s, n)| (s.as_str(), n)).collect::<std::collections::BTreeMap<_, _>>(),
                "products": store.products()?.len(),
                "households": store.households()?.len(),
                "documents": store.documents()?.len(),
                "demo_anchor": store.meta("demo_anchor")?,
            });
            if json {
                serde_json::to_writer_pretty(&mut *out, &info)?;
                writeln!(out)?;
            } else {
                writeln!(out, "store      {}", store.path().display())?;
                writeln!(out, "schema     v{}", info["schema_version"])?;
                writeln!(
                    out,
                    "size       {:.1} MB",
                    store.size_on_disk() as f64 / 1e6
                )?;
                writeln!(out, "products   {}", info["products"])?;
                writeln!(out, "households {}", info["households"])?;
                writeln!(out, "orders     {total}")?;
                for (s, n) in &counts {
                    writeln!(out, "  {:<22}{n}", s.as_str())?;
                }
            }
        }
        Command::Nlu { text, json, expect } => {
            let store = open_store(cli.db.as_ref(), &clock, OpenMode::Existing)?;
            let nlu = load_nlu(&config, &store)?;
            match text {
                Some(text) => {
                    let i = nlu.understand(&text, clock.now(), expect)?;
                    if json {
                        serde_json::to_writer(&mut *out, &nlu_json(&text, &i))?;
                        writeln!(out)?;
                    } else {
                        print_interpretation(out, &i)?;
                    }
                }
                None => {
                    // Bytes, not lines of text: a line of invalid UTF-8 still gets an
                    // answer (its valid parts), and every input line gets one output line.
                    let mut stdin = std::io::stdin().lock();
                    let mut buf = Vec::new();
                    loop {
                        buf.clear();
                        if std::io::BufRead::read_until(&mut stdin, b'\n', &mut buf)? == 0 {
                            break;
                        }
                        let line = String::from_utf8_lossy(&buf);
                        let line = line.trim_end_matches(['\n', '\r']);
                        let i = nlu.understand(line, clock.now(), expect)?;
                        serde_json::to_writer(&mut *out, &nlu_json(line, &i))?;
                        writeln!(out)?;
                    }
                }
            }
        }
        Command::Oms(cmd) => {
            let db = cli.db.as_deref().context("--db PATH names the OMS store")?;
            match cmd {
                OmsCommand::Serve {
                    listen,
                    tokens,
                    tls_cert,
                    tls_key,
                    limits,
                } => voxorder::oms::serve_blocking(voxorder::oms::ServeOptions {
                    listen,
                    db: db.to_path_buf(),
                    devices: voxorder::oms::Devices::read_file(&tokens)?,
                    tls: tls_cert.zip(tls_key),
                    limits: limits.limits(),
                    policy: config.policy.orders.clone(),
                })?,
                OmsCommand::Import { file } => {
                    let s = voxorder::oms::import_file(db, &file)?;
                    serde_json::to_writer(&mut *out, &s)?;
                    writeln!(out)?;
                }
            }
        }
        Command::Sync(args) => {
            let db = cli.db.clone().unwrap_or_else(paths::demo_db);
            match (args.action, args.once) {
                (Some(SyncAction::Requeue { ids }), _) => {
                    let store = Store::open(&db, OpenMode::Existing)?;
                    let ids = (!ids.is_empty()).then_some(ids.as_slice());
                    let n = store.requeue_dead_letters(ids, clock.now())?;
                    writeln!(out, "requeued {n} command(s)")?;
                }
                (Some(SyncAction::Status { json }), _) => {
                    let store = Store::open(&db, OpenMode::Existing)?;
                    let status = store.sync_status(clock.now())?;
                    if json {
                        serde_json::to_writer_pretty(&mut *out, &status)?;
                    } else {
                        write!(out, "{}", toml::to_string_pretty(&status)?)?;
                    }
                    writeln!(out)?;
                }
                (None, true) => {
                    let r = voxorder::sync::run_once(
                        &config,
                        &db,
                        clock,
                        args.oms.as_deref(),
                        args.oms_token,
                    )?;
                    serde_json::to_writer(&mut *out, &r)?;
                    writeln!(out)?;
                    if let Some(e) = r.error {
                        anyhow::bail!("sync incomplete (the outbox keeps what was not sent): {e}");
                    }
                }
                (None, false) => voxorder::sync::run_forever(
                    &config,
                    &db,
                    clock,
                    args.oms.as_deref(),
                    args.oms_token,
                )?,
            }
        }
        Command::Store(StoreCommand::Check) => {
            let store = open_store(cli.db.as_ref(), &clock, OpenMode::Existing)?;
            store.check_integrity()?;
            writeln!(
                out,
                "{}: ok (schema v{})",
                store.path().display(),
                store.schema_version()?
            )?;
        }
    }
    Ok(())
}

/// Starts syncing with the OMS in the background when one is configured. Sync is a
/// convenience for `chat` and `run`: without it the agent answers from the cache, so a
/// failure to start is logged, not fatal. The handle stops the sync when dropped. A
/// store that cannot be written cannot take what sync downloads, so it is not started.
fn background_sync(
    config: &Config,
    store: &Store,
    clock: Clock,
) -> Option<voxorder::sync::SyncHandle> {
    if store.read_only().is_some() {
        return None;
    }
    voxorder::sync::spawn_background(config, store.path(), clock).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "background sync not started");
        None
    })
}

/// Loads the intent model and ONNX Runtime, with the store's catalog for products.
fn load_nlu(config: &Config, store: &Store) -> Result<Nlu> {
    let models = paths::models_dir();
    let classifier = OnnxIntentClassifier::load(&models.join("intent"), &paths::ort_lib(&models))?;
    tracing::info!(load_ms = classifier.load_ms, "intent model loaded");
    Ok(Nlu::new(
        Box::new(classifier),
        &store.products()?,
        config.nlu.confidence_threshold,
    ))
}

fn nlu_json(text: &str, i: &Interpretation) -> serde_json::Value {
    let round = |c: f32| (f64::from(c) * 1e4).round() / 1e4;
    serde_json::json!({
        "text": text,
        "intent": i.intent,
        "confidence": round(i.confidence),
        "entities": i.entities,
        "alternatives": i.alternatives.iter()
            .map(|a| serde_json::json!({"intent": a.intent, "confidence": round(a.confidence)}))
            .collect::<Vec<_>>(),
    })
}

fn print_interpretation(out: &mut impl Write, i: &Interpretation) -> std::io::Result<()> {
    writeln!(out, "intent      {} ({:.2})", i.intent, i.confidence)?;
    let alts: Vec<String> = i
        .alternatives
        .iter()
        .map(|a| format!("{} {:.2}", a.intent, a.confidence))
        .collect();
    writeln!(out, "best        {}", alts.join(", "))?;
    if !i.entities.is_empty() {
        writeln!(
            out,
            "entities    {}",
            serde_json::to_string(&i.entities).unwrap_or_default()
        )?;
    }
    Ok(())
}

/// Opens the store named by `--db`, or the demo store (created on first use). A store
/// opened read-only (`OpenMode::ExistingOrReadOnly`) is said so on one line of stderr.
fn open_store(db: Option<&PathBuf>, clock: &Clock, mode: OpenMode) -> Result<Store> {
    let demo = paths::demo_db();
    let store = match db {
        Some(path) => Store::open(path, mode)?,
        None if mode == OpenMode::ExistingOrReadOnly && demo.exists() => Store::open(&demo, mode)?,
        None => demo::open_or_create(&demo, clock.now())?,
    };
    if let Some(reason) = store.read_only() {
        eprintln!(
            "warning: {} cannot be written ({reason}); look-ups work, but changes are unavailable",
            store.path().display()
        );
    }
    Ok(store)
}

fn print_order(out: &mut impl Write, o: &Order) -> std::io::Result<()> {
    writeln!(out, "Order {}  [{}]", o.order_number, o.status)?;
    writeln!(out, "  placed     {}", o.order_date)?;
    let c = &o.customer;
    writeln!(
        out,
        "  customer   {}  email {}  phone {}  billing zip {}",
        c.name,
        c.email.as_deref().unwrap_or("-"),
        c.phone.as_deref().unwrap_or("-"),
        c.billing_zip.as_deref().unwrap_or("-")
    )?;
    for it in &o.items {
        let mut flags = Vec::new();
        if it.final_sale {
            flags.push("final sale");
        }
        if it.personalised {
            flags.push("personalised");
        }
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!("  [{}]", flags.join(", "))
        };
        writeln!(
            out,
            "  item       {} x {} ({}, {}) at ${}{flags}",
            it.qty, it.name, it.sku, it.category, it.price
        )?;
    }
    writeln!(
        out,
        "  amounts    subtotal ${}  shipping ${}  total ${} {}",
        o.subtotal, o.shipping_cost, o.total, o.currency
    )?;
    match (&o.payment.brand, &o.payment.last4) {
        (Some(b), Some(l)) => writeln!(
            out,
            "  payment    {} {b} ending {l}",
            o.payment.method.as_str()
        )?,
        _ => writeln!(out, "  payment    {}", o.payment.method.as_str())?,
    }
    if let Some(a) = &o.shipping_address {
        let line2 = a
            .line2
            .as_deref()
            .map(|l| format!(", {l}"))
            .unwrap_or_default();
        let state = a
            .state
            .as_deref()
            .map(|s| format!(", {s}"))
            .unwrap_or_default();
        writeln!(
            out,
            "  ship to    {}{line2}, {}{state} {}, {} ({})",
            a.line1,
            a.city,
            a.zip,
            a.country,
            o.shipping_method.as_str()
        )?;
    }
    if let (Some(c), Some(t)) = (&o.carrier, &o.tracking_number) {
        writeln!(out, "  tracking   {c} {t}")?;
    }
    let dates = [
        ("shipped", o.shipped_at.map(|d| d.to_string())),
        ("estimated", o.estimated_delivery.map(|d| d.to_string())),
        ("delivered", o.delivered_at.map(|d| d.to_string())),
        ("cancelled", o.cancelled_at.map(|d| d.to_string())),
    ];
    for (label, value) in dates {
        if let Some(v) = value {
            writeln!(out, "  {label:<10} {v}")?;
        }
    }
    for e in &o.tracking_events {
        writeln!(
            out,
            "  event      {}  {:<16} {}  {}",
            e.at.format("%Y-%m-%d %H:%M"),
            e.status,
            e.location.as_deref().unwrap_or(""),
            e.description.as_deref().unwrap_or("")
        )?;
    }
    if let Some(n) = &o.internal_notes {
        writeln!(out, "  note       {n}")?;
    }
    Ok(())
}

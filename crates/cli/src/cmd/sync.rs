//! `voxorder sync`: push the outbox and pull the OMS's changes (once or for ever), the
//! sync status, and dead letters put back in the queue.

use std::io::Write;

use anyhow::Result;
use clap::{Args, Subcommand};

use voxorder_config::Config;
use voxorder_runtime::paths;
use voxorder_store::{OpenMode, Store};

use super::Context;

#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(subcommand)]
    pub action: Option<SyncAction>,
    /// One push and one pull, then exit (every pending command is tried now).
    #[arg(long)]
    pub once: bool,
    /// The OMS base URL (default: sync.oms_url).
    #[arg(long, value_name = "URL")]
    pub oms: Option<String>,
    /// The device's bearer token.
    #[arg(
        long,
        env = "VOXORDER_OMS_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub oms_token: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum SyncAction {
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

pub fn run(ctx: &Context, config: &Config, args: SyncArgs, out: &mut impl Write) -> Result<()> {
    let db = ctx.db.clone().unwrap_or_else(paths::demo_db);
    match (args.action, args.once) {
        (Some(SyncAction::Requeue { ids }), _) => {
            let store = Store::open(&db, OpenMode::Existing)?;
            let ids = (!ids.is_empty()).then_some(ids.as_slice());
            let n = store.requeue_dead_letters(ids, ctx.clock.now())?;
            writeln!(out, "requeued {n} command(s)")?;
        }
        (Some(SyncAction::Status { json }), _) => {
            let store = Store::open(&db, OpenMode::Existing)?;
            let status = store.sync_status(ctx.clock.now())?;
            if json {
                serde_json::to_writer_pretty(&mut *out, &status)?;
            } else {
                write!(out, "{}", toml::to_string_pretty(&status)?)?;
            }
            writeln!(out)?;
        }
        (None, true) => {
            enrol_if_new(ctx, &db)?;
            let r = voxorder_sync::run_once(
                config,
                &db,
                ctx.clock,
                args.oms.as_deref(),
                args.oms_token,
            )?;
            serde_json::to_writer(&mut *out, &r)?;
            writeln!(out)?;
            if let Some(e) = r.error {
                anyhow::bail!("sync incomplete (the outbox keeps what was not sent): {e}");
            }
        }
        (None, false) => {
            enrol_if_new(ctx, &db)?;
            voxorder_sync::run_forever(config, &db, ctx.clock, args.oms.as_deref(), args.oms_token)?
        }
    }
    Ok(())
}

/// Enrolment: a new device given a store path (`--db`) where no store exists yet gets an
/// empty store there, made whole beside it and moved into place as every store is, and
/// the first pull fills it with the device's scope. Without `--db` (the demo store) or
/// with a file already there, nothing is made.
fn enrol_if_new(ctx: &Context, db: &std::path::Path) -> Result<()> {
    if ctx.db.is_none() || db.exists() {
        return Ok(());
    }
    drop(Store::create_with(db, |_| Ok(()))?);
    eprintln!(
        "no store at {}: created an empty one; this device's orders, catalog and policies \
         come with the first pull",
        db.display()
    );
    Ok(())
}

//! `voxorder store info|check`: what the store holds, and SQLite's full integrity check.

use std::io::Write;

use anyhow::Result;
use clap::Subcommand;

use voxorder_store::OpenMode;

use super::Context;

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Path, schema version, size and counts of the store.
    Info {
        #[arg(long)]
        json: bool,
    },
    /// Run SQLite's full integrity check on the store.
    Check,
}

pub fn run(ctx: &Context, command: StoreCommand, out: &mut impl Write) -> Result<()> {
    match command {
        StoreCommand::Info { json } => info(ctx, json, out),
        StoreCommand::Check => check(ctx, out),
    }
}

fn info(ctx: &Context, json: bool, out: &mut impl Write) -> Result<()> {
    let store = ctx.open_store(OpenMode::Existing)?;
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
    Ok(())
}

fn check(ctx: &Context, out: &mut impl Write) -> Result<()> {
    let store = ctx.open_store(OpenMode::Existing)?;
    store.check_integrity()?;
    writeln!(
        out,
        "{}: ok (schema v{})",
        store.path().display(),
        store.schema_version()?
    )?;
    Ok(())
}

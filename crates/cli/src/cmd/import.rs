//! `voxorder import FILE.json`: the whole file is checked before the store is opened,
//! then written in one transaction.

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use voxorder_domain::import::read_order_file;
use voxorder_store::documents::default_documents;
use voxorder_store::OpenMode;

use super::Context;

pub fn run(ctx: &Context, file: &Path, out: &mut impl Write) -> Result<()> {
    // Validate the whole file before the store is opened, so a bad file never
    // creates or touches a store.
    let orders = read_order_file(file)?;
    let mut store = ctx.open_store(OpenMode::CreateIfMissing)?;
    if store.documents()?.is_empty() {
        store.upsert_documents(&default_documents(), ctx.clock.now())?;
    }
    let s = store.upsert_orders(&orders, ctx.clock.now())?;
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
    Ok(())
}

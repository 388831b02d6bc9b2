//! `voxorder report`: what callers wanted and how it went, as a short table or JSON.

use std::io::Write;

use anyhow::Result;
use chrono::NaiveDateTime;

use voxorder_store::{OpenMode, Report};

use super::Context;

pub fn run(
    ctx: &Context,
    json: bool,
    since: Option<NaiveDateTime>,
    out: &mut impl Write,
) -> Result<()> {
    let store = ctx.open_store(OpenMode::Existing)?;
    let report = store.report(since)?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        print_report(out, &report)?;
    }
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

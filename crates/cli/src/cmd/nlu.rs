//! `voxorder nlu`: the intent, its calibrated confidence, the runner-up intents and the
//! entities of one utterance, or of each stdin line as JSON.

use std::io::Write;

use anyhow::Result;

use voxorder_config::Config;
use voxorder_domain::vocab::{EntityKind, Interpretation};
use voxorder_store::OpenMode;

use super::{load_nlu, Context};

pub fn run(
    ctx: &Context,
    config: &Config,
    text: Option<&str>,
    json: bool,
    expect: Option<EntityKind>,
    out: &mut impl Write,
) -> Result<()> {
    let store = ctx.open_store(OpenMode::Existing)?;
    let nlu = load_nlu(config, &store)?;
    match text {
        Some(text) => {
            let i = nlu.understand(text, ctx.clock.now(), expect)?;
            if json {
                serde_json::to_writer(&mut *out, &nlu_json(text, &i))?;
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
                let i = nlu.understand(line, ctx.clock.now(), expect)?;
                serde_json::to_writer(&mut *out, &nlu_json(line, &i))?;
                writeln!(out)?;
            }
        }
    }
    Ok(())
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

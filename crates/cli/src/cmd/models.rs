//! `voxorder models status|prepare`: every model file against its manifest, and the
//! Whisper model converted for whisper.cpp.

use std::io::Write;

use anyhow::Result;
use clap::Subcommand;

use voxorder_config::Config;
use voxorder_runtime::{models, paths};

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Every file models/manifest.toml names: present, missing or corrupt.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Convert the fetched Whisper model for whisper.cpp (done on first use otherwise).
    Prepare,
}

pub fn run(config: &Config, command: ModelsCommand, out: &mut impl Write) -> Result<()> {
    match command {
        ModelsCommand::Status { json } => status(json, out),
        ModelsCommand::Prepare => prepare(config, out),
    }
}

fn status(json: bool, out: &mut impl Write) -> Result<()> {
    let models = paths::models_dir();
    let files = models::status(&models)?;
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
    Ok(())
}

fn prepare(config: &Config, out: &mut impl Write) -> Result<()> {
    let models = paths::models_dir();
    let path = voxorder_speech::asr::convert::ensure_whisper_model_with_progress(
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
    Ok(())
}

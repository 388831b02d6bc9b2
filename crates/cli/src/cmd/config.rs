//! `voxorder config show|default`: the effective configuration, or the documented
//! defaults.

use std::io::Write;

use anyhow::{Context as _, Result};
use clap::Subcommand;

use voxorder_config::Config;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration as TOML.
    Show,
    /// Print the documented default configuration file.
    Default,
}

pub fn run(config: &Config, command: ConfigCommand, out: &mut impl Write) -> Result<()> {
    match command {
        ConfigCommand::Show => write!(
            out,
            "{}",
            toml::to_string_pretty(config).context("printing config")?
        )?,
        ConfigCommand::Default => write!(out, "{}", voxorder_config::DEFAULT_TOML)?,
    }
    Ok(())
}

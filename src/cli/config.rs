//! `hearken config --show`: the effective config, and where each value came from.

use crate::config::Effective;
use anyhow::Result;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct ConfigArgs {
    /// Print it, each value with where it came from.
    #[arg(long)]
    show: bool,
}

pub fn run(effective: &Effective, args: ConfigArgs) -> Result<ExitCode> {
    if !args.show {
        anyhow::bail!("say --show to print the effective config and where each value comes from");
    }
    print!("{}", effective.show());
    Ok(ExitCode::SUCCESS)
}

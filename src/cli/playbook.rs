//! `hearken playbook`: print the built-in playbook to start from, or check one.

use crate::playbook::Playbook;
use anyhow::Result;
use std::path::Path;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct PlaybookArgs {
    /// Print the built-in default playbook as TOML.
    #[arg(long)]
    print: bool,
}

/// `file` is the `--playbook` given, already read into `playbook`.
pub fn run(playbook: &Playbook, file: Option<&Path>, args: PlaybookArgs) -> Result<ExitCode> {
    if args.print {
        print!("{}", playbook.to_toml());
    } else if let Some(p) = file {
        println!("playbook {} is valid", p.display());
    } else {
        anyhow::bail!(
            "say --print to print the built-in playbook, or --playbook FILE to check one"
        );
    }
    Ok(ExitCode::SUCCESS)
}

//! `hearken check`: is this workstation ready? PASS/FAIL per part, with what to do.

use crate::config::Effective;
use anyhow::Result;
use std::path::Path;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct CheckArgs {
    /// Print the results as JSON (for fleet tools).
    #[arg(long)]
    json: bool,
    /// This machine runs without the overlay (`hearken live --headless`, batch servers):
    /// do not try to open a window.
    #[arg(long)]
    headless: bool,
}

pub fn run(effective: &Effective, playbook: Option<&Path>, args: CheckArgs) -> Result<ExitCode> {
    // Every problem is a FAIL line here, not an early error: the playbook too.
    let checks = crate::check::run(effective, playbook, args.headless);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&checks)?);
    } else {
        print!("{}", crate::check::report(&checks));
    }
    Ok(if checks.iter().all(|c| c.ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

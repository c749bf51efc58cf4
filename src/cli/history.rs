//! `hearken history`: the agent's own calls, today and the last 7 days; `--report` a page
//! with the trend; `--clear` deletes it.

use crate::config::Effective;
use crate::history::{self, History};
use crate::output::file::write_whole;
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct HistoryArgs {
    /// Write the trend as one self-contained HTML page.
    #[arg(long, value_name = "HTML", conflicts_with = "clear")]
    report: Option<PathBuf>,
    /// Delete the history.
    #[arg(long)]
    clear: bool,
}

pub fn run(effective: &Effective, args: HistoryArgs) -> Result<ExitCode> {
    let h = History::here()?;
    if args.clear {
        let gone = h.clear()?;
        println!(
            "hearken: {} {}",
            if gone {
                "deleted"
            } else {
                "nothing to delete at"
            },
            h.path().display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if !effective.config.history.enabled {
        let by = effective
            .origins
            .get("history.enabled")
            .map_or("the config", String::as_str);
        println!("The call history is off (history.enabled = false, set by {by}).");
    }
    let entries = h.read()?;
    if let Some(page) = &args.report {
        write_whole(page, history::page::render(&entries).as_bytes())
            .with_context(|| format!("cannot write {}", page.display()))?;
        println!(
            "hearken: {} calls drawn in {}",
            entries.len(),
            page.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", history::text(&entries, history::now()));
    Ok(ExitCode::SUCCESS)
}

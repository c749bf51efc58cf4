//! The `hearken` command line: every flag defined once (clap's derive), one module per
//! command, and the dispatch between them. `main.rs` only parses, starts the log and prints
//! what failed.

pub mod batch;
pub mod call;
pub mod check;
pub mod config;
pub mod demo;
pub mod devices;
pub mod eval;
pub mod history;
pub mod live;
pub mod playbook;
pub mod replay;

use crate::config::Effective;
use crate::playbook::Playbook;
use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// On-device coaching for contact-centre calls: listens to both sides, transcribes locally,
/// and prompts the agent. Nothing leaves the machine.
#[derive(Parser)]
#[command(name = "hearken", version, about, long_about = None)]
pub struct Cli {
    /// Config file (TOML) read over the machine-wide and user files.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Whisper model file (default: models/ggml-tiny.en-q8_0.bin, or $HEARKEN_MODEL).
    #[arg(long, global = true, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Playbook file (TOML): lexicons, and later prompt texts and rules.
    #[arg(long, global = true, value_name = "FILE")]
    pub playbook: Option<PathBuf>,
    /// Log detail on stderr: error, warn, info, debug, trace.
    #[arg(long, global = true, default_value = "warn", value_name = "LEVEL")]
    pub log: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run a bundled sample call through the whole engine and print its timeline.
    Demo(demo::DemoArgs),
    /// Replay a recorded call through the engine.
    Replay(replay::ReplayArgs),
    /// Replay every call in a folder: a summary CSV, optional reports, resumable.
    Batch(batch::BatchArgs),
    /// Score the engine on a folder of calls with truth files (NAME.wav + NAME.truth.json).
    Eval(eval::EvalArgs),
    /// The effective config: built-in defaults < /etc/hearken/config.toml < the user's
    /// ~/.config/hearken/config.toml < --config < flags.
    Config(config::ConfigArgs),
    /// Print the built-in playbook (start your own from it), or check one.
    Playbook(playbook::PlaybookArgs),
    /// Coach a live call from audio devices, with the overlay or --headless.
    Live(live::LiveArgs),
    /// List audio input devices, with config lines to paste.
    Devices,
    /// Check this workstation: model, config, playbook, audio devices, CPU, write access.
    Check(check::CheckArgs),
    /// Tell the running `hearken live` that a call starts or ends (for softphones).
    Call(call::CallArgs),
    /// Your own calls over time: today, the last 7 days, a trend page.
    History(history::HistoryArgs),
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Demo(_) => "demo",
            Command::Replay(_) => "replay",
            Command::Batch(_) => "batch",
            Command::Eval(_) => "eval",
            Command::Config(_) => "config",
            Command::Playbook(_) => "playbook",
            Command::Live(_) => "live",
            Command::Devices => "devices",
            Command::Check(_) => "check",
            Command::Call(_) => "call",
            Command::History(_) => "history",
        }
    }
}

/// Defaults < /etc/hearken/config.toml (IT; may lock keys) < the user's file < --config <
/// flags. Read first: it says where and how much to log.
pub fn effective_config(cli: &Cli) -> Result<Effective> {
    let mut effective = Effective::load(cli.config.as_deref())?;
    if let Some(m) = &cli.model {
        effective.flag("model.path", "--model")?;
        effective.config.model.path = Some(m.clone());
    } else if let Some(m) = std::env::var_os("HEARKEN_MODEL").filter(|m| !m.is_empty())
        && effective.config.model.path.is_none()
    {
        // The environment is one more layer a user controls: it may not move a locked model.
        effective.flag("model.path", "$HEARKEN_MODEL")?;
        effective.config.model.path = Some(m.into());
    }
    if let Command::Live(args) = &cli.command {
        args.apply_to(&mut effective)?;
    }
    Ok(effective)
}

/// Run the command.
pub fn run(cli: Cli, effective: Effective) -> Result<ExitCode> {
    let playbook_file = cli.playbook.clone();
    // These report on the configuration itself, so a broken playbook is theirs to show.
    match cli.command {
        Command::Config(args) => return config::run(&effective, args),
        Command::Check(args) => return check::run(&effective, playbook_file.as_deref(), args),
        Command::Devices => return devices::run(),
        Command::Call(args) => return call::run(args),
        Command::History(args) => return history::run(&effective, args),
        _ => {}
    }
    let config = effective.config;
    let playbook = match &playbook_file {
        Some(p) => Playbook::from_file(p)?,
        None => Playbook::default(),
    };
    match cli.command {
        Command::Demo(args) => demo::run(config, playbook, args),
        Command::Replay(args) => replay::run(config, playbook, args),
        Command::Batch(args) => batch::run(config, playbook, args),
        Command::Eval(args) => eval::run(config, &playbook, args),
        Command::Playbook(args) => playbook::run(&playbook, playbook_file.as_deref(), args),
        Command::Live(args) => live::run(config, playbook, args),
        Command::Config(_)
        | Command::Check(_)
        | Command::Devices
        | Command::Call(_)
        | Command::History(_) => unreachable!("handled above"),
    }
}

/// Whether a graphical session is there to show a window on.
pub fn display_present() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()))
}

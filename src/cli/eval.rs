//! `hearken eval [FOLDER]`: score the engine on calls whose truth is known.

use crate::config::Config;
use crate::eval::{self, Truth};
use crate::playbook::Playbook;
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct EvalArgs {
    /// Folder of calls (default: the bundled sample calls). A development set with `tune/`
    /// and `aside/` folders is scored on its held-out `aside` part unless --part says
    /// otherwise.
    #[arg(default_value = "tests/fixtures")]
    folder: PathBuf,
    /// Which part of a development set: aside (held out, the default) or tune.
    #[arg(long, value_parser = ["aside", "tune"], default_value = "aside")]
    part: String,
    /// Also run whisper (slower; the scores above do not need it).
    #[arg(long)]
    transcribe: bool,
}

pub fn run(config: Config, playbook: &Playbook, args: EvalArgs) -> Result<ExitCode> {
    let part = args.folder.join(&args.part);
    let folder = if part.is_dir() { &part } else { &args.folder };
    let calls = eval::truth_files(folder)
        .with_context(|| format!("cannot read the folder {}", folder.display()))?;
    if calls.is_empty() {
        anyhow::bail!(
            "no calls with truth in {}: expected NAME.wav beside NAME.truth.json",
            folder.display()
        );
    }
    let mut scores = Vec::new();
    for (wav, truth_path) in calls {
        let text = std::fs::read_to_string(&truth_path)
            .with_context(|| format!("cannot read {}", truth_path.display()))?;
        let truth: Truth = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a truth file", truth_path.display()))?;
        scores.push(eval::score_call(
            &wav,
            &truth,
            &config,
            playbook,
            args.transcribe,
        )?);
    }
    if folder == &part {
        println!("{} (the {} part)", folder.display(), args.part);
    }
    print!("{}", eval::table(&scores));
    Ok(ExitCode::SUCCESS)
}

//! `hearken batch FOLDER`: every call in a folder (or a shard of it), a summary CSV,
//! resumable; `hearken batch --merge OUT.csv PARTS...` joins the shards' summaries.

use crate::batch::{Batch, Shard};
use crate::config::Config;
use crate::contract::Channel;
use crate::playbook::Playbook;
use anyhow::Result;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct BatchArgs {
    /// Folder of two-channel WAV calls; with --merge, the merged summary to write and then
    /// the summaries to merge.
    #[arg(value_name = "FOLDER", required = true, num_args = 1..)]
    paths: Vec<PathBuf>,
    /// The summary CSV: one row per call, appended as each call finishes (a rerun skips
    /// calls already in it).
    #[arg(long, value_name = "CSV", required_unless_present = "merge")]
    out: Option<PathBuf>,
    /// Only this task's share of the folder: I/N (task I of N, from 0); N alone, the task
    /// taken from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX; or `auto`, task and count
    /// both from a Slurm array.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Join summaries (one per shard) into one: each call once, its ok row over errors.
    #[arg(long, conflicts_with_all = ["shard", "reports", "jobs"])]
    merge: bool,
    /// Also write NAME.html and NAME.json reports into this folder.
    #[arg(long, value_name = "DIR")]
    reports: Option<PathBuf>,
    /// Calls replayed at once (each uses two whisper threads; default: one per core).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Which channel of each call is the agent.
    #[arg(long, value_enum, default_value_t = Channel::Left)]
    agent_channel: Channel,
    /// Skip speech recognition (much faster; no transcript, pace or word cues).
    #[arg(long)]
    no_transcribe: bool,
}

pub fn run(config: Config, playbook: Playbook, args: BatchArgs) -> Result<ExitCode> {
    if args.merge {
        let (out, parts) = args.paths.split_first().expect("clap requires one path");
        let n = crate::batch::merge(out, parts).map_err(|e| anyhow::anyhow!(e))?;
        eprintln!(
            "hearken batch: {} calls from {} summaries into {}",
            n,
            parts.len(),
            out.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let [folder] = &args.paths[..] else {
        anyhow::bail!(
            "hearken batch takes one folder of calls (got {}); to join summaries, use --merge OUT.csv PARTS...",
            args.paths.len()
        );
    };
    let shard = match &args.shard {
        Some(spec) => {
            Shard::parse(spec, |k| std::env::var(k).ok()).map_err(|e| anyhow::anyhow!(e))?
        }
        None => Shard::ALL,
    };
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let batch = Batch {
        folder: folder.clone(),
        out: args.out.expect("clap requires --out without --merge"),
        shard,
        reports: args.reports,
        // One call per core: measured 18.1 hours of audio per hour on 2 cores, against 16.2
        // with one call at a time (a call's own two whisper threads idle at its ends).
        jobs: args.jobs.unwrap_or(cores.max(1)),
        agent_channel: args.agent_channel,
        config,
        playbook,
        transcribe: !args.no_transcribe,
        progress: std::io::stderr().is_terminal(),
    };
    let o = crate::batch::run(&batch).map_err(|e| anyhow::anyhow!(e))?;
    eprintln!(
        "hearken batch: {} calls done now ({} failed), {} done before; {:.1} min of audio in {:.1} min ({:.1} hours of audio per hour)",
        o.ok + o.failed,
        o.failed,
        o.done_before,
        o.audio_s / 60.0,
        o.wall_s / 60.0,
        if o.wall_s > 0.0 {
            o.audio_s / o.wall_s
        } else {
            0.0
        }
    );
    Ok(if o.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

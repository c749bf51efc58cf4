//! `hearken replay`: a recorded call through the engine, as events, a timeline, a report,
//! or into the agent's overlay.

use crate::audio::CallInput;
use crate::config::Config;
use crate::contract::{Channel, Event, EventBody};
use crate::output::file::write_whole;
use crate::output::sink::{EventSink, Otherwise};
use crate::playbook::Playbook;
use crate::replay::{self, Replay, ReplayError, Speed};
use crate::report::{self, ReportBuilder, html};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct ReplayArgs {
    /// A two-channel WAV (agent and customer on separate channels).
    #[arg(value_name = "CALL", required_unless_present_any = ["agent", "customer"], conflicts_with_all = ["agent", "customer"])]
    call: Option<PathBuf>,
    /// Which channel of CALL is the agent; the other is the customer.
    #[arg(long, value_enum, default_value_t = Channel::Left)]
    agent_channel: Channel,
    /// The agent's side as a mono WAV.
    #[arg(long, value_name = "WAV")]
    agent: Option<PathBuf>,
    /// The customer's side as a mono WAV.
    #[arg(long, value_name = "WAV")]
    customer: Option<PathBuf>,
    /// Replay speed: as fast as possible, or at the recording's own pace (default: max, or
    /// realtime with --overlay).
    #[arg(long, value_enum)]
    speed: Option<Speed>,
    /// Show the agent's overlay window while the call replays.
    #[arg(long)]
    overlay: bool,
    /// Write the call's report as one self-contained HTML page.
    #[arg(long, value_name = "HTML")]
    report: Option<PathBuf>,
    /// Write the report's data as JSON (with a schema version).
    #[arg(long, value_name = "JSON")]
    json: Option<PathBuf>,
    /// In the HTML report, reach the recording for click-to-play: none, link, embed.
    #[arg(long, value_enum, default_value = "none")]
    report_audio: ReportAudio,
    /// Write every event as JSON Lines to PATH ('-' for stdout).
    #[arg(long, value_name = "PATH")]
    events: Option<PathBuf>,
    /// Skip speech recognition (speech activity only).
    #[arg(long)]
    no_transcribe: bool,
    /// Let transcripts land when whisper delivers them, as on a live call, instead of at
    /// the end of their utterance (for measuring latency with --speed realtime).
    #[arg(long)]
    live_asr: bool,
    /// The recording holds a shift of several calls: find them as a live session does
    /// (the config's [calls]), each with a fresh engine, a card and its own `call_id`.
    /// With --events DIR, one file per call.
    #[arg(long)]
    split_calls: bool,
}

/// How the HTML report reaches the recording, for click-to-play.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ReportAudio {
    None,
    /// A relative link to the WAV (keep the two together when sharing).
    Link,
    /// The WAV inside the page (one file to share; larger).
    Embed,
}

pub fn run(config: Config, playbook: Playbook, args: ReplayArgs) -> Result<ExitCode> {
    let recording = args.call.clone();
    let input = match &args.call {
        Some(path) => CallInput::Stereo {
            path: path.clone(),
            agent: args.agent_channel,
        },
        None => CallInput::Sides {
            agent: args.agent.clone(),
            customer: args.customer.clone(),
        },
    };
    let replay = Replay {
        input,
        speed: args.speed.unwrap_or(if args.overlay {
            Speed::Realtime
        } else {
            Speed::Max
        }),
        config,
        playbook,
        transcribe: !args.no_transcribe,
        live_asr: args.live_asr,
        split_calls: args.split_calls,
        model: None,
    };
    let wants_report = args.report.is_some() || args.json.is_some();
    if args.overlay {
        if args.events.is_some() || wants_report {
            anyhow::bail!(
                "--overlay shows the call; leave out --events, --report and --json (or replay again without --overlay)"
            );
        }
        return match in_window(&replay)? {
            Shown::Done => Ok(ExitCode::SUCCESS),
            Shown::NoWindow(e) => Err(anyhow::anyhow!(
                "cannot open the overlay window: {e}. Run it in a desktop session, or replay without --overlay"
            )),
        };
    }
    // Where the report's audio comes from, checked before the (long) replay.
    let audio = report_audio(&args, recording.as_deref())?;
    let otherwise = if wants_report {
        Otherwise::Discard
    } else {
        Otherwise::Timeline
    };
    let prefix = recording
        .as_deref()
        .and_then(Path::file_stem)
        .map_or(String::new(), |s| format!("{}-", s.to_string_lossy()));
    let mut sink = EventSink::open_named(args.events.as_deref(), otherwise, &prefix)
        .with_context(|| cannot_write(args.events.as_deref()))?;
    let mut builder = ReportBuilder::new();
    replay::run(&replay, |e| {
        builder.observe(e);
        sink.write(e)
    })?;
    let events_file = sink.path().map(Path::to_owned);
    sink.finish()
        .with_context(|| format!("cannot write the events into {}", cannot_name(events_file)))?;
    let report = builder.finish();
    if let Some(p) = &args.json {
        let json = serde_json::to_vec_pretty(&report)?;
        write_whole(p, &json).with_context(|| format!("cannot write {}", p.display()))?;
    }
    if let Some(p) = &args.report {
        let page = html::render(&report, &audio);
        write_whole(p, page.as_bytes()).with_context(|| format!("cannot write {}", p.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn cannot_write(events: Option<&Path>) -> String {
    format!(
        "cannot write {}",
        events.map_or("stdout".into(), |p| p.display().to_string())
    )
}

fn cannot_name(file: Option<PathBuf>) -> String {
    file.map_or("stdout".into(), |p| p.display().to_string())
}

/// The recording as the HTML report reaches it.
fn report_audio(args: &ReplayArgs, recording: Option<&Path>) -> Result<html::Audio> {
    let (Some(html_path), ReportAudio::Link | ReportAudio::Embed) =
        (&args.report, args.report_audio)
    else {
        return Ok(html::Audio::None);
    };
    let Some(rec) = recording else {
        anyhow::bail!("--report-audio needs the call as one file (CALL), not --agent/--customer");
    };
    report::audio_for(rec, html_path, args.report_audio == ReportAudio::Embed)
        .with_context(|| format!("cannot reach {} for the report", rec.display()))
}

/// How a replay in the window went.
pub enum Shown {
    Done,
    /// No window could open; the replay did not start.
    NoWindow(String),
}

/// Replay into the overlay window (the timeline printed as well); closing the window stops
/// the replay.
pub fn in_window(replay: &Replay) -> Result<Shown> {
    if !super::display_present() {
        return Ok(Shown::NoWindow(
            "no display: DISPLAY and WAYLAND_DISPLAY are unset".into(),
        ));
    }
    let run = crate::overlay::run_beside(
        &replay.config.overlay,
        None,
        |window| {
            let mut timeline = EventSink::timeline();
            let result = replay::run(replay, |e| {
                if !window.send(e) {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::Interrupted,
                        "the overlay window was closed",
                    ));
                }
                timeline.write(e)
            });
            if let Err(e) = &result {
                // Said in the window too, where the trainer is looking.
                window.send(&Event::new(
                    0,
                    EventBody::Device {
                        state: "replay_failed".into(),
                        detail: format!("{e}"),
                    },
                ));
            }
            result
        },
        || {},
    );
    let Some(result) = run.work else {
        return Ok(Shown::NoWindow(run.window.err().unwrap_or_default()));
    };
    if let Err(e) = run.window {
        anyhow::bail!(
            "cannot show the overlay window: {e}. Check that the display works (DISPLAY), or replay without --overlay"
        );
    }
    match result {
        Ok(_) => Ok(Shown::Done),
        Err(ReplayError::Output(e)) if e.kind() == std::io::ErrorKind::Interrupted => {
            Ok(Shown::Done)
        }
        Err(e) => Err(e.into()),
    }
}

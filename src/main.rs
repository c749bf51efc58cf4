//! The `hearken` command: a thin shell over the library.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use hearken::audio::{CallInput, Channel};
use hearken::coach::Playbook;
use hearken::config::Config;
use hearken::output::file::{AtomicFile, write_whole};
use hearken::output::{JsonLines, timeline};
use hearken::replay::{self, Replay, Speed};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// On-device coaching for contact-centre calls: listens to both sides, transcribes locally,
/// and prompts the agent. Nothing leaves the machine.
#[derive(Parser)]
#[command(name = "hearken", version, about, long_about = None)]
struct Cli {
    /// Config file (TOML) read over the machine-wide and user files.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Whisper model file (default: models/ggml-tiny.en-q8_0.bin, or $HEARKEN_MODEL).
    #[arg(long, global = true, value_name = "FILE")]
    model: Option<PathBuf>,
    /// Playbook file (TOML): lexicons, and later prompt texts and rules.
    #[arg(long, global = true, value_name = "FILE")]
    playbook: Option<PathBuf>,
    /// Log detail on stderr: error, warn, info, debug, trace.
    #[arg(long, global = true, default_value = "warn", value_name = "LEVEL")]
    log: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a bundled sample call through the whole engine and print its timeline.
    Demo {
        /// The sample call to play (default: the escalating customer).
        #[arg(long, value_name = "WAV")]
        call: Option<PathBuf>,
        /// Do not open the overlay window even when a display is present (the call then
        /// replays at full speed).
        #[arg(long)]
        no_overlay: bool,
    },
    /// Replay a recorded call through the engine.
    Replay(ReplayArgs),
    /// Replay every call in a folder: a summary CSV, optional reports, resumable.
    Batch(BatchArgs),
    /// Score the engine on a folder of calls with truth files (NAME.wav + NAME.truth.json).
    Eval {
        /// Folder of calls (default: the bundled sample calls).
        #[arg(default_value = "tests/fixtures")]
        folder: PathBuf,
        /// Also run whisper (slower; the scores above do not need it).
        #[arg(long)]
        transcribe: bool,
    },
    /// The effective config: built-in defaults < /etc/hearken/config.toml < the user's
    /// ~/.config/hearken/config.toml < --config < flags.
    Config {
        /// Print it, each value with where it came from.
        #[arg(long)]
        show: bool,
    },
    /// Print the built-in playbook (start your own from it), or check one.
    Playbook {
        /// Print the built-in default playbook as TOML.
        #[arg(long)]
        print: bool,
    },
    /// Coach a live call from audio devices, with the overlay or --headless.
    Live(LiveArgs),
    /// List audio input devices, with config lines to paste.
    Devices,
    /// Check this workstation: model, config, playbook, audio devices, CPU, write access.
    Check {
        /// Print the results as JSON (for fleet tools).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct BatchArgs {
    /// Folder of two-channel WAV calls.
    #[arg(value_name = "FOLDER")]
    folder: PathBuf,
    /// The summary CSV: one row per call (rewritten after each call; a rerun skips calls
    /// already in it).
    #[arg(long, value_name = "CSV")]
    out: PathBuf,
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

/// How the HTML report reaches the recording, for click-to-play.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ReportAudio {
    None,
    /// A relative link to the WAV (keep the two together when sharing).
    Link,
    /// The WAV inside the page (one file to share; larger).
    Embed,
}

#[derive(Args)]
struct LiveArgs {
    /// The agent's microphone (name or part of it; default: [capture] agent, else the
    /// system's default input).
    #[arg(long, value_name = "DEVICE")]
    agent: Option<String>,
    /// The customer's side: a loopback/monitor device (default: [capture] customer, else the
    /// monitor of the default output).
    #[arg(long, value_name = "DEVICE")]
    customer: Option<String>,
    /// One device carrying both sides instead (see --agent-channel).
    #[arg(long, value_name = "DEVICE", conflicts_with_all = ["agent", "customer"])]
    stereo: Option<String>,
    /// With --stereo: which channel is the agent.
    #[arg(long, value_enum)]
    agent_channel: Option<Channel>,
    /// Audio host: pulseaudio or alsa (default: [capture] host, else the platform's).
    #[arg(long, value_name = "NAME")]
    host: Option<String>,
    /// No window: events go to --events (default: stdout, as JSON Lines).
    #[arg(long)]
    headless: bool,
    /// Write every event as JSON Lines to PATH ('-' for stdout).
    #[arg(long, value_name = "PATH")]
    events: Option<PathBuf>,
    /// Stop after this many seconds (default: until Ctrl-C or the window closes).
    #[arg(long, value_name = "SECONDS")]
    duration: Option<f64>,
    /// Skip speech recognition (speech activity only).
    #[arg(long)]
    no_transcribe: bool,
}

impl Command {
    fn name(&self) -> &'static str {
        match self {
            Command::Demo { .. } => "demo",
            Command::Replay(_) => "replay",
            Command::Batch(_) => "batch",
            Command::Eval { .. } => "eval",
            Command::Config { .. } => "config",
            Command::Playbook { .. } => "playbook",
            Command::Live(_) => "live",
            Command::Devices => "devices",
            Command::Check { .. } => "check",
        }
    }
}

#[derive(Args)]
struct ReplayArgs {
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The config comes first: it says where and how much to log.
    let effective = match effective_config(&cli) {
        Ok(e) => e,
        Err(e) => return failed(e),
    };
    let _log = hearken::logging::init(&cli.log, &effective.config.log);
    tracing::info!(
        "hearken {} {} (pid {})",
        env!("CARGO_PKG_VERSION"),
        cli.command.name(),
        std::process::id()
    );
    match run(cli, effective) {
        Ok(code) => code,
        Err(e) => failed(e),
    }
}

fn failed(e: anyhow::Error) -> ExitCode {
    // A closed pipe (`hearken replay ... | head`) is not an error.
    let broken_pipe = e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return ExitCode::SUCCESS;
    }
    tracing::error!("{e:#}");
    eprintln!("hearken: {e:#}");
    ExitCode::FAILURE
}

/// Defaults < /etc/hearken/config.toml (IT; may lock keys) < the user's file < --config <
/// flags.
fn effective_config(cli: &Cli) -> Result<hearken::config::Effective> {
    let mut effective = hearken::config::Effective::load(cli.config.as_deref())?;
    if let Some(m) = &cli.model {
        effective.flag("model.path", "--model")?;
        effective.config.model.path = Some(m.clone());
    }
    if let Command::Live(args) = &cli.command {
        for (set, key, flag) in [
            (args.agent.is_some(), "capture.agent", "--agent"),
            (args.customer.is_some(), "capture.customer", "--customer"),
            (args.stereo.is_some(), "capture.stereo", "--stereo"),
            (
                args.agent_channel.is_some(),
                "capture.agent_channel",
                "--agent-channel",
            ),
            (args.host.is_some(), "capture.host", "--host"),
        ] {
            if set {
                effective.flag(key, flag)?;
            }
        }
    }
    Ok(effective)
}

fn run(cli: Cli, effective: hearken::config::Effective) -> Result<ExitCode> {
    if let Command::Config { show } = &cli.command {
        if !show {
            anyhow::bail!(
                "say --show to print the effective config and where each value comes from"
            );
        }
        print!("{}", effective.show());
        return Ok(ExitCode::SUCCESS);
    }
    if let Command::Check { json } = &cli.command {
        // Every problem is a FAIL line here, not an early error: the playbook too.
        let checks = hearken::check::run(&effective, cli.playbook.as_deref());
        if *json {
            println!("{}", serde_json::to_string_pretty(&checks)?);
        } else {
            print!("{}", hearken::check::report(&checks));
        }
        return Ok(if checks.iter().all(|c| c.ok) {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let config = effective.config;
    let playbook = match &cli.playbook {
        Some(p) => Playbook::from_file(p)?,
        None => Playbook::default(),
    };
    match cli.command {
        Command::Demo { call, no_overlay } => demo(config, playbook, call, no_overlay),
        Command::Replay(args) => replay_cmd(config, playbook, args),
        Command::Batch(args) => batch_cmd(config, playbook, args),
        Command::Eval { folder, transcribe } => eval_cmd(config, &playbook, &folder, transcribe),
        Command::Playbook { print } => {
            if print {
                print!("{}", playbook.to_toml());
            } else if let Some(p) = &cli.playbook {
                println!("playbook {} is valid", p.display());
            } else {
                anyhow::bail!(
                    "say --print to print the built-in playbook, or --playbook FILE to check one"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Live(args) => live_cmd(config, playbook, args),
        Command::Devices => {
            print!(
                "{}",
                hearken::audio::devices::report(&hearken::audio::devices::hushed(
                    hearken::audio::devices::list
                ))
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { .. } => unreachable!("handled above"),
        Command::Config { .. } => unreachable!("handled above"),
    }
}

/// The bundled sample call: in the source tree, or where the package installed it.
fn demo_call() -> Option<PathBuf> {
    let source = PathBuf::from("tests/fixtures/escalating.wav");
    std::iter::once(source)
        .chain(hearken::installed_file("demo/escalating.wav"))
        .find(|p| p.is_file())
}

fn demo(
    config: Config,
    playbook: Playbook,
    call: Option<PathBuf>,
    no_overlay: bool,
) -> Result<ExitCode> {
    let call = match call {
        Some(c) => c,
        None => demo_call().ok_or_else(|| {
            anyhow::anyhow!(
                "the demo call is not here (tests/fixtures/escalating.wav in the source tree, or share/hearken/demo/escalating.wav where Hearken is installed); pass --call WAV"
            )
        })?,
    };
    if !call.is_file() {
        anyhow::bail!(
            "the demo call {} is not there; pass --call WAV",
            call.display()
        );
    }
    let overlay = !no_overlay && display_present();
    println!(
        "Hearken demo: replaying {} through the engine (transcribed on this machine){}.\n",
        call.display(),
        if overlay {
            ", in real time with the overlay window"
        } else {
            ""
        }
    );
    let replay = Replay {
        input: CallInput::Stereo {
            path: call,
            agent: Channel::Left,
        },
        speed: if overlay { Speed::Realtime } else { Speed::Max },
        config,
        playbook,
        transcribe: true,
        live_asr: false,
    };
    if overlay {
        match replay_with_overlay(replay, timeline_sink()) {
            Ok(()) => return Ok(ExitCode::SUCCESS),
            Err(OverlayRun::NoWindow(e, replay)) => {
                eprintln!("hearken: no overlay ({e}); printing the timeline only.");
                print_timeline(&replay)?;
            }
            Err(OverlayRun::Failed(e)) => return Err(e),
        }
    } else {
        print_timeline(&replay)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether a graphical session is there to show a window on.
fn display_present() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()))
}

enum OverlayRun {
    /// The window could not open; the replay did not start and is handed back.
    NoWindow(String, Box<Replay>),
    Failed(anyhow::Error),
}

/// A sink that prints the readable timeline.
fn timeline_sink() -> impl FnMut(&hearken::Event) -> std::io::Result<()> + Send + 'static {
    |e| match timeline::line(e) {
        Some(l) => writeln!(std::io::stdout().lock(), "{l}"),
        None => Ok(()),
    }
}

/// Replay on a worker thread while the overlay window runs on this (the main) thread; every
/// event also goes to `also`. Closing the window stops the replay.
fn replay_with_overlay(
    replay: Replay,
    mut also: impl FnMut(&hearken::Event) -> std::io::Result<()> + Send + 'static,
) -> Result<(), OverlayRun> {
    if !display_present() {
        return Err(OverlayRun::NoWindow(
            "no display: DISPLAY and WAYLAND_DISPLAY are unset".into(),
            Box::new(replay),
        ));
    }
    let overlay_cfg = replay.config.overlay.clone();
    let (sink, rx, ctx) = hearken::overlay::channel();
    let (start_tx, start_rx) = crossbeam_channel::bounded::<bool>(1);
    let worker = std::thread::spawn(move || {
        // Wait until the window is up; if it never comes, hand the call back unplayed.
        if !start_rx.recv().unwrap_or(false) {
            return (replay, Ok(None));
        }
        let result = replay::run(&replay, |e| {
            if !sink.send(e) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::Interrupted,
                    "the overlay window was closed",
                ));
            }
            also(e)
        });
        if let Err(e) = &result {
            // Said in the window too, where the trainer is looking.
            sink.send(&hearken::Event::new(
                0,
                hearken::EventBody::Device {
                    state: "replay_failed".into(),
                    detail: format!("{e}"),
                },
            ));
        }
        (replay, result.map(Some))
    });
    let shown = hearken::overlay::run(&overlay_cfg, rx, ctx, move || {
        let _ = start_tx.send(true);
    });
    let (replay, result) = worker
        .join()
        .map_err(|_| OverlayRun::Failed(anyhow::anyhow!("the replay thread panicked")))?;
    if let Err(e) = shown {
        if matches!(result, Ok(None)) {
            return Err(OverlayRun::NoWindow(e, Box::new(replay)));
        }
        return Err(OverlayRun::Failed(anyhow::anyhow!(
            "cannot show the overlay window: {e}. Check that the display works (DISPLAY), or replay without --overlay"
        )));
    }
    match result {
        Ok(_) => Ok(()),
        Err(hearken::replay::ReplayError::Output(e))
            if e.kind() == std::io::ErrorKind::Interrupted =>
        {
            Ok(())
        }
        Err(e) => Err(OverlayRun::Failed(e.into())),
    }
}

/// Replay, printing the readable timeline on stdout as events come.
fn print_timeline(replay: &Replay) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    replay::run(replay, |e| match timeline::line(e) {
        Some(l) => writeln!(out, "{l}"),
        None => Ok(()),
    })?;
    Ok(())
}

fn eval_cmd(
    config: Config,
    playbook: &Playbook,
    folder: &Path,
    transcribe: bool,
) -> Result<ExitCode> {
    let calls = hearken::eval::truth_files(folder)
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
        let truth: hearken::eval::Truth = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a truth file", truth_path.display()))?;
        scores.push(hearken::eval::score_call(
            &wav, &truth, &config, playbook, transcribe,
        )?);
    }
    print!("{}", hearken::eval::table(&scores));
    Ok(ExitCode::SUCCESS)
}

fn replay_cmd(config: Config, playbook: Playbook, args: ReplayArgs) -> Result<ExitCode> {
    let recording = args.call.clone();
    let input = match args.call {
        Some(path) => CallInput::Stereo {
            path,
            agent: args.agent_channel,
        },
        None => CallInput::Sides {
            agent: args.agent,
            customer: args.customer,
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
    };
    let wants_report = args.report.is_some() || args.json.is_some();
    if args.overlay {
        if args.events.is_some() || wants_report {
            anyhow::bail!(
                "--overlay shows the call; leave out --events, --report and --json (or replay again without --overlay)"
            );
        }
        return match replay_with_overlay(replay, timeline_sink()) {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(OverlayRun::NoWindow(e, _)) => Err(anyhow::anyhow!(
                "cannot open the overlay window: {e}. Run it in a desktop session, or replay without --overlay"
            )),
            Err(OverlayRun::Failed(e)) => Err(e),
        };
    }
    // Where the report's audio comes from, checked before the (long) replay.
    let audio = match (&args.report, args.report_audio) {
        (Some(html_path), ReportAudio::Link | ReportAudio::Embed) => {
            let Some(rec) = &recording else {
                anyhow::bail!(
                    "--report-audio needs the call as one file (CALL), not --agent/--customer"
                );
            };
            hearken::report::audio_for(rec, html_path, args.report_audio == ReportAudio::Embed)
                .with_context(|| format!("cannot reach {} for the report", rec.display()))?
        }
        _ => hearken::report::html::Audio::None,
    };
    let mut builder = hearken::report::ReportBuilder::new();
    let mut observe = |e: &hearken::Event| builder.observe(e);
    match args.events.as_deref() {
        Some(p) if p == Path::new("-") => {
            let mut jl = JsonLines::new(std::io::stdout().lock());
            replay::run(&replay, |e| {
                observe(e);
                jl.write(e)
            })?;
            jl.flush()?;
        }
        Some(p) => write_atomically(p, |jl| {
            replay::run(&replay, |e| {
                observe(e);
                jl.write(e)
            })?;
            Ok(())
        })?,
        None if wants_report => {
            replay::run(&replay, |e| {
                observe(e);
                Ok(())
            })?;
        }
        None => print_timeline(&replay)?,
    }
    let report = builder.finish();
    if let Some(p) = &args.json {
        let json = serde_json::to_vec_pretty(&report)?;
        write_whole(p, &json).with_context(|| format!("cannot write {}", p.display()))?;
    }
    if let Some(p) = &args.report {
        let page = hearken::report::html::render(&report, &audio);
        write_whole(p, page.as_bytes()).with_context(|| format!("cannot write {}", p.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn batch_cmd(config: Config, playbook: Playbook, args: BatchArgs) -> Result<ExitCode> {
    use std::io::IsTerminal;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let batch = hearken::batch::Batch {
        folder: args.folder,
        out: args.out,
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
    let o = hearken::batch::run(&batch).map_err(|e| anyhow::anyhow!(e))?;
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

fn live_cmd(config: Config, playbook: Playbook, args: LiveArgs) -> Result<ExitCode> {
    use hearken::audio::devices;
    use hearken::live::{self, Live, LiveSource};
    let cap = &config.capture;
    let host_name = args.host.clone().or_else(|| cap.host.clone());
    let source = if let Some(device) = args.stereo.clone().or_else(|| {
        (args.agent.is_none() && args.customer.is_none())
            .then(|| cap.stereo.clone())
            .flatten()
    }) {
        LiveSource::Stereo {
            device,
            agent: args.agent_channel.unwrap_or(cap.agent_channel),
        }
    } else {
        let host = devices::host(host_name.as_deref())?;
        let agent = args
            .agent
            .clone()
            .or_else(|| cap.agent.clone())
            .or_else(|| devices::default_agent(&host))
            .context("no agent device: say --agent DEVICE or set [capture] agent (`hearken devices` lists them)")?;
        let customer = args
            .customer
            .clone()
            .or_else(|| cap.customer.clone())
            .or_else(|| devices::default_customer(&host))
            .context("no customer device: say --customer DEVICE or set [capture] customer (`hearken devices` lists them)")?;
        LiveSource::Devices { agent, customer }
    };
    let mut config = config;
    if config.asr.partials == hearken::config::PartialsMode::Captions {
        config.asr.partials = if !args.headless && config.overlay.captions {
            hearken::config::PartialsMode::Live
        } else {
            hearken::config::PartialsMode::Never
        };
    }
    let live = Live {
        source,
        host: host_name,
        config,
        playbook,
        transcribe: !args.no_transcribe,
        duration: args.duration.map(std::time::Duration::from_secs_f64),
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.store(true, std::sync::atomic::Ordering::Relaxed))
            .context("cannot install the Ctrl-C handler")?;
    }
    let report = if args.headless {
        match args.events.as_deref() {
            Some(p) if p != Path::new("-") => {
                let mut report = None;
                write_atomically(p, |jl| {
                    report = Some(live::run(&live, &stop, |e| jl.write(e))?);
                    Ok(())
                })?;
                report.expect("set on success")
            }
            _ => {
                let mut jl = JsonLines::new(std::io::stdout().lock());
                let r = live::run(&live, &stop, |e| jl.write(e))?;
                jl.flush()?;
                r
            }
        }
    } else {
        if args.events.is_some() {
            anyhow::bail!("--events goes with --headless (the window shows the events)");
        }
        if !display_present() {
            anyhow::bail!(
                "no display to show the overlay on (DISPLAY and WAYLAND_DISPLAY are unset); run in the desktop session, or use --headless"
            );
        }
        let overlay_cfg = live.config.overlay.clone();
        let (sink, rx, ctx) = hearken::overlay::channel();
        let (start_tx, start_rx) = crossbeam_channel::bounded::<bool>(1);
        let worker_stop = stop.clone();
        let window = ctx.clone();
        let worker = std::thread::spawn(move || {
            if !start_rx.recv().unwrap_or(false) {
                return Ok(None);
            }
            let result = live::run(&live, &worker_stop, |e| {
                if !sink.send(e) {
                    // The window was closed: end the call.
                    worker_stop.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                Ok(())
            });
            if result.is_ok() {
                // The call ended (Ctrl-C, --duration): so does the window.
                hearken::overlay::close(&window);
            }
            if let Err(e) = &result {
                // Said in the window too, where the agent is looking; it stays open.
                sink.send(&hearken::Event::new(
                    0,
                    hearken::EventBody::Device {
                        state: "capture_failed".into(),
                        detail: format!("{e}"),
                    },
                ));
            }
            result.map(Some)
        });
        let shown = hearken::overlay::run(&overlay_cfg, rx, ctx, move || {
            let _ = start_tx.send(true);
        });
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let result = worker
            .join()
            .map_err(|_| anyhow::anyhow!("the live thread panicked"))?;
        shown.map_err(|e| anyhow::anyhow!("cannot show the overlay window: {e}"))?;
        match result? {
            Some(r) => r,
            None => return Ok(ExitCode::FAILURE),
        }
    };
    eprintln!(
        "hearken live: {:.1} s; {} callbacks, {} frames dropped; callback mean {:.1} µs, max {:.1} µs; \
         block to events median {} µs, p95 {} µs; silence filled: agent {} ms, customer {} ms; devices lost {}",
        report.seconds,
        report.callbacks,
        report.dropped_frames,
        report.callback_us_mean,
        report.callback_us_max,
        report.block_to_events_us_median,
        report.block_to_events_us_p95,
        report.filled_ms[0],
        report.filled_ms[1],
        report.device_losses
    );
    Ok(ExitCode::SUCCESS)
}

/// Write JSON Lines to `path`, put in place only when `fill` succeeded (see
/// [`AtomicFile`]): a failed run never leaves a half-written file that looks complete.
fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut JsonLines<AtomicFile>) -> Result<()>,
) -> Result<()> {
    let file =
        AtomicFile::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut jl = JsonLines::new(file);
    fill(&mut jl)?;
    jl.into_inner()
        .commit()
        .with_context(|| format!("cannot write the events into {}", path.display()))
}

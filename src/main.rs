//! The `hearken` command: a thin shell over the library.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use hearken::audio::{CallInput, Channel};
use hearken::coach::Playbook;
use hearken::config::Config;
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
    /// Config file (TOML) read over the built-in defaults.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Whisper model file (default: models/ggml-tiny.en.bin, or $HEARKEN_MODEL).
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
    },
    /// Replay a recorded call through the engine.
    Replay(ReplayArgs),
    /// Score the engine on a folder of calls with truth files (NAME.wav + NAME.truth.json).
    Eval {
        /// Folder of calls (default: the bundled sample calls).
        #[arg(default_value = "tests/fixtures")]
        folder: PathBuf,
        /// Also run whisper (slower; the scores above do not need it).
        #[arg(long)]
        transcribe: bool,
    },
    /// Print the built-in playbook (start your own from it), or check one.
    Playbook {
        /// Print the built-in default playbook as TOML.
        #[arg(long)]
        print: bool,
    },
    /// Coach a live call from audio devices (not built yet: the live-capture issue).
    Live,
    /// List audio devices (not built yet: the live-capture issue).
    Devices,
    /// Check this workstation's setup (not built yet: the deployment issue).
    Check,
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
    /// Replay speed: as fast as possible, or at the recording's own pace.
    #[arg(long, value_enum, default_value_t = Speed::Max)]
    speed: Speed,
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
    init_logging(&cli.log);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`hearken replay ... | head`) is not an error.
            let broken_pipe = e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            eprintln!("hearken: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

fn run(cli: Cli) -> Result<ExitCode> {
    let mut config = match &cli.config {
        Some(p) => Config::from_file(p)?,
        None => Config::default(),
    };
    if let Some(m) = cli.model {
        config.model.path = Some(m);
    }
    let playbook = match &cli.playbook {
        Some(p) => Playbook::from_file(p)?,
        None => Playbook::default(),
    };
    match cli.command {
        Command::Demo { call } => demo(config, playbook, call),
        Command::Replay(args) => replay_cmd(config, playbook, args),
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
        Command::Live | Command::Devices => not_yet("live capture", "#6"),
        Command::Check => not_yet("workstation checks", "#8"),
    }
}

fn not_yet(what: &str, issue: &str) -> Result<ExitCode> {
    eprintln!(
        "hearken: {what} is not built yet (issue {issue}); `hearken replay` works on recorded calls."
    );
    Ok(ExitCode::from(2))
}

fn demo(config: Config, playbook: Playbook, call: Option<PathBuf>) -> Result<ExitCode> {
    let call = call.unwrap_or_else(|| PathBuf::from("tests/fixtures/escalating.wav"));
    if !call.is_file() {
        anyhow::bail!(
            "the demo call {} is not here; run `hearken demo` from the Hearken source tree or pass --call WAV",
            call.display()
        );
    }
    println!(
        "Hearken demo: replaying {} through the engine (transcribed on this machine).\n",
        call.display()
    );
    let replay = Replay {
        input: CallInput::Stereo {
            path: call,
            agent: Channel::Left,
        },
        speed: Speed::Max,
        config,
        playbook,
        transcribe: true,
        live_asr: false,
    };
    print_timeline(&replay)?;
    Ok(ExitCode::SUCCESS)
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
        speed: args.speed,
        config,
        playbook,
        transcribe: !args.no_transcribe,
        live_asr: args.live_asr,
    };
    match args.events.as_deref() {
        Some(p) if p == Path::new("-") => {
            let mut jl = JsonLines::new(std::io::stdout().lock());
            replay::run(&replay, |e| jl.write(e))?;
            jl.flush()?;
        }
        Some(p) => write_events_file(&replay, p)?,
        None => print_timeline(&replay)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Events go to a temporary file beside the target, renamed into place only when the replay
/// finished: a failed run never leaves a half-written file that looks complete.
fn write_events_file(replay: &Replay, path: &Path) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = partial_path(dir, path);
    let file =
        std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let mut jl = JsonLines::new(std::io::BufWriter::new(file));
    let result = replay::run(replay, |e| jl.write(e));
    let flushed = jl.flush();
    if let Err(e) = result
        .map_err(anyhow::Error::from)
        .and(flushed.map_err(anyhow::Error::from))
    {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot move the events into {}", path.display()))?;
    Ok(())
}

fn partial_path(dir: &Path, target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "events".into());
    dir.join(format!(".{name}.{}.partial", std::process::id()))
}

//! `hearken live`: coach a live call from audio devices, in the overlay or `--headless`.

use crate::audio::devices;
use crate::calls::EndedCall;
use crate::config::{Config, Effective, PartialsMode};
use crate::contract::{Channel, Event, EventBody};
use crate::history::{Entry, History};
use crate::live::{self, Live, LiveReport, LiveSource, Outputs};
use crate::output::sink::{EventSink, Otherwise};
use crate::playbook::Playbook;
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(clap::Args)]
pub struct LiveArgs {
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
    /// Write every event as JSON Lines to PATH ('-' for stdout; a folder: one file per call).
    #[arg(long, value_name = "PATH")]
    events: Option<PathBuf>,
    /// Stop after this many seconds (default: until Ctrl-C or the window closes).
    #[arg(long, value_name = "SECONDS")]
    duration: Option<f64>,
    /// Skip speech recognition (speech activity only).
    #[arg(long)]
    no_transcribe: bool,
}

impl LiveArgs {
    /// The device flags set config keys: a locked key cannot be moved by a flag.
    pub fn apply_to(&self, effective: &mut Effective) -> Result<()> {
        for (set, key, flag) in [
            (self.agent.is_some(), "capture.agent", "--agent"),
            (self.customer.is_some(), "capture.customer", "--customer"),
            (self.stereo.is_some(), "capture.stereo", "--stereo"),
            (
                self.agent_channel.is_some(),
                "capture.agent_channel",
                "--agent-channel",
            ),
            (self.host.is_some(), "capture.host", "--host"),
        ] {
            if set {
                effective.flag(key, flag)?;
            }
        }
        Ok(())
    }

    /// Which devices: the flags, else the config, else the system's defaults.
    fn source(&self, config: &Config) -> Result<LiveSource> {
        let cap = &config.capture;
        let stereo = self.stereo.clone().or_else(|| {
            (self.agent.is_none() && self.customer.is_none())
                .then(|| cap.stereo.clone())
                .flatten()
        });
        if let Some(device) = stereo {
            return Ok(LiveSource::Stereo {
                device,
                agent: self.agent_channel.unwrap_or(cap.agent_channel),
            });
        }
        let host = devices::host(self.host.as_deref().or(cap.host.as_deref()))?;
        let agent = self
            .agent
            .clone()
            .or_else(|| cap.agent.clone())
            .or_else(|| devices::default_agent(&host))
            .context("no agent device: say --agent DEVICE or set [capture] agent (`hearken devices` lists them)")?;
        let customer = self
            .customer
            .clone()
            .or_else(|| cap.customer.clone())
            .or_else(|| devices::default_customer(&host))
            .context("no customer device: say --customer DEVICE or set [capture] customer (`hearken devices` lists them)")?;
        Ok(LiveSource::Devices { agent, customer })
    }
}

/// Partials exist for captions: `captions` means on when the window shows them.
fn partials_policy(config: &mut Config, window: bool) {
    if config.asr.partials == PartialsMode::Captions {
        config.asr.partials = if window && config.overlay.captions {
            PartialsMode::Live
        } else {
            PartialsMode::Never
        };
    }
}

pub fn run(config: Config, playbook: Playbook, args: LiveArgs) -> Result<ExitCode> {
    let source = args.source(&config)?;
    let mut config = config;
    partials_policy(&mut config, !args.headless);
    let live = Live {
        source,
        host: args.host.clone().or_else(|| config.capture.host.clone()),
        config,
        playbook,
        transcribe: !args.no_transcribe,
        duration: args.duration.map(std::time::Duration::from_secs_f64),
        control: Some(crate::paths::control_socket()),
    };
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.store(true, Ordering::Relaxed))
            .context("cannot install the Ctrl-C handler")?;
    }
    let report = if args.headless {
        headless(&live, &stop, &args)?
    } else {
        match in_window(&live, &stop, &args)? {
            Some(r) => r,
            None => return Ok(ExitCode::FAILURE),
        }
    };
    eprintln!("{}", report.line());
    Ok(ExitCode::SUCCESS)
}

/// Events to their sink, and each finished call's figures to the agent's history.
struct ShiftOutputs {
    sink: Option<EventSink>,
    window: Option<crate::overlay::OverlaySink>,
    history: Option<History>,
    stop: Option<Arc<AtomicBool>>,
}

impl Outputs for ShiftOutputs {
    fn event(&mut self, e: &Event) -> std::io::Result<()> {
        if let Some(w) = &self.window
            && !w.send(e)
            && let Some(stop) = &self.stop
        {
            // The window was closed: end the session.
            stop.store(true, Ordering::Relaxed);
        }
        match &mut self.sink {
            Some(s) => s.write(e),
            None => Ok(()),
        }
    }

    fn call_ended(&mut self, call: &EndedCall) {
        let (Some(h), Some(card)) = (&self.history, &call.card) else {
            return;
        };
        if let Err(e) = h.append(&Entry::from_card(card, crate::history::now())) {
            // The history is the agent's convenience: never a reason to stop coaching.
            tracing::warn!("{e}");
        }
    }
}

/// The history to keep, if the config keeps one.
fn history(config: &Config) -> Option<History> {
    if !config.history.enabled {
        return None;
    }
    let h = History::here().map_err(|e| tracing::warn!("{e}")).ok()?;
    if let Err(e) = h.prune(config.history.keep_days, crate::history::now()) {
        tracing::warn!("{e}");
    }
    Some(h)
}

fn headless(live: &Live, stop: &AtomicBool, args: &LiveArgs) -> Result<LiveReport> {
    let (day, time) = crate::history::local_day_time(crate::history::now());
    let prefix = format!("{day}-{}-", time.replace(':', ""));
    let sink = EventSink::open_named(args.events.as_deref(), Otherwise::JsonLines, &prefix)
        .with_context(|| {
            format!(
                "cannot write {}",
                args.events.as_deref().unwrap_or("-".as_ref()).display()
            )
        })?;
    let mut out = ShiftOutputs {
        sink: Some(sink),
        window: None,
        history: history(&live.config),
        stop: None,
    };
    let report = live::run(live, stop, None, &mut out)?;
    if let Some(sink) = out.sink.take() {
        sink.finish().context("cannot write the events")?;
    }
    Ok(report)
}

/// The call in the overlay window; None when it failed (said in the window).
fn in_window(
    live: &Live,
    stop_flag: &Arc<AtomicBool>,
    args: &LiveArgs,
) -> Result<Option<LiveReport>> {
    let stop: &AtomicBool = stop_flag;
    if args.events.is_some() {
        anyhow::bail!("--events goes with --headless (the window shows the events)");
    }
    if !super::display_present() {
        anyhow::bail!(
            "no display to show the overlay on (DISPLAY and WAYLAND_DISPLAY are unset); run in the desktop session, or use --headless"
        );
    }
    let (commands, from_window) = crossbeam_channel::bounded(8);
    let run = crate::overlay::run_beside(
        &live.config.overlay,
        Some(commands),
        |window| {
            let mut out = ShiftOutputs {
                sink: None,
                window: Some(window.clone()),
                history: history(&live.config),
                stop: Some(stop_flag.clone()),
            };
            let result = live::run(live, stop, Some(from_window), &mut out);
            match &result {
                // The call ended (Ctrl-C, --duration): so does the window.
                Ok(_) => window.close(),
                // Said in the window too, where the agent is looking; it stays open.
                Err(e) => {
                    window.send(&Event::new(
                        0,
                        EventBody::Device {
                            state: "capture_failed".into(),
                            detail: format!("{e}"),
                        },
                    ));
                }
            }
            result
        },
        || stop.store(true, Ordering::Relaxed),
    );
    run.window
        .map_err(|e| anyhow::anyhow!("cannot show the overlay window: {e}"))?;
    match run.work {
        Some(result) => Ok(Some(result?)),
        None => Ok(None),
    }
}

//! Coaching a live call: devices through cpal, into the same engine replays use.
//!
//! Threads: cpal's audio thread runs only [`CaptureCallback`](crate::audio::capture) (copy,
//! `try_send`, count); this thread turns blocks into 16 kHz per speaker, keeps the two
//! devices in step ([`Aligner`]), runs the engine and hands events on; the whisper threads
//! transcribe. The wall clock appears here only to supervise devices (is it still there?)
//! and to keep the call clock going on silence while every device is lost, never in the
//! engine, whose clock stays the sample count.
//!
//! A session is a shift: calls one after the other ([`Shift`]), their boundaries found in the
//! audio or given by the agent (the overlay) or the softphone ([`control`]); devices, model
//! and transcription pool stay open across calls, each call gets a fresh engine, and each
//! finished call's figures go to the agent's own history.

pub mod control;
pub mod inputs;
pub mod report;
pub mod supervise;

pub use inputs::LiveSource;
pub use report::LiveReport;

use crate::asr::{ModelError, TranscriberPool};
use crate::audio::align::{AlignSettings, Aligner};
use crate::audio::devices::{self, DeviceError};
use crate::calls::{EndedCall, Shift};
use crate::config::Config;
use crate::contract::{CallCommand, CallReason, Event};
use crate::engine::AsrMode;
use crate::playbook::Playbook;
use crate::stats::Histogram;
use crossbeam_channel::Receiver;
use inputs::{Input, Scratch};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub struct Live {
    pub source: LiveSource,
    /// The cpal host by name (`pulseaudio`, `alsa`); none: the platform default.
    pub host: Option<String>,
    pub config: Config,
    pub playbook: Playbook,
    pub transcribe: bool,
    /// Stop after this much wall time (none: until `stop`).
    pub duration: Option<Duration>,
    /// Listen for `hearken call start|end` at this socket (none: do not).
    pub control: Option<std::path::PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(transparent)]
    Device(#[from] DeviceError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Control(#[from] control::ControlError),
    #[error("writing events: {0}")]
    Output(#[from] std::io::Error),
}

/// How often the capture thread looks for blocks.
const POLL: Duration = Duration::from_millis(5);
/// How often the log says how the session holds up (latency, memory).
const PROGRESS_EVERY: Duration = Duration::from_secs(600);

/// Where a live session's outputs go besides the events: each finished call, as it ends.
pub trait Outputs {
    fn event(&mut self, e: &Event) -> std::io::Result<()>;
    /// A call is over (its card is in the events already).
    fn call_ended(&mut self, _call: &EndedCall) {}
}

impl<T: Outputs> Outputs for &mut T {
    fn event(&mut self, e: &Event) -> std::io::Result<()> {
        (**self).event(e)
    }

    fn call_ended(&mut self, call: &EndedCall) {
        (**self).call_ended(call)
    }
}

/// Run a live session until `stop` is raised or the duration passes, handing every event to
/// `out`. `commands` carries the agent's New call / End call, if a window shows them.
pub fn run(
    live: &Live,
    stop: &AtomicBool,
    commands: Option<Receiver<CallCommand>>,
    mut out: impl Outputs,
) -> Result<LiveReport, LiveError> {
    let host = devices::host(live.host.as_deref())?;
    let mut inputs = inputs::inputs_for(&live.source);
    // Every device must be there at the start: a wrong name is a configuration error, said
    // before the model loads. Each is then opened once, when the engine is ready for it.
    for input in &inputs {
        devices::find(&host, &input.wanted)?;
    }
    let control = match &live.control {
        Some(path) => Some(control::Server::start(path)?),
        None => None,
    };
    let pool = if live.transcribe {
        Some(TranscriberPool::start(&live.config)?)
    } else {
        None
    };
    for input in inputs.iter_mut() {
        input.open = Some(inputs::open(&host, &input.wanted, input.route)?);
    }
    for input in inputs.iter_mut() {
        input.discard_backlog();
    }
    let source = inputs::source_info(&inputs);
    let shift = Shift::new(&live.config, &live.playbook, source, pool, AsrMode::Live);
    let watch_stop = Arc::new(AtomicBool::new(false));
    let listings = supervise::start(live.host.clone(), watch_stop.clone());
    let mut session = Session::new(shift);
    let (control, requests) = match control {
        Some((server, rx)) => (Some(server), Some(rx)),
        None => (None, None),
    };
    let started = Instant::now();
    let mut next_check = started + Duration::from_secs(1);
    let mut next_progress = started + PROGRESS_EVERY;
    while !stop.load(Ordering::Relaxed) && live.duration.is_none_or(|d| started.elapsed() < d) {
        let oldest = session.step(&mut inputs);
        session.commands(commands.as_ref(), requests.as_ref());
        session.hand_on(&mut out)?;
        // From the callback handing the oldest block over to its events being handed on.
        if let Some(t) = oldest {
            let us = t.elapsed().as_micros() as u64;
            session.latency.add(us);
            session.stretch.add(us);
        }
        let now = Instant::now();
        if now >= next_check {
            next_check += Duration::from_secs(1);
            let listing = listings.try_recv().ok().flatten();
            session.supervise(&host, listing.as_deref(), &mut inputs);
            session.hand_on(&mut out)?;
        }
        if now >= next_progress {
            next_progress += PROGRESS_EVERY;
            session.progress(started);
        }
    }
    watch_stop.store(true, Ordering::Relaxed);
    drop(control);
    let report = session.close(inputs, started, &mut out)?;
    tracing::info!(
        "live session ended after {:.0} s: {} calls, {} callbacks, {} frames dropped, {} device losses, block to events median {} µs",
        report.seconds,
        report.calls,
        report.callbacks,
        report.dropped_frames,
        report.device_losses,
        report.block_to_events_us_median
    );
    Ok(report)
}

/// The capture thread's state between polls.
struct Session {
    shift: Shift,
    aligner: Aligner,
    scratch: Scratch,
    out: [Vec<f32>; 2],
    events: Vec<Event>,
    /// Block-to-events delays over the session, and over the stretch since the last
    /// progress line: fixed memory however long the shift.
    latency: Histogram,
    stretch: Histogram,
    /// While every device is lost: when silence was last put in to keep the clock going.
    silent_since: Option<Instant>,
    kept_going_ms: u64,
    report: LiveReport,
}

impl Session {
    fn new(shift: Shift) -> Session {
        Session {
            shift,
            aligner: Aligner::new(AlignSettings::default()),
            scratch: Scratch::default(),
            out: [Vec::new(), Vec::new()],
            events: Vec::new(),
            latency: Histogram::default(),
            stretch: Histogram::default(),
            silent_since: None,
            kept_going_ms: 0,
            report: LiveReport::default(),
        }
    }

    /// Take what the devices captured into the shift; when the oldest block arrived.
    fn step(&mut self, inputs: &mut [Input]) -> Option<Instant> {
        // Poll rather than block: a receiver blocked on the channel would make the audio
        // thread's `try_send` wake it, which takes crossbeam's waker lock and a futex call.
        // Polled, the callback's side stays lock-free; 5 ms adds at most that to latency.
        if !inputs.iter().any(Input::has_blocks) {
            std::thread::sleep(POLL);
        }
        let mut oldest: Option<Instant> = None;
        for input in inputs.iter_mut() {
            if let Some(t) = input.drain_into(&mut self.aligner, &mut self.scratch) {
                oldest = Some(oldest.map_or(t, |o| o.min(t)));
            }
        }
        self.keep_the_clock(inputs);
        self.aligner.take(&mut self.out);
        if !self.out[0].is_empty() {
            self.shift
                .push(&self.out[0], &self.out[1], &mut self.events);
            self.out[0].clear();
            self.out[1].clear();
        }
        oldest
    }

    /// With every device lost, nothing arrives: silence at the wall clock's pace keeps the
    /// call's clock (and its silences) going until a device returns.
    fn keep_the_clock(&mut self, inputs: &[Input]) {
        if inputs.iter().any(|i| i.open.is_some()) {
            self.silent_since = None;
            return;
        }
        let now = Instant::now();
        let since = *self.silent_since.get_or_insert(now);
        let due = (now - since).as_millis() as u64;
        if due >= 20 {
            let n = (due * 16) as usize;
            let zeros = vec![0.0f32; n];
            self.aligner.push(0, &zeros);
            self.aligner.push(1, &zeros);
            self.kept_going_ms += due;
            self.silent_since = Some(since + Duration::from_millis(due));
        }
    }

    /// New call / End call from the window, `hearken call start|end` from the softphone.
    fn commands(
        &mut self,
        window: Option<&Receiver<CallCommand>>,
        socket: Option<&Receiver<control::Request>>,
    ) {
        if let Some(rx) = window {
            while let Ok(c) = rx.try_recv() {
                let _ = self.shift.command(c, &mut self.events);
            }
        }
        if let Some(rx) = socket {
            while let Ok(r) = rx.try_recv() {
                let answer = match self.shift.command(r.command, &mut self.events) {
                    Ok(id) => match r.command {
                        CallCommand::Start(_) => format!("ok call {id} started"),
                        CallCommand::End(_) => format!("ok call {id} ended"),
                    },
                    Err(e) => format!("error {e}"),
                };
                let _ = r.reply.try_send(answer);
            }
        }
    }

    /// Events and finished calls to the outputs.
    fn hand_on(&mut self, out: &mut impl Outputs) -> std::io::Result<()> {
        for e in self.events.drain(..) {
            out.event(&e)?;
        }
        for c in self.shift.take_ended() {
            self.report.calls += 1;
            out.call_ended(&c);
        }
        Ok(())
    }

    /// Once a second: every device's health, into the stream as notices.
    fn supervise(
        &mut self,
        host: &cpal::Host,
        listing: Option<&[devices::DeviceInfo]>,
        inputs: &mut [Input],
    ) {
        let mut notices = Vec::new();
        for input in inputs.iter_mut() {
            input.supervise(host, listing, &mut self.report, &mut notices);
        }
        for n in notices {
            self.shift.insert(n, &mut self.events);
        }
    }

    /// Every ten minutes, for long shifts: latency over the stretch, memory.
    fn progress(&mut self, started: Instant) {
        tracing::info!(
            "live for {:.0} min: {} calls; block to events over the last 10 min median {} µs, p95 {} µs; RSS {} MB",
            started.elapsed().as_secs_f64() / 60.0,
            self.report.calls,
            self.stretch.percentile(0.5).unwrap_or(0),
            self.stretch.percentile(0.95).unwrap_or(0),
            crate::stats::rss_mb().map_or("?".into(), |m| m.to_string())
        );
        self.stretch.clear();
    }

    /// End of the session: the last events, and what capture measured.
    fn close(
        mut self,
        mut inputs: Vec<Input>,
        started: Instant,
        out: &mut impl Outputs,
    ) -> Result<LiveReport, LiveError> {
        for input in inputs.iter_mut() {
            if let Some(o) = input.open.take() {
                self.report.add_stats(&o.queue.stats);
            }
        }
        let ended = self.shift.finish(CallReason::Shutdown, &mut self.events);
        for e in self.events.drain(..) {
            out.event(&e)?;
        }
        for c in &ended {
            self.report.calls += 1;
            out.call_ended(c);
        }
        let r = &mut self.report;
        r.seconds = started.elapsed().as_secs_f64();
        r.close_callbacks();
        r.block_to_events_us_median = self.latency.percentile(0.5).unwrap_or(0);
        r.block_to_events_us_p95 = self.latency.percentile(0.95).unwrap_or(0);
        r.filled_ms = self.aligner.filled.map(|n| n / 16);
        r.clock_kept_ms = self.kept_going_ms;
        Ok(self.report)
    }
}

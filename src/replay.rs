//! Replaying a recorded call through the engine, exactly as live audio would flow.

use crate::asr::{ModelError, TranscriberPool, WhisperModel};
use crate::audio::{AudioError, CallInput, CallReader};
use crate::calls::Shift;
use crate::config::Config;
use crate::contract::time::clock;
use crate::contract::{CallSummary, Event, EventBody, Speaker};
use crate::engine::{AsrMode, Engine};
use crate::playbook::Playbook;
use std::time::{Duration, Instant};

/// How fast to feed the recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Speed {
    /// As fast as the machine can.
    #[default]
    Max,
    /// At the pace of the recording, as a live call would arrive.
    Realtime,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Audio(#[from] AudioError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("writing events: {0}")]
    Output(#[from] std::io::Error),
}

pub struct Replay {
    pub input: CallInput,
    pub speed: Speed,
    pub config: Config,
    pub playbook: Playbook,
    /// Run whisper (off: speech activity only, no utterance events).
    pub transcribe: bool,
    /// Transcripts land when whisper delivers them, as in a live call (`AsrMode::Live`),
    /// instead of at their utterance's end. For measuring live latency; not deterministic.
    pub live_asr: bool,
    /// The recording holds a shift: find its calls as a live session does (`calls`), a
    /// fresh engine each. Off: the recording is one call.
    pub split_calls: bool,
    /// A model already loaded and verified (a batch loads it once for all its calls); None:
    /// the configured one is loaded for this replay.
    pub model: Option<WhisperModel>,
}

/// One call for the whole recording, or a shift split into calls.
enum Driver {
    // Both boxed: engines are kilobytes, and their sizes move with every stage added.
    One(Box<Engine>),
    Shift(Box<Shift>),
}

impl Driver {
    fn push(&mut self, agent: &[f32], customer: &[f32], out: &mut Vec<Event>) {
        match self {
            Driver::One(e) => {
                e.push(Speaker::Agent, agent, out);
                e.push(Speaker::Customer, customer, out);
            }
            Driver::Shift(s) => s.push(agent, customer, out),
        }
    }

    /// The summary of the (last) call.
    fn finish(self, out: &mut Vec<Event>) -> CallSummary {
        match self {
            Driver::One(e) => e.finish(out),
            Driver::Shift(s) => {
                s.finish(crate::contract::CallReason::Recording, out);
                out.iter()
                    .rev()
                    .find_map(|e| match &e.body {
                        EventBody::CallEnd { summary, .. } => Some(summary.clone()),
                        _ => None,
                    })
                    .unwrap_or_default()
            }
        }
    }
}

/// Block size fed to the engine: 100 ms at full speed, 20 ms (a typical device period) in
/// real time. The engine's results do not depend on it.
const BLOCK_MAX: usize = 1600;
const BLOCK_REALTIME: usize = 320;

/// Replay the call, handing each event to `sink` as the engine emits it.
pub fn run(
    replay: &Replay,
    mut sink: impl FnMut(&Event) -> std::io::Result<()>,
) -> Result<CallSummary, ReplayError> {
    let mut reader = CallReader::open(&replay.input)?;
    tracing::info!(
        "replaying {} ({} Hz, {} ch)",
        reader.info().source,
        reader.info().sample_rate,
        reader.info().channels
    );
    // Transcription threads on one loaded model, sharing a queue: both sides are
    // transcribed in parallel, and when one side does most of the talking both threads work
    // on it. The engine keeps the stream in order (`AsrMode::Wait`).
    let workers = if replay.transcribe {
        Some(match &replay.model {
            Some(m) => TranscriberPool::on_model(m, &replay.config)?,
            None => TranscriberPool::start(&replay.config)?,
        })
    } else {
        None
    };
    let mode = if replay.live_asr {
        AsrMode::Live
    } else {
        AsrMode::Wait
    };
    let (cfg, playbook, info) = (&replay.config, &replay.playbook, reader.info().clone());
    let mut engine = if replay.split_calls {
        Driver::Shift(Box::new(Shift::new(cfg, playbook, info, workers, mode)))
    } else {
        Driver::One(Box::new(Engine::new(cfg, playbook, info, workers, mode)))
    };
    let block = match replay.speed {
        Speed::Max => BLOCK_MAX,
        Speed::Realtime => BLOCK_REALTIME,
    };
    let (mut agent, mut customer) = (Vec::with_capacity(block), Vec::with_capacity(block));
    let mut events = Vec::new();
    let started = Instant::now();
    let mut fed: u64 = 0;
    let mut progress = Progress::new(started);
    while reader.next_block(block, &mut agent, &mut customer)? {
        let began = Instant::now();
        engine.push(&agent, &customer, &mut events);
        for e in events.drain(..) {
            sink(&e)?;
        }
        fed += agent.len() as u64;
        progress.block(fed, began.elapsed());
        if replay.speed == Speed::Realtime {
            let due = Duration::from_micros(fed * 1_000_000 / 16_000);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
    let summary = engine.finish(&mut events);
    for e in events.drain(..) {
        sink(&e)?;
    }
    tracing::info!(
        "replay done: {:.1} s of call in {:.1} s; {} agent and {} customer utterances, {} interruptions by the agent",
        fed as f64 / 16_000.0,
        started.elapsed().as_secs_f64(),
        summary.agent_utterances,
        summary.customer_utterances,
        summary.interruptions_by_agent
    );
    Ok(summary)
}

/// Every 10 minutes of audio, a log line on how the replay is holding up: its speed over the
/// stretch, how long blocks took (including waits for whisper), and the process's memory.
/// Long runs and batch archives are where a slow leak or a growing cost would show.
struct Progress {
    started: Instant,
    last_wall: Duration,
    last_fed: u64,
    block_us: Vec<u32>,
}

const PROGRESS_EVERY: u64 = 16_000 * 600;

impl Progress {
    fn new(started: Instant) -> Progress {
        Progress {
            started,
            last_wall: Duration::ZERO,
            last_fed: 0,
            block_us: Vec::new(),
        }
    }

    fn block(&mut self, fed: u64, took: Duration) {
        self.block_us
            .push(took.as_micros().min(u128::from(u32::MAX)) as u32);
        if fed - self.last_fed < PROGRESS_EVERY {
            return;
        }
        let wall = self.started.elapsed();
        let stretch = (wall - self.last_wall).as_secs_f64();
        let audio = (fed - self.last_fed) as f64 / 16_000.0;
        let mut at = |q: f64| crate::stats::percentile(&mut self.block_us, q).unwrap_or(0);
        tracing::info!(
            "replay at {} of audio after {:.0} s: {:.1}x real time over the last {:.0} min; block median {} µs, p99 {} µs; RSS {} MB",
            clock(fed / 16),
            wall.as_secs_f64(),
            audio / stretch.max(1e-9),
            audio / 60.0,
            at(0.5),
            at(0.99),
            crate::stats::rss_mb().map_or("?".to_string(), |m| m.to_string())
        );
        self.last_wall = wall;
        self.last_fed = fed;
        self.block_us.clear();
    }
}

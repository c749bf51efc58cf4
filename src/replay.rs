//! Replaying a recorded call through the engine, exactly as live audio would flow.

use crate::asr::{AsrWorker, ModelError, WhisperModel, model};
use crate::audio::{AudioError, CallInput, CallReader};
use crate::coach::Playbook;
use crate::config::Config;
use crate::engine::{AsrMode, CallSummary, Engine, Event, Speaker};
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
}

/// Block size fed to the engine: 100 ms at full speed, 20 ms (a typical device period) in
/// real time. The engine's results do not depend on it.
const BLOCK_MAX: usize = 1600;
const BLOCK_REALTIME: usize = 320;
/// Transcription threads: one per speaker's worth of parallel work. Each whisper call uses
/// `asr.threads` threads of its own (1 on 2 cores).
const ASR_THREADS: usize = 2;

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
    // Two transcription threads (one whisper state each) on one loaded model, sharing a
    // queue: both sides are transcribed in parallel, and when one side does most of the
    // talking both threads work on it. The engine keeps the stream in order (`AsrMode::Wait`).
    let workers = if replay.transcribe {
        let path = model::verified_model(&replay.config.model)?;
        let model = WhisperModel::load(&path)?;
        let mut transcribers: Vec<Box<dyn crate::asr::Transcribe>> = Vec::new();
        for _ in 0..ASR_THREADS {
            transcribers.push(Box::new(model.transcriber(&replay.config.asr)?));
        }
        vec![AsrWorker::pool(transcribers)]
    } else {
        Vec::new()
    };
    let mut engine = Engine::new(
        &replay.config,
        &replay.playbook,
        reader.info().clone(),
        workers,
        if replay.live_asr {
            AsrMode::Live
        } else {
            AsrMode::Wait
        },
    );
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
        engine.push(Speaker::Agent, &agent, &mut events);
        engine.push(Speaker::Customer, &customer, &mut events);
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
        self.block_us.sort_unstable();
        let at = |q: f64| self.block_us[((self.block_us.len() - 1) as f64 * q) as usize];
        tracing::info!(
            "replay at {} of audio after {:.0} s: {:.1}x real time over the last {:.0} min; block median {} µs, p99 {} µs; RSS {} MB",
            crate::output::timeline::clock(fed / 16),
            wall.as_secs_f64(),
            audio / stretch.max(1e-9),
            audio / 60.0,
            at(0.5),
            at(0.99),
            rss_mb().map_or("?".to_string(), |m| m.to_string())
        );
        self.last_wall = wall;
        self.last_fed = fed;
        self.block_us.clear();
    }
}

/// Resident memory of this process (Linux; elsewhere None).
fn rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024)
}

//! Coaching a live call: devices through cpal, into the same engine replays use.
//!
//! Threads: cpal's audio thread runs only [`CaptureCallback`](crate::audio::capture) (copy,
//! `try_send`, count); this thread turns blocks into 16 kHz per speaker, keeps the two
//! devices in step ([`Aligner`]), runs the engine and hands events on; the whisper threads
//! transcribe. The wall clock appears here only to supervise devices (is it still there?),
//! never in the engine, whose clock stays the sample count.

use crate::asr::{AsrWorker, ModelError, Transcribe, WhisperModel, model};
use crate::audio::align::{AlignSettings, Aligner};
use crate::audio::capture::{CaptureQueue, capture_pair};
use crate::audio::devices::{self, DeviceError, DeviceInfo};
use crate::audio::resample::ToEngineRate;
use crate::audio::{Channel, SourceInfo};
use crate::coach::Playbook;
use crate::config::Config;
use crate::engine::{AsrMode, CallSummary, Engine, Event, EventBody, Speaker};
use cpal::traits::{DeviceTrait, StreamTrait};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Which devices carry which speaker.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveSource {
    /// One device per speaker (a headset microphone and the softphone's loopback/monitor).
    Devices { agent: String, customer: String },
    /// One device with both: `agent` is the agent's channel, the other the customer's.
    Stereo { device: String, agent: Channel },
}

pub struct Live {
    pub source: LiveSource,
    /// The cpal host by name (`pulseaudio`, `alsa`); none: the platform default.
    pub host: Option<String>,
    pub config: Config,
    pub playbook: Playbook,
    pub transcribe: bool,
    /// Stop after this much wall time (none: until `stop`).
    pub duration: Option<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(transparent)]
    Device(#[from] DeviceError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("writing events: {0}")]
    Output(#[from] std::io::Error),
}

/// What capture measured, for the closing report.
#[derive(Debug, Clone, Default)]
pub struct LiveReport {
    pub summary: CallSummary,
    pub seconds: f64,
    pub callbacks: u64,
    pub dropped_frames: u64,
    pub callback_us_max: f64,
    pub callback_us_mean: f64,
    /// Wall time from a block's arrival to its events being handed on, µs.
    pub block_to_events_us_median: u64,
    pub block_to_events_us_p95: u64,
    /// Silence put in to keep the devices in step, ms per side.
    pub filled_ms: [u64; 2],
    pub device_losses: u32,
    callback_ns_total: u64,
}

impl LiveReport {
    /// Count a stream's figures in (when it closes: at the end, or when its device is lost).
    fn add_stats(&mut self, s: &crate::audio::capture::CaptureStats) {
        self.callbacks += s.callbacks.load(Ordering::Relaxed);
        self.dropped_frames += s.dropped_frames();
        self.callback_ns_total += s.callback_ns_total.load(Ordering::Relaxed);
        let max = s.callback_ns_max.load(Ordering::Relaxed) as f64 / 1000.0;
        self.callback_us_max = self.callback_us_max.max(max);
    }
}

/// Where an input's channels go.
#[derive(Debug, Clone, Copy)]
enum Route {
    /// Down-mixed to one speaker.
    Mono(Speaker),
    /// Channel `agent` to the agent, `customer` to the customer.
    Split { agent: usize, customer: usize },
}

struct Input {
    /// What the config asked for, and what it found.
    wanted: String,
    role: &'static str,
    route: Route,
    open: Option<Opened>,
    dropped_seen: u64,
    /// Audio was lost in the last second (the banner is up).
    overflowing: bool,
}

struct Opened {
    info: DeviceInfo,
    // Dropping the stream closes the device.
    _stream: cpal::Stream,
    queue: CaptureQueue,
    failed: Arc<AtomicBool>,
    resampler: ToEngineRate,
}

/// Callback blocks hold up to 20 ms each. A callback takes at least one block however short
/// its period (PulseAudio delivers 5 to 10 ms), so the pool is sized in callbacks: 400 of them
/// are a second or more of audio waiting for the capture thread.
const BLOCK_MS: u32 = 20;
const POOL: usize = 400;
/// How often the capture thread looks for blocks.
const POLL: Duration = Duration::from_millis(5);

fn open(host: &cpal::Host, wanted: &str, route: Route) -> Result<Opened, DeviceError> {
    let (device, info) = devices::find(host, wanted)?;
    let err = |reason: String| DeviceError::Open {
        device: info.id.clone(),
        reason,
    };
    let cfg = device
        .default_input_config()
        .map_err(|e| err(e.to_string()))?;
    let (rate, channels) = (cfg.sample_rate(), cfg.channels());
    if let Route::Split { .. } = route
        && channels < 2
    {
        // Checked on every open: a device can come back with another profile.
        return Err(err(
            "it has one channel; a stereo device needs two (agent and customer)".into(),
        ));
    }
    let (mut callback, queue) =
        capture_pair(channels as usize, (rate * BLOCK_MS / 1000) as usize, POOL);
    let failed = Arc::new(AtomicBool::new(false));
    let flag = failed.clone();
    let xruns = queue.stats.clone();
    let stream_cfg = cpal::StreamConfig {
        channels,
        sample_rate: rate,
        // A small fixed period: PulseAudio's default record fragment is seconds long.
        buffer_size: cpal::BufferSize::Fixed(rate / 100),
    };
    let stream = device
        .build_input_stream_raw(
            stream_cfg,
            cfg.sample_format(),
            move |data: &cpal::Data, _: &cpal::InputCallbackInfo| callback.on_raw(data),
            // Runs off the audio path; only raises a flag the capture thread polls. An xrun
            // (ALSA recovers from it by itself) is lost audio, not a lost device.
            move |e: cpal::Error| match e.kind() {
                cpal::ErrorKind::Xrun => {
                    xruns.xruns.fetch_add(1, Ordering::Relaxed);
                }
                _ => flag.store(true, Ordering::Relaxed),
            },
            Some(Duration::from_secs(5)),
        )
        .map_err(|e| err(e.to_string()))?;
    stream.play().map_err(|e| err(e.to_string()))?;
    let resampled_channels = match route {
        Route::Mono(_) => 1,
        Route::Split { .. } => channels as usize,
    };
    let resampler = ToEngineRate::new(rate, resampled_channels).map_err(err)?;
    tracing::info!(
        "capturing \"{}\" ({} ch, {} Hz, {})",
        info.id,
        info.channels,
        info.sample_rate,
        info.format
    );
    Ok(Opened {
        info,
        _stream: stream,
        queue,
        failed,
        resampler,
    })
}

/// Run a live call until `stop` is raised or the duration passes, handing every event to
/// `sink`.
pub fn run(
    live: &Live,
    stop: &AtomicBool,
    mut sink: impl FnMut(&Event) -> std::io::Result<()>,
) -> Result<LiveReport, LiveError> {
    let host = devices::host(live.host.as_deref())?;
    let mut inputs = match &live.source {
        LiveSource::Devices { agent, customer } => vec![
            Input {
                wanted: agent.clone(),
                role: "agent",
                route: Route::Mono(Speaker::Agent),
                open: None,
                dropped_seen: 0,
                overflowing: false,
            },
            Input {
                wanted: customer.clone(),
                role: "customer",
                route: Route::Mono(Speaker::Customer),
                open: None,
                dropped_seen: 0,
                overflowing: false,
            },
        ],
        LiveSource::Stereo { device, agent } => {
            let (a, c) = match agent {
                Channel::Left => (0, 1),
                Channel::Right => (1, 0),
            };
            vec![Input {
                wanted: device.clone(),
                role: "call",
                route: Route::Split {
                    agent: a,
                    customer: c,
                },
                open: None,
                dropped_seen: 0,
                overflowing: false,
            }]
        }
    };
    // Every device must open at the start: a wrong name is a configuration error, said now.
    for input in inputs.iter_mut() {
        let opened = open(&host, &input.wanted, input.route)?;
        if let Route::Split { .. } = input.route
            && opened.info.channels < 2
        {
            return Err(DeviceError::Open {
                device: opened.info.id.clone(),
                reason: "it has one channel; a stereo device needs two (agent and customer)".into(),
            }
            .into());
        }
        input.open = Some(opened);
    }
    let workers = if live.transcribe {
        let path = model::verified_model(&live.config.model)?;
        let model = WhisperModel::load(&path)?;
        let mut transcribers: Vec<Box<dyn Transcribe>> = Vec::new();
        for _ in 0..2 {
            transcribers.push(Box::new(model.transcriber(&live.config.asr)?));
        }
        vec![AsrWorker::pool(transcribers)]
    } else {
        Vec::new()
    };
    // Every device must open at the start: a wrong name is a configuration error, said now.
    for input in inputs.iter_mut() {
        input.open = Some(open(&host, &input.wanted, input.route)?);
    }
    // The devices opened one after the other; what they captured meanwhile is dropped, so
    // both sides start together.
    for input in inputs.iter_mut() {
        if let Some(o) = &input.open {
            while let Ok(b) = o.queue.blocks.try_recv() {
                let _ = o.queue.recycle.try_send(b);
            }
            input.dropped_seen =
                o.queue.stats.dropped_frames() + o.queue.stats.xruns.load(Ordering::Relaxed);
        }
    }
    let first = inputs[0].open.as_ref().expect("opened above");
    let source = SourceInfo {
        source: format!(
            "live: {}",
            inputs
                .iter()
                .map(|i| format!(
                    "{} \"{}\"",
                    i.role,
                    i.open.as_ref().map(|o| o.info.id.as_str()).unwrap_or("")
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        sample_rate: first.info.sample_rate,
        channels: inputs
            .iter()
            .filter_map(|i| i.open.as_ref().map(|o| o.info.channels))
            .sum(),
    };
    let mut engine = Engine::new(&live.config, &live.playbook, source, workers, AsrMode::Live);
    let mut aligner = Aligner::new(AlignSettings::default());
    let mut events = Vec::new();
    let mut mono = Vec::new();
    let mut resampled: Vec<Vec<f32>> = Vec::new();
    let mut out = [Vec::new(), Vec::new()];
    let mut latencies: Vec<u32> = Vec::new();
    let mut report = LiveReport::default();
    let started = Instant::now();
    let mut next_check = started + Duration::from_secs(1);
    while !stop.load(Ordering::Relaxed) && live.duration.is_none_or(|d| started.elapsed() < d) {
        // Poll rather than block: a receiver blocked on the channel would make the audio
        // thread's `try_send` wake it, which takes crossbeam's waker lock and a futex call.
        // Polled, the callback's side stays lock-free; 5 ms adds at most that to latency.
        let arrived = inputs
            .iter()
            .any(|i| i.open.as_ref().is_some_and(|o| !o.queue.blocks.is_empty()));
        if !arrived {
            std::thread::sleep(POLL);
        }
        let mut oldest: Option<Instant> = None;
        for input in inputs.iter_mut() {
            let Some(o) = input.open.as_mut() else {
                continue;
            };
            let ch = o.queue.channels;
            while let Ok(block) = o.queue.blocks.try_recv() {
                let samples = &block.samples[..block.len];
                match input.route {
                    Route::Mono(s) => {
                        // Down-mixed to mono first: one resampler channel, whatever the device.
                        mono.clear();
                        mono.extend(
                            samples
                                .chunks_exact(ch)
                                .map(|f| f.iter().sum::<f32>() / ch as f32),
                        );
                        resampled.resize_with(1, Vec::new);
                        resampled[0].clear();
                        o.resampler.push(&mono, &mut resampled[..1]);
                        aligner.push(s.index(), &resampled[0]);
                    }
                    Route::Split { agent, customer } => {
                        resampled.resize_with(ch, Vec::new);
                        for r in resampled.iter_mut() {
                            r.clear();
                        }
                        o.resampler.push(samples, &mut resampled[..]);
                        aligner.push(0, &resampled[agent]);
                        aligner.push(1, &resampled[customer]);
                    }
                }
                if let Some(t) = block.arrived {
                    oldest = Some(oldest.map_or(t, |o| o.min(t)));
                }
                let _ = o.queue.recycle.try_send(block);
            }
        }
        aligner.take(&mut out);
        if !out[0].is_empty() {
            engine.push(Speaker::Agent, &out[0], &mut events);
            engine.push(Speaker::Customer, &out[1], &mut events);
            out[0].clear();
            out[1].clear();
        }
        for e in events.drain(..) {
            sink(&e)?;
        }
        // From the callback handing the oldest block over to its events being handed on.
        if let Some(t) = oldest {
            latencies.push(t.elapsed().as_micros() as u32);
        }
        if Instant::now() >= next_check {
            next_check += Duration::from_secs(1);
            supervise(&host, &mut inputs, &mut engine, &mut report, &mut events);
            for e in events.drain(..) {
                sink(&e)?;
            }
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    for input in inputs.iter_mut() {
        if let Some(o) = input.open.take() {
            report.add_stats(&o.queue.stats);
        }
    }
    let n = report.callbacks.max(1) as f64;
    report.callback_us_mean = report.callback_ns_total as f64 / 1000.0 / n;
    latencies.sort_unstable();
    if !latencies.is_empty() {
        report.block_to_events_us_median = latencies[latencies.len() / 2] as u64;
        report.block_to_events_us_p95 = latencies[latencies.len() * 95 / 100] as u64;
    }
    report.filled_ms = aligner.filled.map(|n| n / 16);
    report.summary = engine.finish(&mut events);
    for e in events.drain(..) {
        sink(&e)?;
    }
    tracing::info!(
        "live call ended after {:.0} s: {} callbacks, {} frames dropped, {} device losses, block to events median {} µs",
        report.seconds,
        report.callbacks,
        report.dropped_frames,
        report.device_losses,
        report.block_to_events_us_median
    );
    Ok(report)
}

/// Once a second: is every device still there, did any lose audio, has a lost one come back?
fn supervise(
    host: &cpal::Host,
    inputs: &mut [Input],
    engine: &mut Engine,
    report: &mut LiveReport,
    events: &mut Vec<Event>,
) {
    for input in inputs.iter_mut() {
        match &input.open {
            Some(o) => {
                // Frames the callback could not hand on, plus device overruns (one count each).
                let dropped =
                    o.queue.stats.dropped_frames() + o.queue.stats.xruns.load(Ordering::Relaxed);
                if dropped == input.dropped_seen && input.overflowing {
                    input.overflowing = false;
                    engine.note(
                        EventBody::Device {
                            state: "capture_ok".into(),
                            detail: format!("The {} audio is flowing again.", input.role),
                        },
                        events,
                    );
                }
                if dropped > input.dropped_seen {
                    input.overflowing = true;
                    let ms = (dropped - input.dropped_seen) * 1000 / o.info.sample_rate as u64;
                    input.dropped_seen = dropped;
                    engine.note(
                        EventBody::Device {
                            state: "capture_overflow".into(),
                            detail: format!(
                                "{ms} ms of the {} audio was lost: this computer is too busy.",
                                input.role
                            ),
                        },
                        events,
                    );
                }
                // The stream reported an error, or the device left the system (PulseAudio
                // may move a stream to another source rather than fail it: checking the
                // device list catches that too).
                // A listing that fails says nothing about the device: only "not listed" counts.
                let gone = o.failed.load(Ordering::Relaxed)
                    || devices::present(host, &o.info.id) == Some(false);
                if gone {
                    let id = o.info.id.clone();
                    if let Some(o) = input.open.take() {
                        report.add_stats(&o.queue.stats);
                    }
                    report.device_losses += 1;
                    tracing::warn!("{} device \"{id}\" lost", input.role);
                    engine.note(
                        EventBody::Device {
                            state: "device_lost".into(),
                            detail: format!(
                                "The {} audio device \"{id}\" is gone. Plug it back in; coaching resumes by itself.",
                                input.role
                            ),
                        },
                        events,
                    );
                }
            }
            None => {
                if let Ok(o) = open(host, &input.wanted, input.route) {
                    tracing::info!("{} device \"{}\" is back", input.role, o.info.id);
                    engine.note(
                        EventBody::Device {
                            state: "device_restored".into(),
                            detail: format!(
                                "The {} audio device \"{}\" is back.",
                                input.role, o.info.id
                            ),
                        },
                        events,
                    );
                    input.dropped_seen = 0;
                    input.open = Some(o);
                }
            }
        }
    }
}

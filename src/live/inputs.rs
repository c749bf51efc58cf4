//! The devices of a live call: opening each once, moving what their callbacks captured to
//! the engine's rate and timeline, and noticing when one is lost, overflows or comes back.

use super::report::LiveReport;
use crate::audio::align::Aligner;
use crate::audio::capture::{CaptureQueue, capture_pair};
use crate::audio::devices::{self, DeviceError, DeviceInfo};
use crate::audio::resample::ToEngineRate;
use crate::contract::{Channel, EventBody, SourceInfo, Speaker};
use cpal::traits::{DeviceTrait, StreamTrait};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Callback blocks hold up to 20 ms each. A callback takes at least one block however short
/// its period (PulseAudio delivers 5 to 10 ms), so the pool is sized in callbacks: 400 of them
/// are a second or more of audio waiting for the capture thread.
const BLOCK_MS: u32 = 20;
const POOL: usize = 400;
/// The device period asked for.
const PERIOD_MS: u32 = 50;

/// Which devices carry which speaker.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveSource {
    /// One device per speaker (a headset microphone and the softphone's loopback/monitor).
    Devices { agent: String, customer: String },
    /// One device with both: `agent` is the agent's channel, the other the customer's.
    Stereo { device: String, agent: Channel },
}

/// Where an input's channels go.
#[derive(Debug, Clone, Copy)]
pub enum Route {
    /// Down-mixed to one speaker.
    Mono(Speaker),
    /// Channel `agent` to the agent, `customer` to the customer.
    Split { agent: usize, customer: usize },
}

/// One device the call needs, open or (lost) waiting to come back.
pub struct Input {
    /// What the config asked for.
    pub wanted: String,
    pub role: &'static str,
    pub route: Route,
    pub open: Option<OpenDevice>,
    /// Frames lost (dropped or overrun) already reported.
    dropped_seen: u64,
    /// Audio was lost in the last second (the banner is up).
    overflowing: bool,
}

/// A device capturing now.
pub struct OpenDevice {
    pub info: DeviceInfo,
    // Dropping the stream closes the device.
    _stream: cpal::Stream,
    pub queue: CaptureQueue,
    failed: Arc<AtomicBool>,
    resampler: ToEngineRate,
}

/// The devices a source names, none open yet.
pub fn inputs_for(source: &LiveSource) -> Vec<Input> {
    let input = |wanted: &str, role, route| Input {
        wanted: wanted.to_string(),
        role,
        route,
        open: None,
        dropped_seen: 0,
        overflowing: false,
    };
    match source {
        LiveSource::Devices { agent, customer } => vec![
            input(agent, "agent", Route::Mono(Speaker::Agent)),
            input(customer, "customer", Route::Mono(Speaker::Customer)),
        ],
        LiveSource::Stereo { device, agent } => {
            let (a, c) = agent.indices();
            vec![input(
                device,
                "call",
                Route::Split {
                    agent: a,
                    customer: c,
                },
            )]
        }
    }
}

/// Open the device `wanted` names, once, and start it.
pub fn open(host: &cpal::Host, wanted: &str, route: Route) -> Result<OpenDevice, DeviceError> {
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
        // A fixed period (PulseAudio's default record fragment is seconds long) of 50 ms:
        // short enough for a prompt within a second, and long enough that cpal's PulseAudio
        // client, which zero-fills a 1 MiB read buffer on every wake-up, wakes 20 times a
        // second per device rather than 100 (at 10 ms that zero-filling was over half of
        // capture's CPU: see the README's live measurements).
        buffer_size: cpal::BufferSize::Fixed(rate / 1000 * PERIOD_MS),
    };
    let stream = device
        .build_input_stream_raw(
            stream_cfg,
            cfg.sample_format(),
            // The audio thread: only the callback's own copy-and-send.
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
    Ok(OpenDevice {
        info,
        _stream: stream,
        queue,
        failed,
        resampler,
    })
}

/// What `call_start` says of the devices.
pub fn source_info(inputs: &[Input]) -> SourceInfo {
    let names: Vec<String> = inputs
        .iter()
        .map(|i| {
            format!(
                "{} \"{}\"",
                i.role,
                i.open.as_ref().map(|o| o.info.id.as_str()).unwrap_or("")
            )
        })
        .collect();
    SourceInfo {
        source: format!("live: {}", names.join(", ")),
        sample_rate: inputs
            .iter()
            .find_map(|i| i.open.as_ref().map(|o| o.info.sample_rate))
            .unwrap_or(0),
        channels: inputs
            .iter()
            .filter_map(|i| i.open.as_ref().map(|o| o.info.channels))
            .sum(),
    }
}

/// Reusable buffers for moving blocks to the engine's rate.
#[derive(Default)]
pub struct Scratch {
    mono: Vec<f32>,
    resampled: Vec<Vec<f32>>,
}

impl Input {
    /// Forget what was captured before the call starts (the devices opened one after the
    /// other, and the model loaded meanwhile), so both sides start together.
    pub fn discard_backlog(&mut self) {
        if let Some(o) = &self.open {
            while let Ok(b) = o.queue.blocks.try_recv() {
                let _ = o.queue.recycle.try_send(b);
            }
            self.dropped_seen =
                o.queue.stats.dropped_frames() + o.queue.stats.xruns.load(Ordering::Relaxed);
        }
    }

    /// Whether captured blocks are waiting.
    pub fn has_blocks(&self) -> bool {
        self.open
            .as_ref()
            .is_some_and(|o| !o.queue.blocks.is_empty())
    }

    /// Move every waiting block to 16 kHz and into the aligner; the oldest block's arrival.
    pub fn drain_into(&mut self, aligner: &mut Aligner, scratch: &mut Scratch) -> Option<Instant> {
        let o = self.open.as_mut()?;
        let ch = o.queue.channels;
        let mut oldest: Option<Instant> = None;
        while let Ok(block) = o.queue.blocks.try_recv() {
            let samples = &block.samples[..block.len];
            match self.route {
                Route::Mono(s) => {
                    // Down-mixed to mono first: one resampler channel, whatever the device.
                    scratch.mono.clear();
                    scratch.mono.extend(
                        samples
                            .chunks_exact(ch)
                            .map(|f| f.iter().sum::<f32>() / ch as f32),
                    );
                    scratch.resampled.resize_with(1, Vec::new);
                    scratch.resampled[0].clear();
                    o.resampler.push(&scratch.mono, &mut scratch.resampled[..1]);
                    aligner.push(s.index(), &scratch.resampled[0]);
                }
                Route::Split { agent, customer } => {
                    scratch.resampled.resize_with(ch, Vec::new);
                    for r in scratch.resampled.iter_mut() {
                        r.clear();
                    }
                    o.resampler.push(samples, &mut scratch.resampled[..]);
                    aligner.push(0, &scratch.resampled[agent]);
                    aligner.push(1, &scratch.resampled[customer]);
                }
            }
            if let Some(t) = block.arrived {
                oldest = Some(oldest.map_or(t, |o| o.min(t)));
            }
            let _ = o.queue.recycle.try_send(block);
        }
        oldest
    }

    /// Once a second: did the device lose audio, is it still there, has a lost one come
    /// back? `listing` is the newest device list the watch thread made (None: none new, or
    /// the host could not be asked). What the agent should know goes to `notices`.
    pub fn supervise(
        &mut self,
        host: &cpal::Host,
        listing: Option<&[DeviceInfo]>,
        report: &mut LiveReport,
        notices: &mut Vec<EventBody>,
    ) {
        if self.open.is_none() {
            if listing.is_some_and(|l| devices::matching(l, &self.wanted).is_some()) {
                self.try_reopen(host, notices);
            }
            return;
        }
        self.check_overflow(notices);
        let Some(o) = &self.open else { return };
        // The stream reported an error, or the device left the system (PulseAudio may move a
        // stream to another source rather than fail it: checking the device list catches
        // that too). Only "not listed" counts: no listing says nothing about the device.
        let gone = o.failed.load(Ordering::Relaxed)
            || listing.is_some_and(|l| !l.iter().any(|i| i.id == o.info.id));
        if !gone {
            return;
        }
        let id = o.info.id.clone();
        if let Some(o) = self.open.take() {
            report.add_stats(&o.queue.stats);
        }
        report.device_losses += 1;
        tracing::warn!("{} device \"{id}\" lost", self.role);
        notices.push(EventBody::Device {
            state: "device_lost".into(),
            detail: format!(
                "The {} audio device \"{id}\" is gone. Plug it back in; coaching resumes by itself (the call clock keeps going on silence meanwhile).",
                self.role
            ),
        });
    }

    /// Frames the callback could not hand on, plus device overruns (one count each).
    fn check_overflow(&mut self, notices: &mut Vec<EventBody>) {
        let Some(o) = &self.open else { return };
        let dropped = o.queue.stats.dropped_frames() + o.queue.stats.xruns.load(Ordering::Relaxed);
        if dropped == self.dropped_seen && self.overflowing {
            self.overflowing = false;
            notices.push(EventBody::Device {
                state: "capture_ok".into(),
                detail: format!("The {} audio is flowing again.", self.role),
            });
        }
        if dropped > self.dropped_seen {
            self.overflowing = true;
            let ms = (dropped - self.dropped_seen) * 1000 / o.info.sample_rate as u64;
            self.dropped_seen = dropped;
            notices.push(EventBody::Device {
                state: "capture_overflow".into(),
                detail: format!(
                    "{ms} ms of the {} audio was lost: this computer is too busy.",
                    self.role
                ),
            });
        }
    }

    fn try_reopen(&mut self, host: &cpal::Host, notices: &mut Vec<EventBody>) {
        let Ok(o) = open(host, &self.wanted, self.route) else {
            return;
        };
        tracing::info!("{} device \"{}\" is back", self.role, o.info.id);
        notices.push(EventBody::Device {
            state: "device_restored".into(),
            detail: format!("The {} audio device \"{}\" is back.", self.role, o.info.id),
        });
        self.dropped_seen = 0;
        self.open = Some(o);
    }
}

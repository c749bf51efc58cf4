//! What capture measured over a live session, for the closing line and the benchmarks.

use crate::audio::capture::CaptureStats;
use std::sync::atomic::Ordering;

#[derive(Debug, Clone, Default)]
pub struct LiveReport {
    /// Calls in the session.
    pub calls: u32,
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
    /// Silence put in while every device was lost, to keep the clock going, ms.
    pub clock_kept_ms: u64,
    callback_ns_total: u64,
}

impl LiveReport {
    /// Count a stream's figures in (when it closes: at the end, or when its device is lost).
    pub fn add_stats(&mut self, s: &CaptureStats) {
        self.callbacks += s.callbacks.load(Ordering::Relaxed);
        self.dropped_frames += s.dropped_frames();
        self.callback_ns_total += s.callback_ns_total.load(Ordering::Relaxed);
        let max = s.callback_ns_max.load(Ordering::Relaxed) as f64 / 1000.0;
        self.callback_us_max = self.callback_us_max.max(max);
    }

    /// Mean callback time, once every stream's figures are in.
    pub fn close_callbacks(&mut self) {
        let n = self.callbacks.max(1) as f64;
        self.callback_us_mean = self.callback_ns_total as f64 / 1000.0 / n;
    }

    /// The closing line `hearken live` prints.
    pub fn line(&self) -> String {
        format!(
            "hearken live: {:.1} s, {} calls; {} callbacks, {} frames dropped; callback mean {:.1} µs, max {:.1} µs; \
             block to events median {} µs, p95 {} µs; silence filled: agent {} ms, customer {} ms; devices lost {}",
            self.seconds,
            self.calls,
            self.callbacks,
            self.dropped_frames,
            self.callback_us_mean,
            self.callback_us_max,
            self.block_to_events_us_median,
            self.block_to_events_us_p95,
            self.filled_ms[0],
            self.filled_ms[1],
            self.device_losses
        )
    }
}

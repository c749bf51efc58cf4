//! Keeping two live devices in step.
//!
//! Two sound devices run on two clocks. Each side's audio, already at 16 kHz, queues here;
//! both leave together, sample for sample, so the engine's clock (the sample count) stays
//! one clock. When one side falls behind the other by more than `max_lead`, because its
//! clock is slower, it stalled, or it is a loopback source that delivers nothing while
//! nothing plays, the missing stretch is filled with silence rather than letting the
//! timeline slip. The fill waits for a quiet moment on that side, so a word is never split,
//! unless the lag passes `stall` (the device has clearly stopped). A side that runs ahead
//! therefore sets the pace; the slower one is re-synced at its pauses.
//!
//! Pure logic on sample counts, no clocks, so it is tested exactly.

use std::collections::VecDeque;

/// Settings in samples at 16 kHz.
#[derive(Debug, Clone, Copy)]
pub struct AlignSettings {
    /// Lag tolerated before filling (device jitter is a few blocks).
    pub max_lead: usize,
    /// Lag after which the lagging side is filled at once, quiet or not.
    pub stall: usize,
    /// How much lag to leave after a fill (room for the next block to land).
    pub keep: usize,
    /// Below this level (dBFS) a side counts as quiet.
    pub quiet_dbfs: f32,
}

impl Default for AlignSettings {
    fn default() -> Self {
        AlignSettings {
            max_lead: 16 * 150,
            stall: 16 * 500,
            keep: 16 * 40,
            quiet_dbfs: -45.0,
        }
    }
}

pub struct Aligner {
    cfg: AlignSettings,
    queues: [VecDeque<f32>; 2],
    /// Level of each side's latest 10 ms, to fill only at quiet moments.
    last_level: [f32; 2],
    /// Samples of silence put in per side.
    pub filled: [u64; 2],
}

impl Aligner {
    pub fn new(cfg: AlignSettings) -> Self {
        Aligner {
            cfg,
            queues: [VecDeque::new(), VecDeque::new()],
            last_level: [-120.0; 2],
            filled: [0; 2],
        }
    }

    /// Queue 16 kHz samples for one side (0 agent, 1 customer).
    pub fn push(&mut self, side: usize, samples: &[f32]) {
        self.queues[side].extend(samples.iter().copied());
        let tail = samples.len().min(160);
        if tail > 0 {
            self.last_level[side] = crate::signal::level_db(&samples[samples.len() - tail..]);
        }
    }

    /// Move out what both sides have, plus any fill; appended to `out[side]`.
    pub fn take(&mut self, out: &mut [Vec<f32>; 2]) {
        let lens = [self.queues[0].len(), self.queues[1].len()];
        let (lead, behind) = if lens[0] >= lens[1] { (0, 1) } else { (1, 0) };
        let gap = lens[lead] - lens[behind];
        let quiet = self.last_level[behind] < self.cfg.quiet_dbfs;
        if gap > self.cfg.stall || (gap > self.cfg.max_lead && quiet) {
            let fill = gap - self.cfg.keep;
            self.queues[behind].extend(std::iter::repeat_n(0.0, fill));
            self.filled[behind] += fill as u64;
        }
        let n = self.queues[0].len().min(self.queues[1].len());
        for (q, o) in self.queues.iter_mut().zip(out.iter_mut()) {
            o.extend(q.drain(..n));
        }
    }

    /// Samples waiting on each side.
    pub fn pending(&self) -> [usize; 2] {
        [self.queues[0].len(), self.queues[1].len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(a: &mut Aligner) -> [Vec<f32>; 2] {
        let mut out = [Vec::new(), Vec::new()];
        a.take(&mut out);
        out
    }

    #[test]
    fn both_sides_leave_together() {
        let mut a = Aligner::new(AlignSettings::default());
        a.push(0, &[0.1; 500]);
        a.push(1, &[0.2; 320]);
        let out = take(&mut a);
        assert_eq!((out[0].len(), out[1].len()), (320, 320));
        assert_eq!(a.pending(), [180, 0]);
    }

    #[test]
    fn a_silent_loopback_does_not_hold_the_timeline() {
        // The customer's loopback delivers nothing (nothing plays); the agent talks on.
        let mut a = Aligner::new(AlignSettings::default());
        let mut agent_out = 0;
        for _ in 0..100 {
            a.push(0, &[0.3; 320]);
            agent_out += take(&mut a)[0].len();
        }
        // 2 s in, everything but the tolerated lag has gone to the engine.
        assert!(agent_out >= 32_000 - 16 * 150, "{agent_out}");
        assert!(a.filled[1] > 0 && a.filled[0] == 0);
    }

    #[test]
    fn a_slower_clock_is_filled_only_at_its_pauses() {
        let cfg = AlignSettings::default();
        let mut a = Aligner::new(cfg);
        // The customer talks (loud) and delivers 1 % fewer samples.
        for _ in 0..700 {
            a.push(0, &[0.01; 320]);
            a.push(1, &[0.3; 316]);
            take(&mut a);
        }
        let lag = a.pending()[0];
        assert_eq!(
            a.filled[1], 0,
            "no fill while the customer speaks (lag {lag})"
        );
        assert!(lag > cfg.max_lead && lag < cfg.stall);
        // A pause: the fill happens, the lag drops to what is kept.
        a.push(0, &[0.01; 320]);
        a.push(1, &[0.0; 316]);
        take(&mut a);
        assert!(a.filled[1] > 0);
        assert!(a.pending()[0] <= cfg.keep + 4);
    }
}

//! Fundamental frequency (F0) per 10 ms frame, with YIN on a 2:1 decimated signal.
//!
//! Why YIN: it is robust on telephone speech (no octave jumps on a missing fundamental thanks
//! to its cumulative-mean normalisation) and it explains itself: one threshold. Why decimate:
//! voice F0 lies between 60 and 400 Hz, so 8 kHz is plenty, and the search costs a quarter.

use crate::contract::time::FRAME;

/// Analysis window at 8 kHz: 40 ms, two periods of the lowest F0.
const WIN: usize = 320;
const RATE: f32 = 8_000.0;
pub const MIN_F0: f32 = 60.0;
pub const MAX_F0: f32 = 400.0;
const MIN_LAG: usize = (RATE / MAX_F0) as usize; // 20
const MAX_LAG: usize = (RATE / MIN_F0) as usize; // 133
/// YIN's aperiodicity threshold: below it a dip counts as a period.
const THRESHOLD: f32 = 0.15;
/// Half-band low-pass before decimation (odd length, symmetric): keeps < 3 kHz.
const TAPS: [f32; 7] = [-0.0234, 0.0, 0.2734, 0.5, 0.2734, 0.0, -0.0234];

/// Per-speaker pitch tracker. Call [`PitchTracker::push`] with every 16 kHz frame, and
/// [`PitchTracker::estimate`] only on frames you need F0 for (speech), since that is the cost.
pub struct PitchTracker {
    /// Last WIN + MAX_LAG samples at 8 kHz, oldest first (a sliding buffer).
    buf: Vec<f32>,
    /// Filter history at 16 kHz.
    hist: [f32; TAPS.len()],
    diff: Vec<f32>,
}

impl Default for PitchTracker {
    fn default() -> Self {
        Self::new()
    }
}

impl PitchTracker {
    pub fn new() -> Self {
        PitchTracker {
            buf: vec![0.0; WIN + MAX_LAG],
            hist: [0.0; TAPS.len()],
            diff: vec![0.0; MAX_LAG + 1],
        }
    }

    /// Take one 10 ms frame at 16 kHz.
    pub fn push(&mut self, frame: &[f32; FRAME]) {
        let n = self.buf.len();
        self.buf.copy_within(FRAME / 2.., 0);
        for (k, pair) in frame.chunks_exact(2).enumerate() {
            for &x in pair {
                self.hist.copy_within(1.., 0);
                self.hist[TAPS.len() - 1] = x;
            }
            let y: f32 = self.hist.iter().zip(TAPS.iter()).map(|(a, b)| a * b).sum();
            self.buf[n - FRAME / 2 + k] = y;
        }
    }

    /// F0 in Hz of the most recent 40 ms, or None when it is not periodic (unvoiced, noise).
    pub fn estimate(&mut self) -> Option<f32> {
        let x = &self.buf[self.buf.len() - WIN - MAX_LAG..];
        // Difference function d(tau) = sum (x[j] - x[j + tau])^2 over the window.
        for tau in 1..=MAX_LAG {
            let a = &x[..WIN];
            let b = &x[tau..tau + WIN];
            self.diff[tau] = a.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum();
        }
        // Cumulative mean normalised difference.
        let mut running = 0.0f32;
        self.diff[0] = 1.0;
        for tau in 1..=MAX_LAG {
            running += self.diff[tau];
            self.diff[tau] = if running > 0.0 {
                self.diff[tau] * tau as f32 / running
            } else {
                1.0
            };
        }
        let mut tau = MIN_LAG;
        while tau < MAX_LAG {
            if self.diff[tau] < THRESHOLD {
                while tau + 1 < MAX_LAG && self.diff[tau + 1] < self.diff[tau] {
                    tau += 1;
                }
                // Parabolic interpolation around the dip for sub-sample precision.
                let (l, c, r) = (self.diff[tau - 1], self.diff[tau], self.diff[tau + 1]);
                let den = l + r - 2.0 * c;
                let shift = if den.abs() > 1e-9 {
                    0.5 * (l - r) / den
                } else {
                    0.0
                };
                let f0 = RATE / (tau as f32 + shift.clamp(-0.5, 0.5));
                return (MIN_F0..=MAX_F0).contains(&f0).then_some(f0);
            }
            tau += 1;
        }
        None
    }
}

/// Semitones between two frequencies.
pub fn semitones(f: f32, reference: f32) -> f32 {
    12.0 * (f / reference).log2()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voiced(f0: f32, frames: usize) -> Vec<[f32; FRAME]> {
        // A glottal-like pulse train: fundamental plus decaying harmonics.
        (0..frames)
            .map(|k| {
                let mut f = [0.0f32; FRAME];
                for (i, s) in f.iter_mut().enumerate() {
                    let t = (k * FRAME + i) as f32 / 16_000.0;
                    *s = (1..8)
                        .map(|h| {
                            (2.0 * std::f32::consts::PI * f0 * h as f32 * t).sin() * 0.3 / h as f32
                        })
                        .sum();
                }
                f
            })
            .collect()
    }

    #[test]
    fn finds_the_fundamental_across_the_voice_range() {
        for f0 in [85.0f32, 120.0, 180.0, 240.0, 330.0] {
            let mut p = PitchTracker::new();
            let mut last = None;
            for f in voiced(f0, 12) {
                p.push(&f);
                last = p.estimate();
            }
            let got = last.expect("voiced");
            assert!(semitones(got, f0).abs() < 0.3, "{f0} Hz read as {got}");
        }
    }

    #[test]
    fn noise_and_silence_are_unvoiced() {
        let mut p = PitchTracker::new();
        let mut seed = 12345u32;
        for _ in 0..10 {
            let mut f = [0.0f32; FRAME];
            for s in f.iter_mut() {
                seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
                *s = (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
            }
            p.push(&f);
        }
        assert_eq!(p.estimate(), None);
        let mut p = PitchTracker::new();
        p.push(&[0.0; FRAME]);
        assert_eq!(p.estimate(), None);
    }
}

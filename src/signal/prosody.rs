//! How a stretch of speech sounds, summarised: level, pitch and its range, and vocal effort.
//!
//! Vocal effort is measured as the balance of high to low frequencies: a raised, strained
//! voice puts more energy into the upper harmonics (a flatter spectral tilt). The proxy used
//! is the energy of the first difference of the signal relative to the energy of the signal,
//! in dB: a first-order high-pass, cheap on every frame, and independent of overall gain, so
//! it survives the automatic gain control of phone lines, as pitch does.

use super::pitch::semitones;
use crate::contract::time::FRAME;

/// Accumulates per-frame measurements of one stretch of speech.
#[derive(Debug, Clone, Default)]
pub struct ProsodyAccumulator {
    level_sum: f64,
    frames: u32,
    effort_sum: f64,
    f0: Vec<f32>,
}

/// The summary of a stretch of speech.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Prosody {
    pub level_db: f32,
    pub f0_median_hz: Option<f32>,
    pub f0_range_st: Option<f32>,
    /// High-to-low frequency balance, dB (higher: more vocal effort).
    pub effort_db: f32,
    pub voiced_share: f32,
    pub frames: u32,
}

/// High-frequency balance of a frame: energy of its first difference over its energy, dB.
pub fn effort_db(frame: &[f32; FRAME]) -> f32 {
    let mut e = 0.0f32;
    let mut d = 0.0f32;
    for w in frame.windows(2) {
        e += w[1] * w[1];
        d += (w[1] - w[0]) * (w[1] - w[0]);
    }
    10.0 * ((d + 1e-12) / (e + 1e-12)).log10()
}

impl ProsodyAccumulator {
    /// Add one speech frame with its level and, when voiced, its F0.
    pub fn add(&mut self, frame: &[f32; FRAME], level_db: f32, f0: Option<f32>) {
        self.level_sum += level_db as f64;
        self.effort_sum += effort_db(frame) as f64;
        self.frames += 1;
        if let Some(f) = f0 {
            self.f0.push(f);
        }
    }

    pub fn frames(&self) -> u32 {
        self.frames
    }

    pub fn finish(mut self) -> Prosody {
        let n = self.frames.max(1) as f64;
        let (median, range) = if self.f0.len() >= 5 {
            self.f0.sort_by(f32::total_cmp);
            let at = |q: f32| self.f0[((self.f0.len() - 1) as f32 * q).round() as usize];
            (Some(at(0.5)), Some(semitones(at(0.9), at(0.1))))
        } else {
            (None, None)
        };
        Prosody {
            level_db: (self.level_sum / n) as f32,
            f0_median_hz: median,
            f0_range_st: range,
            effort_db: (self.effort_sum / n) as f32,
            voiced_share: self.f0.len() as f32 / self.frames.max(1) as f32,
            frames: self.frames,
        }
    }
}

/// Prosody of a whole clip (16 kHz mono): frames within 35 dB of its loudest and above
/// -60 dBFS count as speech. For offline measurement (`examples/emodb_auc.rs`); the engine
/// uses its own speech activity.
pub fn clip_prosody(samples: &[f32]) -> Prosody {
    let frames: Vec<[f32; FRAME]> = samples
        .chunks_exact(FRAME)
        .map(|c| c.try_into().expect("FRAME-sized chunk"))
        .collect();
    let levels: Vec<f32> = frames.iter().map(|f| super::level_db(f)).collect();
    let loudest = levels.iter().copied().fold(f32::MIN, f32::max);
    let mut pitch = super::PitchTracker::new();
    let mut acc = ProsodyAccumulator::default();
    for (f, &l) in frames.iter().zip(&levels) {
        pitch.push(f);
        if l > loudest - 35.0 && l > -60.0 {
            acc.add(f, l, pitch.estimate());
        }
    }
    acc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effort_rises_with_high_frequency_content_and_ignores_gain() {
        let tone = |hz: f32, amp: f32| -> [f32; FRAME] {
            std::array::from_fn(|i| {
                amp * (2.0 * std::f32::consts::PI * hz * i as f32 / 16_000.0).sin()
            })
        };
        assert!(effort_db(&tone(2000.0, 0.3)) > effort_db(&tone(200.0, 0.3)) + 15.0);
        assert!((effort_db(&tone(500.0, 0.3)) - effort_db(&tone(500.0, 0.03))).abs() < 0.01);
    }
}

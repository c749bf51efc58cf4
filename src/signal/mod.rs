//! Per-speaker signal analysis on 10 ms frames: level and speech activity.
//!
//! Runs on every frame of both channels, so everything here is cheap, allocation-free and
//! deterministic.

pub mod activity;
pub mod echo;
pub mod pitch;
pub mod prosody;

pub use activity::{ActivityDetector, Transition};
pub use pitch::PitchTracker;
pub use prosody::{Prosody, ProsodyAccumulator};

/// Level of a frame in dB relative to full scale (RMS; a full-scale sine reads -3 dB).
/// Digital silence reads -120.
pub fn level_db(frame: &[f32]) -> f32 {
    let energy: f32 = frame.iter().map(|s| s * s).sum::<f32>() / frame.len().max(1) as f32;
    10.0 * (energy + 1e-12).log10()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::time::FRAME;

    #[test]
    fn full_scale_sine_is_minus_three_db_and_silence_is_floor() {
        let sine: Vec<f32> = (0..FRAME)
            .map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16_000.0).sin())
            .collect();
        assert!((level_db(&sine) + 3.01).abs() < 0.05);
        assert!(level_db(&[0.0; FRAME]) < -110.0);
    }
}

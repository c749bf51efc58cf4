//! Conversation analysis: who holds the floor, who talks over whom, how much each talks,
//! monologues and dead air. Fed one frame at a time with both speakers' activity; decides
//! from audio alone, so nothing here waits for whisper.

pub mod floor;
pub mod interruption;
pub mod lexicon;
pub mod pace;
pub mod tension;

use crate::config::DetectConfig;
use crate::engine::{EventBody, Speaker};
use crate::signal::Transition;

pub use floor::{Floor, Span};
pub use interruption::InterruptionDetector;
pub use lexicon::{Cues, Lexicon};
pub use pace::Pace;

/// One speaker's activity in the current frame, as the conversation tracker sees it.
#[derive(Debug, Clone, Copy, Default)]
pub struct FrameView {
    /// This frame alone is speech.
    pub active: bool,
    /// The speaker is talking (between onset and end, including the hangover).
    pub speaking: bool,
    pub transition: Option<Transition>,
    pub last_active: Option<u64>,
    /// Start frame of the current (or last) speech.
    pub current_start: Option<u64>,
}

/// Everything the detectors track, wired together.
pub struct Conversation {
    interruptions: [InterruptionDetector; 2],
    pub floor: Floor,
    metrics_every: u64,
}

impl Conversation {
    pub fn new(cfg: &DetectConfig) -> Self {
        Conversation {
            interruptions: [
                InterruptionDetector::new(Speaker::Agent, cfg),
                InterruptionDetector::new(Speaker::Customer, cfg),
            ],
            floor: Floor::new(cfg),
            metrics_every: (cfg.metrics_interval_ms / 10).max(1) as u64,
        }
    }

    /// Analyse frame `index`; events (with their time decided by the caller) go to `out`.
    pub fn frame(&mut self, index: u64, views: &[FrameView; 2], out: &mut Vec<EventBody>) {
        for d in self.interruptions.iter_mut() {
            if let Some(e) = d.frame(index, views) {
                if let EventBody::Interruption { by, .. } = &e {
                    self.floor.count_interruption(*by);
                }
                out.push(e);
            }
        }
        self.floor.frame(index, views, out);
        if (index + 1).is_multiple_of(self.metrics_every) {
            out.push(self.floor.metrics(index));
        }
    }
}

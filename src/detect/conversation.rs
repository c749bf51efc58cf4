//! Everything the conversation detectors track, wired together and fed one frame at a time.

use super::floor::Floor;
use super::frame::FrameView;
use super::interruption::InterruptionDetector;
use crate::config::DetectConfig;
use crate::contract::{EventBody, Speaker};

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
            let from = out.len();
            d.frame(index, views, out);
            for e in &out[from..] {
                match e {
                    EventBody::Interruption { by, .. } => self.floor.count_interruption(*by),
                    EventBody::InterruptionWithdrawn { by, .. } => {
                        self.floor.uncount_interruption(*by)
                    }
                    _ => {}
                }
            }
        }
        self.floor.frame(index, views, out);
        if (index + 1).is_multiple_of(self.metrics_every) {
            out.push(self.floor.metrics(index));
        }
    }
}

//! Interruptions: one speaker starts while the other is mid-utterance and keeps going past
//! what a backchannel would be, while the other was not just finishing.
//!
//! Decided from speech activity alone, frame by frame, as soon as it is sure:
//! - the interrupter's onset falls while the other is talking (not in a dead heat: the other
//!   started at least `simultaneous_start_ms` earlier);
//! - the interrupter is still producing speech `backchannel_max_ms` after the onset ("mm-hmm",
//!   "right", "okay" and laughs are shorter);
//! - the other was still producing speech `terminal_window_ms` after the onset (starting in
//!   the last moments of someone's turn is a terminal overlap, the normal way turns change).
//!
//! `cut_off` says whether the interrupted speaker had fallen silent (for
//! `cut_off_silence_ms`) when the interruption was reported; if they are mid-pause at that
//! moment the report waits until it is clear, which costs at most `cut_off_silence_ms`.

use super::FrameView;
use crate::config::DetectConfig;
use crate::engine::{EventBody, Speaker};
use crate::signal::{Transition, frames_to_ms, ms_to_frames};

/// Frames of silence after which a still-talking speaker counts as "active now".
const ACTIVE_NOW_FRAMES: u64 = 5;

#[derive(Debug, Clone, Copy)]
struct Candidate {
    onset: u64,
    /// The interrupted speaker produced speech past the terminal window.
    other_kept_going: bool,
}

pub struct InterruptionDetector {
    by: Speaker,
    backchannel: u64,
    terminal: u64,
    simultaneous: u64,
    cut_off_silence: u64,
    candidate: Option<Candidate>,
}

impl InterruptionDetector {
    pub fn new(by: Speaker, cfg: &DetectConfig) -> Self {
        InterruptionDetector {
            by,
            backchannel: ms_to_frames(cfg.backchannel_max_ms) as u64,
            terminal: ms_to_frames(cfg.terminal_window_ms) as u64,
            simultaneous: ms_to_frames(cfg.simultaneous_start_ms) as u64,
            cut_off_silence: ms_to_frames(cfg.cut_off_silence_ms) as u64,
            candidate: None,
        }
    }

    pub fn frame(&mut self, index: u64, views: &[FrameView; 2]) -> Option<EventBody> {
        let me = &views[self.by.index()];
        let other = &views[self.by.other().index()];

        if let Some(Transition::Onset { start }) = me.transition {
            let other_started = other.current_start.unwrap_or(u64::MAX);
            self.candidate = (other.speaking && other_started + self.simultaneous <= start)
                .then_some(Candidate {
                    onset: start,
                    other_kept_going: false,
                });
        }
        let c = self.candidate.as_mut()?;

        if other.active && index >= c.onset + self.terminal {
            c.other_kept_going = true;
        }
        if matches!(me.transition, Some(Transition::End { .. })) {
            // Short overlap: a backchannel, a laugh, a false start.
            self.candidate = None;
            return None;
        }
        if matches!(other.transition, Some(Transition::End { .. })) && !c.other_kept_going {
            // They were finishing anyway: a terminal overlap.
            self.candidate = None;
            return None;
        }
        let past_backchannel = me.active && index >= c.onset + self.backchannel;
        if !(past_backchannel && c.other_kept_going) {
            return None;
        }
        let other_last = other.last_active.unwrap_or(c.onset);
        let silent_for = index.saturating_sub(other_last);
        let cut_off = if silent_for <= ACTIVE_NOW_FRAMES {
            false
        } else if silent_for >= self.cut_off_silence {
            true
        } else {
            return None; // in a pause: wait until it is clear whether they stopped
        };
        let onset = c.onset;
        self.candidate = None;
        let overlap_end = (other_last + 1).min(index + 1);
        Some(EventBody::Interruption {
            by: self.by,
            onset_ms: frames_to_ms(onset),
            overlap_ms: frames_to_ms(overlap_end.saturating_sub(onset)),
            cut_off,
        })
    }
}

//! One frame of both speakers' activity, as the conversation detectors see it.

use crate::signal::Transition;

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
    /// This frame's level, dBFS.
    pub level: f32,
}

//! Engine time. The engine's clock is the audio itself: samples at 16 kHz per speaker,
//! analysed in 10 ms frames. Every time in an event is milliseconds of call audio, never
//! the wall clock, so a replay at any speed says the same as the live call did.

/// The engine's sample rate, per speaker.
pub const ENGINE_RATE: u32 = 16_000;
/// Samples per analysis frame: 10 ms at 16 kHz.
pub const FRAME: usize = 160;
/// Frames per second.
pub const FRAMES_PER_SEC: u32 = 100;
/// Samples per millisecond.
pub const SAMPLES_PER_MS: u64 = (ENGINE_RATE / 1000) as u64;

/// Engine time of a sample position, in ms.
pub fn samples_to_ms(samples: u64) -> u64 {
    samples * 1000 / ENGINE_RATE as u64
}

/// Samples in a duration.
pub fn ms_to_samples(ms: u64) -> u64 {
    ms * SAMPLES_PER_MS
}

/// Engine time of a frame index, in ms.
pub fn frames_to_ms(frames: u64) -> u64 {
    frames * 1000 / FRAMES_PER_SEC as u64
}

/// Whole frames in a duration (rounded up, at least one).
pub fn ms_to_frames(ms: u32) -> u32 {
    ms.div_ceil(1000 / FRAMES_PER_SEC).max(1)
}

/// How a call time is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockStyle {
    /// `mm:ss.t`: events' reasons, the timeline, reports (a moment in a call).
    Tenths,
    /// `m:ss`, or `h:mm:ss` past an hour: the overlay's call timer (read at a glance).
    Seconds,
}

/// A call time as people read it. The one place call times are formatted.
pub fn clock_as(ms: u64, style: ClockStyle) -> String {
    let s = ms / 1000;
    match style {
        ClockStyle::Tenths => format!("{:02}:{:02}.{}", ms / 60_000, s % 60, (ms / 100) % 10),
        ClockStyle::Seconds if s >= 3600 => {
            format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
        }
        ClockStyle::Seconds => format!("{}:{:02}", s / 60, s % 60),
    }
}

/// `mm:ss.t` from ms.
pub fn clock(ms: u64) -> String {
    clock_as(ms, ClockStyle::Tenths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_formats_minutes_seconds_tenths() {
        assert_eq!(clock(0), "00:00.0");
        assert_eq!(clock(83_456), "01:23.4");
    }

    #[test]
    fn the_timer_reads_minutes_and_hours() {
        assert_eq!(clock_as(0, ClockStyle::Seconds), "0:00");
        assert_eq!(clock_as(192_400, ClockStyle::Seconds), "3:12");
        assert_eq!(clock_as(3_725_000, ClockStyle::Seconds), "1:02:05");
    }

    #[test]
    fn conversions_agree() {
        assert_eq!(samples_to_ms(16_000), 1000);
        assert_eq!(ms_to_samples(1000), 16_000);
        assert_eq!(frames_to_ms(150), 1500);
        assert_eq!(ms_to_frames(30), 3);
        assert_eq!(ms_to_frames(0), 1);
    }
}

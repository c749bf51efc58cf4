//! Speech activity per speaker: an energy gate against an adaptive noise floor, with an
//! onset requirement, a hangover, and an echo guard against the other channel.
//!
//! Why energy and not only a neural VAD: the interruption detector must decide within a few
//! hundred ms, and a frame-level gate reacts in 30 ms where a windowed model needs ~100 ms or
//! more. The noise floor adapts per channel, so a 20 dB level difference between agent and
//! customer lines does not matter.

use crate::config::ActivityConfig;
use crate::contract::time::ms_to_frames;
use crate::signal::echo::EchoGuard;

/// A change of speaking state, in frame indices of the engine clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Speech began at frame `start` (decided `onset_ms` later).
    Onset { start: u64 },
    /// Speech that began at `start` ended at `end` (exclusive; decided a hangover later).
    End { start: u64, end: u64 },
}

#[derive(Debug, Clone)]
pub struct ActivityDetector {
    above_floor_db: f32,
    min_level_dbfs: f32,
    echo: EchoGuard,
    onset_frames: u32,
    hangover_frames: u32,
    floor_db: Option<f32>,
    state: State,
    /// Was the last frame fed, on its own, speech?
    active: bool,
    /// The last frame that was, on its own, speech.
    last_active: Option<u64>,
    /// Where the current (or last) stretch of speech began.
    current_start: Option<u64>,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Silent { run: u32 },
    Speaking { start: u64, last_active: u64 },
}

/// The noise floor rises this fast (dB per frame) while nothing is said: 1 dB/s, so a line
/// that gets noisier is followed within seconds, while speech itself never becomes "floor".
const FLOOR_RISE_SILENT: f32 = 0.01;
/// ...and only a fifth as fast while someone is talking.
const FLOOR_RISE_SPEAKING: f32 = 0.002;
/// The floor starts from the first frame's level but never above this, so a call that opens
/// mid-sentence does not take speech for noise.
const FLOOR_START_CAP: f32 = -50.0;
/// Below this a frame is digital silence (at most the dither of 16-bit audio), not line noise.
pub const DIGITAL_SILENCE_DBFS: f32 = -90.0;

impl ActivityDetector {
    pub fn new(cfg: &ActivityConfig) -> Self {
        ActivityDetector {
            above_floor_db: cfg.above_floor_db,
            min_level_dbfs: cfg.min_level_dbfs,
            echo: EchoGuard::new(
                cfg.echo_prior_db,
                cfg.echo_guard_db,
                ms_to_frames(cfg.echo_window_ms) as usize,
            ),
            onset_frames: ms_to_frames(cfg.onset_ms),
            hangover_frames: ms_to_frames(cfg.hangover_ms),
            floor_db: None,
            state: State::Silent { run: 0 },
            active: false,
            last_active: None,
            current_start: None,
        }
    }

    pub fn is_speaking(&self) -> bool {
        matches!(self.state, State::Speaking { .. })
    }

    /// Was the most recent frame, on its own, speech?
    pub fn frame_active(&self) -> bool {
        self.active
    }

    /// The most recent frame that was, on its own, speech.
    pub fn last_active(&self) -> Option<u64> {
        self.last_active
    }

    /// Start frame of the current speech (while speaking) or of the last one.
    pub fn current_start(&self) -> Option<u64> {
        self.current_start
    }

    pub fn floor_db(&self) -> f32 {
        self.floor_db.unwrap_or(FLOOR_START_CAP)
    }

    /// Is this frame, on its own, speech? (Before onset and hangover smoothing.)
    fn frame_is_active(&self, floor_db: f32, level_db: f32) -> bool {
        level_db > floor_db + self.above_floor_db
            && level_db > self.min_level_dbfs
            && !self.echo.is_echo(level_db)
    }

    /// The echo guard's estimate of how the other side reaches this channel: coupling (dB)
    /// and delay (frames), once measured.
    pub fn echo_coupling(&self) -> (f32, Option<usize>) {
        self.echo.coupling()
    }

    /// Feed frame `index` with its level, the other channel's level in the same frame, and
    /// whether the other side was talking (in the previous frame: this frame's decision on
    /// it is not made yet).
    pub fn step(
        &mut self,
        index: u64,
        level_db: f32,
        other_level_db: f32,
        other_active: bool,
    ) -> Option<Transition> {
        self.echo.push_other(other_level_db, other_active);
        // Digital silence (a codec's DTX, a muted or idle line) is no noise at all: it says
        // nothing about the line's noise floor, so the floor neither starts from it nor
        // falls to it, and the floor of the line as it really is survives it.
        let digital = level_db < DIGITAL_SILENCE_DBFS;
        if !digital {
            // Digital silence carries no echo to learn from.
            self.echo.observe(level_db);
        }
        let floor = match self.floor_db {
            Some(f) => f,
            None if digital => FLOOR_START_CAP,
            None => *self.floor_db.insert(level_db.min(FLOOR_START_CAP)),
        };
        let active = self.frame_is_active(floor, level_db);
        self.active = active;
        if active {
            self.last_active = Some(index);
        }
        // Track the floor: fall at once to anything quieter, rise slowly.
        let rise = if self.is_speaking() {
            FLOOR_RISE_SPEAKING
        } else {
            FLOOR_RISE_SILENT
        };
        if !digital && self.floor_db.is_some() {
            self.floor_db = Some(if level_db < floor {
                level_db
            } else {
                floor + rise
            });
        }
        match &mut self.state {
            State::Silent { run } => {
                if active {
                    *run += 1;
                    if *run >= self.onset_frames {
                        let start = index + 1 - *run as u64;
                        self.current_start = Some(start);
                        self.state = State::Speaking {
                            start,
                            last_active: index,
                        };
                        return Some(Transition::Onset { start });
                    }
                } else {
                    *run = 0;
                }
                None
            }
            State::Speaking { start, last_active } => {
                if active {
                    *last_active = index;
                    None
                } else if index - *last_active >= self.hangover_frames as u64 {
                    let t = Transition::End {
                        start: *start,
                        end: *last_active + 1,
                    };
                    self.state = State::Silent { run: 0 };
                    Some(t)
                } else {
                    None
                }
            }
        }
    }

    /// End of the call: close any open speech at frame `end`.
    pub fn finish(&mut self) -> Option<Transition> {
        match self.state {
            State::Speaking { start, last_active } => {
                self.state = State::Silent { run: 0 };
                Some(Transition::End {
                    start,
                    end: last_active + 1,
                })
            }
            State::Silent { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(levels: &[f32], other: f32) -> Vec<Transition> {
        let mut d = ActivityDetector::new(&ActivityConfig::default());
        let mut out: Vec<Transition> = levels
            .iter()
            .enumerate()
            .filter_map(|(i, &l)| d.step(i as u64, l, other, other > -60.0))
            .collect();
        out.extend(d.finish());
        out
    }

    #[test]
    fn onset_and_end_are_placed_at_the_speech_not_at_the_decision() {
        let mut levels = vec![-70.0; 50];
        levels.extend(vec![-25.0; 100]); // frames 50..150
        levels.extend(vec![-70.0; 100]);
        assert_eq!(
            run(&levels, -120.0),
            vec![
                Transition::Onset { start: 50 },
                Transition::End {
                    start: 50,
                    end: 150
                }
            ]
        );
    }

    #[test]
    fn a_click_shorter_than_the_onset_is_not_speech() {
        let mut levels = vec![-70.0; 50];
        levels.extend(vec![-20.0; 2]);
        levels.extend(vec![-70.0; 50]);
        assert!(run(&levels, -120.0).is_empty());
    }

    #[test]
    fn echo_of_the_other_side_is_not_speech() {
        // Half a second of quiet line, then the other side talks at -20 dBFS and this channel
        // carries its echo 32 dB down for 3 s.
        let mut d = ActivityDetector::new(&ActivityConfig::default());
        let mut out = Vec::new();
        for i in 0..350u64 {
            let (this, other) = if i < 50 {
                (-70.0, -120.0)
            } else {
                (-52.0, -20.0)
            };
            out.extend(d.step(i, this, other, other > -60.0));
        }
        assert!(out.is_empty(), "{out:?}");
        // The same level is speech when the other side is quiet.
        let mut levels = vec![-70.0; 50];
        levels.extend(vec![-52.0; 100]);
        assert_eq!(run(&levels, -120.0).len(), 2);
    }

    #[test]
    fn the_noise_floor_survives_digital_silence() {
        // Line noise at -62 dBFS, three seconds of digital zeros (DTX), then quiet speech at
        // -48 dBFS: 14 dB over the line's floor, so speech, as it would be without the gap.
        let mut d = ActivityDetector::new(&ActivityConfig::default());
        let mut levels = vec![-62.0; 200];
        levels.extend(vec![-120.0; 300]);
        levels.extend(vec![-48.0; 50]);
        for (i, &l) in levels.iter().enumerate() {
            d.step(i as u64, l, -120.0, false);
        }
        assert!((d.floor_db() + 62.0).abs() < 4.0, "floor {}", d.floor_db());
        assert!(d.is_speaking());
    }

    #[test]
    fn short_pauses_inside_speech_are_bridged() {
        let mut levels = vec![-70.0; 20];
        levels.extend(vec![-25.0; 50]);
        levels.extend(vec![-70.0; 20]); // 200 ms pause, under the 400 ms hangover
        levels.extend(vec![-25.0; 50]);
        levels.extend(vec![-70.0; 60]);
        let t = run(&levels, -120.0);
        assert_eq!(t.len(), 2, "{t:?}");
    }
}

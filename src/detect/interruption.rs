//! Interruptions: one speaker starts while the other is mid-utterance and keeps going past
//! what a backchannel would be, while the other was not just finishing.
//!
//! Decided from speech activity alone, frame by frame, in three steps:
//! - **reported** `decide_ms` after the onset when the interrupter's onset fell while the
//!   other was talking (not in a dead heat: the other started at least
//!   `simultaneous_start_ms` earlier), the interrupter is still sounding, and the other was
//!   still sounding `terminal_window_ms` after the onset (starting in the last moments of
//!   someone's turn is a terminal overlap, the normal way turns change) or stopped
//!   abruptly, mid-word, before that;
//! - **withdrawn** when the interrupter's speech then ends within `backchannel_max_ms` of
//!   the onset while the other talks on: a backchannel of two or three words ("yeah, yeah",
//!   "uh-huh, right") outlasts the first decision, and is only known by its end;
//! - **settled** (`interruption_outcome`): cut off when the interrupted speaker stopped
//!   within `cut_off_within_ms` of the onset, not cut off when they were still talking then.
//!
//! The report's own `cut_off` says whether the interrupted speaker had fallen silent (for
//! `cut_off_silence_ms`) when it was made; the outcome says what became of them.

use super::frame::FrameView;
use crate::config::DetectConfig;
use crate::contract::time::{frames_to_ms, ms_to_frames};
use crate::contract::{EventBody, Speaker};
use crate::signal::Transition;
use std::collections::VecDeque;

/// The interrupter counts as still sounding at the decision if active this recently: the
/// gaps between words of running speech are shorter.
const STILL_SOUNDING_FRAMES: u64 = 12;
/// Frame levels kept of the other side, to judge how their speech stopped: the stop is
/// looked for up to 600 ms before the silence that showed it, and judged on the 200 ms
/// before it.
const LEVEL_HISTORY: usize = 110;
/// A listener needs about 200 ms to react and stop: speech that stopped sooner was not cut
/// off by the interruption (the loud part of it ended on its own).
const REACTION_FRAMES: u64 = 20;
/// The interrupted speaker has stopped, for the outcome, once silent this long: as long as
/// the speech gate's hangover, since a pause between words can outlast `cut_off_silence_ms`
/// (measured on the tune part: 200 ms gave F1 0.94, 400 ms 0.95, 500-600 ms more terminal
/// overlaps kept as interruptions).
const STOPPED_FRAMES: u64 = 40;
/// An onset this long after the other's last speech frame came in their pause.
const AFTER_PAUSE_FRAMES: u64 = 7;

#[derive(Debug, Clone, Copy)]
struct Candidate {
    onset: u64,
    /// The onset came after a pause of the other's (`AFTER_PAUSE_FRAMES`): where a
    /// backchannel goes. Decided only once it outlasts a backchannel.
    after_pause: bool,
    /// The interrupted speaker produced speech past the terminal window (or stopped
    /// abruptly before it).
    other_kept_going: bool,
}

/// A reported interruption still being watched: for a withdrawal, and for its outcome.
#[derive(Debug, Clone, Copy)]
struct Watched {
    onset: u64,
    settled: bool,
    /// The interrupter's speech ended (or the withdrawal window passed).
    done: bool,
}

pub struct InterruptionDetector {
    by: Speaker,
    decide: u64,
    backchannel: u64,
    terminal: u64,
    simultaneous: u64,
    cut_off_silence: u64,
    cut_off_within: u64,
    terminal_max: u64,
    candidate: Option<Candidate>,
    /// The onset of this speaker's last interruption that stands (not withdrawn).
    standing: Option<u64>,
    watched: Vec<Watched>,
    /// The other side's recent frame levels (dBFS), newest last.
    other_levels: VecDeque<f32>,
    /// The other side's own speech level.
    other_level: SpeechLevel,
}

impl InterruptionDetector {
    pub fn new(by: Speaker, cfg: &DetectConfig) -> Self {
        InterruptionDetector {
            by,
            decide: ms_to_frames(cfg.decide_ms) as u64,
            backchannel: ms_to_frames(cfg.backchannel_max_ms) as u64,
            terminal: ms_to_frames(cfg.terminal_window_ms) as u64,
            simultaneous: ms_to_frames(cfg.simultaneous_start_ms) as u64,
            cut_off_silence: ms_to_frames(cfg.cut_off_silence_ms) as u64,
            cut_off_within: ms_to_frames(cfg.cut_off_within_ms) as u64,
            terminal_max: ms_to_frames(cfg.terminal_max_ms) as u64,
            candidate: None,
            standing: None,
            watched: Vec::new(),
            other_levels: VecDeque::with_capacity(LEVEL_HISTORY),
            other_level: SpeechLevel::default(),
        }
    }

    pub fn frame(&mut self, index: u64, views: &[FrameView; 2], out: &mut Vec<EventBody>) {
        let other = &views[self.by.other().index()];
        if self.other_levels.len() == LEVEL_HISTORY {
            self.other_levels.pop_front();
        }
        self.other_levels.push_back(other.level);
        if other.active {
            self.other_level.add(other.level);
        }
        if let Some(e) = self.decide(index, views) {
            out.push(e);
        }
        self.watch(index, views, out);
    }

    /// The first decision on the candidate, if any.
    fn decide(&mut self, index: u64, views: &[FrameView; 2]) -> Option<EventBody> {
        let me = &views[self.by.index()];
        let other = &views[self.by.other().index()];
        if let Some(Transition::Onset { start }) = me.transition {
            let other_started = other.current_start.unwrap_or(u64::MAX);
            let other_silent = other
                .last_active
                .map_or(u64::MAX, |a| start.saturating_sub(a));
            // One interruption per stretch of the other's speech: resuming after a breath
            // while still talking over them is the same interruption going on.
            let again = self.standing.is_some_and(|onset| other_started <= onset);
            self.candidate = (other.speaking
                && other_started + self.simultaneous <= start
                && !again)
                .then_some(Candidate {
                    onset: start,
                    after_pause: other_silent >= AFTER_PAUSE_FRAMES,
                    other_kept_going: false,
                });
        }
        let onset = self.candidate?.onset;
        let other_last = other.last_active.unwrap_or(onset);
        let silent_for = index.saturating_sub(other_last);
        // Stopping before the listener could react (`REACTION_FRAMES`) is not a cut-off.
        let abrupt = silent_for == self.cut_off_silence
            && self.other_level.abrupt_stop(
                &self.other_levels,
                index,
                silent_for,
                onset + REACTION_FRAMES,
            );
        let c = self.candidate.as_mut()?;
        if other.active && index >= c.onset + self.terminal {
            c.other_kept_going = true;
        }
        if matches!(me.transition, Some(Transition::End { .. })) {
            // Short overlap: a backchannel, a laugh, a false start.
            self.candidate = None;
            return None;
        }
        if !c.other_kept_going && abrupt {
            // Stopped mid-word, inside the terminal window: cut off early, not finishing.
            c.other_kept_going = true;
        }
        if matches!(other.transition, Some(Transition::End { .. })) && !c.other_kept_going {
            // They were finishing anyway: a terminal overlap.
            self.candidate = None;
            return None;
        }
        let sounding = me
            .last_active
            .is_some_and(|a| a + STILL_SOUNDING_FRAMES >= index);
        let due = c.onset
            + if c.after_pause {
                self.backchannel
            } else {
                self.decide
            };
        if !(index >= due && sounding && c.other_kept_going) {
            return None;
        }
        // Not waiting out a pause of the other's: whether they were cut off is settled by
        // the outcome, and the report should not be late for it.
        let cut_off = silent_for >= self.cut_off_silence;
        self.candidate = None;
        self.standing = Some(onset);
        self.watched.push(Watched {
            onset,
            settled: false,
            done: false,
        });
        let overlap_end = (other_last + 1).min(index + 1);
        Some(EventBody::Interruption {
            by: self.by,
            onset_ms: frames_to_ms(onset),
            overlap_ms: frames_to_ms(overlap_end.saturating_sub(onset)),
            cut_off,
        })
    }

    /// Reported interruptions: withdrawn if they prove to be backchannels, settled once
    /// it is known whether the other speaker stopped.
    fn watch(&mut self, index: u64, views: &[FrameView; 2], out: &mut Vec<EventBody>) {
        let me = &views[self.by.index()];
        let other = &views[self.by.other().index()];
        let by = self.by;
        let mut watched = std::mem::take(&mut self.watched);
        for w in watched.iter_mut() {
            if !w.done {
                if let Some(Transition::End { end, .. }) = me.transition {
                    w.done = true;
                    let other_talked_on = other.last_active.is_some_and(|a| a + 1 >= end);
                    if end < w.onset + self.backchannel && other_talked_on {
                        w.settled = true;
                        out.push(EventBody::InterruptionWithdrawn {
                            by,
                            onset_ms: frames_to_ms(w.onset),
                            reason: "short".into(),
                        });
                        continue;
                    }
                } else if me.active && index >= w.onset + self.backchannel {
                    // Still talking past the longest backchannel: it stands.
                    w.done = true;
                }
            }
            if w.settled {
                continue;
            }
            let last = other.last_active.unwrap_or(w.onset);
            let silent_for = index.saturating_sub(last);
            let stopped_early = last < w.onset + self.cut_off_within;
            if silent_for >= STOPPED_FRAMES && stopped_early {
                w.settled = true;
                // Stopping mid-word is being cut off; a phrase ending away is finishing.
                let abrupt = self.other_level.abrupt_stop(
                    &self.other_levels,
                    index,
                    silent_for,
                    w.onset + REACTION_FRAMES,
                );
                if !abrupt && last < w.onset + self.terminal_max {
                    // They were finishing anyway: a terminal overlap after all.
                    w.done = true;
                    out.push(EventBody::InterruptionWithdrawn {
                        by,
                        onset_ms: frames_to_ms(w.onset),
                        reason: "terminal".into(),
                    });
                    continue;
                }
                out.push(EventBody::InterruptionOutcome {
                    by,
                    onset_ms: frames_to_ms(w.onset),
                    cut_off: abrupt,
                    stopped_ms: abrupt.then(|| frames_to_ms(last.max(w.onset) + 1)),
                });
            } else if !stopped_early {
                w.settled = true;
                out.push(EventBody::InterruptionOutcome {
                    by,
                    onset_ms: frames_to_ms(w.onset),
                    cut_off: false,
                    stopped_ms: None,
                });
            }
        }
        if let Some(onset) = self.standing
            && out.iter().any(|e| matches!(e, EventBody::InterruptionWithdrawn { onset_ms, .. } if *onset_ms == frames_to_ms(onset)))
        {
            self.standing = None;
        }
        watched.retain(|w| !(w.settled && w.done));
        self.watched = watched;
    }
}

/// A speaker's own speech level: the median of their speech frames' levels, from a 1 dB
/// histogram (constant memory and time, however long the call).
#[derive(Debug, Clone)]
struct SpeechLevel {
    bins: [u32; 120],
    n: u32,
}

impl Default for SpeechLevel {
    fn default() -> Self {
        SpeechLevel {
            bins: [0; 120],
            n: 0,
        }
    }
}

impl SpeechLevel {
    fn add(&mut self, db: f32) {
        let bin = (db + 120.0).clamp(0.0, 119.0) as usize;
        self.bins[bin] += 1;
        self.n += 1;
    }

    /// The median level, once a second of speech is in.
    fn median(&self) -> Option<f32> {
        if self.n < 100 {
            return None;
        }
        let mut seen = 0;
        for (k, &c) in self.bins.iter().enumerate() {
            seen += c;
            if seen * 2 >= self.n {
                return Some(k as f32 - 120.0 + 0.5);
            }
        }
        None
    }

    /// Whether speech whose last active frame was `silent_for` frames before the newest of
    /// `levels` (frame `index`) stopped abruptly, cut off mid-word, rather than ending a
    /// phrase, with its last loud frame no earlier than `not_before`. Measured
    /// on real voices (tests/fixtures/dev/talkover, tune part): from the last frame within
    /// 9 dB of the speaker's own level (a fading tail sits under that), the level falls by
    /// `ABRUPT_CLIFF_DB` or more within 20 ms, after 200 ms that were not already falling
    /// away (least-squares slope no steeper than `ABRUPT_SLOPE_DB` per 100 ms).
    fn abrupt_stop(
        &self,
        levels: &VecDeque<f32>,
        index: u64,
        silent_for: u64,
        not_before: u64,
    ) -> bool {
        let Some(own) = self.median() else {
            return false;
        };
        let gate_last = levels.len() as i64 - 1 - silent_for as i64;
        // The last loud frame: searching back from the gate's last speech frame.
        let Some(a) = (0..=60)
            .map(|k| gate_last - k)
            .take_while(|&a| a >= 20)
            .find(|&a| levels[a as usize] >= own - 9.0)
        else {
            return false;
        };
        let a = a as usize;
        // Frame index of the last loud frame: a stop before the listener could react to
        // the interruption is not being cut off by it.
        let loud_until = index.saturating_sub((levels.len() - 1 - a) as u64);
        if a + 2 >= levels.len() || loud_until < not_before {
            return false;
        }
        let max = |r: std::ops::Range<usize>| levels.range(r).copied().fold(f32::MIN, f32::max);
        let cliff = max(a - 2..a + 1) - max(a + 1..a + 3);
        // Least-squares slope of the 20 frames up to a, per frame.
        let ys: Vec<f32> = levels.range(a - 19..a + 1).copied().collect();
        let mean_x = 9.5f32;
        let mean_y = ys.iter().sum::<f32>() / 20.0;
        let (mut num, mut den) = (0.0f32, 0.0f32);
        for (i, y) in ys.iter().enumerate() {
            let dx = i as f32 - mean_x;
            num += dx * (y - mean_y);
            den += dx * dx;
        }
        let slope_per_100ms = num / den * 10.0;
        cliff >= ABRUPT_CLIFF_DB && slope_per_100ms >= ABRUPT_SLOPE_DB
    }
}

/// See [`SpeechLevel::abrupt_stop`].
const ABRUPT_CLIFF_DB: f32 = 7.5;
const ABRUPT_SLOPE_DB: f32 = -3.0;

//! The floor: who is talking, how much, for how long without the other getting a turn, and
//! the silences between. Listening metrics come from here.

use super::frame::FrameView;
use crate::config::DetectConfig;
use crate::contract::time::{frames_to_ms, ms_to_frames};
use crate::contract::{EventBody, Span, Speaker};
use crate::signal::Transition;
use std::collections::VecDeque;

/// Seconds in the sliding talk-share window are kept as per-second buckets.
const BUCKET_FRAMES: u64 = 100;

pub struct Floor {
    /// Speech this long takes the floor.
    take: u64,
    dead_air_frames: u64,
    monologue: u64,
    window_buckets: usize,
    /// Frames each speaker talked, per second, for the sliding window.
    buckets: VecDeque<[u32; 2]>,
    talk_frames: [u64; 2],
    /// Last speech end frame per speaker (for silences).
    last_end: [Option<u64>; 2],
    /// Current mutual silence start, if both are silent.
    silence_start: Option<u64>,
    dead_air_reported: bool,
    pub dead_air: Vec<Span>,
    /// Who holds the floor and since when (their first speech since the other last took it).
    holder: Option<(Speaker, u64)>,
    /// End of the holder's latest speech.
    holder_last: u64,
    monologue_reported: bool,
    pub longest_monologue: [Option<Span>; 2],
    pub interruptions: [u32; 2],
    /// Gap at every change of floor, ms (negative: the new speaker started before the other
    /// stopped).
    pub turn_gaps: Vec<i64>,
    /// Frames in which both sides were producing speech.
    pub overlap_frames: u64,
}

impl Floor {
    pub fn new(cfg: &DetectConfig) -> Self {
        Floor {
            take: ms_to_frames(cfg.floor_take_ms) as u64,
            dead_air_frames: ms_to_frames(cfg.dead_air_ms) as u64,
            monologue: ms_to_frames(cfg.monologue_ms) as u64,
            window_buckets: (cfg.talk_share_window_ms / 1000).max(1) as usize,
            buckets: VecDeque::new(),
            talk_frames: [0, 0],
            last_end: [None, None],
            silence_start: Some(0),
            dead_air_reported: false,
            dead_air: Vec::new(),
            holder: None,
            holder_last: 0,
            monologue_reported: false,
            longest_monologue: [None, None],
            interruptions: [0, 0],
            turn_gaps: Vec::new(),
            overlap_frames: 0,
        }
    }

    pub fn count_interruption(&mut self, by: Speaker) {
        self.interruptions[by.index()] += 1;
    }

    /// An interruption taken back (it was a backchannel).
    pub fn uncount_interruption(&mut self, by: Speaker) {
        self.interruptions[by.index()] = self.interruptions[by.index()].saturating_sub(1);
    }

    pub fn frame(&mut self, index: u64, views: &[FrameView; 2], out: &mut Vec<EventBody>) {
        if index.is_multiple_of(BUCKET_FRAMES) {
            self.buckets.push_back([0, 0]);
            if self.buckets.len() > self.window_buckets {
                self.buckets.pop_front();
            }
        }
        for s in Speaker::BOTH {
            let v = &views[s.index()];
            if v.speaking {
                self.talk_frames[s.index()] += 1;
                if let Some(b) = self.buckets.back_mut() {
                    b[s.index()] += 1;
                }
            }
            match v.transition {
                Some(Transition::Onset { start }) => {
                    if let Some(from) = self.silence_start.take() {
                        self.close_silence(from, start);
                    }
                }
                Some(Transition::End { end, .. }) => {
                    self.last_end[s.index()] = Some(end);
                    if self.holder.map(|h| h.0) == Some(s) {
                        self.holder_last = self.holder_last.max(end);
                    }
                }
                None => {}
            }
            // A long enough stretch of speech takes the floor from the other speaker.
            if v.speaking
                && let Some(start) = v.current_start
                && index >= start + self.take
                && self
                    .holder
                    .is_none_or(|(who, since)| who != s && start > since)
            {
                // A turn change: the gap from the previous holder's last speech to this
                // start (negative when they overlapped).
                if self.holder.is_some() {
                    self.turn_gaps
                        .push(frames_to_ms(start) as i64 - frames_to_ms(self.holder_last) as i64);
                }
                self.holder = Some((s, start));
                self.holder_last = index + 1;
                self.monologue_reported = false;
            }
            if v.speaking && self.holder.map(|h| h.0) == Some(s) {
                self.holder_last = self.holder_last.max(v.last_active.map_or(0, |a| a + 1));
            }
        }
        if views.iter().all(|v| v.active) {
            self.overlap_frames += 1;
        }
        self.track_silence(index, views, out);
        self.track_monologue(out);
    }

    fn track_silence(&mut self, index: u64, views: &[FrameView; 2], out: &mut Vec<EventBody>) {
        let anyone = views.iter().any(|v| v.speaking);
        if anyone {
            return;
        }
        let from = *self.silence_start.get_or_insert_with(|| {
            self.dead_air_reported = false;
            self.last_end.iter().flatten().copied().max().unwrap_or(0)
        });
        if !self.dead_air_reported && index + 1 >= from + self.dead_air_frames {
            self.dead_air_reported = true;
            out.push(EventBody::DeadAir {
                start_ms: frames_to_ms(from),
                silence_ms: frames_to_ms(index + 1 - from),
            });
        }
    }

    fn close_silence(&mut self, from: u64, to: u64) {
        if to >= from + self.dead_air_frames {
            self.dead_air.push(Span {
                start_ms: frames_to_ms(from),
                end_ms: frames_to_ms(to),
            });
        }
        self.dead_air_reported = false;
    }

    fn track_monologue(&mut self, out: &mut Vec<EventBody>) {
        let Some((who, start)) = self.holder else {
            return;
        };
        let length = self.holder_last.saturating_sub(start);
        let span = Span {
            start_ms: frames_to_ms(start),
            end_ms: frames_to_ms(self.holder_last),
        };
        let best = &mut self.longest_monologue[who.index()];
        if best.is_none_or(|b| b.end_ms - b.start_ms < span.end_ms - span.start_ms) {
            *best = Some(span);
        }
        if who == Speaker::Agent && !self.monologue_reported && length >= self.monologue {
            self.monologue_reported = true;
            out.push(EventBody::Monologue {
                speaker: who,
                start_ms: span.start_ms,
                duration_ms: span.end_ms - span.start_ms,
            });
        }
    }

    /// End of the call: close a silence still running.
    pub fn finish(&mut self, end_frame: u64) {
        if let Some(from) = self.silence_start.take() {
            self.close_silence(from, end_frame);
        }
    }

    pub fn talk_share_window(&self) -> Option<f32> {
        let (a, c) = self
            .buckets
            .iter()
            .fold((0u64, 0u64), |(a, c), b| (a + b[0] as u64, c + b[1] as u64));
        share(a, c)
    }

    pub fn talk_share_call(&self) -> Option<f32> {
        share(self.talk_frames[0], self.talk_frames[1])
    }

    pub fn metrics(&self, index: u64) -> EventBody {
        let silence_ms = self
            .silence_start
            .map_or(0, |s| frames_to_ms((index + 1).saturating_sub(s)));
        EventBody::Metrics {
            agent_talk_share_60s: self.talk_share_window(),
            agent_talk_share_call: self.talk_share_call(),
            // Filled in by the engine's text stage, which sees the transcripts in order.
            agent_wpm: None,
            silence_ms,
            interruptions_by_agent: self.interruptions[0],
            interruptions_by_customer: self.interruptions[1],
            longest_agent_monologue_ms: self.longest_monologue[0]
                .map_or(0, |s| s.end_ms - s.start_ms),
        }
    }
}

fn share(agent: u64, customer: u64) -> Option<f32> {
    let total = agent + customer;
    (total > 0).then(|| ((agent as f32 / total as f32) * 1000.0).round() / 1000.0)
}

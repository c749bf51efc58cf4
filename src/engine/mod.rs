//! The engine: a deterministic state machine fed with audio blocks per speaker, returning
//! events. Its clock is the audio itself (sample position at 16 kHz), never the wall clock,
//! so a recorded call replayed at any speed yields the same events it did live.
//!
//! It wires the stages together: each speaker's [`track`] (signal analysis, the utterance
//! being recorded), the conversation detectors, transcription ([`transcripts`]), the ordered
//! [`stream`], and, in stream order, the text stage (pace, tension) and the coach.

pub mod stream;
pub mod track;
pub mod transcripts;
pub mod utterance;

pub use transcripts::AsrMode;

use crate::asr::{Loudness, TranscriberPool};
use crate::coach::Coach;
use crate::config::{Config, PartialsMode};
use crate::contract::time::{FRAME, SAMPLES_PER_MS, frames_to_ms};
use crate::contract::{CallReason, CallSummary, Event, EventBody, SourceInfo, Speaker};
use crate::detect::tension::TensionTracker;
use crate::detect::{Conversation, FrameView, Pace};
use crate::playbook::Playbook;
use crate::signal::{self, Transition};
use stream::{Slot, Stream};
use track::{Recording, SpeakerTrack};
use transcripts::{Collected, Submitted, Transcripts};
use utterance::PendingUtterance;

/// Which call an engine runs: its id, where in the session it starts, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallInfo {
    pub id: u32,
    /// Session time of the call's first sample, ms.
    pub at_ms: u64,
    pub reason: CallReason,
}

/// How a call ends: why, and (when its end was found after the fact, as when the
/// customer's line went dead) how long it really was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ending {
    pub reason: CallReason,
    pub length_ms: Option<u64>,
}

/// What a finished call hands back.
pub struct Finished {
    pub summary: CallSummary,
    /// The transcription pool, for the next call.
    pub pool: Option<TranscriberPool>,
}

/// An utterance is the interruption's speech when it starts within this of its onset (the
/// utterance starts at the onset, less nothing: both come from the same speech gate).
const ONSET_MATCH_MS: u64 = 300;
/// How long a reported interruption waits for its words.
const WORDS_WITHIN_MS: u64 = 30_000;

pub struct Engine {
    call: CallInfo,
    cfg: Config,
    playbook: Playbook,
    source: SourceInfo,
    inbox: [Vec<f32>; 2],
    tracks: [SpeakerTrack; 2],
    conversation: Conversation,
    /// Frames processed: the engine clock.
    frame: u64,
    transcripts: Transcripts,
    stream: Stream,
    /// Utterances released per speaker, for the summary.
    utterances: [u32; 2],
    /// The caption so far of each speaker's utterance going on: (its start, the words).
    captions: [(u64, String); 2],
    /// The text stage: what needs transcripts, applied in stream order.
    pace: Pace,
    tension: TensionTracker,
    coach: Coach,
    /// Interruptions reported and not withdrawn: (by, onset ms), for the words to withdraw.
    talk_overs: Vec<(Speaker, u64)>,
    started: bool,
}

impl Engine {
    /// `asr`: the transcription pool, or none for speech analysis only.
    pub fn new(
        cfg: &Config,
        playbook: &Playbook,
        source: SourceInfo,
        asr: Option<TranscriberPool>,
        mode: AsrMode,
    ) -> Engine {
        Engine {
            call: CallInfo {
                id: 1,
                at_ms: 0,
                reason: CallReason::Recording,
            },
            cfg: cfg.clone(),
            playbook: playbook.clone(),
            source,
            inbox: [Vec::new(), Vec::new()],
            tracks: [SpeakerTrack::new(cfg), SpeakerTrack::new(cfg)],
            conversation: Conversation::new(&cfg.detect),
            frame: 0,
            transcripts: Transcripts::new(asr, mode),
            stream: Stream::default(),
            utterances: [0, 0],
            captions: [(u64::MAX, String::new()), (u64::MAX, String::new())],
            tension: TensionTracker::new(&playbook.tension),
            coach: Coach::new(playbook),
            talk_overs: Vec::new(),
            pace: Pace::new(
                cfg.detect.pace_window_ms as u64,
                cfg.detect.min_pace_speech_ms as u64,
            ),
            started: false,
        }
    }

    /// The engine runs call `call` of a session (by default: call 1, a whole recording).
    pub fn for_call(mut self, call: CallInfo) -> Engine {
        self.call = call;
        self
    }

    /// Engine time now, in ms.
    pub fn now_ms(&self) -> u64 {
        frames_to_ms(self.frame)
    }

    /// Feed samples (16 kHz mono) for one speaker. Frames are analysed as soon as both
    /// speakers have audio for them; events that are ready go to `out`.
    pub fn push(&mut self, speaker: Speaker, samples: &[f32], out: &mut Vec<Event>) {
        let from = out.len();
        self.start();
        self.inbox[speaker.index()].extend_from_slice(samples);
        let frames = self.inbox[0].len().min(self.inbox[1].len()) / FRAME;
        for k in 0..frames {
            let mut pair = [[0.0f32; FRAME]; 2];
            for (s, p) in pair.iter_mut().enumerate() {
                p.copy_from_slice(&self.inbox[s][k * FRAME..(k + 1) * FRAME]);
            }
            self.process_frame(&pair);
        }
        for b in self.inbox.iter_mut() {
            b.drain(..frames * FRAME);
        }
        self.collect_transcripts(false);
        self.release(out);
        self.stamp(&mut out[from..]);
    }

    /// Every event of this engine belongs to its call.
    fn stamp(&self, events: &mut [Event]) {
        for e in events {
            e.call_id = Some(self.call.id);
        }
    }

    /// Put an event from outside the audio (a device lost or back) into the stream, at the
    /// engine's current time.
    pub fn insert(&mut self, body: EventBody, out: &mut Vec<Event>) {
        let from = out.len();
        self.start();
        self.emit(body);
        self.release(out);
        self.stamp(&mut out[from..]);
    }

    /// End of a recording's call: close open speech, wait for outstanding transcripts, emit
    /// the card and `call_end`.
    pub fn finish(self, out: &mut Vec<Event>) -> CallSummary {
        let ending = Ending {
            reason: CallReason::Recording,
            length_ms: None,
        };
        self.end(ending, out).summary
    }

    /// End the call as `ending` says; the pool comes back for the next call.
    pub fn end(mut self, ending: Ending, out: &mut Vec<Event>) -> Finished {
        let from = out.len();
        self.start();
        for s in Speaker::BOTH {
            if let Some(Transition::End { start, end }) = self.tracks[s.index()].activity.finish() {
                self.speech_ended(s, start, end);
            }
            if let Some((r, end)) = self.tracks[s.index()].flush() {
                self.submit(s, r, end, false);
            }
        }
        self.collect_transcripts(true);
        self.release(out);
        let length_ms = ending.length_ms.unwrap_or(self.now_ms()).min(self.now_ms());
        let summary = self.summary(length_ms);
        let card = self.coach.finish(self.now_ms(), &summary, out);
        out.push(Event::new(self.now_ms(), EventBody::CallCard(card)));
        out.push(Event::new(
            self.now_ms(),
            EventBody::CallEnd {
                duration_ms: length_ms,
                summary: summary.clone(),
                at_ms: self.call.at_ms,
                reason: ending.reason,
            },
        ));
        self.stamp(&mut out[from..]);
        Finished {
            summary,
            pool: self.transcripts.into_pool(),
        }
    }

    fn summary(&mut self, length_ms: u64) -> CallSummary {
        let floor = &mut self.conversation.floor;
        floor.finish(length_ms * crate::contract::time::FRAMES_PER_SEC as u64 / 1000);
        CallSummary {
            agent_speech_ms: frames_to_ms(self.tracks[0].speech_frames),
            customer_speech_ms: frames_to_ms(self.tracks[1].speech_frames),
            agent_utterances: self.utterances[0],
            customer_utterances: self.utterances[1],
            interruptions_by_agent: floor.interruptions[0],
            interruptions_by_customer: floor.interruptions[1],
            agent_talk_share: floor.talk_share_call(),
            longest_agent_monologue: floor.longest_monologue[0],
            longest_customer_monologue: floor.longest_monologue[1],
            dead_air_ms: floor.dead_air.iter().map(|s| s.end_ms - s.start_ms).sum(),
            dead_air: floor.dead_air.clone(),
            turn_changes: floor.turn_gaps.len() as u32,
            median_turn_gap_ms: {
                let mut g = floor.turn_gaps.clone();
                g.sort();
                g.get(g.len() / 2).copied()
            },
            overlap_ms: frames_to_ms(floor.overlap_frames),
        }
    }

    fn start(&mut self) {
        if !self.started {
            self.started = true;
            self.stream.push(Event::new(
                0,
                EventBody::CallStart {
                    source: self.source.source.clone(),
                    sample_rate: self.source.sample_rate,
                    channels: self.source.channels,
                    at_ms: self.call.at_ms,
                    reason: self.call.reason,
                },
            ));
        }
    }

    fn emit(&mut self, body: EventBody) {
        let e = Event::new(self.now_ms(), body);
        self.stream.push(e);
    }

    fn process_frame(&mut self, pair: &[[f32; FRAME]; 2]) {
        let index = self.frame;
        self.frame += 1;
        let levels = [signal::level_db(&pair[0]), signal::level_db(&pair[1])];
        let was_active = self.tracks.each_ref().map(|t| t.activity.frame_active());
        let mut transitions = [None, None];
        for i in 0..2 {
            transitions[i] =
                self.tracks[i].frame(index, &pair[i], levels[i], levels[1 - i], was_active[1 - i]);
        }
        for s in Speaker::BOTH {
            match transitions[s.index()] {
                Some(Transition::Onset { start }) => {
                    self.emit(EventBody::SpeechStart {
                        speaker: s,
                        start_ms: frames_to_ms(start),
                    });
                    self.tracks[s.index()].start_recording(start, index, levels[s.index()]);
                }
                Some(Transition::End { start, end }) => self.speech_ended(s, start, end),
                None => {}
            }
        }
        let views = Speaker::BOTH.map(|s| {
            let a = &self.tracks[s.index()].activity;
            FrameView {
                active: a.frame_active(),
                speaking: a.is_speaking(),
                transition: transitions[s.index()],
                last_active: a.last_active(),
                current_start: a.current_start(),
                level: levels[s.index()],
            }
        });
        self.sound_customer_so_far();
        let mut bodies = Vec::new();
        self.conversation.frame(index, &views, &mut bodies);
        for b in bodies {
            self.emit(b);
        }
        for s in Speaker::BOTH {
            if let Some((r, end)) = self.tracks[s.index()].paused_too_long(index) {
                self.submit(s, r, end, false);
            }
            let max = self.cfg.asr.max_utterance_ms as usize * SAMPLES_PER_MS as usize;
            if let Some((first, cut_frame)) = self.tracks[s.index()].cut_if_long(max) {
                self.submit(s, first, cut_frame, false);
            }
            if self.partial_due(s) {
                let frame = self.frame;
                if let Some(copy) = self.tracks[s.index()].snapshot_for_partial(frame) {
                    self.submit(s, copy, frame, true);
                }
            }
        }
    }

    /// Once a second into a customer utterance, how it sounds so far goes to the tension
    /// model, so a voice rising in a long utterance shows before the utterance ends.
    fn sound_customer_so_far(&mut self) {
        let now_ms = self.now_ms();
        let Some(r) = self.tracks[Speaker::Customer.index()].recording.as_mut() else {
            return;
        };
        let secs = r.prosody.frames() / 100;
        if secs <= r.sounded_secs || r.paused_at.is_some() {
            return;
        }
        r.sounded_secs = secs;
        let prosody = r.prosody.clone().finish();
        let start_ms = frames_to_ms(r.speech_start);
        self.stream.sounding(now_ms, start_ms, prosody);
    }

    fn speech_ended(&mut self, s: Speaker, start: u64, end: u64) {
        self.emit(EventBody::SpeechEnd {
            speaker: s,
            start_ms: frames_to_ms(start),
            end_ms: frames_to_ms(end),
        });
        if let Some((r, end)) = self.tracks[s.index()].speech_ended(start, end) {
            self.submit(s, r, end, false);
        }
    }

    /// Whether to ask for a partial transcript of the utterance going on now.
    fn partial_due(&self, s: Speaker) -> bool {
        let on = match self.cfg.asr.partials {
            PartialsMode::Always => true,
            PartialsMode::Live => self.transcripts.mode == AsrMode::Live,
            // Whoever runs the engine turns `captions` into `live` when captions show.
            PartialsMode::Never | PartialsMode::Captions => false,
        };
        let Some(r) = self.tracks[s.index()].recording.as_ref() else {
            return false;
        };
        if !on || !self.transcripts.enabled() {
            return false;
        }
        let now = self.frame;
        let asr = &self.cfg.asr;
        let long = now.saturating_sub(r.speech_start) * 10 >= asr.partial_after_ms as u64;
        let spaced = now.saturating_sub(r.last_partial) * 10 >= asr.partial_every_ms as u64;
        // Live, partials are the first thing dropped when whisper is busy.
        let idle = self.transcripts.mode == AsrMode::Wait || !self.transcripts.busy_for(s);
        long && spaced && idle
    }

    /// Send a recording that ends at `end_frame` to whisper, and hold its place.
    fn submit(&mut self, s: Speaker, mut r: Recording, end_frame: u64, partial: bool) {
        let speech_ms = frames_to_ms(end_frame.saturating_sub(r.speech_start));
        if speech_ms < self.cfg.asr.min_utterance_ms as u64 {
            return;
        }
        let level_db = utterance::mean_level(&r.levels);
        let prosody = std::mem::take(&mut r.prosody).finish();
        let pending =
            PendingUtterance::measure(s, &r, prosody, level_db, end_frame, self.now_ms(), partial);
        let loudness = Loudness {
            speech_db: level_db,
            floor_db: self.tracks[s.index()].activity.floor_db(),
        };
        match self.transcripts.submit(pending, r.audio, loudness) {
            Submitted::PlaceNow(id) => self.stream.hold(id),
            Submitted::Behind => self.emit(EventBody::Device {
                state: "asr_behind".into(),
                detail: "Transcription is falling behind; captions will catch up.".into(),
            }),
            Submitted::Sent | Submitted::Skipped => {}
        }
    }

    /// Take in whatever transcripts are back; with `all`, wait for every outstanding one.
    fn collect_transcripts(&mut self, all: bool) {
        for c in self.transcripts.collect(all) {
            match c {
                // Live: its place in the stream is now. (In replay it was held already.)
                Collected::Answered(id) if self.transcripts.mode == AsrMode::Live => {
                    self.stream.hold(id)
                }
                Collected::Answered(_) => {}
                Collected::CaughtUp => self.emit(EventBody::Device {
                    state: "asr_caught_up".into(),
                    detail: "Transcription has caught up.".into(),
                }),
            }
        }
    }

    /// Hand over, in order, every event whose turn has come.
    fn release(&mut self, out: &mut Vec<Event>) {
        while let Some(slot) = self.stream.next(|id| self.transcripts.answered(id)) {
            match slot {
                Slot::Ready(e) => self.deliver(*e, out),
                Slot::Sounding {
                    t_ms,
                    start_ms,
                    prosody,
                } => {
                    if let Some(c) = self.tension.during(start_ms, &prosody) {
                        let body = EventBody::Tension {
                            level: c.level,
                            score: c.score,
                            reason: c.reason,
                        };
                        self.deliver(Event::new(t_ms, body), out);
                    }
                }
                Slot::Utterance(id) => {
                    for e in self.utterance_events(id) {
                        self.deliver(e, out);
                    }
                }
            }
        }
    }

    /// The events of an utterance whose transcript is back, at its place in the stream.
    fn utterance_events(&mut self, id: u64) -> Vec<Event> {
        let Some(u) = self.transcripts.take(id) else {
            return Vec::new();
        };
        let t_ms = match self.transcripts.mode {
            AsrMode::Wait => u.cut_ms,
            AsrMode::Live => self.now_ms(),
        };
        if !u.partial && u.transcript.is_some() {
            self.utterances[u.speaker.index()] += 1;
        }
        let words = utterance::Words {
            lexicon: &self.playbook.lexicon,
            tension: &mut self.tension,
        };
        let (speaker, start) = (u.speaker, frames_to_ms(u.speech_start));
        let mut events = utterance::events(u, t_ms, words);
        for e in events.iter_mut() {
            self.caption(speaker, start, &mut e.body);
        }
        events
    }

    /// Captions: each partial transcribes only what is new, so its words join the ones the
    /// utterance's earlier partials found; the final transcript replaces them all.
    fn caption(&mut self, speaker: Speaker, start_ms: u64, body: &mut EventBody) {
        let c = &mut self.captions[speaker.index()];
        match body {
            EventBody::Partial { text, .. } => {
                if c.0 != start_ms {
                    *c = (start_ms, String::new());
                }
                if !c.1.is_empty() {
                    c.1.push(' ');
                }
                c.1.push_str(text.trim());
                *text = c.1.clone();
            }
            EventBody::Utterance(_) => *c = (u64::MAX, String::new()),
            _ => {}
        }
    }

    /// The last step of every event: the text stage, then out, then the coach's turn.
    fn deliver(&mut self, e: Event, out: &mut Vec<Event>) {
        let e = self.text_stage(e);
        let withdrawn = self.withdrawn_by_words(&e);
        let mut prompts = Vec::new();
        self.coach.observe(&e, &mut prompts);
        out.push(e);
        out.extend(prompts);
        if let Some(w) = withdrawn {
            self.deliver(w, out);
        }
    }

    /// An interruption whose words, once transcribed, are a backchannel ("yeah, yeah,
    /// right"): the sound said talk-over, the words say listening, so it is taken back.
    fn withdrawn_by_words(&mut self, e: &Event) -> Option<Event> {
        match &e.body {
            EventBody::Interruption { by, onset_ms, .. } => {
                self.talk_overs
                    .retain(|&(_, t)| t + WORDS_WITHIN_MS > *onset_ms);
                self.talk_overs.push((*by, *onset_ms));
                None
            }
            EventBody::InterruptionWithdrawn { by, onset_ms, .. } => {
                self.talk_overs.retain(|x| x != &(*by, *onset_ms));
                None
            }
            EventBody::Utterance(u) if u.features.cues.backchannel => {
                let k = self.talk_overs.iter().position(|&(by, onset)| {
                    by == u.speaker && onset.abs_diff(u.start_ms) <= ONSET_MATCH_MS
                })?;
                let (by, onset_ms) = self.talk_overs.remove(k);
                self.conversation.floor.uncount_interruption(by);
                Some(Event::new(
                    e.t_ms,
                    EventBody::InterruptionWithdrawn {
                        by,
                        onset_ms,
                        reason: "words".into(),
                    },
                ))
            }
            _ => None,
        }
    }

    /// What depends on transcripts is applied here, in stream order, so it cannot depend on
    /// how fast whisper was.
    fn text_stage(&mut self, mut e: Event) -> Event {
        match &mut e.body {
            EventBody::Interruption {
                by: Speaker::Customer,
                onset_ms,
                ..
            } => self.tension.customer_interrupted(*onset_ms),
            EventBody::Utterance(u) if u.speaker == Speaker::Agent => {
                self.pace
                    .add(u.start_ms, u.end_ms, u.text.split_whitespace().count());
            }
            EventBody::Metrics { agent_wpm, .. } => *agent_wpm = self.pace.wpm(),
            _ => {}
        }
        e
    }
}

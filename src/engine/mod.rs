//! The engine: a deterministic state machine fed with audio blocks per speaker, returning
//! events. Its clock is the audio itself (sample position at 16 kHz), never the wall clock,
//! so a recorded call replayed at any speed yields the same events it did live.

pub mod event;

pub use event::{CallSummary, Event, EventBody, Speaker, Utterance, UtteranceFeatures, Word};

use crate::asr::{AsrJob, AsrResult, AsrWorker, Transcript};
use crate::audio::SourceInfo;
use crate::coach::{Coach, Playbook};
use crate::config::Config;
use crate::detect::tension::TensionTracker;
use crate::detect::{Conversation, FrameView, Pace};
use crate::signal::{
    self, ActivityDetector, FRAME, PitchTracker, Prosody, ProsodyAccumulator, Transition,
};
use std::collections::{BTreeMap, VecDeque};

/// How the engine treats the transcription threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsrMode {
    /// Each transcript takes its place in the event stream at the moment its utterance ended,
    /// however long whisper took: replay at any speed gives the same events. The engine keeps
    /// analysing audio meanwhile and holds back later events until the transcript is in.
    Wait,
    /// Transcripts are emitted when they arrive, at the engine time of their arrival (live).
    Live,
}

/// Keep this much speech after the last active frame when cutting an utterance: word ends
/// (fricatives, stops) are quieter than the gate.
const TAIL_MS: u32 = 150;
/// When an utterance runs past the maximum, it is cut at the quietest frame of its last second.
const CUT_SEARCH_MS: u32 = 1000;

struct Utt {
    /// Sample position of `audio[0]`.
    start_sample: u64,
    /// Frame where speech began (after the pre-roll).
    speech_start: u64,
    audio: Vec<f32>,
    levels: Vec<f32>,
    /// Level, pitch and effort of the speech frames.
    prosody: ProsodyAccumulator,
    /// Frame at which the last partial transcript was asked for.
    last_partial: u64,
}

struct Side {
    activity: ActivityDetector,
    /// Levels of the most recent frames, for the other side's echo guard.
    recent_levels: VecDeque<f32>,
    pitch: PitchTracker,
    /// The most recent samples, for the pre-roll of the next utterance.
    history: VecDeque<f32>,
    utt: Option<Utt>,
    speech_frames: u64,
    utterances: u32,
}

/// An utterance at whisper: what the engine already measured about it, and, once it is
/// back, the transcript.
struct Job {
    speaker: Speaker,
    start_sample: u64,
    speech_start: u64,
    speech_end: u64,
    /// Engine time when the utterance was cut (its place in the stream in `Wait` mode).
    cut_ms: u64,
    features: UtteranceFeatures,
    prosody: Prosody,
    /// A partial transcript of an utterance still going on.
    partial: bool,
    transcript: Option<Result<Transcript, String>>,
}

/// The event stream in order: events ready to go, and places held for transcripts.
enum Item {
    Ready(Box<Event>),
    Transcript(u64),
}

pub struct Engine {
    cfg: Config,
    playbook: Playbook,
    /// Transcription workers: one per speaker (or one shared), none for analysis only.
    asr: Vec<AsrWorker>,
    mode: AsrMode,
    source: SourceInfo,
    inbox: [Vec<f32>; 2],
    sides: [Side; 2],
    conversation: Conversation,
    /// Frames processed: the engine clock.
    frame: u64,
    next_job: u64,
    jobs: BTreeMap<u64, Job>,
    queue: VecDeque<Item>,
    /// Live: final utterances waiting for room at a worker (never dropped).
    backlog: VecDeque<AsrJob>,
    /// The text stage: what needs transcripts, applied in stream order.
    pace: Pace,
    tension: TensionTracker,
    coach: Coach,
    started: bool,
}

impl Engine {
    /// `asr`: no workers (speech analysis only), one (shared by both speakers) or two (one
    /// per speaker, agent first; the two run in parallel).
    pub fn new(
        cfg: &Config,
        playbook: &Playbook,
        source: SourceInfo,
        asr: Vec<AsrWorker>,
        mode: AsrMode,
    ) -> Engine {
        let history_len = ((cfg.asr.preroll_ms + cfg.activity.onset_ms + 20) * 16) as usize;
        let echo_frames = signal::ms_to_frames(cfg.activity.echo_window_ms) as usize;
        let side = || Side {
            activity: ActivityDetector::new(&cfg.activity),
            recent_levels: VecDeque::with_capacity(echo_frames),
            pitch: PitchTracker::new(),
            history: VecDeque::with_capacity(history_len),
            utt: None,
            speech_frames: 0,
            utterances: 0,
        };
        Engine {
            cfg: cfg.clone(),
            playbook: playbook.clone(),
            asr,
            mode,
            source,
            inbox: [Vec::new(), Vec::new()],
            sides: [side(), side()],
            conversation: Conversation::new(&cfg.detect),
            frame: 0,
            next_job: 0,
            jobs: BTreeMap::new(),
            queue: VecDeque::new(),
            backlog: VecDeque::new(),
            tension: TensionTracker::new(&playbook.tension),
            coach: Coach::new(playbook),
            pace: Pace::new(
                cfg.detect.talk_share_window_ms as u64,
                cfg.detect.min_pace_speech_ms as u64,
            ),
            started: false,
        }
    }

    /// Engine time now, in ms.
    pub fn now_ms(&self) -> u64 {
        signal::frames_to_ms(self.frame)
    }

    /// Feed samples (16 kHz mono) for one speaker. Frames are analysed as soon as both
    /// speakers have audio for them; events that are ready go to `out`.
    pub fn push(&mut self, speaker: Speaker, samples: &[f32], out: &mut Vec<Event>) {
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
    }

    /// Put an event from outside the audio (a device lost or back) into the stream, at the
    /// engine's current time.
    pub fn note(&mut self, body: EventBody, out: &mut Vec<Event>) {
        self.start();
        self.emit(body);
        self.release(out);
    }

    /// End of the call: close open speech, wait for outstanding transcripts, emit `call_end`.
    pub fn finish(mut self, out: &mut Vec<Event>) -> CallSummary {
        self.start();
        for s in Speaker::BOTH {
            if let Some(Transition::End { start, end }) = self.sides[s.index()].activity.finish() {
                self.speech_ended(s, start, end);
            }
        }
        self.collect_transcripts(true);
        self.release(out);
        let floor = &mut self.conversation.floor;
        floor.finish(self.frame);
        let summary = CallSummary {
            agent_speech_ms: signal::frames_to_ms(self.sides[0].speech_frames),
            customer_speech_ms: signal::frames_to_ms(self.sides[1].speech_frames),
            agent_utterances: self.sides[0].utterances,
            customer_utterances: self.sides[1].utterances,
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
            overlap_ms: signal::frames_to_ms(floor.overlap_frames),
        };
        self.coach.finish(self.now_ms(), out);
        out.push(Event::new(
            self.now_ms(),
            EventBody::CallEnd {
                duration_ms: self.now_ms(),
                summary: summary.clone(),
            },
        ));
        summary
    }

    fn start(&mut self) {
        if !self.started {
            self.started = true;
            self.queue.push_back(Item::Ready(Box::new(Event::new(
                0,
                EventBody::CallStart {
                    source: self.source.source.clone(),
                    sample_rate: self.source.sample_rate,
                    channels: self.source.channels,
                },
            ))));
        }
    }

    fn emit(&mut self, body: EventBody) {
        let e = Event::new(self.now_ms(), body);
        self.queue.push_back(Item::Ready(Box::new(e)));
    }

    fn worker(&self, s: Speaker) -> Option<&AsrWorker> {
        match self.asr.len() {
            0 => None,
            1 => self.asr.first(),
            _ => self.asr.get(s.index()),
        }
    }

    /// Take in whatever transcripts are back; with `all`, wait for every outstanding one.
    fn collect_transcripts(&mut self, all: bool) {
        for w in 0..self.asr.len() {
            while let Some(r) = self.asr[w].try_recv() {
                self.transcript_arrived(r);
            }
        }
        self.drain_backlog(all);
        if all {
            while let Some((_, job)) = self.jobs.iter().find(|(_, j)| j.transcript.is_none()) {
                let s = job.speaker;
                match self.worker(s).map(|w| w.recv()) {
                    Some(Ok(r)) => self.transcript_arrived(r),
                    _ => {
                        // The worker is gone: give up on its outstanding jobs, loudly.
                        tracing::error!(
                            "speech recognition stopped; {} utterances untranscribed",
                            self.jobs.len()
                        );
                        for j in self.jobs.values_mut() {
                            j.transcript
                                .get_or_insert(Err("speech recognition stopped".into()));
                        }
                    }
                }
            }
        }
    }

    /// Live: hand waiting utterances to their workers as room appears (at the end of the
    /// call, wait for room), and say when transcription falls behind and catches up.
    fn drain_backlog(&mut self, wait: bool) {
        let was_behind = !self.backlog.is_empty();
        while let Some(job) = self.backlog.pop_front() {
            let Some(worker) = self.worker(job.speaker) else {
                break;
            };
            let job = if wait {
                match worker.submit(job) {
                    Ok(()) => continue,
                    Err(e) => {
                        tracing::error!("{e}");
                        break;
                    }
                }
            } else {
                match worker.try_submit(job) {
                    Ok(()) => continue,
                    Err(job) => job,
                }
            };
            self.backlog.push_front(job);
            break;
        }
        if was_behind && self.backlog.is_empty() {
            self.emit(EventBody::Device {
                state: "asr_caught_up".into(),
                detail: "Transcription has caught up.".into(),
            });
        }
    }

    fn transcript_arrived(&mut self, r: AsrResult) {
        let Some(job) = self.jobs.get_mut(&r.id) else {
            return;
        };
        job.transcript = Some(r.transcript);
        if self.mode == AsrMode::Live {
            // Live: its place in the stream is now.
            self.queue.push_back(Item::Transcript(r.id));
        }
    }

    /// Hand over, in order, every event whose turn has come.
    fn release(&mut self, out: &mut Vec<Event>) {
        while let Some(front) = self.queue.front() {
            let event = match front {
                Item::Ready(_) => match self.queue.pop_front() {
                    Some(Item::Ready(e)) => *e,
                    _ => unreachable!(),
                },
                Item::Transcript(id) => {
                    let id = *id;
                    if self.jobs.get(&id).is_none_or(|j| j.transcript.is_none()) {
                        break;
                    }
                    self.queue.pop_front();
                    for e in self.utterance_events(id) {
                        self.deliver(e, out);
                    }
                    continue;
                }
            };
            self.deliver(event, out);
        }
    }

    /// The last step of every event: the text stage, then out, then the coach's turn.
    fn deliver(&mut self, e: Event, out: &mut Vec<Event>) {
        let e = self.text_stage(e);
        let mut prompts = Vec::new();
        self.coach.observe(&e, &mut prompts);
        out.push(e);
        out.extend(prompts);
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

    fn process_frame(&mut self, pair: &[[f32; FRAME]; 2]) {
        let index = self.frame;
        self.frame += 1;
        let levels = [signal::level_db(&pair[0]), signal::level_db(&pair[1])];
        let history_cap = self.sides[0].history.capacity();
        let echo_frames = signal::ms_to_frames(self.cfg.activity.echo_window_ms) as usize;
        let mut recent_max = [0.0f32; 2];
        for (i, side) in self.sides.iter_mut().enumerate() {
            if side.recent_levels.len() == echo_frames {
                side.recent_levels.pop_front();
            }
            side.recent_levels.push_back(levels[i]);
            recent_max[i] = side.recent_levels.iter().copied().fold(f32::MIN, f32::max);
        }
        let mut transitions = [None, None];
        let was_active = self
            .sides
            .each_ref()
            .map(|side| side.activity.frame_active());
        for s in Speaker::BOTH {
            let i = s.index();
            let side = &mut self.sides[i];
            if side.history.len() + FRAME > history_cap {
                let excess = side.history.len() + FRAME - history_cap;
                side.history.drain(..excess);
            }
            side.history.extend(pair[i].iter().copied());
            side.pitch.push(&pair[i]);
            transitions[i] =
                side.activity
                    .step(index, levels[i], recent_max[1 - i], was_active[1 - i]);
            if let Some(u) = side.utt.as_mut() {
                u.audio.extend_from_slice(&pair[i]);
                u.levels.push(levels[i]);
                // Pitch costs the most per frame: only on frames that are speech.
                if side.activity.frame_active() {
                    u.prosody.add(&pair[i], levels[i], side.pitch.estimate());
                }
            }
        }
        for s in Speaker::BOTH {
            match transitions[s.index()] {
                Some(Transition::Onset { start }) => {
                    self.speech_started(s, start, index, levels[s.index()])
                }
                Some(Transition::End { start, end }) => self.speech_ended(s, start, end),
                None => {}
            }
        }
        let views = Speaker::BOTH.map(|s| {
            let a = &self.sides[s.index()].activity;
            FrameView {
                active: a.frame_active(),
                speaking: a.is_speaking(),
                transition: transitions[s.index()],
                last_active: a.last_active(),
                current_start: a.current_start(),
            }
        });
        let mut bodies = Vec::new();
        self.conversation.frame(index, &views, &mut bodies);
        for b in bodies {
            self.emit(b);
        }
        for s in Speaker::BOTH {
            self.cut_long_utterance(s);
            if self.partials_due(s) {
                self.ask_partial(s);
            }
        }
    }

    fn speech_started(&mut self, s: Speaker, start: u64, index: u64, level: f32) {
        self.emit(EventBody::SpeechStart {
            speaker: s,
            start_ms: signal::frames_to_ms(start),
        });
        let preroll = (self.cfg.asr.preroll_ms * 16) as u64;
        let side = &mut self.sides[s.index()];
        let end_sample = (index + 1) * FRAME as u64;
        let from = (start * FRAME as u64).saturating_sub(preroll);
        let have = side.history.len() as u64;
        let from = from.max(end_sample - have);
        let skip = (have - (end_sample - from)) as usize;
        let audio: Vec<f32> = side.history.iter().skip(skip).copied().collect();
        let frames_in = (index + 1 - start) as usize;
        side.utt = Some(Utt {
            start_sample: from,
            speech_start: start,
            audio,
            levels: vec![level; frames_in],
            prosody: ProsodyAccumulator::default(),
            last_partial: 0,
        });
    }

    fn speech_ended(&mut self, s: Speaker, start: u64, end: u64) {
        self.emit(EventBody::SpeechEnd {
            speaker: s,
            start_ms: signal::frames_to_ms(start),
            end_ms: signal::frames_to_ms(end),
        });
        let side = &mut self.sides[s.index()];
        side.speech_frames += end - start;
        if let Some(mut u) = side.utt.take() {
            let keep_until = end * FRAME as u64 + (TAIL_MS * 16) as u64;
            let keep = keep_until.saturating_sub(u.start_sample) as usize;
            u.audio.truncate(keep);
            let speech_frames = (end.saturating_sub(u.speech_start)) as usize;
            u.levels.truncate(speech_frames.min(u.levels.len()));
            self.submit(s, u, end);
        }
    }

    /// A turn longer than the maximum utterance goes to whisper in pieces, each cut at the
    /// quietest moment of its last second.
    fn cut_long_utterance(&mut self, s: Speaker) {
        let max = (self.cfg.asr.max_utterance_ms * 16) as usize;
        let search = (CUT_SEARCH_MS / 10) as usize;
        let side = &mut self.sides[s.index()];
        let Some(u) = side.utt.as_mut() else { return };
        if u.audio.len() < max {
            return;
        }
        let n = u.levels.len();
        let lo = n.saturating_sub(search);
        let cut = (lo..n)
            .min_by(|&a, &b| u.levels[a].total_cmp(&u.levels[b]))
            .unwrap_or(n - 1);
        // Frame `cut` of the utterance's levels, counted from its speech start.
        let cut_frame = u.speech_start + cut as u64;
        let cut_sample = (cut_frame * FRAME as u64).max(u.start_sample);
        let split = (cut_sample - u.start_sample) as usize;
        let rest = Utt {
            start_sample: cut_sample,
            speech_start: cut_frame,
            audio: u.audio[split.min(u.audio.len())..].to_vec(),
            levels: u.levels[cut.min(n)..].to_vec(),
            prosody: ProsodyAccumulator::default(),
            last_partial: 0,
        };
        let mut first = std::mem::replace(u, rest);
        first.audio.truncate(split);
        first.levels.truncate(cut);
        self.submit(s, first, cut_frame);
    }

    fn submit(&mut self, s: Speaker, u: Utt, end_frame: u64) {
        self.submit_job(s, u, end_frame, false)
    }

    /// Whether to ask for a partial transcript of the utterance going on now.
    fn partials_due(&self, s: Speaker) -> bool {
        use crate::config::PartialsMode;
        let on = match self.cfg.asr.partials {
            PartialsMode::Always => true,
            PartialsMode::Live => self.mode == AsrMode::Live,
            // Whoever runs the engine turns `captions` into `live` when captions show.
            PartialsMode::Never | PartialsMode::Captions => false,
        };
        let Some(u) = self.sides[s.index()].utt.as_ref() else {
            return false;
        };
        if !on || self.asr.is_empty() {
            return false;
        }
        let now = self.frame;
        let long = now.saturating_sub(u.speech_start) * 10 >= self.cfg.asr.partial_after_ms as u64;
        let spaced =
            now.saturating_sub(u.last_partial) * 10 >= self.cfg.asr.partial_every_ms as u64;
        // Live, partials are the first thing dropped when whisper is busy.
        let idle = self.mode == AsrMode::Wait
            || (self.backlog.is_empty()
                && !self
                    .jobs
                    .values()
                    .any(|j| j.speaker == s && j.transcript.is_none()));
        long && spaced && idle
    }

    fn ask_partial(&mut self, s: Speaker) {
        let frame = self.frame;
        let Some(u) = self.sides[s.index()].utt.as_mut() else {
            return;
        };
        u.last_partial = frame;
        let copy = Utt {
            start_sample: u.start_sample,
            speech_start: u.speech_start,
            audio: u.audio.clone(),
            levels: u.levels.clone(),
            prosody: ProsodyAccumulator::default(),
            last_partial: frame,
        };
        self.submit_job(s, copy, frame, true);
    }

    fn submit_job(&mut self, s: Speaker, u: Utt, end_frame: u64, partial: bool) {
        let speech_ms = signal::frames_to_ms(end_frame.saturating_sub(u.speech_start));
        if speech_ms < self.cfg.asr.min_utterance_ms as u64 || self.asr.is_empty() {
            return;
        }
        let level_db = if u.levels.is_empty() {
            -120.0
        } else {
            u.levels.iter().sum::<f32>() / u.levels.len() as f32
        };
        let id = self.next_job;
        self.next_job += 1;
        let prosody = u.prosody.finish();
        let job = Job {
            speaker: s,
            start_sample: u.start_sample,
            speech_start: u.speech_start,
            speech_end: end_frame,
            cut_ms: self.now_ms(),
            features: UtteranceFeatures {
                level_db: round1(level_db),
                f0_median_hz: prosody.f0_median_hz.map(round1),
                f0_range_st: prosody.f0_range_st.map(round1),
                effort_db: round1(prosody.effort_db),
                voiced_share: round3(prosody.voiced_share),
                ..UtteranceFeatures::default()
            },
            prosody,
            partial,
            transcript: None,
        };
        let request = AsrJob {
            id,
            speaker: s,
            start_sample: u.start_sample,
            audio: u.audio,
            level_db,
        };
        let worker = self.worker(s).expect("checked above");
        let sent = match self.mode {
            // Replay: wait for room (whisper sets the pace).
            AsrMode::Wait => worker.submit(request).map_err(|e| e.to_string()),
            // Live: never wait. A full queue means whisper is behind: a partial is dropped,
            // a final waits in the backlog, and the agent is told.
            AsrMode::Live if !self.backlog.is_empty() && !partial => {
                self.backlog.push_back(request);
                Ok(())
            }
            AsrMode::Live => match worker.try_submit(request) {
                Ok(()) => Ok(()),
                Err(_) if partial => return,
                Err(request) => {
                    self.backlog.push_back(request);
                    self.emit(EventBody::Device {
                        state: "asr_behind".into(),
                        detail: "Transcription is falling behind; captions will catch up.".into(),
                    });
                    Ok(())
                }
            },
        };
        if let Err(e) = sent {
            // Never silently: the utterance still appears, without text, saying why.
            tracing::warn!("{s} utterance not transcribed: {e}");
            self.jobs.insert(
                id,
                Job {
                    transcript: Some(Err(e)),
                    ..job
                },
            );
            self.queue.push_back(Item::Transcript(id));
            return;
        }
        self.jobs.insert(id, job);
        if self.mode == AsrMode::Wait {
            self.queue.push_back(Item::Transcript(id));
        }
    }

    /// The `utterance` event for a job whose transcript is back, at its place in the stream.
    fn utterance_events(&mut self, id: u64) -> Vec<Event> {
        let Some(job) = self.jobs.remove(&id) else {
            return Vec::new();
        };
        let Some(transcript) = job.transcript else {
            return Vec::new();
        };
        let t_ms = match self.mode {
            AsrMode::Wait => job.cut_ms,
            AsrMode::Live => self.now_ms(),
        };
        if job.partial {
            return match transcript {
                Ok(t) if t.dropped.is_none() && !t.text.is_empty() => vec![Event::new(
                    t_ms,
                    EventBody::Partial {
                        speaker: job.speaker,
                        start_ms: signal::frames_to_ms(job.speech_start),
                        text: t.text,
                    },
                )],
                _ => Vec::new(),
            };
        }
        let t = match transcript {
            Ok(t) => t,
            Err(e) => Transcript {
                dropped: Some(if e.contains("queue full") {
                    "asr_behind"
                } else {
                    "asr_error"
                }),
                ..Transcript::default()
            },
        };
        let offset = signal::samples_to_ms(job.start_sample);
        let words: Vec<Word> = t
            .words
            .iter()
            .map(|(w, a, b, p)| Word {
                text: w.clone(),
                start_ms: offset + a,
                end_ms: offset + b,
                p: *p,
            })
            .collect();
        self.sides[job.speaker.index()].utterances += 1;
        let cues = self.playbook.lexicon.cues(&t.text);
        let start_ms = signal::frames_to_ms(job.speech_start);
        let end_ms = signal::frames_to_ms(job.speech_end);
        // Customer tension, in stream order. Utterances whose words a guard dropped (noise)
        // do not count.
        let mut tension = None;
        let mut vs_baseline = None;
        let mut change = None;
        if job.speaker == Speaker::Customer && t.dropped.is_none() && job.prosody.frames > 0 {
            let u =
                self.tension
                    .utterance(&job.prosody, &cues.escalation, &t.text, start_ms, end_ms);
            tension = Some(u.score);
            vs_baseline = Some(u.delta);
            change = u.change;
        }
        let utterance = Event::new(
            t_ms,
            EventBody::Utterance(Utterance {
                speaker: job.speaker,
                start_ms,
                end_ms,
                words,
                tension,
                features: UtteranceFeatures {
                    cues,
                    vs_baseline,
                    no_speech_prob: round3(t.no_speech_prob),
                    avg_token_p: round3(t.avg_token_p),
                    dropped: t.dropped.map(str::to_string),
                    ..job.features
                },
                text: t.text,
            }),
        );
        let mut events = vec![utterance];
        // The utterance first, then the level change it caused, at the same time.
        if let Some(c) = change {
            events.push(Event::new(
                t_ms,
                EventBody::Tension {
                    level: c.level,
                    score: c.score,
                    reason: c.reason,
                },
            ));
        }
        events
    }
}

fn round1(x: f32) -> f32 {
    (x * 10.0).round() / 10.0
}

fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

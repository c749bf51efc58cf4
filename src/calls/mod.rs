//! A shift, call after call: where one call ends and the next begins, and a fresh engine for
//! each, while the transcription pool (and, live, the devices) stay open across calls.
//!
//! Boundaries are decided in the engine's own terms, the sample position, so `hearken replay
//! shift.wav --split-calls` splits a recording of a shift exactly where the live session did:
//! - automatic (`calls.auto`): a call starts at speech after a quiet stretch (with
//!   `calls.preroll_ms` of audio before it), and ends when both sides have been silent for
//!   `calls.end_after_ms`, or at once when both give digital silence for
//!   `calls.line_dead_ms` (nothing connected). Music on hold is sound, not silence.
//! - by command, at the sample where it arrives: the agent's New call / End call, or the
//!   softphone's `hearken call start|end`.
//!
//! Between calls nothing is coached and no dead air is reported: there is no engine. Events
//! outside a call (a device lost between calls) have no `call_id`, and their `t_ms` is the
//! session's own time.

use crate::asr::TranscriberPool;
use crate::config::{ActivityConfig, CallsConfig, Config};
use crate::contract::time::{FRAME, frames_to_ms, ms_to_frames, samples_to_ms};
use crate::contract::{CallCommand as Command, CallReason, Event, EventBody, SourceInfo, Speaker};
use crate::engine::{AsrMode, CallInfo, Ending, Engine};
use crate::playbook::Playbook;
use crate::signal::activity::DIGITAL_SILENCE_DBFS;
use crate::signal::{self, ActivityDetector, Transition};
use std::collections::VecDeque;

/// What a finished call was, for whoever keeps figures of the shift.
#[derive(Debug, Clone)]
pub struct EndedCall {
    pub id: u32,
    pub card: Option<crate::contract::CallCard>,
}

/// One side, watched between and during calls: is anyone speaking, is the line dead.
struct Watch {
    activity: ActivityDetector,
    speaking: bool,
}

impl Watch {
    fn new(cfg: &ActivityConfig) -> Watch {
        Watch {
            activity: ActivityDetector::new(cfg),
            speaking: false,
        }
    }
}

struct Current {
    engine: Engine,
    id: u32,
    /// Session frame of the call's first sample.
    start_frame: u64,
    /// Someone has spoken in it: only then can silence end it (a call the softphone started
    /// may stay silent while it rings).
    spoken: bool,
}

pub struct Shift {
    cfg: Config,
    calls: CallsConfig,
    playbook: Playbook,
    source: SourceInfo,
    mode: AsrMode,
    /// The transcription pool while no call holds it.
    pool: Option<TranscriberPool>,
    current: Option<Current>,
    next_id: u32,
    /// Session frames so far: the shift's clock.
    frame: u64,
    watch: [Watch; 2],
    /// The last frame either side was speaking, and how long both have been digitally
    /// silent (frames), with where that began.
    last_speech: Option<u64>,
    dead_since: Option<u64>,
    /// After a call ended by command: frames both sides must be quiet before an automatic
    /// start.
    quiet_needed: u64,
    quiet_run: u64,
    /// The most recent audio per side, for a new call's pre-roll.
    recent: [VecDeque<f32>; 2],
    recent_cap: usize,
    ended: Vec<EndedCall>,
    /// Samples of a frame not yet complete, per side.
    inbox: [Vec<f32>; 2],
}

impl Shift {
    pub fn new(
        cfg: &Config,
        playbook: &Playbook,
        source: SourceInfo,
        pool: Option<TranscriberPool>,
        mode: AsrMode,
    ) -> Shift {
        let recent_cap = cfg.calls.preroll_ms as usize * 16;
        Shift {
            cfg: cfg.clone(),
            calls: cfg.calls.clone(),
            playbook: playbook.clone(),
            source,
            mode,
            pool,
            current: None,
            next_id: 1,
            frame: 0,
            watch: [Watch::new(&cfg.activity), Watch::new(&cfg.activity)],
            last_speech: None,
            dead_since: None,
            quiet_needed: 0,
            quiet_run: 0,
            recent: [
                VecDeque::with_capacity(recent_cap),
                VecDeque::with_capacity(recent_cap),
            ],
            recent_cap,
            ended: Vec::new(),
            inbox: [Vec::new(), Vec::new()],
        }
    }

    /// Session time now, ms.
    pub fn now_ms(&self) -> u64 {
        frames_to_ms(self.frame)
    }

    /// The call going on, if any.
    pub fn call_id(&self) -> Option<u32> {
        self.current.as_ref().map(|c| c.id)
    }

    /// Calls that ended since the last look (for the history and the card).
    pub fn take_ended(&mut self) -> Vec<EndedCall> {
        std::mem::take(&mut self.ended)
    }

    /// Feed both sides (16 kHz, equal lengths). Boundaries are found frame by frame; a
    /// part frame waits for the next block.
    pub fn push(&mut self, agent: &[f32], customer: &[f32], out: &mut Vec<Event>) {
        let mut inbox = std::mem::take(&mut self.inbox);
        inbox[0].extend_from_slice(agent);
        inbox[1].extend_from_slice(customer);
        let n = inbox[0].len().min(inbox[1].len()) / FRAME;
        self.frames(&inbox[0][..n * FRAME], &inbox[1][..n * FRAME], out);
        for b in inbox.iter_mut() {
            b.drain(..n * FRAME);
        }
        self.inbox = inbox;
    }

    fn frames(&mut self, agent: &[f32], customer: &[f32], out: &mut Vec<Event>) {
        let n = agent.len() / FRAME;
        let mut fed = 0;
        for k in 0..n {
            let pair = [
                &agent[k * FRAME..(k + 1) * FRAME],
                &customer[k * FRAME..(k + 1) * FRAME],
            ];
            match self.watch_frame(pair) {
                Decision::Continue => {}
                Decision::Start(reason) => {
                    self.start_call(reason, out);
                    fed = k; // the pre-roll already holds this frame
                    self.feed(
                        &agent[fed * FRAME..(k + 1) * FRAME],
                        &customer[fed * FRAME..(k + 1) * FRAME],
                        out,
                    );
                    fed = k + 1;
                    continue;
                }
                Decision::End(ending) => {
                    self.feed(
                        &agent[fed * FRAME..k * FRAME],
                        &customer[fed * FRAME..k * FRAME],
                        out,
                    );
                    fed = k;
                    self.end_call(ending, out);
                }
            }
            self.remember(pair);
        }
        self.feed(
            &agent[fed * FRAME..n * FRAME],
            &customer[fed * FRAME..n * FRAME],
            out,
        );
    }

    fn feed(&mut self, agent: &[f32], customer: &[f32], out: &mut Vec<Event>) {
        if let Some(c) = self.current.as_mut()
            && !agent.is_empty()
        {
            c.engine.push(Speaker::Agent, agent, out);
            c.engine.push(Speaker::Customer, customer, out);
        }
    }

    fn remember(&mut self, pair: [&[f32]; 2]) {
        for (q, s) in self.recent.iter_mut().zip(pair) {
            if self.recent_cap == 0 {
                continue;
            }
            while q.len() + s.len() > self.recent_cap {
                q.pop_front();
            }
            q.extend(s.iter().copied());
        }
    }

    /// Watch one frame: speech and dead line on both sides, and what it decides.
    fn watch_frame(&mut self, pair: [&[f32]; 2]) -> Decision {
        let index = self.frame;
        self.frame += 1;
        let levels = [signal::level_db(pair[0]), signal::level_db(pair[1])];
        let mut onset = false;
        for (i, w) in self.watch.iter_mut().enumerate() {
            match w.activity.step(index, levels[i], -120.0, false) {
                Some(Transition::Onset { .. }) => {
                    w.speaking = true;
                    onset = true;
                }
                Some(Transition::End { end, .. }) => {
                    w.speaking = false;
                    self.last_speech = Some(self.last_speech.map_or(end, |l| l.max(end)));
                }
                None => {}
            }
        }
        let anyone = self.watch.iter().any(|w| w.speaking);
        if anyone {
            self.last_speech = Some(index);
            self.quiet_run = 0;
        } else {
            self.quiet_run += 1;
        }
        let dead = levels.iter().all(|&l| l < DIGITAL_SILENCE_DBFS);
        if !dead {
            self.dead_since = None;
        } else if self.dead_since.is_none() {
            self.dead_since = Some(index);
        }
        if !self.calls.auto {
            return Decision::Continue;
        }
        if anyone && let Some(c) = self.current.as_mut() {
            c.spoken = true;
        }
        match &self.current {
            None if onset && self.quiet_run == 0 && self.quiet_needed == 0 => {
                Decision::Start(CallReason::Auto)
            }
            None => {
                if self.quiet_run >= self.quiet_needed {
                    self.quiet_needed = 0;
                }
                Decision::Continue
            }
            Some(c) if c.spoken => self.auto_end(c.start_frame, index, anyone),
            Some(_) => Decision::Continue,
        }
    }

    /// In a call: has it ended by itself?
    fn auto_end(&self, start_frame: u64, index: u64, anyone: bool) -> Decision {
        if anyone {
            return Decision::Continue;
        }
        let length = |end: u64| Some(frames_to_ms(end.saturating_sub(start_frame)));
        if let Some(since) = self.dead_since
            && index + 1 - since >= ms_to_frames(self.calls.line_dead_ms) as u64
        {
            return Decision::End(Ending {
                reason: CallReason::Auto,
                length_ms: length(since),
            });
        }
        let last = self.last_speech.unwrap_or(start_frame);
        if index + 1 - last >= ms_to_frames(self.calls.end_after_ms) as u64 {
            // The call ran to its last speech, and a second after it.
            let end = (last + ms_to_frames(1000) as u64).min(index + 1);
            return Decision::End(Ending {
                reason: CallReason::Auto,
                length_ms: length(end),
            });
        }
        Decision::Continue
    }

    /// A boundary from outside the audio, at the present sample.
    pub fn command(&mut self, c: Command, out: &mut Vec<Event>) -> Result<u32, &'static str> {
        match c {
            Command::Start(reason) => {
                if self.current.is_some() {
                    self.end_call(
                        Ending {
                            reason,
                            length_ms: None,
                        },
                        out,
                    );
                }
                self.recent.iter_mut().for_each(VecDeque::clear);
                self.start_call(reason, out);
                Ok(self.next_id - 1)
            }
            Command::End(reason) => {
                let Some(id) = self.call_id() else {
                    return Err("no call is going on");
                };
                self.end_call(
                    Ending {
                        reason,
                        length_ms: None,
                    },
                    out,
                );
                self.quiet_needed = ms_to_frames(self.calls.quiet_before_start_ms) as u64;
                self.quiet_run = 0;
                Ok(id)
            }
        }
    }

    fn start_call(&mut self, reason: CallReason, out: &mut Vec<Event>) {
        let id = self.next_id;
        self.next_id += 1;
        let preroll = self.recent[0].len().min(self.recent[1].len());
        let start_sample = (self.frame * FRAME as u64).saturating_sub(preroll as u64);
        let engine = Engine::new(
            &self.cfg,
            &self.playbook,
            self.source.clone(),
            self.pool.take(),
            self.mode,
        )
        .for_call(CallInfo {
            id,
            at_ms: samples_to_ms(start_sample),
            reason,
        });
        tracing::info!("call {id} starts ({})", reason.word());
        self.current = Some(Current {
            engine,
            id,
            start_frame: start_sample / FRAME as u64,
            spoken: false,
        });
        let a: Vec<f32> = self.recent[0].iter().copied().collect();
        let c: Vec<f32> = self.recent[1].iter().copied().collect();
        self.recent.iter_mut().for_each(VecDeque::clear);
        let n = a.len().min(c.len());
        self.feed(&a[a.len() - n..], &c[c.len() - n..], out);
    }

    fn end_call(&mut self, ending: Ending, out: &mut Vec<Event>) {
        let Some(c) = self.current.take() else {
            return;
        };
        let from = out.len();
        let finished = c.engine.end(ending, out);
        self.pool = finished.pool;
        let card = out[from..].iter().find_map(|e| match &e.body {
            EventBody::CallCard(card) => Some(card.clone()),
            _ => None,
        });
        tracing::info!("call {} ends ({})", c.id, ending.reason.word());
        self.ended.push(EndedCall { id: c.id, card });
    }

    /// An event from outside the audio (a device lost or back): into the call going on, or,
    /// between calls, on its own at session time.
    pub fn insert(&mut self, body: EventBody, out: &mut Vec<Event>) {
        match self.current.as_mut() {
            Some(c) => c.engine.insert(body, out),
            None => out.push(Event::new(self.now_ms(), body)),
        }
    }

    /// The end of the session (`Shutdown`) or of the recording (`Recording`): a call going
    /// on ends with it.
    pub fn finish(mut self, reason: CallReason, out: &mut Vec<Event>) -> Vec<EndedCall> {
        self.end_call(
            Ending {
                reason,
                length_ms: None,
            },
            out,
        );
        self.ended
    }
}

enum Decision {
    Continue,
    Start(CallReason),
    End(Ending),
}

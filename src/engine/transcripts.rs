//! The engine's side of transcription: utterances handed to the whisper pool, the ones still
//! out, and (live) the backlog of finals waiting for room when whisper is behind.

use super::utterance::PendingUtterance;
use crate::asr::{
    Loudness, TranscriberPool, Transcript, TranscriptionRequest, TranscriptionResult,
};
use crate::contract::Speaker;
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

/// What became of an utterance handed over.
pub enum Submitted {
    /// Its place in the stream is now (replay, or a failure to say at once).
    PlaceNow(u64),
    /// Live: on its way; its place is when it comes back.
    Sent,
    /// Live: whisper is behind; it waits in the backlog (the first to wait says so).
    Behind,
    /// Not transcribed: a partial with no transcription, or one whisper had no room for.
    Skipped,
}

/// What came in while collecting, in the order it happened.
pub enum Collected {
    /// The transcript of this utterance is back (live: its place in the stream is now).
    Answered(u64),
    /// The backlog emptied: transcription caught up.
    CaughtUp,
}

pub struct Transcripts {
    pool: Option<TranscriberPool>,
    pub mode: AsrMode,
    next_id: u64,
    pending: BTreeMap<u64, PendingUtterance>,
    /// Live: final utterances waiting for room at the pool (never dropped).
    backlog: VecDeque<TranscriptionRequest>,
}

impl Transcripts {
    pub fn new(pool: Option<TranscriberPool>, mode: AsrMode) -> Transcripts {
        Transcripts {
            pool,
            mode,
            next_id: 0,
            pending: BTreeMap::new(),
            backlog: VecDeque::new(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.pool.is_some()
    }

    /// Whether `speaker` has an utterance out, or finals wait: partials make way then.
    pub fn busy_for(&self, speaker: Speaker) -> bool {
        !self.backlog.is_empty()
            || self
                .pending
                .values()
                .any(|p| p.speaker == speaker && p.transcript.is_none())
    }

    /// Hand an utterance and its audio (as loud as `loudness` says) to whisper.
    pub fn submit(
        &mut self,
        u: PendingUtterance,
        audio: Vec<f32>,
        loudness: Loudness,
    ) -> Submitted {
        let id = self.next_id;
        self.next_id += 1;
        let Some(pool) = &self.pool else {
            if u.partial {
                return Submitted::Skipped;
            }
            // Transcription is off (`--no-transcribe`): the utterance still takes its place,
            // without words, so what needs only its sound (the customer's tension) is there.
            let untranscribed = Transcript {
                dropped: Some("not_transcribed"),
                ..Transcript::default()
            };
            self.pending.insert(
                id,
                PendingUtterance {
                    transcript: Some(Ok(untranscribed)),
                    ..u
                },
            );
            return Submitted::PlaceNow(id);
        };
        let request = TranscriptionRequest {
            id,
            speaker: u.speaker,
            start_sample: u.start_sample,
            audio,
            loudness,
        };
        let partial = u.partial;
        let sent = match self.mode {
            // Replay: wait for room (whisper sets the pace).
            AsrMode::Wait => pool.submit(request),
            // Live: never wait. A full queue means whisper is behind: a partial is dropped,
            // a final waits in the backlog.
            AsrMode::Live if !self.backlog.is_empty() && !partial => {
                self.backlog.push_back(request);
                Ok(())
            }
            AsrMode::Live => match pool.try_submit(request) {
                Ok(()) => Ok(()),
                Err(_) if partial => return Submitted::Skipped,
                Err(request) => {
                    self.backlog.push_back(request);
                    self.pending.insert(id, u);
                    return Submitted::Behind;
                }
            },
        };
        if let Err(e) = sent {
            // Never silently: the utterance still appears, without text, saying why.
            tracing::warn!("{} utterance not transcribed: {e}", u.speaker);
            self.pending.insert(
                id,
                PendingUtterance {
                    transcript: Some(Err(e)),
                    ..u
                },
            );
            return Submitted::PlaceNow(id);
        }
        self.pending.insert(id, u);
        match self.mode {
            AsrMode::Wait => Submitted::PlaceNow(id),
            AsrMode::Live => Submitted::Sent,
        }
    }

    /// Take in whatever transcripts are back; with `all`, wait for every outstanding one.
    pub fn collect(&mut self, all: bool) -> Vec<Collected> {
        let mut out = Vec::new();
        if let Some(pool) = &self.pool {
            let mut arrived = Vec::new();
            while let Some(r) = pool.try_recv() {
                arrived.push(r);
            }
            for r in arrived {
                out.extend(self.arrived(r));
            }
        }
        if self.drain_backlog(all) {
            out.push(Collected::CaughtUp);
        }
        if all {
            while self.pending.values().any(|p| p.transcript.is_none()) {
                match self.pool.as_ref().map(|p| p.recv()) {
                    Some(Ok(r)) => out.extend(self.arrived(r)),
                    _ => self.give_up(),
                }
            }
        }
        out
    }

    /// The pool is gone: give up on the outstanding utterances, loudly.
    fn give_up(&mut self) {
        tracing::error!(
            "speech recognition stopped; {} utterances untranscribed",
            self.pending.len()
        );
        for p in self.pending.values_mut() {
            p.transcript
                .get_or_insert(Err("speech recognition stopped".into()));
        }
    }

    fn arrived(&mut self, r: TranscriptionResult) -> Option<Collected> {
        let p = self.pending.get_mut(&r.id)?;
        p.transcript = Some(r.transcript);
        Some(Collected::Answered(r.id))
    }

    /// Live: hand waiting utterances to the pool as room appears (at the end of the call,
    /// wait for room). True when the backlog has just emptied.
    fn drain_backlog(&mut self, wait: bool) -> bool {
        let was_behind = !self.backlog.is_empty();
        while let Some(request) = self.backlog.pop_front() {
            let Some(pool) = &self.pool else {
                break;
            };
            let request = if wait {
                match pool.submit(request) {
                    Ok(()) => continue,
                    Err(e) => {
                        tracing::error!("{e}");
                        break;
                    }
                }
            } else {
                match pool.try_submit(request) {
                    Ok(()) => continue,
                    Err(request) => request,
                }
            };
            self.backlog.push_front(request);
            break;
        }
        was_behind && self.backlog.is_empty()
    }

    /// Whether the utterance's place in the stream can be filled (its transcript is back).
    pub fn answered(&self, id: u64) -> bool {
        self.pending
            .get(&id)
            .is_some_and(|p| p.transcript.is_some())
    }

    pub fn take(&mut self, id: u64) -> Option<PendingUtterance> {
        self.pending.remove(&id)
    }

    /// The pool, handed back when the call is over (the next call reuses it).
    pub fn into_pool(self) -> Option<TranscriberPool> {
        self.pool
    }
}

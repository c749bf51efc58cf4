//! The event stream in order: events ready to go, and places held for utterances whose
//! words are still at whisper. Nothing behind a held place leaves before it is filled, which
//! is what keeps a replay's events the same at any speed.

use crate::contract::Event;
use crate::signal::Prosody;
use std::collections::VecDeque;

/// One place in the stream.
pub enum Slot {
    Ready(Box<Event>),
    /// The utterance with this id goes here, once its transcript is back.
    Utterance(u64),
    /// How the customer's utterance going on (from `start_ms`) sounds so far, at `t_ms`:
    /// its tension is looked at here, in stream order. In replay every earlier utterance
    /// has been scored by then; live, an earlier one whose words are still at whisper is
    /// scored after it.
    Sounding {
        t_ms: u64,
        start_ms: u64,
        prosody: Prosody,
    },
}

#[derive(Default)]
pub struct Stream {
    queue: VecDeque<Slot>,
}

impl Stream {
    pub fn push(&mut self, e: Event) {
        self.queue.push_back(Slot::Ready(Box::new(e)));
    }

    pub fn sounding(&mut self, t_ms: u64, start_ms: u64, prosody: Prosody) {
        self.queue.push_back(Slot::Sounding {
            t_ms,
            start_ms,
            prosody,
        });
    }

    pub fn hold(&mut self, id: u64) {
        self.queue.push_back(Slot::Utterance(id));
    }

    /// The next place whose turn has come: a ready event, or a held place `answered` says is
    /// filled. None while the front waits.
    pub fn next(&mut self, answered: impl Fn(u64) -> bool) -> Option<Slot> {
        match self.queue.front()? {
            Slot::Ready(_) | Slot::Sounding { .. } => self.queue.pop_front(),
            Slot::Utterance(id) if answered(*id) => self.queue.pop_front(),
            Slot::Utterance(_) => None,
        }
    }
}

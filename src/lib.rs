//! Hearken: on-device coaching for contact-centre calls.
//!
//! The crate is layered, each layer using only those below it (checked by
//! `tests/architecture.rs`; the README's architecture section draws it):
//!
//! ```text
//! contract (events, engine time, text), paths, stats      what every stage shares
//! config, playbook                                        thresholds; what trainers tune
//! signal                                                  10 ms frames: level, activity, pitch
//! detect, asr                                             conversation, cues, tension; whisper
//! coach                                                   prompts, by the playbook's rules
//! engine                                                  wires the stages; clock = samples
//! audio, output, logging                                  edges: audio in, events out, the log
//! overlay, report                                         the agent's window; the trainer's page
//! replay, calls                                           a recording through the engine; a shift
//!                                                         of calls, one engine each
//! live, batch, eval, check                                devices; folders; scoring; the workstation
//! cli                                                     the `hearken` command
//! ```
//!
//! The engine is deterministic: its clock is the sample position of the audio, so a recorded
//! call gives the same events at any replay speed.

pub mod contract;
pub mod paths;
pub mod stats;

pub mod config;
pub mod playbook;

pub mod signal;

pub mod asr;
pub mod detect;

pub mod coach;

pub mod engine;

pub mod audio;
pub mod logging;
pub mod output;

pub mod overlay;
pub mod report;

pub mod calls;
pub mod replay;

pub mod batch;
pub mod check;
pub mod eval;
pub mod history;
pub mod live;

pub mod cli;

pub use contract::{Event, EventBody, Speaker};
pub use engine::Engine;

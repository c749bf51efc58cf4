//! Hearken: on-device coaching for contact-centre calls.
//!
//! The pipeline, one module per stage (see the README's architecture section):
//!
//! ```text
//! audio (edges in) ─► signal (10 ms frames: level, activity, pitch) ─► detect (turns,
//!   interruptions, floor, dead air) ─► engine ─► output (edges out)
//!                                 └─► asr (whisper thread) ──► engine
//! engine ─► coach (prompts) ─► overlay (the agent's window, edges out)
//! ```
//!
//! The engine is deterministic: its clock is the sample position of the audio, so a recorded
//! call gives the same events at any replay speed.

pub mod asr;
pub mod audio;
pub mod batch;
pub mod check;
pub mod coach;
pub mod config;
pub mod detect;
pub mod engine;
pub mod eval;
pub mod live;
pub mod logging;
pub mod output;
pub mod overlay;
pub mod replay;
pub mod report;
pub mod signal;

pub use engine::{Engine, Event, EventBody, Speaker};

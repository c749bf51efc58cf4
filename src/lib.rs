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

/// Where the package put one of Hearken's files: `<prefix>/share/hearken/<rel>`, the prefix
/// being the parent of the binary's folder (`/usr/bin/hearken` gives `/usr`), so an unpacked
/// or relocated package finds its own files too.
pub fn installed_file(rel: &str) -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.join("share/hearken").join(rel))
}

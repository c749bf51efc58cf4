//! Edges in: where call audio comes from.
//!
//! Everything here turns some source (a recorded WAV, two mono files, live devices through
//! cpal) into 16 kHz mono f32 per speaker, the only form the engine accepts.

pub mod align;
pub mod call;
pub mod capture;
pub mod devices;
pub mod resample;
pub mod wav;

pub use call::{CallInput, CallReader};

use std::path::PathBuf;

/// Errors reading call audio. Each names the file and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("cannot open {path}: {cause}. Check the path and that the file is readable.")]
    Open {
        path: PathBuf,
        /// Said in the message; not a `source`, so the cause is printed once.
        cause: std::io::Error,
    },
    #[error(
        "{path} is a folder, not a call: give one WAV file (`hearken batch FOLDER` replays every call in a folder)."
    )]
    Folder { path: PathBuf },
    #[error(
        "{path} is not a WAV file Hearken can read: {reason}. Convert it with e.g. `sox {path} -b 16 out.wav`."
    )]
    Unreadable { path: PathBuf, reason: String },
    #[error("{path} is damaged: {reason}.")]
    Damaged { path: PathBuf, reason: String },
    #[error("{path}: {reason}")]
    Unsupported { path: PathBuf, reason: String },
    #[error("error reading {path}: {reason}")]
    Read { path: PathBuf, reason: String },
}

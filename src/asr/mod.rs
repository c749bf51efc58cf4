//! Speech to text: whisper on its own thread, fed utterances cut by speech activity.

pub mod guard;
pub mod model;
pub mod transcriber;
pub mod worker;

pub use model::ModelError;
pub use transcriber::{Transcribe, Transcript, Whisper, WhisperModel};
pub use worker::{AsrJob, AsrResult, AsrWorker};

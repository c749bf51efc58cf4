//! Speech to text: whisper on its own thread, fed utterances cut by speech activity.

pub mod guard;
pub mod model;
pub mod pool;
pub mod reference;
pub mod transcriber;

pub use model::ModelError;
pub use pool::{TranscriberPool, TranscriptionRequest, TranscriptionResult};
pub use transcriber::{Loudness, Transcribe, Transcript, Whisper, WhisperModel};

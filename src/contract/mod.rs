//! The contract every stage shares, at the bottom of the crate: the events the engine emits
//! and the values they carry, engine time, and transcript text. It imports no stage; every
//! stage imports it.

pub mod event;
pub mod speaker;
pub mod text;
pub mod time;
pub mod values;

pub use event::{
    CallCard, CallCommand, CallReason, CallSummary, CardPoint, Event, EventBody, SourceInfo,
    Utterance, UtteranceFeatures, Word,
};
pub use speaker::{Channel, Speaker};
pub use values::{AcousticDelta, Category, Cues, Level, Span};

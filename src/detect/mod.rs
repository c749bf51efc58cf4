//! Conversation analysis and what the words tell: who holds the floor, who talks over whom,
//! how much each talks, monologues and dead air (fed one frame at a time with both speakers'
//! activity, deciding from audio alone, so nothing here waits for whisper); and, from the
//! transcripts, the lexicon's cues, the agent's pace and the customer's tension.

pub mod conversation;
pub mod cues;
pub mod floor;
pub mod frame;
pub mod interruption;
pub mod pace;
pub mod tension;

pub use conversation::Conversation;
pub use floor::Floor;
pub use frame::FrameView;
pub use interruption::InterruptionDetector;
pub use pace::Pace;

//! The coach: turns what the detectors notice into prompts for the agent, by the playbook.
//! (Prompt rules arrive with the tension-and-coach issue; the playbook's lexicon is used now.)

pub mod playbook;

pub use playbook::{Playbook, PlaybookError};

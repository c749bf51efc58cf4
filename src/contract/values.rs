//! The small value types events carry: a stretch of time, a tension level and the cues
//! behind it, what the words tell, what a prompt is about.

use serde::{Deserialize, Serialize};

/// A stretch of call time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start_ms: u64,
    pub end_ms: u64,
}

/// The customer's tension level, with hysteresis between levels (see `detect::tension`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Calm,
    Elevated,
    High,
}

impl Level {
    /// The level as the agent and trainer read it.
    pub fn word(self) -> &'static str {
        match self {
            Level::Calm => "calm",
            Level::Elevated => "elevated",
            Level::High => "high",
        }
    }
}

/// How far one customer utterance is from that customer's calm baseline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct AcousticDelta {
    pub pitch_st: f32,
    pub range_st: f32,
    pub level_db: f32,
    pub effort_db: f32,
    /// Speaking rate (words per second of the transcript) above the baseline, in percent
    /// (0 when there is no transcript to count).
    #[serde(default)]
    pub rate_pct: f32,
}

/// The cues the playbook's lexicon found in one utterance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cues {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalation: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub empathy: Vec<String>,
    /// The whole utterance is a backchannel ("mm-hmm", "okay, right").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub backchannel: bool,
}

/// What a prompt is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Listening,
    Empathy,
    Reinforcement,
}

impl Category {
    /// The category as shown beside a prompt.
    pub fn word(self) -> &'static str {
        match self {
            Category::Listening => "listening",
            Category::Empathy => "empathy",
            Category::Reinforcement => "well done",
        }
    }
}

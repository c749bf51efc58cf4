//! The customer tension model's settings (the playbook's `[tension]` section): the weight of
//! each cue, the baseline, smoothing and the level thresholds. `detect::tension` reads them.

use serde::{Deserialize, Serialize};

/// The weights of each cue: the score rises by `weight` for every `unit` of rise above the
/// baseline. Rises below `dead zone` count for nothing (ordinary variation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TensionWeights {
    /// Per semitone of raised pitch.
    pub pitch_per_st: f32,
    /// Per semitone of wider pitch range.
    pub range_per_st: f32,
    /// Per dB louder.
    pub level_per_db: f32,
    /// Per dB more high-frequency energy (vocal effort).
    pub effort_per_db: f32,
    /// Ordinary variation ignored on each acoustic cue (in its own unit).
    pub dead_zone: f32,
    /// Per escalation word or phrase in the utterance (at most two count).
    pub per_escalation_cue: f32,
    /// When the customer talked over the agent in this utterance.
    pub interrupting: f32,
    /// When the customer repeats an earlier complaint (half its content words again).
    pub repeating: f32,
    /// Per 10 % faster speech than the baseline (beyond a 10 % dead zone).
    pub rate_per_10pct: f32,
}

impl Default for TensionWeights {
    fn default() -> Self {
        TensionWeights {
            pitch_per_st: 0.12,
            range_per_st: 0.04,
            level_per_db: 0.05,
            effort_per_db: 0.10,
            dead_zone: 1.0,
            per_escalation_cue: 0.35,
            interrupting: 0.25,
            repeating: 0.2,
            rate_per_10pct: 0.08,
        }
    }
}

/// The tension model's settings (the playbook's `[tension]` section).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TensionSettings {
    pub weights: TensionWeights,
    /// The customer's baseline learns freely (from anything that does not sound tense
    /// against it) until it holds this much speech; after that it adapts only to speech
    /// close to it (see `detect::tension`).
    pub baseline_ms: u32,
    /// How much a customer utterance moves the running score towards its own score when it is
    /// higher (0..1): tension should show at once...
    pub rise: f32,
    /// ...and when it is lower: it should ease off over a few calm utterances, not flicker.
    pub fall: f32,
    /// Enter `elevated` at this running score, leave it below `elevated_off`.
    pub elevated_on: f32,
    pub elevated_off: f32,
    /// Enter `high` at this running score, leave it below `high_off`.
    pub high_on: f32,
    pub high_off: f32,
}

impl Default for TensionSettings {
    fn default() -> Self {
        TensionSettings {
            weights: TensionWeights::default(),
            baseline_ms: 6_000,
            rise: 0.8,
            fall: 0.4,
            elevated_on: 0.40,
            elevated_off: 0.25,
            high_on: 0.60,
            high_off: 0.45,
        }
    }
}

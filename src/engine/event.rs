//! The event contract: everything the engine says, as one serde enum.
//!
//! Tools outside this repository read these names (the JSON Lines from `hearken replay
//! --events`, the overlay, reports). Keep names and meanings; add fields freely. Every event
//! carries `t_ms`, the engine time at which it was emitted: milliseconds of call audio from
//! the call's start, never the wall clock.

pub use crate::detect::Span;
use serde::{Deserialize, Serialize};

/// Who is speaking. A call has exactly two sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    Agent,
    Customer,
}

impl Speaker {
    pub const BOTH: [Speaker; 2] = [Speaker::Agent, Speaker::Customer];

    /// A stable index for per-speaker arrays.
    pub fn index(self) -> usize {
        match self {
            Speaker::Agent => 0,
            Speaker::Customer => 1,
        }
    }

    pub fn other(self) -> Speaker {
        match self {
            Speaker::Agent => Speaker::Customer,
            Speaker::Customer => Speaker::Agent,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Speaker::Agent => "agent",
            Speaker::Customer => "customer",
        }
    }
}

impl std::fmt::Display for Speaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing the engine noticed, stamped with the engine time at which it noticed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub t_ms: u64,
    #[serde(flatten)]
    pub body: EventBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    /// The call began. `sample_rate` and `channels` describe the source as it arrived
    /// (the engine itself always runs at 16 kHz per speaker).
    CallStart {
        source: String,
        sample_rate: u32,
        channels: u16,
    },
    /// The call ended after `duration_ms` of audio.
    CallEnd {
        duration_ms: u64,
        summary: CallSummary,
    },
    /// A speaker started talking. `start_ms` is when their speech began; the event itself is
    /// emitted a few frames later, once the onset is sure.
    SpeechStart { speaker: Speaker, start_ms: u64 },
    /// A speaker stopped talking (emitted after the hangover that makes the end sure).
    SpeechEnd {
        speaker: Speaker,
        start_ms: u64,
        end_ms: u64,
    },
    /// The transcript of one utterance, cut by speech activity.
    Utterance(Utterance),
    /// The words so far of an utterance still going on (long utterances, about once a
    /// second). The `utterance` event replaces it when the utterance ends.
    Partial {
        speaker: Speaker,
        start_ms: u64,
        text: String,
    },
    /// Something about the machinery the agent should know: `state` is a short code
    /// (`asr_behind`, `asr_caught_up`), `detail` says it in words.
    Device { state: String, detail: String },
    /// `by` started talking while the other was mid-utterance and kept going past a
    /// backchannel. `onset_ms`: when the interrupting speech began; `overlap_ms`: overlap so
    /// far when reported; `cut_off`: the interrupted speaker had gone silent by then.
    Interruption {
        by: Speaker,
        onset_ms: u64,
        overlap_ms: u64,
        cut_off: bool,
    },
    /// The customer's tension changed level (`calm`, `elevated`, `high`); `score` is the
    /// running score 0..1; `reason` what moved it, in words.
    Tension {
        level: crate::detect::tension::Level,
        score: f32,
        reason: String,
    },
    /// A prompt for the agent (one on screen at a time). `kind` names the playbook rule,
    /// `category` is listening, empathy or reinforcement, `reason` the evidence.
    Prompt {
        kind: String,
        category: crate::coach::Category,
        text: String,
        reason: String,
        priority: u8,
    },
    /// The prompt of `kind` left the screen (its time was up, or a more urgent one came).
    PromptCleared { kind: String },
    /// Both sides have been silent for the dead-air threshold since `start_ms`.
    DeadAir { start_ms: u64, silence_ms: u64 },
    /// `speaker` has held the floor since `start_ms` for the monologue threshold.
    Monologue {
        speaker: Speaker,
        start_ms: u64,
        duration_ms: u64,
    },
    /// Listening metrics, once per metrics interval. Shares are 0..1 (null before anyone
    /// spoke); `agent_wpm` is null until enough agent speech is transcribed; `silence_ms` is
    /// the current mutual silence.
    Metrics {
        agent_talk_share_60s: Option<f32>,
        agent_talk_share_call: Option<f32>,
        agent_wpm: Option<f32>,
        silence_ms: u64,
        interruptions_by_agent: u32,
        interruptions_by_customer: u32,
        longest_agent_monologue_ms: u64,
    },
}

/// What one speaker said in one stretch of speech.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Utterance {
    pub speaker: Speaker,
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
    /// Word timings from whisper's token timestamps, in call time.
    #[serde(default)]
    pub words: Vec<Word>,
    /// The customer's tension for this utterance, 0..1 (set by the tension model once it exists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tension: Option<f32>,
    pub features: UtteranceFeatures,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub text: String,
    pub start_ms: u64,
    pub end_ms: u64,
    /// Whisper's probability for the word's first token.
    pub p: f32,
}

/// The measurements behind an utterance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UtteranceFeatures {
    /// Mean level of the utterance's speech frames, dBFS.
    pub level_db: f32,
    /// Whisper's probability that there was no speech at all.
    pub no_speech_prob: f32,
    /// Mean probability of the transcript's text tokens.
    pub avg_token_p: f32,
    /// Median F0 of the voiced frames (Hz), when any were voiced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f0_median_hz: Option<f32>,
    /// Spread of F0 (10th to 90th percentile) in semitones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f0_range_st: Option<f32>,
    /// Share of the utterance's speech frames that were voiced.
    pub voiced_share: f32,
    /// High-to-low frequency balance of the speech frames, dB (vocal effort).
    pub effort_db: f32,
    /// Customer utterances: how far this one is from the customer's calm baseline (the
    /// acoustic cues behind `tension`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_baseline: Option<crate::detect::tension::AcousticDelta>,
    /// What the words tell (escalation, empathy, backchannel), from the playbook's lexicon.
    #[serde(default)]
    pub cues: crate::detect::Cues,
    /// Why the transcript is empty, when it is (a guard fired): "quiet", "no_speech",
    /// "phantom", "repetition", "too_short".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped: Option<String>,
}

/// Totals over the whole call, carried by `call_end`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallSummary {
    pub agent_speech_ms: u64,
    pub customer_speech_ms: u64,
    pub agent_utterances: u32,
    pub customer_utterances: u32,
    pub interruptions_by_agent: u32,
    pub interruptions_by_customer: u32,
    /// Agent share of all talk over the call, 0..1.
    pub agent_talk_share: Option<f32>,
    pub longest_agent_monologue: Option<Span>,
    pub longest_customer_monologue: Option<Span>,
    /// Every stretch of mutual silence at least the dead-air threshold long.
    pub dead_air: Vec<Span>,
    pub dead_air_ms: u64,
    /// How often the floor changed hands, the median gap at those changes (negative: an
    /// overlap), and the total time both sides spoke at once.
    pub turn_changes: u32,
    pub median_turn_gap_ms: Option<i64>,
    pub overlap_ms: u64,
}

impl Event {
    pub fn new(t_ms: u64, body: EventBody) -> Self {
        Event { t_ms, body }
    }

    /// The event's `type` name as written in JSON.
    pub fn kind(&self) -> &'static str {
        match &self.body {
            EventBody::CallStart { .. } => "call_start",
            EventBody::CallEnd { .. } => "call_end",
            EventBody::SpeechStart { .. } => "speech_start",
            EventBody::SpeechEnd { .. } => "speech_end",
            EventBody::Utterance(_) => "utterance",
            EventBody::Partial { .. } => "partial",
            EventBody::Device { .. } => "device",
            EventBody::Interruption { .. } => "interruption",
            EventBody::DeadAir { .. } => "dead_air",
            EventBody::Tension { .. } => "tension",
            EventBody::Prompt { .. } => "prompt",
            EventBody::PromptCleared { .. } => "prompt_cleared",
            EventBody::Monologue { .. } => "monologue",
            EventBody::Metrics { .. } => "metrics",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_with_type_and_time_first_class() {
        let e = Event::new(
            1234,
            EventBody::SpeechStart {
                speaker: Speaker::Customer,
                start_ms: 1200,
            },
        );
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["type"], "speech_start");
        assert_eq!(json["t_ms"], 1234);
        assert_eq!(json["speaker"], "customer");
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn utterance_without_tension_omits_the_field() {
        let e = Event::new(
            10,
            EventBody::Utterance(Utterance {
                speaker: Speaker::Agent,
                start_ms: 0,
                end_ms: 10,
                text: "hello".into(),
                words: vec![],
                tension: None,
                features: UtteranceFeatures::default(),
            }),
        );
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["type"], "utterance");
        assert!(json.get("tension").is_none());
        assert_eq!(json["text"], "hello");
    }
}

//! The event contract: everything the engine says, as one serde enum.
//!
//! Tools outside this repository read these names (the JSON Lines from `hearken replay
//! --events`, the overlay, reports). Keep names and meanings; add fields freely. Every event
//! carries `t_ms`, the engine time at which it was emitted: milliseconds of call audio from
//! the call's start, never the wall clock; and `call_id`, the call it belongs to (1, 2, ...
//! in a session; null between calls, where `t_ms` is the session's own audio time).

use super::speaker::Speaker;
use super::values::{AcousticDelta, Category, Cues, Level, Span};
use serde::{Deserialize, Serialize};

/// One thing the engine noticed, stamped with the engine time at which it noticed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub t_ms: u64,
    /// The call this belongs to; None between calls.
    #[serde(default)]
    pub call_id: Option<u32>,
    #[serde(flatten)]
    pub body: EventBody,
}

/// Why a call started or ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallReason {
    /// Hearken found it in the audio: speech after a quiet stretch; both sides silent long
    /// enough, or the customer's line gone dead.
    Auto,
    /// The agent pressed New call or End call in the overlay.
    Agent,
    /// The softphone said so (`hearken call start` / `hearken call end`).
    Softphone,
    /// A replayed recording is one call, from its first sample to its last.
    Recording,
    /// The live session stopped (Ctrl-C, `--duration`, the window closed) during the call.
    Shutdown,
}

/// A call boundary asked for from outside the audio (the agent's buttons, the softphone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallCommand {
    /// Start a new call here (ending the one going on, if any).
    Start(CallReason),
    /// End the call going on here.
    End(CallReason),
}

impl CallReason {
    pub fn word(self) -> &'static str {
        match self {
            CallReason::Auto => "auto",
            CallReason::Agent => "agent",
            CallReason::Softphone => "softphone",
            CallReason::Recording => "recording",
            CallReason::Shutdown => "shutdown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    /// The call began. `sample_rate` and `channels` describe the source as it arrived
    /// (the engine itself always runs at 16 kHz per speaker); `at_ms` is where in the
    /// session (or the recording) the call's first sample is; `reason` why it started.
    CallStart {
        source: String,
        sample_rate: u32,
        channels: u16,
        #[serde(default)]
        at_ms: u64,
        #[serde(default = "recording")]
        reason: CallReason,
    },
    /// The call ended after `duration_ms` of audio (its end is at `at_ms + duration_ms` of
    /// the session); `reason` why.
    CallEnd {
        duration_ms: u64,
        summary: CallSummary,
        #[serde(default)]
        at_ms: u64,
        #[serde(default = "recording")]
        reason: CallReason,
    },
    /// For the agent after the call: one thing that went well and one to try next time,
    /// each with the evidence from the call, and the call's listening figures. Right
    /// before `call_end`.
    CallCard(CallCard),
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
    /// The interruption `by` reported at `onset_ms` was not one after all, and is taken
    /// back (the coach clears its prompt, the counts drop it). `reason`: `short` (the speech
    /// ended within `detect.backchannel_max_ms` of the onset while the other talked on: a
    /// backchannel) or `words` (its transcript is a backchannel phrase, "yeah, right").
    InterruptionWithdrawn {
        by: Speaker,
        onset_ms: u64,
        reason: String,
    },
    /// How the interruption `by` reported at `onset_ms` ended for the interrupted speaker:
    /// `cut_off` when they stopped (fell silent for `detect.cut_off_silence_ms`) within
    /// `detect.cut_off_within_ms` of the onset, at `stopped_ms`; not cut off when they were
    /// still talking by then. Sent once that is known, at the latest
    /// `cut_off_within_ms` after the onset.
    InterruptionOutcome {
        by: Speaker,
        onset_ms: u64,
        cut_off: bool,
        stopped_ms: Option<u64>,
    },
    /// The customer's tension changed level (`calm`, `elevated`, `high`); `score` is the
    /// running score 0..1; `reason` what moved it, in words.
    Tension {
        level: Level,
        score: f32,
        reason: String,
    },
    /// A prompt for the agent (one on screen at a time). `kind` names the playbook rule,
    /// `category` is listening, empathy or reinforcement, `reason` the evidence.
    Prompt {
        kind: String,
        category: Category,
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
    pub vs_baseline: Option<AcousticDelta>,
    /// What the words tell (escalation, empathy, backchannel), from the playbook's lexicon.
    #[serde(default)]
    pub cues: Cues,
    /// The first decoding repeated itself, and the text is from a second, careful one (full
    /// window, beam search).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub second_pass: bool,
    /// Why the transcript is empty, when it is: a guard fired ("quiet", "no_speech",
    /// "phantom", "repetition", "too_short"), whisper failed or was behind ("asr_error",
    /// "asr_behind"), or transcription is off ("not_transcribed").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped: Option<String>,
}

/// What a call's audio came from, as `call_start` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    pub source: String,
    pub sample_rate: u32,
    pub channels: u16,
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

fn recording() -> CallReason {
    CallReason::Recording
}

/// One point of the post-call card: what to say, and what in the call shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardPoint {
    /// Which of the playbook's card texts this is (`let_finish`, `acknowledge_first`, ...).
    pub kind: String,
    pub text: String,
    pub evidence: String,
}

/// The post-call card, and the figures behind it (what the agent's history keeps).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallCard {
    pub went_well: CardPoint,
    pub try_next: CardPoint,
    pub duration_ms: u64,
    /// Agent share of all talk, 0..1.
    pub agent_talk_share: Option<f32>,
    pub talk_overs: u32,
    /// Times the agent took the floor from the customer, and how many of those without
    /// talking over them.
    pub agent_turns: u32,
    pub let_finish: u32,
    pub longest_agent_monologue_ms: u64,
    pub dead_air_ms: u64,
    /// When the customer's tension first rose, if it did; whether the agent acknowledged it
    /// (how many times), and whether it came back down to calm.
    pub upset_at_ms: Option<u64>,
    pub acknowledged_after_upset: u32,
    pub calm_again: bool,
    pub prompts: u32,
}

impl Event {
    pub fn new(t_ms: u64, body: EventBody) -> Self {
        Event {
            t_ms,
            call_id: None,
            body,
        }
    }

    /// The same event, belonging to call `id`.
    pub fn in_call(mut self, id: Option<u32>) -> Self {
        self.call_id = id;
        self
    }

    /// The event's `type` name as written in JSON.
    pub fn kind(&self) -> &'static str {
        match &self.body {
            EventBody::CallStart { .. } => "call_start",
            EventBody::CallEnd { .. } => "call_end",
            EventBody::CallCard(_) => "call_card",
            EventBody::SpeechStart { .. } => "speech_start",
            EventBody::SpeechEnd { .. } => "speech_end",
            EventBody::Utterance(_) => "utterance",
            EventBody::Partial { .. } => "partial",
            EventBody::Device { .. } => "device",
            EventBody::Interruption { .. } => "interruption",
            EventBody::InterruptionWithdrawn { .. } => "interruption_withdrawn",
            EventBody::InterruptionOutcome { .. } => "interruption_outcome",
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

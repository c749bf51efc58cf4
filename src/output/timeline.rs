//! A timeline a person can read in a terminal: one line per event that matters.

use crate::contract::time::clock;
use crate::contract::{CallReason, Event, EventBody};

/// One line for an event, or None for events too fine-grained for the timeline.
pub fn line(e: &Event) -> Option<String> {
    let text = match &e.body {
        EventBody::CallStart { .. } | EventBody::CallCard(_) | EventBody::CallEnd { .. } => {
            call_line(e)
        }
        EventBody::SpeechStart { .. }
        | EventBody::SpeechEnd { .. }
        | EventBody::Metrics { .. }
        | EventBody::InterruptionOutcome { .. }
        | EventBody::PromptCleared { .. }
        | EventBody::Partial { .. } => return None,
        EventBody::Interruption {
            by,
            onset_ms,
            overlap_ms,
            cut_off,
        } => format!(
            "INTERRUPTION  {by} talked over the {} at {}{} ({} ms overlap)",
            by.other(),
            clock(*onset_ms),
            if *cut_off { ", cutting them off" } else { "" },
            overlap_ms
        ),
        EventBody::InterruptionWithdrawn {
            by,
            onset_ms,
            reason,
        } => format!(
            "WITHDRAWN     the {by}'s talk-over at {} was {}",
            clock(*onset_ms),
            match reason.as_str() {
                "words" => "a backchannel (its words)",
                "terminal" => "a terminal overlap (the other was finishing)",
                _ => "a backchannel (it was short)",
            }
        ),
        EventBody::Prompt { text, reason, .. } => format!("PROMPT        \"{text}\"  ({reason})"),
        EventBody::Device { detail, .. } => format!("NOTICE        {detail}"),
        EventBody::Tension {
            level,
            score,
            reason,
        } => format!(
            "TENSION       customer {} ({score:.2}): {reason}",
            format!("{level:?}").to_uppercase()
        ),
        EventBody::DeadAir {
            start_ms,
            silence_ms,
        } => format!(
            "dead air      nobody has spoken since {} ({} s)",
            clock(*start_ms),
            silence_ms / 1000
        ),
        EventBody::Monologue {
            speaker,
            start_ms,
            duration_ms,
        } => format!(
            "monologue     the {speaker} has held the floor since {} ({} s)",
            clock(*start_ms),
            duration_ms / 1000
        ),
        EventBody::Utterance(u) => {
            let text = if u.text.is_empty() {
                format!(
                    "(no words: {})",
                    u.features.dropped.as_deref().unwrap_or("empty")
                )
            } else {
                u.text.clone()
            };
            format!(
                "{:<8}      [{} - {}] {}",
                u.speaker.as_str(),
                clock(u.start_ms),
                clock(u.end_ms),
                text
            )
        }
    };
    Some(format!("{}  {}", clock(e.t_ms), text))
}

/// A call's start, card and end.
fn call_line(e: &Event) -> String {
    match &e.body {
        EventBody::CallStart {
            source,
            sample_rate,
            channels,
            at_ms,
            reason,
        } => match reason {
            CallReason::Recording => {
                format!("call starts   {source} ({sample_rate} Hz, {channels} ch)")
            }
            r => format!(
                "call {} starts ({}) at {} of the session: {source}",
                e.call_id.unwrap_or(0),
                r.word(),
                clock(*at_ms)
            ),
        },
        EventBody::CallCard(c) => format!(
            "CARD          went well: {} ({}) | try next: {} ({})",
            c.went_well.text, c.went_well.evidence, c.try_next.text, c.try_next.evidence
        ),
        EventBody::CallEnd {
            duration_ms,
            summary,
            ..
        } => format!(
            "call ends     {} long; agent spoke {}, customer {}; {} + {} utterances",
            clock(*duration_ms),
            clock(summary.agent_speech_ms),
            clock(summary.customer_speech_ms),
            summary.agent_utterances,
            summary.customer_utterances
        ),
        _ => String::new(),
    }
}

//! A timeline a person can read in a terminal: one line per event that matters.

use crate::engine::{Event, EventBody};

/// `mm:ss.t` from ms.
pub fn clock(ms: u64) -> String {
    format!(
        "{:02}:{:02}.{}",
        ms / 60_000,
        (ms / 1000) % 60,
        (ms / 100) % 10
    )
}

/// One line for an event, or None for events too fine-grained for the timeline.
pub fn line(e: &Event) -> Option<String> {
    let text = match &e.body {
        EventBody::CallStart {
            source,
            sample_rate,
            channels,
        } => format!("call starts   {source} ({sample_rate} Hz, {channels} ch)"),
        EventBody::CallEnd {
            duration_ms,
            summary,
        } => format!(
            "call ends     {} long; agent spoke {}, customer {}; {} + {} utterances",
            clock(*duration_ms),
            clock(summary.agent_speech_ms),
            clock(summary.customer_speech_ms),
            summary.agent_utterances,
            summary.customer_utterances
        ),
        EventBody::SpeechStart { .. } | EventBody::SpeechEnd { .. } | EventBody::Metrics { .. } => {
            return None;
        }
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
        EventBody::Prompt { text, reason, .. } => format!("PROMPT        \"{text}\"  ({reason})"),
        EventBody::PromptCleared { .. } | EventBody::Partial { .. } => return None,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_formats_minutes_seconds_tenths() {
        assert_eq!(clock(0), "00:00.0");
        assert_eq!(clock(83_456), "01:23.4");
    }
}

//! An utterance between its recording and its event: what the engine measured about it while
//! whisper works on its words, and, once they are back, the `utterance` event (with the
//! customer's tension) that takes its place in the stream.

use super::track::Recording;
use crate::asr::Transcript;
use crate::contract::time::{frames_to_ms, samples_to_ms};
use crate::contract::{Event, EventBody, Speaker, Utterance, UtteranceFeatures, Word};
use crate::detect::cues;
use crate::detect::tension::TensionTracker;
use crate::playbook::Lexicon;
use crate::signal::Prosody;

/// An utterance at whisper.
pub struct PendingUtterance {
    pub speaker: Speaker,
    pub start_sample: u64,
    pub speech_start: u64,
    pub speech_end: u64,
    /// Engine time when the utterance was cut (its place in the stream in replay).
    pub cut_ms: u64,
    pub features: UtteranceFeatures,
    pub prosody: Prosody,
    /// A partial transcript of an utterance still going on.
    pub partial: bool,
    pub transcript: Option<Result<Transcript, String>>,
}

impl PendingUtterance {
    /// Measure a finished recording that ends at frame `end_frame`, cut at `cut_ms`.
    pub fn measure(
        speaker: Speaker,
        r: &Recording,
        prosody: Prosody,
        level_db: f32,
        end_frame: u64,
        cut_ms: u64,
        partial: bool,
    ) -> PendingUtterance {
        PendingUtterance {
            speaker,
            start_sample: r.start_sample,
            speech_start: r.speech_start,
            speech_end: end_frame,
            cut_ms,
            features: UtteranceFeatures {
                level_db: round1(level_db),
                f0_median_hz: prosody.f0_median_hz.map(round1),
                f0_range_st: prosody.f0_range_st.map(round1),
                effort_db: round1(prosody.effort_db),
                voiced_share: round3(prosody.voiced_share),
                ..UtteranceFeatures::default()
            },
            prosody,
            partial,
            transcript: None,
        }
    }
}

/// Mean level of a recording's speech frames (dBFS).
pub fn mean_level(levels: &[f32]) -> f32 {
    if levels.is_empty() {
        -120.0
    } else {
        levels.iter().sum::<f32>() / levels.len() as f32
    }
}

/// What the text stage needs to turn words into an utterance event.
pub struct Words<'a> {
    pub lexicon: &'a Lexicon,
    pub tension: &'a mut TensionTracker,
}

/// The events for an utterance whose transcript is back, emitted at `t_ms`: a `partial`, or
/// the `utterance` and the tension change it caused.
pub fn events(u: PendingUtterance, t_ms: u64, words: Words) -> Vec<Event> {
    let Some(transcript) = u.transcript else {
        return Vec::new();
    };
    if u.partial {
        return match transcript {
            Ok(t) if t.dropped.is_none() && !t.text.is_empty() => vec![Event::new(
                t_ms,
                EventBody::Partial {
                    speaker: u.speaker,
                    start_ms: frames_to_ms(u.speech_start),
                    text: t.text,
                },
            )],
            _ => Vec::new(),
        };
    }
    let t = match transcript {
        Ok(t) => t,
        Err(e) => Transcript {
            dropped: Some(if e.contains("queue full") {
                "asr_behind"
            } else {
                "asr_error"
            }),
            ..Transcript::default()
        },
    };
    let offset = samples_to_ms(u.start_sample);
    let word_times: Vec<Word> = t
        .words
        .iter()
        .map(|(w, a, b, p)| Word {
            text: w.clone(),
            start_ms: offset + a,
            end_ms: offset + b,
            p: *p,
        })
        .collect();
    let cues = cues::find(words.lexicon, &t.text);
    let start_ms = frames_to_ms(u.speech_start);
    let end_ms = frames_to_ms(u.speech_end);
    // Customer tension, in stream order, for every utterance the speech gate heard: how the
    // voice sounds needs no transcript, so one whose words a guard dropped (too quiet for
    // whisper, or whisper unsure) is scored on its sound alone.
    let mut tension = None;
    let mut vs_baseline = None;
    let mut change = None;
    if u.speaker == Speaker::Customer && u.prosody.frames > 0 {
        let profane = cues
            .escalation
            .iter()
            .filter(|c| c.starts_with('(') || words.lexicon.profanity.contains(c))
            .count();
        let scored = words.tension.utterance(
            &u.prosody,
            &cues.escalation,
            profane,
            &t.text,
            start_ms,
            end_ms,
        );
        tension = Some(scored.score);
        vs_baseline = Some(scored.delta);
        change = scored.change;
    }
    let utterance = Event::new(
        t_ms,
        EventBody::Utterance(Utterance {
            speaker: u.speaker,
            start_ms,
            end_ms,
            words: word_times,
            tension,
            features: UtteranceFeatures {
                cues,
                vs_baseline,
                no_speech_prob: round3(t.no_speech_prob),
                avg_token_p: round3(t.avg_token_p),
                dropped: t.dropped.map(str::to_string),
                second_pass: t.second_pass,
                ..u.features
            },
            text: t.text,
        }),
    );
    let mut events = vec![utterance];
    // The utterance first, then the level change it caused, at the same time.
    if let Some(c) = change {
        events.push(Event::new(
            t_ms,
            EventBody::Tension {
                level: c.level,
                score: c.score,
                reason: c.reason,
            },
        ));
    }
    events
}

fn round1(x: f32) -> f32 {
    (x * 10.0).round() / 10.0
}

fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

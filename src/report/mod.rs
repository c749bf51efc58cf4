//! A call's report: the engine's events folded into what a trainer looks at, as data
//! (`--json`, with a schema version) and as one self-contained HTML page (`--report`).
//!
//! Built only from events, so a report of a replay shows exactly what the engine said, and
//! the same call gives the same report every time.

pub mod html;

pub use crate::contract::Span;
use crate::contract::{CallSummary, Category, Event, EventBody, Level, Speaker};
use serde::{Deserialize, Serialize};

/// Audio for the HTML report: the recording linked relative to the report, or embedded.
pub fn audio_for(
    recording: &std::path::Path,
    report: &std::path::Path,
    embed: bool,
) -> std::io::Result<html::Audio> {
    if embed {
        use base64::Engine as _;
        let bytes = std::fs::read(recording)?;
        return Ok(html::Audio::Embedded(format!(
            "data:audio/wav;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )));
    }
    let rec = std::fs::canonicalize(recording)?;
    let dir = report
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let dir = std::fs::canonicalize(dir)?;
    let common = rec
        .components()
        .zip(dir.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut rel = std::path::PathBuf::new();
    for _ in dir.components().skip(common) {
        rel.push("..");
    }
    for c in rec.components().skip(common) {
        rel.push(c);
    }
    // A relative URL: path segments joined by '/', with the characters URLs reserve escaped.
    let url: Vec<String> = rel
        .components()
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .chars()
                .map(|ch| match ch {
                    ' ' => "%20".to_string(),
                    '#' => "%23".to_string(),
                    '?' => "%3F".to_string(),
                    '%' => "%25".to_string(),
                    _ => ch.to_string(),
                })
                .collect()
        })
        .collect();
    // "./" keeps a first segment with a ':' from reading as a URL scheme.
    let joined = url.join("/");
    Ok(html::Audio::Link(if joined.starts_with("..") {
        joined
    } else {
        format!("./{joined}")
    }))
}

/// Bumped whenever a field changes meaning or goes away (adding fields does not bump it).
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallReport {
    pub schema_version: u32,
    /// What was replayed (file names), as the engine's `call_start` said.
    pub source: String,
    pub duration_ms: u64,
    pub headline: Headline,
    pub summary: CallSummary,
    /// Speech per speaker (agent, customer), as spans.
    pub speech: [Vec<Span>; 2],
    /// Both speaking at once.
    pub overlaps: Vec<Span>,
    pub interruptions: Vec<Interruption>,
    pub dead_air: Vec<Span>,
    /// The customer's tension after each of their utterances, and its level changes.
    pub tension: Vec<TensionPoint>,
    pub tension_changes: Vec<TensionChange>,
    pub prompts: Vec<PromptMark>,
    pub transcript: Vec<Line>,
}

/// The numbers at the top of the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Headline {
    /// Agent share of all talk, 0..1.
    pub agent_talk_share: Option<f32>,
    pub interruptions_by_agent: u32,
    pub interruptions_by_customer: u32,
    pub longest_agent_monologue_ms: u64,
    pub dead_air_ms: u64,
    pub peak_tension: Option<f32>,
    pub peak_level: Option<Level>,
    /// From first reaching the peak level to being calm again; none if it never came down.
    pub calm_again_after_ms: Option<u64>,
    /// Agent utterances with an empathy or acknowledgement phrase.
    pub empathy_acknowledgements: u32,
    pub prompts: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interruption {
    pub by: Speaker,
    pub onset_ms: u64,
    pub overlap_ms: u64,
    pub cut_off: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensionPoint {
    pub t_ms: u64,
    pub score: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensionChange {
    pub t_ms: u64,
    pub level: Level,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptMark {
    pub t_ms: u64,
    pub kind: String,
    pub category: Category,
    pub text: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub speaker: Speaker,
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
    /// Escalation or empathy words in it, from the playbook's lexicon.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cues: Vec<String>,
}

/// Folds events into a report as they come.
#[derive(Default)]
pub struct ReportBuilder {
    report: CallReport,
    speaking: [Option<u64>; 2],
}

impl ReportBuilder {
    pub fn new() -> Self {
        ReportBuilder {
            report: CallReport {
                schema_version: SCHEMA_VERSION,
                ..CallReport::default()
            },
            speaking: [None, None],
        }
    }

    pub fn observe(&mut self, e: &Event) {
        let r = &mut self.report;
        match &e.body {
            EventBody::CallStart { source, .. } => r.source = source.clone(),
            EventBody::SpeechStart { speaker, start_ms } => {
                self.speaking[speaker.index()] = Some(*start_ms);
            }
            EventBody::SpeechEnd {
                speaker,
                start_ms,
                end_ms,
            } => {
                self.speaking[speaker.index()] = None;
                r.speech[speaker.index()].push(Span {
                    start_ms: *start_ms,
                    end_ms: *end_ms,
                });
            }
            EventBody::Interruption {
                by,
                onset_ms,
                overlap_ms,
                cut_off,
            } => r.interruptions.push(Interruption {
                by: *by,
                onset_ms: *onset_ms,
                overlap_ms: *overlap_ms,
                cut_off: *cut_off,
            }),
            EventBody::InterruptionWithdrawn { by, onset_ms, .. } => r
                .interruptions
                .retain(|i| !(i.by == *by && i.onset_ms == *onset_ms)),
            EventBody::InterruptionOutcome {
                by,
                onset_ms,
                cut_off,
                ..
            } => {
                if let Some(i) = r
                    .interruptions
                    .iter_mut()
                    .find(|i| i.by == *by && i.onset_ms == *onset_ms)
                {
                    i.cut_off = *cut_off;
                }
            }
            EventBody::Utterance(u) => {
                if u.speaker == Speaker::Customer
                    && let Some(score) = u.tension
                {
                    r.tension.push(TensionPoint {
                        t_ms: u.end_ms,
                        score,
                    });
                }
                if u.speaker == Speaker::Agent && !u.features.cues.empathy.is_empty() {
                    r.headline.empathy_acknowledgements += 1;
                }
                if !u.text.is_empty() {
                    let mut cues = u.features.cues.escalation.clone();
                    cues.extend(u.features.cues.empathy.iter().cloned());
                    r.transcript.push(Line {
                        speaker: u.speaker,
                        start_ms: u.start_ms,
                        end_ms: u.end_ms,
                        text: u.text.clone(),
                        cues,
                    });
                }
            }
            EventBody::Tension { level, reason, .. } => r.tension_changes.push(TensionChange {
                t_ms: e.t_ms,
                level: *level,
                reason: reason.clone(),
            }),
            EventBody::Prompt {
                kind,
                category,
                text,
                reason,
                ..
            } => r.prompts.push(PromptMark {
                t_ms: e.t_ms,
                kind: kind.clone(),
                category: *category,
                text: text.clone(),
                reason: reason.clone(),
            }),
            EventBody::CallEnd {
                duration_ms,
                summary,
                ..
            } => {
                r.duration_ms = *duration_ms;
                r.summary = summary.clone();
            }
            _ => {}
        }
    }

    pub fn finish(mut self) -> CallReport {
        let end = self.report.duration_ms;
        for (i, s) in self.speaking.iter().enumerate() {
            if let Some(start) = s {
                self.report.speech[i].push(Span {
                    start_ms: *start,
                    end_ms: end,
                });
            }
        }
        let r = &mut self.report;
        r.transcript
            .sort_by_key(|l| (l.start_ms, l.speaker.index()));
        r.overlaps = overlaps(&r.speech[0], &r.speech[1]);
        r.dead_air = r.summary.dead_air.clone();
        let s = &r.summary;
        let h = &mut r.headline;
        h.agent_talk_share = s.agent_talk_share;
        h.interruptions_by_agent = s.interruptions_by_agent;
        h.interruptions_by_customer = s.interruptions_by_customer;
        h.longest_agent_monologue_ms = s
            .longest_agent_monologue
            .as_ref()
            .map(|m| m.end_ms - m.start_ms)
            .unwrap_or(0);
        h.dead_air_ms = s.dead_air_ms;
        h.prompts = r.prompts.len() as u32;
        h.peak_tension = r.tension.iter().map(|p| p.score).reduce(f32::max);
        h.peak_level = r.tension_changes.iter().map(|c| c.level).max();
        if let Some(peak) = h.peak_level.filter(|l| *l > Level::Calm) {
            let reached = r.tension_changes.iter().find(|c| c.level == peak);
            if let Some(reached) = reached {
                h.calm_again_after_ms = r
                    .tension_changes
                    .iter()
                    .find(|c| c.t_ms >= reached.t_ms && c.level == Level::Calm)
                    .map(|c| c.t_ms - reached.t_ms);
            }
        }
        self.report
    }
}

/// Where two sorted span lists overlap.
fn overlaps(a: &[Span], b: &[Span]) -> Vec<Span> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let start = a[i].start_ms.max(b[j].start_ms);
        let end = a[i].end_ms.min(b[j].end_ms);
        if start < end {
            out.push(Span {
                start_ms: start,
                end_ms: end,
            });
        }
        if a[i].end_ms < b[j].end_ms {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(a: u64, b: u64) -> Span {
        Span {
            start_ms: a,
            end_ms: b,
        }
    }

    #[test]
    fn overlaps_are_where_both_speak() {
        let a = [span(0, 1000), span(2000, 3000)];
        let b = [span(900, 2100), span(2900, 4000)];
        assert_eq!(
            overlaps(&a, &b),
            vec![span(900, 1000), span(2000, 2100), span(2900, 3000)]
        );
    }

    #[test]
    fn tension_peak_and_the_way_down() {
        let mut b = ReportBuilder::new();
        let change = |t, level| {
            Event::new(
                t,
                EventBody::Tension {
                    level,
                    score: 0.5,
                    reason: String::new(),
                },
            )
        };
        b.observe(&change(10_000, Level::Elevated));
        b.observe(&change(20_000, Level::High));
        b.observe(&change(50_000, Level::Elevated));
        b.observe(&change(65_000, Level::Calm));
        let r = b.finish();
        assert_eq!(r.headline.peak_level, Some(Level::High));
        assert_eq!(r.headline.calm_again_after_ms, Some(45_000));
        assert_eq!(r.schema_version, SCHEMA_VERSION);
    }
}

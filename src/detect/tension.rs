//! Customer tension: how far the customer's voice has moved from their own calm baseline,
//! what they say, and how they behave, as a score with reasons a trainer would accept.
//!
//! A person's "loud" is relative, so every acoustic cue is measured against the same
//! customer earlier in the call. The cues and their weights are few and readable:
//! - pitch level, in semitones above the baseline (raised voice);
//! - pitch range, in semitones wider than the baseline (agitated intonation);
//! - loudness, in dB above the baseline (often flattened by a phone line's automatic gain
//!   control, so it carries the least weight);
//! - vocal effort, the high-to-low frequency balance in dB above the baseline (survives gain
//!   control);
//! - escalation words and profanity from the playbook's lexicon;
//! - talking over the agent.
//!
//! Weights were set by measuring on EmoDB (`examples/emodb_auc.rs`, see the README).

use crate::contract::{AcousticDelta, Level};
use crate::playbook::{TensionSettings, TensionWeights};
use crate::signal::pitch::semitones;
use crate::signal::prosody::Prosody;
use std::collections::VecDeque;

/// How far one stretch of speech is from the baseline.
pub fn delta_between(p: &Prosody, base: &Prosody) -> AcousticDelta {
    let pitch_st = match (p.f0_median_hz, base.f0_median_hz) {
        (Some(a), Some(b)) => semitones(a, b),
        _ => 0.0,
    };
    let range_st = match (p.f0_range_st, base.f0_range_st) {
        (Some(a), Some(b)) => a - b,
        _ => 0.0,
    };
    AcousticDelta {
        pitch_st,
        range_st,
        level_db: p.level_db - base.level_db,
        effort_db: p.effort_db - base.effort_db,
        rate_pct: 0.0,
    }
}

/// Raw evidence to a 0..1 score: 1 - e^-x, so evidence adds up but never passes 1.
fn squash(x: f32) -> f32 {
    1.0 - (-x.max(0.0)).exp()
}

/// The acoustic part of the score (0..1) and its reasons, strongest first.
pub fn acoustic_score(d: &AcousticDelta, w: &TensionWeights) -> (f32, Vec<String>) {
    let over = |v: f32| (v - w.dead_zone).max(0.0);
    let parts = [
        (
            w.pitch_per_st * over(d.pitch_st),
            format!("pitch up {:.0} semitones", d.pitch_st),
        ),
        (
            w.range_per_st * over(d.range_st),
            format!("pitch range {:.0} semitones wider", d.range_st),
        ),
        (
            w.level_per_db * over(d.level_db),
            format!("louder by {:.0} dB", d.level_db),
        ),
        (
            w.effort_per_db * over(d.effort_db),
            format!("strained voice (+{:.0} dB effort)", d.effort_db),
        ),
    ];
    let raw: f32 = parts.iter().map(|p| p.0).sum();
    let mut reasons: Vec<(f32, String)> = parts.into_iter().filter(|p| p.0 >= 0.05).collect();
    reasons.sort_by(|a, b| b.0.total_cmp(&a.0));
    (squash(raw), reasons.into_iter().map(|r| r.1).collect())
}

/// A change of tension level, with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelChange {
    pub level: Level,
    pub score: f32,
    pub reason: String,
}

/// What the tracker says about one customer utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct UtteranceTension {
    pub score: f32,
    pub delta: AcousticDelta,
    pub change: Option<LevelChange>,
}

/// The running tension of one customer through a call.
/// The acoustic score at which the voice fully agrees with the words' escalation cues...
const VOICE_AGREES: f32 = 0.3;
/// ...and the share of a cue's weight left when the voice is calm.
const CALM_CUE_SHARE: f32 = 0.35;

/// Earlier utterances a repeated complaint is looked for in: the last few minutes of a
/// customer's talk (a repeat is a complaint coming back, not a word from an hour ago), and a
/// bound on memory and time however long the call.
const SAID_BEFORE: usize = 40;

pub struct TensionTracker {
    cfg: TensionSettings,
    base_frames: u32,
    base: BaselineSums,
    running: f32,
    level: Level,
    /// Onsets of the customer's interruptions of the agent not yet matched to an utterance.
    interruptions: Vec<u64>,
    /// Content words of the customer's most recent utterances (at most `SAID_BEFORE`).
    said_before: VecDeque<Vec<String>>,
    /// Words and seconds of speech in the baseline, for the speaking rate.
    base_words: f32,
    base_secs: f32,
}

/// Words that carry the complaint: four letters or more, not the commonest function words.
fn content_words(text: &str) -> Vec<String> {
    const COMMON: &[&str] = &[
        "that", "this", "with", "have", "will", "what", "there", "their", "they", "them", "then",
        "than", "from", "your", "just", "been", "were", "when", "would", "could", "about",
        "because", "want",
    ];
    let mut words: Vec<String> = crate::contract::text::normalise(text)
        .split(' ')
        .filter(|w| w.len() >= 4 && !COMMON.contains(w))
        .map(str::to_string)
        .collect();
    words.sort();
    words.dedup();
    words
}

#[derive(Default)]
struct BaselineSums {
    level: f64,
    effort: f64,
    frames: f64,
    f0: f64,
    range: f64,
    voiced_frames: f64,
}

impl BaselineSums {
    fn add(&mut self, p: &Prosody) {
        let n = p.frames as f64;
        self.level += p.level_db as f64 * n;
        self.effort += p.effort_db as f64 * n;
        self.frames += n;
        if let (Some(f), Some(r)) = (p.f0_median_hz, p.f0_range_st) {
            self.f0 += f as f64 * n;
            self.range += r as f64 * n;
            self.voiced_frames += n;
        }
    }

    fn get(&self) -> Option<Prosody> {
        (self.frames > 0.0).then(|| Prosody {
            level_db: (self.level / self.frames) as f32,
            effort_db: (self.effort / self.frames) as f32,
            f0_median_hz: (self.voiced_frames > 0.0).then(|| (self.f0 / self.voiced_frames) as f32),
            f0_range_st: (self.voiced_frames > 0.0)
                .then(|| (self.range / self.voiced_frames) as f32),
            voiced_share: 0.0,
            frames: self.frames as u32,
        })
    }
}

impl TensionTracker {
    pub fn new(cfg: &TensionSettings) -> Self {
        TensionTracker {
            cfg: cfg.clone(),
            base_frames: 0,
            base: BaselineSums::default(),
            running: 0.0,
            level: Level::Calm,
            interruptions: Vec::new(),
            said_before: VecDeque::with_capacity(SAID_BEFORE),
            base_words: 0.0,
            base_secs: 0.0,
        }
    }

    pub fn level(&self) -> Level {
        self.level
    }

    /// The customer talked over the agent at `onset_ms`.
    pub fn customer_interrupted(&mut self, onset_ms: u64) {
        self.interruptions.push(onset_ms);
    }

    /// Score a customer utterance and update the running level. `escalation`: the lexicon's
    /// cues in its words, `profane` of which are profanity.
    pub fn utterance(
        &mut self,
        prosody: &Prosody,
        escalation: &[String],
        profane: usize,
        text: &str,
        start_ms: u64,
        end_ms: u64,
    ) -> UtteranceTension {
        let w = &self.cfg.weights;
        let delta = match self.base.get() {
            Some(b) => delta_between(prosody, &b),
            None => AcousticDelta::default(),
        };
        let (acoustic, mut reasons) = acoustic_score(&delta, w);
        let n_words = text.split_whitespace().count() as f32;
        let secs = end_ms.saturating_sub(start_ms) as f32 / 1000.0;
        let mut delta = delta;
        let rate_raw = self.speaking_rate(n_words, secs, &mut delta, &mut reasons);
        let behaviour = self.behaviour(text, start_ms, end_ms);
        let w = &self.cfg.weights;
        // Words in context: "cancel", "manager", "complaint" are also what calm customers
        // say to get things done, so a cue weighs in full only when the voice agrees (or it
        // is profanity); said calmly, it counts for `CALM_CUE_SHARE` of its weight.
        let agreement = (acoustic / VOICE_AGREES).min(1.0);
        let profane = profane.min(escalation.len()).min(2) as f32;
        let routine = (escalation.len().min(2) as f32 - profane).max(0.0);
        let cues = profane + routine * (CALM_CUE_SHARE + (1.0 - CALM_CUE_SHARE) * agreement);
        let raw = -(1.0 - acoustic).ln()
            + rate_raw
            + w.per_escalation_cue * cues
            + if behaviour.interrupting {
                w.interrupting
            } else {
                0.0
            }
            + if behaviour.repeating {
                w.repeating
            } else {
                0.0
            };
        let score = squash(raw);
        if !escalation.is_empty() {
            let said: Vec<String> = escalation
                .iter()
                .take(3)
                .map(|c| format!("'{c}'"))
                .collect();
            reasons.push(format!("said {}", said.join(", ")));
        }
        if behaviour.interrupting {
            reasons.push("talked over the agent".into());
        }
        if behaviour.repeating {
            reasons.push("repeated the complaint".into());
        }
        self.learn_baseline(prosody, escalation, score, n_words, secs);
        let change = self.smooth(score, &reasons);
        UtteranceTension {
            score: (score * 100.0).round() / 100.0,
            delta: AcousticDelta {
                pitch_st: (delta.pitch_st * 10.0).round() / 10.0,
                range_st: (delta.range_st * 10.0).round() / 10.0,
                level_db: (delta.level_db * 10.0).round() / 10.0,
                effort_db: (delta.effort_db * 10.0).round() / 10.0,
                rate_pct: delta.rate_pct.round(),
            },
            change,
        }
    }

    /// Speaking rate against the baseline's: its raw evidence, and `delta.rate_pct`.
    fn speaking_rate(
        &self,
        n_words: f32,
        secs: f32,
        delta: &mut AcousticDelta,
        reasons: &mut Vec<String>,
    ) -> f32 {
        let w = &self.cfg.weights;
        if !(n_words >= 3.0 && secs > 0.5 && self.base_words >= 5.0 && self.base_secs > 0.0) {
            return 0.0;
        }
        let pct = 100.0 * ((n_words / secs) / (self.base_words / self.base_secs) - 1.0);
        delta.rate_pct = pct;
        let rate_raw = w.rate_per_10pct * ((pct - 10.0) / 10.0).max(0.0);
        if rate_raw >= 0.05 {
            reasons.push(format!("speaking {pct:.0}% faster"));
        }
        rate_raw
    }

    /// How the customer behaved in this utterance: talked over the agent, repeated an
    /// earlier complaint.
    fn behaviour(&mut self, text: &str, start_ms: u64, end_ms: u64) -> Behaviour {
        let interrupting = self
            .interruptions
            .iter()
            .any(|&o| o + 200 >= start_ms && o <= end_ms);
        self.interruptions.retain(|&o| o > end_ms);
        let words = content_words(text);
        let repeating = words.len() >= 3
            && self.said_before.iter().any(|before| {
                words.iter().filter(|w| before.contains(w)).count() * 2 >= words.len()
            });
        if self.said_before.len() == SAID_BEFORE {
            self.said_before.pop_front();
        }
        self.said_before.push_back(words);
        Behaviour {
            interrupting,
            repeating,
        }
    }

    /// The first calm stretch becomes the baseline: the first utterance always (there is
    /// nothing to compare it with), then those without escalation until it is long enough.
    fn learn_baseline(
        &mut self,
        prosody: &Prosody,
        escalation: &[String],
        score: f32,
        n_words: f32,
        secs: f32,
    ) {
        let first = self.base_frames == 0;
        if first
            || (self.base_frames < self.cfg.baseline_ms / 10
                && escalation.is_empty()
                && score < self.cfg.elevated_on)
        {
            self.base.add(prosody);
            self.base_frames += prosody.frames.max(1);
            if n_words >= 3.0 {
                self.base_words += n_words;
                self.base_secs += secs;
            }
        }
    }

    /// Move the running score towards this utterance's, and the level with hysteresis.
    fn smooth(&mut self, score: f32, reasons: &[String]) -> Option<LevelChange> {
        let alpha = if score > self.running {
            self.cfg.rise
        } else {
            self.cfg.fall
        };
        self.running += alpha * (score - self.running);
        let r = self.running;
        let next = match self.level {
            Level::Calm if r >= self.cfg.high_on => Level::High,
            Level::Calm if r >= self.cfg.elevated_on => Level::Elevated,
            Level::Elevated if r >= self.cfg.high_on => Level::High,
            Level::Elevated if r < self.cfg.elevated_off => Level::Calm,
            Level::High if r < self.cfg.elevated_off => Level::Calm,
            Level::High if r < self.cfg.high_off => Level::Elevated,
            l => l,
        };
        (next != self.level).then(|| {
            let reason = if next < self.level || reasons.is_empty() {
                "the customer sounds calmer".to_string()
            } else {
                reasons.join(", ")
            };
            self.level = next;
            LevelChange {
                level: next,
                score: (r * 100.0).round() / 100.0,
                reason,
            }
        })
    }
}

/// What the customer did in one utterance, besides how they sounded and what they said.
struct Behaviour {
    interrupting: bool,
    repeating: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voice(f0: f32, range: f32, level: f32, effort: f32) -> Prosody {
        Prosody {
            level_db: level,
            f0_median_hz: Some(f0),
            f0_range_st: Some(range),
            effort_db: effort,
            voiced_share: 0.6,
            frames: 300,
        }
    }

    #[test]
    fn rises_through_the_levels_with_reasons_and_calms_down() {
        let mut t = TensionTracker::new(&TensionSettings::default());
        let calm = voice(200.0, 4.0, -25.0, -12.0);
        let lines = [
            "my order has not arrived",
            "the parcel tracking shows nothing",
            "please check the address",
        ];
        for k in 0..3 {
            let u = t.utterance(&calm, &[], 0, lines[k as usize], k * 4000, k * 4000 + 3000);
            assert!(u.change.is_none() && u.score < 0.1, "{u:?}");
        }
        let angry = voice(260.0, 7.0, -19.0, -8.0);
        let mut levels = Vec::new();
        for k in 3..6 {
            let u = t.utterance(
                &angry,
                &["unacceptable".to_string()],
                0,
                "this is unacceptable",
                k * 4000,
                k * 4000 + 3000,
            );
            if let Some(c) = u.change {
                levels.push(c.level);
                assert!(
                    c.reason.contains("pitch up") && c.reason.contains("'unacceptable'"),
                    "{}",
                    c.reason
                );
            }
        }
        assert_eq!(levels.last(), Some(&Level::High), "{levels:?}");
        for k in 6..12 {
            t.utterance(&calm, &[], 0, "fine", k * 4000, k * 4000 + 3000);
        }
        assert_eq!(t.level(), Level::Calm);
    }

    #[test]
    fn repeating_the_complaint_counts_and_says_so() {
        let mut t = TensionTracker::new(&TensionSettings::default());
        let calm = voice(200.0, 4.0, -25.0, -12.0);
        let first = t.utterance(
            &calm,
            &[],
            0,
            "My parcel never arrived and the tracking page shows nothing.",
            0,
            3000,
        );
        let other = t.utterance(&calm, &[], 0, "I ordered shoes last Tuesday.", 4000, 6000);
        let again = t.utterance(
            &calm,
            &[],
            0,
            "As I said, the parcel never arrived, the tracking shows nothing!",
            7000,
            10000,
        );
        assert!(
            again.score > other.score && again.score > first.score,
            "{again:?}"
        );
    }

    #[test]
    fn memory_of_what_was_said_stays_bounded_on_a_long_call() {
        let mut t = TensionTracker::new(&TensionSettings::default());
        let calm = voice(200.0, 4.0, -25.0, -12.0);
        for k in 0..2000u64 {
            let text = format!("reference number {k} checked against account {}", k * 7);
            t.utterance(&calm, &[], 0, &text, k * 4000, k * 4000 + 3000);
        }
        assert_eq!(t.said_before.len(), SAID_BEFORE);
    }

    #[test]
    fn a_calm_routine_request_with_cancel_or_manager_stays_calm() {
        let lx = crate::playbook::Lexicon::default();
        let mut t = TensionTracker::new(&TensionSettings::default());
        let calm = voice(200.0, 4.0, -25.0, -12.0);
        let lines = [
            "Hello, I'm calling about my account.",
            "I'd like to cancel my order please.",
            "Can I speak to a manager about my bill?",
            "I want to cancel the subscription and speak to a manager.",
        ];
        let mut at = 0;
        for line in lines {
            let cues = crate::detect::cues::find(&lx, line);
            // At an ordinary pace: 2.5 words a second.
            let ms = line.split_whitespace().count() as u64 * 400;
            let u = t.utterance(&calm, &cues.escalation, 0, line, at, at + ms);
            assert!(u.change.is_none(), "{line}: {u:?}");
            at += ms + 1000;
        }
        assert_eq!(t.level(), Level::Calm);
        // The same words with a raised voice do count.
        let angry = voice(250.0, 7.0, -19.0, -8.0);
        let line = "I want to cancel, get me a manager!";
        let cues = crate::detect::cues::find(&lx, line);
        t.utterance(&angry, &cues.escalation, 0, line, at, at + 3200);
        assert_ne!(t.level(), Level::Calm);
    }
}

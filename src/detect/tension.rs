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
//!
//! The baseline is the customer's calmest-sounding speech, not simply their first: it is
//! learnt from utterances that do not sound tense against it, keeps adapting slowly (older
//! speech fades), starts again from an utterance against which the baseline itself would
//! sound tense (a customer who opened angry), and starts anew when another voice takes the
//! line: pitch moving far more than vocal effort does, where a tense voice raises both.
//! Nothing is assumed about how a calm voice sounds in absolute terms: vocal effort and
//! level depend on the microphone and the line (on the repository's recordings a calm
//! voice measures -14 to -6 dB effort), so a fixed reference would read some lines as tense
//! from the first word.

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

/// Whether speech this far from a baseline is another voice than the baseline's: its pitch
/// moved far more than its vocal effort (a tense voice raises both).
fn another_voice_than(d: &AcousticDelta) -> bool {
    d.pitch_st.abs() >= NEW_VOICE_PITCH_ST
        && d.effort_db < NEW_VOICE_EFFORT_PER_ST * d.pitch_st.abs() - NEW_VOICE_EFFORT_SLACK_DB
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

/// Speech the baseline remembers once full: older speech fades out in proportion, so the
/// baseline follows a caller who settles over a long call, and its state stays bounded.
const BASELINE_MEMORY_FRAMES: f64 = 3000.0;
/// Speech an utterance needs for the baseline to start again from it (it sounds calmer
/// than the baseline): a second and a half, with a pitch.
const RESTART_MIN_FRAMES: u32 = 150;
/// Words an utterance needs for its speaking rate to count (twice as many in the baseline).
const RATE_MIN_WORDS: f32 = 8.0;
/// Speech an utterance needs before it is looked at mid-way (`during`): a second.
const SOUNDING_MIN_FRAMES: u32 = 100;
/// What one look adds to the opening baseline, and how many looks at calm utterances it
/// needs before utterances are looked at mid-way (three: a calm utterance of 3 s).
const LOOK_WEIGHT_FRAMES: u32 = 100;
const OPENING_MIN_FRAMES: f64 = 3.0 * LOOK_WEIGHT_FRAMES as f64;
/// Looks at one utterance kept to learn from at its end (a long utterance's first ones).
const SOUNDED_KEPT: usize = 30;
/// Once the baseline is full it adapts only to speech this close to it (score): a customer
/// growing tense step by step must not carry the baseline up with them.
const ADAPT_BELOW: f32 = 0.1;
/// Another voice: pitch moved at least this far from the baseline (semitones; a woman and a
/// man on one line differ by about an octave, 12)...
const NEW_VOICE_PITCH_ST: f32 = 6.0;
/// ...while vocal effort rose less than this share of it (dB per semitone, less
/// `NEW_VOICE_EFFORT_SLACK_DB`): on EmoDB an angry voice raised its pitch 7-10 semitones and
/// its effort 4-6 dB; a voice of the other sex differs by 8-15 semitones at -2..+3 dB.
const NEW_VOICE_EFFORT_PER_ST: f32 = 0.35;
const NEW_VOICE_EFFORT_SLACK_DB: f32 = 1.5;
/// Voiced speech the baseline needs before a pitch jump can be told to be another voice.
const NEW_VOICE_MIN_VOICED_FRAMES: f64 = 100.0;

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
    /// An utterance in a voice unlike the baseline's, waiting for a second like it.
    voice_candidate: Option<Prosody>,
    /// The parts heard so far of the customer's calm utterances (see `during`).
    opening: BaselineSums,
    /// What `during` saw of the utterance going on.
    sounded: Vec<Prosody>,
    /// The running score before `during` raised it in the utterance going on.
    provisional_from: Option<f32>,
    /// Where the utterance `during` looks at began (ms).
    sounding_start: Option<u64>,
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
    /// Fade the remembered speech so that, with `incoming` frames added, it holds at most
    /// `BASELINE_MEMORY_FRAMES`.
    fn fade_for(&mut self, incoming: f64) {
        let total = self.frames + incoming;
        if total > BASELINE_MEMORY_FRAMES && self.frames > 0.0 {
            let keep = ((BASELINE_MEMORY_FRAMES - incoming) / self.frames).clamp(0.0, 1.0);
            self.level *= keep;
            self.effort *= keep;
            self.frames *= keep;
            self.f0 *= keep;
            self.range *= keep;
            self.voiced_frames *= keep;
        }
    }

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
            voice_candidate: None,
            opening: BaselineSums::default(),
            sounded: Vec::with_capacity(SOUNDED_KEPT),
            provisional_from: None,
            sounding_start: None,
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
        let voice = self.which_voice(prosody);
        let new_voice = voice == Voice::New;
        let w = &self.cfg.weights;
        let delta = match self.base.get() {
            // A voice not yet known to be another: how it sounds is not measured against
            // someone else's baseline (its words still count).
            Some(_) if voice == Voice::Unsure => AcousticDelta::default(),
            Some(b) => delta_between(prosody, &b),
            None => AcousticDelta::default(),
        };
        let (acoustic, mut reasons) = acoustic_score(&delta, w);
        if new_voice {
            reasons.insert(
                0,
                "another voice on the line (its own baseline starts anew)".into(),
            );
        }
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
        if voice != Voice::Unsure {
            self.learn_baseline(prosody, escalation, acoustic, n_words, secs);
        }
        let change = self.settle(voice, score, &reasons);
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

    /// The level after an utterance's end, from its `score`.
    fn settle(&mut self, voice: Voice, score: f32, reasons: &[String]) -> Option<LevelChange> {
        self.sounded.clear();
        self.sounding_start = None;
        let raised_mid_way = self.provisional_from.take().map(|before| {
            self.running = before;
            self.level
        });
        // Speech not measured (a voice not yet known to be another) says nothing of calming
        // down: it may raise the level (its words), never lower it.
        let change = if voice == Voice::Unsure && score <= self.running {
            None
        } else {
            self.smooth(score, reasons)
        };
        // A level raised part-way through this utterance is not taken back at its end (the
        // whole of it measured against whole utterances may read lower): it eases off on the
        // customer's next utterances, as any level does.
        match (change, raised_mid_way) {
            (Some(c), Some(was)) if c.level < was => {
                self.level = was;
                None
            }
            (c, _) => c,
        }
    }

    /// How the customer's utterance going on sounds so far: the level may rise on it (never
    /// fall: the utterance's end decides that), so a voice rising in a long utterance shows
    /// within a second or two. The part heard so far is measured against the same parts of
    /// the customer's calm utterances (`opening`), not against whole ones: a phrase starts
    /// higher and louder than it ends, so the first seconds of any utterance would read as
    /// raised. Words, rate and behaviour wait for the utterance's end, and neither
    /// baseline learns from it until then.
    pub fn during(&mut self, start_ms: u64, prosody: &Prosody) -> Option<LevelChange> {
        if self.sounding_start != Some(start_ms) {
            // Another utterance: the looks at one that never reached `utterance` (too short
            // to be one) are forgotten, and so is its rise.
            self.sounding_start = Some(start_ms);
            self.sounded.clear();
            self.provisional_from = None;
        }
        if self.sounded.len() < SOUNDED_KEPT {
            self.sounded.push(*prosody);
        }
        if self.opening.frames < OPENING_MIN_FRAMES || prosody.frames < SOUNDING_MIN_FRAMES {
            return None;
        }
        let b = self.opening.get()?;
        let d = delta_between(prosody, &b);
        if prosody.f0_median_hz.is_none()
            || another_voice_than(&d)
            || self.voice_candidate.is_some()
        {
            return None;
        }
        let (score, reasons) = acoustic_score(&d, &self.cfg.weights);
        // Part of an utterance is little speech to judge on: its cues must agree (two or
        // more), where one alone (a pitch jump, which may be an octave error) waits for
        // the end.
        if score <= self.running || reasons.len() < 2 {
            return None;
        }
        // Provisional: the utterance's end starts again from the running score before it,
        // so the same speech does not count twice.
        self.provisional_from.get_or_insert(self.running);
        self.smooth(score, &reasons)
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
        // A rate from a handful of words is noise ("speaking 100% faster" for five quick
        // words): the utterance and the baseline both need enough of them.
        if !(n_words >= RATE_MIN_WORDS
            && secs >= 2.0
            && self.base_words >= 2.0 * RATE_MIN_WORDS
            && self.base_secs > 0.0)
        {
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

    /// Whether this utterance is the baseline's voice. One utterance unlike it (pitch moved
    /// by `NEW_VOICE_PITCH_ST` or more, vocal effort far less than a tense voice's would) is
    /// `Unsure`: people do read a line in another voice. A second one like the first is
    /// another voice taking the line: the baseline starts anew from the two.
    fn which_voice(&mut self, prosody: &Prosody) -> Voice {
        let unlike = |b: &Prosody, base_voiced: f64| {
            if base_voiced < NEW_VOICE_MIN_VOICED_FRAMES || prosody.f0_median_hz.is_none() {
                return false;
            }
            another_voice_than(&delta_between(prosody, b))
        };
        let Some(b) = self.base.get() else {
            return Voice::Same;
        };
        if !unlike(&b, self.base.voiced_frames) {
            self.voice_candidate = None;
            return Voice::Same;
        }
        let like_candidate = self.voice_candidate.is_some_and(|c| {
            let d = delta_between(prosody, &c);
            d.pitch_st.abs() < NEW_VOICE_PITCH_ST / 2.0
        });
        match self.voice_candidate.take() {
            Some(c) if like_candidate => {
                self.restart_baseline();
                self.base.add(&c);
                self.base_frames = c.frames.max(1);
                Voice::New
            }
            _ => {
                self.voice_candidate = Some(*prosody);
                Voice::Unsure
            }
        }
    }

    fn restart_baseline(&mut self) {
        self.base = BaselineSums::default();
        self.opening = BaselineSums::default();
        self.base_frames = 0;
        self.base_words = 0.0;
        self.base_secs = 0.0;
    }

    /// Learn the baseline from the customer's calmest-sounding speech: the first utterance
    /// (there is nothing to compare it with), then those that sound calm against it. When
    /// the baseline itself would sound tense against this utterance (at `elevated_on` or
    /// more), it was learnt from tense speech: it starts again from this one.
    ///
    /// Whether an utterance sounds calm is its `acoustic` score: the baseline is how the
    /// voice sounds, so a calm-sounding utterance that repeats an earlier complaint or is
    /// quick with its words still teaches it (words of escalation keep it out).
    fn learn_baseline(
        &mut self,
        prosody: &Prosody,
        escalation: &[String],
        acoustic: f32,
        n_words: f32,
        secs: f32,
    ) {
        // Judged on the voice (pitch, range, effort), not on loudness: a customer who moves
        // away from the microphone is not calmer.
        // One short sound ("mm", a cough) is too little to start the baseline again on.
        let enough = prosody.f0_median_hz.is_some() && prosody.frames >= RESTART_MIN_FRAMES;
        let calmer = enough
            && self.base.get().is_some_and(|b| {
                let d = AcousticDelta {
                    level_db: 0.0,
                    ..delta_between(&b, prosody)
                };
                acoustic_score(&d, &self.cfg.weights).0 >= self.cfg.elevated_on
            });
        if calmer {
            self.restart_baseline();
        }
        let learning = self.base_frames < self.cfg.baseline_ms / 10;
        let sounds_calm = escalation.is_empty()
            && acoustic
                < if learning {
                    self.cfg.elevated_on
                } else {
                    ADAPT_BELOW
                };
        if self.base_frames == 0 || sounds_calm {
            // Once the baseline is full, older speech fades as new calm speech comes in.
            self.base.fade_for(prosody.frames as f64);
            self.base.add(prosody);
            // Each look weighs the same (a long utterance's later looks hold all its earlier
            // ones), so the opening holds the parts heard, not the whole utterances again.
            for p in &self.sounded {
                let look = Prosody {
                    frames: LOOK_WEIGHT_FRAMES,
                    ..*p
                };
                self.opening.fade_for(look.frames as f64);
                self.opening.add(&look);
            }
            self.base_frames = self.base_frames.saturating_add(prosody.frames.max(1));
            if n_words >= 3.0 {
                self.base_words += n_words;
                self.base_secs += secs;
                // The rate fades like the rest of the baseline: the last minute of it.
                if self.base_secs > 60.0 {
                    self.base_words *= 60.0 / self.base_secs;
                    self.base_secs = 60.0;
                }
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

/// Whose voice an utterance is, against the baseline's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Voice {
    Same,
    /// Unlike the baseline's voice, once: not yet known to be another.
    Unsure,
    /// Another voice took the line (its second utterance): the baseline starts anew.
    New,
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

    /// Utterances of 3 s without words, one every 4 s, for tests of the voice alone.
    fn wordless_utterances() -> impl FnMut(&mut TensionTracker, &Prosody) -> UtteranceTension {
        let mut at = 0;
        move |t, p| {
            at += 4000;
            t.utterance(p, &[], 0, "", at, at + 3000)
        }
    }

    #[test]
    fn a_customer_angry_from_the_first_word_is_not_their_own_baseline() {
        let mut t = TensionTracker::new(&TensionSettings::default());
        let angry = voice(260.0, 7.0, -19.0, -7.0);
        let calm = voice(200.0, 4.0, -25.0, -12.0);
        let mut say = wordless_utterances();
        for _ in 0..3 {
            say(&mut t, &angry);
        }
        // The first calm words show the opening was not this customer's calm.
        assert!(say(&mut t, &calm).score < 0.1);
        let again = say(&mut t, &angry);
        assert!(again.score >= 0.6, "{again:?}");
        assert!(
            again
                .change
                .as_ref()
                .is_some_and(|c| c.reason.contains("pitch up")),
            "{again:?}"
        );
    }

    #[test]
    fn another_voice_on_the_line_starts_its_own_baseline() {
        let mut t = TensionTracker::new(&TensionSettings::default());
        let man = voice(110.0, 5.0, -25.0, -12.0);
        let woman = voice(220.0, 5.0, -24.0, -11.5);
        let mut say = wordless_utterances();
        for _ in 0..3 {
            say(&mut t, &man);
        }
        // An octave higher at the same effort: another person, not a raised voice.
        for k in 0..4 {
            let u = say(&mut t, &woman);
            assert!(u.score < 0.1 && u.change.is_none(), "utterance {k}: {u:?}");
        }
        assert_eq!(t.level(), Level::Calm);
        // Her own tension is measured against her own calm.
        let tense = say(&mut t, &voice(290.0, 8.0, -19.0, -6.5));
        let change = tense.change.clone().expect("a level change");
        assert!(
            tense.delta.pitch_st > 4.0 && tense.delta.pitch_st < 6.0,
            "{tense:?}"
        );
        assert!(change.level >= Level::Elevated, "{change:?}");
    }

    #[test]
    fn a_raised_voice_is_not_taken_for_another_voice() {
        let mut t = TensionTracker::new(&TensionSettings::default());
        let calm = voice(110.0, 5.0, -25.0, -12.0);
        for k in 0..3 {
            t.utterance(&calm, &[], 0, "", k * 4000, k * 4000 + 3000);
        }
        // 8 semitones up with the effort of a strained voice: the same person, shouting.
        let u = t.utterance(&voice(175.0, 8.0, -18.0, -6.0), &[], 0, "", 12000, 15000);
        assert!(u.delta.pitch_st > 7.0 && u.score >= 0.6, "{u:?}");
    }

    #[test]
    fn the_baseline_keeps_adapting_within_a_bounded_memory() {
        let mut t = TensionTracker::new(&TensionSettings::default());
        for k in 0..500u64 {
            // The line's level drifts down 2 dB over the call; the voice stays calm.
            let level = -25.0 - 2.0 * k as f32 / 500.0;
            t.utterance(
                &voice(200.0, 4.0, level, -12.0),
                &[],
                0,
                "",
                k * 4000,
                k * 4000 + 3000,
            );
        }
        assert!(
            t.base.frames <= BASELINE_MEMORY_FRAMES + 1.0,
            "{}",
            t.base.frames
        );
        let level = t.base.get().unwrap().level_db;
        assert!(level < -26.0, "the baseline followed the drift: {level}");
    }

    #[test]
    fn a_long_utterance_rises_before_it_ends_when_its_cues_agree() {
        let mut t = TensionTracker::new(&TensionSettings::default());
        let calm = voice(200.0, 4.0, -25.0, -12.0);
        // Calm utterances, looked at once a second as the engine does: the baseline for
        // the parts heard so far.
        for k in 0..4u64 {
            for s in 1..=3 {
                let part = Prosody {
                    frames: 100 * s,
                    ..voice(205.0, 4.0, -24.0, -12.0)
                };
                assert!(t.during(k * 5000, &part).is_none());
            }
            t.utterance(&calm, &[], 0, "", k * 5000, k * 5000 + 4000);
        }
        // One cue alone, mid-way (a pitch jump): waits for the end.
        let pitch_only = Prosody {
            frames: 150,
            ..voice(290.0, 4.0, -24.0, -12.0)
        };
        assert!(t.during(20000, &pitch_only).is_none());
        // Raised and strained: the level rises a second and a half in.
        let tense = Prosody {
            frames: 150,
            ..voice(270.0, 6.0, -18.0, -7.0)
        };
        let change = t.during(20000, &tense).expect("a rise mid-utterance");
        assert!(change.level >= Level::Elevated, "{change:?}");
        // The utterance's end is scored as ever.
        let end = t.utterance(&voice(265.0, 6.0, -18.0, -7.0), &[], 0, "", 20000, 24000);
        assert!(end.score >= 0.6, "{end:?}");
    }
}

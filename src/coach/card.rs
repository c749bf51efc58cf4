//! The post-call card: what the coach noticed over the call, folded into one thing that went
//! well and one to try next time, each tied to the evidence. Behaviour only: talk-overs,
//! acknowledgements, talk share, monologues, pace, silences; never the agent's emotions.

use crate::contract::time::clock;
use crate::contract::{CallCard, CallSummary, CardPoint, Event, EventBody, Level, Speaker};
use crate::playbook::CardTexts;

/// What the card needs from the call's events, gathered as they pass.
#[derive(Debug, Default, Clone)]
pub struct CardNotes {
    /// Who spoke last (speech start), to count the agent taking the floor from the customer.
    last_speaker: Option<Speaker>,
    agent_turns: u32,
    talk_overs: Vec<u64>,
    upset_at: Option<u64>,
    acknowledged: Vec<String>,
    calm_again: bool,
    level: Option<Level>,
    fastest_wpm: Option<f32>,
    prompts: u32,
}

impl CardNotes {
    pub fn observe(&mut self, e: &Event) {
        match &e.body {
            EventBody::SpeechStart { speaker, .. } => {
                if *speaker == Speaker::Agent && self.last_speaker == Some(Speaker::Customer) {
                    self.agent_turns += 1;
                }
                self.last_speaker = Some(*speaker);
            }
            EventBody::Interruption {
                by: Speaker::Agent,
                onset_ms,
                ..
            } => self.talk_overs.push(*onset_ms),
            EventBody::InterruptionWithdrawn {
                by: Speaker::Agent,
                onset_ms,
                ..
            } => self.talk_overs.retain(|t| t != onset_ms),
            EventBody::Tension { level, .. } => {
                let before = self.level.unwrap_or(Level::Calm);
                if *level > before && self.upset_at.is_none() {
                    self.upset_at = Some(e.t_ms);
                }
                if *level == Level::Calm && self.upset_at.is_some() {
                    self.calm_again = true;
                } else if *level > Level::Calm {
                    self.calm_again = false;
                }
                self.level = Some(*level);
            }
            EventBody::Utterance(u) if u.speaker == Speaker::Agent && self.upset_at.is_some() => {
                if let Some(phrase) = u.features.cues.empathy.first() {
                    self.acknowledged.push(phrase.clone());
                }
            }
            EventBody::Metrics {
                agent_wpm: Some(w), ..
            } => {
                self.fastest_wpm = Some(self.fastest_wpm.map_or(*w, |f| f.max(*w)));
            }
            EventBody::Prompt { .. } => self.prompts += 1,
            _ => {}
        }
    }

    /// The card, from these notes and the call's summary.
    pub fn card(
        &self,
        s: &CallSummary,
        duration_ms: u64,
        texts: &CardTexts,
        pace_max: f32,
    ) -> CallCard {
        let agent_turns = self.agent_turns.max(self.talk_overs.len() as u32);
        let let_finish = agent_turns - self.talk_overs.len() as u32;
        CallCard {
            went_well: self.went_well(s, texts, agent_turns, let_finish),
            try_next: self.try_next(s, texts, pace_max),
            duration_ms,
            agent_talk_share: s.agent_talk_share,
            talk_overs: self.talk_overs.len() as u32,
            agent_turns,
            let_finish,
            longest_agent_monologue_ms: monologue_ms(s),
            dead_air_ms: s.dead_air_ms,
            upset_at_ms: self.upset_at,
            acknowledged_after_upset: self.acknowledged.len() as u32,
            calm_again: self.calm_again,
            prompts: self.prompts,
        }
    }

    fn went_well(&self, s: &CallSummary, t: &CardTexts, turns: u32, finished: u32) -> CardPoint {
        if let (Some(at), Some(phrase)) = (self.upset_at, self.acknowledged.first()) {
            return point(
                "acknowledged",
                &t.acknowledged,
                &[("{phrase}", phrase.clone()), ("{time}", clock(at))],
                format!(
                    "the customer's tension rose at {}; you said '{phrase}'",
                    clock(at)
                ),
            );
        }
        if let (Some(at), true) = (self.upset_at, self.calm_again) {
            return point(
                "calmed",
                &t.calmed,
                &[("{time}", clock(at))],
                format!(
                    "tension rose at {} and was back to calm by the end",
                    clock(at)
                ),
            );
        }
        if turns >= 2 && finished * 5 >= turns * 4 {
            return point(
                "let_finish",
                &t.let_finish,
                &[("{n}", finished.to_string()), ("{m}", turns.to_string())],
                format!("{} talk-overs in {turns} turns you took", turns - finished),
            );
        }
        if let Some(share) = s.agent_talk_share.filter(|x| (0.3..=0.6).contains(x)) {
            let pct = format!("{:.0}", share * 100.0);
            return point(
                "balanced",
                &t.balanced,
                &[("{share}", pct.clone())],
                format!("your share of the talk: {pct}%"),
            );
        }
        point(
            "steady",
            &t.steady,
            &[],
            "no talk-overs or long silences stood out".into(),
        )
    }

    fn try_next(&self, s: &CallSummary, t: &CardTexts, pace_max: f32) -> CardPoint {
        if let (Some(at), true) = (self.upset_at, self.acknowledged.is_empty()) {
            return point(
                "acknowledge_first",
                &t.acknowledge_first,
                &[("{time}", clock(at))],
                format!(
                    "tension rose at {}; none of your words after it named a feeling",
                    clock(at)
                ),
            );
        }
        if let Some(&first) = self.talk_overs.first() {
            let n = self.talk_overs.len();
            return point(
                "talk_over",
                &t.talk_over,
                &[("{n}", n.to_string()), ("{time}", clock(first))],
                format!("{n} talk-overs, at {}", times(&self.talk_overs)),
            );
        }
        let mono = monologue_ms(s);
        if mono >= 30_000 {
            let secs = (mono / 1000).to_string();
            return point(
                "monologue",
                &t.monologue,
                &[("{secs}", secs.clone())],
                format!("you held the floor for {secs} s without the customer speaking"),
            );
        }
        if let Some(share) = s.agent_talk_share.filter(|x| *x > 0.7) {
            let pct = format!("{:.0}", share * 100.0);
            return point(
                "talk_share",
                &t.talk_share,
                &[("{share}", pct.clone())],
                format!("your share of the talk: {pct}%"),
            );
        }
        if let Some(gap) = s.dead_air.iter().max_by_key(|g| g.end_ms - g.start_ms) {
            let secs = ((gap.end_ms - gap.start_ms) / 1000).to_string();
            return point(
                "dead_air",
                &t.dead_air,
                &[("{secs}", secs.clone()), ("{time}", clock(gap.start_ms))],
                format!("nobody spoke for {secs} s from {}", clock(gap.start_ms)),
            );
        }
        if let Some(w) = self.fastest_wpm.filter(|w| *w > pace_max) {
            let wpm = format!("{w:.0}");
            return point(
                "pace",
                &t.pace,
                &[("{wpm}", wpm.clone())],
                format!("{wpm} words a minute of your speech, over a minute"),
            );
        }
        point(
            "keep_going",
            &t.keep_going,
            &[],
            "nothing to change stood out".into(),
        )
    }
}

fn monologue_ms(s: &CallSummary) -> u64 {
    s.longest_agent_monologue
        .map_or(0, |m| m.end_ms - m.start_ms)
}

fn times(at: &[u64]) -> String {
    at.iter().map(|&t| clock(t)).collect::<Vec<_>>().join(", ")
}

fn point(kind: &str, template: &str, fill: &[(&str, String)], evidence: String) -> CardPoint {
    let mut text = template.to_string();
    for (k, v) in fill {
        text = text.replace(k, v);
    }
    CardPoint {
        kind: kind.to_string(),
        text,
        evidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{Utterance, UtteranceFeatures};

    fn ev(t: u64, body: EventBody) -> Event {
        Event::new(t, body)
    }

    fn start(t: u64, s: Speaker) -> Event {
        ev(
            t,
            EventBody::SpeechStart {
                speaker: s,
                start_ms: t,
            },
        )
    }

    #[test]
    fn an_unacknowledged_upset_is_what_to_try_and_listening_what_went_well() {
        let mut n = CardNotes::default();
        for k in 0..6 {
            n.observe(&start(k * 10_000, Speaker::Customer));
            n.observe(&start(k * 10_000 + 5_000, Speaker::Agent));
        }
        n.observe(&ev(
            192_000,
            EventBody::Tension {
                level: Level::Elevated,
                score: 0.5,
                reason: "louder".into(),
            },
        ));
        let card = n.card(
            &CallSummary::default(),
            300_000,
            &CardTexts::default(),
            170.0,
        );
        assert_eq!(card.went_well.kind, "let_finish");
        assert_eq!(
            card.went_well.text,
            "You let the customer finish 6 of 6 times."
        );
        assert_eq!(card.try_next.kind, "acknowledge_first");
        assert!(
            card.try_next.text.contains("03:12.0"),
            "{}",
            card.try_next.text
        );
        assert_eq!(card.upset_at_ms, Some(192_000));
    }

    #[test]
    fn an_acknowledgement_after_the_upset_is_praised_with_its_words() {
        let mut n = CardNotes::default();
        n.observe(&ev(
            10_000,
            EventBody::Tension {
                level: Level::High,
                score: 0.7,
                reason: "x".into(),
            },
        ));
        let mut features = UtteranceFeatures::default();
        features.cues.empathy = vec!["i'm sorry".into()];
        n.observe(&ev(
            12_000,
            EventBody::Utterance(Utterance {
                speaker: Speaker::Agent,
                start_ms: 11_000,
                end_ms: 12_000,
                text: "I'm sorry".into(),
                words: vec![],
                tension: None,
                features,
            }),
        ));
        let card = n.card(
            &CallSummary::default(),
            60_000,
            &CardTexts::default(),
            170.0,
        );
        assert_eq!(card.went_well.kind, "acknowledged");
        assert!(card.went_well.text.contains("i'm sorry"));
        assert_ne!(card.try_next.kind, "acknowledge_first");
        assert_eq!(card.acknowledged_after_upset, 1);
    }
}

//! The coach: turns what the detectors notice into prompts for the agent, by the playbook's
//! rules. It runs on the ordered event stream (after transcripts are in place), so the same
//! call always gets the same prompts at the same moments.

pub mod card;

use crate::contract::time::clock;
use crate::contract::{
    CallCard, CallSummary, Category, Event, EventBody, Level, Speaker, Utterance,
};
use crate::playbook::{CardTexts, CoachSettings, Playbook, Rule, Rules};
use card::CardNotes;
use std::collections::{HashMap, VecDeque};

pub struct Coach {
    rules: Rules,
    cfg: CoachSettings,
    /// The prompt on screen: (kind, priority, shown at).
    showing: Option<(&'static str, u8, u64)>,
    last_fired: HashMap<&'static str, u64>,
    fired: VecDeque<u64>,
    total: u32,
    /// Recent talk-overs by the agent: (reported at, onset).
    talk_overs: VecDeque<(u64, u64)>,
    /// The talk-over prompt on screen came from the interruption with this onset.
    talk_over_shown: Option<u64>,
    tension: Level,
    /// Tension rose at this time and the agent has not spoken since.
    awaiting_acknowledgement: Option<u64>,
    /// What the post-call card will say.
    notes: CardNotes,
    card_texts: CardTexts,
}

impl Coach {
    pub fn new(playbook: &Playbook) -> Coach {
        Coach {
            rules: playbook.rules.clone(),
            cfg: playbook.coach.clone(),
            showing: None,
            last_fired: HashMap::new(),
            fired: VecDeque::new(),
            total: 0,
            talk_overs: VecDeque::new(),
            talk_over_shown: None,
            tension: Level::Calm,
            awaiting_acknowledgement: None,
            notes: CardNotes::default(),
            card_texts: playbook.card.clone(),
        }
    }

    /// Look at one event (in stream order); prompts and clears go to `out`.
    pub fn observe(&mut self, e: &Event, out: &mut Vec<Event>) {
        self.notes.observe(e);
        let now = e.t_ms;
        if let Some((kind, _, at)) = self.showing
            && now >= at + self.cfg.display_ms as u64
        {
            self.showing = None;
            out.push(Event::new(
                now,
                EventBody::PromptCleared {
                    kind: kind.to_string(),
                },
            ));
        }
        match &e.body {
            EventBody::Interruption {
                by: Speaker::Agent,
                onset_ms,
                cut_off,
                ..
            } => self.talked_over(*onset_ms, *cut_off, now, out),
            EventBody::InterruptionWithdrawn {
                by: Speaker::Agent,
                onset_ms,
                ..
            } => self.talk_over_withdrawn(*onset_ms, now, out),
            EventBody::Tension { level, reason, .. } => {
                self.tension_changed(*level, reason, now, out)
            }
            EventBody::Utterance(u) if u.speaker == Speaker::Agent && !u.text.is_empty() => {
                self.agent_spoke(u, now, out)
            }
            EventBody::Monologue { duration_ms, .. } => {
                let reason = format!("you have held the floor for {} s", duration_ms / 1000);
                self.offer("monologue", Category::Listening, &[], reason, now, out);
            }
            EventBody::DeadAir {
                silence_ms,
                start_ms,
            } => {
                let reason = format!(
                    "{} s of silence since {}",
                    silence_ms / 1000,
                    clock(*start_ms)
                );
                self.offer("dead_air", Category::Listening, &[], reason, now, out);
            }
            EventBody::Metrics {
                agent_talk_share_60s,
                agent_wpm,
                ..
            } => self.listening_metrics(*agent_talk_share_60s, *agent_wpm, now, out),
            _ => {}
        }
    }

    /// The agent talked over the customer: once is a reminder, again soon is a pattern.
    fn talked_over(&mut self, onset_ms: u64, cut_off: bool, now: u64, out: &mut Vec<Event>) {
        self.talk_overs.push_back((now, onset_ms));
        let window = self.cfg.repeated_window_ms as u64;
        while self
            .talk_overs
            .front()
            .is_some_and(|&(t, _)| t + window < now)
        {
            self.talk_overs.pop_front();
        }
        let n = self.talk_overs.len();
        let shown = if n >= self.cfg.repeated_count as usize {
            let reason = format!("{n} talk-overs since {}", clock(self.talk_overs[0].0));
            self.offer(
                "repeated_talk_over",
                Category::Listening,
                &[("{n}", n.to_string())],
                reason,
                now,
                out,
            )
        } else {
            let reason = format!(
                "at {}{}",
                clock(onset_ms),
                if cut_off { ", and they stopped" } else { "" }
            );
            self.offer("talk_over", Category::Listening, &[], reason, now, out)
        };
        if shown {
            self.talk_over_shown = Some(onset_ms);
        }
    }

    /// A talk-over proved to be a backchannel ("mm-hmm, right"): it no longer counts, and a
    /// prompt it put on screen is taken back.
    fn talk_over_withdrawn(&mut self, onset_ms: u64, now: u64, out: &mut Vec<Event>) {
        self.talk_overs.retain(|&(_, onset)| onset != onset_ms);
        if self.talk_over_shown.take() == Some(onset_ms)
            && let Some((kind, _, _)) = self.showing
            && (kind == "talk_over" || kind == "repeated_talk_over")
        {
            self.showing = None;
            // It does not use up the rule's cooldown or the call's prompt budget either.
            self.last_fired.remove(kind);
            self.total = self.total.saturating_sub(1);
            out.push(Event::new(
                now,
                EventBody::PromptCleared {
                    kind: kind.to_string(),
                },
            ));
        }
    }

    /// The customer's tension changed level: high asks for calm, a rise for an
    /// acknowledgement (at the agent's next words), calm again is praised.
    fn tension_changed(&mut self, level: Level, reason: &str, now: u64, out: &mut Vec<Event>) {
        let rose = level > self.tension;
        let eased = level < self.tension;
        self.tension = level;
        if rose {
            self.awaiting_acknowledgement = Some(now);
        }
        if level == Level::High && rose {
            self.offer(
                "tension_high",
                Category::Empathy,
                &[],
                reason.to_string(),
                now,
                out,
            );
        } else if level == Level::Calm && eased {
            self.offer(
                "calmer",
                Category::Reinforcement,
                &[],
                "tension back to calm".into(),
                now,
                out,
            );
        }
    }

    /// The agent's words after tension rose: did they acknowledge it?
    fn agent_spoke(&mut self, u: &Utterance, now: u64, out: &mut Vec<Event>) {
        let Some(since) = self.awaiting_acknowledgement else {
            return;
        };
        if u.features.cues.backchannel {
            // "Mm-hmm", "right": listening noises, neither an acknowledgement of the
            // customer's feelings nor a reply that failed to give one.
            return;
        }
        let rose_at = clock(since);
        if u.features.cues.empathy.is_empty() {
            // Asked for until it gets through (a more urgent prompt or the limits may hold
            // it back), or until the agent acknowledges.
            let reason =
                format!("tension rose at {rose_at}; your words since did not acknowledge it");
            if self.offer("acknowledge", Category::Empathy, &[], reason, now, out) {
                self.awaiting_acknowledgement = None;
            }
        } else {
            self.awaiting_acknowledgement = None;
            let reason = format!(
                "you said '{}' after tension rose",
                u.features.cues.empathy[0]
            );
            self.offer(
                "acknowledged",
                Category::Reinforcement,
                &[],
                reason,
                now,
                out,
            );
        }
    }

    /// The once-a-second metrics: talk share over the last minute, and pace.
    fn listening_metrics(
        &mut self,
        talk_share_60s: Option<f32>,
        agent_wpm: Option<f32>,
        now: u64,
        out: &mut Vec<Event>,
    ) {
        if let Some(share) = talk_share_60s
            && share > self.cfg.talk_share_max
            && now >= self.cfg.talk_share_after_ms as u64
        {
            let reason = format!("you spoke {:.0}% of the last minute", share * 100.0);
            self.offer("talk_share", Category::Listening, &[], reason, now, out);
        }
        if let Some(wpm) = agent_wpm
            && wpm > self.cfg.pace_max_wpm
        {
            let reason = format!("{wpm:.0} words a minute over the last minute");
            self.offer(
                "pace",
                Category::Listening,
                &[("{wpm}", format!("{wpm:.0}"))],
                reason,
                now,
                out,
            );
        }
    }

    fn rule(&self, kind: &str) -> &Rule {
        match kind {
            "talk_over" => &self.rules.talk_over,
            "repeated_talk_over" => &self.rules.repeated_talk_over,
            "talk_share" => &self.rules.talk_share,
            "monologue" => &self.rules.monologue,
            "pace" => &self.rules.pace,
            "dead_air" => &self.rules.dead_air,
            "acknowledge" => &self.rules.acknowledge,
            "tension_high" => &self.rules.tension_high,
            "acknowledged" => &self.rules.acknowledged,
            "calmer" => &self.rules.calmer,
            other => unreachable!("no rule {other}"),
        }
    }

    /// A rule wants to speak: it does if it is on, out of its cooldown, within the limits,
    /// and more urgent than whatever is on screen.
    fn offer(
        &mut self,
        kind: &'static str,
        category: Category,
        fill: &[(&str, String)],
        reason: String,
        now: u64,
        out: &mut Vec<Event>,
    ) -> bool {
        let rule = self.rule(kind).clone();
        if !rule.enabled {
            return false;
        }
        if self
            .last_fired
            .get(kind)
            .is_some_and(|&t| now < t + rule.cooldown_ms as u64)
        {
            return false;
        }
        while self.fired.front().is_some_and(|&t| t + 60_000 <= now) {
            self.fired.pop_front();
        }
        if self.fired.len() >= self.cfg.max_per_minute as usize
            || self.total >= self.cfg.max_per_call
        {
            return false;
        }
        if let Some((shown, priority, _)) = self.showing {
            if priority >= rule.priority {
                return false;
            }
            out.push(Event::new(
                now,
                EventBody::PromptCleared {
                    kind: shown.to_string(),
                },
            ));
        }
        let mut text = rule.text.clone();
        for (k, v) in fill {
            text = text.replace(k, v);
        }
        self.showing = Some((kind, rule.priority, now));
        self.last_fired.insert(kind, now);
        self.fired.push_back(now);
        self.total += 1;
        out.push(Event::new(
            now,
            EventBody::Prompt {
                kind: kind.to_string(),
                category,
                text,
                reason,
                priority: rule.priority,
            },
        ));
        true
    }

    /// End of call: clear what is on screen, and the card for the agent.
    pub fn finish(&mut self, now: u64, summary: &CallSummary, out: &mut Vec<Event>) -> CallCard {
        if let Some((kind, _, _)) = self.showing.take() {
            out.push(Event::new(
                now,
                EventBody::PromptCleared {
                    kind: kind.to_string(),
                },
            ));
        }
        let mut card = self
            .notes
            .card(summary, now, &self.card_texts, self.cfg.pace_max_wpm);
        card.prompts = self.total;
        card
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{Cues, UtteranceFeatures};

    fn kinds(out: &[Event]) -> Vec<String> {
        out.iter()
            .map(|e| match &e.body {
                EventBody::Prompt { kind, .. } => format!("prompt {kind}"),
                EventBody::PromptCleared { kind } => format!("cleared {kind}"),
                other => format!("{other:?}"),
            })
            .collect()
    }

    fn agent_says(t_ms: u64, text: &str, cues: Cues) -> Event {
        Event::new(
            t_ms,
            EventBody::Utterance(Utterance {
                speaker: Speaker::Agent,
                start_ms: t_ms.saturating_sub(600),
                end_ms: t_ms,
                text: text.into(),
                words: vec![],
                tension: None,
                features: UtteranceFeatures {
                    cues,
                    ..UtteranceFeatures::default()
                },
            }),
        )
    }

    #[test]
    fn a_withdrawn_talk_over_takes_its_prompt_back_and_costs_nothing() {
        let mut coach = Coach::new(&Playbook::default());
        let mut out = Vec::new();
        let talk_over = |t: u64, onset: u64| {
            Event::new(
                t,
                EventBody::Interruption {
                    by: Speaker::Agent,
                    onset_ms: onset,
                    overlap_ms: 500,
                    cut_off: false,
                },
            )
        };
        coach.observe(&talk_over(10_500, 10_000), &mut out);
        assert_eq!(kinds(&out), ["prompt talk_over"]);
        out.clear();
        coach.observe(
            &Event::new(
                10_900,
                EventBody::InterruptionWithdrawn {
                    by: Speaker::Agent,
                    onset_ms: 10_000,
                    reason: "short".into(),
                },
            ),
            &mut out,
        );
        assert_eq!(kinds(&out), ["cleared talk_over"]);
        // The rule's cooldown was not used up: a real talk-over soon after is shown.
        out.clear();
        coach.observe(&talk_over(14_500, 14_000), &mut out);
        assert_eq!(kinds(&out), ["prompt talk_over"]);
    }

    #[test]
    fn an_agent_backchannel_is_not_an_acknowledgement() {
        let mut coach = Coach::new(&Playbook::default());
        let mut out = Vec::new();
        coach.observe(
            &Event::new(
                5_000,
                EventBody::Tension {
                    level: Level::Elevated,
                    score: 0.45,
                    reason: "pitch up 4 semitones".into(),
                },
            ),
            &mut out,
        );
        // "Mm-hmm" neither satisfies the acknowledge rule nor fires it...
        let mm = Cues {
            backchannel: true,
            ..Cues::default()
        };
        coach.observe(&agent_says(6_000, "Mm-hmm.", mm), &mut out);
        assert!(kinds(&out).is_empty(), "{:?}", kinds(&out));
        // ...so the agent's next real reply is still the one that is judged.
        coach.observe(
            &agent_says(9_000, "Let me look at the account.", Cues::default()),
            &mut out,
        );
        assert_eq!(kinds(&out), ["prompt acknowledge"]);
    }
}

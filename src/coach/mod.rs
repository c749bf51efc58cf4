//! The coach: turns what the detectors notice into prompts for the agent, by the playbook's
//! rules. It runs on the ordered event stream (after transcripts are in place), so the same
//! call always gets the same prompts at the same moments.

pub mod playbook;
pub mod rules;

pub use playbook::{Playbook, PlaybookError};
pub use rules::{CoachSettings, Rule, Rules};

use crate::detect::tension::Level;
use crate::engine::{Event, EventBody, Speaker};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};

/// What a prompt is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Listening,
    Empathy,
    Reinforcement,
}

impl Category {
    /// The category as shown beside a prompt.
    pub fn word(self) -> &'static str {
        match self {
            Category::Listening => "listening",
            Category::Empathy => "empathy",
            Category::Reinforcement => "well done",
        }
    }
}

pub struct Coach {
    rules: Rules,
    cfg: CoachSettings,
    /// The prompt on screen: (kind, priority, shown at).
    showing: Option<(&'static str, u8, u64)>,
    last_fired: HashMap<&'static str, u64>,
    fired: VecDeque<u64>,
    total: u32,
    talk_overs: VecDeque<u64>,
    tension: Level,
    /// Tension rose at this time and the agent has not spoken since.
    awaiting_acknowledgement: Option<u64>,
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
            tension: Level::Calm,
            awaiting_acknowledgement: None,
        }
    }

    /// Look at one event (in stream order); prompts and clears go to `out`.
    pub fn observe(&mut self, e: &Event, out: &mut Vec<Event>) {
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
            } => {
                self.talk_overs.push_back(now);
                let window = self.cfg.repeated_window_ms as u64;
                while self.talk_overs.front().is_some_and(|&t| t + window < now) {
                    self.talk_overs.pop_front();
                }
                let n = self.talk_overs.len();
                let when = crate::output::timeline::clock(*onset_ms);
                if n >= self.cfg.repeated_count as usize {
                    let reason = format!(
                        "{n} talk-overs since {}",
                        crate::output::timeline::clock(self.talk_overs[0])
                    );
                    self.offer(
                        "repeated_talk_over",
                        Category::Listening,
                        &[("{n}", n.to_string())],
                        reason,
                        now,
                        out,
                    );
                } else {
                    let reason = format!(
                        "at {when}{}",
                        if *cut_off { ", and they stopped" } else { "" }
                    );
                    self.offer("talk_over", Category::Listening, &[], reason, now, out);
                }
            }
            EventBody::Tension { level, reason, .. } => {
                let rose = *level > self.tension;
                let eased = *level < self.tension;
                self.tension = *level;
                if rose {
                    self.awaiting_acknowledgement = Some(now);
                }
                if *level == Level::High && rose {
                    self.offer(
                        "tension_high",
                        Category::Empathy,
                        &[],
                        reason.clone(),
                        now,
                        out,
                    );
                } else if *level == Level::Calm && eased {
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
            EventBody::Utterance(u) if u.speaker == Speaker::Agent && !u.text.is_empty() => {
                if let Some(since) = self.awaiting_acknowledgement {
                    let rose_at = crate::output::timeline::clock(since);
                    if u.features.cues.empathy.is_empty() {
                        // Asked for until it gets through (a more urgent prompt or the
                        // limits may hold it back), or until the agent acknowledges.
                        let reason = format!(
                            "tension rose at {rose_at}; your words since did not acknowledge it"
                        );
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
                    crate::output::timeline::clock(*start_ms)
                );
                self.offer("dead_air", Category::Listening, &[], reason, now, out);
            }
            EventBody::Metrics {
                agent_talk_share_60s,
                agent_wpm,
                ..
            } => {
                if let Some(share) = agent_talk_share_60s
                    && *share > self.cfg.talk_share_max
                    && now >= self.cfg.talk_share_after_ms as u64
                {
                    let reason = format!("you spoke {:.0}% of the last minute", share * 100.0);
                    self.offer("talk_share", Category::Listening, &[], reason, now, out);
                }
                if let Some(wpm) = agent_wpm
                    && *wpm > self.cfg.pace_max_wpm
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
            _ => {}
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

    /// End of call: clear what is on screen.
    pub fn finish(&mut self, now: u64, out: &mut Vec<Event>) {
        if let Some((kind, _, _)) = self.showing.take() {
            out.push(Event::new(
                now,
                EventBody::PromptCleared {
                    kind: kind.to_string(),
                },
            ));
        }
    }
}

//! What the overlay shows, as plain data: the engine's events folded into the few facts an
//! agent reads at a glance, plus the agent's own choices (dismiss, pause, collapse).
//!
//! Kept apart from drawing so the rules (which prompt shows, when a banner goes) are tested
//! without a window, and so drawing is a pure function of this state.

use crate::contract::{CallCard, Category, Event, EventBody, Level, Speaker};

/// The prompt on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownPrompt {
    pub kind: String,
    pub category: Category,
    pub text: String,
    pub reason: String,
    /// Engine time it arrived.
    pub since_ms: u64,
}

/// A problem with the machinery (a device gone, transcription behind), in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Banner {
    pub state: String,
    pub detail: String,
}

/// One line of live captions.
#[derive(Debug, Clone, PartialEq)]
pub struct Caption {
    pub text: String,
    /// A partial transcript of speech still going on.
    pub partial: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OverlayState {
    /// Call time: the engine clock of the latest event.
    pub call_ms: u64,
    pub in_call: bool,
    pub prompt: Option<ShownPrompt>,
    pub tension: Level,
    pub tension_reason: String,
    /// Agent talk share over the last minute, 0..1, once anyone has spoken.
    pub talk_share_60s: Option<f32>,
    pub interruptions_by_agent: u32,
    pub interruptions_by_customer: u32,
    /// The newest problem still going on (what the banner shows).
    pub banner: Option<Banner>,
    /// Every problem still going on, oldest first, by (kind, device).
    problems: Vec<(String, Banner)>,
    /// Latest words per speaker (agent, customer), when captions are on.
    pub captions: [Option<Caption>; 2],
    pub show_captions: bool,
    /// The agent paused coaching for this call: prompts are held back until resumed.
    pub paused: bool,
    pub collapsed: bool,
    /// Prompts that arrived and were shown (for the agent's count and for tests).
    pub prompts_seen: u32,
    /// After a call: its card, until the next call starts or the agent dismisses it.
    pub card: Option<CallCard>,
    /// The window may start and end calls (a live session): New call / End call show.
    pub call_controls: bool,
    /// A call has ended and the next has not begun.
    pub between_calls: bool,
}

/// Device states that end a problem, and the problem they end.
const RECOVERED: &[(&str, &str)] = &[
    ("asr_caught_up", "asr_behind"),
    ("device_restored", "device_lost"),
    ("capture_ok", "capture_overflow"),
];

/// Which problem a device event is about: its kind and the device it names (in quotes).
fn problem_key(kind: &str, detail: &str) -> String {
    let device = detail.split('"').nth(1).unwrap_or("");
    format!("{kind} {device}")
}

impl Default for OverlayState {
    fn default() -> Self {
        OverlayState {
            call_ms: 0,
            in_call: false,
            prompt: None,
            tension: Level::Calm,
            tension_reason: String::new(),
            talk_share_60s: None,
            interruptions_by_agent: 0,
            interruptions_by_customer: 0,
            banner: None,
            problems: Vec::new(),
            captions: [None, None],
            show_captions: false,
            paused: false,
            collapsed: false,
            prompts_seen: 0,
            card: None,
            call_controls: false,
            between_calls: false,
        }
    }
}

impl OverlayState {
    pub fn new(show_captions: bool) -> Self {
        OverlayState {
            show_captions,
            ..OverlayState::default()
        }
    }

    /// Fold one engine event in.
    pub fn apply(&mut self, e: &Event) {
        // Between calls the timer stands still at the last call's length.
        if !self.between_calls {
            self.call_ms = self.call_ms.max(e.t_ms);
        }
        match &e.body {
            EventBody::CallStart { .. } => {
                // A new call starts clean (the last call's card goes); the agent's layout
                // choices and the device problems still going on stay.
                *self = OverlayState {
                    in_call: true,
                    call_ms: e.t_ms,
                    show_captions: self.show_captions,
                    collapsed: self.collapsed,
                    call_controls: self.call_controls,
                    banner: self.banner.take(),
                    problems: std::mem::take(&mut self.problems),
                    ..OverlayState::default()
                };
            }
            EventBody::CallCard(card) => self.card = Some(card.clone()),
            EventBody::CallEnd { duration_ms, .. } => {
                self.call_ms = *duration_ms;
                self.between_calls = true;
                self.in_call = false;
                self.prompt = None;
                self.captions = [None, None];
            }
            // Paused: prompts are held back (not queued for later: they would be stale).
            EventBody::Prompt {
                kind,
                category,
                text,
                reason,
                ..
            } if !self.paused => {
                self.prompts_seen += 1;
                self.prompt = Some(ShownPrompt {
                    kind: kind.clone(),
                    category: *category,
                    text: text.clone(),
                    reason: reason.clone(),
                    since_ms: e.t_ms,
                });
            }
            EventBody::PromptCleared { kind }
                if self.prompt.as_ref().is_some_and(|p| &p.kind == kind) =>
            {
                self.prompt = None;
            }
            EventBody::Tension { level, reason, .. } => {
                self.tension = *level;
                self.tension_reason = reason.clone();
            }
            EventBody::Metrics {
                agent_talk_share_60s,
                interruptions_by_agent,
                interruptions_by_customer,
                ..
            } => {
                self.talk_share_60s = *agent_talk_share_60s;
                self.interruptions_by_agent = *interruptions_by_agent;
                self.interruptions_by_customer = *interruptions_by_customer;
            }
            EventBody::Interruption { by, .. } => match by {
                // Counted at once; the next metrics event agrees.
                Speaker::Agent => self.interruptions_by_agent += 1,
                Speaker::Customer => self.interruptions_by_customer += 1,
            },
            EventBody::InterruptionWithdrawn { by, .. } => {
                let n = match by {
                    Speaker::Agent => &mut self.interruptions_by_agent,
                    Speaker::Customer => &mut self.interruptions_by_customer,
                };
                *n = n.saturating_sub(1);
            }
            EventBody::Device { state, detail } => self.device(state, detail),
            EventBody::Utterance(u) if !u.text.is_empty() => {
                self.captions[u.speaker.index()] = Some(Caption {
                    text: u.text.clone(),
                    partial: false,
                });
            }
            EventBody::Partial { speaker, text, .. } => {
                self.captions[speaker.index()] = Some(Caption {
                    text: text.clone(),
                    partial: true,
                });
            }
            _ => {}
        }
    }

    /// A device problem or its recovery. Each problem clears only with its own recovery: a
    /// device coming back does not hide that transcription is behind, nor that the other
    /// device is gone.
    fn device(&mut self, state: &str, detail: &str) {
        match RECOVERED.iter().find(|(ok, _)| *ok == state) {
            Some((_, problem)) => {
                let key = problem_key(problem, detail);
                self.problems.retain(|(k, _)| *k != key);
            }
            None => {
                let key = problem_key(state, detail);
                self.problems.retain(|(k, _)| *k != key);
                self.problems.push((
                    key,
                    Banner {
                        state: state.to_string(),
                        detail: detail.to_string(),
                    },
                ));
            }
        }
        self.banner = self.problems.last().map(|(_, b)| b.clone());
    }

    /// The agent dismissed the prompt on screen (or, between calls, the card).
    pub fn dismiss(&mut self) {
        if self.prompt.take().is_none() && !self.in_call {
            self.card = None;
        }
    }

    /// Pause or resume coaching for this call. Pausing also clears the prompt on screen.
    pub fn toggle_pause(&mut self) {
        self.paused = !self.paused;
        if self.paused {
            self.prompt = None;
        }
    }

    pub fn toggle_collapse(&mut self) {
        self.collapsed = !self.collapsed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t_ms: u64, body: EventBody) -> Event {
        Event::new(t_ms, body)
    }

    fn prompt(kind: &str) -> EventBody {
        EventBody::Prompt {
            kind: kind.into(),
            category: Category::Listening,
            text: "Let them finish".into(),
            reason: "you started over the customer".into(),
            priority: 2,
        }
    }

    #[test]
    fn prompt_shows_until_its_kind_is_cleared() {
        let mut s = OverlayState::new(false);
        s.apply(&ev(1000, prompt("talk_over")));
        assert_eq!(s.prompt.as_ref().unwrap().text, "Let them finish");
        s.apply(&ev(
            2000,
            EventBody::PromptCleared {
                kind: "other".into(),
            },
        ));
        assert!(s.prompt.is_some(), "another kind's clearing leaves it");
        s.apply(&ev(
            9000,
            EventBody::PromptCleared {
                kind: "talk_over".into(),
            },
        ));
        assert!(s.prompt.is_none());
        assert_eq!(s.call_ms, 9000);
    }

    #[test]
    fn paused_coaching_holds_prompts_back_until_resumed() {
        let mut s = OverlayState::new(false);
        s.apply(&ev(1000, prompt("talk_over")));
        s.toggle_pause();
        assert!(s.prompt.is_none(), "pausing clears the prompt");
        s.apply(&ev(2000, prompt("monologue")));
        assert!(s.prompt.is_none());
        s.toggle_pause();
        s.apply(&ev(3000, prompt("monologue")));
        assert_eq!(s.prompt.as_ref().unwrap().kind, "monologue");
        assert_eq!(s.prompts_seen, 2);
    }

    #[test]
    fn banner_stays_until_the_problem_is_over() {
        let mut s = OverlayState::new(false);
        let device = |state: &str| EventBody::Device {
            state: state.into(),
            detail: "Headset unplugged".into(),
        };
        s.apply(&ev(1, device("device_lost")));
        assert_eq!(s.banner.as_ref().unwrap().state, "device_lost");
        s.apply(&ev(2, device("device_restored")));
        assert!(s.banner.is_none());
    }

    #[test]
    fn one_recovery_does_not_hide_another_problem() {
        let mut s = OverlayState::new(false);
        let dev = |state: &str, id: &str| EventBody::Device {
            state: state.into(),
            detail: format!("The customer audio device \"{id}\" ..."),
        };
        s.apply(&ev(1, dev("device_lost", "softphone.monitor")));
        s.apply(&ev(
            2,
            EventBody::Device {
                state: "asr_behind".into(),
                detail: "Transcription is falling behind.".into(),
            },
        ));
        s.apply(&ev(
            3,
            EventBody::Device {
                state: "asr_caught_up".into(),
                detail: "Transcription has caught up.".into(),
            },
        ));
        assert_eq!(s.banner.as_ref().unwrap().state, "device_lost");
        s.apply(&ev(4, dev("device_restored", "headset")));
        assert!(s.banner.is_some(), "another device's return");
        s.apply(&ev(5, dev("device_restored", "softphone.monitor")));
        assert!(s.banner.is_none());
    }

    #[test]
    fn a_new_call_starts_clean_but_keeps_the_layout() {
        let mut s = OverlayState::new(true);
        s.apply(&ev(1000, prompt("talk_over")));
        s.toggle_pause();
        s.toggle_collapse();
        s.apply(&ev(
            0,
            EventBody::CallStart {
                source: "x".into(),
                sample_rate: 16000,
                channels: 2,
                at_ms: 0,
                reason: crate::contract::CallReason::Recording,
            },
        ));
        assert!(!s.paused && s.prompt.is_none() && s.in_call);
        assert!(s.collapsed && s.show_captions);
    }
}

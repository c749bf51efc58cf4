//! The coach's rules and their settings: what each prompt says, how urgent it is, how often
//! it may come back, and the global limits that keep an agent from being nagged.
//!
//! The defaults, and why:
//! - one prompt on screen at a time, each for 8 s: an agent on a call can read one short line;
//! - at most 2 prompts a minute and 12 a call: agents who are nagged switch coaching off;
//! - a cooldown per kind (20 s to 2 min): the same advice twice in a row is noise;
//! - priorities: a shouting customer (90) beats a talk-over (80) beats pace (45); praise is
//!   lowest (35-40) and never pushes advice off the screen.

use serde::{Deserialize, Serialize};

/// One rule's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub enabled: bool,
    /// The prompt. `{n}` (count) and `{wpm}` (pace) are filled in where the rule has them.
    pub text: String,
    /// 0..100: a prompt replaces the one on screen only if it is more urgent.
    pub priority: u8,
    /// The same rule does not fire again within this long.
    pub cooldown_ms: u32,
}

fn rule(text: &str, priority: u8, cooldown_ms: u32) -> Rule {
    Rule {
        enabled: true,
        text: text.to_string(),
        priority,
        cooldown_ms,
    }
}

/// Every rule, by name. Unknown names in a playbook are an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Rules {
    /// Listening: the agent talked over the customer.
    pub talk_over: Rule,
    /// Listening: several talk-overs in a short time.
    pub repeated_talk_over: Rule,
    /// Listening: the agent has had most of the talk in the last minute.
    pub talk_share: Rule,
    /// Listening: a long agent monologue.
    pub monologue: Rule,
    /// Listening: the agent speaks too fast.
    pub pace: Rule,
    /// Listening: long dead air.
    pub dead_air: Rule,
    /// Empathy: tension rose and the agent's next words did not acknowledge it.
    pub acknowledge: Rule,
    /// Empathy: tension is high.
    pub tension_high: Rule,
    /// Reinforcement: the agent acknowledged the customer's feelings after tension rose.
    pub acknowledged: Rule,
    /// Reinforcement: the customer calmed down.
    pub calmer: Rule,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            talk_over: rule("You talked over the customer. Let them finish.", 80, 20_000),
            repeated_talk_over: rule(
                "{n} talk-overs in two minutes. Pause before you answer.",
                85,
                120_000,
            ),
            talk_share: rule(
                "You've done most of the talking. Ask a question and listen.",
                50,
                90_000,
            ),
            monologue: rule(
                "Long explanation. Check the customer is with you.",
                55,
                60_000,
            ),
            pace: rule(
                "You're speaking fast ({wpm} wpm). Slow down a little.",
                45,
                120_000,
            ),
            dead_air: rule(
                "Long silence. Tell the customer what you're doing.",
                60,
                60_000,
            ),
            acknowledge: rule(
                "Acknowledge the frustration before solving: 'I can hear this has been frustrating.'",
                75,
                60_000,
            ),
            tension_high: rule("Slow down, lower your voice, let them finish.", 90, 60_000),
            acknowledged: rule("Good: you acknowledged how they feel.", 40, 60_000),
            calmer: rule("The customer sounds calmer. Nice work.", 35, 60_000),
        }
    }
}

/// The coach's settings (the playbook's `[coach]` section).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CoachSettings {
    /// How long a prompt stays on screen.
    pub display_ms: u32,
    /// At most this many prompts in any minute...
    pub max_per_minute: u32,
    /// ...and in the whole call.
    pub max_per_call: u32,
    /// Agent talk share over the last minute above which `talk_share` fires (0..1)...
    pub talk_share_max: f32,
    /// ...once the call is at least this long.
    pub talk_share_after_ms: u32,
    /// Agent pace above which `pace` fires, in words per minute of the agent's own speech
    /// (pauses between utterances left out, so it reads ~10% above a talk-time figure: 170
    /// here is the usual "over about 160 words per minute" advice).
    pub pace_max_wpm: f32,
    /// `repeated_talk_over` fires at this many talk-overs...
    pub repeated_count: u32,
    /// ...within this long.
    pub repeated_window_ms: u32,
}

impl Default for CoachSettings {
    fn default() -> Self {
        CoachSettings {
            display_ms: 8_000,
            max_per_minute: 3,
            max_per_call: 12,
            talk_share_max: 0.7,
            talk_share_after_ms: 60_000,
            pace_max_wpm: 170.0,
            repeated_count: 2,
            repeated_window_ms: 120_000,
        }
    }
}

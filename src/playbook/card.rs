//! The post-call card's words (the playbook's `[card]` section). Each is a template:
//! `{n}`, `{m}`, `{time}`, `{secs}`, `{share}`, `{phrase}`, `{wpm}` are filled in where the
//! point has them. The card names behaviour only (listening, acknowledging, pace): Hearken
//! never scores the agent's own emotions.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CardTexts {
    /// Went well: the agent let the customer finish (most turns taken without talking over).
    pub let_finish: String,
    /// Went well: the agent named the customer's feelings after they got upset.
    pub acknowledged: String,
    /// Went well: the customer got upset and calmed down again.
    pub calmed: String,
    /// Went well: the talk was shared.
    pub balanced: String,
    /// Went well, when nothing else stands out.
    pub steady: String,
    /// To try: the customer got upset and the agent did not acknowledge it.
    pub acknowledge_first: String,
    /// To try: talk-overs.
    pub talk_over: String,
    /// To try: a long agent monologue.
    pub monologue: String,
    /// To try: the agent did most of the talking.
    pub talk_share: String,
    /// To try: long dead air.
    pub dead_air: String,
    /// To try: speaking fast.
    pub pace: String,
    /// To try, when nothing stands out.
    pub keep_going: String,
}

impl Default for CardTexts {
    fn default() -> Self {
        let t = |s: &str| s.to_string();
        CardTexts {
            let_finish: t("You let the customer finish {n} of {m} times."),
            acknowledged: t("You named how the customer felt ('{phrase}') after they got upset."),
            calmed: t("The customer got upset at {time} and calmed down again."),
            balanced: t("The talk was shared: you spoke {share}% of the call."),
            steady: t("A steady call: nothing in it needs changing."),
            acknowledge_first: t(
                "The customer got upset at {time}; naming the feeling first ('I can hear this has been frustrating') helps.",
            ),
            talk_over: t(
                "You talked over the customer {n} times, first at {time}. Let them finish, then answer.",
            ),
            monologue: t(
                "Your longest explanation ran {secs} s. Check the customer is with you sooner.",
            ),
            talk_share: t("You spoke {share}% of the call. Ask a question and listen."),
            dead_air: t("{secs} s of silence at {time}. Say what you are doing while you look."),
            pace: t("You spoke at {wpm} words a minute. Slow down a little."),
            keep_going: t("Keep doing what you did on this call."),
        }
    }
}

impl CardTexts {
    /// Every text, by its key, for validation.
    pub fn all(&self) -> [(&'static str, &str); 12] {
        [
            ("let_finish", &self.let_finish),
            ("acknowledged", &self.acknowledged),
            ("calmed", &self.calmed),
            ("balanced", &self.balanced),
            ("steady", &self.steady),
            ("acknowledge_first", &self.acknowledge_first),
            ("talk_over", &self.talk_over),
            ("monologue", &self.monologue),
            ("talk_share", &self.talk_share),
            ("dead_air", &self.dead_air),
            ("pace", &self.pace),
            ("keep_going", &self.keep_going),
        ]
    }
}

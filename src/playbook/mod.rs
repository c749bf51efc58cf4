//! The playbook: what a trainer or IT team can change without rebuilding, beside the
//! config's thresholds: the lexicon, the tension model's settings, the coach's rules and
//! limits. Read by `detect` and `coach` alike, from below both. A TOML file; the built-in
//! default is printed by `hearken playbook --print`. Unknown keys and wrong types are errors
//! that name the key.

pub mod card;
pub mod lexicon;
pub mod rules;
pub mod tension;

pub use card::CardTexts;
pub use lexicon::Lexicon;
pub use rules::{CoachSettings, Rule, Rules};
pub use tension::{TensionSettings, TensionWeights};

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Playbook {
    /// Word lists: escalation cues, profanity, empathy phrases, backchannels.
    pub lexicon: Lexicon,
    /// The customer tension model: cue weights, baseline, smoothing, level thresholds.
    pub tension: TensionSettings,
    /// Global prompt limits and rule thresholds.
    pub coach: CoachSettings,
    /// Each rule: on or off, text, priority, cooldown.
    pub rules: Rules,
    /// The post-call card's words.
    pub card: CardTexts,
}

#[derive(Debug, thiserror::Error)]
pub enum PlaybookError {
    #[error("cannot read playbook {path}: {cause}")]
    Read {
        path: PathBuf,
        /// Said in the message; not a `source`, so the cause is printed once.
        cause: std::io::Error,
    },
    #[error("playbook {path}: {message}")]
    Parse { path: PathBuf, message: String },
}

impl Playbook {
    pub fn from_file(path: &Path) -> Result<Playbook, PlaybookError> {
        let text = std::fs::read_to_string(path).map_err(|cause| PlaybookError::Read {
            path: path.to_owned(),
            cause,
        })?;
        Playbook::from_toml(&text).map_err(|message| PlaybookError::Parse {
            path: path.to_owned(),
            message,
        })
    }

    pub fn from_toml(text: &str) -> Result<Playbook, String> {
        let p: Playbook = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
        p.validate()?;
        Ok(p)
    }

    /// Values that parse but make no sense: each error names the key and what is allowed.
    pub fn validate(&self) -> Result<(), String> {
        let range = |key: &str, v: f32, lo: f32, hi: f32| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(format!("{key} = {v} is out of range: allowed {lo} to {hi}"))
            }
        };
        let t = &self.tension;
        range("tension.rise", t.rise, 0.01, 1.0)?;
        range("tension.fall", t.fall, 0.01, 1.0)?;
        range("tension.elevated_on", t.elevated_on, 0.0, 1.0)?;
        range("tension.high_on", t.high_on, 0.0, 1.0)?;
        range("tension.elevated_off", t.elevated_off, 0.0, t.elevated_on)?;
        range("tension.high_off", t.high_off, t.elevated_on, t.high_on)?;
        let w = &t.weights;
        for (k, v) in [
            ("tension.weights.pitch_per_st", w.pitch_per_st),
            ("tension.weights.range_per_st", w.range_per_st),
            ("tension.weights.level_per_db", w.level_per_db),
            ("tension.weights.effort_per_db", w.effort_per_db),
            ("tension.weights.per_escalation_cue", w.per_escalation_cue),
            ("tension.weights.interrupting", w.interrupting),
            ("tension.weights.repeating", w.repeating),
            ("tension.weights.rate_per_10pct", w.rate_per_10pct),
        ] {
            range(k, v, 0.0, 5.0)?;
        }
        range("tension.weights.dead_zone", w.dead_zone, 0.0, 12.0)?;
        let c = &self.coach;
        range("coach.talk_share_max", c.talk_share_max, 0.05, 1.0)?;
        range("coach.pace_max_wpm", c.pace_max_wpm, 60.0, 400.0)?;
        range("coach.max_per_minute", c.max_per_minute as f32, 1.0, 20.0)?;
        range("coach.repeated_count", c.repeated_count as f32, 2.0, 20.0)?;
        range("coach.display_ms", c.display_ms as f32, 1000.0, 60_000.0)?;
        let r = &self.rules;
        for (name, rule) in [
            ("talk_over", &r.talk_over),
            ("repeated_talk_over", &r.repeated_talk_over),
            ("talk_share", &r.talk_share),
            ("monologue", &r.monologue),
            ("pace", &r.pace),
            ("dead_air", &r.dead_air),
            ("acknowledge", &r.acknowledge),
            ("tension_high", &r.tension_high),
            ("acknowledged", &r.acknowledged),
            ("calmer", &r.calmer),
        ] {
            range(
                &format!("rules.{name}.priority"),
                rule.priority as f32,
                0.0,
                100.0,
            )?;
            if rule.text.trim().is_empty() {
                return Err(format!("rules.{name}.text is empty: a prompt needs words"));
            }
        }
        for (key, text) in self.card.all() {
            if text.trim().is_empty() {
                return Err(format!("card.{key} is empty: the card needs words"));
            }
        }
        Ok(())
    }

    /// The playbook as TOML, with a header saying how to use it.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string_pretty(self).expect("the playbook serialises");
        format!(
            "# Hearken playbook. Edit and pass with --playbook FILE; keys left out keep their defaults.\n\n{body}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_default_reads_back_identically() {
        let p = Playbook::default();
        assert_eq!(Playbook::from_toml(&p.to_toml()).unwrap(), p);
    }

    #[test]
    fn out_of_range_values_name_the_key_and_the_allowed_values() {
        let e = Playbook::from_toml(
            "[rules.pace]\nenabled = true\ntext = \"x\"\npriority = 300\ncooldown_ms = 1\n",
        )
        .unwrap_err();
        assert!(e.contains("priority"), "{e}");
        let e = Playbook::from_toml("[rules.pace]\nenabled = true\ntext = \"x\"\npriority = 90\ncooldown_ms = 1\n[coach]\ntalk_share_max = 1.5\n").unwrap_err();
        assert!(
            e.contains("coach.talk_share_max") && e.contains("allowed 0.05 to 1"),
            "{e}"
        );
        let e =
            Playbook::from_toml("[tension]\nelevated_on = 0.2\nelevated_off = 0.5\n").unwrap_err();
        assert!(e.contains("tension.elevated_off"), "{e}");
    }

    #[test]
    fn rules_can_be_switched_off_and_reworded() {
        let p = Playbook::from_toml("[rules.pace]\nenabled = false\ntext = \"Breathe.\"\npriority = 10\ncooldown_ms = 1000\n").unwrap();
        assert!(!p.rules.pace.enabled);
        assert_eq!(p.rules.pace.text, "Breathe.");
        assert_eq!(p.rules.talk_over, Playbook::default().rules.talk_over);
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_the_key() {
        let e = Playbook::from_toml("[lexicon]\nescalations = []\n").unwrap_err();
        assert!(e.contains("escalations"), "{e}");
        let e = Playbook::from_toml("[lexicon]\nempathy = 3\n").unwrap_err();
        assert!(e.contains("empathy"), "{e}");
        let e = Playbook::from_toml("[rules.be_nice]\nenabled = true\n").unwrap_err();
        assert!(e.contains("be_nice"), "{e}");
    }
}

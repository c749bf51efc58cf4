//! What the words tell: escalation cues from the customer, empathy and acknowledgement from
//! the agent, and backchannels from either.
//!
//! Phrases are matched as whole-word sequences on normalised text (lower case, punctuation
//! gone), so whisper's casing and punctuation do not matter, "manager" does not match
//! "management", and "third time" matches "third time" only. The lists are plain data with
//! English defaults; a playbook file can replace them.

use crate::asr::guard::normalise;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Lexicon {
    /// Customer words and phrases that signal escalation.
    pub escalation: Vec<String>,
    /// Profanity (also any word whisper censored with asterisks).
    pub profanity: Vec<String>,
    /// Agent phrases that acknowledge feelings or apologise.
    pub empathy: Vec<String>,
    /// Short acknowledgements that do not take the floor.
    pub backchannel: Vec<String>,
}

fn list(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

impl Default for Lexicon {
    fn default() -> Self {
        Lexicon {
            escalation: list(&[
                "ridiculous",
                "unacceptable",
                "outrageous",
                "disgusting",
                "useless",
                "incompetent",
                "joke",
                "supervisor",
                "manager",
                "complaint",
                "complain",
                "cancel",
                "cancelling",
                "canceling",
                "lawyer",
                "ombudsman",
                "third time",
                "fourth time",
                "again and again",
                "every time",
                "not good enough",
                "fed up",
                "sick of",
                "waste of time",
                "i want to speak to",
            ]),
            profanity: list(&[
                "damn", "hell", "crap", "bloody", "shit", "fuck", "fucking", "bullshit", "pissed",
            ]),
            empathy: list(&[
                "i understand",
                "i completely understand",
                "i'm sorry",
                "i am sorry",
                "i apologize",
                "i apologise",
                "sorry about that",
                "sorry to hear",
                "that must be frustrating",
                "must be frustrating",
                "i can see why",
                "i can hear",
                "i hear you",
                "that sounds frustrating",
                "i appreciate your patience",
                "thank you for your patience",
                "i know how",
                "that's not good enough",
                "you're right",
                "i'd be frustrated",
                "i would be frustrated",
            ]),
            backchannel: list(&[
                "mm hmm",
                "mhm",
                "mm",
                "hmm",
                "uh huh",
                "yeah",
                "yes",
                "yep",
                "right",
                "okay",
                "ok",
                "sure",
                "i see",
                "got it",
                "alright",
                "all right",
                "oh",
                "ah",
                "thanks",
                "great",
            ]),
        }
    }
}

/// The cues found in one utterance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cues {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalation: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub empathy: Vec<String>,
    /// The whole utterance is a backchannel ("mm-hmm", "okay, right").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub backchannel: bool,
}

impl Lexicon {
    pub fn cues(&self, text: &str) -> Cues {
        let norm = normalise(text);
        let words: Vec<&str> = norm.split(' ').filter(|w| !w.is_empty()).collect();
        let mut escalation: Vec<String> = self
            .escalation
            .iter()
            .chain(self.profanity.iter())
            .filter(|p| contains_phrase(&words, p))
            .cloned()
            .collect();
        // whisper censors profanity as "f***" or "****".
        if text.split_whitespace().any(|w| w.contains("**")) {
            escalation.push("(censored profanity)".into());
        }
        let empathy = self
            .empathy
            .iter()
            .filter(|p| contains_phrase(&words, p))
            .cloned()
            .collect();
        let backchannel =
            !words.is_empty() && words.len() <= 4 && covered_by(&words, &self.backchannel);
        Cues {
            escalation,
            empathy,
            backchannel,
        }
    }
}

fn phrase_words(p: &str) -> Vec<String> {
    normalise(p)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn contains_phrase(words: &[&str], phrase: &str) -> bool {
    let p = phrase_words(phrase);
    !p.is_empty()
        && words
            .windows(p.len())
            .any(|w| w.iter().zip(&p).all(|(a, b)| a == b))
}

/// Can `words` be split entirely into phrases of `list`?
fn covered_by(words: &[&str], list: &[String]) -> bool {
    let phrases: Vec<Vec<String>> = list.iter().map(|p| phrase_words(p)).collect();
    let mut reach = vec![false; words.len() + 1];
    reach[0] = true;
    for i in 0..words.len() {
        if !reach[i] {
            continue;
        }
        for p in &phrases {
            let end = i + p.len();
            if !p.is_empty()
                && end <= words.len()
                && words[i..end].iter().zip(p).all(|(a, b)| a == b)
            {
                reach[end] = true;
            }
        }
    }
    reach[words.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_ignores_case_and_punctuation_but_respects_words() {
        let lx = Lexicon::default();
        let c =
            lx.cues("This is RIDICULOUS! I want to speak to your Manager, it's the third time.");
        assert!(c.escalation.contains(&"ridiculous".to_string()));
        assert!(c.escalation.contains(&"manager".to_string()));
        assert!(c.escalation.contains(&"third time".to_string()));
        assert!(
            lx.cues("Our management team reviewed it.")
                .escalation
                .is_empty()
        );
        assert!(
            lx.cues("What the f*** is going on")
                .escalation
                .contains(&"(censored profanity)".to_string())
        );
    }

    #[test]
    fn empathy_phrases_are_found() {
        let lx = Lexicon::default();
        let c = lx.cues("Okay. I'm sorry, that must be frustrating.");
        assert!(c.empathy.contains(&"i'm sorry".to_string()));
        assert!(c.empathy.contains(&"that must be frustrating".to_string()));
        assert!(lx.cues("Let me check the router.").empathy.is_empty());
    }

    #[test]
    fn backchannels_are_whole_utterances_of_acknowledgements() {
        let lx = Lexicon::default();
        assert!(lx.cues("Mm-hmm.").backchannel);
        assert!(lx.cues("Okay, right.").backchannel);
        assert!(lx.cues("Yeah.").backchannel);
        assert!(!lx.cues("Okay, let me check that.").backchannel);
        assert!(!lx.cues("").backchannel);
    }
}

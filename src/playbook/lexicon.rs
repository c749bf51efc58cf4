//! The lexicon: the words and phrases that tell escalation from the customer, empathy and
//! acknowledgement from the agent, and backchannels from either. Plain data with English
//! defaults; a playbook file can replace the lists. `detect::cues` matches them.

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

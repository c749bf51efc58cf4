//! What the words tell: escalation cues from the customer, empathy and acknowledgement from
//! the agent, and backchannels from either, found with the playbook's lexicon.
//!
//! Phrases are matched as whole-word sequences on normalised text (lower case, punctuation
//! gone), so whisper's casing and punctuation do not matter, "manager" does not match
//! "management", and "third time" matches "third time" only.

use crate::contract::Cues;
use crate::contract::text::normalise;
use crate::playbook::Lexicon;

/// The cues the lexicon finds in one utterance's text.
pub fn find(lexicon: &Lexicon, text: &str) -> Cues {
    let norm = normalise(text);
    let words: Vec<&str> = norm.split(' ').filter(|w| !w.is_empty()).collect();
    let mut escalation: Vec<String> = lexicon
        .escalation
        .iter()
        .chain(lexicon.profanity.iter())
        .filter(|p| contains_phrase(&words, p))
        .cloned()
        .collect();
    // whisper censors profanity as "f***" or "****": a censored word that fits no listed
    // word is still profanity.
    let censored_unmatched = text.split_whitespace().any(|w| {
        let n = normalise(w);
        let censored = (w.contains("**") || n.contains('*'))
            && w.chars()
                .all(|c| c.is_alphabetic() || c == '*' || c.is_ascii_punctuation());
        censored && !lexicon.profanity.iter().any(|p| same_word(&n, p))
    });
    if censored_unmatched {
        escalation.push("(censored profanity)".into());
    }
    let empathy = lexicon
        .empathy
        .iter()
        .filter(|p| contains_phrase(&words, p))
        .cloned()
        .collect();
    let backchannel =
        !words.is_empty() && words.len() <= 4 && covered_by(&words, &lexicon.backchannel);
    Cues {
        escalation,
        empathy,
        backchannel,
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
            .any(|w| w.iter().zip(&p).all(|(a, b)| same_word(a, b)))
}

/// `said` is `word`, or `word` as whisper censors it: as long, each letter it shows in place
/// ("f***ing" for "fucking", "sh*t" for "shit").
fn same_word(said: &str, word: &str) -> bool {
    said == word
        || (said.contains('*')
            && said.chars().any(|c| c != '*')
            && said.chars().count() == word.chars().count()
            && said
                .chars()
                .zip(word.chars())
                .all(|(a, b)| a == '*' || a == b))
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
        let c = find(
            &lx,
            "This is RIDICULOUS! I want to speak to your Manager, it's the third time.",
        );
        assert!(c.escalation.contains(&"ridiculous".to_string()));
        assert!(c.escalation.contains(&"manager".to_string()));
        assert!(c.escalation.contains(&"third time".to_string()));
        assert!(
            find(&lx, "Our management team reviewed it.")
                .escalation
                .is_empty()
        );
        // Censored by whisper: the word it stands for when it fits one, profanity anyway
        // when not.
        let c = find(&lx, "This is f***ing ridiculous, sh*t.");
        assert!(c.escalation.contains(&"fucking".to_string()), "{c:?}");
        assert!(c.escalation.contains(&"shit".to_string()), "{c:?}");
        assert!(c.escalation.contains(&"ridiculous".to_string()), "{c:?}");
        assert!(!c.escalation.contains(&"(censored profanity)".to_string()));
        assert!(
            find(&lx, "What the ***** is going on")
                .escalation
                .contains(&"(censored profanity)".to_string())
        );
        assert!(find(&lx, "It costs 5*3 pounds").escalation.is_empty());
    }

    #[test]
    fn empathy_phrases_are_found() {
        let lx = Lexicon::default();
        let c = find(&lx, "Okay. I'm sorry, that must be frustrating.");
        assert!(c.empathy.contains(&"i'm sorry".to_string()));
        assert!(c.empathy.contains(&"that must be frustrating".to_string()));
        assert!(find(&lx, "Let me check the router.").empathy.is_empty());
    }

    #[test]
    fn backchannels_are_whole_utterances_of_acknowledgements() {
        let lx = Lexicon::default();
        assert!(find(&lx, "Mm-hmm.").backchannel);
        assert!(find(&lx, "Okay, right.").backchannel);
        assert!(find(&lx, "Yeah.").backchannel);
        assert!(!find(&lx, "Okay, let me check that.").backchannel);
        assert!(!find(&lx, "").backchannel);
    }
}

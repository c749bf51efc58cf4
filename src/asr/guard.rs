//! Honesty guards: whisper's known ways of inventing text, and what to do about each.
//!
//! Whisper was trained on subtitles, so on silence, noise or tones it tends to produce the
//! phrases subtitles end with ("Thank you.", "Thanks for watching!"), bracketed
//! annotations ("[Music]"), or a phrase repeated until the token limit. A coach that shows
//! an agent words nobody said loses their trust at once.

use crate::contract::text::normalise;

/// Phrases whisper produces on near-silence. Matched after normalising (lower case, no
/// punctuation), only when the audio is also weak: a customer who really says "thank you"
/// out loud keeps their words.
const PHANTOMS: &[&str] = &[
    "thank you",
    "thanks for watching",
    "thank you for watching",
    "thank you so much for watching",
    "please subscribe",
    "subscribe",
    "you",
    "bye",
    "so",
    "okay",
    "oh",
    "the end",
    "subtitles by the amaraorg community",
];

/// Remove bracketed or starred annotations: "[Music]", "(laughs)", "*sigh*", "[BLANK_AUDIO]".
/// A star inside a word is whisper's censoring ("f***", "sh*t"), not an annotation: it is
/// kept, so the lexicon still hears the word and the rest of the utterance survives.
pub fn strip_annotations(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut close: Option<char> = None;
    for (i, &c) in chars.iter().enumerate() {
        match close {
            Some(end) if c == end => close = None,
            Some(_) => {}
            None => match c {
                '[' => close = Some(']'),
                '(' => close = Some(')'),
                '*' if starts_starred_annotation(&chars, i) => close = Some('*'),
                _ => out.push(c),
            },
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Does the star at `i` open a "*sigh*" annotation: at the start of a word, with a letter
/// after it and a closing star, at the end of a word, further on?
fn starts_starred_annotation(chars: &[char], i: usize) -> bool {
    let at_word_start = i == 0 || chars[i - 1].is_whitespace();
    let letter_next = chars.get(i + 1).is_some_and(|c| c.is_alphabetic());
    at_word_start
        && letter_next
        && (i + 2..chars.len()).any(|j| {
            chars[j] == '*'
                && chars[j - 1].is_alphabetic()
                && chars
                    .get(j + 1)
                    .is_none_or(|c| c.is_whitespace() || c.is_ascii_punctuation())
        })
}

pub fn is_phantom(text: &str) -> bool {
    let n = normalise(text);
    PHANTOMS.contains(&n.as_str())
}

/// Collapse a phrase of 1 to 6 words repeated three or more times in a row to one copy.
/// Returns the text and whether a loop was found.
pub fn collapse_repetitions(text: &str) -> (String, bool) {
    // Loops inside one "word" first: "old-s-s-y-y-y-y-y-".
    let mut found = false;
    let text: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            let (c, f) = collapse_pieces(w);
            found |= f;
            c
        })
        .collect();
    let words: Vec<&str> = text.iter().map(String::as_str).collect();
    let keys: Vec<String> = words.iter().map(|w| normalise(w)).collect();
    let mut out: Vec<&str> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let mut skipped = false;
        for n in 1..=6usize {
            if i + 3 * n > words.len() {
                break;
            }
            let unit = &keys[i..i + n];
            let mut reps = 1;
            while i + (reps + 1) * n <= words.len()
                && keys[i + reps * n..i + (reps + 1) * n] == *unit
            {
                reps += 1;
            }
            if reps >= 3 {
                out.extend_from_slice(&words[i..i + n]);
                i += reps * n;
                // A loop cut off by the token limit ends part-way through one more copy:
                // that tail is part of the loop too.
                let tail = words.len() - i;
                if tail < n && keys[i..] == unit[..tail] {
                    i = words.len();
                }
                found = true;
                skipped = true;
                break;
            }
        }
        if !skipped {
            out.push(words[i]);
            i += 1;
        }
    }
    (out.join(" "), found)
}

/// Within a hyphenated word, a piece repeated three or more times in a row becomes one.
fn collapse_pieces(word: &str) -> (String, bool) {
    let pieces: Vec<&str> = word.split('-').collect();
    if pieces.len() < 4 {
        return (word.to_string(), false);
    }
    let mut out: Vec<&str> = Vec::new();
    let mut found = false;
    let mut i = 0;
    while i < pieces.len() {
        // The shortest cycle of one to three pieces starting here that runs three times or
        // more: "y-y-y-y", "S-0-S-0-S-0".
        let cycle = (1..=3).find_map(|m| {
            let mut reps = 1;
            while i + (reps + 1) * m <= pieces.len()
                && pieces[i + reps * m..i + (reps + 1) * m] == pieces[i..i + m]
            {
                reps += 1;
            }
            (reps >= 3).then_some((m, reps))
        });
        match cycle {
            Some((m, reps)) => {
                found = true;
                out.extend_from_slice(&pieces[i..i + m]);
                i += m * reps;
                // A trailing part of the cycle ("S-0-S-0-S") is more of the same.
                while i < pieces.len() && pieces[i] == pieces[i - m] {
                    i += 1;
                }
            }
            None => {
                out.push(pieces[i]);
                i += 1;
            }
        }
    }
    let joined = out.join("-");
    (joined.trim_end_matches('-').to_string(), found)
}

/// Does a decoding repeat itself: a phrase of two or more words said twice in a row (three
/// words or more, or two that are not a short reply like "no no"), a loop, or more words
/// than `audio_secs` of speech could hold? Whisper does this on a window that ends right at
/// the last word; a careful second decoding usually does not.
pub fn repeats_itself(text: &str, audio_secs: f32) -> bool {
    let words: Vec<String> = text.split_whitespace().map(normalise).collect();
    if words.iter().filter(|w| !w.is_empty()).count() as f32 > audio_secs * MAX_WORDS_PER_SEC + 1.0
    {
        return true;
    }
    // Hyphenated pieces count as words here: "S-0-S-0-S-0" is a loop inside one word.
    let keys: Vec<&str> = words
        .iter()
        .flat_map(|w| w.split(' '))
        .filter(|k| !k.is_empty())
        .collect();
    // A phrase of two or three words running three times: a loop, however short its words.
    for n in 2..=3 {
        if keys.len() >= 3 * n
            && (0..=keys.len() - 3 * n).any(|i| {
                keys[i..i + n] == keys[i + n..i + 2 * n]
                    && keys[i..i + n] == keys[i + 2 * n..i + 3 * n]
            })
        {
            return true;
        }
    }
    for n in 2..=keys.len() / 2 {
        for i in 0..=keys.len() - 2 * n {
            if keys[i..i + n] == keys[i + n..i + 2 * n] {
                let letters: usize = keys[i..i + n].iter().map(|k| k.len()).sum();
                if n >= 3 || letters >= 8 {
                    return true;
                }
            }
        }
    }
    false
}

/// Faster than anyone speaks: 5 words per second of audio, sustained.
const MAX_WORDS_PER_SEC: f32 = 5.0;

/// A transcript with more words than the audio could hold is a loop whisper fell into (often
/// with small variations, which [`collapse_repetitions`] does not catch). Keep the text up to
/// where its opening words come round again (two of three alike), or else as many words as
/// the audio could hold. Returns the text and whether it was cut.
pub fn truncate_runaway(text: &str, audio_secs: f32) -> (String, bool) {
    let words: Vec<&str> = text.split_whitespace().collect();
    let limit = (audio_secs * MAX_WORDS_PER_SEC).ceil().max(4.0) as usize;
    if words.len() <= limit {
        return (text.to_string(), false);
    }
    let keys: Vec<String> = words.iter().map(|w| normalise(w)).collect();
    let again = (3..keys.len().saturating_sub(2))
        .find(|&i| (0..3).filter(|&k| keys[i + k] == keys[k]).count() >= 2);
    let keep = again.unwrap_or(limit).min(limit);
    (words[..keep].join(" "), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_are_removed() {
        assert_eq!(
            strip_annotations("[Music] hello (laughs) there *sigh*"),
            "hello there"
        );
        assert_eq!(strip_annotations("[BLANK_AUDIO]"), "");
        // Censored profanity is a word, not an annotation.
        assert_eq!(
            strip_annotations("This is f***ing ridiculous, I want a refund"),
            "This is f***ing ridiculous, I want a refund"
        );
        assert_eq!(
            strip_annotations("What the f*** *sighs* fine"),
            "What the f*** fine"
        );
        assert_eq!(
            strip_annotations("sh*t, that's the third time"),
            "sh*t, that's the third time"
        );
    }

    #[test]
    fn phantom_phrases_are_recognised_whatever_the_punctuation() {
        assert!(is_phantom("Thank you."));
        assert!(is_phantom(" thanks for watching! "));
        assert!(!is_phantom("Thank you, that fixed it."));
    }

    #[test]
    fn runaway_text_is_cut_where_it_comes_round_again() {
        let looped = "will we ever forget it yourself will be ever forget its will we ever forget it will be ever forget it";
        let (t, cut) = truncate_runaway(looped, 1.5);
        assert!(cut);
        assert_eq!(t, "will we ever forget it yourself");
        let normal = "Lord, but I am glad to see you again, Phil.";
        assert_eq!(truncate_runaway(normal, 2.5), (normal.to_string(), false));
    }

    #[test]
    fn a_phrase_said_twice_is_a_repeat_but_a_short_reply_is_not() {
        assert!(repeats_itself(
            "has never been surpassed. Has never been surpassed.",
            1.7
        ));
        assert!(repeats_itself(
            "How can I help you today? How can I help you today?",
            2.1
        ));
        assert!(!repeats_itself("no no, that is not what I said", 2.0));
        assert!(!repeats_itself("yes yes", 0.8));
        assert!(!repeats_itself("How can I help you today?", 2.1));
        // More words than 1 s of speech holds.
        assert!(repeats_itself("one two three four five six seven", 1.0));
        // A loop of short pieces inside one word (seen on a real recording: JFK's "ask not").
        assert!(repeats_itself(
            "And so am I, fellow Americans. S-0-S-0-S-0-S-0-S-0-S What your country can do",
            6.0
        ));
        assert!(!repeats_itself("a well-to-do man said no, no, no", 3.0));
    }

    #[test]
    fn loops_collapse_to_one_copy() {
        let (t, found) = collapse_repetitions("I want to I want to I want to I want to cancel");
        assert!(found);
        assert_eq!(t, "I want to cancel");
        let (t, found) = collapse_repetitions("He was not an old-s-s-y-y-y-y-y-y-y-");
        assert!(found);
        assert_eq!(t, "He was not an old-s-s-y");
        let (t, found) =
            collapse_repetitions("You are welcome. You are welcome. You are welcome. You are");
        assert_eq!((t.as_str(), found), ("You are welcome.", true));
        let (t, found) = collapse_repetitions("fellow Americans. S-0-S-0-S-0-S-0-S What your");
        assert_eq!(
            (t.as_str(), found),
            ("fellow Americans. S-0 What your", true)
        );
        let (t, found) = collapse_repetitions("a well-to-do man");
        assert_eq!((t.as_str(), found), ("a well-to-do man", false));
        let (t, found) = collapse_repetitions("no no that is not what I said");
        assert!(!found);
        assert_eq!(t, "no no that is not what I said");
    }
}

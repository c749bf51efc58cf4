//! Honesty guards: whisper's known ways of inventing text, and what to do about each.
//!
//! Whisper was trained on subtitles, so on silence, noise or tones it tends to produce the
//! phrases subtitles end with ("Thank you.", "Thanks for watching!"), bracketed
//! annotations ("[Music]"), or a phrase repeated until the token limit. A coach that shows
//! an agent words nobody said loses their trust at once.

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

/// Lower case, letters, digits, apostrophes and single spaces only.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() || c == '\'' {
            out.extend(c.to_lowercase());
        } else if (c.is_whitespace() || c == '-') && !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out.trim().to_string()
}

/// Remove bracketed or starred annotations: "[Music]", "(laughs)", "*sigh*", "[BLANK_AUDIO]".
pub fn strip_annotations(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut close: Option<char> = None;
    for c in text.chars() {
        match close {
            Some(end) if c == end => close = None,
            Some(_) => {}
            None => match c {
                '[' => close = Some(']'),
                '(' => close = Some(')'),
                '*' => close = Some('*'),
                _ => out.push(c),
            },
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
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
        let mut j = i + 1;
        while j < pieces.len() && pieces[j] == pieces[i] {
            j += 1;
        }
        found |= j - i >= 3;
        out.push(pieces[i]);
        if j - i < 3 {
            out.extend_from_slice(&pieces[i + 1..j]);
        }
        i = j;
    }
    let joined = out.join("-");
    (joined.trim_end_matches('-').to_string(), found)
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
    fn normalise_drops_case_and_punctuation() {
        assert_eq!(normalise("  Thank you. "), "thank you");
        assert_eq!(normalise("Mm-hmm."), "mm hmm");
        assert_eq!(normalise("I'm SORRY!!"), "i'm sorry");
    }

    #[test]
    fn annotations_are_removed() {
        assert_eq!(
            strip_annotations("[Music] hello (laughs) there *sigh*"),
            "hello there"
        );
        assert_eq!(strip_annotations("[BLANK_AUDIO]"), "");
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
        let (t, found) = collapse_repetitions("no no that is not what I said");
        assert!(!found);
        assert_eq!(t, "no no that is not what I said");
    }
}

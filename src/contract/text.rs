//! Transcript text: one normalisation for every place words are compared (whisper's guards,
//! the lexicon, repeated complaints), and what a log may show of what people said.

use std::sync::atomic::{AtomicBool, Ordering};

/// Lower case, letters, digits, apostrophes and single spaces only; and stars inside a word,
/// where whisper censors profanity ("f***ing"), so the lexicon can still match it.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let in_word = !out.is_empty() && !out.ends_with(' ');
        if c.is_alphanumeric() || c == '\'' || (c == '*' && in_word) {
            out.extend(c.to_lowercase());
        } else if (c.is_whitespace() || c == '-') && !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out.trim().to_string()
}

/// Whether transcript text may go into the log (`log.transcripts`); set once at start-up by
/// the log's set-up. Global because the log is.
static LOGGABLE: AtomicBool = AtomicBool::new(false);

pub fn allow_transcripts_in_log(allowed: bool) {
    LOGGABLE.store(allowed, Ordering::Relaxed);
}

/// Transcript text as the log may show it: the text itself when `log.transcripts` is on,
/// otherwise only its length.
pub fn for_log(text: &str) -> ForLog<'_> {
    ForLog(text)
}

pub struct ForLog<'a>(&'a str);

impl std::fmt::Display for ForLog<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if LOGGABLE.load(Ordering::Relaxed) {
            write!(f, "{:?}", self.0)
        } else {
            write!(
                f,
                "({} characters withheld; log.transcripts is off)",
                self.0.chars().count()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_drops_case_and_punctuation() {
        assert_eq!(normalise("  Thank you. "), "thank you");
        assert_eq!(normalise("Mm-hmm."), "mm hmm");
        assert_eq!(normalise("I'm SORRY!!"), "i'm sorry");
        assert_eq!(normalise("What the F***?"), "what the f***");
    }
}

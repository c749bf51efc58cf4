//! Agent pace: words per minute over a sliding window of transcribed agent speech.

use std::collections::VecDeque;

pub struct Pace {
    /// Agent utterances in the window: (end_ms, speech duration ms, words).
    window: VecDeque<(u64, u64, usize)>,
    window_ms: u64,
    min_speech_ms: u64,
}

impl Pace {
    pub fn new(window_ms: u64, min_speech_ms: u64) -> Self {
        Pace {
            window: VecDeque::new(),
            window_ms,
            min_speech_ms,
        }
    }

    pub fn add(&mut self, start_ms: u64, end_ms: u64, words: usize) {
        if words == 0 {
            return;
        }
        self.window
            .push_back((end_ms, end_ms.saturating_sub(start_ms), words));
        while let Some(&(end, _, _)) = self.window.front() {
            if end + self.window_ms < end_ms {
                self.window.pop_front();
            } else {
                break;
            }
        }
    }

    /// Words per minute of speech, once the window holds enough of it.
    pub fn wpm(&self) -> Option<f32> {
        let ms: u64 = self.window.iter().map(|p| p.1).sum();
        let words: usize = self.window.iter().map(|p| p.2).sum();
        (ms >= self.min_speech_ms).then(|| (words as f32 * 60_000.0 / ms as f32).round())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pace_needs_enough_speech_then_counts_words_per_minute() {
        let mut p = Pace::new(60_000, 10_000);
        p.add(0, 6_000, 15);
        assert_eq!(p.wpm(), None);
        p.add(7_000, 13_000, 15);
        assert_eq!(p.wpm(), Some(150.0));
        // Old speech leaves the window.
        p.add(100_000, 112_000, 40);
        assert_eq!(p.wpm(), Some(200.0));
    }
}

//! Echo guard: is this channel's sound the speaker, or the other side leaking in?
//!
//! A softphone recording often carries the other side too: line echo, or the customer heard
//! through the agent's headset. Echo is the other channel's speech, delayed by the echo path
//! (a few ms for a headset, up to 300 ms and more for line and VoIP echo, plus however far
//! apart two capture devices put the two sides) and attenuated by its coupling (typically
//! 30 dB or more). Neither is known in advance, so both are measured per call.
//!
//! For every delay in the window the guard keeps how far this channel sits under the other
//! side's level that long ago, and how steady that difference is. Where this channel is the
//! other's echo, the difference at the echo's delay is nearly constant (the coupling) while
//! at every other delay it swings with the other's syllables; without echo it swings at every
//! delay alike, and the coupling it gives is just how far this line's noise sits under the
//! other's speech. A frame is echo when it is no louder than the other side's level at that
//! delay, minus the coupling, plus a guard. A fixed "N dB under the other side" rule would
//! fail when one side is recorded 20 dB quieter than the other (real double talk is then far
//! under the louder side too), and the loudest level over the whole window would take the
//! echo's quiet moments for its level and its peaks for speech.
//!
//! Written here rather than taken from an echo canceller: a canceller subtracts the echo
//! from the waveform (and needs the far end's samples, aligned); the gate only needs to know
//! whether a frame's level is explained by the other side's, which is far cheaper.

/// Each delay's difference is taken over the other side's loudest frame within this many
/// frames either side of it: capture timelines jitter by tens of ms.
const SPREAD: usize = 2;
/// How fast the per-delay figures forget: about 5 s of the other side's speech.
const ALPHA: f32 = 0.002;
/// Observations before a delay's figures are trusted over the prior.
const MIN_EVIDENCE: f32 = 100.0;
/// Observations before a delay's coupling is used, with the other side's loudest level over
/// the whole window, while no delay is trusted yet (the first second of the other's speech).
const EARLY_EVIDENCE: f32 = 20.0;
/// ...if it is this steady (mean absolute deviation, dB).
const EARLY_STEADY_DB: f32 = 3.0;
/// A frame this far above the echo a delay predicts is this speaker talking (double talk),
/// and is kept out of that delay's figures.
const DOUBLE_TALK_DB: f32 = 12.0;
/// One frame moves a delay's figures by at most this (a click or a word of double talk
/// slipping under the rule above must not swing them).
const CLAMP_DB: f32 = 10.0;

#[derive(Debug, Clone, Copy)]
struct Delay {
    /// Mean of (other's level at this delay) - (this channel's level), dB.
    mean: f32,
    /// Mean absolute deviation of that difference, dB.
    dev: f32,
    n: f32,
}

#[derive(Debug, Clone)]
pub struct EchoGuard {
    prior_db: f32,
    guard_db: f32,
    /// The other side's recent levels, newest last; `None` where it was not speaking.
    other: Vec<Option<f32>>,
    /// Index of the newest entry in `other` (a ring).
    head: usize,
    delays: Vec<Delay>,
    /// The delay whose difference is steadiest, once any has enough evidence.
    best: Option<usize>,
}

impl EchoGuard {
    /// `prior_db`: coupling assumed before there is evidence; `guard_db`: how far above the
    /// expected echo level a frame must be to count as the speaker; `window_frames`: the
    /// longest delay looked at.
    pub fn new(prior_db: f32, guard_db: f32, window_frames: usize) -> Self {
        let lags = window_frames.max(1);
        EchoGuard {
            prior_db: prior_db.max(0.0),
            guard_db,
            other: vec![None; lags + 2 * SPREAD + 1],
            head: 0,
            delays: vec![
                Delay {
                    mean: prior_db,
                    dev: 0.0,
                    n: 0.0,
                };
                lags
            ],
            best: None,
        }
    }

    /// The other side's frame at this moment: its level, and whether it is speech.
    pub fn push_other(&mut self, other_db: f32, other_active: bool) {
        self.head = (self.head + 1) % self.other.len();
        self.other[self.head] = other_active.then_some(other_db);
    }

    /// The other side's loudest speech level around `lag` frames ago, if it was speaking.
    fn other_at(&self, lag: usize) -> Option<f32> {
        let len = self.other.len();
        (lag.saturating_sub(SPREAD)..=lag + SPREAD)
            .filter(|&k| k < len)
            .filter_map(|k| self.other[(self.head + len - k) % len])
            .reduce(f32::max)
    }

    /// This channel's level for the frame just pushed with [`EchoGuard::push_other`]: learn
    /// from it how the other side's speech reaches this channel.
    pub fn observe(&mut self, this_db: f32) {
        let mut best: Option<(usize, f32)> = None;
        for lag in 0..self.delays.len() {
            let Some(other) = self.other_at(lag) else {
                continue;
            };
            let d = &mut self.delays[lag];
            let diff = other - this_db;
            let trusted = d.n >= MIN_EVIDENCE;
            if !(trusted && diff < d.mean - DOUBLE_TALK_DB) {
                d.n += 1.0;
                let a = (1.0 / d.n).max(ALPHA);
                let step = (diff - d.mean).clamp(-CLAMP_DB, CLAMP_DB);
                d.mean += a * step;
                d.dev += a * (step.abs() - d.dev);
            }
            if d.n >= MIN_EVIDENCE && best.is_none_or(|(_, dev)| d.dev < dev) {
                best = Some((lag, d.dev));
            }
        }
        if let Some((lag, _)) = best {
            self.best = Some(lag);
        }
    }

    /// The estimated coupling from the other side into this channel, dB, and the delay it
    /// was measured at (frames); the prior and no delay before there is evidence.
    pub fn coupling(&self) -> (f32, Option<usize>) {
        match self.best {
            Some(lag) => (self.delays[lag].mean, Some(lag)),
            None => (self.prior_db, None),
        }
    }

    /// Could this channel's frame at `this_db` be only the echo of the other side?
    pub fn is_echo(&self, this_db: f32) -> bool {
        let expected = match self.best {
            Some(lag) => self.other_at(lag).map(|o| o - self.delays[lag].mean),
            // Before the delay is known: the other's loudest over the whole window, under the
            // prior coupling, or a smaller one already seen to be steady (this channel
            // following the other's every syllable is echo; double talk, two voices, is not
            // steady).
            None => {
                let coupling = self
                    .delays
                    .iter()
                    .filter(|d| d.n >= EARLY_EVIDENCE && d.dev < EARLY_STEADY_DB)
                    .min_by(|a, b| a.dev.total_cmp(&b.dev))
                    .map_or(self.prior_db, |d| d.mean.min(self.prior_db));
                (0..self.delays.len())
                    .filter_map(|lag| self.other_at(lag))
                    .reduce(f32::max)
                    .map(|o| o - coupling)
            }
        };
        expected.is_some_and(|e| this_db <= e + self.guard_db)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A syllable-like level for the other side: a new level between -40 and -12 dBFS
    /// every 4 frames, from a fixed pseudo-random sequence.
    fn other_level(k: usize) -> f32 {
        let mut x = (k / 4) as u64 ^ 0x9e37_79b9_7f4a_7c15;
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        -40.0 + ((x ^ (x >> 31)) % 29) as f32
    }

    fn run(g: &mut EchoGuard, frames: usize, this: impl Fn(usize) -> f32) {
        for k in 0..frames {
            g.push_other(other_level(k), true);
            g.observe(this(k));
        }
    }

    #[test]
    fn finds_the_delay_and_coupling_of_a_long_echo() {
        // Line echo 25 frames (250 ms) late and 35 dB down, over a -70 dBFS line.
        let mut g = EchoGuard::new(30.0, 6.0, 32);
        let echo = |k: usize| {
            let e = if k >= 25 {
                other_level(k - 25) - 35.0
            } else {
                -120.0
            };
            10.0 * (10f32.powf(e / 10.0) + 1e-7).log10()
        };
        run(&mut g, 3000, echo);
        let (coupling, lag) = g.coupling();
        let lag = lag.expect("a delay found");
        assert!(lag.abs_diff(25) <= SPREAD, "lag {lag}");
        // Measured against the other's loudest frame around the delay: a few dB over the
        // path's own 35.
        assert!((33.0..42.0).contains(&coupling), "coupling {coupling}");
        // The echo itself is echo; this speaker 20 dB under the other side is not.
        g.push_other(other_level(3000), true);
        assert!(g.is_echo(echo(3000)));
        assert!(!g.is_echo(other_level(3000 - lag) - 20.0));
    }

    #[test]
    fn without_echo_nothing_is_taken_for_echo() {
        let mut g = EchoGuard::new(30.0, 6.0, 32);
        run(&mut g, 2000, |_| -90.0); // a silent line under the other side's speech
        g.push_other(-15.0, true);
        assert!(!g.is_echo(-50.0));
    }

    #[test]
    fn double_talk_does_not_teach_it_a_smaller_coupling() {
        let mut g = EchoGuard::new(30.0, 6.0, 32);
        // Echo 35 dB down, with this speaker talking (at -30 dBFS) one frame in five.
        run(&mut g, 4000, |k| {
            if k % 5 == 0 {
                -30.0
            } else {
                other_level(k.saturating_sub(3)) - 35.0
            }
        });
        let (coupling, _) = g.coupling();
        assert!(coupling > 30.0, "coupling {coupling}");
    }

    #[test]
    fn nothing_is_echo_while_the_other_side_is_silent() {
        let mut g = EchoGuard::new(30.0, 6.0, 32);
        for _ in 0..100 {
            g.push_other(-80.0, false);
        }
        assert!(!g.is_echo(-60.0));
    }
}

//! Echo guard: is this channel's sound the speaker, or the other side leaking in?
//!
//! A softphone recording often carries the other side too: line echo, or the customer heard
//! through the agent's headset. Echo is the other channel's speech, delayed and attenuated by
//! the echo path's coupling (typically 30 dB or more). A fixed "N dB under the other side"
//! rule fails when one side is recorded 20 dB quieter than the other, because then real
//! double talk is also far under the louder side. So the coupling is measured per call: while
//! the other side talks, the difference between its level and this channel's is, most of the
//! time, exactly the coupling (single talk is far more common than double talk). Its running
//! median is the estimate; a frame is echo when it is no louder than the other side's recent
//! peak minus that coupling, plus a guard.

/// Differences are kept in 1 dB bins up to this.
const BINS: usize = 90;
/// Forgetting per observation: a time constant of ~10 s of the other side's speech.
const DECAY: f32 = 0.999;
/// Weight of the prior (in frames of evidence) at the start of a call.
const PRIOR_WEIGHT: f32 = 20.0;

#[derive(Debug, Clone)]
pub struct EchoGuard {
    hist: [f32; BINS],
    guard_db: f32,
}

impl EchoGuard {
    /// `prior_db`: coupling assumed before there is evidence; `guard_db`: how far above the
    /// expected echo level a frame must be to count as the speaker.
    pub fn new(prior_db: f32, guard_db: f32) -> Self {
        let mut hist = [0.0; BINS];
        hist[(prior_db.max(0.0) as usize).min(BINS - 1)] = PRIOR_WEIGHT;
        EchoGuard { hist, guard_db }
    }

    /// While the other side is talking: record how far under it this channel is.
    pub fn observe(&mut self, other_db: f32, this_db: f32) {
        for h in self.hist.iter_mut() {
            *h *= DECAY;
        }
        let diff = (other_db - this_db).clamp(0.0, (BINS - 1) as f32);
        self.hist[diff as usize] += 1.0;
    }

    /// The estimated coupling from the other side into this channel, dB.
    pub fn coupling_db(&self) -> f32 {
        let total: f32 = self.hist.iter().sum();
        let mut acc = 0.0;
        for (k, h) in self.hist.iter().enumerate() {
            acc += h;
            if acc >= total / 2.0 {
                return k as f32 + 0.5;
            }
        }
        (BINS - 1) as f32
    }

    /// Could a frame at `this_db` be only the echo of the other side at `other_recent_db`?
    pub fn is_echo(&self, this_db: f32, other_recent_db: f32) -> bool {
        this_db <= other_recent_db - self.coupling_db() + self.guard_db
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_the_coupling_and_rejects_echo_but_not_quiet_double_talk() {
        let mut g = EchoGuard::new(30.0, 6.0);
        // The other side talks at -20 dBFS; this channel hears it 35 dB down, most of the time.
        for k in 0..2000 {
            let this = if k % 10 == 0 { -42.0 } else { -55.0 }; // some double talk
            g.observe(-20.0, this);
        }
        assert!((g.coupling_db() - 35.5).abs() < 1.0, "{}", g.coupling_db());
        assert!(g.is_echo(-55.0, -20.0));
        // This speaker 20 dB under the other still counts as speech.
        assert!(!g.is_echo(-40.0, -20.0));
    }

    #[test]
    fn without_echo_nothing_is_taken_for_echo() {
        let mut g = EchoGuard::new(30.0, 6.0);
        for _ in 0..2000 {
            g.observe(-20.0, -90.0); // digital silence on this channel
        }
        assert!(!g.is_echo(-50.0, -15.0));
    }
}

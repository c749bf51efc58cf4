//! One speaker's side of the engine, frame by frame: their level, speech activity and pitch,
//! the recent audio kept for an utterance's pre-roll, and the utterance being recorded.

use crate::config::Config;
use crate::contract::time::{FRAME, SAMPLES_PER_MS, ms_to_frames};
use crate::signal::{ActivityDetector, PitchTracker, ProsodyAccumulator, Transition};
use std::collections::VecDeque;

/// Keep this much speech after the last active frame when cutting an utterance: word ends
/// (fricatives, stops) are quieter than the gate.
const TAIL_MS: u32 = 150;
/// When an utterance runs past the maximum, it is cut at the quietest frame of its last second.
const CUT_SEARCH_MS: u32 = 1000;

/// An utterance being recorded, from its pre-roll to now.
pub struct Recording {
    /// Sample position of `audio[0]`.
    pub start_sample: u64,
    /// Frame where speech began (after the pre-roll).
    pub speech_start: u64,
    pub audio: Vec<f32>,
    /// Level of each frame from `speech_start` on.
    pub levels: Vec<f32>,
    /// Level, pitch and effort of the speech frames.
    pub prosody: ProsodyAccumulator,
    /// Frame at which the last partial transcript was asked for.
    pub last_partial: u64,
    /// Seconds of speech at which the customer's tension was last looked at mid-utterance.
    pub sounded_secs: u32,
    /// Speech has paused (it ended at this frame); if it resumes within
    /// `asr.join_pause_ms` the utterance goes on, otherwise it goes to whisper as it is.
    pub paused_at: Option<u64>,
    /// Samples of `audio` already sent for partial transcripts.
    pub partial_from: usize,
}

/// Where a partial transcript's stretch may end: within the last second, at a frame this
/// much quieter than its loudest.
const PARTIAL_CUT_SEARCH_FRAMES: usize = 100;
const PARTIAL_CUT_DIP_DB: f32 = 12.0;
/// See `SpeakerTrack::join_limit_samples`.
const JOIN_SHORTER_THAN_MS: usize = 3_000;

pub struct SpeakerTrack {
    pub activity: ActivityDetector,
    pitch: PitchTracker,
    /// The most recent samples, for the pre-roll of the next utterance.
    history: VecDeque<f32>,
    history_cap: usize,
    preroll_samples: u64,
    join_frames: u64,
    /// Only an utterance shorter than this waits across a pause for more: a short fragment
    /// is where whisper lacks the context to hear the words ("and course," for "of
    /// course"), while a longer one has its context already, and waiting would only delay
    /// its text (and the cues and prompts that read it) and push it towards a forced cut
    /// at `asr.max_utterance_ms`.
    join_limit_samples: usize,
    pub recording: Option<Recording>,
    /// Frames of speech so far in the call.
    pub speech_frames: u64,
}

impl SpeakerTrack {
    pub fn new(cfg: &Config) -> SpeakerTrack {
        let history_len = ((cfg.asr.preroll_ms + cfg.activity.onset_ms + 20) * 16) as usize;
        let history = VecDeque::with_capacity(history_len);
        SpeakerTrack {
            activity: ActivityDetector::new(&cfg.activity),
            pitch: PitchTracker::new(),
            history_cap: history.capacity(),
            history,
            preroll_samples: cfg.asr.preroll_ms as u64 * SAMPLES_PER_MS,
            join_frames: if cfg.asr.join_pause_ms == 0 {
                0
            } else {
                ms_to_frames(cfg.asr.join_pause_ms) as u64
            },
            join_limit_samples: JOIN_SHORTER_THAN_MS * SAMPLES_PER_MS as usize,
            recording: None,
            speech_frames: 0,
        }
    }

    /// Analyse frame `index` of this side, given the other side's level in the same frame
    /// and whether it was speaking in the previous frame (for the echo guard).
    pub fn frame(
        &mut self,
        index: u64,
        samples: &[f32; FRAME],
        level: f32,
        other_level: f32,
        other_was_active: bool,
    ) -> Option<Transition> {
        if self.history.len() + FRAME > self.history_cap {
            let excess = self.history.len() + FRAME - self.history_cap;
            self.history.drain(..excess);
        }
        self.history.extend(samples.iter().copied());
        self.pitch.push(samples);
        let transition = self
            .activity
            .step(index, level, other_level, other_was_active);
        if let Some(r) = self.recording.as_mut() {
            r.audio.extend_from_slice(samples);
            r.levels.push(level);
            // Pitch costs the most per frame: only on frames that are speech.
            if self.activity.frame_active() {
                r.prosody.add(samples, level, self.pitch.estimate());
            }
        }
        transition
    }

    /// Speech began at frame `start` (decided at frame `index`): record it, from the
    /// pre-roll before it; or, after a short pause, go on with the utterance it paused.
    pub fn start_recording(&mut self, start: u64, index: u64, level: f32) {
        if let Some(r) = self.recording.as_mut()
            && r.paused_at.is_some()
        {
            r.paused_at = None;
            return;
        }
        let end_sample = (index + 1) * FRAME as u64;
        let from = (start * FRAME as u64).saturating_sub(self.preroll_samples);
        let have = self.history.len() as u64;
        let from = from.max(end_sample - have);
        let skip = (have - (end_sample - from)) as usize;
        let audio: Vec<f32> = self.history.iter().skip(skip).copied().collect();
        let frames_in = (index + 1 - start) as usize;
        self.recording = Some(Recording {
            start_sample: from,
            speech_start: start,
            audio,
            levels: vec![level; frames_in],
            prosody: ProsodyAccumulator::default(),
            last_partial: 0,
            sounded_secs: 0,
            paused_at: None,
            partial_from: 0,
        });
    }

    /// Speech from `start` ended at `end`: with pauses joined, the utterance waits to see
    /// whether speech resumes ([`SpeakerTrack::paused_too_long`]); otherwise it is finished
    /// now.
    pub fn speech_ended(&mut self, start: u64, end: u64) -> Option<(Recording, u64)> {
        self.speech_frames += end - start;
        let long = self
            .recording
            .as_ref()
            .is_some_and(|r| r.audio.len() >= self.join_limit_samples);
        if self.join_frames == 0 || long {
            return self.finish_recording(end).map(|r| (r, end));
        }
        if let Some(r) = self.recording.as_mut() {
            r.paused_at = Some(end);
        }
        None
    }

    /// At frame `index`: an utterance whose pause has lasted too long, finished (with the
    /// frame its speech ended at).
    pub fn paused_too_long(&mut self, index: u64) -> Option<(Recording, u64)> {
        let end = self.recording.as_ref()?.paused_at?;
        if index < end + self.join_frames {
            return None;
        }
        self.finish_recording(end).map(|r| (r, end))
    }

    /// The end of the call: an utterance waiting in a pause is finished now.
    pub fn flush(&mut self) -> Option<(Recording, u64)> {
        let end = self.recording.as_ref()?.paused_at?;
        self.finish_recording(end).map(|r| (r, end))
    }

    /// The recording, finished with its speech ending at `end`: trimmed to its speech and
    /// a short tail.
    fn finish_recording(&mut self, end: u64) -> Option<Recording> {
        let mut r = self.recording.take()?;
        let keep_until = end * FRAME as u64 + TAIL_MS as u64 * SAMPLES_PER_MS;
        let keep = keep_until.saturating_sub(r.start_sample) as usize;
        r.audio.truncate(keep);
        let speech_frames = (end.saturating_sub(r.speech_start)) as usize;
        r.levels.truncate(speech_frames.min(r.levels.len()));
        r.paused_at = None;
        Some(r)
    }

    /// A turn longer than `max_samples` goes to whisper in pieces, each cut at the quietest
    /// moment of its last second: the piece before the cut, and the frame it ends at.
    pub fn cut_if_long(&mut self, max_samples: usize) -> Option<(Recording, u64)> {
        let search = (CUT_SEARCH_MS / 10) as usize;
        let r = self.recording.as_mut()?;
        if r.audio.len() < max_samples || r.paused_at.is_some() {
            return None;
        }
        let n = r.levels.len();
        let lo = n.saturating_sub(search);
        let cut = (lo..n)
            .min_by(|&a, &b| r.levels[a].total_cmp(&r.levels[b]))
            .unwrap_or(n - 1);
        // Frame `cut` of the utterance's levels, counted from its speech start.
        let cut_frame = r.speech_start + cut as u64;
        let cut_sample = (cut_frame * FRAME as u64).max(r.start_sample);
        let split = (cut_sample - r.start_sample) as usize;
        let rest = Recording {
            start_sample: cut_sample,
            speech_start: cut_frame,
            audio: r.audio[split.min(r.audio.len())..].to_vec(),
            levels: r.levels[cut.min(n)..].to_vec(),
            prosody: ProsodyAccumulator::default(),
            last_partial: 0,
            sounded_secs: 0,
            paused_at: None,
            partial_from: 0,
        };
        let mut first = std::mem::replace(r, rest);
        first.audio.truncate(split);
        first.levels.truncate(cut);
        Some((first, cut_frame))
    }

    /// The part of the recording not yet captioned, for a partial transcript asked for at
    /// `frame`: from where the last partial stopped to the quietest moment of the last
    /// second, when that moment is a real dip between words (12 dB under the second's
    /// loudest frame). Each stretch of speech is captioned once, not again with every
    /// partial. None when there is no such dip yet: a stretch cut inside a word makes
    /// whisper invent the rest of it, so the partial waits for the next chance.
    pub fn snapshot_for_partial(&mut self, frame: u64) -> Option<Recording> {
        let r = self.recording.as_mut()?;
        r.last_partial = frame;
        let n = r.levels.len();
        let lo = n.saturating_sub(PARTIAL_CUT_SEARCH_FRAMES);
        let quietest = (lo..n).min_by(|&a, &b| r.levels[a].total_cmp(&r.levels[b]))?;
        let loudest = r.levels[lo..n].iter().copied().fold(f32::MIN, f32::max);
        if loudest - r.levels[quietest] < PARTIAL_CUT_DIP_DB {
            return None;
        }
        let cut_sample = ((r.speech_start + quietest as u64) * FRAME as u64).max(r.start_sample);
        let cut = ((cut_sample - r.start_sample) as usize).min(r.audio.len());
        let from = r.partial_from.min(cut);
        r.partial_from = cut;
        Some(Recording {
            start_sample: r.start_sample + from as u64,
            speech_start: r.speech_start,
            audio: r.audio[from..cut].to_vec(),
            levels: r.levels.clone(),
            prosody: ProsodyAccumulator::default(),
            last_partial: frame,
            sounded_secs: 0,
            paused_at: None,
            partial_from: 0,
        })
    }
}

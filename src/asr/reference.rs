//! The yardstick: whole-file whisper as `whisper-cli` runs a file at its defaults, on the
//! same model. The whole recording in whisper's own 30 s windows (full encoder window), beam
//! search with 5 beams, temperature fallback, the text of earlier windows as context. What a
//! user would run instead of Hearken; the streaming path is measured against it
//! (`examples/asr_compare.rs`).

use super::transcriber::WhisperModel;
use whisper_rs::{FullParams, SamplingStrategy};

impl WhisperModel {
    /// Transcribe a whole recording (16 kHz mono) the way whisper-cli does by default.
    pub fn whole_file(&self, audio: &[f32], threads: i32) -> Result<String, String> {
        let mut state = self.state().map_err(|e| e.to_string())?;
        let mut p = FullParams::new(SamplingStrategy::BeamSearch {
            beam_size: 5,
            patience: -1.0,
        });
        p.set_n_threads(threads);
        p.set_language(Some("en"));
        p.set_translate(false);
        p.set_print_special(false);
        p.set_print_progress(false);
        p.set_print_realtime(false);
        p.set_print_timestamps(false);
        state
            .full(p, audio)
            .map_err(|e| format!("whisper failed: {e}"))?;
        let mut text = String::new();
        for seg in state.as_iter() {
            text.push_str(&seg.to_str_lossy().map_err(|e| e.to_string())?);
        }
        Ok(text.trim().to_string())
    }
}

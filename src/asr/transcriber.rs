//! One whisper context and state, turning a 16 kHz utterance into honest text.

use super::guard;
use super::model::ModelError;
use crate::config::AsrConfig;
use std::path::Path;
use std::sync::Arc;
use whisper_rs::{
    FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState,
};

/// What whisper heard in one utterance, after the guards.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transcript {
    pub text: String,
    /// Words with times in ms from the start of the audio given, and the first token's
    /// probability.
    pub words: Vec<(String, u64, u64, f32)>,
    pub no_speech_prob: f32,
    pub avg_token_p: f32,
    /// Why the text was dropped, if a guard fired.
    pub dropped: Option<&'static str>,
}

/// The seam between the engine and speech recognition. The real implementation is
/// [`Whisper`]; tests of the engine's own logic may supply another, by name.
pub trait Transcribe: Send {
    /// Transcribe 16 kHz mono audio whose speech frames average `level_db`.
    fn transcribe(&mut self, audio: &[f32], level_db: f32) -> Result<Transcript, String>;
}

/// The loaded model, shared by every transcriber made from it (one per speaker).
#[derive(Clone)]
pub struct WhisperModel {
    ctx: Arc<WhisperContext>,
    path: std::path::PathBuf,
}

/// whisper.cpp through whisper-rs: one decoding state on the shared model.
pub struct Whisper {
    ctx: Arc<WhisperContext>,
    state: WhisperState,
    cfg: AsrConfig,
    threads: i32,
}

/// whisper.cpp ignores input shorter than one second; short utterances ("mm-hmm") are padded
/// with silence to this length.
const MIN_WHISPER_SAMPLES: usize = 16_000 + 1_600;
/// The encoder makes 50 frames per second of audio. Sizing its context to the utterance
/// (instead of the full 30 s) is what makes short utterances cheap; a margin
/// (`asr.audio_ctx_margin`) keeps whisper from hallucinating on a context that ends right at
/// the last word.
const AUDIO_CTX_PER_SEC: f32 = 50.0;

/// Token budget for `secs` of audio: room for very fast speech with punctuation.
fn max_tokens(secs: f32) -> i32 {
    (secs * 10.0).ceil() as i32 + 16
}

impl WhisperModel {
    /// Load a (checksum-verified) model file.
    pub fn load(path: &Path) -> Result<WhisperModel, ModelError> {
        whisper_rs::install_logging_hooks();
        let mut params = WhisperContextParameters::default();
        params.use_gpu(false);

        let ctx = WhisperContext::new_with_params(path, params).map_err(|e| ModelError::Load {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(WhisperModel {
            ctx: Arc::new(ctx),
            path: path.to_owned(),
        })
    }

    /// A transcriber with its own decoding state on this model.
    pub fn transcriber(&self, cfg: &AsrConfig) -> Result<Whisper, ModelError> {
        let state = self.ctx.create_state().map_err(|e| ModelError::Load {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        Ok(Whisper {
            ctx: self.ctx.clone(),
            state,
            cfg: cfg.clone(),
            threads: cfg.effective_threads() as i32,
        })
    }
}

impl Whisper {
    /// Load a model and make one transcriber on it.
    pub fn load(path: &Path, cfg: &AsrConfig) -> Result<Whisper, ModelError> {
        WhisperModel::load(path)?.transcriber(cfg)
    }

    fn params(&self, n_samples: usize) -> FullParams<'static, 'static> {
        let mut p = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        p.set_n_threads(self.threads);
        p.set_language(Some("en"));
        p.set_translate(false);
        // Each utterance stands alone: carrying text across utterances spreads a
        // hallucination from one to the next.
        p.set_no_context(true);
        p.set_single_segment(true);
        p.set_token_timestamps(true);
        p.set_suppress_blank(true);
        if !self.cfg.temperature_fallback {
            p.set_temperature_inc(0.0);
        }
        p.set_suppress_nst(true);
        p.set_print_special(false);
        p.set_print_progress(false);
        p.set_print_realtime(false);
        p.set_print_timestamps(false);
        let secs = n_samples as f32 / 16_000.0;
        let ctx =
            ((secs * AUDIO_CTX_PER_SEC).ceil() as i32 + self.cfg.audio_ctx_margin as i32).min(1500);
        p.set_audio_ctx(ctx);
        // Whisper's usual failure on short or synthetic speech is a repetition loop that runs
        // to the 224-token end of its window: seven decoder steps a token, over a second and a
        // half wasted on text the guards then throw away. Nobody says more than about six
        // tokens a second, so decoding stops well past that; the loop guards below collapse
        // what was cut off. With temperature fallback on, a loop must run long enough to be
        // seen as one, so the limit is off.
        if !self.cfg.temperature_fallback {
            p.set_max_tokens(max_tokens(secs));
        }
        p
    }
}

impl Transcribe for Whisper {
    fn transcribe(&mut self, audio: &[f32], level_db: f32) -> Result<Transcript, String> {
        if level_db < self.cfg.min_level_dbfs {
            return Ok(Transcript {
                dropped: Some("quiet"),
                ..Default::default()
            });
        }
        let padded;
        let input: &[f32] = if audio.len() < MIN_WHISPER_SAMPLES {
            let mut v = audio.to_vec();
            v.resize(MIN_WHISPER_SAMPLES, 0.0);
            padded = v;
            &padded
        } else {
            audio
        };
        let params = self.params(input.len());
        self.state
            .full(params, input)
            .map_err(|e| format!("whisper failed: {e}"))?;

        let eot = self.ctx.token_eot();
        let mut text = String::new();
        let mut words: Vec<(String, u64, u64, f32)> = Vec::new();
        let mut p_sum = 0.0f32;
        let mut p_count = 0u32;
        let mut no_speech = 0.0f32;
        for seg in self.state.as_iter() {
            no_speech = no_speech.max(seg.no_speech_probability());
            for k in 0..seg.n_tokens() {
                let Some(tok) = seg.get_token(k) else {
                    continue;
                };
                let data = tok.token_data();
                if data.id >= eot {
                    continue; // special and timestamp tokens
                }
                let piece = tok.to_str_lossy().map_err(|e| e.to_string())?.into_owned();
                p_sum += data.p;
                p_count += 1;
                text.push_str(&piece);
                let t0 = (data.t0.max(0) as u64) * 10;
                let t1 = (data.t1.max(0) as u64) * 10;
                if piece.starts_with(' ') || words.is_empty() {
                    words.push((piece.trim().to_string(), t0, t1, data.p));
                } else if let Some(w) = words.last_mut() {
                    w.0.push_str(piece.trim());
                    w.2 = w.2.max(t1);
                }
            }
        }
        words.retain(|w| !guard::normalise(&w.0).is_empty());
        let avg_token_p = if p_count > 0 {
            p_sum / p_count as f32
        } else {
            0.0
        };
        let mut t = Transcript {
            text: String::new(),
            words,
            no_speech_prob: no_speech,
            avg_token_p,
            dropped: None,
        };
        tracing::debug!(
            "whisper raw text {}, no_speech {no_speech:.2}, avg p {avg_token_p:.2}",
            crate::logging::said(&text)
        );
        let cleaned = guard::strip_annotations(&text);
        let (cleaned, looped) = guard::collapse_repetitions(&cleaned);
        let (cleaned, runaway) = guard::truncate_runaway(&cleaned, audio.len() as f32 / 16_000.0);
        let looped = looped || runaway;
        let weak_audio = level_db < self.cfg.min_level_dbfs + 10.0;
        let nothing = guard::normalise(&cleaned).is_empty();
        let unsure = no_speech > self.cfg.no_speech_threshold && avg_token_p < 0.5;
        t.dropped = if nothing || unsure {
            Some("no_speech")
        } else if guard::is_phantom(&cleaned)
            && (weak_audio || no_speech > 0.3 || avg_token_p < 0.4)
        {
            Some("phantom")
        } else {
            None
        };
        if t.dropped.is_some() {
            t.words.clear();
        } else {
            if looped {
                // Word times no longer line up one-to-one with a collapsed text.
                t.words.clear();
            }
            t.text = cleaned;
        }
        Ok(t)
    }
}

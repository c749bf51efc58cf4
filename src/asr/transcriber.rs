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
    /// The first pass repeated itself (or held more words than the audio could), so the
    /// utterance was decoded again with the full window and beam search.
    pub second_pass: bool,
}

/// How loud an utterance is, and over what: the mean level of its speech frames and its
/// channel's noise floor then (dBFS).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Loudness {
    pub speech_db: f32,
    pub floor_db: f32,
}

impl Loudness {
    /// Speech over the line's own noise, dB.
    pub fn snr_db(&self) -> f32 {
        self.speech_db - self.floor_db
    }
}

/// The seam between the engine and speech recognition. The real implementation is
/// [`Whisper`]; tests of the engine's own logic may supply another, by name.
pub trait Transcribe: Send {
    /// Transcribe 16 kHz mono audio as loud as `loudness` says.
    fn transcribe(&mut self, audio: &[f32], loudness: Loudness) -> Result<Transcript, String>;
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

/// Token budget for `secs` of audio (`asr.tokens_per_sec` a second, plus 16): room for very
/// fast speech with punctuation.
fn max_tokens(secs: f32, per_sec: f32) -> i32 {
    (secs * per_sec).ceil() as i32 + 16
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

    /// A fresh decoding state on this model.
    pub(crate) fn state(&self) -> Result<WhisperState, ModelError> {
        self.ctx.create_state().map_err(|e| ModelError::Load {
            path: self.path.clone(),
            reason: e.to_string(),
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

    fn params(&self, n_samples: usize, pass: Pass) -> FullParams<'static, 'static> {
        let strategy = match pass {
            Pass::First if self.cfg.beam_size > 1 => SamplingStrategy::BeamSearch {
                beam_size: self.cfg.beam_size as i32,
                patience: -1.0,
            },
            Pass::First => SamplingStrategy::Greedy { best_of: 1 },
            Pass::Second => SamplingStrategy::BeamSearch {
                beam_size: 5,
                patience: -1.0,
            },
        };
        let mut p = FullParams::new(strategy);
        p.set_n_threads(self.threads);
        p.set_language(Some("en"));
        p.set_translate(false);
        // Each utterance stands alone: carrying text across utterances spreads a
        // hallucination from one to the next.
        p.set_no_context(true);
        p.set_single_segment(true);
        p.set_token_timestamps(true);
        p.set_suppress_blank(true);
        if pass == Pass::First && !self.cfg.temperature_fallback {
            p.set_temperature_inc(0.0);
        }
        p.set_suppress_nst(true);
        p.set_print_special(false);
        p.set_print_progress(false);
        p.set_print_realtime(false);
        p.set_print_timestamps(false);
        let secs = n_samples as f32 / 16_000.0;
        if pass == Pass::First {
            let ctx = ((secs * AUDIO_CTX_PER_SEC).ceil() as i32 + self.cfg.audio_ctx_margin as i32)
                .min(1500);
            p.set_audio_ctx(ctx);
        }
        // Whisper's usual failure on short or synthetic speech is a repetition loop that runs
        // to the 224-token end of its window: seven decoder steps a token, over a second and a
        // half wasted on text the guards then throw away. Nobody says more than about six
        // tokens a second, so decoding stops well past that; a first pass that still
        // repeats itself is decoded again (the second pass keeps whisper's own limit).
        if pass == Pass::First && !self.cfg.temperature_fallback {
            p.set_max_tokens(max_tokens(secs, self.cfg.tokens_per_sec));
        }
        p
    }

    /// One decoding of `input`: the raw text, word times, and whisper's confidence.
    fn decode(&mut self, input: &[f32], pass: Pass) -> Result<Raw, String> {
        let params = self.params(input.len(), pass);
        self.state
            .full(params, input)
            .map_err(|e| format!("whisper failed: {e}"))?;
        let eot = self.ctx.token_eot();
        let mut raw = Raw::default();
        let (mut p_sum, mut p_count) = (0.0f32, 0u32);
        for seg in self.state.as_iter() {
            raw.no_speech = raw.no_speech.max(seg.no_speech_probability());
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
                raw.text.push_str(&piece);
                let t0 = (data.t0.max(0) as u64) * 10;
                let t1 = (data.t1.max(0) as u64) * 10;
                if piece.starts_with(' ') || raw.words.is_empty() {
                    raw.words.push((piece.trim().to_string(), t0, t1, data.p));
                } else if let Some(w) = raw.words.last_mut() {
                    w.0.push_str(piece.trim());
                    w.2 = w.2.max(t1);
                }
            }
        }
        raw.words
            .retain(|w| !crate::contract::text::normalise(&w.0).is_empty());
        raw.avg_token_p = if p_count > 0 {
            p_sum / p_count as f32
        } else {
            0.0
        };
        Ok(raw)
    }
}

/// Which decoding: the cheap first pass, or the careful second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Greedy, on an encoder window sized to the utterance.
    First,
    /// Beam search (5) on whisper's full 30 s window, as whole-file whisper decodes.
    Second,
}

/// What one decoding returned, before the guards.
#[derive(Debug, Default)]
struct Raw {
    text: String,
    words: Vec<(String, u64, u64, f32)>,
    no_speech: f32,
    avg_token_p: f32,
}

/// The audio as whisper gets it: boosted to a normal speaking level when it is quiet
/// (`asr.normalise_dbfs`), and padded with silence to whisper's shortest input.
fn prepared(audio: &[f32], loudness: Loudness, cfg: &AsrConfig) -> Vec<f32> {
    let mut v = audio.to_vec();
    if let Some(target) = cfg.normalise_dbfs {
        let gain_db = (target - loudness.speech_db).clamp(0.0, 40.0);
        let g = 10f32.powf(gain_db / 20.0);
        for x in v.iter_mut() {
            *x = (*x * g).clamp(-1.0, 1.0);
        }
    }
    if v.len() < MIN_WHISPER_SAMPLES {
        v.resize(MIN_WHISPER_SAMPLES, 0.0);
    }
    v
}

impl Transcribe for Whisper {
    fn transcribe(&mut self, audio: &[f32], loudness: Loudness) -> Result<Transcript, String> {
        // Digital silence, or sound no louder than the line's own noise: nothing to hear.
        // Relative to the channel's floor, as the speech gate is, so quiet lines are heard.
        if loudness.speech_db < -90.0 || loudness.snr_db() < self.cfg.min_snr_db {
            return Ok(Transcript {
                dropped: Some("quiet"),
                ..Default::default()
            });
        }
        let input = prepared(audio, loudness, &self.cfg);
        let secs = audio.len() as f32 / 16_000.0;
        let mut raw = self.decode(&input, Pass::First)?;
        let mut second_pass = false;
        if self.cfg.second_pass && guard::repeats_itself(&guard::strip_annotations(&raw.text), secs)
        {
            tracing::debug!(
                "first pass repeated itself ({}): decoding again",
                crate::contract::text::for_log(&raw.text)
            );
            raw = self.decode(&input, Pass::Second)?;
            second_pass = true;
        }
        tracing::debug!(
            "whisper raw text {}, no_speech {:.2}, avg p {:.2}",
            crate::contract::text::for_log(&raw.text),
            raw.no_speech,
            raw.avg_token_p
        );
        Ok(self.judge(raw, secs, loudness, second_pass))
    }
}

impl Whisper {
    /// The honesty guards on a decoding: loops collapsed, runaways cut, no-speech and
    /// phantom text dropped.
    fn judge(&self, raw: Raw, secs: f32, loudness: Loudness, second_pass: bool) -> Transcript {
        let cleaned = guard::strip_annotations(&raw.text);
        let (cleaned, looped) = guard::collapse_repetitions(&cleaned);
        let (cleaned, runaway) = guard::truncate_runaway(&cleaned, secs);
        let looped = looped || runaway;
        let weak_audio = loudness.snr_db() < self.cfg.min_snr_db + 10.0;
        let nothing = crate::contract::text::normalise(&cleaned).is_empty();
        let unsure = raw.no_speech > self.cfg.no_speech_threshold && raw.avg_token_p < 0.5;
        let dropped = if nothing || unsure {
            Some("no_speech")
        } else if guard::is_phantom(&cleaned)
            && (weak_audio || raw.no_speech > 0.3 || raw.avg_token_p < 0.4)
        {
            Some("phantom")
        } else {
            None
        };
        let mut t = Transcript {
            text: String::new(),
            words: raw.words,
            no_speech_prob: raw.no_speech,
            avg_token_p: raw.avg_token_p,
            dropped,
            second_pass,
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
        t
    }
}

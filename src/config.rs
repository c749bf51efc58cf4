//! Every threshold Hearken uses, with its default and the reason for it.
//!
//! Nothing in the pipeline hard-codes a number that a trainer or IT team might want to change:
//! it reads it from here. The defaults are what the fixture calls and the real recordings were
//! measured with (see the README). A TOML file can override any key; unknown keys are an error
//! that names the key.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub model: ModelConfig,
    pub asr: AsrConfig,
    pub activity: ActivityConfig,
}

/// Where the whisper model lives and what it must hash to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelConfig {
    /// Path of the ggml whisper model. Unset: `$HEARKEN_MODEL`, then `models/ggml-tiny.en.bin`
    /// under the working directory, then `/usr/share/hearken/models/ggml-tiny.en.bin`.
    pub path: Option<PathBuf>,
    /// Expected sha256 (hex) of a model that Hearken does not know by name. Known models
    /// (tiny.en as `models/fetch-model.sh` makes it) are checked against their pinned sums.
    pub sha256: Option<String>,
}

/// How speech becomes text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AsrConfig {
    /// Whisper threads; 0 picks from the machine (half the cores, at least 1: on 2 cores one
    /// thread is steadier, because the other core runs capture, analysis and the overlay).
    pub threads: u32,
    /// Utterances longer than this are cut at the quietest moment of their last second, so
    /// that a long turn still reaches the transcript in pieces.
    pub max_utterance_ms: u32,
    /// Speech shorter than this is not sent to whisper (a cough, a click): whisper invents
    /// text for such blips.
    pub min_utterance_ms: u32,
    /// Audio kept before a detected onset, so the first phoneme is not clipped.
    pub preroll_ms: u32,
    /// Above this no-speech probability (and with weak tokens) the text is dropped.
    pub no_speech_threshold: f32,
    /// Utterances whose speech frames average below this level (dBFS) are not transcribed.
    pub min_level_dbfs: f32,
}

impl Default for AsrConfig {
    fn default() -> Self {
        AsrConfig {
            threads: 0,
            max_utterance_ms: 12_000,
            min_utterance_ms: 250,
            preroll_ms: 200,
            no_speech_threshold: 0.6,
            min_level_dbfs: -50.0,
        }
    }
}

impl AsrConfig {
    /// The whisper thread count to use on this machine.
    pub fn effective_threads(&self) -> u32 {
        if self.threads > 0 {
            return self.threads;
        }
        let cores = std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1);
        (cores / 2).clamp(1, 4)
    }
}

/// Speech activity: when is a speaker talking?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ActivityConfig {
    /// A frame is speech when it is this many dB above the channel's noise floor...
    pub above_floor_db: f32,
    /// ...and above this absolute level (dBFS), so that a silent line's dither is never speech.
    pub min_level_dbfs: f32,
    /// Consecutive speech frames needed before an onset counts (filters clicks).
    pub onset_ms: u32,
    /// Silence needed before speech counts as ended (bridges pauses between words).
    pub hangover_ms: u32,
    /// A frame this many dB quieter than the other channel's simultaneous speech is taken for
    /// echo of the other side, not speech. Real double talk is rarely more than ~20 dB apart.
    pub echo_margin_db: f32,
}

impl Default for ActivityConfig {
    fn default() -> Self {
        ActivityConfig {
            above_floor_db: 12.0,
            min_level_dbfs: -55.0,
            onset_ms: 30,
            hangover_ms: 400,
            echo_margin_db: 26.0,
        }
    }
}

/// Errors reading a config file: each names the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
}

impl Config {
    /// Read a TOML file over the built-in defaults.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::from_toml(&text).map_err(|message| ConfigError::Parse {
            path: path.to_owned(),
            message,
        })
    }

    pub fn from_toml(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_named() {
        let err = Config::from_toml("[activity]\nhangover = 3\n").unwrap_err();
        assert!(err.contains("hangover"), "{err}");
    }

    #[test]
    fn partial_file_keeps_other_defaults() {
        let c = Config::from_toml("[activity]\nhangover_ms = 250\n").unwrap();
        assert_eq!(c.activity.hangover_ms, 250);
        assert_eq!(c.activity.onset_ms, ActivityConfig::default().onset_ms);
        assert_eq!(c.asr, AsrConfig::default());
    }

    #[test]
    fn auto_threads_is_at_least_one() {
        assert!(AsrConfig::default().effective_threads() >= 1);
    }
}

//! Every threshold Hearken uses, with its default and the reason for it.
//!
//! Nothing in the pipeline hard-codes a number that a trainer or IT team might want to change:
//! it reads it from here. The defaults are what the fixture calls and the real recordings were
//! measured with (see the README). A TOML file can override any key; unknown keys are an error
//! that names the key.

pub mod layers;

pub use layers::Effective;

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub model: ModelConfig,
    pub asr: AsrConfig,
    pub activity: ActivityConfig,
    pub detect: DetectConfig,
    pub overlay: OverlayConfig,
    pub capture: CaptureConfig,
    pub log: LogConfig,
    pub calls: CallsConfig,
    pub history: HistoryConfig,
}

/// Where one call ends and the next begins, on a live shift (and `replay --split-calls`).
/// Boundaries come from the softphone (`hearken call start|end`), the agent (New call / End
/// call in the overlay), or, with `auto`, from the audio itself, all in the engine's own
/// time, so a recording of a shift splits the same way it did live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CallsConfig {
    /// Find boundaries in the audio: a call starts when speech follows a quiet stretch, and
    /// ends after the silences below.
    pub auto: bool,
    /// Both sides silent this long ends a call. Half a minute: inside a call, silences that
    /// long without hold music are rare (lookups are talked through, holds play music, which
    /// is not silence), while the after-call work between calls usually takes longer, so the
    /// next call is seldom joined to the last. A softphone hook ends calls exactly.
    pub end_after_ms: u32,
    /// Both sides giving digital silence (not even line noise) this long ends a call at
    /// once: nothing is connected (a call recorder or softphone loopback on both sides goes
    /// quiet like that when the call is over).
    pub line_dead_ms: u32,
    /// Audio kept before a call's first speech, so its first words are in the call.
    pub preroll_ms: u32,
    /// After the agent or softphone ended a call, a new one starts only after both sides
    /// have been quiet this long (someone still talking as they press End call is not the
    /// next call).
    pub quiet_before_start_ms: u32,
}

impl Default for CallsConfig {
    fn default() -> Self {
        CallsConfig {
            auto: true,
            end_after_ms: 30_000,
            line_dead_ms: 2_000,
            preroll_ms: 1_000,
            quiet_before_start_ms: 1_500,
        }
    }
}

/// The agent's own trend: a line of figures per call (never words or audio), kept in the
/// state folder for that user only (`hearken history`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HistoryConfig {
    /// Keep it. IT can switch it off, and lock that (`[lock] keys = ["history.enabled"]`).
    pub enabled: bool,
    /// Lines older than this many days are dropped when a new call is added.
    pub keep_days: u32,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        HistoryConfig {
            enabled: true,
            keep_days: 90,
        }
    }
}

/// The log file: what goes in it, where, and for how long.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// How much the log file holds: `off`, `error`, `warn`, `info` or `debug`.
    pub level: LogLevel,
    /// Folder for the log files. Unset: `$XDG_STATE_HOME/hearken/logs`, which is
    /// `~/.local/state/hearken/logs` on most desktops.
    pub dir: Option<PathBuf>,
    /// One file a day; this many days are kept and older files are deleted.
    pub keep_days: usize,
    /// Let what callers said (transcript text) into the log, at `debug`. Off by default: a
    /// log is kept for weeks and read by IT, and calls are private. Audio is never logged.
    pub transcripts: bool,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: LogLevel::Info,
            dir: None,
            keep_days: 7,
            transcripts: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Off,
    Error,
    Warn,
    Info,
    Debug,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Off => "off",
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
        }
    }
}

/// Which audio devices a live call comes from (`hearken devices` lists them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaptureConfig {
    /// cpal host: `pulseaudio` (also PipeWire's PulseAudio service) or `alsa`. Unset: the
    /// platform default.
    pub host: Option<String>,
    /// The agent's microphone: a device name, or enough of it to be unambiguous. Unset: the
    /// system's default input.
    pub agent: Option<String>,
    /// What the customer says: the softphone's output, as a loopback or monitor device.
    /// Unset: the monitor of the system's default output.
    pub customer: Option<String>,
    /// Instead of the two: one device carrying both, agent on `agent_channel`.
    pub stereo: Option<String>,
    pub agent_channel: crate::contract::Channel,
}

/// The agent's window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OverlayConfig {
    /// `system` (follow the desktop), `light` or `dark`.
    pub theme: Theme,
    /// Show the latest words of both sides under the prompt, as they are said. On by
    /// default: each stretch of speech is captioned once (partials transcribe only what is
    /// new), so captions cost little; off, the window shows prompts and meters only.
    pub captions: bool,
}

impl Default for OverlayConfig {
    fn default() -> Self {
        OverlayConfig {
            theme: Theme::System,
            captions: true,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// Where the whisper model lives and what it must hash to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelConfig {
    /// Path of the ggml whisper model. Unset: `$HEARKEN_MODEL`, then `models/ggml-tiny.en-q8_0.bin`
    /// under the working directory, then `/usr/share/hearken/models/ggml-tiny.en-q8_0.bin`.
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
    /// A pause shorter than this after a short stretch of speech (under 3 s) does not end
    /// the utterance: whisper hears the fragment together with what follows, as context
    /// (0: every pause ends one). Costs up to this much more delay before a transcript.
    pub join_pause_ms: u32,
    /// Above this no-speech probability (and with weak tokens) the text is dropped.
    pub no_speech_threshold: f32,
    /// Utterances whose speech frames average less than this over their channel's noise
    /// floor (dB) are not transcribed: the speech gate's own rule (over the line's floor,
    /// not an absolute level), so speech on a quiet line is heard and the line's noise is
    /// not.
    pub min_snr_db: f32,
    /// Quiet utterances are raised to this level (dBFS of their speech frames) before
    /// whisper hears them; unset: as they are.
    pub normalise_dbfs: Option<f32>,
    /// A first pass that repeats itself (a phrase twice, a loop, more words than the audio
    /// holds) is decoded again with the full window and beam search, as whole-file whisper
    /// decodes, instead of being cut.
    pub second_pass: bool,
    /// Beams of the first pass: 1 is greedy decoding (one pass per token); more search more
    /// of whisper's alternatives, at a cost per token that grows with them.
    pub beam_size: u32,
    /// The first pass stops after this many tokens per second of audio (plus 16): past what
    /// anyone says, so a loop costs little.
    pub tokens_per_sec: f32,
    /// Whisper's encoder runs on 50 frames per second of the utterance plus this many
    /// (20 ms each) instead of its full 30 s window: the cost is nearly proportional, and too
    /// tight a window makes whisper hallucinate (see the README's measurements).
    pub audio_ctx_margin: u32,
    /// When greedy decoding looks unsure (low log-probability, repetitive), whisper decodes
    /// again at rising temperatures. Off: one pass per utterance, so the cost of an utterance
    /// is bounded (see the README's measurements).
    pub temperature_fallback: bool,
    /// `partial` transcripts of a long utterance while it goes on, about once a second:
    /// `captions` (on live calls whose overlay shows captions: partials exist for captions,
    /// and each one re-transcribes the utterance so far, which on a talkative call costs
    /// several times the final transcripts' CPU; see the README), `live` (on every live call),
    /// `always` (replays too), or `never`. Live, they are dropped first when whisper falls
    /// behind.
    pub partials: PartialsMode,
    /// Partials start once an utterance is this long...
    pub partial_after_ms: u32,
    /// ...and come about this often.
    pub partial_every_ms: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PartialsMode {
    Captions,
    Live,
    Always,
    Never,
}

impl Default for AsrConfig {
    fn default() -> Self {
        AsrConfig {
            threads: 0,
            max_utterance_ms: 12_000,
            min_utterance_ms: 250,
            preroll_ms: 200,
            join_pause_ms: 800,
            no_speech_threshold: 0.6,
            min_snr_db: 6.0,
            normalise_dbfs: None,
            second_pass: true,
            beam_size: 1,
            tokens_per_sec: 10.0,
            audio_ctx_margin: 64,
            temperature_fallback: false,
            partials: PartialsMode::Captions,
            partial_after_ms: 2_000,
            partial_every_ms: 1_000,
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
    /// ...and above this absolute level (dBFS), so that a silent line's dither is never
    /// speech. Low (-70), because the floor does the real work and survives digital silence:
    /// speech at -55 to -60 dBFS on a quiet headset or phone line is still speech (measured:
    /// `examples/asr_compare.rs`, see the README).
    pub min_level_dbfs: f32,
    /// Consecutive speech frames needed before an onset counts (filters clicks).
    pub onset_ms: u32,
    /// Silence needed before speech counts as ended (bridges pauses between words).
    pub hangover_ms: u32,
    /// Echo coupling from the other side assumed at the start of a call, before it is
    /// measured (see `signal::echo`). Line and headset echo are usually 30 dB down or more.
    pub echo_prior_db: f32,
    /// A frame must be this much louder than the echo the other side would cause here to count
    /// as this speaker's own speech.
    pub echo_guard_db: f32,
    /// The echo guard compares against the other channel's loudest frame over this long, since
    /// an echo arrives late (line and room echo paths are tens of ms).
    pub echo_window_ms: u32,
}

impl Default for ActivityConfig {
    fn default() -> Self {
        ActivityConfig {
            above_floor_db: 12.0,
            min_level_dbfs: -70.0,
            onset_ms: 30,
            hangover_ms: 400,
            echo_prior_db: 30.0,
            echo_guard_db: 6.0,
            echo_window_ms: 320,
        }
    }
}

/// Conversation analysis: interruptions, floor, listening metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectConfig {
    /// An interruption is first decided this long after its onset, from the sound alone:
    /// both still talking (a backchannel that has stopped by then is not reported).
    pub decide_ms: u32,
    /// Overlapping speech that ends within this of its onset while the other talks on was a
    /// backchannel ("yeah, yeah", "uh-huh, right" last up to about a second): reported
    /// after `decide_ms`, it is withdrawn (`interruption_withdrawn`).
    pub backchannel_max_ms: u32,
    /// A stretch of speech this long takes the floor from the other speaker (shorter ones,
    /// backchannels among them, leave the floor where it was): turn changes, monologues.
    pub floor_take_ms: u32,
    /// Starting while the other speaker has less than this left is a terminal overlap, the
    /// ordinary way turns change hands, not an interruption.
    pub terminal_window_ms: u32,
    /// A reported interruption whose interrupted speaker then finishes (stops without
    /// being cut off mid-word) within this of the onset was a terminal overlap after all,
    /// and is withdrawn.
    pub terminal_max_ms: u32,
    /// Two people starting within this of each other is a dead heat, not an interruption.
    pub simultaneous_start_ms: u32,
    /// The interrupted speaker counts as having stopped once silent this long.
    pub cut_off_silence_ms: u32,
    /// Stopping within this of the onset is being cut off (`interruption_outcome`).
    pub cut_off_within_ms: u32,
    /// Both silent this long is dead air (contact-centre analytics commonly use 5 s).
    pub dead_air_ms: u32,
    /// One speaker holding the floor this long is a monologue.
    pub monologue_ms: u32,
    /// Window of the sliding agent talk share.
    pub talk_share_window_ms: u32,
    /// Window of the agent's pace (words per minute of their own speech).
    pub pace_window_ms: u32,
    /// Pace is reported once the window holds this much transcribed agent speech.
    pub min_pace_speech_ms: u32,
    /// How often a `metrics` event is emitted.
    pub metrics_interval_ms: u32,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            decide_ms: 500,
            backchannel_max_ms: 1_200,
            floor_take_ms: 700,
            terminal_window_ms: 400,
            terminal_max_ms: 700,
            simultaneous_start_ms: 150,
            cut_off_silence_ms: 200,
            cut_off_within_ms: 1_500,
            dead_air_ms: 5_000,
            monologue_ms: 30_000,
            talk_share_window_ms: 60_000,
            pace_window_ms: 60_000,
            min_pace_speech_ms: 10_000,
            metrics_interval_ms: 1_000,
        }
    }
}

/// Errors reading a config file: each names the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {cause}")]
    Read {
        path: PathBuf,
        /// Said in the message; not a `source`, so the cause is printed once.
        cause: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error(
        "{by} sets `{key}`, but `{lock}` is locked by {file}. Ask whoever manages this computer to change it there."
    )]
    Locked {
        key: String,
        by: String,
        lock: String,
        file: PathBuf,
    },
    #[error(
        "the machine-wide config {path} {why}, so anyone who can change it could undo its locks: Hearken will not start with it. Make it root's and writable by root only: sudo chown root:root {path} && sudo chmod 644 {path} (and its folder likewise)"
    )]
    Unprotected { path: PathBuf, why: String },
}

impl Config {
    /// Read a TOML file over the built-in defaults.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Read {
            path: path.to_owned(),
            cause,
        })?;
        Config::from_toml(&text).map_err(|message| ConfigError::Parse {
            path: path.to_owned(),
            message,
        })
    }

    pub fn from_toml(text: &str) -> Result<Config, String> {
        let c: Config = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
        c.validate()?;
        Ok(c)
    }

    /// Values that parse but cannot work: each error names the key and the allowed range.
    /// The ranges are wide, well past any value that was measured to work, but finite, so a typo
    /// cannot make the engine reserve gigabytes or divide by zero.
    pub fn validate(&self) -> Result<(), String> {
        fn range<T: PartialOrd + std::fmt::Display>(
            key: &str,
            v: T,
            lo: T,
            hi: T,
        ) -> Result<(), String> {
            // Written so that NaN fails too.
            if v >= lo && v <= hi {
                Ok(())
            } else {
                Err(format!("{key} = {v} is out of range: allowed {lo} to {hi}"))
            }
        }
        let (a, v, d) = (&self.asr, &self.activity, &self.detect);
        range("asr.threads", a.threads, 0, 64)?;
        // Whisper hears at most 30 s at a time.
        range("asr.max_utterance_ms", a.max_utterance_ms, 1_000, 30_000)?;
        range("asr.min_utterance_ms", a.min_utterance_ms, 0, 10_000)?;
        range("asr.preroll_ms", a.preroll_ms, 0, 2_000)?;
        range("asr.join_pause_ms", a.join_pause_ms, 0, 5_000)?;
        range("asr.no_speech_threshold", a.no_speech_threshold, 0.0, 1.0)?;
        range("asr.min_snr_db", a.min_snr_db, -20.0, 60.0)?;
        if let Some(n) = a.normalise_dbfs {
            range("asr.normalise_dbfs", n, -60.0, 0.0)?;
        }
        range("asr.tokens_per_sec", a.tokens_per_sec, 2.0, 50.0)?;
        range("asr.beam_size", a.beam_size, 1, 8)?;
        range("asr.audio_ctx_margin", a.audio_ctx_margin, 0, 1_500)?;
        range("asr.partial_after_ms", a.partial_after_ms, 0, 30_000)?;
        range("asr.partial_every_ms", a.partial_every_ms, 100, 30_000)?;
        range("activity.above_floor_db", v.above_floor_db, 0.0, 60.0)?;
        range("activity.min_level_dbfs", v.min_level_dbfs, -120.0, 0.0)?;
        range("activity.onset_ms", v.onset_ms, 10, 2_000)?;
        range("activity.hangover_ms", v.hangover_ms, 10, 5_000)?;
        range("activity.echo_prior_db", v.echo_prior_db, 0.0, 120.0)?;
        range("activity.echo_guard_db", v.echo_guard_db, 0.0, 60.0)?;
        range("activity.echo_window_ms", v.echo_window_ms, 10, 2_000)?;
        range("detect.decide_ms", d.decide_ms, 0, 10_000)?;
        range("detect.backchannel_max_ms", d.backchannel_max_ms, 0, 10_000)?;
        range("detect.floor_take_ms", d.floor_take_ms, 0, 10_000)?;
        range("detect.terminal_window_ms", d.terminal_window_ms, 0, 10_000)?;
        range("detect.terminal_max_ms", d.terminal_max_ms, 0, 10_000)?;
        range(
            "detect.simultaneous_start_ms",
            d.simultaneous_start_ms,
            0,
            5_000,
        )?;
        range("detect.cut_off_silence_ms", d.cut_off_silence_ms, 0, 10_000)?;
        range("detect.cut_off_within_ms", d.cut_off_within_ms, 0, 10_000)?;
        range("detect.dead_air_ms", d.dead_air_ms, 500, 600_000)?;
        range("detect.monologue_ms", d.monologue_ms, 1_000, 3_600_000)?;
        range(
            "detect.talk_share_window_ms",
            d.talk_share_window_ms,
            1_000,
            3_600_000,
        )?;
        range("detect.pace_window_ms", d.pace_window_ms, 1_000, 3_600_000)?;
        range(
            "detect.min_pace_speech_ms",
            d.min_pace_speech_ms,
            0,
            600_000,
        )?;
        range(
            "detect.metrics_interval_ms",
            d.metrics_interval_ms,
            100,
            600_000,
        )?;
        range("log.keep_days", self.log.keep_days, 1, 3_650)?;
        let c = &self.calls;
        range("calls.end_after_ms", c.end_after_ms, 2_000, 3_600_000)?;
        range("calls.line_dead_ms", c.line_dead_ms, 200, 600_000)?;
        range("calls.preroll_ms", c.preroll_ms, 0, 5_000)?;
        range(
            "calls.quiet_before_start_ms",
            c.quiet_before_start_ms,
            0,
            60_000,
        )?;
        range("history.keep_days", self.history.keep_days, 1, 3_650)?;
        Ok(())
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

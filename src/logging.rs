//! Where Hearken's log goes: stderr at the `--log` level, and a file a day in the state
//! folder at the config's `log.level`, kept for `log.keep_days` days.
//!
//! The log is for IT: what ran, which model and devices, what went wrong. It never holds
//! audio. Transcript text reaches it only through [`said`], which writes the text only when
//! the config's `log.transcripts` allows it; everywhere else logs counts and times.

use crate::config::{LogConfig, LogLevel};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Whether transcript text may be logged (`log.transcripts`). Global because the log is.
static TRANSCRIPTS: AtomicBool = AtomicBool::new(false);

/// Transcript text as the log may show it: the text itself when `log.transcripts` is on,
/// otherwise only its length.
pub fn said(text: &str) -> Said<'_> {
    Said(text)
}

pub struct Said<'a>(&'a str);

impl std::fmt::Display for Said<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if TRANSCRIPTS.load(Ordering::Relaxed) {
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

/// The folder log files go in: `log.dir`, else `<state folder>/logs`.
pub fn log_dir(cfg: &LogConfig) -> Option<PathBuf> {
    cfg.dir
        .clone()
        .or_else(|| crate::check::state_dir().map(|d| d.join("logs")))
}

/// Keeps the file writer's background thread flushing until dropped (at the end of `main`).
pub struct LogGuard {
    _file: Option<tracing_appender::non_blocking::WorkerGuard>,
}

/// Install the log. `stderr_level` is the `--log` flag (`RUST_LOG` overrides it); the file
/// follows the config. A log folder that cannot be written is a warning on stderr, not a
/// failed call: coaching matters more than its log, and `hearken check` reports the folder.
pub fn init(stderr_level: &str, cfg: &LogConfig) -> LogGuard {
    TRANSCRIPTS.store(cfg.transcripts, Ordering::Relaxed);
    let stderr_filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(stderr_level));
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_filter(stderr_filter);

    let mut problem = None;
    let mut guard = None;
    let file = match (cfg.level, log_dir(cfg)) {
        (LogLevel::Off, _) => None,
        (_, None) => {
            problem = Some("no log folder: set log.dir, or HOME or XDG_STATE_HOME".to_string());
            None
        }
        (level, Some(dir)) => match open(&dir, cfg.keep_days) {
            Ok(appender) => {
                let (writer, g) = tracing_appender::non_blocking(appender);
                guard = Some(g);
                Some(
                    tracing_subscriber::fmt::layer()
                        .with_writer(writer)
                        .with_ansi(false)
                        .with_target(false)
                        .with_filter(tracing_subscriber::EnvFilter::new(format!(
                            // whisper.cpp's own chatter stays at warn: at info it prints
                            // every model tensor and buffer on each load.
                            "{},whisper_rs=warn",
                            level.as_str()
                        ))),
                )
            }
            Err(e) => {
                problem = Some(format!(
                    "cannot write logs to {}: {e}; set log.dir to a writable folder, or log.level = \"off\"",
                    dir.display()
                ));
                None
            }
        },
    };
    // `try_init`: a second initialisation (tests calling twice) keeps the first.
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
    if let Some(p) = problem {
        tracing::warn!("{p}");
    }
    LogGuard { _file: guard }
}

fn open(
    dir: &std::path::Path,
    keep_days: usize,
) -> Result<tracing_appender::rolling::RollingFileAppender, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    tracing_appender::rolling::RollingFileAppender::builder()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("hearken")
        .filename_suffix("log")
        .max_log_files(keep_days.max(1))
        .build(dir)
        .map_err(|e| e.to_string())
}

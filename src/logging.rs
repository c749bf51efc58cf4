//! Where Hearken's log goes: stderr at the `--log` level, and a file a day in the state
//! folder at the config's `log.level`, kept for `log.keep_days` days.
//!
//! The log is for IT: what ran, which model and devices, what went wrong. It never holds
//! audio. Transcript text reaches it only through `contract::text::for_log`, which writes the
//! text only when the config's `log.transcripts` allows it; everywhere else logs counts and
//! times.
//!
//! A failed command's error is printed once, by `main`, on stderr; the log file gets it too,
//! under the target [`ERROR_TARGET`], which the stderr layer leaves out.

use crate::config::{LogConfig, LogLevel};
use std::io::IsTerminal;
use std::path::PathBuf;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The folder log files go in: `log.dir`, else `<state folder>/logs`.
pub fn log_dir(cfg: &LogConfig) -> Option<PathBuf> {
    cfg.dir
        .clone()
        .or_else(|| crate::paths::state_dir().map(|d| d.join("logs")))
}

/// The log target of a failed command's error: into the file, not again onto stderr (where
/// `main` has printed it).
pub const ERROR_TARGET: &str = "hearken::failed";

/// Keeps the file writer's background thread flushing until dropped (at the end of `main`).
pub struct LogGuard {
    _file: Option<tracing_appender::non_blocking::WorkerGuard>,
}

/// Install the log. `stderr_level` is the `--log` flag (`RUST_LOG` overrides it); the file
/// follows the config. A log folder that cannot be written is a warning on stderr, not a
/// failed call: coaching matters more than its log, and `hearken check` reports the folder.
pub fn init(stderr_level: &str, cfg: &LogConfig) -> LogGuard {
    crate::contract::text::allow_transcripts_in_log(cfg.transcripts);
    let stderr_filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(stderr_level))
        .add_directive(
            format!("{ERROR_TARGET}=off")
                .parse()
                .expect("a valid directive"),
        );
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal: a pipe or a file gets plain text.
        .with_ansi(std::io::stderr().is_terminal())
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

//! The `hearken` command: parse, start the log, run the command (`hearken::cli`), and print
//! what failed, once.

use clap::Parser;
use hearken::cli::{self, Cli};
use std::io::IsTerminal;
use std::process::ExitCode;

// Debug builds abort on any allocation inside the capture callback, whose body runs under
// `assert_no_alloc` (src/audio/capture.rs): real-time safety enforced, not only tested.
#[cfg(debug_assertions)]
#[global_allocator]
static ALLOCATOR: assert_no_alloc::AllocDisabler = assert_no_alloc::AllocDisabler;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The config comes first: it says where and how much to log.
    let effective = match cli::effective_config(&cli) {
        Ok(e) => e,
        Err(e) => return failed(e),
    };
    let _log = hearken::logging::init(&cli.log, &effective.config.log);
    tracing::info!(
        "hearken {} {} (pid {})",
        env!("CARGO_PKG_VERSION"),
        cli.command.name(),
        std::process::id()
    );
    match cli::run(cli, effective) {
        Ok(code) => code,
        Err(e) => failed(e),
    }
}

/// Say what failed, once, on stderr (the log file gets it too), and exit with failure.
fn failed(e: anyhow::Error) -> ExitCode {
    // A closed pipe (`hearken replay ... | head`) is not an error.
    let broken_pipe = e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return ExitCode::SUCCESS;
    }
    tracing::error!(target: hearken::logging::ERROR_TARGET, "{e:#}");
    let prefix = if std::io::stderr().is_terminal() {
        "\x1b[1;31mhearken:\x1b[0m"
    } else {
        "hearken:"
    };
    eprintln!("{prefix} {e:#}");
    ExitCode::FAILURE
}

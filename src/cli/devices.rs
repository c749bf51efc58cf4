//! `hearken devices`: the audio inputs, with config lines to paste.

use crate::audio::devices;
use anyhow::Result;
use std::process::ExitCode;

pub fn run() -> Result<ExitCode> {
    print!(
        "{}",
        devices::report(&devices::with_stderr_caught(devices::list))
    );
    Ok(ExitCode::SUCCESS)
}

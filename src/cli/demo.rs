//! `hearken demo`: the bundled sample call through the whole engine, as a timeline, and in
//! the overlay when there is a desktop to show it on.

use super::replay::{Shown, in_window};
use crate::audio::CallInput;
use crate::config::Config;
use crate::contract::Channel;
use crate::output::sink::EventSink;
use crate::playbook::Playbook;
use crate::replay::{self, Replay, Speed};
use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct DemoArgs {
    /// The sample call to play (default: the escalating customer).
    #[arg(long, value_name = "WAV")]
    call: Option<PathBuf>,
    /// Do not open the overlay window even when a display is present (the call then
    /// replays at full speed).
    #[arg(long)]
    no_overlay: bool,
}

/// The bundled sample call: in the source tree, or where the package installed it.
fn demo_call() -> Option<PathBuf> {
    let source = PathBuf::from("tests/fixtures/escalating.wav");
    std::iter::once(source)
        .chain(crate::paths::installed_file("demo/escalating.wav"))
        .find(|p| p.is_file())
}

pub fn run(config: Config, playbook: Playbook, args: DemoArgs) -> Result<ExitCode> {
    let call = match args.call {
        Some(c) => c,
        None => demo_call().ok_or_else(|| {
            anyhow::anyhow!(
                "the demo call is not here (tests/fixtures/escalating.wav in the source tree, or share/hearken/demo/escalating.wav where Hearken is installed); pass --call WAV"
            )
        })?,
    };
    if !call.is_file() {
        anyhow::bail!(
            "the demo call {} is not there; pass --call WAV",
            call.display()
        );
    }
    let overlay = !args.no_overlay && super::display_present();
    println!(
        "Hearken demo: replaying {} through the engine (transcribed on this machine){}.\n",
        call.display(),
        if overlay {
            ", in real time with the overlay window"
        } else {
            ""
        }
    );
    let mut replay = Replay {
        input: CallInput::Stereo {
            path: call,
            agent: Channel::Left,
        },
        speed: if overlay { Speed::Realtime } else { Speed::Max },
        config,
        playbook,
        transcribe: true,
        live_asr: false,
        split_calls: false,
        model: None,
    };
    if overlay {
        match in_window(&replay)? {
            Shown::Done => return Ok(ExitCode::SUCCESS),
            Shown::NoWindow(e) => {
                eprintln!("hearken: no overlay ({e}); printing the timeline only.");
                replay.speed = Speed::Max;
            }
        }
    }
    let mut timeline = EventSink::timeline();
    replay::run(&replay, |e| timeline.write(e))?;
    timeline.finish()?;
    Ok(ExitCode::SUCCESS)
}

//! `hearken call start|end`: the softphone tells the running `hearken live` where a call
//! begins or ends (many softphones run a command on those events; see the README).

use anyhow::Result;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct CallArgs {
    /// `start` (a call begins now; the one going on, if any, ends) or `end`.
    #[arg(value_enum)]
    what: What,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum What {
    Start,
    End,
}

pub fn run(args: CallArgs) -> Result<ExitCode> {
    let command = match args.what {
        What::Start => "start",
        What::End => "end",
    };
    let answer = crate::live::control::send(&crate::paths::control_socket(), command)?;
    match answer.strip_prefix("ok ") {
        Some(done) => {
            println!("hearken: {done}");
            Ok(ExitCode::SUCCESS)
        }
        None => anyhow::bail!(
            "hearken live says: {}",
            answer.strip_prefix("error ").unwrap_or(&answer)
        ),
    }
}

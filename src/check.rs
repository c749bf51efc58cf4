//! `hearken check`: one command an IT person runs on a workstation. Each check says pass or
//! fail, what it found, and on failure what to do. Nothing here changes the machine.

use crate::asr::model;
use crate::audio::devices;
use crate::coach::Playbook;
use crate::config::Effective;
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    /// What was found.
    pub detail: String,
    /// On failure: what to do.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub fix: String,
}

fn pass(name: &'static str, detail: String) -> Check {
    Check {
        name,
        ok: true,
        detail,
        fix: String::new(),
    }
}

fn fail(name: &'static str, detail: String, fix: &str) -> Check {
    Check {
        name,
        ok: false,
        detail,
        fix: fix.to_string(),
    }
}

/// Run every check.
pub fn run(eff: &Effective, playbook: Option<&Path>) -> Vec<Check> {
    let cfg = &eff.config;
    let mut out = Vec::new();
    out.push(pass(
        "config",
        match &eff.lock_file {
            Some(f) => format!(
                "valid; {} key(s) locked by {}",
                eff.locks.len(),
                f.display()
            ),
            None => "valid; nothing locked (no machine-wide file)".into(),
        },
    ));
    out.push(match model::verified_model(&cfg.model) {
        Ok(p) => pass("model", format!("{}: checksum ok", p.display())),
        Err(e) => fail(
            "model",
            e.to_string(),
            "install the model (models/fetch-model.sh in the source tree, or the package), or set model.path",
        ),
    });
    out.push(pass(
        "speech detection",
        "built-in energy gate with echo guard (no model file needed)".into(),
    ));
    out.push(match playbook {
        None => pass("playbook", "built-in".into()),
        Some(p) => match Playbook::from_file(p) {
            Ok(_) => pass("playbook", format!("{}: valid", p.display())),
            Err(e) => fail(
                "playbook",
                e.to_string(),
                "fix the playbook file (start from `hearken playbook --print`)",
            ),
        },
    });
    out.extend(devices::hushed(|| audio(eff)));
    out.push(cpu());
    out.push(writable(&cfg.log));
    out
}

fn audio(eff: &Effective) -> Vec<Check> {
    let cap = &eff.config.capture;
    let host = match devices::host(cap.host.as_deref()) {
        Ok(h) => h,
        Err(e) => {
            return vec![fail(
                "audio host",
                e.to_string(),
                "start the sound server for this user (PulseAudio or PipeWire), or set capture.host",
            )];
        }
    };
    let mut out = vec![pass("audio host", host.id().name().to_string())];
    let wanted: Vec<(&'static str, Option<String>)> = match &cap.stereo {
        Some(s) => vec![("audio: call device", Some(s.clone()))],
        None => vec![
            (
                "audio: agent device",
                cap.agent.clone().or_else(|| devices::default_agent(&host)),
            ),
            (
                "audio: customer device",
                cap.customer
                    .clone()
                    .or_else(|| devices::default_customer(&host)),
            ),
        ],
    };
    for (name, w) in wanted {
        out.push(match w {
            None => fail(
                name,
                "none configured and the system has no default".into(),
                "set it in [capture] (`hearken devices` lists the names)",
            ),
            Some(w) => match devices::find(&host, &w) {
                Ok((_, i)) => pass(
                    name,
                    format!(
                        "\"{}\": {} ch, {} Hz, {}",
                        i.id, i.channels, i.sample_rate, i.format
                    ),
                ),
                Err(e) => fail(
                    name,
                    e.to_string(),
                    "plug the device in, or set [capture] to one `hearken devices` lists",
                ),
            },
        });
    }
    out
}

/// The instruction sets the portable build (`packaging/build-deb.sh`, `GGML_NATIVE=OFF`)
/// compiles whisper.cpp for on x86-64: x86-64-v3, Intel Haswell (2013) or AMD Zen onwards.
/// Kept in step with the GGML_* flags there by `tests/cli.rs`
/// (`the_cpu_check_tests_what_the_portable_build_needs`).
fn cpu() -> Check {
    #[cfg(target_arch = "x86_64")]
    {
        let want = [
            ("sse4.2", std::arch::is_x86_feature_detected!("sse4.2")),
            ("avx", std::arch::is_x86_feature_detected!("avx")),
            ("avx2", std::arch::is_x86_feature_detected!("avx2")),
            ("bmi2", std::arch::is_x86_feature_detected!("bmi2")),
            ("fma", std::arch::is_x86_feature_detected!("fma")),
            ("f16c", std::arch::is_x86_feature_detected!("f16c")),
        ];
        let missing: Vec<&str> = want.iter().filter(|(_, ok)| !ok).map(|(n, _)| *n).collect();
        if missing.is_empty() {
            let names: Vec<&str> = want.iter().map(|(n, _)| *n).collect();
            pass("cpu", format!("{} present", names.join(", ")))
        } else {
            fail(
                "cpu",
                format!("missing {}", missing.join(", ")),
                "this CPU is too old for transcription at live speed; use a newer workstation",
            )
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        pass("cpu", std::env::consts::ARCH.to_string())
    }
}

/// Where Hearken keeps its own state (logs): `$XDG_STATE_HOME/hearken`, else
/// `~/.local/state/hearken`.
pub fn state_dir() -> Option<std::path::PathBuf> {
    std::env::var_os("XDG_STATE_HOME")
        .filter(|d| !d.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".local/state"))
        })
        .map(|d| d.join("hearken"))
}

/// Hearken writes only its log on its own (reports go where the user asks): can it?
fn writable(log: &crate::config::LogConfig) -> Check {
    if log.level == crate::config::LogLevel::Off {
        return pass("log folder", "logging is off (log.level)".into());
    }
    let Some(dir) = crate::logging::log_dir(log) else {
        return fail(
            "log folder",
            "no log.dir, HOME or XDG_STATE_HOME".into(),
            "set log.dir, or run as a user with a home folder",
        );
    };
    let probe = dir.join(format!(".check.{}", std::process::id()));
    let r = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&probe, b"ok"));
    let _ = std::fs::remove_file(&probe);
    match r {
        Ok(()) => pass("log folder", format!("{}: writable", dir.display())),
        Err(e) => fail(
            "log folder",
            format!("{}: {e}", dir.display()),
            "give the user write access to it, or set log.dir",
        ),
    }
}

/// The checks as lines a person reads.
pub fn report(checks: &[Check]) -> String {
    let mut s = String::new();
    for c in checks {
        s.push_str(&format!(
            "{} {:<24} {}\n",
            if c.ok { "PASS" } else { "FAIL" },
            c.name,
            c.detail
        ));
        if !c.ok {
            s.push_str(&format!("     {:<24} -> {}\n", "", c.fix));
        }
    }
    let failed = checks.iter().filter(|c| !c.ok).count();
    s.push_str(&if failed == 0 {
        "All checks passed.\n".to_string()
    } else {
        format!("{failed} check(s) failed.\n")
    });
    s
}

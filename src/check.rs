//! `hearken check`: one command an IT person runs on a workstation. Each check says pass or
//! fail, what it found, and on failure what to do. Nothing here changes the machine.

use crate::asr::{Loudness, Transcribe, WhisperModel, model};
use crate::audio::devices;
use crate::config::{Config, Effective};
use crate::contract::Speaker;
use crate::contract::text::normalise;
use crate::contract::time::{FRAME, frames_to_ms};
use crate::live::inputs::{self, Route};
use crate::playbook::Playbook;
use crate::signal::activity::{ActivityDetector, Transition};
use serde::Serialize;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long each device is listened to: long enough for a few of its periods.
const LISTEN: Duration = Duration::from_millis(800);

/// Two seconds of real read speech, built into the binary so the check needs no file
/// beside it: LibriSpeech test-clean 1089-134691-0000 (CC BY 4.0, see
/// `tests/fixtures/NOTICE.md`), 16 kHz mono.
const SAMPLE_WAV: &[u8] =
    include_bytes!("../tests/fixtures/speech/dev/librispeech_test-clean_1089-134691-0000.wav");
/// What is said in it.
const SAMPLE_WORDS: &str = "he could wait no longer";
/// Whisper must take under this share of the audio's length: live, the two transcription
/// threads share both speakers' speech, and captions come on top.
const KEEPS_UP_RTF: f64 = 0.5;

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
pub fn run(eff: &Effective, playbook: Option<&Path>, headless: bool) -> Vec<Check> {
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
    let sample = sample();
    let gate = speech_gate(cfg, &sample);
    out.push(model_check(cfg, &sample, gate.as_ref().ok()));
    out.push(match gate {
        Ok(g) => pass(
            "speech detection",
            format!(
                "the speech gate found {:.1} s of speech in the {:.1} s built-in sample, from {:.2} s",
                g.speech_s,
                sample.len() as f64 / 16_000.0,
                g.onset_s
            ),
        ),
        Err(e) => fail(
            "speech detection",
            e,
            "check [activity] in the config (`hearken config --show`): the gate's thresholds shut out ordinary speech",
        ),
    });
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
    out.extend(devices::with_stderr_caught(|| audio(eff)));
    out.push(overlay_check(headless));
    out.push(cpu());
    out.push(writable(&cfg.log));
    out
}

/// The built-in sample as samples.
fn sample() -> Vec<f32> {
    hound::WavReader::new(std::io::Cursor::new(SAMPLE_WAV))
        .map(|r| {
            r.into_samples::<i16>()
                .filter_map(Result::ok)
                .map(|v| v as f32 / 32768.0)
                .collect()
        })
        .unwrap_or_default()
}

/// What the speech gate made of the sample.
struct Gate {
    speech_s: f64,
    onset_s: f64,
    loudness: Loudness,
}

/// Run the configured speech gate over the sample, as the engine does over a quiet other side.
fn speech_gate(cfg: &Config, sample: &[f32]) -> Result<Gate, String> {
    let mut gate = ActivityDetector::new(&cfg.activity);
    let (mut active, mut onset) = (0u64, None);
    let mut speech_levels = Vec::new();
    for (i, frame) in sample.chunks_exact(FRAME).enumerate() {
        let level = crate::signal::level_db(frame);
        if let Some(Transition::Onset { start }) = gate.step(i as u64, level, -120.0, false) {
            onset.get_or_insert(start);
        }
        if gate.frame_active() {
            active += 1;
            speech_levels.push(level);
        }
    }
    let Some(onset) = onset else {
        return Err("the speech gate found no speech in the built-in sample of read speech".into());
    };
    let speech_s = frames_to_ms(active) as f64 / 1000.0;
    if speech_s < 0.6 {
        return Err(format!(
            "the speech gate found only {speech_s:.1} s of speech in the 2.1 s built-in sample"
        ));
    }
    let speech_db = speech_levels.iter().sum::<f32>() / speech_levels.len() as f32;
    Ok(Gate {
        speech_s,
        onset_s: frames_to_ms(onset) as f64 / 1000.0,
        loudness: Loudness {
            speech_db,
            floor_db: gate.floor_db(),
        },
    })
}

/// The model: its checksum, that whisper loads it, that it hears the sample's words, and
/// fast enough for live calls.
fn model_check(cfg: &Config, sample: &[f32], gate: Option<&Gate>) -> Check {
    let fetch = "install the model (models/fetch-model.sh in the source tree, or the package), or set model.path";
    let path = match model::verified_model(&cfg.model) {
        Ok(p) => p,
        Err(e) => return fail("model", e.to_string(), fetch),
    };
    let mut whisper = match WhisperModel::load(&path).and_then(|m| m.transcriber(&cfg.asr)) {
        Ok(w) => w,
        Err(e) => return fail("model", e.to_string(), fetch),
    };
    let loudness = gate.map_or(
        Loudness {
            speech_db: -25.0,
            floor_db: -90.0,
        },
        |g| g.loudness,
    );
    let t = Instant::now();
    let heard = whisper.transcribe(sample, loudness);
    let secs = t.elapsed().as_secs_f64();
    let audio_s = sample.len() as f64 / 16_000.0;
    let rtf = secs / audio_s;
    let text = match heard {
        Ok(t) => t.text,
        Err(e) => {
            return fail(
                "model",
                format!(
                    "{}: whisper failed on the built-in sample: {e}",
                    path.display()
                ),
                fetch,
            );
        }
    };
    if normalise(&text) != SAMPLE_WORDS {
        return fail(
            "model",
            format!(
                "{}: loads, but heard the built-in sample (\"{SAMPLE_WORDS}\") as \"{text}\"",
                path.display()
            ),
            "use the English whisper model Hearken ships (models/fetch-model.sh, or the package): this one does not transcribe English speech",
        );
    }
    let timing = format!(
        "{secs:.2} s for {audio_s:.1} s of speech ({rtf:.2}x real time; live calls need under {KEEPS_UP_RTF}x)"
    );
    if rtf >= KEEPS_UP_RTF {
        return fail(
            "model",
            format!("{}: transcribes, but slowly: {timing}", path.display()),
            "this CPU is too slow, or too busy, to transcribe live calls: close other work, or run Hearken on a faster workstation",
        );
    }
    pass(
        "model",
        format!(
            "{}: checksum ok; whisper heard the built-in sample as \"{}\" in {timing}",
            path.display(),
            text.trim()
        ),
    )
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
    let wanted: Vec<(&'static str, Option<String>, Route)> = match &cap.stereo {
        Some(s) => {
            let (agent, customer) = cap.agent_channel.indices();
            vec![(
                "audio: call device",
                Some(s.clone()),
                Route::Split { agent, customer },
            )]
        }
        None => vec![
            (
                "audio: agent device",
                cap.agent.clone().or_else(|| devices::default_agent(&host)),
                Route::Mono(Speaker::Agent),
            ),
            (
                "audio: customer device",
                cap.customer
                    .clone()
                    .or_else(|| devices::default_customer(&host)),
                Route::Mono(Speaker::Customer),
            ),
        ],
    };
    for (name, w, route) in wanted {
        out.push(match w {
            None => fail(
                name,
                "none configured and the system has no default".into(),
                "set it in [capture] (`hearken devices` lists the names)",
            ),
            Some(w) => device_check(name, &host, &w, route),
        });
    }
    out
}

/// Open a device as `hearken live` would, listen for `LISTEN`, and say what arrived: its
/// format, how much audio and how loud. Nothing is kept: the samples are only summed.
fn device_check(name: &'static str, host: &cpal::Host, wanted: &str, route: Route) -> Check {
    let info = match devices::find(host, wanted) {
        Ok((_, i)) => i,
        Err(e) => {
            return fail(
                name,
                e.to_string(),
                "plug the device in, or set [capture] to one `hearken devices` lists",
            );
        }
    };
    let format = format!(
        "\"{}\": {} ch, {} Hz, {}",
        info.id, info.channels, info.sample_rate, info.format
    );
    let open = match inputs::open(host, wanted, route) {
        Ok(o) => o,
        Err(e) => {
            return fail(
                name,
                format!("{format}; it is there but does not open: {e}"),
                "close what holds the device, or set [capture] to one `hearken devices` lists",
            );
        }
    };
    let (mut samples, mut sum_sq, mut peak) = (0u64, 0f64, 0f32);
    let until = Instant::now() + LISTEN;
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        let Ok(block) = open.queue.blocks.recv_timeout(left) else {
            break;
        };
        for &x in &block.samples[..block.len] {
            sum_sq += (x as f64) * (x as f64);
            peak = peak.max(x.abs());
        }
        samples += block.len as u64;
        let _ = open.queue.recycle.send(block);
    }
    // What opened (a device can come back with another profile than the listing showed).
    let (channels, rate) = (
        open.info.channels.max(1) as f64,
        open.info.sample_rate.max(1),
    );
    drop(open);
    let secs = samples as f64 / channels / rate as f64;
    // A device that opens and then stalls delivers a block or two: not working either.
    if secs < LISTEN.as_secs_f64() / 2.0 {
        return fail(
            name,
            format!(
                "{format}; opened, but only {secs:.2} s of audio arrived in {:.1} s",
                LISTEN.as_secs_f64()
            ),
            "the device may be suspended or held by another program: check the sound settings, then run `hearken check` again",
        );
    }
    let db = |x: f64| 20.0 * x.max(1e-10).log10();
    let level = if peak == 0.0 {
        "digital silence (nothing playing, or muted)".to_string()
    } else {
        format!(
            "level {:.0} dBFS (peak {:.0})",
            db((sum_sq / samples as f64).sqrt()),
            db(peak as f64)
        )
    };
    pass(
        name,
        format!(
            "{format}; opened, {secs:.2} s of audio arrived in {:.1} s, {level}; nothing kept",
            LISTEN.as_secs_f64(),
        ),
    )
}

/// Whether the overlay can open here: a window opened for a moment, on this session's
/// display, with OpenGL.
fn overlay_check(headless: bool) -> Check {
    if headless {
        return pass(
            "overlay",
            "not checked (--headless: this machine runs without the overlay)".into(),
        );
    }
    match crate::overlay::try_open() {
        Ok(found) => pass("overlay", found),
        Err(e) => fail(
            "overlay",
            e,
            "run the check in the agent's desktop session; without a GPU driver install Mesa (libgl1-mesa-dri); on a machine without the overlay run `hearken check --headless` (and `hearken live --headless`)",
        ),
    }
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

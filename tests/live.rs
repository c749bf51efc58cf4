//! Live capture for real: a PulseAudio server in user space (tests/common/pulse.rs), null
//! sinks as the agent's and customer's devices, a fixture call played into them with paplay,
//! and the real `hearken live --headless` capturing their monitors through cpal. What it finds
//! must match a replay of the same file.
//!
//! The tests share the machine's two cores with whisper and play audio in real time, so they
//! run one at a time.

mod common;

use common::pulse::{AGENT_LINE, CALL_STEREO, CUSTOMER_LINE, Pulse, Sink};
use common::*;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// Make a WAV for a sink with sox: `remix` picks the channels, at the sink's rate.
fn for_sink(
    pulse: &Pulse,
    from: &Path,
    sink: &Sink,
    remix: &[&str],
    name: &str,
) -> std::path::PathBuf {
    let out = pulse.path(name);
    let ok = Command::new("sox")
        .arg("-G")
        .arg(from)
        .args(["-r", &sink.rate.to_string()])
        .arg(&out)
        .arg("remix")
        .args(remix)
        .status()
        .expect("run sox")
        .success();
    assert!(ok, "sox failed");
    out
}

/// A `hearken live` running, its stdout (events) and stderr (log) read as they come, so it
/// never waits on a full pipe.
struct Running {
    child: Child,
    events: std::thread::JoinHandle<Vec<u8>>,
    log: std::thread::JoinHandle<String>,
}

/// `hearken live --headless` against the test server, events on stdout; returns once it has
/// opened its devices (its log says so).
fn start_live(pulse: &Pulse, args: &[&str], seconds: f64) -> Running {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hearken"));
    c.current_dir(root()).env_remove("HEARKEN_MODEL");
    pulse.env(&mut c);
    let mut child = c
        .args([
            "--log",
            "info",
            "live",
            "--headless",
            "--host",
            "pulseaudio",
        ])
        .args(["--duration", &seconds.to_string()])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hearken live");
    let stderr = child.stderr.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let events = std::thread::spawn(move || {
        let mut all = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut all).expect("read hearken's events");
        all
    });
    let (tx, rx) = std::sync::mpsc::channel();
    let log = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("capturing") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let devices = if args.contains(&"--stereo") { 1 } else { 2 };
    for _ in 0..devices {
        rx.recv_timeout(Duration::from_secs(20))
            .expect("hearken live opened its devices");
    }
    Running { child, events, log }
}

fn finish(mut live: Running) -> (Vec<Value>, String) {
    let status = live.child.wait().expect("wait for hearken live");
    let out = live.events.join().unwrap();
    let log = live.log.join().unwrap();
    assert!(status.success(), "hearken live failed:\n{log}");
    (events(&out), log)
}

/// Live and replay agree: same interruptions (by whom, onsets within 100 ms once the start
/// offset is taken out), the same utterances (starts within 100 ms) with nearly the same words.
fn assert_same_call(live: &[Value], replay: &[Value]) {
    let starts = |ev: &[Value], who: &str| -> Vec<i64> {
        of_type(ev, "speech_start")
            .into_iter()
            .filter(|e| e["speaker"] == who)
            .map(|e| e["start_ms"].as_i64().unwrap())
            .collect()
    };
    // The live clock started before paplay did: the offset is the median difference of the
    // speech onsets, which also shows both sides arrive in step.
    let mut diffs = Vec::new();
    for who in ["agent", "customer"] {
        let (l, r) = (starts(live, who), starts(replay, who));
        assert_eq!(
            l.len(),
            r.len(),
            "{who} speech onsets: live {l:?}, replay {r:?}"
        );
        diffs.extend(l.iter().zip(&r).map(|(a, b)| a - b));
    }
    eprintln!("speech onsets, live minus replay (ms), agent then customer: {diffs:?}");
    diffs.sort();
    let offset = diffs[diffs.len() / 2];
    for d in &diffs {
        assert!(
            (d - offset).abs() <= 100,
            "speech onsets out of step: {diffs:?} (offset {offset})"
        );
    }
    let ints = |ev: &[Value]| -> Vec<(String, i64)> {
        of_type(ev, "interruption")
            .into_iter()
            .map(|e| {
                (
                    e["by"].as_str().unwrap().to_string(),
                    e["onset_ms"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let (li, ri) = (ints(live), ints(replay));
    assert!(!ri.is_empty(), "the fixture has interruptions");
    assert_eq!(
        li.len(),
        ri.len(),
        "interruptions: live {li:?}, replay {ri:?}"
    );
    for ((lb, lt), (rb, rt)) in li.iter().zip(&ri) {
        assert_eq!(lb, rb);
        assert!(
            (lt - offset - rt).abs() <= 100,
            "interruption onset live {lt} (offset {offset}) vs replay {rt}"
        );
    }
    let utts = |ev: &[Value]| -> Vec<(String, i64, String)> {
        of_type(ev, "utterance")
            .into_iter()
            .map(|e| {
                (
                    e["speaker"].as_str().unwrap().to_string(),
                    e["start_ms"].as_i64().unwrap(),
                    e["text"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    // Live, a transcript lands when whisper delivers it, so a short utterance can overtake a
    // long one: compare in order of their starts.
    let (mut lu, mut ru) = (utts(live), utts(replay));
    lu.sort_by_key(|u| u.1);
    ru.sort_by_key(|u| u.1);
    assert_eq!(lu.len(), ru.len(), "utterances: live {lu:?}\nreplay {ru:?}");
    let (mut errors, mut total) = (0, 0);
    for ((ls, lt, ltext), (rs, rt, rtext)) in lu.iter().zip(&ru) {
        assert_eq!(ls, rs);
        assert!(
            (lt - offset - rt).abs() <= 100,
            "utterance start {lt} vs {rt}"
        );
        let e = word_errors(&words(rtext), &words(ltext));
        if e > 0 {
            eprintln!("{ls} at {rt} ms\n  replay {rtext:?}\n  live   {ltext:?}");
        }
        errors += e;
        total += words(rtext).len();
    }
    let wer = errors as f64 / total.max(1) as f64;
    assert!(
        wer <= 0.15,
        "live words differ from replay's by {:.1} %",
        wer * 100.0
    );
}

/// The call's two sides as WAVs for the agent and customer sinks (different rates and
/// channel counts, as real hardware has), and `hearken live` capturing both monitors.
fn two_device_live(
    pulse: &Pulse,
    call: &Path,
    seconds: f64,
) -> (std::path::PathBuf, std::path::PathBuf, Running) {
    let agent = for_sink(pulse, call, &AGENT_LINE, &["1"], "agent.wav");
    let customer = for_sink(pulse, call, &CUSTOMER_LINE, &["2", "2"], "customer.wav");
    let live = start_live(
        pulse,
        &[
            "--agent",
            &AGENT_LINE.monitor(),
            "--customer",
            &CUSTOMER_LINE.monitor(),
        ],
        seconds,
    );
    (agent, customer, live)
}

#[test]
fn two_devices_find_what_replay_finds() {
    let _one = serial();
    let pulse = Pulse::start(&[&AGENT_LINE, &CUSTOMER_LINE]);
    let call = fixture("escalating.wav");
    let (agent, customer, live) = two_device_live(&pulse, &call, 58.0);
    let mut a = pulse.play(&AGENT_LINE, &agent);
    let mut c = pulse.play(&CUSTOMER_LINE, &customer);
    assert!(a.wait().unwrap().success() && c.wait().unwrap().success());
    let (events, log_text) = finish(live);
    let replay = replay_events(&[call.to_str().unwrap()]);
    assert_same_call(&events, &replay);
    assert!(log_text.contains("0 frames dropped"), "{log_text}");
}

#[test]
fn one_stereo_device_with_a_channel_map() {
    let _one = serial();
    let pulse = Pulse::start(&[&CALL_STEREO]);
    // The first 30 s of the call (both talk-overs), agent on the right this time.
    let dir = tmpdir();
    let part = dir.path().join("part.wav");
    let ok = Command::new("sox")
        .arg(fixture("escalating.wav"))
        .arg(&part)
        .args(["trim", "0", "30"])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let swapped = for_sink(&pulse, &part, &CALL_STEREO, &["2", "1"], "swapped.wav");
    let live = start_live(
        &pulse,
        &[
            "--stereo",
            &CALL_STEREO.monitor(),
            "--agent-channel",
            "right",
        ],
        33.0,
    );
    let mut p = pulse.play(&CALL_STEREO, &swapped);
    assert!(p.wait().unwrap().success());
    let (events, _) = finish(live);
    let replay = replay_events(&[part.to_str().unwrap()]);
    assert_same_call(&events, &replay);
}

#[test]
fn an_unplugged_device_is_reported_and_capture_resumes_when_it_returns() {
    let _one = serial();
    let mut pulse = Pulse::start(&[&AGENT_LINE, &CUSTOMER_LINE]);
    let call = fixture("escalating.wav");
    let (agent, customer, live) = two_device_live(&pulse, &call, 40.0);
    let mut a = pulse.play(&AGENT_LINE, &agent);
    std::thread::sleep(Duration::from_secs(4));
    // The customer's device goes away for a few seconds, then comes back.
    pulse.unload(&CUSTOMER_LINE);
    std::thread::sleep(Duration::from_secs(4));
    pulse.load(&CUSTOMER_LINE);
    std::thread::sleep(Duration::from_secs(2));
    let mut c = pulse.play(&CUSTOMER_LINE, &customer);
    let (events, log_text) = finish(live);
    for p in [&mut a, &mut c] {
        let _ = p.kill();
        let _ = p.wait();
    }
    let device = of_type(&events, "device");
    let lost = device
        .iter()
        .find(|e| e["state"] == "device_lost")
        .unwrap_or_else(|| panic!("no device_lost event: {device:?}\n{log_text}"));
    assert!(lost["detail"].as_str().unwrap().contains("customer_line"));
    let back = device
        .iter()
        .find(|e| e["state"] == "device_restored")
        .expect("a device_restored event");
    let (t_lost, t_back) = (
        lost["t_ms"].as_u64().unwrap(),
        back["t_ms"].as_u64().unwrap(),
    );
    assert!(
        t_lost > 3_000 && t_back > t_lost + 2_000,
        "lost {t_lost}, back {t_back}"
    );
    // Capture went on through it, and the customer is heard after the return.
    let end = of_type(&events, "call_end");
    assert_eq!(end.len(), 1);
    assert!(end[0]["duration_ms"].as_u64().unwrap() > 30_000);
    assert!(
        of_type(&events, "speech_start")
            .iter()
            .any(|e| e["speaker"] == "customer" && e["t_ms"].as_u64().unwrap() > t_back),
        "no customer speech after the device came back"
    );
}

#[test]
fn a_device_that_is_not_there_is_named_with_what_is() {
    let _one = serial();
    let pulse = Pulse::start(&[&AGENT_LINE]);
    let mut c = Command::new(env!("CARGO_BIN_EXE_hearken"));
    pulse.env(&mut c);
    let out = c
        .current_dir(root())
        .args([
            "live",
            "--headless",
            "--host",
            "pulseaudio",
            "--no-transcribe",
        ])
        .args([
            "--agent",
            "Jabra Evolve",
            "--customer",
            "agent_line.monitor",
        ])
        .output()
        .unwrap();
    assert_clean_failure(
        &out,
        &["Jabra Evolve", "agent_line.monitor", "hearken devices"],
    );
}

#[test]
fn devices_lists_the_monitors_with_config_to_paste() {
    let _one = serial();
    let pulse = Pulse::start(&[&AGENT_LINE, &CUSTOMER_LINE]);
    let mut c = Command::new(env!("CARGO_BIN_EXE_hearken"));
    pulse.env(&mut c);
    let out = c.current_dir(root()).arg("devices").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "\"agent_line.monitor\"",
        "\"customer_line.monitor\"",
        "1 ch 48000 Hz",
        "2 ch 44100 Hz",
        "loopback",
        "[capture]",
    ] {
        assert!(text.contains(want), "{want:?} not in:\n{text}");
    }
}

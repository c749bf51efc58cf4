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
use std::path::{Path, PathBuf};
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
    start_live_with(pulse, args, seconds, &[])
}

fn start_live_with(
    pulse: &Pulse,
    args: &[&str],
    seconds: f64,
    env: &[(&str, &std::ffi::OsStr)],
) -> Running {
    let mut c = hearken();
    pulse.env(&mut c);
    for (k, v) in env {
        c.env(k, v);
    }
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

/// `check` opens each configured device as `live` does and listens: audio arrives from both
/// monitors, with its format and level; a stereo setup on a one-channel device does not open.
#[test]
fn check_opens_each_device_and_hears_it() {
    let _one = serial();
    let pulse = Pulse::start(&[&AGENT_LINE, &CUSTOMER_LINE]);
    let dir = pulse.path("check");
    std::fs::create_dir_all(&dir).unwrap();
    let check = |config: &str| {
        let cfg = dir.join("c.toml");
        std::fs::write(&cfg, config).unwrap();
        let mut c = Command::new(env!("CARGO_BIN_EXE_hearken"));
        pulse.env(&mut c);
        let out = c
            .current_dir(root())
            .arg("--config")
            .arg(&cfg)
            .args(["check", "--json"])
            .output()
            .unwrap();
        let checks: Vec<Value> = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        checks
    };
    let two = check(&format!(
        "[capture]\nhost = \"pulseaudio\"\nagent = \"{}\"\ncustomer = \"{}\"\n",
        AGENT_LINE.monitor(),
        CUSTOMER_LINE.monitor()
    ));
    for (name, device, format) in [
        (
            "audio: agent device",
            AGENT_LINE.monitor(),
            "1 ch, 48000 Hz",
        ),
        (
            "audio: customer device",
            CUSTOMER_LINE.monitor(),
            "2 ch, 44100 Hz",
        ),
    ] {
        let c = two.iter().find(|c| c["name"] == name).unwrap();
        let detail = c["detail"].as_str().unwrap();
        assert_eq!(c["ok"], true, "{c}");
        assert!(
            detail.contains(&device) && detail.contains(format),
            "{detail}"
        );
        // A monitor of a silent sink delivers silence: audio arrived, at a very low level.
        let secs: f64 = detail
            .split("opened, ")
            .nth(1)
            .and_then(|r| r.split(" s of audio arrived").next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no amount of audio in {detail:?}"));
        assert!(secs > 0.3, "{detail}");
        assert!(
            detail.contains("digital silence") && detail.contains("nothing kept"),
            "{detail}"
        );
    }
    let stereo = check(&format!(
        "[capture]\nhost = \"pulseaudio\"\nstereo = \"{}\"\n",
        AGENT_LINE.monitor()
    ));
    let c = stereo
        .iter()
        .find(|c| c["name"] == "audio: call device")
        .unwrap();
    assert_eq!(c["ok"], false, "{c}");
    assert!(
        c["detail"].as_str().unwrap().contains("does not open")
            && c["detail"].as_str().unwrap().contains("one channel"),
        "{c}"
    );
}

/// The capture callback `hearken live` installs runs under the allocation guard: a debug
/// build made to allocate there (a seam for this test only) aborts at once and says so, and
/// the same session without it captures to its end, as every live test here does.
#[test]
fn an_allocation_in_the_capture_callback_aborts_a_debug_build() {
    use std::os::unix::process::ExitStatusExt;
    let _one = serial();
    let pulse = Pulse::start(&[&AGENT_LINE, &CUSTOMER_LINE]);
    let run = |allocate: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_hearken"));
        pulse.env(&mut c);
        if allocate {
            c.env("HEARKEN_TEST_ALLOCATE_IN_CALLBACK", "1");
        }
        c.current_dir(root())
            .args([
                "live",
                "--headless",
                "--host",
                "pulseaudio",
                "--no-transcribe",
                "--duration",
                "4",
            ])
            .args(["--agent", &AGENT_LINE.monitor()])
            .args(["--customer", &CUSTOMER_LINE.monitor()])
            .output()
            .unwrap()
    };
    let caught = run(true);
    assert_eq!(
        caught.status.signal(),
        Some(libc::SIGABRT),
        "the guard did not fire: {:?}\n{}",
        caught.status,
        stderr(&caught)
    );
    assert!(
        stderr(&caught).contains("memory allocation of 64 bytes failed"),
        "{}",
        stderr(&caught)
    );
    let normal = run(false);
    assert!(normal.status.success(), "{}", stderr(&normal));
    // Nothing is played, so no call starts; the closing report shows the session ran its
    // four seconds with the callbacks the guard watched.
    let report = stderr(&normal);
    let line = report
        .lines()
        .find(|l| l.contains("hearken live:"))
        .unwrap_or_else(|| panic!("no closing report: {report}"));
    let field = |after: &str| -> f64 {
        let rest = &line[line
            .find(after)
            .unwrap_or_else(|| panic!("{after} in {line}"))
            + after.len()..];
        rest.split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(
        field("hearken live: ") >= 3.5,
        "the normal session ran to its end: {line}"
    );
    let callbacks: f64 = line
        .split(" callbacks")
        .next()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(callbacks > 100.0, "callbacks ran under the guard: {line}");
}

/// A shift on the two devices: `parts` (fixture, seconds from its start) one after the other
/// with `gap` seconds of nothing played between; the agent and customer files for the sinks,
/// and where each call starts in them (ms).
fn shift_for_sinks(pulse: &Pulse, parts: &[(&str, f64)], gap: f64) -> (PathBuf, PathBuf, Vec<u64>) {
    let dir = pulse.path("shift");
    std::fs::create_dir_all(&dir).unwrap();
    let silence = dir.join("gap.wav");
    let ok = Command::new("sox")
        .args(["-D", "-n", "-r", "16000", "-c", "2", "-b", "16"])
        .arg(&silence)
        .args(["trim", "0", &gap.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let mut join = Command::new("sox");
    let mut starts = Vec::new();
    let mut at = 0.0;
    for (k, (name, secs)) in parts.iter().enumerate() {
        let part = dir.join(format!("part{k}.wav"));
        let ok = Command::new("sox")
            .arg(fixture(&format!("{name}.wav")))
            .arg(&part)
            .args(["trim", "0", &secs.to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        if k > 0 {
            join.arg(&silence);
            at += gap;
        }
        starts.push((at * 1000.0) as u64);
        join.arg(&part);
        at += secs;
    }
    let whole = dir.join("shift.wav");
    assert!(join.arg(&whole).status().unwrap().success());
    let agent = for_sink(pulse, &whole, &AGENT_LINE, &["1"], "shift-agent.wav");
    let customer = for_sink(
        pulse,
        &whole,
        &CUSTOMER_LINE,
        &["2", "2"],
        "shift-customer.wav",
    );
    (agent, customer, starts)
}

fn by_call(events: &[Value]) -> Vec<Vec<Value>> {
    let mut out: Vec<Vec<Value>> = Vec::new();
    for e in events {
        if let Some(id) = e["call_id"].as_u64() {
            out.resize(out.len().max(id as usize), Vec::new());
            out[id as usize - 1].push(e.clone());
        }
    }
    out
}

/// Three calls played one after the other with quiet between them: three calls live, each
/// as a replay of it alone finds it, a calm call after an angry one calm, and the agent's
/// history holding the three, shown in a page a browser opens cleanly.
#[test]
fn a_shift_of_three_calls_is_three_calls() {
    let _one = serial();
    let pulse = Pulse::start(&[&AGENT_LINE, &CUSTOMER_LINE]);
    let parts = [("escalating", 30.0), ("calm", 22.0), ("escalating", 30.0)];
    let (agent, customer, starts) = shift_for_sinks(&pulse, &parts, 6.0);
    let state = pulse.path("state");
    let live = start_live_with(
        &pulse,
        &[
            "--agent",
            &AGENT_LINE.monitor(),
            "--customer",
            &CUSTOMER_LINE.monitor(),
        ],
        104.0,
        &[("XDG_STATE_HOME", state.as_os_str())],
    );
    let mut a = pulse.play(&AGENT_LINE, &agent);
    let mut c = pulse.play(&CUSTOMER_LINE, &customer);
    assert!(a.wait().unwrap().success() && c.wait().unwrap().success());
    let (events, log) = finish(live);
    let calls = by_call(&events);
    assert_eq!(
        calls.len(),
        3,
        "calls: {:?}\n{log}",
        of_type(&events, "call_start")
    );
    let at = |c: &[Value], ty: &str| {
        let e = c.iter().find(|e| e["type"] == ty).unwrap();
        (
            e["at_ms"].as_i64().unwrap(),
            e["duration_ms"].as_i64().unwrap_or(0),
        )
    };
    let first = at(&calls[0], "call_start").0 - starts[0] as i64;
    for (k, (name, secs)) in parts.iter().enumerate() {
        let (start, _) = at(&calls[k], "call_start");
        let (_, length) = at(&calls[k], "call_end");
        let truth_start = starts[k] as i64 + first;
        assert!(
            (start - truth_start).abs() <= 2_000,
            "call {k}: starts {start}, truth {truth_start}"
        );
        assert!(
            ((length as f64) - secs * 1000.0).abs() <= 2_000.0,
            "call {k}: {length} ms long, truth {secs} s"
        );
        let part = pulse.path(&format!("shift/part{k}.wav"));
        let alone = replay_events(&[part.to_str().unwrap()]);
        let ints = |ev: &[Value], shift: i64| -> Vec<(String, i64)> {
            of_type(ev, "interruption")
                .iter()
                .map(|e| (e["by"].to_string(), e["onset_ms"].as_i64().unwrap() + shift))
                .collect()
        };
        let (live_ints, replay_ints) = (ints(&calls[k], start - truth_start), ints(&alone, 0));
        assert_eq!(
            live_ints.len(),
            replay_ints.len(),
            "{name}: live {live_ints:?}, alone {replay_ints:?}"
        );
        for (l, r) in live_ints.iter().zip(&replay_ints) {
            assert_eq!(l.0, r.0);
            assert!((l.1 - r.1).abs() <= 150, "{name}: live {l:?}, alone {r:?}");
        }
        // Prompts from how the call went (talk-over, dead air, talk share: speech activity
        // alone) are the same live as replayed.
        let kinds = |ev: &[Value], category: &str| -> Vec<String> {
            of_type(ev, "prompt")
                .iter()
                .filter(|e| e["category"] == category)
                .map(|e| e["kind"].to_string())
                .collect()
        };
        assert_eq!(
            kinds(&calls[k], "listening"),
            kinds(&alone, "listening"),
            "{name}: prompts"
        );
        // The customer's tension reads the words as well as the voice, and live audio comes
        // back through the sound server's resampling, so whisper may hear a marginal word
        // otherwise: the highest level reached is the same, except where the replay's score
        // at that level was within `NEAR` of its threshold (0.40 elevated, 0.60 high); the
        // empathy prompts follow the levels.
        const NEAR: f64 = 0.1;
        let peak = |ev: &[Value]| -> Option<(String, f64)> {
            let rank = |l: &str| ["calm", "elevated", "high"].iter().position(|x| *x == l);
            of_type(ev, "tension")
                .iter()
                .map(|e| {
                    (
                        e["level"].as_str().unwrap().to_string(),
                        e["score"].as_f64().unwrap(),
                    )
                })
                .max_by_key(|(l, _)| rank(l))
        };
        let (live_peak, replay_peak) = (peak(&calls[k]), peak(&alone));
        let near_threshold = |p: &Option<(String, f64)>| match p {
            Some((l, s)) if l == "high" => s - 0.60 < NEAR,
            Some((l, s)) if l == "elevated" => s - 0.40 < NEAR || 0.60 - s < NEAR,
            _ => false,
        };
        let level = |p: &Option<(String, f64)>| p.as_ref().map(|p| p.0.clone());
        assert!(
            level(&live_peak) == level(&replay_peak) || near_threshold(&replay_peak),
            "{name}: live peak {live_peak:?}, alone {replay_peak:?}"
        );
        if level(&live_peak) == level(&replay_peak) {
            assert_eq!(
                kinds(&calls[k], "empathy"),
                kinds(&alone, "empathy"),
                "{name}: empathy prompts at the same levels"
            );
        }
    }
    assert!(
        of_type(&calls[1], "tension").is_empty() && of_type(&calls[1], "prompt").is_empty(),
        "the calm call after the angry one: {:?}",
        of_type(&calls[1], "tension")
    );
    // Nothing is coached between the calls: every event belongs to one.
    assert!(
        of_type(&events, "prompt")
            .iter()
            .all(|e| e["call_id"].is_u64())
    );
    assert!(
        of_type(&events, "dead_air").is_empty(),
        "dead air between calls"
    );

    // The agent's own history: the three calls, as text and as a page.
    let history = |args: &[&str]| {
        let mut c = hearken();
        c.env("XDG_STATE_HOME", &state).arg("history").args(args);
        let out = c.output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let text = history(&[]);
    assert_eq!(text.matches(" min  you talked").count(), 3, "{text}");
    let page = pulse.path("trend.html");
    history(&["--report", page.to_str().unwrap()]);
    let (dom, console) = common::browser::open_in_chromium(&page, None);
    assert!(
        !console.contains(":CONSOLE(") && !console.contains("Uncaught"),
        "{console}"
    );
    assert_eq!(dom.matches("class=\"plot\"").count(), 4, "four plots");
    assert!(
        dom.matches("class=\"bar\"").count() >= 6,
        "bars for the calls"
    );
    let file = state.join("hearken/history.jsonl");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions());
    assert_eq!(mode & 0o077, 0, "the history is the user's alone");
    let kept = std::fs::read_to_string(&file).unwrap();
    assert!(
        !kept.contains("text") && !kept.contains("unacceptable"),
        "figures only: {kept}"
    );
    history(&["--clear"]);
    assert!(!file.exists());
}

/// `hearken call end` / `call start`, as a softphone runs them, split a call where they are
/// sent; with no session running it is a clear error, and another user cannot send them.
#[test]
fn the_softphone_starts_and_ends_calls() {
    let _one = serial();
    let pulse = Pulse::start(&[&AGENT_LINE, &CUSTOMER_LINE]);
    let call = |what: &str| {
        let mut c = hearken();
        pulse.env(&mut c);
        c.args(["call", what]).output().unwrap()
    };
    let none = call("end");
    assert_clean_failure(&none, &["no `hearken live` is running"]);
    let (agent, customer, live) = two_device_live(&pulse, &fixture("calm.wav"), 24.0);
    let started = std::time::Instant::now();
    let mut a = pulse.play(&AGENT_LINE, &agent);
    let mut c = pulse.play(&CUSTOMER_LINE, &customer);
    std::thread::sleep(Duration::from_secs(8));
    let ended = call("end");
    let end_wall = started.elapsed().as_millis() as i64;
    assert!(ended.status.success(), "{}", stderr(&ended));
    assert!(String::from_utf8_lossy(&ended.stdout).contains("call 1 ended"));
    // Another user reaches nothing: the socket is in this user's own runtime folder.
    let runtime = pulse.path("runtime");
    let open = tmpdir();
    open_to_all(open.path());
    let stranger = hearken_as_user(open.path())
        .env("XDG_RUNTIME_DIR", &runtime)
        .args(["call", "start"])
        .output()
        .unwrap();
    assert_clean_failure(&stranger, &["another user"]);
    std::thread::sleep(Duration::from_secs(3));
    let begun = call("start");
    let start_wall = started.elapsed().as_millis() as i64;
    assert!(begun.status.success(), "{}", stderr(&begun));
    assert!(String::from_utf8_lossy(&begun.stdout).contains("call 2 started"));
    for p in [&mut a, &mut c] {
        let _ = p.wait();
    }
    let (events, log) = finish(live);
    let calls = by_call(&events);
    assert!(calls.len() >= 2, "{log}");
    let end = calls[0].iter().find(|e| e["type"] == "call_end").unwrap();
    assert_eq!(end["reason"], "softphone");
    let start = calls[1].iter().find(|e| e["type"] == "call_start").unwrap();
    assert_eq!(start["reason"], "softphone");
    // Where they were sent: the gap between them in the audio is the gap between the
    // commands (within the capture's own delays).
    let end_at = end["at_ms"].as_i64().unwrap() + end["duration_ms"].as_i64().unwrap();
    let start_at = start["at_ms"].as_i64().unwrap();
    let gap = start_at - end_at;
    assert!(
        ((gap) - (start_wall - end_wall)).abs() <= 700,
        "audio gap {gap} ms, commands {} ms apart",
        start_wall - end_wall
    );
}

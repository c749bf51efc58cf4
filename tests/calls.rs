//! A shift of calls in one recording, split the way a live session splits them
//! (`hearken replay --split-calls`): the boundaries where the calls really are, a fresh
//! engine per call (each call says what a replay of that call alone says), limits per call,
//! and one events file per call.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A shift: fixture calls joined by gaps; where each call starts in it (ms).
fn shift(dir: &Path, calls: &[&str], gap: &Gap) -> (PathBuf, Vec<u64>) {
    let silence = dir.join("gap.wav");
    let mut sox = Command::new("sox");
    match gap {
        Gap::Digital(s) => sox
            .args(["-n", "-r", "16000", "-c", "2", "-b", "16"])
            .arg(&silence)
            .args(["trim", "0", &s.to_string()]),
        Gap::Noise(s) => sox
            .args(["-n", "-r", "16000", "-c", "2", "-b", "16"])
            .arg(&silence)
            .args(["synth", &s.to_string(), "pinknoise", "vol", "0.0006"]),
    };
    need("sox", "sox");
    assert!(sox.status().unwrap().success());
    let out = dir.join("shift.wav");
    let mut join = Command::new("sox");
    let mut starts = Vec::new();
    let mut at = 0u64;
    for (k, c) in calls.iter().enumerate() {
        if k > 0 {
            join.arg(&silence);
            at += gap.ms();
        }
        starts.push(at);
        join.arg(fixture(&format!("{c}.wav")));
        at += truth(c)["duration_ms"].as_u64().unwrap();
    }
    assert!(join.arg(&out).status().unwrap().success());
    (out, starts)
}

enum Gap {
    Digital(u32),
    Noise(u32),
}

impl Gap {
    fn ms(&self) -> u64 {
        match self {
            Gap::Digital(s) | Gap::Noise(s) => *s as u64 * 1000,
        }
    }
}

fn calls_of(events: &[Value]) -> Vec<Vec<&Value>> {
    let mut out: Vec<Vec<&Value>> = Vec::new();
    for e in events {
        let Some(id) = e["call_id"].as_u64() else {
            continue;
        };
        while out.len() < id as usize {
            out.push(Vec::new());
        }
        out[id as usize - 1].push(e);
    }
    out
}

/// What must be the same as the call replayed alone: interruptions (by whom, when), prompts
/// (which, when) and tension levels, on the call's own clock shifted to the recording's.
fn essentials(events: &[&Value], shift_ms: i64) -> Vec<(String, String, i64)> {
    events
        .iter()
        .filter_map(|e| {
            let at = |k: &str| e[k].as_i64().unwrap() + shift_ms;
            match e["type"].as_str().unwrap() {
                "interruption" => Some(("interruption", e["by"].to_string(), at("onset_ms"))),
                "prompt" => Some(("prompt", e["kind"].to_string(), at("t_ms"))),
                "tension" => Some(("tension", e["level"].to_string(), at("t_ms"))),
                _ => None,
            }
        })
        .map(|(a, b, c)| (a.to_string(), b, c))
        .collect()
}

fn assert_same(call: &str, got: &[(String, String, i64)], alone: &[(String, String, i64)]) {
    let kinds = |v: &[(String, String, i64)]| {
        v.iter()
            .map(|x| (x.0.clone(), x.1.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        kinds(got),
        kinds(alone),
        "{call}: split {got:?}\nalone {alone:?}"
    );
    for (g, a) in got.iter().zip(alone) {
        assert!((g.2 - a.2).abs() <= 100, "{call}: {g:?} vs alone {a:?}");
    }
}

#[test]
fn a_shift_splits_into_its_calls_each_as_it_would_be_alone() {
    common::model();
    let dir = tmpdir();
    let names = ["escalating", "calm", "acknowledged"];
    let (file, starts) = shift(dir.path(), &names, &Gap::Digital(25));
    let events = replay_events(&[file.to_str().unwrap(), "--split-calls"]);
    let calls = calls_of(&events);
    assert_eq!(calls.len(), 3, "three calls");
    for (k, name) in names.iter().enumerate() {
        let c = &calls[k];
        let start = c
            .iter()
            .find(|e| e["type"] == "call_start")
            .expect("call_start");
        let end = c
            .iter()
            .find(|e| e["type"] == "call_end")
            .expect("call_end");
        let at = start["at_ms"].as_i64().unwrap();
        let len = truth(name)["duration_ms"].as_i64().unwrap();
        let (t0, t1) = (starts[k] as i64, starts[k] as i64 + len);
        assert!(
            (at - t0).abs() <= 2_000,
            "{name} starts at {at}, truth {t0}"
        );
        let end_at = at + end["duration_ms"].as_i64().unwrap();
        assert!(
            (end_at - t1).abs() <= 2_000,
            "{name} ends at {end_at}, truth {t1}"
        );
        assert_eq!(start["reason"], "auto");
        assert!(
            c.iter().any(|e| e["type"] == "call_card"),
            "{name} has a card"
        );
        let alone = replay_events(&[fixture(&format!("{name}.wav")).to_str().unwrap()]);
        let alone: Vec<&Value> = alone.iter().collect();
        assert_same(name, &essentials(c, at - t0), &essentials(&alone, 0));
    }
    // The calm call after the angry one stays calm.
    assert!(
        !calls[1]
            .iter()
            .any(|e| e["type"] == "tension" || e["type"] == "prompt"),
        "calm call: {:?}",
        calls[1]
            .iter()
            .filter(|e| e["type"] == "tension" || e["type"] == "prompt")
            .collect::<Vec<_>>()
    );
    // Between the calls nothing: every event belongs to a call.
    assert!(events.iter().all(|e| e["call_id"].is_u64()));
}

#[test]
fn a_long_silence_with_line_noise_ends_a_call_and_limits_are_per_call() {
    let dir = tmpdir();
    let (file, starts) = shift(dir.path(), &["escalating", "escalating"], &Gap::Noise(35));
    // One prompt a call at most: the second call still gets its own.
    let playbook = dir.path().join("playbook.toml");
    std::fs::write(&playbook, "[coach]\nmax_per_call = 1\n").unwrap();
    let out = hearken()
        .args(["--playbook", playbook.to_str().unwrap()])
        .args([
            "replay",
            file.to_str().unwrap(),
            "--split-calls",
            "--no-transcribe",
        ])
        .args(["--speed", "max", "--events", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let events = events(&out.stdout);
    let calls = calls_of(&events);
    assert_eq!(calls.len(), 2);
    for (k, c) in calls.iter().enumerate() {
        let prompts = c.iter().filter(|e| e["type"] == "prompt").count();
        assert_eq!(prompts, 1, "call {}: {prompts} prompts", k + 1);
        let start = c.iter().find(|e| e["type"] == "call_start").unwrap();
        let at = start["at_ms"].as_i64().unwrap();
        assert!(
            (at - starts[k] as i64).abs() <= 2_000,
            "call {} at {at}",
            k + 1
        );
        // No dead air in a call from the silence after it.
        let dead: Vec<_> = c.iter().filter(|e| e["type"] == "dead_air").collect();
        assert!(dead.len() <= 1, "{dead:?}");
    }
    let end = calls[0].iter().find(|e| e["type"] == "call_end").unwrap();
    let end_at = end["at_ms"].as_i64().unwrap() + end["duration_ms"].as_i64().unwrap();
    let truth_end = truth("escalating")["duration_ms"].as_i64().unwrap();
    assert!(
        (end_at - truth_end).abs() <= 2_000,
        "ends at {end_at}, truth {truth_end}"
    );
}

#[test]
fn events_into_a_folder_are_one_file_per_call() {
    let dir = tmpdir();
    let (file, _) = shift(dir.path(), &["calm", "backchannels"], &Gap::Digital(8));
    let folder = dir.path().join("events/");
    let out = hearken()
        .args([
            "replay",
            file.to_str().unwrap(),
            "--split-calls",
            "--no-transcribe",
        ])
        .arg("--events")
        .arg(&folder)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["shift-call-001.jsonl", "shift-call-002.jsonl"]);
    for (k, n) in names.iter().enumerate() {
        let ev = events(&std::fs::read(folder.join(n)).unwrap());
        assert_eq!(ev.first().unwrap()["type"], "call_start");
        assert_eq!(ev.last().unwrap()["type"], "call_end");
        assert!(ev.iter().all(|e| e["call_id"] == k as u64 + 1));
    }
}

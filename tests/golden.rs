//! What the engine says about every fixture call, byte for byte, against recorded files.
//!
//! `tests/golden/NAME.events.jsonl` is `hearken replay tests/fixtures/NAME.wav --events -`
//! (whisper included) and `tests/golden/eval.txt` is `hearken eval`. A change that should not
//! change behaviour (a refactor) must leave them identical. After a change that is meant to
//! change what the engine says, look at the difference, then record the new output:
//!
//!     UPDATE_GOLDEN=1 cargo test --test golden

mod common;

use common::{hearken, stderr};
use std::path::PathBuf;

const CALLS: &[&str] = &[
    "acknowledged",
    "backchannels",
    "calm",
    "dead_air_monologue",
    "escalating",
    "real_voices",
];

fn golden(name: &str) -> PathBuf {
    common::root().join("tests/golden").join(name)
}

/// Compare with the recorded file, or record it when UPDATE_GOLDEN is set.
fn same_as_recorded(name: &str, got: &[u8]) -> Result<(), String> {
    let path = golden(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return Ok(());
    }
    let want = std::fs::read(&path).map_err(|e| {
        format!(
            "{}: {e} (record it with UPDATE_GOLDEN=1 cargo test --test golden)",
            path.display()
        )
    })?;
    if want == got {
        return Ok(());
    }
    let (w, g) = (String::from_utf8_lossy(&want), String::from_utf8_lossy(got));
    let first = w
        .lines()
        .zip(g.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(w.lines().count().min(g.lines().count()));
    Err(format!(
        "{name} differs from {} at line {}:\n  recorded: {}\n  now:      {}",
        path.display(),
        first + 1,
        w.lines().nth(first).unwrap_or("(end)"),
        g.lines().nth(first).unwrap_or("(end)")
    ))
}

#[test]
fn every_fixture_call_says_what_was_recorded() {
    common::model();
    let mut differences = Vec::new();
    for name in CALLS {
        let out = hearken()
            .arg("replay")
            // Relative to the repository root (where the binary runs), so `call_start.source`
            // is the same in every clone.
            .arg(format!("tests/fixtures/{name}.wav"))
            .args(["--speed", "max", "--events", "-"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        if let Err(e) = same_as_recorded(&format!("{name}.events.jsonl"), &out.stdout) {
            differences.push(e);
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n\n"));
}

#[test]
fn eval_scores_what_was_recorded() {
    let out = hearken().arg("eval").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    same_as_recorded("eval.txt", &out.stdout).unwrap();
}

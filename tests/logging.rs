//! The log file: where it goes, how long it is kept, and that it holds no transcript text
//! unless the config allows it.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::path::Path;

/// Words Hearken's own log lines use; anything else found in a log came from a call.
const LOG_WORDS: &[&str] = &[
    "agent",
    "customer",
    "utterance",
    "utterances",
    "transcribed",
    "audio",
    "whisper",
    "model",
    "replay",
    "replaying",
    "checked",
    "interruptions",
    "withheld",
    "characters",
    "speech",
];

/// Replay calm.wav with the log at `debug` in `dir`; return (log text, transcript words).
fn replay_logged(dir: &Path, transcripts: bool) -> (String, BTreeSet<String>) {
    let logs = dir.join("logs");
    let config = dir.join("hearken.toml");
    std::fs::write(
        &config,
        format!(
            "[log]\nlevel = \"debug\"\ndir = {:?}\ntranscripts = {transcripts}\n",
            logs.to_str().unwrap()
        ),
    )
    .unwrap();
    model();
    let out = hearken()
        .arg("--config")
        .arg(&config)
        .args(["replay", "tests/fixtures/calm.wav", "--events", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "replay failed: {}", stderr(&out));
    let mut words = BTreeSet::new();
    for e in events(&out.stdout) {
        if e["type"] == "utterance" {
            for w in e["text"]
                .as_str()
                .unwrap()
                .split(|c: char| !c.is_alphabetic())
            {
                let w = w.to_lowercase();
                if w.len() >= 5 && !LOG_WORDS.contains(&w.as_str()) {
                    words.insert(w);
                }
            }
        }
    }
    assert!(
        words.len() >= 5,
        "calm.wav should give words to look for: {words:?}"
    );
    let files: Vec<_> = std::fs::read_dir(&logs)
        .unwrap_or_else(|e| panic!("no log folder {}: {e}", logs.display()))
        .map(|f| f.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "one log file a day: {files:?}");
    let name = files[0].file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        name.starts_with("hearken.") && name.ends_with(".log"),
        "log file name {name}"
    );
    (std::fs::read_to_string(&files[0]).unwrap(), words)
}

fn found<'a>(log: &str, words: &'a BTreeSet<String>) -> Vec<&'a String> {
    let log = log.to_lowercase();
    words.iter().filter(|w| log.contains(w.as_str())).collect()
}

#[test]
fn the_log_says_what_ran_but_keeps_no_transcript_text() {
    let dir = tmpdir();
    let (log, words) = replay_logged(dir.path(), false);
    for expected in [
        "replay (pid",
        "whisper model",
        "sha256 checked",
        "replay done",
    ] {
        assert!(log.contains(expected), "log lacks {expected:?}:\n{log}");
    }
    assert!(
        log.contains("characters withheld"),
        "debug lines about transcripts should say the text was withheld:\n{log}"
    );
    let leaked = found(&log, &words);
    assert!(
        leaked.is_empty(),
        "transcript words in the log: {leaked:?}\n{log}"
    );
}

#[test]
fn transcripts_reach_the_log_only_when_the_config_allows() {
    let dir = tmpdir();
    let (log, words) = replay_logged(dir.path(), true);
    let seen = found(&log, &words);
    assert!(
        seen.len() * 10 >= words.len() * 8,
        "with log.transcripts on, the log should carry what was said: {} of {words:?}",
        seen.len()
    );
}

#[test]
fn old_log_files_are_deleted_after_keep_days() {
    let dir = tmpdir();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    // tracing-appender deletes the files it made earliest. Made by days in real life; made
    // here in one go, so a pause keeps their creation order the order of their days (files
    // written in the same clock tick would tie, and go in directory order).
    for day in 1..=9 {
        std::fs::write(logs.join(format!("hearken.2026-01-0{day}.log")), "old\n").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(30));
    }
    let config = dir.path().join("hearken.toml");
    std::fs::write(
        &config,
        format!("[log]\ndir = {:?}\nkeep_days = 3\n", logs.to_str().unwrap()),
    )
    .unwrap();
    let out = hearken()
        .arg("--config")
        .arg(&config)
        .args(["config", "--show"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let mut left: Vec<String> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left.len(), 3, "keep_days = 3 keeps three files: {left:?}");
    assert!(
        !left.contains(&"hearken.2026-01-01.log".to_string()),
        "the oldest go first: {left:?}"
    );
    let today = left.iter().find(|f| !f.starts_with("hearken.2026-01-0"));
    let today = today.unwrap_or_else(|| panic!("today's file is kept: {left:?}"));
    let text = std::fs::read_to_string(logs.join(today)).unwrap();
    assert!(text.contains("config (pid"), "today's log: {text}");
}

#[test]
fn an_unwritable_log_folder_is_a_warning_not_a_failed_call() {
    let dir = tmpdir();
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, "a file where the log folder should be").unwrap();
    let config = dir.path().join("hearken.toml");
    std::fs::write(
        &config,
        format!(
            "[log]\ndir = {:?}\n",
            blocker.join("logs").to_str().unwrap()
        ),
    )
    .unwrap();
    let out = hearken()
        .arg("--config")
        .arg(&config)
        .args(["replay", "tests/fixtures/calm.wav", "--no-transcribe"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("cannot write logs to") && err.contains("log.dir"),
        "the warning names the folder and the key: {err}"
    );
}

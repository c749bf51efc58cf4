//! Trainer reports and batch runs: the real binary writes an HTML report and its JSON, the
//! page is opened in headless Chromium (it must render with no console errors, its script
//! must run, the timeline and transcript must be there), and `hearken batch` goes over a
//! folder with a broken file, is interrupted, and finishes on a rerun.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn chromium() -> &'static str {
    for c in ["chromium", "chromium-browser"] {
        if Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return c;
        }
    }
    panic!(
        "chromium is missing: install the Debian package chromium (bash .ci/setup.sh --test does)"
    );
}

/// Open a page in headless Chromium: its DOM after scripts ran, and the browser's log.
fn open_in_chromium(page: &Path, screenshot: Option<&Path>) -> (String, String) {
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let profile = tmpdir();
    let mut c = Command::new(chromium());
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1280,1500",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()));
    match screenshot {
        Some(p) => c.arg(format!("--screenshot={}", p.display())),
        None => c.arg("--dump-dom"),
    };
    let out = c.arg(&url).output().expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_report_renders_offline_in_a_browser_with_timeline_and_transcript() {
    let dir = tmpdir();
    let (html, json) = (dir.path().join("call.html"), dir.path().join("call.json"));
    let call = fixture("escalating.wav");
    let out = hearken()
        .arg("replay")
        .arg(&call)
        .arg("--report")
        .arg(&html)
        .arg("--json")
        .arg(&json)
        .args(["--report-audio", "link"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    // The data: schema version, and what the engine said.
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["schema_version"], 1);
    let events = replay_events(&[call.to_str().unwrap()]);
    assert_eq!(
        report["interruptions"].as_array().unwrap().len(),
        of_type(&events, "interruption").len()
    );
    let lines = report["transcript"].as_array().unwrap();
    let said = of_type(&events, "utterance")
        .iter()
        .filter(|u| !u["text"].as_str().unwrap().is_empty())
        .count();
    assert_eq!(lines.len(), said);
    assert_eq!(
        report["prompts"].as_array().unwrap().len(),
        of_type(&events, "prompt").len()
    );
    let h = &report["headline"];
    assert_eq!(h["peak_level"], "high", "the escalating call peaks high");
    assert!(h["agent_talk_share"].as_f64().unwrap() > 0.0);

    // The page: self-contained (nothing fetched from anywhere), linked to its recording.
    let page = std::fs::read_to_string(&html).unwrap();
    for remote in ["http://", "https://", "<link", "@import", "src=\"//"] {
        assert!(!page.contains(remote), "the page refers out: {remote}");
    }
    assert!(page.contains("<audio id=\"audio\""));
    assert!(page.contains("escalating.wav"));

    // In a real browser: no console errors, the script ran, the parts are there.
    let (dom, log) = open_in_chromium(&html, None);
    assert!(
        !log.contains("Uncaught") && !log.contains(":CONSOLE("),
        "console output: {log}"
    );
    assert!(
        dom.contains("data-ready=\"yes\""),
        "the page's script did not run"
    );
    assert!(dom.contains("id=\"timeline\""));
    assert_eq!(
        dom.matches("<tr class=\"agent\"").count() + dom.matches("<tr class=\"customer\"").count(),
        lines.len()
    );
    assert_eq!(
        dom.matches("class=\"interruption\"").count(),
        report["interruptions"].as_array().unwrap().len()
    );
    let shot = root().join("target/report.png");
    std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&shot);
    let (_, log) = open_in_chromium(&html, Some(&shot));
    assert!(shot.is_file(), "no screenshot: {log}");
}

#[test]
fn the_same_call_gives_the_same_report() {
    let dir = tmpdir();
    let run = |name: &str| {
        let p = dir.path().join(name);
        let out = hearken()
            .arg("replay")
            .arg(fixture("calm.wav"))
            .arg("--json")
            .arg(&p)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        std::fs::read(p).unwrap()
    };
    assert_eq!(run("a.json"), run("b.json"));
}

fn read_csv(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut rd = csv::Reader::from_path(path).unwrap();
    let headers = rd.headers().unwrap().clone();
    rd.records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn batch_records_a_broken_file_and_a_rerun_finishes_what_was_left() {
    let dir = tmpdir();
    let calls = dir.path().join("calls");
    std::fs::create_dir(&calls).unwrap();
    let names = ["backchannels", "calm", "dead_air_monologue", "escalating"];
    for n in names {
        std::fs::copy(fixture(&format!("{n}.wav")), calls.join(format!("{n}.wav"))).unwrap();
    }
    // More calls after the first, so work is always left when the first run is stopped.
    let copies = 4;
    for i in 2..2 + copies {
        std::fs::copy(
            fixture("escalating.wav"),
            calls.join(format!("escalating-{i}.wav")),
        )
        .unwrap();
    }
    let total = names.len() + copies + 1;
    std::fs::write(calls.join("broken.wav"), b"RIFF\x10\x00\x00\x00WAVEjunk").unwrap();
    let csv_path = dir.path().join("summary.csv");
    let reports = dir.path().join("reports");
    let batch = || {
        let mut c = hearken();
        c.arg("batch")
            .arg(&calls)
            .arg("--out")
            .arg(&csv_path)
            .arg("--reports")
            .arg(&reports)
            .args(["--jobs", "1", "--no-transcribe"]);
        c
    };

    // Stopped once the first call is in the summary.
    let mut first = batch()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(60);
    while !csv_path.exists() {
        assert!(Instant::now() < until, "no summary after 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    // What a kill in the middle of writing the summary leaves (the kill above only sometimes
    // lands there): the rerun must clear it away.
    std::fs::write(
        dir.path()
            .join(format!(".summary.csv.{}.partial", first.id())),
        "file,sta",
    )
    .unwrap();
    let partial = read_csv(&csv_path);
    assert!(
        !partial.is_empty() && partial.len() < total,
        "{} rows",
        partial.len()
    );

    // The rerun does the rest and says how many were done before.
    let out = batch().output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed call makes the exit status 1"
    );
    let err = stderr(&out);
    let before: usize = err
        .split(" done before")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no 'done before' count in: {err}"));
    assert!(before >= 1, "{err}");
    let rows = read_csv(&csv_path);
    assert_eq!(rows.len(), total);
    for r in &rows {
        let file = &r["file"];
        if file == "broken.wav" {
            assert_eq!(r["status"], "error");
            assert!(r["error"].contains("broken.wav"), "{}", r["error"]);
            continue;
        }
        assert_eq!(r["status"], "ok", "{file}: {}", r["error"]);
        let stem = file.trim_end_matches(".wav");
        // Counts match the call's truth (a copy's is its original's).
        let t = truth(stem.split('-').next().unwrap());
        let want = t["interruptions"]
            .as_array()
            .map(|a| a.iter().filter(|i| i["by"] == "agent").count())
            .unwrap_or(0);
        assert_eq!(r["interruptions_by_agent"], want.to_string(), "{file}");
        assert!(reports.join(format!("{stem}.html")).is_file());
        assert!(reports.join(format!("{stem}.json")).is_file());
    }
    // No temporary files left behind.
    for entry in std::fs::read_dir(dir.path())
        .unwrap()
        .chain(std::fs::read_dir(&reports).unwrap())
    {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".partial"), "left behind: {name}");
    }
}

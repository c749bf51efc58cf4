//! Trainer reports and batch runs: the real binary writes an HTML report and its JSON, the
//! page is opened in headless Chromium (it must render with no console errors, its script
//! must run, the timeline and transcript must be there), and `hearken batch` goes over a
//! folder with a broken file, is interrupted, and finishes on a rerun.

mod common;

use common::browser::open_in_chromium;
use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

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
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("report.png");
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
    // The summary is created at the start; wait for its first row (after the header).
    let rows_written =
        || std::fs::read(&csv_path).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
    while rows_written() < 2 {
        assert!(Instant::now() < until, "no summary row after 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let partial = read_csv(&csv_path);
    assert!(
        !partial.is_empty() && partial.len() < total,
        "{} rows",
        partial.len()
    );
    // What a kill in the middle of appending a row leaves (the kill above only sometimes
    // lands there): a last line cut short, which the rerun must cut away.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&csv_path)
        .unwrap();
    std::io::Write::write_all(&mut f, b"escalating-5.wav,o").unwrap();
    drop(f);

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

/// Three tasks each take their share of one folder (`--shard I/N`, and the index from a
/// Slurm array's or a Kubernetes indexed Job's environment), `--merge` joins their summaries,
/// and the result is what one plain run over the folder gives: each call once.
#[test]
fn shards_merged_equal_one_plain_batch() {
    let dir = tmpdir();
    let calls = dir.path().join("calls");
    std::fs::create_dir(&calls).unwrap();
    for n in [
        "backchannels",
        "calm",
        "dead_air_monologue",
        "escalating",
        "real_voices",
    ] {
        std::fs::copy(fixture(&format!("{n}.wav")), calls.join(format!("{n}.wav"))).unwrap();
    }
    std::fs::write(calls.join("broken.wav"), b"RIFF\x10\x00\x00\x00WAVEjunk").unwrap();
    let batch = |out: &Path, shard: Option<&str>, env: &[(&str, &str)]| {
        let mut c = hearken();
        c.arg("batch")
            .arg(&calls)
            .arg("--out")
            .arg(out)
            .args(["--jobs", "1", "--no-transcribe"]);
        if let Some(s) = shard {
            c.args(["--shard", s]);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    let plain = dir.path().join("plain.csv");
    batch(&plain, None, &[]);
    let parts = [
        dir.path().join("part0.csv"),
        dir.path().join("part1.csv"),
        dir.path().join("part2.csv"),
    ];
    batch(&parts[0], Some("0/3"), &[]);
    batch(
        &parts[1],
        Some("auto"),
        &[
            ("SLURM_ARRAY_TASK_ID", "8"),
            ("SLURM_ARRAY_TASK_MIN", "7"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ],
    );
    batch(&parts[2], Some("3"), &[("JOB_COMPLETION_INDEX", "2")]);
    let sizes: Vec<usize> = parts.iter().map(|p| read_csv(p).len()).collect();
    assert_eq!(sizes, [2, 2, 2], "6 calls in 3 shards");
    let merged = dir.path().join("merged.csv");
    let out = hearken()
        .args(["batch", "--merge"])
        .arg(&merged)
        .args(&parts)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // Everything but the wall time each call took.
    let strip = |rows: Vec<std::collections::HashMap<String, String>>| {
        let mut rows: Vec<Vec<(String, String)>> = rows
            .into_iter()
            .map(|r| {
                let mut r: Vec<(String, String)> =
                    r.into_iter().filter(|(k, _)| k != "processing_s").collect();
                r.sort();
                r
            })
            .collect();
        rows.sort();
        rows
    };
    let merged_rows = strip(read_csv(&merged));
    assert_eq!(merged_rows.len(), 6);
    assert_eq!(merged_rows, strip(read_csv(&plain)));
    // A task index the count does not hold, and a shard with no index, are clear errors.
    let out = batch(&dir.path().join("x.csv"), Some("3/3"), &[]);
    assert_clean_failure(&out, &["--shard 3/3", "under the count"]);
    let out = batch(&dir.path().join("x.csv"), Some("3"), &[]);
    assert_clean_failure(&out, &["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"]);
}

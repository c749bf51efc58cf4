//! Many recorded calls in one run: one CSV row per call, optional reports, parallel across
//! calls, resumable.
//!
//! The unit of work is one call (`hearken replay CALL --json ... --report ...`), so a
//! contact centre's month of calls runs under whatever scheduler it already has, one call per
//! task (see the README); this command is for a folder on one machine.

use crate::audio::{CallInput, Channel};
use crate::coach::Playbook;
use crate::config::Config;
use crate::output::file::write_whole;
use crate::replay::{self, Replay, Speed};
use crate::report::{CallReport, ReportBuilder, html};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub struct Batch {
    pub folder: PathBuf,
    pub out: PathBuf,
    pub reports: Option<PathBuf>,
    pub jobs: usize,
    pub agent_channel: Channel,
    pub config: Config,
    pub playbook: Playbook,
    pub transcribe: bool,
    /// Show a progress bar (on a terminal).
    pub progress: bool,
}

/// One call's line in the summary CSV.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub file: String,
    /// `ok` or `error`.
    pub status: String,
    pub error: String,
    pub duration_s: f64,
    pub agent_talk_share: Option<f32>,
    pub interruptions_by_agent: u32,
    pub interruptions_by_customer: u32,
    pub longest_agent_monologue_s: f64,
    pub dead_air_s: f64,
    pub peak_tension: Option<f32>,
    pub peak_level: String,
    pub calm_again_after_s: Option<f64>,
    pub empathy_acknowledgements: u32,
    pub prompts: u32,
    pub utterances: u32,
    /// Wall time this call took here.
    pub processing_s: f64,
}

#[derive(Debug, Default)]
pub struct BatchOutcome {
    pub done_before: usize,
    pub ok: usize,
    pub failed: usize,
    pub audio_s: f64,
    pub wall_s: f64,
}

impl Row {
    fn from_report(file: &str, r: &CallReport, processing_s: f64) -> Row {
        let h = &r.headline;
        Row {
            file: file.to_string(),
            status: "ok".into(),
            error: String::new(),
            duration_s: r.duration_ms as f64 / 1000.0,
            agent_talk_share: h.agent_talk_share.map(|s| (s * 1000.0).round() / 1000.0),
            interruptions_by_agent: h.interruptions_by_agent,
            interruptions_by_customer: h.interruptions_by_customer,
            longest_agent_monologue_s: h.longest_agent_monologue_ms as f64 / 1000.0,
            dead_air_s: h.dead_air_ms as f64 / 1000.0,
            peak_tension: h.peak_tension,
            peak_level: h
                .peak_level
                .map(|l| format!("{l:?}").to_lowercase())
                .unwrap_or_else(|| "calm".into()),
            calm_again_after_s: h.calm_again_after_ms.map(|ms| ms as f64 / 1000.0),
            empathy_acknowledgements: h.empathy_acknowledgements,
            prompts: h.prompts,
            utterances: r.summary.agent_utterances + r.summary.customer_utterances,
            processing_s: (processing_s * 10.0).round() / 10.0,
        }
    }

    fn failed(file: &str, error: String) -> Row {
        Row {
            file: file.to_string(),
            status: "error".into(),
            error,
            ..Row::default()
        }
    }
}

/// The calls in a folder: its `.wav` files (not hidden ones), sorted.
pub fn calls(folder: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(folder)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e.eq_ignore_ascii_case("wav"))
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Rows of an earlier run of the same CSV (a missing file is an empty run).
fn earlier(out: &Path) -> Result<BTreeMap<String, Row>, String> {
    if !out.exists() {
        return Ok(BTreeMap::new());
    }
    let mut rd = csv::Reader::from_path(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut rows = BTreeMap::new();
    for r in rd.deserialize::<Row>() {
        let r = r.map_err(|e| {
            format!(
                "{} is not a Hearken batch summary ({e}); move it away or choose another --out",
                out.display()
            )
        })?;
        rows.insert(r.file.clone(), r);
    }
    Ok(rows)
}

fn write_csv(out: &Path, rows: &BTreeMap<String, Row>) -> Result<(), String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows.values() {
        w.serialize(r).map_err(|e| e.to_string())?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    write_whole(out, &bytes).map_err(|e| format!("{}: {e}", out.display()))
}

/// Report file names for a call: NAME.html and NAME.json in the reports folder.
pub fn report_paths(dir: &Path, call: &Path) -> (PathBuf, PathBuf) {
    let stem = call
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "call".into());
    (
        dir.join(format!("{stem}.html")),
        dir.join(format!("{stem}.json")),
    )
}

/// Replay one call into a report; write its files if asked.
fn one_call(b: &Batch, call: &Path) -> Result<CallReport, String> {
    let replay = Replay {
        input: CallInput::Stereo {
            path: call.to_owned(),
            agent: b.agent_channel,
        },
        speed: Speed::Max,
        config: b.config.clone(),
        playbook: b.playbook.clone(),
        transcribe: b.transcribe,
        live_asr: false,
    };
    let mut builder = ReportBuilder::new();
    replay::run(&replay, |e| {
        builder.observe(e);
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    let report = builder.finish();
    if let Some(dir) = &b.reports {
        let (html_path, json_path) = report_paths(dir, call);
        let page = html::render(&report, &html::Audio::None);
        write_whole(&html_path, page.as_bytes())
            .map_err(|e| format!("{}: {e}", html_path.display()))?;
        let json = serde_json::to_vec_pretty(&report).map_err(|e| e.to_string())?;
        write_whole(&json_path, &json).map_err(|e| format!("{}: {e}", json_path.display()))?;
    }
    Ok(report)
}

pub fn run(b: &Batch) -> Result<BatchOutcome, String> {
    let all = calls(&b.folder)
        .map_err(|e| format!("cannot read the folder {}: {e}", b.folder.display()))?;
    if all.is_empty() {
        return Err(format!("no .wav calls in {}", b.folder.display()));
    }
    if let Some(dir) = &b.reports {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot make the reports folder {}: {e}", dir.display()))?;
    }
    let mut rows = earlier(&b.out)?;
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    // Done: an ok row, and (when reports are asked for) its report on disk. Failed calls are
    // tried again.
    let todo: Vec<PathBuf> = all
        .iter()
        .filter(|p| {
            let done = rows.get(&name(p)).is_some_and(|r| r.status == "ok");
            let reported = b.reports.as_ref().is_none_or(|d| {
                let (html, json) = report_paths(d, p);
                html.exists() && json.exists()
            });
            !(done && reported)
        })
        .cloned()
        .collect();
    let mut outcome = BatchOutcome {
        done_before: all.len() - todo.len(),
        ..BatchOutcome::default()
    };
    let started = Instant::now();
    let bar = if b.progress {
        indicatif::ProgressBar::new(todo.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} calls  {elapsed} spent, about {eta} left  {msg}",
        )
        .expect("a valid template"),
    );
    let (job_tx, job_rx) = crossbeam_channel::unbounded::<PathBuf>();
    for p in &todo {
        job_tx.send(p.clone()).expect("open channel");
    }
    drop(job_tx);
    let (res_tx, res_rx) =
        crossbeam_channel::unbounded::<(PathBuf, Result<CallReport, String>, f64)>();
    std::thread::scope(|scope| -> Result<(), String> {
        for _ in 0..b.jobs.max(1).min(todo.len().max(1)) {
            let (jobs, results) = (job_rx.clone(), res_tx.clone());
            scope.spawn(move || {
                for call in jobs {
                    let t = Instant::now();
                    let r = one_call(b, &call);
                    if results.send((call, r, t.elapsed().as_secs_f64())).is_err() {
                        break;
                    }
                }
            });
        }
        drop(res_tx);
        for (call, result, secs) in res_rx {
            let file = name(&call);
            let row = match result {
                Ok(report) => {
                    outcome.ok += 1;
                    outcome.audio_s += report.duration_ms as f64 / 1000.0;
                    Row::from_report(&file, &report, secs)
                }
                Err(e) => {
                    outcome.failed += 1;
                    bar.println(format!("{file}: {e}"));
                    Row::failed(&file, e)
                }
            };
            rows.insert(file.clone(), row);
            // The summary is rewritten whole after every call: stopped at any moment, it
            // holds every finished call and nothing half-written.
            write_csv(&b.out, &rows)?;
            bar.set_message(file);
            bar.inc(1);
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    outcome.wall_s = started.elapsed().as_secs_f64();
    Ok(outcome)
}

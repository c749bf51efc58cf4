//! Many recorded calls in one run: one CSV row per call, optional reports, parallel across
//! calls, resumable.
//!
//! An archive of any size runs under whatever scheduler the site has: each task takes a
//! fixed share of the folder (`--shard I/N`, or the index a Slurm array or a Kubernetes
//! indexed Job gives it), writes its own summary, and `--merge` joins the summaries. The
//! summary is appended to, a row per finished call, synced: the cost per call does not grow
//! with the archive, and a task killed at any moment leaves every finished row.

use crate::asr::{WhisperModel, model};
use crate::audio::CallInput;
use crate::config::Config;
use crate::contract::Channel;
use crate::output::file::write_whole;
use crate::playbook::Playbook;
use crate::replay::{self, Replay, Speed};
use crate::report::{CallReport, ReportBuilder, html};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
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
    /// This task's share of the folder.
    pub shard: Shard,
}

/// A fixed share of a folder's calls: of the sorted listing, every call whose place `k` has
/// `k % count == index`. Every task lists the same folder the same way, so the shares are
/// disjoint and together hold every call, and each stays the same between reruns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// `I/N`; `N` alone, the index taken from the scheduler (Slurm's
    /// `SLURM_ARRAY_TASK_ID`, counted from `SLURM_ARRAY_TASK_MIN`, or Kubernetes'
    /// `JOB_COMPLETION_INDEX`); or `auto`, index and count both from a Slurm array.
    pub fn parse(spec: &str, env: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
        let number = |what: &str, v: &str| {
            v.trim()
                .parse::<usize>()
                .map_err(|_| format!("--shard {spec}: {what} {v:?} is not a whole number"))
        };
        let scheduler_index = || -> Result<usize, String> {
            if let Some(id) = env("SLURM_ARRAY_TASK_ID") {
                let min = env("SLURM_ARRAY_TASK_MIN").unwrap_or_else(|| "0".into());
                let (id, min) = (
                    number("SLURM_ARRAY_TASK_ID", &id)?,
                    number("SLURM_ARRAY_TASK_MIN", &min)?,
                );
                return id.checked_sub(min).ok_or_else(|| {
                    format!("--shard {spec}: SLURM_ARRAY_TASK_ID {id} is under SLURM_ARRAY_TASK_MIN {min}")
                });
            }
            if let Some(i) = env("JOB_COMPLETION_INDEX") {
                return number("JOB_COMPLETION_INDEX", &i);
            }
            Err(format!(
                "--shard {spec}: no task index: give it as I/N, or run in a Slurm array (SLURM_ARRAY_TASK_ID) or a Kubernetes indexed Job (JOB_COMPLETION_INDEX)"
            ))
        };
        let (index, count) = if spec == "auto" {
            let count = env("SLURM_ARRAY_TASK_COUNT").ok_or_else(|| {
                "--shard auto: SLURM_ARRAY_TASK_COUNT is not set (not a Slurm array task); give --shard I/N or N".to_string()
            })?;
            (
                scheduler_index()?,
                number("SLURM_ARRAY_TASK_COUNT", &count)?,
            )
        } else if let Some((i, n)) = spec.split_once('/') {
            (number("index", i)?, number("count", n)?)
        } else {
            (scheduler_index()?, number("count", spec)?)
        };
        if count == 0 || index >= count {
            return Err(format!(
                "--shard {spec}: task {index} of {count}: the index must be under the count (counted from 0)"
            ));
        }
        Ok(Shard { index, count })
    }

    fn take<T>(&self, sorted: Vec<T>) -> Vec<T> {
        sorted
            .into_iter()
            .enumerate()
            .filter(|(k, _)| k % self.count == self.index)
            .map(|(_, c)| c)
            .collect()
    }
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

/// Rows of a summary CSV, in file order (a missing file has none). A last line cut short
/// (a run killed while writing it) is left out, and cut from the file when `repair`.
fn read_rows(out: &Path, repair: bool) -> Result<Vec<Row>, String> {
    let bytes = match std::fs::read(out) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", out.display())),
    };
    let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if repair && whole < bytes.len() {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(out)
            .map_err(|e| format!("cannot repair {}: {e}", out.display()))?;
        f.set_len(whole as u64)
            .map_err(|e| format!("cannot repair {}: {e}", out.display()))?;
    }
    let mut rd = csv::Reader::from_reader(&bytes[..whole]);
    let mut rows = Vec::new();
    for r in rd.deserialize::<Row>() {
        rows.push(r.map_err(|e| {
            format!(
                "{} is not a Hearken batch summary ({e}); move it away or choose another --out",
                out.display()
            )
        })?);
    }
    Ok(rows)
}

/// The summary being written: rows appended as calls finish, each synced to disk, so the
/// cost of a row does not grow with the summary and a kill loses no finished call.
struct Summary {
    file: std::fs::File,
    path: PathBuf,
    header: bool,
}

impl Summary {
    fn open(path: &Path) -> Result<Summary, String> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        let empty = file.metadata().map(|m| m.len() == 0).unwrap_or(true);
        Ok(Summary {
            file,
            path: path.to_owned(),
            header: !empty,
        })
    }

    fn append(&mut self, row: &Row) -> Result<(), String> {
        let mut w = csv::WriterBuilder::new()
            .has_headers(!self.header)
            .from_writer(Vec::new());
        w.serialize(row).map_err(|e| e.to_string())?;
        let bytes = w.into_inner().map_err(|e| e.to_string())?;
        let fail = |e: std::io::Error| format!("cannot write {}: {e}", self.path.display());
        self.file.write_all(&bytes).map_err(fail)?;
        self.file.sync_data().map_err(fail)?;
        self.header = true;
        Ok(())
    }
}

/// One row per call from several summaries (the shards of one archive): a call's `ok` row
/// wins over its `error` rows, a later row over an earlier one of the same status; calls in
/// file-name order.
pub fn merge(out: &Path, parts: &[PathBuf]) -> Result<usize, String> {
    if parts.is_empty() {
        return Err("--merge OUT.csv needs the summaries to merge after it".into());
    }
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    for part in parts {
        if !part.is_file() {
            return Err(format!("{}: no such summary to merge", part.display()));
        }
        for r in read_rows(part, false)? {
            let keep_old = rows
                .get(&r.file)
                .is_some_and(|old| old.status == "ok" && r.status != "ok");
            if !keep_old {
                rows.insert(r.file.clone(), r);
            }
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows.values() {
        w.serialize(r).map_err(|e| e.to_string())?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    write_whole(out, &bytes).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(rows.len())
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
fn one_call(b: &Batch, model: Option<&WhisperModel>, call: &Path) -> Result<CallReport, String> {
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
        split_calls: false,
        model: model.cloned(),
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

/// A call's name in the summary: its file name.
fn name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The calls of `all` still to do: those without an ok row in the summary, or (when reports
/// are asked for) without their report on disk; failed calls are tried again. The summary
/// is left with one row per call: rows of calls to be done again, and rows a later one
/// replaced, go in one whole rewrite at the start of a run (not per call).
fn work_left(b: &Batch, all: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let earlier = read_rows(&b.out, true)?;
    let earlier_count = earlier.len();
    let rows: BTreeMap<String, Row> = earlier.into_iter().map(|r| (r.file.clone(), r)).collect();
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
    let redo: std::collections::HashSet<String> = todo.iter().map(|p| name(p)).collect();
    let kept: Vec<&Row> = rows.values().filter(|r| !redo.contains(&r.file)).collect();
    if !todo.is_empty() && kept.len() != earlier_count {
        let mut w = csv::Writer::from_writer(Vec::new());
        for r in &kept {
            w.serialize(r).map_err(|e| e.to_string())?;
        }
        let bytes = w.into_inner().map_err(|e| e.to_string())?;
        // Without rows, not even a header: the first appended row writes it.
        let bytes = if kept.is_empty() { Vec::new() } else { bytes };
        write_whole(&b.out, &bytes).map_err(|e| format!("{}: {e}", b.out.display()))?;
    }
    Ok(todo)
}

pub fn run(b: &Batch) -> Result<BatchOutcome, String> {
    let listed = calls(&b.folder)
        .map_err(|e| format!("cannot read the folder {}: {e}", b.folder.display()))?;
    if listed.is_empty() {
        return Err(format!("no .wav calls in {}", b.folder.display()));
    }
    let all = b.shard.take(listed);
    if let Some(dir) = &b.reports {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot make the reports folder {}: {e}", dir.display()))?;
    }
    let todo = work_left(b, &all)?;
    let mut outcome = BatchOutcome {
        done_before: all.len() - todo.len(),
        ..BatchOutcome::default()
    };
    if todo.is_empty() {
        return Ok(outcome);
    }
    let mut summary = Summary::open(&b.out)?;
    // The model is loaded and its checksum verified once, for every call of the run.
    let model = if b.transcribe {
        let path = model::verified_model(&b.config.model).map_err(|e| e.to_string())?;
        Some(WhisperModel::load(&path).map_err(|e| e.to_string())?)
    } else {
        None
    };
    let model = model.as_ref();
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
                    let r = one_call(b, model, &call);
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
            summary.append(&row)?;
            bar.set_message(file);
            bar.inc(1);
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    outcome.wall_s = started.elapsed().as_secs_f64();
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn shards_split_the_listing_into_disjoint_shares_that_cover_it() {
        let calls: Vec<usize> = (0..10).collect();
        let mut seen: Vec<usize> = (0..3)
            .flat_map(|index| Shard { index, count: 3 }.take(calls.clone()))
            .collect();
        seen.sort();
        assert_eq!(seen, calls);
        assert_eq!(Shard::ALL.take(calls.clone()), calls);
    }

    #[test]
    fn a_shard_comes_from_the_flag_or_the_scheduler() {
        let none = env(&[]);
        assert_eq!(Shard::parse("2/5", &none), Ok(Shard { index: 2, count: 5 }));
        let slurm = [
            ("SLURM_ARRAY_TASK_ID", "12"),
            ("SLURM_ARRAY_TASK_MIN", "10"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(
            Shard::parse("auto", env(&slurm)),
            Ok(Shard { index: 2, count: 4 })
        );
        assert_eq!(
            Shard::parse("8", env(&slurm)),
            Ok(Shard { index: 2, count: 8 })
        );
        let k8s = [("JOB_COMPLETION_INDEX", "7")];
        assert_eq!(
            Shard::parse("10", env(&k8s)),
            Ok(Shard {
                index: 7,
                count: 10
            })
        );
        for bad in ["5/5", "1/0", "x/2", "auto", "4"] {
            assert!(Shard::parse(bad, &none).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_summary_cut_short_is_repaired_and_merges_keep_each_call_once() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        let mut s = Summary::open(&a).unwrap();
        s.append(&Row::failed("x.wav", "unreadable".into()))
            .unwrap();
        s.append(&Row {
            file: "y.wav".into(),
            status: "ok".into(),
            ..Row::default()
        })
        .unwrap();
        drop(s);
        let mut f = std::fs::OpenOptions::new().append(true).open(&a).unwrap();
        f.write_all(b"z.wav,o").unwrap();
        let rows = read_rows(&a, true).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(std::fs::read_to_string(&a).unwrap().ends_with('\n'));
        // Another shard did x.wav again, and it worked this time.
        let b = dir.path().join("b.csv");
        let mut s = Summary::open(&b).unwrap();
        s.append(&Row {
            file: "x.wav".into(),
            status: "ok".into(),
            ..Row::default()
        })
        .unwrap();
        let merged = dir.path().join("m.csv");
        assert_eq!(merge(&merged, &[b.clone(), a.clone()]).unwrap(), 2);
        let rows = read_rows(&merged, false).unwrap();
        assert!(rows.iter().all(|r| r.status == "ok"), "{rows:?}");
        assert!(merge(&merged, &[dir.path().join("missing.csv")]).is_err());
    }
}

//! Scoring the engine against calls whose truth is known (`hearken eval FOLDER`).
//!
//! For every `NAME.wav` with a `NAME.truth.json` beside it (the format `tests/fixtures/
//! generate.py` writes), replays the call and compares: interruptions (by speaker, onset within
//! a match window), decision latency (`t_ms - onset_ms`), dead air and agent monologues.

use crate::audio::CallInput;
use crate::config::Config;
use crate::contract::{Channel, Event, EventBody, Speaker};
use crate::playbook::Playbook;
use crate::replay::{self, Replay, ReplayError, Speed};
use crate::stats::median_p95;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A found interruption matches a true one by the same speaker within this of its onset.
pub const MATCH_WINDOW_MS: i64 = 500;

#[derive(Debug, Deserialize)]
pub struct Truth {
    pub name: String,
    pub duration_ms: u64,
    pub interruptions: Vec<TrueInterruption>,
    #[serde(default)]
    pub long_silences: Vec<TrueSpan>,
    #[serde(default)]
    pub monologues: Vec<TrueSpan>,
    /// Overlaps that are not interruptions, where the development sets list them.
    #[serde(default)]
    pub backchannels: Vec<TrueBackchannel>,
    #[serde(default)]
    pub terminal_overlaps: Vec<TrueOverlap>,
}

#[derive(Debug, Deserialize)]
pub struct TrueInterruption {
    pub by: Speaker,
    pub onset_ms: u64,
    pub cut_off: bool,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct TrueSpan {
    pub start_ms: u64,
    pub end_ms: u64,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct TrueBackchannel {
    pub by: Speaker,
    pub start_ms: u64,
    pub end_ms: u64,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct TrueOverlap {
    pub by: Speaker,
    pub onset_ms: u64,
}

/// Interruption counts for one speaker (as the interrupter).
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub truth: usize,
    /// Reported and not withdrawn.
    pub found: usize,
    pub matched: usize,
}

/// How one call scored.
#[derive(Debug, Default, Clone)]
pub struct CallScore {
    pub name: String,
    /// Per interrupter: agent, customer.
    pub by: [Counts; 2],
    /// Matched interruptions whose settled `cut_off` (the outcome, or the report's own when
    /// no outcome came) agrees with the truth.
    pub cut_off_right: usize,
    /// |found onset - true onset| of matched interruptions, ms.
    pub onset_errors: Vec<i64>,
    /// t_ms - onset_ms of every reported interruption, ms (withdrawn ones included: the
    /// prompt was shown then).
    pub latencies: Vec<i64>,
    /// Reported interruptions taken back later.
    pub withdrawn: usize,
    /// Of those, true interruptions (a withdrawal that was wrong).
    pub withdrawn_true: usize,
    /// Unmatched reports that fell on a listed backchannel / terminal overlap.
    pub on_backchannel: usize,
    pub on_terminal: usize,
    /// Listed backchannels and terminal overlaps.
    pub backchannels: usize,
    pub terminals: usize,
    /// Dead air: (true stretches >= threshold, of them found, reports matching none).
    pub dead_air: (usize, usize, usize),
    /// Agent monologues >= threshold: (true, of them found, reports matching none).
    pub monologues: (usize, usize, usize),
}

impl CallScore {
    pub fn truth(&self) -> usize {
        self.by[0].truth + self.by[1].truth
    }
    pub fn found(&self) -> usize {
        self.by[0].found + self.by[1].found
    }
    pub fn matched(&self) -> usize {
        self.by[0].matched + self.by[1].matched
    }
}

pub fn truth_files(folder: &Path) -> std::io::Result<Vec<(PathBuf, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let p = entry?.path();
        if p.extension().is_some_and(|e| e == "wav") {
            let t = p.with_extension("truth.json");
            if t.is_file() {
                out.push((p, t));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Replay one call and score it.
pub fn score_call(
    wav: &Path,
    truth: &Truth,
    config: &Config,
    playbook: &Playbook,
    transcribe: bool,
) -> Result<CallScore, ReplayError> {
    let replay = Replay {
        input: CallInput::Stereo {
            path: wav.to_owned(),
            agent: Channel::Left,
        },
        speed: Speed::Max,
        config: config.clone(),
        playbook: playbook.clone(),
        transcribe,
        live_asr: false,
        split_calls: false,
        model: None,
    };
    let mut events: Vec<Event> = Vec::new();
    replay::run(&replay, |e| {
        events.push(e.clone());
        Ok(())
    })?;
    Ok(score(truth, &events, config))
}

/// What a call's events report, for scoring.
#[derive(Default)]
struct Reported {
    /// Each interruption: (by, onset, reported at, cut_off), its outcome applied.
    interruptions: Vec<(Speaker, u64, u64, bool)>,
    withdrawn: Vec<(Speaker, u64)>,
    latencies: Vec<i64>,
    dead_air: Vec<u64>,
    monologues: Vec<u64>,
}

fn reported(events: &[Event]) -> Reported {
    let mut r = Reported::default();
    let (reports, withdrawn) = (&mut r.interruptions, &mut r.withdrawn);
    let (dead_air, monologues) = (&mut r.dead_air, &mut r.monologues);
    for e in events {
        match &e.body {
            EventBody::Interruption {
                by,
                onset_ms,
                cut_off,
                ..
            } => {
                r.latencies.push(e.t_ms as i64 - *onset_ms as i64);
                reports.push((*by, *onset_ms, e.t_ms, *cut_off));
            }
            EventBody::InterruptionOutcome {
                by,
                onset_ms,
                cut_off,
                ..
            } => {
                for r in reports
                    .iter_mut()
                    .filter(|r| r.0 == *by && r.1 == *onset_ms)
                {
                    r.3 = *cut_off;
                }
            }
            EventBody::InterruptionWithdrawn { by, onset_ms, .. } => {
                withdrawn.push((*by, *onset_ms));
            }
            EventBody::DeadAir { start_ms, .. } => dead_air.push(*start_ms),
            EventBody::Monologue {
                speaker: Speaker::Agent,
                start_ms,
                ..
            } => monologues.push(*start_ms),
            _ => {}
        }
    }
    r
}

pub fn score(truth: &Truth, events: &[Event], config: &Config) -> CallScore {
    let mut s = CallScore {
        name: truth.name.clone(),
        backchannels: truth.backchannels.len(),
        terminals: truth.terminal_overlaps.len(),
        ..Default::default()
    };
    for t in &truth.interruptions {
        s.by[t.by.index()].truth += 1;
    }
    let r = reported(events);
    s.latencies = r.latencies.clone();
    match_interruptions(truth, &r, &mut s);
    // Dead air and monologues by time: a report matches a true stretch it falls inside (the
    // report comes the threshold into it), each true stretch matched once.
    let spans = |list: &[TrueSpan], min: u64| -> Vec<TrueSpan> {
        list.iter()
            .copied()
            .filter(|t| t.end_ms - t.start_ms >= min)
            .collect()
    };
    s.dead_air = match_by_time(
        &spans(&truth.long_silences, config.detect.dead_air_ms as u64),
        &r.dead_air,
    );
    s.monologues = match_by_time(
        &spans(&truth.monologues, config.detect.monologue_ms as u64),
        &r.monologues,
    );
    s
}

/// Match the reported interruptions that stand to the truth's, nearest onset first; count
/// the withdrawn ones and the false alarms on backchannels and terminal overlaps.
fn match_interruptions(truth: &Truth, r: &Reported, s: &mut CallScore) {
    let (reports, withdrawn) = (&r.interruptions, &r.withdrawn);
    let nearest = |by: Speaker, onset: u64, used: &[bool]| {
        truth
            .interruptions
            .iter()
            .enumerate()
            .filter(|(k, t)| !used[*k] && t.by == by)
            .map(|(k, t)| (k, (t.onset_ms as i64 - onset as i64).abs()))
            .filter(|&(_, d)| d <= MATCH_WINDOW_MS)
            .min_by_key(|&(_, d)| d)
    };
    let mut used = vec![false; truth.interruptions.len()];
    for &(by, onset, _, cut_off) in reports {
        if withdrawn.contains(&(by, onset)) {
            s.withdrawn += 1;
            if nearest(by, onset, &vec![false; truth.interruptions.len()]).is_some() {
                s.withdrawn_true += 1;
            }
            continue;
        }
        s.by[by.index()].found += 1;
        if let Some((k, d)) = nearest(by, onset, &used) {
            used[k] = true;
            s.by[by.index()].matched += 1;
            s.onset_errors.push(d);
            if truth.interruptions[k].cut_off == cut_off {
                s.cut_off_right += 1;
            }
            continue;
        }
        let near = |t: u64| (t as i64 - onset as i64).abs() <= MATCH_WINDOW_MS;
        if truth
            .backchannels
            .iter()
            .any(|b| b.by == by && (near(b.start_ms) || (b.start_ms..b.end_ms).contains(&onset)))
        {
            s.on_backchannel += 1;
        } else if truth
            .terminal_overlaps
            .iter()
            .any(|t| t.by == by && near(t.onset_ms))
        {
            s.on_terminal += 1;
        }
    }
}

/// (true stretches, of them matched by a reported start within them, reports matching
/// none). Starts are matched within 500 ms of the stretch's ends (the gate's own timing).
fn match_by_time(truth: &[TrueSpan], starts: &[u64]) -> (usize, usize, usize) {
    let mut used = vec![false; truth.len()];
    let mut stray = 0;
    for &at in starts {
        let hit = truth.iter().enumerate().position(|(k, t)| {
            !used[k] && at + MATCH_WINDOW_MS as u64 >= t.start_ms && at <= t.end_ms
        });
        match hit {
            Some(k) => used[k] = true,
            None => stray += 1,
        }
    }
    (truth.len(), used.iter().filter(|&&u| u).count(), stray)
}

fn prf(matched: usize, found: usize, truth: usize) -> (f64, f64, f64) {
    let precision = if found > 0 {
        matched as f64 / found as f64
    } else {
        1.0
    };
    let recall = if truth > 0 {
        matched as f64 / truth as f64
    } else {
        1.0
    };
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    (precision, recall, f1)
}

/// The table `hearken eval` prints.
pub fn table(scores: &[CallScore]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<22} {:>5} {:>5} {:>5} {:>7} {:>10} {:>12} {:>9} {:>9}\n",
        "call",
        "true",
        "found",
        "match",
        "cut_off",
        "onset err",
        "latency",
        "dead air",
        "monologue"
    ));
    let found_of = |t: (usize, usize, usize)| {
        if t.2 > 0 {
            format!("{}/{} +{}", t.1, t.0, t.2)
        } else {
            format!("{}/{}", t.1, t.0)
        }
    };
    for s in scores {
        let onset = s
            .onset_errors
            .iter()
            .max()
            .map_or("-".into(), |m| format!("<= {m} ms"));
        let lat = median_p95(&s.latencies).map_or("-".into(), |(m, _)| format!("{m} ms"));
        out.push_str(&format!(
            "{:<22} {:>5} {:>5} {:>5} {:>7} {:>10} {:>12} {:>9} {:>9}\n",
            s.name,
            s.truth(),
            s.found(),
            s.matched(),
            format!("{}/{}", s.cut_off_right, s.matched()),
            onset,
            lat,
            found_of(s.dead_air),
            found_of(s.monologues),
        ));
    }
    out.push_str(&totals(scores));
    out
}

/// The totals under the table: interruptions overall and by side, false alarms, withdrawn
/// reports, cut-off agreement, onset error and latency.
fn totals(scores: &[CallScore]) -> String {
    let mut out = String::new();
    let sum = |f: &dyn Fn(&CallScore) -> usize| scores.iter().map(f).sum::<usize>();
    let (truth, found, matched) = (
        sum(&|s| s.truth()),
        sum(&|s| s.found()),
        sum(&|s| s.matched()),
    );
    let (precision, recall, f1) = prf(matched, found, truth);
    out.push_str(&format!(
        "\ninterruptions: precision {precision:.2}, recall {recall:.2}, F1 {f1:.2} ({matched} of {truth} true, {found} reported)\n"
    ));
    for who in Speaker::BOTH {
        let i = who.index();
        let (t, f, m) = (
            sum(&|s| s.by[i].truth),
            sum(&|s| s.by[i].found),
            sum(&|s| s.by[i].matched),
        );
        if t + f > 0 {
            let (p, r, f1) = prf(m, f, t);
            out.push_str(&format!(
                "  by the {who}: precision {p:.2}, recall {r:.2}, F1 {f1:.2} ({m} of {t} true, {f} reported)\n"
            ));
        }
    }
    let (bc, to) = (sum(&|s| s.backchannels), sum(&|s| s.terminals));
    if bc + to > 0 {
        let (on_bc, on_to) = (sum(&|s| s.on_backchannel), sum(&|s| s.on_terminal));
        out.push_str(&format!(
            "backchannels and terminal overlaps called interruptions: {} of {} ({:.1} %): {on_bc} of {bc} backchannels, {on_to} of {to} terminal overlaps\n",
            on_bc + on_to,
            bc + to,
            100.0 * (on_bc + on_to) as f64 / (bc + to) as f64
        ));
    }
    let withdrawn = sum(&|s| s.withdrawn);
    out.push_str(&format!(
        "withdrawn after the report: {withdrawn} ({} of them true interruptions)\n",
        sum(&|s| s.withdrawn_true)
    ));
    if matched > 0 {
        out.push_str(&format!(
            "cut_off agreeing with the truth: {} of {matched} ({:.2})\n",
            sum(&|s| s.cut_off_right),
            sum(&|s| s.cut_off_right) as f64 / matched as f64
        ));
    }
    let onset: Vec<i64> = scores
        .iter()
        .flat_map(|s| s.onset_errors.iter().copied())
        .collect();
    let lat: Vec<i64> = scores
        .iter()
        .flat_map(|s| s.latencies.iter().copied())
        .collect();
    if let Some((m, p)) = median_p95(&onset) {
        out.push_str(&format!(
            "onset error: median {m} ms, 95th percentile {p} ms, max {} ms\n",
            onset.iter().max().unwrap()
        ));
    }
    if let Some((m, p)) = median_p95(&lat) {
        out.push_str(&format!(
            "decision latency (t_ms - onset_ms): median {m} ms, 95th percentile {p} ms\n"
        ));
    }
    out
}

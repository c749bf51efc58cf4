//! Scoring the engine against calls whose truth is known (`hearken eval FOLDER`).
//!
//! For every `NAME.wav` with a `NAME.truth.json` beside it (the format `tests/fixtures/
//! generate.py` writes), replays the call and compares: interruptions (by speaker, onset within
//! a match window), decision latency (`t_ms - onset_ms`), dead air and agent monologues.

use crate::audio::{CallInput, Channel};
use crate::coach::Playbook;
use crate::config::Config;
use crate::engine::{Event, EventBody, Speaker};
use crate::replay::{self, Replay, ReplayError, Speed};
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

/// How one call scored.
#[derive(Debug, Default, Clone)]
pub struct CallScore {
    pub name: String,
    pub truth: usize,
    pub found: usize,
    pub matched: usize,
    pub cut_off_right: usize,
    /// |found onset - true onset| of matched interruptions, ms.
    pub onset_errors: Vec<i64>,
    /// t_ms - onset_ms of every reported interruption, ms.
    pub latencies: Vec<i64>,
    /// Dead air: (true stretches >= threshold, found).
    pub dead_air: (usize, usize),
    /// Longest agent monologue: truth vs found, ms.
    pub monologue: (Option<u64>, Option<u64>),
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
    };
    let mut events: Vec<Event> = Vec::new();
    replay::run(&replay, |e| {
        events.push(e.clone());
        Ok(())
    })?;
    Ok(score(truth, &events, config))
}

pub fn score(truth: &Truth, events: &[Event], config: &Config) -> CallScore {
    let mut s = CallScore {
        name: truth.name.clone(),
        truth: truth.interruptions.len(),
        ..Default::default()
    };
    let mut used = vec![false; truth.interruptions.len()];
    for e in events {
        match &e.body {
            EventBody::Interruption {
                by,
                onset_ms,
                cut_off,
                ..
            } => {
                s.found += 1;
                s.latencies.push(e.t_ms as i64 - *onset_ms as i64);
                let best = truth
                    .interruptions
                    .iter()
                    .enumerate()
                    .filter(|(k, t)| !used[*k] && t.by == *by)
                    .map(|(k, t)| (k, (t.onset_ms as i64 - *onset_ms as i64).abs()))
                    .filter(|&(_, d)| d <= MATCH_WINDOW_MS)
                    .min_by_key(|&(_, d)| d);
                if let Some((k, d)) = best {
                    used[k] = true;
                    s.matched += 1;
                    s.onset_errors.push(d);
                    if truth.interruptions[k].cut_off == *cut_off {
                        s.cut_off_right += 1;
                    }
                }
            }
            EventBody::DeadAir { .. } => s.dead_air.1 += 1,
            EventBody::CallEnd { summary, .. } => {
                s.monologue.1 = summary
                    .longest_agent_monologue
                    .map(|m| m.end_ms - m.start_ms)
                    .filter(|&d| d >= config.detect.monologue_ms as u64);
            }
            _ => {}
        }
    }
    s.dead_air.0 = truth
        .long_silences
        .iter()
        .filter(|t| t.end_ms - t.start_ms >= config.detect.dead_air_ms as u64)
        .count();
    s.monologue.0 = truth
        .monologues
        .iter()
        .map(|m| m.end_ms - m.start_ms)
        .filter(|&d| d >= config.detect.monologue_ms as u64)
        .max();
    s
}

/// Median and 95th percentile (nearest rank) of a list.
pub fn median_p95(v: &[i64]) -> Option<(i64, i64)> {
    if v.is_empty() {
        return None;
    }
    let mut v = v.to_vec();
    v.sort();
    let rank = |q: f64| v[(((v.len() as f64) * q).ceil() as usize).clamp(1, v.len()) - 1];
    Some((rank(0.5), rank(0.95)))
}

/// The table `hearken eval` prints.
pub fn table(scores: &[CallScore]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<22} {:>5} {:>5} {:>5} {:>7} {:>10} {:>12} {:>9} {:>14}\n",
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
    let fmt_ms =
        |v: Option<u64>| v.map_or("-".to_string(), |m| format!("{:.1} s", m as f64 / 1000.0));
    for s in scores {
        let onset = s
            .onset_errors
            .iter()
            .max()
            .map_or("-".into(), |m| format!("<= {m} ms"));
        let lat = median_p95(&s.latencies).map_or("-".into(), |(m, _)| format!("{m} ms"));
        out.push_str(&format!(
            "{:<22} {:>5} {:>5} {:>5} {:>7} {:>10} {:>12} {:>9} {:>14}\n",
            s.name,
            s.truth,
            s.found,
            s.matched,
            format!("{}/{}", s.cut_off_right, s.matched),
            onset,
            lat,
            format!("{}/{}", s.dead_air.1, s.dead_air.0),
            format!("{}/{}", fmt_ms(s.monologue.1), fmt_ms(s.monologue.0)),
        ));
    }
    let truth: usize = scores.iter().map(|s| s.truth).sum();
    let found: usize = scores.iter().map(|s| s.found).sum();
    let matched: usize = scores.iter().map(|s| s.matched).sum();
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
    let onset: Vec<i64> = scores
        .iter()
        .flat_map(|s| s.onset_errors.iter().copied())
        .collect();
    let lat: Vec<i64> = scores
        .iter()
        .flat_map(|s| s.latencies.iter().copied())
        .collect();
    out.push_str(&format!(
        "\ninterruptions: precision {precision:.2}, recall {recall:.2}, F1 {f1:.2} ({matched} of {truth} true, {found} reported)\n"
    ));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        assert_eq!(median_p95(&[5, 1, 3]), Some((3, 5)));
        assert_eq!(median_p95(&(1..=100).collect::<Vec<_>>()), Some((50, 95)));
        assert_eq!(median_p95(&[]), None);
    }
}

//! Conversation analysis against the fixture calls' truth: interruptions, backchannels,
//! terminal overlaps, dead air, monologues, and robustness to line conditions.

mod common;

use common::*;
use hearken::audio::{CallInput, CallReader};
use hearken::config::Config;
use hearken::contract::{Channel, SourceInfo};
use hearken::contract::{Event, EventBody, Speaker};
use hearken::engine::{AsrMode, Engine};
use hearken::eval::{self, Truth};
use hearken::playbook::Playbook;

const CALLS: [&str; 6] = [
    "calm",
    "escalating",
    "backchannels",
    "dead_air_monologue",
    "real_voices",
    "acknowledged",
];

fn load_truth(name: &str) -> Truth {
    serde_json::from_str(&std::fs::read_to_string(fixture(&format!("{name}.truth.json"))).unwrap())
        .unwrap()
}

fn load_call(name: &str) -> (SourceInfo, Vec<f32>, Vec<f32>) {
    let mut r = CallReader::open(&CallInput::Stereo {
        path: fixture(&format!("{name}.wav")),
        agent: Channel::Left,
    })
    .unwrap();
    let (mut a, mut c, mut ba, mut bc) = (vec![], vec![], vec![], vec![]);
    while r.next_block(4000, &mut ba, &mut bc).unwrap() {
        a.extend_from_slice(&ba);
        c.extend_from_slice(&bc);
    }
    (r.info().clone(), a, c)
}

/// Run the engine (no whisper) over in-memory audio fed in blocks of `block` samples.
fn analyse(info: &SourceInfo, agent: &[f32], customer: &[f32], block: usize) -> Vec<Event> {
    let mut engine = Engine::new(
        &Config::default(),
        &Playbook::default(),
        info.clone(),
        None,
        AsrMode::Wait,
    );
    let mut events = Vec::new();
    for (a, c) in agent.chunks(block).zip(customer.chunks(block)) {
        engine.push(Speaker::Agent, a, &mut events);
        engine.push(Speaker::Customer, c, &mut events);
    }
    engine.finish(&mut events);
    events
}

/// The interruptions that stand (reported and not withdrawn): (by, onset, cut_off as
/// settled by the outcome, reported at).
fn interruptions(events: &[Event]) -> Vec<(Speaker, u64, bool, u64)> {
    let mut found: Vec<(Speaker, u64, bool, u64)> = Vec::new();
    for e in events {
        match e.body {
            EventBody::Interruption {
                by,
                onset_ms,
                cut_off,
                ..
            } => found.push((by, onset_ms, cut_off, e.t_ms)),
            EventBody::InterruptionOutcome {
                by,
                onset_ms,
                cut_off,
                ..
            } => {
                for f in found.iter_mut().filter(|f| f.0 == by && f.1 == onset_ms) {
                    f.2 = cut_off;
                }
            }
            EventBody::InterruptionWithdrawn { by, onset_ms, .. } => {
                found.retain(|f| !(f.0 == by && f.1 == onset_ms))
            }
            _ => {}
        }
    }
    found
}

/// Exact count and speakers, onsets within 150 ms, cut-offs right, reported within 800 ms.
fn assert_matches_truth(name: &str, events: &[Event]) {
    assert_matches_truth_when(name, "as recorded", events)
}

fn assert_matches_truth_when(call: &str, condition: &str, events: &[Event]) {
    let name = &format!("{call} ({condition})");
    let truth = load_truth(call);
    let found = interruptions(events);
    assert_eq!(
        found.len(),
        truth.interruptions.len(),
        "{name}: found {found:?}, truth {:?}",
        truth.interruptions
    );
    for (t, f) in truth.interruptions.iter().zip(&found) {
        assert_eq!(
            f.0, t.by,
            "{name}: speaker of the interruption at {} ms",
            t.onset_ms
        );
        let err = (f.1 as i64 - t.onset_ms as i64).abs();
        assert!(
            err <= 150,
            "{name}: onset {} ms vs truth {} ms",
            f.1,
            t.onset_ms
        );
        assert_eq!(
            f.2, t.cut_off,
            "{name}: cut_off of the interruption at {} ms",
            t.onset_ms
        );
        let latency = f.3 - f.1;
        assert!(
            latency <= 800,
            "{name}: reported {latency} ms after its onset"
        );
    }
}

#[test]
fn interruptions_are_exact_on_every_fixture_call() {
    for name in CALLS {
        let (info, a, c) = load_call(name);
        assert_matches_truth(name, &analyse(&info, &a, &c, 320));
    }
}

#[test]
fn backchannels_and_terminal_overlaps_are_not_interruptions() {
    let truth = load_truth("backchannels");
    let raw = truth_json("backchannels");
    assert!(raw["backchannels"].as_array().unwrap().len() >= 5);
    assert!(raw["terminal_overlaps"].as_array().unwrap().len() >= 3);
    assert!(truth.interruptions.is_empty());
    let (info, a, c) = load_call("backchannels");
    let found = interruptions(&analyse(&info, &a, &c, 320));
    assert!(found.is_empty(), "backchannel call flagged: {found:?}");
}

fn truth_json(name: &str) -> serde_json::Value {
    truth(name)
}

#[test]
fn dead_air_and_monologue_are_found_where_the_truth_puts_them() {
    let raw = truth_json("dead_air_monologue");
    let (info, a, c) = load_call("dead_air_monologue");
    let events = analyse(&info, &a, &c, 320);

    let silence = &raw["long_silences"][0];
    let dead: Vec<&Event> = events
        .iter()
        .filter(|e| matches!(e.body, EventBody::DeadAir { .. }))
        .collect();
    assert_eq!(dead.len(), 1, "{dead:?}");
    let EventBody::DeadAir { start_ms, .. } = dead[0].body else {
        unreachable!()
    };
    assert!((start_ms as i64 - silence["start_ms"].as_i64().unwrap()).abs() <= 300);
    // Reported once the silence reaches the 5 s threshold, not before.
    assert!(dead[0].t_ms >= start_ms + 5_000 && dead[0].t_ms <= start_ms + 5_100);

    let mono = &raw["monologues"][0];
    let summary = match &events.last().unwrap().body {
        EventBody::CallEnd { summary, .. } => summary.clone(),
        other => panic!("last event {other:?}"),
    };
    let m = summary.longest_agent_monologue.unwrap();
    assert!(
        (m.start_ms as i64 - mono["start_ms"].as_i64().unwrap()).abs() <= 300,
        "{m:?}"
    );
    assert!(
        (m.end_ms as i64 - mono["end_ms"].as_i64().unwrap()).abs() <= 300,
        "{m:?}"
    );
    assert_eq!(summary.dead_air.len(), 1);
    assert!((summary.dead_air[0].end_ms as i64 - silence["end_ms"].as_i64().unwrap()).abs() <= 300);
    let flagged: Vec<&Event> = events
        .iter()
        .filter(|e| matches!(e.body, EventBody::Monologue { .. }))
        .collect();
    assert_eq!(flagged.len(), 1);
    assert!(flagged[0].t_ms >= m.start_ms + 30_000 && flagged[0].t_ms <= m.start_ms + 30_500);

    // No other call has dead air or a 30 s monologue.
    for name in ["calm", "escalating", "backchannels", "real_voices"] {
        let (info, a, c) = load_call(name);
        let ev = analyse(&info, &a, &c, 320);
        assert!(
            !ev.iter().any(|e| matches!(
                e.body,
                EventBody::DeadAir { .. } | EventBody::Monologue { .. }
            )),
            "{name}"
        );
    }
}

#[test]
fn results_do_not_depend_on_block_size() {
    let (info, a, c) = load_call("escalating");
    let reference = analyse(&info, &a, &c, 1600);
    for block in [37, 160, 441, 4096] {
        assert_eq!(analyse(&info, &a, &c, block), reference, "block {block}");
    }
}

#[test]
fn talk_share_follows_who_talks() {
    let (info, a, c) = load_call("dead_air_monologue");
    let events = analyse(&info, &a, &c, 320);
    let metrics: Vec<(u64, Option<f32>, u64)> = events
        .iter()
        .filter_map(|e| match e.body {
            EventBody::Metrics {
                agent_talk_share_60s,
                silence_ms,
                ..
            } => Some((e.t_ms, agent_talk_share_60s, silence_ms)),
            _ => None,
        })
        .collect();
    // One per second of call.
    assert!((metrics.len() as i64 - 68).abs() <= 1, "{}", metrics.len());
    // During the monologue the agent has (nearly) all the talk; in the first seconds, none.
    let at = |ms: u64| metrics.iter().find(|m| m.0 >= ms).unwrap();
    assert_eq!(at(3_000).1, Some(0.0));
    assert!(at(40_000).1.unwrap() > 0.85, "{:?}", at(40_000));
    // Silence grows through the dead air.
    assert!(at(57_000).2 >= 4_000, "{:?}", at(57_000));
}

/// Line conditions: a 20 dB quieter customer, line noise, and echo of the other side must
/// not change what is found.
#[test]
fn robust_to_level_difference_noise_and_echo() {
    let mut seed = 7u32;
    let mut noise = move || {
        seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
        ((seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 2.0
    };
    for name in ["escalating", "backchannels", "real_voices"] {
        let (info, a, c) = load_call(name);
        // One side 20 dB quieter than the other.
        let quiet: Vec<f32> = c.iter().map(|x| x * 0.1).collect();
        assert_matches_truth_when(
            name,
            "customer 20 dB quieter",
            &analyse(&info, &a, &quiet, 320),
        );
        let quiet: Vec<f32> = a.iter().map(|x| x * 0.1).collect();
        assert_matches_truth_when(
            name,
            "agent 20 dB quieter",
            &analyse(&info, &quiet, &c, 320),
        );
        // Both at once: the agent 10 dB quieter at the source and each side echoing into the
        // other 30 dB down, so the echo of a shouting customer is barely under the agent's own
        // voice. (20 dB and echo together put echo level with the agent's voice: no level
        // cue can tell them apart then.)
        let d = 640;
        let e = 10f32.powf(-30.0 / 20.0);
        let qa: Vec<f32> = a.iter().map(|x| x * 10f32.powf(-10.0 / 20.0)).collect();
        let ea: Vec<f32> = (0..a.len())
            .map(|i| qa[i] + if i >= d { e * c[i - d] } else { 0.0 })
            .collect();
        let ec: Vec<f32> = (0..c.len())
            .map(|i| c[i] + if i >= d { e * qa[i - d] } else { 0.0 })
            .collect();
        assert_matches_truth_when(
            name,
            "quiet agent with echo",
            &analyse(&info, &ea, &ec, 320),
        );
        // Line noise at -55 dBFS RMS on both sides.
        let g = 10f32.powf(-55.0 / 20.0) * 1.7;
        let na: Vec<f32> = a.iter().map(|x| x + g * noise()).collect();
        let nc: Vec<f32> = c.iter().map(|x| x + g * noise()).collect();
        assert_matches_truth_when(name, "line noise", &analyse(&info, &na, &nc, 320));
        // Each side hears the other 30 dB down, 40 ms late.
        let d = 640;
        let e = 10f32.powf(-30.0 / 20.0);
        let ea: Vec<f32> = (0..a.len())
            .map(|i| a[i] + if i >= d { e * c[i - d] } else { 0.0 })
            .collect();
        let ec: Vec<f32> = (0..c.len())
            .map(|i| c[i] + if i >= d { e * a[i - d] } else { 0.0 })
            .collect();
        assert_matches_truth_when(name, "echo", &analyse(&info, &ea, &ec, 320));
    }
}

#[test]
fn eval_scores_the_fixture_folder() {
    let calls = eval::truth_files(&fixture("")).unwrap();
    assert_eq!(calls.len(), CALLS.len());
    let config = Config::default();
    let scores: Vec<_> = calls
        .iter()
        .map(|(wav, t)| {
            let truth: Truth = serde_json::from_str(&std::fs::read_to_string(t).unwrap()).unwrap();
            eval::score_call(wav, &truth, &config, &Playbook::default(), false).unwrap()
        })
        .collect();
    let table = eval::table(&scores);
    assert!(
        table.contains("precision 1.00, recall 1.00, F1 1.00"),
        "{table}"
    );
}

#[test]
fn turn_changes_follow_the_truth() {
    for name in CALLS {
        let raw = truth_json(name);
        let turns: Vec<&serde_json::Value> = raw["turns"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["kind"] != "backchannel")
            .collect();
        let truth = turns
            .windows(2)
            .filter(|w| w[0]["speaker"] != w[1]["speaker"])
            .count() as i64;
        let (info, a, c) = load_call(name);
        let events = analyse(&info, &a, &c, 320);
        let EventBody::CallEnd { summary, .. } = &events.last().unwrap().body else {
            panic!("last event is not call_end")
        };
        let found = summary.turn_changes as i64;
        // Exact on the calls without overlapping speech; within three where overlaps and
        // terminal overlaps blur who holds the floor.
        let slack = if summary.overlap_ms == 0 { 0 } else { 3 };
        assert!(
            (found - truth).abs() <= slack,
            "{name}: {found} turn changes, truth {truth}"
        );
    }
}

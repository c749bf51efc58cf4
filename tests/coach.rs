//! Customer tension (and, as they land, the coach's prompts) on the fixture calls, with the
//! real model: tension follows the truth's tense stretch and stays calm on calm calls.

mod common;

use common::*;
use serde_json::Value;

fn replay(name: &str) -> Vec<Value> {
    model();
    replay_events(&[fixture(&format!("{name}.wav")).to_str().unwrap()])
}

#[test]
fn escalating_customer_reaches_high_during_the_tense_stretch() {
    let events = replay("escalating");
    let truth = truth("escalating");
    let tense = &truth["tense_stretches"][0];
    let (start, end) = (
        tense["start_ms"].as_u64().unwrap(),
        tense["end_ms"].as_u64().unwrap(),
    );
    let changes = of_type(&events, "tension");
    let first = changes.first().expect("a tension change");
    assert_eq!(first["level"], "elevated");
    let t = first["t_ms"].as_u64().unwrap();
    assert!(
        t >= start && t <= start + 5_000,
        "elevated at {t} ms, tense from {start} ms"
    );
    let high = changes
        .iter()
        .find(|c| c["level"] == "high")
        .expect("reaches high");
    let t = high["t_ms"].as_u64().unwrap();
    assert!(
        t < end,
        "high at {t} ms, after the tense stretch ended at {end} ms"
    );
    let reason = high["reason"].as_str().unwrap();
    assert!(
        reason.contains("pitch up") && reason.contains("said '"),
        "{reason}"
    );
    // Every customer utterance carries its tension and the cues behind it.
    for u in of_type(&events, "utterance")
        .iter()
        .filter(|u| u["speaker"] == "customer")
    {
        let score = u["tension"].as_f64().expect("customer utterance tension");
        assert!((0.0..=1.0).contains(&score));
        assert!(u["features"]["vs_baseline"]["pitch_st"].is_number());
    }
    // Agent utterances carry no tension.
    assert!(
        of_type(&events, "utterance")
            .iter()
            .filter(|u| u["speaker"] == "agent")
            .all(|u| u["tension"].is_null())
    );
}

#[test]
fn calm_calls_stay_calm() {
    for name in ["calm", "backchannels", "dead_air_monologue"] {
        let events = replay(name);
        let changes = of_type(&events, "tension");
        assert!(changes.is_empty(), "{name}: {changes:?}");
        let max = of_type(&events, "utterance")
            .iter()
            .filter_map(|u| u["tension"].as_f64())
            .fold(0.0, f64::max);
        assert!(max < 0.4, "{name}: an utterance scored {max}");
    }
}

//! Customer tension and the coach's prompts on the fixture calls, with the real model:
//! tension follows the truth's tense stretch, prompts are right and rare, limits hold.

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

fn prompts(events: &[Value]) -> Vec<(u64, String)> {
    of_type(events, "prompt")
        .iter()
        .map(|p| {
            (
                p["t_ms"].as_u64().unwrap(),
                p["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn talked_over_customer_gets_a_prompt_at_once_and_an_empathy_prompt_when_tense() {
    let events = replay("escalating");
    let p = prompts(&events);
    let first_interruption = of_type(&events, "interruption")[0]["onset_ms"]
        .as_u64()
        .unwrap();
    assert_eq!(p[0].1, "talk_over", "{p:?}");
    assert!(
        p[0].0 <= first_interruption + 1_000,
        "talk-over prompt {} ms after the onset",
        p[0].0 - first_interruption
    );
    let empathy: Vec<&Value> = of_type(&events, "prompt")
        .into_iter()
        .filter(|e| e["category"] == "empathy")
        .collect();
    assert!(!empathy.is_empty(), "no empathy prompt: {p:?}");
    assert!(empathy[0]["reason"].as_str().unwrap().contains("pitch up"));
    // Rare: never more than three in a minute, one on screen at a time.
    assert_limits(&events, 3, 12);
}

/// Prompts that stood: not a talk-over prompt taken back because its interruption was
/// withdrawn (a backchannel that outlasted the first decision).
fn standing_prompts(events: &[Value]) -> Vec<(u64, String)> {
    let withdrawn: Vec<u64> = of_type(events, "interruption_withdrawn")
        .iter()
        .map(|e| e["t_ms"].as_u64().unwrap())
        .collect();
    prompts(events)
        .into_iter()
        .filter(|(t, kind)| {
            let cleared = events.iter().find(|e| {
                e["type"] == "prompt_cleared"
                    && e["kind"] == kind.as_str()
                    && e["t_ms"].as_u64().unwrap() >= *t
            });
            !cleared.is_some_and(|c| withdrawn.contains(&c["t_ms"].as_u64().unwrap()))
        })
        .collect()
}

#[test]
fn calm_calls_get_no_prompts() {
    for name in ["calm", "backchannels"] {
        let events = replay(name);
        let p = standing_prompts(&events);
        assert!(p.is_empty(), "{name}: {p:?}");
        // A prompt taken back was on screen for under half a second.
        for (t, kind) in prompts(&events) {
            let cleared = events
                .iter()
                .find(|e| {
                    e["type"] == "prompt_cleared"
                        && e["kind"] == kind.as_str()
                        && e["t_ms"].as_u64().unwrap() >= t
                })
                .unwrap_or_else(|| panic!("{name}: {kind} at {t} never cleared"));
            let shown = cleared["t_ms"].as_u64().unwrap() - t;
            assert!(shown < 500, "{name}: {kind} at {t} shown {shown} ms");
        }
    }
}

#[test]
fn an_acknowledgement_is_recognised_and_calming_down_is_praised() {
    let events = replay("acknowledged");
    let p = prompts(&events);
    let kinds: Vec<&str> = p.iter().map(|k| k.1.as_str()).collect();
    assert!(kinds.contains(&"acknowledged"), "{p:?}");
    assert!(kinds.contains(&"calmer"), "{p:?}");
    assert!(
        !kinds.contains(&"acknowledge"),
        "asked to acknowledge after doing so: {p:?}"
    );
    let ack = of_type(&events, "prompt")
        .into_iter()
        .find(|e| e["kind"] == "acknowledged")
        .unwrap();
    assert_eq!(ack["category"], "reinforcement");
    assert!(ack["reason"].as_str().unwrap().contains("sorry"), "{ack}");
}

/// At most `per_minute` prompts in any minute and `per_call` in the call; a prompt appears
/// only when none is on screen (or the one on screen was just cleared).
fn assert_limits(events: &[Value], per_minute: usize, per_call: usize) {
    let p = prompts(events);
    assert!(p.len() <= per_call, "{} prompts", p.len());
    for (k, (t, _)) in p.iter().enumerate() {
        let in_minute = p[k..].iter().filter(|(u, _)| *u < t + 60_000).count();
        assert!(
            in_minute <= per_minute,
            "{in_minute} prompts in the minute from {t} ms"
        );
    }
    let mut showing: Option<String> = None;
    for e in events {
        match e["type"].as_str().unwrap() {
            "prompt" => {
                assert!(
                    showing.is_none(),
                    "a prompt while {showing:?} is on screen at {}",
                    e["t_ms"]
                );
                showing = Some(e["kind"].as_str().unwrap().to_string());
            }
            "prompt_cleared" => {
                assert_eq!(
                    showing.as_deref(),
                    e["kind"].as_str(),
                    "cleared a prompt not on screen"
                );
                showing = None;
            }
            _ => {}
        }
    }
    assert!(
        showing.is_none(),
        "a prompt left on screen at the end of the call"
    );
}

/// A call built to trigger everything at once: three escalating calls and the monologue/dead
/// air call back to back, analysed (without whisper) with the default limits and tight ones.
#[test]
fn limits_hold_on_a_call_that_triggers_everything() {
    use hearken::audio::{CallInput, CallReader};
    use hearken::config::Config;
    use hearken::contract::Channel;
    use hearken::contract::Speaker;
    use hearken::engine::{AsrMode, Engine};
    use hearken::playbook::Playbook;
    let (mut a, mut c) = (Vec::new(), Vec::new());
    let mut info = None;
    for name in [
        "escalating",
        "dead_air_monologue",
        "escalating",
        "escalating",
    ] {
        let mut r = CallReader::open(&CallInput::Stereo {
            path: fixture(&format!("{name}.wav")),
            agent: Channel::Left,
        })
        .unwrap();
        let (mut ba, mut bc) = (Vec::new(), Vec::new());
        while r.next_block(16_000, &mut ba, &mut bc).unwrap() {
            a.extend_from_slice(&ba);
            c.extend_from_slice(&bc);
        }
        info = Some(r.info().clone());
    }
    let one_a_minute = Playbook::from_toml("[coach]\nmax_per_minute = 1\n").unwrap();
    let three_a_call = Playbook::from_toml("[coach]\nmax_per_call = 3\n").unwrap();
    for (playbook, per_minute, per_call) in [
        (Playbook::default(), 3, 12),
        (one_a_minute, 1, 12),
        (three_a_call, 3, 3),
    ] {
        let mut engine = Engine::new(
            &Config::default(),
            &playbook,
            info.clone().unwrap(),
            None,
            AsrMode::Wait,
        );
        let mut events = Vec::new();
        for (x, y) in a.chunks(1600).zip(c.chunks(1600)) {
            engine.push(Speaker::Agent, x, &mut events);
            engine.push(Speaker::Customer, y, &mut events);
        }
        engine.finish(&mut events);
        let values: Vec<Value> = events
            .iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .collect();
        let n_interruptions = of_type(&values, "interruption").len();
        assert!(n_interruptions >= 12, "{n_interruptions}");
        let p = prompts(&values);
        assert!(p.len() >= 3, "the call should trigger plenty: {p:?}");
        assert_limits(&values, per_minute, per_call);
        if per_call == 3 {
            assert_eq!(p.len(), 3, "the per-call cap binds: {p:?}");
        } else if per_minute == 3 {
            assert!(p.len() > 3, "without a tight cap there are more: {p:?}");
        }
    }
}

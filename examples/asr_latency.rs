//! Live transcription latency: the delay from the end of an utterance's speech to its
//! `utterance` event, with both speakers talking, audio arriving at real-time pace and
//! transcripts landing as soon as whisper delivers them (as on a live call).
//!
//!     cargo run --example asr_latency [CALL.wav...]   (default: the six fixture calls)
//!
//! Engine time tracks wall time when audio arrives at real-time pace, so the delay is
//! `t_ms - end_ms` of each utterance event. It includes the 400 ms speech-end hangover that
//! makes the end sure. Prints the median and 95th percentile per call and over all of them.

use hearken::audio::CallInput;
use hearken::config::Config;
use hearken::contract::Channel;
use hearken::contract::EventBody;
use hearken::playbook::Playbook;
use hearken::replay::{self, Replay, Speed};
use hearken::stats::median_p95;
use std::path::PathBuf;

const FIXTURES: [&str; 6] = [
    "calm",
    "escalating",
    "backchannels",
    "dead_air_monologue",
    "real_voices",
    "acknowledged",
];

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut calls: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if calls.is_empty() {
        calls = FIXTURES
            .iter()
            .map(|f| root.join(format!("tests/fixtures/{f}.wav")))
            .collect();
    }
    let mut config = Config::default();
    config.model.path = Some(root.join("models/ggml-tiny.en-q8_0.bin"));
    let mut all = Vec::new();
    for call in &calls {
        let replay = Replay {
            input: CallInput::Stereo {
                path: call.clone(),
                agent: Channel::Left,
            },
            speed: Speed::Realtime,
            config: config.clone(),
            playbook: Playbook::default(),
            transcribe: true,
            live_asr: true,
            split_calls: false,
            model: None,
        };
        let mut delays = Vec::new();
        replay::run(&replay, |e| {
            if let EventBody::Utterance(u) = &e.body {
                delays.push(e.t_ms as i64 - u.end_ms as i64);
            }
            Ok(())
        })
        .expect("replay");
        let (median, p95) = median_p95(&delays).expect("utterances");
        println!(
            "{}: {} utterances; median {median} ms, 95th percentile {p95} ms (max {} ms)",
            call.display(),
            delays.len(),
            delays.iter().max().unwrap()
        );
        all.extend(delays);
    }
    let (median, p95) = median_p95(&all).expect("utterances");
    println!(
        "all {} utterances, speech end to utterance event: median {median} ms, 95th percentile {p95} ms",
        all.len()
    );
}

//! Speech activity: Hearken's energy gate against Silero VAD (through whisper-rs), scored at
//! the frame level against the fixture calls' truth.
//!
//!     cargo run --example vad_compare
//!
//! Prints, per detector: precision, recall and F1 of speech frames, and the median onset
//! delay (detected start minus true start of each turn that was found).

use hearken::audio::{CallInput, CallReader};
use hearken::config::Config;
use hearken::contract::Channel;
use hearken::contract::{EventBody, Speaker};
use hearken::engine::{AsrMode, Engine};
use hearken::playbook::Playbook;
use serde_json::Value;
use std::path::PathBuf;
use whisper_rs::{WhisperVadContext, WhisperVadContextParams, WhisperVadParams};

const CALLS: [&str; 5] = [
    "calm",
    "escalating",
    "backchannels",
    "dead_air_monologue",
    "real_voices",
];

#[derive(Default)]
struct Score {
    tp: u64,
    fp: u64,
    fn_: u64,
    onset_delays: Vec<i64>,
}

impl Score {
    fn add(&mut self, truth: &[bool], found: &[bool], turns: &[(u64, u64)], spans: &[(u64, u64)]) {
        for (t, f) in truth.iter().zip(found) {
            match (t, f) {
                (true, true) => self.tp += 1,
                (false, true) => self.fp += 1,
                (true, false) => self.fn_ += 1,
                _ => {}
            }
        }
        for &(ts, te) in turns {
            if let Some(&(s, _)) = spans
                .iter()
                .filter(|(s, e)| *e > ts && *s < te)
                .min_by_key(|(s, _)| *s)
            {
                self.onset_delays.push(s as i64 - ts as i64);
            }
        }
    }

    fn line(&self, name: &str) -> String {
        let p = self.tp as f64 / (self.tp + self.fp).max(1) as f64;
        let r = self.tp as f64 / (self.tp + self.fn_).max(1) as f64;
        let mut d = self.onset_delays.clone();
        d.sort();
        format!(
            "{name:<14} precision {p:.3}  recall {r:.3}  F1 {:.3}  median onset delay {} ms",
            2.0 * p * r / (p + r),
            d.get(d.len() / 2).copied().unwrap_or(0) * 10
        )
    }
}

fn frames(spans: &[(u64, u64)], n: usize) -> Vec<bool> {
    let mut v = vec![false; n];
    for &(s, e) in spans {
        for f in v.iter_mut().take((e as usize).min(n)).skip(s as usize) {
            *f = true;
        }
    }
    v
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut energy = Score::default();
    let mut silero = Score::default();
    let mut vad_params = WhisperVadContextParams::new();
    vad_params.set_n_threads(1);
    let silero_path = root.join("models/ggml-silero-v6.2.0.bin");
    let mut vad =
        WhisperVadContext::new(silero_path.to_str().unwrap(), vad_params).expect("Silero model");
    for name in CALLS {
        let fx = root.join("tests/fixtures");
        let truth: Value = serde_json::from_str(
            &std::fs::read_to_string(fx.join(format!("{name}.truth.json"))).unwrap(),
        )
        .unwrap();
        let mut r = CallReader::open(&CallInput::Stereo {
            path: fx.join(format!("{name}.wav")),
            agent: Channel::Left,
        })
        .unwrap();
        let (mut a, mut c, mut ba, mut bc) = (vec![], vec![], vec![], vec![]);
        while r.next_block(16_000, &mut ba, &mut bc).unwrap() {
            a.extend_from_slice(&ba);
            c.extend_from_slice(&bc);
        }
        let n = a.len() / 160;
        // Energy gate: the engine's own speech_end events.
        let mut engine = Engine::new(
            &Config::default(),
            &Playbook::default(),
            r.info().clone(),
            None,
            AsrMode::Wait,
        );
        let mut events = Vec::new();
        engine.push(Speaker::Agent, &a, &mut events);
        engine.push(Speaker::Customer, &c, &mut events);
        engine.finish(&mut events);
        for (k, spk) in Speaker::BOTH.iter().enumerate() {
            let turns: Vec<(u64, u64)> = truth["turns"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|t| t["speaker"] == spk.as_str())
                .map(|t| {
                    (
                        t["start_ms"].as_u64().unwrap() / 10,
                        t["end_ms"].as_u64().unwrap() / 10,
                    )
                })
                .collect();
            let truth_frames = frames(&turns, n);
            let found: Vec<(u64, u64)> = events
                .iter()
                .filter_map(|e| match e.body {
                    EventBody::SpeechEnd {
                        speaker,
                        start_ms,
                        end_ms,
                    } if speaker == *spk => Some((start_ms / 10, end_ms / 10)),
                    _ => None,
                })
                .collect();
            energy.add(&truth_frames, &frames(&found, n), &turns, &found);
            // Silero over the whole channel, with whisper.cpp's default segment rules.
            let audio = if k == 0 { &a } else { &c };
            let segs = vad
                .segments_from_samples(WhisperVadParams::new(), audio)
                .expect("Silero VAD");
            let spans: Vec<(u64, u64)> = (0..segs.num_segments())
                .filter_map(|i| segs.get_segment(i))
                .map(|s| (s.start as u64, s.end as u64)) // centiseconds = frames
                .collect();
            silero.add(&truth_frames, &frames(&spans, n), &turns, &spans);
        }
    }
    println!("speech frames against truth, both channels of the 5 fixture calls:");
    println!("{}", energy.line("energy gate"));
    println!("{}", silero.line("Silero VAD"));
}

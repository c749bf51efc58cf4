//! Word error rate on the real recordings (tests/fixtures/speech, from ../shared/data/speech),
//! through Hearken's streaming path (speech activity cuts utterances, the worker transcribes)
//! against whole-file whisper on the same model.
//!
//!     cargo run --example wer [AUDIO_CTX_MARGIN [no-fallback]]
//!
//! Both use the same normalisation: lower case, punctuation removed, words split on anything
//! that is not a letter, digit or apostrophe.

use hearken::asr::{Transcribe, Whisper, model};
use hearken::audio::CallInput;
use hearken::coach::Playbook;
use hearken::config::Config;
use hearken::engine::EventBody;
use hearken::replay::{self, Replay, Speed};
use std::path::PathBuf;

fn words(t: &str) -> Vec<String> {
    t.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn errors(r: &[String], h: &[String]) -> usize {
    let mut prev: Vec<usize> = (0..=h.len()).collect();
    for (i, a) in r.iter().enumerate() {
        let mut cur = vec![i + 1; h.len() + 1];
        for (j, b) in h.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(a != b))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[h.len()]
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let speech = root.join("tests/fixtures/speech");
    let config = Config {
        model: hearken::config::ModelConfig {
            path: Some(root.join("models/ggml-tiny.en-q8_0.bin")),
            sha256: None,
        },
        ..Config::default()
    };
    let mut config = config;
    if let Some(m) = std::env::args().nth(1) {
        config.asr.audio_ctx_margin = m.parse().expect("margin in encoder frames");
    }
    if std::env::args().nth(2).as_deref() == Some("no-fallback") {
        config.asr.temperature_fallback = false;
    }
    let started = std::time::Instant::now();
    let path = model::verified_model(&config.model).expect("model");
    let mut whole = Whisper::load(&path, &config.asr).expect("whisper");
    let csv = std::fs::read_to_string(speech.join("transcripts.csv")).unwrap();
    let (mut n, mut e_whole, mut e_stream) = (0, 0, 0);
    for line in csv.lines().skip(1) {
        // file,speaker,"transcript",...
        let file = line.split(',').next().unwrap();
        let rest = &line[file.len() + 1..];
        let rest = &rest[rest.find(',').unwrap() + 1..];
        let text = if let Some(stripped) = rest.strip_prefix('"') {
            &stripped[..stripped.find('"').unwrap()]
        } else {
            &rest[..rest.find(',').unwrap()]
        };
        let wav = speech.join(file);
        let mut r = hound::WavReader::open(&wav).unwrap();
        let x: Vec<f32> = r
            .samples::<i16>()
            .map(|s| s.unwrap() as f32 / 32768.0)
            .collect();
        let lvl = 10.0 * (x.iter().map(|s| s * s).sum::<f32>() / x.len() as f32).log10();
        let w = whole.transcribe(&x, lvl).unwrap().text;
        let replay = Replay {
            input: CallInput::Sides {
                agent: None,
                customer: Some(wav.clone()),
            },
            speed: Speed::Max,
            config: config.clone(),
            playbook: Playbook::default(),
            transcribe: true,
            live_asr: false,
        };
        let mut streamed = Vec::new();
        replay::run(&replay, |e| {
            if let EventBody::Utterance(u) = &e.body {
                streamed.push(u.text.clone());
            }
            Ok(())
        })
        .unwrap();
        let s = streamed.join(" ");
        let r = words(text);
        let (ew, es) = (errors(&r, &words(&w)), errors(&r, &words(&s)));
        println!(
            "{file}: whole-file {ew}/{} errors, streaming {es}/{}\n  truth:     {text}\n  whole:     {w}\n  streaming: {s}",
            r.len(),
            r.len()
        );
        n += r.len();
        e_whole += ew;
        e_stream += es;
    }
    println!(
        "\nWER over {n} words (audio_ctx margin {}): whole-file whisper {:.1} %, streaming path {:.1} % ({:.1} s)",
        config.asr.audio_ctx_margin,
        100.0 * e_whole as f64 / n as f64,
        100.0 * e_stream as f64 / n as f64,
        started.elapsed().as_secs_f64()
    );
}

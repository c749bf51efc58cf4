//! Fuzzing the three readers of outside input: WAV files, the config and the playbook.
//! Seeds from `tests/fuzz/corpus` are mutated by proptest; nothing may panic, and whatever
//! parses runs through the engine, which must not panic either. See tests/fuzz/README.md.

use hearken::audio::{CallInput, CallReader};
use hearken::config::Config;
use hearken::contract::Channel;
use hearken::engine::AsrMode;
use hearken::playbook::Playbook;
use hearken::{Engine, Speaker};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

fn corpus(kind: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/corpus")
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("fuzz corpus {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

static WAVS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| corpus("wav"));
static CONFIGS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let mut c = corpus("config");
    c.push(toml::to_string(&Config::default()).unwrap().into_bytes());
    c
});
static PLAYBOOKS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let mut c = corpus("playbook");
    c.push(Playbook::default().to_toml().into_bytes());
    c
});

/// Values that break careless code: zero, negatives, the ends of integer types, floats that
/// are not numbers.
const EXTREMES: &[&str] = &[
    "0",
    "-1",
    "1",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "-9223372036854775808",
    "1e309",
    "-1e309",
    "nan",
    "inf",
    "0.0000001",
    "\"\"",
    "[]",
    "{}",
];

#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(usize, u8),
    SetByte(usize, u8),
    /// Overwrite four bytes with a little-endian length-like value (RIFF sizes, rates).
    SetWord(usize, u32),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
    /// Replace the n-th number in a text with an extreme.
    Number(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(p, b)| Mutation::FlipBit(p, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::SetByte(p, b)),
        (
            any::<usize>(),
            prop_oneof![
                Just(0u32),
                Just(1),
                Just(2),
                Just(9),
                Just(0x7FFF_FFFF),
                Just(u32::MAX),
                any::<u32>()
            ]
        )
            .prop_map(|(p, w)| Mutation::SetWord(p, w)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(p, b)| Mutation::Insert(p, b)),
        (any::<usize>(), 1usize..64).prop_map(|(p, n)| Mutation::Remove(p, n)),
        (any::<usize>(), 0..EXTREMES.len()).prop_map(|(k, e)| Mutation::Number(k, e)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let at = |p: usize, len: usize| if len == 0 { 0 } else { p % len };
    match m {
        Mutation::FlipBit(p, b) if !bytes.is_empty() => {
            let i = at(*p, bytes.len());
            bytes[i] ^= 1 << b;
        }
        Mutation::SetByte(p, v) if !bytes.is_empty() => {
            let i = at(*p, bytes.len());
            bytes[i] = *v;
        }
        Mutation::SetWord(p, w) if bytes.len() >= 4 => {
            // On a 2-byte boundary, where RIFF fields sit.
            let i = at(*p, bytes.len() - 3) & !1;
            bytes[i..i + 4].copy_from_slice(&w.to_le_bytes());
        }
        Mutation::Truncate(p) => bytes.truncate(at(*p, bytes.len() + 1)),
        Mutation::Insert(p, b) => {
            let i = at(*p, bytes.len() + 1);
            bytes.splice(i..i, b.iter().copied());
        }
        Mutation::Remove(p, n) if !bytes.is_empty() => {
            let i = at(*p, bytes.len());
            let end = (i + n).min(bytes.len());
            bytes.drain(i..end);
        }
        Mutation::Number(k, e) => {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let numbers: Vec<(usize, usize)> = number_spans(&text);
            if !numbers.is_empty() {
                let (a, b) = numbers[k % numbers.len()];
                *bytes = format!("{}{}{}", &text[..a], EXTREMES[*e], &text[b..]).into_bytes();
            }
        }
        _ => {}
    }
}

/// Byte spans of the numbers in a text.
fn number_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let part = c.is_ascii_digit() || (start.is_some() && matches!(c, '.' | '_' | 'e'));
        match (part, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, text.len()));
    }
    spans
}

fn mutated(seeds: &'static LazyLock<Vec<Vec<u8>>>) -> impl Strategy<Value = Vec<u8>> {
    (any::<usize>(), prop::collection::vec(mutation(), 0..6)).prop_map(move |(i, ms)| {
        let mut b = seeds[i % seeds.len()].clone();
        for m in &ms {
            apply(&mut b, m);
        }
        b
    })
}

fn cases() -> u32 {
    std::env::var("HEARKEN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

/// Two seconds of a call through the engine, both sides taking turns, with the given setup.
fn run_engine(config: &Config, playbook: &Playbook) {
    let info = hearken::contract::SourceInfo {
        source: "fuzz".into(),
        sample_rate: 16_000,
        channels: 2,
    };
    let mut engine = Engine::new(config, playbook, info, None, AsrMode::Wait);
    let mut events = Vec::new();
    for block in 0..20 {
        let tone = |f: f32| -> Vec<f32> {
            (0..1600)
                .map(|i| 0.3 * ((block * 1600 + i) as f32 * f).sin())
                .collect()
        };
        let silence = vec![0.0f32; 1600];
        let (a, c) = if block % 7 < 4 {
            (tone(0.07), silence)
        } else {
            (silence, tone(0.11))
        };
        engine.push(Speaker::Agent, &a, &mut events);
        engine.push(Speaker::Customer, &c, &mut events);
    }
    engine.finish(&mut events);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn any_wav_bytes_read_or_fail_cleanly(bytes in mutated(&WAVS)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fuzz.wav");
        std::fs::write(&path, &bytes).unwrap();
        for input in [
            CallInput::Stereo { path: path.clone(), agent: Channel::Left },
            CallInput::Sides { agent: Some(path.clone()), customer: None },
        ] {
            let Ok(mut reader) = CallReader::open(&input) else { continue };
            let (mut a, mut c) = (Vec::new(), Vec::new());
            // The seeds are under a second; a reader that goes on far longer is stuck.
            let mut blocks = 0;
            while let Ok(true) = reader.next_block(1600, &mut a, &mut c) {
                blocks += 1;
                prop_assert!(blocks < 100_000, "the reader does not end");
                // Finite always. Past full scale only by a band-limited resampler's overshoot
                // on a hard step (a few per cent; bounded well inside 4 by its filter).
                prop_assert!(a.iter().chain(&c).all(|s| s.is_finite() && s.abs() <= 4.0));
            }
        }
    }

    #[test]
    fn any_config_text_parses_or_fails_cleanly(bytes in mutated(&CONFIGS)) {
        if let Ok(config) = Config::from_toml(&String::from_utf8_lossy(&bytes)) {
            run_engine(&config, &Playbook::default());
        }
    }

    #[test]
    fn any_playbook_text_parses_or_fails_cleanly(bytes in mutated(&PLAYBOOKS)) {
        if let Ok(playbook) = Playbook::from_toml(&String::from_utf8_lossy(&bytes)) {
            run_engine(&Config::default(), &playbook);
        }
    }
}

#[test]
fn the_seeds_themselves_are_valid() {
    // Mutations start from inputs that work, so they explore near the real formats.
    for (i, bytes) in WAVS.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seed.wav");
        std::fs::write(&path, bytes).unwrap();
        let stereo = CallInput::Stereo {
            path: path.clone(),
            agent: Channel::Left,
        };
        let mono = CallInput::Sides {
            agent: Some(path),
            customer: None,
        };
        if let (Err(e), Err(_)) = (CallReader::open(&stereo), CallReader::open(&mono)) {
            panic!("wav seed {i}: {e}");
        }
    }
    for (i, c) in CONFIGS.iter().enumerate() {
        Config::from_toml(std::str::from_utf8(c).unwrap())
            .unwrap_or_else(|e| panic!("config seed {i}: {e}"));
    }
    for (i, p) in PLAYBOOKS.iter().enumerate() {
        Playbook::from_toml(std::str::from_utf8(p).unwrap())
            .unwrap_or_else(|e| panic!("playbook seed {i}: {e}"));
    }
}

//! Hearken's streaming path against the whole-file reference (whisper-cli's defaults on the
//! same model: full 30 s windows, beam search 5, temperature fallback), on a manifest of real
//! speech with reference transcripts: WER with substitutions, deletions and insertions per
//! file, per condition and split, phrases doubled, and the time each took.
//!
//!     python3 tests/fixtures/dev/asr/make.py          # the set, into target/devsets/asr
//!     cargo run --release --example asr_compare -- target/devsets/asr/manifest.csv
//!     cargo run --release --example asr_compare -- --call CALL.wav   # speed on a two-channel call
//!
//! Both sides are scored with the same normalisation: lower case, words split on anything
//! that is not a letter, digit or apostrophe (the same rule as `contract::text::normalise`).

use hearken::asr::WhisperModel;
use hearken::asr::model::verified_model;
use hearken::audio::{CallInput, CallReader};
use hearken::config::Config;
use hearken::contract::{Channel, EventBody, Speaker};
use hearken::playbook::Playbook;
use hearken::replay::{self, Replay, Speed};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn words(t: &str) -> Vec<String> {
    t.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Substitutions, deletions, insertions of `h` against `r`.
fn sdi(r: &[String], h: &[String]) -> [usize; 3] {
    // (cost, s, d, i) per cell.
    let mut prev: Vec<(usize, [usize; 3])> = (0..=h.len()).map(|j| (j, [0, 0, j])).collect();
    for (i, a) in r.iter().enumerate() {
        let mut cur = vec![(i + 1, [0, i + 1, 0]); h.len() + 1];
        for (j, b) in h.iter().enumerate() {
            let sub = {
                let (c, mut e) = prev[j];
                if a != b {
                    e[0] += 1;
                }
                (c + usize::from(a != b), e)
            };
            let del = {
                let (c, mut e) = prev[j + 1];
                e[1] += 1;
                (c + 1, e)
            };
            let ins = {
                let (c, mut e) = cur[j];
                e[2] += 1;
                (c + 1, e)
            };
            cur[j + 1] = [sub, del, ins].into_iter().min_by_key(|x| x.0).unwrap();
        }
        prev = cur;
    }
    prev[h.len()].1
}

/// Phrases of two or more words that come twice in a row.
fn doubled(h: &[String]) -> usize {
    let mut n = 0;
    for len in 2..=8usize {
        for i in 0..h.len().saturating_sub(2 * len - 1) {
            if h[i..i + len] == h[i + len..i + 2 * len] {
                n += 1;
            }
        }
    }
    n
}

fn audio_of(path: &Path) -> Vec<f32> {
    let input = CallInput::Sides {
        agent: None,
        customer: Some(path.to_owned()),
    };
    let mut r = CallReader::open(&input).expect("readable audio");
    let (mut a, mut c, mut all) = (Vec::new(), Vec::new(), Vec::new());
    while r.next_block(16_000, &mut a, &mut c).unwrap() {
        all.extend_from_slice(&c);
    }
    all
}

/// The speaker's text, the time the replay took, its utterances and how many of them were
/// decoded a second time (the repetition guard fired).
fn streaming(cfg: &Config, input: CallInput, speaker: Speaker) -> (String, f64, [usize; 2]) {
    let replay = Replay {
        input,
        speed: Speed::Max,
        config: cfg.clone(),
        playbook: Playbook::default(),
        transcribe: true,
        live_asr: false,
        split_calls: false,
        model: None,
    };
    let started = Instant::now();
    let mut texts = Vec::new();
    let mut counts = [0, 0];
    replay::run(&replay, |e| {
        if let EventBody::Utterance(u) = &e.body
            && u.speaker == speaker
        {
            texts.push(u.text.clone());
            counts[0] += 1;
            counts[1] += usize::from(u.features.second_pass);
        }
        Ok(())
    })
    .expect("replay");
    (texts.join(" "), started.elapsed().as_secs_f64(), counts)
}

#[derive(Default)]
struct Tally {
    words: usize,
    stream: [usize; 3],
    whole: [usize; 3],
    doubled: usize,
    utterances: usize,
    second_passes: usize,
    stream_s: f64,
    whole_s: f64,
    audio_s: f64,
}

fn wer(e: &[usize; 3], n: usize) -> String {
    format!(
        "{:5.1} % ({}/{}/{})",
        100.0 * (e[0] + e[1] + e[2]) as f64 / n.max(1) as f64,
        e[0],
        e[1],
        e[2]
    )
}

/// The config to measure: the defaults, or `--config FILE` over them (to try a setting).
fn config() -> Config {
    let args: Vec<String> = std::env::args().collect();
    let mut cfg = match args.iter().position(|a| a == "--config") {
        Some(k) => Config::from_file(Path::new(&args[k + 1])).expect("the --config file"),
        None => Config::default(),
    };
    cfg.model.path =
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/ggml-tiny.en-q8_0.bin"));
    cfg
}

/// Whole-file reference texts already made (they do not change while the streaming path
/// is tuned): `whole-file.tsv` beside the manifest, path and text, with their times.
fn cached(base: &Path) -> BTreeMap<String, (String, f64)> {
    std::fs::read_to_string(base.join("whole-file.tsv"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut f = l.splitn(3, '\t');
            let (p, t, x) = (f.next()?, f.next()?, f.next()?);
            Some((p.to_string(), (x.to_string(), t.parse().ok()?)))
        })
        .collect()
}

fn manifest(path: &Path) {
    let cfg = config();
    let model = WhisperModel::load(&verified_model(&cfg.model).unwrap()).unwrap();
    let base = path.parent().unwrap();
    let mut cache = cached(base);
    let mut rd = csv::Reader::from_path(path).expect("manifest");
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    println!("file | words | streaming S/D/I | whole-file S/D/I | doubled");
    let only = std::env::args()
        .position(|a| a == "--only")
        .and_then(|k| std::env::args().nth(k + 1));
    for row in rd.records() {
        let row = row.unwrap();
        let (file, reference, variant, level, band, split) =
            (&row[0], &row[1], &row[4], &row[5], &row[6], &row[7]);
        if only.as_deref().is_some_and(|o| !file.contains(o)) {
            continue;
        }
        let wav = base.join(file);
        let r = words(reference);
        let (s_text, s_time, counts) = streaming(
            &cfg,
            CallInput::Sides {
                agent: None,
                customer: Some(wav.clone()),
            },
            Speaker::Customer,
        );
        let audio = audio_of(&wav);
        let (w_text, w_time) = cache
            .entry(file.to_string())
            .or_insert_with(|| {
                let t = Instant::now();
                let text = model.whole_file(&audio, 1).unwrap();
                (text, t.elapsed().as_secs_f64())
            })
            .clone();
        let (s, w) = (sdi(&r, &words(&s_text)), sdi(&r, &words(&w_text)));
        let d = doubled(&words(&s_text));
        println!(
            "{file} | {} | {:?} | {:?} | {d}\n  streaming: {s_text}\n  whole:     {w_text}",
            r.len(),
            s,
            w
        );
        let condition = match variant {
            "quiet" => format!("quiet {level} dBFS"),
            _ => format!("{variant} ({band})"),
        };
        for key in [
            format!("{condition} / {split}"),
            format!("all / {split}"),
            "all".into(),
        ] {
            let t = tallies.entry(key).or_default();
            t.words += r.len();
            for k in 0..3 {
                t.stream[k] += s[k];
                t.whole[k] += w[k];
            }
            t.doubled += d;
            t.utterances += counts[0];
            t.second_passes += counts[1];
            t.stream_s += s_time;
            t.whole_s += w_time;
            t.audio_s += audio.len() as f64 / 16_000.0;
        }
    }
    let tsv: String = cache
        .iter()
        .map(|(p, (x, t))| format!("{p}\t{t:.2}\t{x}\n"))
        .collect();
    std::fs::write(base.join("whole-file.tsv"), tsv).unwrap();
    println!(
        "\ncondition / split | words | streaming WER (S/D/I) | whole-file WER (S/D/I) | doubled | second passes | streaming s | whole-file s | audio s"
    );
    for (k, t) in &tallies {
        println!(
            "{k} | {} | {} | {} | {} | {} of {} | {:.1} | {:.1} | {:.1}",
            t.words,
            wer(&t.stream, t.words),
            wer(&t.whole, t.words),
            t.doubled,
            t.second_passes,
            t.utterances,
            t.stream_s,
            t.whole_s,
            t.audio_s
        );
    }
}

/// Speed on a two-channel call: Hearken's replay (both sides, whisper on) against the
/// whole-file reference on each channel, one after the other, one thread, in the same run.
fn call(path: &Path) {
    let cfg = config();
    let (_, replay_s, _) = streaming(
        &cfg,
        CallInput::Stereo {
            path: path.to_owned(),
            agent: Channel::Left,
        },
        Speaker::Agent,
    );
    let model = WhisperModel::load(&verified_model(&cfg.model).unwrap()).unwrap();
    let mut reader = CallReader::open(&CallInput::Stereo {
        path: path.to_owned(),
        agent: Channel::Left,
    })
    .unwrap();
    let (mut a, mut c, mut sides) = (Vec::new(), Vec::new(), [Vec::new(), Vec::new()]);
    while reader.next_block(16_000, &mut a, &mut c).unwrap() {
        sides[0].extend_from_slice(&a);
        sides[1].extend_from_slice(&c);
    }
    let t = Instant::now();
    for side in &sides {
        model.whole_file(side, 1).unwrap();
    }
    let whole_s = t.elapsed().as_secs_f64();
    println!(
        "{}: {:.1} min of call; Hearken's replay {replay_s:.1} s; whole-file reference, both channels, {whole_s:.1} s; ratio {:.3}",
        path.display(),
        sides[0].len() as f64 / 16_000.0 / 60.0,
        replay_s / whole_s
    );
}

fn main() {
    // Options (--config FILE, --only TEXT) first; the last word is the manifest or call.
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().position(|a| a == "--call") {
        Some(k) => call(Path::new(&args[k + 1])),
        None => match args.last() {
            Some(m) if m.ends_with(".csv") => manifest(Path::new(m)),
            _ => eprintln!(
                "usage: asr_compare [--config FILE] [--only TEXT] MANIFEST.csv | [--config FILE] --call CALL.wav"
            ),
        },
    }
}

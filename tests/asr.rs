//! Whisper's honesty guards, proven on real silence, noise and music-like tones with the real
//! model, and a real recording to show the guards do not swallow speech. Each input is given
//! a loudness well over its line's floor, so it passes the quiet gate and really reaches
//! whisper (`dropped` is never "quiet" there): what keeps these free of text is whisper's own
//! guards.

mod common;

use common::*;
use hearken::asr::{Loudness, Transcribe, Whisper};
use hearken::config::AsrConfig;

fn whisper() -> Whisper {
    Whisper::load(&model(), &AsrConfig::default()).expect("load the model")
}

fn level_db(x: &[f32]) -> f32 {
    10.0 * (x.iter().map(|s| s * s).sum::<f32>() / x.len() as f32 + 1e-12).log10()
}

/// A loudness the quiet gate lets through: `db` over a floor 30 dB down.
fn passing(db: f32) -> Loudness {
    Loudness {
        speech_db: db,
        floor_db: db - 30.0,
    }
}

/// Whisper heard it (the gate did not stop it) and said nothing.
fn heard_nothing(t: &hearken::asr::Transcript, what: &str) {
    assert_ne!(t.dropped, Some("quiet"), "{what} never reached whisper");
    assert_eq!(t.text, "", "{what} gave {:?} ({:?})", t.text, t.dropped);
}

fn noise(seconds: f32, rms: f32, mut seed: u32) -> Vec<f32> {
    (0..(seconds * 16_000.0) as usize)
        .map(|_| {
            seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
            ((seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * rms * 3.46
        })
        .collect()
}

fn chords(seconds: f32) -> Vec<f32> {
    // A slow arpeggio of pure tones with harmonics: "hold music".
    let notes = [261.6f32, 329.6, 392.0, 523.3];
    (0..(seconds * 16_000.0) as usize)
        .map(|i| {
            let t = i as f32 / 16_000.0;
            let f = notes[(t * 2.0) as usize % notes.len()];
            (1..4)
                .map(|h| (2.0 * std::f32::consts::PI * f * h as f32 * t).sin() * 0.1 / h as f32)
                .sum()
        })
        .collect()
}

#[test]
fn digital_silence_gives_no_text() {
    let mut w = whisper();
    // The gate stops it (no sound at all)...
    let t = w
        .transcribe(
            &vec![0.0; 32_000],
            Loudness {
                speech_db: -120.0,
                floor_db: -120.0,
            },
        )
        .unwrap();
    assert_eq!(t.dropped, Some("quiet"));
    // ...and whisper, made to hear it anyway, says nothing either.
    let t = w.transcribe(&vec![0.0; 32_000], passing(-40.0)).unwrap();
    heard_nothing(&t, "digital silence");
}

#[test]
fn noise_gives_no_text() {
    let mut w = whisper();
    // From the quietest line noise (-60 dBFS, under the old -50 dBFS level gate that hid
    // whisper's behaviour) to loud hiss.
    for (rms, seed) in [(0.001f32, 4u32), (0.003, 1), (0.02, 2), (0.05, 3)] {
        let x = noise(3.0, rms, seed);
        let t = w.transcribe(&x, passing(level_db(&x))).unwrap();
        println!(
            "noise {:.0} dBFS: dropped {:?}, no_speech {:.2}",
            level_db(&x),
            t.dropped,
            t.no_speech_prob
        );
        heard_nothing(&t, &format!("noise at {:.0} dBFS", level_db(&x)));
    }
}

#[test]
fn music_like_tones_give_no_text() {
    let mut w = whisper();
    for gain in [1.0f32, 0.05] {
        let x: Vec<f32> = chords(4.0).iter().map(|s| s * gain).collect();
        let t = w.transcribe(&x, passing(level_db(&x))).unwrap();
        println!(
            "tones at {:.0} dBFS: dropped {:?}, no_speech {:.2}",
            level_db(&x),
            t.dropped,
            t.no_speech_prob
        );
        heard_nothing(&t, &format!("tones at {:.0} dBFS", level_db(&x)));
    }
}

#[test]
fn real_speech_passes_the_guards_with_word_times() {
    let mut w = whisper();
    let mut r = hound::WavReader::open(fixture("speech/jfk.wav")).unwrap();
    let x: Vec<f32> = r
        .samples::<i16>()
        .map(|s| s.unwrap() as f32 / 32768.0)
        .collect();
    let t = w.transcribe(&x, passing(level_db(&x))).unwrap();
    assert_eq!(t.dropped, None);
    let reference = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.";
    assert!(wer(reference, &t.text) <= 0.1, "{:?}", t.text);
    // Word times are within the clip and in order.
    assert!(t.words.len() >= 18, "{:?}", t.words);
    assert!(t.words.windows(2).all(|w| w[0].1 <= w[1].1));
    assert!(t.words.last().unwrap().2 <= 11_000);
}

/// Speech on a quiet line is transcribed: the gate judges it against the line's floor, not
/// against an absolute level.
#[test]
fn quiet_speech_over_a_quiet_line_is_heard() {
    let mut w = whisper();
    let mut r = hound::WavReader::open(fixture("speech/jfk.wav")).unwrap();
    let x: Vec<f32> = r
        .samples::<i16>()
        .map(|s| s.unwrap() as f32 / 32768.0)
        .collect();
    // 30 dB down: about -58 dBFS, over a floor 20 dB under it.
    let quiet: Vec<f32> = x.iter().map(|s| s * 0.0316).collect();
    let db = level_db(&quiet);
    let t = w
        .transcribe(
            &quiet,
            Loudness {
                speech_db: db,
                floor_db: db - 20.0,
            },
        )
        .unwrap();
    assert_eq!(t.dropped, None, "{db:.0} dBFS speech dropped");
    let reference = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.";
    assert!(
        wer(reference, &t.text) <= 0.15,
        "{db:.0} dBFS: {:?}",
        t.text
    );
}

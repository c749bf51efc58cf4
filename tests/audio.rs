//! Reading recorded calls: every common WAV form becomes aligned 16 kHz audio per speaker.

mod common;

use common::*;
use hearken::audio::wav::WavFile;
use hearken::audio::{AudioError, CallInput, CallReader};
use hearken::contract::Channel;
use std::path::Path;

fn read_all(input: &CallInput) -> (Vec<f32>, Vec<f32>) {
    let mut r = CallReader::open(input).unwrap();
    let (mut a, mut c) = (Vec::new(), Vec::new());
    let (mut ba, mut bc) = (Vec::new(), Vec::new());
    while r.next_block(1000, &mut ba, &mut bc).unwrap() {
        a.extend_from_slice(&ba);
        c.extend_from_slice(&bc);
    }
    (a, c)
}

fn read_file(path: &Path) -> Vec<f32> {
    let mut f = WavFile::open(path).unwrap();
    let mut out = Vec::new();
    while f.read_frames(4096, &mut out).unwrap() > 0 {}
    out
}

#[test]
fn g711_decodes_exactly_as_sox_does() {
    for (law, pcm) in [
        ("formats/jfk_mulaw_8k.wav", "formats/jfk_mulaw_8k.pcm16.wav"),
        ("formats/jfk_alaw_8k.wav", "formats/jfk_alaw_8k.pcm16.wav"),
    ] {
        let ours = read_file(&fixture(law));
        let sox = read_file(&fixture(pcm));
        assert_eq!(ours.len(), sox.len(), "{law}");
        assert!(ours.len() > 20_000);
        let differ = ours.iter().zip(&sox).filter(|(a, b)| a != b).count();
        assert_eq!(
            differ, 0,
            "{law}: {differ} samples differ from sox's decoding"
        );
    }
}

#[test]
fn every_common_pcm_form_and_rate_reads_as_the_same_16k_signal() {
    let dir = tmpdir();
    let tone = |rate: u32| {
        move |i: usize, c: usize| {
            let hz = if c == 0 { 300.0 } else { 500.0 };
            0.4 * (2.0 * std::f64::consts::PI * hz * i as f64 / rate as f64).sin()
        }
    };
    for (rate, bits, float) in [
        (8_000u32, 16u16, false),
        (16_000, 8, false),
        (16_000, 24, false),
        (16_000, 32, false),
        (16_000, 32, true),
        (22_050, 16, false),
        (44_100, 16, false),
        (48_000, 24, false),
        (96_000, 16, false),
    ] {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: rate,
            bits_per_sample: bits,
            sample_format: if float {
                hound::SampleFormat::Float
            } else {
                hound::SampleFormat::Int
            },
        };
        let path = dir.path().join(format!("t_{rate}_{bits}_{float}.wav"));
        write_wav(&path, spec, rate as usize * 2, tone(rate));
        let (agent, customer) = read_all(&CallInput::Stereo {
            path: path.clone(),
            agent: Channel::Left,
        });
        assert_eq!(agent.len(), 32_000, "{}", path.display());
        assert_eq!(customer.len(), 32_000);
        // Agent (left) carries 300 Hz, customer (right) 500 Hz, in phase with the original.
        // (A resampler may shift by a fraction of a sample, ~0.02 here; a whole sample would be ~0.05.)
        let reference = tone(16_000);
        let mean_err = |x: &[f32], c: usize| {
            (1000..31_000)
                .map(|i| (x[i] as f64 - reference(i, c)).abs())
                .sum::<f64>()
                / 30_000.0
        };
        let (ea, ec) = (mean_err(&agent, 0), mean_err(&customer, 1));
        assert!(
            ea < 0.03 && ec < 0.03,
            "{}: mean error {ea} / {ec}",
            path.display()
        );
    }
}

#[test]
fn agent_channel_right_swaps_the_speakers() {
    let path = fixture("real_voices.wav");
    let (l_agent, l_customer) = read_all(&CallInput::Stereo {
        path: path.clone(),
        agent: Channel::Left,
    });
    let (r_agent, r_customer) = read_all(&CallInput::Stereo {
        path,
        agent: Channel::Right,
    });
    assert_eq!(l_agent, r_customer);
    assert_eq!(l_customer, r_agent);
    assert_ne!(l_agent, l_customer);
}

#[test]
fn two_mono_files_or_one_side_align_on_one_clock() {
    let dir = tmpdir();
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let a = dir.path().join("a.wav");
    let c = dir.path().join("c.wav");
    write_wav(&a, spec, 16_000, |_, _| 0.25);
    write_wav(&c, spec, 24_000, |_, _| -0.5);
    let (agent, customer) = read_all(&CallInput::Sides {
        agent: Some(a),
        customer: Some(c.clone()),
    });
    assert_eq!(agent.len(), 24_000);
    assert_eq!(customer.len(), 24_000);
    assert!(agent[..16_000].iter().all(|&x| (x - 0.25).abs() < 1e-3));
    assert!(
        agent[16_000..].iter().all(|&x| x == 0.0),
        "the shorter side is padded with silence"
    );
    let (agent, customer) = read_all(&CallInput::Sides {
        agent: None,
        customer: Some(c),
    });
    assert!(agent.iter().all(|&x| x == 0.0));
    assert!(customer.iter().all(|&x| (x + 0.5).abs() < 1e-3));
}

#[test]
fn bad_files_give_errors_that_name_the_file() {
    let dir = tmpdir();
    let text = dir.path().join("notes.wav");
    std::fs::write(&text, "this is not audio").unwrap();
    let err = CallReader::open(&CallInput::Stereo {
        path: text.clone(),
        agent: Channel::Left,
    })
    .err()
    .unwrap();
    assert!(matches!(err, AudioError::Unreadable { .. }), "{err}");
    assert!(err.to_string().contains("notes.wav"), "{err}");

    let missing = dir.path().join("nope.wav");
    let err = WavFile::open(&missing).unwrap_err();
    assert!(matches!(err, AudioError::Open { .. }));
    assert!(err.to_string().contains("nope.wav"));

    // Truncated in the middle of the data: refused before any sample is read, saying how
    // much is there and how to keep it.
    let whole = std::fs::read(fixture("calm.wav")).unwrap();
    let cut = dir.path().join("cut.wav");
    std::fs::write(&cut, &whole[..whole.len() / 3 + 1]).unwrap();
    let err = WavFile::open(&cut).unwrap_err();
    assert!(matches!(err, AudioError::Damaged { .. }), "{err}");
    for m in ["cut.wav", "cut short", "sox --ignore-length"] {
        assert!(err.to_string().contains(m), "{err}");
    }
}

//! Whisper's cost per utterance: tiny.en on one thread, utterances of 2, 5 and 11 s of real
//! speech (jfk.wav). Real-time factor = median time / utterance length.

use criterion::{Criterion, criterion_group, criterion_main};
use hearken::asr::{Transcribe, Whisper};
use hearken::config::AsrConfig;
use std::path::PathBuf;
use std::time::Duration;

fn transcription(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut whisper = Whisper::load(
        &root.join("models/ggml-tiny.en-q8_0.bin"),
        &AsrConfig::default(),
    )
    .expect("the model (models/fetch-model.sh)");
    let mut r = hound::WavReader::open(root.join("tests/fixtures/speech/jfk.wav")).unwrap();
    let speech: Vec<f32> = r
        .samples::<i16>()
        .map(|s| s.unwrap() as f32 / 32768.0)
        .collect();
    let mut group = c.benchmark_group("transcribe");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    for secs in [2usize, 5, 11] {
        let clip = &speech[..(secs * 16_000).min(speech.len())];
        group.bench_function(format!("{secs}s_of_speech"), |b| {
            b.iter(|| {
                whisper
                    .transcribe(
                        clip,
                        hearken::asr::Loudness {
                            speech_db: -20.0,
                            floor_db: -60.0,
                        },
                    )
                    .unwrap()
                    .text
                    .len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, transcription);
criterion_main!(benches);

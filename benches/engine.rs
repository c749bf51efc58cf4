//! How fast the engine analyses a call, whisper excluded: speech activity, levels, turns.
//!
//! Reads a fixture call into memory first, so only the engine is timed. The figure the README
//! quotes is "seconds of two-channel call per second of CPU" = call duration / median time.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hearken::audio::{CallInput, CallReader};
use hearken::config::Config;
use hearken::contract::Channel;
use hearken::contract::Speaker;
use hearken::engine::{AsrMode, Engine};
use hearken::playbook::Playbook;
use std::path::PathBuf;

fn load(name: &str) -> (hearken::contract::SourceInfo, Vec<f32>, Vec<f32>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let mut r = CallReader::open(&CallInput::Stereo {
        path,
        agent: Channel::Left,
    })
    .expect("fixture call");
    let (mut a, mut c, mut ba, mut bc) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    while r.next_block(16_000, &mut ba, &mut bc).unwrap() {
        a.extend_from_slice(&ba);
        c.extend_from_slice(&bc);
    }
    (r.info().clone(), a, c)
}

fn analysis(c: &mut Criterion) {
    let cfg = Config::default();
    let playbook = Playbook::default();
    let mut group = c.benchmark_group("analysis");
    for name in ["escalating.wav", "dead_air_monologue.wav"] {
        let (info, agent, customer) = load(name);
        group.throughput(Throughput::Elements(agent.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut engine = Engine::new(&cfg, &playbook, info.clone(), None, AsrMode::Wait);
                let mut events = Vec::with_capacity(1024);
                for (a, c) in agent.chunks(320).zip(customer.chunks(320)) {
                    engine.push(Speaker::Agent, a, &mut events);
                    engine.push(Speaker::Customer, c, &mut events);
                }
                engine.finish(&mut events);
                events.len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, analysis);
criterion_main!(benches);

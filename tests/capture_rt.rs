//! The capture callback is real-time safe: a counting global allocator, armed only on the
//! callback's thread while the callback runs, must count nothing. Checked on the callback
//! called directly with every sample format, and inside a real cpal stream on a real
//! PulseAudio server while audio plays (and while nobody drains the queue, so the
//! drop-and-count path runs too).

mod common;

use common::pulse::{AGENT_LINE, Pulse};
use common::*;
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use hearken::audio::capture::capture_pair;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

struct Counting;

// Counts are kept per thread, so tests running side by side never see each other's
// allocations; the real stream's callback thread hands its count over in `STREAM_COUNT`.
thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

static STREAM_COUNT: AtomicU64 = AtomicU64::new(0);

fn note() {
    if ARMED.try_with(|a| a.get()).unwrap_or(false) {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note();
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        note();
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Run `f` with the allocator counting on this thread; returns what it counted.
fn counted(f: impl FnOnce()) -> u64 {
    let before = COUNT.with(|c| c.get());
    ARMED.with(|a| a.set(true));
    f();
    ARMED.with(|a| a.set(false));
    COUNT.with(|c| c.get()) - before
}

#[test]
fn the_counter_sees_an_allocation() {
    // The instrument works: an allocation inside the armed region is counted.
    let n = counted(|| {
        let v: Vec<u8> = Vec::with_capacity(64);
        std::hint::black_box(v);
    });
    assert!(n >= 1);
}

#[test]
fn the_callback_allocates_nothing_for_any_format() {
    let (mut cb, q) = capture_pair(2, 480, 8);
    let i16s = vec![1000i16; 960];
    let f32s = vec![0.25f32; 960];
    let u8s = vec![200u8; 960];
    let i32s = vec![1 << 20; 960];
    let n = counted(|| {
        for _ in 0..3 {
            cb.on_data(&i16s);
            cb.on_data(&f32s);
            cb.on_data(&u8s);
            cb.on_data::<i32>(&i32s);
        }
        // Through the raw entry cpal calls, too.
        let data = unsafe {
            cpal::Data::from_parts(
                i16s.as_ptr() as *mut (),
                i16s.len(),
                cpal::SampleFormat::I16,
            )
        };
        cb.on_raw(&data);
    });
    assert_eq!(n, 0, "the callback allocated or freed {n} times");
    // The pool of 8 filled, the rest was counted as dropped: that path allocates nothing too.
    assert_eq!(q.blocks.len(), 8);
    assert!(q.stats.dropped_frames() > 0);
}

#[test]
fn the_callback_allocates_nothing_inside_a_real_stream() {
    let pulse = Pulse::start(&[&AGENT_LINE]);
    // cpal reads the server from the environment.
    let runtime = pulse.dir.path().join("runtime");
    unsafe {
        std::env::set_var("PULSE_SERVER", &pulse.server);
        std::env::set_var("XDG_RUNTIME_DIR", &runtime);
        std::env::set_var("PULSE_RUNTIME_PATH", &runtime);
        std::env::set_var("PULSE_COOKIE", pulse.dir.path().join("cookie"));
    }
    let host = cpal::host_from_id(cpal::HostId::PulseAudio).expect("the PulseAudio host");
    let device = host
        .input_devices()
        .unwrap()
        .find(|d| d.id().is_ok_and(|i| i.id() == AGENT_LINE.monitor()))
        .expect("the monitor source");
    let cfg = device.default_input_config().unwrap();
    let (mut cb, q) = capture_pair(cfg.channels() as usize, 960, 16);
    let stream = device
        .build_input_stream_raw(
            cpal::StreamConfig {
                channels: cfg.channels(),
                sample_rate: cfg.sample_rate(),
                buffer_size: cpal::BufferSize::Fixed(480),
            },
            cfg.sample_format(),
            move |data: &cpal::Data, _: &cpal::InputCallbackInfo| {
                let n = counted(|| cb.on_raw(data));
                STREAM_COUNT.fetch_add(n, Ordering::Relaxed);
            },
            |e| panic!("stream error: {e}"),
            Some(Duration::from_secs(5)),
        )
        .unwrap();
    stream.play().unwrap();
    let mut player = pulse.play(&AGENT_LINE, &fixture("calm.wav"));
    // Drain for a while, then stop draining so the queue fills and the callback drops.
    let until = std::time::Instant::now() + Duration::from_secs(2);
    while std::time::Instant::now() < until {
        while let Ok(b) = q.blocks.try_recv() {
            q.recycle.send(b).unwrap();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_secs(1));
    drop(stream);
    let _ = player.kill();
    let _ = player.wait();
    let callbacks = q.stats.callbacks.load(Ordering::Relaxed);
    let n = STREAM_COUNT.load(Ordering::Relaxed);
    assert!(callbacks > 50, "only {callbacks} callbacks");
    assert!(
        q.stats.dropped_frames() > 0,
        "the full-queue path did not run"
    );
    assert_eq!(n, 0, "{n} allocations inside {callbacks} real callbacks");
}

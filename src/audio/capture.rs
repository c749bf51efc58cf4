//! The audio thread's side of live capture: what runs inside cpal's callback.
//!
//! The callback is real-time code. It takes an empty block from a pool, copies the device's
//! samples into it as f32, and `try_send`s it to the capture thread; the capture thread
//! sends emptied blocks back. No allocation (blocks are made up front and circulate), no
//! lock (crossbeam's bounded channels are lock-free arrays), no logging, no waiting: when
//! the pool is empty or the queue full, the samples are counted as dropped and the callback
//! returns. Everything else (down-mixing, resampling, the engine) happens on other threads.
//!
//! Enforced, not only tested: the callback's body runs inside `assert_no_alloc`, and debug
//! builds of `hearken` install its allocator (`src/main.rs`), so any allocation there aborts
//! the process with a message. `HEARKEN_TEST_ALLOCATE_IN_CALLBACK=1` makes a debug build's
//! callback allocate on purpose, for the test that proves the guard fires.

use cpal::{FromSample, Sample, SampleFormat};
use crossbeam_channel::{Receiver, Sender, bounded};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Interleaved f32 samples from one callback (or part of one).
pub struct Block {
    pub samples: Vec<f32>,
    /// Valid samples in `samples` (frames x channels).
    pub len: usize,
    /// When the callback handed it over (for the block-to-events delay).
    pub arrived: Option<Instant>,
}

/// Counters the callback keeps and anyone may read: how much came, how much was dropped,
/// how long the callback took.
#[derive(Debug, Default)]
pub struct CaptureStats {
    pub callbacks: AtomicU64,
    pub frames: AtomicU64,
    pub dropped_frames: AtomicU64,
    pub dropped_blocks: AtomicU64,
    /// Overruns the device itself reported (its error callback, not the audio path).
    pub xruns: AtomicU64,
    /// Total and longest time spent inside the callback, ns.
    pub callback_ns_total: AtomicU64,
    pub callback_ns_max: AtomicU64,
}

impl CaptureStats {
    pub fn dropped_frames(&self) -> u64 {
        self.dropped_frames.load(Ordering::Relaxed)
    }
}

/// The callback's state. `on_data` is what cpal calls; it is a plain method so tests can
/// call it directly too (see tests/capture_rt.rs, which proves it allocates nothing).
pub struct CaptureCallback {
    free: Receiver<Block>,
    recycle: Sender<Block>,
    full: Sender<Block>,
    channels: usize,
    block_samples: usize,
    stats: Arc<CaptureStats>,
    /// Debug builds only: allocate in every callback, to prove the guard catches it.
    allocate_on_purpose: bool,
}

/// The capture thread's side: filled blocks arrive on `blocks`; send them back on `recycle`.
pub struct CaptureQueue {
    pub blocks: Receiver<Block>,
    pub recycle: Sender<Block>,
    pub stats: Arc<CaptureStats>,
    pub channels: usize,
}

/// Make a callback and its queue: `pool` blocks of `block_frames` frames each.
pub fn capture_pair(
    channels: usize,
    block_frames: usize,
    pool: usize,
) -> (CaptureCallback, CaptureQueue) {
    let block_samples = block_frames * channels.max(1);
    let (free_tx, free_rx) = bounded(pool);
    for _ in 0..pool {
        free_tx
            .try_send(Block {
                samples: vec![0.0; block_samples],
                len: 0,
                arrived: None,
            })
            .expect("the pool channel holds the pool");
    }
    let (full_tx, full_rx) = bounded(pool);
    let stats = Arc::new(CaptureStats::default());
    (
        CaptureCallback {
            free: free_rx,
            recycle: free_tx.clone(),
            full: full_tx,
            channels: channels.max(1),
            block_samples,
            stats: stats.clone(),
            allocate_on_purpose: cfg!(debug_assertions)
                && std::env::var_os("HEARKEN_TEST_ALLOCATE_IN_CALLBACK").is_some_and(|v| v == "1"),
        },
        CaptureQueue {
            blocks: full_rx,
            recycle: free_tx,
            stats,
            channels: channels.max(1),
        },
    )
}

impl CaptureCallback {
    /// Handle one callback's worth of raw device data, whatever its sample format. This is
    /// the whole of what the installed cpal callback does.
    pub fn on_raw(&mut self, data: &cpal::Data) {
        assert_no_alloc::assert_no_alloc(|| {
            if self.allocate_on_purpose {
                std::hint::black_box(Vec::<u8>::with_capacity(64));
            }
            self.convert_and_send(data)
        })
    }

    fn convert_and_send(&mut self, data: &cpal::Data) {
        macro_rules! as_f32 {
            ($($fmt:ident => $t:ty),*) => {
                match data.sample_format() {
                    $(SampleFormat::$fmt => {
                        if let Some(s) = data.as_slice::<$t>() {
                            self.on_data(s)
                        }
                    })*
                    // A format added to cpal later: counted as dropped, never silent.
                    _ => {
                        self.stats
                            .dropped_frames
                            .fetch_add((data.len() / self.channels) as u64, Ordering::Relaxed);
                    }
                }
            };
        }
        as_f32!(
            I8 => i8, I16 => i16, I24 => cpal::I24, I32 => i32, I64 => i64,
            U8 => u8, U16 => u16, U24 => cpal::U24, U32 => u32, U64 => u64,
            F32 => f32, F64 => f64
        );
    }

    /// Copy interleaved samples into pool blocks and hand them on.
    pub fn on_data<T: Sample>(&mut self, input: &[T])
    where
        f32: FromSample<T>,
    {
        let began = Instant::now();
        let stats = &self.stats;
        stats.callbacks.fetch_add(1, Ordering::Relaxed);
        stats
            .frames
            .fetch_add((input.len() / self.channels) as u64, Ordering::Relaxed);
        // Whole frames only per block.
        let per_block = self.block_samples - self.block_samples % self.channels;
        for chunk in input.chunks(per_block) {
            let frames = (chunk.len() / self.channels) as u64;
            let Ok(mut block) = self.free.try_recv() else {
                stats.dropped_frames.fetch_add(frames, Ordering::Relaxed);
                stats.dropped_blocks.fetch_add(1, Ordering::Relaxed);
                continue;
            };
            for (d, s) in block.samples.iter_mut().zip(chunk) {
                *d = s.to_sample::<f32>();
            }
            block.len = chunk.len();
            block.arrived = Some(began);
            if let Err(e) = self.full.try_send(block) {
                stats.dropped_frames.fetch_add(frames, Ordering::Relaxed);
                stats.dropped_blocks.fetch_add(1, Ordering::Relaxed);
                // Back to the pool (it always has room for its own blocks).
                let _ = self.recycle.try_send(e.into_inner());
            }
        }
        let ns = began.elapsed().as_nanos() as u64;
        stats.callback_ns_total.fetch_add(ns, Ordering::Relaxed);
        stats.callback_ns_max.fetch_max(ns, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_arrive_as_f32_in_whole_frames() {
        let (mut cb, q) = capture_pair(2, 4, 8);
        let input: Vec<i16> = (0..20).map(|k| k * 1000).collect();
        cb.on_data(&input);
        let mut got = Vec::new();
        while let Ok(b) = q.blocks.try_recv() {
            assert_eq!(b.len % 2, 0);
            got.extend_from_slice(&b.samples[..b.len]);
            q.recycle.send(b).unwrap();
        }
        assert_eq!(got.len(), 20);
        assert!((got[3] - 3000.0 / 32768.0).abs() < 1e-6);
    }

    #[test]
    fn a_full_queue_drops_and_counts_instead_of_waiting() {
        let (mut cb, q) = capture_pair(1, 10, 2);
        // Nobody reads: 2 blocks fit, the rest is counted.
        cb.on_data(&[0.5f32; 50]);
        assert_eq!(q.blocks.len(), 2);
        assert_eq!(q.stats.dropped_frames(), 30);
        assert_eq!(q.stats.frames.load(Ordering::Relaxed), 50);
    }
}

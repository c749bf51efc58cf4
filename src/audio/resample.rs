//! Any input rate to the engine's 16 kHz, streaming, with rubato.
//!
//! Recorded calls have a fixed rate, so the synchronous FFT resampler fits: fast and
//! high quality. It is fed fixed-size chunks; its start-up delay is trimmed and its tail
//! flushed, so output sample n lines up with input time n / 16 kHz exactly.

use audioadapter_buffers::direct::SequentialSliceOfVecs;
use rubato::{Fft, FixedSync, Indexing, Resampler};

use crate::contract::time::ENGINE_RATE;

const CHUNK: usize = 1024;

/// Converts interleaved audio at some rate into per-channel 16 kHz audio.
pub struct ToEngineRate {
    channels: usize,
    resampler: Option<Fft<f32>>,
    rate_in: u32,
    pending: Vec<Vec<f32>>,
    out_buf: Vec<Vec<f32>>,
    delay_left: usize,
    frames_in: u64,
    frames_out: u64,
}

impl ToEngineRate {
    pub fn new(rate_in: u32, channels: usize) -> Result<Self, String> {
        let resampler = if rate_in == ENGINE_RATE {
            None
        } else {
            Some(
                Fft::<f32>::new(
                    rate_in as usize,
                    ENGINE_RATE as usize,
                    CHUNK,
                    channels,
                    FixedSync::Input,
                )
                .map_err(|e| format!("cannot resample {rate_in} Hz to {ENGINE_RATE} Hz: {e}"))?,
            )
        };
        let (delay_left, out_len) = match &resampler {
            Some(r) => (r.output_delay(), r.output_frames_max()),
            None => (0, 0),
        };
        Ok(ToEngineRate {
            channels,
            resampler,
            rate_in,
            pending: vec![Vec::with_capacity(2 * CHUNK); channels],
            out_buf: vec![vec![0.0; out_len]; channels],
            delay_left,
            frames_in: 0,
            frames_out: 0,
        })
    }

    /// Feed interleaved frames; resampled audio is appended to `out[channel]`.
    pub fn push(&mut self, interleaved: &[f32], out: &mut [Vec<f32>]) {
        let ch = self.channels;
        self.frames_in += (interleaved.len() / ch) as u64;
        if self.resampler.is_none() {
            for frame in interleaved.chunks_exact(ch) {
                for (c, &s) in frame.iter().enumerate() {
                    out[c].push(s);
                }
            }
            self.frames_out = self.frames_in;
            return;
        }
        for frame in interleaved.chunks_exact(ch) {
            for (c, &s) in frame.iter().enumerate() {
                self.pending[c].push(s);
            }
        }
        while self.pending[0].len() >= self.next_in() {
            self.run_chunk(None, out);
        }
    }

    /// Flush the resampler's tail: after this, the output holds exactly the input's duration.
    pub fn finish(&mut self, out: &mut [Vec<f32>]) {
        if self.resampler.is_none() {
            return;
        }
        let target = self.frames_in * ENGINE_RATE as u64 / self.rate_in as u64;
        let mut guard = 0;
        while self.frames_out < target && guard < 64 {
            let have = self.pending[0].len().min(self.next_in());
            self.run_chunk(Some(have), out);
            guard += 1;
        }
        if self.frames_out > target {
            let extra = (self.frames_out - target) as usize;
            for o in out.iter_mut() {
                let keep = o.len().saturating_sub(extra);
                o.truncate(keep);
            }
            self.frames_out = target;
        }
    }

    fn next_in(&self) -> usize {
        self.resampler
            .as_ref()
            .map(|r| r.input_frames_next())
            .unwrap_or(CHUNK)
    }

    fn run_chunk(&mut self, partial: Option<usize>, out: &mut [Vec<f32>]) {
        let r = self.resampler.as_mut().expect("resampler present");
        let need = r.input_frames_next();
        let have = partial.unwrap_or(need);
        for p in self.pending.iter_mut() {
            if p.len() < need {
                p.resize(need, 0.0);
            }
        }
        let out_len = self.out_buf[0].len();
        let input = SequentialSliceOfVecs::new(&self.pending, self.channels, need)
            .expect("input buffers sized to the chunk");
        let mut output = SequentialSliceOfVecs::new_mut(&mut self.out_buf, self.channels, out_len)
            .expect("output buffers sized to the maximum");
        let indexing = Indexing {
            partial_len: partial,
            ..Indexing::new()
        };
        let (_, written) = r
            .process_into_buffer(&input, &mut output, Some(&indexing))
            .expect("buffers sized from the resampler's own limits");
        for p in self.pending.iter_mut() {
            p.drain(..have.min(p.len()));
            if partial.is_some() {
                p.clear();
            }
        }
        let skip = self.delay_left.min(written);
        self.delay_left -= skip;
        for (c, o) in out.iter_mut().enumerate() {
            o.extend_from_slice(&self.out_buf[c][skip..written]);
        }
        self.frames_out += (written - skip) as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, hz: f32, secs: f32) -> Vec<f32> {
        let n = (rate as f32 * secs) as usize;
        (0..n)
            .map(|i| (2.0 * std::f32::consts::PI * hz * i as f32 / rate as f32).sin() * 0.5)
            .collect()
    }

    #[test]
    fn resampled_length_and_phase_match_the_input_duration() {
        for rate in [8_000u32, 22_050, 44_100, 48_000] {
            let input = sine(rate, 440.0, 1.3);
            let mut r = ToEngineRate::new(rate, 1).unwrap();
            let mut out = vec![Vec::new()];
            for block in input.chunks(777) {
                r.push(block, &mut out);
            }
            r.finish(&mut out);
            let expect = input.len() as u64 * 16_000 / rate as u64;
            assert_eq!(out[0].len() as u64, expect, "rate {rate}");
            // No start-up delay: the output follows the same sine, in phase.
            let reference = sine(16_000, 440.0, 1.3);
            let err: f32 = (2000..3000)
                .map(|i| (out[0][i] - reference[i]).abs())
                .fold(0.0, f32::max);
            assert!(
                err < 0.05,
                "rate {rate}: max error {err} (a sample's shift would be ~0.07)"
            );
        }
    }

    #[test]
    fn a_click_comes_out_at_the_same_time() {
        // A sine would hide whole-period offsets; a single click cannot.
        for rate in [8_000u32, 22_050, 44_100, 48_000, 96_000] {
            let mut input = vec![0.0f32; rate as usize];
            input[rate as usize / 2] = 1.0;
            let mut r = ToEngineRate::new(rate, 1).unwrap();
            let mut out = vec![Vec::new()];
            for block in input.chunks(333) {
                r.push(block, &mut out);
            }
            r.finish(&mut out);
            let peak = (0..out[0].len())
                .max_by(|&a, &b| out[0][a].total_cmp(&out[0][b]))
                .unwrap();
            assert!(
                (peak as i64 - 8_000).abs() <= 1,
                "rate {rate}: click at {peak}, expected 8000"
            );
        }
    }
}

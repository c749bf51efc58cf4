//! A recorded call, whichever way it was stored, read as aligned 16 kHz blocks per speaker.
//!
//! Contact-centre recorders write agent and customer on the two channels of one file (which
//! one is which is configurable); some write two mono files; sometimes only one side exists.
//! The missing side is silence, so the engine always sees both speakers on one clock.

use super::AudioError;
use super::resample::ToEngineRate;
use super::wav::WavFile;
use crate::contract::{Channel, SourceInfo, Speaker};
use std::path::{Path, PathBuf};

/// Where a call's audio comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallInput {
    /// One two-channel file.
    Stereo { path: PathBuf, agent: Channel },
    /// One mono file per speaker; either may be absent (that side is silent).
    Sides {
        agent: Option<PathBuf>,
        customer: Option<PathBuf>,
    },
}

struct FileSide {
    file: WavFile,
    resampler: ToEngineRate,
    raw: Vec<f32>,
    /// Resampled audio per channel of the file, not yet handed out.
    ready: Vec<Vec<f32>>,
    done: bool,
}

impl FileSide {
    fn open(path: &Path, want_channels: Option<u16>) -> Result<FileSide, AudioError> {
        let file = WavFile::open(path)?;
        let f = file.format();
        if let Some(n) = want_channels
            && f.channels != n
        {
            let reason = if n == 2 {
                format!(
                    "it is mono, so it holds only one side of the call. Pass it as `--customer {}` or `--agent {}`",
                    path.display(),
                    path.display()
                )
            } else {
                format!(
                    "it has {} channels but a single speaker's file must be mono. Pass a two-channel call as the CALL argument, or extract one channel with `sox {} side.wav remix 1`",
                    f.channels,
                    path.display()
                )
            };
            return Err(AudioError::Unsupported {
                path: path.to_owned(),
                reason,
            });
        }
        let resampler =
            ToEngineRate::new(f.sample_rate, f.channels as usize).map_err(|reason| {
                AudioError::Unsupported {
                    path: path.to_owned(),
                    reason,
                }
            })?;
        Ok(FileSide {
            ready: vec![Vec::new(); f.channels as usize],
            file,
            resampler,
            raw: Vec::new(),
            done: false,
        })
    }

    /// Read until at least `n` resampled frames are ready or the file ends.
    fn fill(&mut self, n: usize) -> Result<(), AudioError> {
        while !self.done && self.ready[0].len() < n {
            self.raw.clear();
            let got = self.file.read_frames(4096, &mut self.raw)?;
            if got == 0 {
                self.resampler.finish(&mut self.ready);
                self.done = true;
            } else {
                self.resampler.push(&self.raw, &mut self.ready);
            }
        }
        Ok(())
    }
}

/// Reads a call in blocks of aligned agent and customer samples at 16 kHz.
pub struct CallReader {
    info: SourceInfo,
    /// (side, channel within that side) for agent and customer; None = silent.
    agent: Option<(usize, usize)>,
    customer: Option<(usize, usize)>,
    sides: Vec<FileSide>,
}

impl CallReader {
    pub fn open(input: &CallInput) -> Result<CallReader, AudioError> {
        match input {
            CallInput::Stereo { path, agent } => {
                let side = FileSide::open(path, Some(2))?;
                let f = side.file.format();
                let (a, c) = agent.indices();
                Ok(CallReader {
                    info: SourceInfo {
                        source: path.display().to_string(),
                        sample_rate: f.sample_rate,
                        channels: f.channels,
                    },
                    agent: Some((0, a)),
                    customer: Some((0, c)),
                    sides: vec![side],
                })
            }
            CallInput::Sides { agent, customer } => {
                let mut sides = Vec::new();
                let mut names = Vec::new();
                let mut map = [None, None];
                for (k, p) in [agent, customer].into_iter().enumerate() {
                    if let Some(p) = p {
                        sides.push(FileSide::open(p, Some(1))?);
                        map[k] = Some((sides.len() - 1, 0));
                        names.push(format!("{}={}", Speaker::BOTH[k].as_str(), p.display()));
                    }
                }
                if sides.is_empty() {
                    return Err(AudioError::Unsupported {
                        path: PathBuf::new(),
                        reason: "no audio given: pass a two-channel CALL, or --agent and/or --customer files".into(),
                    });
                }
                let f = sides[0].file.format();
                Ok(CallReader {
                    info: SourceInfo {
                        source: names.join(" "),
                        sample_rate: f.sample_rate,
                        channels: sides.len() as u16,
                    },
                    agent: map[0],
                    customer: map[1],
                    sides,
                })
            }
        }
    }

    pub fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// Replace `agent` and `customer` with the next block of up to `n` samples each (equal
    /// lengths). Returns false when the call has ended.
    pub fn next_block(
        &mut self,
        n: usize,
        agent: &mut Vec<f32>,
        customer: &mut Vec<f32>,
    ) -> Result<bool, AudioError> {
        for s in self.sides.iter_mut() {
            s.fill(n)?;
        }
        let len = self
            .sides
            .iter()
            .map(|s| s.ready[0].len().min(n))
            .max()
            .unwrap_or(0);
        if len == 0 {
            return Ok(false);
        }
        for (slot, out) in [(self.agent, &mut *agent), (self.customer, &mut *customer)] {
            out.clear();
            if let Some((side, ch)) = slot {
                let src = &self.sides[side].ready[ch];
                out.extend_from_slice(&src[..len.min(src.len())]);
            }
            // A side that ended early (or does not exist) is silent.
            out.resize(len, 0.0);
        }
        for s in self.sides.iter_mut() {
            for ch in s.ready.iter_mut() {
                let k = len.min(ch.len());
                ch.drain(..k);
            }
        }
        Ok(true)
    }
}

//! Where a run's events go: the one place an `--events` argument becomes a writer.
//!
//! `-` is JSON Lines on stdout; a path is JSON Lines in a file written whole or not at all
//! (see [`file`](super::file)); a folder (one that exists, or a path ending in `/`) gets one
//! such file per call, `PREFIXcall-001.jsonl` and on, and `PREFIXbetween-calls.jsonl` for what
//! happened outside any call; no path is the caller's default (the readable timeline on
//! stdout, or nothing when a report is the output).

use super::file::AtomicFile;
use super::{JsonLines, timeline};
use crate::contract::Event;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// What to do with events when no `--events` was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Otherwise {
    /// The readable timeline on stdout.
    Timeline,
    /// JSON Lines on stdout.
    JsonLines,
    /// Nothing (another output, such as a report, is what was asked for).
    Discard,
}

enum Writer {
    Stdout(JsonLines<io::Stdout>),
    File(JsonLines<AtomicFile>, PathBuf),
    PerCall(PerCall),
    Timeline(io::Stdout),
    Discard,
}

/// One file per call in a folder.
struct PerCall {
    dir: PathBuf,
    prefix: String,
    /// The file being written, and the call it is for (None: between calls).
    open: Option<(Option<u32>, JsonLines<AtomicFile>)>,
    /// Between-calls events so far (appended to one file, rewritten whole each time).
    between: Vec<u8>,
}

impl PerCall {
    fn write(&mut self, e: &Event) -> io::Result<()> {
        let Some(id) = e.call_id else {
            serde_json::to_writer(&mut self.between, e)?;
            self.between.push(b'\n');
            let path = self.dir.join(format!("{}between-calls.jsonl", self.prefix));
            return super::file::write_whole(&path, &self.between);
        };
        if self.open.as_ref().is_none_or(|(c, _)| *c != Some(id)) {
            self.commit()?;
            let path = self.dir.join(format!("{}call-{id:03}.jsonl", self.prefix));
            self.open = Some((Some(id), JsonLines::new(AtomicFile::create(&path)?)));
        }
        let (_, jl) = self.open.as_mut().expect("opened above");
        jl.write(e)?;
        if matches!(e.body, crate::contract::EventBody::CallEnd { .. }) {
            self.commit()?;
        }
        Ok(())
    }

    fn commit(&mut self) -> io::Result<()> {
        match self.open.take() {
            Some((_, jl)) => jl.into_inner().commit(),
            None => Ok(()),
        }
    }
}

/// An open destination for events. [`EventSink::finish`] completes it: a file appears only
/// then, so a failed run leaves none.
pub struct EventSink {
    writer: Writer,
}

impl EventSink {
    /// `events` as `--events` gave it (`-` for stdout), else `otherwise`.
    pub fn open(events: Option<&Path>, otherwise: Otherwise) -> io::Result<EventSink> {
        Self::open_named(events, otherwise, "")
    }

    /// As [`EventSink::open`]; per-call files in a folder begin with `prefix`.
    pub fn open_named(
        events: Option<&Path>,
        otherwise: Otherwise,
        prefix: &str,
    ) -> io::Result<EventSink> {
        let writer = match events {
            Some(p) if p == Path::new("-") => Writer::Stdout(JsonLines::new(io::stdout())),
            Some(p) if p.is_dir() || p.as_os_str().to_string_lossy().ends_with('/') => {
                std::fs::create_dir_all(p)?;
                Writer::PerCall(PerCall {
                    dir: p.to_owned(),
                    prefix: prefix.to_string(),
                    open: None,
                    between: Vec::new(),
                })
            }
            Some(p) => Writer::File(JsonLines::new(AtomicFile::create(p)?), p.to_owned()),
            None => match otherwise {
                Otherwise::Timeline => Writer::Timeline(io::stdout()),
                Otherwise::JsonLines => Writer::Stdout(JsonLines::new(io::stdout())),
                Otherwise::Discard => Writer::Discard,
            },
        };
        Ok(EventSink { writer })
    }

    pub fn timeline() -> EventSink {
        EventSink {
            writer: Writer::Timeline(io::stdout()),
        }
    }

    /// The file being written, if the events go to one.
    pub fn path(&self) -> Option<&Path> {
        match &self.writer {
            Writer::File(_, p) => Some(p),
            Writer::PerCall(p) => Some(&p.dir),
            _ => None,
        }
    }

    pub fn write(&mut self, e: &Event) -> io::Result<()> {
        match &mut self.writer {
            Writer::Stdout(jl) => jl.write(e),
            Writer::File(jl, _) => jl.write(e),
            Writer::PerCall(p) => p.write(e),
            Writer::Timeline(out) => match timeline::line(e) {
                Some(l) => writeln!(out.lock(), "{l}"),
                None => Ok(()),
            },
            Writer::Discard => Ok(()),
        }
    }

    /// Flush, and put a file in place.
    pub fn finish(self) -> io::Result<()> {
        match self.writer {
            Writer::Stdout(mut jl) => jl.flush(),
            Writer::File(jl, _) => jl.into_inner().commit(),
            // A call still open when the run stopped is written as far as it got.
            Writer::PerCall(mut p) => p.commit(),
            Writer::Timeline(mut out) => out.flush(),
            Writer::Discard => Ok(()),
        }
    }
}

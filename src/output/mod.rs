//! Edges out: where events go. JSON Lines for tools, a readable timeline for people, and
//! files that are written whole or not at all.

pub mod file;
pub mod sink;
pub mod timeline;

use crate::contract::Event;
use std::io::Write;

/// Writes each event as one JSON object per line.
pub struct JsonLines<W: Write> {
    out: W,
}

impl<W: Write> JsonLines<W> {
    pub fn new(out: W) -> Self {
        JsonLines { out }
    }

    pub fn write(&mut self, e: &Event) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, e)?;
        self.out.write_all(b"\n")
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

//! Reading WAV files in every form a contact-centre recorder writes: 8/16/24/32-bit integer,
//! 32-bit float, and telephony G.711 (mu-law, A-law), mono or two-channel.
//!
//! hound reads PCM and float. It does not decode G.711 (format tags 6 and 7), which call
//! recorders use a lot, so those are decoded here: the codec is a 256-entry table, far less
//! than another dependency would cost.

use super::AudioError;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Lowest and highest sample rates accepted: below 8 kHz there is no intelligible speech,
/// above 192 kHz no recorder writes calls.
pub const MIN_RATE: u32 = 8_000;
pub const MAX_RATE: u32 = 192_000;
/// More channels than this is not a call recording.
pub const MAX_CHANNELS: u16 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Int(u16),
    Float32,
    MuLaw,
    ALaw,
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Encoding::Int(b) => write!(f, "{b}-bit PCM"),
            Encoding::Float32 => f.write_str("32-bit float"),
            Encoding::MuLaw => f.write_str("G.711 mu-law"),
            Encoding::ALaw => f.write_str("G.711 A-law"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavFormat {
    pub sample_rate: u32,
    pub channels: u16,
    pub encoding: Encoding,
}

enum Inner {
    Hound(hound::WavReader<BufReader<File>>),
    G711 {
        reader: BufReader<File>,
        remaining: u64,
        table: &'static [i16; 256],
    },
}

/// A WAV file read in blocks of interleaved f32 samples in [-1, 1].
pub struct WavFile {
    path: PathBuf,
    format: WavFormat,
    inner: Inner,
    scratch: Vec<u8>,
}

impl std::fmt::Debug for WavFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavFile")
            .field("path", &self.path)
            .field("format", &self.format)
            .finish()
    }
}

const WAVE_FORMAT_ALAW: u16 = 6;
const WAVE_FORMAT_MULAW: u16 = 7;

impl WavFile {
    pub fn open(path: &Path) -> Result<WavFile, AudioError> {
        let unreadable = |reason: String| AudioError::Unreadable {
            path: path.to_owned(),
            reason,
        };
        if path.is_dir() {
            return Err(AudioError::Folder {
                path: path.to_owned(),
            });
        }
        let file = File::open(path).map_err(|cause| AudioError::Open {
            path: path.to_owned(),
            cause,
        })?;
        let file_len = file.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
        let mut reader = BufReader::new(file);
        let header = read_header(&mut reader).map_err(unreadable)?;
        check_length(path, &header, file_len)?;
        let format = match header.format_tag {
            WAVE_FORMAT_ALAW | WAVE_FORMAT_MULAW => {
                if header.bits != 8 {
                    return Err(unreadable(format!(
                        "G.711 with {} bits per sample (must be 8)",
                        header.bits
                    )));
                }
                WavFormat {
                    sample_rate: header.sample_rate,
                    channels: header.channels,
                    encoding: if header.format_tag == WAVE_FORMAT_ALAW {
                        Encoding::ALaw
                    } else {
                        Encoding::MuLaw
                    },
                }
            }
            _ => {
                reader
                    .seek(SeekFrom::Start(0))
                    .map_err(|e| unreadable(e.to_string()))?;
                let hound = hound::WavReader::new(reader).map_err(|e| unreadable(describe(e)))?;
                let spec = hound.spec();
                let encoding = match (spec.sample_format, spec.bits_per_sample) {
                    (hound::SampleFormat::Int, b @ (8 | 16 | 24 | 32)) => Encoding::Int(b),
                    (hound::SampleFormat::Float, 32) => Encoding::Float32,
                    (fmt, b) => {
                        return Err(unreadable(format!("{b}-bit {fmt:?} samples")));
                    }
                };
                let format = WavFormat {
                    sample_rate: spec.sample_rate,
                    channels: spec.channels,
                    encoding,
                };
                check_layout(path, &format)?;
                return Ok(WavFile {
                    path: path.to_owned(),
                    format,
                    inner: Inner::Hound(hound),
                    scratch: Vec::new(),
                });
            }
        };
        check_layout(path, &format)?;
        reader
            .seek(SeekFrom::Start(header.data_offset))
            .map_err(|e| unreadable(e.to_string()))?;
        let table = if format.encoding == Encoding::ALaw {
            &ALAW
        } else {
            &MULAW
        };
        Ok(WavFile {
            path: path.to_owned(),
            format,
            inner: Inner::G711 {
                reader,
                remaining: header.data_len,
                table,
            },
            scratch: Vec::new(),
        })
    }

    pub fn format(&self) -> WavFormat {
        self.format
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append up to `max_frames` frames of interleaved samples to `out`; returns the number of
    /// frames read (0 at the end). Non-finite samples become silence.
    pub fn read_frames(
        &mut self,
        max_frames: usize,
        out: &mut Vec<f32>,
    ) -> Result<usize, AudioError> {
        let ch = self.format.channels as usize;
        let want = max_frames * ch;
        let start = out.len();
        match &mut self.inner {
            Inner::Hound(r) => match self.format.encoding {
                Encoding::Float32 => {
                    for s in r.samples::<f32>().take(want) {
                        let v = s.map_err(|e| read_error(&self.path, e))?;
                        out.push(if v.is_finite() {
                            v.clamp(-1.0, 1.0)
                        } else {
                            0.0
                        });
                    }
                }
                Encoding::Int(bits) => {
                    let scale = 1.0 / (1u64 << (bits - 1)) as f32;
                    for s in r.samples::<i32>().take(want) {
                        let v = s.map_err(|e| read_error(&self.path, e))?;
                        out.push(v as f32 * scale);
                    }
                }
                _ => unreachable!("hound reads only PCM and float"),
            },
            Inner::G711 {
                reader,
                remaining,
                table,
            } => {
                let n = (want as u64).min(*remaining) as usize;
                self.scratch.resize(n, 0);
                let got = read_up_to(reader, &mut self.scratch).map_err(|e| AudioError::Read {
                    path: self.path.clone(),
                    reason: e.to_string(),
                })?;
                *remaining = if got < n { 0 } else { *remaining - got as u64 };
                out.extend(
                    self.scratch[..got]
                        .iter()
                        .map(|&b| table[b as usize] as f32 / 32768.0),
                );
            }
        }
        // A truncated file can end mid-frame: drop the partial frame.
        let read = out.len() - start;
        out.truncate(start + read - read % ch);
        Ok(read / ch)
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

fn read_error(path: &Path, e: hound::Error) -> AudioError {
    AudioError::Read {
        path: path.to_owned(),
        reason: describe(e),
    }
}

fn describe(e: hound::Error) -> String {
    match e {
        hound::Error::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "the file ends early (truncated)".to_string()
        }
        // hound's words for the same thing when a sample is cut in half.
        hound::Error::FormatError(m) if m.contains("enough bytes") => {
            "the file ends early (truncated)".to_string()
        }
        other => other.to_string(),
    }
}

/// The data chunk must fit in the file. Recorders that crash, copies that stop early, and
/// streaming writers that never go back to fill in the length (0 or 0xFFFFFFFF) all break
/// this; say which, and how to repair it, before reading a single sample.
fn check_length(path: &Path, h: &Header, file_len: u64) -> Result<(), AudioError> {
    let present = file_len.saturating_sub(h.data_offset);
    if h.data_len <= present && !(h.data_len == 0 && present > 0) {
        return Ok(());
    }
    let bytes_per_second =
        u64::from(h.sample_rate) * u64::from(h.channels) * u64::from(h.bits.div_ceil(8));
    let span = |bytes: u64| match bytes_per_second {
        0 => format!("{bytes} bytes"),
        bps => format!("{:.1} s", bytes as f64 / bps as f64),
    };
    let fix = format!(
        "Repair it with `sox --ignore-length {} fixed.wav`; that keeps the audio that is there",
        path.display()
    );
    let reason = if h.data_len == 0 || h.data_len == u64::from(u32::MAX) {
        format!(
            "its header gives no length (a recorder still writing, or a stream saved as it came); {} of audio follow. {fix}",
            span(present)
        )
    } else {
        format!(
            "it is cut short: its header promises {} of audio but the file holds {}. {fix}",
            span(h.data_len),
            span(present)
        )
    };
    Err(AudioError::Damaged {
        path: path.to_owned(),
        reason,
    })
}

fn check_layout(path: &Path, f: &WavFormat) -> Result<(), AudioError> {
    let unsupported = |reason: String| AudioError::Unsupported {
        path: path.to_owned(),
        reason,
    };
    if f.channels == 0 || f.channels > MAX_CHANNELS {
        return Err(unsupported(format!(
            "it has {} channels; Hearken reads mono (one speaker) or two-channel (agent and customer) calls. \
             Split it first, e.g. `sox {} side.wav remix 1`",
            f.channels,
            path.display()
        )));
    }
    if !(MIN_RATE..=MAX_RATE).contains(&f.sample_rate) {
        return Err(unsupported(format!(
            "its sample rate is {} Hz; Hearken reads {MIN_RATE} to {MAX_RATE} Hz",
            f.sample_rate
        )));
    }
    Ok(())
}

struct Header {
    format_tag: u16,
    channels: u16,
    sample_rate: u32,
    bits: u16,
    data_offset: u64,
    data_len: u64,
}

/// Walk the RIFF chunks far enough to learn the format tag (and, for G.711, where the data is).
fn read_header(r: &mut BufReader<File>) -> Result<Header, String> {
    let mut riff = [0u8; 12];
    r.read_exact(&mut riff)
        .map_err(|_| "the file is shorter than a WAV header".to_string())?;
    if &riff[0..4] != b"RIFF" || &riff[8..12] != b"WAVE" {
        return Err("no RIFF/WAVE header".to_string());
    }
    let mut fmt: Option<(u16, u16, u32, u16)> = None;
    let mut pos = 12u64;
    loop {
        let mut ch = [0u8; 8];
        if r.read_exact(&mut ch).is_err() {
            return Err(if fmt.is_none() {
                "no fmt chunk".to_string()
            } else {
                "no data chunk".to_string()
            });
        }
        let len = u32::from_le_bytes([ch[4], ch[5], ch[6], ch[7]]) as u64;
        let padded = len + (len & 1);
        pos += 8;
        match &ch[0..4] {
            b"fmt " => {
                if len < 16 {
                    return Err("fmt chunk too short".to_string());
                }
                let mut f = [0u8; 16];
                r.read_exact(&mut f)
                    .map_err(|_| "fmt chunk truncated".to_string())?;
                let mut consumed = 16;
                let mut tag = u16::from_le_bytes([f[0], f[1]]);
                if tag == 0xFFFE && len >= 40 {
                    // WAVE_FORMAT_EXTENSIBLE: the real tag is the sub-format GUID's first u16.
                    let mut ext = [0u8; 24];
                    r.read_exact(&mut ext)
                        .map_err(|_| "fmt chunk truncated".to_string())?;
                    consumed += 24;
                    if let t @ (WAVE_FORMAT_ALAW | WAVE_FORMAT_MULAW) =
                        u16::from_le_bytes([ext[8], ext[9]])
                    {
                        tag = t;
                    }
                }
                r.seek_relative((padded - consumed) as i64)
                    .map_err(|e| e.to_string())?;
                fmt = Some((
                    tag,
                    u16::from_le_bytes([f[2], f[3]]),
                    u32::from_le_bytes([f[4], f[5], f[6], f[7]]),
                    u16::from_le_bytes([f[14], f[15]]),
                ));
            }
            b"data" => {
                let (format_tag, channels, sample_rate, bits) =
                    fmt.ok_or_else(|| "data chunk before the fmt chunk".to_string())?;
                return Ok(Header {
                    format_tag,
                    channels,
                    sample_rate,
                    bits,
                    data_offset: pos,
                    data_len: len,
                });
            }
            _ => {
                r.seek_relative(padded as i64).map_err(|e| e.to_string())?;
            }
        }
        pos += padded;
    }
}

/// ITU-T G.711 expansion tables, computed at compile time.
static MULAW: [i16; 256] = build_mulaw();
static ALAW: [i16; 256] = build_alaw();

const fn build_mulaw() -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        let u = !(i as u8);
        let exponent = ((u >> 4) & 0x07) as i32;
        let mantissa = (u & 0x0F) as i32;
        let magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
        t[i] = if u & 0x80 != 0 {
            -magnitude as i16
        } else {
            magnitude as i16
        };
        i += 1;
    }
    t
}

const fn build_alaw() -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        let a = (i as u8) ^ 0x55;
        let exponent = ((a >> 4) & 0x07) as i32;
        let mantissa = (a & 0x0F) as i32;
        let magnitude = if exponent == 0 {
            (mantissa << 4) + 8
        } else {
            ((mantissa << 4) + 0x108) << (exponent - 1)
        };
        t[i] = if a & 0x80 != 0 {
            magnitude as i16
        } else {
            -magnitude as i16
        };
        i += 1;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g711_tables_match_known_points() {
        // mu-law 0xFF and 0x7F are the two zeros; 0x00 is the most negative value.
        assert_eq!(MULAW[0xFF], 0);
        assert_eq!(MULAW[0x7F], 0);
        assert_eq!(MULAW[0x00], -32124);
        assert_eq!(MULAW[0x80], 32124);
        // A-law 0xD5 is the smallest positive step, 0x55 the smallest negative one.
        assert_eq!(ALAW[0xD5], 8);
        assert_eq!(ALAW[0x55], -8);
        assert_eq!(ALAW[0xAA], 32256);
        assert_eq!(ALAW[0x2A], -32256);
    }
}

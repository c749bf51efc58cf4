//! Where the effective config comes from, in order, each over the one before:
//!
//! 1. the built-in defaults;
//! 2. the machine-wide file IT writes (`/etc/hearken/config.toml`), which may also lock keys;
//! 3. the user's file (`$XDG_CONFIG_HOME/hearken/config.toml`, else `~/.config/...`);
//! 4. a file given with `--config`;
//! 5. command-line flags.
//!
//! A locked key (or every key under a locked section) can be set only by the machine-wide
//! file: a user file, `--config` file or flag that sets it is an error naming the key, where it
//! was set, and the file that locks it. Every layer is checked on its own, so an unknown key
//! or a wrong type names the file it is in.
//!
//! The locks hold only if a user can neither move nor change the machine-wide file: its place
//! is fixed for everyone but root (`HEARKEN_MACHINE_CONFIG` is honoured only for root, which
//! the tests and unusual installs run as), and a file, or folder, that anyone but root could
//! write is refused.

use super::{Config, ConfigError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

/// The machine-wide file: `/etc/hearken/config.toml`. `HEARKEN_MACHINE_CONFIG` moves it only
/// for root (tests, unusual installs): for anyone else it would be a way round IT's locks.
pub fn machine_path() -> PathBuf {
    std::env::var_os("HEARKEN_MACHINE_CONFIG")
        .filter(|_| running_as_root())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(MACHINE_FILE))
}

const MACHINE_FILE: &str = "/etc/hearken/config.toml";

fn running_as_root() -> bool {
    // SAFETY: getuid and geteuid cannot fail and touch no memory.
    unsafe { libc::getuid() == 0 && libc::geteuid() == 0 }
}

/// Refuse a machine-wide file that someone other than root could change: the file itself,
/// or the folder it is in (which lets its file be replaced).
fn check_protected(path: &Path) -> Result<(), ConfigError> {
    use std::os::unix::fs::MetadataExt;
    let unprotected = |why: String| ConfigError::Unprotected {
        path: path.to_owned(),
        why,
    };
    let read = |p: &Path| {
        std::fs::metadata(p).map_err(|cause| ConfigError::Read {
            path: p.to_owned(),
            cause,
        })
    };
    let file = read(path)?;
    if file.uid() != 0 {
        return Err(unprotected(format!(
            "belongs to uid {}, not root",
            file.uid()
        )));
    }
    if file.mode() & 0o022 != 0 {
        return Err(unprotected(format!(
            "can be written by others (mode {:o})",
            file.mode() & 0o777
        )));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let d = read(dir)?;
        // A shared folder with the sticky bit (/tmp) lets no one replace another's file.
        let sticky = d.mode() & 0o1000 != 0;
        if d.uid() != 0 || (d.mode() & 0o022 != 0 && !sticky) {
            return Err(unprotected(format!(
                "is in {}, which someone other than root can write",
                dir.display()
            )));
        }
    }
    Ok(())
}

/// The user's file: `HEARKEN_USER_CONFIG`, else the XDG config dir.
pub fn user_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HEARKEN_USER_CONFIG") {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("hearken").join("config.toml"))
}

/// The config in force, where each value came from, and what is locked.
#[derive(Debug, Clone)]
pub struct Effective {
    pub config: Config,
    /// Dotted key → where its value was set ("default" for built-in values).
    pub origins: BTreeMap<String, String>,
    /// Locked keys or sections, and the file that locks them.
    pub locks: Vec<String>,
    pub lock_file: Option<PathBuf>,
    merged: Table,
}

fn read(path: &Path) -> Result<Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Read {
        path: path.to_owned(),
        cause,
    })?;
    text.parse::<Table>().map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        message: e.to_string().trim_end().to_string(),
    })
}

/// Every leaf of a table as a dotted key.
fn leaves(t: &Table, prefix: &str, out: &mut Vec<(String, Value)>) {
    for (k, v) in t {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Table(inner) => leaves(inner, &key, out),
            _ => out.push((key, v.clone())),
        }
    }
}

fn is_under(key: &str, lock: &str) -> bool {
    key == lock || key.starts_with(&format!("{lock}."))
}

/// Set a dotted key in a table.
fn set(t: &mut Table, key: &str, v: Value) {
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().unwrap_or(key);
    let mut cur = t;
    for p in parts {
        cur = match cur
            .entry(p.to_string())
            .or_insert_with(|| Value::Table(Table::new()))
        {
            Value::Table(inner) => inner,
            other => {
                *other = Value::Table(Table::new());
                match other {
                    Value::Table(inner) => inner,
                    _ => unreachable!(),
                }
            }
        };
    }
    cur.insert(last.to_string(), v);
}

/// Check a layer alone: its keys exist and its values have the right types and ranges.
fn validate(t: &Table, origin: &Path) -> Result<(), ConfigError> {
    let parse_error = |message: String| ConfigError::Parse {
        path: origin.to_owned(),
        message,
    };
    // Over the defaults, so a range error is about what this file set.
    let mut merged = Value::try_from(Config::default())
        .ok()
        .and_then(|v| v.as_table().cloned())
        .unwrap_or_default();
    let mut all = Vec::new();
    leaves(t, "", &mut all);
    for (k, v) in all {
        set(&mut merged, &k, v);
    }
    Value::Table(merged)
        .try_into::<Config>()
        .map_err(|e| parse_error(e.to_string().trim_end().to_string()))?
        .validate()
        .map_err(parse_error)
}

/// Whether a dotted key names a section or a setting that exists (probing the config's own
/// schema: an unknown name is refused as "unknown field", a known one only for its type).
fn known_key(key: &str) -> bool {
    let mut probe = Table::new();
    set(&mut probe, key, Value::Table(Table::new()));
    match Value::Table(probe).try_into::<Config>() {
        Ok(_) => true,
        Err(e) => !e.to_string().contains("unknown field"),
    }
}

impl Effective {
    /// Load the layers. `extra` is the `--config` file.
    pub fn load(extra: Option<&Path>) -> Result<Effective, ConfigError> {
        let defaults = Value::try_from(Config::default()).map_err(|e| ConfigError::Parse {
            path: PathBuf::from("(built-in defaults)"),
            message: e.to_string(),
        })?;
        let Value::Table(mut merged) = defaults else {
            unreachable!("the config serialises as a table")
        };
        let mut origins = BTreeMap::new();
        let mut all = Vec::new();
        leaves(&merged, "", &mut all);
        for (k, _) in all {
            origins.insert(k, "default".to_string());
        }
        let mut eff = Effective {
            config: Config::default(),
            origins,
            locks: Vec::new(),
            lock_file: None,
            merged: Table::new(),
        };
        let machine = machine_path();
        if machine.is_file() {
            check_protected(&machine)?;
            let mut t = read(&machine)?;
            if let Some(lock) = t.remove("lock") {
                let keys = lock.get("keys").and_then(Value::as_array).ok_or_else(|| {
                    ConfigError::Parse {
                        path: machine.clone(),
                        message: "[lock] needs `keys = [\"section.key\", ...]`".into(),
                    }
                })?;
                for k in keys {
                    let k = k.as_str().ok_or_else(|| ConfigError::Parse {
                        path: machine.clone(),
                        message: "[lock] keys must be strings".into(),
                    })?;
                    if !known_key(k) {
                        return Err(ConfigError::Parse {
                            path: machine.clone(),
                            message: format!("[lock] names `{k}`, which is not a config key"),
                        });
                    }
                    eff.locks.push(k.to_string());
                }
                eff.lock_file = Some(machine.clone());
            }
            validate(&t, &machine)?;
            eff.apply(&mut merged, &t, &machine.display().to_string());
        }
        let mut user_files = Vec::new();
        if let Some(u) = user_path().filter(|p| p.is_file()) {
            user_files.push(u);
        }
        if let Some(x) = extra {
            user_files.push(x.to_owned());
        }
        for path in user_files {
            let t = read(&path)?;
            if t.contains_key("lock") {
                return Err(ConfigError::Parse {
                    path: path.clone(),
                    message: format!(
                        "only the machine-wide file ({}) can lock keys",
                        machine.display()
                    ),
                });
            }
            validate(&t, &path)?;
            let mut set_here = Vec::new();
            leaves(&t, "", &mut set_here);
            for (k, _) in &set_here {
                eff.check_unlocked(k, &path.display().to_string())?;
            }
            eff.apply(&mut merged, &t, &path.display().to_string());
        }
        eff.config = Value::Table(merged.clone())
            .try_into::<Config>()
            .map_err(|e| ConfigError::Parse {
                path: PathBuf::from("(merged config)"),
                message: e.to_string(),
            })?;
        eff.merged = merged;
        Ok(eff)
    }

    fn apply(&mut self, merged: &mut Table, t: &Table, origin: &str) {
        let mut set_here = Vec::new();
        leaves(t, "", &mut set_here);
        for (k, v) in set_here {
            set(merged, &k, v);
            self.origins.insert(k, origin.to_string());
        }
    }

    /// Error if `key` is locked; `by` says who tried to set it (a file, a flag).
    pub fn check_unlocked(&self, key: &str, by: &str) -> Result<(), ConfigError> {
        if let Some(lock) = self.locks.iter().find(|l| is_under(key, l)) {
            return Err(ConfigError::Locked {
                key: key.to_string(),
                by: by.to_string(),
                lock: lock.clone(),
                file: self.lock_file.clone().unwrap_or_default(),
            });
        }
        Ok(())
    }

    /// A command-line flag sets `key` (already applied to `config` by the caller).
    pub fn flag(&mut self, key: &str, flag: &str) -> Result<(), ConfigError> {
        self.check_unlocked(key, flag)?;
        self.origins.insert(key.to_string(), flag.to_string());
        Ok(())
    }

    /// `hearken config --show`: the effective config as TOML, each value with its origin.
    pub fn show(&self) -> String {
        let config = Value::try_from(&self.config)
            .ok()
            .and_then(|v| v.as_table().cloned())
            .unwrap_or_else(|| self.merged.clone());
        let mut out =
            String::from("# The effective config; after each value, where it came from.\n");
        if let Some(f) = &self.lock_file {
            out.push_str(&format!(
                "# Locked by {}: {}\n",
                f.display(),
                self.locks.join(", ")
            ));
        }
        for (section, v) in &config {
            let Value::Table(t) = v else { continue };
            out.push_str(&format!("\n[{section}]\n"));
            let mut keys = Vec::new();
            leaves(t, section, &mut keys);
            for (k, v) in keys {
                let origin = self
                    .origins
                    .get(&k)
                    .map(String::as_str)
                    .unwrap_or("default");
                let locked = if self.locks.iter().any(|l| is_under(&k, l)) {
                    ", locked"
                } else {
                    ""
                };
                let short = k.strip_prefix(&format!("{section}.")).unwrap_or(&k);
                out.push_str(&format!("{short} = {v}  # {origin}{locked}\n"));
            }
        }
        out
    }
}

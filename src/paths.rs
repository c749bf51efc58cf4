//! Where Hearken's own files live on a workstation: its state (logs), and what the package
//! installed. Every other module asks here rather than reading the environment itself.

use std::path::PathBuf;

/// Where Hearken keeps its own state (logs): `$XDG_STATE_HOME/hearken`, else
/// `~/.local/state/hearken`.
pub fn state_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_STATE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .map(|d| d.join("hearken"))
}

/// Where the package put one of Hearken's files: `<prefix>/share/hearken/<rel>`, the prefix
/// being the parent of the binary's folder (`/usr/bin/hearken` gives `/usr`), so an unpacked
/// or relocated package finds its own files too.
pub fn installed_file(rel: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.join("share/hearken").join(rel))
}

/// Where a running `hearken live` listens for `hearken call start|end`:
/// `$XDG_RUNTIME_DIR/hearken/control.sock` (the user's own runtime folder, which only they
/// can enter), else `/tmp/hearken-UID/control.sock`.
pub fn control_socket() -> PathBuf {
    let dir = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|d| !d.is_empty())
        .map(|d| PathBuf::from(d).join("hearken"))
        .unwrap_or_else(|| {
            // SAFETY: getuid has no preconditions.
            PathBuf::from(format!("/tmp/hearken-{}", unsafe { libc::getuid() }))
        });
    dir.join("control.sock")
}

/// The agent's own history of calls (figures only): `<state folder>/history.jsonl`.
pub fn history_file() -> Option<PathBuf> {
    state_dir().map(|d| d.join("history.jsonl"))
}

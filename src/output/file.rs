//! Output files written whole or not at all.
//!
//! Every file Hearken writes (events, reports, batch summaries) goes into a temporary file
//! beside its target, `.NAME.PID.partial`, and is renamed into place only when it is complete,
//! so a reader, a crash or a failed call never leaves half a file that looks whole.
//!
//! Two kinds of target are handled here, once for every writer:
//! - `/dev/null`, a named pipe or a terminal is written in place: renaming a temp file over
//!   it would replace a device node (as root, `/dev/null` itself) with an ordinary file.
//! - A `.NAME.PID.partial` left by a process that no longer runs (killed mid-write, power
//!   cut) is removed when the same NAME is first written by a later process, so a rerun
//!   leaves a clean folder. "No longer runs" takes two signs, so another machine's writer on
//!   a shared folder is never robbed: no process of that PID here (Linux's `/proc`), and no
//!   lock on the file (every writer holds an exclusive lock on its partial while it writes).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// An output file being written. Bytes go to a temporary file until [`AtomicFile::commit`];
/// dropped without a commit (an error on the way), the temporary file is removed and the
/// target is left as it was.
pub struct AtomicFile {
    target: PathBuf,
    /// The temporary file, or `None` when the target is written in place.
    tmp: Option<PathBuf>,
    out: BufWriter<File>,
}

impl AtomicFile {
    pub fn create(target: &Path) -> io::Result<Self> {
        if is_special(target) {
            let f = std::fs::OpenOptions::new().write(true).open(target)?;
            return Ok(AtomicFile {
                target: target.to_owned(),
                tmp: None,
                out: BufWriter::new(f),
            });
        }
        let dir = folder_of(target);
        let name = name_of(target);
        remove_stale_partials(dir, &name);
        let tmp = dir.join(partial_name(&name, std::process::id()));
        let f = File::create(&tmp)?;
        // Held until the file is closed: a sign to other processes that this is work in
        // progress. A file system without locks only loses that sign.
        let _ = f.try_lock();
        Ok(AtomicFile {
            target: target.to_owned(),
            tmp: Some(tmp),
            out: BufWriter::new(f),
        })
    }

    /// Put the finished file in place. Synced before the rename, so after a power cut the
    /// name holds the old file or the whole new one.
    pub fn commit(mut self) -> io::Result<()> {
        self.out.flush()?;
        let Some(tmp) = self.tmp.take() else {
            return Ok(());
        };
        let done = self
            .out
            .get_ref()
            .sync_all()
            .and_then(|()| std::fs::rename(&tmp, &self.target));
        if done.is_err() {
            let _ = std::fs::remove_file(&tmp);
            return done;
        }
        if let Ok(d) = File::open(folder_of(&self.target)) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Write `bytes` as the whole of `path`.
pub fn write_whole(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes)?;
    f.commit()
}

/// Whether `path` exists and is something other than a regular file or a folder.
fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into())
}

fn partial_name(name: &str, pid: u32) -> String {
    format!(".{name}.{pid}.partial")
}

/// Targets whose folder this process has already swept: once per target is enough (stale
/// partials come from processes that ended before), and a batch writing thousands of reports
/// into one folder would otherwise list that folder for every file.
static SWEPT: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// Remove the `.NAME.PID.partial` files of `name` whose writer is gone. A partial of a
/// process still running is its work in progress and is left alone; so is one whose PID
/// cannot be read, one another process holds locked, and (off Linux, where liveness is not
/// checked) every partial.
fn remove_stale_partials(dir: &Path, name: &str) {
    let first = SWEPT
        .lock()
        .map(|mut swept| swept.insert(dir.join(name)))
        .unwrap_or(true);
    if !first {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(pid) = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .and_then(|rest| rest.strip_suffix(".partial"))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !process_runs(pid) && !locked(&entry.path()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether another process holds `path` locked (a writer on another machine sharing the
/// folder, or in another PID namespace).
fn locked(path: &Path) -> bool {
    let Ok(f) = std::fs::OpenOptions::new().write(true).open(path) else {
        return false;
    };
    matches!(f.try_lock(), Err(std::fs::TryLockError::WouldBlock))
}

#[cfg(target_os = "linux")]
fn process_runs(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(not(target_os = "linux"))]
fn process_runs(_pid: u32) -> bool {
    true
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// A PID that was a process and is one no longer.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!process_runs(pid));
        pid
    }

    #[test]
    fn nothing_is_in_place_until_commit() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("events.jsonl");
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"one\n").unwrap();
        f.flush().unwrap();
        assert!(!target.exists());
        f.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"one\n");
        assert_eq!(names(dir.path()), ["events.jsonl"]);
    }

    #[test]
    fn dropped_without_commit_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.html");
        std::fs::write(&target, b"old").unwrap();
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"half a new").unwrap();
        drop(f);
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        assert_eq!(names(dir.path()), ["report.html"]);
    }

    #[test]
    fn a_dead_writers_partial_is_removed_and_a_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let dead = partial_name("summary.csv", dead_pid());
        let mut sleeper = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let live = partial_name("summary.csv", sleeper.id());
        // Another target's partial is not this writer's business.
        let other = partial_name("other.csv", dead_pid());
        for n in [&dead, &live, &other] {
            std::fs::write(dir.path().join(n), b"half").unwrap();
        }
        let result = write_whole(&dir.path().join("summary.csv"), b"whole");
        let left = names(dir.path());
        sleeper.kill().unwrap();
        sleeper.wait().unwrap();
        result.unwrap();
        let mut want = vec![live, other, "summary.csv".to_string()];
        want.sort();
        assert_eq!(left, want);
    }

    #[test]
    fn a_partial_someone_holds_locked_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        // Named by a PID not running here, but locked: a writer elsewhere.
        let held = dir.path().join(partial_name("report.json", dead_pid()));
        let holder = File::create(&held).unwrap();
        holder.try_lock().unwrap();
        write_whole(&dir.path().join("report.json"), b"{}").unwrap();
        assert!(held.exists(), "a locked partial was removed");
        drop(holder);
    }

    #[test]
    fn a_named_pipe_is_written_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        write_whole(&fifo, b"through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        assert!(is_special(&fifo), "the pipe was replaced");
        assert_eq!(names(dir.path()), ["pipe"]);
    }
}

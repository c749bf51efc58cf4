//! Helpers shared by the integration tests: paths, the real binary, truth files, scoring.
#![allow(dead_code)]

pub mod browser;
pub mod desktop;
pub mod pulse;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

pub fn model() -> PathBuf {
    let p = root().join("models/ggml-tiny.en-q8_0.bin");
    assert!(
        p.is_file(),
        "the whisper model is missing at {}: run models/fetch-model.sh (the test command does)",
        p.display()
    );
    p
}

/// The real `hearken` binary, run from the repository root.
pub fn hearken() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hearken"));
    c.current_dir(root());
    c.env_remove("HEARKEN_MODEL");
    // Tests see only the config they write: not this machine's /etc/hearken or ~/.config.
    c.env(
        "HEARKEN_MACHINE_CONFIG",
        "/nonexistent/hearken-machine.toml",
    );
    c.env("HEARKEN_USER_CONFIG", "/nonexistent/hearken-user.toml");
    // Logs go to the build's scratch folder, not the home folder of whoever runs the tests.
    c.env(
        "XDG_STATE_HOME",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("state"),
    );
    c
}

/// Fail loudly, naming the Debian package, when a program a test needs is missing.
pub fn need(program: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "{program} is missing: install the Debian package {package} (bash .ci/setup.sh --test does)"
    );
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Parse JSON Lines output into values.
pub fn events(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// Replay a call with `hearken replay ... --events -` and return the events.
pub fn replay_events(args: &[&str]) -> Vec<Value> {
    let out = hearken()
        .arg("replay")
        .args(args)
        .args(["--speed", "max", "--events", "-"])
        .output()
        .expect("run hearken");
    assert!(
        out.status.success(),
        "hearken replay {args:?} failed: {}",
        stderr(&out)
    );
    events(&out.stdout)
}

pub fn truth(name: &str) -> Value {
    let p = fixture(&format!("{name}.truth.json"));
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

pub fn of_type<'a>(events: &'a [Value], ty: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == ty).collect()
}

/// Lower case, letters/digits/apostrophes, words split on anything else.
pub fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Word-level edit distance.
pub fn word_errors(reference: &[String], hypothesis: &[String]) -> usize {
    let mut prev: Vec<usize> = (0..=hypothesis.len()).collect();
    for (i, r) in reference.iter().enumerate() {
        let mut cur = vec![i + 1; hypothesis.len() + 1];
        for (j, h) in hypothesis.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(r != h))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[hypothesis.len()]
}

pub fn wer(reference: &str, hypothesis: &str) -> f64 {
    let r = words(reference);
    word_errors(&r, &words(hypothesis)) as f64 / r.len().max(1) as f64
}

pub fn assert_clean_failure(out: &Output, must_mention: &[&str]) {
    let err = stderr(out);
    assert!(
        !out.status.success(),
        "expected failure, got success; stderr: {err}"
    );
    assert!(
        !err.contains("panicked"),
        "panicked instead of a clear error: {err}"
    );
    for m in must_mention {
        assert!(err.contains(m), "error should mention {m:?}: {err}");
    }
}

pub fn tmpdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

pub fn write_wav(
    path: &Path,
    spec: hound::WavSpec,
    frames: usize,
    mut f: impl FnMut(usize, usize) -> f64,
) {
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..frames {
        for c in 0..spec.channels as usize {
            let x = f(i, c).clamp(-1.0, 1.0);
            match (spec.sample_format, spec.bits_per_sample) {
                (hound::SampleFormat::Float, _) => w.write_sample(x as f32).unwrap(),
                (_, 8) => w.write_sample((x * 127.0).round() as i8).unwrap(),
                (_, 16) => w.write_sample((x * 32767.0).round() as i16).unwrap(),
                (_, b) => w
                    .write_sample((x * ((1i64 << (b - 1)) - 1) as f64).round() as i32)
                    .unwrap(),
            }
        }
    }
    w.finalize().unwrap();
}

/// The real binary run as an ordinary user: `nobody` when the tests run as root (CI does),
/// else the user running them. The binary is linked (or copied) into a folder anyone may
/// read, since the build folder may sit in a home folder closed to others; the command runs
/// in `dir`, which that user must be able to enter.
pub fn hearken_as_user(dir: &Path) -> Command {
    use std::os::unix::fs::PermissionsExt;
    static OPEN_COPY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let exe = OPEN_COPY.get_or_init(|| {
        let folder = tempfile::Builder::new()
            .prefix("hearken-bin")
            .tempdir()
            .unwrap()
            .keep();
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
        let exe = folder.join("hearken");
        let built = Path::new(env!("CARGO_BIN_EXE_hearken"));
        if std::fs::hard_link(built, &exe).is_err() {
            std::fs::copy(built, &exe).unwrap();
        }
        exe
    });
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let mut c = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
        c.arg(exe);
        c
    } else {
        Command::new(exe)
    };
    c.current_dir(dir);
    c.env_clear();
    c.env("PATH", "/usr/local/bin:/usr/bin:/bin");
    c.env("HOME", dir);
    c.env("XDG_STATE_HOME", dir.join("state"));
    c.env("XDG_CONFIG_HOME", dir.join("config"));
    c
}

/// Make `dir` open to every user (for [`hearken_as_user`]).
pub fn open_to_all(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
}

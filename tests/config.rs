//! Layered config: built-in defaults < the machine-wide file (which can lock keys) < the
//! user's file < --config < flags. `hearken config --show` says where each value came from;
//! every kind of mistake is an error naming the file and the key.

mod common;

use common::*;
use std::path::{Path, PathBuf};

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        Files { dir: tmpdir() }
    }
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
    fn hearken(&self, machine: &Path, user: &Path) -> std::process::Command {
        let mut c = hearken();
        c.env("HEARKEN_MACHINE_CONFIG", machine)
            .env("HEARKEN_USER_CONFIG", user);
        c
    }
}

fn show(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{}", stderr(out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn show_says_where_each_value_comes_from() {
    let f = Files::new();
    let machine = f.write("machine.toml", "[asr]\nmax_utterance_ms = 10000\n");
    let user = f.write(
        "user.toml",
        "[activity]\nhangover_ms = 300\n[asr]\nmin_utterance_ms = 200\n",
    );
    let extra = f.write(
        "extra.toml",
        "[detect]\ndead_air_ms = 6000\n[activity]\nhangover_ms = 350\n",
    );
    let out = f
        .hearken(&machine, &user)
        .arg("--config")
        .arg(&extra)
        .args(["--model", "/opt/models/m.bin", "config", "--show"])
        .output()
        .unwrap();
    let text = show(&out);
    let line = |key: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("no {key} in:\n{text}"))
            .to_string()
    };
    assert!(line("max_utterance_ms").contains(&format!("10000  # {}", machine.display())));
    assert!(line("min_utterance_ms").contains(&format!("200  # {}", user.display())));
    // --config wins over the user's file.
    assert!(line("hangover_ms").contains(&format!("350  # {}", extra.display())));
    assert!(line("dead_air_ms").contains(&format!("6000  # {}", extra.display())));
    assert!(line("path").contains("\"/opt/models/m.bin\"  # --model"));
    assert!(line("onset_ms").contains("30  # default"));
}

#[test]
fn a_locked_key_can_only_be_set_by_the_machine_file() {
    let f = Files::new();
    let machine = f.write(
        "machine.toml",
        "[lock]\nkeys = [\"model\", \"overlay.captions\", \"capture\"]\n[overlay]\ncaptions = false\n",
    );
    let none = f.dir.path().join("none.toml");
    // Shown as locked.
    let text = show(
        &f.hearken(&machine, &none)
            .args(["config", "--show"])
            .output()
            .unwrap(),
    );
    assert!(
        text.contains(&format!(
            "captions = false  # {}, locked",
            machine.display()
        )),
        "{text}"
    );

    // A user file that sets it.
    let user = f.write("user.toml", "[overlay]\ncaptions = true\n");
    let out = f
        .hearken(&machine, &user)
        .args(["config", "--show"])
        .output()
        .unwrap();
    assert_clean_failure(
        &out,
        &[
            "overlay.captions",
            &user.display().to_string(),
            &machine.display().to_string(),
            "locked",
        ],
    );
    // A flag that sets it.
    let out = f
        .hearken(&machine, &none)
        .args(["--model", "/tmp/other.bin", "config", "--show"])
        .output()
        .unwrap();
    assert_clean_failure(&out, &["--model", "model.path", "locked"]);
    let out = f
        .hearken(&machine, &none)
        .args(["live", "--headless", "--agent", "USB mic"])
        .output()
        .unwrap();
    assert_clean_failure(&out, &["--agent", "capture.agent", "locked"]);
    // Unlocked keys are still the user's.
    let user = f.write("user2.toml", "[overlay]\ntheme = \"dark\"\n");
    let text = show(
        &f.hearken(&machine, &user)
            .args(["config", "--show"])
            .output()
            .unwrap(),
    );
    assert!(
        text.contains(&format!("theme = \"dark\"  # {}", user.display())),
        "{text}"
    );
}

#[test]
fn every_kind_of_config_mistake_names_the_file_and_the_key() {
    let f = Files::new();
    let none = f.dir.path().join("none.toml");
    let cases: Vec<(&str, &str, bool, Vec<&str>)> = vec![
        // (file text, name, is machine file, must mention)
        (
            "[activity]\nhangover = 3\n",
            "unknown.toml",
            false,
            vec!["hangover"],
        ),
        (
            "[asr]\nmax_utterance_ms = \"long\"\n",
            "type.toml",
            true,
            vec!["max_utterance_ms"],
        ),
        (
            "[nonsense]\nx = 1\n",
            "section.toml",
            false,
            vec!["nonsense"],
        ),
        (
            "[asr\nthreads = 1\n",
            "syntax.toml",
            true,
            vec!["syntax.toml"],
        ),
        (
            "[lock]\nkeys = [\"asr.no_such_key\"]\n",
            "lockkey.toml",
            true,
            vec!["asr.no_such_key"],
        ),
        (
            "[lock]\nkeys = [\"model\"]\n",
            "userlock.toml",
            false,
            vec!["only the machine-wide file"],
        ),
        (
            "[detect]\ndead_air_ms = 0\n",
            "range.toml",
            false,
            vec!["detect.dead_air_ms = 0", "out of range", "500 to 600000"],
        ),
        (
            "[log]\nlevel = \"chatty\"\n",
            "level.toml",
            true,
            vec!["chatty", "debug"],
        ),
        (
            "[overlay]\ntheme = \"purple\"\n",
            "variant.toml",
            false,
            vec!["purple"],
        ),
    ];
    for (text, name, machine, mentions) in cases {
        let p = f.write(name, text);
        let (m, u) = if machine {
            (p.clone(), none.clone())
        } else {
            (none.clone(), p.clone())
        };
        let out = f
            .hearken(&m, &u)
            .args(["config", "--show"])
            .output()
            .unwrap();
        let mut all = mentions.clone();
        let shown = p.display().to_string();
        all.push(&shown);
        assert_clean_failure(&out, &all);
    }
}

/// The real machine-wide file, written by the test that needs it and removed after, even
/// when the test fails.
struct MachineFile {
    made_dir: bool,
}

const MACHINE: &str = "/etc/hearken/config.toml";

impl MachineFile {
    fn write(text: &str) -> MachineFile {
        let path = Path::new(MACHINE);
        assert!(
            !path.exists(),
            "{MACHINE} exists: this test writes the real machine-wide file, so run the suite on a scratch machine (as CI does), not one Hearken is installed on"
        );
        let dir = path.parent().unwrap();
        let made_dir = !dir.exists();
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(path, text).unwrap();
        set_mode(path, 0o644);
        MachineFile { made_dir }
    }
}

impl Drop for MachineFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(MACHINE);
        if self.made_dir {
            let _ = std::fs::remove_dir(Path::new(MACHINE).parent().unwrap());
        }
    }
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// IT's locks, tried by an ordinary user (uid 65534, `nobody`) with every way round them a
/// user has: moving the machine-wide file, their own file, `--config`, flags and the
/// environment. Needs root to switch user, as CI runs.
#[test]
fn locks_hold_for_an_ordinary_user() {
    need("setpriv", "util-linux");
    assert!(
        unsafe { libc::geteuid() } == 0,
        "this test switches to an ordinary user, so it runs as root (as CI does)"
    );
    let _machine = MachineFile::write(
        "[log]\ntranscripts = false\n[lock]\nkeys = [\"log.transcripts\", \"model\"]\n",
    );
    // A folder the user can read, with a copy of the binary (the build folder may be under
    // root's home), and a home of their own.
    let f = Files::new();
    set_mode(f.dir.path(), 0o755);
    let bin = f.dir.path().join("hearken");
    std::fs::copy(env!("CARGO_BIN_EXE_hearken"), &bin).unwrap();
    set_mode(&bin, 0o755);
    let home = f.dir.path().join("home");
    std::fs::create_dir_all(home.join(".config/hearken")).unwrap();
    std::os::unix::fs::chown(&home, Some(65534), Some(65534)).unwrap();
    let mine = f.write("mine.toml", "[log]\ntranscripts = true\n");
    set_mode(&mine, 0o644);
    let as_user = |args: &[&str], env: &[(&str, &Path)]| {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin)
            .args(args)
            .current_dir(f.dir.path())
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", &home)
            .env("XDG_STATE_HOME", home.join("state"));
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };

    // Moving the machine-wide file does not work for a user: the real one still rules.
    let out = as_user(
        &["config", "--show"],
        &[("HEARKEN_MACHINE_CONFIG", mine.as_path())],
    );
    let text = show(&out);
    assert!(text.contains(&format!("# Locked by {MACHINE}")), "{text}");
    assert!(
        text.contains(&format!("transcripts = false  # {MACHINE}, locked")),
        "{text}"
    );
    // Their own file, --config, a flag and the environment are each refused, by name.
    std::fs::copy(&mine, home.join(".config/hearken/config.toml")).unwrap();
    let out = as_user(&["config", "--show"], &[]);
    assert_clean_failure(&out, &["log.transcripts", "locked", MACHINE]);
    std::fs::remove_file(home.join(".config/hearken/config.toml")).unwrap();
    let out = as_user(
        &["config", "--show"],
        &[("HEARKEN_USER_CONFIG", mine.as_path())],
    );
    assert_clean_failure(&out, &["log.transcripts", "locked"]);
    let mine_arg = mine.to_str().unwrap();
    let out = as_user(&["--config", mine_arg, "config", "--show"], &[]);
    assert_clean_failure(&out, &["log.transcripts", "locked"]);
    let out = as_user(&["--model", "/tmp/other.bin", "config", "--show"], &[]);
    assert_clean_failure(&out, &["--model", "model.path", "locked"]);
    let out = as_user(
        &["config", "--show"],
        &[("HEARKEN_MODEL", Path::new("/tmp/other.bin"))],
    );
    assert_clean_failure(&out, &["$HEARKEN_MODEL", "model.path", "locked"]);

    // A machine-wide file others can write is refused outright, for the user and for root.
    set_mode(Path::new(MACHINE), 0o666);
    let out = as_user(&["config", "--show"], &[]);
    assert_clean_failure(&out, &[MACHINE, "can be written by others", "chmod 644"]);
    let writable = f.write("writable.toml", "[log]\ntranscripts = false\n");
    set_mode(&writable, 0o666);
    let out = hearken()
        .env("HEARKEN_MACHINE_CONFIG", &writable)
        .args(["config", "--show"])
        .output()
        .unwrap();
    assert_clean_failure(&out, &["writable.toml", "can be written by others"]);
}

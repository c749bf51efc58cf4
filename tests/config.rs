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

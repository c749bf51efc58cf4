//! Privacy you can verify: no network code is linked, a replay opens no socket at all, live
//! capture talks only to the local sound server, and audio is never written to disk.

mod common;

use common::pulse::{AGENT_LINE, CUSTOMER_LINE, Pulse};
use common::*;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Crates that speak HTTP, TLS, DNS or D-Bus, or send telemetry. None may be in the build.
const NETWORK_CRATES: &[&str] = &[
    "reqwest",
    "hyper",
    "hyper-util",
    "h2",
    "h3",
    "http",
    "http-body",
    "ureq",
    "curl",
    "curl-sys",
    "isahc",
    "surf",
    "attohttpc",
    "minreq",
    "ehttp",
    "tokio",
    "async-std",
    "smol",
    "socket2",
    "rustls",
    "native-tls",
    "openssl",
    "openssl-sys",
    "tungstenite",
    "tokio-tungstenite",
    "quinn",
    "trust-dns-resolver",
    "hickory-resolver",
    "zbus",
    "dbus",
    "sentry",
    "opentelemetry",
    "tracing-opentelemetry",
    "posthog-rs",
];

fn cargo_tree(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(root())
        .args(["tree", "--offline", "--locked", "--edges", "normal,build"])
        .args(args)
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn no_network_client_crate_is_linked() {
    let tree = cargo_tree(&["--prefix", "none", "--format", "{p}"]);
    let crates: BTreeSet<&str> = tree.lines().filter_map(|l| l.split(' ').next()).collect();
    // The listing is real: it holds what Hearken is built from.
    for known in ["hearken", "whisper-rs", "cpal", "eframe", "rubato"] {
        assert!(
            crates.contains(known),
            "cargo tree lacks {known}: {crates:?}"
        );
    }
    let found: Vec<&&str> = NETWORK_CRATES
        .iter()
        .filter(|c| crates.contains(**c))
        .collect();
    assert!(found.is_empty(), "network crates in the build: {found:?}");
    // mio (a socket event loop) is there for one reason: the PulseAudio client's Unix socket
    // to the local sound server. Nothing else may use it.
    if crates.contains("mio") {
        let users = cargo_tree(&["--invert", "mio", "--depth", "1", "--prefix", "none"]);
        let users: BTreeSet<&str> = users
            .lines()
            .filter_map(|l| l.split(' ').next())
            .filter(|c| *c != "mio")
            .collect();
        assert_eq!(users, BTreeSet::from(["pulseaudio"]), "who uses mio");
    }
}

#[test]
fn the_binary_links_no_tls_or_http_library() {
    let out = Command::new("ldd")
        .arg(env!("CARGO_BIN_EXE_hearken"))
        .output()
        .expect("run ldd");
    let libs = String::from_utf8_lossy(&out.stdout);
    assert!(libs.contains("libc.so"), "ldd output: {libs}");
    for lib in [
        "libssl",
        "libcrypto",
        "libcurl",
        "libgnutls",
        "libnss3",
        "libdbus",
    ] {
        assert!(!libs.contains(lib), "hearken links {lib}: {libs}");
    }
}

/// One traced system call: its name and the rest of the line.
struct Call<'a> {
    name: &'a str,
    line: &'a str,
}

/// Run `cmd` under strace, following threads, recording network and file-writing calls.
fn traced(dir: &Path, cmd: &mut Command) -> String {
    need("strace", "strace");
    let trace = dir.join("trace.txt");
    let program = cmd.get_program().to_owned();
    let mut s = Command::new("strace");
    s.args(["-f", "-qq", "-s", "4096", "-o"])
        .arg(&trace)
        .args([
            "-e",
            "trace=%network,openat,creat,rename,renameat,renameat2,link,symlink,truncate",
        ])
        .arg(&program)
        .args(cmd.get_args())
        .current_dir(cmd.get_current_dir().unwrap_or(&root()));
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => s.env(k, v),
            None => s.env_remove(k),
        };
    }
    let out = s.output().expect("run strace");
    assert!(out.status.success(), "traced run failed: {}", stderr(&out));
    std::fs::read_to_string(trace).unwrap()
}

fn calls(trace: &str) -> Vec<Call<'_>> {
    trace
        .lines()
        .filter_map(|l| {
            // "PID name(args...) = result", or "PID <... name resumed>...".
            let rest = l.split_once(' ')?.1.trim_start();
            let name = rest.split('(').next()?;
            (!name.starts_with('<')).then_some(Call { name, line: rest })
        })
        .collect()
}

/// The quoted strings of a traced call: its paths.
fn quoted(s: &str) -> Vec<&str> {
    s.split('"').skip(1).step_by(2).collect()
}

/// Every path the process opened for writing, created, or renamed to.
fn written(trace: &str) -> Vec<String> {
    let mut out = Vec::new();
    for c in calls(trace) {
        let paths = quoted(c.line);
        match c.name {
            "openat"
                if ["O_WRONLY", "O_RDWR", "O_CREAT"]
                    .iter()
                    .any(|f| c.line.contains(f)) =>
            {
                out.extend(paths.first().map(|p| p.to_string()))
            }
            "creat" | "truncate" => out.extend(paths.first().map(|p| p.to_string())),
            // Both ends: the temp file and the name it is given.
            "rename" | "renameat" | "renameat2" | "link" | "symlink" => {
                out.extend(paths.iter().map(|p| p.to_string()))
            }
            _ => {}
        }
    }
    out
}

fn state_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("state")
}

#[test]
fn a_replay_opens_no_socket_and_writes_only_what_was_asked() {
    model();
    let dir = tmpdir();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let mut cmd = hearken();
    cmd.args([
        "replay",
        "tests/fixtures/calm.wav",
        "--report-audio",
        "link",
    ])
    .arg("--events")
    .arg(out.join("events.jsonl"))
    .arg("--json")
    .arg(out.join("call.json"))
    .arg("--report")
    .arg(out.join("call.html"));
    let trace = traced(dir.path(), &mut cmd);
    let all = calls(&trace);
    assert!(
        all.iter().any(|c| c.name == "openat"),
        "the trace recorded nothing: {trace}"
    );
    let net: Vec<&str> = all
        .iter()
        .filter(|c| ["socket", "connect", "sendto", "bind"].contains(&c.name))
        .map(|c| c.line)
        .collect();
    assert!(
        net.is_empty(),
        "a replay touched the network stack: {net:#?}"
    );
    let writes = written(&trace);
    for w in &writes {
        assert!(
            Path::new(w).starts_with(&out) || Path::new(w).starts_with(state_dir()),
            "wrote {w}, which was not asked for"
        );
        assert!(!w.ends_with(".wav"), "audio written to {w}");
    }
    for asked in ["events.jsonl", "call.json", "call.html"] {
        assert!(
            writes.iter().any(|w| w.ends_with(asked)),
            "{asked} not among the writes: {writes:?}"
        );
    }
}

#[test]
fn live_capture_talks_only_to_the_local_sound_server() {
    model();
    let pulse = Pulse::start(&[&AGENT_LINE, &CUSTOMER_LINE]);
    let out = pulse.dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let mut cmd = hearken();
    pulse.env(&mut cmd);
    cmd.args([
        "live",
        "--headless",
        "--host",
        "pulseaudio",
        "--duration",
        "4",
    ])
    .args(["--agent", &AGENT_LINE.monitor()])
    .args(["--customer", &CUSTOMER_LINE.monitor()])
    .arg("--events")
    .arg(out.join("events.jsonl"));
    let mut play = pulse.play(&CUSTOMER_LINE, &fixture("speech/jfk.wav"));
    let trace = traced(pulse.dir.path(), &mut cmd);
    let _ = play.wait();
    let all = calls(&trace);
    let sockets: Vec<&str> = all
        .iter()
        .filter(|c| c.name == "socket")
        .map(|c| c.line)
        .collect();
    assert!(
        !sockets.is_empty(),
        "live capture must reach the sound server: {trace}"
    );
    for s in &sockets {
        assert!(s.starts_with("socket(AF_UNIX"), "a non-local socket: {s}");
    }
    let server = pulse.server.trim_start_matches("unix:");
    for c in all.iter().filter(|c| c.name == "connect") {
        assert!(
            c.line.contains(&format!("sun_path=\"{server}\"")),
            "connected somewhere but the sound server ({server}): {}",
            c.line
        );
    }
    for w in written(&trace) {
        assert!(
            Path::new(&w).starts_with(&out) || Path::new(&w).starts_with(state_dir()),
            "live wrote {w}, which was not asked for"
        );
    }
    let events = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    assert!(events.contains("\"call_end\""), "the call ran: {events}");
}

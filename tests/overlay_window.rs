//! The real overlay window: the real binary replays a fixture call with `--overlay` on an X
//! server (Xvfb) under a real window manager (openbox). The test checks what the window
//! manager says about the window (undecorated, kept above) and reads the prompt off a
//! screenshot with OCR (tesseract), so it sees what an agent would see.

mod common;

use common::desktop::{Desktop, wait_for};
use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// In the escalating call the agent talks over the customer; the prompt for it is on screen
/// from 17.7 s to 25.4 s of call time (a headless replay of the same call says so: see
/// `prompt_timing_matches_the_headless_replay`).
const PROMPT_FROM_S: f64 = 17.7;
const PROMPT_UNTIL_S: f64 = 25.4;
const PROMPT: &str = "You talked over the customer. Let them finish.";

struct Killed(std::process::Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn prompt_timing_matches_the_headless_replay() {
    // The window test below looks for the prompt while these constants say it is up.
    let events = replay_events(&[fixture("escalating.wav").to_str().unwrap()]);
    let shown = of_type(&events, "prompt")
        .into_iter()
        .find(|e| e["kind"] == "talk_over")
        .expect("a talk_over prompt in the escalating call");
    let at = shown["t_ms"].as_f64().unwrap() / 1000.0;
    assert!(
        (at - PROMPT_FROM_S).abs() < 0.2,
        "talk_over prompt at {at} s"
    );
    assert_eq!(shown["text"], PROMPT);
    let next = events
        .iter()
        .filter(|e| e["t_ms"].as_f64().unwrap() / 1000.0 > at)
        .find(|e| e["type"] == "prompt" || e["type"] == "prompt_cleared")
        .unwrap();
    let until = next["t_ms"].as_f64().unwrap() / 1000.0;
    assert!(
        (until - PROMPT_UNTIL_S).abs() < 0.2,
        "replaced at {until} s"
    );
}

/// The real binary on the desktop's display, from the repository root, with a fresh home:
/// the window's remembered place lives under the user's data dir.
fn replay_in_window(desktop: &Desktop, home: &std::path::Path) -> Command {
    let mut c = desktop.command(env!("CARGO_BIN_EXE_hearken"));
    c.current_dir(root())
        .env_remove("HEARKEN_MODEL")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home)
        .env("LIBGL_ALWAYS_SOFTWARE", "1");
    c
}

#[test]
fn overlay_window_is_undecorated_on_top_and_shows_the_prompt() {
    let desktop = Desktop::start();
    let home = tmpdir();
    let mut app = Killed(
        replay_in_window(&desktop, home.path())
            .args(["replay", "--overlay"])
            .arg(fixture("escalating.wav"))
            // The timeline (stdout) says when the prompt is up; stderr is kept for a failure.
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(home.path().join("stderr")).unwrap())
            .spawn()
            .expect("run hearken"),
    );
    let timeline = {
        let out = app.0.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        rx
    };
    let id = wait_for(Duration::from_secs(20), "the Hearken window", || {
        desktop.window("Hearken")
    });

    // Kept above: the flag is re-sent once the window is mapped (winit drops it before).
    wait_for(Duration::from_secs(5), "_NET_WM_STATE_ABOVE", || {
        desktop
            .window_prop(&id, "_NET_WM_STATE")
            .filter(|s| s.contains("_NET_WM_STATE_ABOVE"))
    });
    // Undecorated: the window manager drew no frame around it.
    let extents = wait_for(Duration::from_secs(5), "_NET_FRAME_EXTENTS", || {
        desktop.window_prop(&id, "_NET_FRAME_EXTENTS")
    });
    assert!(
        extents.trim_end().ends_with("= 0, 0, 0, 0"),
        "the window has a frame: {extents}"
    );
    let (x, y, w, h) = desktop.geometry(&id).expect("window geometry");
    assert!(
        (300..=420).contains(&w) && (150..=260).contains(&h),
        "size {w}x{h}"
    );

    // Another application's window opens over the same spot and takes the focus: the overlay
    // stays above it.
    let _other = Killed(
        desktop
            .command("xmessage")
            .args(["-geometry", "700x500+0+0", "softphone"])
            .spawn()
            .expect("run xmessage (x11-utils)"),
    );
    wait_for(Duration::from_secs(10), "the other window", || {
        desktop.window("xmessage")
    });
    let order = desktop.stacking();
    let pos = |title: &str| order.iter().position(|(_, n)| n == title).unwrap();
    assert!(
        pos("Hearken") > pos("xmessage"),
        "stacking bottom to top: {order:?}"
    );

    // The prompt is on screen from when the timeline prints it for 7.7 s of call time: look
    // at the window while it is up (a first look can come before it is drawn).
    let shown = Instant::now() + Duration::from_secs(90);
    let mut lines = Vec::new();
    loop {
        let Ok(line) = timeline.recv_timeout(shown.saturating_duration_since(Instant::now()))
        else {
            panic!(
                "no prompt in the timeline {lines:#?}\nstderr: {}",
                log(&home)
            );
        };
        // `mm:ss.t  PROMPT        "text"  (reason)`
        if line.contains(&format!("PROMPT        \"{PROMPT}\"")) {
            break;
        }
        lines.push(line);
    }
    let look_until = Instant::now() + Duration::from_secs_f64(PROMPT_UNTIL_S - PROMPT_FROM_S - 1.5);
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("overlay-window.png");
    std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
    let want = ["talked", "over", "customer", "let", "them", "finish"];
    let (text, seen) = loop {
        desktop.screenshot(&shot);
        let text = ocr(&shot, (x, y, w, h));
        let seen = words(&text);
        if want.iter().all(|word| seen.iter().any(|w| w == word)) || Instant::now() > look_until {
            break (text, seen);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    for word in want {
        assert!(
            seen.iter().any(|w| w == word),
            "'{word}' not read off the window; OCR saw: {text:?}"
        );
    }
    assert!(
        seen.iter().any(|w| w == "on") && seen.iter().any(|w| w.starts_with("device")),
        "the on-device mark is not visible; OCR saw: {text:?}"
    );
    drop(app);
}

fn log(home: &tempfile::TempDir) -> String {
    std::fs::read_to_string(home.path().join("stderr")).unwrap_or_default()
}

/// Read the text inside `rect` of a screenshot: crop, enlarge (tesseract reads small screen
/// type poorly), OCR.
fn ocr(shot: &std::path::Path, (x, y, w, h): (i32, i32, u32, u32)) -> String {
    let dir = tmpdir();
    let crop = dir.path().join("crop.png");
    let ok = Command::new("/usr/bin/convert")
        .arg(shot)
        .args(["-crop", &format!("{w}x{h}+{x}+{y}"), "+repage"])
        .args(["-resize", "300%", "-colorspace", "Gray"])
        .arg(&crop)
        .status()
        .expect("run ImageMagick convert")
        .success();
    assert!(ok, "convert failed");
    let out = Command::new("tesseract")
        .arg(&crop)
        .arg("-")
        .output()
        .expect("run tesseract (Debian package tesseract-ocr)");
    assert!(out.status.success(), "tesseract failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// After the call the real window shows the agent's card (what went well, what to try),
/// read off the screen.
#[test]
fn after_the_call_the_window_shows_its_card() {
    let desktop = Desktop::start();
    let home = tmpdir();
    let mut app = Killed(
        replay_in_window(&desktop, home.path())
            .args(["replay", "--overlay", "--speed", "max"])
            .arg(fixture("escalating.wav"))
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(home.path().join("stderr")).unwrap())
            .spawn()
            .expect("run hearken"),
    );
    let out = app.0.stdout.take().unwrap();
    let id = wait_for(Duration::from_secs(20), "the Hearken window", || {
        desktop.window("Hearken")
    });
    // The timeline's last line comes when the call has ended.
    let mut ended = false;
    for line in BufReader::new(out).lines().map_while(Result::ok) {
        if line.contains("call ends") {
            ended = true;
            break;
        }
    }
    assert!(ended, "the replay did not end: {}", log(&home));
    let rect = desktop.geometry(&id).expect("window geometry");
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("overlay-card.png");
    let until = Instant::now() + Duration::from_secs(15);
    let (text, seen) = loop {
        desktop.screenshot(&shot);
        let text = ocr(&shot, rect);
        let seen = words(&text);
        let found = ["went", "well", "try", "next"]
            .iter()
            .all(|w| seen.iter().any(|s| s == w));
        if found || Instant::now() > until {
            break (text, seen);
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    for w in ["went", "well", "try", "next", "customer"] {
        assert!(
            seen.iter().any(|s| s == w),
            "'{w}' not on the card; OCR saw: {text:?}"
        );
    }
    drop(app);
}

/// `hearken check` opens a window for a moment on the session's display and says what drew
/// it; without a display the overlay line fails and says what to do; `--headless` leaves it.
#[test]
fn check_opens_a_window_or_says_why_it_cannot() {
    let desktop = Desktop::start();
    // The test's own config and logs (`hearken()`), on the desktop's display or on none.
    let line = |display: Option<&str>, extra: &[&str]| {
        let mut c = hearken();
        c.env_remove("WAYLAND_DISPLAY");
        match display {
            Some(d) => c.env("DISPLAY", d),
            None => c.env_remove("DISPLAY"),
        };
        let out = c.args(["check", "--json"]).args(extra).output().unwrap();
        let checks: Vec<serde_json::Value> =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
        checks
            .into_iter()
            .find(|c| c["name"] == "overlay")
            .expect("an overlay line")
    };
    let on_screen = line(Some(&desktop.display), &[]);
    assert_eq!(on_screen["ok"], true, "{on_screen}");
    let detail = on_screen["detail"].as_str().unwrap();
    assert!(
        detail.contains("drew a frame") && detail.contains("OpenGL renderer"),
        "{detail}"
    );
    let nowhere = line(None, &[]);
    assert_eq!(nowhere["ok"], false, "{nowhere}");
    assert!(
        nowhere["detail"].as_str().unwrap().contains("no display")
            && nowhere["fix"].as_str().unwrap().contains("--headless"),
        "{nowhere}"
    );
    let headless = line(None, &["--headless"]);
    assert_eq!(headless["ok"], true, "{headless}");
    assert!(
        headless["detail"].as_str().unwrap().contains("not checked"),
        "{headless}"
    );
}

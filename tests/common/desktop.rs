//! A real X desktop for window tests: Xvfb with the openbox window manager, started per test
//! and torn down when dropped. Missing programs fail loudly with the package to install (the
//! test command installs them).

use super::need;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Desktop {
    pub display: String,
    xvfb: Child,
    wm: Child,
}

/// Poll `check` until it gives a value or `timeout` passes.
pub fn wait_for<T>(timeout: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let until = Instant::now() + timeout;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Desktop {
    pub fn start() -> Desktop {
        need("Xvfb", "xvfb");
        need("openbox", "openbox");
        need("xprop", "x11-utils");
        need("xwininfo", "x11-utils");
        // Xvfb picks a display nobody holds and writes its number to stdout once it accepts
        // clients (choosing one here and starting it after could lose a race to another job).
        let mut xvfb = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1024x768x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb");
        let out = xvfb.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(out).read_line(&mut line);
            let _ = tx.send(line);
        });
        let said = rx.recv_timeout(Duration::from_secs(20));
        let Some(n) = said
            .as_ref()
            .ok()
            .and_then(|l| l.trim().parse::<u32>().ok())
        else {
            let _ = xvfb.kill();
            let _ = xvfb.wait();
            panic!("Xvfb did not start within 20 s (it said {said:?})");
        };
        let display = format!(":{n}");
        let log = std::env::temp_dir().join(format!("hearken-openbox-{n}.log"));
        let wm = Command::new("openbox")
            .env("DISPLAY", &display)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("openbox log"))
            .spawn()
            .expect("start openbox");
        let mut d = Desktop { display, xvfb, wm };
        let until = Instant::now() + Duration::from_secs(20);
        while d
            .root_prop("_NET_SUPPORTING_WM_CHECK")
            .is_none_or(|v| !v.contains("window id"))
        {
            let exited = d.wm.try_wait().ok().flatten();
            assert!(
                exited.is_none() && Instant::now() < until,
                "openbox did not take the screen ({exited:?}): {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        d
    }

    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("DISPLAY", &self.display);
        c
    }

    fn run(&self, program: &str, args: &[&str]) -> Option<String> {
        let o = self.command(program).args(args).output().ok()?;
        o.status
            .success()
            .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
    }

    pub fn root_prop(&self, prop: &str) -> Option<String> {
        self.run("xprop", &["-root", prop])
    }

    pub fn window_prop(&self, id: &str, prop: &str) -> Option<String> {
        self.run("xprop", &["-id", id, prop])
    }

    /// Managed top-level windows, bottom to top, with their titles.
    pub fn stacking(&self) -> Vec<(String, String)> {
        let list = self
            .root_prop("_NET_CLIENT_LIST_STACKING")
            .unwrap_or_default();
        let Some((_, ids)) = list.split_once('#') else {
            return Vec::new();
        };
        ids.split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| s.starts_with("0x"))
            .map(|id| {
                let quoted = |prop: &str| {
                    self.window_prop(&id, prop).and_then(|v| {
                        v.split_once('"')
                            .map(|(_, r)| r.trim_end().trim_end_matches('"').to_string())
                    })
                };
                let name = quoted("_NET_WM_NAME")
                    .or_else(|| quoted("WM_NAME"))
                    .unwrap_or_default();
                (id, name)
            })
            .collect()
    }

    /// The id of the managed window titled `title`.
    pub fn window(&self, title: &str) -> Option<String> {
        self.stacking()
            .into_iter()
            .find(|(_, n)| n == title)
            .map(|(id, _)| id)
    }

    /// Absolute geometry (x, y, width, height) of a window.
    pub fn geometry(&self, id: &str) -> Option<(i32, i32, u32, u32)> {
        let info = self.run("xwininfo", &["-id", id])?;
        let field = |name: &str| -> Option<i64> {
            info.lines()
                .find_map(|l| l.trim().strip_prefix(name))
                .and_then(|v| v.trim().parse().ok())
        };
        Some((
            field("Absolute upper-left X:")? as i32,
            field("Absolute upper-left Y:")? as i32,
            field("Width:")? as u32,
            field("Height:")? as u32,
        ))
    }

    /// A PNG of the whole screen.
    pub fn screenshot(&self, to: &Path) {
        need("import", "imagemagick");
        let ok = self
            .command("import")
            .args(["-window", "root"])
            .arg(to)
            .status()
            .expect("run import")
            .success();
        assert!(ok, "import could not take a screenshot");
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        let _ = self.wm.kill();
        let _ = self.wm.wait();
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}

//! A real PulseAudio server in user space for capture tests: no sound card, null sinks for
//! "devices", an anonymous socket under a temp dir. Started per test, stopped when dropped.
//! Missing programs fail loudly with the package to install (the test command installs them).

use super::desktop::wait_for;
use super::need;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Pulse {
    pub dir: tempfile::TempDir,
    /// `unix:/.../native`, for PULSE_SERVER.
    pub server: String,
    readers: Vec<(String, Child)>,
}

/// A null sink: its monitor source is what the tests capture, as a device.
pub struct Sink {
    pub name: &'static str,
    pub rate: u32,
    pub channels: u32,
}

pub const AGENT_LINE: Sink = Sink {
    name: "agent_line",
    rate: 48_000,
    channels: 1,
};
pub const CUSTOMER_LINE: Sink = Sink {
    name: "customer_line",
    rate: 44_100,
    channels: 2,
};
pub const CALL_STEREO: Sink = Sink {
    name: "call_stereo",
    rate: 48_000,
    channels: 2,
};

impl Sink {
    pub fn load_args(&self) -> String {
        format!(
            "sink_name={} rate={} channels={} format=s16le",
            self.name, self.rate, self.channels
        )
    }

    pub fn monitor(&self) -> String {
        format!("{}.monitor", self.name)
    }
}

impl Pulse {
    pub fn start(sinks: &[&Sink]) -> Pulse {
        need("pulseaudio", "pulseaudio");
        need("pactl", "pulseaudio-utils");
        need("parec", "pulseaudio-utils");
        need("paplay", "pulseaudio-utils");
        let dir = tempfile::Builder::new()
            .prefix("hearken-pulse")
            .tempdir()
            .unwrap();
        let runtime = dir.path().join("runtime");
        std::fs::create_dir_all(&runtime).unwrap();
        let socket = dir.path().join("native");
        // The server accepts anyone (auth-anonymous), but the protocol still carries a
        // 256-byte cookie, and cpal's client sends an empty one when it finds no file.
        std::fs::write(dir.path().join("cookie"), [7u8; 256]).unwrap();
        let mut script = format!(
            "load-module module-native-protocol-unix socket={} auth-anonymous=1\n",
            socket.display()
        );
        for s in sinks {
            script.push_str(&format!("load-module module-null-sink {}\n", s.load_args()));
        }
        let script_path = dir.path().join("hearken.pa");
        std::fs::write(&script_path, script).unwrap();
        let pulse = Pulse {
            server: format!("unix:{}", socket.display()),
            dir,
            readers: Vec::new(),
        };
        let status = pulse
            .env(&mut Command::new("pulseaudio"))
            .args(["-n", "-F"])
            .arg(&script_path)
            .args([
                // No --disallow-exit: the test stops the server with `pactl exit`.
                "--exit-idle-time=-1",
                "--daemonize=yes",
                "--log-target=stderr",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("start pulseaudio");
        assert!(status.success(), "pulseaudio did not start");
        wait_for(Duration::from_secs(10), "the PulseAudio server", || {
            pulse.pactl(&["info"])
        });
        let mut pulse = pulse;
        for s in sinks {
            pulse.read_monitor(s);
        }
        pulse
    }

    /// The environment a client of this server needs.
    pub fn env<'a>(&self, c: &'a mut Command) -> &'a mut Command {
        let runtime = self.dir.path().join("runtime");
        c.env("PULSE_SERVER", &self.server)
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("PULSE_RUNTIME_PATH", &runtime)
            .env("PULSE_COOKIE", self.dir.path().join("cookie"))
            .env("HOME", self.dir.path())
    }

    pub fn pactl(&self, args: &[&str]) -> Option<String> {
        let o = self
            .env(&mut Command::new("pactl"))
            .args(args)
            .output()
            .ok()?;
        o.status
            .success()
            .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
    }

    /// An idle null sink delivers audio to its monitor only every 2 s or so, until something
    /// reads the monitor with low latency: keep a 20 ms reader on it, and wait until the sink
    /// reports a latency under 100 ms.
    pub fn read_monitor(&mut self, sink: &Sink) {
        let child = self
            .env(&mut Command::new("parec"))
            .args(["--latency-msec=20", "-d", &sink.monitor()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run parec");
        self.readers.push((sink.name.to_string(), child));
        wait_for(
            Duration::from_secs(10),
            &format!("{} to run with low latency", sink.name),
            || self.sink_latency_us(sink.name).filter(|&us| us < 100_000),
        );
    }

    fn sink_latency_us(&self, name: &str) -> Option<u64> {
        let list = self.pactl(&["list", "sinks"])?;
        let block = list
            .split("Sink #")
            .find(|b| b.contains(&format!("Name: {name}\n")))?;
        let line = block.lines().find(|l| l.trim().starts_with("Latency:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// The module index of a loaded null sink.
    pub fn module_of(&self, sink: &Sink) -> Option<String> {
        let list = self.pactl(&["list", "short", "modules"])?;
        list.lines()
            .find(|l| {
                l.contains("module-null-sink") && l.contains(&format!("sink_name={} ", sink.name))
            })
            .and_then(|l| l.split_whitespace().next().map(str::to_string))
    }

    /// Unplug: the sink and its monitor disappear.
    pub fn unload(&mut self, sink: &Sink) {
        let m = self.module_of(sink).expect("the sink's module");
        self.readers.retain_mut(|(n, c)| {
            if n == sink.name {
                let _ = c.kill();
                let _ = c.wait();
                false
            } else {
                true
            }
        });
        assert!(self.pactl(&["unload-module", &m]).is_some(), "unload {m}");
    }

    /// Plug back in.
    pub fn load(&mut self, sink: &Sink) {
        let args = sink.load_args();
        let mut all = vec!["load-module", "module-null-sink"];
        all.extend(args.split(' '));
        assert!(self.pactl(&all).is_some(), "load {}", sink.name);
        self.read_monitor(sink);
    }

    /// Play a WAV into a sink.
    pub fn play(&self, sink: &Sink, wav: &Path) -> Child {
        self.env(&mut Command::new("paplay"))
            .args(["--latency-msec=20", "-d", sink.name])
            .arg(wav)
            .spawn()
            .expect("run paplay")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Pulse {
    fn drop(&mut self) {
        for (_, c) in self.readers.iter_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = self.pactl(&["exit"]);
    }
}

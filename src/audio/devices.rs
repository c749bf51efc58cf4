//! Audio devices: listing them for IT, and finding the one a config names.
//!
//! Devices are named the way cpal's host reports them: on PulseAudio/PipeWire the source
//! name (`alsa_input.usb-Jabra...`, `...analog-stereo.monitor` for what a sink plays), with
//! the human description beside it. A config may give any unambiguous substring of either.

use cpal::traits::{DeviceTrait, HostTrait};

/// One input device as `hearken devices` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceInfo {
    pub host: String,
    /// The id the host knows it by (the PulseAudio source name).
    pub id: String,
    /// Its human description.
    pub description: String,
    /// What the system plays (a sink's monitor, a loopback), rather than a microphone.
    pub monitor: bool,
    /// Default input config: channels, rate, sample format.
    pub channels: u16,
    pub sample_rate: u32,
    pub format: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error(
        "no audio input device matches \"{wanted}\" on {host}. Available: {available}. Run `hearken devices` and copy a name into the config."
    )]
    NotFound {
        wanted: String,
        host: String,
        available: String,
    },
    #[error("\"{wanted}\" matches several devices on {host}: {matches}. Give more of the name.")]
    Ambiguous {
        wanted: String,
        host: String,
        matches: String,
    },
    #[error("the audio host {host} is not available: {reason}")]
    Host { host: String, reason: String },
    #[error("cannot open the audio device \"{device}\": {reason}")]
    Open { device: String, reason: String },
}

/// Run `f`, which probes audio devices, with the process's stderr caught; what was caught
/// goes to the log at debug level.
///
/// Probing every ALSA device on a machine without that hardware or server makes ALSA, its
/// JACK and OSS plugins print dozens of lines of their own ("ALSA lib confmisc.c:165 Cannot
/// get card index", "jack server is not running") straight to file descriptor 2, past
/// Hearken's logging. `check` and `devices` are what IT reads; their own lines must not drown.
/// Only for those single-threaded commands: while `f` runs, anything any thread writes to
/// stderr is caught too, Hearken's own log lines included, so `f` should report problems
/// by what it returns, not by logging them. Not used on a live call, whose other threads log.
/// If `f` panics, what was caught is put back on stderr, the panic's message with it.
pub fn with_stderr_caught<T>(f: impl FnOnce() -> T) -> T {
    #[cfg(unix)]
    {
        use std::io::{Read, Seek, Write};
        use std::os::fd::AsRawFd;

        /// Puts the real stderr back, even if `f` panics.
        struct Restore(i32);
        impl Drop for Restore {
            fn drop(&mut self) {
                // SAFETY: `self.0` is the duplicate of fd 2 made below and owned here.
                unsafe {
                    libc::dup2(self.0, 2);
                    libc::close(self.0);
                }
            }
        }

        let Ok(mut caught) = tempfile::tempfile() else {
            return f();
        };
        let _ = std::io::stderr().flush();
        // Close-on-exec: a sound server or JACK that the probe starts must not keep the real
        // stderr open (a pipe reading `hearken check 2>&1` would never see its end).
        // SAFETY: plain descriptor calls; every descriptor made is closed by `Restore`.
        let saved = unsafe { libc::fcntl(2, libc::F_DUPFD_CLOEXEC, 0) };
        if saved < 0 {
            return f();
        }
        let restore = Restore(saved);
        // SAFETY: `caught` stays open until after `restore` has put fd 2 back.
        if unsafe { libc::dup2(caught.as_raw_fd(), 2) } < 0 {
            return f();
        }
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        drop(restore);
        let mut said = Vec::new();
        let read = caught.rewind().is_ok() && caught.read_to_end(&mut said).is_ok();
        match out {
            Ok(out) => {
                if read {
                    for line in String::from_utf8_lossy(&said).lines() {
                        if !line.trim().is_empty() {
                            tracing::debug!("sound libraries said: {line}");
                        }
                    }
                }
                out
            }
            Err(panic) => {
                let _ = std::io::stderr().write_all(&said);
                std::panic::resume_unwind(panic)
            }
        }
    }
    #[cfg(not(unix))]
    f()
}

/// The host to use: `name` ("pulseaudio", "alsa") or the platform default (PulseAudio or
/// PipeWire's PulseAudio service where one runs, else ALSA).
pub fn host(name: Option<&str>) -> Result<cpal::Host, DeviceError> {
    let Some(name) = name else {
        return Ok(cpal::default_host());
    };
    let id = cpal::available_hosts()
        .into_iter()
        .find(|h| h.name().eq_ignore_ascii_case(name))
        .ok_or_else(|| DeviceError::Host {
            host: name.to_string(),
            reason: format!(
                "this machine offers {}",
                cpal::available_hosts()
                    .iter()
                    .map(|h| h.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })?;
    cpal::host_from_id(id).map_err(|e| DeviceError::Host {
        host: name.to_string(),
        reason: e.to_string(),
    })
}

fn info(host: &cpal::Host, d: &cpal::Device) -> Option<DeviceInfo> {
    let id = d.id().ok()?.id().to_string();
    let description = d
        .description()
        .map(|x| x.name().to_string())
        .unwrap_or_default();
    let cfg = d.default_input_config().ok()?;
    Some(DeviceInfo {
        host: host.id().name().to_string(),
        monitor: id.ends_with(".monitor") || description.starts_with("Monitor of"),
        id,
        description,
        channels: cfg.channels(),
        sample_rate: cfg.sample_rate(),
        format: format!("{:?}", cfg.sample_format()).to_lowercase(),
    })
}

/// Every input device of every available host.
pub fn list() -> Vec<DeviceInfo> {
    let mut all = Vec::new();
    for id in cpal::available_hosts() {
        let Ok(host) = cpal::host_from_id(id) else {
            continue;
        };
        let Ok(devices) = host.input_devices() else {
            continue;
        };
        all.extend(devices.filter_map(|d| info(&host, &d)));
    }
    all
}

/// The input device `wanted` names on `host`: an exact id, else the one device whose id or
/// description contains it (case-insensitive).
pub fn find(host: &cpal::Host, wanted: &str) -> Result<(cpal::Device, DeviceInfo), DeviceError> {
    let host_name = host.id().name().to_string();
    let devices: Vec<(cpal::Device, DeviceInfo)> = host
        .input_devices()
        .map_err(|e| DeviceError::Host {
            host: host_name.clone(),
            reason: e.to_string(),
        })?
        .filter_map(|d| info(host, &d).map(|i| (d, i)))
        .collect();
    if let Some(k) = devices.iter().position(|(_, i)| i.id == wanted) {
        return Ok(devices.into_iter().nth(k).expect("found above"));
    }
    let w = wanted.to_lowercase();
    let mut matches: Vec<(cpal::Device, DeviceInfo)> = devices
        .iter()
        .filter(|(_, i)| {
            i.id.to_lowercase().contains(&w) || i.description.to_lowercase().contains(&w)
        })
        .cloned()
        .collect();
    match matches.len() {
        1 => Ok(matches.remove(0)),
        0 => Err(DeviceError::NotFound {
            wanted: wanted.to_string(),
            host: host_name,
            available: if devices.is_empty() {
                "none".to_string()
            } else {
                devices
                    .iter()
                    .map(|(_, i)| format!("\"{}\"", i.id))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        }),
        _ => Err(DeviceError::Ambiguous {
            wanted: wanted.to_string(),
            host: host_name,
            matches: matches
                .iter()
                .map(|(_, i)| format!("\"{}\"", i.id))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Every input device of one host; None when the host cannot be asked.
pub fn inputs(host: &cpal::Host) -> Option<Vec<DeviceInfo>> {
    let devices = host.input_devices().ok()?;
    Some(devices.filter_map(|d| info(host, &d)).collect())
}

/// The device `wanted` names among `listed`, by the rule [`find`] uses: an exact id, else
/// the one device whose id or description contains it.
pub fn matching<'a>(listed: &'a [DeviceInfo], wanted: &str) -> Option<&'a DeviceInfo> {
    if let Some(d) = listed.iter().find(|i| i.id == wanted) {
        return Some(d);
    }
    let w = wanted.to_lowercase();
    let mut m = listed
        .iter()
        .filter(|i| i.id.to_lowercase().contains(&w) || i.description.to_lowercase().contains(&w));
    match (m.next(), m.next()) {
        (Some(d), None) => Some(d),
        _ => None,
    }
}

/// The agent's side when the config names none: the system's default input.
pub fn default_agent(host: &cpal::Host) -> Option<String> {
    host.default_input_device()?
        .id()
        .ok()
        .map(|i| i.id().to_string())
}

/// The customer's side when the config names none: what the default output plays (on
/// PulseAudio/PipeWire, the default sink's monitor source).
pub fn default_customer(host: &cpal::Host) -> Option<String> {
    let sink = host.default_output_device()?.id().ok()?.id().to_string();
    Some(format!("{sink}.monitor"))
}

/// Whether a device with this exact id is still there (a headset unplugged is not); none
/// when the host could not be asked.
pub fn present(host: &cpal::Host, id: &str) -> Option<bool> {
    host.input_devices()
        .ok()
        .map(|mut ds| ds.any(|d| d.id().is_ok_and(|x| x.id() == id)))
}

/// `hearken devices` output: a table, then config lines to paste.
pub fn report(devices: &[DeviceInfo]) -> String {
    let mut s = String::new();
    if devices.is_empty() {
        s.push_str(
            "No audio input devices found. On Linux, check that PulseAudio or PipeWire runs for \
             this user (`pactl info`) and that XDG_RUNTIME_DIR is set.\n",
        );
        return s;
    }
    for d in devices {
        s.push_str(&format!(
            "{host:<10} {kind:<10} {ch} ch {rate} Hz {fmt:<4}  \"{id}\"  ({desc})\n",
            host = d.host,
            kind = if d.monitor { "loopback" } else { "input" },
            ch = d.channels,
            rate = d.sample_rate,
            fmt = d.format,
            id = d.id,
            desc = d.description,
        ));
    }
    let mic = devices.iter().find(|d| !d.monitor);
    let loopback = devices.iter().find(|d| d.monitor);
    s.push_str("\nTo use them, put in the config ([capture] section), for example:\n\n[capture]\n");
    if let Some(m) = mic {
        s.push_str(&format!("agent = \"{}\"\n", m.id));
    }
    if let Some(l) = loopback {
        s.push_str(&format!("customer = \"{}\"\n", l.id));
    }
    s
}

#[cfg(all(test, unix))]
mod tests {
    use super::with_stderr_caught;

    /// Which file descriptor 2 is: (device, inode).
    fn stderr_is() -> (u64, u64) {
        // SAFETY: fstat writes into the zeroed struct it is given.
        unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            assert_eq!(libc::fstat(2, &mut st), 0);
            (st.st_dev, st.st_ino)
        }
    }

    #[test]
    fn stderr_is_caught_while_probing_and_given_back_even_after_a_panic() {
        let before = stderr_is();
        let during = with_stderr_caught(stderr_is);
        assert_ne!(during, before, "stderr was not caught");
        assert_eq!(stderr_is(), before);
        let panicked = std::panic::catch_unwind(|| with_stderr_caught(|| panic!("a probe failed")));
        assert!(panicked.is_err());
        assert_eq!(stderr_is(), before, "stderr not given back after a panic");
    }
}

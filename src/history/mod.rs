//! The agent's own trend: one line of figures per live call, in the agent's state folder,
//! readable by that user alone. Never words, never audio, never the agent's emotions: only
//! behaviour (talk share, talk-overs, acknowledgements, pace, silences) and whether the
//! customer's tension came back down. It is the agent's: no supervisor view, no ranking.
//! IT can switch it off (`history.enabled`, lockable); `hearken history --clear` deletes it.

pub mod page;

use crate::contract::CallCard;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// One call, as the history keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// When the call ended: seconds since 1970 (UTC), and the local day and time.
    pub at: u64,
    pub day: String,
    pub time: String,
    pub duration_s: f64,
    pub agent_talk_share: Option<f32>,
    pub talk_overs: u32,
    pub agent_turns: u32,
    pub let_finish: u32,
    pub longest_monologue_s: f64,
    pub dead_air_s: f64,
    /// The customer got upset; the agent acknowledged it (how often); tension came down.
    pub upset: bool,
    pub acknowledged_after_upset: u32,
    pub calm_again: bool,
    pub prompts: u32,
    /// Which card points the call got (their kinds, not their words).
    pub went_well: String,
    pub try_next: String,
}

impl Entry {
    pub fn from_card(card: &CallCard, at: u64) -> Entry {
        let (day, time) = local_day_time(at);
        Entry {
            at,
            day,
            time,
            duration_s: card.duration_ms as f64 / 1000.0,
            agent_talk_share: card.agent_talk_share,
            talk_overs: card.talk_overs,
            agent_turns: card.agent_turns,
            let_finish: card.let_finish,
            longest_monologue_s: card.longest_agent_monologue_ms as f64 / 1000.0,
            dead_air_s: card.dead_air_ms as f64 / 1000.0,
            upset: card.upset_at_ms.is_some(),
            acknowledged_after_upset: card.acknowledged_after_upset,
            calm_again: card.calm_again,
            prompts: card.prompts,
            went_well: card.went_well.kind.clone(),
            try_next: card.try_next.kind.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("no state folder for the history: set HOME or XDG_STATE_HOME")]
    NoFolder,
    #[error("the call history {path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("the call history {path}, line {line}, is not a history line: {reason}")]
    Bad {
        path: PathBuf,
        line: usize,
        reason: String,
    },
}

pub struct History {
    path: PathBuf,
}

impl History {
    /// The history in the user's state folder.
    pub fn here() -> Result<History, HistoryError> {
        let path = crate::paths::history_file().ok_or(HistoryError::NoFolder)?;
        Ok(History { path })
    }

    pub fn at(path: &Path) -> History {
        History {
            path: path.to_owned(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self) -> impl Fn(std::io::Error) -> HistoryError + '_ {
        |cause| HistoryError::Io {
            path: self.path.clone(),
            cause,
        }
    }

    /// Add a call: one line appended and synced, the file the user's alone (0600, in a
    /// 0700 folder).
    pub fn append(&self, e: &Entry) -> Result<(), HistoryError> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(self.io())?;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&self.path)
            .map_err(self.io())?;
        let mut line = serde_json::to_vec(e).expect("an entry serialises");
        line.push(b'\n');
        f.write_all(&line).map_err(self.io())?;
        f.sync_all().map_err(self.io())
    }

    /// Every call kept, oldest first (no file: none).
    pub fn read(&self) -> Result<Vec<Entry>, HistoryError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io()(e)),
        };
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(k, l)| {
                serde_json::from_str(l).map_err(|e| HistoryError::Bad {
                    path: self.path.clone(),
                    line: k + 1,
                    reason: e.to_string(),
                })
            })
            .collect()
    }

    /// Drop calls older than `keep_days` (rewritten whole, or not at all).
    pub fn prune(&self, keep_days: u32, now: u64) -> Result<(), HistoryError> {
        let all = self.read()?;
        let cutoff = now.saturating_sub(keep_days as u64 * 86_400);
        if all.iter().all(|e| e.at >= cutoff) {
            return Ok(());
        }
        let mut text = Vec::new();
        for e in all.iter().filter(|e| e.at >= cutoff) {
            text.extend(serde_json::to_vec(e).expect("an entry serialises"));
            text.push(b'\n');
        }
        crate::output::file::write_whole(&self.path, &text).map_err(self.io())?;
        let _ = std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(0o600));
        Ok(())
    }

    /// Delete it all.
    pub fn clear(&self) -> Result<bool, HistoryError> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.io()(e)),
        }
    }
}

/// Seconds since 1970 now (the history's stamp: the one place Hearken reads the calendar).
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The local day (YYYY-MM-DD) and time (HH:MM) of a moment.
pub fn local_day_time(at: u64) -> (String, String) {
    let t = at as libc::time_t;
    // SAFETY: localtime_r fills the zeroed struct it is given from a valid time.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&t, &mut tm);
        tm
    };
    (
        format!(
            "{:04}-{:02}-{:02}",
            tm.tm_year + 1900,
            tm.tm_mon + 1,
            tm.tm_mday
        ),
        format!("{:02}:{:02}", tm.tm_hour, tm.tm_min),
    )
}

/// One day's calls, summed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Day {
    pub day: String,
    pub calls: u32,
    pub talk_share_mean: Option<f32>,
    pub talk_overs: u32,
    pub upset: u32,
    pub acknowledged: u32,
    pub calm_again: u32,
}

/// The calls per day, oldest first.
pub fn days(entries: &[Entry]) -> Vec<Day> {
    let mut out: Vec<Day> = Vec::new();
    let mut shares: Vec<Vec<f32>> = Vec::new();
    for e in entries {
        if out.last().is_none_or(|d| d.day != e.day) {
            out.push(Day {
                day: e.day.clone(),
                ..Day::default()
            });
            shares.push(Vec::new());
        }
        let d = out.last_mut().expect("pushed above");
        d.calls += 1;
        d.talk_overs += e.talk_overs;
        if e.upset {
            d.upset += 1;
            d.acknowledged += u32::from(e.acknowledged_after_upset > 0);
            d.calm_again += u32::from(e.calm_again);
        }
        if let Some(s) = e.agent_talk_share {
            shares.last_mut().expect("pushed above").push(s);
        }
    }
    for (d, s) in out.iter_mut().zip(shares) {
        d.talk_share_mean = (!s.is_empty()).then(|| s.iter().sum::<f32>() / s.len() as f32);
    }
    out
}

/// `hearken history`: today's calls, then the last 7 days.
pub fn text(entries: &[Entry], now: u64) -> String {
    let (today, _) = local_day_time(now);
    let week: Vec<String> = (0..7)
        .map(|k| local_day_time(now.saturating_sub(k * 86_400)).0)
        .collect();
    let pct = |s: Option<f32>| s.map_or("–".to_string(), |s| format!("{:.0}%", s * 100.0));
    let mut out = format!("Today ({today}):\n");
    let todays: Vec<&Entry> = entries.iter().filter(|e| e.day == today).collect();
    if todays.is_empty() {
        out.push_str("  no calls yet\n");
    }
    for e in &todays {
        out.push_str(&format!(
            "  {}  {:>5.1} min  you talked {:>4}  talk-overs {}  {}\n",
            e.time,
            e.duration_s / 60.0,
            pct(e.agent_talk_share),
            e.talk_overs,
            match (e.upset, e.acknowledged_after_upset > 0, e.calm_again) {
                (false, _, _) => "customer calm".to_string(),
                (true, ack, calm) => format!(
                    "customer upset; {}; {}",
                    if ack {
                        "you acknowledged it"
                    } else {
                        "not acknowledged"
                    },
                    if calm {
                        "calm again"
                    } else {
                        "did not calm down"
                    }
                ),
            }
        ));
    }
    out.push_str("\nThe last 7 days:\n");
    out.push_str("  day          calls  you talked  talk-overs  upset  acknowledged  calm again\n");
    for d in days(entries).iter().filter(|d| week.contains(&d.day)) {
        out.push_str(&format!(
            "  {}  {:>5}  {:>10}  {:>10}  {:>5}  {:>12}  {:>10}\n",
            d.day,
            d.calls,
            pct(d.talk_share_mean),
            d.talk_overs,
            d.upset,
            d.acknowledged,
            d.calm_again
        ));
    }
    out
}

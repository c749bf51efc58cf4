//! The softphone's way in: `hearken call start` / `hearken call end` tell the running
//! `hearken live` where a call begins and ends.
//!
//! A Unix socket in the user's runtime folder (`paths::control_socket`), never a network
//! socket: the folder is the user's alone (0700), the socket 0600, and the server also checks
//! each caller's user id (SO_PEERCRED), so only the same user can send. One line in ("start"
//! or "end"), one line back ("ok call 3 started", or "error ...").

use crate::contract::{CallCommand, CallReason};
use crossbeam_channel::{Receiver, Sender, bounded};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A command from the socket, and where its answer goes.
pub struct Request {
    pub command: CallCommand,
    pub reply: Sender<String>,
}

/// The listening end, while `hearken live` runs. Dropping it removes the socket.
pub struct Server {
    path: PathBuf,
    _thread: std::thread::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error(
        "no `hearken live` is running for this user: nothing listens at {0}. Start `hearken live` first (the softphone must run `hearken call` as the same user)."
    )]
    NoSession(PathBuf),
    #[error(
        "{0} belongs to another user: only the user running `hearken live` can start and end its calls."
    )]
    OtherUser(PathBuf),
    #[error("another `hearken live` already runs for this user (it listens at {0}); stop it first")]
    AlreadyRunning(PathBuf),
    #[error("the control socket {path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ControlError + '_ {
    move |cause| ControlError::Io {
        path: path.to_owned(),
        cause,
    }
}

/// The user id at the other end of a connection.
fn peer_uid(s: &UnixStream) -> Option<u32> {
    use std::os::fd::AsRawFd;
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `cred`, which is that large.
    let r = unsafe {
        libc::getsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    (r == 0).then_some(cred.uid)
}

impl Server {
    /// Listen at `path`; requests arrive on the returned channel.
    pub fn start(path: &Path) -> Result<(Server, Receiver<Request>), ControlError> {
        let dir = path.parent().unwrap_or(Path::new("/"));
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io(dir))?;
        if path.exists() {
            if UnixStream::connect(path).is_ok() {
                return Err(ControlError::AlreadyRunning(path.to_owned()));
            }
            // Left by a session that ended without cleaning up.
            std::fs::remove_file(path).map_err(io(path))?;
        }
        let listener = UnixListener::bind(path).map_err(io(path))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io(path))?;
        let (tx, rx) = bounded::<Request>(8);
        // SAFETY: getuid has no preconditions.
        let me = unsafe { libc::getuid() };
        let thread = std::thread::Builder::new()
            .name("hearken-control".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    serve(stream, me, &tx);
                }
            })
            .map_err(io(path))?;
        tracing::info!("listening for `hearken call` at {}", path.display());
        Ok((
            Server {
                path: path.to_owned(),
                _thread: thread,
            },
            rx,
        ))
    }
}

/// One connection: check who it is, read the command, pass it on, answer.
fn serve(stream: UnixStream, me: u32, requests: &Sender<Request>) {
    let mut out = match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let answer = if peer_uid(&stream) != Some(me) {
        "error only the user running hearken live can control it".to_string()
    } else {
        let mut line = String::new();
        let _ = BufReader::new(&stream).read_line(&mut line);
        match line.trim() {
            "start" => ask(requests, CallCommand::Start(CallReason::Softphone)),
            "end" => ask(requests, CallCommand::End(CallReason::Softphone)),
            other => format!("error unknown command {other:?}: say start or end"),
        }
    };
    let _ = writeln!(out, "{answer}");
}

fn ask(requests: &Sender<Request>, command: CallCommand) -> String {
    let (reply, answer) = bounded(1);
    if requests.send(Request { command, reply }).is_err() {
        return "error the live session is ending".into();
    }
    answer
        .recv_timeout(Duration::from_secs(5))
        .unwrap_or_else(|_| "error the live session did not answer".into())
}

/// `hearken call start|end`: send one command to the running session; its answer.
pub fn send(path: &Path, command: &str) -> Result<String, ControlError> {
    let mut s = UnixStream::connect(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => {
            ControlError::NoSession(path.to_owned())
        }
        std::io::ErrorKind::PermissionDenied => ControlError::OtherUser(path.to_owned()),
        _ => ControlError::Io {
            path: path.to_owned(),
            cause: e,
        },
    })?;
    writeln!(s, "{command}").map_err(io(path))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(io(path))?;
    let mut line = String::new();
    BufReader::new(&s).read_line(&mut line).map_err(io(path))?;
    Ok(line.trim().to_string())
}

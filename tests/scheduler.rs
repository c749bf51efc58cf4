//! `hearken batch --shard` under a real scheduler: a single-node Slurm (munge, slurmctld and
//! slurmd from Debian's `munge` and `slurm-wlm`), configured and started by the test in a
//! temporary folder and stopped after it. An array job of three tasks each takes its share of
//! a folder of calls (the index from Slurm's own environment), `--merge` joins the three
//! summaries, and the result is what one plain run over the folder gives.
//!
//! slurmd starts jobs as their owner, so it runs as root: the test says so and fails when it
//! is not root, rather than skipping.

mod common;

use common::{fixture, hearken, need, stderr, tmpdir};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The daemons of one test cluster, stopped when it goes out of scope (a failing test too).
struct Cluster {
    dir: PathBuf,
    conf: PathBuf,
    munge_socket: PathBuf,
}

impl Cluster {
    fn start(dir: &Path) -> Cluster {
        for (program, package) in [
            ("munged", "munge"),
            ("slurmctld", "slurmctld"),
            ("slurmd", "slurmd"),
            ("sbatch", "slurm-client"),
        ] {
            need(program, package);
        }
        let uid = Command::new("id").arg("-u").output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&uid.stdout).trim(),
            "0",
            "the Slurm test starts slurmd, which must run as root (it starts jobs as their owner): run the tests as root"
        );
        let host = Command::new("hostname").arg("-s").output().unwrap();
        let host = String::from_utf8_lossy(&host.stdout).trim().to_string();
        assert!(!host.is_empty(), "hostname -s printed nothing");
        for d in ["state", "spool"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        // munge: a fresh key and its own socket, so nothing of the machine's is touched.
        let key = dir.join("munge.key");
        let bytes: Vec<u8> = (0..1024u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        std::fs::write(&key, bytes).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o400)).unwrap();
        let (ctl_port, node_port) = (free_port(), free_port());
        let d = dir.display();
        let conf = dir.join("slurm.conf");
        std::fs::write(
            &conf,
            format!(
                "ClusterName=hearkentest\n\
                 SlurmctldHost={host}\n\
                 SlurmUser=root\n\
                 SlurmdUser=root\n\
                 AuthType=auth/munge\n\
                 AuthInfo=socket={sock}\n\
                 CredType=cred/munge\n\
                 StateSaveLocation={d}/state\n\
                 SlurmdSpoolDir={d}/spool\n\
                 SlurmctldPidFile={d}/slurmctld.pid\n\
                 SlurmdPidFile={d}/slurmd.pid\n\
                 SlurmctldLogFile={d}/slurmctld.log\n\
                 SlurmdLogFile={d}/slurmd.log\n\
                 SlurmctldPort={ctl_port}\n\
                 SlurmdPort={node_port}\n\
                 ProctrackType=proctrack/linuxproc\n\
                 TaskPlugin=task/none\n\
                 JobAcctGatherType=jobacct_gather/none\n\
                 AccountingStorageType=accounting_storage/none\n\
                 SelectType=select/cons_tres\n\
                 SelectTypeParameters=CR_Core\n\
                 ReturnToService=2\n\
                 MpiDefault=none\n\
                 NodeName={host} CPUs=2 RealMemory=1000 State=UNKNOWN\n\
                 PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n",
                sock = dir.join("munge.socket").display(),
            ),
        )
        .unwrap();
        // From here on the daemons are stopped however the test ends (`Drop`).
        let munge_socket = dir.join("munge.socket");
        let cluster = Cluster {
            dir: dir.to_owned(),
            conf,
            munge_socket: munge_socket.clone(),
        };
        let started = Command::new("munged")
            .arg("--force")
            .arg(format!("--socket={}", munge_socket.display()))
            .arg(format!("--key-file={}", key.display()))
            .arg(format!("--log-file={}", dir.join("munged.log").display()))
            .arg(format!("--pid-file={}", dir.join("munged.pid").display()))
            .arg(format!("--seed-file={}", dir.join("munged.seed").display()))
            .output()
            .unwrap();
        assert!(started.status.success(), "munged: {}", stderr(&started));

        for (daemon, args) in [("slurmctld", &["-c", "-i"][..]), ("slurmd", &["-c"][..])] {
            let out = cluster.slurm(daemon).args(args).output().unwrap();
            assert!(
                out.status.success(),
                "{daemon}: {}\n{}",
                stderr(&out),
                cluster.logs()
            );
        }
        // Ready when the node is idle.
        let t0 = Instant::now();
        loop {
            let out = cluster
                .slurm("sinfo")
                .args(["-h", "-o", "%t"])
                .output()
                .unwrap();
            if String::from_utf8_lossy(&out.stdout).trim() == "idle" {
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "the test cluster's node did not come up: {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                cluster.logs()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
        cluster
    }

    /// A Slurm command that talks to this cluster.
    fn slurm(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", &self.conf);
        c
    }

    fn logs(&self) -> String {
        ["slurmctld.log", "slurmd.log", "munged.log"]
            .iter()
            .map(|f| {
                let text = std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(15).collect();
                format!(
                    "--- {f}\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for pid_file in ["slurmd.pid", "slurmctld.pid"] {
            if let Ok(pid) = std::fs::read_to_string(self.dir.join(pid_file)) {
                let _ = Command::new("kill").arg(pid.trim()).status();
            }
        }
        let _ = Command::new("munged")
            .arg("--stop")
            .arg(format!("--socket={}", self.munge_socket.display()))
            .status();
    }
}

/// A TCP port free now on this machine (the daemons bind it a moment later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn read_rows(path: &Path) -> Vec<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let mut rows: Vec<Vec<(String, String)>> = lines
        .map(|l| {
            let row: HashMap<&str, &str> = header.iter().copied().zip(l.split(',')).collect();
            // Everything but the time each call took.
            let mut r: Vec<(String, String)> = row
                .into_iter()
                .filter(|(k, _)| *k != "processing_s")
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            r.sort();
            r
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn a_slurm_array_job_of_shards_merges_to_one_plain_batch() {
    let dir = tmpdir();
    let calls = dir.path().join("calls");
    std::fs::create_dir(&calls).unwrap();
    for n in ["backchannels", "calm", "escalating", "real_voices"] {
        std::fs::copy(fixture(&format!("{n}.wav")), calls.join(format!("{n}.wav"))).unwrap();
    }
    std::fs::write(calls.join("broken.wav"), b"RIFF\x10\x00\x00\x00WAVEjunk").unwrap();
    let cluster = Cluster::start(&dir.path().join("slurm"));

    // The job as an IT person would submit it: each task's share from Slurm's environment.
    let bin = env!("CARGO_BIN_EXE_hearken");
    let parts = dir.path().join("parts");
    std::fs::create_dir(&parts).unwrap();
    // A task whose share holds a broken call exits 1, and Slurm marks it failed; the
    // wrapper also prints each task's exit status so the test can say which did.
    let task = format!(
        "{bin} batch {calls} --shard auto --jobs 1 --out {parts}/part-$SLURM_ARRAY_TASK_ID.csv; s=$?; echo \"exit $s\"; exit $s",
        calls = calls.display(),
        parts = parts.display(),
    );
    // The same environment as every other test's hearken (config and logs kept to the test).
    let plain_cmd = hearken();
    let mut sbatch = cluster.slurm("sbatch");
    for (k, v) in plain_cmd.get_envs() {
        match v {
            Some(v) => sbatch.env(k, v),
            None => sbatch.env_remove(k),
        };
    }
    // `--time`: a task that hangs is ended by Slurm, and `sbatch --wait` returns.
    let out = sbatch
        .current_dir(common::root())
        .args(["--wait", "--array=0-2", "--export=ALL", "--time=10"])
        .arg(format!("--output={}/task-%a.log", parts.display()))
        .arg(format!("--wrap={task}"))
        .output()
        .unwrap();
    let task_logs: String = (0..3)
        .map(|i| std::fs::read_to_string(parts.join(format!("task-{i}.log"))).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    // One task failed (its share holds the broken call), so the array job did.
    assert_eq!(
        out.status.code(),
        Some(1),
        "sbatch --wait: {}\n{task_logs}\n{}",
        stderr(&out),
        cluster.logs()
    );
    // The broken call fails its own task only.
    let failed = task_logs.matches("exit 1").count();
    let passed = task_logs.matches("exit 0").count();
    assert_eq!((failed, passed), (1, 2), "{task_logs}");
    let shards: Vec<PathBuf> = (0..3)
        .map(|i| parts.join(format!("part-{i}.csv")))
        .collect();
    let sizes: Vec<usize> = shards.iter().map(|p| read_rows(p).len()).collect();
    assert_eq!(sizes, [2, 2, 1], "5 calls in 3 shards\n{task_logs}");

    let merged = dir.path().join("merged.csv");
    let out = hearken()
        .args(["batch", "--merge"])
        .arg(&merged)
        .args(&shards)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let plain = dir.path().join("plain.csv");
    let out = hearken()
        .arg("batch")
        .arg(&calls)
        .args(["--jobs", "1", "--out"])
        .arg(&plain)
        .output()
        .unwrap();
    assert!(
        plain.exists(),
        "the plain batch wrote no summary: {}",
        stderr(&out)
    );
    let merged_rows = read_rows(&merged);
    assert_eq!(merged_rows.len(), 5);
    assert_eq!(merged_rows, read_rows(&plain));
}

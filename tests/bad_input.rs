//! Every kind of bad input a trainer or IT can hand Hearken: each is a clear error naming the
//! file and what to do, never a panic, and leaves no output behind.

mod common;

use common::*;
use std::path::Path;

/// A WAV file built byte by byte, so its header can say anything.
fn raw_wav(
    tag: u16,
    channels: u16,
    rate: u32,
    bits: u16,
    data: &[u8],
    data_len: Option<u32>,
) -> Vec<u8> {
    let block = u32::from(channels) * u32::from(bits) / 8;
    let mut fmt = Vec::new();
    fmt.extend(tag.to_le_bytes());
    fmt.extend(channels.to_le_bytes());
    fmt.extend(rate.to_le_bytes());
    fmt.extend((rate * block).to_le_bytes());
    fmt.extend((block as u16).to_le_bytes());
    fmt.extend(bits.to_le_bytes());
    let mut body = b"WAVEfmt ".to_vec();
    body.extend(16u32.to_le_bytes());
    body.extend(fmt);
    body.extend(b"data");
    body.extend(data_len.unwrap_or(data.len() as u32).to_le_bytes());
    body.extend(data);
    let mut out = b"RIFF".to_vec();
    out.extend((body.len() as u32).to_le_bytes());
    out.extend(body);
    out
}

/// One second of a 440 Hz tone on both channels, 16-bit at 16 kHz.
fn tone() -> Vec<u8> {
    (0..16_000)
        .flat_map(|i| {
            let v = ((i as f32 * 440.0 * std::f32::consts::TAU / 16_000.0).sin() * 8000.0) as i16;
            [v.to_le_bytes(), v.to_le_bytes()].concat()
        })
        .collect()
}

/// Replay `file` asking for every output; return the run and the outputs asked for.
fn replay_all_outputs(dir: &Path, file: &Path) -> std::process::Output {
    hearken()
        .arg("replay")
        .arg(file)
        .args(["--no-transcribe", "--speed", "max"])
        .arg("--events")
        .arg(dir.join("events.jsonl"))
        .arg("--json")
        .arg(dir.join("report.json"))
        .arg("--report")
        .arg(dir.join("report.html"))
        .output()
        .unwrap()
}

fn only_the_input_is_left(dir: &Path, input: &str) {
    let left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        left,
        vec![input.to_string()],
        "nothing half-written may be left"
    );
}

#[test]
fn broken_wav_files_are_clear_errors_that_leave_nothing_behind() {
    let t = tone();
    let full = raw_wav(1, 2, 16_000, 16, &t, None);
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        (
            "empty.wav",
            Vec::new(),
            vec!["shorter than a WAV header", "sox"],
        ),
        (
            "truncated.wav",
            full[..full.len() / 3].to_vec(),
            vec!["cut short", "1.0 s", "0.3 s", "sox --ignore-length"],
        ),
        (
            // What a recorder streaming to disk leaves when it never finishes the header;
            // its header claims 4 GiB (about 19 hours at this rate).
            "huge.wav",
            raw_wav(1, 2, 16_000, 16, &t, Some(u32::MAX)),
            vec![
                "gives no length",
                "1.0 s of audio follow",
                "sox --ignore-length",
            ],
        ),
        (
            "zero-length.wav",
            raw_wav(1, 2, 16_000, 16, &t, Some(0)),
            vec!["gives no length", "sox --ignore-length"],
        ),
        (
            "rifx.wav",
            [b"RIFX".as_slice(), &full[4..]].concat(),
            vec!["no RIFF/WAVE header"],
        ),
        (
            "text.wav",
            b"this is a meeting note, not audio\n".to_vec(),
            vec!["no RIFF/WAVE header"],
        ),
        (
            "nofmt.wav",
            [b"RIFF\x04\x00\x00\x00WAVE".as_slice()].concat(),
            vec!["no fmt chunk"],
        ),
        (
            "zero-channels.wav",
            raw_wav(1, 0, 16_000, 16, &t, None),
            vec!["zero channels"],
        ),
        (
            "nine-channels.wav",
            raw_wav(1, 9, 16_000, 16, &t[..t.len() / 18 * 18], None),
            vec!["9 channels", "remix"],
        ),
        (
            "one-hertz.wav",
            raw_wav(1, 2, 1, 16, &t, None),
            vec!["1 Hz", "8000 to 192000 Hz"],
        ),
        (
            "384k.wav",
            raw_wav(1, 2, 384_000, 16, &t, None),
            vec!["384000 Hz", "8000 to 192000 Hz"],
        ),
        (
            "12-bit.wav",
            raw_wav(1, 2, 16_000, 12, &t, None),
            vec!["sox"],
        ),
        (
            "mp3-in-wav.wav",
            raw_wav(0x55, 2, 16_000, 16, &t, None),
            vec!["not supported", "sox"],
        ),
    ];
    for (name, bytes, mentions) in cases {
        let dir = tmpdir();
        let file = dir.path().join(name);
        std::fs::write(&file, &bytes).unwrap();
        let out = replay_all_outputs(dir.path(), &file);
        let mut all = mentions.clone();
        all.push(name);
        assert_clean_failure(&out, &all);
        only_the_input_is_left(dir.path(), name);
    }
}

#[test]
fn nan_infinite_and_clipped_samples_are_read_not_fatal() {
    let dir = tmpdir();
    // 32-bit float: NaN, infinities and values far past full scale, between stretches of tone.
    let mut data = Vec::new();
    for i in 0..32_000usize {
        let v: f32 = match (i / 1600) % 4 {
            0 => f32::NAN,
            1 => {
                if i % 2 == 0 {
                    f32::INFINITY
                } else {
                    f32::NEG_INFINITY
                }
            }
            2 => 7.5 * (i as f32 * 0.17).sin(),
            _ => 0.3 * (i as f32 * 0.17).sin(),
        };
        data.extend(v.to_le_bytes());
        data.extend(v.to_le_bytes());
    }
    let nan = dir.path().join("nan.wav");
    std::fs::write(&nan, raw_wav(3, 2, 16_000, 32, &data, None)).unwrap();
    // 16-bit square wave at full scale, hard clipped.
    let clipped: Vec<u8> = (0..32_000)
        .flat_map(|i| {
            let v: i16 = if (i / 20) % 2 == 0 {
                i16::MAX
            } else {
                i16::MIN
            };
            [v.to_le_bytes(), v.to_le_bytes()].concat()
        })
        .collect();
    let clip = dir.path().join("clipped.wav");
    std::fs::write(&clip, raw_wav(1, 2, 16_000, 16, &clipped, None)).unwrap();
    for file in [&nan, &clip] {
        let events_path = dir.path().join("events.jsonl");
        let out = hearken()
            .arg("replay")
            .arg(file)
            .args(["--no-transcribe", "--events"])
            .arg(&events_path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}: {}", file.display(), stderr(&out));
        let text = std::fs::read_to_string(&events_path).unwrap();
        let evs = events(text.as_bytes());
        let end = evs.last().expect("events");
        assert_eq!(
            end["type"],
            "call_end",
            "{}: the call ran to its end",
            file.display()
        );
        assert_eq!(
            end["t_ms"],
            2000,
            "{}: all two seconds were read",
            file.display()
        );
        // Every number in the events is finite: NaN never reaches the output.
        assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
    }
}

#[test]
fn a_model_file_of_the_wrong_kind_is_named_for_what_it_is() {
    let dir = tmpdir();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "call.bin",
            raw_wav(1, 2, 16_000, 16, &tone(), None),
            "RIFF file",
        ),
        (
            "llama.gguf",
            b"GGUF\x03\x00\x00\x00rest of a language model".to_vec(),
            "GGUF",
        ),
        (
            "model.pt",
            b"PK\x03\x04torch checkpoint".to_vec(),
            "ZIP archive",
        ),
        ("error.html", b"<html>404 Not Found</html>".to_vec(), "text"),
        ("empty.bin", Vec::new(), "empty"),
    ];
    for (name, bytes, found) in cases {
        let model = dir.path().join(name);
        std::fs::write(&model, bytes).unwrap();
        for cmd in [vec!["replay", "tests/fixtures/calm.wav"], vec!["check"]] {
            let out = hearken()
                .arg("--model")
                .arg(&model)
                .args(&cmd)
                .output()
                .unwrap();
            let said = format!("{}{}", stderr(&out), String::from_utf8_lossy(&out.stdout));
            assert!(!out.status.success(), "{name} with {cmd:?} must fail");
            assert!(!said.contains("panicked"), "{said}");
            for m in [name, "is not a whisper model", found] {
                assert!(
                    said.contains(m),
                    "{name} with {cmd:?} should say {m:?}: {said}"
                );
            }
        }
    }
}

#[test]
fn a_missing_config_or_playbook_file_is_named() {
    for (flag, path) in [
        ("--config", "/nonexistent/hearken.toml"),
        ("--playbook", "/nonexistent/playbook.toml"),
    ] {
        let out = hearken()
            .args([
                flag,
                path,
                "replay",
                "tests/fixtures/calm.wav",
                "--no-transcribe",
            ])
            .output()
            .unwrap();
        assert_clean_failure(&out, &[path]);
    }
}

#[test]
fn outputs_to_a_pipe_or_device_are_written_in_place_not_replaced() {
    // `--events /dev/null` once renamed a temp file over /dev/null, turning the device into
    // an ordinary file for the whole machine. A named pipe shows the same without risk.
    let dir = tmpdir();
    let fifo = dir.path().join("events.pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo failed");
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let out = hearken()
        .args([
            "replay",
            "tests/fixtures/calm.wav",
            "--no-transcribe",
            "--events",
        ])
        .arg(&fifo)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // Checked before waiting on the reader, which would wait for ever on a replaced pipe.
    use std::os::unix::fs::FileTypeExt as _;
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "the pipe was replaced by {kind:?}");
    let got = reader.join().unwrap();
    assert!(
        got.contains("\"call_end\""),
        "the events came through the pipe: {got}"
    );
    only_the_input_is_left(dir.path(), "events.pipe");
}

/// What failed is said once, on one line, in plain text when stderr is a file: not again as
/// a log line, not with terminal colour codes, not with its cause repeated.
#[test]
fn each_error_is_printed_once_in_plain_text() {
    let dir = tmpdir();
    open_to_all(dir.path());
    let folder = dir.path().join("calls");
    std::fs::create_dir(&folder).unwrap();
    let locked = dir.path().join("locked.wav");
    std::fs::write(&locked, raw_wav(1, 2, 16_000, 16, &tone(), None)).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let cases: [(&Path, &str); 3] = [
        (&folder, "is a folder, not a call"),
        (Path::new("/nonexistent/call.wav"), "No such file"),
        // Read by an ordinary user, so root's right to read anything does not hide it.
        (&locked, "Permission denied"),
    ];
    for (call, expect) in cases {
        let err_file = dir.path().join("stderr.txt");
        let out = hearken_as_user(dir.path())
            .arg("replay")
            .arg(call)
            .arg("--no-transcribe")
            .stderr(std::fs::File::create(&err_file).unwrap())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{call:?} should fail");
        let text = std::fs::read_to_string(&err_file).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "one line for {call:?}, got: {text}");
        assert!(!text.contains('\u{1b}'), "escape codes in a file: {text:?}");
        assert!(lines[0].starts_with("hearken: "), "{text}");
        assert_eq!(text.matches(expect).count(), 1, "{expect:?} once: {text}");
        assert!(
            text.contains(&call.display().to_string()),
            "names the file: {text}"
        );
    }
}

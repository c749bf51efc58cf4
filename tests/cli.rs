//! The `hearken` binary end to end: real model, real fixture calls, real errors.

mod common;

use common::*;
use serde_json::Value;

/// Text of the utterances of `speaker` that overlap [start, end] ms.
fn heard(events: &[Value], speaker: &str, start: u64, end: u64) -> String {
    of_type(events, "utterance")
        .into_iter()
        .filter(|u| u["speaker"] == speaker)
        .filter(|u| u["start_ms"].as_u64().unwrap() < end && u["end_ms"].as_u64().unwrap() > start)
        .map(|u| u["text"].as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn replay_transcribes_real_recordings_on_both_channels() {
    model();
    let events = replay_events(&[fixture("real_voices.wav").to_str().unwrap()]);
    assert_eq!(events.first().unwrap()["type"], "call_start");
    assert_eq!(events.last().unwrap()["type"], "call_end");
    // Engine time never goes backwards.
    let times: Vec<u64> = events.iter().map(|e| e["t_ms"].as_u64().unwrap()).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "t_ms must be non-decreasing"
    );

    let truth = truth("real_voices");
    let (mut errors, mut total) = (0, 0);
    for turn in truth["turns"].as_array().unwrap() {
        let speaker = turn["speaker"].as_str().unwrap();
        let (s, e) = (
            turn["start_ms"].as_u64().unwrap(),
            turn["end_ms"].as_u64().unwrap(),
        );
        let reference = turn["text"].as_str().unwrap();
        let hyp = heard(&events, speaker, s, e);
        let r = words(reference);
        let errs = word_errors(&r, &words(&hyp));
        println!(
            "{speaker} {s}-{e}: {:.2} WER\n  truth: {reference}\n  heard: {hyp}",
            errs as f64 / r.len() as f64
        );
        errors += errs;
        total += r.len();
        // Every turn is heard, by the right speaker, mostly right.
        assert!(
            (errs as f64) / (r.len() as f64) <= 0.6,
            "turn at {s} ms badly transcribed: {hyp:?}"
        );
    }
    let overall = errors as f64 / total as f64;
    println!("overall WER {overall:.3}");
    assert!(
        overall <= 0.2,
        "overall WER {overall:.3} on real recordings"
    );

    // jfk.wav (with its own long pauses) comes through intact.
    let jfk = truth["turns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["text"].as_str().unwrap().contains("fellow Americans"))
        .unwrap();
    let hyp = heard(
        &events,
        "customer",
        jfk["start_ms"].as_u64().unwrap(),
        jfk["end_ms"].as_u64().unwrap(),
    );
    let w = wer(jfk["text"].as_str().unwrap(), &hyp);
    assert!(w <= 0.1, "jfk WER {w}: {hyp:?}");
}

#[test]
fn telephone_mu_law_at_8k_is_transcribed() {
    model();
    let path = fixture("formats/jfk_mulaw_8k.wav");
    let events = replay_events(&["--customer", path.to_str().unwrap()]);
    assert_eq!(events[0]["sample_rate"], 8000);
    let text: Vec<String> = of_type(&events, "utterance")
        .iter()
        .map(|u| {
            assert_eq!(u["speaker"], "customer");
            u["text"].as_str().unwrap().to_string()
        })
        .collect();
    let w = wer(
        "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.",
        &text.join(" "),
    );
    assert!(w <= 0.15, "WER {w} on G.711 8 kHz: {text:?}");
}

#[test]
fn missing_model_names_the_path_and_the_fetch_command() {
    let out = hearken()
        .args(["--model", "/nonexistent/dir/ggml-tiny.en.bin", "replay"])
        .arg(fixture("calm.wav"))
        .output()
        .unwrap();
    assert_clean_failure(
        &out,
        &["/nonexistent/dir/ggml-tiny.en.bin", "models/fetch-model.sh"],
    );
}

#[test]
fn corrupt_model_is_caught_by_its_checksum() {
    let dir = tmpdir();
    let bad = dir.path().join("ggml-tiny.en.bin");
    let bytes = std::fs::read(model()).unwrap();
    std::fs::write(&bad, &bytes[..bytes.len() / 2]).unwrap();
    let out = hearken()
        .arg("--model")
        .arg(&bad)
        .arg("replay")
        .arg(fixture("calm.wav"))
        .output()
        .unwrap();
    assert_clean_failure(&out, &[bad.to_str().unwrap(), "sha256", "fetch-model.sh"]);
}

#[test]
fn unreadable_wav_is_a_clear_error_and_leaves_no_events_file() {
    let dir = tmpdir();
    let bad = dir.path().join("broken.wav");
    std::fs::write(&bad, b"RIFF\x10\x00\x00\x00WAVEjunkjunk").unwrap();
    let events = dir.path().join("events.jsonl");
    let out = hearken()
        .arg("replay")
        .arg(&bad)
        .arg("--events")
        .arg(&events)
        .output()
        .unwrap();
    assert_clean_failure(&out, &["broken.wav", "not a WAV file"]);
    assert!(
        !events.exists(),
        "a failed replay must not leave an events file"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no partial files left behind"
    );
}

#[test]
fn unsupported_layouts_say_what_to_do() {
    let dir = tmpdir();
    // Six channels: not a call recording.
    let six = dir.path().join("surround.wav");
    let spec = hound::WavSpec {
        channels: 6,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    write_wav(&six, spec, 4800, |_, _| 0.0);
    let out = hearken().arg("replay").arg(&six).output().unwrap();
    assert_clean_failure(&out, &["surround.wav", "6 channels"]);

    // A mono file given as a two-sided call: say how to pass one side.
    let mono = fixture("speech/jfk.wav");
    let out = hearken().arg("replay").arg(&mono).output().unwrap();
    assert_clean_failure(&out, &["jfk.wav", "--customer"]);

    // A rate no recorder writes.
    let odd = dir.path().join("odd.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 4_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    write_wav(&odd, spec, 400, |_, _| 0.0);
    let out = hearken().arg("replay").arg(&odd).output().unwrap();
    assert_clean_failure(&out, &["odd.wav", "4000 Hz"]);
}

#[test]
fn events_file_is_complete_jsonl_with_the_contract_names() {
    model();
    let dir = tmpdir();
    let path = dir.path().join("calm.jsonl");
    let out = hearken()
        .arg("replay")
        .arg(fixture("calm.wav"))
        .arg("--events")
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let events = events(&std::fs::read(&path).unwrap());
    let start = &events[0];
    assert_eq!(start["type"], "call_start");
    assert_eq!(start["sample_rate"], 16000);
    assert_eq!(start["channels"], 2);
    for e in &events {
        assert!(e["t_ms"].is_u64(), "every event has t_ms: {e}");
    }
    let end = events.last().unwrap();
    assert_eq!(end["type"], "call_end");
    let truth = truth("calm");
    let duration = end["duration_ms"].as_u64().unwrap() as i64;
    assert!((duration - truth["duration_ms"].as_i64().unwrap()).abs() <= 10);
    // Speech start/end pairs per speaker, and an utterance for each of the ten turns.
    for spk in ["agent", "customer"] {
        let starts = of_type(&events, "speech_start")
            .iter()
            .filter(|e| e["speaker"] == spk)
            .count();
        let ends = of_type(&events, "speech_end")
            .iter()
            .filter(|e| e["speaker"] == spk)
            .count();
        assert_eq!(starts, ends, "{spk}");
        assert!(starts >= 5, "{spk}: {starts} speech starts");
    }
    let utterances = of_type(&events, "utterance");
    for turn in truth["turns"].as_array().unwrap() {
        let covered = utterances.iter().any(|u| {
            u["speaker"] == turn["speaker"]
                && u["start_ms"].as_u64().unwrap() < turn["end_ms"].as_u64().unwrap()
                && u["end_ms"].as_u64().unwrap() > turn["start_ms"].as_u64().unwrap()
        });
        assert!(covered, "no utterance for turn {turn}");
    }
}

#[test]
fn check_says_pass_or_fail_with_what_to_do() {
    let dir = tmpdir();
    let cfg = dir.path().join("c.toml");
    // ALSA on a machine with no sound card: the named devices cannot be there.
    std::fs::write(
        &cfg,
        "[capture]\nhost = \"alsa\"\nagent = \"Jabra Evolve\"\ncustomer = \"softphone\"\n",
    )
    .unwrap();
    let out = hearken()
        .env("XDG_STATE_HOME", dir.path())
        .arg("--config")
        .arg(&cfg)
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed check fails the command"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // The model line is earned: whisper loaded it and heard the built-in sample's words.
    assert!(text.contains("PASS model"), "{text}");
    assert!(
        text.contains("heard the built-in sample as \"He could wait no longer.\""),
        "{text}"
    );
    assert!(text.contains("x real time"), "{text}");
    assert!(text.contains("PASS speech detection"), "{text}");
    assert!(
        text.contains("s of speech in the 2.1 s built-in sample"),
        "{text}"
    );
    assert!(text.contains("PASS config"), "{text}");
    assert!(text.contains("PASS log folder"), "{text}");
    assert!(text.contains("FAIL audio: agent device"), "{text}");
    assert!(text.contains("Jabra Evolve"), "{text}");
    assert!(text.contains("hearken devices"), "the fix is said: {text}");

    // The same as JSON, and a missing model fails its check with the way to get it.
    let out = hearken()
        .env("XDG_STATE_HOME", dir.path())
        .arg("--config")
        .arg(&cfg)
        .args(["--model", "/nonexistent/m.bin", "check", "--json"])
        .output()
        .unwrap();
    let checks: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let model = checks.iter().find(|c| c["name"] == "model").unwrap();
    assert_eq!(model["ok"], false);
    assert!(
        model["detail"]
            .as_str()
            .unwrap()
            .contains("/nonexistent/m.bin")
    );
    assert!(model["fix"].as_str().unwrap().contains("fetch-model.sh"));

    // A file that passes its (configured) checksum but is not a whisper model, and a
    // speech gate set so that no speech gets through, each fail their line.
    std::fs::write(
        &cfg,
        "[model]\nsha256 = \"2aa269b785eeb53a82983a20501ddf7c1d9c48e33ab63a41391ac6c9f7fb6987\"\n[activity]\nmin_level_dbfs = -5.0\n",
    )
    .unwrap();
    let out = hearken()
        .env("XDG_STATE_HOME", dir.path())
        .arg("--config")
        .arg(&cfg)
        .args([
            "--model",
            "models/ggml-silero-v6.2.0.bin",
            "check",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let checks: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let line = |name: &str| checks.iter().find(|c| c["name"] == name).unwrap().clone();
    let model = line("model");
    assert_eq!(model["ok"], false, "{model}");
    assert!(
        model["detail"].as_str().unwrap().contains("ggml-silero"),
        "{model}"
    );
    let gate = line("speech detection");
    assert_eq!(gate["ok"], false, "{gate}");
    assert!(
        gate["detail"].as_str().unwrap().contains("no speech"),
        "{gate}"
    );
    assert!(
        gate["fix"].as_str().unwrap().contains("[activity]"),
        "{gate}"
    );
}

/// The CPU check tests for exactly the instruction sets the portable build compiles
/// whisper.cpp for: the `GGML_*=ON` flags in packaging/build-deb.sh.
#[cfg(target_arch = "x86_64")]
#[test]
fn the_cpu_check_tests_what_the_portable_build_needs() {
    let script = std::fs::read_to_string(root().join("packaging/build-deb.sh")).unwrap();
    let mut built: Vec<String> = script
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("GGML_")?.strip_suffix("=ON"))
        .map(|f| match f {
            "SSE42" => "sse4.2".to_string(),
            f => f.to_lowercase(),
        })
        .collect();
    built.sort();
    assert!(built.len() >= 5, "GGML flags in build-deb.sh: {built:?}");
    let out = hearken().args(["check", "--json"]).output().unwrap();
    let checks: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let cpu = checks.iter().find(|c| c["name"] == "cpu").unwrap();
    assert_eq!(
        cpu["ok"], true,
        "this machine lacks what the build needs: {cpu}"
    );
    let detail = cpu["detail"].as_str().unwrap();
    let mut checked: Vec<String> = detail
        .trim_end_matches(" present")
        .split(", ")
        .map(str::to_string)
        .collect();
    checked.sort();
    assert_eq!(checked, built, "`hearken check` says: {detail}");
}

/// `check` and `devices` probe every ALSA device. A device ALSA cannot open makes alsa-lib
/// print its own complaint straight to stderr; those lines go to the log (debug), and stderr
/// keeps Hearken's own words only.
#[test]
fn check_and_devices_keep_the_sound_libraries_chatter_off_stderr() {
    let dir = tmpdir();
    // An ALSA setup of one listed device whose card is missing: opening it makes alsa-lib say
    // "Unknown PCM hearken_no_such_card" on any machine, sound card or not.
    let alsa = dir.path().join("asound.conf");
    std::fs::write(
        &alsa,
        "pcm.hearken_probe {\n  type plug\n  slave.pcm \"hearken_no_such_card\"\n  \
         hint { show on description \"a device whose card is missing\" }\n}\n",
    )
    .unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[capture]\nhost = \"alsa\"\n").unwrap();
    for command in ["check", "devices"] {
        for level in ["warn", "debug"] {
            let out = hearken()
                .env("ALSA_CONFIG_PATH", &alsa)
                .arg("--config")
                .arg(&cfg)
                .args(["--log", level, command])
                .output()
                .unwrap();
            let err = stderr(&out);
            let raw = err
                .lines()
                .filter(|l| {
                    l.contains("hearken_no_such_card") && !l.contains("sound libraries said")
                })
                .count();
            assert_eq!(raw, 0, "`{command}` let alsa-lib's lines through:\n{err}");
            if level == "debug" {
                assert!(
                    err.lines().any(|l| l.contains("sound libraries said")
                        && l.contains("Unknown PCM hearken_no_such_card")),
                    "`{command}` should log what alsa-lib said, at debug:\n{err}"
                );
            }
        }
    }
}

#[test]
fn demo_prints_a_timeline_with_words() {
    model();
    let out = hearken().arg("demo").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("call starts"), "{text}");
    assert!(text.contains("call ends"), "{text}");
    let lower = text.to_lowercase();
    assert!(
        lower.contains("supervisor"),
        "the escalating call's words should appear: {text}"
    );
}

#[test]
fn escalating_call_carries_cues_pitch_and_interruptions() {
    model();
    let events = replay_events(&[fixture("escalating.wav").to_str().unwrap()]);
    let utterances = of_type(&events, "utterance");
    let customer_cues: Vec<String> = utterances
        .iter()
        .filter(|u| u["speaker"] == "customer")
        .flat_map(|u| {
            u["features"]["cues"]["escalation"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    for cue in ["ridiculous", "unacceptable", "supervisor"] {
        assert!(
            customer_cues.iter().any(|c| c == cue),
            "{cue} not among {customer_cues:?}"
        );
    }
    // The agent never escalates in this call.
    assert!(
        utterances
            .iter()
            .filter(|u| u["speaker"] == "agent")
            .all(|u| u["features"]["cues"]["escalation"].is_null())
    );
    // Voiced speech has a pitch; the customer's (a higher voice, and tense) is above the agent's.
    let median_f0 = |spk: &str| {
        let mut v: Vec<f64> = utterances
            .iter()
            .filter(|u| u["speaker"] == spk)
            .filter_map(|u| u["features"]["f0_median_hz"].as_f64())
            .collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    assert!(median_f0("customer") > median_f0("agent") * 1.3);
    // The interruptions are in the same stream, by the same speakers, as without whisper.
    let by: Vec<&str> = of_type(&events, "interruption")
        .iter()
        .map(|e| e["by"].as_str().unwrap())
        .collect();
    assert_eq!(by, ["agent", "agent", "customer", "agent"]);
    // Metrics once a second, with the agent's pace once there is enough transcribed speech.
    let metrics = of_type(&events, "metrics");
    assert!(metrics.len() >= 50);
    let wpm = metrics.last().unwrap()["agent_wpm"]
        .as_f64()
        .expect("agent pace");
    assert!((100.0..260.0).contains(&wpm), "{wpm}");
}

#[test]
fn playbook_prints_and_checks() {
    let out = hearken().args(["playbook", "--print"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("[lexicon]") && text.contains("supervisor"));
    let dir = tmpdir();
    let good = dir.path().join("mine.toml");
    std::fs::write(&good, &text).unwrap();
    let out = hearken()
        .arg("--playbook")
        .arg(&good)
        .arg("playbook")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[lexicon]\nescalation = \"not a list\"\n").unwrap();
    let out = hearken()
        .arg("--playbook")
        .arg(&bad)
        .arg("playbook")
        .output()
        .unwrap();
    assert_clean_failure(&out, &["bad.toml", "escalation"]);
}

#[test]
fn replays_are_identical_at_any_speed_and_on_repeat() {
    model();
    // The first 9 s of the real-voices call: an agent turn, then the customer with the
    // agent talking over them.
    let dir = tmpdir();
    let short = dir.path().join("short.wav");
    let mut r = hound::WavReader::open(fixture("real_voices.wav")).unwrap();
    let spec = r.spec();
    let mut w = hound::WavWriter::create(&short, spec).unwrap();
    for s in r.samples::<i16>().take(9 * 16_000 * 2) {
        w.write_sample(s.unwrap()).unwrap();
    }
    w.finalize().unwrap();
    let run = |speed: &str| {
        let out = hearken()
            .arg("replay")
            .arg(&short)
            .args(["--speed", speed, "--events", "-"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let max = run("max");
    assert!(max.contains("\"type\":\"utterance\"") && max.contains("\"type\":\"interruption\""));
    assert_eq!(run("max"), max, "two replays at full speed differ");
    assert_eq!(
        run("realtime"),
        max,
        "real-time replay differs from full speed"
    );
}

#[test]
fn live_transcription_never_loses_an_utterance_silently() {
    model();
    // As fast as the machine can feed it, transcripts landing whenever whisper is done:
    // every utterance of the waiting replay is still there, with its words or a reason.
    let call = fixture("escalating.wav");
    let waiting = replay_events(&[call.to_str().unwrap()]);
    let live = replay_events(&[call.to_str().unwrap(), "--live-asr"]);
    let spans = |ev: &[Value]| {
        let mut v: Vec<(String, u64, u64)> = of_type(ev, "utterance")
            .iter()
            .map(|u| {
                (
                    u["speaker"].as_str().unwrap().to_string(),
                    u["start_ms"].as_u64().unwrap(),
                    u["end_ms"].as_u64().unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(spans(&live), spans(&waiting));
    for u in of_type(&live, "utterance") {
        assert!(
            !u["text"].as_str().unwrap().is_empty() || u["features"]["dropped"].is_string(),
            "an utterance with neither words nor a reason: {u}"
        );
        // Live, a transcript lands at or after the end of its speech.
        assert!(u["t_ms"].as_u64().unwrap() >= u["end_ms"].as_u64().unwrap());
    }
}

#[test]
fn long_utterances_get_partials_before_their_final_text() {
    model();
    let dir = tmpdir();
    let cfg = dir.path().join("partials.toml");
    std::fs::write(&cfg, "[asr]\npartials = \"always\"\n").unwrap();
    let out = hearken()
        .arg("--config")
        .arg(&cfg)
        .arg("replay")
        // Real speech: whisper hears it the same way in part and in whole (on the synthetic
        // voices it garbles a sentence differently each time it hears more of it).
        .arg(fixture("real_voices.wav"))
        .args(["--events", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let events = events(&out.stdout);
    let partials = of_type(&events, "partial");
    assert!(partials.len() >= 5, "{} partials", partials.len());
    for p in &partials {
        // Each partial belongs to an utterance that comes later, starts where it starts, and
        // arrives at least two seconds into it, about once a second.
        let start = p["start_ms"].as_u64().unwrap();
        let t = p["t_ms"].as_u64().unwrap();
        assert!(t >= start + 2_000, "{p}");
        let fin = of_type(&events, "utterance")
            .into_iter()
            .find(|u| u["speaker"] == p["speaker"] && u["start_ms"].as_u64().unwrap() == start)
            .unwrap_or_else(|| panic!("no utterance for partial {p}"));
        assert!(fin["t_ms"].as_u64().unwrap() >= t);
        // Mostly the same words as the final text (whisper may hear the start of an
        // unfinished sentence differently).
        let partial_words = words(p["text"].as_str().unwrap());
        let final_words = words(fin["text"].as_str().unwrap());
        let shared = partial_words
            .iter()
            .filter(|w| final_words.contains(w))
            .count();
        assert!(shared * 2 >= partial_words.len(), "{p} / {fin}");
    }
    // Without asking, a replay has none.
    let plain = replay_events(&[fixture("real_voices.wav").to_str().unwrap()]);
    assert!(of_type(&plain, "partial").is_empty());
}

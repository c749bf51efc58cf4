#!/usr/bin/env bash
# Measure `hearken live` on a 5-minute call: a user-space PulseAudio server with two null
# sinks (agent 48 kHz mono, customer 44.1 kHz stereo), the six fixture calls joined (5.2 min)
# played into them, and the release binary capturing their monitors with whisper on.
# Prints hearken's own capture report (callbacks, drops, callback time, block-to-events
# delay) and /usr/bin/time's CPU and peak memory.
#
#   bash benches/live-capture.sh [FLAGS]    (needs pulseaudio, pulseaudio-utils, sox)
#
# FLAGS go to hearken, e.g. `--config partials.toml` with `[asr] partials = "live"`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/hearken"
work=$(mktemp -d)
trap 'pactl exit >/dev/null 2>&1 || true; kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
export PULSE_SERVER="unix:$work/native" XDG_RUNTIME_DIR="$work" PULSE_RUNTIME_PATH="$work" \
       PULSE_COOKIE="$work/cookie" HOME="$work"
head -c 256 /dev/zero > "$work/cookie"
cat > "$work/hearken.pa" <<PA
load-module module-native-protocol-unix socket=$work/native auth-anonymous=1
load-module module-null-sink sink_name=agent_line rate=48000 channels=1 format=s16le
load-module module-null-sink sink_name=customer_line rate=44100 channels=2 format=s16le
PA
pulseaudio -n -F "$work/hearken.pa" --exit-idle-time=-1 --daemonize=yes 2>/dev/null
for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
# Low-latency readers, or idle null sinks deliver in 2 s bursts.
parec --latency-msec=20 -d agent_line.monitor >/dev/null &
parec --latency-msec=20 -d customer_line.monitor >/dev/null &
f=tests/fixtures
sox $f/calm.wav $f/escalating.wav $f/backchannels.wav $f/dead_air_monologue.wav \
    $f/real_voices.wav $f/acknowledged.wav "$work/call.wav"
sox -G "$work/call.wav" -r 48000 "$work/agent.wav" remix 1
sox -G "$work/call.wav" -r 44100 "$work/customer.wav" remix 2 2
secs=$(soxi -D "$work/call.wav")
sleep 1
/usr/bin/time -v "$bin" --log info live --headless --host pulseaudio \
    --agent agent_line.monitor --customer customer_line.monitor \
    --duration "$(python3 -c "print($secs + 4)")" --events "$work/events.jsonl" "$@" \
    2> "$work/time.txt" &
hk=$!
sleep 3
paplay --latency-msec=20 -d agent_line "$work/agent.wav" &
paplay --latency-msec=20 -d customer_line "$work/customer.wav" &
wait $hk
grep -E "hearken live:|Elapsed|User time|System time|Percent of CPU|Maximum resident" "$work/time.txt"
n_events=$(wc -l < "$work/events.jsonl")
n_utt=$(grep -c 'type":"utterance' "$work/events.jsonl" || true)
n_int=$(grep -c 'type":"interruption' "$work/events.jsonl" || true)
n_part=$(grep -c 'type":"partial' "$work/events.jsonl" || true)
echo "events: $n_events, utterances: $n_utt, partials: $n_part, interruptions: $n_int"

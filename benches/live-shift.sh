#!/usr/bin/env bash
# A shift through `hearken live`: the six fixture calls, each followed by 30 s of nothing
# played (the line dead between calls), repeated to HOURS hours (default 2), played into two
# PulseAudio null sinks and captured by the release binary with whisper on. Every 10 minutes
# it samples hearken's CPU time and resident memory from /proc; hearken's own log adds the
# block-to-events latency of each 10 minutes. Prints a table per 10 minutes, the calls found
# against the calls played, and hearken's closing report. Not a CI test: it takes HOURS.
#
#   bash benches/live-shift.sh [HOURS]    (needs pulseaudio, pulseaudio-utils, sox)
set -euo pipefail
cd "$(dirname "$0")/.."
hours=${1:-2}
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/hearken"
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
trap 'pactl exit >/dev/null 2>&1 || true; kill $(jobs -p) 2>/dev/null || true' EXIT
export PULSE_SERVER="unix:$work/native" XDG_RUNTIME_DIR="$work" PULSE_RUNTIME_PATH="$work" \
       PULSE_COOKIE="$work/cookie" HOME="$work" XDG_STATE_HOME="$work/state"
head -c 256 /dev/zero > "$work/cookie"
cat > "$work/hearken.pa" <<PA
load-module module-native-protocol-unix socket=$work/native auth-anonymous=1
load-module module-null-sink sink_name=agent_line rate=48000 channels=1 format=s16le
load-module module-null-sink sink_name=customer_line rate=44100 channels=2 format=s16le
PA
pulseaudio -n -F "$work/hearken.pa" --exit-idle-time=-1 --daemonize=yes 2>/dev/null
for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
parec --latency-msec=20 -d agent_line.monitor >/dev/null &
parec --latency-msec=20 -d customer_line.monitor >/dev/null &
f=tests/fixtures
sox -D -n -r 16000 -c 2 -b 16 "$work/gap.wav" trim 0 30
parts=()
for c in calm escalating backchannels dead_air_monologue real_voices acknowledged; do
  parts+=("$f/$c.wav" "$work/gap.wav")
done
sox "${parts[@]}" "$work/round.wav"
round=$(soxi -D "$work/round.wav")
n=$(python3 -c "import math; print(math.ceil($hours * 3600 / $round))")
list=(); for _ in $(seq "$n"); do list+=("$work/round.wav"); done
sox "${list[@]}" "$work/shift.wav"
sox -G "$work/shift.wav" -r 48000 "$work/agent.wav" remix 1
sox -G "$work/shift.wav" -r 44100 "$work/customer.wav" remix 2 2
secs=$(soxi -D "$work/shift.wav")
echo "shift: $n rounds of 6 calls, $(python3 -c "print(round($secs/60,1))") min"
mkdir -p "$work/events"
"$bin" --log info live --headless --host pulseaudio \
    --agent agent_line.monitor --customer customer_line.monitor \
    --duration "$(python3 -c "print($secs + 6)")" --events "$work/events/" \
    > /dev/null 2> "$work/log.txt" &
hk=$!
sleep 3
paplay --latency-msec=20 -d agent_line "$work/agent.wav" &
paplay --latency-msec=20 -d customer_line "$work/customer.wav" &
tck=$(getconf CLK_TCK)
echo "minute  cpu_s_in_10min  cpu_share  rss_mb"
last=0; minute=0
while kill -0 $hk 2>/dev/null; do
  sleep 600 & wait $! || true
  kill -0 $hk 2>/dev/null || break
  minute=$((minute + 10))
  read -r ut st <<<"$(awk '{print $14, $15}' /proc/$hk/stat)"
  cpu=$(( (ut + st) / tck ))
  rss=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$hk/status)
  echo "$minute  $((cpu - last))  $(python3 -c "print(f'{($cpu - $last)/600:.1%}')")  $rss"
  last=$cpu
done
wait $hk || true
grep -E "live for|hearken live:" "$work/log.txt" || true
echo "calls found: $(ls "$work"/events/*call-*.jsonl | wc -l), played: $((n * 6))"

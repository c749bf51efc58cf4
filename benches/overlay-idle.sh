#!/usr/bin/env bash
# Idle cost of the overlay window: replay a short call into it at full speed under Xvfb with
# openbox, wait until the call has ended and the window sits idle, then count the CPU time
# the process uses over 60 s (from /proc/PID/stat) and its resident memory.
#
#   bash benches/overlay-idle.sh     (needs xvfb, openbox; uses the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${CARGO_TARGET_DIR:-target}/release/hearken"
cargo build --release --quiet
display=:$((200 + RANDOM % 100))
Xvfb "$display" -screen 0 1024x768x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
sleep 1
DISPLAY=$display openbox >/dev/null 2>&1 &
wm=$!
home=$(mktemp -d)
trap 'kill $app $wm $xvfb 2>/dev/null || true; rm -rf "$home"' EXIT
DISPLAY=$display HOME=$home XDG_DATA_HOME=$home "$bin" replay --overlay --speed max \
    --no-transcribe tests/fixtures/calm.wav >/dev/null 2>&1 &
app=$!
sleep 10   # the call (53 s of audio, analysis only) is over in well under a second
ticks() { awk '{print $14 + $15}' "/proc/$app/stat"; }
hz=$(getconf CLK_TCK)
before=$(ticks)
sleep 60
after=$(ticks)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$app/status")
python3 -c "print(f'overlay idle: {($after - $before) / $hz:.2f} s of CPU in 60 s = {($after - $before) / $hz / 60 * 100:.2f} % of one core; RSS {$rss / 1024:.0f} MB')"

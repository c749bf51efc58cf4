#!/usr/bin/env bash
# The long run: HOURS hours of call audio (the six fixture calls joined, repeated) replayed at
# full speed through the portable release binary, whisper on. Samples the process's memory
# every 10 s and reads hearken's own progress lines (every 10 minutes of audio: speed over the
# stretch, block times, RSS) and whisper's time per utterance. Prints a table per hour.
#
#   bash benches/long-run.sh [HOURS]        (default 8; needs sox; about 20 min on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
hours=${1:-8}
bash packaging/build-deb.sh >/dev/null
bin="${CARGO_TARGET_DIR:-target}/dist/hearken"
[ -d /var/cache/hearken ] && bin=/var/cache/hearken/target/dist/hearken
work=${WORK:-$(mktemp -d)}
f=tests/fixtures
one="$work/one.wav"
sox $f/calm.wav $f/escalating.wav $f/backchannels.wav $f/dead_air_monologue.wav \
  $f/real_voices.wav $f/acknowledged.wav "$one"
secs=$(soxi -D "$one")
reps=$(python3 -c "import math; print(math.ceil($hours * 3600 / $secs))")
long="$work/long.wav"
if [ ! -f "$long" ]; then
  # sox joins the same file many times without holding it in memory.
  sox $(for _ in $(seq "$reps"); do echo "$one"; done) "$long"
fi
echo "long-run: $(soxi -d "$long") of audio in $long ($(du -h "$long" | cut -f1))"

"$bin" --log debug replay "$long" >"$work/timeline.txt" 2>"$work/log.txt" &
pid=$!
echo "t_s,rss_mb" >"$work/rss.csv"
start=$(date +%s)
while kill -0 $pid 2>/dev/null; do
  rss=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status 2>/dev/null || true)
  [ -n "$rss" ] && echo "$(( $(date +%s) - start )),$rss" >>"$work/rss.csv"
  sleep 10
done
wait $pid
echo "long-run: finished in $(( $(date +%s) - start )) s; files in $work"
python3 - "$work" <<'PY'
import re, sys, statistics as st
work = sys.argv[1]
log = open(f"{work}/log.txt").read().splitlines()
rss = [tuple(map(int, l.split(","))) for l in open(f"{work}/rss.csv").read().split()[1:]]
progress = [l for l in log if "replay at" in l]
print(f"{'audio':>9} {'x real time':>11} {'block p50 µs':>12} {'block p99 µs':>12} {'RSS MB':>7} {'whisper ms per s of speech (median)':>36}")
# whisper: "... utterance N (X ms of audio) transcribed in Y ms"
per_utt = []
for l in log:
    m = re.search(r"\((\d+) ms of audio\) transcribed in (\d+) ms", l)
    if m and int(m.group(1)) > 0:
        per_utt.append(int(m.group(2)) / int(m.group(1)) * 1000)
chunk = max(1, len(per_utt) // max(1, len(progress)))
for i, l in enumerate(progress):
    m = re.search(r"replay at (\S+) of audio after (\d+) s: ([\d.]+)x real time .*median (\d+) µs, p99 (\d+) µs; RSS (\S+) MB", l)
    if not m:
        continue
    w = per_utt[i * chunk:(i + 1) * chunk] or [0]
    print(f"{m.group(1):>9} {m.group(3):>11} {m.group(4):>12} {m.group(5):>12} {m.group(6):>7} {st.median(w):>36.0f}")
peak = max(r for _, r in rss)
first_hour = [r for t, r in rss if t <= 300]
print(f"RSS sampled every 10 s: first 5 min max {max(first_hour)} MB, peak {peak} MB at {max(rss, key=lambda x: x[1])[0]} s, last {rss[-1][1]} MB")
PY

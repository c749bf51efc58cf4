#!/usr/bin/env bash
# An archive in one folder: N short calls (the first seconds of the fixture calls, hard-linked
# N times: batch reads each as its own call), one `hearken batch` over it. Prints wall time,
# rows per second and the peak RSS (GNU time), and checks the summary has one row per call.
#
#   bash benches/batch-archive.sh [N] [BIN] [-- BATCH-ARGS...]
#
# N defaults to 10000; BIN to the debug build. BATCH-ARGS go to `hearken batch`, for instance
# `--no-transcribe` (the batch machinery alone: listing, summary, resume) or `--jobs 1`.
# Not part of CI. WORK=DIR keeps the folder (it is made once per N and reused).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
bin=${2:-${CARGO_TARGET_DIR:-target}/debug/hearken}
shift $(( $# >= 2 ? 2 : $# ))
[ "${1:-}" = "--" ] && shift
work=${WORK:-/tmp/hearken-archive}
calls="$work/calls-$n"
if [ ! -f "$calls/.complete" ]; then
  rm -rf "$calls"
  mkdir -p "$calls" "$work/clips"
  k=0
  for f in tests/fixtures/*.wav; do
    sox "$f" "$work/clips/$(basename "$f")" trim 0 6
    k=$((k + 1))
  done
  clips=("$work"/clips/*.wav)
  for i in $(seq 0 $((n - 1))); do
    ln "${clips[$((i % k))]}" "$calls/call-$(printf %06d "$i").wav"
  done
  touch "$calls/.complete"
fi
out="$work/summary-$n-$$.csv"
rm -f "$out"
/usr/bin/time -f "%e %M" -o "$work/time.txt" "$bin" batch "$calls" --out "$out" "$@" \
  >/dev/null 2>"$work/batch.log" || true
read -r wall rss_kb <"$work/time.txt"
rows=$(($(wc -l <"$out") - 1))
python3 - "$n" "$rows" "$wall" "$rss_kb" <<'PY'
import sys
n, rows, wall, rss = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
print(f"batch-archive: {n} calls, {rows} rows, {wall:.1f} s wall, {rows / wall:.1f} rows/s, peak RSS {rss / 1024:.0f} MB")
if rows != n:
    sys.exit(f"batch-archive: {rows} rows for {n} calls (see the batch log)")
PY
tail -n 1 "$work/batch.log"
rm -f "$out"

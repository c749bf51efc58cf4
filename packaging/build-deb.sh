#!/usr/bin/env bash
# Build hearken_<version>_amd64.deb: a portable release binary, the whisper model, the
# machine-wide config, a menu entry and a login autostart entry. Prints the .deb's path.
#
#   bash packaging/build-deb.sh
#
# Needs what `.ci/setup.sh` installs (the model too) and installs cargo-deb if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "build-deb: $*" >&2; }

# The same cache as the tests when this machine keeps one; a fresh machine builds in ./target.
if [ -z "${CARGO_TARGET_DIR:-}" ] && [ -d /var/cache/hearken/target ]; then
  export CARGO_TARGET_DIR=/var/cache/hearken/target
fi
target=${CARGO_TARGET_DIR:-target}

# cargo-deb, pinned, installed beside the build cache (or under ./target) if not on PATH.
CARGO_DEB_VERSION=3.8.0
tools=$([ -d /var/cache/hearken ] && echo /var/cache/hearken/tools || echo "$target/tools")
export PATH="$tools/bin:$PATH"
if ! cargo-deb --version 2>/dev/null | grep -qx "cargo-deb $CARGO_DEB_VERSION"; then
  say "installing cargo-deb $CARGO_DEB_VERSION into $tools"
  cargo install --quiet --locked cargo-deb --version "$CARGO_DEB_VERSION" --root "$tools"
fi

[ -f models/ggml-tiny.en-q8_0.bin ] || models/fetch-model.sh

# Portable: whisper.cpp for x86-64-v3 (AVX2, FMA, F16C, BMI2; Intel Haswell and AMD Zen
# onwards), not for the CPU of the machine that builds it. `hearken check` tests for the same
# set (src/check.rs); tests/cli.rs fails if the two differ.
export GGML_NATIVE=OFF GGML_SSE42=ON GGML_AVX=ON GGML_AVX2=ON GGML_BMI2=ON GGML_FMA=ON \
  GGML_F16C=ON GGML_AVX512=OFF GGML_AVX_VNNI=OFF
say "building the portable release binary (profile dist)"
cargo build --quiet --locked --profile dist --bin hearken
cargo deb --no-build --profile dist --output "$target/debian/" | tail -n 1

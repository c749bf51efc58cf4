#!/usr/bin/env bash
# Everything Hearken needs on a Debian 12 / Ubuntu machine with a Rust toolchain:
# the system packages to build it (and, with --test, to test it), and the whisper model.
# Safe to run again: it installs only what is missing and does nothing when all is there.
#
#   bash .ci/setup.sh          build + run (the README's demo command uses this)
#   bash .ci/setup.sh --test   also what the test suite needs (the README's test command)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*" >&2; }

# Build: whisper.cpp (cmake, C++), bindgen (libclang), cpal's ALSA backend (libasound2-dev).
pkgs=(cmake pkg-config g++ clang libclang-dev libasound2-dev python3 python3-pip ca-certificates)
# The overlay window (loaded at run time): X11, keyboard maps, OpenGL with Mesa's software
# renderer as the fallback when there is no GPU.
pkgs+=(libx11-6 libxcursor1 libxrandr2 libxi6 libxkbcommon-x11-0 libgl1 libegl1 libgl1-mesa-dri)
if [ "${1:-}" = "--test" ]; then
  # Fixture regeneration and audio checks (sox); the overlay in a real window under a real
  # window manager, screenshots and reading them back (xvfb, openbox, x11-utils, imagemagick,
  # tesseract-ocr); egui_kittest's snapshot rendering on a software Vulkan adapter
  # (mesa-vulkan-drivers, libvulkan1); live capture against a real sound server started by the
  # tests (pulseaudio, pulseaudio-utils, libasound2-plugins).
  pkgs+=(sox xvfb openbox x11-utils imagemagick tesseract-ocr mesa-vulkan-drivers libvulkan1)
  pkgs+=(pulseaudio pulseaudio-utils libasound2-plugins)
  # Call reports opened in a real browser.
  pkgs+=(chromium)
  # Privacy checks trace every socket and file write (strace); the .deb is built
  # (dpkg-dev for its library dependencies) and its menu entries checked
  # (desktop-file-utils).
  pkgs+=(strace dpkg-dev desktop-file-utils)
  # Sharded batch runs under a real scheduler: a single-node Slurm the test starts itself.
  pkgs+=(munge slurmctld slurmd slurm-client)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { say "need root or sudo to install: ${missing[*]}"; exit 1; }
    sudo=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q >/dev/null
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || {
  say "cargo is not on PATH: install the Rust toolchain (https://rustup.rs) and run this again"
  exit 1
}

models/fetch-model.sh

#!/usr/bin/env bash
# Test the .deb as IT would use it: install it (into a scratch root, with dpkg), check what it
# put where, run the installed binary (`check`, `demo`, a locked key), then purge it and
# check nothing is left. Part of the test command (.ci/run).
#
#   bash packaging/test-deb.sh path/to/hearken_*.deb
set -euo pipefail
deb=$(realpath "$1")
fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }
ok() { echo "test-deb: ok: $*"; }

root=$(mktemp -d)
home=$(mktemp -d)
trap 'rm -rf "$root" "$home"' EXIT
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status"

# What the package says about itself.
depends=$(dpkg-deb --field "$deb" Depends)
for d in libasound2 libgl1 libx11-6; do
  [[ $depends == *"$d"* ]] || fail "Depends lacks $d: $depends"
done
ok "depends: $depends"

# --force-depends: the scratch root has no other packages; the dependencies are checked above.
dpkg --root="$root" --force-depends --force-not-root -i "$deb" >/dev/null 2>&1 ||
  fail "dpkg could not install $deb"
for f in usr/bin/hearken usr/share/hearken/models/ggml-tiny.en-q8_0.bin \
  usr/share/hearken/demo/escalating.wav etc/hearken/config.toml \
  usr/share/applications/hearken.desktop etc/xdg/autostart/hearken.desktop \
  usr/share/doc/hearken/README.md; do
  [ -f "$root/$f" ] || fail "/$f not installed"
done
grep -qx /etc/hearken/config.toml "$root/var/lib/dpkg/info/hearken.conffiles" ||
  fail "/etc/hearken/config.toml is not a conffile (an upgrade would overwrite IT's edits)"
desktop-file-validate "$root/usr/share/applications/hearken.desktop" "$root/etc/xdg/autostart/hearken.desktop" ||
  fail "desktop entries are invalid"
ok "installed files, conffile, desktop entries"

# Portable: no AVX-512 (zmm registers) in the binary, even when built on a CPU that has it.
if objdump -d --no-show-raw-insn "$root/usr/bin/hearken" | grep -q '%zmm'; then
  fail "the binary uses AVX-512: it was built for the build machine's CPU, not portably"
fi
ok "no AVX-512 instructions"

# The installed binary with the installed machine config, as a user with an empty home.
hk() { (cd "$home" && HOME="$home" XDG_STATE_HOME="$home/state" XDG_CONFIG_HOME="$home/config" \
  HEARKEN_MACHINE_CONFIG="$root/etc/hearken/config.toml" "$root/usr/bin/hearken" "$@"); }
# (The audio checks fail here, with no sound server; ALSA's own complaints go to stderr.)
json=$(hk check --json 2>/dev/null || true)
python3 - "$json" <<'PY' || fail "hearken check: $json"
import json, sys
checks = {c["name"]: c for c in json.loads(sys.argv[1])}
for name in ["config", "model", "cpu", "log folder"]:
    assert checks[name]["ok"], checks[name]
assert "/share/hearken/models/ggml-tiny.en-q8_0.bin" in checks["model"]["detail"], checks["model"]
assert "3 key(s) locked" in checks["config"]["detail"], checks["config"]
PY
ok "hearken check: config (3 keys locked), model found and checksum ok, cpu, log folder"

demo=$(hk demo --no-overlay) || fail "hearken demo failed"
grep -q "PROMPT" <<<"$demo" || fail "the demo printed no prompt: $demo"
ok "hearken demo runs the bundled call: $(grep -c PROMPT <<<"$demo") prompts"

if err=$(hk --model /tmp/other.bin check 2>&1); then fail "--model overrode a locked key"; fi
grep -q "locked" <<<"$err" || fail "the locked-key error does not say so: $err"
ok "a locked key refuses --model"

dpkg --root="$root" --force-not-root -P hearken >/dev/null
left=$(cd "$root" && find . -path ./var/lib/dpkg -prune -o -type f -print)
[ -z "$left" ] || fail "files left after purge: $left"
ok "purge removes everything"
echo "test-deb: PASS $(basename "$deb")"

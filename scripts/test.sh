#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine: installs the tools the tests drive
# (the age CLI, jq, ssh-keygen, script, tmux, Xvfb, xclip, oathtool, D-Bus and GNOME Keyring, pass
# and gnupg for the pass-store import;
# mingw-w64 and wine for the Windows build), cross-builds vault.exe, then runs the unit and
# integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
install() {
    echo "installing: $*"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}
installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"
}

packages=(age jq openssh-client bsdutils tmux xvfb xclip oathtool dbus gnome-keyring gcc-mingw-w64-x86-64 pass gnupg)
missing=()
for package in "${packages[@]}"; do
    installed "$package" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] || install --no-install-recommends "${missing[@]}"
# wine64 with what Debian recommends for it, as in every run tested here.
installed wine || install wine64

eval "$(bash scripts/windows.sh)"
# One wine server for the whole run, rather than one started for each vault.exe.
WINEDEBUG=-all /usr/lib/wine/wineserver -p 60 || true
cargo test --locked "$@"

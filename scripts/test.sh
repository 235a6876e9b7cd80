#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine: installs the tools the tests drive
# (the age CLI, jq, ssh-keygen, script, tmux, Xvfb, xclip, oathtool, D-Bus and GNOME Keyring,
# setfacl and systemd-creds, pass and gnupg for the pass-store import;
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

packages=(age jq openssh-client bsdutils tmux xvfb xclip oathtool dbus gnome-keyring gcc-mingw-w64-x86-64 acl systemd pass gnupg)
missing=()
for package in "${packages[@]}"; do
    installed "$package" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] || install --no-install-recommends "${missing[@]}"
# wine64 with what Debian recommends for it, as in every run tested here.
installed wine || install wine64

# A real age plugin for tests/cli/plugins.rs, built once (about a minute) and kept.
plugins=target/test-plugins
[ -x "$plugins/bin/age-plugin-unencrypted" ] ||
    cargo install --locked --quiet age-plugin --version 0.7.0 --example age-plugin-unencrypted --root "$plugins"
export VAULT_TEST_PLUGINS="$PWD/$plugins/bin"

eval "$(bash scripts/windows.sh)"
# One wine server for the whole run, rather than one started for each vault.exe.
WINEDEBUG=-all /usr/lib/wine/wineserver -p 60 || true
cargo test --locked "$@"
# The Secret Service is built in on Linux only on request: its own test, with the feature.
[ $# -gt 0 ] || cargo test --locked --features keyring --test cli keys::an_identity_in_the_secret_service

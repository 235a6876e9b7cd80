#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine: installs the tools the tests drive
# (the age CLI, jq, ssh-keygen, script, tmux, Xvfb, xclip and oathtool), then the unit and integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(age jq openssh-client bsdutils tmux xvfb xclip oathtool)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cargo test --locked "$@"

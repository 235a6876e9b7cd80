#!/bin/sh
# Makes assets/tui.svg again from the interface's real frame (src/tui/screenshot.rs).
set -eu
cd "$(dirname "$0")/.."
cargo test --locked --bin vault write_the_screenshot -- --ignored --quiet
echo "wrote assets/tui.svg"

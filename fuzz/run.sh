#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 20) on the nightly toolchain; prints the
# executions each made. Skips, saying so, where there is no nightly toolchain.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-20}
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "fuzz: skipped, no nightly toolchain here"
    exit 0
fi
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
for target in document lookup identity decrypt_parse; do
    mkdir -p "corpus/$target"
    # A scratch copy of the corpus: new inputs the fuzzer finds stay out of the repository.
    work=$(mktemp -d)
    cp -r "corpus/$target/." "$work/"
    log=$(mktemp)
    if ! cargo +nightly fuzz run "$target" "$work" -- -max_total_time="$seconds" -rss_limit_mb=2048 >"$log" 2>&1; then
        grep -m1 -A3 'panicked' "$log" || true
        tail -n 25 "$log"
        echo "fuzz: $target found a crash (input in fuzz/artifacts/$target/)"
        exit 1
    fi
    runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -n 1)
    echo "fuzz: $target: ${runs:-ran} in ${seconds}s, no crash"
    rm -rf "$work" "$log"
done

#!/usr/bin/env bash
# The crash harness at length: 10,000 writers killed at random points of a save (the test suite
# runs 200). About half an hour on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
CRASH_KILLS=${CRASH_KILLS:-10000} cargo test --locked --test cli a_writer_killed -- --nocapture

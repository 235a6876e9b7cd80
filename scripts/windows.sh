#!/usr/bin/env bash
# Cross-builds the Windows release, vault.exe under cargo's target directory, and a wine
# prefix to run it in for tests/windows. Needs the Debian packages gcc-mingw-w64-x86-64 and
# wine64 (scripts/test.sh installs them). Prints the variables the tests read, for eval.
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-pc-windows-gnu
rustup target list --installed | grep -qx "$target" || rustup target add "$target" >&2
cargo build --release --locked --target "$target" >&2

# Debian 12's wine 8.0 lacks bcryptprimitives.dll, which Rust's standard library imports
# (ProcessPrng): a test-only shim, never shipped, makes executables start.
mkdir -p target/windows-shim
x86_64-w64-mingw32-gcc -O2 -shared -o target/windows-shim/bcryptprimitives.dll \
    tests/windows/bcryptprimitives.c -ladvapi32

prefix="$PWD/target/wine-prefix"
if [ ! -d "$prefix/drive_c/windows/system32" ]; then
    echo "creating the wine prefix $prefix" >&2
    WINEPREFIX="$prefix" WINEDEBUG=-all /usr/lib/wine/wine64 wineboot --init >/dev/null 2>&1 || true
fi
cp target/windows-shim/bcryptprimitives.dll "$prefix/drive_c/windows/system32/"
# A reader that holds a file without sharing its deletion, as a virus scanner does: test-only.
x86_64-w64-mingw32-gcc -O2 -municode -o target/windows-shim/hold.exe tests/windows/hold.c

# Wherever cargo builds (CARGO_TARGET_DIR, a config file's build.target-dir), it says so here.
target_dir=$(cargo metadata --format-version 1 --no-deps --locked | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
echo "export VAULT_WINDOWS_EXE='$target_dir/$target/release/vault.exe' WINEPREFIX='$prefix' VAULT_WINDOWS_HOLD='$PWD/target/windows-shim/hold.exe'"

#!/usr/bin/env bash
# Writes layout/hot.ld: the functions a job's read runs, which build.rs links together at the
# start of the text. Run it after changing what `export`, `exec` or `list` call, and commit
# the result with the change; a stale list only leaves some code where it was.
#
# It builds the `profiling` profile (the release code, with symbols), runs each command under
# callgrind on the peer benchmark's vaults (../shared/bench makes them: hand-made vaults of
# 100 and 10,000 entries, and the latter adopted with `vault trust accept`, so its signature is
# checked), and lists every function that ran, its symbol's hash left open so the list holds
# across builds. Needs valgrind, python3, nm and the shared benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${SHARED_DIR:-$root/../shared}
export VBENCH_DIR=${VBENCH_DIR:-/tmp/vbench}
NS="100 10000" bash "$shared/bench/setup_age.sh" >/dev/null 2>&1

# Built as it would be without the list (moved aside below): valgrind misplaces the code in
# a section of its own.
key=$VBENCH_DIR/age/key.txt
work=$(mktemp -d)
# The list in use comes back if this stops before writing a new one.
[ -f layout/hot.ld ] && mv layout/hot.ld "$work/previous.ld"
trap '[ -f layout/hot.ld ] || mv "$work/previous.ld" layout/hot.ld 2>/dev/null; rm -rf "$work"' EXIT
cargo build --locked --profile profiling --bin vault
bin=$(realpath "${CARGO_TARGET_DIR:-$root/target}/profiling/vault") # as callgrind names it

target_of() { python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['target'])" "$VBENCH_DIR/data/n$1/meta.json"; }
mkdir -p "$work/cfg" "$work/none"
writer=$(XDG_CONFIG_HOME=$work/cfg "$bin" trust show --identity "$key" | grep -o 'vaultw1[a-z0-9]*' | head -1)
XDG_CONFIG_HOME=$work/cfg "$bin" trust add "$writer" --name hot --identity "$key" >/dev/null
cp "$VBENCH_DIR/age/n10000/vault.age" "$work/signed.age"
XDG_CONFIG_HOME=$work/cfg "$bin" trust accept --yes --vault "$work/signed.age" --identity "$key" >/dev/null

run=0
profile() { # CONFIG ARGS...: one run under callgrind, every instruction's address kept
    local config=$1
    shift
    run=$((run + 1))
    # exec replaces the process: what ran is dumped as it does (run4.out.1).
    XDG_CONFIG_HOME=$config valgrind --tool=callgrind --dump-instr=yes --dump-before=execve \
        --callgrind-out-file="$work/run$run.out" "$bin" "$@" >/dev/null 2>&1
}
small=$VBENCH_DIR/age/n100/vault.age
profile "$work/none" export "$(target_of 100)" --vault "$small" --identity "$key"
# Names out of order (a vault made by hand): the scan's second pass.
profile "$work/none" export "$(target_of 10000)" --vault "$VBENCH_DIR/age/n10000/vault.age" --identity "$key"
profile "$work/cfg" export "$(target_of 10000)" --vault "$work/signed.age" --identity "$key"
profile "$work/cfg" exec "$(target_of 10000)" --vault "$work/signed.age" --identity "$key" -- true
profile "$work/cfg" list --vault "$work/signed.age" --identity "$key"

python3 - "$bin" "$work"/run*.out* >"$work/hot.ld" <<'PY'
import bisect, re, subprocess, sys

binary, runs = sys.argv[1], sys.argv[2:]
symbols = []
for line in subprocess.run(["nm", "--defined-only", "-S", binary],
                           capture_output=True, text=True, check=True).stdout.splitlines():
    parts = line.split()
    if len(parts) == 4 and parts[2] in "tTwW":
        symbols.append((int(parts[0], 16), int(parts[1], 16), parts[3]))
symbols.sort()
starts = [s[0] for s in symbols]


def costs(path):
    """The addresses in `binary` where `path`'s costs are, in order; and, for each function
    block, the address it starts at."""
    objects, current, last, addresses, firsts, fresh = {}, None, 0, [], [], False
    for line in open(path):
        # An object is named where it first appears, as the one running (ob=) or the one
        # called (cob=); later it is only numbered.
        m = re.match(r"^(c?)ob=\((\d+)\)(?: (.*))?$", line)
        if m:
            if m.group(3):
                objects[m.group(2)] = m.group(3)
            if not m.group(1):
                current = objects.get(m.group(2))
            continue
        if line.startswith("fn="):
            fresh = True
            continue
        m = re.match(r"^(0x[0-9a-f]+|[+-]\d+|\*)\s", line)
        if not m or line.startswith(("calls=", "jump=", "jcnd=")):
            continue
        token = m.group(1)
        last = int(token, 16) if token.startswith("0x") else last if token == "*" else last + int(token)
        if current == binary:
            addresses.append(last)
            if fresh:
                firsts.append(last)
        fresh = False
    return addresses, firsts


def function_at(address):
    at = bisect.bisect_right(starts, address) - 1
    if at >= 0 and address < symbols[at][0] + max(symbols[at][1], 1):
        return at
    return None


# A function's costs start at its entry: where most do not, the profile is not of this binary
# as its symbols lay it out.
entries = set(starts)
ordered = []
for path in runs:
    addresses, firsts = costs(path)
    if len(firsts) < 20:
        continue  # an exec's failed tries along PATH, each dumped as it began
    if sum(a in entries for a in firsts) * 2 < len(firsts):
        sys.exit(f"{path}: the costs do not fall on {binary}'s functions")
    # Each run's functions in the order of their addresses, runs in the order above: what
    # the smallest export needs comes first.
    ran = {function_at(a) for a in addresses} - {None}
    ordered.extend(sorted(ran))

def pattern(name):
    """The symbol with what differs between builds and compilers left open: the hash of a
    legacy name, a crate's disambiguator in a v0 one (std's), a local copy's number."""
    name = re.sub(r"\.(llvm\.)?[0-9]+$", "*", name)
    name = re.sub(r"17h[0-9a-f]{16}E(\*?)$", "17h*", name)
    if name.startswith("_R"):
        name = re.sub(r"Cs[0-9A-Za-z]*_", "Cs*_", name)
    return name

patterns, seen = [], set()
for at in ordered:
    name = pattern(symbols[at][2])
    if name not in seen:
        seen.add(name)
        patterns.append(name)

print("/* Made by scripts/hot-code.sh: the functions `export`, `exec` and `list` run, first.")
print("   build.rs links them ahead of the rest of the text. */")
print("SECTIONS\n{\n  .text.hot : {")
for pattern in patterns:
    # LLVM puts a function it deems cold (run once, say) in .text.unlikely.
    print(f"    *(.text.{pattern} .text.unlikely.{pattern})")
print("  }\n}\nINSERT BEFORE .text;")
PY
mv "$work/hot.ld" layout/hot.ld
echo "layout/hot.ld: $(grep -c '^    \*' layout/hot.ld) functions" >&2

#!/usr/bin/env bash
# The benchmark of record: `vault export` against its peers on the same vaults
# (../shared/bench/peers.sh), `vault add` into a 10,000-entry vault (on disk, and on tmpfs where
# fsync costs nothing, so the difference is fsync's share), and the in-process benches.
# Rewrites the sections of docs/benchmarks.md it measures, keeping the others (written by hand
# from the other scripts in benches/). Run it on an otherwise idle machine.
#
#   bash benches/peers.sh                 # full run (NS, RUNS, SKIP_SETUP, SKIP_RAGE pass through)
#   NS=100 RUNS=10 bash benches/peers.sh  # quicker
#   SKIP_PEERS=1 bash benches/peers.sh    # keep the last peer table, re-time the rest
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${SHARED_DIR:-$root/../shared}
export VBENCH_DIR=${VBENCH_DIR:-/tmp/vbench}
# The shared benchmark's own default is 100 and 10,000; every peer's store of 100,000 entries
# is made in under five minutes here (pass's takes longest).
export NS=${NS:-100 10000 100000}
out=docs/benchmarks.md
fresh=$(mktemp)
trap 'rm -f "$fresh"' EXIT

cargo build --release --locked
vault_bin=$root/target/release/vault
command -v hyperfine >/dev/null || { echo "hyperfine is needed (apt-get install hyperfine)" >&2; exit 1; }

# 1. Peers, with vault export as one more row, reading the very same vault.age files.
export VAULT_CMD="$vault_bin export {name} --identity {identity} --vault {vault}"
if [ -z "${SKIP_PEERS:-}" ] || [ ! -f "$VBENCH_DIR/results/results.md" ]; then
    bash "$shared/bench/peers.sh" >/dev/null
fi
peers_table=$(cat "$VBENCH_DIR/results/results.md")

# 2. vault add into the 10,000-entry vault: each run starts from a fresh copy.
add_rows=""
key="$VBENCH_DIR/age/key.txt"
base="$VBENCH_DIR/age/n10000/vault.age"
if [ -f "$base" ]; then
    for where in disk tmpfs; do
        if [ "$where" = disk ]; then dir="$VBENCH_DIR/add-disk"; else dir="/dev/shm/vault-add-bench"; fi
        mkdir -p "$dir"
        hyperfine -w 2 -r "${RUNS:-20}" --export-json "$dir/add.json" \
            --prepare "cp '$base' '$dir/vault.age'; rm -f '$dir/vault.age.bak'" \
            "printf 'pw\n' | '$vault_bin' add bench-new --vault '$dir/vault.age' --identity '$key'" >/dev/null
        median=$(python3 -c "import json,statistics;r=json.load(open('$dir/add.json'))['results'][0]['times'];print(f'{statistics.median(r)*1000:.1f}')")
        add_rows+="| $where | $median |"$'\n'
        rm -rf "$dir"
    done
fi

# 3. One export with a passphrase-protected identity: scrypt on every run, or once in the agent.
agent_dir=$(mktemp -d)
chmod 700 "$agent_dir"
printf 'bench passphrase\n' >"$agent_dir/pass"
chmod 600 "$agent_dir/pass"
(
    export VAULT_FILE="$agent_dir/vault.age" VAULT_IDENTITY="$agent_dir/identity" VAULT_AGENT_SOCK="$agent_dir/run/agent.sock"
    "$vault_bin" init --passphrase-file "$agent_dir/pass" 2>/dev/null
    printf 'pw\n' | "$vault_bin" add bank --passphrase-file "$agent_dir/pass" 2>/dev/null
    hyperfine -N -w 1 -r 5 --export-json "$agent_dir/file.json" \
        "$vault_bin export bank --passphrase-file $agent_dir/pass" >/dev/null
    "$vault_bin" agent start --passphrase-file "$agent_dir/pass" 2>/dev/null
    hyperfine -N -w 3 -r "${RUNS:-20}" --export-json "$agent_dir/agent.json" \
        "$vault_bin export bank --identity $agent_dir/no-such-file" >/dev/null
    "$vault_bin" agent stop 2>/dev/null
)
median_ms() {
    python3 -c "import json,statistics;r=json.load(open('$1'))['results'][0]['times'];print(f'{statistics.median(r)*1000:.1f}')"
}
agent_rows="| identity file and \`--passphrase-file\` (scrypt, work factor 18) | $(median_ms "$agent_dir/file.json") |"$'\n'
agent_rows+="| \`vault agent\` holding the unlocked identity | $(median_ms "$agent_dir/agent.json") |"$'\n'
rm -rf "$agent_dir"

# 4. A job granted 5 entries of the 10,000-entry vault, against decrypting the whole vault.
scoped_table=$(bash benches/scoped.sh)

# 5. export at 100, 10,000 and 100,000 entries against rage -d and age -d, hand-made and signed.
large_table=$(bash benches/large.sh)

# 6. In-process costs (divan).
inprocess=$(cargo bench --locked --bench inprocess 2>/dev/null | sed -n '/^inprocess/,$p')

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
mem=$(free -g | awk '/^Mem:/ {print $2 " GiB"}')
{
    echo "# Benchmarks"
    echo
    echo "Measured $(date -u +%Y-%m-%d) by \`bash benches/peers.sh\` at commit $(git rev-parse --short HEAD)"
    echo "on $(nproc) cores ($cpu), $mem, $(uname -sr); $(rustc --version)."
    echo "Warm page cache; medians of hyperfine runs. Peak RSS and store sizes as the shared"
    echo "benchmark's README defines them."
    echo
    echo "## Getting one password: \`vault export\` and its peers"
    echo
    echo "$peers_table"
    echo
    echo "## \`vault add\` into the 10,000-entry vault (2.3 MB)"
    echo
    echo "Decrypt, parse, lock, re-encrypt, write the previous version as \`.bak\` and the new one,"
    echo "each with fsync and a directory fsync. On tmpfs fsync costs nothing, so the difference"
    echo "between the rows is what the four fsyncs cost on this disk."
    echo
    echo "| where | median ms |"
    echo "|---|---:|"
    printf '%s' "$add_rows"
    echo
    echo "## One export with a passphrase-protected identity"
    echo
    echo "Unlocking the identity (scrypt) dominates; the agent does it once, at its start."
    echo
    echo "| how the identity is unlocked | median ms |"
    echo "|---|---:|"
    printf '%s' "$agent_rows"
    echo
    echo "## A scoped job: 5 entries of a 10,000-entry vault (\`benches/scoped.sh\`)"
    echo
    echo "The job's key opens only its derived vault, so it decrypts 5 entries, not 10,000."
    echo
    echo "$scoped_table"
    echo
    echo "## \`vault export\` up to 100,000 entries, as ratios to \`rage -d\` (\`benches/large.sh\`)"
    echo
    echo "$large_table"
    echo
    echo "## In process (divan, \`cargo bench --bench inprocess\`)"
    echo
    echo '```'
    echo "$inprocess"
    echo '```'
} >"$fresh"
# Each section measured here replaces the one of the same title; the rest stay where they are.
python3 - "$fresh" "$out" <<'PY'
import re, sys
fresh, out = sys.argv[1], sys.argv[2]

def sections(text):
    parts = re.split(r"(?m)^(?=## )", text)
    return parts[0], [(part.splitlines()[0], part) for part in parts[1:]]

head, new = sections(open(fresh).read())
try:
    _, old = sections(open(out).read())
except FileNotFoundError:
    old = []
new_by_title = dict(new)
merged = [new_by_title.pop(title, part) for title, part in old]
merged += [part for title, part in new if title in new_by_title]
with open(out, "w") as f:
    f.write(head + "".join(part if part.endswith("\n\n") else part.rstrip("\n") + "\n\n" for part in merged).rstrip("\n") + "\n")
PY
echo "wrote $out"

#!/usr/bin/env bash
# A job granted 5 entries of a 10,000-entry vault: `vault export` with the job's key (it reads
# its small derived vault) against `rage -d` (or `age -d` where rage is missing) of the whole
# main vault, in the same run. Prints a Markdown table; benches/peers.sh records it.
#
#   bash benches/scoped.sh            # N=10000, RUNS=20
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SHARED_DIR:-$PWD/../shared}
n=${N:-10000}
runs=${RUNS:-20}
command -v hyperfine >/dev/null || { echo "hyperfine is needed (apt-get install hyperfine)" >&2; exit 1; }
cargo build --release --locked --quiet
vault_bin=$PWD/target/release/vault
decrypt=$(command -v rage || command -v age)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 700 "$work"
export HOME=$work VAULT_FILE=$work/vault.age VAULT_IDENTITY=$work/operator.txt VAULT_AGENT_SOCK=$work/run/agent.sock
python3 "$shared/bench/gen_dataset.py" vault "$n" "$work/data" >/dev/null
"$vault_bin" keygen -o "$VAULT_IDENTITY" >/dev/null 2>&1
operator=$(age-keygen -y "$VAULT_IDENTITY")
# The dataset's document, adopted and signed by the operator as a hand-made vault would be.
age -r "$operator" -o "$VAULT_FILE" "$work/data/vault.json"
"$vault_bin" trust accept --yes 2>/dev/null
mapfile -t granted < <("$vault_bin" list | head -5)
job_public=$("$vault_bin" keygen -o "$work/job.txt" --trust "$("$vault_bin" trust show)" 2>/dev/null)
"$vault_bin" recipients add "$job_public" --name job --only "${granted[@]}" 2>/dev/null

hyperfine -N -w 3 -r "$runs" --export-json "$work/times.json" \
    -n "$(basename "$decrypt") -d (whole vault)" "$decrypt -d -i $VAULT_IDENTITY -o /dev/null $VAULT_FILE" \
    -n "vault export (job granted 5)" "$vault_bin export ${granted[0]} --identity $work/job.txt" >/dev/null
python3 - "$work/times.json" "$n" <<'PY'
import json, statistics, sys
results = json.load(open(sys.argv[1]))["results"]
base = statistics.median(results[0]["times"])
print(f"| N={sys.argv[2]} | median ms | ratio |")
print("|---|---:|---:|")
for r in results:
    m = statistics.median(r["times"])
    print(f"| {r['command']} | {m * 1000:.2f} | {m / base:.2f}x |")
PY

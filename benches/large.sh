#!/usr/bin/env bash
# `vault export` at N = 100, 10,000 and 100,000 against `rage -d` and `age -d` of the same
# file in the same run, as ratios, with peak RSS: on the peer benchmark's vaults (made by hand,
# read by a key without anchors, so no signature is checked) and on the same vaults adopted
# with `vault trust accept` (signed, pretty-printed, read by an operator whose trust list holds
# its own writer key, so every byte is hashed and the signature checked).
# Prints a markdown table. Needs ../shared/bench (setup_age.sh makes the vaults), hyperfine,
# rage and age. `bash benches/large.sh`; RUNS, NS and VAULT_BIN pass through.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${SHARED_DIR:-$root/../shared}
export VBENCH_DIR=${VBENCH_DIR:-/tmp/vbench}
NS=${NS:-100 10000 100000}
RUNS=${RUNS:-20}
vault_bin=${VAULT_BIN:-$root/target/release/vault}
rage_bin=$(command -v rage || echo "$HOME/.cargo/bin/rage")
key="$VBENCH_DIR/age/key.txt"
NS="$NS" bash "$shared/bench/setup_age.sh" >/dev/null 2>&1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cfg="$work/cfg"
mkdir -p "$cfg"
writer=$(XDG_CONFIG_HOME=$cfg "$vault_bin" trust show --identity "$key" | grep -o 'vaultw1[a-z0-9]*' | head -1)
XDG_CONFIG_HOME=$cfg "$vault_bin" trust add "$writer" --name bench --identity "$key" >/dev/null 2>&1

median() { python3 -c "import json,statistics,sys;r=json.load(open(sys.argv[1]))['results'];print(' '.join(f'{statistics.median(x[\"times\"])*1000:.2f}' for x in r))" "$1"; }
rss() { # peak RSS in KiB, the largest of 5 runs
    local max=0 r
    # A binary's resident code depends on how its file came into the page cache (a fresh build
    # or copy is cached as it was written): each program is first read back as from disk.
    python3 -c "import os,sys;f=os.open(sys.argv[1],os.O_RDONLY);os.fsync(f);os.posix_fadvise(f,0,0,os.POSIX_FADV_DONTNEED)" "$1"
    for _ in 1 2 3 4 5; do
        /usr/bin/time -o "$work/rss" -f '%M' "$@" >/dev/null 2>&1
        r=$(tail -1 "$work/rss")
        [ "$r" -gt "$max" ] && max=$r
    done
    echo "$max"
}

echo "| vault | N | rage -d ms | age -d ms | vault export ms | ratio to rage | rage RSS KiB | vault RSS KiB | RSS ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for kind in hand-made signed; do
    for n in $NS; do
        target=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['target'])" "$VBENCH_DIR/data/n$n/meta.json")
        file="$VBENCH_DIR/age/n$n/vault.age"
        env_cfg="$work/none"
        if [ "$kind" = signed ]; then
            cp "$file" "$work/n$n.age"
            file="$work/n$n.age"
            XDG_CONFIG_HOME=$cfg "$vault_bin" trust accept --yes --vault "$file" --identity "$key" >/dev/null 2>&1
            env_cfg=$cfg
        fi
        export XDG_CONFIG_HOME=$env_cfg
        hyperfine -N -w 3 -r "$RUNS" --export-json "$work/t.json" \
            "$rage_bin -d -i $key -o /dev/null $file" \
            "age -d -i $key -o /dev/null $file" \
            "$vault_bin export $target --vault $file --identity $key" >/dev/null 2>&1
        read -r t_rage t_age t_vault < <(median "$work/t.json")
        m_rage=$(rss "$rage_bin" -d -i "$key" -o /dev/null "$file")
        m_vault=$(rss "$vault_bin" export "$target" --vault "$file" --identity "$key")
        unset XDG_CONFIG_HOME
        python3 -c "import sys;k,n,a,g,v,mr,mv=sys.argv[1:];print(f'| {k} | {n} | {a} | {g} | {v} | {float(v)/float(a):.2f}x | {mr} | {mv} | {int(mv)/int(mr):.2f}x |')" \
            "$kind" "$n" "$t_rage" "$t_age" "$t_vault" "$m_rage" "$m_vault"
    done
done

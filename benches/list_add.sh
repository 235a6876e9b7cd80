#!/usr/bin/env bash
# `vault list` against `rage -d`, and `vault add` against `rage -d | rage -e` of the same vault,
# in the same run, as ratios: at N = 100,000 by default. "hand-made": the peer benchmark's vault
# (`../shared/bench`, compact JSON, names unsorted) read by a key without anchors, so no
# signature is checked. "signed": the same vault after `vault trust accept` (as vault writes it),
# read and written by an operator whose trust list holds its own writer key, so the signature is
# checked before anything is parsed and a new one made on every save. Each `add` starts from a
# fresh 0600 copy of that vault (hyperfine --prepare; 0600 as `vault init` makes one) and writes
# its .bak and the new file with fsync.
# Prints a markdown table. Needs ../shared/bench, hyperfine, rage.
# `bash benches/list_add.sh`; RUNS, NS and VAULT_BIN pass through. BASE_BIN (another build of
# vault, e.g. the one before a change) adds its times and ratios, on the same files in the same
# runs: the signed vault is the one VAULT_BIN writes.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${SHARED_DIR:-$root/../shared}
export VBENCH_DIR=${VBENCH_DIR:-/tmp/vbench}
NS=${NS:-100000}
RUNS=${RUNS:-10}
vault_bin=${VAULT_BIN:-$root/target/release/vault}
rage_bin=$(command -v rage || echo "$HOME/.cargo/bin/rage")
key="$VBENCH_DIR/age/key.txt"
NS="$NS" bash "$shared/bench/setup_age.sh" >/dev/null 2>&1
recipient=$("$rage_bin"-keygen -y "$key" 2>/dev/null || age-keygen -y "$key")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cfg="$work/cfg"
mkdir -p "$cfg"
writer=$(XDG_CONFIG_HOME=$cfg "$vault_bin" trust show --identity "$key" | grep -o 'vaultw1[a-z0-9]*' | head -1)
XDG_CONFIG_HOME=$cfg "$vault_bin" trust add "$writer" --name bench --identity "$key" >/dev/null 2>&1

base_bin=${BASE_BIN:-}
median() { python3 -c "import json,statistics,sys;r=json.load(open(sys.argv[1]))['results'];print(' '.join(f'{statistics.median(x[\"times\"])*1000:.2f}' for x in r))" "$1"; }
# | what | vault | N | rage | vault | ratio | (base | ratio) |
row() {
    python3 -c "
import sys
w, k, n, a, v, *b = sys.argv[1:]
cells = [w, k, n, a, v, f'{float(v)/float(a):.2f}x'] + ([b[0], f'{float(b[0])/float(a):.2f}x'] if b else [])
print('| ' + ' | '.join(cells) + ' |')" "$@"
}

if [ -n "$base_bin" ]; then
    echo "| what | vault | N | rage ms | vault ms | ratio to rage | base ms | base ratio |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
else
    echo "| what | vault | N | rage ms | vault ms | ratio to rage |"
    echo "|---|---|---:|---:|---:|---:|"
fi
for n in $NS; do
    hand="$VBENCH_DIR/age/n$n/vault.age"
    signed="$work/n$n.age"
    cp "$hand" "$signed"
    XDG_CONFIG_HOME=$cfg "$vault_bin" trust accept --yes --vault "$signed" --identity "$key" >/dev/null 2>&1
    # list: hand-made (no anchors: nothing to check) and signed (checked before it is read).
    for kind in hand-made signed; do
        if [ "$kind" = signed ]; then file=$signed; env_cfg=$cfg; else file=$hand; env_cfg="$work/none"; fi
        cmds=("$rage_bin -d -i $key -o /dev/null $file" "$vault_bin list --vault $file --identity $key")
        [ -n "$base_bin" ] && cmds+=("$base_bin list --vault $file --identity $key")
        XDG_CONFIG_HOME=$env_cfg hyperfine -N -w 2 -r "$RUNS" --export-json "$work/t.json" \
            "${cmds[@]}" >/dev/null 2>&1
        # shellcheck disable=SC2046
        row "list" "$kind" "$n" $(median "$work/t.json")
    done
    # add: into a fresh copy of the signed vault each run; the peer decrypts and re-encrypts it.
    copy="$work/add.age"
    printf 'bench-password\n' >"$work/pw"
    cmds=("$rage_bin -d -i $key $copy | $rage_bin -e -r $recipient -o $work/out.age"
        "$vault_bin add bench/new-entry --vault $copy --identity $key < $work/pw")
    [ -n "$base_bin" ] && cmds+=("$base_bin add bench/new-entry --vault $copy --identity $key < $work/pw")
    XDG_CONFIG_HOME=$cfg hyperfine -w 2 -r "$RUNS" --export-json "$work/t.json" \
        --prepare "cp $signed $copy; chmod 600 $copy; rm -f $copy.bak" "${cmds[@]}" >/dev/null 2>&1
    # shellcheck disable=SC2046
    row "add" "signed" "$n" $(median "$work/t.json")
done

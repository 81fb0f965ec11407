#!/usr/bin/env bash
# Quick A/B of imgseal's CPU cost per GiB for one layer, oci: → oci: (encrypt, then
# decrypt of the result): user, system and wall seconds of each run, with the load
# average next to them. The input layout is built once in WORK and kept (delete it to
# rebuild), so successive builds are measured on the same bytes.
#   bench/layer-cpu.sh [WORK_DIR]
# Env: SIZE_MIB (1024), RUNS (3), PROF=1 (also write --cpu-prof profiles into WORK/prof),
# MAIN (the CLI entry to run, default dist/cli/main.js: for A/B runs of two builds
# copied inside the worktree, so that node_modules resolves)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${1:-/tmp/imgseal-layer-cpu}"
SIZE_MIB="${SIZE_MIB:-1024}"; RUNS="${RUNS:-3}"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
bench_need /usr/bin/time:time openssl:openssl bc:bc
bench_imgseal "$ROOT"
mkdir -p "$WORK"; cd "$WORK"
if [ ! -f "src-$SIZE_MIB/index.json" ]; then
  rm -rf "src-$SIZE_MIB"; make_layout "src-$SIZE_MIB" 1 "$((SIZE_MIB * 1024 * 1024))"
fi
[ -f priv.pem ] || { openssl genrsa -out priv.pem 2048 2>/dev/null; openssl rsa -in priv.pem -pubout -out pub.pem 2>/dev/null; }
GIB="$(echo "$(stat -c %s "$(ls -S "src-$SIZE_MIB"/blobs/sha256/* | head -1)") / 1073741824" | bc -l)"
NODE_FLAGS=()
[ "${PROF:-0}" = 1 ] && { rm -rf prof; mkdir -p prof; NODE_FLAGS=(--cpu-prof --cpu-prof-dir "$WORK/prof"); }
# Context switches and page faults (perf stat, when installed) move far less with the load than seconds do.
PERF=(); rm -f perf.csv
command -v perf >/dev/null && perf stat -x, -e context-switches true 2>/dev/null && PERF=(perf stat -x, -o "$WORK/perf.csv" -e context-switches,page-faults)
load() { cut -d' ' -f1 /proc/loadavg; }
one() { # LABEL OUT ARGS...
  local label="$1" out="$2" l0 line t m u s; shift 2
  rm -rf "$out"; sync; l0="$(load)"
  if ! line="$(/usr/bin/time -f '%e %M %U %S' "${PERF[@]}" node "${NODE_FLAGS[@]}" "${MAIN:-$ROOT/dist/cli/main.js}" "$@" 2>&1 >/dev/null)"; then
    printf 'layer-cpu.sh: %s failed:\n%s\n' "$label" "$line" >&2
    exit 1
  fi
  line="$(tail -1 <<<"$line")"
  read -r t m u s <<<"$line"
  local cs=- pf=-
  if [ -s perf.csv ]; then cs="$(awk -F, '$3 ~ /^context-switches/ { print $1 }' perf.csv)"; pf="$(awk -F, '$3 ~ /^page-faults/ { print $1 }' perf.csv)"; fi
  printf '%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.0f\t%s\t%s\t%s-%s\n' "$label" "$t" "$(echo "$u / $GIB" | bc -l)" "$(echo "$s / $GIB" | bc -l)" \
    "$(echo "($u + $s) / $GIB" | bc -l)" "$((m / 1024))" "$cs" "$pf" "$l0" "$(load)"
}
echo "# $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo +dirty), ${SIZE_MIB} MiB, $(date -u +%FT%TZ)"
printf 'op\twall s\tuser/GiB\tsys/GiB\tCPU/GiB\tRSS MiB\tctx sw\tfaults\tload\n'
for _ in $(seq "$RUNS"); do
  one encrypt enc copy -q --encryption-key jwe:pub.pem "oci:src-$SIZE_MIB:t" oci:enc:t
  one decrypt dec copy -q --decryption-key priv.pem oci:enc:t oci:dec:t
done

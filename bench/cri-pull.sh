#!/usr/bin/env bash
# CRI pull of an encrypted image against the same-size image unencrypted, through the
# same containerd 1.6 (CRI, node key model, imgseal decoder as stream processor) and the
# same registry, in one run: both times, the ratio, and the decoder's peak RSS; then the
# decoder's peak RSS for each of RSS_SIZES (memory must not grow with the layer).
#   bench/cri-pull.sh [WORK]     env: SIZE_MIB (256), LAYERS (1: the image's layer count,
#   SIZE_MIB split evenly; the decoder runs once per layer), RSS_SIZES ("64 1024"; empty: none), KEEP=1,
#   DECODER_MAIN (default: the bundled dist/decoder/decoder-main.js; another build's, or dist/src/cli/decoder-main.js unbundled, for A/B runs), DECODER_ENV ("VAR=value ..." for the decoder),
#   CONTAINERD_BIN_DIR (another containerd, e.g. the 2.x that test/peers/containerd/fetch-v2.sh prints; default Debian's 1.6)
# Targets (issue 10): encrypted <= 1.3x plain; decoder RSS <= 100 MiB and flat.
# Each image gets its own random content: equal diff_ids would let containerd skip the
# unpack (and the decoder) for the second image.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
. "$HERE/lib.sh"
bench_need skopeo:skopeo /usr/bin/time:time bc:bc
bench_imgseal "$ROOT"
SIZE_MIB="${SIZE_MIB:-256}"
LAYERS="${LAYERS:-1}"
RSS_SIZES="${RSS_SIZES-64 1024}"
WORK="${1:-$(mktemp -d /tmp/bcri.XXXXXX)}"
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
PEERS="$ROOT/test/peers"
REG="$WORK/reg"; CTD="$WORK/ctd"
cleanup() {
  "$PEERS/containerd/stop.sh" "$CTD" --clean >/dev/null 2>&1 || true
  "$PEERS/registry/stop.sh" "$REG" --clean >/dev/null 2>&1 || true
  [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"

"$PEERS/registry/start-plain.sh" "$REG" >/dev/null
HOST="$(sed -n 's/^REGISTRY_HOST=//p' "$REG/env" | tr -d "'")"
# The decoder wrapper records each run's peak RSS (KiB), user and system CPU seconds in rss.log.
# Like the README's wrapper, it drops NODE_EXTRA_CA_CERTS (containerd passes its own
# environment on; Node would parse that bundle at every decoder start).
cat >decoder <<W
#!/bin/sh
unset NODE_EXTRA_CA_CERTS
exec env ${DECODER_ENV:-} /usr/bin/time -a -o "$WORK/rss.log" -f '%M %U %S' node \${DECODER_NODE_FLAGS:-} "${DECODER_MAIN:-$ROOT/dist/decoder/decoder-main.js}" "\$@"
W
chmod +x decoder
CRI=1 DECODER="$WORK/decoder" CRI_PLAIN_HTTP_REGISTRIES="$HOST" "$PEERS/containerd/start.sh" "$CTD" >/dev/null
"${IMGSEAL[@]}" keygen --type ec -o key >/dev/null
cp key.key "$CTD/keys/bench.pem"

push() { # NAME MIB ENCRYPT(0/1) [LAYERS]
  rm -rf "src-$1"; make_layout "src-$1" "${4:-1}" $(($2 * 1024 * 1024 / ${4:-1}))
  local enc=()
  [ "$3" = 1 ] && enc=(--encryption-key jwe:key.pub.pem)
  "${IMGSEAL[@]}" copy -q "${enc[@]}" --dest-tls-verify=false "oci:src-$1:t" "docker://$HOST/bench/$1:t" >/dev/null
  rm -rf "src-$1"
}
pull() { # NAME -> seconds
  local t0 t1
  t0="$(date +%s.%N)"
  # Runs inside $(...), where bash drops set -e: a failed pull must stop the bench, not be timed.
  if ! CRI_NODE_MODULES_DIR="$ROOT" "$PEERS/containerd/cri/cri-pull.sh" "$CTD" "$HOST/bench/$1:t" >/dev/null; then
    echo "cri-pull.sh: the CRI pull of $1 failed; the end of containerd's log:" >&2
    tail -5 "$CTD/containerd.log" >&2
    return 1
  fi
  t1="$(date +%s.%N)"
  echo "$t1 - $t0" | bc
}
# Seconds containerd spent applying layers (its debug log's "diff applied" durations,
# summed) since log line $1: for the encrypted image that is the decoder plus the
# unpack, so the pull's time splits into fetch and apply.
applied_since() {
  tail -n +"$(($1 + 1))" "$CTD/containerd.log" | grep -o 'msg="diff applied" d=[0-9.]*[a-zµ]*' | sed 's/.* d=//' |
    awk '/ms$/ { s += $0 / 1000; next } /µs$/ { s += $0 / 1e6; next } /m[0-9]/ { split($0, a, "m"); s += a[1] * 60 + a[2]; next } { s += $0 } END { printf "%.2f", s }'
}
log_lines() { wc -l <"$CTD/containerd.log"; }
last_rss_mib() { echo "$(tail -1 rss.log | cut -d' ' -f1) / 1024" | bc; }
last_cpu() { tail -1 rss.log | awk '{ printf "%.2f", $2 + $3 }'; }
# Peak RSS (MiB) and CPU (s) summed over the last N decoder runs (one per layer).
max_rss_mib() { echo "$(tail -"$1" rss.log | cut -d' ' -f1 | sort -n | tail -1) / 1024" | bc; }
sum_cpu() { tail -"$1" rss.log | awk '{ s += $2 + $3 } END { printf "%.2f", s }'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "# load average at start: $(load)"
echo "# cri-pull.sh at $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'), dist built $(date -r "$ROOT/dist/cli/main.js" -u +%FT%TZ), $(nproc) cores, containerd $(sed -n 's/^CONTAINERD_VERSION=//p' "$CTD/env" | tr -d "'")"
push plain "$SIZE_MIB" 0 "$LAYERS"
push enc "$SIZE_MIB" 1 "$LAYERS"
l0="$(log_lines)"; tp="$(pull plain)"; ap="$(applied_since "$l0")"
l0="$(log_lines)"; te="$(pull enc)"; ae="$(applied_since "$l0")"
rss="$(max_rss_mib "$LAYERS")"
shape="${SIZE_MIB} MiB"; [ "$LAYERS" = 1 ] || shape="${SIZE_MIB} MiB in $LAYERS layers"
printf '%-34s %8s s   (of which applying the layers: %s s)\n' "plain $shape" "$tp" "$ap" "encrypted $shape" "$te" "$ae"
printf 'ratio encrypted/plain: %s (target <= 1.3)   decoder peak RSS: %s MiB (target <= 100), decoder CPU %s s\n' "$(echo "scale=2; $te / $tp" | bc)" "$rss" "$(sum_cpu "$LAYERS")"
for s in $RSS_SIZES; do
  push "rss$s" "$s" 1
  t="$(pull "rss$s")"
  printf 'decoder peak RSS, %5s MiB layer: %4s MiB (pull %s s, decoder CPU %s s)\n' "$s" "$(last_rss_mib)" "$t" "$(last_cpu)"
done
echo "# load average at end: $(load)"

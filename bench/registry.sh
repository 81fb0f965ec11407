#!/usr/bin/env bash
# Benchmark: imgseal vs skopeo pushing (oci: → docker://) and pulling (docker:// → oci:)
# against a real registry (CNCF distribution, the plain-HTTP test peer on 127.0.0.1),
# measured in the same run on this machine. Two images built by hand:
#   big:  BIG_LAYERS layers of BIG_LAYER_MIB MiB of random data each (default 20 × 25 MiB)
#   tiny: TINY_LAYERS layers of TINY_LAYER_KIB KiB of random data each (default 200 × 4 KiB)
# Layers are uncompressed tars (application/vnd.oci.image.layer.v1.tar): random data
# does not compress, and skipping gzip keeps creating the images fast. So that both
# tools move the same bytes, skopeo pushes with --preserve-digests (otherwise it gzips
# uncompressed layers on the way to a registry) and pulls with
# --dest-oci-accept-uncompressed-layers (otherwise it gzips them into oci:).
# Prints a markdown table: best wall time of RUNS runs, MiB/s, peak RSS, registry
# requests, the tool's and the registry's CPU seconds of the best run, and the
# imgseal/skopeo speed ratio next to the issue's targets.
#   bench/registry.sh [WORK_DIR]
# Env: RUNS (2), BIG_LAYERS (20), BIG_LAYER_MIB (25), TINY_LAYERS (200), TINY_LAYER_KIB (4),
#      JOBS (imgseal --jobs; empty = its default), TINY_EXTRA_JOBS (16; also times imgseal
#      with --jobs N on the tiny image, empty = skip), KEEP=1 keeps WORK and the registry log,
#      IMGSEAL_MAIN (the CLI entry, default the bundle dist/cli/main.js; for A/B runs)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${1:-/tmp/imgseal-bench-registry}"
RUNS="${RUNS:-2}"; BIG_LAYERS="${BIG_LAYERS:-20}"; BIG_LAYER_MIB="${BIG_LAYER_MIB:-25}"
TINY_LAYERS="${TINY_LAYERS:-200}"; TINY_LAYER_KIB="${TINY_LAYER_KIB:-4}"; JOBS="${JOBS:-}"
TINY_EXTRA_JOBS="${TINY_EXTRA_JOBS-16}"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
bench_need skopeo:skopeo /usr/bin/time:time bc:bc curl:curl openssl:openssl
bench_imgseal "$ROOT"
IM_JOBS=(); [ -n "$JOBS" ] && IM_JOBS=(--jobs "$JOBS")

# skopeo (as root) remembers where it saw each blob and would mount it from an earlier
# repository instead of uploading: its cache is moved aside for the run and restored.
BIC=/var/lib/containers/cache/blob-info-cache-v1.boltdb
BIC_SAVED="$BIC.imgseal-bench-$$"
STATE="$WORK/reg"
cleanup() {
  "$ROOT/test/peers/registry/stop.sh" "$STATE" >/dev/null 2>&1 || true
  rm -f "$BIC"
  [ -e "$BIC_SAVED" ] && mv -f "$BIC_SAVED" "$BIC"
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
rm -rf "$WORK"; mkdir -p "$WORK"
trap cleanup EXIT
trap 'exit 130' INT TERM
[ -e "$BIC" ] && mv "$BIC" "$BIC_SAVED"

"$ROOT/test/peers/registry/start-plain.sh" "$STATE" >/dev/null 2>"$WORK/start.log" || { cat "$WORK/start.log" >&2; exit 1; }
# shellcheck disable=SC1091
. "$STATE/env"
HOST="$REGISTRY_HOST"; RLOG="$STATE/registry.log"
cd "$WORK"
export REGISTRY_AUTH_FILE="$WORK/auth.json"; echo '{}' >"$REGISTRY_AUTH_FILE"

# Registry access-log lines (one per HTTP request distribution served).
reqs() { grep -c '^127\.0\.0\.1 - - \[.*HTTP/1\.1" [0-9]' "$RLOG" 2>/dev/null || true; }
# CPU time (ms, user + system) the registry process has used so far: with the tool's own
# CPU it shows how much of the two cores a run leaves for anything else.
REG_PID="$(cat "$STATE/registry.pid")"
TICK_MS=$((1000 / $(getconf CLK_TCK)))
reg_cpu_ms() { awk -v t="$TICK_MS" '{print ($14 + $15) * t}' "/proc/$REG_PID/stat"; }

# measure TAG CMD... (CMD may contain the word @N@, replaced by the run number so every
# push goes to a fresh repository): best wall time, peak RSS (KiB), and for the best run
# the requests, the tool's CPU seconds and the registry's CPU seconds; prints
# "secs rss_kib requests tool_cpu registry_cpu". The output folder pull-out is emptied
# before each run.
measure() {
  local best="" rss=0 breqs=0 bcpu=0 breg=0 line t m u k r0 r1 c0 c1 run a args
  for ((run = 1; run <= RUNS; run++)); do
    args=(); for a in "$@"; do args+=("${a//@N@/$run}"); done
    rm -rf pull-out "$BIC"; sync
    r0="$(reqs)"; c0="$(reg_cpu_ms)"
    if ! line="$(/usr/bin/time -f '%e %M %U %S' "${args[@]}" 2>&1 >/dev/null)"; then
      echo "FAILED: ${args[*]}" >&2; echo "$line" >&2; return 1
    fi
    line="$(tail -1 <<<"$line")"
    r1="$(reqs)"; c1="$(reg_cpu_ms)"
    read -r t m u k <<<"$line"
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then
      best="$t"; breqs=$((r1 - r0)); bcpu="$(echo "$u + $k" | bc -l)"; breg="$(echo "($c1 - $c0) / 1000" | bc -l)"
    fi
    [ "$m" -gt "$rss" ] && rss="$m"
  done
  echo "$best $rss $breqs $bcpu $breg"
}

SK=(skopeo copy -q)
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "# imgseal vs skopeo against distribution $(docker-registry --version 2>/dev/null | awk '{print $3}') (plain HTTP, 127.0.0.1), $(nproc) cores, $(date -u +%FT%TZ)"
echo "imgseal $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') (dist built $(date -u -r "${IMGSEAL[1]}" +%FT%TZ)), skopeo $(skopeo --version | awk '{print $3}'), node $(node --version), best of $RUNS runs, imgseal --jobs ${JOBS:-default (6)}"
echo "load average before: $LOAD_BEFORE"
echo
echo "| image | operation | tool | seconds | MiB/s | peak RSS MiB | requests | tool CPU s | registry CPU s | imgseal / skopeo | target |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
row() { # IMAGE OP TOOL SECS RSS REQS TOOL_CPU REGISTRY_CPU ["RATIO | TARGET"]
  [ -n "$4" ] || { echo "a measurement failed ($1 $2 $3)" >&2; exit 1; }
  printf '| %s | %s | %s | %.2f | %.1f | %.0f | %s | %.2f | %.2f | %s |\n' "$1" "$2" "$3" "$4" \
    "$(echo "$MIB / $4" | bc -l)" "$(echo "$5 / 1024" | bc -l)" "$6" "$7" "$8" "${9:- | }"
}
verdict() { # RATIO_EXPR TARGET_RATIO RSS_KIB
  local r ok=yes; r="$(echo "$1" | bc -l 2>/dev/null || echo 0)"
  [ "$(echo "$r >= $2" | bc -l)" = 1 ] || ok=no
  local rssok=yes; [ "$3" -le $((150 * 1024)) ] || rssok=no
  printf '%.2f× | ≥ %s×: %s; RSS ≤ 150: %s' "$r" "$2" "$ok" "$rssok"
}

bench_image() { # NAME COUNT BYTES TARGET [EXTRA_JOBS]
  local name="$1" count="$2" bytes="$3" target="$4" xj="${5:-}"
  rm -rf src; make_layout src "$count" "$bytes"
  MIB="$(echo "$(du -sb src/blobs/sha256 | cut -f1) / 1048576" | bc -l)"
  local label; label="$name ($count × $(numfmt --to=iec-i --suffix=B "$bytes"))"
  local sk_push sk_push_rss sk_push_n sk_push_c sk_push_r im_push im_push_rss im_push_n im_push_c im_push_r
  read -r sk_push sk_push_rss sk_push_n sk_push_c sk_push_r < <(measure "${SK[@]}" --preserve-digests --dest-tls-verify=false oci:src:t "docker://$HOST/bench/$name-skopeo-@N@:t")
  read -r im_push im_push_rss im_push_n im_push_c im_push_r < <(measure "${IMGSEAL[@]}" copy -q "${IM_JOBS[@]}" --dest-tls-verify=false oci:src:t "docker://$HOST/bench/$name-imgseal-@N@:t")
  row "$label" push skopeo "$sk_push" "$sk_push_rss" "$sk_push_n" "$sk_push_c" "$sk_push_r"
  row "$label" push imgseal "$im_push" "$im_push_rss" "$im_push_n" "$im_push_c" "$im_push_r" "$(verdict "$sk_push / $im_push" "$target" "$im_push_rss")"
  if [ -n "$xj" ]; then
    read -r im_push im_push_rss im_push_n im_push_c im_push_r < <(measure "${IMGSEAL[@]}" copy -q --jobs "$xj" --dest-tls-verify=false oci:src:t "docker://$HOST/bench/$name-imgseal-j$xj-@N@:t")
    row "$label" push "imgseal --jobs $xj" "$im_push" "$im_push_rss" "$im_push_n" "$im_push_c" "$im_push_r" "$(verdict "$sk_push / $im_push" "$target" "$im_push_rss")"
  fi
  local sk_pull sk_pull_rss sk_pull_n sk_pull_c sk_pull_r im_pull im_pull_rss im_pull_n im_pull_c im_pull_r
  read -r sk_pull sk_pull_rss sk_pull_n sk_pull_c sk_pull_r < <(measure "${SK[@]}" --src-tls-verify=false --dest-oci-accept-uncompressed-layers "docker://$HOST/bench/$name-skopeo-1:t" oci:pull-out:t)
  read -r im_pull im_pull_rss im_pull_n im_pull_c im_pull_r < <(measure "${IMGSEAL[@]}" copy -q "${IM_JOBS[@]}" --src-tls-verify=false "docker://$HOST/bench/$name-skopeo-1:t" oci:pull-out:t)
  row "$label" pull skopeo "$sk_pull" "$sk_pull_rss" "$sk_pull_n" "$sk_pull_c" "$sk_pull_r"
  row "$label" pull imgseal "$im_pull" "$im_pull_rss" "$im_pull_n" "$im_pull_c" "$im_pull_r" "$(verdict "$sk_pull / $im_pull" "$target" "$im_pull_rss")"
  if [ -n "$xj" ]; then
    read -r im_pull im_pull_rss im_pull_n im_pull_c im_pull_r < <(measure "${IMGSEAL[@]}" copy -q --jobs "$xj" --src-tls-verify=false "docker://$HOST/bench/$name-skopeo-1:t" oci:pull-out:t)
    row "$label" pull "imgseal --jobs $xj" "$im_pull" "$im_pull_rss" "$im_pull_n" "$im_pull_c" "$im_pull_r" "$(verdict "$sk_pull / $im_pull" "$target" "$im_pull_rss")"
  fi
  # A floor, not a competitor: curl only GETs every blob to /dev/null (no manifest, no
  # digest check, no file written), as many at once as imgseal moves such blobs. What
  # no client can beat on this machine and registry.
  local par=6; [ "$bytes" -le $((1024 * 1024)) ] && par=16
  : >curl-urls.txt
  local man h; man="$(grep -o 'sha256:[0-9a-f]*' src/index.json | head -1 | cut -d: -f2)"
  for h in $(ls src/blobs/sha256); do [ "$h" = "$man" ] && continue; printf 'url = "%s/v2/bench/%s-skopeo-1/blobs/sha256:%s"\noutput = "/dev/null"\n' "$REGISTRY_URL" "$name" "$h" >>curl-urls.txt; done
  local cu_pull cu_rss cu_n cu_c cu_r
  read -r cu_pull cu_rss cu_n cu_c cu_r < <(measure curl -sf --parallel --parallel-max "$par" -K curl-urls.txt)
  row "$label" pull "floor: curl, blobs to /dev/null, $par at once" "$cu_pull" "$cu_rss" "$cu_n" "$cu_c" "$cu_r" "$(printf 'skopeo / floor %.2f× | ' "$(echo "$sk_pull / $cu_pull" | bc -l)")"
  # The same GETs from Node (undici), each blob hashed and written to a file: what the
  # runtime itself charges for a pull, with none of imgseal's code.
  sed -n 's/^url = "\(.*\)"$/\1/p' curl-urls.txt >node-urls.txt
  local nf_pull nf_rss nf_n nf_c nf_r
  read -r nf_pull nf_rss nf_n nf_c nf_r < <(measure sh -c "rm -rf nf-out && mkdir nf-out && exec node '$ROOT/bench/node-pull-floor.mjs' node-urls.txt nf-out $par")
  row "$label" pull "floor in Node: undici GET, SHA-256, file write, $par at once" "$nf_pull" "$nf_rss" "$nf_n" "$nf_c" "$nf_r"
  # CPU per GiB moved next to the floor: one SHA-256 pass (OpenSSL, one core) + the
  # kernel's socket copies (the curl row's CPU) + one pass through the page cache for
  # the blob files (cat of the layout to a file, as for a pull's writes or a push's reads).
  # Only for big blobs: for tiny ones the per-request cost is all there is.
  if [ "$bytes" -gt $((1024 * 1024)) ]; then
  local cat_u cat_s; read -r _ _ cat_u cat_s < <(/usr/bin/time -f '%e %M %U %S' sh -c 'cat src/blobs/sha256/* >cat-out' 2>&1 | tail -1); rm -f cat-out
  local gib floor; gib="$(echo "$MIB / 1024" | bc -l)"
  floor="$(echo "1024 / $SHA + ($cu_c + $cat_u + $cat_s) / $gib" | bc -l)"
  cpurow() { printf '| %s | %s | %s | %.2f | %.2f | %.2f× |\n' "$label" "$1" "$2" "$3" "$(echo "$3 / $gib" | bc -l)" "$(echo "$3 / $gib / $floor" | bc -l)"; }
  CPU_ROWS+="$(cpurow push skopeo "$sk_push_c")"$'\n'"$(cpurow push imgseal "$im_push_c")"$'\n'
  CPU_ROWS+="$(cpurow pull skopeo "$sk_pull_c")"$'\n'"$(cpurow pull imgseal "$im_pull_c")"$'\n'
  CPU_ROWS+="$(printf '| %s | floor | 1 SHA-256 pass + curl + cat of the blobs | | %.2f | 1.00× |' "$label" "$floor")"$'\n'
  CPU_ROWS+="$(cpurow pull "floor in Node (undici GET + SHA-256 + write; imgseal pull $(printf '%.2f' "$(echo "$im_pull_c / $nf_c" | bc -l)")× of it)" "$nf_c")"$'\n'
  fi
  rm -rf src pull-out curl-urls.txt node-urls.txt nf-out
}

# OpenSSL's single-core SHA-256 speed in MiB/s (16 KiB blocks), for the floor.
SHA="$(openssl speed -mr -seconds 2 -bytes 16384 -evp sha256 2>/dev/null | awk -F: '/^\+F:/ { printf "%.1f", $4 / 1048576 }')"
CPU_ROWS=""

bench_image big "$BIG_LAYERS" "$((BIG_LAYER_MIB * 1024 * 1024))" 2
bench_image tiny "$TINY_LAYERS" "$((TINY_LAYER_KIB * 1024))" 3 "$TINY_EXTRA_JOBS"
echo
echo "Client CPU per GiB moved (user + system of the best run; target for the big image: ≤ 1.3× the floor; OpenSSL SHA-256 $SHA MiB/s per core):"
echo
echo "| image | operation | tool | tool CPU s | CPU-s/GiB | CPU / floor |"
echo "| --- | --- | --- | --- | --- | --- |"
printf '%s' "$CPU_ROWS"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# Benchmark: imgseal vs skopeo encrypting and decrypting one large uncompressed layer,
# measured in the same run on this machine. Prints MiB/s, the ratio to skopeo and peak
# RSS; the machine's ceiling (2 cores: every byte is hashed three times, so at best
# cores x SHA-256 speed / 3, OpenSSL's SHA-256 measured before and after the runs) and
# each tool's speed as a percentage of it; each tool's user and system CPU-seconds per
# GiB and their sum as a multiple of the floor (three SHA-256 passes at OpenSSL's speed
# plus what `cp` of the same file costs: the kernel's read and write copies); then
# imgseal's peak RSS for a small and a very large layer (memory must not grow with
# layer size).
#   bench/encrypt-decrypt.sh [WORK_DIR]
# Env: SIZE_MIB (default 1024), SMALL_MIB (64), BIG_MIB (2048), RUNS (default 3; best run counts: decrypt times move with the page cache)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${1:-/tmp/imgseal-bench}"
SIZE_MIB="${SIZE_MIB:-1024}"; SMALL_MIB="${SMALL_MIB:-64}"; BIG_MIB="${BIG_MIB:-2048}"; RUNS="${RUNS:-3}"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
bench_need skopeo:skopeo /usr/bin/time:time openssl:openssl bc:bc
bench_imgseal "$ROOT"
rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK"
export REGISTRY_AUTH_FILE="$WORK/auth.json"; echo '{}' >"$REGISTRY_AUTH_FILE"
openssl genrsa -out priv.pem 2048 2>/dev/null; openssl rsa -in priv.pem -pubout -out pub.pem 2>/dev/null

# measure OUTDIR CMD...: best wall time of RUNS runs, the peak RSS, and the user and
# system CPU-seconds of the best run; prints "secs rss_kib user sys".
measure() {
  local out="$1"; shift
  local best="" rss=0 line t m u s bu=0 bs=0
  for _ in $(seq "$RUNS"); do
    rm -rf "$out"; sync
    # measure runs in <(...), where set -e does not reach: a failed run must end the bench
    # (the caller's read then finds nothing), not be counted as a fast one.
    if ! line="$(/usr/bin/time -f '%e %M %U %S' "$@" 2>&1 >/dev/null)"; then
      printf 'encrypt-decrypt.sh: failed: %s\n%s\n' "$*" "$line" >&2
      exit 1
    fi
    line="$(tail -1 <<<"$line")"
    read -r t m u s <<<"$line"
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best="$t"; bu="$u"; bs="$s"; fi
    [ "$m" -gt "$rss" ] && rss="$m"
  done
  echo "$best $rss $bu $bs"
}

# sha256_mibps: OpenSSL's single-core SHA-256 speed in MiB/s (16 KiB blocks).
sha256_mibps() {
  openssl speed -mr -seconds 3 -bytes 16384 -evp sha256 2>/dev/null | awk -F: '/^\+F:/ { printf "%.1f", $4 / 1048576 }'
}

make_layout src 1 "$((SIZE_MIB * 1024 * 1024))"
LAYER="$(ls -S src/blobs/sha256/* | head -1)"
GIB="$(echo "$(stat -c %s "$LAYER") / 1073741824" | bc -l)"
CORES="$(nproc)"
SHA_BEFORE="$(sha256_mibps)"
# The kernel's share of the floor: one read and one write of the layer, as cp does them.
read -r _ _ cp_u cp_s < <(measure cp-out cp "$LAYER" cp-out)
# cp (coreutils ≥ 9) copies with copy_file_range: one copy inside the kernel. A tool that
# must see the bytes reads them out and writes them back, two copies: dd with the
# pump's 256 KiB reads measures that, for a second floor printed below the table.
read -r _ _ dd_u dd_s < <(measure dd-out dd if="$LAYER" of=dd-out bs=256K status=none)
# What Node itself charges for the same work (bench/node-floor.mjs: three SHA-256 passes,
# AES-256-CTR + HMAC through node:crypto, 256 KiB reads and writes), one thread.
read -r _ _ nf_u nf_s < <(measure nf-out node "$ROOT/bench/node-floor.mjs" "$LAYER" nf-out)
echo "# imgseal vs skopeo: ${SIZE_MIB} MiB uncompressed layer, $CORES cores, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "skopeo $(skopeo --version | awk '{print $3}'), node $(node --version), best of $RUNS runs"
echo
echo "| operation | tool | seconds | MiB/s | % of ceiling | user CPU-s/GiB | sys CPU-s/GiB | CPU / floor | peak RSS MiB | imgseal / skopeo |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
SK=(skopeo copy -q --dest-oci-accept-uncompressed-layers)
read -r sk_enc sk_enc_rss sk_enc_u sk_enc_s < <(measure sk-enc "${SK[@]}" --encryption-key jwe:pub.pem oci:src:t oci:sk-enc:t)
read -r im_enc im_enc_rss im_enc_u im_enc_s < <(measure im-enc "${IMGSEAL[@]}" copy -q --encryption-key jwe:pub.pem oci:src:t oci:im-enc:t)
read -r sk_dec sk_dec_rss sk_dec_u sk_dec_s < <(measure sk-dec "${SK[@]}" --decryption-key priv.pem oci:sk-enc:t oci:sk-dec:t)
read -r im_dec im_dec_rss im_dec_u im_dec_s < <(measure im-dec "${IMGSEAL[@]}" copy -q --decryption-key priv.pem oci:im-enc:t oci:im-dec:t)
SHA_AFTER="$(sha256_mibps)"
SHA="$(echo "($SHA_BEFORE + $SHA_AFTER) / 2" | bc -l)"
CEILING="$(echo "$CORES * $SHA / 3" | bc -l)"
FLOOR="$(echo "3 * 1024 / $SHA + ($cp_u + $cp_s) / $GIB" | bc -l)"
row() { # OP TOOL SECS RSS USER SYS RATIO
  local mibps; mibps="$(echo "$SIZE_MIB / $3" | bc -l)"
  printf '| %s | %s | %.2f | %.0f | %.0f %% | %.2f | %.2f | %.2f× | %.0f | %s |\n' "$1" "$2" "$3" "$mibps" "$(echo "100 * $mibps / $CEILING" | bc -l)" \
    "$(echo "$5 / $GIB" | bc -l)" "$(echo "$6 / $GIB" | bc -l)" "$(echo "($5 + $6) / $GIB / $FLOOR" | bc -l)" "$(echo "$4 / 1024" | bc -l)" "$7"
}
row encrypt skopeo "$sk_enc" "$sk_enc_rss" "$sk_enc_u" "$sk_enc_s" ""
row encrypt imgseal "$im_enc" "$im_enc_rss" "$im_enc_u" "$im_enc_s" "$(printf '%.2f×' "$(echo "$sk_enc / $im_enc" | bc -l)")"
row decrypt skopeo "$sk_dec" "$sk_dec_rss" "$sk_dec_u" "$sk_dec_s" ""
row decrypt imgseal "$im_dec" "$im_dec_rss" "$im_dec_u" "$im_dec_s" "$(printf '%.2f×' "$(echo "$sk_dec / $im_dec" | bc -l)")"
echo
printf 'OpenSSL SHA-256: %.0f MiB/s per core before, %.0f after; ceiling %d x %.0f / 3 = %.0f MiB/s.\n' "$SHA_BEFORE" "$SHA_AFTER" "$CORES" "$SHA" "$CEILING"
printf 'Floor: 3 SHA-256 passes (%.2f CPU-s/GiB) + cp of the layer (%.2f user + %.2f sys CPU-s/GiB) = %.2f CPU-s/GiB.\n' \
  "$(echo "3 * 1024 / $SHA" | bc -l)" "$(echo "$cp_u / $GIB" | bc -l)" "$(echo "$cp_s / $GIB" | bc -l)" "$FLOOR"
FLOOR_RW="$(echo "3 * 1024 / $SHA + ($dd_u + $dd_s) / $GIB" | bc -l)"
printf 'Floor with user-space copies: 3 SHA-256 passes + dd of the layer (%.2f user + %.2f sys CPU-s/GiB) = %.2f CPU-s/GiB; imgseal encrypt %.2f×, decrypt %.2f× of it.\n' \
  "$(echo "$dd_u / $GIB" | bc -l)" "$(echo "$dd_s / $GIB" | bc -l)" "$FLOOR_RW" \
  "$(echo "($im_enc_u + $im_enc_s) / $GIB / $FLOOR_RW" | bc -l)" "$(echo "($im_dec_u + $im_dec_s) / $GIB / $FLOOR_RW" | bc -l)"
FLOOR_NODE="$(echo "($nf_u + $nf_s) / $GIB" | bc -l)"
printf 'Floor in Node (bench/node-floor.mjs: the same passes through node:crypto and fs, one thread): %.2f user + %.2f sys = %.2f CPU-s/GiB, %.2f× the floor; imgseal encrypt %.2f×, decrypt %.2f× of it.\n' \
  "$(echo "$nf_u / $GIB" | bc -l)" "$(echo "$nf_s / $GIB" | bc -l)" "$FLOOR_NODE" "$(echo "$FLOOR_NODE / $FLOOR" | bc -l)" \
  "$(echo "($im_enc_u + $im_enc_s) / $GIB / $FLOOR_NODE" | bc -l)" "$(echo "($im_dec_u + $im_dec_s) / $GIB / $FLOOR_NODE" | bc -l)"
printf 'Load average at the end: %s.\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf sk-enc sk-dec im-dec src cp-out dd-out nf-out

echo
echo "| imgseal peak RSS by layer size | encrypt MiB | decrypt MiB |"
echo "| --- | --- | --- |"
for mib in "$SMALL_MIB" "$BIG_MIB"; do
  rm -rf src im-enc; make_layout src 1 "$((mib * 1024 * 1024))"
  read -r _ e_rss _ _ < <(RUNS=1 measure im-enc "${IMGSEAL[@]}" copy -q --encryption-key jwe:pub.pem oci:src:t oci:im-enc:t)
  read -r _ d_rss _ _ < <(RUNS=1 measure im-dec "${IMGSEAL[@]}" copy -q --decryption-key priv.pem oci:im-enc:t oci:im-dec:t)
  printf '| %s MiB | %.0f | %.0f |\n' "$mib" "$(echo "$e_rss / 1024" | bc -l)" "$(echo "$d_rss / 1024" | bc -l)"
  rm -rf src im-enc im-dec
done
[ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"

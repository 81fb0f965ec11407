#!/usr/bin/env bash
# Benchmark: imgseal vs skopeo encrypting and decrypting one large uncompressed layer,
# measured in the same run on this machine. Prints MiB/s, the ratio to skopeo and peak
# RSS; then imgseal's peak RSS for a small and a very large layer (memory must not grow
# with layer size).
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

# measure NAME OUTDIR CMD...: best wall time of RUNS runs and the peak RSS; prints "secs rss_kib".
measure() {
  local out="$1"; shift
  local best="" rss=0 line t m
  for _ in $(seq "$RUNS"); do
    rm -rf "$out"; sync
    line="$(/usr/bin/time -f '%e %M' "$@" 2>&1 >/dev/null | tail -1)"
    t="${line% *}"; m="${line#* }"
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best="$t"; fi
    [ "$m" -gt "$rss" ] && rss="$m"
  done
  echo "$best $rss"
}

make_layout src 1 "$((SIZE_MIB * 1024 * 1024))"
BYTES="$(du -b src/blobs/sha256 | cut -f1)"
echo "# imgseal vs skopeo: ${SIZE_MIB} MiB uncompressed layer, $(nproc) cores, $(date -u +%FT%TZ)"
echo "skopeo $(skopeo --version | awk '{print $3}'), node $(node --version), best of $RUNS runs"
echo
echo "| operation | tool | seconds | MiB/s | peak RSS MiB | imgseal / skopeo |"
echo "| --- | --- | --- | --- | --- | --- |"
row() { # OP TOOL SECS RSS RATIO
  printf '| %s | %s | %.2f | %.0f | %.0f | %s |\n' "$1" "$2" "$3" "$(echo "$SIZE_MIB / $3" | bc -l)" "$(echo "$4 / 1024" | bc -l)" "$5"
}
SK=(skopeo copy -q --dest-oci-accept-uncompressed-layers)
read -r sk_enc sk_enc_rss < <(measure sk-enc "${SK[@]}" --encryption-key jwe:pub.pem oci:src:t oci:sk-enc:t)
read -r im_enc im_enc_rss < <(measure im-enc "${IMGSEAL[@]}" copy -q --encryption-key jwe:pub.pem oci:src:t oci:im-enc:t)
read -r sk_dec sk_dec_rss < <(measure sk-dec "${SK[@]}" --decryption-key priv.pem oci:sk-enc:t oci:sk-dec:t)
read -r im_dec im_dec_rss < <(measure im-dec "${IMGSEAL[@]}" copy -q --decryption-key priv.pem oci:im-enc:t oci:im-dec:t)
row encrypt skopeo "$sk_enc" "$sk_enc_rss" ""
row encrypt imgseal "$im_enc" "$im_enc_rss" "$(printf '%.2f×' "$(echo "$sk_enc / $im_enc" | bc -l)")"
row decrypt skopeo "$sk_dec" "$sk_dec_rss" ""
row decrypt imgseal "$im_dec" "$im_dec_rss" "$(printf '%.2f×' "$(echo "$sk_dec / $im_dec" | bc -l)")"
rm -rf sk-enc sk-dec im-dec src

echo
echo "| imgseal peak RSS by layer size | encrypt MiB | decrypt MiB |"
echo "| --- | --- | --- |"
for mib in "$SMALL_MIB" "$BIG_MIB"; do
  rm -rf src im-enc; make_layout src 1 "$((mib * 1024 * 1024))"
  read -r _ e_rss < <(RUNS=1 measure im-enc "${IMGSEAL[@]}" copy -q --encryption-key jwe:pub.pem oci:src:t oci:im-enc:t)
  read -r _ d_rss < <(RUNS=1 measure im-dec "${IMGSEAL[@]}" copy -q --decryption-key priv.pem oci:im-enc:t oci:im-dec:t)
  printf '| %s MiB | %.0f | %.0f |\n' "$mib" "$(echo "$e_rss / 1024" | bc -l)" "$(echo "$d_rss / 1024" | bc -l)"
  rm -rf src im-enc im-dec
done
[ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"

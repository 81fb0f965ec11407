# shellcheck shell=bash
# Helpers shared by the benchmarks. Source it; do not run it.

# bench_need CMD:PKG ...: apt-get install PKG for every CMD that is missing
# (CMD may be an absolute path, e.g. /usr/bin/time:time).
bench_need() {
  local pair c p
  for pair in "$@"; do
    c="${pair%%:*}"; p="${pair#*:}"
    if [ "${c#/}" != "$c" ]; then [ -e "$c" ] && continue; else command -v "$c" >/dev/null && continue; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >&2
  done
}

# bench_imgseal ROOT: builds dist/ if missing and sets IMGSEAL=(node ROOT/dist/cli/main.js),
# the bundled CLI that package.json's bin names; IMGSEAL_MAIN names another entry for A/B
# runs (a copy of another build inside the worktree, so that node_modules resolves).
bench_imgseal() {
  [ -f "$1/dist/cli/main.js" ] && [ -f "$1/dist/decoder/decoder-main.js" ] || (cd "$1" && npm run build --silent)
  IMGSEAL=(node "${IMGSEAL_MAIN:-$1/dist/cli/main.js}")
}

# make_layout DIR COUNT BYTES: an OCI layout with COUNT layers, each an uncompressed tar
# holding BYTES random bytes.
make_layout() {
  local dir="$1" count="$2" bytes="$3" i sha size layers="" cfg cfgsize man mansize diffids=""
  mkdir -p "$dir/blobs/sha256" payload
  for ((i = 0; i < count; i++)); do
    head -c "$bytes" /dev/urandom >payload/random.bin
    tar -C payload -cf layer.tar random.bin
    sha="$(sha256sum layer.tar | cut -d' ' -f1)"; size="$(stat -c %s layer.tar)"
    mv layer.tar "$dir/blobs/sha256/$sha"
    layers+="${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$sha\",\"size\":$size}"
    diffids+="${diffids:+,}\"sha256:$sha\""
  done
  rm -rf payload
  printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$diffids" >cfg.json
  cfg="$(sha256sum cfg.json | cut -d' ' -f1)"; cfgsize="$(stat -c %s cfg.json)"; mv cfg.json "$dir/blobs/sha256/$cfg"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' "$cfg" "$cfgsize" "$layers" >man.json
  man="$(sha256sum man.json | cut -d' ' -f1)"; mansize="$(stat -c %s man.json)"; mv man.json "$dir/blobs/sha256/$man"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"t"}}]}' "$man" "$mansize" >"$dir/index.json"
}


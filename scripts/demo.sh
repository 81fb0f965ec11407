#!/usr/bin/env bash
# imgseal demo: encrypt an image in an OCI layout on disk and decrypt it again.
# No server, no registry: builds a one-layer image from scratch, makes a key pair,
# encrypts, shows layerinfo, shows that decryption fails without the key, decrypts,
# and shows the file restored. Usage: scripts/demo.sh [WORK_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${1:-$(mktemp -d /tmp/imgseal-demo.XXXXXX)}"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# Set-up: Node 20+ and the project's own dependencies (what a fresh machine lacks).
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  step "installing Node.js from Debian"
  [ -n "$(ls /var/lib/apt/lists/*_Packages* 2>/dev/null)" ] || apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
cd "$ROOT"
[ -d node_modules ] || { step "npm ci"; npm ci --no-audit --no-fund >/dev/null; }
step "building imgseal"
npm run build --silent
imgseal() { node "$ROOT/dist/cli/main.js" "$@"; }

mkdir -p "$WORK" && cd "$WORK"
echo "working in $WORK"

step "building a one-layer image from scratch into oci:app (tag v1)"
mkdir -p rootfs/app layout/blobs/sha256
echo "top secret build of app v1" > rootfs/app/secret.txt
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C rootfs -cf layer.tar app
DIFF_ID="sha256:$(sha256sum layer.tar | cut -d' ' -f1)"
gzip -n -9 layer.tar
LAYER="$(sha256sum layer.tar.gz | cut -d' ' -f1)"; LAYER_SIZE="$(stat -c %s layer.tar.gz)"
mv layer.tar.gz "layout/blobs/sha256/$LAYER"
printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/app/run"]},"rootfs":{"type":"layers","diff_ids":["%s"]}}' "$DIFF_ID" > cfg.json
CFG="$(sha256sum cfg.json | cut -d' ' -f1)"; CFG_SIZE="$(stat -c %s cfg.json)"; mv cfg.json "layout/blobs/sha256/$CFG"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' "$CFG" "$CFG_SIZE" "$LAYER" "$LAYER_SIZE" > man.json
MAN="$(sha256sum man.json | cut -d' ' -f1)"; MAN_SIZE="$(stat -c %s man.json)"; mv man.json "layout/blobs/sha256/$MAN"
printf '{"imageLayoutVersion":"1.0.0"}' > layout/oci-layout
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}' "$MAN" "$MAN_SIZE" > layout/index.json
mv layout app
imgseal layerinfo oci:app:v1

step "imgseal keygen -o demo-key   (private key mode 0600, never printed)"
imgseal keygen --type ec -o demo-key
ls -l demo-key.key demo-key.pub.pem

step "imgseal copy --encryption-key jwe:demo-key.pub.pem oci:app:v1 oci:app-enc:v1"
imgseal copy --encryption-key jwe:demo-key.pub.pem oci:app:v1 oci:app-enc:v1

step "imgseal layerinfo oci:app-enc:v1"
imgseal layerinfo oci:app-enc:v1

step "decrypting without the key fails (and writes nothing)"
if imgseal decrypt oci:app-enc:v1 oci:app-dec:v1; then echo "unexpected success" >&2; exit 1; fi
[ ! -e app-dec ] && echo "(oci:app-dec was not created)"

step "imgseal decrypt --decryption-key demo-key.key oci:app-enc:v1 oci:app-dec:v1"
imgseal decrypt --decryption-key demo-key.key oci:app-enc:v1 oci:app-dec:v1

step "the file is restored"
json() { node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(eval("j"+process.argv[2]).split(":")[1])' "$@"; }
MAN_DEC="$(json "$WORK/app-dec/index.json" '.manifests[0].digest')"
LAYER_DEC="$(json "$WORK/app-dec/blobs/sha256/$MAN_DEC" '.layers[0].digest')"
mkdir -p restored && tar -xzf "app-dec/blobs/sha256/$LAYER_DEC" -C restored
echo "restored/app/secret.txt: $(cat restored/app/secret.txt)"
cmp rootfs/app/secret.txt restored/app/secret.txt && echo "identical to the original"
[ "$LAYER_DEC" = "$LAYER" ] && echo "decrypted layer is byte-identical to the original layer (sha256:$LAYER)"

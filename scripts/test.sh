#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine: installs the real peers the
# interop tests start (skopeo, CNCF distribution, buildah, podman, umoci, ...) and the
# npm dependencies, then typecheck, lint, build and every test.
# Usage: scripts/test.sh   (as root, or with sudo for the apt part)
# Under CI=true an interop test never skips: a missing peer is a failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PKGS=(nodejs npm g++ make skopeo docker-registry apache2-utils umoci buildah podman openssl python3 gnupg zstd softhsm2 opensc notary containerd)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
# nodejs/npm are only needed when no Node 20+ is on PATH already.
if command -v node >/dev/null && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ]; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  [ -n "$(ls /var/lib/apt/lists/*_Packages* 2>/dev/null)" ] || $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
    { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; }
fi

npm ci --no-audit --no-fund
npm run typecheck
npm run lint
npm test

#!/usr/bin/env bash
# Debian's containerd 2.x, unpacked beside the system's 1.6 without installing it:
#   containerd/fetch-v2.sh [DIR]   prints the folder holding its containerd and ctr
# Debian 12 ships containerd 1.6 only; sid ships 2.x. The .deb is fetched with
# `apt-get download` against a private sources list, package lists and cache under DIR
# (the machine's apt configuration and installed packages are not touched), checked by
# apt against Debian's archive keyring, and unpacked with `dpkg -x`. A second call
# reuses DIR. Fails unless the unpacked containerd runs and reports version 2 or later.
# Env: CONTAINERD2_SUITE (default sid), CONTAINERD2_VERSION (default: the suite's)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PEER_NAME=containerd2-fetch
# shellcheck source=../lib/common.sh
. "$HERE/../lib/common.sh"
DIR="${1:-/tmp/peers/containerd2}"
BIN="$DIR/root/usr/bin"

major() { "$BIN/containerd" --version 2>/dev/null | awk '{print $3}' | sed 's/^v//' | cut -d. -f1; }
if [ -x "$BIN/containerd" ] && [ -x "$BIN/ctr" ] && [ "$(major)" -ge 2 ] 2>/dev/null; then
  echo "$BIN"; exit 0
fi

SUITE="${CONTAINERD2_SUITE:-sid}"
mkdir -p "$DIR/apt/lists/partial" "$DIR/apt/cache/archives/partial" "$DIR/apt/etc"
printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian %s main\n' "$SUITE" >"$DIR/apt/etc/sources.list"
APT=(-o "Dir::Etc::SourceList=$DIR/apt/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$DIR/apt/lists" -o "Dir::Cache=$DIR/apt/cache" -o APT::Sandbox::User=root)
peer_log "fetching the package lists of Debian $SUITE"
apt-get "${APT[@]}" update -qq >&2 || peer_die "apt-get update of Debian $SUITE failed"
PKG="containerd${CONTAINERD2_VERSION:+=$CONTAINERD2_VERSION}"
rm -f "$DIR"/containerd_*.deb
(cd "$DIR" && apt-get "${APT[@]}" download -qq "$PKG" >&2) || peer_die "apt-get download $PKG from Debian $SUITE failed"
deb="$(ls "$DIR"/containerd_*.deb)"
rm -rf "$DIR/root"
dpkg -x "$deb" "$DIR/root"
[ -x "$BIN/containerd" ] && [ -x "$BIN/ctr" ] || peer_die "$deb holds no usr/bin/containerd and ctr"
m="$(major)"
[ -n "$m" ] && [ "$m" -ge 2 ] || peer_die "$deb: containerd reports '$("$BIN/containerd" --version 2>&1 | head -1)', not 2.x"
peer_log "unpacked $(basename "$deb"): $("$BIN/containerd" --version)"
echo "$BIN"

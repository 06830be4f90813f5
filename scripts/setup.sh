#!/usr/bin/env bash
# Installs what lrctl needs on Debian 12, as root: runc, iptables (CRIU's
# network lock, and the CNI plugins' NAT and firewall rules), the CNI plugins
# (containernetworking-plugins: loopback, bridge, host-local, portmap,
# firewall), iproute2 (`ip link del` of a removed network's bridge), util-linux
# (`unshare --net=FILE` makes each container's network namespace),
# busybox-static (test and demo rootfs), GNU tar (image layers), skopeo (`lrctl pull`) and CRIU >= 4.2.
# Idempotent: a machine that already has everything returns in well under a second.
# CRIU: Debian 12's criu 3.17 fails `criu check` on kernels >= 6.x and 4.1 cannot dump
# inet sockets on 6.16+, so CRIU 4.2+ is built from Debian's own source (see PLATFORM.md).
set -euo pipefail

CRIU_VERSION=${CRIU_VERSION:-4.2.1}
CRIU_SHA256=${CRIU_SHA256:-29ec0ee09e296479fe7048c80980e8ef1d0684d0b0204c2b101dfea19f6725b9}
# gcc, make, libc6-dev and libjansson-dev build the native monitor (lib/monitor) at npm ci;
# containernetworking-plugins, iproute2, iptables and util-linux are the container networks (lib/network);
# tar (GNU tar) lists and extracts image layers (lib/image/layer.ts); skopeo fetches images from
# registries for `lrctl pull` (lib/image/pull.ts); tini (its static /usr/bin/tini-static) is the init of `run --init`;
# procps: the host ps(1) that `runc ps` runs for `lrctl top` (lib/cli/commands/top.ts)
PKGS=(runc iptables containernetworking-plugins iproute2 util-linux busybox-static gcc make libc6-dev libjansson-dev tar skopeo curl tini procps)
# for the test suite: a real server keeping state in memory (checkpoint tests), a terminal for attach tests,
# podman to build and save test images, attr (getfattr) and libcap2-bin (setcap, getcap) to check what layers keep,
# a registry that the pull tests run on 127.0.0.1 (each its own, on a free port)
TEST_PKGS=(redis-server redis-tools bsdutils podman attr libcap2-bin docker-registry)
CRIU_BUILD_DEPS=(libprotobuf-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler
  python3-protobuf libnl-3-dev libnet1-dev libcap-dev libbsd-dev libgnutls28-dev
  libnftables-dev pkg-config uuid-dev make gcc dpkg-dev)

log() { echo "setup: $*" >&2; }

[ "$(id -u)" = 0 ] || { log "must run as root"; exit 7; }

apt_updated=
apt_update_once() { [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }; }

missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
missing=()
for p in "${TEST_PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing test dependencies ${missing[*]} (their services are not started)"
  apt_update_once
  # policy-rc.d 101: do not start the packaged redis service on the host
  had_policy=; [ -e /usr/sbin/policy-rc.d ] && had_policy=1
  [ -n "$had_policy" ] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || { [ -n "$had_policy" ] || rm -f /usr/sbin/policy-rc.d; exit 1; }
  [ -n "$had_policy" ] || rm -f /usr/sbin/policy-rc.d
  # docker-registry enables a system service on :5000 (systemd unit and SysV links): the tests start
  # their own registries, so the one just installed is disabled, and stopped where systemd runs
  if [[ " ${missing[*]} " == *" docker-registry "* ]]; then
    if command -v systemctl >/dev/null 2>&1; then
      [ -d /run/systemd/system ] && systemctl stop docker-registry.service >/dev/null 2>&1 || true
      systemctl disable docker-registry.service >/dev/null 2>&1 || true
    elif command -v update-rc.d >/dev/null 2>&1; then
      update-rc.d docker-registry disable >/dev/null 2>&1 || true
    fi
  fi
fi

# version_ge A B: true when version A >= B
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

criu_ok() {
  command -v criu >/dev/null 2>&1 || return 1
  local v; v=$(criu --version 2>/dev/null | awk '/^Version:/ {print $2}')
  [ -n "$v" ] && version_ge "$v" 4.2 && criu check >/dev/null 2>&1
}

if criu_ok; then
  log "criu $(criu --version | awk '/^Version:/ {print $2}') ok"
  exit 0
fi

log "building CRIU $CRIU_VERSION from Debian's source (installed criu is missing, older than 4.2 or fails 'criu check')"
src_list=/etc/apt/sources.list.d/lrctl-sid-src.sources
if [ ! -f "$src_list" ]; then
  cat >"$src_list" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt_updated=
fi
apt_update_once
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${CRIU_BUILD_DEPS[@]}" >/dev/null

work=/var/cache/lrctl/criu-build
mkdir -p "$work"
cd "$work"
tarball=criu_${CRIU_VERSION}.orig.tar.xz
if [ ! -f "$tarball" ]; then
  # The .debian.tar.xz may 404; only the orig tarball is needed.
  apt-get source --download-only "criu=${CRIU_VERSION}-1" >/dev/null 2>&1 || true
fi
if [ ! -f "$tarball" ]; then
  # sid moved on: take the newest 4.2+ version the index lists, with its checksum.
  newest=$(apt-cache showsrc criu | awk '/^Version:/ {print $2}' | sort -V | tail -n1)
  CRIU_VERSION=${newest%%-*}
  version_ge "$CRIU_VERSION" 4.2 || { log "no CRIU >= 4.2 source available (newest: $newest)"; exit 7; }
  tarball=criu_${CRIU_VERSION}.orig.tar.xz
  CRIU_SHA256=$(apt-cache showsrc "criu=$newest" | awk -v f="$tarball" '/^Checksums-Sha256:/ {s=1; next} /^[A-Z]/ {s=0} s && $3 == f {print $1; exit}')
  apt-get source --download-only "criu=$newest" >/dev/null 2>&1 || true
fi
[ -f "$tarball" ] || { log "could not download $tarball"; exit 7; }
echo "$CRIU_SHA256  $tarball" | sha256sum -c --quiet - || { log "checksum mismatch for $tarball"; exit 7; }

rm -rf "criu-$CRIU_VERSION"
tar -xf "$tarball"
make -C "criu-$CRIU_VERSION" -j"$(nproc)" criu >build.log 2>&1 || { tail -n 30 build.log >&2; log "CRIU build failed (log: $work/build.log)"; exit 7; }
install -m 0755 "criu-$CRIU_VERSION/criu/criu" /usr/local/sbin/criu
hash -r
criu_ok || { criu check >&2 || true; log "built criu fails 'criu check'"; exit 7; }
log "installed criu $CRIU_VERSION at /usr/local/sbin/criu"

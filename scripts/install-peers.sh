#!/usr/bin/env bash
# Installs the peers `npm run bench` compares lrctl with, from Debian's
# packages: Podman (with conmon) and containerd (with ctr and
# containerd-shim-runc-v2). Optional: the bench shows an absent peer as absent.
# Their services are not started (policy-rc.d 101); the bench starts what it
# needs itself, on its own temporary state, and stops it again.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "install-peers: must run as root" >&2; exit 7; }
missing=()
for p in podman containerd; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-peers: installing ${missing[*]}" >&2
apt-get update -qq
had_policy=; [ -e /usr/sbin/policy-rc.d ] && had_policy=1
[ -n "$had_policy" ] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; }
trap '[ -n "$had_policy" ] || rm -f /usr/sbin/policy-rc.d' EXIT
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

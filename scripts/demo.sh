#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine, as root: set-up, build, then a
# real container under lrctl, shown in `lrctl ps` and `lrctl logs`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
npm ci --no-audit --no-fund --silent
npm run build --silent

export LRCTL_ROOT=${LRCTL_ROOT:-/var/lib/lrctl}
rootfs=/var/lib/lrctl-demo/busybox
if [ ! -x "$rootfs/bin/busybox" ]; then
  mkdir -p "$rootfs"/{bin,proc,sys,dev,tmp,etc,root}
  cp /bin/busybox "$rootfs/bin/"
  for a in $("$rootfs/bin/busybox" --list); do [ -e "$rootfs/bin/$a" ] || ln -s busybox "$rootfs/bin/$a"; done
fi
lrctl() { node bin/lrctl.cjs "$@"; }

lrctl rm -f demo demo-web >/dev/null 2>&1 || true
set -x
lrctl run -d --name demo --rootfs "$rootfs" -- sh -c 'i=0; while true; do echo "hello from lrctl $i"; i=$((i+1)); sleep 1; done'
# a web server on the default network, its port 80 published on a free host port, its pages in a
# named volume (kept when the container goes), 64 MiB of memory at most
lrctl run -d --name demo-web -p 80 -v demo-www:/www -m 64m --rootfs "$rootfs" -- sh -c 'echo "hello over a published port" > /www/index.html && exec httpd -f -p 80 -h /www'
sleep 3
lrctl ps
lrctl logs --tail 3 demo
port=$(lrctl port demo-web 80 | sed 's/.*://')
curl -s "http://127.0.0.1:$port/"
lrctl stats --no-stream demo-web
lrctl volume ls
set +x
echo
echo "The container keeps running with no lrctl process around. Try:"
echo "  node bin/lrctl.cjs logs -f demo     # follow (Ctrl-C leaves it running)"
echo "  node bin/lrctl.cjs stop demo && node bin/lrctl.cjs rm demo"
echo "  node bin/lrctl.cjs rm -f demo-web   # its network, address and published port go with it (the volume demo-www stays)"

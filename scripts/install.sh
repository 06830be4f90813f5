#!/usr/bin/env bash
# Installs lrctl on this host from this checkout (Debian 12, as root, after scripts/setup.sh):
#   PREFIX/lib/lrctl/                      the built package: bin/, dist/ (the CLI is one bundle: no
#                                          node_modules needed), build/lrctl-shim (the monitor),
#                                          build/Release/lrctl_native.node (the addon), man/, package.json
#   PREFIX/bin/lrctl                       a link to PREFIX/lib/lrctl/bin/lrctl.cjs
#   PREFIX/share/man/man1/lrctl*.1         the man pages (man finds /usr/local/share/man by default)
#   PREFIX/lib/systemd/system/lrctl-boot.service
#                                          the unit of README "Supervision" (`lrctl boot` after a reboot),
#                                          installed, not enabled: systemctl enable lrctl-boot
# PREFIX defaults to /usr/local. DESTDIR stages the files under another root (for a package):
# they still name PREFIX. SKIP_BUILD=1 installs the tree as built (no npm ci, no npm run build).
# Installing again replaces the package folder as a whole; containers that run keep running (their
# monitors are running processes), and `lrctl shim upgrade --all` moves them to the new monitor.
set -euo pipefail
cd "$(dirname "$0")/.."

PREFIX=${PREFIX:-/usr/local}
case "$PREFIX" in /*) ;; *) echo "install.sh: PREFIX must be an absolute path, not $PREFIX" >&2; exit 2 ;; esac
DEST="${DESTDIR:-}$PREFIX"
LIB="$DEST/lib/lrctl"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  # npm ci builds the addon and the monitor (the package's install script), npm run build the CLI
  npm ci
  npm run build
fi
for f in build/lrctl-shim build/Release/lrctl_native.node dist/bundle/cli.cjs bin/lrctl.cjs; do
  [ -e "$f" ] || { echo "install.sh: $f is missing: build first (npm ci && npm run build)" >&2; exit 1; }
done

# the package, made beside the old one and swapped in
mkdir -p "$DEST/lib"
rm -rf "$LIB.new" "$LIB.old"
mkdir -p "$LIB.new/build/Release"
cp -a package.json bin dist man "$LIB.new/"
install -m 0755 build/lrctl-shim "$LIB.new/build/lrctl-shim"
install -m 0755 build/Release/lrctl_native.node "$LIB.new/build/Release/lrctl_native.node"
chmod -R go-w "$LIB.new"
if [ -e "$LIB" ]; then mv "$LIB" "$LIB.old"; fi
mv "$LIB.new" "$LIB"
rm -rf "$LIB.old"

mkdir -p "$DEST/bin"
ln -sfn ../lib/lrctl/bin/lrctl.cjs "$DEST/bin/lrctl"

mkdir -p "$DEST/share/man/man1"
install -m 0644 man/*.1 "$DEST/share/man/man1/"

mkdir -p "$DEST/lib/systemd/system"
cat >"$DEST/lib/systemd/system/lrctl-boot.service" <<UNIT
[Unit]
Description=Bring back lrctl containers after a reboot
After=local-fs.target

[Service]
Type=oneshot
ExecStart=$PREFIX/bin/lrctl boot
# the shims it starts stay in this unit's cgroup: do not kill them when lrctl boot exits
KillMode=process

[Install]
WantedBy=multi-user.target
UNIT
chmod 0644 "$DEST/lib/systemd/system/lrctl-boot.service"

# the man index, when installing for real into man's path
if [ -z "${DESTDIR:-}" ] && command -v mandb >/dev/null 2>&1; then mandb -q "$PREFIX/share/man" 2>/dev/null || true; fi

echo "lrctl installed: $PREFIX/bin/lrctl ($("$DEST/bin/lrctl" --version 2>/dev/null || echo '?'))"
echo "man pages: $PREFIX/share/man/man1; systemd unit: $PREFIX/lib/systemd/system/lrctl-boot.service (systemctl enable lrctl-boot)"

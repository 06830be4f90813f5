#!/usr/bin/env bash
# Rebuilds test/fixtures/previous-release/ from commit REV: the compiled JS of
# that release (bin/, dist/**/*.js, package.json) plus a REVISION file naming
# the commit and its protocol version. Tests run its CLI and shim to check that
# the current CLI manages containers started by the previous release.
#
# The native addon is not copied: test/fixtures/previous-release.ts links the
# fixture's build/ to the repo's build/ at run time (the addon that
# `npm install` builds is a superset of the old one). npm packages (commander,
# chalk, ...) resolve by walking up to the repo's node_modules.
#
# Usage: scripts/make-previous-release.sh REV   (e.g. the last release's commit)
# Run again after each release that changes the protocol or the state layout.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 REV" >&2
  exit 2
fi

repo=$(cd "$(dirname "$0")/.." && pwd)
dest="$repo/test/fixtures/previous-release"

rev=$(git -C "$repo" rev-parse --verify --quiet "$1^{commit}") || {
  echo "$0: no such commit: $1" >&2
  exit 1
}

[ -d "$repo/node_modules/typescript" ] || {
  echo "$0: $repo/node_modules has no typescript: run npm install first" >&2
  exit 1
}

protocol=$(git -C "$repo" show "$rev:lib/protocol/messages.ts" \
  | sed -nE 's/^export const PROTOCOL_VERSION *= *([0-9]+).*/\1/p' | head -n1)
[ -n "$protocol" ] || {
  echo "$0: no PROTOCOL_VERSION in lib/protocol/messages.ts of $rev" >&2
  exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

src="$tmp/src"
mkdir "$src"
git -C "$repo" archive --format=tar "$rev" | tar -x -C "$src"
ln -s "$repo/node_modules" "$src/node_modules"
(cd "$src" && ./node_modules/.bin/tsc -p .)

for f in package.json bin/lrctl.js bin/lrctl-shim.js dist/cli/main.js dist/shim/main.js; do
  [ -f "$src/$f" ] || { echo "$0: $rev did not produce $f" >&2; exit 1; }
done

out="$tmp/out"
mkdir -p "$out/bin"
cp -p "$src/package.json" "$out/"
cp -p "$src/bin/lrctl.js" "$src/bin/lrctl-shim.js" "$out/bin/"
(cd "$src" && find dist -type f -name '*.js' -exec cp -p --parents {} "$out/" \;)
printf 'commit=%s\nprotocol=%s\n' "$rev" "$protocol" > "$out/REVISION"

rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
cp -a "$out" "$dest"

files=$(find "$dest" -type f | wc -l)
size=$(du -sh "$dest" | cut -f1)
echo "test/fixtures/previous-release: ${rev:0:12}, protocol $protocol, $files files, $size"

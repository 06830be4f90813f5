#!/usr/bin/env bash
# Rebuilds test/fixtures/previous-release/ from commit REV: that release as
# its package ships, minus node_modules and the compiled addon:
#   - bin/ and package.json;
#   - dist/: tsc's output (*.js) and the bundles of scripts/bundle.mjs when REV
#     has it (*.js, *.cjs; no source maps, no V8 code cache: the cache is tied
#     to the node that wrote it and is ignored when absent);
#   - binding.gyp and lib/native/*.c, *.h: the sources of that release's addon;
#   - REVISION: the commit and its protocol version.
# Tests run its CLI and shim to check that the current CLI manages containers
# started by the previous release, and that its shims upgrade in place.
#
# The addon is built from those sources into the fixture's own build/ (git
# ignores it) by test/fixtures/previous-release.ts, the first time a test asks
# for the fixture: `node-gyp rebuild` in the fixture's folder, under flock(1)
# on build.lock there, so tap files running in parallel build it once. The
# repo's own addon is not borrowed: the native monitor replaced the Node shim
# and the repo's addon no longer has the shim-only functions (pipes, console,
# waitpid, ...) the old shim calls. npm packages (commander, chalk, ...) the
# tsc output imports resolve by walking up to the repo's node_modules.
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
# the bundles bin/ runs by default (releases since scripts/bundle.mjs)
if [ -f "$src/scripts/bundle.mjs" ]; then
  (cd "$src" && node scripts/bundle.mjs)
fi

for f in package.json bin/lrctl-shim.js dist/cli/main.js dist/shim/main.js binding.gyp lib/native/addon.c; do
  [ -f "$src/$f" ] || { echo "$0: $rev did not produce $f" >&2; exit 1; }
done
cli=
for f in bin/lrctl.cjs bin/lrctl.js; do
  if [ -f "$src/$f" ]; then cli=$f; break; fi
done
[ -n "$cli" ] || { echo "$0: $rev has no bin/lrctl.cjs or bin/lrctl.js" >&2; exit 1; }

out="$tmp/out"
mkdir -p "$out/bin" "$out/lib/native"
cp -p "$src/package.json" "$src/binding.gyp" "$out/"
cp -p "$src/$cli" "$src/bin/lrctl-shim.js" "$out/bin/"
cp -p "$src"/lib/native/*.c "$src"/lib/native/*.h "$out/lib/native/"
(cd "$src" && find dist -type f \( -name '*.js' -o -name '*.cjs' \) -exec cp -p --parents {} "$out/" \;)
printf 'commit=%s\nprotocol=%s\ncli=%s\n' "$rev" "$protocol" "$cli" > "$out/REVISION"

rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
cp -a "$out" "$dest"

files=$(find "$dest" -type f | wc -l)
size=$(du -sh "$dest" | cut -f1)
echo "test/fixtures/previous-release: ${rev:0:12}, protocol $protocol, $files files, $size"

#!/usr/bin/env bash
# Builds the native addon with AddressSanitizer and UBSan and runs its unit
# tests (test/unit/native) against that build, under node with libasan
# preloaded; then rebuilds the addon as usual. Fails on any sanitizer report.
# Leak detection is off: Node itself does not free everything at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
restore() { npx node-gyp rebuild >/dev/null 2>&1 || echo "sanitize-addon: rebuilding the normal addon failed" >&2; }
trap restore EXIT
CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g" \
LDFLAGS="-fsanitize=address,undefined" npx node-gyp rebuild >/dev/null
asan=$(gcc -print-file-name=libasan.so)
ubsan=$(gcc -print-file-name=libubsan.so)
LD_PRELOAD="$asan $ubsan" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  npx tap --disable-coverage --jobs=1 test/unit/native

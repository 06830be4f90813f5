#!/usr/bin/env bash
# Builds the native monitor (lib/monitor -> build/lrctl-shim) with
# AddressSanitizer, LeakSanitizer and UBSan, runs the integration tests that
# exercise it hardest against that build (live restore, logs, logs that never
# block, checkpoints, supervision, hostile control-socket input, and the C added
# for --rm, pinned checkpoints, --checkpoint-tcp-established and OOM counts), then
# rebuilds the monitor as usual (also when something failed: trap EXIT).
#
# The monitor's stderr is /dev/null, so its sanitizers write reports to files:
# ASAN_OPTIONS/UBSAN_OPTIONS log_path=<dir>/asan and <dir>/ubsan, exported
# here, reach every monitor because it inherits the environment of the CLI
# that starts it (and the CLI that of tap). Fails if tap fails, if the CLI
# does not start build/lrctl-shim (then nothing here would be sanitized), or
# if any <dir>/asan.* or <dir>/ubsan.* report appeared; the reports are printed.
#
# SANITIZE_MONITOR_TESTS (space-separated paths) runs other tests instead.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

if [ ! -f lib/monitor/Makefile ]; then
  echo "sanitize-monitor: lib/monitor/Makefile is missing: this tree has no native monitor to sanitize" >&2
  exit 1
fi

dir=$(mktemp -d /tmp/lrctl-sanitize-monitor.XXXXXX)
smoke=""
# The sanitizers' report files (each named after the pid that wrote it).
reports() { compgen -G "$dir/asan.*" || true; compgen -G "$dir/ubsan.*" || true; }
# The smoke test's root, and its container by the pids its state file records
# (never by process name), runc's state of it and its overlay.
remove_smoke() {
  [ -n "$smoke" ] || return 0
  local state="$smoke/containers/smoke/state.json" key pid
  if [ -f "$state" ]; then
    for key in shimPid initPid; do
      pid=$(node -e 'try { const v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]]; if (Number.isInteger(v) && v > 1) console.log(v) } catch {}' "$state" "$key")
      if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
    done
    runc --root "$smoke/runc" delete --force smoke >/dev/null 2>&1 || true
    umount -l "$smoke/containers/smoke/bundle/rootfs" >/dev/null 2>&1 || true
  fi
  rm -rf "$smoke"
  smoke=""
}
restore() {
  local rc=$?
  remove_smoke
  if ! make -C lib/monitor >/dev/null; then
    echo "sanitize-monitor: rebuilding the normal monitor failed" >&2
    rc=1
  fi
  if [ -n "$(reports)" ]; then echo "sanitize-monitor: the reports are kept in $dir" >&2; else rm -rf "$dir"; fi
  exit "$rc"
}
trap restore EXIT

# dist/ first: npm run build also makes the monitor, in its normal flavour
npm run build >/dev/null
LRCTL_SHIM_SANITIZE=1 make -C lib/monitor >/dev/null
if ! ldd build/lrctl-shim | grep -q libasan; then
  echo "sanitize-monitor: build/lrctl-shim is not linked with libasan after LRCTL_SHIM_SANITIZE=1 make" >&2
  exit 1
fi

export ASAN_OPTIONS="log_path=$dir/asan:detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="log_path=$dir/ubsan:print_stacktrace=1"


# Smoke: the CLI must start build/lrctl-shim, not the Node shim, or every
# test below would pass without the sanitized monitor running at all.
smoke=$(mktemp -d /tmp/lr-XXXXXX)
mkdir -p "$smoke/rootfs/bin" "$smoke/rootfs"/{proc,sys,dev,tmp,etc,root}
cp /bin/busybox "$smoke/rootfs/bin/busybox"
for applet in sh sleep true; do ln -s busybox "$smoke/rootfs/bin/$applet"; done
node bin/lrctl.cjs --root "$smoke" run -d --name smoke --rootfs "$smoke/rootfs" -- sleep 1000 >/dev/null
shim_pid=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).shimPid' "$smoke/containers/smoke/state.json")
shim_exe=$(readlink -f "/proc/$shim_pid/exe" || true)
node bin/lrctl.cjs --root "$smoke" rm -f smoke >/dev/null
remove_smoke
if [ "$shim_exe" != "$repo/build/lrctl-shim" ]; then
  echo "sanitize-monitor: the CLI started ${shim_exe:-nothing} as the shim, not $repo/build/lrctl-shim: nothing to sanitize" >&2
  exit 1
fi

# shellcheck disable=SC2206 # word splitting of the override is the point
tests=(${SANITIZE_MONITOR_TESTS:-test/integration/live-restore test/integration/logs.ts test/integration/logs-never-block.ts test/integration/checkpoint.ts test/integration/supervision test/integration/security/hostile-input.ts test/integration/lifecycle2/rm-and-stop-options.ts test/integration/edges/checkpoint-pin.ts test/integration/edges/checkpoint-every-tcp.ts test/integration/limits/limits.ts})
# a sanitized monitor is slower: twice tap's usual per-file timeout
tap_rc=0
npx tap --disable-coverage --timeout=360 "${tests[@]}" || tap_rc=$?

found=$(reports)
if [ -n "$found" ]; then
  echo "sanitize-monitor: sanitizer reports:"
  for f in $found; do
    echo "==== $f"
    cat "$f"
  done
fi
[ "$tap_rc" -eq 0 ] || echo "sanitize-monitor: tap failed (exit $tap_rc)" >&2
[ -z "$found" ] || echo "sanitize-monitor: the sanitized monitor reported errors (above)" >&2
[ "$tap_rc" -eq 0 ] && [ -z "$found" ]

#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine, as root: installs what
# lrctl needs (scripts/setup.sh), installs and builds the project (npm ci also
# builds the native addon), checks lint and format (npm run lint), runs every
# test with tap, reports coverage (npm run coverage, a second run under c8),
# runs the addon's tests again under AddressSanitizer and UBSan
# (scripts/sanitize-addon.sh), runs the native monitor's hardest integration
# tests against its ASan/UBSan build (scripts/sanitize-monitor.sh), and ends
# with the totals as "N passed, N failed, N skipped" (a lint failure, and each
# sanitizer script's failure, counts as one failed).
# Exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
npm ci --no-audit --no-fund || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }

npm run lint
lint_rc=$?

out=$(mktemp)
npm test 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}

# Coverage of lib/ (lines and branches, CLI, shim and pure modules) over a
# second run of the whole suite under c8: a report, not a gate (the run above
# is the one that counts; this one runs the unbundled modules).
npm run coverage >/tmp/lrctl-coverage.log 2>&1
echo "coverage of lib/ (npm run coverage; full table in coverage/ and /tmp/lrctl-coverage.log):"
grep -E '^(Statements|Branches|Functions|Lines) +:' /tmp/lrctl-coverage.log || echo "  no coverage summary (see /tmp/lrctl-coverage.log)"

bash scripts/sanitize-addon.sh >/tmp/lrctl-sanitize.log 2>&1
san_rc=$?
[ "$san_rc" -eq 0 ] || tail -n 40 /tmp/lrctl-sanitize.log

# The monitor's sanitizer reports come last in its log: print enough of it
bash scripts/sanitize-monitor.sh >/tmp/lrctl-sanitize-monitor.log 2>&1
mon_rc=$?
[ "$mon_rc" -eq 0 ] || tail -n 80 /tmp/lrctl-sanitize-monitor.log

# tap's closing line: "# { total: N, pass: N, fail: N, skip: N, todo: N }" (zero counts omitted)
summary=$(grep -E '^# \{ total: ' "$out" | tail -n1)
count() { echo "$summary" | grep -oE "$1: [0-9]+" | grep -oE '[0-9]+' || echo 0; }
pass=$(count pass); fail=$(count fail); skip=$(( $(count skip) + $(count todo) ))
rm -f "$out"
if [ -z "$summary" ]; then
  echo "tap printed no totals (exit code $rc)"
  fail=$(( fail > 0 ? fail : 1 ))
elif [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
  # a failure outside any assertion (a crashed test file, the preflight): count it
  fail=1
fi
[ "$lint_rc" -ne 0 ] && { echo "npm run lint failed"; fail=$((fail + 1)); rc=1; }
[ "$san_rc" -ne 0 ] && { echo "the addon's tests under ASan/UBSan failed (scripts/sanitize-addon.sh)"; fail=$((fail + 1)); rc=1; }
[ "$mon_rc" -ne 0 ] && { echo "the monitor's integration tests under ASan/UBSan failed (scripts/sanitize-monitor.sh, full log /tmp/lrctl-sanitize-monitor.log)"; fail=$((fail + 1)); rc=1; }
# A skipped test is not a passing one.
[ "$skip" -gt 0 ] && [ "$fail" -eq 0 ] && fail=$skip
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$rc" -eq 0 ]

#!/usr/bin/env bash
# Installs, builds and runs every test twice: a -Werror build, then the same suite under
# AddressSanitizer + UndefinedBehaviorSanitizer; then a short libFuzzer run of each fuzz target.
# Ends with ctest's summary and a closing "N passed, N failed, N skipped" line over all three
# (a test ctest skipped counts as skipped, never as passed). Run from
# anywhere; exits non-zero on any failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
bash .ci/install-deps || exit 1
jobs=$(nproc 2>/dev/null || echo 2)
passed=0 failed=0 skipped=0
run_suite() { # name, build dir, cmake flags...
  local name=$1 dir=$2; shift 2
  echo "== $name build ($dir)"
  if ! cmake -S . -B "$dir" -DCDS_WERROR=ON "$@" >"$dir.configure.log" 2>&1; then
    cat "$dir.configure.log"; failed=$((failed + 1)); return
  fi
  if ! cmake --build "$dir" -j"$jobs" 2>&1 | tail -n 40; then failed=$((failed + 1)); return; fi
  # the FHIR R4 validator (npm) that test_drafts_fhir and the conformance runner's X5 use, in each
  # build (the second install comes from npm's cache; a test without it skips)
  command -v npm >/dev/null &&
    timeout 180 cmake --build "$dir" --target conformance-validator >/dev/null 2>&1
  echo "== $name tests"
  local out
  out=$(ctest --test-dir "$dir" --output-on-failure -j"$jobs" 2>&1); local rc=$?
  echo "$out"
  local p t
  p=$(echo "$out" | sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2 \1/p' | tail -n1)
  if [ -n "$p" ]; then
    # ctest counts a skipped test (exit 77, e.g. no Node for the FHIR server) as passed: not here
    local sk; sk=$(echo "$out" | grep -c '\*\*\*Skipped')
    t=${p% *}; f=${p#* }; passed=$((passed + t - f - sk)); failed=$((failed + f)); skipped=$((skipped + sk))
  fi
  [ $rc -eq 0 ] || [ -n "$p" ] || failed=$((failed + 1))
}
run_suite "warnings-as-errors" build -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite "asan+ubsan" build-asan -DCDS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
# A short libFuzzer run of every tests/fuzz target (CDS_FUZZ_SECONDS each, default 20); each
# target counts as one pass or failure. README "Fuzzing" shows a longer run.
echo "== fuzz (tests/fuzz/run.sh)"
fuzz_out=$(bash tests/fuzz/run.sh "$root/build-fuzz" 2>&1); echo "$fuzz_out" | tail -n 30
fp=$(echo "$fuzz_out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | tail -n1)
if [ -n "$fp" ]; then passed=$((passed + ${fp% *})); failed=$((failed + ${fp#* })); else failed=$((failed + 1)); fi
# Conformance: the runner against the freshly built service with JWT verification on, full report
# with --strict (the should-level HTTP semantics P1-P4 must pass too; the script passes it, with
# the service's --max-body-bytes and --clock-skew) (X5 uses the npm validators when they install,
# else structural checks; see conformance/README.md).
echo "== conformance (build/cds-conformance --strict --spawn build/cds-commissioning)"
command -v npm >/dev/null && timeout 180 cmake --build build --target conformance-validator >/dev/null 2>&1
if bash conformance/tests/test_conformance_self.sh build/cds-conformance build/cds-commissioning \
  conformance/tests/known-gaps.txt; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# run.sh — builds the libFuzzer targets (clang, -DCDS_FUZZ=ON, in build-fuzz/ or $1) and runs
# each for CDS_FUZZ_SECONDS (default 20) from its seed corpus (tests/fuzz/corpus/<target>/,
# copied so the repository is not written to). Ends with "N passed, M failed"; a crash, leak,
# sanitizer report (UBSan included: the targets are built with -fno-sanitize-recover=all and run
# with UBSAN_OPTIONS=halt_on_error=1, so the first report aborts) or timeout fails its target and
# leaves the reproducer in the build dir. The seed corpora hold past reproducers (ubsan-*, …):
# libFuzzer runs every seed first, so a regression fails at once.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$root/build-fuzz}
seconds=${CDS_FUZZ_SECONDS:-20}
passed=0 failed=0
if ! command -v clang >/dev/null; then echo "clang not found"; echo "0 passed, 1 failed"; exit 1; fi
if ! CC=clang cmake -S "$root" -B "$dir" -DCDS_FUZZ=ON -DCDS_WERROR=ON >"$dir.configure.log" 2>&1 ||
  ! cmake --build "$dir" --target fuzz -j"$(nproc 2>/dev/null || echo 2)" >"$dir.build.log" 2>&1; then
  tail -n 40 "$dir.configure.log" "$dir.build.log" 2>/dev/null
  echo "0 passed, 1 failed"; exit 1
fi
for src in "$root"/tests/fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)
  corpus="$dir/fuzz-corpus/$name"
  rm -rf "$corpus"; mkdir -p "$corpus"
  [ -d "$root/tests/fuzz/corpus/$name" ] && cp "$root/tests/fuzz/corpus/$name"/* "$corpus"/
  dict=()
  [ -f "$root/tests/fuzz/$name.dict" ] && dict=(-dict="$root/tests/fuzz/$name.dict")
  echo "== $name: ${seconds}s"
  if (cd "$dir" && ASAN_OPTIONS=detect_leaks=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "./tests/fuzz/$name" "${dict[@]}" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
    -print_final_stats=1 "$corpus" 2>&1 | tail -n 25); then
    passed=$((passed + 1))
  else
    echo "FAIL: $name (reproducer: $dir/crash-* / timeout-* / oom-*)"; failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

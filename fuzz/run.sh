#!/usr/bin/env bash
# Builds the scenario-loader fuzz target with clang (libFuzzer, ASan, UBSan)
# and runs it for FUZZ_SECONDS (default 60). Used by `make fuzz`; see docs/FUZZ.md.
#
# Environment: FUZZ_SECONDS  run time in seconds (default 60)
#              FUZZ_BUILD    build folder (default build-fuzz)
#              FUZZ_ARGS     extra libFuzzer flags, e.g. "-runs=1000000 -jobs=2"
# Installs clang with apt-get when it is missing (sudo when not root).
# Exit status: 0 when nothing was found; libFuzzer's status (non-zero) when it
# saved a crash, hang, leak or out-of-memory input under $FUZZ_BUILD/artifacts/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD:-build-fuzz}
case $build in /*) ;; *) build=$root/$build ;; esac

if ! command -v clang >/dev/null 2>&1; then
  echo "installing: clang" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends clang >&2
fi

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFLEETSIM_FUZZ=ON -DFLEETSIM_BENCH=OFF >/dev/null
cmake --build "$build" --target fuzz_scenario -j "$(nproc 2>/dev/null || echo 2)"

# The working corpus grows across runs; the seed corpus in the tree is only read.
mkdir -p "$build/corpus" "$build/artifacts"
# libconfig 1.5 leaks a few bytes on every syntax error (tests/lsan.supp). With
# leak detection on, libFuzzer then runs a full LeakSanitizer pass on each such
# input and the rate falls about threefold; so leaks are looked for in a second
# pass over the whole corpus below, with the suppression, instead.
# A small ASan quarantine keeps the rate up; use-after-free is still caught
# while the freed block is in it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16:malloc_context_size=8}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp
cd "$build"
# shellcheck disable=SC2086
./fuzz_scenario -dict="$root/fuzz/scenario.dict" -max_total_time="$seconds" -timeout=5 \
  -detect_leaks=0 -print_final_stats=1 -artifact_prefix=artifacts/ ${FUZZ_ARGS:-} \
  corpus "$root/fuzz/corpus"
# Each file once in one process; LeakSanitizer checks at exit.
echo "leak pass over $(find corpus -type f | wc -l) corpus inputs" >&2
find corpus -type f -print0 | xargs -0 ./fuzz_scenario -detect_leaks=1 >/dev/null 2>leaks.log ||
  { cat leaks.log >&2; exit 1; }
echo "no leaks beyond tests/lsan.supp" >&2

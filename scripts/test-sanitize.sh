#!/usr/bin/env bash
# The CI sanitizer stage, in one build: clang with ASan+UBSan (CMake preset `sanitize`,
# build-sanitize/) builds the whole test suite and the libFuzzer targets together; this runs
# the suite under the sanitizers, then every fuzz target for SECONDS each (default 15).
# A sanitizer report aborts the test it occurs in, so ctest fails; a fuzzer crash fails too.
#
#   scripts/test-sanitize.sh            # CI
#   scripts/test-sanitize.sh 60         # a minute per fuzz target
#
# scripts/test-asan.sh (GCC, preset `asan`) and scripts/fuzz.sh (preset `fuzz`) run each half
# alone.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-15}
JOBS=${JOBS:-$(nproc)}
cmake --preset sanitize >/dev/null
cmake --build --preset sanitize -j"$JOBS"
ctest --preset sanitize -j"$JOBS"
FUZZ_PRESET=sanitize scripts/fuzz.sh "$secs"

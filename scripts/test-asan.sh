#!/usr/bin/env bash
# Builds the whole test suite with AddressSanitizer + UndefinedBehaviorSanitizer (CMake preset
# `asan`: build-asan/, -Werror, no benchmarks) and runs it. A sanitizer report aborts the test
# it occurs in, so ctest fails. Usage: scripts/test-asan.sh [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
cmake --preset asan >/dev/null
cmake --build --preset asan -j"$JOBS"
ctest --preset asan -j"$JOBS" "$@"

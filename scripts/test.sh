#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite; then, from one clang build
# with ASan+UBSan (scripts/test-sanitize.sh, build-sanitize/), the same suite under the
# sanitizers and every fuzz target for a CI-sized run (FACTDEDUP_FUZZ_SECONDS each, default 15).
# FACTDEDUP_QUICK=1 runs only the plain suite.
# The browser test (tests/browser/) needs chromium, installed here only when that test runs:
# FACTDEDUP_BROWSER_TESTS=0 skips it and installs no browser.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${FACTDEDUP_BROWSER_TESTS:-1}" == 0 ]]; then
  scripts/install-deps.sh
else
  scripts/install-deps.sh --with-browser
fi
scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)"
if [[ "${FACTDEDUP_QUICK:-0}" != 1 ]]; then
  scripts/test-sanitize.sh "${FACTDEDUP_FUZZ_SECONDS:-15}"
fi

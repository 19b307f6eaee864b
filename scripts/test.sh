#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite.
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

#!/usr/bin/env bash
# Installs dependencies, builds, and runs the main job on the sample vault in data/vault:
# a dry run of the batch cleanup (`factdedup clean`): a diff and a summary; nothing is written.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null
BUILD_DIR=${BUILD_DIR:-build}
exec "$BUILD_DIR/cli/factdedup" "${FACTDEDUP_MAIN_COMMAND:-clean}" data/vault

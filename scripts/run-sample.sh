#!/usr/bin/env bash
# Installs dependencies, builds, and runs the main job on the sample vault in data/vault:
# the duplicate clusters across the vault (`factdedup scan`); nothing is written.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null
BUILD_DIR=${BUILD_DIR:-build}
exec "$BUILD_DIR/cli/factdedup" "${FACTDEDUP_MAIN_COMMAND:-scan}" data/vault

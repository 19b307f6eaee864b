#!/usr/bin/env bash
# Installs the Debian packages factdedup needs to build and test, skipping those present.
# Usage: scripts/install-deps.sh [--with-browser]
set -euo pipefail
pkgs=(cmake g++ ninja-build pkg-config git
      libicu-dev libxxhash-dev libabsl-dev libyaml-cpp-dev nlohmann-json3-dev libstemmer-dev
      libgtest-dev libgmock-dev libbenchmark-dev
      clang libclang-rt-14-dev llvm)  # libFuzzer, sanitizer runtimes, llvm-symbolizer
# Headless Chromium and a font for tests/browser/ (the HTML report test).
if [[ "${1:-}" == "--with-browser" ]]; then pkgs+=(chromium fonts-dejavu-core); fi
missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then exit 0; fi
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# Installs the Debian packages factdedup needs to build and test, skipping those present.
# Usage: scripts/install-deps.sh [--with-browser]
set -euo pipefail
pkgs=(cmake g++ ninja-build pkg-config git
      libicu-dev libxxhash-dev libabsl-dev libyaml-cpp-dev nlohmann-json3-dev libstemmer-dev
      libjemalloc-dev
      libgtest-dev libgmock-dev libbenchmark-dev
      clang llvm)  # clang and llvm-symbolizer; libFuzzer's runtime is added below
# Headless Chromium and a font for tests/browser/ (the HTML report test).
if [[ "${1:-}" == "--with-browser" ]]; then pkgs+=(chromium fonts-dejavu-core); fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
updated=0
install_missing() {
  local missing=() p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if ((${#missing[@]} == 0)); then return 0; fi
  echo "install-deps: installing ${missing[*]}" >&2
  if ((updated == 0)); then $SUDO apt-get update -qq; updated=1; fi
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
install_missing "${pkgs[@]}"
# libFuzzer and the sanitizer runtimes ship per clang major version (libclang-rt-14-dev on
# Debian 12, libclang-rt-19-dev on Debian 13): take the one of the installed clang.
clang_major=$(clang --version | sed -n 's/.*clang version \([0-9][0-9]*\).*/\1/p' | head -n 1)
install_missing "libclang-rt-${clang_major}-dev"

#!/usr/bin/env bash
# Installs the Debian packages the project needs (only those missing),
# configures and builds into build/, then runs the main job on the bundled
# examples. Safe to run again. Needs root (or sudo) only when a package is
# missing. `--build-only` stops after the build.
set -euo pipefail

cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkgconf ccache git
  default-jre-headless antlr4 libantlr4-runtime-dev uuid-dev
  llvm-19-dev libzstd-dev zlib1g-dev
  libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libutf8proc-dev libcctz-dev tzdata
  libsimdjson-dev libsqlite3-dev sqlite3 libpq-dev postgresql libbenchmark-dev
  libre2-dev libedit-dev libssl-dev chromium clang-19 libclang-rt-19-dev
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# ccache keys on paths relative to the checkout, so a fresh clone elsewhere
# still reuses earlier compilations.
export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=1

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "${CRM_BUILD_JOBS:-2}"

if [[ "${1:-}" == "--build-only" ]]; then
  exit 0
fi

echo "setup: checking the example scripts with build/crm"
./build/crm check examples/
echo "setup: running the win-back campaigns on the bundled Complete Journey data"
./build/crm run examples/winback/winback.crm --as-of 2018-01-15T00:00:00Z --out build/winback-decisions.jsonl
echo "setup: decisions written to build/winback-decisions.jsonl"
echo "setup: done; run the tests with ./scripts/test.sh"

#!/usr/bin/env bash
# Installs the Debian packages MedMask builds against, when any is missing.
# Debian 12 (bookworm); needs root or sudo. Does nothing when everything is present.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config make ccache
  libzstd-dev libdeflate-dev libxxhash-dev nlohmann-json3-dev libsimdjson-dev libcli11-dev libpugixml-dev libzip-dev
  libdcmtk-dev dicom3tools
  libgtest-dev libgmock-dev libbenchmark-dev clang-format-14
  python3 python3-venv python3-dev
)
# `install_deps.sh --fuzz` (make build-fuzz): libFuzzer needs clang, and its sanitizer and
# fuzzer runtimes (not always pulled in with clang).
[ "${1:-}" = "--fuzz" ] && packages+=(clang libclang-rt-14-dev)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
# A python3 from elsewhere (pyenv, conda) with venv support makes the Debian Python optional.
if python3 -c 'import venv, ensurepip' 2>/dev/null; then
  keep=()
  for package in "${missing[@]}"; do
    case "$package" in python3 | python3-venv | python3-dev) ;; *) keep+=("$package") ;; esac
  done
  missing=("${keep[@]+"${keep[@]}"}")
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install_deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

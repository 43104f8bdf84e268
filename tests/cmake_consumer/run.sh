#!/usr/bin/env bash
# Installs the library from an existing build tree and builds the consumer against it, both
# through find_package(medmask) and through add_subdirectory.
set -euo pipefail
build=$(realpath "$1")
root=$(realpath "$(dirname "$0")/../..")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > /dev/null
cmake -S "$root/tests/cmake_consumer" -B "$work/installed" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" > /dev/null
cmake --build "$work/installed" > /dev/null
"$work/installed/consumer"
cmake -S "$root/tests/cmake_consumer" -B "$work/subdir" -G Ninja -DMEDMASK_SOURCE="$root" \
  -DMEDMASK_BUILD_TESTS=OFF > /dev/null
cmake --build "$work/subdir" -j 2 > /dev/null
"$work/subdir/consumer"

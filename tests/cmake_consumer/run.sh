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
# The same build type and warnings as the top-level build, and a build folder beside it (at the same
# depth, so that ccache's base_dir gives the same relative paths; named after it, so that two build
# trees can run this at once), so ccache reuses its objects.
subdir=$(dirname "$build")/$(basename "$build")-consumer-subdir
trap 'rm -rf "$work" "$subdir"' EXIT
launcher=()
command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root/tests/cmake_consumer" -B "$subdir" -G Ninja -DMEDMASK_SOURCE="$root" \
  -DMEDMASK_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Release -DMEDMASK_WERROR=ON "${launcher[@]}" > /dev/null
cmake --build "$subdir" -j 2 > /dev/null
"$subdir/consumer"

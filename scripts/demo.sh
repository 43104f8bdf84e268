#!/usr/bin/env bash
# make demo: pack the bundled TotalSegmentator case into one archive, show it, read it back and
# check every structure against the source files.
set -euo pipefail
cli=$1
sample=$2
out=out/s0000.mska
mkdir -p out
echo "== medmask pack $sample -> $out"
"$cli" pack "$sample" -o "$out"
echo
echo "== medmask info $out (first lines)"
"$cli" info "$out" | sed -n 1,24p  # sed reads everything: no SIGPIPE under pipefail
echo
echo "== medmask verify $out --against $sample"
"$cli" verify "$out" --against "$sample"

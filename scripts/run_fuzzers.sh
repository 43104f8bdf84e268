#!/usr/bin/env bash
# Runs each libFuzzer target for a given time, one after the other (one process: the machine is
# shared), and appends one line per target to <build>/fuzz_stats.tsv:
#   date  target  seconds  executions  crashes  ooms  timeouts
# Usage: scripts/run_fuzzers.sh <fuzz build dir> <seconds per target> <target>...
# Fork mode (-fork=1 -ignore_*) keeps a target running past a finding; each finding is saved in
# <build>/findings/<target>/ (crash-*, oom-*, timeout-*) to become a file in tests/data/errors/.
set -euo pipefail
build=$1
seconds=$2
shift 2
for target in "$@"; do
  work="$build/corpus/$target"
  findings="$build/findings/$target"
  mkdir -p "$work" "$findings"
  log="$build/fuzz_$target.log"
  echo "fuzzing $target for ${seconds}s (log: $log)"
  # Scratch files of the targets (one per job process) go in a folder removed afterwards.
  scratch=$(mktemp -d)
  TMPDIR="$scratch" "$build/fuzz/fuzz_$target" -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
    -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=20 \
    -artifact_prefix="$findings/" "$work" "fuzz/corpus/$target" >"$log" 2>&1 || true
  rm -rf "$scratch"
  # The last progress line of fork mode: "#<execs>: cov: ... oom/timeout/crash: O/T/C time: ..."
  last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1 || true)
  execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")
  counts=$(sed -E 's|.*oom/timeout/crash: ([0-9]+)/([0-9]+)/([0-9]+).*|\1 \2 \3|' <<<"$last")
  read -r ooms timeouts crashes <<<"${counts:-0 0 0}"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$target" "$seconds" "${execs:-0}" \
    "${crashes:-0}" "${ooms:-0}" "${timeouts:-0}" | tee -a "$build/fuzz_stats.tsv"
done

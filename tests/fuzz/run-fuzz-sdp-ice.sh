#!/bin/sh
# Runs the ICE SDP line fuzz target for a bounded number of inputs from a
# scratch copy of its seed corpus (libFuzzer writes into its corpus).
set -eu
srcdir=${srcdir:-$(dirname "$0")/..}
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-sdp-ice.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp "$srcdir/fuzz/corpus-sdp-ice/"* "$work/corpus/"
./fuzz/fuzz-sdp-ice -runs=50000 -seed=1 -max_len=512 \
  -artifact_prefix="$work/" "$work/corpus" 2>"$work/log" || {
  tail -50 "$work/log"
  exit 1
}
grep -E "INITED|DONE" "$work/log"

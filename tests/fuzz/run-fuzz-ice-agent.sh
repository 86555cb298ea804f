#!/bin/sh
# Runs the ICE agent fuzz target for a bounded number of inputs from a
# scratch copy of its seed corpus (libFuzzer writes into its corpus).
set -eu
srcdir=${srcdir:-$(dirname "$0")/..}
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-ice-agent.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp "$srcdir/fuzz/corpus-ice-agent/"* "$work/corpus/"
./fuzz/fuzz-ice-agent -runs=20000 -seed=1 -max_len=1500 \
  -artifact_prefix="$work/" "$work/corpus" 2>"$work/log" || {
  tail -50 "$work/log"
  exit 1
}
grep -E "INITED|DONE" "$work/log"

#!/bin/sh
# Runs the STUN decoder fuzz target for a bounded number of inputs, seeded
# with the RFC test vectors.  libFuzzer adds what it finds to its corpus
# directory, so it gets a scratch copy, never the source tree.
set -eu
srcdir=${srcdir:-$(dirname "$0")/..}
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-stun.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp "$srcdir/fuzz/corpus-stun/"* "$work/corpus/"
./fuzz/fuzz-stun -runs=50000 -seed=1 -max_len=1024 \
  -artifact_prefix="$work/" "$work/corpus" 2>"$work/log" || {
  tail -50 "$work/log"
  exit 1
}
grep -E "INITED|DONE" "$work/log"

#!/bin/sh
# Runs the TURN client fuzz target for a bounded number of inputs, seeded
# with a Data indication, a ChannelData frame and a stream of both.
# libFuzzer adds to its corpus directory, so it gets a scratch copy.
set -eu
srcdir=${srcdir:-$(dirname "$0")/..}
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-turn.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp "$srcdir/fuzz/corpus-turn/"* "$work/corpus/"
./fuzz/fuzz-turn -runs=50000 -seed=1 -max_len=1024 \
  -artifact_prefix="$work/" "$work/corpus" 2>"$work/log" || {
  tail -50 "$work/log"
  exit 1
}
grep -E "INITED|DONE" "$work/log"

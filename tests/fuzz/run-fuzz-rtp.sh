#!/bin/sh
# Runs the media packet-path fuzz target for a bounded number of inputs,
# seeded with a few valid packets and lines. libFuzzer adds what it finds
# to its corpus directory, so it gets a scratch copy, never the source tree.
set -eu
srcdir=${srcdir:-$(dirname "$0")/..}
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-rtp.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp "$srcdir/fuzz/corpus-rtp/"* "$work/corpus/"
./fuzz/fuzz-rtp -runs=50000 -seed=1 -max_len=512 \
  -artifact_prefix="$work/" "$work/corpus" 2>"$work/log" || {
  tail -50 "$work/log"
  exit 1
}
grep -E "INITED|DONE" "$work/log"

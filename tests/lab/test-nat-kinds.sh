#!/bin/sh
# Each of the lab's six NAT kinds behaves as named (RFC 4787 mapping and
# filtering), as seen by a reflector on the fake internet.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lab/lab.sh"
lab_require_root || exit $?
trap lab_down EXIT
set -e

lab_up
lab_server_addr 203.0.113.10
lab_server_addr 203.0.113.11
lab_spawn "$(lab_ns inet)" "$LAB_DIR/natcheck.log" \
	python3 "$top_srcdir/tests/lab/natcheck.py" server 203.0.113.10 203.0.113.11

kinds="open full-cone address-restricted port-restricted symmetric udp-blocked"
n=1
for kind in $kinds; do
	lab_site "site$n" "$kind" "$n"
	n=$((n + 1))
done

# Wait for the reflector to answer before judging anyone by it.
i=0
until grep -q serving "$LAB_DIR/natcheck.log" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 50 ] || { cat "$LAB_DIR/natcheck.log"; exit 1; }
	sleep 0.1
done

failed=0 n=1
for kind in $kinds; do
	seen=$(ip netns exec "$(lab_ns "site$n")" \
		python3 "$top_srcdir/tests/lab/natcheck.py" client 203.0.113.10 203.0.113.11) || seen="error"
	if [ "$seen" = "$kind" ]; then
		echo "PASS: site$n behaves as $kind"
	else
		echo "FAIL: site$n should be $kind but behaves as $seen"
		failed=1
	fi
	n=$((n + 1))
done
exit $failed

#!/usr/bin/env python3
"""bench/gathering: time to gather host, server-reflexive and relayed
candidates against one STUN and two TURN round trips on the same path, with
a real coturn on loopback behind bench-gathering's user-space delay NAT (no
added delay, and 30 ms on the uplink as in the NAT lab).

Writes gathering.csv (one row per iteration) in the output directory."""
import csv
import os
import shutil
import subprocess
import sys
import tempfile

from benchlib import append_rows, free_port, median, note, out_dir, p90, program, stop, wait_tcp

USER, PASSWORD, REALM = "floe", "bench-turn-secret", "floe.bench"
DELAYS_MS = (0, 30)
ITERATIONS = 20


def start_coturn(workdir):
    turnserver = shutil.which("turnserver")
    if not turnserver:
        return None, None
    port = free_port()
    log = os.path.join(workdir, "turn.log")
    proc = subprocess.Popen(
        [turnserver, "-n", "--no-cli", "--no-dtls", "--no-tls", "--simple-log", "--no-stdout-log",
         "--listening-ip", "127.0.0.1", "--relay-ip", "127.0.0.1", "--listening-port", str(port),
         "--lt-cred-mech", "--user", "%s:%s" % (USER, PASSWORD), "--realm", REALM,
         "--allow-loopback-peers", "--no-rfc5780", "--fingerprint", "--log-file", log,
         "--pidfile", os.path.join(workdir, "turn.pid"), "--userdb", os.path.join(workdir, "turndb")],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_tcp(port, proc):
        stop(proc)
        sys.exit("coturn did not start; see " + log)
    return proc, port


def main():
    out = out_dir()
    workdir = tempfile.mkdtemp(prefix="floe-bench-gathering-")
    coturn, port = start_coturn(workdir)
    if not coturn:
        note("bench/gathering skipped: turnserver (coturn) is not installed")
        return 0
    path = os.path.join(out, "gathering.csv")
    env = dict(os.environ, FLOE_BENCH_TURN_PASSWORD=PASSWORD)
    try:
        for delay in DELAYS_MS:
            r = subprocess.run([program("bench-gathering"), "--server", "127.0.0.1:%d" % port,
                                "--user", USER, "--password-env", "FLOE_BENCH_TURN_PASSWORD",
                                "--delay-ms", str(delay), "--iterations", str(ITERATIONS),
                                "--csv", path], env=env)
            if r.returncode != 0:
                note("bench-gathering with %d ms: some iterations incomplete (see %s)" % (delay, path))
    finally:
        stop(coturn)
        shutil.rmtree(workdir, ignore_errors=True)

    with open(path) as f:
        rows = list(csv.DictReader(f))
    summary = []
    print("\nbench/gathering: ms from gather() (median / p90 of the latest %d runs per delay)" % ITERATIONS)
    print("  %-9s %13s %13s %13s %13s %13s %13s" % ("uplink", "STUN RTT", "TURN 2xRTT", "host", "srflx",
                                                    "relay", "done"))
    cols = ["stun_rtt_ms", "turn_two_rtt_ms", "host_ms", "srflx_ms", "relay_ms", "done_ms"]
    for delay in DELAYS_MS:
        mine = [r for r in rows if float(r["uplink_delay_ms"]) == delay][-ITERATIONS:]
        line = "  %-9s" % ("%d ms" % delay)
        for c in cols:
            v = [float(r[c]) for r in mine if r[c]]
            m, p = median(v), p90(v)
            line += " %13s" % ("%.1f / %.1f" % (m, p) if m is not None else "-")
            summary.append({"bench": "gathering", "metric": "%s_median_delay_%dms" % (c, delay),
                            "value": "%.3f" % m if m is not None else ""})
        print(line)
    append_rows("summary.csv", summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())

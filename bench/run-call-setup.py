#!/usr/bin/env python3
"""bench/call-setup: how fast a call comes up across NATs, Floe against
Debian's baresip, in the NAT lab (tests/lab/lab.sh: network namespaces,
nftables NATs, Kamailio and coturn on 203.0.113.10), with a 30 ms
user-space delay each way on every site's uplink.

For each pair of NAT kinds (caller <-> callee) and N rounds, one call by
each agent (AGENTS: Floe, Floe gathering per call, baresip), in rotating
order, each between fresh SIP users:
  dial -> 200 OK          the caller is told the call was answered
  answer -> pair          the caller has the answer (the 200 OK and its
                          SDP: ICE checks can start) -> both ends have
                          selected a candidate pair (ICE done)
  dial -> audio A<-B      the caller plays the callee's first audio
  dial -> audio A->B      the callee plays the caller's first audio
"Dial" is the moment the call is asked for, both agents having been
registered for WARM_S seconds, as in an app that is open when its user
dials: the `call` command on Floe's control input, the /dial command on
baresip's console. Every time is taken on this machine's
monotonic clock: baresip's lines are stamped as they arrive; Floe's JSON
events carry their own times, placed on the same clock by the smallest
arrival-minus-event-time of each process.

The floor: the ping RTT of each site to the server, and between the peers
(the sum: both uplinks are crossed twice).

Needs root, the lab (tests/lab/lab.sh with lab_servers), kamailio,
turnserver; baresip for the comparison. Writes call-setup.csv (one row per
call) and call-setup-rtt.csv.

usage: run-call-setup.py [ROUNDS]   (default 5; env BENCH_CALL_ROUNDS too)"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from benchlib import SRCDIR, append_rows, median, note, out_dir, p90, program

SERVER = "203.0.113.10"
DELAY_MS = 30
PAIRS = [("port-restricted", "port-restricted"), ("symmetric", "full-cone"), ("udp-blocked", "open")]
CALL_SECONDS = 4          # Floe's call length once answered
WARM_S = 3.0              # both agents registered this long before the dial, as in an open app
# Floe as it runs (candidates gathered ahead), Floe gathering per call
# (--no-gather-ahead: what a call costs when no spare is ready), baresip.
AGENTS = ["floe", "floe-cold", "baresip"]
BARESIP_WAIT_S = 25       # how long a baresip call may take to carry audio both ways


class Proc:
    """A program in a namespace; its output split into lines (on \\r too:
    baresip redraws a status line), each stamped with time.monotonic() as it
    arrives."""

    def __init__(self, ns, cmd, env=None, stdin=False):
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns] + cmd, env=env,
                                     stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0)
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        pending = b""
        fd = self.proc.stdout.fileno()
        while True:
            chunk = os.read(fd, 65536)
            now = time.monotonic()
            if not chunk:
                break
            parts = re.split(rb"[\r\n]", pending + chunk)
            pending = parts.pop()
            with self.cond:
                self.lines.extend((now, p.decode("utf-8", "replace")) for p in parts if p)
                self.cond.notify_all()
        with self.cond:
            if pending:
                self.lines.append((time.monotonic(), pending.decode("utf-8", "replace")))
            self.cond.notify_all()

    def wait_for(self, needle, timeout):
        """Arrival time of the first line containing needle, or None."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, line in self.lines:
                    if needle in line:
                        return t
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    return None
                self.cond.wait(min(left, 0.2))

    def first(self, needle):
        with self.cond:
            return next((t for t, line in self.lines if needle in line), None)

    def send(self, text):
        try:
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def finish(self, timeout):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout=5)


class Lab:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="floe-bench-lab-")
        self.env = dict(os.environ, LAB_ID="fb%d" % (os.getpid() % 1000), LAB_DIR=self.dir,
                        LAB_SRCDIR=os.path.join(SRCDIR, "tests", "lab"), top_srcdir=SRCDIR)
        self.script = os.path.join(SRCDIR, "tests", "lab", "lab.sh")

    def run(self, *args):
        r = subprocess.run(["sh", self.script] + list(args), env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise RuntimeError("lab %s: %s" % (" ".join(args), r.stdout.strip()[-500:]))
        return r.stdout.strip()

    def ns(self, name):
        return "%s-%s" % (self.env["LAB_ID"], name)

    def secret(self, name):
        with open(os.path.join(self.dir, name)) as f:
            return f.read().strip()

    def down(self):
        subprocess.run(["sh", self.script, "lab_down"], env=self.env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


def ping_rtt(ns, target):
    """Median ping RTT in ms, or None."""
    r = subprocess.run(["ip", "netns", "exec", ns, "ping", "-n", "-c", "7", "-i", "0.2", "-W", "2", target],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    rtts = [float(m.group(1)) for m in re.finditer(r"time=([\d.]+) ms", r.stdout)]
    return median(rtts[1:] or rtts)  # the first may wait for ARP


# ----------------------------------------------------------------- Floe

def floe_events(p):
    """A Floe process's JSON events, each with 'at' on our clock."""
    events = []
    with p.cond:
        lines = list(p.lines)
    for arrival, line in lines:
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if isinstance(e, dict) and "event" in e and "t" in e:
            e["arrival"] = arrival
            events.append(e)
    if events:
        offset = min(e["arrival"] - e["t"] for e in events)
        for e in events:
            e["at"] = e["t"] + offset
    return events


def first_at(events, name, **match):
    for e in events:
        if e["event"] == name and all(e.get(k) == v for k, v in match.items()):
            return e["at"]
    return None


def dial_when_warm(caller, command):
    """Gives a registered caller WARM_S, then writes its dial command;
    returns when it was written."""
    time.sleep(WARM_S)
    dial = time.monotonic()
    caller.send(command)
    return dial


def floe_call(lab, floe, caller_ns, callee_ns, caller_user, callee_user, tcp, ahead=True):
    sip_pw, turn_pw = lab.secret("sip-secret"), lab.secret("turn-secret")
    env = dict(os.environ, FLOE_BENCH_SIP=sip_pw, FLOE_BENCH_TURN=turn_pw)
    common = ["--headless", "--json", "--password-env", "FLOE_BENCH_SIP",
              "--stun", "%s:3478" % SERVER,
              "--turn", "turn:%s:3478?transport=udp" % SERVER,
              "--turn", "turn:%s:3478?transport=tcp" % SERVER,
              "--turn-user", "floe", "--turn-password-env", "FLOE_BENCH_TURN"]

    def args(user, ns_tcp):
        return common + ["--account", "sip:%s@%s" % (user, SERVER)] + \
            (["--transport", "tcp"] if ns_tcp else []) + ([] if ahead else ["--no-gather-ahead"])

    callee = Proc(callee_ns, [floe] + args(callee_user, tcp[1]) + ["--auto-answer", "--play", "tone:660"],
                  env=env)
    row = {"agent": "floe" if ahead else "floe-cold", "ok": 0}
    caller = None
    try:
        if callee.wait_for('"event":"registered"', 20) is None:
            row["error"] = "callee did not register"
            return row
        caller = Proc(caller_ns, [floe] + args(caller_user, tcp[0]) +
                      ["--control", "--play", "tone:440", "--duration", str(CALL_SECONDS)], env=env,
                      stdin=True)
        if caller.wait_for('"event":"registered"', 20) is None:
            row["error"] = "caller did not register"
            return row
        dial = dial_when_warm(caller, "call sip:%s@%s\n" % (callee_user, SERVER))
        caller.wait_for('"event":"call-ended"', CALL_SECONDS + 60)
        caller.send("quit\n")
        caller.finish(15)
        callee.finish(15)
    finally:
        if caller is not None:
            caller.finish(0.1)
        callee.finish(0.1)
    a, b = floe_events(caller), floe_events(callee)
    ok200 = first_at(a, "answered")
    pair_a, pair_b = first_at(a, "pair-selected"), first_at(b, "pair-selected")
    audio_a, audio_b = first_at(a, "first-audio"), first_at(b, "first-audio")
    kind = next((e.get("kind") for e in a if e["event"] == "pair-selected"), "")
    rtt = next((e.get("rtt_ms") for e in a if e["event"] == "pair-selected"), None)
    row.update(fill_times(dial, ok200, pair_a, pair_b, audio_a, audio_b))
    row["path"] = kind
    row["pair_rtt_ms"] = "%.1f" % rtt if rtt is not None else ""
    if not row["ok"]:
        ended = [e.get("reason", "") for e in a + b if e["event"] in ("call-ended", "ice-failed",
                                                                      "registration-failed")]
        row["error"] = "; ".join(r for r in ended if r)[:200] or "incomplete"
    return row


def fill_times(dial, ok200, pair_a, pair_b, audio_a, audio_b):
    def ms(a, b):
        return round((b - a) * 1000, 1) if a is not None and b is not None else ""
    pair = max(pair_a, pair_b) if pair_a is not None and pair_b is not None else None
    r = {"dial_to_200ok_ms": ms(dial, ok200), "answer_to_pair_ms": ms(ok200, pair),
         "dial_to_audio_at_caller_ms": ms(dial, audio_a), "dial_to_audio_at_callee_ms": ms(dial, audio_b)}
    r["ok"] = int(all(v != "" for v in r.values()))
    return r


# -------------------------------------------------------------- baresip

BARESIP_CONFIG = """poll_method epoll
sip_listen 0.0.0.0:0
audio_player aubridge,floe-bench-sink
audio_source ausine,{tone}
audio_alert aubridge,floe-bench-alert
audio_path /usr/share/baresip
module_path /usr/lib/baresip/modules
module stdio.so
module opus.so
module g711.so
module ausine.so
module aubridge.so
module ice.so
module turn.so
module stun.so
module srtp.so
module_app account.so
module_app menu.so
"""


def baresip_dir(root, name, user, lab, tone, tcp, answer):
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config"), "w") as f:
        f.write(BARESIP_CONFIG.format(tone=tone))
    transport = ";transport=tcp" if tcp else ""
    turn = "turn:%s:3478%s" % (SERVER, "?transport=tcp" if tcp else "")
    with open(os.path.join(d, "accounts"), "w") as f:
        f.write("<sip:%s@%s%s>;auth_pass=%s;medianat=ice;stunserver=%s;stunuser=floe;stunpass=%s;"
                "mediaenc=srtp;regint=600%s\n"
                % (user, SERVER, transport, lab.secret("sip-secret"), turn, lab.secret("turn-secret"),
                   ";answermode=auto" if answer else ""))
    os.chmod(os.path.join(d, "accounts"), 0o600)
    return d


def baresip_call(lab, root, caller_ns, callee_ns, caller_user, callee_user, tcp):
    baresip = shutil.which("baresip")
    row = {"agent": "baresip", "ok": 0}
    bdir = baresip_dir(root, "callee-" + callee_user, callee_user, lab, 660, tcp[1], True)
    adir = baresip_dir(root, "caller-" + caller_user, caller_user, lab, 440, tcp[0], False)
    cmd = ["stdbuf", "-oL", "-eL", baresip, "-v", "-f"]
    callee = Proc(callee_ns, cmd + [bdir], stdin=True)
    caller = None
    try:
        if callee.wait_for("registered successfully", 20) is None:
            row["error"] = "callee did not register"
            return row
        caller = Proc(caller_ns, cmd + [adir], stdin=True)
        if caller.wait_for("registered successfully", 20) is None:
            row["error"] = "caller did not register"
            return row
        dial = dial_when_warm(caller, "/dial sip:%s@%s\n" % (callee_user, SERVER))
        deadline = dial + BARESIP_WAIT_S
        for p in (caller, callee):
            p.wait_for("incoming rtp for 'audio' established", max(0.1, deadline - time.monotonic()))
        time.sleep(0.5)
        ok200 = caller.first("Call established")
        pair_a = caller.first("connectivity check is complete")
        pair_b = callee.first("connectivity check is complete")
        audio_a = caller.first("incoming rtp for 'audio' established")
        audio_b = callee.first("incoming rtp for 'audio' established")
        row.update(fill_times(dial, ok200, pair_a, pair_b, audio_a, audio_b))
        if not row["ok"]:
            row["error"] = "incomplete after %d s" % BARESIP_WAIT_S
        return row
    finally:
        for p in (caller, callee):
            if p:
                p.send("/hangup\n")
        time.sleep(0.3)
        for p in (caller, callee):
            if p:
                p.send("/quit\n")
                p.finish(5)


# ----------------------------------------------------------------- main

def summarize(rows, rtts):
    cols = ["dial_to_200ok_ms", "answer_to_pair_ms", "dial_to_audio_at_caller_ms", "dial_to_audio_at_callee_ms"]
    print("\nbench/call-setup: %d ms each way on every uplink; ms, median / p90 over completed calls" % DELAY_MS)
    print("  %-34s %-9s %5s %15s %15s %15s %15s" % ("caller <-> callee", "agent", "done", "dial->200",
                                                   "answer->pair", "dial->audio A", "dial->audio B"))
    summary = []
    for caller_kind, callee_kind in PAIRS:
        label = "%s <-> %s" % (caller_kind, callee_kind)
        meds = {}
        for agent in AGENTS:
            mine = [r for r in rows if r["pair"] == label and r["agent"] == agent]
            done = [r for r in mine if r["ok"]]
            line = "  %-34s %-9s %2d/%-2d" % (label, agent, len(done), len(mine))
            for c in cols:
                v = [float(r[c]) for r in mine if r.get(c, "") != ""]
                m, p = median(v), p90(v)
                meds[(agent, c)] = m
                line += " %15s" % ("%.0f / %.0f" % (m, p) if m is not None else "-")
                summary.append({"bench": "call-setup", "metric": "%s|%s|%s|median" % (label, agent, c),
                                "value": "%.1f" % m if m is not None else ""})
            print(line)
        ratio = "  %-34s %-9s %5s" % ("", "ratio", "")
        for c in cols:
            f, b = meds[("floe", c)], meds[("baresip", c)]
            ratio += " %15s" % ("%.2f" % (f / b) if f and b else "-")
        print(ratio)
        r = rtts.get(label, {})
        print("  %-34s floor: RTT caller-server %s ms, callee-server %s ms, peer-peer %s ms"
              % ("", fmt(r.get("caller")), fmt(r.get("callee")), fmt(r.get("peer"))))
    append_rows("summary.csv", summary)


def fmt(v):
    return "%.1f" % v if v is not None else "?"


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("BENCH_CALL_ROUNDS", "5"))
    lab_sh = os.path.join(SRCDIR, "tests", "lab", "lab.sh")
    if os.geteuid() != 0 or not shutil.which("ip"):
        note("bench/call-setup skipped: the NAT lab needs root and ip netns")
        return 0
    if not os.path.exists(lab_sh) or "lab_servers" not in open(lab_sh).read():
        note("bench/call-setup skipped: tests/lab/lab.sh has no lab_servers yet")
        return 0
    for tool in ("kamailio", "turnserver"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            note("bench/call-setup skipped: %s is not installed" % tool)
            return 0
    have_baresip = shutil.which("baresip") is not None and shutil.which("stdbuf") is not None
    if not have_baresip:
        note("baresip is not installed: Floe alone, no ratio")
    floe = program("floe")
    if 2 * len(AGENTS) * rounds * len(PAIRS) > 200:
        sys.exit("at most %d rounds (the lab has 200 SIP users)" % (200 // (2 * len(AGENTS) * len(PAIRS))))

    lab = Lab()
    root = tempfile.mkdtemp(prefix="floe-bench-baresip-")
    rows, rtts = [], {}
    out = out_dir()
    try:
        sites = []
        try:
            lab.run("lab_up")
            lab.run("lab_servers")
            for k, (a, b) in enumerate(PAIRS):
                lab.run("lab_site", "ca%d" % k, a, str(2 * k + 1), str(DELAY_MS))
                lab.run("lab_site", "ce%d" % k, b, str(2 * k + 2), str(DELAY_MS))
                sites.append(("ca%d" % k, "ce%d" % k))
        except RuntimeError as e:
            note("bench/call-setup not run: the lab did not come up: %s" % e)
            return 1
        for k, (a, b) in enumerate(PAIRS):
            label = "%s <-> %s" % (a, b)
            ca, ce = sites[k]
            rc, re_ = ping_rtt(lab.ns(ca), SERVER), ping_rtt(lab.ns(ce), SERVER)
            rtts[label] = {"caller": rc, "callee": re_,
                           "peer": rc + re_ if rc is not None and re_ is not None else None}
        with open(os.path.join(out, "call-setup-rtt.csv"), "a", newline="") as f:
            w = csv.writer(f)
            if f.tell() == 0:
                w.writerow(["unix_time", "pair", "caller_server_rtt_ms", "callee_server_rtt_ms",
                            "peer_rtt_ms"])
            for label, r in rtts.items():
                w.writerow([int(time.time()), label] + [fmt(r[x]) for x in ("caller", "callee", "peer")])

        path = os.path.join(out, "call-setup.csv")
        fields = ["unix_time", "pair", "round", "agent", "ok", "dial_to_200ok_ms", "answer_to_pair_ms",
                  "dial_to_audio_at_caller_ms", "dial_to_audio_at_callee_ms", "path", "pair_rtt_ms", "error"]
        fresh = not os.path.exists(path)
        with open(path, "a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
            if fresh:
                w.writeheader()
            for i in range(rounds):
                for k, (a, b) in enumerate(PAIRS):
                    label = "%s <-> %s" % (a, b)
                    ca, ce = sites[k]
                    tcp = (a == "udp-blocked", b == "udp-blocked")
                    base = 1 + 2 * len(AGENTS) * (k * rounds + i)
                    # Each round in another order: no agent always goes first.
                    order = AGENTS[i % len(AGENTS):] + AGENTS[:i % len(AGENTS)]
                    for agent in order:
                        users = ["u%d" % (base + 2 * AGENTS.index(agent) + j) for j in (0, 1)]
                        if agent == "baresip":
                            if not have_baresip:
                                continue
                            row = baresip_call(lab, root, lab.ns(ca), lab.ns(ce), users[0], users[1], tcp)
                        else:
                            row = floe_call(lab, floe, lab.ns(ca), lab.ns(ce), users[0], users[1], tcp,
                                            ahead=agent == "floe")
                        row.update({"unix_time": int(time.time()), "pair": label, "round": i})
                        rows.append(row)
                        w.writerow(row)
                        f.flush()
                        print("  %s round %d %-9s %s" % (label, i, agent,
                                                         "ok" if row["ok"] else row.get("error", "")),
                              file=sys.stderr)
    finally:
        lab.down()
        shutil.rmtree(root, ignore_errors=True)
    summarize(rows, rtts)
    return 0


if __name__ == "__main__":
    sys.exit(main())

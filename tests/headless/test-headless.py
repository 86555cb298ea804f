#!/usr/bin/env python3
"""Two headless Floe processes on loopback with a real Kamailio: they
register, call, hear each other's tone, pass DTMF, and report it all as JSON
lines; and each kind of failure ends with its own exit status."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SRCDIR = os.environ.get("top_srcdir", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILDDIR = os.environ.get("top_builddir", os.path.join(SRCDIR))
# Exit statuses, as src/floe-cli.h defines them.
OK, REGISTRATION, CALL, NO_AUDIO, EXPECTATION = 0, 3, 4, 6, 7
USERS = {"alice": "alice-secret", "bob": "bob-secret"}
failures = []


def floe_program():
    for sub in ("ui", "src"):
        path = os.path.join(BUILDDIR, sub, "floe")
        if os.access(path, os.X_OK):
            return path
    sys.exit("floe was not built")


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                try:
                    u.bind(("127.0.0.1", port))
                    return port
                except OSError:
                    continue


class Kamailio:
    def __init__(self, workdir):
        self.port = free_port()
        self.dir = workdir
        with open(os.path.join(SRCDIR, "tests", "kamailio", "floe.cfg")) as f:
            cfg = f.read().replace("@PORT@", str(self.port)).replace("@DIR@", workdir)
        with open(os.path.join(workdir, "kamailio.cfg"), "w") as f:
            f.write(cfg)
        with open(os.path.join(workdir, "users.cfg"), "w") as f:
            for user, password in USERS.items():
                f.write('$sht(users=>%s) = "%s";\n' % (user, password))
        self.log = open(os.path.join(workdir, "kamailio.log"), "w")
        self.proc = subprocess.Popen(
            [KAMAILIO, "-f", os.path.join(workdir, "kamailio.cfg"), "-DD", "-E",
             "-Y", workdir, "-w", workdir, "-P", os.path.join(workdir, "kamailio.pid")],
            stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        sys.exit("kamailio did not start; see " + self.log.name)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.log.close()


def floe(name, *args, password=None):
    """Starts a headless agent; the password goes through the environment."""
    env = dict(os.environ)
    cmd = [FLOE, "--headless", "--json", "--interfaces", "lo", "--listen", "127.0.0.1:%d" % free_port()]
    if name is not None:
        env["FLOE_TEST_PASSWORD"] = password if password is not None else USERS[name]
        cmd += ["--account", "sip:%s@127.0.0.1" % name, "--password-env", "FLOE_TEST_PASSWORD",
                "--registrar", "sip:127.0.0.1:%d" % KAM.port]
    return subprocess.Popen(cmd + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, text=True)


def finish(proc, timeout=40):
    """Waits for an agent; returns (exit status, events, stderr)."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += "\n(killed after %d s)" % timeout
    events = []
    for line in out.splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            check(False, "stdout carries only JSON lines, not %r" % line)
    return proc.returncode, events, err


def check(ok, what, detail=""):
    print(("PASS: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)
        if detail:
            print(detail)


def first(events, name):
    return next((e for e in events if e["event"] == name), None)


def test_call_both_ways(workdir):
    junit = os.path.join(workdir, "alice.xml")
    bob = floe("bob", "--auto-answer", "--play", "tone:660", "--expect-audio")
    time.sleep(1.0)  # bob registers before alice calls
    alice = floe("alice", "--call", "sip:bob@127.0.0.1:%d" % KAM.port, "--play", "tone:440",
                 "--expect-audio", "--expect-pair", "host", "--dtmf", "19#", "--duration", "3",
                 "--junit", junit)
    a_status, a, a_err = finish(alice)
    b_status, b, b_err = finish(bob)
    check(a_status == OK, "the caller's run passes (exit %s)" % a_status, a_err)
    check(b_status == OK, "the callee's run passes (exit %s)" % b_status, b_err)
    check(first(a, "registered") is not None and first(b, "registered") is not None,
          "both agents registered with Kamailio")
    times = [e["t"] for e in a]
    check(times == sorted(times) and all(isinstance(t, (int, float)) for t in times),
          "event timestamps are monotonic")
    cands = [e for e in a if e["event"] == "candidate"]
    check(len(cands) > 0 and all(c["type"] == "host" for c in cands), "candidates reported as gathered")
    check(first(b, "gathering-done")["ahead"] is True,
          "the callee answered with candidates gathered ahead", str(first(b, "gathering-done")))
    pair = first(a, "pair-selected")
    check(pair is not None and pair["kind"] == "host" and pair["rtt_ms"] >= 0,
          "the selected pair is reported with its kind and RTT", str(pair))
    check(first(a, "first-audio") is not None and first(b, "first-audio") is not None,
          "first audio arrives both ways")
    verdicts = {(e["name"], e["passed"]) for e in a if e["event"] == "verdict"}
    check(("expect-audio", True) in verdicts and ("expect-pair", True) in verdicts,
          "the caller's verdicts passed", str(verdicts))
    heard_a = first(a, "call-ended")["stats"]
    heard_b = first(b, "call-ended")["stats"]
    check(abs(heard_a["tone_hz"] - 660) <= 5 and abs(heard_b["tone_hz"] - 440) <= 5,
          "each side heard the other's tone (%s Hz, %s Hz)" % (heard_a["tone_hz"], heard_b["tone_hz"]))
    check(heard_a["srtp"] and heard_b["srtp"], "the audio was SRTP-protected")
    ended_b = first(b, "call-ended")
    check(ended_b.get("dtmf_received") == "19#", "the callee received DTMF 19#", str(ended_b))
    summary = a[-1]
    check(summary["event"] == "summary" and summary["passed"] and summary["exit"] == 0,
          "the run ends with a passing summary", str(summary))
    with open(junit) as f:
        xml = f.read()
    check('tests="2" failures="0"' in xml, "the JUnit report holds two passing cases")
    for secret in USERS.values():
        check(secret not in a_err + b_err and secret not in json.dumps(a + b),
              "the password never reaches the log")


def test_wrong_password():
    status, events, err = finish(floe("alice", "--register-only", password="wrong"))
    failed = first(events, "registration-failed")
    check(status == REGISTRATION, "a wrong password exits with status 3 (got %s)" % status, err)
    check(failed is not None and "password" in failed["reason"].lower(),
          "the failure says the password is wrong", str(failed))


def test_register_over_tcp():
    agent = floe("alice", "--register-only", "--transport", "tcp")
    for _ in range(100):
        time.sleep(0.05)
        with open(KAM.log.name) as f:
            log = f.read()
        if "REGISTER from alice over tcp" in log:
            break
    time.sleep(1.0)  # the challenge, the second REGISTER and its 200
    agent.terminate()
    status, events, err = finish(agent)
    check("REGISTER from alice over tcp" in log and first(events, "registered") is not None,
          "--transport tcp registers over TCP", log[-1500:] + err)


def test_unreachable_callee():
    status, events, err = finish(floe("alice", "--call", "sip:nobody@127.0.0.1:%d" % KAM.port))
    check(status == CALL, "a callee nobody registered exits with status 4 (got %s)" % status, err)


def test_expectation_not_met():
    # Without an account an agent listens as sip:floe@ its --listen address.
    bob = floe(None, "--auto-answer")
    time.sleep(0.5)
    listen = bob.args[bob.args.index("--listen") + 1]
    status, events, err = finish(floe(None, "--call", "sip:floe@" + listen, "--duration", "1",
                                      "--expect-pair", "relay", "--codecs", "pcma,opus"))
    finish(bob)
    verdict = next((e for e in events if e["event"] == "verdict" and e["name"] == "expect-pair"), None)
    check(status == EXPECTATION, "--expect-pair relay on a direct call exits with status 7 (got %s)" % status,
          err)
    check(verdict is not None and not verdict["passed"] and "host" in verdict["message"],
          "the verdict says which pair the call took", str(verdict))
    ended = first(events, "call-ended")
    check(ended is not None and ended["stats"].get("codec") == "PCMA",
          "--codecs puts the caller's first choice in the offer", str(ended))


def test_opus_settings():
    """Headless calls send a continuous stream by default; --dtx makes a
    silent source send (almost) nothing; bad settings are refused."""
    bob = floe(None, "--auto-answer", "--dtx", "--opus-complexity", "10", "--opus-mode", "voice",
               "--expect-audio")
    time.sleep(0.5)
    listen = bob.args[bob.args.index("--listen") + 1]
    status, events, err = finish(floe(None, "--call", "sip:floe@" + listen, "--duration", "3",
                                      "--play", "tone:1000"))
    b_status, b_events, b_err = finish(bob)
    sent = first(events, "call-ended")["stats"]
    b_ended = first(b_events, "call-ended")["stats"]
    check(status == OK and b_status == OK, "a call between the two profiles passes (exit %s, %s)"
          % (status, b_status), err + b_err)
    check(sent["codec"] == "opus" and abs(b_ended.get("tone_hz", 0) - 1000) <= 5,
          "the default (light) profile carries the caller's tone (%s Hz)" % b_ended.get("tone_hz"))
    # Three seconds of 20 ms frames is 150 packets, less the time ICE takes
    # after the answer; DTX on a tone would send a fifth of them.
    check(sent["packets_sent"] >= 120, "without --dtx every frame is sent (%d packets)" % sent["packets_sent"])
    check(b_ended["packets_sent"] < sent["packets_sent"] / 2,
          "with --dtx a silent source sends few packets (%d)" % b_ended["packets_sent"])
    status, events, err = finish(floe(None, "--opus-complexity", "11"))
    check(status == 2 and "0 (cheapest) to 10 (best)" in err,
          "--opus-complexity 11 is refused with the range (exit %s)" % status, err)


def test_control_and_load(workdir):
    """Two calls at once from one agent, then the control channel: stats and quit."""
    record = os.path.join(workdir, "heard")
    bob = floe(None, "--auto-answer", "--calls", "2", "--play", "tone:660", "--record", record)
    time.sleep(0.5)
    listen = bob.args[bob.args.index("--listen") + 1]
    status, events, err = finish(floe(None, "--call", "sip:floe@" + listen, "--calls", "2", "--rate", "10",
                                      "--duration", "2", "--play", "tone:440", "--expect-audio",
                                      "--no-gather-ahead"))
    b_status, b_events, b_err = finish(bob)
    answered = [e for e in events if e["event"] == "answered"]
    check(status == OK and len(answered) == 2, "--calls 2 places two calls that both connect (exit %s)" % status,
          err)
    gathered = [e["ahead"] for e in events if e["event"] == "gathering-done"]
    check(gathered == [False, False], "--no-gather-ahead: each call gathers its own candidates", str(gathered))
    check(b_status == OK and all(os.path.getsize("%s.%d.wav" % (record, i)) > 44 for i in (1, 2)),
          "the callee recorded each call to its own WAV file", b_err)
    b_ended = first(b_events, "call-ended")
    check(b_ended is not None and "tone_hz" not in b_ended["stats"] and "tone_hz" in first(events, "call-ended")["stats"],
          "only a run that judges the audio listens for its tone", str(b_ended))

    # The control channel: a listening agent answers stats and quits on request.
    agent = subprocess.Popen([FLOE, "--headless", "--interfaces", "lo", "--listen", "127.0.0.1:%d" % free_port(),
                              "--control"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    out, err = agent.communicate("stats\nfly away\nquit\n", timeout=20)
    replies = [json.loads(line) for line in out.splitlines()]
    check(agent.returncode == OK, "quit on the control channel ends the run cleanly", err)
    check(len(replies) == 3 and replies[0] == {"reply": "stats", "ok": True, "calls": []}
          and not replies[1]["ok"] and "unknown command" in replies[1]["error"] and replies[2]["ok"],
          "each command is answered with one JSON line", out)


def test_hangup_when_peer_is_gone():
    """A BYE nobody answers still ends the call, well before the transaction's 32 s."""
    bob = floe(None, "--auto-answer")
    time.sleep(0.5)
    listen = bob.args[bob.args.index("--listen") + 1]
    alice = floe(None, "--call", "sip:floe@" + listen, "--duration", "3")
    time.sleep(1.5)
    bob.kill()  # gone without a word: nobody will answer alice's BYE
    bob.communicate()
    status, events, err = finish(alice, timeout=20)
    ended = first(events, "call-ended")
    check(ended is not None and "You ended" in ended["reason"],
          "hanging up on a vanished peer ends the call (%s)" % (ended and ended["reason"]), err)


def test_control_socket(workdir):
    """The same commands on a Unix socket, each answered on that connection."""
    path = os.path.join(workdir, "control.sock")
    agent = subprocess.Popen([FLOE, "--headless", "--interfaces", "lo", "--listen", "127.0.0.1:%d" % free_port(),
                              "--control-socket", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    replies = []
    try:
        for _ in range(100):
            if os.path.exists(path):
                break
            time.sleep(0.05)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(path)
            stream = s.makefile("rw")
            for command in ("stats", "dtmf 1", "quit"):
                stream.write(command + "\n")
                stream.flush()
                replies.append(json.loads(stream.readline()))
    finally:
        out, err = agent.communicate(timeout=20)
    check(len(replies) == 3 and replies[0]["ok"] and not replies[1]["ok"] and "no call" in replies[1]["error"]
          and replies[2]["ok"], "commands on the control socket are answered there", str(replies))
    check(agent.returncode == OK and not os.path.exists(path),
          "quit on the socket ends the run and removes the socket", err)


class Coturn:
    """A TURN server on loopback with one long-term user, UDP and TCP."""
    USER, PASSWORD = "floe", "turn-secret"

    def __init__(self, workdir):
        self.port = free_port()
        self.pidfile = os.path.join(workdir, "turnserver.pid")
        self.log = open(os.path.join(workdir, "turnserver.log"), "w")
        self.proc = subprocess.Popen(
            [TURNSERVER, "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
             "--listening-port=%d" % self.port, "--lt-cred-mech",
             "--user=%s:%s" % (self.USER, self.PASSWORD), "--realm=floe.test", "--no-cli", "--no-tls",
             "--no-dtls", "--allow-loopback-peers", "--pidfile=" + self.pidfile,
             "--log-file=stdout", "--simple-log"],
            stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        sys.exit("turnserver did not start; see " + self.log.name)

    def args(self):
        os.environ["FLOE_TEST_TURN_PASSWORD"] = self.PASSWORD
        return ["--turn", "turn:127.0.0.1:%d?transport=tcp" % self.port, "--turn-user", self.USER,
                "--turn-password-env", "FLOE_TEST_TURN_PASSWORD", "--ice-policy", "relay-only"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.log.close()


def test_relayed_over_tcp(workdir):
    turn = Coturn(workdir)
    try:
        bob = floe("bob", "--auto-answer", "--play", "tone:660", "--expect-audio", *turn.args())
        time.sleep(1.0)
        status, events, err = finish(floe("alice", "--call", "sip:bob@127.0.0.1:%d" % KAM.port,
                                          "--play", "tone:440", "--expect-audio", "--expect-pair", "relay",
                                          "--duration", "2", *turn.args()))
        b_status, _, b_err = finish(bob)
    finally:
        turn.stop()
    check(status == OK and b_status == OK, "a relay-only call through TURN over TCP passes (exit %s, %s)"
          % (status, b_status), err + b_err)
    cands = [e["type"] for e in events if e["event"] == "candidate"]
    check(cands and set(cands) == {"relay"}, "relay-only announces relayed candidates only", str(cands))
    check(turn.PASSWORD not in err + b_err + json.dumps(events), "the TURN password never reaches the log")


def main():
    global FLOE, KAMAILIO, KAM, TURNSERVER
    KAMAILIO = shutil.which("kamailio") or "/usr/sbin/kamailio"
    if not os.access(KAMAILIO, os.X_OK):
        print("SKIP: kamailio is not installed (apt-get install kamailio)")
        return 77
    FLOE = floe_program()
    TURNSERVER = shutil.which("turnserver")
    workdir = tempfile.mkdtemp(prefix="floe-headless-")
    KAM = Kamailio(workdir)
    try:
        test_call_both_ways(workdir)
        test_wrong_password()
        test_unreachable_callee()
        test_register_over_tcp()
        test_expectation_not_met()
        test_opus_settings()
        test_control_and_load(workdir)
        test_control_socket(workdir)
        test_hangup_when_peer_is_gone()
        if TURNSERVER:
            test_relayed_over_tcp(workdir)
        else:
            print("SKIP: turnserver is not installed (apt-get install coturn): no relayed call")
    finally:
        KAM.stop()
    if failures:
        print("kept for inspection:", workdir)
    else:
        shutil.rmtree(workdir)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

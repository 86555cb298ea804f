#!/usr/bin/env python3
"""Interop: a headless Floe and Debian's baresip (ICE, TURN, SDES-SRTP, Opus)
behind two different NATs call each other both ways through the lab's
Kamailio; each must hear the other's tone. Needs root (exits 77 without it)."""
import os
import re
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import floelab  # noqa: E402

FLOE_TONE, BARESIP_TONE = 440, 880
MEDIA_S = 4
failures = []


def check(ok, what, detail=""):
    print(("PASS: " if ok else "FAIL: ") + what, flush=True)
    if not ok:
        failures.append(what)
        if detail:
            print(detail)


def judge_floe(agent, status, label, bs):
    end = agent.first("call-ended")
    stats = end.get("stats", {}) if end else {}
    pair = agent.first("pair-selected")
    check(agent.first("answered") is not None, "%s: the call was answered" % label)
    check(pair is not None, "%s: ICE selected a pair (%s)" % (
        label, "%s %s -> %s %s" % (pair["local_type"], pair["local"], pair["remote_type"], pair["remote"])
        if pair else "none"))
    hz = stats.get("tone_hz")
    check(hz is not None and abs(hz - BARESIP_TONE) <= 10,
          "%s: Floe heard baresip's %d Hz tone (%s Hz)" % (label, BARESIP_TONE, hz), bs.log()[-3000:])
    check(stats.get("srtp") is True, "%s: the media was SRTP-protected" % label)
    check(status == 0, "%s: Floe's run passed (exit %s)" % (label, status), agent.stderr()[-3000:])


def judge_baresip(bs, label):
    codec = re.search(r"Set audio encoder: (\S+) (\d+)Hz", bs.log())
    check(codec is not None and codec.group(1) == "opus",
          "%s: the call used Opus (%s)" % (label, codec.group(0) if codec else "no encoder in baresip's log"))
    hz, rms = bs.heard()
    check(hz is not None and abs(hz - FLOE_TONE) <= 10,
          "%s: baresip heard Floe's %d Hz tone (%s Hz, RMS %.0f)" % (label, FLOE_TONE, hz and round(hz, 1), rms),
          bs.log()[-3000:])


def hang_up_after_audio(floe):
    """Floe hangs up MEDIA_S after its first audio, however long the call
    took to set up, then quits."""
    if floe.wait_event("first-audio", 40) is not None:
        time.sleep(MEDIA_S)
    floe.command("hangup")
    floe.wait_event("call-ended", 20)
    floe.command("quit")


def floe_calls_baresip(lab):
    label = "Floe (port-restricted) -> baresip (full-cone)"
    bs = floelab.Baresip(lab, "bs", "u2", BARESIP_TONE, seconds=25)
    registered = bs.wait_output("200 OK", 20)
    check(registered, "baresip registered with Kamailio", bs.log()[-2000:])
    if not registered:
        return
    floe = lab.agent("fl", "u1", "--call", "sip:u2@%s" % floelab.DOMAIN, "--play", "tone:%d" % FLOE_TONE,
                     "--expect-audio", "--duration", "60", control=True)
    hang_up_after_audio(floe)
    status = floe.finish(30)
    bs.finish(0)
    judge_floe(floe, status, label, bs)
    judge_baresip(bs, label)


def baresip_calls_floe(lab):
    label = "baresip (full-cone) -> Floe (port-restricted)"
    floe = lab.agent("fl", "u3", "--auto-answer", "--play", "tone:%d" % FLOE_TONE, "--expect-audio",
                     control=True)
    if floe.wait_event("registered", 20) is None:
        check(False, "Floe registered", floe.stderr()[-2000:])
        return
    bs = floelab.Baresip(lab, "bs", "u4", BARESIP_TONE, dial="sip:u3@%s" % floelab.DOMAIN, seconds=30)
    hang_up_after_audio(floe)
    status = floe.finish(30)
    bs.finish(0)
    judge_floe(floe, status, label, bs)
    judge_baresip(bs, label)


def main():
    if os.geteuid() != 0:
        print("SKIP: the NAT lab needs root")
        return 77
    for program in ("baresip", "sox"):
        if not any(os.access(os.path.join(d, program), os.X_OK) for d in os.environ["PATH"].split(":")):
            print("SKIP: %s is not installed" % program)
            return 77
    with floelab.Lab() as lab:
        lab.up()
        lab.site("fl", "port-restricted", 1)
        lab.site("bs", "full-cone", 2)
        floe_calls_baresip(lab)
        baresip_calls_floe(lab)
        if failures:
            lab.keep = True
            print("baresip's files and the servers' logs are kept in", lab.dir)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

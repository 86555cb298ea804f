#!/usr/bin/env python3
"""`make demo`: two headless Floe agents behind two different NATs (one of
them symmetric) in an emulated internet with a real Kamailio and coturn,
one call with a tone each way, a short summary in words and a PNG picture
of the call. Exits non-zero when the call fails. Needs root."""
import array
import math
import os
import shutil
import subprocess
import sys
import wave

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import floelab  # noqa: E402

ALICE_TONE, BOB_TONE = 440, 660
SECONDS = 8

WHY = {
    "host": "both phones reached each other at their own addresses: they sit on one network",
    "srflx": "each NAT kept one public port per phone (learned from the STUN server), "
             "so checks sent to those ports opened a direct path",
    "prflx": "the symmetric NAT gave the checks a new public port; the far phone learned it "
             "from the checks themselves (a peer-reflexive candidate) and answered there: a direct path",
    "relay": "no direct path opened through these NATs, so the audio goes through the TURN relay",
}


def level_track(path, step=0.05):
    """(seconds, dBFS) of a WAV file every step seconds."""
    with wave.open(path) as w:
        rate, channels = w.getframerate(), w.getnchannels()
        samples = array.array("h", w.readframes(w.getnframes()))
    if sys.byteorder != "little":
        samples.byteswap()
    mono = samples[::channels]
    n = max(1, int(rate * step))
    track = []
    for i in range(0, len(mono) - n + 1, n):
        chunk = mono[i:i + n]
        rms = math.sqrt(sum(s * s for s in chunk) / n)
        track.append((i / rate, 20 * math.log10(max(rms, 1.0) / 32768.0)))
    return track


def plot(workdir, png, recordings, agents):
    """A PNG with the received level over time and the jitter/loss per second."""
    files = {}
    for name, path in recordings.items():
        files["level-" + name] = level_track(path) if os.path.exists(path) else []
    for name, agent in agents.items():
        start = agent.first("answered")["t"] if agent.first("answered") else 0
        files["stats-" + name] = [(e["t"] - start, e["stats"]["jitter_ms"], e["stats"]["loss_percent"])
                                  for e in agent.all("stats")]
    for key, rows in files.items():
        with open(os.path.join(workdir, key + ".dat"), "w") as f:
            for row in rows:
                f.write(" ".join("%.3f" % v for v in row) + "\n")
    script = """
set terminal pngcairo size 1000,700 font "DejaVu Sans,10"
set output '{png}'
set multiplot layout 2,1 title "Floe NAT lab demo: alice (symmetric NAT) calls bob (address-restricted NAT)"
set grid
set xlabel "seconds of received audio"
set ylabel "received level (dBFS)"
set yrange [-90:0]
plot '{d}/level-alice.dat' using 1:2 with lines lw 1.5 title "alice hears bob ({bob} Hz)", \\
     '{d}/level-bob.dat' using 1:2 with lines lw 1.5 title "bob hears alice ({alice} Hz)"
set xlabel "seconds since the call was answered"
set ylabel "jitter (ms)"
set yrange [0:*]
set y2label "loss (%)"
set y2tics
set y2range [0:*]
plot '{d}/stats-alice.dat' using 1:2 with linespoints lw 1.5 title "jitter at alice", \\
     '{d}/stats-bob.dat' using 1:2 with linespoints lw 1.5 title "jitter at bob", \\
     '{d}/stats-alice.dat' using 1:3 axes x1y2 with steps dt 2 title "loss at alice", \\
     '{d}/stats-bob.dat' using 1:3 axes x1y2 with steps dt 2 title "loss at bob"
unset multiplot
""".format(png=png, d=workdir, alice=ALICE_TONE, bob=BOB_TONE)
    r = subprocess.run(["gnuplot"], input=script, text=True, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise RuntimeError("gnuplot failed: " + r.stderr)


def describe(name, kind, agent, heard_tone):
    lines = ["%s (behind %s %s NAT)" % (name, "an" if kind[0] in "aeiou" else "a", kind)]
    reg = agent.first("registered")
    lines.append("  registration : %s" % ("registered as %s after %.0f ms" % (reg["contact"], reg["t"] * 1000)
                                          if reg else "FAILED"))
    cands = agent.all("candidate")
    by_type = {}
    for c in cands:
        if c.get("component") == 1:
            by_type.setdefault(c["type"], []).append(c["address"])
    lines.append("  candidates   : " + "; ".join("%s %s" % (t, ", ".join(a)) for t, a in by_type.items()))
    end = agent.first("call-ended")
    stats = end["stats"] if end else {}
    if stats:
        lines.append("  audio        : %d packets sent, %d received, %d lost (%.1f%%), jitter %.1f ms, RTT %s ms"
                     % (stats["packets_sent"], stats["packets_received"], stats["packets_lost"],
                        stats["loss_percent"], stats["jitter_ms"], stats["rtt_ms"]))
        lines.append("  heard        : %s Hz tone (expected %d Hz) over %.1f s, SRTP %s, MOS %.2f"
                     % (stats["tone_hz"], heard_tone, stats["tone_frames"] * 0.02,
                        "on" if stats["srtp"] else "OFF", stats["mos"]))
    return lines


def main():
    if os.geteuid() != 0:
        print("demo: the NAT lab needs root (network namespaces); run `sudo make demo`", file=sys.stderr)
        return 1
    for program in ("kamailio", "turnserver", "gnuplot", "nft"):
        if shutil.which(program) is None and not os.path.exists("/usr/sbin/" + program):
            print("demo: %s is missing; run build-aux/install-deps" % program, file=sys.stderr)
            return 1
    png = os.path.join(os.getcwd(), "floe-demo.png")
    print("Floe demo: building an emulated internet (203.0.113.0/24) with Kamailio and coturn,")
    print("alice behind a symmetric NAT, bob behind an address-restricted NAT...")
    with floelab.Lab() as lab:
        lab.up()
        print("servers: Kamailio at sip:%s:5060 (UDP, TCP), coturn STUN/TURN at %s:3478 (UDP, TCP)"
              % (floelab.SERVER, floelab.SERVER))
        lab.site("alice", "symmetric", 1)
        lab.site("bob", "address-restricted", 2)
        rec = {"alice": os.path.join(lab.dir, "alice-heard.wav"), "bob": os.path.join(lab.dir, "bob-heard.wav")}
        bob = lab.agent("bob", "bob", "--auto-answer", "--play", "tone:%d" % BOB_TONE, "--expect-audio",
                        "--record", rec["bob"])
        if bob.wait_event("registered", 20) is None:
            bob.finish(5)
            print("demo: FAILED: bob did not register\n" + bob.stderr()[-2000:], file=sys.stderr)
            return 1
        print("calling bob from alice for %d seconds..." % SECONDS)
        alice = lab.agent("alice", "alice", "--call", "sip:bob@%s" % floelab.DOMAIN, "--play",
                          "tone:%d" % ALICE_TONE, "--expect-audio", "--duration", str(SECONDS),
                          "--record", rec["alice"])
        a_status = alice.finish(60)
        b_status = bob.finish(20)

        print()
        for line in describe("alice", "symmetric", alice, BOB_TONE) + describe("bob", "address-restricted",
                                                                               bob, ALICE_TONE):
            print(line)
        pair = alice.first("pair-selected")
        answered = alice.first("answered")
        print()
        if answered:
            print("setup time   : %d ms from INVITE to answer" % answered["setup_ms"])
        if pair:
            print("selected path: %s %s <-> %s %s, RTT %.1f ms" % (pair["local_type"], pair["local"],
                                                                   pair["remote_type"], pair["remote"],
                                                                   pair["rtt_ms"]))
            types = {pair["local_type"], pair["remote_type"]}
            why = next(t for t in ("relay", "prflx", "srflx", "host") if t in types or t == "host")
            print("why          : " + WHY[why])
        verdicts = [v for a in (alice, bob) for v in a.all("verdict")]
        for v in verdicts:
            print("verdict      : %s %s: %s" % ("PASS" if v["passed"] else "FAIL", v["name"], v["message"]))
        try:
            plot(lab.dir, png, rec, {"alice": alice, "bob": bob})
            print("picture      : " + png)
        except (RuntimeError, OSError, KeyError) as e:
            print("demo: could not draw the picture: %s" % e, file=sys.stderr)
            a_status = a_status or 1
        ok = a_status == 0 and b_status == 0 and pair is not None
        print()
        if not ok:
            print("demo: FAILED (alice exited %s: %s, bob exited %s: %s)" % (
                a_status, floelab.EXIT_NAMES.get(a_status, "?"), b_status, floelab.EXIT_NAMES.get(b_status, "?")))
            print("--- alice ---\n" + alice.stderr()[-2500:] + "\n--- bob ---\n" + bob.stderr()[-2500:])
            return 1
        print("demo: the call worked; the lab is torn down.")
        return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""bench/media: the media path's CPU per 20 ms frame, stage by stage
(bench-media-frame, CPU time; instruction counts under callgrind when
valgrind is installed), then how many sessions one core holds in real time
(bench-media-calls --search: Opus+SRTP at the light profile a headless agent
uses, the headline; Opus+SRTP at the desktop's quality profile; G.711+SRTP).
A session is one agent's end of a call.

Writes media-frame.csv, media-frame-instructions.csv and media-calls.csv
into the output directory (default: this build directory's bench/)."""
import csv
import os
import re
import shutil
import subprocess
import sys

from benchlib import append_rows, note, out_dir, program

STAGES = ["opus_encode", "opus_decode", "srtp_protect", "srtp_unprotect", "jitter_buffer",
          "quality_opus_encode", "quality_opus_decode", "opus_encode_voice", "opus_encode_c5"]
# The stages one session costs, at each Opus profile (bench/media-frame.c).
LIGHT = ["opus_encode", "opus_decode", "srtp_protect", "srtp_unprotect", "jitter_buffer"]
QUALITY = ["quality_opus_encode", "quality_opus_decode", "srtp_protect", "srtp_unprotect", "jitter_buffer"]


def frame_costs(out):
    path = os.path.join(out, "media-frame.csv")
    subprocess.run([program("bench-media-frame"), "--rounds", "31", "--csv", path], check=True)
    with open(path) as f:
        return list(csv.DictReader(f))


def instruction_counts(out):
    """Instructions per frame of each stage, counted by callgrind (the
    machine's hardware counters are not always there: VMs)."""
    valgrind = shutil.which("valgrind")
    if not valgrind:
        note("valgrind is not installed: no instruction counts")
        return None
    rows = []
    rounds, frames = 2, 100
    for stage in STAGES:
        cg = os.path.join(out, "callgrind.%s.out" % stage)
        r = subprocess.run([valgrind, "-q", "--tool=callgrind", "--callgrind-out-file=" + cg,
                            "--toggle-collect=stage_" + stage,
                            program("bench-media-frame"), "--rounds", str(rounds), "--frames", str(frames)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            note("callgrind run of %s: exit %d: %s" % (stage, r.returncode, r.stderr.strip()))
        with open(cg) as f:
            total = next(int(m.group(1)) for m in (re.match(r"totals: (\d+)", l) for l in f) if m)
        os.unlink(cg)
        # The program runs one uncounted warm-up round plus `rounds`.
        rows.append({"stage": stage, "instructions_per_frame": round(total / ((rounds + 1) * frames))})
    path = os.path.join(out, "media-frame-instructions.csv")
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["stage", "instructions_per_frame"])
        w.writeheader()
        w.writerows(rows)
    return rows


def capacity(out, codec, profile="light"):
    """The search; returns the number of sessions found."""
    cpu = str(os.cpu_count() - 1)
    cmd = [program("bench-media-calls"), "--search", "--cpu", cpu, "--codec", codec, "--profile", profile,
           "--warmup", "1", "--seconds", "5", "--max", "512",
           "--csv", os.path.join(out, "media-calls.csv")]
    if os.geteuid() == 0:
        cmd.append("--rt")
    else:
        note("not root: sessions run SCHED_OTHER, so other load on CPU %s counts against them" % cpu)
    r = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    return int(r.stdout.strip().splitlines()[-1])


def main():
    out = out_dir()
    costs = frame_costs(out)
    instr = instruction_counts(out)
    found = {"light": capacity(out, "opus", "light"), "quality": capacity(out, "opus", "quality"),
             "pcmu": capacity(out, "pcmu")}
    print("\nbench/media: CPU per 20 ms frame (median of 31 rounds)")
    by_stage = {r["stage"]: r for r in instr or []}
    for r in costs:
        i = by_stage.get(r["stage"], {}).get("instructions_per_frame", "")
        print("  %-34s %9s us  %10s instructions" % (r["stage"], r["median_us_per_frame"], i))
    rows = []
    for name, stages in (("light", LIGHT), ("quality", QUALITY)):
        if instr:
            total = sum(by_stage[s]["instructions_per_frame"] for s in stages)
            print("  one session at the %s profile: %d instructions per frame" % (name, total))
            rows.append({"bench": "media", "metric": "instructions_per_frame_%s_session" % name, "value": total})
    print("  one core holds %d Opus+SRTP sessions at the light (headless) profile (target 150: %s), "
          "%d at the quality (desktop) profile, %d G.711+SRTP sessions"
          % (found["light"], "met" if found["light"] >= 150 else "NOT met", found["quality"], found["pcmu"]))
    append_rows("summary.csv", rows + [
        {"bench": "media", "metric": "opus_light_srtp_sessions_per_core", "value": found["light"]},
        {"bench": "media", "metric": "opus_quality_srtp_sessions_per_core", "value": found["quality"]},
        {"bench": "media", "metric": "pcmu_srtp_sessions_per_core", "value": found["pcmu"]},
    ] + [{"bench": "media", "metric": "us_per_frame_" + r["stage"], "value": r["median_us_per_frame"]}
         for r in costs])
    return 0


if __name__ == "__main__":
    sys.exit(main())

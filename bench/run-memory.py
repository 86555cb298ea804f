#!/usr/bin/env python3
"""bench/memory: peak resident memory (VmHWM, /proc/PID/status).

- A headless agent idle (listening, before any call) and in a call: two
  `floe --headless` agents on loopback, a direct call (no registrar) with
  Opus, SRTP and ICE, a tone each way, for CALL_SECONDS. The peak is read
  every 50 ms until each process exits; the last reading stands.
- Where the caller's pages are at its largest resident size: RSS per
  mapping (each shared library, [heap], anonymous memory), from
  /proc/PID/smaps, written to memory-mappings.csv and the largest printed.
  File-backed pages count as the kernel maps them: a touched page of code
  brings its neighbours (fault-around, 64 kB), so a few calls scattered
  over a library show as much of it.
- The GTK app under Xvfb in a throwaway session (tests/ui-session.sh), if
  this build has the GUI (otherwise a message says it was skipped): idle
  with one account registered to a Kamailio on loopback, then in a call
  that a headless agent places to it, answered through the app's "answer"
  action over D-Bus (bench/gui-memory-probe.sh).

Writes memory.csv and memory-mappings.csv in the output directory."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from benchlib import (BUILDDIR, SRCDIR, append_csv, append_rows, free_port, median, note, out_dir, program,
                      stop, wait_tcp)

HERE = os.path.dirname(os.path.abspath(__file__))

CALL_SECONDS = 5
REPEATS = 3
TARGET_KB = 15 * 1024


def status_kb(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def mappings_kb(pid):
    """RSS in kB per mapping name (a file's basename, [heap], [stack],
    "anonymous"), or None once the process is gone."""
    rss = {}
    name = None
    try:
        with open("/proc/%d/smaps" % pid) as f:
            for line in f:
                fields = line.split()
                if not fields:
                    continue
                if not fields[0].endswith(":"):  # a mapping's header line
                    name = os.path.basename(fields[5]) if len(fields) > 5 else "anonymous"
                elif fields[0] == "Rss:" and name is not None:
                    rss[name] = rss.get(name, 0) + int(fields[1])
    except (OSError, ValueError, IndexError):
        return None
    return rss


class PeakWatcher(threading.Thread):
    """Samples a process's VmHWM until it exits; with mappings=True, also
    its RSS per mapping when its resident size is largest."""

    def __init__(self, proc, mappings=False):
        super().__init__(daemon=True)
        self.proc = proc
        self.hwm_kb = None
        self.anon_kb = 0  # the process's own pages at their largest
        self.want_mappings = mappings
        self.rss_kb = 0
        self.mappings = {}

    def run(self):
        while self.proc.poll() is None:
            v = status_kb(self.proc.pid, "VmHWM")
            a = status_kb(self.proc.pid, "RssAnon")
            r = status_kb(self.proc.pid, "VmRSS")
            if v is not None:
                self.hwm_kb = v
            if a is not None and a > self.anon_kb:
                self.anon_kb = a
            if self.want_mappings and r is not None and r > self.rss_kb:
                m = mappings_kb(self.proc.pid)
                if m:
                    self.rss_kb = r
                    self.mappings = m
            time.sleep(0.05)


def headless(floe, *args):
    cmd = [floe, "--headless", "--json", "--interfaces", "lo"] + list(args)
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def one_call(floe):
    """Returns (callee idle kB, callee peak kB, caller peak kB, caller's
    largest anonymous RSS kB, events ok, the caller's RSS per mapping at
    its largest)."""
    listen = "127.0.0.1:%d" % free_port()
    callee = headless(floe, "--listen", listen, "--auto-answer", "--play", "tone:660")
    time.sleep(1.0)  # listening and settled: its idle peak
    idle = status_kb(callee.pid, "VmHWM")
    w_callee = PeakWatcher(callee)
    w_callee.start()
    caller = headless(floe, "--listen", "127.0.0.1:%d" % free_port(), "--call", "sip:floe@" + listen,
                      "--play", "tone:440", "--duration", str(CALL_SECONDS))
    w_caller = PeakWatcher(caller, mappings=True)
    w_caller.start()
    try:
        out, err = caller.communicate(timeout=CALL_SECONDS + 30)
    except subprocess.TimeoutExpired:
        stop(caller)
        out, err = caller.communicate()
    try:
        callee.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    stop(callee)
    callee.communicate()
    w_caller.join()
    w_callee.join()
    events = []
    for line in out.splitlines():
        try:
            events.append(json.loads(line)["event"])
        except (ValueError, KeyError):
            pass
    ok = "first-audio" in events and caller.returncode == 0
    if not ok:
        note("the call did not complete (exit %s, events %s): %s"
             % (caller.returncode, events, err.strip()[-300:]))
    return idle, w_callee.hwm_kb, w_caller.hwm_kb, w_caller.anon_kb, ok, w_caller.mappings


USERS = {"alice": "bench-alice-secret", "bob": "bench-bob-secret"}


def start_kamailio(workdir):
    kamailio = shutil.which("kamailio") or "/usr/sbin/kamailio"
    if not os.access(kamailio, os.X_OK):
        return None, None
    port = free_port()
    with open(os.path.join(SRCDIR, "tests", "kamailio", "floe.cfg")) as f:
        cfg = f.read().replace("@PORT@", str(port)).replace("@DIR@", workdir)
    with open(os.path.join(workdir, "kamailio.cfg"), "w") as f:
        f.write(cfg)
    with open(os.path.join(workdir, "users.cfg"), "w") as f:
        for user, password in USERS.items():
            f.write('$sht(users=>%s) = "%s";\n' % (user, password))
    proc = subprocess.Popen([kamailio, "-f", os.path.join(workdir, "kamailio.cfg"), "-DD", "-E",
                             "-Y", workdir, "-w", workdir, "-P", os.path.join(workdir, "kamailio.pid")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_tcp(port, proc):
        stop(proc)
        return None, None
    return proc, port


def gui_memory(floe):
    """The GTK app's peak RSS idle (one account registered) and in a call,
    by bench/gui-memory-probe.sh inside tests/ui-session.sh: (idle kB or
    None, call kB or None), with a note for what could not be measured."""
    gui = os.path.join(BUILDDIR, "ui", "floe")
    session = os.path.join(SRCDIR, "tests", "ui-session.sh")
    if not os.access(gui, os.X_OK):
        note("no GUI in this build (ui/floe not built): the GTK app was not measured")
        return None, None
    for tool in ("xvfb-run", "dbus-run-session", "gnome-keyring-daemon", "gdbus"):
        if not shutil.which(tool):
            note("%s is not installed: the GTK app was not measured" % tool)
            return None, None
    workdir = tempfile.mkdtemp(prefix="floe-bench-memory-")
    kam, kport = start_kamailio(workdir)
    if not kam:
        shutil.rmtree(workdir, ignore_errors=True)
        note("kamailio did not start: the GTK app was not measured")
        return None, None
    env = dict(os.environ, top_builddir=BUILDDIR, GUI=gui, FLOE=floe, KPORT=str(kport),
               BPORT=str(free_port()), ALICE_PW=USERS["alice"], BOB_PW=USERS["bob"])
    try:
        r = subprocess.run(["sh", session, "sh", os.path.join(HERE, "gui-memory-probe.sh")], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=180)
    finally:
        stop(kam)
        shutil.rmtree(workdir, ignore_errors=True)
    found = dict(line.split(None, 1) for line in r.stdout.splitlines() if " " in line)
    idle = int(found["idle"]) if found.get("idle", "").isdigit() else None
    call = int(found["call"]) if found.get("call", "").isdigit() else None
    if idle is None:
        note("the GTK app did not stay up under Xvfb: %s" % r.stderr.strip()[-300:])
    if found.get("answered") != "yes":
        note("the call to the GTK app was not answered: its in-call peak is not reported")
        call = None
    return idle, call


def main():
    out = out_dir()
    floe = program("floe")
    rows = []
    mapping_rows = []
    last_mappings = {}
    for i in range(REPEATS):
        idle, callee, caller, anon, ok, mappings = one_call(floe)
        now = int(time.time())
        rows.append({"unix_time": now, "what": "headless", "program": floe,
                     "repeat": i, "idle_hwm_kb": idle, "callee_call_hwm_kb": callee,
                     "caller_call_hwm_kb": caller, "caller_call_anon_kb": anon,
                     "call_ok": int(ok)})
        if ok and mappings:
            last_mappings = mappings
            mapping_rows += [{"unix_time": now, "program": floe, "repeat": i, "mapping": name,
                              "rss_kb": kb} for name, kb in sorted(mappings.items(), key=lambda m: -m[1])]
    gui, gui_call = gui_memory(floe)
    if gui is not None:
        rows.append({"unix_time": int(time.time()), "what": "gtk",
                     "program": os.path.join(BUILDDIR, "ui", "floe"), "repeat": 0,
                     "idle_hwm_kb": gui, "callee_call_hwm_kb": gui_call or "", "caller_call_hwm_kb": "",
                     "caller_call_anon_kb": "", "call_ok": int(gui_call is not None)})
    append_csv(os.path.join(out, "memory.csv"), rows)
    append_csv(os.path.join(out, "memory-mappings.csv"), mapping_rows)

    heads = [r for r in rows if r["what"] == "headless" and r["call_ok"]]
    idle = median([r["idle_hwm_kb"] for r in heads])
    in_call = median([max(r["callee_call_hwm_kb"] or 0, r["caller_call_hwm_kb"] or 0) for r in heads])
    anon = median([r["caller_call_anon_kb"] for r in heads])
    print("\nbench/memory: peak RSS (VmHWM), median of %d calls" % len(heads))
    if heads:
        print("  headless agent idle     %7.1f MB" % (idle / 1024))
        print("  headless agent in call  %7.1f MB  (target 15 MB: %s); its own (anonymous) pages %.1f MB,"
              " the rest is shared libraries" % (in_call / 1024, "met" if in_call < TARGET_KB else "NOT met",
                                                  anon / 1024))
        print("  program: %s" % floe)
        if last_mappings:
            top = sorted(last_mappings.items(), key=lambda m: -m[1])
            print("  the caller at its largest, kB by mapping (memory-mappings.csv has all):")
            for k in range(0, min(len(top), 16), 4):
                print("   " + "".join("  %-22s %5d" % (name[:22], kb) for name, kb in top[k:k + 4]))
    else:
        print("  no call completed: nothing measured in a call")
    if gui is not None:
        print("  GTK app idle            %7.1f MB" % (gui / 1024))
    if gui_call is not None:
        print("  GTK app in a call       %7.1f MB" % (gui_call / 1024))
    else:
        print("  GTK app in a call       not measured (see the notes above)")
    append_rows("summary.csv", [
        {"bench": "memory", "metric": "headless_idle_hwm_kb", "value": idle or ""},
        {"bench": "memory", "metric": "headless_in_call_hwm_kb", "value": in_call or ""},
        {"bench": "memory", "metric": "headless_in_call_anon_kb", "value": anon or ""},
        {"bench": "memory", "metric": "gtk_idle_hwm_kb", "value": gui or ""},
        {"bench": "memory", "metric": "gtk_in_call_hwm_kb", "value": gui_call or ""},
    ])
    return 0


if __name__ == "__main__":
    sys.exit(main())

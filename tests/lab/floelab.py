"""The NAT lab from Python: builds it with lab.sh, runs headless Floe agents
in its namespaces and reads back their JSON events.

Shared by the lab's call tests and `make demo`. Needs root.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SRCDIR = os.environ.get("top_srcdir") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILDDIR = os.environ.get("top_builddir") or os.getcwd()
LAB_SH = os.path.join(SRCDIR, "tests", "lab", "lab.sh")
SERVER = "203.0.113.10"
DOMAIN = SERVER
KINDS = ["open", "full-cone", "address-restricted", "port-restricted", "symmetric", "udp-blocked"]
# Exit statuses of `floe --headless` (src/floe-cli.h).
EXIT_NAMES = {0: "ok", 2: "usage", 3: "registration", 4: "call", 5: "ICE", 6: "no audio", 7: "expectation"}


def floe_program():
    for sub in ("ui", "src"):
        path = os.path.join(BUILDDIR, sub, "floe")
        if os.access(path, os.X_OK):
            return path
    sys.exit("lab: floe was not built in %s" % BUILDDIR)


class Lab:
    """One lab instance: its namespaces, servers and the processes in them.
    Use as a context manager; leaving it tears everything down."""

    def __init__(self):
        self.id = "fl%d" % os.getpid()
        self.dir = tempfile.mkdtemp(prefix="floe-lab.")
        self.env = dict(os.environ, LAB_ID=self.id, LAB_DIR=self.dir,
                        LAB_SRCDIR=os.path.join(SRCDIR, "tests", "lab"))
        self.kinds = {}
        self.procs = []
        self.lock = threading.Lock()
        self.keep = False
        self.closed = False

    def __enter__(self):
        # Interrupted (a runner's timeout, ^C): stop the agents at once, so
        # that the threads waiting on them return, then tear down and exit.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        return self

    def _on_signal(self, signum, frame):
        print("lab: interrupted, tearing down", file=sys.stderr, flush=True)
        self.down()
        sys.exit(128 + signum)

    def __exit__(self, *exc):
        self.down()
        return False

    def sh(self, *args):
        """Runs one lab.sh function."""
        r = subprocess.run(["sh", LAB_SH] + [str(a) for a in args], env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise RuntimeError("lab.sh %s failed:\n%s" % (" ".join(map(str, args)), r.stdout))
        return r.stdout

    def up(self):
        self.sh("lab_up")
        self.sh("lab_servers")
        with open(os.path.join(self.dir, "sip-secret")) as f:
            self.sip_secret = f.read().strip()
        with open(os.path.join(self.dir, "turn-secret")) as f:
            self.turn_secret = f.read().strip()

    def site(self, name, kind, n, delay_ms=None):
        self.sh("lab_site", name, kind, n, *([delay_ms] if delay_ms else []))
        self.kinds[name] = kind

    def host(self, site, name, i):
        self.sh("lab_host", site, name, i)
        self.kinds[name] = self.kinds[site]

    def ns(self, name):
        return "%s-%s" % (self.id, name)

    def spawn(self, host, argv, env=None, stdin=None):
        """Starts argv in host's namespace; stopped in down() if still running."""
        with self.lock:  # so that down() sees every process started
            if self.closed:
                raise RuntimeError("the lab is down")
            p = subprocess.Popen(["ip", "netns", "exec", self.ns(host)] + argv, stdin=stdin,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=env or os.environ)
            self.procs.append(p)
        return p

    def down(self):
        with self.lock:
            procs, self.procs = self.procs, []
            already, self.closed = self.closed, True
        if already:
            return
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        subprocess.run(["sh", LAB_SH, "lab_down"], env=self.env)
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    # ---- Floe agents

    def agent_args(self, host, user):
        """The flags of a headless agent on host, registered as user: STUN and
        TURN on the lab's server; over TCP where the site blocks UDP."""
        kind = self.kinds[host]
        tcp = kind == "udp-blocked"
        return [
            floe_program(), "--headless", "--json", "--interfaces", "eth0",
            "--account", "sip:%s@%s" % (user, DOMAIN), "--password-env", "FLOE_LAB_SIP",
            "--registrar", "sip:%s:5060%s" % (SERVER, ";transport=tcp" if tcp else ""),
            "--transport", "tcp" if tcp else "udp",
            "--stun", "%s:3478" % SERVER,
            "--turn", "turn:%s:3478?transport=%s" % (SERVER, "tcp" if tcp else "udp"),
            "--turn-user", "floe", "--turn-password-env", "FLOE_LAB_TURN",
        ]

    def agent_env(self):
        env = dict(os.environ, FLOE_LAB_SIP=self.sip_secret, FLOE_LAB_TURN=self.turn_secret)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        return env

    def agent(self, host, user, *args, control=False):
        """A headless agent; with control, it takes commands (Agent.command)."""
        return Agent(self, host, user, list(args) + (["--control"] if control else []), control)


class Agent:
    """A running headless Floe; its JSON events are collected as they come."""

    def __init__(self, lab, host, user, args, control=False):
        self.host, self.user = host, user
        self.events = []
        self.bad_lines = []
        self.cond = threading.Condition()
        self.proc = lab.spawn(host, lab.agent_args(host, user) + args, env=lab.agent_env(),
                              stdin=subprocess.PIPE if control else subprocess.DEVNULL)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.err = []
        self.err_reader = threading.Thread(target=self._read_err, daemon=True)
        self.err_reader.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                ev = json.loads(line)
            except json.JSONDecodeError:
                self.bad_lines.append(line)
                continue
            with self.cond:
                self.events.append(ev)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def _read_err(self):
        for line in self.proc.stderr:
            self.err.append(line)

    def wait_event(self, name, timeout):
        """The first event called name, or None when the agent exited or the
        time ran out first."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                ev = self.first(name)
                if ev is not None:
                    return ev
                left = end - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    return None
                self.cond.wait(min(left, 0.2))

    def finish(self, timeout):
        """Waits for the agent to exit (killing it after timeout); its status."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.err.append("(stopped by the lab after %d s)\n" % timeout)
        self.reader.join(5)
        self.err_reader.join(5)
        return self.proc.returncode

    def command(self, line):
        """Sends one control command; False when the agent has gone."""
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, ValueError, OSError):
            return False

    def first(self, name):
        return next((e for e in self.events if e.get("event") == name), None)

    def all(self, name):
        return [e for e in self.events if e.get("event") == name]

    def stderr(self):
        return "".join(self.err)


# ---- baresip, the far end for interop

def dominant_tone(path):
    """(frequency in Hz, RMS level) of a mono or stereo 16-bit WAV file's
    second half, where a call's audio has settled; (None, 0) when silent.
    Counts zero crossings: enough for the pure tones the lab sends."""
    import array
    import math
    import wave
    with wave.open(path) as w:
        rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        if width != 2:
            return None, 0.0
        samples = array.array("h", w.readframes(w.getnframes()))
    if sys.byteorder != "little":
        samples.byteswap()
    mono = samples[::channels]
    tail = mono[len(mono) // 2:]
    if len(tail) < rate // 4:
        return None, 0.0
    rms = math.sqrt(sum(s * s for s in tail) / len(tail))
    if rms < 300:
        return None, rms
    crossings = sum(1 for a, b in zip(tail, tail[1:]) if (a < 0) != (b < 0))
    return crossings * rate / (2.0 * len(tail)), rms


class Baresip:
    """Debian's baresip as a user agent in the lab: ICE with the lab's TURN
    server, SDES-SRTP, Opus; it sends a WAV tone (aufile) and dumps what it
    decodes to WAV files (sndfile)."""

    MODULES = ["opus", "g711", "aufile", "aubridge", "sndfile", "stun", "turn", "ice", "srtp"]

    def __init__(self, lab, host, user, tone_hz, dial=None, seconds=20):
        self.dir = os.path.join(lab.dir, "baresip-%s-%s" % (host, user))
        os.makedirs(self.dir)
        tone = os.path.join(self.dir, "tone.wav")
        # Stereo at 48 kHz: aufile hands its samples over unconverted, and
        # Opus runs baresip's audio source at 48000 Hz, two channels.
        subprocess.run(["sox", "-n", "-r", "48000", "-c", "2", "-b", "16", tone,
                        "synth", str(seconds + 10), "sine", str(tone_hz), "vol", "0.5"], check=True)
        missing = [m for m in self.MODULES
                   if not os.path.exists("/usr/lib/baresip/modules/%s.so" % m)]
        if missing:
            raise RuntimeError("Debian's baresip lacks the modules " + ", ".join(missing))
        config = [
            "poll_method epoll", "sip_listen 0.0.0.0:5070", "call_local_timeout 120",
            "audio_player aubridge,nil", "audio_alert aubridge,nil",
            "audio_source aufile,%s" % tone, "rtcp_mux yes", "jitter_buffer_delay 2-10",
            "net_interface eth0", "snd_path %s" % self.dir, "module_path /usr/lib/baresip/modules",
        ] + ["module %s.so" % m for m in self.MODULES] + [
            "module_tmp account.so", "module_app menu.so",
        ]
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write("\n".join(config) + "\n")
        account = ('<sip:%s@%s>;auth_pass=%s;outbound="sip:%s:5060";regint=300;'
                   'medianat=ice;mediaenc=srtp;stunserver="turn:%s:3478";stunuser=floe;stunpass=%s;'
                   'answermode=auto;audio_codecs=opus/48000/2,PCMU/8000'
                   % (user, DOMAIN, lab.sip_secret, SERVER, SERVER, lab.turn_secret))
        path = os.path.join(self.dir, "accounts")
        with open(path, "w") as f:
            f.write(account + "\n")
        os.chmod(path, 0o600)
        argv = ["baresip", "-4", "-f", self.dir, "-t", str(seconds)]
        if dial:
            argv += ["-e", "/dial %s" % dial]
        self.output = []
        self.cond = threading.Condition()
        self.proc = lab.spawn(host, argv, stdin=subprocess.DEVNULL)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.output.append(line)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_output(self, text, timeout):
        end = time.monotonic() + timeout
        with self.cond:
            while not any(text in line for line in self.output):
                left = end - time.monotonic()
                if left <= 0 or not self.reader.is_alive():
                    return False
                self.cond.wait(min(left, 0.2))
            return True

    def finish(self, timeout):
        """Waits for baresip to quit (or stops it after timeout seconds; 0:
        now, once its calls are over: it closes its files on SIGTERM)."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.reader.join(5)
        with open(os.path.join(self.dir, "baresip.log"), "w") as f:
            f.write(self.log())
        return self.proc.returncode

    def heard(self):
        """The tone in the audio baresip decoded: (Hz, RMS) of its dump."""
        dumps = [f for f in os.listdir(self.dir) if f.startswith("dump-") and f.endswith("-dec.wav")]
        best = (None, 0.0)
        for name in dumps:
            hz, rms = dominant_tone(os.path.join(self.dir, name))
            if rms > best[1]:
                best = (hz, rms)
        return best

    def log(self):
        return "".join(self.output)

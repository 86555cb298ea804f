"""What the bench/ scripts share: where programs and results live, free
ports, processes stopped by PID, and the summary CSV."""
import csv
import os
import socket
import statistics
import sys
import time

SRCDIR = os.environ.get("top_srcdir", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BUILDDIR = os.environ.get("top_builddir", SRCDIR)


def out_dir():
    """Results go to $BENCH_OUT, else the build tree's bench/."""
    d = os.environ.get("BENCH_OUT", os.path.join(BUILDDIR, "bench"))
    os.makedirs(d, exist_ok=True)
    return d


def program(name):
    """A program of the build tree: bench/NAME, or floe."""
    if name == "floe":
        for sub in ("ui", "src"):
            p = os.path.join(BUILDDIR, sub, "floe")
            if os.access(p, os.X_OK):
                return p
        sys.exit("floe was not built")
    p = os.path.join(BUILDDIR, "bench", name)
    if not os.access(p, os.X_OK):
        sys.exit("%s was not built (make -C bench)" % p)
    return p


def note(text):
    print("note: " + text, file=sys.stderr)


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


def stop(proc, timeout=10):
    """Stops a process this script started, by its PID."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except Exception:
            proc.kill()
            proc.wait()


def wait_tcp(port, proc, tries=200):
    for _ in range(tries):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            if proc.poll() is not None:
                return False
            time.sleep(0.05)
    return False


def median(values):
    v = [x for x in values if x is not None]
    return statistics.median(v) if v else None


def p90(values):
    """Nearest-rank 90th percentile."""
    v = sorted(x for x in values if x is not None)
    if not v:
        return None
    k = max(0, -(-9 * len(v) // 10) - 1)
    return v[k]


def append_csv(path, rows, fields=None):
    """Appends rows (dicts) to the CSV file at path, writing the header
    (fields, or the first row's keys) when the file is new."""
    if not rows:
        return
    fresh = not os.path.exists(path)
    with open(path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields or list(rows[0].keys()))
        if fresh:
            w.writeheader()
        w.writerows(rows)


def append_rows(name, rows):
    """Appends rows (dicts of bench, metric, value) to NAME in out_dir(),
    stamped with the time, writing the header to a new file."""
    now = int(time.time())
    append_csv(os.path.join(out_dir(), name), [dict(r, unix_time=now) for r in rows],
               ["unix_time", "bench", "metric", "value"])
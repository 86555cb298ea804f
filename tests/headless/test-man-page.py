#!/usr/bin/env python3
"""floe.1 and `floe --help` describe the same options."""
import os
import re
import subprocess
import sys

srcdir = os.environ.get("top_srcdir", ".")
builddir = os.environ.get("top_builddir", ".")
floe = next(p for p in (os.path.join(builddir, d, "floe") for d in ("ui", "src")) if os.access(p, os.X_OK))

help_text = subprocess.run([floe, "--headless", "--help"], capture_output=True, text=True, check=True).stdout
in_help = set(re.findall(r"--([a-z][a-z-]+)", help_text)) - {"help", "help-all", "help-floe"}
with open(os.path.join(srcdir, "src", "floe.1")) as f:
    man = f.read()
options_section = man[man.index(".SH OPTIONS"):man.index(".SH CONFIGURATION")]
# Option names in roff have escaped hyphens: \-\-ice\-policy.
in_man = set(re.findall(r"\\-\\-([a-z](?:[a-z]|\\-)*)", options_section))
in_man = {o.replace("\\-", "-") for o in in_man}

missing_in_man = sorted(in_help - in_man)
missing_in_help = sorted(in_man - in_help)
for o in missing_in_man:
    print("FAIL: --%s is in --help but not in floe.1" % o)
for o in missing_in_help:
    print("FAIL: --%s is in floe.1 but not in --help" % o)
print("%d options in both" % len(in_help & in_man))
sys.exit(1 if missing_in_man or missing_in_help else 0)

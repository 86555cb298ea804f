#!/bin/sh
# Runs inside tests/ui-session.sh (its temp HOME, keyfile GSettings, keyring,
# Xvfb), for bench/run-memory.py: gives the GTK app one account (in the
# keyfile, its password in the session's keyring), starts the app, reads
# its peak RSS idle, has a headless agent call it, answers through the
# app's "answer" action over D-Bus, and reads the peak in the call.
# Prints "idle KB", "call KB" and "answered yes|no".
# Environment: GUI, FLOE (programs), KPORT (Kamailio on 127.0.0.1), BPORT
# (the agent's SIP port), ALICE_PW, BOB_PW.
set -u

mkdir -p "$XDG_CONFIG_HOME/glib-2.0/settings"
cat >"$XDG_CONFIG_HOME/glib-2.0/settings/keyfile" <<KEYFILE
[org/floe/Floe]
accounts=['bench']
stun-server=''
turn-server=''
ice-interfaces='lo'

[org/floe/Floe/accounts/bench]
address='sip:alice@127.0.0.1'
registrar='sip:127.0.0.1:$KPORT'
KEYFILE

/usr/bin/python3 - <<'PY' || exit 99
import os
import gi
gi.require_version("Secret", "1")
from gi.repository import Secret
schema = Secret.Schema.new("org.floe.Floe.Secret", Secret.SchemaFlags.NONE,
                           {"kind": Secret.SchemaAttributeType.STRING,
                            "key": Secret.SchemaAttributeType.STRING})
Secret.password_store_sync(schema, {"kind": "sip-account", "key": "bench"},
                           Secret.COLLECTION_DEFAULT, "Floe bench", os.environ["ALICE_PW"], None)
PY

"$GUI" >"$FLOE_UI_TEST_ROOT/gui.log" 2>&1 &
gui=$!
sleep 5 # window shown, account registered
echo "idle $(awk '/^VmHWM/ {print $2}' /proc/$gui/status)"

"$FLOE" --headless --json --interfaces lo --listen "127.0.0.1:$BPORT" \
	--account sip:bob@127.0.0.1 --registrar "sip:127.0.0.1:$KPORT" --password-env BOB_PW \
	--call sip:alice@127.0.0.1 --play tone:440 --duration 8 >"$FLOE_UI_TEST_ROOT/bob.json" 2>&1 &
bob=$!
sleep 3 # ringing
gdbus call --session --dest org.floe.Floe --object-path /org/floe/Floe \
	--method org.gtk.Actions.Activate answer '[]' '{}' >/dev/null
sleep 5 # in the call
echo "call $(awk '/^VmHWM/ {print $2}' /proc/$gui/status)"
if grep -q '"event":"answered"' "$FLOE_UI_TEST_ROOT/bob.json"; then
	echo "answered yes"
else
	echo "answered no"
fi
wait $bob
kill $gui
wait $gui 2>/dev/null
exit 0

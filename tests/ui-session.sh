#!/bin/sh
# Runs a command inside a throwaway desktop session: temp HOME and XDG
# directories, GSettings in a keyfile there, a private D-Bus session bus
# with its own unlocked gnome-keyring (the Secret Service), and an Xvfb
# display. Nothing outside the temp directory is read or written.
#   ui-session.sh COMMAND [ARGS...]
set -u

: "${top_builddir:?top_builddir must be set (make check sets it)}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/floe-ui-test.XXXXXX") || exit 99
cleanup () { rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

mkdir -p "$tmp/home" "$tmp/config" "$tmp/data" "$tmp/cache" "$tmp/runtime"
chmod 700 "$tmp/runtime"
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data"
export XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/runtime"
export FLOE_UI_TEST_ROOT="$tmp"
# ALSA's null device as the default sound card: PortAudio opens real devices
# (microphone, speaker, the ringtone's output) whose clock runs, silently.
printf 'pcm.!default { type null }\n' >"$HOME/.asoundrc"
export GSETTINGS_BACKEND=keyfile GSETTINGS_SCHEMA_DIR="$top_builddir/data"
# Software rendering, no accessibility bus, no portal, no GVfs daemons: a
# bare X server.
export GDK_BACKEND=x11 GSK_RENDERER=cairo GTK_A11Y=none NO_AT_BRIDGE=1 GTK_USE_PORTAL=0 GIO_USE_VFS=local
export LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=
unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY

# Inside the bus: start the keyring (unlocked with a throwaway password, which
# creates a fresh login keyring in $XDG_DATA_HOME), wait until it owns the
# Secret Service name, run the command, then stop the keyring by its PID.
dbus-run-session -- sh -c '
	printf "floe-test" | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
	keyring=$!
	gdbus wait --session --timeout 30 org.freedesktop.secrets || { kill $keyring; exit 99; }
	xvfb-run -a -s "-screen 0 1280x1024x24 -nolisten tcp" "$@"
	rc=$?
	kill $keyring 2>/dev/null
	wait $keyring 2>/dev/null
	exit $rc
' sh "$@"

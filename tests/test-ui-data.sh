#!/bin/sh
# The desktop files: install the app into a temp DESTDIR, then check that
# every file the desktop needs is there and passes its own validator
# (desktop-file-validate, appstreamcli, glib-compile-schemas --strict,
# well-formed SVG icons, the GResource templates).
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"

fail () { echo "FAIL: $*" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/floe-ui-data.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

prefix=$(sed -n 's/^prefix = //p' "$top_builddir/data/Makefile")
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir/data" install DESTDIR="$tmp" >/dev/null
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir/ui" install-binPROGRAMS DESTDIR="$tmp" >/dev/null
root="$tmp$prefix"

for f in bin/floe \
	share/applications/org.floe.Floe.desktop \
	share/metainfo/org.floe.Floe.metainfo.xml \
	share/glib-2.0/schemas/org.floe.Floe.gschema.xml \
	share/icons/hicolor/scalable/apps/org.floe.Floe.svg \
	share/icons/hicolor/symbolic/apps/org.floe.Floe-symbolic.svg; do
	[ -s "$root/$f" ] || fail "make install did not install $f"
done
[ -x "$root/bin/floe" ] || fail "bin/floe is not executable"

desktop-file-validate "$root/share/applications/org.floe.Floe.desktop" ||
	fail "desktop-file-validate"
appstreamcli validate --no-net "$root/share/metainfo/org.floe.Floe.metainfo.xml" ||
	fail "appstreamcli validate"
glib-compile-schemas --strict --targetdir="$tmp" "$root/share/glib-2.0/schemas" ||
	fail "glib-compile-schemas --strict"
[ -s "$tmp/gschemas.compiled" ] || fail "no gschemas.compiled"

# The desktop entry launches the installed program and names the icon that
# was installed; the metainfo names the desktop entry.
grep -qx 'Exec=floe %u' "$root/share/applications/org.floe.Floe.desktop" || fail "Exec line"
grep -qx 'Icon=org.floe.Floe' "$root/share/applications/org.floe.Floe.desktop" || fail "Icon line"
grep -q '<launchable type="desktop-id">org.floe.Floe.desktop</launchable>' \
	"$root/share/metainfo/org.floe.Floe.metainfo.xml" || fail "metainfo launchable"
# Translations reached both files.
grep -q '^Comment\[fr\]=' "$root/share/applications/org.floe.Floe.desktop" ||
	fail "the desktop file has no French comment"
grep -q 'xml:lang="fr"' "$root/share/metainfo/org.floe.Floe.metainfo.xml" ||
	fail "the metainfo has no French text"

for svg in "$root"/share/icons/hicolor/*/apps/*.svg; do
	xmllint --noout "$svg" || fail "$svg is not well-formed"
done
grep -q 'viewBox="0 0 16 16"' "$root/share/icons/hicolor/symbolic/apps/org.floe.Floe-symbolic.svg" ||
	fail "the symbolic icon is not 16x16"

for ui in "$top_srcdir"/ui/*.ui; do
	xmllint --noout "$ui" || fail "$ui is not well-formed"
done

# The installed program's headless front end starts without a display.
env -u DISPLAY -u WAYLAND_DISPLAY "$root/bin/floe" --headless --version | grep -q '^Floe/' ||
	fail "floe --headless --version"
echo "ok: installed files present and valid"

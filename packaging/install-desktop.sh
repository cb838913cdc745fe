#!/bin/sh
# Install hpdesk for the current user as a desktop app: the .desktop entry, the AppStream
# metainfo and the icons, under ${XDG_DATA_HOME:-~/.local/share}. Run by `make install-desktop`.
#
# Usage: packaging/install-desktop.sh [--exec PROGRAM] [--uninstall]
#   --exec PROGRAM  what the menu entry starts (default: `hpdesk` found on PATH); from a checkout
#                   the Makefile passes the venv's hpdesk by absolute path, because a menu does
#                   not see a shell's activated venv.
#   --uninstall     remove what an earlier run installed.
set -eu

APP_ID=io.github.hpdesk.Hpdesk
SIZES="16 32 48 64 128 256"
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
ICONS="$ROOT/resources/icons"
if [ -d "$ROOT/hpdesk/resources/icons" ]; then
    ICONS="$ROOT/hpdesk/resources/icons"  # resources/ moved inside the package
fi

program=""
uninstall=0
while [ $# -gt 0 ]; do
    case "$1" in
        --exec) program=${2:?--exec needs a program}; shift 2 ;;
        --uninstall) uninstall=1; shift ;;
        *) echo "install-desktop: unknown argument $1" >&2; exit 2 ;;
    esac
done

refresh() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$DATA/applications" 2>/dev/null || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t -f "$DATA/icons/hicolor" 2>/dev/null || true
    fi
}

if [ "$uninstall" = 1 ]; then
    rm -f "$DATA/applications/$APP_ID.desktop" "$DATA/metainfo/$APP_ID.metainfo.xml" \
          "$DATA/icons/hicolor/scalable/apps/$APP_ID.svg"
    for s in $SIZES; do
        rm -f "$DATA/icons/hicolor/${s}x${s}/apps/$APP_ID.png"
    done
    refresh
    echo "install-desktop: removed $APP_ID from $DATA"
    exit 0
fi

if [ -z "$program" ]; then
    program=$(command -v hpdesk || true)
    if [ -z "$program" ]; then
        echo "install-desktop: hpdesk is not on PATH; pass --exec /path/to/hpdesk" >&2
        exit 1
    fi
fi
case "$program" in
    /*) ;;
    *) program="$(cd "$(dirname "$program")" && pwd)/$(basename "$program")" ;;
esac
if [ ! -x "$program" ]; then
    echo "install-desktop: $program is not an executable" >&2
    exit 1
fi

# The Exec key (desktop entry spec): an argument holding a space or a reserved character goes in
# double quotes with a backslash before each of "`$\, a literal % is written %%, and the key's
# own string escaping then doubles every backslash.
exec_quoted=$(printf '%s' "$program" | sed -e 's/[\\"`$]/\\&/g' -e 's/%/%%/g')
case "$program" in
    *[[:space:]\"\`\$\\\'\<\>\~\|\&\;\*\?\#\(\)]*) exec_quoted="\"$exec_quoted\"" ;;
esac
exec_value=$(printf '%s' "$exec_quoted" | sed -e 's/\\/\\\\/g')
tryexec_value=$(printf '%s' "$program" | sed -e 's/\\/\\\\/g')

mkdir -p "$DATA/applications" "$DATA/metainfo" "$DATA/icons/hicolor/scalable/apps"
desktop_tmp="$DATA/applications/.$APP_ID.desktop.tmp"
EXEC_VALUE="$exec_value" TRYEXEC_VALUE="$tryexec_value" awk '
    /^Exec=/    { sub(/^Exec=[^ ]*/, ""); print "Exec=" ENVIRON["EXEC_VALUE"] $0; next }
    /^TryExec=/ { print "TryExec=" ENVIRON["TRYEXEC_VALUE"]; next }
    { print }
' "$HERE/$APP_ID.desktop" > "$desktop_tmp"
mv "$desktop_tmp" "$DATA/applications/$APP_ID.desktop"
cp "$HERE/$APP_ID.metainfo.xml" "$DATA/metainfo/$APP_ID.metainfo.xml"
cp "$ICONS/hpdesk.svg" "$DATA/icons/hicolor/scalable/apps/$APP_ID.svg"
for s in $SIZES; do
    mkdir -p "$DATA/icons/hicolor/${s}x${s}/apps"
    cp "$ICONS/$APP_ID-$s.png" "$DATA/icons/hicolor/${s}x${s}/apps/$APP_ID.png"
done
refresh
echo "install-desktop: installed $APP_ID into $DATA (Exec: $program)"

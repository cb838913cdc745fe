#!/bin/sh
# System packages that the tests and screenshots need and pip cannot install: an X server for
# real windows (xvfb-run), the xcb libraries Qt's xcb platform plugin loads (PLATFORM.md), a
# Chinese font for zh_CN screenshots, and the validators for the .desktop entry and AppStream
# metainfo. Idempotent and quiet: installs only what is missing, with apt, as root.
# Not root, or no apt: says what it would install and exits 0, so `make test` still runs (the
# tests that need these tools skip and say why). A failed install warns and exits 0 for the same
# reason; set HPDESK_SYSTEM_DEPS_STRICT=1 to make it fail instead.
# Usage: scripts/system-deps.sh [--list]   (--list: print the package names and exit)
set -u

PACKAGES="
xvfb xauth
libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0 libxcb-render-util0 libxcb-randr0
libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 libxcb-sync1 libxcb-shm0 libxcb-render0 libxcb-glx0
libxcb-util1 libxkbcommon0 libxkbcommon-x11-0 libx11-6 libx11-xcb1 libegl1 libgl1
libfontconfig1 libfreetype6
fonts-wqy-microhei
desktop-file-utils appstream
"

if [ "${1:-}" = "--list" ]; then
    for p in $PACKAGES; do echo "$p"; done
    exit 0
fi

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
    for p in $PACKAGES; do
        installed "$p" || missing="$missing $p"
    done
else
    missing=$(echo $PACKAGES)
fi

if [ -z "$missing" ]; then
    exit 0
fi

give_up() {
    echo "system-deps: $1; the tests that need these packages will skip." >&2
    echo "system-deps: to install them: apt-get install -y --no-install-recommends$missing" >&2
    if [ "${HPDESK_SYSTEM_DEPS_STRICT:-0}" = "1" ]; then
        exit 1
    fi
    exit 0
}

if ! command -v apt-get >/dev/null 2>&1; then
    give_up "apt-get not found"
fi
if [ "$(id -u)" != "0" ]; then
    give_up "not root, not installing"
fi

echo "system-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || give_up "apt-get update failed"
# shellcheck disable=SC2086  # word splitting of the package list is intended
apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 \
    || give_up "apt-get install failed"
exit 0

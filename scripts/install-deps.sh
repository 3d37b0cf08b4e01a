#!/usr/bin/env bash
# Install everything needed to fetch, build and test the patched QEMU on
# Debian 12 (bookworm). Idempotent: checks first, as any user, and does
# only what is missing; it needs root (or sudo) only when something is.
#   usage: install-deps.sh [--fuzz] [--docs] [--xen]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/config.sh"

die() { echo "install-deps: $*" >&2; exit 1; }

# --fuzz, --docs, --xen: what those builds and make xen need too
for opt in "$@"; do
    case "$opt" in
        --fuzz) BUILD_DEPS="$BUILD_DEPS $FUZZ_DEPS" ;;
        --docs) BUILD_DEPS="$BUILD_DEPS $DOCS_DEPS" ;;
        --xen) BUILD_DEPS="$BUILD_DEPS $XEN_DEPS" ;;
        *) die "unknown option $opt" ;;
    esac
done

[ -r /etc/debian_version ] || die "this harness expects Debian 12 (bookworm)"

installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}
# (no grep -q after a pipe here: with pipefail, the writer's SIGPIPE when
# grep stops reading early would count as "not found")

# 1. What is missing (no root needed to find out)
missing=() missing_bpo=()
for p in $BUILD_DEPS; do
    installed "$p" || missing+=("$p")
done
for p in $BACKPORT_DEPS; do
    installed "$p" || missing_bpo+=("$p")
done
# bookworm's own meson is too old: the package must be the backport's
if installed meson &&
   ! dpkg --compare-versions "$(dpkg-query -W -f='${Version}' meson)" ge "$MESON_MIN"; then
    missing_bpo+=("meson (>= $MESON_MIN)")
fi
# The pinned QEMU source package, unless downloaded already, comes from a
# deb-src entry (scripts/fetch-qemu.sh runs apt-get source)
need_src=
if [ ! -f "$top/$WORK_DIR/dl/qemu_${QEMU_DEBIAN_VERSION#*:}.dsc" ] &&
   ! apt-cache showsrc qemu 2>/dev/null | grep -xF "Version: $QEMU_DEBIAN_VERSION" >/dev/null; then
    need_src=1
fi

if [ ${#missing[@]} -eq 0 ] && [ ${#missing_bpo[@]} -eq 0 ] && [ -z "$need_src" ]; then
    exit 0
fi

what="${missing[*]} ${missing_bpo[*]}"
what=${what# }
what=${what% }
[ -n "$need_src" ] &&
    what="${what:+$what, }a deb-src entry for $QEMU_DEBIAN_PKG (Debian $QEMU_DEBIAN_SUITE)"
echo "install-deps: missing: $what"

# 2. Only now: root, or sudo for each command that changes the system
SUDO=()
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null ||
        die "installing that needs root: run scripts/install-deps.sh as root (or install sudo)"
    SUDO=(sudo)
fi
apt_get() { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "$@"; }

list=/etc/apt/sources.list.d/xen-platform-harness.sources
want=$(cat <<SRC
Types: deb-src
URIs: $DEBIAN_MIRROR
Suites: $QEMU_DEBIAN_SUITES
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $DEBIAN_MIRROR
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
)
need_update=
if [ ! -f "$list" ] || [ "$(cat "$list")" != "$want" ]; then
    echo "install-deps: adding apt sources (deb-src for $QEMU_DEBIAN_SUITES, bookworm-backports)"
    printf '%s\n' "$want" | "${SUDO[@]}" tee "$list" >/dev/null
    need_update=1
fi
if [ -n "$need_update" ] || [ -n "$need_src" ] ||
   ! apt-cache policy 2>/dev/null | grep bookworm-backports >/dev/null; then
    apt_get update -q
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    apt_get install -y -q --no-install-recommends "${missing[@]}"
fi
if [ ${#missing_bpo[@]} -gt 0 ]; then
    echo "install-deps: installing $BACKPORT_DEPS from bookworm-backports"
    apt_get install -y -q --no-install-recommends -t bookworm-backports $BACKPORT_DEPS
fi

#!/usr/bin/env bash
# Install everything needed to fetch, build and test the patched QEMU on
# Debian 12 (bookworm). Idempotent: does nothing that is already done.
set -euo pipefail

. "$(dirname "$0")/config.sh"

die() { echo "install-deps: $*" >&2; exit 1; }

# install-deps.sh [--fuzz] [--docs]: what those builds need too
for opt in "$@"; do
    case "$opt" in
        --fuzz) BUILD_DEPS="$BUILD_DEPS $FUZZ_DEPS" ;;
        --docs) BUILD_DEPS="$BUILD_DEPS $DOCS_DEPS" ;;
        *) die "unknown option $opt" ;;
    esac
done

[ -r /etc/debian_version ] || die "this harness expects Debian 12 (bookworm)"

SUDO=
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "run as root or install sudo"
    SUDO=sudo
fi

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
    printf '%s\n' "$want" | $SUDO tee "$list" >/dev/null
    need_update=1
fi

missing=()
for p in $BUILD_DEPS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$p")
done
for p in $BACKPORT_DEPS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$p")
done
meson_ok=
if command -v meson >/dev/null &&
   dpkg --compare-versions "$(meson --version)" ge "$MESON_MIN"; then
    meson_ok=1
fi

if [ ${#missing[@]} -eq 0 ] && [ -n "$meson_ok" ] && [ -z "$need_update" ]; then
    exit 0
fi

if [ -n "$need_update" ] || [ ! -d /var/lib/apt/lists ] ||
   ! apt-cache policy 2>/dev/null | grep -q bookworm-backports; then
    $SUDO apt-get update -q
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]:-meson}"
$SUDO apt-get install -y -q --no-install-recommends $BUILD_DEPS
$SUDO apt-get install -y -q --no-install-recommends -t bookworm-backports $BACKPORT_DEPS

#!/usr/bin/env bash
# Download Debian's qemu source package (once) and unpack it, with Debian's
# own patches applied, into a pristine tree. Prints the exact version and the
# sha256 of the upstream tarball.
#   usage: fetch-qemu.sh DEST
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/config.sh"
dest=${1:?usage: fetch-qemu.sh DEST}

dl="$WORK_DIR/dl"
mkdir -p "$dl"
dsc=$(ls "$dl"/qemu_*.dsc 2>/dev/null | tail -n 1 || true)
if [ -z "$dsc" ]; then
    echo "fetch-qemu: downloading $QEMU_DEBIAN_PKG source package"
    (cd "$dl" && apt-get source --download-only "$QEMU_DEBIAN_PKG" >/dev/null 2>&1) || {
        echo "fetch-qemu: 'apt-get source $QEMU_DEBIAN_PKG' failed;" \
             "run scripts/install-deps.sh (it adds the deb-src entry)" >&2
        exit 1
    }
    dsc=$(ls "$dl"/qemu_*.dsc | tail -n 1)
fi
version=$(sed -n "s/^Version: //p" "$dsc")
upstream=${version#*:}
case "$upstream" in
    "$QEMU_UPSTREAM_SERIES".*) ;;
    *) echo "fetch-qemu: $dsc is $version, not QEMU $QEMU_UPSTREAM_SERIES.x" >&2; exit 1 ;;
esac
orig=$(ls "$dl"/qemu_*.orig.tar.* | tail -n 1)
echo "fetch-qemu: qemu $version, $(basename "$orig") sha256 $(sha256sum "$orig" | cut -d' ' -f1)"

if [ ! -f "$dest/VERSION" ]; then
    rm -rf "$dest"
    echo "fetch-qemu: unpacking into $dest (dpkg-source -x applies Debian's patches)"
    dpkg-source -x "$dsc" "$dest" >"$WORK_DIR/dpkg-source.log" 2>&1 || {
        cat "$WORK_DIR/dpkg-source.log" >&2; exit 1; }
    rm -rf "$dest/.pc"
fi

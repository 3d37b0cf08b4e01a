#!/usr/bin/env bash
# Download the base's pinned Debian qemu source package (once) and unpack
# it, with Debian's own patches applied, into a pristine tree. Prints the
# exact version and the sha256 of the upstream tarball, which must match
# the pinned one. Every step is atomic: a download or unpack that is
# interrupted leaves nothing a rerun would take for finished.
#   usage: fetch-qemu.sh DEST
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/config.sh"
dest=${1:?usage: fetch-qemu.sh DEST}

die() { echo "fetch-qemu: $*" >&2; exit 1; }

upstream=${QEMU_DEBIAN_VERSION#*:}
dsc_name="qemu_$upstream.dsc"
dl="$WORK_DIR/dl"
mkdir -p "$dl"
if [ ! -f "$dl/$dsc_name" ]; then
    echo "fetch-qemu: downloading $QEMU_DEBIAN_PKG (Debian $QEMU_DEBIAN_SUITE)"
    tmp="$dl/.partial"
    rm -rf "$tmp"; mkdir -p "$tmp"
    if ! (cd "$tmp" && apt-get source --download-only "$QEMU_DEBIAN_PKG") \
            > "$dl/apt-get-source.log" 2>&1; then
        sed 's/^/  | /' "$dl/apt-get-source.log" >&2
        die "'apt-get source --download-only $QEMU_DEBIAN_PKG' failed (output above).
  If apt cannot find that version, Debian no longer serves it: set
  QEMU_DEBIAN_VERSION and QEMU_ORIG_SHA256 for BASE=$BASE in scripts/config.sh.
  Otherwise check the network and run scripts/install-deps.sh (it adds the
  deb-src entry), then rerun."
    fi
    # apt-get source checks every file against the signed .dsc
    mv "$tmp"/qemu_* "$dl"/
    rmdir "$tmp"
fi
dsc="$dl/$dsc_name"
version=$(sed -n "s/^Version: //p" "$dsc")
[ "$version" = "$QEMU_DEBIAN_VERSION" ] ||
    die "$dsc is version $version, the pin is $QEMU_DEBIAN_VERSION; remove $dl and rerun"
orig=$(ls "$dl"/qemu_"${upstream%-*}".orig.tar.* 2>/dev/null | head -n 1)
[ -n "$orig" ] || die "no upstream tarball beside $dsc; remove $dl and rerun"
sum=$(sha256sum "$orig" | cut -d' ' -f1)
[ "$sum" = "$QEMU_ORIG_SHA256" ] ||
    die "$(basename "$orig") has sha256 $sum, the pin is $QEMU_ORIG_SHA256;
  remove $dl and rerun (or, for a new pin, set QEMU_ORIG_SHA256 in scripts/config.sh)"
echo "fetch-qemu: qemu $version, $(basename "$orig") sha256 $sum (pinned)"

# $dest appears in one rename, complete
if [ ! -f "$dest/VERSION" ]; then
    rm -rf "$dest" "$dest.partial"
    echo "fetch-qemu: unpacking into $dest (dpkg-source -x applies Debian's patches)"
    dpkg-source -x "$dsc" "$dest.partial" >"$WORK_DIR/dpkg-source.log" 2>&1 || {
        sed 's/^/  | /' "$WORK_DIR/dpkg-source.log" >&2
        rm -rf "$dest.partial"
        die "dpkg-source -x $dsc failed (output above); remove $dl and rerun"; }
    rm -rf "$dest.partial/.pc"
    case "$(cat "$dest.partial/VERSION")" in
        "$QEMU_UPSTREAM_SERIES".*) ;;
        *) die "$dsc unpacks to QEMU $(cat "$dest.partial/VERSION"), not $QEMU_UPSTREAM_SERIES.x" ;;
    esac
    mv "$dest.partial" "$dest"
fi

#!/usr/bin/env bash
# Download the base's pinned Debian qemu source package (once) and unpack
# it, with Debian's own patches applied, into a pristine tree. Prints the
# exact version and the sha256 of the upstream tarball, which must match
# the pinned one. Every step is atomic: a download or unpack that is
# interrupted leaves nothing a rerun would take for finished, and a
# download found incomplete or damaged later is downloaded again.
#   usage: fetch-qemu.sh DEST
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/config.sh"
dest=${1:?usage: fetch-qemu.sh DEST}

die() { echo "fetch-qemu: $*" >&2; exit 1; }

upstream=${QEMU_DEBIAN_VERSION#*:}
dsc_name="qemu_$upstream.dsc"
dl="$WORK_DIR/dl"

# complete DIR: DIR holds the pinned source package, whole: the .dsc of the
# pinned version, every file it lists with its size and sha256, the
# upstream tarball among them with the pinned sha256. If not, prints why.
complete() {
    local d=$1 version sum size name have orig=
    [ -f "$d/$dsc_name" ] || { echo "$dsc_name is missing"; return 1; }
    version=$(sed -n 's/^Version: //p' "$d/$dsc_name")
    [ "$version" = "$QEMU_DEBIAN_VERSION" ] || {
        echo "$dsc_name is version ${version:-(none)}, the pin is $QEMU_DEBIAN_VERSION"
        return 1; }
    while read -r sum size name; do
        [ -f "$d/$name" ] || { echo "$name is missing"; return 1; }
        have=$(stat -c %s "$d/$name")
        [ "$have" = "$size" ] || {
            echo "$name has $have bytes, its .dsc says $size"; return 1; }
        [ "$(sha256sum < "$d/$name" | cut -d' ' -f1)" = "$sum" ] || {
            echo "$name does not have the sha256 its .dsc gives"; return 1; }
        case "$name" in *.orig.tar.*) orig=$name ;; esac
        [ "$name" != "$orig" ] || [ "$sum" = "$QEMU_ORIG_SHA256" ] || {
            echo "$name has sha256 $sum, the pin is $QEMU_ORIG_SHA256"; return 1; }
    done < <(sed -n '/^Checksums-Sha256:/,/^[^ ]/{/^ /p}' "$d/$dsc_name")
    [ -n "$orig" ] || { echo "$dsc_name names no upstream tarball"; return 1; }
}

# The download is made under a temporary name and checked there; its
# .dsc, moved last, marks a download as finished. A finished download
# found incomplete or damaged is downloaded again.
if ! why=$(complete "$dl"); then
    if [ -f "$dl/$dsc_name" ]; then
        echo "fetch-qemu: the download in $dl is incomplete or damaged ($why);"
        echo "  downloading it again"
        rm -f "$dl/$dsc_name"
    fi
    echo "fetch-qemu: downloading $QEMU_DEBIAN_PKG (Debian $QEMU_DEBIAN_SUITE)"
    tmp="$dl/.partial"
    rm -rf "$tmp"; mkdir -p "$tmp"
    if ! (cd "$tmp" && apt-get source --download-only "$QEMU_DEBIAN_PKG") \
            > "$dl/apt-get-source.log" 2>&1; then
        sed 's/^/  | /' "$dl/apt-get-source.log" >&2
        rm -rf "$tmp"
        die "'apt-get source --download-only $QEMU_DEBIAN_PKG' failed (output above).
  If apt cannot find that version, Debian no longer serves it: set
  QEMU_DEBIAN_VERSION and QEMU_ORIG_SHA256 for BASE=$BASE in scripts/config.sh.
  Otherwise check the network and run scripts/install-deps.sh (it adds the
  deb-src entry), then rerun."
    fi
    why=$(complete "$tmp") || {
        rm -rf "$tmp"
        die "the download is not the pinned package: $why.
  Nothing was kept; rerun to download it again. If Debian now serves
  another tarball for $QEMU_DEBIAN_VERSION, set QEMU_ORIG_SHA256 for
  BASE=$BASE in scripts/config.sh to its sha256."; }
    for f in "$tmp"/*; do
        [ "$f" = "$tmp/$dsc_name" ] || mv -f "$f" "$dl"/
    done
    mv -f "$tmp/$dsc_name" "$dl"/
    rmdir "$tmp"
fi
dsc="$dl/$dsc_name"
version=$(sed -n "s/^Version: //p" "$dsc")
orig=$(sed -n '/^Checksums-Sha256:/,/^[^ ]/{/^ /p}' "$dsc" | awk '$3 ~ /\.orig\.tar\./ { print $3 }')
echo "fetch-qemu: qemu $version, $orig sha256 $QEMU_ORIG_SHA256 (pinned)"

# $dest appears in one rename, complete
if [ ! -f "$dest/VERSION" ]; then
    rm -rf "$dest" "$dest.partial"
    echo "fetch-qemu: unpacking into $dest (dpkg-source -x applies Debian's patches)"
    dpkg-source -x --no-copy "$dsc" "$dest.partial" >"$WORK_DIR/dpkg-source.log" 2>&1 || {
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

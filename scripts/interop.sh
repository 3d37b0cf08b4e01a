#!/bin/bash
# make interop: the Xen platform device against the real Linux unplug client
# (arch/x86/xen/platform-pci-unplug.c from Debian's linux-source-6.1 and
# linux-source-6.12, compiled unmodified) and Xen's real xenstored and
# oxenstored (xen-utils-4.17) with the real xenstore-utils CLI.
# See tests/interop/README. Uses $BUILD_DIR/qemu-system-x86_64 as built by
# make; builds only the small test programs (in $WORK_DIR/interop).
# Prints "ok - ..."/"not ok - ..." per case and "N passed, N failed[, N
# skipped]"; exits non-zero on any failure.
set -euo pipefail

cd "$(dirname "$0")/.."
TOP=$PWD
. scripts/config.sh

die() { echo "interop: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

QEMU=$TOP/$BUILD_DIR/qemu-system-x86_64
[ -x "$QEMU" ] || die "$QEMU is missing: run make first"
OUT=$TOP/$WORK_DIR/interop
mkdir -p "$OUT"

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
KERNELS="6.1 6.12"
XEN_BIN=/usr/lib/xen-4.17/bin

# --- packages ---------------------------------------------------------------
installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}
candidate() {
    apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p'
}
want="xen-utils-4.17 xenstore-utils build-essential python3 xz-utils"
for k in $KERNELS; do want="$want linux-source-$k linux-config-$k"; done
missing=
for p in $want; do installed "$p" || missing="$missing $p"; done
if [ -n "$missing" ]; then
    [ -d /var/lib/apt/lists ] && [ -n "$(candidate xen-utils-4.17)" ] ||
        $SUDO apt-get update -q
    export DEBIAN_FRONTEND=noninteractive
    avail=
    for p in $missing; do
        c=$(candidate "$p")
        if [ -n "$c" ] && [ "$c" != "(none)" ]; then
            avail="$avail $p"
        else
            echo "interop: Debian serves no $p here" >&2
        fi
    done
    echo "interop: installing$avail" >&2
    # shellcheck disable=SC2086
    [ -z "$avail" ] || $SUDO apt-get install -y -q --no-install-recommends $avail >&2
fi

# --- the Linux client, per kernel -------------------------------------------
SHIM=$TOP/tests/interop/shim
GINC="-nostdinc -isystem $(gcc -print-file-name=include)"
CFLAGS_COMMON="-O2 -Wall -fno-builtin -fno-stack-protector -fno-asynchronous-unwind-tables"
CLIENTS=
for k in $KERNELS; do
    if ! installed "linux-source-$k"; then
        echo "interop: linux-source-$k not installed: its cases are not run" >&2
        continue
    fi
    ver=$(dpkg-query -W -f='${Version}' "linux-source-$k")
    src=$OUT/linux-$k-$ver
    if [ ! -f "$src/.extracted" ]; then
        rm -rf "$OUT/linux-$k-"*
        mkdir -p "$src"
        # Only the client's files (and its call sites, for reference)
        tar -xJf "/usr/src/linux-source-$k.tar.xz" -C "$src" \
            --strip-components=1 \
            "linux-source-$k/arch/x86/xen/platform-pci-unplug.c" \
            "linux-source-$k/arch/x86/xen/enlighten_hvm.c" \
            "linux-source-$k/arch/x86/xen/suspend_hvm.c" \
            "linux-source-$k/include/xen/platform_pci.h"
        touch "$src/.extracted"
    fi
    # The kernel's call sites the shim reproduces
    grep -q 'xen_unplug_emulated_devices();' "$src/arch/x86/xen/enlighten_hvm.c" ||
        die "linux $k: xen_hvm_guest_init() no longer calls xen_unplug_emulated_devices()"
    # Debian's amd64 configuration decides the default unplug mask
    cfgxz=/usr/src/linux-config-$k/config.amd64_none_amd64.xz
    [ -r "$cfgxz" ] || die "$cfgxz is missing (package linux-config-$k)"
    conf() { xzcat "$cfgxz" | sed -n "s/^CONFIG_$1=//p"; }
    pvhvm=$(conf XEN_PVHVM); blk=$(conf XEN_BLKDEV_FRONTEND); net=$(conf XEN_NETDEV_FRONTEND)
    defs="-DKBUILD_MODNAME=\"platform_pci_unplug\""
    [ "$pvhvm" = y ] && defs="$defs -DCONFIG_XEN_PVHVM=1"
    case "$blk" in y) defs="$defs -DCONFIG_XEN_BLKDEV_FRONTEND=1" ;;
                   m) defs="$defs -DCONFIG_XEN_BLKDEV_FRONTEND_MODULE=1" ;; esac
    case "$net" in y) defs="$defs -DCONFIG_XEN_NETDEV_FRONTEND=1" ;;
                   m) defs="$defs -DCONFIG_XEN_NETDEV_FRONTEND_MODULE=1" ;; esac
    b=$OUT/client-$k
    mkdir -p "$b"
    printf 'VERSION=%s\nPVHVM=%s\nBLKFRONT=%s\nNETFRONT=%s\n' \
        "$ver" "$pvhvm" "$blk" "$net" > "$b/config"
    inc="-I$SHIM/include -I$src/include"
    unplug=$src/arch/x86/xen/platform-pci-unplug.c
    # The guest image: 32-bit, freestanding, flat 64 KiB ROM for -bios
    g="-m32 -march=i686 -ffreestanding -fno-pic -fno-pie $GINC $CFLAGS_COMMON $inc"
    # shellcheck disable=SC2086
    {
        gcc $g $defs -c "$unplug" -o "$b/unplug.o"
        gcc $g -c "$SHIM/common.c" -o "$b/common.o"
        gcc $g -c "$SHIM/guest.c" -o "$b/guest.o"
        gcc -m32 -c "$SHIM/start.S" -o "$b/start.o"
        ld -m elf_i386 -T "$SHIM/guest.ld" -nostdlib -o "$b/guest.elf" \
            "$b/start.o" "$b/guest.o" "$b/common.o" "$b/unplug.o"
        objcopy -O binary "$b/guest.elf" "$b/guest.bin"
        # The host program: the same file, port I/O over the qtest protocol
        gcc $CFLAGS_COMMON $inc $defs "$unplug" "$SHIM/common.c" "$SHIM/host.c" \
            -o "$b/host-driver"
    } || die "building the linux $k client failed"
    [ "$(stat -c %s "$b/guest.bin")" = 65536 ] || die "$b/guest.bin is not 64 KiB"
    CLIENTS="$CLIENTS $k=$b"
    echo "# linux $k client: $(tr '\n' ' ' < "$b/config")(Debian amd64 config)," \
        "platform-pci-unplug.c sha256 $(sha256sum < "$unplug" | cut -c1-16)"
done
[ -n "$CLIENTS" ] || die "no linux-source package is installed"

# --- the daemons' preload library -------------------------------------------
gcc -shared -fPIC -O2 -Wall -o "$OUT/xsd-preload.so" \
    tests/interop/xsd-preload.c -ldl || die "building xsd-preload.so failed"

# --- run ----------------------------------------------------------------------
echo "# QEMU: $QEMU"
for p in linux-source-6.1 linux-source-6.12 xen-utils-4.17 xenstore-utils; do
    installed "$p" && echo "# $p $(dpkg-query -W -f='${Version}' "$p")"
done
pids=
trap 'for p in $pids; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done' EXIT
INTEROP_QEMU=$QEMU INTEROP_DIR=$OUT INTEROP_CLIENTS="${CLIENTS# }" \
INTEROP_PRELOAD=$OUT/xsd-preload.so \
INTEROP_XENSTORED=$XEN_BIN/xenstored INTEROP_OXENSTORED=$XEN_BIN/oxenstored \
    /usr/bin/python3 tests/interop/interop.py &
pids=$!
rc=0
wait "$pids" || rc=$?
pids=
exit $rc

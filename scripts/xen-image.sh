#!/usr/bin/env bash
# make xen, part 1: the dom0 image, built from Debian's packages on first
# use and cached in work/xen/dom0-KEY (KEY: a hash of this script, so that
# a change of the package list builds a new one). Prints that folder:
#   xen          Xen, gunzipped (QEMU's multiboot -kernel takes ELF32)
#   vmlinuz, initrd.img   dom0's kernel and initramfs (also the guests')
#   disk.img     dom0's root, ext4, booted read-only (snapshot=on)
#   versions     what went in
# Built under a temporary name and published with one rename: a killed
# build leaves only a *.tmp folder, which the next run removes.
# Needs root (debootstrap, chroot): asks for sudo when not root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cd "$top"
. "$here/config.sh"

die() { echo "xen-image: $*" >&2; exit 1; }

# dom0: Xen and its tools, Debian's kernel (dom0's and the guests'),
# the firmware libxl's device model needs (SeaBIOS; iPXE for the NICs;
# linuxboot.bin from qemu-system-data for direct kernel boot), busybox
# for the guests' initramfs, socat for QMP. The project's QEMU brings its
# own runtime libraries at run time (scripts/xen-run.sh).
PKGS="xen-hypervisor-4.17-amd64 xen-utils-4.17 linux-image-amd64 \
initramfs-tools busybox-static iproute2 seabios ipxe-qemu qemu-system-data \
socat kmod procps"
SUITE=bookworm
# dom0's init: mounts the run disk (the second disk) and runs the
# harness's dom0 script from there (tests/xen/dom0-init), so that the
# image does not change with the tests
INIT=$(cat <<'EOF'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -o remount,rw /
mkdir -p /mnt/run
if mount /dev/vdb /mnt/run; then
    exec /bin/sh /mnt/run/dom0-init
fi
echo "xen-test-init: no run disk (/dev/vdb)"
busybox poweroff -f
EOF
)

key=$(printf '%s\n' "$SUITE" "$PKGS" "$INIT" | sha256sum | cut -c1-12)
xdir=$top/$WORK_DIR/xen-test
out=$xdir/dom0-$key
if [ -f "$out/versions" ]; then
    echo "$out"
    exit 0
fi

SUDO=()
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "building the dom0 image needs root (debootstrap, chroot): run as root or install sudo"
    SUDO=(sudo)
fi
for t in debootstrap mkfs.ext4; do
    command -v "$t" >/dev/null || PATH=$PATH:/usr/sbin command -v "$t" >/dev/null ||
        die "$t is missing: run make deps"
done
export PATH=$PATH:/usr/sbin:/sbin

mkdir -p "$xdir"
# what a killed build left
for old in "$xdir"/dom0-*.tmp; do
    [ -e "$old" ] || continue
    echo "xen-image: removing $old, left by a run that did not finish" >&2
    "${SUDO[@]}" umount "$old/root/proc" 2>/dev/null || true
    "${SUDO[@]}" rm -rf "$old"
done
tmp=$out.tmp
root=$tmp/root
mkdir -p "$tmp"
trap '"${SUDO[@]}" umount "$root/proc" 2>/dev/null || true' EXIT

start=$SECONDS
echo "xen-image: debootstrap $SUITE into $root (about a minute)" >&2
"${SUDO[@]}" debootstrap --variant=minbase "$SUITE" "$root" "$DEBIAN_MIRROR" \
    > "$tmp/debootstrap.log" 2>&1 || { tail -n 20 "$tmp/debootstrap.log" >&2; die "debootstrap failed (see $tmp/debootstrap.log)"; }
# no daemon starts in the chroot
printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$root/usr/sbin/policy-rc.d" >/dev/null
"${SUDO[@]}" chmod +x "$root/usr/sbin/policy-rc.d"
"${SUDO[@]}" mount -t proc proc "$root/proc"
echo "xen-image: installing $PKGS (about two minutes)" >&2
"${SUDO[@]}" chroot "$root" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends $PKGS > "$tmp/apt.log" 2>&1 ||
    { tail -n 20 "$tmp/apt.log" >&2; die "installing the packages failed (see $tmp/apt.log)"; }
"${SUDO[@]}" chroot "$root" apt-get clean
"${SUDO[@]}" umount "$root/proc"

printf '%s\n' "$INIT" | "${SUDO[@]}" tee "$root/sbin/xen-test-init" >/dev/null
"${SUDO[@]}" chmod +x "$root/sbin/xen-test-init"
echo xen-dom0 | "${SUDO[@]}" tee "$root/etc/hostname" >/dev/null

# kernel, initramfs and Xen, outside the image
kver=$(ls "$root/lib/modules" | sort -V | tail -n 1)
"${SUDO[@]}" cat "$root/boot/vmlinuz-$kver" > "$tmp/vmlinuz"
"${SUDO[@]}" cat "$root/boot/initrd.img-$kver" > "$tmp/initrd.img"
xen=$(ls "$root"/boot/xen-4.*-amd64.gz | sort -V | tail -n 1)
"${SUDO[@]}" cat "$xen" | gunzip > "$tmp/xen"
{
    echo "xen $("${SUDO[@]}" chroot "$root" dpkg-query -W -f='${Version}' xen-hypervisor-4.17-amd64)"
    echo "kernel $kver ($("${SUDO[@]}" chroot "$root" dpkg-query -W -f='${Version}' "linux-image-$kver"))"
    echo "seabios $("${SUDO[@]}" chroot "$root" dpkg-query -W -f='${Version}' seabios)"
} > "$tmp/versions.tmp"

echo "xen-image: making the root disk" >&2
"${SUDO[@]}" mkfs.ext4 -q -F -L xen-dom0 -d "$root" "$tmp/disk.img" 3G >&2
"${SUDO[@]}" rm -rf "$root"
[ -z "${SUDO[*]}" ] || "${SUDO[@]}" chown -R "$(id -u):$(id -g)" "$tmp"
mv "$tmp/versions.tmp" "$tmp/versions"
mv "$tmp" "$out"
# older images (another package list) are no longer used
for old in "$xdir"/dom0-*; do
    [ "$old" = "$out" ] || rm -rf "$old"
done
echo "xen-image: built in $((SECONDS - start)) s: $(du -sh "$out" | cut -f1) on disk" >&2
echo "$out"

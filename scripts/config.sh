# The one place that names the QEMU bases and the packages the harness uses.
# Sourced by the scripts in this folder.

# QEMU base: BASE=10.2 (the default, the primary base the series is
# written for) or BASE=10.0 (the stable backport). Each is one exact
# Debian source package, pinned by version and by the sha256 of its
# upstream tarball; if Debian stops serving it, change QEMU_DEBIAN_VERSION
# (and QEMU_ORIG_SHA256) of that base here.
BASE=${BASE:-10.2}
PRIMARY_BASE=10.2
case "$BASE" in
10.2)
    QEMU_DEBIAN_SUITE=sid
    QEMU_DEBIAN_VERSION=1:10.2.2+ds-1
    QEMU_ORIG_SHA256=be05230fe47a6937cd29f28f562932c8125f9c93c2a82c625198f7a4aa601dfb
    ;;
10.0)
    QEMU_DEBIAN_SUITE=trixie
    QEMU_DEBIAN_VERSION=1:10.0.13+ds-0+deb13u1
    QEMU_ORIG_SHA256=6a0888e806c2ffc0c5f0733e974f9aea55491950d3c47c98669c8b236dde59ae
    ;;
*)
    echo "config: BASE=$BASE is not a base of the series (10.2 or 10.0)" >&2
    exit 1
    ;;
esac
QEMU_UPSTREAM_SERIES=$BASE
QEMU_DEBIAN_PKG="qemu=$QEMU_DEBIAN_VERSION"
# Every base's deb-src suite, so that one apt sources file serves both
QEMU_DEBIAN_SUITES="sid trixie"

# Folders of a base other than the primary one carry its name
if [ "$BASE" = "$PRIMARY_BASE" ]; then
    BASE_SUFFIX=
else
    BASE_SUFFIX=-$BASE
fi

DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# meson >= 1.5 and python3-pycotap come from bookworm-backports.
MESON_MIN=1.5
BACKPORT_DEPS="meson python3-pycotap"
BUILD_DEPS="build-essential pkg-config libglib2.0-dev libpixman-1-dev libxen-dev \
ninja-build python3-venv flex bison libslirp-dev libfdt-dev seabios ipxe-qemu \
dpkg-dev git ccache ca-certificates"

# Folders (relative to the repository root). Everything here is ignored by git.
WORK_DIR=work$BASE_SUFFIX          # downloads, the assembled tree, scratch trees
BUILD_DIR=build$BASE_SUFFIX        # the meson build of the assembled tree
# QEMU_SRC=DIR: the series on a branch of your own QEMU checkout, built
# in a folder of its own
if [ -n "${QEMU_SRC:-}" ]; then
    BUILD_DIR=build-src-$(realpath -m "$QEMU_SRC" | md5sum | cut -c1-8)
fi
NOXEN_BUILD_DIR=build-noxen$BASE_SUFFIX
SERIES_DIR=build/series$BASE_SUFFIX        # make series: the exported patches
# The version of the series that make series exports ([PATCH vN]); the
# changes since the previous one are in patches/cover-letters/
SERIES_VERSION=${SERIES_VERSION:-3}

# Configure flags shared by every build of the assembled tree.
# -g1: line tables only (backtraces with file:line, no variables), which
# compiles about an eighth faster than QEMU's default -g; for gdb with
# variables, change it to -g here (the next build reconfigures).
# VNC (which needs pixman): libxl passes -vnc none to every device model
# it starts, and a QEMU without VNC refuses that option.
QEMU_CONFIGURE_FLAGS="--python=/usr/bin/python3 --target-list=x86_64-softmmu \
--enable-kvm --enable-tcg --disable-docs --disable-user \
--without-default-features --enable-slirp --enable-fdt=system --enable-pixman --enable-vnc \
--disable-install-blobs --disable-werror --enable-tools \
--extra-cflags=-g1 \
--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu"

# DEVICES: which boards and devices qemu-system-x86_64 has. default: QEMU's
# default set for x86_64. tests: only those the harness's tests use
# (scripts/devices-tests.mak), a shorter cold build, but QEMU's own qtests
# then cover only those. A change reconfigures the build folders.
DEVICES=${DEVICES:-default}
case "$DEVICES" in
default|tests) ;;
*)
    echo "config: DEVICES=$DEVICES is not a device set (default or tests)" >&2
    exit 1
    ;;
esac

# The fuzzing build (make fuzz): clang with libFuzzer, ASan and UBSan.
FUZZ_DEPS="clang-14 libclang-rt-14-dev"
FUZZ_BUILD_DIR=build-fuzz$BASE_SUFFIX
FUZZ_CONFIGURE_FLAGS="--cc=clang-14 --cxx=clang++-14 --enable-fuzzing \
--enable-asan --enable-ubsan --enable-xen"
FUZZ_TARGETS=${FUZZ_TARGETS:-"xen-platform xen-platform-2 xen-platform-bridged xen-platform-q35"}

# make xen: Debian's QEMU 7.2 as the outer emulator (Xen under TCG),
# debootstrap for the dom0 image (scripts/xen-image.sh), e2fsprogs for
# its disks (mkfs.ext4 -d, debugfs), a static libc for the guests' xpio
XEN_DEPS="qemu-system-x86 debootstrap e2fsprogs libc6-dev"

# The measurement baseline (make compat, make bench): the base without
# the series.
BASE_BUILD_DIR=build-base$BASE_SUFFIX

# QEMU's documentation with the series' spec (make docs), Sphinx warnings
# fatal.
DOCS_DEPS="python3-sphinx python3-sphinx-rtd-theme"
DOCS_BUILD_DIR=build-docs$BASE_SUFFIX

# The companion series for Xen's documentation (make series): against the
# upstream tarball of Debian trixie's xen source package, pinned by sha256
# (its .dsc is not served, so the tarball is fetched from the pool)
XEN_DOCS_VERSION=4.20.3+127-gc42374a105
XEN_DOCS_TARBALL=xen_$XEN_DOCS_VERSION.orig.tar.xz
XEN_DOCS_URL=$DEBIAN_MIRROR/pool/main/x/xen/$XEN_DOCS_TARBALL
XEN_DOCS_SHA256=df0831854a55a8f31cb3cb85036f2edc928e2ef098d77f815f5714bfafac68f3
XEN_SERIES_DIR=build/series-xen

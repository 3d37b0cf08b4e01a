# The one place that names the QEMU base and the packages the harness uses.
# Sourced by the scripts in this folder.

# QEMU base: Debian's qemu source package from trixie (QEMU 10.0.x).
QEMU_DEBIAN_SUITE=trixie
QEMU_DEBIAN_PKG="qemu/$QEMU_DEBIAN_SUITE"
QEMU_UPSTREAM_SERIES=10.0

DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# meson >= 1.5 and python3-pycotap come from bookworm-backports.
MESON_MIN=1.5
BACKPORT_DEPS="meson python3-pycotap"
BUILD_DEPS="build-essential pkg-config libglib2.0-dev libpixman-1-dev libxen-dev \
ninja-build python3-venv flex bison libslirp-dev libfdt-dev seabios ipxe-qemu \
dpkg-dev git ccache ca-certificates"

# Folders (relative to the repository root). Everything here is ignored by git.
WORK_DIR=work            # downloads, the assembled QEMU tree, scratch trees
BUILD_DIR=build          # the meson build of the assembled tree
NOXEN_BUILD_DIR=build-noxen

# Configure flags shared by every build of the assembled tree.
QEMU_CONFIGURE_FLAGS="--python=/usr/bin/python3 --target-list=x86_64-softmmu \
--enable-kvm --enable-tcg --disable-docs --disable-user \
--without-default-features --enable-slirp --enable-fdt=system \
--disable-install-blobs --disable-werror --enable-tools \
--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu"

# The fuzzing build (make fuzz): clang with libFuzzer, ASan and UBSan.
FUZZ_DEPS="clang-14 libclang-rt-14-dev"
FUZZ_BUILD_DIR=build-fuzz
FUZZ_CONFIGURE_FLAGS="--cc=clang-14 --cxx=clang++-14 --enable-fuzzing \
--enable-asan --enable-ubsan --enable-xen"
FUZZ_TARGETS="xen-platform xen-platform-2"

# The measurement baseline (make compat, make bench): the base without
# the series.
BASE_BUILD_DIR=build-base

# QEMU's documentation with the series' spec (make docs), Sphinx warnings
# fatal.
DOCS_DEPS="python3-sphinx python3-sphinx-rtd-theme"
DOCS_BUILD_DIR=build-docs

#!/usr/bin/env bash
# Configure (once) and build the assembled QEMU tree out of tree.
#   usage: build.sh BUILD_DIR [extra configure flags] -- [ninja targets]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cd "$top"
. "$here/config.sh"

bdir=${1:?usage: build.sh BUILD_DIR [configure flags] -- [targets]}
shift
extra=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do extra+=("$1"); shift; done
[ "${1:-}" = -- ] && shift
targets=("$@")

# BUILD_SRC: another tree (the baseline); default: the assembled one,
# or QEMU_SRC's
if [ -n "${BUILD_SRC:-}" ]; then
    src=$BUILD_SRC
elif [ -n "${QEMU_SRC:-}" ]; then
    src=$(realpath "$QEMU_SRC")
else
    src=$(cat "$WORK_DIR/qemu-src" 2>/dev/null) ||
        { echo "build: no assembled tree; run scripts/assemble.sh" >&2; exit 1; }
fi

# ccache in front of the compilers: wrappers named like compilers keep
# configure's probes simple. An explicit --cc/--cxx gets its own wrapper.
# In a git checkout (QEMU_SRC) QEMU's configure makes warnings errors,
# whatever --disable-werror says; Debian's tree has a few unrelated ones
if [ -e "$src/.git" ]; then
    extra+=(--extra-cflags=-Wno-error)
fi
# DEVICES=tests: QEMU's configure takes a devices file by its path from
# the tree's configs/devices/x86_64-softmmu, without the .mak
if [ "$DEVICES" = tests ]; then
    mak=$(realpath --relative-to="$src/configs/devices/x86_64-softmmu" "$here/devices-tests.mak")
    extra+=(--without-default-devices "--with-devices-x86_64=${mak%.mak}")
fi
cc=cc cxx=c++ rest=()
for f in $QEMU_CONFIGURE_FLAGS ${extra[@]+"${extra[@]}"}; do
    case "$f" in
        --cc=*) cc=${f#--cc=} ;;
        --cxx=*) cxx=${f#--cxx=} ;;
        *) rest+=("$f") ;;
    esac
done
if command -v ccache >/dev/null; then
    # hits across clones of this repository, too
    export CCACHE_BASEDIR="$top" CCACHE_NOHASHDIR=1
    # Depend mode: on a miss ccache takes the headers from the compiler's
    # own -MD output instead of running the preprocessor first, which
    # costs a cold build about a third more CPU time
    export CCACHE_DEPEND=1
    # ccache fails every compile when its cache (by default in
    # $HOME/.cache/ccache) cannot be written, e.g. HOME=/nonexistent
    ccdir=$(ccache -k cache_dir 2>/dev/null) || ccdir=
    if [ -z "$ccdir" ] || ! mkdir -p "$ccdir" 2>/dev/null || [ ! -w "$ccdir" ]; then
        export CCACHE_DIR="$top/$WORK_DIR/ccache"
        echo "build: ccache's cache ${ccdir:-(unknown)} is not writable; using $CCACHE_DIR"
    fi
    mkdir -p "$top/$WORK_DIR/bin"
    # Builds run side by side (CI builds without Xen beside the suites):
    # a wrapper another build is executing is never rewritten in place
    # (ETXTBSY); a changed one is renamed over it
    for c in "$cc" "$cxx"; do
        w="$top/$WORK_DIR/bin/ccache-$c"
        body=$(printf '#!/bin/sh\nexec ccache %s "$@"' "$c")
        if [ "$(cat "$w" 2>/dev/null)" != "$body" ]; then
            printf '%s\n' "$body" > "$w.$$"
            chmod +x "$w.$$"
            mv -f "$w.$$" "$w"
        fi
    done
    cc=ccache-$cc cxx=ccache-$cxx
fi
export PATH="$top/$WORK_DIR/bin:$PATH"
flags="${rest[*]} --cc=$cc --cxx=$cxx"
mkdir -p "$bdir"
if [ ! -f "$bdir/build.ninja" ] || [ "$(cat "$bdir/.configure-flags" 2>/dev/null)" != "$src $flags" ]; then
    echo "build: configuring $bdir"
    rm -rf "$bdir/meson-private" "$bdir/build.ninja"
    (cd "$bdir" && "$src/configure" $flags) > "$bdir/configure.log" 2>&1 || {
        tail -n 30 "$bdir/configure.log" >&2
        echo "build: configure failed; full log in $bdir/configure.log" >&2
        exit 1
    }
    echo "$src $flags" > "$bdir/.configure-flags"
fi

# Firmware from Debian's seabios and ipxe-qemu packages, where QEMU run from
# its build folder looks for it.
for fw in /usr/share/seabios /usr/lib/ipxe/qemu; do
    mkdir -p "$bdir/qemu-bundle$(dirname "$fw")"
    [ -e "$bdir/qemu-bundle$fw" ] || ln -sfn "$fw" "$bdir/qemu-bundle$fw"
done

# NINJA_JOBS: how many jobs ninja runs at once (default: its own, the
# number of CPUs plus two)
echo "build: ninja ${targets[*]:-all} in $bdir"
ninja -C "$bdir" ${NINJA_JOBS:+-j "$NINJA_JOBS"} "${targets[@]}"

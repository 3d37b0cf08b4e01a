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

src=$(cat "$WORK_DIR/qemu-src" 2>/dev/null) ||
    { echo "build: no assembled tree; run scripts/assemble.sh" >&2; exit 1; }

flags="$QEMU_CONFIGURE_FLAGS ${extra[*]:-}"
if command -v ccache >/dev/null; then
    flags="$flags --cc=ccache-cc"
fi
mkdir -p "$bdir"
if [ ! -f "$bdir/build.ninja" ] || [ "$(cat "$bdir/.configure-flags" 2>/dev/null)" != "$src $flags" ]; then
    echo "build: configuring $bdir"
    rm -rf "$bdir/meson-private" "$bdir/build.ninja"
    # ccache as the compiler: a wrapper named like a compiler keeps
    # configure's compiler probes simple.
    if command -v ccache >/dev/null; then
        mkdir -p "$top/$WORK_DIR/bin"
        printf '#!/bin/sh\nexec ccache cc "$@"\n' > "$top/$WORK_DIR/bin/ccache-cc"
        chmod +x "$top/$WORK_DIR/bin/ccache-cc"
        export PATH="$top/$WORK_DIR/bin:$PATH"
    fi
    (cd "$bdir" && "$src/configure" $flags) > "$bdir/configure.log" 2>&1 || {
        tail -n 30 "$bdir/configure.log" >&2
        echo "build: configure failed; full log in $bdir/configure.log" >&2
        exit 1
    }
    echo "$src $flags" > "$bdir/.configure-flags"
fi
export PATH="$top/$WORK_DIR/bin:$PATH"

# Firmware from Debian's seabios and ipxe-qemu packages, where QEMU run from
# its build folder looks for it.
for fw in /usr/share/seabios /usr/lib/ipxe/qemu; do
    mkdir -p "$bdir/qemu-bundle$(dirname "$fw")"
    [ -e "$bdir/qemu-bundle$fw" ] || ln -sfn "$fw" "$bdir/qemu-bundle$fw"
done

echo "build: ninja ${targets[*]:-all} in $bdir"
ninja -C "$bdir" "${targets[@]}"

#!/usr/bin/env bash
# make check-noxen: the device builds, links and registers in a QEMU
# configured with --disable-xen (the KVM-only builds distributions make).
# A second full QEMU build, so not part of make check; CI runs it.
# Ends with one line "N passed, N failed, N skipped".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cd "$top"
. "$here/config.sh"

log="$NOXEN_BUILD_DIR.log"
echo "== build without Xen (--disable-xen) in $NOXEN_BUILD_DIR"
if "$here/build.sh" "$NOXEN_BUILD_DIR" --disable-xen -- qemu-system-x86_64 \
        > "$log" 2>&1 &&
   "$NOXEN_BUILD_DIR/qemu-system-x86_64" -device help 2>/dev/null |
        grep -q '"xen-platform-2"'; then
    echo "   ok: builds and lists xen-platform and xen-platform-2"
    echo "1 passed, 0 failed, 0 skipped"
else
    echo "   FAILED (see $log)"
    tail -n 20 "$log" | sed 's/^/   | /'
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi

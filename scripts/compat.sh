#!/usr/bin/env bash
# make compat: migration compatibility against the unpatched base, with
# QEMU's vmstate-static-checker.py and real migrations both ways, then the
# device's own migration qtests (v1, v2, a v1 stream refused by v2).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cd "$top"
. "$here/config.sh"

"$here/baseline.sh"
"$here/build.sh" "$BUILD_DIR" --enable-xen -- qemu-system-x86_64 \
    tests/qtest/xen-platform-test
src=$(cat "$WORK_DIR/qemu-src")
status=0
/usr/bin/python3 "$here/compat.py" "$BASE" "$BASE_BUILD_DIR/qemu-system-x86_64" \
    "$BUILD_DIR/qemu-system-x86_64" "$src/scripts/vmstate-static-checker.py" \
    "$BUILD_DIR/compat" || status=1
echo "compat: migration qtests of the patched QEMU"
QTEST_QEMU_BINARY="$BUILD_DIR/qemu-system-x86_64" \
    "$BUILD_DIR/tests/qtest/xen-platform-test" -p /x86_64/xen-platform/migration \
    -p /x86_64/xen-platform/migration/handshaked \
    2>/dev/null | grep -E '^(ok|not ok)' | sed 's/^/compat: /' || status=1
exit $status

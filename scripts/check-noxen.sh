#!/usr/bin/env bash
# make check-noxen: the device builds, links and registers in a QEMU
# configured with --disable-xen (the KVM-only builds distributions make),
# and its qtests pass there, those that need libxenstore skipping with
# the reason. A second full QEMU build, so not part of make check; CI
# runs it. Ends with one line "N passed, N failed, N skipped".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cd "$top"
. "$here/config.sh"

log="$NOXEN_BUILD_DIR.log"
tap="$NOXEN_BUILD_DIR/xen-platform-test.tap"
passed=0 failed=0 skipped=0
echo "== build without Xen (--disable-xen) in $NOXEN_BUILD_DIR"
if "$here/build.sh" "$NOXEN_BUILD_DIR" --disable-xen -- qemu-system-x86_64 \
        qemu-img tests/qtest/xen-platform-test > "$log" 2>&1 &&
   "$NOXEN_BUILD_DIR/qemu-system-x86_64" -device help 2>/dev/null |
        grep -q '"xen-platform-2"'; then
    echo "   ok: builds and lists xen-platform and xen-platform-2"
    passed=1
else
    echo "   FAILED (see $log)"
    tail -n 20 "$log" | sed 's/^/   | /'
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi

echo "== xen-platform-test without Xen"
QTEST_QEMU_BINARY="$top/$NOXEN_BUILD_DIR/qemu-system-x86_64" \
QTEST_QEMU_IMG="$top/$NOXEN_BUILD_DIR/qemu-img" \
    timeout 600 "$NOXEN_BUILD_DIR/tests/qtest/xen-platform-test" --tap -k \
    > "$tap" 2>&1
rc=$?
p=$(grep -cE '^ok ' "$tap")
s=$(grep -cE '^ok .*# SKIP' "$tap")
f=$(grep -cE '^not ok ' "$tap")
grep -E '^not ok' "$tap" | sed 's/^/   /'
grep -E '^ok .*# SKIP' "$tap" | head -n 1 | sed 's/^/   e.g. /'
if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
    echo "   exited with status $rc (see $tap)"
    f=1
fi
echo "   $((p - s)) passed, $f failed, $s skipped"
passed=$((passed + p - s)) failed=$((failed + f)) skipped=$((skipped + s))
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]

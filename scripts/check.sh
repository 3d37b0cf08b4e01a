#!/usr/bin/env bash
# Build what the tests need and run them: the project's qtests and QEMU's
# own x86_64 qtests the series could regress. (The build without Xen is
# make check-noxen.) Ends with one line "N passed, N failed, N skipped".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cd "$top"
. "$here/config.sh"

passed=0 failed=0 skipped=0

# The series' commit stack and the files at their paths are one thing
if [ "$BASE" = "$PRIMARY_BASE" ]; then
    echo "== series end state"
    if "$here/stack.sh" verify; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
fi

qtests="xen-platform-test qmp-cmd-test device-introspect-test qom-test test-hmp"
targets="qemu-system-x86_64 qemu-img"
for t in $qtests; do targets="$targets tests/qtest/$t"; done
"$here/build.sh" "$BUILD_DIR" --enable-xen -- $targets || {
    echo "check: build failed"; echo "$passed passed, $((failed + 1)) failed"; exit 1; }

export QTEST_QEMU_BINARY="$top/$BUILD_DIR/qemu-system-x86_64"
export QTEST_QEMU_IMG="$top/$BUILD_DIR/qemu-img"
export G_TEST_DBUS_DAEMON=/bin/true
mkdir -p "$BUILD_DIR/check"
for t in $qtests; do
    log="$BUILD_DIR/check/$t.tap"
    echo "== $t"
    start=$SECONDS
    timeout 600 "$BUILD_DIR/tests/qtest/$t" --tap -k > "$log" 2>&1
    rc=$?
    p=$(grep -cE '^ok ' "$log" | head -n1)
    s=$(grep -cE '^ok .*# SKIP' "$log" | head -n1)
    f=$(grep -cE '^not ok ' "$log" | head -n1)
    grep -E '^(not ok|ok .*# SKIP)' "$log" | sed 's/^/   /'
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
        echo "   $t exited with status $rc (see $log):"
        tail -n 15 "$log" | sed 's/^/   | /'
        f=1
    fi
    echo "   $((p - s)) passed, $f failed, $s skipped ($((SECONDS - start)) s)"
    passed=$((passed + p - s)) failed=$((failed + f)) skipped=$((skipped + s))
done

# The harness's own failure handling (the demo that make runs)
echo "== harness: tests/harness/test_demo.py"
log="$BUILD_DIR/check/test_demo.log"
/usr/bin/python3 tests/harness/test_demo.py --qemu "$QTEST_QEMU_BINARY" > "$log" 2>&1
rc=$?
grep -E '^(not ok|FAIL)' "$log" | sed 's/^/   /'
res=$(tail -n 1 "$log")
p=$(echo "$res" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
f=$(echo "$res" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
s=$(echo "$res" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
if [ -z "$p" ] || { [ "$rc" != 0 ] && [ "${f:-0}" = 0 ]; }; then
    echo "   test_demo.py exited with status $rc (see $log)"; f=$((${f:-0} + 1))
fi
echo "   ${p:-0} passed, ${f:-0} failed, ${s:-0} skipped"
passed=$((passed + ${p:-0})) failed=$((failed + ${f:-0})) skipped=$((skipped + ${s:-0}))

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]

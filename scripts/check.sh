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

# The qtests through QEMU's own runner, meson test, as QEMU registers
# them (qtest-x86_64/NAME: its environment, its arguments --tap -k, its
# TAP parsing), on what was just built. Meson's line per test shows the
# progress; the counts are the subtests, from the TAP output meson keeps
# in its JSON log. Timeouts are ten times QEMU's (60 s a qtest by
# default, 600 s here, as beside other builds); MESON_TEST_ARGS adds to
# or overrides meson test's arguments (split at spaces).
meson="$BUILD_DIR/pyvenv/bin/meson"
[ -x "$meson" ] || meson=meson
names=
for t in $qtests; do names="$names qtest-x86_64/$t"; done
mkdir -p "$BUILD_DIR/check" "$BUILD_DIR/meson-logs"
stamp="$BUILD_DIR/check/meson-test.started"
touch "$stamp"
echo "== meson test -C $BUILD_DIR --no-rebuild:$names"
PYTHONUNBUFFERED=1 "$meson" test -C "$BUILD_DIR" --no-rebuild --timeout-multiplier=10 \
    ${MESON_TEST_ARGS:-} $names 2>&1 |
    grep --line-buffered -vE '^$|^(Ok|Expected Fail|Fail|Unexpected Pass|Skipped|Timeout): +[0-9]+ *$' |
    sed -u 's/^/   /'
# the JSON log of this run: testlog.json (testlog-WRAPPER.json with
# meson test's --wrapper, LOGBASE.json with its --logbase)
json=$(find "$BUILD_DIR/meson-logs" -maxdepth 1 -name '*.json' -newer "$stamp" \
       -printf '%T@ %p\n' | sort -n | tail -n 1 | cut -d' ' -f2-)
res=$(/usr/bin/python3 "$here/testlog.py" "${json:--}" $names 2>&1)
echo "$res" | sed '$d'
res=$(echo "$res" | tail -n 1)
if [[ "$res" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
    passed=$((passed + BASH_REMATCH[1])) failed=$((failed + BASH_REMATCH[2]))
    skipped=$((skipped + BASH_REMATCH[3]))
else
    echo "   $res"; echo "   check: scripts/testlog.py failed"; failed=$((failed + 1))
fi

# The harness's own failure handling (the demo that make runs)
echo "== harness: tests/harness/test_demo.py"
log="$BUILD_DIR/check/test_demo.log"
/usr/bin/python3 tests/harness/test_demo.py --qemu "$top/$BUILD_DIR/qemu-system-x86_64" > "$log" 2>&1
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

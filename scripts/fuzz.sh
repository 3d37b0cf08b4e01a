#!/usr/bin/env bash
# Build QEMU's fuzzer with the series (clang, libFuzzer, ASan, UBSan) in its
# own folder and run the generic fuzzer's xen-platform targets.
#   FUZZ_SECONDS   run time per target (default 600)
#   FUZZ_DEVICES   the device set of the build (default: tests on the
#                  primary base, QEMU's default on the others)
# Crashes go to build-fuzz/crashes/<target>/; the corpus is kept in
# build-fuzz/corpus/<target>/. Exits non-zero if any target crashed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cd "$top"
. "$here/config.sh"

seconds=${FUZZ_SECONDS:-600}
"$here/install-deps.sh" --fuzz
"$here/assemble.sh"
# The targets' machines use only boards and devices of DEVICES=tests
# (scripts/devices-tests.mak, written for the primary base), so the
# rest of QEMU's default set is not built; FUZZ_DEVICES=default builds
# it too.
devices=default
[ "$BASE" = "$PRIMARY_BASE" ] && devices=tests
DEVICES=${FUZZ_DEVICES:-$devices} \
    "$here/build.sh" "$FUZZ_BUILD_DIR" $FUZZ_CONFIGURE_FLAGS -- qemu-fuzz-x86_64

fw="-L /usr/share/seabios -L /usr/lib/ipxe/qemu"
status=0
for t in $FUZZ_TARGETS; do
    crashes="$FUZZ_BUILD_DIR/crashes/$t" corpus="$FUZZ_BUILD_DIR/corpus/$t"
    log="$FUZZ_BUILD_DIR/fuzz-$t.log"
    mkdir -p "$crashes" "$corpus"
    echo "fuzz: generic-fuzz-$t for $seconds s"
    if QEMU_FUZZ_ARGS="$fw" ASAN_OPTIONS=detect_leaks=0 \
       "$FUZZ_BUILD_DIR/qemu-fuzz-x86_64" --fuzz-target="generic-fuzz-$t" \
           -max_total_time="$seconds" -artifact_prefix="$crashes/" \
           -print_final_stats=1 "$corpus" > "$log" 2>&1; then
        r="no crash"
    else
        r="CRASH (see $log and $crashes/)"
        status=1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
    echo "fuzz: $t: ${runs:-?} executions (${speed:-?}/s), ${cov:-no coverage line}, corpus $(ls "$corpus" | wc -l): $r"
done
exit $status

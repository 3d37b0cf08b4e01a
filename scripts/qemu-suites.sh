#!/usr/bin/env bash
# make qemu-suites: QEMU's own qtest-x86_64 and unit suites, complete, with
# the series, run by QEMU's runner (meson test, QEMU's default "quick"
# setup, as make check-qtest-x86_64 check-unit runs them), and the proof
# that every test that passes on the unpatched base passes with the
# series:
#   - the tests registered on the base (meson introspect of its build)
#     must all be registered with the series;
#   - every test that is not clean with the series (failed, timed out,
#     skipped, or passed with a skipped subtest) is run on the base too
#     (scripts/baseline.sh's build) and compared subtest by subtest
#     (scripts/qemu_suites.py compare); a test that fails on both is
#     reported as a failure of the base, by name.
# Ends with one line "N passed, N failed, N skipped", meson tests as units.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cd "$top"
. "$here/config.sh"

suites="qtest-x86_64 unit"
# meson's own parallelism (its default is one test per CPU)
jobs=${QEMU_SUITES_JOBS:-$(nproc)}
out=$BUILD_DIR/qemu-suites
base_out=$BASE_BUILD_DIR/qemu-suites
py=/usr/bin/python3
meson_data="$here/qemu_suites.py"
suite_args=()
for s in $suites; do suite_args+=(--suite "$s"); done

bail() { echo "qemu-suites: $1"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

# meson test, QEMU's way: no --setup, so QEMU's default setup "quick"
# (slow and thorough suites excluded, G_TEST_SLOW unset); testlog in
# BUILD/meson-logs/testlog.json
run_meson() {
    local bdir=$1; shift
    "$bdir/pyvenv/bin/meson" test -C "$bdir" --no-rebuild \
        --num-processes "$jobs" --print-errorlogs "$@"
}

# meson's own summary of a run: its failures by name, then its counts
meson_summary() {
    awk -v pre="$2" '/^Summary of Failures:/ { f = 1; next }
        /^Ok: / { f = 0; c = 1 }
        (f || c) && NF { print pre $0 }
        /^Timeout: / { c = 0 }' "$1"
}

mkdir -p "$out" "$base_out"
echo "== the comparison's own tests (tests/harness/test_qemu_suites.py)"
"$py" tests/harness/test_qemu_suites.py > "$out/test_qemu_suites.log" 2>&1 ||
    { grep '^not ok' "$out/test_qemu_suites.log"; bail "the comparison fails its own tests"; }
echo "   $(tail -n 1 "$out/test_qemu_suites.log")"
echo "== build: what the suites need ($suites) in $BUILD_DIR"
start=$SECONDS
"$here/build.sh" "$BUILD_DIR" --enable-xen -- qemu-system-x86_64 qemu-img \
    > "$out/build.log" 2>&1 || { tail -n 20 "$out/build.log"; bail "build failed (see $out/build.log)"; }
# shellcheck disable=SC2086
"$py" "$meson_data" targets "$BUILD_DIR" $suites > "$out/targets" ||
    bail "meson introspect failed in $BUILD_DIR"
"$here/build.sh" "$BUILD_DIR" --enable-xen -- $(cat "$out/targets") \
    >> "$out/build.log" 2>&1 || { tail -n 20 "$out/build.log"; bail "build failed (see $out/build.log)"; }
echo "   $(wc -l < "$out/targets") targets built ($((SECONDS - start)) s)"

# the suites' tests by name: scripts/qemu_suites.py leaves out the
# EXCLUDED ones (migration-test, which times out on the series and the
# base alike here)
# shellcheck disable=SC2086
"$py" "$meson_data" tests "$BUILD_DIR" $suites | sort > "$out/registered"
echo "== meson test: the $(wc -l < "$out/registered") tests of ${suite_args[*]} (not $("$py" "$meson_data" excluded)) --num-processes $jobs, with the series"
start=$SECONDS
rm -f "$BUILD_DIR/meson-logs/testlog.json"
run_meson "$BUILD_DIR" $(cat "$out/registered") > "$out/meson-test.log" 2>&1
rc=$?
# meson's own summary: the failures by name, then its counts
meson_summary "$out/meson-test.log" "   "
echo "   meson test exited with $rc ($((SECONDS - start)) s); its log: $BUILD_DIR/meson-logs/testlog.txt"
cp "$BUILD_DIR/meson-logs/testlog.json" "$out/testlog.json" 2>/dev/null ||
    bail "meson test wrote no testlog (see $out/meson-test.log)"
read -r p f s sp sf ss < <("$py" "$meson_data" summary "$out/testlog.json")
echo "   subtests (TAP): $sp passed, $sf failed, $ss skipped"
if [ "$((p + f + s))" != "$(wc -l < "$out/registered")" ]; then
    echo "   meson ran $((p + f + s)) tests of the $(wc -l < "$out/registered") registered"
    f=$((f + 1))
fi

echo "== the unpatched base ($BASE_BUILD_DIR, scripts/baseline.sh)"
start=$SECONDS
# configured only: its registered tests are meson's data, no build needed
"$here/baseline.sh" build.ninja > "$base_out.log" 2>&1 ||
    { tail -n 20 "$base_out.log"; bail "the base does not configure (see $base_out.log)"; }
# shellcheck disable=SC2086
"$py" "$meson_data" tests "$BASE_BUILD_DIR" $suites | sort > "$base_out/registered"
# an empty list would make every test look like the series' own
[ -s "$base_out/registered" ] || bail "meson lists no tests of $suites on the base"
missing=$(comm -23 "$base_out/registered" "$out/registered")
added=$(comm -13 "$base_out/registered" "$out/registered")
echo "   $(wc -l < "$base_out/registered") tests registered on the base, $(wc -l < "$out/registered") with the series"
for t in $added; do echo "   only with the series: $t"; done
for t in $missing; do echo "   MISSING with the series: $t"; f=$((f + 1)); done

base_failures=()
"$py" "$meson_data" unclean "$out/testlog.json" > "$out/unclean"
if [ ! -s "$out/unclean" ]; then
    echo "   every test passed with the series, none skipped a subtest: nothing to run on the base"
else
    echo "   not clean with the series (result, skipped subtests):"
    sed 's/^/     /' "$out/unclean"
    # the ones the base has, run there
    to_run=()
    while read -r name _; do
        grep -qxF "$name" "$base_out/registered" && to_run+=("$name")
    done < "$out/unclean"
    rm -f "$BASE_BUILD_DIR/meson-logs/testlog.json"
    if [ ${#to_run[@]} -gt 0 ]; then
        "$py" "$meson_data" targets "$BASE_BUILD_DIR" -- "${to_run[@]}" > "$base_out/targets"
        echo "   building them on the base ($(wc -l < "$base_out/targets") targets)"
        "$here/baseline.sh" $(cat "$base_out/targets") >> "$base_out.log" 2>&1 ||
            { tail -n 20 "$base_out.log"; bail "the base does not build (see $base_out.log)"; }
        echo "   meson test on the base: ${to_run[*]}"
        run_meson "$BASE_BUILD_DIR" "${to_run[@]}" > "$base_out/meson-test.log" 2>&1
        meson_summary "$base_out/meson-test.log" "     "
    fi
    cp "$BASE_BUILD_DIR/meson-logs/testlog.json" "$base_out/testlog.json" 2>/dev/null ||
        : > "$base_out/testlog.json"
    # each of them must have run there, or the comparison would take it
    # for a test the base does not have
    notrun=$(comm -23 <(printf '%s\n' ${to_run[@]+"${to_run[@]}"} | LC_ALL=C sort) \
        <("$py" "$meson_data" ran "$base_out/testlog.json" | LC_ALL=C sort))
    [ -z "$notrun" ] ||
        bail "meson did not run on the base: $notrun (see $base_out/meson-test.log)"
    echo "   $((SECONDS - start)) s for the base"
    echo "== compared (every subtest that passes on the base must pass with the series)"
    while read -r verdict name mine theirs detail; do
        case "$verdict" in
        regression)
            echo "   REGRESSION $name: $mine with the series, $theirs on the base${detail:+; $detail}"
            # meson counted it as passed or skipped: it moves to failed
            case "$mine" in
            OK|EXPECTEDFAIL) p=$((p - 1)) f=$((f + 1)) ;;
            SKIP) s=$((s - 1)) f=$((f + 1)) ;;
            esac ;;
        base)
            echo "   fails on the base too: $name ($mine with the series, $theirs on the base)"
            base_failures+=("$name") f=$((f - 1)) ;;
        series)
            echo "   FAILED $name: $mine with the series (a test the base does not have)" ;;
        own)
            echo "   only with the series: $name ($mine, skipped subtests)" ;;
        same)
            echo "   as on the base: $name ($mine with the series, $theirs on the base)" ;;
        esac
    done < <("$py" "$meson_data" compare "$out/testlog.json" "$base_out/testlog.json")
fi

nb=${#base_failures[@]}
extra=
if [ "$nb" -gt 0 ]; then
    echo "failures of the base, not of the series: ${base_failures[*]}"
    extra=", $nb failing on the base too"
fi
echo "$p passed, $f failed, $s skipped$extra"
[ "$f" = 0 ]

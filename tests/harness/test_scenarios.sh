#!/usr/bin/env bash
# Day-two scenarios of the harness, each run for real against this
# repository's trees (CI runs this after make check):
#   - an edit in work/qemu is never overwritten: assemble stops and says so
#   - QEMU_SRC: the series as commits on a branch of a git checkout, the
#     branch checked on every run, a clear error for a missing folder
#   - the stack and the files at their paths: an edit here is reported by
#     the end-state check, and make branch takes it in
#   - make -f PATH/Makefile from another folder works as from the top
#   - the QEMU download: one killed midway, a finished one cut short or
#     missing its tarball, a damaged one; each rerun recovers by itself
#   - an unprivileged user (HOME=/nonexistent, no working sudo), in a clone
#     it owns: the dependency step needs no sudo when everything is
#     installed and asks it only for what is missing; make check runs up
#     to its build
#   - in that clone, runs killed at the worst moments of making the base
#     and of recording the assembled tree: the next run recovers by itself
#   - make check's qtests through meson test: the counting of subtests from
#     meson's JSON log, and a failing run of them seen as failed
#   - make xen's judging of a run's results: retries, wrong results,
#     repeated stalls, jobs left unrun (skipped at the time limit)
# Ends with "N passed, N failed" (and ", N skipped" if some were).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top"
. scripts/config.sh

passed=0 failed=0 skipped=
ok() { echo "ok - $1"; passed=$((passed + 1)); }
fail() { echo "not ok - $1"; failed=$((failed + 1)); }
skip() { echo "ok - $1 # SKIP"; skipped=$((${skipped:-0} + 1)); }
check() { if eval "$2"; then ok "$1"; else fail "$1"; return 1; fi; }

scratch=$(mktemp -d)
user= ud=
edited="$WORK_DIR/qemu/hw/xen/xen_unplug.c"
cleanup() {
    if [ -d "$scratch/dl" ]; then rm -rf "$WORK_DIR/dl"; mv "$scratch/dl" "$WORK_DIR/dl"; fi
    [ -f "$scratch/saved" ] && cp "$scratch/saved" "$edited"
    [ -f "$scratch/own" ] && cp "$scratch/own" hw/xen/xen_platform.c
    rm -rf "$scratch"
    [ -z "$ud" ] || rm -rf "$ud"
    [ -z "$user" ] || userdel "$user" 2>/dev/null || userdel -f "$user"
}
trap cleanup EXIT

scripts/assemble.sh > /dev/null || { echo "not ok - assemble"; echo "0 passed, 1 failed"; exit 1; }

# 1. An edit in the assembled tree survives, and the harness says where
cp "$edited" "$scratch/saved"
echo "/* an edit */" >> "$edited"
out=$(scripts/assemble.sh 2>&1); rc=$?
check "assemble stops on an edit in work/qemu" '[ $rc != 0 ]'
check "it names the edited file" 'grep -q "$edited" <<< "$out"'
check "the edit is still there" 'tail -n 1 "$edited" | grep -q "an edit"'
cp "$scratch/saved" "$edited"; rm -f "$scratch/saved"
check "once undone, assemble runs again" 'scripts/assemble.sh > /dev/null'

# 2. QEMU_SRC: a git checkout of the base gets the series as commits
src="$scratch/qemu"
cp -a "$WORK_DIR/pristine" "$src"
(cd "$src" && git init -q -b upstream && git add -A -f &&
 git -c user.name=t -c user.email=t@t commit -qm base) > /dev/null
n=$(ls patches/series/[0-9]*.patch | wc -l)
out=$(QEMU_SRC=$src scripts/assemble.sh 2>&1); rc=$?
check "QEMU_SRC: the series applies as commits" '[ $rc = 0 ]'
check "QEMU_SRC: branch xen-platform, $n commits on the base" \
    '[ "$(git -C "$src" symbolic-ref --short HEAD)" = xen-platform ] &&
     [ "$(git -C "$src" rev-list --count upstream..xen-platform)" = "$n" ]'
check "QEMU_SRC: a rerun finds the branch as it left it" \
    'QEMU_SRC=$src scripts/assemble.sh > /dev/null 2>&1'
git -C "$src" reset -q --hard HEAD~1
out=$(QEMU_SRC=$src scripts/assemble.sh 2>&1); rc=$?
check "QEMU_SRC: a branch that lost a commit is refused" \
    '[ $rc != 0 ] && grep -q "does not end with this series" <<< "$out"'
out=$(QEMU_SRC=$scratch/none scripts/assemble.sh 2>&1); rc=$?
check "QEMU_SRC: a missing folder is a clear error" \
    '[ $rc != 0 ] && grep -q "is not a folder" <<< "$out"'
b1=$(QEMU_SRC=$src bash -c '. scripts/config.sh; echo $BUILD_DIR')
check "QEMU_SRC: a build folder of its own" '[ "$b1" != "$BUILD_DIR" ]'
rm -rf "$src"

# 3. The files at their paths and the stack are one thing
f=hw/xen/xen_platform.c
cp "$f" "$scratch/own"
echo "/* an edit here */" >> "$f"
out=$(scripts/stack.sh verify 2>&1); rc=$?
check "the end-state check reports an edited file" \
    '[ $rc != 0 ] && grep -q "$f" <<< "$out"'
cp "$scratch/own" "$f"; rm -f "$scratch/own"
check "and passes once it is undone" 'scripts/stack.sh verify > /dev/null'
scripts/assemble.sh > /dev/null

# 4. make -f PATH/Makefile from another folder: the targets run in the
# checkout, a relative QEMU_SRC is the caller's, clean cleans the checkout
elsewhere="$scratch/elsewhere"
mkdir -p "$elsewhere/build"
out=$(cd "$elsewhere" && make -f "$top/Makefile" assemble 2>&1); rc=$?
check "make -f PATH/Makefile assemble from another folder" '[ $rc = 0 ]' ||
    sed 's/^/    /' <<< "$out"
out=$(cd "$elsewhere" && QEMU_SRC=nothere make -f "$top/Makefile" assemble 2>&1); rc=$?
check "make -f: a relative QEMU_SRC is taken from the folder make runs in" \
    '[ $rc != 0 ] && grep -qF "QEMU_SRC=$elsewhere/nothere is not a folder" <<< "$out"'
# clean, with a copy of the Makefile alone as the checkout
mkdir -p "$scratch/mk/build" "$scratch/mk/work"
cp Makefile "$scratch/mk/"
(cd "$elsewhere" && make -f "$scratch/mk/Makefile" clean) > /dev/null 2>&1
check "make -f PATH/Makefile clean removes that checkout's build folders only" \
    '[ ! -e "$scratch/mk/build" ] && [ -d "$scratch/mk/work" ] && [ -d "$elsewhere/build" ]'
rm -rf "$elsewhere" "$scratch/mk"

# 5. The QEMU download (scripts/fetch-qemu.sh): the cached one is set aside
# (and put back if the cases do not end with a good one); apt-get stands in
# for a download killed midway and for a mirror serving a damaged tarball,
# the reruns download from Debian
dl="$WORK_DIR/dl"
dsc="qemu_${QEMU_DEBIAN_VERSION#*:}.dsc"
orig=$(sed -n '/^Checksums-Sha256:/,/^[^ ]/{/^ /p}' "$dl/$dsc" | awk '$3 ~ /\.orig\.tar\./ { print $3 }')
mv "$dl" "$scratch/dl"
mkdir -p "$scratch/apt"
cat > "$scratch/apt/apt-get" <<'SH'
#!/bin/sh
case "$FAKE_APT" in
killed) head -c 1000000 "$SAVED/$ORIG" > "$ORIG"; kill -KILL 0 ;;
damaged) cp "$SAVED"/qemu_* . &&
         printf damage | dd of="$ORIG" bs=1 seek=4096 conv=notrunc 2>/dev/null ;;
esac
SH
chmod +x "$scratch/apt/apt-get"
fetch() { scripts/fetch-qemu.sh "$WORK_DIR/pristine" 2>&1; }
# with setsid: a process group of its own, which the stand-in can kill whole
fake_fetch() {
    PATH="$scratch/apt:$PATH" FAKE_APT=$1 SAVED="$scratch/dl" ORIG=$orig \
        setsid -w scripts/fetch-qemu.sh "$WORK_DIR/pristine" 2>&1
}
pinned() { [ "$(sha256sum < "$dl/$orig" | cut -d' ' -f1)" = "$QEMU_ORIG_SHA256" ]; }
out=$(fake_fetch killed); rc=$?
check "download: one killed midway leaves nothing taken for finished" \
    '[ $rc != 0 ] && [ ! -e "$dl/$dsc" ]'
out=$(fetch); rc=$?
check "download: the rerun downloads it anew, checked against the pin" \
    '[ $rc = 0 ] && pinned && [ ! -e "$dl/.partial" ]' || sed 's/^/    /' <<< "$out"
truncate -s 1000000 "$dl/$orig"
out=$(fetch); rc=$?
check "download: a finished one cut short is found out, and the message says so" \
    'grep -qF "incomplete or damaged ($orig has 1000000 bytes" <<< "$out"' ||
    sed 's/^/    /' <<< "$out"
check "download: and the rerun downloads it again" '[ $rc = 0 ] && pinned'
rm -f "$dl/$orig"
out=$(fetch); rc=$?
check "download: a .dsc without its tarball is downloaded again" \
    '[ $rc = 0 ] && pinned && grep -qF "($orig is missing)" <<< "$out"' ||
    sed 's/^/    /' <<< "$out"
rm -f "$dl/$dsc"
out=$(fake_fetch damaged); rc=$?
check "download: a damaged one is refused, and says what to do" \
    '[ $rc != 0 ] && grep -qF "$orig does not have the sha256 its .dsc gives" <<< "$out" &&
     grep -q "rerun to download it again" <<< "$out"' || sed 's/^/    /' <<< "$out"
check "download: and it is not kept" \
    '[ ! -e "$dl/$dsc" ] && [ ! -e "$dl/.partial" ] && pinned'
out=$(fetch); rc=$?
check "download: the rerun downloads it again" '[ $rc = 0 ] && pinned'
if [ $rc = 0 ] && [ -f "$dl/$dsc" ]; then rm -rf "$scratch/dl"; fi

# 6. An unprivileged user: when run as root, a throwaway system user made
# here (and removed at the end), else the user running this. It gets a
# clone of this repository (as this working tree has it), HOME=/nonexistent,
# and on PATH a sudo that records being called and refuses, and a git that
# can kill the run it is part of (for 7). The clone's download is this
# one's (hard links when run as root: root's files, read-only to that
# user); its unpacked base is QEMU's tree cut down to the files the series
# changes (and VERSION and configure), which the harness handles as it
# does the whole tree, and which keeps these cases' writes small.
ud=$(mktemp -d /tmp/xen-platform-user.XXXXXX)
c="$ud/top"
git clone -q --no-hardlinks "$top" "$c"
git ls-files -z | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$c" -xf -
mkdir -p "$c/$WORK_DIR/pristine" "$ud/bin"
for f in VERSION configure \
         $(git --git-dir="$WORK_DIR/qemu.git" diff --name-only --diff-filter=MD base refs/harness/assembled); do
    mkdir -p "$(dirname "$c/$WORK_DIR/pristine/$f")"
    cp -p "$WORK_DIR/pristine/$f" "$c/$WORK_DIR/pristine/$f"
done
cat > "$ud/bin/sudo" <<SH
#!/bin/sh
echo "\$*" >> "$ud/sudo.log"
echo "sudo: refused (this scenario's stand-in)" >&2
exit 1
SH
# git, killing its process group (the run) just before the command named
# by KILL_BEFORE, or just after the one named by KILL_AFTER
cat > "$ud/bin/git" <<SH
#!/bin/sh
[ -n "\${KILL_BEFORE:-}" ] && [ "\$*" = "\$KILL_BEFORE" ] && kill -KILL 0
$(command -v git) "\$@"; rc=\$?
[ -n "\${KILL_AFTER:-}" ] && [ "\$*" = "\$KILL_AFTER" ] && kill -KILL 0
exit \$rc
SH
chmod +x "$ud/bin/sudo" "$ud/bin/git"
if [ "$(id -u)" = 0 ] && ! useradd --system --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "xen-platform-scn$$"; then
    fail "a throwaway user for the unprivileged cases (useradd failed; they fail too)"
    as_user() { echo "no throwaway user" >&2; return 1; }
elif [ "$(id -u)" = 0 ]; then
    user=xen-platform-scn$$
    chown -R "$user:" "$ud"
    cp -al "$WORK_DIR/dl" "$c/$WORK_DIR/"
    as_user() { (cd "$ud" && runuser -u "$user" -- env HOME=/nonexistent \
        PATH="$ud/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$@"); }
else
    cp -a "$WORK_DIR/dl" "$c/$WORK_DIR/"
    as_user() { (cd "$ud" && env HOME=/nonexistent PATH="$ud/bin:$PATH" "$@"); }
fi
out=$(as_user make -f "$c/Makefile" deps 2>&1); rc=$?
check "user: the dependency step, everything installed, needs no sudo" \
    '[ $rc = 0 ] && [ ! -e "$ud/sudo.log" ]' || sed 's/^/    /' <<< "$out"
pkg=xen-platform-no-such-package
cp "$c/scripts/config.sh" "$ud/config.sh"
as_user sed -i "s/^BUILD_DEPS=\"/&$pkg /" "$c/scripts/config.sh"
out=$(as_user "$c/scripts/install-deps.sh" 2>&1); rc=$?
as_user cp "$ud/config.sh" "$c/scripts/config.sh"
check "user: with a package missing, it names it and asks sudo to install it, and only it" \
    '[ $rc != 0 ] && grep -qx "install-deps: missing: $pkg" <<< "$out" &&
     grep -q "apt-get install .* $pkg\$" "$ud/sudo.log" &&
     ! grep "apt-get install" "$ud/sudo.log" | grep -qv " $pkg\$"' ||
    sed 's/^/    /' <<< "$out"
rm -f "$ud/sudo.log"

# 7. Killed runs, as that user, each in a process group of its own
# (setsid), which the git above kills whole; make assemble is the
# dependency step, then assemble.sh. Making the base: killed halfway (the
# files added, no commit yet), at the worst moment (the base committed and
# tagged but not yet published), and just after publishing it, before the
# tree is assembled; each run after a kill starts where it must. git's
# trace2 log shows what git ran meanwhile.
w="$c/$WORK_DIR"
cgit() { as_user git --git-dir="$w/qemu.git" "$@"; }
assembled() {
    local f
    [ "$(cat "$w/qemu-src" 2>/dev/null)" = "$w/qemu" ] || return 1
    for f in hw/xen/xen_platform.c hw/xen/xen_unplug.c include/hw/xen/xen_platform.h \
             tests/qtest/xenstore-peer.c tests/qtest/xen-platform-test.c; do
        cmp -s "$c/$f" "$w/qemu/$f" || return 1
    done
}
trace="$ud/trace2.json"
for kill in "add -A -f" "tag -f base"; do
    out=$(as_user env GIT_TRACE2_EVENT="$trace" KILL_AFTER="$kill" \
          setsid -w make -f "$c/Makefile" assemble 2>&1); rc=$?
    check "killed making the base, after git $kill: nothing is published" \
        '[ $rc != 0 ] && [ ! -e "$w/qemu.git" ] && [ -d "$w/qemu.git.partial" ]' ||
        sed 's/^/    /' <<< "$out"
done
out=$(as_user env GIT_TRACE2_EVENT="$trace" KILL_BEFORE="read-tree base" \
      setsid -w make -f "$c/Makefile" assemble 2>&1); rc=$?
check "the rerun makes the whole base anew and publishes it; killed just after that" \
    '[ $rc != 0 ] && [ ! -e "$w/qemu.git.partial" ] &&
     [ "$(cgit ls-tree -r --name-only base)" = "$(cd "$w/pristine" && find . -type f | cut -c3- | LC_ALL=C sort)" ] &&
     ! cgit rev-parse -q --verify refs/harness/assembled >/dev/null' || sed 's/^/    /' <<< "$out"
check "no automatic gc was started while the base was made (it would go on in the .partial repository)" \
    '[ -s "$trace" ] && ! grep -qE "\"argv\":\[[^]]*\"(gc|maintenance)\"" "$trace"'
out=$(as_user make -f "$c/Makefile" assemble 2>&1); rc=$?
check "the rerun assembles the tree" '[ $rc = 0 ] && assembled' || sed 's/^/    /' <<< "$out"
# Recording the assembled tree: killed inside git update-ref (its lock
# left), and killed after a file was removed but before the record says
# so (as if the stack had had one more file)
as_user touch "$w/qemu.git/refs/harness/assembled.lock"
out=$(as_user make -f "$c/Makefile" assemble 2>&1); rc=$?
check "killed while recording the assembled tree (git's lock left): the rerun works" \
    '[ $rc = 0 ] && [ ! -e "$w/qemu.git/refs/harness/assembled.lock" ]' ||
    sed 's/^/    /' <<< "$out"
gone=hw/xen/xen_platform_gone.c
as_user env GIT_DIR="$w/qemu.git" GIT_INDEX_FILE="$ud/index" bash -c '
    git read-tree refs/harness/assembled &&
    git update-index --add --cacheinfo "100644,$(echo "/* gone */" | git hash-object -w --stdin),$1" &&
    t=$(git write-tree) &&
    t=$(git -c user.name=t -c user.email=t@localhost commit-tree "$t" -p base -m earlier) &&
    git update-ref refs/harness/assembled "$t"' - "$gone"; prep=$?
out=$(as_user make -f "$c/Makefile" assemble 2>&1); rc=$?
check "killed after removing a file, before recording it: the rerun works" \
    '[ $prep = 0 ] && [ $rc = 0 ] && [ ! -e "$w/qemu/$gone" ] && assembled' ||
    sed 's/^/    /' <<< "$out"
as_user sh -c 'echo "/* an edit */" >> "$1"' - "$w/qemu/hw/xen/xen_unplug.c"
out=$(as_user make -f "$c/Makefile" assemble 2>&1); rc=$?
check "an edit in work/qemu stops the run" '[ $rc != 0 ] && grep -q "changed outside the harness" <<< "$out"'
as_user rm "$w/qemu/hw/xen/xen_unplug.c"
out=$(as_user make -f "$c/Makefile" assemble 2>&1); rc=$?
check "deleting the file, as the message says, drops the edit" '[ $rc = 0 ] && assembled' ||
    sed 's/^/    /' <<< "$out"
# Two runs at once: the second waits for the first (here, a holder of
# the lock that lets it go once the run says it waits)
waits() {   # FILE PATTERN: wait up to a minute for PATTERN in FILE
    local i
    for i in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}
as_user flock "$w/.lock" sh -c \
    'echo held > "$1/held"; while [ ! -e "$1/release" ]; do sleep 0.1; done' - "$ud" &
holder=$!
waits "$ud/held" held
as_user make -f "$c/Makefile" assemble > "$ud/run.out" 2>&1 &
run=$!
waits "$ud/run.out" "another run is using $WORK_DIR; waiting"; said=$?
touch "$ud/release"
wait $run; rc=$?
wait $holder
check "a run waits for one already changing work/, and says so" \
    '[ $said = 0 ] && [ $rc = 0 ] && assembled' || sed 's/^/    /' "$ud/run.out"
# make check up to its build: QEMU's configure in the clone's tree is
# replaced by a stand-in that stops there
printf '#!/bin/sh\necho "configure stand-in: $*"\nexit 1\n' |
    as_user sh -c 'cat > "$1"' - "$w/qemu/configure"
out=$(as_user make -f "$c/Makefile" check 2>&1); rc=$?
check "user: make check runs its end-state check and gets to configure" \
    '[ $rc != 0 ] && grep -q "^stack: .* end state = " <<< "$out" &&
     grep -q "^configure stand-in: " <<< "$out"' || sed 's/^/    /' <<< "$out"
check "user: with HOME=/nonexistent, ccache's cache is work/ccache, as the build says" \
    'grep -qF "is not writable; using $w/ccache" <<< "$out"'
check "user: sudo was not called" '[ ! -e "$ud/sudo.log" ]'
rm -rf "$ud"; ud=
if [ -n "$user" ]; then userdel "$user"; user=; fi

# 8. make check's qtests run through meson test, counted by
# scripts/testlog.py from meson's JSON log: first on a log written here
# (a pass with a skip, a failing subtest, a crash, a test meson skipped,
# a test missing), then for real, with timeouts too short to pass
cat > "$scratch/testlog.json" <<'JSON'
{"name": "qemu:qtest+qtest-x86_64 / qtest-x86_64/t-pass", "result": "OK", "returncode": 0, "duration": 1.5, "stdout": "1..3\nok 1 /x/a\nok 2 /x/b # SKIP no xenstore\nok 3 /x/c\n", "stderr": ""}
{"name": "qemu:qtest+qtest-x86_64 / qtest-x86_64/t-notok", "result": "FAIL", "returncode": 1, "duration": 1.0, "stdout": "1..2\nok 1 /x/d\n# Start of x tests\n# the verdict was 0xd249\nnot ok 2 /x/e\n", "stderr": ""}
{"name": "qemu:qtest+qtest-x86_64 / qtest-x86_64/t-crash", "result": "ERROR", "returncode": -6, "duration": 0.2, "stdout": "1..3\nok 1 /x/f\nBail out! ERROR:t.c:9:f: assertion failed\n", "stderr": "**\nERROR:t.c:9:f: assertion failed\n"}
{"name": "qemu:qtest+qtest-x86_64 / qtest-x86_64/t-skip", "result": "SKIP", "returncode": 77, "duration": 0.1, "stdout": "1..0 # SKIP no KVM\n", "stderr": ""}
JSON
out=$(python3 scripts/testlog.py "$scratch/testlog.json" qtest-x86_64/t-pass qtest-x86_64/t-notok \
      qtest-x86_64/t-crash qtest-x86_64/t-skip qtest-x86_64/t-missing); rc=$?
check "qtest counts: subtests passed, failed and skipped, crashes and missing tests" \
    '[ $rc = 1 ] && [ "$(tail -n 1 <<< "$out")" = "4 passed, 3 failed, 2 skipped" ]' ||
    sed 's/^/    /' <<< "$out"
check "qtest counts: the failing subtest is shown after what the test said before it" \
    'grep -A1 -x "     # the verdict was 0xd249" <<< "$out" | grep -qx "   not ok 2 /x/e" &&
     ! grep -q "Start of" <<< "$out"'
check "qtest counts: a crash is shown with its Bail out! line and its stderr" \
    'grep -qx "   Bail out! ERROR:t.c:9:f: assertion failed" <<< "$out" &&
     grep -qx "   t-crash failed: ERROR, killed by signal 6" <<< "$out" &&
     grep -qx "   | ERROR:t.c:9:f: assertion failed" <<< "$out"'
out=$(python3 scripts/testlog.py "$scratch/testlog.json" qtest-x86_64/t-pass qtest-x86_64/t-skip); rc=$?
check "qtest counts: all passed or skipped is a pass" \
    '[ $rc = 0 ] && [ "$(tail -n 1 <<< "$out")" = "2 passed, 0 failed, 2 skipped" ]'
# for real: on the build make check made (not built here)
built=yes
for t in qemu-system-x86_64 qemu-img tests/qtest/xen-platform-test tests/qtest/qmp-cmd-test \
         tests/qtest/device-introspect-test tests/qtest/qom-test tests/qtest/test-hmp; do
    [ -x "$BUILD_DIR/$t" ] || built=
done
if [ -n "$built" ]; then
    out=$(MESON_TEST_ARGS="--timeout-multiplier=0.001 --logbase=scenario-timeouts" \
          scripts/check.sh 2>&1); rc=$?
    check "make check's qtests, every one timing out: check.sh fails and says so" \
        '[ $rc != 0 ] && grep -q "xen-platform-test failed: timed out after" <<< "$out" &&
         tail -n 1 <<< "$out" | grep -qE "^[0-9]+ passed, ([5-9]|[1-9][0-9]+) failed, [0-9]+ skipped$"' ||
        sed 's/^/    /' <<< "$out"
    rm -f "$BUILD_DIR"/meson-logs/scenario-timeouts.*
else
    skip "make check's qtests for real: no build of make check in $BUILD_DIR"
fi

# 9. make xen's judging (XEN_JUDGE_ONLY=1) of a run it did not make: a
# job that passed after a retry, one whose result is wrong, one whose
# every attempt stalled, one left unrun; unrun is skipped when the run's
# time limit ended it and failed otherwise
xr=$scratch/xen-run
d=$xr/run/out/01-a
mkdir -p "$xr/scen/01-a" "$xr/scen/02-b" "$d/series--.stalled-1" "$d/series--" "$d/base--" \
         "$xr/run/out/02-b/series--"
touch "$xr/scen/01-a/dom0.sh" "$xr/scen/02-b/dom0.sh"
printf '%s\n' '*/* console-* has ^GUEST ok' '*/* console-* lacks BAD' > "$xr/scen/01-a/expect"
: > "$xr/scen/02-b/expect"
printf '%s\n' '01-a series -' '01-a base -' '02-b series -' '02-b base -' > "$xr/run/jobs.all"
echo /bin/echo > "$xr/run/outer"
echo "01-a-series is gone while waiting for 'GUEST done'" > "$d/series--.stalled-1/stalled"
printf '1 3 60\n2 0 55\n' > "$d/series--.attempts"
printf 'GUEST ok\r\n' > "$d/series--/console-01-a-series"
printf 'GUEST ok\r\nBAD\r\n' > "$d/base--/console-01-a-base"
echo "no 'GUEST done' within 240 s" > "$xr/run/out/02-b/series--/stalled"
touch "$d/series--.done" "$d/base--.done" "$xr/run/out/02-b/series--.done" "$xr/run/out-of-time"
judge() { XEN_JUDGE_ONLY=1 XEN_RUN_DIR="$xr/run" XEN_SCENARIOS="$xr/scen" scripts/xen-run.sh 2>&1; }
out=$(judge); rc=$?
check "make xen's judging: a pass after a retry, a wrong result, repeated stalls, a job unrun at the time limit" \
    '[ $rc != 0 ] && tail -n 1 <<< "$out" | grep -qx "1 passed, 2 failed, 1 skipped" &&
     grep -q "PASS 01-a series (retry after attempt 1: 01-a-series is gone" <<< "$out" &&
     grep -A1 "FAIL 01-a base" <<< "$out" | grep -q "console-\* has .BAD." &&
     grep -A1 "FAIL 02-b series" <<< "$out" | grep -q "stalled in every attempt" &&
     grep -q "SKIP 02-b base (not run to its end within the run.s time limit" <<< "$out"' ||
    sed 's/^/    /' <<< "$out"
rm "$xr/run/out-of-time"
out=$(judge); rc=$?
check "make xen's judging: a job unrun without the time limit fails" \
    '[ $rc != 0 ] && tail -n 1 <<< "$out" | grep -qx "1 passed, 3 failed, 0 skipped" &&
     grep -A1 "FAIL 02-b base" <<< "$out" | grep -q "not run to its end"' ||
    sed 's/^/    /' <<< "$out"

echo "$passed passed, $failed failed${skipped:+, $skipped skipped}"
[ "$failed" = 0 ]

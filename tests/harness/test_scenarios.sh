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
# Ends with "N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top"
. scripts/config.sh

passed=0 failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
fail() { echo "not ok - $1"; failed=$((failed + 1)); }
check() { if eval "$2"; then ok "$1"; else fail "$1"; return 1; fi; }

scratch=$(mktemp -d)
edited="$WORK_DIR/qemu/hw/xen/xen_unplug.c"
cleanup() {
    if [ -d "$scratch/dl" ]; then rm -rf "$WORK_DIR/dl"; mv "$scratch/dl" "$WORK_DIR/dl"; fi
    [ -f "$scratch/saved" ] && cp "$scratch/saved" "$edited"
    [ -f "$scratch/own" ] && cp "$scratch/own" hw/xen/xen_platform.c
    rm -rf "$scratch"
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
# in a session of its own, which the stand-in can kill whole
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

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

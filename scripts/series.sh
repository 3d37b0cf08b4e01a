#!/usr/bin/env bash
# Export the series as numbered git format-patch files with a cover letter
# into build/series/ (BASE=10.0: build/series-10.0/), commit by commit as
# patches/NN-*/ describe it, and run
# QEMU's checkpatch.pl on every patch.
#   usage: series.sh           -> build/series/*.patch, checkpatch report
#          series.sh --check   -> also build each commit and run the
#                                 device's qtests at that point
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cd "$top"
. "$here/config.sh"
. "$here/series-lib.sh"

check_each=
[ "${1:-}" = --check ] && check_each=1

"$here/assemble.sh" >/dev/null     # makes sure the base exists
base_git=(git --git-dir="$top/$WORK_DIR/qemu.git")
tree="$top/$WORK_DIR/series-tree"
out="$top/$SERIES_DIR"

# The series is whoever exports it: author and Signed-off-by come from
# SERIES_AUTHOR_NAME/SERIES_AUTHOR_EMAIL or else from git's identity
name=${SERIES_AUTHOR_NAME:-$(git -C "$top" config user.name || true)}
email=${SERIES_AUTHOR_EMAIL:-$(git -C "$top" config user.email || true)}
if [ -z "$name" ] || [ -z "$email" ]; then
    echo "series: no author: set git config user.name and user.email (the" >&2
    echo "  exported patches are yours, signed off by you), or SERIES_AUTHOR_NAME" >&2
    echo "  and SERIES_AUTHOR_EMAIL" >&2
    exit 1
fi
export GIT_AUTHOR_NAME="$name" GIT_AUTHOR_EMAIL="$email"
export GIT_COMMITTER_NAME="$name" GIT_COMMITTER_EMAIL="$email"
export GIT_AUTHOR_DATE="${SERIES_DATE:-$(git -C "$top" log -1 --format=%aI 2>/dev/null || date -R)}"
export GIT_COMMITTER_DATE="$GIT_AUTHOR_DATE"

rm -rf "$tree"
"${base_git[@]}" worktree prune
"${base_git[@]}" worktree add -q --detach "$tree" base
tree_git=$(git -C "$tree" rev-parse --absolute-git-dir)
for c in $(series_commits); do
    (export GIT_DIR="$tree_git" GIT_WORK_TREE="$tree"
     series_stage_commit "$c") || exit 1
    { cat "$c/message"; printf '\nSigned-off-by: %s <%s>\n' "$name" "$email"; } |
        git -C "$tree" commit -q -F -
done
# The commits were made from the index: bring the work tree along
git -C "$tree" reset -q --hard
git -C "$tree" clean -fdq

rm -rf "$out"
mkdir -p "$out"
git -C "$tree" format-patch -q --cover-letter --subject-prefix=PATCH \
    -o "$out" base..HEAD
cover=$(ls "$out"/0000-*.patch)
python3 - "$cover" "$top/patches/cover-letter" <<'PY'
import sys
cover, text = sys.argv[1], open(sys.argv[2]).read()
subject, body = text.split("\n", 1)
s = open(cover).read()
s = s.replace("*** SUBJECT HERE ***", subject.strip())
s = s.replace("*** BLURB HERE ***", body.strip())
open(cover, "w").write(s)
PY
echo "series: $(ls "$out"/*.patch | wc -l) files in $out"

status=0
for p in "$out"/*.patch; do
    [ "$p" = "$cover" ] && continue
    res=$(cd "$tree" && ./scripts/checkpatch.pl "$p" 2>&1) || status=1
    printf '%-60s %s\n' "$(basename "$p")" "$(echo "$res" | grep -E '^total:' || echo "$res" | tail -n 1)"
    echo "$res" | grep -E '^(ERROR|WARNING)' -A3 | sed 's/^/    /' || true
done
[ "$status" = 0 ] && echo "series: checkpatch: no errors" || echo "series: checkpatch found errors"

if [ -n "$check_each" ]; then
    # The worktree is a git checkout, where QEMU's configure makes
    # warnings errors; Debian's tree has a few unrelated ones.
    bdir="$BUILD_DIR/series-check"
    n=0
    for rev in $(git -C "$tree" rev-list --reverse base..HEAD); do
        n=$((n + 1))
        git -C "$tree" checkout -q "$rev"
        subj=$(git -C "$tree" log -1 --format=%s)
        log="$bdir/commit-$n.log"
        mkdir -p "$bdir"
        targets=qemu-system-x86_64
        [ -f "$tree/tests/qtest/xen-platform-test.c" ] &&
            targets="$targets tests/qtest/xen-platform-test"
        if ! BUILD_SRC="$tree" "$here/build.sh" "$bdir" --enable-xen \
                --extra-cflags=-Wno-error -- $targets > "$log" 2>&1; then
            echo "series-check: $n '$subj': build FAILED ($log)"
            status=1
            continue
        fi
        if [ -f "$tree/tests/qtest/xen-platform-test.c" ]; then
            if QTEST_QEMU_BINARY="$bdir/qemu-system-x86_64" \
                  "$bdir/tests/qtest/xen-platform-test" >> "$log" 2>&1; then
                r="builds, $(grep -c '^ok' "$log") device qtests pass"
            else
                r="device qtests FAILED ($log)"
                status=1
            fi
        else
            r="builds (no device qtests yet)"
        fi
        echo "series-check: $n '$subj': $r"
    done
fi
exit $status

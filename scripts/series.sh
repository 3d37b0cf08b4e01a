#!/usr/bin/env bash
# Export the stack as the three series it is posted as (patches/parts),
# numbered git format-patch files with a cover letter each, into
# build/series/<part>/ (BASE=10.0: build/series-10.0/<part>/), and run
# QEMU's checkpatch.pl on every patch.
#   usage: series.sh           -> build/series/*/*.patch, checkpatch report
#          series.sh --check   -> also build each commit and run the
#                                 device's qtests at that point
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cd "$top"
. "$here/config.sh"
. "$here/stack-lib.sh"

check_each=
[ "${1:-}" = --check ] && check_each=1

"$here/assemble.sh" >/dev/null     # makes sure the base exists
base_git=(git --git-dir="$top/$WORK_DIR/qemu.git")
# The scratch tree and the build of make series-check sit as the assembled
# tree and its build do (work/qemu and build/), one level down, so that
# ccache finds the objects of the assembled tree's build for every file a
# commit has in common with it
sc="$WORK_DIR/sc"
tree="$top/$sc/$WORK_DIR/qemu"
out="$top/$SERIES_DIR"

# The series is whoever exports it: author and Signed-off-by come from
# SERIES_AUTHOR_NAME/SERIES_AUTHOR_EMAIL or else from git's identity
who=$(stack_identity)
if [ -z "$who" ]; then
    echo "series: no author: set git config user.name and user.email (the" >&2
    echo "  exported patches are yours, signed off by you), or SERIES_AUTHOR_NAME" >&2
    echo "  and SERIES_AUTHOR_EMAIL" >&2
    exit 1
fi
name=${who% <*} email=$(echo "$who" | sed 's/.*<\(.*\)>/\1/')
# The series' own files name their copyright holder: SERIES_COPYRIGHT, or
# the name of whoever signs the series off
export STACK_COPYRIGHT="${SERIES_COPYRIGHT:-$name}"
export GIT_AUTHOR_NAME="$name" GIT_AUTHOR_EMAIL="$email"
export GIT_COMMITTER_NAME="$name" GIT_COMMITTER_EMAIL="$email"
export GIT_AUTHOR_DATE="${SERIES_DATE:-$(git -C "$top" log -1 --format=%aI 2>/dev/null || date -R)}"
export GIT_COMMITTER_DATE="$GIT_AUTHOR_DATE"

# sc_checkout REV: make $tree the tree of REV. It is a plain folder with
# an index of its own, not a git checkout (QEMU's configure turns -Werror
# on in git checkouts, which the assembled tree's build does not have);
# only the files that change are written, so that builds stay incremental.
sc_checkout() {
    local at
    export GIT_DIR="$top/$WORK_DIR/qemu.git" GIT_WORK_TREE="$tree"
    export GIT_INDEX_FILE="$top/$sc/index"
    at=$(cat "$top/$sc/rev" 2>/dev/null || true)
    # the index's stat data must be fresh, or diff-index takes every file
    # for changed and the whole tree is written again (a full rebuild)
    if [ -n "$at" ] && [ -d "$tree" ] && [ -f "$GIT_INDEX_FILE" ] &&
       { git update-index -q --refresh >/dev/null 2>&1 || true; } &&
       git diff-index --quiet "$at" -- 2>/dev/null; then
        git read-tree -m -u "$at" "$1"
    else
        rm -rf "$tree" "$GIT_INDEX_FILE"
        mkdir -p "$tree"
        git read-tree "$1"
        git checkout-index -a -f -u
    fi
    # The files the series changes are checked by content, whatever stat
    # data and an earlier run left: each must be REV's blob, or absent
    # where REV has none, and is written again otherwise
    local f want
    for f in $(git diff --name-only base "$head"); do
        want=$(git rev-parse -q --verify "$1:$f" 2>/dev/null) || want=
        if [ -z "$want" ]; then
            if [ -e "$tree/$f" ]; then
                echo "series: $f should not be in the scratch tree; removed" >&2
                rm -f "$tree/$f"
            fi
        elif [ ! -f "$tree/$f" ] || [ "$(git hash-object "$tree/$f")" != "$want" ]; then
            echo "series: $f in the scratch tree was not $1's; written again" >&2
            mkdir -p "$(dirname "$tree/$f")"
            git cat-file blob "$want" > "$tree/$f"
        fi
    done
    git update-index -q --refresh >/dev/null 2>&1 || true
    echo "$1" > "$top/$sc/rev"
    unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
}

# The stack's commits, carried to $BASE, made on the base from a scratch
# index (commit-tree: no work tree is involved)
mkdir -p "$top/$sc"
head=$("${base_git[@]}" rev-parse base)
idx=$(mktemp)
trap 'rm -f "$idx"' EXIT
GIT_INDEX_FILE=$idx "${base_git[@]}" read-tree base
for p in $(stack_patches); do
    stack_dropped "$p" && continue
    t=$(export GIT_DIR="$top/$WORK_DIR/qemu.git" GIT_INDEX_FILE="$idx"
        stack_stage "$p" >&2 && stack_write_tree) || exit 1
    # the sign-off joins the message's trailers (Cc:, Fixes:), if any
    head=$(stack_message "$p" |
           git interpret-trailers --trailer "Signed-off-by: $who" |
           "${base_git[@]}" commit-tree "$t" -p "$head" -F -)
done
GIT_DIR="$top/$WORK_DIR/qemu.git" stack_update_ref refs/harness/series "$head"
sc_checkout "$head"

# The stack goes to the lists as three series, each applying on the one
# before (patches/parts): each is exported into a folder of its own with
# its own cover letter (patches/cover-letters/), the later ones naming the
# one before in a Based-on: line
parts=()
while read -r part first; do
    parts+=("$part:$first")
done < <(sed -e 's/#.*//' -e '/^ *$/d' "$top/patches/parts")
# the commit each patch became, by its name
declare -A commit_of part_of
mapfile -t revs < <("${base_git[@]}" rev-list --reverse "base..$head")
k=0
for p in $(stack_patches); do
    stack_dropped "$p" && continue
    commit_of[$(stack_name "$p")]=${revs[$k]}
    k=$((k + 1))
done
# part_start PART-ENTRY: the commit before its first patch (a patch the
# base drops gives way to the next one)
part_start() {
    local first=${1#*:} p found=
    for p in $(stack_patches); do
        [ "$(stack_name "$p")" = "$first" ] && found=1
        [ -n "$found" ] && [ -n "${commit_of[$(stack_name "$p")]:-}" ] && {
            "${base_git[@]}" rev-parse "${commit_of[$(stack_name "$p")]}~1"; return; }
    done
    [ -n "$found" ] || { echo "series: patches/parts names $first, which is no patch" >&2; exit 1; }
    echo "$head"
}

rm -rf "$out"
mkdir -p "$out"
prev_cover=
for i in "${!parts[@]}"; do
    part=${parts[$i]%%:*}
    from=$(part_start "${parts[$i]}")
    if [ $((i + 1)) -lt ${#parts[@]} ]; then
        to=$(part_start "${parts[$((i + 1))]}")
    else
        to=$head
    fi
    [ "$from" != "$to" ] || continue
    pout="$out/$part"
    mkdir -p "$pout"
    for rev in $("${base_git[@]}" rev-list "$from..$to"); do
        part_of[$rev]=$part
    done
    "${base_git[@]}" format-patch -q --cover-letter --thread=shallow \
        --subject-prefix="PATCH v$SERIES_VERSION" -o "$pout" "$from..$to"
    cover=$(ls "$pout"/0000-*.patch)
    # Recipients: what QEMU's get_maintainer.pl names for each patch, and
    # their union for the cover letter, with the Cc: lines of the patches'
    # messages (qemu-stable); the lists go to To:, people to Cc:
    for p in "$pout"/*.patch; do
        [ "$p" = "$cover" ] && continue
        (cd "$tree" && ./scripts/get_maintainer.pl --no-rolestats --no-git-fallback \
            "$p" 2>/dev/null) > "$p.to" || true
        sed -n 's/^Cc: //p' "$p" >> "$p.to"
    done
    for p in "$pout"/*.patch; do
        [ "$p" = "$cover" ] || "$here/mail-headers.py" "$p" "$p.to"
    done
    "$here/mail-headers.py" "$cover" "$pout"/*.patch.to
    python3 - "$cover" "$top/patches/cover-letters/$part" "$prev_cover" <<'PY'
import re, sys
cover, letter, prev = sys.argv[1], sys.argv[2], sys.argv[3]
subject, body = open(letter).read().split("\n", 1)
body = body.strip()
if prev:
    p = open(prev).read()
    msgid = re.search(r"(?mi)^Message-Id: *(<[^>]*>)", p).group(1)
    psubj = re.search(r"(?m)^Subject: (.*(?:\n .*)*)", p).group(1)
    psubj = re.sub(r"\s*\n\s*", " ", psubj)
    body = "Based-on: %s\n(%s)\n\n%s" % (msgid, psubj, body)
s = open(cover).read()
s = s.replace("*** SUBJECT HERE ***", subject.strip())
s = s.replace("*** BLURB HERE ***", body)
open(cover, "w").write(s)
PY
    rm -f "$pout"/*.patch.to
    prev_cover=$cover
    echo "series: $part: $(ls "$pout"/*.patch | wc -l) files in $pout"
done
echo "series: $(ls "$out"/*/*.patch | wc -l) files in $out, ${#parts[@]} series (v$SERIES_VERSION, on QEMU $BASE)"

# patches/checkpatch-accepted: errors that checkpatch.pl reports and its
# own text allows (each explained in its commit's message), as
# "<patch name without its number><TAB><the error's text>" lines
accepted_file="$top/patches/checkpatch-accepted"
status=0 errors=0 warnings=0 accepted=0
for p in "$out"/*/*.patch; do
    case "$p" in */0000-cover-letter.patch) continue ;; esac
    res=$(cd "$tree" && ./scripts/checkpatch.pl "$p" 2>&1) || true
    total=$(echo "$res" | grep -E '^total:' || echo "$res" | tail -n 1)
    printf '%-60s %s\n' "$(basename "$p")" "$total"
    echo "$res" | grep -E '^(ERROR|WARNING)' -A3 | sed 's/^/    /' || true
    e=$(echo "$total" | sed -n 's/^total: \([0-9]*\) errors, \([0-9]*\) warnings.*/\1 \2/p')
    [ -n "$e" ] || { status=1; continue; }
    name=$(basename "$p" .patch); name=${name#[0-9][0-9][0-9][0-9]-}
    ok=0
    while IFS=$'\t' read -r n text; do
        [ "$n" = "$name" ] || continue
        ok=$((ok + $(echo "$res" | grep -cxF "ERROR: $text" || true)))
    done < <(grep -v '^#' "$accepted_file" 2>/dev/null || true)
    [ "$ok" -gt 0 ] && echo "    (accepted: $ok, see patches/checkpatch-accepted)"
    errors=$((errors + ${e% *} - ok)) warnings=$((warnings + ${e#* }))
    accepted=$((accepted + ok))
done
echo "series: checkpatch: $errors errors, $warnings warnings ($accepted accepted)"
[ "$errors" = 0 ] && [ "$warnings" = 0 ] || status=1

# The companion series for Xen's documentation, once, with the primary base
if [ "$BASE" = "$PRIMARY_BASE" ]; then
    "$here/series-xen.sh" || status=1
fi

if [ -n "$check_each" ]; then
    bdir="$sc/$BUILD_DIR"
    n=0 good=0
    for rev in $("${base_git[@]}" rev-list --reverse "base..$head"); do
        n=$((n + 1))
        sc_checkout "$rev"
        subj=$("${base_git[@]}" log -1 --format=%s "$rev")
        label="$n (${part_of[$rev]:-?})"
        log="$bdir/commit-$n.log"
        mkdir -p "$bdir"
        targets="qemu-system-x86_64 tests/qtest/qmp-cmd-test"
        [ -f "$tree/tests/qtest/xen-platform-test.c" ] &&
            targets="$targets tests/qtest/xen-platform-test"
        if ! BUILD_SRC="$tree" "$here/build.sh" "$bdir" --enable-xen \
                -- $targets > "$log" 2>&1; then
            echo "series-check: $label '$subj': build FAILED ($log)"
            status=1
            continue
        fi
        # QEMU's configure makes warnings errors in a git checkout: a
        # warning in a file the series changed fails the commit
        r="builds"
        warned=$(grep -F ': warning: ' "$log" | grep -F -f <("${base_git[@]}" diff --name-only base "$rev") | sort -u) || true
        if [ -n "$warned" ]; then
            echo "$warned" | sed 's/^/    /'
            r="builds with warnings, FAILED"
            status=1
        fi
        # every qtest of the series' that exists at this commit, and
        # QEMU's QMP command test, which calls every query command
        # (both at once: each is one test process and one QEMU at a time)
        ran=()
        for t in xen-platform-test qmp-cmd-test; do
            [ -x "$bdir/tests/qtest/$t" ] && [ -f "$tree/tests/qtest/$t.c" ] || continue
            ran+=("$t")
            { QTEST_QEMU_BINARY="$bdir/qemu-system-x86_64" G_TEST_DBUS_DAEMON=/bin/true \
                  timeout 900 "$bdir/tests/qtest/$t" --tap -k > "$log.$t" 2>&1
              echo $? > "$log.$t.rc"; } &
        done
        wait
        for t in ${ran[@]+"${ran[@]}"}; do
            if [ "$(cat "$log.$t.rc")" = 0 ]; then
                r="$r, $t: $(grep -c '^ok' "$log.$t") pass"
            else
                r="$r, $t FAILED ($log.$t)"
                status=1
            fi
        done
        case "$r" in *FAILED*) ;; *) good=$((good + 1)) ;; esac
        echo "series-check: $label '$subj': $r"
    done
    # each commit is one check: it builds and its tests pass
    echo "$good passed, $((n - good)) failed"
fi
exit $status

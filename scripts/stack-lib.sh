# The series as a stack of commits. Sourced by the scripts in this folder,
# after config.sh; $top is the repository root.
#
#   patches/series/NNNN-*.patch   the commits on the primary base, in
#                                 order, as git format-patch writes them
#                                 (author, Signed-off-by and date are the
#                                 exporter's, added by make series)
#   patches/series/imports        "QEMU-path installed-file subject" lines:
#                                 files of another project (Xen's public
#                                 headers) that the commit with that subject
#                                 imports, taken at assembly time from the
#                                 package that installs them; their content
#                                 is not in the stored patch
#   patches/base-B/               how the stack is carried to base B:
#     NAME.patch                  for the commit stored as NNNN-NAME.patch,
#                                 the files this patch names are changed as
#                                 it says instead of as the primary one does
#     drop                        NAMEs of commits that base B has no use for
#     interfaces.sed              sed script applied to the series' own
#                                 files on base B, for the interfaces that
#                                 base spells otherwise
#
# The files the series adds (other than imports) are also kept at their
# QEMU paths in this repository: they are the stack's end state, and
# stack-verify.sh (part of make check) proves the two identical.

STACK_DIR=patches/series
# Where the files the series adds live in this repository
STACK_ROOTS="hw include qapi stubs docs/specs tests/qtest tests/unit"

stack_patches() { ls "$top/$STACK_DIR"/[0-9]*.patch 2>/dev/null; }

# stack_name P: the name of patch P without its number and .patch
stack_name() { local b; b=$(basename "$1" .patch); echo "${b#[0-9][0-9][0-9][0-9]-}"; }

# stack_subject P: P's subject, without [PATCH]
stack_subject() {
    git mailinfo /dev/null /dev/null < "$1" | sed -n 's/^Subject: //p'
}

# stack_message P: P's commit message (subject, blank line, body)
stack_message() {
    local msg
    msg=$(mktemp)
    git mailinfo "$msg" /dev/null < "$1" | sed -n 's/^Subject: //p'
    if [ -s "$msg" ]; then echo; cat "$msg"; fi
    rm -f "$msg"
}

stack_imports() {
    grep -v '^#' "$top/$STACK_DIR/imports" 2>/dev/null | sed '/^ *$/d'
}

stack_import_paths() { stack_imports | awk '{ print $1 }'; }

stack_dropped() {
    [ "$BASE" != "$PRIMARY_BASE" ] || return 1
    grep -qxF "$(stack_name "$1")" "$top/patches/base-$BASE/drop" 2>/dev/null
}

# stack_stage P: apply commit P to the index of the git repository in the
# environment (GIT_DIR, GIT_INDEX_FILE), carried to $BASE.
stack_stage() {
    local p=$1 alt="" subj f src rest blob
    local excl=()
    if [ "$BASE" != "$PRIMARY_BASE" ]; then
        alt="$top/patches/base-$BASE/$(stack_name "$p").patch"
        if [ -f "$alt" ]; then
            for f in $(git apply --numstat "$alt" | cut -f3); do
                excl+=("--exclude=$f")
            done
        else
            alt=""
        fi
    fi
    if grep -q '^diff --git ' "$p"; then
        git apply --cached ${excl[@]+"${excl[@]}"} "$p" || {
            echo "stack: $(basename "$p") does not apply to QEMU $BASE" >&2
            return 1; }
    fi
    if [ -n "$alt" ]; then
        git apply --cached "$alt" || {
            echo "stack: patches/base-$BASE/$(basename "$alt") does not apply" >&2
            return 1; }
    fi
    subj=$(stack_subject "$p")
    while read -r f src rest; do
        [ "$rest" = "$subj" ] || continue
        [ -r "$src" ] || {
            echo "stack: $(basename "$p") imports $src, which is missing" \
                 "(installed by scripts/install-deps.sh)" >&2; return 1; }
        blob=$(git hash-object -w "$src")
        git update-index --add --cacheinfo "100644,$blob,$f"
    done < <(stack_imports)
}

# The copyright holder the series' own files name in the repository; the
# exported series names its submitter instead (STACK_COPYRIGHT)
STACK_COPYRIGHT_PLACEHOLDER="Xen platform series <xen-platform@localhost>"

# stack_write_tree: write the index as a tree, as on $BASE: the series' own
# files are kept in the primary base's spelling in the index (so that every
# commit's patch applies to them), and written in $BASE's; with
# STACK_COPYRIGHT set, their copyright lines name it instead of the
# placeholder
stack_write_tree() {
    local sedf="$top/patches/base-$BASE/interfaces.sed" idx f blob
    local seds=()
    if [ "$BASE" != "$PRIMARY_BASE" ] && [ -f "$sedf" ]; then
        seds+=(-f "$sedf")
    fi
    if [ -n "${STACK_COPYRIGHT:-}" ]; then
        seds+=(-e "s|^\( \* Copyright (c) [0-9]* \)$STACK_COPYRIGHT_PLACEHOLDER\$|\1$(printf '%s' "$STACK_COPYRIGHT" | sed 's/[|&\\]/\\&/g')|")
    fi
    if [ ${#seds[@]} = 0 ]; then
        git write-tree
        return
    fi
    idx=$(mktemp)
    cp "${GIT_INDEX_FILE:-$(git rev-parse --git-path index)}" "$idx"
    for f in $(git diff --cached --name-only --diff-filter=AM base); do
        git cat-file -e "base:$f" 2>/dev/null && continue
        case "$f" in *.c|*.h) ;; *) continue ;; esac
        blob=$(git cat-file blob ":$f" | sed "${seds[@]}" | git hash-object -w --stdin)
        GIT_INDEX_FILE=$idx git update-index --cacheinfo "100644,$blob,$f"
    done
    GIT_INDEX_FILE=$idx git write-tree
    rm -f "$idx"
}

# stack_owned TREE: the files the series adds in TREE (a tree on "base"),
# imports excepted: the files this repository keeps at their QEMU paths
stack_owned() {
    git diff --name-only --diff-filter=A base "$1" |
        grep -vxF -f <(stack_import_paths; echo /) || true
}

# stack_tree [BASE-REV]: stage the whole stack on the base (tag "base")
# in a scratch index and print the tree (GIT_DIR must be set)
stack_tree() {
    (
        export GIT_INDEX_FILE
        GIT_INDEX_FILE=$(mktemp)
        trap 'rm -f "$GIT_INDEX_FILE"' EXIT
        git read-tree "${1:-base}"
        for p in $(stack_patches); do
            stack_dropped "$p" && continue
            stack_stage "$p" || exit 1
        done
        stack_write_tree
    )
}

# stack_am DIR P "NAME <EMAIL>": commit P in the git checkout DIR, as
# git am does, authored and committed by that identity, with its imports
stack_am() {
    local dir=$1 p=$2 who=$3 name email subj f src rest
    # git in DIR, not in the repository the environment may name
    dgit() { env -u GIT_DIR -u GIT_WORK_TREE -u GIT_INDEX_FILE git -C "$dir" "$@"; }
    name=${who% <*}
    email=$(echo "$who" | sed 's/.*<\(.*\)>/\1/')
    sed "0,/^From: .*/s//From: $who/" "$p" |
        dgit -c user.name="$name" -c user.email="$email" \
            am -q --empty=keep --keep-non-patch >/dev/null || {
        dgit am --abort 2>/dev/null || true
        echo "stack: $(basename "$p") does not apply in $dir" >&2
        return 1; }
    subj=$(stack_subject "$p")
    while read -r f src rest; do
        [ "$rest" = "$subj" ] || continue
        mkdir -p "$(dirname "$dir/$f")"
        cp "$src" "$dir/$f"
        dgit add "$f"
        dgit -c user.name="$name" -c user.email="$email" \
            commit -q --amend --no-edit --allow-empty
    done < <(stack_imports)
}

# stack_identity: who runs this ("NAME <EMAIL>"), or "" if git has no
# identity and SERIES_AUTHOR_NAME/SERIES_AUTHOR_EMAIL are unset
stack_identity() {
    local n e
    n=${SERIES_AUTHOR_NAME:-$(git -C "$top" config user.name || true)}
    e=${SERIES_AUTHOR_EMAIL:-$(git -C "$top" config user.email || true)}
    if [ -n "$n" ] && [ -n "$e" ]; then echo "$n <$e>"; fi
}

# stack_locked CMD...: run the program CMD holding $WORK_DIR/.lock, so that
# one run at a time changes the base, the assembled tree and the records
# in $WORK_DIR/qemu.git. flock(1) itself holds the lock (-o), not CMD's
# children (a git gc that detaches, say), and a run that is killed lets it
# go. Under the lock already (HARNESS_LOCKED), CMD just runs.
stack_locked() {
    local lock="$top/$WORK_DIR/.lock" rc=0
    if [ -n "${HARNESS_LOCKED:-}" ]; then "$@"; return; fi
    mkdir -p "$top/$WORK_DIR"
    HARNESS_LOCKED=1 flock -n -E 75 -o "$lock" "$@" || rc=$?
    if [ $rc = 75 ]; then
        echo "harness: another run is using $WORK_DIR; waiting for it to finish" >&2
        rc=0
        HARNESS_LOCKED=1 flock -o "$lock" "$@" || rc=$?
    fi
    return $rc
}

# stack_update_ref REF COMMIT: point REF of the repository in the
# environment (GIT_DIR) at COMMIT, under the lock: a REF.lock that git
# left there can only be a killed run's, and is removed first
stack_update_ref() {
    stack_locked sh -c 'rm -f "$(git rev-parse --git-path "$1.lock")" &&
                        exec git update-ref "$1" "$2"' - "$1" "$2"
}

#!/usr/bin/env bash
# Assemble the patched QEMU tree: the pinned base plus the series (the QEMU
# file patches and the files the series owns, commit by commit as listed in
# patches/). Repeated runs touch only what changed, so that the build stays
# incremental.
#   usage: assemble.sh            -> $WORK_DIR/qemu (from Debian's package)
#          QEMU_SRC=DIR assemble.sh  -> applies the series to DIR instead
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cd "$top"
. "$here/config.sh"
. "$here/stack-lib.sh"

# One run at a time changes $WORK_DIR (see stack_locked); QEMU_SRC is
# someone else's tree, where git's own locks are all there is
if [ -z "${QEMU_SRC:-}" ] && [ -z "${HARNESS_LOCKED:-}" ]; then
    rc=0
    stack_locked "$here/assemble.sh" "$@" || rc=$?
    exit $rc
fi

if [ -n "${QEMU_SRC:-}" ]; then
    src=$(cd "$QEMU_SRC" 2>/dev/null && pwd) || {
        echo "assemble: QEMU_SRC=$QEMU_SRC is not a folder" >&2; exit 1; }
    case "$(cat "$src/VERSION" 2>/dev/null)" in
        "$QEMU_UPSTREAM_SERIES".*) ;;
        *) echo "assemble: $src is not a QEMU $QEMU_UPSTREAM_SERIES.x tree" >&2; exit 1 ;;
    esac
else
    src="$top/$WORK_DIR/qemu"
    # The base is kept in a git repository beside the tree, not inside it:
    # QEMU's configure turns -Werror on in git checkouts. It is built
    # under a temporary name and published in one rename, so that an
    # interrupted run leaves nothing half made: the next run starts it
    # anew. git's automatic gc is kept off meanwhile: it detaches from the
    # commit and would go on in the .partial repository, across the rename
    # (or the next run's rm -rf).
    export GIT_DIR="$top/$WORK_DIR/qemu.git" GIT_WORK_TREE="$src"
    if [ ! -d "$GIT_DIR" ]; then
        rm -rf "$src" "$GIT_DIR.partial"
        "$here/fetch-qemu.sh" "$WORK_DIR/pristine"
        cp -a "$WORK_DIR/pristine" "$src"
        GIT_DIR="$GIT_DIR.partial" git init -q -b patched
        GIT_DIR="$GIT_DIR.partial" git add -A -f  # Debian's tree has files its .gitignore lists
        GIT_DIR="$GIT_DIR.partial" git -c gc.auto=0 -c maintenance.auto=false \
            -c user.name=base -c user.email=base@localhost \
            commit -q -m "QEMU $(cat "$src/VERSION") (Debian source package)"
        GIT_DIR="$GIT_DIR.partial" git tag -f base >/dev/null
        mv "$GIT_DIR.partial" "$GIT_DIR"
    fi
fi

[ "${1:-}" = --base-only ] && exit 0

if [ -z "${QEMU_SRC:-}" ]; then
    # The whole stack is staged commit by commit in a scratch index on
    # the base, with the files at their QEMU paths in this repository
    # (its end state, unless they are being edited) on top; then only
    # files whose content differs are rewritten.
    tree=$(stack_tree) || exit 1
    idx=$(mktemp); trap 'rm -f "$idx"' EXIT
    export GIT_INDEX_FILE="$idx"
    git read-tree "$tree"
    # Edits of the files here are built on the primary base only: the
    # other bases carry the stack as it is (commits dropped there, such as
    # the hw_compat_10_1 entry's, must stay dropped)
    for f in $(stack_owned "$tree"); do
        [ "$BASE" = "$PRIMARY_BASE" ] || break
        [ -f "$top/$f" ] || continue
        blob=$(git hash-object -w "$top/$f")
        if [ "$blob" != "$(git rev-parse "$tree:$f")" ]; then
            echo "assemble: $f: the edited file here, not the stack's (make branch takes it in)"
            git update-index --cacheinfo "100644,$blob,$f"
        fi
    done
    tree=$(git write-tree)
    unset GIT_INDEX_FILE
    last=$(git rev-parse -q --verify refs/harness/assembled^{tree} || true)
    changed=$( { git diff --name-only base "$tree"
                 [ -z "$last" ] || git diff --name-only base "$last"; } | sort -u)

    # Never overwrite a change the harness did not make: every file it
    # manages must still be what it last wrote (or the base's version).
    # A missing file is not a change to keep: deleting is how a change is
    # dropped, and a run killed after removing a file leaves it missing.
    edited=
    for f in $changed; do
        [ -n "$last" ] || break
        [ -e "$src/$f" ] || continue
        if git cat-file -e "$last:$f" 2>/dev/null; then
            git cat-file blob "$last:$f" | cmp -s - "$src/$f" && continue
        fi
        # already what the series wants: not a conflict
        if git cat-file -e "$tree:$f" 2>/dev/null &&
           git cat-file blob "$tree:$f" | cmp -s - "$src/$f"; then
            continue
        fi
        edited="$edited $f"
    done
    if [ -n "$edited" ]; then
        echo "assemble: these files in $WORK_DIR/qemu were changed outside the harness:" >&2
        for f in $edited; do echo "    $WORK_DIR/qemu/$f" >&2; done
        echo "assemble: stopped so as not to overwrite them. To keep a change, copy a" >&2
        echo "  file the series owns back to its path in this repository, or turn a" >&2
        echo "  change to a QEMU file into a patch under patches/; to drop the" >&2
        echo "  changes, delete those files and rerun." >&2
        exit 1
    fi

    for f in $changed; do
        if git cat-file -e "$tree:$f" 2>/dev/null; then
            if ! git cat-file blob "$tree:$f" | cmp -s - "$src/$f"; then
                mkdir -p "$(dirname "$src/$f")"
                git cat-file blob "$tree:$f" > "$src/$f"
                echo "assemble: wrote $f"
            fi
        elif [ -e "$src/$f" ]; then
            rm -f "$src/$f"
            echo "assemble: removed $f"
        fi
    done
    commit=$(git -c user.name=harness -c user.email=harness@localhost \
             commit-tree "$tree" -p base -m "assembled series")
    stack_update_ref refs/harness/assembled "$commit"
    echo "$src" > "$WORK_DIR/qemu-src"
    exit 0
fi

# Someone else's tree (QEMU_SRC): the series as commits on a branch
# xen-platform of it, the way a QEMU developer applies a series (git am).
# Its state is checked on every run; its build folder is its own.
n=$(stack_patches | wc -l)
git -C "$src" rev-parse --git-dir >/dev/null 2>&1 || {
    echo "assemble: QEMU_SRC=$src is not a git checkout; the series is applied" >&2
    echo "  to it as commits (git am) on a branch xen-platform" >&2; exit 1; }
cur=$(git -C "$src" symbolic-ref -q --short HEAD || true)
want=$(for p in $(stack_patches); do stack_subject "$p"; done)
if [ "$cur" = xen-platform ]; then
    have=$(git -C "$src" log -n "$n" --reverse --format=%s)
    tree=$(GIT_DIR=$(git -C "$src" rev-parse --absolute-git-dir) \
           stack_tree "HEAD~$n" 2>/dev/null || true)
    if [ "$have" != "$want" ] || [ "$tree" != "$(git -C "$src" rev-parse HEAD^{tree})" ]; then
        echo "assemble: branch xen-platform in $src does not end with this series" >&2
        echo "  (its last $n commits are not patches/series/). Commit your work" >&2
        echo "  elsewhere, or rename the branch, and rerun to apply the series anew." >&2
        exit 1
    fi
    if [ -n "$(git -C "$src" status --porcelain -uno)" ]; then
        echo "assemble: $src has uncommitted changes; they are built as they are"
    fi
else
    if [ -n "$(git -C "$src" status --porcelain -uno)" ]; then
        echo "assemble: $src has uncommitted changes; commit or stash them, so that" >&2
        echo "  the series is applied to a known tree" >&2; exit 1
    fi
    if git -C "$src" rev-parse -q --verify refs/heads/xen-platform >/dev/null; then
        echo "assemble: $src has a branch xen-platform; check it out to build it," >&2
        echo "  or delete it to apply the series anew" >&2; exit 1
    fi
    who=$(stack_identity)
    [ -n "$who" ] || who="Xen platform series <xen-platform@localhost>"
    git -C "$src" checkout -q -b xen-platform
    for p in $(stack_patches); do
        stack_am "$src" "$p" "$who" || {
            echo "assemble: left $src on branch xen-platform at the last commit that applied" >&2
            exit 1; }
    done
    echo "assemble: $src: branch xen-platform, the series' $n commits on $(git -C "$src" rev-parse --short "HEAD~$n")"
fi
mkdir -p "$WORK_DIR"

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
. "$here/series-lib.sh"

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
    # interrupted run leaves nothing half made.
    export GIT_DIR="$top/$WORK_DIR/qemu.git" GIT_WORK_TREE="$src"
    if [ ! -d "$GIT_DIR" ]; then
        rm -rf "$src" "$GIT_DIR.partial"
        "$here/fetch-qemu.sh" "$WORK_DIR/pristine"
        cp -a "$WORK_DIR/pristine" "$src"
        GIT_DIR="$GIT_DIR.partial" git init -q -b patched
        GIT_DIR="$GIT_DIR.partial" git add -A -f  # Debian's tree has files its .gitignore lists
        GIT_DIR="$GIT_DIR.partial" git -c user.name=base -c user.email=base@localhost \
            commit -q -m "QEMU $(cat "$src/VERSION") (Debian source package)"
        GIT_DIR="$GIT_DIR.partial" git tag -f base >/dev/null
        mv "$GIT_DIR.partial" "$GIT_DIR"
    fi
fi

if [ -z "${QEMU_SRC:-}" ]; then
    # The whole series is staged commit by commit in a scratch index on
    # the base; then only files whose content differs are rewritten.
    idx=$(mktemp); trap 'rm -f "$idx"' EXIT
    export GIT_INDEX_FILE="$idx"
    git read-tree base
    for c in $(series_commits); do
        series_stage_commit "$c" || exit 1
    done
    tree=$(git write-tree)
    unset GIT_INDEX_FILE
    last=$(git rev-parse -q --verify refs/harness/assembled^{tree} || true)
    changed=$( { git diff --name-only base "$tree"
                 [ -z "$last" ] || git diff --name-only base "$last"; } | sort -u)

    # Never overwrite a change the harness did not make: every file it
    # manages must still be what it last wrote (or the base's version).
    edited=
    for f in $changed; do
        [ -n "$last" ] || break
        if git cat-file -e "$last:$f" 2>/dev/null; then
            git cat-file blob "$last:$f" | cmp -s - "$src/$f" && continue
        else
            [ -e "$src/$f" ] || continue
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
    git update-ref refs/harness/assembled "$commit"
    echo "$src" > "$WORK_DIR/qemu-src"
    exit 0
fi

# Someone else's tree (QEMU_SRC): apply once, remember that we did
stamp="$src/.xen-platform-series-applied"
if [ ! -f "$stamp" ]; then
    for c in $(series_commits); do
        for p in $(series_commit_patches "$c"); do
            echo "assemble: applying $p"
            (cd "$src" && git apply -p1 "$top/$p") || {
                echo "assemble: $p does not apply to $src" >&2; exit 1; }
        done
        while read -r f from; do
            mkdir -p "$(dirname "$src/$f")"
            cp "$from" "$src/$f"
        done < <(series_commit_imports "$c")
        for f in $(series_commit_files "$c"); do
            mkdir -p "$(dirname "$src/$f")"
            cp "$f" "$src/$f"
        done
        for p in $(series_commit_post_patches "$c"); do
            (cd "$src" && git apply -p1 "$top/$p") || {
                echo "assemble: $p does not apply to $src" >&2; exit 1; }
        done
    done
    touch "$stamp"
fi
echo "$src" > "$WORK_DIR/qemu-src"

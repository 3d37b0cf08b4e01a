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
    src=$(cd "$QEMU_SRC" && pwd)
    case "$(cat "$src/VERSION" 2>/dev/null)" in
        "$QEMU_UPSTREAM_SERIES".*) ;;
        *) echo "assemble: $src is not a QEMU $QEMU_UPSTREAM_SERIES.x tree" >&2; exit 1 ;;
    esac
else
    src="$top/$WORK_DIR/qemu"
    # The base is kept in a git repository beside the tree, not inside it:
    # QEMU's configure turns -Werror on in git checkouts.
    export GIT_DIR="$top/$WORK_DIR/qemu.git" GIT_WORK_TREE="$src"
    if [ ! -d "$GIT_DIR" ]; then
        rm -rf "$src"
        "$here/fetch-qemu.sh" "$WORK_DIR/pristine"
        cp -a "$WORK_DIR/pristine" "$src"
        git init -q -b patched
        git add -A -f       # Debian's tree has files its .gitignore lists
        git -c user.name=base -c user.email=base@localhost \
            commit -q -m "QEMU $(cat "$src/VERSION") (Debian source package)"
        git tag -f base >/dev/null
    fi
fi

# The patches to QEMU's own files are applied to the base in a scratch
# index; only files whose content differs from the tree are rewritten.
if [ -z "${QEMU_SRC:-}" ]; then
    touched="$top/$WORK_DIR/patched-files"
    idx=$(mktemp); trap 'rm -f "$idx"' EXIT
    export GIT_INDEX_FILE="$idx"
    git read-tree base
    for p in $(series_patches); do
        git apply --cached -p1 "$top/$p" || {
            echo "assemble: $p does not apply to the base" >&2; exit 1; }
    done
    now=$(git diff --cached --name-only base)
    owned=$(series_files)
    for f in $(printf '%s\n' $now $(cat "$touched" 2>/dev/null) | sort -u); do
        # the series' own version of a file wins over a patched one
        printf '%s\n' $owned | grep -qx "$f" && continue
        if git cat-file -e ":$f" 2>/dev/null; then
            if ! git cat-file blob ":$f" | cmp -s - "$src/$f"; then
                mkdir -p "$(dirname "$src/$f")"
                git cat-file blob ":$f" > "$src/$f"
                echo "assemble: patched $f"
            fi
        elif [ -e "$src/$f" ]; then
            rm -f "$src/$f"
            echo "assemble: removed $f"
        fi
    done
    unset GIT_INDEX_FILE
    printf '%s\n' $now > "$touched"
else
    # Someone else's tree: apply once, remember that we did
    stamp="$src/.xen-platform-series-applied"
    if [ ! -f "$stamp" ]; then
        for p in $(series_patches); do
            echo "assemble: applying $p"
            (cd "$src" && git apply -p1 "$top/$p") || {
                echo "assemble: $p does not apply to $src" >&2; exit 1; }
        done
        touch "$stamp"
    fi
fi

# The series' own files: copied only when they differ (keeps timestamps).
for f in $(series_files); do
    if ! cmp -s "$f" "$src/$f"; then
        mkdir -p "$(dirname "$src/$f")"
        cp "$f" "$src/$f"
        echo "assemble: updated $f"
    fi
done
echo "$src" > "$WORK_DIR/qemu-src"

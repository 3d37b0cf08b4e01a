#!/usr/bin/env bash
# The series' commit stack as a git branch, and back (see README, "Editing").
#   stack.sh branch      make work/branch, a git worktree of the base with
#                        branch xen-platform holding the stack's commits
#   stack.sh write-back  write the branch's commits to patches/series/ and
#                        their end state to the files at their QEMU paths
#   stack.sh verify      check that the stack's end state is the files at
#                        their paths (part of make check)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cd "$top"
. "$here/config.sh"
. "$here/stack-lib.sh"

cmd=${1:-}
if [ "$BASE" != "$PRIMARY_BASE" ] && [ "$cmd" != verify ]; then
    echo "stack: the stack is edited on the primary base ($PRIMARY_BASE); QEMU $BASE" >&2
    echo "  follows it by the rules in patches/base-$BASE/ (see scripts/stack-lib.sh)" >&2
    exit 1
fi

QEMU_SRC= "$here/assemble.sh" --base-only
export GIT_DIR="$top/$WORK_DIR/qemu.git"
branch_dir="$top/$WORK_DIR/branch"
branch=xen-platform
placeholder="Xen platform series <xen-platform@localhost>"
# git in the branch's worktree (not the repository named by GIT_DIR)
bgit() { env -u GIT_DIR -u GIT_WORK_TREE -u GIT_INDEX_FILE git -C "$branch_dir" "$@"; }

# compare the files at their paths with TREE's; print those that differ
differing() {
    local tree=$1 f
    for f in $(stack_owned "$tree"); do
        if [ ! -f "$top/$f" ] || ! git cat-file blob "$tree:$f" | cmp -s - "$top/$f"; then
            echo "$f"
        fi
    done
    # files at QEMU paths here that the stack does not add
    env -u GIT_DIR -u GIT_WORK_TREE -u GIT_INDEX_FILE git -C "$top" ls-files -- $STACK_ROOTS | grep -vxF -f <(stack_owned "$tree"; echo /) || true
}


case "$cmd" in
verify)
    tree=$(stack_tree) || exit 1
    bad=$(differing "$tree")
    if [ -n "$bad" ]; then
        echo "stack: the stack's end state and the files at their paths differ:"
        echo "$bad" | sed 's/^/    /'
        echo "  (make branch takes edits of those files in as uncommitted changes;"
        echo "   commit them there and run make write-back)"
        exit 1
    fi
    echo "stack: $(stack_patches | wc -l) commits; end state = the $(stack_owned "$tree" | wc -l) files at their paths"
    ;;

branch)
    tree=$(stack_tree) || exit 1
    if [ -d "$branch_dir" ]; then
        head=$(bgit rev-parse HEAD^{tree})
        if [ -n "$(bgit status --porcelain)" ] ||
           { [ "$head" != "$tree" ] && [ "$head" != "$(git rev-parse base^{tree})" ]; }; then
            echo "stack: $WORK_DIR/branch holds work that is not in patches/series/:" >&2
            bgit status --short | sed 's/^/    /' >&2
            echo "  write it back (make write-back), or throw it away with" >&2
            echo "  git --git-dir=$WORK_DIR/qemu.git worktree remove --force $WORK_DIR/branch" >&2
            exit 1
        fi
    fi
    rm -rf "$branch_dir"
    git worktree prune
    git worktree add -q -B "$branch" "$branch_dir" base
    who=$(stack_identity)
    [ -n "$who" ] || who=$placeholder
    for p in $(stack_patches); do
        stack_am "$branch_dir" "$p" "$who" || exit 1
    done
    [ "$(bgit rev-parse HEAD^{tree})" = "$tree" ] || {
        echo "stack: internal error: the branch is not the stack" >&2; exit 1; }
    # edits made to the files at their paths come along, uncommitted
    taken=
    for f in $(differing "$tree"); do
        if [ -f "$top/$f" ]; then
            mkdir -p "$(dirname "$branch_dir/$f")"
            cp "$top/$f" "$branch_dir/$f"
        else
            rm -f "$branch_dir/$f"
        fi
        taken="$taken $f"
    done
    echo "stack: $WORK_DIR/branch: branch $branch, $(stack_patches | wc -l) commits on base"
    if [ -n "$taken" ]; then
        echo "stack: these files differ from the stack's end state; they are in"
        echo "  $WORK_DIR/branch as uncommitted changes:"
        for f in $taken; do echo "    $f"; done
    fi
    echo "stack: edit there with git (rebase -i, commit --fixup, ...), then: make write-back"
    ;;

write-back)
    [ -d "$branch_dir" ] || { echo "stack: no $WORK_DIR/branch; make branch first" >&2; exit 1; }
    if [ -n "$(bgit status --porcelain)" ]; then
        echo "stack: $WORK_DIR/branch has changes that are not committed:" >&2
        bgit status --short | sed 's/^/    /' >&2
        echo "  commit (or stash) them first; only commits are written back" >&2
        exit 1
    fi
    tip=$(bgit rev-parse HEAD)
    git merge-base --is-ancestor base "$tip" || {
        echo "stack: $WORK_DIR/branch is not on the base" >&2; exit 1; }
    tiptree=$(git rev-parse "$tip^{tree}")
    # never overwrite an edit of the files here that the branch lacks
    tree=$(stack_tree) || exit 1
    lost=
    for f in $(differing "$tree"); do
        if git cat-file -e "$tiptree:$f" 2>/dev/null; then
            git cat-file blob "$tiptree:$f" | cmp -s - "$top/$f" 2>/dev/null && continue
        elif [ ! -e "$top/$f" ]; then
            continue
        fi
        lost="$lost $f"
    done
    if [ -n "$lost" ]; then
        echo "stack: these files here were edited since the stack was last written," >&2
        echo "  and the branch has other content for them:" >&2
        for f in $lost; do echo "    $f" >&2; done
        echo "  take the edits into the branch first (copy them to $WORK_DIR/branch and" >&2
        echo "  commit), or undo them here" >&2
        exit 1
    fi
    # imported files must be the installed ones, unchanged
    imports=$(mktemp)
    sed -n '/^#/p' "$STACK_DIR/imports" > "$imports" 2>/dev/null || true
    for f in $(stack_import_paths); do
        src=$(stack_imports | awk -v f="$f" '$1 == f { print $2 }')
        git cat-file blob "$tip:$f" | cmp -s - "$src" || {
            echo "stack: $f differs from $src, which it imports unchanged" >&2
            rm -f "$imports"; exit 1; }
        subj=$(git log --format=%s --diff-filter=A "base..$tip" -- "$f" | tail -n 1)
        printf '%-43s %s %s\n' "$f" "$src" "$subj" >> "$imports"
    done
    out=$(mktemp -d)
    bgit format-patch -q -p --zero-commit --no-signature \
        --subject-prefix=PATCH -N -o "$out" "base..$tip"
    python3 - "$out" "$placeholder" $(stack_import_paths) <<'PY'
import os, re, sys
out, placeholder, imports = sys.argv[1], sys.argv[2], set(sys.argv[3:])
for name in sorted(os.listdir(out)):
    path = os.path.join(out, name)
    text = open(path).read()
    m = re.search(r"(?m)^diff --git ", text)
    head, rest = (text[:m.start()], text[m.start():]) if m else (text, "")
    header, _, message = head.partition("\n\n")
    # unfold the mail header, then keep it without the exporter's name
    # and date
    fields = []
    for line in header.split("\n"):
        if line[:1] in (" ", "\t") and fields:
            fields[-1] += line
        else:
            fields.append(line)
    fields = ["From: " + placeholder if f.startswith("From: ") else f
              for f in fields if not f.startswith("Date: ")]
    body = [l for l in message.rstrip("\n").split("\n")
            if not l.startswith("Signed-off-by: ")]
    while body and body[-1] in ("", "---"):
        body.pop()
    # drop the imported files' diffs: the stack takes them from their package
    parts = re.split(r"(?m)^(?=diff --git )", rest)
    kept = [p for p in parts
            if p.startswith("diff --git ") and
            p.split("\n", 1)[0].split(" b/", 1)[-1] not in imports]
    text = "\n".join(fields) + "\n\n" + "\n".join(body) + "\n"
    if kept:
        text += "---\n" + "".join(kept)
    open(path, "w").write(text)
PY
    rm -f "$STACK_DIR"/[0-9]*.patch
    mkdir -p "$STACK_DIR"
    mv "$out"/*.patch "$STACK_DIR"/
    rmdir "$out"
    mv "$imports" "$STACK_DIR/imports"
    # the end state, at the QEMU paths
    newtree=$(stack_tree) || exit 1
    [ "$newtree" = "$tiptree" ] || {
        echo "stack: internal error: patches/series/ does not give the branch's tree" >&2
        exit 1; }
    for f in $(differing "$tiptree"); do
        if git cat-file -e "$tiptree:$f" 2>/dev/null; then
            mkdir -p "$(dirname "$top/$f")"
            git cat-file blob "$tiptree:$f" > "$top/$f"
            echo "stack: wrote $f"
        else
            rm -f "$top/$f"
            echo "stack: removed $f"
        fi
    done
    echo "stack: wrote $(stack_patches | wc -l) commits to $STACK_DIR/"
    ;;

*)
    echo "usage: stack.sh branch | write-back | verify" >&2
    exit 2
    ;;
esac

# Reading the series layout. Each folder patches/NN-name/ is one commit:
#   message   subject line, blank line, body (no Signed-off-by)
#   *.patch   edits to files QEMU owns, applied in name order
#   files     paths (one a line) of files the series owns, at their QEMU
#             paths in this repository, added in this commit
#   imports   "QEMU-path installed-file" lines: files of another project
#             (Xen's public headers) that this commit imports into QEMU,
#             taken at assembly time from the package that installs them
#             (the repository holds only what the series writes)
#   base-B/   what differs on base B (BASE=B, see config.sh): a patch named
#             like one of the commit's *.patch replaces it there (an empty
#             one drops it); any other patch is applied after the commit's
#             files are added (it may edit them, e.g. for an interface that
#             base spells otherwise)
series_commits() { ls -d patches/[0-9]*/ 2>/dev/null | sed 's:/$::'; }

# series_commit_patches C: C's patches to QEMU's files, for $BASE
series_commit_patches() {
    local p alt
    for p in "$1"/*.patch; do
        [ -e "$p" ] || continue
        alt="$1/base-$BASE/$(basename "$p")"
        if [ -e "$alt" ]; then
            [ ! -s "$alt" ] || echo "$alt"
        else
            echo "$p"
        fi
    done
}

# series_commit_post_patches C: $BASE's patches applied after C's files
series_commit_post_patches() {
    local p
    for p in "$1/base-$BASE"/*.patch; do
        [ -e "$p" ] || continue
        [ -e "$1/$(basename "$p")" ] || echo "$p"
    done
}

series_commit_files() {
    if [ -f "$1/files" ]; then grep -v '^#' "$1/files" | sed '/^$/d'; fi
}

# series_commit_imports C: "dest source" pairs
series_commit_imports() {
    if [ -f "$1/imports" ]; then grep -v '^#' "$1/imports" | sed '/^ *$/d'; fi
}

series_patches() {
    local c
    for c in $(series_commits); do
        series_commit_patches "$c"
        series_commit_post_patches "$c"
    done
}

series_files() {
    local c
    for c in $(series_commits); do series_commit_files "$c"; done
}

# series_stage_commit C: apply commit C to the index of the git repository
# in the environment (GIT_DIR/GIT_INDEX_FILE or the current directory's);
# the series' files are read from the repository root $top.
series_stage_commit() {
    local c=$1 p f blob
    for p in $(series_commit_patches "$c"); do
        git apply --cached -p1 "$top/$p" || {
            echo "series: $p does not apply to QEMU $BASE" >&2; return 1; }
    done
    while read -r f from; do
        [ -n "$f" ] || continue
        [ -r "$from" ] || {
            echo "series: $c imports $from, which is missing" \
                 "(installed by scripts/install-deps.sh)" >&2; return 1; }
        blob=$(git hash-object -w "$from")
        git update-index --add --cacheinfo "100644,$blob,$f"
    done < <(series_commit_imports "$c")
    for f in $(series_commit_files "$c"); do
        blob=$(git hash-object -w "$top/$f")
        git update-index --add --cacheinfo "100644,$blob,$f"
    done
    for p in $(series_commit_post_patches "$c"); do
        git apply --cached -p1 "$top/$p" || {
            echo "series: $p does not apply to QEMU $BASE" >&2; return 1; }
    done
}

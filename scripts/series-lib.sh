# Reading the series layout. Each folder patches/NN-name/ is one commit:
#   message   subject line, blank line, body (no Signed-off-by)
#   *.patch   edits to files QEMU owns, applied in name order
#   files     paths (one a line) of files the series owns, at their QEMU
#             paths in this repository, added in this commit
series_commits() { ls -d patches/[0-9]*/ 2>/dev/null | sed 's:/$::'; }
series_patches() {
    local c
    for c in $(series_commits); do ls "$c"/*.patch 2>/dev/null || true; done
}
series_files() {
    local c
    for c in $(series_commits); do
        if [ -f "$c/files" ]; then grep -v '^#' "$c/files" | sed '/^$/d'; fi
    done
}

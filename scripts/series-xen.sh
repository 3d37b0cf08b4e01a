#!/usr/bin/env bash
# Export the companion series for Xen's documentation (patches/xen-docs/)
# into build/series-xen/: applied with git am to a git repository of the
# pinned Xen source, then git format-patch with Xen's get_maintainer.pl
# recipients. Called by series.sh; the author is the exporter.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cd "$top"
. "$here/config.sh"
. "$here/stack-lib.sh"

who=$(stack_identity)
[ -n "$who" ] || { echo "series-xen: no author (see make series)" >&2; exit 1; }
name=${who% <*} email=$(echo "$who" | sed 's/.*<\(.*\)>/\1/')

dl="$top/work/dl-xen"
src="$top/work/xen"
mkdir -p "$dl"
if [ ! -f "$dl/$XEN_DOCS_TARBALL" ]; then
    echo "series-xen: fetching $XEN_DOCS_URL"
    rm -f "$dl/.partial"
    python3 - "$XEN_DOCS_URL" "$dl/.partial" <<'PY' || {
import sys, urllib.request
urllib.request.urlretrieve(sys.argv[1], sys.argv[2])
PY
        echo "series-xen: cannot download $XEN_DOCS_URL; if Debian no longer" >&2
        echo "  serves it, change XEN_DOCS_VERSION and XEN_DOCS_SHA256 in scripts/config.sh" >&2
        rm -f "$dl/.partial"; exit 1; }
    have=$(sha256sum "$dl/.partial" | cut -d' ' -f1)
    if [ "$have" != "$XEN_DOCS_SHA256" ]; then
        echo "series-xen: $XEN_DOCS_TARBALL has sha256 $have, not the pinned" >&2
        echo "  $XEN_DOCS_SHA256 (XEN_DOCS_SHA256 in scripts/config.sh)" >&2
        rm -f "$dl/.partial"; exit 1
    fi
    mv "$dl/.partial" "$dl/$XEN_DOCS_TARBALL"
fi
if [ ! -d "$src/.git" ]; then
    rm -rf "$src" "$src.partial"
    mkdir -p "$src.partial"
    tar -xJf "$dl/$XEN_DOCS_TARBALL" -C "$src.partial" --strip-components=1
    (cd "$src.partial" && git init -q -b xen && git add -A -f &&
     git -c user.name=base -c user.email=base@localhost \
         commit -q -m "Xen $XEN_DOCS_VERSION (Debian orig tarball)" && git tag base)
    mv "$src.partial" "$src"
fi
echo "series-xen: Xen $XEN_DOCS_VERSION, sha256 $XEN_DOCS_SHA256"

tree="$top/work/xen-series"
rm -rf "$tree"
git -C "$src" worktree prune
git -C "$src" worktree add -q --detach "$tree" base
export GIT_AUTHOR_DATE="${SERIES_DATE:-$(git -C "$top" log -1 --format=%aI 2>/dev/null || date -R)}"
export GIT_COMMITTER_DATE="$GIT_AUTHOR_DATE"
for p in "$top"/patches/xen-docs/[0-9]*.patch; do
    sed "0,/^From: .*/s//From: $who/" "$p" |
        git -C "$tree" -c user.name="$name" -c user.email="$email" \
            am -q --signoff >/dev/null || {
        git -C "$tree" am --abort 2>/dev/null || true
        echo "series-xen: $(basename "$p") does not apply to Xen $XEN_DOCS_VERSION" >&2
        exit 1; }
done
out="$top/$XEN_SERIES_DIR"
rm -rf "$out"
mkdir -p "$out"
n=$(git -C "$tree" rev-list --count base..HEAD)
cover=
[ "$n" -gt 1 ] && cover=--cover-letter
git -C "$tree" format-patch -q $cover --subject-prefix=PATCH \
    -o "$out" base..HEAD
for p in "$out"/*.patch; do
    (cd "$tree" && perl scripts/get_maintainer.pl --no-rolestats "$p" 2>/dev/null) \
        > "$p.to" || true
    "$here/mail-headers.py" "$p" "$p.to"
    rm -f "$p.to"
done
echo "series-xen: $n patch(es) in $XEN_SERIES_DIR, applied with git am to Xen $XEN_DOCS_VERSION"

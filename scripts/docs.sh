#!/usr/bin/env bash
# Build QEMU's HTML documentation with the series applied, Sphinx warnings
# fatal: docs/specs/xen-platform.rst and the QAPI reference of the
# series' definitions in qapi/misc-i386.json must build cleanly.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cd "$top"
. "$here/config.sh"

"$here/install-deps.sh" --docs
"$here/assemble.sh"
# --enable-werror makes Sphinx warnings errors (-W); no C is compiled here
"$here/build.sh" "$DOCS_BUILD_DIR" --enable-xen --enable-docs --enable-werror -- html
spec="$DOCS_BUILD_DIR/docs/manual/specs/xen-platform.html"
[ -f "$spec" ] || { echo "docs: $spec was not built" >&2; exit 1; }
echo "docs: built without warnings; the spec is $spec"

#!/usr/bin/env bash
# Build the measurement baseline: the same QEMU base without the series,
# upstream's own device with only its hypervisor check relaxed
# (baseline/*.patch), so that it runs where the series runs.
# Output: build-base/qemu-system-x86_64, or the ninja targets given
# (build.ninja: configured only)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cd "$top"
. "$here/config.sh"

"$here/assemble.sh" >/dev/null      # fetches the base when needed
src="$top/$WORK_DIR/base-src"
stamp="$src/.baseline-patches"
want=$(cat baseline/*.patch | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    rm -rf "$src"
    cp -a "$WORK_DIR/pristine" "$src"
    for p in baseline/*.patch; do
        (cd "$src" && patch -s -p1 < "$top/$p")
    done
    echo "$want" > "$stamp"
fi
BUILD_SRC="$src" "$here/build.sh" "$BASE_BUILD_DIR" --enable-xen -- "${@:-qemu-system-x86_64}"

#!/usr/bin/env bash
# make bench: the series against upstream's device, side by side; writes
# build/bench/report.md. A report, not a test. BENCH_RUNS (default 5),
# BENCH_ACCESSES (default 5000000) and BENCH_HANDSHAKES (default 2000)
# set the sizes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cd "$top"
. "$here/config.sh"

"$here/baseline.sh"
"$here/build.sh" "$BUILD_DIR" --enable-xen -- qemu-system-x86_64
exec /usr/bin/python3 "$here/bench.py" "$BASE_BUILD_DIR/qemu-system-x86_64" \
    "$BUILD_DIR/qemu-system-x86_64" "$BUILD_DIR/bench"

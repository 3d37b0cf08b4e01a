#!/usr/bin/env bash
# The main job: the patched QEMU with the platform device, a PV driver's
# handshake, a blacklist verdict from xenstore, an unplug and log lines.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/config.sh"
qemu=$top/$BUILD_DIR/qemu-system-x86_64
[ -x "$qemu" ] || {
    echo "demo: no $BUILD_DIR/qemu-system-x86_64 yet: run make (or make build)" >&2
    exit 1; }
# demo.py bounds every wait on QEMU (XEN_PLATFORM_QEMU_TIMEOUT, default 60 s),
# reports QEMU's own error, and on any way out kills and reaps QEMU and
# removes its temporary folder
exec /usr/bin/python3 "$here/demo.py" "$qemu"

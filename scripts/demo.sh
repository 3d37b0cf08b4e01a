#!/usr/bin/env bash
# The main job: the patched QEMU with the platform device, a PV driver's
# handshake, a blacklist verdict from xenstore, an unplug and log lines.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/config.sh"
exec /usr/bin/python3 "$here/demo.py" "$top/$BUILD_DIR/qemu-system-x86_64"

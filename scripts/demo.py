#!/usr/bin/env python3
"""Show the Xen platform device at work, as a person would want to see it.

Starts the patched QEMU under the qtest accelerator with the platform
device, a machine with emulated disks and NICs, and a small xenstore
peer on a unix socket. Then plays a PV driver on the fixed I/O ports
(through QEMU's qtest protocol) and a toolstack (QMP, xenstore):
handshake, a blacklist verdict, unplug, and log lines. Prints the
device's own trace and log output and the QMP answers.

usage: demo.py QEMU_BINARY

Exits 0 when the demo ran, 1 with QEMU's own error when QEMU failed, exited
or did not answer within XEN_PLATFORM_QEMU_TIMEOUT seconds (default 60).
On SIGINT, SIGTERM or SIGHUP it stops QEMU and then dies of that signal.
Whatever the way out, QEMU is killed and reaped and the temporary folder
(xen-platform-demo-* in TMPDIR) is removed.
"""

import json
import os
import shutil
import signal
import sys
import tempfile

sys.dont_write_bytecode = True     # no __pycache__ in scripts/
from qemu_harness import Qemu, QemuError, XenstorePeer, kill_all  # noqa: E402

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

# The device's trace events worth reading here (not every port access)
TRACE = ("xen_platform_product", "xen_platform_build",
         "xen_platform_blacklist_*", "xen_platform_unplug*",
         "xen_platform_log")


def step(text):
    print("\n== " + text)


def qmp(qemu, name, **args):
    """QEMU's answer to a QMP command; a QemuError if it is an error."""
    msg = qemu.command(name, **args)
    if "error" in msg:
        raise QemuError("QMP %s: %s: %s (%s is not the patched QEMU?)" %
                        (name, msg["error"].get("class"),
                         msg["error"].get("desc"), qemu.binary))
    return msg


def show_events(qemu):
    """Print the driver-info events QEMU sent so far, once each."""
    qmp(qemu, "query-status")
    for ev in qemu.events:
        if ev["event"] == "XEN_PLATFORM_PV_DRIVER_INFO":
            print("   qmp event: XEN_PLATFORM_PV_DRIVER_INFO " +
                  json.dumps(ev["data"]))
    qemu.events.clear()


def demo(binary, tmp, cleanup):
    xs_path = os.path.join(tmp, "xenstored")
    peer = XenstorePeer(xs_path, {"/mh/driver-blacklist/xensource-windows/42":
                                  ""})
    cleanup.append(peer.close)
    peer.start()
    os.environ["XENSTORED_PATH"] = xs_path

    step("Start QEMU with -device xen-platform, two IDE disks, a CD-ROM "
         "and a NIC")
    print("   toolstack: xenstore-write /mh/driver-blacklist/"
          "xensource-windows/42 \"\"")
    qemu = Qemu(binary, tmp, trace=TRACE, args=[
        "-device", "xen-platform,addr=3,x-allow-no-xen=on",
        "-drive", "if=none,id=hd0,driver=null-co",
        "-drive", "if=none,id=hd1,driver=null-co",
        "-drive", "if=none,id=cd0,driver=null-co,media=cdrom",
        "-device", "ide-hd,drive=hd0,bus=ide.0,unit=0",
        "-device", "ide-hd,drive=hd1,bus=ide.1,unit=0",
        "-device", "ide-cd,drive=cd0,bus=ide.1,unit=1",
        "-netdev", "user,id=net0", "-device", "e1000,netdev=net0,addr=6"])

    peer.settled()
    started = len(peer.requests)
    print("   xenstore requests at QEMU's start: %d (%s, ...)" %
          (started, peer.requests[0] if peer.requests else "none"))

    step("A Windows PV driver, build 42 (blacklisted by the toolstack)")
    print("   guest: inw 0x10 -> 0x%04x (magic)" % qemu.io("inw 0x10"))
    print("   guest: inb 0x12 -> %d (protocol version)" % qemu.io("inb 0x12"))
    qemu.io("outw 0x12 0x1")
    print("   guest: outw 0x12 <- 1 (product: xensource-windows)")
    qemu.io("outl 0x10 0x2a")
    print("   guest: outl 0x10 <- 42 (build)")
    magic = qemu.io("inw 0x10")
    print("   guest: inw 0x10 -> 0x%04x (%s)" %
          (magic, "blacklisted: do not load" if magic == 0xd249 else "ok"))
    print("   xenstore requests the handshake caused: %s" %
          (", ".join(peer.requests[started:]) or "none"))
    info = qmp(qemu, "query-xen-platform-pv-driver-info")
    print("   qmp: query-xen-platform-pv-driver-info -> " +
          json.dumps(info["return"]))
    show_events(qemu)

    step("A Linux PV driver, build 0, after a reboot")
    qmp(qemu, "system_reset")
    # The event is rate-limited to one a second of the qtest clock
    qemu.io("clock_step 1000000000")
    print("   guest: inw 0x10 -> 0x%04x" % qemu.io("inw 0x10"))
    qemu.io("outw 0x12 0x3")
    qemu.io("outl 0x10 0x0")
    print("   guest: product 3 (linux), build 0 -> magic 0x%04x" %
          qemu.io("inw 0x10"))
    show_events(qemu)

    step("The driver unplugs emulated disks and NICs (mask 0x3)")
    before = [b["device"] for b in qmp(qemu, "query-block")["return"]]
    qemu.io("outw 0x10 0x3")
    after = [b["device"] for b in qmp(qemu, "query-block")["return"]]
    print("   qmp: query-block before: %s" % " ".join(before))
    print("   qmp: query-block after:  %s" % " ".join(after))
    nics = [d for bus in qmp(qemu, "query-pci")["return"]
            for d in bus["devices"] if d["class_info"]["class"] == 0x200]
    print("   qmp: query-pci: %d Ethernet controllers left" % len(nics))

    step("The driver logs two lines (one with a non-printable byte)")
    for text in (b"xen: platform device found, unplug done\n",
                 b"bell\x07 and backslash \\\n"):
        for byte in text:
            qemu.io("outb 0x12 0x%x" % byte)
    info = qmp(qemu, "query-xen-platform-pv-driver-info")
    print("   qmp: query-xen-platform-pv-driver-info -> " +
          json.dumps(info["return"]))

    err = qemu.quit()
    if qemu.proc.returncode != 0:
        raise QemuError("QEMU (%s) exited with status %d at quit\n"
                        "QEMU's stderr:\n%s" % (binary, qemu.proc.returncode,
                                                 err.rstrip()))
    step("QEMU's trace events and guest-error log (-trace, -d guest_errors "
         "-D file)")
    with open(qemu.log_path) as f:
        for line in f:
            print("   " + line.rstrip())


class Interrupted(KeyboardInterrupt):
    pass


def on_signal(signum, frame):
    raise Interrupted(signum)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: demo.py QEMU_BINARY")
    binary = sys.argv[1]
    for s in SIGNALS:
        signal.signal(s, on_signal)
    tmp, cleanup, died_of = None, [], None
    try:
        tmp = tempfile.mkdtemp(prefix="xen-platform-demo-")
        demo(binary, tmp, cleanup)
        status = 0
    except QemuError as e:
        sys.stdout.flush()
        print("demo: %s" % e, file=sys.stderr)
        status = 1
    except Interrupted as e:
        died_of = e.args[0]
        status = 128 + died_of
        print("\ndemo: %s: stopping QEMU" % signal.Signals(died_of).name,
              file=sys.stderr)
    finally:
        # Cleaning up is not to be interrupted
        for s in SIGNALS:
            signal.signal(s, signal.SIG_IGN)
        kill_all()
        for f in cleanup:
            f()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    if died_of:
        # Die of the signal, as the caller (make, a shell) expects
        sys.stdout.flush()
        signal.signal(died_of, signal.SIG_DFL)
        os.kill(os.getpid(), died_of)
    return status


if __name__ == "__main__":
    sys.exit(main())

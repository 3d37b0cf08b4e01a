#!/usr/bin/env python3
"""Show the Xen platform device at work, as a person would want to see it.

Starts the patched QEMU under the qtest accelerator with the platform
device, a machine with emulated disks and NICs, and a small xenstore
peer on a unix socket. Then plays a PV driver on the fixed I/O ports
(through QEMU's qtest protocol) and a toolstack (QMP, xenstore):
handshake, a blacklist verdict, unplug, and log lines. Prints the
device's own trace and log output and the QMP answers.

usage: demo.py QEMU_BINARY
"""

import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

XS_READ, XS_GET_PERMS, XS_WATCH, XS_UNWATCH = 2, 3, 4, 5
XS_GET_DOMAIN_PATH, XS_ERROR, XS_WATCH_EVENT = 10, 16, 15


class XenstorePeer(threading.Thread):
    """Just enough of the xenstore wire protocol for QEMU's libxenstore:
    reads, watches, domain paths. Records every path read."""

    def __init__(self, path, nodes):
        super().__init__(daemon=True)
        self.nodes = dict(nodes)
        self.reads = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(4)

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,),
                             daemon=True).start()

    @staticmethod
    def recv(conn, n):
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def serve(self, conn):
        try:
            while True:
                mtype, req, tx, length = struct.unpack(
                    "<IIII", self.recv(conn, 16))
                body = self.recv(conn, length)
                args = body.split(b"\0")
                reply_type, reply = mtype, b"OK\0"
                if mtype == XS_READ:
                    path = args[0].decode()
                    self.reads.append(path)
                    if path in self.nodes:
                        reply = self.nodes[path].encode()
                    else:
                        reply_type, reply = XS_ERROR, b"ENOENT\0"
                elif mtype == XS_GET_DOMAIN_PATH:
                    reply = b"/local/domain/" + args[0] + b"\0"
                elif mtype == XS_GET_PERMS:
                    reply = b"n0\0"
                elif mtype not in (XS_WATCH, XS_UNWATCH):
                    reply_type, reply = XS_ERROR, b"ENOSYS\0"
                conn.sendall(struct.pack("<IIII", reply_type, req, tx,
                                         len(reply)) + reply)
                if mtype == XS_WATCH:
                    event = args[0] + b"\0" + args[1] + b"\0"
                    conn.sendall(struct.pack("<IIII", XS_WATCH_EVENT, 0, 0,
                                             len(event)) + event)
        except (EOFError, OSError):
            conn.close()


class Qemu:
    def __init__(self, binary, tmp, args):
        self.qmp_path = os.path.join(tmp, "qmp")
        qtest_path = os.path.join(tmp, "qtest")
        self.log_path = os.path.join(tmp, "qemu.log")
        self.err_path = os.path.join(tmp, "stderr")
        qtest_srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        qtest_srv.bind(qtest_path)
        qtest_srv.listen(1)
        self.proc = subprocess.Popen(
            [binary, "-machine", "pc", "-accel", "qtest", "-nodefaults",
             "-display", "none", "-qtest", "unix:" + qtest_path,
             "-qtest-log", "/dev/null",
             "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path,
             "-D", self.log_path, "-d", "guest_errors",
             "-trace", "enable=xen_platform_*"] + args,
            stderr=open(self.err_path, "w"))
        self.qtest, _ = qtest_srv.accept()
        self.qtest_file = self.qtest.makefile("r")
        for _ in range(100):
            if os.path.exists(self.qmp_path):
                break
            time.sleep(0.05)
        self.qmp = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.qmp.connect(self.qmp_path)
        self.qmp_file = self.qmp.makefile("r")
        self.events = []
        json.loads(self.qmp_file.readline())
        self.command("qmp_capabilities")

    def io(self, line):
        self.qtest.sendall((line + "\n").encode())
        while True:
            reply = self.qtest_file.readline().split()
            if reply and reply[0] == "OK":
                return int(reply[1], 16) if len(reply) > 1 else None
            if reply and reply[0] == "FAIL":
                raise RuntimeError("qtest: %s failed" % line)

    def command(self, name, **args):
        self.qmp.sendall(json.dumps({"execute": name,
                                     "arguments": args}).encode())
        while True:
            msg = json.loads(self.qmp_file.readline())
            if "event" in msg:
                self.events.append(msg)
            else:
                return msg

    def quit(self):
        self.command("quit")
        self.proc.wait(timeout=10)
        with open(self.err_path) as f:
            return f.read()


def step(text):
    print("\n== " + text)


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="xen-platform-demo-")
    xs_path = os.path.join(tmp, "xenstored")
    peer = XenstorePeer(xs_path, {"/mh/driver-blacklist/xensource-windows/42":
                                  ""})
    peer.start()
    os.environ["XENSTORED_PATH"] = xs_path

    step("Start QEMU with -device xen-platform, two IDE disks, a CD-ROM "
         "and a NIC")
    print("   toolstack: xenstore-write /mh/driver-blacklist/"
          "xensource-windows/42 \"\"")
    qemu = Qemu(binary, tmp, [
        "-device", "xen-platform,addr=3",
        "-drive", "if=none,id=hd0,driver=null-co",
        "-drive", "if=none,id=hd1,driver=null-co",
        "-drive", "if=none,id=cd0,driver=null-co,media=cdrom",
        "-device", "ide-hd,drive=hd0,bus=ide.0,unit=0",
        "-device", "ide-hd,drive=hd1,bus=ide.1,unit=0",
        "-device", "ide-cd,drive=cd0,bus=ide.1,unit=1",
        "-netdev", "user,id=net0", "-device", "e1000,netdev=net0,addr=6"])

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
    print("   xenstore peer saw reads of: %s" % ", ".join(peer.reads))
    info = qemu.command("query-xen-platform-pv-driver-info")
    print("   qmp: query-xen-platform-pv-driver-info -> " +
          json.dumps(info["return"]))

    step("A Linux PV driver, build 0, after a reboot")
    qemu.command("system_reset")
    print("   guest: inw 0x10 -> 0x%04x" % qemu.io("inw 0x10"))
    qemu.io("outw 0x12 0x3")
    qemu.io("outl 0x10 0x0")
    print("   guest: product 3 (linux), build 0 -> magic 0x%04x" %
          qemu.io("inw 0x10"))
    qemu.command("query-status")
    for ev in qemu.events:
        if ev["event"] == "XEN_PLATFORM_PV_DRIVER_INFO":
            print("   qmp event: XEN_PLATFORM_PV_DRIVER_INFO " +
                  json.dumps(ev["data"]))

    step("The driver unplugs emulated disks and NICs (mask 0x3)")
    before = [b["device"] for b in qemu.command("query-block")["return"]]
    qemu.io("outw 0x10 0x3")
    after = [b["device"] for b in qemu.command("query-block")["return"]]
    print("   qmp: query-block before: %s" % " ".join(before))
    print("   qmp: query-block after:  %s" % " ".join(after))
    nics = [d for bus in qemu.command("query-pci")["return"]
            for d in bus["devices"] if d["class_info"]["class"] == 0x200]
    print("   qmp: query-pci: %d Ethernet controllers left" % len(nics))

    step("The driver logs two lines (one with a non-printable byte)")
    for text in (b"xen: platform device found, unplug done\n",
                 b"bell\x07 and backslash \\\n"):
        for byte in text:
            qemu.io("outb 0x12 0x%x" % byte)
    info = qemu.command("query-xen-platform-pv-driver-info")
    print("   qmp: query-xen-platform-pv-driver-info -> " +
          json.dumps(info["return"]))

    err = qemu.quit()
    step("QEMU's trace output (-trace enable=xen_platform_*)")
    for line in err.splitlines():
        if "xen_platform" in line:
            print("   " + line.split(":", 1)[-1].strip()
                  if line[:1].isdigit() else "   " + line)
    step("QEMU's log file (-D)")
    with open(qemu.log_path) as f:
        for line in f:
            print("   " + line.rstrip())
    peer.sock.close()


if __name__ == "__main__":
    main()

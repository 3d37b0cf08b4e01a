#!/usr/bin/env python3
"""What the demo, the benchmarks and the compatibility checks share: a
xenstore peer and a QEMU under the qtest accelerator driven over QMP and
the qtest protocol. Standard library only."""

import json
import os
import socket
import struct
import subprocess
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
    """QEMU under the qtest accelerator: QMP for the toolstack's view, the
    qtest protocol for a guest's port I/O, trace and guest-error log in
    log_path, stderr in err_path."""

    def __init__(self, binary, tmp, args, name="qemu",
                 trace=("xen_platform_*",)):
        self.qmp_path = os.path.join(tmp, name + ".qmp")
        qtest_path = os.path.join(tmp, name + ".qtest")
        self.log_path = os.path.join(tmp, name + ".log")
        self.err_path = os.path.join(tmp, name + ".stderr")
        qtest_srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        qtest_srv.bind(qtest_path)
        qtest_srv.listen(1)
        self.proc = subprocess.Popen(
            [binary, "-machine", "pc", "-accel", "qtest", "-nodefaults",
             "-display", "none", "-qtest", "unix:" + qtest_path,
             "-qtest-log", "/dev/null",
             "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path,
             "-D", self.log_path, "-d", "guest_errors"] +
            [a for t in trace for a in ("-trace", "enable=" + t)] + args,
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
        """Stop QEMU (if it still runs); return what it wrote to stderr."""
        try:
            self.command("quit")
        except (OSError, ValueError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        with open(self.err_path) as f:
            return f.read()

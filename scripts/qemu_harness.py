#!/usr/bin/env python3
"""What the demo, the benchmarks and the compatibility checks share: a
xenstore peer and a QEMU under the qtest accelerator driven over QMP and
the qtest protocol.

QMP and the qtest wire protocol go through QEMU's own Python library
(python/qemu in the QEMU tree the harness built from: the legacy sync QMP
client qemu.qmp.legacy.QEMUMonitorProtocol and qemu.machine.qtest's
QEMUQtestProtocol). Both run over socket pairs handed to QEMU as file
descriptors, so there is no socket file to wait for, and a QEMU that exits
early is seen at once as the end of the connection.

Every wait on QEMU is bounded by XEN_PLATFORM_QEMU_TIMEOUT seconds
(default 60). When QEMU fails, exits or does not answer, the Qemu methods
raise QemuError, whose text says what happened and includes QEMU's exit
status and its stderr; the QEMU is then killed and reaped. kill_all()
(also run at exit) kills and reaps every QEMU still running.
"""

import asyncio
import atexit
import os
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)


def config(name):
    """A setting of scripts/config.sh (for the BASE in the environment)."""
    r = subprocess.run(["bash", "-c", '. "$1" && printf %s "${!2}"', "config",
                        os.path.join(HERE, "config.sh"), name],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(r.stderr.strip() or "config.sh failed")
    return r.stdout


def qemu_python_dir():
    """python/ of the QEMU tree the harness assembled (WORK_DIR/qemu-src),
    else of the pristine tree; QEMU_PYTHON overrides."""
    if os.environ.get("QEMU_PYTHON"):
        return os.environ["QEMU_PYTHON"]
    work = os.path.join(TOP, config("WORK_DIR"))
    candidates = []
    try:
        with open(os.path.join(work, "qemu-src")) as f:
            candidates.append(os.path.join(f.read().strip(), "python"))
    except OSError:
        pass
    candidates.append(os.path.join(work, "pristine", "python"))
    for c in candidates:
        if os.path.exists(os.path.join(c, "qemu", "qmp", "legacy.py")):
            return c
    sys.exit("qemu_harness: QEMU's python library (python/qemu/qmp) is not "
             "in %s; run scripts/assemble.sh (or make), or set QEMU_PYTHON "
             "to a QEMU tree's python/ folder" % " or ".join(candidates))


sys.path.insert(0, qemu_python_dir())
# No __pycache__ written into the QEMU tree
_dont_write_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
from qemu.qmp import QMPError  # noqa: E402
from qemu.qmp.legacy import QEMUMonitorProtocol  # noqa: E402
from qemu.qmp.util import get_or_create_event_loop  # noqa: E402
from qemu.machine.qtest import QEMUQtestProtocol  # noqa: E402
sys.dont_write_bytecode = _dont_write_bytecode

TIMEOUT = float(os.environ.get("XEN_PLATFORM_QEMU_TIMEOUT", "60"))

XS_DIRECTORY, XS_READ, XS_GET_PERMS, XS_WATCH, XS_UNWATCH = 1, 2, 3, 4, 5
XS_GET_DOMAIN_PATH, XS_ERROR, XS_WATCH_EVENT = 10, 16, 15


_NO_XEN = {}


def platform_device(binary, dev="xen-platform,addr=3"):
    """The -device argument for the platform device on @binary: without Xen
    the series' device realizes only with x-allow-no-xen=on, which the
    unpatched base (the measurement baseline) does not know."""
    if binary not in _NO_XEN:
        out = subprocess.run([binary, "-device", "xen-platform,help"],
                             capture_output=True, text=True, timeout=30)
        _NO_XEN[binary] = "x-allow-no-xen" in out.stdout + out.stderr
    return dev + (",x-allow-no-xen=on" if _NO_XEN[binary] else "")


class XenstorePeer(threading.Thread):
    """Just enough of the xenstore wire protocol for QEMU's libxenstore:
    reads, directory listings, watches, domain paths. Records every
    request ("READ path", "DIRECTORY path") and every path read."""

    def __init__(self, path, nodes):
        super().__init__(daemon=True)
        self.nodes = dict(nodes)
        self.reads = []
        self.requests = []
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
                    self.requests.append("READ " + path)
                    if path in self.nodes:
                        reply = self.nodes[path].encode()
                    else:
                        reply_type, reply = XS_ERROR, b"ENOENT\0"
                elif mtype == XS_DIRECTORY:
                    path = args[0].decode()
                    self.requests.append("DIRECTORY " + path)
                    below = sorted({k[len(path) + 1:].split("/")[0]
                                    for k in self.nodes
                                    if k.startswith(path + "/")})
                    if below:
                        reply = b"".join(b.encode() + b"\0" for b in below)
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

    def settled(self, timeout=TIMEOUT):
        """Wait until QEMU's platform device has made the requests of its
        start: two listings of the blacklist, one when it is realized and
        one when its watch fires on being set."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if sum(r.endswith("/experimental") for r in self.requests) >= 2:
                return True
            time.sleep(0.01)
        return False

    def close(self):
        self.sock.close()


class QemuError(Exception):
    """QEMU failed, exited or did not answer; the text says how, with its
    exit status and stderr."""


_running = set()


def kill_all():
    """Kill and reap every QEMU started here that still runs."""
    for q in list(_running):
        q.kill()


atexit.register(kill_all)

# What a QMP exchange raises when QEMU goes away or does not answer
_QMP_FAILURES = (QMPError, OSError, EOFError, asyncio.TimeoutError)


class Qemu:
    """QEMU under the qtest accelerator: QMP for the toolstack's view, the
    qtest protocol for a guest's port I/O, trace and guest-error log in
    log_path, stderr in err_path. QMP events are collected in events."""

    def __init__(self, binary, tmp, args, name="qemu",
                 trace=("xen_platform_*",), timeout=None):
        self.binary, self.name = binary, name
        self.timeout = TIMEOUT if timeout is None else timeout
        self.log_path = os.path.join(tmp, name + ".log")
        self.err_path = os.path.join(tmp, name + ".stderr")
        self.events = []
        self.qmp = self.qtest = None
        self._timed_out = False
        self._stray = set()
        qmp_ours, qmp_theirs = socket.socketpair()
        qtest_ours, qtest_theirs = socket.socketpair()
        cmd = [binary, "-machine", "pc", "-accel", "qtest", "-nodefaults",
               "-display", "none",
               "-chardev", "socket,id=qtest,fd=%d" % qtest_theirs.fileno(),
               "-qtest", "chardev:qtest", "-qtest-log", "/dev/null",
               "-chardev", "socket,id=qmp,fd=%d" % qmp_theirs.fileno(),
               "-mon", "chardev=qmp,mode=control",
               "-D", self.log_path, "-d", "guest_errors"] + \
            [a for t in trace for a in ("-trace", "enable=" + t)] + list(args)
        try:
            with open(self.err_path, "w") as err:
                self.proc = subprocess.Popen(
                    cmd, stdin=subprocess.DEVNULL, stderr=err,
                    pass_fds=(qmp_theirs.fileno(), qtest_theirs.fileno()))
        except OSError as e:
            for s in (qmp_ours, qtest_ours):
                s.close()
            raise QemuError("cannot start %s: %s" % (binary, e)) from None
        finally:
            qmp_theirs.close()
            qtest_theirs.close()
        _running.add(self)
        try:
            self.qtest = QEMUQtestProtocol(sock=qtest_ours)
            self.qtest.connect()
            self.qtest.settimeout(self.timeout)
            self.qmp = QEMUMonitorProtocol(qmp_ours, nickname=name)
            self.qmp.settimeout(self.timeout)
            # QEMUMonitorProtocol.connect() has no timeout of its own: a
            # QEMU that does not greet in time is killed, which ends the
            # connection
            watchdog = threading.Timer(self.timeout, self._expire)
            watchdog.daemon = True
            watchdog.start()
            try:
                self._qmp_call(self.qmp.connect)
            finally:
                watchdog.cancel()
        except _QMP_FAILURES as e:
            raise self._failure("failed before QMP was ready", e) from None
        except BaseException:
            self.kill()
            raise

    def _qmp_call(self, fn, *args):
        """fn(*args) of the QMP client. If a signal's exception (Ctrl-C)
        interrupts it, the asyncio tasks it leaves are collected at
        _close(): no "Task exception was never retrieved" then."""
        loop = get_or_create_event_loop()
        before = asyncio.all_tasks(loop)
        try:
            return fn(*args)
        except BaseException:
            self._stray |= asyncio.all_tasks(loop) - before
            raise

    def _expire(self):
        self._timed_out = True
        try:
            self.proc.kill()
        except OSError:
            pass

    def _failure(self, what, exc=None, grace=2.0):
        """Kill and reap QEMU; a QemuError saying what went wrong, with
        QEMU's exit status and stderr."""
        if exc is not None and isinstance(exc, (asyncio.TimeoutError,
                                                socket.timeout)):
            self._timed_out = True
        if not self._timed_out:
            # It went away by itself: let it finish writing stderr
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        status = self.proc.poll()
        self.kill()
        if self._timed_out:
            how = "did not answer within %g s (XEN_PLATFORM_QEMU_TIMEOUT); " \
                  "killed it" % self.timeout
        elif status is None:
            how = "still ran; killed it"
        elif status < 0:
            how = "was killed by signal %d" % -status
        else:
            how = "exited with status %d" % status
        msg = "QEMU %s(%s) %s: %s" % (
            "" if self.name == "qemu" else self.name + " ", self.binary,
            what, how)
        if exc is not None and not self._timed_out and status is None:
            msg += " (%s: %s)" % (type(exc).__name__, exc)
        try:
            with open(self.err_path, errors="replace") as f:
                err = f.read().rstrip()
        except OSError:
            err = ""
        if err:
            msg += "\nQEMU's stderr:\n" + "\n".join(
                "  " + l for l in err.splitlines())
        else:
            msg += "; it wrote nothing to stderr"
        return QemuError(msg)

    def io(self, line):
        """A qtest command; its value (OK <value>) or None (OK)."""
        try:
            reply = self.qtest.cmd(line)
        except OSError as e:
            raise self._failure("failed at qtest %r" % line, e) from None
        words = reply.split()
        if not words:
            raise self._failure("closed the qtest connection at %r" % line)
        if words[0] == "OK":
            return int(words[1], 16) if len(words) > 1 else None
        if words[0] == "FAIL":
            raise RuntimeError("qtest: %s failed" % line)
        raise RuntimeError("qtest: unexpected reply %r to %s" % (reply, line))

    def command(self, name, **args):
        """A QMP command; QEMU's answer ({"return": ...} or
        {"error": ...}). Events that came before it go to events."""
        try:
            msg = self._qmp_call(self.qmp.cmd_raw, name, args)
        except _QMP_FAILURES as e:
            raise self._failure("failed at QMP %s" % name, e) from None
        self.events.extend(self.qmp.get_events())
        return msg

    def _close(self):
        if self.qmp is not None:
            try:
                self.qmp.close()
            except Exception:
                pass        # it ended with an error: QEMU went away
            self.qmp = None
        if self._stray:
            for t in self._stray:
                t.cancel()
            try:
                get_or_create_event_loop().run_until_complete(
                    asyncio.gather(*self._stray, return_exceptions=True))
            except Exception:
                pass
            self._stray = set()
        if self.qtest is not None:
            self.qtest.close()
            self.qtest = None

    def kill(self):
        """Kill QEMU if it still runs, reap it, close the connections."""
        if self.proc.poll() is None:
            try:
                self.proc.kill()
            except OSError:
                pass
        self.proc.wait()
        self._close()
        _running.discard(self)

    def quit(self):
        """Stop QEMU (if it still runs); return what it wrote to stderr."""
        if self.proc.poll() is None and self.qmp is not None:
            try:
                self._qmp_call(self.qmp.cmd_raw, "quit")
            except _QMP_FAILURES:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.kill()
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()

#!/usr/bin/env python3
"""The interop suite: the Xen platform device against the real Linux
unplug client (arch/x86/xen/platform-pci-unplug.c of Debian's kernels,
compiled unmodified) and Xen's real xenstored and oxenstored.

scripts/interop.sh builds what this needs and runs it. Environment:
  INTEROP_QEMU      qemu-system-x86_64 to test
  INTEROP_DIR       scratch folder (work/interop)
  INTEROP_CLIENTS   "6.1=<dir> 6.12=<dir>": per kernel, a folder with
                    guest.bin (the -bios image), host-driver (the qtest
                    back end) and config (the kernel's package version
                    and its CONFIG_XEN_* values)
  INTEROP_PRELOAD   xsd-preload.so for the daemons
  INTEROP_XENSTORED, INTEROP_OXENSTORED   the daemons' binaries

Expectations come from docs/specs/xen-platform.rst and Xen's protocol
(docs/misc/hvm-emulated-unplug), and for the driver's choice of mask from
its source and the kernel's configuration, never from observed output.
Prints one line per case, "ok - ..." or "not ok - ...", and the summary
line "N passed, N failed, N skipped"; exits 1 if any case failed.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

QEMU = os.environ["INTEROP_QEMU"]
DIR = os.environ["INTEROP_DIR"]
PRELOAD = os.environ["INTEROP_PRELOAD"]
XENSTORED = os.environ.get("INTEROP_XENSTORED", "")
OXENSTORED = os.environ.get("INTEROP_OXENSTORED", "")
TIMEOUT = float(os.environ.get("INTEROP_TIMEOUT", "20"))

CLIENTS = []
for item in os.environ.get("INTEROP_CLIENTS", "").split():
    name, path = item.split("=", 1)
    cfg = {}
    with open(os.path.join(path, "config")) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            cfg[k] = v
    CLIENTS.append((name, path, cfg))

PASSED = FAILED = SKIPPED = 0
PROCS = []


def report(ok, name, why=""):
    global PASSED, FAILED
    if ok:
        PASSED += 1
        print("ok - %s" % name, flush=True)
    else:
        FAILED += 1
        print("not ok - %s: %s" % (name, why), flush=True)


def skip(name, why):
    global SKIPPED
    SKIPPED += 1
    print("ok - %s # SKIP %s" % (name, why), flush=True)


class Check:
    """Collects the failed expectations of one case."""

    def __init__(self):
        self.failures = []

    def eq(self, what, got, want):
        if got != want:
            self.failures.append("%s: got %r, expected %r" % (what, got, want))

    def true(self, what, cond):
        if not cond:
            self.failures.append(what)


def wait_for(pred, timeout=TIMEOUT, step=0.02):
    end = time.monotonic() + timeout
    while True:
        r = pred()
        if r or time.monotonic() > end:
            return r
        time.sleep(step)


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


# --- the Xen platform device's view: QMP, trace ------------------------------

class Qmp:
    def __init__(self, path, proc):
        self.events = []
        self.sock = None
        end = time.monotonic() + TIMEOUT
        while self.sock is None:
            if proc.poll() is not None:
                raise RuntimeError("QEMU exited with %s" % proc.returncode)
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(path)
                self.sock = s
            except OSError:
                s.close()
                if time.monotonic() > end:
                    raise RuntimeError("no QMP socket")
                time.sleep(0.02)
        self.sock.settimeout(TIMEOUT)
        self.f = self.sock.makefile("rwb")
        self._recv()                            # greeting
        self.cmd("qmp_capabilities")

    def _recv(self):
        line = self.f.readline()
        if not line:
            raise RuntimeError("QMP connection closed")
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg).encode() + b"\n")
        self.f.flush()
        while True:
            r = self._recv()
            if "event" in r:
                self.events.append(r)
                continue
            if "error" in r:
                raise RuntimeError("%s: %s" % (name, r["error"]))
            return r["return"]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


DRIVES = ("d0", "d1", "d2", "cd0")
DISKS = ("d0", "d1", "d2")


def machine_args(tmp, disk_dir):
    """Primary master d0, primary slave d1, secondary master d2, secondary
    slave CD-ROM cd0 on the PIIX IDE controller; an e1000 with backend
    n0."""
    args = []
    for i, (bus, unit) in enumerate(((0, 0), (0, 1), (1, 0))):
        args += ["-drive", "if=none,id=d%d,file=%s/d%d.img,format=raw"
                 % (i, disk_dir, i),
                 "-device", "ide-hd,drive=d%d,bus=ide.%d,unit=%d,id=hd%d"
                 % (i, bus, unit, i)]
    args += ["-drive", "if=none,id=cd0,media=cdrom",
             "-device", "ide-cd,drive=cd0,bus=ide.1,unit=1,id=cdrom0",
             "-netdev", "user,id=n0",
             "-device", "e1000,netdev=n0,id=nic0"]
    return args


class Qemu:
    def __init__(self, tmp, accel, device, extra, env=None):
        self.tmp = tmp
        self.qmp_path = os.path.join(tmp, "qmp.sock")
        self.log = os.path.join(tmp, "qemu.log")
        self.err = os.path.join(tmp, "qemu.stderr")
        args = [QEMU, "-accel", accel, "-machine", "pc", "-nodefaults",
                "-display", "none", "-m", "32",
                "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path,
                "-trace", "xen_platform_*", "-d", "guest_errors",
                "-D", self.log, "-device", device] + \
            machine_args(tmp, DIR) + extra
        with open(os.path.join(tmp, "cmdline"), "w") as f:
            f.write(" ".join(args) + "\n")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=open(self.err, "w"),
                                     stderr=subprocess.STDOUT,
                                     env=env or os.environ)
        PROCS.append(self.proc)
        self.qmp = Qmp(self.qmp_path, self.proc)

    def stderr(self):
        return read(self.err)

    def trace(self):
        return read(self.log)

    def quit(self):
        try:
            self.qmp.cmd("quit")
        except Exception:
            pass
        self.qmp.close()
        try:
            self.proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        PROCS.remove(self.proc)


PORT_RE = re.compile(r"^xen_platform_port_(read|write) port 0x([0-9a-f]+) "
                     r"size (\d) (?:->|<-) 0x([0-9a-f]+)$", re.M)


def port_accesses(trace):
    return [("R" if d == "read" else "W", int(p, 16), int(sz), int(v, 16))
            for d, p, sz, v in PORT_RE.findall(trace)]


def fmt_seq(seq):
    return " ".join("%s%d 0x%x%s0x%x" % (d, sz, p, "->" if d == "R" else "<-",
                                          v) for d, p, sz, v in seq)


def expected_seq(handshake, mask, blacklisted=False):
    """Xen's protocol as the spec's "Driver handshake" gives it, for Linux's
    product 3 and build 1 (facts: Linux's identification)."""
    if not handshake:
        return []
    seq = [("R", 0x10, 2, 0x49d2), ("R", 0x12, 1, 1),
           ("W", 0x12, 2, 3), ("W", 0x10, 4, 1),
           ("R", 0x10, 2, 0xd249 if blacklisted else 0x49d2)]
    if mask is not None and not blacklisted:
        seq.append(("W", 0x10, 2, mask))
    return seq


def remaining_drives(mask):
    """The spec's unplug mask: bit 0 removes every IDE hard disk, bit 2
    (only when bit 0 is clear) every one but the master of ide.0;
    CD-ROMs stay."""
    mask = mask or 0
    gone = set()
    if mask & 1:
        gone = set(DISKS)
    elif mask & 4:
        gone = {"d1", "d2"}
    return sorted(set(DRIVES) - gone)


def device_state(q):
    blocks = sorted(b["device"] for b in q.qmp.cmd("query-block")
                    if b.get("device"))
    pci = [d for bus in q.qmp.cmd("query-pci") for d in bus["devices"]]
    net = q.qmp.cmd("human-monitor-command", **{"command-line":
                                                "info network"})
    return {
        "drives": blocks,
        "nic": any(d.get("qdev_id") == "nic0" for d in pci),
        "netdev": bool(re.search(r"^\s*n0:", net, re.M)) or " n0:" in net,
        "platform": [(d["id"]["vendor"], d["id"]["device"]) for d in pci
                     if d["id"]["vendor"] == 0x5853],
        "ide": any(d["class_info"]["class"] == 0x0101 for d in pci),
    }


def check_devices(c, q, device, mask):
    want_drives = remaining_drives(mask)
    want_nic = not ((mask or 0) & 2)
    devid = 2 if device == "xen-platform-2" else 1
    # PCI devices and their drives go after an RCU grace period: wait a
    # bounded time for the state the spec describes, then compare.
    st = wait_for(lambda: (lambda s: s if (s["drives"] == want_drives and
                                           s["nic"] == want_nic and
                                           s["netdev"] == want_nic) else None)
                  (device_state(q)), timeout=3) or device_state(q)
    c.eq("query-block drives", st["drives"], want_drives)
    c.eq("e1000 in query-pci", st["nic"], want_nic)
    c.eq("netdev n0 in info network", st["netdev"], want_nic)
    c.eq("platform device in query-pci", st["platform"], [(0x5853, devid)])
    c.true("IDE controller stays", st["ide"])


def check_info(c, q, handshake, mask, blacklisted=False):
    info = q.qmp.cmd("query-xen-platform-pv-driver-info")
    bits = 0 if (mask is None or blacklisted) else mask & 0xf
    want = {"refused": blacklisted,
            "unplugged": [name for bit, name in enumerate(
                ("ide-scsi-disks", "nics", "aux-ide-disks", "nvme-disks"))
                if bits & (1 << bit)],
            "log-lines-suppressed": 0}
    if handshake:       # absent while the driver has written none
        want.update({"product-num": 3, "build-num": 1,
                     "product-name": "linux"})
    c.eq("query-xen-platform-pv-driver-info", info, want)


def check_driver_log(c, con, handshake, mask, value, cfg, blacklisted=False):
    """What the driver's source prints for this value."""
    c.true("driver ran (shim: done)", "shim: done" in con)
    for bad in ("unrecognised magic", "unknown I/O protocol version"):
        c.true("driver must not print %r" % bad, bad not in con)
    c.eq("driver printed 'blacklisted by host'",
         "Xen Platform: blacklisted by host" in con, blacklisted)
    default = value is None and handshake and not blacklisted
    c.eq("driver printed the netfront default",
         "unplug emulated NICs" in con,
         default and cfg.get("NETFRONT") in ("y", "m") and
         cfg.get("PVHVM") == "y")
    c.eq("driver printed the blkfront default",
         "unplug emulated disks" in con,
         default and cfg.get("BLKFRONT") in ("y", "m") and
         cfg.get("PVHVM") == "y")
    if not handshake:
        c.true("driver printed nothing", "platform_pci_unplug:" not in con)


def default_mask(cfg):
    """xen_must_unplug_nics()/_disks() of include/xen/platform_pci.h."""
    pvhvm = cfg.get("PVHVM") == "y"
    return ((2 if pvhvm and cfg.get("NETFRONT") in ("y", "m") else 0) |
            (1 if pvhvm and cfg.get("BLKFRONT") in ("y", "m") else 0))


def values(cfg):
    """Each xen_emul_unplug= value the kernel's parser accepts:
    (value, handshake, mask written or None)."""
    return [
        (None, True, default_mask(cfg)),
        ("never", False, None),          # XEN_UNPLUG_NEVER: no access
        ("unnecessary", True, None),     # handshake, no unplug write
        ("all", True, 0x7),
        ("ide-disks", True, 0x1),
        ("aux-ide-disks", True, 0x4),
        ("nics", True, 0x2),
        ("nics,aux-ide-disks", True, 0x6),
    ]


CASE_NO = [0]


def casedir(name):
    """cases/NN (short: the sockets live there), its name in cases/NN/name."""
    CASE_NO[0] += 1
    d = os.path.join(DIR, "cases", "%02d" % CASE_NO[0])
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(d, "name"), "w") as f:
        f.write(name + "\n")
    return d


# --- part 1: the real driver as a TCG guest ----------------------------------

def tcg_case(kname, kdir, cfg, device, value, handshake, mask, resume=False,
             env=None, label=None):
    name = label or "linux %s (%s) on %s, TCG, xen_emul_unplug=%s%s" % (
        kname, cfg.get("VERSION"), device,
        value if value is not None else "(none)",
        ", boot + resume" if resume else "")
    tmp = casedir(name)
    con = os.path.join(tmp, "console.log")
    cmdline = "console=ttyS0"
    if value is not None:
        cmdline += " xen_emul_unplug=" + value
    if resume:
        cmdline += " interop.resume=1"
    c = Check()
    q = None
    try:
        q = Qemu(tmp, "tcg", device + ",x-allow-no-xen=on",
                 ["-bios", os.path.join(kdir, "guest.bin"),
                  "-fw_cfg", "name=opt/interop/cmdline,string=" +
                  cmdline.replace(",", ",,"),                 # QEMU's escape
                  "-S",
                  "-chardev", "file,id=dbg,path=" + con,
                  "-device", "isa-debugcon,iobase=0xe9,chardev=dbg"],
                 env=env)
        q.qmp.cmd("cont")       # started paused: QMP sees every event
        if not wait_for(lambda: "shim: done" in read(con)):
            raise RuntimeError("the guest did not finish; console: %r"
                               % read(con)[-300:])
        text = read(con)
        seq = expected_seq(handshake, mask)
        if resume:
            seq = seq * 2
        got = port_accesses(q.trace())
        c.eq("port accesses", fmt_seq(got), fmt_seq(seq))
        check_driver_log(c, text, handshake, mask, value, cfg)
        check_devices(c, q, device, mask)
        check_info(c, q, handshake, mask)
        if handshake:
            ev = [e["data"] for e in q.qmp.events
                  if e["event"] == "XEN_PLATFORM_PV_DRIVER_INFO"]
            q.qmp.cmd("query-status")       # collect pending events
            ev = [e["data"] for e in q.qmp.events
                  if e["event"] == "XEN_PLATFORM_PV_DRIVER_INFO"]
            c.true("event XEN_PLATFORM_PV_DRIVER_INFO {3, 1}: %r" % ev,
                   {"product-num": 3, "build-num": 1} in ev)
        if env and "XENSTORED_PATH" in env:
            c.true("spec: no xenstore without qtest",
                   "xen_platform_blacklist_read" not in q.trace())
    except Exception as e:                  # noqa: BLE001
        c.failures.append("error: %s" % e)
    finally:
        if q:
            q.quit()
    report(not c.failures, name, "; ".join(c.failures) + " (see %s)" % tmp)


# --- part 2: xenstore daemons, and the driver over qtest --------------------

class Daemon:
    def __init__(self, kind, tmp):
        self.kind = kind
        self.sock = os.path.join(tmp, "socket")
        self.trace = os.path.join(tmp, "xenstored.trace")
        env = dict(os.environ, LD_PRELOAD=PRELOAD,
                   XSD_PRELOAD_SOCKET=self.sock, XENSTORED_PATH=self.sock,
                   XENSTORED_RUNDIR=tmp)
        if kind == "xenstored":
            args = [XENSTORED, "-N", "-F", os.path.join(tmp, "pid"),
                    "-T", self.trace]
        else:
            conf = os.path.join(tmp, "oxenstored.conf")
            with open(conf, "w") as f:
                f.write("pid-file = %s/pid\npersistent = false\n"
                        "xenstored-kva = /proc/xen/xsd_kva\n"
                        "xenstored-port = /proc/xen/xsd_port\n"
                        "xenstored-log-file = %s/oxenstored.log\n"
                        "access-log-file = %s/access.log\n"
                        % (tmp, tmp, tmp))
            args = [OXENSTORED, "--no-fork", "--config-file", conf]
        self.out = os.path.join(tmp, kind + ".out")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=open(self.out, "w"),
                                     stderr=subprocess.STDOUT, env=env)
        PROCS.append(self.proc)
        self.env = dict(os.environ, XENSTORED_PATH=self.sock)
        if not wait_for(lambda: self.proc.poll() is not None or
                        self.cli("xenstore-exists", "/")[0] == 0):
            raise RuntimeError("%s does not answer" % kind)
        if self.proc.poll() is not None:
            raise RuntimeError("%s exited: %s" % (kind, read(self.out)))

    def cli(self, tool, *args):
        """A xenstore-utils command, as a dom0 toolstack runs it."""
        r = subprocess.run([tool] + list(args), env=self.env,
                           capture_output=True, text=True, timeout=TIMEOUT)
        return r.returncode, r.stdout.strip(), r.stderr.strip()

    def reads_of(self, path, what="READ"):
        """READ (or other) requests for path in xenstored's -T trace."""
        return len(re.findall(r" %s \(%s \)" % (what, re.escape(path)),
                              read(self.trace)))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        PROCS.remove(self.proc)


class QtestQemu(Qemu):
    """A QEMU under -accel qtest whose qtest chardev connects to us."""

    def __init__(self, tmp, device, daemon, extra=()):
        path = os.path.join(tmp, "qtest.sock")
        ls = socket.socket(socket.AF_UNIX)
        ls.bind(path)
        ls.listen(1)
        ls.settimeout(TIMEOUT)
        env = dict(os.environ, XENSTORED_PATH=daemon.sock)
        try:
            super().__init__(tmp, "qtest", device + ",x-allow-no-xen=on",
                             ["-qtest", "unix:" + path, "-qtest-log",
                              os.path.join(tmp, "qtest.log")] + list(extra),
                             env=env)
            self.qt, _ = ls.accept()
        finally:
            ls.close()
            os.unlink(path)
        self.qt.settimeout(TIMEOUT)
        self.qf = self.qt.makefile("rwb")

    def qtest(self, *cmds):
        """Send qtest commands (pipelined), return their answers."""
        self.qf.write("".join(c + "\n" for c in cmds).encode())
        self.qf.flush()
        out = []
        while len(out) < len(cmds):
            line = self.qf.readline().decode().strip()
            if not line:
                raise RuntimeError("qtest connection closed")
            if line.startswith("IRQ"):
                continue
            if not line.startswith("OK"):
                raise RuntimeError("qtest: %s" % line)
            out.append(line)
        return out

    def driver(self, kdir, cmdline=""):
        """Run the real driver code (host build) against this QEMU."""
        fd = self.qt.fileno()
        self.qt.setblocking(True)       # the driver does blocking reads
        try:
            r = subprocess.run([os.path.join(kdir, "host-driver"), cmdline],
                               env=dict(os.environ,
                                        INTEROP_QTEST_FD=str(fd)),
                               pass_fds=(fd,), capture_output=True,
                               text=True, timeout=TIMEOUT)
        finally:
            self.qt.settimeout(TIMEOUT)
        with open(os.path.join(self.tmp, "console.log"), "a") as f:
            f.write(r.stdout + r.stderr)
        if r.returncode != 0:
            raise RuntimeError("host driver failed: %s" % r.stderr)
        return r.stdout

    def quit(self):
        try:
            self.qt.close()
        except OSError:
            pass
        super().quit()


BL = "/mh/driver-blacklist/linux/1"
BL_DIR = "/mh/driver-blacklist/linux"
# QEMU's trace of a listing of the Linux drivers' blacklisted builds
BL_READ = re.compile(r"xen_platform_blacklist_read %s: (\d+) builds "
                     r"\(errno 0\)" % re.escape(BL_DIR))


def check_blacklist_reads(c, daemon, q, reads0, builds):
    """QEMU listed the builds (the last listing has @builds), and never
    read a build's node: the guest's handshake asks xenstore nothing."""
    found = BL_READ.findall(q.trace())
    c.true("QEMU listed %s" % BL_DIR, bool(found))
    if found:
        c.eq("builds in the last listing", int(found[-1]), builds)
    if daemon.kind == "xenstored":
        c.eq("xenstored READs of %s" % BL, daemon.reads_of(BL) - reads0, 0)
        c.true("xenstored DIRECTORY requests of %s" % BL_DIR,
               daemon.reads_of(BL_DIR, "DIRECTORY") > 0)


def xs_driver_cases(daemon, kname, kdir, cfg, device):
    """The real driver (host build, over qtest) with a real store."""
    label = "linux %s on %s, %s" % (kname, device, daemon.kind)
    mask = default_mask(cfg)

    # Not blacklisted: another build's node exists, not this one's.
    name = label + ": build 1 not blacklisted (node for build 2 only)"
    tmp = casedir(name)
    c = Check()
    q = None
    try:
        daemon.cli("xenstore-rm", BL)
        rc = daemon.cli("xenstore-write", "/mh/driver-blacklist/linux/2", "")
        c.eq("xenstore-write linux/2", rc[0], 0)
        reads0 = daemon.reads_of(BL)
        q = QtestQemu(tmp, device, daemon)
        con = q.driver(kdir)
        c.eq("port accesses", fmt_seq(port_accesses(q.trace())),
             fmt_seq(expected_seq(True, mask)))
        check_blacklist_reads(c, daemon, q, reads0, 1)
        check_driver_log(c, con, True, mask, None, cfg)
        check_devices(c, q, device, mask)
        check_info(c, q, True, mask)
        c.true("QEMU found the store",
               "no xenstore reachable" not in q.stderr())
    except Exception as e:                  # noqa: BLE001
        c.failures.append("error: %s" % e)
    finally:
        if q:
            q.quit()
    report(not c.failures, name, "; ".join(c.failures) + " (see %s)" % tmp)

    # Blacklisted by the toolstack; the verdict stands until reset.
    name = label + ": toolstack blacklists build 1 (xenstore-write %s)" % BL
    tmp = casedir(name)
    c = Check()
    q = None
    try:
        rc = daemon.cli("xenstore-write", BL, "")
        c.eq("xenstore-write", rc[0], 0)
        c.eq("xenstore-read", daemon.cli("xenstore-read", BL)[:2], (0, ""))
        reads0 = daemon.reads_of(BL)
        q = QtestQemu(tmp, device, daemon)
        con = q.driver(kdir)
        seq = expected_seq(True, mask, blacklisted=True)
        c.eq("port accesses", fmt_seq(port_accesses(q.trace())),
             fmt_seq(seq))
        check_blacklist_reads(c, daemon, q, reads0, 2)
        check_driver_log(c, con, True, mask, None, cfg, blacklisted=True)
        check_devices(c, q, device, None)
        check_info(c, q, True, None, blacklisted=True)

        # spec: removing the node does not change the verdict; reset does
        # (once QEMU has listed the builds again, as its watch makes it).
        listings = len(BL_READ.findall(q.trace()))
        rc = daemon.cli("xenstore-rm", BL)
        c.eq("xenstore-rm", rc[0], 0)
        c.true("QEMU lists the builds again",
               wait_for(lambda: len(BL_READ.findall(q.trace())) > listings,
                        timeout=5))
        c.eq("magic after xenstore-rm, before reset",
             q.qtest("inw 0x10"), ["OK 0xd249"])
        q.qmp.cmd("system_reset")
        reset = wait_for(lambda: q.qtest("inw 0x10") == ["OK 0x49d2"],
                         timeout=5)
        c.true("magic 0x49d2 after system_reset", reset)
        before = len(port_accesses(q.trace()))
        con2 = q.driver(kdir)
        seq2 = expected_seq(True, mask)
        c.eq("port accesses after reset",
             fmt_seq(port_accesses(q.trace())[before:]), fmt_seq(seq2))
        c.true("driver loads after reset",
               "blacklisted by host" not in con2)
        check_devices(c, q, device, mask)
        check_info(c, q, True, mask)
    except Exception as e:                  # noqa: BLE001
        c.failures.append("error: %s" % e)
    finally:
        if q:
            q.quit()
        daemon.cli("xenstore-rm", BL)
    report(not c.failures, name + "; cleared by xenstore-rm + system_reset",
           "; ".join(c.failures) + " (see %s)" % tmp)


def xs_perm_case(daemon, kname, kdir, cfg):
    """Why EACCES needs the in-tree peer: the real daemon gives dom0 (every
    socket client) full access, whatever the node's permissions."""
    name = ("linux %s, %s: xenstore-chmod %s n0 does not hide it from "
            "QEMU (dom0 is privileged)" % (kname, daemon.kind, BL))
    tmp = casedir(name)
    c = Check()
    q = None
    try:
        c.eq("xenstore-write", daemon.cli("xenstore-write", BL, "")[0], 0)
        c.eq("xenstore-chmod", daemon.cli("xenstore-chmod", BL, "n0")[0], 0)
        q = QtestQemu(tmp, "xen-platform", daemon)
        con = q.driver(kdir)
        found = BL_READ.findall(q.trace())
        c.true("QEMU listed the node", bool(found) and int(found[-1]) >= 1)
        c.true("driver blacklisted", "blacklisted by host" in con)
    except Exception as e:                  # noqa: BLE001
        c.failures.append("error: %s" % e)
    finally:
        if q:
            q.quit()
        daemon.cli("xenstore-rm", BL)
    report(not c.failures, name, "; ".join(c.failures) + " (see %s)" % tmp)


def xs_throttle_case(daemon, device="xen-platform"):
    """The log-throttling node, toggled with the real xenstore-write."""
    name = "%s, %s: log-throttling node 0/1/other toggles the rate limit" % (
        device, daemon.kind)
    tmp = casedir(name)
    c = Check()
    q = None
    node = "/local/domain/0/log-throttling"
    burst = 8192
    try:
        daemon.cli("xenstore-rm", node)
        q = QtestQemu(tmp, device + ",log-burst=%d,log-rate=1" % burst,
                      daemon)
        # Each line: 100 bytes of text. Spec, Rate limit: cost = type name
        # + 2 + escaped length + 1. The virtual clock stands still under
        # qtest, so the bucket does not refill.
        cost = len(device) + 2 + 100 + 1
        fits = burst // cost
        seen = [0]

        def send(tag, n):
            cmds = []
            for i in range(n):
                text = ("interop %s %03d " % (tag, i)).ljust(100, "x")
                cmds += ["outb 0x12 0x%x" % ord(ch) for ch in text]
                cmds.append("outb 0x12 0xa")
            q.qtest(*cmds)
            q.qmp.cmd("query-status")
            lines = re.findall(r"^xen_platform_log xen platform: "
                               r"interop %s \d+ x*$" % tag, q.trace(), re.M)
            return len(lines)

        def suppressed():
            return q.qmp.cmd("query-xen-platform-pv-driver-info")[
                "log-lines-suppressed"]

        def toggled(value):
            want = "xen_platform_log_throttle %s = %s" % (node, value)
            return wait_for(lambda: q.trace().count(want) > seen[0], 5)

        n = fits + 9
        c.eq("node absent, property on: lines passed", send("on1", n), fits)
        c.eq("lines suppressed", suppressed(), 9)

        c.eq("xenstore-write 0", daemon.cli("xenstore-write", node, "0")[0], 0)
        c.true("QEMU saw the node change to 0", toggled("0"))
        c.eq("throttling off: lines passed", send("off", n), n)
        notice = "(9 lines, %d bytes of guest log suppressed by the rate " \
                 "limit)" % (9 * cost)
        c.true("suppression notice %s" % notice, notice in q.trace())
        c.eq("lines suppressed after off", suppressed(), 9)

        c.eq("xenstore-write 1", daemon.cli("xenstore-write", node, "1")[0], 0)
        c.true("QEMU saw the node change to 1", toggled("1"))
        passed = send("on2", n)
        c.true("throttling on again: at most %d of %d lines passed, got %d"
               % ((burst - fits * cost) // cost, n, passed),
               passed <= (burst - fits * cost) // cost)
        c.eq("lines suppressed after on", suppressed(), 9 + n - passed)

        before = suppressed()
        c.eq("xenstore-write 2", daemon.cli("xenstore-write", node, "2")[0], 0)
        wait_for(lambda: "log-throttling" in q.stderr() or
                 q.trace().count("%s = 2" % node), 5)
        c.eq("other value: limit stays on, 5 lines dropped",
             (send("bad", 5), suppressed() - before), (0, 5))
        c.true("QEMU warns about the other value",
               "log-throttling" in q.stderr())
    except Exception as e:                  # noqa: BLE001
        c.failures.append("error: %s" % e)
    finally:
        if q:
            q.quit()
        daemon.cli("xenstore-rm", node)
    report(not c.failures, name, "; ".join(c.failures) + " (see %s)" % tmp)


def main():
    os.makedirs(DIR, exist_ok=True)
    for i in range(3):
        with open(os.path.join(DIR, "d%d.img" % i), "wb") as f:
            f.truncate(1 << 20)
    shutil.rmtree(os.path.join(DIR, "cases"), ignore_errors=True)
    start = time.monotonic()

    for kname, kdir, cfg in CLIENTS:
        for device in ("xen-platform", "xen-platform-2"):
            for value, handshake, mask in values(cfg):
                tcg_case(kname, kdir, cfg, device, value, handshake, mask)
        tcg_case(kname, kdir, cfg, "xen-platform", None, True,
                 default_mask(cfg), resume=True)

    for kind, binary in (("xenstored", XENSTORED), ("oxenstored", OXENSTORED)):
        if not binary or not os.access(binary, os.X_OK):
            skip("%s cases" % kind, "%s not installed" % (binary or kind))
            continue
        tmp = casedir("daemon-" + kind)
        try:
            daemon = Daemon(kind, tmp)
        except Exception as e:              # noqa: BLE001
            report(False, "%s serves without Xen" % kind, str(e))
            continue
        report(True, "%s (real daemon, LD_PRELOAD stubs) serves %s"
               % (kind, daemon.sock))
        try:
            for kname, kdir, cfg in CLIENTS:
                # Part 1's blacklist run: under TCG the spec says there is
                # no xenstore, so the toolstack's node must not matter.
                daemon.cli("xenstore-write", BL, "")
                tcg_case(kname, kdir, cfg, "xen-platform", None, True,
                         default_mask(cfg), env=daemon.env,
                         label="linux %s on xen-platform, TCG, %s has %s: "
                         "not blacklisted (no xenstore without qtest)"
                         % (kname, kind, BL))
                daemon.cli("xenstore-rm", BL)
                for device in ("xen-platform", "xen-platform-2"):
                    xs_driver_cases(daemon, kname, kdir, cfg, device)
            xs_perm_case(daemon, *CLIENTS[-1])
            xs_throttle_case(daemon)
            xs_throttle_case(daemon, "xen-platform-2")
        finally:
            daemon.stop()
            report(daemon.proc.returncode in (0, -signal.SIGTERM),
                   "%s stopped cleanly" % kind,
                   "exit status %s: %s" % (daemon.proc.returncode,
                                           read(daemon.out)[-300:]))

    print("# interop cases took %.1f s" % (time.monotonic() - start))
    line = "%d passed, %d failed" % (PASSED, FAILED)
    if SKIPPED:
        line += ", %d skipped" % SKIPPED
    print(line)
    return 1 if FAILED else 0


def cleanup(*_):
    for p in list(PROCS):
        if p.poll() is None:
            p.kill()
        p.wait()
    PROCS.clear()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: (cleanup(), sys.exit(143)))
    try:
        rc = main()
    finally:
        cleanup()
    sys.exit(rc)

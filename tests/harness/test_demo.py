#!/usr/bin/python3
"""Tests of scripts/demo.py's failure paths (and one real run).

Each case runs the demo with a QEMU that fails in one way (fake_qemu.py,
or the real QEMU with a bad argument) or interrupts it mid-run, and checks
the outcome: the exit status, the message on stderr (QEMU's own error, no
Python traceback), that the demo's temporary folder is gone and that the
QEMU it started is neither left running nor left unreaped. This process is
a child subreaper, so a QEMU the demo orphans becomes its child and is seen.

usage: test_demo.py [--demo DEMO_PY] [--qemu QEMU_BINARY]
  --demo  the demo to test (default: scripts/demo.py)
  --qemu  the patched QEMU for the real-QEMU cases (default: BUILD_DIR/
          qemu-system-x86_64 of scripts/config.sh; skipped if missing)
Ends with "N passed, N failed" (", N skipped" when some were); exits 1 if
any case failed.
"""

import argparse
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
FAKE = os.path.join(HERE, "fake_qemu.py")
PYTHON = "/usr/bin/python3"
WALL = 60           # seconds a demo run may take before it counts as hung
# XEN_PLATFORM_QEMU_TIMEOUT for the demo: with the fake QEMU short (the
# demo waits that long for xenstore reads the fake never makes, and the
# hangs' bound is what those cases test), yet above the fake's start on
# a loaded machine; with the real QEMU long, so that a slow answer is
# not taken for a hang
TIMEOUT = "3"
TIMEOUT_REAL = "30"

PR_SET_CHILD_SUBREAPER = 36


def build_dir():
    r = subprocess.run(["bash", "-c", '. "$1" && printf %s "$BUILD_DIR"', "-",
                        os.path.join(TOP, "scripts", "config.sh")],
                       capture_output=True, text=True)
    return os.path.join(TOP, r.stdout or "build")


class Run:
    pass


def run_demo(demo, binary, mode=None, sig=None, timeout=TIMEOUT):
    """Run the demo once, with XEN_PLATFORM_QEMU_TIMEOUT=timeout; what
    came of it."""
    work = tempfile.mkdtemp(prefix="test-demo-")
    tmpdir = os.path.join(work, "tmp")
    os.mkdir(tmpdir)
    pidfile = os.path.join(work, "qemu.pid")
    ready = os.path.join(work, "ready")
    env = dict(os.environ, TMPDIR=tmpdir, FAKE_QEMU_PIDFILE=pidfile,
               FAKE_QEMU_READY=ready, XEN_PLATFORM_QEMU_TIMEOUT=timeout)
    if mode:
        env["FAKE_QEMU_MODE"] = mode
    r = Run()
    r.problems = []
    t0 = time.monotonic()
    # Output to files, not pipes: a QEMU the demo leaves behind keeps them
    # open, and reading a pipe to its end would wait for that QEMU
    out_path, err_path = (os.path.join(work, n) for n in ("out", "err"))
    with open(out_path, "w") as out, open(err_path, "w") as err:
        p = subprocess.Popen([PYTHON, demo, binary], stdout=out, stderr=err,
                             stdin=subprocess.DEVNULL, env=env, cwd=work)
    if sig:
        while not os.path.exists(ready) and p.poll() is None and \
                time.monotonic() - t0 < WALL:
            time.sleep(0.02)
        if os.path.exists(ready):
            p.send_signal(sig)
        else:
            r.problems.append("QEMU never got to the qtest command, so "
                              "no %s was sent" % signal.Signals(sig).name)
    try:
        p.wait(timeout=max(0.1, WALL - (time.monotonic() - t0)))
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        r.problems.append("the demo hung: killed after %d s" % WALL)
    with open(out_path, errors="replace") as f:
        r.out = f.read()
    with open(err_path, errors="replace") as f:
        r.err = f.read()
    r.rc = p.returncode
    r.seconds = time.monotonic() - t0
    left = os.listdir(tmpdir)
    if left:
        r.problems.append("left in TMPDIR: %s" % " ".join(sorted(left)))
    r.problems += qemu_left(pidfile)
    shutil.rmtree(work, ignore_errors=True)
    return r


def qemu_left(pidfile):
    """What the demo left of its QEMU: nothing, it is reaped, is right.
    An orphan comes to this subreaper; it is killed and reaped here."""
    try:
        with open(pidfile) as f:
            pid = int(f.read())
    except (OSError, ValueError):
        return ["QEMU wrote no pid (did it start?)"]
    try:
        got, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return []           # the demo reaped it
        return ["QEMU (pid %d) still exists" % pid]
    if got == 0:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return ["QEMU (pid %d) was left running" % pid]
    return ["QEMU (pid %d) ended but the demo did not reap it" % pid]


def expect(r, rc, stderr_has=(), stdout_has=()):
    if rc is not None and r.rc != rc:
        r.problems.append("exit status %s, expected %s" % (r.rc, rc))
    for s in stderr_has:
        if s not in r.err:
            r.problems.append("stderr lacks %r" % s)
    for s in stdout_has:
        if s not in r.out:
            r.problems.append("stdout lacks %r" % s)
    if "Traceback" in r.err:
        r.problems.append("a Python traceback on stderr")
    return r


def case_exits_at_once(a):
    """QEMU exits before QMP connects: no hang, QEMU's error shown."""
    r = run_demo(a.demo, FAKE, "exit")
    return expect(r, 1, ["no such device (fake, exits at once)",
                         "exited with status 1"])


def case_fails_after_greeting(a):
    """QEMU fails after the QMP greeting: its error, not a JSON error."""
    r = run_demo(a.demo, FAKE, "greet-fail")
    expect(r, 1, ["machine init failed after the QMP greeting (fake)"])
    if "JSONDecodeError" in r.err:
        r.problems.append("JSONDecodeError on stderr")
    return r


def case_never_greets(a):
    """QEMU never greets: the wait is bounded by XEN_PLATFORM_QEMU_TIMEOUT."""
    r = run_demo(a.demo, FAKE, "hang")
    return expect(r, 1, ["did not answer within %s s" % TIMEOUT])


def case_qtest_hangs(a):
    """QEMU stops answering qtest mid-run: bounded too."""
    r = run_demo(a.demo, FAKE, "qtest-hang")
    return expect(r, 1, ["did not answer within %s s" % TIMEOUT,
                         "inw 0x10"])


def case_qmp_hangs(a):
    """QEMU stops answering QMP mid-run: bounded too."""
    r = run_demo(a.demo, FAKE, "qmp-hang")
    return expect(r, 1, ["did not answer within %s s" % TIMEOUT,
                         "query-xen-platform-pv-driver-info"])


def case_dies_mid_run(a):
    """QEMU dies mid-run: its error."""
    r = run_demo(a.demo, FAKE, "qtest-die")
    return expect(r, 1, ["the guest did something fatal (fake)",
                         "exited with status 1"])


def case_sigint(a):
    """SIGINT (Ctrl-C) mid-run: QEMU killed and reaped, tmp removed, the
    demo dies of SIGINT."""
    r = run_demo(a.demo, FAKE, "qtest-hang", signal.SIGINT)
    return expect(r, -signal.SIGINT, ["SIGINT"])


def case_sigint_in_qmp(a):
    """SIGINT while waiting for a QMP answer: the same."""
    r = run_demo(a.demo, FAKE, "qmp-hang", signal.SIGINT)
    return expect(r, -signal.SIGINT, ["SIGINT"])


def case_sigterm(a):
    """SIGTERM mid-run: the same."""
    r = run_demo(a.demo, FAKE, "qtest-hang", signal.SIGTERM)
    return expect(r, -signal.SIGTERM, ["SIGTERM"])


def real_qemu_wrapper(a, extra):
    """A script that records its pid and execs the real QEMU."""
    path = os.path.join(tempfile.mkdtemp(prefix="test-demo-qemu-"), "qemu")
    with open(path, "w") as f:
        f.write('#!/bin/sh\necho $$ > "$FAKE_QEMU_PIDFILE"\n'
                'exec "%s" "$@" %s\n' % (a.qemu, extra))
    os.chmod(path, 0o755)
    return path


def case_real_qemu(a):
    """The real QEMU: the demo runs through, and leaves nothing."""
    q = real_qemu_wrapper(a, "")
    try:
        r = run_demo(a.demo, q, timeout=TIMEOUT_REAL)
    finally:
        shutil.rmtree(os.path.dirname(q))
    return expect(r, 0, stdout_has=["blacklisted: do not load",
                                    "xen_platform_unplug_request",
                                    "Ethernet controllers left"])


def case_real_qemu_error(a):
    """The real QEMU refusing an argument: QEMU's own error."""
    q = real_qemu_wrapper(a, "-device no-such-device")
    try:
        r = run_demo(a.demo, q, timeout=TIMEOUT_REAL)
    finally:
        shutil.rmtree(os.path.dirname(q))
    return expect(r, 1, ["'no-such-device' is not a valid device model "
                         "name"])


CASES = [case_exits_at_once, case_fails_after_greeting, case_never_greets,
         case_qtest_hangs, case_qmp_hangs, case_dies_mid_run, case_sigint,
         case_sigint_in_qmp, case_sigterm]
REAL_CASES = [case_real_qemu, case_real_qemu_error]


def main():
    ap = argparse.ArgumentParser(
        description="Tests of scripts/demo.py's failure paths")
    ap.add_argument("--demo", default=os.path.join(TOP, "scripts", "demo.py"))
    ap.add_argument("--qemu",
                    default=os.path.join(build_dir(), "qemu-system-x86_64"))
    a = ap.parse_args()
    a.demo = os.path.abspath(a.demo)
    a.qemu = os.path.abspath(a.qemu)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("test_demo: prctl(PR_SET_CHILD_SUBREAPER) failed")
    passed = failed = skipped = 0
    cases = CASES + REAL_CASES
    for n, case in enumerate(cases, 1):
        name = case.__name__[len("case_"):]
        if case in REAL_CASES and not os.access(a.qemu, os.X_OK):
            print("ok %d - %s # SKIP no %s" % (n, name, a.qemu))
            skipped += 1
            continue
        r = case(a)
        if r.problems:
            failed += 1
            print("not ok %d - %s (%.1f s): %s" %
                  (n, name, r.seconds, "; ".join(r.problems)))
            for line in (r.err.strip().splitlines() or ["(no stderr)"])[-8:]:
                print("#   stderr: " + line)
        else:
            passed += 1
            print("ok %d - %s (%.1f s)" % (n, name, r.seconds))
    print("%d passed, %d failed%s" % (passed, failed,
          ", %d skipped" % skipped if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

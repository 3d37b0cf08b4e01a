#!/usr/bin/env python3
"""Migration compatibility of the series against its unpatched QEMU base.

1. QEMU's vmstate-static-checker.py on the -dump-vmstate output of the
   base and the patched QEMU, for each x86 machine type listed.
2. Real migrations between the base (upstream's device, hypervisor check
   relaxed) and the patched QEMU, both ways, with and without a driver
   that identified itself, unplugged and left a partial log line, on
   every versioned pc and q35 machine type of the base's release and the
   one before, and a sample of older ones. Every one exists in the
   unpatched base, so the patched QEMU must migrate such a guest back to
   it: the driver's state is sent only when the toolstack opts in
   (migrate-driver-state=on), and then only a patched QEMU takes it.

usage: compat.py BASE_VERSION BASE_QEMU PATCHED_QEMU CHECKER OUTDIR
Exits non-zero when an expectation fails.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

from qemu_harness import Qemu, platform_device

# Per base: the machine types checked, and for the migrations the newest
# one and an older one with whether a handshaked driver's state is sent
MACHINES = {
    "10.2": ["pc-i440fx-10.2", "pc-q35-10.2", "pc-i440fx-10.1",
             "pc-q35-10.1", "pc-i440fx-9.2", "pc-q35-9.2", "pc-i440fx-8.0",
             "pc-q35-8.0"],
    "10.0": ["pc-i440fx-10.0", "pc-q35-10.0", "pc-i440fx-9.2", "pc-q35-9.2",
             "pc-i440fx-8.0", "pc-q35-8.0"],
}
MIGRATION_MACHINES = {
    "10.2": ["pc-%s-%s" % (t, v) for v in ("10.2", "10.1", "10.0", "9.2",
                                          "8.0", "6.2", "5.0")
             for t in ("i440fx", "q35")],
    "10.0": ["pc-%s-%s" % (t, v) for v in ("10.0", "9.2", "9.1", "8.0",
                                          "6.2", "5.0")
             for t in ("i440fx", "q35")],
}
OPT_IN = ["-global", "xen-platform.migrate-driver-state=on"]


def migrate(src_bin, dst_bin, handshake, machine, opt_in=False):
    tmp = tempfile.mkdtemp(prefix="xen-platform-compat-")
    dev = ["-machine", machine, "-device"]
    src = Qemu(src_bin, tmp, dev + [platform_device(src_bin)] +
               (OPT_IN if opt_in else []), name="src")
    if handshake:
        src.io("outw 0x12 0x3")         # product: linux
        src.io("outl 0x10 0x7")         # build 7
        src.io("outw 0x10 0x3")         # unplug disks and NICs
        src.io("outb 0x12 0x70")        # a partial log line
    dst = Qemu(dst_bin, tmp, dev + [platform_device(dst_bin),
                                    "-incoming", "defer"], name="dst")
    uri = "unix:" + os.path.join(tmp, "mig")
    dst.command("migrate-incoming", uri=uri, **{"exit-on-error": False})
    src.command("migrate", uri=uri)
    status = None
    for _ in range(500):
        status = dst.command("query-migrate")["return"].get("status")
        if status in ("completed", "failed"):
            break
        time.sleep(0.02)
    src.quit()
    err = dst.quit()
    shutil.rmtree(tmp, ignore_errors=True)
    reason = [l for l in err.splitlines() if "platform" in l or "section" in l]
    return status, reason


def config_space(binary, device):
    """The 256 bytes of config space a guest reads at slot 3, after reset."""
    tmp = tempfile.mkdtemp(prefix="xen-platform-compat-")
    dev = platform_device(binary, device + ",addr=3")
    vm = Qemu(binary, tmp, ["-device", dev], name="cfg")
    data = bytearray()
    for reg in range(0, 256, 4):
        vm.io("outl 0xcf8 0x%x" % (0x80000000 | 3 << 11 | reg))
        data += vm.io("inl 0xcfc").to_bytes(4, "little")
    vm.quit()
    shutil.rmtree(tmp, ignore_errors=True)
    return bytes(data)


def main():
    version, base, patched, checker, out = sys.argv[1:6]
    os.makedirs(out, exist_ok=True)
    failures = 0
    report = []

    report.append("## vmstate-static-checker.py, base -> patched\n")
    report.append("| machine | result |")
    report.append("|---|---|")
    for m in MACHINES[version]:
        files = {}
        for name, binary in (("base", base), ("patched", patched)):
            files[name] = os.path.join(out, "%s-%s.json" % (name, m))
            subprocess.run([binary, "-M", m, "-accel", "qtest", "-nodefaults",
                            "-display", "none", "-dump-vmstate",
                            files[name]], check=True,
                           stderr=subprocess.DEVNULL)
        def check(src, dst):
            r = subprocess.run([sys.executable, checker, "-s", src,
                                "-d", dst], capture_output=True, text=True)
            return r.returncode, (r.stdout + r.stderr).strip().splitlines()
        # What the checker says of the base against itself is not the
        # series' doing (QEMU 10.2's sd-card has two subsections of one
        # name, which the checker cannot pair)
        _, known = check(files["base"], files["base"])
        rc, lines = check(files["base"], files["patched"])
        new = [l for l in lines if l not in known]
        ok = not new
        failures += not ok
        result = "no incompatibility" if ok else "; ".join(new)[:300]
        if known:
            result += " (%d findings also of the base against itself)" % \
                len(known)
        report.append("| %s | %s |" % (m, result))
        print("compat: checker %s: %s (exit %d, %d findings, %d of them "
              "also base against base)" % (m, "ok" if ok else "INCOMPATIBLE",
                                          rc, len(lines),
                                          len(lines) - len(new)))

    report.append("\n## Guest-visible config space of xen-platform\n")
    base_cfg = config_space(base, "xen-platform")
    ours_cfg = config_space(patched, "xen-platform")
    diff = [i for i in range(256) if base_cfg[i] != ours_cfg[i]]
    failures += bool(diff)
    report.append("All 256 bytes read through ports 0xcf8/0xcfc after reset: "
                  + ("identical to the base." if not diff else
                     "DIFFERENT at offsets %s." % diff))
    report.append("\n```\n" + " ".join("%02x" % b for b in ours_cfg[:64]) +
                  "\n```")
    print("compat: xen-platform config space: %s" %
          ("identical to the base" if not diff else "differs at %s" % diff))

    report.append("\n## Migrations under the qtest accelerator\n")
    report.append("| machine | from | to | guest | expected | result |")
    report.append("|---|---|---|---|---|---|")
    cases = []
    for m in MIGRATION_MACHINES[version]:
        cases += [(m, "base", base, "patched", patched, False, False,
                   "completed"),
                  (m, "patched", patched, "base", base, False, False,
                   "completed"),
                  (m, "base", base, "patched", patched, True, False,
                   "completed"),
                  (m, "patched", patched, "base", base, True, False,
                   "completed")]
    # the toolstack's opt-in: between patched QEMUs only
    for m in MIGRATION_MACHINES[version][:2]:
        cases += [(m, "patched", patched, "patched", patched, True, True,
                   "completed"),
                  (m, "patched", patched, "base", base, True, True,
                   "failed")]
    for m, sname, sbin, dname, dbin, hs, opt, want in cases:
        status, reason = migrate(sbin, dbin, hs, m, opt)
        ok = status == want
        failures += not ok
        guest = "driver used the protocol" if hs else "no PV driver"
        if opt:
            guest += ", migrate-driver-state=on"
        detail = status + (" (" + reason[0].strip() + ")" if reason and
                           status == "failed" else "")
        report.append("| %s | %s | %s | %s | %s | %s |" %
                      (m, sname, dname, guest, want, detail))
        print("compat: %s: migrate %s -> %s, %s: %s%s" %
              (m, sname, dname, guest, detail, "" if ok else " UNEXPECTED"))

    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(report) + "\n")
    print("compat: report in %s" % os.path.join(out, "report.md"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

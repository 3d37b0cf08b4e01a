#!/usr/bin/python3
"""Count the results of a meson test run from the log it writes.

usage: testlog.py TESTLOG_JSON NAME...

TESTLOG_JSON is the JSON log `meson test` writes (build/meson-logs/
testlog.json: one object per test, with the test's result and its
output), or - when it wrote none. NAME... are the tests that were asked for, as meson names them
(qtest-x86_64/xen-platform-test). For each, this prints its subtests'
counts, from the TAP output the test wrote ("ok", "not ok", "# SKIP";
"not ok ... # TODO" counts as skipped), the failing and skipped
subtests (a failing one after the last comment lines the test wrote
before it), and, for a test that failed without a failing subtest (a
crash, a timeout, an exit status, too few subtests), the one failure
that is, with its "Bail out!" lines and the end of its stderr. A test
that meson skipped as a whole counts as one skipped; one missing from
the log as one failed. Ends with "N passed, N failed, N skipped";
exits 1 if anything failed.
"""

import json
import re
import sys

GOOD = ("OK", "SKIP", "EXPECTEDFAIL")
TAP = re.compile(r"^(not ok|ok)\b(.*)$")
DIRECTIVE = re.compile(r"#\s*(SKIP|TODO)\b", re.IGNORECASE)


def short(name):
    # "qemu:qtest+qtest-x86_64 / qtest-x86_64/qom-test" -> "qom-test"
    return name.split(" / ")[-1].split("/")[-1]


NOISE = re.compile(r"^# (Start of|End of|starting QEMU|random seed)")


def count(entry):
    passed = failed = skipped = 0
    shown = []
    notes = []      # the comment lines since the last subtest
    for line in (entry.get("stdout") or "").splitlines():
        m = TAP.match(line)
        if not m:
            if line.startswith("Bail out!"):
                shown.append(line)
            elif line.startswith("#") and not NOISE.match(line):
                notes.append(line)
            continue
        before, notes = notes[-3:], []
        d = DIRECTIVE.search(m.group(2))
        kind = d.group(1).upper() if d else None
        if m.group(1) == "ok" and kind != "SKIP":
            passed += 1
        elif m.group(1) == "ok" or kind == "TODO":
            skipped += 1
            shown.append(line)
        else:
            failed += 1
            shown.extend("  " + n for n in before)
            shown.append(line)
    return passed, failed, skipped, shown


def why(entry):
    result, rc = entry.get("result"), entry.get("returncode")
    if result == "TIMEOUT":
        return "timed out after %.1f s" % (entry.get("duration") or 0)
    if isinstance(rc, int) and rc < 0:
        return "%s, killed by signal %d" % (result, -rc)
    if rc:
        return "%s, exit status %d" % (result, rc)
    return "%s (see the log)" % result


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    path, names = argv[0], argv[1:]
    entries = {}
    if path == "-":
        print("   meson test wrote no log (see its output above)")
    else:
        with open(path) as f:
            for line in f:
                if line.strip():
                    e = json.loads(line)
                    entries[e["name"].split(" / ")[-1]] = e
    total = [0, 0, 0]
    for name in names:
        print("== %s" % short(name))
        e = entries.get(name)
        if e is None:
            print("   did not run (not in %s)" % ("the log" if path == "-" else path))
            total[1] += 1
            continue
        p, f, s, shown = count(e)
        for line in shown:
            print("   " + line)
        result = e.get("result")
        if result == "SKIP" and p + f + s == 0:
            s = 1
        elif result not in GOOD and f == 0:
            print("   %s failed: %s" % (short(name), why(e)))
            tail = (e.get("stderr") or "").rstrip("\n").splitlines()[-10:]
            for line in tail:
                print("   | " + line)
            f = 1
        print("   %d passed, %d failed, %d skipped (%.1f s)"
              % (p, f, s, e.get("duration") or 0))
        total[0] += p
        total[1] += f
        total[2] += s
    print("%d passed, %d failed, %d skipped" % tuple(total))
    return 1 if total[1] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

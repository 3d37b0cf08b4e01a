#!/usr/bin/python3
"""Tests of the comparison make qemu-suites makes (scripts/qemu_suites.py
unclean and compare), on testlogs written here in meson's format: each
case is one test's result with the series and on the base, and the
verdict the comparison must give.

usage: test_qemu_suites.py
Ends with "N passed, N failed"; exits 1 if any case failed.
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
QEMU_SUITES_PY = os.path.join(HERE, "..", "..", "scripts", "qemu_suites.py")


def entry(name, result, *subtests):
    """A testlog entry; subtests as 'ok /a', 'not ok /b', 'ok /c # SKIP why'."""
    lines = ["1..%d" % len(subtests)]
    lines += [s.replace(" /", " %d /" % (i + 1), 1) for i, s in enumerate(subtests)]
    return {"name": "qemu:qtest+qtest-x86_64 / " + name, "result": result,
            "stdout": "\n".join(lines) + "\n", "duration": 1.0}


# (what, series entry or None, base entry or None, expected verdict or None
# for a test that is clean with the series and so not compared)
T = "qtest-x86_64/t"
CASES = [
    ("clean: not run on the base", entry(T, "OK", "ok /a", "ok /b"), None, None),
    ("fails with the series, passes on the base",
     entry(T, "FAIL", "ok /a", "not ok /b"), entry(T, "OK", "ok /a", "ok /b"), "regression"),
    ("fails on both, the same subtest",
     entry(T, "FAIL", "ok /a", "not ok /b"), entry(T, "FAIL", "ok /a", "not ok /b"), "base"),
    ("fails on both, a subtest more with the series",
     entry(T, "FAIL", "not ok /a", "not ok /b"), entry(T, "FAIL", "ok /a", "not ok /b"),
     "regression"),
    ("times out on both, not as far with the series",
     entry(T, "TIMEOUT", "ok /a"), entry(T, "TIMEOUT", "ok /a", "ok /b"), "regression"),
    ("times out on both, as far",
     entry(T, "TIMEOUT", "ok /a"), entry(T, "TIMEOUT", "ok /a"), "base"),
    ("aborts on both (no TAP line for it)",
     entry(T, "ERROR", "ok /a"), entry(T, "ERROR", "ok /a"), "base"),
    ("passes, a subtest skipped that the base passes",
     entry(T, "OK", "ok /a", "ok /b # SKIP no socat"), entry(T, "OK", "ok /a", "ok /b"),
     "regression"),
    ("passes, a subtest skipped on both",
     entry(T, "OK", "ok /a", "ok /b # SKIP no socat"),
     entry(T, "OK", "ok /a", "ok /b # SKIP no socat"), "same"),
    ("skipped on both", entry(T, "SKIP"), entry(T, "SKIP"), "same"),
    ("skipped with the series, passes on the base",
     entry(T, "SKIP"), entry(T, "OK", "ok /a"), "regression"),
    ("fails with the series, skipped on the base",
     entry(T, "FAIL", "not ok /a"), entry(T, "SKIP"), "regression"),
    ("a subtest gone with the series",
     entry(T, "FAIL", "not ok /b"), entry(T, "FAIL", "ok /a", "not ok /b"), "regression"),
    ("the series' own test fails", entry(T, "FAIL", "not ok /a"), None, "series"),
    ("the series' own test skips a subtest",
     entry(T, "OK", "ok /a # SKIP no libxenstore"), None, "own"),
]


def write(path, entries):
    with open(path, "w") as f:
        for e in entries:
            if e is not None:
                f.write(json.dumps(e) + "\n")


def run(*args):
    return subprocess.run([sys.executable, QEMU_SUITES_PY] + list(args), check=True,
                          stdout=subprocess.PIPE, universal_newlines=True).stdout


FAKE_MESON = """#!%s
import json, sys
# meson introspect --tests BUILD: two tests of qtest-x86_64, one of them
# migration-test, and one of another suite
t = lambda name, suite: {"name": name, "suite": ["qemu:" + suite], "depends": []}
print(json.dumps([t("qtest-x86_64/qom-test", "qtest-x86_64"),
                  t("qtest-x86_64/migration-test", "qtest-x86_64"),
                  t("unit/test-util", "unit")]))
"""


def excluded_case(tmp):
    """qemu_suites.py tests leaves migration-test out of the suites (it
    times out on the series and the base alike, comparing nothing)."""
    build = os.path.join(tmp, "build")
    os.makedirs(os.path.join(build, "pyvenv", "bin"))
    meson = os.path.join(build, "pyvenv", "bin", "meson")
    with open(meson, "w") as f:
        f.write(FAKE_MESON % sys.executable)
    os.chmod(meson, 0o755)
    got = run("tests", build, "qtest-x86_64", "unit").split()
    ok = got == ["qtest-x86_64/qom-test", "unit/test-util"]
    print("%s - migration-test left out of the suites: %s" % ("ok" if ok else "not ok", got))
    return ok


def main():
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        ok = excluded_case(tmp)
        passed, failed = passed + ok, failed + (not ok)
        series, base = os.path.join(tmp, "series.json"), os.path.join(tmp, "base.json")
        for what, mine, theirs, want in CASES:
            write(series, [mine])
            write(base, [theirs])
            unclean = run("unclean", series).split()
            got = run("compare", series, base).split()
            verdict = got[0] if got else None
            ok = verdict == want and bool(unclean) == (want is not None)
            print("%s - %s: %s" % ("ok" if ok else "not ok", what, verdict))
            passed, failed = passed + ok, failed + (not ok)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

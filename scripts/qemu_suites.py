#!/usr/bin/env python3
"""Meson's own data about QEMU's test suites, for scripts/qemu-suites.sh.

    qemu_suites.py tests BUILD_DIR SUITE...     the tests registered in the suites
                                                (but EXCLUDED)
    qemu_suites.py excluded                     the tests left out
    qemu_suites.py targets BUILD_DIR SUITE...   the ninja targets they depend on
    qemu_suites.py targets BUILD_DIR -- TEST... the same for the named tests
    qemu_suites.py summary TESTLOG              meson's counts, and the subtests'
    qemu_suites.py ran TESTLOG                  the tests that ran
    qemu_suites.py unclean TESTLOG              the tests to run on the base too
    qemu_suites.py compare TESTLOG BASE_TESTLOG the verdict for each of them

The data is what meson itself reports: `meson introspect --tests` and
`--targets` of the build directory, and the testlog (meson-logs/*.json)
that `meson test` writes, with each test's TAP output.

A test is clean when meson counts it OK and none of its subtests was
skipped; every other test (failed, timed out, skipped, or OK with a
skipped subtest) is run on the base too, and compared subtest by subtest:
every subtest that passes on the base must pass with the series, and a
test that meson counts as passed on the base must pass with the series.
"""
import json
import os
import re
import subprocess
import sys

# Tests left out of the suites: migration-test runs into meson's timeout
# (480 s) with the series and on the unpatched base alike on these
# 2-core machines, so its comparison compares nothing and costs CI twice
# 8 minutes. QEMU's migration of the device is covered by the series'
# own qtests (make check).
EXCLUDED = {"qtest-x86_64/migration-test"}
PASS = ("OK", "EXPECTEDFAIL")
SKIP = ("SKIP",)
RANK = {"pass": 0, "todo": 1, "skip": 2, "fail": 3}
TAP = re.compile(r"^(ok|not ok)\b\s*\d*\s*-?\s*(.*?)(\s+#\s*(SKIP|TODO)\b.*)?$",
                 re.IGNORECASE)


def introspect(build, what):
    meson = os.path.join(build, "pyvenv", "bin", "meson")
    out = subprocess.run([meson, "introspect", what, build], check=True,
                         stdout=subprocess.PIPE).stdout
    return json.loads(out)


def selected(build, args):
    """The tests of the suites in args, or the tests named after '--'."""
    tests = introspect(build, "--tests")
    if args and args[0] == "--":
        names = set(args[1:])
        return [t for t in tests if t["name"] in names]
    suites = {"qemu:" + s for s in args}
    return [t for t in tests
            if suites & set(t["suite"]) and t["name"] not in EXCLUDED]


def read_testlog(path):
    """meson's testlog, one JSON object per test run: {name: entry}. The
    names are meson's short ones (qtest-x86_64/qom-test), as --list and
    the command line have them."""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                short = r["name"].split(" / ", 1)[-1]
                out[short] = r
    return out


def subtests(entry):
    """{subtest name: 'pass' | 'fail' | 'skip' | 'todo'} from the TAP output."""
    out = {}
    for line in (entry.get("stdout") or "").splitlines():
        m = TAP.match(line)
        if not m:
            continue
        name = m.group(2).strip() or line
        if m.group(4) and m.group(4).upper() == "SKIP":
            res = "skip"
        elif m.group(4):
            res = "todo"
        else:
            res = "pass" if m.group(1) == "ok" else "fail"
        # a name twice (a binary that runs one path twice): the worse counts
        if RANK[res] > RANK.get(out.get(name), -1):
            out[name] = res
    return out


def clean(entry):
    return entry["result"] in PASS and "skip" not in subtests(entry).values()


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "excluded":
        print(" ".join(sorted(EXCLUDED)))
    elif cmd == "tests":
        for t in selected(args[0], args[1:]):
            print(t["name"])
    elif cmd == "targets":
        build = os.path.realpath(args[0])
        files = {t["id"]: t["filename"] for t in introspect(build, "--targets")}
        out = set()
        for t in selected(build, args[1:]):
            for dep in t["depends"]:
                for f in files.get(dep, []):
                    out.add(os.path.relpath(f, build))
        print("\n".join(sorted(out)))
    elif cmd == "summary":
        log = read_testlog(args[0])
        n = {"pass": 0, "fail": 0, "skip": 0}
        sub = {"pass": 0, "fail": 0, "skip": 0, "todo": 0}
        for r in log.values():
            res = r["result"]
            n["pass" if res in PASS else "skip" if res in SKIP else "fail"] += 1
            for s in subtests(r).values():
                sub[s] += 1
        print(n["pass"], n["fail"], n["skip"],
              sub["pass"], sub["fail"], sub["skip"] + sub["todo"])
    elif cmd == "ran":
        for name in sorted(read_testlog(args[0])):
            print(name)
    elif cmd == "unclean":
        for name, r in sorted(read_testlog(args[0]).items()):
            if not clean(r):
                skipped = sum(1 for s in subtests(r).values() if s == "skip")
                print(name, r["result"], skipped)
    elif cmd == "compare":
        series, base = read_testlog(args[0]), read_testlog(args[1])
        for name, r in sorted(series.items()):
            if clean(r):
                continue
            b = base.get(name)
            if b is None:
                # not registered on the base: the series' own test
                verdict = "series" if r["result"] not in PASS + SKIP else "own"
                print(verdict, name, r["result"], "-", "")
                continue
            mine, theirs = subtests(r), subtests(b)
            lost = [s for s, res in theirs.items()
                    if res == "pass" and mine.get(s) != "pass"]
            if b["result"] in PASS and r["result"] not in PASS:
                verdict = "regression"
            elif b["result"] in SKIP and r["result"] not in PASS + SKIP:
                verdict = "regression"
            elif lost:
                verdict = "regression"
            elif r["result"] in PASS + SKIP:
                verdict = "same"
            else:
                verdict = "base"
            detail = "; ".join(f"{s}: {mine.get(s, 'not run')} here, "
                               f"passes on the base" for s in lost)
            print(verdict, name, r["result"], b["result"], detail)
    else:
        sys.exit(f"qemu_suites.py: unknown command {cmd}")


if __name__ == "__main__":
    main()

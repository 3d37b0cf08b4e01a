#!/usr/bin/env python3
"""mail-headers.py PATCH ADDRESS-FILE...: give PATCH (a git format-patch
file) To: and Cc: headers from the addresses in the files (lines with an
@, as get_maintainer.pl prints them): mailing lists go to To:, people to
Cc:, each address once, in the order first seen."""
import sys


def main():
    patch, files = sys.argv[1], sys.argv[2:]
    addrs = []
    for f in files:
        for line in open(f):
            a = line.strip()
            if "@" in a and a not in addrs:
                addrs.append(a)
    lists = [a for a in addrs if a.endswith("nongnu.org") or "lists." in a]
    people = [a for a in addrs if a not in lists]
    h = ""
    if lists:
        h += "To: " + ",\n    ".join(lists) + "\n"
    if people:
        h += "Cc: " + ",\n    ".join(people) + "\n"
    s = open(patch).read()
    i = s.index("\nSubject: ")
    open(patch, "w").write(s[:i + 1] + h + s[i + 1:])


main()

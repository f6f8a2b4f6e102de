#!/usr/bin/env python3
"""Checks that the parameter table, the code and the docs agree (issue 7,
item 8: seven documented parameters were read by no code). Fails when:

- a parameter in the table (src/config/params.cpp) is read by no code: its
  name must appear as a string literal in src/ outside params.cpp, tests and
  fuzz targets, or be built there from a literal with a "{}" or "%s" hole
  (e.g. "smtpd_{}_restrictions"), or be named as $name / ${name} in the
  default of a parameter that is itself read (parameters read only through
  `$name` expansion);
- docs/configuration.md and the table disagree on the set of names;
- a name in PENDING is read after all (then it must leave the list).

Exits 1 with one line per problem."""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLE = os.path.join(ROOT, "src", "config", "params.cpp")
DOCS = os.path.join(ROOT, "docs", "configuration.md")

# PENDING: parameters being made live on a branch not yet merged, exempt from
# the "read by no code" check until they land. Empty on main.
PENDING: set = set()


def table():
    """name -> default, in table order."""
    text = open(TABLE).read()
    return dict(re.findall(r'^\s*\{"([a-z0-9_]+)",\s*T::\w+,\s*"((?:[^"\\]|\\.)*)"', text, re.M))


def documented():
    text = open(DOCS).read()
    return set(re.findall(r"^\|\s*`([a-z0-9_]+)`\s*\|", text, re.M))


def code_literals():
    """Every string literal in the code that reads parameters."""
    lits = set()
    for d, _, files in os.walk(os.path.join(ROOT, "src")):
        for f in files:
            path = os.path.join(d, f)
            if not f.endswith((".cpp", ".h")) or f.endswith(("_test.cpp", "_fuzz.cpp")) or path == TABLE:
                continue
            text = open(path, errors="replace").read()
            text = re.sub(r"//[^\n]*", "", text)  # a name in a comment is not a read
            lits.update(re.findall(r'"((?:[^"\\\n]|\\.)*)"', text))
    return lits


def read_names(params, lits):
    patterns = []
    for lit in lits:
        # Only a literal that is a parameter name with holes, with at least
        # four fixed characters ("smtpd_{}_restrictions", not "{}" or "{}: {}").
        if re.fullmatch(r"(?:[a-z0-9_]|\{\}|%s)+", lit) and ("{}" in lit or "%s" in lit):
            parts = re.split(r"\{\}|%s", lit)
            if sum(map(len, parts)) >= 4:
                patterns.append(re.compile("^" + "[a-z0-9_]+".join(map(re.escape, parts)) + "$"))
    read = {n for n in params if n in lits or any(p.match(n) for p in patterns)}
    # Parameters named in the defaults of read parameters are read through
    # $name expansion, transitively.
    grew = True
    while grew:
        grew = False
        for n in list(read):
            for ref in re.findall(r"\$\{?([a-z0-9_]+)\}?", params[n]):
                if ref in params and ref not in read:
                    read.add(ref)
                    grew = True
    return read


def main():
    params = table()
    if len(params) < 10:
        print(f"check-params: could not read the table in {TABLE}")
        return 1
    problems = []
    docs = documented()
    for n in sorted(set(params) - docs):
        problems.append(f"{n}: in the table but not in docs/configuration.md")
    for n in sorted(docs - set(params)):
        problems.append(f"{n}: in docs/configuration.md but not in the table")
    read = read_names(params, code_literals())
    for n in params:
        if n in read and n in PENDING:
            problems.append(f"{n}: read by code now; remove it from PENDING in scripts/check-params.py")
        elif n not in read and n not in PENDING:
            problems.append(f"{n}: in the table but read by no code (implement it or remove it)")
    for n in sorted(PENDING - set(params)):
        problems.append(f"{n}: in PENDING but not in the table")
    for p in problems:
        print("check-params: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Checks the dependency rule (docs/ARCHITECTURE.md): a file in module M may
include headers only from M and from modules M links (transitively) in
CMakeLists.txt. The linker catches a wrong arrow only when a symbol is
missing; this also catches header-only reach-ins. Exits 1 on a violation."""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def modules():
    text = open(os.path.join(ROOT, "CMakeLists.txt")).read()
    mods = {}  # name -> (dir, [deps])
    for name, d, deps in re.findall(r"^tern_module\((\w+) ([\w/]+)((?: [\w:${}]+)*)\)", text, re.M):
        mods[name] = (d, [x[len("tern_"):] for x in deps.split() if x.startswith("tern_")])
    return mods


def closure(mods, name, seen=None):
    seen = set() if seen is None else seen
    for dep in mods[name][1]:
        if dep not in seen:
            seen.add(dep)
            closure(mods, dep, seen)
    return seen


def main():
    mods = modules()
    by_dir = {d: n for n, (d, _) in mods.items()}
    bad = 0
    for name, (d, _) in mods.items():
        allowed = {mods[m][0] for m in closure(mods, name)} | {d}
        folder = os.path.join(ROOT, "src", d)
        for f in sorted(os.listdir(folder)):
            if not f.endswith((".cpp", ".h")) or f.endswith(("_test.cpp", "_fuzz.cpp")):
                continue
            for inc in re.findall(r'^#include "([^"]+)/[^/"]+"', open(os.path.join(folder, f)).read(), re.M):
                if inc in by_dir and inc not in allowed:
                    print(f"src/{d}/{f}: includes {inc}/, which module {name} does not link")
                    bad += 1
    print(f"layer check: {bad} violation(s) in {len(mods)} modules")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

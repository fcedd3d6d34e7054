#!/usr/bin/env python3
"""Prints coverage per folder from gcovr's JSON report (gcovr --json).

Usage: coverage.py COVERAGE_JSON

Lines and functions covered per top folder (pool/, k8sclient/, src/) and
per src/ module folder, then the total. A line is covered when any test
ran it; an uninstrumented file (never linked into a test) is not listed.
"""
import json
import sys


def folder_of(path):
    parts = path.split("/")
    if parts[0] == "src" and len(parts) > 2:
        return ["src/", "src/" + parts[1] + "/"]
    return [parts[0] + "/"]


def main():
    data = json.load(open(sys.argv[1]))
    stats = {}
    for f in data["files"]:
        lines = [l for l in f["lines"] if not l.get("gcovr/noncode")]
        lcov = sum(1 for l in lines if l["count"] > 0)
        funcs = f.get("functions", [])
        fcov = sum(1 for fn in funcs if fn.get("execution_count", 0) > 0)
        for key in folder_of(f["file"]) + ["total"]:
            s = stats.setdefault(key, [0, 0, 0, 0])
            s[0] += lcov
            s[1] += len(lines)
            s[2] += fcov
            s[3] += len(funcs)
    print("%-24s %18s %18s" % ("folder", "lines", "functions"))
    order = sorted(k for k in stats if k != "total") + ["total"]
    for key in order:
        lc, lt, fc, ft = stats[key]
        print("%-24s %6.1f%% %5d/%-5d %6.1f%% %4d/%-4d" % (
            key, 100.0 * lc / lt if lt else 0, lc, lt, 100.0 * fc / ft if ft else 0, fc, ft))
    return 0


if __name__ == "__main__":
    sys.exit(main())

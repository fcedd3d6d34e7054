#!/usr/bin/env python3
"""Reports every skipped test of a CTest run, and enforces the skip policy.

Usage: skips.py JUNIT_XML [README]

Reads the JUnit file that `ctest --output-junit` wrote and prints, after the
run, one line per CTest entry that was skipped, with the skip reasons found
in its output ("[SKIP] ...", "# SKIP ...", "SKIP name: ..."). An entry
that CTest counted as passed but whose runner reported skipped cases is
listed too.

With CI=true, a skipped entry fails the run unless README's "Skipped tests"
section names it (in backticks; shell-style wildcards allowed): a tool the
suite needs that is missing from CI is an error, not a quiet pass.
Exits 0 when the run may stand, 1 when it may not.
"""
import fnmatch
import os
import re
import sys
import xml.etree.ElementTree as ET

REASON = re.compile(r"\[SKIP\].*|# SKIP.*|^SKIP .*|skipped: .*", re.M)


# Runner summaries that say cases were skipped inside an entry that passed
# (a folder whose tests do not turn skips into exit 77).
HIDDEN = re.compile(r"^# skipped [1-9]|^OK \(.*skipped=[1-9]|^\[SKIP\] |, [1-9]\d* skipped$", re.M)


def skipped_entries(junit):
    """Yields (name, [reasons]) for each CTest entry that skipped: reported
    as skipped, or passed with skipped cases in its output."""
    for case in ET.parse(junit).getroot().iter("testcase"):
        out = case.findtext("system-out") or ""
        skipped = case.get("status") == "notrun" and case.find("skipped") is not None
        if not skipped and not (case.get("status") == "run" and HIDDEN.search(out)):
            continue
        reasons = [m.group(0).strip() for m in REASON.finditer(out)]
        if not reasons:
            reasons = [case.find("skipped").get("message") if skipped else "skipped cases in its output"]
        yield case.get("name"), reasons


def documented(readme):
    """The backticked names in README's "Skipped tests" section."""
    try:
        text = open(readme, encoding="utf-8").read()
    except OSError:
        return []
    m = re.search(r"^(#+) Skipped tests\b.*?$", text, re.M)
    if not m:
        return []
    level = len(m.group(1))
    body = text[m.end():]
    end = re.search(r"^#{1,%d} " % level, body, re.M)
    body = body[:end.start()] if end else body
    return re.findall(r"`([^`\s]+)`", body)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    junit = sys.argv[1]
    readme = sys.argv[2] if len(sys.argv) > 2 else None
    allowed = documented(readme) if readme else []
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    bad = 0
    entries = list(skipped_entries(junit))
    for name, reasons in entries:
        ok = any(fnmatch.fnmatchcase(name, pat) for pat in allowed)
        tag = "documented" if ok else ("NOT DOCUMENTED: fails in CI" if ci else "not documented")
        print("SKIPPED %s (%s)" % (name, tag))
        for r in reasons[:10]:
            print("    " + r)
        if ci and not ok:
            bad += 1
    print("skips: %d skipped CTest entr%s, %d not allowed" % (len(entries), "y" if len(entries) == 1 else "ies", bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""prewarm's style gate, run by CTest as style.check.

Checks every tracked C file:
  - clang-format clean against the root .clang-format;
  - no function longer than MAX_FUNCTION_LINES (signature to closing brace);
  - no banned call in the service and library code (pool/, src/, k8sclient/):
    unbounded string writes and unchecked conversions that the codebase
    replaces with snprintf, memcpy with a known length, and strtol with checks.

Prints one line per finding (file:line: what) and exits 1 if there is any.
"""
import os
import re
import subprocess
import sys

MAX_FUNCTION_LINES = 100
BANNED = ["sprintf", "vsprintf", "strcpy", "strcat", "gets", "strtok", "system", "popen", "atoi", "atol"]
BANNED_DIRS = ("pool/", "src/", "k8sclient/")
BANNED_RE = re.compile(r"(?<![\w.>])(" + "|".join(BANNED) + r")\s*\(")


def tracked_c_files(root):
    out = subprocess.run(["git", "-C", root, "ls-files", "*.c", "*.h"], capture_output=True, text=True)
    if out.returncode == 0 and out.stdout.strip():
        return out.stdout.split()
    found = []
    for top in ("pool", "src", "k8sclient", "tests", "bench", "fuzz"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            found += [os.path.relpath(os.path.join(dirpath, n), root) for n in names if n.endswith((".c", ".h"))]
    return found


def function_lengths(lines):
    """Yields (first_line, length, name) for each function body: clang-format
    puts a function's braces alone in column 0, so a body runs from a '{' line
    to the next '}' line in column 0."""
    start = None
    for i, line in enumerate(lines):
        if start is None and line.startswith("{"):
            j = i
            while j > 0 and lines[j - 1].strip() and lines[j - 1][0] not in "}#/ *\t" \
                    and not lines[j - 1].rstrip().endswith(";"):
                j -= 1
            sig = " ".join(lines[j:i])
            m = re.search(r"(\w+)\s*\(", sig)
            start, name = j, (m.group(1) if m else "?")
        elif start is not None and line.startswith("}"):
            yield start + 1, i - start + 1, name
            start = None


def strip_comments_and_strings(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r'"(\\.|[^"\\\n])*"', '""', text)


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    files = tracked_c_files(root)
    findings = []
    fmt = subprocess.run(["clang-format", "--dry-run", "--Werror"] + files, cwd=root,
                         capture_output=True, text=True)
    if fmt.returncode != 0:
        for line in fmt.stderr.splitlines():
            if ": error:" in line:
                findings.append(line.split(": error:")[0] + ": not clang-format clean")
    for path in files:
        with open(os.path.join(root, path), errors="replace") as f:
            text = f.read()
        lines = text.split("\n")
        for first, length, name in function_lengths(lines):
            if length > MAX_FUNCTION_LINES:
                findings.append(f"{path}:{first}: function {name} is {length} lines (max {MAX_FUNCTION_LINES})")
        if path.startswith(BANNED_DIRS):
            for n, line in enumerate(strip_comments_and_strings(text).split("\n"), 1):
                m = BANNED_RE.search(line)
                if m:
                    findings.append(f"{path}:{n}: banned call {m.group(1)}()")
    for finding in sorted(set(findings)):
        print(finding)
    print(f"style: {len(files)} files checked, {len(findings)} findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())

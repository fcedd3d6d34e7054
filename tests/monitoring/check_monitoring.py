#!/usr/bin/env python3
"""Checks prewarm's monitoring files with Prometheus' own tool.

  check_monitoring.py PROMTOOL MONITORING_DIR README


1. `promtool check rules` on the alerting and recording rules;
2. `promtool test rules` on their unit tests (synthetic series);
3. every PromQL expression of the Grafana dashboard, with its variables
   replaced by plain values, goes through `promtool check rules` as a
   recording rule, so a dashboard query that does not parse fails here;
4. the dashboard JSON has unique panel ids and a datasource variable;
5. every series the rules and the dashboard read is a family of README.md's
   metrics table (which api.metrics and e2e.kubernetes.metrics hold to live
   scrapes), so a renamed metric cannot leave an alert silently empty.

Prints "N passed, M failed" last; exits non-zero on any failure.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

PROMTOOL, DIR, README = sys.argv[1], sys.argv[2], sys.argv[3]
results = []
if not os.path.exists(PROMTOOL):
    print(f"promtool not found ({PROMTOOL}): install Debian's prometheus package")
    print("0 passed, 1 failed")
    sys.exit(1)


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name + (": " + detail if detail and not ok else ""))


def promtool(*args):
    p = subprocess.run([PROMTOOL, *args], capture_output=True, text=True, cwd=DIR)
    print(p.stdout.strip())
    return p.returncode == 0, p.stdout + p.stderr


ok, out = promtool("check", "rules", "prometheus-rules.yaml")
check("promtool check rules prometheus-rules.yaml", ok, out)
ok, out = promtool("test", "rules", "prometheus-rules.test.yaml")
check("promtool test rules prometheus-rules.test.yaml", ok, out)

with open(os.path.join(DIR, "grafana-dashboard.json")) as f:
    dash = json.load(f)
exprs = []
for panel in dash["panels"]:
    for target in panel.get("targets", []):
        exprs.append((panel["title"], target["expr"]))
check("dashboard has queries", len(exprs) >= 10, f"{len(exprs)} found")
ids = [p["id"] for p in dash["panels"]]
check("dashboard panel ids are unique", len(ids) == len(set(ids)))
names = [v["name"] for v in dash["templating"]["list"]]
check("dashboard has datasource, job and pool variables", {"datasource", "job", "pool"} <= set(names))

with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
    f.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, (title, expr) in enumerate(exprs):
        plain = expr.replace("$__rate_interval", "5m").replace("$pool", ".*").replace("$job", ".*")
        f.write(f"      - record: dashboard:query{i}\n        expr: {json.dumps(plain)}\n")
    path = f.name
ok, out = promtool("check", "rules", path)
os.unlink(path)
check(f"all {len(exprs)} dashboard queries parse (promtool)", ok, out)



def readme_families():
    with open(README) as f:
        section = f.read().split("## Metrics", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_:]+)(?:\{[^`]*\})?` \|", section, re.M))


def series_read(expr):
    """Metric names an expression reads: identifiers followed by a selector,
    a range, an operator or its end; recording rules (with ':') and
    functions, keywords and label names excluded; histogram suffixes cut."""
    expr = re.sub(r'"[^"]*"', '""', expr)  # label values and strings
    expr = re.sub(r"\{[^}]*\}", "{}", expr)  # label matchers
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set()
    for m in re.finditer(r"\b([a-zA-Z_][a-zA-Z0-9_:]*)\b(?!\s*\()", expr):
        name = m.group(1)
        if name.startswith(("prewarm_", "process_")):
            names.add(re.sub(r"_(bucket|sum|count)$", "", name) if "_seconds_" in name else name)
    return names


with open(os.path.join(DIR, "prometheus-rules.yaml")) as f:
    rule_exprs = re.findall(r"^\s*expr: (?:\|\n)?((?:.*\n)*?)(?=^\s*(?:for|labels|- alert|- record|$))",
                            f.read(), re.M)
used = set()
for expr in rule_exprs + [e for _, e in exprs]:
    used |= series_read(expr)
listed = readme_families()
unknown = sorted(used - listed)
check(f"the {len(used)} series the rules and dashboard read are README.md families", not unknown
      and len(used) >= 10, f"not in README.md's metrics table: {unknown}")

passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)

#!/usr/bin/env python3
"""Static checks of deploy/monitoring: the Prometheus alert rules and the Grafana dashboard.

Run by deploy/check.sh. Checks:
  * the rules file has groups of rules, each with a unique alert name, an expression, a `for` duration,
    severity warning|critical, and a summary and description;
  * the four signals of issue #16 are alerted on: a failed table, lag above a threshold, slot WAL above a
    threshold, a staging stream near its limit;
  * the dashboard JSON parses, has a uid and title, unique panel ids, a grid position and at least one
    query per panel, all through the ${DS_PROMETHEUS} datasource it declares as an input;
  * every tideline_* metric a rule or a panel queries is one a service exports: the metric-name constants in
    the services' *Metrics classes, in Prometheus spelling (dots as underscores; counters with _total, timers
    with _seconds_count/_sum/_max/_bucket);
  * every tideline_health_* gauge api-service exports is used by a rule or a panel;
  * `promtool check rules` accepts the file, when promtool is installed.
Prints one line per problem and exits 1 if there is any.
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys

import yaml

problems = []
SUFFIXES = ["", "_total", "_seconds_count", "_seconds_sum", "_seconds_max", "_seconds_bucket", "_count", "_sum", "_max", "_bucket"]
DURATION = re.compile(r"^[0-9]+(ms|s|m|h|d|w|y)$")
REQUIRED_SIGNALS = {
    "a failed table": "tideline_health_pipeline_failed_tables",
    "lag above a threshold": "tideline_health_pipeline_lag_seconds",
    "slot WAL above a threshold": "tideline_health_slot_retained_bytes",
    "a staging stream near its limit": "tideline_health_staging_used_ratio",
}


def problem(where, what):
    problems.append(f"{where}: {what}")


def exported_metrics(repo):
    """Metric names the services register: string constants "tideline.…" in their *Metrics*.java classes."""
    names = set()
    for path in glob.glob(os.path.join(repo, "*-service", "src", "main", "java", "**", "*Metrics*.java"), recursive=True):
        text = open(path, encoding="utf-8").read()
        for name in re.findall(r'String\s+[A-Z_]+\s*=\s*"(tideline(?:\.[a-z_]+)+)"', text):
            names.add(name.replace(".", "_"))
    return names


def used_metrics(expr):
    return set(re.findall(r"\b(tideline_[a-z0-9_]+)", expr))


def known(metric, exported):
    return any(metric == base + suffix for base in exported for suffix in SUFFIXES)


def check_rules(path, exported, used):
    where = os.path.relpath(path)
    doc = yaml.safe_load(open(path, encoding="utf-8"))
    if not isinstance(doc, dict) or not isinstance(doc.get("groups"), list) or not doc["groups"]:
        problem(where, "has no `groups` list")
        return
    names = set()
    for group in doc["groups"]:
        if not group.get("name") or not isinstance(group.get("rules"), list):
            problem(where, f"group {group.get('name')!r} needs a name and rules")
            continue
        for rule in group["rules"]:
            alert = rule.get("alert")
            at = f"{where} {alert or '(unnamed rule)'}"
            if not alert:
                problem(at, "has no alert name")
            elif alert in names:
                problem(at, "is defined twice")
            names.add(alert)
            expr = str(rule.get("expr", "")).strip()
            if not expr:
                problem(at, "has no expr")
            if not DURATION.match(str(rule.get("for", ""))):
                problem(at, f"`for` {rule.get('for')!r} is not a duration like 5m")
            if (rule.get("labels") or {}).get("severity") not in ("warning", "critical"):
                problem(at, "labels.severity must be warning or critical")
            annotations = rule.get("annotations") or {}
            for key in ("summary", "description"):
                if not annotations.get(key):
                    problem(at, f"has no annotations.{key}")
            for metric in used_metrics(expr):
                used.add(metric)
                if not known(metric, exported):
                    problem(at, f"queries {metric}, which no service exports")
    alerted = set()
    for group in doc["groups"]:
        for rule in group.get("rules") or []:
            alerted |= used_metrics(str(rule.get("expr", "")))
    for signal, metric in REQUIRED_SIGNALS.items():
        if metric not in alerted:
            problem(where, f"no alert on {signal} ({metric})")
    promtool = shutil.which("promtool")
    if promtool:
        result = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True)
        if result.returncode != 0:
            problem(where, "promtool check rules: " + (result.stdout + result.stderr).strip())
    return len(names)


def check_dashboard(path, exported, used):
    where = os.path.relpath(path)
    try:
        dashboard = json.load(open(path, encoding="utf-8"))
    except json.JSONDecodeError as e:
        problem(where, f"is not JSON: {e}")
        return 0
    for key in ("uid", "title", "panels"):
        if not dashboard.get(key):
            problem(where, f"has no {key}")
    inputs = {i.get("name") for i in dashboard.get("__inputs", [])}
    if "DS_PROMETHEUS" not in inputs:
        problem(where, "declares no DS_PROMETHEUS datasource input (needed to import it into any Grafana)")
    ids = set()
    for panel in dashboard.get("panels", []):
        at = f"{where} panel {panel.get('title')!r}"
        if panel.get("id") in ids:
            problem(at, f"repeats panel id {panel.get('id')}")
        ids.add(panel.get("id"))
        grid = panel.get("gridPos") or {}
        if not all(isinstance(grid.get(k), int) for k in ("x", "y", "w", "h")):
            problem(at, "has no complete gridPos")
        targets = panel.get("targets") or []
        if not targets:
            problem(at, "has no query")
        for target in targets:
            if (target.get("datasource") or panel.get("datasource") or {}).get("uid") != "${DS_PROMETHEUS}":
                problem(at, "queries a datasource other than ${DS_PROMETHEUS}")
            expr = target.get("expr", "")
            if not expr:
                problem(at, "has a target without expr")
            for metric in used_metrics(expr):
                used.add(metric)
                if not known(metric, exported):
                    problem(at, f"queries {metric}, which no service exports")
    return len(ids)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", required=True)
    args = parser.parse_args()
    monitoring = os.path.join(args.repo, "deploy", "monitoring")
    exported = exported_metrics(args.repo)
    if not any(m.startswith("tideline_health_") for m in exported):
        problem("api-service", "exports no tideline_health_* gauges (HealthMetrics not found)")
    used = set()
    rules = sum(check_rules(p, exported, used) or 0 for p in sorted(glob.glob(os.path.join(monitoring, "prometheus", "*.yaml"))))
    panels = sum(check_dashboard(p, exported, used) for p in sorted(glob.glob(os.path.join(monitoring, "grafana", "*.json"))))
    if rules == 0:
        problem("deploy/monitoring/prometheus", "has no alert rules")
    if panels == 0:
        problem("deploy/monitoring/grafana", "has no dashboard panels")
    for metric in sorted(m for m in exported if m.startswith("tideline_health_")):
        if metric not in used:
            problem("deploy/monitoring", f"{metric} is exported by api-service but neither alerted on nor charted")
    for line in problems:
        print(f"[check] {line}")
    if problems:
        return 1
    print(f"[check] monitoring: {rules} alert rules and {panels} dashboard panels query only metrics the services export"
          + ("" if shutil.which("promtool") else " (promtool not installed: rule syntax checked structurally only)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

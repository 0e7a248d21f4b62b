#!/usr/bin/env python3
"""Independent check of a rendered manifest stream (stdin): every container and init container
of every workload has CPU and memory requests and limits, each a Kubernetes quantity, and no
limit is below its request. Prints each offender; exit 1 if any.

Written apart from helmwasm's `container-resources` plugin (Python, PyYAML) so the two can
disagree."""
import re
import sys

import yaml

WORKLOADS = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}

SUFFIX = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
          "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def quantity(q):
    if isinstance(q, (int, float)) and not isinstance(q, bool):
        return float(q)
    m = re.fullmatch(r"([0-9.]+)([a-zA-Z]*)", str(q))
    if not m or m.group(2) not in SUFFIX:
        return None
    return float(m.group(1)) * SUFFIX[m.group(2)]


def dig(obj, path):
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def main():
    problems = []
    containers = 0
    for d in yaml.safe_load_all(sys.stdin):
        if not isinstance(d, dict) or d.get("kind") not in WORKLOADS:
            continue
        spec = dig(d, WORKLOADS[d["kind"]])
        if not isinstance(spec, dict):
            continue
        for field in ("initContainers", "containers"):
            for c in spec.get(field) or []:
                containers += 1
                where = f"{d['kind']}/{d['metadata']['name']} {field} {c.get('name')}"
                res = c.get("resources") or {}
                for key in ("cpu", "memory"):
                    got = {}
                    for section in ("requests", "limits"):
                        v = (res.get(section) or {}).get(key)
                        if v is None:
                            problems.append(f"{where}: no {section}.{key}")
                        elif quantity(v) is None:
                            problems.append(f"{where}: {section}.{key} {v!r} is not a quantity")
                        else:
                            got[section] = quantity(v)
                    if len(got) == 2 and got["limits"] < got["requests"]:
                        problems.append(f"{where}: limits.{key} is below requests.{key}")
    for p in problems:
        print(p)
    print(f"{containers} containers checked", file=sys.stderr)
    sys.exit(1 if problems or containers == 0 else 0)


if __name__ == "__main__":
    main()

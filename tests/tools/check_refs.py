#!/usr/bin/env python3
"""Independent check of a rendered manifest stream (stdin): every Secret and ConfigMap that a
pod template reads (env valueFrom, envFrom, volumes, projected volumes, imagePullSecrets) must be
in the stream, with the key it reads, unless the reference is optional or the object is named
with --existing-secret / --existing-configmap. Prints each dangling reference; exit 1 if any.

Written apart from helmwasm's own check (Python, PyYAML) so the two can disagree."""
import argparse
import sys

import yaml

WORKLOADS = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}


def dig(obj, path):
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--existing-secret", action="append", default=[])
    ap.add_argument("--existing-configmap", action="append", default=[])
    args = ap.parse_args()
    docs = [d for d in yaml.safe_load_all(sys.stdin) if isinstance(d, dict)]
    have = {"Secret": {}, "ConfigMap": {}}
    for d in docs:
        kind = d.get("kind")
        if kind in have:
            keys = set()
            for field in ("data", "stringData", "binaryData"):
                keys |= set((d.get(field) or {}).keys())
            have[kind][d["metadata"]["name"]] = keys
    for name in args.existing_secret:
        have["Secret"][name] = None
    for name in args.existing_configmap:
        have["ConfigMap"][name] = None

    problems = []

    def need(kind, name, key, optional, where):
        if optional:
            return
        if name not in have[kind]:
            problems.append(f"{where}: {kind} {name} is missing")
        elif key is not None and have[kind][name] is not None and key not in have[kind][name]:
            problems.append(f"{where}: {kind} {name} has no key {key}")

    for d in docs:
        path = WORKLOADS.get(d.get("kind"))
        spec = dig(d, path) if path else None
        if not isinstance(spec, dict):
            continue
        where = f"{d['kind']}/{d['metadata']['name']}"
        for field in ("initContainers", "containers", "ephemeralContainers"):
            for c in spec.get(field) or []:
                for e in c.get("env") or []:
                    vf = e.get("valueFrom") or {}
                    for sel, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                        if sel in vf:
                            r = vf[sel]
                            need(kind, r["name"], r.get("key"), r.get("optional", False), where)
                for e in c.get("envFrom") or []:
                    for sel, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
                        if sel in e:
                            need(kind, e[sel]["name"], None, e[sel].get("optional", False), where)
        for v in spec.get("volumes") or []:
            sources = []
            if "secret" in v:
                sources.append(("Secret", v["secret"].get("secretName"), v["secret"]))
            if "configMap" in v:
                sources.append(("ConfigMap", v["configMap"].get("name"), v["configMap"]))
            for s in (v.get("projected") or {}).get("sources") or []:
                if "secret" in s:
                    sources.append(("Secret", s["secret"].get("name"), s["secret"]))
                if "configMap" in s:
                    sources.append(("ConfigMap", s["configMap"].get("name"), s["configMap"]))
            for kind, name, src in sources:
                keys = [i["key"] for i in src.get("items") or []] or [None]
                for key in keys:
                    need(kind, name, key, src.get("optional", False), where)
        for s in spec.get("imagePullSecrets") or []:
            need("Secret", s["name"], None, False, where)

    for p in problems:
        print(p)
    print(f"{len(docs)} objects, {len(problems)} dangling references", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Independent check that every object of a rendered manifest stream (stdin) is valid for
Kubernetes: built-in kinds with `kubernetes-validate` in strict mode (unknown fields refused)
for one Kubernetes version (`--kubernetes-version`, default 1.35.0); custom resources against
the `openAPIV3Schema` of their published CRD (`--crd FILE`, repeatable), made strict the same
way (an object schema with `properties` and no `x-kubernetes-preserve-unknown-fields` refuses
other fields). A kind that is neither built in nor given a CRD is an error, never a pass.
Prints one line per invalid object; exit 1 if any, 0 otherwise (and the count on stdout).

Written apart from helmwasm (Python, PyYAML, jsonschema, kubernetes-validate)."""
import argparse
import copy
import sys

import jsonschema
import kubernetes_validate
import yaml


def strict(schema):
    """Refuse unknown fields wherever the schema lists properties, as the API server prunes."""
    if isinstance(schema, dict):
        schema = {k: strict(v) for k, v in schema.items()}
        if (
            schema.get("type") == "object"
            and "properties" in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
            and "additionalProperties" not in schema
        ):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    return schema


def crd_schemas(paths):
    out = {}
    for path in paths:
        with open(path) as f:
            for crd in yaml.safe_load_all(f):
                if not isinstance(crd, dict) or crd.get("kind") != "CustomResourceDefinition":
                    continue
                group = crd["spec"]["group"]
                kind = crd["spec"]["names"]["kind"]
                for v in crd["spec"]["versions"]:
                    schema = copy.deepcopy(v["schema"]["openAPIV3Schema"])
                    # apiVersion, kind and metadata are the API server's.
                    props = schema.setdefault("properties", {})
                    props["metadata"] = {"type": "object"}
                    out[(f"{group}/{v['name']}", kind)] = strict(schema)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kubernetes-version", default="1.35.0")
    ap.add_argument("--crd", action="append", default=[])
    args = ap.parse_args()
    crds = crd_schemas(args.crd)
    docs = [d for d in yaml.safe_load_all(sys.stdin) if isinstance(d, dict) and d]
    bad = 0
    for d in docs:
        name = f"{d.get('kind')}/{(d.get('metadata') or {}).get('name')}"
        key = (d.get("apiVersion"), d.get("kind"))
        if key in crds:
            errors = sorted(
                jsonschema.Draft7Validator(crds[key]).iter_errors(d), key=lambda e: list(e.path)
            )
            for e in errors:
                bad += 1
                print(f"{name}: {'.'.join(map(str, e.path)) or '(root)'}: {e.message}")
            continue
        try:
            kubernetes_validate.validate(d, args.kubernetes_version, strict=True)
        except kubernetes_validate.ValidationError as e:
            bad += 1
            path = ".".join(map(str, e.path)) or "(root)"
            print(f"{name}: {path}: {e.message}")
        except Exception as e:  # an unknown kind or version: never a pass
            bad += 1
            print(f"{name}: cannot be validated ({type(e).__name__}): {e}")
    print(f"{len(docs)} objects, {bad} invalid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

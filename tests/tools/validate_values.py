"""Independent check of a helmwasm render: the values document, merged over the chart's
defaults the way Helm coalesces them, against the chart's values.schema.json.

Usage: python3 validate_values.py CHART_DIR < render.yaml
Prints one line per error and `errors: N`; exit 0 when N is 0.
Uses PyYAML and the `jsonschema` package (Draft 7), nothing of helmwasm.
"""
import json
import sys

import jsonschema
import yaml


def coalesce(defaults, values):
    out = dict(defaults)
    for key, value in values.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = coalesce(out[key], value)
        else:
            out[key] = value
    return out


def main():
    chart_dir = sys.argv[1]
    with open(f"{chart_dir}/values.yaml") as f:
        defaults = yaml.safe_load(f)
    with open(f"{chart_dir}/values.schema.json") as f:
        schema = json.load(f)
    docs = sys.stdin.read().split("\n---\n")
    values_docs = [d for d in docs if "# Source: " in d and "/values.yaml" in d.split("\n", 2)[0 if d.startswith("#") else 1]]
    if len(values_docs) != 1:
        print(f"expected one values document, found {len(values_docs)}")
        return 2
    values = yaml.safe_load(values_docs[0].replace("---\n", "", 1)) or {}
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(coalesce(defaults, values)), key=lambda e: list(e.absolute_path))
    for e in errors:
        print(".".join(str(p) for p in e.absolute_path) or "(root)", ":", e.message)
    print(f"errors: {len(errors)}")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())

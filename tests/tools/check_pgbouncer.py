#!/usr/bin/env python3
"""Independent check of PgBouncer's TLS to the database in a rendered manifest stream (stdin):
the PgBouncer Deployment's `pgbouncer.ini` (read from the Secret its container mounts it from)
has `server_tls_sslmode` = --expect-sslmode; for `verify-ca` / `verify-full` it names a
`server_tls_ca_file`, and that file is mounted in the container from a Secret key that exists and
holds PEM certificates (parsed with Python's `cryptography`). Prints each problem; exit 1 if any.

Written apart from helmwasm (Python, PyYAML, configparser) so the two can disagree."""
import argparse
import base64
import configparser
import sys

import yaml
from cryptography import x509


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--expect-sslmode", required=True)
    args = ap.parse_args()
    docs = [d for d in yaml.safe_load_all(sys.stdin) if isinstance(d, dict)]
    secrets = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "Secret"}
    problems = []
    deployments = [
        d for d in docs
        if d.get("kind") == "Deployment" and d["metadata"]["name"].endswith("-pgbouncer")
    ]
    if len(deployments) != 1:
        print(f"expected one PgBouncer Deployment, found {len(deployments)}")
        return 1
    spec = deployments[0]["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    container = next(c for c in spec["containers"] if c["name"] == "pgbouncer")
    mounts = {m["mountPath"]: m for m in container.get("volumeMounts", [])}

    def mounted_file(path):
        """The content of the file mounted at `path`, or a problem."""
        m = mounts.get(path)
        if m is None:
            return None, f"nothing is mounted at {path}"
        vol = volumes.get(m["name"], {})
        secret_name = vol.get("secret", {}).get("secretName")
        if secret_name is None:
            return None, f"{path}: volume {m['name']} is not a Secret volume"
        secret = secrets.get(secret_name)
        if secret is None:
            return None, f"{path}: Secret {secret_name} is not in the render"
        key = m.get("subPath")
        data = secret.get("data") or {}
        if key not in data:
            return None, f"{path}: Secret {secret_name} has no key {key} (keys: {sorted(data)})"
        return base64.b64decode(data[key]).decode(), None

    text, problem = mounted_file("/etc/pgbouncer/pgbouncer.ini")
    if problem:
        print(problem)
        return 1
    ini = configparser.ConfigParser(interpolation=None)
    ini.read_string(text)
    section = ini["pgbouncer"]
    mode = section.get("server_tls_sslmode")
    if mode != args.expect_sslmode:
        problems.append(f"server_tls_sslmode is {mode!r}, expected {args.expect_sslmode!r}")
    ca_file = section.get("server_tls_ca_file")
    if args.expect_sslmode in ("verify-ca", "verify-full"):
        if not ca_file:
            problems.append(f"server_tls_sslmode = {mode} without server_tls_ca_file")
        else:
            ca, problem = mounted_file(ca_file)
            if problem:
                problems.append(problem)
            else:
                try:
                    certs = x509.load_pem_x509_certificates(ca.encode())
                    if not certs:
                        problems.append(f"{ca_file} holds no certificate")
                except ValueError as e:
                    problems.append(f"{ca_file} is not PEM certificates: {e}")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

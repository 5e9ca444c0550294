#!/usr/bin/env bash
# Creates .venv with the PyPI packages the tests use (kubernetes-validate, jsonschema), only
# when they are missing. Called by scripts/setup.sh; idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
py=$(command -v python3 || true)
if [ -z "$py" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3 python3-venv >/dev/null
  py=$(command -v python3)
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$py" -m venv .venv 2>/dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
    rm -rf .venv
    "$py" -m venv .venv
  fi
fi
if ! .venv/bin/python -c "import kubernetes_validate, jsonschema" 2>/dev/null; then
  echo "setup: installing kubernetes-validate and jsonschema into .venv" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check "kubernetes-validate>=1.30" "jsonschema>=4"
fi

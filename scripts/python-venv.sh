#!/usr/bin/env bash
# Creates the project's Python venv (.venv) and installs the given PyPI packages into it, only
# when they are missing. Idempotent. Usage: scripts/python-venv.sh PACKAGE[==VERSION]...
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating $venv" >&2
  python3 -m venv "$venv"
fi
missing=()
for spec in "$@"; do
  name=${spec%%[=<>]*}
  "$venv/bin/python" -c "import importlib.metadata as m, sys; m.version(sys.argv[1])" "$name" >/dev/null 2>&1 \
    || missing+=("$spec")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} into $venv" >&2
  "$venv/bin/python" -m pip install -q "${missing[@]}"
fi

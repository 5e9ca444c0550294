#!/usr/bin/env bash
# Installs what kubereach builds and tests against, only when it is missing: the system libraries,
# the fonts graphs are drawn with, Debian's Chromium and its driver for the report's browser test,
# and the project's venv (.venv) with the PyPI packages the tests use. Nothing here downloads a
# browser or a driver of its own.
set -euo pipefail

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
need=()
for pkg in libyaml-dev libgraphviz-dev graphviz gcc pkg-config fonts-dejavu-core chromium chromium-driver python3-venv; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
config=$(ls /usr/lib/*/graphviz/config6* 2>/dev/null | head -n1 || true)
if [ -z "$config" ]; then
  $SUDO dot -c
fi
# Python packages the tests use (SARIF schema validation; Kubernetes schema validation of generated
# policies, offline with the package's bundled schemas; selenium for the report's browser test,
# driving Debian's chromium through chromium-driver), in the project's venv.
"$(dirname "$0")/python-venv.sh" jsonschema==4.26.0 kubernetes-validate==1.37.0 selenium==4.51.0

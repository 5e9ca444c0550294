#!/usr/bin/env bash
# Installs the system libraries kubereach builds against, only when they are missing.
set -euo pipefail
need=()
for pkg in libyaml-dev libgraphviz-dev graphviz; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
config=$(ls /usr/lib/*/graphviz/config6* 2>/dev/null | head -n1 || true)
if [ -z "$config" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO dot -c
fi
# Python packages the tests use (SARIF schema validation; Kubernetes schema validation of generated
# policies, offline with the package's bundled schemas), in the project's venv.
"$(dirname "$0")/python-venv.sh" jsonschema==4.26.0 kubernetes-validate==1.37.0

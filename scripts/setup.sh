#!/usr/bin/env bash
# Installs what kubereach builds and tests against, only when it is missing: the system libraries,
# the fonts graphs are drawn with, Debian's Chromium and its driver for the report's browser test,
# and a venv (.venv-browser) with selenium. Nothing here downloads a browser or a driver of its own.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
need=()
for pkg in libyaml-dev libgraphviz-dev graphviz fonts-dejavu-core chromium chromium-driver python3-venv; do
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
venv="$root/.venv-browser"
if ! "$venv/bin/python" -c "import selenium" 2>/dev/null; then
  echo "setup: creating $venv with selenium" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q selenium
fi

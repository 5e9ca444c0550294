#!/usr/bin/env bash
# Re-runs NCA (and kubereach, when built) on every case of this folder:
#   <case>/nca-2.1.0.txt        NCA's output (run as scripts/nca_compare.py run-nca does)
#   namespace-after-pods/nca-2.1.0-r-only.txt   NCA's output without the `-n` workaround
#   <case>/kubereach.json       kubereach analyze <case>/manifests -o json --ipv6
#   <case>/compare.txt          scripts/nca_compare.py compare of the two
# Usage: Benchmarks/nca-deviations/regenerate.sh [KUBEREACH_BINARY]
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
NCA="$ROOT/.venv-nca/bin/nca"
KR="${1:-$ROOT/.build-release/release/kubereach}"
for case in "$HERE"/*/; do
  case="${case%/}"
  python3 "$ROOT/scripts/nca_compare.py" run-nca "$case/manifests" "$case/nca-2.1.0.txt" --nca "$NCA" 2>/dev/null \
    || echo "$(basename "$case"): nca failed"
  if [ "$(basename "$case")" = namespace-after-pods ]; then  # without the -n workaround
    rm -f "$case/nca-2.1.0-r-only.txt"
    PYTHONHASHSEED=0 "$NCA" --connectivity -r "$case/manifests" -o txt_no_fw_rules -f "$case/nca-2.1.0-r-only.txt" \
      >/dev/null 2>&1
  fi
  if [ -x "$KR" ]; then
    if "$KR" analyze "$case/manifests" -o json --ipv6 >"$case/kubereach.json" 2>"$case/kubereach.err"; then
      rm -f "$case/kubereach.err"
      python3 "$ROOT/scripts/nca_compare.py" compare --nca "$case/nca-2.1.0.txt" --kubereach "$case/kubereach.json" \
        >"$case/compare.txt" 2>&1
    else
      rm -f "$case/kubereach.json" "$case/compare.txt"
    fi
  fi
  echo "== $(basename "$case")"
  cat "$case/compare.txt" "$case/kubereach.err" 2>/dev/null | sed 's|'"$ROOT"'/||'
done

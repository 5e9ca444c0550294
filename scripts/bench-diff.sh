#!/usr/bin/env bash
# What-if and explain at scale (issue 8). Times whole processes with /usr/bin/time (wall s, peak RSS):
#   analyze -o json  vs  diff of the same cluster and a copy with one added NetworkPolicy
#   (TCP 8443 of ns-7 opened to all namespaces), at 10,000 and 150,000 pods;
#   analyze -o json  vs  analyze --explain at 1,000 pods (synth --pods 1000 --namespaces 33 --policies 100 --seed 7).
# The explain pair runs 5 times, interleaved; the ratio of the medians is printed last.
# Usage: scripts/bench-diff.sh [--sizes "10000 150000"] (--sizes "" : explain only);
# KUBEREACH=path uses a prebuilt binary.
# Outputs and the table land in bench-out/diff/.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes="10000 150000"
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
if [ -z "${KUBEREACH:-}" ]; then
  nice swift build -c release --product kubereach >&2
  KUBEREACH="$(swift build -c release --show-bin-path)/kubereach"
fi
out=bench-out/diff
mkdir -p "$out"
table="$out/table.txt"
: >"$table"
timed() { # label, command...
  local label="$1"; shift
  /usr/bin/time -f "$label %e %M" -o "$out/time.tmp" nice "$@" >"$out/$label.out" 2>"$out/$label.err"
  cat "$out/time.tmp" >>"$table"
}
policy() {
  cat <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: open-8443-to-all-namespaces
  namespace: ns-7
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from: [{namespaceSelector: {}}]
    ports: [{protocol: TCP, port: 8443}]
YAML
}
for pods in $sizes; do
  dir="$out/c$pods"
  if [ ! -d "$dir" ]; then
    "$KUBEREACH" synth --pods "$pods" --seed 1 "$dir" >&2
    mkdir -p "$dir-v2" && cp "$dir"/*.yaml "$dir-v2/" && policy >"$dir-v2/open-8443.yaml"
  fi
  timed "analyze-json-$pods" "$KUBEREACH" analyze -o json "$dir"
  timed "diff-$pods" "$KUBEREACH" diff "$dir" "$dir-v2"
done
dir="$out/c1000-explain"
[ -d "$dir" ] || "$KUBEREACH" synth --pods 1000 --namespaces 33 --policies 100 --seed 7 "$dir" >&2
for run in 1 2 3 4 5; do
  timed "analyze-json-1000" "$KUBEREACH" analyze -o json "$dir"
  timed "analyze-explain-1000" "$KUBEREACH" analyze --explain "$dir"
done
awk '{ printf "%-24s %8.2f s %8.0f MiB\n", $1, $2, $3 / 1024 }' "$table"
median() { grep "^$1 " "$table" | awk '{ print $2 }' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
json=$(median analyze-json-1000)
explain=$(median analyze-explain-1000)
awk -v j="$json" -v e="$explain" 'BEGIN { printf "analyze --explain / analyze -o json, 1,000 pods, medians of 5: %.2f s / %.2f s = %.1fx\n", e, j, e / j }'

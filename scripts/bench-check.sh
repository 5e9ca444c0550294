#!/usr/bin/env bash
# kubereach check against kubereach analyze -o json on the 150,000-pod synthetic cluster, in the
# same run, release build, under nice. Usage: scripts/bench-check.sh [--seed N] [--runs N]
# Writes bench-out/check/ (the manifests are kept for reruns); prints wall times and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
SEED=1
RUNS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) SEED="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    *) echo "usage: $0 [--seed N] [--runs N]" >&2; exit 2 ;;
  esac
done
OUT=bench-out/check
KR="${KUBEREACH:-.build/release/kubereach}"
if [ -z "${KUBEREACH:-}" ]; then
  scripts/setup.sh
  nice swift build -c release --product kubereach >&2
fi
mkdir -p "$OUT"
if [ ! -s "$OUT/seed" ] || [ "$(cat "$OUT/seed")" != "$SEED" ]; then
  rm -rf "$OUT/manifests"
  echo "synth: 150000 pods, 5000 namespaces, 15000 policies, seed $SEED" >&2
  nice "$KR" synth --pods 150000 --namespaces 5000 --policies 15000 --seed "$SEED" "$OUT/manifests" >/dev/null
  echo "$SEED" >"$OUT/seed"
fi
wall() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$1"; }
peak() { awk -F': ' '/Maximum resident set size/ { printf "%d", $2 / 1024 }' "$1"; }
for run in $(seq 1 "$RUNS"); do
  rc=0
  nice /usr/bin/time -v -o "$OUT/analyze.time" "$KR" analyze "$OUT/manifests" -o json --stats >/dev/null 2>"$OUT/analyze.err" || rc=$?
  [ $rc -eq 0 ] || { echo "analyze failed ($rc)" >&2; cat "$OUT/analyze.err" >&2; exit 1; }
  rc=0
  nice /usr/bin/time -v -o "$OUT/check.time" "$KR" check "$OUT/manifests" -o json --fail-on never --stats \
    >"$OUT/check.json" 2>"$OUT/check.err" || rc=$?
  [ $rc -eq 0 ] || { echo "check failed ($rc)" >&2; cat "$OUT/check.err" >&2; exit 1; }
  a=$(wall "$OUT/analyze.time"); c=$(wall "$OUT/check.time")
  echo "run $run: analyze -o json ${a} s (peak $(peak "$OUT/analyze.time") MiB), check -o json ${c} s (peak $(peak "$OUT/check.time") MiB), ratio $(awk -v a="$a" -v c="$c" 'BEGIN { printf "%.2f", c / a }')"
  echo "  analyze: $(grep -E 'stats: (load|compile|evaluate|output) ' "$OUT/analyze.err" | tr '\n' ' ')"
  echo "  check:   $(grep -E 'stats: (load|check|output|findings) ' "$OUT/check.err" | tr '\n' ' ')"
done

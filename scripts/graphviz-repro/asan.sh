#!/usr/bin/env bash
# Builds kubereach with AddressSanitizer (own scratch folder .build-asan) and draws, in-process,
# Istio-bookinfo-like inputs and every corpus folder: `analyze -o svg` and `-o png` on each
# folder of ../shared/corpus/netpol-analyzer/tests (folders that fail to load must exit 2), and
# `render` of the scenarios. Pass = no AddressSanitizer report and no crash. LeakSanitizer
# suppressions cover leaks inside system libraries only (lsan-suppressions.txt).
# Usage: scripts/graphviz-repro/asan.sh [LOG]
set -uo pipefail
cd "$(dirname "$0")/../.."
here=$PWD/scripts/graphviz-repro
log=${1:-/tmp/kubereach-asan.log}
nice swift build --product kubereach -Xswiftc -sanitize=address --scratch-path .build-asan >/dev/null || exit 1
bin=.build-asan/debug/kubereach
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:detect_odr_violation=0"
export LSAN_OPTIONS="suppressions=$here/lsan-suppressions.txt:print_suppressions=0"
corpus=../shared/corpus/netpol-analyzer/tests
: > "$log"
ok=0 refused=0 failed=0
run() {
  "$@" >/dev/null 2>>"$log.err"
  local rc=$?
  if grep -q "AddressSanitizer\|LeakSanitizer" "$log.err" 2>/dev/null; then
    cat "$log.err" >> "$log"; rm -f "$log.err"; echo "ASAN: $*" >> "$log"; return 99
  fi
  rm -f "$log.err"
  return $rc
}
for dir in "$corpus"/*/ Scenarios/*/; do
  for format in svg png; do
    run "$bin" analyze -o "$format" "$dir"
    rc=$?
    case $rc in
      0) ok=$((ok + 1)) ;;
      2) refused=$((refused + 1)) ;;
      *) failed=$((failed + 1)); echo "rc=$rc analyze -o $format $dir" >> "$log" ;;
    esac
  done
done
for scenario in Scenarios/*/; do
  run "$bin" render "$scenario" -o png
  rc=$?
  case $rc in
    0) ok=$((ok + 1)) ;;
    2) refused=$((refused + 1)) ;; # e.g. check-pr/ holds two versions of one cluster: duplicate objects
    *) failed=$((failed + 1)); echo "rc=$rc render $scenario" >> "$log" ;;
  esac
done
run "$bin" render Scenarios/shop-v2 --before Scenarios/shop -o svg || { failed=$((failed + 1)); echo "render diff" >> "$log"; }
echo "asan: $ok renders clean, $refused refused with exit 2, $failed failed (log: $log)"
[ "$failed" -eq 0 ]

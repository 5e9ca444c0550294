#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/) with AddressSanitizer and libFuzzer's coverage and runs each for a fixed
# time, seeded from Scenarios/ and the netpol-analyzer corpus. Not part of CI.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     default: 600 seconds, targets FuzzLoader FuzzModel FuzzFlows
#
# Crashes are written to Fuzz/crashes/<target>/ (keep each as a regression input under
# Tests/ManifestsTests/FuzzRegressions/); the growing corpus lives in .build/fuzz-corpus/<target>.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(FuzzLoader FuzzModel FuzzFlows)
build=.build/fuzz
# libFuzzer's driver without its main (SwiftPM executables have their own main, which calls it).
fuzzer_lib="$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")/lib/clang"
fuzzer_lib="$(find "$fuzzer_lib" -name 'libclang_rt.fuzzer_no_main-*.a' | head -n1)"
[ -n "$fuzzer_lib" ] || { echo "fuzz: libclang_rt.fuzzer_no_main not found in the Swift toolchain" >&2; exit 2; }
# Coverage for libFuzzer and AddressSanitizer on every module; libFuzzer itself without its main.
for target in "${targets[@]}"; do
  KUBEREACH_FUZZ=1 swift build -c release --build-path "$build" --product "$target" \
    -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
    -Xlinker "$fuzzer_lib" -Xlinker -lstdc++ >&2
done
bin="$(KUBEREACH_FUZZ=1 swift build -c release --build-path "$build" --show-bin-path)"
seeds=.build/fuzz-seeds
mkdir -p "$seeds"
# Small manifests only: libFuzzer works best on inputs of a few kilobytes.
for dir in Scenarios ../shared/corpus/netpol-analyzer/tests Tests/ManifestsTests/FuzzRegressions; do
  [ -d "$dir" ] || continue
  find "$dir" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' -o -name '*.jsonl' -o -name '*.csv' \) \
    -size -16k -print0 |
    while IFS= read -r -d '' f; do cp "$f" "$seeds/$(printf '%s' "$f" | tr '/.' '__')"; done
done
echo "fuzz: $(ls "$seeds" | wc -l) seed files" >&2
for target in "${targets[@]}"; do
  corpus=".build/fuzz-corpus/$target"
  crashes="Fuzz/crashes/$target"
  mkdir -p "$corpus" "$crashes"
  echo "fuzz: $target for $seconds s" >&2
  ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}" nice -n 19 "$bin/$target" "$corpus" "$seeds" -max_total_time="$seconds" -max_len=16384 \
    -timeout=20 -rss_limit_mb=4096 -artifact_prefix="$crashes/" -print_final_stats=1 \
    -dict=Fuzz/kubernetes.dict 2>&1 | tee ".build/fuzz-$target.log" | grep -E "^(#[0-9]+.*(DONE|pulse)|stat::|==[0-9]+==|SUMMARY)" || true
done

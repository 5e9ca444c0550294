#!/usr/bin/env bash
# Regenerates the NCA agreement fixtures of the test suite:
#   Tests/ConformanceTests/Fixtures/nca/<seed>/manifests/   kubereach synth --one-pod-per-workload
#   Tests/ConformanceTests/Fixtures/nca/<seed>/nca.txt      NCA's connectivity output on them
#   Tests/ConformanceTests/Fixtures/nca/<seed>/meta.json    {seed, pods, namespaces, policies, nca_version}
# Needs network access to PyPI the first time (installs NCA into .venv-nca); the tests that read
# the fixtures (NCAAgreementTests) need neither NCA nor the network.
#
# Usage: scripts/make-nca-fixtures.sh [--no-build] [SEED:PODS:NAMESPACES:POLICIES ...]
# Environment: KUBEREACH = a prebuilt kubereach binary to use instead of building one.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

BUILD=1
SPECS=()
for arg in "$@"; do
  case "$arg" in
    --no-build) BUILD=0 ;;
    *:*:*:*) SPECS+=("$arg") ;;
    *) echo "make-nca-fixtures: bad argument $arg (want SEED:PODS:NAMESPACES:POLICIES)" >&2; exit 2 ;;
  esac
done
# ~50 pods each; namespaces and policy counts vary so that every kind of synthetic rule shows up
[ ${#SPECS[@]} -gt 0 ] || SPECS=(11:50:4:20 23:50:6:30 37:48:5:40 41:52:8:24 59:50:3:35)

VENV="$ROOT/.venv-nca"
NCA="$VENV/bin/nca"
SCRATCH="$ROOT/.build-release"
KR="${KUBEREACH:-$SCRATCH/release/kubereach}"
[ -n "${KUBEREACH:-}" ] && BUILD=0
FIX="$ROOT/Tests/ConformanceTests/Fixtures/nca"
export PYTHONHASHSEED=0

if [ ! -x "$NCA" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q network-config-analyzer
fi
if [ "$BUILD" = 1 ]; then
  [ -x scripts/setup.sh ] && scripts/setup.sh
  swift build -c release --scratch-path "$SCRATCH" --product kubereach >&2
fi
NCA_VERSION=$("$NCA" --version 2>&1 | awk '{print $NF}')

rm -rf "$FIX"
mkdir -p "$FIX"
status=0
for spec in "${SPECS[@]}"; do
  IFS=: read -r seed pods namespaces policies <<<"$spec"
  dir="$FIX/$seed"
  mkdir -p "$dir"
  "$KR" synth --pods "$pods" --namespaces "$namespaces" --policies "$policies" --seed "$seed" \
    --one-pod-per-workload "$dir/manifests" >/dev/null
  python3 scripts/nca_compare.py run-nca "$dir/manifests" "$dir/nca.txt" --nca "$NCA" 2>"$dir/nca.log" || {
    echo "make-nca-fixtures: nca failed on seed $seed:" >&2; cat "$dir/nca.log" >&2; exit 1; }
  rm -f "$dir/nca.log"
  printf '{"seed": %s, "pods": %s, "namespaces": %s, "policies": %s, "nca_version": "%s"}\n' \
    "$seed" "$pods" "$namespaces" "$policies" "$NCA_VERSION" >"$dir/meta.json"
  # the same check the Swift test makes, through the CLI, so a disagreement shows up now
  tmp=$(mktemp)
  "$KR" analyze "$dir/manifests" -o json --ipv6 >"$tmp"
  if python3 scripts/nca_compare.py compare --label "seed $seed" --nca "$dir/nca.txt" --kubereach "$tmp" \
    --max-report 20; then :; else status=1; fi
  rm -f "$tmp"
done
echo "make-nca-fixtures: wrote ${#SPECS[@]} fixtures under $FIX (NCA $NCA_VERSION)"
exit $status

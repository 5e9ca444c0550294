#!/usr/bin/env bash
# Side-by-side harness against IBM's network-config-analyzer (NCA): speed and agreement.
# See Benchmarks/README.md. Run from anywhere; everything lands in bench-out/nca/.
#
#   scripts/bench-nca.sh                  synthetic clusters of 50, 200, 500, 1000 pods:
#                                         time + peak memory of both tools, agreement
#   scripts/bench-nca.sh --skip-nca-1000  the same without NCA's ~7-minute 1000-pod run
#   scripts/bench-nca.sh --corpus         agreement over every folder of the NCA test corpus
#   scripts/bench-nca.sh --large          kubereach alone on 150,000 pods (--stats) + YAML scan rate
#
# Options:
#   --sizes "50 200 500 1000"   pod counts of the synthetic clusters
#   --seed N                    synth seed (default 7)
#   --pods-per-namespace N      synth density: a namespace per N pods (default 10)
#   --pods-per-policy N         synth density: a NetworkPolicy per N pods (default 2; synth's
#                               own default, 10, gives sparse clusters that NCA finishes fast)
#   --nca-max-pods N            skip NCA (and the comparison) above N pods
#   --nca-timeout S             give up on one NCA run after S seconds (default 1800)
#   --corpus-dir DIR            default ../shared/corpus/nca-tests beside the repo
#   --fresh                     recompute cached NCA outputs of --corpus
#   --no-build                  use the existing release build
#   --out DIR                   default bench-out/nca
# Environment: KUBEREACH / KUBEREACH_BENCH = prebuilt binaries to use instead of building.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

MODE=synth
SIZES="50 200 500 1000"
SEED=7
PODS_PER_NS=10
PODS_PER_POLICY=2
NCA_MAX_PODS=1000000
NCA_TIMEOUT=1800
CORPUS_DIR=$(cd "$ROOT/../shared/corpus/nca-tests" 2>/dev/null && pwd || echo /work/shared/corpus/nca-tests)
FRESH=0
BUILD=1
OUT="$ROOT/bench-out/nca"

while [ $# -gt 0 ]; do
  case "$1" in
    --corpus) MODE=corpus ;;
    --large) MODE=large ;;
    --sizes) SIZES="$2"; shift ;;
    --seed) SEED="$2"; shift ;;
    --pods-per-namespace) PODS_PER_NS="$2"; shift ;;
    --pods-per-policy) PODS_PER_POLICY="$2"; shift ;;
    --skip-nca-1000) NCA_MAX_PODS=999 ;;
    --nca-max-pods) NCA_MAX_PODS="$2"; shift ;;
    --nca-timeout) NCA_TIMEOUT="$2"; shift ;;
    --corpus-dir) CORPUS_DIR="$2"; shift ;;
    --fresh) FRESH=1 ;;
    --no-build) BUILD=0 ;;
    --out) OUT="$2"; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "bench-nca: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

VENV="$ROOT/.venv-nca"
NCA="$VENV/bin/nca"
COMPARE=(python3 "$ROOT/scripts/nca_compare.py")
SCRATCH="$ROOT/.build-release"
KR="${KUBEREACH:-$SCRATCH/release/kubereach}"
KRBENCH="${KUBEREACH_BENCH:-$SCRATCH/release/kubereach-bench}"
[ -n "${KUBEREACH:-}" ] && BUILD=0
export PYTHONHASHSEED=0

log() { echo "bench-nca: $*" >&2; }

ensure_nca() {
  if [ ! -x "$NCA" ]; then
    log "installing network-config-analyzer into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q network-config-analyzer
  fi
}

ensure_time() {
  if [ ! -x /usr/bin/time ]; then
    log "installing GNU time"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq time >/dev/null
  fi
}

build() {
  [ "$BUILD" = 1 ] || return 0
  [ -x scripts/setup.sh ] && scripts/setup.sh
  log "building kubereach (release, scratch path .build-release)"
  swift build -c release --scratch-path "$SCRATCH" --product kubereach >&2
  if [ "$MODE" = large ]; then
    swift build -c release --scratch-path "$SCRATCH" --product kubereach-bench >&2
  fi
}

# timed NAME CMD... : runs CMD under GNU time; stdout/stderr of CMD go to NAME.out/NAME.err,
# the measurements to NAME.time. Returns CMD's exit code.
timed() {
  local name="$1"; shift
  local rc=0
  /usr/bin/time -v -o "$name.time" "$@" >"$name.out" 2>"$name.err" || rc=$?
  return $rc
}

# wall seconds and peak MB out of a GNU time -v file
wall_s() {
  awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; printf "%.2f", s}' "$1"
}
peak_mb() {
  awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$1"
}

# run_nca DIR OUTFILE NAME : NCA's connectivity query the way it must be run, timed
run_nca_timed() {
  local dir="$1" outfile="$2" name="$3"
  local nsargs=()
  mapfile -t nsargs < <("${COMPARE[@]}" nca-args "$dir")
  rm -f "$outfile"   # NCA appends to -f
  timed "$name" timeout "$NCA_TIMEOUT" "$NCA" --connectivity -r "$dir" "${nsargs[@]}" \
    -o txt_no_fw_rules -f "$outfile"
}

synth_params() {  # pods -> "namespaces policies", at least 3 namespaces and 5 policies
  local p="$1"
  local ns=$(( p / PODS_PER_NS )); [ "$ns" -lt 3 ] && ns=3
  local pol=$(( p / PODS_PER_POLICY )); [ "$pol" -lt 5 ] && pol=5
  echo "$ns $pol"
}

mode_synth() {
  ensure_nca; ensure_time; build
  mkdir -p "$OUT"
  local table="$OUT/table.txt"
  local rows=()
  local overall=0
  for pods in $SIZES; do
    read -r ns pol < <(synth_params "$pods")
    local dir="$OUT/synth-$pods"
    rm -rf "$dir"; mkdir -p "$dir"
    log "synth: $pods pods, $ns namespaces, $pol policies, seed $SEED"
    "$KR" synth --pods "$pods" --namespaces "$ns" --policies "$pol" --seed "$SEED" \
      --one-pod-per-workload "$dir/manifests" >/dev/null
    log "kubereach analyze ($pods pods)"
    local krs="-" krm="-" ncas="-" ncam="-" ratio="-" agree="-"
    if timed "$dir/kubereach" "$KR" analyze "$dir/manifests" -o json --ipv6; then
      krs=$(wall_s "$dir/kubereach.time"); krm=$(peak_mb "$dir/kubereach.time")
    else
      krs="FAIL"; log "kubereach failed, see $dir/kubereach.err"; overall=1
    fi
    if [ "$pods" -le "$NCA_MAX_PODS" ]; then
      log "nca ($pods pods)"
      if run_nca_timed "$dir/manifests" "$dir/nca.txt" "$dir/nca"; then
        ncas=$(wall_s "$dir/nca.time"); ncam=$(peak_mb "$dir/nca.time")
      else
        ncas="FAIL"; log "nca failed, see $dir/nca.err"; overall=1
      fi
    fi
    if [[ "$ncas" != "-" && "$ncas" != FAIL && "$krs" != FAIL ]]; then
      ratio=$(awk -v a="$ncas" -v b="$krs" 'BEGIN { if (b > 0) printf "%.0fx", a / b; else print "inf" }')
      if "${COMPARE[@]}" compare --nca "$dir/nca.txt" --kubereach "$dir/kubereach.out" \
        --max-report 200 >"$dir/compare.txt" 2>&1; then
        agree="yes"
      else
        agree="NO ($(grep -c '^DISAGREE ' "$dir/compare.txt" || true) pairs, $dir/compare.txt)"
        overall=1
      fi
    fi
    rows+=("$(printf '%6s | %8s | %12s | %6s | %6s | %12s | %s' "$pods" "$ncas" "$krs" "$ratio" "$ncam" "$krm" "$agree")")
  done
  {
    echo "NCA $("$NCA" --version 2>&1 | awk '{print $NF}'), kubereach ${KUBEREACH:-$(git -C "$ROOT" rev-parse --short HEAD)}," \
      "seed $SEED, a namespace per $PODS_PER_NS pods, a policy per $PODS_PER_POLICY pods, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
    printf '%6s | %8s | %12s | %6s | %6s | %12s | %s\n' pods "NCA s" "kubereach s" ratio "NCA MB" "kubereach MB" agreement
    printf '%s\n' "-------+----------+--------------+--------+--------+--------------+----------"
    printf '%s\n' "${rows[@]}"
  } | tee "$table"
  return $overall
}

# known NAME: " [known: <deviation case>]" when Benchmarks/nca-deviations/corpus-known.txt explains it
known() {
  local case
  case=$(awk -v n="$1" '$1 == n { print $2 }' "$ROOT/Benchmarks/nca-deviations/corpus-known.txt" 2>/dev/null)
  [ -z "$case" ] || printf ' [known: %s]' "$case"
}

mode_corpus() {
  ensure_nca; build
  local base="$OUT/corpus"
  mkdir -p "$base"
  local agree=() disagree=() ncafail=() krfail=()
  for d in "$CORPUS_DIR"/*/; do
    d="${d%/}"; local name; name=$(basename "$d")
    local w="$base/$name"; mkdir -p "$w"; rm -f "$w/compare.txt"
    # workload level first; when kubereach refuses it (pods of one owner differ in labels that
    # policies tell apart), both tools report pods instead
    local level=workload ncaout="$w/nca.txt" endpoints=()
    if ! "$KR" analyze "$d" -o json --ipv6 >"$w/kubereach.json" 2>"$w/kubereach.err"; then
      if grep -q 'workload-pods-differ' "$w/kubereach.err"; then
        level=pod; ncaout="$w/nca-pods.txt"; endpoints=(--endpoints pods)
        if ! "$KR" analyze "$d" -o json --ipv6 --granularity pod >"$w/kubereach.json" 2>"$w/kubereach.err"; then
          krfail+=("$name ($(grep -m1 -i error "$w/kubereach.err" | sed -E 's|^[^:]*/||' | cut -c1-160))$(known "$name")"); continue
        fi
      else
        krfail+=("$name ($(grep -m1 -i error "$w/kubereach.err" | sed -E 's|^[^:]*/||' | cut -c1-160))$(known "$name")"); continue
      fi
    fi
    if [ "$FRESH" = 1 ] || [ ! -s "$ncaout.ok" ]; then
      rm -f "$ncaout.ok"
      if "${COMPARE[@]}" run-nca "$d" "$ncaout" --nca "$NCA" --timeout "$NCA_TIMEOUT" "${endpoints[@]}" \
        >"$ncaout.log" 2>&1 && [ -e "$ncaout" ]; then
        echo ok >"$ncaout.ok"
      fi
    fi
    if [ ! -s "$ncaout.ok" ]; then ncafail+=("$name"); continue; fi
    if "${COMPARE[@]}" compare --label "$name" --nca "$ncaout" --kubereach "$w/kubereach.json" \
      >"$w/compare.txt" 2>&1; then
      if [ "$level" = pod ]; then agree+=("$name (pod level)"); else agree+=("$name"); fi
    else
      disagree+=("$name ($(grep -c 'DISAGREE ' "$w/compare.txt" || true) pairs, $level level)$(known "$name")")
    fi
  done
  {
    echo "NCA corpus agreement ($CORPUS_DIR): ${#agree[@]} agree, ${#disagree[@]} disagree," \
      "${#ncafail[@]} nca-failed, ${#krfail[@]} kubereach-failed"
    [ ${#disagree[@]} -eq 0 ] || { echo "disagree:"; printf '  %s\n' "${disagree[@]}"; }
    [ ${#ncafail[@]} -eq 0 ] || { echo "nca-failed:"; printf '  %s\n' "${ncafail[@]}"; }
    [ ${#krfail[@]} -eq 0 ] || { echo "kubereach-failed:"; printf '  %s\n' "${krfail[@]}"; }
    echo "details: $base/<folder>/compare.txt"
  } | tee "$base/summary.txt"
  # exit status: 0 when everything agrees or every exception is a known deviation
  ! printf '%s\n' "${disagree[@]}" "${krfail[@]}" | grep -v '^$' | grep -vq '\[known: '
}

mode_large() {
  ensure_time; build
  local dir="$OUT/large"
  mkdir -p "$dir"
  if [ ! -s "$dir/seed" ] || [ "$(cat "$dir/seed")" != "$SEED" ] || [ "$FRESH" = 1 ]; then
    rm -rf "$dir/manifests"
    log "synth: 150000 pods, 5000 namespaces, 15000 policies, seed $SEED"
    /usr/bin/time -v -o "$dir/synth.time" "$KR" synth --pods 150000 --namespaces 5000 --policies 15000 \
      --seed "$SEED" "$dir/manifests" >/dev/null
    echo "$SEED" >"$dir/seed"
  fi
  log "kubereach analyze --stats (150000 pods)"
  local rc=0
  timed "$dir/analyze" "$KR" analyze --stats "$dir/manifests" -o json || rc=$?
  echo "== kubereach analyze --stats (exit $rc): wall $(wall_s "$dir/analyze.time") s, peak $(peak_mb "$dir/analyze.time") MB, output $(wc -c <"$dir/analyze.out") bytes"
  cat "$dir/analyze.err"
  rm -f "$dir/analyze.out"   # ~1.7 GB of json
  echo "== bare libyaml scan (kubereach-bench load)"
  local files=()
  mapfile -t files < <(find "$dir/manifests" -type f \( -name '*.yaml' -o -name '*.yml' \) | sort)
  local all="$dir/all.yaml"
  if [ ${#files[@]} -gt 1 ]; then
    : >"$all"
    for f in "${files[@]}"; do cat "$f" >>"$all"; printf '\n---\n' >>"$all"; done
  else
    all="${files[0]}"
  fi
  "$KRBENCH" load "$all"
  [ "$all" = "$dir/all.yaml" ] && rm -f "$all"
  return $rc
}

case "$MODE" in
  synth) mode_synth ;;
  corpus) mode_corpus ;;
  large) mode_large ;;
esac

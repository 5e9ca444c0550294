#!/usr/bin/env bash
# The generator benchmark: `generate from-flows --default-deny` (verification included) on the
# 10,000-pod synthetic cluster with 1,000,000 Hubble flow lines (about 1.2 GB), release build,
# under nice. Prints the phases (--stats) and GNU time's wall clock and peak RSS.
# Options: --pods N (10000), --flows N (1000000), --seed N (7). Outputs land in bench-out/generate/.
set -euo pipefail
cd "$(dirname "$0")/.."
pods=10000; flows=1000000; seed=7
while [ $# -gt 0 ]; do
  case "$1" in
    --pods) pods=$2; shift 2 ;;
    --flows) flows=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
scripts/setup.sh
command -v /usr/bin/time >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }
KUBEREACH=${KUBEREACH:-}
if [ -z "$KUBEREACH" ]; then
  nice swift build -c release --product kubereach >&2
  KUBEREACH=.build/release/kubereach
fi
out=bench-out/generate/pods-$pods-flows-$flows-seed-$seed
if [ ! -s "$out/flows-hubble.jsonl" ]; then
  nice "$KUBEREACH" synth --pods "$pods" --namespaces $((pods / 30)) --policies $((pods / 10)) --seed "$seed" \
    --flows "$flows" "$out"
fi
ls -l "$out/flows-hubble.jsonl" >&2
nice /usr/bin/time -v "$KUBEREACH" generate from-flows "$out" --flows "$out/flows-hubble.jsonl" --default-deny \
  --stats --output-file "$out.generated.yaml" 2> "$out.run.txt" || { cat "$out.run.txt" >&2; exit 1; }
grep -E "^(flows|verify|stats):|Elapsed|Maximum resident|User time|System time" "$out.run.txt"

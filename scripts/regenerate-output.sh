#!/usr/bin/env bash
# Rewrites Output/ from Scenarios/: the golden files the tests check byte for byte (RECORD=1), then
# the drawings of the graph gallery (graph.svg/png, diff-graph.svg/png), the report
# (Output/shop-v2/report.html) and its screenshot in headless Chromium (report.png). The drawings
# are checked for presence, not bytes: their text widths come from the machine's fonts (fontconfig)
# and the screenshot from its Chromium; their DOT is checked byte for byte. On one machine they are
# byte-identical from run to run (cgraph ids in creation order: kr_read_graph in CGraphviz/shim.h).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
RECORD=1 swift test --filter GoldenOutputTests
swift build --product kubereach
k=.build/debug/kubereach
while read -r name path; do
  for format in svg png; do "$k" render "$path" -o "$format" --output-file "Output/$name/graph.$format" 2>/dev/null; done
done <<'LIST'
shop Scenarios/shop
shop-v2 Scenarios/shop-v2
multi-tenant Scenarios/multi-tenant
shop-flows Scenarios/shop-flows/manifests
check-planted Scenarios/check-planted/cluster
check-clean Scenarios/check-clean
check-pr Scenarios/check-pr/pr
mtls-migration-1-no-policy Scenarios/mtls-migration-1-no-policy
mtls-migration-2-mesh-strict Scenarios/mtls-migration-2-mesh-strict
mtls-migration-3-namespace-strict Scenarios/mtls-migration-3-namespace-strict
mtls-migration-4-port-disable Scenarios/mtls-migration-4-port-disable
mtls-migration-5-destinationrule-disable Scenarios/mtls-migration-5-destinationrule-disable
mtls-migration-6-authorization Scenarios/mtls-migration-6-authorization
mtls-migration-ambient Scenarios/mtls-migration-ambient
mtls-migration-ambient-waypoint Scenarios/mtls-migration-ambient-waypoint
LIST
while read -r name before after; do
  for format in svg png; do
    "$k" render "$after" --before "$before" -o "$format" --output-file "Output/$name/diff-graph.$format" 2>/dev/null
  done
done <<'LIST'
shop-v2 Scenarios/shop Scenarios/shop-v2
check-pr Scenarios/check-pr/base Scenarios/check-pr/pr
mtls-migration-2-mesh-strict Scenarios/mtls-migration-1-no-policy Scenarios/mtls-migration-2-mesh-strict
mtls-migration-3-namespace-strict Scenarios/mtls-migration-2-mesh-strict Scenarios/mtls-migration-3-namespace-strict
mtls-migration-4-port-disable Scenarios/mtls-migration-3-namespace-strict Scenarios/mtls-migration-4-port-disable
mtls-migration-5-destinationrule-disable Scenarios/mtls-migration-4-port-disable Scenarios/mtls-migration-5-destinationrule-disable
mtls-migration-6-authorization Scenarios/mtls-migration-5-destinationrule-disable Scenarios/mtls-migration-6-authorization
LIST
"$k" report Scenarios/shop-v2 --before Scenarios/shop --output-file Output/shop-v2/report.html 2>/dev/null
search="shop/db["
expected=$("$k" analyze Scenarios/shop-v2 -o csv 2>/dev/null | tail -n +2 | grep -cF "$search" || true)
.venv/bin/python scripts/report-browser-test.py Output/shop-v2/report.html --search "$search" \
  --expect-rows "$expected" --screenshot Output/shop-v2/report.png

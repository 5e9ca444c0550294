#!/usr/bin/env bash
# Rewrites Output/ from Scenarios/ (the golden files the tests check), then the report screenshot
# (Output/shop-v2/report.png, taken in headless Chromium; not checked for staleness, since its
# bytes change with Chromium versions).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
RECORD=1 swift test --filter GoldenOutputTests
swift build --product kubereach
search="shop/db["
expected=$(.build/debug/kubereach analyze Scenarios/shop-v2 -o csv | tail -n +2 | grep -cF "$search" || true)
.venv/bin/python scripts/report-browser-test.py Output/shop-v2/report.html --search "$search" \
  --expect-rows "$expected" --screenshot Output/shop-v2/report.png

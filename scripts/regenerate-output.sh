#!/usr/bin/env bash
# Rewrites Output/ from Scenarios/ (the golden files the tests check).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
RECORD=1 swift test --filter GoldenOutputTests

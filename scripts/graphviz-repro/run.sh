#!/usr/bin/env bash
# Builds repro.c against the system Graphviz and shows the gvFreeLayout double free and the repair
# kubereach uses (kr_repair_moved_rank_arrays in Sources/CGraphviz/shim.h).
# Usage: scripts/graphviz-repro/run.sh [FILE.dot...]   (default: bookinfo.dot beside this script)
# Exit 0 when every file renders and frees cleanly with the repair; 1 otherwise.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -g -O1 -Wall -o "$work/repro" "$here/repro.c" $(pkg-config --cflags --libs libgvc) || exit 1
[ $# -gt 0 ] || set -- "$here/bookinfo.dot"
status=0
for file in "$@"; do
  for mode in free keep repair xlabel; do
    out=$("$work/repro" "$file" "$mode" 2>&1 | tail -n1)
    rc=${PIPESTATUS[0]}
    printf '%-40s %-7s rc=%-3s %s\n' "$(basename "$file")" "$mode" "$rc" "$out"
    if [ "$mode" = repair ] && [ "$rc" -ne 0 ]; then status=1; fi
  done
done
if command -v valgrind >/dev/null && [ "${VALGRIND:-0}" = 1 ]; then
  for file in "$@"; do
    valgrind -q --error-exitcode=9 "$work/repro" "$file" repair >/dev/null || status=1
  done
fi
exit $status

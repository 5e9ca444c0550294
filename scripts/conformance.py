#!/usr/bin/env python3
"""Runs netpol-analyzer's corpus cases through the kubereach binary (a quick check beside the
Swift conformance test target). Usage: scripts/conformance.py [BINARY] [--kind connlist|diff|explain] [--show N]"""
import json, os, re, subprocess, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "corpus", "netpol-analyzer")
args = sys.argv[1:]
binary = args.pop(0) if args and not args[0].startswith("--") else ".build/debug/kubereach"
kind = args[args.index("--kind") + 1] if "--kind" in args else None
show = int(args[args.index("--show") + 1]) if "--show" in args else 0

manifest = json.load(open(os.path.join(root, "manifest.json")))
ok = bad = skipped = 0
failures = []
for case in manifest["cases"]:
    if kind and case["kind"] != kind:
        continue
    if case.get("multiple_networks"):
        skipped += 1
        continue
    fmt = case.get("format", "txt")
    if case["kind"] == "diff":
        cmd = [binary, "diff", os.path.join(root, case["ref1"]), os.path.join(root, case["ref2"]), "-o", fmt]
    else:
        cmd = [binary, "analyze", "-o", fmt] + [os.path.join(root, d) for d in case["input_dirs"]]
        for w in case.get("focus_workloads", []): cmd += ["--focus-workload", w]
        for w in case.get("focus_workload_peers", []): cmd += ["--focus-workload-peer", w]
        if case.get("focus_direction"): cmd += ["--focus-direction", case["focus_direction"]]
        if case.get("focus_conn"): cmd += ["--focus-conn", case["focus_conn"]]
        if case.get("exposure"): cmd += ["--exposure"]
        if case["kind"] == "explain":
            cmd += ["--explain"]
            if case.get("explain_only"): cmd += ["--explain-only", case["explain_only"]]
    run = subprocess.run(cmd, capture_output=True, text=True)
    expected = open(os.path.join(root, case["expected"])).read()
    same = run.stdout == expected
    if same:
        ok += 1
    else:
        bad += 1
        failures.append((case["expected"], run.returncode, run.stderr.strip().splitlines()[-1:] if run.returncode else ""))
for f in failures[:show]:
    print("FAIL", *f)
print(f"conformance: {ok}/{ok + bad} cases match, {skipped} skipped")

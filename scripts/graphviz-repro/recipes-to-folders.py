#!/usr/bin/env python3
"""Turns ahmetb/kubernetes-network-policy-recipes (markdown) into one manifest folder per recipe:
the recipe's YAML blocks, plus Namespaces and Pods for its `kubectl create namespace`,
`kubectl label namespace` and `kubectl run` lines (test-$RANDOM pods become test-N).
Usage: recipes-to-folders.py RECIPES_CHECKOUT OUT_DIR"""
import os, re, sys

src, out = sys.argv[1], sys.argv[2]
for md in sorted(f for f in os.listdir(src) if re.match(r"^\d.*\.md$", f)):
    text = open(os.path.join(src, md)).read()
    blocks = re.findall(r"```(?:yaml|yml)\n(.*?)```", text, re.S)
    if not blocks:
        continue
    namespaces, pods = {"default": {}}, []
    for line in text.splitlines():
        line = line.strip().lstrip("$ ").strip()
        m = re.match(r"kubectl create namespace (\S+)", line)
        if m:
            namespaces.setdefault(m.group(1), {})
        m = re.match(r"kubectl label namespace/(\S+) (\S+)=(\S+)", line)
        if m:
            namespaces.setdefault(m.group(1), {})[m.group(2)] = m.group(3)
        if line.startswith("kubectl run"):
            ns = re.search(r"--namespace=(\S+)", line)
            labels = re.search(r'--labels="?([^" ]+)"?', line)
            name = re.match(r"kubectl run (?:--\S+ )*(\S+)", line.replace("--rm ", "").replace("-i -t ", ""))
            pname = name.group(1) if name and not name.group(1).startswith("-") else "test"
            pname = pname.replace("$RANDOM", str(len(pods)))
            pods.append((ns.group(1) if ns else "default", pname,
                         dict(kv.split("=") for kv in labels.group(1).split(",")) if labels else {"run": pname}))
    folder = os.path.join(out, md[:-3])
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "policies.yaml"), "w") as f:
        f.write("---\n".join(b if b.endswith("\n") else b + "\n" for b in blocks))
    with open(os.path.join(folder, "cluster.yaml"), "w") as f:
        for ns, labels in sorted(namespaces.items()):
            f.write(f"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n")
            f.write("  labels:\n" + "".join(f"    {k}: {v}\n" for k, v in labels.items()) if labels else "")
        seen = set()
        for ns, name, labels in pods:
            if (ns, name) in seen:
                continue
            seen.add((ns, name))
            namespaces.setdefault(ns, {})
            f.write(f"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels:\n")
            f.write("".join(f"    {k}: {v}\n" for k, v in labels.items()))
            f.write("spec:\n  containers:\n  - name: c\n    image: nginx\n")

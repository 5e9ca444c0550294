#!/usr/bin/env python3
"""Differential fuzzing of kubereach against NCA on small random clusters.

Python 3 standard library only. Each case is a folder of manifests written from a seeded
random generator that uses the NetworkPolicy features `kubereach synth` does not: matchLabels
and matchExpressions (In, NotIn, Exists, DoesNotExist) in pod and namespace selectors, empty
and absent selectors, ingress and egress with and without policyTypes, numeric and named ports,
endPort ranges, TCP/UDP/SCTP, ipBlocks with except, empty rules, and namespaces without pods.
Pods are bare Pods or Deployments/StatefulSets/DaemonSets (1-3 replicas), compared at
workload level.

  scripts/nca_fuzz.py --cases 50 --seed 1 --out bench-out/nca-fuzz \
      --kubereach .build-release/release/kubereach --nca .venv-nca/bin/nca

Cases where the tools disagree are kept under OUT/<seed>/ with both outputs and compare.txt;
the exit code is 1 when any case disagrees. Known NCA deviations are avoided on purpose
(see Benchmarks/NCA-DEVIATIONS.md) unless --allow-known-deviations is given: Exists/DoesNotExist
are not combined with a namespaceSelector in one peer, and egress rules with an ipBlock peer
get no named ports (kubereach rejects those, as netpol-analyzer does), and an empty `egress`
always comes with policyTypes.
"""

import argparse
import os
import random
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nca_compare  # noqa: E402

KEYS = ["app", "tier", "env"]
VALUES = {"app": ["a", "b", "c"], "tier": ["web", "db"], "env": ["prod", "dev"]}
NS_KEYS = ["team", "env"]
NS_VALUES = {"team": ["x", "y"], "env": ["prod", "dev"]}
PORT_NAMES = ["http", "dns", "metrics"]


def yaml_scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    s = str(v)
    if s == "" or s[0] in "{}[]&*#?|-<>=!%@`'\",:" or s in ("true", "false", "null", "yes", "no", "on", "off") \
            or s.replace(".", "").replace("-", "").isdigit():
        return '"' + s.replace('"', '\\"') + '"'
    return s


def to_yaml(obj, indent=0):
    """A small YAML emitter for dicts/lists/scalars (block style, empty dict as {})."""
    pad = "  " * indent
    out = []
    if isinstance(obj, dict):
        if not obj:
            return pad + "{}\n"
        for k, v in obj.items():
            if isinstance(v, dict) and v:
                out.append(f"{pad}{k}:\n{to_yaml(v, indent + 1)}")
            elif isinstance(v, list) and v:
                out.append(f"{pad}{k}:\n{to_yaml(v, indent)}")
            elif isinstance(v, dict):
                out.append(f"{pad}{k}: {{}}\n")
            elif isinstance(v, list):
                out.append(f"{pad}{k}: []\n")
            else:
                out.append(f"{pad}{k}: {yaml_scalar(v)}\n")
        return "".join(out)
    if isinstance(obj, list):
        for item in obj:
            if isinstance(item, (dict, list)) and item:
                body = to_yaml(item, indent + 1)
                first = body[len(pad) + 2:]
                out.append(f"{pad}- {first}")
            elif isinstance(item, dict):
                out.append(f"{pad}- {{}}\n")
            else:
                out.append(f"{pad}- {yaml_scalar(item)}\n")
        return "".join(out)
    return pad + yaml_scalar(obj) + "\n"


class Gen:
    def __init__(self, seed, allow_known):
        self.r = random.Random(seed)
        self.allow_known = allow_known

    def labels(self, keys, values, p=0.6):
        return {k: self.r.choice(values[k]) for k in keys if self.r.random() < p}

    def selector(self, keys, values, allow_exists=True):
        r = self.r
        sel = {}
        if r.random() < 0.6:
            ml = {k: r.choice(values[k]) for k in r.sample(keys, r.randint(1, min(2, len(keys))))}
            sel["matchLabels"] = ml
        if r.random() < 0.5 or not sel:
            exprs = []
            for _ in range(r.randint(1, 2)):
                k = r.choice(keys)
                ops = ["In", "NotIn"] + (["Exists", "DoesNotExist"] if allow_exists else [])
                op = r.choice(ops)
                e = {"key": k, "operator": op}
                if op in ("In", "NotIn"):
                    e["values"] = r.sample(values[k], r.randint(1, len(values[k])))
                exprs.append(e)
            sel["matchExpressions"] = exprs
        return sel

    def ip_block(self):
        r = self.r
        choices = [("0.0.0.0/0", ["10.0.0.0/8", "192.168.0.0/16"]), ("10.0.0.0/8", ["10.1.0.0/16"]),
                   ("172.16.0.0/12", []), ("192.168.1.0/24", ["192.168.1.128/25"]), ("8.8.8.8/32", [])]
        cidr, excepts = r.choice(choices)
        b = {"cidr": cidr}
        if excepts and r.random() < 0.6:
            b["except"] = excepts
        return {"ipBlock": b}

    def peer(self):
        r = self.r
        x = r.random()
        if x < 0.2:
            return self.ip_block()
        if x < 0.45:
            return {"podSelector": {} if r.random() < 0.2 else self.selector(KEYS, VALUES)}
        if x < 0.65:
            return {"namespaceSelector": {} if r.random() < 0.3 else self.selector(NS_KEYS, NS_VALUES)}
        ns = {} if r.random() < 0.2 else self.selector(NS_KEYS, NS_VALUES)
        pod = {} if r.random() < 0.2 else self.selector(KEYS, VALUES, allow_exists=self.allow_known)
        return {"namespaceSelector": ns, "podSelector": pod}

    def ports(self, names=True):
        r = self.r
        out = []
        for _ in range(r.randint(1, 2)):
            x = r.random()
            if not names and 0.45 <= x < 0.7:
                x = 0.1
            p = {}
            if r.random() < 0.8:
                p["protocol"] = r.choice(["TCP", "TCP", "UDP", "SCTP"])
            if x < 0.45:
                p["port"] = r.choice([53, 80, 443, 8080, 9090])
            elif x < 0.7:
                p["port"] = r.choice(PORT_NAMES)
            elif x < 0.9:
                lo = r.choice([80, 1000, 8000])
                p["port"] = lo
                p["endPort"] = lo + r.choice([0, 10, 1000])
            out.append(p)
        return out

    def rule(self, direction):
        r = self.r
        rule = {}
        key = "from" if direction == "ingress" else "to"
        if r.random() < 0.85:
            rule[key] = [self.peer() for _ in range(r.randint(1, 2))]
        if r.random() < 0.7:
            # kubereach (like netpol-analyzer) rejects a named port in an egress rule with an
            # ipBlock peer; NCA accepts it. Not generated unless known deviations are allowed.
            ipblock = any("ipBlock" in p for p in rule.get(key, []))
            rule["ports"] = self.ports(names=self.allow_known or direction == "ingress" or not ipblock)
        return rule

    def cluster(self):
        r = self.r
        docs = []
        nss = [f"ns{i}" for i in range(r.randint(2, 4))]
        for ns in nss:
            docs.append({"apiVersion": "v1", "kind": "Namespace",
                         "metadata": {"name": ns, "labels": self.labels(NS_KEYS, NS_VALUES)}})
        pods = 0
        for ns in nss[:-1] if len(nss) > 2 and r.random() < 0.3 else nss:  # maybe a namespace without pods
            for i in range(r.randint(1, 4)):
                pods += 1
                ports = []
                for name, port, proto in [("http", r.choice([80, 8080]), "TCP"), ("dns", 53, "UDP"),
                                          ("metrics", 9090, "TCP")]:
                    if r.random() < 0.5:
                        ports.append({"name": name, "containerPort": port, "protocol": proto})
                container = {"name": "c", "image": "img"}
                if ports:
                    container["ports"] = ports
                labels = self.labels(KEYS, VALUES)
                kind = r.choice(["Pod", "Pod", "Deployment", "StatefulSet", "DaemonSet"])
                if kind == "Pod":
                    docs.append({"apiVersion": "v1", "kind": "Pod",
                                 "metadata": {"name": f"p{pods}", "namespace": ns, "labels": labels},
                                 "spec": {"containers": [container]}})
                    continue
                # a workload: the template carries the labels (and a unique one, so that the
                # selector is valid and selects this workload's pods only)
                tmpl = dict(labels, **{"wl": f"w{pods}"})
                spec = {"selector": {"matchLabels": {"wl": f"w{pods}"}},
                        "template": {"metadata": {"labels": tmpl}, "spec": {"containers": [container]}}}
                if kind != "DaemonSet":
                    spec["replicas"] = r.randint(1, 3)
                docs.append({"apiVersion": "apps/v1", "kind": kind,
                             "metadata": {"name": f"w{pods}", "namespace": ns}, "spec": spec})
        for k in range(r.randint(1, 5)):
            ns = r.choice(nss)
            spec = {"podSelector": {} if r.random() < 0.3 else self.selector(KEYS, VALUES)}
            kind = r.choice(["ingress", "egress", "both", "both"])
            types = []
            if kind in ("ingress", "both"):
                types.append("Ingress")
                if r.random() < 0.15:
                    spec["ingress"] = []
                else:
                    spec["ingress"] = [self.rule("ingress") for _ in range(r.randint(1, 2))]
            if kind in ("egress", "both"):
                types.append("Egress")
                if r.random() < 0.15:
                    spec["egress"] = []
                else:
                    spec["egress"] = [self.rule("egress") for _ in range(r.randint(1, 2))]
            # NCA lets a present but empty `egress` without policyTypes isolate egress (deviation 6)
            empty_egress = spec.get("egress") == []
            if r.random() < 0.8 or (empty_egress and not self.allow_known):
                spec["policyTypes"] = types
            docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                         "metadata": {"name": f"np{k}", "namespace": ns}, "spec": spec})
        return docs


def write_case(dirname, docs):
    os.makedirs(dirname, exist_ok=True)
    ns = [d for d in docs if d["kind"] == "Namespace"]
    rest = [d for d in docs if d["kind"] != "Namespace"]
    with open(os.path.join(dirname, "namespaces.yaml"), "w") as f:
        f.write("---\n".join(to_yaml(d) for d in ns))
    with open(os.path.join(dirname, "objects.yaml"), "w") as f:
        f.write("---\n".join(to_yaml(d) for d in rest))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1, help="first seed; case i uses seed+i")
    ap.add_argument("--out", default="bench-out/nca-fuzz")
    ap.add_argument("--kubereach", default=".build-release/release/kubereach")
    ap.add_argument("--nca", default=".venv-nca/bin/nca")
    ap.add_argument("--allow-known-deviations", action="store_true")
    ap.add_argument("--keep-all", action="store_true", help="keep agreeing cases too")
    args = ap.parse_args()
    counts = {"agree": 0, "disagree": 0, "nca-failed": 0, "kubereach-failed": 0}
    bad = []
    for i in range(args.cases):
        seed = args.seed + i
        d = os.path.join(args.out, str(seed))
        shutil.rmtree(d, ignore_errors=True)
        man = os.path.join(d, "manifests")
        write_case(man, Gen(seed, args.allow_known_deviations).cluster())
        ok, rc, log, _, _ = nca_compare.run_nca(man, os.path.join(d, "nca.txt"), args.nca, timeout=300)
        with open(os.path.join(d, "nca.log"), "w") as f:
            f.write(log)
        if not ok:
            counts["nca-failed"] += 1
            bad.append(f"{seed}: nca failed (exit {rc})")
            continue
        kr = subprocess.run([args.kubereach, "analyze", man, "-o", "json", "--ipv6"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with open(os.path.join(d, "kubereach.json"), "w") as f:
            f.write(kr.stdout)
        if kr.returncode != 0:
            with open(os.path.join(d, "kubereach.err"), "w") as f:
                f.write(kr.stderr)
            counts["kubereach-failed"] += 1
            first = next((l for l in kr.stderr.splitlines() if "error" in l), kr.stderr[:200])
            bad.append(f"{seed}: kubereach failed: {first.split('/')[-1][:160]}")
            continue
        notes = set()
        nca = nca_compare.parse_nca_file(os.path.join(d, "nca.txt"), notes)
        krt = nca_compare.parse_kr_file(os.path.join(d, "kubereach.json"))
        dis, cnotes, _ = nca_compare.compare(nca, krt)
        if dis:
            counts["disagree"] += 1
            with open(os.path.join(d, "compare.txt"), "w") as f:
                f.write("\n".join([f"note: {n}" for n in sorted(notes) + cnotes] + dis) + "\n")
            bad.append(f"{seed}: {len(dis)} pair(s) differ, e.g. {dis[0]}")
        else:
            counts["agree"] += 1
            if not args.keep_all:
                shutil.rmtree(d, ignore_errors=True)
    print(", ".join(f"{v} {k}" for k, v in counts.items()) + f" (seeds {args.seed}..{args.seed + args.cases - 1})")
    for b in bad:
        print("  " + b)
    return 1 if counts["disagree"] or counts["kubereach-failed"] else 0


if __name__ == "__main__":
    sys.exit(main())

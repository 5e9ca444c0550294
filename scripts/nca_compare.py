#!/usr/bin/env python3
"""Side-by-side agreement check between kubereach and IBM's network-config-analyzer (NCA).

Python 3 standard library only.

Subcommands
  compare --nca NCA.txt --kubereach KR.json
      Parses NCA's `-o txt_no_fw_rules` output and kubereach's `analyze -o json` output into
      per (src, dst) connection sets over TCP/UDP/SCTP ports and reports every disagreement
      per pair / protocol / port range. Exit code 0 when both agree, 1 when they disagree,
      2 on unreadable input.
  run-nca DIR OUT [--nca BIN] [--timeout S]
      Runs NCA's connectivity query on a manifest folder the way it has to be run: every
      file that holds Namespace objects is also passed with its own `-n` (NCA loses the
      namespace labels of pods read before their Namespace otherwise), the output file is
      deleted first (NCA appends), PYTHONHASHSEED=0.
  nca-args DIR
      Prints the `-n FILE` arguments NCA needs for a folder, one word per line.
  parse-nca FILE / parse-kubereach FILE
      Prints the normalised connection sets (one line per pair), for debugging.

Normalisation
  * Protocols other than TCP, UDP and SCTP are ignored (NCA's "All connections" also
    covers ICMP and the other IP protocols; kubereach only reasons about L4 ports).
  * L7 dimensions that NCA prints for Ingress-derived connections (hosts, paths, methods)
    are projected away: the L4 part counts as allowed, and a note is printed.
  * Peers: `ns/name[Kind]` on both sides. When a name has no exact twin on the other side
    it is matched, when unambiguous, by (ns, name) ignoring the kind, and then by the name
    with a trailing pod-template-hash removed (NCA prints `ns/app-7d77fb55cc[ReplicaSet]`
    for pods owned by a ReplicaSet, kubereach may print `ns/app[Deployment]`).
  * IP ranges: NCA prints `a.b.c.d-e.f.g.h` (no `[External]`), single addresses and IPv6
    ranges; kubereach prints `a.b.c.d-e.f.g.h[External]`. Both sides are split at all
    range boundaries seen on either side and compared per address block.
  * Pods that NCA's LiveSim invents (`kube-system/kube-dns-livesim[Pod]`, ingress controller and
    Istio gateway pods named `*-livesim`) are not in the input: they are ignored.
  * NCA prints IPv6 ranges when some policy names an IPv6 block, like `kubereach analyze --ipv6`;
    run-nca therefore does not pass `--print_ipv6` (which would add `::/0` everywhere).
  * A peer to itself is dropped on both sides (kubereach's workload-level output never
    lists it; NCA does not either, but with pod-level output it might).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict

PROTOS = ("TCP", "UDP", "SCTP")
ALL_PORTS = ((1, 65535),)
FULL = {p: ALL_PORTS for p in PROTOS}

# ---------------------------------------------------------------------------
# Interval sets: sorted tuples of disjoint, non-adjacent inclusive (lo, hi) pairs.


def iv_norm(ranges):
    out = []
    for lo, hi in sorted(r for r in ranges if r[0] <= r[1]):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return tuple(out)


def iv_union(a, b):
    return iv_norm(list(a) + list(b))


def iv_sub(a, b):
    out = []
    for lo, hi in a:
        cur = lo
        for blo, bhi in b:
            if bhi < cur or blo > hi:
                continue
            if blo > cur:
                out.append((cur, blo - 1))
            cur = max(cur, bhi + 1)
            if cur > hi:
                break
        if cur <= hi:
            out.append((cur, hi))
    return tuple(out)


def iv_str(a):
    return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in a)


def conns_union(a, b):
    out = dict(a)
    for p, iv in b.items():
        out[p] = iv_union(out.get(p, ()), iv)
    return {p: v for p, v in out.items() if v}


def conns_sub(a, b):
    out = {}
    for p, iv in a.items():
        r = iv_sub(iv, b.get(p, ()))
        if r:
            out[p] = r
    return out


def conns_str(c):
    if not c:
        return "none"
    if all(c.get(p) == ALL_PORTS for p in PROTOS):
        return "All Connections"
    return ",".join(f"{p} {iv_str(c[p])}" for p in PROTOS if c.get(p))


# ---------------------------------------------------------------------------
# Peers


class ParseError(Exception):
    pass


def parse_ip_peer(text):
    """Returns (family, lo, hi) or None. Accepts a-b, single address, CIDR."""
    t = text.strip()
    try:
        if "/" in t and "[" not in t:
            net = ipaddress.ip_network(t, strict=False)
            return (net.version, int(net.network_address), int(net.broadcast_address))
        if "-" in t:
            a, b = t.split("-", 1)
            x, y = ipaddress.ip_address(a), ipaddress.ip_address(b)
            if x.version != y.version:
                return None
            return (x.version, int(x), int(y))
        x = ipaddress.ip_address(t)
        return (x.version, int(x), int(x))
    except ValueError:
        return None


POD_RE = re.compile(r"^(?P<ns>[a-z0-9][-a-z0-9.]*)/(?P<name>[^\[\s/]+)$")
PEER_RE = re.compile(r"^(?P<ns>[^/\s]+)/(?P<name>[^\[\s]+)\[(?P<kind>[A-Za-z]+)\]$")


def parse_peer(text, side):
    """Returns ('ip', fam, lo, hi) or ('wl', ns, name, kind) or ('other', text)."""
    t = text.strip()
    if t.endswith("[External]"):
        ip = parse_ip_peer(t[: -len("[External]")])
        if ip is None:
            raise ParseError(f"{side}: bad external peer {text!r}")
        return ("ip",) + ip
    m = PEER_RE.match(t)
    if m:
        return ("wl", m["ns"], m["name"], m["kind"])
    ip = parse_ip_peer(t)
    if ip is not None:
        return ("ip",) + ip
    m = POD_RE.match(t)
    if m:  # NCA's --output_endpoints pods prints `ns/pod` without a kind
        return ("wl", m["ns"], m["name"], "Pod")
    return ("other", t)


def peer_str(p):
    if p[0] == "wl":
        return f"{p[1]}/{p[2]}[{p[3]}]"
    if p[0] == "ip":
        fam, lo, hi = p[1], p[2], p[3]
        cls = ipaddress.IPv4Address if fam == 4 else ipaddress.IPv6Address
        a, b = cls(lo), cls(hi)
        if lo == hi:
            return f"{a}"
        return f"{a}-{b}"
    return p[1]


# ---------------------------------------------------------------------------
# NCA connection text


PROTO_NAMES = {"TCP": "TCP", "UDP": "UDP", "SCTP": "SCTP", "6": "TCP", "17": "UDP", "132": "SCTP"}
CUBE_KEY_RE = re.compile(r"(?:^|,)(protocols|dst_ports|src_ports|methods|paths|hosts|icmp_type|icmp_code):")


def parse_ports(text):
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            out.append((int(a), int(b)))
        else:
            out.append((int(part), int(part)))
    return iv_norm(out)


def parse_nca_protocols(text):
    t = text.strip()
    if t == "*":
        return set(PROTOS)
    neg = False
    if t.startswith("all but "):
        neg = True
        t = t[len("all but "):]
    names = {PROTO_NAMES.get(x.strip(), x.strip()) for x in t.split(",") if x.strip()}
    chosen = {p for p in PROTOS if p in names}
    return set(PROTOS) - chosen if neg else chosen


def parse_nca_cube(text, notes):
    body = text.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise ParseError(f"NCA: bad cube {text!r}")
    body = body[1:-1]
    keys = list(CUBE_KEY_RE.finditer(body))
    if not keys or keys[0].start() != 0:
        raise ParseError(f"NCA: bad cube {text!r}")
    dims = {}
    for i, m in enumerate(keys):
        end = keys[i + 1].start() if i + 1 < len(keys) else len(body)
        dims[m.group(1)] = body[m.end():end]
    protos = parse_nca_protocols(dims["protocols"]) if "protocols" in dims else set(PROTOS)
    ports = parse_ports(dims["dst_ports"]) if "dst_ports" in dims else ALL_PORTS
    for l7 in ("methods", "paths", "hosts"):
        if l7 in dims:
            notes.add(f"NCA printed L7 dimension '{l7}' (projected to its L4 part)")
    if "src_ports" in dims:
        notes.add("NCA printed a src_ports dimension (ignored)")
    return {p: ports for p in protos}


def split_cubes(text):
    out, depth, start = [], 0, None
    for i, ch in enumerate(text):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                out.append(text[start:i + 1])
    return out


def parse_nca_conns(text, notes):
    t = text.strip()
    if t == "All connections":
        return dict(FULL)
    if t == "No connections":
        return {}
    neg = False
    if t.startswith("All but "):
        neg = True
        t = t[len("All but "):].strip()
    if re.fullmatch(r"[0-9,\- ]+", t):
        # NCA's bare form when only dst_ports is active (all protocols that have ports)
        c = {p: parse_ports(t) for p in PROTOS}
    else:
        cubes = split_cubes(t)
        if not cubes:
            raise ParseError(f"NCA: bad connections {text!r}")
        c = {}
        for cube in cubes:
            c = conns_union(c, parse_nca_cube(cube, notes))
    return conns_sub(FULL, c) if neg else c


def parse_nca_file(path, notes):
    """Returns dict[(src_peer, dst_peer)] -> conns."""
    res = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if " => " not in line or " : " not in line:
                notes.add(f"NCA: skipped line {lineno}: {line[:80]!r}")
                continue
            left, conns = line.split(" : ", 1)
            src, dst = left.split(" => ", 1)
            key = (parse_peer(src, "NCA"), parse_peer(dst, "NCA"))
            c = parse_nca_conns(conns, notes)
            res[key] = conns_union(res.get(key, {}), c)
    return res


# ---------------------------------------------------------------------------
# kubereach json


KR_PROTO_RE = re.compile(r"\b(TCP|UDP|SCTP)\b")


def parse_kr_conns(text):
    t = text.strip()
    if t.lower() in ("all connections", "all"):
        return dict(FULL)
    if t.lower() in ("no connections", "none", ""):
        return {}
    # "TCP 1-79,81-65535,UDP 53" ; a protocol without ports means all its ports
    out = {}
    ms = list(KR_PROTO_RE.finditer(t))
    if not ms or t[: ms[0].start()].strip(" ,"):
        raise ParseError(f"kubereach: bad connections {text!r}")
    for i, m in enumerate(ms):
        end = ms[i + 1].start() if i + 1 < len(ms) else len(t)
        ports = t[m.end():end].strip(" ,")
        # named ports (netpol-analyzer prints them for unresolved names) cannot be compared
        numeric = ",".join(x for x in ports.split(",") if re.fullmatch(r"\s*\d+(-\d+)?\s*", x))
        iv = parse_ports(numeric) if ports else ALL_PORTS
        out[m.group(1)] = iv_union(out.get(m.group(1), ()), iv)
    return out


def parse_kr_file(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if isinstance(data, dict):  # tolerate {"connections": [...]}
        for k in ("connections", "connlist", "items"):
            if isinstance(data.get(k), list):
                data = data[k]
                break
    if not isinstance(data, list):
        raise ParseError("kubereach: json is not an array")
    res = {}
    for item in data:
        src = parse_peer(item["src"], "kubereach")
        dst = parse_peer(item["dst"], "kubereach")
        c = parse_kr_conns(item.get("conn", item.get("conns", "")))
        res[(src, dst)] = conns_union(res.get((src, dst), {}), c)
    return res


# ---------------------------------------------------------------------------
# Name mapping


HASH_RE = re.compile(r"^(?P<base>.+)-(?P<hash>[0-9a-z]{5,10})$")


def strip_hash(name):
    m = HASH_RE.match(name)
    return m["base"] if m and re.search(r"\d", m["hash"]) else name


def pod_base(name):
    """A pod name without its generated suffixes (replica index, random suffix, template hash)."""
    return strip_hash(re.sub(r"-[0-9a-z]{5}$", "", strip_index(name)))


def strip_index(name):
    return re.sub(r"-\d+$", "", name)


def build_mapping(nca_names, kr_names):
    """Maps NCA workload peers to kubereach workload peers.

    Exact names first; then, among the names left, by (ns, name) ignoring the kind, by the
    name without a pod-template-hash suffix, and by the name without a replica index (pods
    that NCA and kubereach make up for a workload's replicas: NCA counts from 1, kubereach
    from 0). Groups of equal size on both sides are paired in sorted order (replicas of one
    template are interchangeable). Returns (mapping, notes, nca_unmapped, kr_unmapped)."""
    mapping = {}
    kr_left = set(kr_names)
    for p in nca_names:
        if p in kr_left:
            mapping[p] = p
    kr_left -= set(mapping.values())
    nca_left = [p for p in nca_names if p not in mapping]
    notes = []
    for alias in (lambda p: (p[1], p[2]), lambda p: (p[1], strip_hash(p[2])),
                  lambda p: (p[1], strip_index(p[2])), lambda p: (p[1], strip_hash(strip_index(p[2])))):
        kr_by = defaultdict(list)
        for q in kr_left:
            kr_by[alias(q)].append(q)
        nca_by = defaultdict(list)
        for p in nca_left:
            nca_by[alias(p)].append(p)
        for key, ps in nca_by.items():
            qs = kr_by.get(key, [])
            if len(ps) == len(qs):
                for a, b in zip(sorted(ps), sorted(qs)):
                    mapping[a] = b
                    notes.append(f"{peer_str(a)} (NCA) = {peer_str(b)} (kubereach)")
        kr_left -= set(mapping.values())
        nca_left = [p for p in nca_left if p not in mapping]
    return mapping, notes, nca_left, sorted(kr_left)


# ---------------------------------------------------------------------------
# Comparison


def ip_cuts(*tables):
    cuts = defaultdict(set)
    for table in tables:
        for (s, d) in table:
            for p in (s, d):
                if p[0] == "ip":
                    cuts[p[1]].add(p[2])
                    cuts[p[1]].add(p[3] + 1)
    return {fam: sorted(v) for fam, v in cuts.items()}


def atoms(peer, cuts):
    if peer[0] != "ip":
        return [peer]
    fam, lo, hi = peer[1], peer[2], peer[3]
    pts = [c for c in cuts[fam] if lo < c <= hi]
    out, cur = [], lo
    for c in pts:
        out.append(("ip", fam, cur, c - 1))
        cur = c
    out.append(("ip", fam, cur, hi))
    return out


def explode(table, cuts, families):
    res = defaultdict(dict)
    for (s, d), c in table.items():
        if s == d and s[0] == "wl":
            continue
        if any(p[0] == "ip" and p[1] not in families for p in (s, d)):
            continue
        for a in atoms(s, cuts):
            for b in atoms(d, cuts):
                res[(a, b)] = conns_union(res[(a, b)], c)
    return res


def merge_ip_rows(rows):
    """rows: list of (src, dst, text). Merges adjacent IP atoms with the same other peer/text:
    first sources (rows grouped by text and destination), then destinations."""
    def merge(rows, side):
        other = 1 - side
        rows = sorted(rows, key=lambda r: (r[2], peer_str(r[other]), r[side][0] != "ip", r[side]))
        out = []
        for r in rows:
            if out:
                p = out[-1]
                a, b = p[side], r[side]
                if (p[2] == r[2] and p[other] == r[other] and a[0] == "ip" and b[0] == "ip"
                        and a[1] == b[1] and a[3] + 1 == b[2]):
                    m = ("ip", a[1], a[2], b[3])
                    out[-1] = (m, p[1], p[2]) if side == 0 else (p[0], m, p[2])
                    continue
            out.append(r)
        return out
    return merge(merge(rows, 0), 1)


LIVESIM_RE = re.compile(r"-livesim$")


def compare(nca, kr, families=(4, 6), keep_livesim=False):
    """Returns (disagreements: list of str, notes: list of str, stats: dict)."""
    notes = []
    if not keep_livesim:
        # NCA's "LiveSim" adds pods of its own (kube-dns, an ingress controller, Istio gateways)
        # when policies reference labels that no input pod carries; they are not in the input.
        live = {p for k in nca for p in k if p[0] == "wl" and LIVESIM_RE.search(p[2])}
        if live:
            nca = {k: c for k, c in nca.items() if not (set(k) & live)}
            notes.append("NCA LiveSim peers ignored: " + ", ".join(sorted(peer_str(p) for p in live)))
    # drop peers of kinds we can't compare
    def drop_other(table, side):
        out = {}
        dropped = set()
        for (s, d), c in table.items():
            if s[0] == "other" or d[0] == "other":
                dropped.add(s[1] if s[0] == "other" else d[1])
                continue
            out[(s, d)] = c
        for x in sorted(dropped):
            notes.append(f"{side}: ignored peer {x!r}")
        return out

    nca = drop_other(nca, "NCA")
    kr = drop_other(kr, "kubereach")
    nca_names = sorted({p for k in nca for p in k if p[0] == "wl"})
    kr_names = sorted({p for k in kr for p in k if p[0] == "wl"})
    mapping, mnotes, nca_unmapped, kr_unmapped = build_mapping(nca_names, kr_names)
    if mnotes:
        notes.append(f"name mapping ({len(mnotes)} non-identical): " + "; ".join(mnotes[:8])
                     + (" ..." if len(mnotes) > 8 else ""))
    for p in nca_unmapped:
        notes.append(f"peer only in NCA output: {peer_str(p)}")
    # NCA keeps at most two isomorphic pods (same namespace, owner, labels, ports) and at most
    # two replicas of a workload; at pod level the others are missing from its output.
    nca_bases = {(p[1], pod_base(p[2])) for p in nca_names if p[3] == "Pod"}
    extra = {p for p in kr_unmapped if p[3] == "Pod" and (p[1], pod_base(p[2])) in nca_bases}
    if extra:
        kr = {k: c for k, c in kr.items() if not (set(k) & extra)}
        notes.append("pods NCA leaves out (it models at most 2 isomorphic pods), ignored: "
                     + ", ".join(peer_str(p) for p in sorted(extra)))
    for p in kr_unmapped:
        if p not in extra:
            notes.append(f"peer only in kubereach output: {peer_str(p)}")
    nca = {(mapping.get(s, s), mapping.get(d, d)): c for (s, d), c in nca.items()}
    cuts = ip_cuts(nca, kr)
    en = explode(nca, cuts, families)
    ek = explode(kr, cuts, families)
    rows = []
    for key in set(en) | set(ek):
        a, b = en.get(key, {}), ek.get(key, {})
        only_n, only_k = conns_sub(a, b), conns_sub(b, a)
        if not only_n and not only_k:
            continue
        parts = []
        if only_n:
            parts.append(f"only NCA allows {conns_str(only_n)}")
        if only_k:
            parts.append(f"only kubereach allows {conns_str(only_k)}")
        rows.append((key[0], key[1], "; ".join(parts)))
    rows = merge_ip_rows(rows)
    rows.sort(key=lambda r: (peer_str(r[0]), peer_str(r[1])))
    dis = [f"{peer_str(s)} => {peer_str(d)} : {t}" for s, d, t in rows]
    stats = {
        "nca_pairs": len(nca),
        "kubereach_pairs": len(kr),
        "compared_keys": len(set(en) | set(ek)),
        "disagreeing": len(dis),
    }
    return dis, notes, stats


# ---------------------------------------------------------------------------
# Running NCA


NS_KIND_RE = re.compile(r"""["']?kind["']?\s*:\s*["']?Namespace(List)?["']?\s*(,|$)""", re.M)


def namespace_files(directory):
    out = []
    for name in sorted(os.listdir(directory)):
        p = os.path.join(directory, name)
        if not os.path.isfile(p):
            continue
        try:
            with open(p, encoding="utf-8", errors="replace") as f:
                if NS_KIND_RE.search(f.read()):
                    out.append(p)
        except OSError:
            pass
    return out


def run_nca(directory, out, nca="nca", timeout=None, endpoints=None, extra=()):
    if os.path.exists(out):
        os.remove(out)
    cmd = [nca, "--connectivity", "-r", directory]
    for f in namespace_files(directory):
        cmd += ["-n", f]
    cmd += ["-o", "txt_no_fw_rules", "-f", out]
    if endpoints:
        cmd += ["--output_endpoints", endpoints]
    cmd += list(extra)
    env = dict(os.environ, PYTHONHASHSEED="0")
    t0 = time.monotonic()
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
    dt = time.monotonic() - t0
    ok = p.returncode == 0 and os.path.exists(out)
    return ok, p.returncode, p.stdout, dt, cmd


# ---------------------------------------------------------------------------


def cmd_compare(args):
    notes = set()
    try:
        nca = parse_nca_file(args.nca, notes)
        kr = parse_kr_file(args.kubereach)
    except (ParseError, OSError, ValueError, KeyError) as e:
        print(f"nca_compare: cannot read input: {e}", file=sys.stderr)
        return 2
    fams = tuple(int(x) for x in args.families.split(",") if x)
    dis, cnotes, stats = compare(nca, kr, fams, args.keep_livesim)
    if not args.quiet:
        for n in sorted(notes) + cnotes:
            print(f"note: {n}")
    label = f"{args.label}: " if args.label else ""
    if dis:
        for line in dis[: args.max_report] if args.max_report else dis:
            print(f"{label}DISAGREE {line}")
        if args.max_report and len(dis) > args.max_report:
            print(f"{label}... {len(dis) - args.max_report} more disagreements")
        print(f"{label}DISAGREE: {len(dis)} pair(s) differ "
              f"(NCA {stats['nca_pairs']} lines, kubereach {stats['kubereach_pairs']} entries)")
        return 1
    print(f"{label}AGREE: {stats['compared_keys']} pair blocks "
          f"(NCA {stats['nca_pairs']} lines, kubereach {stats['kubereach_pairs']} entries)")
    return 0


def dump(table):
    for (s, d), c in sorted(table.items(), key=lambda kv: (peer_str(kv[0][0]), peer_str(kv[0][1]))):
        print(f"{peer_str(s)} => {peer_str(d)} : {conns_str(c)}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare", help="compare NCA txt_no_fw_rules output with kubereach json")
    c.add_argument("--nca", required=True)
    c.add_argument("--kubereach", required=True)
    c.add_argument("--families", default="4,6", help="IP families to compare (default 4,6)")
    c.add_argument("--max-report", type=int, default=0, help="print at most N disagreements (0: all)")
    c.add_argument("--label", default="")
    c.add_argument("--keep-livesim", action="store_true",
                   help="compare the pods NCA's LiveSim adds (*-livesim) too (default: ignore them)")
    c.add_argument("-q", "--quiet", action="store_true", help="no notes")
    r = sub.add_parser("run-nca", help="run NCA's connectivity query on a manifest folder")
    r.add_argument("dir")
    r.add_argument("out")
    r.add_argument("--nca", default="nca")
    r.add_argument("--timeout", type=float, default=None)
    r.add_argument("--endpoints", choices=["pods", "deployments"], default=None)
    na = sub.add_parser("nca-args", help="print NCA's -n arguments for a folder, one per line")
    na.add_argument("dir")
    pn = sub.add_parser("parse-nca")
    pn.add_argument("file")
    pk = sub.add_parser("parse-kubereach")
    pk.add_argument("file")
    args = ap.parse_args(argv)
    if args.cmd == "compare":
        return cmd_compare(args)
    if args.cmd == "run-nca":
        try:
            ok, rc, log, dt, cmd = run_nca(args.dir, args.out, args.nca, args.timeout, args.endpoints)
        except subprocess.TimeoutExpired:
            print(f"nca timed out after {args.timeout} s", file=sys.stderr)
            return 3
        sys.stderr.write(log)
        print(f"nca: exit {rc}, {dt:.2f} s", file=sys.stderr)
        return 0 if ok else (rc or 1)
    if args.cmd == "nca-args":
        for f in namespace_files(args.dir):
            print("-n")
            print(f)
        return 0
    if args.cmd == "parse-nca":
        notes = set()
        dump(parse_nca_file(args.file, notes))
        for n in sorted(notes):
            print(f"note: {n}", file=sys.stderr)
        return 0
    if args.cmd == "parse-kubereach":
        dump(parse_kr_file(args.file))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())

import KubeModel
import Reachability

/// Evaluates the rules of a rules file against the engine: every verdict is the engine's.
struct UserRuleEvaluator {
  let ctx: CheckContext

  /// A workload and one of its pods per class, as a rule selected it.
  struct Member {
    var workload: Int
    var pods: [Int]
  }

  /// The input workloads a spec selects (nil for address specs).
  func members(_ spec: PeerSpec) -> [Member] {
    let nsLabels = ctx.input.namespaceLabelsByName()
    var out: [Member] = []
    for (w, workload) in ctx.input.workloads.enumerated() where !ctx.workloadClassPods[w].isEmpty {
      if let ns = spec.namespace, workload.namespace != ns { continue }
      if let name = spec.workload, workload.name != name { continue }
      if let labels = spec.namespaceLabels {
        let have = nsLabels[workload.namespace] ?? [namespaceNameLabel: workload.namespace]
        if !LabelSelector(matchLabels: labels).matches(have) { continue }
      }
      var pods = ctx.workloadClassPods[w]
      if let labels = spec.labels {
        let selector = LabelSelector(matchLabels: labels)
        pods = pods.filter { selector.matches(ctx.input.pods[$0].labels) }
        if pods.isEmpty { continue }
      }
      out.append(Member(workload: w, pods: pods))
    }
    return out
  }

  /// The engine's external ranges a spec covers (any overlap).
  func ranges(_ spec: PeerSpec) -> [IPRange] {
    let all = ctx.engine.externalRanges
    if let cidr = spec.cidr {
      let r = cidr.range
      return all.compactMap { e in
        guard e.family == r.family, e.lower <= r.upper, e.upper >= r.lower else { return nil }
        return IPRange(family: e.family, lower: max(e.lower, r.lower), upper: min(e.upper, r.upper))
      }
    }
    return all
  }

  func name(_ w: Int) -> String { shortName(ctx.input.workloads[w]) }

  func findings(_ rule: UserRule) -> [Finding] {
    let severity = rule.severity ?? .error
    func finding(_ message: String, object: ObjectRef, detail: String = "", at location: SourceLocation?) -> Finding {
      Finding(
        check: rule.checkID, severity: severity, message: "rule \(rule.name): \(message)", object: object, detail: detail,
        location: location ?? rule.location)
    }
    let ruleObject = ObjectRef(kind: "Rule", namespace: "", name: rule.name)
    switch rule.kind {
    case .mtls:
      return [
        finding(
          "mutual TLS cannot be checked yet: it needs the mesh analysis, which this kubereach does not have (not a pass)",
          object: ruleObject, at: rule.location)
      ]
    case .isolated:
      let selected = members(rule.to)
      if selected.isEmpty { return [finding("selects no workload, nothing was checked", object: ruleObject, at: nil)] }
      var out: [Finding] = []
      for member in selected {
        let workload = ctx.input.workloads[member.workload]
        for direction in rule.directions
        where member.pods.contains(where: {
          ctx.engine.isolation(ofClass: ctx.engine.podClass($0), direction: direction).isUnprotected
        }) {
          out.append(
            finding(
              "\(name(member.workload)) must be isolated on \(direction.rawValue) but no policy selects it",
              object: CheckContext.object(workload), detail: direction.rawValue, at: workload.location))
        }
      }
      return out
    case .deny, .allow:
      return flows(rule, finding: finding, ruleObject: ruleObject)
    }
  }

  /// One end of a flow: pods of a workload, or external ranges.
  enum End {
    case workload(Member)
    case addresses([IPRange], label: String)

    var peers: [Peer] {
      switch self {
      case .workload(let m): m.pods.map { Peer.pod($0) }
      case .addresses(let r, _): r.map { Peer.external($0) }
      }
    }
  }

  func flows(
    _ rule: UserRule, finding: (String, ObjectRef, String, SourceLocation?) -> Finding, ruleObject: ObjectRef
  ) -> [Finding] {
    func ends(_ spec: PeerSpec) -> [End] {
      spec.isAddresses
        ? [.addresses(ranges(spec), label: spec.cidr?.description ?? "external")] : members(spec).map { .workload($0) }
    }
    let sources = ends(rule.from)
    let destinations = ends(rule.to)
    let empty: (End) -> Bool = {
      if case .addresses(let r, _) = $0 { return r.isEmpty }
      return false
    }
    if sources.isEmpty || destinations.isEmpty || sources.contains(where: empty) || destinations.contains(where: empty) {
      return [finding("\(sources.isEmpty ? "from" : "to") selects nothing, nothing was checked", ruleObject, "", nil)]
    }
    let wanted = rule.ports ?? .all
    var out: [Finding] = []
    var memo: [[Int]: ConnectionSet] = [:]
    func verdict(_ s: Peer, _ d: Peer) -> ConnectionSet {
      var key: [Int] = []
      for p in [s, d] {
        switch p {
        case .pod(let i): key += [0, ctx.engine.podClass(i)]
        case .external(let r): key += [1, Int(truncatingIfNeeded: r.lower), Int(truncatingIfNeeded: r.upper)]
        }
      }
      if let hit = memo[key] { return hit }
      let v = ctx.engine.connections(from: s, to: d)
      memo[key] = v
      return v
    }
    for src in sources {
      for dst in destinations {
        if case .workload(let a) = src, case .workload(let b) = dst, a.workload == b.workload { continue }
        let (srcName, dstName, object, dstLocation) = describe(src, dst)
        switch rule.kind {
        case .deny:
          var allowed = ConnectionSet.none
          var witness: (Peer, Peer)?
          for s in src.peers {
            for d in dst.peers {
              let got = verdict(s, d).intersection(wanted)
              if !got.isEmpty {
                allowed = allowed.union(got)
                witness = witness ?? (s, d)
              }
            }
          }
          guard let (s, d) = witness else { continue }
          let direction: Direction = { if case .addresses = dst { return .egress } else { return .ingress } }()
          let why = decidingLocation(ctx.engine.explain(from: s, to: d), direction, allowed: true)
          out.append(
            finding(
              "\(srcName) => \(dstName) must be denied but \(portsText(allowed)) is allowed"
                + (why.map { " (\($0.0))" } ?? ""), object, "\(srcName) => \(dstName)", why?.1 ?? dstLocation))
        case .allow:
          var missing = ConnectionSet.none
          var witness: (Peer, Peer)?
          for s in src.peers {
            for d in dst.peers {
              let got = verdict(s, d)
              let lacking = rule.ports == nil ? (got.isEmpty ? ConnectionSet.all : .none) : wanted.subtracting(got)
              if !lacking.isEmpty {
                missing = missing.union(lacking)
                witness = witness ?? (s, d)
              }
            }
          }
          guard let (s, d) = witness else { continue }
          let direction: Direction = { if case .addresses = dst { return .egress } else { return .ingress } }()
          var why = decidingLocation(ctx.engine.explain(from: s, to: d), direction, allowed: false)
          if why == nil, case .workload = src {
            why = decidingLocation(ctx.engine.explain(from: s, to: d), .egress, allowed: false)
          }
          let what = rule.ports == nil ? "no connection is allowed" : "\(portsText(missing)) is not allowed"
          out.append(
            finding(
              "\(srcName) => \(dstName) must be allowed but \(what)" + (why.map { " (denied by \($0.0))" } ?? ""),
              object, "\(srcName) => \(dstName)", why?.1 ?? dstLocation))
        case .isolated, .mtls:
          continue
        }
      }
    }
    return out
  }

  func describe(_ src: End, _ dst: End) -> (String, String, ObjectRef, SourceLocation?) {
    func label(_ end: End) -> String {
      switch end {
      case .workload(let m): return name(m.workload)
      case .addresses(_, let text): return text
      }
    }
    let anchor: Member? = {
      if case .workload(let m) = dst { return m }
      if case .workload(let m) = src { return m }
      return nil
    }()
    let workload = anchor.map { ctx.input.workloads[$0.workload] }
    let object = workload.map(CheckContext.object) ?? ObjectRef(kind: "External", namespace: "", name: label(dst))
    return (label(src), label(dst), object, workload?.location)
  }
}
